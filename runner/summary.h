/*
 * summary.h: what a process run did, per table and per hour, and how it is
 * shown at the end: a text table on stdout, or one JSON object (--json).
 */
#ifndef ETLRE_SUMMARY_H
#define ETLRE_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

#include "errclass.h"
#include "hour_counts.h"
#include "status.h"

typedef struct hour_report {
	int table;            /* index into run_report.tables */
	int64_t hour;         /* window start, hours since epoch */
	hour_status status;   /* succeeded, failed, interrupted, pending */
	hour_counts n;
	err_class cls;
	char *error;          /* owned */
} hour_report;

typedef struct table_report {
	const char *name;
	int hours, hours_failed, hours_pending, after_day_failed;
	hour_counts n;
	double seconds;
} table_report;

typedef struct run_report {
	int64_t job_id;       /* 0 in a dry run */
	job_status status;    /* succeeded, failed, partial, interrupted, dry_run; none */
	bool dry_run;
	char started_at[32], finished_at[32];
	char start_date[11], end_date[11];
	int window_hours;
	double wall_seconds;
	table_report *tables;
	int ntables;
	hour_report *hours;
	int nhours, hours_cap;
} run_report;

void report_init(run_report *r, int ntables);
hour_report *report_add_hour(run_report *r);
void report_release(run_report *r);
/* report_print_text / report_print_json: to stdout */
void report_print_text(const run_report *r);
void report_print_json(const run_report *r);

#endif
