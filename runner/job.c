/*
 * job.c: the job runner (see job.h).
 */
#include "job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "after_day.h"
#include "chunk.h"
#include "exitcode.h"
#include "heartbeat.h"
#include "job_start.h"
#include "job_summary.h"
#include "job_workers.h"
#include "ledger.h"
#include "load.h"
#include "log.h"
#include "progress.h"
#include "rejects.h"
#include "settle.h"
#include "signals.h"
#include "summary.h"

#define BACKOFF_MAX_SECONDS 60.0

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

/* reconnect: replaces dead connections (the target's only, unless
 * need_source), and takes the job lock again on a new target connection */
static bool reconnect(session *s, const job_spec *spec, int64_t job_id, bool need_source)
{
	tgt_conn *before = s->tgt;

	if (!(need_source ? session_reconnect(s, spec->load.timeout)
			  : session_reconnect_target(s, spec->load.timeout)))
		return false;
	if (job_id > 0 && s->tgt != before && !ledger_job_lock(s->tgt, job_id))
		return false;
	if (job_id > 0)
		src_label_job(s->src, job_id);
	return true;
}

typedef struct runner {
	session *s;
	table_plan *plans;
	int nplans;
	const job_spec *spec;
	load_run *run;
	run_report *rep;        /* what this process did */
	int failures_in_a_row;
	bool stop;
	bool checked;           /* claim_next has just checked the target */
	bool unreachable;       /* the last attempt to reach a server failed */
	int64_t claim_from;     /* the hour this worker claims from first (README
				 * "Scaling out"); INT64_MIN: the job's first */
} runner;

/* run_item: one window, with retries of transient failures; fills h */
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
		/* the first attempt goes straight on after claim_next's check of
		 * the target when a source connection is open (a connection lost
		 * since fails it, and the retry reconnects) */
		bool checked = attempt == 1 && r->checked && r->s->src;
		r->checked = false;
		r->unreachable = !checked && !reconnect(r->s, r->spec, r->run->job_id, true);
		if (r->unreachable) {
			res.status = WINDOW_FAILED;
			res.cls = ERRCLASS_CONNECTION;
			res.error = xstrdup("cannot connect to the source or the target");
		} else {
			/* the hour is running and the job's heart beats, autocommitted */
			if (r->run->job_id > 0 &&
			    !ledger_hour_running(r->s->tgt, r->run->schema, r->run->job_id,
						 p->cfg->name, hour_sql))
				log_debug("could not mark hour %s running", hour_sql);
			load_window(r->s->src, r->s->tgt, p, r->run, w, &res);
		}
		if (res.status != WINDOW_FAILED || !err_class_is_transient(res.cls) ||
		    attempt > r->spec->load.retries || res.too_many_rejects || signals_caught())
			break;
		log_event(LOG_WARN,
			  &(log_fields){ .event = "hour_retry", .error_class = err_class_name(res.cls) },
			  "table %s hour %s: %s error, will retry: %s", p->cfg->name, hour_sql,
			  err_class_name(res.cls), res.error);
		backoff_sleep(r->spec->load.retry_wait, attempt);
		if (signals_caught())
			break;
	}
	if (res.status == WINDOW_FAILED && !res.error)
		res.error = xstrdup("failed");
	/* load_window records its failures; one that never ran (a server could
	 * not be reached) is recorded here, or the hour would stay running under
	 * this live worker and the job would wait for it forever */
	if (res.status == WINDOW_FAILED && r->unreachable && !r->spec->load.dry_run &&
	    tgt_alive(r->s->tgt) &&
	    !ledger_hour_failed(r->s->tgt, r->run->schema, r->run->job_id, p->cfg->name, hour_sql,
				err_class_name(res.cls), res.error, res.seconds))
		log_warn("could not record the failure of hour %s in etlre's tables", hour_sql);

	tr->hours++;
	tr->seconds += res.seconds;
	tr->n.read += res.n.read;
	h->n = res.n;
	if (res.status == WINDOW_OK) {
		h->status = HOUR_SUCCEEDED;
		tr->n.loaded += res.n.loaded;
		tr->n.rejected += res.n.rejected;
		tr->n.deleted += res.n.deleted;
		tr->n.moved += res.n.moved;
		r->failures_in_a_row = 0;
	} else {
		h->status = res.status == WINDOW_INTERRUPTED ? HOUR_INTERRUPTED : HOUR_FAILED;
		h->cls = res.cls;
		h->error = res.error;
		res.error = NULL;
		if (res.status == WINDOW_INTERRUPTED)
			tr->hours_pending++;
		else
			tr->hours_failed++;
		if (res.status == WINDOW_INTERRUPTED || res.too_many_rejects)
			r->stop = true;
		if (res.status == WINDOW_INTERRUPTED && !r->spec->load.dry_run && tgt_alive(r->s->tgt) &&
		    !ledger_hour_pending(r->s->tgt, r->run->schema, r->run->job_id, p->cfg->name,
					 hour_sql))
			log_warn("could not put hour %s back to pending", hour_sql);
		/* bad data says nothing about the databases' health: only other
		 * failures count towards --max-failures */
		if (res.cls != ERRCLASS_INVALID_DATA && res.cls != ERRCLASS_CONSTRAINT &&
		    ++r->failures_in_a_row >= r->spec->load.max_failures && r->spec->load.max_failures > 0) {
			log_error("%d hours failed in a row: stopping; the job's other hours stay "
				  "pending for etlre retry",
				  r->failures_in_a_row);
			r->stop = true;
		}
	}
	window_result_release(&res);
}

/* after_day_if_complete: once every hour of the item's day in the job has
 * succeeded, exactly one worker runs the table's after_day */
static void after_day_if_complete(runner *r, const work_item *it)
{
	const table_config *t = r->plans[it->plan].cfg;
	char day[11];
	bool mine = false;

	if (!t->after_day)
		return;
	date_format(days_to_date(it->hour / 24), day);
	if (!ledger_day_claim(r->s->tgt, r->run->schema, r->run->job_id, t->name, day, &mine) ||
	    !mine)
		return;
	bool ok = after_day_run(r->s->tgt, t, day);
	if (!ok)
		r->rep->tables[it->plan].after_day_failed++;
	if (!ledger_day_done(r->s->tgt, r->run->schema, r->run->job_id, t->name, day,
			     ok ? NULL : "after_day failed; see the log"))
		log_warn("could not record after_day of %s for %s", t->name, day);
}

static int plan_index(const runner *r, const char *table)
{
	for (int i = 0; i < r->nplans; i++)
		if (strcmp(r->plans[i].cfg->name, table) == 0)
			return i;
	return -1;
}

/* claim_next: the job's next hour for this worker; false when none is left
 * or the target cannot be reached */
static bool claim_next(runner *r, int64_t worker_id, work_item *it)
{
	char table[128], hour[24], from[24] = "-infinity";
	bool found = false;
	int wh;

	if (r->claim_from != INT64_MIN)
		hour_format_sql(r->claim_from, from);

	for (int attempt = 1;; attempt++) {
		if (reconnect(r->s, r->spec, r->run->job_id, false) &&
		    (r->spec->load.max_rejects < 0 ||
		     ledger_job_rejected(r->s->tgt, r->run->schema, r->run->job_id,
					 &r->run->total_rejected)) &&
		    ledger_claim(r->s->tgt, r->run->schema, r->run->job_id, worker_id, from, table,
				 sizeof(table), hour, &wh, &found)) {
			r->checked = true;
			break;
		}
		if (attempt > r->spec->load.retries || signals_caught()) {
			log_error("cannot reach the target to claim the next hour: stopping");
			r->unreachable = !signals_caught();
			return false;
		}
		backoff_sleep(r->spec->load.retry_wait, attempt);
	}
	if (!found)
		return false;
	it->plan = plan_index(r, table);
	it->window_hours = wh == 24 ? 24 : 1;
	if (it->plan < 0 || !hour_parse(hour, &it->hour)) {
		log_error("job %lld: hour %s of table %s cannot be run here: no [table %s] in %s",
			  (long long)r->run->job_id, hour, table, table, r->s->cfg.path);
		r->stop = true;
		return false;
	}
	return true;
}

/* show_local_progress: what this process has done so far, and what it is
 * loading now */
static void show_local_progress(const runner *r, const char *table, const char *hour)
{
	int64_t done = 0, rows = 0;

	for (int i = 0; i < r->rep->ntables; i++) {
		done += r->rep->tables[i].hours;
		rows += r->rep->tables[i].n.loaded;
	}
	progress_update(done, rows, table, hour);
}

/* show_job_progress: what all the job's workers have done, from the ledger
 * (the process that started the job, while its workers run elsewhere) */
static void show_job_progress(runner *r)
{
	int64_t done, rows;

	if (!progress_active())
		return;
	if (reconnect(r->s, r->spec, r->run->job_id, false) &&
	    ledger_job_progress(r->s->tgt, r->run->schema, r->run->job_id, &done, &rows))
		progress_update(done, rows, NULL, NULL);
}

/* settle_first: before the claimed window it is loaded, settles it and the
 * empty windows after it in bulk (settle.h), into the report, with after_day
 * for their days when complete; true when it itself was settled */
static bool settle_first(runner *r, settle_job *job, const work_item *it)
{
	table_report *tr = &r->rep->tables[it->plan];
	int64_t *hours;
	int n;
	bool mine;

	/* claim_next checked only the target: a worker's first hour may have no
	 * source connection yet */
	if (signals_caught() || (!r->s->src && !reconnect(r->s, r->spec, r->run->job_id, true)) ||
	    !settle_empty(r->s->src, r->s->tgt, &r->plans[it->plan], it->plan, job,
			  (window){ it->hour, it->window_hours }, &hours, &n)) {
		r->checked = false; /* the load checks the connections again */
		return false;
	}
	for (int i = 0; i < n; i++) {
		hour_report *h = report_add_hour(r->rep);
		work_item day = { .plan = it->plan, .hour = hours[i], .window_hours = it->window_hours };

		*h = (hour_report){ .table = it->plan, .hour = hours[i], .status = HOUR_SUCCEEDED };
		tr->hours++;
		if (i == 0 || hours[i] / 24 != hours[i - 1] / 24)
			after_day_if_complete(r, &day);
	}
	if (n > 0)
		r->failures_in_a_row = 0;
	mine = n > 0 && hours[0] == it->hour;
	free(hours);
	return mine;
}

/* run_claimed: loads one claimed window, into the report */
static void run_claimed(runner *r, const work_item *it)
{
	hour_report *h = report_add_hour(r->rep);
	char iso[24];

	h->table = it->plan;
	h->hour = it->hour;
	hour_format_iso(it->hour, iso);
	show_local_progress(r, r->plans[it->plan].cfg->name, iso);
	run_item(r, it, h);
	if (h->status == HOUR_SUCCEEDED)
		after_day_if_complete(r, it);
}

/* group_claim: how many hours to load with claimed hour it in one
 * transaction (README "Empty hours"): 1 and the small hours right after it
 * that the worker could claim too */
static int group_claim(runner *r, const settle_job *job, const work_item *it)
{
	const table_plan *p = &r->plans[it->plan];
	int n, got = 0;

	if (it->window_hours != 1 || p->merge || r->spec->load.dry_run)
		return 1;
	n = settle_small_after(job, it->plan, (window){ it->hour, 1 }, SETTLE_GROUP_HOURS - 1);
	if (n > 0 && !settle_claim_after(r->s->tgt, p, job, it->hour, n, &got))
		got = 0; /* the claimed hour is loaded alone */
	return 1 + got;
}

/* run_group: loads the n claimed hours from it in one transaction, into the
 * report; false (nothing done) when they must be loaded one by one */
static bool run_group(runner *r, const work_item *it, int n)
{
	const table_plan *p = &r->plans[it->plan];
	table_report *tr = &r->rep->tables[it->plan];
	hour_counts *per = xcalloc((size_t)n, sizeof(hour_counts));
	window_result res;
	char iso[24];
	bool ok;

	/* settle_claim_after marked the hours running and beat the job's heart */
	hour_format_iso(it->hour, iso);
	show_local_progress(r, p->cfg->name, iso);
	ok = load_group(r->s->src, r->s->tgt, p, r->run, (window){ it->hour, n }, &res, per);
	r->checked = false; /* whatever happened, the next load checks the connections */
	for (int i = 0; ok && i < n; i++) {
		hour_report *h = report_add_hour(r->rep);
		work_item one = { .plan = it->plan, .hour = it->hour + i, .window_hours = 1 };

		*h = (hour_report){ .table = it->plan, .hour = one.hour, .status = HOUR_SUCCEEDED,
				    .n = per[i] };
		tr->hours++;
		tr->seconds += res.seconds / n;
		tr->n.read += per[i].read;
		tr->n.loaded += per[i].loaded;
		tr->n.deleted += per[i].deleted;
		if (i == n - 1 || (one.hour + 1) / 24 != one.hour / 24)
			after_day_if_complete(r, &one);
	}
	if (ok)
		r->failures_in_a_row = 0;
	window_result_release(&res);
	free(per);
	return ok;
}

/* run_claimed_hours: the n claimed hours from it: together when they may
 * be, else one by one; those a stop leaves unloaded go back to pending */
static void run_claimed_hours(runner *r, const work_item *it, int n)
{
	if (n > 1 && run_group(r, it, n))
		return;
	for (int i = 0; i < n; i++) {
		work_item one = *it;
		char hour_sql[20];

		one.hour = it->hour + i;
		if (!r->stop && !signals_caught()) {
			run_claimed(r, &one);
			continue;
		}
		hour_format_sql(one.hour, hour_sql);
		if (tgt_alive(r->s->tgt) &&
		    !ledger_hour_pending(r->s->tgt, r->run->schema, r->run->job_id,
					 r->plans[it->plan].cfg->name, hour_sql))
			log_warn("could not put hour %s back to pending", hour_sql);
	}
}

/* worker_loop: claims and loads the job's hours until none is left, or a
 * signal, too many failures or too many rejects stop it */
static void worker_loop(runner *r)
{
	int64_t worker_id;
	settle_job job;
	work_item it;
	heartbeat *hb;

	if (!reconnect(r->s, r->spec, r->run->job_id, false) ||
	    !ledger_worker_start(r->s->tgt, r->run->schema, &worker_id)) {
		log_error("cannot register as a worker of job %lld", (long long)r->run->job_id);
		return;
	}
	settle_job_init(&job, r->run->schema, r->run->job_id, worker_id, r->nplans);
	if (r->claim_from == INT64_MIN) {
		log_debug("worker %lld of job %lld started", (long long)worker_id,
			  (long long)r->run->job_id);
	} else {
		char from[20];
		hour_format_iso(r->claim_from, from);
		log_debug("worker %lld of job %lld started, claiming from %s first", (long long)worker_id,
			  (long long)r->run->job_id, from);
	}
	hb = heartbeat_new(r->s, r->spec->load.timeout, r->run->job_id);
	r->run->progress = heartbeat_beat;
	r->run->progress_ctx = hb;
	while (!r->stop && !signals_caught() && claim_next(r, worker_id, &it)) {
		if (!settle_first(r, &job, &it))
			run_claimed_hours(r, &it, group_claim(r, &job, &it));
	}
	r->run->progress = NULL;
	r->run->progress_ctx = NULL;
	heartbeat_free(hb);
	settle_job_release(&job);
}

/* runner_init: *r for a run of spec over plans, with *run (the loader's
 * settings) and *rep (this process's report, see job_report_begin) set up */
static void runner_init(runner *r, session *s, table_plan *plans, int nplans,
			const job_spec *spec, load_run *run, run_report *rep)
{
	*run = (load_run){ .dry_run = spec->load.dry_run,
			   .skip_invalid = spec->load.skip_invalid,
			   .max_rejects = spec->load.max_rejects,
			   .chunk_rows = spec->load.chunk_rows,
			   .schema = s->cfg.schema };
	job_report_begin(rep, plans, nplans, spec);
	*r = (runner){ .s = s, .plans = plans, .nplans = nplans, .spec = spec, .run = run,
		       .claim_from = INT64_MIN,
		       .rep = rep };
}

/* wait_for_others: waits while workers that joined from elsewhere (etlre
 * work) still load hours of the job; returns the signal that stopped it */
static int wait_for_others(runner *r, int64_t job_id)
{
	int sig = signals_caught();

	for (int64_t live = 1; !sig && live > 0; sig = signals_caught()) {
		if (!reconnect(r->s, r->spec, job_id, false) ||
		    !ledger_job_live(r->s->tgt, r->s->cfg.schema, job_id, &live))
			break;
		if (live > 0) {
			log_info("waiting for %lld hour(s) still loading in other workers", (long long)live);
			sleep(1);
			show_job_progress(r);
		}
	}
	return sig;
}

/* the forked workers' side of a job (job_workers.h) */
typedef struct fork_ctx {
	runner *r;
	const work_item *items;
	int nitems;
} fork_ctx;

static void worker_prepare(void *ctx, int i, int n)
{
	fork_ctx *f = ctx;

	progress_forked();
	f->r->claim_from = job_slice_start(f->items, f->nitems, i, n);
	/* the starting process writes the job's hours on the target connection
	 * this process was forked with: that one is its own */
	tgt_forget(f->r->s->tgt);
	f->r->s->tgt = NULL;
	/* connect meanwhile; worker_loop tries again (and says why) if this
	 * failed */
	(void)reconnect(f->r->s, f->r->spec, 0, true);
}

static int worker_run(void *ctx, int64_t job_id)
{
	runner *r = ((fork_ctx *)ctx)->r;

	r->run->job_id = job_id;
	log_set_context(job_id, NULL, NULL);
	/* the connection made before the job existed takes its lock now */
	if (r->s->tgt && !ledger_job_lock(r->s->tgt, job_id)) {
		tgt_close(r->s->tgt);
		r->s->tgt = NULL;
	}
	worker_loop(r);
	session_close(r->s);
	return r->unreachable ? EXIT_CODE_UNREACHABLE : EXIT_CODE_OK;
}

static void worker_tick(void *ctx)
{
	show_job_progress(((fork_ctx *)ctx)->r);
}

/* start_job: records the job (job_start.h), with its *workers forked first
 * when there are several (job_workers.h); *forked tells (when none could be
 * forked, *workers becomes 1: this process). False (logged) when the job
 * could not start: no worker is left then. */
static bool start_job(runner *r, const work_item *items, int nitems, int *workers,
		      run_report *rep, worker_pool *wp, const worker_hooks *hooks, bool *forked)
{
	session *s = r->s;
	bool ok;

	*forked = false;
	if (*workers > 1) {
		/* no worker may use this process's connections: the source one
		 * closes (the workers open their own), the target one stays to
		 * record the job while they connect (each forgets its copy) */
		src_close(s->src);
		s->src = NULL;
		*forked = workers_fork(wp, *workers, hooks);
		if (!*forked)
			*workers = 1;
	}
	if (!reconnect(s, r->spec, 0, false)) {
		r->unreachable = true;
		ok = false;
	} else {
		ok = job_start(s, r->plans, r->nplans, items, nitems, r->spec, *workers, rep);
	}
	if (!ok && *forked) {
		workers_wait(wp, hooks); /* without the job id: they exit at once */
		*forked = false;
	}
	return ok;
}

/* run_dry: a dry run of the items: nothing may be written, so no job and no
 * claims: the list is run here, in order, and its summary emitted (moved to
 * spec->keep when asked). head has the range's dates. Returns the exit status. */
static int run_dry(runner *r, const work_item *items, int nitems, const run_report *head,
		   double t0)
{
	run_report *local = r->rep;
	const job_spec *spec = r->spec;
	int rc;

	for (int i = 0; i < nitems && !r->stop && !signals_caught(); i++) {
		hour_report *h = report_add_hour(local);
		h->table = items[i].plan;
		h->hour = items[i].hour;
		run_item(r, &items[i], h);
	}
	local->dry_run = true;
	local->window_hours = head->window_hours;
	memcpy(local->start_date, head->start_date, sizeof(head->start_date));
	memcpy(local->end_date, head->end_date, sizeof(head->end_date));
	now_iso8601_utc(local->finished_at);
	local->wall_seconds = now_monotonic() - t0;
	local->status = JOB_DRY_RUN;
	job_report_emit(local, spec);
	rc = signals_exit_status();
	if (rc == 0)
		rc = job_hours_outcome(local) == JOB_SUCCEEDED ? EXIT_CODE_OK : EXIT_CODE_FAILED;
	if (spec->keep) {
		*spec->keep = *local;
		memset(local, 0, sizeof(*local));
	}
	return rc;
}

int job_run(session *s, table_plan *plans, int nplans, const work_item *items, int nitems,
	    const job_spec *spec, int64_t *job_id_out)
{
	load_run run;
	run_report rep, local;
	runner r;
	job_status outcome;
	int rc = EXIT_CODE_OK, sig, workers;
	bool known = true; /* the job's hours are known here */
	bool forked;
	double t0 = now_monotonic();
	worker_pool wp;
	fork_ctx fc = { &r, items, nitems };
	const worker_hooks hooks = { &fc, worker_prepare, worker_run, worker_tick };

	*job_id_out = 0;
	runner_init(&r, s, plans, nplans, spec, &run, &local);
	job_report_head(&rep, plans, nplans, items, nitems, spec);

	if (spec->rejects_file && !spec->load.dry_run) {
		run.rfile = rejects_file_open(spec->rejects_file);
		if (!run.rfile) {
			rc = EXIT_CODE_USAGE;
			goto out;
		}
	}

	if (spec->load.dry_run) {
		rc = run_dry(&r, items, nitems, &rep, t0);
		goto out;
	}

	/* README "Scaling out": --rejects-file writes one file from one process */
	workers = spec->rejects_file ? 1 : load_jobs_default(spec->load.jobs, s->cfg.jobs, nitems);
	progress_begin(nitems);
	if (!start_job(&r, items, nitems, &workers, &rep, &wp, &hooks, &forked)) {
		progress_end();
		rc = r.unreachable ? EXIT_CODE_UNREACHABLE : EXIT_CODE_FAILED;
		goto out;
	}
	*job_id_out = run.job_id = rep.job_id;
	if (forked) {
		workers_go(&wp, run.job_id);
		r.unreachable = workers_wait(&wp, &hooks);
	} else {
		worker_loop(&r);
	}
	sig = wait_for_others(&r, run.job_id);
	progress_end();

	if (!reconnect(s, spec, run.job_id, false)) {
		r.unreachable = true;
		known = job_read_back_failed(&rep, &local, run.job_id, workers);
	} else if (!job_read_back(s->tgt, s->cfg.schema, run.job_id, spec->json || spec->keep, &rep)) {
		known = job_read_back_failed(&rep, &local, run.job_id, workers);
	}
	now_iso8601_utc(rep.finished_at);
	rep.wall_seconds = now_monotonic() - t0;
	outcome = known ? job_hours_outcome(&rep) : JOB_FAILED;
	rep.status = sig ? JOB_INTERRUPTED : outcome;
	if (!(reconnect(s, spec, run.job_id, false) &&
	      ledger_job_finish(s->tgt, s->cfg.schema, run.job_id, rep.status)))
		log_warn("could not record the end of job %lld", (long long)run.job_id);
	job_log_finished(&rep);
	if (run.rfile) {
		if (!rejects_file_close(run.rfile, true))
			outcome = JOB_FAILED;
		run.rfile = NULL;
	}
	job_report_emit(&rep, spec);
	if (spec->keep) {
		*spec->keep = rep;
		memset(&rep, 0, sizeof(rep));
	}
	rc = signals_exit_status();
	if (rc == 0)
		rc = outcome == JOB_SUCCEEDED ? EXIT_CODE_OK
		     : r.unreachable			 ? EXIT_CODE_UNREACHABLE
							 : EXIT_CODE_FAILED;
out:
	if (run.rfile)
		rejects_file_discard(run.rfile);
	report_release(&rep);
	report_release(&local);
	return rc;
}

int job_work(session *s, table_plan *plans, int nplans, int64_t job_id, const job_spec *spec)
{
	load_run run;
	run_report local;
	runner r;
	int64_t live = 0;
	double t0 = now_monotonic();
	int sig;

	runner_init(&r, s, plans, nplans, spec, &run, &local);
	run.job_id = job_id;
	log_set_context(job_id, NULL, NULL);
	if (!ledger_job_lock(s->tgt, job_id)) {
		report_release(&local);
		return EXIT_CODE_FAILED;
	}
	worker_loop(&r);
	sig = signals_caught();
	local.job_id = job_id;
	local.wall_seconds = now_monotonic() - t0;
	local.status = sig ? JOB_INTERRUPTED : job_hours_outcome(&local);
	now_iso8601_utc(local.finished_at);
	printf("worker of job %lld: %d hour(s) loaded here\n", (long long)job_id, local.nhours);
	job_report_emit(&local, spec);
	/* the last worker out finishes a job whose starter is gone */
	if (!sig && reconnect(s, spec, job_id, false) &&
	    ledger_job_live(s->tgt, s->cfg.schema, job_id, &live) && live == 0)
		log_info("no hour of job %lld is left to claim", (long long)job_id);
	int rc = signals_exit_status();
	if (rc == 0)
		rc = local.status == JOB_SUCCEEDED ? EXIT_CODE_OK : EXIT_CODE_FAILED;
	report_release(&local);
	return rc;
}
