/*
 * job.h: running a job: a list of work items (a table's window), loaded one
 * after the other, with transient failures retried (exponential backoff with
 * jitter, reconnecting as needed), a stop after too many failed hours in a
 * row, after_day SQL once a table's day is complete, the job and its hours
 * recorded in etlre's tables, and the summary printed. process and retry
 * build their items and their job_spec, then call job_run.
 */
#ifndef ETLRE_JOB_H
#define ETLRE_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "load_options.h"
#include "plan.h"
#include "session.h"
#include "summary.h"

typedef struct work_item {
	int plan;          /* index into the plans */
	int64_t hour;      /* window start, hours since epoch */
	int window_hours;  /* 1 or 24 */
} work_item;

typedef struct job_spec {
	const char *command;     /* process, retry, verify (--repair) or work */
	load_options load;       /* how the hours load */
	bool json;
	const char *rejects_file;
	const char *retry_of;    /* array literal of retried job ids, or NULL */
	run_report *keep;        /* NULL: job_run prints the summary. Else it prints
				  * nothing and moves the summary here (when it
				  * got that far); the caller prints and releases it */
} job_spec;

/* job_run: runs the items as one job and prints its summary. Returns the
 * exit status: 0, 1 (hours failed), 2 (rejects file), 130/143 (signal). */
int job_run(session *s, table_plan *plans, int nplans, const work_item *items, int nitems,
	    const job_spec *spec, int64_t *job_id);

/* job_work: joins the running job job_id as one more worker (etlre work):
 * claims and loads its hours until none is left, and prints what it did.
 * Returns the exit status. */
int job_work(session *s, table_plan *plans, int nplans, int64_t job_id, const job_spec *spec);

#endif
