/*
 * test_config.c: unit tests of config.c: loading etlre.conf (the README's INI
 * format) from temporary files, the checks config_load does, the environment
 * overrides, config_find_path, identifier checks and MariaDB URL parsing.
 *
 * Each config_load runs with stderr captured, so that a refused file is
 * checked for the right complaint (and the right line), not just for false.
 */
#include "unit.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* a password used in the cases, which must never show in an error or a log */
#define SECRET "Sw0rdf1sh"

static char tmpdir[64]; /* made by the group setup; holds the config files */
static char saved_cwd[4096];

/* ---- helpers ---- */

static void write_file(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(text, 1, n, f) != n || fclose(f) != 0)
		fail_msg("cannot write '%s': %s", path, strerror(errno));
}

/* write_config: text into a new file under tmpdir; returns its path (owned) */
static char *write_config(const char *text, size_t n)
{
	char *path = xasprintf("%s/etlre-XXXXXX", tmpdir);
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

typedef struct capture {
	int saved_fd;
	FILE *file;
} capture;

static void capture_begin(capture *c)
{
	fflush(stderr);
	c->file = tmpfile();
	assert_non_null(c->file);
	c->saved_fd = dup(2);
	assert_true(c->saved_fd >= 0);
	assert_true(dup2(fileno(c->file), 2) >= 0);
}

/* capture_end: restores stderr; returns what was written to it (owned) */
static char *capture_end(capture *c)
{
	strbuf sb;
	char buf[4096];
	size_t n;

	fflush(stderr);
	dup2(c->saved_fd, 2);
	close(c->saved_fd);
	rewind(c->file);
	sb_init(&sb, 0);
	while ((n = fread(buf, 1, sizeof(buf), c->file)) > 0)
		sb_add(&sb, buf, n);
	fclose(c->file);
	return sb_detach(&sb);
}

/* load: writes text to a config file and runs config_load on it with stderr
 * captured into *log (owned); *path_out gets the file's path (owned; the file
 * is removed already) */
static bool load(const char *text, size_t n, config *cfg, char **log, char **path_out)
{
	char *path = write_config(text, n);
	capture cap;
	bool ok;

	capture_begin(&cap);
	ok = config_load(path, cfg);
	*log = capture_end(&cap);
	unlink(path);
	if (path_out)
		*path_out = path;
	else
		free(path);
	return ok;
}

/* line_where: the 1-based line of text on which the first `at` ends */
static int line_where(const char *text, const char *at)
{
	const char *p = strstr(text, at);
	int line = 1;

	if (!p)
		fail_msg("test bug: '%s' is not in the config text", at);
	for (const char *q = text; q < p + strlen(at) - 1; q++)
		if (*q == '\n')
			line++;
	return line;
}

/* ---- the files ---- */

#define SRC "[source]\nurl = mariadb://etl@127.0.0.1:3306/ivr\n"
#define TGT "[target]\nurl = postgresql://etl@127.0.0.1:5432/analytics\n"
#define TABLE(name, source, target, time_column, key)                                         \
	"[table " name "]\nsource = " source "\ntarget = " target "\ntime_column = " time_column \
	"\nkey = " key "\n"
#define TBL TABLE("calls", "calls", "analytics.calls", "start_time", "call_id")
#define GOOD SRC TGT TBL

/* names of 63 bytes (PostgreSQL's limit, what ident_valid allows) and of 43 */
#define N63 "n12345678901234567890123456789012345678901234567890123456789012"
#define N43 "n123456789012345678901234567890123456789012"

/* the README's example configuration, as written there */
static const char spec_example[] =
	"[source]\n"
	"url = mariadb://etl@127.0.0.1:3306/ivr     ; password: $ETLRE_SOURCE_PASSWORD or in the url\n"
	"[target]\n"
	"url = postgresql://etl@127.0.0.1:5432/analytics   ; any libpq URI or conninfo; libpq's own\n"
	"                                                  ; password rules apply (PGPASSWORD, .pgpass)\n"
	"[etlre]\n"
	"schema = etlre        ; where etlre keeps its own tables in the target (jobs, chunks, rejects)\n"
	"timezone = UTC        ; the zone that source DATETIME values are in\n"
	"\n"
	"[table calls]                      ; one section per table; the name is what --table takes\n"
	"source = calls                     ; source table, optionally db.table\n"
	"target = analytics.calls           ; target table, optionally schema.table\n"
	"time_column = start_time           ; the column that decides which hour a row belongs to\n"
	"key = call_id                      ; unique key (comma-separated if compound)\n"
	"columns = call_id, start_time, duration, status   ; optional; default: every target column\n"
	"                                                  ; that the source also has\n"
	"expr.duration_s = TIMESTAMPDIFF(SECOND, start_time, end_time)  ; optional: a target column\n"
	"                                                  ; computed by a MariaDB expression\n"
	"check.duration_nonneg = duration >= 0   ; optional: a named rule, a MariaDB boolean expression;\n"
	"                                        ; a row where it is not true is invalid\n"
	"mode = replace                     ; replace (default) | merge (upsert on key)\n"
	"after_day = sql/postgres/daily_metrics.sql  ; optional: SQL run in the target after a day's\n"
	"                                            ; hours are loaded; :day is the date\n"
	"partitions = monthly               ; optional: daily | monthly: create missing range partitions\n"
	"                                   ; of a partitioned target before loading an hour\n";

/* ---- files that load ---- */

typedef struct good_case {
	const char *name;
	const char *text;
	size_t n;
	void (*check)(config *cfg);
} good_case;

static void check_spec_example(config *cfg)
{
	table_config *t;
	char *after_day = xasprintf("%s/sql/postgres/daily_metrics.sql", tmpdir);

	assert_string_equal(cfg->source_url, "mariadb://etl@127.0.0.1:3306/ivr");
	assert_string_equal(cfg->target_url, "postgresql://etl@127.0.0.1:5432/analytics");
	assert_string_equal(cfg->schema, "etlre");
	assert_string_equal(cfg->timezone, "UTC");
	assert_int_equal(cfg->connect_timeout, 10);
	assert_int_equal(cfg->network_timeout, 300);
	assert_int_equal(cfg->stuck_after, 900);
	assert_int_equal(cfg->ntables, 1);
	t = &cfg->tables[0];
	assert_ptr_equal(config_find_table(cfg, "calls"), t);
	assert_null(config_find_table(cfg, "call"));
	assert_string_equal(t->name, "calls");
	assert_string_equal(t->source, "calls");
	assert_string_equal(t->target, "analytics.calls");
	assert_string_equal(t->time_column, "start_time");
	assert_int_equal(t->nkey, 1);
	assert_string_equal(t->key[0], "call_id");
	assert_int_equal(t->ncolumns, 4);
	assert_string_equal(t->columns[0], "call_id");
	assert_string_equal(t->columns[1], "start_time");
	assert_string_equal(t->columns[2], "duration");
	assert_string_equal(t->columns[3], "status");
	assert_int_equal(t->nexprs, 1);
	assert_string_equal(t->exprs[0].name, "duration_s");
	assert_string_equal(t->exprs[0].expr, "TIMESTAMPDIFF(SECOND, start_time, end_time)");
	assert_int_equal(t->nchecks, 1);
	assert_string_equal(t->checks[0].name, "duration_nonneg");
	assert_string_equal(t->checks[0].expr, "duration >= 0");
	assert_int_equal(t->mode, MODE_REPLACE);
	assert_string_equal(t->after_day, after_day);
	assert_int_equal(t->partitions, PARTITIONS_MONTHLY);
	free(after_day);
}

static void check_defaults(config *cfg)
{
	table_config *t = &cfg->tables[0];

	assert_string_equal(cfg->schema, "etlre");
	assert_string_equal(cfg->timezone, "UTC");
	assert_int_equal(cfg->connect_timeout, 10);
	assert_int_equal(cfg->max_range_days, DEFAULT_MAX_RANGE_DAYS);
	assert_int_equal(cfg->jobs, 0); /* unset: the machine's default */
	assert_int_equal(cfg->ntables, 1);
	assert_null(t->columns);
	assert_int_equal(t->ncolumns, 0);
	assert_int_equal(t->nexprs, 0);
	assert_int_equal(t->nchecks, 0);
	assert_int_equal(t->mode, MODE_REPLACE);
	assert_null(t->after_day);
	assert_int_equal(t->partitions, PARTITIONS_NONE);
}

static void check_plain_urls(config *cfg)
{
	/* no '\r', no BOM, no trailing blanks kept */
	assert_string_equal(cfg->source_url, "mariadb://etl@127.0.0.1:3306/ivr");
	assert_string_equal(cfg->target_url, "postgresql://etl@127.0.0.1:5432/analytics");
	assert_string_equal(cfg->tables[0].name, "calls");
	assert_string_equal(cfg->tables[0].key[0], "call_id");
}

static void check_compound_key(config *cfg)
{
	table_config *t = &cfg->tables[0];

	assert_int_equal(t->nkey, 3);
	assert_string_equal(t->key[0], "site_id");
	assert_string_equal(t->key[1], "call_id");
	assert_string_equal(t->key[2], "leg$");
}

static void check_two_tables(config *cfg)
{
	table_config *a, *b;

	assert_int_equal(cfg->ntables, 2);
	a = config_find_table(cfg, "calls");
	b = config_find_table(cfg, "agents");
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a->source, "ivr.calls");
	assert_string_equal(b->source, "agents");
	assert_string_equal(b->target, "public.agents");
	assert_string_equal(b->key[0], "agent_id");
	assert_null(config_find_table(cfg, "Calls"));
}

static void check_semicolon_in_value(config *cfg)
{
	/* ';' not after a blank is part of the value, not a comment */
	assert_string_equal(cfg->source_url, "mariadb://etl:pa;ss@127.0.0.1/ivr");
	assert_string_equal(cfg->tables[0].checks[0].expr, "a = b;c");
}

static void check_etlre_section(config *cfg)
{
	assert_string_equal(cfg->schema, "etl_meta");
	assert_string_equal(cfg->timezone, "America/Argentina/Buenos_Aires");
	assert_int_equal(cfg->connect_timeout, 3600);
	assert_int_equal(cfg->network_timeout, 86400);
	assert_int_equal(cfg->stuck_after, 60);
}

static void check_max_range_days(config *cfg)
{
	assert_int_equal(cfg->max_range_days, 36600);
}

static void check_jobs(config *cfg)
{
	assert_int_equal(cfg->jobs, MAX_JOBS);
}

static void check_expr_checks(config *cfg)
{
	table_config *t = &cfg->tables[0];

	assert_int_equal(t->nexprs, 2);
	assert_string_equal(t->exprs[0].name, "a");
	assert_string_equal(t->exprs[0].expr, "x + 1");
	assert_string_equal(t->exprs[1].name, "b");
	assert_string_equal(t->exprs[1].expr, "IF(y = 1, 'on', 'off')");
	assert_int_equal(t->nchecks, 2);
	assert_string_equal(t->checks[0].name, "pos");
	assert_string_equal(t->checks[0].expr, "x >= 0");
	/* the same name as an expr is allowed: a different namespace */
	assert_string_equal(t->checks[1].name, "a");
}

static void check_table_name_63(config *cfg)
{
	assert_int_equal(strlen(N63), 63);
	assert_string_equal(cfg->tables[0].name, N63);
	assert_non_null(config_find_table(cfg, N63));
}

static void check_table_name_43(config *cfg)
{
	assert_string_equal(cfg->tables[0].name, N43);
	assert_non_null(config_find_table(cfg, N43));
}

static void check_absolute_after_day(config *cfg)
{
	char *want = xasprintf("%s/sql/postgres/daily_metrics.sql", tmpdir);
	assert_string_equal(cfg->tables[0].after_day, want);
	free(want);
}

static const good_case good_cases[] = {
	{ "the README's example", B(spec_example), check_spec_example },
	{ "minimal file, defaults", B(GOOD), check_defaults },
	{ "CRLF line endings",
	  B("[source]\r\nurl = mariadb://etl@127.0.0.1:3306/ivr\r\n[target]\r\n"
	    "url = postgresql://etl@127.0.0.1:5432/analytics\r\n[table calls]\r\nsource = calls\r\n"
	    "target = analytics.calls\r\ntime_column = start_time\r\nkey = call_id\r\n"),
	  check_plain_urls },
	{ "UTF-8 byte order mark", B("\xef\xbb\xbf" GOOD), check_plain_urls },
	{ "comments, blank lines, indentation",
	  B("; a comment\n# another\n\n[source]\n  url = mariadb://etl@127.0.0.1:3306/ivr  \n"
	    "\t; indented comment\n" TGT "\n\n" TBL "# end\n"),
	  check_plain_urls },
	{ "no newline at the end of the file",
	  B(SRC TGT "[table calls]\nsource = calls\ntarget = analytics.calls\n"
		    "time_column = start_time\nkey = call_id"),
	  check_plain_urls },
	{ "compound key with blanks",
	  B(SRC TGT TABLE("calls", "calls", "calls", "t", "site_id , call_id,leg$")),
	  check_compound_key },
	{ "two tables",
	  B(SRC TGT TABLE("calls", "ivr.calls", "analytics.calls", "start_time", "call_id")
		TABLE("agents", "agents", "public.agents", "updated_at", "agent_id")),
	  check_two_tables },
	{ "';' inside a value",
	  B("[source]\nurl = mariadb://etl:pa;ss@127.0.0.1/ivr ; the comment\n" TGT TBL
	    "check.c = a = b;c\n"),
	  check_semicolon_in_value },
	{ "[etlre] settings",
	  B(SRC TGT "[etlre]\nschema = etl_meta\ntimezone = America/Argentina/Buenos_Aires\n"
		    "connect_timeout = 3600\nnetwork_timeout = 86400\nstuck_after = 60\n" TBL),
	  check_etlre_section },
	{ "max_range_days", B(SRC TGT "[etlre]\nmax_range_days = 36600\n" TBL), check_max_range_days },
	{ "jobs", B(SRC TGT "[etlre]\njobs = 64\n" TBL), check_jobs },
	{ "expr.* and check.*",
	  B(GOOD "expr.a = x + 1\nexpr.b = IF(y = 1, 'on', 'off')\ncheck.pos = x >= 0\n"
		 "check.a = a > 0\n"),
	  check_expr_checks },
	{ "table name of 43 bytes", B(SRC TGT TABLE(N43, "calls", "t", "ts", "id")),
	  check_table_name_43 },
	{ "table name of 63 bytes", B(SRC TGT TABLE(N63, "calls", "t", "ts", "id")),
	  check_table_name_63 },
};

static void test_config_good(void **state)
{
	const good_case *c = *state;
	config cfg;
	char *log;

	if (!load(c->text, c->n, &cfg, &log, NULL))
		fail_msg("refused: %s", log);
	c->check(&cfg);
	config_release(&cfg);
	free(log);
}

static void test_config_absolute_after_day(void **state)
{
	char *text = xasprintf(GOOD "after_day = %s/sql/postgres/daily_metrics.sql\n", tmpdir);
	config cfg;
	char *log;
	(void)state;

	if (!load(text, strlen(text), &cfg, &log, NULL))
		fail_msg("refused: %s", log);
	check_absolute_after_day(&cfg);
	config_release(&cfg);
	free(log);
	free(text);
}

/* long lines: inih's default limit is 200 bytes a line (newline included) */
typedef enum { LINE_CHECK, LINE_COLUMNS, LINE_URL } long_line_kind;

typedef struct long_line_case {
	const char *name;
	long_line_kind kind;
	size_t len; /* of the line, without its newline */
} long_line_case;

static const long_line_case long_line_cases[] = {
	{ "check.* line of 198 bytes", LINE_CHECK, 198 },
	{ "check.* line of 199 bytes", LINE_CHECK, 199 },
	{ "check.* line of 200 bytes", LINE_CHECK, 200 },
	{ "check.* line of 301 bytes", LINE_CHECK, 301 },
	{ "check.* line of 10000 bytes", LINE_CHECK, 10000 },
	{ "columns line of about 400 bytes", LINE_COLUMNS, 400 },
	{ "url line of 350 bytes", LINE_URL, 350 },
	{ "columns line of about 150 bytes", LINE_COLUMNS, 150 },
	{ "url line of 190 bytes", LINE_URL, 190 },
};

static void test_config_long_line(void **state)
{
	const long_line_case *c = *state;
	strbuf line, value, text;
	config cfg;
	char *log;
	table_config *t;
	int ncols = 0;

	sb_init(&line, 0);
	sb_init(&value, 0);
	sb_init(&text, 0);
	switch (c->kind) {
	case LINE_CHECK: /* check.long = x + x + ... 1 */
		sb_adds(&line, "check.long = ");
		while (line.len < c->len)
			sb_adds(&line, "x + ");
		line.len = c->len;
		line.buf[c->len - 1] = '1';
		line.buf[c->len] = '\0';
		sb_adds(&value, line.buf + strlen("check.long = "));
		sb_addf(&text, GOOD "%s\n", line.buf);
		break;
	case LINE_COLUMNS: /* columns = column_0000, column_0001, ... */
		sb_adds(&line, "columns = ");
		while (line.len < c->len) {
			sb_addf(&line, "%scolumn_%04d", ncols ? ", " : "", ncols);
			ncols++;
		}
		sb_addf(&text, GOOD "%s\n", line.buf);
		break;
	case LINE_URL: /* url = mariadb://etl@127.0.0.1:3306/dddd... */
		sb_adds(&line, "url = mariadb://etl@127.0.0.1:3306/");
		while (line.len < c->len)
			sb_addc(&line, 'd');
		sb_adds(&value, line.buf + strlen("url = "));
		sb_addf(&text, "[source]\n%s\n" TGT TBL, line.buf);
		break;
	}
	assert_true(line.len >= c->len);
	if (!load(text.buf, text.len, &cfg, &log, NULL))
		fail_msg("a %zu-byte line is refused: %s", line.len, log);
	t = &cfg.tables[0];
	switch (c->kind) {
	case LINE_CHECK:
		assert_int_equal(t->nchecks, 1);
		assert_string_equal(t->checks[0].expr, value.buf);
		break;
	case LINE_COLUMNS:
		assert_int_equal(t->ncolumns, ncols);
		assert_string_equal(t->columns[0], "column_0000");
		sb_addf(&value, "column_%04d", ncols - 1);
		assert_string_equal(t->columns[ncols - 1], value.buf);
		break;
	case LINE_URL:
		assert_string_equal(cfg.source_url, value.buf);
		break;
	}
	config_release(&cfg);
	free(log);
	sb_release(&line);
	sb_release(&value);
	sb_release(&text);
}

/* ---- files that are refused ---- */

typedef struct bad_case {
	const char *name;
	const char *text;
	const char *at;   /* the error names the line where this text ends (a bad section
	                   * header is reported on its own line); NULL: no line */
	const char *want; /* a part of the logged error (NULL: any) */
} bad_case;

#define T(name, src, tgt, time, key) SRC TGT TABLE(name, src, tgt, time, key)

static const bad_case bad_cases[] = {
	/* keys and sections */
	{ "unknown key in [source]", SRC "colour = blue\n" TGT TBL, "colour", "colour" },
	{ "unknown key in [table]", GOOD "frobnicate = 1\n", "frobnicate", "frobnicate" },
	{ "misspelled key", GOOD "time_colum = x\n", "time_colum =", "time_colum" },
	{ "key of another section", SRC "schema = etlre\n" TGT TBL, "schema", "schema" },
	{ "empty key name", GOOD "= value\n", "= value", NULL },
	{ "unknown section", GOOD "[sauce]\nx = 1\n", "[sauce]", "sauce" },
	{ "misspelled [etlre]", SRC TGT "[etrle]\nschema = etlre\n" TBL, "[etrle]", "etrle" },
	{ "[table] without a name", GOOD "[table]\nsource = x\n", "[table]", "table" },
	{ "unknown section without keys", SRC TGT "[sauce]\n" TBL, "[sauce]", "sauce" },
	{ "key outside any section", "url = mariadb://x@h/db\n" GOOD, "url = mariadb://x@h/db",
	  "url" },
	{ "line without '='", SRC "this line has no equals sign\n" TGT TBL, "this line", NULL },
	{ "url without '=' (name:value form), with a password",
	  "[source]\nurl mariadb://etl:" SECRET "@127.0.0.1/ivr\n" TGT TBL, "url mariadb", "url" },
	{ "section without ']'", SRC TGT "[table calls\nsource = calls\n", "[table calls", NULL },
	{ "duplicate url", SRC "url = mariadb://etl:" SECRET "@h/db\n" TGT TBL,
	  "url = mariadb://etl:" SECRET, "url" },
	{ "duplicate table key", GOOD "source = calls2\n", "source = calls2", "source" },
	{ "duplicate key list", GOOD "key = other_id\n", "key = other_id", "key" },
	{ "duplicate columns", GOOD "columns = a\ncolumns = b\n", "columns = b", "columns" },
	{ "duplicate expr.*", GOOD "expr.d = 1\nexpr.d = 2\n", "expr.d = 2", "expr.d" },
	{ "duplicate check.*", GOOD "check.c = 1\ncheck.c = 2\n", "check.c = 2", "check.c" },
	{ "duplicate [table calls], apart", GOOD "[etlre]\nschema = etlre\n[table calls]\ncolumns = a\n",
	  "schema = etlre\n[table calls]", "calls" },
	{ "duplicate [table calls], adjacent", GOOD "[table calls]\ncolumns = a\n",
	  "key = call_id\n[table calls]", "twice" },

	/* required settings */
	{ "no source url", TGT TBL, NULL, "source" },
	{ "no target url", SRC TBL, NULL, "target" },
	{ "no table", SRC TGT, NULL, "table" },
	{ "empty file", "", NULL, NULL },
	{ "table without source",
	  SRC TGT "[table calls]\ntarget = t\ntime_column = ts\nkey = id\n", NULL, "'source'" },
	{ "table without target",
	  SRC TGT "[table calls]\nsource = s\ntime_column = ts\nkey = id\n", NULL, "'target'" },
	{ "table without time_column",
	  SRC TGT "[table calls]\nsource = s\ntarget = t\nkey = id\n", NULL, "time_column" },
	{ "table without key",
	  SRC TGT "[table calls]\nsource = s\ntarget = t\ntime_column = ts\n", NULL, "key" },

	/* values */
	{ "mode upsert", GOOD "mode = upsert\n", "mode = upsert", "upsert" },
	{ "partitions weekly", GOOD "partitions = weekly\n", "partitions = weekly", "weekly" },
	{ "mode empty", GOOD "mode =\n", "mode =", "mode" },
	{ "connect_timeout 0", SRC TGT "[etlre]\nconnect_timeout = 0\n" TBL, "connect_timeout",
	  "connect_timeout" },
	{ "stuck_after 0", SRC TGT "[etlre]\nstuck_after = 0\n" TBL, "stuck_after", "(1-604800)" },
	{ "stuck_after 15m", SRC TGT "[etlre]\nstuck_after = 15m\n" TBL, "stuck_after", "15m" },
	{ "network_timeout 0", SRC TGT "[etlre]\nnetwork_timeout = 0\n" TBL, "network_timeout",
	  "(1-86400)" },
	{ "network_timeout 86401", SRC TGT "[etlre]\nnetwork_timeout = 86401\n" TBL,
	  "network_timeout", "86401" },
	{ "network_timeout with unit", SRC TGT "[etlre]\nnetwork_timeout = 5m\n" TBL,
	  "network_timeout", "5m" },
	{ "connect_timeout 3601", SRC TGT "[etlre]\nconnect_timeout = 3601\n" TBL,
	  "connect_timeout", "3601" },
	{ "connect_timeout with unit", SRC TGT "[etlre]\nconnect_timeout = 10s\n" TBL,
	  "connect_timeout", "10s" },
	{ "max_range_days 0", SRC TGT "[etlre]\nmax_range_days = 0\n" TBL, "max_range_days",
	  "max_range_days" },
	{ "max_range_days 36601", SRC TGT "[etlre]\nmax_range_days = 36601\n" TBL,
	  "max_range_days", "36601" },
	{ "max_range_days with unit", SRC TGT "[etlre]\nmax_range_days = 10d\n" TBL,
	  "max_range_days", "10d" },
	{ "jobs 0", SRC TGT "[etlre]\njobs = 0\n" TBL, "jobs", "(1-64)" },
	{ "jobs 65", SRC TGT "[etlre]\njobs = 65\n" TBL, "jobs", "65" },
	{ "jobs auto", SRC TGT "[etlre]\njobs = auto\n" TBL, "jobs", "worker processes" },
	{ "jobs twice", SRC TGT "[etlre]\njobs = 2\njobs = 3\n" TBL, "jobs = 2\njobs", "twice" },
	{ "network_timeout twice", SRC TGT "[etlre]\nnetwork_timeout = 5\nnetwork_timeout = 7\n" TBL,
	  "network_timeout = 5\nnetwork_timeout", "'network_timeout' is set twice in [etlre]" },
	{ "max_range_days twice, same value", SRC TGT "[etlre]\nmax_range_days = 9\nmax_range_days = 9\n" TBL,
	  "max_range_days = 9\nmax_range_days", "set twice" },
	{ "mode twice", GOOD "mode = merge\nmode = replace\n", "mode = merge\nmode", "'mode' is set twice in [table calls]" },
	{ "zero_dates twice", GOOD "zero_dates = null\nzero_dates = null\n", "zero_dates = null\nzero_dates", "set twice" },
	{ "schema with a space", SRC TGT "[etlre]\nschema = my schema\n" TBL, NULL, "my schema" },
	{ "schema with a quote", SRC TGT "[etlre]\nschema = etl\"re\n" TBL, NULL, "etl\"re" },
	{ "timezone with a quote", SRC TGT "[etlre]\ntimezone = UTC';--\n" TBL, NULL, "timezone" },
	{ "after_day file missing", GOOD "after_day = no/such/file.sql\n", NULL, "no/such/file.sql" },

	/* table names (the section) */
	{ "table name with a quote", SRC TGT "[table ca'lls]\nsource = calls\n",
	  "[table ca'lls]\nsource", "ca'lls" },
	{ "table name with a space", SRC TGT "[table my calls]\nsource = calls\n",
	  "[table my calls]\nsource", "my calls" },
	{ "table name with backticks", SRC TGT "[table `calls`]\nsource = calls\n",
	  "[table `calls`]\nsource", "`calls`" },
	{ "table name with a semicolon", SRC TGT "[table calls;drop]\nsource = calls\n",
	  "[table calls;drop]\nsource", "calls;drop" },
	{ "table name with a dot", SRC TGT "[table ivr.calls]\nsource = calls\n",
	  "[table ivr.calls]\nsource", "ivr.calls" },
	{ "table name starting with a digit", SRC TGT "[table 1calls]\nsource = calls\n",
	  "[table 1calls]\nsource", "1calls" },
	{ "table name not ASCII", SRC TGT "[table caf\xc3\xa9]\nsource = calls\n",
	  "[table caf\xc3\xa9]\nsource", "caf" },
	{ "table name of 64 bytes", SRC TGT TABLE(N63 "x", "calls", "t", "ts", "id"),
	  "2x]\nsource", N63 "x" },

	/* source, target, time_column: plain names only */
	{ "source with a quote", T("calls", "ca'lls", "t", "ts", "id"), NULL, "ca'lls" },
	{ "source with a semicolon", T("calls", "calls;drop", "t", "ts", "id"), NULL, "calls;drop" },
	{ "source with a space", T("calls", "calls x", "t", "ts", "id"), NULL, "calls x" },
	{ "source in backticks", T("calls", "`calls`", "t", "ts", "id"), NULL, "`calls`" },
	{ "source with two dots", T("calls", "ivr.calls.x", "t", "ts", "id"), NULL, "ivr.calls.x" },
	{ "source ending in a dot", T("calls", "ivr.", "t", "ts", "id"), NULL, "ivr." },
	{ "source starting with a dot", T("calls", ".calls", "t", "ts", "id"), NULL, ".calls" },
	{ "target with double quotes", T("calls", "calls", "analytics.\"calls\"", "ts", "id"), NULL,
	  "\"calls\"" },
	{ "target with a semicolon", T("calls", "calls", "analytics.calls;", "ts", "id"), NULL,
	  "analytics.calls;" },
	{ "target with a space", T("calls", "calls", "analytics calls", "ts", "id"), NULL,
	  "analytics calls" },
	{ "time_column with a space", T("calls", "calls", "t", "start time", "id"), NULL,
	  "start time" },
	{ "time_column qualified", T("calls", "calls", "t", "c.start_time", "id"), NULL,
	  "c.start_time" },
	{ "time_column with a semicolon", T("calls", "calls", "t", "ts;", "id"), NULL, "ts;" },

	/* key, columns, expr.*, check.* names */
	{ "key with a space", T("calls", "calls", "t", "ts", "call_id, bad name"), "bad name",
	  "bad name" },
	{ "key with a semicolon", T("calls", "calls", "t", "ts", "id;x"), "id;x", "id;x" },
	{ "key in backticks", T("calls", "calls", "t", "ts", "`id`"), "`id`", "`id`" },
	{ "key with a double quote", T("calls", "calls", "t", "ts", "id,\"x\""), "id,\"x\"",
	  "\"x\"" },
	{ "key of commas only", T("calls", "calls", "t", "ts", ", ,"), "key = , ,", "key" },
	{ "columns with a dash", GOOD "columns = a, b-c\n", "b-c", "b-c" },
	{ "expr name with a dash", GOOD "expr.bad-name = 1\n", "bad-name", "bad-name" },
	{ "expr name empty", GOOD "expr. = 1\n", "expr. = 1", "expr." },
	{ "expr name with a dot", GOOD "expr.a.b = 1\n", "expr.a.b", "a.b" },
	{ "check without expression", GOOD "check.x =\n", "check.x =", "check.x" },
};

#undef T

static void test_config_bad(void **state)
{
	const bad_case *c = *state;
	config cfg;
	char *log, *path;
	bool ok = load(c->text, strlen(c->text), &cfg, &log, &path);

	config_release(&cfg);
	if (ok)
		fail_msg("loaded, but should be refused");
	if (strstr(log, SECRET))
		fail_msg("the log shows the password: %s", log);
	if (!strstr(log, path))
		fail_msg("the log does not name the file '%s': %s", path, log);
	if (c->want && !strstr(log, c->want))
		fail_msg("the log does not mention '%s': %s", c->want, log);
	if (c->at) {
		char *where = xasprintf("%s:%d:", path, line_where(c->text, c->at));
		if (!strstr(log, where))
			fail_msg("the log does not point at '%s': %s", where, log);
		free(where);
	}
	free(log);
	free(path);
}

static void test_config_missing_file(void **state)
{
	config cfg;
	capture cap;
	char *log, *path = xasprintf("%s/no-such-file.conf", tmpdir);
	bool ok;
	(void)state;

	capture_begin(&cap);
	ok = config_load(path, &cfg);
	log = capture_end(&cap);
	config_release(&cfg);
	assert_false(ok);
	assert_non_null(strstr(log, path));
	free(log);
	free(path);
}

/* a NUL byte (inih would cut the line there) and a directory (reads fail,
 * not EOF) are refused before inih sees a line */
static void test_config_nul_byte(void **state)
{
	static const char text[] = SRC "url2 = a\0b\n" TGT TBL;
	config cfg;
	char *log, *path, *where;
	bool ok = load(text, sizeof(text) - 1, &cfg, &log, &path);
	(void)state;

	config_release(&cfg);
	assert_false(ok);
	where = xasprintf("%s:3: a NUL byte", path);
	if (!strstr(log, where))
		fail_msg("the log does not point at '%s': %s", where, log);
	free(where);
	free(log);
	free(path);
}

static void test_config_directory(void **state)
{
	config cfg;
	capture cap;
	char *log;
	bool ok;
	(void)state;

	capture_begin(&cap);
	ok = config_load(tmpdir, &cfg);
	log = capture_end(&cap);
	config_release(&cfg);
	assert_false(ok);
	if (!strstr(log, "cannot read config file") || !strstr(log, tmpdir))
		fail_msg("no 'cannot read config file' naming the directory: %s", log);
	free(log);
}

/* ---- environment overrides ---- */

static void test_env_overrides_file(void **state)
{
	config cfg;
	char *log;
	(void)state;

	setenv("ETLRE_SOURCE_URL", "mariadb://env@h/envdb", 1);
	setenv("ETLRE_TARGET_URL", "postgresql://env@h/envdb", 1);
	assert_true(load(B(GOOD), &cfg, &log, NULL));
	unsetenv("ETLRE_SOURCE_URL");
	unsetenv("ETLRE_TARGET_URL");
	assert_string_equal(cfg.source_url, "mariadb://env@h/envdb");
	assert_string_equal(cfg.target_url, "postgresql://env@h/envdb");
	config_release(&cfg);
	free(log);
}

static void test_env_replaces_missing_urls(void **state)
{
	config cfg;
	char *log;
	(void)state;

	setenv("ETLRE_SOURCE_URL", "mariadb://env@h/envdb", 1);
	setenv("ETLRE_TARGET_URL", "host=h dbname=envdb", 1);
	assert_true(load(B(TBL), &cfg, &log, NULL));
	unsetenv("ETLRE_SOURCE_URL");
	unsetenv("ETLRE_TARGET_URL");
	assert_string_equal(cfg.source_url, "mariadb://env@h/envdb");
	assert_string_equal(cfg.target_url, "host=h dbname=envdb");
	config_release(&cfg);
	free(log);
}

static void test_env_one_url_only(void **state)
{
	config cfg;
	char *log;
	bool ok;
	(void)state;

	/* the source from the environment, the target from the file */
	setenv("ETLRE_SOURCE_URL", "mariadb://env@h/envdb", 1);
	ok = load(B(TGT TBL), &cfg, &log, NULL);
	assert_true(ok);
	assert_string_equal(cfg.source_url, "mariadb://env@h/envdb");
	assert_string_equal(cfg.target_url, "postgresql://etl@127.0.0.1:5432/analytics");
	config_release(&cfg);
	free(log);
	/* and no target anywhere */
	ok = load(B(SRC TBL), &cfg, &log, NULL);
	unsetenv("ETLRE_SOURCE_URL");
	config_release(&cfg);
	assert_false(ok);
	assert_non_null(strstr(log, "target"));
	free(log);
}

static void test_env_empty_is_unset(void **state)
{
	config cfg;
	char *log;
	(void)state;

	setenv("ETLRE_SOURCE_URL", "", 1);
	setenv("ETLRE_TARGET_URL", "", 1);
	assert_true(load(B(GOOD), &cfg, &log, NULL));
	assert_string_equal(cfg.source_url, "mariadb://etl@127.0.0.1:3306/ivr");
	assert_string_equal(cfg.target_url, "postgresql://etl@127.0.0.1:5432/analytics");
	config_release(&cfg);
	free(log);
	assert_false(load(B(TBL), &cfg, &log, NULL));
	unsetenv("ETLRE_SOURCE_URL");
	unsetenv("ETLRE_TARGET_URL");
	config_release(&cfg);
	free(log);
}

/* ---- config_find_path ---- */

static char *find_path(const char *explicit_path, char **log)
{
	capture cap;
	char *p;

	capture_begin(&cap);
	p = config_find_path(explicit_path);
	*log = capture_end(&cap);
	return p;
}

static void test_find_path(void **state)
{
	char *existing = write_config(B(GOOD));
	char *missing = xasprintf("%s/missing.conf", tmpdir);
	char *sub = xasprintf("%s/cwd", tmpdir);
	char *local = xasprintf("%s/cwd/etlre.conf", tmpdir);
	char *log, *p;
	(void)state;

	/* explicit: used when readable, NULL (and logged) when not */
	p = find_path(missing, &log);
	assert_null(p);
	assert_non_null(strstr(log, missing));
	free(log);
	p = find_path(existing, &log);
	assert_string_equal(p, existing);
	free(p);
	free(log);

	/* $ETLRE_CONFIG, and explicit wins over it */
	setenv("ETLRE_CONFIG", existing, 1);
	p = find_path(NULL, &log);
	assert_string_equal(p, existing);
	free(p);
	free(log);
	p = find_path(missing, &log);
	assert_null(p);
	free(log);
	setenv("ETLRE_CONFIG", missing, 1);
	p = find_path(NULL, &log);
	assert_null(p);
	assert_non_null(strstr(log, missing));
	free(log);
	unsetenv("ETLRE_CONFIG");

	/* ./etlre.conf */
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(chdir(sub), 0);
	if (access("/etc/etlre/etlre.conf", R_OK) != 0) {
		p = find_path(NULL, &log);
		assert_null(p);
		free(log);
	}
	write_file(local, B(GOOD));
	p = find_path(NULL, &log);
	assert_string_equal(p, "etlre.conf");
	free(p);
	free(log);
	assert_int_equal(chdir(saved_cwd), 0);

	unlink(local);
	rmdir(sub);
	unlink(existing);
	free(existing);
	free(missing);
	free(sub);
	free(local);
}

/* ---- ident_valid, qualified_ident_valid ---- */

typedef struct ident_case {
	const char *name;
	const char *s;
	bool plain;     /* ident_valid */
	bool qualified; /* qualified_ident_valid */
} ident_case;

static const ident_case ident_cases[] = {
	{ "lowercase", "calls", true, true },
	{ "leading underscore", "_x", true, true },
	{ "digit after the first", "a1", true, true },
	{ "dollar after the first", "a$b", true, true },
	{ "mixed case", "Call_ID", true, true },
	{ "63 bytes", N63, true, true },
	{ "64 bytes", N63 "x", false, false },
	{ "empty", "", false, false },
	{ "leading digit", "1a", false, false },
	{ "leading dollar", "$a", false, false },
	{ "dash", "a-b", false, false },
	{ "space", "a b", false, false },
	{ "leading space", " a", false, false },
	{ "single quote", "a'b", false, false },
	{ "double quote", "a\"b", false, false },
	{ "backtick", "a`b", false, false },
	{ "semicolon", "a;b", false, false },
	{ "newline", "a\nb", false, false },
	{ "comment", "a--", false, false },
	{ "non-ASCII letter", "caf\xc3\xa9", false, false },
	{ "db.table", "ivr.calls", false, true },
	{ "schema.table 63.63", N63 "." N63, false, true },
	{ "second part 64 bytes", "a." N63 "x", false, false },
	{ "two dots", "a.b.c", false, false },
	{ "leading dot", ".a", false, false },
	{ "trailing dot", "a.", false, false },
	{ "double dot", "a..b", false, false },
	{ "digit after the dot", "a.1b", false, false },
	{ "space before the dot", "a .b", false, false },
	{ "semicolon after", "a.b;", false, false },
	{ "backticks in a part", "ivr.`calls`", false, false },
	{ "quote in the first part", "i'vr.calls", false, false },
};

static void test_ident(void **state)
{
	const ident_case *c = *state;

	assert_int_equal(ident_valid(c->s), c->plain);
	assert_int_equal(qualified_ident_valid(c->s), c->qualified);
}

/* ---- mariadb_url_parse ---- */

typedef struct url_case {
	const char *name;
	const char *url;
	const char *env_password; /* $ETLRE_SOURCE_PASSWORD during the call; NULL: unset */
	bool ok;
	const char *user;         /* expected, when ok */
	const char *password;     /* NULL: none */
	const char *host;
	int port;
	const char *database;
	const char *socket;       /* NULL: none */
	const char *err_has;      /* when !ok: a part of the message */
} url_case;

#define URL_OK(name, url, env, user, pw, host, port, db, sock) \
	{ name, url, env, true, user, pw, host, port, db, sock, NULL }
#define URL_BAD(name, url, err) { name, url, NULL, false, NULL, NULL, NULL, 0, NULL, NULL, err }

static const url_case url_cases[] = {
	URL_OK("full url, %-encoded password", "mariadb://etl:s%40cr%3At%2F%25@db.example.com:3307/ivr",
	       NULL, "etl", "s@cr:t/%", "db.example.com", 3307, "ivr", NULL),
	URL_OK("no password: from ETLRE_SOURCE_PASSWORD", "mariadb://etl@127.0.0.1:3306/ivr",
	       "envpw", "etl", "envpw", "127.0.0.1", 3306, "ivr", NULL),
	URL_OK("no password anywhere", "mariadb://etl@127.0.0.1:3306/ivr", NULL, "etl", NULL,
	       "127.0.0.1", 3306, "ivr", NULL),
	URL_OK("password in the url wins over the env", "mariadb://etl:urlpw@h/ivr", "envpw", "etl",
	       "urlpw", "h", 3306, "ivr", NULL),
	URL_OK("default port 3306", "mariadb://etl@127.0.0.1/ivr", NULL, "etl", NULL, "127.0.0.1",
	       3306, "ivr", NULL),
	URL_OK("IPv6 with port", "mariadb://etl@[::1]:3307/ivr", NULL, "etl", NULL, "::1", 3307,
	       "ivr", NULL),
	URL_OK("IPv6 without port", "mariadb://etl@[::1]/ivr", NULL, "etl", NULL, "::1", 3306, "ivr",
	       NULL),
	URL_OK("IPv6 full address", "mariadb://etl@[2001:db8::7]:3310/ivr", NULL, "etl", NULL,
	       "2001:db8::7", 3310, "ivr", NULL),
	URL_OK("mysql:// scheme", "mysql://etl@h:3308/ivr", NULL, "etl", NULL, "h", 3308, "ivr",
	       NULL),
	URL_OK("socket parameter", "mariadb://etl@localhost/ivr?socket=%2Frun%2Fmysqld%2Fmysqld.sock",
	       NULL, "etl", NULL, "localhost", 3306, "ivr", "/run/mysqld/mysqld.sock"),
	URL_OK("no user: $USER", "mariadb://h/ivr", NULL, "unit_user", NULL, "h", 3306, "ivr", NULL),
	URL_OK("no host: localhost", "mariadb://etl@/ivr", NULL, "etl", NULL, "localhost", 3306,
	       "ivr", NULL),
	URL_OK("port without host", "mariadb://etl@:3307/ivr", NULL, "etl", NULL, "localhost", 3307,
	       "ivr", NULL),
	URL_OK("raw @ in password: the last @ ends it", "mariadb://etl:p@ss@h/ivr", NULL, "etl",
	       "p@ss", "h", 3306, "ivr", NULL),
	URL_OK("raw : in password", "mariadb://etl:a:b@h/ivr", NULL, "etl", "a:b", "h", 3306, "ivr",
	       NULL),
	URL_OK("%-encoded user and database", "mariadb://us%65r@h/my%20db", NULL, "user", NULL, "h",
	       3306, "my db", NULL),
	URL_OK("port 1", "mariadb://etl@h:1/ivr", NULL, "etl", NULL, "h", 1, "ivr", NULL),
	URL_OK("port 65535", "mariadb://etl@h:65535/ivr", NULL, "etl", NULL, "h", 65535, "ivr", NULL),

	URL_BAD("postgresql:// scheme", "postgresql://etl:" SECRET "@h/ivr", "mariadb://"),
	URL_BAD("no scheme", "etl:" SECRET "@h/ivr", "mariadb://"),
	URL_BAD("empty", "", "mariadb://"),
	URL_BAD("no database", "mariadb://etl:" SECRET "@h:3306", "database"),
	URL_BAD("empty database", "mariadb://etl:" SECRET "@h:3306/", "database"),
	URL_BAD("empty database before ?", "mariadb://etl:" SECRET "@h/?socket=/x", "database"),
	URL_BAD("bad %-escape in database", "mariadb://etl:" SECRET "@h/iv%zz", "database"),
	URL_BAD("port 0", "mariadb://etl:" SECRET "@h:0/ivr", "port"),
	URL_BAD("port 65536", "mariadb://etl:" SECRET "@h:65536/ivr", "port"),
	URL_BAD("port 70000", "mariadb://etl:" SECRET "@h:70000/ivr", "port"),
	URL_BAD("port abc", "mariadb://etl:" SECRET "@h:abc/ivr", "port"),
	URL_BAD("port -1", "mariadb://etl:" SECRET "@h:-1/ivr", "port"),
	URL_BAD("port empty", "mariadb://etl:" SECRET "@h:/ivr", "port"),
	URL_BAD("port with a blank", "mariadb://etl:" SECRET "@h: 3306/ivr", "port"),
	URL_BAD("port with a suffix", "mariadb://etl:" SECRET "@h:3306x/ivr", "port"),
	URL_BAD("IPv6 port abc", "mariadb://etl:" SECRET "@[::1]:abc/ivr", "port"),
	URL_BAD("unterminated IPv6", "mariadb://etl:" SECRET "@[::1:3307/ivr", "["),
	URL_BAD("IPv6 without ':' before the port", "mariadb://etl:" SECRET "@[::1]3307/ivr", NULL),
	URL_BAD("unknown parameter", "mariadb://etl:" SECRET "@h/ivr?ssl=1", "ssl"),
	URL_BAD("unknown parameter after socket", "mariadb://etl:" SECRET "@h/ivr?socket=/x&compress=1",
		"compress"),
	URL_BAD("bad %-escape in password", "mariadb://etl:" SECRET "%zz@h/ivr", NULL),
	/* found by fuzz_config: refused with an empty message */
	URL_BAD("bad %-escape in socket", "mariadb://etl:" SECRET "@h/ivr?socket=%2Frun%zz", "socket"),
	URL_BAD("truncated %-escape in password", "mariadb://etl:" SECRET "%4@h/ivr", NULL),
	URL_BAD("bad %-escape in user", "mariadb://e%g1:" SECRET "@h/ivr", NULL),
	URL_BAD("unencoded '/' in password", "mariadb://etl:Sw0rd/f1sh@h/ivr", NULL),
	URL_BAD("unencoded '/' after a numeric start of the password",
		"mariadb://etl:3306/" SECRET "@h/ivr", "%2F"),
};

#undef URL_OK
#undef URL_BAD

static void test_url(void **state)
{
	const url_case *c = *state;
	const char *old_user = getenv("USER");
	char *saved_user = old_user ? xstrdup(old_user) : NULL;
	char err[256];
	mariadb_url u;
	bool ok;

	snprintf(err, sizeof(err), "(unset)");
	setenv("USER", "unit_user", 1);
	if (c->env_password)
		setenv("ETLRE_SOURCE_PASSWORD", c->env_password, 1);
	ok = mariadb_url_parse(c->url, &u, err, sizeof(err));
	unsetenv("ETLRE_SOURCE_PASSWORD");
	if (saved_user)
		setenv("USER", saved_user, 1);
	else
		unsetenv("USER");
	free(saved_user);

	if (!c->ok) {
		if (ok) {
			mariadb_url_release(&u);
			fail_msg("parsed, but should be refused");
		}
		assert_true(err[0] && strcmp(err, "(unset)") != 0);
		if (strstr(err, SECRET) || strstr(err, "Sw0rd"))
			fail_msg("the message shows the password: %s", err);
		if (c->err_has && !strstr(err, c->err_has))
			fail_msg("the message does not mention '%s': %s", c->err_has, err);
		/* nothing is left allocated */
		assert_null(u.user);
		assert_null(u.password);
		assert_null(u.host);
		assert_null(u.database);
		return;
	}
	if (!ok)
		fail_msg("refused: %s", err);
	assert_string_equal(u.user, c->user);
	if (c->password)
		assert_string_equal(u.password, c->password);
	else
		assert_null(u.password);
	assert_string_equal(u.host, c->host);
	assert_int_equal(u.port, c->port);
	assert_string_equal(u.database, c->database);
	if (c->socket)
		assert_string_equal(u.socket, c->socket);
	else
		assert_null(u.socket);
	mariadb_url_release(&u);
	assert_null(u.password);
}

/* ---- the TLS parameters of a source url ---- */

typedef struct tls_case {
	const char *name;
	const char *query;      /* after "mariadb://etl:SECRET@h/ivr" */
	bool ok;
	src_sslmode mode;       /* when ok */
	const char *rootcert;   /* when ok; NULL: none */
	const char *cert;
	const char *key;
	const char *err_has;    /* when !ok */
} tls_case;

#define TLS_OK(name, q, mode, ca, cert, key) { name, q, true, mode, ca, cert, key, NULL }
#define TLS_BAD(name, q, err) { name, q, false, SRC_SSL_PREFER, NULL, NULL, NULL, err }

static const tls_case tls_cases[] = {
	TLS_OK("no parameter: prefer", "", SRC_SSL_PREFER, NULL, NULL, NULL),
	TLS_OK("disable", "?sslmode=disable", SRC_SSL_DISABLE, NULL, NULL, NULL),
	TLS_OK("prefer", "?sslmode=prefer", SRC_SSL_PREFER, NULL, NULL, NULL),
	TLS_OK("require", "?sslmode=require", SRC_SSL_REQUIRE, NULL, NULL, NULL),
	TLS_OK("verify-ca with its CA", "?sslmode=verify-ca&sslrootcert=/etc/ca.pem",
	       SRC_SSL_VERIFY_CA, "/etc/ca.pem", NULL, NULL),
	TLS_OK("verify-full with the system's CAs", "?sslmode=verify-full", SRC_SSL_VERIFY_FULL, NULL,
	       NULL, NULL),
	TLS_OK("verify-full, %-encoded paths, a client certificate, with socket",
	       "?sslrootcert=%2Fa%20b%2Fca.pem&sslmode=verify-full&sslcert=/c.pem&sslkey=/c.key&socket=/s",
	       SRC_SSL_VERIFY_FULL, "/a b/ca.pem", "/c.pem", "/c.key"),
	TLS_OK("the last sslmode wins", "?sslmode=disable&sslmode=require", SRC_SSL_REQUIRE, NULL,
	       NULL, NULL),
	TLS_BAD("unknown sslmode", "?sslmode=verify", "sslmode must be"),
	TLS_BAD("sslmode in capitals", "?sslmode=REQUIRE", "sslmode must be"),
	TLS_BAD("empty sslmode", "?sslmode=", "sslmode must be"),
	TLS_BAD("sslmode without a value", "?sslmode", "unknown parameter 'sslmode'"),
	TLS_BAD("verify-ca without sslrootcert", "?sslmode=verify-ca", "sslrootcert"),
	TLS_BAD("sslcert without sslkey", "?sslmode=require&sslcert=/c.pem", "go together"),
	TLS_BAD("sslkey without sslcert", "?sslkey=/c.key", "go together"),
	TLS_BAD("empty sslrootcert", "?sslmode=verify-full&sslrootcert=", "sslrootcert needs a path"),
	TLS_BAD("bad %-escape in sslkey", "?sslcert=/c&sslkey=/k%zz", "sslkey"),
	TLS_BAD("libpq word not taken here", "?sslpassword=x", "unknown parameter 'sslpassword'"),
};

#undef TLS_OK
#undef TLS_BAD

static void assert_str_or_null(const char *got, const char *want)
{
	if (want)
		assert_string_equal(got, want);
	else
		assert_null(got);
}

static void test_url_tls(void **state)
{
	const tls_case *c = *state;
	char *url = xasprintf("mariadb://etl:" SECRET "@h/ivr%s", c->query);
	char err[256] = "(unset)";
	mariadb_url u;
	bool ok = mariadb_url_parse(url, &u, err, sizeof(err));

	free(url);
	if (!c->ok) {
		if (ok) {
			mariadb_url_release(&u);
			fail_msg("parsed, but should be refused");
		}
		if (strstr(err, SECRET))
			fail_msg("the message shows the password: %s", err);
		if (!strstr(err, c->err_has))
			fail_msg("the message does not mention '%s': %s", c->err_has, err);
		assert_null(u.sslrootcert);
		return;
	}
	if (!ok)
		fail_msg("refused: %s", err);
	assert_int_equal(u.sslmode, c->mode);
	assert_str_or_null(u.sslrootcert, c->rootcert);
	assert_str_or_null(u.sslcert, c->cert);
	assert_str_or_null(u.sslkey, c->key);
	assert_true(u.password_in_url);
	mariadb_url_release(&u);
}

/* each mode's name, as src_sslmode_name gives it, parses back to the mode */
static void test_sslmode_names(void **state)
{
	(void)state;
	for (int m = SRC_SSL_DISABLE; m <= SRC_SSL_VERIFY_FULL; m++) {
		char *url = xasprintf("mariadb://etl@h/ivr?sslrootcert=/ca&sslmode=%s",
				      src_sslmode_name((src_sslmode)m));
		char err[256];
		mariadb_url u;

		assert_true(mariadb_url_parse(url, &u, err, sizeof(err)));
		assert_int_equal(u.sslmode, m);
		assert_false(u.password_in_url);
		mariadb_url_release(&u);
		free(url);
	}
}

/* a copy owns its strings: equal to the original, and still whole after the
 * original is released */
static void test_url_copy(void **state)
{
	char err[256];
	mariadb_url u, c;

	(void)state;
	assert_true(mariadb_url_parse("mariadb://etl:s%40cret@db.example:3307/ivr?sslmode=verify-ca"
				      "&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/k.pem",
				      &u, err, sizeof(err)));
	mariadb_url_copy(&c, &u);
	assert_ptr_not_equal(c.password, u.password);
	assert_ptr_not_equal(c.host, u.host);
	mariadb_url_release(&u);
	assert_string_equal(c.user, "etl");
	assert_string_equal(c.password, "s@cret");
	assert_string_equal(c.host, "db.example");
	assert_int_equal(c.port, 3307);
	assert_string_equal(c.database, "ivr");
	assert_null(c.socket);
	assert_int_equal(c.sslmode, SRC_SSL_VERIFY_CA);
	assert_string_equal(c.sslrootcert, "/ca.pem");
	assert_string_equal(c.sslcert, "/c.pem");
	assert_string_equal(c.sslkey, "/k.pem");
	mariadb_url_release(&c);
}

/* ---- group setup ---- */

static int setup(void **state)
{
	char *dir;
	(void)state;

	/* the environment must not decide the outcome */
	unsetenv("ETLRE_SOURCE_URL");
	unsetenv("ETLRE_TARGET_URL");
	unsetenv("ETLRE_SOURCE_PASSWORD");
	unsetenv("ETLRE_CONFIG");
	if (!getcwd(saved_cwd, sizeof(saved_cwd)))
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/etlre-unit-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* the README's after_day file, relative to the config file's folder */
	dir = xasprintf("%s/sql", tmpdir);
	mkdir(dir, 0700);
	free(dir);
	dir = xasprintf("%s/sql/postgres", tmpdir);
	mkdir(dir, 0700);
	free(dir);
	dir = xasprintf("%s/sql/postgres/daily_metrics.sql", tmpdir);
	write_file(dir, B("SELECT 1;\n"));
	free(dir);
	return 0;
}

static int teardown(void **state)
{
	char *p;
	(void)state;

	p = xasprintf("%s/sql/postgres/daily_metrics.sql", tmpdir);
	unlink(p);
	free(p);
	p = xasprintf("%s/sql/postgres", tmpdir);
	rmdir(p);
	free(p);
	p = xasprintf("%s/sql", tmpdir);
	rmdir(p);
	free(p);
	return rmdir(tmpdir) == 0 ? 0 : -1;
}

int main(void)
{
	unit_list l = { 0 };

	UNIT_ROWS(&l, "config_load ok", test_config_good, good_cases);
	unit_add(&l, "config_load ok: absolute after_day", NULL, test_config_absolute_after_day, NULL);
	UNIT_ROWS(&l, "config_load ok: long line", test_config_long_line, long_line_cases);
	UNIT_ROWS(&l, "config_load refuses", test_config_bad, bad_cases);
	unit_add(&l, "config_load refuses: missing file", NULL, test_config_missing_file, NULL);
	unit_add(&l, "config_load refuses: a NUL byte", NULL, test_config_nul_byte, NULL);
	unit_add(&l, "config_load refuses: a directory", NULL, test_config_directory, NULL);
	unit_add(&l, "env: ETLRE_*_URL override the file", NULL, test_env_overrides_file, NULL);
	unit_add(&l, "env: ETLRE_*_URL stand in for missing urls", NULL,
		 test_env_replaces_missing_urls, NULL);
	unit_add(&l, "env: one url from env, one from the file", NULL, test_env_one_url_only, NULL);
	unit_add(&l, "env: empty ETLRE_*_URL are ignored", NULL, test_env_empty_is_unset, NULL);
	unit_add(&l, "config_find_path", NULL, test_find_path, NULL);
	UNIT_ROWS(&l, "ident", test_ident, ident_cases);
	UNIT_ROWS(&l, "mariadb_url_parse", test_url, url_cases);
	UNIT_ROWS(&l, "mariadb_url_parse: TLS", test_url_tls, tls_cases);
	unit_add(&l, "mariadb_url_parse: sslmode names", NULL, test_sslmode_names, NULL);
	unit_add(&l, "mariadb_url_copy", NULL, test_url_copy, NULL);
	return unit_run(&l, "config", setup, teardown);
}
