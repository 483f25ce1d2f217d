/*
 * target_pg_int.h: what the files of the PostgreSQL target share (internal
 * to target_pg*.c; everyone else includes
 * target_pg.h): the connection and the waits with a deadline.
 */
#ifndef ETLRE_TARGET_PG_INT_H
#define ETLRE_TARGET_PG_INT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "target_pg.h"

/* the statements a connection has prepared (target_pg_prepared.c) */
typedef struct tgt_prepared tgt_prepared;

struct tgt_conn {
	PGconn *pg;
	tgt_prepared *prepared; /* owned; NULL until the first statement */
	tgt_error err;
	char describe[256];
	char *sent;      /* the SQL of the query tgt_query_send started, owned */
	int io_timeout;  /* seconds the server may stay silent during a wait */
	bool cut;        /* etlre gave up on the server: the socket is shut down */
	double sent_at;   /* now_monotonic() when the command in progress was sent */
	double cancelled; /* the sent_at of the command a stop had cancelled */
};

/* tgt_pg_connect: a connection to conninfo, non-blocking, with opt's
 * connect_timeout for each host and cut short by a stop that comes while
 * connecting (target_pg_connect.c); NULL after logging why not */
PGconn *tgt_pg_connect(const char *conninfo, const tgt_options *opt);

/* tgt_stop_limit: after a stop, when any wait for c's command in progress
 * ends; a command sent before the stop is cancelled, once, from a thread of
 * its own (target_pg_cancel.c) */
double tgt_stop_limit(tgt_conn *c);

/* set_error_from_result: keeps res's error (libpq's when res is NULL) as
 * the connection's last error, unless it was cut off */
void set_error_from_result(tgt_conn *c, const PGresult *res);
/* log_failure: logs the last error with sql, at debug when quiet */
void log_failure(tgt_conn *c, const char *sql, bool quiet);
/* result_is: whether res (of sql) has status want; when it has not (or is
 * NULL), keeps and logs its error (at debug when quiet) and clears it */
bool result_is(tgt_conn *c, PGresult *res, ExecStatusType want, const char *sql, bool quiet);
/* wait_socket: waits until the socket is readable (or writable) or the
 * deadline passes; false when it passed (the connection is then cut off) */
bool wait_socket(tgt_conn *c, bool for_write, double deadline, const char *what);
/* next_result: *res gets the next result of the command sent (NULL when
 * none is left); false after a timeout. The caller owns *res. */
bool next_result(tgt_conn *c, double deadline, const char *what, PGresult **res);
/* await: the outcome of the command sent, as PQexec gives it; NULL after a
 * timeout. The caller owns the result. */
PGresult *await(tgt_conn *c, const char *what);
/* send_command: starts sql on the server; false when it cannot be sent */
bool send_command(tgt_conn *c, const char *sql, int nparams, const char *const *params);

/* tgt_prepared_name: true with the name to send sql by (prepared now, the
 * second time its text is sent, or earlier), false to send it unnamed (a
 * text seen once, one without parameters, one the server would not
 * prepare). Call with no command in flight. */
bool tgt_prepared_name(tgt_conn *c, const char *sql, int nparams, char *name, size_t size);
/* tgt_prepared_free: frees the set (the server's side ends with the
 * connection) */
void tgt_prepared_free(tgt_prepared *p);

#endif
