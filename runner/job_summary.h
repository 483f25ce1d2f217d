/*
 * job_summary.h: the end of a job: its hours read back from etlre's tables
 * (all workers' work, wherever they ran), its outcome, its last log line,
 * and its summary printed and handed to --metrics-file.
 */
#ifndef ETLRE_JOB_SUMMARY_H
#define ETLRE_JOB_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

#include "job.h"
#include "target_pg.h"

/* job_hours_outcome: succeeded when every hour and after_day succeeded,
 * failed when none did, partial otherwise (pending hours count as not
 * succeeded), from the tables' counts (a read-back may sum the hours) */
job_status job_hours_outcome(const run_report *r);

/* job_report_emit: prints the summary (text or --json), unless the caller
 * keeps it, and hands it to --metrics-file */
void job_report_emit(const run_report *r, const job_spec *spec);

/* job_read_back: the job's hours from etlre's tables into rep, whose tables
 * are set up (job_report_head); each hour listed with every_hour, else the
 * succeeded ones only summed per table. False (logged) on a failed query. */
bool job_read_back(tgt_conn *tgt, const char *schema, int64_t job_id, bool every_hour,
		   run_report *rep) MUSTCHECK;

/* job_read_back_failed: the summary falls back on what this process did
 * (local, whose contents move into rep). Returns whether that still tells
 * the job's outcome: not when its workers were forked (this process loaded
 * nothing) */
bool job_read_back_failed(run_report *rep, run_report *local, int64_t job_id, int workers);

/* job_log_finished: one line with the job's totals */
void job_log_finished(const run_report *rep);

#endif
