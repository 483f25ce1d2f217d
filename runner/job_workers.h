/*
 * job_workers.h: a job's forked worker processes (README "Scaling out").
 *
 * The workers are forked before the job exists, so that each one connects
 * to the servers while the starting process writes the job's hours: for a
 * long range that write and the workers' connections took about the same
 * time, one after the other. Each worker then waits for the job id on a
 * pipe, runs, and exits with its status; the starting process passes
 * signals on to them and follows them until the last one has exited.
 */
#ifndef ETLRE_JOB_WORKERS_H
#define ETLRE_JOB_WORKERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* what the workers do; every function gets ctx */
typedef struct worker_hooks {
	void *ctx;
	/* in worker i of n, before the job id is known (connecting) */
	void (*prepare)(void *ctx, int i, int n);
	/* in each worker, with the job id: its work; returns its exit status */
	int (*run)(void *ctx, int64_t job_id);
	/* in the starting process, about once a second while workers run */
	void (*tick)(void *ctx);
} worker_hooks;

typedef struct worker_pool {
	pid_t *pids;   /* owned; 0 for a worker that could not be started */
	int n;
	int alive;
	int go_fd;     /* the pipe's end the job id is written to; -1 once closed */
} worker_pool;

/* workers_fork: forks n workers that run hooks->prepare and then wait for
 * workers_go. A connection the caller keeps open across this is shared with
 * every worker, so prepare must drop its copy without ending the session
 * (tgt_forget). False (logged) when none could start. */
bool workers_fork(worker_pool *wp, int n, const worker_hooks *hooks);

/* workers_go: gives every worker the job id and lets it run; job_id 0 (the
 * job could not start) makes each one exit at once with exit status 1 */
void workers_go(worker_pool *wp, int64_t job_id);

/* workers_wait: waits for every worker to exit, passing a caught signal on
 * to them and calling hooks->tick about once a second; then releases wp.
 * Workers not given the job id yet (no workers_go) exit at once.
 * Returns true when a worker exited with exit status unreachable (its last
 * attempt to reach a server failed). */
bool workers_wait(worker_pool *wp, const worker_hooks *hooks);

#endif
