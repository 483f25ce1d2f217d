/*
 * canon.h: the canonical text of a row, as SQL that each database evaluates
 * itself, so that `etlre verify --deep` can compare the content of an hour on
 * both sides without moving its rows. Pure: these functions only build SQL
 * text; unit-tested in tests/unit/test_canon.c.
 *
 * A value's canonical text depends on its TARGET column type (column_spec):
 * it is the text the target value prints as, in one fixed form, and the
 * MariaDB expression computes the same text from the source value that
 * etlre would load into that column:
 *
 *   integers     decimal, no sign for positives, no leading zeros
 *   numeric(p,s) fixed at the column's scale s (0.0190); unconstrained
 *                numeric without trailing fractional zeros (MariaDB side
 *                through DECIMAL(65,30))
 *   float4/8     the shortest round-trip digits as DIGITSeEXP (0.00015 ->
 *                15e-5, 1e+20 -> 1e20, 0 -> 0); float4 compares the float32
 *                value the target holds
 *   boolean      t or f
 *   date         YYYY-MM-DD
 *   timestamp[tz] YYYY-MM-DD HH:MM:SS.ffffff, rounded to the column's
 *                precision as PostgreSQL rounds input; timestamptz in the
 *                session zone (both sessions use [etlre] timezone)
 *   time         HH:MM:SS.ffffff, rounded likewise
 *   char(n)      without trailing spaces
 *   bytea        lowercase hex
 *   uuid         lowercase
 *   text, json, others  the text itself (UTF-8 bytes)
 *   jsonb        not comparable (PostgreSQL normalises it): canon_comparable
 *                is false and the column is left out
 *
 * A field is the value's canonical text in a form that cannot be confused
 * with another field: "N" for NULL, "?" for a non-NULL value that has no
 * canonical text (cannot happen for a row the target accepted), "B" for a
 * PostgreSQL date or timestamp before year 1 (which MariaDB cannot hold), otherwise
 * "<byte length>:<text>". A row is the concatenation of its fields; its
 * checksum is the md5 of that byte string, and an hour's checksum the SUM of
 * the first 60 bits of each row's md5 (an exact DECIMAL/numeric on both
 * sides, so sums of different row sets do not cancel out by overflow).
 *
 * The PostgreSQL expressions assume a UTF8 database and extra_float_digits
 * > 0 (tgt_connect sets 3); the MariaDB ones a utf8mb4 connection.
 */
#ifndef ETLRE_CANON_H
#define ETLRE_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"
#include "validate.h"

typedef enum canon_dialect { CANON_MARIADB = 0, CANON_POSTGRES } canon_dialect;

/* canon_comparable: false for a column --deep cannot compare (jsonb) */
bool canon_comparable(const column_spec *c);
/* canon_time_precision: the fractional-second digits (0..6) a timestamp,
 * timestamptz or time column keeps, from its type_name; 6 when unspecified */
int canon_time_precision(const column_spec *c);

/*
 * canon_value: appends an expression of dialect d giving the canonical text
 * of expr (an SQL expression: a quoted column, or "(expression)") for target
 * column c. NULL when expr is NULL.
 */
void canon_value(strbuf *sb, canon_dialect d, const column_spec *c, const char *expr);
/* canon_field: appends an expression giving the field of expr: N, ? or
 * "<bytes>:<text>"; never NULL */
void canon_field(strbuf *sb, canon_dialect d, const column_spec *c, const char *expr);
/*
 * canon_concat: appends an expression giving the concatenated fields of the
 * columns idx[0..n) of cols, whose SQL expressions are exprs[idx[i]]. In
 * MariaDB the result is a binary string (no collation).
 */
void canon_concat(strbuf *sb, canon_dialect d, const column_spec *cols, char *const *exprs,
		  const int *idx, int n);
/* canon_row_md5: appends md5 (32 lowercase hex digits) of canon_concat */
void canon_row_md5(strbuf *sb, canon_dialect d, const column_spec *cols, char *const *exprs,
		   const int *idx, int n);
/* canon_row_slice: appends the first 60 bits of canon_row_md5 as an
 * unsigned integer, to be summed with SUM() */
void canon_row_slice(strbuf *sb, canon_dialect d, const column_spec *cols, char *const *exprs,
		     const int *idx, int n);
/* canon_concat_hex: appends lowercase hex of canon_concat's bytes */
void canon_concat_hex(strbuf *sb, canon_dialect d, const column_spec *cols, char *const *exprs,
		      const int *idx, int n);

/* ---- the same encoding in C ---- */

/* canon_encode_field: appends the field of value v[0..len) (NULL: "N") */
void canon_encode_field(strbuf *sb, const char *v, size_t len);
/*
 * canon_field_text: the value inside field f[0..n): returns 1 and sets
 * *v, *len for "<len>:<text>", 0 for N (NULL), -1 for ? or anything
 * malformed.
 */
int canon_field_text(const char *f, size_t n, const char **v, size_t *len);
/*
 * canon_split_fields: splits s[0..n), n fields concatenated, into fields[i],
 * lens[i] (pointing into s). Returns false when s is not exactly n fields.
 */
bool canon_split_fields(const char *s, size_t n, int nfields, const char **fields, size_t *lens);
/* canon_add_hex: appends lowercase hex of s[0..n) */
void canon_add_hex(strbuf *sb, const char *s, size_t n);
/*
 * canon_format_key: appends "name=value" for each of the n key fields
 * (fields[i], lens[i]), separated by ", ": the value is the field's text,
 * NULL for N, ? when it has none. Control characters are shown as \xNN.
 */
void canon_format_key(strbuf *sb, const char *const *names, const char *const *fields,
		      const size_t *lens, int n);

#endif
