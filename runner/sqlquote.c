/*
 * sqlquote.c: identifier and literal quoting for PostgreSQL and MariaDB.
 */
#include "sqlquote.h"

#include <string.h>

static void quote_part(strbuf *sb, const char *s, size_t n, char q)
{
	sb_addc(sb, q);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == q)
			sb_addc(sb, q);
		sb_addc(sb, s[i]);
	}
	sb_addc(sb, q);
}

static void quote_dotted(strbuf *sb, const char *name, char q)
{
	const char *dot = strchr(name, '.');

	if (dot) {
		quote_part(sb, name, (size_t)(dot - name), q);
		sb_addc(sb, '.');
		quote_part(sb, dot + 1, strlen(dot + 1), q);
	} else {
		quote_part(sb, name, strlen(name), q);
	}
}

void quote_pg_ident(strbuf *sb, const char *name)
{
	quote_dotted(sb, name, '"');
}

void quote_my_ident(strbuf *sb, const char *name)
{
	quote_dotted(sb, name, '`');
}

void quote_pg_literal(strbuf *sb, const char *value)
{
	quote_part(sb, value, strlen(value), '\'');
}

void quote_my_literal(strbuf *sb, const char *value)
{
	sb_addc(sb, '\'');
	for (const char *p = value; *p; p++) {
		if (*p == '\'' || *p == '\\')
			sb_addc(sb, '\\');
		sb_addc(sb, *p);
	}
	sb_addc(sb, '\'');
}

char *sql_with_schema(const char *tmpl, const char *schema)
{
	strbuf sb;

	sb_init(&sb, strlen(tmpl) + 64);
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '@' && p[1] == 'S') {
			quote_pg_ident(&sb, schema);
			p++;
		} else {
			sb_addc(&sb, *p);
		}
	}
	return sb_detach(&sb);
}
