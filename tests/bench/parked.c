/*
 * parked: N coroutines each block receiving on one shared channel.
 * Metrics: resident memory per parked coroutine (the /proc/self/statm RSS
 * once all are parked, minus the RSS before spawning, over N), the time to
 * spawn them until all are parked, and the time to wake and join them all
 * after the channel is closed.  Twin: go/parked.go.
 * Usage: bench_parked [n]
 */
#include <stdatomic.h>

#include "bench.h"

struct parked {
	long n;
	gocsp_chan *c;
	atomic_long ready;
	gocsp_waitgroup wg;
	int64_t rss_per, spawn_ns, join_ns;
};

static void
parker(void *arg)
{
	struct parked *p = arg;

	/* Counted before it blocks: run() waits a little after the count
	 * is complete so that the last few have really parked. */
	atomic_fetch_add(&p->ready, 1);
	if (gocsp_chan_recv(p->c, NULL) != GOCSP_ECLOSED) {
		fprintf(stderr, "parked: woken without the close\n");
		exit(1);
	}
	gocsp_wg_done(&p->wg);
}

static void
run(void *arg)
{
	struct parked *p = arg;
	int64_t rss0, t0;
	long i;

	p->c = gocsp_chan_make(0, 0);
	if (p->c == NULL)
		bench_check(GOCSP_ENOMEM, "gocsp_chan_make");
	rss0 = bench_rss_bytes();

	t0 = gocsp_now();
	gocsp_wg_add(&p->wg, (int) p->n);
	for (i = 0; i < p->n; i++)
		bench_check(gocsp_go(parker, p), "gocsp_go");
	while (atomic_load(&p->ready) < p->n)
		gocsp_sleep(GOCSP_MS(1));
	p->spawn_ns = gocsp_now() - t0;
	gocsp_sleep(GOCSP_MS(20));
	p->rss_per = (bench_rss_bytes() - rss0) / p->n;

	t0 = gocsp_now();
	bench_check(gocsp_chan_close(p->c), "gocsp_chan_close");
	gocsp_wg_wait(&p->wg);
	p->join_ns = gocsp_now() - t0;
	gocsp_chan_release(p->c);
}

int
main(int argc, char **argv)
{
	struct parked p = {.n = bench_arg(argc, argv, 1, 1000000)};

	if (p.n > INT32_MAX) {
		fprintf(stderr, "parked: n is at most INT32_MAX\n");
		return 2;
	}
	bench_check(gocsp_run(run, &p), "gocsp_run");
	printf("parked rss_bytes_per=%lld spawn_ms=%.1f join_ms=%.1f procs=%d "
	       "n=%ld\n",
	    (long long) p.rss_per, (double) p.spawn_ns / 1e6,
	    (double) p.join_ns / 1e6, gocsp_maxprocs(0), p.n);
	return 0;
}
