/*
 * target_pg_cancel.c: the cancel requests of the PostgreSQL target (see
 * target_pg.h: tgt_cancel_running from the SIGINT/SIGTERM handler,
 * tgt_cancel_newest from source_cancel.c's thread when --max-runtime is
 * reached). They go to the newest connection, whose cancel handle
 * target_pg.c keeps here (target_pg_int.h).
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>

#include "log.h"
#include "target_pg_int.h"

/* the cancel handle of the newest connection, for tgt_cancel_running and
 * tgt_cancel_newest. A signal handler reads it unlocked (it runs in the
 * thread it interrupted; the handle is set to NULL before the old one is
 * freed). The canceller thread takes it under cancel_mu but sends the
 * request outside the lock, as it may wait for ever on a frozen server: a
 * handle replaced meanwhile is freed by the thread when it is done */
static PGcancel *volatile cancel_handle;
static pthread_mutex_t cancel_mu = PTHREAD_MUTEX_INITIALIZER;
static PGcancel *cancel_in_use;  /* the thread's, under cancel_mu */
static bool cancel_retired;      /* cancel_in_use was replaced: the thread frees it */

void tgt_cancel_running(void)
{
	char err[256];
	PGcancel *h = cancel_handle;

	if (h)
		PQcancel(h, err, sizeof(err));
}

void tgt_cancel_newest(void)
{
	char err[256];
	PGcancel *h;

	pthread_mutex_lock(&cancel_mu);
	h = cancel_in_use = cancel_handle;
	pthread_mutex_unlock(&cancel_mu);
	if (h && !PQcancel(h, err, sizeof(err)))
		log_debug("target: cancel request failed: %s", err);
	pthread_mutex_lock(&cancel_mu);
	if (cancel_retired)
		PQfreeCancel(cancel_in_use);
	cancel_retired = false;
	cancel_in_use = NULL;
	pthread_mutex_unlock(&cancel_mu);
}

void tgt_set_cancel_handle(PGconn *pg)
{
	pthread_mutex_lock(&cancel_mu);
	PGcancel *old = cancel_handle;

	cancel_handle = NULL;
	if (old && old == cancel_in_use)
		cancel_retired = true;
	else if (old)
		PQfreeCancel(old);
	if (pg)
		cancel_handle = PQgetCancel(pg);
	pthread_mutex_unlock(&cancel_mu);
}
