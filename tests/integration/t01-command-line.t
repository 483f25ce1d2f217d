#!/usr/bin/env bash
# Bad command lines and configs exit 2 with a clear message and write
# nothing; an unreachable server exits 4.
. "$(dirname "$0")/lib.sh"

reset_databases
check "reset databases" test $? -eq 0
run_etlre process --date 2025-11-03
is "$RC" 0 "a day loaded first, so the snapshot below covers data"
before=$(target_snapshot)
check "snapshot taken" test -n "$before"

# expect_usage DESC PATTERN ARGS...: exit 2, stderr matches PATTERN
expect_usage() {
	local desc=$1 pattern=$2; shift 2
	run_etlre "$@"
	is "$RC" 2 "$desc: exit 2"
	like "$ERR" "$pattern" "$desc: message"
	is "$OUT" "" "$desc: nothing on stdout"
}
expect_usage "impossible date" "'2025-02-30' is not a valid date" process --date 2025-02-30
expect_usage "month 13" "'2025-13-01' is not a valid date" process --date 2025-13-01
expect_usage "short date" "'2025-1-1' is not a valid date" process --date 2025-1-1
expect_usage "empty date" "'' is not a valid date" process --date ''
expect_usage "trailing text" "is not a valid date" process --date 2025-11-02x
expect_usage "end before start" "--end-date 2025-11-01 is before --start-date 2025-11-03" process --start-date 2025-11-03 --end-date 2025-11-01
expect_usage "start without end" "--start-date and --end-date go together" process --start-date 2025-11-03
expect_usage "no dates" "which days" process
expect_usage "date and range" "not both" process --date 2025-11-01 --start-date 2025-11-01 --end-date 2025-11-02
expect_usage "unknown flag" "unrecognized option '--frobnicate'" process --date 2025-11-01 --frobnicate
expect_usage "repeated --date" "--date given twice" process --date 2025-11-01 --date 2025-11-02
expect_usage "unknown table" "--table nosuch: no \\[table nosuch\\] section" process --date 2025-11-01 --table nosuch
expect_usage "bad --max-rejects" "--max-rejects must be a whole number" process --date 2025-11-01 --skip-invalid --max-rejects -3
expect_usage "bad --batch-mode" "--batch-mode must be hourly or daily" process --date 2025-11-01 --batch-mode weekly
expect_usage "unknown command" "unknown command 'frob'" frob

# config problems
OUT=$("$ETLRE" --config "$TMP/missing.conf" process --date 2025-11-01 2>"$TMP/e"); RC=$?
is "$RC" 2 "missing config file: exit 2"
like "$(cat "$TMP/e")" "cannot read config file '$TMP/missing.conf'" "missing config file: message"
mkdir "$TMP/empty"
OUT=$(cd "$TMP/empty" && env -u ETLRE_CONFIG "$ETLRE" process --date 2025-11-01 2>"$TMP/e"); RC=$?
is "$RC" 2 "no config anywhere: exit 2"
like "$(cat "$TMP/e")" "no config file" "no config anywhere: message"

bad_config() { # bad_config DESC PATTERN CONTENT
	printf '%s\n' "$3" > "$TMP/bad.conf"
	OUT=$("$ETLRE" --config "$TMP/bad.conf" process --date 2025-11-01 2>"$TMP/e"); RC=$?
	is "$RC" 2 "$1: exit 2"
	like "$(cat "$TMP/e")" "$2" "$1: message names file and problem"
}
base=$(grep -v '^;' "$CONF")
bad_config "syntax error" "bad.conf:3: syntax error" "[source]
url = mariadb://x@127.0.0.1/ivr
this line has no equals sign"
bad_config "unknown key" "bad.conf:[0-9]+: unknown setting 'colour' in \\[table calls\\]" "$base
colour = blue"
bad_config "unknown section" "bad.conf:[0-9]+: unknown section \\[sauce\\]" "$base
[sauce]
x = 1"
bad_config "quote in a table name" "not a plain table name" "$(printf '%s' "$base" | sed 's/^target = .*/target = analytics.calls"; DROP TABLE x; --/')"
bad_config "missing key setting" "\\[table calls\\] needs 'key'" "$(printf '%s' "$base" | grep -v '^key')"
bad_config "unknown target column" "column 'nope' does not exist in the target" "$base
columns = call_id, start_time, nope"
bad_config "unknown source table" "source table nosuch does not exist" "$(printf '%s' "$base" | sed 's/^source = .*/source = nosuch/')"

is "$(target_snapshot)" "$before" "none of the above wrote anything to the target"

# unreachable servers
OUT=$(ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:1/analytics_test" etlre process --date 2025-11-01 2>"$TMP/e"); RC=$?
is "$RC" 4 "unreachable target: exit 4"
like "$(cat "$TMP/e")" "cannot connect to the target etl@127.0.0.1:1/analytics_test" "unreachable target: message"
OUT=$(ETLRE_SOURCE_URL="mariadb://etl:sekrit@127.0.0.1:1/ivr_test" etlre process --date 2025-11-01 2>"$TMP/e"); RC=$?
is "$RC" 4 "unreachable source: exit 4"
like "$(cat "$TMP/e")" "cannot connect to the source etl@127.0.0.1:1/ivr_test" "unreachable source: message"
check "the password is never printed" bash -c "! grep -q sekrit '$TMP/e'"
is "$(target_snapshot)" "$before" "unreachable runs wrote nothing"

run_etlre --help
is "$RC" 0 "--help exits 0"
like "$OUT" "process" "--help lists the commands"
run_etlre process --help
like "$OUT" "--skip-invalid" "process --help lists its options"
done_testing
