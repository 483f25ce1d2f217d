/*
 * heartbeat.h: while a worker loads an hour it refreshes its job's
 * heartbeat_at in etlre.jobs, at most every HEARTBEAT_SECONDS, from a target
 * connection of its own (the hour's transaction would hide it). A job that is
 * alive (its lock is held) but whose heartbeat is older than [etlre]
 * stuck_after is reported stuck by status and check (README "Stuck and stale
 * jobs").
 */
#ifndef ETLRE_HEARTBEAT_H
#define ETLRE_HEARTBEAT_H

#include <stdint.h>

#include "session.h"

#define HEARTBEAT_SECONDS 10

typedef struct heartbeat heartbeat;

/* heartbeat_new: the heartbeat of job_id for a worker of session s (kept,
 * not owned; it must outlive the heartbeat). The caller owns the result and
 * frees it with heartbeat_free. */
heartbeat *heartbeat_new(const session *s, int statement_timeout, int64_t job_id);
/* heartbeat_beat: beats if the interval has passed; ctx is a heartbeat (the
 * signature of load_run.progress); never fails (logs at debug level) */
void heartbeat_beat(void *ctx);
/* heartbeat_free: closes the heartbeat's connection and frees it; NULL is ok */
void heartbeat_free(heartbeat *hb);

#endif
