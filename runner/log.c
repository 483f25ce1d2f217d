/*
 * log.c: the stderr logger (see log.h). Lines are written with one fwrite so
 * that concurrent processes writing to one log file do not interleave lines.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

static log_level current_level = LOG_INFO;
static log_format current_format = LOG_FORMAT_TEXT;
static int64_t ctx_job_id;
static char ctx_table[128];
static char ctx_hour[32];

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

void log_set_context(int64_t job_id, const char *table, const char *hour)
{
	ctx_job_id = job_id;
	snprintf(ctx_table, sizeof(ctx_table), "%s", table ? table : "");
	snprintf(ctx_hour, sizeof(ctx_hour), "%s", hour ? hour : "");
}

void log_msg(log_level level, const char *fmt, ...)
{
	char when[32];
	strbuf msg, line;
	va_list ap;
	int n;

	if (!log_enabled(level))
		return;
	now_iso8601_utc(when);

	sb_init(&msg, 256);
	va_start(ap, fmt);
	n = vsnprintf(msg.buf, msg.alloc, fmt, ap);
	va_end(ap);
	if ((size_t)n >= msg.alloc) {
		sb_grow(&msg, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(msg.buf, msg.alloc, fmt, ap);
		va_end(ap);
	}
	msg.len = (size_t)n;

	sb_init(&line, msg.len + 128);
	if (current_format == LOG_FORMAT_JSON) {
		sb_adds(&line, "{\"time\":");
		json_add_string(&line, when);
		sb_adds(&line, ",\"level\":");
		json_add_string(&line, level_names[level]);
		if (ctx_job_id > 0)
			sb_addf(&line, ",\"job_id\":%lld", (long long)ctx_job_id);
		if (ctx_table[0]) {
			sb_adds(&line, ",\"table\":");
			json_add_string(&line, ctx_table);
		}
		if (ctx_hour[0]) {
			sb_adds(&line, ",\"hour\":");
			json_add_string(&line, ctx_hour);
		}
		sb_adds(&line, ",\"message\":");
		json_add_string(&line, msg.buf);
		sb_adds(&line, "}\n");
	} else {
		sb_addf(&line, "%s %-5s ", when, level_names[level]);
		if (ctx_job_id > 0)
			sb_addf(&line, "job %lld: ", (long long)ctx_job_id);
		sb_add(&line, msg.buf, msg.len);
		sb_addc(&line, '\n');
	}
	fwrite(line.buf, 1, line.len, stderr);
	fflush(stderr);
	sb_release(&line);
	sb_release(&msg);
}
