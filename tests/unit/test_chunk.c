/*
 * test_chunk.c: unit tests of chunk.c: strict date parsing, day arithmetic,
 * hour formatting and parsing, and the hour windows of a date range.
 */
#include "unit.h"

#include "chunk.h"

/* ---- date_parse ---- */

typedef struct date_case {
	const char *name;
	const char *s;
	bool ok;
	int y, m, d;
} date_case;

#define OK(s, y, m, d) { s, s, true, y, m, d }
#define BAD(name, s) { name, s, false, 0, 0, 0 }

static const date_case date_cases[] = {
	OK("2025-11-02", 2025, 11, 2),
	OK("2024-02-29", 2024, 2, 29),
	OK("2000-02-29", 2000, 2, 29),
	OK("1970-01-01", 1970, 1, 1),
	OK("2025-12-31", 2025, 12, 31),
	OK("2025-04-30", 2025, 4, 30),
	OK("0001-01-01", 1, 1, 1),
	OK("9999-12-31", 9999, 12, 31),
	BAD("2025-02-30 (no such day)", "2025-02-30"),
	BAD("2025-02-29 (not a leap year)", "2025-02-29"),
	BAD("2023-02-29 (not a leap year)", "2023-02-29"),
	BAD("1900-02-29 (century, not a leap year)", "1900-02-29"),
	BAD("2100-02-29 (century, not a leap year)", "2100-02-29"),
	BAD("2025-04-31", "2025-04-31"),
	BAD("2025-13-01 (month 13)", "2025-13-01"),
	BAD("2025-00-10 (month 0)", "2025-00-10"),
	BAD("2025-01-00 (day 0)", "2025-01-00"),
	BAD("2025-01-32", "2025-01-32"),
	BAD("0000-01-01 (year 0)", "0000-01-01"),
	BAD("2025-1-1 (no zero padding)", "2025-1-1"),
	BAD("2025-1-01", "2025-1-01"),
	BAD("empty", ""),
	BAD("trailing garbage", "2025-11-02x"),
	BAD("trailing space", "2025-11-02 "),
	BAD("leading space", " 2025-11-02"),
	BAD("with a time", "2025-11-02 00:00:00"),
	BAD("slashes", "2025/11/02"),
	BAD("no separators", "20251102"),
	BAD("letter in day", "2025-11-0a"),
	BAD("plus sign in year", "+025-11-02"),
	BAD("minus sign in month", "2025--1-02"),
	BAD("5-digit year", "12025-11-02"),
	BAD("day month year", "02-11-2025"),
	BAD("NULL", NULL),
};

#undef OK
#undef BAD

static void test_date_parse(void **state)
{
	const date_case *c = *state;
	civil_date d = { -7, -7, -7 };

	assert_int_equal(date_parse(c->s, &d), c->ok);
	if (c->ok) {
		assert_int_equal(d.year, c->y);
		assert_int_equal(d.month, c->m);
		assert_int_equal(d.day, c->d);
	} else {
		/* nothing written on failure */
		assert_int_equal(d.year, -7);
		assert_int_equal(d.month, -7);
		assert_int_equal(d.day, -7);
	}
}

/* ---- date_to_days, days_to_date, date_format ---- */

typedef struct days_case {
	const char *name;
	civil_date d;
	int64_t days;
} days_case;

static const days_case days_cases[] = {
	{ "1970-01-01 is day 0", { 1970, 1, 1 }, 0 },
	{ "1970-01-02", { 1970, 1, 2 }, 1 },
	{ "1969-12-31", { 1969, 12, 31 }, -1 },
	{ "2000-01-01", { 2000, 1, 1 }, 10957 },
	{ "2000-03-01 (after a 400-year leap day)", { 2000, 3, 1 }, 11017 },
	{ "2024-02-29", { 2024, 2, 29 }, 19782 },
	{ "2025-11-02", { 2025, 11, 2 }, 20394 },
	{ "1900-01-01", { 1900, 1, 1 }, -25567 },
	{ "1600-03-01", { 1600, 3, 1 }, -135080 },
	{ "2100-12-31", { 2100, 12, 31 }, 47846 },
	{ "0001-01-01", { 1, 1, 1 }, -719162 },
	{ "9999-12-31", { 9999, 12, 31 }, 2932896 },
};

static void test_days_known(void **state)
{
	const days_case *c = *state;
	civil_date back = days_to_date(c->days);
	char s[11];

	assert_int_equal(date_to_days(c->d), c->days);
	assert_int_equal(back.year, c->d.year);
	assert_int_equal(back.month, c->d.month);
	assert_int_equal(back.day, c->d.day);
	date_format(c->d, s);
	assert_memory_equal(s, c->name, 10); /* each row's name starts with its date */
	assert_int_equal(s[10], '\0');
}

/* next_day: the calendar's next day, computed without date_to_days */
static civil_date next_day(civil_date d)
{
	if (++d.day > days_in_month(d.year, d.month)) {
		d.day = 1;
		if (++d.month > 12) {
			d.month = 1;
			d.year++;
		}
	}
	return d;
}

/* walks day by day from first to last: each day is valid, is one more than the
 * day before, and survives date_to_days/days_to_date/date_format/date_parse */
static void walk_days(civil_date first, civil_date last, bool parse_too)
{
	civil_date d = first;
	int64_t n = date_to_days(first);
	int64_t count = 0;

	for (;;) {
		civil_date back = days_to_date(n);

		assert_true(date_is_valid(d.year, d.month, d.day));
		assert_int_equal(date_to_days(d), n);
		assert_int_equal(back.year, d.year);
		assert_int_equal(back.month, d.month);
		assert_int_equal(back.day, d.day);
		if (parse_too) {
			char s[11];
			civil_date p;
			date_format(d, s);
			assert_true(date_parse(s, &p));
			assert_int_equal(date_to_days(p), n);
		}
		count++;
		if (d.year == last.year && d.month == last.month && d.day == last.day)
			break;
		d = next_day(d);
		n++;
	}
	assert_int_equal(count, date_to_days(last) - date_to_days(first) + 1);
}

static void test_days_every_day_1900_2100(void **state)
{
	(void)state;
	walk_days((civil_date){ 1900, 1, 1 }, (civil_date){ 2100, 12, 31 }, true);
	/* 201 years, 49 leap years (1900 and 2100 are not, 2000 is) */
	assert_int_equal(date_to_days((civil_date){ 2101, 1, 1 }) -
				 date_to_days((civil_date){ 1900, 1, 1 }),
			 201 * 365 + 49);
}

static void test_days_every_day_0001_9999(void **state)
{
	(void)state;
	walk_days((civil_date){ 1, 1, 1 }, (civil_date){ 9999, 12, 31 }, false);
}

typedef struct month_case {
	const char *name;
	int year, month, days;
} month_case;

static const month_case month_cases[] = {
	{ "January", 2025, 1, 31 },      { "February 2025", 2025, 2, 28 },
	{ "February 2024", 2024, 2, 29 }, { "February 2000", 2000, 2, 29 },
	{ "February 1900", 1900, 2, 28 }, { "April", 2025, 4, 30 },
	{ "June", 2025, 6, 30 },         { "September", 2025, 9, 30 },
	{ "November", 2025, 11, 30 },    { "December", 2025, 12, 31 },
	{ "month 0", 2025, 0, 0 },       { "month 13", 2025, 13, 0 },
};

static void test_days_in_month(void **state)
{
	const month_case *c = *state;
	assert_int_equal(days_in_month(c->year, c->month), c->days);
}

/* ---- hour_format_sql, hour_format_iso, hour_parse ---- */

typedef struct hour_fmt_case {
	const char *name;
	int64_t hour;
	const char *sql;
	const char *iso;
} hour_fmt_case;

static const hour_fmt_case hour_fmt_cases[] = {
	{ "epoch", 0, "1970-01-01 00:00:00", "1970-01-01T00:00:00" },
	{ "hour 13 of day 0", 13, "1970-01-01 13:00:00", "1970-01-01T13:00:00" },
	{ "last hour of day 0", 23, "1970-01-01 23:00:00", "1970-01-01T23:00:00" },
	{ "first hour of day 1", 24, "1970-01-02 00:00:00", "1970-01-02T00:00:00" },
	{ "hour before the epoch", -1, "1969-12-31 23:00:00", "1969-12-31T23:00:00" },
	{ "24 hours before the epoch", -24, "1969-12-31 00:00:00", "1969-12-31T00:00:00" },
	{ "25 hours before the epoch", -25, "1969-12-30 23:00:00", "1969-12-30T23:00:00" },
	{ "2025-11-02 13:00", 20394 * 24 + 13, "2025-11-02 13:00:00", "2025-11-02T13:00:00" },
	{ "leap day 23:00", 19782 * 24 + 23, "2024-02-29 23:00:00", "2024-02-29T23:00:00" },
	{ "1900-01-01 05:00", -25567 * 24 + 5, "1900-01-01 05:00:00", "1900-01-01T05:00:00" },
};

static void test_hour_format(void **state)
{
	const hour_fmt_case *c = *state;
	char out[21];

	memset(out, 'x', sizeof(out));
	hour_format_sql(c->hour, out);
	assert_string_equal(out, c->sql);
	assert_int_equal(out[20], 'x'); /* 20 bytes written at most */
	memset(out, 'x', sizeof(out));
	hour_format_iso(c->hour, out);
	assert_string_equal(out, c->iso);
	assert_int_equal(out[20], 'x');
}

typedef struct hour_parse_case {
	const char *name;
	const char *s;
	bool ok;
	int64_t hour;
} hour_parse_case;

#define OK(s, h) { s, s, true, h }
#define BAD(name, s) { name, s, false, 0 }

static const hour_parse_case hour_parse_cases[] = {
	OK("2025-11-02T13:00:00", 20394 * 24 + 13),
	OK("2025-11-02 13:00:00", 20394 * 24 + 13),
	OK("2025-11-02T00:00:00", 20394 * 24),
	OK("2025-11-02T23:00:00", 20394 * 24 + 23),
	OK("1970-01-01T00:00:00", 0),
	OK("1969-12-31T23:00:00", -1),
	OK("2024-02-29T12:00:00", 19782 * 24 + 12),
	BAD("hour 24", "2025-11-02T24:00:00"),
	BAD("hour 99", "2025-11-02T99:00:00"),
	BAD("not on the hour (minutes)", "2025-11-02T13:30:00"),
	BAD("not on the hour (seconds)", "2025-11-02T13:00:01"),
	BAD("fractional seconds", "2025-11-02T13:00:00.5"),
	BAD("time zone suffix", "2025-11-02T13:00:00Z"),
	BAD("offset suffix", "2025-11-02T13:00:00+01:00"),
	BAD("trailing space", "2025-11-02T13:00:00 "),
	BAD("bad separator", "2025-11-02X13:00:00"),
	BAD("one-digit hour", "2025-11-02T1:00:00"),
	BAD("negative hour", "2025-11-02T-1:00:00"),
	BAD("no such day", "2025-02-30T00:00:00"),
	BAD("date only", "2025-11-02"),
	BAD("date and separator only", "2025-11-02T"),
	BAD("empty", ""),
	BAD("NULL", NULL),
};

#undef OK
#undef BAD

static void test_hour_parse(void **state)
{
	const hour_parse_case *c = *state;
	int64_t h = -12345;

	assert_int_equal(hour_parse(c->s, &h), c->ok);
	assert_int_equal(h, c->ok ? c->hour : -12345);
}

/* every hour of 2024 (a leap year) and around the epoch: format then parse */
static void test_hour_round_trip(void **state)
{
	int64_t first = hour_of_date((civil_date){ 2024, 1, 1 });
	int64_t last = hour_of_date((civil_date){ 2025, 1, 1 });
	char sql[20], iso[20];
	(void)state;

	assert_int_equal(last - first, 366 * 24);
	for (int64_t h = first; h < last; h++) {
		int64_t a = -1, b = -1;
		hour_format_sql(h, sql);
		hour_format_iso(h, iso);
		assert_true(hour_parse(sql, &a));
		assert_true(hour_parse(iso, &b));
		assert_int_equal(a, h);
		assert_int_equal(b, h);
		assert_int_equal(sql[10], ' ');
		assert_int_equal(iso[10], 'T');
		assert_memory_equal(sql, iso, 10);
	}
	for (int64_t h = -48; h < 48; h++) {
		int64_t a = -999;
		hour_format_iso(h, iso);
		assert_true(hour_parse(iso, &a));
		assert_int_equal(a, h);
	}
}

int main(void)
{
	unit_list l = { 0 };

	UNIT_ROWS(&l, "date_parse", test_date_parse, date_cases);
	UNIT_ROWS(&l, "date_to_days", test_days_known, days_cases);
	unit_add(&l, "date_to_days: every day 1900..2100 round trips", NULL,
		 test_days_every_day_1900_2100, NULL);
	unit_add(&l, "date_to_days: every day 0001..9999 round trips", NULL,
		 test_days_every_day_0001_9999, NULL);
	UNIT_ROWS(&l, "days_in_month", test_days_in_month, month_cases);
	UNIT_ROWS(&l, "hour_format", test_hour_format, hour_fmt_cases);
	UNIT_ROWS(&l, "hour_parse", test_hour_parse, hour_parse_cases);
	unit_add(&l, "hour_parse: every hour of 2024 round trips", NULL, test_hour_round_trip, NULL);
	return unit_run(&l, "chunk", NULL, NULL);
}
