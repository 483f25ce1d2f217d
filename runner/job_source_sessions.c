/*
 * job_source_sessions.c: a running job's source statements and what blocks
 * them (see job_source_sessions.h). One query of information_schema: the
 * job's rows of PROCESSLIST, each joined to the holders of its table's
 * metadata lock when the metadata_lock_info plugin is active, one row per
 * holder, in job_sessions.c's fourteen columns.
 */
#include "job_source_sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ACTIVITY(x): PROCESSLIST row x as db_activity's seven columns: its state
 * MariaDB's command, its wait the thread's state while it runs a query; the
 * query's white space folded, at most 120 characters */
#define ACTIVITY(x)                                                                      \
	x ".ID, " x ".USER, " x ".HOST, " x ".COMMAND,"                                   \
	" CASE WHEN " x ".COMMAND = 'Query' THEN NULLIF(" x ".STATE, '') END,"            \
	" " x ".TIME_MS / 1000, LEFT(REGEXP_REPLACE(" x ".INFO, '[[:space:]]+', ' '), 120)"

/* the modes a session may hold a table in without blocking a read of it */
#define READ_FRIENDLY_MODES                                                              \
	"'MDL_SHARED', 'MDL_SHARED_HIGH_PRIO', 'MDL_SHARED_READ', 'MDL_SHARED_WRITE',"    \
	" 'MDL_SHARED_READ_ONLY', 'MDL_INTENTION_EXCLUSIVE'"

/* the holders of the metadata lock a statement p waits on, as b (etlre
 * quotes the tables it reads with backquotes, so p.INFO names them so) */
#define HOLDERS_JOIN                                                                     \
	" LEFT JOIN (information_schema.METADATA_LOCK_INFO m"                            \
	"   JOIN information_schema.PROCESSLIST b ON b.ID = m.THREAD_ID)"                 \
	" ON p.STATE LIKE 'Waiting for%metadata lock' AND m.THREAD_ID <> p.ID"            \
	"   AND m.LOCK_MODE NOT IN (" READ_FRIENDLY_MODES ")"                             \
	"   AND m.TABLE_SCHEMA = p.DB AND p.INFO LIKE CONCAT('%`', m.TABLE_NAME, '`%')"
#define NO_HOLDERS_JOIN " LEFT JOIN information_schema.PROCESSLIST b ON FALSE"

static const char plugin_sql[] =
	"SELECT COUNT(*) FROM information_schema.PLUGINS"
	" WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'";

/* row: job_session_row for a source row */
static bool row(void *ctx, unsigned int ncols, char **v, unsigned long *lengths)
{
	(void)lengths;
	return job_session_row(ctx, (int)ncols, v);
}

bool job_source_sessions_read(src_conn *c, int64_t job_id, job_sessions *out)
{
	char label[64];
	int64_t holders_known = 0;
	bool ok;

	memset(out, 0, sizeof(*out));
	out->source = true;
	/* the label is the job id's digits in fixed text: nothing to quote */
	snprintf(label, sizeof(label), SRC_JOB_LABEL_FORMAT, (long long)job_id);
	if (!src_query_int64_send(c, plugin_sql) || !src_query_int64_recv(c, &holders_known))
		return false;
	char *sql = xasprintf("SELECT " ACTIVITY("p") ", " ACTIVITY("b")
			      " FROM information_schema.PROCESSLIST p%s"
			      " WHERE p.INFO LIKE '%s%%' ORDER BY p.ID, b.ID",
			      holders_known > 0 ? HOLDERS_JOIN : NO_HOLDERS_JOIN, label);
	ok = src_query(c, sql, row, out);
	free(sql);
	out->holders_unknown = holders_known == 0;
	return ok;
}
