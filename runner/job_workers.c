/*
 * job_workers.c: a job's forked worker processes (see job_workers.h).
 *
 * One pipe serves all the workers: the starting process writes the job id
 * once per worker, eight bytes at a time (a write under PIPE_BUF is never
 * split), and each worker reads one. Closing the pipe without writing tells
 * them the job did not start.
 */
#include "job_workers.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "signals.h"
#include "util.h"

/* read_job_id: the worker's wait for the job id; 0 when the starting
 * process closed the pipe without one, or a signal came */
static int64_t read_job_id(int fd)
{
	int64_t id = 0;
	ssize_t got;

	do {
		got = read(fd, &id, sizeof(id));
	} while (got < 0 && errno == EINTR && !signals_caught());
	return got == (ssize_t)sizeof(id) ? id : 0;
}

/* worker_main: the life of worker i in its process */
static void worker_main(const worker_hooks *hooks, int i, int n, int fd, pid_t parent)
{
	int64_t job_id;

	/* a worker ends with the process that started the job: killed (kill
	 * -9, OOM), it leaves its job stale for retry, as one worker would,
	 * rather than orphans loading on (README "Stuck and stale jobs");
	 * SIGTERM rolls the worker's hour back */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(EXIT_CODE_FAILED);
	hooks->prepare(hooks->ctx, i, n);
	job_id = read_job_id(fd);
	close(fd);
	if (job_id <= 0 || signals_caught())
		_exit(EXIT_CODE_FAILED);
	int rc = hooks->run(hooks->ctx, job_id);
	fflush(NULL);
	/* the starting process owns everything else */
	_exit(rc);
}

bool workers_fork(worker_pool *wp, int n, const worker_hooks *hooks)
{
	int fds[2];
	pid_t parent = getpid();

	*wp = (worker_pool){ .pids = xcalloc((size_t)n, sizeof(pid_t)), .n = n, .go_fd = -1 };
	if (pipe(fds) != 0) {
		log_error("cannot start the workers: pipe: %s", strerror(errno));
		free(wp->pids);
		wp->pids = NULL;
		return false;
	}
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[1]);
			worker_main(hooks, i, n, fds[0], parent);
		}
		if (pid < 0) {
			log_error("cannot start worker %d: %s", i + 1, strerror(errno));
			continue;
		}
		wp->pids[i] = pid;
		wp->alive++;
	}
	close(fds[0]);
	wp->go_fd = fds[1];
	if (wp->alive == 0) {
		workers_go(wp, 0);
		free(wp->pids);
		wp->pids = NULL;
	}
	return wp->alive > 0;
}

void workers_go(worker_pool *wp, int64_t job_id)
{
	if (wp->go_fd < 0)
		return;
	for (int i = 0; job_id > 0 && i < wp->alive; i++) {
		ssize_t put;
		do {
			put = write(wp->go_fd, &job_id, sizeof(job_id));
		} while (put < 0 && errno == EINTR);
		if (put != (ssize_t)sizeof(job_id)) {
			/* the workers not told exit when the pipe closes */
			log_error("cannot hand the job to its workers: %s", strerror(errno));
			break;
		}
	}
	close(wp->go_fd);
	wp->go_fd = -1;
}

bool workers_wait(worker_pool *wp, const worker_hooks *hooks)
{
	bool forwarded = false, unreachable = false;
	double next_tick = now_monotonic() + 1;

	workers_go(wp, 0); /* in case the caller did not: none is left waiting */
	while (wp->alive > 0) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			wp->alive--;
			if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_CODE_UNREACHABLE)
				unreachable = true;
			continue;
		}
		if (pid < 0 && errno != EINTR)
			break;
		if (signals_caught() && !forwarded) {
			for (int i = 0; i < wp->n; i++)
				if (wp->pids[i] > 0)
					kill(wp->pids[i], signals_caught());
			forwarded = true;
		}
		if (!forwarded && hooks->tick && now_monotonic() >= next_tick) {
			hooks->tick(hooks->ctx);
			next_tick = now_monotonic() + 1;
		}
		/* 5 ms: the summary follows the last worker's end at once (a
		 * 50 ms nap cost every job 25 ms on average) */
		nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
	}
	free(wp->pids);
	wp->pids = NULL;
	return unreachable;
}
