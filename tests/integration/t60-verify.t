#!/usr/bin/env bash
# etlre verify: after a clean load (rows rejected under --skip-invalid are not
# drift) every hour matches, by counts and by content; a deleted, changed or
# extra target row and a late source row are found, named by hour, and with
# --deep by key (and column); --json is one parseable object; identical data
# of every type (NULLs, unicode, decimals, milliseconds, tabs, backslashes,
# floats, booleans, bytea, uuid...) compares equal; usage errors exit 2 and an
# unreachable server 4.
# run early: slow (many verify runs over three days)
. "$(dirname "$0")/lib.sh"

RANGE=(--start-date 2025-11-01 --end-date 2025-11-03)

# json_get EXPR: evaluates a Python expression on the JSON object j in $OUT
json_get() { printf '%s' "$OUT" | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

reset_databases
check "reset databases" test $? -eq 0
run_etlre process "${RANGE[@]}" --skip-invalid
is "$RC" 0 "load 2025-11-01..03 with --skip-invalid"

# ---- a clean load verifies, rejected rows included
run_etlre verify "${RANGE[@]}"
is "$RC" 0 "verify after the load exits 0"
like "$OUT" '^verify 2025-11-01 \.\. 2025-11-03 \(counts\): ok' "text: the range and ok"
like "$OUT" 'calls +72 +72 +0 +0 +0 +1122 +1118 +4' "text: 72 hours ok; 1122 source, 1118 target, 4 rejected"
run_etlre verify "${RANGE[@]}" --deep
is "$RC" 0 "verify --deep after the load exits 0 (rejected rows are not drift)"
like "$OUT" '\(counts and content\): ok' "deep: ok"
is "$(pg "SELECT count(*) FROM analytics.calls WHERE call_id IN (1009201, 2009201, 3009201, 2009101, 2009102, 2009104, 2009105)")" 7 \
	"the torture and boundary rows are in the target (so --deep compared them)"
run_etlre verify "${RANGE[@]}" --deep --json
is "$RC" 0 "verify --deep --json exits 0"
is "$(json_get 'j["status"], len(j["hours"]), j["tables"][0]["table"], j["tables"][0]["rejected_rows"], j["tables"][0]["hours_ok"]')" \
	"ok 0 calls 4 72" "json: status ok, no hour listed, totals per table"
run_etlre verify --date 2025-11-02 --table calls
is "$RC" 0 "--date and --table"
like "$OUT" 'calls +24 +24 ' "--date covers 24 hours"

# ---- a deleted target row
pg "DELETE FROM analytics.calls WHERE call_id = 2009101"
run_etlre verify "${RANGE[@]}"
is "$RC" 3 "a deleted target row: exit 3"
like "$OUT" '^verify .*: differs' "text: differs"
like "$OUT" 'calls 2025-11-02T13:00:00 missing: source 32, target 30, rejected 1' "names the hour with both counts and the rejected rows"
like "$OUT" 'calls +72 +71 +1 +0 +0 ' "summary: 1 hour missing"
run_etlre verify "${RANGE[@]}" --deep
is "$RC" 3 "--deep: exit 3"
like "$OUT" 'missing call_id=2009101' "--deep names the missing key"
is "$(printf '%s\n' "$OUT" | grep -c 'call_id=2009004')" 0 "the hour's rejected row is not reported"
run_etlre process --date 2025-11-02 --skip-invalid
run_etlre verify "${RANGE[@]}" --deep
is "$RC" 0 "reprocessing the day repairs it"

# ---- a changed target value: counts agree, content does not
pg "UPDATE analytics.calls SET agent = 'x' WHERE call_id = 1000002"
run_etlre verify "${RANGE[@]}"
is "$RC" 0 "a changed value: the counts still agree (exit 0)"
run_etlre verify "${RANGE[@]}" --deep
is "$RC" 3 "--deep finds the changed value (exit 3)"
like "$OUT" 'calls 2025-11-01T00:00:00 changed: source 4, target 4, rejected 0' "hour reported as changed"
like "$OUT" 'changed call_id=1000002: agent$' "names the key and the column"
# a change inside the torture row's tabs and backslashes
pg "UPDATE analytics.calls SET menu_path = rtrim(menu_path, '\\') WHERE call_id = 3009201"
run_etlre verify "${RANGE[@]}" --deep
like "$OUT" 'changed call_id=3009201: menu_path' "a dropped trailing backslash is a change"
run_etlre process "${RANGE[@]}" --skip-invalid

# ---- an extra target row, a row inserted late in the source
pg "INSERT INTO analytics.calls SELECT 3999999, caller_number, called_number, start_time, end_time,
      duration, status, queue, agent, menu_path, cost FROM analytics.calls WHERE call_id = 3000002"
my "INSERT INTO calls SELECT 2999999, caller_number, called_number, '2025-11-02 16:30:00.250', NULL,
      duration, status, queue, agent, menu_path, cost FROM calls WHERE call_id = 2000002"
run_etlre verify "${RANGE[@]}" --deep
is "$RC" 3 "extra and late rows: exit 3"
like "$OUT" 'calls 2025-11-03T00:00:00 extra: source 5, target 6, rejected 0' "the extra row's hour is extra"
like "$OUT" 'extra +call_id=3999999' "--deep names the extra key"
like "$OUT" 'calls 2025-11-02T16:00:00 missing: source 28, target 27, rejected 0' "the late source row's hour is missing"
like "$OUT" 'missing call_id=2999999' "--deep names the late key"
like "$OUT" 'calls +72 +70 +1 +1 +0 ' "summary: 1 missing, 1 extra"

# ---- --json with differences
run_etlre verify "${RANGE[@]}" --deep --json
is "$RC" 3 "--json: exit 3"
check "--json output parses" python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$OUT"
is "$(printf '%s' "$OUT" | head -c 1)" "{" "--json prints only JSON on stdout"
is "$(json_get 'j["status"], len(j["hours"])')" "differs 2" "json: status differs, 2 hours listed"
is "$(json_get '" ".join(sorted(j["hours"][0].keys()))')" \
	"hour keys keys_total keys_truncated rejected_rows source_rows status table target_rows" "json: the fields of an hour"
is "$(json_get '[(h["hour"], h["status"], h["source_rows"], h["target_rows"], h["rejected_rows"], h["keys"]) for h in j["hours"] if h["status"] == "extra"][0]')" \
	"('2025-11-03T00:00:00', 'extra', 5, 6, 0, [{'key': 'call_id=3999999', 'diff': 'extra', 'columns': []}])" "json: the extra hour and its key"
is "$(json_get '" ".join(sorted(j["tables"][0].keys()))')" \
	"hours hours_changed hours_extra hours_missing hours_ok rejected_rows source_rows table target_rows" "json: totals per table"
run_etlre verify "${RANGE[@]}" --json
is "$(json_get '"keys" in j["hours"][0]')" "False" "json without --deep has no keys"

# ---- at most 100 keys listed per hour
pg "INSERT INTO analytics.calls (call_id, caller_number, called_number, start_time, duration, status, queue)
    SELECT 5000000 + g, '+34910000001', '+34910000002', '2025-11-01 05:00:00'::timestamp + g * interval '1 second',
           1, 'answered', 'sales' FROM generate_series(1, 150) g"
run_etlre verify --date 2025-11-01 --deep
is "$RC" 3 "150 extra rows in one hour: exit 3"
like "$OUT" 'calls 2025-11-01T05:00:00 extra: source 5, target 155' "the hour with both counts"
is "$(printf '%s\n' "$OUT" | grep -c '^    extra ')" 100 "100 keys listed"
like "$OUT" '\.\.\. and 50 more keys \(100 listed per hour\)' "says that the list was cut"
run_etlre verify --date 2025-11-01 --deep --json
is "$(json_get 'len(j["hours"][0]["keys"]), j["hours"][0]["keys_total"], j["hours"][0]["keys_truncated"]')" "100 150 True" "json: 100 keys of 150, truncated"
pg "DELETE FROM analytics.calls WHERE call_id BETWEEN 5000001 AND 5000150"

# ---- a day loaded in one daily window, with its rejects
reset_databases
run_etlre process --date 2025-11-02 --skip-invalid --batch-mode daily
is "$RC" 0 "daily batch load with --skip-invalid"
run_etlre verify --date 2025-11-02 --deep
is "$RC" 0 "verify --deep after a daily load: rejects are split by hour"
like "$OUT" 'calls +24 +24 +0 +0 +0 +382 +378 +4' "daily: 382 source, 378 target, 4 rejected"
run_etlre verify --date 2025-11-03
is "$RC" 3 "a day never loaded: exit 3"
like "$OUT" 'calls 2025-11-03T00:00:00 missing: source 5, target 0, rejected 0' "a never loaded hour is missing"

# ---- every type compares equal when equal, and a change in any is found
my "DROP TABLE IF EXISTS vtypes;
CREATE TABLE vtypes (
  id INT NOT NULL, k2 VARCHAR(10) NOT NULL, ts DATETIME(6) NOT NULL,
  ts3 DATETIME(6), ts0 DATETIME(6), tz DATETIME(3), d DATE, d2 DATETIME, t TIME(6), t2 TIME,
  f DOUBLE, f4 DOUBLE, ff FLOAT, b TINYINT(1), bs VARCHAR(5), c VARCHAR(10), by_ VARBINARY(16),
  n DECIMAL(12,2), nu DECIMAL(20,6), ns VARCHAR(12), u CHAR(36), j TEXT, jb TEXT,
  txt VARCHAR(20) CHARACTER SET latin1, e ENUM('a','b'), PRIMARY KEY (id, k2)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
INSERT INTO vtypes VALUES
 (1, 'a', '2025-11-05 10:00:00', '2025-11-05 10:00:00.123500', '2025-11-05 10:00:00.500000', '2025-11-05 10:00:00.123',
  '2025-11-05', '2025-11-05 00:00:00', '13:00:00.123500', '24:00:00', 0.1, 0.123456789, 0.123456789, 1, 'true', 'abc',
  X'00FF41', 1.50, 1.500000, '+007', '6F9619FF-8B86-D011-B42D-00C04FC964FF', '{\"b\":1, \"a\":2}', '{\"b\":1, \"a\":2}', 'café', 'a'),
 (1, 'B', '2025-11-05 10:59:59.999999', '1999-12-31 23:59:59.123500', '1999-06-01 00:00:00.499999', '2025-11-05 10:59:59.999',
  '0999-01-01', '2025-11-05 00:00:00', '23:59:59.999600', '00:00:00', 1e20, 1e20, 3.5, 0, 'f', 'abc  ',
  X'', -1.05, -0.000001, '-0', '6f9619ff8b86d011b42d00c04fc964ff', '[]', '[]', '', 'b'),
 (2, 'a', '2025-11-05 11:00:00', '2025-11-05 11:00:00.999999', '2025-11-05 11:00:00', NULL, NULL, NULL, NULL, NULL,
  1.5e-7, 1e-30, -2.5e-10, NULL, NULL, '', NULL, 0, 123456789012.123456, '2147483647', NULL, NULL, NULL, NULL, NULL),
 (3, 'a', '2025-11-05 11:30:00', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  123456789.12345679, -0.0, 1e15, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, 'a', '2025-11-05 11:31:00', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  -1.7976931348623157e308, 3.4e38, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, 'a', '2025-11-05 11:32:00', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  5e-324, 1e-45, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
check "source table of every type" test $? -eq 0
pg "CREATE TABLE analytics.vtypes (
  id bigint NOT NULL, k2 text NOT NULL, ts timestamp NOT NULL,
  ts3 timestamp(3), ts0 timestamp(0), tz timestamptz, d date, d2 date, t time(3), t2 time,
  f float8, f4 real, ff double precision, b boolean, bs boolean, c char(10), by_ bytea,
  n numeric(14,4), nu numeric, ns integer, u uuid, j json, jb jsonb, txt text, e text, len integer,
  PRIMARY KEY (id, k2))"
check "target table of every type" test $? -eq 0
cat >>"$CONF" <<'EOF'

[table vtypes]
source = vtypes
target = analytics.vtypes
time_column = ts
key = id, k2
expr.len = CHAR_LENGTH(txt)
expr.bs = bs   ; text into boolean and integer: as expressions, checked value by value
expr.ns = ns
EOF
run_etlre process --date 2025-11-05 --table vtypes
is "$RC" 0 "load the table of every type"
is "$(pg "SELECT count(*) FROM analytics.vtypes")" 6 "its 6 rows loaded"
run_etlre verify --date 2025-11-05 --table vtypes --deep
is "$RC" 0 "--deep: identical values of every type compare equal"
like "$ERR" 'does not compare column jb \(jsonb\)' "--deep says it leaves jsonb out"
# changed ID CHANGE...: each change made to the target row (ID, 'a') alone is
# found by --deep and named by its column; the day is reloaded after each
changed() {
	local id=$1 change col
	shift
	for change in "$@"; do
		col=${change%% *}
		pg "UPDATE analytics.vtypes SET $change WHERE id = $id AND k2 = 'a'"
		run_etlre verify --date 2025-11-05 --table vtypes --deep
		like "$OUT" "changed id=$id, k2=a: $col\$" "--deep finds a change in $col of row $id"
		run_etlre process --date 2025-11-05 --table vtypes >/dev/null
	done
}
changed 1 "ts3 = ts3 + interval '1 millisecond'" "ts0 = ts0 - interval '1 second'" "tz = tz + interval '1 hour'" \
	"t = '13:00:00.125'" "d = d + 1" "f = 0.1000000000000001" "f4 = 0.1234568" "ff = 0.123456" "b = NULL" "bs = false" \
	"c = 'abd'" "by_ = '\\x00ff42'" "n = 1.5001" "nu = 1.50001" "ns = 8" "u = '6f9619ff-8b86-d011-b42d-00c04fc964fe'" \
	"j = '{\"b\":1,  \"a\":2}'" "txt = 'cafe'" "e = 'b'" "len = 5" \
	"ts = ts + interval '1 microsecond'" "ts0 = '10000-01-01'" "d = '2025-11-05 BC'" "d2 = d2 + 1" \
	"t2 = '00:00:01'" "ts3 = NULL" "c = NULL" "n = NULL"
# row 2: a NULL that becomes a value (the empty text, false, a date) is a change too
changed 2 "tz = '2025-11-05 11:00:00+00'" "d = '2025-11-05'" "t = '00:00:00'" "txt = ''" "j = '{}'" \
	"by_ = ''" "b = false" "u = '6f9619ff-8b86-d011-b42d-00c04fc964ff'"
run_etlre verify --date 2025-11-05 --table vtypes --deep
is "$RC" 0 "--deep: equal again after the reloads"
pg "UPDATE analytics.vtypes SET k2 = 'A' WHERE id = 1 AND k2 = 'a'"
run_etlre verify --date 2025-11-05 --table vtypes --deep
like "$OUT" 'extra +id=1, k2=A' "compound keys compare as bytes, not by collation: A is extra"
like "$OUT" 'missing id=1, k2=a' "... and a is missing"

# ---- usage errors and an unreachable server
run_etlre verify "${RANGE[@]}" --skip-invalid
is "$RC" 2 "--skip-invalid without --repair: exit 2 (t62 tests --repair)"
run_etlre verify
is "$RC" 2 "no range: exit 2"
run_etlre verify --date 2025-11-02 --last-days 3
is "$RC" 2 "--date with --last-days: exit 2"
run_etlre verify --last-days 0
is "$RC" 2 "--last-days 0: exit 2"
run_etlre verify --date 2025-11-02 --table nosuch
is "$RC" 2 "unknown --table: exit 2"
like "$ERR" 'no \[table nosuch\] section' "names the unknown table"
run_etlre verify --last-days 2 --table calls
is "$RC" 0 "--last-days 2 (days without rows match)"
like "$OUT" "^verify $(date -u -d '2 days ago' +%F) \\.\\. $(date -u -d yesterday +%F) " "--last-days N is today-N .. yesterday (UTC)"
OUT=$(ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:1/nosuch?connect_timeout=2" "$ETLRE" --config "$CONF" verify --date 2025-11-02 2>"$TMP/stderr"); RC=$?
is "$RC" 4 "unreachable target: exit 4"
done_testing
