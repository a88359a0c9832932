/*
 * mutex: N coroutines each increment a shared counter under one
 * gocsp_mutex, n increments in total (contended Mutex).  Metrics: ns per
 * increment, the elapsed time over n; and how often the holder changed,
 * per 1,000 increments: with the coroutines on two workers each change
 * moves the mutex's cache line between CPUs, which is what a contended
 * Mutex costs where lines cross slowly.  With yield_every k, the holder
 * yields inside the critical section every k-th increment: a mutex held
 * across a switch, where every other coroutine that runs meanwhile finds
 * it locked and parks.  Twin: go/mutex.go.
 * Usage: bench_mutex [total_increments [coroutines [yield_every]]]
 */
#include "bench.h"

/* The contended line holds only the mutex and the counter (the Go twin's
 * two small heap objects); the rest is read-only during the run. */
struct shared {
	gocsp_mutex mu;
	long counter; /* under mu */
	long holder;  /* under mu: who incremented last */
	long changes; /* under mu: times holder changed */
} __attribute__((aligned(64)));

struct mutex_bench {
	long n, workers, per, yield_every; /* yield_every 0: never */
	gocsp_waitgroup wg;
	double ns_per_op;
	struct shared s;
};

struct incrementer {
	struct mutex_bench *b;
	long id; /* from 1 */
};

static void
incrementer(void *arg)
{
	struct incrementer *in = arg;
	struct shared *s = &in->b->s;
	long per = in->b->per, id = in->id, every = in->b->yield_every, i;

	for (i = 0; i < per; i++) {
		gocsp_mutex_lock(&s->mu);
		s->counter++;
		if (s->holder != id) {
			s->holder = id;
			s->changes++;
		}
		if (every != 0 && i % every == 0)
			gocsp_yield();
		gocsp_mutex_unlock(&s->mu);
	}
	gocsp_wg_done(&in->b->wg);
}

static void
run(void *arg)
{
	struct mutex_bench *b = arg;
	struct incrementer *in = calloc((size_t) b->workers, sizeof(*in));
	int64_t t0;
	long k;

	if (in == NULL)
		bench_check(GOCSP_ENOMEM, "calloc");
	t0 = gocsp_now();
	gocsp_wg_add(&b->wg, (int) b->workers);
	for (k = 0; k < b->workers; k++) {
		in[k] = (struct incrementer){.b = b, .id = k + 1};
		bench_check(gocsp_go(incrementer, &in[k]), "gocsp_go");
	}
	gocsp_wg_wait(&b->wg);
	b->ns_per_op =
	    (double) (gocsp_now() - t0) / (double) (b->per * b->workers);
	free(in);
}

int
main(int argc, char **argv)
{
	struct mutex_bench b = {
	    .n = bench_arg(argc, argv, 1, 10000000),
	    .workers = bench_arg(argc, argv, 2, 2),
	    .yield_every = argc > 3 ? bench_arg(argc, argv, 3, 0) : 0,
	};

	b.per = b.n / b.workers;
	bench_check(gocsp_run(run, &b), "gocsp_run");
	if (b.s.counter != b.per * b.workers) {
		fprintf(stderr, "bench_mutex: counter %ld, want %ld\n",
		    b.s.counter, b.per * b.workers);
		return 1;
	}
	printf("mutex ns_per_op=%.1f changes_per_kop=%.2f procs=%d "
	       "workers=%ld n=%ld\n",
	    b.ns_per_op, 1000.0 * (double) b.s.changes / (double) b.s.counter,
	    gocsp_maxprocs(0), b.workers, b.per * b.workers);
	return 0;
}
