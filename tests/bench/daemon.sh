#!/usr/bin/env bash
# Daemon benchmarks (issue 6): gocspd, through the client library and the
# gocsp command, against raw nng REQ/REP and Redis 7 lists, each workload
# run alternately with its anchors in one run.
#
# usage: tests/bench/daemon.sh BUILD_DIR [PAIRS [WORKLOAD...]]
#
#   BUILD_DIR  a CMake build tree with daemon/gocspd, clients/cli/gocsp and
#              tests/bench/daemon/dbench_* (make bench-daemon builds a
#              Release one, build-bench/; the dbench programs need hiredis)
#   PAIRS      rounds per workload and placement (default 5; at least 3)
#   WORKLOAD   rtt (one client, a call's latency), pc (4 producer x 4
#              consumer processes, one value a call and 64 a call), cmd
#              (one `gocsp send` against one `redis-cli LPUSH`); default all
#
# Each placement starts its own servers on a private temporary directory:
# gocspd on ipc://DIR/gocspd.sock, tests/bench/daemon/dbench_nng_echo (a
# raw nng REP echo server) on ipc://DIR/echo.sock, and Debian's
# redis-server on DIR/redis.sock (--port 0, no persistence); it stops
# them by pid, and the directory goes, whatever happens (trap).
# Placements ($DBENCH_PLACEMENTS, default "pinned unpinned"): pinned runs
# every process, servers included, on CPU 0 with taskset (same-core, as
# shared/BENCHMARKS.md asks to report apart); unpinned lets the kernel
# place them.  In each round every program of the workload runs once, in
# turn (A B C A B C ...), so all see the same machine.
#
# Sizes: $DBENCH_RTT_CALLS (20000), $DBENCH_PC_MSGS (40000, one a call),
# $DBENCH_PC_BATCH_MSGS (400000, 64 a call), $DBENCH_CMD_CALLS (300).
# Each run is killed after $BENCH_TIMEOUT seconds (60).  Raw lines go to
# BUILD_DIR/bench-run/daemon.txt, with the CPU time and the context
# switches of the run's server;
# tests/bench/daemon/table.py prints the medians, the ratios against the
# targets of shared/BENCHMARKS.md and the range of the rounds' own ratios.
# Exits 1 if a run failed, 0 otherwise (a MISS is a finding, not an error).
set -euo pipefail

usage() {
	sed -n '6p' "$0" | sed 's/^# //' >&2
	exit 2
}

[ $# -ge 1 ] || usage
build=$(cd "$1" && pwd)
pairs=${2:-5}
shift $(($# >= 2 ? 2 : 1))
case $pairs in
'' | *[!0-9]* | 0) usage ;;
esac
workloads=${*:-rtt pc cmd}
for w in $workloads; do
	case $w in
	rtt | pc | cmd) ;;
	*) echo "daemon.sh: no such workload: $w" >&2; exit 2 ;;
	esac
done
placements=${DBENCH_PLACEMENTS:-pinned unpinned}
rtt_calls=${DBENCH_RTT_CALLS:-20000}
pc_msgs=${DBENCH_PC_MSGS:-40000}
pc_batch_msgs=${DBENCH_PC_BATCH_MSGS:-400000}
cmd_calls=${DBENCH_CMD_CALLS:-300}
timeout_s=${BENCH_TIMEOUT:-60}
here=$(cd "$(dirname "$0")" && pwd)

gocspd=$build/daemon/gocspd
gocsp=$build/clients/cli/gocsp
bin=$build/tests/bench/daemon
for p in "$gocspd" "$gocsp" "$bin/dbench_gocsp" "$bin/dbench_nng" \
	"$bin/dbench_nng_echo" "$bin/dbench_redis" "$bin/dbench_exec"; do
	if [ ! -x "$p" ]; then
		echo "daemon.sh: no $p; build first (make bench-daemon; the" \
			"benchmarks need libhiredis-dev)" >&2
		exit 1
	fi
done
for p in redis-server redis-cli taskset; do
	command -v $p >/dev/null || {
		echo "daemon.sh: $p not found (apt install redis-server" \
			"redis-tools util-linux)" >&2
		exit 1
	}
done

out=$build/bench-run
mkdir -p "$out"
raw=$out/daemon.txt
: >"$raw"
failed=0
dir=
pids=()

# Stop the servers of the current placement: by pid, then wait for them.
stop_servers() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}

cleanup() {
	stop_servers
	[ -z "$dir" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for WHAT CMD...: retry CMD for 5 s, until it succeeds.
wait_for() {
	local what=$1 i
	shift
	for ((i = 0; i < 50; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "daemon.sh: $what did not start; its log:" >&2
	cat "$dir/$what.log" >&2 2>/dev/null || true
	exit 1
}

# start_servers PREFIX...: the three servers, each under PREFIX (taskset).
start_servers() {
	"$@" "$gocspd" -u "$gurl" -q 2>"$dir/gocspd.log" &
	pids+=($!)
	gocspd_pid=$!
	"$@" "$bin/dbench_nng_echo" "$nurl" 2>"$dir/nng_echo.log" &
	pids+=($!)
	echo_pid=$!
	"$@" redis-server --port 0 --unixsocket "$rsock" --unixsocketperm 700 \
		--save '' --appendonly no --dir "$dir" \
		--logfile "$dir/redis.log" &
	pids+=($!)
	redis_pid=$!
	wait_for gocspd "$gocsp" -u "$gurl" ping
	wait_for nng_echo test -S "$dir/echo.sock"
	wait_for redis redis-cli -s "$rsock" ping
}

# What server pid has used so far: "CPU_MS SWITCHES", its CPU time (user
# + system) and the context switches of its threads, which count how
# often a request passes from one thread to another.  Exits when the
# server has died, as every later run would fail.
usage_of() {
	if ! kill -0 "$1" 2>/dev/null; then
		echo "daemon.sh: server $1 died; logs in $dir:" >&2
		tail -n 5 "$dir"/*.log >&2 || true
		exit 1
	fi
	{
		cat "/proc/$1/stat"
		cat "/proc/$1"/task/*/status 2>/dev/null
	} | awk -v hz="$(getconf CLK_TCK)" '
		NR == 1 { sub(/.*\) /, ""); cpu = ($12 + $13) * 1000 / hz }
		/ctxt_switches:/ { sw += $2 }
		END { print cpu, sw }'
}

# run PLACEMENT WORKLOAD ROUND LABEL SERVER_PID CMD...: one run; its line
# goes to the raw file as "PLACEMENT WORKLOAD ROUND LABEL RC CPU_MS
# SWITCHES LINE", CPU_MS and SWITCHES being what the server used meanwhile.
run() {
	local placement=$1 workload=$2 round=$3 label=$4 spid=$5 line rc=0 u0 u1
	shift 5
	u0=$(usage_of "$spid")
	line=$(timeout "$timeout_s" "${prefix[@]}" "$@" 2>"$dir/stderr.txt") ||
		rc=$?
	u1=$(usage_of "$spid")
	if [ $rc -ne 0 ] || [ -z "$line" ]; then
		[ $rc -ne 0 ] || rc=1
		echo "  $label FAILED (exit $rc$([ $rc -eq 124 ] && echo ', timeout')):" \
			"$(head -c 300 "$dir/stderr.txt")" >&2
		failed=1
	fi
	echo "$placement $workload $round $label $rc" \
		"$(echo "$u0 $u1" | awk '{ print $3 - $1, $4 - $2 }') ${line:-}" >>"$raw"
	echo "  $label: ${line:-FAILED}" >&2
}

# The 64-byte value of the command-line runs (the programs' own is
# dbench.h's).
value=$(printf '%064d' 0)

# round PLACEMENT WORKLOAD ROUND: every program of the workload, once.
round() {
	local p=$1 w=$2 r=$3
	case $w in
	rtt)
		run "$p" rtt "$r" gocsp "$gocspd_pid" \
			"$bin/dbench_gocsp" rtt "$gurl" "$rtt_calls"
		run "$p" rtt "$r" nng "$echo_pid" \
			"$bin/dbench_nng" rtt "$nurl" "$rtt_calls"
		run "$p" rtt "$r" redis "$redis_pid" \
			"$bin/dbench_redis" rtt "$rsock" "$rtt_calls"
		;;
	pc)
		run "$p" pc "$r" gocsp_1 "$gocspd_pid" \
			"$bin/dbench_gocsp" pc "$gurl" 4 4 "$pc_msgs" 1
		run "$p" pc "$r" nng_4clients "$echo_pid" \
			"$bin/dbench_nng" pc "$nurl" 4 0 "$pc_msgs" 1
		run "$p" pc "$r" redis_1 "$redis_pid" \
			"$bin/dbench_redis" pc "$rsock" 4 4 "$pc_msgs" 1
		run "$p" pc "$r" gocsp_64 "$gocspd_pid" \
			"$bin/dbench_gocsp" pc "$gurl" 4 4 "$pc_batch_msgs" 64
		run "$p" pc "$r" redis_64 "$redis_pid" \
			"$bin/dbench_redis" pc "$rsock" 4 4 "$pc_batch_msgs" 64
		;;
	cmd)
		# A buffered channel and a list that take every call.
		"$gocsp" -u "$gurl" rm cmd >/dev/null 2>&1 || true
		"$gocsp" -u "$gurl" make cmd -c $((cmd_calls + 100))
		redis-cli -s "$rsock" DEL cmd >/dev/null
		run "$p" cmd "$r" gocsp_send "$gocspd_pid" \
			"$bin/dbench_exec" gocsp_send "$cmd_calls" \
			"$gocsp" -u "$gurl" send cmd "$value"
		run "$p" cmd "$r" redis_cli "$redis_pid" \
			"$bin/dbench_exec" redis_cli_lpush "$cmd_calls" \
			redis-cli -s "$rsock" LPUSH cmd "$value"
		;;
	esac
}

echo "# daemon benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')," \
	"$(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -n 1))," \
	"$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')," \
	"redis $(redis-server --version | sed 's/.* v=\([^ ]*\).*/\1/'), $pairs rounds;" \
	"load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for placement in $placements; do
	case $placement in
	pinned) prefix=(taskset -c 0) ;;
	unpinned) prefix=(env) ;;
	*) echo "daemon.sh: no such placement: $placement" >&2; exit 2 ;;
	esac
	dir=$(mktemp -d "${TMPDIR:-/tmp}/gocsp-bench.XXXXXX")
	gurl=ipc://$dir/gocspd.sock
	nurl=ipc://$dir/echo.sock
	rsock=$dir/redis.sock
	start_servers "${prefix[@]}"
	for w in $workloads; do
		echo "$placement $w:" >&2
		for ((i = 1; i <= pairs; i++)); do
			round "$placement" "$w" "$i"
		done
	done
	stop_servers
	rm -rf "$dir"
	dir=
done
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 "$here/daemon/table.py" "$raw" "$pairs"
exit $failed
