#!/usr/bin/env bash
# What `make demo` shows: gocspd serving a pool of workers that count the
# primes up to 20000 (examples/shell/primes.sh), then the in-process
# examples, with modest sizes.
#
# usage: examples/demo.sh [BUILD_DIR]        (default: build)
#
# gocspd runs on a socket in a temporary directory and is stopped by its
# pid at the end, whatever happens.  Exits non-zero if any example fails
# (or takes over a minute).
set -uo pipefail

build=${1:-build}
bin=$build/examples
timeout_s=60
failed=0

if [ ! -x "$bin/sieve" ]; then
	echo "demo.sh: no examples in $bin; build first (cmake --build $build)" >&2
	exit 1
fi

# demo TITLE COMMAND...: a header, then the example's output.
demo() {
	local title=$1 rc=0
	shift
	printf '\n=== %s\n$ %s\n' "$title" "$*"
	timeout "$timeout_s" "$@" || rc=$?
	if [ $rc -ne 0 ]; then
		echo "demo.sh: '$*' failed (exit $rc$([ $rc -eq 124 ] && echo ', timeout'))" >&2
		failed=1
	fi
}

# --- across processes: gocspd and the gocsp command ---------------------
here=$(cd "$(dirname "$0")" && pwd)
sock_dir=$(mktemp -d /tmp/gocsp-demo.XXXXXX)
export GOCSP_URL=ipc://$sock_dir/gocspd.sock
export PATH=$build/clients/cli:$PATH
daemon=
stop_daemon() {
	if [ -n "$daemon" ]; then
		echo "\$ kill $daemon   # gocspd stops cleanly on SIGTERM"
		kill "$daemon"
		wait "$daemon"
		daemon=
	fi
	rm -rf "$sock_dir"
}
trap stop_daemon EXIT

printf '\n=== gocspd: channels shared by processes, with Go'"'"'s meaning\n'
echo "\$ export GOCSP_URL=$GOCSP_URL; gocspd &"
"$build/daemon/gocspd" -q &
daemon=$!
for _ in $(seq 100); do
	gocsp ping >/dev/null 2>&1 && break
	sleep 0.05
done
gocsp ping
demo "a pool of 4 workers fed by one process, collected by another: the primes up to 20000" \
	bash "$here/shell/primes.sh" 20000 4
stop_daemon

# --- in one process: libgocsp --------------------------------------------
demo "concurrent prime sieve: one coroutine per prime, chained by channels" \
	"$bin/sieve" 100
demo "worker pool: 4 coroutines count the primes in 1..1000000, 1 thread" \
	env GOCSP_MAXPROCS=1 "$bin/primes" 1000000 4
demo "the same on 2 threads: the workers really run in parallel" \
	env GOCSP_MAXPROCS=2 "$bin/primes" 1000000 4
demo "ping-pong over unbuffered channels: the cost of a hand-off" \
	"$bin/pingpong" 200000

echo
if [ $failed -ne 0 ]; then
	echo "demo: some examples FAILED" >&2
	exit 1
fi
echo "demo: all examples ran"
