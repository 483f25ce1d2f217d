/*
 * jobs_report.c: reads jobs and their hours back from etlre's tables for
 * `etlre status` (see jobs_report.h). "@S" in the SQL below stands for the
 * quoted schema. The job lock test is the one ledger.h describes, limited to
 * the current database: advisory locks of other databases of the same server
 * (another etlre schema, a test database) show in pg_locks too.
 */
#include "jobs_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "log.h"
#include "sqlquote.h"

static const char job_sql[] =
	"WITH j AS ("
	"  SELECT j.*,"
	"    CASE WHEN j.status = 'running' AND NOT " JOBS_REPORT_ALIVE
	"    THEN 'stale'"
	"    WHEN j.status = 'running' AND " JOBS_REPORT_IDLE " > $6::float8"
	"    THEN 'stuck' ELSE j.status END AS shown,"
	"    " JOBS_REPORT_IDLE " AS silent"
	"  FROM @S.jobs j"
	"  WHERE $2::bigint IS NULL OR j.job_id = $2::bigint)"
	" SELECT j.job_id, j.shown, j.command, j.range_start::text, j.range_end::text,"
	"  array_to_string(j.tables, chr(31)),"
	"  to_char(j.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	"  to_char(j.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	"  extract(epoch FROM coalesce(j.finished_at,"
	"    CASE WHEN j.shown = 'stale' THEN j.heartbeat_at ELSE now() END) - j.started_at)::float8,"
	"  j.host, j.pid, j.window_hours, j.retried_by, array_to_string(j.retry_of, ','),"
	"  h.total, h.succeeded, h.failed, h.read, h.loaded, h.rejected, h.moved, j.silent"
	" FROM j CROSS JOIN LATERAL ("
	"  SELECT count(*) AS total,"
	"    count(*) FILTER (WHERE x.status = 'succeeded') AS succeeded,"
	"    count(*) FILTER (WHERE x.status = 'failed') AS failed,"
	"    coalesce(sum(x.rows_read), 0) AS read, coalesce(sum(x.rows_loaded), 0) AS loaded,"
	"    coalesce(sum(x.rows_rejected), 0) AS rejected,"
	"    coalesce(sum(x.rows_moved), 0) AS moved"
	"  FROM @S.job_hours x WHERE x.job_id = j.job_id) h"
	" WHERE (NOT $3::bool OR j.shown IN ('failed', 'partial', 'interrupted', 'stale', 'stuck'))"
	"   AND ($5::bigint IS NULL OR j.started_at >= now() - make_interval(secs => $5::bigint))"
	" ORDER BY j.job_id DESC LIMIT $4::bigint";

static const char hours_sql[] =
	"SELECT table_name, to_char(hour, 'YYYY-MM-DD\"T\"HH24:MI:SS'), status, attempts,"
	"  rows_read, rows_loaded, rows_rejected, rows_deleted, seconds, error_class, error,"
	"  CASE WHEN status = 'succeeded' THEN coalesce(rows_moved, 0) END"
	" FROM @S.job_hours WHERE job_id = $1 AND (NOT $2::bool OR status <> 'succeeded')"
	" ORDER BY table_name, hour";

static int64_t int64_or(const char *s, int64_t unknown)
{
	return s ? strtoll(s, NULL, 10) : unknown;
}

bool jobs_report_begin(tgt_conn *c)
{
	return tgt_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL, NULL);
}

void jobs_report_end(tgt_conn *c)
{
	tgt_exec_quiet(c, "ROLLBACK");
}

/* split_ids: "3,4" into a new array of ids; returns the count */
static int split_ids(const char *s, int64_t **out)
{
	char **parts;
	int n = s ? str_split(s, ',', &parts) : 0;

	*out = NULL;
	if (n == 0)
		return 0;
	*out = xcalloc((size_t)n, sizeof(**out));
	for (int i = 0; i < n; i++)
		(*out)[i] = strtoll(parts[i], NULL, 10);
	str_list_free(parts, n);
	return n;
}

/* status_job_fill: a row of job_sql into the (zeroed) status_job elem */
static void status_job_fill(void *elem, char **v)
{
	status_job *j = elem;

	j->job_id = int64_or(v[0], 0);
	j->status = job_status_parse(v[1]);
	j->command = xstrdup_or_null(v[2]);
	j->start_date = xstrdup_or_null(v[3]);
	j->end_date = xstrdup_or_null(v[4]);
	j->ntables = v[5] ? str_split(v[5], '\x1f', &j->tables) : 0;
	j->started_at = xstrdup_or_null(v[6]);
	j->finished_at = xstrdup_or_null(v[7]);
	j->seconds = v[8] ? strtod(v[8], NULL) : 0;
	j->host = xstrdup_or_null(v[9]);
	j->pid = (int)int64_or(v[10], 0);
	j->window_hours = (int)int64_or(v[11], 1);
	j->retried_by = int64_or(v[12], 0);
	j->nretry_of = split_ids(v[13], &j->retry_of);
	j->hours_total = int64_or(v[14], 0);
	j->hours_succeeded = int64_or(v[15], 0);
	j->hours_failed = int64_or(v[16], 0);
	j->hours_pending = j->hours_total - j->hours_succeeded - j->hours_failed;
	j->rows_read = int64_or(v[17], 0);
	j->rows_loaded = int64_or(v[18], 0);
	j->rows_rejected = int64_or(v[19], 0);
	j->rows_moved = int64_or(v[20], 0);
	j->heartbeat_age = v[21] ? strtod(v[21], NULL) : 0;
}

/* query_jobs: runs job_sql with job_id (0: any), since (seconds; 0: any) and
 * stuck_after (seconds) */
static bool query_jobs(tgt_conn *c, const char *schema, int64_t job_id, bool failed_only,
		       int64_t limit, int64_t since, int stuck_after, row_array *x)
{
	char key[24], id[24], lim[24], sec[24], stuck[24];
	char *sql = sql_with_schema(job_sql, schema);
	bool ok;

	snprintf(key, sizeof(key), "%d", LEDGER_JOB_LOCK);
	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	snprintf(lim, sizeof(lim), "%lld", (long long)limit);
	snprintf(sec, sizeof(sec), "%lld", (long long)since);
	snprintf(stuck, sizeof(stuck), "%d", stuck_after);
	const char *params[] = { key, job_id > 0 ? id : NULL, failed_only ? "t" : "f",
				 limit > 0 ? lim : NULL, since > 0 ? sec : NULL, stuck };
	ok = tgt_query(c, sql, 6, params, row_array_add, x);
	free(sql);
	return ok;
}

bool jobs_report_list(tgt_conn *c, const char *schema, bool failed_only, int64_t limit,
		      int64_t since, int stuck_after, status_job **jobs, int *n)
{
	row_array x = { .elem_size = sizeof(status_job), .fill = status_job_fill };
	bool ok = query_jobs(c, schema, 0, failed_only, limit, since, stuck_after, &x);

	if (!ok) {
		jobs_report_free(x.items, x.n);
		x.items = NULL;
		x.n = 0;
	}
	*jobs = x.items;
	*n = x.n;
	return ok;
}

bool jobs_report_get(tgt_conn *c, const char *schema, int64_t job_id, int stuck_after,
		     status_job *job, bool *found)
{
	row_array x = { .elem_size = sizeof(status_job), .fill = status_job_fill };
	bool ok = query_jobs(c, schema, job_id, false, 0, 0, stuck_after, &x);
	status_job *jobs = x.items;

	memset(job, 0, sizeof(*job));
	*found = ok && x.n == 1;
	if (*found) {
		*job = jobs[0]; /* the job's contents move to the caller */
		free(jobs);
	} else {
		jobs_report_free(jobs, x.n);
	}
	return ok;
}

static bool status_hour_row(void *ctx, int ncols, char **v)
{
	status_job *j = ctx;
	status_hour *h;

	(void)ncols;
	h = ARRAY_PUSH(j->hours, j->nhours, j->hours_cap);
	h->table = xstrdup(v[0] ? v[0] : "");
	h->hour = xstrdup(v[1] ? v[1] : "");
	h->status = hour_status_parse(v[2]);
	/* an hour left running by a job that is not running any more was rolled back */
	if (h->status == HOUR_RUNNING && j->status != JOB_RUNNING)
		h->status = HOUR_PENDING;
	h->attempts = (int)int64_or(v[3], 0);
	h->rows_read = int64_or(v[4], -1);
	h->rows_loaded = int64_or(v[5], -1);
	h->rows_rejected = int64_or(v[6], -1);
	h->rows_deleted = int64_or(v[7], -1);
	h->seconds = v[8] ? strtod(v[8], NULL) : -1;
	h->error_class = xstrdup_or_null(v[9]);
	h->error = xstrdup_or_null(v[10]);
	h->rows_moved = int64_or(v[11], -1);
	return true;
}

bool jobs_report_hours(tgt_conn *c, const char *schema, status_job *job, bool failed_only)
{
	char id[24];
	char *sql = sql_with_schema(hours_sql, schema);
	bool ok;

	snprintf(id, sizeof(id), "%lld", (long long)job->job_id);
	const char *params[] = { id, failed_only ? "t" : "f" };
	ok = tgt_query(c, sql, 2, params, status_hour_row, job);
	free(sql);
	return ok;
}

void status_job_release(status_job *j)
{
	for (int i = 0; i < j->nhours; i++) {
		free(j->hours[i].table);
		free(j->hours[i].hour);
		free(j->hours[i].error_class);
		free(j->hours[i].error);
	}
	free(j->hours);
	free(j->command);
	free(j->start_date);
	free(j->end_date);
	str_list_free(j->tables, j->ntables);
	free(j->started_at);
	free(j->finished_at);
	free(j->host);
	free(j->retry_of);
	memset(j, 0, sizeof(*j));
}

void jobs_report_free(status_job *jobs, int n)
{
	for (int i = 0; i < n; i++)
		status_job_release(&jobs[i]);
	free(jobs);
}
