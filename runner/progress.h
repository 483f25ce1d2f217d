/*
 * progress.h: how far a job has got, on stderr while it runs.
 *
 * On a terminal, one line redrawn in place (hours done of total, rows/s, ETA,
 * the table and hour being loaded); log lines clear it first so the two never
 * mix. When stderr is not a terminal (cron, a pipe), an info log line every
 * --progress-interval seconds instead, so logs show progress too. Nothing with
 * --quiet, or when the interval is 0 and stderr is not a terminal.
 *
 * One process shows progress: the one that started the job. It feeds the
 * module with totals (progress_update), from its own work or from what the
 * ledger says all workers have done. Not thread-safe; the state is global
 * because the display is.
 */
#ifndef ETLRE_PROGRESS_H
#define ETLRE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* progress_configure: from the global options, before any job starts.
 * interval_seconds: the plain line's period (0: none); enabled: false for
 * --quiet. */
void progress_configure(bool enabled, double interval_seconds);

/* progress_begin: a job of hours_total hours starts now */
void progress_begin(int64_t hours_total);

/* progress_active: between progress_begin and progress_end, and shown */
bool progress_active(void);

/* progress_update: hours finished so far (loaded or failed) and rows loaded,
 * and what is being loaded now (table and hour may be NULL). Cheap to call
 * often: it draws at most a few times a second. */
void progress_update(int64_t hours_done, int64_t rows, const char *table, const char *hour);

/* progress_forked: in a worker process forked by the one that shows the
 * progress: shows nothing itself, and clears the parent's line before each of
 * its log lines */
void progress_forked(void);

/* progress_end: clears the terminal line; nothing more is shown */
void progress_end(void);

/* progress_format: the text of the progress line, for the display and the
 * unit tests. elapsed in seconds. */
void progress_format(char *out, size_t size, int64_t hours_done, int64_t hours_total,
		     int64_t rows, double elapsed, const char *table, const char *hour);

#endif
