#!/usr/bin/env bash
# Types: every MariaDB type lands exactly, value by value (the README's
# "Types" table): integers signed and unsigned to their limits, tinyint(1)
# and bit(1) into boolean, bit(n), decimal(65,30), FLOAT and DOUBLE without
# rounding, dates and times to the microsecond, TIMESTAMP as an exact
# instant, zero dates as NULL or invalid (zero_dates = null | reject),
# utf8mb4 and latin1 (cp1252) text, control characters, binary, enum, set,
# json. Values a target cannot hold are invalid with a clear rule; a target
# column of an incompatible type is a configuration error (exit 2, nothing
# written).
. "$(dirname "$0")/lib.sh"

T=typ
pg "SET client_min_messages = warning; DROP SCHEMA IF EXISTS etlre CASCADE; DROP SCHEMA IF EXISTS $T CASCADE; CREATE SCHEMA $T;
CREATE TABLE $T.types (
  id int PRIMARY KEY, ts timestamp(6) NOT NULL,
  ti int2, tiu int2, si int2, siu int4, mi int4, miu int4, i int4, iu int8, bi int8,
  biu numeric(20,0), biu2 bigint,
  b1 boolean, bit1 boolean, bit5 bit(5), bit64 numeric(20,0),
  dec numeric(65,30), f real, ftxt text, f8 double precision, d double precision,
  dt date, dt0 timestamp(0), dt3 timestamp(3), dt6 timestamp(6), tsz timestamptz, tsn timestamp(6),
  tm time(6), yr int2, zd date, zdt timestamp, zdn date NOT NULL,
  c text, vc varchar(20), tx text, l1 text, bin bytea, vbin bytea, bl bytea,
  en text, st text, st2 text[], js jsonb);
CREATE TABLE $T.types_rej (id int PRIMARY KEY, ts timestamp(6) NOT NULL, zd date);
CREATE TABLE $T.types_m (LIKE $T.types INCLUDING ALL);" &&
my "DROP TABLE IF EXISTS types_src; DROP TABLE IF EXISTS bad_src;
CREATE TABLE types_src (
  id int PRIMARY KEY, ts datetime(6) NOT NULL,
  ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned, mi mediumint,
  miu mediumint unsigned, i int, iu int unsigned, bi bigint, biu bigint unsigned, biu2 bigint unsigned,
  b1 tinyint(1), bit1 bit(1), bit5 bit(5), bit64 bit(64),
  \`dec\` decimal(65,30), f float, ftxt float, f8 float, d double,
  dt date, dt0 datetime, dt3 datetime(3), dt6 datetime(6), tsz timestamp(6) NULL, tsn timestamp(6) NULL,
  tm time(6), yr year, zd date, zdt datetime, zdn date,
  c char(5), vc varchar(20), tx text, l1 varchar(20) CHARACTER SET latin1, bin binary(4),
  vbin varbinary(10), bl blob, en enum('a','b c'), st set('x','y','z'), st2 set('p q','r\"s','t'),
  js json) CHARACTER SET utf8mb4"
check "create the tables" test $? -eq 0

# row 1: minimums and special values; row 2: maximums; row 3: NULLs
my "SET sql_mode = ''; SET time_zone = '+00:00';
INSERT INTO types_src VALUES
 (1, '2025-11-02 10:00:00', -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
  -9223372036854775808, 18446744073709551615, 5, 1, b'1', b'00101', b'1111111111111111111111111111111111111111111111111111111111111111',
  '-12345678901234567890123456789012345.123456789012345678901234567890', 0.1, 0.1, 0.1, 0.30000000000000004,
  '0001-01-01', '2025-11-02 10:00:00', '2025-11-02 10:00:00.120', '2025-11-02 10:00:00.000001',
  '2025-11-02 10:00:00.5', '2025-11-02 23:59:59.999999', '23:59:59.999999', 2024, '0000-00-00', '2024-05-00 10:00:00', '2024-02-29',
  'ab', '😀 ñ', CONCAT('a', CHAR(9), 'b', CHAR(10), 'c', CHAR(13), 'd', CHAR(92), 'e'), '€–™',
  x'DEADBEEF', x'00FF', x'000A0D5C09', 'b c', 'x,z', 'p q,r\"s', '{\"a\": [1, 2.5, \"é\"]}'),
 (2, '2025-11-02 10:30:00', 127, 0, 32767, 0, 8388607, 0, 2147483647, 0,
  9223372036854775807, 0, 0, 0, b'0', b'11111', b'0',
  '99999999999999999999999999999999999.999999999999999999999999999999', 3.4028235e38, 1.0000001, 16777217, 1.7976931348623157e308,
  '9999-12-31', '1970-01-01 00:00:00', '2025-11-02 10:00:00.999', '2025-11-02 10:59:59.999999',
  '1970-01-01 00:00:01', '2038-01-19 03:14:07.999999', '00:00:00', 1901, '2024-00-15', '0000-00-00 00:00:00', '2024-01-01',
  '', '', '', '', x'00000000', x'', x'', 'a', '', '', '[]'),
 (3, '2025-11-02 10:59:59.999999', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, '2024-01-01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'null')"
check "insert the source rows" test $? -eq 0
is "$(my "SELECT HEX(l1) FROM types_src WHERE id = 1")" "809699" "latin1 column stores the euro sign, en dash and trade mark as cp1252 bytes"

# invalid rows, hour 11: each breaks one rule
my "SET sql_mode = '';
INSERT INTO types_src (id, ts, zdn, biu2, tx, b1, tm, bit5) VALUES
 (101, '2025-11-02 11:00:01', '2024-01-01', 18446744073709551615, NULL, NULL, NULL, NULL),
 (102, '2025-11-02 11:00:02', '2024-01-01', NULL, CONCAT('a', CHAR(0), 'b'), NULL, NULL, NULL),
 (103, '2025-11-02 11:00:03', '0000-00-00', NULL, NULL, NULL, NULL, NULL),
 (104, '2025-11-02 11:00:04', '2024-01-01', NULL, NULL, 2, NULL, NULL),
 (105, '2025-11-02 11:00:05', '2024-01-01', NULL, NULL, NULL, '25:00:00', NULL),
 (106, '2025-11-02 11:00:06', '2024-00-15', NULL, NULL, NULL, NULL, NULL)"
check "insert the invalid rows" test $? -eq 0

TCONF=$TMP/types.conf
cat > "$TCONF" <<EOF
[etlre]
schema = etlre
timezone = UTC
[table types]
source = types_src
target = $T.types
time_column = ts
key = id
[table types_rej]
source = types_src
target = $T.types_rej
time_column = ts
key = id
zero_dates = reject
[table types_m]
source = types_src
target = $T.types_m
time_column = ts
key = id
mode = merge
EOF
t() { "$ETLRE" --config "$TCONF" "$@"; }
t init >/dev/null
check "etlre init" test $? -eq 0

OUT=$(t process --date 2025-11-02 --table types 2>"$TMP/err"); RC=$?
is "$RC" 1 "without --skip-invalid the invalid hour fails"
like "$(cat "$TMP/err")" "key id=101: column biu2 value '18446744073709551615' breaks rule bigint range \\(out of range" \
	"BIGINT UNSIGNED's maximum into bigint is invalid, with a clear reason"
OUT=$(t process --date 2025-11-02 --table types --skip-invalid 2>"$TMP/err"); RC=$?
is "$RC" 0 "--skip-invalid: exit 0"
is "$(pg "SELECT string_agg(row_key || ' ' || column_name || ' ' || rule, E'\n' ORDER BY row_key) FROM etlre.rejects WHERE table_name = 'types'")" \
"id=101 biu2 bigint range
id=102 tx utf8
id=103 zdn zero date
id=104 b1 boolean
id=105 tm time
id=106 zdn zero date" "each invalid value is rejected with its rule"
like "$(pg "SELECT reason FROM etlre.rejects WHERE row_key = 'id=103'")" "NOT NULL" "zero date in a NOT NULL column: the reason says so"
like "$(pg "SELECT reason FROM etlre.rejects WHERE row_key = 'id=102'")" "^NUL byte \\(PostgreSQL text cannot hold it\\) at byte 1$" "a NUL byte: the reason says PostgreSQL text cannot hold it"
is "$(pg "SELECT raw->>'tx' FROM etlre.rejects WHERE row_key = 'id=102'")" '\x610062' "the rejected raw value keeps the NUL byte (in hex)"
is "$(pg "SELECT count(*) FROM $T.types")" 3 "the three valid rows loaded"

# v ID EXPR: the target's text of EXPR for row ID
v() { pg "SELECT $2 FROM $T.types WHERE id = $1"; }
COLS="id ts ti tiu si siu mi miu i iu bi biu biu2 b1 bit1 bit5 bit64 dec f ftxt f8 d dt dt0 dt3 dt6 tsz tsn
  tm yr zd zdt zdn c vc l1 bin vbin bl en st st2 js"
row() { # row ID EXPECTED: every column but tx (below), one line "col=value"
	local q="" c e
	for c in $COLS; do
		e="$c::text"; [ "$c" = tsz ] && e="($c AT TIME ZONE 'UTC')::text || 'Z'"
		q="$q${q:+, }'$c=' || coalesce($e, '<NULL>')"
	done
	is "$(pg "SELECT concat_ws(E'\\n', $q) FROM $T.types WHERE id = $1")" "$2" "row $1: every value exact"
}
row 1 "id=1
ts=2025-11-02 10:00:00
ti=-128
tiu=255
si=-32768
siu=65535
mi=-8388608
miu=16777215
i=-2147483648
iu=4294967295
bi=-9223372036854775808
biu=18446744073709551615
biu2=5
b1=true
bit1=true
bit5=00101
bit64=18446744073709551615
dec=-12345678901234567890123456789012345.123456789012345678901234567890
f=0.1
ftxt=0.1
f8=0.10000000149011612
d=0.30000000000000004
dt=0001-01-01
dt0=2025-11-02 10:00:00
dt3=2025-11-02 10:00:00.12
dt6=2025-11-02 10:00:00.000001
tsz=2025-11-02 10:00:00.5Z
tsn=2025-11-02 23:59:59.999999
tm=23:59:59.999999
yr=2024
zd=<NULL>
zdt=<NULL>
zdn=2024-02-29
c=ab
vc=😀 ñ
l1=€–™
bin=\\xdeadbeef
vbin=\\x00ff
bl=\\x000a0d5c09
en=b c
st=x,z
st2={\"p q\",\"r\\\"s\"}
js={\"a\": [1, 2.5, \"é\"]}"
row 2 "id=2
ts=2025-11-02 10:30:00
ti=127
tiu=0
si=32767
siu=0
mi=8388607
miu=0
i=2147483647
iu=0
bi=9223372036854775807
biu=0
biu2=0
b1=false
bit1=false
bit5=11111
bit64=0
dec=99999999999999999999999999999999999.999999999999999999999999999999
f=3.4028235e+38
ftxt=1.0000001
f8=16777216
d=1.7976931348623157e+308
dt=9999-12-31
dt0=1970-01-01 00:00:00
dt3=2025-11-02 10:00:00.999
dt6=2025-11-02 10:59:59.999999
tsz=1970-01-01 00:00:01Z
tsn=2038-01-19 03:14:07.999999
tm=00:00:00
yr=1901
zd=<NULL>
zdt=<NULL>
zdn=2024-01-01
c=
vc=
l1=
bin=\\x00000000
vbin=\\x
bl=\\x
en=a
st=
st2={}
js=[]"
is "$(v 1 "tx = E'a\\tb\\nc\\rd\\\\e'")" t "tab, newline, carriage return and backslash round trip"
is "$(v 1 "(f = 0.1::real)::text || (ftxt::real = 0.1::real)::text")" truetrue "FLOAT 0.1 is the same float in real and in text"
is "$(v 2 "(ftxt::real = 1.0000001::real)::text || (f8 = 16777216)::text")" truetrue "FLOAT 1.0000001 and 16777217 (16777216 as a float) are not rounded to 6 digits"
is "$(v 1 "st2 = ARRAY['p q', 'r\"s']")" t "a SET into text[] keeps its members"
is "$(v 3 "num_nonnulls(ti, tiu, biu, b1, bit1, bit5, bit64, dec, f, d, dt, dt6, tsz, tm, yr, zd, c, tx, bin, en, st, st2)")" 0 "NULLs stay NULL"
is "$(v 3 "js::text")" null "json null is the json value null"

# mode = merge stages the rows and upserts them: the same values land
OUT=$(t process --date 2025-11-02 --table types_m --skip-invalid 2>"$TMP/err"); RC=$?
is "$RC" 0 "mode = merge: exit 0"
is "$(pg "SELECT count(*) FROM $T.types_m")/$(pg "SELECT count(*) FROM (SELECT * FROM $T.types EXCEPT SELECT * FROM $T.types_m) x")" \
	"3/0" "mode = merge: every value as in replace mode"

# the same source under zero_dates = reject: zero dates are invalid
OUT=$(t process --date 2025-11-02 --table types_rej --skip-invalid 2>"$TMP/err"); RC=$?
is "$RC" 0 "zero_dates = reject: exit 0 with --skip-invalid"
is "$(pg "SELECT string_agg(row_key || ' ' || rule, ' ' ORDER BY row_key) FROM etlre.rejects WHERE table_name = 'types_rej'")" \
	"id=1 zero date id=2 zero date" "zero_dates = reject: zero dates and zero-in-dates are invalid"
like "$(pg "SELECT reason FROM etlre.rejects WHERE table_name = 'types_rej' AND row_key = 'id=2'")" "zero_dates = reject" "the reason names the setting"

run_etlre_t() { run_with "$TCONF" "$@"; }
run_etlre_t verify --date 2025-11-02 --table types
is "$RC" 0 "verify: the loaded day matches its source"
run_etlre_t verify --date 2025-11-02 --table types --deep
is "$RC" 0 "verify --deep: every value compares equal to its source"
like "$OUT" "types +24 +24 +0 +0 +0 " "verify --deep: 24 hours ok"

# a target column of an incompatible type: exit 2 at plan time, nothing written
bad_case() { # bad_case SOURCE_TYPE TARGET_TYPE
	my "DROP TABLE IF EXISTS bad_src; CREATE TABLE bad_src (id int PRIMARY KEY, ts datetime NOT NULL, n $1);
	    INSERT INTO bad_src VALUES (1, '2025-11-02 10:00:00', NULL)"
	pg "SET client_min_messages = warning; DROP TABLE IF EXISTS $T.bad; CREATE TABLE $T.bad (id int PRIMARY KEY, ts timestamp NOT NULL, n $2)"
	cat > "$TMP/bad.conf" <<EOF
[table bad]
source = bad_src
target = $T.bad
time_column = ts
key = id
EOF
	jobs_before=$(pg "SELECT count(*) FROM etlre.jobs")
	run_with "$TMP/bad.conf" process --date 2025-11-02
	is "$RC" 2 "$1 into $2: exit 2"
	like "$ERR" "\\[table bad\\] column 'n': the source type $(printf '%s' "$1" | sed 's/[()]/\\&/g') cannot load into the target type $2" \
		"$1 into $2: the error names table, column and both types"
	is "$(pg "SELECT count(*) FROM etlre.jobs")/$(pg "SELECT count(*) FROM $T.bad")" "$jobs_before/0" "$1 into $2: nothing written"
}
bad_case "varchar(10)" integer
bad_case "datetime" boolean
bad_case "double" date
bad_case "bit(3)" boolean
done_testing
