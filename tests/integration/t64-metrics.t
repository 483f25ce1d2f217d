#!/usr/bin/env bash
# --metrics-file: process, verify and status write a file in the Prometheus
# text exposition format that passes a strict line-by-line check, with the
# values of their summaries; the file is replaced by a rename and no
# temporary file is left; forked workers leave the writing to the parent; a
# configuration error and an unreachable server are recorded as exit status
# 2 and 4; a path that cannot be written exits 2 before any work is done.
. "$(dirname "$0")/lib.sh"

# prom_check FILE: checks FILE strictly (every line a HELP, TYPE or sample
# line of the text format; HELP then TYPE before a metric's samples, which
# are contiguous; labels command and table only; no repeated series; a final
# newline) and prints its samples as "name table value" lines, table "-"
# for samples without one. Exits 1 with the offending line otherwise.
prom_check() {
	python3 - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
def bad(msg, line=""):
    sys.stderr.write("prom_check: %s: %r\n" % (msg, line)); sys.exit(1)
if not text.endswith("\n"):
    bad("no final newline")
name_re = r"etlre_[a-z_]+"
help_re = re.compile(r"^# HELP (%s) (\S.*)$" % name_re)
type_re = re.compile(r"^# TYPE (%s) (gauge|counter)$" % name_re)
value_re = r"(-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?|NaN|[+-]Inf)"
label_value = r'"((?:[^"\\\n]|\\[\\"n])*)"'
sample_re = re.compile(r"^(%s)\{command=%s(?:,table=%s)?\} %s$" % (name_re, label_value, label_value, value_re))
state = {}      # name -> "help", "type", "samples", "done"
current = None
series = set()
for line in text[:-1].split("\n"):
    m = help_re.match(line)
    if m:
        if m.group(1) in state: bad("HELP repeated or late", line)
        if current: state[current] = "done"
        current = m.group(1); state[current] = "help"; continue
    m = type_re.match(line)
    if m:
        if m.group(1) != current or state[current] != "help": bad("TYPE not right after its HELP", line)
        state[current] = "type"; continue
    m = sample_re.match(line)
    if not m: bad("not a HELP, TYPE or sample line of etlre's metrics", line)
    name, command, table, value = m.groups()
    if name != current or state[current] not in ("type", "samples"): bad("sample outside its metric's block", line)
    state[current] = "samples"
    if (name, command, table) in series: bad("series repeated", line)
    series.add((name, command, table))
    print(name, table if table is not None else "-", value)
if any(s != "samples" and s != "done" for s in state.values()) or (current and state[current] != "samples"):
    bad("a metric without samples")
EOF
}
# promlint FILE: promtool's own lint of FILE (Debian's prometheus package):
# its complaints and exit status, nothing when the file is clean
promlint() { promtool check metrics <"$1" 2>&1 || echo "promtool exit $?"; }
# metric NAME [TABLE]: the value of NAME (for TABLE) in $SAMPLES, empty if absent
metric() { printf '%s\n' "$SAMPLES" | awk -v n="$1" -v t="${2:--}" '$1 == n && $2 == t { print $3 }'; }
# labels FILE: the distinct command labels in FILE
commands_in() { grep -o 'command="[^"]*"' "$1" | sort -u | tr '\n' ' '; }
json_get() { printf '%s' "$OUT" | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
# near A B TOLERANCE: |A - B| <= TOLERANCE
near() { python3 -c "import sys; sys.exit(0 if abs(float('$1') - float('$2')) <= float('$3') else 1)"; }
last_load_epoch() { pg "SELECT extract(epoch FROM max(loaded_at)) FROM etlre.loaded_hours WHERE table_name = 'calls'"; }

reset_databases
check "reset databases" test $? -eq 0
mkdir -p "$TMP/prom"
PROM=$TMP/prom/etlre.prom

# ---- process: the summary's numbers, a strict file
run_etlre --metrics-file "$PROM" process --date 2025-11-02 --skip-invalid --json
is "$RC" 0 "process --date 2025-11-02 --skip-invalid with --metrics-file exits 0"
SAMPLES=$(prom_check "$PROM")
check "the process metrics file passes the strict format check" test $? -eq 0 -a -n "$SAMPLES"
is "$(promlint "$PROM")" "" "promtool check metrics: no complaint about the process file"
is "$(metric etlre_rows_read calls) $(metric etlre_rows_loaded calls) $(metric etlre_rows_rejected calls)" \
	"$(json_get '" ".join(str(j["tables"][0][k]) for k in ("rows_read", "rows_loaded", "rows_rejected"))')" \
	"rows read, loaded and rejected match the JSON summary"
is "$(metric etlre_rows_read calls) $(metric etlre_rows_loaded calls) $(metric etlre_rows_rejected calls)" \
	"382 378 4" "the day's 382 rows: 378 loaded, 4 rejected"
is "$(metric etlre_chunks_succeeded calls) $(metric etlre_chunks_failed calls) $(metric etlre_chunks_pending calls)" \
	"24 0 0" "24 hours succeeded, none failed or pending"
is "$(metric etlre_exit_status)" 0 "exit status 0 recorded"
is "$(commands_in "$PROM")" 'command="process" ' "every sample is labelled command=\"process\""
is "$(metric etlre_verify_chunks_differ calls)" "" "no verify metrics in a process run"
check "duration is positive and no longer than the command" \
	near "$(metric etlre_duration_seconds)" "$(json_get 'j["wall_seconds"]')" 1
check "finished time is now" near "$(metric etlre_finished_timestamp_seconds)" "$(date +%s)" 60
check "last success time is the ledger's latest load of calls" \
	near "$(metric etlre_last_success_timestamp_seconds calls)" "$(last_load_epoch)" 0.001
is "$(ls -A "$TMP/prom")" "etlre.prom" "no temporary file is left next to it"
is "$(stat -c %a "$PROM")" 644 "the file is readable by node_exporter (0644)"

# ---- failed hours: exit 1 and the failed hours
run_etlre process --date 2025-11-02 --json --metrics-file "$PROM"
is "$RC" 1 "process without --skip-invalid exits 1 (invalid rows)"
SAMPLES=$(prom_check "$PROM")
check "the file still passes the check" test $? -eq 0
is "$(metric etlre_chunks_failed calls) $(metric etlre_chunks_succeeded calls)" \
	"$(json_get 'j["tables"][0]["hours_failed"], j["tables"][0]["hours"] - j["tables"][0]["hours_failed"]')" \
	"failed and succeeded hours match the JSON summary"
check "some hours failed" test "$(metric etlre_chunks_failed calls)" -gt 0
is "$(metric etlre_exit_status)" 1 "exit status 1 recorded"

# ---- several workers: the parent writes the whole job's numbers once
run_etlre process --start-date 2025-11-01 --end-date 2025-11-03 --skip-invalid --jobs 2 --json \
	--metrics-file "$PROM"
is "$RC" 0 "process --jobs 2 exits 0"
SAMPLES=$(prom_check "$PROM")
check "the --jobs 2 file passes the check" test $? -eq 0
is "$(promlint "$PROM")" "" "promtool check metrics: no complaint about the --jobs 2 file"
is "$(metric etlre_rows_read calls) $(metric etlre_chunks_succeeded calls)" \
	"$(json_get 'j["tables"][0]["rows_read"], j["tables"][0]["hours"]')" \
	"--jobs 2: the job's totals from all workers"
is "$(metric etlre_chunks_succeeded calls)" 72 "--jobs 2: 72 hours"
is "$(ls -A "$TMP/prom")" "etlre.prom" "--jobs 2: no temporary file left by a worker"

# ---- verify: hours compared and hours that differ; replaced by a rename
INODE=$(stat -c %i "$PROM")
run_etlre verify --start-date 2025-11-01 --end-date 2025-11-03 --metrics-file "$PROM"
is "$RC" 0 "verify after the load exits 0"
SAMPLES=$(prom_check "$PROM")
check "the verify metrics file passes the check" test $? -eq 0
is "$(promlint "$PROM")" "" "promtool check metrics: no complaint about the verify file"
is "$(metric etlre_verify_chunks calls) $(metric etlre_verify_chunks_differ calls)" "72 0" \
	"verify: 72 hours compared, none differs"
is "$(commands_in "$PROM")" 'command="verify" ' "the process file was replaced by verify's"
check "replaced by a rename: a new inode" test "$(stat -c %i "$PROM")" != "$INODE"
is "$(metric etlre_rows_read calls)" "" "verify loads nothing: no rows metrics"
check "verify reports the last success from the ledger" \
	near "$(metric etlre_last_success_timestamp_seconds calls)" "$(last_load_epoch)" 0.001
pg "DELETE FROM analytics.calls WHERE call_id IN (2009101, 1000002)"
run_etlre verify --start-date 2025-11-01 --end-date 2025-11-03 --metrics-file "$PROM" --json
is "$RC" 3 "verify with two deleted target rows exits 3"
SAMPLES=$(prom_check "$PROM")
is "$(metric etlre_verify_chunks_differ calls)" \
	"$(json_get 'j["tables"][0]["hours_missing"] + j["tables"][0]["hours_extra"] + j["tables"][0]["hours_changed"]')" \
	"hours that differ match the JSON result"
is "$(metric etlre_verify_chunks_differ calls) $(metric etlre_exit_status)" "2 3" \
	"2 hours differ, exit status 3 recorded"
is "$(ls -A "$TMP/prom")" "etlre.prom" "no temporary file left after verify"

# ---- a command that loads nothing still reports the last success
run_etlre status --metrics-file "$PROM"
is "$RC" 0 "status with --metrics-file exits 0"
SAMPLES=$(prom_check "$PROM")
check "the status file passes the check" test $? -eq 0
is "$(promlint "$PROM")" "" "promtool check metrics: no complaint about the status file"
check "status: the last success from the ledger" \
	near "$(metric etlre_last_success_timestamp_seconds calls)" "$(last_load_epoch)" 0.001
is "$(metric etlre_exit_status)" 0 "status: exit status 0"

# ---- etlre check: the jobs' state and the chunks they still owe
run_etlre check --metrics-file "$PROM"
is "$RC" 0 "check with --metrics-file exits 0"
SAMPLES=$(prom_check "$PROM")
check "the check file passes the strict format check" test $? -eq 0
is "$(promlint "$PROM")" "" "promtool check metrics: no complaint about the check file"
is "$(metric etlre_jobs_running) $(metric etlre_jobs_stuck) $(metric etlre_jobs_stale) $(metric etlre_running_job_idle_seconds)" \
	"0 0 0 0" "check: no job running, stuck or stale"
is "$(metric etlre_ledger_chunks_pending calls) $(metric etlre_ledger_chunks_failed calls)" "0 0" \
	"check: the chunks that failed on 2025-11-02 were loaded since by the --jobs 2 run: none owed"
check "check: the last success from the ledger" \
	near "$(metric etlre_last_success_timestamp_seconds calls)" "$(last_load_epoch)" 0.001
like "$OUT" '^ok +jobs +none running, none stale' "check prints the jobs line"

run_etlre process --date 2025-11-02
is "$RC" 1 "process 2025-11-02 without --skip-invalid: 4 chunks fail again"
failed_job=$(pg "SELECT max(job_id) FROM etlre.jobs")
run_etlre check --metrics-file "$PROM"
is "$RC" 0 "failed chunks alone leave check healthy"
SAMPLES=$(prom_check "$PROM")
is "$(metric etlre_ledger_chunks_failed calls) $(metric etlre_ledger_chunks_pending calls)" "4 0" \
	"check: the 4 failed chunks, not loaded since, are owed"

# a job that hangs: the target table is locked, the job waits in its first chunk
locker_granted() { [ -n "$(pg "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 't64-locker' AND l.relation = 'analytics.calls'::regclass AND l.granted")" ]; }
job_running() { [ "$(pg "SELECT count(*) FROM etlre.jobs WHERE status = 'running'")" = 1 ]; }
job_lock_gone() { [ "$(pg "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1702128755 AND objid = $hung")" = 0 ]; }
PGAPPNAME=t64-locker psql "$ETLRE_TARGET_URL" -X -q -c "BEGIN; LOCK TABLE analytics.calls IN EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT" >/dev/null 2>&1 &
locker=$!
check "the locker holds analytics.calls" wait_for locker_granted
"$ETLRE" --config "$CONF" process --date 2025-11-03 >/dev/null 2>&1 & pid=$!
check "the job started and waits for the table" wait_for job_running
hung=$(pg "SELECT job_id FROM etlre.jobs WHERE status = 'running'")
sleep 3
run_etlre check --stuck-after 2s --metrics-file "$PROM"
is "$RC" 1 "a job without a heartbeat or a finished chunk for over --stuck-after 2s: check exits 1"
like "$OUT" '^FAIL +jobs +1 running, 1 stuck: job '"$hung"' idle for [0-9]+s \(no heartbeat, no finished chunk; --stuck-after 2s\)' \
	"the jobs line names the stuck job"
SAMPLES=$(prom_check "$PROM")
is "$(metric etlre_jobs_running) $(metric etlre_jobs_stuck) $(metric etlre_jobs_stale)" "1 1 0" \
	"metrics: 1 job running, stuck"
check "metrics: it has been idle at least 3 s" test "$(metric etlre_running_job_idle_seconds | cut -d. -f1)" -ge 3
is "$(metric etlre_ledger_chunks_pending calls)" 24 "metrics: its 24 chunks are pending"
is "$(promlint "$PROM")" "" "promtool check metrics: no complaint about the stuck-job file"
run_etlre check
is "$RC" 0 "with the default, [etlre] stuck_after (900 s), the same job is not stuck"
like "$OUT" '^ok +jobs +1 running, none stuck' "the jobs line says it runs"

# the hung process is killed: its job is stale once its session is gone
kill -9 $pid; wait $pid 2>/dev/null
pg "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 't64-locker'" >/dev/null 2>&1
wait $locker 2>/dev/null
check "the killed job's lock is released" wait_for job_lock_gone
run_etlre check --metrics-file "$PROM"
is "$RC" 1 "a stale job: check exits 1"
like "$OUT" '^FAIL +jobs +0 running, 1 stale: job '"$hung"' is recorded as running but its process is gone; .etlre retry --job-id '"$hung"'.' \
	"the jobs line names the stale job and the retry"
SAMPLES=$(prom_check "$PROM")
is "$(metric etlre_jobs_running) $(metric etlre_jobs_stuck) $(metric etlre_jobs_stale)" "0 0 1" \
	"metrics: 1 stale job"
is "$(metric etlre_ledger_chunks_pending calls) $(metric etlre_ledger_chunks_failed calls)" "24 4" \
	"metrics: its 24 chunks and the 4 failed ones are owed"

run_etlre retry --job-id "$hung"
is "$RC" 0 "retry of the stale job exits 0"
run_etlre retry --job-id "$failed_job" --skip-invalid
is "$RC" 0 "retry --skip-invalid of the failed chunks exits 0"
run_etlre check --metrics-file "$PROM"
is "$RC" 0 "after the retries check is healthy"
SAMPLES=$(prom_check "$PROM")
is "$(metric etlre_jobs_stale) $(metric etlre_ledger_chunks_pending calls) $(metric etlre_ledger_chunks_failed calls)" \
	"0 0 0" "metrics: nothing stale, nothing owed"
run_etlre check --stuck-after 0m
is "$RC" 2 "--stuck-after 0m: exit 2"
like "$ERR" "--stuck-after must be a whole number and a unit" "the message names the option"

# ---- failures before any work are recorded too
CONF=$TMP/no-such.conf run_etlre --metrics-file "$PROM" verify --date 2025-11-02
is "$RC" 2 "a missing config file: exit 2"
SAMPLES=$(prom_check "$PROM")
is "$(metric etlre_exit_status)" 2 "the metrics file records exit status 2"
RC=0; ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:1/none?connect_timeout=2" \
	"$ETLRE" --config "$CONF" process --date 2025-11-02 --metrics-file "$PROM" >/dev/null 2>&1 || RC=$?
is "$RC" 4 "an unreachable target: exit 4"
SAMPLES=$(prom_check "$PROM")
is "$(metric etlre_exit_status)" 4 "the metrics file records exit status 4"

# ---- a path that cannot be written: exit 2, nothing done
BEFORE=$(target_snapshot)
JOBS=$(pg "SELECT count(*) FROM etlre.jobs")
run_etlre process --date 2025-11-03 --skip-invalid --metrics-file "$TMP/no-such-dir/etlre.prom"
is "$RC" 2 "a metrics file in a missing directory: exit 2"
like "$ERR" "--metrics-file: cannot create a file in directory '$TMP/no-such-dir' \(for '$TMP/no-such-dir/etlre.prom'\): No such file or directory" \
	"the error names the directory, the path and why"
run_etlre --metrics-file /sys/etlre.prom process --date 2025-11-03 --skip-invalid
is "$RC" 2 "a directory where files cannot be created (/sys): exit 2"
like "$ERR" "cannot create a file in directory '/sys'.*Permission denied" "the error says permission denied"
run_etlre process --date 2025-11-03 --skip-invalid --metrics-file "$TMP/prom"
is "$RC" 2 "a metrics path that is a directory: exit 2"
like "$ERR" "'$TMP/prom' is a directory" "the error says it is a directory"
run_etlre process --date 2025-11-03 --skip-invalid --metrics-file ""
is "$RC" 2 "an empty metrics path: exit 2"
is "$(target_snapshot)" "$BEFORE" "nothing was written to the target by the refused runs"
is "$(pg "SELECT count(*) FROM etlre.jobs")" "$JOBS" "no job was recorded"
is "$(ls -A "$TMP/prom")" "etlre.prom" "no temporary file left by the refused runs"
check "--help lists --metrics-file" sh -c "'$ETLRE' verify --help | grep -q -- '--metrics-file=PATH'"

# ---- the docs list every metric, and the alert rules use only those
families=$(grep -o '{ "etlre_[a-z_]*"' "$ROOT/runner/metrics.c" | tr -d '{" ' | sort -u)
check "metrics.c declares the metrics" test "$(printf '%s\n' "$families" | wc -l)" -ge 18
undocumented=
for m in $families; do
	grep -q "^| \`$m\` |" "$ROOT/README.md" || undocumented="$undocumented README:$m"
	grep -qxF ".B $m" "$ROOT/man/etlre.1" || undocumented="$undocumented man:$m"
done
is "$undocumented" "" "README's metrics table and the man page list every metric"
used=$(grep -o 'etlre_[a-z_]*' "$ROOT/packaging/prometheus/etlre.rules.yml" | sort -u)
unknown=
for m in $used; do printf '%s\n' "$families" | grep -qx "$m" || unknown="$unknown $m"; done
is "$unknown" "" "the alert rules use only metrics etlre writes"

done_testing
