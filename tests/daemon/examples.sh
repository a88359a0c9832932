#!/usr/bin/env bash
# The shell examples (examples/shell/) against a real gocspd: each runs to
# the end, and primes.sh finds the 2262 primes up to 20000.
#
# usage: examples.sh EXAMPLES_DIR    (ctest sets GOCSPD and GOCSP)
test=examples
. "$(dirname "$0")/harness.sh"
examples=$1
PATH=$(dirname "$GOCSP"):$PATH

start_daemon

for ex in primes pipeline retry stream; do
	status=0
	timeout 120 bash "$examples/shell/$ex.sh" >"$dir/$ex.out" 2>&1 || status=$?
	# retry.sh shows a failing job: its wait exits 1, the script goes on.
	if [ "$status" != 0 ]; then
		fail "$ex.sh exited $status: $(cat "$dir/$ex.out")"
	fi
done
grep -q "primes in 1..20000: 2262" "$dir/primes.out" ||
	fail "primes.sh: $(cat "$dir/primes.out")"
grep -q "flaky done on attempt 1" "$dir/retry.out" ||
	fail "retry.sh"
grep -q '"job":"broken","attempts":3' "$dir/retry.out" ||
	fail "retry.sh errors"
grep -q "1000 numbers factored" "$dir/stream.out" ||
	fail "stream.sh"
grep -q "6 short" "$dir/pipeline.out" ||
	fail "pipeline.sh: $(cat "$dir/pipeline.out")"

stop_daemon
finish
