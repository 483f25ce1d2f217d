/*
 * status.h: the statuses of a job and of one of its hours, as enums with one
 * name table each. The names are what etlre's tables hold and what `etlre
 * status`, the summaries and --json show (README "etlre status"); inside
 * etlre only the enums are used, the names only where SQL, JSON or text is
 * written or read.
 */
#ifndef ETLRE_STATUS_H
#define ETLRE_STATUS_H

typedef enum job_status {
	JOB_NONE = 0,     /* no job ran (verify --repair before its job starts) */
	JOB_RUNNING,
	JOB_SUCCEEDED,    /* every hour and after_day succeeded */
	JOB_FAILED,       /* no hour succeeded */
	JOB_PARTIAL,      /* some did */
	JOB_INTERRUPTED,  /* a signal or --max-runtime stopped it */
	JOB_DRY_RUN,      /* --dry-run: nothing recorded */
	JOB_STALE,        /* shown by status: running, but its process is gone */
	JOB_STUCK,        /* shown by status: running, but its hours do not move */
	JOB_UNKNOWN,      /* a name this etlre does not know */
} job_status;

typedef enum hour_status {
	HOUR_PENDING = 0,
	HOUR_RUNNING,
	HOUR_SUCCEEDED,
	HOUR_FAILED,
	HOUR_INTERRUPTED, /* in a run's summary: rolled back by a signal */
	HOUR_UNKNOWN,
} hour_status;

/* job_status_name: s's name (static), NULL for JOB_NONE */
const char *job_status_name(job_status s);
/* job_status_parse: the status named name; JOB_UNKNOWN for NULL or a name
 * not in the table */
job_status job_status_parse(const char *name);
/* hour_status_name: s's name (static) */
const char *hour_status_name(hour_status s);
/* hour_status_parse: the status named name; HOUR_UNKNOWN for NULL or a
 * name not in the table */
hour_status hour_status_parse(const char *name);

#endif
