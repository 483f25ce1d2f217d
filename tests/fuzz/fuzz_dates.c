/*
 * fuzz_dates.c: libFuzzer target for chunk.c, the parsing of --date,
 * --start-date and --end-date and of hours (status --hour, ledger rows). The
 * input is split at its first '|' into two strings.
 *
 * Properties: no crash or undefined behaviour; a date that parses is a real
 * calendar day that formats back to the same text and survives the round
 * trip through days since 1970; an hour that parses formats back to itself;
 * two dates are 24 hours apart for every day between them.
 */
#include <string.h>

#include "chunk.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

static bool date_case(const char *s, civil_date *d)
{
	char out[11];

	if (!date_parse(s, d))
		return false;
	fuzz_check(date_is_valid(d->year, d->month, d->day));
	date_format(*d, out);
	fuzz_check(strcmp(out, s) == 0);
	civil_date back = days_to_date(date_to_days(*d));
	fuzz_check(back.year == d->year && back.month == d->month && back.day == d->day);
	return true;
}

static void hour_case(const char *s)
{
	int64_t h, again;
	char iso[20], sql[20];

	if (!hour_parse(s, &h))
		return;
	hour_format_iso(h, iso);
	hour_format_sql(h, sql);
	fuzz_check(hour_parse(iso, &again) && again == h);
	fuzz_check(hour_parse(sql, &again) && again == h);
	fuzz_check(strncmp(iso, s, 13) == 0 || strncmp(sql, s, 13) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);
	char *bar = strchr(s, '|');
	civil_date a, b;
	bool a_ok, b_ok;

	if (bar)
		*bar = '\0';
	a_ok = date_case(s, &a);
	b_ok = bar && date_case(bar + 1, &b);
	hour_case(s);
	if (bar)
		hour_case(bar + 1);
	/* a range's hours, as process lays them out: 24 a day, back to back */
	if (a_ok && b_ok)
		fuzz_check(hour_of_date(b) - hour_of_date(a) ==
			   (date_to_days(b) - date_to_days(a)) * 24);
	free(s);
	return 0;
}
