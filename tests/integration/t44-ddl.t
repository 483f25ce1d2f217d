#!/usr/bin/env bash
# Onboarding a schema without hand-written DDL (README "Quick start: your own
# tables", "etlre ddl", "Partitioned targets", "Schema drift"): etlre ddl
# prints a CREATE TABLE per configured table, with every type family of the
# README's type table mapped to its most faithful PostgreSQL type and expr.*
# columns typed from the source's result metadata; psql runs it as it is; it
# writes nothing. init --create-tables creates the missing tables in one
# transaction and is a no-op the second time; process and verify --deep then
# agree value by value. A source type with no mapping is exit 2 naming the
# column and the expr.COLUMN that loads it. Partitioned targets: a missing
# partition fails the hour naming the range to create (never a reject),
# partitions = daily|monthly creates them; verify, merge mode and moved rows
# work across partitions. Schema drift: one warning per run and a line in
# check; a type change that breaks the mapping is exit 2 before any write.
. "$(dirname "$0")/lib.sh"

S=ddl
conf_file "$TMP/ddl.conf" <<EOF
[table types]
source = ddl_types
target = $S.types
time_column = ts
key = id
expr.iu_next = iu + 1
expr.label = CONCAT(c, '!')
expr.day = DATE(ts)
expr.dec2 = dec_s * 2
EOF
# runc CONF ARGS...: etlre with the config file $TMP/CONF.conf; $OUT, $ERR, $RC
runc() { local c=$1; shift; run_with "$TMP/$c.conf" "$@"; }
runt() { runc ddl "$@"; }

pg "SET client_min_messages = warning; DROP SCHEMA IF EXISTS etlre CASCADE; DROP SCHEMA IF EXISTS $S CASCADE" &&
my "DROP TABLE IF EXISTS ddl_types, ddl_geo, ddl_part, ddl_drift;
CREATE TABLE ddl_types (
  id int PRIMARY KEY, ts datetime(6) NOT NULL,
  ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned, mi mediumint,
  miu mediumint unsigned, i int NOT NULL, iu int unsigned, bi bigint, biu bigint unsigned,
  b1 tinyint(1), bit1 bit(1), bit5 bit(5), bit64 bit(64),
  \`dec\` decimal(65,30), dec_s decimal(10,2), f float, d double,
  dt date, dt0 datetime, dt3 datetime(3), dt6 datetime(6), tsz timestamp(6) NULL,
  tm time(6), yr year, zd date,
  c char(5), vc varchar(20), tx text, l1 varchar(20) CHARACTER SET latin1, bin binary(4),
  vbin varbinary(10), bl blob, en enum('a','b c'), st set('x','y','z'), js json,
  KEY (ts)) CHARACTER SET utf8mb4"
check "create the source table of every type family" test $? -eq 0
my "SET sql_mode = ''; SET time_zone = '+00:00';
INSERT INTO ddl_types VALUES
 (1, '2025-11-02 10:00:00', -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
  -9223372036854775808, 18446744073709551615, 1, b'1', b'00101', b'1111111111111111111111111111111111111111111111111111111111111111',
  '-12345678901234567890123456789012345.123456789012345678901234567890', -12.34, 0.1, 0.30000000000000004,
  '0001-01-01', '2025-11-02 10:00:00', '2025-11-02 10:00:00.120', '2025-11-02 10:00:00.000001',
  '2025-11-02 10:00:00.5', '23:59:59.999999', 2024, '0000-00-00',
  'ab', '😀 ñ', CONCAT('a', CHAR(9), 'b', CHAR(10), 'c', CHAR(92), 'e'), '€–™',
  x'DEADBEEF', x'00FF', x'000A0D5C09', 'b c', 'x,z', '{\"a\": [1, 2.5, \"é\"]}'),
 (2, '2025-11-02 10:30:00', 127, 0, 32767, 0, 8388607, 0, 2147483647, 0,
  9223372036854775807, 0, 0, b'0', b'11111', b'0',
  '99999999999999999999999999999999999.999999999999999999999999999999', 99999999.99, 3.4028235e38, 1.7976931348623157e308,
  '9999-12-31', '1970-01-01 00:00:00', '2025-11-02 10:00:00.999', '2025-11-02 10:59:59.999999',
  '2038-01-19 03:14:07.999999', '00:00:00', 1901, '2024-02-29',
  '', '', '', '', x'00000000', x'', x'', 'a', '', '[]'),
 (3, '2025-11-03 23:59:59.999999', NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
check "insert the source rows" test $? -eq 0

# ---- etlre ddl: the statements, valid SQL, nothing written ----
runt ddl
is "$RC" 0 "ddl: exit 0"
is "$(pg "SELECT count(*) FROM pg_namespace WHERE nspname = '$S'")" 0 "ddl writes nothing (not even the schema)"
like "$OUT" "^-- \\[table types\\]: ddl_types -> $S.types" "ddl: a comment names the table, its source and target"
like "$OUT" "PRIMARY KEY \\(\"id\"\\)" "ddl: the key is the primary key"
like "$OUT" "CREATE INDEX ON \"$S\".\"types\" \\(\"ts\"\\);" "ddl: the time column is indexed"
printf '%s\n' "$OUT" | psql "$ETLRE_TARGET_URL" -X -q -v ON_ERROR_STOP=1 >/dev/null 2>"$TMP/psql.err"
is "$?" 0 "psql runs ddl's output as it is$(head -c 300 "$TMP/psql.err")"
# every column's type and nullability, as PostgreSQL reports them
coltypes() {
	pg "SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
	      CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, E'\n' ORDER BY a.attnum)
	    FROM pg_attribute a WHERE a.attrelid = '$S.types'::regclass AND a.attnum > 0 AND NOT a.attisdropped"
}
TYPES="id integer not null
ts timestamp(6) without time zone not null
ti smallint
tiu smallint
si smallint
siu integer
mi integer
miu integer
i integer not null
iu bigint
bi bigint
biu numeric(20,0)
b1 boolean
bit1 boolean
bit5 bit(5)
bit64 bit(64)
dec numeric(65,30)
dec_s numeric(10,2)
f real
d double precision
dt date
dt0 timestamp(0) without time zone
dt3 timestamp(3) without time zone
dt6 timestamp(6) without time zone
tsz timestamp(6) with time zone
tm time(6) without time zone
yr smallint
zd date
c character varying(5)
vc character varying(20)
tx text
l1 character varying(20)
bin bytea
vbin bytea
bl bytea
en text
st text
js jsonb
iu_next numeric(20,0)
label text
day date
dec2 numeric(11,2)"
is "$(coltypes)" "$TYPES" "ddl: every type family gets its most faithful type, NOT NULL as in the source, expr.* typed from the result"
pg "DROP SCHEMA $S CASCADE"

# ---- init --create-tables ----
runt init --create-tables
is "$RC" 0 "init --create-tables: exit 0"
like "$OUT" "table types: created $S.types" "init --create-tables says what it created"
is "$(coltypes)" "$TYPES" "init --create-tables creates what ddl prints"
OID=$(pg "SELECT '$S.types'::regclass::oid")
runt init --create-tables
is "$RC/$(pg "SELECT '$S.types'::regclass::oid")" "0/$OID" "a second init --create-tables: exit 0, the table left as it was"
like "$OUT" "table types: $S.types exists, left alone" "the second run says the table exists"

runt process --start-date 2025-11-02 --end-date 2025-11-03
is "$RC" 0 "process into the created table: exit 0"
runt verify --deep --start-date 2025-11-02 --end-date 2025-11-03
is "$RC" 0 "verify --deep: every value of every type family matches"
like "$OUT" "types +48 +48 +0 +0 +0 +3 +3 +0" "verify --deep: 48 hours ok, 3 rows"
row() { # row ID: every column, one line "col=value"
	pg "SELECT concat_ws(E'\\n', $(pg "SELECT string_agg(format('%L || coalesce(%s, ''<NULL>'')',
	      attname || '=', CASE WHEN attname = 'tsz' THEN '(tsz AT TIME ZONE ''UTC'')::text' ELSE quote_ident(attname) || '::text' END), ', '
	      ORDER BY attnum) FROM pg_attribute WHERE attrelid = '$S.types'::regclass AND attnum > 0"))
	    FROM $S.types WHERE id = $1"
}
is "$(row 1)" "id=1
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
b1=true
bit1=true
bit5=00101
bit64=1111111111111111111111111111111111111111111111111111111111111111
dec=-12345678901234567890123456789012345.123456789012345678901234567890
dec_s=-12.34
f=0.1
d=0.30000000000000004
dt=0001-01-01
dt0=2025-11-02 10:00:00
dt3=2025-11-02 10:00:00.12
dt6=2025-11-02 10:00:00.000001
tsz=2025-11-02 10:00:00.5
tm=23:59:59.999999
yr=2024
zd=<NULL>
c=ab
vc=😀 ñ
tx=a	b
c\\e
l1=€–™
bin=\\xdeadbeef
vbin=\\x00ff
bl=\\x000a0d5c09
en=b c
st=x,z
js={\"a\": [1, 2.5, \"é\"]}
iu_next=4294967296
label=ab!
day=2025-11-02
dec2=-24.68" "row 1: every value exact (minimums, specials)"
is "$(row 2)" "id=2
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
b1=false
bit1=false
bit5=11111
bit64=0000000000000000000000000000000000000000000000000000000000000000
dec=99999999999999999999999999999999999.999999999999999999999999999999
dec_s=99999999.99
f=3.4028235e+38
d=1.7976931348623157e+308
dt=9999-12-31
dt0=1970-01-01 00:00:00
dt3=2025-11-02 10:00:00.999
dt6=2025-11-02 10:59:59.999999
tsz=2038-01-19 03:14:07.999999
tm=00:00:00
yr=1901
zd=2024-02-29
c=
vc=
tx=
l1=
bin=\\x00000000
vbin=\\x
bl=\\x
en=a
st=
js=[]
iu_next=1
label=!
day=2025-11-02
dec2=199999999.98" "row 2: every value exact (maximums, empties)"
is "$(pg "SELECT num_nonnulls(ti, tiu, biu, b1, bit1, bit5, bit64, dec, f, d, dt, dt6, tsz, tm, yr, zd, c, tx, bin, en, st, js, iu_next, label) FROM $S.types WHERE id = 3")" \
	0 "row 3: NULLs stay NULL"

# ---- a source type with no mapping ----
my "CREATE TABLE ddl_geo (id int PRIMARY KEY, ts datetime NOT NULL, g point, n int);
    INSERT INTO ddl_geo VALUES (1, '2025-11-02 10:00:00', ST_GeomFromText('POINT(1 2)'), 7)"
conf_file "$TMP/geo.conf" <<EOF
[table types]
source = ddl_types
target = $S.types2
time_column = ts
key = id
[table geo]
source = ddl_geo
target = $S.geo
time_column = ts
key = id
EOF
g() { runc geo "$@"; }
g ddl --table geo
is "$RC" 2 "ddl of a spatial column: exit 2"
like "$ERR" "\\[table geo\\] column 'g': the source type point has no PostgreSQL type.*expr\\.g = ST_AsText\\(g\\)" \
	"the error names the table, the column and the type, and suggests expr.g = ST_AsText(g)"
g init --create-tables
is "$RC/$(pg "SELECT count(*) FROM pg_class WHERE relname IN ('types2', 'geo')")" "2/0" \
	"init --create-tables with an unmappable column: exit 2, no table created (one transaction)"
pg "CREATE TABLE $S.geo (id int PRIMARY KEY, ts timestamp NOT NULL, g text, n int)"
g process --date 2025-11-02 --table geo
is "$RC/$(pg "SELECT count(*) FROM $S.geo")" "2/0" "process with a spatial source column: exit 2, nothing written"
like "$ERR" "column 'g': the source type point has no PostgreSQL type" "process names the unmapped column too"
pg "DROP TABLE $S.geo"
echo "expr.g = ST_AsText(g)" >> "$TMP/geo.conf"
g ddl --table geo
like "$OUT" "\"g\" text," "with expr.g = ST_AsText(g) the column is text"
g init --create-tables
is "$RC" 0 "init --create-tables with the expression: exit 0"
g process --date 2025-11-02 --table geo
is "$RC/$(pg "SELECT g || ' ' || n FROM $S.geo")" "0/POINT(1 2) 7" "the point loads as its WKT text"

# ---- partitioned targets ----
my "CREATE TABLE ddl_part (id int PRIMARY KEY, ts datetime(3) NOT NULL, v varchar(10), KEY (ts));
    INSERT INTO ddl_part VALUES (1, '2025-11-01 10:00:00', 'a'), (2, '2025-11-02 11:00:00', 'b'),
      (3, '2025-11-02 23:59:59.999', 'c'), (4, '2025-12-01 00:00:00', 'd')"
conf_file "$TMP/part.conf" <<EOF
[table daily]
source = ddl_part
target = $S.part_daily
time_column = ts
key = id
partitions = daily
[table monthly]
source = ddl_part
target = $S.part_monthly
time_column = ts
key = id, ts
mode = merge
partitions = monthly
[table manual]
source = ddl_part
target = $S.part_manual
time_column = ts
key = id
EOF
p() { runc part "$@"; }
p ddl --table daily
like "$OUT" "PRIMARY KEY \\(\"id\", \"ts\"\\)
\\) PARTITION BY RANGE \\(\"ts\"\\);" "ddl of a partitioned table: range partitioning on the time column, which the primary key includes"
sed 's/^key = id, ts$/key = id/' "$TMP/part.conf" > "$TMP/part-badkey.conf"
runc part-badkey ddl --table monthly
is "$RC" 2 "merge mode with partitions and a key without the time column: exit 2"
like "$ERR" "mode = merge with partitions needs the time column in the key" "the error says why"
p init --create-tables
is "$RC" 0 "init --create-tables creates the partitioned parents"
is "$(pg "SELECT string_agg(relname || ':' || relkind::text, ' ' ORDER BY relname) FROM pg_class WHERE relname LIKE 'part\\_%' AND relkind IN ('r', 'p')")" \
	"part_daily:p part_manual:r part_monthly:p" "daily and monthly are partitioned parents, without partitions yet"
pg "DROP TABLE $S.part_manual; CREATE TABLE $S.part_manual (id int, ts timestamp(3) NOT NULL, v varchar(10), PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
    CREATE TABLE $S.part_manual_a PARTITION OF $S.part_manual FOR VALUES FROM ('2025-11-01') TO ('2025-11-02 11:00')"
p process --start-date 2025-11-01 --end-date 2025-11-02 --table daily --table monthly
is "$RC" 0 "process creates the missing partitions before it loads"
is "$(pg "SELECT string_agg(c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid), E'\n' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent IN ('$S.part_daily'::regclass, '$S.part_monthly'::regclass)")" \
"part_daily_p20251101 FOR VALUES FROM ('2025-11-01 00:00:00') TO ('2025-11-02 00:00:00')
part_daily_p20251102 FOR VALUES FROM ('2025-11-02 00:00:00') TO ('2025-11-03 00:00:00')
part_monthly_p202511 FOR VALUES FROM ('2025-11-01 00:00:00') TO ('2025-12-01 00:00:00')" "one partition per day (daily) and per month (monthly)"
p verify --deep --start-date 2025-11-01 --end-date 2025-11-02 --table daily --table monthly
is "$RC" 0 "verify --deep across the partitions: exit 0"
# a row that moves to another day, hence another partition
my "UPDATE ddl_part SET ts = '2025-11-01 12:00:00', v = 'moved' WHERE id = 3"
p process --start-date 2025-11-01 --end-date 2025-11-02 --table daily --table monthly
is "$RC" 0 "the moved row: rerun of both days, exit 0"
is "$(pg "SELECT count(*) || ' ' || min(ts)::text || ' ' || min(v) FROM $S.part_daily WHERE id = 3")|$(pg "SELECT count(*) || ' ' || min(ts)::text FROM $S.part_monthly WHERE id = 3")" \
	"1 2025-11-01 12:00:00 moved|1 2025-11-01 12:00:00" "replace and merge: the moved row is once in the target, in its new partition"
is "$(pg "SELECT tableoid::regclass FROM $S.part_daily WHERE id = 3")" "$S.part_daily_p20251101" "replace: in the new day's partition"
p verify --deep --start-date 2025-11-01 --end-date 2025-11-02 --table daily --table monthly
is "$RC" 0 "verify --deep after the move: exit 0"
p process --date 2025-12-01 --table monthly --dry-run
is "$RC/$(pg "SELECT count(*) FROM pg_inherits WHERE inhparent = '$S.part_monthly'::regclass")" "0/1" \
	"a dry run creates no partition (the hour's transaction is rolled back)"
# two workers creating the same days' partitions at once
sed "s/^target = $S.part_daily$/target = $S.part_jobs/" "$TMP/part.conf" > "$TMP/part-jobs.conf"
runc part-jobs init --create-tables
runc part-jobs process --start-date 2025-11-01 --end-date 2025-11-03 --table daily --jobs 2
is "$RC/$(pg "SELECT count(*) FROM pg_inherits WHERE inhparent = '$S.part_jobs'::regclass")/$(pg "SELECT count(*) FROM $S.part_jobs")" "0/2/3" \
	"--jobs 2: exit 0, the partitions of the two days with rows created once (an empty day needs none), the rows loaded"
# a missing partition without partitions = ...: the hour fails, no reject
p process --date 2025-11-02 --table manual --skip-invalid
is "$RC" 1 "a partition missing: the hours fail (exit 1)"
like "$ERR" "table manual hour 2025-11-02T11:00:00: failed \\[internal\\]: configuration: no partition of $S.part_manual holds 2025-11-02 11:00:00 .. 2025-11-02 12:00:00 \\(no row was loaded or rejected\\); create one, e.g. CREATE TABLE \"$S\".\"part_manual_p20251102110000\" PARTITION OF \"$S\".\"part_manual\" FOR VALUES FROM \\('2025-11-02 11:00:00'\\) TO \\('2025-11-03 00:00:00'\\), or set partitions = daily" \
	"the error names the range to create (the day less the partition already there)"
is "$(pg "SELECT count(*) FROM etlre.rejects WHERE table_name = 'manual'")/$(pg "SELECT count(*) FROM $S.part_manual")" "0/0" \
	"never a row reject, even under --skip-invalid"
pg "CREATE TABLE $S.part_manual_b PARTITION OF $S.part_manual FOR VALUES FROM ('2025-11-02 11:00:00') TO ('2025-11-03 00:00:00')"
p process --date 2025-11-02 --table manual
is "$RC/$(pg "SELECT count(*) FROM $S.part_manual")" "0/1" "after creating that partition the day loads"
pg "CREATE TABLE $S.plain (id int PRIMARY KEY, ts timestamp(3) NOT NULL, v varchar(10))"
sed "s/^target = $S.part_daily$/target = $S.plain/" "$TMP/part.conf" > "$TMP/part-plain.conf"
runc part-plain process --date 2025-11-02 --table daily
is "$RC" 2 "partitions = daily on a target that is not partitioned: exit 2"
like "$ERR" "partitions = daily needs the target $S.plain partitioned by range on its time column" "the error says what is needed"

# ---- schema drift ----
my "CREATE TABLE ddl_drift (id int PRIMARY KEY, ts datetime NOT NULL, a int, b varchar(10));
    INSERT INTO ddl_drift VALUES (1, '2025-11-02 10:00:00', 1, 'x')"
conf_file "$TMP/drift.conf" <<EOF
[table drift]
source = ddl_drift
target = $S.drift
time_column = ts
key = id
EOF
d() { runc drift "$@"; }
d init --create-tables
d process --date 2025-11-02
is "$RC/$(grep -c 'schema drift' "$TMP/stderr")" "0/0" "no drift: no warning"
my "ALTER TABLE ddl_drift ADD COLUMN c int"
pg "ALTER TABLE $S.drift ADD COLUMN z text"
d process --start-date 2025-11-02 --end-date 2025-11-03
is "$RC" 0 "drift: process still loads (exit 0)"
is "$(grep -c 'schema drift' "$TMP/stderr")" 1 "drift: one warning per run, however many hours"
like "$ERR" "\\[table drift\\] schema drift: the target $S.drift lacks source column\\(s\\) c \\(not loaded\\); the source ddl_drift lacks target column\\(s\\) z" \
	"the warning names both sides' columns"
d check
is "$RC" 0 "check with drift: healthy (exit 0)"
like "$OUT" "warn  drift drift +the target $S.drift lacks source column\\(s\\) c" "check shows a drift line"
d check --json
like "$OUT" "\"check\":\"drift\",\"table\":\"drift\",\"status\":\"warning\"" "check --json: the drift check is a warning"
# a type change that breaks the mapping: exit 2 before anything is written
my "ALTER TABLE ddl_drift MODIFY COLUMN a varchar(10); UPDATE ddl_drift SET a = 'x1'"
BEFORE=$(pg "SELECT count(*) FROM etlre.jobs")/$(pg "SELECT md5(string_agg(d::text, ''))FROM $S.drift d")
d process --date 2025-11-02
is "$RC" 2 "a source type that no longer maps: exit 2"
like "$ERR" "\\[table drift\\] column 'a': the source type varchar\\(10\\) cannot load into the target type integer" "the error names the column and both types"
is "$(pg "SELECT count(*) FROM etlre.jobs")/$(pg "SELECT md5(string_agg(d::text, ''))FROM $S.drift d")" "$BEFORE" "nothing was written"
my "UPDATE ddl_drift SET a = NULL; ALTER TABLE ddl_drift MODIFY COLUMN a geometry"
d process --date 2025-11-02
is "$RC" 2 "a source column changed to a spatial type: exit 2"
like "$ERR" "expr\\.a = ST_AsText\\(a\\)" "the error suggests the expression that loads it"
done_testing
