#!/usr/bin/env bash
# make-deb.sh: builds etlre_VERSION-REV_ARCH.deb with dpkg-deb, from what
# 'make install PREFIX=/usr DESTDIR=STAGE' puts in a staging tree. Depends is
# computed by dpkg-shlibdeps from the libraries the binary really links
# (libpq5, libmariadb3, libcsv3, zlib1g, libinih1, libxxhash0, libc6), so it matches the
# machine that built it: build on the Debian release you install on.
# Besides the tree it adds the binary stripped, DEBIAN/control, DEBIAN/md5sums,
# /usr/share/doc/etlre/copyright and changelog.Debian.gz. No maintainer
# scripts: the package creates no user and enables no timer (see README,
# Install).
#
# Usage: scripts/make-deb.sh [--output DIR]     (default: the current directory)
# Environment: DEB_REVISION (default 1), DEB_MAINTAINER (default: the last
# commit's author, or "etlre maintainers <root@localhost>").
# Prints the path of the .deb on stdout; exits non-zero on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$PWD
while [ $# -gt 0 ]; do
	case $1 in
	--output) OUT=${2:?--output needs a directory}; shift 2 ;;
	-h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "make-deb: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

for tool in dpkg-deb dpkg-shlibdeps dpkg-architecture gzip strip; do
	command -v "$tool" >/dev/null || { echo "make-deb: $tool is missing (apt-get install dpkg-dev binutils)" >&2; exit 1; }
done

VERSION=$(sed -n 's/^#define ETLRE_VERSION "\(.*\)"$/\1/p' "$ROOT/runner/version.h")
[ -n "$VERSION" ] || { echo "make-deb: no ETLRE_VERSION in runner/version.h" >&2; exit 1; }
REVISION=${DEB_REVISION:-1}
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
MAINTAINER=${DEB_MAINTAINER:-$(git -C "$ROOT" log -1 --format='%an <%ae>' 2>/dev/null || true)}
MAINTAINER=${MAINTAINER:-etlre maintainers <root@localhost>}
DEB="$OUT/etlre_${VERSION}-${REVISION}_${ARCH}.deb"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/etlre-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/stage

# the tree: the same files as make install, for /usr
make -C "$ROOT" --no-print-directory -s SANITIZE= etlre >&2
make -C "$ROOT" --no-print-directory -s SANITIZE= install PREFIX=/usr DESTDIR="$STAGE" >/dev/null
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$STAGE/usr/bin/etlre"

DOC=$STAGE/usr/share/doc/etlre
cat >"$DOC/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: etlre
Upstream-Contact: $MAINTAINER
Comment: etlre is dynamically linked with libpq (PostgreSQL License),
 MariaDB Connector/C (LGPL-2.1+), libcsv (LGPL-2.1+), zlib (Zlib),
 inih (BSD-3-clause) and xxHash (BSD-2-clause); their own packages carry
 their copyright files.

Files: *
Copyright: $(date -u +%Y) the etlre authors
License: unspecified
 No license has been chosen for etlre yet; all rights reserved by its authors.
EOF
{
	printf 'etlre (%s-%s) unstable; urgency=medium\n\n' "$VERSION" "$REVISION"
	printf '  * Package built from the etlre sources (make deb).\n\n'
	printf ' -- %s  %s\n' "$MAINTAINER" "$(date -R)"
} | gzip -9n >"$DOC/changelog.Debian.gz"
chmod 0644 "$DOC/copyright" "$DOC/changelog.Debian.gz"

# Depends, from the libraries the binary needs (dpkg-shlibdeps wants a
# debian/control beside it, naming the package)
mkdir -p "$WORK/src/debian"
printf 'Source: etlre\n\nPackage: etlre\nArchitecture: any\n' >"$WORK/src/debian/control"
SHLIBS=$(cd "$WORK/src" && dpkg-shlibdeps -O -e"$STAGE/usr/bin/etlre" 2>"$WORK/shlibdeps.err") ||
	{ cat "$WORK/shlibdeps.err" >&2; echo "make-deb: dpkg-shlibdeps failed" >&2; exit 1; }
DEPENDS=${SHLIBS#shlibs:Depends=}
[ -n "$DEPENDS" ] || { echo "make-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$STAGE/DEBIAN"
INSTALLED_SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat >"$STAGE/DEBIAN/control" <<EOF
Package: etlre
Version: $VERSION-$REVISION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_SIZE
Depends: $DEPENDS
Suggests: mariadb-client, postgresql-client, prometheus-node-exporter
Section: database
Priority: optional
Description: hourly, idempotent backfills from MariaDB to PostgreSQL
 etlre reprocesses and backfills PostgreSQL analytics tables from MariaDB.
 It reads the source rows of a date range, works through them one hour at a
 time, and loads each hour into the target in a single transaction: delete
 the hour, stream the source rows in with COPY, check the counts, commit.
 Running it twice gives the same result as once; a failure leaves the hour
 as it was. It records every job in the target, retries what failed, and
 verifies source against target (etlre-nightly runs that every night).
EOF
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum) >"$STAGE/DEBIAN/md5sums"
chmod 0644 "$STAGE/DEBIAN/control" "$STAGE/DEBIAN/md5sums"
find "$STAGE" -type d -exec chmod 0755 {} +

dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >&2
echo "$DEB"
