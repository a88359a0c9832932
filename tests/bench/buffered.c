/*
 * buffered: P producers and C consumers (4 and 4 by default) share one
 * channel with a buffer of 1024.  Metric: ns per item, from the first
 * spawn until every consumer has seen the close.  Twin: go/buffered.go.
 * Usage: bench_buffered [items [producers [consumers]]]
 */
#include "bench.h"

#define MAX_SIDE 64
#define CAP 1024

struct buffered {
	long per_producer, nprod, ncons;
	gocsp_chan *c;
	gocsp_waitgroup producers, consumers;
	long received[MAX_SIDE];
	double ns_per_op;
};

struct consumer {
	struct buffered *b;
	int k;
};

static void
produce(void *arg)
{
	struct buffered *b = arg;
	long i;

	for (i = 0; i < b->per_producer; i++)
		bench_check(gocsp_chan_send(b->c, &i), "send");
	gocsp_wg_done(&b->producers);
}

static void
consume(void *arg)
{
	struct consumer *cons = arg;
	long v, n = 0;

	while (gocsp_chan_recv(cons->b->c, &v) == 0)
		n++;
	cons->b->received[cons->k] = n;
	gocsp_wg_done(&cons->b->consumers);
}

static void
run(void *arg)
{
	struct buffered *b = arg;
	struct consumer cons[MAX_SIDE];
	long total = 0;
	int64_t t0;
	int k;

	b->c = gocsp_chan_make(sizeof(long), CAP);
	if (b->c == NULL)
		bench_check(GOCSP_ENOMEM, "gocsp_chan_make");

	t0 = gocsp_now();
	gocsp_wg_add(&b->consumers, (int) b->ncons);
	for (k = 0; k < b->ncons; k++) {
		cons[k] = (struct consumer){.b = b, .k = k};
		bench_check(gocsp_go(consume, &cons[k]), "gocsp_go");
	}
	gocsp_wg_add(&b->producers, (int) b->nprod);
	for (k = 0; k < b->nprod; k++)
		bench_check(gocsp_go(produce, b), "gocsp_go");
	gocsp_wg_wait(&b->producers);
	bench_check(gocsp_chan_close(b->c), "gocsp_chan_close");
	gocsp_wg_wait(&b->consumers);
	b->ns_per_op = (double) (gocsp_now() - t0) /
	    (double) (b->per_producer * b->nprod);

	for (k = 0; k < b->ncons; k++)
		total += b->received[k];
	if (total != b->per_producer * b->nprod) {
		fprintf(stderr, "buffered: received %ld of %ld items\n", total,
		    b->per_producer * b->nprod);
		exit(1);
	}
	gocsp_chan_release(b->c);
}

int
main(int argc, char **argv)
{
	struct buffered b = {.nprod = bench_arg(argc, argv, 2, 4),
	    .ncons = bench_arg(argc, argv, 3, 4)};

	if (b.nprod > MAX_SIDE || b.ncons > MAX_SIDE) {
		fprintf(stderr,
		    "buffered: at most %d producers and consumers\n",
		    MAX_SIDE);
		return 2;
	}
	b.per_producer = bench_arg(argc, argv, 1, 4000000) / b.nprod;
	bench_check(gocsp_run(run, &b), "gocsp_run");
	printf("buffered ns_per_op=%.1f procs=%d producers=%ld consumers=%ld "
	       "n=%ld\n",
	    b.ns_per_op, gocsp_maxprocs(0), b.nprod, b.ncons,
	    b.per_producer * b.nprod);
	return 0;
}
