/*
 * test_progress.c: unit tests of progress_format, the text of the progress
 * line: hours, percentage, rows, rate, ETA and what is being loaded.
 */
#include "unit.h"

#include "progress.h"

typedef struct progress_case {
	const char *name;
	int64_t done, total, rows;
	double elapsed;
	const char *table, *hour;
	const char *want;
} progress_case;

static const progress_case progress_cases[] = {
	{ "nothing done yet", 0, 24, 0, 0.0, NULL, NULL,
	  "0/24 hours (0%), 0 rows, 0 rows/s, ETA ?" },
	{ "a quarter, with the hour being loaded", 6, 24, 600000, 3.0, "calls",
	  "2025-11-02T06:00:00",
	  "6/24 hours (25%), 600000 rows, 200000 rows/s, ETA 0m09s, now calls 2025-11-02T06:00:00" },
	{ "ETA in hours", 1, 168, 1000, 60.0, NULL, NULL,
	  "1/168 hours (1%), 1000 rows, 17 rows/s, ETA 2h47m" },
	{ "all done", 72, 72, 5, 2.0, NULL, NULL,
	  "72/72 hours (100%), 5 rows, 2 rows/s, ETA 0m00s" },
	{ "table without hour is not shown", 1, 2, 10, 1.0, "calls", NULL,
	  "1/2 hours (50%), 10 rows, 10 rows/s, ETA 0m01s" },
	{ "more done than planned (workers from elsewhere): no ETA", 5, 4, 10, 1.0, NULL, NULL,
	  "5/4 hours (125%), 10 rows, 10 rows/s, ETA ?" },
};

static void test_format(void **state)
{
	const progress_case *c = *state;
	char out[256];

	progress_format(out, sizeof(out), c->done, c->total, c->rows, c->elapsed, c->table, c->hour);
	assert_string_equal(out, c->want);
}

static void test_format_truncates(void **state)
{
	char out[16];

	(void)state;
	progress_format(out, sizeof(out), 6, 24, 600000, 3.0, "calls", "2025-11-02T06:00:00");
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_memory_equal(out, "6/24 hours (25%", 15);
}

int main(void)
{
	unit_list l = { 0 };

	UNIT_ROWS(&l, "progress_format", test_format, progress_cases);
	unit_add(&l, "progress_format: truncated to the buffer", NULL, test_format_truncates, NULL);
	return unit_run(&l, "progress", NULL, NULL);
}
