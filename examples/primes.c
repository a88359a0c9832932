/*
 * primes: count the primes in 1..N with a pool of worker coroutines.
 *
 * The worker-pool shape: a feeder coroutine cuts 1..N into jobs (ranges of
 * JOB_SIZE numbers) and sends them on a jobs channel; WORKERS coroutines
 * take jobs from it and send each job's count on a results channel; main
 * adds the counts up.  Nobody assigns a job to a particular worker: a free
 * worker takes the next one, so the channel balances the load by itself
 * (jobs near N cost more than jobs near 1, and it does not matter).
 *
 * The work is pure CPU (trial division), so it shows whether coroutines
 * really run in parallel: with GOCSP_MAXPROCS=2 two workers compute at the
 * same time and the time should nearly halve on two CPUs.
 *
 * usage: primes [N [WORKERS]]          (defaults 5000000 and 4)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <gocsp/gocsp.h>

#define JOB_SIZE 1000

struct job {
	uint32_t lo, hi; /* count the primes in [lo, hi) */
};

struct pool {
	long            n, workers;
	gocsp_chan     *jobs;    /* struct job; closed by the feeder */
	gocsp_chan     *results; /* long; closed once every worker is done */
	gocsp_waitgroup working; /* the workers still running */
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

/* Cut 1..N into jobs; closing the channel then tells the workers to stop,
 * once they have taken every job already sent. */
static void
feed(void *arg)
{
	struct pool *p = arg;
	struct job   j;
	long         lo, hi;

	for (lo = 1; lo <= p->n; lo = hi) {
		hi = lo + JOB_SIZE <= p->n + 1 ? lo + JOB_SIZE : p->n + 1;
		j  = (struct job) { .lo = (uint32_t) lo, .hi = (uint32_t) hi };
		gocsp_chan_send(p->jobs, &j);
	}
	gocsp_chan_close(p->jobs);
}

static void
worker(void *arg)
{
	struct pool *p = arg;
	struct job   j;
	uint32_t     i;
	long         count;

	/* Receive fails only once jobs is closed and drained. */
	while (gocsp_chan_recv(p->jobs, &j) == 0) {
		count = 0;
		for (i = j.lo; i < j.hi; i++)
			count += is_prime(i);
		gocsp_chan_send(p->results, &count);
	}
	gocsp_wg_done(&p->working);
}

/* Close results after the last worker's last send, so that main's loop
 * ends.  The workers cannot do it themselves: none knows it is the last. */
static void
close_when_done(void *arg)
{
	struct pool *p = arg;

	gocsp_wg_wait(&p->working);
	gocsp_chan_close(p->results);
}

static void
count_primes(void *arg)
{
	struct pool *p = arg;
	long         count, total = 0, k;
	int64_t      start = gocsp_now();

	/* A small buffer lets the feeder stay a job or two ahead of the
	 * workers, and the workers hand in results without waiting for
	 * main; a longer queue would buy nothing. */
	p->jobs    = gocsp_chan_make(sizeof(struct job), (size_t) p->workers);
	p->results = gocsp_chan_make(sizeof(long), (size_t) p->workers);
	if (p->jobs == NULL || p->results == NULL) {
		fprintf(stderr, "primes: out of memory\n");
		exit(1);
	}

	gocsp_wg_add(&p->working, (int) p->workers);
	for (k = 0; k < p->workers; k++) {
		if (gocsp_go(worker, p) < 0) {
			fprintf(stderr, "primes: cannot start a worker\n");
			exit(1);
		}
	}
	if (gocsp_go(feed, p) < 0 || gocsp_go(close_when_done, p) < 0) {
		fprintf(stderr, "primes: cannot start the feeder\n");
		exit(1);
	}

	while (gocsp_chan_recv(p->results, &count) == 0)
		total += count;

	printf("%ld primes in 1..%ld, %.1f ms (%ld workers, "
	       "GOCSP_MAXPROCS=%d)\n",
	    total, p->n, (double) (gocsp_now() - start) / 1e6, p->workers,
	    gocsp_maxprocs(0));

	/* results is closed: every worker has stopped, and the feeder's
	 * last use of jobs was closing it.  Nobody needs the channels now. */
	gocsp_chan_release(p->jobs);
	gocsp_chan_release(p->results);
}

int
main(int argc, char **argv)
{
	struct pool p = {
		.n       = argc > 1 ? atol(argv[1]) : 5000000,
		.workers = argc > 2 ? atol(argv[2]) : 4,
	};
	int rc;

	if (p.n <= 0 || p.n > UINT32_MAX - JOB_SIZE || p.workers <= 0 ||
	    p.workers > 100000) {
		fprintf(stderr, "usage: primes [N [WORKERS]]\n");
		return 2;
	}
	rc = gocsp_run(count_primes, &p);
	if (rc < 0) {
		fprintf(stderr, "primes: %s\n", gocsp_strerror(rc));
		return 1;
	}
	return 0;
}
