/*
 * job_sessions.c: a running job's target sessions and what blocks them (see
 * job_sessions.h). One catalog query: the holders of the job lock in this
 * database, joined to pg_stat_activity, with one row per blocker; each
 * session, the job's and the blockers', in the same seven columns.
 */
#include "job_sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "ledger.h"
#include "log.h"

/* ACTIVITY(x): pg_stat_activity row x as db_activity's seven columns; the
 * query's white space folded, at most 120 characters */
#define ACTIVITY(x)                                                                     \
	x ".pid, " x ".usename, " x ".application_name, " x ".state,"                    \
	" CASE WHEN " x ".state = 'active' THEN " x ".wait_event_type || ':' || " x      \
	".wait_event END,"                                                              \
	" extract(epoch FROM clock_timestamp() - coalesce(" x ".xact_start, " x          \
	".state_change))::float8,"                                                      \
	" left(regexp_replace(" x ".query, '\\s+', ' ', 'g'), 120)"
#define ACTIVITY_COLUMNS 7

static const char sessions_sql[] =
	"SELECT " ACTIVITY("a") ", " ACTIVITY("b")
	" FROM pg_catalog.pg_locks l"
	" JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
	" LEFT JOIN LATERAL unnest(pg_catalog.pg_blocking_pids(a.pid)) AS x(pid) ON true"
	" LEFT JOIN pg_catalog.pg_stat_activity b ON b.pid = x.pid"
	" WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid"
	"   AND l.objid::bigint = $2::bigint AND l.objsubid = 2" LEDGER_LOCK_HERE
	" ORDER BY a.pid, x.pid";

/* activity_fill: a from a session's seven columns v */
static void activity_fill(db_activity *a, char **v)
{
	a->id = field_int64(v[0]);
	a->user = xstrdup_or_null(v[1]);
	a->client = xstrdup_or_null(v[2]);
	a->state = xstrdup_or_null(v[3]);
	a->wait = xstrdup_or_null(v[4]);
	a->seconds = field_double(v[5]);
	a->query = xstrdup_or_null(v[6]);
}

bool job_session_row(void *ctx, int ncols, char **v)
{
	job_sessions *out = ctx;
	job_session *s = out->n > 0 ? &out->s[out->n - 1] : NULL;

	if (ncols < 2 * ACTIVITY_COLUMNS)
		return true;
	if (!s || s->self.id != field_int64(v[0])) {
		s = ARRAY_PUSH(out->s, out->n, out->cap);
		activity_fill(&s->self, v);
	}
	if (v[ACTIVITY_COLUMNS])
		activity_fill(ARRAY_PUSH(s->blockers, s->nblockers, s->blockers_cap),
			      v + ACTIVITY_COLUMNS);
	return true;
}

bool job_sessions_read(tgt_conn *c, int64_t job_id, job_sessions *out)
{
	char key[24], id[24];

	memset(out, 0, sizeof(*out));
	snprintf(key, sizeof(key), "%d", LEDGER_JOB_LOCK);
	snprintf(id, sizeof(id), "%lld", (long long)job_id);
	const char *params[] = { key, id };
	return tgt_query(c, sessions_sql, 2, params, job_session_row, out);
}

/* or_dash: s, or "-" when the server does not show it */
static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* print_activity: one line, the id named by side; who adds the user and
 * the client */
static void print_activity(const char *lead, const db_activity *a, bool source, bool who)
{
	printf("%s%s %lld", lead, source ? "thread" : "pid", a->id);
	if (who)
		printf("  user %s  %s %s", or_dash(a->user), source ? "host" : "application",
		       or_dash(a->client));
	printf("  %s %.1fs", or_dash(a->state), a->seconds);
	if (a->wait)
		printf("  waiting on %s", a->wait);
	printf("  %s\n", or_dash(a->query));
}

void job_sessions_print(const job_sessions *s)
{
	if (s->n == 0)
		return;
	printf("\n%s sessions of the job (now):\n", s->source ? "source" : "target");
	for (int i = 0; i < s->n; i++) {
		print_activity("  ", &s->s[i].self, s->source, false);
		for (int k = 0; k < s->s[i].nblockers; k++)
			print_activity("    blocked by ", &s->s[i].blockers[k], s->source, true);
		if (s->holders_unknown && s->s[i].self.wait && strstr(s->s[i].self.wait, "metadata lock"))
			printf("    (the source's metadata_lock_info plugin would name who holds the "
			       "table; SHOW PROCESSLIST lists the sessions that may: LOCK TABLES, ALTER "
			       "TABLE)\n");
	}
}

/* json_activity: a as an object, its id named by side */
static void json_activity(strbuf *sb, const db_activity *a, bool source)
{
	sb_addf(sb, "{\"%s\":%lld", source ? "thread" : "pid", a->id);
	json_add_member(sb, "user", a->user);
	json_add_member(sb, source ? "host" : "application", a->client);
	json_add_member(sb, "state", a->state);
	json_add_member(sb, "wait", a->wait);
	sb_addf(sb, ",\"seconds\":%.3f", a->seconds);
	json_add_member(sb, "query", a->query);
}

void job_sessions_json(strbuf *sb, const job_sessions *s)
{
	sb_adds(sb, s->source ? ",\"source_sessions\":[" : ",\"sessions\":[");
	for (int i = 0; i < s->n; i++) {
		const job_session *j = &s->s[i];
		if (i)
			sb_addc(sb, ',');
		json_activity(sb, &j->self, s->source);
		sb_adds(sb, ",\"blocked_by\":[");
		for (int k = 0; k < j->nblockers; k++) {
			if (k)
				sb_addc(sb, ',');
			json_activity(sb, &j->blockers[k], s->source);
			sb_addc(sb, '}');
		}
		sb_adds(sb, "]}");
	}
	sb_addc(sb, ']');
}

static void activity_release(db_activity *a)
{
	free(a->user);
	free(a->client);
	free(a->state);
	free(a->wait);
	free(a->query);
}

void job_sessions_release(job_sessions *s)
{
	for (int i = 0; i < s->n; i++) {
		for (int k = 0; k < s->s[i].nblockers; k++)
			activity_release(&s->s[i].blockers[k]);
		free(s->s[i].blockers);
		activity_release(&s->s[i].self);
	}
	free(s->s);
	memset(s, 0, sizeof(*s));
}
