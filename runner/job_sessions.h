/*
 * job_sessions.h: what a running job's target sessions are doing now, for
 * `etlre status --job-id N` (README "Stuck and stale jobs"): each session
 * that holds the job's lock (ledger.h, LEDGER_JOB_LOCK: the coordinator's
 * and each worker's loading connection), its state and wait from
 * pg_stat_activity, and the sessions that block it (pg_blocking_pids), so
 * that a job waiting on a lock held elsewhere says by whom.
 */
#ifndef ETLRE_JOB_SESSIONS_H
#define ETLRE_JOB_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "target_pg.h"
#include "util.h"

/* One server session as pg_stat_activity shows it. Strings are owned; NULL
 * when the server does not show them (another user's session without
 * pg_read_all_stats). wait is "Lock:relation" and the like while it runs a
 * statement, NULL when it waits for nothing or is idle. */
typedef struct pg_activity {
	int pid;
	char *user, *application, *state, *wait, *query;
	double seconds; /* in its transaction, or in its state outside one */
} pg_activity;

/* One session of the job and the sessions it waits for */
typedef struct job_session {
	pg_activity self;
	pg_activity *blockers;
	int nblockers, blockers_cap;
} job_session;

typedef struct job_sessions {
	job_session *s;
	int n, cap;
} job_sessions;

/* job_sessions_read: the sessions of job job_id into *out (zeroed first;
 * none when the job's process is gone). Logs failures. */
bool job_sessions_read(tgt_conn *c, int64_t job_id, job_sessions *out) MUSTCHECK;
/* job_sessions_print: a few lines on stdout (nothing when there are none) */
void job_sessions_print(const job_sessions *s);
/* job_sessions_json: ,"sessions":[...] into sb */
void job_sessions_json(strbuf *sb, const job_sessions *s);
void job_sessions_release(job_sessions *s);

#endif
