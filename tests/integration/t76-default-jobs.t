#!/usr/bin/env bash
# The default number of workers follows the machine (README "Scaling out"):
# without --jobs, process and retry run one worker per CPU etlre may run on
# (taskset counts), at most 4, never more than the job's windows (a job of
# one window does not fork); [etlre] jobs replaces the CPU count; --jobs N
# is N; a dry run and --rejects-file keep one worker. The job's first log
# line names the number, and each worker says at debug level that it started.
. "$(dirname "$0")/lib.sh"

reset_databases
check "reset databases" test $? -eq 0
host=$(hostname)
last_job() { pg "SELECT max(job_id) FROM etlre.jobs"; }
# workers_of JOB: the distinct host:pid that loaded the job's hours
workers_of() { pg "SELECT string_agg(DISTINCT worker, ',') FROM etlre.job_hours WHERE job_id = $1"; }
# started_workers FILE: how many workers logged their start
started_workers() { grep -c 'worker [0-9]* of job [0-9]* started' "$1"; }
# bg_etlre NAME ARGS...: etlre in the background (so that its pid is known),
# waited for; RC, PID, and $TMP/NAME.out, $TMP/NAME.err
bg_etlre() {
	local name=$1; shift
	"$@" >"$TMP/$name.out" 2>"$TMP/$name.err" & PID=$!
	wait $PID; RC=$?
}

# what the machine gives: the CPUs this process may run on (nproc reads the
# same affinity mask), at most 4
cpus=$(nproc)
machine=$(( cpus < 4 ? cpus : 4 ))
echo "# $cpus CPU(s) here: the default is $machine worker(s) for a job of 4 or more windows"

# --- the default: the machine's count, shown in the start line, every worker started
bg_etlre default "$ETLRE" --config "$CONF" --log-level debug process --date 2025-11-01
is "$RC" 0 "default: exit 0"
like "$(cat "$TMP/default.err")" "job [0-9]+ started \\(process\\): 2025-11-01 \\.\\. 2025-11-01, 24 hour\\(s\\) of 1 table\\(s\\), $machine worker\\(s\\)" \
	"default: the start line names $machine worker(s)"
is "$(started_workers "$TMP/default.err")" "$machine" "default: $machine worker(s) started"
is "$(tgt_hours 2025-11-01)" "$(src_hours 2025-11-01)" "default: target count = source count for every hour"
if [ "$machine" -gt 1 ]; then
	is "$(pg "SELECT count(*) FILTER (WHERE worker = '$host:$PID') || ' ' || (count(DISTINCT worker) > 0)
	           FROM etlre.job_hours WHERE job_id = $(last_job)")" "0 true" \
		"default: the hours were loaded by forked workers, not by the starting process"
else
	is "$(workers_of "$(last_job)")" "$host:$PID" "default on one CPU: the starting process loaded the hours"
fi

# --- one window: one worker, the starting process itself (no fork)
bg_etlre daily "$ETLRE" --config "$CONF" --log-level debug process --date 2025-11-01 --batch-mode daily
is "$RC" 0 "one window (daily, one day): exit 0"
like "$(cat "$TMP/daily.err")" "1 hour\\(s\\) of 1 table\\(s\\), 1 worker\\(s\\)" "one window: 1 worker"
is "$(started_workers "$TMP/daily.err")" 1 "one window: one worker started"
is "$(workers_of "$(last_job)")" "$host:$PID" "one window: loaded by the etlre process itself (no fork)"

# a retry of one failed hour: one worker, no fork (one invalid row, in hour 05)
my "INSERT INTO calls SELECT 9990001, caller_number, called_number, start_time, end_time, -5, status,
    queue, agent, menu_path, cost FROM calls WHERE start_time >= '2025-11-01 05:00' LIMIT 1"
run_etlre process --date 2025-11-01
is "$RC" 1 "one invalid row: exit 1"
failed_job=$(last_job)
is "$(pg "SELECT count(*) FROM etlre.job_hours WHERE job_id = $failed_job AND status = 'failed'")" 1 \
	"one invalid row: one hour failed"
bg_etlre retry1 "$ETLRE" --config "$CONF" --log-level debug retry --job-id "$failed_job" --skip-invalid
is "$RC" 0 "retry of the one failed hour: exit 0"
like "$(cat "$TMP/retry1.err")" "1 hour\\(s\\) of 1 table\\(s\\), 1 worker\\(s\\)" "retry of one hour: 1 worker"
is "$(workers_of "$(last_job)")" "$host:$PID" "retry of one hour: loaded by the etlre process itself (no fork)"
my "DELETE FROM calls WHERE call_id = 9990001"

# a retry of every hour (--force): the machine's count again
bg_etlre retry24 "$ETLRE" --config "$CONF" --log-level debug retry --job-id "$failed_job" --force --skip-invalid
is "$RC" 0 "retry --force of 24 hours: exit 0"
like "$(cat "$TMP/retry24.err")" "24 hour\\(s\\) of 1 table\\(s\\), $machine worker\\(s\\)" "retry of 24 hours: $machine worker(s)"
is "$(started_workers "$TMP/retry24.err")" "$machine" "retry of 24 hours: $machine worker(s) started"

# --- taskset -c 0: one CPU, one worker, no fork
if command -v taskset >/dev/null; then
	bg_etlre taskset taskset -c 0 "$ETLRE" --config "$CONF" --log-level debug process --date 2025-11-01
	is "$RC" 0 "taskset -c 0: exit 0"
	like "$(cat "$TMP/taskset.err")" "24 hour\\(s\\) of 1 table\\(s\\), 1 worker\\(s\\)" "taskset -c 0: 1 worker"
	is "$(started_workers "$TMP/taskset.err")" 1 "taskset -c 0: one worker started"
	is "$(workers_of "$(last_job)")" "$host:$PID" "taskset -c 0: loaded by the etlre process itself"
else
	skip "taskset is not installed (util-linux)"
fi

# --- --jobs 1 forces one worker, --jobs 3 is 3 even for fewer windows
bg_etlre j1 "$ETLRE" --config "$CONF" --log-level debug process --date 2025-11-01 --jobs 1
is "$RC" 0 "--jobs 1: exit 0"
like "$(cat "$TMP/j1.err")" "24 hour\\(s\\) of 1 table\\(s\\), 1 worker\\(s\\)" "--jobs 1: 1 worker"
is "$(workers_of "$(last_job)")" "$host:$PID" "--jobs 1: loaded by the etlre process itself"
bg_etlre j3 "$ETLRE" --config "$CONF" --log-level debug process --date 2025-11-01 --batch-mode daily --jobs 3
is "$RC" 0 "--jobs 3, one window: exit 0"
like "$(cat "$TMP/j3.err")" "1 hour\\(s\\) of 1 table\\(s\\), 3 worker\\(s\\)" "--jobs 3 means 3, even for one window"
is "$(started_workers "$TMP/j3.err")" 3 "--jobs 3: 3 workers started"

# --- each worker claims from the start of its own slice of the range first
# (README "Scaling out"): 48 hours, 3 workers, slices of 16 hours (11-03 is
# left unloaded for the kill test below)
bg_etlre slices "$ETLRE" --config "$CONF" --log-level debug process --start-date 2025-11-01 \
	--end-date 2025-11-02 --jobs 3 --skip-invalid
is "$RC" 0 "slices: exit 0"
is "$(grep -o 'started, claiming from [0-9T:-]* first' "$TMP/slices.err" | sort | xargs)" \
	"started, claiming from 2025-11-01T16:00:00 first started, claiming from 2025-11-02T08:00:00 first" \
	"slices: the second and third workers start 16 and 32 hours in"
is "$(grep -c 'worker [0-9]* of job [0-9]* started$' "$TMP/slices.err")" 1 "slices: the first one at the job's start"
is "$(pg "SELECT count(*) FILTER (WHERE status = 'succeeded' AND attempts = 1) || ' ' || count(*)
          FROM etlre.job_hours WHERE job_id = $(last_job)")" "48 48" "slices: every hour succeeded, each once"
is "$(pg "SELECT sum(rows_read) FROM etlre.job_hours WHERE job_id = $(last_job)")" \
   "$(my "SELECT COUNT(*) FROM calls WHERE start_time >= '2025-11-01' AND start_time < '2025-11-03'")" \
   "slices: every source row read once"
is "$(tgt_hours 2025-11-01)" "$(src_hours 2025-11-01)" "slices: 2025-11-01 per-hour counts equal"

# --- [etlre] jobs: the default instead of the machine's count, still capped
# by the windows; --jobs wins over it
sed 's/^\[etlre\]$/[etlre]\njobs = 3/' "$CONF" > "$TMP/jobs3.conf"
bg_etlre cfg3 "$ETLRE" --config "$TMP/jobs3.conf" --log-level debug process --date 2025-11-01
is "$RC" 0 "[etlre] jobs = 3: exit 0"
like "$(cat "$TMP/cfg3.err")" "24 hour\\(s\\) of 1 table\\(s\\), 3 worker\\(s\\)" "[etlre] jobs = 3: 3 workers"
is "$(started_workers "$TMP/cfg3.err")" 3 "[etlre] jobs = 3: 3 workers started"
bg_etlre cfg3d "$ETLRE" --config "$TMP/jobs3.conf" process --date 2025-11-01 --batch-mode daily
like "$(cat "$TMP/cfg3d.err")" "1 hour\\(s\\) of 1 table\\(s\\), 1 worker\\(s\\)" "[etlre] jobs = 3, one window: 1 worker"
is "$(workers_of "$(last_job)")" "$host:$PID" "[etlre] jobs = 3, one window: no fork"
bg_etlre cfg3j1 "$ETLRE" --config "$TMP/jobs3.conf" process --date 2025-11-01 --jobs 1
like "$(cat "$TMP/cfg3j1.err")" "24 hour\\(s\\) of 1 table\\(s\\), 1 worker\\(s\\)" "[etlre] jobs = 3 with --jobs 1: 1 worker"
for bad in 0 65 two -1; do
	sed "s/^\\[etlre\\]\$/[etlre]\\njobs = $bad/" "$CONF" > "$TMP/bad.conf"
	bg_etlre bad "$ETLRE" --config "$TMP/bad.conf" process --date 2025-11-01
	ERR=$(cat "$TMP/bad.err")
	is "$RC" 2 "[etlre] jobs = $bad: exit 2"
	like "$ERR" "'jobs' must be a number of worker processes \\(1-64\\), not '$bad'" "[etlre] jobs = $bad: the message names the key and the value"
done

# --- --rejects-file: one worker (one process writes the file), the file complete
bg_etlre rej "$ETLRE" --config "$TMP/jobs3.conf" process --date 2025-11-02 --skip-invalid --rejects-file "$TMP/rejects.csv.gz"
is "$RC" 0 "--rejects-file without --jobs: exit 0"
like "$(cat "$TMP/rej.err")" "24 hour\\(s\\) of 1 table\\(s\\), 1 worker\\(s\\)" "--rejects-file: 1 worker, even with [etlre] jobs = 3"
is "$(workers_of "$(last_job)")" "$host:$PID" "--rejects-file: loaded by the etlre process itself"
is "$(zcat "$TMP/rejects.csv.gz" | python3 -c 'import csv,sys; print(len(list(csv.reader(sys.stdin))) - 1)')" \
	"$(pg "SELECT count(*) FROM etlre.rejects WHERE job_id = $(last_job)")" "--rejects-file: every reject in the file"
run_etlre process --date 2025-11-02 --skip-invalid --rejects-file "$TMP/r2.csv.gz" --jobs 2
is "$RC" 2 "--rejects-file with --jobs 2: usage error"

# --- a dry run without --jobs: one process, nothing recorded, the report complete
jobs_before=$(pg "SELECT count(*) FROM etlre.jobs")
run_etlre process --date 2025-11-03 --dry-run --json
is "$RC" 0 "dry run without --jobs: exit 0"
is "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], len(d["hours"]))' <<<"$OUT")" "dry_run 24" \
	"dry run: every hour reported"
is "$(pg "SELECT count(*) FROM etlre.jobs")" "$jobs_before" "dry run: no job recorded"

# --- verify --repair runs the default too
pg "DELETE FROM analytics.calls WHERE start_time >= '2025-11-01 03:00' AND start_time < '2025-11-01 09:00'"
bg_etlre repair "$ETLRE" --config "$CONF" verify --date 2025-11-01 --repair
is "$RC" 0 "verify --repair of 6 hours: exit 0"
rmachine=$(( machine < 6 ? machine : 6 ))
like "$(cat "$TMP/repair.err")" "6 hour\\(s\\) of 1 table\\(s\\), $rmachine worker\\(s\\)" "verify --repair: $rmachine worker(s)"
is "$(tgt_hours 2025-11-01)" "$(src_hours 2025-11-01)" "verify --repair: target count = source count again"

# --- the workers end with the process that started the job: killed (kill -9),
# it leaves the job stale for retry, as one worker would, and no orphan loads on
locker_granted() { [ -n "$(pg "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 't76-locker' AND l.relation = 'analytics.calls'::regclass AND l.granted")" ]; }
PGAPPNAME=t76-locker psql "$ETLRE_TARGET_URL" -X -q -c "BEGIN; LOCK TABLE analytics.calls IN EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT" >/dev/null 2>&1 &
locker=$!
check "the locker holds analytics.calls" wait_for locker_granted
# two days: one worker may claim a whole day of small hours at once
"$ETLRE" --config "$CONF" process --start-date 2025-11-02 --end-date 2025-11-03 --jobs 2 --skip-invalid >"$TMP/kill.out" 2>"$TMP/kill.err" & PID=$!
# (a worker may hold a run of small hours at once: README "Empty hours")
two_waiting() { [ "$(pg "SELECT count(DISTINCT h.worker_id) FROM etlre.job_hours h JOIN etlre.jobs j USING (job_id) WHERE j.status = 'running' AND h.status = 'running'")" = 2 ]; }
check "--jobs 2: both workers wait on the locked table" wait_for two_waiting
kids=$(pgrep -P $PID | tr '\n' ' ')
is "$(wc -w <<<"$kids" | tr -d ' ')" 2 "--jobs 2: two worker processes"
killed_job=$(pg "SELECT job_id FROM etlre.jobs WHERE status = 'running'")
kill -9 $PID; wait $PID 2>/dev/null
all_gone() { local k; for k in $kids; do kill -0 "$k" 2>/dev/null && return 1; done; return 0; }
check "the starting process killed: its workers end too" wait_for all_gone
pg "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 't76-locker'" >/dev/null 2>&1
wait $locker 2>/dev/null
is "$(pg "SELECT count(*) FROM etlre.job_hours WHERE job_id = $killed_job AND status = 'succeeded'") $(pg "SELECT count(*) FROM analytics.calls WHERE start_time::date = '2025-11-03'")" \
	"0 0" "killed job: no hour loaded after the kill"
job_lock_gone() { [ "$(pg "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND classid = 1702128755 AND objid = $killed_job")" = 0 ]; }
check "killed job: its lock is released" wait_for job_lock_gone
run_etlre retry --job-id "$killed_job"
is "$RC" 0 "killed job: retry exits 0"
run_etlre verify --start-date 2025-11-02 --end-date 2025-11-03
is "$RC" 0 "killed job + retry: verify finds every hour's rows (source = target + rejected)"
# the workers are forked before the job is recorded: a job that cannot be
# recorded leaves no worker behind, and no job row
before=$(pg "SELECT count(*) FROM etlre.jobs")
pg "CREATE FUNCTION t76_refuse_insert() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'job_hours refused by t76'; END \$\$;
    CREATE TRIGGER t76_refuse BEFORE INSERT ON etlre.job_hours FOR EACH STATEMENT EXECUTE FUNCTION t76_refuse_insert()"
"$ETLRE" --config "$CONF" process --start-date 2025-11-02 --end-date 2025-11-03 --jobs 2 >"$TMP/norec.out" 2>"$TMP/norec.err" & PID=$!
wait $PID; rc=$?
pg "DROP TRIGGER t76_refuse ON etlre.job_hours; DROP FUNCTION t76_refuse_insert()"
is "$rc" 1 "a job that cannot be recorded: exit 1"
like "$(cat "$TMP/norec.err")" 'job_hours refused by t76' "the server's error is logged"
is "$(grep -c 'job_hours refused by t76' "$TMP/norec.err")" 1 "the error is logged once"
is "$(pgrep -P $PID | wc -l)" 0 "no worker is left behind"
is "$(pg "SELECT count(*) FROM etlre.jobs")" "$before" "no job row was left"
done_testing
