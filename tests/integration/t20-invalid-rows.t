#!/usr/bin/env bash
# Invalid rows: without --skip-invalid the first one fails its hour (which
# keeps its old rows) and names table, hour, key, column, value and rule;
# with it, the row lands in etlre.rejects (and the rejects file) and the rest
# of the hour loads. A row the target's CHECK refuses behaves the same way.
. "$(dirname "$0")/lib.sh"

reset_databases
check "reset databases" test $? -eq 0

# 2025-11-02 holds four invalid rows, in hours 10, 11, 12 and 13
run_etlre process --date 2025-11-02 --skip-invalid --rejects-file "$TMP/rejects.csv.gz"
is "$RC" 0 "--skip-invalid: exit 0"
like "$OUT" 'calls +24 +0 +0 +[0-9]+ +[0-9]+ +4 ' "summary: 4 rows rejected, no hour failed"
is "$(pg "SELECT row_key || ' ' || rule FROM etlre.rejects ORDER BY row_key")" \
"call_id=2009001 check.duration_nonneg
call_id=2009002 constraint calls_status_known
call_id=2009003 varchar(20)
call_id=2009004 not null" "each invalid row is in etlre.rejects with its rule"
is "$(pg "SELECT column_name FROM etlre.rejects WHERE row_key = 'call_id=2009003'")" caller_number "reject names the column"
is "$(pg "SELECT raw->>'duration' FROM etlre.rejects WHERE row_key = 'call_id=2009001'")" -5 "reject keeps the raw values"
is "$(pg "SELECT count(*) FROM analytics.calls WHERE call_id BETWEEN 2009001 AND 2009004")" 0 "no invalid row was loaded"
for h in 10 11 12 13; do
	src=$(my "SELECT COUNT(*) - 1 FROM calls WHERE start_time >= '2025-11-02 $h:00' AND start_time < '2025-11-02 $h:00' + INTERVAL 1 HOUR")
	tgt=$(pg "SELECT count(*) FROM analytics.calls WHERE start_time >= '2025-11-02 $h:00' AND start_time < '2025-11-02 $h:00'::timestamp + interval '1 hour'")
	is "$tgt" "$src" "hour $h: the rest of the hour loaded"
done
check "rejects file written" test -s "$TMP/rejects.csv.gz"
is "$(zcat "$TMP/rejects.csv.gz" | head -1)" '"job_id","table","hour","key","column","value","rule","reason","raw"'$'\r' "rejects file has a CSV header"
is "$(zcat "$TMP/rejects.csv.gz" | grep -c 'call_id=2009')" 4 "rejects file holds the 4 rows"
like "$(zcat "$TMP/rejects.csv.gz")" 'transferred' "rejects file keeps the refused value"
check "no partial rejects file left" test ! -e "$TMP/rejects.csv.gz.partial"

# rerun: rejects are replaced, not duplicated
run_etlre process --date 2025-11-02 --skip-invalid
is "$(pg "SELECT count(*) FROM etlre.rejects")" 4 "rerun replaces the hour's rejects"

# now the source changes in the invalid hours; without --skip-invalid those
# hours fail and keep what they had
before10=$(tgt_rows '2025-11-02 10:00' '2025-11-02 14:00')
my "INSERT INTO calls (call_id, caller_number, called_number, start_time, end_time, duration, status, queue)
    VALUES (2009901, '+34910000001', '+34910000002', '2025-11-02 10:30:00.000', '2025-11-02 10:31:00.000', 60, 'answered', 'sales'),
           (2009902, '+34910000001', '+34910000002', '2025-11-02 15:30:00.000', '2025-11-02 15:31:00.000', 60, 'answered', 'sales')"
run_etlre process --date 2025-11-02
is "$RC" 1 "without --skip-invalid: exit 1"
like "$ERR" "table calls, hour 2025-11-02T10:00:00, key call_id=2009001: column duration value '-5' breaks rule check.duration_nonneg" \
	"error names table, hour, key, column, value and rule (check rule)"
like "$ERR" "hour 2025-11-02T11:00:00, key call_id=2009002: column status value 'transferred' breaks rule constraint calls_status_known" \
	"error names the CHECK constraint the target refused"
like "$ERR" "key call_id=2009003: column caller_number value '[0-9]{25}' breaks rule varchar\\(20\\)" "error for a too-long value"
like "$ERR" "key call_id=2009004: column queue value NULL breaks rule not null" "error for a NULL in a NOT NULL column"
is "$(tgt_rows '2025-11-02 10:00' '2025-11-02 14:00')" "$before10" "failed hours keep their previous content"
is "$(pg "SELECT count(*) FROM analytics.calls WHERE call_id = 2009902")" 1 "the other hours went on (hour 15 got its new row)"
job=$(pg "SELECT max(job_id) FROM etlre.jobs")
is "$(pg "SELECT status FROM etlre.jobs WHERE job_id = $job")" partial "job is partial"
is "$(pg "SELECT string_agg(extract(hour FROM hour)::int || ':' || error_class, ' ' ORDER BY hour) FROM etlre.job_hours WHERE job_id = $job AND status = 'failed'")" \
	"10:invalid_data 11:constraint 12:invalid_data 13:invalid_data" "failed hours recorded with their error class"
like "$OUT" 'failed: calls 2025-11-02T11:00:00 \[constraint\]' "summary lists the failed hours"

# --max-rejects
run_etlre process --date 2025-11-02 --skip-invalid --max-rejects 2
is "$RC" 1 "--max-rejects 2 with 4 invalid rows: exit 1"
like "$ERR" "more than 2 rows rejected" "error says the reject limit was passed"
# the limit is the job's, whatever the workers: the two workers' slices
# (00-11, 12-23) hold two invalid hours each, yet exactly three rejects are
# kept and the fourth invalid hour fails
run_etlre process --date 2025-11-02 --skip-invalid --max-rejects 3 --jobs 2
is "$RC" 1 "--max-rejects 3 with 4 invalid rows, 2 workers: exit 1"
job=$(pg "SELECT max(job_id) FROM etlre.jobs")
is "$(pg "SELECT sum(rows_rejected) FILTER (WHERE status = 'succeeded') || ' ' || count(*) FILTER (WHERE status = 'failed' AND error LIKE 'more than 3 rows rejected%')
          FROM etlre.job_hours WHERE job_id = $job")" "3 1" \
	"--max-rejects 3, 2 workers: three rejects kept, one hour failed for the limit"
run_etlre process --date 2025-11-02 --skip-invalid --max-rejects 4
is "$RC" 0 "--max-rejects 4 with 4 invalid rows: exit 0"
is "$(tgt_hours 2025-11-02 | awk '{s+=$2} END {print s}')" "$(my "SELECT COUNT(*) - 4 FROM calls WHERE DATE(start_time) = '2025-11-02'")" "all valid rows of the day loaded"
done_testing
