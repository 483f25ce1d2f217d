/*
 * source_mariadb.c: MariaDB Connector/C access for etlre (see
 * source_mariadb.h), TLS included (README "Security").
 *
 * Every read and write on the socket is bounded by the connector's read and
 * write timeouts (README "Timeouts"); when one expires the connector closes
 * the connection and reports it lost (2013). A loss after waiting that long
 * is classed timeout, not connection.
 *
 * The url's sslmode maps onto Connector/C 3.3 (Debian 12) this way:
 *   disable      no TLS requested
 *   prefer       TLS when the server offers it, unverified (mysql_ssl_set)
 *   require      TLS (MYSQL_OPT_SSL_ENFORCE), unverified; 3.3 still falls
 *                back to plain text when the server has no TLS, so etlre
 *                checks the cipher after the handshake and refuses, and
 *                limits the login to methods that never send the password
 *                itself (MARIADB_OPT_RESTRICTED_AUTH)
 *   verify-ca    the chain against sslrootcert (given a CA, 3.3 verifies
 *                the chain; the host check is MYSQL_OPT_SSL_VERIFY_SERVER_CERT)
 *   verify-full  the chain and the host name (an IP SAN for an IP host); the
 *                system's CAs without sslrootcert
 */
#include "source_mariadb.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "signals.h"
#include "stoppable.h"
#include "source_cancel.h"
#include "sqlquote.h"

struct src_conn {
	MYSQL *my;
	MYSQL_RES *stream;
	char *pending;  /* SQL of a query sent by src_query_int64_send, not yet read */
	src_error err;
	char describe[256];
	unsigned int io_timeout; /* seconds the server may stay silent */
	double op_started;       /* now_monotonic() when the current call began */
	char tls[160];           /* "TLSv1.3, cipher X" or "not encrypted" */
	unsigned long thread_id; /* the server's id of the connection, for KILL QUERY */
	int cancel_slot;         /* in source_cancel.c's list, or -1 */
	char label[40];          /* src_label_job's comment before each statement, or "" */
};

/* Login methods that never send the password itself, for sslmode=require
 * (see above); a server asking for another one is refused. */
#define SAFE_AUTH_PLUGINS "mysql_native_password,client_ed25519,caching_sha2_password,sha256_password"

/* set_tls_options: the Connector/C options of u's sslmode and files */
static void set_tls_options(MYSQL *my, const mariadb_url *u)
{
	my_bool on = 1, off = 0;

	if (u->sslmode == SRC_SSL_DISABLE)
		return;
	if (u->sslmode == SRC_SSL_PREFER && !u->sslrootcert && !u->sslcert) {
		mysql_ssl_set(my, NULL, NULL, NULL, NULL, NULL); /* TLS if offered */
		return;
	}
	mysql_optionsv(my, MYSQL_OPT_SSL_ENFORCE, &on);
	if (u->sslcert) {
		mysql_optionsv(my, MYSQL_OPT_SSL_CERT, u->sslcert);
		mysql_optionsv(my, MYSQL_OPT_SSL_KEY, u->sslkey);
	}
	/* Connector/C checks the chain whenever it has a CA: under prefer and
	 * require a sslrootcert is not used, as libpq ignores it there */
	if (u->sslrootcert && u->sslmode >= SRC_SSL_VERIFY_CA)
		mysql_optionsv(my, MYSQL_OPT_SSL_CA, u->sslrootcert);
	mysql_optionsv(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
		       u->sslmode == SRC_SSL_VERIFY_FULL ? &on : &off);
	if (u->sslmode == SRC_SSL_REQUIRE)
		mysql_optionsv(my, MARIADB_OPT_RESTRICTED_AUTH, SAFE_AUTH_PLUGINS);
}

/* tls_state: fills c->tls from the connection; false when the sslmode asks
 * for TLS and the connection has none (logged) */
static bool tls_state(src_conn *c, const mariadb_url *u)
{
	const char *cipher = mysql_get_ssl_cipher(c->my);
	const char *version = NULL;

	if (!cipher) {
		snprintf(c->tls, sizeof(c->tls), "not encrypted");
		if (u->sslmode < SRC_SSL_REQUIRE)
			return true;
		log_error("cannot connect to the source %s: the server does not offer TLS "
			  "(sslmode=%s); nothing was sent but the login", c->describe,
			  src_sslmode_name(u->sslmode));
		return false;
	}
	if (mariadb_get_infov(c->my, MARIADB_CONNECTION_TLS_VERSION, &version) != 0 || !version)
		version = "TLS";
	snprintf(c->tls, sizeof(c->tls), "%s, cipher %s", version, cipher);
	return true;
}

/* log_connect_failure: why mysql_real_connect failed, with the sslmode
 * when TLS was asked for and the host-name mismatch said plainly */
static void log_connect_failure(src_conn *c, const mariadb_url *u)
{
	const char *msg = mysql_error(c->my);
	bool tls = mysql_errno(c->my) == 2026; /* CR_SSL_CONNECTION_ERROR */

	if (tls && u->sslmode == SRC_SSL_VERIFY_FULL &&
	    strstr(msg, "Validation of SSL server certificate failed"))
		log_error("cannot connect to the source %s (sslmode=verify-full): host name mismatch: "
			  "the server's certificate does not name '%s' [error %u]", c->describe,
			  u->host, mysql_errno(c->my));
	else if (tls || (u->sslmode >= SRC_SSL_REQUIRE && mysql_errno(c->my) == 1251))
		log_error("cannot connect to the source %s (sslmode=%s): %s [error %u]", c->describe,
			  src_sslmode_name(u->sslmode), msg, mysql_errno(c->my));
	else
		log_error("cannot connect to the source %s: %s [error %u]", c->describe, msg,
			  mysql_errno(c->my));
}

/* begin_op: notes when a call that waits for the server starts */
static void begin_op(src_conn *c)
{
	c->op_started = now_monotonic();
}

/* send_sql: sends sql, after the connection's label (src_label_job), with
 * mysql_send_query when only_send, else mysql_real_query; the connector's
 * status (0 sent) */
static int send_sql(src_conn *c, const char *sql, bool only_send)
{
	char *labelled = c->label[0] ? xasprintf("%s%s", c->label, sql) : NULL;
	const char *q = labelled ? labelled : sql;
	int rc = only_send ? mysql_send_query(c->my, q, strlen(q)) : mysql_real_query(c->my, q, strlen(q));

	free(labelled);
	return rc;
}

void src_label_job(src_conn *c, int64_t job_id)
{
	if (c)
		snprintf(c->label, sizeof(c->label), SRC_JOB_LABEL_FORMAT " ", (long long)job_id);
}

static void set_error(src_conn *c)
{
	src_error *e = &c->err;

	e->errnum = mysql_errno(c->my);
	snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", mysql_sqlstate(c->my));
	snprintf(e->message, sizeof(e->message), "%s", mysql_error(c->my));
	e->cls = err_class_from_mariadb(e->errnum);
	/* CR_SERVER_GONE_ERROR, CR_SERVER_LOST: lost after a full read or
	 * write timeout means the server stayed silent */
	if ((e->errnum == 2006 || e->errnum == 2013) && c->op_started > 0 &&
	    now_monotonic() - c->op_started >= (double)c->io_timeout - 0.5) {
		e->cls = ERRCLASS_TIMEOUT;
		snprintf(e->message, sizeof(e->message),
			 "no answer from the server for %u s; the connection was closed (%s)",
			 c->io_timeout, mysql_error(c->my));
		src_cancel_abandon(c->cancel_slot, c->thread_id);
	}
}

static void log_failure(src_conn *c, const char *sql)
{
	/* ER_QUERY_INTERRUPTED, ER_CONNECTION_KILLED: cancelled because a signal
	 * came (source_cancel.h), which the caller reports */
	bool cancelled = signals_caught() && (c->err.errnum == 1317 || c->err.errnum == 1927);

	log_msg(cancelled ? LOG_DEBUG : LOG_ERROR, "source %s: %s [error %u, %s] in: %.200s",
		c->describe, c->err.message, c->err.errnum, err_class_name(c->err.cls), sql);
}

/* new_handle: a Connector/C handle with etlre's options for u: the timeouts
 * (the connector keeps copies of the values), utf8mb4, the [etlre] option
 * group, TLS; NULL when out of memory */
static MYSQL *new_handle(const mariadb_url *u, unsigned int connect_timeout,
			 unsigned int io_timeout)
{
	MYSQL *my = mysql_init(NULL);

	if (!my)
		return NULL;
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
	mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
	mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(my, MYSQL_READ_DEFAULT_GROUP, "etlre");
	set_tls_options(my, u);
	return my;
}

/* handle_connect: connects my to u's server and database */
static bool handle_connect(MYSQL *my, const mariadb_url *u)
{
	return mysql_real_connect(my, u->host, u->user, u->password, u->database,
				  (unsigned int)u->port, u->socket, 0) != NULL;
}

/* an attempt to connect on a thread of its own (stoppable.h): the handle,
 * a copy of the url, and the outcome; owned by whichever side lets go of it
 * last */
typedef struct {
	MYSQL *my;
	mariadb_url url;
	bool ok;
} attempt;

static void attempt_run(void *arg)
{
	attempt *a = arg;

	a->ok = handle_connect(a->my, &a->url);
}

/* attempt_drop: frees a and its handle */
static void attempt_drop(void *arg)
{
	attempt *a = arg;

	mysql_close(a->my);
	mariadb_url_release(&a->url);
	free(a);
}

/* stoppable_connect: handle_connect, given up when a stop comes while it
 * waits (MariaDB's connect, as libpq's, waits connect_timeout whatever
 * signal comes; README "Timeouts"). The handle is c's again on return,
 * NULL when the stop came first (then logged). */
static bool stoppable_connect(src_conn *c, const mariadb_url *u)
{
	attempt *a = xcalloc(1, sizeof(*a));
	bool ok;

	a->my = c->my;
	mariadb_url_copy(&a->url, u);
	if (!stoppable_call(attempt_run, attempt_drop, a)) {
		c->my = NULL;
		log_warn("etlre was stopped while connecting to the source %s", c->describe);
		return false;
	}
	ok = a->ok;
	a->my = NULL;
	attempt_drop(a);
	if (!ok)
		log_connect_failure(c, u);
	return ok;
}

/* kill_query: KILL QUERY thread_id, on a short connection of its own
 * (source_cancel.h); a user may kill its own sessions' statements. False
 * when the server could not be asked. */
static bool kill_query(const mariadb_url *u, unsigned int timeout, unsigned long thread_id)
{
	MYSQL *my = new_handle(u, timeout, timeout);
	char sql[40];
	bool ok;

	if (!my)
		return false;
	snprintf(sql, sizeof(sql), "KILL QUERY %lu", thread_id);
	ok = handle_connect(my, u) && mysql_real_query(my, sql, strlen(sql)) == 0;
	if (ok)
		log_debug("source: the statement of connection %lu cancelled", thread_id);
	else
		log_debug("source: cannot cancel the statement of connection %lu: %s", thread_id,
			  mysql_error(my));
	mysql_close(my);
	return ok;
}

src_conn *src_connect(const mariadb_url *u, const src_options *opt)
{
	src_conn *c = xcalloc(1, sizeof(*c));
	c->cancel_slot = -1;
	unsigned int timeout = (unsigned int)(opt->connect_timeout > 0 ? opt->connect_timeout : 10);
	/* the server waits this long while an hour is COPYed into the target */
	unsigned int server_wait = 3600;
	strbuf sql;

	snprintf(c->describe, sizeof(c->describe), "%s@%s:%d/%s", u->user, u->host, u->port,
		 u->database);
	c->io_timeout = (unsigned int)(opt->io_timeout > 0 ? opt->io_timeout : DEFAULT_NETWORK_TIMEOUT);
	c->my = new_handle(u, timeout, c->io_timeout);
	if (!c->my) {
		log_error("cannot connect to the source %s: out of memory", c->describe);
		free(c);
		return NULL;
	}
	if (!stoppable_connect(c, u)) {
		src_close(c);
		return NULL;
	}
	if (!tls_state(c, u)) {
		src_close(c);
		return NULL;
	}
	sb_init(&sql, 256);
	/* TIMESTAMP values are read in UTC, exact instants whatever the zone's
	 * clock changes; etlre turns them into wall-clock times itself (chunk.c),
	 * so MariaDB needs no time zone tables */
	sb_adds(&sql, "SET NAMES utf8mb4, SESSION time_zone = '+00:00'");
	sb_addf(&sql, ", SESSION net_write_timeout = %u, SESSION net_read_timeout = %u", server_wait,
		server_wait);
	sb_addf(&sql, ", SESSION max_statement_time = %d, SESSION lock_wait_timeout = %d",
		opt->statement_timeout, lock_wait_limit((int)c->io_timeout));
	if (!src_exec(c, sql.buf)) {
		sb_release(&sql);
		src_close(c);
		return NULL;
	}
	sb_release(&sql);
	c->thread_id = mysql_thread_id(c->my);
	c->cancel_slot = src_cancel_add(u, timeout, c->thread_id, mysql_get_socket(c->my), kill_query);
	return c;
}

void src_close(src_conn *c)
{
	if (!c)
		return;
	src_stream_close(c);
	free(c->pending);
	src_cancel_remove(c->cancel_slot, c->thread_id);
	if (c->my)
		mysql_close(c->my);
	free(c);
}

void src_library_end(void)
{
	mysql_library_end();
}

const char *src_library_version(void)
{
	return mysql_get_client_info();
}

const char *src_describe(src_conn *c)
{
	return c->describe;
}

const char *src_tls(src_conn *c)
{
	return c->tls;
}

const src_error *src_last_error(src_conn *c)
{
	return &c->err;
}

void src_clear_error(src_conn *c)
{
	memset(&c->err, 0, sizeof(c->err));
}

bool src_alive(src_conn *c)
{
	if (!c || !c->my)
		return false;
	begin_op(c);
	return mysql_ping(c->my) == 0;
}

bool src_exec(src_conn *c, const char *sql)
{
	MYSQL_RES *res;

	begin_op(c);
	if (send_sql(c, sql, false) != 0) {
		set_error(c);
		log_failure(c, sql);
		return false;
	}
	res = mysql_store_result(c->my);
	mysql_free_result(res);
	return true;
}

/* discard_pending: reads and drops the answer of a query sent but not read */
static void discard_pending(src_conn *c)
{
	if (!c->pending)
		return;
	begin_op(c);
	if (mysql_read_query_result(c->my) == 0)
		mysql_free_result(mysql_store_result(c->my));
	free(c->pending);
	c->pending = NULL;
}

void src_rollback(src_conn *c)
{
	src_stream_close(c);
	discard_pending(c);
	begin_op(c);
	if (mysql_real_query(c->my, "ROLLBACK", 8) != 0)
		log_debug("source rollback failed: %s", mysql_error(c->my));
}

bool src_query(src_conn *c, const char *sql, src_row_fn fn, void *ctx)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool ok = true;

	begin_op(c);
	if (send_sql(c, sql, false) != 0 || !(res = mysql_store_result(c->my))) {
		set_error(c);
		log_failure(c, sql);
		return false;
	}
	while (ok && (row = mysql_fetch_row(res)) != NULL)
		ok = fn(ctx, mysql_num_fields(res), row, mysql_fetch_lengths(res));
	mysql_free_result(res);
	return ok;
}

/* field_int_type: DATA_TYPE of the integer types of a result's metadata */
static const char *field_int_type(enum enum_field_types t)
{
	switch (t) {
	case MYSQL_TYPE_TINY: return "tinyint";
	case MYSQL_TYPE_SHORT: return "smallint";
	case MYSQL_TYPE_INT24: return "mediumint";
	case MYSQL_TYPE_LONG: return "int";
	case MYSQL_TYPE_LONGLONG: return "bigint";
	default: return NULL;
	}
}

/* field_type: the DATA_TYPE and COLUMN_TYPE (into full) that a column of a
 * result stands for; strings of unknown length are text (or blob when binary) */
static const char *field_type(const MYSQL_FIELD *f, char *full, size_t size)
{
	bool uns = f->flags & UNSIGNED_FLAG, bin = f->charsetnr == 63;
	unsigned frac = f->decimals > 6 ? 6 : f->decimals;
	const char *dt = field_int_type(f->type);

	if (dt) {
		snprintf(full, size, "%s(%lu)%s", dt, f->length, uns ? " unsigned" : "");
		return dt;
	}
	switch (f->type) {
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL: {
		long p = (long)f->length - (f->decimals ? 1 : 0) - (uns ? 0 : 1);
		snprintf(full, size, "decimal(%ld,%u)", p < (long)f->decimals ? (long)f->decimals : p,
			 f->decimals);
		return "decimal";
	}
	case MYSQL_TYPE_FLOAT: snprintf(full, size, "float"); return "float";
	case MYSQL_TYPE_DOUBLE: snprintf(full, size, "double"); return "double";
	case MYSQL_TYPE_BIT: snprintf(full, size, "bit(%lu)", f->length); return "bit";
	case MYSQL_TYPE_DATE:
	case MYSQL_TYPE_NEWDATE: snprintf(full, size, "date"); return "date";
	case MYSQL_TYPE_DATETIME: snprintf(full, size, "datetime(%u)", frac); return "datetime";
	case MYSQL_TYPE_TIMESTAMP: snprintf(full, size, "timestamp(%u)", frac); return "timestamp";
	case MYSQL_TYPE_TIME: snprintf(full, size, "time(%u)", frac); return "time";
	case MYSQL_TYPE_YEAR: snprintf(full, size, "year"); return "year";
	case MYSQL_TYPE_JSON: snprintf(full, size, "json"); return "json";
	case MYSQL_TYPE_GEOMETRY: snprintf(full, size, "geometry"); return "geometry";
	default:
		snprintf(full, size, "%s", bin ? "blob" : "text");
		return bin ? "blob" : "text";
	}
}

bool src_query_columns(src_conn *c, const char *sql, src_col_fn fn, void *ctx)
{
	MYSQL_RES *res;
	MYSQL_FIELD *fields;
	char full[64];

	if (send_sql(c, sql, false) != 0 || !(res = mysql_store_result(c->my))) {
		set_error(c);
		log_failure(c, sql);
		return false;
	}
	fields = mysql_fetch_fields(res);
	for (unsigned int i = 0; i < mysql_num_fields(res); i++) {
		const char *dt = field_type(&fields[i], full, sizeof(full));
		fn(ctx, i, dt, full, (fields[i].flags & NOT_NULL_FLAG) != 0);
	}
	mysql_free_result(res);
	return true;
}

bool src_query_int64_send(src_conn *c, const char *sql)
{
	discard_pending(c);
	begin_op(c);
	if (send_sql(c, sql, true) != 0) {
		set_error(c);
		log_failure(c, sql);
		return false;
	}
	c->pending = xstrdup(sql);
	return true;
}

bool src_query_int64_recv(src_conn *c, int64_t *out)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char *sql = c->pending;

	*out = 0;
	if (!sql) {
		log_error("source %s: no query sent to read the answer of", c->describe);
		return false;
	}
	c->pending = NULL;
	begin_op(c);
	if (mysql_read_query_result(c->my) != 0 || !(res = mysql_store_result(c->my))) {
		set_error(c);
		log_failure(c, sql);
		free(sql);
		return false;
	}
	if ((row = mysql_fetch_row(res)) != NULL && row[0])
		*out = strtoll(row[0], NULL, 10);
	mysql_free_result(res);
	free(sql);
	return true;
}

bool src_stream_open(src_conn *c, const char *sql)
{
	src_stream_close(c);
	begin_op(c);
	if (send_sql(c, sql, false) != 0 ||
	    !(c->stream = mysql_use_result(c->my))) {
		set_error(c);
		log_failure(c, sql);
		return false;
	}
	return true;
}

int src_stream_next(src_conn *c, char ***row, unsigned long **lengths)
{
	MYSQL_ROW r;

	begin_op(c);
	r = mysql_fetch_row(c->stream);

	if (!r) {
		if (mysql_errno(c->my)) {
			set_error(c);
			log_failure(c, "reading rows");
			return -1;
		}
		return 0;
	}
	*row = r;
	*lengths = mysql_fetch_lengths(c->stream);
	return 1;
}

void src_stream_close(src_conn *c)
{
	if (c->stream) {
		begin_op(c);
		mysql_free_result(c->stream); /* reads and discards any rows left */
		c->stream = NULL;
	}
}
