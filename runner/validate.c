/*
 * validate.c: value checks against target column types (see validate.h).
 */
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "encode.h"

static const struct {
	const char *typname;
	value_type type;
} type_map[] = {
	{ "text", VT_TEXT },         { "varchar", VT_VARCHAR },
	{ "bpchar", VT_CHAR },       { "name", VT_TEXT },
	{ "citext", VT_TEXT },       { "bool", VT_BOOL },
	{ "int2", VT_INT2 },         { "int4", VT_INT4 },
	{ "int8", VT_INT8 },         { "numeric", VT_NUMERIC },
	{ "float4", VT_FLOAT4 },     { "float8", VT_FLOAT8 },
	{ "date", VT_DATE },         { "timestamp", VT_TIMESTAMP },
	{ "timestamptz", VT_TIMESTAMPTZ }, { "time", VT_TIME },
	{ "bytea", VT_BYTEA },       { "json", VT_JSON },
	{ "jsonb", VT_JSON },         { "bit", VT_BIT },
	{ "varbit", VT_BIT },        { "_text", VT_TEXT_ARRAY },
	{ "_varchar", VT_TEXT_ARRAY },
};

value_type value_type_from_pg(const char *typname)
{
	for (size_t i = 0; i < sizeof(type_map) / sizeof(type_map[0]); i++)
		if (strcmp(type_map[i].typname, typname) == 0)
			return type_map[i].type;
	return VT_OTHER;
}

void column_spec_set_type(column_spec *c, const char *typname, int typmod)
{
	c->type = value_type_from_pg(typname);
	c->length = -1;
	c->precision = -1;
	c->scale = 0;
	if ((c->type == VT_VARCHAR || c->type == VT_CHAR) && typmod >= 4)
		c->length = typmod - 4;
	if (c->type == VT_NUMERIC && typmod >= 4) {
		c->precision = ((typmod - 4) >> 16) & 0xffff;
		c->scale = (typmod - 4) & 0xffff;
		if (c->scale > 1000) /* negative scale (PostgreSQL 15) */
			c->scale -= 2048;
	}
}

static bool fail(char *rule, size_t rule_size, char *reason, size_t reason_size,
		 const char *r, const char *why)
{
	snprintf(rule, rule_size, "%s", r);
	snprintf(reason, reason_size, "%s", why);
	return false;
}

/* parse_int: [+-]digits, whole string, into *out; false on syntax or overflow */
static bool parse_int(const char *v, size_t len, int64_t *out, bool *overflow)
{
	char buf[64];
	char *end;
	long long x;

	*overflow = false;
	/* leading zeros (ZEROFILL) carry no value: drop them, keeping the sign */
	if (len > 1 && (v[0] == '-' || v[0] == '+')) {
		size_t z = 1;
		while (z + 1 < len && v[z] == '0')
			z++;
		if (z > 1) {
			buf[0] = v[0];
			if (len - z + 1 >= sizeof(buf))
				return (*overflow = true), false;
			memcpy(buf + 1, v + z, len - z);
			return parse_int(buf, len - z + 1, out, overflow);
		}
	} else {
		/* only zeros before a digit: 000+5 is no number */
		while (len > 1 && v[0] == '0' && isdigit((unsigned char)v[1])) {
			v++;
			len--;
		}
	}
	if (len == 0 || len >= sizeof(buf))
		return (*overflow = len >= sizeof(buf)), false;
	memcpy(buf, v, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)buf[i]) && !(i == 0 && (buf[i] == '-' || buf[i] == '+')))
			return false;
	if (!isdigit((unsigned char)buf[len - 1]))
		return false;
	errno = 0;
	x = strtoll(buf, &end, 10);
	if (errno == ERANGE) {
		*overflow = true;
		return false;
	}
	*out = x;
	return true;
}

/*
 * check_numeric: decimal syntax ([+-]digits[.digits][e[+-]digits]) and the
 * numeric(p,s) fit without rounding. The value is normalised to its
 * significant digits D times 10^e (e the power of the last digit): it fits
 * when e >= -s (nothing below the scale) and len(D) + e <= p - s (below the
 * limit); this holds for negative scales and scales above the precision too.
 */
static bool check_numeric(const column_spec *c, const char *v, size_t len, char *why,
			  size_t why_size)
{
	size_t i = 0;
	long first_sig = -1, last_sig = -1; /* positions among all mantissa digits */
	long ndigits = 0, point = -1, exp10 = 0;

	if (i < len && (v[i] == '-' || v[i] == '+'))
		i++;
	for (; i < len && (isdigit((unsigned char)v[i]) || (v[i] == '.' && point < 0)); i++) {
		if (v[i] == '.') {
			point = ndigits;
			continue;
		}
		if (v[i] != '0') {
			if (first_sig < 0)
				first_sig = ndigits;
			last_sig = ndigits;
		}
		ndigits++;
	}
	if (ndigits == 0)
		return snprintf(why, why_size, "not a number"), false;
	if (i < len && (v[i] == 'e' || v[i] == 'E')) {
		bool neg = false, any = false;
		i++;
		if (i < len && (v[i] == '-' || v[i] == '+'))
			neg = v[i++] == '-';
		for (; i < len && isdigit((unsigned char)v[i]); i++) {
			any = true;
			if (exp10 < 100000)
				exp10 = exp10 * 10 + (v[i] - '0');
		}
		if (!any)
			return snprintf(why, why_size, "not a number"), false;
		if (neg)
			exp10 = -exp10;
	}
	if (i != len)
		return snprintf(why, why_size, "not a number"), false;
	if (first_sig < 0 || c->precision <= 0)
		return true; /* zero, or an unconstrained numeric */
	if (point < 0)
		point = ndigits;
	/* the power of ten of the last significant digit, and the digit count */
	long e = point - 1 - last_sig + exp10;
	long sig = last_sig - first_sig + 1;
	if (e < -c->scale)
		return snprintf(why, why_size,
				"more than %d decimal places (the target would round it)", c->scale),
		       false;
	if (sig + e > c->precision - c->scale) {
		if (c->precision - c->scale > 0)
			snprintf(why, why_size, "more than %d digits before the decimal point",
				 c->precision - c->scale);
		else
			snprintf(why, why_size, "too large for numeric(%d,%d)", c->precision,
				 c->scale);
		return false;
	}
	return true;
}

/* is_digit: isdigit without the locale table lookup (this runs per value) */
static inline bool is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

/* fits: true when v starts with pattern's shape: a digit for each 'd', any
 * other character as itself (v holds at least strlen(pattern) bytes) */
static inline bool fits(const char *v, const char *pattern)
{
	for (; *pattern; v++, pattern++)
		if (*pattern == 'd' ? !is_digit(*v) : *v != *pattern)
			return false;
	return true;
}

/* two_digits: the number the two digits at v make */
static inline int two_digits(const char *v)
{
	return (v[0] - '0') * 10 + (v[1] - '0');
}

bool timestamp_valid(const char *v, size_t len, bool date_only)
{
	int y, mo, d, h = 0, mi = 0, s = 0;
	size_t i;

	if (len < 10 || !fits(v, "dddd-dd-dd"))
		return false;
	y = two_digits(v) * 100 + two_digits(v + 2);
	mo = two_digits(v + 5);
	d = two_digits(v + 8);
	if (!date_is_valid(y, mo, d))
		return false;
	if (len == 10)
		return true;
	if (len < 19 || (v[10] != ' ' && v[10] != 'T') || !fits(v + 11, "dd:dd:dd"))
		return false;
	h = two_digits(v + 11);
	mi = two_digits(v + 14);
	s = two_digits(v + 17);
	if (h > 23 || mi > 59 || s > 59)
		return false;
	if (len > 19) {
		if (v[19] != '.' || len == 20 || len > 26)
			return false;
		for (i = 20; i < len; i++)
			if (!is_digit(v[i]))
				return false;
	}
	if (date_only) {
		for (i = 11; i < len; i++)
			if (is_digit(v[i]) && v[i] != '0')
				return false;
	}
	return true;
}

bool zero_date(const char *v, size_t len)
{
	if (len < 10 || v[4] != '-' || v[7] != '-')
		return false;
	return (v[5] == '0' && v[6] == '0') || (v[8] == '0' && v[9] == '0') ||
	       memcmp(v, "0000", 4) == 0;
}

bool source_is_date(source_kind k)
{
	return k == SK_DATE || k == SK_DATETIME || k == SK_TIMESTAMP;
}

static bool time_valid(const char *v, size_t len)
{
	size_t i = 0, hd = 0;
	int h = 0, m, s;

	while (i < len && isdigit((unsigned char)v[i]) && hd < 3) {
		h = h * 10 + (v[i] - '0');
		i++;
		hd++;
	}
	if (hd == 0 || i + 6 > len || v[i] != ':' || !isdigit((unsigned char)v[i + 1]) ||
	    !isdigit((unsigned char)v[i + 2]) || v[i + 3] != ':' ||
	    !isdigit((unsigned char)v[i + 4]) || !isdigit((unsigned char)v[i + 5]))
		return false;
	m = (v[i + 1] - '0') * 10 + (v[i + 2] - '0');
	s = (v[i + 4] - '0') * 10 + (v[i + 5] - '0');
	i += 6;
	bool frac_nonzero = false;
	if (i < len) {
		if (v[i] != '.' || i + 1 == len || len - i - 1 > 6)
			return false;
		for (i++; i < len; i++) {
			if (!isdigit((unsigned char)v[i]))
				return false;
			if (v[i] != '0')
				frac_nonzero = true;
		}
	}
	if (m > 59 || s > 59)
		return false;
	return h < 24 || (h == 24 && m == 0 && s == 0 && !frac_nonzero);
}

static bool is_texty(value_type t)
{
	return t != VT_BYTEA;
}

/* verdict: where a refusal's rule and reason are written */
typedef struct verdict {
	char *rule, *reason;
	size_t rule_size, reason_size;
} verdict;

/* deny: writes rule and why into d; returns false, for the caller to return */
static bool deny(const verdict *d, const char *rule, const char *why)
{
	return fail(d->rule, d->rule_size, d->reason, d->reason_size, rule, why);
}

/* check_length: a varchar(n) or char(n) holds at most n characters */
static bool check_length(const column_spec *c, const char *v, size_t len, const verdict *d)
{
	char r[48], why[96];
	size_t chars;

	/* a character takes at least one byte: no count needed when the bytes fit */
	if (c->length < 0 || len <= (size_t)c->length)
		return true;
	chars = utf8_char_count(v, len);
	if (chars <= (size_t)c->length)
		return true;
	snprintf(r, sizeof(r), "%s(%d)", c->type == VT_CHAR ? "char" : "varchar", c->length);
	snprintf(why, sizeof(why), "%zu characters, at most %d allowed", chars, c->length);
	return deny(d, r, why);
}

/* check_integer: a whole number within the range of smallint, integer or bigint */
static bool check_integer(const column_spec *c, const char *v, size_t len, const verdict *d)
{
	int64_t lo = c->type == VT_INT2 ? INT16_MIN : c->type == VT_INT4 ? INT32_MIN : INT64_MIN;
	int64_t hi = c->type == VT_INT2 ? INT16_MAX : c->type == VT_INT4 ? INT32_MAX : INT64_MAX;
	const char *r = c->type == VT_INT2 ? "smallint range"
			: c->type == VT_INT4 ? "integer range" : "bigint range";
	int64_t x;
	bool overflow;

	if (!parse_int(v, len, &x, &overflow))
		return overflow ? deny(d, r, "out of range for the target type")
				: deny(d, "integer", "not an integer");
	if (x < lo || x > hi)
		return deny(d, r, "out of range for the target type");
	return true;
}

/* check_numeric_column: fits numeric(p,s), or numeric */
static bool check_numeric_column(const column_spec *c, const char *v, size_t len,
				 const verdict *d)
{
	char r[48], why[160];

	if (check_numeric(c, v, len, why, sizeof(why)))
		return true;
	if (c->precision > 0)
		snprintf(r, sizeof(r), "numeric(%d,%d)", c->precision, c->scale);
	else
		snprintf(r, sizeof(r), "numeric");
	return deny(d, r, why);
}

/* check_float: a number that real or double precision can hold */
static bool check_float(const column_spec *c, const char *v, size_t len, const verdict *d)
{
	char buf[128];
	char *end;
	double x;

	if (len == 0 || len >= sizeof(buf))
		return deny(d, "float", "not a number");
	memcpy(buf, v, len);
	buf[len] = '\0';
	/* PostgreSQL's rule: out of range when the conversion overflows to
	 * infinity or underflows to zero (denormals are fine) */
	errno = 0;
	x = c->type == VT_FLOAT4 ? (double)strtof(buf, &end) : strtod(buf, &end);
	if (*end || isspace((unsigned char)buf[0]) || end == buf)
		return deny(d, "float", "not a number");
	if (errno == ERANGE && (x == 0 || isinf(x)))
		return deny(d, "float", "out of range for the target type");
	return true;
}

/* check_timestamp: a valid calendar date and time that exists in the zone
 * (a local time the clocks skipped cannot be a timestamptz) */
static bool check_timestamp(const column_spec *c, const char *v, size_t len, const verdict *d)
{
	char why[160];
	int64_t t;

	if (!timestamp_valid(v, len, false))
		return deny(d, "timestamp", "not a valid calendar date and time");
	if (c->type == VT_TIMESTAMPTZ && (c->src == SK_DATETIME || c->src == SK_DATE) &&
	    !zone_is_utc() && naive_parse(v, len, &t) && !zone_local_exists(t)) {
		snprintf(why, sizeof(why),
			 "this local time does not exist in %s (the clocks skipped it)", zone_name());
		return deny(d, "time zone", why);
	}
	return true;
}

/* check_bool: 0, 1, t, f, true or false */
static bool check_bool(const char *v, size_t len, const verdict *d)
{
	if ((len == 1 && (v[0] == '0' || v[0] == '1' || v[0] == 't' || v[0] == 'f')) ||
	    (len == 4 && strncmp(v, "true", 4) == 0) || (len == 5 && strncmp(v, "false", 5) == 0))
		return true;
	return deny(d, "boolean", "not 0, 1, true or false");
}

/* check_bits: a string of 0 and 1 */
static bool check_bits(const char *v, size_t len, const verdict *d)
{
	for (size_t i = 0; i < len; i++)
		if (v[i] != '0' && v[i] != '1')
			return deny(d, "bit", "not a string of 0 and 1");
	return true;
}

/* check_type: the value against its column's type */
static bool check_type(const column_spec *c, const char *v, size_t len, const verdict *d)
{
	switch (c->type) {
	case VT_VARCHAR:
	case VT_CHAR: return check_length(c, v, len, d);
	case VT_INT2:
	case VT_INT4:
	case VT_INT8: return check_integer(c, v, len, d);
	case VT_NUMERIC: return check_numeric_column(c, v, len, d);
	case VT_FLOAT4:
	case VT_FLOAT8: return check_float(c, v, len, d);
	case VT_BOOL: return check_bool(v, len, d);
	case VT_DATE:
		return timestamp_valid(v, len, true) || deny(d, "date", "not a valid calendar date");
	case VT_TIMESTAMP:
	case VT_TIMESTAMPTZ: return check_timestamp(c, v, len, d);
	case VT_BIT: return check_bits(v, len, d);
	case VT_TIME:
		return time_valid(v, len) ||
		       deny(d, "time", "not a time of day between 00:00:00 and 24:00:00");
	default: return true;
	}
}

bool validate_value(const column_spec *c, const char *v, size_t len, char *rule,
		    size_t rule_size, char *reason, size_t reason_size)
{
	const verdict d = { rule, reason, rule_size, reason_size };
	char why[160];
	size_t bad;

	if (!v)
		return !c->not_null || deny(&d, "not null", "NULL in a NOT NULL column");
	if (source_is_date(c->src) && zero_date(v, len)) {
		/* typemap_convert has made it NULL when that is allowed */
		snprintf(why, sizeof(why), "a zero date or a date with a zero year, month or day: %s",
			 c->not_null ? "the column is NOT NULL" : "zero_dates = reject");
		return deny(&d, "zero date", why);
	}
	if (is_texty(c->type) && !utf8_valid(v, len, &bad)) {
		snprintf(why, sizeof(why), "%s at byte %zu",
			 v[bad] == '\0' ? "NUL byte (PostgreSQL text cannot hold it)" : "invalid UTF-8",
			 bad);
		return deny(&d, "utf8", why);
	}
	return check_type(c, v, len, &d);
}
