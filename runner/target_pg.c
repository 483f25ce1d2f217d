/*
 * target_pg.c: everything etlre says to PostgreSQL goes through here (see
 * target_pg.h). Queries use the extended protocol with text parameters, so
 * values are never spliced into SQL; COPY data is sent with PQputCopyData.
 */
#include "target_pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sqlquote.h"

struct tgt_conn {
	PGconn *pg;
	tgt_error err;
	char describe[256];
	char *sent;      /* the SQL of the query tgt_query_send started, owned */
};

/* the cancel handle of the newest connection, for tgt_cancel_running */
static PGcancel *volatile cancel_handle;

void tgt_cancel_running(void)
{
	char err[256];
	PGcancel *h = cancel_handle;

	if (h)
		PQcancel(h, err, sizeof(err));
}

static void set_cancel_handle(PGconn *pg)
{
	PGcancel *old = cancel_handle;

	cancel_handle = NULL;
	if (old)
		PQfreeCancel(old);
	if (pg)
		cancel_handle = PQgetCancel(pg);
}

static void describe_conn(tgt_conn *c)
{
	snprintf(c->describe, sizeof(c->describe), "%s@%s:%s/%s", PQuser(c->pg),
		 PQhost(c->pg) ? PQhost(c->pg) : "", PQport(c->pg) ? PQport(c->pg) : "",
		 PQdb(c->pg));
}

char *tgt_conninfo_describe(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	const char *user = "", *host = "", *port = "", *db = "";
	char *out;

	if (!opts)
		return xstrdup("(unparsable target url)");
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (strcmp(o->keyword, "user") == 0)
			user = o->val;
		else if (strcmp(o->keyword, "host") == 0 || (strcmp(o->keyword, "hostaddr") == 0 && !*host))
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
	}
	out = xasprintf("%s%s%s%s%s/%s", user, *user ? "@" : "", host, *port ? ":" : "", port, db);
	PQconninfoFree(opts);
	return out;
}

bool tgt_conninfo_check(const char *conninfo, char *err, size_t err_size)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
	const char *text = msg ? msg : "out of memory", *end, *last = NULL;
	size_t o = 0;

	if (opts || (!strchr(conninfo, '=') && strncmp(conninfo, "postgresql://", 13) != 0 &&
		     strncmp(conninfo, "postgres://", 11) != 0)) {
		/* parsed; or a database name alone, which is how libpq takes it */
		PQconninfoFree(opts);
		PQfreemem(msg);
		return true;
	}
	/* libpq quotes the offending part, which may be the whole URI with its
	 * password, and may itself hold quotes: from the first quoted part that
	 * is not one of libpq's own tokens ("=", "]") to the last quote of the
	 * message (a quoted part may hold a newline too), all becomes "..."
	 * (found by tests/fuzz/fuzz_config.c); the message is made one line */
	end = text + strlen(text);
	while (end > text && end[-1] == '\n')
		end--;
	for (const char *q = text; q < end; q++)
		if (*q == '"')
			last = q;
	for (const char *p = text; p < end && o + 6 < err_size; p++) {
		if (*p != '"' || p == last) {
			err[o++] = *p == '\n' ? ' ' : *p;
		} else if ((p[1] == '=' || p[1] == ']') && p[2] == '"') {
			memcpy(err + o, p, 3);
			o += 3;
			p += 2;
		} else {
			memcpy(err + o, "\"...\"", 5);
			o += 5;
			p = last;
		}
	}
	err[o] = '\0';
	PQfreemem(msg);
	return false;
}

static void set_error_from_result(tgt_conn *c, const PGresult *res)
{
	const char *f;
	tgt_error *e = &c->err;

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

static void log_failure(tgt_conn *c, const char *sql, bool quiet)
{
	log_level level = quiet ? LOG_DEBUG : LOG_ERROR;

	if (!log_enabled(level))
		return;
	log_msg(level, "target %s: %s%s%s [SQLSTATE %s, %s] in: %.200s", c->describe,
		c->err.message, c->err.detail[0] ? "; " : "", c->err.detail,
		c->err.sqlstate[0] ? c->err.sqlstate : "none", err_class_name(c->err.cls), sql);
}

tgt_conn *tgt_connect(const char *conninfo, const tgt_options *opt)
{
	char timeout[16];
	const char *keys[] = { "dbname", "connect_timeout", "application_name",
			       "client_encoding", NULL };
	const char *vals[] = { conninfo, timeout, "etlre", "UTF8", NULL };
	tgt_conn *c = xcalloc(1, sizeof(*c));
	strbuf sql;

	snprintf(timeout, sizeof(timeout), "%d", opt->connect_timeout > 0 ? opt->connect_timeout : 10);
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
		char *where = tgt_conninfo_describe(conninfo);
		char *msg = c->pg ? xstrdup(PQerrorMessage(c->pg)) : xstrdup("out of memory");
		msg[strcspn(msg, "\n")] = '\0';
		log_error("cannot connect to the target %s: %s", where, msg);
		free(msg);
		free(where);
		tgt_close(c);
		return NULL;
	}
	describe_conn(c);
	set_cancel_handle(c->pg);
	sb_init(&sql, 256);
	sb_adds(&sql, "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601';"
		      " SET extra_float_digits = 3; SET client_min_messages = warning;"
		      /* a lost client machine is noticed within about 2 minutes, which
		       * ends its session and frees its job lock */
		      " SET tcp_keepalives_idle = 60; SET tcp_keepalives_interval = 10;"
		      " SET tcp_keepalives_count = 6; SET TimeZone = ");
	quote_pg_literal(&sql, opt->timezone ? opt->timezone : "UTC");
	sb_addf(&sql, "; SET statement_timeout = %d", opt->statement_timeout * 1000);
	if (!tgt_exec(c, sql.buf, 0, NULL, NULL)) {
		sb_release(&sql);
		tgt_close(c);
		return NULL;
	}
	sb_release(&sql);
	return c;
}

void tgt_close(tgt_conn *c)
{
	if (!c)
		return;
	if (c->pg) {
		if (cancel_handle)
			set_cancel_handle(NULL);
		PQfinish(c->pg);
	}
	free(c->sent);
	free(c);
}

bool tgt_conninfo_has_password(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	bool has = false;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0])
			has = true;
	PQconninfoFree(opts);
	return has;
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
	return c && c->pg && PQstatus(c->pg) == CONNECTION_OK &&
	       PQtransactionStatus(c->pg) != PQTRANS_UNKNOWN;
}

bool tgt_idle(tgt_conn *c)
{
	return c && c->pg && PQstatus(c->pg) == CONNECTION_OK &&
	       PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

const tgt_error *tgt_last_error(tgt_conn *c)
{
	return &c->err;
}

void tgt_clear_error(tgt_conn *c)
{
	memset(&c->err, 0, sizeof(c->err));
}

static PGresult *run(tgt_conn *c, const char *sql, int nparams, const char *const *params)
{
	if (nparams == 0)
		return PQexec(c->pg, sql);
	return PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
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

/* rows_of: hands the rows of res (the result of sql) to fn, or logs its
 * failure; clears res */
static bool rows_of(tgt_conn *c, PGresult *res, const char *sql, tgt_row_fn fn, void *ctx,
		    bool quiet)
{
	int rows, cols;
	char **values;
	bool ok = true;

	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		set_error_from_result(c, res);
		log_failure(c, sql, quiet);
		PQclear(res);
		return false;
	}
	rows = PQntuples(res);
	cols = PQnfields(res);
	values = xcalloc((size_t)cols, sizeof(*values));
	for (int r = 0; r < rows && ok; r++) {
		for (int f = 0; f < cols; f++)
			values[f] = PQgetisnull(res, r, f) ? NULL : PQgetvalue(res, r, f);
		ok = fn(ctx, cols, values);
	}
	free(values);
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
	int sent = nparams == 0 ? PQsendQuery(c->pg, sql)
				: PQsendQueryParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);

	if (!sent) {
		set_error_from_result(c, NULL);
		log_failure(c, sql, false);
		return false;
	}
	free(c->sent);
	c->sent = xstrdup(sql);
	return true;
}

bool tgt_query_finish(tgt_conn *c, tgt_row_fn fn, void *ctx)
{
	PGresult *first = PQgetResult(c->pg), *more;
	bool ok;

	while ((more = PQgetResult(c->pg)) != NULL)
		PQclear(more); /* one statement: nothing more is expected */
	ok = rows_of(c, first, c->sent ? c->sent : "", fn, ctx, false);
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
	PGresult *res = PQexec(c->pg, sql);

	if (!res || PQresultStatus(res) != PGRES_COPY_IN) {
		set_error_from_result(c, res);
		log_failure(c, sql, false);
		PQclear(res);
		return false;
	}
	PQclear(res);
	return true;
}

bool tgt_copy_put(tgt_conn *c, const char *buf, size_t len)
{
	while (len > 0) {
		int chunk = len > (1u << 30) ? (1 << 30) : (int)len;
		if (PQputCopyData(c->pg, buf, chunk) != 1) {
			set_error_from_result(c, NULL);
			log_failure(c, "COPY data", false);
			return false;
		}
		buf += chunk;
		len -= (size_t)chunk;
	}
	return true;
}

bool tgt_copy_end(tgt_conn *c, int64_t *rows)
{
	PGresult *res;
	bool ok = true;

	if (PQputCopyEnd(c->pg, NULL) != 1) {
		set_error_from_result(c, NULL);
		log_failure(c, "COPY end", false);
		return false;
	}
	while ((res = PQgetResult(c->pg)) != NULL) {
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
	if (ok && PQstatus(c->pg) != CONNECTION_OK) {
		set_error_from_result(c, NULL);
		return false;
	}
	return ok;
}

void tgt_copy_abort(tgt_conn *c, const char *why)
{
	PGresult *res;

	if (PQputCopyEnd(c->pg, why) == 1)
		while ((res = PQgetResult(c->pg)) != NULL)
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

bool tgt_exec_pipeline(tgt_conn *c, const tgt_stmt *stmts, int n)
{
#ifdef LIBPQ_HAS_PIPELINING
	PGresult *res;
	bool ok = true;
	int sent = 0;

	if (!PQenterPipelineMode(c->pg))
		return exec_one_by_one(c, stmts, n);
	for (; sent < n; sent++)
		if (!PQsendQueryParams(c->pg, stmts[sent].sql, stmts[sent].nparams, NULL,
				       stmts[sent].params, NULL, NULL, 0))
			break;
	if (sent < n || !PQpipelineSync(c->pg)) {
		/* the connection is broken: nothing more can be read from it */
		set_error_from_result(c, NULL);
		log_failure(c, sent < n ? stmts[sent].sql : "pipeline sync", false);
		PQexitPipelineMode(c->pg);
		return false;
	}
	for (int i = 0; i < n; i++) {
		res = PQgetResult(c->pg);
		if (!res) { /* the connection went away */
			if (ok) {
				set_error_from_result(c, NULL);
				log_failure(c, stmts[i].sql, false);
			}
			ok = false;
			break;
		}
		ok = stmt_result(c, &stmts[i], res, !ok) && ok;
		while ((res = PQgetResult(c->pg)) != NULL) /* the end of statement i */
			PQclear(res);
	}
	/* the sync's own result, then pipeline mode can end */
	while ((res = PQgetResult(c->pg)) != NULL) {
		bool sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
		PQclear(res);
		if (sync)
			break;
	}
	PQexitPipelineMode(c->pg);
	return ok;
#else
	return exec_one_by_one(c, stmts, n);
#endif
}
