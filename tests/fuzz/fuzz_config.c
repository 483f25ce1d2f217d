/*
 * fuzz_config.c: libFuzzer target for config.c. The input is an etlre.conf,
 * read by config_load (through inih and the section-header reader) and, when
 * it loads, its source url parsed by mariadb_url_parse. An input starting
 * with 'U' is instead a source url and identifier on its own (the rest of
 * the input), so that the url parser gets inputs of its own; one starting
 * with 'T' is a target url for tgt_conninfo_check (target_conninfo.c), which
 * hides the quoted parts of libpq's complaint.
 *
 * Properties: no crash, leak or undefined behaviour; a url that parses has a
 * user, host, database and a port in 1..65535, a known sslmode, sslcert and
 * sslkey together, and verify-ca only with a sslrootcert; no refusal message
 * of either url quotes its password.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "target_pg.h"

static char path[64];
static int fd = -1;

static void remove_file(void)
{
	if (fd >= 0)
		unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	unsetenv("ETLRE_SOURCE_URL");
	unsetenv("ETLRE_TARGET_URL");
	unsetenv("ETLRE_SOURCE_PASSWORD");
	unsetenv("ETLRE_CONFIG");
	setenv("USER", "fuzz", 1);
	log_setup(LOG_DEBUG, LOG_FORMAT_TEXT); /* every message is formatted */
	snprintf(path, sizeof(path), "/tmp/etlre-fuzz-config-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		abort();
	}
	atexit(remove_file);
	return 0;
}

/* password_shown_at: whether err quotes the password of url that starts at
 * p: the letters and digits there (followed by end, unless end is 0), when
 * there are at least 6 of them and they occur once in url (else they could
 * be quoted as another part), as a whole word of err */
static bool password_shown_at(const char *url, const char *p, char end, const char *err)
{
	size_t n = 0;
	char pw[64];
	bool shown;

	if (!p)
		return false;
	while (n < sizeof(pw) - 1 && isalnum((unsigned char)p[n]))
		n++;
	if (n < 6 || (end && p[n] != end))
		return false;
	memcpy(pw, p, n);
	pw[n] = '\0';
	if (strstr(p + n, pw) || memmem(url, (size_t)(p - url), pw, n))
		return false;
	/* the run in url is a whole word (no letter or digit on either side), so
	 * a copy of it in err is one too: "connect" inside libpq's own
	 * "connection" is not the password shown */
	shown = false;
	for (const char *q = err; !shown && (q = strstr(q, pw)) != NULL; q++)
		shown = (q == err || !isalnum((unsigned char)q[-1])) && !isalnum((unsigned char)q[n]);
	if (shown)
		fprintf(stderr, "the message shows the password '%s': %s\n", pw, err);
	return shown;
}

/* password_shown: the same for a source url, mariadb://user:PASSWORD@ */
static bool password_shown(const char *url, const char *err)
{
	const char *p = strncmp(url, "mariadb://", 10) == 0 ? strchr(url + 10, ':') : NULL;

	/* the user part ends at the first '@', '/' or '?': a ':' after it is
	 * no password's (it is the port, or inside a parameter) */
	if (p && (size_t)(p - url) > 10 + strcspn(url + 10, "@/?"))
		return false;
	return p && password_shown_at(url, p + 1, '@', err);
}

/* target_case: the password of a target url is the letters and digits
 * after "scheme://user:" or after "password=" (quoted or not) */
static void target_case(const char *url)
{
	char err[256];
	const char *p;

	if (tgt_conninfo_check(url, err, sizeof(err)))
		return;
	fuzz_check(err[0] != '\0');
	p = strstr(url, "://");
	if (p && (p = strpbrk(p + 3, ":@")) && *p == ':')
		fuzz_check(!password_shown_at(url, p + 1, '@', err));
	p = strstr(url, "password=");
	if (p) {
		p += 9;
		p += *p == '\'';
		fuzz_check(!password_shown_at(url, p, 0, err));
	}
}

static void url_case(const char *url)
{
	mariadb_url u;
	char err[256];

	if (mariadb_url_parse(url, &u, err, sizeof(err))) {
		fuzz_check(u.user && u.host && u.database && *u.database);
		fuzz_check(u.port >= 1 && u.port <= 65535);
		fuzz_check(u.sslmode >= SRC_SSL_DISABLE && u.sslmode <= SRC_SSL_VERIFY_FULL);
		fuzz_check(!u.sslcert == !u.sslkey);
		fuzz_check(u.sslmode != SRC_SSL_VERIFY_CA || u.sslrootcert);
		mariadb_url_release(&u);
	} else {
		fuzz_check(err[0] != '\0');
		fuzz_check(!password_shown(url, err));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	config cfg;

	if (size > 0 && data[0] == 'T') {
		char *s = strndup((const char *)data + 1, size - 1);
		target_case(s);
		free(s);
		return 0;
	}
	if (size > 0 && data[0] == 'U') {
		char *s = strndup((const char *)data + 1, size - 1);
		url_case(s);
		(void)ident_valid(s);
		(void)qualified_ident_valid(s);
		free(s);
		return 0;
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (config_load(path, &cfg)) {
		fuzz_check(cfg.source_url && cfg.target_url && cfg.schema && cfg.ntables > 0);
		fuzz_check(ident_valid(cfg.schema));
		for (int i = 0; i < cfg.ntables; i++) {
			fuzz_check(ident_valid(cfg.tables[i].name));
			fuzz_check(qualified_ident_valid(cfg.tables[i].source));
			fuzz_check(qualified_ident_valid(cfg.tables[i].target));
			fuzz_check(cfg.tables[i].nkey > 0);
		}
		url_case(cfg.source_url);
	}
	config_release(&cfg);
	return 0;
}
