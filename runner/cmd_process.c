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
#include "rejects.h"
#include "session.h"
#include "signals.h"
#include "sqlquote.h"
#include "summary.h"

typedef struct process_opts {
	const char *date, *start_date, *end_date;
	civil_date first, last;
	const char **tables;
	int ntables;
	bool dry_run, skip_invalid, json;
	int64_t max_rejects;
	int window_hours;
	int chunk_rows;
	int timeout;
	int jobs;
	const char *rejects_file;
} process_opts;

enum {
	OPT_DATE = 2000, OPT_START, OPT_END, OPT_TABLE, OPT_DRY_RUN, OPT_SKIP_INVALID,
	OPT_MAX_REJECTS, OPT_BATCH_MODE, OPT_CHUNK_SIZE, OPT_TIMEOUT, OPT_JOBS, OPT_JSON,
	OPT_REJECTS_FILE,
};

#define MAX_RANGE_DAYS 3660

static const struct argp_option process_options[] = {
	{ "date", OPT_DATE, "DATE", 0, "one day, YYYY-MM-DD", 1 },
	{ "start-date", OPT_START, "DATE", 0, "first day of the range, YYYY-MM-DD", 1 },
	{ "end-date", OPT_END, "DATE", 0, "last day of the range (inclusive)", 1 },
	{ "table", OPT_TABLE, "NAME", 0, "only this [table NAME] (repeatable; default: all)", 2 },
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
	{ "jobs", OPT_JOBS, "N", 0, "parallel workers (only 1 for now)", 3 },
	{ "json", OPT_JSON, 0, 0, "print the summary as one JSON object on stdout", 4 },
	{ 0 }
};

static int64_t parse_count(struct argp_state *state, const char *flag, const char *arg,
			   int64_t min, int64_t max)
{
	int64_t v;
	if (!str_to_int64(arg, &v) || v < min || v > max)
		argp_error(state, "%s must be a whole number between %lld and %lld, not '%s'", flag,
			   (long long)min, (long long)max, arg);
	return v;
}

static void parse_date_arg(struct argp_state *state, const char *flag, const char *arg,
			   civil_date *out)
{
	if (!date_parse(arg, out))
		argp_error(state, "%s '%s' is not a valid date: expected YYYY-MM-DD, a real calendar day",
			   flag, arg);
}

static error_t parse_process(int key, char *arg, struct argp_state *state)
{
	process_opts *o = state->input;

	switch (key) {
	case OPT_DATE:
		if (o->date)
			argp_error(state, "--date given twice");
		o->date = arg;
		break;
	case OPT_START:
		if (o->start_date)
			argp_error(state, "--start-date given twice");
		o->start_date = arg;
		break;
	case OPT_END:
		if (o->end_date)
			argp_error(state, "--end-date given twice");
		o->end_date = arg;
		break;
	case OPT_TABLE:
		o->tables = xrealloc(o->tables, sizeof(char *) * (size_t)(o->ntables + 1));
		o->tables[o->ntables++] = arg;
		break;
	case OPT_DRY_RUN: o->dry_run = true; break;
	case OPT_SKIP_INVALID: o->skip_invalid = true; break;
	case OPT_JSON: o->json = true; break;
	case OPT_MAX_REJECTS:
		o->max_rejects = parse_count(state, "--max-rejects", arg, 0, INT64_MAX);
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
		o->chunk_rows = (int)parse_count(state, "--chunk-size", arg, 1, 10000000);
		break;
	case OPT_TIMEOUT:
		o->timeout = (int)parse_count(state, "--timeout", arg, 1, 86400);
		break;
	case OPT_JOBS:
		o->jobs = (int)parse_count(state, "--jobs", arg, 1, 256);
		if (o->jobs > 1)
			argp_error(state, "--jobs %d: parallel workers are not implemented yet; use --jobs 1",
				   o->jobs);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (o->date && (o->start_date || o->end_date))
			argp_error(state, "give either --date or --start-date/--end-date, not both");
		if (o->date) {
			parse_date_arg(state, "--date", o->date, &o->first);
			o->last = o->first;
		} else if (o->start_date && o->end_date) {
			parse_date_arg(state, "--start-date", o->start_date, &o->first);
			parse_date_arg(state, "--end-date", o->end_date, &o->last);
			if (date_to_days(o->last) < date_to_days(o->first))
				argp_error(state, "--end-date %s is before --start-date %s", o->end_date,
					   o->start_date);
			if (date_to_days(o->last) - date_to_days(o->first) + 1 > MAX_RANGE_DAYS)
				argp_error(state, "the range is longer than %d days; split it", MAX_RANGE_DAYS);
		} else if (o->start_date || o->end_date) {
			argp_error(state, "--start-date and --end-date go together");
		} else {
			argp_error(state, "which days? give --date D or --start-date D --end-date D");
		}
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

/* run_after_day: the table's after_day SQL for one day, in one transaction */
static bool run_after_day(tgt_conn *tgt, const table_config *t, const char *day)
{
	FILE *f = fopen(t->after_day, "r");
	strbuf file, sql, lit;
	char buf[4096];
	size_t n;
	bool ok;

	if (!f) {
		log_error("table %s: cannot read after_day file '%s': %s", t->name, t->after_day,
			  strerror(errno));
		return false;
	}
	sb_init(&file, 4096);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&file, buf, n);
	fclose(f);

	/* :day becomes DATE 'YYYY-MM-DD' wherever it stands as a whole token */
	sb_init(&lit, 32);
	sb_adds(&lit, "DATE ");
	quote_pg_literal(&lit, day);
	sb_init(&sql, file.len + 256);
	for (size_t i = 0; i < file.len; i++) {
		const char *p = file.buf + i;
		bool token = strncmp(p, ":day", 4) == 0 && (i == 0 || p[-1] != ':') &&
			     !(p[4] == '_' || (p[4] >= 'a' && p[4] <= 'z') || (p[4] >= 'A' && p[4] <= 'Z') ||
			       (p[4] >= '0' && p[4] <= '9'));
		if (token) {
			sb_add(&sql, lit.buf, lit.len);
			i += 3;
		} else {
			sb_addc(&sql, *p);
		}
	}
	ok = tgt_exec(tgt, "BEGIN", 0, NULL, NULL) && tgt_exec(tgt, sql.buf, 0, NULL, NULL) &&
	     tgt_exec(tgt, "COMMIT", 0, NULL, NULL);
	if (!ok) {
		tgt_exec_quiet(tgt, "ROLLBACK");
		log_error("table %s: after_day %s failed for %s", t->name, t->after_day, day);
	} else {
		log_info("table %s: after_day %s done for %s", t->name, t->after_day, day);
	}
	sb_release(&file);
	sb_release(&sql);
	sb_release(&lit);
	return ok;
}

static char *tables_array(table_plan *plans, int n)
{
	strbuf sb;
	sb_init(&sb, 64);
	sb_addc(&sb, '{');
	for (int i = 0; i < n; i++) {
		if (i)
			sb_addc(&sb, ',');
		sb_adds(&sb, plans[i].cfg->name);
	}
	sb_addc(&sb, '}');
	return sb_detach(&sb);
}

static char *options_json(const process_opts *o)
{
	return xasprintf("{\"dry_run\":%s,\"skip_invalid\":%s,\"max_rejects\":%lld,"
			 "\"batch_mode\":\"%s\",\"chunk_size\":%d,\"timeout\":%d}",
			 o->dry_run ? "true" : "false", o->skip_invalid ? "true" : "false",
			 (long long)o->max_rejects, o->window_hours == 24 ? "daily" : "hourly",
			 o->chunk_rows, o->timeout);
}

/* resolve_tables: the plans to run, in config order; EXIT_CODE_USAGE if a
 * --table names no [table] section */
static int check_table_names(session *s, const process_opts *o)
{
	for (int i = 0; i < o->ntables; i++) {
		if (!config_find_table(&s->cfg, o->tables[i])) {
			strbuf known;
			sb_init(&known, 128);
			for (int t = 0; t < s->cfg.ntables; t++)
				sb_addf(&known, "%s%s", t ? ", " : "", s->cfg.tables[t].name);
			log_error("--table %s: no [table %s] section in %s (known: %s)", o->tables[i],
				  o->tables[i], s->cfg.path, known.buf);
			sb_release(&known);
			return EXIT_CODE_USAGE;
		}
	}
	return 0;
}

static bool table_selected(const process_opts *o, const char *name)
{
	if (o->ntables == 0)
		return true;
	for (int i = 0; i < o->ntables; i++)
		if (strcmp(o->tables[i], name) == 0)
			return true;
	return false;
}

/* hours_outcome: succeeded when every hour and after_day succeeded, failed
 * when none did, partial otherwise */
static const char *hours_outcome(const run_report *r)
{
	int ok = 0, failed = 0;

	for (int i = 0; i < r->nhours; i++) {
		if (strcmp(r->hours[i].status, "succeeded") == 0)
			ok++;
		else
			failed++;
	}
	for (int i = 0; i < r->ntables; i++)
		failed += r->tables[i].after_day_failed;
	if (failed == 0)
		return "succeeded";
	return ok == 0 ? "failed" : "partial";
}

/* run_range: every window of every day; fills the report. Returns the
 * signal number when interrupted, else 0. */
static int run_range(session *s, table_plan *plans, int nplans, const process_opts *o,
		     load_run *run, run_report *rep)
{
	int64_t first_day = date_to_days(o->first), last_day = date_to_days(o->last);
	bool stop = false;

	for (int64_t day = first_day; day <= last_day && !stop; day++) {
		civil_date d = days_to_date(day);
		char day_s[11];
		date_format(d, day_s);
		for (int t = 0; t < nplans && !stop; t++) {
			window *w;
			int nw = windows_for_range(d, d, o->window_hours, &w);
			int day_ok = 0;
			for (int i = 0; i < nw && !stop; i++) {
				window_result res;
				hour_report *h = report_add_hour(rep);
				table_report *tr = &rep->tables[t];

				h->table = t;
				h->hour = w[i].start_hour;
				if (!session_reconnect(s, o->timeout)) {
					h->status = "failed";
					h->cls = ERRCLASS_CONNECTION;
					h->error = xstrdup("cannot reconnect to the source or the target");
					tr->hours++;
					tr->hours_failed++;
					continue;
				}
				load_window(s->src, s->tgt, &plans[t], run, w[i], &res);
				tr->hours++;
				tr->seconds += res.seconds;
				tr->n.read += res.n.read;
				h->n = res.n;
				if (res.status == WINDOW_OK) {
					h->status = "succeeded";
					tr->n.loaded += res.n.loaded;
					tr->n.rejected += res.n.rejected;
					tr->n.deleted += res.n.deleted;
					day_ok++;
				} else {
					h->status = res.status == WINDOW_INTERRUPTED ? "interrupted" : "failed";
					h->cls = res.cls;
					h->error = res.error;
					res.error = NULL;
					tr->hours_failed++;
					if (res.status == WINDOW_INTERRUPTED || res.too_many_rejects)
						stop = true;
				}
				window_result_release(&res);
			}
			free(w);
			if (day_ok == nw && plans[t].cfg->after_day && !o->dry_run &&
			    !run_after_day(s->tgt, plans[t].cfg, day_s))
				rep->tables[t].after_day_failed++;
		}
	}
	return signals_caught();
}

int cmd_process(int argc, char **argv)
{
	process_opts o = { .max_rejects = -1, .window_hours = 1, .chunk_rows = 50000, .jobs = 1 };
	struct argp argp = {
		process_options, parse_process, NULL,
		"Extract, validate, load and count-check every hour of a range of days.\v"
		"Each hour is one target transaction: its rows are deleted, the source rows are\n"
		"streamed in with COPY, counts are checked, and the hour is committed, so a rerun\n"
		"gives the same result and a failure leaves the hour as it was.\n\n"
		"Examples:\n"
		"  etlre process --date 2025-11-02\n"
		"  etlre process --start-date 2025-11-01 --end-date 2025-11-07 --skip-invalid\n"
		"  etlre process --date 2025-11-02 --table calls --dry-run --json\n"
		"  etlre process --date 2025-11-02 --skip-invalid --rejects-file rejects.csv.gz",
		global_argp_children, NULL, NULL
	};
	session s;
	table_plan *plans = NULL;
	int nplans = 0, rc, sig = 0;
	load_run run;
	run_report rep;
	char *tables = NULL, *opts_json = NULL;
	const char *outcome;

	cli_parse_command(&argp, argc, argv, "process", &o);
	memset(&rep, 0, sizeof(rep));
	memset(&run, 0, sizeof(run));
	rc = session_load_config(&s, cli_global());
	if (rc == 0)
		rc = check_table_names(&s, &o);
	if (rc == 0)
		rc = session_connect(&s, true, o.timeout);
	if (rc != 0)
		goto out;

	plans = xcalloc((size_t)s.cfg.ntables, sizeof(*plans));
	for (int i = 0; i < s.cfg.ntables; i++) {
		if (!table_selected(&o, s.cfg.tables[i].name))
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

	run.dry_run = o.dry_run;
	run.skip_invalid = o.skip_invalid;
	run.max_rejects = o.max_rejects;
	run.chunk_rows = o.chunk_rows;
	run.schema = s.cfg.schema;
	if (o.rejects_file && !o.dry_run) {
		static const char *header[] = { "job_id", "table", "hour", "key", "column",
						"value", "rule", "reason", "raw" };
		run.rfile = rejects_file_open(o.rejects_file, header, 9);
		if (!run.rfile) {
			rc = EXIT_CODE_USAGE;
			goto out;
		}
	}

	report_init(&rep, nplans);
	for (int i = 0; i < nplans; i++)
		rep.tables[i].name = plans[i].cfg->name;
	rep.dry_run = o.dry_run;
	rep.window_hours = o.window_hours;
	date_format(o.first, rep.start_date);
	date_format(o.last, rep.end_date);
	now_iso8601_utc(rep.started_at);

	if (!o.dry_run) {
		job_info job = { "process", rep.start_date, rep.end_date, NULL, NULL, o.window_hours };
		tables = tables_array(plans, nplans);
		opts_json = options_json(&o);
		job.tables = tables;
		job.options = opts_json;
		if (!ledger_job_start(s.tgt, s.cfg.schema, &job, &run.job_id) ||
		    !ledger_job_lock(s.tgt, run.job_id)) {
			rc = EXIT_CODE_FAILED;
			goto out;
		}
		rep.job_id = run.job_id;
		log_set_context(run.job_id, NULL, NULL);
		log_info("job %lld started: %s .. %s, %d table(s)", (long long)run.job_id,
			 rep.start_date, rep.end_date, nplans);
	}

	sig = run_range(&s, plans, nplans, &o, &run, &rep);
	now_iso8601_utc(rep.finished_at);
	outcome = hours_outcome(&rep);
	rep.status = o.dry_run ? "dry_run" : sig ? "interrupted" : outcome;
	if (!o.dry_run && !(session_reconnect(&s, o.timeout) &&
			    ledger_job_finish(s.tgt, s.cfg.schema, run.job_id, rep.status)))
		log_warn("could not record the end of job %lld", (long long)run.job_id);
	if (run.rfile) {
		if (!rejects_file_close(run.rfile, true))
			outcome = "failed";
		run.rfile = NULL;
	}

	if (o.json)
		report_print_json(&rep);
	else
		report_print_text(&rep);

	if (sig)
		rc = sig == SIGINT ? EXIT_CODE_SIGINT : EXIT_CODE_SIGTERM;
	else
		rc = strcmp(outcome, "succeeded") == 0 ? EXIT_CODE_OK : EXIT_CODE_FAILED;
out:
	if (run.rfile)
		rejects_file_discard(run.rfile);
	for (int i = 0; i < nplans; i++)
		plan_release(&plans[i]);
	free(plans);
	free(tables);
	free(opts_json);
	free(o.tables);
	report_release(&rep);
	session_close(&s);
	return rc;
}
