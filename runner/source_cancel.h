/*
 * source_cancel.h: a signal stops the source's statement in progress.
 *
 * MariaDB Connector/C has no cancel request that a signal handler could send
 * (libpq's PQcancel is one, target_pg.c). So each process keeps a list of
 * its open source connections, and a thread of its own, started with the
 * first of them, waits on a pipe: src_cancel_wake (async-signal-safe) writes
 * to it, and the thread then runs KILL QUERY for each listed connection, on
 * a short connection of its own, at once and again one second later (a
 * statement may start between the signal and the first round). A connection
 * with no statement running is left as it was. When the server cannot be
 * asked (a frozen server, a dead network), the thread shuts the connection's
 * socket down instead, so that a read waiting on it ends now and not after
 * network_timeout. Without this, a SIGTERM or a
 * Ctrl-C during a source query waiting on a lock held elsewhere waited for
 * the lock, up to network_timeout (README "Timeouts"). The thread also kills
 * the statement of a connection etlre gave up on (src_cancel_abandon).
 */
#ifndef ETLRE_SOURCE_CANCEL_H
#define ETLRE_SOURCE_CANCEL_H

#include "config.h"

/* src_cancel_kill_fn: runs KILL QUERY thread_id on a new connection to url,
 * waiting at most timeout seconds for it (source_mariadb.c); false when the
 * server could not be asked */
typedef bool (*src_cancel_kill_fn)(const mariadb_url *url, unsigned int timeout,
				   unsigned long thread_id);

/* src_cancel_add: lists a connection of this process (its server thread id
 * and its socket; the list keeps a copy of url); returns its slot for
 * src_cancel_remove, or -1 when the list is full or the thread cannot start
 * (logged at debug: the connection then works, only without this) */
int src_cancel_add(const mariadb_url *url, unsigned int timeout, unsigned long thread_id,
		   int fd, src_cancel_kill_fn kill);
/* src_cancel_remove: the connection of that slot and thread id is closed */
void src_cancel_remove(int slot, unsigned long thread_id);
/* src_cancel_abandon: etlre gives up on the connection of that slot (its
 * server stayed silent past its limit, source_mariadb.c): the thread kills
 * its statement, which the server would otherwise run to its end, holding
 * the table's metadata lock (a DDL waits behind it), and then forgets the
 * slot. Never waits; src_cancel_remove of an abandoned slot waits for its
 * kill up to a second (a process about to exit would take it along). */
void src_cancel_abandon(int slot, unsigned long thread_id);
/* src_cancel_wake: from a signal handler: the listed connections' statements
 * are cancelled (async-signal-safe, never waits) */
void src_cancel_wake(void);
#endif
