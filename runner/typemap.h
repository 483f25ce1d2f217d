/*
 * typemap.h: which MariaDB column may load into which PostgreSQL column, and
 * how its values are turned into what the target column expects. Pure: no
 * database; unit-tested in tests/unit/test_typemap.c. The README's "Types"
 * section is the table this file implements.
 *
 * Three moments:
 *   - plan time: typemap_check classifies the source column (column_spec.src)
 *     and refuses a pairing that cannot hold (a text column into an integer,
 *     a datetime into a boolean);
 *   - the SELECT: typemap_select_expr reads some types in a form that keeps
 *     them exact (FLOAT as DOUBLE, BIT as a number or as binary digits);
 *   - each value: typemap_convert before validation (zero dates to NULL,
 *     FLOAT to its shortest text, TIMESTAMP from UTC to the wall clock), and
 *     typemap_copy_value when the row is encoded for COPY.
 */
#ifndef ETLRE_TYPEMAP_H
#define ETLRE_TYPEMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"
#include "validate.h"

/* TYPEMAP_SCRATCH: bytes of column_spec.scratch that typemap_convert needs */
#define TYPEMAP_SCRATCH 64

/* typemap_source_kind: the family of an information_schema DATA_TYPE:
 * SK_UNKNOWN for NULL (an expression), SK_OTHER for a type etlre does not know */
source_kind typemap_source_kind(const char *data_type);

/*
 * typemap_target_type: appends to out the PostgreSQL type that holds a source
 * column most faithfully (the README's "Types" table, what `etlre ddl`
 * writes), from its information_schema DATA_TYPE and COLUMN_TYPE
 * (bigint unsigned -> numeric(20,0), tinyint(1) -> boolean, datetime(6) ->
 * timestamp(6), timestamp -> timestamptz(0), json -> jsonb, ...). Returns
 * false, appending nothing, for a type etlre has no mapping for (spatial
 * types and other SK_OTHER ones).
 */
bool typemap_target_type(strbuf *out, const char *data_type, const char *column_type);

/* typemap_unmapped_expr: a MariaDB expression (a printf format taking the
 * quoted column once) that reads a column of an unmapped type as text, for
 * the error's expr.COLUMN suggestion: ST_AsText(%s) for spatial types */
const char *typemap_unmapped_expr(const char *data_type);

/* typemap_log_unmapped: logs the configuration error for a source column of
 * a type etlre has no mapping for, naming the table, the column and the type,
 * and the expr.COLUMN that would load it */
void typemap_log_unmapped(const char *table, const char *column, const char *data_type,
			  const char *column_type);

/*
 * typemap_check: sets c->src, c->src_bits and c->src_frac from the source column's
 * information_schema DATA_TYPE and COLUMN_TYPE (both NULL for an expression:
 * SK_UNKNOWN, anything goes) and c->zero_dates_null from the table's setting.
 * Returns false when the target column cannot hold the source type; the
 * caller reports it.
 */
bool typemap_check(column_spec *c, const char *data_type, const char *column_type,
		   bool zero_dates_reject);

/* typemap_select_expr: appends the SELECT expression that reads source column
 * ident (already quoted) for target column c */
void typemap_select_expr(strbuf *sb, const column_spec *c, const char *ident);
/* typemap_load_expr: the same for the load's SELECT, whose values then go
 * through typemap_convert: a date is read as it is (typemap_convert makes a
 * zero date NULL for a few byte compares, where MariaDB's IF(YEAR(d) = 0 ...)
 * cost it about a sixth of its CPU on the bench's rows) */
void typemap_load_expr(strbuf *sb, const column_spec *c, const char *ident);

/*
 * typemap_convert: turns the value *v (*len bytes, NULL for SQL NULL) read
 * from the source into the value for c: NULL for a zero date when that is
 * allowed, the shortest text of a FLOAT, the wall-clock time of a TIMESTAMP.
 * The result may point into c->scratch (valid until the next call for c).
 * Values it cannot convert are left as they are, for validate_value to refuse.
 */
void typemap_convert(const column_spec *c, char **v, unsigned long *len);

/* typemap_copy_value: appends v (NULL for SQL NULL) to a COPY text row as
 * column c wants it: bytea in hex, a TIMESTAMP as a UTC instant, a SET as
 * a text array, other values escaped as text */
void typemap_copy_value(strbuf *sb, const column_spec *c, const char *v, size_t len);

/* float_shortest: the shortest decimal text that reads back as the float
 * nearest to the double in s[0..len); false when s is not a number */
bool float_shortest(const char *s, size_t len, char *out, size_t out_size);

#endif
