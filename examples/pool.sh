#!/usr/bin/env bash
# A worker pool from the shell, on channels held by gocspd: four worker
# processes take numbers from channel "jobs" and send the primes among
# them to channel "results"; the producer closes "jobs" when done, the
# workers end when it is closed and drained, and the collector reads
# "results" after the last worker is gone.  Every worker is a plain shell
# loop around `gocsp recv` and `gocsp send`: any program that can run a
# command can take part.
#
# usage: examples/pool.sh [LIMIT]   (gocsp on PATH, gocspd at $GOCSP_URL)
set -euo pipefail

limit=${1:-300}

is_prime() {
	local n=$1 d=2
	[ "$n" -ge 2 ] || return 1
	while [ $((d * d)) -le "$n" ]; do
		[ $((n % d)) -ne 0 ] || return 1
		d=$((d + 1))
	done
}

# A worker: one value at a time, as Go's `for n := range jobs`.  recv
# exits 3 once jobs is closed and drained.
worker() {
	local n done=0
	while n=$(gocsp recv jobs); do
		if is_prime "$n"; then
			gocsp send results "$n"
		fi
		done=$((done + 1))
	done
	echo "  worker $1 (pid $BASHPID) took $done numbers"
}

echo "\$ gocsp make jobs -c 64; gocsp make results -c 1000"
gocsp make jobs -c 64
gocsp make results -c 1000

echo "\$ 4 workers: while n=\$(gocsp recv jobs); do ...; gocsp send results \$n; done"
pids=()
for w in 1 2 3 4; do
	worker "$w" &
	pids+=($!)
done

echo "\$ seq 2 $limit | gocsp send jobs; gocsp close jobs"
seq 2 "$limit" | gocsp send jobs
gocsp close jobs

wait "${pids[@]}"
echo "\$ gocsp close results; gocsp recv results -a | sort -n"
gocsp close results
primes=$(gocsp recv results -a | sort -n | tr '\n' ' ')
count=$(echo "$primes" | wc -w)
echo "  $count primes up to $limit: $primes"

echo "\$ gocsp ls"
gocsp ls
