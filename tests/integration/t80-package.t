#!/usr/bin/env bash
# Installing etlre: 'make install' puts exactly the documented files under
# DESTDIR+PREFIX and 'make uninstall' removes exactly those; 'make deb' builds
# a package whose control file, Depends (from dpkg-shlibdeps), contents,
# md5sums and copyright are right, and whose binary runs against the local
# servers. As root with CI set (CI=1 or CI=true) the package is really
# installed with apt-get, run from /usr/bin, and purged; otherwise it is
# unpacked into a directory and run from there. lintian, when installed,
# must report no error.
. "$(dirname "$0")/lib.sh"

reset_databases
check "reset databases" test $? -eq 0
VERSION=$(sed -n 's/^#define ETLRE_VERSION "\(.*\)"$/\1/p' "$ROOT/runner/version.h")
ARCH=$(dpkg --print-architecture)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

# --- make install / uninstall ---
STAGE=$TMP/stage
mkdir -p "$STAGE/usr/bin" "$STAGE/usr/share/man/man1" "$STAGE/usr/share/doc"
echo other >"$STAGE/usr/bin/other-tool"
echo other >"$STAGE/usr/share/man/man1/other-tool.1.gz"
make -s -C "$ROOT" SANITIZE= install PREFIX=/usr DESTDIR="$STAGE" >"$TMP/install.log" 2>&1
is "$?" 0 "make install PREFIX=/usr DESTDIR=... succeeds"
expected="usr/bin/etlre 755
usr/bin/etlre-nightly 755
usr/bin/other-tool 644
usr/lib/systemd/system/etlre-nightly.service 644
usr/lib/systemd/system/etlre-nightly.timer 644
usr/share/doc/etlre/README.md 644
usr/share/doc/etlre/etlre.conf.example 644
usr/share/doc/etlre/examples/cron.d/etlre-nightly 644
usr/share/doc/etlre/examples/logrotate.d/etlre 644
usr/share/doc/etlre/examples/prometheus/etlre.rules.test.yml 644
usr/share/doc/etlre/examples/prometheus/etlre.rules.yml 644
usr/share/doc/etlre/operations.md 644
usr/share/etlre/sql/mariadb/calls.sql 644
usr/share/etlre/sql/postgres/analytics.sql 644
usr/share/etlre/sql/postgres/daily_metrics.sql 644
usr/share/man/man1/etlre-nightly.1.gz 644
usr/share/man/man1/etlre.1.gz 644
usr/share/man/man1/other-tool.1.gz 644"
chmod 644 "$STAGE/usr/bin/other-tool" "$STAGE/usr/share/man/man1/other-tool.1.gz"
is "$(cd "$STAGE" && find . -type f -printf '%P %m\n' | LC_ALL=C sort)" "$expected" "make install: these files, these modes"
check "the man page is gzipped roff" bash -c "gzip -t '$STAGE/usr/share/man/man1/etlre.1.gz' && zcat '$STAGE/usr/share/man/man1/etlre.1.gz' | grep -q '^\\.TH ETLRE 1'"
check "etlre-nightly's man page is gzipped roff" bash -c "gzip -t '$STAGE/usr/share/man/man1/etlre-nightly.1.gz' && zcat '$STAGE/usr/share/man/man1/etlre-nightly.1.gz' | grep -q '^\\.TH ETLRE-NIGHTLY 1'"
cmp -s "$ROOT/scripts/etlre-nightly.sh" "$STAGE/usr/bin/etlre-nightly"
is "$?" 0 "etlre-nightly is scripts/etlre-nightly.sh"
like "$(cat "$STAGE/usr/lib/systemd/system/etlre-nightly.service")" "ExecStart=/usr/bin/etlre-nightly" "the service runs PREFIX/bin/etlre-nightly"
example=$STAGE/usr/share/doc/etlre/etlre.conf.example
like "$(cat "$example")" "after_day = /usr/share/etlre/sql/postgres/daily_metrics.sql" "the example config's after_day is the installed SQL"
# the example configuration is valid: with its paths under the stage and the test servers' URLs
sed "s#= /usr/share/#= $STAGE/usr/share/#" "$example" >"$TMP/example.conf"
out=$("$STAGE/usr/bin/etlre" --config "$TMP/example.conf" status --limit 1 2>&1); rc=$?
is "$rc" 0 "the installed binary runs status with the example config"
[ "$rc" -eq 0 ] || printf '# %s\n' "$out"

make -s -C "$ROOT" SANITIZE= uninstall PREFIX=/usr DESTDIR="$STAGE" >"$TMP/uninstall.log" 2>&1
is "$?" 0 "make uninstall succeeds"
is "$(cd "$STAGE" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | tr '\n' ' ')" \
	"usr usr/bin usr/bin/other-tool usr/lib usr/lib/systemd usr/lib/systemd/system usr/share usr/share/doc usr/share/man usr/share/man/man1 usr/share/man/man1/other-tool.1.gz " \
	"make uninstall removes exactly etlre's files and its own directories"

# --- make deb ---
mkdir -p "$TMP/deb"
make -s -C "$ROOT" SANITIZE= deb DEB_OUTDIR="$TMP/deb" >"$TMP/deb.log" 2>&1; rc=$?
is "$rc" 0 "make deb succeeds"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$TMP/deb.log" | tail -20
DEB=$TMP/deb/etlre_${VERSION}-1_${ARCH}.deb
check "make deb wrote $(basename "$DEB")" test -s "$DEB"
field() { dpkg-deb -f "$DEB" "$1"; }
is "$(field Package)" etlre "Package"
is "$(field Version)" "$VERSION-1" "Version from runner/version.h"
is "$(field Architecture)" "$ARCH" "Architecture"
like "$(field Maintainer)" '^[^<>]+ <[^<>@]+@[^<>]+>$' "Maintainer is 'name <email>'"
like "$(field Description)" '^[^ ].+' "Description"
like "$(field Installed-Size)" '^[0-9]+$' "Installed-Size"
like "$(field Section)" '^database$' "Section"
depends=$(field Depends)
X0=$TMP/x0
dpkg-deb -x "$DEB" "$X0"
for lib in libc6 libpq5 libmariadb3 libcsv3 zlib1g libinih1 libxxhash0; do
	like "$depends" "(^|, )$lib \\(>= [^)]+\\)" "Depends: $lib, versioned (dpkg-shlibdeps)"
done
# Depends names the package of every library the binary links directly
# (its DT_NEEDED entries), and nothing else
needed=$(for so in $(readelf -d "$X0/usr/bin/etlre" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
	path=$(ldd "$X0/usr/bin/etlre" | awk -v so="$so" '$1 == so { print $3 }')
	# by file name: with merged /usr, dpkg may know it under /lib or /usr/lib
	dpkg -S "*/$MULTIARCH/$(basename "$(readlink -f "$path")")" 2>/dev/null | cut -d: -f1
done | sort -u | grep -v '^libc6$' | tr '\n' ' ')
got=$(tr ',' '\n' <<<"$depends" | awk '{ print $1 }' | sort -u | grep -v '^libc6$' | tr '\n' ' ')
is "$got" "$needed" "Depends matches the packages of the linked libraries"

contents=$(dpkg-deb -c "$DEB")
check "every entry owned by root/root" bash -c "! awk '\$2 != \"root/root\"' <<<'$contents' | grep -q ."
deb_files=$(awk '$1 !~ /^d/ { print $6 }' <<<"$contents" | sed 's#^\./##' | LC_ALL=C sort)
deb_files_sorted=$( (printf '%s\n' "$expected" | grep -v other-tool | awk '{ print $1 }'; echo usr/share/doc/etlre/changelog.Debian.gz; echo usr/share/doc/etlre/copyright) | LC_ALL=C sort)
is "$deb_files" "$deb_files_sorted" "the package holds make install's files plus copyright and changelog, nothing else"
like "$(grep ' ./usr/bin/etlre$' <<<"$contents")" '^-rwxr-xr-x ' "the binary is 0755"

X=$TMP/x
dpkg-deb -x "$DEB" "$X" && dpkg-deb -e "$DEB" "$X.control"
check "data and control extract" test -f "$X/usr/bin/etlre" -a -f "$X.control/md5sums"
(cd "$X" && md5sum -c --quiet "$X.control/md5sums") >"$TMP/md5.log" 2>&1
is "$?" 0 "md5sums match every file"
is "$(awk '{ print $2 }' "$X.control/md5sums" | LC_ALL=C sort)" "$deb_files_sorted" "md5sums lists every file"
like "$(cat "$X/usr/share/doc/etlre/copyright")" "^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" "machine-readable copyright"
check "no conffiles, no maintainer scripts" bash -c "cd '$X.control' && test \"\$(ls | tr '\n' ' ')\" = 'control md5sums '"
check "the packaged binary is stripped" bash -c "! readelf -S '$X/usr/bin/etlre' | grep -q '\\.symtab'"

if command -v lintian >/dev/null; then
	lintian "$DEB" >"$TMP/lintian.log" 2>&1
	check "lintian reports no error" bash -c "! grep -q '^E:' '$TMP/lintian.log'"
	grep -E '^[EW]:' "$TMP/lintian.log" | sed 's/^/# lintian: /'
else
	skip "lintian is not installed (optional: apt-get install lintian)"
fi

# --- run it ---
run_installed() { # run_installed BIN DESC: --version, status and check with the test config
	local bin=$1 where=$2 out rc
	out=$("$bin" --version); rc=$?
	is "$rc" 0 "$where: etlre --version"
	is "$out" "$("$ROOT/etlre" --version)" "$where: --version names the same libraries as the build"
	out=$("$bin" --config "$CONF" status --limit 1 2>&1); rc=$?
	is "$rc" 0 "$where: etlre status against the local servers"
	[ "$rc" -eq 0 ] || printf '# %s\n' "$out"
	out=$("$bin" --config "$CONF" check 2>&1); rc=$?
	is "$rc" 0 "$where: etlre check against the local servers"
	[ "$rc" -eq 0 ] || printf '# %s\n' "$out"
}
run_installed "$X/usr/bin/etlre" "unpacked"

case ${CI:-} in 1|true) ci=1 ;; *) ci=0 ;; esac
if [ "$ci" -eq 1 ] && [ "$(id -u)" -eq 0 ]; then
	if dpkg -s etlre >/dev/null 2>&1; then
		fail "an etlre package is already installed: not replacing it ($(dpkg-query -W etlre))"
	else
		cp "$DEB" "$TMP/inst.deb"
		(cd "$TMP" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "./inst.deb") >"$TMP/apt.log" 2>&1
		rc=$?
		is "$rc" 0 "apt-get install ./$(basename "$DEB")"
		[ "$rc" -eq 0 ] || tail -20 "$TMP/apt.log" | sed 's/^/# /'
		is "$(dpkg-query -W -f='${Status} ${Version}' etlre 2>/dev/null)" "install ok installed $VERSION-1" "dpkg knows the package"
		run_installed /usr/bin/etlre "installed"
		check "dpkg -L lists the man page" bash -c "dpkg -L etlre | grep -qx /usr/share/man/man1/etlre.1.gz"
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q etlre >"$TMP/purge.log" 2>&1
		is "$?" 0 "apt-get purge etlre"
		check "purged: no /usr/bin/etlre, no package" bash -c "test ! -e /usr/bin/etlre && ! dpkg -s etlre >/dev/null 2>&1"
		check "purged: nothing left in /usr/share/etlre or /usr/share/doc/etlre" bash -c "test ! -e /usr/share/etlre -a ! -e /usr/share/doc/etlre"
	fi
elif [ "$(id -u)" -ne 0 ]; then
	skip "the real apt-get install needs root (running as uid $(id -u))"
else
	skip "the real apt-get install changes this machine's packages: only with CI=1 or CI=true"
fi
done_testing
