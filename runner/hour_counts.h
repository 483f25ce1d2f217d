/*
 * hour_counts.h: the rows of one hour's load, as etlre's ledger records them
 * (ledger.h) and the summaries show them (summary.h).
 */
#ifndef ETLRE_HOUR_COUNTS_H
#define ETLRE_HOUR_COUNTS_H

#include <stdint.h>

typedef struct hour_counts {
	int64_t read, loaded, rejected, deleted;
	int64_t moved; /* rows that moved in from another hour (replace mode, load_moved.h) */
} hour_counts;

#endif
