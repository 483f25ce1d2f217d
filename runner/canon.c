/*
 * canon.c: canonical row text as MariaDB and PostgreSQL expressions, and the
 * same field encoding in C (see canon.h). Every builder appends to a strbuf
 * and touches no database.
 */
#include "canon.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"

#define KEY_VALUE_SHOWN_MAX 200

bool canon_comparable(const column_spec *c)
{
	/* a TIMESTAMP loaded as wall-clock time: MariaDB (in UTC, without time
	 * zone tables) cannot write the same text */
	if (c->src == SK_TIMESTAMP && c->type != VT_TIMESTAMPTZ && !zone_is_utc())
		return false;
	return !(c->type == VT_JSON && c->type_name && strcmp(c->type_name, "jsonb") == 0);
}

int canon_time_precision(const column_spec *c)
{
	const char *p;

	if (c->type != VT_TIMESTAMP && c->type != VT_TIMESTAMPTZ && c->type != VT_TIME)
		return 6;
	if (!c->type_name || !(p = strchr(c->type_name, '(')))
		return 6;
	if (p[1] >= '0' && p[1] <= '6' && p[2] == ')')
		return p[1] - '0';
	return 6;
}

static bool is_uuid(const column_spec *c)
{
	return c->type == VT_OTHER && c->type_name && strcmp(c->type_name, "uuid") == 0;
}

/* numeric_scale: the fixed scale of a numeric(p,s) column that MariaDB's
 * DECIMAL can hold (0..38), or -1 to compare without trailing zeros */
static int numeric_scale(const column_spec *c)
{
	if (c->precision > 0 && c->scale >= 0 && c->scale <= 38)
		return c->scale;
	return -1;
}

/*
 * add_float_norm: the shortest round-trip text s of a float (plain 0.00015
 * or exponent 1.5e-04, 1e+20, as either database prints it) rewritten as
 * DIGITSeEXP: the significant digits without leading or trailing zeros and
 * the power of ten of the first one. Zero (and -0) is "0". s is repeated in
 * the expression, so it should be cheap.
 */
static void add_float_norm(strbuf *sb, canon_dialect d, const char *s)
{
	char *a, *m, *x, *ip, *t, *tl, *digits, *exp10;
	bool my = d == CANON_MARIADB;

	if (my) {
		a = xasprintf("TRIM(LEADING '-' FROM %s)", s);
		m = xasprintf("SUBSTRING_INDEX(%s, 'e', 1)", a);
		x = xasprintf("IF(LOCATE('e', %s) > 0, CAST(SUBSTRING_INDEX(%s, 'e', -1) AS SIGNED), 0)",
			      a, a);
		ip = xasprintf("SUBSTRING_INDEX(%s, '.', 1)", m);
		t = xasprintf("REPLACE(%s, '.', '')", m);
		tl = xasprintf("TRIM(LEADING '0' FROM %s)", t);
		digits = xasprintf("TRIM(TRAILING '0' FROM %s)", tl);
		exp10 = xasprintf("(LENGTH(%s) - (LENGTH(%s) - LENGTH(%s)) - 1 + %s)", ip, t, tl, x);
		sb_addf(sb, "IF(%s = '', '0', CONCAT(IF(LEFT(%s, 1) = '-', '-', ''), %s, 'e', %s))",
			digits, s, digits, exp10);
	} else {
		a = xasprintf("ltrim(%s, '-')", s);
		m = xasprintf("split_part(%s, 'e', 1)", a);
		x = xasprintf("CASE WHEN strpos(%s, 'e') > 0 THEN split_part(%s, 'e', 2)::int ELSE 0 END",
			      a, a);
		ip = xasprintf("split_part(%s, '.', 1)", m);
		t = xasprintf("replace(%s, '.', '')", m);
		tl = xasprintf("ltrim(%s, '0')", t);
		digits = xasprintf("rtrim(%s, '0')", tl);
		exp10 = xasprintf("(length(%s) - (length(%s) - length(%s)) - 1 + %s)", ip, t, tl, x);
		/* NaN and Infinity are kept as they are */
		sb_addf(sb,
			"CASE WHEN %s !~ '^-?[0-9]' THEN %s WHEN %s = '' THEN '0'"
			" ELSE CASE WHEN left(%s, 1) = '-' THEN '-' ELSE '' END || %s || 'e' || %s END",
			s, s, digits, s, digits, exp10);
	}
	free(a);
	free(m);
	free(x);
	free(ip);
	free(t);
	free(tl);
	free(digits);
	free(exp10);
}

/* add_my_timestamp: DATE_FORMAT with 6 digits; for fewer (p), half a unit
 * of the last kept digit is added before the rest is cut off, so that
 * MariaDB rounds the way PostgreSQL's input does: half away from
 * 2000-01-01, PostgreSQL's epoch, so half down before it */
static void add_my_timestamp(strbuf *sb, const char *x, int p, int src_frac)
{
	static const char fmt[] = "'%Y-%m-%d %H:%i:%s.%f'";
	long half;

	if (p >= src_frac) { /* nothing to round: the digits past p are zeros */
		sb_addf(sb, "DATE_FORMAT(%s, %s)", x, fmt);
		return;
	}
	half = 5;
	for (int i = p; i < 5; i++)
		half *= 10;
	sb_addf(sb,
		"RPAD(LEFT(DATE_FORMAT(%s + INTERVAL IF(%s < '2000-01-01', %ld, %ld) MICROSECOND, %s),"
		" %d), 26, '0')",
		x, x, half - 1, half, fmt, 20 + p);
}

/* add_my_time: the same for a time of day (PostgreSQL rounds half up) */
static void add_my_time(strbuf *sb, const char *x, int p)
{
	static const char fmt[] = "'%H:%i:%s.%f'";
	long half;

	if (p >= 6) {
		sb_addf(sb, "TIME_FORMAT(%s, %s)", x, fmt);
		return;
	}
	half = 5;
	for (int i = p; i < 5; i++)
		half *= 10;
	sb_addf(sb, "RPAD(LEFT(TIME_FORMAT(ADDTIME(%s, '00:00:00.%06ld'), %s), %d), 15, '0')", x,
		half, fmt, 9 + p);
}

static void value_mariadb(strbuf *sb, const column_spec *c, const char *x)
{
	int scale;
	char *s;

	switch (c->src == SK_FLOAT ? VT_FLOAT4 : c->type) { /* FLOAT: as a float, any target */
	case VT_INT2:
	case VT_INT4:
	case VT_INT8:
		sb_addf(sb, "CAST(CAST(%s AS SIGNED) AS CHAR)", x);
		break;
	case VT_NUMERIC:
		scale = numeric_scale(c);
		if (scale >= 0)
			sb_addf(sb, "CAST(CAST(%s AS DECIMAL(65,%d)) AS CHAR)", x, scale);
		else
			sb_addf(sb,
				"TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM"
				" CAST(CAST(%s AS DECIMAL(65,30)) AS CHAR)))",
				x);
		break;
	case VT_FLOAT8:
		/* the text etlre sends, parsed as the target parses it */
		s = xasprintf("CAST(CAST(CAST(%s AS CHAR) AS DOUBLE) AS CHAR)", x);
		add_float_norm(sb, CANON_MARIADB, s);
		free(s);
		break;
	case VT_FLOAT4:
		s = xasprintf("CAST(CAST(CAST(CAST(CAST(%s AS CHAR) AS DOUBLE) AS FLOAT) AS DOUBLE) AS CHAR)",
			      x);
		add_float_norm(sb, CANON_MARIADB, s);
		free(s);
		break;
	case VT_BOOL: /* NULL stays NULL (canon_field relies on it) */
		sb_addf(sb, "IF(CAST(%s AS CHAR) IN ('1', 't', 'true'), 't', IF(%s IS NULL, NULL, 'f'))",
			x, x);
		break;
	case VT_DATE:
		sb_addf(sb, "DATE_FORMAT(%s, '%%Y-%%m-%%d')", x);
		break;
	case VT_TIMESTAMP:
	case VT_TIMESTAMPTZ:
		add_my_timestamp(sb, x, canon_time_precision(c),
				 c->src == SK_DATE || c->src == SK_DATETIME || c->src == SK_TIMESTAMP
					 ? c->src_frac
					 : 6);
		break;
	case VT_TIME:
		add_my_time(sb, x, canon_time_precision(c));
		break;
	case VT_CHAR:
		sb_addf(sb, "TRIM(TRAILING ' ' FROM CONVERT(%s USING utf8mb4))", x);
		break;
	case VT_BYTEA:
		sb_addf(sb, "LOWER(HEX(CAST(%s AS BINARY)))", x);
		break;
	default:
		if (is_uuid(c))
			sb_addf(sb,
				"LOWER(REPLACE(REPLACE(REPLACE(CONVERT(%s USING utf8mb4), '-', ''),"
				" '{', ''), '}', ''))",
				x);
		else
			sb_addf(sb, "CONVERT(%s USING utf8mb4)", x);
		break;
	}
}

static void value_postgres(strbuf *sb, const column_spec *c, const char *x)
{
	int scale;
	char *s;

	switch (c->src == SK_FLOAT ? VT_FLOAT4 : c->type) {
	case VT_INT2:
	case VT_INT4:
	case VT_INT8:
		sb_addf(sb, "%s::text", x);
		break;
	case VT_NUMERIC:
		scale = numeric_scale(c);
		if (scale >= 0)
			sb_addf(sb, "round(%s, %d)::text", x, scale);
		else
			sb_addf(sb,
				"CASE WHEN strpos(%s::text, '.') > 0 THEN rtrim(rtrim(%s::text, '0'), '.')"
				" ELSE %s::text END",
				x, x, x);
		break;
	case VT_FLOAT8:
	case VT_FLOAT4:
		/* float4 widened: its exact value, as MariaDB computes it; a
		 * FLOAT source in another type is compared as the float it was */
		s = xasprintf(c->src == SK_FLOAT && c->type != VT_FLOAT8 ? "%s::real::float8::text"
									 : "%s::float8::text",
			      x);
		add_float_norm(sb, CANON_POSTGRES, s);
		free(s);
		break;
	case VT_BOOL:
		sb_addf(sb, "CASE WHEN %s THEN 't' WHEN NOT %s THEN 'f' END", x, x);
		break;
	case VT_DATE:
		sb_addf(sb, "to_char(%s, 'YYYY-MM-DD')", x);
		break;
	case VT_TIMESTAMP:
	case VT_TIMESTAMPTZ:
		/* a TIMESTAMP source is read in UTC */
		sb_addf(sb, "to_char(%s%s, 'YYYY-MM-DD HH24:MI:SS.US')", x,
			c->src == SK_TIMESTAMP && c->type == VT_TIMESTAMPTZ ? " AT TIME ZONE 'UTC'" : "");
		break;
	case VT_TIME:
		sb_addf(sb, "to_char(%s::interval, 'HH24:MI:SS.US')", x);
		break;
	case VT_CHAR:
		sb_addf(sb, "rtrim(%s::text, ' ')", x);
		break;
	case VT_BYTEA:
		sb_addf(sb, "encode(%s, 'hex')", x);
		break;
	case VT_TEXT_ARRAY: /* a SET's members, as MariaDB writes them */
		sb_addf(sb, "array_to_string(%s, ',')", x);
		break;
	default:
		if (is_uuid(c))
			sb_addf(sb, "replace(%s::text, '-', '')", x);
		else
			sb_addf(sb, "%s::text", x);
		break;
	}
}

void canon_value(strbuf *sb, canon_dialect d, const column_spec *c, const char *expr)
{
	if (d == CANON_MARIADB)
		value_mariadb(sb, c, expr);
	else
		value_postgres(sb, c, expr);
}

/*
 * my_fixed_length: the byte length of MariaDB's canonical text of c when it
 * is the same for every value, else 0: a date or timestamp target read from
 * a MariaDB date kind, which DATE_FORMAT writes with a 4-digit year (0000 to
 * 9999) and a 2-digit hour. The field's length prefix is then a constant and
 * the text is evaluated once per row instead of twice.
 */
static int my_fixed_length(const column_spec *c)
{
	if (c->src != SK_DATE && c->src != SK_DATETIME && c->src != SK_TIMESTAMP)
		return 0;
	if (c->type == VT_DATE)
		return 10; /* YYYY-MM-DD */
	if (c->type == VT_TIMESTAMP || c->type == VT_TIMESTAMPTZ)
		return 26; /* YYYY-MM-DD HH:MM:SS.ffffff */
	return 0;
}

/* pg_fixed_length: the byte length of PostgreSQL's canonical text of a date
 * or timestamp (without time zone) column for the years 1 to 9999, which
 * to_char writes with 4 digits; else 0. The years outside (and BC) are
 * measured. */
static int pg_fixed_length(const column_spec *c)
{
	return c->type == VT_DATE ? 10 : c->type == VT_TIMESTAMP ? 26 : 0;
}

/*
 * canon_field: every canon_value is NULL exactly when its expression is, so
 * the NULL test of expr is only made for the rare row whose text is NULL
 * (N, or ? when expr is not NULL): most rows evaluate expr once per use in
 * the text, which matters on a million rows.
 */
void canon_field(strbuf *sb, canon_dialect d, const column_spec *c, const char *expr)
{
	strbuf v;
	int fixed = d == CANON_MARIADB ? my_fixed_length(c) : pg_fixed_length(c);

	sb_init(&v, 128);
	canon_value(&v, d, c, expr);
	if (d == CANON_POSTGRES && fixed > 0) /* B: a BC value, which to_char prints as AD
					       * and MariaDB cannot hold */
		sb_addf(sb,
			"CASE WHEN %s >= '0001-01-01' AND %s < '10000-01-01' THEN '%d:' || %s"
			" WHEN %s < '0001-01-01' THEN 'B' ELSE ",
			expr, expr, fixed, v.buf, expr);
	if (d == CANON_MARIADB && fixed > 0)
		sb_addf(sb, "IFNULL(CONCAT('%d:', %s), IF(%s IS NULL, 'N', '?'))", fixed, v.buf, expr);
	else if (d == CANON_MARIADB)
		sb_addf(sb, "IFNULL(CONCAT(LENGTH(%s), ':', %s), IF(%s IS NULL, 'N', '?'))", v.buf,
			v.buf, expr);
	else
		sb_addf(sb,
			"coalesce(octet_length(%s)::text || ':' || %s,"
			" CASE WHEN %s IS NULL THEN 'N' ELSE '?' END)",
			v.buf, v.buf, expr);
	if (d == CANON_POSTGRES && fixed > 0)
		sb_adds(sb, " END");
	sb_release(&v);
}

void canon_concat(strbuf *sb, canon_dialect d, const column_spec *cols, char *const *exprs,
		  const int *idx, int n)
{
	sb_adds(sb, d == CANON_MARIADB ? "CONCAT(" : "(");
	for (int i = 0; i < n; i++) {
		if (d == CANON_MARIADB) {
			sb_adds(sb, i ? ", CAST(" : "CAST(");
			canon_field(sb, d, &cols[idx[i]], exprs[idx[i]]);
			sb_adds(sb, " AS BINARY)");
		} else {
			if (i)
				sb_adds(sb, " || ");
			canon_field(sb, d, &cols[idx[i]], exprs[idx[i]]);
		}
	}
	sb_addc(sb, ')');
}

void canon_row_md5(strbuf *sb, canon_dialect d, const column_spec *cols, char *const *exprs,
		   const int *idx, int n)
{
	sb_adds(sb, d == CANON_MARIADB ? "MD5(" : "md5(");
	canon_concat(sb, d, cols, exprs, idx, n);
	sb_addc(sb, ')');
}

void canon_row_slice(strbuf *sb, canon_dialect d, const column_spec *cols, char *const *exprs,
		     const int *idx, int n)
{
	/* MariaDB: CONV gives a string and CAST keeps it an exact BIGINT
	 * UNSIGNED (arithmetic on CONV's result would be DOUBLE); SUM of it is
	 * DECIMAL. PostgreSQL: 60 bits fit a bigint; sum(bigint) is numeric. */
	if (d == CANON_MARIADB) {
		sb_adds(sb, "CAST(CONV(SUBSTR(");
		canon_row_md5(sb, d, cols, exprs, idx, n);
		sb_adds(sb, ", 1, 15), 16, 10) AS UNSIGNED)");
	} else {
		sb_adds(sb, "('x' || substr(");
		canon_row_md5(sb, d, cols, exprs, idx, n);
		sb_adds(sb, ", 1, 15))::bit(60)::bigint");
	}
}

void canon_concat_hex(strbuf *sb, canon_dialect d, const column_spec *cols, char *const *exprs,
		      const int *idx, int n)
{
	sb_adds(sb, d == CANON_MARIADB ? "LOWER(HEX(" : "encode(convert_to(");
	canon_concat(sb, d, cols, exprs, idx, n);
	sb_adds(sb, d == CANON_MARIADB ? "))" : ", 'UTF8'), 'hex')");
}

void canon_encode_field(strbuf *sb, const char *v, size_t len)
{
	if (!v) {
		sb_addc(sb, 'N');
		return;
	}
	sb_addf(sb, "%zu:", len);
	sb_add(sb, v, len);
}

/* read_length: the decimal length of a field's "<len>:" prefix, read from
 * s[*i] on into *len, *i left at what follows the digits (the ':' when the
 * field is well formed); false when there is no digit or it overflows */
static bool read_length(const char *s, size_t n, size_t *i, size_t *len)
{
	size_t start = *i, l = 0;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		if (l > (SIZE_MAX - 9) / 10)
			return false;
		l = l * 10 + (size_t)(s[*i] - '0');
		(*i)++;
	}
	*len = l;
	return *i > start;
}

int canon_field_text(const char *f, size_t n, const char **v, size_t *len)
{
	size_t i = 0, l;

	*v = NULL;
	*len = 0;
	if (n == 1 && f[0] == 'N')
		return 0;
	if (!read_length(f, n, &i, &l) || i >= n || f[i] != ':' || n - i - 1 != l)
		return -1;
	*v = f + i + 1;
	*len = l;
	return 1;
}

bool canon_split_fields(const char *s, size_t n, int nfields, const char **fields, size_t *lens)
{
	size_t i = 0;

	for (int f = 0; f < nfields; f++) {
		size_t start = i, l;

		if (i >= n)
			return false;
		if (s[i] == 'N' || s[i] == '?') {
			i++;
		} else {
			if (!read_length(s, n, &i, &l) || i >= n || s[i] != ':' || n - i - 1 < l)
				return false;
			i += 1 + l;
		}
		fields[f] = s + start;
		lens[f] = i - start;
	}
	return i == n;
}

void canon_add_hex(strbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	sb_grow(sb, 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		sb->buf[sb->len++] = hex[c >> 4];
		sb->buf[sb->len++] = hex[c & 15];
	}
	sb->buf[sb->len] = '\0';
}

/* add_shown: a key value for people: control characters as \xNN, cut at
 * KEY_VALUE_SHOWN_MAX bytes on a character boundary */
static void add_shown(strbuf *sb, const char *v, size_t len)
{
	size_t n = len;

	if (n > KEY_VALUE_SHOWN_MAX) {
		n = KEY_VALUE_SHOWN_MAX;
		while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f)
			sb_addf(sb, "\\x%02x", c);
		else
			sb_addc(sb, (char)c);
	}
	if (n < len)
		sb_adds(sb, "...");
}

void canon_format_key(strbuf *sb, const char *const *names, const char *const *fields,
		      const size_t *lens, int n)
{
	for (int i = 0; i < n; i++) {
		const char *v;
		size_t len;
		int r = canon_field_text(fields[i], lens[i], &v, &len);

		sb_addf(sb, "%s%s=", i ? ", " : "", names[i]);
		if (r > 0)
			add_shown(sb, v, len);
		else
			sb_adds(sb, r == 0 ? "NULL" : "?");
	}
}
