/*
 * cmd_verify.c: `etlre verify`: compares source and target hour by hour for
 * a range of days (verify.c does the comparing) and reports the hours that
 * differ, as text or one JSON object. Reads only and records no job, unless
 * --repair: then the hours that differ are reprocessed as one job (command
 * 'verify' in etlre's ledger, run by job.c like process and retry) and
 * compared again, day by day for the days that had them.
 * Exit status: 0 all hours match (after the repair), 3 some differ, 2 usage
 * or configuration, 4 a server cannot be reached, 1 a comparison query
 * failed or a repaired hour failed to load, 130/143 interrupted.
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
#include "load_options.h"
#include "log.h"
#include "metrics.h"
#include "job.h"
#include "plan.h"
#include "range_args.h"
#include "session.h"
#include "signals.h"
#include "verify.h"

typedef struct verify_opts {
	range_args range;
	load_args load; /* the repair job's */
	load_args runtime; /* --max-runtime, for the whole verify */
	bool deep, repair, json;
} verify_opts;

/* parse_verify: the load options only with --repair, once all are parsed */
static error_t parse_verify(int key, char *arg, struct argp_state *state)
{
	const verify_opts *o = state->input;
	const load_options *lo = &o->load.opts;

	(void)arg;
	if (key != ARGP_KEY_END)
		return ARGP_ERR_UNKNOWN;
	if (lo->skip_invalid && !o->repair)
		argp_error(state, "--skip-invalid works only with --repair (verify itself loads "
				  "nothing)");
	if (lo->max_rejects >= 0 && !o->repair)
		argp_error(state, "--max-rejects works only with --repair --skip-invalid");
	if (lo->max_rejects >= 0 && !lo->skip_invalid)
		argp_error(state, "--max-rejects needs --skip-invalid");
	return 0;
}

/* ---- output ---- */

/* repair_outcome: what --repair did, for the output */
typedef struct repair_outcome {
	bool done;              /* a repair job ran */
	run_report job;         /* its summary (job.c's), owned */
	int hours;              /* hours reprocessed */
	int hours_repaired;     /* of those, the ones that match now */
	bool compared;          /* compared again: still is set */
	verify_result still;    /* the hours that still differ, owned */
} repair_outcome;

static void print_hour_text(const verify_result *r, const verify_hour *h)
{
	char hour[20];

	hour_format_iso(h->hour, hour);
	printf("%s %s %s: source %lld, target %lld, rejected %lld\n", r->tables[h->table].name, hour,
	       verify_status_name(h->status), (long long)h->source_rows, (long long)h->target_rows,
	       (long long)h->rejected_rows);
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

static void print_text(const verify_result *r, const verify_opts *o)
{
	char first[11], last[11];

	date_format(o->range.first, first);
	date_format(o->range.last, last);
	printf("verify %s .. %s (%s): %s\n", first, last, o->deep ? "counts and content" : "counts",
	       verify_differs(r) ? "differs" : "ok");
	for (int i = 0; i < r->nhours; i++)
		print_hour_text(r, &r->hours[i]);
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

/* print_repair_text: the repair job's summary, then what is left */
static void print_repair_text(const repair_outcome *ro)
{
	if (ro->job.status != JOB_NONE)
		report_print_text(&ro->job);
	if (!ro->compared) {
		printf("repair: job %lld %s; the hours were not compared again\n",
		       (long long)ro->job.job_id, ro->job.status != JOB_NONE ? job_status_name(ro->job.status) : "did not run");
		fflush(stdout);
		return;
	}
	printf("repair: job %lld: %d hour(s) reprocessed, %d repaired, %d still differ\n",
	       (long long)ro->job.job_id, ro->hours, ro->hours_repaired, ro->still.nhours);
	for (int i = 0; i < ro->still.nhours; i++) {
		printf("still differs: ");
		print_hour_text(&ro->still, &ro->still.hours[i]);
	}
	fflush(stdout);
}

static void add_hour_json(strbuf *sb, const verify_result *r, const verify_hour *h, bool deep)
{
	char hour[20];

	hour_format_iso(h->hour, hour);
	sb_adds(sb, "{\"table\":");
	json_add_string(sb, r->tables[h->table].name);
	sb_addf(sb, ",\"hour\":\"%s\",\"source_rows\":%lld,\"target_rows\":%lld,"
		    "\"rejected_rows\":%lld,\"status\":\"%s\"",
		hour, (long long)h->source_rows, (long long)h->target_rows,
		(long long)h->rejected_rows, verify_status_name(h->status));
	if (deep) {
		sb_adds(sb, ",\"keys\":[");
		for (int k = 0; k < h->nkeys; k++) {
			const verify_key *vk = &h->keys[k];
			sb_adds(sb, k ? ",{\"key\":" : "{\"key\":");
			json_add_string(sb, vk->key);
			sb_addf(sb, ",\"diff\":\"%s\",\"columns\":[", key_diff_name(vk->diff));
			for (int c = 0; c < vk->ncolumns; c++) {
				if (c)
					sb_addc(sb, ',');
				json_add_string(sb, vk->columns[c]);
			}
			sb_adds(sb, "]}");
		}
		sb_addf(sb, "],\"keys_total\":%lld,\"keys_truncated\":%s", (long long)h->keys_total,
			h->keys_total > h->nkeys ? "true" : "false");
	}
	sb_addc(sb, '}');
}

/* add_repair_json: ,"repair":{...} (see README: verify --repair) */
static void add_repair_json(strbuf *sb, const repair_outcome *ro, bool deep)
{
	int failed = 0;

	for (int i = 0; i < ro->job.ntables; i++)
		failed += ro->job.tables[i].hours_failed;
	sb_adds(sb, ",\"repair\":{\"job_id\":");
	if (ro->job.job_id > 0)
		sb_addf(sb, "%lld", (long long)ro->job.job_id);
	else
		sb_adds(sb, "null");
	sb_adds(sb, ",\"status\":");
	json_add_string_or_null(sb, job_status_name(ro->job.status));
	sb_addf(sb, ",\"hours\":%d,\"hours_failed\":%d,\"compared_again\":%s", ro->hours, failed,
		ro->compared ? "true" : "false");
	if (ro->compared) {
		sb_addf(sb, ",\"hours_repaired\":%d,\"hours_still_differing\":%d,\"still_differing\":[",
			ro->hours_repaired, ro->still.nhours);
		for (int i = 0; i < ro->still.nhours; i++) {
			if (i)
				sb_addc(sb, ',');
			add_hour_json(sb, &ro->still, &ro->still.hours[i], deep);
		}
		sb_addc(sb, ']');
	}
	sb_addc(sb, '}');
}

static void print_json(const verify_result *r, const verify_opts *o, const repair_outcome *ro)
{
	strbuf sb;
	char first[11], last[11];

	date_format(o->range.first, first);
	date_format(o->range.last, last);
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
		if (i)
			sb_addc(&sb, ',');
		add_hour_json(&sb, r, &r->hours[i], o->deep);
	}
	sb_addc(&sb, ']');
	if (ro && ro->done)
		add_repair_json(&sb, ro, o->deep);
	sb_adds(&sb, "}\n");
	fwrite(sb.buf, 1, sb.len, stdout);
	fflush(stdout);
	sb_release(&sb);
}

/* ---- repair ---- */

/* compare_again: compares the days that had differing hours in r (runs of
 * consecutive days per table) into ro->still, keeping only the hours that
 * differ; counts the reprocessed hours that match now. False after logging
 * when a comparison fails. */
static bool compare_again(session *s, table_plan *plans, int nplans, const verify_result *r,
			  const verify_options *base, repair_outcome *ro)
{
	verify_result_init(&ro->still, nplans);
	for (int i = 0; i < nplans; i++)
		ro->still.tables[i].name = plans[i].cfg->name;
	ro->compared = true;
	for (int i = 0; i < r->nhours;) {
		int t = r->hours[i].table;
		int64_t first = r->hours[i].hour / 24, last = first;
		verify_options vo = *base;

		/* the hours are table by table, in hour order */
		for (; i < r->nhours && r->hours[i].table == t && r->hours[i].hour / 24 <= last + 1; i++)
			last = r->hours[i].hour / 24;
		vo.first = days_to_date(first);
		vo.last = days_to_date(last);
		if (!verify_compare_table(s->src, s->tgt, &plans[t], &vo, t, &ro->still))
			return false;
	}
	ro->hours_repaired = ro->hours;
	for (int i = 0; i < r->nhours; i++)
		for (int k = 0; k < ro->still.nhours; k++)
			if (ro->still.hours[k].table == r->hours[i].table &&
			    ro->still.hours[k].hour == r->hours[i].hour) {
				ro->hours_repaired--;
				break;
			}
	return true;
}

/* after_repair: the verification as it stands after the repair, for
 * --metrics-file: the first one's hours, with the compared tables' differing
 * hours replaced by what the second comparison found */
static void record_after_repair(const verify_result *r, const repair_outcome *ro)
{
	verify_result after;

	verify_result_init(&after, r->ntables);
	for (int i = 0; i < r->ntables; i++) {
		verify_table *t = &after.tables[i];
		const verify_table *again = &ro->still.tables[i];

		*t = r->tables[i];
		if (again->hours > 0) {
			t->hours_missing = again->hours_missing;
			t->hours_extra = again->hours_extra;
			t->hours_changed = again->hours_changed;
		}
	}
	metrics_record_verify(&after);
	verify_result_release(&after);
}

/* repair: reprocesses r's differing hours as one job, then compares them
 * again. Returns the exit status. */
static int repair(session *s, table_plan *plans, int nplans, const verify_result *r,
		  const verify_opts *o, const verify_options *vo, repair_outcome *ro)
{
	work_item *items = xcalloc((size_t)r->nhours, sizeof(*items));
	int64_t job_id;
	int rc;

	for (int i = 0; i < r->nhours; i++)
		items[i] = (work_item){ r->hours[i].table, r->hours[i].hour, 1 };
	job_spec spec = { .command = "verify", .load = o->load.opts, .json = o->json,
			  .keep = &ro->job };
	log_info("repair: reprocessing %d hour(s) that differ", r->nhours);
	ro->done = true;
	ro->hours = r->nhours;
	rc = job_run(s, plans, nplans, items, r->nhours, &spec, &job_id);
	free(items);
	log_set_context(0, NULL, NULL);
	if (signals_caught())
		return rc;
	if (!session_reconnect(s, 0)) {
		log_error("repair: cannot reach the servers to compare the hours again");
		return EXIT_CODE_UNREACHABLE;
	}
	if (!compare_again(s, plans, nplans, r, vo, ro)) {
		log_error("repair: the hours could not be compared again");
		return session_failure_status(s, EXIT_CODE_FAILED);
	}
	record_after_repair(r, ro);
	if (rc != EXIT_CODE_OK)
		return rc;
	if (ro->still.nhours > 0) {
		log_warn("repair: %d hour(s) still differ after job %lld", ro->still.nhours,
			 (long long)job_id);
		return EXIT_CODE_DIFFERS;
	}
	log_info("repair: job %lld repaired %d hour(s)", (long long)job_id, ro->hours_repaired);
	return EXIT_CODE_OK;
}

/* compare_tables: every planned table of s compared over o's range into res
 * (set up here, released by the caller), with vo filled in for a repair; the
 * exit status so far: EXIT_CODE_DIFFERS or EXIT_CODE_OK, else that of a
 * failure or a signal (the result is then incomplete) */
static int compare_tables(session *s, const verify_opts *o, verify_options *vo,
			  verify_result *res)
{
	vo->first = o->range.first;
	vo->last = o->range.last;
	vo->deep = o->deep;
	vo->max_keys = VERIFY_MAX_KEYS;
	vo->schema = s->cfg.schema;
	verify_result_init(res, s->nplans);
	for (int i = 0; i < s->nplans; i++) {
		res->tables[i].name = s->plans[i].cfg->name;
		if (signals_caught()) /* SIGINT, SIGTERM, --max-runtime: stop between tables */
			return signals_exit_status();
		if (!verify_compare_table(s->src, s->tgt, &s->plans[i], vo, i, res)) {
			int rc = session_failure_status(s, EXIT_CODE_FAILED);
			log_error("table %s: verify could not finish", s->plans[i].cfg->name);
			return rc;
		}
	}
	metrics_record_verify(res);
	return verify_differs(res) ? EXIT_CODE_DIFFERS : EXIT_CODE_OK;
}

int cmd_verify(int argc, char **argv)
{
	verify_opts o = { .range.allow_last_days = true };
	load_args_init(&o.load, LOPT_SKIP_INVALID | LOPT_MAX_REJECTS, "With --repair, for the repair job:");
	load_args_init(&o.runtime, LOPT_MAX_RUNTIME, NULL);
	o.runtime.table[0].group = 2; /* with --deep and --repair, not under the repair's header */
	const cli_child children[] = { { &range_argp_last_days, &o.range },
					 { &o.load.argp, &o.load },
					 { &o.runtime.argp, &o.runtime },
					 { NULL } };
	const cli_command cmd = {
		"verify", NULL, parse_verify,
		"Compare source and target hour by hour over a range of days.\v"
		"For each hour of the time column and each table: the source rows, the target rows\n"
		"and the rows the hour's last load rejected. An hour is ok when\n"
		"source = target + rejected, missing when fewer, extra when more. --deep also\n"
		"compares content: both sides' rows are streamed at once and etlre hashes a\n"
		"canonical text of every row per hour (a target-side change is found too); the\n"
		"hours whose checksums differ are compared key by key (missing, extra, changed\n"
		"with the columns that differ; at most 100 keys listed per hour).\n\n"
		"--repair then reprocesses the hours that differ as one job (shown by etlre status\n"
		"as command verify, rerun by etlre retry) and compares those days again; the\n"
		"summary names the job. Without --skip-invalid the first invalid row fails its\n"
		"hour, as in etlre process.\n\n"
		"Exit status: 0 every hour matches (after the repair), 3 some hours differ,\n"
		"1 a comparison failed or a repaired hour failed to load, 2 usage or\n"
		"configuration error, 4 a server cannot be reached, 130/143 interrupted.\n\n"
		"Examples:\n"
		"  etlre verify --date 2025-11-02\n"
		"  etlre verify --start-date 2025-11-01 --end-date 2025-11-07 --deep\n"
		"  etlre verify --last-days 3 --table calls --json\n"
		"  etlre verify --last-days 3 --repair --skip-invalid   # nightly reconciliation\n"
		"  etlre verify --date 2025-11-02 --deep --repair --json"
	};
	session s;
	int rc;
	verify_result res;
	verify_options vo;
	repair_outcome ro;

	const cli_option options[] = {
		{ "deep", NULL,
		  "compare content too: both sides' rows hashed here, a checksum per hour, and the "
		  "keys that differ", 2, CLI_FLAG, &o.deep },
		{ "repair", NULL, "reprocess the hours that differ as a job, then compare them again",
		  2, CLI_FLAG, &o.repair },
		{ "json", NULL, "print the result as one JSON object on stdout", 3, CLI_FLAG, &o.json },
		{ NULL }
	};

	cli_parse_command(&cmd, children, options, argc, argv, &o);
	signals_max_runtime(o.runtime.opts.max_runtime);
	memset(&res, 0, sizeof(res));
	memset(&ro, 0, sizeof(ro));
	rc = session_open(&s, &(session_needs){ .range = &o.range, .source = true, .ledger = true,
					      .grants = o.repair ? PRIV_WRITE : PRIV_READ });
	if (rc == 0 && o.deep && !verify_deep_supported(s.tgt))
		rc = session_failure_status(&s, EXIT_CODE_USAGE);
	if (rc == 0)
		rc = session_plans(&s, session_want_range, &o.range);
	if (rc == 0)
		rc = compare_tables(&s, &o, &vo, &res);
	if (rc != EXIT_CODE_OK && rc != EXIT_CODE_DIFFERS)
		goto out;
	if (!o.json)
		print_text(&res, &o);
	if (o.repair && rc == EXIT_CODE_DIFFERS) {
		rc = repair(&s, s.plans, s.nplans, &res, &o, &vo, &ro);
		if (!o.json)
			print_repair_text(&ro);
	}
	if (o.json)
		print_json(&res, &o, &ro);
out:
	range_args_release(&o.range);
	verify_result_release(&res);
	report_release(&ro.job);
	verify_result_release(&ro.still);
	session_close(&s);
	return rc;
}
