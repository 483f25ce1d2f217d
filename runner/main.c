/*
 * main.c: etlre's entry point. Everything happens in cli_main; this is the
 * only place that exits.
 */
#include "cli.h"
#include "signals.h"
#include "source_mariadb.h"

int main(int argc, char **argv)
{
	int rc;

	signals_install();
	rc = cli_main(argc, argv);
	src_library_end();
	return rc;
}
