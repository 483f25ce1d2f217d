/*
 * triage.h: what on-call asks of etlre's ledger first, in a few grouped
 * queries of the target, read-only:
 *   - the state of the jobs: how many run, how many are stuck (running, idle
 *     for longer than a limit: no heartbeat, no chunk finished) or stale (recorded as running,
 *     their process gone, not retried), for `etlre check` and its metrics;
 *   - per table, the chunks that jobs still owe: pending (or left running)
 *     and failed, neither loaded since nor retried;
 *   - the failed chunks of a recent period by error class and table, with
 *     the newest error, for `etlre status --errors`.
 * README.md, "etlre check" and "etlre status", describes what users see.
 */
#ifndef ETLRE_TRIAGE_H
#define ETLRE_TRIAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "target_pg.h"

typedef struct triage_jobs {
	int64_t running;      /* status running, process alive */
	int64_t stuck;        /* of those, idle longer than the limit */
	int64_t stale;        /* status running, process gone, not retried */
	double idle_seconds;  /* the longest idle time of a running job; 0 none */
	int64_t stuck_job;    /* the id of the longest idle stuck job, 0 none */
	int64_t stale_job;    /* the newest stale job, 0 none */
} triage_jobs;

/* triage_read_jobs: the jobs' state into *out, stuck meaning idle
 * (JOBS_REPORT_IDLE: no heartbeat, no chunk finished, not started) for more
 * than stuck_after seconds. Logs failures. */
bool triage_read_jobs(tgt_conn *c, const char *schema, int64_t stuck_after,
		      triage_jobs *out) MUSTCHECK;

/* triage_chunk_fn: one table's chunks owed: pending (or left running by a
 * job) and failed; return false to stop */
typedef bool (*triage_chunk_fn)(void *ctx, const char *table, int64_t pending, int64_t failed);
/* triage_read_chunks: calls fn once per table that has chunks owed. Logs
 * failures. */
bool triage_read_chunks(tgt_conn *c, const char *schema, triage_chunk_fn fn,
			void *ctx) MUSTCHECK;

/* One error class of one table: its failed chunks in the period. Strings
 * are owned. */
typedef struct triage_error {
	char *error_class;   /* "unknown" when none was recorded */
	char *table;
	int64_t chunks;      /* failed chunks (a chunk failing in two jobs counts twice) */
	int64_t open;        /* of those, not loaded since (nor by a retry) */
	char *jobs;          /* the jobs, "12,14" */
	char *newest_hour;   /* 2025-11-02T10:00:00, of the newest failure */
	char *newest_at;     /* when it failed, 2026-12-05T07:01:02Z */
	int64_t newest_job;
	char *newest_error;  /* its message */
} triage_error;

/* triage_read_errors: the failed chunks that failed in the last since
 * seconds (0: ever), grouped by error class and table, the largest groups
 * first. *rows is new (NULL when none); free with triage_errors_free. Logs
 * failures. */
bool triage_read_errors(tgt_conn *c, const char *schema, int64_t since, triage_error **rows,
			int *n) MUSTCHECK;
void triage_errors_free(triage_error *rows, int n);

#endif
