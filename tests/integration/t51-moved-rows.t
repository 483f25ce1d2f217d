#!/usr/bin/env bash
# Rows whose time moved to another hour, replace mode: the run that loads the
# row's new hour removes its old copy from the other hour in the same
# transaction, so no hour fails, nothing is rejected and the target holds
# every row exactly once. Moves to an earlier and a later hour, to another
# day inside and outside the processed range, in any order of days, with
# --jobs, with two overlapping jobs, under --skip-invalid, under --dry-run
# (reported, nothing committed), in daily batches and with a compound key;
# after each, per-hour counts and row content are compared on both sides. A
# key the source repeats within one hour is still an invalid row naming the
# key; a key that no unique index of the target backs is reported by check
# and by process's first warning.
. "$(dirname "$0")/lib.sh"

conf_file "$TMP/moved.conf" <<'EOF'
[table orders]
source = orders
target = analytics.orders
time_column = ts
key = order_id

[table pairs]
source = pairs
target = analytics.pairs
time_column = ts
key = a, b
EOF
conf_file "$TMP/nopk.conf" <<'EOF'
[table loose]
source = orders
target = analytics.loose
time_column = ts
key = order_id
EOF
CONF="$TMP/moved.conf"

# 3 days x 24 hours x 5 orders, one every 12 minutes; pairs: 2 a day
setup() {
	pg "DROP SCHEMA IF EXISTS analytics CASCADE; DROP SCHEMA IF EXISTS etlre CASCADE;
	    CREATE SCHEMA analytics;
	    CREATE TABLE analytics.orders (order_id int PRIMARY KEY, ts timestamp NOT NULL,
	      note varchar(40) NOT NULL);
	    CREATE INDEX ON analytics.orders (ts);
	    CREATE TABLE analytics.pairs (a int, b text, ts timestamp NOT NULL, v int,
	      PRIMARY KEY (a, b));
	    CREATE TABLE analytics.loose (order_id int NOT NULL, ts timestamp NOT NULL,
	      note varchar(40) NOT NULL);" &&
	my "DROP TABLE IF EXISTS orders; DROP TABLE IF EXISTS pairs;
	    CREATE TABLE orders (order_id INT NOT NULL, ts DATETIME NOT NULL,
	      note VARCHAR(40) NOT NULL, KEY (ts), KEY (order_id));
	    INSERT INTO orders WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 360)
	      SELECT n, '2025-03-10' + INTERVAL (n - 1) * 12 MINUTE, CONCAT('order ', n) FROM s;
	    CREATE TABLE pairs (a INT NOT NULL, b VARCHAR(10) NOT NULL, ts DATETIME NOT NULL, v INT,
	      PRIMARY KEY (a, b));
	    INSERT INTO pairs VALUES (1, 'x', '2025-03-10 01:00', 1), (1, 'y\\ty', '2025-03-10 02:00', 2),
	      (2, 'x', '2025-03-11 01:00', 3), (2, 'y', '2025-03-11 02:00', 4)" &&
	etlre init >/dev/null
}
setup 2>"$TMP/setup.log"
check "set up source and target" test $? -eq 0 || cat "$TMP/setup.log" >&2

# per-hour counts and every row, on each side, for days FROM..TO (inclusive)
src_state() {
	my "SELECT DATE_FORMAT(ts, '%Y-%m-%d %H'), COUNT(*) FROM orders
	    WHERE ts >= '$1' AND ts < '$2' + INTERVAL 1 DAY GROUP BY 1 ORDER BY 1"
	my "SELECT order_id, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s'), note FROM orders
	    WHERE ts >= '$1' AND ts < '$2' + INTERVAL 1 DAY ORDER BY order_id, ts"
}
tgt_state() {
	pg "SELECT to_char(ts, 'YYYY-MM-DD HH24'), count(*) FROM analytics.orders
	    WHERE ts >= '$1' AND ts < date '$2' + 1 GROUP BY 1 ORDER BY 1" | tr '|' '\t'
	pg "SELECT order_id, to_char(ts, 'YYYY-MM-DD HH24:MI:SS'), note FROM analytics.orders
	    WHERE ts >= '$1' AND ts < date '$2' + 1 ORDER BY order_id, ts" | tr '|' '\t'
}
# same FROM TO DESC: both sides hold the same hours and rows, and the target
# holds no key twice
same() {
	is "$(tgt_state "$1" "$2")" "$(src_state "$1" "$2")" "$3: per-hour counts and content equal ($1..$2)"
	is "$(pg "SELECT count(*) - count(DISTINCT order_id) FROM analytics.orders")" 0 "$3: no key twice in the target"
}
rejects() { pg "SELECT count(*) FROM etlre.rejects"; }
jq_() { python3 -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# --- the first load of the three days
run_etlre process --start-date 2025-03-10 --end-date 2025-03-12; [ "$RC" = 0 ] || echo "$ERR" >&2
is "$RC" 0 "first load: exit 0"
same 2025-03-10 2025-03-12 "first load"

# --- a row moved to an earlier hour and one to a later hour of the same day
my "UPDATE orders SET ts = '2025-03-10 03:30:00', note = 'moved back' WHERE order_id = 66;
    UPDATE orders SET ts = '2025-03-10 20:10:00', note = 'moved on' WHERE order_id = 26"
# one worker: a moved row counts where its new hour is loaded before its old
# one, so which hour counts it depends on the order of the hours, which only
# one worker fixes (the end state does not depend on it: see --jobs 3 below)
run_etlre process --date 2025-03-10 --table orders --json --log-level debug --jobs 1
is "$RC" 0 "moves within a day: exit 0 (no duplicate key)"
same 2025-03-10 2025-03-12 "moves within a day"
is "$(printf '%s' "$OUT" | jq_ '[(h["hour"][11:13], h["rows_moved"]) for h in j["hours"] if h["rows_moved"]]')" \
	"[('03', 1)]" "json: hour 03 counts the row moved in from hour 13; hour 20 had nothing to move (hour 05 went first)"
is "$(printf '%s' "$OUT" | jq_ 'j["tables"][0]["rows_moved"], j["tables"][0]["rows_rejected"], j["status"]')" \
	"(1, 0, 'succeeded')" "json: the table's total, nothing rejected, succeeded"
like "$ERR" 'table orders hour 2025-03-10T03:00:00: key order_id=66 moved in from hour 2025-03-10T13:00:00' \
	"debug log names the key and the hour it came from"
like "$ERR" 'table orders hour 2025-03-10T03:00:00: [0-9]+ rows read, [0-9]+ loaded, 0 rejected, [0-9]+ deleted, 1 moved in from other hours' \
	"the hour's log line counts the moved row"

# --- in the other order of hours: a move to a later hour whose old hour comes later
my "UPDATE orders SET ts = '2025-03-10 06:40:00' WHERE order_id = 1"   # 00 -> 06 (old hour first)
my "UPDATE orders SET ts = '2025-03-10 21:05:00' WHERE order_id = 119" # 23 -> 21 (new hour first)
run_etlre process --date 2025-03-10 --table orders --jobs 1 # in order, as above
is "$RC" 0 "forward and backward: exit 0"
like "$OUT" 'orders +24 +0 +0 +[0-9]+ +[0-9]+ +0 +[0-9]+ +1 ' "summary: 1 row moved in (the one whose new hour came first)"
same 2025-03-10 2025-03-12 "forward and backward"

# --- --skip-invalid: nothing rejected for a moved row, no row lost, verify ok
my "UPDATE orders SET ts = '2025-03-10 02:02:02' WHERE order_id = 100"
run_etlre process --date 2025-03-10 --table orders --skip-invalid
is "$RC" 0 "--skip-invalid: exit 0"
is "$(rejects)" 0 "--skip-invalid: nothing rejected"
same 2025-03-10 2025-03-12 "--skip-invalid"
run_etlre verify --deep --start-date 2025-03-10 --end-date 2025-03-12 --table orders
is "$RC" 0 "verify --deep: every hour ok"

# --- to another day inside the processed range: 2025-03-12 -> 2025-03-10 and back
my "UPDATE orders SET ts = '2025-03-10 08:00:00' WHERE order_id = 300;
    UPDATE orders SET ts = '2025-03-12 15:00:00' WHERE order_id = 50"
run_etlre process --start-date 2025-03-10 --end-date 2025-03-12 --table orders --json --jobs 1 # in order
is "$RC" 0 "across days in the range: exit 0"
is "$(printf '%s' "$OUT" | jq_ 'j["tables"][0]["rows_moved"], j["tables"][0]["hours_failed"]')" "(1, 0)" \
	"json: the row from a later day moved in, no hour failed"
same 2025-03-10 2025-03-12 "across days in the range"

# --- to a day outside the processed range, in both directions, days in any order
my "UPDATE orders SET ts = '2025-03-11 04:00:00' WHERE order_id = 301;
    UPDATE orders SET ts = '2025-03-12 22:00:00' WHERE order_id = 170"
run_etlre process --date 2025-03-11 --table orders
is "$RC" 0 "only the new day of one row and the old day of the other: exit 0"
same 2025-03-11 2025-03-11 "the processed day"
same 2025-03-10 2025-03-10 "the day before"
is "$(pg "SELECT count(*) FROM analytics.orders WHERE order_id = 301 AND ts >= '2025-03-12'")" 0 \
	"row 301's old copy left 2025-03-12, not processed, in the same transaction"
run_etlre process --date 2025-03-12 --table orders
is "$RC" 0 "then the other day: exit 0"
same 2025-03-10 2025-03-12 "both days processed"

# --- --dry-run reports the move and commits nothing
my "UPDATE orders SET ts = '2025-03-10 00:30:00' WHERE order_id = 360"
before=$(pg "SELECT md5(string_agg(o::text, ',' ORDER BY order_id)) FROM analytics.orders o")
jobs_before=$(pg "SELECT count(*) FROM etlre.jobs")
run_etlre process --date 2025-03-10 --table orders --dry-run --json
is "$RC" 0 "dry run: exit 0"
is "$(printf '%s' "$OUT" | jq_ '[(h["hour"], h["rows_moved"]) for h in j["hours"] if h["rows_moved"]]')" \
	"[('2025-03-10T00:00:00', 1)]" "dry run: reports the row that would move into hour 00"
is "$(pg "SELECT md5(string_agg(o::text, ',' ORDER BY order_id)) FROM analytics.orders o") $(pg "SELECT count(*) FROM etlre.jobs")" \
	"$before $jobs_before" "dry run: the target and etlre's tables are unchanged"
run_etlre process --date 2025-03-10 --table orders
same 2025-03-10 2025-03-12 "after the dry run, the real run"

# --- --jobs 3 over the three days, with many rows moved every way (swaps included)
my "UPDATE orders SET ts = ts + INTERVAL 5 HOUR WHERE order_id % 7 = 0;
    UPDATE orders SET ts = ts - INTERVAL 26 HOUR WHERE order_id % 11 = 0 AND ts >= '2025-03-11 02:00';
    UPDATE orders SET ts = '2025-03-10 12:34:56' WHERE order_id IN (2, 359)"
n_moved=$(my "SELECT COUNT(*) FROM orders WHERE order_id % 7 = 0 OR order_id % 11 = 0 OR order_id IN (2, 359)")
run_etlre process --start-date 2025-03-10 --end-date 2025-03-12 --table orders --jobs 3 --json
is "$RC" 0 "--jobs 3 with many moves: exit 0"
is "$(printf '%s' "$OUT" | jq_ 'j["tables"][0]["hours_failed"], j["tables"][0]["rows_rejected"], 0 < j["tables"][0]["rows_moved"] <= '"$n_moved")" \
	"(0, 0, True)" "--jobs 3: no hour failed, nothing rejected, moves counted"
same 2025-03-10 2025-03-12 "--jobs 3"
job=$(printf '%s' "$OUT" | jq_ 'j["job_id"]')
run_etlre status --job-id "$job" --json
is "$(printf '%s' "$OUT" | jq_ 'sum(h["rows_moved"] for h in j["hours"]), j["rows_moved"]')" \
	"$(pg "SELECT '(' || sum(rows_moved) || ', ' || sum(rows_moved) || ')' FROM etlre.job_hours WHERE job_id = $job")" \
	"status --json: rows_moved per hour, as recorded, and the job's total"
run_etlre status --job-id "$job"
like "$OUT" 'rows read +loaded +rejected +deleted +moved +seconds' "status: a moved column"

# --- two overlapping jobs (all three days, and the last two), with rows moved between them
my "UPDATE orders SET ts = ts + INTERVAL 1 DAY WHERE order_id % 13 = 0 AND ts < '2025-03-12';
    UPDATE orders SET ts = ts - INTERVAL 30 HOUR WHERE order_id % 17 = 0 AND ts >= '2025-03-11 06:00'"
etlre process --start-date 2025-03-10 --end-date 2025-03-12 --table orders --jobs 2 >"$TMP/a.out" 2>"$TMP/a.err" &
pa=$!
etlre process --start-date 2025-03-11 --end-date 2025-03-12 --table orders >"$TMP/b.out" 2>"$TMP/b.err" &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
is "$ra $rb" "0 0" "two overlapping jobs: both exit 0" || cat "$TMP/a.err" "$TMP/b.err" | grep -v ' info ' | head -20 >&2
same 2025-03-10 2025-03-12 "two overlapping jobs"
is "$(rejects)" 0 "overlapping jobs: nothing rejected"

# --- daily batches: a move across days
my "UPDATE orders SET ts = '2025-03-10 09:09:09' WHERE order_id = 333"
run_etlre process --date 2025-03-10 --table orders --batch-mode daily --json
is "$RC" 0 "daily batch: exit 0"
is "$(printf '%s' "$OUT" | jq_ 'j["tables"][0]["rows_moved"]')" 1 "daily batch: the row from 2025-03-12 moved in"
same 2025-03-10 2025-03-12 "daily batch"

# --- a compound key, with a tab in a key value
run_etlre process --start-date 2025-03-10 --end-date 2025-03-11 --table pairs
my "UPDATE pairs SET ts = '2025-03-10 00:15' WHERE a = 2 AND b = 'y';
    UPDATE pairs SET ts = '2025-03-09 23:00' WHERE a = 1 AND b = 'y\\ty'"
run_etlre process --start-date 2025-03-09 --end-date 2025-03-10 --table pairs --json --log-level debug --jobs 1 # in order
is "$RC" 0 "compound key: exit 0"
is "$(printf '%s' "$OUT" | jq_ 'j["tables"][0]["rows_moved"]')" 2 "compound key: both rows moved"
like "$ERR" 'key a=1, b=y.{1,2}y moved in from hour 2025-03-10T02:00:00' "compound key: the debug log names both columns"
is "$(pg "SELECT string_agg(a || ':' || replace(b, E'\t', '~') || ':' || to_char(ts, 'DD HH24'), ' ' ORDER BY a, b) FROM analytics.pairs")" \
	"1:x:10 01 1:y~y:09 23 2:x:11 01 2:y:10 00" "compound key: every pair once, in its new hour"

# --- a key the source repeats within one hour stays an invalid row naming the key
my "INSERT INTO orders VALUES (150, '2025-03-11 05:01:00', 'a second 150'), (151, '2025-03-11 06:00:01', 'a second 151')"
before=$(tgt_state 2025-03-11 2025-03-11)
run_etlre process --date 2025-03-11 --table orders
is "$RC" 1 "a key twice in the source: exit 1 without --skip-invalid"
like "$ERR" 'invalid row in table orders, hour [0-9T:-]+, key order_id=15[01]: .*the source has this key more than once in the hour' \
	"the error names the key and says the source repeats it"
is "$(tgt_state 2025-03-11 2025-03-11)" "$before" "the failed hours keep their content"
run_etlre process --date 2025-03-11 --table orders --skip-invalid
is "$RC" 0 "--skip-invalid: exit 0"
is "$(pg "SELECT string_agg(row_key || ' ' || rule, ', ' ORDER BY row_key) FROM etlre.rejects")" \
	"order_id=150 constraint orders_pkey, order_id=151 constraint orders_pkey" "one copy of each repeated key rejected, naming the key"
is "$(pg "SELECT count(*) FROM analytics.orders WHERE order_id IN (150, 151)")" 2 "the other copies loaded, once each"
my "DELETE FROM orders WHERE note IN ('a second 150', 'a second 151')"
run_etlre process --date 2025-03-11 --table orders
same 2025-03-10 2025-03-12 "the repeated keys gone"

# --- metrics count the moved rows
my "UPDATE orders SET ts = '2025-03-12 23:59:59' WHERE order_id = 3"
run_etlre process --date 2025-03-12 --table orders --metrics-file "$TMP/m.prom"
is "$RC" 0 "a move into the last hour: exit 0"
like "$(cat "$TMP/m.prom")" 'etlre_rows_moved\{command="process",table="orders"\} 1' "metrics: etlre_rows_moved"
same 2025-03-10 2025-03-12 "the last hour"

# --- a key no unique index backs: check and process say so
run_with "$TMP/nopk.conf" check
like "$OUT" "ok +table loose +.*warning: the key \\(order_id\\) is not the primary key or a unique index of the target analytics.loose: a row whose time moved" \
	"check: the table line warns that moved rows cannot be detected"
run_with "$TMP/nopk.conf" process --date 2025-03-10
is "$RC" 0 "process without a unique key: exit 0"
like "$(grep -m1 ' warn ' "$TMP/stderr")" "\\[table loose\\] the key \\(order_id\\) is not the primary key or a unique index of the target analytics.loose" \
	"process: the first warning says so"

done_testing
