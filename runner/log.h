/*
 * log.h: etlre's logger. Everything goes to stderr, as text lines with a UTC
 * timestamp and level, or as one JSON object per line (--log-format json);
 * with --log-file, to that file instead (appended; errors also on stderr),
 * reopened at the next line after a SIGHUP so that logrotate can move it.
 * A context (job id, table, hour) can be set so that each line carries it.
 */
#ifndef ETLRE_LOG_H
#define ETLRE_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

typedef enum { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level;
typedef enum { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON } log_format;

bool log_parse_level(const char *s, log_level *out);
bool log_parse_format(const char *s, log_format *out);
void log_setup(log_level level, log_format format);
bool log_enabled(log_level level);
/* log_open_file: --log-file: lines are appended to path from now on (created
 * 0640 if missing). False, with err saying why, when it cannot be opened;
 * logs nothing. */
bool log_open_file(const char *path, char *err, size_t errsize);
/* log_close_file: closes the --log-file, if any (lines go to stderr again) */
void log_close_file(void);
/* log_request_reopen: async-signal-safe; the next line reopens the log file
 * by its path first (after logrotate moved it). Nothing without a file. */
void log_request_reopen(void);
/* log_to_terminal: true when log lines go to a terminal (stderr is one and
 * there is no --log-file) */
bool log_to_terminal(void);
/* log_hour_level: the level of the per-hour lines (an hour loaded, merge's
 * counts): debug when the log goes to a terminal, where the progress line
 * shows how far the job got, else info */
log_level log_hour_level(void);
/* log_set_context: job id (0 = none), table and hour (NULL = none); copied. */
void log_set_context(int64_t job_id, const char *table, const char *hour);

/* log_fields: what a JSON line carries besides the message, for log
 * shippers; text lines show only the message. Unset fields are left out. */
typedef struct log_fields {
	const char *event;       /* e.g. "hour_done", "hour_failed", "progress" */
	const char *error_class; /* connection, timeout, invalid_data, ... */
	bool has_counts;         /* rows_* and seconds below are set */
	int64_t rows_read, rows_loaded, rows_rejected, rows_deleted, rows_moved;
	double seconds;
	bool has_progress;       /* hours_done and hours_total are set */
	int64_t hours_done, hours_total;
} log_fields;

void log_event(log_level level, const log_fields *f, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* log_msg: a line at level with no fields besides the message */
#define log_msg(level, ...) log_event((level), NULL, __VA_ARGS__)

/* log_set_line_hooks: functions called before and after each line written
 * to stderr (the progress display clears its line before and draws it again
 * after, so that it stays below the log lines); NULL for none */
void log_set_line_hooks(void (*before)(void), void (*after)(void));

/* log_last_error: the message of the last error logged ("" if none); valid
 * until the next one (etlre check shows it next to the check that failed) */
const char *log_last_error(void);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
