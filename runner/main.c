/*
 * main.c: etlre's entry point. Everything happens in cli_main; this is the
 * only place that exits.
 */
#include "cli.h"
#include "signals.h"
#include "source_cancel.h"
#include "source_mariadb.h"
#include "target_pg.h"

int main(int argc, char **argv)
{
	int rc;

	/* a signal cancels the statements in progress, so the hour rolls back at
	 * once: the target's with libpq's cancel request, the source's with KILL
	 * QUERY from a thread of source_cancel.c. */
	signals_install(tgt_cancel_running, src_cancel_wake);
	/* --max-runtime's handler cancels nothing itself: that thread does */
	src_cancel_on_max_runtime(tgt_cancel_newest);
	rc = cli_main(argc, argv);
	src_library_end();
	return rc;
}
