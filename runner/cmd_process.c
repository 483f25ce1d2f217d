/*
 * cmd_process.c: `etlre process`: the range's windows, day by day and table
 * by table, each loaded by load_window; after_day SQL once a day's hours of a
 * table are all loaded; the job recorded in etlre's tables; the summary.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "cli.h"
#include "exitcode.h"
#include "json.h"
#include "ledger.h"
#include "load.h"
#include "log.h"
#include "plan.h"
#include "range_args.h"
#include "rejects.h"
#include "session.h"
#include "signals.h"
#include "sqlquote.h"
#include "job.h"
#include "load_options.h"

typedef struct process_opts {
	range_args range;
	load_args load;
	bool json;
	const char *rejects_file;
} process_opts;

static error_t parse_process(int key, char *arg, struct argp_state *state)
{
	const process_opts *o = state->input;
	const load_options *lo = &o->load.opts;

	(void)arg;
	if (key != ARGP_KEY_END)
		return ARGP_ERR_UNKNOWN;
	if (o->rejects_file && lo->jobs > 1)
		argp_error(state, "--rejects-file works with --jobs 1 only; the rejects of every "
				  "worker are in etlre.rejects");
	if (o->rejects_file && !lo->skip_invalid)
		argp_error(state, "--rejects-file needs --skip-invalid");
	if (lo->max_rejects >= 0 && !lo->skip_invalid)
		argp_error(state, "--max-rejects needs --skip-invalid");
	return 0;
}

int cmd_process(int argc, char **argv)
{
	process_opts o = { 0 };
	load_args_init(&o.load, LOPT_ALL, NULL);
	const cli_child children[] = { { &range_argp, &o.range }, { &o.load.argp, &o.load }, { NULL } };
	const cli_command cmd = {
		"process", NULL, parse_process,
		"Extract, validate, load and count-check every hour of a range of days.\v"
		"Each hour is one target transaction: its rows are deleted, the source rows\n"
		"are streamed in with COPY, counts are checked, and the hour is committed, so\n"
		"a rerun gives the same result and a failure leaves the hour as it was. A row\n"
		"whose time moved to another hour is removed from its old hour in the same\n"
		"transaction (the summary's moved column).\n\n"
		"Exit status: 0 every hour loaded (rows set aside by --skip-invalid included),\n"
		"1 some hours failed or more rows were rejected than --max-rejects allows,\n"
		"2 usage or configuration error (nothing read or written), 4 a server cannot\n"
		"be reached, 130/143 interrupted by SIGINT/SIGTERM (the hour rolled back).\n\n"
		"Examples:\n"
		"  etlre process --date 2025-11-02\n"
		"  etlre process --start-date 2025-11-01 --end-date 2025-11-07 --skip-invalid\n"
		"  etlre process --date 2025-11-02 --table calls --dry-run --json\n"
		"  etlre process --date 2025-11-02 --skip-invalid --rejects-file rejects.csv.gz"
	};
	session s;
	work_item *items = NULL;
	int nitems = 0, rc;
	int64_t job_id;
	char *rejects_path = NULL; /* --rejects-file under [etlre] rejects_dir */

	const cli_option options[] = {
		{ "rejects-file", "PATH",
		  "also write rejected rows to PATH as gzip-compressed CSV (one worker: the default "
		  "--jobs is then 1)", 2, CLI_STRING, &o.rejects_file },
		{ "json", NULL, "print the summary as one JSON object on stdout", 4, CLI_FLAG, &o.json },
		{ NULL }
	};

	cli_parse_command(&cmd, children, options, argc, argv, &o);
	load_options *lo = &o.load.opts;
	signals_max_runtime(lo->max_runtime);
	session_needs need = { .range = &o.range, .source = true, .ledger = !lo->dry_run,
			       .grants = lo->dry_run ? PRIV_DRY_RUN : PRIV_WRITE,
			       .timeout = lo->timeout };
	rc = session_open(&s, &need);
	if (rc == 0)
		rc = session_plans(&s, session_want_range, &o.range);
	if (rc != 0)
		goto out;
	if (o.rejects_file && o.rejects_file[0] != '/' && s.cfg.rejects_dir)
		rejects_path = xasprintf("%s/%s", s.cfg.rejects_dir, o.rejects_file);
	for (int i = 0; i < s.nplans; i++) { /* a key without a unique index: say so first */
		char *note = plan_key_note(&s.plans[i]);
		if (note)
			log_warn("[table %s] %s", s.plans[i].cfg->name, note);
		free(note);
	}

	/* day by day; within a day table by table, hour by hour */
	int64_t first = date_to_days(o.range.first), last = date_to_days(o.range.last);
	int wh = lo->window_hours;
	items = xcalloc((size_t)((last - first + 1) * s.nplans * (24 / wh)), sizeof(*items));
	for (int64_t day = first; day <= last; day++)
		for (int t = 0; t < s.nplans; t++)
			for (int h = 0; h < 24; h += wh)
				items[nitems++] = (work_item){ t, day * 24 + h, wh };

	if (lo->dry_run)
		lo->jobs = 1;
	job_spec spec = { .command = "process", .load = *lo, .json = o.json,
			  .rejects_file = rejects_path ? rejects_path : o.rejects_file };
	rc = job_run(&s, s.plans, s.nplans, items, nitems, &spec, &job_id);
out:
	free(items);
	free(rejects_path);
	range_args_release(&o.range);
	session_close(&s);
	return rc;
}
