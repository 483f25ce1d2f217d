/*
 * test_encode_binary.c: unit tests of encode_binary.c and copy_format.c: each
 * binary encoder against the bytes PostgreSQL's own send function gives for
 * the same value (int4send, numeric_send, timestamp_send, array_send...,
 * taken from a PostgreSQL 15 server), the texts each refuses, the header and
 * trailer, which target types a table is sent in binary for, and the row
 * encoding with its kept values re-encoded as the very COPY text.
 */
#include "unit.h"

#include "chunk.h"
#include "copy_format.h"
#include "encode_binary.h"
#include "typemap.h"

typedef struct bin_case {
	const char *name;
	bin_kind kind;
	const char *in;
	const char *hex; /* the field's bytes after its length; NULL: refused */
} bin_case;

static const bin_case cases[] = {
	{ "int2 minimum", BK_INT2, "-32768", "8000" },
	{ "int2 plus sign and leading zeros", BK_INT2, "+007", "0007" },
	{ "int2 above the range", BK_INT2, "32768", NULL },
	{ "int2 below the range", BK_INT2, "-32769", NULL },
	{ "int2 a decimal", BK_INT2, "1.0", NULL },
	{ "int2 empty", BK_INT2, "", NULL },
	{ "int2 a sign alone", BK_INT2, "-", NULL },
	{ "int4 minimum", BK_INT4, "-2147483648", "80000000" },
	{ "int4 maximum", BK_INT4, "2147483647", "7fffffff" },
	{ "int4 leading zeros (ZEROFILL)", BK_INT4, "0042", "0000002a" },
	{ "int4 above the range", BK_INT4, "2147483648", NULL },
	{ "int4 a space", BK_INT4, " 1", NULL },
	{ "int8 minimum", BK_INT8, "-9223372036854775808", "8000000000000000" },
	{ "int8 maximum", BK_INT8, "9223372036854775807", "7fffffffffffffff" },
	{ "int8 above the range", BK_INT8, "9223372036854775808", NULL },
	{ "int8 below the range", BK_INT8, "-9223372036854775809", NULL },
	{ "int8 twenty digits", BK_INT8, "18446744073709551615", NULL },
	{ "float4 0.1", BK_FLOAT4, "0.1", "3dcccccd" },
	{ "float4 maximum", BK_FLOAT4, "3.4028235e38", "7f7fffff" },
	{ "float4 negative zero", BK_FLOAT4, "-0", "80000000" },
	{ "float4 inf", BK_FLOAT4, "inf", "7f800000" },
	{ "float4 smallest denormal", BK_FLOAT4, "1.4e-45", "00000001" },
	{ "float4 NaN is PostgreSQL's NaN", BK_FLOAT4, "NaN", "7fc00000" },
	{ "float4 overflow", BK_FLOAT4, "1e39", NULL },
	{ "float4 underflow to zero", BK_FLOAT4, "1e-46", NULL },
	{ "float8 0.30000000000000004", BK_FLOAT8, "0.30000000000000004", "3fd3333333333334" },
	{ "float8 maximum", BK_FLOAT8, "1.7976931348623157e308", "7fefffffffffffff" },
	{ "float8 -inf", BK_FLOAT8, "-inf", "fff0000000000000" },
	{ "float8 NaN", BK_FLOAT8, "NaN", "7ff8000000000000" },
	{ "float8 hex as strtod reads it", BK_FLOAT8, "0x10", "4030000000000000" },
	{ "float8 overflow", BK_FLOAT8, "1e309", NULL },
	{ "float8 not a number", BK_FLOAT8, "abc", NULL },
	{ "float8 leading space", BK_FLOAT8, " 1", NULL },
	{ "float8 trailing space", BK_FLOAT8, "1 ", NULL },
	{ "bool 1", BK_BOOL, "1", "01" },
	{ "bool t", BK_BOOL, "t", "01" },
	{ "bool true", BK_BOOL, "true", "01" },
	{ "bool 0", BK_BOOL, "0", "00" },
	{ "bool f", BK_BOOL, "f", "00" },
	{ "bool false", BK_BOOL, "false", "00" },
	{ "bool 2", BK_BOOL, "2", NULL },
	{ "bool yes", BK_BOOL, "yes", NULL },
	{ "raw text with a tab and a backslash", BK_RAW, "a\tb\\", "6109625c" },
	{ "raw empty", BK_RAW, "", "" },
	{ "jsonb", BK_JSONB, "[]", "015b5d" },
	{ "numeric zero", BK_NUMERIC, "0", "0000000000000000" },
	{ "numeric 1.50 keeps its scale", BK_NUMERIC, "1.50", "000200000000000200011388" },
	{ "numeric negative", BK_NUMERIC, "-12345678.9", "000300014000000104d2162e2328" },
	{ "numeric exponent", BK_NUMERIC, "1.5e3", "000100000000000005dc" },
	{ "numeric negative exponent", BK_NUMERIC, "15e-1", "000200000000000100011388" },
	{ "numeric 0.0001", BK_NUMERIC, "0.0001", "0001ffff000000040001" },
	{ "numeric negative zero is zero", BK_NUMERIC, "-0.00", "0000000000000002" },
	{ "numeric BIGINT UNSIGNED maximum", BK_NUMERIC, "18446744073709551615",
	  "000500040000000007341a5802e103bb064f" },
	{ "numeric trailing zero groups", BK_NUMERIC, "100000000", "00010002000000000001" },
	{ "numeric .5", BK_NUMERIC, ".5", "0001ffff000000011388" },
	{ "numeric 5.", BK_NUMERIC, "5.", "00010000000000000005" },
	{ "numeric 0.000000001", BK_NUMERIC, "0.000000001", "0001fffd0000000903e8" },
	{ "numeric decimal(65,30)", BK_NUMERIC,
	  "-12345678901234567890123456789012345.123456789012345678901234567890",
	  "001100084000001e007b11d722c509291a85007b11d722c5092904d2162e23340d801ed204d2162e2328" },
	{ "numeric 1E-3", BK_NUMERIC, "1E-3", "0001ffff00000003000a" },
	{ "numeric leading and trailing zeros", BK_NUMERIC, "00012.3400", "0002000000000004000c0d48" },
	{ "numeric not a number", BK_NUMERIC, "abc", NULL },
	{ "numeric NaN", BK_NUMERIC, "NaN", NULL },
	{ "numeric exponent without digits", BK_NUMERIC, "1e", NULL },
	{ "numeric two points", BK_NUMERIC, "1.2.3", NULL },
	{ "date epoch", BK_DATE, "2000-01-01", "00000000" },
	{ "date the day before", BK_DATE, "1999-12-31", "ffffffff" },
	{ "date 0001-01-01", BK_DATE, "0001-01-01", "fff4dbf9" },
	{ "date 9999-12-31", BK_DATE, "9999-12-31", "002c95d3" },
	{ "date with a zero time", BK_DATE, "2024-02-29 00:00:00", "00002279" },
	{ "date with a time", BK_DATE, "2024-01-01 10:00:00", NULL },
	{ "date not in the calendar", BK_DATE, "2024-02-30", NULL },
	{ "date zero", BK_DATE, "0000-00-00", NULL },
	{ "timestamp epoch", BK_TIMESTAMP, "2000-01-01 00:00:00", "0000000000000000" },
	{ "timestamp half a second", BK_TIMESTAMP, "2025-11-02 10:00:00.5", "0002e5986e39e920" },
	{ "timestamp 1970 with a T", BK_TIMESTAMP, "1970-01-01T00:00:01", "fffca2fec4d76240" },
	{ "timestamp year 1", BK_TIMESTAMP, "0001-01-01 00:00:00", "ff1fe2ffc59c6000" },
	{ "timestamp the last microsecond", BK_TIMESTAMP, "9999-12-31 23:59:59.999999",
	  "0380e70b913b7fff" },
	{ "timestamp of a date", BK_TIMESTAMP, "2025-11-02", "0002e5900c6de000" },
	{ "timestamp 24:00", BK_TIMESTAMP, "2025-11-02 24:00:00", NULL },
	{ "timestamp seven fraction digits", BK_TIMESTAMP, "2025-11-02 10:00:00.1234567", NULL },
	{ "timestamp an hour 25", BK_TIMESTAMP, "2025-11-02 25:00:00", NULL },
	{ "time last microsecond", BK_TIME, "23:59:59.999999", "000000141dd75fff" },
	{ "time midnight", BK_TIME, "00:00:00", "0000000000000000" },
	{ "time 24:00:00", BK_TIME, "24:00:00", "000000141dd76000" },
	{ "time one hour digit", BK_TIME, "1:02:03", "00000000dde878c0" },
	{ "time past 24:00", BK_TIME, "24:00:01", NULL },
	{ "time MariaDB's 100 hours", BK_TIME, "100:00:00", NULL },
	{ "time negative", BK_TIME, "-01:00:00", NULL },
	{ "bit 00101", BK_BIT, "00101", "0000000528" },
	{ "bit empty", BK_BIT, "", "00000000" },
	{ "bit nine bits", BK_BIT, "111111111", "00000009ff80" },
	{ "bit not binary digits", BK_BIT, "012", NULL },
	{ "text[] of a SET", BK_SET_TEXT_ARRAY, "x,z",
	  "00000001000000000000001900000002000000010000000178000000017a" },
	{ "text[] of the empty SET", BK_SET_TEXT_ARRAY, "", "000000000000000000000019" },
	{ "text[] members with a space and a quote", BK_SET_TEXT_ARRAY, "p q,r\"s",
	  "00000001000000000000001900000002000000010000000370207100000003722273" },
	{ "text[] of empty members (the bound's worst case)", BK_SET_TEXT_ARRAY, ",",
	  "000000010000000000000019000000020000000100000000" "00000000" },
	{ "varchar[] of a SET", BK_SET_VARCHAR_ARRAY, "a",
	  "00000001000000000000041300000001000000010000000161" },
};

static void hex_of(strbuf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_addf(out, "%02x", (unsigned char)s[i]);
}

static void test_value(void **state)
{
	const bin_case *c = *state;
	size_t len = strlen(c->in);
	char *in = unit_dup(c->in, len); /* no NUL after it */
	strbuf sb, hex;
	bool ok;

	sb_init(&sb, 0);
	sb_init(&hex, 0);
	sb_add(&sb, "x", 1); /* what was there before stays */
	ok = bin_add_value(&sb, c->kind, in, len);
	if (!c->hex) {
		assert_false(ok);
		assert_int_equal(sb.len, 1);
	} else {
		assert_true(ok);
		assert_true(sb.len >= 5);
		assert_true(sb.len - 1 <= bin_value_bound(c->kind, in, len)); /* the room it asks for */
		hex_of(&hex, sb.buf + 1, 4);
		char want_len[16];
		snprintf(want_len, sizeof(want_len), "%08zx", strlen(c->hex) / 2);
		assert_string_equal(hex.buf, want_len);
		sb_reset(&hex);
		hex_of(&hex, sb.buf + 5, sb.len - 5);
		assert_string_equal(hex.buf, c->hex);
	}
	free(in);
	sb_release(&sb);
	sb_release(&hex);
}

static void test_null_header_trailer(void **state)
{
	strbuf sb, hex;
	(void)state;

	sb_init(&sb, 0);
	sb_init(&hex, 0);
	bin_add_header(&sb);
	assert_true(bin_add_value(&sb, BK_INT4, NULL, 0));
	bin_add_trailer(&sb);
	hex_of(&hex, sb.buf, sb.len);
	/* PGCOPY\n\377\r\n\0, flags 0, extension 0, a NULL, then -1 */
	assert_string_equal(hex.buf, "5047434f50590aff0d0a00" "00000000" "00000000" "ffffffff" "ffff");
	sb_release(&sb);
	sb_release(&hex);
}

typedef struct kind_case {
	const char *name;
	value_type type;
	const char *type_name;
	source_kind src;
	bin_kind kind; /* BK_NONE: the table stays text */
} kind_case;

static const kind_case kind_cases[] = {
	{ "integer", VT_INT4, "integer", SK_INT, BK_INT4 },
	{ "a domain over integer", VT_INT4, "positive_int", SK_INT, BK_NONE },
	{ "numeric(10,4)", VT_NUMERIC, "numeric(10,4)", SK_DECIMAL, BK_NUMERIC },
	{ "varchar(20)", VT_VARCHAR, "character varying(20)", SK_TEXT, BK_RAW },
	{ "char(5)", VT_CHAR, "character(5)", SK_TEXT, BK_RAW },
	{ "citext", VT_TEXT, "citext", SK_TEXT, BK_NONE },
	{ "json", VT_JSON, "json", SK_TEXT, BK_RAW },
	{ "jsonb", VT_JSON, "jsonb", SK_TEXT, BK_JSONB },
	{ "timestamp(3)", VT_TIMESTAMP, "timestamp(3) without time zone", SK_DATETIME, BK_TIMESTAMP },
	{ "timestamptz of a TIMESTAMP", VT_TIMESTAMPTZ, "timestamp with time zone", SK_TIMESTAMP,
	  BK_TIMESTAMP },
	{ "timestamptz of a DATETIME in UTC", VT_TIMESTAMPTZ, "timestamp(6) with time zone",
	  SK_DATETIME, BK_TIMESTAMP },
	{ "time(6)", VT_TIME, "time(6) without time zone", SK_TIME, BK_TIME },
	{ "timetz", VT_OTHER, "time with time zone", SK_TIME, BK_NONE },
	{ "bit(5)", VT_BIT, "bit(5)", SK_BIT, BK_BIT },
	{ "varbit", VT_BIT, "bit varying(8)", SK_BIT, BK_BIT },
	{ "text[] of a SET", VT_TEXT_ARRAY, "text[]", SK_SET, BK_SET_TEXT_ARRAY },
	{ "varchar(9)[] of a SET", VT_TEXT_ARRAY, "character varying(9)[]", SK_SET,
	  BK_SET_VARCHAR_ARRAY },
	{ "text[] of a text column", VT_TEXT_ARRAY, "text[]", SK_TEXT, BK_NONE },
	{ "uuid", VT_OTHER, "uuid", SK_TEXT, BK_NONE },
	{ "an enum", VT_OTHER, "mood", SK_TEXT, BK_NONE },
};

static void test_kind(void **state)
{
	const kind_case *k = *state;
	column_spec c = { .name = "c", .type_name = (char *)k->type_name, .type = k->type,
			  .src = k->src };
	const char *why = NULL;

	assert_int_equal(copy_bin_kind(&c, &why), k->kind);
	if (k->kind == BK_NONE)
		assert_non_null(why);
}

static void test_timestamptz_outside_utc(void **state)
{
	column_spec naive = { .name = "c", .type_name = "timestamp with time zone",
			      .type = VT_TIMESTAMPTZ, .src = SK_DATETIME };
	column_spec instant = naive;
	const char *why = NULL;
	(void)state;

	instant.src = SK_TIMESTAMP;
	assert_true(zone_set("Europe/Madrid"));
	assert_int_equal(copy_bin_kind(&naive, &why), BK_NONE);
	assert_non_null(strstr(why, "timestamptz"));
	assert_int_equal(copy_bin_kind(&instant, &why), BK_TIMESTAMP);
	assert_true(zone_set("UTC"));
	assert_int_equal(copy_bin_kind(&naive, &why), BK_TIMESTAMP);
}

/* a row in binary, its kept values back as the text typemap_copy_value writes */
static void test_row_round_trip(void **state)
{
	column_spec cols[] = {
		{ .name = "id", .type_name = "bigint", .type = VT_INT8, .src = SK_INT },
		{ .name = "t", .type_name = "text", .type = VT_TEXT, .src = SK_TEXT },
		{ .name = "b", .type_name = "bytea", .type = VT_BYTEA, .src = SK_BINARY },
		{ .name = "tz", .type_name = "timestamp with time zone", .type = VT_TIMESTAMPTZ,
		  .src = SK_TIMESTAMP },
		{ .name = "s", .type_name = "text[]", .type = VT_TEXT_ARRAY, .src = SK_SET },
	};
	char *rows[2][5] = { { "1", "a\tb\\c\nd", "\0\n", "2025-01-01 00:00:00.5", "x,y" },
			     { "-2", NULL, "", NULL, "" } };
	unsigned long lens[2][5] = { { 1, 7, 2, 21, 3 }, { 2, 0, 0, 0, 0 } };
	copy_format f;
	strbuf data, keep, text, want;
	size_t row_end[2];
	(void)state;

	copy_format_init(&f, cols, 5, "COPY t (id, t, b, tz, s) FROM STDIN", "t", "2025-01-01T00:00:00");
	assert_non_null(f.kinds);
	assert_string_equal(f.binary_sql, "COPY t (id, t, b, tz, s) FROM STDIN (FORMAT binary)");
	sb_init(&data, 0);
	sb_init(&keep, 0);
	sb_init(&text, 0);
	sb_init(&want, 0);
	for (int r = 0; r < 2; r++) {
		assert_true(copy_binary_row(&data, &keep, &f, rows[r], lens[r]));
		copy_text_row(&want, &f, rows[r], lens[r]);
	}
	/* a value without a binary form leaves both buffers as they were */
	size_t data_len = data.len, keep_len = keep.len;
	char *bad[5] = { "x", NULL, NULL, NULL, NULL };
	unsigned long bad_lens[5] = { 1, 0, 0, 0, 0 };
	assert_false(copy_binary_row(&data, &keep, &f, bad, bad_lens));
	assert_int_equal(data.len, data_len);
	assert_int_equal(keep.len, keep_len);

	copy_kept_to_text(&text, row_end, &f, &keep, 2);
	assert_int_equal(text.len, want.len);
	assert_memory_equal(text.buf, want.buf, want.len);
	assert_int_equal(row_end[1], text.len);
	assert_int_equal(text.buf[row_end[0] - 1], '\n');
	/* the first row's binary form: 5 fields, bigint 1 first */
	assert_memory_equal(data.buf, "\0\5\0\0\0\x08\0\0\0\0\0\0\0\1", 14);
	copy_format_release(&f);
	sb_release(&data);
	sb_release(&keep);
	sb_release(&text);
	sb_release(&want);
}

static void test_text_table(void **state)
{
	column_spec cols[] = {
		{ .name = "id", .type_name = "bigint", .type = VT_INT8, .src = SK_INT },
		{ .name = "u", .type_name = "uuid", .type = VT_OTHER, .src = SK_TEXT },
	};
	copy_format f;
	(void)state;

	copy_format_init(&f, cols, 2, "COPY t (id, u) FROM STDIN", "t", "2025-01-01T00:00:00");
	assert_null(f.kinds);
	assert_null(f.binary_sql);
	copy_format_release(&f);
}

int main(void)
{
	unit_list l = { 0 };

	UNIT_ROWS(&l, "bin_add_value", test_value, cases);
	unit_add(&l, "header, NULL and trailer", NULL, test_null_header_trailer, NULL);
	UNIT_ROWS(&l, "copy_bin_kind", test_kind, kind_cases);
	unit_add(&l, "copy_bin_kind: timestamptz outside UTC", NULL, test_timestamptz_outside_utc, NULL);
	unit_add(&l, "copy_binary_row: kept values re-encode as the same text", NULL,
		 test_row_round_trip, NULL);
	unit_add(&l, "copy_format_init: a uuid column keeps the table text", NULL, test_text_table,
		 NULL);
	return unit_run(&l, "encode_binary", NULL, NULL);
}
