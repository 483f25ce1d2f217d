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
};

/* expand: the migration text with @S replaced by the quoted schema; caller frees */
static char *expand(const char *tmpl, const char *schema)
{
	strbuf sb;

	sb_init(&sb, strlen(tmpl) + 256);
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '@' && p[1] == 'S') {
			quote_pg_ident(&sb, schema);
			p++;
		} else {
			sb_addc(&sb, *p);
		}
	}
	return sb_detach(&sb);
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
	char *sql;
	bool ok;

	gethostname(host, sizeof(host) - 1);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(wh, sizeof(wh), "%d", job->window_hours);
	const char *params[] = { job->command, job->range_start, job->range_end, job->tables,
				 job->options, host, pid, wh };
	sql = expand("WITH j AS ("
		     "  INSERT INTO @S.jobs (command, status, range_start, range_end, tables,"
		     "                      options, host, pid, window_hours)"
		     "  VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8) RETURNING job_id),"
		     " h AS ("
		     "  INSERT INTO @S.job_hours (job_id, table_name, hour)"
		     "  SELECT j.job_id, t, g FROM j, unnest($4::text[]) t,"
		     "    generate_series($2::date::timestamp, $3::date::timestamp + interval '23 hours',"
		     "                    $8::int * interval '1 hour') g)"
		     " SELECT job_id FROM j",
		     schema);
	ok = tgt_query_int64(c, sql, 8, params, job_id);
	free(sql);
	return ok;
}

bool ledger_job_lock(tgt_conn *c, int64_t job_id)
{
	char id[24], key[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	snprintf(key, sizeof(key), "%d", LEDGER_JOB_LOCK);
	const char *params[] = { key, id };
	return tgt_exec(c, "SELECT pg_advisory_lock($1::int, $2::int)", 2, params, NULL);
}

bool ledger_job_finish(tgt_conn *c, const char *schema, int64_t job_id, const char *status)
{
	char id[24];
	char *sql;
	bool ok;

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id, status };
	sql = expand("UPDATE @S.jobs SET status = $2, finished_at = now(), heartbeat_at = now()"
		     " WHERE job_id = $1",
		     schema);
	ok = tgt_exec(c, sql, 2, params, NULL);
	free(sql);
	return ok;
}

bool ledger_hour_done(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
		      const char *hour_sql, const hour_counts *n, double seconds)
{
	char id[24], rd[24], ld[24], rj[24], dl[24], sec[32];
	char *sql;
	bool ok;

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	snprintf(rd, sizeof(rd), "%lld", (long long)n->read);
	snprintf(ld, sizeof(ld), "%lld", (long long)n->loaded);
	snprintf(rj, sizeof(rj), "%lld", (long long)n->rejected);
	snprintf(dl, sizeof(dl), "%lld", (long long)n->deleted);
	snprintf(sec, sizeof(sec), "%.6f", seconds);
	const char *params[] = { id, table, hour_sql, rd, ld, rj, dl, sec };
	sql = expand("WITH h AS ("
		     "  UPDATE @S.job_hours SET status = 'succeeded', attempts = attempts + 1,"
		     "    rows_read = $4, rows_loaded = $5, rows_rejected = $6, rows_deleted = $7,"
		     "    seconds = $8, error_class = NULL, error = NULL, finished_at = now()"
		     "  WHERE job_id = $1 AND table_name = $2 AND hour = $3"
		     "  RETURNING hour)"
		     " INSERT INTO @S.loaded_hours AS l (table_name, hour, window_hours, job_id,"
		     "   rows_loaded, rows_rejected)"
		     " SELECT $2, $3, j.window_hours, $1, $5, $6 FROM @S.jobs j WHERE j.job_id = $1"
		     " ON CONFLICT (table_name, hour) DO UPDATE SET window_hours = excluded.window_hours,"
		     "   job_id = excluded.job_id, rows_loaded = excluded.rows_loaded,"
		     "   rows_rejected = excluded.rows_rejected, loaded_at = now()",
		     schema);
	ok = tgt_exec(c, sql, 8, params, NULL);
	free(sql);
	return ok;
}

bool ledger_hour_failed(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
			const char *hour_sql, const char *error_class, const char *error,
			double seconds)
{
	char id[24], sec[32];
	char *sql;
	bool ok;

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	snprintf(sec, sizeof(sec), "%.6f", seconds);
	const char *params[] = { id, table, hour_sql, error_class, error, sec };
	sql = expand("UPDATE @S.job_hours SET status = 'failed', attempts = attempts + 1,"
		     "  error_class = $4, error = $5, seconds = $6, finished_at = now(),"
		     "  rows_read = NULL, rows_loaded = NULL, rows_rejected = NULL, rows_deleted = NULL"
		     " WHERE job_id = $1 AND table_name = $2 AND hour = $3",
		     schema);
	ok = tgt_exec(c, sql, 6, params, NULL);
	free(sql);
	return ok;
}

bool ledger_rejects_clear(tgt_conn *c, const char *schema, const char *table, const char *hour_sql)
{
	const char *params[] = { table, hour_sql };
	char *sql = expand("DELETE FROM @S.rejects WHERE table_name = $1 AND hour = $2", schema);
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
