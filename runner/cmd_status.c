/*
 * cmd_status.c: `etlre status`: the jobs recorded in etlre's tables, newest
 * first, one line each (--since: those started lately); or one job with its
 * hours (--job-id); or the failed chunks by error class and table (--errors,
 * triage.h). Text on stdout,
 * or one JSON object with --json. Needs only the target, and writes nothing:
 * it reads in a read-only transaction (jobs_report.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exitcode.h"
#include "job_sessions.h"
#include "job_source_sessions.h"
#include "jobs_report.h"
#include "json.h"
#include "ledger.h"
#include "log.h"
#include "session.h"
#include "triage.h"

#define STATUS_DEFAULT_LIMIT 20

typedef struct status_opts {
	int64_t job_id; /* 0: list the jobs */
	bool failed, json, limit_given, errors;
	int64_t limit;  /* 0: all */
	cli_duration since; /* 0 seconds: any time */
} status_opts;

enum { OPT_JOB_ID = 4000, OPT_LIMIT };

static const struct argp_option status_options[] = {
	{ "job-id", OPT_JOB_ID, "N", 0,
	  "show job N and its hours; while it runs, what its target and source sessions wait on "
	  "and who holds the locks they wait for", 1 },
	{ "limit", OPT_LIMIT, "N", 0, "list at most N jobs (default 20; 0 for all)", 1 },
	{ 0 }
};

static error_t parse_status(int key, char *arg, struct argp_state *state)
{
	status_opts *o = state->input;
	int64_t v;

	switch (key) {
	case OPT_JOB_ID:
		if (!str_to_int64(arg, &v) || v <= 0)
			argp_error(state, "--job-id: '%s' is not a job id", arg);
		o->job_id = v;
		break;
	case OPT_LIMIT:
		if (!str_to_int64(arg, &v) || v < 0)
			argp_error(state, "--limit: '%s' is not a number of jobs (0 for all)", arg);
		o->limit = v;
		o->limit_given = true;
		break;
	case ARGP_KEY_END:
		if (o->job_id && o->limit_given)
			argp_error(state, "--limit applies to the list of jobs, not to --job-id");
		if (o->job_id && (o->since.seconds || o->errors))
			argp_error(state, "--%s does not apply to --job-id", o->errors ? "errors" : "since");
		if (o->errors && (o->limit_given || o->failed))
			argp_error(state, "--errors shows failed chunks only; --%s does not apply",
				   o->failed ? "failed" : "limit");
		break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* --- text --- */

/* print_clean: s with control characters (a newline in an error, an escape
 * sequence in a rejected value) shown as spaces */
static void print_clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		putchar(*p < 0x20 || *p == 0x7f ? ' ' : *p);
}

/* format_duration: 0.4s, 59.0s, 12m05s, 3h07m, 2d04h */
static void format_duration(double s, char out[32])
{
	long t = (long)s;

	if (s < 0)
		s = t = 0;
	if (s < 60)
		snprintf(out, 32, "%.1fs", s);
	else if (t < 3600)
		snprintf(out, 32, "%ldm%02lds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(out, 32, "%ldh%02ldm", t / 3600, t % 3600 / 60);
	else
		snprintf(out, 32, "%ldd%02ldh", t / 86400, t % 86400 / 3600);
}

static void format_range(const status_job *j, char out[32])
{
	const char *a = j->start_date ? j->start_date : "-";
	const char *b = j->end_date ? j->end_date : "-";

	if (strcmp(a, b) == 0)
		snprintf(out, 32, "%s", a);
	else
		snprintf(out, 32, "%s..%s", a, b);
}

/* host_pid_width: the width of the host:pid column for these jobs */
static int host_pid_width(const status_job *jobs, int n)
{
	int w = (int)strlen("host:pid");

	for (int i = 0; i < n; i++) {
		int len = snprintf(NULL, 0, "%s:%d", jobs[i].host ? jobs[i].host : "?", jobs[i].pid);
		w = len > w ? len : w;
	}
	return w;
}

static void print_job_heading(int host_width)
{
	printf("%6s  %-11s  %-7s  %-21s  %-20s  %8s  %5s %9s %6s %7s  %10s %10s %8s  %-*s  %s\n",
	       "job", "status", "command", "range", "started", "duration", "hours", "succeeded",
	       "failed", "pending", "rows read", "loaded", "rejected", host_width, "host:pid",
	       "tables");
}

static void print_job_line(const status_job *j, int host_width)
{
	char range[32], duration[32];
	int len;

	format_range(j, range);
	format_duration(j->seconds, duration);
	printf("%6lld  %-11s  %-7s  %-21s  %-20s  %8s  %5lld %9lld %6lld %7lld  %10lld %10lld %8lld  ",
	       (long long)j->job_id, job_status_name(j->status), j->command ? j->command : "-", range,
	       j->started_at ? j->started_at : "-", duration, (long long)j->hours_total,
	       (long long)j->hours_succeeded, (long long)j->hours_failed,
	       (long long)j->hours_pending, (long long)j->rows_read, (long long)j->rows_loaded,
	       (long long)j->rows_rejected);
	print_clean(j->host ? j->host : "?");
	len = printf(":%d", j->pid) + (int)strlen(j->host ? j->host : "?");
	printf("%*s ", host_width - len + 1, "");
	for (int i = 0; i < j->ntables; i++) {
		if (i)
			putchar(',');
		print_clean(j->tables[i]);
	}
	if (j->nretry_of > 0) {
		printf("  retry of");
		for (int i = 0; i < j->nretry_of; i++)
			printf("%s%lld", i ? "," : " ", (long long)j->retry_of[i]);
	}
	if (j->retried_by > 0)
		printf("  retried by %lld", (long long)j->retried_by);
	if (j->status == JOB_STUCK) {
		char age[32];
		format_duration(j->heartbeat_age, age);
		printf("  no heartbeat for %s", age);
	}
	putchar('\n');
}

static void print_count(int64_t n)
{
	if (n < 0)
		printf(" %10s", "-");
	else
		printf(" %10lld", (long long)n);
}

static void print_hours(const status_job *j, bool failed_only)
{
	int w = 5;

	if (j->nhours == 0) {
		printf("\n%s\n", failed_only ? "every hour of the job succeeded"
					     : "the job has no hours");
		return;
	}
	for (int i = 0; i < j->nhours; i++) {
		int len = (int)strlen(j->hours[i].table);
		w = len > w ? len : w;
	}
	printf("\n%-*s  %-19s  %-9s  %8s %10s %10s %10s %10s %10s %9s  %s\n", w, "table", "hour",
	       "status", "attempts", "rows read", "loaded", "rejected", "deleted", "moved",
	       "seconds", "error");
	for (int i = 0; i < j->nhours; i++) {
		const status_hour *h = &j->hours[i];
		print_clean(h->table);
		printf("%*s  %-19s  %-9s  %8d", w - (int)strlen(h->table), "", h->hour, hour_status_name(h->status),
		       h->attempts);
		print_count(h->rows_read);
		print_count(h->rows_loaded);
		print_count(h->rows_rejected);
		print_count(h->rows_deleted);
		print_count(h->rows_moved);
		if (h->seconds < 0)
			printf(" %9s", "-");
		else
			printf(" %9.2f", h->seconds);
		if (h->error_class || h->error) {
			printf("  [%s] ", h->error_class ? h->error_class : "-");
			print_clean(h->error ? h->error : "");
		}
		putchar('\n');
	}
}

/* --- JSON --- */

static void json_count(strbuf *sb, const char *name, int64_t n)
{
	if (n < 0)
		sb_addf(sb, ",\"%s\":null", name);
	else
		sb_addf(sb, ",\"%s\":%lld", name, (long long)n);
}

/* json_job: the job as one object; with_hours adds its hours, sessions
 * (when not NULL) what its target sessions are doing, and then source what
 * its source statements are (null when the source could not be read) */
static void json_job(strbuf *sb, const status_job *j, bool with_hours,
		     const job_sessions *sessions, const job_sessions *source)
{
	sb_addf(sb, "{\"job_id\":%lld,\"status\":", (long long)j->job_id);
	json_add_string(sb, job_status_name(j->status));
	json_add_member(sb, "started_at", j->started_at);
	json_add_member(sb, "finished_at", j->finished_at);
	json_add_member(sb, "command", j->command);
	json_add_member(sb, "start_date", j->start_date);
	json_add_member(sb, "end_date", j->end_date);
	sb_addf(sb, ",\"batch_mode\":\"%s\",\"tables\":[", j->window_hours == 24 ? "daily" : "hourly");
	for (int i = 0; i < j->ntables; i++) {
		if (i)
			sb_addc(sb, ',');
		json_add_string(sb, j->tables[i]);
	}
	sb_adds(sb, "],\"host\":");
	json_add_string_or_null(sb, j->host);
	sb_addf(sb, ",\"pid\":%d,\"hours_total\":%lld,\"hours_succeeded\":%lld,"
		    "\"hours_failed\":%lld,\"hours_pending\":%lld,\"rows_read\":%lld,"
		    "\"rows_loaded\":%lld,\"rows_rejected\":%lld,\"rows_moved\":%lld,\"seconds\":%.3f,"
		    "\"heartbeat_age_seconds\":%.3f,\"retried_by\":",
		j->pid, (long long)j->hours_total, (long long)j->hours_succeeded,
		(long long)j->hours_failed, (long long)j->hours_pending, (long long)j->rows_read,
		(long long)j->rows_loaded, (long long)j->rows_rejected, (long long)j->rows_moved,
		j->seconds, j->heartbeat_age);
	if (j->retried_by > 0)
		sb_addf(sb, "%lld", (long long)j->retried_by);
	else
		sb_adds(sb, "null");
	sb_adds(sb, ",\"retry_of\":");
	if (j->nretry_of > 0) {
		for (int i = 0; i < j->nretry_of; i++)
			sb_addf(sb, "%c%lld", i ? ',' : '[', (long long)j->retry_of[i]);
		sb_addc(sb, ']');
	} else {
		sb_adds(sb, "null");
	}
	if (with_hours) {
		sb_adds(sb, ",\"hours\":[");
		for (int i = 0; i < j->nhours; i++) {
			const status_hour *h = &j->hours[i];
			if (i)
				sb_addc(sb, ',');
			sb_adds(sb, "{\"table\":");
			json_add_string(sb, h->table);
			json_add_member(sb, "hour", h->hour);
			json_add_member(sb, "status", hour_status_name(h->status));
			sb_addf(sb, ",\"attempts\":%d", h->attempts);
			json_count(sb, "rows_read", h->rows_read);
			json_count(sb, "rows_loaded", h->rows_loaded);
			json_count(sb, "rows_rejected", h->rows_rejected);
			json_count(sb, "rows_deleted", h->rows_deleted);
			json_count(sb, "rows_moved", h->rows_moved);
			if (h->seconds < 0)
				sb_adds(sb, ",\"seconds\":null");
			else
				sb_addf(sb, ",\"seconds\":%.3f", h->seconds);
			json_add_member(sb, "error_class", h->error_class);
			json_add_member(sb, "error", h->error);
			sb_addc(sb, '}');
		}
		sb_addc(sb, ']');
	}
	if (sessions)
		job_sessions_json(sb, sessions);
	if (sessions && source)
		job_sessions_json(sb, source);
	else if (sessions)
		sb_adds(sb, ",\"source_sessions\":null");
	sb_addc(sb, '}');
}

static void print_json(strbuf *sb)
{
	sb_addc(sb, '\n');
	fwrite(sb->buf, 1, sb->len, stdout);
	fflush(stdout);
}

/* --- the command --- */

/* read_failed: the exit status after a failed read (already logged) */
static int read_failed(session *s)
{
	return session_failure_status(s, EXIT_CODE_FAILED);
}

static int show_list(session *s, const status_opts *o)
{
	status_job *jobs;
	int n;

	if (!jobs_report_list(s->tgt, s->cfg.schema, o->failed, o->limit, o->since.seconds,
			      s->cfg.stuck_after, &jobs, &n))
		return read_failed(s);
	if (o->json) {
		strbuf sb;
		sb_init(&sb, 4096);
		sb_adds(&sb, "{\"jobs\":[");
		for (int i = 0; i < n; i++) {
			if (i)
				sb_addc(&sb, ',');
			json_job(&sb, &jobs[i], false, NULL, NULL);
		}
		sb_adds(&sb, "]}");
		print_json(&sb);
		sb_release(&sb);
	} else if (n == 0) {
		printf("%s%s%s\n",
		       o->failed ? "no failed, partial, interrupted, stale or stuck jobs" : "no jobs",
		       o->since.seconds ? " in the last " : o->failed ? "" : " yet",
		       o->since.seconds ? o->since.text : "");
	} else {
		int w = host_pid_width(jobs, n);
		print_job_heading(w);
		for (int i = 0; i < n; i++)
			print_job_line(&jobs[i], w);
	}
	fflush(stdout);
	jobs_report_free(jobs, n);
	return EXIT_CODE_OK;
}

/* read_source_sessions: the job's statements on the source into *out; false
 * when the source cannot be reached or read (logged): the target's view is
 * the job's state, the source's an aid to it */
static bool read_source_sessions(session *s, int64_t job_id, job_sessions *out)
{
	if (session_reconnect(s, 0) && job_source_sessions_read(s->src, job_id, out))
		return true;
	log_warn("the job's statements on the source cannot be shown (see above)");
	return false;
}

static int show_job(session *s, const status_opts *o)
{
	status_job job;
	bool found;
	int rc = EXIT_CODE_OK;

	if (!jobs_report_get(s->tgt, s->cfg.schema, o->job_id, s->cfg.stuck_after, &job, &found))
		return read_failed(s);
	if (!found) {
		log_error("no job %lld in schema %s ('etlre status' lists the jobs)",
			  (long long)o->job_id, s->cfg.schema);
		return EXIT_CODE_USAGE;
	}
	/* a live job: what its sessions wait for (README "Stuck and stale jobs") */
	bool live = job.status == JOB_RUNNING || job.status == JOB_STUCK;
	job_sessions sessions = { 0 }, source = { 0 };
	bool source_read = false;
	if (!jobs_report_hours(s->tgt, s->cfg.schema, &job, o->failed) ||
	    (live && !job_sessions_read(s->tgt, o->job_id, &sessions))) {
		rc = read_failed(s);
		goto done;
	}
	source_read = live && read_source_sessions(s, o->job_id, &source);
	if (o->json) {
		strbuf sb;
		sb_init(&sb, 8192);
		json_job(&sb, &job, true, live ? &sessions : NULL, source_read ? &source : NULL);
		print_json(&sb);
		sb_release(&sb);
	} else {
		int w = host_pid_width(&job, 1);
		print_job_heading(w);
		print_job_line(&job, w);
		job_sessions_print(&sessions);
		job_sessions_print(&source);
		print_hours(&job, o->failed);
		fflush(stdout);
	}
done:
	job_sessions_release(&sessions);
	job_sessions_release(&source);
	status_job_release(&job);
	return rc;
}

/* --- failed chunks by error class (--errors) --- */

/* print_errors: the groups as a table on stdout, columns as wide as their
 * widest value; the error texts with control characters as spaces */
static void print_errors(const triage_error *e, int n, const status_opts *o)
{
	int cw = (int)strlen("error class"), tw = (int)strlen("table"), jw = (int)strlen("jobs");

	if (n == 0) {
		printf("no failed chunks%s%s\n", o->since.seconds ? " in the last " : "",
		       o->since.seconds ? o->since.text : "");
		return;
	}
	for (int i = 0; i < n; i++) {
		int c = (int)strlen(e[i].error_class), t = (int)strlen(e[i].table);
		int j = (int)strlen(e[i].jobs);
		cw = c > cw ? c : cw;
		tw = t > tw ? t : tw;
		jw = j > jw ? j : jw;
	}
	printf("%-*s  %-*s  %6s %6s  %-*s  %-19s  %-20s  %s\n", cw, "error class", tw, "table",
	       "chunks", "open", jw, "jobs", "newest hour", "failed at", "newest error");
	for (int i = 0; i < n; i++) {
		printf("%-*s  ", cw, e[i].error_class);
		print_clean(e[i].table);
		printf("%*s  %6lld %6lld  %-*s  %-19s  %-20s  ", tw - (int)strlen(e[i].table), "",
		       (long long)e[i].chunks, (long long)e[i].open, jw, e[i].jobs, e[i].newest_hour,
		       e[i].newest_at);
		print_clean(e[i].newest_error);
		putchar('\n');
	}
}

/* json_errors: the groups as one JSON object appended to sb */
static void json_errors(strbuf *sb, const triage_error *e, int n, const status_opts *o)
{
	sb_adds(sb, "{\"since_seconds\":");
	if (o->since.seconds)
		sb_addf(sb, "%lld", (long long)o->since.seconds);
	else
		sb_adds(sb, "null");
	sb_adds(sb, ",\"errors\":[");
	for (int i = 0; i < n; i++) {
		sb_adds(sb, i ? ",{\"error_class\":" : "{\"error_class\":");
		json_add_string(sb, e[i].error_class);
		json_add_member(sb, "table", e[i].table);
		sb_addf(sb, ",\"chunks\":%lld,\"open\":%lld,\"jobs\":[%s],\"newest_hour\":",
			(long long)e[i].chunks, (long long)e[i].open, e[i].jobs);
		json_add_string(sb, e[i].newest_hour);
		json_add_member(sb, "newest_failed_at", e[i].newest_at);
		sb_addf(sb, ",\"newest_job_id\":%lld,\"newest_error\":", (long long)e[i].newest_job);
		json_add_string(sb, e[i].newest_error);
		sb_addc(sb, '}');
	}
	sb_adds(sb, "]}");
}

/* show_errors: --errors: reads and prints the failed chunks by class and
 * table; returns the exit status */
static int show_errors(session *s, const status_opts *o)
{
	triage_error *rows;
	int n;

	if (!triage_read_errors(s->tgt, s->cfg.schema, o->since.seconds, &rows, &n))
		return read_failed(s);
	if (o->json) {
		strbuf sb;
		sb_init(&sb, 4096);
		json_errors(&sb, rows, n, o);
		print_json(&sb);
		sb_release(&sb);
	} else {
		print_errors(rows, n, o);
		fflush(stdout);
	}
	triage_errors_free(rows, n);
	return EXIT_CODE_OK;
}

int cmd_status(int argc, char **argv)
{
	status_opts o = { .limit = STATUS_DEFAULT_LIMIT };
	const cli_command cmd = {
		"status", status_options, parse_status,
		"Show the jobs recorded in etlre's tables in the target, newest first: status, "
		"command, range, hours, rows, duration, host and pid. With --job-id, one job and "
		"its hours. Reads only the target (and, for a running job with --job-id, the "
		"source's process list) and writes nothing.\v"
		"A job is 'stale' when it is recorded as running but its process is gone\n"
		"(nobody holds its lock any more); 'etlre retry --job-id N' reruns what it\n"
		"left undone. It is 'stuck' when its process lives but it has been idle\n"
		"(no heartbeat, no chunk finished) for longer than [etlre] stuck_after\n"
		"(default 900 s; workers beat every 10 s while an hour loads).\n\n"
		"Exit status: 0 shown (whatever the jobs' own status), 1 reading etlre's\n"
		"tables failed, 2 usage or configuration error or an unknown job, 4 the\n"
		"target cannot be reached or did not answer in time (a lock held elsewhere).\n\n"
		"Examples:\n"
		"  etlre status\n"
		"  etlre status --failed --limit 5\n"
		"  etlre status --since 12h\n"
		"  etlre status --errors --since 12h     # what failed overnight, by error class\n"
		"  etlre status --job-id 42 --failed\n"
		"  etlre status --job-id 42 --json"
	};
	session s;
	int rc;

	const cli_option options[] = {
		{ "failed", NULL,
		  "only jobs that failed, are partial, interrupted or stale; with --job-id, only the "
		  "hours that did not succeed", 1, CLI_FLAG, &o.failed },
		{ "since", "DURATION",
		  "only jobs started, or with --errors chunks failed, in the last DURATION: a number "
		  "and s, m, h, d or w (90m, 12h, 2d)", 1, CLI_DURATION, &o.since },
		{ "errors", NULL,
		  "the failed chunks by error class and table, with the newest error of each", 1,
		  CLI_FLAG, &o.errors },
		{ "json", NULL, "print one JSON object on stdout", 2, CLI_FLAG, &o.json },
		{ NULL }
	};

	cli_parse_command(&cmd, NULL, options, argc, argv, &o);
	rc = session_open(&s, &(session_needs){ 0 });
	if (rc != 0)
		goto out;
	if (!jobs_report_begin(s.tgt)) {
		rc = read_failed(&s);
		goto out;
	}
	if (!ledger_check_version(s.tgt, s.cfg.schema))
		rc = session_failure_status(&s, EXIT_CODE_USAGE);
	else if (o.job_id > 0)
		rc = show_job(&s, &o);
	else if (o.errors)
		rc = show_errors(&s, &o);
	else
		rc = show_list(&s, &o);
	jobs_report_end(s.tgt);
out:
	session_close(&s);
	return rc;
}
