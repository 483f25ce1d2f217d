# lib_tls.sh: TLS helpers for the security tests, sourced after lib.sh.
#
# make_certs DIR: two certificate authorities made with openssl (ca.crt
# signs everything the servers show; ca2.crt signs nothing of theirs: the
# wrong-CA cases), a server certificate for 127.0.0.1 and localhost, one for
# another name only (db.example.invalid, the host-name mismatch), and a client
# certificate (sslcert/sslkey). The files of one server go in DIR/NAME/ as
# ca.crt, server.crt and server.key, as scripts/dev-db.sh's ETLRE_DEV_TLS_DIR takes.
#
# start_tls_servers NAME MARIADB_PORT PG_PORT [TLS_ONLY]: starts throwaway
# servers with dev-db.sh, their data under $TLS_DB_ROOT/NAME (PG_PORT empty:
# MariaDB only); stop_tls_servers stops every one started (the EXIT trap).

_ossl() { openssl "$@" >/dev/null 2>&1; }

# _cert DIR NAME CA SAN CN: a key and a certificate signed by CA (DIR/CA.crt)
_cert() {
	local d=$1 n=$2 ca=$3 san=$4 cn=$5
	_ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/$n.key" -out "$d/$n.csr" -subj "/CN=$cn" &&
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >"$d/$n.ext" &&
	_ossl x509 -req -in "$d/$n.csr" -CA "$d/$ca.crt" -CAkey "$d/$ca.key" -CAcreateserial \
		-days 2 -sha256 -extfile "$d/$n.ext" -out "$d/$n.crt"
}

make_certs() {
	local d=$1 ca
	mkdir -p "$d" || return 1
	for ca in ca ca2; do
		_ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
			-keyout "$d/$ca.key" -out "$d/$ca.crt" -subj "/CN=etlre test $ca" || return 1
	done
	_cert "$d" server ca "IP:127.0.0.1,DNS:localhost" "127.0.0.1" &&
	_cert "$d" other ca "DNS:db.example.invalid" "db.example.invalid" &&
	_cert "$d" client ca "DNS:etl" "etl" || return 1
	for n in server other; do
		mkdir -p "$d/$n" && cp "$d/ca.crt" "$d/$n/ca.crt" &&
		cp "$d/$n.crt" "$d/$n/server.crt" && cp "$d/$n.key" "$d/$n/server.key" || return 1
	done
	chmod 600 "$d"/*.key
}

TLS_DB_ROOT=$TMP/tls-db
TLS_STARTED=()
start_tls_servers() {
	local name=$1 mport=$2 pport=${3:-} only=${4:-0} which=both
	# MariaDB only: dev-db.sh still wants a PostgreSQL port, never used
	[ -n "$pport" ] || { which=mariadb; pport=$((mport + 2000)); }
	# the servers run as mysql and postgres when we are root: let them in
	chmod 711 "$TMP" && mkdir -p "$TLS_DB_ROOT" && chmod 711 "$TLS_DB_ROOT" || return 1
	TLS_STARTED+=("$name $mport $pport $which")
	ETLRE_DEV_DB_DIR=$TLS_DB_ROOT/$name ETLRE_DEV_MARIADB_PORT=$mport ETLRE_DEV_PG_PORT=$pport \
	ETLRE_DEV_MARIADB_BUFFER_POOL=32M ETLRE_DEV_TLS_DIR=$CERTS/$name ETLRE_DEV_TLS_ONLY=$only \
		bash "$ROOT/scripts/dev-db.sh" start $which >"$TMP/dev-db-$name.log" 2>&1
}
stop_tls_servers() {
	local s name mport pport which
	for s in "${TLS_STARTED[@]}"; do
		read -r name mport pport which <<<"$s"
		ETLRE_DEV_DB_DIR=$TLS_DB_ROOT/$name ETLRE_DEV_MARIADB_PORT=$mport ETLRE_DEV_PG_PORT=$pport \
			bash "$ROOT/scripts/dev-db.sh" stop $which >/dev/null 2>&1
	done
}
