/*
 * cmd_ddl.c: `etlre ddl [--table NAME]...`: prints the CREATE TABLE (and
 * CREATE SCHEMA, CREATE INDEX) statements of the configured tables' targets,
 * written from the source's columns by ddl.c, as SQL psql runs as it is.
 * Reads the source's catalog only; writes nothing anywhere.
 */
#include <stdio.h>

#include "cli.h"
#include "ddl.h"
#include "exitcode.h"
#include "range_args.h"
#include "session.h"

enum { OPT_TABLE = 5000 };

static const struct argp_option ddl_options[] = {
	{ "table", OPT_TABLE, "NAME", 0, "only this [table NAME] (repeatable)", 1 },
	{ 0 }
};

static error_t parse_ddl(int key, char *arg, struct argp_state *state)
{
	range_args *r = state->input;

	switch (key) {
	case OPT_TABLE: range_args_add_table(r, arg); break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* print_table: the statements of table t on stdout; false after logging */
static bool print_table(session *s, const table_config *t)
{
	char **stmts;
	int n = ddl_statements(s->src, t, &stmts);

	if (n < 0)
		return false;
	printf("-- [table %s]: %s -> %s\n", t->name, t->source, t->target);
	for (int i = 0; i < n; i++)
		printf("%s;\n", stmts[i]);
	printf("\n");
	str_list_free(stmts, n);
	return true;
}

int cmd_ddl(int argc, char **argv)
{
	const cli_command cmd = {
		"ddl", ddl_options, parse_ddl,
		"Print the CREATE TABLE statements of the configured tables' targets, written "
		"from the source's columns; writes nothing.\v"
		"Each column gets the most faithful PostgreSQL type (README, Types), NOT NULL\n"
		"as in the source; expr.* columns are typed from the expression's result; the\n"
		"key is the primary key and the time column is indexed. With partitions =\n"
		"daily|monthly the table is partitioned by range on the time column.\n"
		"'etlre init --create-tables' runs these statements for the missing tables.\n\n"
		"Exit status: 0 printed, 2 usage or configuration error (a source column of a\n"
		"type etlre cannot map is named, with the expr.COLUMN that loads it), 4 a\n"
		"server cannot be reached.\n\n"
		"Examples:\n"
		"  etlre ddl\n"
		"  etlre ddl --table calls | psql \"$ETLRE_TARGET_URL\""
	};
	range_args r = { 0 };
	session s;
	int rc;

	cli_parse_command(&cmd, NULL, NULL, argc, argv, &r);
	rc = session_open(&s, &(session_needs){ .source = true });
	if (rc == 0 && !range_args_check_tables(&r, &s.cfg))
		rc = EXIT_CODE_USAGE;
	for (int i = 0; rc == 0 && i < s.cfg.ntables; i++)
		if (range_args_wanted(&r, s.cfg.tables[i].name) && !print_table(&s, &s.cfg.tables[i]))
			rc = EXIT_CODE_USAGE;
	fflush(stdout);
	range_args_release(&r);
	session_close(&s);
	return rc;
}
