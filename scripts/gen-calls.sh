#!/usr/bin/env bash
# gen-calls.sh ROWS DAYS [START_DATE]: fills the MariaDB table calls_bench
# (same schema as calls) with ROWS generated IVR calls spread evenly over DAYS
# days from START_DATE (default 2025-06-01), with NULLs, unicode, tabs and
# backslashes in text, and creates the empty target analytics.calls_bench.
# Uses the local servers of scripts/dev-db.sh: the MariaDB database
# $ETLRE_GEN_DB (default ivr) and the PostgreSQL URL $ETLRE_GEN_PG_URL
# (default the analytics database).
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${1:-1000000}
DAYS=${2:-1}
START=${3:-2025-06-01}
[[ $ROWS =~ ^[0-9]+$ && $DAYS =~ ^[0-9]+$ && $ROWS -gt 0 && $DAYS -gt 0 ]] || {
	echo "usage: gen-calls.sh ROWS DAYS [START_DATE]" >&2; exit 2; }

eval "$(bash scripts/dev-db.sh env)"
GEN_DB=${ETLRE_GEN_DB:-ivr}
PG_URL=${ETLRE_GEN_PG_URL:-$ETLRE_TARGET_URL}
my() { MYSQL_PWD=etl mariadb -h127.0.0.1 -P"$ETLRE_DEV_MARIADB_PORT" -uetl --default-character-set=utf8mb4 "$GEN_DB" "$@"; }

sed 's/CREATE TABLE IF NOT EXISTS calls /CREATE TABLE IF NOT EXISTS calls_bench /; s/KEY calls_start_time/KEY calls_bench_start_time/' \
	sql/mariadb/calls.sql | my
my -e "TRUNCATE calls_bench"
# MariaDB's sequence engine gives the row numbers; 1M rows per statement
step_ms=$(( DAYS * 86400000 / ROWS ))
[ "$step_ms" -gt 0 ] || { echo "gen-calls.sh: at most one row per millisecond" >&2; exit 2; }
done_rows=0
while [ "$done_rows" -lt "$ROWS" ]; do
	n=$(( ROWS - done_rows < 1000000 ? ROWS - done_rows : 1000000 ))
	my -e "
	INSERT INTO calls_bench
	SELECT id,
	  CONCAT('+3491', LPAD(id MOD 10000000, 7, '0')),
	  CONCAT('+3493', LPAD((id * 7) MOD 10000000, 7, '0')),
	  st,
	  IF(id MOD 5 = 1, NULL, st + INTERVAL (id * 37) MOD 1800 SECOND),
	  (id * 37) MOD 1800,
	  ELT(1 + id MOD 5, 'answered', 'abandoned', 'answered', 'busy', 'voicemail'),
	  ELT(1 + id MOD 6, 'sales', 'support', 'billing', 'atención-cliente', 'technical', 'vip'),
	  IF(id MOD 7 = 0, NULL, ELT(1 + id MOD 5, 'José Núñez', '李雷', 'Ana García', 'agent\twith\ttab', 'Zoë 🎧')),
	  IF(id MOD 97 = 0, NULL, CONCAT(id MOD 9, '>', id MOD 4, IF(id MOD 50 = 0, '>back\\\\slash', ''), IF(id MOD 13 = 0, '>1', ''))),
	  IF(id MOD 11 = 0, NULL, (id MOD 100000) / 10000)
	FROM (SELECT seq AS id,
	             TIMESTAMP('$START') + INTERVAL ((seq - 1) * $step_ms) * 1000 MICROSECOND AS st
	      FROM seq_$((done_rows + 1))_to_$((done_rows + n))) g"
	done_rows=$(( done_rows + n ))
done
psql "$PG_URL" -X -q -v ON_ERROR_STOP=1 2>/dev/null <<'SQL'
CREATE SCHEMA IF NOT EXISTS analytics;
DROP TABLE IF EXISTS analytics.calls_bench;
CREATE TABLE analytics.calls_bench (LIKE analytics.calls INCLUDING ALL);
SQL
echo "gen-calls.sh: $ROWS rows over $DAYS day(s) from $START in $GEN_DB.calls_bench; target analytics.calls_bench"
