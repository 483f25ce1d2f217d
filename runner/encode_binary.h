/*
 * encode_binary.h: PostgreSQL COPY binary-format encoding of values given as
 * text (what MariaDB's text protocol sends, after typemap_convert and
 * validate_value). Pure functions, no database: unit-tested against known
 * byte strings in tests/unit/test_encode_binary.c.
 *
 * The format (PostgreSQL's COPY reference, "Binary Format"): a header (the
 * 11-byte signature, a 32-bit flags word, a 32-bit header extension length),
 * per row a 16-bit field count and per field a 32-bit length (-1 for NULL)
 * followed by the type's send representation, all big-endian, and a 16-bit
 * -1 as trailer. PostgreSQL applies the column's typmod to what it receives
 * (numeric(p,s), varchar(n), timestamp(n)...), as it does for text.
 */
#ifndef ETLRE_ENCODE_BINARY_H
#define ETLRE_ENCODE_BINARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* bin_kind: how a column's values are sent in binary; BK_NONE: not at all
 * (the table's COPY stays text) */
typedef enum bin_kind {
	BK_NONE = 0,
	BK_INT2,
	BK_INT4,
	BK_INT8,
	BK_FLOAT4,
	BK_FLOAT8,
	BK_BOOL,
	BK_RAW,       /* text, varchar, char, json, bytea: the bytes as they are */
	BK_JSONB,     /* version byte 1, then the text */
	BK_NUMERIC,
	BK_DATE,
	BK_TIMESTAMP, /* timestamp, and timestamptz of a value in UTC */
	BK_TIME,
	BK_BIT,       /* bit(n), varbit(n) from a string of 0 and 1 */
	BK_SET_TEXT_ARRAY,    /* a SET 'a,b' as text[] */
	BK_SET_VARCHAR_ARRAY, /* ... as varchar[] */
} bin_kind;

/* bin_add_header: appends the COPY binary header */
void bin_add_header(strbuf *sb);
/* bin_add_trailer: appends the trailer (a field count of -1) */
void bin_add_trailer(strbuf *sb);
/* bin_add_int16 / bin_add_int32: appends x big-endian (field counts, lengths) */
void bin_add_int16(strbuf *sb, int16_t x);
void bin_add_int32(strbuf *sb, int32_t x);

/*
 * bin_add_value: appends one field (its length and its bytes; -1 for v NULL)
 * for a value of kind k given as text v[0..len). Returns false, leaving sb's
 * length as it was, when the text is not one the kind reads (which
 * validate_value lets through for none of them) or is outside what the
 * format holds; the caller then sends the row as text.
 */
bool bin_add_value(strbuf *sb, bin_kind k, const char *v, size_t len);

/* bin_value_bound: at most how many bytes bin_put_value writes for v */
size_t bin_value_bound(bin_kind k, const char *v, size_t len);
/* bin_put_value: bin_add_value into out, which has room for
 * bin_value_bound(k, v, len) bytes; returns the bytes written, 0 when the
 * text has no binary form (out then holds nothing meaningful) */
size_t bin_put_value(char *out, bin_kind k, const char *v, size_t len);

#endif
