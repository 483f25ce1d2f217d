/*
 * cmd_verify.c: `etlre verify`: compares source and target hour by hour for
 * a range of days (verify.c does the comparing) and reports the hours that
 * differ, as text or one JSON object. Reads only; records no job.
 * Exit status: 0 all hours match, 3 some differ, 2 usage or configuration,
 * 4 a server cannot be reached, 1 a comparison query failed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chunk.h"
#include "cli.h"
#include "exitcode.h"
#include "json.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "plan.h"
#include "session.h"
#include "signals.h"
#include "verify.h"

#define MAX_RANGE_DAYS 3660

typedef struct verify_opts {
	const char *date, *start_date, *end_date, *last_days;
	civil_date first, last;
	const char **tables;
	int ntables;
	bool deep, repair, json;
} verify_opts;

enum { OPT_DATE = 2000, OPT_START, OPT_END, OPT_LAST_DAYS, OPT_TABLE, OPT_DEEP, OPT_REPAIR, OPT_JSON };

static const struct argp_option verify_options_table[] = {
	{ "date", OPT_DATE, "DATE", 0, "one day, YYYY-MM-DD", 1 },
	{ "start-date", OPT_START, "DATE", 0, "first day of the range, YYYY-MM-DD", 1 },
	{ "end-date", OPT_END, "DATE", 0, "last day of the range (inclusive)", 1 },
	{ "last-days", OPT_LAST_DAYS, "N", 0,
	  "the N days before today (UTC): today-N .. yesterday", 1 },
	{ "table", OPT_TABLE, "NAME", 0, "only this [table NAME] (repeatable; default: all)", 2 },
	{ "deep", OPT_DEEP, 0, 0,
	  "compare content too: a checksum per hour, and the keys that differ", 2 },
	{ "repair", OPT_REPAIR, 0, 0, "reprocess the hours that differ (not implemented yet)", 2 },
	{ "json", OPT_JSON, 0, 0, "print the result as one JSON object on stdout", 3 },
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

static void resolve_range(struct argp_state *state, verify_opts *o)
{
	int given = !!o->date + !!(o->start_date || o->end_date) + !!o->last_days;

	if (given > 1)
		argp_error(state, "give one of --date, --start-date/--end-date or --last-days");
	if (o->date) {
		parse_day(state, "--date", o->date, &o->first);
		o->last = o->first;
	} else if (o->start_date && o->end_date) {
		parse_day(state, "--start-date", o->start_date, &o->first);
		parse_day(state, "--end-date", o->end_date, &o->last);
		if (date_to_days(o->last) < date_to_days(o->first))
			argp_error(state, "--end-date %s is before --start-date %s", o->end_date,
				   o->start_date);
	} else if (o->start_date || o->end_date) {
		argp_error(state, "--start-date and --end-date go together");
	} else if (o->last_days) {
		int64_t n, today = date_to_days(today_utc());
		if (!str_to_int64(o->last_days, &n) || n < 1 || n > MAX_RANGE_DAYS)
			argp_error(state, "--last-days must be a whole number between 1 and %d, not '%s'",
				   MAX_RANGE_DAYS, o->last_days);
		o->first = days_to_date(today - n);
		o->last = days_to_date(today - 1);
	} else {
		argp_error(state, "which days? give --date D, --start-date D --end-date D or --last-days N");
	}
	if (date_to_days(o->last) - date_to_days(o->first) + 1 > MAX_RANGE_DAYS)
		argp_error(state, "the range is longer than %d days; split it", MAX_RANGE_DAYS);
}

static error_t parse_verify(int key, char *arg, struct argp_state *state)
{
	verify_opts *o = state->input;

	switch (key) {
	case OPT_DATE:
		if (o->date)
			argp_error(state, "--date given twice");
		o->date = arg;
		break;
	case OPT_START:
		if (o->start_date)
			argp_error(state, "--start-date given twice");
		o->start_date = arg;
		break;
	case OPT_END:
		if (o->end_date)
			argp_error(state, "--end-date given twice");
		o->end_date = arg;
		break;
	case OPT_LAST_DAYS:
		if (o->last_days)
			argp_error(state, "--last-days given twice");
		o->last_days = arg;
		break;
	case OPT_TABLE:
		o->tables = xrealloc(o->tables, sizeof(char *) * (size_t)(o->ntables + 1));
		o->tables[o->ntables++] = arg;
		break;
	case OPT_DEEP: o->deep = true; break;
	case OPT_REPAIR: o->repair = true; break;
	case OPT_JSON: o->json = true; break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		resolve_range(state, o);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* check_tables: every --table names a [table] section; else logs the known ones */
static bool check_tables(session *s, const verify_opts *o)
{
	for (int i = 0; i < o->ntables; i++) {
		if (config_find_table(&s->cfg, o->tables[i]))
			continue;
		strbuf known;
		sb_init(&known, 128);
		for (int t = 0; t < s->cfg.ntables; t++)
			sb_addf(&known, "%s%s", t ? ", " : "", s->cfg.tables[t].name);
		log_error("--table %s: no [table %s] section in %s (known: %s)", o->tables[i],
			  o->tables[i], s->cfg.path, known.buf);
		sb_release(&known);
		return false;
	}
	return true;
}

static bool wanted(const verify_opts *o, const char *name)
{
	if (o->ntables == 0)
		return true;
	for (int i = 0; i < o->ntables; i++)
		if (strcmp(o->tables[i], name) == 0)
			return true;
	return false;
}

/* ---- output ---- */

static void print_text(const verify_result *r, const verify_opts *o)
{
	char first[11], last[11];

	date_format(o->first, first);
	date_format(o->last, last);
	printf("verify %s .. %s (%s): %s\n", first, last, o->deep ? "counts and content" : "counts",
	       verify_differs(r) ? "differs" : "ok");
	for (int i = 0; i < r->nhours; i++) {
		const verify_hour *h = &r->hours[i];
		char hour[20];

		hour_format_iso(h->hour, hour);
		printf("%s %s %s: source %lld, target %lld, rejected %lld\n", r->tables[h->table].name,
		       hour, verify_status_name(h->status), (long long)h->source_rows,
		       (long long)h->target_rows, (long long)h->rejected_rows);
		for (int k = 0; k < h->nkeys; k++) {
			const verify_key *vk = &h->keys[k];
			printf("    %-7s %s", key_diff_name(vk->diff), vk->key);
			for (int c = 0; c < vk->ncolumns; c++)
				printf("%s%s", c ? ", " : ": ", vk->columns[c]);
			printf("\n");
		}
		if (h->keys_total > h->nkeys)
			printf("    ... and %lld more keys (%d listed per hour)\n",
			       (long long)(h->keys_total - h->nkeys), h->nkeys);
	}
	printf("%-20s %6s %6s %8s %6s %8s %12s %12s %10s\n", "table", "hours", "ok", "missing",
	       "extra", "changed", "source rows", "target rows", "rejected");
	for (int i = 0; i < r->ntables; i++) {
		const verify_table *t = &r->tables[i];
		int differ = t->hours_missing + t->hours_extra + t->hours_changed;
		printf("%-20s %6d %6d %8d %6d %8d %12lld %12lld %10lld\n", t->name, t->hours,
		       t->hours - differ, t->hours_missing, t->hours_extra, t->hours_changed,
		       (long long)t->source_rows, (long long)t->target_rows,
		       (long long)t->rejected_rows);
	}
	fflush(stdout);
}

static void print_json(const verify_result *r, const verify_opts *o)
{
	strbuf sb;
	char first[11], last[11];

	date_format(o->first, first);
	date_format(o->last, last);
	sb_init(&sb, 4096);
	sb_addf(&sb, "{\"status\":\"%s\",\"start_date\":\"%s\",\"end_date\":\"%s\",\"deep\":%s,"
		     "\"tables\":[",
		verify_differs(r) ? "differs" : "ok", first, last, o->deep ? "true" : "false");
	for (int i = 0; i < r->ntables; i++) {
		const verify_table *t = &r->tables[i];
		int differ = t->hours_missing + t->hours_extra + t->hours_changed;
		sb_adds(&sb, i ? ",{\"table\":" : "{\"table\":");
		json_add_string(&sb, t->name);
		sb_addf(&sb, ",\"hours\":%d,\"hours_ok\":%d,\"hours_missing\":%d,\"hours_extra\":%d,"
			     "\"hours_changed\":%d,\"source_rows\":%lld,\"target_rows\":%lld,"
			     "\"rejected_rows\":%lld}",
			t->hours, t->hours - differ, t->hours_missing, t->hours_extra, t->hours_changed,
			(long long)t->source_rows, (long long)t->target_rows,
			(long long)t->rejected_rows);
	}
	sb_adds(&sb, "],\"hours\":[");
	for (int i = 0; i < r->nhours; i++) {
		const verify_hour *h = &r->hours[i];
		char hour[20];

		hour_format_iso(h->hour, hour);
		sb_adds(&sb, i ? ",{\"table\":" : "{\"table\":");
		json_add_string(&sb, r->tables[h->table].name);
		sb_addf(&sb, ",\"hour\":\"%s\",\"source_rows\":%lld,\"target_rows\":%lld,"
			     "\"rejected_rows\":%lld,\"status\":\"%s\"",
			hour, (long long)h->source_rows, (long long)h->target_rows,
			(long long)h->rejected_rows, verify_status_name(h->status));
		if (o->deep) {
			sb_adds(&sb, ",\"keys\":[");
			for (int k = 0; k < h->nkeys; k++) {
				const verify_key *vk = &h->keys[k];
				sb_adds(&sb, k ? ",{\"key\":" : "{\"key\":");
				json_add_string(&sb, vk->key);
				sb_addf(&sb, ",\"diff\":\"%s\",\"columns\":[", key_diff_name(vk->diff));
				for (int c = 0; c < vk->ncolumns; c++) {
					if (c)
						sb_addc(&sb, ',');
					json_add_string(&sb, vk->columns[c]);
				}
				sb_adds(&sb, "]}");
			}
			sb_addf(&sb, "],\"keys_total\":%lld,\"keys_truncated\":%s",
				(long long)h->keys_total, h->keys_total > h->nkeys ? "true" : "false");
		}
		sb_addc(&sb, '}');
	}
	sb_adds(&sb, "]}\n");
	fwrite(sb.buf, 1, sb.len, stdout);
	fflush(stdout);
	sb_release(&sb);
}

/* failure_status: the exit status after a failed comparison */
static int failure_status(session *s)
{
	int sig = signals_caught();

	if (sig)
		return sig == SIGINT ? EXIT_CODE_SIGINT : EXIT_CODE_SIGTERM;
	if ((s->tgt && tgt_last_error(s->tgt)->cls == ERRCLASS_CONNECTION) ||
	    (s->src && src_last_error(s->src)->cls == ERRCLASS_CONNECTION))
		return EXIT_CODE_UNREACHABLE;
	return EXIT_CODE_FAILED;
}

int cmd_verify(int argc, char **argv)
{
	verify_opts o = { 0 };
	struct argp argp = {
		verify_options_table, parse_verify, NULL,
		"Compare source and target hour by hour over a range of days.\v"
		"For each hour of the time column and each table: the source rows, the target rows\n"
		"and the rows the hour's last load rejected. An hour is ok when\n"
		"source = target + rejected, missing when fewer, extra when more. --deep also\n"
		"compares content: each database checksums a canonical text of every row, and the\n"
		"hours whose checksums differ are compared key by key (missing, extra, changed\n"
		"with the columns that differ; at most 100 keys listed per hour).\n\n"
		"Exit status: 0 every hour matches, 3 some hours differ, 2 usage or configuration\n"
		"error, 4 a server cannot be reached, 1 a comparison failed.\n\n"
		"Examples:\n"
		"  etlre verify --date 2025-11-02\n"
		"  etlre verify --start-date 2025-11-01 --end-date 2025-11-07 --deep\n"
		"  etlre verify --last-days 3 --table calls --json",
		global_argp_children, NULL, NULL
	};
	session s;
	table_plan *plans = NULL;
	int nplans = 0, rc;
	verify_result res;
	verify_options vo;

	cli_parse_command(&argp, argc, argv, "verify", &o);
	memset(&res, 0, sizeof(res));
	memset(&s, 0, sizeof(s));
	if (o.repair) {
		log_error("--repair is not implemented yet; run etlre verify without it, then "
			  "etlre process for the hours that differ");
		free(o.tables);
		return EXIT_CODE_USAGE;
	}
	rc = session_load_config(&s, cli_global());
	if (rc == 0 && !check_tables(&s, &o))
		rc = EXIT_CODE_USAGE;
	if (rc == 0)
		rc = session_connect(&s, true, 0);
	if (rc != 0)
		goto out;
	if (!ledger_check_version(s.tgt, s.cfg.schema) ||
	    (o.deep && !verify_deep_supported(s.tgt))) {
		rc = EXIT_CODE_USAGE;
		goto out;
	}
	plans = xcalloc((size_t)s.cfg.ntables, sizeof(*plans));
	for (int i = 0; i < s.cfg.ntables; i++) {
		if (!wanted(&o, s.cfg.tables[i].name))
			continue;
		if (!plan_build(s.src, s.tgt, &s.cfg.tables[i], &plans[nplans])) {
			plan_release(&plans[nplans]);
			rc = EXIT_CODE_USAGE;
			goto out;
		}
		nplans++;
	}

	vo.first = o.first;
	vo.last = o.last;
	vo.deep = o.deep;
	vo.max_keys = VERIFY_MAX_KEYS;
	vo.schema = s.cfg.schema;
	verify_result_init(&res, nplans);
	for (int i = 0; i < nplans; i++) {
		res.tables[i].name = plans[i].cfg->name;
		if (!verify_compare_table(s.src, s.tgt, &plans[i], &vo, i, &res)) {
			rc = failure_status(&s);
			log_error("table %s: verify could not finish", plans[i].cfg->name);
			goto out;
		}
	}
	if (o.json)
		print_json(&res, &o);
	else
		print_text(&res, &o);
	metrics_record_verify(&res);
	rc = verify_differs(&res) ? EXIT_CODE_DIFFERS : EXIT_CODE_OK;
out:
	for (int i = 0; i < nplans; i++)
		plan_release(&plans[i]);
	free(plans);
	free(o.tables);
	verify_result_release(&res);
	session_close(&s);
	return rc;
}
