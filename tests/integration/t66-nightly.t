#!/usr/bin/env bash
# scripts/etlre-nightly.sh against the test databases, with its own log
# directory, lock and metrics file: a clean night exits 0, prints nothing
# and writes the dated log and the metrics file; a second night while the
# first holds the lock exits 75 and runs nothing; a night with drift exits
# 3 without repair and names the hour, and with repair (README "etlre verify": verify
# --repair) fixes it and exits 0; SIGTERM is passed on to etlre; bad
# settings exit 2; old logs are removed. The packaged cron line and systemd
# units call the script.
. "$(dirname "$0")/lib.sh"

NIGHTLY=$ROOT/scripts/etlre-nightly.sh
LOGS=$TMP/log
METRICS=$TMP/prom/etlre-nightly.prom
export ETLRE_CONFIG=$CONF ETLRE_NIGHTLY_LOG_DIR=$LOGS ETLRE_NIGHTLY_LOCK=$TMP/nightly.lock \
	ETLRE_NIGHTLY_METRICS=$METRICS ETLRE_NIGHTLY_DAYS=3
export ETLRE_BIN=$ETLRE
mkdir -p "$TMP/prom"
LOG_FILE=$LOGS/etlre-nightly-$(date +%F).log

# night [ENV=VALUE...]: runs the script, stdout in $OUT, stderr in $ERR, status in $RC
night() {
	OUT=$(env "$@" bash "$NIGHTLY" 2>"$TMP/night.err"); RC=$?; ERR=$(cat "$TMP/night.err")
}
# metric NAME: its value (table calls, or none) in the metrics file
metric() { sed -n "s/^$1{command=\"verify\"\(,table=\"calls\"\)\?} //p" "$METRICS"; }

# ---- data in the verified range: 2025-11-01's calls, moved to yesterday (UTC), loaded
YESTERDAY=$(date -u -d yesterday +%F)
reset_databases
check "reset databases" test $? -eq 0
my "INSERT INTO calls SELECT call_id + 90000000, caller_number, called_number,
      start_time + INTERVAL DATEDIFF('$YESTERDAY', '2025-11-01') DAY,
      end_time + INTERVAL DATEDIFF('$YESTERDAY', '2025-11-01') DAY,
      duration, status, queue, agent, menu_path, cost
    FROM calls WHERE start_time >= '2025-11-01' AND start_time < '2025-11-02'"
N_YESTERDAY=$(my "SELECT count(*) FROM calls WHERE DATE(start_time) = '$YESTERDAY'")
check "yesterday has calls in the source ($N_YESTERDAY)" test "$N_YESTERDAY" -gt 0
run_etlre process --date "$YESTERDAY" --skip-invalid
is "$RC" 0 "yesterday loaded"

# ---- a clean night
night ETLRE_NIGHTLY_REPAIR=0
is "$RC" 0 "a clean night (verify only) exits 0"
is "$OUT$ERR" "" "a clean night prints nothing (cron mails nothing)"
check "the dated log exists" test -s "$LOG_FILE"
like "$(cat "$LOG_FILE")" "etlre-nightly: start \(pid [0-9]+\): $ETLRE verify --last-days 3 --metrics-file $METRICS" \
	"the log says what ran"
like "$(cat "$LOG_FILE")" "calls +72 +72 +0 +0 +0 +$N_YESTERDAY " "the log holds etlre's summary: 72 hours ok"
like "$(tail -n 1 "$LOG_FILE")" "etlre-nightly: end: exit 0: ok" "the log ends with the status"
is "$(metric etlre_exit_status) $(metric etlre_verify_chunks) $(metric etlre_verify_chunks_differ)" "0 72 0" \
	"the metrics file: exit 0, 72 hours verified, none differs"
check "the metrics file has the last success of calls" test -n "$(metric etlre_last_success_timestamp_seconds)"
is "$(ls -A "$TMP/prom")" "etlre-nightly.prom" "no temporary metrics file left"

night
is "$RC" 0 "a clean night with repair (the default) exits 0"
is "$ERR" "" "... and prints nothing"

# ---- two nights at once: the second one runs nothing
cat >"$TMP/slow-etlre" <<EOF
#!/bin/sh
echo slow etlre started >&2
sleep 3
exec "$ETLRE" "\$@"
EOF
chmod +x "$TMP/slow-etlre"
MTIME=$(stat -c %Y.%i "$METRICS")
env ETLRE_NIGHTLY_REPAIR=0 ETLRE_BIN="$TMP/slow-etlre" bash "$NIGHTLY" 2>"$TMP/first.err" &
FIRST=$!
wait_for grep -q 'slow etlre started' "$LOG_FILE"
night ETLRE_NIGHTLY_REPAIR=0
is "$RC" 75 "a second night while the first runs exits 75"
like "$ERR" "another night is still running \(lock '$TMP/nightly.lock' held by pid $FIRST\); nothing was run" \
	"it says so, with the lock and the pid of the running night"
like "$(cat "$LOG_FILE")" "another night is still running" "and writes it to the log"
is "$(grep -c 'etlre-nightly: start' "$LOG_FILE")" 3 "it started no etlre (3 starts in the log: 2 nights, the slow one)"
wait "$FIRST"
is "$?" 0 "the first night ends normally (exit 0)"
check "the first night rewrote the metrics file" test "$(stat -c %Y.%i "$METRICS")" != "$MTIME"
exec 8<>"$TMP/nightly.lock"
flock -n 8
check "the lock is free again once the night is over" test $? -eq 0
night ETLRE_NIGHTLY_REPAIR=0
is "$RC" 75 "a lock held by anyone else (here this test) also exits 75"
flock -u 8
exec 8>&-

# ---- SIGTERM reaches etlre; the lock is released
cat >"$TMP/term-etlre" <<EOF
#!/bin/bash
trap 'kill \$pid; echo "etlre got SIGTERM" >&2; exit 143' TERM
sleep 30 & pid=\$!
echo term etlre started >&2
wait \$pid
EOF
chmod +x "$TMP/term-etlre"
env ETLRE_BIN="$TMP/term-etlre" bash "$NIGHTLY" 2>/dev/null &
NIGHT=$!
wait_for grep -q 'term etlre started' "$LOG_FILE"
kill -TERM "$NIGHT"
wait "$NIGHT"
is "$?" 143 "SIGTERM to the night: etlre gets it and the night exits 143"
like "$(cat "$LOG_FILE")" "etlre got SIGTERM" "etlre received the SIGTERM"
like "$(tail -n 1 "$LOG_FILE")" "end: exit 143: interrupted" "the log says interrupted"

# ---- a night with drift: a target row deleted, a source row arriving late
KEY=$(pg "SELECT call_id FROM analytics.calls WHERE start_time >= '$YESTERDAY 09:00' ORDER BY start_time LIMIT 1")
HOUR=$(pg "SELECT to_char(date_trunc('hour', start_time), 'YYYY-MM-DD\"T\"HH24:MI:SS') FROM analytics.calls WHERE call_id = $KEY")
pg "DELETE FROM analytics.calls WHERE call_id = $KEY"
night ETLRE_NIGHTLY_REPAIR=0
is "$RC" 3 "drift without repair: exit 3"
like "$ERR" "exited 3: hours differ \(not repaired: ETLRE_NIGHTLY_REPAIR=0\)" "the alert says hours differ"
like "$ERR" "calls $HOUR missing: " "the alert shows the hour that differs"
like "$(cat "$LOG_FILE")" "calls $HOUR missing: " "the log names the hour"
is "$(metric etlre_exit_status) $(metric etlre_verify_chunks_differ)" "3 1" "the metrics file: exit 3, 1 hour differs"

night
is "$RC" 0 "drift with repair (the default): fixed, exit 0"
is "$(metric etlre_verify_chunks_differ)" 0 "the metrics file: no hour differs after the repair"
is "$(pg "SELECT count(*) FROM analytics.calls WHERE call_id = $KEY")" 1 "the deleted row is back"
run_etlre verify --last-days 3
is "$RC" 0 "a verify after the repaired night exits 0"

# ---- bad settings: exit 2, nothing run
night ETLRE_NIGHTLY_DAYS=three
is "$RC" 2 "ETLRE_NIGHTLY_DAYS=three: exit 2"
like "$ERR" "ETLRE_NIGHTLY_DAYS must be a whole number of days, at least 1, not 'three'" "and says why"
night ETLRE_NIGHTLY_DAYS=0
is "$RC" 2 "ETLRE_NIGHTLY_DAYS=0: exit 2"
night ETLRE_NIGHTLY_REPAIR=yes
is "$RC" 2 "ETLRE_NIGHTLY_REPAIR=yes: exit 2"
night ETLRE_NIGHTLY_LOG_DIR="$CONF/logs"
is "$RC" 2 "a log directory that cannot be made: exit 2"
like "$ERR" "cannot write the log directory '$CONF/logs'" "and says which"
night ETLRE_BIN="$TMP/no-such-etlre"
is "$RC" 2 "a missing etlre binary: exit 2"
night ETLRE_NIGHTLY_REPAIR=0 ETLRE_NIGHTLY_METRICS="$TMP/no-such-dir/x.prom"
is "$RC" 2 "a metrics file that cannot be written: etlre exits 2, so does the night"
like "$ERR" "--metrics-file: cannot create a file in directory '$TMP/no-such-dir'" "the alert shows etlre's error"

# ---- old logs are removed, others kept (after a clean night again)
run_etlre process --date "$YESTERDAY" --skip-invalid
is "$RC" 0 "yesterday reloaded: no drift left"
touch -d '40 days ago' "$LOGS/etlre-nightly-2000-01-01.log"
touch -d '40 days ago' "$LOGS/other.log"
touch -d '10 days ago' "$LOGS/etlre-nightly-2000-02-01.log"
night ETLRE_NIGHTLY_REPAIR=0 ETLRE_NIGHTLY_KEEP_DAYS=30
is "$RC" 0 "a night with ETLRE_NIGHTLY_KEEP_DAYS=30"
is "$(cd "$LOGS" && ls | LC_ALL=C sort | tr '\n' ' ')" "etlre-nightly-2000-02-01.log etlre-nightly-$(date +%F).log other.log " \
	"the 40-day-old night log is gone; the 10-day-old one and other files stay"

# ---- the packaged schedules run the script
like "$(grep -v '^#' "$ROOT/packaging/cron/etlre-nightly")" '^[0-9]+ [0-9]+ \* \* \* +etlre +etlre-nightly$' \
	"the crontab line runs etlre-nightly as user etlre"
like "$(cat "$ROOT/packaging/systemd/etlre-nightly.service")" 'ExecStart=/usr/local/bin/etlre-nightly' \
	"the service runs the script"
like "$(cat "$ROOT/packaging/systemd/etlre-nightly.timer")" 'OnCalendar=\*-\*-\* 02:15:00' \
	"the timer fires nightly at 02:15"

done_testing
