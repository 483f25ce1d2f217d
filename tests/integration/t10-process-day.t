#!/usr/bin/env bash
# A clean day loads with target = source hour by hour and row by row; a rerun
# changes nothing; the job, its hours and after_day's metrics are recorded.
. "$(dirname "$0")/lib.sh"

reset_databases
check "reset databases" test $? -eq 0

run_etlre process --date 2025-11-01
is "$RC" 0 "process --date 2025-11-01 exits 0"
like "$OUT" '^job [0-9]+: succeeded' "summary names the job and its status"
like "$OUT" 'calls +24 +0 ' "summary: 24 hours, 0 failed"

is "$(tgt_hours 2025-11-01)" "$(src_hours 2025-11-01)" "target count = source count for every hour"
is "$(pg "SELECT count(DISTINCT extract(hour FROM start_time)) FROM analytics.calls WHERE start_time::date = '2025-11-01'")" 24 "all 24 hours hold rows"
src=$(src_rows '2025-11-01' '2025-11-02'); tgt=$(tgt_rows '2025-11-01' '2025-11-02')
check "source has rows" test -n "$src"
is "$tgt" "$src" "target content equals source content, row by row"

job=$(pg "SELECT max(job_id) FROM etlre.jobs")
is "$(pg "SELECT status FROM etlre.jobs WHERE job_id = $job")" succeeded "job recorded as succeeded"
is "$(pg "SELECT count(*) FROM etlre.job_hours WHERE job_id = $job AND status = 'succeeded'")" 24 "24 succeeded hours recorded"
is "$(pg "SELECT sum(rows_loaded) FROM etlre.job_hours WHERE job_id = $job")" \
   "$(my "SELECT COUNT(*) FROM calls WHERE start_time >= '2025-11-01' AND start_time < '2025-11-02'")" "recorded loaded rows = source rows"
is "$(pg "SELECT count(*) FROM etlre.loaded_hours WHERE table_name = 'calls' AND hour::date = '2025-11-01'")" 24 "loaded_hours has the day"

metrics=$(pg "SELECT queue, calls, answered, abandoned FROM analytics.daily_call_metrics WHERE day = '2025-11-01' ORDER BY queue")
expected=$(my "SELECT queue, COUNT(*), SUM(status='answered'), SUM(status='abandoned') FROM calls
               WHERE start_time >= '2025-11-01' AND start_time < '2025-11-02' GROUP BY queue ORDER BY queue" | tr '\t' '|')
check "after_day filled daily_call_metrics" test -n "$metrics"
is "$metrics" "$expected" "daily metrics match the source per queue"

before=$(target_snapshot)
rows_before=$(pg "SELECT count(*), count(DISTINCT call_id) FROM analytics.calls")
run_etlre process --date 2025-11-01 --json
is "$RC" 0 "rerun exits 0"
is "$(tgt_rows '2025-11-01' '2025-11-02')" "$src" "rerun: same rows"
is "$(pg "SELECT count(*), count(DISTINCT call_id) FROM analytics.calls")" "$rows_before" "rerun: same count, no duplicates"
like "$OUT" '"status":"succeeded"' "JSON summary has the status"
like "$OUT" '"hour":"2025-11-01T13:00:00"' "JSON summary lists hours in ISO 8601"
deleted=$(printf '%s' "$OUT" | grep -o '"tables":\[{[^]]*' | grep -o '"rows_deleted":[0-9]*' | head -1 | cut -d: -f2)
loaded=$(printf '%s' "$OUT" | grep -o '"tables":\[{[^]]*' | grep -o '"rows_loaded":[0-9]*' | head -1 | cut -d: -f2)
is "$deleted" "$loaded" "rerun deleted exactly the rows it loaded again"
is "$(printf '%s' "$OUT" | head -c 1)" "{" "--json prints only JSON on stdout"

# a second day next to the first leaves the first alone
run_etlre process --start-date 2025-11-02 --end-date 2025-11-03 --skip-invalid
is "$RC" 0 "range 2025-11-02..03 with --skip-invalid exits 0"
is "$(tgt_rows '2025-11-01' '2025-11-02')" "$src" "the first day is untouched by the next days"
is "$(tgt_hours 2025-11-03)" "$(src_hours 2025-11-03)" "day 3: counts per hour equal"
# the summary without --json sums the succeeded hours in the ledger; it says
# the same as the JSON one, also for a failed after_day (the job is partial)
jpy() { python3 -c 'import json, sys; j = json.load(sys.stdin); exec(sys.argv[1])' "$1"; }
printf 'SELECT 1 / 0;\n' > "$TMP/bad_after_day.sql"
sed "s#^after_day = .*#after_day = $TMP/bad_after_day.sql#" "$CONF" > "$TMP/bad.conf"
run_with "$TMP/bad.conf" process --start-date 2025-11-01 --end-date 2025-11-02 --skip-invalid
is "$RC" 1 "a failed after_day: exit 1"
like "$OUT" '^job [0-9]+: partial' "a failed after_day: the job is partial"
like "$OUT" 'after_day failed for 2 day\(s\)' "the text summary counts the failed after_days"
text_row=$(printf '%s\n' "$OUT" | awk '$1 == "calls" { print $2, $3, $4, $5, $6, $7, $8, $9 }')
run_with "$TMP/bad.conf" process --start-date 2025-11-01 --end-date 2025-11-02 --skip-invalid --json
is "$RC" 1 "--json: exit 1 as well"
is "$text_row" "$(printf '%s' "$OUT" | jpy 't = j["tables"][0]; print(t["hours"], t["hours_failed"], t["hours_pending"], t["rows_read"], t["rows_loaded"], t["rows_rejected"], t["rows_deleted"], t["rows_moved"])')" \
	"the text summary's counts equal the JSON summary's"
is "$(printf '%s' "$OUT" | jpy 'print(j["tables"][0]["after_day_failed"], len(j["hours"]))')" "2 48" "--json: 2 failed after_days, 48 hours listed"
done_testing
