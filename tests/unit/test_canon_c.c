/*
 * test_canon_c.c: unit tests of canon_c.c, the canonical text made in C.
 * The pinned table holds, per type family, tricky values as each database
 * sends them (MariaDB's protocol text of the source expression, PostgreSQL's
 * text of canon_c_target_expr) and the field canon.c's SQL gives for them:
 * those fields were read from MariaDB 10.11 and PostgreSQL 15 running
 * canon_field's expressions on the same values, so a difference here is a
 * difference from the servers. tests/integration/t61-verify-deep.t checks
 * the same end to end (no hour whose hashes differ without a differing key).
 */
#include "unit.h"

#include "canon_c.h"

typedef struct pin_case {
	const char *name;
	value_type type;
	const char *type_name;
	int precision, scale;
	source_kind src;
	int src_frac;
	const char *my;  /* MariaDB's text, NULL for SQL NULL */
	size_t my_len;
	const char *my_field; /* canon_field's MariaDB field */
	size_t my_field_len;
	const char *pg;  /* PostgreSQL's text */
	size_t pg_len;
	const char *pg_field;
	size_t pg_field_len;
} pin_case;

static const pin_case pin_cases[] = {
	{ "int", VT_INT4, "integer", -1, 0, SK_INT, 6, "-2147483648", 11, "11:-2147483648", 14,
	  "-2147483648", 11, "11:-2147483648", 14 },
	{ "int zero", VT_INT4, "integer", -1, 0, SK_INT, 6, "0", 1, "1:0", 3,
	  "0", 1, "1:0", 3 },
	{ "int null", VT_INT4, "integer", -1, 0, SK_INT, 6, NULL, 0, "N", 1,
	  NULL, 0, "N", 1 },
	{ "bigint", VT_INT8, "bigint", -1, 0, SK_INT, 6, "9223372036854775807", 19, "19:9223372036854775807", 22,
	  "9223372036854775807", 19, "19:9223372036854775807", 22 },
	{ "bit as int", VT_INT4, "integer", -1, 0, SK_BIT, 6, "5", 1, "1:5", 3,
	  "5", 1, "1:5", 3 },
	{ "biu numeric(20,0)", VT_NUMERIC, "numeric(20,0)", 20, 0, SK_INT, 6, "18446744073709551615", 20, "20:18446744073709551615", 23,
	  "18446744073709551615", 20, "20:18446744073709551615", 23 },
	{ "dec65,30 neg", VT_NUMERIC, "numeric(65,30)", 65, 30, SK_DECIMAL, 6, "-12345678901234567890123456789012345.123456789012345678901234567890", 67, "67:-12345678901234567890123456789012345.123456789012345678901234567890", 70,
	  "-12345678901234567890123456789012345.123456789012345678901234567890", 67, "67:-12345678901234567890123456789012345.123456789012345678901234567890", 70 },
	{ "dec10,2", VT_NUMERIC, "numeric(10,2)", 10, 2, SK_DECIMAL, 6, "-12.34", 6, "6:-12.34", 8,
	  "-12.34", 6, "6:-12.34", 8 },
	{ "dec10,2 zero", VT_NUMERIC, "numeric(10,2)", 10, 2, SK_DECIMAL, 6, "0.00", 4, "4:0.00", 6,
	  "0.00", 4, "4:0.00", 6 },
	{ "dec round to 8,1", VT_NUMERIC, "numeric(8,1)", 8, 1, SK_DECIMAL, 6, "12.35", 5, "4:12.4", 6,
	  "12.4", 4, "4:12.4", 6 },
	{ "dec round neg to 8,1", VT_NUMERIC, "numeric(8,1)", 8, 1, SK_DECIMAL, 6, "-12.35", 6, "5:-12.4", 7,
	  "-12.4", 5, "5:-12.4", 7 },
	{ "dec round carry", VT_NUMERIC, "numeric(8,1)", 8, 1, SK_DECIMAL, 6, "99.96", 5, "5:100.0", 7,
	  "100.0", 5, "5:100.0", 7 },
	{ "dec round to zero neg", VT_NUMERIC, "numeric(8,1)", 8, 1, SK_DECIMAL, 6, "-0.04", 5, "3:0.0", 5,
	  "0.0", 3, "3:0.0", 5 },
	{ "dec unconstrained", VT_NUMERIC, "numeric", -1, 0, SK_DECIMAL, 6, "1.500", 5, "3:1.5", 5,
	  "1.500", 5, "3:1.5", 5 },
	{ "dec unconstrained int", VT_NUMERIC, "numeric", -1, 0, SK_DECIMAL, 6, "100", 3, "3:100", 5,
	  "100", 3, "3:100", 5 },
	{ "dec unconstrained zero", VT_NUMERIC, "numeric", -1, 0, SK_DECIMAL, 6, "0.000", 5, "1:0", 3,
	  "0.000", 5, "1:0", 3 },
	{ "dec unconstrained neg", VT_NUMERIC, "numeric", -1, 0, SK_DECIMAL, 6, "-0.000001", 9, "9:-0.000001", 11,
	  "-0.000001", 9, "9:-0.000001", 11 },
	{ "int into numeric(10,2)", VT_NUMERIC, "numeric(10,2)", 10, 2, SK_INT, 6, "-7", 2, "5:-7.00", 7,
	  "-7.00", 5, "5:-7.00", 7 },
	{ "numeric(60,40) trims", VT_NUMERIC, "numeric(60,40)", 60, 40, SK_DECIMAL, 6, "1.25", 4, "4:1.25", 6,
	  "1.2500000000000000000000000000000000000000", 42, "4:1.25", 6 },
	{ "float 0.1", VT_FLOAT4, "real", -1, 0, SK_FLOAT, 6, "0.10000000149011612", 19, "20:10000000149011612e-1", 23,
	  "0.1", 3, "20:10000000149011612e-1", 23 },
	{ "float max", VT_FLOAT4, "real", -1, 0, SK_FLOAT, 6, "3.4028234663852886e38", 21, "20:34028234663852886e38", 23,
	  "3.4028235e+38", 13, "20:34028234663852886e38", 23 },
	{ "float small neg", VT_FLOAT4, "real", -1, 0, SK_FLOAT, 6, "-0.00000000024999999292951713", 29, "22:-24999999292951713e-10", 25,
	  "-2.5e-10", 8, "22:-24999999292951713e-10", 25 },
	{ "float into float8", VT_FLOAT8, "double precision", -1, 0, SK_FLOAT, 6, "0.10000000149011612", 19, "20:10000000149011612e-1", 23,
	  "0.10000000149011612", 19, "20:10000000149011612e-1", 23 },
	{ "double 0.3..4", VT_FLOAT8, "double precision", -1, 0, SK_DOUBLE, 6, "0.30000000000000004", 19, "20:30000000000000004e-1", 23,
	  "0.30000000000000004", 19, "20:30000000000000004e-1", 23 },
	{ "double max", VT_FLOAT8, "double precision", -1, 0, SK_DOUBLE, 6, "1.7976931348623157e308", 22, "21:17976931348623157e308", 24,
	  "1.7976931348623157e+308", 23, "21:17976931348623157e308", 24 },
	{ "double 1e20", VT_FLOAT8, "double precision", -1, 0, SK_DOUBLE, 6, "1e20", 4, "4:1e20", 6,
	  "1e+20", 5, "4:1e20", 6 },
	{ "double -0", VT_FLOAT8, "double precision", -1, 0, SK_DOUBLE, 6, "0", 1, "1:0", 3,
	  "-0", 2, "1:0", 3 },
	{ "double 1.5e-7", VT_FLOAT8, "double precision", -1, 0, SK_DOUBLE, 6, "0.00000015", 10, "5:15e-7", 7,
	  "1.5e-07", 7, "5:15e-7", 7 },
	{ "double 123456789.12345679", VT_FLOAT8, "double precision", -1, 0, SK_DOUBLE, 6, "123456789.12345679", 18, "19:12345678912345679e8", 22,
	  "123456789.12345679", 18, "19:12345678912345679e8", 22 },
	{ "double 5e-324", VT_FLOAT8, "double precision", -1, 0, SK_DOUBLE, 6, "5e-324", 6, "6:5e-324", 8,
	  "5e-324", 6, "6:5e-324", 8 },
	{ "double 1e15", VT_FLOAT8, "double precision", -1, 0, SK_DOUBLE, 6, "1e15", 4, "4:1e15", 6,
	  "1e+15", 5, "4:1e15", 6 },
	{ "double into real", VT_FLOAT4, "real", -1, 0, SK_DOUBLE, 6, "0.123456789", 11, "20:12345679104328156e-1", 23,
	  "0.12345679", 10, "20:12345679104328156e-1", 23 },
	{ "decimal into float8", VT_FLOAT8, "double precision", -1, 0, SK_DECIMAL, 6, "12.3456", 7, "8:123456e1", 10,
	  "12.3456", 7, "8:123456e1", 10 },
	{ "int into float8", VT_FLOAT8, "double precision", -1, 0, SK_INT, 6, "9007199254740993", 16, "19:9007199254740992e15", 22,
	  "9.007199254740992e+15", 21, "19:9007199254740992e15", 22 },
	{ "double nan target", VT_FLOAT8, "double precision", -1, 0, SK_DOUBLE, 6, "1", 1, "3:1e0", 5,
	  "NaN", 3, "3:NaN", 5 },
	{ "bool 1", VT_BOOL, "boolean", -1, 0, SK_INT, 6, "1", 1, "1:t", 3,
	  "t", 1, "1:t", 3 },
	{ "bool 0", VT_BOOL, "boolean", -1, 0, SK_INT, 6, "0", 1, "1:f", 3,
	  "f", 1, "1:f", 3 },
	{ "bool null", VT_BOOL, "boolean", -1, 0, SK_INT, 6, NULL, 0, "N", 1,
	  NULL, 0, "N", 1 },
	{ "bit1 bool", VT_BOOL, "boolean", -1, 0, SK_BIT, 6, "1", 1, "1:t", 3,
	  "t", 1, "1:t", 3 },
	{ "bit5", VT_BIT, "bit(5)", -1, 0, SK_BIT, 6, "00000", 5, "5:00000", 7,
	  "00101", 5, "5:00101", 7 },
	{ "date", VT_DATE, "date", -1, 0, SK_DATE, 0, "0001-01-01", 10, "10:0001-01-01", 13,
	  "0001-01-01", 10, "10:0001-01-01", 13 },
	{ "date 9999", VT_DATE, "date", -1, 0, SK_DATE, 0, "9999-12-31", 10, "10:9999-12-31", 13,
	  "9999-12-31", 10, "10:9999-12-31", 13 },
	{ "date from datetime", VT_DATE, "date", -1, 0, SK_DATETIME, 0, "2025-11-02 10:00:00", 19, "10:2025-11-02", 13,
	  "2025-11-02", 10, "10:2025-11-02", 13 },
	{ "date bc target", VT_DATE, "date", -1, 0, SK_DATE, 0, "2025-11-05", 10, "10:2025-11-05", 13,
	  "2025-11-05 BC", 13, "B", 1 },
	{ "date 10000 target", VT_DATE, "date", -1, 0, SK_DATE, 0, "2025-11-05", 10, "10:2025-11-05", 13,
	  "10000-01-01", 11, "11:10000-01-01", 14 },
	{ "date infinity target", VT_DATE, "date", -1, 0, SK_DATE, 0, "2025-11-05", 10, "10:2025-11-05", 13,
	  "infinity", 8, "?", 1 },
	{ "date -infinity target", VT_DATE, "date", -1, 0, SK_DATE, 0, "2025-11-05", 10, "10:2025-11-05", 13,
	  "-infinity", 9, "B", 1 },
	{ "dt0", VT_TIMESTAMP, "timestamp(0) without time zone", -1, 0, SK_DATETIME, 0, "1970-01-01 00:00:00", 19, "26:1970-01-01 00:00:00.000000", 29,
	  "1970-01-01 00:00:00", 19, "26:1970-01-01 00:00:00.000000", 29 },
	{ "dt3", VT_TIMESTAMP, "timestamp(3) without time zone", -1, 0, SK_DATETIME, 3, "2025-11-02 10:00:00.120", 23, "26:2025-11-02 10:00:00.120000", 29,
	  "2025-11-02 10:00:00.12", 22, "26:2025-11-02 10:00:00.120000", 29 },
	{ "dt6", VT_TIMESTAMP, "timestamp(6) without time zone", -1, 0, SK_DATETIME, 6, "2025-11-02 10:00:00.000001", 26, "26:2025-11-02 10:00:00.000001", 29,
	  "2025-11-02 10:00:00.000001", 26, "26:2025-11-02 10:00:00.000001", 29 },
	{ "dt6 .5", VT_TIMESTAMP, "timestamp(6) without time zone", -1, 0, SK_DATETIME, 6, "2025-11-02 10:00:00.500000", 26, "26:2025-11-02 10:00:00.500000", 29,
	  "2025-11-02 10:00:00.5", 21, "26:2025-11-02 10:00:00.500000", 29 },
	{ "date into timestamp", VT_TIMESTAMP, "timestamp without time zone", -1, 0, SK_DATE, 0, "2025-11-02", 10, "26:2025-11-02 00:00:00.000000", 29,
	  "2025-11-02 00:00:00", 19, "26:2025-11-02 00:00:00.000000", 29 },
	{ "dt6 into ts3 round", VT_TIMESTAMP, "timestamp(3) without time zone", -1, 0, SK_DATETIME, 6, "2025-11-05 10:00:00.123500", 26, "26:2025-11-05 10:00:00.124000", 29,
	  "2025-11-05 10:00:00.124", 23, "26:2025-11-05 10:00:00.124000", 29 },
	{ "dt6 into ts3 round 1999", VT_TIMESTAMP, "timestamp(3) without time zone", -1, 0, SK_DATETIME, 6, "1999-12-31 23:59:59.123500", 26, "26:1999-12-31 23:59:59.123000", 29,
	  "1999-12-31 23:59:59.123", 23, "26:1999-12-31 23:59:59.123000", 29 },
	{ "dt6 into ts0 round", VT_TIMESTAMP, "timestamp(0) without time zone", -1, 0, SK_DATETIME, 6, "2025-11-05 10:00:00.500000", 26, "26:2025-11-05 10:00:01.000000", 29,
	  "2025-11-05 10:00:01", 19, "26:2025-11-05 10:00:01.000000", 29 },
	{ "dt6 into ts0 round 1999", VT_TIMESTAMP, "timestamp(0) without time zone", -1, 0, SK_DATETIME, 6, "1999-06-01 00:00:00.499999", 26, "26:1999-06-01 00:00:00.000000", 29,
	  "1999-06-01 00:00:00", 19, "26:1999-06-01 00:00:00.000000", 29 },
	{ "dt6 into ts0 carry year", VT_TIMESTAMP, "timestamp(0) without time zone", -1, 0, SK_DATETIME, 6, "2025-12-31 23:59:59.999999", 26, "26:2026-01-01 00:00:00.000000", 29,
	  "2026-01-01 00:00:00", 19, "26:2026-01-01 00:00:00.000000", 29 },
	{ "dt into ts bc target", VT_TIMESTAMP, "timestamp(6) without time zone", -1, 0, SK_DATETIME, 6, "2025-11-05 10:00:00.000000", 26, "26:2025-11-05 10:00:00.000000", 29,
	  "2025-11-05 10:00:00 BC", 22, "B", 1 },
	{ "dt into ts 10000 target", VT_TIMESTAMP, "timestamp(0) without time zone", -1, 0, SK_DATETIME, 0, "2025-11-05 10:00:00", 19, "26:2025-11-05 10:00:00.000000", 29,
	  "10000-01-01 00:00:00", 20, "27:10000-01-01 00:00:00.000000", 30 },
	{ "dt into tstz", VT_TIMESTAMPTZ, "timestamp(3) with time zone", -1, 0, SK_DATETIME, 3, "2025-11-05 10:00:00.123", 23, "26:2025-11-05 10:00:00.123000", 29,
	  "2025-11-05 10:00:00.123+00", 26, "26:2025-11-05 10:00:00.123000", 29 },
	{ "ts into tstz", VT_TIMESTAMPTZ, "timestamp(6) with time zone", -1, 0, SK_TIMESTAMP, 6, "2038-01-19 03:14:07.999999", 26, "26:2038-01-19 03:14:07.999999", 29,
	  "2038-01-19 03:14:07.999999", 26, "26:2038-01-19 03:14:07.999999", 29 },
	{ "tstz bc target", VT_TIMESTAMPTZ, "timestamp(6) with time zone", -1, 0, SK_DATETIME, 6, "0044-03-15 10:00:00.000000", 26, "26:0044-03-15 10:00:00.000000", 29,
	  "0044-03-15 10:00:00+00 BC", 25, "26:0044-03-15 10:00:00.000000", 29 },
	{ "tstz infinity target", VT_TIMESTAMPTZ, "timestamp(6) with time zone", -1, 0, SK_DATETIME, 6, "0044-03-15 10:00:00.000000", 26, "26:0044-03-15 10:00:00.000000", 29,
	  "infinity", 8, "?", 1 },
	{ "time6", VT_TIME, "time(6) without time zone", -1, 0, SK_TIME, 6, "23:59:59.999999", 15, "15:23:59:59.999999", 18,
	  "23:59:59.999999", 15, "15:23:59:59.999999", 18 },
	{ "time0 src", VT_TIME, "time without time zone", -1, 0, SK_TIME, 6, "24:00:00", 8, "15:24:00:00.000000", 18,
	  "24:00:00", 8, "15:24:00:00.000000", 18 },
	{ "time6 into time3 round", VT_TIME, "time(3) without time zone", -1, 0, SK_TIME, 6, "13:00:00.123500", 15, "15:13:00:00.124000", 18,
	  "13:00:00.124", 12, "15:13:00:00.124000", 18 },
	{ "time6 into time3 round 24", VT_TIME, "time(3) without time zone", -1, 0, SK_TIME, 6, "23:59:59.999600", 15, "15:24:00:00.000000", 18,
	  "24:00:00", 8, "15:24:00:00.000000", 18 },
	{ "time into time0 round", VT_TIME, "time(0) without time zone", -1, 0, SK_TIME, 6, "10:00:00.500000", 15, "15:10:00:01.000000", 18,
	  "10:00:01", 8, "15:10:00:01.000000", 18 },
	{ "varchar unicode", VT_VARCHAR, "character varying(20)", -1, 0, SK_TEXT, 6, "\xf0""\x9f""\x98""\x80"" \xc3""\xb1""", 7, "7:\xf0""\x9f""\x98""\x80"" \xc3""\xb1""", 9,
	  "\xf0""\x9f""\x98""\x80"" \xc3""\xb1""", 7, "7:\xf0""\x9f""\x98""\x80"" \xc3""\xb1""", 9 },
	{ "text tabs", VT_TEXT, "text", -1, 0, SK_TEXT, 6, "a\x09""b\x0a""c\\e", 7, "7:a\x09""b\x0a""c\\e", 9,
	  "a\x09""b\x0a""c\\e", 7, "7:a\x09""b\x0a""c\\e", 9 },
	{ "text empty", VT_TEXT, "text", -1, 0, SK_TEXT, 6, "", 0, "0:", 2,
	  "", 0, "0:", 2 },
	{ "text null", VT_TEXT, "text", -1, 0, SK_TEXT, 6, NULL, 0, "N", 1,
	  NULL, 0, "N", 1 },
	{ "char pads", VT_CHAR, "character(10)", -1, 0, SK_TEXT, 6, "abc  ", 5, "3:abc", 5,
	  "abc       ", 10, "3:abc", 5 },
	{ "bytea", VT_BYTEA, "bytea", -1, 0, SK_BINARY, 6, "\x00""\x0a""\x0d""\\\x09""", 5, "10:000a0d5c09", 13,
	  "000a0d5c09", 10, "10:000a0d5c09", 13 },
	{ "bytea empty", VT_BYTEA, "bytea", -1, 0, SK_BINARY, 6, "", 0, "0:", 2,
	  "", 0, "0:", 2 },
	{ "text into bytea", VT_BYTEA, "bytea", -1, 0, SK_TEXT, 6, "\xc3""\xa9""", 2, "4:c3a9", 6,
	  "c3a9", 4, "4:c3a9", 6 },
	{ "enum", VT_TEXT, "text", -1, 0, SK_TEXT, 6, "b c", 3, "3:b c", 5,
	  "b c", 3, "3:b c", 5 },
	{ "set into text[]", VT_TEXT_ARRAY, "text[]", -1, 0, SK_SET, 6, "x,z", 3, "3:x,z", 5,
	  "x,z", 3, "3:x,z", 5 },
	{ "set empty into text[]", VT_TEXT_ARRAY, "text[]", -1, 0, SK_SET, 6, "", 0, "0:", 2,
	  "", 0, "0:", 2 },
	{ "set into text", VT_TEXT, "text", -1, 0, SK_SET, 6, "x,z", 3, "3:x,z", 5,
	  "x,z", 3, "3:x,z", 5 },
	{ "json", VT_JSON, "json", -1, 0, SK_TEXT, 6, "{\"a\": [1, 2.5, \"\xc3""\xa9""\"]}", 21, "21:{\"a\": [1, 2.5, \"\xc3""\xa9""\"]}", 24,
	  "{\"a\": [1, 2.5, \"\xc3""\xa9""\"]}", 21, "21:{\"a\": [1, 2.5, \"\xc3""\xa9""\"]}", 24 },
	{ "uuid", VT_OTHER, "uuid", -1, 0, SK_TEXT, 6, "{6F9619FF-8B86-D011-B42D-00C04FC964FF}", 38, "32:6f9619ff8b86d011b42d00c04fc964ff", 35,
	  "6f9619ff-8b86-d011-b42d-00c04fc964ff", 36, "32:6f9619ff8b86d011b42d00c04fc964ff", 35 },
	{ "latin1 text", VT_TEXT, "text", -1, 0, SK_TEXT, 6, "caf\xc3""\xa9""", 5, "5:caf\xc3""\xa9""", 7,
	  "caf\xc3""\xa9""", 5, "5:caf\xc3""\xa9""", 7 },
	{ "int into text", VT_TEXT, "text", -1, 0, SK_INT, 6, "42", 2, "2:42", 4,
	  "42", 2, "2:42", 4 },
	{ "datetime into text", VT_TEXT, "text", -1, 0, SK_DATETIME, 3, "2025-11-02 10:00:00.120", 23, "23:2025-11-02 10:00:00.120", 26,
	  "2025-11-02 10:00:00.120", 23, "23:2025-11-02 10:00:00.120", 26 },
	{ "expr into text", VT_TEXT, "text", -1, 0, SK_UNKNOWN, 6, "ab!", 3, "3:ab!", 5,
	  "ab!", 3, "3:ab!", 5 },
	{ "interval other", VT_OTHER, "interval", -1, 0, SK_TEXT, 6, "01:00:00", 8, "8:01:00:00", 10,
	  "PT1H", 4, "4:PT1H", 6 },
};

static column_spec spec(value_type type, const char *type_name, int precision, int scale,
			source_kind src, int src_frac)
{
	column_spec c;

	memset(&c, 0, sizeof(c));
	c.name = (char *)"col";
	c.type_name = (char *)type_name;
	c.type = type;
	c.length = -1;
	c.precision = precision;
	c.scale = scale;
	c.src = src;
	c.src_frac = src_frac;
	return c;
}

/* field_of: canon_c_field of v[0..len) (copied to an exact-size block) */
static char *field_of(canon_dialect d, const canon_c_col *cc, const char *v, size_t len,
		      size_t *out_len)
{
	char *copy = v ? unit_dup(v, len) : NULL;
	strbuf sb;

	sb_init(&sb, 1);
	sb_adds(&sb, "x"); /* the field goes after what the row already holds */
	canon_c_field(&sb, d, cc, copy, len);
	free(copy);
	*out_len = sb.len - 1;
	memmove(sb.buf, sb.buf + 1, sb.len);
	return sb_detach(&sb);
}

static void assert_field(const char *side, const char *got, size_t got_len, const char *want,
			 size_t want_len)
{
	if (got_len != want_len || memcmp(got, want, want_len) != 0)
		fail_msg("%s: got '%.*s', the SQL gives '%.*s'", side, (int)got_len, got,
			 (int)want_len, want);
}

static void test_pinned(void **state)
{
	const pin_case *c = *state;
	column_spec s = spec(c->type, c->type_name, c->precision, c->scale, c->src, c->src_frac);
	canon_c_col cc;
	const char *why = NULL;
	char *f;
	size_t n;

	assert_true(canon_c_plan(&s, &cc, &why));
	f = field_of(CANON_MARIADB, &cc, c->my, c->my_len, &n);
	assert_field("source", f, n, c->my_field, c->my_field_len);
	free(f);
	f = field_of(CANON_POSTGRES, &cc, c->pg, c->pg_len, &n);
	assert_field("target", f, n, c->pg_field, c->pg_field_len);
	free(f);
}

/* ---- which columns are made in C, and the target's expression ---- */

typedef struct plan_case {
	const char *name;
	value_type type;
	const char *type_name;
	int precision, scale;
	source_kind src;
	bool in_c;
	const char *target_expr; /* canon_c_target_expr of "c" */
} plan_case;

static const plan_case plan_cases[] = {
	{ "int from int", VT_INT4, "integer", -1, 0, SK_INT, true, "c" },
	{ "int from an expression: SQL", VT_INT4, "integer", -1, 0, SK_UNKNOWN, false,
	  "coalesce(octet_length(c::text)::text || ':' || c::text, CASE WHEN c IS NULL THEN 'N' ELSE '?' END)" },
	{ "numeric from FLOAT: SQL", VT_NUMERIC, "numeric(10,2)", 10, 2, SK_FLOAT, false, NULL },
	{ "numeric from DOUBLE: SQL", VT_NUMERIC, "numeric(10,2)", 10, 2, SK_DOUBLE, false, NULL },
	{ "numeric above 65 digits: SQL", VT_NUMERIC, "numeric(70,2)", 70, 2, SK_DECIMAL, false, NULL },
	{ "text from DOUBLE: SQL", VT_TEXT, "text", -1, 0, SK_DOUBLE, false, NULL },
	{ "text from an expression", VT_TEXT, "text", -1, 0, SK_UNKNOWN, true, "c" },
	{ "date from text: SQL", VT_DATE, "date", -1, 0, SK_TEXT, false, NULL },
	{ "time from datetime: SQL", VT_TIME, "time", -1, 0, SK_DATETIME, false, NULL },
	{ "bytea as hex", VT_BYTEA, "bytea", -1, 0, SK_BINARY, true, "encode(c, 'hex')" },
	{ "SET's text[] joined", VT_TEXT_ARRAY, "text[]", -1, 0, SK_SET, true,
	  "array_to_string(c, ',')" },
	{ "text[] from text: SQL", VT_TEXT_ARRAY, "text[]", -1, 0, SK_TEXT, false, NULL },
	{ "TIMESTAMP's timestamptz in UTC", VT_TIMESTAMPTZ, "timestamp(6) with time zone", -1, 0,
	  SK_TIMESTAMP, true, "(c AT TIME ZONE 'UTC')" },
	{ "DATETIME's timestamptz as it is", VT_TIMESTAMPTZ, "timestamp(6) with time zone", -1, 0,
	  SK_DATETIME, true, "c" },
	{ "boolean from text: SQL", VT_BOOL, "boolean", -1, 0, SK_TEXT, false, NULL },
	{ "uuid from text", VT_OTHER, "uuid", -1, 0, SK_TEXT, true, "c" },
};

static void test_plan(void **state)
{
	const plan_case *c = *state;
	column_spec s = spec(c->type, c->type_name, c->precision, c->scale, c->src, 6);
	canon_c_col cc;
	const char *why = NULL;
	bool in_c = canon_c_plan(&s, &cc, &why);
	strbuf sb;

	assert_int_equal(in_c, c->in_c);
	if (!in_c) {
		assert_non_null(why);
		assert_int_equal(cc.how, CC_SQL);
	}
	sb_init(&sb, 64);
	canon_c_target_expr(&sb, &s, &cc, "c");
	if (c->target_expr)
		assert_string_equal(sb.buf, c->target_expr);
	sb_reset(&sb);
	canon_c_source_expr(&sb, &s, &cc, "`c`");
	if (in_c)
		assert_string_equal(sb.buf, "`c`");
	else
		assert_non_null(strstr(sb.buf, "IFNULL(")); /* canon_field's MariaDB field */
	sb_release(&sb);
}

/* ---- values without a canonical text, and CC_SQL fields ---- */

typedef struct odd_case {
	const char *name;
	value_type type;
	const char *type_name;
	source_kind src;
	canon_dialect d;
	const char *v;
	size_t len;
	const char *want;
	size_t want_len;
} odd_case;

#define MY CANON_MARIADB
#define PG CANON_POSTGRES

static const odd_case odd_cases[] = {
	{ "int: not a number", VT_INT4, "integer", SK_INT, MY, B("12a"), B("?") },
	{ "int: ZEROFILL's leading zeros", VT_INT4, "integer", SK_INT, MY, B("00042"), B("2:42") },
	{ "int: minus zero", VT_INT4, "integer", SK_INT, MY, B("-0"), B("1:0") },
	{ "int: empty", VT_INT4, "integer", SK_INT, MY, B(""), B("?") },
	{ "numeric: not a number", VT_NUMERIC, "numeric(10,2)", SK_DECIMAL, MY, B("1.2.3"), B("?") },
	{ "float: not a number", VT_FLOAT8, "double precision", SK_DOUBLE, MY, B("x"), B("?") },
	{ "float: Infinity kept on the target", VT_FLOAT8, "double precision", SK_DOUBLE, PG,
	  B("-Infinity"), B("9:-Infinity") },
	{ "time: negative (PostgreSQL has none)", VT_TIME, "time(0) without time zone", SK_TIME, MY,
	  B("-01:00:00.500000"), B("?") },
	{ "time: 100 hours and more, rounded", VT_TIME, "time(0) without time zone", SK_TIME, MY,
	  B("100:00:00.500000"), B("?") },
	{ "time: short", VT_TIME, "time", SK_TIME, MY, B("1:00"), B("?") },
	{ "timestamp: too short", VT_TIMESTAMP, "timestamp", SK_DATETIME, MY, B("2025-11"),
	  B("?") },
	{ "timestamp: zero date rounded is NULL in MariaDB", VT_TIMESTAMP,
	  "timestamp(0) without time zone", SK_DATETIME, MY, B("0000-00-00 00:00:00.500000"),
	  B("?") },
	{ "timestamp: zero date kept when not rounded", VT_TIMESTAMP, "timestamp", SK_DATETIME, MY,
	  B("0000-00-00 00:00:00"), B("26:0000-00-00 00:00:00.000000") },
	{ "timestamp: target without a time", VT_TIMESTAMP, "timestamp", SK_DATETIME, PG,
	  B("2025-11-02"), B("?") },
	{ "date: target -infinity of a timestamptz is ?", VT_TIMESTAMPTZ,
	  "timestamp with time zone", SK_DATETIME, PG, B("-infinity"), B("?") },
	{ "uuid: non-ASCII", VT_OTHER, "uuid", SK_TEXT, MY, B("\xc3\x89"), B("?") },
	{ "SQL field passed as it is", VT_INT4, "integer", SK_UNKNOWN, MY, B("3:a\tb"),
	  B("3:a\tb") },
	{ "SQL field NULL is N", VT_INT4, "integer", SK_UNKNOWN, PG, NULL, 0, B("N") },
};

static void test_odd(void **state)
{
	const odd_case *c = *state;
	column_spec s = spec(c->type, c->type_name, -1, 0, c->src,
			     c->src == SK_DATETIME ? (strchr(c->v ? c->v : "", '.') ? 6 : 0) : 6);
	canon_c_col cc;
	const char *why;
	char *f;
	size_t n;

	(void)canon_c_plan(&s, &cc, &why);
	f = field_of(c->d, &cc, c->v, c->len, &n);
	assert_field(c->d == MY ? "source" : "target", f, n, c->want, c->want_len);
	free(f);
}

/* generated: any text of a text column is its field, as canon_encode_field
 * writes it, on both sides (the copy-free path) */
static void test_text_generated(void **state)
{
	uint64_t seed = 42;
	column_spec s = spec(VT_TEXT, "text", -1, 0, SK_TEXT, 6);
	canon_c_col cc;
	const char *why;

	(void)state;
	assert_true(canon_c_plan(&s, &cc, &why));
	for (int i = 0; i < 2000; i++) {
		char v[300];
		size_t len = (size_t)(unit_rand(&seed) % sizeof(v)), n;
		strbuf want;
		char *f;

		for (size_t j = 0; j < len; j++)
			v[j] = (char)(unit_rand(&seed) & 0xff);
		sb_init(&want, 1);
		canon_encode_field(&want, v, len);
		for (int d = 0; d < 2; d++) {
			f = field_of(d ? PG : MY, &cc, v, len, &n);
			assert_field(d ? "target" : "source", f, n, want.buf, want.len);
			free(f);
		}
		sb_release(&want);
	}
}

int main(void)
{
	unit_list l = { 0 };

	UNIT_ROWS(&l, "canon_c_field: the servers' field", test_pinned, pin_cases);
	UNIT_ROWS(&l, "canon_c_plan", test_plan, plan_cases);
	UNIT_ROWS(&l, "canon_c_field: odd values", test_odd, odd_cases);
	unit_add(&l, "canon_c_field: 2000 generated texts", NULL, test_text_generated, NULL);
	return unit_run(&l, "canon_c", NULL, NULL);
}
