/*
 * cmd_process.c: `etlre process`: the range's windows, day by day and table
 * by table, each loaded by load_window; after_day SQL once a day's hours of a
 * table are all loaded; the job recorded in etlre's tables; the summary.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "cli.h"
#include "exitcode.h"
#include "json.h"
#include "ledger.h"
#include "load.h"
#include "log.h"
#include "plan.h"
#include "range_args.h"
#include "rejects.h"
#include "session.h"
#include "signals.h"
#include "sqlquote.h"
#include "job.h"

typedef struct process_opts {
	range_args range;
	bool dry_run, skip_invalid, json;
	int64_t max_rejects;
	int window_hours;
	int chunk_rows;
	int timeout;
	int jobs;
	int retries;
	double retry_wait;
	int max_failures;
	const char *rejects_file;
} process_opts;

enum {
	OPT_DRY_RUN = 2000, OPT_SKIP_INVALID,
	OPT_MAX_REJECTS, OPT_BATCH_MODE, OPT_CHUNK_SIZE, OPT_TIMEOUT, OPT_JOBS, OPT_JSON,
	OPT_REJECTS_FILE, OPT_RETRIES, OPT_RETRY_WAIT, OPT_MAX_FAILURES,
};

static const struct argp_option process_options[] = {
	{ "dry-run", OPT_DRY_RUN, 0, 0, "do everything, then roll back: report what would change", 2 },
	{ "skip-invalid", OPT_SKIP_INVALID, 0, 0,
	  "set invalid rows aside in etlre's rejects table and load the rest", 2 },
	{ "max-rejects", OPT_MAX_REJECTS, "N", 0, "fail the run past N rejected rows", 2 },
	{ "rejects-file", OPT_REJECTS_FILE, "PATH", 0,
	  "also write rejected rows to PATH as gzip-compressed CSV", 2 },
	{ "batch-mode", OPT_BATCH_MODE, "MODE", 0,
	  "hourly (default: one transaction per hour) or daily", 3 },
	{ "chunk-size", OPT_CHUNK_SIZE, "ROWS", 0, "rows per COPY batch (default 50000)", 3 },
	{ "timeout", OPT_TIMEOUT, "SECONDS", 0, "statement timeout on both servers (default none)", 3 },
	{ "jobs", OPT_JOBS, "N", 0,
	  "worker processes on this host, each loading one hour at a time (default 1)", 3 },
	{ "retries", OPT_RETRIES, "N", 0,
	  "retries of an hour after a transient failure (default 3)", 3 },
	{ "retry-wait", OPT_RETRY_WAIT, "SECONDS", 0,
	  "first backoff before a retry, doubled each time, with jitter (default 1)", 3 },
	{ "max-failures", OPT_MAX_FAILURES, "N", 0,
	  "stop the job after N failed hours in a row (default 5; 0 never)", 3 },
	{ "json", OPT_JSON, 0, 0, "print the summary as one JSON object on stdout", 4 },
	{ 0 }
};

static error_t parse_process(int key, char *arg, struct argp_state *state)
{
	process_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->range;
		break;
	case OPT_DRY_RUN: o->dry_run = true; break;
	case OPT_SKIP_INVALID: o->skip_invalid = true; break;
	case OPT_JSON: o->json = true; break;
	case OPT_MAX_REJECTS:
		o->max_rejects = cli_parse_count(state, "--max-rejects", arg, 0, INT64_MAX);
		break;
	case OPT_REJECTS_FILE: o->rejects_file = arg; break;
	case OPT_BATCH_MODE:
		if (strcmp(arg, "hourly") == 0)
			o->window_hours = 1;
		else if (strcmp(arg, "daily") == 0)
			o->window_hours = 24;
		else
			argp_error(state, "--batch-mode must be hourly or daily, not '%s'", arg);
		break;
	case OPT_CHUNK_SIZE:
		o->chunk_rows = (int)cli_parse_count(state, "--chunk-size", arg, 1, 10000000);
		break;
	case OPT_TIMEOUT:
		o->timeout = (int)cli_parse_count(state, "--timeout", arg, 1, 86400);
		break;
	case OPT_JOBS:
		o->jobs = (int)cli_parse_count(state, "--jobs", arg, 1, 64);
		break;
	case OPT_RETRIES:
		o->retries = (int)cli_parse_count(state, "--retries", arg, 0, 100);
		break;
	case OPT_RETRY_WAIT:
		o->retry_wait = (double)cli_parse_count(state, "--retry-wait", arg, 0, 3600);
		break;
	case OPT_MAX_FAILURES:
		o->max_failures = (int)cli_parse_count(state, "--max-failures", arg, 0, 1000000);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (o->rejects_file && o->jobs > 1)
			argp_error(state, "--rejects-file works with --jobs 1 only; the rejects of "
					  "every worker are in etlre.rejects");
		if (o->rejects_file && !o->skip_invalid)
			argp_error(state, "--rejects-file needs --skip-invalid");
		if (o->max_rejects >= 0 && !o->skip_invalid)
			argp_error(state, "--max-rejects needs --skip-invalid");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_process(int argc, char **argv)
{
	process_opts o = { .max_rejects = -1, .window_hours = 1, .chunk_rows = 50000, .jobs = 1,
			   .retries = 3, .retry_wait = 1, .max_failures = 5 };
	const struct argp_child children[] = { { &range_argp, 0, NULL, 0 }, global_argp_children[0],
					       { 0 } };
	struct argp argp = {
		process_options, parse_process, NULL,
		"Extract, validate, load and count-check every hour of a range of days.\v"
		"Each hour is one target transaction: its rows are deleted, the source rows\n"
		"are streamed in with COPY, counts are checked, and the hour is committed, so\n"
		"a rerun gives the same result and a failure leaves the hour as it was.\n\n"
		"Exit status: 0 every hour loaded (rows set aside by --skip-invalid included),\n"
		"1 some hours failed or more rows were rejected than --max-rejects allows,\n"
		"2 usage or configuration error (nothing read or written), 4 a server cannot\n"
		"be reached, 130/143 interrupted by SIGINT/SIGTERM (the hour rolled back).\n\n"
		"Examples:\n"
		"  etlre process --date 2025-11-02\n"
		"  etlre process --start-date 2025-11-01 --end-date 2025-11-07 --skip-invalid\n"
		"  etlre process --date 2025-11-02 --table calls --dry-run --json\n"
		"  etlre process --date 2025-11-02 --skip-invalid --rejects-file rejects.csv.gz",
		children, NULL, NULL
	};
	session s;
	table_plan *plans = NULL;
	work_item *items = NULL;
	int nplans = 0, nitems = 0, rc;
	int64_t job_id;
	char *rejects_path = NULL; /* --rejects-file under [etlre] rejects_dir */

	cli_parse_command(&argp, argc, argv, "process", &o);
	rc = session_load_config(&s, cli_global());
	if (rc == 0)
		rc = session_check_range(&s, o.range.first, o.range.last);
	if (rc == 0 && !range_args_check_tables(&o.range, &s.cfg))
		rc = EXIT_CODE_USAGE;
	if (rc == 0 && o.rejects_file && o.rejects_file[0] != '/' && s.cfg.rejects_dir)
		rejects_path = xasprintf("%s/%s", s.cfg.rejects_dir, o.rejects_file);
	if (rc == 0)
		rc = session_connect(&s, true, o.timeout);
	if (rc != 0)
		goto out;

	plans = xcalloc((size_t)s.cfg.ntables, sizeof(*plans));
	for (int i = 0; i < s.cfg.ntables; i++) {
		if (!range_args_wanted(&o.range, s.cfg.tables[i].name))
			continue;
		if (!plan_build(s.src, s.tgt, &s.cfg.tables[i], &plans[nplans])) {
			plan_release(&plans[nplans]);
			rc = EXIT_CODE_USAGE;
			goto out;
		}
		nplans++;
	}
	if (!o.dry_run && !ledger_check_version(s.tgt, s.cfg.schema)) {
		rc = EXIT_CODE_USAGE;
		goto out;
	}

	/* day by day; within a day table by table, hour by hour */
	int64_t first = date_to_days(o.range.first), last = date_to_days(o.range.last);
	items = xcalloc((size_t)((last - first + 1) * nplans * (24 / o.window_hours)), sizeof(*items));
	for (int64_t day = first; day <= last; day++)
		for (int t = 0; t < nplans; t++)
			for (int h = 0; h < 24; h += o.window_hours)
				items[nitems++] = (work_item){ t, day * 24 + h, o.window_hours };

	job_spec spec = { .command = "process", .dry_run = o.dry_run,
			  .skip_invalid = o.skip_invalid, .json = o.json,
			  .max_rejects = o.max_rejects, .chunk_rows = o.chunk_rows,
			  .timeout = o.timeout, .retries = o.retries, .retry_wait = o.retry_wait,
			  .max_failures = o.max_failures, .jobs = o.dry_run ? 1 : o.jobs,
			  .rejects_file = rejects_path ? rejects_path : o.rejects_file };
	rc = job_run(&s, plans, nplans, items, nitems, &spec, &job_id);
out:
	for (int i = 0; i < nplans; i++)
		plan_release(&plans[i]);
	free(plans);
	free(items);
	free(rejects_path);
	range_args_release(&o.range);
	session_close(&s);
	return rc;
}
