#!/usr/bin/env bash
# Small hours loaded together (README "Empty hours"): a run of consecutive
# hours with few rows goes in one transaction, yet each hour keeps what a
# load of its own would leave: its succeeded job hour with its own counts,
# its loaded_hours row, its hour_done line, its old rejects cleared, its
# target rows replaced. A big hour ends a group. An invalid row (with or
# without --skip-invalid) or a row the target refuses rolls the group back
# and its hours are loaded one by one, with the usual outcome per hour. A
# row that moved between two hours of a group is counted as moved only
# when loading the hours one by one would count it. Two workers share the
# hours without loading any twice.
. "$(dirname "$0")/lib.sh"
# Which hours a worker groups depends on which hours the other workers claim
# first: the runs that check the groups exactly take one worker (--jobs 1);
# the last one checks several workers.

reset_databases
D=2025-12-01
job_hours() { pg "SELECT count(*) FROM etlre.job_hours WHERE job_id = $1 AND $2"; }
last_job() { pg "SELECT max(job_id) FROM etlre.jobs"; }
# per_hour JOB: "HH read loaded rejected deleted moved" for the job's hours with rows
per_hour() {
	pg "SELECT to_char(hour, 'HH24') || ' ' || rows_read || ' ' || rows_loaded || ' ' || rows_rejected
	      || ' ' || rows_deleted || ' ' || coalesce(rows_moved, 0)
	    FROM etlre.job_hours WHERE job_id = $1 AND (rows_read > 0 OR rows_deleted > 0) ORDER BY hour" | xargs
}
# calls HOUR N FIRST_ID [STATUS]: N valid calls in HOUR of day D from FIRST_ID
calls() {
	my "INSERT INTO calls (call_id, caller_number, called_number, start_time, end_time, duration, status, queue, agent, menu_path, cost)
	    SELECT $3 + seq, '+34910000000', '+34930000000', TIMESTAMP('$D $1:00:00') + INTERVAL seq SECOND,
	           NULL, 10, '${4:-answered}', 'sales', NULL, '1', 0.5
	    FROM seq_0_to_$(($2 - 1))"
}
same_hours() { # same_hours LABEL: per-hour counts and rows equal on both sides for day D
	is "$(tgt_hours $D)" "$(src_hours $D)" "$1: per-hour counts equal"
	is "$(tgt_rows $D "$D 23:59:59.999")" "$(src_rows $D "$D 23:59:59.999")" "$1: every row equal"
}

# hours 08..11 3 rows each, 12 has 300 (big), 13..16 2 rows each
for h in 08 09 10 11; do calls $h 3 $((1000000 + 10#$h * 1000)); done
calls 12 300 1012000
for h in 13 14 15 16; do calls $h 2 $((1000000 + 10#$h * 1000)); done

run_etlre --log-level debug --log-format json process --date $D --jobs 1
is "$RC" 0 "first load: exit 0"
job=$(last_job)
is "$(job_hours "$job" "status = 'succeeded' AND attempts = 1")" 24 "every hour succeeded once"
is "$(per_hour "$job")" "08 3 3 0 0 0 09 3 3 0 0 0 10 3 3 0 0 0 11 3 3 0 0 0 12 300 300 0 0 0 13 2 2 0 0 0 14 2 2 0 0 0 15 2 2 0 0 0 16 2 2 0 0 0" \
	"each hour has its own counts"
is "$(printf '%s\n' "$ERR" | grep '"event":"hour_done"' | grep -c 'loaded with the next small hours')" 8 \
	"08..11 and 13..16 were loaded in groups"
like "$ERR" '"hour":"2025-12-01T12:00:00","event":"hour_done","rows_read":300' "the big hour 12 was loaded alone"
if printf '%s\n' "$ERR" | grep '"hour":"2025-12-01T12:00:00","event":"hour_done"' | grep -q 'loaded with the next'; then
	fail "the big hour is not in a group"
else
	pass "the big hour is not in a group"
fi
is "$(printf '%s\n' "$ERR" | grep -c '"event":"hour_done"')" 24 "one hour_done event per hour"
is "$(pg "SELECT count(*) FROM etlre.loaded_hours WHERE job_id = $job AND window_hours = 1 AND hour >= '$D' AND hour < '$D'::date + 1")" 24 \
	"loaded_hours: an hourly row for each hour"
is "$(pg "SELECT rows_loaded FROM etlre.loaded_hours WHERE table_name = 'calls' AND hour = '$D 09:00'")" 3 \
	"loaded_hours: hour 09 with its own count"
same_hours "first load"

# a rerun replaces each hour: deleted counts per hour; an old reject of hour 10 is cleared
pg "INSERT INTO etlre.rejects (job_id, table_name, hour, rule, reason, raw) VALUES ($job, 'calls', '$D 10:00', 'x', 'old', '{}')"
my "UPDATE calls SET agent = 'changed' WHERE call_id = 1009000"
run_etlre --log-level debug process --date $D --jobs 1
is "$RC" 0 "rerun: exit 0"
job=$(last_job)
is "$(per_hour "$job")" "08 3 3 0 3 0 09 3 3 0 3 0 10 3 3 0 3 0 11 3 3 0 3 0 12 300 300 0 300 0 13 2 2 0 2 0 14 2 2 0 2 0 15 2 2 0 2 0 16 2 2 0 2 0" \
	"rerun: each hour deleted its own rows"
is "$(pg "SELECT count(*) FROM etlre.rejects WHERE table_name = 'calls' AND hour = '$D 10:00'")" 0 "rerun: the old reject of hour 10 is cleared"
is "$(pg "SELECT agent FROM analytics.calls WHERE call_id = 1009000")" changed "rerun: the changed row is loaded"
same_hours "rerun"

# rows moved between hours of one group: 13 -> 15 (to a later hour) and 16 -> 14 (earlier)
my "UPDATE calls SET start_time = '$D 15:30:00' WHERE call_id = 1013000;
    UPDATE calls SET start_time = '$D 14:30:00' WHERE call_id = 1016000"
run_etlre --log-level debug process --date $D --jobs 1
is "$RC" 0 "moves inside a group: exit 0"
job=$(last_job)
is "$(pg "SELECT to_char(hour, 'HH24') || ':' || rows_read || '/' || rows_deleted || '/' || rows_moved FROM etlre.job_hours WHERE job_id = $job AND hour >= '$D 13:00' AND hour < '$D 17:00' ORDER BY hour" | xargs)" \
	"13:1/2/0 14:3/2/1 15:3/2/0 16:1/1/0" \
	"moves inside a group: 14 counts the row from the later hour 16 as moved (16 does not delete it); 15's row from 13 was deleted by 13"
like "$ERR" "table calls hour 2025-12-01T14:00:00: key call_id=1016000 moved in from hour 2025-12-01T16:00:00" \
	"moves inside a group: the debug log names the key and its old hour"
same_hours "moves inside a group"
is "$(pg "SELECT count(*) - count(DISTINCT call_id) FROM analytics.calls")" 0 "moves inside a group: no key twice"

# an invalid row in hour 10 without --skip-invalid: only hour 10 fails, as when loaded alone
calls 10 1 1010500 bogus
run_etlre --log-level debug process --date $D --jobs 1
is "$RC" 1 "an invalid row in a group: exit 1"
job=$(last_job)
is "$(job_hours "$job" "status = 'failed'") $(job_hours "$job" "status = 'succeeded'")" "1 23" \
	"only the hour with the invalid row failed"
is "$(pg "SELECT to_char(hour, 'HH24') || ' ' || error_class FROM etlre.job_hours WHERE job_id = $job AND status = 'failed'")" \
	"10 constraint" "hour 10 failed on the status rule"
like "$ERR" "could not be loaded together .*they are loaded one by one" "the group fell back to one hour at a time"
is "$(pg "SELECT count(*) FROM analytics.calls WHERE start_time >= '$D 10:00' AND start_time < '$D 11:00'")" 3 \
	"hour 10 keeps its previous content"

# with --skip-invalid: the row is rejected under its own hour, the rest loads
run_etlre process --date $D --skip-invalid --jobs 1 --json
is "$RC" 0 "--skip-invalid: exit 0"
job=$(last_job)
is "$(pg "SELECT to_char(hour, 'HH24') || ' ' || rows_read || ' ' || rows_loaded || ' ' || rows_rejected FROM etlre.job_hours WHERE job_id = $job AND rows_rejected > 0")" \
	"10 4 3 1" "--skip-invalid: hour 10 read 4, loaded 3, rejected 1"
is "$(pg "SELECT to_char(hour, 'HH24') || ' ' || row_key FROM etlre.rejects WHERE job_id = $job")" "10 call_id=1010500" \
	"--skip-invalid: the reject is recorded under hour 10 with its key"
is "$(job_hours "$job" "status = 'succeeded'")" 24 "--skip-invalid: every hour succeeded"
my "DELETE FROM calls WHERE call_id = 1010500"

# a row the target refuses (a CHECK the source does not know): refused in its own hour
pg "ALTER TABLE analytics.calls ADD CONSTRAINT t53_no_long_calls CHECK (duration < 100)"
my "UPDATE calls SET duration = 500 WHERE call_id = 1015000"
run_etlre process --date $D --skip-invalid --jobs 1
is "$RC" 0 "a refused row under --skip-invalid: exit 0"
job=$(last_job)
is "$(pg "SELECT to_char(hour, 'HH24') || ' ' || rows_rejected FROM etlre.job_hours WHERE job_id = $job AND rows_rejected > 0")" "15 1" \
	"the refused row is rejected in hour 15"
pg "ALTER TABLE analytics.calls DROP CONSTRAINT t53_no_long_calls"
my "UPDATE calls SET duration = 10 WHERE call_id = 1015000"

# two workers over the day and the fixtures' days: every hour once, nothing lost
run_etlre process --start-date 2025-11-01 --end-date $D --jobs 2 --skip-invalid
is "$RC" 0 "--jobs 2: exit 0"
job=$(last_job)
is "$(job_hours "$job" "status = 'succeeded' AND attempts = 1")" $((31 * 24)) "--jobs 2: every hour succeeded, each once"
is "$(pg "SELECT count(*) - count(DISTINCT call_id) FROM analytics.calls")" 0 "--jobs 2: no duplicates"
same_hours "--jobs 2"
# the statements an hour repeats are prepared on their second use, once per
# connection, and sent by name from then on (README "Performance"): one
# worker, one target connection, so each text is prepared once
run_etlre --log-level debug process --start-date 2025-11-01 --end-date $D --jobs 1 --skip-invalid
is "$RC" 0 "reprocess with prepared statements: exit 0"
job=$(last_job)
is "$(job_hours "$job" "status = 'succeeded' AND attempts = 1")" $((31 * 24)) "prepared: every hour succeeded, each once"
same_hours "prepared"
prepared=$(printf '%s\n' "$ERR" | grep -o 'statement etlre_[0-9]* prepared: .*')
check "prepared: several statements were prepared" test "$(printf '%s\n' "$prepared" | grep -c .)" -ge 5
is "$(printf '%s\n' "$prepared" | grep -c 'prepared: WITH a AS (SELECT c.job_id')" 1 "prepared: the claim, once"
is "$(printf '%s\n' "$prepared" | sed 's/^statement etlre_[0-9]* //' | sort | uniq -d)" "" "prepared: no text twice"
is "$(printf '%s\n' "$prepared" | awk '{print $2}' | sort | uniq -d)" "" "prepared: no name twice"
run_etlre verify --start-date 2025-11-01 --end-date $D --deep
is "$RC" 0 "verify --deep after all of it: every hour ok"
done_testing
