/*
 * copy_pipe.h: a writer thread for COPY data, so that the source is read,
 * validated and encoded while the target takes the previous chunk.
 *
 * Without it one thread alternates between waiting for MariaDB and waiting
 * for PostgreSQL: while a PQputCopyData blocks on a full socket, nobody reads
 * the source, and the other way round. A copy_pipe owns one thread that sends
 * queued chunks with tgt_copy_put; the caller queues chunks with
 * copy_pipe_put (the data is copied, so the caller's buffer may move) and
 * waits for them with copy_pipe_drain before it touches the connection again
 * (COPY end, savepoints, queries). The queue holds at most
 * COPY_PIPE_MAX_QUEUED chunks, so memory stays bounded: a caller that is
 * ahead of the target blocks in copy_pipe_put.
 *
 * Between copy_pipe_put and copy_pipe_drain the connection belongs to the
 * thread; the caller must not use it. A failed send is logged once by
 * tgt_copy_put; later chunks of the same COPY are dropped and
 * copy_pipe_drain returns false. Signals are blocked in the thread, so
 * SIGINT/SIGTERM keep running their handler on the caller's thread.
 */
#ifndef ETLRE_COPY_PIPE_H
#define ETLRE_COPY_PIPE_H

#include <stdbool.h>
#include <stddef.h>

#include "target_pg.h"
#include "util.h"

#define COPY_PIPE_MAX_QUEUED 4

typedef struct copy_pipe copy_pipe;

/* copy_pipe_new: starts the writer thread for connection tgt (not owned).
 * Returns NULL after logging when the thread cannot start. The caller owns the
 * result and frees it with copy_pipe_free. */
copy_pipe *copy_pipe_new(tgt_conn *tgt);
/* copy_pipe_put: queues a copy of buf[0..len) for the open COPY; blocks while
 * the queue is full. Returns false when a send of this COPY already failed. */
bool copy_pipe_put(copy_pipe *cp, const char *buf, size_t len) MUSTCHECK;
/* copy_pipe_drain: waits until everything queued is sent. Returns false when
 * a send failed since the last drain (logged; the error is the connection's
 * last error), and clears that state for the next COPY. */
bool copy_pipe_drain(copy_pipe *cp) MUSTCHECK;
/* copy_pipe_free: drains, stops and joins the thread, frees everything */
void copy_pipe_free(copy_pipe *cp);

#endif
