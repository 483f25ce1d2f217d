/*
 * ddl.c: CREATE TABLE statements for configured tables, from the source's
 * catalog (see ddl.h).
 */
#include "ddl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "log.h"
#include "sqlquote.h"
#include "typemap.h"

/* expr_col: one result column of the expr.* query, into the catalog_cols ctx */
static void expr_col(void *ctx, unsigned int i, const char *data_type, const char *column_type,
		     bool not_null)
{
	catalog_cols *ec = ctx;

	(void)i;
	catalog_add(ec, "", data_type, column_type, -1, not_null, false);
}

/* read_expr_types: the source's result types of t's expr.* columns, one
 * entry per expression in order, read from a query for no rows */
static bool read_expr_types(src_conn *src, const table_config *t, catalog_cols *ec)
{
	strbuf q;
	bool ok;

	if (t->nexprs == 0)
		return true;
	sb_init(&q, 256);
	sb_adds(&q, "SELECT ");
	for (int i = 0; i < t->nexprs; i++)
		sb_addf(&q, "%s(%s)", i ? ", " : "", t->exprs[i].expr);
	sb_adds(&q, " FROM ");
	quote_my_ident(&q, t->source);
	sb_adds(&q, " WHERE 1 = 0");
	ok = src_query_columns(src, q.buf, expr_col, ec);
	sb_release(&q);
	if (!ok)
		log_error("[table %s] the expr.* settings do not run on the source (see above)", t->name);
	else if (ec->n != t->nexprs)
		log_error("[table %s] the expr.* settings give %d columns, not %d", t->name, ec->n,
			  t->nexprs), ok = false;
	return ok;
}

/* add_col: one column definition; the expression's type when col is an
 * expr.*, else the source column's; false after logging when neither holds it */
static bool add_col(strbuf *sb, const table_config *t, const char *col, const catalog_cols *sc,
		    const catalog_cols *ec)
{
	int e = config_find_expr(t, col), si = catalog_find(sc, col);
	const catalog_cols *from = e >= 0 ? ec : sc;
	int i = e >= 0 ? e : si;
	char *lower = xstrdup(col);

	if (i < 0) {
		log_error("[table %s] column '%s' does not exist in the source %s (and has no expr.%s)",
			  t->name, col, t->source, col);
		free(lower);
		return false;
	}
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	sb_adds(sb, "    ");
	quote_pg_ident(sb, lower);
	free(lower);
	sb_addc(sb, ' ');
	if (!typemap_target_type(sb, from->type[i], from->type_full[i])) {
		if (e >= 0)
			log_error("[table %s] expr.%s: its result type %s has no PostgreSQL type; wrap it "
				  "in CAST(... AS CHAR) or ST_AsText(...)",
				  t->name, col, from->type_full[i]);
		else
			typemap_log_unmapped(t->name, col, from->type[i], from->type_full[i]);
		return false;
	}
	sb_adds(sb, from->not_null[i] ? " NOT NULL,\n" : ",\n");
	return true;
}

/* add_columns: every column definition: those of 'columns', or every source
 * column and then the expr.* columns the source does not have */
static bool add_columns(strbuf *sb, const table_config *t, const catalog_cols *sc,
			const catalog_cols *ec)
{
	if (t->columns) {
		for (int i = 0; i < t->ncolumns; i++)
			if (!add_col(sb, t, t->columns[i], sc, ec))
				return false;
		return true;
	}
	for (int i = 0; i < sc->n; i++)
		if (!add_col(sb, t, sc->name[i], sc, ec))
			return false;
	for (int i = 0; i < t->nexprs; i++)
		if (catalog_find(sc, t->exprs[i].name) < 0 && !add_col(sb, t, t->exprs[i].name, sc, ec))
			return false;
	return true;
}

/* loaded: is col one of the columns the table gets? */
static bool loaded(const table_config *t, const catalog_cols *sc, const char *col)
{
	if (t->columns) {
		for (int i = 0; i < t->ncolumns; i++)
			if (strcasecmp(t->columns[i], col) == 0)
				return true;
		return false;
	}
	return catalog_find(sc, col) >= 0 || config_find_expr(t, col) >= 0;
}

/* check_keys: the key and time columns are loaded, and a partitioned merge
 * target can have its unique key */
static bool check_keys(const table_config *t, const catalog_cols *sc, bool *time_in_key)
{
	*time_in_key = false;
	if (!loaded(t, sc, t->time_column)) {
		log_error("[table %s] time_column '%s' is not one of the table's columns", t->name,
			  t->time_column);
		return false;
	}
	for (int i = 0; i < t->nkey; i++) {
		if (!loaded(t, sc, t->key[i])) {
			log_error("[table %s] key column '%s' is not one of the table's columns", t->name,
				  t->key[i]);
			return false;
		}
		*time_in_key = *time_in_key || strcasecmp(t->key[i], t->time_column) == 0;
	}
	if (t->partitions && t->mode == MODE_MERGE && !*time_in_key) {
		log_error("[table %s] mode = merge with partitions needs the time column in the key "
			  "(key = %s, %s): a partitioned table's unique keys must hold its partition "
			  "column",
			  t->name, t->key[0], t->time_column);
		return false;
	}
	return true;
}

/* add_lower_list: ("a", "b") of the lower-cased names */
static void add_lower_list(strbuf *sb, char *const *names, int n, const char *extra)
{
	sb_addc(sb, '(');
	for (int i = 0; i < n + (extra != NULL); i++) {
		char *l = xstrdup(i < n ? names[i] : extra);
		for (char *p = l; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (i)
			sb_adds(sb, ", ");
		quote_pg_ident(sb, l);
		free(l);
	}
	sb_addc(sb, ')');
}

/* push: appends stmt (taken over) to the list *list of *n statements */
static void push(char ***list, int *n, char *stmt)
{
	*list = xrealloc(*list, sizeof(char *) * (size_t)(*n + 1));
	(*list)[(*n)++] = stmt;
}

int ddl_statements(src_conn *src, const table_config *t, char ***out)
{
	catalog_cols sc = { 0 }, ec = { 0 };
	strbuf sb;
	bool time_in_key;
	const char *dot = strchr(t->target, '.');
	int n = 0;

	*out = NULL;
	if (!catalog_read_source(src, t->source, &sc))
		return -1;
	if (sc.n == 0) {
		log_error("[table %s] source table %s does not exist", t->name, t->source);
		catalog_release(&sc);
		return -1;
	}
	sb_init(&sb, 1024);
	if (!read_expr_types(src, t, &ec) || !check_keys(t, &sc, &time_in_key))
		goto fail;
	if (dot) {
		char *schema = xstrndup(t->target, (size_t)(dot - t->target));
		sb_adds(&sb, "CREATE SCHEMA IF NOT EXISTS ");
		quote_pg_ident(&sb, schema);
		free(schema);
		push(out, &n, sb_detach(&sb));
		sb_init(&sb, 1024);
	}
	sb_adds(&sb, "CREATE TABLE ");
	quote_pg_ident(&sb, t->target);
	sb_adds(&sb, " (\n");
	if (!add_columns(&sb, t, &sc, &ec))
		goto fail;
	sb_adds(&sb, "    PRIMARY KEY ");
	add_lower_list(&sb, t->key, t->nkey, t->partitions && !time_in_key ? t->time_column : NULL);
	sb_adds(&sb, "\n)");
	if (t->partitions) {
		sb_adds(&sb, " PARTITION BY RANGE ");
		add_lower_list(&sb, NULL, 0, t->time_column);
	}
	push(out, &n, sb_detach(&sb));
	if (strcasecmp(t->key[0], t->time_column) != 0) {
		sb_init(&sb, 256);
		sb_adds(&sb, "CREATE INDEX ON ");
		quote_pg_ident(&sb, t->target);
		sb_addc(&sb, ' ');
		add_lower_list(&sb, NULL, 0, t->time_column);
		push(out, &n, sb_detach(&sb));
	}
	catalog_release(&sc);
	catalog_release(&ec);
	return n;
fail:
	sb_release(&sb);
	str_list_free(*out, n);
	*out = NULL;
	catalog_release(&sc);
	catalog_release(&ec);
	return -1;
}

/* create_one: runs t's statements when its target is missing */
static bool create_one(src_conn *src, tgt_conn *tgt, const table_config *t, strbuf *report,
		       bool *config_error)
{
	char **stmts;
	bool exists, ok = true;
	int n;

	if (!catalog_target_exists(tgt, t->target, &exists))
		return false;
	if (exists) {
		sb_addf(report, "table %s: %s exists, left alone\n", t->name, t->target);
		return true;
	}
	n = ddl_statements(src, t, &stmts);
	if (n < 0) {
		*config_error = true;
		return false;
	}
	for (int i = 0; ok && i < n; i++)
		ok = tgt_exec(tgt, stmts[i], 0, NULL, NULL);
	str_list_free(stmts, n);
	if (ok)
		sb_addf(report, "table %s: created %s%s\n", t->name, t->target,
			t->partitions ? " (partitioned by range on its time column)" : "");
	return ok;
}

bool ddl_create_missing(src_conn *src, tgt_conn *tgt, config *cfg, strbuf *report,
			bool *config_error)
{
	bool ok;

	*config_error = false;
	/* one creator at a time: a second init waits, then finds the tables */
	ok = tgt_exec(tgt, "BEGIN", 0, NULL, NULL) &&
	     tgt_exec(tgt, "SELECT pg_advisory_xact_lock(hashtext('etlre:create-tables'))", 0, NULL,
		      NULL);
	for (int i = 0; ok && i < cfg->ntables; i++)
		ok = create_one(src, tgt, &cfg->tables[i], report, config_error);
	if (ok)
		return tgt_exec(tgt, "COMMIT", 0, NULL, NULL);
	tgt_exec_quiet(tgt, "ROLLBACK");
	sb_reset(report);
	return false;
}
