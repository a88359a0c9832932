/*
 * select4: 4 producer coroutines each send on their own unbuffered channel;
 * one consumer receives with a select over the 4.
 * Metric: ns per item received.  Twin: go/select4.go.
 * Usage: bench_select4 [items]
 */
#include "bench.h"

#define NPROD 4

struct select4 {
	long per_producer;
	gocsp_chan *chans[NPROD];
	gocsp_waitgroup wg;
	double ns_per_op;
};

struct producer {
	struct select4 *s;
	gocsp_chan *c;
};

static void
produce(void *arg)
{
	struct producer *p = arg;
	long i;

	for (i = 0; i < p->s->per_producer; i++)
		bench_check(gocsp_chan_send(p->c, &i), "send");
	gocsp_wg_done(&p->s->wg);
}

static void
run(void *arg)
{
	struct select4 *s = arg;
	struct producer prod[NPROD];
	gocsp_case cases[NPROD];
	long i, v, total = s->per_producer * NPROD;
	int64_t t0;
	int k;

	for (k = 0; k < NPROD; k++) {
		s->chans[k] = gocsp_chan_make(sizeof(long), 0);
		if (s->chans[k] == NULL)
			bench_check(GOCSP_ENOMEM, "gocsp_chan_make");
		cases[k] = (gocsp_case){.chan = s->chans[k],
		    .op = GOCSP_RECV,
		    .elem = &v};
		prod[k] = (struct producer){.s = s, .c = s->chans[k]};
	}

	t0 = gocsp_now();
	gocsp_wg_add(&s->wg, NPROD);
	for (k = 0; k < NPROD; k++)
		bench_check(gocsp_go(produce, &prod[k]), "gocsp_go");
	for (i = 0; i < total; i++)
		bench_check(gocsp_select(cases, NPROD, GOCSP_FOREVER),
		    "gocsp_select");
	s->ns_per_op = (double) (gocsp_now() - t0) / (double) total;

	/* Every producer has sent its last item; wait until they return. */
	gocsp_wg_wait(&s->wg);
	for (k = 0; k < NPROD; k++)
		gocsp_chan_release(s->chans[k]);
}

int
main(int argc, char **argv)
{
	struct select4 s = {
	    .per_producer = bench_arg(argc, argv, 1, 1000000) / NPROD};

	bench_check(gocsp_run(run, &s), "gocsp_run");
	printf("select4 ns_per_op=%.1f procs=%d n=%ld\n", s.ns_per_op,
	    gocsp_maxprocs(0), s.per_producer * NPROD);
	return 0;
}
