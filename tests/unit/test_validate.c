/*
 * test_validate.c: unit tests of validate.c: mapping PostgreSQL column types
 * (typname + atttypmod) to column specs, and whether a MariaDB text value fits
 * its target column, with the rule named when it does not.
 */
#include "unit.h"

#include "validate.h"

/* atttypmod as pg_attribute stores it */
#define VARCHAR_MOD(n) ((n) + 4)
#define NUMERIC_MOD(p, s) ((((p) << 16) | ((s) & 0x7ff)) + 4)
#define NOMOD (-1)

/* ---- column_spec_set_type ---- */

typedef struct type_case {
	const char *name;
	const char *typname;
	int typmod;
	value_type type;
	int length, precision, scale;
} type_case;

static const type_case type_cases[] = {
	{ "varchar(20)", "varchar", VARCHAR_MOD(20), VT_VARCHAR, 20, -1, 0 },
	{ "varchar without length", "varchar", NOMOD, VT_VARCHAR, -1, -1, 0 },
	{ "char(1)", "bpchar", VARCHAR_MOD(1), VT_CHAR, 1, -1, 0 },
	{ "text", "text", NOMOD, VT_TEXT, -1, -1, 0 },
	{ "numeric(10,4)", "numeric", NUMERIC_MOD(10, 4), VT_NUMERIC, -1, 10, 4 },
	{ "numeric(1000,0)", "numeric", NUMERIC_MOD(1000, 0), VT_NUMERIC, -1, 1000, 0 },
	{ "numeric(2,-3)", "numeric", NUMERIC_MOD(2, -3), VT_NUMERIC, -1, 2, -3 },
	{ "numeric unconstrained", "numeric", NOMOD, VT_NUMERIC, -1, -1, 0 },
	{ "int2", "int2", NOMOD, VT_INT2, -1, -1, 0 },
	{ "int4", "int4", NOMOD, VT_INT4, -1, -1, 0 },
	{ "int8", "int8", NOMOD, VT_INT8, -1, -1, 0 },
	{ "bool", "bool", NOMOD, VT_BOOL, -1, -1, 0 },
	{ "float4", "float4", NOMOD, VT_FLOAT4, -1, -1, 0 },
	{ "float8", "float8", NOMOD, VT_FLOAT8, -1, -1, 0 },
	{ "date", "date", NOMOD, VT_DATE, -1, -1, 0 },
	{ "timestamp(3)", "timestamp", 3, VT_TIMESTAMP, -1, -1, 0 },
	{ "timestamptz", "timestamptz", NOMOD, VT_TIMESTAMPTZ, -1, -1, 0 },
	{ "time", "time", NOMOD, VT_TIME, -1, -1, 0 },
	{ "bytea", "bytea", NOMOD, VT_BYTEA, -1, -1, 0 },
	{ "json", "json", NOMOD, VT_JSON, -1, -1, 0 },
	{ "jsonb", "jsonb", NOMOD, VT_JSON, -1, -1, 0 },
	{ "uuid is passed through", "uuid", NOMOD, VT_OTHER, -1, -1, 0 },
	{ "_int4 (an array) is passed through", "_int4", NOMOD, VT_OTHER, -1, -1, 0 },
	{ "case matters (INT4 is no typname)", "INT4", NOMOD, VT_OTHER, -1, -1, 0 },
};

static void test_set_type(void **state)
{
	const type_case *c = *state;
	column_spec spec;

	memset(&spec, 0x5a, sizeof(spec));
	column_spec_set_type(&spec, c->typname, c->typmod);
	assert_int_equal(spec.type, c->type);
	assert_int_equal(value_type_from_pg(c->typname), c->type);
	assert_int_equal(spec.length, c->length);
	assert_int_equal(spec.precision, c->precision);
	if (c->precision >= 0)
		assert_int_equal(spec.scale, c->scale);
}

/* ---- validate_value ---- */

typedef struct value_case {
	const char *name;
	const char *typname;
	int typmod;
	bool not_null;
	bool is_null;      /* the value is SQL NULL */
	const char *v;     /* the value's bytes (may hold NUL) */
	size_t len;
	const char *rule;  /* NULL: the value fits; else the rule it breaks */
	const char *why;   /* if set, a part of the reason */
} value_case;

/* FIT(type, mod, "value"): fits; NOFIT(type, mod, "value", "rule", "why") */
#define FIT(name, t, mod, s) { name, t, mod, false, false, B(s), NULL, NULL }
#define NOFIT(name, t, mod, s, rule, why) { name, t, mod, false, false, B(s), rule, why }

#define EMOJI20                                                                          \
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80" \
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80" \
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80" \
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
static const char emoji20[] = EMOJI20;
#define A20 "aaaaaaaaaaaaaaaaaaaa"
#define E20 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
#define ZEROS60 "000000000000000000000000000000000000000000000000000000000000"

static const value_case value_cases[] = {
	/* NULL */
	{ "NULL into NOT NULL", "int4", NOMOD, true, true, NULL, 0, "not null", "NULL" },
	{ "NULL into NOT NULL text", "text", NOMOD, true, true, NULL, 0, "not null", NULL },
	{ "NULL into NOT NULL bytea", "bytea", NOMOD, true, true, NULL, 0, "not null", NULL },
	{ "NULL into nullable int4", "int4", NOMOD, false, true, NULL, 0, NULL, NULL },
	{ "NULL into nullable varchar(1)", "varchar", VARCHAR_MOD(1), false, true, NULL, 0, NULL,
	  NULL },
	{ "empty string is not NULL", "text", NOMOD, true, false, B(""), NULL, NULL },

	/* UTF-8 and NUL, for every text-like type */
	FIT("text ascii", "text", NOMOD, "hello"),
	FIT("text unicode", "text", NOMOD, "caf\xc3\xa9 \xf0\x9f\x98\x80"),
	NOFIT("text invalid UTF-8", "text", NOMOD, "ab\xff", "utf8", "byte 2"),
	NOFIT("text overlong", "text", NOMOD, "\xc0\xaf", "utf8", "byte 0"),
	NOFIT("text surrogate", "text", NOMOD, "x\xed\xa0\x80", "utf8", "byte 1"),
	NOFIT("text truncated sequence", "text", NOMOD, "abc\xe2\x82", "utf8", "byte 3"),
	NOFIT("text NUL byte", "text", NOMOD, "a\0b", "utf8", "NUL"),
	NOFIT("varchar NUL byte", "varchar", VARCHAR_MOD(20), "a\0b", "utf8", "byte 1"),
	NOFIT("varchar invalid UTF-8 (checked before length)", "varchar", VARCHAR_MOD(1),
	      "\xff\xff\xff", "utf8", NULL),
	NOFIT("json invalid UTF-8", "jsonb", NOMOD, "{\"a\":\"\xff\"}", "utf8", NULL),
	NOFIT("uuid column NUL byte", "uuid", NOMOD, "\0", "utf8", NULL),

	/* varchar(n) and char(n): characters, not bytes */
	FIT("varchar(20) 20 ascii", "varchar", VARCHAR_MOD(20), A20),
	NOFIT("varchar(20) 21 ascii", "varchar", VARCHAR_MOD(20), A20 "a", "varchar(20)", "21"),
	FIT("varchar(20) 20 emoji (80 bytes)", "varchar", VARCHAR_MOD(20), EMOJI20),
	NOFIT("varchar(20) 21 emoji", "varchar", VARCHAR_MOD(20), EMOJI20 "\xf0\x9f\x98\x80",
	      "varchar(20)", "21 characters"),
	FIT("varchar(20) 20 e-acute (40 bytes)", "varchar", VARCHAR_MOD(20), E20),
	NOFIT("varchar(20) 20 e-acute and a space", "varchar", VARCHAR_MOD(20), E20 " ",
	      "varchar(20)", NULL),
	FIT("varchar(20) empty", "varchar", VARCHAR_MOD(20), ""),
	FIT("varchar without length, long", "varchar", NOMOD, A20 A20 A20 A20 A20 A20),
	FIT("char(3) 3 chars", "bpchar", VARCHAR_MOD(3), "abc"),
	FIT("char(3) 3 CJK chars", "bpchar", VARCHAR_MOD(3), "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
	NOFIT("char(3) 4 chars", "bpchar", VARCHAR_MOD(3), "abcd", "char(3)", NULL),
	FIT("text is unbounded", "text", NOMOD, A20 A20 A20 A20),

	/* integers: exact limits and one past */
	FIT("int2 max", "int2", NOMOD, "32767"),
	FIT("int2 min", "int2", NOMOD, "-32768"),
	NOFIT("int2 max+1", "int2", NOMOD, "32768", "smallint range", NULL),
	NOFIT("int2 min-1", "int2", NOMOD, "-32769", "smallint range", NULL),
	FIT("int4 max", "int4", NOMOD, "2147483647"),
	FIT("int4 min", "int4", NOMOD, "-2147483648"),
	NOFIT("int4 max+1", "int4", NOMOD, "2147483648", "integer range", NULL),
	NOFIT("int4 min-1", "int4", NOMOD, "-2147483649", "integer range", NULL),
	FIT("int8 max", "int8", NOMOD, "9223372036854775807"),
	FIT("int8 min", "int8", NOMOD, "-9223372036854775808"),
	NOFIT("int8 max+1", "int8", NOMOD, "9223372036854775808", "bigint range", NULL),
	NOFIT("int8 min-1", "int8", NOMOD, "-9223372036854775809", "bigint range", NULL),
	NOFIT("int8 unsigned BIGINT max", "int8", NOMOD, "18446744073709551615", "bigint range",
	      NULL),
	NOFIT("int4 unsigned BIGINT max", "int4", NOMOD, "18446744073709551615", "integer range",
	      NULL),
	NOFIT("int8 30 digits", "int8", NOMOD, "123456789012345678901234567890", "bigint range",
	      NULL),
	FIT("int4 zero", "int4", NOMOD, "0"),
	FIT("int4 minus zero", "int4", NOMOD, "-0"),
	FIT("int4 plus sign", "int4", NOMOD, "+5"),
	FIT("int4 leading zeros", "int4", NOMOD, "007"),
	FIT("int8 40 leading zeros", "int8", NOMOD, "0000000000000000000000000000000000000042"),
	FIT("int4 ZEROFILL-style 64 digits", "int4", NOMOD, ZEROS60 "0001"),
	FIT("int4 ZEROFILL-style 63 digits", "int4", NOMOD, ZEROS60 "001"),
	NOFIT("int4 decimal", "int4", NOMOD, "1.5", "integer", "not an integer"),
	NOFIT("int4 decimal .0", "int4", NOMOD, "1.0", "integer", NULL),
	NOFIT("int4 zeros then a sign", "int4", NOMOD, "000+5", "integer", "not an integer"),
	NOFIT("int8 a zero then a minus", "int8", NOMOD, "0-5", "integer", "not an integer"),
	NOFIT("int2 sign, zeros, sign", "int2", NOMOD, "-00-5", "integer", "not an integer"),
	NOFIT("int4 empty", "int4", NOMOD, "", "integer", NULL),
	NOFIT("int4 trailing letter", "int4", NOMOD, "12a", "integer", NULL),
	NOFIT("int4 leading space", "int4", NOMOD, " 1", "integer", NULL),
	NOFIT("int4 trailing space", "int4", NOMOD, "1 ", "integer", NULL),
	NOFIT("int4 sign only", "int4", NOMOD, "-", "integer", NULL),
	NOFIT("int4 plus only", "int4", NOMOD, "+", "integer", NULL),
	NOFIT("int4 two signs", "int4", NOMOD, "--1", "integer", NULL),
	NOFIT("int4 sign after digits", "int4", NOMOD, "1-", "integer", NULL),
	NOFIT("int4 exponent", "int4", NOMOD, "1e3", "integer", NULL),
	NOFIT("int4 hex", "int4", NOMOD, "0x10", "integer", NULL),
	NOFIT("int4 thousands separator", "int4", NOMOD, "1,000", "integer", NULL),
	NOFIT("int2 letters", "int2", NOMOD, "abc", "integer", NULL),
	NOFIT("int8 NUL inside", "int8", NOMOD, "1\0002", "utf8", NULL),

	/* numeric(p,s): digits before the point, and no rounding */
	FIT("numeric(10,4) 12345.6789", "numeric", NUMERIC_MOD(10, 4), "12345.6789"),
	FIT("numeric(10,4) largest", "numeric", NUMERIC_MOD(10, 4), "999999.9999"),
	FIT("numeric(10,4) smallest", "numeric", NUMERIC_MOD(10, 4), "-999999.9999"),
	NOFIT("numeric(10,4) 1234567.1", "numeric", NUMERIC_MOD(10, 4), "1234567.1",
	      "numeric(10,4)", "before the decimal point"),
	NOFIT("numeric(10,4) 1000000", "numeric", NUMERIC_MOD(10, 4), "1000000", "numeric(10,4)",
	      NULL),
	NOFIT("numeric(10,4) 1.23456 would round", "numeric", NUMERIC_MOD(10, 4), "1.23456",
	      "numeric(10,4)", "decimal places"),
	NOFIT("numeric(10,4) 0.00001 would round to 0", "numeric", NUMERIC_MOD(10, 4), "0.00001",
	      "numeric(10,4)", NULL),
	FIT("numeric(10,4) trailing zeros 1.2300000", "numeric", NUMERIC_MOD(10, 4), "1.2300000"),
	FIT("numeric(10,4) -0.0001", "numeric", NUMERIC_MOD(10, 4), "-0.0001"),
	FIT("numeric(10,4) leading zeros 0001234.5", "numeric", NUMERIC_MOD(10, 4), "0001234.5"),
	FIT("numeric(10,4) zero", "numeric", NUMERIC_MOD(10, 4), "0"),
	FIT("numeric(10,4) plus sign", "numeric", NUMERIC_MOD(10, 4), "+1.5"),
	FIT("numeric(10,4) no integer part", "numeric", NUMERIC_MOD(10, 4), ".5"),
	FIT("numeric(10,4) no fraction digits", "numeric", NUMERIC_MOD(10, 4), "5."),
	NOFIT("numeric(10,4) letters", "numeric", NUMERIC_MOD(10, 4), "abc", "numeric(10,4)",
	      "not a number"),
	NOFIT("numeric(10,4) empty", "numeric", NUMERIC_MOD(10, 4), "", "numeric(10,4)", NULL),
	NOFIT("numeric(10,4) dot only", "numeric", NUMERIC_MOD(10, 4), ".", "numeric(10,4)", NULL),
	NOFIT("numeric(10,4) two points", "numeric", NUMERIC_MOD(10, 4), "1.2.3", "numeric(10,4)",
	      NULL),
	NOFIT("numeric(10,4) leading space", "numeric", NUMERIC_MOD(10, 4), " 1", "numeric(10,4)",
	      NULL),
	NOFIT("numeric(10,4) trailing garbage", "numeric", NUMERIC_MOD(10, 4), "1.5x",
	      "numeric(10,4)", NULL),
	NOFIT("numeric(10,4) comma decimal", "numeric", NUMERIC_MOD(10, 4), "1,5", "numeric(10,4)",
	      NULL),
	NOFIT("numeric(10,4) bad exponent", "numeric", NUMERIC_MOD(10, 4), "1e", "numeric(10,4)",
	      NULL),
	FIT("numeric(10,4) exponent that fits", "numeric", NUMERIC_MOD(10, 4), "1.5e2"),
	NOFIT("numeric(10,4) 1e20 (MariaDB DOUBLE text) overflows", "numeric", NUMERIC_MOD(10, 4),
	      "1e20", "numeric(10,4)", NULL),
	NOFIT("numeric(10,4) 1.5e-7 would round to 0", "numeric", NUMERIC_MOD(10, 4), "1.5e-7",
	      "numeric(10,4)", NULL),
	FIT("numeric(5,0) 12345", "numeric", NUMERIC_MOD(5, 0), "12345"),
	FIT("numeric(5,0) 1.000", "numeric", NUMERIC_MOD(5, 0), "1.000"),
	NOFIT("numeric(5,0) 123456", "numeric", NUMERIC_MOD(5, 0), "123456", "numeric(5,0)", NULL),
	NOFIT("numeric(5,0) 1.5 would round", "numeric", NUMERIC_MOD(5, 0), "1.5", "numeric(5,0)",
	      NULL),
	FIT("numeric(3,2) 9.99", "numeric", NUMERIC_MOD(3, 2), "9.99"),
	NOFIT("numeric(3,2) 10.0", "numeric", NUMERIC_MOD(3, 2), "10.0", "numeric(3,2)", NULL),
	FIT("numeric unconstrained, 40 digits", "numeric", NOMOD,
	    "123456789012345678901234567890.1234567890"),
	NOFIT("numeric unconstrained, letters", "numeric", NOMOD, "x1", "numeric", NULL),
	FIT("numeric(2,-3) 12000", "numeric", NUMERIC_MOD(2, -3), "12000"),
	NOFIT("numeric(2,-3) 12345 would round", "numeric", NUMERIC_MOD(2, -3), "12345",
	      "numeric(2,-3)", NULL),
	FIT("numeric(2,4) 0.0012", "numeric", NUMERIC_MOD(2, 4), "0.0012"),
	NOFIT("numeric(2,4) 0.0123 too large", "numeric", NUMERIC_MOD(2, 4), "0.0123",
	      "numeric(2,4)", NULL),

	/* float */
	FIT("float8 1.5", "float8", NOMOD, "1.5"),
	FIT("float8 -1e300", "float8", NOMOD, "-1e300"),
	FIT("float8 integer", "float8", NOMOD, "42"),
	FIT("float8 max", "float8", NOMOD, "1.7976931348623157e308"),
	NOFIT("float8 1e309 overflows", "float8", NOMOD, "1e309", "float", NULL),
	NOFIT("float8 letters", "float8", NOMOD, "abc", "float", "not a number"),
	NOFIT("float8 empty", "float8", NOMOD, "", "float", NULL),
	NOFIT("float8 leading space", "float8", NOMOD, " 1", "float", NULL),
	NOFIT("float8 trailing garbage", "float8", NOMOD, "1.5x", "float", NULL),
	FIT("float4 3.4e38", "float4", NOMOD, "3.4e38"),
	NOFIT("float4 3.5e38 overflows", "float4", NOMOD, "3.5e38", "float", NULL),
	NOFIT("float4 -1e39 overflows", "float4", NOMOD, "-1e39", "float", NULL),
	FIT("float4 FLT_MAX as printed", "float4", NOMOD, "3.4028235e38"),
	NOFIT("float4 1e-46 underflows", "float4", NOMOD, "1e-46", "float", NULL),
	NOFIT("float8 1e-400 underflows", "float8", NOMOD, "1e-400", "float", NULL),

	/* bool */
	FIT("bool 0", "bool", NOMOD, "0"),
	FIT("bool 1", "bool", NOMOD, "1"),
	FIT("bool true", "bool", NOMOD, "true"),
	FIT("bool false", "bool", NOMOD, "false"),
	NOFIT("bool 2", "bool", NOMOD, "2", "boolean", NULL),
	NOFIT("bool -1", "bool", NOMOD, "-1", "boolean", NULL),
	NOFIT("bool 10", "bool", NOMOD, "10", "boolean", NULL),
	NOFIT("bool empty", "bool", NOMOD, "", "boolean", NULL),
	NOFIT("bool truex", "bool", NOMOD, "truex", "boolean", NULL),
	NOFIT("bool tru", "bool", NOMOD, "tru", "boolean", NULL),

	/* date */
	FIT("date 2025-11-02", "date", NOMOD, "2025-11-02"),
	FIT("date leap day", "date", NOMOD, "2024-02-29"),
	FIT("date as midnight datetime", "date", NOMOD, "2025-11-02 00:00:00"),
	NOFIT("date with a time of day (would be cut)", "date", NOMOD, "2025-11-02 13:00:00", "date",
	      NULL),
	NOFIT("date zero date", "date", NOMOD, "0000-00-00", "date", NULL),
	NOFIT("date 2025-02-30", "date", NOMOD, "2025-02-30", "date", NULL),
	NOFIT("date 2025-02-29", "date", NOMOD, "2025-02-29", "date", NULL),
	NOFIT("date month 13", "date", NOMOD, "2025-13-01", "date", NULL),
	NOFIT("date unpadded", "date", NOMOD, "2025-1-02", "date", NULL),
	NOFIT("date empty", "date", NOMOD, "", "date", NULL),
	NOFIT("date trailing garbage", "date", NOMOD, "2025-11-02x", "date", NULL),

	/* timestamp, timestamptz */
	FIT("timestamp seconds", "timestamp", NOMOD, "2025-11-02 13:59:59"),
	FIT("timestamp milliseconds", "timestamp", NOMOD, "2025-11-02 13:59:59.999"),
	FIT("timestamp microseconds", "timestamp", NOMOD, "2025-11-02 13:59:59.123456"),
	FIT("timestamp with T", "timestamp", NOMOD, "2025-11-02T13:00:00"),
	FIT("timestamp date only", "timestamp", NOMOD, "2025-11-02"),
	FIT("timestamp last instant of a year", "timestamp", NOMOD, "2024-12-31 23:59:59.999999"),
	NOFIT("timestamp 7 fraction digits", "timestamp", NOMOD, "2025-11-02 13:59:59.1234567",
	      "timestamp", NULL),
	NOFIT("timestamp point without digits", "timestamp", NOMOD, "2025-11-02 13:59:59.",
	      "timestamp", NULL),
	NOFIT("timestamp zero date", "timestamp", NOMOD, "0000-00-00 00:00:00", "timestamp", NULL),
	NOFIT("timestamp 2025-02-30", "timestamp", NOMOD, "2025-02-30 00:00:00", "timestamp", NULL),
	NOFIT("timestamp 24:00:00", "timestamp", NOMOD, "2025-11-02 24:00:00", "timestamp", NULL),
	NOFIT("timestamp minute 60", "timestamp", NOMOD, "2025-11-02 13:60:00", "timestamp", NULL),
	NOFIT("timestamp second 60", "timestamp", NOMOD, "2025-11-02 13:59:60", "timestamp", NULL),
	NOFIT("timestamp bad separator", "timestamp", NOMOD, "2025-11-02_13:00:00", "timestamp",
	      NULL),
	NOFIT("timestamp letters in fraction", "timestamp", NOMOD, "2025-11-02 13:00:00.12a",
	      "timestamp", NULL),
	NOFIT("timestamp empty", "timestamp", NOMOD, "", "timestamp", NULL),
	FIT("timestamptz naive value", "timestamptz", NOMOD, "2025-11-02 13:00:00"),
	NOFIT("timestamptz zero date", "timestamptz", NOMOD, "0000-00-00 00:00:00", "timestamp",
	      NULL),

	/* time */
	FIT("time midnight", "time", NOMOD, "00:00:00"),
	FIT("time 24:00:00", "time", NOMOD, "24:00:00"),
	FIT("time 23:59:59.5", "time", NOMOD, "23:59:59.5"),
	FIT("time microseconds", "time", NOMOD, "23:59:59.999999"),
	FIT("time one-digit hour", "time", NOMOD, "1:02:03"),
	NOFIT("time 838:59:59 (MariaDB TIME range)", "time", NOMOD, "838:59:59", "time", NULL),
	NOFIT("time negative", "time", NOMOD, "-01:00:00", "time", NULL),
	NOFIT("time 25:00:00", "time", NOMOD, "25:00:00", "time", NULL),
	NOFIT("time 24:00:01", "time", NOMOD, "24:00:01", "time", NULL),
	NOFIT("time 24:00:00.000001", "time", NOMOD, "24:00:00.000001", "time", NULL),
	NOFIT("time minute 60", "time", NOMOD, "12:60:00", "time", NULL),
	NOFIT("time second 60", "time", NOMOD, "12:00:60", "time", NULL),
	NOFIT("time 7 fraction digits", "time", NOMOD, "12:00:00.1234567", "time", NULL),
	NOFIT("time empty", "time", NOMOD, "", "time", NULL),
	NOFIT("time trailing garbage", "time", NOMOD, "12:00:00x", "time", NULL),

	/* bytea: any bytes */
	FIT("bytea invalid UTF-8 and NUL", "bytea", NOMOD, "\xff\0\xfe\xc0\x80"),
	FIT("bytea empty", "bytea", NOMOD, ""),
	FIT("bytea COPY specials", "bytea", NOMOD, "\\\t\n\r"),

	/* passed through to the target */
	FIT("uuid", "uuid", NOMOD, "123e4567-e89b-12d3-a456-426614174000"),
	FIT("json", "json", NOMOD, "{\"a\": [1, 2]}"),
};

#undef FIT
#undef NOFIT

static void test_validate_value(void **state)
{
	const value_case *c = *state;
	column_spec spec = { 0 };
	char rule[64], reason[256];
	char *v = c->is_null ? NULL : unit_dup(c->v, c->len); /* exact size: no NUL after */
	bool ok;

	spec.name = "col";
	spec.type_name = (char *)c->typname;
	spec.not_null = c->not_null;
	column_spec_set_type(&spec, c->typname, c->typmod);
	snprintf(rule, sizeof(rule), "(unset)");
	snprintf(reason, sizeof(reason), "(unset)");
	ok = validate_value(&spec, v, c->len, rule, sizeof(rule), reason, sizeof(reason));
	free(v);
	if (c->rule == NULL) {
		if (!ok)
			fail_msg("expected to fit, refused: rule '%s', reason '%s'", rule, reason);
		return;
	}
	if (ok)
		fail_msg("expected rule '%s' to refuse it, but it fits", c->rule);
	assert_string_equal(rule, c->rule);
	assert_true(reason[0] != '\0' && strcmp(reason, "(unset)") != 0);
	if (c->why && !strstr(reason, c->why))
		fail_msg("reason '%s' does not contain '%s'", reason, c->why);
}

/* small rule and reason buffers are filled without overflowing */
static void test_validate_small_buffers(void **state)
{
	column_spec spec = { 0 };
	char rule[6], reason[1];
	(void)state;

	column_spec_set_type(&spec, "varchar", VARCHAR_MOD(20));
	memset(rule, 'x', sizeof(rule));
	memset(reason, 'x', sizeof(reason));
	assert_false(validate_value(&spec, A20 "a", 21, rule, sizeof(rule), reason, sizeof(reason)));
	assert_string_equal(rule, "varch");
	assert_string_equal(reason, "");
}

/* the same emoji string is 20 characters, 80 bytes */
static void test_validate_emoji_sizes(void **state)
{
	column_spec spec = { 0 };
	char rule[32], reason[128];
	(void)state;

	assert_int_equal(sizeof(emoji20) - 1, 80);
	column_spec_set_type(&spec, "varchar", VARCHAR_MOD(20));
	assert_true(validate_value(&spec, emoji20, 80, rule, sizeof(rule), reason, sizeof(reason)));
	column_spec_set_type(&spec, "varchar", VARCHAR_MOD(19));
	assert_false(validate_value(&spec, emoji20, 80, rule, sizeof(rule), reason, sizeof(reason)));
	assert_string_equal(rule, "varchar(19)");
	/* 79 bytes: the last emoji is cut, so the value is not UTF-8 */
	column_spec_set_type(&spec, "varchar", VARCHAR_MOD(20));
	assert_false(validate_value(&spec, emoji20, 79, rule, sizeof(rule), reason, sizeof(reason)));
	assert_string_equal(rule, "utf8");
}

/* ---- timestamp_valid ---- */

typedef struct ts_case {
	const char *name;
	const char *v;
	size_t len;
	bool date_only;
	bool ok;
} ts_case;

static const ts_case ts_cases[] = {
	{ "datetime", B("2025-11-02 13:00:00"), false, true },
	{ "datetime as date", B("2025-11-02 13:00:00"), true, false },
	{ "midnight as date", B("2025-11-02 00:00:00.000000"), true, true },
	{ "date", B("2025-11-02"), true, true },
	{ "length shorter than the string", "2025-11-02 13:00:00", 10, false, true },
	{ "cut inside the time", "2025-11-02 13:00:00", 15, false, false },
	{ "year 0001", B("0001-01-01 00:00:00"), false, true },
	{ "year 9999 last instant", B("9999-12-31 23:59:59.999999"), false, true },
	{ "year 0000", B("0000-01-01 00:00:00"), false, false },
	{ "short", B("2025-11-0"), false, false },
	{ "empty", B(""), false, false },
};

static void test_timestamp_valid(void **state)
{
	const ts_case *c = *state;
	char *v = unit_dup(c->v, c->len);

	assert_int_equal(timestamp_valid(v, c->len, c->date_only), c->ok);
	free(v);
}

int main(void)
{
	unit_list l = { 0 };

	UNIT_ROWS(&l, "column_spec_set_type", test_set_type, type_cases);
	UNIT_ROWS(&l, "validate_value", test_validate_value, value_cases);
	unit_add(&l, "validate_value: small rule and reason buffers", NULL,
		 test_validate_small_buffers, NULL);
	unit_add(&l, "validate_value: 20 emoji, 80 bytes", NULL, test_validate_emoji_sizes, NULL);
	UNIT_ROWS(&l, "timestamp_valid", test_timestamp_valid, ts_cases);
	return unit_run(&l, "validate", NULL, NULL);
}
