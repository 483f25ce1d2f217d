/*
 * job_start.c: a job's start (see job_start.h): its report's head, and its
 * row, tables, options and pending hours in etlre's tables, with the log line
 * that names its workers.
 */
#include "job_start.h"

#include <stdlib.h>

#include "ledger.h"
#include "log.h"

/* tables_array: the plans' table names as a PostgreSQL array literal; new,
 * the caller frees it */
static char *tables_array(table_plan *plans, int n)
{
	strbuf sb;
	sb_init(&sb, 64);
	sb_addc(&sb, '{');
	for (int i = 0; i < n; i++)
		sb_addf(&sb, "%s%s", i ? "," : "", plans[i].cfg->name);
	sb_addc(&sb, '}');
	return sb_detach(&sb);
}

/* item_runs: the items as runs of consecutive windows of one table, in
 * three PostgreSQL array literals of equal length, new in *tables, *starts
 * and *counts (the caller frees them): a year of one table is one run, so
 * the job's row costs the server one short array, not 8,760 timestamps */
static void item_runs(table_plan *plans, const work_item *items, int n, char **tables,
		      char **starts, char **counts)
{
	strbuf t, h, c;
	char hs[20];

	sb_init(&t, 64);
	sb_init(&h, 64);
	sb_init(&c, 64);
	for (int i = 0, len; i < n; i += len) {
		for (len = 1; i + len < n && items[i + len].plan == items[i].plan &&
			      items[i + len].hour == items[i + len - 1].hour + items[i].window_hours;
		     len++)
			;
		hour_format_sql(items[i].hour, hs);
		sb_addf(&t, "%c%s", i ? ',' : '{', plans[items[i].plan].cfg->name);
		sb_addf(&h, "%c\"%s\"", i ? ',' : '{', hs);
		sb_addf(&c, "%c%d", i ? ',' : '{', len);
	}
	if (n == 0) {
		sb_addc(&t, '{');
		sb_addc(&h, '{');
		sb_addc(&c, '{');
	}
	sb_addc(&t, '}');
	sb_addc(&h, '}');
	sb_addc(&c, '}');
	*tables = sb_detach(&t);
	*starts = sb_detach(&h);
	*counts = sb_detach(&c);
}

/* options_json: the job's load options as kept in etlre.jobs, with the
 * batch mode its items have; new, the caller frees it */
static char *options_json(const job_spec *spec, int window_hours)
{
	load_options o = spec->load;

	o.window_hours = window_hours;
	return load_options_json(&o);
}

void job_report_begin(run_report *rep, table_plan *plans, int nplans, const job_spec *spec)
{
	report_init(rep, nplans);
	for (int i = 0; i < nplans; i++)
		rep->tables[i].name = plans[i].cfg->name;
	rep->dry_run = spec->load.dry_run;
	now_iso8601_utc(rep->started_at);
}

/* items_span: the first and last window starts of n > 0 items */
static void items_span(const work_item *items, int n, int64_t *first, int64_t *last)
{
	*first = INT64_MAX;
	*last = INT64_MIN;
	for (int i = 0; i < n; i++) {
		*first = items[i].hour < *first ? items[i].hour : *first;
		*last = items[i].hour > *last ? items[i].hour : *last;
	}
}

void job_report_head(run_report *rep, table_plan *plans, int nplans, const work_item *items,
		     int nitems, const job_spec *spec)
{
	int64_t lo, hi;

	job_report_begin(rep, plans, nplans, spec);
	rep->window_hours = nitems ? items[0].window_hours : 1;
	if (nitems) {
		items_span(items, nitems, &lo, &hi);
		date_format(days_to_date(lo / 24), rep->start_date);
		date_format(days_to_date(hi / 24), rep->end_date);
	}
}

bool job_start(session *s, table_plan *plans, int nplans, const work_item *items, int nitems,
	       const job_spec *spec, int workers, run_report *rep)
{
	job_info job = { spec->command, rep->start_date, rep->end_date, NULL, NULL,
			 rep->window_hours, NULL, NULL, NULL, spec->retry_of };
	char *tables = tables_array(plans, nplans), *opts = options_json(spec, rep->window_hours);
	char *item_tables, *item_hours, *item_counts;
	bool ok;

	item_runs(plans, items, nitems, &item_tables, &item_hours, &item_counts);
	job.tables = tables;
	job.options = opts;
	job.item_tables = item_tables;
	job.item_hours = item_hours;
	job.item_counts = item_counts;
	ok = ledger_job_start(s->tgt, s->cfg.schema, &job, &rep->job_id) &&
	     ledger_job_lock(s->tgt, rep->job_id);
	free(tables);
	free(opts);
	free(item_tables);
	free(item_hours);
	free(item_counts);
	if (!ok)
		return false;
	log_set_context(rep->job_id, NULL, NULL);
	log_event(LOG_INFO,
		  &(log_fields){ .event = "job_started", .has_progress = true, .hours_total = nitems },
		  "job %lld started (%s): %s .. %s, %d hour(s) of %d table(s), %d worker(s)",
		  (long long)rep->job_id, spec->command, rep->start_date, rep->end_date, nitems,
		  nplans, workers);
	return true;
}

int64_t job_slice_start(const work_item *items, int nitems, int i, int n)
{
	int64_t first, last, windows;
	int wh;

	if (i == 0 || nitems == 0)
		return INT64_MIN;
	items_span(items, nitems, &first, &last);
	wh = items[0].window_hours;
	windows = (last - first) / wh + 1;
	return first + windows * i / n * wh;
}
