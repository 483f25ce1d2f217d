# lib.sh: shared helpers for etlre's integration tests (TAP output, run by
# prove). Each test sources this file: it makes sure the local servers of
# scripts/dev-db.sh are up, points etlre at the test's own databases and
# offers helpers to query both sides.
#
# Running in parallel (README.md, Tests): `make integration` runs the files
# with `prove -j` (tests/integration/run.sh), so each file works in databases
# of its own, named from the file: t10-process-day.t uses ivr_test_t10_process_day
# and analytics_test_t10_process_day (ETLRE_TEST_DB=test_X chooses
# ivr_test_X / analytics_test_X instead). A new file gets its own pair by
# its name alone. Whatever else a file touches must be its own too: files
# under $TMP, application names in pg_stat_activity, pg_locks rows (filter
# them on the current database).
#
# A file that cannot share the machine with the others (it stops or restarts
# the shared servers, changes server-wide settings, listens on ports another
# file may use, or holds locks or files that are not per database) says so
# with a line of its own among its first 20 lines:
#     # run alone: REASON
# run.sh runs such files one at a time, after the others. A slow file may say
#     # run early: REASON
# to be started first, and a file that spends most of its time asleep
#     # mostly waits: REASON
# to be started before it, in a slot of its own on top of the -j N. Servers
# of a file's own: t70-faults.t runs a pair on the dev servers' ports + 10,
# in .dev-db/faults, t67-security.t one on + 20 under its $TMP, t72-frozen.t
# one on + 30, in .dev-db/frozen (t74-dead-network.t's proxies listen on the
# dev ports + 1000); a new file that starts servers takes other ports
# (+ 40, ...) or runs alone.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The tests run psql and python3 hundreds of times: take PostgreSQL's own
# client programs (Debian's psql in PATH is a perl wrapper, a perl start per
# call) and Debian's python3 (not a version manager's shim first in PATH)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/psql" ] && PATH=$PG_BIN:$PATH
[ -x /usr/bin/python3 ] && python3() { /usr/bin/python3 "$@"; }
ETLRE=${ETLRE_BIN:-$ROOT/etlre}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/etlre-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

eval "$(bash "$ROOT/scripts/dev-db.sh" env)"
# test_ and the file's name: lower case, '-' as '_', at most 40 characters
TEST_DB=${ETLRE_TEST_DB:-test_$(basename "$0" .t | tr 'A-Z-' 'a-z_' | tr -cd 'a-z0-9_' | cut -c1-40)}
case $TEST_DB in test|test_[a-z0-9_]*) ;; *) echo "Bail out! ETLRE_TEST_DB must be test or test_NAME"; exit 1 ;; esac
MY_DB=ivr_$TEST_DB
PG_DB=analytics_$TEST_DB
export ETLRE_SOURCE_URL="mariadb://etl:etl@127.0.0.1:${ETLRE_DEV_MARIADB_PORT}/$MY_DB"
export ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:${ETLRE_DEV_PG_PORT}/$PG_DB"
# make_databases: the test's two databases, when missing
make_databases() {
	MYSQL_PWD=etl mariadb -h127.0.0.1 -P"$ETLRE_DEV_MARIADB_PORT" -uetl -e "CREATE DATABASE IF NOT EXISTS $MY_DB CHARACTER SET utf8mb4" &&
	{ psql "postgresql://etl@127.0.0.1:${ETLRE_DEV_PG_PORT}/postgres" -X -A -t -q -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1 ||
	  psql "postgresql://etl@127.0.0.1:${ETLRE_DEV_PG_PORT}/postgres" -X -q -c "CREATE DATABASE $PG_DB" >/dev/null; }
}
# the servers are started (with their users and grants) only when the databases
# cannot be made: a start takes seconds, under a lock all the files share
if ! make_databases 2>/dev/null; then
	bash "$ROOT/scripts/dev-db.sh" start >/dev/null 2>&1 || { echo "Bail out! cannot start the local servers (scripts/dev-db.sh start)"; exit 1; }
	make_databases || { echo "Bail out! cannot create the test databases $MY_DB and $PG_DB"; exit 1; }
fi
unset ETLRE_CONFIG ETLRE_SOURCE_PASSWORD
CONF="$TMP/etlre.conf"
sed "s#^after_day = .*#after_day = $ROOT/sql/postgres/daily_metrics.sql#" "$ROOT/etlre.conf" > "$CONF"

# conf_header: the start of a test's own config file: placeholder urls (the
# environment's ETLRE_SOURCE_URL and ETLRE_TARGET_URL win), etlre's schema, UTC
conf_header() {
	printf '%s\n' '[source]' 'url = mariadb://etl@127.0.0.1:3306/unused' '[target]' \
		'url = postgresql://etl@127.0.0.1:5432/unused' '[etlre]' 'schema = etlre' 'timezone = UTC'
}
# conf_file PATH: writes a test's config file to PATH: conf_header, then the
# sections read from stdin
conf_file() { { conf_header; cat; } > "$1"; }

# my SQL: run SQL on the source test database, tab-separated, no headers
my() { MYSQL_PWD=etl mariadb -h127.0.0.1 -P"$ETLRE_DEV_MARIADB_PORT" -uetl --default-character-set=utf8mb4 "$MY_DB" -N -B -e "$1"; }
# pg SQL: run SQL on the target test database, unaligned, no headers
pg() { psql "$ETLRE_TARGET_URL" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
# etlre ARGS...: the binary with the test config
etlre() { "$ETLRE" --config "$CONF" "$@"; }

# reset_databases: fresh source (fixtures) and target (schema + etlre init)
reset_databases() { _reset_databases 2>"$TMP/reset.log" || { cat "$TMP/reset.log" >&2; return 1; }; }
_reset_databases() {
	pg "DROP SCHEMA IF EXISTS analytics CASCADE; DROP SCHEMA IF EXISTS etlre CASCADE;" &&
	psql "$ETLRE_TARGET_URL" -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/postgres/analytics.sql" >/dev/null &&
	my "DROP TABLE IF EXISTS calls" &&
	bash "$ROOT/scripts/load-fixtures.sh" --database "$MY_DB" >/dev/null &&
	etlre init >/dev/null
}

# Row fingerprints: one line per row, "call_id md5", in key order, computed
# by each database over the same canonical text of every column.
src_rows() { # src_rows FROM TO
	my "SELECT call_id, MD5(CONCAT_WS('|', call_id, COALESCE(caller_number,'<N>'),
	      COALESCE(called_number,'<N>'), DATE_FORMAT(start_time,'%Y-%m-%d %H:%i:%s.%f'),
	      COALESCE(DATE_FORMAT(end_time,'%Y-%m-%d %H:%i:%s.%f'),'<N>'), COALESCE(duration,'<N>'),
	      status, COALESCE(queue,'<N>'), COALESCE(agent,'<N>'), COALESCE(menu_path,'<N>'),
	      COALESCE(cost,'<N>')))
	    FROM calls WHERE start_time >= '$1' AND start_time < '$2' ORDER BY call_id"
}
tgt_rows() { # tgt_rows FROM TO
	pg "SELECT call_id, md5(concat_ws('|', call_id, coalesce(caller_number,'<N>'),
	      coalesce(called_number,'<N>'), to_char(start_time,'YYYY-MM-DD HH24:MI:SS.US'),
	      coalesce(to_char(end_time,'YYYY-MM-DD HH24:MI:SS.US'),'<N>'), coalesce(duration::text,'<N>'),
	      status, coalesce(queue,'<N>'), coalesce(agent,'<N>'), coalesce(menu_path,'<N>'),
	      coalesce(cost::text,'<N>')))
	    FROM analytics.calls WHERE start_time >= '$1' AND start_time < '$2' ORDER BY call_id" | tr '|' '\t'
}
# hour counts "HH count" of each side for a day
src_hours() { my "SELECT HOUR(start_time), COUNT(*) FROM calls WHERE DATE(start_time) = '$1' GROUP BY 1 ORDER BY 1"; }
tgt_hours() { pg "SELECT extract(hour FROM start_time)::int, count(*) FROM analytics.calls WHERE start_time::date = '$1' GROUP BY 1 ORDER BY 1" | tr '|' '\t'; }
# target_snapshot: a digest of everything in the target, etlre's tables included
target_snapshot() {
	pg "SELECT md5(string_agg(t, E'\n' ORDER BY t)) FROM (
	      SELECT 'c' || c::text AS t FROM analytics.calls c
	      UNION ALL SELECT 'm' || m::text FROM analytics.daily_call_metrics m
	      UNION ALL SELECT 'j' || j::text FROM etlre.jobs j
	      UNION ALL SELECT 'h' || h::text FROM etlre.job_hours h
	      UNION ALL SELECT 'l' || l::text FROM etlre.loaded_hours l
	      UNION ALL SELECT 'r' || r::text FROM etlre.rejects r) x"
}

# --- TAP ---
T_N=0
T_FAILED=0
pass() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
# skip REASON: a test this machine cannot run (say what it lacks); never for
# something etlre does wrong, which is a fail
skip() { T_N=$((T_N + 1)); echo "ok $T_N # skip $1"; }
fail() { T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $1"; }
# check DESC CMD...: passes when CMD succeeds
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# is GOT EXPECTED DESC
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else
		fail "$3"; printf '#   got:      %s\n#   expected: %s\n' "$1" "$2" | head -40; fi
}
# like TEXT PATTERN DESC: grep -E PATTERN in TEXT
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then pass "$3"; else
		fail "$3"; printf '#   %s\n#   does not match: %s\n' "$(printf '%s' "$1" | head -c 2000)" "$2"; fi
}
# unlike TEXT PATTERN DESC: no line of TEXT matches grep -E PATTERN
unlike() {
	if ! printf '%s' "$1" | grep -Eq -- "$2"; then pass "$3"; else
		fail "$3"; printf '#   matches %s: %s\n' "$2" "$(printf '%s' "$1" | grep -E -- "$2" | head -3)"; fi
}
# run_with CONF ARGS...: runs etlre --config CONF ARGS, keeping stdout in
# $OUT, stderr in $ERR (and $TMP/stderr), status in $RC
run_with() {
	local conf=$1; shift
	OUT=$("$ETLRE" --config "$conf" "$@" 2>"$TMP/stderr"); RC=$?; ERR=$(cat "$TMP/stderr")
}
# run_etlre ARGS...: run_with the test's config ($CONF)
run_etlre() { run_with "$CONF" "$@"; }
# wait_for CMD...: runs CMD every 0.1 s until it succeeds (status 0), for up
# to 60 s (generous: the machine may be loaded); 1 when it never did
wait_for() { local i; for ((i = 0; i < 600; i++)); do "$@" && return 0; sleep 0.1; done; return 1; }
done_testing() { echo "1..$T_N"; [ "$T_FAILED" -eq 0 ]; exit $?; }

# calls_bench (scripts/gen-calls.sh) per hour, "HH count sum(call_id)", on each
# side; the fault tests compare them hour by hour
bench_src_counts() { my "SELECT HOUR(start_time), COUNT(*), SUM(call_id) FROM calls_bench GROUP BY 1 ORDER BY 1"; }
bench_tgt_counts() { pg "SELECT extract(hour FROM start_time)::int, count(*), sum(call_id) FROM analytics.calls_bench GROUP BY 1 ORDER BY 1" | tr '|' '\t'; }
# bench_whole_hours_only: every target hour is empty or equals its source hour
bench_whole_hours_only() {
	local src; src=$(bench_src_counts)
	bench_tgt_counts | while IFS=$'\t' read -r h n s; do
		printf '%s\n' "$src" | grep -q "^$h	$n	$s\$" || { echo "# hour $h is partly loaded ($n rows)"; exit 1; }
	done
}
bench_no_duplicates() { [ "$(pg "SELECT count(*) - count(DISTINCT call_id) FROM analytics.calls_bench")" = 0 ]; }
bench_equal() { [ "$(bench_tgt_counts)" = "$(bench_src_counts)" ]; }
# bench_table_conf: the [table calls_bench] section of a test's config
bench_table_conf() {
	printf '%s\n' '[table calls_bench]' 'source = calls_bench' 'target = analytics.calls_bench' \
		'time_column = start_time' 'key = call_id'
}
# bench_slow_target N: the target takes calls_bench rows slowly, 10 ms every N
# rows (by call_id), so that an hour or a COPY lasts long enough to be caught
# in the middle however fast the machine is
bench_slow_target() {
	pg "CREATE OR REPLACE FUNCTION analytics.bench_slow() RETURNS trigger LANGUAGE plpgsql AS
	    \$\$BEGIN IF NEW.call_id % $1 = 0 THEN PERFORM pg_sleep(0.01); END IF; RETURN NEW; END\$\$;
	    DROP TRIGGER IF EXISTS bench_slow ON analytics.calls_bench;
	    CREATE TRIGGER bench_slow BEFORE INSERT ON analytics.calls_bench
	    FOR EACH ROW EXECUTE FUNCTION analytics.bench_slow()" >/dev/null 2>&1
}
