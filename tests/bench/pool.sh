#!/usr/bin/env bash
# Shell worker pools: gocsp against xargs -P2 and GNU parallel -j2, run
# alternately in one run (the machine is noisy: medians of the pairs).
#
# usage: tests/bench/pool.sh BUILD_DIR [PAIRS [JOBS]]
#
#   BUILD_DIR  a build tree with daemon/gocspd and clients/cli/gocsp
#   PAIRS      rounds of every tool (default 5)
#   JOBS       tiny jobs a round (default 2000): sh -c 'echo $((x*x))'
#
# Each round times, on 2 workers, from start to the last result:
#   xargs      seq | xargs -P2 -I{} sh -c 'echo $(({}*{}))'
#   parallel   seq | parallel -j2 'echo $(({}*{}))'  (parallel runs each in
#              a shell of its own, as xargs does with sh -c)
#   message    gocsp spawn -n 2: a `sh -c 'echo $((x*x))'` per value
#   stream     gocsp spawn -n 2 --stream: two long-lived shells reading
#              values as lines
# The gocsp rounds include making the channels, spawning, feeding,
# collecting every result and gocsp wait.  Prints a line per tool
# (`pool_<tool> jobs_per_s=...`) and the ratios against the targets of
# BENCHMARKS.md: message >= 0.9x xargs and >= 4x parallel, stream >= 10x
# xargs.
set -euo pipefail

build=$(cd "${1:?usage: pool.sh BUILD_DIR [PAIRS [JOBS]]}" && pwd)
pairs=${2:-5}
jobs=${3:-2000}
gocsp=$build/clients/cli/gocsp
gocspd=$build/daemon/gocspd
for t in xargs parallel "$gocsp" "$gocspd"; do
	command -v "$t" >/dev/null || { echo "pool.sh: no $t" >&2; exit 2; }
done

dir=$(mktemp -d /tmp/gocsp-bench-pool.XXXXXX)
export GOCSP_URL=ipc://$dir/gocspd.sock
"$gocspd" -q --max-cap $((jobs * 2)) 2>"$dir/gocspd.log" &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do "$gocsp" ping >/dev/null 2>&1 && break; sleep 0.05; done

now() { date +%s.%N; }
# gocspd's CPU time so far (user + system), in clock ticks
daemon_ticks() { awk '{ print $14 + $15 }' "/proc/$daemon/stat"; }
hz=$(getconf CLK_TCK)
g() { "$gocsp" "$@"; }

run_xargs() {
	seq 1 "$jobs" | xargs -P2 -I{} sh -c 'echo $(({}*{}))' >"$dir/out"
}

run_parallel() {
	seq 1 "$jobs" | parallel --will-cite -j2 'echo $(({}*{}))' >"$dir/out"
}

# run_gocsp MODE: a pool of 2 in MODE (message or stream).
run_gocsp() {
	local mode=$1 round=$2 cmd
	g make "in$round" -c "$jobs" && g make "out$round" -c "$jobs"
	if [ "$mode" = stream ]; then
		cmd=(--stream -- sh -c 'while read x; do echo $((x*x)); done')
	else
		cmd=(-- sh -c 'echo $((GOCSP_MSG*GOCSP_MSG))')
	fi
	g spawn -n 2 --name "p$round" --from "in$round" --to "out$round" \
		"${cmd[@]}" >/dev/null
	g recv "out$round" -a >"$dir/out" &
	local collector=$!
	seq 1 "$jobs" | g send "in$round"
	g close "in$round"
	g wait "p$round" --no-progress
	wait "$collector"
}

declare -A rates cpus
pair_ratios=()
round=0
for pair in $(seq "$pairs"); do
	for tool in xargs message parallel stream; do
		round=$((round + 1))
		t0=$(now)
		c0=$(daemon_ticks)
		case $tool in
		xargs) run_xargs ;;
		parallel) run_parallel ;;
		*) run_gocsp "$tool" "$round" ;;
		esac
		t1=$(now)
		c1=$(daemon_ticks)
		got=$(wc -l <"$dir/out")
		[ "$got" = "$jobs" ] || { echo "pool.sh: $tool gave $got results" >&2; exit 1; }
		rate=$(echo "$jobs / ($t1 - $t0)" | bc -l)
		rates[$tool]="${rates[$tool]:-} $rate"
		case $tool in
		message | stream)
			cpu=$(echo "($c1 - $c0) * 1000000 / $hz / $jobs" | bc -l)
			cpus[$tool]="${cpus[$tool]:-} $cpu"
			printf 'pool_%s jobs_per_s=%.0f daemon_cpu_us_per_job=%.0f pair=%d\n' \
				"$tool" "$rate" "$cpu" "$pair"
			;;
		*) printf 'pool_%s jobs_per_s=%.0f pair=%d\n' "$tool" "$rate" "$pair" ;;
		esac
		[ "$tool" != message ] || pair_ratios+=("$(echo "$rate / $xargs_rate" | bc -l)")
		[ "$tool" != xargs ] || xargs_rate=$rate
	done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for tool in xargs parallel message stream; do
	m=$(echo "${rates[$tool]}" | median)
	eval "med_$tool=$m"
	printf 'pool_%s jobs_per_s=%.0f (median of %d)\n' "$tool" "$m" "$pairs"
done
for tool in message stream; do
	printf 'pool_%s gocspd CPU per job: %.0f us (median)\n' "$tool" \
		"$(echo "${cpus[$tool]}" | median)"
done
printf 'per message / xargs -P2, pair by pair: %s\n' \
	"$(printf '%s\n' "${pair_ratios[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }')"
ratio() { echo "$1 / $2" | bc -l; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t) ? "PASS" : "MISS" }'; }
r1=$(ratio "$med_message" "$med_xargs")
r2=$(ratio "$med_message" "$med_parallel")
r3=$(ratio "$med_stream" "$med_xargs")
printf 'per message / xargs -P2:     %.2f (target >= 0.9)  %s\n' "$r1" "$(verdict "$r1" 0.9)"
printf 'per message / parallel -j2:  %.2f (target >= 4)    %s\n' "$r2" "$(verdict "$r2" 4)"
printf 'stream / xargs -P2:          %.2f (target >= 10)   %s\n' "$r3" "$(verdict "$r3" 10)"
