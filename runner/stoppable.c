/*
 * stoppable.c: a blocking call a stop can walk away from (see stoppable.h).
 * The caller and the call's thread share one record under a mutex: whichever
 * of them is last to let go of it frees it, the thread together with the
 * call's argument when the caller has walked away.
 */
#include "stoppable.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "signals.h"
#include "util.h"

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t done_cv;
	bool done;      /* the call returned */
	bool abandoned; /* the caller walked away: the thread frees all */
	void (*call)(void *);
	void (*drop)(void *);
	void *arg;
} pending;

/* the calls walked away from that have not returned yet */
static int abandoned_running;

int stoppable_abandoned(void)
{
	return __atomic_load_n(&abandoned_running, __ATOMIC_SEQ_CST);
}

static void pending_free(pending *p)
{
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static void *call_main(void *data)
{
	pending *p = data;
	bool abandoned;

	p->call(p->arg);
	pthread_mutex_lock(&p->mu);
	abandoned = p->abandoned;
	p->done = true;
	pthread_cond_signal(&p->done_cv);
	pthread_mutex_unlock(&p->mu);
	/* when not abandoned, the caller frees p once it has joined the thread */
	if (abandoned) {
		p->drop(p->arg);
		pending_free(p);
		__atomic_sub_fetch(&abandoned_running, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* start: the call's thread, taking no signal (they stay with the threads
 * that act on them); false when none could be made */
static bool start(pending *p, pthread_t *t)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(t, NULL, call_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0;
}

/* slice: CLOCK_MONOTONIC's time STOP_CHECK_MS from now */
static struct timespec slice(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += STOP_CHECK_MS * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

bool stoppable_call(void (*call)(void *arg), void (*drop)(void *arg), void *arg)
{
	double began = now_monotonic();
	pending *p = xcalloc(1, sizeof(*p));
	pthread_condattr_t ca;
	pthread_t t;
	bool done;

	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	p->call = call, p->drop = drop, p->arg = arg;
	if (!start(p, &t)) {
		pending_free(p);
		call(arg);
		return true;
	}
	pthread_mutex_lock(&p->mu);
	/* the signal handler only sets a flag: look at it every STOP_CHECK_MS */
	while (!p->done && signals_caught_at() < began) {
		struct timespec until = slice();

		pthread_cond_timedwait(&p->done_cv, &p->mu, &until);
	}
	done = p->done;
	p->abandoned = !done;
	if (!done)
		__atomic_add_fetch(&abandoned_running, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&p->mu);
	if (!done) {
		pthread_detach(t); /* p is the thread's now */
		return false;
	}
	/* the thread's own end too (its thread-local data, the client
	 * libraries' included), so nothing of it outlives the call */
	pthread_join(t, NULL);
	pending_free(p);
	return true;
}
