#!/usr/bin/env bash
# The shell examples (examples/shell/) against a real gocspd: each runs to
# the end, and primes.sh finds the 2262 primes up to 20000.
#
# usage: examples.sh EXAMPLES_DIR    (ctest sets GOCSPD and GOCSP)
set -uo pipefail

: "${GOCSPD:?GOCSPD is not set (ctest sets it)}"
: "${GOCSP:?GOCSP is not set (ctest sets it)}"
examples=$1

dir=$(mktemp -d /tmp/gocsp-examples.XXXXXX)
export GOCSP_URL=ipc://$dir/gocspd.sock
PATH=$(dirname "$GOCSP"):$PATH
daemon=
failures=0
cleanup() {
	[ -z "$daemon" ] || { kill "$daemon"; wait "$daemon"; }
	rm -rf "$dir"
}
trap cleanup EXIT

"$GOCSPD" -q 2>"$dir/gocspd.log" &
daemon=$!
for _ in $(seq 100); do
	gocsp ping >/dev/null 2>&1 && break
	sleep 0.05
done

for ex in primes pipeline retry stream; do
	status=0
	timeout 120 bash "$examples/shell/$ex.sh" >"$dir/$ex.out" 2>&1 || status=$?
	# retry.sh shows a failing job: its wait exits 1, the script goes on.
	if [ "$status" != 0 ]; then
		echo "FAIL: $ex.sh exited $status:" >&2
		cat "$dir/$ex.out" >&2
		failures=$((failures + 1))
	fi
done
grep -q "primes in 1..20000: 2262" "$dir/primes.out" ||
	{ echo "FAIL: primes.sh: $(cat "$dir/primes.out")" >&2; failures=$((failures + 1)); }
grep -q "flaky done on attempt 1" "$dir/retry.out" ||
	{ echo "FAIL: retry.sh" >&2; failures=$((failures + 1)); }
grep -q '"job":"broken","attempts":3' "$dir/retry.out" ||
	{ echo "FAIL: retry.sh errors" >&2; failures=$((failures + 1)); }
grep -q "1000 numbers factored" "$dir/stream.out" ||
	{ echo "FAIL: stream.sh" >&2; failures=$((failures + 1)); }
grep -q "6 short" "$dir/pipeline.out" ||
	{ echo "FAIL: pipeline.sh: $(cat "$dir/pipeline.out")" >&2; failures=$((failures + 1)); }

[ "$failures" = 0 ] || exit 1
echo "examples.sh: all passed"
