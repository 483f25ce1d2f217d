/*
 * copy_pipe.c: the COPY writer thread (see copy_pipe.h).
 *
 * A ring of COPY_PIPE_MAX_QUEUED chunk buffers, one mutex and two condition
 * variables: "work" wakes the thread when a chunk is queued or it must stop,
 * "room" wakes the caller when a chunk was sent (a slot is free, or the queue
 * ran empty for a drain). Chunk buffers are kept and reused, so after the
 * first chunks no allocation happens per chunk.
 */
#include "copy_pipe.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct copy_pipe {
	tgt_conn *tgt;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work, room;
	strbuf slot[COPY_PIPE_MAX_QUEUED];
	int head;      /* next slot the thread sends */
	int queued;    /* slots holding data, from head on */
	bool busy;     /* the thread is sending the head slot */
	bool failed;   /* a send failed since the last drain */
	bool stop;
};

static void *writer_main(void *arg)
{
	copy_pipe *cp = arg;

	pthread_mutex_lock(&cp->mu);
	for (;;) {
		while (cp->queued == 0 && !cp->stop)
			pthread_cond_wait(&cp->work, &cp->mu);
		if (cp->queued == 0)
			break;
		strbuf *s = &cp->slot[cp->head];
		bool skip = cp->failed;
		cp->busy = true;
		pthread_mutex_unlock(&cp->mu);
		bool ok = skip || tgt_copy_put(cp->tgt, s->buf, s->len);
		pthread_mutex_lock(&cp->mu);
		if (!ok)
			cp->failed = true;
		sb_reset(s);
		cp->busy = false;
		cp->head = (cp->head + 1) % COPY_PIPE_MAX_QUEUED;
		cp->queued--;
		pthread_cond_signal(&cp->room);
	}
	pthread_mutex_unlock(&cp->mu);
	return NULL;
}

/* release: frees the buffers, the synchronization objects and cp itself */
static void release(copy_pipe *cp)
{
	for (int i = 0; i < COPY_PIPE_MAX_QUEUED; i++)
		sb_release(&cp->slot[i]);
	pthread_mutex_destroy(&cp->mu);
	pthread_cond_destroy(&cp->work);
	pthread_cond_destroy(&cp->room);
	free(cp);
}

copy_pipe *copy_pipe_new(tgt_conn *tgt)
{
	copy_pipe *cp = xcalloc(1, sizeof(*cp));
	sigset_t all, old;
	int rc;

	cp->tgt = tgt;
	for (int i = 0; i < COPY_PIPE_MAX_QUEUED; i++)
		sb_init(&cp->slot[i], 0);
	pthread_mutex_init(&cp->mu, NULL);
	pthread_cond_init(&cp->work, NULL);
	pthread_cond_init(&cp->room, NULL);
	/* the thread inherits this mask: signals stay with the caller's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&cp->thread, NULL, writer_main, cp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("cannot start the COPY writer thread: %s", strerror(rc));
		release(cp);
		return NULL;
	}
	return cp;
}

bool copy_pipe_put(copy_pipe *cp, const char *buf, size_t len)
{
	bool ok;

	pthread_mutex_lock(&cp->mu);
	while (cp->queued == COPY_PIPE_MAX_QUEUED)
		pthread_cond_wait(&cp->room, &cp->mu);
	ok = !cp->failed;
	if (ok && len > 0) {
		sb_add(&cp->slot[(cp->head + cp->queued) % COPY_PIPE_MAX_QUEUED], buf, len);
		cp->queued++;
		pthread_cond_signal(&cp->work);
	}
	pthread_mutex_unlock(&cp->mu);
	return ok;
}

bool copy_pipe_drain(copy_pipe *cp)
{
	bool ok;

	pthread_mutex_lock(&cp->mu);
	while (cp->queued > 0 || cp->busy)
		pthread_cond_wait(&cp->room, &cp->mu);
	ok = !cp->failed;
	cp->failed = false;
	pthread_mutex_unlock(&cp->mu);
	return ok;
}

void copy_pipe_free(copy_pipe *cp)
{
	if (!cp)
		return;
	pthread_mutex_lock(&cp->mu);
	cp->stop = true;
	pthread_cond_signal(&cp->work);
	pthread_mutex_unlock(&cp->mu);
	pthread_join(cp->thread, NULL);
	release(cp);
}
