/*
 * summary.c: the end-of-run summary (see summary.h).
 */
#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "json.h"

void report_init(run_report *r, int ntables)
{
	memset(r, 0, sizeof(*r));
	r->ntables = ntables;
	r->tables = xcalloc((size_t)ntables, sizeof(*r->tables));
}

hour_report *report_add_hour(run_report *r)
{
	return ARRAY_PUSH(r->hours, r->nhours, r->hours_cap);
}

void report_release(run_report *r)
{
	for (int i = 0; i < r->nhours; i++)
		free(r->hours[i].error);
	free(r->hours);
	free(r->tables);
	memset(r, 0, sizeof(*r));
}

static double rate(int64_t rows, double seconds)
{
	return seconds > 0 ? (double)rows / seconds : 0;
}

void report_print_text(const run_report *r)
{
	if (r->dry_run)
		printf("dry run: nothing was committed, no job recorded (%s .. %s)\n", r->start_date,
		       r->end_date);
	else
		printf("job %lld: %s (%s .. %s, %s)\n", (long long)r->job_id, job_status_name(r->status), r->start_date,
		       r->end_date, r->window_hours == 24 ? "daily" : "hourly");
	printf("%-20s %6s %6s %7s %12s %12s %10s %12s %8s %9s %10s\n", "table", "hours", "failed",
	       "pending", "rows read", r->dry_run ? "would load" : "loaded", "rejected",
	       r->dry_run ? "would delete" : "deleted", r->dry_run ? "would move" : "moved",
	       "seconds", "rows/s");
	for (int i = 0; i < r->ntables; i++) {
		const table_report *t = &r->tables[i];
		printf("%-20s %6d %6d %7d %12lld %12lld %10lld %12lld %8lld %9.2f %10.0f\n", t->name,
		       t->hours, t->hours_failed, t->hours_pending, (long long)t->n.read,
		       (long long)t->n.loaded, (long long)t->n.rejected, (long long)t->n.deleted,
		       (long long)t->n.moved, t->seconds, rate(t->n.read, t->seconds));
		if (t->after_day_failed)
			printf("%-20s after_day failed for %d day(s)\n", "", t->after_day_failed);
	}
	if (r->ntables > 1 || r->wall_seconds > 0) {
		int64_t rows = 0;
		for (int i = 0; i < r->ntables; i++)
			rows += r->tables[i].n.read;
		printf("%-20s wall time %.2fs, %.0f rows/s\n", "total", r->wall_seconds,
		       rate(rows, r->wall_seconds));
	}
	for (int i = 0; i < r->nhours; i++) {
		const hour_report *h = &r->hours[i];
		char hour[20];
		if (h->status != HOUR_FAILED)
			continue;
		hour_format_iso(h->hour, hour);
		printf("failed: %s %s [%s] %s\n", r->tables[h->table].name, hour,
		       err_class_name(h->cls) ? err_class_name(h->cls) : "-",
		       h->error ? h->error : "");
	}
	fflush(stdout);
}

static void add_counts(strbuf *sb, const hour_counts *n)
{
	sb_addf(sb,
		"\"rows_read\":%lld,\"rows_loaded\":%lld,\"rows_rejected\":%lld,\"rows_deleted\":%lld,"
		"\"rows_moved\":%lld",
		(long long)n->read, (long long)n->loaded, (long long)n->rejected,
		(long long)n->deleted, (long long)n->moved);
}

void report_print_json(const run_report *r)
{
	strbuf sb;

	sb_init(&sb, 4096);
	sb_adds(&sb, "{\"job_id\":");
	if (r->job_id > 0)
		sb_addf(&sb, "%lld", (long long)r->job_id);
	else
		sb_adds(&sb, "null");
	json_add_member(&sb, "status", job_status_name(r->status));
	sb_addf(&sb, ",\"dry_run\":%s,\"started_at\":", r->dry_run ? "true" : "false");
	json_add_string(&sb, r->started_at);
	json_add_member(&sb, "finished_at", r->finished_at);
	json_add_member(&sb, "start_date", r->start_date);
	json_add_member(&sb, "end_date", r->end_date);
	sb_addf(&sb, ",\"batch_mode\":\"%s\",\"wall_seconds\":%.3f,\"tables\":[",
		r->window_hours == 24 ? "daily" : "hourly", r->wall_seconds);
	for (int i = 0; i < r->ntables; i++) {
		const table_report *t = &r->tables[i];
		if (i)
			sb_addc(&sb, ',');
		sb_adds(&sb, "{\"table\":");
		json_add_string(&sb, t->name);
		sb_addf(&sb, ",\"hours\":%d,\"hours_failed\":%d,\"hours_pending\":%d,"
			"\"after_day_failed\":%d,",
			t->hours, t->hours_failed, t->hours_pending, t->after_day_failed);
		add_counts(&sb, &t->n);
		sb_addf(&sb, ",\"seconds\":%.3f,\"rows_per_second\":%.0f}", t->seconds,
			rate(t->n.read, t->seconds));
	}
	sb_adds(&sb, "],\"hours\":[");
	for (int i = 0; i < r->nhours; i++) {
		const hour_report *h = &r->hours[i];
		char hour[20];
		if (i)
			sb_addc(&sb, ',');
		hour_format_iso(h->hour, hour);
		sb_adds(&sb, "{\"table\":");
		json_add_string(&sb, r->tables[h->table].name);
		json_add_member(&sb, "hour", hour);
		json_add_member(&sb, "status", hour_status_name(h->status));
		sb_addc(&sb, ',');
		add_counts(&sb, &h->n);
		json_add_member(&sb, "error_class", err_class_name(h->cls));
		json_add_member(&sb, "error", h->error);
		sb_addc(&sb, '}');
	}
	sb_adds(&sb, "]}\n");
	fwrite(sb.buf, 1, sb.len, stdout);
	fflush(stdout);
	sb_release(&sb);
}
