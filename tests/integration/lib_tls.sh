# lib_tls.sh: TLS helpers for the security tests, sourced after lib.sh.
#
# make_certs DIR: two certificate authorities made with openssl (ca.crt
# signs everything the servers show; ca2.crt signs nothing of theirs: the
# wrong-CA cases), a server certificate for 127.0.0.1 and localhost, one for
# another name only (db.example.invalid, the host-name mismatch), and a client
# certificate (sslcert/sslkey). The files of one server go in DIR/NAME/ as
# ca.crt, server.crt and server.key, as scripts/dev-db.sh's ETLRE_DEV_TLS_DIR takes.
#
# tls_servers: throwaway TLS-only servers of scripts/dev-db.sh (see below).

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
	_cert "$d" server ca "IP:127.0.0.1,DNS:localhost" "etlre test server" &&
	_cert "$d" other ca "DNS:db.example.invalid" "db.example.invalid" &&
	_cert "$d" client ca "DNS:etl" "etl" || return 1
	for n in server other; do
		mkdir -p "$d/$n" && cp "$d/ca.crt" "$d/$n/ca.crt" &&
		cp "$d/$n.crt" "$d/$n/server.crt" && cp "$d/$n.key" "$d/$n/server.key" || return 1
	done
	chmod 600 "$d"/*.key
}

TLS_DB_ROOT=$TMP/tls-db
# tls_servers start|stop CERT [mariadb]: the throwaway pair (both servers, or
# MariaDB alone) on ports $TLS_M and $TLS_P, its data under $TLS_DB_ROOT,
# TLS only, showing the certificate CERT (server or other) of make_certs
tls_servers() {
	local action=$1 cert=$2 which=${3:-both}
	# the servers run as mysql and postgres when we are root: let them in
	chmod 711 "$TMP" && mkdir -p "$TLS_DB_ROOT" && chmod 711 "$TLS_DB_ROOT" || return 1
	ETLRE_DEV_DB_DIR=$TLS_DB_ROOT ETLRE_DEV_MARIADB_PORT=$TLS_M ETLRE_DEV_PG_PORT=$TLS_P \
	ETLRE_DEV_MARIADB_BUFFER_POOL=32M ETLRE_DEV_TLS_DIR=$CERTS/$cert ETLRE_DEV_TLS_ONLY=1 \
		bash "$ROOT/scripts/dev-db.sh" "$action" "$which" >>"$TMP/dev-db.log" 2>&1
}
