#!/usr/bin/env bash
# fn-length.sh: lists the functions of the given C files longer than MAX
# lines (default 100) and the files longer than FILE_MAX lines (default 800),
# the limits of the code-style rules (README.md, Building: make lint-size). A function is
# counted from its opening line (a line starting with a name, not indented)
# to the '}' in column 0 that closes it. Exit status 1 when one is over.
#   scripts/fn-length.sh [-n MAX] [-f FILE_MAX] [-a SHOW_OVER] FILE...
# -a SHOW_OVER: also print every function longer than SHOW_OVER lines (a
# report; only MAX and FILE_MAX decide the exit status).
set -u
max=100 file_max=800 show=0
while getopts n:f:a: opt; do
	case $opt in
	n) max=$OPTARG ;;
	f) file_max=$OPTARG ;;
	a) show=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "fn-length.sh: which files?" >&2; exit 2; }
awk -v max="$max" -v file_max="$file_max" -v show="$show" '
	function file_done() {
		if (file != "" && lines > file_max) {
			printf "%s: %d lines (limit %d)\n", file, lines, file_max; bad = 1
		}
	}
	FNR == 1 { file_done(); file = FILENAME; name = "" }
	{ lines = FNR }
	/^[A-Za-z_].*\(/ && !/;[[:space:]]*$/ && name == "" {
		name = $0; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name); start = FNR; next
	}
	/^\{/ && name != "" && start == FNR - 1 { next }
	/^}/ && name != "" {
		n = FNR - start + 1
		if (n > max) { printf "%s:%d: %s is %d lines (limit %d)\n", FILENAME, start, name, n, max; bad = 1 }
		else if (show > 0 && n > show) printf "%s:%d: %s is %d lines\n", FILENAME, start, name, n
		name = ""
	}
	/^[a-z].*;[[:space:]]*$/ { name = "" }
	END { file_done(); exit bad }
' "$@"
