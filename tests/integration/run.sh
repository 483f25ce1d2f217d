#!/usr/bin/env bash
# run.sh: runs etlre's integration test files with prove, several at a time
# (README.md, Tests). `make integration` calls it; so can you:
#   tests/integration/run.sh [-j N] [PROVE-OPTION...] [FILE...]
# FILEs default to every tests/integration/t*.t. The files run N at a time
# (default $ETLRE_TEST_JOBS, else 3), each in databases of its own (lib.sh).
# A line among a file's first 20 changes that:
#   # mostly waits: REASON  the file spends most of its time asleep (timeouts
#                           of frozen servers...): it starts first, in a slot
#                           of its own on top of the N, as it hardly takes a core
#   # run early: REASON     a slow file, started next, so that the others fill
#                           the remaining slots
#   # run alone: REASON     the file runs after all the others, one at a time,
#                           with no other file running
# PROVE-OPTIONs (-v, --timer, ...) go to both prove runs.
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

waits=() early=() others=() alone=()
for f in "${files[@]}"; do
	[ -f "$f" ] || { echo "run.sh: no test file $f" >&2; exit 2; }
	head=$(head -n 20 "$f")
	if grep -q '^# run alone:' <<<"$head"; then
		alone+=("$f")
	elif grep -q '^# mostly waits:' <<<"$head"; then
		waits+=("$f")
	elif grep -q '^# run early:' <<<"$head"; then
		early+=("$f")
	else
		others+=("$f")
	fi
done

rc=0
# prove starts the files in the order given
shared=("${waits[@]}" "${early[@]}" "${others[@]}")
if [ ${#shared[@]} -gt 0 ]; then
	echo "# ${#shared[@]} test files, $jobs at a time${waits[0]+, and ${#waits[@]} that mostly wait: ${waits[*]##*/}}"
	prove -j $((jobs + ${#waits[@]})) "${opts[@]}" "${shared[@]}" || rc=1
fi
if [ ${#alone[@]} -gt 0 ]; then
	echo "# ${#alone[@]} test files that run alone: ${alone[*]##*/}"
	prove "${opts[@]}" "${alone[@]}" || rc=1
fi
exit $rc
