/*
 * json.h: a minimal JSON writer into a strbuf, for --json output, JSON logs
 * and the raw values of rejected rows. Strings are escaped per RFC 8259;
 * bytes that are not valid UTF-8 become U+FFFD so the output is always valid.
 */
#ifndef ETLRE_JSON_H
#define ETLRE_JSON_H

#include <stddef.h>

#include "util.h"

void json_add_string(strbuf *sb, const char *s);
void json_add_stringn(strbuf *sb, const char *s, size_t n);
/* json_add_string_or_null: writes null when s is NULL */
void json_add_string_or_null(strbuf *sb, const char *s);
/* json_add_member: writes ,"name": and then s as a string, or null when s
 * is NULL (a member after the first of an object) */
void json_add_member(strbuf *sb, const char *name, const char *s);

#endif
