/*
 * metrics.h: --metrics-file PATH: what a run did, written as Prometheus text
 * exposition format for node_exporter's textfile collector.
 *
 * A process has one set of metrics. cli.c starts it (metrics_begin) and
 * writes it once at the end (metrics_end); commands feed it with one call
 * each from the structs they already fill: metrics_record_run from a job's
 * summary, metrics_record_verify from a verification, and
 * metrics_record_last_success from etlre's ledger. Every sample carries the
 * label command="..." (so the files of several commands never clash in
 * node_exporter), and the per-table ones table="...".
 *
 * The file is replaced atomically: written to PATH.tmp.<pid> in the same
 * directory, fsynced, renamed over PATH. metrics_set_file probes that the
 * directory takes such a file before any work is done.
 *
 * The formatting part (metrics_set_*, metrics_format, metrics_add_*) is pure,
 * so the unit tests link it directly.
 */
#ifndef ETLRE_METRICS_H
#define ETLRE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* what the commands hand in (summary.h, verify.h); only pointers here */
typedef struct run_report run_report;
typedef struct verify_result verify_result;

typedef struct metrics_table {
	char *name;            /* owned */
	bool run;              /* loaded (or dry-run) by this run: the counts below are set */
	int64_t rows_read, rows_loaded, rows_rejected, rows_moved;
	int64_t hours_succeeded, hours_failed, hours_pending;
	bool verified;         /* compared by verify: the two below are set */
	int64_t hours_verified, hours_differ;
	bool ledger;           /* read from etlre's ledger (etlre check): the two below are set */
	int64_t ledger_pending, ledger_failed;
	double last_success;   /* unix seconds of the last successful load; 0 unknown */
} metrics_table;

typedef struct metrics_set {
	char *command;          /* owned */
	double duration_seconds; /* these three: -1 while unknown, not written */
	double finished_at;      /* unix seconds */
	int exit_status;
	/* the jobs etlre's ledger knows (etlre check); -1 while unknown, not written */
	int64_t jobs_running, jobs_stuck, jobs_stale;
	double job_idle_seconds;
	metrics_table *tables;  /* in the order first recorded */
	int ntables, cap;
} metrics_set;

/* metrics_set_init: an empty set for command; metrics_set_release frees it */
void metrics_set_init(metrics_set *m, const char *command);
void metrics_set_release(metrics_set *m);
/* metrics_set_table: the table named name, added (empty) if new; the pointer
 * is valid until the next call that adds a table */
metrics_table *metrics_set_table(metrics_set *m, const char *name);
/* metrics_set_add_run: adds a job's per-table counts (summed over several
 * jobs of one run); a table with a succeeded hour outside a dry run gets
 * last_success = now, unless it is known already */
void metrics_set_add_run(metrics_set *m, const run_report *r, double now);
/* metrics_set_add_verify: the hours compared and the hours that differ per
 * table; a later verification of the same table (after a repair) replaces
 * the earlier one */
void metrics_set_add_verify(metrics_set *m, const verify_result *r);
/* metrics_set_last_success: sets the table's last success to t, the time
 * read from etlre's ledger, which wins over the run's own clock */
void metrics_set_last_success(metrics_set *m, const char *table, double t);

/* metrics_set_jobs: the state of the ledger's jobs: running (their process
 * alive), stuck (running, idle for a while: no heartbeat, no chunk finished),
 * stale (recorded as running, process gone, not retried), and the longest
 * time a running job has been idle */
void metrics_set_jobs(metrics_set *m, int64_t running, int64_t stuck, int64_t stale,
		      double idle_seconds);
/* metrics_set_ledger_chunks: the table's chunks that unfinished jobs still
 * owe (pending or running) and that failed, neither loaded since */
void metrics_set_ledger_chunks(metrics_set *m, const char *table, int64_t pending,
			       int64_t failed);

/* metrics_format: the set as Prometheus text format, appended to out: for
 * each metric with samples, its # HELP and # TYPE lines then its samples */
void metrics_format(const metrics_set *m, strbuf *out);
/* metrics_add_label_value: s escaped for a label value (\\, \", \n), without
 * the quotes */
void metrics_add_label_value(strbuf *out, const char *s);
/* metrics_add_value: a sample value: integers without a fraction, others
 * with up to 6 decimals, NaN, +Inf, -Inf */
void metrics_add_value(strbuf *out, double v);

/* metrics_write_file: data replaces path atomically (see above). Logs and
 * returns false when it cannot; no temporary file is left behind. */
bool metrics_write_file(const char *path, const char *data, size_t len) MUSTCHECK;
/* metrics_check_path: true when a file can be written as path (path is not
 * a directory and its directory takes PATH.tmp.<pid>, which is removed
 * again); else err gets why. Logs nothing. */
bool metrics_check_path(const char *path, char *err, size_t errsize) MUSTCHECK;

/* ---- the process's metrics (cli.c and the commands) ---- */

/* metrics_set_file: --metrics-file; checks the path with metrics_check_path
 * (false and err if unusable) */
bool metrics_set_file(const char *path, char *err, size_t errsize) MUSTCHECK;
/* metrics_begin: starts the process's metrics for command, and its clock */
void metrics_begin(const char *command);
/* metrics_wanted: true in the process that called metrics_begin when a
 * metrics file was asked for (false in forked workers) */
bool metrics_wanted(void);
void metrics_record_run(const run_report *r);
void metrics_record_verify(const verify_result *r);
void metrics_record_last_success(const char *table, double unix_seconds);
void metrics_record_jobs(int64_t running, int64_t stuck, int64_t stale, double idle_seconds);
void metrics_record_ledger_chunks(const char *table, int64_t pending, int64_t failed);
/* metrics_end: when wanted, records the exit status and duration and writes
 * the file; frees the metrics. False (logged) when the file cannot be
 * written. */
bool metrics_end(int exit_status);

#endif
