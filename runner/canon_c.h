/*
 * canon_c.h: the canonical text of a value (canon.h) computed in C from the
 * value as each database sends it, so that `etlre verify --deep` can stream
 * the raw columns of a range and hash its rows here, where a fast hash is
 * cheap, instead of having both servers build the text in SQL. Pure: no
 * database; unit-tested in tests/unit/test_canon_c.c, and against the SQL
 * text of the real servers in tests/integration/t61-verify-deep.t.
 *
 * The text is byte for byte the one canon.c's SQL builds for the same value
 * and target column, so a differing hour found here is also found by the
 * key-by-key comparison (verify_keys.c), which still uses the SQL text.
 *
 * Input, per side:
 *   source  the text MariaDB's protocol sends for the column's source
 *           expression (verify's my_exprs: typemap_select_expr or expr.COL)
 *   target  the text PostgreSQL sends for canon_c_target_expr's expression
 *           of the column (COPY ... TO STDOUT, unescaped), with
 *           extra_float_digits > 0 and DateStyle ISO (tgt_connect sets them)
 *
 * Not every pairing of source kind and target type is done in C: where the
 * source text is not exactly what the SQL text starts from (an expression
 * loaded into a number or a date, a FLOAT loaded into a numeric, ...),
 * canon_c_plan says no; such a column is CC_SQL: each database computes its
 * field with canon.c's SQL, and that field is hashed as it comes.
 */
#ifndef ETLRE_CANON_C_H
#define ETLRE_CANON_C_H

#include <stdbool.h>
#include <stddef.h>

#include "canon.h"
#include "util.h"
#include "validate.h"

/* how a column's canonical text is made */
typedef enum canon_c_how {
	CC_TEXT = 0,  /* the text itself (text, varchar, json, bit, other types) */
	CC_CHAR,      /* without trailing spaces */
	CC_INT,       /* decimal without leading zeros */
	CC_NUMERIC,   /* at the column's scale, or without trailing zeros */
	CC_FLOAT,     /* shortest round-trip digits as DIGITSeEXP */
	CC_BOOL,      /* t or f */
	CC_DATE,      /* YYYY-MM-DD */
	CC_TIMESTAMP, /* YYYY-MM-DD HH:MM:SS.ffffff, rounded to the column's digits */
	CC_TIME,      /* HH:MM:SS.ffffff, rounded likewise */
	CC_BYTEA,     /* lowercase hex */
	CC_UUID,      /* lowercase hex digits without dashes or braces */
	CC_SET,       /* a SET's members, comma-separated */
	CC_SQL,       /* not made in C: each side sends canon_field's SQL field */
} canon_c_how;

/* what canon_c_field needs to know of a column, from canon_c_plan */
typedef struct canon_c_col {
	canon_c_how how;
	int scale;          /* CC_NUMERIC: digits kept, or -1 to trim zeros */
	int digits;         /* CC_TIMESTAMP, CC_TIME: fractional digits kept */
	int src_frac;       /* CC_TIMESTAMP: fractional digits the source has */
	bool src_float4;    /* CC_FLOAT: the source value is compared as a float32 */
	bool tgt_float4;    /* CC_FLOAT: the target value is read as a float32 */
	bool fixed;         /* CC_DATE, CC_TIMESTAMP target: BC values are "B" */
} canon_c_col;

/*
 * canon_c_plan: fills *out for column c. Returns false, with *why (static
 * text) saying what is missing, when its canonical text is not made in C:
 * *out is then CC_SQL.
 */
bool canon_c_plan(const column_spec *c, canon_c_col *out, const char **why);

/*
 * canon_c_target_expr: appends the PostgreSQL expression whose text
 * canon_c_field reads for column c (quoted name qname): the column itself,
 * or for bytea, text[] and a TIMESTAMP source's timestamptz, the form that
 * the SQL text starts from; for CC_SQL, canon_field's expression.
 */
void canon_c_target_expr(strbuf *sb, const column_spec *c, const canon_c_col *cc,
			 const char *qname);
/* canon_c_source_expr: the same for the source (expr: its expression) */
void canon_c_source_expr(strbuf *sb, const column_spec *c, const canon_c_col *cc,
			 const char *expr);

/*
 * canon_c_field: appends the field (canon.h: N, ?, B or "<bytes>:<text>")
 * of the value v[0..len) (NULL for SQL NULL) as side d sends it.
 */
void canon_c_field(strbuf *sb, canon_dialect d, const canon_c_col *cc, const char *v, size_t len);

#endif
