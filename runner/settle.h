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
#define SETTLE_SPAN 168

/* settle_job: one worker's settling in one job; settle_job_init fills it,
 * settle_job_release frees what it holds */
typedef struct settle_job {
	const char *schema;
	int64_t job_id;
	int64_t worker_id;
	int64_t *probed_until; /* per plan: windows before this hour were probed */
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

#endif
