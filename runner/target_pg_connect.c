/*
 * target_pg_connect.c: opening a connection to PostgreSQL (see
 * target_pg_int.h). libpq's blocking connect cannot be cut short: a stop
 * (SIGINT, SIGTERM, --max-runtime) that came while it waited on a dead
 * network or a frozen server waited for the whole connect_timeout. Its
 * non-blocking connect would ignore connect_timeout, and a host of the URL
 * that does not answer in time could not be passed over for the next one
 * as the blocking connect does. So the blocking connect runs on a thread
 * of its own (stoppable.h): a stop that comes while connecting ends the
 * wait within STOP_CHECK_MS, and the attempt is dropped when it ends
 * (README "Timeouts").
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "stoppable.h"
#include "target_pg_int.h"
#include "util.h"

/* an attempt to connect: what the connecting thread reads, and its
 * outcome; owned by whichever side lets go of it last (stoppable.h) */
typedef struct {
	char *conninfo;
	int connect_timeout, io_timeout;
	PGconn *pg; /* the outcome, NULL when out of memory */
} attempt;

/* keepalive_settings: TCP keepalives and a TCP user timeout, so that a
 * dead network is noticed by the kernel too; a target URL may override them.
 * The user timeout is a grace beyond io_timeout: etlre's own count, which
 * names the class timeout, ends a silent wait first, even on a loaded
 * machine, and the kernel is the backstop (README "Timeouts") */
static void keepalive_settings(const char **keys, const char **vals, char *user_timeout,
			       size_t size, int io_timeout)
{
	snprintf(user_timeout, size, "%d", (io_timeout + TIMEOUT_GRACE_SECONDS) * 1000);
	keys[0] = "keepalives", vals[0] = "1";
	keys[1] = "keepalives_idle", vals[1] = "30";
	keys[2] = "keepalives_interval", vals[2] = "10";
	keys[3] = "keepalives_count", vals[3] = "3";
	keys[4] = "tcp_user_timeout", vals[4] = user_timeout;
}

/* attempt_run: the blocking connect (on the connecting thread) */
static void attempt_run(void *arg)
{
	attempt *a = arg;
	char timeout[16], user_timeout[24];
	const char *keys[11], *vals[11];

	keepalive_settings(keys, vals, user_timeout, sizeof(user_timeout), a->io_timeout);
	snprintf(timeout, sizeof(timeout), "%d", a->connect_timeout);
	/* after the URL: the URL cannot change these */
	keys[5] = "dbname", vals[5] = a->conninfo;
	keys[6] = "connect_timeout", vals[6] = timeout;
	keys[7] = "application_name", vals[7] = "etlre";
	keys[8] = "client_encoding", vals[8] = "UTF8";
	keys[9] = vals[9] = NULL;
	a->pg = PQconnectdbParams(keys, vals, 1);
}

/* attempt_drop: frees a and the connection it made */
static void attempt_drop(void *arg)
{
	attempt *a = arg;

	PQfinish(a->pg);
	free(a->conninfo);
	free(a);
}

PGconn *tgt_pg_connect(const char *conninfo, const tgt_options *opt)
{
	attempt *a = xcalloc(1, sizeof(*a));
	char *where, *msg;
	PGconn *pg;

	a->conninfo = xstrdup(conninfo);
	a->io_timeout = opt->io_timeout;
	a->connect_timeout = opt->connect_timeout > 0 ? opt->connect_timeout : 10;
	if (!stoppable_call(attempt_run, attempt_drop, a)) {
		where = tgt_conninfo_describe(conninfo);
		log_warn("etlre was stopped while connecting to the target %s", where);
		free(where);
		return NULL;
	}
	pg = a->pg;
	a->pg = NULL;
	attempt_drop(a);
	if (pg && PQstatus(pg) == CONNECTION_OK && PQsetnonblocking(pg, 1) == 0)
		return pg;
	where = tgt_conninfo_describe(conninfo);
	msg = pg ? xstrdup(PQerrorMessage(pg)) : xstrdup("out of memory");
	msg[strcspn(msg, "\n")] = '\0';
	log_error("cannot connect to the target %s: %s", where, msg);
	free(msg);
	free(where);
	PQfinish(pg);
	return NULL;
}
