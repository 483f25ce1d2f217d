#!/usr/bin/env bash
# --max-runtime DURATION on process, retry, work and verify: when it is
# reached the hour in progress rolls back, the pending hours stay pending,
# the run exits 143 as an interruption, and retry continues the job. A slow
# trigger on the target makes each hour take a while, whatever the machine.
. "$(dirname "$0")/lib.sh"

DAY=2025-06-01
reset_databases
ETLRE_GEN_DB=$MY_DB ETLRE_GEN_PG_URL=$ETLRE_TARGET_URL bash "$ROOT/scripts/gen-calls.sh" 48000 1 $DAY >/dev/null 2>&1
check "48000 rows generated" test "$(my "SELECT COUNT(*) FROM calls_bench")" = 48000
bench_table_conf >> "$CONF"
bench_slow_target 100  # 2000 rows an hour: at least 0.2 s an hour

last_job() { pg "SELECT max(job_id) FROM etlre.jobs"; }
hours_in() { pg "SELECT count(*) FROM etlre.job_hours WHERE job_id = $1 AND status = '$2'"; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# --- process stops after 2 s
t0=$(date +%s.%N)
run_etlre process --date $DAY --table calls_bench --max-runtime 2s
secs=$(elapsed "$t0")
job=$(last_job)
is "$RC" 143 "process --max-runtime 2s: exit 143, as an interruption"
check "process --max-runtime 2s: stopped within 10 s (${secs}s)" awk -v s="$secs" 'BEGIN { exit !(s < 10) }'
like "$ERR" "stopped: --max-runtime was reached" "the log says --max-runtime stopped it"
is "$(pg "SELECT status FROM etlre.jobs WHERE job_id = $job")" interrupted "the job is interrupted"
check "some hours loaded before the limit" test "$(hours_in "$job" succeeded)" -gt 0
check "the others stay pending" test "$(hours_in "$job" pending)" -gt 0
is "$(( $(hours_in "$job" succeeded) + $(hours_in "$job" pending) ))" 24 "every hour is succeeded or pending, none failed or running"
check "no hour partly loaded (the hour in progress rolled back)" bench_whole_hours_only
is "$(bench_tgt_counts | wc -l)" "$(hours_in "$job" succeeded)" "the target holds exactly the succeeded hours"

# --- retry continues the job, and may be bounded too
run_etlre retry --job-id "$job" --max-runtime 1s
retry1=$(last_job)
is "$RC" 143 "retry --max-runtime 1s: exit 143"
is "$(pg "SELECT status FROM etlre.jobs WHERE job_id = $retry1")" interrupted "the retry job is interrupted"
check "no hour partly loaded after the retry's stop" bench_whole_hours_only
run_etlre retry --job-id "$retry1"
is "$RC" 0 "retry of the retry: exit 0"
is "$(bench_tgt_counts)" "$(bench_src_counts)" "after the retries the target equals the source hour by hour"
check "no duplicates" bench_no_duplicates

# --- --jobs 2: the parent passes the stop to its workers
pg "TRUNCATE analytics.calls_bench" >/dev/null
run_etlre process --date $DAY --table calls_bench --jobs 2 --max-runtime 2s
job=$(last_job)
is "$RC" 143 "--jobs 2 --max-runtime 2s: exit 143"
is "$(hours_in "$job" running)" 0 "--jobs 2: no hour left running"
check "--jobs 2: no hour partly loaded" bench_whole_hours_only
run_etlre retry --job-id "$job"
is "$RC" 0 "--jobs 2: retry completes the job"
is "$(bench_tgt_counts)" "$(bench_src_counts)" "--jobs 2 + retry: target equals source"

# --- the bound holds while the hours wait on a target table lock held 30 s
# elsewhere: the statements are cancelled when it is reached (by etlre's
# canceller thread: the handler itself may not wait for a server)
pg "TRUNCATE analytics.calls_bench" >/dev/null
PGAPPNAME=t73-locker psql "$ETLRE_TARGET_URL" -X -q \
	-c "BEGIN; LOCK TABLE analytics.calls_bench IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT" >/dev/null 2>&1 & locker=$!
locked() { [ -n "$(pg "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 't73-locker' AND l.relation = 'analytics.calls_bench'::regclass AND l.granted")" ]; }
check "lock wait: another session holds the table lock" wait_for locked
t0=$(date +%s.%N)
run_etlre process --date $DAY --table calls_bench --max-runtime 2s
secs=$(elapsed "$t0")
pg "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 't73-locker'" >/dev/null
wait $locker 2>/dev/null
job=$(last_job)
is "$RC" 143 "lock wait, --max-runtime 2s: exit 143"
check "lock wait, --max-runtime 2s: stopped within 10 s, not when the lock went (${secs}s)" awk -v s="$secs" 'BEGIN { exit !(s < 10) }'
is "$(pg "SELECT status FROM etlre.jobs WHERE job_id = $job")" interrupted "lock wait: the job is interrupted"
is "$(hours_in "$job" pending)" 24 "lock wait: every hour stays pending"
is "$(grep -c ' error ' <<<"$ERR")" 0 "lock wait: no error line (the cancel is etlre's own)"
run_etlre retry --job-id "$job"
is "$RC" 0 "lock wait: retry completes the job"
is "$(bench_tgt_counts)" "$(bench_src_counts)" "lock wait + retry: target equals source"

# --- work: a worker that joined a job leaves when its time is up
pg "TRUNCATE analytics.calls_bench" >/dev/null
"$ETLRE" --config "$CONF" process --date $DAY --table calls_bench >"$TMP/p.out" 2>"$TMP/p.err" & starter=$!
one_running() { [ "$(pg "SELECT count(*) FROM etlre.jobs WHERE status = 'running'")" = 1 ]; }
check "work: the job to join is running" wait_for one_running
job=$(last_job)
run_etlre work --job-id "$job" --max-runtime 1s
is "$RC" 143 "work --max-runtime 1s: exit 143"
wait $starter; src=$?
is "$src" 0 "the job's starter finishes the hours the worker left"
is "$(bench_tgt_counts)" "$(bench_src_counts)" "work stopped + starter: target equals source"
check "no duplicates" bench_no_duplicates

# --- verify: accepted, and a generous limit changes nothing
run_etlre verify --date $DAY --table calls_bench --max-runtime 1h
is "$RC" 0 "verify --max-runtime 1h: exit 0"
for bad in 10 1.5h 0m -1h 2y 400d; do
	run_etlre process --date $DAY --max-runtime "$bad"
	is "$RC" 2 "--max-runtime '$bad': exit 2"
done
like "$ERR" "--max-runtime must be a whole number and s, m, h, d or w" "a bad --max-runtime is named"

# --- the stop lands between short statements: a sparse year, hours of a few
# ms, stopped after 1 s, six times. The stop's cancel request, meant for the
# statement in progress, may arrive once it ended and cancel etlre's own
# clean-up (an hour back to pending, the job's summary): that one is sent
# again, so every run ends interrupted with no hour left running or failed
ETLRE_GEN_DB=$MY_DB ETLRE_GEN_PG_URL=$ETLRE_TARGET_URL bash "$ROOT/scripts/gen-calls.sh" 87600 365 $DAY >/dev/null 2>&1 # a new target: no slow trigger
stray=""
for run in 1 2 3 4 5 6; do
	pg "TRUNCATE analytics.calls_bench" >/dev/null
	run_etlre process --start-date $DAY --end-date 2026-05-31 --table calls_bench --max-runtime 1s
	job=$(last_job)
	got="$RC $(pg "SELECT status FROM etlre.jobs WHERE job_id = $job")"
	got+=" $(pg "SELECT count(*) FROM etlre.job_hours WHERE job_id = $job AND status NOT IN ('pending', 'succeeded')")"
	[ "$got" = "143 interrupted 0" ] || stray+="run $run: exit, job, hours running or failed: $got; "
	stray+=$(grep -E ' (warn|error) ' <<<"$ERR" | grep -Ev 'stopped: --max-runtime|: interrupted, rolled back' | head -3)
done
is "$stray" "" "a sparse year stopped six times: each run exits 143, its job interrupted, no hour running or failed, no warning"
done_testing
