/*
 * Helpers shared by the benchmark programs in tests/bench/: arguments, the
 * result line's inputs (RSS, medians) and error checks.  Header-only, so
 * each workload stays one .c file; go/benchutil.go is its Go twin.
 *
 * Every program prints exactly one line:
 *     <name> <metric>=<value> key=value ...
 * run.sh takes the metrics it compares from that line.
 */
#ifndef GOCSP_BENCH_H
#define GOCSP_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gocsp/gocsp.h>

/* argv[i] as a positive integer, or dflt when absent.  Exits 2 on junk. */
static inline long
bench_arg(int argc, char **argv, int i, long dflt)
{
	char *end;
	long v;

	if (argc <= i)
		return dflt;
	v = strtol(argv[i], &end, 10);
	if (*argv[i] == '\0' || *end != '\0' || v <= 0) {
		fprintf(stderr, "%s: bad argument '%s'\n", argv[0], argv[i]);
		exit(2);
	}
	return v;
}

/* Abort the benchmark with the call's name when a gocsp call failed. */
static inline void
bench_check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "bench: %s: %s\n", what, gocsp_strerror(rc));
		exit(1);
	}
}

/* Resident set size in bytes, from /proc/self/statm (as the Go twins do). */
static inline int64_t
bench_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, resident = 0;

	if (f == NULL || fscanf(f, "%ld %ld", &size, &resident) != 2) {
		perror("bench: /proc/self/statm");
		exit(1);
	}
	fclose(f);
	return (int64_t) resident * sysconf(_SC_PAGESIZE);
}

static inline int
bench__cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;

	return (x > y) - (x < y);
}

/* Median of v[0..n), n >= 1 (sorts v); mean of the middle two if n even. */
static inline double
bench_median(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench__cmp_i64);
	if (n % 2 == 1)
		return (double) v[n / 2];
	return ((double) v[n / 2 - 1] + (double) v[n / 2]) / 2.0;
}

#endif /* GOCSP_BENCH_H */
