#!/usr/bin/env bash
# --log-file PATH: the log is appended to PATH instead of stderr (created
# 0640), errors are also written to stderr; a path that cannot be opened is a
# usage error before anything runs; SIGHUP makes etlre reopen the path at its
# next line, so packaging/logrotate/etlre, run by the real logrotate while a
# job is held mid-way, moves the file and the rest of the job's lines land in
# a new one, none lost.
. "$(dirname "$0")/lib.sh"

reset_databases
check "reset databases" test $? -eq 0
mkdir -p "$TMP/log"
LOG=$TMP/log/etlre.log

# ---- appended, nothing on stderr when all goes well
run_etlre --log-file "$LOG" process --date 2025-11-01
is "$RC" 0 "process with --log-file exits 0"
is "$ERR" "" "nothing on stderr"
like "$OUT" '^job [0-9]+: succeeded' "the summary is still on stdout"
is "$(stat -c %a "$LOG")" 640 "the log file is created 0640"
is "$(grep -c 'info  job [0-9]*: table calls hour 2025-11-01T' "$LOG")" 24 "one line per hour in the file (it is not a terminal)"
is "$(grep -c 'info  job [0-9]*: job [0-9]* started' "$LOG")" 1 "the job's start is in the file"
first=$(cat "$LOG")
run_etlre process --date 2025-11-01 --log-file "$LOG" --log-format json
is "$RC" 0 "a second run, --log-file after the command, JSON lines"
is "$(head -n "$(printf '%s\n' "$first" | wc -l)" "$LOG")" "$first" "the first run's lines are kept: the file is appended to"
is "$(sed "1,$(printf '%s\n' "$first" | wc -l)d" "$LOG" | grep -vc '^{"time":')" 0 "the second run appended JSON lines only"
is "$(grep -c '"event":"hour_done"' "$LOG")" 24 "its 24 hour_done events among them"

# ---- errors go to the file and to stderr
run_etlre --log-file "$LOG" process --date 2025-11-02
is "$RC" 1 "process 2025-11-02 without --skip-invalid exits 1"
is "$(printf '%s\n' "$ERR" | grep -c 'error job [0-9]*: table calls hour 2025-11-02T1[0-3]:00:00: failed')" 4 \
	"the 4 failed hours are on stderr"
is "$(printf '%s\n' "$ERR" | grep -vc ' error ')" 0 "and nothing else is"
is "$(grep -c 'error job [0-9]*: table calls hour 2025-11-02T1[0-3]:00:00: failed' "$LOG")" 4 "and in the file"
is "$(grep -c 'info  job [0-9]*: table calls hour 2025-11-02T' "$LOG")" 20 "with the 20 hours that loaded"

# ---- paths that cannot be used: exit 2, nothing done
BEFORE=$(target_snapshot)
for bad in "$TMP/log" "$TMP/no-such-dir/etlre.log" ""; do
	run_etlre --log-file "$bad" process --date 2025-11-03
	is "$RC" 2 "--log-file '$bad': exit 2"
done
like "$ERR" "^etlre(-san)?: --log-file: the path is empty" "the message names the option and what is wrong"
run_etlre --log-file "$TMP/log" status
like "$ERR" "'$TMP/log' is not a regular file|cannot open '$TMP/log' for appending: Is a directory" "a directory: says so"
run_etlre --log-file "$TMP/no-such-dir/etlre.log" status
like "$ERR" "cannot open '$TMP/no-such-dir/etlre.log' for appending: No such file or directory" "a missing directory: says so"
run_etlre --log-file "$LOG" --log-file "$LOG.2" status
is "$RC" 2 "--log-file twice: exit 2"
is "$(target_snapshot)" "$BEFORE" "nothing was written to the target by the refused runs"

# ---- logrotate moves the file while a job runs; SIGHUP makes etlre reopen it
hour_key=$(pg "SELECT (extract(epoch FROM timestamp '2025-11-03 12:00') / 3600)::bigint")
locker_granted() { [ "$(pg "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 't36-locker' AND l.locktype = 'advisory' AND l.granted")" = 1 ]; }
held_by_lock() { [ "$(pg "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $hour_key AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")" = 1 ]; }
PGAPPNAME=t36-locker psql "$ETLRE_TARGET_URL" -X -q -c "SELECT pg_advisory_lock(hashtext('etlre:analytics.calls'), $hour_key); SELECT pg_sleep(120)" >/dev/null 2>&1 &
locker=$!
check "the test holds the lock of hour 2025-11-03T12:00" wait_for locker_granted
: >"$LOG"
"$ETLRE" --config "$CONF" --log-file "$LOG" process --date 2025-11-03 --skip-invalid >"$TMP/out" 2>"$TMP/err" & pid=$!
check "the job waits at hour 2025-11-03T12:00" wait_for held_by_lock
# the shipped snippet, pointed at the test's file (no owner change: the test runs as whoever)
sed -e "s#/var/log/etlre/etlre\\\\\\.log#$LOG#; s#/var/log/etlre/etlre\\.log#$LOG#" -e '/^\tcreate /s/ etlre etlre$//' \
	"$ROOT/packaging/logrotate/etlre" >"$TMP/logrotate.conf"
check "the snippet now names the test's log in its path and its pkill pattern" \
	sh -c 'grep -qxF "$1 {" "$2" && grep -qF -- "pkill -HUP -f -- '"'"'--log-file[= ]$1'"'"'" "$2"' sh "$LOG" "$TMP/logrotate.conf"
logrotate -f -s "$TMP/logrotate.state" "$TMP/logrotate.conf" 2>"$TMP/logrotate.err"
is "$?" 0 "logrotate -f with packaging/logrotate/etlre succeeds"
check "the old log was moved to etlre.log.1" test -s "$LOG.1"
pg "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 't36-locker'" >/dev/null
wait $locker 2>/dev/null
wait $pid; RC=$?
is "$RC" 0 "the job, sent SIGHUP, was not stopped by it: exit 0"
is "$(grep -c 'table calls hour 2025-11-03T' "$LOG.1" "$LOG" | awk -F: '{ n += $2 } END { print n }')" 24 \
	"the 24 hour lines are all there, in one file or the other"
is "$(grep -c 'table calls hour 2025-11-03T\(0[0-9]\|1[01]\)' "$LOG.1")" 12 "the 12 hours before the rotation are in the rotated file"
check "the hours after it are in the new file" grep -q 'table calls hour 2025-11-03T12:00:00' "$LOG"
check "the new file has the job's end" grep -q 'info  job [0-9]*: job [0-9]* succeeded' "$LOG"
is "$(stat -c %a "$LOG")" 640 "the new file is 0640 too"
is "$(cat "$TMP/err")" "" "nothing on stderr"

done_testing
