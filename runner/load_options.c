/*
 * load_options.c: the load options' defaults, JSON form and argp child (see
 * load_options.h). The option table below is the one list of them: a
 * command's --help, its parser and the repeated-option check all read it.
 */
#include "load_options.h"

#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "util.h"

enum { KEY_BASE = 2500 };

/* one row per LOPT_* bit, in bit order */
static const struct argp_option all_options[LOPT_COUNT] = {
	{ "dry-run", KEY_BASE + 0, 0, 0, "do everything, then roll back: report what would change",
	  2 },
	{ "skip-invalid", KEY_BASE + 1, 0, 0,
	  "set invalid rows aside in etlre's rejects table and load the rest", 2 },
	{ "max-rejects", KEY_BASE + 2, "N", 0, "with --skip-invalid: fail the run past N rejected rows",
	  2 },
	{ "batch-mode", KEY_BASE + 3, "MODE", 0,
	  "hourly (default: one transaction per hour) or daily", 3 },
	{ "chunk-size", KEY_BASE + 4, "ROWS", 0, "rows per COPY batch (default 50000)", 3 },
	{ "timeout", KEY_BASE + 5, "SECONDS", 0,
	  "statement timeout on both servers; no answer within SECONDS + 5 closes the connection "
	  "(default: none, and [etlre] network_timeout, 300 s, bounds every wait)", 3 },
	{ "retries", KEY_BASE + 6, "N", 0, "retries of an hour after a transient failure (default 3)",
	  3 },
	{ "retry-wait", KEY_BASE + 7, "SECONDS", 0,
	  "first backoff before a retry, doubled each time, with jitter (default 1)", 3 },
	{ "max-failures", KEY_BASE + 8, "N", 0,
	  "stop the job after N failed hours in a row, each worker counting its own (default 5; "
	  "0 never)", 3 },
	{ "jobs", KEY_BASE + 9, "N", 0,
	  "worker processes on this host, each loading one hour at a time (default: the machine's "
	  "cores, at most 4 and at most one per hour of the job, or [etlre] jobs; 1 with --dry-run "
	  "or --rejects-file)", 3 },
	{ "max-runtime", KEY_BASE + 10, "DURATION", 0,
	  "stop after DURATION (90m, 6h, 1d) as if interrupted: the hour in progress rolls back, "
	  "the others stay pending for etlre retry; exit 143", 3 },
};

/* where each option's value goes, one row per LOPT_* bit, in bit order: a
 * flag (true when given), a whole number in [min, max] stored as an int, an
 * int64_t or a double, or a value set_option parses itself */
typedef enum { FIELD_FLAG, FIELD_INT, FIELD_INT64, FIELD_DOUBLE, FIELD_OWN } field_type;

static const struct load_field {
	size_t offset; /* in load_options */
	field_type type;
	int64_t min, max;
} fields[LOPT_COUNT] = {
	{ offsetof(load_options, dry_run), FIELD_FLAG, 0, 0 },
	{ offsetof(load_options, skip_invalid), FIELD_FLAG, 0, 0 },
	{ offsetof(load_options, max_rejects), FIELD_INT64, 0, INT64_MAX },
	{ offsetof(load_options, window_hours), FIELD_OWN, 0, 0 },
	{ offsetof(load_options, chunk_rows), FIELD_INT, 1, 10000000 },
	{ offsetof(load_options, timeout), FIELD_INT, 1, 86400 },
	{ offsetof(load_options, retries), FIELD_INT, 0, 100 },
	{ offsetof(load_options, retry_wait), FIELD_DOUBLE, 0, 3600 },
	{ offsetof(load_options, max_failures), FIELD_INT, 0, 1000000 },
	{ offsetof(load_options, jobs), FIELD_INT, 1, MAX_JOBS },
	{ offsetof(load_options, max_runtime), FIELD_OWN, 0, 0 },
};

void load_options_init(load_options *o)
{
	*o = (load_options){ .max_rejects = -1, .window_hours = 1,
			     .chunk_rows = LOAD_DEFAULT_CHUNK_ROWS, .retries = LOAD_DEFAULT_RETRIES,
			     .retry_wait = LOAD_DEFAULT_RETRY_WAIT,
			     .max_failures = LOAD_DEFAULT_MAX_FAILURES };
}

int load_jobs_machine(void)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		n = n > 0 && n < CPU_COUNT(&set) ? n : CPU_COUNT(&set);
	if (n < 1)
		return 1;
	return n > LOAD_MAX_DEFAULT_JOBS ? LOAD_MAX_DEFAULT_JOBS : (int)n;
}

int load_jobs_default(int given, int config_jobs, int nwindows)
{
	int n;

	if (given > 0)
		return given;
	n = config_jobs > 0 ? config_jobs : load_jobs_machine();
	if (n > nwindows)
		n = nwindows;
	return n < 1 ? 1 : n;
}

char *load_options_json(const load_options *o)
{
	return xasprintf("{\"dry_run\":%s,\"skip_invalid\":%s,\"max_rejects\":%lld,"
			 "\"batch_mode\":\"%s\",\"chunk_size\":%d,\"timeout\":%d,\"retries\":%d,"
			 "\"retry_wait\":%g,\"max_failures\":%d}",
			 o->dry_run ? "true" : "false", o->skip_invalid ? "true" : "false",
			 (long long)o->max_rejects, o->window_hours == 24 ? "daily" : "hourly",
			 o->chunk_rows, o->timeout, o->retries, o->retry_wait, o->max_failures);
}

/* set_own: --batch-mode and --max-runtime into o; usage errors exit 2 from
 * inside argp */
static void set_own(struct argp_state *state, load_options *o, unsigned bit, const char *arg)
{
	int64_t secs;

	if (bit == LOPT_BATCH_MODE) {
		if (strcmp(arg, "hourly") == 0)
			o->window_hours = 1;
		else if (strcmp(arg, "daily") == 0)
			o->window_hours = 24;
		else
			argp_error(state, "--batch-mode must be hourly or daily, not '%s'", arg);
		return;
	}
	/* --max-runtime: alarm() takes an unsigned int of seconds: a year is plenty */
	if (!duration_parse(arg, &secs) || secs > 366 * 86400)
		argp_error(state, "--max-runtime must be a whole number and s, m, h, d or w "
			   "(90m, 6h, 1d), at most a year, not '%s'", arg);
	o->max_runtime = (int)secs;
}

/* set_option: parses option i (its LOPT_* bit is 1 << i) into la->opts as
 * fields[i] says; usage errors exit 2 from inside argp */
static void set_option(struct argp_state *state, load_args *la, int i, const char *arg)
{
	const struct load_field *f = &fields[i];
	char *field = (char *)&la->opts + f->offset;
	char flag[32];
	int64_t v = 0;

	snprintf(flag, sizeof(flag), "--%s", all_options[i].name);
	if (f->type == FIELD_INT || f->type == FIELD_INT64 || f->type == FIELD_DOUBLE)
		v = cli_parse_count(state, flag, arg, f->min, f->max);
	switch (f->type) {
	case FIELD_FLAG: *(bool *)field = true; break;
	case FIELD_INT: *(int *)field = (int)v; break;
	case FIELD_INT64: *(int64_t *)field = v; break;
	case FIELD_DOUBLE: *(double *)field = (double)v; break;
	case FIELD_OWN: set_own(state, &la->opts, 1u << i, arg); break;
	}
}

static error_t parse_load(int key, char *arg, struct argp_state *state)
{
	load_args *la = state->input;
	int i = key - KEY_BASE;

	if (i < 0 || i >= LOPT_COUNT || !(la->accept & (1u << i)))
		return ARGP_ERR_UNKNOWN;
	if (la->given & (1u << i))
		argp_error(state, "--%s given twice", all_options[i].name);
	la->given |= 1u << i;
	set_option(state, la, i, arg);
	return 0;
}

void load_args_init(load_args *la, unsigned accept, const char *header)
{
	int n = 0;

	memset(la, 0, sizeof(*la));
	load_options_init(&la->opts);
	la->accept = accept;
	if (header)
		la->table[n++] = (struct argp_option){ NULL, 0, NULL, 0, header, 3 };
	for (int i = 0; i < LOPT_COUNT; i++) {
		if (!(accept & (1u << i)))
			continue;
		la->table[n] = all_options[i];
		if (header)
			la->table[n].group = 0; /* all under the header */
		n++;
	}
	la->argp = (struct argp){ la->table, parse_load, NULL, NULL, NULL, NULL, NULL };
}

/* field_size: the bytes of an option's field */
static size_t field_size(field_type type)
{
	switch (type) {
	case FIELD_FLAG: return sizeof(bool);
	case FIELD_INT64: return sizeof(int64_t);
	case FIELD_DOUBLE: return sizeof(double);
	default: return sizeof(int);
	}
}

void load_args_override(const load_args *la, load_options *base)
{
	for (int i = 0; i < LOPT_COUNT; i++) {
		const struct load_field *f = &fields[i];
		if (la->given & (1u << i))
			memcpy((char *)base + f->offset, (const char *)&la->opts + f->offset,
			       field_size(f->type));
	}
	base->jobs = la->opts.jobs; /* never kept with a job: this run's own */
	base->max_runtime = la->opts.max_runtime;
}
