/*
 * test_typemap.c: unit tests of typemap.c (which source type loads into which
 * target type, the SELECT expressions, value conversion and COPY encoding),
 * of the zero-date and time zone checks of validate.c, and of the zone
 * functions of chunk.c, on the clock changes of Europe/Madrid and
 * America/New_York.
 */
#include "unit.h"

#include "chunk.h"
#include "typemap.h"
#include "validate.h"

/* ---- typemap_check: the compatibility table ---- */

typedef struct compat_case {
	const char *name;
	const char *data_type, *column_type, *pg_type;
	bool ok;
} compat_case;

static const compat_case compat_cases[] = {
	{ "bigint unsigned into numeric", "bigint", "bigint(20) unsigned", "numeric", true },
	{ "tinyint(1) into boolean", "tinyint", "tinyint(1)", "bool", true },
	{ "bit(1) into boolean", "bit", "bit(1)", "bool", true },
	{ "bit(3) into boolean", "bit", "bit(3)", "bool", false },
	{ "bit(5) into bit", "bit", "bit(5)", "bit", true },
	{ "bit(64) into bigint", "bit", "bit(64)", "int8", true },
	{ "decimal into numeric", "decimal", "decimal(65,30)", "numeric", true },
	{ "float into real", "float", "float", "float4", true },
	{ "double into date", "double", "double", "date", false },
	{ "datetime into timestamptz", "datetime", "datetime(6)", "timestamptz", true },
	{ "datetime into boolean", "datetime", "datetime", "bool", false },
	{ "date into integer", "date", "date", "int4", false },
	{ "time into time", "time", "time(6)", "time", true },
	{ "year into smallint", "year", "year(4)", "int2", true },
	{ "varchar into integer", "varchar", "varchar(10)", "int4", false },
	{ "text into jsonb", "longtext", "longtext", "jsonb", true },
	{ "enum into text", "enum", "enum('a','b')", "text", true },
	{ "set into text[]", "set", "set('a','b')", "_text", true },
	{ "varchar into text[]", "varchar", "varchar(5)", "_text", false },
	{ "blob into bytea", "blob", "blob", "bytea", true },
	{ "blob into integer", "blob", "blob", "int4", false },
	{ "int into uuid (the target decides)", "int", "int(11)", "uuid", true },
	{ "geometry into text (unknown source)", "geometry", "geometry", "int4", true },
	{ "an expression into anything", NULL, NULL, "bool", true },
};

static void test_compat(void **state)
{
	const compat_case *k = *state;
	column_spec c = { 0 };

	column_spec_set_type(&c, k->pg_type, -1);
	assert_int_equal(typemap_check(&c, k->data_type, k->column_type, false), k->ok);
}

/* ---- typemap_target_type: what etlre ddl writes ---- */

typedef struct target_case {
	const char *name;
	const char *data_type, *column_type;
	const char *want;    /* NULL: no mapping */
	const char *typname; /* pg_type.typname of want, to check that it loads */
} target_case;

static const target_case target_cases[] = {
	{ "tinyint", "tinyint", "tinyint(4)", "smallint", "int2" },
	{ "tinyint unsigned", "tinyint", "tinyint(3) unsigned", "smallint", "int2" },
	{ "tinyint(1) is boolean", "tinyint", "tinyint(1)", "boolean", "bool" },
	{ "smallint unsigned", "smallint", "smallint(5) unsigned", "integer", "int4" },
	{ "mediumint unsigned", "mediumint", "mediumint(8) unsigned", "integer", "int4" },
	{ "int", "int", "int(11)", "integer", "int4" },
	{ "int unsigned", "int", "int(10) unsigned", "bigint", "int8" },
	{ "int unsigned zerofill", "int", "int(10) unsigned zerofill", "bigint", "int8" },
	{ "bigint", "bigint", "bigint(20)", "bigint", "int8" },
	{ "bigint unsigned", "bigint", "bigint(20) unsigned", "numeric(20,0)", "numeric" },
	{ "decimal(65,30)", "decimal", "decimal(65,30)", "numeric(65,30)", "numeric" },
	{ "decimal(10,2) unsigned", "decimal", "decimal(10,2) unsigned", "numeric(10,2)", "numeric" },
	{ "decimal(5)", "decimal", "decimal(5)", "numeric(5,0)", "numeric" },
	{ "float", "float", "float", "real", "float4" },
	{ "double", "double", "double", "double precision", "float8" },
	{ "bit(1)", "bit", "bit(1)", "boolean", "bool" },
	{ "bit(5)", "bit", "bit(5)", "bit(5)", "bit" },
	{ "date", "date", "date", "date", "date" },
	{ "datetime", "datetime", "datetime", "timestamp(0)", "timestamp" },
	{ "datetime(6)", "datetime", "datetime(6)", "timestamp(6)", "timestamp" },
	{ "timestamp", "timestamp", "timestamp", "timestamptz(0)", "timestamptz" },
	{ "timestamp(3)", "timestamp", "timestamp(3)", "timestamptz(3)", "timestamptz" },
	{ "time(6)", "time", "time(6)", "time(6)", "time" },
	{ "year", "year", "year(4)", "smallint", "int2" },
	{ "char(5)", "char", "char(5)", "varchar(5)", "varchar" },
	{ "varchar(20)", "varchar", "varchar(20)", "varchar(20)", "varchar" },
	{ "text", "text", "text", "text", "text" },
	{ "longtext", "longtext", "longtext", "text", "text" },
	{ "enum", "enum", "enum('a','b')", "text", "text" },
	{ "set", "set", "set('a','b')", "text", "text" },
	{ "json", "json", "json", "jsonb", "jsonb" },
	{ "binary(4)", "binary", "binary(4)", "bytea", "bytea" },
	{ "longblob", "longblob", "longblob", "bytea", "bytea" },
	{ "point: no mapping", "point", "point", NULL, NULL },
	{ "geometry: no mapping", "geometry", "geometry", NULL, NULL },
};

/* test_target_type: the type, and that the typemap_check accepts it (what
 * ddl creates, process loads) */
static void test_target_type(void **state)
{
	const target_case *k = *state;
	column_spec c = { 0 };
	strbuf sb;

	sb_init(&sb, 32);
	assert_int_equal(typemap_target_type(&sb, k->data_type, k->column_type), k->want != NULL);
	assert_string_equal(sb.buf, k->want ? k->want : "");
	sb_release(&sb);
	if (!k->typname)
		return;
	column_spec_set_type(&c, k->typname, -1);
	assert_true(typemap_check(&c, k->data_type, k->column_type, false));
}

static void test_unmapped_expr(void **state)
{
	(void)state;
	assert_string_equal(typemap_unmapped_expr("point"), "ST_AsText(%s)");
	assert_string_equal(typemap_unmapped_expr("MULTIPOLYGON"), "ST_AsText(%s)");
	assert_string_equal(typemap_unmapped_expr("inet6"), "CAST(%s AS CHAR)");
}

/* ---- typemap_select_expr ---- */

typedef struct expr_case {
	const char *name;
	const char *data_type, *column_type, *pg_type;
	bool not_null;
	const char *want;
	const char *load_want; /* typemap_load_expr's, when it differs */
} expr_case;

static const expr_case expr_cases[] = {
	{ "float: as a double", "float", "float", "float4", false, "CAST(`x` AS DOUBLE)", NULL },
	{ "bit(1) into boolean: a number", "bit", "bit(1)", "bool", false, "(`x` + 0)", NULL },
	{ "bit(5) into bit: binary digits", "bit", "bit(5)", "bit", false, "LPAD(BIN(`x`), 5, '0')", NULL },
	{ "nullable date: zero dates NULL", "date", "date", "date", false,
	  "IF(YEAR(`x`) = 0 OR MONTH(`x`) = 0 OR DAYOFMONTH(`x`) = 0, NULL, `x`)", "`x`" },
	{ "nullable datetime: zero dates NULL", "datetime", "datetime", "timestamp", false,
	  "IF(YEAR(`x`) = 0 OR MONTH(`x`) = 0 OR DAYOFMONTH(`x`) = 0, NULL, `x`)", "`x`" },
	{ "NOT NULL date: as it is", "date", "date", "date", true, "`x`", NULL },
	{ "int: as it is", "int", "int(11)", "int4", false, "`x`", NULL },
};

static void test_select_expr(void **state)
{
	const expr_case *k = *state;
	column_spec c = { 0 };
	strbuf sb;

	column_spec_set_type(&c, k->pg_type, -1);
	c.not_null = k->not_null;
	assert_true(typemap_check(&c, k->data_type, k->column_type, false));
	sb_init(&sb, 64);
	typemap_select_expr(&sb, &c, "`x`");
	assert_string_equal(sb.buf, k->want);
	sb_release(&sb);
	sb_init(&sb, 64);
	typemap_load_expr(&sb, &c, "`x`");
	assert_string_equal(sb.buf, k->load_want ? k->load_want : k->want);
	sb_release(&sb);
}

/* ---- float_shortest ---- */

typedef struct float_case {
	const char *name;
	const char *in, *want;
} float_case;

static const float_case float_cases[] = {
	{ "0.1", "0.10000000149011612", "0.1" },
	{ "1.0000001", "1.0000001192092896", "1.0000001" },
	{ "16777216", "16777216", "16777216" },
	{ "float max", "3.4028234663852886e38", "3.4028235e+38" },
	{ "smallest denormal", "1.401298464324817e-45", "1e-45" },
	{ "negative", "-2.5", "-2.5" },
	{ "zero", "0", "0" },
};

static void test_float_shortest(void **state)
{
	const float_case *k = *state;
	char out[TYPEMAP_SCRATCH];

	assert_true(float_shortest(k->in, strlen(k->in), out, sizeof(out)));
	assert_string_equal(out, k->want);
}

static void test_float_shortest_not_a_number(void **state)
{
	char out[TYPEMAP_SCRATCH];

	(void)state;
	assert_false(float_shortest("abc", 3, out, sizeof(out)));
	assert_false(float_shortest("", 0, out, sizeof(out)));
}

/* ---- typemap_convert + typemap_copy_value + validate_value ---- */

typedef struct value_case {
	const char *name;
	const char *zone;
	const char *data_type, *column_type, *pg_type;
	bool not_null, zero_dates_reject;
	const char *in;
	size_t in_len;
	const char *copy; /* COPY text, or NULL when invalid */
	const char *rule; /* the broken rule when invalid */
} value_case;

#define V(name, zone, dt, ct, pg, nn, rej, in, copy, rule) \
	{ name, zone, dt, ct, pg, nn, rej, in, sizeof(in) - 1, copy, rule }

static const value_case value_cases[] = {
	V("zero date: NULL", "UTC", "date", "date", "date", false, false, "0000-00-00", "\\N", NULL),
	V("zero-in-date: NULL", "UTC", "date", "date", "date", false, false, "2024-00-15", "\\N", NULL),
	V("zero day in a datetime: NULL", "UTC", "datetime", "datetime", "timestamp", false, false,
	  "2024-05-00 10:00:00", "\\N", NULL),
	V("zero date, NOT NULL: invalid", "UTC", "date", "date", "date", true, false, "0000-00-00", NULL,
	  "zero date"),
	V("zero date, zero_dates = reject: invalid", "UTC", "date", "date", "date", false, true,
	  "0000-00-00", NULL, "zero date"),
	V("zero date into text: NULL too", "UTC", "date", "date", "text", false, false, "0000-00-00",
	  "\\N", NULL),
	V("a real date", "UTC", "date", "date", "date", true, true, "2024-02-29", "2024-02-29", NULL),
	V("float into text: shortest", "UTC", "float", "float", "text", false, false,
	  "0.10000000149011612", "0.1", NULL),
	V("float into double: exact", "UTC", "float", "float", "float8", false, false,
	  "0.10000000149011612", "0.10000000149011612", NULL),
	V("float into numeric(3,1): shortest fits", "UTC", "float", "float", "numeric", false, false,
	  "0.10000000149011612", "0.1", NULL),
	V("timestamp into timestamptz: UTC instant", "Europe/Madrid", "timestamp", "timestamp(6)",
	  "timestamptz", false, false, "2025-10-26 00:30:00.25", "2025-10-26 00:30:00.25+00", NULL),
	V("timestamp into timestamp: wall clock (summer)", "Europe/Madrid", "timestamp", "timestamp(6)",
	  "timestamp", false, false, "2025-10-26 00:30:00.25", "2025-10-26 02:30:00.25", NULL),
	V("timestamp into timestamp: wall clock (winter)", "Europe/Madrid", "timestamp", "timestamp",
	  "timestamp", false, false, "2025-10-26 01:30:00", "2025-10-26 02:30:00", NULL),
	V("timestamp in UTC: as it is", "UTC", "timestamp", "timestamp", "timestamp", false, false,
	  "2025-10-26 01:30:00", "2025-10-26 01:30:00", NULL),
	V("datetime the clocks skipped: invalid", "Europe/Madrid", "datetime", "datetime",
	  "timestamptz", false, false, "2025-03-30 02:30:00", NULL, "time zone"),
	V("datetime the clocks skipped into timestamp: fine", "Europe/Madrid", "datetime", "datetime",
	  "timestamp", false, false, "2025-03-30 02:30:00", "2025-03-30 02:30:00", NULL),
	V("datetime repeated by the clocks: fine", "America/New_York", "datetime", "datetime",
	  "timestamptz", false, false, "2025-11-02 01:30:00", "2025-11-02 01:30:00", NULL),
	V("set into text[]", "UTC", "set", "set('a b','c\"d')", "_text", false, false, "a b,c\"d",
	  "{\"a b\",\"c\\\\\"d\"}", NULL),
	V("empty set into text[]", "UTC", "set", "set('a')", "_text", false, false, "", "{}", NULL),
	V("set with a backslash into text[]", "UTC", "set", "set('a\\\\b')", "_text", false, false,
	  "a\\b", "{\"a\\\\\\\\b\"}", NULL),
	V("blob into bytea", "UTC", "blob", "blob", "bytea", false, false, "\x00\x0a\\", "\\\\x000a5c",
	  NULL),
	V("NUL in text: invalid", "UTC", "text", "text", "text", false, false, "a\0b", NULL, "utf8"),
	V("tab, newline, CR, backslash escaped", "UTC", "text", "text", "text", false, false,
	  "a\tb\nc\rd\\", "a\\tb\\nc\\rd\\\\", NULL),
	V("bit digits into bit", "UTC", "bit", "bit(5)", "bit", false, false, "00101", "00101", NULL),
	V("tinyint(1) 2 into boolean: invalid", "UTC", "tinyint", "tinyint(1)", "bool", false, false,
	  "2", NULL, "boolean"),
	V("bigint unsigned max into bigint: invalid", "UTC", "bigint", "bigint(20) unsigned", "int8",
	  false, false, "18446744073709551615", NULL, "bigint range"),
};

static void test_value(void **state)
{
	const value_case *k = *state;
	column_spec c = { 0 };
	char scratch[TYPEMAP_SCRATCH];
	char rule[64], reason[256];
	char *in = unit_dup(k->in, k->in_len);
	char *v = in;
	unsigned long len = k->in_len;
	strbuf sb;

	assert_true(zone_set(k->zone));
	column_spec_set_type(&c, k->pg_type, -1);
	c.not_null = k->not_null;
	c.scratch = scratch;
	assert_true(typemap_check(&c, k->data_type, k->column_type, k->zero_dates_reject));
	typemap_convert(&c, &v, &len);
	if (!k->copy) {
		assert_false(validate_value(&c, v, len, rule, sizeof(rule), reason, sizeof(reason)));
		assert_string_equal(rule, k->rule);
	} else {
		assert_true(validate_value(&c, v, len, rule, sizeof(rule), reason, sizeof(reason)));
		sb_init(&sb, 64);
		typemap_copy_value(&sb, &c, v, len);
		assert_string_equal(sb.buf, k->copy);
		sb_release(&sb);
	}
	free(in);
	assert_true(zone_set("UTC"));
}

/* ---- the zone functions ---- */

typedef struct zone_case {
	const char *name;
	const char *zone;
	const char *local; /* a wall-clock time */
	bool exists;
} zone_case;

static const zone_case zone_cases[] = {
	{ "Madrid 01:59:59 before spring-forward", "Europe/Madrid", "2025-03-30 01:59:59", true },
	{ "Madrid 02:00 skipped", "Europe/Madrid", "2025-03-30 02:00:00", false },
	{ "Madrid 02:59:59 skipped", "Europe/Madrid", "2025-03-30 02:59:59", false },
	{ "Madrid 03:00 after spring-forward", "Europe/Madrid", "2025-03-30 03:00:00", true },
	{ "Madrid 02:30 repeated at fall-back", "Europe/Madrid", "2025-10-26 02:30:00", true },
	{ "New York 02:30 skipped", "America/New_York", "2025-03-09 02:30:00", false },
	{ "New York 01:30 repeated", "America/New_York", "2025-11-02 01:30:00", true },
	{ "New York 02:30 on a normal day", "America/New_York", "2025-03-10 02:30:00", true },
	{ "UTC never skips", "UTC", "2025-03-30 02:30:00", true },
};

static void test_zone_exists(void **state)
{
	const zone_case *k = *state;
	int64_t t;

	assert_true(zone_set(k->zone));
	assert_true(naive_parse(k->local, strlen(k->local), &t));
	assert_int_equal(zone_local_exists(t), k->exists);
	assert_true(zone_set("UTC"));
}

static void test_zone_utc_to_local(void **state)
{
	int64_t t;
	char out[20];

	(void)state;
	assert_true(zone_set("America/New_York"));
	/* both instants of the repeated 01:30 show 01:30 on the wall clock */
	assert_true(naive_parse("2025-11-02 05:30:00", 19, &t));
	naive_format(zone_utc_to_local(t), out);
	assert_string_equal(out, "2025-11-02 01:30:00");
	assert_true(naive_parse("2025-11-02 06:30:00", 19, &t));
	naive_format(zone_utc_to_local(t), out);
	assert_string_equal(out, "2025-11-02 01:30:00");
	assert_true(naive_parse("1969-12-31 23:59:59", 19, &t));
	assert_int_equal(t, -1);
	naive_format(t, out);
	assert_string_equal(out, "1969-12-31 23:59:59");
	assert_true(zone_set("UTC"));
}

static void test_zone_unknown(void **state)
{
	(void)state;
	assert_false(zone_set("Mars/Olympus_Mons"));
	assert_false(zone_set("../../etc/passwd"));
	assert_false(zone_set("/etc/localtime"));
	assert_string_equal(zone_name(), "UTC");
}

/* typemap_check: the fractional digits of the source's date kinds, which
 * canon.c needs to know whether MariaDB must round to the target's */
static void test_src_frac(void **state)
{
	static const struct {
		const char *data_type, *column_type;
		int frac;
	} cases[] = {
		{ "datetime", "datetime(3)", 3 }, { "datetime", "datetime", 0 },
		{ "timestamp", "timestamp(6)", 6 }, { "date", "date", 0 },
		{ "varchar", "varchar(40)", 6 }, { NULL, NULL, 6 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		column_spec c;
		memset(&c, 0, sizeof(c));
		column_spec_set_type(&c, "timestamp", 3);
		c.src_frac = -1;
		(void)typemap_check(&c, cases[i].data_type, cases[i].column_type, false);
		assert_int_equal(c.src_frac, cases[i].frac);
	}
}

/* typemap_source_kind: the key-range reads of plan.c take SK_INT keys only */
static void test_source_kind(void **state)
{
	(void)state;
	assert_int_equal(typemap_source_kind("bigint"), SK_INT);
	assert_int_equal(typemap_source_kind("TINYINT"), SK_INT);
	assert_int_equal(typemap_source_kind("int"), SK_INT);
	assert_int_equal(typemap_source_kind("decimal"), SK_DECIMAL);
	assert_int_equal(typemap_source_kind("varchar"), SK_TEXT);
	assert_int_equal(typemap_source_kind("geometry"), SK_OTHER);
	assert_int_equal(typemap_source_kind(NULL), SK_UNKNOWN);
}

int main(void)
{
	unit_list l = { 0 };

	UNIT_ROWS(&l, "typemap_check", test_compat, compat_cases);
	unit_add(&l, "typemap_check: fractional digits of the source", NULL, test_src_frac, NULL);
	unit_add(&l, "typemap_source_kind", NULL, test_source_kind, NULL);
	UNIT_ROWS(&l, "typemap_target_type", test_target_type, target_cases);
	unit_add(&l, "typemap_unmapped_expr", NULL, test_unmapped_expr, NULL);
	UNIT_ROWS(&l, "typemap_select_expr", test_select_expr, expr_cases);
	UNIT_ROWS(&l, "float_shortest", test_float_shortest, float_cases);
	unit_add(&l, "float_shortest: not a number", NULL, test_float_shortest_not_a_number, NULL);
	UNIT_ROWS(&l, "value", test_value, value_cases);
	UNIT_ROWS(&l, "zone_local_exists", test_zone_exists, zone_cases);
	unit_add(&l, "zone_utc_to_local: the repeated hour", NULL, test_zone_utc_to_local, NULL);
	unit_add(&l, "zone_set: unknown zones", NULL, test_zone_unknown, NULL);
	return unit_run(&l, "typemap", NULL, NULL);
}
