/*
 * cli.c: etlre's command table and global options (see cli.h). Global
 * options may come before or after the command:
 *   etlre --config x.conf process --date 2025-11-02
 *   etlre process --date 2025-11-02 --config x.conf
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "progress.h"
#include "log.h"
#include "metrics.h"
#include "signals.h"

/* --version: argp_program_version_hook in version.c */
const char *argp_program_bug_address = NULL;

#define DEFAULT_PROGRESS_INTERVAL 10.0

static global_opts globals = {
	.level = LOG_INFO,
	.format = LOG_FORMAT_TEXT,
	.progress_interval = DEFAULT_PROGRESS_INTERVAL,
};

global_opts *cli_global(void)
{
	return &globals;
}

enum { OPT_LOG_LEVEL = 1000, OPT_LOG_FORMAT, OPT_PROGRESS_INTERVAL, OPT_METRICS_FILE,
       OPT_LOG_FILE, OPT_COMMAND = 1900 };

static const struct argp_option global_options[] = {
	{ "config", 'c', "FILE", 0,
	  "configuration file (default: $ETLRE_CONFIG, ./etlre.conf, /etc/etlre/etlre.conf)", -1 },
	{ "log-level", OPT_LOG_LEVEL, "LEVEL", 0, "error, warn, info (default) or debug", -1 },
	{ "log-format", OPT_LOG_FORMAT, "FORMAT", 0, "text (default) or json, on stderr", -1 },
	{ "log-file", OPT_LOG_FILE, "PATH", 0,
	  "append the log to PATH instead of stderr (errors go to stderr too); reopened on "
	  "SIGHUP, for logrotate", -1 },
	{ "quiet", 'q', 0, 0, "only warnings and errors on stderr, no progress", -1 },
	{ "progress-interval", OPT_PROGRESS_INTERVAL, "SECONDS", 0,
	  "when stderr is not a terminal, log a progress line every SECONDS (default 10; 0: "
	  "never); on a terminal the progress line is redrawn in place", -1 },
	{ "metrics-file", OPT_METRICS_FILE, "PATH", 0,
	  "at the end, write metrics in Prometheus text format to PATH (replaced atomically)", -1 },
	{ 0 }
};

/*
 * Every option may be given once, except these: a repeated --date or --jobs
 * is a usage error rather than a silent "the last one wins".
 */
static const char *const repeatable_options[] = { "table" };

typedef struct seen_options {
	int keys[64];
	int n;
} seen_options;

static seen_options seen_global, seen_command;

/* check_once: a usage error (exits 2 inside argp) when the option of opts
 * with this key was already seen; keys of no option (argp's own) are ignored */
static void check_once(seen_options *seen, const struct argp_option *opts, int key,
		       struct argp_state *state)
{
	const struct argp_option *o = NULL;

	for (const struct argp_option *p = opts; p && (p->key || p->name || p->doc || p->group); p++) {
		if (p->name && p->key == key && !(p->flags & OPTION_DOC)) {
			o = p;
			break;
		}
	}
	if (!o)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(repeatable_options); i++)
		if (strcmp(o->name, repeatable_options[i]) == 0)
			return;
	for (int i = 0; i < seen->n; i++)
		if (seen->keys[i] == key)
			argp_error(state, "--%s given twice", o->name);
	if (seen->n < (int)ARRAY_SIZE(seen->keys))
		seen->keys[seen->n++] = key;
}

static error_t parse_global(int key, char *arg, struct argp_state *state)
{
	global_opts *g = &globals;

	check_once(&seen_global, global_options, key, state);
	switch (key) {
	case 'c':
		g->config = arg;
		break;
	case OPT_LOG_LEVEL:
		if (!log_parse_level(arg, &g->level))
			argp_error(state, "--log-level must be error, warn, info or debug, not '%s'", arg);
		break;
	case OPT_LOG_FORMAT:
		if (!log_parse_format(arg, &g->format))
			argp_error(state, "--log-format must be text or json, not '%s'", arg);
		break;
	case 'q':
		g->quiet = true;
		break;
	case OPT_PROGRESS_INTERVAL: {
		char *end;
		errno = 0;
		g->progress_interval = strtod(arg, &end);
		if (errno || end == arg || *end || !(g->progress_interval >= 0) ||
		    g->progress_interval > 86400)
			argp_error(state, "--progress-interval must be a number of seconds from 0 to "
					  "86400, not '%s'", arg);
		break;
	}
	case OPT_METRICS_FILE: {
		char err[512];
		if (!metrics_set_file(arg, err, sizeof(err)))
			argp_error(state, "--metrics-file: %s", err);
		break;
	}
	case OPT_LOG_FILE: {
		char err[512];
		if (!log_open_file(arg, err, sizeof(err)))
			argp_error(state, "--log-file: %s", err);
		signals_on_hup(log_request_reopen);
		break;
	}
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp global_argp = { global_options, parse_global, NULL, NULL, NULL, NULL, NULL };

/* the global options, a child of the top parser and of every command's */
static const struct argp_child global_argp_children[] = {
	{ &global_argp, 0, "Global options:", -1 },
	{ 0 }
};

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "init", cmd_init, "create etlre's tables; with --create-tables the missing targets" },
	{ "ddl", cmd_ddl, "print the CREATE TABLE of each target, from the source's columns" },
	{ "process", cmd_process, "extract, validate, load and count-check every hour of a range" },
	{ "retry", cmd_retry, "rerun the hours of jobs that failed or never finished" },
	{ "verify", cmd_verify, "compare source and target hour by hour, by counts or content" },
	{ "status", cmd_status, "jobs and their hours, newest first" },
	{ "check", cmd_check, "health: connections and TLS, ledger, tables and grants, freshness" },
	{ "work", cmd_work, "join a running job as one more worker, from any host" },
};

static char *commands_doc(void)
{
	strbuf sb;

	sb_init(&sb, 1024);
	sb_adds(&sb, "etlre reprocesses and backfills PostgreSQL analytics tables from MariaDB, "
		     "hour by hour, idempotently.\vCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		sb_addf(&sb, "  %-10s %s\n", commands[i].name, commands[i].summary);
	sb_adds(&sb, "\nRun 'etlre COMMAND --help' for a command's options.\n"
		     "Examples:\n"
		     "  etlre init\n"
		     "  etlre process --date 2025-11-02\n"
		     "  etlre process --start-date 2025-11-01 --end-date 2025-11-07 --skip-invalid\n"
		     "  etlre process --date 2025-11-02 --dry-run --json\n"
		     "\nExit status: 0 done, 1 some hours failed, 2 usage or configuration error,\n"
		     "3 verify found differences, 4 source or target unreachable (or its TLS\n"
		     "refused: sslmode), 130/143 interrupted.\n");
	return sb_detach(&sb);
}

typedef struct top_state {
	int command_index; /* index in argv of the command, 0 if none */
} top_state;

static error_t parse_top(int key, char *arg, struct argp_state *state)
{
	top_state *t = state->input;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = NULL;
		break;
	case ARGP_KEY_ARG:
		t->command_index = state->next - 1;
		state->next = state->argc; /* the command parses the rest */
		break;
	case ARGP_KEY_END:
		if (!t->command_index)
			argp_error(state, "no command given");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int64_t cli_parse_count(struct argp_state *state, const char *flag, const char *arg, int64_t min,
			int64_t max)
{
	int64_t v;

	if (!str_to_int64(arg, &v) || v < min || v > max)
		argp_error(state, "%s must be a whole number between %lld and %lld, not '%s'", flag,
			   (long long)min, (long long)max, arg);
	return v;
}

int64_t cli_parse_duration(struct argp_state *state, const char *flag, const char *arg)
{
	int64_t v = 0;

	if (!duration_parse(arg, &v))
		argp_error(state, "%s must be a whole number and a unit, s, m, h, d or w (90m, 36h, "
				  "2d), not '%s'", flag, arg);
	return v;
}

bool cli_job_id(const char *s, int64_t *id)
{
	return str_to_int64(s, id) && *id > 0 && *id <= INT32_MAX;
}

void cli_apply_globals(global_opts *g)
{
	log_level level = g->level;
	if (g->quiet && level > LOG_WARN)
		level = LOG_WARN;
	log_setup(level, g->format);
	progress_configure(level >= LOG_INFO, g->progress_interval);
}

/* the cli_options given so far, by index, while cli_parse_command runs */
static unsigned options_given;

/* parse_option: sets the cli_option (of the list that is the input) whose
 * key this is; usage errors exit 2 inside argp */
static error_t parse_option(int key, char *arg, struct argp_state *state)
{
	const cli_option *options = state->input;
	const cli_option *o;
	int i = key - OPT_COMMAND;
	char flag[64];

	if (i < 0 || i >= CLI_MAX_OPTIONS || !options[i].name)
		return ARGP_ERR_UNKNOWN;
	o = &options[i];
	if (options_given & (1u << i))
		argp_error(state, "--%s given twice", o->name);
	options_given |= 1u << i;
	snprintf(flag, sizeof(flag), "--%s", o->name);
	switch (o->kind) {
	case CLI_FLAG: *(bool *)o->value = true; break;
	case CLI_STRING: *(const char **)o->value = arg; break;
	case CLI_DURATION:
		((cli_duration *)o->value)->seconds = cli_parse_duration(state, flag, arg);
		((cli_duration *)o->value)->text = arg;
		break;
	case CLI_JOB_ID:
		if (!cli_job_id(arg, o->value))
			argp_error(state, "'%s' is not a job id", arg);
		break;
	}
	return 0;
}

/* the command being parsed and its children's inputs, while
 * cli_parse_command runs it through parse_command_once */
static const cli_command *command_running;
static void *command_inputs[CLI_MAX_CHILDREN + 2];

/* parse_command_once: the command's parser, after the repeated-option check;
 * hands the children their inputs and refuses a non-option argument the
 * command's parser does not take (exits 2 inside argp) */
static error_t parse_command_once(int key, char *arg, struct argp_state *state)
{
	const cli_command *cmd = command_running;
	error_t err;

	check_once(&seen_command, cmd->options, key, state);
	if (key == ARGP_KEY_INIT)
		for (int i = 0; command_inputs[i]; i++)
			state->child_inputs[i] = command_inputs[i];
	err = cmd->parser ? cmd->parser(key, arg, state) : ARGP_ERR_UNKNOWN;
	if (err == ARGP_ERR_UNKNOWN && key == ARGP_KEY_ARG)
		argp_error(state, "unexpected argument '%s'", arg);
	return err;
}

void cli_parse_command(const cli_command *cmd, const cli_child *children,
		       const cli_option *options, int argc, char **argv, void *input)
{
	char *name = xasprintf("etlre %s", cmd->name);
	char **args = xcalloc((size_t)argc + 1, sizeof(char *));
	struct argp_option table[CLI_MAX_OPTIONS + 1] = { { 0 } };
	const struct argp options_argp = { table, parse_option, NULL, NULL, NULL, NULL, NULL };
	struct argp_child kids[CLI_MAX_CHILDREN + 3];
	int n = 0;

	for (int i = 0; options && i < CLI_MAX_OPTIONS && options[i].name; i++)
		table[i] = (struct argp_option){ options[i].name, OPT_COMMAND + i, options[i].arg, 0,
						 options[i].doc, options[i].group };
	options_given = 0;
	memset(command_inputs, 0, sizeof(command_inputs));
	for (; children && n < CLI_MAX_CHILDREN && children[n].argp; n++) {
		kids[n] = (struct argp_child){ children[n].argp, 0, NULL, 0 };
		command_inputs[n] = children[n].input;
	}
	if (options) {
		kids[n] = (struct argp_child){ &options_argp, 0, NULL, 0 };
		command_inputs[n++] = (void *)options;
	}
	kids[n++] = global_argp_children[0];
	kids[n] = (struct argp_child){ 0 };
	const struct argp argp = { cmd->options, parse_command_once, NULL, cmd->doc, kids, NULL,
				   NULL };

	args[0] = name;
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	command_running = cmd;
	argp_parse(&argp, argc, args, 0, NULL, input);
	free(args);
	free(name);
	cli_apply_globals(&globals);
}

int cli_main(int argc, char **argv)
{
	char *doc = commands_doc();
	struct argp top = { NULL, parse_top, "COMMAND [OPTIONS...]", doc, global_argp_children, NULL, NULL };
	top_state t = { 0 };
	int rc;

	argp_err_exit_status = EXIT_CODE_USAGE;
	argp_parse(&top, argc, argv, ARGP_IN_ORDER, NULL, &t);
	free(doc);
	cli_apply_globals(&globals);
	metrics_begin(argv[t.command_index]);
	rc = -1;
	for (size_t i = 0; i < ARRAY_SIZE(commands) && rc < 0; i++)
		if (strcmp(argv[t.command_index], commands[i].name) == 0)
			rc = commands[i].run(argc - t.command_index, argv + t.command_index);
	if (rc < 0) {
		fprintf(stderr, "etlre: unknown command '%s'\nTry 'etlre --help'.\n",
			argv[t.command_index]);
		rc = EXIT_CODE_USAGE;
	}
	if (signals_max_runtime_reached())
		log_warn("stopped: --max-runtime was reached; the hour in progress was rolled back "
			 "and what was left stays pending for etlre retry");
	/* a metrics file that cannot be written is logged; the run's own status stands */
	metrics_end(rc);
	log_close_file();
	return rc;
}
