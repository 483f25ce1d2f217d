#!/usr/bin/env bash
# The documentation keeps up with the binary: every option that argp knows
# for every command (as its --help lists them) is described in that command's
# section of the man page (an entry of its own) and appears in the README;
# every command's --help has Examples and an Exit status; --version names the
# libraries; the man page passes 'make lint-man', and the lint catches a
# broken page. A command whose --help fails or lacks its usage line fails.
. "$(dirname "$0")/lib.sh"

MAN=$ROOT/man/etlre.1
README=$ROOT/README.md
# the man page as plain text lines: \- is -, font escapes dropped
man_src() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$MAN"; }
# man_entries SECTION-REGEX: the lines right after .TP in that section
man_entries() {
	man_src | awk -v sec="$1" '
		/^\.S[HS] / { on = ($0 ~ sec); prev = ""; next }
		on && prev == ".TP" { print }
		{ prev = $0 }'
}
# help_options TEXT: the long options of a --help, split by "Global options:"
cmd_options() { printf '%s\n' "$1" | sed '/^ *Global options:/,$d' | grep -oE '^ +(-[^ ,]+, )?--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+'; }
global_options() { printf '%s\n' "$1" | sed -n '/^ *Global options:/,$p' | grep -oE '^ +(-[^ ,]+, )?--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+'; }
has_option() { grep -Eq -- "$2([^a-z-]|\$)" <<<"$1"; }

top=$("$ETLRE" --help 2>&1); rc=$?
is "$rc" 0 "etlre --help exits 0"
like "$top" "Examples:" "etlre --help has examples"
like "$top" "Exit status:" "etlre --help has the exit status"
commands=$(printf '%s\n' "$top" | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
check "etlre --help lists the commands" test "$(printf '%s\n' "$commands" | wc -l)" -ge 7

builtins="--help --usage --version"
globals_entries=$(man_entries '^[.]SH GLOBAL OPTIONS')
nglobal=0
for cmd in $commands; do
	help=$("$ETLRE" "$cmd" --help 2>&1); rc=$?
	is "$rc" 0 "$cmd --help exits 0"
	like "$help" "^Usage: etlre $cmd" "$cmd --help: usage line"
	like "$help" "Examples?:" "$cmd --help: examples"
	like "$help" "Exit status:" "$cmd --help: exit status"
	check "man page has a section for $cmd" grep -q "^\\.SS etlre $cmd\$" "$MAN"
	entries=$(man_entries "^[.]SS etlre $cmd\$")
	opts=$(cmd_options "$help")
	for o in $opts; do
		case " $builtins " in *" $o "*) continue ;; esac
		check "$cmd $o: an entry in the man page's $cmd section" has_option "$entries" "$o"
		check "$cmd $o: in the README" grep -Eq -- "$o([^a-z-]|\$)" "$README"
	done
	for o in $(global_options "$help") $builtins; do
		has_option "$globals_entries" "$o" || fail "$cmd: global option $o has no entry in the man page's GLOBAL OPTIONS"
		grep -Eq -- "$o([^a-z-]|\$)" "$README" || fail "$cmd: global option $o is not in the README"
		nglobal=$((nglobal + 1))
	done
done
check "global options checked for every command ($nglobal)" test "$nglobal" -gt 20

# the man page's synopsis and commands: every command of --help, none more
man_cmds=$(grep -oE '^\.SS etlre [a-z]+$' "$MAN" | awk '{ print $3 }' | sort)
is "$man_cmds" "$(printf '%s\n' $commands | sort)" "the man page has one section per command, no other"
for s in NAME SYNOPSIS DESCRIPTION COMMANDS "GLOBAL OPTIONS" CONFIGURATION "EXIT STATUS" ENVIRONMENT FILES EXAMPLES; do
	check "man page section $s" grep -q "^\\.SH $s\$" "$MAN"
done
# every exit status of exitcode.h has an entry
statuses=$(grep -oE '= [0-9]+,' "$ROOT/runner/exitcode.h" | grep -oE '[0-9]+')
exit_entries=$(man_entries '^[.]SH EXIT STATUS')
for st in $statuses; do
	check "exit status $st in the man page" grep -qE "(^|[^0-9])$st([^0-9]|\$)" <<<"$exit_entries"
done
# every setting of config.c's table has an entry in CONFIGURATION
conf_entries=$(man_entries '^[.]SH CONFIGURATION')
settings=$(grep -oE '\{ SEC_[A-Z]+, "[a-z_]+"' "$ROOT/runner/config.c" | grep -oE '"[a-z_]+"' | tr -d '"' | sort -u)
check "config.c's settings found" test -n "$settings"
for k in $settings; do
	check "setting $k in the man page" grep -qE "(^|[] ])$k(\$| )" <<<"$conf_entries"
done
# every environment variable etlre reads
for v in $(grep -ohE 'getenv\("[A-Z_]+"\)' "$ROOT"/runner/*.c | grep -oE 'ETLRE_[A-Z_]+' | sort -u); do
	check "environment $v in the man page" grep -q "^\\.B $v\$" "$MAN"
done

# --version: etlre's version, then the libraries it runs with
version=$(sed -n 's/^#define ETLRE_VERSION "\(.*\)"$/\1/p' "$ROOT/runner/version.h")
out=$("$ETLRE" --version); rc=$?
is "$rc" 0 "--version exits 0"
is "$(head -1 <<<"$out")" "etlre $version" "--version: first line is etlre's version"
like "$out" $'\n''libpq [0-9]+\.[0-9]+' "--version: libpq"
like "$out" $'\n''MariaDB Connector/C [0-9]+\.[0-9]+\.[0-9]+' "--version: MariaDB Connector/C"
like "$out" $'\n''zlib [0-9]+\.[0-9]+' "--version: zlib"
like "$out" $'\n''libcsv [0-9]+\.[0-9]+\.[0-9]+' "--version: libcsv"
is "$("$ETLRE" status --version)" "$out" "--version after a command is the same"
# the libpq line is the library really loaded, not the header's
pq_so=$(ldd "$ETLRE" | awk '/libpq\.so/ { print $3 }')
check "the binary links libpq" test -n "$pq_so"

# lint-man: clean now, and it does catch a broken page
lint=$(make -s -C "$ROOT" lint-man 2>&1); rc=$?
is "$rc" 0 "make lint-man passes"
[ "$rc" -eq 0 ] || printf '# %s\n' "$lint" | head -20
sed -e 's/^\.SH EXAMPLES$/.SH EXAMPLES EXTRA ARGS\n.BI/' -e 's/^\.EE$/.XX/' "$MAN" >"$TMP/broken.1"
check "make lint-man fails on a broken page" bash -c "! make -s -C '$ROOT' lint-man MAN_PAGES='$TMP/broken.1' >/dev/null 2>&1"
done_testing
