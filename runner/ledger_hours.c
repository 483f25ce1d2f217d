/*
 * ledger_hours.c: a job's bookkeeping in etlre's tables (see ledger.h): the
 * job and its hours from start to finish, the workers that claim the hours
 * and the locks that say they are alive, the days whose after_day is due,
 * and the counts a running job reads about itself.
 */
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger_sql.h"

bool ledger_job_start(tgt_conn *c, const char *schema, const job_info *job, int64_t *job_id)
{
	char host[256] = "unknown", pid[16], wh[16];

	gethostname(host, sizeof(host) - 1);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(wh, sizeof(wh), "%d", job->window_hours);
	const char *params[] = { job->command, job->range_start, job->range_end, job->tables,
				 job->options, host, pid, wh, job->item_tables, job->item_hours,
				 job->retry_of, job->item_counts };
	return ledger_run_sql_int64(c, schema,
				    "WITH j AS ("
				    "  INSERT INTO @S.jobs (command, status, range_start, range_end, tables,"
				    "                      options, host, pid, window_hours, retry_of)"
				    "  VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8, $11) RETURNING job_id),"
				    " h AS ("
				    "  INSERT INTO @S.job_hours (job_id, table_name, hour)"
				    "  SELECT j.job_id, u.t, u.h + make_interval(hours => g * $8::int)"
				    "  FROM j, unnest($9::text[], $10::timestamp[], $12::int[]) AS u(t, h, n),"
				    "    generate_series(0, u.n - 1) AS g)"
				    " SELECT job_id FROM j",
				    12, params, job_id);
}

/* run_hour_sql: runs tmpl (@S the schema) with $1 the job id, $2 the table
 * and $3 the hour; false when it failed (target_pg.c logged why) */
static bool run_hour_sql(tgt_conn *c, const char *schema, const char *tmpl, int64_t job_id,
			 const char *table, const char *hour_sql)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id, table, hour_sql };
	return ledger_run_sql(c, schema, tmpl, 3, params, NULL, NULL);
}

bool ledger_hour_running(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
			 const char *hour_sql)
{
	return run_hour_sql(c, schema,
			    "WITH h AS (UPDATE @S.job_hours SET status = 'running'"
			    "  WHERE job_id = $1 AND table_name = $2 AND hour = $3 RETURNING 1)"
			    " UPDATE @S.jobs SET heartbeat_at = now() WHERE job_id = $1",
			    job_id, table, hour_sql);
}

bool ledger_job_heartbeat(tgt_conn *c, const char *schema, int64_t job_id)
{
	return ledger_run_job_sql(c, schema,
				  "UPDATE @S.jobs SET heartbeat_at = now()"
				  " WHERE job_id = $1 AND status = 'running'",
				  job_id, NULL, NULL);
}

bool ledger_hour_pending(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
			 const char *hour_sql)
{
	return run_hour_sql(c, schema,
			    "UPDATE @S.job_hours SET status = 'pending', worker_id = NULL"
			    " WHERE job_id = $1 AND table_name = $2 AND hour = $3 AND status = 'running'",
			    job_id, table, hour_sql);
}

bool ledger_job_lock(tgt_conn *c, int64_t job_id)
{
	char id[24], key[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	snprintf(key, sizeof(key), "%d", LEDGER_JOB_LOCK);
	const char *params[] = { key, id };
	/* shared: the coordinator and every worker of the job hold it */
	return tgt_exec(c, "SELECT pg_advisory_lock_shared($1::int, $2::int)", 2, params, NULL);
}

/* two_int64: the first two columns of a row as integers */
static bool two_int64(void *ctx, int ncols, char **v)
{
	int64_t *out = ctx;
	(void)ncols;
	out[0] = field_int64(v[0]);
	out[1] = field_int64(v[1]);
	return true;
}

bool ledger_worker_start(tgt_conn *c, const char *schema, int64_t *worker_id)
{
	char key[24], id[24];

	if (!ledger_run_sql_int64(c, schema, "SELECT nextval('@S.worker_ids')", 0, NULL, worker_id))
		return false;
	snprintf(key, sizeof(key), "%d", LEDGER_WORKER_LOCK);
	snprintf(id, sizeof(id), "%lld", (long long)*worker_id);
	const char *params[] = { key, id };
	return tgt_exec(c, "SELECT pg_advisory_lock($1::int, $2::int)", 2, params, NULL);
}

/* JOB_REJECTED_SQL(ID): the rows the job's succeeded hours rejected, $ID
 * the job id */
#define JOB_REJECTED_SQL(id)                                                             \
	"SELECT coalesce(sum(rows_rejected), 0) FROM @S.job_hours"                       \
	" WHERE job_id = " id "::bigint AND status = 'succeeded'"

/* WORKER_ALIVE(KEY, WORKER): an SQL condition, true when the worker whose id
 * is WORKER holds its lock ($KEY the worker lock class) in this database */
#define WORKER_ALIVE(key, worker)                                                        \
	"EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory'"      \
	" AND l.classid = " key "::int::oid AND l.objid::bigint = " worker                \
	" AND l.objsubid = 2 AND l.granted" LEDGER_LOCK_HERE ")"

typedef struct claim_ctx {
	bool found;
	char table[128];
	char hour[24];
	int window_hours;
} claim_ctx;

static bool claim_row(void *ctx, int ncols, char **v)
{
	claim_ctx *x = ctx;
	(void)ncols;
	x->found = true;
	snprintf(x->table, sizeof(x->table), "%s", v[0]);
	snprintf(x->hour, sizeof(x->hour), "%s", v[1]);
	x->window_hours = atoi(v[2]);
	return true;
}

bool ledger_claim(tgt_conn *c, const char *schema, int64_t job_id, int64_t worker_id,
		  const char *from, char *table, size_t table_size, char *hour, int *window_hours,
		  bool *found)
{
	char id[24], wid[24], key[24], who[300], host[256] = "unknown";
	claim_ctx x = { 0 };
	bool ok;

	gethostname(host, sizeof(host) - 1);
	snprintf(who, sizeof(who), "%s:%d", host, (int)getpid());
	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	snprintf(wid, sizeof(wid), "%lld", (long long)worker_id);
	snprintf(key, sizeof(key), "%d", LEDGER_WORKER_LOCK);
	const char *params[] = { id, wid, key, who, from };
	/* the first pending hour from the worker's own starting point (its
	 * slice, job.c), then from the job's start; only when none is left, the
	 * first hour whose worker's session is gone (its lease): reading
	 * pg_locks costs a scan of the server's whole lock table, which is large
	 * while another worker holds the locks of a bulk settle (settle.c) */
	char *sql = ledger_expand(
			    "WITH a AS (SELECT c.job_id, c.table_name, c.hour FROM @S.job_hours c"
			    "    WHERE c.job_id = $1 AND c.status = 'pending' AND c.hour >= $5::timestamp"
			    "    ORDER BY c.hour, c.table_name LIMIT 1 FOR UPDATE SKIP LOCKED),"
			    " p AS (SELECT c.job_id, c.table_name, c.hour FROM @S.job_hours c"
			    "    WHERE NOT EXISTS (SELECT 1 FROM a) AND c.job_id = $1 AND c.status = 'pending'"
			    "    ORDER BY c.hour, c.table_name LIMIT 1 FOR UPDATE SKIP LOCKED),"
			    " s AS (SELECT c.job_id, c.table_name, c.hour FROM @S.job_hours c"
			    "    WHERE NOT EXISTS (SELECT 1 FROM a) AND NOT EXISTS (SELECT 1 FROM p)"
			    "      AND c.job_id = $1 AND c.status = 'running'"
			    "      AND NOT " WORKER_ALIVE("$3", "c.worker_id")
			    "    ORDER BY c.hour, c.table_name LIMIT 1 FOR UPDATE SKIP LOCKED)"
			    " UPDATE @S.job_hours h SET status = 'running', worker_id = $2, worker = $4"
			    " FROM (SELECT * FROM a UNION ALL SELECT * FROM p UNION ALL SELECT * FROM s) x"
			    " WHERE h.job_id = x.job_id AND h.table_name = x.table_name AND h.hour = x.hour"
			    " RETURNING h.table_name, to_char(h.hour, 'YYYY-MM-DD HH24:MI:SS'),"
			    "   (SELECT window_hours FROM @S.jobs WHERE job_id = $1)",
			    schema);
	/* in the same transaction (one pipeline, one sync), no sort: the
	 * statistics of a job just written say it has about one unfinished
	 * hour, so the planner sorted all of them (13 ms for a year) rather
	 * than read the first in the index's order */
	const tgt_stmt st[] = {
		{ .sql = "SELECT set_config('enable_sort', 'off', true)" },
		{ .sql = sql, .nparams = 5, .params = params, .fn = claim_row, .fn_ctx = &x },
	};
	ok = tgt_exec_pipeline(c, st, 2);
	free(sql);
	*found = x.found;
	if (x.found) {
		snprintf(table, table_size, "%s", x.table);
		memcpy(hour, x.hour, 20);
		hour[19] = '\0';
		*window_hours = x.window_hours;
	}
	return ok;
}

bool ledger_job_rejected(tgt_conn *c, const char *schema, int64_t job_id, int64_t *rejected)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id };
	return ledger_run_sql_int64(c, schema, JOB_REJECTED_SQL("$1"), 1, params, rejected);
}

bool ledger_job_live(tgt_conn *c, const char *schema, int64_t job_id, int64_t *live_running)
{
	char id[24], key[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	snprintf(key, sizeof(key), "%d", LEDGER_WORKER_LOCK);
	const char *params[] = { id, key };
	/* status <> 'succeeded': the job's unsettled hours only (the partial
	 * index), not all of a year's rows */
	return ledger_run_sql_int64(c, schema,
				    "SELECT count(*) FROM @S.job_hours h WHERE h.job_id = $1"
				    "  AND h.status <> 'succeeded' AND h.status = 'running'"
				    "  AND " WORKER_ALIVE("$2", "h.worker_id"),
				    2, params, live_running);
}

bool ledger_job_progress(tgt_conn *c, const char *schema, int64_t job_id, int64_t *hours_done,
			 int64_t *rows_loaded)
{
	char id[24];
	int64_t v[2] = { 0, 0 };
	bool ok;

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id };
	ok = ledger_run_sql(c, schema,
			    "SELECT count(*) FILTER (WHERE status IN ('succeeded', 'failed')),"
			    "  coalesce(sum(rows_loaded) FILTER (WHERE status = 'succeeded'), 0)"
			    " FROM @S.job_hours WHERE job_id = $1",
			    1, params, two_int64, v);
	*hours_done = v[0];
	*rows_loaded = v[1];
	return ok;
}

bool ledger_day_claim(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
		      const char *day, bool *mine)
{
	char id[24];
	int64_t n = 0;
	bool ok;

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id, table, day };
	/* the one worker that sees the day's last hour done inserts the row */
	ok = ledger_run_sql_int64(c, schema,
				  "WITH ins AS (INSERT INTO @S.job_days (job_id, table_name, day)"
				  "  SELECT $1, $2, $3::date WHERE NOT EXISTS (SELECT 1 FROM @S.job_hours"
				  "    WHERE job_id = $1 AND table_name = $2 AND hour::date = $3::date"
				  "      AND status <> 'succeeded')"
				  "  ON CONFLICT DO NOTHING RETURNING 1)"
				  " SELECT count(*) FROM ins",
				  3, params, &n);
	*mine = n > 0;
	return ok;
}

bool ledger_day_done(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
		     const char *day, const char *error)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id, table, day, error };
	return ledger_run_sql(c, schema,
			      "UPDATE @S.job_days SET after_day = CASE WHEN $4::text IS NULL"
			      "  THEN 'succeeded' ELSE 'failed' END, error = $4"
			      " WHERE job_id = $1 AND table_name = $2 AND day = $3::date",
			      4, params, NULL, NULL);
}

bool ledger_job_hours(tgt_conn *c, const char *schema, int64_t job_id, bool every_hour,
		      tgt_row_fn fn, void *ctx)
{
	if (every_hour)
		return ledger_run_job_sql(c, schema,
			"SELECT h.table_name, to_char(h.hour, 'YYYY-MM-DD HH24:MI:SS'), h.status,"
			"  h.rows_read, h.rows_loaded, h.rows_rejected, h.rows_deleted, h.error_class,"
			"  h.error, h.seconds,"
			/* a failed after_day counts once, on its day's last hour; the
			 * window gives that hour without a query per row */
			"  CASE WHEN h.hour = max(h.hour) OVER (PARTITION BY h.table_name, h.hour::date)"
			"  THEN (SELECT count(*) FROM @S.job_days d WHERE d.job_id = h.job_id"
			"     AND d.table_name = h.table_name AND d.day = h.hour::date"
			"     AND d.after_day = 'failed') ELSE 0 END,"
			"  h.rows_moved, 1"
			" FROM @S.job_hours h WHERE h.job_id = $1 ORDER BY h.hour, h.table_name",
			job_id, fn, ctx);
	/* the succeeded hours summed per table, the others one by one (the
	 * partial index of unfinished hours finds them), the failed after_days
	 * counted per table: a year of hours is a few rows, not 8,760 */
	return ledger_run_job_sql(c, schema,
		"SELECT h.table_name, NULL, 'succeeded', sum(h.rows_read), sum(h.rows_loaded),"
		"  sum(h.rows_rejected), sum(h.rows_deleted), NULL, NULL, sum(h.seconds), 0,"
		"  sum(h.rows_moved), count(*)"
		" FROM @S.job_hours h WHERE h.job_id = $1 AND h.status = 'succeeded'"
		" GROUP BY h.table_name"
		" UNION ALL"
		" SELECT h.table_name, to_char(h.hour, 'YYYY-MM-DD HH24:MI:SS'), h.status,"
		"  h.rows_read, h.rows_loaded, h.rows_rejected, h.rows_deleted, h.error_class,"
		"  h.error, h.seconds, 0, h.rows_moved, 1"
		" FROM @S.job_hours h WHERE h.job_id = $1 AND h.status <> 'succeeded'"
		" UNION ALL"
		" SELECT d.table_name, NULL, 'after_day', 0, 0, 0, 0, NULL, NULL, 0, count(*), 0, 0"
		" FROM @S.job_days d WHERE d.job_id = $1 AND d.after_day = 'failed'"
		" GROUP BY d.table_name"
		" ORDER BY 2 NULLS FIRST, 1",
		job_id, fn, ctx);
}

bool ledger_job_finish(tgt_conn *c, const char *schema, int64_t job_id, job_status status)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id, job_status_name(status) };
	return ledger_run_sql(c, schema,
			      "UPDATE @S.jobs SET status = $2, finished_at = now(), heartbeat_at = now()"
			      " WHERE job_id = $1",
			      2, params, NULL, NULL);
}

/* add_array: the values as a PostgreSQL array literal into sb */
static void add_array(strbuf *sb, const int64_t *v, size_t stride, int n)
{
	sb_reset(sb);
	sb_addc(sb, '{');
	for (int i = 0; i < n; i++)
		sb_addf(sb, "%s%lld", i ? "," : "",
			(long long)*(const int64_t *)((const char *)v + stride * (size_t)i));
	sb_addc(sb, '}');
}

void ledger_hours_done_stmt(ledger_done_many *d, const char *schema, int64_t job_id,
			    const char *table, const char *hours, const hour_counts *n, int k,
			    double seconds)
{
	strbuf *a[] = { &d->rd, &d->ld, &d->rj, &d->dl, &d->mv };
	const int64_t *first[] = { &n[0].read, &n[0].loaded, &n[0].rejected, &n[0].deleted,
				   &n[0].moved };

	snprintf(d->id, sizeof(d->id), "%lld", (long long)job_id);
	snprintf(d->sec, sizeof(d->sec), "%.6f", seconds);
	for (int i = 0; i < 5; i++) {
		sb_init(a[i], (size_t)k * 8 + 4);
		add_array(a[i], first[i], sizeof(hour_counts), k);
	}
	d->params[0] = d->id;
	d->params[1] = table;
	d->params[2] = hours;
	d->params[3] = d->rd.buf;
	d->params[4] = d->ld.buf;
	d->params[5] = d->rj.buf;
	d->params[6] = d->dl.buf;
	d->params[7] = d->sec;
	d->params[8] = d->mv.buf;
	/* each hour found by its whole key (the statistics of a job just
	 * written do not know its hours; OFFSET 0 keeps the lookup per hour),
	 * then updated by its row id */
	d->sql = ledger_expand("WITH v AS (SELECT * FROM unnest($3::timestamp[], $4::bigint[], $5::bigint[],"
			"    $6::bigint[], $7::bigint[], $9::bigint[]) AS v(hour, rd, ld, rj, dl, mv)),"
			" h AS ("
			"  UPDATE @S.job_hours j SET status = 'succeeded', attempts = attempts + 1,"
			"    rows_read = v.rd, rows_loaded = v.ld, rows_rejected = v.rj,"
			"    rows_deleted = v.dl, seconds = $8, rows_moved = v.mv, error_class = NULL,"
			"    error = NULL, finished_at = now()"
			"  FROM v WHERE j.ctid = ANY (ARRAY(SELECT l.tid FROM v CROSS JOIN LATERAL"
			"      (SELECT x.ctid AS tid FROM @S.job_hours x WHERE x.job_id = $1"
			"        AND x.table_name = $2 AND x.hour = v.hour OFFSET 0) l))"
			"    AND j.hour = v.hour"
			"  RETURNING j.hour)"
			" INSERT INTO @S.loaded_hours AS l (table_name, hour, window_hours, job_id,"
			"   rows_loaded, rows_rejected)"
			" SELECT $2, v.hour, j.window_hours, $1, v.ld, v.rj FROM v, @S.jobs j WHERE j.job_id = $1"
			" ON CONFLICT (table_name, hour) DO UPDATE SET window_hours = excluded.window_hours,"
			"   job_id = excluded.job_id, rows_loaded = excluded.rows_loaded,"
			"   rows_rejected = excluded.rows_rejected, loaded_at = now()",
			schema);
}

void ledger_done_many_release(ledger_done_many *d)
{
	sb_release(&d->rd);
	sb_release(&d->ld);
	sb_release(&d->rj);
	sb_release(&d->dl);
	sb_release(&d->mv);
	free(d->sql);
	d->sql = NULL;
}

void ledger_rejects_check_stmts(ledger_rejects_check *c, const char *schema, int64_t job_id,
				const char **lock_sql)
{
	snprintf(c->key, sizeof(c->key), "%d", LEDGER_REJECTS_LOCK);
	snprintf(c->id, sizeof(c->id), "%lld", (long long)job_id);
	c->params[0] = c->key;
	c->params[1] = c->id;
	*lock_sql = "SELECT pg_advisory_xact_lock($1::int, $2::int)";
	c->sum_sql = ledger_expand(JOB_REJECTED_SQL("$2") " AND $1::int IS NOT NULL", schema);
}

void ledger_rejects_check_release(ledger_rejects_check *c)
{
	free(c->sum_sql);
	c->sum_sql = NULL;
}

void ledger_hour_done_stmt(ledger_done *d, const char *schema, int64_t job_id, const char *table,
			   const char *hour_sql, const hour_counts *n, double seconds)
{
	snprintf(d->id, sizeof(d->id), "%lld", (long long)job_id);
	snprintf(d->rd, sizeof(d->rd), "%lld", (long long)n->read);
	snprintf(d->ld, sizeof(d->ld), "%lld", (long long)n->loaded);
	snprintf(d->rj, sizeof(d->rj), "%lld", (long long)n->rejected);
	snprintf(d->dl, sizeof(d->dl), "%lld", (long long)n->deleted);
	snprintf(d->mv, sizeof(d->mv), "%lld", (long long)n->moved);
	snprintf(d->sec, sizeof(d->sec), "%.6f", seconds);
	d->params[0] = d->id;
	d->params[1] = table;
	d->params[2] = hour_sql;
	d->params[3] = d->rd;
	d->params[4] = d->ld;
	d->params[5] = d->rj;
	d->params[6] = d->dl;
	d->params[7] = d->sec;
	d->params[8] = d->mv;
	d->sql = ledger_expand("WITH h AS ("
			"  UPDATE @S.job_hours SET status = 'succeeded', attempts = attempts + 1,"
			"    rows_read = $4, rows_loaded = $5, rows_rejected = $6, rows_deleted = $7,"
			"    seconds = $8, rows_moved = $9, error_class = NULL, error = NULL,"
			"    finished_at = now()"
			"  WHERE job_id = $1 AND table_name = $2 AND hour = $3"
			"  RETURNING hour)"
			" INSERT INTO @S.loaded_hours AS l (table_name, hour, window_hours, job_id,"
			"   rows_loaded, rows_rejected)"
			" SELECT $2, $3, j.window_hours, $1, $5, $6 FROM @S.jobs j WHERE j.job_id = $1"
			" ON CONFLICT (table_name, hour) DO UPDATE SET window_hours = excluded.window_hours,"
			"   job_id = excluded.job_id, rows_loaded = excluded.rows_loaded,"
			"   rows_rejected = excluded.rows_rejected, loaded_at = now()",
			schema);
}

bool ledger_hour_done(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
		      const char *hour_sql, const hour_counts *n, double seconds)
{
	ledger_done d;
	bool ok;

	ledger_hour_done_stmt(&d, schema, job_id, table, hour_sql, n, seconds);
	ok = tgt_exec(c, d.sql, LEDGER_DONE_NPARAMS, d.params, NULL);
	free(d.sql);
	return ok;
}

bool ledger_hour_failed(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
			const char *hour_sql, const char *error_class, const char *error,
			double seconds)
{
	char id[24], sec[32];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	snprintf(sec, sizeof(sec), "%.6f", seconds);
	const char *params[] = { id, table, hour_sql, error_class, error, sec };
	return ledger_run_sql(c, schema,
			      "UPDATE @S.job_hours SET status = 'failed', attempts = attempts + 1,"
			      "  error_class = $4, error = $5, seconds = $6, finished_at = now(),"
			      "  rows_read = NULL, rows_loaded = NULL, rows_rejected = NULL, rows_deleted = NULL,"
			      "  rows_moved = NULL"
			      " WHERE job_id = $1 AND table_name = $2 AND hour = $3",
			      6, params, NULL, NULL);
}
