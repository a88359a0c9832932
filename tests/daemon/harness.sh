# Shell side of the daemon tests, sourced by cli.sh, pools.sh and
# examples.sh: a private directory and socket, a real gocspd started and
# stopped by pid, and the checks.  The caller sets its name in $test first.
#
#   start_daemon [GOCSPD OPTIONS...]   gocspd -q on $GOCSP_URL, waits for a ping
#   stop_daemon                        SIGTERM, then fails unless it exited 0
#   fail MESSAGE                       count a failure and say it
#   expect CODE COMMAND...             run it (output in $dir/out, $dir/err)
#                                      and compare its exit status
#   same FILE TEXT                     the file holds exactly TEXT
#   finish                             exit 1 if anything failed
set -uo pipefail

: "${GOCSPD:?GOCSPD is not set (ctest sets it)}"
: "${GOCSP:?GOCSP is not set (ctest sets it)}"

dir=$(mktemp -d "/tmp/gocsp-$test.XXXXXX")
export GOCSP_URL=ipc://$dir/gocspd.sock
daemon=
failures=0

cleanup() {
	if [ -n "$daemon" ]; then
		kill "$daemon" 2>/dev/null
		wait "$daemon" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

expect() {
	local want=$1 got=0
	shift
	"$@" >"$dir/out" 2>"$dir/err" || got=$?
	[ "$got" = "$want" ] ||
		fail "'$*' exited $got, want $want; stderr: $(cat "$dir/err")"
}

same() {
	local got
	got=$(cat "$1")
	[ "$got" = "$2" ] || fail "expected '$2', got '$got'"
}

g() { "$GOCSP" "$@"; }

start_daemon() {
	"$GOCSPD" -q "$@" 2>"$dir/gocspd.log" &
	daemon=$!
	for _ in $(seq 100); do
		g ping >/dev/null 2>&1 && return
		sleep 0.05
	done
	fail "gocspd did not answer a ping within 5 s: $(cat "$dir/gocspd.log")"
}

stop_daemon() {
	local status=0
	kill "$daemon"
	wait "$daemon" || status=$?
	daemon=
	[ "$status" = 0 ] ||
		fail "gocspd exited $status on SIGTERM: $(cat "$dir/gocspd.log")"
}

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$test.sh: $failures failure(s)" >&2
		exit 1
	fi
	echo "$test.sh: all passed"
}
