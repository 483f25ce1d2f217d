#!/usr/bin/env bash
# What etlre says while it runs: JSON log lines with events and counts for
# log shippers, a progress line every --progress-interval seconds when stderr
# is not a terminal, a line redrawn in place when it is, none with --quiet.
# And retry --skip-invalid, the runbook's fix for hours that failed on data.
. "$(dirname "$0")/lib.sh"

reset_databases
check "reset databases" test $? -eq 0

# json_lines FILE: every line of FILE is one JSON object with time, level and
# message; prints the objects' events and counts, one per line
json_events() {
	perl -MJSON::PP -ne '
		my $o = eval { decode_json($_) } or do { print "BAD LINE: $_"; next };
		defined $o->{time} && defined $o->{level} && defined $o->{message} or print "MISSING FIELDS: $_";
		print join(" ", $o->{event} // "-", map { defined $o->{$_} ? "$_=$o->{$_}" : () }
			qw(table hour error_class rows_read rows_loaded rows_rejected hours_done hours_total)), "\n";' "$1"
}

# one worker (here and below where a short job must show progress): it
# reports after each hour; several workers' progress is read from the ledger
# once a second by the starting process, after a job this short may be over
# (the terminal screen test below shows several workers' progress line)
"$ETLRE" --config "$CONF" --log-format json --progress-interval 0.000001 process --date 2025-11-01 \
	--jobs 1 >"$TMP/out" 2>"$TMP/err"
RC=$?
is "$RC" 0 "json logs: the run succeeds"
json_events "$TMP/err" > "$TMP/events"
is "$(grep -c '^BAD LINE\|^MISSING FIELDS' "$TMP/events")" 0 "json logs: every stderr line is a JSON object with time, level and message"
is "$(grep -c '^hour_done table=calls hour=2025-11-01T' "$TMP/events")" 24 "json logs: one hour_done event per hour, with table and hour"
src_total=$(my "SELECT COUNT(*) FROM calls WHERE DATE(start_time) = '2025-11-01'")
is "$(grep '^job_finished' "$TMP/events")" "job_finished rows_read=$src_total rows_loaded=$src_total rows_rejected=0 hours_done=24 hours_total=24" \
	"json logs: job_finished carries the job's totals"
like "$(grep '^job_started' "$TMP/events")" "hours_total=24" "json logs: job_started carries the number of hours"
check "json logs: progress events count hours out of 24" grep -q '^progress .*hours_total=24' "$TMP/events"
is "$(awk '/^hour_done/ { sub("rows_read=", "", $4); n += $4 } END { print n }' "$TMP/events")" "$src_total" \
	"json logs: the hours' rows_read add up to the source rows"

# a failing hour: hour_failed with its error class
"$ETLRE" --config "$CONF" --log-format json process --date 2025-11-02 >"$TMP/out" 2>"$TMP/err"
RC=$?
is "$RC" 1 "json logs: invalid rows fail their hours"
json_events "$TMP/err" > "$TMP/events"
is "$(grep '^hour_failed' "$TMP/events" | sed 's/ hour=[^ ]*//' | sort | uniq -c | sed 's/^ *//')" \
"1 hour_failed table=calls error_class=constraint
3 hour_failed table=calls error_class=invalid_data" "json logs: hour_failed events carry the error class"
failed_job=$(pg "SELECT max(job_id) FROM etlre.jobs")

# plain progress lines when stderr is not a terminal
"$ETLRE" --config "$CONF" --progress-interval 0.000001 process --date 2025-11-01 --jobs 1 >/dev/null 2>"$TMP/err"
like "$(cat "$TMP/err")" 'progress: [0-9]+/24 hours \([0-9]+%\), [0-9]+ rows, [0-9]+ rows/s, ETA ' "not a terminal: plain progress lines"
check "not a terminal: no control characters" bash -c "! grep -q \$'\\r\\|\\033' '$TMP/err'"
"$ETLRE" --config "$CONF" --progress-interval 0 process --date 2025-11-01 >/dev/null 2>"$TMP/err"
check "--progress-interval 0: no progress lines" sh -c "! grep -q 'progress:' '$TMP/err'"
"$ETLRE" --config "$CONF" --quiet --progress-interval 0.000001 process --date 2025-11-01 >/dev/null 2>"$TMP/err"
check "--quiet: nothing on stderr" test ! -s "$TMP/err"
run_etlre --progress-interval abc process --date 2025-11-01
is "$RC" 2 "--progress-interval abc: exit 2"
like "$ERR" "progress-interval" "--progress-interval abc: the message names the option"

# per-hour lines: when stderr is not a terminal, one info line per hour as before
"$ETLRE" --config "$CONF" --progress-interval 0 process --date 2025-11-01 >/dev/null 2>"$TMP/err"
is "$(grep -c 'info  job [0-9]*: table calls hour 2025-11-01T[0-9:]*: [0-9]* rows read' "$TMP/err")" 24 \
	"not a terminal: one info line per hour"

# on a terminal (script gives etlre a pseudo-terminal): a line redrawn in place,
# no line per hour unless --log-level debug
script -qec "'$ETLRE' --config '$CONF' process --start-date 2025-11-01 --end-date 2025-11-03 --skip-invalid --jobs 1 2>&1 >/dev/null" /dev/null > "$TMP/tty"
check "terminal: the progress line is drawn with carriage return and erase-line" grep -q $'\r\033\\[K[0-9]*/72 hours' "$TMP/tty"
check "terminal: no line per hour" sh -c "! grep -q 'table calls hour .*rows read' '$TMP/tty'"
check "terminal: the job's start and end are still logged" \
	sh -c "grep -q 'info  job [0-9]*: job [0-9]* started' '$TMP/tty' && grep -q 'info  job [0-9]*: job [0-9]* succeeded' '$TMP/tty'"
script -qec "'$ETLRE' --config '$CONF' --log-level debug process --date 2025-11-01 2>&1 >/dev/null" /dev/null > "$TMP/tty"
is "$(grep -c 'debug job [0-9]*: table calls hour 2025-11-01T[0-9:]*: [0-9]* rows read' "$TMP/tty")" 24 \
	"terminal, --log-level debug: the 24 per-hour lines"
script -qec "'$ETLRE' --config '$CONF' --quiet process --date 2025-11-01 2>&1 >/dev/null" /dev/null > "$TMP/tty"
check "terminal, --quiet: no progress line" sh -c "! grep -q 'hours (' '$TMP/tty'"

# the screen of a real terminal (tmux, 70 columns): a job held at the 2025-11-03T05:00
# hour by the advisory lock etlre takes per table and hour; 2025-11-02 fails 4 hours
# screen: the pane as it shows now, wrapped lines joined, without blank lines
screen() { tmux -S "$TMUX_SOCK" capture-pane -p -J -t etlre | sed '/^$/d'; }
TMUX_SOCK="$TMP/tmux.sock"   # in $TMP: removed with it
trap 'tmux -S "$TMUX_SOCK" kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
hour_key=$(pg "SELECT (extract(epoch FROM timestamp '2025-11-03 05:00') / 3600)::bigint")
held_by_lock() { [ "$(pg "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $hour_key AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")" = 1 ]; }
locker_granted() { [ "$(pg "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 't35-locker' AND l.locktype = 'advisory' AND l.granted")" = 1 ]; }
finished() { screen | grep -q '^EXIT='; }
PGAPPNAME=t35-locker psql "$ETLRE_TARGET_URL" -X -q -c "SELECT pg_advisory_lock(hashtext('etlre:analytics.calls'), $hour_key); SELECT pg_sleep(120)" >/dev/null 2>&1 &
locker=$!
check "terminal screen: the test holds the lock of hour 2025-11-03T05:00" wait_for locker_granted
tmux -S "$TMUX_SOCK" new-session -d -s etlre -x 70 -y 60 \
	"'$ETLRE' --config '$CONF' process --start-date 2025-11-01 --end-date 2025-11-03; echo EXIT=\$?; sleep 60"
check "terminal screen: the job waits at hour 2025-11-03T05:00" wait_for held_by_lock
sleep 1
screen > "$TMP/screen1"
last=$(tail -1 "$TMP/screen1")
like "$last" '^[0-9]+/72 hours \([0-9]+%\), [0-9]+ rows, [0-9]+ rows/s, ETA ' "terminal screen: the progress line is at the bottom"
check "terminal screen: it is cut to the 70-column width, not wrapped (${#last} columns)" test "${#last}" -le 69
is "$(grep -c 'hours (' "$TMP/screen1")" 1 "terminal screen: one progress line, not one per redraw"
is "$(grep -c 'error job [0-9]*: table calls hour 2025-11-02T1[0-3]:00:00: failed \[' "$TMP/screen1")" 4 \
	"terminal screen: the 4 failures printed above it as they happened"
is "$(grep -c 'rows read' "$TMP/screen1")" 0 "terminal screen: no line per hour"
pg "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 't35-locker'" >/dev/null
wait $locker 2>/dev/null
check "terminal screen: the job ends once the lock is gone" wait_for finished
screen > "$TMP/screen2"
is "$(grep -c 'hours (' "$TMP/screen2")" 0 "terminal screen: at the end no progress line is left"
like "$(cat "$TMP/screen2")" 'job [0-9]+: partial \(2025-11-01 \.\. 2025-11-03, hourly\)' "terminal screen: the summary ends it"
is "$(grep -c 'failed \[' "$TMP/screen2")" 4 "terminal screen: the failures are still there"
is "$(tail -1 "$TMP/screen2")" "EXIT=1" "terminal screen: exit 1 (4 hours failed)"
tmux -S "$TMUX_SOCK" kill-server 2>/dev/null

# retry --skip-invalid: the hours that failed on data load, their bad rows set aside
run_etlre retry --job-id "$failed_job" --skip-invalid
is "$RC" 0 "retry --skip-invalid: exit 0"
like "$OUT" 'calls +4 +0 +0 +[0-9]+ +[0-9]+ +4 ' "retry --skip-invalid: the 4 failed hours load, 4 rows rejected"
is "$(pg "SELECT count(*) FROM etlre.rejects WHERE job_id = (SELECT max(job_id) FROM etlre.jobs)")" 4 "retry --skip-invalid: the rows are in etlre.rejects"
is "$(tgt_hours 2025-11-02 | wc -l)" "$(src_hours 2025-11-02 | wc -l)" "retry --skip-invalid: every hour of the day has rows again"
run_etlre retry --job-id "$failed_job" --max-rejects x
is "$RC" 2 "retry --max-rejects x: exit 2"

done_testing
