/*
 * catalog.c: reading a table's columns from the source's information_schema
 * and the target's pg_catalog (see catalog.h).
 */
#include "catalog.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sqlquote.h"

void catalog_add(catalog_cols *c, const char *name, const char *type, const char *full, int typmod,
		 bool not_null, bool generated)
{
	size_t n = (size_t)c->n + 1;

	c->name = xrealloc(c->name, sizeof(char *) * n);
	c->type = xrealloc(c->type, sizeof(char *) * n);
	c->type_full = xrealloc(c->type_full, sizeof(char *) * n);
	c->typmod = xrealloc(c->typmod, sizeof(int) * n);
	c->not_null = xrealloc(c->not_null, sizeof(bool) * n);
	c->generated = xrealloc(c->generated, sizeof(bool) * n);
	c->name[c->n] = xstrdup(name);
	c->type[c->n] = xstrdup(type);
	c->type_full[c->n] = xstrdup(full);
	c->typmod[c->n] = typmod;
	c->not_null[c->n] = not_null;
	c->generated[c->n] = generated;
	c->n++;
}

void catalog_release(catalog_cols *c)
{
	for (int i = 0; i < c->n; i++) {
		free(c->name[i]);
		free(c->type[i]);
		free(c->type_full[i]);
	}
	free(c->name);
	free(c->type);
	free(c->type_full);
	free(c->typmod);
	free(c->not_null);
	free(c->generated);
	memset(c, 0, sizeof(*c));
}

int catalog_find(const catalog_cols *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (strcasecmp(c->name[i], name) == 0)
			return i;
	return -1;
}

static bool target_col_row(void *ctx, int ncols, char **v)
{
	(void)ncols;
	catalog_add(ctx, v[0], v[1], v[4], atoi(v[2]), v[3][0] == 't', v[5][0] == 't');
	return true;
}

bool catalog_target_exists(tgt_conn *tgt, const char *target, bool *exists)
{
	strbuf q;
	int64_t n = 0;
	bool ok;

	sb_init(&q, 128);
	quote_pg_ident(&q, target);
	const char *params[] = { q.buf };
	ok = tgt_query_int64(tgt, "SELECT (to_regclass($1) IS NOT NULL)::int", 1, params, &n);
	sb_release(&q);
	*exists = n > 0;
	return ok;
}

bool catalog_read_target(tgt_conn *tgt, const char *target, catalog_cols *out)
{
	strbuf q;
	bool exists, ok;

	if (!catalog_target_exists(tgt, target, &exists))
		return false;
	if (!exists)
		return true; /* no columns: the caller reports the missing table */
	sb_init(&q, 128);
	quote_pg_ident(&q, target);
	const char *params[] = { q.buf };
	ok = tgt_query(tgt,
		       "SELECT a.attname, coalesce(bt.typname, t.typname), a.atttypmod,"
		       "  a.attnotnull OR coalesce(t.typnotnull, false),"
		       "  format_type(a.atttypid, a.atttypmod), a.attgenerated <> ''"
		       " FROM pg_catalog.pg_attribute a"
		       " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
		       " LEFT JOIN pg_catalog.pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype"
		       " WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
		       " ORDER BY a.attnum",
		       1, params, target_col_row, out);
	sb_release(&q);
	return ok;
}

/* add_source_table_match: "TABLE_SCHEMA = ... AND TABLE_NAME = ..." for the
 * configured source ("table" in the connection's database, or "db.table"),
 * each name prefixed by alias */
static void add_source_table_match(strbuf *q, const char *alias, const char *source)
{
	const char *dot = strchr(source, '.');

	sb_addf(q, "%sTABLE_SCHEMA = ", alias);
	if (dot) {
		char *db = xstrndup(source, (size_t)(dot - source));
		quote_my_literal(q, db);
		free(db);
		sb_addf(q, " AND %sTABLE_NAME = ", alias);
		quote_my_literal(q, dot + 1);
	} else {
		sb_addf(q, "DATABASE() AND %sTABLE_NAME = ", alias);
		quote_my_literal(q, source);
	}
}

static bool source_col_row(void *ctx, unsigned int ncols, char **row, unsigned long *lengths)
{
	bool json = ncols > 4 && row[4] && strcmp(row[4], "1") == 0;

	(void)lengths;
	catalog_add(ctx, row[0], json ? "json" : row[1], json ? "json" : row[2], -1,
		    row[3] && strcmp(row[3], "NO") == 0, false);
	return true;
}

/* source_catalog_query: runs "select WHERE <the source's table> ORDER BY
 * order", the table's columns named with alias, handing the rows to fn */
static bool source_catalog_query(src_conn *src, const char *source, const char *select,
				 const char *alias, const char *order, src_row_fn fn,
				 catalog_cols *out)
{
	strbuf q;
	bool ok;

	sb_init(&q, 512);
	sb_adds(&q, select);
	sb_adds(&q, " WHERE ");
	add_source_table_match(&q, alias, source);
	sb_addf(&q, " ORDER BY %s", order);
	ok = src_query(src, q.buf, fn, out);
	sb_release(&q);
	return ok;
}

bool catalog_read_source(src_conn *src, const char *source, catalog_cols *out)
{
	/* MariaDB's JSON is a LONGTEXT with the column check json_valid(`col`) */
	return source_catalog_query(
		src, source,
		"SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.IS_NULLABLE,"
		" c.DATA_TYPE = 'longtext' AND EXISTS (SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k"
		"  WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME"
		"  AND k.CHECK_CLAUSE = CONCAT('json_valid(`', c.COLUMN_NAME, '`)'))"
		" FROM information_schema.COLUMNS c",
		"c.", "c.ORDINAL_POSITION", source_col_row, out);
}

static bool pk_col_row(void *ctx, unsigned int ncols, char **row, unsigned long *lengths)
{
	(void)lengths;
	if (ncols >= 1 && row[0])
		catalog_add(ctx, row[0], "", "", -1, true, false);
	return true;
}

bool catalog_read_source_pk(src_conn *src, const char *source, catalog_cols *out)
{
	return source_catalog_query(src, source,
				    "SELECT s.COLUMN_NAME FROM information_schema.STATISTICS s"
				    " JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.TABLE_SCHEMA"
				    " AND t.TABLE_NAME = s.TABLE_NAME"
				    " AND s.INDEX_NAME = 'PRIMARY' AND t.ENGINE = 'InnoDB'",
				    "s.", "s.SEQ_IN_INDEX", pk_col_row, out);
}
