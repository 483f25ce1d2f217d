/*
 * log.c: the logger (see log.h). Lines are written with one fwrite (stderr)
 * or one write(2) on an O_APPEND descriptor (--log-file) so that concurrent
 * processes writing to one log file do not interleave lines.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"

static log_level current_level = LOG_INFO;
static log_format current_format = LOG_FORMAT_TEXT;
static int64_t ctx_job_id;
static char ctx_table[128];
static char ctx_hour[32];

static void (*before_line)(void);
static void (*after_line)(void);
static int file_fd = -1;          /* --log-file; -1: stderr */
static char *file_path;           /* owned */
static volatile sig_atomic_t reopen_wanted;
static char last_error[1024];

static const char *level_names[] = { "error", "warn", "info", "debug" };

bool log_parse_level(const char *s, log_level *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (log_level)i;
			return true;
		}
	}
	return false;
}

bool log_parse_format(const char *s, log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return false;
	return true;
}

void log_setup(log_level level, log_format format)
{
	current_level = level;
	current_format = format;
}

bool log_enabled(log_level level)
{
	return level <= current_level;
}

/* open_log: path opened for appending, or -1 with err set */
static int open_log(const char *path, char *err, size_t errsize)
{
	struct stat st;
	int fd;

	if (!*path) {
		snprintf(err, errsize, "the path is empty");
		return -1;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		snprintf(err, errsize, "cannot open '%s' for appending: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "'%s' is not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

bool log_open_file(const char *path, char *err, size_t errsize)
{
	int fd = open_log(path, err, errsize);

	if (fd < 0)
		return false;
	log_close_file();
	file_fd = fd;
	file_path = xstrdup(path);
	return true;
}

void log_close_file(void)
{
	if (file_fd >= 0)
		close(file_fd);
	file_fd = -1;
	free(file_path);
	file_path = NULL;
}

void log_request_reopen(void)
{
	reopen_wanted = 1;
}

bool log_to_terminal(void)
{
	return file_fd < 0 && isatty(STDERR_FILENO) == 1;
}

log_level log_hour_level(void)
{
	return log_to_terminal() ? LOG_DEBUG : LOG_INFO;
}

/* reopen_if_asked: after a SIGHUP, the file at the path again (a new one
 * when logrotate moved the old); on failure the old one is kept and stderr
 * says why */
static void reopen_if_asked(void)
{
	char err[512];
	int fd;

	if (!reopen_wanted || file_fd < 0)
		return;
	reopen_wanted = 0;
	fd = open_log(file_path, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "etlre: --log-file: %s; still writing to the file it had open\n", err);
		return;
	}
	close(file_fd);
	file_fd = fd;
}

/* write_file: the whole line to the log file (a short write is retried) */
static void write_file(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(file_fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void log_set_context(int64_t job_id, const char *table, const char *hour)
{
	ctx_job_id = job_id;
	snprintf(ctx_table, sizeof(ctx_table), "%s", table ? table : "");
	snprintf(ctx_hour, sizeof(ctx_hour), "%s", hour ? hour : "");
}

const char *log_last_error(void)
{
	return last_error;
}

void log_set_line_hooks(void (*before)(void), void (*after)(void))
{
	before_line = before;
	after_line = after;
}

static void add_fields(strbuf *line, const log_fields *f)
{
	if (f->event) {
		json_add_member(line, "event", f->event);
	}
	if (f->error_class) {
		json_add_member(line, "error_class", f->error_class);
	}
	if (f->has_counts)
		sb_addf(line,
			",\"rows_read\":%lld,\"rows_loaded\":%lld,\"rows_rejected\":%lld,"
			"\"rows_deleted\":%lld,\"rows_moved\":%lld,\"seconds\":%.3f",
			(long long)f->rows_read, (long long)f->rows_loaded, (long long)f->rows_rejected,
			(long long)f->rows_deleted, (long long)f->rows_moved, f->seconds);
	if (f->has_progress)
		sb_addf(line, ",\"hours_done\":%lld,\"hours_total\":%lld", (long long)f->hours_done,
			(long long)f->hours_total);
}

static void log_line(log_level level, const log_fields *f, const char *fmt, va_list ap)
{
	char when[32];
	strbuf msg, line;
	va_list ap2;
	int n;

	now_iso8601_utc(when);
	sb_init(&msg, 256);
	va_copy(ap2, ap);
	n = vsnprintf(msg.buf, msg.alloc, fmt, ap);
	if ((size_t)n >= msg.alloc) {
		sb_grow(&msg, (size_t)n);
		vsnprintf(msg.buf, msg.alloc, fmt, ap2);
	}
	va_end(ap2);
	msg.len = (size_t)n;
	if (level == LOG_ERROR)
		snprintf(last_error, sizeof(last_error), "%s", msg.buf);

	sb_init(&line, msg.len + 128);
	if (current_format == LOG_FORMAT_JSON) {
		sb_adds(&line, "{\"time\":");
		json_add_string(&line, when);
		json_add_member(&line, "level", level_names[level]);
		if (ctx_job_id > 0)
			sb_addf(&line, ",\"job_id\":%lld", (long long)ctx_job_id);
		if (ctx_table[0]) {
			json_add_member(&line, "table", ctx_table);
		}
		if (ctx_hour[0]) {
			json_add_member(&line, "hour", ctx_hour);
		}
		if (f)
			add_fields(&line, f);
		json_add_member(&line, "message", msg.buf);
		sb_adds(&line, "}\n");
	} else {
		sb_addf(&line, "%s %-5s ", when, level_names[level]);
		if (ctx_job_id > 0)
			sb_addf(&line, "job %lld: ", (long long)ctx_job_id);
		sb_add(&line, msg.buf, msg.len);
		sb_addc(&line, '\n');
	}
	reopen_if_asked();
	if (file_fd >= 0)
		write_file(line.buf, line.len);
	if (file_fd < 0 || level == LOG_ERROR) {
		if (before_line)
			before_line();
		fwrite(line.buf, 1, line.len, stderr);
		fflush(stderr);
		if (after_line)
			after_line();
	}
	sb_release(&line);
	sb_release(&msg);
}

void log_event(log_level level, const log_fields *f, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_line(level, f, fmt, ap);
	va_end(ap);
}
