#!/usr/bin/env bash
# dev-db.sh: throwaway MariaDB + PostgreSQL servers for etlre development and
# tests, listening on 127.0.0.1 only, on non-default ports.
#
#   scripts/dev-db.sh start    init data dirs on first use, start both servers,
#                              wait until they accept TCP connections, ensure
#                              users/databases, print the env lines
#   scripts/dev-db.sh stop     stop both servers (harmless when not running)
#   scripts/dev-db.sh status   say whether each server is up; exit 0 iff both are
#   scripts/dev-db.sh env      print the export lines to eval:
#                                eval "$(scripts/dev-db.sh env)"
#   scripts/dev-db.sh stop mariadb|postgresql, start mariadb|postgresql:
#                              one server only (the fault tests use these)
#
# Environment:
#   ETLRE_DEV_MARIADB_PORT  MariaDB TCP port            (default 3407)
#   ETLRE_DEV_PG_PORT       PostgreSQL TCP port         (default 5477)
#   ETLRE_DEV_DB_DIR        where the data lives        (default <project>/.dev-db)
#   ETLRE_DEV_PG_BIN        PostgreSQL bin directory    (default: highest
#                           /usr/lib/postgresql/*/bin)
#   ETLRE_DEV_DB_TIMEOUT    seconds to wait for a server (default 60)
#   ETLRE_DEV_MARIADB_BUFFER_POOL  InnoDB buffer pool (default 512M: room for
#                           the benchmark's 2M rows, as on a production source)
#   ETLRE_DEV_TLS_DIR       a directory holding ca.crt, server.crt and server.key:
#                           both servers then offer TLS with that certificate
#                           (copied next to the data on every start; the
#                           security test makes its own CA with openssl)
#   ETLRE_DEV_TLS_ONLY      with ETLRE_DEV_TLS_DIR, 1: TCP clients must use TLS
#                           (MariaDB require_secure_transport, PostgreSQL
#                           hostssl lines only); the unix sockets stay open
#
# What gets created (idempotently, on every start):
#   MariaDB:    databases ivr and ivr_test; users 'etl'@'127.0.0.1' and
#               'etl'@'localhost' with password 'etl' and ALL on both.
#               root@localhost has no password (admin goes through the unix
#               socket inside the data dir).
#   PostgreSQL: role etl (LOGIN SUPERUSER, no password: trust auth on
#               127.0.0.1 and on the private unix socket); databases analytics
#               and analytics_test owned by etl. Bootstrap superuser: postgres.
#
# Layout of $ETLRE_DEV_DB_DIR:
#   mariadb/data  mariadb/mariadbd.{sock,pid,log}  mariadb/tmp
#   pg/data  pg/postgres.log  pg/.s.PGSQL.<port> (unix socket)
#
# Root vs ordinary user:
#   * As an ordinary user both servers run as that user.
#   * As root, mariadbd runs as the `mysql` system user (--user=mysql) and
#     initdb/pg_ctl/postgres run as the `postgres` system user (PostgreSQL
#     refuses to run as root). mariadb/ is chowned to mysql, pg/ to postgres.
#     Both users must be able to traverse every parent directory of the data
#     dir; if they cannot (e.g. the project lives under /root, mode 700),
#     start fails with a message: point ETLRE_DEV_DB_DIR somewhere
#     traversable, e.g. ETLRE_DEV_DB_DIR=/var/tmp/etlre-dev-db.
#   * Unix socket paths are limited to ~107 bytes; when the data dir path is
#     too long the sockets go to /tmp instead (TCP is unaffected).
#
# Nothing here touches the system-wide services or /etc/mysql: mariadbd and
# the clients are run with --no-defaults.
#
# stdout carries only the env lines (start, env) and the status lines
# (status); progress and errors go to stderr.
set -euo pipefail

PROG=dev-db.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PROJECT_ROOT=$(cd "$SCRIPT_DIR/.." && pwd -P)

MARIADB_PORT=${ETLRE_DEV_MARIADB_PORT:-3407}
MARIADB_BUFFER_POOL=${ETLRE_DEV_MARIADB_BUFFER_POOL:-512M}
PG_PORT=${ETLRE_DEV_PG_PORT:-5477}
TIMEOUT=${ETLRE_DEV_DB_TIMEOUT:-60}
DBDIR=${ETLRE_DEV_DB_DIR:-$PROJECT_ROOT/.dev-db}
case $DBDIR in /*) ;; *) DBDIR=$PWD/$DBDIR ;; esac
# As root the servers run as mysql/postgres, who must reach the data. When the
# project lives where they cannot (under /root, mode 700), keep the data in
# /var/tmp instead, with .dev-db a symlink to it, unless a dir was chosen.
if [ -z "${ETLRE_DEV_DB_DIR:-}" ] && [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 &&
   ! runuser -u postgres -- test -x "$PROJECT_ROOT" 2>/dev/null; then
  DBDIR=/var/tmp/etlre-dev-db-$(printf '%s' "$PROJECT_ROOT" | cksum | cut -d' ' -f1)
  [ -e "$PROJECT_ROOT/.dev-db" ] || ln -s "$DBDIR" "$PROJECT_ROOT/.dev-db"
  chmod 755 "$(dirname "$DBDIR")" 2>/dev/null || true
fi

MDIR=$DBDIR/mariadb
MDATA=$MDIR/data
MPID=$MDIR/mariadbd.pid
MLOG=$MDIR/mariadbd.log
PGDIR=$DBDIR/pg
PGDATA=$PGDIR/data
PGLOG=$PGDIR/postgres.log
TLS_SRC=${ETLRE_DEV_TLS_DIR:-}
TLS_ONLY=${ETLRE_DEV_TLS_ONLY:-0}
if [ -n "$TLS_SRC" ]; then
  for f in ca.crt server.crt server.key; do
    [ -r "$TLS_SRC/$f" ] || { printf '%s: error: %s\n' dev-db.sh "ETLRE_DEV_TLS_DIR: cannot read $TLS_SRC/$f" >&2; exit 1; }
  done
fi

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

for p in "$MARIADB_PORT" "$PG_PORT"; do
  [[ $p =~ ^[0-9]+$ ]] && (( p > 0 && p < 65536 )) || die "bad port '$p'"
done
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "bad ETLRE_DEV_DB_TIMEOUT '$TIMEOUT'"

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

# ---------------------------------------------------------------- helpers

# short_hash STRING: a stable number derived from STRING (for /tmp fallbacks)
short_hash() { printf '%s' "$1" | cksum | cut -d' ' -f1; }

# Unix socket paths must fit in sun_path (108 bytes incl. NUL).
MSOCK=$MDIR/mariadbd.sock
if [ ${#MSOCK} -gt 100 ]; then
  MSOCK=/tmp/etlre-dev-mariadb-$(short_hash "$MDIR").sock
fi
PGSOCKDIR=$PGDIR
if [ $(( ${#PGSOCKDIR} + 20 )) -gt 100 ]; then
  PGSOCKDIR=/tmp
fi

print_env() {
  printf "export ETLRE_SOURCE_URL='mariadb://etl:etl@127.0.0.1:%s/ivr'\n" "$MARIADB_PORT"
  printf "export ETLRE_TARGET_URL='postgresql://etl@127.0.0.1:%s/analytics'\n" "$PG_PORT"
  printf "export ETLRE_DEV_MARIADB_PORT=%s ETLRE_DEV_PG_PORT=%s\n" "$MARIADB_PORT" "$PG_PORT"
}

find_pg_bin() {
  if [ -n "${ETLRE_DEV_PG_BIN:-}" ]; then
    PGBIN=$ETLRE_DEV_PG_BIN
  else
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  [ -n "$PGBIN" ] && [ -x "$PGBIN/pg_ctl" ] ||
    die "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin); run scripts/install-deps.sh"
}

need_mariadb_bins() {
  local b
  for b in mariadbd mariadb mariadb-install-db mariadb-admin; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] ||
      die "$b not found; run scripts/install-deps.sh"
  done
}

mariadbd_bin() { command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd; }

# as_pg CMD...: run a PostgreSQL tool as the postgres user when we are root
as_pg() {
  if [ $IS_ROOT -eq 1 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# tcp_open PORT: does something accept TCP connections on 127.0.0.1:PORT?
tcp_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# mariadb_pid: pid of our running mariadbd, or nothing
mariadb_pid() {
  local pid
  [ -r "$MPID" ] || return 1
  pid=$(cat "$MPID" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--datadir=$MDATA " || return 1
  echo "$pid"
}

pg_running() {
  [ -f "$PGDATA/PG_VERSION" ] || return 1
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

# mdb_admin SQL...: run SQL as root over our unix socket
mdb_admin() {
  mariadb --no-defaults --protocol=socket --socket="$MSOCK" -uroot \
    --batch --skip-column-names "$@"
}

pg_admin() {
  as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" \
    -U postgres -d postgres "$@"
}

show_log_tail() {
  local f=$1
  if [ -r "$f" ]; then
    printf -- '--- last lines of %s ---\n' "$f" >&2
    tail -n 30 "$f" >&2
    printf -- '---\n' >&2
  fi
}

# check_traversable USER DIR: can USER reach DIR?
check_traversable() {
  local user=$1 dir=$2
  if ! runuser -u "$user" -- test -x "$dir" 2>/dev/null; then
    die "the '$user' user cannot reach $dir (a parent directory is not traversable," \
        "e.g. /root is mode 700). Put the data elsewhere, e.g." \
        "ETLRE_DEV_DB_DIR=/var/tmp/etlre-dev-db $0 start"
  fi
}

with_lock() {
  mkdir -p "$DBDIR" || die "cannot create $DBDIR"
  exec 9>>"$DBDIR/.lock" || die "cannot open $DBDIR/.lock"
  if ! flock -w 180 9; then die "another dev-db.sh is busy with $DBDIR"; fi
}

# tls_install DIR OWNER: copies the TLS files of ETLRE_DEV_TLS_DIR into DIR,
# the key readable by OWNER only (PostgreSQL refuses a key others can read)
tls_install() {
  local dir=$1 owner=$2
  mkdir -p "$dir"
  cp "$TLS_SRC/ca.crt" "$TLS_SRC/server.crt" "$TLS_SRC/server.key" "$dir/"
  chmod 600 "$dir/server.key"
  chmod 644 "$dir/ca.crt" "$dir/server.crt"
  if [ $IS_ROOT -eq 1 ]; then chown -R "$owner:$owner" "$dir"; fi
}

# ---------------------------------------------------------------- MariaDB

mariadb_init() {
  [ -d "$MDATA/mysql" ] && return 0
  log "initialising MariaDB data dir $MDATA"
  mkdir -p "$MDATA" "$MDIR/tmp"
  local userargs=()
  if [ $IS_ROOT -eq 1 ]; then
    id mysql >/dev/null 2>&1 || die "system user 'mysql' missing (is mariadb-server installed?)"
    chown -R mysql:mysql "$MDIR"
    check_traversable mysql "$MDIR"
    userargs=(--user=mysql)
  fi
  # its own tmpdir: two pairs bootstrapping at once in /tmp collided on a
  # temporary table (the test suite starts its server pairs side by side);
  # a failed bootstrap is removed, or the next start would find a data dir
  # with no users in it
  if ! mariadb-install-db --no-defaults --datadir="$MDATA" "${userargs[@]}" \
        --auth-root-authentication-method=normal --skip-test-db \
        --skip-name-resolve --tmpdir="$MDIR/tmp" >"$MDIR/install.log" 2>&1; then
    show_log_tail "$MDIR/install.log"
    rm -rf "$MDATA"
    die "mariadb-install-db failed (see $MDIR/install.log)"
  fi
}

mariadb_start() {
  local pid
  if pid=$(mariadb_pid); then
    log "MariaDB already running (pid $pid)"
    return 0
  fi
  if tcp_open "$MARIADB_PORT"; then
    die "port $MARIADB_PORT is in use by something else; set ETLRE_DEV_MARIADB_PORT"
  fi
  mariadb_init
  mkdir -p "$MDIR/tmp"
  local userargs=()
  if [ $IS_ROOT -eq 1 ]; then
    [ "$(stat -c %U "$MDATA")" = mysql ] || chown -R mysql:mysql "$MDIR"
    chown mysql:mysql "$MDIR" "$MDIR/tmp"
    check_traversable mysql "$MDIR"
    userargs=(--user=mysql)
    touch "$MLOG" && chown mysql:mysql "$MLOG"
  fi
  rm -f "$MPID"
  local tlsargs=()
  if [ -n "$TLS_SRC" ]; then
    tls_install "$MDIR/tls" mysql
    tlsargs=(--ssl-ca="$MDIR/tls/ca.crt" --ssl-cert="$MDIR/tls/server.crt"
             --ssl-key="$MDIR/tls/server.key")
    [ "$TLS_ONLY" = 1 ] && tlsargs+=(--require-secure-transport=ON)
  fi
  log "starting MariaDB on 127.0.0.1:$MARIADB_PORT${TLS_SRC:+ with TLS}"
  # setsid: own session, so it is not killed with the caller's process group
  setsid "$(mariadbd_bin)" --no-defaults "${userargs[@]}" \
    --datadir="$MDATA" --socket="$MSOCK" --pid-file="$MPID" \
    --port="$MARIADB_PORT" --bind-address=127.0.0.1 \
    --log-error="$MLOG" --tmpdir="$MDIR/tmp" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --local-infile=1 --performance-schema=OFF --plugin-load-add=metadata_lock_info \
    --innodb-buffer-pool-size="$MARIADB_BUFFER_POOL" --innodb-log-file-size=48M \
    --innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 \
    --max-connections=200 "${tlsargs[@]}" \
    </dev/null >>"$MLOG" 2>&1 9>&- &
  MARIADB_LAUNCHED=$!
}

mariadb_wait() {
  local i
  for (( i = 0; i < TIMEOUT * 5; i++ )); do
    if mariadb_pid >/dev/null && tcp_open "$MARIADB_PORT" &&
       mdb_admin -e 'SELECT 1' >/dev/null 2>&1; then
      return 0
    fi
    if [ -n "${MARIADB_LAUNCHED:-}" ] && ! kill -0 "$MARIADB_LAUNCHED" 2>/dev/null &&
       ! mariadb_pid >/dev/null; then
      show_log_tail "$MLOG"
      die "MariaDB exited during startup (log: $MLOG)"
    fi
    sleep 0.2
  done
  show_log_tail "$MLOG"
  die "MariaDB did not accept connections on 127.0.0.1:$MARIADB_PORT within ${TIMEOUT}s (log: $MLOG)"
}

mariadb_ensure() {
  mdb_admin <<'SQL' || die "could not create the MariaDB users/databases"
CREATE DATABASE IF NOT EXISTS ivr      CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS ivr_test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'etl'@'127.0.0.1' IDENTIFIED BY 'etl';
CREATE USER IF NOT EXISTS 'etl'@'localhost' IDENTIFIED BY 'etl';
ALTER USER 'etl'@'127.0.0.1' IDENTIFIED BY 'etl';
ALTER USER 'etl'@'localhost' IDENTIFIED BY 'etl';
GRANT ALL PRIVILEGES ON ivr.*      TO 'etl'@'127.0.0.1', 'etl'@'localhost';
GRANT ALL PRIVILEGES ON ivr_test.* TO 'etl'@'127.0.0.1', 'etl'@'localhost';
GRANT ALL PRIVILEGES ON `ivr\_test\_%`.* TO 'etl'@'127.0.0.1', 'etl'@'localhost';
FLUSH PRIVILEGES;
SQL
}

mariadb_stop() {
  local pid i
  if ! pid=$(mariadb_pid); then
    log "MariaDB not running"
    return 0
  fi
  log "stopping MariaDB (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for (( i = 0; i < TIMEOUT * 5; i++ )); do
    kill -0 "$pid" 2>/dev/null || { log "MariaDB stopped"; return 0; }
    sleep 0.2
  done
  log "MariaDB did not stop within ${TIMEOUT}s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- PostgreSQL

pg_write_conf() {
  # Rewritten on every start so that port/socket overrides take effect.
  local sock=${PGSOCKDIR//\'/\'\'}
  cat >"$PGDATA/etlre-dev.conf" <<EOF
# written by scripts/dev-db.sh on every start; do not edit
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sock'
max_connections = 100
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
lc_messages = 'C'
EOF
  if [ -n "$TLS_SRC" ]; then
    tls_install "$PGDIR/tls" postgres
    local hba=host
    [ "$TLS_ONLY" = 1 ] && hba=hostssl
    printf '%s\n' "local all all trust" "$hba all all 127.0.0.1/32 trust" \
      "$hba all all ::1/128 trust" >"$PGDATA/etlre-dev-hba.conf"
    cat >>"$PGDATA/etlre-dev.conf" <<EOF
ssl = on
ssl_cert_file = '$PGDIR/tls/server.crt'
ssl_key_file = '$PGDIR/tls/server.key'
ssl_ca_file = '$PGDIR/tls/ca.crt'
hba_file = '$PGDATA/etlre-dev-hba.conf'
EOF
    [ $IS_ROOT -eq 1 ] && chown postgres:postgres "$PGDATA/etlre-dev-hba.conf"
  fi
  [ $IS_ROOT -eq 1 ] && chown postgres:postgres "$PGDATA/etlre-dev.conf"
  return 0
}

pg_init() {
  [ -f "$PGDATA/PG_VERSION" ] && return 0
  log "initialising PostgreSQL data dir $PGDATA"
  mkdir -p "$PGDIR"
  if [ $IS_ROOT -eq 1 ]; then
    id postgres >/dev/null 2>&1 || die "system user 'postgres' missing (is postgresql installed?)"
    chown -R postgres:postgres "$PGDIR"
    check_traversable postgres "$PGDIR"
  fi
  if ! as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust \
        --encoding=UTF8 --no-locale >"$PGDIR/initdb.log" 2>&1; then
    show_log_tail "$PGDIR/initdb.log"
    die "initdb failed (see $PGDIR/initdb.log)"
  fi
  # pg_hba.conf from --auth=trust: trust for local socket and 127.0.0.1/::1;
  # the server only listens on 127.0.0.1 and on a private socket dir.
  printf "\n# etlre dev settings\ninclude_if_exists = 'etlre-dev.conf'\n" \
    >>"$PGDATA/postgresql.conf"
}

pg_start() {
  if pg_running; then
    log "PostgreSQL already running ($PGDATA)"
    return 0
  fi
  if tcp_open "$PG_PORT"; then
    die "port $PG_PORT is in use by something else; set ETLRE_DEV_PG_PORT"
  fi
  pg_init
  if [ $IS_ROOT -eq 1 ]; then
    [ "$(stat -c %U "$PGDATA")" = postgres ] || chown -R postgres:postgres "$PGDIR"
    chown postgres:postgres "$PGDIR"
    check_traversable postgres "$PGDIR"
  fi
  pg_write_conf
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  if ! as_pg setsid -w "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t "$TIMEOUT" \
        -s start </dev/null >&2 9>&-; then
    show_log_tail "$PGLOG"
    die "PostgreSQL did not start (log: $PGLOG)"
  fi
}

pg_wait() {
  local i
  for (( i = 0; i < TIMEOUT * 5; i++ )); do
    if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -t 2 2>/dev/null; then
      return 0
    fi
    if ! pg_running; then
      show_log_tail "$PGLOG"
      die "PostgreSQL is not running (log: $PGLOG)"
    fi
    sleep 0.2
  done
  show_log_tail "$PGLOG"
  die "PostgreSQL did not accept connections on 127.0.0.1:$PG_PORT within ${TIMEOUT}s (log: $PGLOG)"
}

pg_ensure() {
  pg_admin <<'SQL' || die "could not create the PostgreSQL role/databases"
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'etl') THEN
    CREATE ROLE etl LOGIN SUPERUSER;
  ELSE
    ALTER ROLE etl LOGIN SUPERUSER;
  END IF;
END
$$;
SELECT format('CREATE DATABASE %I OWNER etl ENCODING %L TEMPLATE template0', d, 'UTF8')
  FROM unnest(ARRAY['analytics', 'analytics_test']) AS d
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d)
\gexec
SQL
}

pg_stop() {
  if ! pg_running; then
    log "PostgreSQL not running"
    return 0
  fi
  local pid i
  pid=$(as_pg head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || true)
  log "stopping PostgreSQL${pid:+ (pid $pid)}"
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t "$TIMEOUT" -s stop >&2 ||
    die "pg_ctl stop failed (log: $PGLOG)"
  # pg_ctl returns once postmaster.pid is gone; wait for the process itself too
  if [[ ${pid:-} =~ ^[0-9]+$ ]]; then
    for (( i = 0; i < 50; i++ )); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  log "PostgreSQL stopped"
}

# ---------------------------------------------------------------- commands

cmd_start() {
  need_mariadb_bins
  find_pg_bin
  with_lock
  if [ $IS_ROOT -eq 1 ]; then
    # fail early with a clear message rather than deep inside initdb
    check_traversable postgres "$DBDIR"
    check_traversable mysql "$DBDIR"
  fi
  MARIADB_LAUNCHED=
  if [ "$WHICH" != postgresql ]; then mariadb_start; fi
  if [ "$WHICH" != mariadb ]; then pg_start; fi
  if [ "$WHICH" != postgresql ]; then mariadb_wait; mariadb_ensure; fi
  if [ "$WHICH" != mariadb ]; then pg_wait; pg_ensure; fi
  [ "$WHICH" = both ] || return 0
  log "MariaDB up on 127.0.0.1:$MARIADB_PORT, PostgreSQL up on 127.0.0.1:$PG_PORT (data: $DBDIR)"
  print_env
}

cmd_stop() {
  find_pg_bin
  if [ ! -d "$DBDIR" ]; then
    log "nothing to stop ($DBDIR does not exist)"
    return 0
  fi
  with_lock
  local rc=0
  if [ "$WHICH" != postgresql ]; then mariadb_stop || rc=1; fi
  if [ "$WHICH" != mariadb ]; then pg_stop || rc=1; fi
  return $rc
}

cmd_status() {
  find_pg_bin
  local rc=0 pid
  if pid=$(mariadb_pid) && tcp_open "$MARIADB_PORT"; then
    echo "mariadb: up (pid $pid, 127.0.0.1:$MARIADB_PORT, data $MDATA)"
  elif [ -n "${pid:-}" ]; then
    echo "mariadb: running (pid $pid) but not accepting connections on 127.0.0.1:$MARIADB_PORT"
    rc=1
  else
    echo "mariadb: down"
    rc=1
  fi
  if pg_running && "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -t 2 2>/dev/null; then
    echo "postgresql: up (127.0.0.1:$PG_PORT, data $PGDATA)"
  elif pg_running; then
    echo "postgresql: running but not accepting connections on 127.0.0.1:$PG_PORT"
    rc=1
  else
    echo "postgresql: down"
    rc=1
  fi
  return $rc
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
}

# an optional second word limits start and stop to one server (fault tests)
WHICH=${2:-both}
case $WHICH in both|mariadb|postgresql) ;; *) usage; exit 2 ;; esac
case ${1:-} in
  start)  cmd_start ;;
  stop)   cmd_stop ;;
  status) cmd_status ;;
  env)    print_env ;;
  -h|--help|help) usage ;;
  *) usage; exit 2 ;;
esac
