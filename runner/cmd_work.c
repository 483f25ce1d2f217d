/*
 * cmd_work.c: `etlre work --job-id N`: joins a running job as one more
 * worker, from this host or another one with the same configuration. Hours
 * are claimed from etlre's tables one at a time, so any number of workers
 * share one backfill and no hour is loaded by two of them at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exitcode.h"
#include "job.h"
#include "ledger.h"
#include "load_options.h"
#include "log.h"
#include "session.h"
#include "signals.h"

typedef struct work_opts {
	int64_t job_id;
	bool json;
	load_args load; /* --max-runtime */
} work_opts;

/* parse_work: a job to join is required */
static error_t parse_work(int key, char *arg, struct argp_state *state)
{
	const work_opts *o = state->input;

	(void)arg;
	if (key != ARGP_KEY_END)
		return ARGP_ERR_UNKNOWN;
	if (!o->job_id)
		argp_error(state, "which job? give --job-id N");
	return 0;
}

int cmd_work(int argc, char **argv)
{
	work_opts o = { 0 };
	load_args_init(&o.load, LOPT_MAX_RUNTIME, NULL);
	const cli_child children[] = { { &o.load.argp, &o.load }, { NULL } };
	const cli_command cmd = {
		"work", NULL, parse_work,
		"Join a running job as one more worker: claim its pending hours one at a "
		"time and load them, until none is left.\v"
		"Start the job on one host (etlre process ... &, or with --jobs N), note its\n"
		"job id, and run this on as many other hosts as you like, each with the same\n"
		"configuration. A worker that dies leaves its hour to be claimed again by\n"
		"another one. The job's options (--skip-invalid, --timeout, ...) apply.\n"
		"This is always one worker, whatever the machine's cores: --jobs and\n"
		"[etlre] jobs are the starting host's.\n\n"
		"Exit status: 0 this worker's hours loaded (or none was left), 1 some of them\n"
		"failed, 2 usage or configuration error or no such job running, 4 a server\n"
		"cannot be reached, 130/143 interrupted by SIGINT/SIGTERM.\n\n"
		"Examples:\n"
		"  etlre work --job-id 42\n"
		"  etlre work --job-id 42 --json\n"
		"  etlre work --job-id 42 --max-runtime 6h"
	};
	load_options lo;
	session s;
	int rc;
	job_row *rows = NULL;
	int nrows = 0;
	char ids[32];

	const cli_option options[] = {
		{ "job-id", "N", "the running job to join", 1, CLI_JOB_ID, &o.job_id },
		{ "json", NULL, "print what this worker did as one JSON object", 2, CLI_FLAG, &o.json },
		{ NULL }
	};

	cli_parse_command(&cmd, children, options, argc, argv, &o);
	signals_max_runtime(o.load.opts.max_runtime);
	snprintf(ids, sizeof(ids), "{%lld}", (long long)o.job_id);
	load_options_init(&lo);
	rc = session_open(&s, &(session_needs){ .ledger = true, .grants = PRIV_WRITE });
	if (rc != 0)
		goto out;
	if (!ledger_jobs_get(s.tgt, s.cfg.schema, ids, &rows, &nrows) ||
	    !ledger_job_options(s.tgt, s.cfg.schema, o.job_id, &lo)) {
		rc = session_failure_status(&s, EXIT_CODE_FAILED);
		goto out;
	}
	if (nrows == 0) {
		log_error("no job %lld", (long long)o.job_id);
		rc = EXIT_CODE_USAGE;
		goto out;
	}
	if (rows[0].status != JOB_RUNNING) {
		log_error("job %lld is %s, not running: nothing to join (etlre retry reruns its "
			  "unfinished hours)",
			  (long long)o.job_id, job_status_name(rows[0].status));
		rc = EXIT_CODE_USAGE;
		goto out;
	}
	if (!session_connect_with(&s, lo.timeout)) {
		rc = EXIT_CODE_UNREACHABLE;
		goto out;
	}
	rc = session_plans(&s, NULL, NULL);
	if (rc != 0)
		goto out;
	lo.jobs = 1;
	job_spec spec = { .command = "work", .load = lo, .json = o.json };
	rc = job_work(&s, s.plans, s.nplans, o.job_id, &spec);
out:
	job_rows_free(rows, nrows);
	session_close(&s);
	return rc;
}
