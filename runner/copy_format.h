/*
 * copy_format.h: which COPY format a table's rows are sent in, and the
 * encoding of a row in it (README, "Types": COPY binary).
 *
 * A table is sent as COPY binary when every loaded column has a binary
 * encoder (encode_binary.h): its PostgreSQL type is one etlre encodes (not a
 * domain, an enum, an array...) and its values need no conversion that only
 * PostgreSQL's text input does (a naive time into timestamptz outside UTC).
 * Otherwise the table keeps COPY text, and the debug log names the column.
 *
 * A binary batch keeps each row's values too (the text the row was encoded
 * from), so that a batch the target refuses is sent again as COPY text and
 * bisected exactly as a text batch: the rows refused and their rejects are
 * the same whichever format the batch was first sent in.
 */
#ifndef ETLRE_COPY_FORMAT_H
#define ETLRE_COPY_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "encode_binary.h"
#include "util.h"
#include "validate.h"

typedef struct copy_format {
	const column_spec *cols; /* not owned */
	int ncols;
	bin_kind *kinds;   /* per column; NULL: the table is sent as text */
	char *binary_sql;  /* the COPY ... (FORMAT binary) statement; NULL with kinds */
} copy_format;

/* copy_bin_kind: the binary encoder of column c, or BK_NONE with *why set to
 * the reason it is sent as text (a static string) */
bin_kind copy_bin_kind(const column_spec *c, const char **why);

/* copy_format_init: chooses the format of a table's rows (cols[0..ncols),
 * not owned, COPY statement copy_sql) and logs it at debug for table/hour;
 * release with copy_format_release */
void copy_format_init(copy_format *f, const column_spec *cols, int ncols, const char *copy_sql,
		      const char *table, const char *hour_iso);
void copy_format_release(copy_format *f);

/* copy_text_row: appends the row's values as one COPY text line */
void copy_text_row(strbuf *data, const copy_format *f, char *const *vals,
		   const unsigned long *lens);

/*
 * copy_binary_row: appends the row to data in binary and its values to keep
 * (a 32-bit length, -1 for NULL, then the bytes, per column). Returns false,
 * both buffers as they were, when a value has no binary form: the caller
 * ends the binary batch there and sends the rest as text.
 */
bool copy_binary_row(strbuf *data, strbuf *keep, const copy_format *f, char *const *vals,
		     const unsigned long *lens);

/* copy_kept_to_text: re-encodes nrows rows of values kept by copy_binary_row
 * as COPY text into data (reset first); row_end[i] gets the end of row i */
void copy_kept_to_text(strbuf *data, size_t *row_end, const copy_format *f, const strbuf *keep,
		       int nrows);

/*
 * copy_buffer_take / copy_buffer_give: a window's batch buffers (its COPY
 * data and kept values). A buffer given back is kept for the thread's next
 * window (of any thread), whose batches then grow no buffer again: without
 * it every hour reallocated and copied its two growing buffers and faulted
 * their pages in anew. take returns an empty buffer (a kept one, or new with
 * room for hint bytes); give takes the buffer over (kept or freed) and
 * leaves *sb empty. copy_buffers_free frees the kept ones (at exit).
 */
void copy_buffer_take(strbuf *sb, size_t hint);
void copy_buffer_give(strbuf *sb);
void copy_buffers_free(void);

#endif
