/*
 * primes: count the primes in 1..N by trial division, with a pool of
 * worker coroutines fed jobs of 1000 numbers from a channel; each job's
 * count comes back on a results channel.  CPU-bound: run at procs 1 and 2,
 * run.sh reports the speedup.  Metric: ms.  Twin: go/primes.go.
 * Usage: bench_primes [n [workers]]
 */
#include <stdbool.h>

#include "bench.h"

#define JOB_SIZE 1000

struct job {
	uint32_t lo, hi; /* [lo, hi) */
};

struct primes {
	long n, workers;
	gocsp_chan *jobs, *results;
	gocsp_waitgroup wg;
	long count;
	double ms;
};

static bool
is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

static void
worker(void *arg)
{
	struct primes *p = arg;
	struct job j;
	uint32_t i;
	long count;

	while (gocsp_chan_recv(p->jobs, &j) == 0) {
		count = 0;
		for (i = j.lo; i < j.hi; i++)
			count += is_prime(i);
		bench_check(gocsp_chan_send(p->results, &count), "send");
	}
	gocsp_wg_done(&p->wg);
}

/* Hand out the jobs, then close the channel so the workers stop. */
static void
feed(void *arg)
{
	struct primes *p = arg;
	struct job j;
	long lo, hi;

	for (lo = 1; lo <= p->n; lo = hi) {
		hi = lo + JOB_SIZE <= p->n + 1 ? lo + JOB_SIZE : p->n + 1;
		j = (struct job){.lo = (uint32_t) lo, .hi = (uint32_t) hi};
		bench_check(gocsp_chan_send(p->jobs, &j), "send");
	}
	gocsp_chan_close(p->jobs);
}

static void
run(void *arg)
{
	struct primes *p = arg;
	long njobs = (p->n + JOB_SIZE - 1) / JOB_SIZE, k, count;
	int64_t t0;

	p->jobs = gocsp_chan_make(sizeof(struct job), 64);
	p->results = gocsp_chan_make(sizeof(long), 64);
	if (p->jobs == NULL || p->results == NULL)
		bench_check(GOCSP_ENOMEM, "gocsp_chan_make");

	t0 = gocsp_now();
	gocsp_wg_add(&p->wg, (int) p->workers);
	for (k = 0; k < p->workers; k++)
		bench_check(gocsp_go(worker, p), "gocsp_go");
	bench_check(gocsp_go(feed, p), "gocsp_go");
	for (k = 0; k < njobs; k++) {
		bench_check(gocsp_chan_recv(p->results, &count), "recv");
		p->count += count;
	}
	p->ms = (double) (gocsp_now() - t0) / 1e6;

	gocsp_wg_wait(&p->wg);
	gocsp_chan_release(p->jobs);
	gocsp_chan_release(p->results);
}

int
main(int argc, char **argv)
{
	struct primes p = {.n = bench_arg(argc, argv, 1, 5000000),
	    .workers = bench_arg(argc, argv, 2, 4)};

	if (p.n > UINT32_MAX - JOB_SIZE || p.workers > 100000) {
		fprintf(stderr, "primes: n or workers too large\n");
		return 2;
	}
	bench_check(gocsp_run(run, &p), "gocsp_run");
	printf("primes ms=%.1f procs=%d n=%ld workers=%ld count=%ld\n", p.ms,
	    gocsp_maxprocs(0), p.n, p.workers, p.count);
	return 0;
}
