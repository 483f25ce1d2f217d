/*
 * test_secrets.c: password files (secret_file_read, secrets_source_password):
 * the first line without its line end; a missing, empty or directory path is
 * refused with a message naming the path and never the content; which source
 * wins when several are set.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "config.h"
#include "log.h"
#include "secrets.h"

#define SECRET "Zq8-secret-of-the-file"

static char dir[64];

typedef struct file_case {
	const char *name;
	const char *content; /* NULL: no file; "/": a directory */
	bool ok;
	const char *password; /* when ok */
	const char *err_has;  /* when !ok */
} file_case;

static const file_case file_cases[] = {
	{ "one line with LF", SECRET "\n", true, SECRET, NULL },
	{ "one line without a line end", SECRET, true, SECRET, NULL },
	{ "CR LF stripped", SECRET "\r\n", true, SECRET, NULL },
	{ "only the first line", SECRET "\nsecond\n", true, SECRET, NULL },
	{ "blanks are kept", " " SECRET " \n", true, " " SECRET " ", NULL },
	{ "missing", NULL, false, NULL, "No such file" },
	{ "a directory", "/", false, NULL, "a directory" },
	{ "empty", "", false, NULL, "first line is empty" },
	{ "an empty first line", "\n" SECRET "\n", false, NULL, "first line is empty" },
};

/* write_case: the file (or directory) of c at a new path; returns the path */
static char *write_case(const file_case *c)
{
	char *path = xasprintf("%s/pw", dir);
	FILE *f;

	if (c->content && strcmp(c->content, "/") == 0) {
		assert_int_equal(mkdir(path, 0700), 0);
	} else if (c->content) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(c->content, f);
		fclose(f);
	}
	return path;
}

static void remove_case(char *path)
{
	if (unlink(path) != 0)
		rmdir(path);
	free(path);
}

static void test_file(void **state)
{
	const file_case *c = *state;
	char *path = write_case(c);
	char *pw = (char *)"untouched";
	bool ok = secret_file_read(path, "the test", &pw);

	if (c->ok) {
		assert_true(ok);
		assert_string_equal(pw, c->password);
		free(pw);
	} else {
		assert_false(ok);
		assert_null(pw);
		assert_non_null(strstr(log_last_error(), path));
		assert_non_null(strstr(log_last_error(), "(the test)"));
		assert_non_null(strstr(log_last_error(), c->err_has));
		assert_null(strstr(log_last_error(), SECRET));
	}
	remove_case(path);
}

/* the url's password wins; then $ETLRE_SOURCE_PASSWORD_FILE; then password_file */
static void test_precedence(void **state)
{
	file_case env_file = { "env", "from-env-file\n", true, NULL, NULL };
	char *path = write_case(&env_file);
	config cfg = { 0 };
	mariadb_url u = { 0 };

	(void)state;
	cfg.path = (char *)"etlre.conf";
	cfg.source_password_file = (char *)"/nonexistent/never-read";
	u.password = xstrdup("from-url");
	assert_true(secrets_source_password(&u, &cfg));
	assert_string_equal(u.password, "from-url");
	free(u.password);

	u.password = NULL;
	setenv("ETLRE_SOURCE_PASSWORD_FILE", path, 1);
	assert_true(secrets_source_password(&u, &cfg));
	assert_string_equal(u.password, "from-env-file");
	free(u.password);

	u.password = NULL;
	unsetenv("ETLRE_SOURCE_PASSWORD_FILE");
	assert_false(secrets_source_password(&u, &cfg));
	assert_null(u.password);
	assert_non_null(strstr(log_last_error(), "'/nonexistent/never-read' ([source] password_file in etlre.conf)"));

	cfg.source_password_file = NULL;
	assert_true(secrets_source_password(&u, &cfg));
	assert_null(u.password);
	remove_case(path);
}

static int setup(void **state)
{
	(void)state;
	unsetenv("ETLRE_SOURCE_PASSWORD_FILE");
	snprintf(dir, sizeof(dir), "/tmp/etlre-unit-secrets-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	unit_list l = { 0 };

	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	UNIT_ROWS(&l, "secret_file_read", test_file, file_cases);
	unit_add(&l, "secrets_source_password: precedence", NULL, test_precedence, NULL);
	return unit_run(&l, "secrets", setup, teardown);
}
