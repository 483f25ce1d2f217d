/*
 * chunk.c: date parsing, hour windows and the time zone (see chunk.h). Day
 * arithmetic uses the proleptic Gregorian calendar (Howard Hinnant's
 * days-from-civil method); zone offsets come from the C library's tz code.
 */
#include "chunk.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (month < 1 || month > 12)
		return 0;
	return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

bool date_is_valid(int year, int month, int day)
{
	return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
	       day <= days_in_month(year, month);
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool date_parse(const char *s, civil_date *out)
{
	civil_date d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	if (!digits(s, 4, &d.year) || !digits(s + 5, 2, &d.month) || !digits(s + 8, 2, &d.day))
		return false;
	if (!date_is_valid(d.year, d.month, d.day))
		return false;
	*out = d;
	return true;
}

int64_t date_to_days(civil_date d)
{
	int64_t y = d.year - (d.month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (d.month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

civil_date days_to_date(int64_t z)
{
	civil_date d;
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	d.year = (int)(yoe + era * 400 + (d.month <= 2));
	return d;
}

static void put_digits(char *out, int value, int width)
{
	unsigned v = (unsigned)(value < 0 ? 0 : value);
	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

void date_format(civil_date d, char *out)
{
	put_digits(out, d.year, 4);
	out[4] = '-';
	put_digits(out + 5, d.month, 2);
	out[7] = '-';
	put_digits(out + 8, d.day, 2);
	out[10] = '\0';
}

static void hour_format(int64_t hour, char sep, char *out)
{
	int64_t days = hour >= 0 ? hour / 24 : (hour - 23) / 24;
	int h = (int)(hour - days * 24);
	date_format(days_to_date(days), out);
	out[10] = sep;
	put_digits(out + 11, h, 2);
	memcpy(out + 13, ":00:00", 7);
}

void hour_format_sql(int64_t hour, char *out)
{
	hour_format(hour, ' ', out);
}

void hour_format_iso(int64_t hour, char *out)
{
	hour_format(hour, 'T', out);
}

int64_t hour_of_date(civil_date d)
{
	return date_to_days(d) * 24;
}

bool hour_parse(const char *s, int64_t *out)
{
	char day[11];
	civil_date d;
	int h;

	if (!s || strlen(s) < 13 || (s[10] != 'T' && s[10] != ' '))
		return false;
	memcpy(day, s, 10);
	day[10] = '\0';
	if (!date_parse(day, &d) || !digits(s + 11, 2, &h) || h > 23)
		return false;
	if (s[13] != '\0' && strcmp(s + 13, ":00:00") != 0 && strcmp(s + 13, ":00") != 0)
		return false;
	*out = hour_of_date(d) + h;
	return true;
}

static char zone[128] = "UTC";

bool zone_set(const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[512];

	if (strcmp(name, "UTC") != 0) {
		snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
		if (strlen(name) >= sizeof(zone) || name[0] == '/' || strstr(name, "..") ||
		    access(path, R_OK) != 0) {
			log_error("time zone '%s' is unknown: no %s in the tz database", name, path);
			return false;
		}
	}
	snprintf(zone, sizeof(zone), "%s", name);
	setenv("TZ", strcmp(name, "UTC") == 0 ? "UTC0" : name, 1);
	tzset();
	return true;
}

const char *zone_name(void)
{
	return zone;
}

bool zone_is_utc(void)
{
	return strcmp(zone, "UTC") == 0;
}

/* offset_at: the zone's UTC offset in seconds at instant t */
static int64_t offset_at(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (zone_is_utc() || !localtime_r(&tt, &tm))
		return 0;
	return tm.tm_gmtoff;
}

bool zone_local_exists(int64_t t)
{
	/* the offsets in force a day either side; offsets and the gaps between
	 * clock changes are all shorter than a day */
	int64_t before = offset_at(t - 86400), after = offset_at(t + 86400);

	return offset_at(t - before) == before || offset_at(t - after) == after;
}

int64_t zone_utc_to_local(int64_t t)
{
	return t + offset_at(t);
}

bool naive_parse(const char *v, size_t len, int64_t *out)
{
	civil_date d;
	int h = 0, mi = 0, s = 0;

	if (len < 10 || v[4] != '-' || v[7] != '-' || !digits(v, 4, &d.year) ||
	    !digits(v + 5, 2, &d.month) || !digits(v + 8, 2, &d.day))
		return false;
	if (len >= 19 && (!digits(v + 11, 2, &h) || !digits(v + 14, 2, &mi) || !digits(v + 17, 2, &s)))
		return false;
	*out = date_to_days(d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}

void naive_format(int64_t t, char *out)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t rest = t - days * 86400;

	date_format(days_to_date(days), out);
	out[10] = ' ';
	put_digits(out + 11, (int)(rest / 3600), 2);
	out[13] = ':';
	put_digits(out + 14, (int)(rest / 60 % 60), 2);
	out[16] = ':';
	put_digits(out + 17, (int)(rest % 60), 2);
	out[19] = '\0';
}
