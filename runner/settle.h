/*
 * settle.h: empty windows settled in bulk (README "Empty hours").
 *
 * Over a long, sparse range most hours have no row on either side, and
 * loading each in its own transaction (lock, delete, COPY, count, ledger,
 * commit) costs milliseconds of round trips for nothing. Before a worker
 * loads a window it has claimed, settle_empty probes that window and the
 * next ones of the same table (one query per side, one index probe per
 * window) and records every window that is empty on both sides as loaded,
 * with zero rows, in one target transaction: its job hour succeeds, its
 * loaded_hours row is written and its old rejects are cleared, exactly as a
 * load of the empty window would leave them. A window is settled only while
 * this transaction holds its hours' advisory locks (taken without waiting:
 * a window another job is loading is left to the normal path) and only if
 * the target still has no row in it, checked under those locks; anything
 * else (rows on either side, a lock held elsewhere, another worker's claim)
 * is left pending for the normal load.
 */
#ifndef ETLRE_SETTLE_H
#define ETLRE_SETTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "chunk.h"
#include "plan.h"
#include "source_mariadb.h"
#include "target_pg.h"

/* windows probed per settle_empty call */
#define SETTLE_SPAN 720
/* a span of at most this many source rows is probed by one grouped count;
 * a denser one window by window, each count stopping at the cap below */
#define SETTLE_GROUPED_ROWS 100000
/* a window of at most this many source rows is small: it may be loaded in
 * one transaction with the small windows after it (load.h load_group) */
#define SETTLE_SMALL_ROWS 256
/* ... as long as the group holds at most this many rows in all, and at
 * most this many windows */
#define SETTLE_GROUP_ROWS 4096
#define SETTLE_GROUP_HOURS 24

/* settle_probe: a plan's last probe: rows[i] (counted up to
 * SETTLE_SMALL_ROWS + 1) of the window starting at start + i * window_hours */
typedef struct settle_probe {
	int64_t start; /* INT64_MIN: not probed */
	int window_hours;
	int rows[SETTLE_SPAN];
} settle_probe;

/* settle_job: one worker's settling in one job; settle_job_init fills it,
 * settle_job_release frees what it holds */
typedef struct settle_job {
	const char *schema;
	int64_t job_id;
	int64_t worker_id;
	settle_probe *probe; /* per plan */
	int nplans;
} settle_job;

void settle_job_init(settle_job *job, const char *schema, int64_t job_id, int64_t worker_id,
		     int nplans);
void settle_job_release(settle_job *job);

/*
 * settle_empty: unless this worker probed it already, probes window w of
 * plan p (plans[plan], claimed by this worker) and the SETTLE_SPAN - 1
 * windows after it, and settles those empty on both sides that are still
 * pending in the job (or are w), logging an hour_done line for each.
 * Returns false on a database failure (logged at warn; the transaction is
 * rolled back and nothing is settled: the caller loads w the normal way).
 * *settled gets a new array of the settled windows' start hours, ascending
 * (the caller frees it), and *n their count.
 */
bool settle_empty(src_conn *src, tgt_conn *tgt, const table_plan *p, int plan, settle_job *job,
		  window w, int64_t **settled, int *n);

/*
 * settle_small_after: when the last probe of plan found window w small, how
 * many of the windows right after it (at most max) are small too, with at
 * most SETTLE_GROUP_ROWS rows in all: candidates to load with w in one
 * transaction. 0 when w was not probed or is not small. The counts are a
 * hint from the probe's time: the load counts again.
 */
int settle_small_after(const settle_job *job, int plan, window w, int max);

/*
 * settle_claim_after: claims for this worker the hourly windows right after
 * hour (of plan p, claimed by it) that are still pending, at most n, up to
 * the first that is not (another worker's, or done): *got of them, in a
 * row, marked running; the job's heartbeat too. Autocommitted. false on a
 * database failure (logged), *got 0.
 */
bool settle_claim_after(tgt_conn *tgt, const table_plan *p, const settle_job *job, int64_t hour,
			int n, int *got);

#endif
