/*
 * secrets.c: passwords read from files, and the config file's permission
 * check (see secrets.h and README "Security").
 */
#include "secrets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

bool secret_file_read(const char *path, const char *origin, char **out)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct stat st;

	*out = NULL;
	if (stat(path, &st) != 0) {
		log_error("cannot read the password file '%s' (%s): %s", path, origin, strerror(errno));
		return false;
	}
	if (S_ISDIR(st.st_mode)) {
		log_error("cannot read the password file '%s' (%s): it is a directory", path, origin);
		return false;
	}
	f = fopen(path, "r");
	if (!f) {
		log_error("cannot read the password file '%s' (%s): %s", path, origin, strerror(errno));
		return false;
	}
	errno = 0;
	n = getline(&line, &cap, f);
	if (n < 0 && errno) {
		log_error("cannot read the password file '%s' (%s): %s", path, origin, strerror(errno));
		fclose(f);
		free(line);
		return false;
	}
	fclose(f);
	if (n > 0)
		line[strcspn(line, "\r\n")] = '\0';
	if (n <= 0 || !line[0]) {
		log_error("the password file '%s' (%s) holds no password: its first line is empty",
			  path, origin);
		free(line);
		return false;
	}
	*out = xstrdup(line);
	memset(line, 0, cap);
	free(line);
	return true;
}

bool secrets_source_password(mariadb_url *u, const config *cfg)
{
	const char *env = getenv("ETLRE_SOURCE_PASSWORD_FILE");

	if (u->password)
		return true;
	if (env && *env)
		return secret_file_read(env, "$ETLRE_SOURCE_PASSWORD_FILE", &u->password);
	if (cfg->source_password_file) {
		char *origin = xasprintf("[source] password_file in %s", cfg->path);
		bool ok = secret_file_read(cfg->source_password_file, origin, &u->password);
		free(origin);
		return ok;
	}
	return true;
}

void secrets_check_config_mode(const config *cfg, bool holds_password)
{
	struct stat st;

	if (!holds_password || stat(cfg->path, &st) != 0 || !(st.st_mode & (S_IRWXG | S_IRWXO)))
		return;
	log_warn("the config file '%s' holds a password and its group or others may read it "
		 "(mode %04o): chmod 600 '%s', or move the password to a password file "
		 "(README \"Security\")",
		 cfg->path, (unsigned)(st.st_mode & 07777), cfg->path);
}
