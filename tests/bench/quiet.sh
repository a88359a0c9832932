#!/usr/bin/env bash
# Wait until the machine is quiet: at least $BENCH_QUIET_IDLE percent
# (default 85) of its CPU time idle over a 3 s window, checking for at
# most $BENCH_QUIET_WAIT seconds (default 600).  run.sh and echo.sh call it
# before each workload when BENCH_QUIET=1: on a machine shared with other
# work a pair whose two runs see different load says little, and a run
# that starts while another job builds says nothing.
#
# usage: tests/bench/quiet.sh
# Prints how long it waited (stderr); exits 1 if it gave up.
set -euo pipefail

want=${BENCH_QUIET_IDLE:-85}
limit=${BENCH_QUIET_WAIT:-600}

# total and idle jiffies from /proc/stat's cpu line
sample() {
	local _cpu u n s i w x y z rest
	read -r _cpu u n s i w x y z rest </proc/stat
	echo "$((u + n + s + i + w + x + y + z)) $i"
}

waited=0
while :; do
	read -r t0 i0 <<<"$(sample)"
	sleep 3
	read -r t1 i1 <<<"$(sample)"
	idle=$((100 * (i1 - i0) / (t1 - t0 > 0 ? t1 - t0 : 1)))
	if [ "$idle" -ge "$want" ]; then
		echo "  (quiet: ${idle}% idle after ${waited} s)" >&2
		exit 0
	fi
	waited=$((waited + 3))
	if [ "$waited" -ge "$limit" ]; then
		echo "  (still busy: ${idle}% idle after ${waited} s; going on)" >&2
		exit 1
	fi
done
