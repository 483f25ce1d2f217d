#!/usr/bin/env bash
# etlre verify --repair: the hours that differ (a deleted target row, a row
# arriving late in the source, an extra target row, a changed value found by
# --deep) are reprocessed as one job, recorded with command verify, and
# compared again: exit 0 when fixed, 3 when an hour still differs, 1 when an
# hour fails to load (an invalid row without --skip-invalid, too many
# rejects), 143 on SIGTERM; --skip-invalid and --max-rejects only with
# --repair; the job shows in status and can be retried; --json has a repair
# object; --metrics-file counts the hours as they are after the repair.
. "$(dirname "$0")/lib.sh"

RANGE=(--start-date 2025-11-01 --end-date 2025-11-03)
json_get() { printf '%s' "$OUT" | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
last_job() { pg "SELECT max(job_id) FROM etlre.jobs"; }
jobs_count() { pg "SELECT count(*) FROM etlre.jobs"; }

reset_databases
check "reset databases" test $? -eq 0
run_etlre process "${RANGE[@]}" --skip-invalid
is "$RC" 0 "load 2025-11-01..03 with --skip-invalid"

# ---- nothing differs: no job
N=$(jobs_count)
run_etlre verify "${RANGE[@]}" --repair
is "$RC" 0 "--repair with nothing to repair exits 0"
is "$(jobs_count)" "$N" "... and records no job"
is "$(printf '%s\n' "$OUT" | grep -c '^repair:')" 0 "... and prints no repair line"

# ---- a deleted target row
pg "DELETE FROM analytics.calls WHERE call_id = 2009101"
run_etlre verify "${RANGE[@]}" --repair --skip-invalid
is "$RC" 0 "a deleted target row: --repair exits 0"
JOB=$(last_job)
like "$OUT" 'calls 2025-11-02T13:00:00 missing: source 32, target 30, rejected 1' "it names the hour that differed"
like "$OUT" "^job $JOB: succeeded \\(2025-11-02 \\.\\. 2025-11-02, hourly\\)" "the text summary prints the job id"
like "$OUT" "repair: job $JOB: 1 hour\\(s\\) reprocessed, 1 repaired, 0 still differ" "the repair line: 1 hour repaired"
is "$(pg "SELECT count(*) FROM analytics.calls WHERE call_id = 2009101")" 1 "the deleted row is back"
is "$(pg "SELECT command, status, array_to_string(tables, ',') FROM etlre.jobs WHERE job_id = $JOB")" "verify|succeeded|calls" \
	"the ledger has the job: command verify, succeeded"
is "$(pg "SELECT table_name, hour, status FROM etlre.job_hours WHERE job_id = $JOB")" "calls|2025-11-02 13:00:00|succeeded" \
	"the job has exactly the hour that differed"
is "$(pg "SELECT job_id FROM etlre.loaded_hours WHERE table_name = 'calls' AND hour = '2025-11-02 13:00'")" "$JOB" \
	"the hour's last load is the repair job"
run_etlre verify "${RANGE[@]}" --deep
is "$RC" 0 "verify --deep after the repair exits 0"

# ---- the repair job in status
run_etlre status --limit 1
like "$OUT" "^ +$JOB +succeeded +verify +2025-11-02 " "status lists the repair job with command verify"
run_etlre status --job-id "$JOB" --json
is "$(json_get 'j["jobs"][0]["command"] if "jobs" in j else j["command"]')" "verify" "status --json: command verify"

# ---- a row arriving late in the source, and an extra target row
my "INSERT INTO calls SELECT 2999999, caller_number, called_number, '2025-11-02 16:30:00.250', NULL,
      duration, status, queue, agent, menu_path, cost FROM calls WHERE call_id = 2000002"
pg "INSERT INTO analytics.calls SELECT 3999999, caller_number, called_number, start_time, end_time,
      duration, status, queue, agent, menu_path, cost FROM analytics.calls WHERE call_id = 3000002"
run_etlre verify "${RANGE[@]}"
is "$RC" 3 "the late row and the extra row: verify flags them (exit 3)"
run_etlre verify "${RANGE[@]}" --repair --json
is "$RC" 0 "--repair --json fixes both: exit 0"
check "--json output parses" python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$OUT"
is "$(printf '%s' "$OUT" | head -c 1)" "{" "--json prints only JSON on stdout"
is "$(json_get '" ".join(sorted(j["repair"].keys()))')" \
	"compared_again hours hours_failed hours_repaired hours_still_differing job_id status still_differing" "json: the repair object's fields"
is "$(json_get 'j["status"], len(j["hours"]), j["repair"]["job_id"], j["repair"]["status"], j["repair"]["hours"], j["repair"]["hours_repaired"], j["repair"]["hours_still_differing"], j["repair"]["still_differing"]')" \
	"differs 2 $(last_job) succeeded 2 2 0 []" "json: what was found (2 hours) and the repair (job, 2 repaired, none left)"
is "$(pg "SELECT count(*) FROM analytics.calls WHERE call_id = 2999999")" 1 "the late source row is loaded"
is "$(pg "SELECT count(*) FROM analytics.calls WHERE call_id = 3999999")" 0 "the extra target row is gone"
is "$(pg "SELECT string_agg(hour::text, ',' ORDER BY hour) FROM etlre.job_hours WHERE job_id = $(last_job)")" \
	"2025-11-02 16:00:00,2025-11-03 00:00:00" "the job reprocessed exactly the two hours"

# ---- a changed value: only --deep sees it, --deep --repair fixes it
pg "UPDATE analytics.calls SET agent = 'x' WHERE call_id = 1000002"
N=$(jobs_count)
run_etlre verify "${RANGE[@]}" --repair
is "$RC" 0 "a changed value: counts agree, --repair without --deep has nothing to do"
is "$(jobs_count)" "$N" "... and records no job"
run_etlre verify "${RANGE[@]}" --deep --repair
is "$RC" 0 "--deep --repair: exit 0"
like "$OUT" 'changed call_id=1000002: agent' "--deep named the changed key"
like "$OUT" 'repair: job [0-9]+: 1 hour\(s\) reprocessed, 1 repaired, 0 still differ' "and repaired its hour"
is "$(pg "SELECT agent IS DISTINCT FROM 'x' FROM analytics.calls WHERE call_id = 1000002")" t "the value is the source's again"
run_etlre verify "${RANGE[@]}" --deep
is "$RC" 0 "verify --deep after the repair exits 0"

# ---- --skip-invalid and --max-rejects go with --repair only
run_etlre verify "${RANGE[@]}" --skip-invalid
is "$RC" 2 "--skip-invalid without --repair: exit 2"
like "$ERR" '--skip-invalid works only with --repair' "and says so"
run_etlre verify "${RANGE[@]}" --max-rejects 3
is "$RC" 2 "--max-rejects without --repair: exit 2"
like "$ERR" '--max-rejects works only with --repair' "and says so"
run_etlre verify "${RANGE[@]}" --repair --max-rejects 3
is "$RC" 2 "--repair --max-rejects without --skip-invalid: exit 2"
like "$ERR" '--max-rejects needs --skip-invalid' "and says so"

# ---- an hour with an invalid row: without --skip-invalid the repair fails it (exit 1)
pg "DELETE FROM analytics.calls WHERE call_id = 2009101"
N=$(jobs_count)
run_etlre verify "${RANGE[@]}" --repair
is "$RC" 1 "the differing hour has an invalid row, no --skip-invalid: exit 1"
JOB=$(last_job)
is "$(jobs_count)" "$((N + 1))" "the repair was one job"
is "$(pg "SELECT status, error_class FROM etlre.job_hours WHERE job_id = $JOB")" "failed|invalid_data" "its hour failed as invalid data"
like "$OUT" "^job $JOB: failed " "the summary names the failed job"
like "$OUT" "repair: job $JOB: 1 hour\\(s\\) reprocessed, 0 repaired, 1 still differ" "the hour still differs"
like "$OUT" 'still differs: calls 2025-11-02T13:00:00 missing' "and is named"
is "$(pg "SELECT count(*) FROM analytics.calls WHERE call_id = 2009101")" 0 "the hour was left as it was"
run_etlre status --failed --limit 1
like "$OUT" "^ +$JOB +failed +verify " "status --failed shows the repair job"
run_etlre verify "${RANGE[@]}" --repair --skip-invalid --max-rejects 0
is "$RC" 1 "--skip-invalid --max-rejects 0: the reject is one too many: exit 1"
run_etlre retry --job-id "$JOB" --skip-invalid
is "$RC" 0 "retry --skip-invalid of the failed repair job exits 0"
run_etlre verify "${RANGE[@]}" --deep
is "$RC" 0 "after the retry every hour matches"

# ---- an hour that reprocessing cannot fix: exit 3
pg "CREATE FUNCTION analytics.t62_mangle() RETURNS trigger LANGUAGE plpgsql AS
      \$\$ BEGIN IF NEW.call_id = 3000002 THEN NEW.agent := 'mangled'; END IF; RETURN NEW; END \$\$;
    CREATE TRIGGER t62_mangle BEFORE INSERT ON analytics.calls FOR EACH ROW EXECUTE FUNCTION analytics.t62_mangle();
    UPDATE analytics.calls SET agent = 'mangled' WHERE call_id = 3000002"
run_etlre verify "${RANGE[@]}" --deep --repair --json
is "$RC" 3 "a target trigger keeps changing a row: --repair cannot fix it, exit 3"
is "$(json_get 'j["repair"]["status"], j["repair"]["hours_repaired"], j["repair"]["hours_still_differing"], [(h["hour"], h["status"], [k["key"] for k in h["keys"]]) for h in j["repair"]["still_differing"]]')" \
	"succeeded 0 1 [('2025-11-03T00:00:00', 'changed', ['call_id=3000002'])]" "json: the job succeeded, the hour still differs, with its key"
pg "DROP TRIGGER t62_mangle ON analytics.calls; DROP FUNCTION analytics.t62_mangle()"

# ---- --metrics-file: the hours as they are after the repair
pg "DELETE FROM analytics.calls WHERE call_id = 1000002"
run_etlre verify "${RANGE[@]}" --deep --repair --skip-invalid --metrics-file "$TMP/repair.prom"
is "$RC" 0 "--deep --repair --metrics-file: exit 0"
is "$(sed -n 's/^etlre_verify_chunks_differ{command="verify",table="calls"} //p' "$TMP/repair.prom")" 0 \
	"metrics: no hour differs after the repair"
is "$(sed -n 's/^etlre_verify_chunks{command="verify",table="calls"} //p' "$TMP/repair.prom")" 72 "metrics: 72 hours verified"
is "$(sed -n 's/^etlre_exit_status{command="verify"} //p' "$TMP/repair.prom")" 0 "metrics: exit status 0"
like "$(grep '^etlre_chunks_succeeded{command="verify",table="calls"}' "$TMP/repair.prom")" ' 2$' \
	"metrics: the repair job's 2 hours (the deleted row's and the mangled one's) succeeded"

# ---- SIGTERM during the repair: exit 143, the job interrupted
pg "DELETE FROM analytics.calls WHERE call_id = 1000002"
locker_granted() { [ -n "$(pg "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.datname = current_database() AND a.application_name = 't62-locker' AND l.relation = 'analytics.calls'::regclass AND l.granted")" ]; }
repair_waiting() { [ "$(pg "SELECT count(*) FROM etlre.jobs WHERE command = 'verify' AND status = 'running'")" = 1 ]; }
# EXCLUSIVE MODE lets verify read the table but holds the repair's DELETE
PGAPPNAME=t62-locker psql "$ETLRE_TARGET_URL" -X -q -c "BEGIN; LOCK TABLE analytics.calls IN EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT" >/dev/null 2>&1 &
locker=$!
check "the locker holds analytics.calls" wait_for locker_granted
"$ETLRE" --config "$CONF" verify "${RANGE[@]}" --repair >"$TMP/out" 2>"$TMP/err" & pid=$!
check "the repair job started and waits for the table" wait_for repair_waiting
kill -TERM $pid; wait $pid; RC=$?
is "$RC" 143 "SIGTERM during the repair: exit 143"
is "$(pg "SELECT status FROM etlre.jobs WHERE job_id = $(last_job)")" interrupted "the repair job is interrupted"
pg "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 't62-locker'" >/dev/null 2>&1
wait $locker 2>/dev/null
run_etlre retry --job-id "$(last_job)"
is "$RC" 0 "retry of the interrupted repair exits 0"
run_etlre verify "${RANGE[@]}" --deep
is "$RC" 0 "and every hour matches"

done_testing
