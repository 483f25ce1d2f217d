/*
 * source_mariadb.c: MariaDB Connector/C access for etlre (see
 * source_mariadb.h).
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
};

static void set_error(src_conn *c)
{
	src_error *e = &c->err;

	e->errnum = mysql_errno(c->my);
	snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", mysql_sqlstate(c->my));
	snprintf(e->message, sizeof(e->message), "%s", mysql_error(c->my));
	e->cls = err_class_from_mariadb(e->errnum);
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
	unsigned int rw_timeout = 3600;
	strbuf sql;

	snprintf(c->describe, sizeof(c->describe), "%s@%s:%d/%s", u->user, u->host, u->port,
		 u->database);
	c->my = mysql_init(NULL);
	if (!c->my) {
		log_error("cannot connect to the source %s: out of memory", c->describe);
		free(c);
		return NULL;
	}
	mysql_options(c->my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(c->my, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
	mysql_options(c->my, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
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
	/* long writes: the server must wait while an hour is COPYed into the target */
	sb_addf(&sql, ", SESSION net_write_timeout = %u, SESSION net_read_timeout = %u", rw_timeout,
		rw_timeout);
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
	return c && c->my && mysql_ping(c->my) == 0;
}

bool src_exec(src_conn *c, const char *sql)
{
	MYSQL_RES *res;

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
	if (mysql_read_query_result(c->my) == 0)
		mysql_free_result(mysql_store_result(c->my));
	free(c->pending);
	c->pending = NULL;
}

void src_rollback(src_conn *c)
{
	src_stream_close(c);
	discard_pending(c);
	if (mysql_real_query(c->my, "ROLLBACK", 8) != 0)
		log_debug("source rollback failed: %s", mysql_error(c->my));
}

bool src_query(src_conn *c, const char *sql, src_row_fn fn, void *ctx)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool ok = true;

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

	if (mysql_real_query(c->my, sql, strlen(sql)) != 0 || !(res = mysql_store_result(c->my))) {
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
	MYSQL_ROW r = mysql_fetch_row(c->stream);

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
		mysql_free_result(c->stream); /* reads and discards any rows left */
		c->stream = NULL;
	}
}
