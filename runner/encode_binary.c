/*
 * encode_binary.c: COPY binary encoding of text values (see encode_binary.h).
 * Each encoder parses the text the way PostgreSQL's input function for the
 * type would read the values etlre lets through, and writes the type's send
 * representation. These run for every value of every row: no allocation
 * beyond growing the caller's strbuf.
 */
#include "encode_binary.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"

#define USECS_PER_SEC INT64_C(1000000)
#define USECS_PER_DAY (INT64_C(86400) * USECS_PER_SEC)
#define NUMERIC_POS 0x0000
#define NUMERIC_NEG 0x4000
#define NUMERIC_MAX_DIGITS 1000 /* decimal digits of a numeric sent in binary */

/* put16, put32, put64: x big-endian at p */
static inline void put16(char *p, uint16_t x)
{
	p[0] = (char)(x >> 8);
	p[1] = (char)x;
}

static inline void put32(char *p, uint32_t x)
{
	p[0] = (char)(x >> 24);
	p[1] = (char)(x >> 16);
	p[2] = (char)(x >> 8);
	p[3] = (char)x;
}

static inline void put64(char *p, uint64_t x)
{
	put32(p, (uint32_t)(x >> 32));
	put32(p + 4, (uint32_t)x);
}

void bin_add_int16(strbuf *sb, int16_t x)
{
	sb_grow(sb, 2);
	put16(sb->buf + sb->len, (uint16_t)x);
	sb->len += 2;
}

void bin_add_int32(strbuf *sb, int32_t x)
{
	sb_grow(sb, 4);
	put32(sb->buf + sb->len, (uint32_t)x);
	sb->len += 4;
}

void bin_add_header(strbuf *sb)
{
	sb_add(sb, "PGCOPY\n\377\r\n\0", 11);
	bin_add_int32(sb, 0); /* flags: no OIDs */
	bin_add_int32(sb, 0); /* no header extension */
}

void bin_add_trailer(strbuf *sb)
{
	bin_add_int16(sb, -1);
}

/* put_fixed: a field of n bytes (n <= 8) holding x big-endian at out;
 * returns the bytes written */
static inline size_t put_fixed(char *out, uint64_t x, int n)
{
	put32(out, (uint32_t)n);
	switch (n) {
	case 8: put64(out + 4, x); break;
	case 4: put32(out + 4, (uint32_t)x); break;
	case 2: put16(out + 4, (uint16_t)x); break;
	default: out[4] = (char)x;
	}
	return 4 + (size_t)n;
}

static inline bool is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

/* parse_int: [+-]digits (leading zeros allowed), the whole text, into *out
 * when within lo..hi */
static bool parse_int(const char *v, size_t len, int64_t lo, int64_t hi, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	uint64_t x = 0, limit;

	if (len > 0 && (v[0] == '-' || v[0] == '+'))
		neg = v[i++] == '-';
	if (i == len)
		return false;
	limit = neg ? (uint64_t)0 - (uint64_t)lo : (uint64_t)hi;
	if (len - i <= 18) { /* no overflow of 64 bits possible */
		for (; i < len; i++) {
			if (!is_digit(v[i]))
				return false;
			x = x * 10 + (uint64_t)(v[i] - '0');
		}
		if (x > limit)
			return false;
		*out = neg ? (int64_t)((uint64_t)0 - x) : (int64_t)x;
		return true;
	}
	for (; i < len; i++) {
		if (!is_digit(v[i]))
			return false;
		uint64_t d = (uint64_t)(v[i] - '0');
		if (x > (limit - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = neg ? (int64_t)((uint64_t)0 - x) : (int64_t)x;
	return true;
}

/* put_float: the float4/float8 field of v read by strtof/strtod, as
 * PostgreSQL's float4in/float8in read it; returns its size, 0 when v is not
 * a number or out of range (an overflow to infinity, an underflow to zero) */
static size_t put_float(char *out, const char *v, size_t len, bool single)
{
	char buf[128];
	char *end;

	if (len == 0 || len >= sizeof(buf) || v[0] == ' ' || (v[0] >= '\t' && v[0] <= '\r'))
		return 0;
	memcpy(buf, v, len);
	buf[len] = '\0';
	errno = 0;
	if (single) {
		float f = strtof(buf, &end);
		uint32_t bits;
		if (*end || end == buf || (errno == ERANGE && (f == 0 || isinf(f))))
			return 0;
		if (isnan(f))
			f = NAN; /* PostgreSQL's one NaN */
		memcpy(&bits, &f, 4);
		return put_fixed(out, bits, 4);
	} else {
		double d = strtod(buf, &end);
		uint64_t bits;
		if (*end || end == buf || (errno == ERANGE && (d == 0 || isinf(d))))
			return 0;
		if (isnan(d))
			d = (double)NAN;
		memcpy(&bits, &d, 8);
		return put_fixed(out, bits, 8);
	}
}

/* put_bool: the field of 1, t, true, 0, f or false; its size, else 0 */
static size_t put_bool(char *out, const char *v, size_t len)
{
	int b;

	if (len == 1 && (v[0] == '1' || v[0] == 't'))
		b = 1;
	else if (len == 1 && (v[0] == '0' || v[0] == 'f'))
		b = 0;
	else if (len == 4 && memcmp(v, "true", 4) == 0)
		b = 1;
	else if (len == 5 && memcmp(v, "false", 5) == 0)
		b = 0;
	else
		return 0;
	return put_fixed(out, (uint64_t)b, 1);
}

/* digits: n digits at v as a number, or -1 when one is not a digit */
static int digits(const char *v, int n)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit(v[i]))
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

/* days_since_2000: the days from 2000-01-01 to a proleptic Gregorian date */
static int64_t days_since_2000(int y, int m, int d)
{
	/* days from civil (0000-03-01 based eras of 400 years) */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 730425; /* 730425: 0000-03-01 to 2000-01-01 */
}

/* parse_clock: HH:MM:SS[.f{1,6}] at v (exactly len bytes, hours of 1 to
 * max_hdigits digits) into microseconds; at most 24:00:00 */
static bool parse_clock(const char *v, size_t len, int max_hdigits, int64_t *us)
{
	size_t h = 0;
	int hours = 0, m, s;
	int64_t frac = 0;

	while (h < len && h < (size_t)max_hdigits && is_digit(v[h]))
		hours = hours * 10 + (v[h++] - '0');
	if (h == 0 || len < h + 6 || v[h] != ':' || v[h + 3] != ':')
		return false;
	m = digits(v + h + 1, 2);
	s = digits(v + h + 4, 2);
	if (m < 0 || s < 0 || m > 59 || s > 59)
		return false;
	size_t i = h + 6;
	if (i < len) {
		size_t nf = len - i - 1;
		if (v[i] != '.' || nf == 0 || nf > 6)
			return false;
		for (size_t k = 0; k < 6; k++) {
			int d = k < nf ? v[i + 1 + k] - '0' : 0;
			if (d < 0 || d > 9)
				return false;
			frac = frac * 10 + d;
		}
	}
	*us = ((int64_t)hours * 3600 + m * 60 + s) * USECS_PER_SEC + frac;
	return *us <= USECS_PER_DAY;
}

/* parse_timestamp: YYYY-MM-DD[( |T)HH:MM:SS[.f]] into microseconds since
 * 2000-01-01 00:00:00; *midnight tells whether the time of day is zero */
static bool parse_timestamp(const char *v, size_t len, int64_t *us, bool *midnight)
{
	int y, m, d;
	int64_t clock = 0;

	if (len < 10 || v[4] != '-' || v[7] != '-')
		return false;
	y = digits(v, 4);
	m = digits(v + 5, 2);
	d = digits(v + 8, 2);
	if (y < 1 || m < 0 || d < 0 || !date_is_valid(y, m, d))
		return false;
	if (len > 10) {
		if ((v[10] != ' ' && v[10] != 'T') || !parse_clock(v + 11, len - 11, 2, &clock) ||
		    clock >= USECS_PER_DAY)
			return false;
	}
	*midnight = clock == 0;
	*us = days_since_2000(y, m, d) * USECS_PER_DAY + clock;
	return true;
}

/*
 * put_numeric: [+-]digits[.digits][e[+-]digits] as PostgreSQL's numeric:
 * ndigits, weight (of the first base-10000 digit), sign, dscale (the decimal
 * places numeric_in would keep), then the base-10000 digits. Returns the
 * field's size, 0 for a text numeric_in would refuse or NaN/Infinity, more
 * than NUMERIC_MAX_DIGITS digits or a weight beyond 16 bits
 */
static size_t put_numeric(char *out, const char *v, size_t len)
{
	char dec[NUMERIC_MAX_DIGITS];
	int n = 0, point = -1;
	long exp10 = 0;
	size_t i = 0;
	bool neg = false;

	if (i < len && (v[i] == '-' || v[i] == '+'))
		neg = v[i++] == '-';
	for (; i < len && (is_digit(v[i]) || (v[i] == '.' && point < 0)); i++) {
		if (v[i] == '.') {
			point = n;
		} else if (n < NUMERIC_MAX_DIGITS) {
			dec[n++] = (char)(v[i] - '0');
		} else {
			return 0;
		}
	}
	if (n == 0)
		return 0;
	if (point < 0)
		point = n;
	if (i < len && (v[i] == 'e' || v[i] == 'E')) {
		bool eneg = false;
		size_t start = ++i;
		if (i < len && (v[i] == '-' || v[i] == '+'))
			eneg = v[i++] == '-', start++;
		for (; i < len && is_digit(v[i]); i++)
			if ((exp10 = exp10 * 10 + (v[i] - '0')) > 100000)
				return 0;
		if (i == start)
			return 0;
		exp10 = eneg ? -exp10 : exp10;
	}
	if (i != len)
		return 0;
	long dscale = (long)(n - point) - exp10;
	if (dscale < 0)
		dscale = 0;
	if (dscale > 0x3FFF)
		return 0;

	/* the significant digits first..last; digit k stands for 10^(pos - k) */
	int first = 0, last = n - 1;
	while (first < n && dec[first] == 0)
		first++;
	while (last >= first && dec[last] == 0)
		last--;
	long pos = point + exp10 - 1; /* the power of ten of dec[0] */
	if (first > last) { /* zero */
		put32(out, 8);
		put16(out + 4, 0);
		put16(out + 6, 0);
		put16(out + 8, NUMERIC_POS);
		put16(out + 10, (uint16_t)dscale);
		return 12;
	}
	long p_first = pos - first, p_last = pos - last;
	/* floor division by 4 of the powers: the base-10000 groups */
	long weight = p_first >= 0 ? p_first / 4 : -((-p_first + 3) / 4);
	long low = p_last >= 0 ? p_last / 4 : -((-p_last + 3) / 4);
	long ndigits = weight - low + 1;
	if (weight > INT16_MAX || low < INT16_MIN)
		return 0;

	size_t flen = 8 + 2 * (size_t)ndigits;
	put32(out, (uint32_t)flen);
	put16(out + 4, (uint16_t)ndigits);
	put16(out + 6, (uint16_t)(int16_t)weight);
	put16(out + 8, neg ? NUMERIC_NEG : NUMERIC_POS);
	put16(out + 10, (uint16_t)dscale);
	for (long g = 0; g < ndigits; g++) {
		long top = (weight - g) * 4 + 3; /* the power of this group's first digit */
		int x = 0;
		for (long p = top; p > top - 4; p--) {
			long k = pos - p;
			x = x * 10 + (k >= first && k <= last ? dec[k] : 0);
		}
		put16(out + 12 + 2 * g, (uint16_t)x);
	}
	return 4 + flen;
}

/* put_raw: a field holding prefix_len bytes of prefix, then v[0..len); its size */
static size_t put_raw(char *out, const char *prefix, size_t prefix_len, const char *v, size_t len)
{
	if (len + prefix_len > INT32_MAX)
		return 0;
	put32(out, (uint32_t)(len + prefix_len));
	memcpy(out + 4, prefix, prefix_len);
	memcpy(out + 4 + prefix_len, v, len);
	return 4 + prefix_len + len;
}

/* put_bits: a string of 0 and 1 as bit/varbit: the bit count, then the
 * bits, first bit in the high bit of the first byte, the last byte padded
 * with zeros; its size, 0 when v is not binary digits */
static size_t put_bits(char *out, const char *v, size_t len)
{
	size_t nbytes = (len + 7) / 8;

	if (len > INT32_MAX - 8)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (v[i] != '0' && v[i] != '1')
			return 0;
	put32(out, (uint32_t)(4 + nbytes));
	put32(out + 4, (uint32_t)len);
	memset(out + 8, 0, nbytes);
	for (size_t i = 0; i < len; i++)
		if (v[i] == '1')
			out[8 + i / 8] |= (char)(0x80 >> (i % 8));
	return 8 + nbytes;
}

/* put_set_array: a SET's members 'a,b' as a one-dimensional array of
 * element type elem_oid (text 25, varchar 1043); '' is the empty array.
 * Returns its size (at most bin_value_bound's) */
static size_t put_set_array(char *out, const char *v, size_t len, int32_t elem_oid)
{
	size_t n = len ? 1 : 0, at = 16;

	if (len > INT32_MAX / 8)
		return 0;
	for (size_t i = 0; i < len; i++)
		n += v[i] == ',';
	put32(out + 4, n ? 1 : 0); /* dimensions */
	put32(out + 8, 0);         /* no NULL member */
	put32(out + 12, (uint32_t)elem_oid);
	if (n) {
		put32(out + 16, (uint32_t)n);
		put32(out + 20, 1); /* lower bound */
		at = 24;
	}
	for (size_t i = 0, from = 0; n && i <= len; i++) {
		if (i < len && v[i] != ',')
			continue;
		put32(out + at, (uint32_t)(i - from));
		memcpy(out + at + 4, v + from, i - from);
		at += 4 + i - from;
		from = i + 1;
	}
	put32(out, (uint32_t)(at - 4)); /* the field's length */
	return at;
}

/* the bound of a field of each kind: base + per_byte * the text's length */
static const struct {
	unsigned char base, per_byte;
} bounds[] = {
	[BK_NONE] = { 12, 0 },     [BK_INT2] = { 12, 0 },   [BK_INT4] = { 12, 0 },
	[BK_INT8] = { 12, 0 },     [BK_FLOAT4] = { 12, 0 }, [BK_FLOAT8] = { 12, 0 },
	[BK_BOOL] = { 12, 0 },     [BK_RAW] = { 4, 1 },     [BK_JSONB] = { 5, 1 },
	[BK_NUMERIC] = { 16, 1 }, /* at most len / 4 + 2 base-10000 digits */
	[BK_DATE] = { 12, 0 },     [BK_TIMESTAMP] = { 12, 0 }, [BK_TIME] = { 12, 0 },
	[BK_BIT] = { 9, 1 },
	[BK_SET_TEXT_ARRAY] = { 28, 5 }, /* a length word per member */
	[BK_SET_VARCHAR_ARRAY] = { 28, 5 },
};

size_t bin_value_bound(bin_kind k, const char *v, size_t len)
{
	return v ? bounds[k].base + bounds[k].per_byte * len : 4;
}

/* put_time: a date, timestamp or time of kind k at out; 0 when not one */
static size_t put_time(char *out, bin_kind k, const char *v, size_t len)
{
	int64_t x;
	bool midnight;

	if (k == BK_TIME)
		return parse_clock(v, len, 3, &x) ? put_fixed(out, (uint64_t)x, 8) : 0;
	if (!parse_timestamp(v, len, &x, &midnight))
		return 0;
	if (k == BK_TIMESTAMP)
		return put_fixed(out, (uint64_t)x, 8);
	return midnight ? put_fixed(out, (uint64_t)(x / USECS_PER_DAY), 4) : 0;
}

size_t bin_put_value(char *out, bin_kind k, const char *v, size_t len)
{
	int64_t x;

	if (!v) {
		put32(out, UINT32_MAX); /* -1: NULL */
		return 4;
	}
	switch (k) {
	case BK_INT2:
		return parse_int(v, len, INT16_MIN, INT16_MAX, &x) ? put_fixed(out, (uint64_t)x, 2) : 0;
	case BK_INT4:
		return parse_int(v, len, INT32_MIN, INT32_MAX, &x) ? put_fixed(out, (uint64_t)x, 4) : 0;
	case BK_INT8:
		return parse_int(v, len, INT64_MIN, INT64_MAX, &x) ? put_fixed(out, (uint64_t)x, 8) : 0;
	case BK_FLOAT4:
	case BK_FLOAT8:
		return put_float(out, v, len, k == BK_FLOAT4);
	case BK_BOOL:
		return put_bool(out, v, len);
	case BK_RAW:
		return put_raw(out, "", 0, v, len);
	case BK_JSONB:
		return put_raw(out, "\1", 1, v, len);
	case BK_NUMERIC:
		return put_numeric(out, v, len);
	case BK_DATE:
	case BK_TIMESTAMP:
	case BK_TIME:
		return put_time(out, k, v, len);
	case BK_BIT:
		return put_bits(out, v, len);
	case BK_SET_TEXT_ARRAY:
		return put_set_array(out, v, len, 25);
	case BK_SET_VARCHAR_ARRAY:
		return put_set_array(out, v, len, 1043);
	default:
		return 0;
	}
}

bool bin_add_value(strbuf *sb, bin_kind k, const char *v, size_t len)
{
	size_t n;

	sb_grow(sb, bin_value_bound(k, v, len));
	n = bin_put_value(sb->buf + sb->len, k, v, len);
	sb->len += n;
	return n > 0;
}
