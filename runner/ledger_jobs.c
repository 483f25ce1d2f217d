/*
 * ledger_jobs.c: reading earlier jobs back from etlre's tables (see
 * ledger.h), for retry and work: the hours left to run, the jobs with their
 * liveness, the load options they ran with, and who retried them.
 */
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_sql.h"

/* item_fill: a row of ledger_retry_items' query into the retry_item elem */
static void item_fill(void *elem, char **v)
{
	retry_item *it = elem;

	it->table = xstrdup(v[0]);
	it->hour = xstrdup(v[1]);
	it->window_hours = atoi(v[2]);
}

bool ledger_retry_items(tgt_conn *c, const char *schema, const char *job_ids, bool force,
			retry_item **items, int *n)
{
	row_array x = { .elem_size = sizeof(retry_item), .fill = item_fill };
	const char *params[] = { job_ids, force ? "t" : "f" };
	bool ok = ledger_run_sql(c, schema,
				 "SELECT DISTINCT h.table_name, to_char(h.hour, 'YYYY-MM-DD HH24:MI:SS'),"
				 "  j.window_hours"
				 " FROM @S.job_hours h JOIN @S.jobs j USING (job_id)"
				 " WHERE h.job_id = ANY($1::bigint[]) AND ($2::bool OR h.status <> 'succeeded')"
				 " ORDER BY 2, 1",
				 2, params, row_array_add, &x);

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

/* job_row_fill: a row of ledger_jobs_get's query into the job_row elem */
static void job_row_fill(void *elem, char **v)
{
	job_row *r = elem;

	r->job_id = strtoll(v[0], NULL, 10);
	r->status = job_status_parse(v[1]);
	r->alive = v[2][0] == 't';
	snprintf(r->host, sizeof(r->host), "%s", v[3]);
	r->pid = atoi(v[4]);
	r->options = xstrdup(v[5]);
}

bool ledger_jobs_get(tgt_conn *c, const char *schema, const char *job_ids, job_row **rows, int *n)
{
	row_array x = { .elem_size = sizeof(job_row), .fill = job_row_fill };
	char key[24];
	snprintf(key, sizeof(key), "%d", LEDGER_JOB_LOCK);
	const char *params[] = { job_ids, key };
	bool ok = ledger_run_sql(c, schema,
				 "SELECT j.job_id, j.status,"
				 "  EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory'"
				 "    AND l.classid = $2::int::oid AND l.objid::bigint = j.job_id AND l.objsubid = 2"
				 "    AND l.granted" LEDGER_LOCK_HERE "),"
				 "  j.host, j.pid, j.options::text"
				 " FROM @S.jobs j WHERE j.job_id = ANY($1::bigint[]) ORDER BY j.job_id",
				 2, params, row_array_add, &x);

	*rows = x.items;
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
	return ledger_run_job_sql(c, schema,
				  "SELECT (options->>'skip_invalid')::bool, (options->>'max_rejects')::bigint,"
				  "  (options->>'chunk_size')::int, (options->>'timeout')::int,"
				  "  (options->>'retries')::int, (options->>'retry_wait')::float8,"
				  "  (options->>'max_failures')::int, options->>'batch_mode'"
				  " FROM @S.jobs WHERE job_id = $1",
				  job_id, options_row, out);
}

bool ledger_jobs_retried_by(tgt_conn *c, const char *schema, const char *job_ids, int64_t by)
{
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)by);
	const char *params[] = { job_ids, id };
	return ledger_run_sql(c, schema,
			      "UPDATE @S.jobs SET retried_by = $2 WHERE job_id = ANY($1::bigint[])",
			      2, params, NULL, NULL);
}
