#!/usr/bin/env bash
# Hours are half-open: a row at 13:59:59.999 is in the 13:00 hour, one at
# 14:00:00 in the 14:00 hour; the last millisecond of a day belongs to it.
. "$(dirname "$0")/lib.sh"

reset_databases
check "reset databases" test $? -eq 0

run_etlre process --date 2025-11-02 --table calls --skip-invalid --json
is "$RC" 0 "load 2025-11-02"
hour_of() { pg "SELECT to_char(start_time, 'YYYY-MM-DD HH24:MI:SS.MS') FROM analytics.calls WHERE call_id = $1"; }
is "$(hour_of 2009101)" "2025-11-02 13:59:59.999" "13:59:59.999 loaded exactly"
is "$(hour_of 2009102)" "2025-11-02 14:00:00.000" "14:00:00.000 loaded exactly"
is "$(hour_of 2009103)" "2025-11-02 00:00:00.000" "00:00:00.000 belongs to its day"
is "$(hour_of 2009104)" "2025-11-02 23:59:59.999" "23:59:59.999 belongs to its day"
is "$(pg "SELECT count(*) FROM analytics.calls WHERE call_id IN (2009105, 2009106)")" 0 "neighbouring days' boundary rows are not loaded"

# the JSON per-hour counts equal the source's half-open counts
for h in 13 14 23; do
	n=$(my "SELECT COUNT(*) FROM calls WHERE start_time >= '2025-11-02 $h:00:00' AND start_time < '2025-11-02 $h:00:00' + INTERVAL 1 HOUR")
	like "$OUT" "\"hour\":\"2025-11-02T$h:00:00\",\"status\":\"succeeded\",\"rows_read\":$n," "hour $h read its $n half-open rows"
done

# loading only the next day picks up its 00:00:00.000 row
run_etlre process --date 2025-11-03
is "$RC" 0 "load 2025-11-03"
is "$(hour_of 2009106)" "2025-11-03 00:00:00.000" "next day's midnight row is in the next day"
run_etlre process --date 2025-11-01
is "$(hour_of 2009105)" "2025-11-01 23:59:59.999" "previous day's last row is in the previous day"
is "$(pg "SELECT count(*) - count(DISTINCT call_id) FROM analytics.calls")" 0 "no duplicates across days"
done_testing
