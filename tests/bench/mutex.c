/*
 * mutex: N coroutines each increment a shared counter under one
 * gocsp_mutex, n increments in total (contended Mutex).  Metric: ns per
 * increment, the elapsed time over n.  Twin: go/mutex.go.
 * Usage: bench_mutex [total_increments [coroutines]]
 */
#include "bench.h"

/* The contended line holds only the mutex and the counter (the Go twin's
 * two small heap objects); the rest is read-only during the run. */
struct shared {
	gocsp_mutex mu;
	long        counter; /* under mu */
} __attribute__((aligned(64)));

struct mutex_bench {
	long            n, workers, per;
	gocsp_waitgroup wg;
	double          ns_per_op;
	struct shared   s;
};

static void
incrementer(void *arg)
{
	struct mutex_bench *b   = arg;
	struct shared      *s   = &b->s;
	long                per = b->per, i;

	for (i = 0; i < per; i++) {
		gocsp_mutex_lock(&s->mu);
		s->counter++;
		gocsp_mutex_unlock(&s->mu);
	}
	gocsp_wg_done(&b->wg);
}

static void
run(void *arg)
{
	struct mutex_bench *b = arg;
	int64_t             t0;
	long                k;

	t0 = gocsp_now();
	gocsp_wg_add(&b->wg, (int) b->workers);
	for (k = 0; k < b->workers; k++)
		bench_check(gocsp_go(incrementer, b), "gocsp_go");
	gocsp_wg_wait(&b->wg);
	b->ns_per_op = (double) (gocsp_now() - t0) /
	    (double) (b->per * b->workers);
}

int
main(int argc, char **argv)
{
	struct mutex_bench b = {
		.n       = bench_arg(argc, argv, 1, 10000000),
		.workers = bench_arg(argc, argv, 2, 2),
	};

	b.per = b.n / b.workers;
	bench_check(gocsp_run(run, &b), "gocsp_run");
	if (b.s.counter != b.per * b.workers) {
		fprintf(stderr, "bench_mutex: counter %ld, want %ld\n",
		    b.s.counter, b.per * b.workers);
		return 1;
	}
	printf("mutex ns_per_op=%.1f procs=%d workers=%ld n=%ld\n",
	    b.ns_per_op, gocsp_maxprocs(0), b.workers, b.per * b.workers);
	return 0;
}
