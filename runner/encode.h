/*
 * encode.h: PostgreSQL COPY text-format encoding and UTF-8 helpers. Pure
 * functions, no database: unit-tested directly (tests/unit/test_encode.c).
 *
 * A COPY text row is the fields separated by TAB and ended by LF; NULL is \N;
 * backslash, TAB, LF and CR inside a value are written as \\, \t, \n, \r.
 * bytea values are written in PostgreSQL's hex form (\\x0a1b...).
 */
#ifndef ETLRE_ENCODE_H
#define ETLRE_ENCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/*
 * utf8_sequence_length: length of the well-formed UTF-8 sequence at s (at
 * most n bytes available), or 0 if it is malformed (overlong forms,
 * surrogates and code points above U+10FFFF are malformed).
 */
size_t utf8_sequence_length(const char *s, size_t n);
/* utf8_valid: true when s[0..n) is well-formed UTF-8 without NUL bytes;
 * otherwise *bad_offset is the offset of the first offending byte. */
bool utf8_valid(const char *s, size_t n, size_t *bad_offset);
/* utf8_char_count: number of code points in valid UTF-8 s[0..n) */
size_t utf8_char_count(const char *s, size_t n);

/* copy_add_text: appends value s[0..n) escaped for COPY text format */
void copy_add_text(strbuf *sb, const char *s, size_t n);
/* copy_add_bytea: appends raw bytes as a COPY text bytea value (hex form) */
void copy_add_bytea(strbuf *sb, const char *s, size_t n);
/* copy_add_null: appends \N */
void copy_add_null(strbuf *sb);

/* copy_decode_field: decodes one escaped COPY text field in place;
 * returns its new length. Used to recover raw values of a refused row. */
size_t copy_decode_field(char *s, size_t n);
/* copy_decode_row: splits one COPY text line (NUL-terminated, without its
 * newline) into ncols values, decoded in place: vals[i] points into line,
 * NULL for \N, lens[i] is its length; fields past the line's end are NULL,
 * fields past ncols are ignored */
void copy_decode_row(char *line, int ncols, char **vals, unsigned long *lens);

#endif
