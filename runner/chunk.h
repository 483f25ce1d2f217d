/*
 * chunk.h: calendar dates, the hour windows that etlre works in, and the
 * [etlre] timezone. Pure: no database; unit-tested in tests/unit/test_chunk.c.
 *
 * An hour is a naive (zone-less) wall-clock hour of the source column, kept
 * as the number of hours since 1970-01-01 00:00. A window is the half-open
 * interval [start, start + length) with length 1 hour (hourly batch mode) or
 * 24 hours (daily batch mode).
 */
#ifndef ETLRE_CHUNK_H
#define ETLRE_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct civil_date {
	int year, month, day;
} civil_date;

/* date_parse: strict YYYY-MM-DD with a real calendar date in 0001..9999. */
bool date_parse(const char *s, civil_date *out);
bool date_is_valid(int year, int month, int day);
int days_in_month(int year, int month);
/* days since 1970-01-01 and back */
int64_t date_to_days(civil_date d);
civil_date days_to_date(int64_t days);
/* date_format: YYYY-MM-DD into out (at least 11 bytes) */
void date_format(civil_date d, char *out);

typedef struct window {
	int64_t start_hour; /* hours since epoch */
	int hours;          /* 1 or 24 */
} window;

/* hour_format_sql: "2025-11-02 13:00:00" (out >= 20 bytes) */
void hour_format_sql(int64_t hour, char *out);
/* hour_format_iso: "2025-11-02T13:00:00" (out >= 20 bytes) */
void hour_format_iso(int64_t hour, char *out);
int64_t hour_of_date(civil_date d);
/* hour_parse_iso: accepts YYYY-MM-DDTHH:00:00 or YYYY-MM-DD HH:00:00 */
bool hour_parse(const char *s, int64_t *out);

/*
 * The [etlre] timezone. Source DATETIME values are naive wall-clock times in
 * it; TIMESTAMP values are read in UTC and turned into wall-clock times here.
 * The zone comes from the system's tz database (TZDIR or /usr/share/zoneinfo)
 * and is set once per process, through TZ, before any connection is made.
 */
/* zone_set: makes name ("UTC", "Europe/Madrid", ...) the zone of wall-clock
 * times; false (logged) when the tz database does not know it */
bool zone_set(const char *name);
/* zone_name: the zone set ("UTC" until zone_set) */
const char *zone_name(void);
bool zone_is_utc(void);
/* zone_local_exists: does wall-clock time t (seconds since 1970-01-01 00:00
 * on the wall clock) happen in the zone? false in the gap of a spring-forward */
bool zone_local_exists(int64_t t);
/* zone_utc_to_local: the wall-clock time of instant t (seconds since epoch) */
int64_t zone_utc_to_local(int64_t t);

/* naive_parse: the seconds of "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (the
 * first 10 or 19 bytes of v; the rest is not read) since 1970-01-01 00:00 */
bool naive_parse(const char *v, size_t len, int64_t *out);
/* naive_format: "YYYY-MM-DD HH:MM:SS" into out (at least 20 bytes) */
void naive_format(int64_t t, char *out);

#endif
