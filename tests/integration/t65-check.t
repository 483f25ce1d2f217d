#!/usr/bin/env bash
# etlre check: healthy after a load (exit 0, one ok line per check); etlre's
# tables missing, at an older or newer version, or one of them dropped; a
# configured column or table missing on either side; an unwritable
# [etlre] rejects_dir; a last load older than --max-age or none at all: exit
# 1 naming the check that failed; a bad --max-age exits 2; the source or
# the target unreachable exits 4 without showing a password; --json is one
# object with every check.
. "$(dirname "$0")/lib.sh"

json_get() { printf '%s' "$OUT" | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
# line CHECK: the output line of one check ("ok    table calls ...")
line() { printf '%s\n' "$OUT" | grep -E "^[a-zA-Z]+ +$1 " ; }

reset_databases
check "reset databases" test $? -eq 0

# ---- before any load
run_etlre check
is "$RC" 0 "fresh tables, nothing loaded yet, no --max-age: exit 0"
like "$(line 'freshness calls')" '^ok +freshness calls +never loaded \(no --max-age given\)' "freshness says never loaded"
run_etlre check --max-age 36h
is "$RC" 1 "nothing loaded yet with --max-age 36h: exit 1"
like "$(line 'freshness calls')" '^FAIL +freshness calls +never loaded$' "names the table never loaded"
like "$OUT" 'unhealthy: 1 check\(s\) failed' "the last line says unhealthy"

# ---- healthy
run_etlre process --date 2025-11-02 --skip-invalid
is "$RC" 0 "load a day"
run_etlre check --max-age 90m
is "$RC" 0 "after a load: healthy, exit 0"
like "$(line source)" '^ok +source +connected to etl@127\.0\.0\.1:[0-9]+/ivr_test' "source ok"
like "$(line target)" '^ok +target +connected to etl@127\.0\.0\.1:[0-9]+/analytics_test' "target ok"
like "$(line ledger)" "^ok +ledger +etlre's tables in schema 'etlre' at version 4" "ledger ok, with its version"
like "$(line 'table calls')" '^ok +table calls +calls -> analytics\.calls: 11 column\(s\), key call_id, time column start_time' "table ok, with its columns"
like "$(line 'freshness calls')" '^ok +freshness calls +last load [0-9T:Z-]+, [0-9]+s ago' "freshness ok, with the last load"
like "$(line jobs)" '^ok +jobs +none running, none stale' "jobs ok: none running, none stale"
like "$OUT" '^healthy: 6 check\(s\) ok' "the last line says healthy"
is "$ERR" "" "nothing on stderr"

# ---- --json
run_etlre check --max-age 2d --json
is "$RC" 0 "--json: exit 0"
is "$(printf '%s' "$OUT" | head -c 1)" "{" "--json prints only JSON on stdout"
is "$(json_get 'j["status"], j["max_age_seconds"], [(c["check"], c["table"], c["status"]) for c in j["checks"]]')" \
	"healthy 172800 [('source', None, 'ok'), ('target', None, 'ok'), ('ledger', None, 'ok'), ('table', 'calls', 'ok'), ('freshness', 'calls', 'ok'), ('jobs', None, 'ok')]" \
	"json: status, --max-age in seconds, every check"
is "$(json_get 'j["stuck_after_seconds"]')" 900 "json: the stuck limit in seconds (default [etlre] stuck_after, 900)"
run_etlre check --stuck-after 2h --json
is "$(json_get 'j["stuck_after_seconds"]')" 7200 "json: --stuck-after overrides [etlre] stuck_after"
is "$(json_get '" ".join(sorted(j["checks"][4].keys()))')" "age_seconds check detail last_load status table" "json: the fields of a freshness check"
is "$(json_get 'j["checks"][4]["last_load"] == "'"$(pg "SELECT to_char(max(loaded_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM etlre.loaded_hours")"'", 0 <= j["checks"][4]["age_seconds"] < 600')" \
	"True True" "json: last_load is the ledger's latest load, age_seconds how long ago"

# ---- stale
pg "UPDATE etlre.loaded_hours SET loaded_at = now() - interval '3 days 5 minutes'"
run_etlre check --max-age 2d
is "$RC" 1 "last load 3 days ago, --max-age 2d: exit 1"
like "$(line 'freshness calls')" '^FAIL +freshness calls +last load [0-9T:Z-]+, 3d [45]m ago: older than --max-age 2d' "names the stale table and its age"
run_etlre check --max-age 4d
is "$RC" 0 "--max-age 4d: exit 0"
run_etlre check --max-age 71h --json
is "$(json_get 'j["status"], j["checks"][4]["status"], j["checks"][4]["age_seconds"] >= 3 * 86400')" "unhealthy fail True" "json: unhealthy, freshness fail"
pg "UPDATE etlre.loaded_hours SET loaded_at = now() - interval '100 minutes'"
run_etlre check --max-age 90m
is "$RC" 1 "100 minutes ago, --max-age 90m: exit 1"
run_etlre check --max-age 2h
is "$RC" 0 "--max-age 2h: exit 0"
# again just before: on a loaded machine the two runs above can take seconds
pg "UPDATE etlre.loaded_hours SET loaded_at = now() - interval '100 minutes'"
run_etlre check --max-age 6010s
is "$RC" 0 "--max-age 6010s, 100 minutes (6000 s) after the last load: exit 0"

for bad in 36 36x 0h -1h h 1.5h 2d3h '' 999999999w; do
	run_etlre check --max-age "$bad"
	is "$RC" 2 "--max-age '$bad': exit 2"
done
like "$ERR" "--max-age must be a whole number and a unit" "says what --max-age takes"

# ---- etlre's tables
pg "INSERT INTO etlre.schema_version (version) VALUES (5)"
run_etlre check
is "$RC" 1 "ledger at a newer version: exit 1"
like "$(line ledger)" "^FAIL +ledger +etlre's tables in schema 'etlre' are at version 5, newer than this etlre \\(4\\): upgrade etlre" "says upgrade etlre"
pg "DELETE FROM etlre.schema_version WHERE version >= 2"
run_etlre check
is "$RC" 1 "ledger at an older version: exit 1"
like "$(line ledger)" "^FAIL +ledger +.*at version 1, this etlre needs 4: run 'etlre init'" "says run etlre init"
pg "INSERT INTO etlre.schema_version (version) VALUES (2), (3), (4)"
run_etlre check
is "$RC" 0 "version 4 again: exit 0"
pg "DROP TABLE etlre.job_days"
run_etlre check
is "$RC" 1 "a table of etlre's dropped: exit 1"
like "$(line ledger)" "^FAIL +ledger +schema 'etlre' is at version 4 but lacks job_days" "names the missing table"
like "$(line 'freshness calls')" '^ok +freshness calls' "the other checks still run"
pg "SET client_min_messages = warning; DROP SCHEMA etlre CASCADE"
run_etlre check --json
is "$RC" 1 "etlre's tables missing: exit 1"
is "$(json_get '[(c["check"], c["status"]) for c in j["checks"] if c["status"] != "ok"], j["checks"][2]["detail"]')" \
	"[('ledger', 'fail'), ('jobs', 'skipped')] etlre's tables are missing in schema 'etlre': run 'etlre init'" "json: the ledger fails, the jobs are not checked, the rest is ok"
run_etlre check --max-age 1d
is "$RC" 1 "etlre's tables missing with --max-age: exit 1"
like "$(line 'freshness calls')" '^skip +freshness calls +not checked' "freshness is skipped"
run_etlre init
is "$RC" 0 "etlre init again"

# ---- configured tables and columns
pg "ALTER TABLE analytics.calls RENAME COLUMN agent TO agent_name"
cp "$CONF" "$TMP/cols.conf"
sed -i 's/^key = call_id$/key = call_id\ncolumns = call_id, start_time, agent/' "$TMP/cols.conf"
run_with "$TMP/cols.conf" check
is "$RC" 1 "a configured column missing in the target: exit 1"
like "$(line 'table calls')" "^FAIL +table calls +\\[table calls\\] column 'agent' does not exist in the target analytics.calls" "names the table and the column"
pg "ALTER TABLE analytics.calls RENAME COLUMN agent_name TO agent"
my "ALTER TABLE calls CHANGE agent agent_x VARCHAR(64)"
run_with "$TMP/cols.conf" check
is "$RC" 1 "a configured column missing in the source: exit 1"
like "$(line 'table calls')" "^FAIL +table calls +\\[table calls\\] column 'agent' does not exist in the source" "names the source column"
my "ALTER TABLE calls CHANGE agent_x agent VARCHAR(64)"
run_with "$TMP/cols.conf" check
is "$RC" 0 "the column back: exit 0"
cat >>"$TMP/cols.conf" <<'EOF2'

[table ghost]
source = ghost_calls
target = analytics.ghost_calls
time_column = start_time
key = call_id
EOF2
run_with "$TMP/cols.conf" check
is "$RC" 1 "a configured table missing: exit 1"
like "$(line 'table ghost')" "^FAIL +table ghost +\\[table ghost\\] target table analytics.ghost_calls does not exist" "names the missing table"
like "$(line 'table calls')" '^ok +table calls' "the other table is still checked"

# ---- [etlre] rejects_dir
mkdir -p "$TMP/rejects"
sed 's#^\[etlre\]$#[etlre]\nrejects_dir = '"$TMP"'/rejects#' "$CONF" > "$TMP/rej.conf"
run_with "$TMP/rej.conf" check
is "$RC" 0 "a writable rejects_dir: exit 0"
like "$(line rejects_dir)" "^ok +rejects_dir +'$TMP/rejects' is writable" "rejects_dir ok"
is "$(ls -A "$TMP/rejects")" "" "the probe file is removed"
run_with "$TMP/rej.conf" process --date 2025-11-02 --skip-invalid --rejects-file r.csv.gz
is "$RC" 0 "process --rejects-file with a relative path"
is "$(zcat "$TMP/rejects/r.csv.gz" | tail -n +2 | wc -l)" 4 "the rejects file is written in rejects_dir"
sed -i 's#^rejects_dir = .*#rejects_dir = '"$TMP"'/no-such-dir#' "$TMP/rej.conf"
run_with "$TMP/rej.conf" check
is "$RC" 1 "a rejects_dir that does not exist: exit 1"
like "$(line rejects_dir)" "^FAIL +rejects_dir +rejects_dir '$TMP/no-such-dir': No such file or directory" "says why"
sed -i 's#^rejects_dir = .*#rejects_dir = '"$CONF"'#' "$TMP/rej.conf"
run_with "$TMP/rej.conf" check
is "$RC" 1 "a rejects_dir that is a file: exit 1"
like "$(line rejects_dir)" "^FAIL +rejects_dir +rejects_dir '$CONF' is not a directory" "says it is not a directory"
sed -i 's#^rejects_dir = .*#rejects_dir = /proc/self#' "$TMP/rej.conf"
run_with "$TMP/rej.conf" check
is "$RC" 1 "a rejects_dir that takes no files (/proc/self, even for root): exit 1"
like "$(line rejects_dir)" "^FAIL +rejects_dir +rejects_dir cannot create a file in '/proc/self'" "says it cannot create a file there"

# ---- unreachable servers: exit 4, no password shown
OUT=$(ETLRE_SOURCE_URL="mariadb://etl:s3cret-pw@127.0.0.1:1/nosuch" "$ETLRE" --config "$CONF" check 2>"$TMP/stderr"); RC=$?; ERR=$(cat "$TMP/stderr")
is "$RC" 4 "source unreachable: exit 4"
like "$(line source)" "^FAIL +source +cannot connect to the source etl@127.0.0.1:1/nosuch" "the source line says so"
like "$(line target)" '^ok +target' "the target is still checked"
like "$(line 'table calls')" '^skip +table calls' "the tables are skipped"
like "$OUT" '^unreachable: 1 check\(s\) failed' "the last line says unreachable"
is "$(printf '%s\n%s' "$OUT" "$ERR" | grep -c 's3cret-pw')" 0 "the password appears nowhere"
OUT=$(ETLRE_TARGET_URL="postgresql://etl:s3cret-pw@127.0.0.1:1/nosuch?connect_timeout=2" "$ETLRE" --config "$CONF" check --json 2>"$TMP/stderr"); RC=$?; ERR=$(cat "$TMP/stderr")
is "$RC" 4 "target unreachable: exit 4"
is "$(json_get 'j["status"], [(c["check"], c["status"]) for c in j["checks"]]')" \
	"unreachable [('source', 'ok'), ('target', 'fail'), ('ledger', 'skipped'), ('table', 'skipped'), ('freshness', 'ok'), ('jobs', 'skipped')]" \
	"json: unreachable; the target fails, what needs it is skipped"
is "$(printf '%s\n%s' "$OUT" "$ERR" | grep -c 's3cret-pw')" 0 "the password appears nowhere"

# ---- usage
run_etlre check --bogus
is "$RC" 2 "an unknown option: exit 2"
run_etlre check extra
is "$RC" 2 "an argument: exit 2"
run_with "$TMP/none.conf" check
is "$RC" 2 "a missing config file: exit 2"

done_testing
