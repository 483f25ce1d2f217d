/*
 * source_cancel.c: cancelling the source's statements on a signal (see
 * source_cancel.h).
 *
 * The list, the pipe and the thread belong to one process: a forked worker
 * inherits the parent's but has no thread, so the first connection it lists
 * starts its own pipe and thread (state.pid tells whose they are). The list
 * is guarded by a mutex, never taken in the signal handler, which only
 * writes one byte to a non-blocking pipe.
 */
#include "source_cancel.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "signals.h"

#define CANCEL_SLOTS 64
/* what src_cancel_abandon writes to the pipe (a signal writes another byte) */
#define ABANDON_BYTE 'a'
/* how long closing an abandoned connection waits for its kill */
#define ABANDON_WAIT_SECONDS 1

typedef struct cancel_slot {
	bool used;
	mariadb_url url;        /* a copy of the connection's, owned by the slot */
	pid_t pid;              /* the process whose connection it is */
	unsigned int timeout;
	unsigned long thread_id;
	int fd;                 /* the connection's socket, valid while the slot is used */
	src_cancel_kill_fn kill;
	bool abandoned;         /* given up by etlre: its statement is to be killed */
	bool killing;           /* ... and the thread is at it */
} cancel_slot;

static struct {
	pthread_mutex_t mu;
	pthread_cond_t killed; /* an abandoned slot's kill is done */
	cancel_slot slot[CANCEL_SLOTS];
	pid_t pid;           /* the process the pipe and the thread belong to */
	int wake_fd;         /* the pipe's write end, for the signal handler */
	int read_fd;
} state = { .mu = PTHREAD_MUTEX_INITIALIZER, .killed = PTHREAD_COND_INITIALIZER, .wake_fd = -1,
	     .read_fd = -1 };

/* take_slots: copies the listed slots into copy (url strings included) with
 * their indexes, or with abandoned_only those abandoned and not yet being
 * killed, now marked as being killed; returns how many. The caller holds
 * the lock. The kills run on the copies, outside it: a kill waits for its
 * server, and meanwhile a connection may close and free its slot. */
static int take_slots(cancel_slot copy[], int index[], bool abandoned_only)
{
	int n = 0;

	for (int i = 0; i < CANCEL_SLOTS; i++) {
		cancel_slot *c = &state.slot[i];
		if (!c->used || (abandoned_only && (!c->abandoned || c->killing)))
			continue;
		c->killing = c->killing || abandoned_only;
		copy[n] = *c;
		mariadb_url_copy(&copy[n].url, &c->url);
		index[n++] = i;
	}
	return n;
}

/* kill_round: KILL QUERY for each listed connection; a connection whose
 * server cannot be asked has its socket shut down, so that the read waiting
 * on it ends (the slot is still the same connection's: closing it takes the
 * lock first, src_cancel_remove). Not an abandoned one: etlre has given it
 * up, and its slot may outlive its socket (src_cancel_remove's wait) */
static void kill_round(void)
{
	cancel_slot copy[CANCEL_SLOTS];
	int index[CANCEL_SLOTS], n;

	pthread_mutex_lock(&state.mu);
	n = take_slots(copy, index, false);
	pthread_mutex_unlock(&state.mu);
	for (int i = 0; i < n; i++) {
		bool killed = copy[i].kill(&copy[i].url, copy[i].timeout, copy[i].thread_id);
		mariadb_url_release(&copy[i].url);
		if (killed)
			continue;
		pthread_mutex_lock(&state.mu);
		cancel_slot *c = &state.slot[index[i]];
		if (c->used && !c->abandoned && c->thread_id == copy[i].thread_id && c->fd >= 0) {
			log_debug("source: connection %lu shut down (its server cannot be asked to "
				  "cancel)", c->thread_id);
			shutdown(c->fd, SHUT_RDWR);
		}
		pthread_mutex_unlock(&state.mu);
	}
}

/* abandoned_round: KILL QUERY for each abandoned connection, whose slot it
 * then frees (src_cancel_remove leaves it to this thread) */
static void abandoned_round(void)
{
	cancel_slot copy[CANCEL_SLOTS];
	int index[CANCEL_SLOTS], n;

	pthread_mutex_lock(&state.mu);
	n = take_slots(copy, index, true);
	pthread_mutex_unlock(&state.mu);
	for (int i = 0; i < n; i++)
		copy[i].kill(&copy[i].url, copy[i].timeout, copy[i].thread_id);
	pthread_mutex_lock(&state.mu);
	for (int i = 0; i < n; i++) {
		cancel_slot *c = &state.slot[index[i]];
		if (c->used && c->killing && c->thread_id == copy[i].thread_id) {
			mariadb_url_release(&c->url);
			memset(c, 0, sizeof(*c));
		}
		mariadb_url_release(&copy[i].url);
	}
	pthread_cond_broadcast(&state.killed);
	pthread_mutex_unlock(&state.mu);
}

static void *canceller_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char b;

	for (;;) {
		ssize_t n = read(fd, &b, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		if (b == ABANDON_BYTE) {
			abandoned_round();
			continue;
		}
		kill_round();
		sleep(1);
		kill_round();
	}
}

/* a fork while the canceller holds the lock would leave it held in the
 * child: the lock is taken around fork() */
static void fork_prepare(void)
{
	pthread_mutex_lock(&state.mu);
}

static void fork_done(void)
{
	pthread_mutex_unlock(&state.mu);
}

static void at_fork_once(void)
{
	pthread_atfork(fork_prepare, fork_done, fork_done);
}

/* start_thread: this process's pipe and thread; the caller holds the lock */
static bool start_thread(void)
{
	int fds[2];
	pthread_t t;
	sigset_t all, old;
	int rc;

	if (state.pid == getpid())
		return true;
	/* a forked worker's copies of the parent's list and pipe are not its own
	 * (the strings are its copies too: freed here) */
	for (int i = 0; i < CANCEL_SLOTS; i++)
		if (state.slot[i].used)
			mariadb_url_release(&state.slot[i].url);
	memset(state.slot, 0, sizeof(state.slot));
	if (state.read_fd >= 0)
		close(state.read_fd);
	if (state.wake_fd >= 0)
		close(state.wake_fd);
	state.wake_fd = state.read_fd = -1;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		log_debug("no cancelling of source statements: pipe: %s", strerror(errno));
		return false;
	}
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&t, NULL, canceller_main, (void *)(intptr_t)fds[0]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_debug("no cancelling of source statements: thread: %s", strerror(rc));
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	pthread_detach(t);
	state.read_fd = fds[0];
	state.wake_fd = fds[1];
	state.pid = getpid();
	return true;
}

int src_cancel_add(const mariadb_url *url, unsigned int timeout, unsigned long thread_id,
		   int fd, src_cancel_kill_fn kill)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int slot = -1;

	pthread_once(&once, at_fork_once);
	pthread_mutex_lock(&state.mu);
	if (start_thread()) {
		for (int i = 0; i < CANCEL_SLOTS && slot < 0; i++)
			if (!state.slot[i].used)
				slot = i;
		if (slot >= 0) {
			state.slot[slot] = (cancel_slot){ .used = true, .pid = getpid(),
							  .timeout = timeout,
							  .thread_id = thread_id, .fd = fd,
							  .kill = kill };
			mariadb_url_copy(&state.slot[slot].url, url);
		} else
			log_debug("no cancelling of source statements for thread %lu: %d connections "
				  "listed", thread_id, CANCEL_SLOTS);
	}
	pthread_mutex_unlock(&state.mu);
	return slot;
}

void src_cancel_remove(int slot, unsigned long thread_id)
{
	if (slot < 0 || slot >= CANCEL_SLOTS)
		return;
	pthread_mutex_lock(&state.mu);
	/* a connection inherited from the parent is not in this process's list */
	cancel_slot *c = &state.slot[slot];
	if (c->used && c->pid == getpid() && c->thread_id == thread_id && !c->abandoned) {
		mariadb_url_release(&c->url);
		c->used = false;
	}
	/* an abandoned statement's kill gets a moment, so that a process about
	 * to exit does not take the kill with it; a frozen server costs this
	 * wait only */
	if (c->used && c->abandoned && c->thread_id == thread_id) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += ABANDON_WAIT_SECONDS;
		while (c->used && c->abandoned && c->thread_id == thread_id &&
		       pthread_cond_timedwait(&state.killed, &state.mu, &until) == 0)
			;
	}
	pthread_mutex_unlock(&state.mu);
}

void src_cancel_abandon(int slot, unsigned long thread_id)
{
	bool wake = false;

	if (slot < 0 || slot >= CANCEL_SLOTS)
		return;
	pthread_mutex_lock(&state.mu);
	cancel_slot *c = &state.slot[slot];
	if (c->used && c->pid == getpid() && c->thread_id == thread_id && !c->abandoned)
		wake = c->abandoned = true;
	pthread_mutex_unlock(&state.mu);
	if (wake && state.wake_fd >= 0)
		(void)!write(state.wake_fd, (char[]){ ABANDON_BYTE }, 1);
}

void src_cancel_wake(void)
{
	int saved = errno;
	int fd = state.wake_fd;

	if (fd >= 0 && state.pid == getpid())
		(void)!write(fd, "x", 1);
	errno = saved;
}
