#!/usr/bin/env bash
# tools/gocsp-gdb.py in gdb: "info coroutines" lists the coroutines of a
# stopped program, with their states, and "coroutine N bt" shows the
# stack of one that is parked.
#
# usage: gdb.sh SCRIPT TEST_DUMP
#   SCRIPT     tools/gocsp-gdb.py
#   TEST_DUMP  the test_dump executable: its "--child quit" parks two
#              coroutines in a channel receive, then sends itself SIGQUIT,
#              where gdb stops it.
set -euo pipefail
script=$1 prog=$2

out=$(timeout 120 gdb -batch -nx -x "$script" \
	-ex 'handle SIGQUIT stop nopass' \
	-ex 'handle SIGALRM nostop noprint pass' \
	-ex run -ex 'info coroutines' -ex 'coroutine 1 bt' -ex kill \
	--args "$prog" --child quit 2>&1) || true
printf '%s\n' "$out"

fail() {
	echo "gdb.sh: $*" >&2
	exit 1
}
grep -Eq '^ +1 chan recv +<child_quit>' <<<"$out" ||
	fail "info coroutines does not show coroutine 1 in chan recv"
grep -Eq '^ +2 chan recv +<recv_forever>' <<<"$out" ||
	fail "info coroutines does not show coroutine 2 in chan recv"
grep -Eq '^#[0-9]+ .* in child_quit ' <<<"$out" ||
	fail "coroutine 1 bt does not reach child_quit"
echo "gdb.sh: ok"
