#!/usr/bin/env bash
# Key-range reads: when the source is an InnoDB table whose primary key is one
# integer column, an hour whose keys are dense is read by that key's range
# (with the hour's time condition still applied), else by the time column.
# Either way every hour loads exactly its own rows: a key inside the range
# that belongs to another hour stays out, sparse keys, keys at the limits of
# a signed BIGINT (whose span overflows BIGINT), composite keys, MyISAM and
# views fall back to the time column, and dry runs and reruns agree.
. "$(dirname "$0")/lib.sh"

conf_header > "$TMP/kr.conf"
for t in kr_dense kr_sparse kr_wide kr_composite kr_myisam kr_view; do
	printf '[table %s]\nsource = %s\ntarget = analytics.%s\ntime_column = t\nkey = id\n' \
		"$t" "$t" "$t" >> "$TMP/kr.conf"
done
CONF="$TMP/kr.conf"

# rows NAME ID... : one row per id; the hour is 10:00 but for the ids given
# in $OTHER (11:00) and the minute follows the id
rows_sql() {
	local name=$1 sep="" sql="" id h; shift
	for id in "$@"; do
		h=10; case " $OTHER " in *" $id "*) h=11 ;; esac
		m=${id#-}; m=${m:$(( ${#m} > 2 ? ${#m} - 2 : 0 ))} # last two digits
		sql="$sql$sep($id, '2025-11-02 $h:$(printf %02d $(( 10#$m % 60 ))):00.5', 'v$id')"
		sep=", "
	done
	echo "INSERT INTO $name (id, t, v) VALUES $sql"
}

my "DROP VIEW IF EXISTS kr_view;
    DROP TABLE IF EXISTS kr_dense, kr_sparse, kr_wide, kr_composite, kr_myisam;
    CREATE TABLE kr_dense (id INT NOT NULL PRIMARY KEY, t DATETIME(3) NOT NULL, v VARCHAR(30), KEY (t)) ENGINE=InnoDB;
    CREATE TABLE kr_sparse (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, t DATETIME(3) NOT NULL, v VARCHAR(30), KEY (t)) ENGINE=InnoDB;
    CREATE TABLE kr_wide (id BIGINT NOT NULL PRIMARY KEY, t DATETIME(3) NOT NULL, v VARCHAR(30), KEY (t)) ENGINE=InnoDB;
    CREATE TABLE kr_composite (id INT NOT NULL, id2 INT NOT NULL, t DATETIME(3) NOT NULL, v VARCHAR(30), PRIMARY KEY (id, id2), KEY (t)) ENGINE=InnoDB;
    CREATE TABLE kr_myisam (id INT NOT NULL PRIMARY KEY, t DATETIME(3) NOT NULL, v VARCHAR(30), KEY (t)) ENGINE=MyISAM;"
check "source tables" test $? -eq 0
# kr_dense: ids 1..300, of which 7, 20 and 33 are in the 11:00 hour (10:00
# holds more than the 256 rows under which small hours are loaded together,
# README "Empty hours", so it is read alone)
OTHER="7 20 33"
my "$(rows_sql kr_dense $(seq 1 300))"
my "$(rows_sql kr_myisam $(seq 1 300))"
my "INSERT INTO kr_composite (id, id2, t, v) SELECT id, 1, t, v FROM kr_dense"
my "CREATE VIEW kr_view AS SELECT id, t, v FROM kr_dense"
OTHER=""
# kr_sparse: 10 rows spread over a span of a million keys, one at UNSIGNED's maximum
my "$(rows_sql kr_sparse 5 100 1000 5000 20000 100000 400000 700000 999999 18446744073709551615)"
# kr_wide: the signed BIGINT limits in the same hour: MAX - MIN overflows BIGINT
my "$(rows_sql kr_wide -9223372036854775808 -1 0 1 9223372036854775807)"
is "$(for t in kr_dense kr_sparse kr_wide kr_composite kr_myisam kr_view; do my "SELECT COUNT(*) FROM $t"; done | xargs)" \
	"300 10 5 300 300 300" "source rows"

pg "DROP SCHEMA IF EXISTS analytics CASCADE; DROP SCHEMA IF EXISTS etlre CASCADE; CREATE SCHEMA analytics;"
for t in kr_dense kr_sparse kr_wide kr_myisam kr_view; do
	pg "CREATE TABLE analytics.$t (id numeric(20) PRIMARY KEY, t timestamp(3) NOT NULL, v text)"
done
pg "CREATE TABLE analytics.kr_composite (id int NOT NULL, id2 int NOT NULL, t timestamp(3) NOT NULL, v text, PRIMARY KEY (id, id2))"
run_etlre init
is "$RC" 0 "etlre init"

run_etlre --log-level debug process --date 2025-11-02 --json
is "$RC" 0 "process exits 0"
like "$ERR" "table kr_dense hour 2025-11-02T10:00:00: 297 rows, read by the key range 1\.\.300" \
	"kr_dense 10:00: dense keys 1..300 (3 of them in 11:00) are read by key range"
if grep -q "table kr_dense hour 2025-11-02T11:00:00: .*key range" "$TMP/stderr"; then
	fail "kr_dense 11:00: 3 rows over keys 7..33 (not dense) are read by the time column"
else
	pass "kr_dense 11:00: 3 rows over keys 7..33 (not dense) are read by the time column"
fi
for t in kr_sparse kr_wide kr_composite kr_myisam kr_view; do
	if grep -q "table $t hour .*read by the key range" "$TMP/stderr"; then
		fail "$t is read by the time column"
	else
		pass "$t is read by the time column"
	fi
done
for t in kr_dense kr_sparse kr_wide kr_composite kr_myisam kr_view; do
	src=$(my "SELECT HOUR(t), COUNT(*), COALESCE(SUM(CAST(id AS DECIMAL(21))), 0) FROM $t GROUP BY 1 ORDER BY 1" | tr '\t' '|')
	tgt=$(pg "SELECT extract(hour FROM t)::int, count(*), sum(id) FROM analytics.$t GROUP BY 1 ORDER BY 1")
	is "$tgt" "$src" "$t: every hour holds exactly its own rows (count and sum of keys)"
done
is "$(pg "SELECT string_agg(id::text, ' ' ORDER BY id) FROM analytics.kr_dense WHERE t >= '2025-11-02 11:00'")" \
	"7 20 33" "kr_dense: the keys of 11:00 inside 10:00's range were loaded by their own hour only"
is "$(pg "SELECT string_agg(id::text, ' ' ORDER BY id) FROM analytics.kr_wide")" \
	"-9223372036854775808 -1 0 1 9223372036854775807" "kr_wide: the BIGINT limits loaded"

# a rerun and a dry run read the same rows
before=$(pg "SELECT count(*), sum(id) FROM analytics.kr_dense")
run_etlre process --date 2025-11-02 --table kr_dense --json
is "$RC" 0 "rerun exits 0"
is "$(pg "SELECT count(*), sum(id) FROM analytics.kr_dense")" "$before" "rerun: same rows, no duplicates"
like "$OUT" '"hour":"2025-11-02T10:00:00","status":"succeeded","rows_read":297,"rows_loaded":297,"rows_rejected":0,"rows_deleted":297' \
	"rerun: 10:00 read 297, deleted 297"
run_etlre process --date 2025-11-02 --table kr_dense --dry-run --json
is "$RC" 0 "dry run exits 0"
like "$OUT" '"hour":"2025-11-02T11:00:00","status":"succeeded","rows_read":3,' "dry run: 11:00 would read 3"

# a row that arrives late inside the range of 10:00 but in 11:00: counted and loaded by 11:00 only
OTHER="301"
my "$(rows_sql kr_dense 301)"
run_etlre verify --date 2025-11-02 --table kr_dense
is "$RC" 3 "verify sees the late row"
run_etlre process --date 2025-11-02 --table kr_dense --json
is "$RC" 0 "process after the late row"
like "$OUT" '"hour":"2025-11-02T11:00:00","status":"succeeded","rows_read":4,"rows_loaded":4,' "11:00 now loads 4 rows"
run_etlre verify --deep --date 2025-11-02 --table kr_dense
is "$RC" 0 "verify --deep is clean"
done_testing
