/*
 * load_merge.c: mode = merge: staging, delete of the rows the source no
 * longer has, upsert on the key, and isolation of refused rows (see
 * load_merge.h).
 *
 * Staged rows carry a row number (etlre_row, an identity column) so that a
 * refused upsert can be bisected by ranges of it; a unique constraint on the
 * key in the staging table, named like the target's, refuses a key that the
 * source repeats within the window already at COPY time, where load.c
 * isolates it as it would in replace mode.
 */
#include "load_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "plan_merge.h"
#include "sqlquote.h"

#define SOURCE_CHECK_BATCH 500 /* keys per source query of the moved-row check */

bool merge_begin(tgt_conn *tgt, const table_plan *p)
{
	return tgt_exec(tgt, p->merge->create_sql, 0, NULL, NULL) &&
	       tgt_exec(tgt, p->merge->alter_sql, 0, NULL, NULL);
}

/* ---- one window ---- */

typedef struct merge_ctx {
	merge_window *mw;
	const merge_plan *m;
	int64_t inserted, updated, refused;
	strbuf gone;     /* MariaDB row literals of the keys not staged, "(..), (..)" */
	int ngone_batch;
	int64_t ngone;
	strbuf moved;    /* PostgreSQL row literals of the keys that moved */
	int64_t nmoved;
} merge_ctx;

/* set_error: the window's error from a target refusal, unless one is set */
static void set_error(merge_window *mw, const char *what, const tgt_error *e)
{
	if (mw->res->error)
		return;
	mw->res->error = xasprintf("table %s hour %s: %s: %s%s%s", mw->p->cfg->name, mw->hour_iso,
				   what, e->message, e->detail[0] ? "; " : "", e->detail);
	mw->res->cls = e->cls;
	mw->res->status = WINDOW_FAILED;
}

static bool moved_row(void *ctx, unsigned int ncols, char **row, unsigned long *lengths)
{
	merge_ctx *c = ctx;

	(void)lengths;
	sb_adds(&c->moved, c->nmoved ? ", (" : "(");
	for (unsigned int i = 0; i < ncols; i++) {
		if (i)
			sb_adds(&c->moved, ", ");
		quote_pg_literal(&c->moved, row[i] ? row[i] : "");
	}
	sb_addc(&c->moved, ')');
	c->nmoved++;
	return true;
}

/* check_moved: asks the source which of the keys batched in c->gone it now
 * has outside this window; they are added to c->moved */
static bool check_moved(merge_ctx *c)
{
	const merge_window *mw = c->mw;
	const table_plan *p = mw->p;
	strbuf q;
	bool ok;

	if (c->ngone_batch == 0)
		return true;
	sb_init(&q, c->gone.len + 256);
	sb_addf(&q, "SELECT DISTINCT %s FROM ", c->m->src_keys);
	quote_my_ident(&q, p->cfg->source);
	sb_addf(&q, " WHERE (%s) IN (%s) AND NOT (%s >= '%s' AND %s < '%s')", c->m->src_keys,
		c->gone.buf, p->source_time_col, mw->from, p->source_time_col, mw->to);
	ok = src_query(mw->src, q.buf, moved_row, c);
	sb_release(&q);
	sb_reset(&c->gone);
	c->ngone_batch = 0;
	return ok;
}

static bool gone_row(void *ctx, int ncols, char **v)
{
	merge_ctx *c = ctx;

	sb_adds(&c->gone, c->ngone_batch ? ", (" : "(");
	for (int i = 0; i < ncols; i++) {
		if (i)
			sb_adds(&c->gone, ", ");
		quote_my_literal(&c->gone, v[i] ? v[i] : "");
	}
	sb_addc(&c->gone, ')');
	c->ngone_batch++;
	c->ngone++;
	if (c->ngone_batch >= SOURCE_CHECK_BATCH)
		return check_moved(c);
	return true;
}

/* delete_gone: step 1, the rows of the window the source no longer has */
static bool delete_gone(merge_ctx *c)
{
	merge_window *mw = c->mw;
	const char *params[] = { mw->from, mw->to };
	int64_t deleted = 0;
	strbuf sql;
	bool ok;

	if (!tgt_query(mw->tgt, c->m->gone_sql, 2, params, gone_row, c) || !check_moved(c))
		return false;
	if (c->ngone == 0)
		return true;
	sb_init(&sql, 256 + c->moved.len);
	sb_adds(&sql, c->m->delete_sql);
	if (c->nmoved) {
		sb_adds(&sql, " AND (");
		plan_add_cols(&sql, mw->p, "t.", true);
		sb_addf(&sql, ") NOT IN (%s)", c->moved.buf);
	}
	ok = tgt_exec(mw->tgt, sql.buf, 2, params, &deleted);
	sb_release(&sql);
	if (!ok) {
		set_error(mw, "cannot delete the target rows whose key the source no longer has",
			  tgt_last_error(mw->tgt));
		return false;
	}
	mw->res->n.deleted += deleted;
	mw->kept = c->ngone - deleted;
	return true;
}

typedef struct row_values {
	int n;
	char **vals;
	unsigned long *lens;
} row_values;

static bool row_values_row(void *ctx, int ncols, char **v)
{
	row_values *r = ctx;

	for (int i = 0; i < ncols && i < r->n; i++) {
		r->vals[i] = v[i] ? xstrdup(v[i]) : NULL;
		r->lens[i] = v[i] ? strlen(v[i]) : 0;
	}
	return true;
}

/* refused_row: staged row `row` alone was refused with e: reject it, then
 * drop its old version in the window and unstage it */
static bool refused_row(merge_ctx *c, int64_t row, const tgt_error *e)
{
	merge_window *mw = c->mw;
	const table_plan *p = mw->p;
	char num[24];
	const char *row_param[] = { num };
	const char *drop_params[] = { num, mw->from, mw->to };
	row_values r = { p->ncols, xcalloc((size_t)p->ncols, sizeof(char *)),
			 xcalloc((size_t)p->ncols, sizeof(unsigned long)) };
	int64_t dropped = 0;
	bool ok;

	snprintf(num, sizeof(num), "%lld", (long long)row);
	ok = tgt_query(mw->tgt, c->m->row_sql, 1, row_param, row_values_row, &r) &&
	     mw->reject(mw->reject_ctx, r.vals, r.lens, e);
	for (int i = 0; i < r.n; i++)
		free(r.vals[i]);
	free(r.vals);
	free(r.lens);
	if (!ok)
		return false;
	c->refused++;
	mw->res->n.loaded--;
	if (!tgt_exec(mw->tgt, c->m->drop_row_sql, 3, drop_params, &dropped)) {
		set_error(mw, "cannot delete the old version of a rejected row", tgt_last_error(mw->tgt));
		return false;
	}
	mw->res->n.deleted += dropped;
	return tgt_exec(mw->tgt, c->m->unstage_sql, 1, row_param, NULL);
}

static bool upsert_counts(void *ctx, int ncols, char **v)
{
	merge_ctx *c = ctx;

	(void)ncols;
	c->inserted += strtoll(v[0], NULL, 10);
	c->updated += strtoll(v[1], NULL, 10);
	return true;
}

/* upsert_range: step 2 for staged rows [lo, hi), bisecting around refused rows */
static bool upsert_range(merge_ctx *c, int64_t lo, int64_t hi)
{
	merge_window *mw = c->mw;
	char slo[24], shi[24];
	const char *params[] = { slo, shi };
	tgt_error e;

	if (lo >= hi)
		return true;
	snprintf(slo, sizeof(slo), "%lld", (long long)lo);
	snprintf(shi, sizeof(shi), "%lld", (long long)hi);
	if (!tgt_exec(mw->tgt, "SAVEPOINT etlre_merge", 0, NULL, NULL))
		return false;
	if (tgt_query_quiet(mw->tgt, c->m->upsert_sql, 2, params, upsert_counts, c))
		return tgt_exec(mw->tgt, "RELEASE SAVEPOINT etlre_merge", 0, NULL, NULL);
	e = *tgt_last_error(mw->tgt);
	if (!err_class_is_row_level(e.cls)) {
		log_error("target: %s%s%s [SQLSTATE %s] in the upsert of table %s hour %s", e.message,
			  e.detail[0] ? "; " : "", e.detail, e.sqlstate, mw->p->cfg->name, mw->hour_iso);
		return false;
	}
	if (!tgt_exec(mw->tgt, "ROLLBACK TO SAVEPOINT etlre_merge", 0, NULL, NULL) ||
	    !tgt_exec(mw->tgt, "RELEASE SAVEPOINT etlre_merge", 0, NULL, NULL))
		return false;
	if (hi - lo == 1)
		return refused_row(c, lo, &e);
	int64_t mid = lo + (hi - lo) / 2;
	return upsert_range(c, lo, mid) && upsert_range(c, mid, hi);
}

bool merge_apply(merge_window *mw)
{
	merge_ctx c;
	int64_t max_row = 0;
	bool ok;

	memset(&c, 0, sizeof(c));
	c.mw = mw;
	c.m = mw->p->merge;
	mw->kept = 0;
	sb_init(&c.gone, 1024);
	sb_init(&c.moved, 64);
	ok = delete_gone(&c) && tgt_query_int64(mw->tgt, c.m->max_row_sql, 0, NULL, &max_row) &&
	     upsert_range(&c, 1, max_row + 1);
	if (ok)
		log_msg(log_hour_level(),
			"table %s hour %s: merge: %lld inserted, %lld updated, %lld unchanged, "
			"%lld deleted, %lld refused, %lld kept (the source has them in another hour)",
			mw->p->cfg->name, mw->hour_iso, (long long)c.inserted, (long long)c.updated,
			(long long)(mw->res->n.loaded - c.inserted - c.updated),
			(long long)mw->res->n.deleted, (long long)c.refused, (long long)mw->kept);
	sb_release(&c.gone);
	sb_release(&c.moved);
	return ok;
}
