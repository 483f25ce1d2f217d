/*
 * cmd_check.c: `etlre check`: is etlre ready to run, and has it run lately?
 * For a monitoring probe or an operator: both connections, etlre's tables at
 * this etlre's ledger version, every configured table and column on both
 * sides (the same plan_build that process runs), the rejects directory when
 * [etlre] rejects_dir is set, with --max-age that each table's last
 * successful load (etlre.loaded_hours) is recent enough, and that no job is
 * stuck (running, no chunk finished for --stuck-after) or stale (its process
 * gone). Reads only. With --metrics-file, the jobs' state and the chunks
 * they still owe are written too (README.md, "Metrics").
 * Every check is run that can be; one line each (or one JSON object).
 * Exit status: 0 healthy, 1 some check failed, 4 the source or the target
 * cannot be reached, 2 usage or configuration error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "exitcode.h"
#include "jobs_report.h"
#include "json.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "plan.h"
#include "privileges.h"
#include "session.h"
#include "triage.h"

typedef struct check_opts {
	cli_duration max_age; /* 0 seconds: no freshness check */
	cli_duration stuck_after; /* --stuck-after, else [etlre] stuck_after */
	char stuck_after_text[48]; /* "--stuck-after 1h" or "[etlre] stuck_after 15m" */
	bool json;
} check_opts;

/* CHECK_WARN: worth a look, not a failure (schema drift) */
typedef enum { CHECK_OK, CHECK_FAIL, CHECK_SKIPPED, CHECK_WARN } check_state;
static const char *const state_names[] = { "ok", "fail", "skipped", "warning" };

/* One check and its outcome; the strings are owned. */
typedef struct check_item {
	const char *check;   /* source, target, ledger, table, drift, rejects_dir, freshness */
	char *table;         /* table and freshness: the [table NAME]; else NULL */
	check_state state;
	char *detail;
	double last_load;    /* freshness: unix seconds of the last load; 0 never */
	int64_t age;         /* freshness: seconds since; -1 unknown */
} check_item;

typedef struct check_list {
	check_item *items;
	int n, cap;
} check_list;

/* add: a new check; takes detail (a malloc'ed string) */
static check_item *add(check_list *l, const char *check, const char *table, check_state st,
		       char *detail)
{
	check_item *c;

	c = ARRAY_PUSH(l->items, l->n, l->cap);
	c->check = check;
	c->table = xstrdup_or_null(table);
	c->state = st;
	c->detail = detail;
	c->age = -1;
	return c;
}

static void check_list_release(check_list *l)
{
	for (int i = 0; i < l->n; i++) {
		free(l->items[i].table);
		free(l->items[i].detail);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* ---- the checks ---- */

static void check_ledger(session *s, check_list *l, bool *ok)
{
	strbuf missing;
	int version;

	*ok = false;
	sb_init(&missing, 64);
	if (!ledger_version(s->tgt, s->cfg.schema, &version, &missing))
		add(l, "ledger", NULL, CHECK_FAIL,
		    xasprintf("cannot read etlre's tables: %s", log_last_error()));
	else if (version == 0)
		add(l, "ledger", NULL, CHECK_FAIL,
		    xasprintf("etlre's tables are missing in schema '%s': run 'etlre init'",
			      s->cfg.schema));
	else if (version < LEDGER_VERSION)
		add(l, "ledger", NULL, CHECK_FAIL,
		    xasprintf("etlre's tables in schema '%s' are at version %d, this etlre needs %d: "
			      "run 'etlre init'",
			      s->cfg.schema, version, LEDGER_VERSION));
	else if (version > LEDGER_VERSION)
		add(l, "ledger", NULL, CHECK_FAIL,
		    xasprintf("etlre's tables in schema '%s' are at version %d, newer than this "
			      "etlre (%d): upgrade etlre",
			      s->cfg.schema, version, LEDGER_VERSION));
	else if (missing.len)
		add(l, "ledger", NULL, CHECK_FAIL,
		    xasprintf("schema '%s' is at version %d but lacks %s: restore them, or drop "
			      "the schema and run 'etlre init'",
			      s->cfg.schema, version, missing.buf));
	else {
		add(l, "ledger", NULL, CHECK_OK,
		    xasprintf("etlre's tables in schema '%s' at version %d", s->cfg.schema, version));
		*ok = true;
	}
	sb_release(&missing);
}

/* table_detail: the detail of a table that checked ok (a new string): its
 * columns, key and time column, and a warning when the key is not backed by
 * a unique index of the target (plan_key_note) */
static char *table_detail(const table_config *t, const table_plan *p)
{
	char *note = plan_key_note(p);
	char *d = xasprintf("%s -> %s: %d column(s), key %s, time column %s%s%s", t->source,
			    t->target, p->ncols, p->cols[p->key_idx[0]].name,
			    p->cols[p->time_idx].name, note ? "; warning: " : "", note ? note : "");

	free(note);
	return d;
}

/* check_tables: each table on both sides, and with etlre's tables in place
 * (ledger_ok) the target grants process needs for it */
static void check_tables(session *s, check_list *l, bool ledger_ok)
{
	for (int i = 0; i < s->cfg.ntables; i++) {
		table_config *t = &s->cfg.tables[i];
		table_plan p;

		memset(&p, 0, sizeof(p));
		if (!s->src || !s->tgt)
			add(l, "table", t->name, CHECK_SKIPPED,
			    xstrdup("not checked: a server cannot be reached"));
		else if (plan_build(s->src, s->tgt, t, &p) &&
			 (!ledger_ok || priv_check_target(s->tgt, s->cfg.schema, &p, 1, PRIV_WRITE, true)))
			add(l, "table", t->name, CHECK_OK, table_detail(t, &p));
		else
			add(l, "table", t->name, CHECK_FAIL, xstrdup(log_last_error()));
		if (p.drift)
			add(l, "drift", t->name, CHECK_WARN, xstrdup(p.drift));
		plan_release(&p);
	}
}

static void check_rejects_dir(session *s, check_list *l)
{
	char err[512];

	if (!s->cfg.rejects_dir)
		return;
	if (dir_writable(s->cfg.rejects_dir, err, sizeof(err)))
		add(l, "rejects_dir", NULL, CHECK_OK,
		    xasprintf("'%s' is writable", s->cfg.rejects_dir));
	else
		add(l, "rejects_dir", NULL, CHECK_FAIL, xasprintf("rejects_dir %s", err));
}

typedef struct last_loads {
	session *s;
	double *at; /* per configured table; 0: never */
} last_loads;

static bool last_load_row(void *ctx, int ncols, char **v)
{
	last_loads *ll = ctx;

	(void)ncols;
	for (int i = 0; v[0] && v[1] && i < ll->s->cfg.ntables; i++)
		if (strcmp(ll->s->cfg.tables[i].name, v[0]) == 0)
			ll->at[i] = strtod(v[1], NULL);
	return true;
}

static void format_utc(double t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void check_freshness(session *s, const check_opts *o, bool ledger_ok, check_list *l)
{
	last_loads ll = { s, xcalloc((size_t)s->cfg.ntables, sizeof(double)) };
	bool read = s->tgt && ledger_ok && ledger_last_loads(s->tgt, s->cfg.schema, last_load_row, &ll);
	double now = (double)time(NULL);

	for (int i = 0; i < s->cfg.ntables; i++) {
		const char *name = s->cfg.tables[i].name;
		char when[32], age[32];
		check_item *c;

		if (!read) {
			add(l, "freshness", name, o->max_age.seconds ? CHECK_SKIPPED : CHECK_OK,
			    xstrdup("not checked: etlre's tables cannot be read"));
			continue;
		}
		if (ll.at[i] == 0) {
			add(l, "freshness", name, o->max_age.seconds ? CHECK_FAIL : CHECK_OK,
			    xstrdup(o->max_age.seconds ? "never loaded"
						       : "never loaded (no --max-age given)"));
			continue;
		}
		format_utc(ll.at[i], when);
		int64_t secs = now > ll.at[i] ? (int64_t)(now - ll.at[i]) : 0;
		duration_format(secs, age);
		if (o->max_age.seconds && secs > o->max_age.seconds)
			c = add(l, "freshness", name, CHECK_FAIL,
				xasprintf("last load %s, %s ago: older than --max-age %s", when, age,
					  o->max_age.text));
		else
			c = add(l, "freshness", name, CHECK_OK,
				xasprintf("last load %s, %s ago", when, age));
		c->last_load = ll.at[i];
		c->age = secs;
	}
	free(ll.at);
}

/* record_chunk: one table's chunks owed, for --metrics-file */
static bool record_chunk(void *ctx, const char *table, int64_t pending, int64_t failed)
{
	session *s = ctx;

	if (config_find_table(&s->cfg, table))
		metrics_record_ledger_chunks(table, pending, failed);
	return true;
}

/* record_chunks: every configured table's chunks owed (0 when none), for
 * --metrics-file; false (logged) when the ledger cannot be read */
static bool record_chunks(session *s)
{
	for (int i = 0; i < s->cfg.ntables; i++)
		metrics_record_ledger_chunks(s->cfg.tables[i].name, 0, 0);
	return triage_read_chunks(s->tgt, s->cfg.schema, record_chunk, s);
}

/* check_jobs: fails when a job is stuck or stale; records the jobs' state
 * for --metrics-file */
static void check_jobs(session *s, const check_opts *o, bool ledger_ok, check_list *l)
{
	triage_jobs j;
	char idle[32];

	if (!s->tgt || !ledger_ok) {
		add(l, "jobs", NULL, CHECK_SKIPPED, xstrdup("not checked: etlre's tables cannot be read"));
		return;
	}
	if (!triage_read_jobs(s->tgt, s->cfg.schema, o->stuck_after.seconds, &j) ||
	    (metrics_wanted() && !record_chunks(s))) {
		add(l, "jobs", NULL, CHECK_FAIL, xasprintf("cannot read the jobs: %s", log_last_error()));
		return;
	}
	metrics_record_jobs(j.running, j.stuck, j.stale, j.idle_seconds);
	duration_format((int64_t)j.idle_seconds, idle);
	if (j.stuck > 0)
		add(l, "jobs", NULL, CHECK_FAIL,
		    xasprintf("%lld running, %lld stuck: job %lld idle for %s (no heartbeat, no finished "
			      "chunk; %s); 'etlre status --job-id %lld' shows its hours and what it waits on",
			      (long long)j.running, (long long)j.stuck, (long long)j.stuck_job, idle,
			      o->stuck_after_text, (long long)j.stuck_job));
	else if (j.stale > 0)
		add(l, "jobs", NULL, CHECK_FAIL,
		    xasprintf("%lld running, %lld stale: job %lld is recorded as running but its "
			      "process is gone; 'etlre retry --job-id %lld' finishes it",
			      (long long)j.running, (long long)j.stale, (long long)j.stale_job,
			      (long long)j.stale_job));
	else if (j.running > 0)
		add(l, "jobs", NULL, CHECK_OK,
		    xasprintf("%lld running, none stuck (longest idle: %s) or stale",
			      (long long)j.running, idle));
	else
		add(l, "jobs", NULL, CHECK_OK, xstrdup("none running, none stale"));
}

/* default_stuck_after: without --stuck-after, the limit is [etlre]
 * stuck_after (README "Stuck and stale jobs"); stuck_after_text says which */
static void default_stuck_after(check_opts *o, const config *cfg)
{
	char d[32];

	if (o->stuck_after.text) {
		snprintf(o->stuck_after_text, sizeof(o->stuck_after_text), "--stuck-after %.32s",
			 o->stuck_after.text);
		return;
	}
	o->stuck_after.seconds = cfg->stuck_after;
	duration_format(o->stuck_after.seconds, d);
	snprintf(o->stuck_after_text, sizeof(o->stuck_after_text), "[etlre] stuck_after %s", d);
}

/* ---- output ---- */

static void print_text(const check_list *l, int rc)
{
	static const char *const shown[] = { "ok", "FAIL", "skip", "warn" };
	int failed = 0, warned = 0;

	for (int i = 0; i < l->n; i++) {
		const check_item *c = &l->items[i];
		char name[160];

		snprintf(name, sizeof(name), "%s%s%s", c->check, c->table ? " " : "",
			 c->table ? c->table : "");
		printf("%-4s  %-22s %s\n", shown[c->state], name, c->detail);
		failed += c->state == CHECK_FAIL;
		warned += c->state == CHECK_WARN;
	}
	if (rc == EXIT_CODE_OK && warned)
		printf("healthy: %d check(s) ok, %d warning(s)\n", l->n - warned, warned);
	else if (rc == EXIT_CODE_OK)
		printf("healthy: %d check(s) ok\n", l->n);
	else
		printf("%s: %d check(s) failed\n",
		       rc == EXIT_CODE_UNREACHABLE ? "unreachable" : "unhealthy", failed);
	fflush(stdout);
}

static void print_json(const check_list *l, const check_opts *o, int rc)
{
	strbuf sb;

	sb_init(&sb, 2048);
	sb_addf(&sb, "{\"status\":\"%s\",\"max_age_seconds\":",
		rc == EXIT_CODE_OK ? "healthy" : rc == EXIT_CODE_UNREACHABLE ? "unreachable" : "unhealthy");
	if (o->max_age.seconds)
		sb_addf(&sb, "%lld", (long long)o->max_age.seconds);
	else
		sb_adds(&sb, "null");
	sb_addf(&sb, ",\"stuck_after_seconds\":%lld", (long long)o->stuck_after.seconds);
	sb_adds(&sb, ",\"checks\":[");
	for (int i = 0; i < l->n; i++) {
		const check_item *c = &l->items[i];
		char when[32];

		sb_adds(&sb, i ? ",{\"check\":" : "{\"check\":");
		json_add_string(&sb, c->check);
		json_add_member(&sb, "table", c->table);
		sb_addf(&sb, ",\"status\":\"%s\",\"detail\":", state_names[c->state]);
		json_add_string(&sb, c->detail);
		if (strcmp(c->check, "freshness") == 0) {
			sb_adds(&sb, ",\"last_load\":");
			if (c->last_load > 0) {
				format_utc(c->last_load, when);
				json_add_string(&sb, when);
				sb_addf(&sb, ",\"age_seconds\":%lld", (long long)c->age);
			} else {
				sb_adds(&sb, "null,\"age_seconds\":null");
			}
		}
		sb_addc(&sb, '}');
	}
	sb_adds(&sb, "]}\n");
	fwrite(sb.buf, 1, sb.len, stdout);
	fflush(stdout);
	sb_release(&sb);
}

int cmd_check(int argc, char **argv)
{
	check_opts o = { 0 };
	const cli_command cmd = {
		"check", NULL, NULL,
		"Check that etlre can run, and with --max-age that it has run lately.\v"
		"Checks, one line each (ok, FAIL, or skip when an earlier failure prevents it):\n"
		"  source, target   the connections, with their TLS version and cipher\n"
		"                   (or \"not encrypted\")\n"
		"  ledger           etlre's tables exist at this etlre's version (etlre init)\n"
		"  table NAME       the source and target tables and every configured column,\n"
		"                   and the target grants process needs for them\n"
		"  drift NAME       (warn) columns one side has and the other lacks\n"
		"  rejects_dir      [etlre] rejects_dir, if set, takes new files\n"
		"  freshness NAME   the table's last successful load, no older than --max-age\n"
		"  jobs             no job stuck (running, idle for longer than --stuck-after:\n"
		"                   no heartbeat, no finished chunk) or stale (recorded as\n"
		"                   running, its process gone, not retried)\n\n"
		"Exit status: 0 healthy, 1 some check failed, 4 the source or the target cannot\n"
		"be reached, 2 usage or configuration error.\n\n"
		"Examples:\n"
		"  etlre check\n"
		"  etlre check --max-age 36h          # alert when a table was not loaded since\n"
		"  etlre check --max-age 2d --json\n"
		"  etlre check --max-age 26h --metrics-file /var/lib/prometheus/node-exporter/etlre-check.prom"
	};
	session s;
	check_list l = { 0 };
	char tgt_err[512], src_err[512];
	bool ledger_ok = false;
	int rc, failed = 0;

	const cli_option options[] = {
		{ "max-age", "DURATION",
		  "fail when a table's last successful load is older: a number and s, m, h, d or w "
		  "(90m, 36h, 2d)", 1, CLI_DURATION, &o.max_age },
		{ "stuck-after", "DURATION",
		  "a running job idle for longer (no heartbeat, no finished chunk) is stuck "
		  "(default [etlre] stuck_after, 15m)", 1, CLI_DURATION, &o.stuck_after },
		{ "json", NULL, "print the checks as one JSON object on stdout", 1, CLI_FLAG, &o.json },
		{ NULL }
	};

	cli_parse_command(&cmd, NULL, options, argc, argv, &o);
	rc = session_load_config(&s, cli_global()->config);
	if (rc != 0) {
		session_close(&s);
		return rc;
	}
	default_stuck_after(&o, &s.cfg);
	rc = session_connect_all(&s, tgt_err, src_err, sizeof(tgt_err));
	if (s.src)
		add(&l, "source", NULL, CHECK_OK,
		    xasprintf("connected to %s (%s)", src_describe(s.src), src_tls(s.src)));
	else
		add(&l, "source", NULL, CHECK_FAIL, xstrdup(src_err));
	if (s.tgt) {
		char *tls = tgt_tls(s.tgt);
		add(&l, "target", NULL, CHECK_OK,
		    xasprintf("connected to %s (%s)", tgt_describe(s.tgt), tls));
		free(tls);
	} else
		add(&l, "target", NULL, CHECK_FAIL, xstrdup(tgt_err));
	if (s.tgt)
		check_ledger(&s, &l, &ledger_ok);
	else
		add(&l, "ledger", NULL, CHECK_SKIPPED, xstrdup("not checked: the target cannot be reached"));
	check_tables(&s, &l, ledger_ok);
	check_rejects_dir(&s, &l);
	check_freshness(&s, &o, ledger_ok, &l);
	check_jobs(&s, &o, ledger_ok, &l);

	for (int i = 0; i < l.n; i++)
		failed += l.items[i].state == CHECK_FAIL;
	if (rc == 0 && failed)
		rc = EXIT_CODE_FAILED;
	if (o.json)
		print_json(&l, &o, rc);
	else
		print_text(&l, rc);
	check_list_release(&l);
	session_close(&s);
	return rc;
}
