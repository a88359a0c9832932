#!/usr/bin/env bash
# Run the benchmarks: each gocsp program against its Go twin, alternately.
#
# usage: tests/bench/run.sh BUILD_DIR [PAIRS [WORKLOAD...]]
#
#   BUILD_DIR  a CMake build tree holding tests/bench/bench_* (make bench
#              builds one in Release: build-bench/)
#   PAIRS      gocsp/Go pairs per workload and procs (default 5; at least 3,
#              5 when close, says BENCHMARKS.md)
#   WORKLOAD   run only these (pingpong select4 buffered spawn parked sieve
#              yield primes mutex semwake forkjoin echo); default all.  echo (TCP echo servers
#              under one load generator) is tests/bench/echo.sh, run last
#
# For each workload and procs value it runs gocsp then Go, PAIRS times
# (A B A B ...: the machine is noisy, so both see the same conditions),
# with GOCSP_MAXPROCS and GOMAXPROCS set to procs.  It prints a table of
# medians, the ratio gocsp/Go, the target from shared/BENCHMARKS.md,
# PASS/MISS and the range of the pairs' own ratios (how much the machine
# moved), then the primes speedup from procs 1 to 2.  Raw result lines go
# to BUILD_DIR/bench-run/raw.txt.  Each run is killed after $BENCH_TIMEOUT
# seconds (default 60); a config whose gocsp run fails is not retried.
# With BENCH_QUIET=1 each pair waits until the machine is quiet first
# (quiet.sh), as echo.sh does.
# Exits 1 if any run failed, 0 otherwise (a MISS is a finding, not an error).
#
# Go twins are built with Debian's golang-go (1.19) from go/NAME.go plus
# go/benchutil.go, with the Go cache under BUILD_DIR so that it works as
# root and in CI, and without the network.
set -euo pipefail

usage() {
	sed -n '4p' "$0" | sed 's/^# //' >&2
	exit 2
}

[ $# -ge 1 ] || usage
build=$1
pairs=${2:-5}
shift $(($# >= 2 ? 2 : 1))
case $pairs in
'' | *[!0-9]* | 0) usage ;;
esac
timeout_s=${BENCH_TIMEOUT:-60}
here=$(cd "$(dirname "$0")" && pwd)

# echo is a script of its own: note it, and take it out of the list.
run_echo=0
others=()
for w in "$@"; do
	if [ "$w" = echo ]; then run_echo=1; else others+=("$w"); fi
done
[ $# -gt 0 ] || run_echo=1
if [ $# -gt 0 ] && [ ${#others[@]} -eq 0 ]; then
	exec bash "$here/echo.sh" "$build" "$pairs"
fi
set -- "${others[@]}"

# workload procs args...: sizes keep a full run of 5 pairs within minutes.
configs=(
	"pingpong 1 1000000"
	"pingpong 2 1000000"
	"select4 1 1000000"
	"select4 2 1000000"
	"buffered 1 4000000 4 4"
	"buffered 2 4000000 4 4"
	"buffered:8x8 2 4000000 8 8"
	"spawn 1 1000000 3"
	"spawn 2 1000000 3"
	"parked 2 1000000"
	"sieve 1 2000"
	"sieve 2 2000"
	"yield 1 5000000"
	"primes 1 5000000 4"
	"primes 2 5000000 4"
	# NAME:LABEL runs program NAME, reported as NAME:LABEL.
	"mutex:w1 2 10000000 1"
	"mutex:w2 2 10000000 2"
	"mutex:w8 2 10000000 8"
	# The holder yields inside the section every 4th increment.
	"mutex:y8 1 2000000 8 4"
	"mutex:y8 2 2000000 8 4"
	# A wake through the semaphore table with 10 and 100,000 others
	# blocked in it (round trips as the last argument).
	"semwake:10 1 10 2000000"
	"semwake:100k 1 100000 2000000"
	"forkjoin 1 1000000"
	"forkjoin 2 1000000"
)

# Only the workloads asked for.
if [ $# -gt 0 ]; then
	selected=()
	for c in "${configs[@]}"; do
		for w in "$@"; do
			[ "${c%%[: ]*}" = "$w" ] && selected+=("$c")
		done
	done
	[ ${#selected[@]} -gt 0 ] || { echo "run.sh: no such workload: $*" >&2; exit 2; }
	configs=("${selected[@]}")
fi

# The C programs: where CMake put them in BUILD_DIR.
cdir=$build/tests/bench
if [ ! -x "$cdir/bench_pingpong" ]; then
	found=$(find "$build" -type f -name bench_pingpong -perm -u+x 2>/dev/null | head -n 1)
	if [ -z "$found" ]; then
		echo "run.sh: no bench_pingpong in $build; build it first (make bench)" >&2
		exit 1
	fi
	cdir=$(dirname "$found")
fi

# The Go twins (Go wants an absolute GOCACHE).
out=$(cd "$build" && pwd)/bench-run
mkdir -p "$out/go"
export GOCACHE=$out/go-cache GOPATH=$out/go-path GOPROXY=off GOFLAGS='' \
	GO111MODULE=on GOTOOLCHAIN=local CGO_ENABLED=0
command -v go >/dev/null || { echo "run.sh: go not found (apt install golang-go)" >&2; exit 1; }
names=$(printf '%s\n' "${configs[@]}" | cut -d' ' -f1 | cut -d: -f1 | sort -u)
for name in $names; do
	go build -o "$out/go/$name" "$here/go/$name.go" "$here/go/benchutil.go"
done

raw=$out/raw.txt
: >"$raw"
failed=0

# run IMPL NAME PROCS ARGS...: one run, its result line appended to raw.txt
# as "IMPL NAME PROCS RC LINE".
run() {
	local impl=$1 name=$2 procs=$3 bin line rc
	shift 3
	if [ "$impl" = gocsp ]; then bin=$cdir/bench_${name%%:*}; else bin=$out/go/${name%%:*}; fi
	rc=0
	line=$(GOCSP_MAXPROCS=$procs GOMAXPROCS=$procs \
		timeout "$timeout_s" "$bin" "$@" 2>"$out/stderr.txt") || rc=$?
	if [ $rc -ne 0 ] || [ -z "$line" ]; then
		[ $rc -ne 0 ] || rc=1
		echo "  $impl $name procs=$procs FAILED (exit $rc$([ $rc -eq 124 ] && echo ', timeout')): $(head -c 300 "$out/stderr.txt")" >&2
		failed=1
	fi
	echo "$impl $name $procs $rc ${line:-}" >>"$raw"
	echo "  $impl: ${line:-FAILED}" >&2
	return $rc
}

echo "# gocsp benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs," \
	"$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')," \
	"$(go version | cut -d' ' -f3), $pairs pairs$([ "${BENCH_QUIET:-0}" != 1 ] ||
		echo ', each after 3 quiet seconds')" >&2
for c in "${configs[@]}"; do
	read -r name procs args <<<"$c"
	echo "$name procs=$procs:" >&2
	c_ok=1
	for ((i = 0; i < pairs; i++)); do
		if [ "${BENCH_QUIET:-0}" = 1 ]; then
			bash "$here/quiet.sh" || true
		fi
		if [ $c_ok -eq 1 ]; then
			# shellcheck disable=SC2086
			run gocsp "$name" "$procs" $args || c_ok=0
		fi
		# shellcheck disable=SC2086
		run go "$name" "$procs" $args || true
	done
done

# The table.
python3 - "$raw" "$pairs" <<'PY'
import statistics
import sys

raw, pairs = sys.argv[1], int(sys.argv[2])

# (workload, procs, metric, target): target ("ratio", x) is gocsp/Go <= x,
# ("ratio", x, y) also every pair's own ratio <= y, ("max", x) is the gocsp
# value <= x; from shared/BENCHMARKS.md.
rows = [
    ("pingpong", 1, "ns_per_op", ("ratio", 0.30)),
    ("pingpong", 2, "ns_per_op", ("ratio", 0.40)),
    ("select4", 1, "ns_per_op", ("ratio", 0.30)),
    ("select4", 2, "ns_per_op", ("ratio", 0.30)),
    ("buffered", 1, "ns_per_op", None),
    ("buffered", 2, "ns_per_op", ("ratio", 0.7, 1.0)),
    ("buffered:8x8", 2, "ns_per_op", ("ratio", 0.7, 1.0)),
    ("spawn", 1, "ns_per_op", ("ratio", 0.10)),
    # Go's figure at 2 is bimodal (150-650 ns), so no target there.
    ("spawn", 2, "ns_per_op", None),
    ("parked", 2, "rss_bytes_per", ("max", 4.5 * 1024)),
    ("parked", 2, "spawn_ms", None),
    ("parked", 2, "join_ms", None),
    ("sieve", 1, "ms", ("ratio", 0.70)),
    ("sieve", 2, "ms", ("ratio", 0.70)),
    ("yield", 1, "ns_per_op", ("ratio", 0.35)),
    ("primes", 1, "ms", None),
    ("primes", 2, "ms", None),
    # One coroutine: the uncontended cost below which neither can go.
    ("mutex:w1", 2, "ns_per_op", None),
    ("mutex:w2", 2, "ns_per_op", ("ratio", 0.8)),
    ("mutex:w2", 2, "changes_per_kop", None),
    ("mutex:w8", 2, "ns_per_op", ("ratio", 0.8)),
    ("mutex:w8", 2, "changes_per_kop", None),
    ("mutex:y8", 1, "ns_per_op", None),
    ("mutex:y8", 2, "ns_per_op", None),
    ("semwake:10", 1, "ns_per_op", None),
    ("semwake:100k", 1, "ns_per_op", None),
    ("forkjoin", 1, "ns_per_op", ("ratio", 0.5)),
    ("forkjoin", 1, "peak_rss_kb", ("ratio", 1.0)),
    ("forkjoin", 2, "ns_per_op", ("ratio", 0.5)),
    ("forkjoin", 2, "peak_rss_kb", ("ratio", 1.0)),
]
SPEEDUP_TARGET = 1.8
# A wake with 100,000 blocked costs what it costs with 10, within noise.
SEMWAKE_GROWTH_TARGET = 1.10

values = {}  # (impl, workload, procs, metric) -> [float]
failed = set()  # (impl, workload, procs)
ran = set()  # (workload, procs)
with open(raw) as f:
    for line in f:
        parts = line.split()
        if len(parts) < 4:
            continue
        impl, name, procs, rc = parts[0], parts[1], int(parts[2]), parts[3]
        ran.add((name, procs))
        if rc != "0" or len(parts) < 6 or parts[4] != name.split(":")[0]:
            failed.add((impl, name, procs))
            continue
        for kv in parts[5:]:
            k, _, v = kv.partition("=")
            try:
                values.setdefault((impl, name, procs, k), []).append(float(v))
            except ValueError:
                pass


def med(impl, name, procs, metric):
    v = values.get((impl, name, procs, metric))
    return statistics.median(v) if v else None


def fmt(x):
    if x is None:
        return "FAIL"
    return f"{x:.0f}" if x >= 1000 else f"{x:.1f}"


def pair_ratios(name, procs, metric):
    """gocsp/Go of each alternating pair."""
    g = values.get(("gocsp", name, procs, metric)) or []
    o = values.get(("go", name, procs, metric)) or []
    return [a / b for a, b in zip(g, o) if b]


def pair_range(name, procs, metric):
    """Lowest and highest gocsp/Go of the alternating pairs: how much the
    machine moved during the run."""
    r = pair_ratios(name, procs, metric)
    return f"{min(r):.2f}-{max(r):.2f}" if r else "-"


print(f"{'workload':<12} {'procs':>5} {'metric':<15} {'gocsp':>9} {'Go':>9} "
      f"{'gocsp/Go':>8}  {'target':<28} {'result':<6} pairs")
for name, procs, metric, target in rows:
    if (name, procs) not in ran:
        continue
    g, o = med("gocsp", name, procs, metric), med("go", name, procs, metric)
    ratio = g / o if g is not None and o else None
    tgt, verdict = "", ""
    if target is not None:
        kind, x = target[0], target[1]
        tgt = f"<= {x:.2f} of Go" if kind == "ratio" else f"<= {x:.0f} B"
        got = ratio if kind == "ratio" else g
        verdict = "FAIL" if got is None else ("PASS" if got <= x else "MISS")
        if len(target) > 2:
            tgt += f", pairs <= {target[2]:.2f}"
            worst = max(pair_ratios(name, procs, metric), default=0)
            if verdict == "PASS" and worst > target[2]:
                verdict = "MISS"
    print(f"{name:<12} {procs:>5} {metric:<15} {fmt(g):>9} {fmt(o):>9} "
          f"{'-' if ratio is None else f'{ratio:.2f}':>8}  {tgt:<28} "
          f"{verdict:<6} {pair_range(name, procs, metric)}")

if ("primes", 1) in ran and ("primes", 2) in ran:
    line = "primes speedup procs 1 -> 2:"
    for impl in ("gocsp", "go"):
        t1, t2 = med(impl, "primes", 1, "ms"), med(impl, "primes", 2, "ms")
        s = t1 / t2 if t1 and t2 else None
        line += f" {impl} {'FAIL' if s is None else f'{s:.2f}x'}"
        if impl == "gocsp":
            ok = s is not None and s >= SPEEDUP_TARGET
            line += f" ({'PASS' if ok else 'MISS'}, target >= {SPEEDUP_TARGET}x),"
    print(line)
if ("semwake:10", 1) in ran and ("semwake:100k", 1) in ran:
    line = "semwake 100,000 blocked / 10 blocked:"
    for impl in ("gocsp", "go"):
        few = med(impl, "semwake:10", 1, "ns_per_op")
        many = med(impl, "semwake:100k", 1, "ns_per_op")
        g = many / few if few and many else None
        line += f" {impl} {'FAIL' if g is None else f'{g:.2f}x'}"
        if impl == "gocsp":
            ok = g is not None and g <= SEMWAKE_GROWTH_TARGET
            line += (f" ({'PASS' if ok else 'MISS'}, target <= "
                     f"{SEMWAKE_GROWTH_TARGET:.2f}x),")
    print(line)
print(f"(medians of {pairs} alternating pairs; raw lines in {raw})")
PY

if [ $run_echo -eq 1 ]; then
	bash "$here/echo.sh" "$build" "$pairs" || failed=1
fi
exit $failed
