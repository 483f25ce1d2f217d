/*
 * stoppable.h: a blocking call a stop can walk away from. Some waits of the
 * client libraries cannot be cut short (libpq's blocking connect waits for
 * connect_timeout whatever signal comes). stoppable_call runs such a call on
 * a thread of its own and waits for it; when a stop (SIGINT, SIGTERM,
 * --max-runtime) comes after the wait began, the caller goes on at once and
 * the thread finishes alone, then frees what the call made.
 */
#ifndef ETLRE_STOPPABLE_H
#define ETLRE_STOPPABLE_H

#include <stdbool.h>

/* stoppable_call: runs call(arg) and returns true once it is done. Returns
 * false when a stop came first: arg then belongs to the call's thread,
 * which calls drop(arg) when call returns (drop frees arg and whatever call
 * left in it). Without a thread to spare, call runs on the caller's. */
bool stoppable_call(void (*call)(void *arg), void (*drop)(void *arg), void *arg);
/* stoppable_abandoned: how many calls a stop walked away from are still
 * running; while any is, the client libraries must not be shut down */
int stoppable_abandoned(void);

#endif
