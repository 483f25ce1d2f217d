/*
 * job.c: the job runner (see job.h).
 */
#include "job.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chunk.h"
#include "exitcode.h"
#include "ledger.h"
#include "load.h"
#include "log.h"
#include "rejects.h"
#include "signals.h"
#include "sqlquote.h"
#include "summary.h"

#define BACKOFF_MAX_SECONDS 60.0

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
			     !(p[4] == '_' || (p[4] >= 'a' && p[4] <= 'z') ||
			       (p[4] >= 'A' && p[4] <= 'Z') || (p[4] >= '0' && p[4] <= '9'));
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
	for (int i = 0; i < n; i++)
		sb_addf(&sb, "%s%s", i ? "," : "", plans[i].cfg->name);
	sb_addc(&sb, '}');
	return sb_detach(&sb);
}

static void item_arrays(table_plan *plans, const work_item *items, int n, char **tables,
			char **hours)
{
	strbuf t, h;
	char hs[20];

	sb_init(&t, (size_t)n * 8 + 2);
	sb_init(&h, (size_t)n * 22 + 2);
	sb_addc(&t, '{');
	sb_addc(&h, '{');
	for (int i = 0; i < n; i++) {
		hour_format_sql(items[i].hour, hs);
		sb_addf(&t, "%s%s", i ? "," : "", plans[items[i].plan].cfg->name);
		sb_addf(&h, "%s\"%s\"", i ? "," : "", hs);
	}
	sb_addc(&t, '}');
	sb_addc(&h, '}');
	*tables = sb_detach(&t);
	*hours = sb_detach(&h);
}

static char *options_json(const job_spec *o, int window_hours)
{
	return xasprintf("{\"dry_run\":%s,\"skip_invalid\":%s,\"max_rejects\":%lld,"
			 "\"batch_mode\":\"%s\",\"chunk_size\":%d,\"timeout\":%d,\"retries\":%d,"
			 "\"retry_wait\":%g,\"max_failures\":%d}",
			 o->dry_run ? "true" : "false", o->skip_invalid ? "true" : "false",
			 (long long)o->max_rejects, window_hours == 24 ? "daily" : "hourly",
			 o->chunk_rows, o->timeout, o->retries, o->retry_wait, o->max_failures);
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

/* backoff_sleep: waits base * 2^(attempt-1) seconds (at most a minute),
 * scaled by a random factor in [0.5, 1.5); returns early on a signal */
static void backoff_sleep(double base, int attempt)
{
	double wait = base;
	for (int i = 1; i < attempt && wait < BACKOFF_MAX_SECONDS; i++)
		wait *= 2;
	if (wait > BACKOFF_MAX_SECONDS)
		wait = BACKOFF_MAX_SECONDS;
	wait *= 0.5 + (double)random() / ((double)RAND_MAX + 1.0);
	log_info("retrying in %.1fs (attempt %d)", wait, attempt + 1);
	for (double end = now_monotonic() + wait; now_monotonic() < end && !signals_caught();) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* reconnect: replaces dead connections, and takes the job lock again on a new
 * target connection */
static bool reconnect(session *s, const job_spec *spec, int64_t job_id)
{
	tgt_conn *before = s->tgt;

	if (!session_reconnect(s, spec->timeout))
		return false;
	if (job_id > 0 && s->tgt != before && !ledger_job_lock(s->tgt, job_id))
		return false;
	return true;
}

typedef struct runner {
	session *s;
	table_plan *plans;
	const job_spec *spec;
	load_run *run;
	run_report *rep;
	int failures_in_a_row;
	bool stop;
} runner;

/* run_item: one window, with retries of transient failures */
static void run_item(runner *r, const work_item *it, hour_report *h)
{
	table_plan *p = &r->plans[it->plan];
	table_report *tr = &r->rep->tables[it->plan];
	window w = { it->hour, it->window_hours };
	char hour_sql[20];
	window_result res;

	hour_format_sql(it->hour, hour_sql);
	memset(&res, 0, sizeof(res));
	for (int attempt = 1;; attempt++) {
		window_result_release(&res);
		memset(&res, 0, sizeof(res));
		if (!reconnect(r->s, r->spec, r->run->job_id)) {
			res.status = WINDOW_FAILED;
			res.cls = ERRCLASS_CONNECTION;
			res.error = xstrdup("cannot connect to the source or the target");
		} else {
			if (!r->spec->dry_run &&
			    !ledger_hour_running(r->s->tgt, r->run->schema, r->run->job_id,
						 p->cfg->name, hour_sql))
				log_warn("could not mark hour %s running", hour_sql);
			load_window(r->s->src, r->s->tgt, p, r->run, w, &res);
		}
		if (res.status != WINDOW_FAILED || !err_class_is_transient(res.cls) ||
		    attempt > r->spec->retries || res.too_many_rejects || signals_caught())
			break;
		log_warn("table %s hour %s: %s error, will retry: %s", p->cfg->name, hour_sql,
			 err_class_name(res.cls), res.error);
		backoff_sleep(r->spec->retry_wait, attempt);
		if (signals_caught())
			break;
	}
	if (res.status == WINDOW_FAILED && !res.error)
		res.error = xstrdup("failed");
	if (res.status == WINDOW_FAILED && !r->spec->dry_run && !tgt_alive(r->s->tgt))
		log_warn("hour %s failed while the target was unreachable: it stays %s in etlre's tables",
			 hour_sql, "pending or running");

	tr->hours++;
	tr->seconds += res.seconds;
	tr->n.read += res.n.read;
	h->n = res.n;
	if (res.status == WINDOW_OK) {
		h->status = "succeeded";
		tr->n.loaded += res.n.loaded;
		tr->n.rejected += res.n.rejected;
		tr->n.deleted += res.n.deleted;
		r->failures_in_a_row = 0;
	} else {
		h->status = res.status == WINDOW_INTERRUPTED ? "interrupted" : "failed";
		h->cls = res.cls;
		h->error = res.error;
		res.error = NULL;
		tr->hours_failed++;
		if (res.status == WINDOW_INTERRUPTED || res.too_many_rejects)
			r->stop = true;
		if (res.status == WINDOW_INTERRUPTED && !r->spec->dry_run && tgt_alive(r->s->tgt) &&
		    !ledger_hour_pending(r->s->tgt, r->run->schema, r->run->job_id, p->cfg->name,
					 hour_sql))
			log_warn("could not put hour %s back to pending", hour_sql);
		/* bad data says nothing about the databases' health: only other
		 * failures count towards --max-failures */
		if (res.cls != ERRCLASS_INVALID_DATA && res.cls != ERRCLASS_CONSTRAINT &&
		    ++r->failures_in_a_row >= r->spec->max_failures && r->spec->max_failures > 0) {
			log_error("%d hours failed in a row: stopping the job; its other hours stay "
				  "pending for etlre retry",
				  r->failures_in_a_row);
			r->stop = true;
		}
	}
	window_result_release(&res);
}

static bool same_day_group(const work_item *a, const work_item *b)
{
	return a->plan == b->plan && a->hour / 24 == b->hour / 24;
}

int job_run(session *s, table_plan *plans, int nplans, const work_item *items, int nitems,
	    const job_spec *spec, int64_t *job_id_out)
{
	load_run run;
	run_report rep;
	runner r;
	const char *outcome;
	char *tables = NULL, *opts = NULL, *item_tables = NULL, *item_hours = NULL;
	int rc = EXIT_CODE_OK, sig, group_start = 0;
	int64_t lo = INT64_MAX, hi = INT64_MIN;

	memset(&run, 0, sizeof(run));
	run.dry_run = spec->dry_run;
	run.skip_invalid = spec->skip_invalid;
	run.max_rejects = spec->max_rejects;
	run.chunk_rows = spec->chunk_rows;
	run.schema = s->cfg.schema;
	*job_id_out = 0;

	report_init(&rep, nplans);
	for (int i = 0; i < nplans; i++)
		rep.tables[i].name = plans[i].cfg->name;
	rep.dry_run = spec->dry_run;
	rep.window_hours = nitems ? items[0].window_hours : 1;
	for (int i = 0; i < nitems; i++) {
		lo = items[i].hour < lo ? items[i].hour : lo;
		hi = items[i].hour > hi ? items[i].hour : hi;
	}
	if (nitems) {
		date_format(days_to_date(lo / 24), rep.start_date);
		date_format(days_to_date(hi / 24), rep.end_date);
	}
	now_iso8601_utc(rep.started_at);

	if (spec->rejects_file && !spec->dry_run) {
		static const char *header[] = { "job_id", "table", "hour", "key", "column",
						"value", "rule", "reason", "raw" };
		run.rfile = rejects_file_open(spec->rejects_file, header, 9);
		if (!run.rfile) {
			rc = EXIT_CODE_USAGE;
			goto out;
		}
	}
	if (!spec->dry_run) {
		job_info job = { spec->command, rep.start_date, rep.end_date, NULL, NULL,
				 rep.window_hours, NULL, NULL, spec->retry_of };
		tables = tables_array(plans, nplans);
		opts = options_json(spec, rep.window_hours);
		item_arrays(plans, items, nitems, &item_tables, &item_hours);
		job.tables = tables;
		job.options = opts;
		job.item_tables = item_tables;
		job.item_hours = item_hours;
		if (!ledger_job_start(s->tgt, s->cfg.schema, &job, &run.job_id) ||
		    !ledger_job_lock(s->tgt, run.job_id)) {
			rc = EXIT_CODE_FAILED;
			goto out;
		}
		*job_id_out = rep.job_id = run.job_id;
		log_set_context(run.job_id, NULL, NULL);
		log_info("job %lld started (%s): %s .. %s, %d hour(s) of %d table(s)",
			 (long long)run.job_id, spec->command, rep.start_date, rep.end_date, nitems,
			 nplans);
	}

	memset(&r, 0, sizeof(r));
	r.s = s;
	r.plans = plans;
	r.spec = spec;
	r.run = &run;
	r.rep = &rep;
	for (int i = 0; i < nitems; i++) {
		hour_report *h = report_add_hour(&rep);
		h->table = items[i].plan;
		h->hour = items[i].hour;
		h->status = "pending";
		if (!r.stop)
			run_item(&r, &items[i], h);
		/* the last item of a table's day: after_day if all of them loaded */
		if (i + 1 == nitems || !same_day_group(&items[i], &items[i + 1])) {
			bool all_ok = true;
			for (int k = group_start; k <= i; k++)
				all_ok = all_ok && strcmp(rep.hours[k].status, "succeeded") == 0;
			const table_config *t = plans[items[i].plan].cfg;
			if (all_ok && t->after_day && !spec->dry_run) {
				char day[11];
				date_format(days_to_date(items[i].hour / 24), day);
				if (!run_after_day(s->tgt, t, day))
					rep.tables[items[i].plan].after_day_failed++;
			}
			group_start = i + 1;
		}
	}

	sig = signals_caught();
	now_iso8601_utc(rep.finished_at);
	outcome = hours_outcome(&rep);
	rep.status = spec->dry_run ? "dry_run" : sig ? "interrupted" : outcome;
	if (!spec->dry_run && !(reconnect(s, spec, run.job_id) &&
				ledger_job_finish(s->tgt, s->cfg.schema, run.job_id, rep.status)))
		log_warn("could not record the end of job %lld", (long long)run.job_id);
	if (run.rfile) {
		if (!rejects_file_close(run.rfile, true))
			outcome = "failed";
		run.rfile = NULL;
	}
	if (spec->json)
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
	free(tables);
	free(opts);
	free(item_tables);
	free(item_hours);
	report_release(&rep);
	return rc;
}
