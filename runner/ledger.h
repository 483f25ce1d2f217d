/*
 * ledger.h: etlre's own tables in the target (schema from [etlre] schema):
 * the schema version, jobs, the hours of each job, the last load of every
 * hour, and rejected rows. `etlre init` creates and upgrades them; process
 * records into them. All SQL about these tables lives in ledger*.c.
 */
#ifndef ETLRE_LEDGER_H
#define ETLRE_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "hour_counts.h"
#include "load_options.h"
#include "status.h"
#include "target_pg.h"

#define LEDGER_VERSION 4

/* ledger_init: creates or upgrades the tables to LEDGER_VERSION in one
 * transaction under an advisory lock; *from gets the version found (0 for
 * none). Safe to run again and concurrently. */
bool ledger_init(tgt_conn *c, const char *schema, int *from) MUSTCHECK;
/* ledger_check_version: true when the tables exist at LEDGER_VERSION;
 * otherwise logs what to do (run etlre init) and returns false. */
bool ledger_check_version(tgt_conn *c, const char *schema) MUSTCHECK;
/* ledger_version: the version of the tables (0 when there are none), and in
 * missing the names of the tables of that version that do not exist (comma
 * separated, empty when all do); false after logging when a query fails */
bool ledger_version(tgt_conn *c, const char *schema, int *version, strbuf *missing) MUSTCHECK;

typedef struct job_info {
	const char *command;     /* process, retry, verify */
	const char *range_start; /* YYYY-MM-DD */
	const char *range_end;
	const char *tables;      /* PostgreSQL array literal {a,b} */
	const char *options;     /* JSON text */
	int window_hours;
	const char *item_tables; /* the job's hours as runs of consecutive windows: */
	const char *item_hours;  /* array literals of equal length, the table names, */
	const char *item_counts; /* the runs' first windows and their lengths */
	const char *retry_of;    /* array literal of job ids, or NULL */
} job_info;

/* ledger_job_start: inserts a running job with one pending row per item;
 * *job_id gets its id. Autocommitted. */
bool ledger_job_start(tgt_conn *c, const char *schema, const job_info *job,
		      int64_t *job_id) MUSTCHECK;
/*
 * A running job holds a session advisory lock (LEDGER_JOB_LOCK, job_id) on
 * its target connection for as long as its process lives. A job whose status
 * is running but whose lock nobody holds is stale: its process died (kill -9,
 * a lost machine). In pg_locks: locktype 'advisory', classid = key 1,
 * objid = job_id, objsubid = 2, and the current database: the server's
 * other databases (another etlre, a test database) have jobs and workers of
 * their own, with the same ids, so a pg_locks test adds LEDGER_LOCK_HERE.
 */
#define LEDGER_JOB_LOCK 1702128755
/* SQL: pg_locks row l is of the current database */
#define LEDGER_LOCK_HERE                                                                \
	" AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d"                  \
	" WHERE d.datname = pg_catalog.current_database())"
/* ledger_job_lock: takes the job's lock (again, after a reconnect), shared:
 * the process that started the job and every worker that joined it hold it */
bool ledger_job_lock(tgt_conn *c, int64_t job_id) MUSTCHECK;
/*
 * Workers. Every process that loads a job's hours is a worker with an id from
 * etlre.worker_ids and a session advisory lock (LEDGER_WORKER_LOCK, id) held
 * while it lives. It claims one pending hour at a time (FOR UPDATE SKIP
 * LOCKED, so no two workers get the same hour); an hour marked running by a
 * worker whose lock nobody holds (its process died, its machine was lost) is
 * claimable again: the lock is the worker's lease.
 */
#define LEDGER_WORKER_LOCK 1702128756
/* ledger_worker_start: a new worker id, and its lock */
bool ledger_worker_start(tgt_conn *c, const char *schema, int64_t *worker_id) MUSTCHECK;
/* ledger_claim: claims the job's next hour for the worker: the first pending
 * one from hour from (a timestamp, or -infinity), else the job's first
 * pending one, else one whose worker is gone; *found false when none is
 * left. table gets its table, hour its start (YYYY-MM-DD HH:MM:SS, 20
 * bytes). Autocommitted. */
bool ledger_claim(tgt_conn *c, const char *schema, int64_t job_id, int64_t worker_id,
		  const char *from, char *table, size_t table_size, char *hour, int *window_hours,
		  bool *found) MUSTCHECK;
/* ledger_job_progress: the job's hours finished so far (succeeded or failed)
 * and the rows its succeeded hours loaded */
bool ledger_job_progress(tgt_conn *c, const char *schema, int64_t job_id, int64_t *hours_done,
			 int64_t *rows_loaded);

/* ledger_job_rejected: rows rejected so far by the job's succeeded hours */
bool ledger_job_rejected(tgt_conn *c, const char *schema, int64_t job_id,
			 int64_t *rejected) MUSTCHECK;
/* ledger_job_live: the job's hours running in live workers (it reads the
 * job's unsettled hours only) */
bool ledger_job_live(tgt_conn *c, const char *schema, int64_t job_id,
		     int64_t *live_running) MUSTCHECK;
/* ledger_day_claim: after an hour of table's day succeeded: *mine is true for
 * exactly one caller once every hour of that day in the job has succeeded;
 * that caller runs the day's after_day and reports it with ledger_day_done
 * (error NULL for success). */
bool ledger_day_claim(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
		      const char *day, bool *mine) MUSTCHECK;
bool ledger_day_done(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
		     const char *day, const char *error) MUSTCHECK;
/* ledger_job_hours: calls fn per hour of the job, by hour then table, with
 * table, hour, status, rows read, loaded, rejected, deleted, error class,
 * error, seconds, 1 when it is the last hour of a day whose after_day
 * failed (else 0), rows moved in from other hours, and 1 (the hours the row
 * stands for). Without every_hour, the succeeded hours of each table come
 * as one row first (hour NULL, sums, their number last) and each table's
 * failed after_days as one row (hour NULL, status "after_day", their number
 * in the after_day column, 0 hours); the other hours come one by one. */
bool ledger_job_hours(tgt_conn *c, const char *schema, int64_t job_id, bool every_hour,
		      tgt_row_fn fn, void *ctx) MUSTCHECK;
/* ledger_job_finish: sets the final status and finished_at */
bool ledger_job_finish(tgt_conn *c, const char *schema, int64_t job_id,
		       job_status status) MUSTCHECK;

/*
 * --max-rejects across workers: a window with rejected rows takes the job's
 * rejects lock (LEDGER_REJECTS_LOCK, job_id) until its commit, then reads
 * the rows the job's succeeded hours rejected (a statement of its own, so
 * its snapshot follows the lock): windows with rejects commit one after
 * another and each sees all the others', so the job's limit holds exactly
 * whatever the number of workers (README "etlre process").
 */
#define LEDGER_REJECTS_LOCK 1702128757
typedef struct ledger_rejects_check {
	char key[16], id[24];
	const char *params[2];
	char *sum_sql; /* owned: ledger_rejects_check_release */
} ledger_rejects_check;
/* ledger_rejects_check_stmts: the lock's statement (static text) into
 * *lock_sql and the sum's into c->sum_sql, both taking c->params */
void ledger_rejects_check_stmts(ledger_rejects_check *c, const char *schema, int64_t job_id,
				const char **lock_sql);
void ledger_rejects_check_release(ledger_rejects_check *c);

/* ledger_done: ledger_hour_done's statement and its parameters, for a
 * caller that sends it with others; sql is owned (free it) */
#define LEDGER_DONE_NPARAMS 9
typedef struct ledger_done {
	char id[24], rd[24], ld[24], rj[24], dl[24], mv[24], sec[32];
	const char *params[LEDGER_DONE_NPARAMS]; /* table and hour_sql are the caller's */
	char *sql;
} ledger_done;
void ledger_hour_done_stmt(ledger_done *d, const char *schema, int64_t job_id, const char *table,
			   const char *hour_sql, const hour_counts *n, double seconds);
/* ledger_done_many: ledger_hours_done_stmt's statement and parameters;
 * ledger_done_many_release frees what it holds */
typedef struct ledger_done_many {
	char id[24], sec[32];
	strbuf rd, ld, rj, dl, mv; /* the counts as array literals */
	const char *params[LEDGER_DONE_NPARAMS]; /* table and hours are the caller's */
	char *sql;
} ledger_done_many;
/* ledger_hours_done_stmt: ledger_hour_done for the k hours of a group in
 * one statement: hours a timestamp[] literal of the k hours, n[i] the
 * counts of hour i, seconds each hour's share */
void ledger_hours_done_stmt(ledger_done_many *d, const char *schema, int64_t job_id,
			    const char *table, const char *hours, const hour_counts *n, int k,
			    double seconds);
void ledger_done_many_release(ledger_done_many *d);
/* ledger_hour_done: inside the hour's transaction: marks the job's hour
 * succeeded with its counts and records it as the table's last load of that
 * hour. */
bool ledger_hour_done(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
		      const char *hour_sql, const hour_counts *n, double seconds) MUSTCHECK;
/* ledger_hour_failed: after the hour's rollback, autocommitted: marks the
 * job's hour failed with its class and message. */
bool ledger_hour_failed(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
			const char *hour_sql, const char *error_class, const char *error,
			double seconds) MUSTCHECK;
/* ledger_job_heartbeat: the job's heartbeat_at = now(), while it runs. A
 * worker beats from a connection of its own while an hour loads (README
 * "Stuck and stale jobs"). Autocommitted. */
bool ledger_job_heartbeat(tgt_conn *c, const char *schema, int64_t job_id) MUSTCHECK;
/* ledger_hour_running: marks a job's hour running and beats the job's heart */
bool ledger_hour_running(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
			 const char *hour_sql) MUSTCHECK;
/* ledger_hour_pending: puts a running hour back to pending (interrupted) */
bool ledger_hour_pending(tgt_conn *c, const char *schema, int64_t job_id, const char *table,
			 const char *hour_sql) MUSTCHECK;

/* A job's hour to run again, as ledger_retry_items finds it. */
typedef struct retry_item {
	char *table;
	char *hour;       /* YYYY-MM-DD HH:MM:SS */
	int window_hours;
} retry_item;
/* ledger_retry_items: the distinct hours of the jobs job_ids (an array
 * literal) that did not succeed (all of them with force), by hour then
 * table. *items is new; free with retry_items_free. */
bool ledger_retry_items(tgt_conn *c, const char *schema, const char *job_ids, bool force,
			retry_item **items, int *n) MUSTCHECK;
void retry_items_free(retry_item *items, int n);

typedef struct job_row {
	int64_t job_id;
	job_status status;
	bool alive;       /* its process still holds the job lock */
	char host[128];
	int pid;
	char *options;    /* JSON text, owned */
} job_row;
/* ledger_jobs_get: the jobs job_ids (array literal) that exist, by id; *rows
 * is new; free with job_rows_free */
bool ledger_jobs_get(tgt_conn *c, const char *schema, const char *job_ids, job_row **rows,
		     int *n) MUSTCHECK;
void job_rows_free(job_row *rows, int n);
/* ledger_job_options: the load options job job_id was run with
 * (jobs.options, reused by retry and work) into *out; fields it lacks keep
 * the values *out had (load_options_init: the defaults) */
bool ledger_job_options(tgt_conn *c, const char *schema, int64_t job_id,
			load_options *out) MUSTCHECK;
/* ledger_jobs_retried_by: records that jobs job_ids were retried by job by */
bool ledger_jobs_retried_by(tgt_conn *c, const char *schema, const char *job_ids,
			    int64_t by) MUSTCHECK;

/* ledger_last_loads: calls fn with (table, unix seconds) for each table
 * with a successful hour in etlre.loaded_hours: the time of its latest load.
 * Calls nothing when the tables do not exist (yet). Logs failures. */
bool ledger_last_loads(tgt_conn *c, const char *schema, tgt_row_fn fn, void *ctx) MUSTCHECK;

/* ledger_rejects_clear: inside the hour's transaction: forgets the rejects
 * of an earlier load of this hour (the new load replaces them). */
bool ledger_rejects_clear(tgt_conn *c, const char *schema, const char *table,
			  const char *hour_sql) MUSTCHECK;
/* ledger_rejects_clear_sql: ledger_rejects_clear's statement ($1 the table,
 * $2 the hour), for a caller that sends it with others; new string */
char *ledger_rejects_clear_sql(const char *schema);
/* ledger_rejects_clear_range_sql: ledger_rejects_clear's statement for the
 * hours from $2 up to $3 ($1 the table); new string */
char *ledger_rejects_clear_range_sql(const char *schema);
/* ledger_expand: tmpl with every "@S" replaced by the quoted schema, for
 * SQL on etlre's tables written elsewhere (settle.c); new string */
char *ledger_expand(const char *tmpl, const char *schema);
/* ledger_rejects_copy_sql: the COPY statement that ledger_reject_encode's
 * lines feed; a new string the caller frees. */
char *ledger_rejects_copy_sql(const char *schema);

/* One rejected row, as ledger_reject_encode writes it for etlre.rejects. */
typedef struct reject_record {
	int64_t job_id;
	const char *table;
	const char *hour_sql;       /* YYYY-MM-DD HH:MM:SS */
	const char *key;            /* "k1=v1, k2=v2" */
	size_t key_len;
	const char *column;         /* NULL: none */
	const char *value;          /* NULL: none */
	size_t value_len;
	const char *rule, *reason;
	const char *raw;            /* every value of the row, as a JSON object */
	size_t raw_len;
} reject_record;
/* ledger_reject_encode: appends r as one COPY text line of
 * ledger_rejects_copy_sql to out; values that are not valid UTF-8 (or hold
 * NUL) are stored in bytea hex form */
void ledger_reject_encode(strbuf *out, const reject_record *r);

#endif
