/*
 * secrets.h: passwords that come from files, and the warning for a config
 * file that holds a password others can read (README "Security").
 *
 * The source password is taken, first found: from the url, from
 * $ETLRE_SOURCE_PASSWORD, from the file named by $ETLRE_SOURCE_PASSWORD_FILE,
 * from [source] password_file. A password file's first line is the password
 * (its newline stripped): what systemd's LoadCredential= and a Kubernetes
 * secret volume hand a program. No function here logs a password.
 */
#ifndef ETLRE_SECRETS_H
#define ETLRE_SECRETS_H

#include <stdbool.h>

#include "config.h"

/* secret_file_read: the first line of path, without its line end, as a new
 * string in *out (the caller frees it, best wiped first). false after logging
 * an error that names path and origin (where the path came from) and never
 * the file's content: missing, unreadable, a directory, or empty. */
bool secret_file_read(const char *path, const char *origin, char **out) MUSTCHECK;

/* secrets_source_password: when u has no password yet, reads it from
 * $ETLRE_SOURCE_PASSWORD_FILE or cfg's [source] password_file, if either is
 * set; false after logging when that file cannot be read */
bool secrets_source_password(mariadb_url *u, const config *cfg) MUSTCHECK;

/* secrets_check_config_mode: warns, naming the file and chmod 600, when the
 * config file cfg->path holds a password (holds_password) and its mode lets
 * its group or others read it, as libpq does for .pgpass */
void secrets_check_config_mode(const config *cfg, bool holds_password);

#endif
