#!/usr/bin/env bash
# The COPY writer thread (runner/copy_pipe.c) keeps etlre's guarantees when
# the target stops taking rows in the middle of an hour: the COPY of hour 05
# is made to wait on a row lock (another transaction holds an uncommitted row
# with the same call_id), then --timeout cancels it, or SIGTERM interrupts the
# run; either way the hour is rolled back whole and a rerun loads it.
# run early: slow (156000 rows generated, three runs held on a row lock)
. "$(dirname "$0")/lib.sh"

DAY=2025-06-01
reset_databases
check "reset databases" test $? -eq 0
# 96000 rows over the day: 4000 per hour (about 800 KB of COPY text), call_id
# 1.. in time order, so call_id 20101 is early in hour 05
ETLRE_GEN_DB=$MY_DB ETLRE_GEN_PG_URL=$ETLRE_TARGET_URL bash "$ROOT/scripts/gen-calls.sh" 96000 1 $DAY >/dev/null 2>"$TMP/gen.err"
check "generated the source" test $? -eq 0
# hour 05 gets 60000 more rows (about 12 MB of COPY text, more than the writer's
# queue and the sockets hold), so its stream is still open while its COPY waits
for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
	my "INSERT INTO calls_bench SELECT call_id + $k * 100000, caller_number, called_number, start_time,
	      end_time, duration, status, queue, agent, menu_path, cost FROM calls_bench
	    WHERE call_id <= 96000 AND start_time >= '$DAY 05:00' AND start_time < '$DAY 06:00'"
done
is "$(my "SELECT COUNT(*) FROM calls_bench WHERE start_time >= '$DAY 05:00' AND start_time < '$DAY 06:00'")" 64000 "hour 05 holds 64000 rows"
printf '[table calls_bench]\nsource = calls_bench\ntarget = analytics.calls_bench\ntime_column = start_time\nkey = call_id\n' >> "$CONF"
is "$(my "SELECT HOUR(start_time) FROM calls_bench WHERE call_id = 20101")" 5 "call_id 20101 is in hour 05"

# block_key / release_key: an open transaction holding call_id 20101 (dated
# outside the day, so etlre's DELETE does not touch it); the COPY waits there
block_key() {
	PGAPPNAME=t91-blocker psql "$ETLRE_TARGET_URL" -X -q -c "BEGIN; INSERT INTO analytics.calls_bench
	  SELECT 20101, '+34910000000', '+34910000000', '2025-01-01', NULL, 1, 'busy', 'sales', NULL, NULL, NULL;
	  SELECT pg_sleep(300); COMMIT" >/dev/null 2>&1 &
	blocker=$!
	wait_for blocker_waiting
}
blocker_waiting() { [ -n "$(pg "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 't91-blocker' AND query LIKE '%pg_sleep%' AND wait_event = 'PgSleep'")" ]; }
release_key() {
	pg "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 't91-blocker'" >/dev/null 2>&1
	wait $blocker 2>/dev/null
}
# (on the blocker's transaction: two workers' COPYs may also wait a moment on
# each other to extend the table, a Lock wait of another kind)
copy_waiting() { [ -n "$(pg "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'etlre' AND query LIKE 'COPY %calls_bench%' AND wait_event_type = 'Lock' AND wait_event = 'transactionid'")" ]; }
hour_count() { pg "SELECT count(*) FROM analytics.calls_bench WHERE start_time >= '$DAY $1:00' AND start_time < '$DAY $1:00'::timestamp + interval '1 hour'"; }
day_equal() {
	[ "$(pg "SELECT extract(hour FROM start_time)::int, count(*), sum(call_id) FROM analytics.calls_bench WHERE start_time::date = '$DAY' GROUP BY 1 ORDER BY 1" | tr '|' '\t')" = \
	  "$(my "SELECT HOUR(start_time), COUNT(*), SUM(call_id) FROM calls_bench WHERE DATE(start_time) = '$DAY' GROUP BY 1 ORDER BY 1")" ]
}

# --- --timeout cancels the waiting COPY: hour 05 fails and keeps nothing
check "blocker holds call_id 20101" block_key
run_etlre process --date $DAY --table calls_bench --timeout 1 --retries 0
check "--timeout: the run fails" test "$RC" -ne 0
like "$ERR" 'hour 2025-06-01T05:00:00: failed \[timeout\]' "--timeout: hour 05 failed with class timeout"
is "$(hour_count 05)" 0 "--timeout: hour 05 rolled back whole"
is "$(hour_count 04)" 4000 "--timeout: hour 04 loaded"
is "$(hour_count 06)" 4000 "--timeout: hour 06 loaded"
job=$(pg "SELECT max(job_id) FROM etlre.jobs")
is "$(pg "SELECT status FROM etlre.job_hours WHERE job_id = $job AND hour = '$DAY 05:00'")" failed "--timeout: hour 05 recorded as failed"
release_key

# --- SIGTERM while the COPY waits (and the writer thread may be blocked)
pg "TRUNCATE analytics.calls_bench"
check "blocker holds call_id 20101 again" block_key
# one worker: that no hour after 05 is started holds for the worker waiting on
# hour 05; a second one would load them meanwhile, as it should
"$ETLRE" --config "$CONF" process --date $DAY --table calls_bench --jobs 1 >"$TMP/out" 2>"$TMP/err" & pid=$!
check "SIGTERM: the COPY of hour 05 waits on the row lock" wait_for copy_waiting
kill -TERM $pid; wait $pid; RC=$?
is "$RC" 143 "SIGTERM: exit 143"
like "$(cat "$TMP/err")" 'hour 2025-06-01T05:00:00: interrupted, rolled back' "SIGTERM: hour 05 interrupted and rolled back"
is "$(hour_count 05)" 0 "SIGTERM: hour 05 keeps nothing"
is "$(hour_count 04)" 4000 "SIGTERM: hour 04 stays loaded"
is "$(hour_count 06)" 0 "SIGTERM: no hour after 05 was started"
job=$(pg "SELECT max(job_id) FROM etlre.jobs")
is "$(pg "SELECT status FROM etlre.jobs WHERE job_id = $job")" interrupted "SIGTERM: job marked interrupted"
no_etlre_session() { [ "$(pg "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'etlre'")" = 0 ]; }
check "SIGTERM: the etlre sessions end" wait_for no_etlre_session
release_key

run_etlre process --date $DAY --table calls_bench
is "$RC" 0 "rerun after release exits 0"
check "rerun: every hour equals the source" day_equal

# --- the source counts the hour after streaming it, in the same snapshot:
# rows added to hour 05 while its COPY waits are neither loaded nor counted
pg "DELETE FROM analytics.calls_bench WHERE start_time >= '$DAY 05:00' AND start_time < '$DAY 06:00'"
check "blocker holds call_id 20101 a third time" block_key
"$ETLRE" --config "$CONF" process --date $DAY --table calls_bench >"$TMP/out" 2>"$TMP/err" & pid=$!
check "snapshot: the COPY of hour 05 waits on the row lock" wait_for copy_waiting
my "INSERT INTO calls_bench SELECT call_id + 5000000, caller_number, called_number, start_time, end_time,
      duration, status, queue, agent, menu_path, cost FROM calls_bench WHERE call_id BETWEEN 20001 AND 20005"
is "$(my "SELECT COUNT(*) FROM calls_bench WHERE start_time >= '$DAY 05:00' AND start_time < '$DAY 06:00'")" 64005 \
	"snapshot: the source hour 05 now holds 5 more rows"
release_key
wait $pid; RC=$?
is "$RC" 0 "snapshot: the run succeeds (count = read within the snapshot)"
is "$(hour_count 05)" 64000 "snapshot: hour 05 holds the rows of its snapshot"
run_etlre process --date $DAY --table calls_bench
is "$RC" 0 "snapshot: a rerun exits 0"
is "$(hour_count 05)" 64005 "snapshot: the rerun loads the 5 new rows"
check "snapshot: every hour equals the source" day_equal
done_testing
