#!/usr/bin/env bash
# load-fixtures.sh: load the IVR call fixtures (fixtures/calls/*.csv) into the
# MariaDB source table `calls`, and optionally create the PostgreSQL target
# schema.
#
#   scripts/load-fixtures.sh [OPTIONS] [FILES...]
#
#   FILES               CSV files in the fixtures format (fixtures/README.md);
#                       default: all of fixtures/calls/*.csv
#   --database DB       MariaDB database (default: the one in
#                       $ETLRE_SOURCE_URL, else ivr)
#   --source-url URL    MariaDB URL (default: $ETLRE_SOURCE_URL, else the
#                       dev-db default mariadb://etl:etl@127.0.0.1:3407/ivr)
#   --target-schema, --postgres
#                       also apply sql/postgres/analytics.sql to the target
#                       (idempotent: CREATE ... IF NOT EXISTS)
#   --target-url URL    PostgreSQL URL (default: $ETLRE_TARGET_URL, else
#                       postgresql://etl@127.0.0.1:5477/analytics)
#   --target-only       only apply the target schema; do not touch MariaDB
#   --schema-only       only create the tables, load nothing
#   --no-verify         skip the read-back comparison after loading
#   -q, --quiet         no progress output (errors still go to stderr)
#
# What it does to MariaDB:
#   1. CREATE TABLE IF NOT EXISTS calls (sql/mariadb/calls.sql).
#   2. LOAD DATA LOCAL INFILE every file into a session TEMPORARY table and
#      checks that each file gives exactly as many rows as it has CSV records
#      and no warnings at all (else nothing is changed and it exits 1).
#   3. In one transaction, replaces rows:
#        * no FILES given (the full fixture set): the whole calls table is
#          emptied first, so the table holds exactly the fixtures;
#        * FILES given: only rows whose call_id occurs in those files are
#          deleted first; other rows are left alone.
#      Either way running it twice leaves the same content.
#   4. Reads every loaded row back and compares each field, byte for byte,
#      with the CSV (NULLs, backslashes, tabs, quotes, unicode, milliseconds).
#
# CSV dialect (written by fixtures/gen-calls.pl): RFC 4180 quoting with '"',
# ',' separators, LF line ends, one header line, backslash is NOT an escape
# character, and SQL NULL is the unquoted field \N. LOAD DATA is therefore
# run with ESCAPED BY '' (so backslashes arrive literally) and every column
# goes through a user variable: NULLIF(@v, '\N') turns the \N marker into
# NULL. (With the default ESCAPED BY '\\' MariaDB would turn "\t" or "\\" in
# the data into escapes; with ESCAPED BY '' alone it would not know \N.)
# Consequence: a string whose whole value is \N cannot be represented; the
# fixtures contain none.
#
# The MariaDB password is passed in $MYSQL_PWD, never on the command line.
# The mariadb/psql clients run with --no-defaults / -X (no option files).
set -euo pipefail

PROG=load-fixtures.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd -P)

log() { [ "$QUIET" -eq 1 ] || printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

DATABASE=
SOURCE_URL=${ETLRE_SOURCE_URL:-mariadb://etl:etl@127.0.0.1:${ETLRE_DEV_MARIADB_PORT:-3407}/ivr}
TARGET_URL=${ETLRE_TARGET_URL:-postgresql://etl@127.0.0.1:${ETLRE_DEV_PG_PORT:-5477}/analytics}
DO_TARGET=0
DO_SOURCE=1
SCHEMA_ONLY=0
VERIFY=1
QUIET=0
FILES=()

while [ $# -gt 0 ]; do
  case $1 in
    --database)       [ $# -ge 2 ] || usage; DATABASE=$2; shift 2 ;;
    --database=*)     DATABASE=${1#*=}; shift ;;
    --source-url)     [ $# -ge 2 ] || usage; SOURCE_URL=$2; shift 2 ;;
    --source-url=*)   SOURCE_URL=${1#*=}; shift ;;
    --target-url)     [ $# -ge 2 ] || usage; TARGET_URL=$2; shift 2 ;;
    --target-url=*)   TARGET_URL=${1#*=}; shift ;;
    --target-schema|--postgres) DO_TARGET=1; shift ;;
    --target-only)    DO_TARGET=1; DO_SOURCE=0; shift ;;
    --schema-only)    SCHEMA_ONLY=1; shift ;;
    --no-verify)      VERIFY=0; shift ;;
    -q|--quiet)       QUIET=1; shift ;;
    -h|--help)        usage 0 ;;
    --)               shift; FILES+=("$@"); break ;;
    -*)               printf '%s: unknown option %s\n' "$PROG" "$1" >&2; usage ;;
    *)                FILES+=("$1"); shift ;;
  esac
done

# ------------------------------------------------------------ PostgreSQL

if [ $DO_TARGET -eq 1 ]; then
  command -v psql >/dev/null || die "psql not found; run scripts/install-deps.sh"
  log "applying sql/postgres/analytics.sql to the target"
  PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" \
    psql -X -q -v ON_ERROR_STOP=1 -d "$TARGET_URL" -f "$ROOT/sql/postgres/analytics.sql" \
    >/dev/null || die "could not apply sql/postgres/analytics.sql to the target"
fi
[ $DO_SOURCE -eq 1 ] || exit 0

# ------------------------------------------------------------ MariaDB URL

command -v mariadb >/dev/null || die "mariadb client not found; run scripts/install-deps.sh"

pct_decode() {
  local s=${1//\\/\\\\}
  printf '%b' "${s//%/\\x}"
}

parse_source_url() {
  local url=$1 rest hostpart path userinfo hostport query
  case $url in
    mariadb://*) rest=${url#mariadb://} ;;
    mysql://*)   rest=${url#mysql://} ;;
    *) die "source url must start with mariadb:// (or mysql://)" ;;
  esac
  [[ $rest == */* ]] || die "source url has no database name (mariadb://user@host:port/DATABASE)"
  hostpart=${rest%%/*}
  path=${rest#*/}
  query=
  if [[ $path == *\?* ]]; then query=${path#*\?}; path=${path%%\?*}; fi
  M_USER=${USER:-root}; M_PASS=; M_HAVE_PASS=0; M_SOCKET=
  if [[ $hostpart == *@* ]]; then
    userinfo=${hostpart%@*}
    hostport=${hostpart##*@}
    if [[ $userinfo == *:* ]]; then
      M_USER=$(pct_decode "${userinfo%%:*}")
      M_PASS=$(pct_decode "${userinfo#*:}")
      M_HAVE_PASS=1
    else
      M_USER=$(pct_decode "$userinfo")
    fi
  else
    hostport=$hostpart
  fi
  M_PORT=3306
  if [[ $hostport == \[* ]]; then
    M_HOST=${hostport#\[}; M_HOST=${M_HOST%%\]*}
    [[ $hostport == *\]:* ]] && M_PORT=${hostport##*\]:}
  elif [[ $hostport == *:* ]]; then
    M_HOST=${hostport%%:*}; M_PORT=${hostport#*:}
  else
    M_HOST=$hostport
  fi
  [ -n "$M_HOST" ] || M_HOST=localhost
  [[ $M_PORT =~ ^[0-9]+$ ]] && (( M_PORT > 0 && M_PORT < 65536 )) ||
    die "source url: port must be a number between 1 and 65535"
  M_DB=$(pct_decode "$path")
  local p
  if [ -n "$query" ]; then
    IFS='&' read -r -a params <<<"$query"
    for p in "${params[@]}"; do
      case $p in
        socket=*) M_SOCKET=$(pct_decode "${p#socket=}") ;;
        *) die "source url: unknown parameter '${p%%=*}'" ;;
      esac
    done
  fi
  if [ $M_HAVE_PASS -eq 0 ] && [ -n "${ETLRE_SOURCE_PASSWORD+x}" ]; then
    M_PASS=$ETLRE_SOURCE_PASSWORD; M_HAVE_PASS=1
  fi
}

parse_source_url "$SOURCE_URL"
[ -n "$DATABASE" ] && M_DB=$DATABASE
[ -n "$M_DB" ] || M_DB=ivr

MARIADB=(mariadb --no-defaults --local-infile=1 --default-character-set=utf8mb4
         --batch --skip-column-names -h "$M_HOST" -P "$M_PORT" -u "$M_USER")
[ -n "$M_SOCKET" ] && MARIADB+=(--socket="$M_SOCKET")
MARIADB+=("$M_DB")
if [ $M_HAVE_PASS -eq 1 ]; then export MYSQL_PWD=$M_PASS; else unset MYSQL_PWD; fi

# ------------------------------------------------------------ files

ALL=0
if [ ${#FILES[@]} -eq 0 ] && [ $SCHEMA_ONLY -eq 0 ]; then
  ALL=1
  shopt -s nullglob
  FILES=("$ROOT"/fixtures/calls/*.csv)
  shopt -u nullglob
  [ ${#FILES[@]} -gt 0 ] || die "no fixtures in $ROOT/fixtures/calls (run perl fixtures/gen-calls.pl)"
fi
for i in "${!FILES[@]}"; do
  f=${FILES[$i]}
  [ -f "$f" ] && [ -r "$f" ] || die "cannot read $f"
  case $f in /*) ;; *) FILES[$i]=$PWD/$f ;; esac
done

# The CSV reader shared by counting and verifying (RFC 4180, \N = NULL).
CSV_PL='
sub read_csv {                     # -> list of [fields], header included
  my ($file) = @_;
  open(my $fh, "<:raw", $file) or die "$file: $!\n";
  local $/; my $s = <$fh>; close $fh;
  my (@recs, @f);
  my $len = length $s;
  pos($s) = 0;
  while (pos($s) < $len) {
    if ($s =~ /\G"((?:[^"]|"")*)"/gc) { (my $v = $1) =~ s/""/"/g; push @f, $v; }
    elsif ($s =~ /\G([^,\r\n"]*)/gc) { push @f, $1 eq "\\N" ? undef : $1; }
    if    ($s =~ /\G,/gc) { next; }
    elsif ($s =~ /\G\r?\n/gc || pos($s) >= $len) { push @recs, [@f]; @f = (); }
    else { die "$file: bad CSV near byte " . pos($s) . "\n"; }
  }
  return @recs;
}
'

COLS=(call_id caller_number called_number start_time end_time duration status
      queue agent menu_path cost)

sql_str() {   # quote a string for a MariaDB SQL literal
  local s=${1//\\/\\\\}
  printf "'%s'" "${s//\'/\'\'}"
}

# ------------------------------------------------------------ load

SCHEMA_SQL=$(cat "$ROOT/sql/mariadb/calls.sql") || die "cannot read sql/mariadb/calls.sql"

build_sql() {
  printf 'SET NAMES utf8mb4;\n'
  printf "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';\n"
  printf '%s\n' "$SCHEMA_SQL"
  [ $SCHEMA_ONLY -eq 1 ] && return 0
  printf 'DROP TEMPORARY TABLE IF EXISTS etlre_fixture_load;\n'
  printf 'CREATE TEMPORARY TABLE etlre_fixture_load LIKE calls;\n'
  printf 'SET @etlre_bad = 0;\n'
  local f n vars sets c
  vars=$(printf '@%s,' "${COLS[@]}"); vars=${vars%,}
  sets=
  for c in "${COLS[@]}"; do sets+="$c = NULLIF(@$c, '\\\\N'), "; done
  sets=${sets%, }
  for f in "${FILES[@]}"; do
    n=$(perl -e "$CSV_PL"' my @r = read_csv($ARGV[0]); print scalar(@r) - 1, "\n";' "$f") ||
      die "cannot parse $f"
    cat <<EOF
LOAD DATA LOCAL INFILE $(sql_str "$f") INTO TABLE etlre_fixture_load
  CHARACTER SET utf8mb4
  FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY ''
  LINES TERMINATED BY '\\n'
  IGNORE 1 LINES
  ($vars)
  SET $sets;
GET DIAGNOSTICS @etlre_warn = NUMBER, @etlre_rows = ROW_COUNT;
SHOW WARNINGS;
SELECT 'LOADED', $(sql_str "$f"), @etlre_rows, $n, @etlre_warn;
SET @etlre_bad = @etlre_bad OR @etlre_warn > 0 OR @etlre_rows <> $n;
EOF
  done
  cat <<'EOF'
DELIMITER //
BEGIN NOT ATOMIC
  IF @etlre_bad THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
      'fixture load: row count mismatch or warnings (see above); calls left unchanged';
  END IF;
END//
DELIMITER ;
START TRANSACTION;
EOF
  if [ $ALL -eq 1 ]; then
    printf 'DELETE FROM calls;\n'
  else
    printf 'DELETE FROM calls WHERE call_id IN (SELECT call_id FROM etlre_fixture_load);\n'
  fi
  cat <<'EOF'
INSERT INTO calls SELECT * FROM etlre_fixture_load;
COMMIT;
SELECT 'TOTAL', COUNT(*) FROM etlre_fixture_load;
EOF
}

if [ $SCHEMA_ONLY -eq 1 ]; then log "MariaDB $M_USER@$M_HOST:$M_PORT/$M_DB: creating table calls"; else log "MariaDB $M_USER@$M_HOST:$M_PORT/$M_DB: creating table calls, loading ${#FILES[@]} file(s)"; fi
out=$(build_sql | "${MARIADB[@]}" 2>&1) || {
  printf '%s\n' "$out" >&2
  die "loading into MariaDB failed"
}
[ $SCHEMA_ONLY -eq 1 ] && { log "table calls ready (nothing loaded: --schema-only)"; exit 0; }

bad=0
while IFS=$'\t' read -r tag a b c d; do
  case $tag in
    LOADED)  log "loaded $b rows (expected $c, warnings $d) from ${a#"$ROOT"/}" ;;
    TOTAL)   log "replaced $a rows in calls ($([ $ALL -eq 1 ] && echo 'table emptied first' || echo 'same ids deleted first'))" ;;
    Warning|Note|Error) printf '%s: %s %s: %s\n' "$PROG" "$tag" "$a" "$b" >&2; bad=1 ;;
    *) printf '%s\n' "$tag${a:+	$a}${b:+	$b}" >&2 ;;
  esac
done <<<"$out"
[ $bad -eq 0 ] || die "warnings while loading"

# ------------------------------------------------------------ verify

if [ $VERIFY -eq 1 ]; then
  ids=$(perl -e "$CSV_PL"' my %id; for my $f (@ARGV) { my @r = read_csv($f); shift @r;
        $id{$_->[0]} = 1 for @r } print join(",", sort { $a <=> $b } keys %id), "\n";' "${FILES[@]}")
  sel=
  for c in "${COLS[@]}"; do
    case $c in
      start_time|end_time) sel+="HEX(LEFT(DATE_FORMAT($c, '%Y-%m-%d %H:%i:%s.%f'), 23)), " ;;
      call_id|duration|cost) sel+="HEX(CAST($c AS CHAR)), " ;;
      *) sel+="HEX($c), " ;;
    esac
  done
  sel=${sel%, }
  dump=$(printf 'SELECT %s FROM calls WHERE call_id IN (%s);\n' "$sel" "$ids" |
         "${MARIADB[@]}") || die "reading the rows back failed"
  printf '%s\n' "$dump" | perl -e "$CSV_PL"'
    use strict; use warnings;
    my (%db, $n);
    while (my $l = <STDIN>) {
      chomp $l; next if $l eq "";
      my @f = map { $_ eq "NULL" ? undef : pack("H*", $_) } split /\t/, $l, -1;
      $db{$f[0]} = \@f;
    }
    my $bad = 0;
    for my $file (@ARGV) {
      my @r = read_csv($file);
      my $hdr = shift @r;
      for my $rec (@r) {
        my $row = $db{$rec->[0]};
        if (!$row) { print STDERR "verify: $file: call_id $rec->[0] missing in MariaDB\n" if $bad++ < 20; next; }
        for my $i (0 .. $#$hdr) {
          my ($a, $b) = ($rec->[$i], $row->[$i]);
          next if !defined $a && !defined $b;
          next if defined $a && defined $b && $a eq $b;
          printf STDERR "verify: %s: call_id %s column %s: csv %s, db %s\n", $file, $rec->[0],
            $hdr->[$i], map { defined $_ ? "[$_]" : "NULL" } $a, $b if $bad < 20;
          $bad++;
        }
        $n++;
      }
    }
    print STDERR "verify: $bad mismatches in all\n" if $bad;
    exit($bad ? 1 : 0);
  ' "${FILES[@]}" || die "read-back verification failed (see above)"
  log "verified: every loaded row reads back exactly as in the CSV"
fi

if [ $QUIET -eq 0 ]; then
  printf 'SELECT DATE(start_time), COUNT(*) FROM calls GROUP BY 1 ORDER BY 1;\n' |
    "${MARIADB[@]}" | while IFS=$'\t' read -r d n; do log "calls on $d: $n rows"; done
fi
