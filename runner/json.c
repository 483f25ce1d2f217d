/*
 * json.c: JSON string escaping (see json.h).
 */
#include "json.h"

#include <string.h>

#include "encode.h"

void json_add_string(strbuf *sb, const char *s)
{
	json_add_stringn(sb, s, strlen(s));
}

void json_add_string_or_null(strbuf *sb, const char *s)
{
	if (s)
		json_add_string(sb, s);
	else
		sb_adds(sb, "null");
}

void json_add_member(strbuf *sb, const char *name, const char *s)
{
	sb_addf(sb, ",\"%s\":", name);
	json_add_string_or_null(sb, s);
}

void json_add_stringn(strbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	sb_addc(sb, '"');
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len;

		if (c >= 0x80) {
			len = utf8_sequence_length(s + i, n - i);
			if (len == 0) {
				sb_adds(sb, "\\ufffd");
				i++;
			} else {
				sb_add(sb, s + i, len);
				i += len;
			}
			continue;
		}
		switch (c) {
		case '"': sb_adds(sb, "\\\""); break;
		case '\\': sb_adds(sb, "\\\\"); break;
		case '\n': sb_adds(sb, "\\n"); break;
		case '\r': sb_adds(sb, "\\r"); break;
		case '\t': sb_adds(sb, "\\t"); break;
		default:
			if (c < 0x20) {
				char esc[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
				sb_adds(sb, esc);
			} else {
				sb_addc(sb, (char)c);
			}
		}
		i++;
	}
	sb_addc(sb, '"');
}
