/*
 * test_metrics.c: unit tests of metrics.c: label value escaping and sample
 * values of the Prometheus text format, the whole file for a set of metrics
 * (names, HELP/TYPE lines, labels, which samples appear), how a job's summary
 * and a verification feed the set, and the atomic file replacement and path
 * check of --metrics-file.
 */
#include "unit.h"

#include <dirent.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "summary.h"
#include "verify.h"

/* ---- metrics_add_label_value ---- */

typedef struct label_case {
	const char *name;
	const char *in;
	const char *want;
} label_case;

static const label_case label_cases[] = {
	{ "plain identifier", "calls", "calls" },
	{ "empty", "", "" },
	{ "backslash", "a\\b", "a\\\\b" },
	{ "double quote", "say \"hi\"", "say \\\"hi\\\"" },
	{ "newline", "two\nlines", "two\\nlines" },
	{ "backslash then n is not a newline", "a\\n", "a\\\\n" },
	{ "all three at once", "\\\"\n", "\\\\\\\"\\n" },
	{ "trailing backslash", "x\\", "x\\\\" },
	{ "tab and carriage return stay as they are", "a\tb\rc", "a\tb\rc" },
	{ "single quote stays", "it's", "it's" },
	{ "UTF-8 stays", "appels \xc3\xa9t\xc3\xa9 \xe2\x82\xac", "appels \xc3\xa9t\xc3\xa9 \xe2\x82\xac" },
	{ "braces, commas and equals stay", "a{b=\"c\",d}", "a{b=\\\"c\\\",d}" },
};

static void test_label(void **state)
{
	const label_case *c = *state;
	strbuf sb;

	sb_init(&sb, 16);
	metrics_add_label_value(&sb, c->in);
	assert_string_equal(sb.buf, c->want);
	sb_release(&sb);
}

/* ---- metrics_add_value ---- */

typedef struct value_case {
	const char *name;
	double in;
	const char *want;
} value_case;

static const value_case value_cases[] = {
	{ "zero", 0, "0" },
	{ "negative zero", -0.0, "0" },
	{ "one", 1, "1" },
	{ "a count", 382, "382" },
	{ "negative whole", -5, "-5" },
	{ "2^53", 9007199254740992.0, "9007199254740992" },
	{ "exit status 143", 143, "143" },
	{ "a half", 0.5, "0.5" },
	{ "duration, microseconds", 0.104314, "0.104314" },
	{ "duration, rounded to microseconds", 1.23456789, "1.234568" },
	{ "unix time with fraction", 1795338333.251047, "1795338333.251047" },
	{ "unix time whole", 1795338333.0, "1795338333" },
	{ "below a microsecond", 1e-9, "0" },
	{ "trailing zeros trimmed", 2.5000001, "2.5" },
	{ "negative fraction", -0.25, "-0.25" },
	{ "NaN", NAN, "NaN" },
	{ "+Inf", INFINITY, "+Inf" },
	{ "-Inf", -INFINITY, "-Inf" },
};

static void test_value(void **state)
{
	const value_case *c = *state;
	strbuf sb;

	sb_init(&sb, 16);
	metrics_add_value(&sb, c->in);
	assert_string_equal(sb.buf, c->want);
	sb_release(&sb);
}

/* ---- metrics_format ---- */

static char *format(const metrics_set *m)
{
	strbuf sb;

	sb_init(&sb, 1024);
	metrics_format(m, &sb);
	return sb_detach(&sb);
}

static void test_format_empty(void **state)
{
	metrics_set m;
	char *out;

	(void)state;
	metrics_set_init(&m, "status");
	out = format(&m);
	assert_string_equal(out, ""); /* nothing known yet: nothing written */
	free(out);
	metrics_set_release(&m);
}

static void test_format_full(void **state)
{
	metrics_set m;
	metrics_table *t;
	char *out;

	(void)state;
	metrics_set_init(&m, "verify");
	t = metrics_set_table(&m, "calls");
	t->run = true;
	t->rows_read = 382;
	t->rows_loaded = 378;
	t->rows_rejected = 4;
	t->rows_moved = 2;
	t->hours_succeeded = 23;
	t->hours_failed = 1;
	t->verified = true;
	t->hours_verified = 24;
	t->hours_differ = 2;
	t->last_success = 1795338333.25;
	t = metrics_set_table(&m, "agents");   /* verified only, never loaded */
	t->verified = true;
	t->hours_verified = 72;
	m.duration_seconds = 12.5;
	m.finished_at = 1795338340;
	m.exit_status = 3;
	out = format(&m);
	assert_string_equal(out,
		"# HELP etlre_rows_read Source rows read by this run (under --dry-run too).\n"
		"# TYPE etlre_rows_read gauge\n"
		"etlre_rows_read{command=\"verify\",table=\"calls\"} 382\n"
		"# HELP etlre_rows_loaded Rows loaded into the target by this run (under --dry-run: "
		"rows that would load).\n"
		"# TYPE etlre_rows_loaded gauge\n"
		"etlre_rows_loaded{command=\"verify\",table=\"calls\"} 378\n"
		"# HELP etlre_rows_rejected Invalid rows set aside by this run (--skip-invalid).\n"
		"# TYPE etlre_rows_rejected gauge\n"
		"etlre_rows_rejected{command=\"verify\",table=\"calls\"} 4\n"
		"# HELP etlre_rows_moved Rows loaded into an hour that the target held in another "
		"hour (their time changed in the source); their old copy was removed.\n"
		"# TYPE etlre_rows_moved gauge\n"
		"etlre_rows_moved{command=\"verify\",table=\"calls\"} 2\n"
		"# HELP etlre_chunks_succeeded Chunks (an hour each, a day with --batch-mode daily) "
		"that this run loaded successfully.\n"
		"# TYPE etlre_chunks_succeeded gauge\n"
		"etlre_chunks_succeeded{command=\"verify\",table=\"calls\"} 23\n"
		"# HELP etlre_chunks_failed Chunks that failed in this run.\n"
		"# TYPE etlre_chunks_failed gauge\n"
		"etlre_chunks_failed{command=\"verify\",table=\"calls\"} 1\n"
		"# HELP etlre_chunks_pending Chunks this run left pending: the job was stopped or "
		"interrupted.\n"
		"# TYPE etlre_chunks_pending gauge\n"
		"etlre_chunks_pending{command=\"verify\",table=\"calls\"} 0\n"
		"# HELP etlre_verify_chunks Hourly chunks compared by verify.\n"
		"# TYPE etlre_verify_chunks gauge\n"
		"etlre_verify_chunks{command=\"verify\",table=\"calls\"} 24\n"
		"etlre_verify_chunks{command=\"verify\",table=\"agents\"} 72\n"
		"# HELP etlre_verify_chunks_differ Hourly chunks where verify found source and target "
		"differ (missing, extra or changed); after --repair, those still differing.\n"
		"# TYPE etlre_verify_chunks_differ gauge\n"
		"etlre_verify_chunks_differ{command=\"verify\",table=\"calls\"} 2\n"
		"etlre_verify_chunks_differ{command=\"verify\",table=\"agents\"} 0\n"
		"# HELP etlre_last_success_timestamp_seconds Unix time of the table's last "
		"successful hour load, from etlre.loaded_hours.\n"
		"# TYPE etlre_last_success_timestamp_seconds gauge\n"
		"etlre_last_success_timestamp_seconds{command=\"verify\",table=\"calls\"} "
		"1795338333.25\n"
		"# HELP etlre_duration_seconds Wall time of the command, in seconds.\n"
		"# TYPE etlre_duration_seconds gauge\n"
		"etlre_duration_seconds{command=\"verify\"} 12.5\n"
		"# HELP etlre_finished_timestamp_seconds Unix time at which the command ended.\n"
		"# TYPE etlre_finished_timestamp_seconds gauge\n"
		"etlre_finished_timestamp_seconds{command=\"verify\"} 1795338340\n"
		"# HELP etlre_exit_status Exit status of the command: 0 done, 1 chunks failed, 2 "
		"usage or configuration, 3 verify found differences, 4 unreachable, 130/143 "
		"interrupted.\n"
		"# TYPE etlre_exit_status gauge\n"
		"etlre_exit_status{command=\"verify\"} 3\n");
	free(out);
	metrics_set_release(&m);
}

/* names that need escaping come out escaped in every label */
static void test_format_escapes(void **state)
{
	metrics_set m;
	char *out;

	(void)state;
	metrics_set_init(&m, "odd\"cmd\\");
	metrics_set_last_success(&m, "a\"b\\c\nd", 7);
	m.exit_status = 0;
	out = format(&m);
	assert_non_null(strstr(out, "etlre_last_success_timestamp_seconds{command=\"odd\\\"cmd\\\\\","
				    "table=\"a\\\"b\\\\c\\nd\"} 7\n"));
	assert_non_null(strstr(out, "etlre_exit_status{command=\"odd\\\"cmd\\\\\"} 0\n"));
	assert_null(strstr(out, "etlre_duration_seconds")); /* still unknown: not written */
	free(out);
	metrics_set_release(&m);
}

/* the ledger's job state (etlre check): the four job gauges once, and the
 * per-table chunks owed, in the families' order; a set without them has none */
static void test_format_jobs(void **state)
{
	metrics_set m;
	char *out;

	(void)state;
	metrics_set_init(&m, "check");
	metrics_set_jobs(&m, 2, 1, 0, 3725.5);
	metrics_set_ledger_chunks(&m, "calls", 5, 3);
	metrics_set_ledger_chunks(&m, "agents", 0, 0);
	out = format(&m);
	assert_non_null(strstr(out,
		"# TYPE etlre_ledger_chunks_pending gauge\n"
		"etlre_ledger_chunks_pending{command=\"check\",table=\"calls\"} 5\n"
		"etlre_ledger_chunks_pending{command=\"check\",table=\"agents\"} 0\n"));
	assert_non_null(strstr(out,
		"etlre_ledger_chunks_failed{command=\"check\",table=\"calls\"} 3\n"));
	assert_non_null(strstr(out, "# TYPE etlre_jobs_running gauge\n"
				    "etlre_jobs_running{command=\"check\"} 2\n"));
	assert_non_null(strstr(out, "etlre_jobs_stuck{command=\"check\"} 1\n"));
	assert_non_null(strstr(out, "etlre_jobs_stale{command=\"check\"} 0\n"));
	assert_non_null(strstr(out, "etlre_running_job_idle_seconds{command=\"check\"} 3725.5\n"));
	assert_null(strstr(out, "etlre_chunks_failed")); /* nothing was loaded */
	assert_true(strstr(out, "etlre_ledger_chunks_failed") < strstr(out, "etlre_jobs_running"));
	free(out);
	metrics_set_release(&m);
}

/* ---- feeding the set ---- */

/* fill_report: a job's summary as job.c leaves it: calls with 21 of 24 hours
 * succeeded, agents with all 3 failed; tables is where it keeps them */
static void fill_report(run_report *r, table_report tables[2], bool dry_run)
{
	memset(r, 0, sizeof(*r));
	memset(tables, 0, 2 * sizeof(*tables));
	r->dry_run = dry_run;
	r->tables = tables;
	r->ntables = 2;
	tables[0].name = "calls";
	tables[0].hours = 24;
	tables[0].hours_failed = 2;
	tables[0].hours_pending = 1;
	tables[0].n = (hour_counts){ 100, 90, 7, 50, 3 };
	tables[1].name = "agents";
	tables[1].hours = 3;
	tables[1].hours_failed = 3;
	tables[1].n = (hour_counts){ 5, 0, 0, 0, 0 };
}

static void test_add_run(void **state)
{
	metrics_set m;
	run_report r;
	table_report tables[2];
	metrics_table *t;

	(void)state;
	metrics_set_init(&m, "process");
	fill_report(&r, tables, false);
	metrics_set_add_run(&m, &r, 1000);
	metrics_set_add_run(&m, &r, 2000); /* a second job of the same run adds up */
	assert_int_equal(m.ntables, 2);
	t = metrics_set_table(&m, "calls");
	assert_true(t->run);
	assert_int_equal(t->rows_read, 200);
	assert_int_equal(t->rows_loaded, 180);
	assert_int_equal(t->rows_rejected, 14);
	assert_int_equal(t->rows_moved, 6);
	assert_int_equal(t->hours_succeeded, 42);
	assert_int_equal(t->hours_failed, 4);
	assert_int_equal(t->hours_pending, 2);
	assert_true(t->last_success == 1000); /* the first success of this run stays */
	assert_false(t->verified);
	t = metrics_set_table(&m, "agents");
	assert_int_equal(t->hours_succeeded, 0);
	assert_int_equal(t->hours_failed, 6);
	assert_true(t->last_success == 0); /* nothing succeeded: unknown */
	/* the ledger's time wins over the run's clock */
	metrics_set_last_success(&m, "calls", 999.5);
	assert_true(metrics_set_table(&m, "calls")->last_success == 999.5);
	metrics_set_release(&m);
}

static void test_add_run_dry(void **state)
{
	metrics_set m;
	run_report r;
	table_report tables[2];

	(void)state;
	metrics_set_init(&m, "process");
	fill_report(&r, tables, true);
	metrics_set_add_run(&m, &r, 1000);
	assert_int_equal(metrics_set_table(&m, "calls")->rows_loaded, 90);
	assert_true(metrics_set_table(&m, "calls")->last_success == 0); /* nothing committed */
	metrics_set_release(&m);
}

static void test_add_verify(void **state)
{
	metrics_set m;
	verify_table vt[1] = { { .name = "calls", .hours = 72, .hours_missing = 1,
				 .hours_extra = 2, .hours_changed = 3 } };
	verify_result r = { .tables = vt, .ntables = 1 };
	metrics_table *t;

	(void)state;
	metrics_set_init(&m, "verify");
	metrics_set_add_verify(&m, &r);
	t = metrics_set_table(&m, "calls");
	assert_true(t->verified);
	assert_int_equal(t->hours_verified, 72);
	assert_int_equal(t->hours_differ, 6);
	/* after a repair, verifying again replaces the count */
	vt[0].hours_missing = vt[0].hours_extra = 0;
	vt[0].hours_changed = 1;
	metrics_set_add_verify(&m, &r);
	assert_int_equal(metrics_set_table(&m, "calls")->hours_differ, 1);
	assert_int_equal(m.ntables, 1);
	metrics_set_release(&m);
}

/* ---- the file ---- */

static char *make_tmpdir(void)
{
	char *dir = xstrdup("/tmp/etlre-unit-metrics.XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

/* dir_entries: the names in dir, sorted, joined by spaces */
static char *dir_entries(const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);
	strbuf sb;

	assert_true(n >= 0);
	sb_init(&sb, 64);
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, ".."))
			sb_addf(&sb, "%s%s", sb.len ? " " : "", list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return sb_detach(&sb);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	strbuf sb;
	char buf[256];
	size_t n;

	assert_non_null(f);
	sb_init(&sb, 256);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	return sb_detach(&sb);
}

static void test_write_file(void **state)
{
	char *dir = make_tmpdir(), *path = xasprintf("%s/etlre.prom", dir), *got, *names;
	struct stat before, after;

	(void)state;
	assert_true(metrics_write_file(path, "a 1\n", 4));
	got = slurp(path);
	assert_string_equal(got, "a 1\n");
	free(got);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(before.st_mode & 0777, 0644); /* readable by node_exporter (umask 022) */
	/* a second write replaces the file by a rename: a new inode, no leftovers */
	assert_true(metrics_write_file(path, "b 2\n", 4));
	assert_int_equal(stat(path, &after), 0);
	assert_true(before.st_ino != after.st_ino);
	got = slurp(path);
	assert_string_equal(got, "b 2\n");
	free(got);
	names = dir_entries(dir);
	assert_string_equal(names, "etlre.prom");
	free(names);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

static void test_write_file_fails(void **state)
{
	char *dir = make_tmpdir(), *path = xasprintf("%s/missing/etlre.prom", dir), *names, *sub;

	(void)state;
	assert_false(metrics_write_file(path, "a 1\n", 4));
	free(path);
	/* a non-empty directory in the way of the rename: the temporary file
	 * it wrote is removed again */
	path = xasprintf("%s/etlre.prom", dir);
	sub = xasprintf("%s/x", path);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_false(metrics_write_file(path, "a 1\n", 4));
	names = dir_entries(dir);
	assert_string_equal(names, "etlre.prom");
	free(names);
	rmdir(sub);
	rmdir(path);
	rmdir(dir);
	free(sub);
	free(path);
	free(dir);
}

static void test_check_path(void **state)
{
	char *dir = make_tmpdir(), *path, *names, err[512];

	(void)state;
	path = xasprintf("%s/etlre.prom", dir);
	assert_true(metrics_check_path(path, err, sizeof(err)));
	names = dir_entries(dir);
	assert_string_equal(names, ""); /* the probe leaves nothing behind */
	free(names);
	free(path);

	assert_false(metrics_check_path(dir, err, sizeof(err)));
	assert_non_null(strstr(err, "is a directory"));
	assert_false(metrics_check_path("", err, sizeof(err)));
	assert_non_null(strstr(err, "empty"));

	path = xasprintf("%s/missing/etlre.prom", dir);
	assert_false(metrics_check_path(path, err, sizeof(err)));
	assert_non_null(strstr(err, "missing"));
	assert_non_null(strstr(err, "No such file or directory"));
	free(path);

	/* a regular file where a directory should be */
	path = xasprintf("%s/file", dir);
	assert_true(metrics_write_file(path, "", 0));
	free(path);
	path = xasprintf("%s/file/etlre.prom", dir);
	assert_false(metrics_check_path(path, err, sizeof(err)));
	assert_non_null(strstr(err, "Not a directory"));
	free(path);
	path = xasprintf("%s/file", dir);
	unlink(path);
	free(path);
	rmdir(dir);
	free(dir);
}

int main(void)
{
	unit_list l = { 0 };

	umask(022);
	UNIT_ROWS(&l, "metrics_add_label_value", test_label, label_cases);
	UNIT_ROWS(&l, "metrics_add_value", test_value, value_cases);
	unit_add(&l, "metrics_format: empty set", NULL, test_format_empty, NULL);
	unit_add(&l, "metrics_format: every metric", NULL, test_format_full, NULL);
	unit_add(&l, "metrics_format: labels escaped", NULL, test_format_escapes, NULL);
	unit_add(&l, "metrics_format: the ledger's jobs", NULL, test_format_jobs, NULL);
	unit_add(&l, "metrics_set_add_run", NULL, test_add_run, NULL);
	unit_add(&l, "metrics_set_add_run: dry run", NULL, test_add_run_dry, NULL);
	unit_add(&l, "metrics_set_add_verify", NULL, test_add_verify, NULL);
	unit_add(&l, "metrics_write_file: replaced by rename", NULL, test_write_file, NULL);
	unit_add(&l, "metrics_write_file: failures leave nothing", NULL, test_write_file_fails, NULL);
	unit_add(&l, "metrics_check_path", NULL, test_check_path, NULL);
	return unit_run(&l, "metrics", NULL, NULL);
}
