/*
 * spawn: start N coroutines that each only call gocsp_wg_done, then wait
 * for them all.  Repeated for a few rounds; metric: the median round's ns
 * per coroutine.  Twin: go/spawn.go.  Usage: bench_spawn [n [rounds]]
 */
#include "bench.h"

#define MAX_ROUNDS 64

struct spawn {
	long n, rounds;
	int64_t elapsed[MAX_ROUNDS];
};

static void
child(void *arg)
{
	gocsp_wg_done(arg);
}

static void
run(void *arg)
{
	struct spawn *s = arg;
	gocsp_waitgroup wg = {0};
	long r, i;
	int64_t t0;

	for (r = 0; r < s->rounds; r++) {
		t0 = gocsp_now();
		gocsp_wg_add(&wg, (int) s->n);
		for (i = 0; i < s->n; i++)
			bench_check(gocsp_go(child, &wg), "gocsp_go");
		gocsp_wg_wait(&wg);
		s->elapsed[r] = gocsp_now() - t0;
	}
}

int
main(int argc, char **argv)
{
	struct spawn s = {.n = bench_arg(argc, argv, 1, 1000000),
	    .rounds = bench_arg(argc, argv, 2, 3)};

	if (s.rounds > MAX_ROUNDS || s.n > INT32_MAX) {
		fprintf(stderr, "spawn: at most %d rounds of INT32_MAX\n",
		    MAX_ROUNDS);
		return 2;
	}
	bench_check(gocsp_run(run, &s), "gocsp_run");
	printf("spawn ns_per_op=%.1f procs=%d n=%ld rounds=%ld\n",
	    bench_median(s.elapsed, (size_t) s.rounds) / (double) s.n,
	    gocsp_maxprocs(0), s.n, s.rounds);
	return 0;
}
