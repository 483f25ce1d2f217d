#!/usr/bin/env bash
# Several workers share one job: --jobs N on one host, and etlre work joining
# a running job; a worker killed in the middle of an hour leaves that hour to
# another one. The job completes and the target equals the source.
. "$(dirname "$0")/lib.sh"

DAY=2025-06-01
reset_databases
ETLRE_GEN_DB=$MY_DB ETLRE_GEN_PG_URL=$ETLRE_TARGET_URL bash "$ROOT/scripts/gen-calls.sh" 240000 1 $DAY >/dev/null 2>&1
check "240000 rows generated" test "$(my "SELECT COUNT(*) FROM calls_bench")" = 240000
cat >> "$CONF" <<CONF
[table calls_bench]
source = calls_bench
target = analytics.calls_bench
time_column = start_time
key = call_id
CONF

src_counts() { my "SELECT HOUR(start_time), COUNT(*), SUM(call_id) FROM calls_bench GROUP BY 1 ORDER BY 1"; }
tgt_counts() { pg "SELECT extract(hour FROM start_time)::int, count(*), sum(call_id) FROM analytics.calls_bench GROUP BY 1 ORDER BY 1" | tr '|' '\t'; }
no_duplicates() { [ "$(pg "SELECT count(*) - count(DISTINCT call_id) FROM analytics.calls_bench")" = 0 ]; }
last_job() { pg "SELECT max(job_id) FROM etlre.jobs"; }

# --- --jobs 3 on one host
run_etlre process --date $DAY --table calls_bench --jobs 3
is "$RC" 0 "--jobs 3: exit 0"
job=$(last_job)
is "$(tgt_counts)" "$(src_counts)" "--jobs 3: target equals source hour by hour"
check "--jobs 3: no duplicates" no_duplicates
check "--jobs 3: hours were loaded by several workers" \
	test "$(pg "SELECT count(DISTINCT worker_id) FROM etlre.job_hours WHERE job_id = $job")" -ge 2
is "$(pg "SELECT status FROM etlre.jobs WHERE job_id = $job")" succeeded "--jobs 3: job succeeded"
like "$OUT" "calls_bench +24 +0 +0 +240000 +240000 " "--jobs 3: the summary covers every worker's hours"

# --- a job started on one host, two more workers joining, one killed mid-hour
pg "TRUNCATE analytics.calls_bench"
"$ETLRE" --config "$CONF" process --date $DAY --table calls_bench --chunk-size 2000 >"$TMP/main.out" 2>"$TMP/main.err" & main=$!
job_running() { job=$(pg "SELECT max(job_id) FROM etlre.jobs WHERE status = 'running'"); [ -n "$job" ]; }
check "the job is running" wait_for job_running
"$ETLRE" --config "$CONF" work --job-id "$job" >"$TMP/w1.out" 2>"$TMP/w1.err" & w1=$!
"$ETLRE" --config "$CONF" work --job-id "$job" >"$TMP/w2.out" 2>"$TMP/w2.err" & w2=$!
host=$(hostname)
# worker 1 is stopped (SIGSTOP) as soon as it holds an hour, and killed once
# stopped while that hour is still its running one; an hour it finished in
# between lets it go on to the next one
w1_hour() { pg "SELECT hour FROM etlre.job_hours WHERE job_id = $job AND status = 'running' AND worker = '$host:$w1'"; }
victim_hour=
for _ in $(seq 600); do
	hour=$(w1_hour)
	if [ -n "$hour" ]; then
		kill -STOP $w1
		[ "$(w1_hour)" = "$hour" ] && { victim_hour=$hour; break; }
		kill -CONT $w1
	fi
	sleep 0.05
done
check "worker 1 is stopped in the middle of an hour" test -n "$victim_hour"
kill -9 $w1
wait $w1 2>/dev/null
wait $w2; r2=$?
wait $main; rm=$?
is "$rm" 0 "the starting process exits 0"
is "$r2" 0 "the surviving worker exits 0"
is "$(pg "SELECT status FROM etlre.jobs WHERE job_id = $job")" succeeded "the job succeeded"
is "$(pg "SELECT status FROM etlre.job_hours WHERE job_id = $job AND hour = '$victim_hour'")" succeeded \
	"the killed worker's hour was claimed again and loaded"
check "that hour was loaded by another worker" \
	test "$(pg "SELECT worker FROM etlre.job_hours WHERE job_id = $job AND hour = '$victim_hour'")" != "$host:$w1"
is "$(tgt_counts)" "$(src_counts)" "target equals source hour by hour"
check "no duplicates" no_duplicates
check "several processes loaded hours" \
	test "$(pg "SELECT count(DISTINCT worker) FROM etlre.job_hours WHERE job_id = $job")" -ge 2

# --- joining a finished job is refused
run_etlre work --job-id "$job"
is "$RC" 2 "work on a finished job: exit 2"
like "$ERR" "is succeeded, not running" "work on a finished job: message"
done_testing
