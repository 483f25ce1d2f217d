/*
 * main.c: etlre's entry point. Everything happens in cli_main; this is the
 * only place that exits.
 */
#include "cli.h"
#include "signals.h"
#include "source_mariadb.h"
#include "target_pg.h"

int main(int argc, char **argv)
{
	int rc;

	/* a signal cancels the statement in progress, so the hour rolls back at once */
	signals_install(tgt_cancel_running);
	rc = cli_main(argc, argv);
	src_library_end();
	return rc;
}
