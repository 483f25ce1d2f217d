# lib_frozen.sh: helpers of the tests where a server or the network to it
# freezes (t72-frozen.t: the servers, t74-dead-network.t: TCP proxies), sourced
# after lib.sh. The files set DAY, and freeze with SIGSTOP what they add to
# FROZEN (pids) and PROXIES (socat process groups); thaw_all thaws them all.
# Runs go through the proxies when RUN_SOURCE_URL / RUN_TARGET_URL say so.

FROZEN=""   # pids stopped with SIGSTOP, to thaw
PROXIES=""  # socat process groups
thaw_all() {
	[ -n "$FROZEN" ] && kill -CONT $FROZEN 2>/dev/null
	FROZEN=""
	for g in $PROXIES; do kill -CONT -- "-$g" 2>/dev/null; kill -TERM -- "-$g" 2>/dev/null; done
	PROXIES=""
}
# a small network limit keeps the test short (the urls come from the environment)
write_conf() {
	conf_header > "$CONF"
	cat >> "$CONF" <<CONF
connect_timeout = ${CONNECT:-2}
network_timeout = ${NET:-6}
stuck_after = ${STUCK:-900}
CONF
	bench_table_conf >> "$CONF"
}
# frozen_setup ROWS: etlre's schema afresh, ROWS generated rows of DAY in
# calls_bench on both servers' test databases, the config, etlre init; the
# target takes COPY rows slowly (10 ms every 200 rows: 0.15 s an hour, 3.6 s
# a day), so that a COPY lasts long enough to be caught in the middle
frozen_setup() {
	pg "DROP SCHEMA IF EXISTS etlre CASCADE; DROP VIEW IF EXISTS analytics.calls_slow" >/dev/null 2>&1
	psql "$ETLRE_TARGET_URL" -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/postgres/analytics.sql" >/dev/null 2>&1 &&
		ETLRE_GEN_DB=$MY_DB ETLRE_GEN_PG_URL=$ETLRE_TARGET_URL bash "$ROOT/scripts/gen-calls.sh" "$1" 1 "$DAY" >/dev/null &&
		write_conf && etlre init >/dev/null && bench_slow_target 200
}
copy_running() { [ -n "$(pg "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'etlre' AND state = 'active' AND query LIKE 'COPY %calls_bench%'")" ]; }
# no_etlre_session: no connection of etlre left on the test's target
# database (a frozen proxy or server may hold one until it is thawed)
no_etlre_session() { [ "$(pg "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'etlre'")" = 0 ]; }
last_job() { pg "SELECT max(job_id) FROM etlre.jobs"; }
reset_target() { pg "TRUNCATE analytics.calls_bench" >/dev/null; }

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
# FREEZE (freeze_mariadb, freeze_pg, freeze_proxies, or a function that also
# signals $pid) while a COPY runs: it must exit RC within MAX s of FREEZE's
# end, its log matching PATTERN; then, thawed, no hour is half
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
	like "$(cat "$TMP/err")" "$pattern" "$name: the log says why it ended"
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
# the log of an hour that failed as it must: after --timeout 2 (+ 5 s), or
# after network_timeout (6 s)
HOUR_TIMEOUT_7='"event":"hour_failed".*"error_class":"timeout".*no answer from the server for 7 s'
TIMEOUT_6='"error_class":"timeout".*no answer from the server for 6 s'
