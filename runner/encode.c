/*
 * encode.c: COPY text escaping and UTF-8 checks (see encode.h). These run
 * for every value of every row, so they avoid allocation: they append into
 * the caller's strbuf, growing it once per value at most.
 */
#include "encode.h"

#include <stdint.h>
#include <string.h>

size_t utf8_sequence_length(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		if (n < 2 || (s[1] & 0xC0) != 0x80)
			return 0;
		return 2;
	}
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && s[1] < 0xA0)
			return 0; /* overlong */
		if (c == 0xED && s[1] >= 0xA0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && s[1] < 0x90)
			return 0; /* overlong */
		if (c == 0xF4 && s[1] >= 0x90)
			return 0; /* above U+10FFFF */
		return 4;
	}
	return 0;
}

bool utf8_valid(const char *s, size_t n, size_t *bad_offset)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len;

		/* fast path: 8 bytes of ASCII without NUL at a time */
		if (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (((w | ((w - 0x0101010101010101ull) & ~w)) & 0x8080808080808080ull) == 0) {
				i += 8;
				continue;
			}
		}
		if (c >= 0x01 && c < 0x80) {
			i++;
			continue;
		}
		len = c ? utf8_sequence_length(s + i, n - i) : 0;
		if (len == 0) {
			if (bad_offset)
				*bad_offset = i;
			return false;
		}
		i += len;
	}
	return true;
}

size_t utf8_char_count(const char *s, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			count++;
	return count;
}

/* the letter after the backslash for the bytes COPY text escapes, else 0 */
static const char copy_escape[256] = { ['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r' };

void copy_add_text(strbuf *sb, const char *s, size_t n)
{
	char *out;

	sb_grow(sb, 2 * n);
	out = sb->buf + sb->len;
	for (size_t i = 0; i < n; i++) {
		char c = s[i], e = copy_escape[(unsigned char)c];

		if (!e) {
			*out++ = c;
		} else {
			*out++ = '\\';
			*out++ = e;
		}
	}
	sb->len = (size_t)(out - sb->buf);
	sb->buf[sb->len] = '\0';
}

void copy_add_bytea(strbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *out;

	sb_grow(sb, 3 + 2 * n);
	out = sb->buf + sb->len;
	*out++ = '\\';
	*out++ = '\\';
	*out++ = 'x';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		*out++ = hex[c >> 4];
		*out++ = hex[c & 15];
	}
	sb->len = (size_t)(out - sb->buf);
	sb->buf[sb->len] = '\0';
}

void copy_add_null(strbuf *sb)
{
	sb_add(sb, "\\N", 2);
}

size_t copy_decode_field(char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			char c = s[++i];
			switch (c) {
			case 't': s[o++] = '\t'; break;
			case 'n': s[o++] = '\n'; break;
			case 'r': s[o++] = '\r'; break;
			default: s[o++] = c;
			}
		} else {
			s[o++] = s[i];
		}
	}
	return o;
}

void copy_decode_row(char *line, int ncols, char **vals, unsigned long *lens)
{
	char *p = line;
	int c = 0;

	for (;;) {
		char *tab = strchr(p, '\t');
		size_t n = tab ? (size_t)(tab - p) : strlen(p);
		if (c < ncols) {
			if (n == 2 && p[0] == '\\' && p[1] == 'N') {
				vals[c] = NULL;
				lens[c] = 0;
			} else {
				vals[c] = p;
				lens[c] = copy_decode_field(p, n);
				p[lens[c]] = '\0';
			}
			c++;
		}
		if (!tab)
			break;
		p = tab + 1;
	}
	for (; c < ncols; c++) {
		vals[c] = NULL;
		lens[c] = 0;
	}
}
