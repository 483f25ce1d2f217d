/*
 * version.c: what 'etlre --version' prints: etlre's own version and the
 * versions of the libraries it runs with, as the linked libraries report
 * them at run time (libpq, MariaDB Connector/C, zlib) or, for libcsv, which
 * has no run-time call, as its header said at build time. A bug report with
 * this output says exactly what ran. The client libraries' own headers stay
 * in target_pg.c and source_mariadb.c; argp calls the hook for --version.
 */
#include <argp.h>
#include <csv.h>
#include <gnu/libc-version.h>
#include <stdio.h>
#include <zlib.h>

#include "source_mariadb.h"
#include "target_pg.h"
#include "version.h"

/*
 * version_print: writes etlre's version and one line per library to stream.
 * argp_program_version_hook points here, so '--version' (before or after the
 * command) prints this and exits 0.
 */
static void version_print(FILE *stream, struct argp_state *state)
{
	int pq = tgt_library_version();

	(void)state;
	fprintf(stream, "etlre %s\n", ETLRE_VERSION);
	/* PQlibVersion: major * 10000 + minor since PostgreSQL 10 */
	fprintf(stream, "libpq %d.%d\n", pq / 10000, pq % 10000);
	fprintf(stream, "MariaDB Connector/C %s\n", src_library_version());
	fprintf(stream, "zlib %s\n", zlibVersion());
#if defined(CSV_MAJOR) && defined(CSV_MINOR) && defined(CSV_RELEASE)
	fprintf(stream, "libcsv %d.%d.%d\n", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
#endif
	fprintf(stream, "glibc %s\n", gnu_get_libc_version());
}

void (*argp_program_version_hook)(FILE *stream, struct argp_state *state) = version_print;
