/*
 * target_conninfo.c: the target's connection string, read by libpq's own
 * parser without connecting (see target_pg.h): its short description for
 * messages, a check with libpq's error made safe to show (it may quote the
 * password), and whether it holds a password. With target_pg.c, the only
 * file that includes libpq-fe.h.
 */
#include "target_pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *tgt_conninfo_describe(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	const char *user = "", *host = "", *port = "", *db = "";
	char *out;

	if (!opts)
		return xstrdup("(unparsable target url)");
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (strcmp(o->keyword, "user") == 0)
			user = o->val;
		else if (strcmp(o->keyword, "host") == 0 || (strcmp(o->keyword, "hostaddr") == 0 && !*host))
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
	}
	out = xasprintf("%s%s%s%s%s/%s", user, *user ? "@" : "", host, *port ? ":" : "", port, db);
	PQconninfoFree(opts);
	return out;
}

bool tgt_conninfo_check(const char *conninfo, char *err, size_t err_size)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
	const char *text = msg ? msg : "out of memory", *end, *last = NULL;
	size_t o = 0;

	if (opts || (!strchr(conninfo, '=') && strncmp(conninfo, "postgresql://", 13) != 0 &&
		     strncmp(conninfo, "postgres://", 11) != 0)) {
		/* parsed; or a database name alone, which is how libpq takes it */
		PQconninfoFree(opts);
		PQfreemem(msg);
		return true;
	}
	/* libpq quotes the offending part, which may be the whole URI with its
	 * password, and may itself hold quotes: from the first quoted part that
	 * is not one of libpq's own tokens ("=", "]", followed by a space or the
	 * end: an option name may start with ]") to the last quote of the
	 * message (a quoted part may hold a newline too), all becomes "..."
	 * (found by tests/fuzz/fuzz_config.c); the message is made one line */
	end = text + strlen(text);
	while (end > text && end[-1] == '\n')
		end--;
	for (const char *q = text; q < end; q++)
		if (*q == '"')
			last = q;
	for (const char *p = text; p < end && o + 6 < err_size; p++) {
		if (*p != '"' || p == last) {
			err[o++] = *p == '\n' ? ' ' : *p;
		} else if ((p[1] == '=' || p[1] == ']') && p[2] == '"' && (p + 3 == end || p[3] == ' ')) {
			memcpy(err + o, p, 3);
			o += 3;
			p += 2;
		} else {
			memcpy(err + o, "\"...\"", 5);
			o += 5;
			p = last;
		}
	}
	err[o] = '\0';
	PQfreemem(msg);
	return false;
}

bool tgt_conninfo_has_password(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	bool has = false;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0])
			has = true;
	PQconninfoFree(opts);
	return has;
}
