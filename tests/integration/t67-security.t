#!/usr/bin/env bash
# Security (README "Security"), against throwaway servers of this test's own
# (their data under the test's temporary folder, their ports the dev ports
# + 20; t70 has + 10, t72 + 30), with certificates made here by openssl: MariaDB with
# require_secure_transport and PostgreSQL with hostssl lines only, showing a
# certificate for 127.0.0.1 signed by CA 1 (MariaDB is restarted once with
# one that names another host), and the plain dev MariaDB of lib.sh (no TLS).
# TLS: each sslmode of the source url, each refusal exit 4 with its reason and
# nothing written; check shows the TLS version and cipher; a client
# certificate; the target's libpq sslmode verify-full and a wrong CA.
# Secrets: password_file, $ETLRE_SOURCE_PASSWORD_FILE, their errors (exit 2,
# the path named, never the content), the warning for a config file others
# may read, the nightly script's helpers without password variables.
# Least privilege: process, verify --deep and check with a SELECT-only source
# account and a target role holding only the README's grants; each missing
# grant is exit 2 naming the object and the privilege, nothing written.
# run early: slow (TLS servers of its own started, MariaDB restarted, every grant refused in turn)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_tls.sh"

command -v openssl >/dev/null || { echo "Bail out! openssl is missing (scripts/install-deps.sh)"; exit 1; }
CERTS=$TMP/certs
TLS_M=$((ETLRE_DEV_MARIADB_PORT + 20)) TLS_P=$((ETLRE_DEV_PG_PORT + 20))
trap 'tls_servers stop server; rm -rf "$TMP"' EXIT
make_certs "$CERTS" || { echo "Bail out! openssl could not make the test certificates"; exit 1; }
tls_servers start server || { cat "$TMP/dev-db.log"; echo "Bail out! cannot start the TLS servers"; exit 1; }
MSOCK=$TLS_DB_ROOT/mariadb/mariadbd.sock

# tmy SQL: as root on the TLS MariaDB, over its unix socket, in ivr
tmy() { mariadb --no-defaults --socket="$MSOCK" -uroot -N -B ivr -e "$1"; }
# tpg SQL: as the superuser etl on the TLS PostgreSQL (TLS, verified)
TPG_ADMIN="postgresql://etl@127.0.0.1:$TLS_P/analytics?sslmode=verify-full&sslrootcert=$CERTS/ca.crt"
tpg() { PGOPTIONS='-c client_min_messages=warning' psql "$TPG_ADMIN" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
snapshot() { tpg "SELECT md5(string_agg(t, ',' ORDER BY t)) FROM (
	SELECT 'c' || c::text AS t FROM analytics.calls c UNION ALL SELECT 'j' || j::text FROM etlre.jobs j
	UNION ALL SELECT 'h' || h::text FROM etlre.job_hours h UNION ALL SELECT 'l' || l::text FROM etlre.loaded_hours l) x"; }

# the source's fixtures, the least-privilege accounts, the target's tables
bash "$ROOT/scripts/load-fixtures.sh" -q --source-url "mariadb://root@localhost/ivr?socket=$MSOCK" &&
tmy "CREATE USER IF NOT EXISTS 'etl_ro'@'127.0.0.1' IDENTIFIED BY 'ro-S3cret-pw';
     GRANT SELECT ON ivr.calls TO 'etl_ro'@'127.0.0.1';
     CREATE TABLE IF NOT EXISTS queues (name varchar(40) PRIMARY KEY);
     GRANT SELECT ON ivr.queues TO 'etl_ro'@'127.0.0.1';
     CREATE USER IF NOT EXISTS 'etl_x509'@'127.0.0.1' IDENTIFIED BY 'x509-pw' REQUIRE X509;
     GRANT SELECT ON ivr.calls TO 'etl_x509'@'127.0.0.1';" &&
tpg "DROP SCHEMA IF EXISTS analytics CASCADE; DROP SCHEMA IF EXISTS etlre CASCADE" &&
psql "$TPG_ADMIN" -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/postgres/analytics.sql" >/dev/null
check "fixtures, accounts and tables on the TLS servers" test $? -eq 0

SRC_BASE="mariadb://etl:etl@127.0.0.1:$TLS_M/ivr"
TGT_OK="postgresql://etl@127.0.0.1:$TLS_P/analytics?sslmode=verify-full&sslrootcert=$CERTS/ca.crt"
export ETLRE_SOURCE_URL="$SRC_BASE?sslmode=verify-full&sslrootcert=$CERTS/ca.crt"
export ETLRE_TARGET_URL=$TGT_OK
run_etlre init
is "$RC" 0 "init over verified TLS on both sides"

# ---- check: each connection's TLS
run_etlre check
is "$RC" 0 "check: healthy over TLS"
like "$OUT" "ok +source +connected to etl@127\.0\.0\.1:$TLS_M/ivr \(TLSv1\.[23], cipher [A-Z0-9_-]+\)" "check: the source's TLS version and cipher"
like "$OUT" "ok +target +connected to etl@127\.0\.0\.1:$TLS_P/analytics \(TLSv1\.[23], cipher [A-Z0-9_-]+\)" "check: the target's TLS version and cipher"
# check_source URL: etlre check with that source url; $SRC is check's source line
check_source() { ETLRE_SOURCE_URL=$1 run_etlre check; SRC=$(printf '%s\n' "$OUT" | grep -E '^[a-zA-Z]+ +source '); }
ENCRYPTED='^ok +source +connected to [^ ]+ \(TLSv1\.[23], cipher [A-Z0-9_-]+\)$'
check_source "mariadb://etl:etl@127.0.0.1:$ETLRE_DEV_MARIADB_PORT/$MY_DB"
like "$SRC" "^ok +source +connected to etl@127\.0\.0\.1:$ETLRE_DEV_MARIADB_PORT/$MY_DB \(not encrypted\)" "check: a server without TLS under the default prefer: not encrypted"
check_source "$SRC_BASE"
like "$SRC" "$ENCRYPTED" "the default prefer encrypts when the server offers TLS"
check_source "$SRC_BASE?sslmode=require"
like "$SRC" "$ENCRYPTED" "require: encrypted, the certificate not checked"

# ---- refusals: exit 4 with the reason, nothing written
before=$(snapshot)
expect_refused() { # DESC REASON-PATTERN [process args...]: with the urls of the environment
	local desc=$1 reason=$2
	run_etlre process --date 2025-11-01
	is "$RC" 4 "$desc: exit 4"
	like "$ERR" "$reason" "$desc: the reason"
	is "$(snapshot)" "$before" "$desc: nothing written"
}
ETLRE_SOURCE_URL="mariadb://etl:etl@127.0.0.1:$ETLRE_DEV_MARIADB_PORT/$MY_DB?sslmode=require" \
	expect_refused "require, server without TLS" "the server does not offer TLS \(sslmode=require\)"
ETLRE_SOURCE_URL="mariadb://etl:etl@127.0.0.1:$ETLRE_DEV_MARIADB_PORT/$MY_DB?sslmode=verify-full&sslrootcert=$CERTS/ca.crt" \
	expect_refused "verify-full, server without TLS" "sslmode=verify-full.*(does not support|does not offer)"
ETLRE_SOURCE_URL="$SRC_BASE?sslmode=verify-ca&sslrootcert=$CERTS/ca2.crt" \
	expect_refused "verify-ca, another CA" "sslmode=verify-ca\): TLS/SSL error: .*certificate"
ETLRE_SOURCE_URL="$SRC_BASE?sslmode=verify-full&sslrootcert=$CERTS/ca2.crt" \
	expect_refused "verify-full, another CA" "sslmode=verify-full\): TLS/SSL error: .*certificate"
ETLRE_SOURCE_URL="$SRC_BASE?sslmode=verify-full" \
	expect_refused "verify-full, the system's CAs do not know the test CA" "sslmode=verify-full\): TLS/SSL error: .*certificate"
ETLRE_SOURCE_URL="$SRC_BASE?sslmode=disable" \
	expect_refused "disable, a server that requires TLS" "cannot connect to the source"
ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:$TLS_P/analytics?sslmode=verify-full&sslrootcert=$CERTS/ca2.crt" \
	expect_refused "target verify-full, another CA" "cannot connect to the target .*certificate verify failed"
ETLRE_TARGET_URL="postgresql://etl@127.0.0.1:$TLS_P/analytics?sslmode=disable" \
	expect_refused "target disable, a server with hostssl only" "cannot connect to the target .*no pg_hba.conf entry"
like "$ERR" "no encryption" "target disable: libpq says the connection was not encrypted"

# MariaDB shows a certificate of CA 1 for another host (db.example.invalid)
tls_servers stop server mariadb && tls_servers start other mariadb
check "MariaDB restarted with the other host's certificate" test $? -eq 0
ETLRE_SOURCE_URL="$SRC_BASE?sslmode=verify-full&sslrootcert=$CERTS/ca.crt" \
	expect_refused "verify-full, a certificate for another host" "host name mismatch: the server's certificate does not name '127\.0\.0\.1'"
check_source "$SRC_BASE?sslmode=verify-ca&sslrootcert=$CERTS/ca.crt"
like "$SRC" "$ENCRYPTED" "verify-ca: the chain is checked, not the host name"
check_source "$SRC_BASE?sslmode=require&sslrootcert=$CERTS/ca2.crt"
like "$SRC" "$ENCRYPTED" "require: sslrootcert is not used (as libpq)"
tls_servers stop other mariadb && tls_servers start server mariadb
check "MariaDB back with its own certificate" test $? -eq 0

# a client certificate: an account that REQUIRE X509
check_source "mariadb://etl_x509:x509-pw@127.0.0.1:$TLS_M/ivr?sslmode=verify-full&sslrootcert=$CERTS/ca.crt"
like "$SRC" "FAIL +source +cannot connect .*Access denied for user 'etl_x509'" "REQUIRE X509 without sslcert: refused"
is "$RC" 4 "REQUIRE X509 without sslcert: exit 4"
check_source "mariadb://etl_x509:x509-pw@127.0.0.1:$TLS_M/ivr?sslmode=verify-full&sslrootcert=$CERTS/ca.crt&sslcert=$CERTS/client.crt&sslkey=$CERTS/client.key"
like "$SRC" "^ok +source +connected to etl_x509@127\.0\.0\.1:$TLS_M/ivr \(TLSv1" "sslcert and sslkey: the client certificate is accepted"

# bad TLS settings are configuration errors
ETLRE_SOURCE_URL="$SRC_BASE?sslmode=verify-full&sslrootcert=$TMP/no-such-ca.crt" run_etlre check
is "$RC" 2 "a missing sslrootcert: exit 2"
like "$ERR" "cannot read sslrootcert '$TMP/no-such-ca.crt'" "names the missing file"
ETLRE_SOURCE_URL="$SRC_BASE?sslmode=verify-ca" run_etlre check
is "$RC" 2 "verify-ca without sslrootcert: exit 2"
like "$ERR" "verify-ca needs sslrootcert" "says verify-ca needs sslrootcert"
ETLRE_SOURCE_URL="$SRC_BASE?sslmode=verify_full" run_etlre check
is "$RC" 2 "an unknown sslmode: exit 2"
like "$ERR" "sslmode must be disable, prefer, require, verify-ca or verify-full, not 'verify_full'" "lists the sslmodes"
is "$(snapshot)" "$before" "no refusal wrote anything"

# ---- least privilege: SELECT-only source account, target role with the README's grants
tpg "DROP ROLE IF EXISTS etl_loader; CREATE ROLE etl_loader LOGIN;
     GRANT USAGE ON SCHEMA etlre, analytics TO etl_loader;
     GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA etlre TO etl_loader;
     GRANT USAGE ON ALL SEQUENCES IN SCHEMA etlre TO etl_loader;
     GRANT SELECT, INSERT, DELETE ON analytics.calls TO etl_loader;
     GRANT SELECT, INSERT, DELETE ON analytics.daily_call_metrics TO etl_loader;"
check "the target role etl_loader and its grants" test $? -eq 0
mkdir -p "$TMP/conf/secrets"
printf 'ro-S3cret-pw\n' >"$TMP/conf/secrets/source-password"
LP_CONF=$TMP/conf/least.conf
{
	printf '%s\n' '[source]' "url = mariadb://etl_ro@127.0.0.1:$TLS_M/ivr?sslmode=verify-full&sslrootcert=$CERTS/ca.crt" \
		'password_file = secrets/source-password' '[target]' \
		"url = postgresql://etl_loader@127.0.0.1:$TLS_P/analytics?sslmode=verify-full&sslrootcert=$CERTS/ca.crt" \
		'[etlre]' 'schema = etlre' 'timezone = UTC'
	sed -n '/^\[table calls\]/,$p' "$CONF"
} >"$LP_CONF"
chmod 600 "$LP_CONF"
lp() { OUT=$(env -u ETLRE_SOURCE_URL -u ETLRE_TARGET_URL "$ETLRE" --config "$LP_CONF" "$@" 2>"$TMP/stderr"); RC=$?; ERR=$(cat "$TMP/stderr"); }

lp process --date 2025-11-01
is "$RC" 0 "process with the least grants, over verified TLS, the password from a file"
is "$(tpg "SELECT count(*) FROM analytics.calls")" "$(tmy "SELECT count(*) FROM calls WHERE start_time >= '2025-11-01' AND start_time < '2025-11-02'")" "every row of the day loaded"
check "after_day wrote the day's metrics" test "$(tpg "SELECT count(*) FROM analytics.daily_call_metrics")" -gt 0
lp verify --date 2025-11-01 --deep
is "$RC" 0 "verify --deep with the least grants"
lp check
is "$RC" 0 "check with the least grants"
like "$OUT" "ok +table calls " "check: the table and its grants are ok"
is "$ERR" "" "no warning for a config file of mode 600"
lp process --date 2025-11-01
is "$RC" 0 "process again (replace) with the least grants"

# each missing grant: exit 2, named, nothing written
before=$(snapshot)
expect_missing() { # DESC PATTERN COMMAND...
	local desc=$1 pat=$2
	shift 2
	lp "$@"
	is "$RC" 2 "$desc: exit 2"
	like "$ERR" "$pat" "$desc: names the object and the privilege"
	is "$(snapshot)" "$before" "$desc: nothing written"
}
tpg "REVOKE INSERT ON analytics.calls FROM etl_loader"
expect_missing "no INSERT on the target table" "the target role 'etl_loader' lacks INSERT on table analytics\.calls: GRANT INSERT ON analytics\.calls TO etl_loader" process --date 2025-11-01
# a dry run runs the hour's DELETE and COPY and rolls them back: it needs them too
expect_missing "process --dry-run without INSERT" "the target role 'etl_loader' lacks INSERT on table analytics\.calls" \
	process --date 2025-11-01 --dry-run
lp verify --date 2025-11-01
is "$RC" 0 "verify (no --repair) needs no INSERT"
lp check
is "$RC" 1 "check: a missing grant is a failed check"
like "$OUT" "FAIL +table calls +the target role 'etl_loader' lacks INSERT on table analytics\.calls" "check names it"
expect_missing "verify --repair without INSERT" "lacks INSERT on table analytics\.calls" verify --date 2025-11-01 --repair
tpg "GRANT INSERT ON analytics.calls TO etl_loader; REVOKE DELETE ON analytics.calls FROM etl_loader"
expect_missing "no DELETE on the target table" "lacks DELETE on table analytics\.calls" process --date 2025-11-01
tpg "GRANT DELETE ON analytics.calls TO etl_loader; REVOKE USAGE ON ALL SEQUENCES IN SCHEMA etlre FROM etl_loader"
expect_missing "no USAGE on etlre's sequences" "lacks USAGE on sequence etlre\.[a-z_]+: GRANT USAGE ON SEQUENCE etlre\." process --date 2025-11-01
tpg "GRANT USAGE ON ALL SEQUENCES IN SCHEMA etlre TO etl_loader; REVOKE UPDATE ON etlre.job_hours FROM etl_loader"
expect_missing "no UPDATE on etlre.job_hours" "lacks UPDATE on table etlre\.job_hours" process --date 2025-11-01
lp process --date 2025-11-01 --dry-run
is "$RC" 0 "a dry run writes none of etlre's tables: it needs no grant to"
is "$(snapshot)" "$before" "the dry run wrote nothing"
tpg "GRANT UPDATE ON etlre.job_hours TO etl_loader; REVOKE USAGE ON SCHEMA analytics FROM etl_loader"
# PostgreSQL itself refuses the catalog look-up first, naming the schema
expect_missing "no USAGE on the target's schema" "permission denied for schema analytics" process --date 2025-11-01
tpg "GRANT USAGE ON SCHEMA analytics TO etl_loader"
# (the account still reads another table of the database: else it could not log in to it)
tmy "REVOKE SELECT ON ivr.calls FROM 'etl_ro'@'127.0.0.1'"
expect_missing "no SELECT on the source table" "the source account may not read calls: it needs SELECT on it" process --date 2025-11-01
like "$ERR" "SELECT command denied to user 'etl_ro'" "the source's own words name the privilege"
tmy "GRANT SELECT ON ivr.calls TO 'etl_ro'@'127.0.0.1'"
sed -i 's/^\[table calls\]/[table calls]\nmode = merge/' "$LP_CONF"
tpg "GRANT UPDATE ON analytics.calls TO etl_loader; REVOKE TEMP ON DATABASE analytics FROM PUBLIC"
expect_missing "merge without TEMP on the database" "lacks TEMP on database analytics: GRANT TEMP ON DATABASE analytics TO etl_loader" process --date 2025-11-01
tpg "GRANT TEMP ON DATABASE analytics TO etl_loader"
lp process --date 2025-11-01
is "$RC" 0 "merge with TEMP and UPDATE: loads"
tpg "GRANT TEMP ON DATABASE analytics TO PUBLIC"

# ---- password files
SECRET=pw-Zq8-never-shown
pf_conf() { # pf_conf PASSWORD_FILE_LINE: the least config with another password_file line
	sed "s#^password_file = .*#$1#" "$LP_CONF" >"$TMP/conf/pf.conf"; chmod 600 "$TMP/conf/pf.conf"; }
pf() { OUT=$(env -u ETLRE_SOURCE_URL -u ETLRE_TARGET_URL "$ETLRE" --config "$TMP/conf/pf.conf" "$@" 2>"$TMP/stderr"); RC=$?; ERR=$(cat "$TMP/stderr"); }
pf_conf "password_file = $TMP/conf/secrets/none"
pf check
is "$RC" 2 "a missing password_file: exit 2"
like "$ERR" "cannot read the password file '$TMP/conf/secrets/none' \(\[source\] password_file in .*pf\.conf\): No such file" "names the path and where it came from"
pf_conf "password_file = secrets"
pf check
is "$RC" 2 "a directory as password_file: exit 2"
like "$ERR" "cannot read the password file '$TMP/conf/secrets' .*a directory" "says it is a directory (relative to the config's folder)"
: >"$TMP/conf/secrets/empty"
pf_conf "password_file = secrets/empty"
pf check
is "$RC" 2 "an empty password file: exit 2"
like "$ERR" "the password file '.*secrets/empty' .* is empty" "says it is empty"
printf '%s\r\nsecond line\n' "ro-S3cret-pw" >"$TMP/conf/secrets/crlf"
pf_conf "password_file = secrets/crlf"
pf check
is "$RC" 0 "the first line, its CR LF stripped, is the password"
printf '%s\n' "$SECRET" >"$TMP/conf/secrets/wrong"
pf_conf "password_file = secrets/wrong"
pf check
is "$RC" 4 "a wrong password from the file: exit 4"
like "$ERR" "Access denied for user 'etl_ro'" "access denied"
check "the password never appears" test "$(printf '%s%s' "$OUT" "$ERR" | grep -c -- "$SECRET")" -eq 0
OUT=$(ETLRE_SOURCE_PASSWORD_FILE=$TMP/conf/secrets/source-password env -u ETLRE_SOURCE_URL -u ETLRE_TARGET_URL "$ETLRE" --config "$TMP/conf/pf.conf" check 2>&1); RC=$?
is "$RC" 0 "\$ETLRE_SOURCE_PASSWORD_FILE wins over [source] password_file"
OUT=$(ETLRE_SOURCE_PASSWORD_FILE=$TMP/conf/secrets/gone env -u ETLRE_SOURCE_URL -u ETLRE_TARGET_URL "$ETLRE" --config "$TMP/conf/pf.conf" check 2>&1); RC=$?
is "$RC" 2 "a missing \$ETLRE_SOURCE_PASSWORD_FILE: exit 2"
like "$OUT" "cannot read the password file '$TMP/conf/secrets/gone' \(\\\$ETLRE_SOURCE_PASSWORD_FILE\)" "names the path and the variable"

# a config file holding a password, readable by others
sed "s#^url = mariadb://etl_ro@#url = mariadb://etl_ro:ro-S3cret-pw@#; /^password_file/d" "$LP_CONF" >"$TMP/conf/inline.conf"
chmod 644 "$TMP/conf/inline.conf"
OUT=$(env -u ETLRE_SOURCE_URL -u ETLRE_TARGET_URL "$ETLRE" --config "$TMP/conf/inline.conf" check 2>&1); RC=$?
is "$RC" 0 "a password in a mode 644 config still works"
like "$OUT" "warn +the config file '$TMP/conf/inline.conf' holds a password and its group or others may read it \(mode 0644\): chmod 600 '$TMP/conf/inline.conf'" "warns, naming the file and chmod 600"
check "the warning does not show the password" test "$(printf '%s' "$OUT" | grep -c 'ro-S3cret-pw')" -eq 0
chmod 640 "$TMP/conf/inline.conf"
OUT=$(env -u ETLRE_SOURCE_URL -u ETLRE_TARGET_URL "$ETLRE" --config "$TMP/conf/inline.conf" check 2>&1)
like "$OUT" "\(mode 0640\): chmod 600" "group-readable: warns too"
chmod 600 "$TMP/conf/inline.conf"
OUT=$(env -u ETLRE_SOURCE_URL -u ETLRE_TARGET_URL "$ETLRE" --config "$TMP/conf/inline.conf" check 2>&1)
check "mode 600: no warning" test "$(printf '%s' "$OUT" | grep -c 'warn')" -eq 0
sed "s#^url = postgresql://etl_loader@127#url = postgresql://etl_loader:tgt-pw@127#" "$LP_CONF" >"$TMP/conf/tgtpw.conf"
chmod 604 "$TMP/conf/tgtpw.conf"
OUT=$(env -u ETLRE_SOURCE_URL -u ETLRE_TARGET_URL "$ETLRE" --config "$TMP/conf/tgtpw.conf" check 2>&1)
like "$OUT" "the config file '$TMP/conf/tgtpw.conf' holds a password .*\(mode 0604\)" "a password in the target url: warns too"
chmod 644 "$LP_CONF"
lp check
check "no password in the file (password_file): no warning at mode 644" test "$(printf '%s' "$ERR" | grep -c 'warn')" -eq 0

# ---- the nightly script: password variables reach etlre only
mkdir -p "$TMP/nightly/bin" "$TMP/nightly/log"
printf '#!/bin/sh\nenv >"%s/env-find"\nexec /usr/bin/find "$@"\n' "$TMP/nightly" >"$TMP/nightly/bin/find"
printf '#!/bin/sh\nenv >"%s/env-etlre"\n' "$TMP/nightly" >"$TMP/nightly/bin/fake-etlre"
chmod +x "$TMP/nightly/bin/find" "$TMP/nightly/bin/fake-etlre"
PATH="$TMP/nightly/bin:$PATH" ETLRE_BIN="$TMP/nightly/bin/fake-etlre" ETLRE_NIGHTLY_LOG_DIR="$TMP/nightly/log" \
	ETLRE_NIGHTLY_LOCK="$TMP/nightly/lock" ETLRE_NIGHTLY_METRICS= ETLRE_SOURCE_PASSWORD=src-secret \
	PGPASSWORD=pg-secret bash "$ROOT/scripts/etlre-nightly.sh" >/dev/null 2>&1
is "$?" 0 "the nightly script ran (a stand-in etlre)"
is "$(grep -cE '^(ETLRE_SOURCE_PASSWORD|PGPASSWORD|ETLRE_SOURCE_URL|ETLRE_TARGET_URL)=' "$TMP/nightly/env-find")" 0 \
	"the script's other programs get no password variables"
is "$(grep -E '^(ETLRE_SOURCE_PASSWORD|PGPASSWORD)=' "$TMP/nightly/env-etlre" | sort | tr '\n' ' ')" \
	"ETLRE_SOURCE_PASSWORD=src-secret PGPASSWORD=pg-secret " "etlre gets them"

done_testing
