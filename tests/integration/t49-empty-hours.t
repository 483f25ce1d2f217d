#!/usr/bin/env bash
# Hours empty on both sides are settled in bulk (README "Empty hours"): each
# still gets its succeeded job hour, its loaded_hours row, its hour_done log
# line and its place in status; old rejects are cleared; target rows in an
# hour the source has emptied are deleted; an hour whose advisory lock
# another job holds is waited for, not settled behind its back; after_day
# runs for settled days; daily batch mode and several workers too.
. "$(dirname "$0")/lib.sh"

reset_databases
hour_no() { pg "SELECT (extract(epoch FROM timestamp '$1') / 3600)::int"; }
job_hours() { # job_hours JOB WHERE: count of the job's hours matching WHERE
	pg "SELECT count(*) FROM etlre.job_hours WHERE job_id = $1 AND $2"
}
last_job() { pg "SELECT max(job_id) FROM etlre.jobs"; }

# --- a range of 12 days, 3 of them with rows (the fixtures), 9 empty
run_etlre --log-level debug --log-format json process --start-date 2025-10-25 --end-date 2025-11-05 --skip-invalid
is "$RC" 0 "sparse range: exit 0"
job=$(last_job)
is "$(job_hours "$job" "status = 'succeeded'")" 288 "every one of the 288 hours succeeded"
is "$(job_hours "$job" "hour::date NOT BETWEEN '2025-11-01' AND '2025-11-03' AND rows_read = 0 AND rows_loaded = 0 AND rows_deleted = 0 AND attempts = 1 AND worker_id IS NOT NULL")" 216 \
	"the 216 empty hours are recorded with zero counts, one attempt and their worker"
is "$(pg "SELECT count(*) FROM etlre.loaded_hours WHERE table_name = 'calls' AND job_id = $job AND hour >= '2025-10-25' AND hour < '2025-11-06'")" 288 \
	"loaded_hours has a row for every hour"
like "$ERR" 'empty window\(s\) of 720 probed settled' "the empty hours were settled in bulk"
is "$(printf '%s\n' "$ERR" | grep -c '"event":"hour_done"')" 288 "one hour_done event per hour, settled or loaded"
loaded_rows() { pg "SELECT sum(rows_loaded) || ' ' || sum(rows_read) - sum(rows_loaded) - sum(rows_rejected) FROM etlre.job_hours WHERE job_id = $1"; }
is "$(loaded_rows "$job")" "$(pg "SELECT count(*) FROM analytics.calls") 0" "the days with rows are loaded: read = loaded + rejected, loaded = the target's rows"
like "$OUT" "calls +288 +0 +0 +$(my "SELECT COUNT(*) FROM calls WHERE start_time >= '2025-10-25' AND start_time < '2025-11-06'") +" \
	"the summary counts 288 hours and every source row"
run_etlre status --job-id "$job" --json
like "$OUT" '"hour":"2025-10-26T13:00:00","status":"succeeded","attempts":1,"rows_read":0,' "status shows a settled hour"
is "$(pg "SELECT after_day FROM etlre.job_days WHERE job_id = $job AND day = '2025-10-27'")" succeeded \
	"after_day ran for a settled day"

# --- a source-empty hour with target rows: they are deleted (replace mode)
pg "INSERT INTO analytics.calls (call_id, caller_number, called_number, start_time, duration, status, queue)
    VALUES (990001, '+1', '+2', '2025-10-27 10:15', 5, 'answered', 'q'), (990002, '+1', '+2', '2025-10-27 10:45', 6, 'busy', 'q')"
# and an old reject of an empty hour: a reload of the hour clears it
pg "INSERT INTO etlre.rejects (job_id, table_name, hour, rule, reason, raw)
    VALUES (1, 'calls', '2025-10-27 03:00', 'check.x', 'old', '{}')"
run_etlre process --date 2025-10-27
is "$RC" 0 "target rows in an empty hour: exit 0"
job=$(last_job)
is "$(pg "SELECT count(*) FROM analytics.calls WHERE start_time::date = '2025-10-27'")" 0 "the target rows of the empty hour are gone"
is "$(pg "SELECT rows_read || ' ' || rows_deleted FROM etlre.job_hours WHERE job_id = $job AND hour = '2025-10-27 10:00'")" "0 2" \
	"that hour was loaded the normal way: 0 read, 2 deleted"
is "$(job_hours "$job" "status = 'succeeded'")" 24 "all 24 hours succeeded"
is "$(pg "SELECT count(*) FROM etlre.rejects WHERE table_name = 'calls' AND hour = '2025-10-27 03:00'")" 0 \
	"the old reject of a settled hour is cleared"

# --- another job holds one hour's lock: that hour waits for it
n=$(hour_no '2025-10-28 05:00')
psql "$ETLRE_TARGET_URL" -X -q -c "BEGIN; SELECT pg_advisory_xact_lock(hashtext('etlre:analytics.calls'), $n);
	SELECT pg_sleep(4); COMMIT" >/dev/null 2>&1 & holder=$!
hour_locked() { [ "$(pg "SELECT count(*) FROM pg_locks WHERE database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND locktype = 'advisory' AND objid = $n AND granted")" = 1 ]; }
check "another session holds the hour's lock" wait_for hour_locked
t0=$(date +%s%N)
run_etlre --log-level debug process --date 2025-10-28
t1=$(date +%s%N)
wait "$holder"
is "$RC" 0 "an hour locked elsewhere: exit 0"
job=$(last_job)
is "$(job_hours "$job" "status = 'succeeded'")" 24 "all 24 hours succeeded"
like "$ERR" 'hour 2025-10-28T05:00:00: 0 rows read, 0 loaded, 0 rejected, 0 deleted, 0 moved in from other hours in [0-9.]+s' \
	"the locked hour was loaded the normal way, after the lock"
check "etlre waited for the other job's lock" test $(( (t1 - t0) / 1000000 )) -ge 2500
like "$ERR" 'hour 2025-10-28T04:00:00: 0 rows read.*settled in bulk' "the other hours were settled in bulk"

# --- daily batch mode
run_etlre process --start-date 2025-10-20 --end-date 2025-11-02 --batch-mode daily --skip-invalid
is "$RC" 0 "daily batch mode over empty and full days: exit 0"
job=$(last_job)
is "$(job_hours "$job" "status = 'succeeded'")" 14 "14 days succeeded"
is "$(job_hours "$job" "hour < '2025-11-01' AND rows_read = 0")" 12 "12 empty days with zero counts"
is "$(pg "SELECT count(*) FROM etlre.loaded_hours WHERE job_id = $job AND window_hours = 24")" 14 "loaded_hours: 14 daily windows"
is "$(loaded_rows "$job")" "$(pg "SELECT count(*) FROM analytics.calls WHERE start_time >= '2025-10-20' AND start_time < '2025-11-03'") 0" \
	"daily mode: read = loaded + rejected, loaded = the target's rows"

# --- two workers over a sparse range: each hour once, nothing lost
run_etlre process --start-date 2025-10-01 --end-date 2025-11-03 --jobs 2 --skip-invalid
is "$RC" 0 "--jobs 2 over a sparse range: exit 0"
job=$(last_job)
is "$(job_hours "$job" "status = 'succeeded' AND attempts = 1")" $((34 * 24)) "every hour succeeded, each once"
is "$(pg "SELECT count(*) - count(DISTINCT call_id) FROM analytics.calls")" 0 "no duplicates"
is "$(loaded_rows "$job")" "$(pg "SELECT count(*) FROM analytics.calls WHERE start_time >= '2025-10-01' AND start_time < '2025-11-04'") 0" \
	"--jobs 2: read = loaded + rejected, loaded = the target's rows"

# --- a rerun over loaded hours: the loaded ones replace, the empty ones settle again
run_etlre process --start-date 2025-10-31 --end-date 2025-11-01 --skip-invalid
is "$RC" 0 "rerun: exit 0"
job=$(last_job)
is "$(job_hours "$job" "status = 'succeeded'")" 48 "rerun: 48 hours succeeded"
is "$(pg "SELECT sum(rows_deleted) FROM etlre.job_hours WHERE job_id = $job")" 370 "rerun: the loaded day was replaced"
done_testing
