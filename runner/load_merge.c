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
#include "sqlquote.h"

#define STAGE "pg_temp.etlre_merge_stage"
#define SOURCE_CHECK_BATCH 500 /* keys per source query of the moved-row check */

struct merge_plan {
	char *create_sql;   /* the staging table, with the loaded columns */
	char *alter_sql;    /* its row number and unique key */
	char *gone_sql;     /* $1 $2 window: keys (as text) of target rows not staged */
	char *delete_sql;   /* $1 $2 window: those rows; moved keys are appended */
	char *upsert_sql;   /* $1 $2 staged rows [lo, hi): inserted, updated counts */
	char *max_row_sql;
	char *row_sql;      /* $1 row: its values as text */
	char *drop_row_sql; /* $1 row, $2 $3 window: its old version in the target */
	char *unstage_sql;  /* $1 row */
	char *src_keys;     /* the key in the source: columns or expressions */
	char *index_name;   /* the target's unique index on the key */
};

/* add_cols: "c1, c2" (prefix "s." gives "s.c1, s.c2"); keys_only for the key */
static void add_cols(strbuf *sb, const table_plan *p, const char *prefix, bool keys_only)
{
	int n = keys_only ? p->nkey : p->ncols;

	for (int k = 0; k < n; k++) {
		int i = keys_only ? p->key_idx[k] : k;
		if (k)
			sb_adds(sb, ", ");
		sb_adds(sb, prefix);
		quote_pg_ident(sb, p->cols[i].name);
	}
}

/* add_key_match: "s.k1 = t.k1 AND s.k2 = t.k2" */
static void add_key_match(strbuf *sb, const table_plan *p, const char *a, const char *b)
{
	for (int k = 0; k < p->nkey; k++) {
		const char *name = p->cols[p->key_idx[k]].name;
		if (k)
			sb_adds(sb, " AND ");
		sb_addf(sb, "%s.", a);
		quote_pg_ident(sb, name);
		sb_addf(sb, " = %s.", b);
		quote_pg_ident(sb, name);
	}
}

/* add_in_window: "t.time >= $N AND t.time < $N+1" */
static void add_in_window(strbuf *sb, const table_plan *p, const char *alias, int first_param)
{
	const char *time = p->cols[p->time_idx].name;

	sb_addf(sb, "%s.", alias);
	quote_pg_ident(sb, time);
	sb_addf(sb, " >= $%d AND %s.", first_param, alias);
	quote_pg_ident(sb, time);
	sb_addf(sb, " < $%d", first_param + 1);
}

/* add_compared: a column as compared for "differs": types without an
 * equality operator (json, and the ones etlre passes through) as text */
static void add_compared(strbuf *sb, const column_spec *c, const char *prefix)
{
	bool as_text = c->type == VT_JSON || c->type == VT_OTHER;

	sb_adds(sb, prefix);
	quote_pg_ident(sb, c->name);
	if (as_text)
		sb_adds(sb, "::text");
}

static bool is_key(const table_plan *p, int col)
{
	for (int k = 0; k < p->nkey; k++)
		if (p->key_idx[k] == col)
			return true;
	return false;
}

static void build_upsert(strbuf *sb, const table_plan *p)
{
	bool first = true;

	if (p->partitioned) {
		/* a partitioned table has no xmax to return: the keys the target
		 * lacks before the upsert (the same snapshot) are the inserted rows */
		sb_adds(sb, "WITH pre AS (SELECT count(*) AS n FROM " STAGE " s WHERE etlre_row >= $1"
			    " AND etlre_row < $2 AND NOT EXISTS (SELECT 1 FROM ");
		quote_pg_ident(sb, p->cfg->target);
		sb_adds(sb, " t WHERE ");
		add_key_match(sb, p, "s", "t");
		sb_adds(sb, ")), m AS (INSERT INTO ");
	} else {
		sb_adds(sb, "WITH m AS (INSERT INTO ");
	}
	quote_pg_ident(sb, p->cfg->target);
	sb_adds(sb, " AS t (");
	add_cols(sb, p, "", false);
	sb_adds(sb, ") SELECT ");
	add_cols(sb, p, "", false);
	sb_adds(sb, " FROM " STAGE " WHERE etlre_row >= $1 AND etlre_row < $2 ON CONFLICT (");
	add_cols(sb, p, "", true);
	if (p->nkey == p->ncols) {
		sb_adds(sb, ") DO NOTHING");
	} else {
		sb_adds(sb, ") DO UPDATE SET ");
		for (int i = 0; i < p->ncols; i++) {
			if (is_key(p, i))
				continue;
			if (!first)
				sb_adds(sb, ", ");
			quote_pg_ident(sb, p->cols[i].name);
			sb_adds(sb, " = EXCLUDED.");
			quote_pg_ident(sb, p->cols[i].name);
			first = false;
		}
		sb_adds(sb, " WHERE (");
		first = true;
		for (int i = 0; i < p->ncols; i++) {
			if (is_key(p, i))
				continue;
			if (!first)
				sb_adds(sb, ", ");
			add_compared(sb, &p->cols[i], "t.");
			first = false;
		}
		/* ROW() so that a single column is a row too */
		sb_adds(sb, ", NULL) IS DISTINCT FROM (");
		first = true;
		for (int i = 0; i < p->ncols; i++) {
			if (is_key(p, i))
				continue;
			if (!first)
				sb_adds(sb, ", ");
			add_compared(sb, &p->cols[i], "EXCLUDED.");
			first = false;
		}
		sb_adds(sb, ", NULL)");
	}
	if (p->partitioned)
		sb_adds(sb, " RETURNING 1) SELECT (SELECT n FROM pre), count(*) - (SELECT n FROM pre) FROM m");
	else
		sb_adds(sb, " RETURNING t.xmax = 0 AS inserted)"
			    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM m");
}

static void build_sql(table_plan *p, merge_plan *m)
{
	const table_config *t = p->cfg;
	strbuf sb;

	sb_init(&sb, 256);
	sb_adds(&sb, "CREATE TEMP TABLE etlre_merge_stage ON COMMIT DROP AS SELECT ");
	add_cols(&sb, p, "", false);
	sb_adds(&sb, " FROM ");
	quote_pg_ident(&sb, t->target);
	sb_adds(&sb, " WITH NO DATA");
	m->create_sql = sb_detach(&sb);

	sb_init(&sb, 256);
	sb_adds(&sb, "ALTER TABLE " STAGE " ADD COLUMN etlre_row bigint GENERATED ALWAYS AS IDENTITY,"
		     " ADD CONSTRAINT ");
	quote_pg_ident(&sb, m->index_name);
	sb_adds(&sb, " UNIQUE (");
	add_cols(&sb, p, "", true);
	sb_adds(&sb, ")");
	m->alter_sql = sb_detach(&sb);

	/* the rows of the window that are not staged: listed, then deleted */
	strbuf not_staged;
	sb_init(&not_staged, 256);
	quote_pg_ident(&not_staged, t->target);
	sb_adds(&not_staged, " t WHERE ");
	add_in_window(&not_staged, p, "t", 1);
	sb_adds(&not_staged, " AND NOT EXISTS (SELECT 1 FROM " STAGE " s WHERE ");
	add_key_match(&not_staged, p, "s", "t");
	sb_adds(&not_staged, ")");

	sb_init(&sb, 256);
	sb_adds(&sb, "SELECT ");
	for (int k = 0; k < p->nkey; k++) {
		if (k)
			sb_adds(&sb, ", ");
		sb_adds(&sb, "t.");
		quote_pg_ident(&sb, p->cols[p->key_idx[k]].name);
		sb_adds(&sb, "::text");
	}
	sb_addf(&sb, " FROM %s", not_staged.buf);
	m->gone_sql = sb_detach(&sb);
	m->delete_sql = xasprintf("DELETE FROM %s", not_staged.buf);
	sb_release(&not_staged);

	sb_init(&sb, 1024);
	build_upsert(&sb, p);
	m->upsert_sql = sb_detach(&sb);

	m->max_row_sql = xstrdup("SELECT coalesce(max(etlre_row), 0) FROM " STAGE);

	sb_init(&sb, 256);
	sb_adds(&sb, "SELECT ");
	for (int i = 0; i < p->ncols; i++) {
		if (i)
			sb_adds(&sb, ", ");
		quote_pg_ident(&sb, p->cols[i].name);
		sb_adds(&sb, "::text");
	}
	sb_adds(&sb, " FROM " STAGE " WHERE etlre_row = $1");
	m->row_sql = sb_detach(&sb);

	sb_init(&sb, 256);
	sb_adds(&sb, "DELETE FROM ");
	quote_pg_ident(&sb, t->target);
	sb_adds(&sb, " t USING " STAGE " s WHERE s.etlre_row = $1 AND ");
	add_key_match(&sb, p, "s", "t");
	sb_adds(&sb, " AND ");
	add_in_window(&sb, p, "t", 2);
	m->drop_row_sql = sb_detach(&sb);

	m->unstage_sql = xstrdup("DELETE FROM " STAGE " WHERE etlre_row = $1");

	sb_init(&sb, 128);
	for (int k = 0; k < p->nkey; k++) {
		const char *name = p->cols[p->key_idx[k]].name;
		const char *expr = NULL;
		for (int e = 0; e < t->nexprs; e++)
			if (strcasecmp(t->exprs[e].name, name) == 0)
				expr = t->exprs[e].expr;
		if (k)
			sb_adds(&sb, ", ");
		if (expr)
			sb_addf(&sb, "(%s)", expr);
		else
			quote_my_ident(&sb, name);
	}
	m->src_keys = sb_detach(&sb);

	free(p->copy_sql);
	sb_init(&sb, 256);
	sb_adds(&sb, "COPY " STAGE " (");
	add_cols(&sb, p, "", false);
	sb_adds(&sb, ") FROM STDIN");
	p->copy_sql = sb_detach(&sb);
}

bool merge_plan_build(table_plan *p)
{
	strbuf keys;

	if (!p->key_index) {
		sb_init(&keys, 64);
		add_cols(&keys, p, "", true);
		log_error("[table %s] mode = merge needs the key (%s) to be the primary key or a unique "
			  "index of the target %s on exactly those columns (not partial, not deferrable); "
			  "there is none",
			  p->cfg->name, keys.buf, p->cfg->target);
		sb_release(&keys);
		return false;
	}
	p->merge = xcalloc(1, sizeof(*p->merge));
	p->merge->index_name = xstrdup(p->key_index);
	build_sql(p, p->merge);
	return true;
}

void merge_plan_free(merge_plan *m)
{
	if (!m)
		return;
	free(m->create_sql);
	free(m->alter_sql);
	free(m->gone_sql);
	free(m->delete_sql);
	free(m->upsert_sql);
	free(m->max_row_sql);
	free(m->row_sql);
	free(m->drop_row_sql);
	free(m->unstage_sql);
	free(m->src_keys);
	free(m->index_name);
	free(m);
}

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
		add_cols(&sql, mw->p, "t.", true);
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
