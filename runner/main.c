/*
 * main.c: etlre's entry point. Everything happens in cli_main; this is the
 * only place that exits.
 */
#include "cli.h"
#include "signals.h"
#include "source_cancel.h"
#include "source_mariadb.h"
#include "stoppable.h"

int main(int argc, char **argv)
{
	int rc;

	/* a stop cancels the statements in progress, so the hour rolls back at
	 * once: the target's by the thread waiting on it (target_pg.c), the
	 * source's with KILL QUERY from a thread of source_cancel.c */
	signals_install(src_cancel_wake);
	rc = cli_main(argc, argv);
	/* a connection a stop walked away from may still be in the connector */
	if (!stoppable_abandoned())
		src_library_end();
	return rc;
}
