/*
 * test_canon.c: unit tests of canon.c: the canonical-text expressions built
 * for MariaDB and PostgreSQL per target type, the field encoding in C (NULL
 * marker, length prefix) and that it cannot be confused, splitting and key
 * formatting. Whether both databases compute the same text for the same
 * value is tested against the real servers in tests/integration/t60-verify.t.
 */
#include "unit.h"

#include "canon.h"

/* spec: a column_spec as plan.c fills it */
static column_spec spec(value_type type, const char *type_name, int precision, int scale)
{
	column_spec c;

	memset(&c, 0, sizeof(c));
	c.name = (char *)"col";
	c.type_name = (char *)type_name;
	c.type = type;
	c.length = -1;
	c.precision = precision;
	c.scale = scale;
	return c;
}

/* ---- canon_value: the expression per type and dialect ---- */

typedef struct value_case {
	const char *name;
	value_type type;
	const char *type_name;
	int precision, scale;
	canon_dialect d;
	const char *expr;
	const char *want; /* exact expression, or NULL to check only `contains` */
	const char *contains;
} value_case;

#define MY CANON_MARIADB
#define PG CANON_POSTGRES

static const value_case value_cases[] = {
	{ "int4 mariadb", VT_INT4, "integer", -1, 0, MY, "`n`", "CAST(CAST(`n` AS SIGNED) AS CHAR)", NULL },
	{ "int8 postgres", VT_INT8, "bigint", -1, 0, PG, "\"n\"", "\"n\"::text", NULL },
	{ "numeric(10,4) mariadb at the target scale", VT_NUMERIC, "numeric(10,4)", 10, 4, MY, "`cost`",
	  "CAST(CAST(`cost` AS DECIMAL(65,4)) AS CHAR)", NULL },
	{ "numeric(10,4) postgres at the target scale", VT_NUMERIC, "numeric(10,4)", 10, 4, PG,
	  "\"cost\"", "round(\"cost\", 4)::text", NULL },
	{ "numeric(12,0) mariadb", VT_NUMERIC, "numeric(12,0)", 12, 0, MY, "`n`",
	  "CAST(CAST(`n` AS DECIMAL(65,0)) AS CHAR)", NULL },
	{ "unconstrained numeric mariadb trims zeros", VT_NUMERIC, "numeric", -1, 0, MY, "`n`",
	  "TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM CAST(CAST(`n` AS DECIMAL(65,30)) AS CHAR)))",
	  NULL },
	{ "unconstrained numeric postgres trims zeros", VT_NUMERIC, "numeric", -1, 0, PG, "\"n\"",
	  "CASE WHEN strpos(\"n\"::text, '.') > 0 THEN rtrim(rtrim(\"n\"::text, '0'), '.')"
	  " ELSE \"n\"::text END",
	  NULL },
	{ "numeric scale above DECIMAL's 38 compares without trailing zeros", VT_NUMERIC,
	  "numeric(60,40)", 60, 40, MY, "`n`", NULL, "DECIMAL(65,30)" },
	{ "boolean mariadb", VT_BOOL, "boolean", -1, 0, MY, "`b`",
	  "IF(CAST(`b` AS CHAR) IN ('1', 't', 'true'), 't', IF(`b` IS NULL, NULL, 'f'))", NULL },
	{ "boolean postgres keeps NULL", VT_BOOL, "boolean", -1, 0, PG, "\"b\"",
	  "CASE WHEN \"b\" THEN 't' WHEN NOT \"b\" THEN 'f' END", NULL },
	{ "date mariadb", VT_DATE, "date", -1, 0, MY, "`d`", "DATE_FORMAT(`d`, '%Y-%m-%d')", NULL },
	{ "date postgres", VT_DATE, "date", -1, 0, PG, "\"d\"", "to_char(\"d\", 'YYYY-MM-DD')", NULL },
	{ "timestamp mariadb, 6 digits", VT_TIMESTAMP, "timestamp without time zone", -1, 0, MY,
	  "`t`", "DATE_FORMAT(`t`, '%Y-%m-%d %H:%i:%s.%f')", NULL },
	{ "timestamp(3) mariadb rounds like postgres", VT_TIMESTAMP, "timestamp(3) without time zone",
	  -1, 0, MY, "`t`",
	  "RPAD(LEFT(DATE_FORMAT(`t` + INTERVAL IF(`t` < '2000-01-01', 499, 500) MICROSECOND,"
	  " '%Y-%m-%d %H:%i:%s.%f'), 23), 26, '0')",
	  NULL },
	{ "timestamp(0) mariadb", VT_TIMESTAMP, "timestamp(0) without time zone", -1, 0, MY, "`t`",
	  NULL, "IF(`t` < '2000-01-01', 499999, 500000) MICROSECOND" },
	{ "timestamptz postgres in the session zone", VT_TIMESTAMPTZ, "timestamp(3) with time zone",
	  -1, 0, PG, "\"t\"", "to_char(\"t\", 'YYYY-MM-DD HH24:MI:SS.US')", NULL },
	{ "time(3) mariadb", VT_TIME, "time(3) without time zone", -1, 0, MY, "`t`",
	  "RPAD(LEFT(TIME_FORMAT(ADDTIME(`t`, '00:00:00.000500'), '%H:%i:%s.%f'), 12), 15, '0')",
	  NULL },
	{ "time postgres", VT_TIME, "time without time zone", -1, 0, PG, "\"t\"",
	  "to_char(\"t\"::interval, 'HH24:MI:SS.US')", NULL },
	{ "char(n) mariadb without trailing spaces", VT_CHAR, "character(10)", -1, 0, MY, "`c`",
	  "TRIM(TRAILING ' ' FROM CONVERT(`c` USING utf8mb4))", NULL },
	{ "char(n) postgres", VT_CHAR, "character(10)", -1, 0, PG, "\"c\"", "rtrim(\"c\"::text, ' ')",
	  NULL },
	{ "varchar mariadb as utf8mb4", VT_VARCHAR, "character varying(20)", -1, 0, MY, "`v`",
	  "CONVERT(`v` USING utf8mb4)", NULL },
	{ "text postgres", VT_TEXT, "text", -1, 0, PG, "\"v\"", "\"v\"::text", NULL },
	{ "bytea mariadb", VT_BYTEA, "bytea", -1, 0, MY, "`b`", "LOWER(HEX(CAST(`b` AS BINARY)))",
	  NULL },
	{ "bytea postgres", VT_BYTEA, "bytea", -1, 0, PG, "\"b\"", "encode(\"b\", 'hex')", NULL },
	{ "uuid postgres", VT_OTHER, "uuid", -1, 0, PG, "\"u\"", "replace(\"u\"::text, '-', '')",
	  NULL },
	{ "uuid mariadb lowercase without hyphens", VT_OTHER, "uuid", -1, 0, MY, "`u`", NULL,
	  "LOWER(REPLACE(REPLACE(REPLACE(CONVERT(`u` USING utf8mb4), '-', '')" },
	{ "other type postgres as text", VT_OTHER, "inet", -1, 0, PG, "\"i\"", "\"i\"::text", NULL },
	{ "an expression column", VT_INT4, "integer", -1, 0, MY, "(TIMESTAMPDIFF(SECOND, a, b))",
	  "CAST(CAST((TIMESTAMPDIFF(SECOND, a, b)) AS SIGNED) AS CHAR)", NULL },
	{ "float8 mariadb reparses the text sent", VT_FLOAT8, "double precision", -1, 0, MY, "`f`",
	  NULL, "CAST(CAST(CAST(`f` AS CHAR) AS DOUBLE) AS CHAR)" },
	{ "float4 mariadb rounds to float32", VT_FLOAT4, "real", -1, 0, MY, "`f`", NULL,
	  "CAST(CAST(CAST(CAST(CAST(`f` AS CHAR) AS DOUBLE) AS FLOAT) AS DOUBLE) AS CHAR)" },
	{ "float4 postgres widened", VT_FLOAT4, "real", -1, 0, PG, "\"f\"", NULL, "\"f\"::float8::text" },
	{ "float postgres keeps NaN and Infinity", VT_FLOAT8, "double precision", -1, 0, PG, "\"f\"",
	  NULL, "CASE WHEN \"f\"::float8::text !~ '^-?[0-9]' THEN \"f\"::float8::text" },
};

static void test_value(void **state)
{
	const value_case *c = *state;
	column_spec s = spec(c->type, c->type_name, c->precision, c->scale);
	strbuf sb;

	sb_init(&sb, 64);
	canon_value(&sb, c->d, &s, c->expr);
	if (c->want)
		assert_string_equal(sb.buf, c->want);
	if (c->contains && !strstr(sb.buf, c->contains))
		fail_msg("'%s' does not contain '%s'", sb.buf, c->contains);
	sb_release(&sb);
}

/* ---- canon_time_precision, canon_comparable ---- */

typedef struct prec_case {
	const char *name;
	value_type type;
	const char *type_name;
	int want;
} prec_case;

static const prec_case prec_cases[] = {
	{ "timestamp(3)", VT_TIMESTAMP, "timestamp(3) without time zone", 3 },
	{ "timestamp(0)", VT_TIMESTAMP, "timestamp(0) without time zone", 0 },
	{ "timestamp", VT_TIMESTAMP, "timestamp without time zone", 6 },
	{ "timestamptz(6)", VT_TIMESTAMPTZ, "timestamp(6) with time zone", 6 },
	{ "timestamptz(1)", VT_TIMESTAMPTZ, "timestamp(1) with time zone", 1 },
	{ "time(2)", VT_TIME, "time(2) without time zone", 2 },
	{ "time", VT_TIME, "time without time zone", 6 },
	{ "not a time type", VT_NUMERIC, "numeric(3,2)", 6 },
	{ "no type name", VT_TIMESTAMP, NULL, 6 },
	{ "a domain's name", VT_TIMESTAMP, "event_time", 6 },
};

static void test_precision(void **state)
{
	const prec_case *c = *state;
	column_spec s = spec(c->type, c->type_name, -1, 0);
	assert_int_equal(canon_time_precision(&s), c->want);
}

static void test_comparable(void **state)
{
	column_spec jsonb = spec(VT_JSON, "jsonb", -1, 0);
	column_spec json = spec(VT_JSON, "json", -1, 0);
	column_spec text = spec(VT_TEXT, "text", -1, 0);
	(void)state;
	assert_false(canon_comparable(&jsonb));
	assert_true(canon_comparable(&json));
	assert_true(canon_comparable(&text));
}

/* ---- canon_field, canon_concat, md5 and slice ---- */

static column_spec cols3[3];
static char *exprs_my[] = { (char *)"`id`", (char *)"`name`", (char *)"`cost`" };
static char *exprs_pg[] = { (char *)"\"id\"", (char *)"\"name\"", (char *)"\"cost\"" };

static int setup_cols(void **state)
{
	(void)state;
	cols3[0] = spec(VT_INT8, "bigint", -1, 0);
	cols3[1] = spec(VT_TEXT, "text", -1, 0);
	cols3[2] = spec(VT_NUMERIC, "numeric(10,4)", 10, 4);
	return 0;
}

static void test_field(void **state)
{
	column_spec s = spec(VT_TEXT, "text", -1, 0);
	strbuf sb;

	(void)state;
	sb_init(&sb, 64);
	canon_field(&sb, CANON_MARIADB, &s, "`v`");
	assert_string_equal(sb.buf, "IFNULL(CONCAT(LENGTH(CONVERT(`v` USING utf8mb4)),"
				    " ':', CONVERT(`v` USING utf8mb4)), IF(`v` IS NULL, 'N', '?'))");
	sb_reset(&sb);
	canon_field(&sb, CANON_POSTGRES, &s, "\"v\"");
	assert_string_equal(sb.buf, "coalesce(octet_length(\"v\"::text)::text || ':' || \"v\"::text,"
				    " CASE WHEN \"v\" IS NULL THEN 'N' ELSE '?' END)");
	sb_release(&sb);
}

/* a date or timestamp read from a MariaDB date kind has a fixed-length text
 * there: a constant prefix, the text once; other sources measure it, and so
 * does PostgreSQL for years past 9999 and BC */
static void test_field_fixed(void **state)
{
	column_spec ts = spec(VT_TIMESTAMP, "timestamp(3) without time zone", -1, 0);
	column_spec d = spec(VT_DATE, "date", -1, 0);
	column_spec tm = spec(VT_TIME, "time without time zone", -1, 0);
	strbuf sb;

	(void)state;
	ts.src = SK_DATETIME;
	ts.src_frac = 6; /* rounded to the target's 3 digits */
	d.src = SK_DATE;
	tm.src = SK_TIME;
	sb_init(&sb, 256);
	canon_field(&sb, CANON_MARIADB, &ts, "`t`");
	assert_true(strncmp(sb.buf, "IFNULL(CONCAT('26:', RPAD(LEFT(DATE_FORMAT(", 43) == 0);
	assert_null(strstr(sb.buf, "LENGTH("));
	sb_reset(&sb);
	ts.src_frac = 3; /* nothing to round */
	canon_field(&sb, CANON_MARIADB, &ts, "`t`");
	assert_string_equal(sb.buf, "IFNULL(CONCAT('26:', DATE_FORMAT(`t`, '%Y-%m-%d %H:%i:%s.%f')),"
				    " IF(`t` IS NULL, 'N', '?'))");
	ts.src_frac = 6;
	sb_reset(&sb);
	canon_field(&sb, CANON_MARIADB, &d, "`d`");
	assert_string_equal(sb.buf, "IFNULL(CONCAT('10:', DATE_FORMAT(`d`, '%Y-%m-%d')), IF(`d` IS NULL, 'N', '?'))");
	sb_reset(&sb);
	canon_field(&sb, CANON_MARIADB, &tm, "`m`"); /* TIME: hours can be 838 or negative */
	assert_true(strncmp(sb.buf, "IFNULL(CONCAT(LENGTH(", 21) == 0);
	sb_reset(&sb);
	ts.src = SK_TEXT; /* a string read as a timestamp */
	canon_field(&sb, CANON_MARIADB, &ts, "`t`");
	assert_true(strncmp(sb.buf, "IFNULL(CONCAT(LENGTH(", 21) == 0);
	sb_reset(&sb);
	ts.src = SK_DATETIME;
	canon_field(&sb, CANON_POSTGRES, &ts, "\"t\"");
	assert_true(strncmp(sb.buf, "CASE WHEN \"t\" >= '0001-01-01' AND \"t\" < '10000-01-01' THEN '26:' ||"
				    " to_char(\"t\", 'YYYY-MM-DD HH24:MI:SS.US') WHEN \"t\" < '0001-01-01' THEN 'B'"
				    " ELSE coalesce(octet_length(to_char(",
			    177) == 0);
	sb_reset(&sb);
	canon_field(&sb, CANON_POSTGRES, &d, "\"d\"");
	assert_string_equal(sb.buf, "CASE WHEN \"d\" >= '0001-01-01' AND \"d\" < '10000-01-01' THEN '10:' ||"
				    " to_char(\"d\", 'YYYY-MM-DD') WHEN \"d\" < '0001-01-01' THEN 'B' ELSE coalesce(octet_length(to_char(\"d\","
				    " 'YYYY-MM-DD'))::text || ':' || to_char(\"d\", 'YYYY-MM-DD'),"
				    " CASE WHEN \"d\" IS NULL THEN 'N' ELSE '?' END) END");
	sb_reset(&sb);
	ts.type = VT_TIMESTAMPTZ; /* to_char in the session zone: measured */
	canon_field(&sb, CANON_POSTGRES, &ts, "\"t\"");
	assert_true(strncmp(sb.buf, "coalesce(octet_length(to_char(", 30) == 0);
	sb_release(&sb);
}

static void test_concat(void **state)
{
	int idx[] = { 0, 2 };
	strbuf sb;

	(void)state;
	sb_init(&sb, 256);
	canon_concat(&sb, CANON_MARIADB, cols3, exprs_my, idx, 2);
	assert_true(strncmp(sb.buf, "CONCAT(CAST(IFNULL(CONCAT(LENGTH(CAST(CAST(`id`", 47) == 0);
	assert_non_null(strstr(sb.buf, " AS BINARY), CAST(IFNULL(CONCAT(LENGTH(CAST(CAST(`cost`"));
	assert_null(strstr(sb.buf, "`name`"));
	sb_reset(&sb);
	canon_concat(&sb, CANON_POSTGRES, cols3, exprs_pg, idx, 2);
	assert_true(strncmp(sb.buf, "(coalesce(octet_length(\"id\"::text)", 34) == 0);
	assert_non_null(strstr(sb.buf, " END) || coalesce(octet_length(round(\"cost\""));
	sb_release(&sb);
}

static void test_slice(void **state)
{
	int idx[] = { 0, 1, 2 };
	strbuf sb;

	(void)state;
	sb_init(&sb, 256);
	canon_row_slice(&sb, CANON_MARIADB, cols3, exprs_my, idx, 3);
	/* CONV's string result must be CAST to an exact integer, not used in arithmetic */
	assert_true(strncmp(sb.buf, "CAST(CONV(SUBSTR(MD5(CONCAT(", 28) == 0);
	assert_non_null(strstr(sb.buf, ", 1, 15), 16, 10) AS UNSIGNED)"));
	sb_reset(&sb);
	canon_row_slice(&sb, CANON_POSTGRES, cols3, exprs_pg, idx, 3);
	assert_true(strncmp(sb.buf, "('x' || substr(md5((", 20) == 0);
	assert_non_null(strstr(sb.buf, ", 1, 15))::bit(60)::bigint"));
	sb_reset(&sb);
	canon_concat_hex(&sb, CANON_MARIADB, cols3, exprs_my, idx, 1);
	assert_true(strncmp(sb.buf, "LOWER(HEX(CONCAT(", 17) == 0);
	sb_reset(&sb);
	canon_concat_hex(&sb, CANON_POSTGRES, cols3, exprs_pg, idx, 1);
	assert_true(strncmp(sb.buf, "encode(convert_to((", 19) == 0);
	assert_non_null(strstr(sb.buf, ", 'UTF8'), 'hex')"));
	sb_release(&sb);
}

/* ---- the field encoding in C ---- */

typedef struct enc_case {
	const char *name;
	const char *v; /* NULL for SQL NULL */
	size_t n;
	const char *want;
	size_t want_n;
} enc_case;

#define ENC(name, v, want) { name, B(v), B(want) }

static const enc_case enc_cases[] = {
	{ "NULL", NULL, 0, B("N") },
	ENC("empty string is not NULL", "", "0:"),
	ENC("the letter N is not NULL", "N", "1:N"),
	ENC("a question mark", "?", "1:?"),
	ENC("digits and a colon", "12:34", "5:12:34"),
	ENC("utf-8 counts bytes", "caf\xc3\xa9", "5:caf\xc3\xa9"),
	ENC("tab, backslash, quote", "a\t\\\"b", "5:a\t\\\"b"),
	ENC("a NUL byte", "a\0b", "3:a\0b"),
	ENC("ten bytes", "0123456789", "10:0123456789"),
};

static void test_encode(void **state)
{
	const enc_case *c = *state;
	char *v = c->v ? unit_dup(c->v, c->n) : NULL;
	const char *back;
	size_t back_n;
	strbuf sb;

	sb_init(&sb, 16);
	canon_encode_field(&sb, v, c->n);
	assert_int_equal(sb.len, c->want_n);
	assert_memory_equal(sb.buf, c->want, c->want_n);
	assert_int_equal(canon_field_text(sb.buf, sb.len, &back, &back_n), c->v ? 1 : 0);
	if (c->v) {
		assert_int_equal(back_n, c->n);
		assert_memory_equal(back, c->v, c->n);
	}
	sb_release(&sb);
	free(v);
}

typedef struct bad_field_case {
	const char *name;
	const char *f;
	size_t n;
} bad_field_case;

static const bad_field_case bad_field_cases[] = {
	{ "the unknown marker", B("?") },
	{ "empty", B("") },
	{ "no colon", B("12") },
	{ "no length", B(":abc") },
	{ "length too short", B("2:abc") },
	{ "length too long", B("4:abc") },
	{ "NN", B("NN") },
	{ "lowercase n", B("n") },
	{ "huge length", B("99999999999999999999999:x") },
};

static void test_bad_field(void **state)
{
	const bad_field_case *c = *state;
	const char *v;
	size_t n;
	assert_int_equal(canon_field_text(c->f, c->n, &v, &n), -1);
}

/* ---- splitting concatenated fields ---- */

typedef struct split_case {
	const char *name;
	const char *s;
	size_t n;
	int nfields;
	bool ok;
} split_case;

static const split_case split_cases[] = {
	{ "one field", B("3:abc"), 1, true },
	{ "NULL then a value", B("N1:N"), 2, true },
	{ "three", B("1:12:ab?"), 3, true },
	{ "a value that looks like fields", B("5:1:a1:"), 1, true },
	{ "too few", B("1:a"), 2, false },
	{ "too many", B("1:a1:b"), 1, false },
	{ "cut short", B("5:abc"), 1, false },
	{ "garbage", B("x"), 1, false },
	{ "empty, no field", B(""), 1, false },
};

static void test_split(void **state)
{
	const split_case *c = *state;
	const char *f[4];
	size_t l[4];
	assert_int_equal(canon_split_fields(c->s, c->n, c->nfields, f, l), c->ok);
}

/* every list of fields encodes to a string that splits back into exactly
 * that list: no two lists share an encoding */
static void test_round_trip_generated(void **state)
{
	static const char alphabet[] = { 'N', '?', ':', '0', '1', '9', 'a', '\\', '\t', '|', '\0',
					  '\xc3', '\xa9' };
	uint64_t seed = 42;

	(void)state;
	for (int iter = 0; iter < 5000; iter++) {
		int nf = 1 + (int)(unit_rand(&seed) % 4);
		char vals[4][12];
		size_t lens[4];
		bool null[4];
		const char *f[4];
		size_t fl[4];
		strbuf sb;

		sb_init(&sb, 64);
		for (int i = 0; i < nf; i++) {
			null[i] = unit_rand(&seed) % 5 == 0;
			lens[i] = (size_t)(unit_rand(&seed) % 12);
			for (size_t j = 0; j < lens[i]; j++)
				vals[i][j] = alphabet[unit_rand(&seed) % sizeof(alphabet)];
			canon_encode_field(&sb, null[i] ? NULL : vals[i], lens[i]);
		}
		assert_true(canon_split_fields(sb.buf, sb.len, nf, f, fl));
		for (int i = 0; i < nf; i++) {
			const char *v;
			size_t n;
			int r = canon_field_text(f[i], fl[i], &v, &n);
			assert_int_equal(r, null[i] ? 0 : 1);
			if (!null[i]) {
				assert_int_equal(n, lens[i]);
				assert_memory_equal(v, vals[i], n);
			}
		}
		/* one field fewer or more does not parse */
		if (nf > 1)
			assert_false(canon_split_fields(sb.buf, sb.len, nf - 1, f, fl));
		if (nf < 4)
			assert_false(canon_split_fields(sb.buf, sb.len, nf + 1, f, fl));
		sb_release(&sb);
	}
}

/* ---- canon_format_key, canon_add_hex ---- */

static void test_format_key(void **state)
{
	const char *names[] = { "call_id", "leg", "note" };
	const char *fields[] = { "3:123", "N", "5:a\tb\xc3\xa9" };
	size_t lens[] = { 5, 1, 7 };
	strbuf sb;

	(void)state;
	sb_init(&sb, 64);
	canon_format_key(&sb, names, fields, lens, 1);
	assert_string_equal(sb.buf, "call_id=123");
	sb_reset(&sb);
	canon_format_key(&sb, names, fields, lens, 3);
	assert_string_equal(sb.buf, "call_id=123, leg=NULL, note=a\\x09b\xc3\xa9");
	sb_release(&sb);
}

static void test_format_key_long(void **state)
{
	const char *names[] = { "k" };
	char field[512];
	const char *fields[] = { field };
	size_t lens[1];
	strbuf sb;
	int n;

	(void)state;
	/* 199 ASCII bytes then a 2-byte character across the 200-byte cut */
	n = snprintf(field, sizeof(field), "%d:", 199 + 2 + 50);
	memset(field + n, 'x', 199);
	memcpy(field + n + 199, "\xc3\xa9", 2);
	memset(field + n + 201, 'y', 50);
	lens[0] = (size_t)n + 251;
	sb_init(&sb, 64);
	canon_format_key(&sb, names, fields, lens, 1);
	assert_int_equal(sb.len, 2 + 199 + 3);
	assert_string_equal(sb.buf + 2 + 199, "...");
	sb_release(&sb);
}

static void test_hex(void **state)
{
	strbuf sb;

	(void)state;
	sb_init(&sb, 1);
	canon_add_hex(&sb, "\x00\x0f\xa0\xff" "A", 5);
	assert_string_equal(sb.buf, "000fa0ff41");
	sb_release(&sb);
}

int main(void)
{
	unit_list l = { 0 };

	UNIT_ROWS(&l, "canon_value", test_value, value_cases);
	UNIT_ROWS(&l, "canon_time_precision", test_precision, prec_cases);
	unit_add(&l, "canon_comparable: jsonb is not, json and text are", NULL, test_comparable, NULL);
	unit_add(&l, "canon_field: NULL marker and length prefix", NULL, test_field, NULL);
	unit_add(&l, "canon_field: fixed-length MariaDB dates and timestamps", NULL, test_field_fixed,
		 NULL);
	unit_add(&l, "canon_concat: binary pieces in MariaDB, || in PostgreSQL", NULL, test_concat,
		 NULL);
	unit_add(&l, "canon_row_slice: exact integers on both sides", NULL, test_slice, NULL);
	UNIT_ROWS(&l, "canon_encode_field", test_encode, enc_cases);
	UNIT_ROWS(&l, "canon_field_text: malformed", test_bad_field, bad_field_cases);
	UNIT_ROWS(&l, "canon_split_fields", test_split, split_cases);
	unit_add(&l, "fields: 5000 generated lists round-trip", NULL, test_round_trip_generated, NULL);
	unit_add(&l, "canon_format_key", NULL, test_format_key, NULL);
	unit_add(&l, "canon_format_key: long value cut on a character boundary", NULL,
		 test_format_key_long, NULL);
	unit_add(&l, "canon_add_hex", NULL, test_hex, NULL);
	return unit_run(&l, "canon", setup_cols, NULL);
}
