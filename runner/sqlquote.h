/*
 * sqlquote.h: quoting identifiers and literals for SQL built by etlre. Pure.
 * Names from the config are checked by ident_valid() first; quoting them as
 * well means even a name that slipped through is never executed as SQL.
 */
#ifndef ETLRE_SQLQUOTE_H
#define ETLRE_SQLQUOTE_H

#include "util.h"

/* quote_pg_ident: appends "name", or "schema"."name" for a dotted name */
void quote_pg_ident(strbuf *sb, const char *name);
/* quote_pg_literal: appends 'value' with single quotes doubled */
void quote_pg_literal(strbuf *sb, const char *value);
/* quote_my_ident: appends `name`, or `db`.`name` for a dotted name */
void quote_my_ident(strbuf *sb, const char *name);
/* quote_my_literal: appends 'value' with ' and \ escaped for MariaDB */
void quote_my_literal(strbuf *sb, const char *value);
/* sql_with_schema: tmpl with every "@S" replaced by the quoted schema; a new
 * string the caller frees */
char *sql_with_schema(const char *tmpl, const char *schema);

#endif
