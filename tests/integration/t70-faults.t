#!/usr/bin/env bash
# Faults: SIGTERM, kill -9 in the middle of a COPY, MariaDB and PostgreSQL
# going away and coming back, a lock held longer than --timeout, and two runs
# over the same hours at once. After each: the target equals the source hour
# by hour, no duplicate keys, and no hour was ever partly loaded.
#
# These tests stop and start servers, so they run their own pair (other ports,
# their own data dir) and leave the shared ones alone: they can run with the
# other files, and being the slowest they start first.
# (their ports: 10 above the shared pair's, so that checkouts with servers of
# their own on other ports can run this file at the same time)
# run early: the slowest file (480000 rows through every fault)
export ETLRE_DEV_MARIADB_PORT=${ETLRE_FAULT_MARIADB_PORT:-$(( ${ETLRE_DEV_MARIADB_PORT:-3407} + 10 ))}
export ETLRE_DEV_PG_PORT=${ETLRE_FAULT_PG_PORT:-$(( ${ETLRE_DEV_PG_PORT:-5477} + 10 ))}
export ETLRE_DEV_DB_DIR="$(cd "$(dirname "$0")/../.." && pwd)/.dev-db/faults"
# one fault suite at a time on this pair of servers
mkdir -p "$ETLRE_DEV_DB_DIR" && exec 8>"$ETLRE_DEV_DB_DIR.lock" && flock 8
. "$(dirname "$0")/lib.sh"
trap 'bash "$ROOT/scripts/dev-db.sh" stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

export ETLRE_SOURCE_URL="mariadb://etl:etl@127.0.0.1:$ETLRE_DEV_MARIADB_PORT/ivr"
export ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:$ETLRE_DEV_PG_PORT/analytics"
cat > "$CONF" <<CONF
[etlre]
schema = etlre
[table calls_bench]
source = calls_bench
target = analytics.calls_bench
time_column = start_time
key = call_id
CONF
DAY=2025-06-01
ROWS=${ETLRE_FAULT_ROWS:-480000}

pg "DROP SCHEMA IF EXISTS etlre CASCADE" >/dev/null 2>&1
psql "$ETLRE_TARGET_URL" -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/postgres/analytics.sql" >/dev/null 2>&1 &&
	bash "$ROOT/scripts/gen-calls.sh" "$ROWS" 1 "$DAY" >/dev/null && etlre init >/dev/null
check "fault servers up, $ROWS rows generated" test $? -eq 0
my() { MYSQL_PWD=etl mariadb -h127.0.0.1 -P"$ETLRE_DEV_MARIADB_PORT" -uetl ivr -N -B -e "$1"; }

# the bench_* helpers of lib.sh compare the day hour by hour
hours_done() { pg "SELECT count(*) FROM etlre.job_hours WHERE job_id = (SELECT max(job_id) FROM etlre.jobs) AND status = 'succeeded'"; }
at_least_hours() { [ "$(hours_done 2>/dev/null || echo 0)" -ge "$1" ]; }
copy_running() { [ -n "$(pg "SELECT 1 FROM pg_stat_activity WHERE application_name = 'etlre' AND state = 'active' AND query LIKE 'COPY %calls_bench%'")" ]; }
last_job() { pg "SELECT max(job_id) FROM etlre.jobs"; }
reset_target() { pg "TRUNCATE analytics.calls_bench" >/dev/null; }
# hold_table / release_table: pause a running etlre between two hours, so a
# server can be stopped while the run is certainly in the middle of its day
# (its next hour waits for the table lock) however fast or slow the machine is
locker_granted() { [ -n "$(pg "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 't70-locker' AND l.relation = 'analytics.calls_bench'::regclass AND l.granted")" ]; }
hold_table() { # hold_table LABEL
	PGAPPNAME=t70-locker psql "$ETLRE_TARGET_URL" -X -q -c "BEGIN; LOCK TABLE analytics.calls_bench IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(300); COMMIT" >/dev/null 2>&1 &
	locker=$!
	check "$1: another session holds the table lock" wait_for locker_granted
}
release_table() {
	pg "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 't70-locker'" >/dev/null 2>&1
	wait $locker 2>/dev/null
}

# --- SIGTERM during a run
reset_target
"$ETLRE" --config "$CONF" process --date $DAY >"$TMP/out" 2>"$TMP/err" & pid=$!
check "SIGTERM: the run has loaded 3 hours" wait_for at_least_hours 3
kill -TERM $pid; wait $pid; RC=$?
is "$RC" 143 "SIGTERM: exit 143"
job=$(last_job)
is "$(pg "SELECT status FROM etlre.jobs WHERE job_id = $job")" interrupted "SIGTERM: job marked interrupted"
check "SIGTERM: no hour partly loaded" bench_whole_hours_only
is "$(pg "SELECT count(*) FROM etlre.job_hours WHERE job_id = $job AND status = 'running'")" 0 "SIGTERM: no hour left running"
run_etlre retry --job-id "$job"
is "$RC" 0 "SIGTERM: retry exits 0"
check "SIGTERM + retry: target equals source" bench_equal
check "SIGTERM + retry: no duplicates" bench_no_duplicates
is "$(pg "SELECT retried_by FROM etlre.jobs WHERE job_id = $job")" "$(last_job)" "the old job records which job retried it"

# --- SIGTERM while an hour waits on a lock: etlre cancels the statement
# itself, which is no error: the hour is interrupted, nothing else is said
reset_target
"$ETLRE" --config "$CONF" process --date $DAY >"$TMP/out" 2>"$TMP/err" & pid=$!
check "SIGTERM on a wait: the run has loaded 2 hours" wait_for at_least_hours 2
hold_table "SIGTERM on a wait"
on_lock() { [ -n "$(pg "SELECT 1 FROM pg_stat_activity WHERE application_name = 'etlre' AND wait_event_type = 'Lock'")" ]; }
check "SIGTERM on a wait: etlre waits on the table lock" wait_for on_lock
kill -TERM $pid; wait $pid; RC=$?
release_table
is "$RC" 143 "SIGTERM on a wait: exit 143"
like "$(cat "$TMP/err")" "interrupted, rolled back" "SIGTERM on a wait: the hour is interrupted and rolled back"
is "$(grep -c ' error ' "$TMP/err")" 0 "SIGTERM on a wait: no error line (the statement was cancelled by etlre on the signal)"

# --- the same on the source: a SIGTERM while a source query waits for a
# MariaDB table lock held elsewhere (30 s here) ends etlre at once, not when
# the lock goes (source_cancel.h: KILL QUERY from etlre's own thread)
src_on_lock() { [ -n "$(my "SELECT 1 FROM information_schema.processlist WHERE state = 'Waiting for table metadata lock' AND info LIKE '%calls_bench%' AND info NOT LIKE 'LOCK TABLES%' LIMIT 1")" ]; }
src_locked() { [ -n "$(my "SELECT 1 FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(%' LIMIT 1")" ]; }
hold_source() { # hold_source SECONDS: a session holds calls_bench's write lock
	MYSQL_PWD=etl mariadb -h127.0.0.1 -P"$ETLRE_DEV_MARIADB_PORT" -uetl ivr \
		-e "LOCK TABLES calls_bench WRITE; SELECT SLEEP($1)" >/dev/null 2>&1 &
	src_locker=$!
}
release_source() {
	my "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(%'" |
		while read -r id; do my "KILL $id" 2>/dev/null; done
	wait $src_locker 2>/dev/null
}
reset_target
"$ETLRE" --config "$CONF" process --date $DAY --jobs 1 >"$TMP/out" 2>"$TMP/err" & pid=$!
check "SIGTERM on a source wait: the run has loaded 2 hours" wait_for at_least_hours 2
hold_source 30
check "SIGTERM on a source wait: etlre's source query waits on the table lock" wait_for src_on_lock
t0=$(date +%s%N)
kill -TERM $pid; wait $pid; RC=$?
t1=$(date +%s%N)
release_source
is "$RC" 143 "SIGTERM on a source wait: exit 143"
within=$(( (t1 - t0) / 1000000000 < 10 ))
is "$within" 1 "SIGTERM on a source wait: ended $(( (t1 - t0) / 1000000 )) ms after the signal, within 10 s (the lock was held 30 s)"
like "$(cat "$TMP/err")" "interrupted, rolled back" "SIGTERM on a source wait: the hour is interrupted and rolled back"
is "$(grep -c ' error ' "$TMP/err")" 0 "SIGTERM on a source wait: no error line"
check "SIGTERM on a source wait: no hour partly loaded" bench_whole_hours_only
# --max-runtime while the plan's source queries wait on the lock: the
# process ends at its bound, says so, and writes nothing
hold_source 30
check "--max-runtime on a source wait: another session holds the lock" wait_for src_locked
jobs_before=$(last_job)
t0=$(date +%s%N)
"$ETLRE" --config "$CONF" process --date $DAY --max-runtime 2s >"$TMP/out" 2>"$TMP/err"; RC=$?
t1=$(date +%s%N)
release_source
is "$RC" 143 "--max-runtime on a source wait: exit 143"
within=$(( (t1 - t0) / 1000000000 < 12 ))
is "$within" 1 "--max-runtime 2s on a source wait: ended after $(( (t1 - t0) / 1000000 )) ms, within 12 s (the lock was held 30 s)"
like "$(cat "$TMP/err")" "interrupted \\(--max-runtime\\) while reading table calls_bench's definition; nothing was written" \
	"--max-runtime on a source wait: says where it stopped"
is "$(last_job)" "$jobs_before" "--max-runtime on a source wait: no job recorded"

# --- kill -9 in the middle of a COPY (daily batch: the whole day is one transaction)
my "DELETE FROM calls_bench WHERE call_id % 1000 = 7"
before=$(bench_tgt_counts)
"$ETLRE" --config "$CONF" process --date $DAY --batch-mode daily --chunk-size 20000 >"$TMP/out" 2>"$TMP/err" & pid=$!
check "kill -9: a COPY is in progress" wait_for copy_running
kill -9 $pid; wait $pid 2>/dev/null
job=$(last_job)
# the server ends the dead client's session when it reads the cut COPY
# stream: wait for that (a loaded machine may take more than a moment)
job_lock_gone() { [ "$(pg "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1702128755 AND objid = $job")" = 0 ]; }
check "kill -9: the dead job holds no lock (stale)" wait_for job_lock_gone
is "$(bench_tgt_counts)" "$before" "kill -9: the target is exactly as before (the window rolled back)"
run_etlre retry --job-id "$job"
is "$RC" 0 "kill -9: retry exits 0"
check "kill -9 + retry: target equals source" bench_equal
check "kill -9 + retry: no duplicates" bench_no_duplicates

# --- MariaDB stopped and started again within the retry window
reset_target
"$ETLRE" --config "$CONF" process --date $DAY --retries 6 --retry-wait 1 >"$TMP/out" 2>"$TMP/err" & pid=$!
check "MariaDB back in time: the run has loaded 2 hours" wait_for at_least_hours 2
hold_table "MariaDB back in time"
bash "$ROOT/scripts/dev-db.sh" stop mariadb >/dev/null 2>&1
release_table
sleep 1
bash "$ROOT/scripts/dev-db.sh" start mariadb >/dev/null 2>&1
wait $pid; RC=$?
is "$RC" 0 "MariaDB back in time: the run completes"
like "$(cat "$TMP/err")" "connection error, will retry" "MariaDB back in time: a connection error was retried"
check "MariaDB back in time: target equals source" bench_equal
check "MariaDB back in time: no duplicates" bench_no_duplicates

# --- MariaDB stopped for too long: hours fail with class connection, retry completes
reset_target
"$ETLRE" --config "$CONF" process --date $DAY --retries 1 --retry-wait 1 --max-failures 3 >"$TMP/out" 2>"$TMP/err" & pid=$!
check "MariaDB gone: the run has loaded 2 hours" wait_for at_least_hours 2
hold_table "MariaDB gone"
bash "$ROOT/scripts/dev-db.sh" stop mariadb >/dev/null 2>&1
release_table
wait $pid; RC=$?
job=$(last_job)
is "$RC" 4 "MariaDB gone: exit 4 (the source still cannot be reached at the end)"
is "$(pg "SELECT DISTINCT error_class FROM etlre.job_hours WHERE job_id = $job AND status = 'failed'")" connection "MariaDB gone: failed hours have class connection"
check "MariaDB gone: the job stopped after 3 failures, leaving hours pending" \
	test "$(pg "SELECT count(*) FROM etlre.job_hours WHERE job_id = $job AND status = 'pending'")" -gt 0
bash "$ROOT/scripts/dev-db.sh" start mariadb >/dev/null 2>&1
check "MariaDB gone: no hour partly loaded" bench_whole_hours_only
run_etlre retry --job-id "$job"
is "$RC" 0 "MariaDB back: retry exits 0"
check "MariaDB back + retry: target equals source" bench_equal

# --- PostgreSQL restarted in the middle of a run
reset_target
"$ETLRE" --config "$CONF" process --date $DAY --retries 6 --retry-wait 1 >"$TMP/out" 2>"$TMP/err" & pid=$!
check "PostgreSQL restarted: the run has loaded 2 hours" wait_for at_least_hours 2
hold_table "PostgreSQL restarted"  # the stop ends the locker's session too
bash "$ROOT/scripts/dev-db.sh" stop postgresql >/dev/null 2>&1
wait $locker 2>/dev/null
sleep 1
bash "$ROOT/scripts/dev-db.sh" start postgresql >/dev/null 2>&1
wait $pid; RC=$?
is "$RC" 0 "PostgreSQL restarted: the run completes"
like "$(cat "$TMP/err")" "connection error, will retry" "PostgreSQL restarted: a connection error was retried"
check "PostgreSQL restarted: target equals source" bench_equal
check "PostgreSQL restarted: no duplicates" bench_no_duplicates

# --- a lock held on the target table for longer than --timeout: the lock is
# taken before etlre starts and let go only once etlre has said that an hour
# timed out, so the run meets it however slow the machine is (a lock held for
# a fixed time could end before a slow start reached the table)
hold_table "lock held past --timeout"
"$ETLRE" --config "$CONF" process --date $DAY --timeout 1 --retries 6 --retry-wait 1 >"$TMP/out" 2>"$TMP/err" & pid=$!
hour_timed_out() { grep -q "timeout error, will retry" "$TMP/err"; }
check "lock held past --timeout: the hour failed with class timeout and will be retried" wait_for hour_timed_out
release_table
wait $pid; RC=$?
is "$RC" 0 "lock held past --timeout: the run completes after retries"
job=$(last_job)
check "lock held past --timeout: the first hour took more than one attempt" \
	test "$(pg "SELECT attempts FROM etlre.job_hours WHERE job_id = $job AND hour = '$DAY 00:00'")" -gt 1
check "lock held past --timeout: target equals source" bench_equal

# --- two runs over overlapping ranges at the same time
reset_target
"$ETLRE" --config "$CONF" process --date $DAY >"$TMP/out1" 2>"$TMP/err1" & p1=$!
"$ETLRE" --config "$CONF" process --start-date $DAY --end-date $DAY >"$TMP/out2" 2>"$TMP/err2" & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
is "$r1 $r2" "0 0" "overlapping runs: both succeed"
check "overlapping runs: target equals source" bench_equal
check "overlapping runs: no duplicates" bench_no_duplicates
done_testing
