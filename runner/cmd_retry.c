/*
 * cmd_retry.c: `etlre retry`: a new job that reruns the hours of earlier jobs
 * that failed or never finished (all of them with --force), with the load
 * options those jobs ran with. The earlier jobs record that they were retried
 * and by which job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "cli.h"
#include "exitcode.h"
#include "job.h"
#include "ledger.h"
#include "log.h"
#include "session.h"

typedef struct retry_opts {
	char *ids;      /* array literal {1,2} */
	int nids;
	bool force, json;
	bool skip_invalid;   /* --skip-invalid: on top of the original options */
	int64_t max_rejects; /* -1: the original's */
	int jobs;
} retry_opts;

enum { OPT_JOB_ID = 3000, OPT_JOB_IDS, OPT_FORCE, OPT_JSON, OPT_SKIP_INVALID, OPT_MAX_REJECTS,
       OPT_JOBS };

static const struct argp_option retry_options[] = {
	{ "job-id", OPT_JOB_ID, "N", 0, "the job to retry", 1 },
	{ "job-ids", OPT_JOB_IDS, "N,M,...", 0, "several jobs to retry as one new job", 1 },
	{ "force", OPT_FORCE, 0, 0, "rerun all their hours, not only those that did not succeed", 2 },
	{ "skip-invalid", OPT_SKIP_INVALID, 0, 0,
	  "set invalid rows aside into etlre's rejects table, even if the original run did not", 2 },
	{ "max-rejects", OPT_MAX_REJECTS, "N", 0,
	  "with --skip-invalid, fail when more than N rows are rejected (default: the original "
	  "run's limit)", 2 },
	{ "jobs", OPT_JOBS, "N", 0, "load with N worker processes on this host (default 1)", 2 },
	{ "json", OPT_JSON, 0, 0, "print the summary as one JSON object on stdout", 2 },
	{ 0 }
};

static void add_ids(struct argp_state *state, retry_opts *o, const char *arg)
{
	char **parts;
	int n = str_split(arg, ',', &parts);
	strbuf sb;

	if (o->ids)
		argp_error(state, "give --job-id or --job-ids once");
	if (n == 0)
		argp_error(state, "no job id in '%s'", arg);
	sb_init(&sb, 64);
	sb_addc(&sb, '{');
	for (int i = 0; i < n; i++) {
		int64_t id;
		if (!str_to_int64(parts[i], &id) || id <= 0 || id > INT32_MAX) {
			str_list_free(parts, n);
			sb_release(&sb);
			argp_error(state, "'%s' is not a job id", arg);
			return;
		}
		sb_addf(&sb, "%s%lld", i ? "," : "", (long long)id);
	}
	sb_addc(&sb, '}');
	str_list_free(parts, n);
	o->ids = sb_detach(&sb);
	o->nids = n;
}

static error_t parse_retry(int key, char *arg, struct argp_state *state)
{
	retry_opts *o = state->input;

	switch (key) {
	case OPT_JOB_ID:
		if (strchr(arg, ','))
			argp_error(state, "--job-id takes one id; use --job-ids for several");
		add_ids(state, o, arg);
		break;
	case OPT_JOB_IDS: add_ids(state, o, arg); break;
	case OPT_FORCE: o->force = true; break;
	case OPT_JSON: o->json = true; break;
	case OPT_SKIP_INVALID: o->skip_invalid = true; break;
	case OPT_MAX_REJECTS:
		o->max_rejects = cli_parse_count(state, "--max-rejects", arg, 0, INT64_MAX);
		break;
	case OPT_JOBS: o->jobs = (int)cli_parse_count(state, "--jobs", arg, 1, 64); break;
	case ARGP_KEY_ARG: argp_error(state, "unexpected argument '%s'", arg); break;
	case ARGP_KEY_END:
		if (!o->ids)
			argp_error(state, "which job? give --job-id N or --job-ids N,M");
		break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* check_jobs: every job exists and none is still running; EXIT_CODE_USAGE if not */
static int check_jobs(session *s, const retry_opts *o, stored_options *opts)
{
	job_row *rows;
	int n, rc = 0;

	if (!ledger_jobs_get(s->tgt, s->cfg.schema, o->ids, &rows, &n))
		return EXIT_CODE_FAILED;
	if (n != o->nids) {
		log_error("no such job among %s", o->ids);
		rc = EXIT_CODE_USAGE;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		if (strcmp(rows[i].status, "running") == 0 && rows[i].alive) {
			log_error("job %lld is still running (pid %d on %s): wait for it, or stop it first",
				  (long long)rows[i].job_id, rows[i].pid, rows[i].host);
			rc = EXIT_CODE_USAGE;
		}
	}
	if (rc == 0 && n > 0 && !ledger_job_options(s->tgt, s->cfg.schema, rows[0].job_id, opts))
		rc = EXIT_CODE_FAILED;
	job_rows_free(rows, n);
	return rc;
}

int cmd_retry(int argc, char **argv)
{
	retry_opts o = { .max_rejects = -1, .jobs = 1 };
	struct argp argp = {
		retry_options, parse_retry, NULL,
		"Rerun, as a new job, the hours of earlier jobs that failed or never finished "
		"(interrupted, killed, or stopped after too many failures).\v"
		"The new job uses the options the first of those jobs ran with (--skip-invalid,\n"
		"--max-rejects, --batch-mode, --timeout, ...). A job still running is refused.\n\n"
		"Exit status: 0 every hour retried loaded, 1 some hours failed again, 2 usage\n"
		"or configuration error, an unknown job or one still running, 4 a server\n"
		"cannot be reached, 130/143 interrupted by SIGINT/SIGTERM.\n\n"
		"Examples:\n"
		"  etlre retry --job-id 42\n"
		"  etlre retry --job-ids 42,43 --json\n"
		"  etlre retry --job-id 42 --force      # every hour of job 42 again",
		global_argp_children, NULL, NULL
	};
	stored_options so = { false, -1, 50000, 0, 3, 5, 1.0 };
	session s;
	retry_item *ri = NULL;
	int nri = 0, nplans = 0, rc;
	table_plan *plans = NULL;
	work_item *items = NULL;
	int64_t job_id;

	cli_parse_command(&argp, argc, argv, "retry", &o);
	rc = session_load_config(&s, cli_global());
	if (rc == 0)
		rc = session_connect(&s, true, 0);
	if (rc != 0)
		goto out;
	if (!ledger_check_version(s.tgt, s.cfg.schema)) {
		rc = EXIT_CODE_USAGE;
		goto out;
	}
	rc = check_jobs(&s, &o, &so);
	if (rc != 0)
		goto out;
	if (!ledger_retry_items(s.tgt, s.cfg.schema, o.ids, o.force, &ri, &nri)) {
		rc = EXIT_CODE_FAILED;
		goto out;
	}
	if (nri == 0) {
		printf("nothing to retry: every hour of job(s) %s succeeded (--force reruns them)\n",
		       o.ids);
		goto out;
	}

	/* one plan per table the hours name, in config order */
	plans = xcalloc((size_t)s.cfg.ntables, sizeof(*plans));
	items = xcalloc((size_t)nri, sizeof(*items));
	for (int i = 0; i < s.cfg.ntables; i++) {
		bool used = false;
		for (int k = 0; k < nri && !used; k++)
			used = strcmp(ri[k].table, s.cfg.tables[i].name) == 0;
		if (!used)
			continue;
		if (!plan_build(s.src, s.tgt, &s.cfg.tables[i], &plans[nplans])) {
			plan_release(&plans[nplans]);
			rc = EXIT_CODE_USAGE;
			goto out;
		}
		nplans++;
	}
	for (int k = 0; k < nri; k++) {
		int p = -1;
		for (int i = 0; i < nplans; i++)
			if (strcmp(plans[i].cfg->name, ri[k].table) == 0)
				p = i;
		if (p < 0) {
			log_error("table %s of job(s) %s has no [table %s] section in %s any more",
				  ri[k].table, o.ids, ri[k].table, s.cfg.path);
			rc = EXIT_CODE_USAGE;
			goto out;
		}
		if (!hour_parse(ri[k].hour, &items[k].hour)) {
			log_error("job hour '%s' is not an hour", ri[k].hour);
			rc = EXIT_CODE_FAILED;
			goto out;
		}
		items[k].plan = p;
		items[k].window_hours = ri[k].window_hours == 24 ? 24 : 1;
	}

	job_spec spec = { .command = "retry", .skip_invalid = so.skip_invalid || o.skip_invalid,
			  .json = o.json,
			  .max_rejects = o.max_rejects >= 0 ? o.max_rejects : so.max_rejects,
			  .chunk_rows = so.chunk_rows, .timeout = so.timeout, .retries = so.retries,
			  .retry_wait = so.retry_wait, .max_failures = so.max_failures, .jobs = o.jobs,
			  .retry_of = o.ids };
	rc = job_run(&s, plans, nplans, items, nri, &spec, &job_id);
	if (job_id > 0 && !(session_reconnect(&s, so.timeout) &&
			    ledger_jobs_retried_by(s.tgt, s.cfg.schema, o.ids, job_id)))
		log_warn("could not record that job(s) %s were retried by job %lld", o.ids,
			 (long long)job_id);
out:
	for (int i = 0; i < nplans; i++)
		plan_release(&plans[i]);
	free(plans);
	free(items);
	retry_items_free(ri, nri);
	free(o.ids);
	session_close(&s);
	return rc;
}
