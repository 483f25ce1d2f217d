/*
 * source_mariadb.c: MariaDB Connector/C access for etlre (see
 * source_mariadb.h).
 *
 * Every read and write on the socket is bounded by the connector's read and
 * write timeouts (README "Timeouts"); when one expires the connector closes
 * the connection and reports it lost (2013). A loss after waiting that long
 * is classed timeout, not connection.
 */
#include "source_mariadb.h"

#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sqlquote.h"

struct src_conn {
	MYSQL *my;
	MYSQL_RES *stream;
	char *pending;  /* SQL of a query sent by src_query_int64_send, not yet read */
	src_error err;
	char describe[256];
	unsigned int io_timeout; /* seconds the server may stay silent */
	double op_started;       /* now_monotonic() when the current call began */
};

/* begin_op: notes when a call that waits for the server starts */
static void begin_op(src_conn *c)
{
	c->op_started = now_monotonic();
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
	}
}

static void log_failure(src_conn *c, const char *sql)
{
	log_error("source %s: %s [error %u, %s] in: %.200s", c->describe, c->err.message,
		  c->err.errnum, err_class_name(c->err.cls), sql);
}

src_conn *src_connect(const mariadb_url *u, const src_options *opt)
{
	src_conn *c = xcalloc(1, sizeof(*c));
	unsigned int timeout = (unsigned int)(opt->connect_timeout > 0 ? opt->connect_timeout : 10);
	/* the server waits this long while an hour is COPYed into the target */
	unsigned int server_wait = 3600;
	strbuf sql;

	snprintf(c->describe, sizeof(c->describe), "%s@%s:%d/%s", u->user, u->host, u->port,
		 u->database);
	c->my = mysql_init(NULL);
	if (!c->my) {
		log_error("cannot connect to the source %s: out of memory", c->describe);
		free(c);
		return NULL;
	}
	c->io_timeout = (unsigned int)(opt->io_timeout > 0 ? opt->io_timeout : DEFAULT_NETWORK_TIMEOUT);
	mysql_options(c->my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(c->my, MYSQL_OPT_READ_TIMEOUT, &c->io_timeout);
	mysql_options(c->my, MYSQL_OPT_WRITE_TIMEOUT, &c->io_timeout);
	mysql_options(c->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(c->my, MYSQL_READ_DEFAULT_GROUP, "etlre");
	if (!mysql_real_connect(c->my, u->host, u->user, u->password, u->database,
				(unsigned int)u->port, u->socket, 0)) {
		log_error("cannot connect to the source %s: %s [error %u]", c->describe,
			  mysql_error(c->my), mysql_errno(c->my));
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
	sb_addf(&sql, ", SESSION max_statement_time = %d", opt->statement_timeout);
	if (!src_exec(c, sql.buf)) {
		sb_release(&sql);
		src_close(c);
		return NULL;
	}
	sb_release(&sql);
	return c;
}

void src_close(src_conn *c)
{
	if (!c)
		return;
	src_stream_close(c);
	free(c->pending);
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
	if (mysql_real_query(c->my, sql, strlen(sql)) != 0) {
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
	if (mysql_real_query(c->my, sql, strlen(sql)) != 0 || !(res = mysql_store_result(c->my))) {
		set_error(c);
		log_failure(c, sql);
		return false;
	}
	while (ok && (row = mysql_fetch_row(res)) != NULL)
		ok = fn(ctx, mysql_num_fields(res), row, mysql_fetch_lengths(res));
	mysql_free_result(res);
	return ok;
}

bool src_query_int64_send(src_conn *c, const char *sql)
{
	discard_pending(c);
	begin_op(c);
	if (mysql_send_query(c->my, sql, strlen(sql)) != 0) {
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
	if (mysql_real_query(c->my, sql, strlen(sql)) != 0 ||
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
