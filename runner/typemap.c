/*
 * typemap.c: source-to-target type compatibility and value conversion (see
 * typemap.h). The compatibility table is data: one row per source family,
 * the set of target types it may load into.
 */
#include "typemap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chunk.h"
#include "encode.h"
#include "log.h"

#define T(vt) (1u << (vt))
#define TEXTS (T(VT_TEXT) | T(VT_VARCHAR) | T(VT_CHAR))
#define INTS (T(VT_INT2) | T(VT_INT4) | T(VT_INT8))
#define FLOATS (T(VT_FLOAT4) | T(VT_FLOAT8))
#define TIMES (T(VT_DATE) | T(VT_TIMESTAMP) | T(VT_TIMESTAMPTZ))

static const struct {
	const char *data_type; /* information_schema.COLUMNS.DATA_TYPE */
	source_kind kind;
} kinds[] = {
	{ "tinyint", SK_INT },     { "smallint", SK_INT },      { "mediumint", SK_INT },
	{ "int", SK_INT },         { "integer", SK_INT },       { "bigint", SK_INT },
	{ "decimal", SK_DECIMAL }, { "numeric", SK_DECIMAL },   { "float", SK_FLOAT },
	{ "double", SK_DOUBLE },   { "real", SK_DOUBLE },       { "bit", SK_BIT },
	{ "date", SK_DATE },       { "datetime", SK_DATETIME }, { "timestamp", SK_TIMESTAMP },
	{ "time", SK_TIME },       { "year", SK_YEAR },         { "char", SK_TEXT },
	{ "varchar", SK_TEXT },    { "tinytext", SK_TEXT },     { "text", SK_TEXT },
	{ "mediumtext", SK_TEXT }, { "longtext", SK_TEXT },     { "enum", SK_TEXT },
	{ "json", SK_TEXT },       { "set", SK_SET },           { "binary", SK_BINARY },
	{ "varbinary", SK_BINARY }, { "tinyblob", SK_BINARY },  { "blob", SK_BINARY },
	{ "mediumblob", SK_BINARY }, { "longblob", SK_BINARY },
};

/* the target types each source family may load into; VT_OTHER (a type etlre
 * does not know: interval, uuid, an enum...) is always allowed, the target
 * decides */
static const unsigned accepts[] = {
	[SK_UNKNOWN] = ~0u,
	[SK_INT] = INTS | T(VT_NUMERIC) | FLOATS | T(VT_BOOL) | TEXTS,
	[SK_DECIMAL] = INTS | T(VT_NUMERIC) | FLOATS | TEXTS,
	[SK_FLOAT] = FLOATS | T(VT_NUMERIC) | TEXTS,
	[SK_DOUBLE] = FLOATS | T(VT_NUMERIC) | TEXTS,
	[SK_BIT] = T(VT_BIT) | INTS | T(VT_NUMERIC) | TEXTS, /* bit(1): boolean too */
	[SK_DATE] = TIMES | TEXTS,
	[SK_DATETIME] = TIMES | TEXTS,
	[SK_TIMESTAMP] = TIMES | TEXTS,
	[SK_TIME] = T(VT_TIME) | TEXTS,
	[SK_YEAR] = INTS | T(VT_NUMERIC) | TEXTS,
	[SK_TEXT] = TEXTS | T(VT_JSON) | T(VT_BYTEA),
	[SK_SET] = TEXTS | T(VT_TEXT_ARRAY),
	[SK_BINARY] = T(VT_BYTEA) | TEXTS,
	[SK_OTHER] = ~0u,
};

source_kind typemap_source_kind(const char *data_type)
{
	if (!data_type)
		return SK_UNKNOWN;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcasecmp(kinds[i].data_type, data_type) == 0)
			return kinds[i].kind;
	return SK_OTHER;
}

/* paren_ints: the whole numbers inside the first "(...)" of column_type, e.g.
 * decimal(10,2) gives 10 and 2; returns how many were found (0, 1 or 2) */
static int paren_ints(const char *column_type, int *a, int *b)
{
	const char *p = column_type ? strchr(column_type, '(') : NULL;
	char *end;

	if (!p || p[1] < '0' || p[1] > '9')
		return 0;
	*a = (int)strtol(p + 1, &end, 10);
	if (*end != ',')
		return 1;
	*b = (int)strtol(end + 1, &end, 10);
	return 2;
}

/* the target type of each integer type, signed and unsigned (the next wider
 * type holds the unsigned range; numeric(20,0) holds BIGINT UNSIGNED's) */
static const struct {
	const char *data_type, *is, *unsigned_is;
} int_targets[] = {
	{ "tinyint", "smallint", "smallint" },  { "smallint", "smallint", "integer" },
	{ "mediumint", "integer", "integer" },  { "int", "integer", "bigint" },
	{ "integer", "integer", "bigint" },     { "bigint", "bigint", "numeric(20,0)" },
	{ "year", "smallint", "smallint" },
};

/* the types whose target does not depend on COLUMN_TYPE */
static const struct {
	source_kind kind;
	const char *is;
} plain_targets[] = {
	{ SK_FLOAT, "real" }, { SK_DOUBLE, "double precision" }, { SK_DATE, "date" },
	{ SK_SET, "text" },   { SK_BINARY, "bytea" },
};

bool typemap_target_type(strbuf *out, const char *data_type, const char *column_type)
{
	source_kind k = typemap_source_kind(data_type);
	bool is_unsigned = column_type && strstr(column_type, "unsigned");
	int a = 0, b = 0, n = paren_ints(column_type, &a, &b);

	for (size_t i = 0; i < sizeof(int_targets) / sizeof(int_targets[0]); i++) {
		if (strcasecmp(data_type, int_targets[i].data_type) != 0)
			continue;
		/* tinyint(1) is MariaDB's BOOLEAN */
		bool boolean = strcasecmp(data_type, "tinyint") == 0 && n == 1 && a == 1;
		sb_adds(out, boolean ? "boolean" : is_unsigned ? int_targets[i].unsigned_is : int_targets[i].is);
		return true;
	}
	for (size_t i = 0; i < sizeof(plain_targets) / sizeof(plain_targets[0]); i++) {
		if (plain_targets[i].kind == k) {
			sb_adds(out, plain_targets[i].is);
			return true;
		}
	}
	switch (k) {
	case SK_DECIMAL:
		sb_addf(out, "numeric(%d,%d)", n ? a : 10, n == 2 ? b : 0);
		return true;
	case SK_BIT:
		if (n && a > 1)
			sb_addf(out, "bit(%d)", a);
		else
			sb_adds(out, "boolean");
		return true;
	case SK_DATETIME:
	case SK_TIMESTAMP:
	case SK_TIME:
		sb_addf(out, "%s(%d)", k == SK_DATETIME ? "timestamp" : k == SK_TIMESTAMP ? "timestamptz" : "time",
			n ? a : 0);
		return true;
	case SK_TEXT:
		if (strcasecmp(data_type, "json") == 0)
			sb_adds(out, "jsonb");
		/* char(n) as varchar(n): MariaDB drops a CHAR's trailing spaces,
		 * PostgreSQL's char(n) would pad them back */
		else if ((strcasecmp(data_type, "varchar") == 0 || strcasecmp(data_type, "char") == 0) && n)
			sb_addf(out, "varchar(%d)", a);
		else
			sb_adds(out, "text"); /* *text and enum */
		return true;
	default:
		return false; /* SK_OTHER: spatial types and the like */
	}
}

const char *typemap_unmapped_expr(const char *data_type)
{
	static const char *const spatial[] = { "geometry", "point", "linestring", "polygon",
					       "multipoint", "multilinestring", "multipolygon",
					       "geometrycollection" };

	for (size_t i = 0; i < sizeof(spatial) / sizeof(spatial[0]); i++)
		if (data_type && strcasecmp(data_type, spatial[i]) == 0)
			return "ST_AsText(%s)";
	return "CAST(%s AS CHAR)";
}

void typemap_log_unmapped(const char *table, const char *column, const char *data_type,
			  const char *column_type)
{
	char *expr = xasprintf(typemap_unmapped_expr(data_type), column);

	log_error("[table %s] column '%s': the source type %s has no PostgreSQL type in etlre's "
		  "type table; load it as text with expr.%s = %s, or leave it out with 'columns'",
		  table, column, column_type, column, expr);
	free(expr);
}

bool typemap_check(column_spec *c, const char *data_type, const char *column_type,
		   bool zero_dates_reject)
{
	unsigned ok;

	c->src = typemap_source_kind(data_type);
	c->src_bits = 0;
	c->zero_dates_null = !zero_dates_reject;
	if (c->src == SK_BIT) {
		const char *p = column_type ? strchr(column_type, '(') : NULL;
		c->src_bits = p ? atoi(p + 1) : 1;
	}
	c->src_frac = 6;
	if (c->src == SK_DATE) {
		c->src_frac = 0;
	} else if (c->src == SK_DATETIME || c->src == SK_TIMESTAMP) {
		const char *p = column_type ? strchr(column_type, '(') : NULL;
		c->src_frac = p && p[1] >= '0' && p[1] <= '6' && p[2] == ')' ? p[1] - '0' : 0;
	}
	ok = accepts[c->src] | T(VT_OTHER);
	if (c->src == SK_BIT && c->src_bits == 1)
		ok |= T(VT_BOOL);
	return (ok & T(c->type)) != 0;
}

static bool is_text_target(value_type t)
{
	return t == VT_TEXT || t == VT_VARCHAR || t == VT_CHAR;
}

void typemap_select_expr(strbuf *sb, const column_spec *c, const char *ident)
{
	switch (c->src) {
	case SK_FLOAT:
		/* the text protocol rounds FLOAT to 6 digits; as DOUBLE it is exact */
		sb_addf(sb, "CAST(%s AS DOUBLE)", ident);
		break;
	case SK_BIT:
		if (c->type == VT_BIT || is_text_target(c->type) || c->type == VT_OTHER)
			sb_addf(sb, "LPAD(BIN(%s), %d, '0')", ident, c->src_bits);
		else
			sb_addf(sb, "(%s + 0)", ident);
		break;
	case SK_DATE:
	case SK_DATETIME:
	case SK_TIMESTAMP:
		if (c->zero_dates_null && !c->not_null) {
			/* zero dates and zero-in-dates are NULL (zero_dates = null) */
			sb_addf(sb, "IF(YEAR(%s) = 0 OR MONTH(%s) = 0 OR DAYOFMONTH(%s) = 0, NULL, %s)",
				ident, ident, ident, ident);
			break;
		}
		sb_adds(sb, ident);
		break;
	default:
		sb_adds(sb, ident);
	}
}

void typemap_load_expr(strbuf *sb, const column_spec *c, const char *ident)
{
	if (source_is_date(c->src))
		sb_adds(sb, ident);
	else
		typemap_select_expr(sb, c, ident);
}

bool float_shortest(const char *s, size_t len, char *out, size_t out_size)
{
	char buf[64];
	char *end;
	double d;
	float f;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	d = strtod(buf, &end);
	if (*end || end == buf)
		return false;
	f = (float)d;
	for (int prec = 1; prec <= 9; prec++) {
		snprintf(out, out_size, "%.*g", prec, (double)f);
		if (strtof(out, NULL) == f)
			return true;
	}
	return true; /* %.9g always reads back */
}

void typemap_convert(const column_spec *c, char **v, unsigned long *len)
{
	if (!*v)
		return;
	if (source_is_date(c->src) && zero_date(*v, *len)) {
		if (c->zero_dates_null && !c->not_null) {
			*v = NULL;
			*len = 0;
		}
		return;
	}
	if (!c->scratch)
		return;
	if (c->src == SK_FLOAT && c->type != VT_FLOAT8) {
		if (float_shortest(*v, *len, c->scratch, TYPEMAP_SCRATCH)) {
			*v = c->scratch;
			*len = strlen(c->scratch);
		}
	} else if (c->src == SK_TIMESTAMP && c->type != VT_TIMESTAMPTZ && !zone_is_utc()) {
		/* read in UTC; the target wants the wall clock of the zone */
		int64_t t;
		size_t frac = *len > 19 ? *len - 19 : 0;
		if (*len < 19 || frac > 20 || !naive_parse(*v, *len, &t))
			return;
		naive_format(zone_utc_to_local(t), c->scratch);
		memcpy(c->scratch + 19, *v + 19, frac);
		c->scratch[19 + frac] = '\0';
		*v = c->scratch;
		*len = 19 + frac;
	}
}

/* add_set_array: a SET value 'a,b' as the text[] literal {"a","b"} */
static void add_set_array(strbuf *sb, const char *v, size_t len)
{
	strbuf arr;

	sb_init(&arr, len + 16);
	sb_addc(&arr, '{');
	for (size_t i = 0; i < len; i++) {
		if (i == 0 || v[i - 1] == ',')
			sb_adds(&arr, i ? ",\"" : "\"");
		if (v[i] == ',') {
			sb_addc(&arr, '"');
			continue;
		}
		if (v[i] == '"' || v[i] == '\\')
			sb_addc(&arr, '\\');
		sb_addc(&arr, v[i]);
	}
	if (len)
		sb_addc(&arr, '"');
	sb_addc(&arr, '}');
	copy_add_text(sb, arr.buf, arr.len);
	sb_release(&arr);
}

void typemap_copy_value(strbuf *sb, const column_spec *c, const char *v, size_t len)
{
	if (!v)
		copy_add_null(sb);
	else if (c->type == VT_BYTEA)
		copy_add_bytea(sb, v, len);
	else if (c->type == VT_TEXT_ARRAY && c->src == SK_SET)
		add_set_array(sb, v, len);
	else if (c->type == VT_TIMESTAMPTZ && c->src == SK_TIMESTAMP) {
		copy_add_text(sb, v, len);
		sb_adds(sb, "+00"); /* read in UTC: the exact instant */
	} else
		copy_add_text(sb, v, len);
}
