/*
 * rejects.h: the --rejects-file writer: rejected rows as gzip-compressed CSV
 * (RFC 4180 quoting by libcsv, compression by zlib). The file is written as
 * PATH.partial and renamed to PATH when closed, so a reader never sees half a
 * file. Errors are sticky: after a failed write every call is a no-op, and
 * rejects_file_close reports the failure once.
 */
#ifndef ETLRE_REJECTS_H
#define ETLRE_REJECTS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

typedef struct rejects_file rejects_file;

/* The columns of a rejects file, in order (README "etlre process"): the
 * header rejects_file_open writes, and the index of each field of a record. */
enum {
	REJECT_JOB_ID, REJECT_TABLE, REJECT_HOUR, REJECT_KEY, REJECT_COLUMN, REJECT_VALUE,
	REJECT_RULE, REJECT_REASON, REJECT_RAW,
	REJECT_NFIELDS
};

/* rejects_file_open: creates PATH.partial and writes the header line; NULL
 * after logging if it cannot. The caller owns the result. */
rejects_file *rejects_file_open(const char *path);
/* rejects_file_add: one CSV record, fields[REJECT_*] of lens[REJECT_*] bytes */
void rejects_file_add(rejects_file *f, const char *const fields[REJECT_NFIELDS],
		      const size_t lens[REJECT_NFIELDS]);
/* rejects_file_close: flushes, renames into place (keep == true) or removes
 * the partial file; frees f. Returns false, logged, if any write failed. */
bool rejects_file_close(rejects_file *f, bool keep) MUSTCHECK;
/* rejects_file_discard: removes the partial file and frees f */
void rejects_file_discard(rejects_file *f);

#endif
