/*
 * cli.h: the command line: global options, the command table, and the
 * helpers commands share to parse their own options with argp. Commands
 * return an exit status (exitcode.h); only main() exits.
 */
#ifndef ETLRE_CLI_H
#define ETLRE_CLI_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"

typedef struct global_opts {
	const char *config;
	log_level level;
	log_format format;
	bool quiet;
	double progress_interval; /* seconds between plain progress lines; 0 none */
} global_opts;

/* cli_child: an argp child of a command (range_args, load_args) and the
 * input its parser fills */
typedef struct cli_child {
	const struct argp *argp;
	void *input;
} cli_child;

#define CLI_MAX_CHILDREN 4

/* cli_duration: a duration option's value: its seconds and the text given
 * (0 and NULL when not given) */
typedef struct cli_duration {
	int64_t seconds;
	const char *text;
} cli_duration;

/* cli_option_kind: what a cli_option's value points to */
typedef enum {
	CLI_FLAG,     /* a bool, set true; the option takes no argument */
	CLI_STRING,   /* a const char *, the argument as given */
	CLI_DURATION, /* a cli_duration (90m, 36h, 2d; else a usage error) */
	CLI_JOB_ID,   /* an int64_t, a job id (cli_job_id; else a usage error) */
} cli_option_kind;

/* cli_option: one of a command's options declared as data, which
 * cli_parse_command lists in --help (as an argp_option row with this name,
 * argument name, doc and group would be) and sets; given twice: a usage
 * error */
typedef struct cli_option {
	const char *name; /* "json" for --json */
	const char *arg;  /* the argument's name in --help; NULL for a flag */
	const char *doc;
	int group;
	cli_option_kind kind;
	void *value;
} cli_option;

#define CLI_MAX_OPTIONS 8

/*
 * cli_command: what a command declares for cli_parse_command: its name, its
 * own options and parser (the parser may be NULL) and the --help text. The
 * prologue common to every command is cli_parse_command's: each child is
 * handed its input, the options declared as data are set, and a non-option argument the
 * command's parser does not take is a usage error.
 */
typedef struct cli_command {
	const char *name; /* "process": messages say "etlre process" */
	const struct argp_option *options;
	argp_parser_t parser;
	const char *doc;
} cli_command;

/* cli_parse_command: parses a command's options with argp (argv[0] is the
 * command name) into input; children (NULL, or up to CLI_MAX_CHILDREN ended
 * by { NULL }) are listed before the global options and parse into their own
 * inputs; options (NULL, or up to CLI_MAX_OPTIONS ended by { NULL }) are
 * the command's options declared as data. Usage errors exit 2 from inside
 * argp. */
void cli_parse_command(const cli_command *cmd, const cli_child *children,
		       const cli_option *options, int argc, char **argv, void *input);
/* cli_parse_count: arg as a whole number in [min, max], or a usage error
 * naming flag (exits 2 from inside argp) */
int64_t cli_parse_count(struct argp_state *state, const char *flag, const char *arg, int64_t min,
			int64_t max);
/* cli_parse_duration: arg as a duration (duration_parse: 90m, 36h, 2d) in
 * seconds, or a usage error naming flag (exits 2 from inside argp) */
int64_t cli_parse_duration(struct argp_state *state, const char *flag, const char *arg);
/* cli_job_id: whether s is a job id as retry and work take it (a whole
 * number from 1 to INT32_MAX), into *id */
bool cli_job_id(const char *s, int64_t *id);
/* cli_apply_globals: sets up logging from the global options */
void cli_apply_globals(global_opts *g);
/* cli_global: the global options being filled (for command parsers' children) */
global_opts *cli_global(void);

int cli_main(int argc, char **argv);

int cmd_init(int argc, char **argv);
int cmd_process(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_retry(int argc, char **argv);
int cmd_work(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_ddl(int argc, char **argv);

#endif
