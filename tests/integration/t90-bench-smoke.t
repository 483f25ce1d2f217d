#!/usr/bin/env bash
# scripts/bench.sh runs end to end with tiny sizes (2000 rows over 1 day, and
# a sparse range of 28 days) in the test databases and prints every step with
# its wall time, rows/s and peak RSS, the machine, and every ratio; the data
# it leaves equals the source.
# run early: slow (scripts/bench.sh end to end)
. "$(dirname "$0")/lib.sh"

ETLRE_BENCH_DB=$TEST_DB ETLRE_BIN=$ETLRE bash "$ROOT/scripts/bench.sh" abc 1 >/dev/null 2>&1
is "$?" 2 "bench.sh with a bad row count exits 2"

ETLRE_BENCH_DB=$TEST_DB ETLRE_BIN=$ETLRE ETLRE_BENCH_SPARSE_DAYS=20 bash "$ROOT/scripts/bench.sh" 2000 1 >/dev/null 2>&1
is "$?" 2 "bench.sh with a sparse range under 21 days exits 2"

ETLRE_BENCH_DB=$TEST_DB ETLRE_BIN=$ETLRE ETLRE_BENCH_ROUNDS=0 bash "$ROOT/scripts/bench.sh" 2000 1 >/dev/null 2>&1
is "$?" 2 "bench.sh with 0 rounds exits 2"

export ETLRE_BENCH_SPARSE_DAYS=28
OUT=$(ETLRE_BENCH_DB=$TEST_DB ETLRE_BIN=$ETLRE bash "$ROOT/scripts/bench.sh" 2000 1 2>"$TMP/bench.err")
RC=$?
is "$RC" 0 "bench.sh 2000 1 exits 0"
[ "$RC" -eq 0 ] || sed 's/^/# /' "$TMP/bench.err" | tail -20

like "$OUT" '^etlre bench: 2000 rows over 1 days \(2025-06-01\.\.2025-06-01\), one hour of 2000 rows' "header names the sizes"
like "$OUT" "machine: $(nproc) cores, .+, Debian .+; etlre's default: [1-4] worker\\(s\\)" "machine line: cores, CPU, Debian, etlre's default workers"
like "$OUT" 'servers: [0-9.]+ PostgreSQL, [0-9.]+-MariaDB' "server versions"
like "$OUT" '^step +wall s +rows/s +peak RSS MiB' "table header"
num='[0-9]+\.[0-9]{2} +[0-9]+ +[0-9]+\.[0-9]'
for step in "etlre fresh" "etlre replace" "etlre fresh -j1" "etlre replace -j1" "delete+copy" "copy text" "copy binary" "copy binary x2" pipe \
	"etlre 1 hour" verify "verify --deep" "plain counts" "sparse hourly" "sparse daily" "sparse pipe" \
	"sparse replace"; do
	esc=$(printf '%s' "$step" | sed 's/[+]/[+]/g')
	like "$OUT" "^$esc +$num" "line for $step with wall s, rows/s and RSS"
done
if command -v pgloader >/dev/null; then
	like "$OUT" "^pgloader +$num" "line for pgloader"
	like "$OUT" 'ratio pgloader/etlre: +[0-9]+\.[0-9]{2}' "ratio pgloader/etlre"
	like "$OUT" 'ratio pgloader/etlre -j1: +[0-9]+\.[0-9]{2}' "ratio pgloader/etlre -j1"
else
	like "$OUT" "^pgloader +skipped" "pgloader marked as skipped"
fi
for r in 'etlre/pipe' 'copy binary x2/pipe' 'etlre \(2\)/pipe' 'replace/pipe' 'replace/\(delete\+copy\)' 'etlre -j1/pipe' 'replace -j1/pipe' 'replace -j1/\(d\+c\)' \
	'verify/plain' 'deep/plain' 'sparse hourly/daily' 'sparse hourly/pipe'; do
	like "$OUT" "ratio $r: +[0-9]+\.[0-9]{2}" "ratio $r"
done
like "$OUT" 'etlre 1-hour peak RSS MiB: +[0-9]+\.[0-9]' "1-hour peak RSS"
like "$OUT" '; 3 round\(s\) of fresh, replace and pipe' "the header names the rounds"
for step in "etlre fresh" "etlre replace" pipe "sparse hourly" "sparse daily" "sparse pipe"; do
	esc=$(printf '%s' "$step" | sed 's/[+]/[+]/g')
	line=$(printf '%s\n' "$OUT" | grep -E "^$esc +[0-9]")
	like "$line" "^$esc +$num +[0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2}\$" "$step: three runs listed"
	is "$(awk -v n="$(wc -w <<<"$step")" '{ w = $(n + 1); split($(n + 4) " " $(n + 5) " " $(n + 6), r, " ");
		for (i = 1; i <= 3; i++) for (j = i + 1; j <= 3; j++) if (r[j] + 0 < r[i] + 0) { t = r[i]; r[i] = r[j]; r[j] = t }
		print (w == r[2] ? "median" : w " is not the median of " r[1] " " r[2] " " r[3]) }' <<<"$line")" median \
		"$step: wall s is the median of its runs"
done
like "$OUT" '^sparse year: 2000 rows in 84 of 672 hours \(2024-06-01\.\.2024-06-28\)' "the sparse range's sizes"
like "$OUT" 'sparse ms per hour: +-?[0-9]+\.[0-9]{3}' "the sparse fixed cost per hour"

# what the last etlre runs left equals the source, row by row
rows_of() { # rows_of SIDE TABLE: "call_id md5-of-the-row" in key order
	if [ "$1" = src ]; then
		my "SELECT call_id, MD5(CONCAT_WS('|', call_id, COALESCE(caller_number,'<N>'),
		      COALESCE(called_number,'<N>'), DATE_FORMAT(start_time,'%Y-%m-%d %H:%i:%s.%f'),
		      COALESCE(DATE_FORMAT(end_time,'%Y-%m-%d %H:%i:%s.%f'),'<N>'), COALESCE(duration,'<N>'),
		      status, COALESCE(queue,'<N>'), COALESCE(agent,'<N>'), COALESCE(menu_path,'<N>'),
		      COALESCE(cost,'<N>'))) FROM $2 ORDER BY call_id"
	else
		pg "SELECT call_id, md5(concat_ws('|', call_id, coalesce(caller_number,'<N>'),
		      coalesce(called_number,'<N>'), to_char(start_time,'YYYY-MM-DD HH24:MI:SS.US'),
		      coalesce(to_char(end_time,'YYYY-MM-DD HH24:MI:SS.US'),'<N>'), coalesce(duration::text,'<N>'),
		      status, coalesce(queue,'<N>'), coalesce(agent,'<N>'), coalesce(menu_path,'<N>'),
		      coalesce(cost::text,'<N>'))) FROM analytics.$2 ORDER BY call_id" | tr '|' '\t'
	fi
}
src=$(rows_of src calls_bench)
is "$(printf '%s\n' "$src" | grep -c .)" 2000 "the source holds 2000 rows"
is "$(rows_of tgt calls_bench)" "$src" "target calls_bench equals the source, row by row"
is "$(rows_of tgt calls_hour)" "$(rows_of src calls_hour)" "target calls_hour equals the source, row by row"
is "$(rows_of tgt calls_sparse)" "$(rows_of src calls_sparse)" "target calls_sparse equals the source, row by row"
is "$(my "SELECT COUNT(DISTINCT DATE_FORMAT(start_time, '%Y%m%d%H')) FROM calls_sparse")" 84 "calls_sparse fills 84 hours"
is "$(my "SELECT COUNT(DISTINCT HOUR(start_time)) FROM calls_hour")" 1 "calls_hour is a single hour"
is "$(my "SELECT SUM(agent LIKE '%\t%') > 0 AND SUM(menu_path LIKE '%\\\\\\\\%') > 0 AND SUM(agent IS NULL) > 0 FROM calls_bench")" 1 \
	"the source has tabs, backslashes and NULLs"
done_testing
