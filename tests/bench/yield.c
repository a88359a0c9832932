/*
 * yield: 2 coroutines call gocsp_yield in a loop (Go's runtime.Gosched).
 * Metric: ns per switch, the elapsed time over the total number of yields.
 * Meant for procs=1, where every yield switches to the other coroutine.
 * Twin: go/yield.go.  Usage: bench_yield [yields_per_coroutine]
 */
#include "bench.h"

#define NCORO 2

struct yield {
	long n;
	gocsp_waitgroup wg;
	double ns_per_op;
};

static void
yielder(void *arg)
{
	struct yield *y = arg;
	long i;

	for (i = 0; i < y->n; i++)
		gocsp_yield();
	gocsp_wg_done(&y->wg);
}

static void
run(void *arg)
{
	struct yield *y = arg;
	int64_t t0;
	int k;

	t0 = gocsp_now();
	gocsp_wg_add(&y->wg, NCORO);
	for (k = 0; k < NCORO; k++)
		bench_check(gocsp_go(yielder, y), "gocsp_go");
	gocsp_wg_wait(&y->wg);
	y->ns_per_op = (double) (gocsp_now() - t0) / (double) (y->n * NCORO);
}

int
main(int argc, char **argv)
{
	struct yield y = {.n = bench_arg(argc, argv, 1, 5000000)};

	bench_check(gocsp_run(run, &y), "gocsp_run");
	printf("yield ns_per_op=%.1f procs=%d n=%ld\n", y.ns_per_op,
	    gocsp_maxprocs(0), y.n * NCORO);
	return 0;
}
