/*
 * sieve: the concurrent prime sieve, a daisy chain of filter coroutines
 * (one per prime found) fed by a generator of 2, 3, 4, ...
 * Metric: ms to produce the first N primes.  Twin: go/sieve.go, which is
 * the sieve from the Go documentation.  Usage: bench_sieve [n]
 *
 * Unlike the Go program, which exits with the chain still blocked, this one
 * tears the chain down after the measurement so that nothing is abandoned:
 * closing the last channel makes the last filter's send fail, that filter
 * closes its own input, and so on up to the generator.
 */
#include "bench.h"

struct stage {
	gocsp_chan *in, *out; /* out is NULL for the generator */
	int prime;
	gocsp_waitgroup *wg;
};

static void
generate(void *arg)
{
	struct stage *st = arg;
	int i;

	for (i = 2; gocsp_chan_send(st->in, &i) == 0; i++)
		;
	gocsp_wg_done(st->wg);
}

/* Pass on the values from in that the prime does not divide. */
static void
filter(void *arg)
{
	struct stage *st = arg;
	int i;

	while (gocsp_chan_recv(st->in, &i) == 0) {
		if (i % st->prime != 0 && gocsp_chan_send(st->out, &i) != 0)
			break;
	}
	gocsp_chan_close(st->in);
	gocsp_wg_done(st->wg);
}

struct sieve {
	long n;
	double ms;
};

static void
run(void *arg)
{
	struct sieve *sv = arg;
	gocsp_waitgroup wg = {0};
	/* stages[0] is the generator, stages[k] the filter of the k-th prime;
	 * chans[k] is the output of stages[k]. */
	struct stage *stages = calloc((size_t) sv->n + 1, sizeof(*stages));
	gocsp_chan **chans = calloc((size_t) sv->n + 1, sizeof(*chans));
	int64_t t0;
	long k;
	int prime;

	if (stages == NULL || chans == NULL)
		bench_check(GOCSP_ENOMEM, "calloc");

	t0 = gocsp_now();
	chans[0] = gocsp_chan_make(sizeof(int), 0);
	if (chans[0] == NULL)
		bench_check(GOCSP_ENOMEM, "gocsp_chan_make");
	stages[0] = (struct stage){.in = chans[0], .wg = &wg};
	gocsp_wg_add(&wg, 1);
	bench_check(gocsp_go(generate, &stages[0]), "gocsp_go");
	for (k = 1; k <= sv->n; k++) {
		bench_check(gocsp_chan_recv(chans[k - 1], &prime), "recv");
		chans[k] = gocsp_chan_make(sizeof(int), 0);
		if (chans[k] == NULL)
			bench_check(GOCSP_ENOMEM, "gocsp_chan_make");
		stages[k] = (struct stage){.in = chans[k - 1],
		    .out = chans[k],
		    .prime = prime,
		    .wg = &wg};
		gocsp_wg_add(&wg, 1);
		bench_check(gocsp_go(filter, &stages[k]), "gocsp_go");
	}
	sv->ms = (double) (gocsp_now() - t0) / 1e6;

	gocsp_chan_close(chans[sv->n]);
	gocsp_wg_wait(&wg);
	for (k = 0; k <= sv->n; k++)
		gocsp_chan_release(chans[k]);
	free(chans);
	free(stages);
}

int
main(int argc, char **argv)
{
	struct sieve sv = {.n = bench_arg(argc, argv, 1, 2000)};

	bench_check(gocsp_run(run, &sv), "gocsp_run");
	printf("sieve ms=%.1f procs=%d n=%ld\n", sv.ms, gocsp_maxprocs(0),
	    sv.n);
	return 0;
}
