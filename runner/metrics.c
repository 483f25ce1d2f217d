/*
 * metrics.c: --metrics-file (see metrics.h). The metrics are declared once,
 * in the families table below: name, help text, which samples it has (one
 * per command, or one per table that was loaded, verified or has a last
 * success) and where its value is kept. README.md lists the same names.
 */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "summary.h"
#include "verify.h"

typedef enum family_scope {
	SCOPE_COMMAND,      /* one sample, from metrics_set; skipped while negative */
	SCOPE_RUN,          /* per table with run set */
	SCOPE_VERIFY,       /* per table with verified set */
	SCOPE_LAST_SUCCESS, /* per table with a last success */
	SCOPE_LEDGER,       /* per table with ledger set */
} family_scope;

typedef enum value_kind { KIND_I64, KIND_INT, KIND_DOUBLE } value_kind;

typedef struct metric_family {
	const char *name;
	const char *help;
	family_scope scope;
	size_t offset;      /* in metrics_set (SCOPE_COMMAND) or metrics_table */
	value_kind kind;
} metric_family;

#define T_I64(f) offsetof(metrics_table, f), KIND_I64
#define S_I64(f) offsetof(metrics_set, f), KIND_I64

static const metric_family families[] = {
	{ "etlre_rows_read", "Source rows read by this run (under --dry-run too).", SCOPE_RUN,
	  T_I64(rows_read) },
	{ "etlre_rows_loaded", "Rows loaded into the target by this run (under --dry-run: rows "
	  "that would load).", SCOPE_RUN, T_I64(rows_loaded) },
	{ "etlre_rows_rejected", "Invalid rows set aside by this run (--skip-invalid).", SCOPE_RUN,
	  T_I64(rows_rejected) },
	{ "etlre_rows_moved", "Rows loaded into an hour that the target held in another hour "
	  "(their time changed in the source); their old copy was removed.", SCOPE_RUN,
	  T_I64(rows_moved) },
	{ "etlre_chunks_succeeded", "Chunks (an hour each, a day with --batch-mode daily) that "
	  "this run loaded successfully.", SCOPE_RUN, T_I64(hours_succeeded) },
	{ "etlre_chunks_failed", "Chunks that failed in this run.", SCOPE_RUN,
	  T_I64(hours_failed) },
	{ "etlre_chunks_pending", "Chunks this run left pending: the job was stopped or "
	  "interrupted.", SCOPE_RUN, T_I64(hours_pending) },
	{ "etlre_verify_chunks", "Hourly chunks compared by verify.", SCOPE_VERIFY,
	  T_I64(hours_verified) },
	{ "etlre_verify_chunks_differ", "Hourly chunks where verify found source and target "
	  "differ (missing, extra or changed); after --repair, those still differing.",
	  SCOPE_VERIFY, T_I64(hours_differ) },
	{ "etlre_last_success_timestamp_seconds", "Unix time of the table's last successful hour "
	  "load, from etlre.loaded_hours.", SCOPE_LAST_SUCCESS,
	  offsetof(metrics_table, last_success), KIND_DOUBLE },
	{ "etlre_ledger_chunks_pending", "Chunks that unfinished jobs still have to load "
	  "(pending, or running), not loaded since and not retried, from etlre's ledger.",
	  SCOPE_LEDGER, T_I64(ledger_pending) },
	{ "etlre_ledger_chunks_failed", "Failed chunks of jobs not retried, not loaded since, "
	  "from etlre's ledger.", SCOPE_LEDGER, T_I64(ledger_failed) },
	{ "etlre_jobs_running", "Jobs running now (their process holds the job's lock).",
	  SCOPE_COMMAND, S_I64(jobs_running) },
	{ "etlre_jobs_stuck", "Running jobs with no heartbeat and no finished chunk for "
	  "longer than --stuck-after (default [etlre] stuck_after).", SCOPE_COMMAND, S_I64(jobs_stuck) },
	{ "etlre_jobs_stale", "Jobs recorded as running whose process is gone, not retried.",
	  SCOPE_COMMAND, S_I64(jobs_stale) },
	{ "etlre_running_job_idle_seconds", "The longest time, in seconds, that a running job has "
	  "gone without a heartbeat or a finished chunk (0 when none runs).", SCOPE_COMMAND,
	  offsetof(metrics_set, job_idle_seconds), KIND_DOUBLE },
	{ "etlre_duration_seconds", "Wall time of the command, in seconds.", SCOPE_COMMAND,
	  offsetof(metrics_set, duration_seconds), KIND_DOUBLE },
	{ "etlre_finished_timestamp_seconds", "Unix time at which the command ended.",
	  SCOPE_COMMAND, offsetof(metrics_set, finished_at), KIND_DOUBLE },
	{ "etlre_exit_status", "Exit status of the command: 0 done, 1 chunks failed, 2 usage or "
	  "configuration, 3 verify found differences, 4 unreachable, 130/143 interrupted.",
	  SCOPE_COMMAND, offsetof(metrics_set, exit_status), KIND_INT },
};

/* ---- the set ---- */

void metrics_set_init(metrics_set *m, const char *command)
{
	memset(m, 0, sizeof(*m));
	m->command = xstrdup(command ? command : "");
	m->duration_seconds = -1;
	m->finished_at = -1;
	m->exit_status = -1;
	m->jobs_running = m->jobs_stuck = m->jobs_stale = -1;
	m->job_idle_seconds = -1;
}

void metrics_set_release(metrics_set *m)
{
	for (int i = 0; i < m->ntables; i++)
		free(m->tables[i].name);
	free(m->tables);
	free(m->command);
	memset(m, 0, sizeof(*m));
}

metrics_table *metrics_set_table(metrics_set *m, const char *name)
{
	for (int i = 0; i < m->ntables; i++)
		if (strcmp(m->tables[i].name, name) == 0)
			return &m->tables[i];
	metrics_table *t = ARRAY_PUSH(m->tables, m->ntables, m->cap);
	t->name = xstrdup(name);
	return t;
}

void metrics_set_last_success(metrics_set *m, const char *table, double t)
{
	metrics_set_table(m, table)->last_success = t;
}

void metrics_set_add_run(metrics_set *m, const run_report *r, double now)
{
	for (int i = 0; i < r->ntables; i++) {
		const table_report *tr = &r->tables[i];
		metrics_table *t = metrics_set_table(m, tr->name);
		int64_t succeeded = tr->hours - tr->hours_failed - tr->hours_pending;

		t->run = true;
		t->rows_read += tr->n.read;
		t->rows_loaded += tr->n.loaded;
		t->rows_rejected += tr->n.rejected;
		t->rows_moved += tr->n.moved;
		t->hours_succeeded += succeeded;
		t->hours_failed += tr->hours_failed;
		t->hours_pending += tr->hours_pending;
		if (succeeded > 0 && !r->dry_run && t->last_success == 0)
			t->last_success = now;
	}
}

void metrics_set_add_verify(metrics_set *m, const verify_result *r)
{
	for (int i = 0; i < r->ntables; i++) {
		const verify_table *vt = &r->tables[i];
		metrics_table *t = metrics_set_table(m, vt->name);

		t->verified = true;
		t->hours_verified = vt->hours;
		t->hours_differ = vt->hours_missing + vt->hours_extra + vt->hours_changed;
	}
}

void metrics_set_jobs(metrics_set *m, int64_t running, int64_t stuck, int64_t stale,
		      double idle_seconds)
{
	m->jobs_running = running;
	m->jobs_stuck = stuck;
	m->jobs_stale = stale;
	m->job_idle_seconds = idle_seconds;
}

void metrics_set_ledger_chunks(metrics_set *m, const char *table, int64_t pending,
			       int64_t failed)
{
	metrics_table *t = metrics_set_table(m, table);

	t->ledger = true;
	t->ledger_pending = pending;
	t->ledger_failed = failed;
}

/* ---- formatting ---- */

void metrics_add_label_value(strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			sb_adds(out, "\\\\");
		else if (*s == '"')
			sb_adds(out, "\\\"");
		else if (*s == '\n')
			sb_adds(out, "\\n");
		else
			sb_addc(out, *s);
	}
}

void metrics_add_value(strbuf *out, double v)
{
	char buf[64];
	size_t n;

	if (isnan(v)) {
		sb_adds(out, "NaN");
		return;
	}
	if (isinf(v)) {
		sb_adds(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		sb_addc(out, '0'); /* also -0 */
		return;
	}
	if (fabs(v) < 1e15 && v == (double)(int64_t)v) {
		sb_addf(out, "%lld", (long long)v);
		return;
	}
	snprintf(buf, sizeof(buf), "%.6f", v);
	n = strlen(buf);
	if (strchr(buf, '.')) {
		while (n > 0 && buf[n - 1] == '0')
			n--;
		if (n > 0 && buf[n - 1] == '.')
			n--;
	}
	sb_add(out, buf, n);
}

static double field_value(const void *base, const metric_family *f)
{
	const char *p = (const char *)base + f->offset;

	switch (f->kind) {
	case KIND_I64: return (double)*(const int64_t *)(const void *)p;
	case KIND_INT: return (double)*(const int *)(const void *)p;
	case KIND_DOUBLE: break;
	}
	return *(const double *)(const void *)p;
}

static bool table_has(const metrics_table *t, family_scope scope)
{
	switch (scope) {
	case SCOPE_RUN: return t->run;
	case SCOPE_VERIFY: return t->verified;
	case SCOPE_LAST_SUCCESS: return t->last_success > 0;
	case SCOPE_LEDGER: return t->ledger;
	case SCOPE_COMMAND: break;
	}
	return false;
}

/* add_sample: name{command="..."[,table="..."]} value */
static void add_sample(strbuf *out, const metric_family *f, const char *command,
		       const char *table, double v)
{
	sb_adds(out, f->name);
	sb_adds(out, "{command=\"");
	metrics_add_label_value(out, command);
	if (table) {
		sb_adds(out, "\",table=\"");
		metrics_add_label_value(out, table);
	}
	sb_adds(out, "\"} ");
	metrics_add_value(out, v);
	sb_addc(out, '\n');
}

void metrics_format(const metrics_set *m, strbuf *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		const metric_family *f = &families[i];
		bool any = false;

		if (f->scope == SCOPE_COMMAND)
			any = field_value(m, f) >= 0;
		for (int t = 0; t < m->ntables && !any; t++)
			any = table_has(&m->tables[t], f->scope);
		if (!any)
			continue;
		sb_addf(out, "# HELP %s %s\n# TYPE %s gauge\n", f->name, f->help, f->name);
		if (f->scope == SCOPE_COMMAND) {
			add_sample(out, f, m->command, NULL, field_value(m, f));
			continue;
		}
		for (int t = 0; t < m->ntables; t++)
			if (table_has(&m->tables[t], f->scope))
				add_sample(out, f, m->command, m->tables[t].name,
					   field_value(&m->tables[t], f));
	}
}

/* ---- the file ---- */

static char *tmp_path(const char *path)
{
	return xasprintf("%s.tmp.%d", path, (int)getpid());
}

/* dir_of: the directory path is in ("." when none); a new string */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static bool write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return false;
		}
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* write_tmp: data into a new file tmp, fsynced; on failure *what says which
 * step failed and errno why */
static bool write_tmp(const char *tmp, const char *data, size_t len, const char **what)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok;
	int e;

	*what = "create";
	if (fd < 0)
		return false;
	*what = "write";
	ok = write_all(fd, data, len);
	if (ok) {
		*what = "fsync";
		ok = fsync(fd) == 0;
	}
	e = errno;
	if (close(fd) != 0 && ok) {
		*what = "close";
		ok = false;
		e = errno;
	}
	errno = e;
	return ok;
}

bool metrics_write_file(const char *path, const char *data, size_t len)
{
	char *tmp = tmp_path(path), *dir = dir_of(path);
	const char *what;
	int dfd;
	bool ok = write_tmp(tmp, data, len, &what);

	if (ok && rename(tmp, path) != 0) {
		what = "rename into place";
		ok = false;
	}
	if (!ok) {
		log_error("metrics file '%s': cannot %s '%s': %s", path, what, tmp, strerror(errno));
		unlink(tmp);
	} else if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		/* makes the rename itself durable; best effort, as not every file
		 * system can */
		if (fsync(dfd) != 0)
			log_debug("metrics file '%s': cannot fsync its directory: %s", path,
				  strerror(errno));
		close(dfd);
	}
	free(tmp);
	free(dir);
	return ok;
}

bool metrics_check_path(const char *path, char *err, size_t errsize)
{
	struct stat st;
	char *tmp, *dir;
	int e;

	if (!*path) {
		snprintf(err, errsize, "the path is empty");
		return false;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errsize, "'%s' is a directory", path);
		return false;
	}
	tmp = tmp_path(path);
	e = file_create_probe(tmp, false);
	free(tmp);
	if (e != 0) {
		dir = dir_of(path);
		snprintf(err, errsize, "cannot create a file in directory '%s' (for '%s'): %s", dir,
			 path, strerror(e));
		free(dir);
		return false;
	}
	return true;
}

/* ---- the process's metrics ---- */

static struct {
	char *path;       /* owned; NULL: no file asked for */
	bool begun;
	pid_t pid;        /* the process that began */
	double t0;        /* monotonic */
	metrics_set set;
} proc;

static double now_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool metrics_set_file(const char *path, char *err, size_t errsize)
{
	if (!metrics_check_path(path, err, errsize))
		return false;
	free(proc.path);
	proc.path = xstrdup(path);
	return true;
}

void metrics_begin(const char *command)
{
	if (proc.begun)
		metrics_set_release(&proc.set);
	metrics_set_init(&proc.set, command);
	proc.begun = true;
	proc.pid = getpid();
	proc.t0 = now_monotonic();
}

bool metrics_wanted(void)
{
	return proc.begun && proc.path && proc.pid == getpid();
}

void metrics_record_run(const run_report *r)
{
	if (proc.begun)
		metrics_set_add_run(&proc.set, r, now_unix());
}

void metrics_record_verify(const verify_result *r)
{
	if (proc.begun)
		metrics_set_add_verify(&proc.set, r);
}

void metrics_record_last_success(const char *table, double unix_seconds)
{
	if (proc.begun)
		metrics_set_last_success(&proc.set, table, unix_seconds);
}

void metrics_record_jobs(int64_t running, int64_t stuck, int64_t stale, double idle_seconds)
{
	if (proc.begun)
		metrics_set_jobs(&proc.set, running, stuck, stale, idle_seconds);
}

void metrics_record_ledger_chunks(const char *table, int64_t pending, int64_t failed)
{
	if (proc.begun)
		metrics_set_ledger_chunks(&proc.set, table, pending, failed);
}

bool metrics_end(int exit_status)
{
	bool ok = true;

	if (metrics_wanted()) {
		strbuf sb;

		proc.set.exit_status = exit_status;
		proc.set.duration_seconds = now_monotonic() - proc.t0;
		proc.set.finished_at = now_unix();
		sb_init(&sb, 4096);
		metrics_format(&proc.set, &sb);
		ok = metrics_write_file(proc.path, sb.buf, sb.len);
		sb_release(&sb);
	}
	if (proc.begun)
		metrics_set_release(&proc.set);
	free(proc.path);
	memset(&proc, 0, sizeof(proc));
	return ok;
}
