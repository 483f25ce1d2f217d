/*
 * ledger.c: etlre's own tables (see ledger.h). Migrations are a list of SQL
 * scripts; "@S" in them stands for the quoted schema name. Version n of the
 * tables is migrations[0..n-1] applied in order.
 */
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encode.h"
#include "log.h"
#include "sqlquote.h"

static const char *const migrations[] = {
	/* version 1 */
	"CREATE TABLE @S.jobs ("
	"  job_id       bigserial PRIMARY KEY,"
	"  command      text NOT NULL,"
	"  status       text NOT NULL CHECK (status IN"
	"               ('running','succeeded','failed','partial','interrupted')),"
	"  started_at   timestamptz NOT NULL DEFAULT now(),"
	"  finished_at  timestamptz,"
	"  heartbeat_at timestamptz NOT NULL DEFAULT now(),"
	"  range_start  date,"
	"  range_end    date,"
	"  tables       text[] NOT NULL,"
	"  window_hours int NOT NULL DEFAULT 1,"
	"  options      jsonb NOT NULL DEFAULT '{}',"
	"  host         text NOT NULL,"
	"  pid          int NOT NULL,"
	"  retry_of     bigint[],"
	"  retried_by   bigint"
	");"
	"CREATE TABLE @S.job_hours ("
	"  job_id        bigint NOT NULL REFERENCES @S.jobs ON DELETE CASCADE,"
	"  table_name    text NOT NULL,"
	"  hour          timestamp NOT NULL,"
	"  status        text NOT NULL DEFAULT 'pending' CHECK (status IN"
	"                ('pending','running','succeeded','failed')),"
	"  attempts      int NOT NULL DEFAULT 0,"
	"  rows_read     bigint,"
	"  rows_loaded   bigint,"
	"  rows_rejected bigint,"
	"  rows_deleted  bigint,"
	"  error_class   text,"
	"  error         text,"
	"  seconds       double precision,"
	"  finished_at   timestamptz,"
	"  PRIMARY KEY (job_id, table_name, hour)"
	");"
	"CREATE TABLE @S.loaded_hours ("
	"  table_name    text NOT NULL,"
	"  hour          timestamp NOT NULL,"
	"  window_hours  int NOT NULL,"
	"  job_id        bigint NOT NULL,"
	"  rows_loaded   bigint NOT NULL,"
	"  rows_rejected bigint NOT NULL,"
	"  loaded_at     timestamptz NOT NULL DEFAULT now(),"
	"  PRIMARY KEY (table_name, hour)"
	");"
	"CREATE TABLE @S.rejects ("
	"  reject_id   bigserial PRIMARY KEY,"
	"  job_id      bigint NOT NULL,"
	"  table_name  text NOT NULL,"
	"  hour        timestamp NOT NULL,"
	"  row_key     text,"
	"  column_name text,"
	"  value       text,"
	"  rule        text NOT NULL,"
	"  reason      text NOT NULL,"
	"  raw         jsonb NOT NULL,"
	"  rejected_at timestamptz NOT NULL DEFAULT now()"
	");"
	"CREATE INDEX ON @S.rejects (table_name, hour);"
	"CREATE INDEX ON @S.job_hours (status) WHERE status <> 'succeeded';",
	/* version 2: workers claim hours (several processes or hosts per job) */
	"CREATE SEQUENCE @S.worker_ids;"
	"ALTER TABLE @S.job_hours ADD COLUMN worker_id bigint, ADD COLUMN worker text;"
	"CREATE INDEX ON @S.job_hours (job_id, hour, table_name) WHERE status <> 'succeeded';"
	"CREATE TABLE @S.job_days ("
	"  job_id      bigint NOT NULL REFERENCES @S.jobs ON DELETE CASCADE,"
	"  table_name  text NOT NULL,"
	"  day         date NOT NULL,"
	"  after_day   text NOT NULL DEFAULT 'running' CHECK (after_day IN"
	"              ('running','succeeded','failed')),"
	"  error       text,"
	"  PRIMARY KEY (job_id, table_name, day)"
	");",
	/* version 3: rows that moved in from another hour (replace mode) */
	"ALTER TABLE @S.job_hours ADD COLUMN rows_moved bigint;",
	/* version 4: a job's hours are written without a foreign-key check per
	 * row (a year of hours is 8,760 checks at the job's start and again at
	 * each update); no job is ever deleted, and its hours are written only
	 * in the transaction that creates it or for a job id read from it */
	"ALTER TABLE @S.job_hours DROP CONSTRAINT IF EXISTS job_hours_job_id_fkey;"
	/* ... and the next hour to claim is found in the order of the
	 * (job_id, hour, table_name) index of unfinished hours: an index on the
	 * status alone looked cheaper to the planner right after a job's hours
	 * were written (its statistics still saw them finished), and sorting a
	 * year of pending hours for each claim cost milliseconds */
	"DROP INDEX IF EXISTS @S.job_hours_status_idx;",
};

/* expand: the migration text with @S replaced by the quoted schema; caller frees */
static char *expand(const char *tmpl, const char *schema)
{
	return sql_with_schema(tmpl, schema);
}

/* run_sql: tmpl with @S the quoted schema, run with its n params; each row
 * goes to fn when fn is set. False when it failed (target_pg.c logged why). */
static bool run_sql(tgt_conn *c, const char *schema, const char *tmpl, int n,
		    const char *const *params, tgt_row_fn fn, void *ctx)
{
	char *sql = expand(tmpl, schema);
	bool ok = fn ? tgt_query(c, sql, n, params, fn, ctx) : tgt_exec(c, sql, n, params, NULL);

	free(sql);
	return ok;
}

/* run_sql_int64: as run_sql, for a query that answers one number */
static bool run_sql_int64(tgt_conn *c, const char *schema, const char *tmpl, int n,
			  const char *const *params, int64_t *out)
{
	char *sql = expand(tmpl, schema);
	bool ok = tgt_query_int64(c, sql, n, params, out);

	free(sql);
	return ok;
}

static bool read_version(tgt_conn *c, const char *schema, int64_t *version, bool *exists)
{
	const char *params[] = { schema };
	int64_t n;

	*version = 0;
	*exists = false;
	if (!tgt_query_int64(c,
			     "SELECT count(*) FROM pg_catalog.pg_class k JOIN pg_catalog.pg_namespace n"
			     " ON n.oid = k.relnamespace WHERE n.nspname = $1 AND k.relname = 'schema_version'",
			     1, params, &n))
		return false;
	if (n == 0)
		return true;
	*exists = true;
	char *sql = expand("SELECT coalesce(max(version), 0) FROM @S.schema_version", schema);
	bool ok = tgt_query_int64(c, sql, 0, NULL, version);
	free(sql);
	return ok;
}

bool ledger_init(tgt_conn *c, const char *schema, int *from)
{
	int64_t version;
	bool exists;
	char *sql;

	if (!tgt_exec(c, "BEGIN", 0, NULL, NULL))
		return false;
	/* one init at a time: a constant advisory key ("etlr" in ASCII) */
	if (!tgt_exec(c, "SELECT pg_advisory_xact_lock(1702128754)", 0, NULL, NULL))
		goto fail;
	sql = expand("CREATE SCHEMA IF NOT EXISTS @S;"
		     "CREATE TABLE IF NOT EXISTS @S.schema_version ("
		     "  version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
		     schema);
	if (!tgt_exec(c, sql, 0, NULL, NULL)) {
		free(sql);
		goto fail;
	}
	free(sql);
	if (!read_version(c, schema, &version, &exists))
		goto fail;
	*from = (int)version;
	if (version > LEDGER_VERSION) {
		log_error("etlre's tables in schema '%s' are at version %lld, newer than this "
			  "etlre (%d): upgrade etlre",
			  schema, (long long)version, LEDGER_VERSION);
		goto fail;
	}
	for (int64_t v = version; v < LEDGER_VERSION; v++) {
		sql = expand(migrations[v], schema);
		bool ok = tgt_exec(c, sql, 0, NULL, NULL);
		free(sql);
		if (!ok)
			goto fail;
		sql = expand("INSERT INTO @S.schema_version (version) VALUES ($1)", schema);
		char vbuf[24];
		snprintf(vbuf, sizeof(vbuf), "%lld", (long long)(v + 1));
		const char *params[] = { vbuf };
		ok = tgt_exec(c, sql, 1, params, NULL);
		free(sql);
		if (!ok)
			goto fail;
	}
	return tgt_exec(c, "COMMIT", 0, NULL, NULL);
fail:
	tgt_exec_quiet(c, "ROLLBACK");
	return false;
}

bool ledger_version(tgt_conn *c, const char *schema, int *version, strbuf *missing)
{
	static const char *const tables[] = { "jobs", "job_hours", "loaded_hours", "rejects",
					       "job_days", "worker_ids" };
	int64_t v;
	bool exists;

	if (!read_version(c, schema, &v, &exists))
		return false;
	*version = (int)v;
	/* worker_ids and job_days came with version 2 */
	for (size_t i = 0; i < ARRAY_SIZE(tables) && v > 0; i++) {
		strbuf name;
		int64_t found;
		bool ok;

		if (i >= 4 && v < 2)
			break;
		sb_init(&name, 64);
		quote_pg_ident(&name, schema);
		sb_addc(&name, '.');
		quote_pg_ident(&name, tables[i]);
		const char *params[] = { name.buf };
		ok = tgt_query_int64(c, "SELECT (to_regclass($1) IS NOT NULL)::int", 1, params, &found);
		sb_release(&name);
		if (!ok)
			return false;
		if (!found)
			sb_addf(missing, "%s%s", missing->len ? ", " : "", tables[i]);
	}
	return true;
}

bool ledger_check_version(tgt_conn *c, const char *schema)
{
	int64_t version;
	bool exists;

	if (!read_version(c, schema, &version, &exists))
		return false;
	if (!exists || version < LEDGER_VERSION) {
		log_error("etlre's tables in the target schema '%s' are %s: run 'etlre init' first",
			  schema, exists ? "at an older version" : "missing");
		return false;
	}
	if (version > LEDGER_VERSION) {
		log_error("etlre's tables in schema '%s' are at version %lld, newer than this etlre "
			  "(%d): upgrade etlre",
			  schema, (long long)version, LEDGER_VERSION);
		return false;
	}
	return true;
}

bool ledger_job_start(tgt_conn *c, const char *schema, const job_info *job, int64_t *job_id)
{
	char host[256] = "unknown", pid[16], wh[16];

	gethostname(host, sizeof(host) - 1);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(wh, sizeof(wh), "%d", job->window_hours);
	const char *params[] = { job->command, job->range_start, job->range_end, job->tables,
				 job->options, host, pid, wh, job->item_tables, job->item_hours,
				 job->retry_of };
	return run_sql_int64(c, schema,
		             "WITH j AS ("
		             "  INSERT INTO @S.jobs (command, status, range_start, range_end, tables,"
		             "                      options, host, pid, window_hours, retry_of)"
		             "  VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8, $11) RETURNING job_id),"
		             " h AS ("
		             "  INSERT INTO @S.job_hours (job_id, table_name, hour)"
		             "  SELECT j.job_id, u.t, u.h FROM j, unnest($9::text[], $10::timestamp[]) AS u(t, h))"
		             " SELECT job_id FROM j",
		             11, params, job_id);
}

bool ledger_hour_running(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
			 const char *hour_sql)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id, table, hour_sql };
	return run_sql(c, schema,
		       "WITH h AS (UPDATE @S.job_hours SET status = 'running'"
		       "  WHERE job_id = $1 AND table_name = $2 AND hour = $3 RETURNING 1)"
		       " UPDATE @S.jobs SET heartbeat_at = now() WHERE job_id = $1",
		       3, params, NULL, NULL);
}

bool ledger_job_heartbeat(tgt_conn *c, const char *schema, int64_t job_id)
{
	char id[24];
	char *sql;
	bool ok;

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id };
	sql = expand("UPDATE @S.jobs SET heartbeat_at = now() WHERE job_id = $1 AND status = 'running'",
		     schema);
	ok = tgt_exec(c, sql, 1, params, NULL);
	free(sql);
	return ok;
}

bool ledger_hour_pending(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
			 const char *hour_sql)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id, table, hour_sql };
	return run_sql(c, schema,
		       "UPDATE @S.job_hours SET status = 'pending', worker_id = NULL"
		       " WHERE job_id = $1 AND table_name = $2 AND hour = $3 AND status = 'running'",
		       3, params, NULL, NULL);
}

typedef struct items_ctx {
	retry_item *items;
	int n, cap;
} items_ctx;

static bool item_row(void *ctx, int ncols, char **v)
{
	items_ctx *x = ctx;
	(void)ncols;
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		x->items = xrealloc(x->items, sizeof(*x->items) * (size_t)x->cap);
	}
	x->items[x->n].table = xstrdup(v[0]);
	x->items[x->n].hour = xstrdup(v[1]);
	x->items[x->n].window_hours = atoi(v[2]);
	x->n++;
	return true;
}

bool ledger_retry_items(tgt_conn *c, const char *schema, const char *job_ids, bool force,
			retry_item **items, int *n)
{
	items_ctx x = { NULL, 0, 0 };
	const char *params[] = { job_ids, force ? "t" : "f" };
	char *sql = expand("SELECT DISTINCT h.table_name, to_char(h.hour, 'YYYY-MM-DD HH24:MI:SS'),"
			   "  j.window_hours"
			   " FROM @S.job_hours h JOIN @S.jobs j USING (job_id)"
			   " WHERE h.job_id = ANY($1::bigint[]) AND ($2::bool OR h.status <> 'succeeded')"
			   " ORDER BY 2, 1",
			   schema);
	bool ok = tgt_query(c, sql, 2, params, item_row, &x);

	free(sql);
	*items = x.items;
	*n = x.n;
	return ok;
}

void retry_items_free(retry_item *items, int n)
{
	for (int i = 0; i < n; i++) {
		free(items[i].table);
		free(items[i].hour);
	}
	free(items);
}

typedef struct job_row_ctx {
	job_row *rows;
	int n;
} job_row_ctx;

static bool job_row_cb(void *ctx, int ncols, char **v)
{
	job_row_ctx *x = ctx;
	job_row *r;
	(void)ncols;
	x->rows = xrealloc(x->rows, sizeof(*x->rows) * (size_t)(x->n + 1));
	r = &x->rows[x->n++];
	r->job_id = strtoll(v[0], NULL, 10);
	snprintf(r->status, sizeof(r->status), "%s", v[1]);
	r->alive = v[2][0] == 't';
	snprintf(r->host, sizeof(r->host), "%s", v[3]);
	r->pid = atoi(v[4]);
	r->options = xstrdup(v[5]);
	return true;
}

bool ledger_jobs_get(tgt_conn *c, const char *schema, const char *job_ids, job_row **rows, int *n)
{
	job_row_ctx x = { NULL, 0 };
	char key[24];
	snprintf(key, sizeof(key), "%d", LEDGER_JOB_LOCK);
	const char *params[] = { job_ids, key };
	char *sql = expand("SELECT j.job_id, j.status,"
			   "  EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory'"
			   "    AND l.classid = $2::int::oid AND l.objid::bigint = j.job_id AND l.objsubid = 2"
			   "    AND l.granted" LEDGER_LOCK_HERE "),"
			   "  j.host, j.pid, j.options::text"
			   " FROM @S.jobs j WHERE j.job_id = ANY($1::bigint[]) ORDER BY j.job_id",
			   schema);
	bool ok = tgt_query(c, sql, 2, params, job_row_cb, &x);

	free(sql);
	*rows = x.rows;
	*n = x.n;
	return ok;
}

void job_rows_free(job_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		free(rows[i].options);
	free(rows);
}

static bool options_row(void *ctx, int ncols, char **v)
{
	load_options *o = ctx;
	(void)ncols;
	if (v[7])
		o->window_hours = strcmp(v[7], "daily") == 0 ? 24 : 1;
	if (v[0])
		o->skip_invalid = v[0][0] == 't';
	if (v[1])
		o->max_rejects = strtoll(v[1], NULL, 10);
	if (v[2])
		o->chunk_rows = atoi(v[2]);
	if (v[3])
		o->timeout = atoi(v[3]);
	if (v[4])
		o->retries = atoi(v[4]);
	if (v[5])
		o->retry_wait = strtod(v[5], NULL);
	if (v[6])
		o->max_failures = atoi(v[6]);
	return true;
}

bool ledger_job_options(tgt_conn *c, const char *schema, int64_t job_id, load_options *out)
{
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id };
	return run_sql(c, schema,
		       "SELECT (options->>'skip_invalid')::bool, (options->>'max_rejects')::bigint,"
		       "  (options->>'chunk_size')::int, (options->>'timeout')::int,"
		       "  (options->>'retries')::int, (options->>'retry_wait')::float8,"
		       "  (options->>'max_failures')::int, options->>'batch_mode'"
		       " FROM @S.jobs WHERE job_id = $1",
		       1, params, options_row, out);
}

bool ledger_jobs_retried_by(tgt_conn *c, const char *schema, const char *job_ids, int64_t by)
{
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)by);
	const char *params[] = { job_ids, id };
	return run_sql(c, schema,
		       "UPDATE @S.jobs SET retried_by = $2 WHERE job_id = ANY($1::bigint[])",
		       2, params, NULL, NULL);
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
	out[0] = v[0] ? strtoll(v[0], NULL, 10) : 0;
	out[1] = v[1] ? strtoll(v[1], NULL, 10) : 0;
	return true;
}

bool ledger_worker_start(tgt_conn *c, const char *schema, int64_t *worker_id)
{
	char key[24], id[24];
	char *sql = expand("SELECT nextval('@S.worker_ids')", schema);
	bool ok = tgt_query_int64(c, sql, 0, NULL, worker_id);

	free(sql);
	if (!ok)
		return false;
	snprintf(key, sizeof(key), "%d", LEDGER_WORKER_LOCK);
	snprintf(id, sizeof(id), "%lld", (long long)*worker_id);
	const char *params[] = { key, id };
	return tgt_exec(c, "SELECT pg_advisory_lock($1::int, $2::int)", 2, params, NULL);
}

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
		  char *table, size_t table_size, char *hour, int *window_hours, bool *found)
{
	char id[24], wid[24], key[24], who[300], host[256] = "unknown";
	claim_ctx x = { 0 };
	char *sql;
	bool ok;

	gethostname(host, sizeof(host) - 1);
	snprintf(who, sizeof(who), "%s:%d", host, (int)getpid());
	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	snprintf(wid, sizeof(wid), "%lld", (long long)worker_id);
	snprintf(key, sizeof(key), "%d", LEDGER_WORKER_LOCK);
	const char *params[] = { id, wid, key, who };
	/* a pending hour, or one whose worker's session is gone (its lease) */
	sql = expand("UPDATE @S.job_hours h SET status = 'running', worker_id = $2, worker = $4"
		     " FROM (SELECT c.job_id, c.table_name, c.hour FROM @S.job_hours c"
		     "       WHERE c.job_id = $1 AND (c.status = 'pending' OR (c.status = 'running'"
		     "         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l"
		     "           WHERE l.locktype = 'advisory' AND l.classid = $3::int::oid"
		     "             AND l.objid::bigint = c.worker_id AND l.objsubid = 2 AND l.granted"
		     LEDGER_LOCK_HERE ")))"
		     "       ORDER BY c.hour, c.table_name LIMIT 1 FOR UPDATE SKIP LOCKED) x"
		     " WHERE h.job_id = x.job_id AND h.table_name = x.table_name AND h.hour = x.hour"
		     " RETURNING h.table_name, to_char(h.hour, 'YYYY-MM-DD HH24:MI:SS'),"
		     "   (SELECT window_hours FROM @S.jobs WHERE job_id = $1)",
		     schema);
	ok = tgt_query(c, sql, 4, params, claim_row, &x);
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

/* job_pair: two numbers about job job_id from sql_template ($1 the job id,
 * $2 the worker lock class; @S the schema) */
static bool job_pair(tgt_conn *c, const char *schema, int64_t job_id, const char *sql_template,
		     int64_t *a, int64_t *b)
{
	char id[24], key[24];
	int64_t v[2] = { 0, 0 };
	char *sql = expand(sql_template, schema);
	bool ok;

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	snprintf(key, sizeof(key), "%d", LEDGER_WORKER_LOCK);
	const char *params[] = { id, key };
	ok = tgt_query(c, sql, 2, params, two_int64, v);
	free(sql);
	*a = v[0];
	*b = v[1];
	return ok;
}

bool ledger_job_counts(tgt_conn *c, const char *schema, int64_t job_id, int64_t *rejected,
		       int64_t *live_running)
{
	return job_pair(c, schema, job_id,
			"SELECT coalesce(sum(rows_rejected) FILTER (WHERE status = 'succeeded'), 0),"
			"  count(*) FILTER (WHERE status = 'running' AND EXISTS ("
			"    SELECT 1 FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory'"
			"      AND l.classid = $2::int::oid AND l.objid::bigint = h.worker_id"
			"      AND l.objsubid = 2 AND l.granted" LEDGER_LOCK_HERE "))"
			" FROM @S.job_hours h WHERE job_id = $1",
			rejected, live_running);
}

bool ledger_job_progress(tgt_conn *c, const char *schema, int64_t job_id, int64_t *hours_done,
			 int64_t *rows_loaded)
{
	return job_pair(c, schema, job_id,
			"SELECT count(*) FILTER (WHERE status IN ('succeeded', 'failed')),"
			"  coalesce(sum(rows_loaded) FILTER (WHERE status = 'succeeded'), 0)"
			" FROM @S.job_hours WHERE job_id = $1 AND $2::int IS NOT NULL",
			hours_done, rows_loaded);
}

bool ledger_day_claim(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
		      const char *day, bool *mine)
{
	char id[24];
	int64_t n = 0;
	char *sql;
	bool ok;

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id, table, day };
	/* the one worker that sees the day's last hour done inserts the row */
	sql = expand("WITH ins AS (INSERT INTO @S.job_days (job_id, table_name, day)"
		     "  SELECT $1, $2, $3::date WHERE NOT EXISTS (SELECT 1 FROM @S.job_hours"
		     "    WHERE job_id = $1 AND table_name = $2 AND hour::date = $3::date"
		     "      AND status <> 'succeeded')"
		     "  ON CONFLICT DO NOTHING RETURNING 1)"
		     " SELECT count(*) FROM ins",
		     schema);
	ok = tgt_query_int64(c, sql, 3, params, &n);
	free(sql);
	*mine = n > 0;
	return ok;
}

bool ledger_day_done(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
		     const char *day, const char *error)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id, table, day, error };
	return run_sql(c, schema,
		       "UPDATE @S.job_days SET after_day = CASE WHEN $4::text IS NULL"
		       "  THEN 'succeeded' ELSE 'failed' END, error = $4"
		       " WHERE job_id = $1 AND table_name = $2 AND day = $3::date",
		       4, params, NULL, NULL);
}

bool ledger_job_hours(tgt_conn *c, const char *schema, int64_t job_id, tgt_row_fn fn, void *ctx)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id };
	return run_sql(c, schema,
		       "SELECT h.table_name, to_char(h.hour, 'YYYY-MM-DD HH24:MI:SS'), h.status,"
		       "  h.rows_read, h.rows_loaded, h.rows_rejected, h.rows_deleted, h.error_class,"
		       "  h.error, h.seconds,"
		       /* a failed after_day counts once, on its day's last hour; the
		        * window gives that hour without a query per row */
		       "  CASE WHEN h.hour = max(h.hour) OVER (PARTITION BY h.table_name, h.hour::date)"
		       "  THEN (SELECT count(*) FROM @S.job_days d WHERE d.job_id = h.job_id"
		       "     AND d.table_name = h.table_name AND d.day = h.hour::date"
		       "     AND d.after_day = 'failed') ELSE 0 END,"
		       "  h.rows_moved"
		       " FROM @S.job_hours h WHERE h.job_id = $1 ORDER BY h.hour, h.table_name",
		       1, params, fn, ctx);
}

bool ledger_job_finish(tgt_conn *c, const char *schema, int64_t job_id, const char *status)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id, status };
	return run_sql(c, schema,
		       "UPDATE @S.jobs SET status = $2, finished_at = now(), heartbeat_at = now()"
		       " WHERE job_id = $1",
		       2, params, NULL, NULL);
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
	d->sql = expand("WITH h AS ("
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
	return run_sql(c, schema,
		       "UPDATE @S.job_hours SET status = 'failed', attempts = attempts + 1,"
		       "  error_class = $4, error = $5, seconds = $6, finished_at = now(),"
		       "  rows_read = NULL, rows_loaded = NULL, rows_rejected = NULL, rows_deleted = NULL,"
		       "  rows_moved = NULL"
		       " WHERE job_id = $1 AND table_name = $2 AND hour = $3",
		       6, params, NULL, NULL);
}

bool ledger_last_loads(tgt_conn *c, const char *schema, tgt_row_fn fn, void *ctx)
{
	char *table = expand("@S.loaded_hours", schema), *sql;
	const char *params[] = { table };
	int64_t exists;
	bool ok;

	ok = tgt_query_int64(c, "SELECT (to_regclass($1) IS NOT NULL)::int", 1, params, &exists);
	if (ok && exists) {
		sql = expand("SELECT table_name, extract(epoch FROM max(loaded_at))"
			     " FROM @S.loaded_hours GROUP BY table_name", schema);
		ok = tgt_query(c, sql, 0, NULL, fn, ctx);
		free(sql);
	}
	free(table);
	return ok;
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
	d->sql = expand("WITH v AS (SELECT * FROM unnest($3::timestamp[], $4::bigint[], $5::bigint[],"
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

char *ledger_rejects_clear_range_sql(const char *schema)
{
	return expand("DELETE FROM @S.rejects WHERE table_name = $1 AND hour >= $2 AND hour < $3",
		      schema);
}

char *ledger_rejects_clear_sql(const char *schema)
{
	return expand("DELETE FROM @S.rejects WHERE table_name = $1 AND hour = $2", schema);
}

bool ledger_rejects_clear(tgt_conn *c, const char *schema, const char *table, const char *hour_sql)
{
	const char *params[] = { table, hour_sql };
	char *sql = ledger_rejects_clear_sql(schema);
	bool ok = tgt_exec(c, sql, 2, params, NULL);
	free(sql);
	return ok;
}

char *ledger_rejects_copy_sql(const char *schema)
{
	return expand("COPY @S.rejects (job_id, table_name, hour, row_key, column_name, value,"
		      " rule, reason, raw) FROM STDIN",
		      schema);
}

char *ledger_expand(const char *tmpl, const char *schema)
{
	return expand(tmpl, schema);
}

/* add_copy_field: a value for a COPY text line of etlre.rejects: NULL as \N,
 * UTF-8 as text, anything else in bytea hex form */
static void add_copy_field(strbuf *sb, const char *v, size_t len)
{
	if (!v) {
		copy_add_null(sb);
	} else if (utf8_valid(v, len, NULL)) {
		copy_add_text(sb, v, len);
	} else {
		strbuf hex;
		sb_init(&hex, 2 * len + 4);
		copy_add_bytea(&hex, v, len);
		/* copy_add_bytea escaped the backslash for COPY already */
		sb_add(sb, hex.buf, hex.len);
		sb_release(&hex);
	}
}

void ledger_reject_encode(strbuf *out, const reject_record *r)
{
	sb_addf(out, "%lld\t", (long long)r->job_id);
	copy_add_text(out, r->table, strlen(r->table));
	sb_addf(out, "\t%s\t", r->hour_sql);
	add_copy_field(out, r->key, r->key_len);
	sb_addc(out, '\t');
	if (r->column)
		copy_add_text(out, r->column, strlen(r->column));
	else
		copy_add_null(out);
	sb_addc(out, '\t');
	add_copy_field(out, r->value, r->value_len);
	sb_addc(out, '\t');
	copy_add_text(out, r->rule, strlen(r->rule));
	sb_addc(out, '\t');
	add_copy_field(out, r->reason, strlen(r->reason));
	sb_addc(out, '\t');
	copy_add_text(out, r->raw, r->raw_len);
	sb_addc(out, '\n');
}
