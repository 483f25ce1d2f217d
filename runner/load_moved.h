/*
 * load_moved.h: replace mode's relocation of rows whose time moved to
 * another hour (README, "Rows that move to another hour").
 *
 * In replace mode a window deletes its own rows and COPYs the source's rows
 * of the window in. A source row whose time column changed since the last
 * load still has its old copy in the target, in another hour; its key then
 * collides with that copy. Nothing is checked up front, so a window where no
 * row moved costs nothing more: load.c sends its COPY batches as usual. Only
 * when the target refuses a batch with a unique violation (SQLSTATE 23505)
 * does load.c call moved_relocate with the refused rows: it deletes, in the
 * window's transaction, the target rows that have one of those keys and lie
 * outside the window, and says how many it deleted. load.c then sends the
 * rows again; if nothing was deleted the refusal was something else (a key
 * the source repeats within the window, another unique constraint), and
 * load.c isolates the refused rows as before.
 *
 * Concurrency: the deleted rows belong to other hours, whose advisory locks
 * this window does not hold. PostgreSQL's row locks and unique checks order
 * it with any other transaction touching those rows: a job loading the old
 * hour either deleted the row first (the DELETE here then waits for it and
 * finds nothing, the COPY then passes) or finds it gone; two windows that
 * both load the key take turns on the key's unique index entry, and the last
 * to commit holds the row.
 *
 * This needs the key to be backed by a unique index of the target (plan.h,
 * key_index); without one a moved row does not collide and cannot be seen.
 */
#ifndef ETLRE_LOAD_MOVED_H
#define ETLRE_LOAD_MOVED_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"
#include "target_pg.h"

typedef struct moved_plan moved_plan;

/* moved_plan_build: the SQL that relocates p's moved rows; p needs its
 * columns, key and key_index. The caller (plan.c) owns the result and frees
 * it with moved_plan_free. */
moved_plan *moved_plan_build(const table_plan *p);
void moved_plan_free(moved_plan *m);

/* One window's relocation state: init before the window's first batch,
 * release after its transaction ended. */
typedef struct moved_window {
	tgt_conn *tgt;          /* not owned */
	const table_plan *p;
	const char *from, *to;  /* window bounds, "YYYY-MM-DD HH:MM:SS" */
	const char *hour_iso;   /* for messages */
	bool keys_table;        /* the keys' temporary table exists in this transaction */
	strbuf keys;            /* COPY text of the refused rows' keys */
} moved_window;

void moved_window_init(moved_window *mw, tgt_conn *tgt, const table_plan *p, const char *from,
		       const char *to, const char *hour_iso);
void moved_window_release(moved_window *mw);

/* moved_applies: whether refusal e of a COPY into p's target may be a moved
 * row's key (replace mode, key backed by a unique index, SQLSTATE 23505) */
bool moved_applies(const table_plan *p, const tgt_error *e);

/* moved_relocate: rows[0..len) is COPY text of rows, in the target's COPY
 * column order, that the target refused; outside any savepoint. Deletes the
 * target rows outside the window that have one of their keys and sets
 * *moved to how many; each is logged at debug level with its key and the
 * hour it came from. Returns false when a statement failed (the connection's
 * last error says why, e.g. a foreign key that still references the old
 * row); *moved is 0 when the keys could not even be staged. The connection's
 * last error may be overwritten: the caller keeps a copy of the refusal. */
bool moved_relocate(moved_window *mw, const char *rows, size_t len, int64_t *moved) MUSTCHECK;

#endif
