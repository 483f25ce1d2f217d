/*
 * target_pg.c: everything etlre says to PostgreSQL goes through here (see
 * target_pg.h). Queries use the extended protocol with text parameters, so
 * values are never spliced into SQL; COPY data is sent with PQputCopyData.
 *
 * The connection is non-blocking: every wait for the server is a poll() with
 * a deadline (README "Timeouts"). When the server stays silent past it (a
 * frozen server, a dead network), the socket is shut down: the server's
 * transaction dies with the connection, the error class is timeout, and
 * every later call on the connection fails at once until it is replaced.
 */
#include "target_pg.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "signals.h"
#include "sqlquote.h"
#include "target_pg_int.h"


static void describe_conn(tgt_conn *c)
{
	snprintf(c->describe, sizeof(c->describe), "%s@%s:%s/%s", PQuser(c->pg),
		 PQhost(c->pg) ? PQhost(c->pg) : "", PQport(c->pg) ? PQport(c->pg) : "",
		 PQdb(c->pg));
}

void set_error_from_result(tgt_conn *c, const PGresult *res)
{
	const char *f;
	tgt_error *e = &c->err;

	if (c->cut)
		return; /* the timeout stays the error: what follows is its consequence */
	memset(e, 0, sizeof(*e));
	f = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", f ? f : "");
	f = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!f)
		f = PQerrorMessage(c->pg);
	snprintf(e->message, sizeof(e->message), "%s", f);
	e->message[strcspn(e->message, "\n")] = '\0';
	f = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	snprintf(e->detail, sizeof(e->detail), "%s", f ? f : "");
	f = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	snprintf(e->constraint, sizeof(e->constraint), "%s", f ? f : "");
	f = res ? PQresultErrorField(res, PG_DIAG_COLUMN_NAME) : NULL;
	snprintf(e->column, sizeof(e->column), "%s", f ? f : "");
	if (PQstatus(c->pg) != CONNECTION_OK || !e->sqlstate[0])
		e->cls = PQstatus(c->pg) != CONNECTION_OK ? ERRCLASS_CONNECTION : ERRCLASS_INTERNAL;
	else
		e->cls = err_class_from_sqlstate(e->sqlstate);
}

void log_failure(tgt_conn *c, const char *sql, bool quiet)
{
	/* a statement cancelled because a stop came (wait_socket), or cut off
	 * after its grace (said once, in cut_off), is no error of the server's:
	 * the hour's "interrupted" line says it */
	bool by_stop = signals_caught() && (strcmp(c->err.sqlstate, "57014") == 0 || c->cut);
	log_level level = quiet || by_stop ? LOG_DEBUG : LOG_ERROR;

	if (!log_enabled(level))
		return;
	log_msg(level, "target %s: %s%s%s [SQLSTATE %s, %s] in: %.200s", c->describe,
		c->err.message, c->err.detail[0] ? "; " : "", c->err.detail,
		c->err.sqlstate[0] ? c->err.sqlstate : "none", err_class_name(c->err.cls), sql);
}

/* cut_off: gives up on a server silent for io_timeout seconds while doing
 * what (or, when stopped, STOP_GRACE_SECONDS after a stop): records a
 * timeout error and shuts the socket down, so that the server's transaction
 * ends with the connection and no later call waits */
static void cut_off(tgt_conn *c, const char *what, bool stopped)
{
	tgt_error *e = &c->err;

	memset(e, 0, sizeof(*e));
	e->cls = ERRCLASS_TIMEOUT;
	if (stopped) {
		snprintf(e->message, sizeof(e->message),
			 "etlre was stopped and the server did not answer within %d s; etlre closed "
			 "the connection (the server rolls its transaction back)",
			 STOP_GRACE_SECONDS);
		log_warn("target %s: %s, while %.200s", c->describe, e->message, what);
	} else {
		snprintf(e->message, sizeof(e->message),
			 "no answer from the server for %d s; etlre closed the connection",
			 c->io_timeout);
		log_debug("target %s: silent for %d s while %.200s", c->describe, c->io_timeout,
			  what);
	}
	c->cut = true;
	shutdown(PQsocket(c->pg), SHUT_RDWR);
}

/* wait_socket: waits until the socket is readable (or writable, when
 * for_write) or deadline (now_monotonic() seconds) passes, or a stop's grace
 * does; false when one passed or poll failed (the connection is then cut
 * off). The poll wakes every STOP_CHECK_MS to see a stop that another thread
 * caught. */
bool wait_socket(tgt_conn *c, bool for_write, double deadline, const char *what)
{
	struct pollfd p = { .fd = PQsocket(c->pg), .events = POLLIN | (for_write ? POLLOUT : 0) };

	if (p.fd < 0)
		return false;
	for (;;) {
		double limit = signals_caught() ? tgt_stop_limit(c) : deadline;
		bool stopped = limit < deadline;
		double left = (stopped ? limit : deadline) - now_monotonic(); /* the earlier */
		int n;

		if (left <= 0) {
			cut_off(c, what, stopped);
			return false;
		}
		n = poll(&p, 1, left * 1000 < STOP_CHECK_MS ? (int)(left * 1000) + 1 : STOP_CHECK_MS);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR) {
			/* no wait is left to libpq, whose own waits have no limit */
			cut_off(c, what, false);
			c->err.cls = ERRCLASS_CONNECTION;
			snprintf(c->err.message, sizeof(c->err.message), "poll: %s", strerror(errno));
			return false;
		}
	}
}

/* flush_out: sends what libpq has buffered, reading what the server says
 * meanwhile; false when the connection broke or the deadline passed */
static bool flush_out(tgt_conn *c, double deadline, const char *what)
{
	int r;

	while ((r = PQflush(c->pg)) == 1)
		if (!wait_socket(c, true, deadline, what) || !PQconsumeInput(c->pg))
			return false;
	return r == 0;
}

/* next_result: *res gets the next result of the command sent (NULL when
 * there is none left); false when the deadline passed (connection cut off).
 * A broken connection yields libpq's error result. The caller owns *res. */
bool next_result(tgt_conn *c, double deadline, const char *what, PGresult **res)
{
	*res = NULL;
	if (c->cut)
		return false;
	if (flush_out(c, deadline, what))
		while (PQisBusy(c->pg))
			if (!wait_socket(c, false, deadline, what) || !PQconsumeInput(c->pg))
				break;
	if (c->cut)
		return false;
	*res = PQgetResult(c->pg);
	return true;
}

/* await: the outcome of the command sent, as PQexec gives it (the first
 * error, else the last result; a COPY result ends the wait); NULL after a
 * timeout. The caller owns the result. */
PGresult *await(tgt_conn *c, const char *what)
{
	double deadline = now_monotonic() + c->io_timeout;
	PGresult *keep = NULL, *r;

	while (next_result(c, deadline, what, &r) && r) {
		ExecStatusType st = PQresultStatus(r);

		if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
			PQclear(r);
		} else {
			PQclear(keep);
			keep = r;
		}
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
			break;
	}
	if (c->cut) {
		PQclear(keep);
		return NULL;
	}
	return keep;
}

static bool copy_finish(tgt_conn *c, const char *why);

/* settle: ends what an earlier command left, as PQexec does: a COPY still
 * open (its sender gave up) is aborted, and the results left are read and
 * dropped, within io_timeout */
static void settle(tgt_conn *c)
{
	double deadline = now_monotonic() + c->io_timeout;
	PGresult *r;

	while (!c->cut && PQtransactionStatus(c->pg) == PQTRANS_ACTIVE &&
	       next_result(c, deadline, "ending an unfinished command", &r) && r) {
		bool copy_in = PQresultStatus(r) == PGRES_COPY_IN;

		PQclear(r);
		if (copy_in && !copy_finish(c, "etlre: COPY ended by the next command"))
			break;
	}
}

/* send_extended: sql by the extended protocol, by name when name is not
 * empty (target_pg_prepared.c); libpq's answer (1 sent, 0 not) */
static int send_extended(tgt_conn *c, const char *name, const char *sql, int nparams,
			 const char *const *params)
{
	return name[0] ? PQsendQueryPrepared(c->pg, name, nparams, params, NULL, NULL, 0)
		       : PQsendQueryParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
}

/* send_command: starts sql on the server; false (connection error kept)
 * when it cannot be sent */
bool send_command(tgt_conn *c, const char *sql, int nparams, const char *const *params)
{
	char name[24] = "";

	settle(c);
	if (c->cut)
		return false;
	/* name stays empty unless sql is prepared */
	if (!tgt_prepared_name(c, sql, nparams, name, sizeof(name)) && c->cut)
		return false;
	/* without parameters, the simple protocol: sql may hold several statements */
	c->sent_at = now_monotonic();
	if (nparams == 0 ? PQsendQuery(c->pg, sql) : send_extended(c, name, sql, nparams, params))
		return true;
	set_error_from_result(c, NULL);
	return false;
}

tgt_conn *tgt_connect(const char *conninfo, const tgt_options *opt)
{
	tgt_conn *c;
	strbuf sql;
	PGconn *pg = tgt_pg_connect(conninfo, opt);

	if (!pg)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->pg = pg;
	c->io_timeout = opt->io_timeout > 0 ? opt->io_timeout : DEFAULT_NETWORK_TIMEOUT;
	describe_conn(c);
	sb_init(&sql, 256);
	sb_adds(&sql, "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601';"
		      " SET extra_float_digits = 3; SET client_min_messages = warning;"
		      /* a lost client machine is noticed within about 2 minutes, which
		       * ends its session and frees its job lock */
		      " SET tcp_keepalives_idle = 60; SET tcp_keepalives_interval = 10;"
		      " SET tcp_keepalives_count = 6; SET TimeZone = ");
	quote_pg_literal(&sql, opt->timezone ? opt->timezone : "UTC");
	sb_addf(&sql, "; SET statement_timeout = %d; SET lock_timeout = %d",
		opt->statement_timeout * 1000, lock_wait_limit(c->io_timeout) * 1000);
	/* a session etlre gave up on (cut_off) ends within a second on the
	 * server too, even in the middle of a statement, instead of holding the
	 * hour's locks until the statement ends (PostgreSQL 14 and later) */
	if (PQserverVersion(pg) >= 140000)
		sb_adds(&sql, "; SET client_connection_check_interval = 1000");
	if (!tgt_exec(c, sql.buf, 0, NULL, NULL)) {
		sb_release(&sql);
		tgt_close(c);
		return NULL;
	}
	sb_release(&sql);
	return c;
}

/* conn_free: what etlre itself keeps of c, and c */
static void conn_free(tgt_conn *c)
{
	tgt_prepared_free(c->prepared);
	free(c->sent);
	free(c);
}

void tgt_close(tgt_conn *c)
{
	if (!c)
		return;
	if (c->pg)
		PQfinish(c->pg);
	conn_free(c);
}

/* the connections tgt_forget dropped in this process: kept reachable,
 * never used again */
static PGconn **forgotten;
static int nforgotten, forgotten_cap;

void tgt_forget(tgt_conn *c)
{
	if (!c)
		return;
	if (c->pg) {
		close(PQsocket(c->pg));
		*ARRAY_PUSH(forgotten, nforgotten, forgotten_cap) = c->pg;
	}
	conn_free(c);
}

char *tgt_tls(tgt_conn *c)
{
	const char *version = PQsslAttribute(c->pg, "protocol");
	const char *cipher = PQsslAttribute(c->pg, "cipher");

	if (!PQsslInUse(c->pg))
		return xstrdup("not encrypted");
	return xasprintf("%s, cipher %s", version ? version : "TLS", cipher ? cipher : "unknown");
}

const char *tgt_describe(tgt_conn *c)
{
	return c->describe;
}

bool tgt_alive(tgt_conn *c)
{
	return c && c->pg && !c->cut && PQstatus(c->pg) == CONNECTION_OK &&
	       PQtransactionStatus(c->pg) != PQTRANS_UNKNOWN;
}

bool tgt_idle(tgt_conn *c)
{
	return c && c->pg && !c->cut && PQstatus(c->pg) == CONNECTION_OK &&
	       PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

const tgt_error *tgt_last_error(tgt_conn *c)
{
	return &c->err;
}

void tgt_clear_error(tgt_conn *c)
{
	/* on a connection etlre cut off, the timeout stays the error of what
	 * is tried on it next (set_error_from_result): a statement that fails
	 * there for that reason says so, not "unknown failure" */
	if (!c->cut)
		memset(&c->err, 0, sizeof(c->err));
}

/* cancelled: res failed as a cancelled statement (query_canceled) */
static bool cancelled(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return state && strcmp(state, "57014") == 0;
}

/* run: sql's outcome, as PQexec gives it; NULL when it could not be sent or
 * the server stayed silent (the error is kept). The caller owns the result.
 *
 * A stop sends one cancel request for the statement in progress when it
 * came (wait_socket), from a thread of its own, so it may land after that
 * statement ended, on the next one. A statement sent after the stop,
 * outside a transaction, is etlre's own clean-up (an hour back to pending,
 * the job's end, its summary): when that late request cancels it, it is
 * sent once more, as the stop makes no other for it. */
static PGresult *run(tgt_conn *c, const char *sql, int nparams, const char *const *params)
{
	bool after_stop = signals_caught() && tgt_idle(c);
	PGresult *res = send_command(c, sql, nparams, params) ? await(c, sql) : NULL;

	if (after_stop && cancelled(res) && tgt_idle(c)) {
		log_debug("target %s: the stop's cancel request came late and cancelled etlre's "
			  "own %.60s: sent again", c->describe, sql);
		PQclear(res);
		res = send_command(c, sql, nparams, params) ? await(c, sql) : NULL;
	}
	return res;
}

static bool exec_impl(tgt_conn *c, const char *sql, int nparams, const char *const *params,
		      int64_t *affected, bool quiet)
{
	PGresult *res = run(c, sql, nparams, params);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		set_error_from_result(c, res);
		log_failure(c, sql, quiet);
		PQclear(res);
		return false;
	}
	if (affected) {
		const char *n = PQcmdTuples(res);
		*affected = n && *n ? strtoll(n, NULL, 10) : 0;
	}
	PQclear(res);
	return true;
}

bool tgt_exec(tgt_conn *c, const char *sql, int nparams, const char *const *params,
	      int64_t *affected)
{
	return exec_impl(c, sql, nparams, params, affected, false);
}

bool tgt_exec_quiet(tgt_conn *c, const char *sql)
{
	return exec_impl(c, sql, 0, NULL, NULL, true);
}

/* each_row: hands the rows of res to fn until it returns false; false then */
static bool each_row(PGresult *res, tgt_row_fn fn, void *ctx)
{
	int rows = PQntuples(res), cols = PQnfields(res);
	char **values = xcalloc((size_t)cols + 1, sizeof(*values));
	bool ok = true;

	for (int r = 0; r < rows && ok; r++) {
		for (int f = 0; f < cols; f++)
			values[f] = PQgetisnull(res, r, f) ? NULL : PQgetvalue(res, r, f);
		ok = fn(ctx, cols, values);
	}
	free(values);
	return ok;
}

bool result_is(tgt_conn *c, PGresult *res, ExecStatusType want, const char *sql, bool quiet)
{
	if (res && PQresultStatus(res) == want)
		return true;
	set_error_from_result(c, res);
	log_failure(c, sql, quiet);
	PQclear(res);
	return false;
}

/* rows_of: hands the rows of res (the result of sql) to fn, or logs its
 * failure; clears res */
static bool rows_of(tgt_conn *c, PGresult *res, const char *sql, tgt_row_fn fn, void *ctx,
		    bool quiet)
{
	bool ok;

	if (!result_is(c, res, PGRES_TUPLES_OK, sql, quiet))
		return false;
	ok = each_row(res, fn, ctx);
	PQclear(res);
	return ok;
}

static bool query_impl(tgt_conn *c, const char *sql, int nparams, const char *const *params,
		       tgt_row_fn fn, void *ctx, bool quiet)
{
	return rows_of(c, run(c, sql, nparams, params), sql, fn, ctx, quiet);
}

bool tgt_query_send(tgt_conn *c, const char *sql, int nparams, const char *const *params)
{
	if (!send_command(c, sql, nparams, params)) {
		log_failure(c, sql, false);
		return false;
	}
	free(c->sent);
	c->sent = xstrdup(sql);
	return true;
}

bool tgt_query_finish(tgt_conn *c, tgt_row_fn fn, void *ctx)
{
	const char *sql = c->sent ? c->sent : "";
	bool ok = rows_of(c, await(c, sql), sql, fn, ctx, false);

	free(c->sent);
	c->sent = NULL;
	return ok;
}

bool tgt_query(tgt_conn *c, const char *sql, int nparams, const char *const *params,
	       tgt_row_fn fn, void *ctx)
{
	return query_impl(c, sql, nparams, params, fn, ctx, false);
}

bool tgt_query_quiet(tgt_conn *c, const char *sql, int nparams, const char *const *params,
		     tgt_row_fn fn, void *ctx)
{
	return query_impl(c, sql, nparams, params, fn, ctx, true);
}

static bool first_int64(void *ctx, int ncols, char **values)
{
	(void)ncols;
	*(int64_t *)ctx = values[0] ? strtoll(values[0], NULL, 10) : 0;
	return true;
}

bool tgt_query_int64(tgt_conn *c, const char *sql, int nparams, const char *const *params,
		     int64_t *out)
{
	*out = 0;
	return tgt_query(c, sql, nparams, params, first_int64, out);
}

bool tgt_copy_begin(tgt_conn *c, const char *sql)
{
	PGresult *res = run(c, sql, 0, NULL);

	if (!result_is(c, res, PGRES_COPY_IN, sql, false))
		return false;
	PQclear(res);
	return true;
}

/* copy_failed: records (unless the connection was cut off) and logs the
 * failure of a COPY step; returns false */
static bool copy_failed(tgt_conn *c, const char *what)
{
	set_error_from_result(c, NULL);
	log_failure(c, what, false);
	return false;
}

bool tgt_copy_put(tgt_conn *c, const char *buf, size_t len)
{
	double deadline = now_monotonic() + c->io_timeout;

	while (len > 0 && !c->cut) {
		int chunk = len > (1u << 30) ? (1 << 30) : (int)len;
		int r = PQputCopyData(c->pg, buf, chunk);

		if (r < 0)
			return copy_failed(c, "COPY data");
		if (r == 0) { /* libpq's buffer is full: wait until the socket takes more */
			if (!flush_out(c, deadline, "COPY data"))
				return copy_failed(c, "COPY data");
			continue;
		}
		buf += chunk;
		len -= (size_t)chunk;
	}
	/* all of it goes out now: memory stays bounded, a silent server is seen */
	if (c->cut || !flush_out(c, deadline, "COPY data"))
		return copy_failed(c, "COPY data");
	return true;
}

/* copy_finish: ends the COPY (with the error why, or normally when NULL) and
 * sends that; false when it could not */
static bool copy_finish(tgt_conn *c, const char *why)
{
	double deadline = now_monotonic() + c->io_timeout;
	int r = -1;

	while (!c->cut && (r = PQputCopyEnd(c->pg, why)) == 0)
		if (!flush_out(c, deadline, "COPY end"))
			break;
	return !c->cut && r == 1 && flush_out(c, deadline, "COPY end");
}

bool tgt_copy_end(tgt_conn *c, int64_t *rows)
{
	double deadline = now_monotonic() + c->io_timeout;
	PGresult *res;
	bool ok = true;

	if (!copy_finish(c, NULL))
		return copy_failed(c, "COPY end");
	while (next_result(c, deadline, "COPY end", &res) && res) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			if (ok) {
				set_error_from_result(c, res);
				log_failure(c, "COPY", err_class_is_row_level(c->err.cls));
			}
			ok = false;
		} else if (rows) {
			const char *n = PQcmdTuples(res);
			*rows = n && *n ? strtoll(n, NULL, 10) : 0;
		}
		PQclear(res);
	}
	if (c->cut)
		return copy_failed(c, "COPY end");
	if (ok && PQstatus(c->pg) != CONNECTION_OK) {
		set_error_from_result(c, NULL);
		return false;
	}
	return ok;
}

void tgt_copy_abort(tgt_conn *c, const char *why)
{
	double deadline = now_monotonic() + c->io_timeout;
	PGresult *res;

	if (copy_finish(c, why))
		while (next_result(c, deadline, "COPY abort", &res) && res)
			PQclear(res);
}

int tgt_library_version(void)
{
	return PQlibVersion();
}

/* stmt_result: takes statement s's result res (cleared here); false, with
 * the error kept and logged, when it failed or was skipped after a failure */
static bool stmt_result(tgt_conn *c, const tgt_stmt *s, PGresult *res, bool earlier_failed)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok && !earlier_failed) {
		set_error_from_result(c, res);
		log_failure(c, s->sql, false);
	} else if (ok && s->affected) {
		const char *n = PQcmdTuples(res);
		*s->affected = n && *n ? strtoll(n, NULL, 10) : 0;
	}
	if (ok && s->value)
		*s->value = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)
				    ? strtoll(PQgetvalue(res, 0, 0), NULL, 10)
				    : 0;
	if (ok && s->fn)
		each_row(res, s->fn, s->fn_ctx);
	if (ok && s->text)
		*s->text = PQntuples(res) > 0 && PQnfields(res) > 1 && !PQgetisnull(res, 0, 1)
				   ? xstrdup(PQgetvalue(res, 0, 1))
				   : NULL;
	PQclear(res);
	return ok;
}

/* exec_one_by_one: tgt_exec_pipeline without pipeline mode */
static bool exec_one_by_one(tgt_conn *c, const tgt_stmt *stmts, int n)
{
	for (int i = 0; i < n; i++)
		if (!stmt_result(c, &stmts[i], run(c, stmts[i].sql, stmts[i].nparams, stmts[i].params),
				 false))
			return false;
	return true;
}

#ifdef LIBPQ_HAS_PIPELINING
/* pipeline_send: enters pipeline mode and queues the n statements and a
 * sync; false (error kept and logged, pipeline mode left) when the
 * connection cannot take them */
static bool pipeline_send(tgt_conn *c, const tgt_stmt *stmts, int n, char (*names)[24])
{
	int sent = 0;

	c->sent_at = now_monotonic();
	for (; sent < n; sent++)
		if (!send_extended(c, names[sent], stmts[sent].sql, stmts[sent].nparams,
				   stmts[sent].params))
			break;
	if (sent < n || !PQpipelineSync(c->pg)) {
		/* the connection is broken: nothing more can be read from it */
		set_error_from_result(c, NULL);
		log_failure(c, sent < n ? stmts[sent].sql : "pipeline sync", false);
		PQexitPipelineMode(c->pg);
		return false;
	}
	return true;
}

/* pipeline_sync: reads up to the sync's own result, each wait within
 * io_timeout, then ends pipeline mode; false when the server stayed silent
 * (the connection is then cut off and stays in pipeline mode, unusable) */
static bool pipeline_sync(tgt_conn *c)
{
	double deadline = now_monotonic() + c->io_timeout;
	PGresult *res;

	while (next_result(c, deadline, "pipeline sync", &res)) {
		bool sync = res && PQresultStatus(res) == PGRES_PIPELINE_SYNC;

		PQclear(res);
		if (sync) {
			PQexitPipelineMode(c->pg);
			return true;
		}
		if (!res && PQstatus(c->pg) != CONNECTION_OK)
			break;
	}
	return false;
}
#endif

bool tgt_exec_pipeline(tgt_conn *c, const tgt_stmt *stmts, int n)
{
#ifdef LIBPQ_HAS_PIPELINING
	PGresult *res;
	bool ok = true, sent;
	char(*names)[24];

	/* every wait is a deadline-bounded poll (next_result), as for one
	 * statement: no wait on the target escapes io_timeout */
	settle(c);
	names = xcalloc((size_t)n, sizeof(*names));
	/* zeroed: a name stays empty unless its statement is prepared */
	for (int i = 0; i < n && !c->cut; i++)
		tgt_prepared_name(c, stmts[i].sql, stmts[i].nparams, names[i], sizeof(names[i]));
	if (c->cut) {
		free(names);
		log_failure(c, stmts[0].sql, false);
		return false;
	}
	if (!PQenterPipelineMode(c->pg)) {
		free(names);
		return exec_one_by_one(c, stmts, n);
	}
	sent = pipeline_send(c, stmts, n, names);
	free(names);
	if (!sent)
		return false;
	for (int i = 0; i < n && !c->cut; i++) {
		double deadline = now_monotonic() + c->io_timeout;

		if (!next_result(c, deadline, stmts[i].sql, &res) || !res) {
			/* silent past the deadline, or the connection went away */
			if (ok) {
				set_error_from_result(c, NULL);
				log_failure(c, stmts[i].sql, false);
			}
			ok = false;
			break;
		}
		ok = stmt_result(c, &stmts[i], res, !ok) && ok;
		/* the end of statement i */
		while (next_result(c, deadline, stmts[i].sql, &res) && res)
			PQclear(res);
		if (c->cut && ok) {
			log_failure(c, stmts[i].sql, false);
			ok = false;
		}
	}
	if (c->cut)
		return false;
	if (!pipeline_sync(c) && ok) {
		set_error_from_result(c, NULL);
		log_failure(c, "pipeline sync", false);
		ok = false;
	}
	return ok;
#else
	return exec_one_by_one(c, stmts, n);
#endif
}
