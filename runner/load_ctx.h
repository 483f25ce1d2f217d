/*
 * load_ctx.h: what the files of one window's load share (load.c, the
 * transaction; load_copy.c, the batches and their COPY; load_reject.c,
 * invalid and refused rows). Only they include it; the rest of etlre goes
 * through load.h.
 */
#ifndef ETLRE_LOAD_CTX_H
#define ETLRE_LOAD_CTX_H

#include "load.h"

#include "copy_format.h"
#include "copy_pipe.h"
#include "load_group.h"
#include "load_moved.h"

#define BATCH_MAX_BYTES (8u << 20)
#define STREAM_CHUNK_BYTES (64u << 10)

typedef struct batch {
	strbuf data;     /* COPY data of the rows (copy_format.h) */
	size_t *row_end; /* end offset of each row in data */
	bool binary;     /* data is COPY binary; keep holds the rows' values */
	strbuf keep;
	int nrows;
	int cap;
	bool streaming;  /* a COPY of this batch is open under a savepoint */
	size_t sent;     /* bytes of data already sent to it */
} batch;

typedef struct window_ctx {
	src_conn *src;
	tgt_conn *tgt;
	const table_plan *p;
	load_run *run;
	window w;
	char from[20], to[20], hour_iso[20];
	window_result *res;
	batch b;
	strbuf rejects;    /* COPY text for etlre.rejects, flushed between batches */
	char *rejects_copy_sql;
	strbuf scratch;
	int64_t merge_kept; /* mode = merge: rows of the window that moved (load_merge.h) */
	moved_window moved; /* replace mode: rows that moved in from other hours (load_moved.h) */
	copy_pipe *pipe;   /* sends the batch's COPY data; NULL: sent inline */
	bool savepoint_ready; /* lock_and_delete opened the first batch's savepoint */
	/* the last batch's savepoint is released with check_counts' statements,
	 * saving a round trip: last_batch says the batch is the last, and
	 * release_pending that its COPY ended and the RELEASE is still owed */
	bool last_batch, release_pending;
	/* load_group: per hour of the window its counts, and its bounds
	 * (hour i is [bounds[i], bounds[i + 1])); NULL for one window */
	hour_counts *per_hour;
	char (*bounds)[20];
	char **deleted_keys; /* per hour: the keys its DELETE returned (load_group.h) */
	char *bounds_array;  /* the bounds as an array literal (group_bounds) */
	group_keys keys;
	strbuf keybuf;
	int row_hour;        /* the hour index of the row being processed */
	copy_format fmt;   /* COPY binary or text (copy_format.h) */
} window_ctx;

/* load_fail: the window fails with cls and the message (the first failure
 * is the one kept) */
void load_fail(window_ctx *x, err_class cls, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* load_copy.c */
/* load_encode_row: the row into the batch, sent on as the batch grows;
 * false when the window must stop */
bool load_encode_row(window_ctx *x, char **vals, unsigned long *lens);
/* load_flush_batch: ends the batch's COPY (a refused batch is bisected and
 * its refused rows rejected) and writes the rejects; false when the window
 * must stop */
bool load_flush_batch(window_ctx *x);
/* load_stream_drain: waits for the COPY writer thread; false when a send
 * failed */
bool load_stream_drain(window_ctx *x);

/* load_reject.c */
/* load_format_key: the row's key as "col=value, ..." into sb */
void load_format_key(window_ctx *x, strbuf *sb, char **vals, unsigned long *lens);
/* load_reject_row: an invalid row (col the column, -1 for none; the check
 * rule for a rule on several columns): the window fails naming it, or under
 * --skip-invalid it is recorded; false when the window must stop */
bool load_reject_row(window_ctx *x, char **vals, unsigned long *lens, int col,
		     const check_rule *rule_of_check, const char *rule, const char *reason);
/* load_reject_refused: a row the target refused (error e), as an invalid
 * row; ctx is the window_ctx (a merge_window callback) */
bool load_reject_refused(void *ctx, char **vals, unsigned long *lens, const tgt_error *e);
/* load_flush_rejects: the rejects gathered so far into etlre.rejects */
bool load_flush_rejects(window_ctx *x);

#endif
