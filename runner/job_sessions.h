/*
 * job_sessions.h: what a running job's sessions are doing now, for `etlre
 * status --job-id N` (README "Stuck and stale jobs"). On the target: each
 * session that holds the job's lock (ledger.h, LEDGER_JOB_LOCK: the
 * coordinator's and each worker's loading connection), its state and wait
 * from pg_stat_activity, and the sessions that block it (pg_blocking_pids).
 * On the source (job_source_sessions.h): the job's statements in MariaDB's
 * process list. Either way a job waiting on a lock held elsewhere says by
 * whom.
 */
#ifndef ETLRE_JOB_SESSIONS_H
#define ETLRE_JOB_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "target_pg.h"
#include "util.h"

/* One server session as pg_stat_activity or MariaDB's process list shows
 * it. Strings are owned; NULL when the server does not show them (another
 * user's session without pg_read_all_stats or PROCESS). id is the backend's
 * pid or the MariaDB thread id; client its application_name or host:port;
 * state "active", "idle in transaction" or MariaDB's command ("Query",
 * "Sleep"); wait "Lock:relation" or "Waiting for table metadata lock" and
 * the like while it runs a statement, NULL when it waits for nothing. */
typedef struct db_activity {
	long long id;
	char *user, *client, *state, *wait, *query;
	double seconds; /* in its transaction, or in its state outside one */
} db_activity;

/* One session of the job and the sessions it waits for */
typedef struct job_session {
	db_activity self;
	db_activity *blockers;
	int nblockers, blockers_cap;
} job_session;

/* The sessions of one side; source says which, for their words */
typedef struct job_sessions {
	job_session *s;
	int n, cap;
	bool source;
	bool holders_unknown; /* the source cannot say who holds a metadata lock */
} job_sessions;

/* job_sessions_read: the sessions of job job_id into *out (zeroed first;
 * none when the job's process is gone). Logs failures. */
bool job_sessions_read(tgt_conn *c, int64_t job_id, job_sessions *out) MUSTCHECK;
/* job_sessions_print: a few lines on stdout (nothing when there are none) */
void job_sessions_print(const job_sessions *s);
/* job_sessions_json: ,"sessions":[...] (the target's, by pid) or
 * ,"source_sessions":[...] (by thread) into sb */
void job_sessions_json(strbuf *sb, const job_sessions *s);
/* job_session_row: the row fill of a sessions query whose rows are (the
 * session's seven columns, its blocker's seven or NULLs), ordered by the
 * session's id: id, user, client, state, wait, seconds, query */
bool job_session_row(void *ctx, int ncols, char **v);
void job_sessions_release(job_sessions *s);

#endif
