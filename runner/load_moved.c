/*
 * load_moved.c: relocation of rows that moved to another hour, replace mode
 * (see load_moved.h).
 *
 * The refused rows' keys are COPYed, as the very text the target was sent,
 * into a temporary table with the key columns of the target (so that every
 * key type compares as the target's own), then one DELETE ... USING removes
 * the target rows with those keys outside the window and returns their keys
 * and hours for the debug log. The temporary table is created at the
 * window's first relocation and dropped when its transaction ends.
 *
 * The keys are those of a whole batch (up to --chunk-size), few of them
 * moved; the planner, knowing nothing of the temporary table, prefers a hash
 * join over a full scan of the target, seconds on a large table. Hash and
 * merge joins are turned off for that one DELETE (SET LOCAL, put back right
 * after), so that each key is one lookup in the key's unique index, which
 * exists by construction: the cost follows the batch, not the table.
 */
#include "load_moved.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sqlquote.h"

#define KEYS "pg_temp.etlre_moved_keys"

struct moved_plan {
	char *create_sql;   /* the keys' temporary table */
	char *copy_sql;     /* COPY of the keys into it */
	char *relocate_sql; /* $1 $2 window: delete the keys' rows outside it */
};

#define BY_INDEX "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
#define CLEAR "DELETE FROM " KEYS "; SET LOCAL enable_hashjoin TO DEFAULT;" \
	      " SET LOCAL enable_mergejoin TO DEFAULT"

/* add_key_cols: "k1, k2", each prefixed by alias and a dot when alias is set */
static void add_key_cols(strbuf *sb, const table_plan *p, const char *alias)
{
	for (int k = 0; k < p->nkey; k++) {
		if (k)
			sb_adds(sb, ", ");
		if (alias)
			sb_addf(sb, "%s.", alias);
		quote_pg_ident(sb, p->cols[p->key_idx[k]].name);
	}
}

/* add_relocate: the DELETE; it returns each row's key as "k1=v1, k2=v2"
 * (NULL as NULL) and the start of its hour */
static void add_relocate(strbuf *sb, const table_plan *p)
{
	const char *time = p->cols[p->time_idx].name;

	sb_adds(sb, "DELETE FROM ");
	quote_pg_ident(sb, p->cfg->target);
	sb_adds(sb, " t USING " KEYS " m WHERE ");
	for (int k = 0; k < p->nkey; k++) {
		const char *name = p->cols[p->key_idx[k]].name;
		if (k)
			sb_adds(sb, " AND ");
		sb_adds(sb, "t.");
		quote_pg_ident(sb, name);
		sb_adds(sb, " = m.");
		quote_pg_ident(sb, name);
	}
	sb_adds(sb, " AND NOT coalesce(t.");
	quote_pg_ident(sb, time);
	sb_adds(sb, " >= $1 AND t.");
	quote_pg_ident(sb, time);
	sb_adds(sb, " < $2, false) RETURNING concat_ws(', '");
	for (int k = 0; k < p->nkey; k++) {
		const char *name = p->cols[p->key_idx[k]].name;
		char *label = xasprintf("%s=", name);
		sb_adds(sb, ", ");
		quote_pg_literal(sb, label);
		sb_adds(sb, " || coalesce(t.");
		quote_pg_ident(sb, name);
		sb_adds(sb, "::text, 'NULL')");
		free(label);
	}
	sb_adds(sb, "), to_char(t.");
	quote_pg_ident(sb, time);
	sb_adds(sb, ", 'YYYY-MM-DD\"T\"HH24:00:00')");
}

moved_plan *moved_plan_build(const table_plan *p)
{
	moved_plan *m = xcalloc(1, sizeof(*m));
	strbuf sb;

	sb_init(&sb, 256);
	sb_adds(&sb, "CREATE TEMP TABLE etlre_moved_keys ON COMMIT DROP AS SELECT ");
	add_key_cols(&sb, p, NULL);
	sb_adds(&sb, " FROM ");
	quote_pg_ident(&sb, p->cfg->target);
	sb_adds(&sb, " WITH NO DATA");
	m->create_sql = sb_detach(&sb);

	sb_init(&sb, 128);
	sb_adds(&sb, "COPY " KEYS " (");
	add_key_cols(&sb, p, NULL);
	sb_adds(&sb, ") FROM STDIN");
	m->copy_sql = sb_detach(&sb);

	sb_init(&sb, 512);
	add_relocate(&sb, p);
	m->relocate_sql = sb_detach(&sb);
	return m;
}

void moved_plan_free(moved_plan *m)
{
	if (!m)
		return;
	free(m->create_sql);
	free(m->copy_sql);
	free(m->relocate_sql);
	free(m);
}

void moved_window_init(moved_window *mw, tgt_conn *tgt, const table_plan *p, const char *from,
		       const char *to, const char *hour_iso)
{
	memset(mw, 0, sizeof(*mw));
	mw->tgt = tgt;
	mw->p = p;
	mw->from = from;
	mw->to = to;
	mw->hour_iso = hour_iso;
	sb_init(&mw->keys, 0);
}

void moved_window_release(moved_window *mw)
{
	sb_release(&mw->keys);
}

bool moved_applies(const table_plan *p, const tgt_error *e)
{
	return p->moved && strcmp(e->sqlstate, "23505") == 0;
}

/* collect_keys: the key fields of every COPY line of rows into mw->keys */
static void collect_keys(moved_window *mw, const char *rows, size_t len)
{
	const table_plan *p = mw->p;
	const char *line = rows, *end = rows + len;

	sb_reset(&mw->keys);
	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			eol = end;
		for (int k = 0; k < p->nkey; k++) {
			/* COPY text escapes tabs inside values: every tab separates */
			const char *f = line;
			for (int c = 0; c < p->key_idx[k] && f < eol; c++) {
				const char *tab = memchr(f, '\t', (size_t)(eol - f));
				f = tab ? tab + 1 : eol;
			}
			const char *fe = memchr(f, '\t', (size_t)(eol - f));
			if (k)
				sb_addc(&mw->keys, '\t');
			sb_add(&mw->keys, f, (size_t)((fe ? fe : eol) - f));
		}
		sb_addc(&mw->keys, '\n');
		line = eol + 1;
	}
}

typedef struct moved_rows {
	moved_window *mw;
	int64_t n;
} moved_rows;

static bool log_moved_row(void *ctx, int ncols, char **v)
{
	moved_rows *r = ctx;

	(void)ncols;
	r->n++;
	log_debug("table %s hour %s: key %s moved in from hour %s", r->mw->p->cfg->name,
		  r->mw->hour_iso, v[0] ? v[0] : "?", v[1] ? v[1] : "?");
	return true;
}

/* stage_keys: the keys into the temporary table, under a savepoint. Returns
 * false when a statement failed; *staged is false when the target refused
 * the keys themselves (rolled back: there is nothing to relocate then) */
static bool stage_keys(moved_window *mw, bool *staged)
{
	const moved_plan *m = mw->p->moved;
	int64_t n = 0;

	*staged = false;
	if (!mw->keys_table) {
		if (!tgt_exec(mw->tgt, m->create_sql, 0, NULL, NULL))
			return false;
		mw->keys_table = true;
	}
	if (!tgt_exec(mw->tgt, "SAVEPOINT etlre_moved", 0, NULL, NULL))
		return false;
	if (tgt_copy_begin(mw->tgt, m->copy_sql) &&
	    tgt_copy_put(mw->tgt, mw->keys.buf, mw->keys.len) && tgt_copy_end(mw->tgt, &n)) {
		*staged = true;
		return tgt_exec(mw->tgt, "RELEASE SAVEPOINT etlre_moved", 0, NULL, NULL);
	}
	log_debug("table %s hour %s: the refused rows' keys cannot be staged: %s", mw->p->cfg->name,
		  mw->hour_iso, tgt_last_error(mw->tgt)->message);
	return tgt_exec(mw->tgt, "ROLLBACK TO SAVEPOINT etlre_moved", 0, NULL, NULL) &&
	       tgt_exec(mw->tgt, "RELEASE SAVEPOINT etlre_moved", 0, NULL, NULL);
}

bool moved_relocate(moved_window *mw, const char *rows, size_t len, int64_t *moved)
{
	const moved_plan *m = mw->p->moved;
	const char *params[] = { mw->from, mw->to };
	moved_rows r = { mw, 0 };
	bool staged;

	*moved = 0;
	collect_keys(mw, rows, len);
	if (!stage_keys(mw, &staged))
		return false;
	if (!staged)
		return true;
	if (!tgt_exec(mw->tgt, BY_INDEX, 0, NULL, NULL) ||
	    !tgt_query(mw->tgt, m->relocate_sql, 2, params, log_moved_row, &r) ||
	    !tgt_exec(mw->tgt, CLEAR, 0, NULL, NULL))
		return false;
	*moved = r.n;
	return true;
}
