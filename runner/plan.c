/*
 * plan.c: resolving a [table] section against the source and target catalogs
 * (see plan.h).
 */
#include "plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "chunk.h"
#include "load_moved.h"
#include "log.h"
#include "partition.h"
#include "plan_merge.h"
#include "signals.h"
#include "sqlquote.h"
#include "typemap.h"

/* mentions: does expr contain name as a whole word (case-insensitive)? */
static bool mentions(const char *expr, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = expr; *p; p++) {
		if (strncasecmp(p, name, n) != 0)
			continue;
		bool before = p == expr || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
		bool after = !(isalnum((unsigned char)p[n]) || p[n] == '_');
		if (before && after)
			return true;
	}
	return false;
}

static void add_col(table_plan *p, const catalog_cols *tc, int ti)
{
	column_spec *c;

	p->cols = xrealloc(p->cols, sizeof(*p->cols) * (size_t)(p->ncols + 1));
	c = &p->cols[p->ncols++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(tc->name[ti]);
	c->type_name = xstrdup(tc->type_full[ti]);
	c->not_null = tc->not_null[ti];
	column_spec_set_type(c, tc->type[ti], tc->typmod[ti]);
}

static int plan_find(const table_plan *p, const char *name)
{
	for (int i = 0; i < p->ncols; i++)
		if (strcasecmp(p->cols[i].name, name) == 0)
			return i;
	return -1;
}

static bool choose_columns(table_plan *p, const catalog_cols *sc, const catalog_cols *tc)
{
	table_config *t = p->cfg;

	if (t->columns) {
		for (int i = 0; i < t->ncolumns; i++) {
			int ti = catalog_find(tc, t->columns[i]);
			if (ti < 0) {
				log_error("[table %s] column '%s' does not exist in the target %s", t->name,
					  t->columns[i], t->target);
				return false;
			}
			if (catalog_find(sc, t->columns[i]) < 0 && config_find_expr(t, t->columns[i]) < 0) {
				log_error("[table %s] column '%s' does not exist in the source %s "
					  "(and has no expr.%s)",
					  t->name, t->columns[i], t->source, t->columns[i]);
				return false;
			}
			if (plan_find(p, tc->name[ti]) >= 0) {
				log_error("[table %s] column '%s' is listed twice", t->name, t->columns[i]);
				return false;
			}
			add_col(p, tc, ti);
		}
	} else {
		for (int ti = 0; ti < tc->n; ti++) {
			if (tc->generated[ti])
				continue;
			if (catalog_find(sc, tc->name[ti]) >= 0 || config_find_expr(t, tc->name[ti]) >= 0)
				add_col(p, tc, ti);
		}
		if (p->ncols == 0) {
			log_error("[table %s] the source %s and the target %s have no column in common",
				  t->name, t->source, t->target);
			return false;
		}
	}
	for (int i = 0; i < t->nexprs; i++) {
		if (catalog_find(tc, t->exprs[i].name) < 0) {
			log_error("[table %s] expr.%s: no such column in the target %s", t->name,
				  t->exprs[i].name, t->target);
			return false;
		}
		if (plan_find(p, t->exprs[i].name) < 0) {
			log_error("[table %s] expr.%s: the column is not in 'columns'", t->name,
				  t->exprs[i].name);
			return false;
		}
	}
	return true;
}

/* check_types: classifies each loaded column's source type (typemap.c) and
 * refuses a target column that cannot hold it; logs and returns false */
static bool check_types(table_plan *p, const catalog_cols *sc)
{
	table_config *t = p->cfg;

	for (int i = 0; i < p->ncols; i++) {
		column_spec *c = &p->cols[i];
		int si = config_find_expr(t, c->name) >= 0 ? -1 : catalog_find(sc, c->name);
		c->scratch = xmalloc(TYPEMAP_SCRATCH);
		if (si >= 0 && typemap_source_kind(sc->type[si]) == SK_OTHER) {
			typemap_log_unmapped(t->name, sc->name[si], sc->type[si], sc->type_full[si]);
			return false;
		}
		if (!typemap_check(c, si >= 0 ? sc->type[si] : NULL, si >= 0 ? sc->type_full[si] : NULL,
				   t->zero_dates_reject)) {
			log_error("[table %s] column '%s': the source type %s cannot load into the "
				  "target type %s",
				  t->name, c->name, sc->type_full[si], c->type_name);
			return false;
		}
	}
	return true;
}

/* add_missing: appends to sb the columns of a that b lacks (and that are
 * not expr.* columns of t when skip_exprs), comma-separated; how many */
static int add_missing(strbuf *sb, const catalog_cols *a, const catalog_cols *b,
		       const table_config *t, bool skip_exprs)
{
	int n = 0;

	for (int i = 0; i < a->n; i++) {
		if (a->generated[i] || catalog_find(b, a->name[i]) >= 0 ||
		    (skip_exprs && config_find_expr(t, a->name[i]) >= 0))
			continue;
		sb_addf(sb, "%s%s", n++ ? ", " : "", a->name[i]);
	}
	return n;
}

/* find_drift: sets p->drift to what one side has and the other lacks (a
 * source column the target lacks, a target column neither the source nor
 * an expr.* gives), and warns once; NULL when the two sides agree */
static void find_drift(table_plan *p, const catalog_cols *sc, const catalog_cols *tc)
{
	table_config *t = p->cfg;
	strbuf src_only, tgt_only, sb;

	sb_init(&src_only, 64);
	sb_init(&tgt_only, 64);
	add_missing(&src_only, sc, tc, t, false);
	add_missing(&tgt_only, tc, sc, t, true);
	if (src_only.len || tgt_only.len) {
		sb_init(&sb, 256);
		if (src_only.len)
			sb_addf(&sb, "the target %s lacks source column(s) %s (not loaded)", t->target,
				src_only.buf);
		if (tgt_only.len)
			sb_addf(&sb, "%sthe source %s lacks target column(s) %s (left to their default)",
				src_only.len ? "; " : "", t->source, tgt_only.buf);
		p->drift = sb_detach(&sb);
		log_warn("[table %s] schema drift: %s", t->name, p->drift);
	}
	sb_release(&src_only);
	sb_release(&tgt_only);
}

/* plan_add_cols: "c1, c2" (prefix "s." gives "s.c1, s.c2"); keys_only for the key */
void plan_add_cols(strbuf *sb, const table_plan *p, const char *prefix, bool keys_only)
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

/* target_window_sql: verb, then the target table and a WHERE on its time
 * column from $1 (included) to $2 (excluded); new string */
static char *target_window_sql(const table_plan *p, const char *verb)
{
	const char *time_col = p->cols[p->time_idx].name;
	strbuf sb;

	sb_init(&sb, 256);
	sb_adds(&sb, verb);
	quote_pg_ident(&sb, p->cfg->target);
	sb_adds(&sb, " WHERE ");
	quote_pg_ident(&sb, time_col);
	sb_adds(&sb, " >= $1 AND ");
	quote_pg_ident(&sb, time_col);
	sb_adds(&sb, " < $2");
	return sb_detach(&sb);
}

static void build_sql(table_plan *p, const catalog_cols *sc)
{
	table_config *t = p->cfg;
	strbuf sb;

	sb_init(&sb, 64);
	quote_my_ident(&sb, sc->name[catalog_find(sc, t->time_column)]);
	p->source_time_col = sb_detach(&sb);

	sb_init(&sb, 1024);
	sb_adds(&sb, "SELECT ");
	for (int i = 0; i < p->ncols; i++) {
		int e = config_find_expr(t, p->cols[i].name);
		if (i)
			sb_adds(&sb, ", ");
		if (e >= 0) {
			sb_addf(&sb, "(%s)", t->exprs[e].expr);
		} else {
			strbuf id;
			sb_init(&id, 64);
			quote_my_ident(&id, sc->name[catalog_find(sc, p->cols[i].name)]);
			typemap_load_expr(&sb, &p->cols[i], id.buf);
			sb_release(&id);
		}
	}
	for (int i = 0; i < p->nchecks; i++)
		sb_addf(&sb, ", ((%s) IS TRUE)", p->checks[i].expr);
	sb_adds(&sb, " FROM ");
	quote_my_ident(&sb, t->source);
	p->select_sql = sb_detach(&sb);

	sb_init(&sb, 256);
	sb_adds(&sb, "SELECT COUNT(*) FROM ");
	quote_my_ident(&sb, t->source);
	p->source_count_sql = sb_detach(&sb);

	sb_init(&sb, 512);
	sb_adds(&sb, "COPY ");
	quote_pg_ident(&sb, t->target);
	sb_adds(&sb, " (");
	plan_add_cols(&sb, p, "", false);
	sb_adds(&sb, ") FROM STDIN");
	p->copy_sql = sb_detach(&sb);

	p->delete_sql = target_window_sql(p, "DELETE FROM ");
	p->target_count_sql = target_window_sql(p, "SELECT count(*) FROM ");

	p->lock_key = xasprintf("etlre:%s", t->target);
}

/* build_keyrange_sql: the key-range reads of plan.h, when the source's
 * primary key (pk) is one integer column */
static void build_keyrange_sql(table_plan *p, const catalog_cols *sc, const catalog_cols *pk)
{
	int i = pk->n == 1 ? catalog_find(sc, pk->name[0]) : -1;
	strbuf sb;

	if (i < 0 || typemap_source_kind(sc->type[i]) != SK_INT)
		return;
	sb_init(&sb, 64);
	quote_my_ident(&sb, sc->name[i]);
	p->source_pk_col = sb_detach(&sb);

	/* the span is computed as DECIMAL: MAX - MIN of a signed BIGINT may overflow */
	sb_init(&sb, 256);
	sb_addf(&sb,
		"SELECT COUNT(*), MIN(%s), MAX(%s),"
		" CAST(MAX(%s) AS DECIMAL(21, 0)) - CAST(MIN(%s) AS DECIMAL(21, 0)) < 2 * COUNT(*)"
		" FROM ",
		p->source_pk_col, p->source_pk_col, p->source_pk_col, p->source_pk_col);
	quote_my_ident(&sb, p->cfg->source);
	p->source_range_sql = sb_detach(&sb);
}

typedef struct con_ctx {
	table_plan *p;
} con_ctx;

static bool constraint_row(void *ctx, int ncols, char **v)
{
	table_plan *p = ((con_ctx *)ctx)->p;
	int col;

	(void)ncols;
	if (!v[1] || (col = plan_find(p, v[1])) < 0)
		return true;
	p->con_name = xrealloc(p->con_name, sizeof(char *) * (size_t)(p->ncon + 1));
	p->con_col = xrealloc(p->con_col, sizeof(int) * (size_t)(p->ncon + 1));
	p->con_name[p->ncon] = xstrdup(v[0]);
	p->con_col[p->ncon] = col;
	p->ncon++;
	return true;
}

/* read_constraints: single-column constraints of the target (CHECK, foreign
 * key, unique), so that a refusal can name its column */
static bool read_constraints(tgt_conn *tgt, table_plan *p)
{
	strbuf q;
	con_ctx ctx = { p };
	bool ok;

	sb_init(&q, 128);
	quote_pg_ident(&q, p->cfg->target);
	const char *params[] = { q.buf };
	ok = tgt_query(tgt,
		       "SELECT c.conname, a.attname FROM pg_catalog.pg_constraint c"
		       " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
		       " WHERE c.conrelid = to_regclass($1) AND cardinality(c.conkey) = 1",
		       1, params, constraint_row, &ctx);
	sb_release(&q);
	return ok;
}

int plan_constraint_column(const table_plan *p, const char *constraint)
{
	for (int i = 0; i < p->ncon; i++)
		if (strcmp(p->con_name[i], constraint) == 0)
			return p->con_col[i];
	return -1;
}

static bool first_text(void *ctx, int ncols, char **v)
{
	(void)ncols;
	*(char **)ctx = xstrdup(v[0] ? v[0] : "");
	return false; /* the first row is enough */
}

/* read_key_index: sets p->key_index to the target's primary key or unique
 * index on exactly the key's columns (immediate, valid, not partial, no
 * expressions), the primary key first; NULL when there is none */
static bool read_key_index(tgt_conn *tgt, table_plan *p)
{
	strbuf target, keys;
	bool ok;

	sb_init(&target, 64);
	quote_pg_ident(&target, p->cfg->target);
	sb_init(&keys, 64);
	sb_addc(&keys, '{');
	for (int k = 0; k < p->nkey; k++)
		sb_addf(&keys, "%s\"%s\"", k ? "," : "", p->cols[p->key_idx[k]].name);
	sb_addc(&keys, '}');
	const char *params[] = { target.buf, keys.buf };
	ok = tgt_query(tgt,
		       "SELECT c.relname FROM pg_catalog.pg_index i"
		       " JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
		       " WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indimmediate"
		       "  AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL"
		       "  AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text)"
		       "       FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)"
		       "       JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
		       "       WHERE k.n <= i.indnkeyatts)"
		       "    = (SELECT array_agg(x ORDER BY x) FROM unnest($2::text[]) x)"
		       " ORDER BY i.indisprimary DESC, c.relname",
		       2, params, first_text, &p->key_index) ||
	     p->key_index != NULL; /* first_text stops the query after its row */
	sb_release(&target);
	sb_release(&keys);
	return ok;
}

char *plan_key_note(const table_plan *p)
{
	strbuf keys;
	char *note;

	if (p->key_index || p->cfg->mode == MODE_MERGE)
		return NULL;
	sb_init(&keys, 64);
	for (int k = 0; k < p->nkey; k++)
		sb_addf(&keys, "%s%s", k ? ", " : "", p->cols[p->key_idx[k]].name);
	note = xasprintf("the key (%s) is not the primary key or a unique index of the target %s: "
			 "a row whose time moved to another hour cannot be detected there, and "
			 "stays in its old hour too until that hour is reprocessed",
			 keys.buf, p->cfg->target);
	sb_release(&keys);
	return note;
}

static bool no_row(void *ctx, unsigned int ncols, char **row, unsigned long *lengths)
{
	(void)ctx, (void)ncols, (void)row, (void)lengths;
	return true;
}

/* probe_source: runs the table's SELECT for no rows, so that an expr.* or
 * check.* naming a column the source lacks, or not valid SQL, is a
 * configuration error found before anything is written, not a failed hour */
static bool probe_source(src_conn *src, const table_plan *p)
{
	char *sql = xasprintf("%s WHERE 1 = 0", p->select_sql);
	bool ok = src_query(src, sql, no_row, NULL);

	free(sql);
	if (ok || signals_caught()) /* else cancelled (source_cancel.h) */
		return ok;
	if (err_class_is_unanswered(src_last_error(src)->cls)) /* a lock, a silent or lost server */
		log_error("[table %s] the source did not answer the table's query (see above); "
			  "nothing was written", p->cfg->name);
	else
		log_error("[table %s] the source query fails (see above): check its columns, expr.* "
			  "and check.* settings", p->cfg->name);
	return false;
}

/* log_missing_source: why the source's catalog shows no column of t's
 * table: MariaDB hides the tables an account may not read, so a read of the
 * table tells a missing grant (error 1142, which names the privilege and
 * the table) from a missing table */
static void log_missing_source(src_conn *src, const table_config *t)
{
	strbuf q;

	sb_init(&q, 128);
	sb_adds(&q, "SELECT 1 FROM ");
	quote_my_ident(&q, t->source);
	sb_adds(&q, " WHERE 1 = 0");
	if (!src_query(src, q.buf, no_row, NULL) && src_last_error(src)->errnum == 1142)
		log_error("[table %s] the source account may not read %s: it needs SELECT on it "
			  "(README \"Security\")", t->name, t->source);
	else
		log_error("[table %s] source table %s does not exist", t->name, t->source);
	sb_release(&q);
}

bool plan_build(src_conn *src, tgt_conn *tgt, table_config *t, table_plan *p)
{
	catalog_cols sc = { 0 }, tc = { 0 }, pk = { 0 };
	bool ok = false;

	memset(p, 0, sizeof(*p));
	p->cfg = t;
	if (!catalog_read_target(tgt, t->target, &tc) || !catalog_read_source(src, t->source, &sc))
		goto out;
	if (tc.n == 0) {
		log_error("[table %s] target table %s does not exist", t->name, t->target);
		goto out;
	}
	if (sc.n == 0) {
		log_missing_source(src, t);
		goto out;
	}
	if (catalog_find(&sc, t->time_column) < 0) {
		log_error("[table %s] time_column '%s' does not exist in the source %s", t->name,
			  t->time_column, t->source);
		goto out;
	}
	if (!choose_columns(p, &sc, &tc) || !check_types(p, &sc))
		goto out;
	find_drift(p, &sc, &tc);
	p->time_idx = plan_find(p, t->time_column);
	if (p->time_idx < 0) {
		log_error("[table %s] time_column '%s' must be one of the loaded target columns",
			  t->name, t->time_column);
		goto out;
	}
	if (p->cols[p->time_idx].type != VT_TIMESTAMP && p->cols[p->time_idx].type != VT_TIMESTAMPTZ &&
	    p->cols[p->time_idx].type != VT_DATE) {
		log_error("[table %s] time_column '%s' is %s in the target; it must be a timestamp",
			  t->name, t->time_column, p->cols[p->time_idx].type_name);
		goto out;
	}
	if (p->cols[p->time_idx].src == SK_TIMESTAMP && !zone_is_utc()) {
		log_error("[table %s] time_column '%s' is a TIMESTAMP, whose hours etlre reads in "
			  "UTC: it needs timezone = UTC (the zone is %s); a DATETIME column can be in "
			  "any zone",
			  t->name, t->time_column, zone_name());
		goto out;
	}
	p->nkey = t->nkey;
	p->key_idx = xcalloc((size_t)t->nkey, sizeof(int));
	for (int i = 0; i < t->nkey; i++) {
		p->key_idx[i] = plan_find(p, t->key[i]);
		if (p->key_idx[i] < 0) {
			log_error("[table %s] key column '%s' is not one of the loaded columns", t->name,
				  t->key[i]);
			goto out;
		}
	}
	p->nchecks = t->nchecks;
	p->checks = xcalloc((size_t)t->nchecks, sizeof(*p->checks));
	for (int i = 0; i < t->nchecks; i++) {
		check_rule *r = &p->checks[i];
		r->name = t->checks[i].name;
		r->expr = t->checks[i].expr;
		r->cols = xcalloc((size_t)p->ncols, sizeof(int));
		for (int c = 0; c < p->ncols; c++)
			if (mentions(r->expr, p->cols[c].name))
				r->cols[r->ncols++] = c;
	}
	build_sql(p, &sc);
	if (!catalog_read_source_pk(src, t->source, &pk))
		goto out;
	build_keyrange_sql(p, &sc, &pk);
	ok = probe_source(src, p) && read_constraints(tgt, p) && read_key_index(tgt, p) &&
	     partition_plan(tgt, p) && (t->mode != MODE_MERGE || merge_plan_build(p));
	if (ok && t->mode != MODE_MERGE && p->key_index)
		p->moved = moved_plan_build(p);
out:
	catalog_release(&sc);
	catalog_release(&tc);
	catalog_release(&pk);
	return ok;
}

void plan_release(table_plan *p)
{
	for (int i = 0; i < p->ncols; i++) {
		free(p->cols[i].name);
		free(p->cols[i].type_name);
		free(p->cols[i].scratch);
	}
	free(p->cols);
	free(p->key_idx);
	for (int i = 0; i < p->nchecks; i++)
		free(p->checks[i].cols);
	free(p->checks);
	free(p->source_time_col);
	free(p->select_sql);
	free(p->source_count_sql);
	free(p->source_range_sql);
	free(p->source_pk_col);
	free(p->copy_sql);
	free(p->delete_sql);
	free(p->target_count_sql);
	free(p->lock_key);
	free(p->drift);
	str_list_free(p->con_name, p->ncon);
	free(p->con_col);
	free(p->key_index);
	merge_plan_free(p->merge);
	moved_plan_free(p->moved);
	memset(p, 0, sizeof(*p));
}

char *plan_source_sql(const table_plan *p, const char *prefix, const char *from, const char *to)
{
	return xasprintf("%s WHERE %s >= '%s' AND %s < '%s'", prefix, p->source_time_col, from,
			 p->source_time_col, to);
}

char *plan_source_sql_keyrange(const table_plan *p, const char *lo, const char *hi,
			       const char *from, const char *to)
{
	return xasprintf("%s FORCE INDEX (PRIMARY) WHERE %s BETWEEN %s AND %s AND %s >= '%s' AND %s < '%s'",
			 p->select_sql, p->source_pk_col, lo, hi, p->source_time_col, from,
			 p->source_time_col, to);
}
