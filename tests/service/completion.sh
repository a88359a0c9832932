#!/usr/bin/env bash
# The bash completion of gocsp (clients/cli/gocsp.bash), driven as bash
# drives it -- COMP_LINE, COMP_POINT, COMP_WORDS, COMP_CWORD, then
# _gocsp -- against a real gocspd: commands, options, channel and pool
# names (through -u too), select's cases, names holding ':', no output
# and no wait without a daemon; and every option it offers is one gocsp
# takes, every command one it has.
#
# usage: completion.sh COMPLETION_FILE    (ctest sets GOCSPD and GOCSP)
test=completion
. "$(dirname "$0")/../daemon/harness.sh"
# shellcheck source=../../clients/cli/gocsp.bash
source "${1:?usage: completion.sh COMPLETION_FILE}"
PATH=$(dirname "$GOCSP"):$PATH
url=$GOCSP_URL
nothing=ipc://$dir/nothing.sock

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

# offers LINE WANT: _gocsp offers exactly WANT (sorted, space-separated).
offers() {
	local got
	got=$(complete_line "$1")
	[ "$got" = "$2" ] || fail "'$1': got '$got', want '$2'"
}

start_daemon
for ch in jobs journal x:y out; do
	expect 0 g make "$ch" -c 4
done
expect 0 g spawn --name fetch --from jobs -- cat

# --- commands and options -------------------------------------------------
offers "gocsp " \
    "close kill ls make ping ps recv rm select send spawn stat wait wg"
offers "gocsp se" "select send"
offers "gocsp -" "--help --url --version -h -u"
offers "gocsp recv jobs --" "--all --count --help --null --timeout"
offers "gocsp stat --p" "--prometheus"
offers "gocsp wg " "add done wait"
offers "gocsp make jobs -c " ""

# --- names from the daemon ------------------------------------------------
offers "gocsp send j" "jobs journal"
offers "gocsp recv " "fetch.errors jobs journal out x:y"
offers "gocsp kill f" "fetch"
offers "gocsp wait " "fetch"
offers "gocsp spawn -n 2 --from j" "jobs journal"
offers "gocsp spawn --from jobs --to o" "out"
offers "gocsp select recv:j" "jobs journal"
offers "gocsp select -t 1s recv:jobs send:o" "out="
offers "gocsp select " "recv: send:"
offers "gocsp send x:" "y"
got=$(complete_line "gocsp spawn --from jobs -- ca")
[[ " $got " == *" cat "* ]] || fail "spawn's command: '$got' has no cat"
got=$(complete_line "gocsp spawn --from jobs -- cat --")
[[ $got == *--help* ]] && fail "spawn: the command's options offered gocsp's"

# -u on the line, not $GOCSP_URL.
GOCSP_URL=$nothing
offers "gocsp -u $url stat j" "jobs journal"
offers "gocsp --url=$url kill " "fetch"
offers "gocsp send j" ""
GOCSP_URL=$url

# --- no daemon: nothing, at once, silently --------------------------------
start=$SECONDS
out=$(complete_line "gocsp -u $nothing send j" 2>&1)
[ -z "$out" ] || fail "without a daemon: '$out'"
((SECONDS - start <= 2)) ||
	fail "without a daemon it took $((SECONDS - start)) s"

# --- the tables match gocsp -----------------------------------------------
commands=$(g --help | sed -n 's/^  gocsp \([a-z]*\).*/\1/p' | sort | xargs)
offers "gocsp " "$commands"
# Each command with all its options but --help at once (getopt stops at
# the first it does not know), an argument after those that take one.
for cmd in $commands; do
	args=()
	for opt in $(_gocsp_options "$cmd"); do
		case $opt in -h | --help) continue ;; esac
		args+=("$opt")
		_gocsp_takes_arg "$cmd" "$opt" && args+=(1)
	done
	g -u "$nothing" "$cmd" "${args[@]}" x >/dev/null 2>"$dir/err"
	grep -q "unrecognized option\|invalid option" "$dir/err" &&
		fail "gocsp $cmd ${args[*]}: $(cat "$dir/err")"
	g "$cmd" --help | grep -q "^usage: gocsp $cmd" ||
		fail "gocsp $cmd --help"
done

stop_daemon
finish
