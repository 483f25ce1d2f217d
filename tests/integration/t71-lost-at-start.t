#!/usr/bin/env bash
# A connection lost while a command starts (the check of etlre's tables, the
# plans' catalog queries on either side, the job's stored options) is exit 4,
# "a server cannot be reached", in every command that loads or compares, and
# nothing is written. A proxy (cutproxy.pl) sits between etlre and one server
# and cuts the connection when a given statement is sent.
. "$(dirname "$0")/lib.sh"

reset_databases
check "reset databases" test $? -eq 0
run_etlre process --date 2025-11-02 --skip-invalid
is "$RC" 0 "a first load, so that retry and work have a job"
pg "UPDATE etlre.jobs SET status = 'failed'"

PROXY_PID=
stop_proxy() { [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null; PROXY_PID=; }
trap 'stop_proxy; rm -rf "$TMP"' EXIT

# start_proxy PORT PATTERN: a cutting proxy in front of 127.0.0.1:PORT; sets PPORT
start_proxy() {
	stop_proxy
	rm -f "$TMP/port"
	perl "$ROOT/tests/integration/cutproxy.pl" "$TMP/port" "$1" "$2" &
	PROXY_PID=$!
	wait_for test -s "$TMP/port"
	PPORT=$(cat "$TMP/port")
}
src_via_proxy() { ETLRE_SOURCE_URL="mariadb://etl:etl@127.0.0.1:$PPORT/$MY_DB" etlre "$@"; }
tgt_via_proxy() { ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:$PPORT/$PG_DB" etlre "$@"; }

# expect_lost DESC VIA ARGS...: the command exits 4, says the connection was
# lost or the server cannot be reached, and leaves the target as it was
expect_lost() {
	local desc=$1 via=$2 before after
	shift 2
	before=$(target_snapshot)
	OUT=$($via "$@" 2>"$TMP/stderr"); RC=$?; ERR=$(cat "$TMP/stderr")
	after=$(target_snapshot)
	is "$RC" 4 "$desc: exit 4"
	like "$ERR" 'lost|closed|reach|connect' "$desc: the error says the connection went"
	is "$after" "$before" "$desc: nothing written"
}

JOB=$(pg "SELECT max(job_id) FROM etlre.jobs")

# --- the target lost during the check of etlre's tables
start_proxy "$ETLRE_DEV_PG_PORT" 'schema_version'
check "the proxy listens" test -n "$PPORT"
expect_lost "process, target lost at the version check" tgt_via_proxy process --date 2025-11-02
expect_lost "verify, target lost at the version check" tgt_via_proxy verify --date 2025-11-02
expect_lost "retry, target lost at the version check" tgt_via_proxy retry --job-id "$JOB" --force
expect_lost "work, target lost at the version check" tgt_via_proxy work --job-id "$JOB"
expect_lost "status, target lost at the version check" tgt_via_proxy status

# --- the target lost while the plans read its catalog
start_proxy "$ETLRE_DEV_PG_PORT" 'pg_attribute'
expect_lost "process, target lost while planning" tgt_via_proxy process --date 2025-11-02
expect_lost "process --dry-run, target lost while planning" tgt_via_proxy process --date 2025-11-02 --dry-run
expect_lost "verify --deep, target lost while planning" tgt_via_proxy verify --date 2025-11-02 --deep
expect_lost "retry, target lost while planning" tgt_via_proxy retry --job-id "$JOB" --force

# --- the target lost while retry reads the job's options
start_proxy "$ETLRE_DEV_PG_PORT" "options->>"
expect_lost "retry, target lost reading the job's options" tgt_via_proxy retry --job-id "$JOB"

# --- the source lost while the plans read its catalog
start_proxy "$ETLRE_DEV_MARIADB_PORT" 'information_schema\.COLUMNS'
expect_lost "process, source lost while planning" src_via_proxy process --date 2025-11-02
expect_lost "verify, source lost while planning" src_via_proxy verify --last-days 2
expect_lost "retry, source lost while planning" src_via_proxy retry --job-id "$JOB" --force
stop_proxy

# --- a configuration error stays exit 2, not 4
pg "ALTER TABLE analytics.calls RENAME COLUMN start_time TO start_time_x"
run_etlre process --date 2025-11-02
is "$RC" 2 "the time column missing in the target is still a configuration error: exit 2"
pg "ALTER TABLE analytics.calls RENAME COLUMN start_time_x TO start_time"

done_testing
