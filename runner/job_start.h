/*
 * job_start.h: starting a job (README "Scaling out"): the head of its
 * summary, and its row, tables, options and pending hours recorded in
 * etlre's tables, its lock taken and its start logged with the number of
 * workers that will load it.
 */
#ifndef ETLRE_JOB_START_H
#define ETLRE_JOB_START_H

#include <stdbool.h>

#include "job.h"

/* job_report_begin: initialises *rep for the job's tables (names borrowed
 * from plans), dry run or not, started now; release it with report_release */
void job_report_begin(run_report *rep, table_plan *plans, int nplans, const job_spec *spec);
/* job_report_head: initialises the job's report *rep (the caller releases
 * it): its tables, and the range and batch mode of the items */
void job_report_head(run_report *rep, table_plan *plans, int nplans, const work_item *items,
		     int nitems, const job_spec *spec);

/* job_start: records the job and its hours (pending) in etlre's tables, takes
 * the job's lock and logs the start with its number of workers; rep->job_id
 * is set. False (logged) if the target refused. */
bool job_start(session *s, table_plan *plans, int nplans, const work_item *items, int nitems,
	       const job_spec *spec, int workers, run_report *rep);

/* job_slice_start: the hour worker i of n forked workers claims from first:
 * the start of its i-th of n equal slices of the items' windows, so that
 * the workers start far apart and do not contend for the same hours' locks
 * and empty-hour probes until their slices are done (README "Scaling
 * out"); INT64_MIN (the job's first pending hour) for the first worker */
int64_t job_slice_start(const work_item *items, int nitems, int i, int n);

#endif
