#!/usr/bin/env bash
# run.sh: runs etlre's integration test files with prove, several at a time
# (README.md, Tests). `make integration` calls it; so can you:
#   tests/integration/run.sh [-j N] [PROVE-OPTION...] [FILE...]
# FILEs default to every tests/integration/t*.t. The files run N at a time
# (default $ETLRE_TEST_JOBS, else 3), each in databases of its own (lib.sh),
# those with a "# run early: REASON" line among their first 20 lines started
# first (the slowest ones, so the others fill the remaining slots). Then the
# files with a "# run alone: REASON" line run one after another, with no
# other file running. PROVE-OPTIONs (-v, --timer, ...) go to both prove runs.
# Exit status: 0 when every file passed, 1 when one failed, 2 on bad usage.
set -u

jobs=${ETLRE_TEST_JOBS:-3}
opts=()
files=()
while [ $# -gt 0 ]; do
	case $1 in
	-j | --jobs) jobs=${2:-}; shift 2 || shift ;;
	-j* | --jobs=*) jobs=${1#-j}; jobs=${jobs#--jobs=}; shift ;;
	-*) opts+=("$1"); shift ;;
	*) files+=("$1"); shift ;;
	esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: -j needs a number of files at a time, not '$jobs'" >&2; exit 2; }
[ ${#files[@]} -gt 0 ] || files=("$(dirname "$0")"/t*.t)

early=() others=() alone=()
for f in "${files[@]}"; do
	[ -f "$f" ] || { echo "run.sh: no test file $f" >&2; exit 2; }
	head=$(head -n 20 "$f")
	if grep -q '^# run alone:' <<<"$head"; then
		alone+=("$f")
	elif grep -q '^# run early:' <<<"$head"; then
		early+=("$f")
	else
		others+=("$f")
	fi
done

rc=0
shared=("${early[@]}" "${others[@]}")
if [ ${#shared[@]} -gt 0 ]; then
	echo "# ${#shared[@]} test files, $jobs at a time"
	prove -j "$jobs" "${opts[@]}" "${shared[@]}" || rc=1
fi
if [ ${#alone[@]} -gt 0 ]; then
	echo "# ${#alone[@]} test files that run alone: ${alone[*]##*/}"
	prove "${opts[@]}" "${alone[@]}" || rc=1
fi
exit $rc
