#!/usr/bin/env bash
# The bash completion of gocsp (clients/cli/gocsp.bash), driven as bash
# drives it -- COMP_LINE, COMP_POINT, COMP_WORDS, COMP_CWORD, then
# _gocsp -- against a real gocspd: commands, options, channel and pool
# names (through -u too), select's cases, names holding ':', no output
# and no wait without a daemon; and every option it offers is one gocsp
# takes, every command one it has.
#
# usage: completion.sh COMPLETION_FILE    (ctest sets GOCSPD and GOCSP)
set -uo pipefail

: "${GOCSPD:?GOCSPD is not set (ctest sets it)}"
: "${GOCSP:?GOCSP is not set (ctest sets it)}"
# shellcheck source=../../clients/cli/gocsp.bash
source "${1:?usage: completion.sh COMPLETION_FILE}"

dir=$(mktemp -d /tmp/gocsp-completion.XXXXXX)
url=ipc://$dir/gocspd.sock
export GOCSP_URL=$url
export PATH=$(dirname "$GOCSP"):$PATH
daemon=
failures=0

cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon"
	rm -rf "$dir"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# complete LINE: what _gocsp offers at the end of LINE, sorted, one line.
complete_line() {
	COMP_LINE=$1
	COMP_POINT=${#1}
	# As bash splits: blanks separate words, and ':' and '=' (in
	# COMP_WORDBREAKS) are words of their own.
	local spaced
	spaced=$(printf '%s' "$1" | sed 's/\([:=]\)/ \1 /g')
	read -ra COMP_WORDS <<<"$spaced"
	[[ $1 == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_gocsp gocsp "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | xargs
}

# expect LINE WANT: _gocsp offers exactly WANT (sorted, space-separated).
expect() {
	local got
	got=$(complete_line "$1")
	[ "$got" = "$2" ] || fail "'$1': got '$got', want '$2'"
}

"$GOCSPD" -q 2>"$dir/gocspd.log" &
daemon=$!
for _ in $(seq 200); do
	"$GOCSP" ping >/dev/null 2>&1 && break
	sleep 0.05
done
for ch in jobs journal x:y out; do
	"$GOCSP" make "$ch" -c 4 || fail "make $ch"
done
"$GOCSP" spawn --name fetch --from jobs -- cat >/dev/null || fail "spawn"

# --- commands and options -------------------------------------------------
expect "gocsp " "close kill ls make ping ps recv rm select send spawn stat wait wg"
expect "gocsp se" "select send"
expect "gocsp -" "--help --url --version -h -u"
expect "gocsp recv jobs --" "--all --count --help --null --timeout"
expect "gocsp stat --p" "--prometheus"
expect "gocsp wg " "add done wait"
expect "gocsp make jobs -c " ""

# --- names from the daemon ------------------------------------------------
expect "gocsp send j" "jobs journal"
expect "gocsp recv " "fetch.errors jobs journal out x:y"
expect "gocsp kill f" "fetch"
expect "gocsp wait " "fetch"
expect "gocsp spawn -n 2 --from j" "jobs journal"
expect "gocsp spawn --from jobs --to o" "out"
expect "gocsp select recv:j" "jobs journal"
expect "gocsp select -t 1s recv:jobs send:o" "out="
expect "gocsp select " "recv: send:"
expect "gocsp send x:" "y"
got=$(complete_line "gocsp spawn --from jobs -- ca")
[[ " $got " == *" cat "* ]] || fail "spawn's command: '$got' has no cat"
got=$(complete_line "gocsp spawn --from jobs -- cat --")
[[ $got == *--help* ]] && fail "spawn: the command's options offered gocsp's"

# -u on the line, not $GOCSP_URL.
GOCSP_URL=ipc://$dir/nothing.sock
expect "gocsp -u $url stat j" "jobs journal"
expect "gocsp --url=$url kill " "fetch"
expect "gocsp send j" ""
GOCSP_URL=$url

# --- no daemon: nothing, at once, silently --------------------------------
start=$SECONDS
out=$(complete_line "gocsp -u ipc://$dir/nothing.sock send j" 2>&1)
[ -z "$out" ] || fail "without a daemon: '$out'"
((SECONDS - start <= 2)) || fail "without a daemon it took $((SECONDS - start)) s"

# --- the tables match gocsp -----------------------------------------------
commands=$("$GOCSP" --help | sed -n 's/^  gocsp \([a-z]*\).*/\1/p' | sort | xargs)
expect "gocsp " "$commands"
# Each command with all its options but --help at once (getopt stops at
# the first it does not know), an argument after those that take one.
for cmd in $commands; do
	args=()
	for opt in $(_gocsp_options "$cmd"); do
		case $opt in -h | --help) continue ;; esac
		args+=("$opt")
		_gocsp_takes_arg "$cmd" "$opt" && args+=(1)
	done
	"$GOCSP" -u "ipc://$dir/nothing.sock" "$cmd" "${args[@]}" x \
	    >/dev/null 2>"$dir/err"
	grep -q "unrecognized option\|invalid option" "$dir/err" &&
		fail "gocsp $cmd ${args[*]}: $(cat "$dir/err")"
	"$GOCSP" "$cmd" --help | grep -q "^usage: gocsp $cmd" ||
		fail "gocsp $cmd --help"
done

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo ok
