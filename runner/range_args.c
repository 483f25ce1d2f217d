/*
 * range_args.c: --date, --start-date/--end-date, --last-days and --table
 * (see range_args.h).
 */
#include "range_args.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

enum { OPT_DATE = 1500, OPT_START, OPT_END, OPT_LAST_DAYS, OPT_TABLE };

#define RANGE_OPTIONS                                                                       \
	{ "date", OPT_DATE, "DATE", 0, "one day, YYYY-MM-DD", 1 },                          \
	{ "start-date", OPT_START, "DATE", 0, "first day of the range, YYYY-MM-DD", 1 },    \
	{ "end-date", OPT_END, "DATE", 0, "last day of the range (inclusive)", 1 }
#define TABLE_OPTION                                                                        \
	{ "table", OPT_TABLE, "NAME", 0, "only this [table NAME] (repeatable; default: all)", 2 }

static const struct argp_option range_options[] = { RANGE_OPTIONS, TABLE_OPTION, { 0 } };
static const struct argp_option range_options_last_days[] = {
	RANGE_OPTIONS,
	{ "last-days", OPT_LAST_DAYS, "N", 0, "the N days before today (UTC): today-N .. yesterday",
	  1 },
	TABLE_OPTION,
	{ 0 }
};

static void parse_day(struct argp_state *state, const char *flag, const char *arg, civil_date *out)
{
	if (!date_parse(arg, out))
		argp_error(state, "%s '%s' is not a valid date: expected YYYY-MM-DD, a real calendar day",
			   flag, arg);
}

/* today_utc: the current date in UTC */
static civil_date today_utc(void)
{
	time_t now = time(NULL);
	int64_t days = (int64_t)now / 86400;

	if ((int64_t)now < 0 && (int64_t)now % 86400)
		days--;
	return days_to_date(days);
}

/* set_once: *slot = arg, or a usage error when the flag was given before */
static void set_once(struct argp_state *state, const char **slot, const char *flag,
		     const char *arg)
{
	if (*slot)
		argp_error(state, "%s given twice", flag);
	*slot = arg;
}

/* resolve: first and last from what was given; usage errors exit 2 */
static void resolve(struct argp_state *state, range_args *r)
{
	int given = !!r->date + !!(r->start_date || r->end_date) + !!r->last_days;

	if (given > 1)
		argp_error(state, r->allow_last_days
					  ? "give one of --date, --start-date/--end-date or --last-days, "
					    "not several"
					  : "give either --date or --start-date/--end-date, not both");
	if (r->date) {
		parse_day(state, "--date", r->date, &r->first);
		r->last = r->first;
	} else if (r->start_date && r->end_date) {
		parse_day(state, "--start-date", r->start_date, &r->first);
		parse_day(state, "--end-date", r->end_date, &r->last);
		if (date_to_days(r->last) < date_to_days(r->first))
			argp_error(state, "--end-date %s is before --start-date %s", r->end_date,
				   r->start_date);
	} else if (r->start_date || r->end_date) {
		argp_error(state, "--start-date and --end-date go together");
	} else if (r->last_days) {
		int64_t n, today = date_to_days(today_utc());
		if (!str_to_int64(r->last_days, &n) || n < 1 || n > MAX_MAX_RANGE_DAYS)
			argp_error(state, "--last-days must be a whole number between 1 and %d, not '%s'",
				   MAX_MAX_RANGE_DAYS, r->last_days);
		r->first = days_to_date(today - n);
		r->last = days_to_date(today - 1);
	} else {
		argp_error(state, r->allow_last_days
					  ? "which days? give --date D, --start-date D --end-date D or "
					    "--last-days N"
					  : "which days? give --date D or --start-date D --end-date D");
	}
	/* the length is checked against max_range_days once the config is read
	 * (session_check_range) */
}

static error_t parse_range(int key, char *arg, struct argp_state *state)
{
	range_args *r = state->input;

	switch (key) {
	case OPT_DATE: set_once(state, &r->date, "--date", arg); break;
	case OPT_START: set_once(state, &r->start_date, "--start-date", arg); break;
	case OPT_END: set_once(state, &r->end_date, "--end-date", arg); break;
	case OPT_LAST_DAYS: set_once(state, &r->last_days, "--last-days", arg); break;
	case OPT_TABLE:
		range_args_add_table(r, arg);
		break;
	case ARGP_KEY_END:
		resolve(state, r);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp range_argp = { range_options, parse_range, NULL, NULL, NULL, NULL, NULL };
const struct argp range_argp_last_days = { range_options_last_days, parse_range, NULL, NULL,
					   NULL, NULL, NULL };

void range_args_add_table(range_args *r, const char *name)
{
	r->tables = xrealloc(r->tables, sizeof(char *) * (size_t)(r->ntables + 1));
	r->tables[r->ntables++] = name;
}

bool range_args_check_tables(const range_args *r, config *cfg)
{
	for (int i = 0; i < r->ntables; i++) {
		if (config_find_table(cfg, r->tables[i]))
			continue;
		strbuf known;
		sb_init(&known, 128);
		for (int t = 0; t < cfg->ntables; t++)
			sb_addf(&known, "%s%s", t ? ", " : "", cfg->tables[t].name);
		log_error("--table %s: no [table %s] section in %s (known: %s)", r->tables[i],
			  r->tables[i], cfg->path, known.buf);
		sb_release(&known);
		return false;
	}
	return true;
}

bool range_args_wanted(const range_args *r, const char *name)
{
	if (r->ntables == 0)
		return true;
	for (int i = 0; i < r->ntables; i++)
		if (strcmp(r->tables[i], name) == 0)
			return true;
	return false;
}

void range_args_release(range_args *r)
{
	free(r->tables);
	r->tables = NULL;
	r->ntables = 0;
}
