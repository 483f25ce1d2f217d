#!/usr/bin/env bash
# etlre status: the jobs newest first with their state, hours and rows;
# --failed, --limit, --job-id (the job's hours, with their errors), --json;
# a job recorded as running whose lock nobody holds is stale; status writes
# nothing, exits 2 for an unknown job or missing tables, 4 for an unreachable
# target, and never shows a password.
. "$(dirname "$0")/lib.sh"

reset_databases
check "reset databases" test $? -eq 0

run_etlre status
is "$RC" 0 "status with no jobs yet: exit 0"
is "$OUT" "no jobs yet" "status with no jobs yet says so"

run_etlre process --date 2025-11-01
is "$RC" 0 "process 2025-11-01 exits 0"
ok_job=$(pg "SELECT max(job_id) FROM etlre.jobs")
# 2025-11-02 without --skip-invalid: hours 10..13 hold an invalid row and
# fail (one worker, as the retry below, for the order of the failures)
run_etlre process --date 2025-11-02 --jobs 1
is "$RC" 1 "process 2025-11-02 without --skip-invalid exits 1"
part_job=$(pg "SELECT max(job_id) FROM etlre.jobs")
check "two jobs recorded" test "$part_job" -gt "$ok_job"
rows_ok=$(pg "SELECT sum(rows_loaded) FROM etlre.job_hours WHERE job_id = $ok_job")
rows_part=$(pg "SELECT sum(rows_loaded) FROM etlre.job_hours WHERE job_id = $part_job")

before=$(target_snapshot)

# --- the list ---
run_etlre status
is "$RC" 0 "status exits 0"
like "$(printf '%s\n' "$OUT" | head -1)" '^ +job +status +command +range .*hours +succeeded +failed +pending +rows read +loaded +rejected' "status prints a heading"
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1}' | tr '\n' ' ')" "$part_job $ok_job " "jobs newest first"
line_part=$(printf '%s\n' "$OUT" | awk -v j="$part_job" '$1 == j')
line_ok=$(printf '%s\n' "$OUT" | awk -v j="$ok_job" '$1 == j')
like "$line_part" "^ +$part_job +partial +process +2025-11-02 " "the partial job: state, command, range"
like "$line_part" " 24 +20 +4 +0 +$rows_part +$rows_part +0 " "the partial job: 24 hours, 20 succeeded, 4 failed, 0 pending, its rows"
like "$line_ok" "^ +$ok_job +succeeded +process +2025-11-01 " "the succeeded job: state, command, range"
like "$line_ok" " 24 +24 +0 +0 +$rows_ok +$rows_ok +0 " "the succeeded job: 24 hours succeeded, its rows"
like "$line_ok" "$(hostname | cut -c1-20)[^ ]*:[0-9]+ +calls$" "host:pid and tables"
like "$line_ok" ' [0-9.]+s ' "a duration"
is "$(printf '%s' "$ERR")" "" "nothing on stderr"

run_etlre status --failed
is "$RC" 0 "status --failed exits 0"
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1 " " $2}')" "$part_job partial" "--failed lists only the partial job"

run_etlre status --limit 1
is "$RC" 0 "status --limit 1 exits 0"
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1}')" "$part_job" "--limit 1 shows only the newest job"

# --- one job ---
run_etlre status --job-id "$part_job"
is "$RC" 0 "status --job-id exits 0"
like "$(printf '%s\n' "$OUT" | sed -n 2p)" "^ +$part_job +partial " "--job-id starts with the job's line"
hours=$(printf '%s\n' "$OUT" | grep -E '^calls +2025-11-02T[0-9]{2}:00:00 ')
is "$(printf '%s\n' "$hours" | wc -l | tr -d ' ')" 24 "--job-id lists the 24 hours"
like "$hours" '^calls +2025-11-02T09:00:00 +succeeded +1 +[0-9]+ +[0-9]+ +0 +[0-9]+ +0 +[0-9.]+$' "a succeeded hour with attempts and counts (none moved)"
like "$hours" "^calls +2025-11-02T10:00:00 +failed +1 +- +- +- +- +- +[0-9.]+ +\[invalid_data\] invalid row in table calls, hour 2025-11-02T10:00:00, key call_id=2009001: column duration value '-5' breaks rule check.duration_nonneg" "hour 10 failed: invalid_data and its message"
like "$hours" '^calls +2025-11-02T11:00:00 +failed .*\[constraint\] .*key call_id=2009002.*calls_status_known' "hour 11 failed: constraint and its message"
like "$hours" '^calls +2025-11-02T12:00:00 +failed .*\[invalid_data\] .*call_id=2009003.*varchar\(20\)' "hour 12 failed: invalid_data (varchar)"
like "$hours" '^calls +2025-11-02T13:00:00 +failed .*\[invalid_data\] .*call_id=2009004.*not null' "hour 13 failed: invalid_data (not null)"

run_etlre status --job-id "$part_job" --failed
is "$RC" 0 "status --job-id --failed exits 0"
is "$(printf '%s\n' "$OUT" | grep -E '^calls ' | awk '{print $2 " " $3}' | tr '\n' ' ')" \
   "2025-11-02T10:00:00 failed 2025-11-02T11:00:00 failed 2025-11-02T12:00:00 failed 2025-11-02T13:00:00 failed " \
   "--job-id --failed lists only the 4 failed hours"
run_etlre status --job-id "$ok_job" --failed
is "$RC" 0 "--job-id --failed of a succeeded job exits 0"
like "$OUT" 'every hour of the job succeeded' "and says that every hour succeeded"

# --- JSON ---
# jq-like checks: the JSON on stdin, a Python expression over it as j
jsonq() { python3 -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
run_etlre status --json
is "$RC" 0 "status --json exits 0"
check "--json: stdout is one JSON document" sh -c 'printf "%s" "$1" | python3 -c "import json,sys; json.load(sys.stdin)"' sh "$OUT"
is "$(printf '%s' "$OUT" | jsonq '[x["job_id"] for x in j["jobs"]]')" "[$part_job, $ok_job]" "--json: jobs newest first"
is "$(printf '%s' "$OUT" | jsonq 'sorted(j["jobs"][0].keys())')" \
   "['batch_mode', 'command', 'end_date', 'finished_at', 'heartbeat_age_seconds', 'host', 'hours_failed', 'hours_pending', 'hours_succeeded', 'hours_total', 'job_id', 'pid', 'retried_by', 'retry_of', 'rows_loaded', 'rows_moved', 'rows_read', 'rows_rejected', 'seconds', 'start_date', 'started_at', 'status', 'tables']" \
   "--json: a job has its fields"
is "$(printf '%s' "$OUT" | jsonq '[(x["status"], x["command"], x["start_date"], x["end_date"], x["tables"], x["hours_total"], x["hours_succeeded"], x["hours_failed"], x["hours_pending"], x["rows_loaded"], x["retried_by"], x["retry_of"]) for x in j["jobs"]]')" \
   "[('partial', 'process', '2025-11-02', '2025-11-02', ['calls'], 24, 20, 4, 0, $rows_part, None, None), ('succeeded', 'process', '2025-11-01', '2025-11-01', ['calls'], 24, 24, 0, 0, $rows_ok, None, None)]" \
   "--json: states, ranges, tables and counts"
like "$(printf '%s' "$OUT" | jsonq 'j["jobs"][0]["started_at"] + " " + j["jobs"][0]["finished_at"]')" \
     '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "--json: started_at and finished_at in ISO 8601"

run_etlre status --job-id "$part_job" --json
is "$RC" 0 "status --job-id --json exits 0"
is "$(printf '%s' "$OUT" | jsonq '(j["job_id"], j["status"], len(j["hours"]))')" "($part_job, 'partial', 24)" "--json --job-id: the job with its 24 hours"
is "$(printf '%s' "$OUT" | jsonq 'sorted(j["hours"][0].keys())')" \
   "['attempts', 'error', 'error_class', 'hour', 'rows_deleted', 'rows_loaded', 'rows_moved', 'rows_read', 'rows_rejected', 'seconds', 'status', 'table']" \
   "--json --job-id: an hour has its fields"
is "$(printf '%s' "$OUT" | jsonq '[(h["hour"], h["error_class"], h["rows_loaded"]) for h in j["hours"] if h["status"] == "failed"]')" \
   "[('2025-11-02T10:00:00', 'invalid_data', None), ('2025-11-02T11:00:00', 'constraint', None), ('2025-11-02T12:00:00', 'invalid_data', None), ('2025-11-02T13:00:00', 'invalid_data', None)]" \
   "--json --job-id: the failed hours with their classes, null counts"
like "$(printf '%s' "$OUT" | jsonq '[h["error"] for h in j["hours"] if h["hour"] == "2025-11-02T11:00:00"][0]')" \
     'key call_id=2009002: column status value .transferred. breaks rule constraint calls_status_known' "--json --job-id: the error message"
is "$(printf '%s' "$OUT" | jsonq '[(h["status"], h["error"], h["rows_read"] >= 0) for h in j["hours"] if h["hour"] == "2025-11-02T09:00:00"][0]')" \
   "('succeeded', None, True)" "--json --job-id: a succeeded hour has counts and a null error"
run_etlre status --job-id "$part_job" --failed --json
is "$(printf '%s' "$OUT" | jsonq 'len(j["hours"])')" 4 "--json --job-id --failed: only the 4 failed hours"

is "$(target_snapshot)" "$before" "status, --failed, --limit, --job-id and --json wrote nothing"

# --- retry links the jobs ---
# one worker: the retry's failed hours then fail in hour order, so the
# newest failure that --errors names below is hour 13 (with two workers
# either of the last two hours may fail last)
run_etlre retry --job-id "$part_job" --jobs 1
is "$RC" 1 "retry of the partial job fails again (the rows are still invalid)"
retry_job=$(pg "SELECT max(job_id) FROM etlre.jobs")
run_etlre status --limit 2
like "$(printf '%s\n' "$OUT" | awk -v j="$retry_job" '$1 == j')" "^ +$retry_job +failed +retry .* retry of $part_job$" "the retry job: failed, retry of the partial job"
like "$(printf '%s\n' "$OUT" | awk -v j="$part_job" '$1 == j')" "retried by $retry_job$" "the partial job: retried by the retry job"
run_etlre status --json --limit 2
is "$(printf '%s' "$OUT" | jsonq '[(x["job_id"], x["retried_by"], x["retry_of"]) for x in j["jobs"]]')" \
   "[($retry_job, None, [$part_job]), ($part_job, $retry_job, None)]" "--json: retried_by and retry_of"

# --- --since and --errors: the jobs of the last hours, the failures by error class ---
# the first two jobs and their hours move 3 hours back in time, the retry 10 minutes
pg "UPDATE etlre.jobs SET started_at = started_at - interval '3 hours', finished_at = finished_at - interval '3 hours' WHERE job_id IN ($ok_job, $part_job);
    UPDATE etlre.job_hours SET finished_at = finished_at - interval '3 hours' WHERE job_id IN ($ok_job, $part_job);
    UPDATE etlre.jobs SET started_at = started_at - interval '10 minutes', finished_at = finished_at - interval '10 minutes' WHERE job_id = $retry_job;
    UPDATE etlre.job_hours SET finished_at = finished_at - interval '10 minutes' WHERE job_id = $retry_job"
run_etlre status --since 2h
is "$RC" 0 "status --since 2h exits 0"
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1}' | tr '\n' ' ')" "$retry_job " "--since 2h: only the job started in the last 2 hours"
run_etlre status --since 4h --json
is "$(printf '%s' "$OUT" | jsonq '[x["job_id"] for x in j["jobs"]]')" "[$retry_job, $part_job, $ok_job]" "--since 4h --json: the three jobs"
run_etlre status --since 2h --failed --limit 5
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1 " " $2}')" "$retry_job failed" "--since with --failed and --limit"
run_etlre status --since 1m
is "$RC:$OUT" "0:no jobs in the last 1m" "--since 1m: no jobs, and says so"

run_etlre status --errors
is "$RC" 0 "status --errors exits 0"
like "$(printf '%s\n' "$OUT" | head -1)" '^error class +table +chunks +open +jobs +newest hour +failed at +newest error$' "--errors prints a heading"
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1, $2, $3, $4, $5, $6}')" \
"invalid_data calls 3 3 $part_job,$retry_job 2025-11-02T13:00:00
constraint calls 1 1 $part_job,$retry_job 2025-11-02T11:00:00" \
	"--errors: by class and table, largest first: chunks (each once), open, jobs, newest hour"
like "$(printf '%s\n' "$OUT" | grep '^constraint')" "[0-9T:-]+Z +invalid row in table calls, hour 2025-11-02T11:00:00, key call_id=2009002: .*calls_status_known" \
	"--errors: the time and text of the newest error"
run_etlre status --errors --since 2h --json
is "$RC" 0 "status --errors --since 2h --json exits 0"
is "$(printf '%s' "$OUT" | jsonq '(j["since_seconds"], [(e["error_class"], e["table"], e["chunks"], e["open"], e["jobs"], e["newest_hour"], e["newest_job_id"]) for e in j["errors"]])')" \
   "(7200, [('invalid_data', 'calls', 3, 3, [$retry_job], '2025-11-02T13:00:00', $retry_job), ('constraint', 'calls', 1, 1, [$retry_job], '2025-11-02T11:00:00', $retry_job)])" \
   "--errors --since 2h --json: only the retry's failures, as objects"
is "$(printf '%s' "$OUT" | jsonq 'sorted(j["errors"][0].keys())')" \
   "['chunks', 'error_class', 'jobs', 'newest_error', 'newest_failed_at', 'newest_hour', 'newest_job_id', 'open', 'table']" \
   "--errors --json: the fields of a group"
like "$(printf '%s' "$OUT" | jsonq 'j["errors"][0]["newest_error"]')" "^invalid row in table calls, hour 2025-11-02T13:00:00, key call_id=2009004: column queue value NULL breaks rule not null" \
   "--errors --json: the newest error's text"
run_etlre status --errors --since 1m
is "$RC:$OUT" "0:no failed chunks in the last 1m" "--errors --since 1m: none, and says so"
before=$(target_snapshot)

# --- stale and running jobs ---
ghost=$(pg "INSERT INTO etlre.jobs (command, status, range_start, range_end, tables, host, pid, started_at, heartbeat_at)
            VALUES ('process', 'running', '2025-11-03', '2025-11-03', '{calls}', 'ghost-host', 4242,
                    now() - interval '2 hours', now() - interval '90 minutes') RETURNING job_id" | head -1)
pg "INSERT INTO etlre.job_hours (job_id, table_name, hour, status, attempts, rows_read, rows_loaded, rows_rejected, rows_deleted, seconds)
    VALUES ($ghost, 'calls', '2025-11-03 00:00', 'succeeded', 1, 7, 7, 0, 0, 0.5),
           ($ghost, 'calls', '2025-11-03 01:00', 'running', 1, NULL, NULL, NULL, NULL, NULL),
           ($ghost, 'calls', '2025-11-03 02:00', 'pending', 0, NULL, NULL, NULL, NULL, NULL)"
before=$(target_snapshot)
run_etlre status
like "$(printf '%s\n' "$OUT" | sed -n 2p)" "^ +$ghost +stale +process +2025-11-03 .* 3 +1 +0 +2 +7 +7 +0 .*ghost-host:4242 +calls$" \
     "a running job whose lock nobody holds is stale, first in the list"
like "$(printf '%s\n' "$OUT" | sed -n 2p)" ' 30m00s ' "a stale job's duration runs until its last heartbeat"
run_etlre status --failed
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1 " " $2}' | tr '\n' ' ')" "$ghost stale $retry_job failed $part_job partial " "--failed: stale, failed and partial jobs"
run_etlre status --job-id "$ghost"
like "$OUT" '2025-11-03T01:00:00 +pending ' "an hour a stale job left running shows as pending"
run_etlre status --job-id "$ghost" --json
is "$(printf '%s' "$OUT" | jsonq '(j["status"], j["finished_at"], j["hours_pending"], [h["status"] for h in j["hours"]])')" \
   "('stale', None, 2, ['succeeded', 'pending', 'pending'])" "--json: stale, finished_at null, pending hours"

# a session holding the job's lock makes it running again, with its hour running
job_lock=$(awk '$1 == "#define" && $2 == "LEDGER_JOB_LOCK" {print $3}' "$ROOT/runner/ledger.h")
# (a fresh heartbeat: an old one would make it stuck, below)
pg "UPDATE etlre.jobs SET heartbeat_at = now() WHERE job_id = $ghost" >/dev/null
# hold_lock NAME DB: a session named NAME in database DB takes the ghost job's
# lock and keeps it until release_lock NAME ends it
hold_lock() {
	PGAPPNAME=$1 psql "postgresql://etl@127.0.0.1:${ETLRE_DEV_PG_PORT}/$2" -X -A -t -q \
		-c "SELECT pg_advisory_lock($job_lock, $ghost); SELECT pg_sleep(300)" >/dev/null 2>&1 &
	holder=$!
}
release_lock() {
	pg "SELECT pg_terminate_backend(pid, 30000) FROM pg_stat_activity WHERE application_name = '$1'" >/dev/null
	wait "$holder"
}
hold_lock t50-holder "$PG_DB"
ghost_locked() { [ "$(pg "SELECT count(*) FROM pg_locks WHERE database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND locktype = 'advisory' AND objid = $ghost AND objsubid = 2 AND granted")" = 1 ]; }
check "a session holds the job's lock" wait_for ghost_locked
run_etlre status --job-id "$ghost" --json
is "$(printf '%s' "$OUT" | jsonq '(j["status"], j["finished_at"], [h["status"] for h in j["hours"]], j["seconds"] > 7000)')" \
   "('running', None, ['succeeded', 'running', 'pending'], True)" "with its lock held the job is running, its duration runs until now"
run_etlre status --failed
like "$OUT" "^ +job" "--failed still answers"
check "--failed leaves the running job out" sh -c '! printf "%s\n" "$1" | awk "{print \$1}" | grep -qx "$2"' sh "$OUT" "$ghost"
# its lock held but its heartbeat older than [etlre] stuck_after (900 s): stuck
pg "UPDATE etlre.jobs SET heartbeat_at = now() - interval '20 minutes' WHERE job_id = $ghost" >/dev/null
run_etlre status --failed
like "$OUT" "^ +$ghost +stuck .* no heartbeat for 20m0[0-9]s" "a live job without a heartbeat for 20 minutes is stuck, in --failed"
# the heartbeat as it was (the snapshot below compares), and the lock released
pg "UPDATE etlre.jobs SET heartbeat_at = started_at + interval '30 minutes' WHERE job_id = $ghost" >/dev/null
release_lock t50-holder
run_etlre status --limit 1
like "$(printf '%s\n' "$OUT" | sed -n 2p)" "^ +$ghost +stale " "once the lock is released the job is stale again"

# --- errors ---
run_etlre status --job-id 99999
is "$RC" 2 "unknown job: exit 2"
like "$ERR" 'no job 99999' "unknown job: says so"
is "$OUT" "" "unknown job: nothing on stdout"
run_etlre status --job-id 99999 --json
is "$RC:$OUT" "2:" "unknown job with --json: exit 2, nothing on stdout"
for bad in "--limit -1" "--limit x" "--job-id 0" "--job-id abc" "--job-id 1 --limit 3" "extra" \
	   "--since 0h" "--since 2" "--since x" "--errors --limit 3" "--errors --failed" "--errors --job-id 1" \
	   "--since 1h --job-id 1"; do
	run_etlre status $bad
	is "$RC" 2 "status $bad: usage error, exit 2"
	is "$OUT" "" "status $bad: nothing on stdout"
done
run_etlre status --limit 0
is "$(printf '%s\n' "$OUT" | sed 1d | wc -l | tr -d ' ')" 4 "--limit 0 lists every job"

is "$(target_snapshot)" "$before" "status wrote nothing"

# the same lock held in another database of the server (another etlre's, another
# test file's, with job ids of their own) is not this job's: the job stays stale
# for status, and retry takes it over
hold_lock t50-other postgres
other_locked() { [ "$(pg "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 't50-other' AND l.locktype = 'advisory' AND l.objid = $ghost AND l.objsubid = 2 AND l.granted")" = 1 ]; }
check "a session of database postgres holds a lock with the job's keys" wait_for other_locked
run_etlre status --job-id "$ghost" --json
is "$(printf '%s' "$OUT" | jsonq 'j["status"]')" stale "status: the job is still stale"
run_etlre retry --job-id "$ghost"
is "$RC" 0 "retry of the stale job: not refused as running, exit 0"
[ "$RC" -eq 0 ] || printf '# %s\n' "$ERR"
is "$(pg "SELECT retried_by IS NOT NULL FROM etlre.jobs WHERE job_id = $ghost")" t "the job records its retry"
release_lock t50-other

sed 's/^schema = .*/schema = etlre_nowhere/' "$CONF" > "$TMP/noschema.conf"
run_with "$TMP/noschema.conf" status
is "$RC" 2 "etlre's tables missing: exit 2"
like "$ERR" "run 'etlre init'" "etlre's tables missing: says to run etlre init"
is "$OUT" "" "etlre's tables missing: nothing on stdout"

OUT=$(ETLRE_TARGET_URL="postgresql://etl:s3cr3t-pw@127.0.0.1:1/x" "$ETLRE" --config "$CONF" status --json 2>"$TMP/stderr"); RC=$?; ERR=$(cat "$TMP/stderr")
is "$RC" 4 "unreachable target: exit 4"
like "$ERR" 'cannot connect to the target' "unreachable target: says so"
check "unreachable target: the password is not shown" sh -c '! grep -q s3cr3t-pw "$1"' sh "$TMP/stderr"
is "$OUT" "" "unreachable target: nothing on stdout"
OUT=$(ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:1/x" ETLRE_SOURCE_URL="mariadb://etl@127.0.0.1:1/nowhere" "$ETLRE" --config "$CONF" status 2>/dev/null); RC=$?
is "$RC" 4 "unreachable target (and source): exit 4"
OUT=$(ETLRE_SOURCE_URL="mariadb://etl@127.0.0.1:1/nowhere" "$ETLRE" --config "$CONF" status --limit 1 2>/dev/null); RC=$?
is "$RC" 0 "status never contacts the source: an unreachable one does not matter"

# --- a later load of the failed hours closes them ---
run_etlre process --date 2025-11-02 --skip-invalid
is "$RC" 0 "the failed hours load with --skip-invalid"
run_etlre status --errors
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1, $3, $4}' | tr '\n' ' ')" "invalid_data 3 0 constraint 1 0 " \
	"--errors: the failures stay listed, none is open any more"
done_testing
