/*
 * forkjoin: recursive divide and conquer, as a user would write it.  A
 * node over n leaves (n > 1) spawns two coroutines, one per half, and
 * waits for both on a WaitGroup of its own; a leaf counts 1.  The root's
 * count must come back as n.  Metrics: ns per node (the elapsed time
 * over the 2n - 1 nodes) and the peak RSS of the process (getrusage),
 * which shows how much of the spawn tree the scheduler kept alive at
 * once.  Twin: go/forkjoin.go.  Usage: bench_forkjoin [leaves]
 */
#include <sys/resource.h>

#include "bench.h"

struct task {
	long n;   /* leaves below */
	long sum; /* out: leaves counted */
	gocsp_waitgroup *done;
};

static void
node(void *arg)
{
	struct task *t = arg;

	if (t->n == 1) {
		t->sum = 1;
	} else {
		gocsp_waitgroup wg = {0};
		struct task left = {.n = t->n / 2, .done = &wg};
		struct task right = {.n = t->n - t->n / 2, .done = &wg};

		gocsp_wg_add(&wg, 2);
		bench_check(gocsp_go(node, &left), "gocsp_go");
		bench_check(gocsp_go(node, &right), "gocsp_go");
		gocsp_wg_wait(&wg);
		t->sum = left.sum + right.sum;
	}
	gocsp_wg_done(t->done);
}

struct forkjoin {
	long leaves, sum;
	int64_t elapsed;
};

static void
run(void *arg)
{
	struct forkjoin *f = arg;
	gocsp_waitgroup wg = {0};
	struct task root = {.n = f->leaves, .done = &wg};
	int64_t t0 = gocsp_now();

	gocsp_wg_add(&wg, 1);
	bench_check(gocsp_go(node, &root), "gocsp_go");
	gocsp_wg_wait(&wg);
	f->elapsed = gocsp_now() - t0;
	f->sum = root.sum;
}

int
main(int argc, char **argv)
{
	struct forkjoin f = {.leaves = bench_arg(argc, argv, 1, 1000000)};
	struct rusage ru;

	bench_check(gocsp_run(run, &f), "gocsp_run");
	if (f.sum != f.leaves) {
		fprintf(stderr, "forkjoin: counted %ld of %ld leaves\n", f.sum,
		    f.leaves);
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("forkjoin ns_per_op=%.1f peak_rss_kb=%ld procs=%d leaves=%ld\n",
	    (double) f.elapsed / (double) (2 * f.leaves - 1), ru.ru_maxrss,
	    gocsp_maxprocs(0), f.leaves);
	return 0;
}
