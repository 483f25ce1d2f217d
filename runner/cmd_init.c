/*
 * cmd_init.c: `etlre init`: creates or upgrades etlre's own tables in the
 * target. Safe to run again.
 */
#include <stdio.h>

#include "cli.h"
#include "exitcode.h"
#include "ledger.h"
#include "session.h"

static error_t parse_init(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	(void)state;
	if (key == ARGP_KEY_ARG)
		argp_error(state, "init takes no arguments");
	return ARGP_ERR_UNKNOWN;
}

int cmd_init(int argc, char **argv)
{
	struct argp argp = { NULL, parse_init, NULL,
			     "Create or upgrade etlre's own tables (jobs, hours, rejects) in the "
			     "target, in the schema named by [etlre] schema. Safe to run again.\v"
			     "Creates the schema and the tables if missing, upgrades them in one\n"
			     "transaction when this etlre is newer, and does nothing when they are\n"
			     "current; concurrent runs are harmless.\n\n"
			     "Exit status: 0 the tables are current, 1 creating or upgrading them\n"
			     "failed, 2 usage or configuration error, 4 the target cannot be reached.\n\n"
			     "Examples:\n"
			     "  etlre init\n"
			     "  etlre init --config /etc/etlre/etlre.conf",
			     global_argp_children, NULL, NULL };
	session s;
	int rc, from = 0;

	cli_parse_command(&argp, argc, argv, "init", NULL);
	rc = session_open(&s, &(session_needs){ 0 });
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
	session_close(&s);
	return rc;
}
