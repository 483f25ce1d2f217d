#!/usr/bin/env bash
# A lock another session holds is reported as a lock, not as a silent server:
# each server ends a wait for a lock itself one second before etlre would
# give up on the server (PostgreSQL's lock_timeout, MariaDB's
# lock_wait_timeout; README "Timeouts"). With network_timeout = 4 here:
# status and check behind a locked ledger, process behind a locked target
# table, and process behind a locked source table each end within seconds
# with the server's own lock message, class timeout, the documented exit
# status, nothing written, and a rerun after the lock goes completes. A
# session etlre gives up on ends on the server too. status --job-id of a job
# waiting on a lock, on either side, names the session that holds it.
# mostly waits: for lock and network timeouts (about 40 s, a few CPU seconds)
. "$(dirname "$0")/lib.sh"

DAY=2025-11-02
reset_databases
check "reset databases" test $? -eq 0
sed -i 's/^\[etlre\]$/[etlre]\nnetwork_timeout = 4/' "$CONF"
check "the test config has network_timeout = 4" grep -q '^network_timeout = 4$' "$CONF"

run_etlre process --date $DAY --skip-invalid
is "$RC" 0 "a first load of the day"
calls_digest() { pg "SELECT md5(string_agg(c::text, E'\\n' ORDER BY c.call_id)) FROM analytics.calls c"; }
BEFORE=$(calls_digest)

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
within() { awk -v s="$SECS" -v m="$1" 'BEGIN { exit !(s < m) }'; }
# wait_for_secs S CMD...: CMD succeeds within S seconds
wait_for_secs() { local i n=$(($1 * 10)); shift; for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done; return 1; }
timed() { local t0; t0=$(date +%s.%N); run_etlre "$@"; SECS=$(elapsed "$t0"); }

# hold_pg SQL: a session of the test holds a lock taken by SQL for 120 s
hold_pg() {
	PGAPPNAME=t77-locker psql "$ETLRE_TARGET_URL" -X -q \
		-c "BEGIN; $1; SELECT pg_sleep(120); COMMIT" >/dev/null 2>&1 &
	locker=$!
	check "the test's session holds its lock ($1)" wait_for pg_locker_waits
}
my_locker() { [ -n "$(my "SELECT 1 FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(120)%' LIMIT 1")" ]; }
pg_locker_waits() { [ -n "$(pg "SELECT 1 FROM pg_stat_activity WHERE application_name = 't77-locker' AND query LIKE '%pg_sleep%' AND wait_event = 'PgSleep'")" ]; }
release_pg() {
	pg "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 't77-locker'" >/dev/null
	wait $locker 2>/dev/null
}

# ---- status and check behind a locked ledger
hold_pg "LOCK TABLE etlre.jobs IN ACCESS EXCLUSIVE MODE"
timed status
is "$RC" 4 "status behind a locked etlre.jobs: exit 4 (the target did not answer in time)"
check "status: ended within 10 s (${SECS}s), not when the lock went (120 s)" within 10
like "$ERR" "canceling statement due to lock timeout \[SQLSTATE 55P03, timeout\]" "status: the server's own lock timeout is the error"
unlike "$ERR" "no answer from the server" "status: not reported as a silent server"
timed check
is "$RC" 1 "check behind a locked etlre.jobs: exit 1 (unhealthy: the servers were reached)"
check "check: ended within 10 s (${SECS}s)" within 10
like "$ERR$OUT" "lock timeout" "check: says lock timeout"
release_pg
run_etlre status
is "$RC" 0 "status after the lock went: exit 0"

# ---- process behind a locked target table: the hour fails as a timeout, on
# a connection that stays usable (no reconnection), and nothing is written
hold_pg "LOCK TABLE analytics.calls IN ACCESS EXCLUSIVE MODE"
timed process --date $DAY --skip-invalid --retries 1 --retry-wait 1 --max-failures 1 --jobs 1 --log-level debug
job=$(pg "SELECT max(job_id) FROM etlre.jobs")
is "$RC" 1 "process behind a locked target table: exit 1 (the hour failed)"
check "process: ended within 30 s (${SECS}s; three lock waits of 3 s and a retry wait), not when the lock went (120 s)" within 30
like "$ERR" "canceling statement due to lock timeout" "process: the server's lock timeout is the error"
like "$ERR" "timeout error, will retry" "process: the first attempt was retried as a timeout"
unlike "$ERR" "no answer from the server" "process: not reported as a silent server"
unlike "$ERR" "reconnect" "process: the connection stayed usable (no reconnection)"
is "$(pg "SELECT error_class || ' ' || attempts FROM etlre.job_hours WHERE job_id = $job AND status = 'failed'")" "timeout 2" \
	"the failed hour is recorded with class timeout after 2 attempts"
release_pg
is "$(calls_digest)" "$BEFORE" "nothing was written to the table behind the lock"
run_etlre retry --job-id "$job"
is "$RC" 0 "retry after the lock went: exit 0"
is "$(calls_digest)" "$BEFORE" "the table holds the same rows"

# ---- status --job-id of a job waiting on a lock names the session that
# holds it (network_timeout 60 s here, so that the job waits meanwhile)
sed 's/^network_timeout = 4$/network_timeout = 60/' "$CONF" > "$TMP/long.conf"
hold_pg "LOCK TABLE analytics.calls IN ACCESS EXCLUSIVE MODE"
locker_pid=$(pg "SELECT pid FROM pg_stat_activity WHERE application_name = 't77-locker'")
"$ETLRE" --config "$TMP/long.conf" process --date $DAY --skip-invalid --jobs 1 >/dev/null 2>"$TMP/bg.err" & bg=$!
etlre_waits_on_lock() { [ -n "$(pg "SELECT 1 FROM pg_stat_activity WHERE application_name = 'etlre' AND wait_event_type = 'Lock'")" ]; }
check "the job's session waits on the lock" wait_for etlre_waits_on_lock
job=$(pg "SELECT max(job_id) FROM etlre.jobs")
run_with "$TMP/long.conf" status --job-id "$job"
is "$RC" 0 "status --job-id of the waiting job: exit 0"
like "$OUT" "waiting on Lock:relation" "status: the job's session is shown waiting on a lock"
like "$OUT" "blocked by pid $locker_pid +user etl +application t77-locker +active" "status: names the session that holds it (pid, user, application, state)"
like "$OUT" "blocked by pid $locker_pid .*LOCK TABLE analytics.calls" "status: and its statement"
run_with "$TMP/long.conf" status --job-id "$job" --json
is "$(printf '%s' "$OUT" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(sorted({b["application"] for s in j["sessions"] for b in s["blocked_by"]}))')" \
	"['t77-locker']" "status --json: sessions[].blocked_by names the locker"
release_pg
wait $bg
is "$?" 0 "the job completes once the lock goes"
run_with "$TMP/long.conf" status --job-id "$job" --json
is "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print("sessions" in json.load(sys.stdin))')" False \
	"a finished job has no sessions member"

# ---- the same on the source: once the job runs, a session takes calls'
# write lock (LOCK TABLES); the job's next source statement waits on the
# table's metadata lock, and status --job-id shows it among the job's source
# sessions, found by the job's label in MariaDB's process list, with the
# session that holds the lock (the metadata_lock_info plugin, which
# scripts/dev-db.sh loads). Three days, the target sleeping 2 s a COPY, so
# that the job lasts.
check "the source has the metadata_lock_info plugin (scripts/dev-db.sh loads it)" \
	test "$(my "SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'")" = 1
pg "CREATE FUNCTION analytics.t77_slow() RETURNS trigger LANGUAGE plpgsql AS
    \$\$BEGIN PERFORM pg_sleep(2); RETURN NULL; END\$\$;
    CREATE TRIGGER t77_slow BEFORE INSERT ON analytics.calls
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.t77_slow()" >/dev/null
JOBS=$(pg "SELECT count(*) FROM etlre.jobs")
"$ETLRE" --config "$TMP/long.conf" process --start-date 2025-11-01 --end-date 2025-11-03 --skip-invalid --jobs 1 \
	>/dev/null 2>"$TMP/bg.err" & bg=$!
job_started() { [ "$(pg "SELECT count(*) FROM etlre.jobs")" -gt "$JOBS" ]; }
check "the job started" wait_for job_started
job=$(pg "SELECT max(job_id) FROM etlre.jobs")
MYSQL_PWD=etl mariadb -h127.0.0.1 -P"$ETLRE_DEV_MARIADB_PORT" -uetl "$MY_DB" \
	-e "LOCK TABLES calls WRITE; SELECT SLEEP(120)" >/dev/null 2>&1 &
src_locker=$!
check "the test's MariaDB session holds calls' write lock" wait_for my_locker
locker_id=$(my "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(120)%'")
etlre_waits_on_source() { [ -n "$(my "SELECT 1 FROM information_schema.processlist WHERE info LIKE '/* etlre job $job */%' AND state LIKE 'Waiting for table metadata lock'")" ]; }
check "the job's source statement, labelled with the job, waits on the table's metadata lock" wait_for etlre_waits_on_source
run_with "$TMP/long.conf" status --job-id "$job"
is "$RC" 0 "status --job-id of the job waiting on the source: exit 0"
like "$OUT" "source sessions of the job" "status: shows the job's source sessions"
like "$OUT" "thread [0-9]+ +Query [0-9.]+s +waiting on Waiting for table metadata lock +/\* etlre job $job \*/ SELECT" \
	"status: the job's source statement, waiting on the metadata lock"
like "$OUT" "blocked by thread $locker_id +user etl +host [^ ]+ +Query [0-9.]+s .*SELECT SLEEP\(120\)" \
	"status: names the session that holds the table (thread, user, host, state, statement)"
run_with "$TMP/long.conf" status --job-id "$job" --json
is "$(printf '%s' "$OUT" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(sorted({b["thread"] for s in j["source_sessions"] for b in s["blocked_by"]}))')" \
	"[$locker_id]" "status --json: source_sessions[].blocked_by names the locker's thread"
my "KILL $locker_id" 2>/dev/null
wait $src_locker 2>/dev/null
wait $bg
is "$?" 0 "the job completes once the source lock goes"
pg "DROP TRIGGER t77_slow ON analytics.calls; DROP FUNCTION analytics.t77_slow();
    DELETE FROM analytics.calls WHERE start_time < '$DAY' OR start_time >= '$DAY'::date + 1" >/dev/null
is "$(calls_digest)" "$BEFORE" "the day's rows are the first load's (the other two days removed again)"
run_with "$TMP/long.conf" status --job-id "$job" --json
is "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print("source_sessions" in json.load(sys.stdin))')" False \
	"a finished job has no source_sessions member"

# ---- a statement etlre gives up on ends on the server too: a COPY whose
# statement trigger sleeps 15 s is silent past network_timeout (4 s); etlre
# closes the connection, and the server ends that session within about a
# second (client_connection_check_interval) instead of letting it sleep on
# and hold the hours' claims, so the run ends soon after the cut
pg "CREATE FUNCTION analytics.t77_sleep() RETURNS trigger LANGUAGE plpgsql AS
    \$\$BEGIN PERFORM pg_sleep(15); RETURN NULL; END\$\$;
    CREATE TRIGGER t77_sleep BEFORE INSERT ON analytics.calls
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.t77_sleep()" >/dev/null
no_copy_session() { [ "$(pg "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY %' AND pid <> pg_backend_pid()")" = 0 ]; }
timed process --date $DAY --skip-invalid --retries 0 --max-failures 1 --jobs 1
is "$RC" 1 "a COPY silent past network_timeout: exit 1"
like "$ERR" "no answer from the server for 4 s" "the silent COPY is cut off after network_timeout"
check "the run ended within 10 s of its start (${SECS}s), not after the trigger's 15 s" within 10
check "its COPY session is gone from the server within 2 s" wait_for_secs 2 no_copy_session
pg "DROP TRIGGER t77_sleep ON analytics.calls; DROP FUNCTION analytics.t77_sleep()" >/dev/null
is "$(calls_digest)" "$BEFORE" "nothing was written by the cut COPY"

# ---- the statement that marks an hour running (after its claim) is silent
# past network_timeout: a trigger on etlre's job_hours sleeps 8 s, once.
# etlre cuts that connection, and the hour then fails with that timeout, a
# transient failure retried on a new connection; it used to fail as an
# "unknown failure" (class internal, never retried) on the cut connection
pg "CREATE SEQUENCE etlre.t77_once;
    CREATE FUNCTION etlre.t77_mark_sleep() RETURNS trigger LANGUAGE plpgsql AS
    \$\$BEGIN IF OLD.status = 'running' AND NEW.status = 'running' AND nextval('etlre.t77_once') = 1
    THEN PERFORM pg_sleep(8); END IF; RETURN NEW; END\$\$;
    CREATE TRIGGER t77_mark_sleep BEFORE UPDATE ON etlre.job_hours
    FOR EACH ROW EXECUTE FUNCTION etlre.t77_mark_sleep()" >/dev/null
timed process --date $DAY --skip-invalid --retries 1 --retry-wait 1 --jobs 1
pg "DROP TRIGGER t77_mark_sleep ON etlre.job_hours; DROP FUNCTION etlre.t77_mark_sleep();
    DROP SEQUENCE etlre.t77_once" >/dev/null
is "$RC" 0 "an hour's mark statement silent past network_timeout: the run completes after a retry"
like "$ERR" "timeout error, will retry: target: no answer from the server for 4 s" \
	"the hour failed with the cut connection's timeout, and was retried"
unlike "$ERR" "unknown failure" "no hour failed as an unknown failure"
is "$(calls_digest)" "$BEFORE" "the day's rows are the same after the retried hour"

# ---- the same on the source: a query silent past network_timeout (a view
# that computes for about 20 s on one row; SLEEP would not do, as MariaDB
# ends a sleep whose client went away) is killed on the server once etlre
# gives up on it (source_cancel.h), instead of running on, using a core and
# holding the table's metadata lock (a DDL would wait behind it)
my "CREATE OR REPLACE VIEW calls_sleepy AS SELECT * FROM calls
    WHERE IF(call_id = 2000001, BENCHMARK(60000000, MD5(call_id)), 0) = 0"
sed 's/^source = calls$/source = calls_sleepy/' "$CONF" > "$TMP/sleepy.conf"
sleepy_query() { [ -n "$(my "SELECT 1 FROM information_schema.processlist WHERE info LIKE '%calls_sleepy%' AND info NOT LIKE '%processlist%' LIMIT 1")" ]; }
no_sleepy_query() { ! sleepy_query; }
t0=$(date +%s.%N)
run_with "$TMP/sleepy.conf" process --date $DAY --skip-invalid --retries 0 --max-failures 1 --jobs 1
SECS=$(elapsed "$t0")
is "$RC" 1 "a source query silent past network_timeout: exit 1"
like "$ERR" "source .*no answer from the server for 4 s" "the silent source query is cut off after network_timeout"
check "the run ended within 15 s (${SECS}s), not after the view's 20 s" within 15
check "its query is gone from the source server within 3 s (KILL QUERY)" wait_for_secs 3 no_sleepy_query
my "DROP VIEW calls_sleepy"
is "$(calls_digest)" "$BEFORE" "nothing was written by the cut hour"

# ---- process behind a locked source table: the plan's probe of the table
# ends with MariaDB's lock wait timeout; nothing is started or written
MYSQL_PWD=etl mariadb -h127.0.0.1 -P"$ETLRE_DEV_MARIADB_PORT" -uetl "$MY_DB" \
	-e "LOCK TABLES calls WRITE; SELECT SLEEP(120)" >/dev/null 2>&1 &
src_locker=$!
check "the test's MariaDB session holds calls' write lock" wait_for my_locker
JOBS=$(pg "SELECT count(*) FROM etlre.jobs")
timed process --date $DAY --skip-invalid
is "$RC" 4 "process behind a locked source table: exit 4 (the source did not answer in time)"
check "process: ended within 10 s (${SECS}s), not when the lock went (120 s)" within 10
like "$ERR" "Lock wait timeout exceeded.*\[error 1205, timeout\]" "process: MariaDB's lock wait timeout is the error"
like "$ERR" "the source did not answer the table's query" "process: says the source did not answer"
unlike "$ERR" "check its columns" "process: no advice to check the configuration"
is "$(pg "SELECT count(*) FROM etlre.jobs")" "$JOBS" "no job was started"
my "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(120)%'" |
	while read -r id; do my "KILL $id" 2>/dev/null; done
wait $src_locker 2>/dev/null
run_etlre process --date $DAY --skip-invalid
is "$RC" 0 "process after the source lock went: exit 0"
is "$(calls_digest)" "$BEFORE" "the table still holds the first load's rows"

done_testing
