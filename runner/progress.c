/*
 * progress.c: the progress display (see progress.h). On a terminal the line
 * is written with a carriage return and erase-to-end-of-line, at most five
 * times a second, cut to the terminal's width so that it never wraps; a log
 * line clears it and draws it again below itself. Elsewhere it becomes an
 * info log line every interval.
 */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define TTY_REDRAW_SECONDS 0.2

static struct {
	bool enabled;     /* not --quiet */
	double interval;  /* plain lines: seconds between them, 0 none */
	bool tty;         /* stderr is a terminal */
	bool active;      /* between begin and end */
	bool drawn;       /* a line is on the terminal now */
	double t0, last;
	int64_t total;
	char line[256];   /* the text last drawn; "" none yet */
} st;

static void clear_line(void)
{
	if (st.drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		st.drawn = false;
	}
}

/* draw_line: st.line on the terminal, in place of what was there, cut to
 * one column less than the terminal is wide */
static void draw_line(void)
{
	struct winsize ws;
	int width = (int)sizeof(st.line);

	if (!st.line[0])
		return;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		width = ws.ws_col - 1;
	fprintf(stderr, "\r\033[K%.*s", width, st.line);
	fflush(stderr);
	st.drawn = true;
}

void progress_configure(bool enabled, double interval_seconds)
{
	st.enabled = enabled;
	st.interval = interval_seconds;
	st.tty = isatty(STDERR_FILENO) == 1;
}

void progress_begin(int64_t hours_total)
{
	if (!st.enabled || (!st.tty && st.interval <= 0))
		return;
	st.active = true;
	st.drawn = false;
	st.total = hours_total;
	st.t0 = st.last = now_monotonic();
	st.line[0] = '\0';
	if (st.tty) {
		st.last -= TTY_REDRAW_SECONDS; /* the first update draws at once */
		log_set_line_hooks(clear_line, draw_line);
	}
}

bool progress_active(void)
{
	return st.active;
}

static void format_eta(char out[24], double seconds)
{
	long s = (long)(seconds + 0.5);

	if (s >= 3600)
		snprintf(out, 24, "%ldh%02ldm", s / 3600, s / 60 % 60);
	else
		snprintf(out, 24, "%ldm%02lds", s / 60, s % 60);
}

void progress_format(char *out, size_t size, int64_t hours_done, int64_t hours_total,
		     int64_t rows, double elapsed, const char *table, const char *hour)
{
	char eta[24] = "?";
	double pct = hours_total > 0 ? 100.0 * (double)hours_done / (double)hours_total : 0;
	double rate = elapsed > 0 ? (double)rows / elapsed : 0;
	int n;

	if (hours_done > 0 && hours_done <= hours_total)
		format_eta(eta, elapsed / (double)hours_done * (double)(hours_total - hours_done));
	n = snprintf(out, size, "%lld/%lld hours (%.0f%%), %lld rows, %.0f rows/s, ETA %s",
		     (long long)hours_done, (long long)hours_total, pct, (long long)rows, rate, eta);
	if (table && hour && n > 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n, ", now %s %s", table, hour);
}

void progress_update(int64_t hours_done, int64_t rows, const char *table, const char *hour)
{
	char line[256];
	double now = now_monotonic();

	if (!st.active)
		return;
	if (now - st.last < (st.tty ? TTY_REDRAW_SECONDS : st.interval))
		return;
	st.last = now;
	progress_format(line, sizeof(line), hours_done, st.total, rows, now - st.t0, table, hour);
	if (st.tty) {
		memcpy(st.line, line, sizeof(st.line));
		draw_line();
	} else {
		log_event(LOG_INFO,
			  &(log_fields){ .event = "progress", .has_progress = true,
					 .hours_done = hours_done, .hours_total = st.total,
					 .has_counts = true, .rows_loaded = rows,
					 .seconds = now - st.t0 },
			  "progress: %s", line);
	}
}

static void clear_always(void)
{
	fputs("\r\033[K", stderr);
}

void progress_forked(void)
{
	bool tty_line = st.active && st.tty;

	st.active = st.drawn = false;
	log_set_line_hooks(tty_line ? clear_always : NULL, NULL);
}

void progress_end(void)
{
	if (!st.active)
		return;
	clear_line();
	log_set_line_hooks(NULL, NULL);
	st.active = false;
}
