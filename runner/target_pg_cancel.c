/*
 * target_pg_cancel.c: the cancel request of a stop (see target_pg_int.h).
 * A stop (SIGINT, SIGTERM, --max-runtime) only sets a flag in its handler;
 * the thread waiting on the statement sees it (wait_socket, target_pg.c) and
 * has the statement cancelled from a thread of its own, because libpq's
 * cancel request waits for the server without a limit: on a frozen server or
 * a dead network only that thread waits on, detached, while the statement's
 * wait ends STOP_GRACE_SECONDS after the stop (README "Timeouts").
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>

#include "config.h"
#include "log.h"
#include "signals.h"
#include "target_pg_int.h"

/* cancel_main: sends the request of handle arg, and frees it */
static void *cancel_main(void *arg)
{
	PGcancel *h = arg;
	char err[256];

	if (!PQcancel(h, err, sizeof(err)))
		log_debug("target: cancel request failed: %s", err);
	PQfreeCancel(h);
	return NULL;
}

/* cancel_async: asks the server to cancel pg's statement in progress,
 * from a detached thread; false when it cannot start */
static bool cancel_async(PGconn *pg)
{
	PGcancel *h = PQgetCancel(pg);
	sigset_t all, old;
	pthread_t t;
	int rc;

	if (!h)
		return false;
	/* the thread takes no signal: they stay with the threads that act on them */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&t, NULL, cancel_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_debug("target: no thread for the cancel request");
		PQfreeCancel(h);
		return false;
	}
	pthread_detach(t);
	return true;
}

/* tgt_stop_limit: STOP_GRACE_SECONDS after the stop, or after the command
 * was sent when that was later (etlre's clean-up; README "Timeouts") */
double tgt_stop_limit(tgt_conn *c)
{
	double stop = signals_caught_at();

	if (c->sent_at < stop && c->cancelled != c->sent_at) {
		c->cancelled = c->sent_at;
		cancel_async(c->pg);
	}
	return (c->sent_at > stop ? c->sent_at : stop) + STOP_GRACE_SECONDS;
}
