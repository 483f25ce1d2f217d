/*
 * load_merge.h: mode = merge, the upsert variant of a window's load (see
 * load.h), for targets that other tables reference with foreign keys, so
 * that their rows may not be deleted and inserted again.
 *
 * In merge mode load.c deletes nothing up front and COPYs the window's valid
 * rows into a temporary staging table instead of the target (plan.c points
 * copy_sql there); merge_apply then, in the same transaction:
 *  1. deletes the target rows of the window whose key is not staged, except
 *     keys the source now has in another hour: those rows moved, their new
 *     hour updates them, and until then they are counted as kept;
 *  2. upserts the staged rows on the key (INSERT ... ON CONFLICT DO UPDATE),
 *     rewriting only rows whose values differ (IS DISTINCT FROM), so an
 *     unchanged row is not touched and keeps its xmin;
 *  3. isolates any row the target refuses (a CHECK, a foreign key) by
 *     bisecting the staged rows under savepoints and hands it to the caller's
 *     reject function; the old version of a rejected row in the window is
 *     deleted, as in replace mode, so target = loaded still holds.
 * A target row that the source no longer has but that another table still
 * references cannot be deleted: the window fails (class constraint) with the
 * key and the referencing table, with or without --skip-invalid.
 *
 * The key must be the target's primary key or an immediate, non-partial
 * unique index on exactly its columns; merge_plan_build (plan_merge.h)
 * checks it and builds the SQL when the table is planned.
 */
#ifndef ETLRE_LOAD_MERGE_H
#define ETLRE_LOAD_MERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "load.h"

/* merge_begin: creates the window's staging table, dropped when the
 * transaction ends; returns false (logged by target_pg) on failure */
bool merge_begin(tgt_conn *tgt, const table_plan *p) MUSTCHECK;

/* merge_reject_fn: a row the target refused (values as text, e the refusal);
 * returns false when the window must stop (no --skip-invalid, or too many) */
typedef bool (*merge_reject_fn)(void *ctx, char **vals, unsigned long *lens, const tgt_error *e);

typedef struct merge_window {
	src_conn *src;
	tgt_conn *tgt;
	const table_plan *p;
	const char *from, *to;   /* window bounds, "YYYY-MM-DD HH:MM:SS" */
	const char *hour_iso;    /* for messages */
	window_result *res;      /* counts; the error when merge_apply fails */
	merge_reject_fn reject;
	void *reject_ctx;
	int64_t kept;            /* out: rows of the window kept because they moved */
} merge_window;

/* merge_apply: steps 1-3 above on the staged window. Updates res->n (loaded
 * less the refused rows, deleted), sets mw->kept, logs what it did. Returns
 * false on failure, with res->error set for a refusal or a failed delete and
 * otherwise left to the caller (the connection's last error). */
bool merge_apply(merge_window *mw) MUSTCHECK;

#endif
