/*
 * target_pg.h: the PostgreSQL target. The only file that includes libpq.
 *
 * A tgt_conn is one libpq connection with its last error kept as a tgt_error
 * (SQLSTATE, class, message, and the constraint and column when the server
 * names them). Functions return bool; they log failures at error level with
 * the SQL that failed, except tgt_copy_end, which leaves row-level failures
 * (classes constraint and invalid_data) to the caller, who may isolate the row.
 */
#ifndef ETLRE_TARGET_PG_H
#define ETLRE_TARGET_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errclass.h"
#include "util.h"

typedef struct tgt_conn tgt_conn;

typedef struct tgt_error {
	char sqlstate[6];
	err_class cls;
	char message[512];
	char detail[512];
	char constraint[128];
	char column[128];
} tgt_error;

typedef struct tgt_options {
	int connect_timeout;    /* seconds */
	int statement_timeout;  /* seconds, 0 for none */
	const char *timezone;
	int io_timeout;         /* seconds the server may stay silent in any wait */
} tgt_options;

/* tgt_connect: connects and sets up the session (UTF8, ISO dates, zone,
 * timeout). Returns NULL after logging when it cannot; the password is never
 * logged. The caller owns the result and frees it with tgt_close. */
tgt_conn *tgt_connect(const char *conninfo, const tgt_options *opt);
void tgt_close(tgt_conn *c);
/* tgt_forget: in a forked process, drops a connection the parent keeps
 * using: closes this process's copy of its socket without a word to the
 * server (PQfinish would end the parent's session) */
void tgt_forget(tgt_conn *c);
/* tgt_library_version: the linked libpq's version as PQlibVersion gives it
 * (major * 10000 + minor, e.g. 150010 for 15.10) */
int tgt_library_version(void);
/* tgt_describe: "user@host:port/db", without password (static storage) */
const char *tgt_describe(tgt_conn *c);
/* tgt_conninfo_has_password: whether conninfo itself carries a password */
bool tgt_conninfo_has_password(const char *conninfo);
/* tgt_tls: the connection's TLS version and cipher, or "not encrypted"; a
 * new string */
char *tgt_tls(tgt_conn *c);
/* tgt_conninfo_check: whether libpq can parse conninfo (a URI, key=value
 * pairs, or a database name alone); if not, writes libpq's reason into err without the quoted parts
 * (they may hold the password) */
bool tgt_conninfo_check(const char *conninfo, char *err, size_t err_size);
/* tgt_conninfo_describe: the same for a conninfo not yet connected; new string */
char *tgt_conninfo_describe(const char *conninfo);
bool tgt_alive(tgt_conn *c);
/* tgt_idle: connected and outside any transaction */
bool tgt_idle(tgt_conn *c);
const tgt_error *tgt_last_error(tgt_conn *c);
void tgt_clear_error(tgt_conn *c);

/* tgt_exec: runs SQL with optional text parameters (NULL entries are SQL NULL).
 * *affected (may be NULL) gets the row count of the command. */
bool tgt_exec(tgt_conn *c, const char *sql, int nparams, const char *const *params,
	      int64_t *affected) MUSTCHECK;
/* tgt_exec_quiet: as tgt_exec but logs failures at debug level only; for
 * best-effort statements such as a ROLLBACK after a failure */
bool tgt_exec_quiet(tgt_conn *c, const char *sql);

/* tgt_row_fn: called per row; values[i] is NULL for SQL NULL; return false to stop */
typedef bool (*tgt_row_fn)(void *ctx, int ncols, char **values);
bool tgt_query(tgt_conn *c, const char *sql, int nparams, const char *const *params,
	       tgt_row_fn fn, void *ctx) MUSTCHECK;
/* tgt_query_quiet: as tgt_query but logs failures at debug level only; for
 * statements whose row-level refusals the caller handles (merge bisection) */
bool tgt_query_quiet(tgt_conn *c, const char *sql, int nparams, const char *const *params,
		     tgt_row_fn fn, void *ctx) MUSTCHECK;
/*
 * tgt_query_send, tgt_query_finish: tgt_query in two halves, so that the
 * caller can do other work (a source query) while the server runs this one.
 * After a successful send, tgt_query_finish must be called before any other
 * use of c; it waits for the result and hands its rows to fn. params need
 * only live until tgt_query_send returns.
 */
bool tgt_query_send(tgt_conn *c, const char *sql, int nparams, const char *const *params) MUSTCHECK;
bool tgt_query_finish(tgt_conn *c, tgt_row_fn fn, void *ctx) MUSTCHECK;
/* tgt_query_int64: first column of the single row as an integer */
bool tgt_query_int64(tgt_conn *c, const char *sql, int nparams, const char *const *params,
		     int64_t *out) MUSTCHECK;

/* tgt_stmt: one statement of tgt_exec_pipeline; params as for tgt_exec */
typedef struct tgt_stmt {
	const char *sql;
	int nparams;
	const char *const *params;
	int64_t *affected; /* NULL, or gets the command's row count */
	int64_t *value;    /* NULL, or gets the first column of its single row */
	char **text;       /* NULL, or gets the second column of its single row:
			    * a new string (the caller frees it), NULL for NULL */
	tgt_row_fn fn;     /* NULL, or gets each row of the result (with fn_ctx) */
	void *fn_ctx;
} tgt_stmt;
/*
 * tgt_exec_pipeline: runs the n statements in order in one round trip
 * (libpq's pipeline mode): the server gets them all at once and answers them
 * all at once. The first one that fails stops the rest (they are not run);
 * it is logged with its SQL and kept as the last error, and false returned.
 * Inside a transaction block the statements share it; a failure leaves it
 * aborted, as tgt_exec would.
 */
bool tgt_exec_pipeline(tgt_conn *c, const tgt_stmt *stmts, int n) MUSTCHECK;

bool tgt_copy_begin(tgt_conn *c, const char *sql) MUSTCHECK;
bool tgt_copy_put(tgt_conn *c, const char *buf, size_t len) MUSTCHECK;
/* tgt_copy_end: finishes the COPY; *rows gets the count loaded. On failure
 * the error is in tgt_last_error; logged here only if not row-level. */
bool tgt_copy_end(tgt_conn *c, int64_t *rows) MUSTCHECK;
/* tgt_copy_abort: ends a COPY in progress with an error, rolling it back */
void tgt_copy_abort(tgt_conn *c, const char *why);

/*
 * tgt_copy_out_begin, tgt_copy_out_row: a COPY ... TO STDOUT (sql) read row
 * by row (target_pg_copy_out.c). tgt_copy_out_row returns 1 with the next
 * row's text in *row (*len bytes, with its newline; free it with
 * tgt_copy_out_free), 0 after the last row once the COPY ended well, -1 on
 * a failure or after io_timeout seconds without a row (logged). Until it
 * returned 0 or -1, nothing else may run on c.
 */
bool tgt_copy_out_begin(tgt_conn *c, const char *sql) MUSTCHECK;
int tgt_copy_out_row(tgt_conn *c, char **row, size_t *len);
void tgt_copy_out_free(char *row);

#endif
