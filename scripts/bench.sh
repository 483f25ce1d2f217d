#!/usr/bin/env bash
# bench.sh [ROWS] [DAYS]: etlre's benchmark. Generates ROWS IVR calls
# (default 2000000) over DAYS days (default 7) from 2025-06-01 in MariaDB with
# scripts/gen-calls.sh (NULLs, unicode, tabs and backslashes in text), and
# a single hour of min(ROWS, 1000000) rows on the day before. Then, in one run
# on the same data, it times:
#   etlre fresh       etlre process over the range into an empty target, with
#                     the default options (the machine's default workers)
#   etlre replace     the same again over the loaded target
#   ... -j1           both again with --jobs 1 (one worker, the old default)
#   pipe              mariadb --quick --batch | sed | psql \copy
#   pgloader          Debian's pgloader, 4 workers (skipped when not installed:
#                     scripts/install-deps.sh --bench installs it)
#   copy text/binary  PostgreSQL's server-side COPY from a file
#   copy binary x2    the same in two COPYs at once, half of the range each
#                     (the floor of two workers: PostgreSQL's work alone)
#   delete+copy       BEGIN; DELETE the range; COPY from a file; COMMIT
#                     (what etlre replace does, without etlre)
#   etlre 1 hour      etlre process of the single big hour (for peak RSS)
#   verify, deep      etlre verify [--deep] over the range
#   plain counts      SELECT count(*) ... GROUP BY hour on both sides at once
#   sparse ...        a sparse year: min(ROWS, 20000) calls over
#                     $ETLRE_BENCH_SPARSE_DAYS days (default 365) from 2024-06-01,
#                     all in busy weeks (one week in eight, 08:00-20:00), so
#                     most hours are empty: etlre hourly, --batch-mode daily,
#                     and the pipe, each into an empty target
# and prints wall seconds, rows/s and peak RSS (/usr/bin/time -v: the largest
# client process; the servers' memory is not counted), then the ratios.
# Each load is checked: the target must hold exactly the range's rows.
#
# Uses the local servers of scripts/dev-db.sh and its own databases
# ivr_$ETLRE_BENCH_DB / analytics_$ETLRE_BENCH_DB (default test_benchmark:
# dev-db.sh grants the etl user the MariaDB databases ivr_test_*). The
# source is kept between runs when it already holds the same data.
# The etlre binary is $ETLRE_BIN (default ./etlre, built when missing).
# ETLRE_BENCH_ONLY=sparse runs the sparse year alone (for A/B comparisons).
# ETLRE_BENCH_ROUNDS (default 3) is how many times fresh, replace and the
# pipe, and the sparse year's hourly, daily and pipe, run in turn; the table
# shows each run and their median, and the ratios are between medians.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ROWS=${1:-2000000}
DAYS=${2:-7}
[[ $ROWS =~ ^[0-9]+$ && $DAYS =~ ^[0-9]+$ && $ROWS -gt 0 && $DAYS -gt 0 ]] || {
	echo "usage: bench.sh [ROWS] [DAYS]" >&2; exit 2; }
BENCH_DB=${ETLRE_BENCH_DB:-test_benchmark}
[[ $BENCH_DB =~ ^[a-z0-9_]+$ ]] || { echo "bench.sh: ETLRE_BENCH_DB must be [a-z0-9_]+" >&2; exit 2; }
START=2025-06-01
END=$(date -u -d "$START + $((DAYS - 1)) days" +%F)   # inclusive
AFTER=$(date -u -d "$END + 1 day" +%F)
HOUR_DAY=$(date -u -d "$START - 1 day" +%F)
HOUR_ROWS=$(( ROWS < 1000000 ? ROWS : 1000000 ))
ONLY=${ETLRE_BENCH_ONLY:-}
ROUNDS=${ETLRE_BENCH_ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: ETLRE_BENCH_ROUNDS must be a number of rounds, at least 1" >&2; exit 2; }
PGLOADER=
[[ $ONLY = "" || $ONLY = sparse ]] || { echo "bench.sh: ETLRE_BENCH_ONLY must be empty or sparse" >&2; exit 2; }
SPARSE_ROWS=$(( ROWS < 20000 ? ROWS : 20000 ))
SPARSE_DAYS=${ETLRE_BENCH_SPARSE_DAYS:-365}
[[ $SPARSE_DAYS =~ ^[0-9]+$ && $SPARSE_DAYS -ge 21 ]] || {
	echo "bench.sh: ETLRE_BENCH_SPARSE_DAYS must be a number of days, at least 21" >&2; exit 2; }
SPARSE_START=2024-06-01
SPARSE_END=$(date -u -d "$SPARSE_START + $((SPARSE_DAYS - 1)) days" +%F)
SPARSE_AFTER=$(date -u -d "$SPARSE_START + $SPARSE_DAYS days" +%F)
# busy weeks: weeks 2, 10, 18, ... of the range (one in eight), 12 busy hours a day
SPARSE_WEEKS=$(( (SPARSE_DAYS / 7 - 3) / 8 + 1 ))
SPARSE_BUSY_HOURS=$(( SPARSE_WEEKS * 7 * 12 ))

ETLRE=${ETLRE_BIN:-$ROOT/etlre}
[ -x "$ETLRE" ] || make -s -j2 >&2
for tool in /usr/bin/time mariadb psql; do
	command -v "$tool" >/dev/null || { echo "bench.sh: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

bash scripts/dev-db.sh start >/dev/null
eval "$(bash scripts/dev-db.sh env)"
MY_DB=ivr_$BENCH_DB
PG_DB=analytics_$BENCH_DB
export ETLRE_SOURCE_URL="mariadb://etl:etl@127.0.0.1:${ETLRE_DEV_MARIADB_PORT}/$MY_DB"
export ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:${ETLRE_DEV_PG_PORT}/$PG_DB"
unset ETLRE_CONFIG ETLRE_SOURCE_PASSWORD

WORK=$(mktemp -d /var/tmp/etlre-bench.XXXXXX)
chmod 0777 "$WORK"   # the PostgreSQL server writes and reads its COPY files here
trap 'rm -rf "$WORK"' EXIT

my() { MYSQL_PWD=etl mariadb -h127.0.0.1 -P"$ETLRE_DEV_MARIADB_PORT" -uetl --default-character-set=utf8mb4 "$MY_DB" -N -B "$@"; }
pg() { PGOPTIONS='-c client_min_messages=warning' psql "$ETLRE_TARGET_URL" -X -A -t -q -v ON_ERROR_STOP=1 "$@"; }
say() { echo "bench: $*" >&2; }

# ---------------------------------------------------------------- data
MYSQL_PWD=etl mariadb -h127.0.0.1 -P"$ETLRE_DEV_MARIADB_PORT" -uetl \
	-e "CREATE DATABASE IF NOT EXISTS $MY_DB CHARACTER SET utf8mb4"
psql "postgresql://etl@127.0.0.1:${ETLRE_DEV_PG_PORT}/postgres" -X -A -t -q \
	-c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1 ||
	psql "postgresql://etl@127.0.0.1:${ETLRE_DEV_PG_PORT}/postgres" -X -q -c "CREATE DATABASE $PG_DB"
pg -c "DROP SCHEMA IF EXISTS analytics CASCADE; DROP SCHEMA IF EXISTS etlre CASCADE" 2>/dev/null
pg -f sql/postgres/analytics.sql >/dev/null

have=$(my -e "SELECT CONCAT(COUNT(*), ' ', COALESCE(MIN(start_time), ''), ' ', COALESCE(MAX(start_time) < '$AFTER', ''))
              FROM calls_bench" 2>/dev/null || true)
have_hour=$(my -e "SELECT COUNT(*) FROM calls_hour WHERE start_time >= '$HOUR_DAY 23:00'" 2>/dev/null || true)
if [ -n "$ONLY" ]; then
	say "ETLRE_BENCH_ONLY=$ONLY: the dense data is not generated"
elif [ "$have" = "$ROWS $START 00:00:00.000 1" ] && [ "$have_hour" = "$HOUR_ROWS" ]; then
	say "reusing the source data in $MY_DB ($ROWS rows, $START..$END)"
else
	say "generating $ROWS rows over $DAYS days in $MY_DB.calls_bench"
	ETLRE_GEN_DB=$MY_DB ETLRE_GEN_PG_URL=$ETLRE_TARGET_URL bash scripts/gen-calls.sh "$ROWS" "$DAYS" "$START" >&2
	say "generating one hour of $HOUR_ROWS rows in $MY_DB.calls_hour ($HOUR_DAY 23:00)"
	my -e "DROP TABLE IF EXISTS calls_hour; CREATE TABLE calls_hour LIKE calls_bench;
	       INSERT INTO calls_hour SELECT call_id, caller_number, called_number,
	         TIMESTAMP('$HOUR_DAY 23:00:00') + INTERVAL ((call_id - 1) * 3600000 DIV $HOUR_ROWS) * 1000 MICROSECOND,
	         end_time, duration, status, queue, agent, menu_path, cost
	       FROM calls_bench WHERE call_id <= $HOUR_ROWS"
fi
have_sparse=$(my -e "SELECT CONCAT(COUNT(*), ' ', COUNT(DISTINCT DATE_FORMAT(start_time, '%Y%m%d%H')), ' ', MAX(start_time) < '$SPARSE_AFTER')
                     FROM calls_sparse" 2>/dev/null || true)
if [ "$have_sparse" = "$SPARSE_ROWS $(( SPARSE_ROWS < SPARSE_BUSY_HOURS ? SPARSE_ROWS : SPARSE_BUSY_HOURS )) 1" ]; then
	say "reusing the sparse source data ($SPARSE_ROWS rows, $SPARSE_START..$SPARSE_END)"
else
	say "generating $SPARSE_ROWS rows in $SPARSE_BUSY_HOURS busy hours of $SPARSE_START..$SPARSE_END in $MY_DB.calls_sparse"
	# row i goes to busy hour j = (i - 1) * hours / rows: week j div 84, day
	# (j mod 84) div 12, hour 8 + j mod 12, at a second of the hour
	my -e "DROP TABLE IF EXISTS calls_sparse"
	sed 's/CREATE TABLE IF NOT EXISTS calls /CREATE TABLE calls_sparse /; s/KEY calls_start_time/KEY calls_sparse_start_time/' \
		sql/mariadb/calls.sql | my
	my -e "INSERT INTO calls_sparse
	       SELECT id, CONCAT('+3491', LPAD(id, 7, '0')), CONCAT('+3493', LPAD(id * 7 MOD 10000000, 7, '0')),
	         st, IF(id MOD 5 = 1, NULL, st + INTERVAL id MOD 1800 SECOND), id * 37 MOD 1800,
	         ELT(1 + id MOD 5, 'answered', 'abandoned', 'answered', 'busy', 'voicemail'),
	         ELT(1 + id MOD 3, 'sales', 'support', 'atención-cliente'),
	         IF(id MOD 7 = 0, NULL, ELT(1 + id MOD 3, 'José Núñez', 'agent\twith\ttab', 'Zoë 🎧')),
	         CONCAT(id MOD 9, '>', id MOD 4), (id MOD 100000) / 10000
	       FROM (SELECT seq AS id, TIMESTAMP('$SPARSE_START')
	               + INTERVAL ((j DIV 84) * 8 + 2) * 7 + (j MOD 84) DIV 12 DAY
	               + INTERVAL 8 + j MOD 12 HOUR + INTERVAL seq * 37 MOD 3600 SECOND AS st
	             FROM (SELECT seq, (seq - 1) * $SPARSE_BUSY_HOURS DIV $SPARSE_ROWS AS j
	                   FROM seq_1_to_$SPARSE_ROWS) s) g"
fi
# the target: primary key and an index on start_time, like analytics.calls
pg -c "DROP TABLE IF EXISTS analytics.calls_bench, analytics.calls_hour, analytics.calls_sparse;
       CREATE TABLE analytics.calls_bench (LIKE analytics.calls INCLUDING ALL);
       CREATE TABLE analytics.calls_hour (LIKE analytics.calls INCLUDING ALL);
       CREATE TABLE analytics.calls_sparse (LIKE analytics.calls INCLUDING ALL)"

CONF=$WORK/etlre.conf
cat > "$CONF" <<EOF
[source]
url = $ETLRE_SOURCE_URL
[target]
url = $ETLRE_TARGET_URL
[etlre]
schema = etlre
timezone = UTC
EOF
for t in calls_bench calls_hour calls_sparse; do
	printf '[table %s]\nsource = %s\ntarget = analytics.%s\ntime_column = start_time\nkey = call_id\ncheck.duration_nonneg = duration >= 0\n' \
		"$t" "$t" "$t" >> "$CONF"
done
ETL=("$ETLRE" --config "$CONF" -q --progress-interval 0)
etl() { "${ETL[@]}" "$@"; }
etl init >/dev/null

COLS="call_id, caller_number, called_number, start_time, end_time, duration, status, queue, agent, menu_path, cost"
RANGE="start_time >= '$START' AND start_time < '$AFTER'"

# ---------------------------------------------------------------- timing
# pipe_script TABLE WHERE: the naive pipe of TABLE's rows WHERE, as a script:
# mariadb's batch output is COPY text but for NULL
pipe_script() {
	cat <<EOF
set -o pipefail
MYSQL_PWD=etl mariadb -h127.0.0.1 -P$ETLRE_DEV_MARIADB_PORT -uetl --default-character-set=utf8mb4 $MY_DB \\
	--quick --batch --skip-column-names -e "SELECT $COLS FROM $1 WHERE $2" |
sed -e 's/^NULL\t/\\\\N\t/; s/\tNULL\t/\t\\\\N\t/g; s/\tNULL\t/\t\\\\N\t/g; s/\tNULL\$/\t\\\\N/' |
psql "$ETLRE_TARGET_URL" -X -q -v ON_ERROR_STOP=1 -c "\\copy analytics.$1 FROM STDIN"
EOF
}

declare -A WALL RSS NROWS RUNS
ORDER=()
# measure NAME ROWS CMD...: runs CMD under /usr/bin/time -v after a checkpoint
measure() {
	local name=$1 rows=$2 t0 t1; shift 2
	pg -c "CHECKPOINT"
	say "$name ..."
	t0=$(date +%s%N)
	if ! /usr/bin/time -v -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err"; then
		echo "bench.sh: $name failed:" >&2; cat "$WORK/out" "$WORK/err" >&2; exit 1
	fi
	t1=$(date +%s%N)
	[ -n "${NROWS[$name]:-}" ] || ORDER+=("$name")
	LAST=$name
	NROWS[$name]=$rows
	RUNS[$name]="${RUNS[$name]:-} $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')"
	# the median of the runs so far (of the two middle ones for an even number)
	WALL[$name]=$(tr ' ' '\n' <<<"${RUNS[$name]}" | sed '/^$/d' | sort -n |
		awk '{ v[NR] = $1 } END { printf "%.2f", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2 }')
	local rss
	rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$WORK/time")
	RSS[$name]=$(awk -v a="${RSS[$name]:-0}" -v b="$rss" 'BEGIN { printf "%.1f", (b > a ? b : a) }')
}
# expect_rows TABLE N: the target table must hold exactly N rows
expect_rows() {
	local got
	got=$(pg -c "SELECT count(*) FROM $1")
	[ "$got" = "$2" ] || { echo "bench.sh: $LAST: $1 holds $got rows, expected $2" >&2; exit 1; }
}
# load_step NAME TABLE ROWS CMD...: measure, then TABLE must hold ROWS rows
load_step() {
	local name=$1 table=$2 rows=$3; shift 3
	measure "$name" "$rows" "$@"
	expect_rows "$table" "$rows"
}
truncate_target() { pg -c "TRUNCATE analytics.calls_bench"; }

if [ -z "$ONLY" ]; then
# warm both caches: every timed step then reads the source from memory
my -e "SELECT COUNT(*), SUM(LENGTH(agent)), SUM(LENGTH(menu_path)) FROM calls_bench WHERE $RANGE" >/dev/null

# fresh, replace and the pipe in $ROUNDS rounds, one after the other: their
# ratios are taken between medians, so that a slow minute of the machine
# moves one run of each, not the ratio
pipe_script calls_bench "$RANGE" > "$WORK/pipe.sh"
for round in $(seq "$ROUNDS"); do
	truncate_target
	load_step "etlre fresh" analytics.calls_bench "$ROWS" "${ETL[@]}" \
		process --start-date "$START" --end-date "$END" --table calls_bench
	load_step "etlre replace" analytics.calls_bench "$ROWS" "${ETL[@]}" \
		process --start-date "$START" --end-date "$END" --table calls_bench
	truncate_target
	load_step "pipe" analytics.calls_bench "$ROWS" bash "$WORK/pipe.sh"
done
nulls=$(pg -c "SELECT count(*) FILTER (WHERE agent IS NULL) || ' ' || count(*) FILTER (WHERE end_time IS NULL) FROM analytics.calls_bench")
[ "$nulls" = "$(my -e "SELECT CONCAT(SUM(agent IS NULL), ' ', SUM(end_time IS NULL)) FROM calls_bench WHERE $RANGE")" ] ||
	{ echo "bench.sh: the pipe did not load NULLs as NULL ($nulls)" >&2; exit 1; }

# the same with one worker (--jobs 1, the default before it followed the
# machine): the comparison with the default's workers
truncate_target
load_step "etlre fresh -j1" analytics.calls_bench "$ROWS" "${ETL[@]}" \
	process --start-date "$START" --end-date "$END" --table calls_bench --jobs 1
load_step "etlre replace -j1" analytics.calls_bench "$ROWS" "${ETL[@]}" \
	process --start-date "$START" --end-date "$END" --table calls_bench --jobs 1

# the same rows as files on the server, in the order etlre loaded them
pg -c "COPY analytics.calls_bench TO '$WORK/calls.txt'"
pg -c "COPY analytics.calls_bench TO '$WORK/calls.bin' (FORMAT binary)"

load_step "delete+copy" analytics.calls_bench "$ROWS" psql "$ETLRE_TARGET_URL" -X -q -v ON_ERROR_STOP=1 \
	-c "BEGIN; DELETE FROM analytics.calls_bench WHERE $RANGE; COPY analytics.calls_bench FROM '$WORK/calls.txt'; COMMIT"

truncate_target
load_step "copy text" analytics.calls_bench "$ROWS" psql "$ETLRE_TARGET_URL" -X -q -v ON_ERROR_STOP=1 \
	-c "COPY analytics.calls_bench FROM '$WORK/calls.txt'"

truncate_target
load_step "copy binary" analytics.calls_bench "$ROWS" psql "$ETLRE_TARGET_URL" -X -q -v ON_ERROR_STOP=1 \
	-c "COPY analytics.calls_bench FROM '$WORK/calls.bin' (FORMAT binary)"

# PostgreSQL alone, the two halves of the range in two COPYs at once: the
# floor of any load by two workers on this machine (no source, no client)
MID="$(date -u -d "$START + $(( DAYS * 12 )) hours" '+%F %T')"
pg -c "COPY (SELECT * FROM analytics.calls_bench WHERE start_time < '$MID') TO '$WORK/calls-a.bin' (FORMAT binary)"
pg -c "COPY (SELECT * FROM analytics.calls_bench WHERE start_time >= '$MID') TO '$WORK/calls-b.bin' (FORMAT binary)"
cat > "$WORK/copy2.sh" <<EOF
set -e
for half in a b; do
	psql "$ETLRE_TARGET_URL" -X -q -v ON_ERROR_STOP=1 \\
		-c "COPY analytics.calls_bench FROM '$WORK/calls-\$half.bin' (FORMAT binary)" &
	pids="\$pids \$!"
done
for pid in \$pids; do wait \$pid; done
EOF
truncate_target
load_step "copy binary x2" analytics.calls_bench "$ROWS" bash "$WORK/copy2.sh"


if command -v pgloader >/dev/null; then
	truncate_target
	cat > "$WORK/pgloader.load" <<EOF
LOAD DATABASE
  FROM mysql://etl:etl@127.0.0.1:$ETLRE_DEV_MARIADB_PORT/$MY_DB
  INTO postgresql://etl@127.0.0.1:$ETLRE_DEV_PG_PORT/$PG_DB
  WITH data only, workers = 4, concurrency = 1
  INCLUDING ONLY TABLE NAMES MATCHING 'calls_bench'
  ALTER SCHEMA '$MY_DB' RENAME TO 'analytics';
EOF
	load_step "pgloader" analytics.calls_bench "$ROWS" pgloader --no-ssl-cert-verification "$WORK/pgloader.load"
	pgloader --version >"$WORK/pgloader.version" 2>&1 || true   # (SBCL dies of a closed pipe)
	PGLOADER=$(head -1 "$WORK/pgloader.version")
else
	say "pgloader is not installed: skipped (scripts/install-deps.sh --bench installs it)"
	PGLOADER=
fi

# a second fresh load, later in the run (it shows the run's noise), which
# also leaves the target as etlre loads it, for verify
truncate_target
load_step "etlre fresh (2)" analytics.calls_bench "$ROWS" "${ETL[@]}" \
	process --start-date "$START" --end-date "$END" --table calls_bench

load_step "etlre 1 hour" analytics.calls_hour "$HOUR_ROWS" "${ETL[@]}" \
	process --date "$HOUR_DAY" --table calls_hour

measure "verify" "$ROWS" "${ETL[@]}" \
	verify --start-date "$START" --end-date "$END" --table calls_bench
measure "verify --deep" "$ROWS" "${ETL[@]}" \
	verify --deep --start-date "$START" --end-date "$END" --table calls_bench
cat > "$WORK/plain.sh" <<EOF
set -e
MYSQL_PWD=etl mariadb -h127.0.0.1 -P$ETLRE_DEV_MARIADB_PORT -uetl $MY_DB -N -B \\
	-e "SELECT DATE_FORMAT(start_time, '%Y-%m-%d %H'), COUNT(*) FROM calls_bench WHERE $RANGE GROUP BY 1" >/dev/null &
psql "$ETLRE_TARGET_URL" -X -A -t -q -c "SELECT date_trunc('hour', start_time), count(*) FROM analytics.calls_bench WHERE $RANGE GROUP BY 1" >/dev/null
wait \$!
EOF
measure "plain counts" "$ROWS" bash "$WORK/plain.sh"

fi

# ---------------------------------------------------------------- sparse year
# SPARSE_RANGE: the same rows whatever the batch mode
SPARSE_RANGE="start_time >= '$SPARSE_START' AND start_time < '$SPARSE_AFTER'"
my -e "SELECT COUNT(*), SUM(LENGTH(agent)) FROM calls_sparse" >/dev/null
truncate_sparse() { pg -c "TRUNCATE analytics.calls_sparse"; }
pipe_script calls_sparse "$SPARSE_RANGE" > "$WORK/pipe-sparse.sh"
for round in $(seq "$ROUNDS"); do
	truncate_sparse
	load_step "sparse hourly" analytics.calls_sparse "$SPARSE_ROWS" "${ETL[@]}" \
		process --start-date "$SPARSE_START" --end-date "$SPARSE_END" --table calls_sparse
	truncate_sparse
	load_step "sparse daily" analytics.calls_sparse "$SPARSE_ROWS" "${ETL[@]}" \
		process --start-date "$SPARSE_START" --end-date "$SPARSE_END" --table calls_sparse --batch-mode daily
	truncate_sparse
	load_step "sparse pipe" analytics.calls_sparse "$SPARSE_ROWS" bash "$WORK/pipe-sparse.sh"
done
load_step "sparse replace" analytics.calls_sparse "$SPARSE_ROWS" "${ETL[@]}" \
	process --start-date "$SPARSE_START" --end-date "$SPARSE_END" --table calls_sparse

# ---------------------------------------------------------------- report
ratio() { # ratio A B: WALL[A] / WALL[B], or - when either is missing
	if [ -n "${WALL[$1]:-}" ] && [ -n "${WALL[$2]:-}" ]; then
		awk -v a="${WALL[$1]}" -v b="${WALL[$2]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
	else
		echo "-"
	fi
}
echo "etlre bench: $ROWS rows over $DAYS days ($START..$END), one hour of $HOUR_ROWS rows${ONLY:+ (only: $ONLY)}; $ROUNDS round(s) of fresh, replace and pipe, and of the sparse year"
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), Debian $(cat /etc/debian_version 2>/dev/null || echo '?'); etlre's default: $(( $(nproc) < 4 ? $(nproc) : 4 )) worker(s)"
echo "servers: $(pg -c 'SHOW server_version' | cut -d' ' -f1) PostgreSQL, $(my -e 'SELECT VERSION()') MariaDB${PGLOADER:+, $PGLOADER}"
printf '%-18s %9s %11s %12s  %s\n' step "wall s" "rows/s" "peak RSS MiB" "runs (wall s is their median)"
for name in "${ORDER[@]}"; do
	printf '%-18s %9s %11s %12s  %s\n' "$name" "${WALL[$name]}" \
		"$(awk -v n="${NROWS[$name]}" -v s="${WALL[$name]}" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')" \
		"${RSS[$name]}" "$(set -- ${RUNS[$name]}; [ $# -gt 1 ] && echo "$*" || true)"
done
[ -n "$PGLOADER$ONLY" ] || printf '%-18s %9s %11s %12s\n' pgloader skipped - -
echo "ratio etlre/pipe:            $(ratio 'etlre fresh' pipe)   (target <= 0.9)"
echo "ratio copy binary x2/pipe:   $(ratio 'copy binary x2' pipe)   (PostgreSQL alone, two COPYs at once: two workers' floor)"
echo "ratio etlre (2)/pipe:        $(ratio 'etlre fresh (2)' pipe)"
echo "ratio pgloader/etlre:        $(ratio pgloader 'etlre fresh')   (target >= 3)"
echo "ratio replace/pipe:          $(ratio 'etlre replace' pipe)   (target <= 1.5)"
echo "ratio replace/(delete+copy): $(ratio 'etlre replace' delete+copy)   (target <= 1.3)"
echo "ratio etlre -j1/pipe:        $(ratio 'etlre fresh -j1' pipe)"
echo "ratio replace -j1/pipe:      $(ratio 'etlre replace -j1' pipe)"
echo "ratio pgloader/etlre -j1:    $(ratio pgloader 'etlre fresh -j1')"
echo "ratio replace -j1/(d+c):     $(ratio 'etlre replace -j1' delete+copy)"
echo "ratio verify/plain:          $(ratio verify 'plain counts')"
echo "ratio deep/plain:            $(ratio 'verify --deep' 'plain counts')   (target <= 3)"
[ -n "$ONLY" ] || echo "etlre 1-hour peak RSS MiB:   ${RSS['etlre 1 hour']}   (target <= 32)"
SPARSE_HOURS=$(( SPARSE_DAYS * 24 ))
echo "sparse year: $SPARSE_ROWS rows in $SPARSE_BUSY_HOURS of $SPARSE_HOURS hours ($SPARSE_START..$SPARSE_END)"
echo "ratio sparse hourly/daily:   $(ratio 'sparse hourly' 'sparse daily')   (target <= 1.5)"
echo "ratio sparse hourly/pipe:    $(ratio 'sparse hourly' 'sparse pipe')   (target <= 15)"
echo "sparse ms per hour:          $(awk -v s="${WALL['sparse hourly']}" -v p="${WALL['sparse pipe']}" -v n="$SPARSE_HOURS" 'BEGIN { printf "%.3f", (s - p) * 1000 / n }')   (hourly minus pipe, per hour; target <= 0.5)"
