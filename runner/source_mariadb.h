/*
 * source_mariadb.h: the MariaDB source. The only file that includes mysql.h.
 *
 * A src_conn is one MariaDB Connector/C connection. Small queries are read
 * whole; the rows of an hour are streamed with mysql_use_result, one row in
 * memory at a time, whatever the hour's size. Functions return bool and log
 * failures once, here, with the error number and the SQL; the last error is
 * kept (number, SQLSTATE, class) for the caller to record.
 */
#ifndef ETLRE_SOURCE_MARIADB_H
#define ETLRE_SOURCE_MARIADB_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "errclass.h"

typedef struct src_conn src_conn;

typedef struct src_error {
	unsigned int errnum;
	char sqlstate[6];
	err_class cls;
	char message[512];
} src_error;

typedef struct src_options {
	int connect_timeout;   /* seconds */
	int statement_timeout; /* seconds, 0 for none */
	const char *timezone;  /* unused: the session is always in UTC (chunk.c converts) */
	int io_timeout;        /* seconds the server may stay silent in any read or write */
} src_options;

/* src_connect: connects (utf8mb4, session zone, timeouts); NULL after logging.
 * The caller owns the result and frees it with src_close. */
src_conn *src_connect(const mariadb_url *url, const src_options *opt);
void src_close(src_conn *c);
/* src_library_end: frees the connector's global state, at exit */
void src_library_end(void);
/* src_library_version: the linked MariaDB Connector/C's version (static storage) */
const char *src_library_version(void);
const char *src_describe(src_conn *c);
/* src_tls: the connection's TLS version and cipher, or "not encrypted"
 * (owned by c) */
const char *src_tls(src_conn *c);
const src_error *src_last_error(src_conn *c);
void src_clear_error(src_conn *c);
bool src_alive(src_conn *c);
/* SRC_JOB_LABEL_FORMAT: the comment before every statement of a job's
 * connection, with the job's id: `etlre status --job-id N` finds the job's
 * statements in the source's process list by it (job_source_sessions.h) */
#define SRC_JOB_LABEL_FORMAT "/* etlre job %lld */"
/* src_label_job: c's statements carry job_id's label from now on */
void src_label_job(src_conn *c, int64_t job_id);

bool src_exec(src_conn *c, const char *sql) MUSTCHECK;
/* src_rollback: best-effort ROLLBACK after a failure; logs at debug only */
void src_rollback(src_conn *c);
/* src_row_fn: called per row; row[i] NULL for SQL NULL; return false to stop */
typedef bool (*src_row_fn)(void *ctx, unsigned int ncols, char **row, unsigned long *lengths);
bool src_query(src_conn *c, const char *sql, src_row_fn fn, void *ctx) MUSTCHECK;
/* src_query_int64_send: sends a query answering one number and returns at
 * once; src_query_int64_recv waits for that number. Nothing else may run on c
 * in between but src_rollback, which drops the answer. */
bool src_query_int64_send(src_conn *c, const char *sql) MUSTCHECK;
bool src_query_int64_recv(src_conn *c, int64_t *out) MUSTCHECK;

/* src_col_fn: called per column of a result: the information_schema
 * DATA_TYPE and COLUMN_TYPE its metadata amounts to ("decimal",
 * "decimal(12,2)"), and whether MariaDB knows it is never NULL */
typedef void (*src_col_fn)(void *ctx, unsigned int i, const char *data_type,
			   const char *column_type, bool not_null);
/* src_query_columns: runs sql (a query for no rows, typically) and hands the
 * result's column types to fn; logs and returns false on error */
bool src_query_columns(src_conn *c, const char *sql, src_col_fn fn, void *ctx) MUSTCHECK;

/* src_stream_open: starts an unbuffered query. src_stream_next returns 1 with
 * a row (valid until the next call), 0 at the end, -1 on error (logged).
 * src_stream_close discards what is left and frees the result. */
bool src_stream_open(src_conn *c, const char *sql) MUSTCHECK;
int src_stream_next(src_conn *c, char ***row, unsigned long **lengths);
void src_stream_close(src_conn *c);

#endif
