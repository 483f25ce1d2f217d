/*
 * job_source_sessions.h: a running job's statements on the MariaDB source,
 * for `etlre status --job-id N` (README "Stuck and stale jobs"). A job's
 * source statements carry its label (source_mariadb.h, SRC_JOB_LABEL_FORMAT),
 * so MariaDB's process list names them; a statement waiting on a table's
 * metadata lock (LOCK TABLES, ALTER TABLE elsewhere) also gets the sessions
 * that hold the table in a mode that blocks reading it, when the source has
 * the metadata_lock_info plugin (without it, the wait alone).
 */
#ifndef ETLRE_JOB_SOURCE_SESSIONS_H
#define ETLRE_JOB_SOURCE_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "job_sessions.h"
#include "source_mariadb.h"

/* job_source_sessions_read: job job_id's statements running on c now into
 * *out (zeroed first, out->source set; none when the job reads nothing at
 * the moment). Logs failures. */
bool job_source_sessions_read(src_conn *c, int64_t job_id, job_sessions *out) MUSTCHECK;

#endif
