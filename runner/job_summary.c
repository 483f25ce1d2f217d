/*
 * job_summary.c: the end of a job (see job_summary.h).
 */
#include "job_summary.h"

#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "summary.h"
#include "util.h"

job_status job_hours_outcome(const run_report *r)
{
	int ok = 0, failed = 0;

	for (int i = 0; i < r->ntables; i++) {
		const table_report *t = &r->tables[i];
		ok += t->hours - t->hours_failed - t->hours_pending;
		failed += t->hours_failed + t->hours_pending + t->after_day_failed;
	}
	if (failed == 0)
		return JOB_SUCCEEDED;
	return ok == 0 ? JOB_FAILED : JOB_PARTIAL;
}

void job_report_emit(const run_report *r, const job_spec *spec)
{
	if (spec->keep)
		;
	else if (spec->json)
		report_print_json(r);
	else
		report_print_text(r);
	metrics_record_run(r);
}

/* table_index: the report's table named name, or -1 */
static int table_index(const run_report *rep, const char *name)
{
	for (int i = 0; name && i < rep->ntables; i++)
		if (strcmp(rep->tables[i].name, name) == 0)
			return i;
	return -1;
}

/* report_row: one row of ledger_job_hours into the report: an hour, or
 * (hour NULL) a sum of a table's succeeded hours or its failed after_days */
static bool report_row(void *ctx, int ncols, char **v)
{
	run_report *rep = ctx;
	int t = ncols >= 13 ? table_index(rep, v[0]) : -1;
	hour_counts n;
	hour_status status;
	table_report *tr;
	int64_t hour = 0;

	if (t < 0 || (v[1] && !hour_parse(v[1], &hour)))
		return true;
	tr = &rep->tables[t];
	status = hour_status_parse(v[2]);
	n = (hour_counts){ .read = field_int64(v[3]), .loaded = field_int64(v[4]),
			   .rejected = field_int64(v[5]), .deleted = field_int64(v[6]),
			   .moved = field_int64(v[11]) };
	tr->hours += (int)field_int64(v[12]);
	tr->seconds += v[9] ? strtod(v[9], NULL) : 0;
	tr->after_day_failed += (int)field_int64(v[10]);
	if (status == HOUR_SUCCEEDED) {
		tr->n.read += n.read;
		tr->n.loaded += n.loaded;
		tr->n.rejected += n.rejected;
		tr->n.deleted += n.deleted;
		tr->n.moved += n.moved;
	}
	if (!v[1])
		return true;
	if (status == HOUR_FAILED)
		tr->hours_failed++;
	else if (status != HOUR_SUCCEEDED)
		tr->hours_pending++;
	hour_report *h = report_add_hour(rep);
	*h = (hour_report){ .table = t, .hour = hour, .n = n,
			    .status = status == HOUR_UNKNOWN ? HOUR_PENDING : status,
			    .cls = err_class_from_name(v[7]), .error = v[8] ? xstrdup(v[8]) : NULL };
	return true;
}

bool job_read_back_failed(run_report *rep, run_report *local, int64_t job_id, int workers)
{
	if (workers > 1)
		log_warn("could not read the job's hours back: its %d workers' hours are unknown "
			 "here, so the job counts as failed ('etlre status --job-id %lld' shows them)",
			 workers, (long long)job_id);
	else
		log_warn("could not read the job's hours back: the summary shows this process only");
	report_release(rep);
	*rep = *local;
	rep->job_id = job_id;
	memset(local, 0, sizeof(*local));
	return workers <= 1;
}

void job_log_finished(const run_report *rep)
{
	log_fields f = { .event = "job_finished", .has_counts = true, .has_progress = true,
			 .seconds = rep->wall_seconds };

	for (int i = 0; i < rep->ntables; i++) {
		const table_report *t = &rep->tables[i];
		f.rows_read += t->n.read;
		f.rows_loaded += t->n.loaded;
		f.rows_rejected += t->n.rejected;
		f.rows_deleted += t->n.deleted;
		f.rows_moved += t->n.moved;
		f.hours_done += t->hours - t->hours_pending;
		f.hours_total += t->hours;
	}
	log_event(LOG_INFO, &f,
		  "job %lld %s: %lld rows loaded (%lld moved in from other hours), %lld rejected in %.2fs",
		  (long long)rep->job_id, job_status_name(rep->status), (long long)f.rows_loaded,
		  (long long)f.rows_moved, (long long)f.rows_rejected, rep->wall_seconds);
}

bool job_read_back(tgt_conn *tgt, const char *schema, int64_t job_id, bool every_hour,
		   run_report *rep)
{
	return ledger_job_hours(tgt, schema, job_id, every_hour, report_row, rep);
}
