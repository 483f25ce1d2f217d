/*
 * cmd_retry.c: `etlre retry`: a new job that reruns the hours of earlier jobs
 * that failed or never finished (all of them with --force), with the load
 * options those jobs ran with, each of which the command line may change with
 * the meaning it has for process (README "etlre retry"): --dry-run reports
 * and records nothing, --batch-mode regroups the hours into days or splits
 * days into hours. The earlier jobs record that they were retried and by
 * which job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "cli.h"
#include "exitcode.h"
#include "job.h"
#include "ledger.h"
#include "load_options.h"
#include "log.h"
#include "session.h"
#include "signals.h"

typedef struct retry_opts {
	char *ids;      /* array literal {1,2} */
	int nids;
	bool force, json;
	load_args load; /* given: on top of the options the first job ran with */
} retry_opts;

/* retry takes every load option; those not given are the job's own */
#define RETRY_LOAD_OPTIONS LOPT_ALL

enum { OPT_JOB_ID = 3000, OPT_JOB_IDS };

static const struct argp_option retry_options[] = {
	{ "job-id", OPT_JOB_ID, "N", 0, "the job to retry", 1 },
	{ "job-ids", OPT_JOB_IDS, "N,M,...", 0, "several jobs to retry as one new job", 1 },
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
		if (!cli_job_id(parts[i], &id)) {
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
	case ARGP_KEY_END:
		if (!o->ids)
			argp_error(state, "which job? give --job-id N or --job-ids N,M");
		break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* check_jobs: every job exists and none is still running; EXIT_CODE_USAGE if not */
static int check_jobs(session *s, const retry_opts *o, load_options *opts)
{
	job_row *rows;
	int n, rc = 0;

	if (!ledger_jobs_get(s->tgt, s->cfg.schema, o->ids, &rows, &n))
		return session_failure_status(s, EXIT_CODE_FAILED);
	if (n != o->nids) {
		log_error("no such job among %s", o->ids);
		rc = EXIT_CODE_USAGE;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		if (rows[i].status == JOB_RUNNING && rows[i].alive) {
			log_error("job %lld is still running (pid %d on %s): wait for it, or stop it first",
				  (long long)rows[i].job_id, rows[i].pid, rows[i].host);
			rc = EXIT_CODE_USAGE;
		}
	}
	if (rc == 0 && n > 0 && !ledger_job_options(s->tgt, s->cfg.schema, rows[0].job_id, opts))
		rc = session_failure_status(s, EXIT_CODE_FAILED);
	job_rows_free(rows, n);
	return rc;
}

/* retry_list: the hours to retry, from the ledger */
typedef struct retry_list {
	retry_item *items;
	int n;
} retry_list;

/* want_table: a session_plans filter: the tables the retried hours name */
static bool want_table(void *ctx, const char *table)
{
	const retry_list *l = ctx;

	for (int k = 0; k < l->n; k++)
		if (strcmp(l->items[k].table, table) == 0)
			return true;
	return false;
}

/* add_item: the retried window (plan p, start hour, its window_hours) as
 * items of window_hours each: a day's hours become one daily item (once per
 * table and day: the ledger lists hours in order), a day becomes 24 hourly
 * ones. last_day holds, per plan, the day of its last daily item. */
static void add_item(work_item *items, int *n, int64_t *last_day, int p, int64_t hour, int from,
		     int window_hours)
{
	if (window_hours == 24) {
		int64_t day = hour / 24 * 24;
		if (last_day[p] == day)
			return;
		last_day[p] = day;
		items[(*n)++] = (work_item){ p, day, 24 };
		return;
	}
	for (int h = 0; h < from; h++)
		items[(*n)++] = (work_item){ p, hour + h, 1 };
}

/* make_items: the work items of the retried hours, in windows of
 * window_hours; *n their number (items has room for 24 per hour); 0, or the
 * exit status (logged) */
static int make_items(session *s, const retry_opts *o, const retry_list *l, int window_hours,
		      work_item *items, int *n)
{
	int64_t *last_day = xcalloc((size_t)(s->nplans > 0 ? s->nplans : 1), sizeof(int64_t));
	int rc = 0;

	*n = 0;
	for (int i = 0; i < s->nplans; i++)
		last_day[i] = -1;
	for (int k = 0; k < l->n && rc == 0; k++) {
		int p = -1;
		int64_t hour;
		for (int i = 0; i < s->nplans; i++)
			if (strcmp(s->plans[i].cfg->name, l->items[k].table) == 0)
				p = i;
		if (p < 0) {
			log_error("table %s of job(s) %s has no [table %s] section in %s any more",
				  l->items[k].table, o->ids, l->items[k].table, s->cfg.path);
			rc = EXIT_CODE_USAGE;
		} else if (!hour_parse(l->items[k].hour, &hour)) {
			log_error("job hour '%s' is not an hour", l->items[k].hour);
			rc = EXIT_CODE_FAILED;
		} else {
			add_item(items, n, last_day, p, hour, l->items[k].window_hours == 24 ? 24 : 1,
				 window_hours);
		}
	}
	free(last_day);
	return rc;
}

int cmd_retry(int argc, char **argv)
{
	retry_opts o = { 0 };
	load_args_init(&o.load, RETRY_LOAD_OPTIONS,
		       "Load options (default: those the first of the jobs ran with):");
	const cli_child children[] = { { &o.load.argp, &o.load }, { NULL } };
	const cli_command cmd = {
		"retry", retry_options, parse_retry,
		"Rerun, as a new job, the hours of earlier jobs that failed or never finished "
		"(interrupted, killed, or stopped after too many failures).\v"
		"The new job uses the options the first of those jobs ran with (--skip-invalid,\n"
		"--max-rejects, --batch-mode, --timeout, ...); each one given here replaces the\n"
		"job's, with the meaning it has for 'etlre process': --dry-run reports what the\n"
		"retry would change and records nothing (no job, the old one not marked as\n"
		"retried); --batch-mode daily reloads the whole days of the retried hours, one\n"
		"transaction each. A job still running is refused.\n\n"
		"Exit status: 0 every hour retried loaded, 1 some hours failed again, 2 usage\n"
		"or configuration error, an unknown job or one still running, 4 a server\n"
		"cannot be reached, 130/143 interrupted by SIGINT/SIGTERM.\n\n"
		"Examples:\n"
		"  etlre retry --job-id 42\n"
		"  etlre retry --job-ids 42,43 --json\n"
		"  etlre retry --job-id 42 --force      # every hour of job 42 again\n"
		"  etlre retry --job-id 42 --timeout 600 --chunk-size 10000\n"
		"  etlre retry --job-id 42 --skip-invalid --dry-run"
	};
	load_options lo;
	session s;
	retry_list l = { NULL, 0 };
	int rc, nitems = 0;
	work_item *items = NULL;
	int64_t job_id;

	const cli_option options[] = {
		{ "force", NULL, "rerun all their hours, not only those that did not succeed", 2,
		  CLI_FLAG, &o.force },
		{ "json", NULL, "print the summary as one JSON object on stdout", 4, CLI_FLAG, &o.json },
		{ NULL }
	};

	cli_parse_command(&cmd, children, options, argc, argv, &o);
	signals_max_runtime(o.load.opts.max_runtime);
	load_options_init(&lo);
	/* the source is connected once the job's options (its timeout) are known */
	rc = session_open(&s, &(session_needs){
		.ledger = true, .grants = o.load.opts.dry_run ? PRIV_DRY_RUN : PRIV_WRITE });
	if (rc == 0)
		rc = check_jobs(&s, &o, &lo);
	if (rc != 0)
		goto out;
	load_args_override(&o.load, &lo);
	if (lo.dry_run)
		lo.jobs = 1; /* as for process: a dry run claims nothing, so one worker */
	if (!ledger_retry_items(s.tgt, s.cfg.schema, o.ids, o.force, &l.items, &l.n)) {
		rc = session_failure_status(&s, EXIT_CODE_FAILED);
		goto out;
	}
	if (l.n == 0) {
		printf("nothing to retry: every hour of job(s) %s succeeded (--force reruns them)\n",
		       o.ids);
		goto out;
	}
	if (!session_connect_with(&s, lo.timeout)) {
		rc = EXIT_CODE_UNREACHABLE;
		goto out;
	}
	rc = session_plans(&s, want_table, &l);
	items = xcalloc((size_t)l.n * 24, sizeof(*items));
	if (rc == 0)
		rc = make_items(&s, &o, &l, lo.window_hours, items, &nitems);
	if (rc != 0)
		goto out;

	job_spec spec = { .command = "retry", .load = lo, .json = o.json, .retry_of = o.ids };
	rc = job_run(&s, s.plans, s.nplans, items, nitems, &spec, &job_id);
	if (job_id > 0 && !(session_reconnect(&s, lo.timeout) &&
			    ledger_jobs_retried_by(s.tgt, s.cfg.schema, o.ids, job_id)))
		log_warn("could not record that job(s) %s were retried by job %lld", o.ids,
			 (long long)job_id);
out:
	free(items);
	retry_items_free(l.items, l.n);
	free(o.ids);
	session_close(&s);
	return rc;
}
