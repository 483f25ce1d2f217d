/*
 * load.h: loading one window (an hour, or a day in daily batch mode) of one
 * table: the heart of etlre process.
 *
 * One window is one target transaction: lock the window, delete its rows,
 * stream the source rows from a consistent snapshot through validation into
 * COPY batches, isolate any row the target refuses, check the counts
 * (source = read = loaded + rejected, and target = loaded), record the window
 * in etlre's tables, commit. Rows whose key the target holds in another hour
 * (their time moved) are relocated into this window in the same transaction
 * (load_moved.h). Any failure rolls the whole window back. In a
 * dry run everything happens the same way but ends in ROLLBACK and nothing is
 * recorded.
 */
#ifndef ETLRE_LOAD_H
#define ETLRE_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "chunk.h"
#include "errclass.h"
#include "ledger.h"
#include "plan.h"
#include "rejects.h"
#include "source_mariadb.h"
#include "target_pg.h"

typedef struct load_run {
	/* options, set by the caller */
	bool dry_run;
	bool skip_invalid;
	int64_t max_rejects;   /* -1: no limit */
	int chunk_rows;        /* rows per COPY batch */
	const char *schema;
	int64_t job_id;        /* 0 in a dry run */
	rejects_file *rfile;   /* NULL when not asked; not owned */
	/* called every few thousand rows read, to show the hour progresses
	 * (the job's heartbeat); may be NULL */
	void (*progress)(void *ctx);
	void *progress_ctx;
	/* totals over the run, kept by load_window */
	int64_t total_rejected;
} load_run;

typedef enum window_status {
	WINDOW_OK = 0,
	WINDOW_FAILED,
	WINDOW_INTERRUPTED,
} window_status;

typedef struct window_result {
	window_status status;
	hour_counts n;
	err_class cls;
	bool too_many_rejects;
	char *error;   /* owned; NULL when none */
	double seconds;
} window_result;

/* load_window: loads window w of plan p; fills res (the caller releases it
 * with window_result_release). Returns res->status == WINDOW_OK. Failures are
 * logged once, with table, hour and reason, and recorded in the job. */
bool load_window(src_conn *src, tgt_conn *tgt, const table_plan *p, load_run *run, window w,
		 window_result *res);
/*
 * load_group: loads the w.hours hours of w (small hours of an hourly job,
 * each claimed by this worker) in one transaction, as loading each alone
 * would leave them: each hour's delete, rejects, ledger row and count check
 * of its own. per_hour (w.hours entries, the caller's) gets each hour's
 * counts. Any row that is invalid, refused or moved, or any other failure,
 * rolls the whole group back and returns false: the caller then loads the
 * hours one by one, where such rows are handled (only logged at debug here;
 * nothing is recorded).
 */
bool load_group(src_conn *src, tgt_conn *tgt, const table_plan *p, load_run *run, window w,
		window_result *res, hour_counts *per_hour);
void window_result_release(window_result *res);

#endif
