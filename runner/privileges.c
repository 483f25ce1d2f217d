/*
 * privileges.c: the target's grants, checked before a command writes (see
 * privileges.h and README "Security").
 */
#include "privileges.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

typedef struct priv_ctx {
	const char *role;
	const char *what;    /* the object's kind for the message: "table", "schema" ... */
	const char *object;  /* NULL: the object is in the row (ledger tables) */
	const char *schema;  /* the ledger's schema, for rows naming one of its tables */
	int missing;
} priv_ctx;

/* missing_row: one missing privilege; v[0] the privilege, v[1] (optional)
 * the object's name inside ctx->schema, v[2] (optional) its kind */
static bool missing_row(void *vctx, int ncols, char **v)
{
	priv_ctx *c = vctx;
	char *object = ncols > 1 ? xasprintf("%s.%s", c->schema, v[1]) : xstrdup(c->object);
	const char *kind = ncols > 2 ? v[2] : c->what;

	log_error("the target role '%s' lacks %s on %s %s: GRANT %s ON %s%s TO %s "
		  "(README \"Security\")", c->role, v[0], kind, object, v[0],
		  strcmp(kind, "table") == 0 ? "" : strcmp(kind, "database") == 0 ? "DATABASE " :
		  strcmp(kind, "schema") == 0 ? "SCHEMA " : "SEQUENCE ", object, c->role);
	free(object);
	c->missing++;
	return true;
}

/* who_row: the role and the database, as two new strings in ctx */
static bool who_row(void *ctx, int ncols, char **v)
{
	char **who = ctx;

	(void)ncols;
	who[0] = xstrdup(v[0] ? v[0] : "?");
	who[1] = xstrdup(v[1] ? v[1] : "?");
	return true;
}

/* check_schema: USAGE on the schema of name (schema.table, or a schema) */
static bool check_schema(tgt_conn *tgt, priv_ctx *c, const char *schema)
{
	const char *params[] = { schema };

	c->what = "schema";
	c->object = schema;
	return tgt_query(tgt, "SELECT 'USAGE' WHERE NOT has_schema_privilege($1, 'USAGE')", 1,
			 params, missing_row, c);
}

/* check_table: the privileges of list (a text[] literal) on table */
static bool check_table(tgt_conn *tgt, priv_ctx *c, const char *table, const char *list)
{
	const char *params[] = { table, list };
	char *schema = strchr(table, '.') ? xstrndup(table, (size_t)(strchr(table, '.') - table))
					  : xstrdup("public");
	bool ok = check_schema(tgt, c, schema);

	free(schema);
	c->what = "table";
	c->object = table;
	return ok && tgt_query(tgt, "SELECT p FROM unnest($2::text[]) AS p "
				    "WHERE NOT has_table_privilege($1, p) ORDER BY 1",
			       2, params, missing_row, c);
}

/* check_ledger: etlre's schema, its tables (list) and, to write, its sequences */
static bool check_ledger(tgt_conn *tgt, priv_ctx *c, const char *list, bool write)
{
	const char *params[] = { c->schema, list, write ? "t" : "f" };

	return check_schema(tgt, c, c->schema) &&
	       tgt_query(tgt,
			 "SELECT p, k.relname, CASE k.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END"
			 " FROM pg_catalog.pg_class k"
			 " JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace"
			 " CROSS JOIN unnest(CASE k.relkind WHEN 'S' THEN ARRAY['USAGE']"
			 "                   ELSE $2::text[] END) AS p"
			 " WHERE n.nspname = $1 AND (k.relkind IN ('r', 'p') OR (k.relkind = 'S' AND $3))"
			 "   AND NOT CASE k.relkind WHEN 'S' THEN has_sequence_privilege(k.oid, p)"
			 "           ELSE has_table_privilege(k.oid, p) END"
			 " ORDER BY 2, 1",
			 3, params, missing_row, c);
}

bool priv_check_target(tgt_conn *tgt, const char *schema, const table_plan *plans, int nplans,
		       priv_need need, bool ledger)
{
	const char *rw = need == PRIV_WRITE ? "{SELECT,INSERT,UPDATE,DELETE}" : "{SELECT}";
	priv_ctx c = { .schema = schema };
	char *who[2] = { NULL, NULL }; /* role, database */
	bool ok, merge = false;

	if (!tgt_query(tgt, "SELECT current_user, current_database()", 0, NULL, who_row, who) ||
	    !who[0]) {
		free(who[1]);
		return false;
	}
	c.role = who[0];
	ok = !ledger || check_ledger(tgt, &c, rw, need == PRIV_WRITE);
	for (int i = 0; ok && i < nplans; i++) {
		bool is_merge = plans[i].cfg->mode == MODE_MERGE;
		const char *list = need == PRIV_READ ? "{SELECT}"
				   : is_merge	     ? "{SELECT,INSERT,UPDATE,DELETE}"
						     : "{SELECT,INSERT,DELETE}";
		ok = check_table(tgt, &c, plans[i].cfg->target, list);
		merge = merge || is_merge;
	}
	/* a dry run runs the loads' statements too, merge's staging table
	 * included, and rolls them back */
	if (ok && merge && need != PRIV_READ) {
		c.what = "database";
		c.object = who[1];
		ok = tgt_query(tgt, "SELECT 'TEMP' WHERE NOT has_database_privilege(current_database(), 'TEMP')",
			       0, NULL, missing_row, &c);
	}
	free(who[0]);
	free(who[1]);
	return ok && c.missing == 0;
}
