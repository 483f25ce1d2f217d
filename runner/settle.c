/*
 * settle.c: empty windows settled in bulk (see settle.h).
 *
 * One settle_empty call costs one source query and five target statements
 * (BEGIN, claim and lock, the target probe, the ledger, COMMIT) for up to
 * SETTLE_SPAN windows, where loading them one by one costs about fifteen
 * round trips each. The source query counts each window's rows up to a cap,
 * which also tells the worker which windows are small enough to be loaded
 * together (settle_small_after, README "Empty hours").
 */
#include "settle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger.h"
#include "log.h"
#include "signals.h"
#include "sqlquote.h"

typedef struct hour_set {
	int64_t *hour;
	int n, cap;
} hour_set;

static void hour_set_add(hour_set *s, int64_t hour)
{
	*ARRAY_PUSH(s->hour, s->n, s->cap) = hour;
}

/* hour_set_bounds: the first and last hours of s (n > 0, in order) as SQL
 * timestamps, for an index range scan of the hours */
static void hour_set_bounds(const hour_set *s, char lo[20], char hi[20])
{
	hour_format_sql(s->hour[0], lo);
	hour_format_sql(s->hour[s->n - 1], hi);
}

/* counts_row: a row of window row counts (each capped by the probe) into
 * the int array ctx */
static bool counts_row(void *ctx, unsigned int ncols, char **row, unsigned long *lengths)
{
	int *rows = ctx;

	(void)lengths;
	for (unsigned int i = 0; i < ncols; i++)
		rows[i] = row[i] ? (int)strtol(row[i], NULL, 10) : 0;
	return true;
}

static bool probe_capped(src_conn *src, const table_plan *p, const hour_set *s, int wh,
			 int *rows);

/* grouped_row: a (window index, row count) row into probe_ctx */
typedef struct probe_ctx {
	int *rows;
	int n;
	int64_t total;
} probe_ctx;

static bool grouped_row(void *ctx, unsigned int ncols, char **row, unsigned long *lengths)
{
	probe_ctx *x = ctx;
	int i = ncols >= 2 ? field_index(row[0], 0, x->n) : -1;
	int64_t n = ncols >= 2 ? field_int64(row[1]) : 0;

	(void)lengths;
	x->total += n;
	if (i >= 0)
		x->rows[i] = n > SETTLE_SMALL_ROWS ? SETTLE_SMALL_ROWS + 1 : (int)n;
	return true;
}

/* probe_grouped: rows[i] for the s->n windows of wh hours from s->hour[0],
 * from one grouped count over at most SETTLE_GROUPED_ROWS rows of the span;
 * *dense when the span holds more (rows is then incomplete) */
static bool probe_grouped(src_conn *src, const table_plan *p, const hour_set *s, int wh,
			  int *rows, bool *dense)
{
	char from[20], to[20], *inner, *sql;
	strbuf prefix;
	probe_ctx x = { rows, s->n, 0 };
	bool ok;

	hour_format_sql(s->hour[0], from);
	hour_format_sql(s->hour[0] + (int64_t)s->n * wh, to);
	sb_init(&prefix, 128);
	sb_addf(&prefix, "SELECT %s AS t FROM ", p->source_time_col);
	quote_my_ident(&prefix, p->cfg->source);
	inner = plan_source_sql(p, prefix.buf, from, to);
	sql = xasprintf("SELECT FLOOR(TIMESTAMPDIFF(SECOND, '%s', t) / %d), COUNT(*)"
			" FROM (%s LIMIT %d) s GROUP BY 1",
			from, wh * 3600, inner, SETTLE_GROUPED_ROWS + 1);
	memset(rows, 0, sizeof(int) * (size_t)s->n);
	ok = src_query(src, sql, grouped_row, &x);
	*dense = x.total > SETTLE_GROUPED_ROWS;
	sb_release(&prefix);
	free(inner);
	free(sql);
	return ok;
}

/* probe_source: rows[i] for the window starting at s->hour[i] (s->n
 * consecutive windows of wh hours), counted up to SETTLE_SMALL_ROWS + 1: by
 * one grouped count when the span is sparse, else from one
 * SELECT (SELECT COUNT(*) FROM (... LIMIT n) w), ... that stops counting each
 * window at the cap */
static bool probe_source(src_conn *src, const table_plan *p, const hour_set *s, int wh, int *rows)
{
	bool dense;

	if (!probe_grouped(src, p, s, wh, rows, &dense))
		return false;
	return !dense || probe_capped(src, p, s, wh, rows);
}

/* probe_capped: probe_source's window by window form */
static bool probe_capped(src_conn *src, const table_plan *p, const hour_set *s, int wh, int *rows)
{
	strbuf prefix, sql;
	bool ok;

	sb_init(&prefix, 128);
	sb_adds(&prefix, "SELECT 1 FROM ");
	quote_my_ident(&prefix, p->cfg->source);
	sb_init(&sql, (size_t)s->n * 200 + 16);
	sb_adds(&sql, "SELECT ");
	for (int i = 0; i < s->n; i++) {
		char from[20], to[20];
		char *one;

		hour_format_sql(s->hour[i], from);
		hour_format_sql(s->hour[i] + wh, to);
		one = plan_source_sql(p, prefix.buf, from, to);
		sb_addf(&sql, "%s(SELECT COUNT(*) FROM (%s LIMIT %d) w)", i ? ", " : "", one,
			SETTLE_SMALL_ROWS + 1);
		free(one);
	}
	ok = src_query(src, sql.buf, counts_row, rows);
	sb_release(&prefix);
	sb_release(&sql);
	return ok;
}

/* hours_array: s as a PostgreSQL timestamp[] literal; new string */
static char *hours_array(const hour_set *s)
{
	strbuf sb;
	char hs[20];

	sb_init(&sb, (size_t)s->n * 22 + 2);
	sb_addc(&sb, '{');
	for (int i = 0; i < s->n; i++) {
		hour_format_sql(s->hour[i], hs);
		sb_addf(&sb, "%s\"%s\"", i ? "," : "", hs);
	}
	sb_addc(&sb, '}');
	return sb_detach(&sb);
}

/* the windows claim_and_lock got, with their job_hours rows' ctids (stable
 * while the transaction holds the rows' locks), both owned */
typedef struct locked_ctx {
	hour_set *locked;
	char **tid;
	int ntid, cap;
} locked_ctx;

static bool locked_row(void *ctx, int ncols, char **v)
{
	locked_ctx *x = ctx;
	int64_t hour;

	if (ncols < 2 || !v[0] || !v[1] || !hour_parse(v[0], &hour))
		return true;
	hour_set_add(x->locked, hour);
	*ARRAY_PUSH(x->tid, x->ntid, x->cap) = xstrdup(v[1]);
	return true;
}

/* claim_and_lock: of the candidate windows, those still pending in the job
 * (or claimed by this worker) whose row lock and hours' advisory locks this
 * transaction gets without waiting, into *locked, ascending */
static bool claim_and_lock(tgt_conn *tgt, const table_plan *p, const settle_job *job, int wh,
			   const hour_set *cand, locked_ctx *locked)
{
	char id[24], wid[24], whs[8], lo[20], hi[20];
	char *hours = hours_array(cand);
	char *sql = ledger_expand(
		/* one range scan of the job's unsettled hours from the first
		 * candidate to the last, not a key lookup per candidate */
		"SELECT to_char(c.hour, 'YYYY-MM-DD HH24:MI:SS'), c.tid FROM ("
		"  SELECT h.hour, h.ctid AS tid FROM @S.job_hours h"
		"  WHERE h.job_id = $1 AND h.table_name = $2"
		"    AND h.hour >= $7::timestamp AND h.hour <= $8::timestamp AND h.hour = ANY ($3::timestamp[])"
		"    AND (h.status = 'pending' OR (h.status = 'running' AND h.worker_id = $4))"
		"  FOR UPDATE SKIP LOCKED) c"
		" WHERE (SELECT bool_and(pg_try_advisory_xact_lock(hashtext($5),"
		"          (extract(epoch FROM c.hour) / 3600)::int + g))"
		"        FROM generate_series(0, $6::int - 1) g)"
		" ORDER BY c.hour",
		job->schema);
	bool ok;

	snprintf(id, sizeof(id), "%lld", (long long)job->job_id);
	snprintf(wid, sizeof(wid), "%lld", (long long)job->worker_id);
	snprintf(whs, sizeof(whs), "%d", wh);
	hour_set_bounds(cand, lo, hi);
	const char *params[] = { id, p->cfg->name, hours, wid, p->lock_key, whs, lo, hi };
	ok = tgt_query(tgt, sql, 8, params, locked_row, locked);
	free(sql);
	free(hours);
	return ok;
}

typedef struct index_ctx {
	bool *flags;
	int n;
} index_ctx;

/* index_row: a row holding a 1-based index into the bool array ctx */
static bool index_row(void *ctx, int ncols, char **v)
{
	index_ctx *x = ctx;
	int i = ncols > 0 ? field_index(v[0], 1, x->n) : -1;

	if (i >= 0)
		x->flags[i] = true;
	return true;
}

/* probe_target: has_rows[i] for the windows starting at s->hour[i], under
 * the locks: the load's own bounds (text cast to the time column's type, as
 * the load's parameters are) probed once per window with EXISTS */
static bool probe_target(tgt_conn *tgt, const table_plan *p, const hour_set *s, int wh,
			 bool *has_rows)
{
	const column_spec *tc = &p->cols[p->time_idx];
	hour_set ends = { 0 };
	strbuf sql;
	char *starts, *stops;
	bool ok;

	for (int i = 0; i < s->n; i++)
		hour_set_add(&ends, s->hour[i] + wh);
	starts = hours_array(s);
	stops = hours_array(&ends);
	sb_init(&sql, 512);
	sb_adds(&sql, "SELECT u.i FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(a, b, i)"
		      " WHERE EXISTS (SELECT 1 FROM ");
	quote_pg_ident(&sql, p->cfg->target);
	sb_adds(&sql, " WHERE ");
	quote_pg_ident(&sql, tc->name);
	sb_addf(&sql, " >= u.a::%s AND ", tc->type_name);
	quote_pg_ident(&sql, tc->name);
	sb_addf(&sql, " < u.b::%s)", tc->type_name);
	const char *params[] = { starts, stops };
	ok = tgt_query(tgt, sql.buf, 2, params, index_row, &(index_ctx){ has_rows, s->n });
	sb_release(&sql);
	free(starts);
	free(stops);
	free(ends.hour);
	return ok;
}

/* worker_name: this process as the ledger names a job hour's worker */
static void worker_name(char *who, size_t size)
{
	char host[256] = "unknown";

	gethostname(host, sizeof(host) - 1);
	snprintf(who, size, "%s:%d", host, (int)getpid());
}

/* record_settled: the ledger of the settled windows, as a load of each empty
 * window writes it (ledger_hour_done, ledger_rejects_clear) */
static bool record_settled(tgt_conn *tgt, const table_plan *p, const settle_job *job,
			   const hour_set *s, const char *tids, double seconds)
{
	char id[24], wid[24], sec[32], who[300], lo[20], hi[20];
	char *hours = hours_array(s);
	char *sql = ledger_expand(
		"WITH r AS (DELETE FROM @S.rejects WHERE table_name = $2 AND hour >= $8::timestamp"
		"    AND hour <= $9::timestamp AND hour = ANY ($3::timestamp[])),"
		" h AS (UPDATE @S.job_hours SET status = 'succeeded', attempts = attempts + 1,"
		"    rows_read = 0, rows_loaded = 0, rows_rejected = 0, rows_deleted = 0, seconds = $4,"
		"    error_class = NULL, error = NULL, finished_at = now(), worker_id = $5, worker = $6"
		/* the key range first: a ctid list alone was a scan of the
		 * whole table (the planner prices each tid as a random read) */
		"  WHERE job_id = $1 AND table_name = $2 AND hour >= $8::timestamp"
		"    AND hour <= $9::timestamp AND ctid = ANY ($7::tid[]))"
		" INSERT INTO @S.loaded_hours AS l (table_name, hour, window_hours, job_id,"
		"   rows_loaded, rows_rejected)"
		" SELECT $2, u.hour, j.window_hours, $1, 0, 0"
		" FROM unnest($3::timestamp[]) AS u(hour), @S.jobs j WHERE j.job_id = $1"
		" ON CONFLICT (table_name, hour) DO UPDATE SET window_hours = excluded.window_hours,"
		"   job_id = excluded.job_id, rows_loaded = 0, rows_rejected = 0, loaded_at = now()",
		job->schema);
	bool ok;

	worker_name(who, sizeof(who));
	snprintf(id, sizeof(id), "%lld", (long long)job->job_id);
	snprintf(wid, sizeof(wid), "%lld", (long long)job->worker_id);
	snprintf(sec, sizeof(sec), "%.6f", seconds / s->n);
	hour_set_bounds(s, lo, hi);
	const char *params[] = { id, p->cfg->name, hours, sec, wid, who, tids, lo, hi };
	ok = tgt_exec(tgt, sql, 9, params, NULL);
	free(sql);
	free(hours);
	return ok;
}

/* settle_locked: in the open transaction, the windows of cand that this
 * worker can lock and that the target has no row in are recorded as
 * loaded, into *done */
static bool settle_locked(tgt_conn *tgt, const table_plan *p, const settle_job *job, int wh,
			  const hour_set *cand, hour_set *done, double t0)
{
	hour_set locked = { 0 };
	locked_ctx lc = { .locked = &locked };
	bool *target_rows = NULL;
	bool ok = claim_and_lock(tgt, p, job, wh, cand, &lc);
	strbuf tids;

	if (ok && locked.n > 0) {
		target_rows = xcalloc((size_t)locked.n, sizeof(bool));
		ok = probe_target(tgt, p, &locked, wh, target_rows);
	}
	sb_init(&tids, (size_t)locked.n * 12 + 2);
	sb_addc(&tids, '{');
	for (int i = 0, n = 0; ok && i < locked.n; i++) {
		if (target_rows[i])
			continue;
		hour_set_add(done, locked.hour[i]);
		sb_addf(&tids, "%s\"%s\"", n++ ? "," : "", lc.tid[i]);
	}
	sb_addc(&tids, '}');
	if (ok && done->n > 0)
		ok = record_settled(tgt, p, job, done, tids.buf, now_monotonic() - t0);
	sb_release(&tids);
	str_list_free(lc.tid, lc.ntid);
	free(locked.hour);
	free(target_rows);
	return ok;
}

void settle_job_init(settle_job *job, const char *schema, int64_t job_id, int64_t worker_id,
		     int nplans)
{
	job->schema = schema;
	job->job_id = job_id;
	job->worker_id = worker_id;
	job->nplans = nplans;
	job->probe = xcalloc((size_t)nplans, sizeof(*job->probe));
	for (int i = 0; i < nplans; i++)
		job->probe[i].start = INT64_MIN;
}

void settle_job_release(settle_job *job)
{
	free(job->probe);
	job->probe = NULL;
}

int settle_small_after(const settle_job *job, int plan, window w, int max)
{
	const settle_probe *pr = &job->probe[plan];
	int64_t i, total;
	int n = 0;

	if (pr->start == INT64_MIN || pr->window_hours != w.hours || w.start_hour < pr->start ||
	    (w.start_hour - pr->start) % w.hours != 0)
		return 0;
	i = (w.start_hour - pr->start) / w.hours;
	if (i >= SETTLE_SPAN || pr->rows[i] > SETTLE_SMALL_ROWS)
		return 0;
	total = pr->rows[i];
	for (i++; i < SETTLE_SPAN && n < max; i++, n++) {
		total += pr->rows[i];
		if (pr->rows[i] > SETTLE_SMALL_ROWS || total > SETTLE_GROUP_ROWS)
			break;
	}
	return n;
}

/* log_settled: one hour_done line per settled window, as a load logs it */
static void log_settled(const table_plan *p, const settle_job *job, const hour_set *done)
{
	char iso[20];

	for (int i = 0; i < done->n && log_enabled(LOG_INFO); i++) {
		hour_format_iso(done->hour[i], iso);
		log_set_context(job->job_id, p->cfg->name, iso);
		log_event(LOG_INFO, &(log_fields){ .event = "hour_done", .has_counts = true },
			  "table %s hour %s: 0 rows read, 0 loaded, 0 rejected, 0 deleted "
			  "(empty on both sides, settled in bulk)",
			  p->cfg->name, iso);
	}
	log_set_context(job->job_id, NULL, NULL);
}

bool settle_empty(src_conn *src, tgt_conn *tgt, const table_plan *p, int plan, settle_job *job,
		  window w, int64_t **settled, int *n)
{
	hour_set span = { 0 }, cand = { 0 }, done = { 0 };
	settle_probe *pr = &job->probe[plan];
	double t0 = now_monotonic();
	bool ok;

	*settled = NULL;
	*n = 0;
	if (pr->start != INT64_MIN && pr->window_hours == w.hours && w.start_hour >= pr->start &&
	    w.start_hour < pr->start + (int64_t)SETTLE_SPAN * w.hours)
		return true;
	pr->start = w.start_hour;
	pr->window_hours = w.hours;
	for (int i = 0; i < SETTLE_SPAN; i++)
		hour_set_add(&span, w.start_hour + (int64_t)i * w.hours);
	ok = probe_source(src, p, &span, w.hours, pr->rows);
	if (!ok)
		pr->start = INT64_MIN; /* nothing known: no window is grouped */
	for (int i = 0; ok && i < span.n; i++)
		if (pr->rows[i] == 0)
			hour_set_add(&cand, span.hour[i]);
	if (ok && cand.n > 0) {
		ok = tgt_exec(tgt, "BEGIN", 0, NULL, NULL) &&
		     settle_locked(tgt, p, job, w.hours, &cand, &done, t0) &&
		     tgt_exec(tgt, "COMMIT", 0, NULL, NULL);
		if (!ok)
			tgt_exec_quiet(tgt, "ROLLBACK");
	}
	if (ok && done.n > 0) {
		char first[20], last[20];
		hour_format_iso(done.hour[0], first);
		hour_format_iso(done.hour[done.n - 1], last);
		log_debug("table %s: %d empty window(s) of %d probed settled in %.3fs (%s .. %s)",
			  p->cfg->name, done.n, span.n, now_monotonic() - t0, first, last);
		log_settled(p, job, &done);
	}
	if (!ok) {
		char from[20];
		hour_format_iso(w.start_hour, from);
		/* a stop cancelled it: nothing is loaded after a stop, and the
		 * run's own lines say what stopped it */
		if (signals_caught())
			log_debug("table %s: settling the empty hours from %s stopped", p->cfg->name,
				  from);
		else
			log_warn("table %s: the empty hours from %s could not be settled in bulk (see "
				 "above); they are loaded one by one",
				 p->cfg->name, from);
		free(done.hour);
		done = (hour_set){ 0 };
	}
	*settled = done.hour;
	*n = done.n;
	free(span.hour);
	free(cand.hour);
	return ok;
}

/* count_row: counts the rows of a result into the int ctx */
static bool count_row(void *ctx, int ncols, char **v)
{
	(void)ncols;
	(void)v;
	++*(int *)ctx;
	return true;
}

bool settle_claim_after(tgt_conn *tgt, const table_plan *p, const settle_job *job, int64_t hour,
			int n, int *got)
{
	char id[24], wid[24], who[300];
	hour_set want = { 0 };
	char *hours, *sql;
	bool ok;

	*got = 0;
	for (int i = 1; i <= n; i++)
		hour_set_add(&want, hour + i);
	hours = hours_array(&want);
	/* the pending ones of the hours, locked without waiting, each found by
	 * its whole key (the statistics of a job just written do not know its
	 * hours: a plan that scans the job's hours would cost milliseconds);
	 * the first hour missing among them ends the run claimed; the job's
	 * heart beats */
	sql = ledger_expand(
		"WITH c AS (SELECT l.tid, u.i FROM unnest($3::timestamp[]) WITH ORDINALITY AS u(hour, i)"
		"   CROSS JOIN LATERAL (SELECT h.ctid AS tid FROM @S.job_hours h WHERE h.job_id = $1"
		"     AND h.table_name = $2 AND h.hour = u.hour AND h.status = 'pending'"
		"     FOR UPDATE SKIP LOCKED) l),"
		" gap AS (SELECT min(u.i) AS i FROM unnest($3::timestamp[]) WITH ORDINALITY AS u(hour, i)"
		"   WHERE u.i NOT IN (SELECT i FROM c)),"
		" beat AS (UPDATE @S.jobs SET heartbeat_at = now() WHERE job_id = $1)"
		" UPDATE @S.job_hours h SET status = 'running', worker_id = $4, worker = $5"
		" WHERE h.ctid = ANY (ARRAY(SELECT tid FROM c"
		"   WHERE i < coalesce((SELECT i FROM gap), $6::int + 1)))"
		" RETURNING 1",
		job->schema);
	worker_name(who, sizeof(who));
	snprintf(id, sizeof(id), "%lld", (long long)job->job_id);
	snprintf(wid, sizeof(wid), "%lld", (long long)job->worker_id);
	char count[16];
	snprintf(count, sizeof(count), "%d", n);
	const char *params[] = { id, p->cfg->name, hours, wid, who, count };
	ok = tgt_query(tgt, sql, 6, params, count_row, got);
	free(sql);
	free(hours);
	free(want.hour);
	return ok;
}
