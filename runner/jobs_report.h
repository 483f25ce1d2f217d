/*
 * jobs_report.h: reading jobs and their hours back from etlre's tables in the
 * target, for `etlre status`. Read-only: every query runs inside the
 * read-only transaction of jobs_report_begin.
 *
 * A job's status is the one recorded in etlre.jobs, except that a job
 * recorded as running whose job lock (ledger.h, LEDGER_JOB_LOCK) nobody holds
 * is reported as "stale": its process is gone; one whose lock is held but
 * that has been idle (JOBS_REPORT_IDLE) for more than stuck_after seconds is
 * reported as "stuck": its process lives but its hours do not progress
 * (README "Stuck and stale jobs"). Hours of a job that is not
 * running any more are never reported as running: such an hour was rolled
 * back when its process died, so it is reported as pending.
 */
#ifndef ETLRE_JOBS_REPORT_H
#define ETLRE_JOBS_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"
#include "target_pg.h"

/* JOBS_REPORT_ALIVE: an SQL condition, true when the job aliased j holds its
 * job lock (its process lives); $1 is LEDGER_JOB_LOCK. Advisory locks of other
 * databases of the same server show in pg_locks too, hence the database. */
#define JOBS_REPORT_ALIVE                                                               \
	"EXISTS (SELECT 1 FROM pg_catalog.pg_locks l"                                   \
	"  WHERE l.locktype = 'advisory' AND l.granted"                                 \
	"    AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d"              \
	"                      WHERE d.datname = pg_catalog.current_database())"        \
	"    AND l.classid = $1::int::oid AND l.objid::bigint = j.job_id AND l.objsubid = 2)"

/* JOBS_REPORT_IDLE: an SQL float, the seconds since the job aliased j last
 * showed life: its heartbeat, its start or its last finished hour, whichever
 * is newest ("@S" the schema). A running job idle longer than stuck_after is
 * stuck, for status and check alike (README "Stuck and stale jobs"). */
#define JOBS_REPORT_IDLE                                                                \
	"extract(epoch FROM clock_timestamp() - greatest(j.heartbeat_at, j.started_at,"  \
	"  (SELECT max(h.finished_at) FROM @S.job_hours h WHERE h.job_id = j.job_id)))::float8"

/* One hour (a window) of a job. Counts and seconds are -1 when unknown
 * (the hour failed or has not run). Strings are owned; NULL when unknown. */
typedef struct status_hour {
	char *table;
	char *hour;        /* window start, 2025-11-02T13:00:00 */
	hour_status status; /* pending, running, succeeded, failed */
	int attempts;
	int64_t rows_read, rows_loaded, rows_rejected, rows_deleted;
	int64_t rows_moved;   /* moved in from other hours; -1 when unknown, as above */
	double seconds;
	char *error_class;
	char *error;
} status_hour;

/* One job with its totals over its hours. Strings are owned; NULL when the
 * column is NULL. */
typedef struct status_job {
	int64_t job_id;
	job_status status; /* running, succeeded, failed, partial, interrupted, stale, stuck */
	char *command;
	char *start_date, *end_date;   /* YYYY-MM-DD */
	char **tables;
	int ntables;
	char *started_at, *finished_at; /* 2025-11-02T13:00:00Z (UTC); finished_at NULL
					 * while running or stale */
	double seconds;    /* finished - started; until now while running; until the last
			    * heartbeat when stale */
	char *host;
	int pid;
	int window_hours;
	int64_t hours_total, hours_succeeded, hours_failed;
	int64_t hours_pending;          /* not finished: pending or running */
	int64_t rows_read, rows_loaded, rows_rejected;
	int64_t rows_moved;             /* moved in from other hours */
	double heartbeat_age;           /* seconds idle: since its last heartbeat,
					 * start or finished hour */
	int64_t retried_by;             /* 0: none */
	int64_t *retry_of;              /* the jobs this one retried */
	int nretry_of;
	status_hour *hours;             /* filled by jobs_report_hours */
	int nhours, hours_cap;
} status_job;

/* jobs_report_begin: starts the read-only, repeatable-read transaction that
 * the reads below run in (one snapshot; nothing can be written). */
bool jobs_report_begin(tgt_conn *c) MUSTCHECK;
/* jobs_report_end: ends it (a rollback: there is nothing to commit). */
void jobs_report_end(tgt_conn *c);

/* jobs_report_list: the jobs, newest first, at most limit of them (0: all);
 * with failed_only only those failed, partial, interrupted, stale or stuck
 * (see JOBS_REPORT_IDLE); with since > 0 only those started in the last since
 * seconds. *jobs is new (NULL when none); free with jobs_report_free. Logs
 * failures. */
bool jobs_report_list(tgt_conn *c, const char *schema, bool failed_only, int64_t limit,
		      int64_t since, int stuck_after, status_job **jobs, int *n) MUSTCHECK;
/* jobs_report_get: the job job_id into *job, or *found = false when there is
 * no such job. Release with status_job_release. Logs failures. */
bool jobs_report_get(tgt_conn *c, const char *schema, int64_t job_id, int stuck_after,
		     status_job *job, bool *found) MUSTCHECK;
/* jobs_report_hours: fills job->hours with the job's hours by table then
 * hour, with failed_only those that did not succeed. Logs failures. */
bool jobs_report_hours(tgt_conn *c, const char *schema, status_job *job,
		       bool failed_only) MUSTCHECK;

/* status_job_release: frees what the job owns (its hours included) */
void status_job_release(status_job *job);
void jobs_report_free(status_job *jobs, int n);

#endif
