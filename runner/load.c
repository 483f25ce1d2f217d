/*
 * load.c: one window's transaction (see load.h): lock the window's hours,
 * delete its target rows and old rejects, stream its source rows from a
 * consistent snapshot through validation into batches (load_copy.c; invalid
 * and refused rows in load_reject.c), check the counts, record the window in
 * etlre's tables, commit; or roll it all back. A group of small hours
 * (load_group) is one such transaction with each hour's counts, checks and
 * ledger rows of its own.
 */
#include "load_ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_group.h"
#include "load_merge.h"
#include "log.h"
#include "partition.h"
#include "signals.h"
#include "typemap.h"

void load_fail(window_ctx *x, err_class cls, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->res->error) /* the first failure is the one that counts */
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	x->res->error = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(x->res->error, (size_t)n + 1, fmt, ap);
	va_end(ap);
	x->res->cls = cls;
	x->res->status = WINDOW_FAILED;
}

/* count_in_hour: a row of a group counted in its hour (by its time value,
 * as the source's WHERE compares it); false (the group fails) when that
 * cannot be told */
static bool count_in_hour(window_ctx *x, const char *v, unsigned long len)
{
	int64_t t, hour;

	if (!v || !naive_parse(v, len, &t)) {
		load_fail(x, ERRCLASS_INTERNAL, "a time value of the group is not a date and time");
		return false;
	}
	hour = (t >= 0 ? t : t - 3599) / 3600 - x->w.start_hour;
	if (hour < 0 || hour >= x->w.hours) {
		load_fail(x, ERRCLASS_INTERNAL, "a row's time is outside the group's hours");
		return false;
	}
	x->per_hour[hour].read++;
	x->per_hour[hour].loaded++; /* a group loads every row or fails */
	x->row_hour = (int)hour;
	return true;
}

/* count_group_move: a row of a group whose key an hour after its own
 * deleted counts as moved in, as loading the hours one by one would count
 * it (load_group.h); the old hour then did not delete it */
static void count_group_move(window_ctx *x, char **vals, unsigned long *lens)
{
	int old = group_keys_hour(&x->keys, x->p, vals, lens, &x->keybuf);
	char from[20], to[20];

	if (old <= x->row_hour)
		return;
	x->per_hour[x->row_hour].moved++;
	x->per_hour[old].deleted--;
	x->res->n.moved++;
	x->res->n.deleted--;
	if (!log_enabled(LOG_DEBUG))
		return;
	sb_reset(&x->scratch);
	load_format_key(x, &x->scratch, vals, lens);
	hour_format_iso(x->w.start_hour + old, from);
	hour_format_iso(x->w.start_hour + x->row_hour, to);
	log_debug("table %s hour %s: key %s moved in from hour %s", x->p->cfg->name, to,
		  x->scratch.buf, from);
}

/* process_row: validate, then encode or reject; false when the window must stop */
static bool process_row(window_ctx *x, char **vals, unsigned long *lens)
{
	const table_plan *p = x->p;
	char rule[192], reason[256];

	if (x->per_hour && !count_in_hour(x, vals[p->time_idx], lens[p->time_idx]))
		return false;
	for (int i = 0; i < p->ncols; i++) {
		typemap_convert(&p->cols[i], &vals[i], &lens[i]);
		if (!validate_value(&p->cols[i], vals[i], lens[i], rule, sizeof(rule), reason,
				    sizeof(reason)))
			return load_reject_row(x, vals, lens, i, NULL, rule, reason);
	}
	for (int c = 0; c < p->nchecks; c++) {
		const char *v = vals[p->ncols + c];
		if (!v || strcmp(v, "1") != 0) {
			snprintf(rule, sizeof(rule), "check.%s", p->checks[c].name);
			snprintf(reason, sizeof(reason), "%.200s is not true", p->checks[c].expr);
			/* a rule on one column is reported like a column's rule */
			int col = p->checks[c].ncols == 1 ? p->checks[c].cols[0] : -1;
			return load_reject_row(x, vals, lens, col, col < 0 ? &p->checks[c] : NULL, rule,
					  reason);
		}
	}
	if (x->per_hour)
		count_group_move(x, vals, lens);
	if (!load_encode_row(x, vals, lens))
		return false;
	if (x->b.nrows >= x->run->chunk_rows || x->b.data.len + x->b.keep.len >= BATCH_MAX_BYTES)
		return load_flush_batch(x);
	return true;
}

/* partitions_ready: a partitioned target's partitions hold the window, or
 * the hour fails naming the one to create (partition.h), before any row */
static bool partitions_ready(window_ctx *x)
{
	char *why;

	if (partition_ready(x->tgt, x->p, x->w, &why))
		return true;
	if (why)
		load_fail(x, ERRCLASS_INTERNAL, "%s", why);
	free(why);
	return false;
}

/* deleted_row: a row of group_delete_sql's answer into the window's hours */
static bool deleted_row(void *ctx, int ncols, char **v)
{
	window_ctx *x = ctx;
	int i = ncols >= 3 ? field_index(v[0], 0, x->w.hours) : -1;

	if (i < 0)
		return true;
	x->per_hour[i].deleted = field_int64(v[1]);
	x->res->n.deleted += x->per_hour[i].deleted;
	free(x->deleted_keys[i]);
	x->deleted_keys[i] = v[2] ? xstrdup(v[2]) : NULL;
	return true;
}

/* group_locked: BEGIN and a group's advisory locks, taken without waiting
 * (st[0] and st[1], as lock_and_delete builds them): a group whose hour
 * another run is loading fails at once, and its hours are loaded one by one,
 * each waiting for its own lock as usual */
static bool group_locked(window_ctx *x, tgt_stmt *st)
{
	int64_t all = 0;
	tgt_stmt try[2] = { st[0], st[1] };

	try[1].sql = "SELECT bool_and(pg_try_advisory_xact_lock(hashtext($1), h::int))::int"
		     " FROM generate_series($2::bigint, $3::bigint) h";
	try[1].value = &all;
	if (!tgt_exec_pipeline(x->tgt, try, 2))
		return false;
	if (all != 1)
		load_fail(x, ERRCLASS_INTERNAL, "an hour of the group is being loaded by another run");
	return all == 1;
}

/* lock_and_delete: BEGIN, the window's advisory locks, the DELETE of its
 * target rows (replace mode) and of its old rejects, and (replace mode) the
 * first batch's savepoint, sent in one round trip. A group deletes all its
 * hours at once, learning each hour's deleted rows and their keys. */
static bool lock_and_delete(window_ctx *x)
{
	char first[24], last[24];
	const char *lock_params[] = { x->p->lock_key, first, last };
	const char *window_params[] = { x->from, x->to, x->bounds_array };
	const char *rejects_params[] = { x->p->cfg->name, x->from, x->to };
	char *rejects_sql = x->per_hour ? ledger_rejects_clear_range_sql(x->run->schema)
					: ledger_rejects_clear_sql(x->run->schema);
	char *group_sql = x->per_hour ? group_delete_sql(x->p) : NULL;
	tgt_stmt st[5] = {
		{ .sql = "BEGIN" },
		{ .sql = "SELECT pg_advisory_xact_lock(hashtext($1), h::int)"
			 " FROM generate_series($2::bigint, $3::bigint) h",
		  .nparams = 3, .params = lock_params },
	};
	int n = 2;
	bool ok = true;

	snprintf(first, sizeof(first), "%lld", (long long)x->w.start_hour);
	snprintf(last, sizeof(last), "%lld", (long long)(x->w.start_hour + x->w.hours - 1));
	if (x->per_hour && !group_locked(x, st)) {
		free(group_sql);
		free(rejects_sql);
		return false;
	}
	if (x->per_hour)
		n = 0;
	if (x->p->range_partitioned) {
		/* the partitions are checked (and created) under the hour's lock,
		 * before its delete: one more round trip, partitioned targets only */
		ok = (n == 0 || tgt_exec_pipeline(x->tgt, st, n)) && partitions_ready(x);
		n = 0;
	}
	if (group_sql) /* groups are never in merge mode */
		st[n++] = (tgt_stmt){ .sql = group_sql, .nparams = 3, .params = window_params,
				      .fn = deleted_row, .fn_ctx = x };
	else if (!x->p->merge) /* merge deletes after the COPY */
		st[n++] = (tgt_stmt){ .sql = x->p->delete_sql, .nparams = 2, .params = window_params,
				      .affected = &x->res->n.deleted };
	if (!x->run->dry_run)
		st[n++] = (tgt_stmt){ .sql = rejects_sql, .nparams = x->per_hour ? 3 : 2,
				      .params = rejects_params };
	if (!x->p->merge) /* merge creates its staging table first */
		st[n++] = (tgt_stmt){ .sql = "SAVEPOINT etlre_batch" };
	ok = ok && (n == 0 || tgt_exec_pipeline(x->tgt, st, n)) &&
	     (!x->p->merge || merge_begin(x->tgt, x->p));
	x->savepoint_ready = ok && !x->p->merge;
	if (ok && x->per_hour)
		group_keys_init(&x->keys, x->p, x->deleted_keys, x->w.hours);
	free(group_sql);
	free(rejects_sql);
	return ok;
}

/* the hour's rows and primary key span, from plan.h's source_range_sql */
typedef struct key_range {
	int64_t count;
	char lo[24], hi[24];
	bool dense; /* read the hour by the key range lo..hi */
} key_range;

/* is_integer_text: an optional minus and 1 to 20 digits (BIGINT and BIGINT
 * UNSIGNED), so that the value fits key_range's buffers and is SQL-safe */
static bool is_integer_text(const char *v)
{
	const char *digits = v && *v == '-' ? v + 1 : v;
	size_t n = digits ? strlen(digits) : 0;

	return n > 0 && n <= 20 && strspn(digits, "0123456789") == n;
}

static bool key_range_row(void *ctx, unsigned int ncols, char **row, unsigned long *lengths)
{
	key_range *k = ctx;

	(void)lengths;
	if (ncols < 4)
		return true;
	k->count = field_int64(row[0]);
	k->dense = row[3] && strcmp(row[3], "1") == 0 && is_integer_text(row[1]) &&
		   is_integer_text(row[2]);
	if (k->dense) {
		snprintf(k->lo, sizeof(k->lo), "%s", row[1]);
		snprintf(k->hi, sizeof(k->hi), "%s", row[2]);
	}
	return true;
}

/* rows_sql: the SELECT of the hour's rows. With key-range reads (plan.h) the
 * hour is counted first, in the snapshot, and *counted is set */
static char *rows_sql(window_ctx *x, int64_t *source_count, bool *counted)
{
	key_range k = { 0 };
	char *sql;
	bool ok;

	*counted = false;
	if (!x->p->source_range_sql)
		return plan_source_sql(x->p, x->p->select_sql, x->from, x->to);
	sql = plan_source_sql(x->p, x->p->source_range_sql, x->from, x->to);
	ok = src_query(x->src, sql, key_range_row, &k);
	free(sql);
	if (!ok)
		return NULL;
	*source_count = k.count;
	*counted = true;
	if (!k.dense)
		return plan_source_sql(x->p, x->p->select_sql, x->from, x->to);
	log_debug("table %s hour %s: %lld rows, read by the key range %s..%s", x->p->cfg->name,
		  x->hour_iso, (long long)k.count, k.lo, k.hi);
	return plan_source_sql_keyrange(x->p, k.lo, k.hi, x->from, x->to);
}

static bool stream_source(window_ctx *x, int64_t *source_count)
{
	char *sql;
	char **row;
	unsigned long *lens;
	int r;
	bool ok, counted;

	if (!src_exec(x->src, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"))
		return false;
	sql = rows_sql(x, source_count, &counted);
	if (!sql)
		return false;
	ok = src_stream_open(x->src, sql);
	free(sql);
	if (!ok)
		return false;
	while ((r = src_stream_next(x->src, &row, &lens)) == 1) {
		x->res->n.read++;
		if ((x->res->n.read & 4095) == 0 && x->run->progress)
			x->run->progress(x->run->progress_ctx);
		if ((x->res->n.read & 4095) == 0 && signals_caught()) {
			x->res->status = WINDOW_INTERRUPTED;
			src_stream_close(x->src);
			return false;
		}
		if (!process_row(x, row, lens)) {
			src_stream_close(x->src);
			return false;
		}
	}
	src_stream_close(x->src);
	if (r < 0)
		return false;
	x->last_batch = !x->p->merge; /* merge sends its own statements next */
	if (counted)
		return load_flush_batch(x) && src_exec(x->src, "COMMIT");
	/* the source counts the hour in the same snapshot (the transaction's
	 * read view) while the target takes the end of the COPY */
	sql = plan_source_sql(x->p, x->p->source_count_sql, x->from, x->to);
	ok = src_query_int64_send(x->src, sql);
	free(sql);
	if (!ok || !load_flush_batch(x) || !src_query_int64_recv(x->src, source_count))
		return false;
	return src_exec(x->src, "COMMIT");
}

/* count_check_failed: the target's count of an hour against the rows
 * loaded (merge mode may keep rows that moved: they count at most once) */
static bool count_check_failed(window_ctx *x, int64_t target_count, int64_t loaded)
{
	if (target_count >= loaded && target_count <= loaded + x->merge_kept)
		return false;
	load_fail(x, ERRCLASS_INTERNAL,
	     "count check: the target holds %lld rows for the hour but %lld were loaded (%lld kept)",
	     (long long)target_count, (long long)loaded, (long long)x->merge_kept);
	return true;
}

/* group_count_row: a row of group_count_sql's answer into ctx's counts */
typedef struct group_counts {
	int64_t *count;
	int n;
} group_counts;

static bool group_count_row(void *ctx, int ncols, char **v)
{
	group_counts *g = ctx;
	int i = ncols >= 2 ? field_index(v[0], 0, g->n) : -1;

	if (i >= 0)
		g->count[i] = field_int64(v[1]);
	return true;
}

/* add_check_statements: into st from *ns on, the target's count of the
 * window (of each hour of a group) and its ledger rows (not in a dry run) */
static void add_check_statements(window_ctx *x, tgt_stmt *st, int *ns, int64_t *target_count,
				 group_counts *gc, const char **params, ledger_done *d,
				 ledger_done_many *dm, char **group_sql, char **hours, double seconds)
{
	const char *table = x->p->cfg->name, *schema = x->run->schema;

	params[0] = x->from;
	params[1] = x->to;
	params[2] = x->bounds_array;
	if (!x->per_hour) {
		st[(*ns)++] = (tgt_stmt){ .sql = x->p->target_count_sql, .nparams = 2,
					  .params = params, .value = target_count };
		if (x->run->dry_run)
			return;
		ledger_hour_done_stmt(d, schema, x->run->job_id, table, x->from, &x->res->n, seconds);
		st[(*ns)++] = (tgt_stmt){ .sql = d->sql, .nparams = LEDGER_DONE_NPARAMS,
					  .params = d->params };
		return;
	}
	*gc = (group_counts){ target_count, x->w.hours };
	*group_sql = group_count_sql(x->p);
	st[(*ns)++] = (tgt_stmt){ .sql = *group_sql, .nparams = 3, .params = params,
				  .fn = group_count_row, .fn_ctx = gc };
	if (x->run->dry_run)
		return;
	*hours = group_bounds(x->bounds, x->w.hours);
	ledger_hours_done_stmt(dm, schema, x->run->job_id, table, *hours, x->per_hour, x->w.hours,
			       seconds / x->w.hours);
	st[(*ns)++] = (tgt_stmt){ .sql = dm->sql, .nparams = LEDGER_DONE_NPARAMS,
				  .params = dm->params };
}

/* check_counts: source = read = loaded + rejected, then the target's count
 * of the window (of each hour of a group), sent with its ledger rows (not in
 * a dry run) in one round trip: the ledger rows are rolled back with the
 * rest when a count is off */
static bool check_counts(window_ctx *x, int64_t source_count, double t0)
{
	hour_counts *n = &x->res->n;
	int hours = x->per_hour ? x->w.hours : 1;
	int64_t *target_count = xcalloc((size_t)hours, sizeof(int64_t));
	ledger_done d = { .sql = NULL };
	ledger_done_many dm = { .sql = NULL };
	ledger_rejects_check rc = { .sum_sql = NULL };
	int64_t job_rejected = 0;
	group_counts gc;
	tgt_stmt st[5];
	const char *params[3];
	char *group_sql = NULL, *hour_list = NULL;
	int ns = 0;
	bool ok = false, check_rejects;

	if (n->read != source_count) {
		load_fail(x, ERRCLASS_INTERNAL, "count check: the source snapshot holds %lld rows but %lld were read",
		     (long long)source_count, (long long)n->read);
		goto out;
	}
	if (n->read != n->loaded + n->rejected) {
		load_fail(x, ERRCLASS_INTERNAL, "count check: %lld rows read but %lld loaded + %lld rejected",
		     (long long)n->read, (long long)n->loaded, (long long)n->rejected);
		goto out;
	}
	if (x->release_pending)
		st[ns++] = (tgt_stmt){ .sql = "RELEASE SAVEPOINT etlre_batch" };
	/* before this window's own ledger row: the others' rejects only */
	check_rejects = x->run->max_rejects >= 0 && n->rejected > 0 && !x->run->dry_run;
	if (check_rejects) {
		const char *lock_sql;
		ledger_rejects_check_stmts(&rc, x->run->schema, x->run->job_id, &lock_sql);
		st[ns++] = (tgt_stmt){ .sql = lock_sql, .nparams = 2, .params = rc.params };
		st[ns++] = (tgt_stmt){ .sql = rc.sum_sql, .nparams = 2, .params = rc.params,
				       .value = &job_rejected };
	}
	add_check_statements(x, st, &ns, target_count, &gc, params, &d, &dm, &group_sql, &hour_list,
			     now_monotonic() - t0);
	ok = tgt_exec_pipeline(x->tgt, st, ns);
	for (int i = 0; ok && i < hours; i++)
		ok = !count_check_failed(x, target_count[i],
					 x->per_hour ? x->per_hour[i].loaded : n->loaded);
	if (ok && check_rejects && job_rejected + n->rejected > x->run->max_rejects) {
		load_fail(x, ERRCLASS_INVALID_DATA,
			  "more than %lld rows rejected in this run (--max-rejects: %lld by other hours "
			  "of the job, %lld in this one); stopping at table %s hour %s",
			  (long long)x->run->max_rejects, (long long)job_rejected,
			  (long long)n->rejected, x->p->cfg->name, x->hour_iso);
		x->res->too_many_rejects = true;
		ok = false;
	}
out:
	ledger_rejects_check_release(&rc);
	free(d.sql);
	if (dm.sql)
		ledger_done_many_release(&dm);
	free(group_sql);
	free(hour_list);
	free(target_count);
	return ok;
}

/* merge_hook: mode = merge: from the staged rows to the target (load_merge.h) */
static bool merge_hook(window_ctx *x)
{
	merge_window mw = { .src = x->src, .tgt = x->tgt, .p = x->p, .from = x->from, .to = x->to,
			    .hour_iso = x->hour_iso, .res = x->res, .reject = load_reject_refused,
			    .reject_ctx = x };
	bool ok = merge_apply(&mw) && load_flush_rejects(x);

	x->merge_kept = mw.kept;
	return ok;
}

static void fail_from_connections(window_ctx *x)
{
	if (x->res->error)
		return;
	/* whichever side failed last set its error; prefer the target's */
	const tgt_error *te = tgt_last_error(x->tgt);
	const src_error *se = src_last_error(x->src);
	if (te->message[0])
		load_fail(x, te->cls, "target: %s", te->message);
	else if (se->message[0])
		load_fail(x, se->cls, "source: %s", se->message);
	else
		load_fail(x, ERRCLASS_INTERNAL, "unknown failure");
}

/* log_done: the hour_done line of a loaded window, or of each hour of a
 * group: one line per hour (on a terminal the progress line says as much) */
static void log_done(const window_ctx *x)
{
	int hours = x->per_hour ? x->w.hours : 1;
	const window_result *res = x->res;

	for (int i = 0; i < hours && log_enabled(log_hour_level()); i++) {
		const hour_counts *n = x->per_hour ? &x->per_hour[i] : &res->n;
		double seconds = res->seconds / hours;
		char iso[20];

		hour_format_iso(x->w.start_hour + i, iso);
		if (x->per_hour)
			log_set_context(x->run->job_id, x->p->cfg->name, iso);
		log_event(log_hour_level(),
			  &(log_fields){ .event = x->run->dry_run ? "hour_dry_run" : "hour_done",
					 .has_counts = true, .rows_read = n->read,
					 .rows_loaded = n->loaded, .rows_rejected = n->rejected,
					 .rows_deleted = n->deleted, .rows_moved = n->moved,
					 .seconds = seconds },
			  "table %s hour %s: %s%lld rows read, %lld loaded, %lld rejected, %lld deleted, "
			  "%lld moved in from other hours in %.2fs%s",
			  x->p->cfg->name, x->per_hour ? iso : x->hour_iso,
			  x->run->dry_run ? "dry run: " : "", (long long)n->read, (long long)n->loaded,
			  (long long)n->rejected, (long long)n->deleted, (long long)n->moved, seconds,
			  x->per_hour ? " (loaded with the next small hours in one transaction)" : "");
	}
}

/* log_failed: a failed window's error line and its record in the job; a
 * group's failure is only logged at debug (its hours are loaded one by one) */
static void log_failed(const window_ctx *x)
{
	window_result *res = x->res;

	if (x->per_hour) {
		log_debug("table %s: the %d small hours from %s could not be loaded together (%s); "
			  "they are loaded one by one",
			  x->p->cfg->name, x->w.hours, x->hour_iso, res->error);
		return;
	}
	log_event(LOG_ERROR,
		  &(log_fields){ .event = "hour_failed", .error_class = err_class_name(res->cls),
				 .seconds = res->seconds },
		  "table %s hour %s: failed [%s]: %s; the hour keeps its previous content",
		  x->p->cfg->name, x->hour_iso, err_class_name(res->cls), res->error);
	if (!x->run->dry_run &&
	    !ledger_hour_failed(x->tgt, x->run->schema, x->run->job_id, x->p->cfg->name, x->from,
				err_class_name(res->cls), res->error, res->seconds))
		log_warn("could not record the failure of hour %s in etlre's tables", x->hour_iso);
}

/* load_any: load_window, or load_group when per_hour is not NULL */
static bool load_any(src_conn *src, tgt_conn *tgt, const table_plan *p, load_run *run, window w,
		     window_result *res, hour_counts *per_hour)
{
	window_ctx x;
	int64_t source_count = 0;
	double t0 = now_monotonic();
	bool ok;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.src = src;
	x.tgt = tgt;
	x.p = p;
	x.run = run;
	x.w = w;
	x.res = res;
	hour_format_sql(w.start_hour, x.from);
	hour_format_sql(w.start_hour + w.hours, x.to);
	hour_format_iso(w.start_hour, x.hour_iso);
	if (per_hour) {
		memset(per_hour, 0, sizeof(*per_hour) * (size_t)w.hours);
		x.per_hour = per_hour;
		x.bounds = xcalloc((size_t)w.hours + 1, sizeof(*x.bounds));
		x.deleted_keys = xcalloc((size_t)w.hours, sizeof(char *));
		for (int i = 0; i <= w.hours; i++)
			hour_format_sql(w.start_hour + i, x.bounds[i]);
		x.bounds_array = group_bounds(x.bounds, w.hours + 1);
	}
	copy_buffer_take(&x.b.data, 1 << 16); /* kept from the previous window */
	copy_buffer_take(&x.b.keep, 1 << 16);
	copy_format_init(&x.fmt, p->cols, p->ncols, p->copy_sql, p->cfg->name, x.hour_iso);
	sb_init(&x.rejects, 1024);
	sb_init(&x.scratch, 1024);
	sb_init(&x.keybuf, 256);
	x.rejects_copy_sql = ledger_rejects_copy_sql(run->schema);
	x.pipe = NULL; /* encode_row starts the writer thread once an hour needs it */
	moved_window_init(&x.moved, tgt, p, x.from, x.to, x.hour_iso);
	log_set_context(run->job_id, p->cfg->name, x.hour_iso);

	/* errors left by an earlier window must not be blamed on this one */
	tgt_clear_error(tgt);
	src_clear_error(src);
	ok = lock_and_delete(&x) && stream_source(&x, &source_count) &&
	     (!p->merge || merge_hook(&x)) && check_counts(&x, source_count, t0);
	if (ok && signals_caught())
		res->status = WINDOW_INTERRUPTED, ok = false;
	if (ok)
		ok = tgt_exec(tgt, run->dry_run ? "ROLLBACK" : "COMMIT", 0, NULL, NULL);

	res->seconds = now_monotonic() - t0;
	if (ok) {
		log_done(&x);
	} else {
		/* the writer thread gives the connection back before the rollback */
		if (!load_stream_drain(&x))
			log_debug("the COPY writer thread stopped after a failed send");
		src_rollback(src);
		tgt_exec_quiet(tgt, "ROLLBACK");
		if (signals_caught()) /* a statement cancelled by the signal handler */
			res->status = WINDOW_INTERRUPTED;
		if (res->status == WINDOW_INTERRUPTED) {
			free(res->error);
			res->error = xstrdup("interrupted; the hour was rolled back");
			log_event(LOG_WARN, &(log_fields){ .event = "hour_interrupted" },
				  "table %s hour %s: interrupted, rolled back", p->cfg->name, x.hour_iso);
		} else {
			fail_from_connections(&x);
			res->status = WINDOW_FAILED;
			log_failed(&x);
		}
		res->n.loaded = 0; /* nothing of it was committed */
	}
	log_set_context(run->job_id, NULL, NULL);
	copy_buffer_give(&x.b.data);
	copy_buffer_give(&x.b.keep);
	copy_format_release(&x.fmt);
	free(x.b.row_end);
	sb_release(&x.rejects);
	sb_release(&x.scratch);
	free(x.rejects_copy_sql);
	free(x.bounds);
	for (int i = 0; per_hour && i < w.hours; i++)
		free(x.deleted_keys[i]);
	free(x.deleted_keys);
	free(x.bounds_array);
	group_keys_release(&x.keys);
	sb_release(&x.keybuf);
	copy_pipe_free(x.pipe);
	moved_window_release(&x.moved);
	return ok;
}

bool load_window(src_conn *src, tgt_conn *tgt, const table_plan *p, load_run *run, window w,
		 window_result *res)
{
	return load_any(src, tgt, p, run, w, res, NULL);
}

bool load_group(src_conn *src, tgt_conn *tgt, const table_plan *p, load_run *run, window w,
		window_result *res, hour_counts *per_hour)
{
	return load_any(src, tgt, p, run, w, res, per_hour);
}

void window_result_release(window_result *res)
{
	free(res->error);
	res->error = NULL;
}
