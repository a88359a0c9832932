#!/usr/bin/env python3
"""The table of tests/bench/daemon.sh: medians, ratios against the targets
of shared/BENCHMARKS.md, and the range of the rounds' own ratios.

usage: table.py RAW_FILE ROUNDS

RAW_FILE lines: PLACEMENT WORKLOAD ROUND LABEL RC SERVER_CPU_MS
SERVER_SWITCHES LINE, LINE being a program's "<name> <metric>=<value>
key=value ..." (empty when the run failed).
"""
import statistics
import sys

# (workload, metric, gocsp label, anchor label, target): target (op, x)
# means gocsp/anchor op x; None only shows the ratio.
ROWS = [
    ("rtt", "p50_us", "gocsp", "nng", ("<=", 1.3)),
    ("rtt", "p50_us", "gocsp", "redis", ("<", 1.0)),
    ("rtt", "p99_us", "gocsp", "nng", None),
    ("rtt", "p99_us", "gocsp", "redis", None),
    ("pc", "msgs_per_s", "gocsp_1", "nng_4clients", (">=", 0.9)),
    ("pc", "msgs_per_s", "gocsp_1", "redis_1", None),
    ("pc", "msgs_per_s", "gocsp_64", "redis_1", (">=", 2.0)),
    ("pc", "msgs_per_s", "gocsp_64", "redis_64", (">=", 1.0)),
    ("cmd", "p50_ms", "gocsp_send", "redis_cli", ("<=", 0.8)),
    ("cmd", "mean_ms", "gocsp_send", "redis_cli", None),
]
# The key of a result line that counts what the server's CPU time is
# divided by: calls (rtt, cmd) or values (pc; round trips for nng).
COUNT_KEYS = ("calls", "msgs")

OPS = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
}


def load(path):
    """{(placement, workload, label): {round: {metric: value}}}, with the
    server's CPU microseconds and context switches per counted unit as
    'server_cpu_us' and 'server_switches'."""
    runs = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 7:
                continue
            placement, workload, rnd, label, rc, cpu_ms, sw = parts[:7]
            key = (placement, workload, label)
            runs.setdefault(key, {})
            if rc != "0" or len(parts) < 9:
                continue
            values = {}
            for kv in parts[8:]:
                k, _, v = kv.partition("=")
                try:
                    values[k] = float(v)
                except ValueError:
                    pass
            count = next((values[k] for k in COUNT_KEYS if k in values), 0)
            if count:
                values["server_cpu_us"] = float(cpu_ms) * 1000 / count
                values["server_switches"] = float(sw) / count
            runs[key][int(rnd)] = values
    return runs


def fmt(x):
    if x is None:
        return "FAIL"
    if x >= 1000:
        return f"{x:.0f}"
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def median(runs, key, metric):
    v = [r[metric] for r in runs.get(key, {}).values() if metric in r]
    return statistics.median(v) if v else None


def main():
    runs, rounds = load(sys.argv[1]), int(sys.argv[2])
    placements = sorted({k[0] for k in runs}, key=lambda p: p != "pinned")

    print(f"{'placement':<9} {'workload':<8} {'metric':<10} {'gocsp':<10} "
          f"{'anchor':<12} {'gocsp':>9} {'anchor':>9} {'ratio':>6}  "
          f"{'target':<7} {'result':<6} rounds")
    for p in placements:
        for workload, metric, g, a, target in ROWS:
            kg, ka = (p, workload, g), (p, workload, a)
            if kg not in runs or ka not in runs:
                continue
            mg, ma = median(runs, kg, metric), median(runs, ka, metric)
            ratio = mg / ma if mg is not None and ma else None
            # The rounds' own ratios: how much the machine moved.
            own = [runs[kg][r][metric] / runs[ka][r][metric]
                   for r in runs[kg] if r in runs[ka]
                   and metric in runs[kg][r] and runs[ka][r].get(metric)]
            spread = f"{min(own):.2f}-{max(own):.2f}" if own else "-"
            tgt, verdict = "", ""
            if target is not None:
                op, x = target
                tgt = f"{op} {x:.1f}"
                verdict = ("FAIL" if ratio is None else
                           "PASS" if OPS[op](ratio, x) else "MISS")
            print(f"{p:<9} {workload:<8} {metric:<10} {g:<10} {a:<12} "
                  f"{fmt(mg):>9} {fmt(ma):>9} "
                  f"{'-' if ratio is None else f'{ratio:.2f}':>6}  "
                  f"{tgt:<7} {verdict:<6} {spread}")

    # Where the time goes, per call (rtt, cmd), per value (pc) or per
    # round trip (nng_4clients): CPU in the server and in the clients, and
    # the server's context switches.
    print()
    print(f"{'placement':<9} {'workload':<8} {'program':<12} "
          f"{'server_cpu_us':>13} {'client_cpu_us':>13} "
          f"{'server_switches':>15}")
    for p in placements:
        for k in runs:
            if k[0] == p:
                print(f"{p:<9} {k[1]:<8} {k[2]:<12} "
                      f"{fmt(median(runs, k, 'server_cpu_us')):>13} "
                      f"{fmt(median(runs, k, 'client_cpu_us')):>13} "
                      f"{fmt(median(runs, k, 'server_switches')):>15}")
    print(f"(medians of {rounds} rounds, each running every program of its "
          f"workload once in turn; raw lines in {sys.argv[1]})")


if __name__ == "__main__":
    main()
