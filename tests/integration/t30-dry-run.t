#!/usr/bin/env bash
# A dry run reads both sides, reports per hour what would be deleted, loaded
# and rejected, and leaves the target exactly as it was, etlre's tables included.
. "$(dirname "$0")/lib.sh"

reset_databases
check "reset databases" test $? -eq 0
run_etlre process --date 2025-11-01
is "$RC" 0 "first load"
my "DELETE FROM calls WHERE call_id IN (SELECT call_id FROM (SELECT call_id FROM calls WHERE start_time >= '2025-11-01 05:00' AND start_time < '2025-11-01 06:00' ORDER BY call_id LIMIT 2) x)"

before=$(target_snapshot)
run_etlre process --date 2025-11-01 --dry-run --json
is "$RC" 0 "dry run exits 0"
is "$(target_snapshot)" "$before" "target unchanged, etlre's tables included"
like "$OUT" '"status":"dry_run"' "JSON status is dry_run"
like "$OUT" '"job_id":null' "no job id in a dry run"
h5=$(printf '%s' "$OUT" | grep -o '{"table":"calls","hour":"2025-11-01T05:00:00"[^}]*}')
src5=$(my "SELECT COUNT(*) FROM calls WHERE start_time >= '2025-11-01 05:00' AND start_time < '2025-11-01 06:00'")
tgt5=$(pg "SELECT count(*) FROM analytics.calls WHERE start_time >= '2025-11-01 05:00' AND start_time < '2025-11-01 06:00'")
like "$h5" "\"rows_loaded\":$src5," "hour 05: would load the source's rows"
like "$h5" "\"rows_deleted\":$tgt5}?" "hour 05: would delete the target's rows"

run_etlre process --date 2025-11-02 --dry-run --skip-invalid
is "$RC" 0 "dry run with --skip-invalid exits 0"
like "$OUT" '^dry run: nothing was committed' "text summary says nothing was committed"
like "$OUT" 'calls +24 +0 +0 +[0-9]+ +[0-9]+ +4 ' "dry run reports the 4 rows it would reject"
is "$(target_snapshot)" "$before" "target still unchanged"
done_testing
