#!/usr/bin/env bash
# install-deps.sh: install the Debian packages etlre needs to build, test and
# run its local demo servers. Non-interactive; does nothing when all are present.
#   install-deps.sh [--bench]   --bench adds what scripts/bench.sh compares
#                               against (pgloader)
set -euo pipefail

PKGS=(
  build-essential pkg-config
  libpq-dev libmariadb-dev libcsv-dev zlib1g-dev libcmocka-dev libinih-dev libxxhash-dev
  mariadb-server mariadb-client postgresql postgresql-client
  perl python3 time tzdata
  mandoc groff-base dpkg-dev
  clang libclang-rt-dev valgrind
  socat iproute2 prometheus openssl bsdutils tmux logrotate
)
case ${1:-} in
  --bench) PKGS+=(pgloader) ;;
  "") ;;
  *) echo "usage: install-deps.sh [--bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: missing packages (${missing[*]}) and not root; install them as root" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Never let package scripts start system-wide services: etlre runs its own
# throwaway servers (scripts/dev-db.sh).
policy_created=0
if [ ! -e /usr/sbin/policy-rc.d ] && [ -z "$SUDO" ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  policy_created=1
fi
trap '[ $policy_created -eq 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
