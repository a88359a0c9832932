#!/usr/bin/env bash
# Count the primes in 1..N (default 20000: 2262 of them) with a pool of
# long-lived awk workers that gocspd feeds from channel "numbers": one
# process feeds the numbers, another collects the answers, and neither
# knows how many workers there are.
#
# usage: examples/shell/primes.sh [N] [WORKERS]
#        (gocsp on PATH, gocspd at $GOCSP_URL)
set -euo pipefail

n=${1:-20000}
workers=${2:-4}

gocsp make numbers -c 1024
gocsp make flags -c 1024

# Each worker reads a number per line and answers 1 if it is prime, else
# 0, a line per line, at once (as stream mode wants).
gocsp spawn -n "$workers" --stream --name primes --from numbers --to flags \
	sh -c 'while read n; do
	           p=$((n > 1)) d=2
	           while [ $p = 1 ] && [ $((d * d)) -le "$n" ]; do
	               [ $((n % d)) = 0 ] && p=0
	               d=$((d + 1))
	           done
	           echo $p
	       done' >/dev/null

# The feeder, in a process of its own.
( seq 1 "$n" | gocsp send numbers && gocsp close numbers ) &
feeder=$!

# The collector, in another: it reads until the pool is over and gocsp
# wait closes "flags".
gocsp recv flags -a | awk '{ s += $1 } END { print s }' >"${TMPDIR:-/tmp}/primes.$$" &
collector=$!

wait "$feeder"
gocsp wait primes
wait "$collector"
echo "primes in 1..$n: $(cat "${TMPDIR:-/tmp}/primes.$$")"
rm -f "${TMPDIR:-/tmp}/primes.$$"
gocsp ps
gocsp rm numbers
gocsp rm flags
gocsp rm primes.errors
