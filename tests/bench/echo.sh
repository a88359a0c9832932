#!/usr/bin/env bash
# TCP echo benchmark: examples/echo_server (gocsp) against its Go twin
# (go/echo_server.go), both driven by the same load generator,
# examples/echo_client.
#
# usage: tests/bench/echo.sh BUILD_DIR [PAIRS]
#
#   BUILD_DIR  a CMake build tree holding examples/echo_server and
#              examples/echo_client (a Release tree: make bench builds one)
#   PAIRS      gocsp/Go server pairs, run alternately (default 5)
#
# Each run starts a server on 127.0.0.1 (port chosen by the kernel) with
# --max-conns CONNS, runs echo_client against it (CONNS connections, each a
# coroutine making REQUESTS round trips of SIZE bytes) and waits for the
# server to exit.  Servers get GOCSP_MAXPROCS=2 / GOMAXPROCS=2; the client
# runs on the same machine with GOCSP_MAXPROCS=2, so client and server share
# the CPUs: the figures are for that setup.  Because the client costs as
# much CPU as a server, requests/s moves little with the server; the
# server's own CPU time per request (user plus system, all its threads,
# from wait4 through cputime.py) compares the servers themselves.
#
# At saturation both servers use a whole CPU however little each request
# costs them (a server with time to spare polls for the next request
# sooner, and finds fewer ready at once), so there CPU per request is
# about 1 / requests/s.  Each pair therefore also runs both servers under
# a fixed offered load, $ECHO_RATE requests/s (50000; 0 skips it), each
# connection making $ECHO_RATE_REQUESTS (2000) round trips on its own
# schedule (echo_client -r): there CPU per request is what the server
# spends, waiting included, to serve that load.
#
# Sizes: $ECHO_CONNS (64), $ECHO_REQUESTS (15000), $ECHO_SIZE (64); each
# run is killed after $BENCH_TIMEOUT seconds (60); with BENCH_QUIET=1 each
# pair waits until the machine is quiet first (quiet.sh).  Raw lines go to
# BUILD_DIR/bench-run/echo.txt.  Prints medians, the ratios gocsp/Go, the
# targets of shared/BENCHMARKS.md (server CPU per request <= 0.85 of Go's,
# requests/s >= Go's, p99 <= Go's), also applied under the fixed load,
# and the range of the pairs' own ratios.
# Exits 1 if a run failed, 0 otherwise (a MISS is a finding, not an error).
set -euo pipefail

usage() {
	sed -n '6p' "$0" | sed 's/^# //' >&2
	exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
build=$1
pairs=${2:-5}
case $pairs in
'' | *[!0-9]* | 0) usage ;;
esac
conns=${ECHO_CONNS:-64}
requests=${ECHO_REQUESTS:-15000}
size=${ECHO_SIZE:-64}
rate=${ECHO_RATE:-50000}
rate_requests=${ECHO_RATE_REQUESTS:-2000}
case $rate$rate_requests in
'' | *[!0-9]*)
	echo "echo.sh: ECHO_RATE and ECHO_RATE_REQUESTS are whole numbers" >&2
	exit 2
	;;
esac
procs=2
timeout_s=${BENCH_TIMEOUT:-60}
here=$(cd "$(dirname "$0")" && pwd)

bin=$build/examples
for p in echo_server echo_client; do
	if [ ! -x "$bin/$p" ]; then
		echo "echo.sh: no $bin/$p; build first (make bench)" >&2
		exit 1
	fi
done

# The Go twin, built as run.sh builds the others (absolute GOCACHE, no
# network).
out=$(cd "$build" && pwd)/bench-run
mkdir -p "$out/go"
export GOCACHE=$out/go-cache GOPATH=$out/go-path GOPROXY=off GOFLAGS='' \
	GO111MODULE=on GOTOOLCHAIN=local CGO_ENABLED=0
command -v go >/dev/null || { echo "echo.sh: go not found (apt install golang-go)" >&2; exit 1; }
go build -o "$out/go/echo_server" "$here/go/echo_server.go"

raw=$out/echo.txt
: >"$raw"
failed=0
server_pid=

# Never leave a server behind.
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run IMPL RATE: one server run (RATE 0: as fast as the client can), the
# client's result appended to the raw file as "IMPL RATE RC LINE".
run() {
	local impl=$1 load=$2 srv port="" line="" rc=0 i n=$requests
	[ "$load" = 0 ] || n=$rate_requests
	if [ "$impl" = gocsp ]; then srv=$bin/echo_server; else srv=$out/go/echo_server; fi
	# Empty it here: the background job may truncate it only after the
	# loop below has read the previous server's port.
	: >"$out/echo-server.txt"
	rm -f "$out/echo-cpu.txt"
	GOCSP_MAXPROCS=$procs GOMAXPROCS=$procs \
		timeout "$timeout_s" python3 "$here/cputime.py" \
		"$out/echo-cpu.txt" "$srv" 0 --max-conns "$conns" \
		>"$out/echo-server.txt" 2>&1 &
	server_pid=$!
	# Wait (at most 5 s) for "listening on 127.0.0.1:PORT".
	for ((i = 0; i < 50; i++)); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
			"$out/echo-server.txt")
		[ -n "$port" ] && break
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		echo "  $impl: server did not start: $(head -c 300 "$out/echo-server.txt")" >&2
		rc=1
	else
		line=$(GOCSP_MAXPROCS=$procs timeout "$timeout_s" "$bin/echo_client" \
			-c "$conns" -n "$n" -s "$size" -r "$load" -p "$port" \
			2>"$out/echo-client.txt" | grep '^echo ') || rc=$?
	fi
	# The server exits once every connection has closed; give it 10 s.
	for ((i = 0; i < 100; i++)); do
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=
	# The server's CPU per request, once it has exited by itself.
	if [ -n "$line" ] && [ -s "$out/echo-cpu.txt" ]; then
		line="$line server_cpu_us=$(awk -v n=$((conns * n)) \
			'{ printf "%.3f", $1 * 1e6 / n }' "$out/echo-cpu.txt")"
	fi
	if [ $rc -ne 0 ] || [ -z "$line" ]; then
		[ $rc -ne 0 ] || rc=1
		echo "  $impl FAILED (exit $rc): $(head -c 300 "$out/echo-client.txt")" >&2
		failed=1
	fi
	echo "$impl $load $rc ${line:-}" >>"$raw"
	echo "  $impl$([ "$load" = 0 ] || echo " at $load/s"): ${line:-FAILED}" >&2
}

echo "# echo benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs," \
	"$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')," \
	"$(go version | cut -d' ' -f3), $pairs pairs$([ "${BENCH_QUIET:-0}" != 1 ] ||
		echo ', each after 3 quiet seconds')" >&2
echo "echo: $conns connections x $requests requests of $size bytes;" \
	"servers GOCSP_MAXPROCS/GOMAXPROCS=$procs, the client" \
	"(GOCSP_MAXPROCS=$procs) on the same CPUs$([ "$rate" = 0 ] ||
		echo "; then $rate requests/s offered, $rate_requests per connection")" >&2
for ((p = 0; p < pairs; p++)); do
	if [ "${BENCH_QUIET:-0}" = 1 ]; then
		bash "$here/quiet.sh" || true
	fi
	run gocsp 0
	run go 0
	if [ "$rate" != 0 ]; then
		run gocsp "$rate"
		run go "$rate"
	fi
done

python3 - "$raw" "$pairs" "$rate" <<'PY'
import statistics
import sys

raw, pairs, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
vals = {}  # (impl, load, metric) -> [float]
with open(raw) as f:
    for line in f:
        parts = line.split()
        if len(parts) < 4 or parts[2] != "0" or parts[3] != "echo":
            continue
        for kv in parts[4:]:
            k, _, v = kv.partition("=")
            try:
                vals.setdefault((parts[0], parts[1], k), []).append(float(v))
            except ValueError:
                pass


def med(impl, load, metric):
    v = vals.get((impl, load, metric))
    return statistics.median(v) if v else None


def fmt(x):
    return "FAIL" if x is None else (f"{x:.0f}" if x >= 1000 else f"{x:.1f}")


def pair_range(load, metric):
    """Lowest and highest gocsp/Go of the alternating pairs."""
    g = vals.get(("gocsp", load, metric)) or []
    o = vals.get(("go", load, metric)) or []
    r = [a / b for a, b in zip(g, o) if b]
    return f"{min(r):.2f}-{max(r):.2f}" if r else "-"


print(f"{'workload':<11} {'metric':<15} {'gocsp':>9} {'Go':>9} "
      f"{'gocsp/Go':>8}  {'target':<16} {'result':<6} pairs")
# load, metric, target ratio gocsp/Go, whether the ratio must be at least it
rows = [("0", "server_cpu_us", 0.85, False),
        ("0", "requests_per_s", 1.0, True),
        ("0", "p50_us", None, False),
        ("0", "p99_us", 1.0, False)]
if rate:
    # Under a fixed load requests/s is the load: it only shows whether
    # each server kept up with it.
    rows += [(str(rate), "server_cpu_us", 0.85, False),
             (str(rate), "requests_per_s", None, False),
             (str(rate), "p50_us", None, False),
             (str(rate), "p99_us", 1.0, False)]
for load, metric, target, at_least in rows:
    g, o = med("gocsp", load, metric), med("go", load, metric)
    r = g / o if g is not None and o else None
    tgt, verdict = "", ""
    if target is not None:
        tgt = f"{'>=' if at_least else '<='} {target:.2f} of Go"
        if r is None:
            verdict = "FAIL"
        else:
            ok = r >= target if at_least else r <= target
            verdict = "PASS" if ok else "MISS"
    name = "echo" if load == "0" else f"echo@{int(load) // 1000}k"
    print(f"{name:<11} {metric:<15} {fmt(g):>9} {fmt(o):>9} "
          f"{'-' if r is None else f'{r:.3f}':>8}  {tgt:<16} {verdict:<6} "
          f"{pair_range(load, metric)}")
fixed = "; echo@: under a fixed load of that many requests/s" if rate else ""
print(f"(medians of {pairs} alternating pairs{fixed}; raw lines in {raw})")
PY

exit $failed
