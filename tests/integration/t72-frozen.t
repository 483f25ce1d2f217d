#!/usr/bin/env bash
# A frozen server or a dead network never hangs etlre: each server is frozen
# with SIGSTOP in the middle of an hour and in the middle of a COPY, and a TCP
# proxy (socat) between etlre and each server stops forwarding (frozen the
# same way). Each run must end in bounded time with class timeout and the
# documented exit status, leave no hour half loaded, and after the thaw
# `etlre retry` must complete the job with nothing lost or doubled. verify
# --deep, which streams both servers' rows at once, ends in bounded time too.
#
# These tests freeze servers, so they run their own pair (the ports given
# plus 30, their own data dir; t70's pair is at plus 10, t67's at plus 20) and
# leave the shared ones alone: they run with the other files. Whatever
# happens, the EXIT trap thaws what was frozen and stops the proxies.
# mostly waits: for the timeouts of frozen servers (about 3 minutes, a few CPU seconds)
export ETLRE_DEV_MARIADB_PORT=${ETLRE_FROZEN_MARIADB_PORT:-$(( ${ETLRE_DEV_MARIADB_PORT:-3407} + 30 ))}
export ETLRE_DEV_PG_PORT=${ETLRE_FROZEN_PG_PORT:-$(( ${ETLRE_DEV_PG_PORT:-5477} + 30 ))}
export ETLRE_DEV_DB_DIR="$(cd "$(dirname "$0")/../.." && pwd)/.dev-db/frozen"
export ETLRE_DEV_MARIADB_BUFFER_POOL=${ETLRE_DEV_MARIADB_BUFFER_POOL:-128M}
mkdir -p "$ETLRE_DEV_DB_DIR" && exec 8>"$ETLRE_DEV_DB_DIR.lock" && flock 8
. "$(dirname "$0")/lib.sh"

FROZEN=""   # pids stopped with SIGSTOP, to thaw
PROXIES=""  # socat process groups
thaw_all() {
	[ -n "$FROZEN" ] && kill -CONT $FROZEN 2>/dev/null
	FROZEN=""
	for g in $PROXIES; do kill -CONT -- "-$g" 2>/dev/null; kill -TERM -- "-$g" 2>/dev/null; done
	PROXIES=""
}
trap 'thaw_all; bash "$ROOT/scripts/dev-db.sh" stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

export ETLRE_SOURCE_URL="mariadb://etl:etl@127.0.0.1:$ETLRE_DEV_MARIADB_PORT/ivr"
export ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:$ETLRE_DEV_PG_PORT/analytics"
# a small network limit keeps the test short (the urls come from the environment)
write_conf() {
	conf_header > "$CONF"
	cat >> "$CONF" <<CONF
connect_timeout = 2
network_timeout = ${NET:-6}
stuck_after = ${STUCK:-900}
CONF
	bench_table_conf >> "$CONF"
}
DAY=2025-06-01
ROWS=${ETLRE_FROZEN_ROWS:-72000}

pg "DROP SCHEMA IF EXISTS etlre CASCADE; DROP VIEW IF EXISTS analytics.calls_slow" >/dev/null 2>&1
psql "$ETLRE_TARGET_URL" -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/postgres/analytics.sql" >/dev/null 2>&1 &&
	bash "$ROOT/scripts/gen-calls.sh" "$ROWS" 1 "$DAY" >/dev/null && write_conf && etlre init >/dev/null
check "servers up, $ROWS rows generated" test $? -eq 0
my() { MYSQL_PWD=etl mariadb -h127.0.0.1 -P"$ETLRE_DEV_MARIADB_PORT" -uetl ivr -N -B -e "$1"; }
# the target takes COPY rows slowly (10 ms every 200 rows: 0.15 s an hour,
# 3.6 s a day), so that a COPY lasts long enough to be caught in the middle
bench_slow_target 200
# a psql of the test that meets a frozen server fails instead of waiting
export PGCONNECT_TIMEOUT=10

copy_running() { [ -n "$(pg "SELECT 1 FROM pg_stat_activity WHERE application_name = 'etlre' AND state = 'active' AND query LIKE 'COPY %calls_bench%'")" ]; }
# no_etlre_session: no connection of etlre left on the target (a frozen
# proxy or server may hold one until it is thawed)
no_etlre_session() { [ "$(pg "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'etlre'")" = 0 ]; }
last_job() { pg "SELECT max(job_id) FROM etlre.jobs"; }
reset_target() { pg "TRUNCATE analytics.calls_bench" >/dev/null; }

# freeze_mariadb / freeze_pg: SIGSTOP the whole server (every process of it)
freeze_mariadb() { FROZEN="$FROZEN $(cat "$ETLRE_DEV_DB_DIR/mariadb/mariadbd.pid")"; kill -STOP $FROZEN; }
freeze_pg() {
	local pm; pm=$(head -1 "$ETLRE_DEV_DB_DIR/pg/data/postmaster.pid")
	FROZEN="$FROZEN $pm $(pgrep -P "$pm" | tr '\n' ' ')"
	kill -STOP $FROZEN
}
# start_proxy PORT TO_PORT: a socat TCP proxy in its own process group
start_proxy() {
	setsid socat TCP-LISTEN:"$1",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$2" 2>/dev/null &
	local p=$!
	PROXIES="$PROXIES $p"
	for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
freeze_proxies() { for g in $PROXIES; do kill -STOP -- "-$g"; done; }

# start_run ARGS: etlre in the background (a watchdog kills it after 180 s:
# a hang fails the test instead of stalling it), through the proxies when
# RUN_SOURCE_URL / RUN_TARGET_URL say so
start_run() {
	ETLRE_SOURCE_URL=${RUN_SOURCE_URL:-$ETLRE_SOURCE_URL} ETLRE_TARGET_URL=${RUN_TARGET_URL:-$ETLRE_TARGET_URL} \
		timeout -s KILL 180 "$ETLRE" --config "$CONF" --log-format json process --date $DAY "$@" \
		>"$TMP/out" 2>"$TMP/err" &
	pid=$!
}
# end_run: waits for the run; RC, and SECS since the freeze (killed by the
# watchdog: the last lines etlre logged, to see where it hung)
end_run() {
	wait $pid; RC=$?
	SECS=$(awk -v a="$T_FREEZE" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	echo "# ended ${SECS}s after the freeze, exit $RC"
	if [ "$RC" = 137 ]; then tail -n 5 "$TMP/err" | cut -c1-400 | sed 's/^/#   etlre: /'; fi
}
froze() { T_FREEZE=$(date +%s.%N); }
within() { awk -v s="$SECS" -v max="$1" 'BEGIN { exit !(s <= max) }'; }
failed_class() { pg "SELECT string_agg(DISTINCT error_class, ',') FROM etlre.job_hours WHERE job_id = $1 AND status = 'failed'"; }
# after_thaw NAME JOB: no hour half loaded; retry completes; nothing lost or doubled
after_thaw() {
	check "$1: no hour partly loaded" bench_whole_hours_only
	run_etlre retry --job-id "$2"
	is "$RC" 0 "$1: retry after the thaw exits 0"
	check "$1 + retry: target equals source hour by hour" bench_equal
	check "$1 + retry: no duplicates" bench_no_duplicates
}

# frozen_run NAME FREEZE RC MAX PATTERN ARGS...: process ARGS, frozen by
# FREEZE (freeze_mariadb, freeze_pg, freeze_proxies) while a COPY runs: it must
# exit RC within MAX s, its log matching PATTERN; then, thawed, no hour is half
# loaded (a daily batch: the target is as before) and retry completes the job
frozen_run() {
	local name=$1 freeze=$2 rc=$3 max=$4 pattern=$5 job
	shift 5
	reset_target
	start_run "$@"
	check "$name: an hour is loading" wait_for copy_running
	$freeze; froze
	end_run
	is "$RC" "$rc" "$name: exit $rc"
	check "$name: ended within $max s, not ${SECS}s" within "$max"
	like "$(cat "$TMP/err")" "$pattern" "$name: the hour failed with class timeout"
	thaw_all
	RUN_SOURCE_URL= RUN_TARGET_URL=
	job=$(last_job)
	wait_for no_etlre_session
	case " $* " in *" daily "*)
		is "$(bench_tgt_counts)" "" "$name: the target is as before (the day rolled back)" ;;
	esac
	FAILED_CLASS=$(failed_class "$job")
	after_thaw "$name" "$job"
}
HOUR_TIMEOUT_7='"event":"hour_failed".*"error_class":"timeout".*no answer from the server for 7 s'
TIMEOUT_6='"error_class":"timeout".*no answer from the server for 6 s'

# MariaDB frozen in the middle of an hour, --timeout 2: the hour fails within
# --timeout + 5 s (+ 10 s slack for a loaded machine), class timeout, exit 1
frozen_run "MariaDB frozen mid-hour" freeze_mariadb 1 17 "$HOUR_TIMEOUT_7" \
	--timeout 2 --retries 0 --max-failures 1
is "$FAILED_CLASS" timeout "MariaDB frozen mid-hour: recorded as timeout in etlre.job_hours"
# MariaDB frozen in the middle of a COPY, no --timeout: network_timeout (6 s)
# bounds the wait for the next row; the retry cannot reconnect: exit 4
frozen_run "MariaDB frozen mid-COPY" freeze_mariadb 4 30 "$TIMEOUT_6" \
	--batch-mode daily --retries 1 --retry-wait 1
# PostgreSQL frozen: the target cannot record anything while frozen, so the
# job is left stale for retry; exit 4
frozen_run "PostgreSQL frozen mid-hour" freeze_pg 4 30 "$HOUR_TIMEOUT_7" --timeout 2 --retries 0
frozen_run "PostgreSQL frozen mid-COPY" freeze_pg 4 30 "$TIMEOUT_6" --batch-mode daily --retries 0
# a dead network: a proxy that stops forwarding, in front of each server
MY_PROXY=$((ETLRE_DEV_MARIADB_PORT + 1000)) PG_PROXY=$((ETLRE_DEV_PG_PORT + 1000))
start_proxy $MY_PROXY "$ETLRE_DEV_MARIADB_PORT"
check "the proxy to MariaDB is up" test $? -eq 0
RUN_SOURCE_URL="mariadb://etl:etl@127.0.0.1:$MY_PROXY/ivr"
frozen_run "dead network to MariaDB" freeze_proxies 4 40 "$TIMEOUT_6" \
	--batch-mode daily --retries 1 --retry-wait 1
start_proxy $PG_PROXY "$ETLRE_DEV_PG_PORT"
check "the proxy to PostgreSQL is up" test $? -eq 0
RUN_TARGET_URL="postgresql://etl@127.0.0.1:$PG_PROXY/analytics"
frozen_run "dead network to PostgreSQL" freeze_proxies 4 40 "$TIMEOUT_6" \
	--batch-mode daily --retries 1 --retry-wait 1

# --- MariaDB frozen for a while: the timeout is retried as a transient failure
reset_target
start_run --timeout 2 --retries 4 --retry-wait 2
wait_for copy_running
freeze_mariadb; froze
sleep 9
thaw_all
end_run
is "$RC" 0 "MariaDB frozen 9 s: the run completes after retries"
like "$(cat "$TMP/err")" '"event":"hour_retry".*"error_class":"timeout"' \
	"MariaDB frozen 9 s: the timeout was retried"
check "MariaDB frozen 9 s: target equals source" bench_equal
check "MariaDB frozen 9 s: no duplicates" bench_no_duplicates

# --- stuck and stale jobs: a worker whose network to MariaDB died waits
# (network_timeout 30 s here) without a heartbeat: stuck after stuck_after
# (3 s here); killed with -9, its job is stale; both until retried
NET=30 STUCK=3 write_conf
reset_target
start_proxy $MY_PROXY "$ETLRE_DEV_MARIADB_PORT"
RUN_SOURCE_URL="mariadb://etl:etl@127.0.0.1:$MY_PROXY/ivr" RUN_TARGET_URL=
start_run --batch-mode daily --retries 0
RUN_SOURCE_URL=
check "stuck: a COPY is in progress" wait_for copy_running
freeze_proxies
sleep 8
job=$(last_job)
run_etlre status --limit 1
like "$OUT" "^ *$job +stuck .*no heartbeat for [0-9.]+s" "stuck: status shows the job stuck, with the heartbeat's age"
run_etlre check --metrics-file "$TMP/check.prom"
is "$RC" 1 "stuck: check exits 1"
like "$OUT" "FAIL +jobs +1 running, 1 stuck: job $job idle for [0-9]+s \\(no heartbeat, no finished chunk; \\[etlre\\] stuck_after 3s\\)" \
	"stuck: check names the stuck job, with the limit from [etlre] stuck_after"
like "$(cat "$TMP/check.prom")" 'etlre_jobs_stuck\{command="check"\} 1' "stuck: etlre_jobs_stuck 1 in the metrics file"
kill -9 "$(pgrep -P $pid)"; wait $pid 2>/dev/null
thaw_all
wait_for no_etlre_session
run_etlre status --limit 1
like "$OUT" "^ *$job +stale " "stale: after kill -9, status shows the job stale"
run_etlre check --metrics-file "$TMP/check.prom"
is "$RC" 1 "stale: check exits 1"
like "$OUT" "FAIL +jobs +0 running, 1 stale: job $job is recorded as running but its process is gone; 'etlre retry --job-id $job'" \
	"stale: check names the stale job and the retry"
like "$(cat "$TMP/check.prom")" 'etlre_jobs_stale\{command="check"\} 1' "stale: etlre_jobs_stale 1 in the metrics file"
NET= STUCK= write_conf
after_thaw "killed while stuck" "$job"
run_etlre check --metrics-file "$TMP/check.prom"
is "$RC" 0 "once retried, the stale job no longer fails check"
like "$(cat "$TMP/check.prom")" 'etlre_jobs_stale\{command="check"\} 0' "etlre_jobs_stale 0 after the retry"

# ---- verify --deep streams both sides' rows at once (one thread each): a
# server frozen in the middle of its stream ends the run within
# network_timeout (6 s), as a failure, and nothing waits for ever
# frozen_verify NAME FREEZE ACTIVE ARGS...: verify --deep ARGS, frozen by
# FREEZE once ACTIVE says its stream runs
frozen_verify() {
	local name=$1 freeze=$2 active=$3
	shift 3
	timeout -s KILL 180 "$ETLRE" --config "$CONF" --log-format json verify --deep --date $DAY "$@" \
		>"$TMP/out" 2>"$TMP/err" &
	pid=$!
	check "$name: its rows are being streamed" wait_for $active
	$freeze; froze
	end_run
	# a failure: 4 when the connection is gone (the target's, cut off), 1
	# when the source timed out (session.c counts only a connection error)
	like "$RC" '^[14]$' "$name: exit 1 or 4, not $RC"
	check "$name: ended within 30 s, not ${SECS}s" within 30
	like "$(cat "$TMP/err")" "no answer from the server for 6 s" "$name: the wait ended after network_timeout"
	thaw_all
	wait_for no_etlre_session
}
# each side's rows come slowly to one of two tables (0.2 s every 1000 rows):
# in the target through a view, in the source through a view
pg "CREATE VIEW analytics.calls_slow AS SELECT * FROM analytics.calls_bench
    WHERE call_id % 1000 <> 0 OR pg_sleep(0.2) IS NOT NULL"
my "CREATE OR REPLACE VIEW calls_slow AS SELECT * FROM calls_bench WHERE IF(call_id % 1000 = 0, SLEEP(0.2), 0) = 0"
printf '%s\n' '[table slow_target]' 'source = calls_bench' 'target = analytics.calls_slow' \
	'time_column = start_time' 'key = call_id' '[table slow_source]' 'source = calls_slow' \
	'target = analytics.calls_bench' 'time_column = start_time' 'key = call_id' >>"$CONF"
copy_out_running() { [ -n "$(pg "SELECT 1 FROM pg_stat_activity WHERE application_name = 'etlre' AND state = 'active' AND query LIKE 'COPY (SELECT %calls_slow%'")" ]; }
frozen_verify "verify --deep, PostgreSQL frozen mid-COPY" freeze_pg copy_out_running --table slow_target
source_stream_running() { [ "$(my "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT _start_time_, %calls_slow%'")" != 0 ]; }
frozen_verify "verify --deep, MariaDB frozen mid-stream" freeze_mariadb source_stream_running --table slow_source
run_etlre verify --deep --date $DAY --table calls_bench
is "$RC" 0 "verify --deep after the thaw: ok"
pg "DROP VIEW analytics.calls_slow"
my "DROP VIEW calls_slow"
done_testing
