/*
 * canon_c.c: canon.c's canonical text of a value, made in C from the text
 * each database sends (see canon_c.h). Each value kind has one function per
 * side where the two sides' texts differ; the comments name the SQL they
 * stand for.
 */
#include "canon_c.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"

#define US_PER_SEC INT64_C(1000000)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* accepts: the source kinds whose text is exactly what the SQL text of how
 * starts from (canon.c's value_mariadb) */
static bool accepts(canon_c_how how, source_kind k)
{
	switch (how) {
	case CC_TEXT:
	case CC_CHAR: /* CONVERT(x USING utf8mb4): the text the protocol sends */
		return k != SK_FLOAT && k != SK_DOUBLE && k != SK_OTHER;
	case CC_INT:
	case CC_BOOL:
		return k == SK_INT || k == SK_YEAR || k == SK_BIT;
	case CC_NUMERIC:
		return k == SK_INT || k == SK_YEAR || k == SK_BIT || k == SK_DECIMAL;
	case CC_FLOAT:
		return k == SK_FLOAT || k == SK_DOUBLE || k == SK_INT || k == SK_YEAR ||
		       k == SK_DECIMAL;
	case CC_DATE:
	case CC_TIMESTAMP:
		return k == SK_DATE || k == SK_DATETIME || k == SK_TIMESTAMP;
	case CC_TIME:
		return k == SK_TIME;
	case CC_BYTEA:
		return k == SK_BINARY || k == SK_TEXT;
	case CC_UUID:
		return k == SK_TEXT || k == SK_UNKNOWN;
	case CC_SET:
		return k == SK_SET;
	case CC_SQL:
		return true;
	}
	return false;
}

/* how_of: the canonical form of c's target type (canon.c's value_postgres) */
static bool how_of(const column_spec *c, canon_c_how *how)
{
	if (c->src == SK_FLOAT) { /* compared as a float whatever the target */
		*how = CC_FLOAT;
		return c->type == VT_FLOAT4 || c->type == VT_FLOAT8;
	}
	switch (c->type) {
	case VT_INT2:
	case VT_INT4:
	case VT_INT8:
		*how = CC_INT;
		return true;
	case VT_NUMERIC:
		*how = CC_NUMERIC;
		return c->precision <= 65; /* DECIMAL(65,s) holds every value */
	case VT_FLOAT4:
	case VT_FLOAT8:
		*how = CC_FLOAT;
		return true;
	case VT_BOOL:
		*how = CC_BOOL;
		return true;
	case VT_DATE:
		*how = CC_DATE;
		return true;
	case VT_TIMESTAMP:
	case VT_TIMESTAMPTZ:
		*how = CC_TIMESTAMP;
		return true;
	case VT_TIME:
		*how = CC_TIME;
		return true;
	case VT_CHAR:
		*how = CC_CHAR;
		return true;
	case VT_BYTEA:
		*how = CC_BYTEA;
		return true;
	case VT_TEXT_ARRAY:
		*how = CC_SET;
		return true;
	default:
		*how = c->type == VT_OTHER && c->type_name && strcmp(c->type_name, "uuid") == 0
			       ? CC_UUID
			       : CC_TEXT;
		return true;
	}
}

bool canon_c_plan(const column_spec *c, canon_c_col *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	if (!how_of(c, &out->how)) {
		*why = c->src == SK_FLOAT ? "a FLOAT source in a column that is not a float"
					  : "a numeric precision above 65";
		out->how = CC_SQL;
		return false;
	}
	if (!accepts(out->how, c->src)) {
		*why = c->src == SK_UNKNOWN ? "an expression, whose text is not the target's"
					    : "its source type is read as other text than the target's";
		out->how = CC_SQL;
		return false;
	}
	out->scale = c->precision > 0 && c->scale >= 0 && c->scale <= 38 ? c->scale : -1;
	out->digits = canon_time_precision(c);
	out->src_frac = c->src == SK_DATE || c->src == SK_DATETIME || c->src == SK_TIMESTAMP
				? c->src_frac
				: 6;
	out->src_float4 = c->src == SK_FLOAT || c->type == VT_FLOAT4;
	out->tgt_float4 = c->type == VT_FLOAT4 || (c->src == SK_FLOAT && c->type != VT_FLOAT8);
	out->fixed = c->type == VT_DATE || c->type == VT_TIMESTAMP;
	return true;
}

void canon_c_target_expr(strbuf *sb, const column_spec *c, const canon_c_col *cc,
			 const char *qname)
{
	if (cc->how == CC_SQL)
		canon_field(sb, CANON_POSTGRES, c, qname);
	else if (cc->how == CC_BYTEA)
		sb_addf(sb, "encode(%s, 'hex')", qname);
	else if (cc->how == CC_SET)
		sb_addf(sb, "array_to_string(%s, ',')", qname);
	else if (cc->how == CC_TIMESTAMP && c->src == SK_TIMESTAMP && c->type == VT_TIMESTAMPTZ)
		sb_addf(sb, "(%s AT TIME ZONE 'UTC')", qname); /* read in UTC */
	else
		sb_adds(sb, qname);
}

void canon_c_source_expr(strbuf *sb, const column_spec *c, const canon_c_col *cc,
			 const char *expr)
{
	if (cc->how == CC_SQL)
		canon_field(sb, CANON_MARIADB, c, expr);
	else
		sb_adds(sb, expr);
}

/* ---- numbers ---- */

/* add_int: CAST(CAST(x AS SIGNED) AS CHAR) of an integer's text: no leading
 * zeros (ZEROFILL), no minus zero; false when v is not an integer */
static bool add_int(strbuf *sb, const char *v, size_t len)
{
	size_t i = 0;
	bool neg = false;

	if (i < len && (v[i] == '-' || v[i] == '+'))
		neg = v[i++] == '-';
	if (i == len)
		return false;
	for (size_t j = i; j < len; j++)
		if (!is_digit(v[j]))
			return false;
	while (i + 1 < len && v[i] == '0')
		i++;
	if (neg && !(len - i == 1 && v[i] == '0'))
		sb_addc(sb, '-');
	sb_add(sb, v + i, len - i);
	return true;
}

/*
 * add_decimal: CAST(CAST(x AS DECIMAL(65,scale)) AS CHAR) of a decimal's
 * text: rounded half away from zero to scale digits, without a minus zero;
 * with trim, the trailing fractional zeros and point dropped (scale 30, the
 * unconstrained numeric). False when v is not a plain decimal.
 */
static bool add_decimal(strbuf *sb, const char *v, size_t len, int scale, bool trim)
{
	char d[160];
	size_t i = 0, n = 0, nint, point;
	bool neg = false, zero = true;
	int f = 0;

	if (i < len && (v[i] == '-' || v[i] == '+'))
		neg = v[i++] == '-';
	point = i;
	while (point < len && v[point] != '.')
		point++;
	nint = point - i;
	if (nint + (size_t)scale + 2 > sizeof(d) || (nint == 0 && point + 1 >= len))
		return false;
	d[n++] = '0'; /* room for a carry */
	for (size_t j = i; j < point; j++) {
		if (!is_digit(v[j]))
			return false;
		d[n++] = v[j];
	}
	for (size_t j = point + 1; j < len; j++)
		if (!is_digit(v[j]))
			return false;
	for (f = 0; f < scale; f++)
		d[n++] = point + 1 + (size_t)f < len ? v[point + 1 + f] : '0';
	if (point + 1 + (size_t)scale < len && v[point + 1 + scale] >= '5')
		for (size_t j = n; j-- > 0;) { /* half away from zero */
			if (d[j] != '9') {
				d[j]++;
				break;
			}
			d[j] = '0';
		}
	nint = n - (size_t)scale; /* with the carry digit */
	i = 0;
	while (i + 1 < nint && d[i] == '0')
		i++;
	for (size_t j = 0; j < n; j++)
		zero = zero && d[j] == '0';
	if (trim)
		while (n > nint && d[n - 1] == '0')
			n--;
	if (neg && !zero)
		sb_addc(sb, '-');
	sb_add(sb, d + i, nint - i);
	if (n > nint) {
		sb_addc(sb, '.');
		sb_add(sb, d + nint, n - nint);
	}
	return true;
}

/* add_numeric_target: round(x, s)::text of a numeric(p,s) column is its text;
 * an unconstrained one without trailing fractional zeros and point */
static void add_numeric_target(strbuf *sb, const canon_c_col *cc, const char *v, size_t len)
{
	if (cc->scale < 0 && memchr(v, '.', len)) {
		while (len > 0 && v[len - 1] == '0')
			len--;
		if (len > 0 && v[len - 1] == '.')
			len--;
	}
	sb_add(sb, v, len);
}

/*
 * add_float_digits: canon.c's add_float_norm of the shortest round-trip text
 * of x: its significant digits without leading or trailing zeros, 'e', and
 * the power of ten of the first one (0.00015 -> 15e-4, 1e20 -> 1e20); zero
 * and minus zero are "0".
 */
static void add_float_digits(strbuf *sb, double x)
{
	char buf[40];
	char *e;
	size_t n = 0;
	char digits[24];

	if (x == 0) {
		sb_addc(sb, '0');
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	e = strchr(buf, 'e');
	for (char *p = buf; p < e; p++)
		if (is_digit(*p))
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	if (x < 0)
		sb_addc(sb, '-');
	sb_add(sb, digits, n);
	sb_addf(sb, "e%d", atoi(e + 1));
}

/* add_float: the source's CAST(CAST(x AS CHAR) AS DOUBLE) (through FLOAT
 * for a float32), or the target's x::float8 (widening a real); NaN and
 * Infinity, which only PostgreSQL has, stay as they are */
static bool add_float(strbuf *sb, const char *v, size_t len, bool as_float4, bool target)
{
	char buf[400];
	char *end;
	double x;

	if (len == 0 || len >= sizeof(buf))
		return false;
	if (target && !is_digit(v[0]) && !(v[0] == '-' && len > 1 && is_digit(v[1]))) {
		sb_add(sb, v, len);
		return true;
	}
	memcpy(buf, v, len);
	buf[len] = '\0';
	x = target && as_float4 ? (double)strtof(buf, &end) : strtod(buf, &end);
	if (*end || end == buf || !isfinite(x))
		return false;
	if (!target && as_float4)
		x = (double)(float)x;
	add_float_digits(sb, x);
	return true;
}

/* ---- dates and times ---- */

/* add_frac6: "." and the digits of frac[0..n) padded with zeros to 6 */
static void add_frac6(strbuf *sb, const char *frac, size_t n)
{
	sb_addc(sb, '.');
	sb_add(sb, frac, n > 6 ? 6 : n);
	for (size_t i = n; i < 6; i++)
		sb_addc(sb, '0');
}

/* frac_of: the digits after "." at v[at..len): *n of them; false when
 * something else follows */
static const char *frac_of(const char *v, size_t len, size_t at, size_t *n)
{
	*n = 0;
	if (at >= len || v[at] != '.')
		return v + at;
	while (at + 1 + *n < len && is_digit(v[at + 1 + *n]))
		(*n)++;
	return v + at + 1;
}

/* frac_us: the microseconds of up to 6 fractional digits */
static int64_t frac_us(const char *frac, size_t n)
{
	int64_t us = 0;

	for (size_t i = 0; i < 6; i++)
		us = us * 10 + (i < n ? frac[i] - '0' : 0);
	return us;
}

/* half_us: half a unit of the last of p kept digits, in microseconds */
static int64_t half_us(int p)
{
	int64_t half = 5;

	for (int i = p; i < 5; i++)
		half *= 10;
	return half;
}

/*
 * add_my_timestamp: DATE_FORMAT(x, '%Y-%m-%d %H:%i:%s.%f') of a MariaDB date
 * or datetime's text; with fewer digits kept than the source has, canon.c's
 * add_my_timestamp rounding: half a unit added (half less a microsecond
 * before 2000-01-01), the rest cut off. False where MariaDB gives NULL.
 */
static bool add_my_timestamp(strbuf *sb, const canon_c_col *cc, const char *v, size_t len)
{
	size_t n;
	const char *frac;
	int64_t secs, us;
	char out[32];

	if (len != 10 && len < 19)
		return false;
	frac = frac_of(v, len, len == 10 ? 10 : 19, &n);
	if (cc->digits >= cc->src_frac) {
		sb_add(sb, v, 10);
		sb_adds(sb, len == 10 ? " 00:00:00" : "");
		sb_add(sb, v + 10, len == 10 ? 0 : 9);
		add_frac6(sb, frac, n);
		return true;
	}
	if (zero_date(v, len) || !naive_parse(v, len, &secs))
		return false;
	us = frac_us(frac, n) + half_us(cc->digits) - (memcmp(v, "2000-01-01", 10) < 0);
	secs += us / US_PER_SEC;
	us %= US_PER_SEC;
	naive_format(secs, out);
	if (out[0] < '0' || out[4] != '-') /* past 9999: DATE_FORMAT gives NULL */
		return false;
	snprintf(out + 19, sizeof(out) - 19, ".%06lld", (long long)us);
	out[20 + cc->digits] = '\0';
	sb_adds(sb, out);
	for (int i = cc->digits; i < 6; i++)
		sb_addc(sb, '0');
	return true;
}

/*
 * add_pg_time: the text of PostgreSQL's text of a date or timestamp[tz] as
 * to_char with 'YYYY-MM-DD[ HH24:MI:SS.US]' writes it: a BC value printed as
 * AD, a time zone offset dropped. 'B' (a field of its own, no text) for a
 * BC or -infinity value of the fixed kinds (date, timestamp); false when
 * to_char gives NULL (infinity).
 */
static bool add_pg_time(strbuf *sb, const canon_c_col *cc, const char *v, size_t len, bool *b)
{
	bool bc = len > 3 && memcmp(v + len - 3, " BC", 3) == 0;
	size_t date_len = 0, n;
	const char *frac;

	*b = false;
	if (bc)
		len -= 3;
	if ((bc || (len == 9 && memcmp(v, "-infinity", 9) == 0)) && cc->fixed) {
		*b = true;
		return true;
	}
	while (date_len < len && v[date_len] != ' ')
		date_len++;
	if (date_len < 10 || !is_digit(v[0]))
		return false;
	sb_add(sb, v, date_len);
	if (cc->how == CC_TIMESTAMP) {
		if (date_len + 9 > len)
			return false;
		sb_add(sb, v + date_len, 9);
		frac = frac_of(v, len, date_len + 9, &n);
		add_frac6(sb, frac, n);
	}
	return true;
}

/* add_time: TIME_FORMAT(x, '%H:%i:%s.%f') (source) or to_char(x::interval,
 * 'HH24:MI:SS.US') (target) of a time's text, rounded on the source side as
 * canon.c's add_my_time does (half up); false for a negative time or one of
 * 100 hours or more, which PostgreSQL's time cannot hold */
static bool add_time(strbuf *sb, const canon_c_col *cc, const char *v, size_t len, bool source)
{
	size_t hl = 0, n;
	const char *frac;
	int64_t us;
	char out[32];

	while (hl < len && is_digit(v[hl]))
		hl++;
	if (hl < 2 || hl + 6 > len || v[hl] != ':' || v[hl + 3] != ':')
		return false;
	frac = frac_of(v, len, hl + 6, &n);
	if (!source || cc->digits >= 6) {
		sb_add(sb, v, hl + 6);
		add_frac6(sb, frac, n);
		return true;
	}
	if (hl != 2)
		return false;
	us = (((v[0] - '0') * 10 + (v[1] - '0')) * INT64_C(3600) +
	      ((v[3] - '0') * 10 + (v[4] - '0')) * 60 + (v[6] - '0') * 10 + (v[7] - '0')) *
		     US_PER_SEC +
	     frac_us(frac, n) + half_us(cc->digits);
	if (us >= 100 * 3600 * US_PER_SEC)
		return false;
	snprintf(out, sizeof(out), "%02lld:%02lld:%02lld.%06lld",
		 (long long)(us / (3600 * US_PER_SEC)), (long long)(us / (60 * US_PER_SEC) % 60),
		 (long long)(us / US_PER_SEC % 60), (long long)(us % US_PER_SEC));
	out[9 + cc->digits] = '\0';
	sb_adds(sb, out);
	for (int i = cc->digits; i < 6; i++)
		sb_addc(sb, '0');
	return true;
}

/* ---- text ---- */

/* add_uuid: LOWER(REPLACE(... '-', '{', '}' ...)) of the source's text, or
 * replace(x::text, '-', '') of the target's; false for bytes LOWER would
 * change beyond ASCII (never a uuid) */
static bool add_uuid(strbuf *sb, const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c >= 0x80)
			return false;
		if (c == '-' || c == '{' || c == '}')
			continue;
		sb_addc(sb, (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
	}
	return true;
}

/* add_value: the canonical text of v as side d sends it; false when the
 * SQL text would be NULL for a value that is not; *b true when the field is
 * "B" instead */
static bool add_value(strbuf *sb, canon_dialect d, const canon_c_col *cc, const char *v,
		      size_t len, bool *b)
{
	bool source = d == CANON_MARIADB;

	switch (cc->how) {
	case CC_CHAR:
		while (len > 0 && v[len - 1] == ' ')
			len--;
		break;
	case CC_INT:
		if (source)
			return add_int(sb, v, len);
		break;
	case CC_NUMERIC:
		if (source)
			return add_decimal(sb, v, len, cc->scale < 0 ? 30 : cc->scale, cc->scale < 0);
		add_numeric_target(sb, cc, v, len);
		return true;
	case CC_FLOAT:
		return add_float(sb, v, len, source ? cc->src_float4 : cc->tgt_float4, !source);
	case CC_BOOL:
		if (source) {
			sb_addc(sb, len == 1 && v[0] == '1' ? 't' : 'f');
			return true;
		}
		break;
	case CC_DATE:
		if (!source)
			return add_pg_time(sb, cc, v, len, b);
		if (len < 10)
			return false;
		len = 10; /* DATE_FORMAT(x, '%Y-%m-%d') */
		break;
	case CC_TIMESTAMP:
		if (!source)
			return add_pg_time(sb, cc, v, len, b);
		return add_my_timestamp(sb, cc, v, len);
	case CC_TIME:
		return add_time(sb, cc, v, len, source);
	case CC_BYTEA:
		if (source) {
			canon_add_hex(sb, v, len);
			return true;
		}
		break;
	case CC_UUID:
		return add_uuid(sb, v, len);
	case CC_TEXT:
	case CC_SET:
	case CC_SQL:
		break;
	}
	sb_add(sb, v, len);
	return true;
}

/* put_prefix: writes "<n>:", a field's length prefix, into out (24
 * bytes); returns its length */
static size_t put_prefix(char *out, size_t n)
{
	char tmp[24];
	size_t k = 0, w = 0;

	do {
		tmp[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	while (k > 0)
		out[w++] = tmp[--k];
	out[w++] = ':';
	return w;
}

/* as_is: whether side d's text of cc is its canonical text once trailing
 * spaces are cut (CC_CHAR), so no copy of it is made */
static bool as_is(canon_dialect d, const canon_c_col *cc)
{
	switch (cc->how) {
	case CC_TEXT:
	case CC_SET:
	case CC_CHAR:
		return true;
	case CC_INT:
	case CC_BOOL:
	case CC_BYTEA:
		return d == CANON_POSTGRES;
	case CC_NUMERIC:
		return d == CANON_POSTGRES && cc->scale >= 0;
	default:
		return false;
	}
}

void canon_c_field(strbuf *sb, canon_dialect d, const canon_c_col *cc, const char *v, size_t len)
{
	char prefix[24];
	size_t at = sb->len, pl, n;
	bool b = false;

	if (!v || cc->how == CC_SQL) { /* CC_SQL: the field itself */
		sb_add(sb, v ? v : "N", v ? len : 1);
		return;
	}
	if (as_is(d, cc)) {
		if (cc->how == CC_CHAR)
			while (len > 0 && v[len - 1] == ' ')
				len--;
		sb_grow(sb, sizeof(prefix) + len);
		sb->len += put_prefix(sb->buf + sb->len, len);
		memcpy(sb->buf + sb->len, v, len);
		sb->len += len;
		sb->buf[sb->len] = '\0';
		return;
	}
	/* the text is made in place, then moved behind its length prefix */
	if (!add_value(sb, d, cc, v, len, &b) || b) {
		sb->len = at;
		sb_addc(sb, b ? 'B' : '?');
		return;
	}
	n = sb->len - at;
	pl = put_prefix(prefix, n);
	sb_grow(sb, pl);
	memmove(sb->buf + at + pl, sb->buf + at, n);
	memcpy(sb->buf + at, prefix, pl);
	sb->len += pl;
	sb->buf[sb->len] = '\0';
}
