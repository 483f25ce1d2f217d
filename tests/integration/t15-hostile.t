#!/usr/bin/env bash
# Hostile input: malformed dates, ranges past max_range_days, unknown and
# repeated flags, broken configs, identifiers carrying SQL, columns missing
# on either side, passwords in urls, rejects files that cannot be written.
# Each is refused with a clear message and exit 2 (4 when a server cannot
# be reached), and writes nothing: the target's snapshot (etlre's own tables
# included) is compared after every case, and canary tables on both servers
# show that no SQL smuggled in through the config ran.
# run early: slow (many refused runs, each compared before and after)
. "$(dirname "$0")/lib.sh"

reset_databases
check "reset databases" test $? -eq 0
run_etlre process --date 2025-11-03
is "$RC" 0 "a day loaded first, so the snapshot below covers data"
my "CREATE TABLE IF NOT EXISTS canary (x int); DELETE FROM canary; INSERT INTO canary VALUES (42)" &&
	pg "SET client_min_messages = warning; CREATE TABLE IF NOT EXISTS public.canary (x int); DELETE FROM public.canary;
	    INSERT INTO public.canary VALUES (42)"
check "canary tables on both servers" test $? -eq 0
before=$(target_snapshot)
check "snapshot taken" test -n "$before"

GOOD_CONF=$CONF
BASE=$(grep -v '^;' "$GOOD_CONF")
DOWN_SOURCE="mariadb://etl:etl@127.0.0.1:1/$MY_DB"
DOWN_TARGET="postgresql://etl@127.0.0.1:1/$PG_DB"
GOOD_TARGET=$ETLRE_TARGET_URL

# refused DESC CODE PATTERN ARGS...: etlre ARGS (with $CONF) exits CODE, says
# PATTERN on stderr, prints nothing on stdout and leaves the target as it was
refused() {
	local desc=$1 code=$2 pattern=$3; shift 3
	run_etlre "$@"
	is "$RC" "$code" "$desc: exit $code"
	like "$ERR" "$pattern" "$desc: message"
	is "$OUT" "" "$desc: nothing on stdout"
	is "$(ETLRE_TARGET_URL=$GOOD_TARGET target_snapshot)" "$before" "$desc: nothing written"
}
# conf TEXT: a config file holding TEXT; sets CONF to it
conf() { printf '%s\n' "$1" > "$TMP/hostile.conf"; CONF=$TMP/hostile.conf; }
# set_key KEY VALUE: BASE with the line "KEY = ..." replaced by "KEY = VALUE"
set_key() { printf '%s\n' "$BASE" | awk -v k="$1" -v v="$2" '$1 == k && $2 == "=" { print k " = " v; next } { print }'; }

# --- dates
for cmd in process verify; do
	refused "$cmd: February 30" 2 "'2025-02-30' is not a valid date" $cmd --date 2025-02-30
	refused "$cmd: February 29 of a common year" 2 "'2023-02-29' is not a valid date" $cmd --date 2023-02-29
	refused "$cmd: month 13" 2 "'2025-13-01' is not a valid date" $cmd --date 2025-13-01
	refused "$cmd: month 0" 2 "'2025-00-10' is not a valid date" $cmd --date 2025-00-10
	refused "$cmd: day 0" 2 "'2025-11-00' is not a valid date" $cmd --date 2025-11-00
	refused "$cmd: year 0" 2 "'0000-01-01' is not a valid date" $cmd --date 0000-01-01
	refused "$cmd: no leading zeros" 2 "'2025-1-1' is not a valid date" $cmd --date 2025-1-1
	refused "$cmd: empty date" 2 "'' is not a valid date" $cmd --date ''
	refused "$cmd: trailing text" 2 "'2025-11-02x' is not a valid date" $cmd --date 2025-11-02x
	refused "$cmd: trailing time" 2 "'2025-11-02 00:00' is not a valid date" $cmd --date '2025-11-02 00:00'
	refused "$cmd: leading blank" 2 "' 2025-11-02' is not a valid date" $cmd --date ' 2025-11-02'
	refused "$cmd: slashes" 2 "'2025/11/02' is not a valid date" $cmd --date 2025/11/02
	refused "$cmd: SQL in a date" 2 "is not a valid date" $cmd --date "2025-11-01'; DROP TABLE canary; --"
	refused "$cmd: bad --start-date" 2 "--start-date '2025-02-30' is not a valid date" \
		$cmd --start-date 2025-02-30 --end-date 2025-03-02
	refused "$cmd: bad --end-date" 2 "--end-date '2025-11-31' is not a valid date" \
		$cmd --start-date 2025-11-01 --end-date 2025-11-31
	refused "$cmd: --start-date after --end-date" 2 "--end-date 2025-11-01 is before --start-date 2025-11-03" \
		$cmd --start-date 2025-11-03 --end-date 2025-11-01
done
refused "verify: --last-days 0" 2 "--last-days must be a whole number" verify --last-days 0
refused "verify: --last-days with a unit" 2 "--last-days must be a whole number" verify --last-days 3d
run_etlre process --date 2024-02-29 --dry-run
is "$RC" 0 "February 29 of a leap year is a day"

# --- range longer than max_range_days
refused "process: 0001-01-01 .. 9999-12-31" 2 "is 3652059 days, more than max_range_days = 3660 \\(\\[etlre\\] in $CONF\\)" \
	process --start-date 0001-01-01 --end-date 9999-12-31
refused "verify: 11 years" 2 "is 4018 days, more than max_range_days = 3660" \
	verify --start-date 2020-01-01 --end-date 2030-12-31
refused "verify: --last-days past the maximum" 2 "more than max_range_days = 3660" verify --last-days 3661
conf "$(printf '%s\n' "$BASE" | sed 's/^\[etlre\]/[etlre]\nmax_range_days = 2/')"
refused "max_range_days = 2: three days" 2 "2025-10-30 .. 2025-11-01 is 3 days, more than max_range_days = 2 \\(\\[etlre\\] in $TMP/hostile.conf\\)" \
	process --start-date 2025-10-30 --end-date 2025-11-01
refused "max_range_days = 2: verify three days" 2 "is 3 days, more than max_range_days = 2" \
	verify --start-date 2025-10-30 --end-date 2025-11-01
run_etlre process --start-date 2025-10-31 --end-date 2025-11-01 --dry-run
is "$RC" 0 "max_range_days = 2: two days are fine"
conf "$(printf '%s\n' "$BASE" | sed 's/^\[etlre\]/[etlre]\nmax_range_days = 0/')"
refused "max_range_days = 0" 2 "hostile.conf:[0-9]+: 'max_range_days' must be a number of days \\(1-36600\\), not '0'" \
	process --date 2025-11-01
CONF=$GOOD_CONF

# --- unknown and repeated flags
refused "unknown option" 2 "unrecognized option '--frobnicate'" process --date 2025-11-01 --frobnicate
refused "unknown short option" 2 "invalid option -- 'Z'" process --date 2025-11-01 -Z
refused "unknown global option" 2 "unrecognized option '--colour'" --colour process --date 2025-11-01
refused "stray argument" 2 "unexpected argument 'yesterday'" process --date 2025-11-01 yesterday
refused "--date twice" 2 "--date given twice" process --date 2025-11-01 --date 2025-11-02
refused "--jobs twice" 2 "--jobs given twice" process --date 2025-11-01 --jobs 2 --jobs 3
refused "--skip-invalid twice" 2 "--skip-invalid given twice" process --date 2025-11-01 --skip-invalid --skip-invalid
refused "--end-date twice" 2 "--end-date given twice" verify --start-date 2025-11-01 --end-date 2025-11-02 --end-date 2025-11-03
refused "status --limit twice" 2 "--limit given twice" status --limit 1 --limit 2
refused "--config twice" 2 "--config given twice" --config "$CONF" process --date 2025-11-01
refused "--log-level before and after the command" 2 "--log-level given twice" \
	--log-level debug process --log-level info --date 2025-11-01
# every command refuses a stray argument and a repeated option the same way
# (cli.c: --json and the other options declared as data included)
for cmd in "ddl" "status" "check" "retry --job-id 1" "work --job-id 1" "verify --date 2025-11-01"; do
	refused "$cmd: stray argument" 2 "unexpected argument 'extra'" $cmd extra
done
refused "init: stray argument" 2 "init takes no arguments" init extra
refused "--json twice" 2 "--json given twice" process --date 2025-11-01 --json --json
refused "--deep twice" 2 "--deep given twice" verify --date 2025-11-01 --deep --deep
refused "--max-age twice" 2 "--max-age given twice" check --max-age 1h --max-age 2h
refused "--rejects-file twice" 2 "--rejects-file given twice" \
	process --date 2025-11-01 --skip-invalid --rejects-file a.csv.gz --rejects-file b.csv.gz
refused "status --since not a duration" 2 "--since must be a whole number and a unit" status --since soon
refused "work --job-id not a job id" 2 "'x' is not a job id" work --job-id x
refused "work --job-id twice" 2 "--job-id given twice" work --job-id 1 --job-id 2
run_etlre process --date 2025-11-01 --table calls --table calls --dry-run
is "$RC" 0 "--table is the one option that repeats"

# --- broken config files: the error names file and line
conf "[source]
url = $ETLRE_SOURCE_URL
this line has no equals sign"
refused "config: line without '='" 2 "hostile.conf:3: syntax error" process --date 2025-11-01
conf "$BASE
[table calls2
source = calls"
refused "config: '[' without ']'" 2 "hostile.conf:$(($(printf '%s\n' "$BASE" | wc -l) + 1)): syntax error \\('\\[' without '\\]'\\)" process --date 2025-11-01
conf "$BASE
colour = blue"
refused "config: unknown key" 2 "hostile.conf:$(($(printf '%s\n' "$BASE" | wc -l) + 1)): unknown setting 'colour' in \\[table calls\\]" process --date 2025-11-01
conf "$(printf '%s\n' "$BASE" | sed 's/^schema = /schemata = /')"
refused "config: key of no section" 2 "hostile.conf:[0-9]+: unknown setting 'schemata' in \\[etlre\\]" process --date 2025-11-01
conf "$BASE
[sauce]
x = 1"
refused "config: unknown section" 2 "hostile.conf:$(($(printf '%s\n' "$BASE" | wc -l) + 1)): unknown section \\[sauce\\]" process --date 2025-11-01
conf "url = $ETLRE_SOURCE_URL
$BASE"
refused "config: key before any section" 2 "hostile.conf:1: 'url' is outside any section" process --date 2025-11-01
conf "$BASE
source = calls"
refused "config: key set twice" 2 "hostile.conf:[0-9]+: 'source' is set twice in \\[table calls\\]" process --date 2025-11-01
printf '%s\n' "$BASE" | sed 's/^key = call_id$/key = call\x00_id/' > "$TMP/hostile.conf"
CONF=$TMP/hostile.conf
refused "config: a NUL byte" 2 "hostile.conf:[0-9]+: a NUL byte" process --date 2025-11-01
CONF=$TMP
refused "config: a directory" 2 "cannot read config file '$TMP': Is a directory" process --date 2025-11-01
CONF=$GOOD_CONF

# --- identifiers carrying quotes, semicolons, backticks, blanks: refused
# while the config is read, before any connection (so the same run against
# unreachable servers exits 2, not 4), and the canaries stay
ident_case() { # ident_case DESC PATTERN CONFIG-TEXT
	conf "$3"
	refused "identifier: $1" 2 "$2" process --date 2025-11-01
	OUT=$(ETLRE_SOURCE_URL=$DOWN_SOURCE ETLRE_TARGET_URL=$DOWN_TARGET etlre process --date 2025-11-01 2>/dev/null); RC=$?
	is "$RC" 2 "identifier: $1: refused before connecting"
}
ident_case "double quote in target" "target 'analytics.calls\"; DROP TABLE canary; --' is not a plain table name" \
	"$(set_key target 'analytics.calls"; DROP TABLE canary; --')"
ident_case "backtick in source" "source 'calls\`; DROP TABLE canary; --' is not a plain table name" \
	"$(set_key source 'calls`; DROP TABLE canary; --')"
ident_case "semicolon in source" "source 'calls;DROP' is not a plain table name" "$(set_key source 'calls;DROP')"
ident_case "quote in the source database" "source 'iv'r.calls' is not a plain table name" "$(set_key source "iv'r.calls")"
ident_case "space in target" "target 'analytics.calls x' is not a plain table name" "$(set_key target 'analytics.calls x')"
ident_case "SQL in time_column" "time_column 'start_time; DROP TABLE canary' is not a plain column name" \
	"$(set_key time_column 'start_time; DROP TABLE canary')"
ident_case "backtick in key" "'key': 'call_id\`\\);DROP TABLE canary;--' is not a plain column name" \
	"$(set_key key 'call_id`);DROP TABLE canary;--')"
ident_case "quoted column" "'columns': '\"start_time\"' is not a plain column name" \
	"$BASE
columns = call_id, \"start_time\", duration"
ident_case "column with a space" "'columns': 'start time' is not a plain column name" \
	"$BASE
columns = call_id, start time"
ident_case "quote in an expr name" "'expr.x\"y': 'x\"y' is not a plain name" "$BASE
expr.x\"y = 1"
ident_case "semicolon in a check name" "'check.a;b': 'a;b' is not a plain name" "$BASE
check.a;b = 1"
ident_case "quote in a table section" "'ca'lls' is not a plain table name" \
	"$(printf '%s\n' "$BASE" | sed "s/^\\[table calls\\]/[table ca'lls]/")"
ident_case "space in a table section" "'my calls' is not a plain table name" \
	"$(printf '%s\n' "$BASE" | sed "s/^\\[table calls\\]/[table my calls]/")"
ident_case "SQL in schema" "schema 'etlre; DROP TABLE canary' is not a plain schema name" \
	"$(set_key schema 'etlre; DROP TABLE canary')"
ident_case "quote in timezone" "timezone 'UTC';DROP TABLE canary;--' is not a time zone name" \
	"$(set_key timezone "UTC';DROP TABLE canary;--")"
CONF=$GOOD_CONF
refused "SQL in --table" 2 "no \\[table calls; DROP TABLE canary\\] section" \
	process --date 2025-11-01 --table 'calls; DROP TABLE canary'
# check.* and expr.* are MariaDB expressions by design: a second statement
# is a syntax error on the server (no multi-statements), found before any hour
conf "$BASE
check.x = 1; DROP TABLE canary"
refused "a second statement in check.*" 2 "\\[table calls\\] the source query fails" process --date 2025-11-01
conf "$BASE
expr.duration = 0); DROP TABLE canary; --"
refused "a second statement in expr.*" 2 "\\[table calls\\] the source query fails" process --date 2025-11-01
CONF=$GOOD_CONF
is "$(my "SELECT x FROM canary")" 42 "the source canary is intact"
is "$(pg "SELECT x FROM public.canary")" 42 "the target canary is intact"

# --- columns missing on one side
pg "ALTER TABLE analytics.calls ADD COLUMN only_in_target int" && my "ALTER TABLE calls ADD COLUMN only_in_source int"
check "a column on each side only" test $? -eq 0
before=$(target_snapshot)
conf "$BASE
columns = call_id, start_time, only_in_target"
refused "configured column missing from the source" 2 "\\[table calls\\] column 'only_in_target' does not exist in the source calls" process --date 2025-11-01
conf "$BASE
columns = call_id, start_time, only_in_source"
refused "configured column missing from the target" 2 "\\[table calls\\] column 'only_in_source' does not exist in the target analytics.calls" process --date 2025-11-01
conf "$BASE
columns = call_id, start_time, nowhere"
refused "configured column missing on both sides" 2 "column 'nowhere' does not exist in the target" process --date 2025-11-01
conf "$(set_key time_column only_in_target)"
refused "time_column missing from the source" 2 "time_column 'only_in_target' does not exist in the source calls" process --date 2025-11-01
conf "$(set_key key only_in_source)"
refused "key column missing from the target" 2 "key column 'only_in_source' is not one of the loaded columns" process --date 2025-11-01
conf "$BASE
expr.nowhere = 1"
refused "expr.* of a column missing from the target" 2 "expr.nowhere: no such column in the target analytics.calls" process --date 2025-11-01
conf "$BASE
check.positive = nowhere > 0"
refused "check.* on a column missing from the source" 2 "Unknown column 'nowhere'" process --date 2025-11-01
conf "$(set_key target analytics.nowhere)"
refused "target table missing" 2 "target table analytics.nowhere does not exist" process --date 2025-11-01
conf "$(set_key source nowhere)"
refused "source table missing" 2 "source table nowhere does not exist" verify --date 2025-11-01
CONF=$GOOD_CONF
pg "ALTER TABLE analytics.calls DROP COLUMN only_in_target" && my "ALTER TABLE calls DROP COLUMN only_in_source"
check "extra columns dropped" test $? -eq 0
before=$(target_snapshot)

# --- passwords in urls: never printed. The target trusts local connections,
# so a password in its url is accepted and ignored; the source's is 'etl',
# so its url is looked for as ':etl@'.
SECRET=Hush-8c1f
export ETLRE_TARGET_URL="postgresql://etl:$SECRET@127.0.0.1:${ETLRE_DEV_PG_PORT}/$PG_DB"
export ETLRE_SOURCE_URL="mariadb://etl:etl@127.0.0.1:${ETLRE_DEV_MARIADB_PORT}/$MY_DB"
no_secret() { # no_secret DESC: neither password in $OUT or $ERR
	check "$1: no password printed" bash -c '! printf "%s\n%s" "$1" "$2" | grep -Eq -- "$3|:etl@"' _ "$OUT" "$ERR" "$SECRET"
}
run_etlre --log-level debug process --date 2025-11-01
is "$RC" 0 "password urls: process at debug level works"
no_secret "process --log-level debug"
run_etlre --log-level debug --log-format json process --date 2025-11-01 --json
is "$RC" 0 "password urls: JSON logs and --json summary"
no_secret "process --log-format json --json"
run_etlre --log-level debug verify --date 2025-11-01 --deep --json
no_secret "verify --deep --json at debug level"
run_etlre --log-level debug status
like "$OUT" "process" "status lists the jobs"
no_secret "status"
run_etlre status --json
no_secret "status --json"
job=$(pg "SELECT max(job_id) FROM etlre.jobs")
run_etlre --log-level debug status --job-id "$job" --json
like "$OUT" "\"job_id\":$job" "status --job-id --json shows the job"
no_secret "status --job-id --json"
is "$(pg "SELECT count(*) FROM etlre.jobs j WHERE j::text LIKE '%$SECRET%' OR j::text LIKE '%:etl@%'")" 0 \
	"no password in etlre.jobs"
before=$(target_snapshot)
ETLRE_TARGET_URL="postgresql://etl:$SECRET@127.0.0.1:1/$PG_DB" refused "unreachable target with a password" 4 \
	"cannot connect to the target etl@127.0.0.1:1/$PG_DB" --log-level debug process --date 2025-11-01
no_secret "unreachable target"
ETLRE_SOURCE_URL="mariadb://etl:$SECRET@127.0.0.1:1/$MY_DB" refused "unreachable source with a password" 4 \
	"cannot connect to the source etl@127.0.0.1:1/$MY_DB" --log-level debug process --date 2025-11-01
no_secret "unreachable source"
ETLRE_SOURCE_URL="mariadb://etl:$SECRET@127.0.0.1:${ETLRE_DEV_MARIADB_PORT}/$MY_DB" refused "wrong source password" 4 \
	"cannot connect to the source etl@127.0.0.1:${ETLRE_DEV_MARIADB_PORT}/$MY_DB: Access denied" --log-level debug process --date 2025-11-01
no_secret "wrong source password"
ETLRE_TARGET_URL="postgresql://etl:$SECRET%zz@127.0.0.1:${ETLRE_DEV_PG_PORT}/$PG_DB" refused "bad %-escape in the target password" 2 \
	"target url: invalid percent-encoded token" --log-level debug status
no_secret "bad %-escape in the target password"
ETLRE_TARGET_URL="postgresql://etl:$SECRET@[::1/$PG_DB" refused "unterminated IPv6 target host" 2 \
	"target url: end of string reached" --log-level debug status
no_secret "unterminated IPv6 target host"
ETLRE_TARGET_URL="host=127.0.0.1 password='$SECRET dbname=$PG_DB" refused "unterminated quote in a conninfo" 2 \
	"target url: unterminated quoted string" --log-level debug status
no_secret "unterminated quote in a conninfo"
ETLRE_TARGET_URL="host=127.0.0.1 ab\"$SECRET@h" refused "a quote inside libpq's quoted complaint" 2 \
	"target url: missing \"=\" after \"...\" in connection info string" --log-level debug status
no_secret "a quote inside libpq's quoted complaint"
ETLRE_TARGET_URL="postgresql://etl:$SECRET@[::1/$PG_DB"$'\n'"x" refused "a newline inside libpq's quoted complaint" 2 \
	"target url: end of string reached .* in URI: \"...\"\$" --log-level debug status
no_secret "a newline inside libpq's quoted complaint"
ETLRE_SOURCE_URL="mariadb://etl:$SECRET%zz@127.0.0.1:${ETLRE_DEV_MARIADB_PORT}/$MY_DB" refused "bad %-escape in the source password" 2 \
	"source url: bad %-escape" --log-level debug status
no_secret "bad %-escape in the source password"
ETLRE_SOURCE_URL="mariadb://etl:3306/$SECRET@127.0.0.1:${ETLRE_DEV_MARIADB_PORT}/$MY_DB" refused "unencoded '/' in the source password" 2 \
	"source url: '@' after the host" --log-level debug process --date 2025-11-01
no_secret "unencoded '/' in the source password"

# --- rejects files that cannot be written: refused before any row is loaded
# (a fifo stands for a device: a broken check must not replace /dev/null)
mkdir "$TMP/a-directory"
touch "$TMP/a-file"
mkfifo "$TMP/a-fifo"
for path in "$TMP/a-directory" "" "$TMP/a-fifo" "$TMP/no/such/dir/rejects.csv.gz" "$TMP/a-file/rejects.csv.gz"; do
	refused "--rejects-file '$path'" 2 "rejects file|--rejects-file" \
		process --date 2025-11-02 --skip-invalid --rejects-file "$path"
done
check "no partial rejects file left" test -z "$(find "$TMP" -name '*.partial')"
check "the fifo is still a fifo" test -p "$TMP/a-fifo"

is "$(target_snapshot)" "$before" "the target is as it was"
done_testing
