/*
 * validate.h: does a source value fit its target column? Pure: unit-tested in
 * tests/unit/test_validate.c.
 *
 * Values arrive as MariaDB's text-protocol strings (or NULL). A column_spec
 * describes the target column as PostgreSQL's catalog does; validate_value
 * checks NOT NULL, UTF-8, length, integer range, numeric precision and scale,
 * float, boolean, date, timestamp and time syntax, so that a row that would
 * fail or be silently altered by COPY is caught before it is sent.
 */
#ifndef ETLRE_VALIDATE_H
#define ETLRE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum value_type {
	VT_OTHER = 0, /* passed through; the target decides */
	VT_TEXT,
	VT_VARCHAR,
	VT_CHAR,
	VT_BOOL,
	VT_INT2,
	VT_INT4,
	VT_INT8,
	VT_NUMERIC,
	VT_FLOAT4,
	VT_FLOAT8,
	VT_DATE,
	VT_TIMESTAMP,
	VT_TIMESTAMPTZ,
	VT_TIME,
	VT_BYTEA,
	VT_JSON,
	VT_BIT,        /* bit(n), varbit(n): a string of 0 and 1 */
	VT_TEXT_ARRAY, /* text[], varchar[] (a SET's members) */
} value_type;

/* source_kind: the family of the MariaDB source column (information_schema
 * DATA_TYPE), set by typemap_check; SK_UNKNOWN for expressions */
typedef enum source_kind {
	SK_UNKNOWN = 0,
	SK_INT,
	SK_DECIMAL,
	SK_FLOAT,    /* FLOAT: read as CAST(x AS DOUBLE), which is exact */
	SK_DOUBLE,
	SK_BIT,      /* read as a number, or as n binary digits */
	SK_DATE,
	SK_DATETIME, /* naive, in the [etlre] timezone */
	SK_TIMESTAMP, /* an instant, read in UTC */
	SK_TIME,
	SK_YEAR,
	SK_TEXT,     /* char, varchar, *text, enum, json */
	SK_SET,
	SK_BINARY,   /* binary, varbinary, *blob */
	SK_OTHER,    /* geometry and the like: the target decides */
} source_kind;

typedef struct column_spec {
	char *name;       /* target column name (owned by whoever fills it) */
	char *type_name;  /* as format_type() prints it, e.g. character varying(20) */
	value_type type;
	int length;       /* varchar(n)/char(n) limit in characters, -1 for none */
	int precision;    /* numeric(p,s), -1 when unconstrained */
	int scale;
	bool not_null;
	source_kind src;  /* what the source column is (typemap_check) */
	int src_bits;     /* bit(n): n */
	int src_frac;     /* datetime(n), timestamp(n): n fractional digits (0 for
			   * date); 6 for other kinds (unknown) */
	bool zero_dates_null; /* zero dates become NULL (zero_dates = null) */
	char *scratch;    /* TYPEMAP_SCRATCH bytes for typemap_convert's result
			   * (owned by whoever owns the spec; NULL: no conversion) */
} column_spec;

/* value_type_from_pg: maps a pg_type.typname (int4, varchar, ...) */
value_type value_type_from_pg(const char *typname);
/* column_spec_set_type: fills type, length, precision, scale from typname
 * and atttypmod (as pg_attribute stores it). */
void column_spec_set_type(column_spec *c, const char *typname, int typmod);

/*
 * validate_value: checks value v (len bytes; v == NULL for SQL NULL) against
 * column c. Returns true when it fits. Otherwise returns false and writes the
 * broken rule (e.g. "not null", "varchar(20)", "utf8", "integer range") into
 * rule, and a one-line explanation into reason.
 */
bool validate_value(const column_spec *c, const char *v, size_t len, char *rule,
		    size_t rule_size, char *reason, size_t reason_size);

/* source_is_date: DATE, DATETIME or TIMESTAMP (the kinds with zero dates) */
bool source_is_date(source_kind k);
/* zero_date: is v a zero date or has a zero month or day ('0000-00-00',
 * '2024-00-15', '2024-05-00 10:00:00')? */
bool zero_date(const char *v, size_t len);

/* timestamp_valid: YYYY-MM-DD[ HH:MM:SS[.ffffff]] with a real date */
bool timestamp_valid(const char *v, size_t len, bool date_only);

#endif
