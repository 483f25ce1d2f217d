/*
 * ledger.c: etlre's own tables (see ledger.h): creating and upgrading them,
 * and the statement helpers the other ledger_*.c files share (ledger_sql.h).
 * Migrations are a list of SQL scripts; "@S" in them stands for the quoted
 * schema name. Version n of the tables is migrations[0..n-1] applied in
 * order. The jobs' and hours' bookkeeping is in ledger_hours.c, the reads of
 * earlier jobs for retry and work in ledger_jobs.c, rejects and
 * loaded_hours in ledger_rejects.c.
 */
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_sql.h"
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

char *ledger_expand(const char *tmpl, const char *schema)
{
	return sql_with_schema(tmpl, schema);
}

bool ledger_run_sql(tgt_conn *c, const char *schema, const char *tmpl, int n,
		    const char *const *params, tgt_row_fn fn, void *ctx)
{
	char *sql = ledger_expand(tmpl, schema);
	bool ok = fn ? tgt_query(c, sql, n, params, fn, ctx) : tgt_exec(c, sql, n, params, NULL);

	free(sql);
	return ok;
}

bool ledger_run_sql_int64(tgt_conn *c, const char *schema, const char *tmpl, int n,
			  const char *const *params, int64_t *out)
{
	char *sql = ledger_expand(tmpl, schema);
	bool ok = tgt_query_int64(c, sql, n, params, out);

	free(sql);
	return ok;
}

bool ledger_run_job_sql(tgt_conn *c, const char *schema, const char *tmpl, int64_t job_id,
			tgt_row_fn fn, void *ctx)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { id };
	return ledger_run_sql(c, schema, tmpl, 1, params, fn, ctx);
}

/* too_new: true, after logging that etlre must be upgraded, when the tables
 * are at a version newer than this etlre knows */
static bool too_new(const char *schema, int64_t version)
{
	if (version <= LEDGER_VERSION)
		return false;
	log_error("etlre's tables in schema '%s' are at version %lld, newer than this etlre (%d): "
		  "upgrade etlre",
		  schema, (long long)version, LEDGER_VERSION);
	return true;
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
	char *sql = ledger_expand("SELECT coalesce(max(version), 0) FROM @S.schema_version", schema);
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
	sql = ledger_expand("CREATE SCHEMA IF NOT EXISTS @S;"
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
	if (too_new(schema, version))
		goto fail;
	for (int64_t v = version; v < LEDGER_VERSION; v++) {
		sql = ledger_expand(migrations[v], schema);
		bool ok = tgt_exec(c, sql, 0, NULL, NULL);
		free(sql);
		if (!ok)
			goto fail;
		sql = ledger_expand("INSERT INTO @S.schema_version (version) VALUES ($1)", schema);
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
	return !too_new(schema, version);
}
