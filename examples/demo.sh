#!/usr/bin/env bash
# Run the examples with modest sizes: what `make demo` shows.
#
# usage: examples/demo.sh [BUILD_DIR]        (default: build)
#
# Exits non-zero if any example fails (or takes over a minute).
#
# The daemon's demo (a shell worker pool fed through `gocsp spawn`) will be
# added here once gocspd and the gocsp command exist.
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
