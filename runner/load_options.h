/*
 * load_options.h: the options that say how a job loads its hours (README
 * "Commands": process, retry, verify --repair, work). One type with its
 * defaults, its JSON form (kept with the job in etlre.jobs.options, so that
 * retry and work run with what the job ran with) and one argp child that
 * parses the subset of them a command takes.
 */
#ifndef ETLRE_LOAD_OPTIONS_H
#define ETLRE_LOAD_OPTIONS_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>

#define LOAD_DEFAULT_CHUNK_ROWS 50000
#define LOAD_DEFAULT_RETRIES 3
#define LOAD_DEFAULT_RETRY_WAIT 1.0
#define LOAD_DEFAULT_MAX_FAILURES 5
/* without --jobs (or [etlre] jobs): one worker per online CPU this process
 * may run on, at most this many (README "Scaling out") */
#define LOAD_MAX_DEFAULT_JOBS 4

typedef struct load_options {
	bool dry_run;         /* do everything, commit nothing */
	bool skip_invalid;    /* set invalid rows aside instead of failing the hour */
	int64_t max_rejects;  /* with skip_invalid: fail past this many; -1 no limit */
	int window_hours;     /* 1 (--batch-mode hourly) or 24 (daily) */
	int chunk_rows;       /* rows per COPY batch */
	int timeout;          /* statement timeout, seconds; 0 none */
	int retries;          /* extra attempts of an hour after a transient failure */
	double retry_wait;    /* first backoff, seconds; doubled each time */
	int max_failures;     /* failed hours in a row that stop the job; 0 never */
	int jobs;             /* worker processes on this host; 0 not given: the
			       * machine's default (load_jobs_default); not kept
			       * with the job */
	int max_runtime;      /* seconds before the run stops as interrupted; 0 none
			       * (this run's own, not kept with the job) */
} load_options;

/* The options, as bits: which ones a command takes, and which were given. */
enum {
	LOPT_DRY_RUN = 1 << 0,
	LOPT_SKIP_INVALID = 1 << 1,
	LOPT_MAX_REJECTS = 1 << 2,
	LOPT_BATCH_MODE = 1 << 3,
	LOPT_CHUNK_SIZE = 1 << 4,
	LOPT_TIMEOUT = 1 << 5,
	LOPT_RETRIES = 1 << 6,
	LOPT_RETRY_WAIT = 1 << 7,
	LOPT_MAX_FAILURES = 1 << 8,
	LOPT_JOBS = 1 << 9,
	LOPT_MAX_RUNTIME = 1 << 10,
	LOPT_COUNT = 11,
	LOPT_ALL = (1 << LOPT_COUNT) - 1,
};

/* load_options_init: the defaults (hourly, no limit on rejects, no timeout) */
void load_options_init(load_options *o);

/* load_jobs_machine: the CPUs this process may run on (its affinity mask,
 * so that taskset and a cgroup cpuset count; else the online CPUs), from 1
 * to LOAD_MAX_DEFAULT_JOBS */
int load_jobs_machine(void);

/* load_jobs_default: the workers of a job of nwindows windows: --jobs
 * (given > 0) as it is; else [etlre] jobs (config_jobs, 0 when unset) or
 * load_jobs_machine(), at most nwindows (no worker without a window to
 * load), at least 1 */
int load_jobs_default(int given, int config_jobs, int nwindows);

/* load_options_json: the form kept in etlre.jobs.options (every field but
 * jobs); the string is new, the caller frees it */
char *load_options_json(const load_options *o);

/* load_args: what a command hands the argp child. The command sets it up with
 * load_args_init, lists &la->argp among its argp children and passes la as
 * that child's input (state->child_inputs[i] = la on ARGP_KEY_INIT). */
typedef struct load_args {
	load_options opts;    /* the defaults, then what was given */
	unsigned accept;      /* LOPT_* bits of the options this command takes */
	unsigned given;       /* LOPT_* bits given on the command line */
	struct argp_option table[LOPT_COUNT + 2];
	struct argp argp;
} load_args;

/* load_args_init: defaults, and an argp child for the options in accept,
 * listed under header in --help (NULL: the command's own list) */
void load_args_init(load_args *la, unsigned accept, const char *header);

/* load_args_override: the options given on the command line replace those
 * in *base (retry: the job's own options, then the flags) */
void load_args_override(const load_args *la, load_options *base);

#endif
