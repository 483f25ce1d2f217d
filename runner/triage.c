/*
 * triage.c: the ledger's answers for on-call (see triage.h). "@S" in the SQL
 * stands for the quoted schema. A chunk counts as loaded since it failed
 * (or since its job started, for one never run) when etlre.loaded_hours has
 * a later load of the same table and hour, by any job.
 */
#include "triage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs_report.h"
#include "ledger.h"
#include "sqlquote.h"

/* $1 the job lock class, $2 the stuck limit in seconds */
static const char jobs_sql[] =
	"SELECT count(*) FILTER (WHERE s.alive),"
	"  count(*) FILTER (WHERE s.alive AND s.idle > $2::float8),"
	"  count(*) FILTER (WHERE NOT s.alive AND s.retried_by IS NULL),"
	"  coalesce(max(s.idle) FILTER (WHERE s.alive), 0),"
	"  (array_agg(s.job_id ORDER BY s.idle DESC) FILTER (WHERE s.alive AND s.idle > $2::float8))[1],"
	"  max(s.job_id) FILTER (WHERE NOT s.alive AND s.retried_by IS NULL)"
	" FROM (SELECT j.job_id, j.retried_by, " JOBS_REPORT_ALIVE " AS alive,"
	"         " JOBS_REPORT_IDLE " AS idle"
	"       FROM @S.jobs j WHERE j.status = 'running') s";

static const char chunks_sql[] =
	"SELECT h.table_name,"
	"  count(DISTINCT h.hour) FILTER (WHERE h.status IN ('pending', 'running')),"
	"  count(DISTINCT h.hour) FILTER (WHERE h.status = 'failed')"
	" FROM @S.job_hours h JOIN @S.jobs j ON j.job_id = h.job_id"
	" WHERE h.status <> 'succeeded' AND j.retried_by IS NULL"
	"   AND NOT EXISTS (SELECT 1 FROM @S.loaded_hours l"
	"     WHERE l.table_name = h.table_name AND l.hour = h.hour"
	"       AND l.loaded_at > coalesce(h.finished_at, j.started_at))"
	" GROUP BY h.table_name ORDER BY h.table_name";

/* $1 the period in seconds, or NULL for ever */
static const char errors_sql[] =
	"WITH f AS ("
	"  SELECT h.job_id, h.table_name, h.hour, h.error, h.finished_at,"
	"    coalesce(h.error_class, 'unknown') AS cls,"
	"    NOT EXISTS (SELECT 1 FROM @S.loaded_hours l"
	"      WHERE l.table_name = h.table_name AND l.hour = h.hour"
	"        AND l.loaded_at > h.finished_at) AS open"
	"  FROM @S.job_hours h"
	"  WHERE h.status = 'failed' AND ($1::bigint IS NULL"
	"    OR h.finished_at >= now() - make_interval(secs => $1::bigint)))"
	" SELECT cls, table_name, count(DISTINCT hour), count(DISTINCT hour) FILTER (WHERE open),"
	"  array_to_string(array_agg(DISTINCT job_id ORDER BY job_id), ','),"
	"  (array_agg(to_char(hour, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
	"     ORDER BY finished_at DESC NULLS LAST, hour DESC))[1],"
	"  (array_agg(to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	"     ORDER BY finished_at DESC NULLS LAST, hour DESC))[1],"
	"  (array_agg(job_id ORDER BY finished_at DESC NULLS LAST, hour DESC))[1],"
	"  (array_agg(error ORDER BY finished_at DESC NULLS LAST, hour DESC))[1]"
	" FROM f GROUP BY cls, table_name ORDER BY 3 DESC, cls, table_name";

/* jobs_row: the single row of jobs_sql into the triage_jobs ctx */
static bool jobs_row(void *ctx, int ncols, char **v)
{
	triage_jobs *t = ctx;

	(void)ncols;
	t->running = field_int64(v[0]);
	t->stuck = field_int64(v[1]);
	t->stale = field_int64(v[2]);
	t->idle_seconds = v[3] ? strtod(v[3], NULL) : 0;
	t->stuck_job = field_int64(v[4]);
	t->stale_job = field_int64(v[5]);
	return true;
}

bool triage_read_jobs(tgt_conn *c, const char *schema, int64_t stuck_after, triage_jobs *out)
{
	char key[24], limit[24];
	char *sql = sql_with_schema(jobs_sql, schema);
	bool ok;

	memset(out, 0, sizeof(*out));
	snprintf(key, sizeof(key), "%d", LEDGER_JOB_LOCK);
	snprintf(limit, sizeof(limit), "%lld", (long long)stuck_after);
	const char *params[] = { key, limit };
	ok = tgt_query(c, sql, 2, params, jobs_row, out);
	free(sql);
	return ok;
}

typedef struct chunks_ctx {
	triage_chunk_fn fn;
	void *ctx;
} chunks_ctx;

/* chunks_row: one table's row of chunks_sql, handed to the caller's fn */
static bool chunks_row(void *ctx, int ncols, char **v)
{
	chunks_ctx *x = ctx;

	(void)ncols;
	return x->fn(x->ctx, v[0] ? v[0] : "", field_int64(v[1]), field_int64(v[2]));
}

bool triage_read_chunks(tgt_conn *c, const char *schema, triage_chunk_fn fn, void *ctx)
{
	chunks_ctx x = { fn, ctx };
	char *sql = sql_with_schema(chunks_sql, schema);
	bool ok = tgt_query(c, sql, 0, NULL, chunks_row, &x);

	free(sql);
	return ok;
}

/* dup_or_empty: a new copy of s, "" for NULL */
static char *dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

/* errors_fill: one group of errors_sql into the (zeroed) triage_error elem */
static void errors_fill(void *elem, char **v)
{
	triage_error *e = elem;

	e->error_class = dup_or_empty(v[0]);
	e->table = dup_or_empty(v[1]);
	e->chunks = field_int64(v[2]);
	e->open = field_int64(v[3]);
	e->jobs = dup_or_empty(v[4]);
	e->newest_hour = dup_or_empty(v[5]);
	e->newest_at = dup_or_empty(v[6]);
	e->newest_job = field_int64(v[7]);
	e->newest_error = dup_or_empty(v[8]);
}

bool triage_read_errors(tgt_conn *c, const char *schema, int64_t since, triage_error **rows,
			int *n)
{
	row_array x = { .elem_size = sizeof(triage_error), .fill = errors_fill };
	char sec[24];
	char *sql = sql_with_schema(errors_sql, schema);
	bool ok;

	snprintf(sec, sizeof(sec), "%lld", (long long)since);
	const char *params[] = { since > 0 ? sec : NULL };
	ok = tgt_query(c, sql, 1, params, row_array_add, &x);
	free(sql);
	if (!ok) {
		triage_errors_free(x.items, x.n);
		x.items = NULL;
		x.n = 0;
	}
	*rows = x.items;
	*n = x.n;
	return ok;
}

void triage_errors_free(triage_error *rows, int n)
{
	for (int i = 0; i < n; i++) {
		free(rows[i].error_class);
		free(rows[i].table);
		free(rows[i].jobs);
		free(rows[i].newest_hour);
		free(rows[i].newest_at);
		free(rows[i].newest_error);
	}
	free(rows);
}
