#!/usr/bin/env bash
# A dead network never hangs etlre: a TCP proxy (socat) between etlre and each
# server stops forwarding (frozen with SIGSTOP) in the middle of a COPY. Each
# run must end in bounded time with class timeout and exit 4, leave no hour
# half loaded, and after the thaw `etlre retry` must complete the job with
# nothing lost or doubled. A worker whose network died is stuck (status,
# check and its metrics say so); killed with -9, its job is stale; both until
# retried. (Frozen servers: t72.)
#
# Only the proxies freeze (at the dev ports + 1000): the shared servers serve
# this file's own databases (lib.sh) and the other files as usual. Whatever
# happens, the EXIT trap stops the proxies.
# mostly waits: for the timeouts of a dead network (about a minute, a few CPU seconds)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_frozen.sh"
trap 'thaw_all; rm -rf "$TMP"' EXIT

DAY=2025-06-01
ROWS=${ETLRE_FROZEN_ROWS:-72000}
frozen_setup "$ROWS"
check "$ROWS rows generated" test $? -eq 0

# a dead network: a proxy that stops forwarding, in front of each server
MY_PROXY=$((ETLRE_DEV_MARIADB_PORT + 1000)) PG_PROXY=$((ETLRE_DEV_PG_PORT + 1000))
start_proxy $MY_PROXY "$ETLRE_DEV_MARIADB_PORT"
check "the proxy to MariaDB is up" test $? -eq 0
RUN_SOURCE_URL="mariadb://etl:etl@127.0.0.1:$MY_PROXY/$MY_DB"
frozen_run "dead network to MariaDB" freeze_proxies 4 40 "$TIMEOUT_6" \
	--batch-mode daily --retries 1 --retry-wait 1
start_proxy $PG_PROXY "$ETLRE_DEV_PG_PORT"
check "the proxy to PostgreSQL is up" test $? -eq 0
RUN_TARGET_URL="postgresql://etl@127.0.0.1:$PG_PROXY/$PG_DB"
frozen_run "dead network to PostgreSQL" freeze_proxies 4 40 "$TIMEOUT_6" \
	--batch-mode daily --retries 1 --retry-wait 1

# --- stuck and stale jobs: a worker whose network to MariaDB died waits
# (network_timeout 30 s here) without a heartbeat: stuck after stuck_after
# (3 s here); killed with -9, its job is stale; both until retried
# job_flagged STATE STATUS_RE CHECK_RE: status shows job $job STATE
# (STATUS_RE after it, its reason), check exits 1 naming it (CHECK_RE, with
# the reason and what to do) and counts it in the metrics file
job_flagged() {
	run_etlre status --limit 1
	like "$OUT" "^ *$job +$1 $2" "$1: status shows the job $1"
	run_etlre check --metrics-file "$TMP/check.prom"
	is "$RC" 1 "$1: check exits 1"
	like "$OUT" "$3" "$1: check names the $1 job and why"
	like "$(cat "$TMP/check.prom")" "etlre_jobs_$1\\{command=\"check\"\\} 1" "$1: etlre_jobs_$1 1 in the metrics file"
}
NET=30 STUCK=3 write_conf
reset_target
start_proxy $MY_PROXY "$ETLRE_DEV_MARIADB_PORT"
RUN_SOURCE_URL="mariadb://etl:etl@127.0.0.1:$MY_PROXY/$MY_DB" RUN_TARGET_URL=
start_run --batch-mode daily --retries 0
RUN_SOURCE_URL=
check "stuck: a COPY is in progress" wait_for copy_running
freeze_proxies
sleep 8
job=$(last_job)
job_flagged stuck ".*no heartbeat for [0-9.]+s" \
	"FAIL +jobs +1 running, 1 stuck: job $job idle for [0-9]+s \\(no heartbeat, no finished chunk; \\[etlre\\] stuck_after 3s\\)"
kill -9 "$(pgrep -P $pid)"; wait $pid 2>/dev/null
thaw_all
wait_for no_etlre_session
job_flagged stale "" \
	"FAIL +jobs +0 running, 1 stale: job $job is recorded as running but its process is gone; 'etlre retry --job-id $job'"
NET= STUCK= write_conf
after_thaw "killed while stuck" "$job"
run_etlre check --metrics-file "$TMP/check.prom"
is "$RC" 0 "once retried, the stale job no longer fails check"
like "$(cat "$TMP/check.prom")" 'etlre_jobs_stale\{command="check"\} 0' "etlre_jobs_stale 0 after the retry"

# --- a stop on a dead network: SIGTERM while the proxy to one server is
# frozen in the middle of a COPY (network_timeout 30 s here). No cancel
# request can reach that server: the target gets STOP_GRACE (5 s) to end
# the statement, then etlre closes the connection; the source connection
# whose KILL QUERY cannot be sent is shut down. Either way the run exits 143
# within seconds (it used to wait for the network limit, and on the target
# it hung: the cancel request, sent from the signal handler, waited for ever)
# After the grace, a connection made to record how the job ended gets 5 s,
# not connect_timeout (10 s in the PostgreSQL run): 5 + 5 + 5 s at most.
# (froze, in frozen_run, then times the run from the SIGTERM)
freeze_and_stop() { freeze_proxies; sleep 1; kill -TERM $pid; }
CONNECT=10 NET=30 write_conf
start_proxy $PG_PROXY "$ETLRE_DEV_PG_PORT"
check "the proxy to PostgreSQL is up again" test $? -eq 0
RUN_TARGET_URL="postgresql://etl@127.0.0.1:$PG_PROXY/$PG_DB"
frozen_run "SIGTERM, dead network to PostgreSQL" freeze_and_stop 143 20 \
	'etlre was stopped and the server did not answer within 5 s; etlre closed the connection' \
	--batch-mode daily --retries 0
NET=30 write_conf
start_proxy $MY_PROXY "$ETLRE_DEV_MARIADB_PORT"
check "the proxy to MariaDB is up again" test $? -eq 0
RUN_SOURCE_URL="mariadb://etl:etl@127.0.0.1:$MY_PROXY/$MY_DB"
frozen_run "SIGTERM, dead network to MariaDB" freeze_and_stop 143 10 '"event":"hour_interrupted"' \
	--batch-mode daily --retries 0

# a stop while etlre connects through a dead network ends it at once, not
# when connect_timeout (10 s here) does; the exit status is the
# interruption's (130, 143), not 4 (target_pg_connect.c, stoppable.h)
# connecting_to PORT: etlre ($pid) has a connection to PORT open (the frozen
# proxy's kernel still accepts it; the server's greeting never comes)
connecting_to() { ss -Htnp state established "( dport = :$1 )" | grep -q "pid=$pid,"; }
# stop_while_connecting NAME SIGNAL RC PORT COMMAND...: COMMAND, stopped by
# SIGNAL once it waits on PORT, must exit RC within 2 s and say why
stop_while_connecting() {
	local name=$1 sig=$2 rc=$3 port=$4
	shift 4
	"$ETLRE" --config "$CONF" "$@" >"$TMP/out" 2>"$TMP/err" & pid=$!
	(sleep 60; kill -KILL $pid 2>/dev/null) & local dog=$! # a hang fails, not stalls
	check "$name: etlre waits on the dead network" wait_for connecting_to "$port"
	kill "-$sig" $pid; froze
	end_run
	kill $dog 2>/dev/null
	is "$RC" "$rc" "$name: exit $rc"
	check "$name: ended within 2 s of the signal, not connect_timeout's 10 (${SECS}s)" within 2
}
CONNECT=10 NET=30 write_conf
start_proxy $PG_PROXY "$ETLRE_DEV_PG_PORT"
check "the proxy to PostgreSQL is up for status" test $? -eq 0
start_proxy $MY_PROXY "$ETLRE_DEV_MARIADB_PORT"
check "the proxy to MariaDB is up for verify" test $? -eq 0
freeze_proxies
ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:$PG_PROXY/$PG_DB" \
	stop_while_connecting "SIGINT to status connecting to PostgreSQL" INT 130 $PG_PROXY status
like "$(cat "$TMP/err")" "etlre was stopped while connecting to the target etl@127.0.0.1:$PG_PROXY/" \
	"status: the log says the stop came while connecting"
ETLRE_SOURCE_URL="mariadb://etl:etl@127.0.0.1:$MY_PROXY/$MY_DB" \
	stop_while_connecting "SIGTERM to verify connecting to MariaDB" TERM 143 $MY_PROXY verify --date $DAY
like "$(cat "$TMP/err")" "etlre was stopped while connecting to the source etl@127.0.0.1:$MY_PROXY/" \
	"verify: the log says the stop came while connecting"
# libpq's connect is kept as it is: a target URL of two hosts whose first
# does not answer gets connect_timeout (2 s here) on that one, then the next
CONNECT=2 NET=30 write_conf
ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:$PG_PROXY,127.0.0.1:$ETLRE_DEV_PG_PORT/$PG_DB" run_etlre status --limit 1
is "$RC" 0 "a target URL of two hosts, the first on a dead network: status connects to the second"
thaw_all
NET= write_conf

done_testing
