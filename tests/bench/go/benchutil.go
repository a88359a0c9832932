// Helpers shared by the Go twins of the benchmarks in tests/bench/; the C
// programs use bench.h.  run.sh builds each twin as `go build -o OUT
// name.go benchutil.go`: every other file in this directory is its own
// main package, so do not build the directory as a whole.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
)

// argInt returns os.Args[i] as a positive integer, or def when absent.
func argInt(i int, def int) int {
	if len(os.Args) <= i {
		return def
	}
	v, err := strconv.Atoi(os.Args[i])
	if err != nil || v <= 0 {
		fmt.Fprintf(os.Stderr, "%s: bad argument '%s'\n", os.Args[0], os.Args[i])
		os.Exit(2)
	}
	return v
}

// procs is GOMAXPROCS, which run.sh sets for every run.
func procs() int {
	return runtime.GOMAXPROCS(0)
}

// rssBytes is the resident set size from /proc/self/statm, measured exactly
// as the C programs do (not runtime.ReadMemStats), for a fair comparison.
func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	var size, resident int64
	if _, err := fmt.Sscan(string(data), &size, &resident); err != nil {
		fmt.Fprintln(os.Stderr, "bench: /proc/self/statm:", err)
		os.Exit(1)
	}
	return resident * int64(os.Getpagesize())
}

// median of v (sorts v); the mean of the middle two when len(v) is even.
func median(v []int64) float64 {
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	n := len(v)
	if n%2 == 1 {
		return float64(v[n/2])
	}
	return (float64(v[n/2-1]) + float64(v[n/2])) / 2
}
