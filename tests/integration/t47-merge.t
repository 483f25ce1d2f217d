#!/usr/bin/env bash
# mode = merge: a target that a child table references with a foreign key is
# upserted on its key, hour by hour: a rerun rewrites nothing (xmin kept), a
# changed row is updated in place, a row the source no longer has is deleted
# (one still referenced fails its hour with the key and the referencing
# table), a row that moved to another hour is kept by its old hour and updated
# by its new one, rows the target refuses are isolated (--skip-invalid), a dry
# run writes nothing, verify is clean afterwards and status shows the job. A
# key that is not a primary key or unique index is a configuration error.
. "$(dirname "$0")/lib.sh"

conf_file "$TMP/merge.conf" <<'EOF'
[table accounts]
source = accounts
target = analytics.accounts
time_column = updated_at
key = id
mode = merge
EOF
sed 's/^mode = merge/mode = replace/' "$TMP/merge.conf" > "$TMP/replace.conf"
sed 's/^key = id/key = name/' "$TMP/merge.conf" > "$TMP/badkey.conf"
CONF="$TMP/merge.conf"

setup() {
	pg "DROP SCHEMA IF EXISTS analytics CASCADE; DROP SCHEMA IF EXISTS etlre CASCADE;
	    CREATE SCHEMA analytics;
	    CREATE TABLE analytics.regions (id int PRIMARY KEY);
	    INSERT INTO analytics.regions VALUES (1), (2);
	    CREATE TABLE analytics.accounts (
	      id bigint PRIMARY KEY,
	      updated_at timestamp(3) NOT NULL,
	      name varchar(40) NOT NULL,
	      balance numeric(10,2) CONSTRAINT accounts_balance_nonneg CHECK (balance >= 0),
	      region_id int REFERENCES analytics.regions (id));
	    CREATE TABLE analytics.account_notes (
	      note_id int PRIMARY KEY,
	      account_id bigint NOT NULL REFERENCES analytics.accounts (id));" &&
	my "DROP TABLE IF EXISTS accounts;
	    CREATE TABLE accounts (id INT PRIMARY KEY, updated_at DATETIME(3) NOT NULL,
	      name VARCHAR(40) NOT NULL, balance DECIMAL(10,2), region_id INT);
	    INSERT INTO accounts VALUES
	      (1, '2025-11-02 10:05:00', 'ana', 10.00, 1),
	      (2, '2025-11-02 10:10:00', 'bo', 20.00, 2),
	      (3, '2025-11-02 10:20:00', 'cy', 30.00, 1),
	      (4, '2025-11-02 11:00:00', 'di', 40.00, NULL),
	      (5, '2025-11-02 11:59:59.999', 'ed', 50.00, 2),
	      (6, '2025-11-02 12:30:00', 'flo', 60.00, 1)" &&
	etlre init >/dev/null
}
setup 2>"$TMP/setup.log"
check "set up source, target with a referencing child table, etlre init" test $? -eq 0 || cat "$TMP/setup.log" >&2

src_accounts() { my "SELECT id, DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f'), name, balance, COALESCE(region_id, '-') FROM accounts ORDER BY id" | cut -c1-200; }
tgt_accounts() { pg "SELECT id, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS.US'), name, balance, coalesce(region_id::text, '-') FROM analytics.accounts ORDER BY id" | tr '|' '\t'; }
xmins() { pg "SELECT id || ':' || xmin FROM analytics.accounts ORDER BY id" | tr '\n' ' '; }
xmin_of() { pg "SELECT xmin FROM analytics.accounts WHERE id = $1"; }
snapshot() {
	pg "SELECT md5(string_agg(t, E'\n' ORDER BY t)) FROM (
	      SELECT 'a' || a::text || a.xmin AS t FROM analytics.accounts a
	      UNION ALL SELECT 'n' || n::text FROM analytics.account_notes n
	      UNION ALL SELECT 'j' || j::text FROM etlre.jobs j
	      UNION ALL SELECT 'h' || h::text FROM etlre.job_hours h
	      UNION ALL SELECT 'l' || l::text FROM etlre.loaded_hours l
	      UNION ALL SELECT 'r' || r::text FROM etlre.rejects r) x"
}

# --- a key that is no primary key or unique index: exit 2 before anything happens
CONF=$TMP/badkey.conf run_etlre process --date 2025-11-02
is "$RC" 2 "key that is not unique in the target: exit 2"
like "$ERR" "mode = merge needs the key .*name.* to be the primary key or a unique index of the target analytics.accounts" \
	"the error says the key must be a primary key or unique index"
is "$(pg "SELECT count(*) FROM analytics.accounts") $(pg "SELECT count(*) FROM etlre.jobs")" "0 0" "nothing was written"

# --- first load
run_etlre process --date 2025-11-02
is "$RC" 0 "first load: exit 0"
is "$(tgt_accounts)" "$(src_accounts)" "first load: target = source"
like "$OUT" 'accounts +24 +0 +0 +6 +6 +0 +0 ' "summary: 24 hours, 6 read, 6 loaded, 0 rejected, 0 deleted"
pg "INSERT INTO analytics.account_notes VALUES (1, 1), (2, 2), (4, 4)"

# replace mode could not do this: deleting the hour's rows breaks the child's FK
CONF=$TMP/replace.conf run_etlre process --date 2025-11-02
is "$RC" 1 "the same table in replace mode fails (the child references its rows)"
like "$ERR" 'violates foreign key constraint' "replace mode: a foreign key violation"

# --- rerun is idempotent and rewrites nothing
before=$(xmins)
run_etlre process --date 2025-11-02 --log-level info
is "$RC" 0 "rerun: exit 0"
is "$(xmins)" "$before" "rerun: no row rewritten (every xmin unchanged)"
is "$(tgt_accounts)" "$(src_accounts)" "rerun: target = source"
like "$ERR" 'table accounts hour 2025-11-02T10:00:00: merge: 0 inserted, 0 updated, 3 unchanged, 0 deleted' \
	"rerun: the log says the hour's rows were unchanged"
is "$(pg "SELECT count(*) FROM analytics.account_notes")" 3 "the child rows are intact"

# --- a changed source value updates the row in place; its neighbours stay untouched
my "UPDATE accounts SET name = 'bob', balance = 21.50 WHERE id = 2"
x1=$(xmin_of 1); x2=$(xmin_of 2); x3=$(xmin_of 3)
run_etlre process --date 2025-11-02 --log-level info
is "$RC" 0 "changed value: exit 0"
is "$(pg "SELECT name || ' ' || balance FROM analytics.accounts WHERE id = 2")" "bob 21.50" "the changed row is updated"
check "the changed row was rewritten (new xmin)" test "$(xmin_of 2)" != "$x2"
is "$(xmin_of 1) $(xmin_of 3)" "$x1 $x3" "the unchanged rows of the hour keep their xmin"
like "$ERR" 'hour 2025-11-02T10:00:00: merge: 0 inserted, 1 updated, 2 unchanged' "the log counts 1 updated, 2 unchanged"

# --- a row the source no longer has is deleted
my "DELETE FROM accounts WHERE id = 3"
run_etlre process --date 2025-11-02
is "$RC" 0 "deleted source row: exit 0"
is "$(pg "SELECT count(*) FROM analytics.accounts WHERE id = 3")" 0 "the row is deleted from the target"
like "$OUT" 'accounts +24 +0 +0 +5 +5 +0 +1 ' "summary: 1 row deleted"
is "$(tgt_accounts)" "$(src_accounts)" "target = source"

# --- ... unless a child still references it: the hour fails, naming the key and the child table
my "DELETE FROM accounts WHERE id = 1"
before10=$(pg "SELECT string_agg(id::text, ',' ORDER BY id) FROM analytics.accounts WHERE updated_at < '2025-11-02 11:00'")
run_etlre process --date 2025-11-02
is "$RC" 1 "deleted source row still referenced: exit 1"
like "$ERR" 'table accounts hour 2025-11-02T10:00:00: cannot delete the target rows whose key the source no longer has: .*violates foreign key constraint.*Key \(id\)=\(1\) is still referenced from table "account_notes"' \
	"the error names the key and the referencing table"
job=$(pg "SELECT max(job_id) FROM etlre.jobs")
is "$(pg "SELECT extract(hour FROM hour)::int || ':' || error_class FROM etlre.job_hours WHERE job_id = $job AND status = 'failed'")" \
	"10:constraint" "only hour 10 failed, with class constraint"
is "$(pg "SELECT string_agg(id::text, ',' ORDER BY id) FROM analytics.accounts WHERE updated_at < '2025-11-02 11:00'")" "$before10" \
	"the failed hour keeps its previous content"
run_etlre process --date 2025-11-02 --skip-invalid
is "$RC" 1 "with --skip-invalid too: a referenced row is no invalid source row, the hour fails"
pg "DELETE FROM analytics.account_notes WHERE account_id = 1"
run_etlre process --date 2025-11-02
is "$RC" 0 "once the child row is gone: exit 0"
is "$(pg "SELECT count(*) FROM analytics.accounts WHERE id = 1")" 0 "the row is deleted"

# --- rows that move to another hour: 4 (referenced) forward from 11 to 12, 6 back from 12 to 10
my "UPDATE accounts SET updated_at = '2025-11-02 12:15:00' WHERE id = 4;
    UPDATE accounts SET updated_at = '2025-11-02 10:45:00' WHERE id = 6"
# one worker: the per-hour counts below are those of hours loaded in order (11
# before 12); with several workers either may go first and the counts move
# between the lines (the end state, target = source, is the same)
run_etlre process --date 2025-11-02 --log-level info --jobs 1
is "$RC" 0 "moved rows: exit 0"
is "$(tgt_accounts)" "$(src_accounts)" "moved rows: target = source"
like "$ERR" 'hour 2025-11-02T11:00:00: merge: 0 inserted, 0 updated, 1 unchanged, 0 deleted, 0 refused, 1 kept' \
	"hour 11 keeps row 4, which the source now has in hour 12"
like "$ERR" 'hour 2025-11-02T12:00:00: merge: 0 inserted, 1 updated, 0 unchanged, 0 deleted' "hour 12 updates row 4"
like "$ERR" 'hour 2025-11-02T10:00:00: merge: 0 inserted, 1 updated, 1 unchanged, 0 deleted' "hour 10 takes row 6 from hour 12"
is "$(pg "SELECT account_id FROM analytics.account_notes WHERE note_id = 4")" 4 "the child row of the moved row is intact"

# --- rows the target refuses: a CHECK (balance) and a foreign key (region)
my "INSERT INTO accounts VALUES (7, '2025-11-02 10:50:00', 'gus', -5.00, 1), (8, '2025-11-02 10:55:00', 'hal', 1.00, 99);
    UPDATE accounts SET balance = -3 WHERE id = 5"
before=$(tgt_accounts)
run_etlre process --date 2025-11-02
is "$RC" 1 "refused rows without --skip-invalid: exit 1"
like "$ERR" 'invalid row in table accounts, hour 2025-11-02T10:00:00, key id=7: column balance value .-5.00. breaks rule constraint accounts_balance_nonneg' \
	"the error names the key, column, value and constraint"
like "$ERR" 'hour 2025-11-02T11:00:00, key id=5: .*accounts_balance_nonneg' "the refused update of row 5 fails hour 11"
is "$(tgt_accounts)" "$before" "the failed hours keep their previous content"
run_etlre process --date 2025-11-02 --skip-invalid
is "$RC" 0 "--skip-invalid: exit 0"
is "$(pg "SELECT row_key || ' ' || rule FROM etlre.rejects ORDER BY row_key")" \
"id=5 constraint accounts_balance_nonneg
id=7 constraint accounts_balance_nonneg
id=8 constraint accounts_region_id_fkey" "each refused row is in etlre.rejects with its constraint"
like "$(pg "SELECT reason FROM etlre.rejects WHERE row_key = 'id=8'")" 'foreign key' "the reason carries the target's message"
is "$(pg "SELECT string_agg(id::text, ',' ORDER BY id) FROM analytics.accounts")" "2,4,6" \
	"the refused rows are not loaded, and row 5's old version is gone (as in replace mode)"
like "$OUT" 'accounts +24 +0 +0 +6 +3 +3 +1 ' "summary: 6 read, 3 loaded, 3 rejected, 1 deleted"

# --- dry run: reports what merge would do, writes nothing
my "DELETE FROM accounts WHERE id IN (5, 7, 8); UPDATE accounts SET name = 'dina' WHERE id = 4;
    INSERT INTO accounts VALUES (9, '2025-11-02 12:40:00', 'ivy', 9.00, 2)"
pg "INSERT INTO analytics.accounts VALUES (10, '2025-11-02 12:41:00', 'stray', 1, NULL)"
before=$(snapshot)
run_etlre process --date 2025-11-02 --dry-run --log-level info --json
is "$RC" 0 "dry run: exit 0"
is "$(snapshot)" "$before" "dry run: target unchanged (rows, xmins and etlre's tables)"
h12=$(printf '%s' "$OUT" | grep -o '{"table":"accounts","hour":"2025-11-02T12:00:00"[^}]*}')
like "$h12" '"rows_read":2,"rows_loaded":2,"rows_rejected":0,"rows_deleted":1' "dry run: hour 12 would load 2 rows and delete 1"
like "$ERR" 'hour 2025-11-02T12:00:00: merge: 1 inserted, 1 updated, 0 unchanged, 1 deleted' "dry run: the log says what merge would do"
run_etlre process --date 2025-11-02
is "$RC" 0 "the real run: exit 0"
is "$(tgt_accounts)" "$(src_accounts)" "target = source"

# --- the same with a day as one transaction, and with two workers
before=$(xmins)
run_etlre process --date 2025-11-02 --batch-mode daily
is "$RC" 0 "--batch-mode daily: exit 0"
run_etlre process --date 2025-11-02 --jobs 2
is "$RC" 0 "--jobs 2: exit 0"
is "$(xmins)" "$before" "daily and parallel reruns rewrite nothing either"
job=$(pg "SELECT max(job_id) FROM etlre.jobs")

# --- verify is clean, status shows the job
run_etlre verify --date 2025-11-02 --deep
is "$RC" 0 "verify --deep afterwards: exit 0"
run_etlre status --job-id "$job"
is "$RC" 0 "status --job-id: exit 0"
like "$OUT" "$job +succeeded +process" "status shows the merge job as succeeded"
like "$OUT" 'accounts +2025-11-02T12:00:00 +succeeded' "status lists the job's hours"
# --- moved rows, the cases of replace mode (t49): rows moved to other days, in
# and out of the processed range, with --jobs, --skip-invalid, --dry-run and
# two overlapping jobs; each compared hour by hour and row by row afterwards
src_hours() { my "SELECT DATE_FORMAT(updated_at, '%Y-%m-%d %H'), COUNT(*) FROM accounts GROUP BY 1 ORDER BY 1"; }
tgt_hours() { pg "SELECT to_char(updated_at, 'YYYY-MM-DD HH24'), count(*) FROM analytics.accounts GROUP BY 1 ORDER BY 1" | tr '|' '\t'; }
same() {
	is "$(tgt_hours)" "$(src_hours)" "$1: per-hour counts equal"
	is "$(tgt_accounts)" "$(src_accounts)" "$1: content equal"
}
same "before the moves"
my "UPDATE accounts SET updated_at = '2025-11-01 23:30:00' WHERE id = 2;
    UPDATE accounts SET updated_at = '2025-11-03 01:00:00' WHERE id = 9"
run_etlre process --start-date 2025-11-01 --end-date 2025-11-03 --jobs 2 --skip-invalid
is "$RC" 0 "moves to an earlier and a later day, --jobs 2 --skip-invalid: exit 0"
is "$(pg "SELECT count(*) FROM etlre.rejects")" 0 "nothing rejected for the moved rows"
same "moved to other days"
is "$(pg "SELECT account_id FROM analytics.account_notes WHERE note_id = 2")" 2 "the moved row's child row is intact"

# only the row's new day is processed: the row moves with it (updated in place)
my "UPDATE accounts SET updated_at = '2025-11-04 05:00:00' WHERE id = 2"
run_etlre process --date 2025-11-04
is "$RC" 0 "only the new day: exit 0"
same "only the new day processed"
# only the row's old day is processed: the old hour keeps it until its new day runs
my "UPDATE accounts SET updated_at = '2025-11-05 06:00:00' WHERE id = 6"
run_etlre process --date 2025-11-02 --log-level info
is "$RC" 0 "only the old day: exit 0"
like "$ERR" 'hour 2025-11-02T10:00:00: merge: .* 0 deleted, 0 refused, 1 kept' "only the old day: its hour keeps the row, as documented (kept)"
run_etlre process --date 2025-11-05
is "$RC" 0 "then the new day: exit 0"
same "old day then new day"

# --dry-run with a move commits nothing
my "UPDATE accounts SET updated_at = '2025-11-01 02:00:00' WHERE id = 4"
before=$(snapshot)
run_etlre process --start-date 2025-11-01 --end-date 2025-11-02 --dry-run
is "$RC" 0 "dry run with a moved row: exit 0"
is "$(snapshot)" "$before" "dry run with a moved row: target unchanged"
run_etlre process --start-date 2025-11-01 --end-date 2025-11-02
same "the real run after the dry run"

# two overlapping jobs, rows moved between their days
my "UPDATE accounts SET updated_at = '2025-11-03 07:00:00' WHERE id = 4;
    UPDATE accounts SET updated_at = '2025-11-02 08:00:00' WHERE id = 9;
    UPDATE accounts SET updated_at = '2025-11-01 09:00:00' WHERE id = 2"
etlre process --start-date 2025-11-01 --end-date 2025-11-05 --jobs 2 >/dev/null 2>"$TMP/a.err" &
pa=$!
etlre process --start-date 2025-11-02 --end-date 2025-11-04 >/dev/null 2>"$TMP/b.err" &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
is "$ra $rb" "0 0" "two overlapping merge jobs: both exit 0"
same "two overlapping jobs"

# a key the source repeats within one hour is an invalid row naming the key
my "ALTER TABLE accounts DROP PRIMARY KEY, ADD KEY (id);
    INSERT INTO accounts VALUES (9, '2025-11-02 08:30:00', 'ivy again', 9.50, 2)"
run_etlre process --date 2025-11-02
is "$RC" 1 "a key twice in the source hour: exit 1"
like "$ERR" 'invalid row in table accounts, hour 2025-11-02T08:00:00, key id=9: .*the source has this key more than once in the hour' \
	"the error names the key and says the source repeats it"
run_etlre process --date 2025-11-02 --skip-invalid
is "$RC" 0 "--skip-invalid: exit 0"
is "$(pg "SELECT row_key FROM etlre.rejects")" "id=9" "one copy rejected, naming the key"
is "$(pg "SELECT count(*) FROM analytics.accounts WHERE id = 9")" 1 "the key is loaded once"
done_testing
