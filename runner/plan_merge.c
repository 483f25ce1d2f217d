/*
 * plan_merge.c: the plan-time part of mode = merge (see plan_merge.h and
 * load_merge.h): checking that the key is backed by a unique index of the
 * target and building, once per table, the SQL that load_merge.c runs for
 * each window: the staging table, the delete of rows the source no longer
 * has, the upsert, and the statements that isolate a refused row.
 */
#include "plan_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "sqlquote.h"

#define STAGE "pg_temp.etlre_merge_stage"


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

/* add_compared_values: the columns outside the key, each as add_compared
 * gives it with prefix, separated by commas */
static void add_compared_values(strbuf *sb, const table_plan *p, const char *prefix)
{
	bool first = true;

	for (int i = 0; i < p->ncols; i++) {
		if (is_key(p, i))
			continue;
		if (!first)
			sb_adds(sb, ", ");
		add_compared(sb, &p->cols[i], prefix);
		first = false;
	}
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
	plan_add_cols(sb, p, "", false);
	sb_adds(sb, ") SELECT ");
	plan_add_cols(sb, p, "", false);
	sb_adds(sb, " FROM " STAGE " WHERE etlre_row >= $1 AND etlre_row < $2 ON CONFLICT (");
	plan_add_cols(sb, p, "", true);
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
		add_compared_values(sb, p, "t.");
		/* ROW() so that a single column is a row too */
		sb_adds(sb, ", NULL) IS DISTINCT FROM (");
		add_compared_values(sb, p, "EXCLUDED.");
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
	plan_add_cols(&sb, p, "", false);
	sb_adds(&sb, " FROM ");
	quote_pg_ident(&sb, t->target);
	sb_adds(&sb, " WITH NO DATA");
	m->create_sql = sb_detach(&sb);

	sb_init(&sb, 256);
	sb_adds(&sb, "ALTER TABLE " STAGE " ADD COLUMN etlre_row bigint GENERATED ALWAYS AS IDENTITY,"
		     " ADD CONSTRAINT ");
	quote_pg_ident(&sb, m->index_name);
	sb_adds(&sb, " UNIQUE (");
	plan_add_cols(&sb, p, "", true);
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
	plan_add_cols(&sb, p, "", false);
	sb_adds(&sb, ") FROM STDIN");
	p->copy_sql = sb_detach(&sb);
}

bool merge_plan_build(table_plan *p)
{
	strbuf keys;

	if (!p->key_index) {
		sb_init(&keys, 64);
		plan_add_cols(&keys, p, "", true);
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
