/*
 * mariadb_url.c: the source url, mariadb://user:password@host:port/database
 * with its parameters (socket, and TLS in libpq's words: sslmode,
 * sslrootcert, sslcert, sslkey; README "Security"). Parsing only: no file is
 * opened and nothing connects. Declared in config.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* percent_decode: the n bytes at s with %XX escapes decoded; a new string.
 * *ok is false on a bad or truncated escape. */
static char *percent_decode(const char *s, size_t n, bool *ok)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;

	*ok = true;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n ||
			    !isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2])) {
				*ok = false;
				break;
			}
			char hex[3] = { s[i + 1], s[i + 2], 0 };
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

static const char *const sslmode_names[] = { "disable", "prefer", "require", "verify-ca",
					      "verify-full" };

const char *src_sslmode_name(src_sslmode m)
{
	return sslmode_names[m];
}

/* url_param: one name=value of a source url's query into u; false with err */
static bool url_param(const char *param, mariadb_url *u, char *err, size_t err_size)
{
	static const char *const paths[] = { "socket", "sslrootcert", "sslcert", "sslkey" };
	char **slots[] = { &u->socket, &u->sslrootcert, &u->sslcert, &u->sslkey };
	size_t nlen = strcspn(param, "=");
	const char *value = param[nlen] ? param + nlen + 1 : NULL;
	bool ok = true;

	for (size_t i = 0; value && i < ARRAY_SIZE(paths); i++) {
		if (strlen(paths[i]) != nlen || strncmp(param, paths[i], nlen) != 0)
			continue;
		free(*slots[i]);
		*slots[i] = percent_decode(value, strlen(value), &ok);
		if (!ok || !**slots[i])
			snprintf(err, err_size, "source url: %s needs a path (bad %%-escape or empty)",
				 paths[i]);
		return ok && **slots[i];
	}
	if (value && nlen == 7 && strncmp(param, "sslmode", 7) == 0) {
		for (size_t m = 0; m < ARRAY_SIZE(sslmode_names); m++) {
			if (strcmp(value, sslmode_names[m]) == 0) {
				u->sslmode = (src_sslmode)m;
				return true;
			}
		}
		snprintf(err, err_size, "source url: sslmode must be disable, prefer, require, "
			 "verify-ca or verify-full, not '%.40s'", value);
		return false;
	}
	snprintf(err, err_size, "source url: unknown parameter '%.*s' (known: socket, sslmode, "
		 "sslrootcert, sslcert, sslkey)", (int)(nlen > 60 ? 60 : nlen), param);
	return false;
}

/* url_params: the query of a source url (after '?'), and the checks between
 * its TLS parameters; false with err */
static bool url_params(const char *query, mariadb_url *u, char *err, size_t err_size)
{
	char **params;
	int n = str_split(query, '&', &params);
	bool ok = true;

	for (int i = 0; i < n && ok; i++)
		ok = url_param(params[i], u, err, err_size);
	str_list_free(params, n);
	if (ok && !u->sslcert != !u->sslkey) {
		snprintf(err, err_size, "source url: sslcert and sslkey go together (a client "
			 "certificate and its key)");
		ok = false;
	}
	if (ok && u->sslmode == SRC_SSL_VERIFY_CA && !u->sslrootcert) {
		snprintf(err, err_size, "source url: sslmode=verify-ca needs sslrootcert=PATH (the CA "
			 "certificates to check the server's against)");
		ok = false;
	}
	return ok;
}

/* host_port: the host and port between p and end (the '/' before the
 * database) into u: [v6] or a name, then :port; localhost and 3306 when
 * left out. False with err set when they are malformed. */
static bool host_port(const char *p, const char *end, mariadb_url *u, char *err, size_t err_size)
{
	const char *colon;

	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close) {
			snprintf(err, err_size, "source url: unterminated [ in host");
			return false;
		}
		u->host = xstrndup(p + 1, (size_t)(close - p - 1));
		if (close[1] != ':' && close + 1 != end) {
			snprintf(err, err_size, "source url: expected ':' or '/' after ']'");
			return false;
		}
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		u->host = xstrndup(p, (size_t)((colon ? colon : end) - p));
	}
	if (!*u->host) {
		free(u->host);
		u->host = xstrdup("localhost");
	}
	u->port = 3306;
	if (colon) {
		int64_t port;
		char *ps = xstrndup(colon + 1, (size_t)(end - colon - 1));
		bool good = str_to_int64(ps, &port) && port > 0 && port < 65536;
		free(ps);
		if (!good) {
			snprintf(err, err_size, "source url: port must be a number between 1 and 65535");
			return false;
		}
		u->port = (int)port;
	}
	return true;
}

bool mariadb_url_parse(const char *url, mariadb_url *u, char *err, size_t err_size)
{
	const char *p, *at, *slash, *query;
	bool ok = true;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "mariadb://", 10) == 0)
		p = url + 10;
	else if (strncmp(url, "mysql://", 8) == 0)
		p = url + 8;
	else {
		snprintf(err, err_size, "source url must start with mariadb:// (or mysql://)");
		return false;
	}
	slash = strchr(p, '/');
	if (!slash || !slash[1]) {
		snprintf(err, err_size, "source url has no database name (mariadb://user@host:port/DATABASE)");
		return false;
	}
	at = memchr(p, '@', (size_t)(slash - p));
	/* the userinfo may itself contain '@' only percent-encoded; take the last one */
	for (const char *q = p; q < slash; q++)
		if (*q == '@')
			at = q;
	if (at) {
		const char *c = memchr(p, ':', (size_t)(at - p));
		if (c) {
			u->user = percent_decode(p, (size_t)(c - p), &ok);
			if (ok)
				u->password = percent_decode(c + 1, (size_t)(at - c - 1), &ok);
		} else {
			u->user = percent_decode(p, (size_t)(at - p), &ok);
		}
		p = at + 1;
	}
	if (!ok) {
		snprintf(err, err_size, "source url: bad %%-escape in the user or password");
		goto fail;
	}
	if (!host_port(p, slash, u, err, err_size))
		goto fail;
	u->sslmode = SRC_SSL_PREFER;
	query = strchr(slash + 1, '?');
	if (memchr(slash + 1, '@', query ? (size_t)(query - slash - 1) : strlen(slash + 1))) {
		/* "user:12/34@host/db": a '/' in the password ended the host; say so
		 * without naming the parts, which hold a piece of the password */
		snprintf(err, err_size, "source url: '@' after the host; percent-encode '/' as %%2F "
			 "and '@' as %%40 in the user and password");
		goto fail;
	}
	u->database = percent_decode(slash + 1, query ? (size_t)(query - slash - 1) : strlen(slash + 1), &ok);
	if (!ok || !*u->database) {
		snprintf(err, err_size, "source url: bad database name");
		goto fail;
	}
	if (query && !url_params(query + 1, u, err, err_size))
		goto fail;
	u->password_in_url = u->password != NULL;
	if (!u->password) {
		const char *env = getenv("ETLRE_SOURCE_PASSWORD");
		if (env)
			u->password = xstrdup(env);
	}
	if (!u->user)
		u->user = xstrdup(getenv("USER") ? getenv("USER") : "root");
	return true;
fail:
	mariadb_url_release(u);
	return false;
}

void mariadb_url_copy(mariadb_url *dst, const mariadb_url *src)
{
	*dst = *src;
	dst->user = xstrdup_or_null(src->user);
	dst->password = xstrdup_or_null(src->password);
	dst->host = xstrdup_or_null(src->host);
	dst->database = xstrdup_or_null(src->database);
	dst->socket = xstrdup_or_null(src->socket);
	dst->sslrootcert = xstrdup_or_null(src->sslrootcert);
	dst->sslcert = xstrdup_or_null(src->sslcert);
	dst->sslkey = xstrdup_or_null(src->sslkey);
}

void mariadb_url_release(mariadb_url *u)
{
	free(u->user);
	if (u->password)
		memset(u->password, 0, strlen(u->password));
	free(u->password);
	free(u->host);
	free(u->database);
	free(u->socket);
	free(u->sslrootcert);
	free(u->sslcert);
	free(u->sslkey);
	memset(u, 0, sizeof(*u));
}
