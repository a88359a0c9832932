/*
 * pingpong: two coroutines bounce an int over two unbuffered channels.
 * Metric: ns per round trip (two hand-offs, each a park and a wake-up).
 * Twin: go/pingpong.go.  Usage: bench_pingpong [round_trips]
 */
#include "bench.h"

struct pingpong {
	long n;
	gocsp_chan *ping, *pong;
	gocsp_waitgroup wg;
	double ns_per_op;
};

/* Echo every value back until ping is closed. */
static void
ponger(void *arg)
{
	struct pingpong *pp = arg;
	long v;

	while (gocsp_chan_recv(pp->ping, &v) == 0)
		bench_check(gocsp_chan_send(pp->pong, &v), "send pong");
	gocsp_wg_done(&pp->wg);
}

static void
run(void *arg)
{
	struct pingpong *pp = arg;
	int64_t t0;
	long i, v;

	pp->ping = gocsp_chan_make(sizeof(long), 0);
	pp->pong = gocsp_chan_make(sizeof(long), 0);
	if (pp->ping == NULL || pp->pong == NULL)
		bench_check(GOCSP_ENOMEM, "gocsp_chan_make");
	gocsp_wg_add(&pp->wg, 1);
	bench_check(gocsp_go(ponger, pp), "gocsp_go");

	t0 = gocsp_now();
	for (i = 0; i < pp->n; i++) {
		bench_check(gocsp_chan_send(pp->ping, &i), "send ping");
		bench_check(gocsp_chan_recv(pp->pong, &v), "recv pong");
	}
	pp->ns_per_op = (double) (gocsp_now() - t0) / (double) pp->n;

	gocsp_chan_close(pp->ping);
	gocsp_wg_wait(&pp->wg);
	gocsp_chan_release(pp->ping);
	gocsp_chan_release(pp->pong);
}

int
main(int argc, char **argv)
{
	struct pingpong pp = {.n = bench_arg(argc, argv, 1, 1000000)};

	bench_check(gocsp_run(run, &pp), "gocsp_run");
	printf("pingpong ns_per_op=%.1f procs=%d n=%ld\n", pp.ns_per_op,
	    gocsp_maxprocs(0), pp.n);
	return 0;
}
