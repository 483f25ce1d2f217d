#!/usr/bin/env bash
# etlre verify --deep hashes on the client (README "verify"): both sides' raw
# columns are streamed at once and each value's canonical text is made in C.
# A table of tricky values of every type family (NULL, empty text, tabs,
# newlines, backslashes, unicode, zero dates, fractional seconds kept and
# rounded, negative, huge and rounded decimals, floats incl. -0, 1e20 and
# tiny ones, booleans, bytes, json, time, year, enum, set, uuid) verifies ok
# with every column made in C (an expression column is made by the servers'
# SQL), and no hour has differing hashes without a differing key (the C text
# is the servers' SQL text). Then, per family, a value changed in the target
# by SQL (drift) and a value changed in the source are both found and named
# by key and column. Memory stays flat on many rows.
# run early: slow (verify --deep over many days and tables, every mismatch kind)
. "$(dirname "$0")/lib.sh"

S=deep
{ conf_header; cat <<EOF; } > "$TMP/deep.conf"
[table types]
source = deep_types
target = $S.types
time_column = ts
key = id
expr.twice = dec_s * 2
EOF
# runt ARGS...: etlre with the test's config; $OUT, $ERR, $RC; every stderr
# is also kept in $TMP/all.err
runt() {
	OUT=$("$ETLRE" --config "$TMP/deep.conf" "$@" 2>"$TMP/stderr"); RC=$?; ERR=$(cat "$TMP/stderr")
	cat "$TMP/stderr" >>"$TMP/all.err"
}

pg "SET client_min_messages = warning; DROP SCHEMA IF EXISTS etlre CASCADE; DROP SCHEMA IF EXISTS $S CASCADE"
my "DROP TABLE IF EXISTS deep_types;
CREATE TABLE deep_types (
  id int PRIMARY KEY, ts datetime(6) NOT NULL,
  i int, bi bigint, biu bigint unsigned, yr year, b1 tinyint(1), bit1 bit(1), bit5 bit(5),
  \`dec\` decimal(65,30), dec_s decimal(10,2), dec_r decimal(10,2), dec_u decimal(20,6),
  f float, d double, d4 double, fd float,
  dt date, dtd datetime, dt0 datetime, dt3 datetime(3), dt6 datetime(6), dt6_3 datetime(6),
  dt6_0 datetime(6), dtz datetime(3), tsz timestamp(6) NULL, zd date,
  tm time(6), tm0 time, tm_3 time(6),
  c char(5), vc varchar(20), tx text, bin binary(4), bl blob, txb varchar(10),
  en enum('a','b c'), st set('x','y','z'), sa set('x','y','z'), js json, uu char(38),
  KEY (ts)) CHARACTER SET utf8mb4"
check "create the source table of every type family" test $? -eq 0
my "SET sql_mode = ''; SET time_zone = '+00:00';
INSERT INTO deep_types VALUES
 (1, '2025-11-02 00:10:00', -2147483648, -9223372036854775808, 18446744073709551615, 2024, 1, b'1', b'00101',
  '-12345678901234567890123456789012345.123456789012345678901234567890', -12.34, 12.35, 1.500000,
  0.1, 0.30000000000000004, 0.123456789, -2.5e-10,
  '0001-01-01', '2025-11-02 00:00:00', '1970-01-01 00:00:00', '2025-11-02 10:00:00.120', '2025-11-02 10:00:00.000001',
  '2025-11-05 10:00:00.123500', '2025-11-05 10:00:00.500000', '2025-11-05 10:00:00.123', '2025-11-02 10:00:00.5', '0000-00-00',
  '23:59:59.999999', '24:00:00', '13:00:00.123500',
  'ab  ', '😀 ñ', CONCAT('a', CHAR(9), 'b', CHAR(10), 'c', CHAR(92), 'e', CHAR(13)), x'DEADBEEF', x'000A0D5C09', 'é',
  'b c', 'x,z', 'x,z', '{\"a\": [1, 2.5, \"é\"]}', '{6F9619FF-8B86-D011-B42D-00C04FC964FF}'),
 (2, '2025-11-02 01:20:00', 0, 9223372036854775807, 0, 1901, 0, b'0', b'11111',
  '99999999999999999999999999999999999.999999999999999999999999999999', 99999999.99, -12.35, -0.000001,
  3.4028235e38, 1.7976931348623157e308, 1e20, 1e-30,
  '9999-12-31', '1970-01-01 00:00:00', '2025-12-31 23:59:59', '2025-11-02 10:00:00.999', '2025-11-02 10:59:59.999999',
  '1999-12-31 23:59:59.123500', '1999-06-01 00:00:00.499999', '2025-11-02 10:00:00.000', '2038-01-19 03:14:07.999999', '2024-02-29',
  '00:00:00', '00:00:00', '23:59:59.999600',
  '', '', '', x'00000000', x'', '',
  'a', '', '', '[]', '6f9619ff8b86d011b42d00c04fc964ff'),
 (3, '2025-11-02 02:30:00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, '2025-11-02 03:40:00.5', 42, -1, 1, 2155, 1, b'1', b'00000',
  '-0.000000000000000000000000000001', 0, -0.04, 0,
  -0.0, -0.0, 1.5e-7, 1e15,
  '2025-11-02', '2025-11-03 00:00:00', '2025-11-02 03:40:00', '2025-11-02 03:40:00.001', '2025-11-02 03:40:00.5',
  '2025-12-31 23:59:59.999999', '2025-12-31 23:59:59.999999', '2025-11-02 03:40:00.9', '1970-01-01 00:00:01', '2025-00-15',
  '10:00:00.5', '838:59:59', '10:00:00.000499',
  'a b', 'tab\\there', 'back\\\\slash \\\\N', x'0A0D5C09', x'5C4E', '\\\\N',
  'b c', 'y', 'x,y,z', '\"\\\\u00e9\"', 'F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6')"
check "insert the tricky rows" test $? -eq 0
pg "CREATE SCHEMA $S; CREATE TABLE $S.types (
  id integer PRIMARY KEY, ts timestamp(6) NOT NULL,
  i integer, bi bigint, biu numeric(20,0), yr smallint, b1 boolean, bit1 boolean, bit5 bit(5),
  dec numeric(65,30), dec_s numeric(10,2), dec_r numeric(12,3), dec_u numeric,
  f real, d double precision, d4 real, fd double precision,
  dt date, dtd date, dt0 timestamp(0), dt3 timestamp(3), dt6 timestamp(6), dt6_3 timestamp(3),
  dt6_0 timestamp(0), dtz timestamptz(3), tsz timestamptz(6), zd date,
  tm time(6), tm0 time(0), tm_3 time(3),
  c char(5), vc varchar(20), tx text, bin bytea, bl bytea, txb bytea,
  en text, st text, sa text[], js json, uu uuid, twice numeric(11,2))"
check "create the target table (rounding and retyping columns included)" test $? -eq 0

runt init
is "$RC" 0 "init"
runt process --date 2025-11-02 --skip-invalid
is "$RC" 0 "process the tricky rows"
like "$(pg "SELECT count(*) FROM $S.types")" '^[34]$' "the rows the target can hold are loaded (838 hours is not a time)"
runt verify --deep --date 2025-11-02 --log-level debug
is "$RC" 0 "verify --deep: every value of every type family matches"
like "$OUT" "types +24 +24 +0 +0 +0 +4 +3 +1" "24 hours ok: 4 source rows, 3 loaded, 1 rejected"
is "$(printf '%s\n' "$ERR" | grep -c 'the servers make column')" 1 "only the expression column's text is made by the servers' SQL"
like "$ERR" "the servers make column twice" "... and it is the expression column"
is "$(printf '%s\n' "$ERR" | grep -c 'checksums differ but no key does')" 0 "no hour's hashes differ without a differing key"

# changed WHO ID COL SQL: after SQL on the source (my) or the target (pg),
# verify --deep finds the row's hour changed and names the key and column;
# then the hour is reloaded
changed() {
	local who=$1 id=$2 col=$3 sql=$4
	"$who" "$sql"
	runt verify --deep --date 2025-11-02
	if [ "$RC" = 3 ] && printf '%s' "$OUT" | grep -Eq "changed id=$id: $col\$"; then
		pass "$who: a change in $col of row $id is found and named"
	else
		fail "$who: a change in $col of row $id is found and named"
		printf '#   %s\n' "$OUT" "$ERR" | head -20
	fi
	runt process --date 2025-11-02 >/dev/null
}
# an equal value written otherwise stays equal: more trailing zeros of an
# unconstrained numeric
pg "UPDATE $S.types SET dec_u = dec_u * 1.0000 WHERE id IN (1, 2)"
is "$(pg "SELECT dec_u FROM $S.types WHERE id = 1")" "1.5000000000" "the target's numeric now has more trailing zeros"
runt verify --deep --date 2025-11-02
is "$RC" 0 "... and is still equal"
runt process --date 2025-11-02 >/dev/null
# target drift, one per family
changed pg 1 i "UPDATE $S.types SET i = i + 1 WHERE id = 1"
changed pg 1 biu "UPDATE $S.types SET biu = biu - 1 WHERE id = 1"
changed pg 1 yr "UPDATE $S.types SET yr = 2025 WHERE id = 1"
changed pg 1 b1 "UPDATE $S.types SET b1 = false WHERE id = 1"
changed pg 1 bit5 "UPDATE $S.types SET bit5 = B'00100' WHERE id = 1"
changed pg 1 dec "UPDATE $S.types SET dec = dec + 1e-30 WHERE id = 1"
changed pg 1 dec_r "UPDATE $S.types SET dec_r = 12.351 WHERE id = 1"
changed pg 2 dec_u "UPDATE $S.types SET dec_u = -0.0000011 WHERE id = 2"
changed pg 1 f "UPDATE $S.types SET f = 0.10000001 WHERE id = 1"
changed pg 1 d "UPDATE $S.types SET d = 0.3 WHERE id = 1"
changed pg 2 fd "UPDATE $S.types SET fd = 1e-29 WHERE id = 2"
changed pg 1 dt "UPDATE $S.types SET dt = '0001-01-01 BC' WHERE id = 1"
changed pg 1 dt3 "UPDATE $S.types SET dt3 = dt3 + interval '1 millisecond' WHERE id = 1"
changed pg 1 dt6_3 "UPDATE $S.types SET dt6_3 = '2025-11-05 10:00:00.123' WHERE id = 1"
changed pg 1 dtz "UPDATE $S.types SET dtz = dtz + interval '1 hour' WHERE id = 1"
changed pg 1 tsz "UPDATE $S.types SET tsz = tsz + interval '1 microsecond' WHERE id = 1"
changed pg 1 zd "UPDATE $S.types SET zd = '2025-01-01' WHERE id = 1"
changed pg 1 tm_3 "UPDATE $S.types SET tm_3 = '13:00:00.123' WHERE id = 1"
changed pg 1 c "UPDATE $S.types SET c = 'ab c' WHERE id = 1"
changed pg 1 tx "UPDATE $S.types SET tx = rtrim(tx, E'\\r') WHERE id = 1"
changed pg 2 vc "UPDATE $S.types SET vc = NULL WHERE id = 2"
changed pg 1 bl "UPDATE $S.types SET bl = '\\x000a0d5c0a' WHERE id = 1"
changed pg 1 en "UPDATE $S.types SET en = 'a' WHERE id = 1"
changed pg 1 sa "UPDATE $S.types SET sa = '{z,x}' WHERE id = 1"
changed pg 1 js "UPDATE $S.types SET js = '{\"a\":[1,2.5,\"é\"]}' WHERE id = 1"
changed pg 1 uu "UPDATE $S.types SET uu = '6f9619ff-8b86-d011-b42d-00c04fc964fe' WHERE id = 1"
changed pg 1 twice "UPDATE $S.types SET twice = 0 WHERE id = 1"
# source changes, one per family
changed my 1 i "UPDATE deep_types SET i = i + 1 WHERE id = 1"
changed my 1 dec_r "UPDATE deep_types SET dec_r = 12.36 WHERE id = 1"
changed my 1 d4 "UPDATE deep_types SET d4 = 0.1234567 WHERE id = 1"
changed my 2 dt6_0 "UPDATE deep_types SET dt6_0 = '1999-06-01 00:00:00.500001' WHERE id = 2"
changed my 1 tm "UPDATE deep_types SET tm = '23:59:59.999998' WHERE id = 1"
changed my 1 vc "UPDATE deep_types SET vc = '😀 n' WHERE id = 1"
changed my 1 bin "UPDATE deep_types SET bin = x'DEADBEEE' WHERE id = 1"
changed my 1 st "UPDATE deep_types SET st = 'x' WHERE id = 1"
changed my 2 bit1 "UPDATE deep_types SET bit1 = b'1' WHERE id = 2"
runt verify --deep --date 2025-11-02
is "$RC" 0 "verify --deep: equal again after the reloads"

# a target row deleted and one added are missing and extra by key
pg "DELETE FROM $S.types WHERE id = 2; INSERT INTO $S.types (id, ts) VALUES (9, '2025-11-02 05:00:00')"
runt verify --deep --date 2025-11-02
is "$RC" 3 "a deleted and an added target row: exit 3"
like "$OUT" "missing id=2" "the deleted row is missing by key"
like "$OUT" "extra +id=9" "the added row is extra by key"
runt process --date 2025-11-02 >/dev/null

# many rows: memory does not grow with the range (one row at a time)
my "INSERT INTO deep_types (id, ts, i, vc, tx, dt3)
    SELECT 1000 + seq, TIMESTAMP('2025-11-03') + INTERVAL seq SECOND, seq, CONCAT('v', seq),
      REPEAT('x', seq MOD 200), TIMESTAMP('2025-11-03') + INTERVAL seq * 7 MICROSECOND
    FROM seq_1_to_60000"
runt process --date 2025-11-03
is "$RC" 0 "load 60000 rows"
/usr/bin/time -f '%M' -o "$TMP/rss" "$ETLRE" --config "$TMP/deep.conf" verify --deep --date 2025-11-03 >/dev/null 2>&1
is "$?" 0 "verify --deep of 60000 rows: ok"
case $ETLRE in
*-san) skip "peak RSS: the sanitizer build keeps freed memory in quarantine" ;;
*) check "verify --deep of 60000 rows: peak RSS under 40 MiB ($(cat "$TMP/rss") KiB)" test "$(cat "$TMP/rss")" -lt 40960 ;;
esac

is "$(grep -c 'checksums differ but no key does' "$TMP/all.err")" 0 "in no run did an hour's hashes differ without a differing key"

pg "SET client_min_messages = warning; DROP SCHEMA $S CASCADE"
my "DROP TABLE deep_types"
done_testing
