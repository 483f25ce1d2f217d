#!/usr/bin/env bash
# COPY binary (README, "Types"): a table whose every column has a binary
# encoder is sent as COPY binary (debug log "COPY binary"); a table with one
# other column (here a domain) stays COPY text and says which column; both
# load the same values exactly. Rows the target refuses (a CHECK) under
# --skip-invalid give the same rejects, raw values and reasons, in binary and
# in text, fresh and on reprocess, with small batches bisected. A value
# without a binary form (a numeric of 1200 digits) sends the rest of the hour
# as text and loads right. PostgreSQL applies varchar(n) and numeric(p,s) to
# binary input as to text.
. "$(dirname "$0")/lib.sh"

pg "SET client_min_messages = warning; DROP SCHEMA IF EXISTS etlre CASCADE;
DROP SCHEMA IF EXISTS cb CASCADE; DROP SCHEMA IF EXISTS cbt CASCADE; DROP SCHEMA IF EXISTS cbn CASCADE;
CREATE SCHEMA cb; CREATE SCHEMA cbt; CREATE SCHEMA cbn;
CREATE DOMAIN cbt.label AS text;
CREATE TABLE cb.items (id int PRIMARY KEY, ts timestamp(6) NOT NULL, i2 smallint, bi bigint,
  ub numeric(20,0), n numeric(10,4) CONSTRAINT items_n_positive CHECK (n > 0), f real, d double precision,
  b boolean, vc varchar(8), ch varchar(3), t text, dt date, tm time(3), js jsonb, jt json,
  bl bytea, tz timestamptz(3), bits bit(4), tags text[], yr smallint);
CREATE TABLE cbt.items (LIKE cb.items INCLUDING ALL);
ALTER TABLE cbt.items ALTER COLUMN t TYPE cbt.label;
CREATE TABLE cbn.items (id int PRIMARY KEY, ts timestamp(6) NOT NULL, n numeric);" >/dev/null
check "create the targets" test $? -eq 0

my "DROP TABLE IF EXISTS items_src; CREATE TABLE items_src (id int PRIMARY KEY, ts datetime(6) NOT NULL,
  i2 tinyint, bi bigint, ub bigint unsigned, n decimal(12,5), f float, d double, b tinyint(1),
  vc varchar(20), ch char(3), t text, dt date, tm time(3), js json, jt json, bl blob,
  tz timestamp(3) NULL, bits bit(4), tags set('red','green','blue'), yr year) CHARACTER SET utf8mb4;
SET sql_mode = ''; SET time_zone = '+00:00';
INSERT INTO items_src VALUES
 (1, '2025-03-01 10:00:00', -128, -9223372036854775808, 18446744073709551615, 1.5, 0.1, 0.30000000000000004,
  1, 'ñandú', 'ab', CONCAT('a', CHAR(9), 'b', CHAR(10), 'c', CHAR(92)), '0001-01-01', '23:59:59.999',
  '{\"k\": [1, 2.5]}', '{\"k\":  1}', x'00FF0A', '2025-03-01 09:59:59.5', b'0101', 'red,blue', 2024),
 (2, '2025-03-01 10:05:00', 127, 9223372036854775807, 0, -2, -1e10, -1.7976931348623157e308,
  0, '', 'xyz', '', '9999-12-31', '00:00:00', '[]', 'null', x'', '1970-01-01 00:00:01', b'0000', '', 1901),
 (3, '2025-03-01 10:10:00', NULL, NULL, NULL, 1234567.5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, '2025-03-01 10:15:00', 0, 0, 1, 0, 3.4e38, 5e-324, 1, 'toolongvalue', 'a', 'x', '2024-02-29', '12:00:00.001',
  '{}', '{}', x'5C', '2038-01-19 03:14:07.999', b'1111', 'green', 2000),
 (5, '2025-03-01 10:20:00', 1, 1, 1, 0.0001, 1, 1, 1, 'v', 'b', 'y', '2000-01-01', '01:02:03', '1', '2', x'01',
  '2000-01-01 00:00:00', b'1000', 'blue', 1999),
 (6, '2025-03-01 10:25:00', 2, 2, 2, -0.5, 2, 2, 0, 'w', 'c', 'z', '2000-01-02', '01:02:04', '2', '3', x'02',
  '2000-01-01 00:00:01', b'1001', 'red', 1998),
 (7, '2025-03-01 10:30:00', 3, 3, 3, 7.25, 3, 3, 1, 'u', 'd', CONCAT('é', CHAR(13)), '2000-01-03', '01:02:05', '3', '4', x'03',
  '2000-01-01 00:00:02', b'0011', 'red,green,blue', 1997)"
check "the source rows" test $? -eq 0

TCONF=$TMP/cb.conf
{ conf_header
  for s in cb cbt; do printf '[table %s]\nsource = items_src\ntarget = %s.items\ntime_column = ts\nkey = id\n' $s $s; done
  printf '[table cbn]\nsource = items_src\ntarget = cbn.items\ntime_column = ts\nkey = id\n'
  printf 'columns = id, ts, n\nexpr.n = IF(id = 3, REPEAT(%s, 1200), n)\n' "'7'"
} > "$TCONF"
t() { "$ETLRE" --config "$TCONF" "$@"; }
t init >/dev/null
check "etlre init" test $? -eq 0

# load TABLE [ARGS]: the day of TABLE (its rows are in hour 10) at debug, the log in $TMP/TABLE.log
load() { local tb=$1; shift; t process --date 2025-03-01 --table "$tb" --skip-invalid \
	--log-level debug "$@" >/dev/null 2>"$TMP/$tb.log"; }
load cb --chunk-size 3; RC=$?
is "$RC" 0 "binary table: exit 0 with --skip-invalid"
like "$(cat "$TMP/cb.log")" "table cb hour 2025-03-01T10:00:00: COPY binary$" "the debug log says the table went as COPY binary"
like "$(cat "$TMP/cb.log")" "the COPY binary batch was refused \\(new row for relation \"items\" violates check constraint \"items_n_positive\"\\); sent again as COPY text" \
	"a refused binary batch is sent again as text (for the CHECK, nothing else)"
check "no binary batch is refused for its format" bash -c "! grep 'COPY binary batch was refused' '$TMP/cb.log' | grep -qv items_n_positive"
load cbt --chunk-size 3; RC=$?
is "$RC" 0 "text table: exit 0 with --skip-invalid"
like "$(cat "$TMP/cbt.log")" "table cbt hour 2025-03-01T10:00:00: COPY text because column t is cbt.label" \
	"the debug log names the column that kept the table text"
check "the text table has no COPY binary line" bash -c "! grep -q 'COPY binary' '$TMP/cbt.log'"

# every value, in both tables: the same, and the expected ones
ROWQ="SELECT string_agg(concat_ws('|', id, ts, i2, bi, ub, n, f, d, b, vc, ch, t::text, dt, tm, js, jt, bl,
  tz AT TIME ZONE 'UTC', bits, tags, yr), E'\n' ORDER BY id) FROM"
is "$(pg "$ROWQ cb.items")" "1|2025-03-01 10:00:00|-128|-9223372036854775808|18446744073709551615|1.5000|0.1|0.30000000000000004|t|ñandú|ab|a	b
c\\|0001-01-01|23:59:59.999|{\"k\": [1, 2.5]}|{\"k\":  1}|\\x00ff0a|2025-03-01 09:59:59.5|0101|{red,blue}|2024
5|2025-03-01 10:20:00|1|1|1|0.0001|1|1|t|v|b|y|2000-01-01|01:02:03|1|2|\\x01|2000-01-01 00:00:00|1000|{blue}|1999
7|2025-03-01 10:30:00|3|3|3|7.2500|3|3|t|u|d|é$(printf '\r')|2000-01-03|01:02:05|3|4|\\x03|2000-01-01 00:00:02|0011|{red,green,blue}|1997" \
	"binary: every value exact (the refused and invalid rows left out)"
is "$(pg "$ROWQ cbt.items")" "$(pg "$ROWQ cb.items")" "text and binary load the same values"
is "$(pg "SELECT count(*) FROM cb.items")" 3 "three rows loaded"

# the rejects: the same rows, columns, values, rules, reasons and raw values
REJQ="SELECT string_agg(concat_ws(' | ', row_key, column_name, value, rule, reason, raw::text), E'\n' ORDER BY row_key) FROM etlre.rejects WHERE table_name ="
REJ_CB=$(pg "$REJQ 'cb'")
is "$(pg "SELECT string_agg(row_key || ' ' || rule, ', ' ORDER BY row_key) FROM etlre.rejects WHERE table_name = 'cb'")" \
	"id=2 constraint items_n_positive, id=3 numeric(10,4), id=4 varchar(8), id=6 constraint items_n_positive" \
	"binary: the refused rows (bisected in batches of 3) and the invalid ones are rejects"
like "$REJ_CB" "id=2 \\| n \\| -2\\.00000 \\| constraint items_n_positive \\| refused by the target: new row for relation \"items\" violates check constraint \"items_n_positive\"" \
	"a refused row names the constraint and the target's message"
like "$REJ_CB" '"tz": "1970-01-01 00:00:01(\.000)?\+00"' "the raw values are the text sent (a TIMESTAMP as a UTC instant)"
like "$REJ_CB" '"bl": "\\\\x"' "an empty blob's raw value as today (hex form)"
is "$(pg "$REJQ 'cbt'")" "$REJ_CB" "text and binary give the same rejects: values, rules, reasons and raw values"

# reprocess (replace) in binary: the same rows and the same rejects again
load cb --chunk-size 2; RC=$?
is "$RC" 0 "binary reprocess: exit 0"
like "$(cat "$TMP/cb.log")" "COPY binary" "the reprocess went as COPY binary"
is "$(pg "$ROWQ cb.items")" "$(pg "$ROWQ cbt.items")" "binary reprocess: the same values"
is "$(pg "$REJQ 'cb'")" "$REJ_CB" "binary reprocess: the same rejects"

# a value without a binary form: the rest of the hour goes as text
load cbn; RC=$?
is "$RC" 0 "numeric of 1200 digits: exit 0"
like "$(cat "$TMP/cbn.log")" "a value has no COPY binary form; the rest of the hour is sent as COPY text" \
	"the debug log says the rest of the hour went as text"
is "$(pg "SELECT string_agg(id || ':' || length(n::text), ',' ORDER BY id) FROM cbn.items")" \
	"1:7,2:8,3:1200,4:7,5:7,6:8,7:7" "every row loaded, the long value whole"
is "$(pg "SELECT n FROM cbn.items WHERE id = 3")" "$(printf '7%.0s' $(seq 1200))" "the long value exact"

# PostgreSQL applies the column's typmod to binary input as to text input
pg "CREATE TABLE cbn.narrow (v varchar(3), n numeric(5,2))" >/dev/null
psql "$ETLRE_TARGET_URL" -X -q -c "\\copy (SELECT 'abcd'::text, 1::numeric) TO '$TMP/long.bin' (FORMAT binary)" \
	-c "\\copy (SELECT 'abc'::text, 1.005::numeric) TO '$TMP/round.bin' (FORMAT binary)" \
	-c "\\copy (SELECT 'abc'::text, 12345.1::numeric) TO '$TMP/big.bin' (FORMAT binary)"
ERR=$(psql "$ETLRE_TARGET_URL" -X -q -c "\\copy cbn.narrow FROM '$TMP/long.bin' (FORMAT binary)" 2>&1)
like "$ERR" "value too long for type character varying\\(3\\)" "binary varchar(3): a longer value is refused"
ERR=$(psql "$ETLRE_TARGET_URL" -X -q -c "\\copy cbn.narrow FROM '$TMP/big.bin' (FORMAT binary)" 2>&1)
like "$ERR" "numeric field overflow" "binary numeric(5,2): an overflow is refused"
psql "$ETLRE_TARGET_URL" -X -q -c "\\copy cbn.narrow FROM '$TMP/round.bin' (FORMAT binary)" >/dev/null 2>&1
is "$(pg "SELECT v || ' ' || n FROM cbn.narrow")" "abc 1.01" "binary numeric(5,2): rounded to the scale, as text input does"

done_testing
