/*
 * cmd_init.c: `etlre init [--create-tables]`: creates or upgrades etlre's
 * own tables in the target; with --create-tables also the configured target
 * tables that are missing, written from the source's columns (ddl.c, the
 * statements `etlre ddl` prints). Safe to run again.
 */
#include <stdio.h>

#include "cli.h"
#include "ddl.h"
#include "exitcode.h"
#include "ledger.h"
#include "session.h"

/* parse_init: init takes no arguments (its one option is a flag) */
static error_t parse_init(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	if (key != ARGP_KEY_ARG)
		return ARGP_ERR_UNKNOWN;
	argp_error(state, "init takes no arguments");
	return 0;
}

/* create_tables: --create-tables, before etlre's own tables so that a
 * configuration error writes nothing; the exit status, and what was done in
 * report */
static int create_tables(session *s, strbuf *report)
{
	bool config_error;

	if (ddl_create_missing(s->src, s->tgt, &s->cfg, report, &config_error))
		return EXIT_CODE_OK;
	return config_error ? EXIT_CODE_USAGE : session_failure_status(s, EXIT_CODE_FAILED);
}

int cmd_init(int argc, char **argv)
{
	const cli_command cmd = {
		"init", NULL, parse_init,
		"Create or upgrade etlre's own tables (jobs, hours, rejects) in the "
		"target, in the schema named by [etlre] schema. Safe to run again.\v"
		"Creates the schema and the tables if missing, upgrades them in one\n"
		"transaction when this etlre is newer, and does nothing when they are\n"
		"current; concurrent runs are harmless. --create-tables also creates the\n"
		"configured target tables that do not exist, as 'etlre ddl' prints them,\n"
		"in one transaction; existing tables are left alone.\n\n"
		"Exit status: 0 the tables are current, 1 creating or upgrading them\n"
		"failed, 2 usage or configuration error (nothing created), 4 a server\n"
		"cannot be reached.\n\n"
		"Examples:\n"
		"  etlre init\n"
		"  etlre init --create-tables\n"
		"  etlre init --config /etc/etlre/etlre.conf"
	};
	session s;
	strbuf report;
	bool want_tables = false;
	int rc, from = 0;

	const cli_option options[] = {
		{ "create-tables", NULL,
		  "also create the missing target tables (and schemas) from the source's columns, in "
		  "one transaction", 1, CLI_FLAG, &want_tables },
		{ NULL }
	};

	cli_parse_command(&cmd, NULL, options, argc, argv, NULL);
	sb_init(&report, 256);
	rc = session_open(&s, &(session_needs){ .source = want_tables });
	if (rc == 0 && want_tables)
		rc = create_tables(&s, &report);
	if (rc == 0) {
		if (ledger_init(s.tgt, s.cfg.schema, &from)) {
			if (from == LEDGER_VERSION)
				printf("etlre tables in schema %s are up to date (version %d)\n",
				       s.cfg.schema, LEDGER_VERSION);
			else
				printf("etlre tables in schema %s: version %d -> %d\n", s.cfg.schema,
				       from, LEDGER_VERSION);
		} else {
			rc = session_failure_status(&s, EXIT_CODE_FAILED);
		}
	}
	if (report.len)
		fputs(report.buf, stdout);
	fflush(stdout);
	sb_release(&report);
	session_close(&s);
	return rc;
}
