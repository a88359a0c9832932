/*
 * semwake: the cost of a wake through the semaphore table while many
 * other coroutines are blocked in it.  N coroutines block at once, half
 * each on a WaitGroup of its own, half each on a Mutex of its own; then
 * two coroutines wake each other through two WaitGroups, R round trips.
 * Metric: ns per wake (a round trip is two).  A wake that searched past
 * the other waiters would grow with N; run it with N = 10 and 100,000.
 * Twin: go/semwake.go.  Usage: bench_semwake [blocked [round_trips]]
 */
#include <stdatomic.h>

#include "bench.h"

struct semwake {
	long blocked, rounds;
	gocsp_waitgroup *wgs; /* blocked / 2 + 1 */
	gocsp_mutex *mus;     /* blocked / 2 + 1 */
	atomic_long nblocked;
	gocsp_waitgroup woken; /* the blocked ones, once released */
	gocsp_waitgroup ping, pong;
	double ns_per_op;
};

struct blocker {
	struct semwake *b;
	long i;
};

static void
block(void *arg)
{
	struct blocker *k = arg;
	struct semwake *b = k->b;

	atomic_fetch_add(&b->nblocked, 1);
	if (k->i % 2 == 0) {
		gocsp_wg_wait(&b->wgs[k->i / 2]);
	} else {
		gocsp_mutex_lock(&b->mus[k->i / 2]);
		gocsp_mutex_unlock(&b->mus[k->i / 2]);
	}
	gocsp_wg_done(&b->woken);
}

/* Waits for each ping, re-arms it, answers with a pong. */
static void
partner(void *arg)
{
	struct semwake *b = arg;
	long i;

	for (i = 0; i < b->rounds; i++) {
		gocsp_wg_wait(&b->ping);
		gocsp_wg_add(&b->ping, 1);
		gocsp_wg_done(&b->pong);
	}
}

static void
run(void *arg)
{
	struct semwake *b = arg;
	struct blocker *k = calloc((size_t) b->blocked, sizeof(*k));
	int64_t t0;
	long i;

	if (k == NULL)
		bench_check(GOCSP_ENOMEM, "calloc");
	gocsp_wg_add(&b->woken, (int) b->blocked);
	for (i = 0; i < b->blocked; i++) {
		k[i] = (struct blocker){.b = b, .i = i};
		if (i % 2 == 0)
			gocsp_wg_add(&b->wgs[i / 2], 1);
		else
			gocsp_mutex_lock(&b->mus[i / 2]);
		bench_check(gocsp_go(block, &k[i]), "gocsp_go");
	}
	while (atomic_load(&b->nblocked) < b->blocked)
		gocsp_sleep(GOCSP_MS(1));
	gocsp_sleep(GOCSP_MS(20)); /* the last few from counted to queued */

	gocsp_wg_add(&b->ping, 1);
	bench_check(gocsp_go(partner, b), "gocsp_go");
	t0 = gocsp_now();
	for (i = 0; i < b->rounds; i++) {
		gocsp_wg_add(&b->pong, 1);
		gocsp_wg_done(&b->ping);
		gocsp_wg_wait(&b->pong);
	}
	b->ns_per_op = (double) (gocsp_now() - t0) / (double) (2 * b->rounds);

	for (i = 0; i < b->blocked; i++) {
		if (i % 2 == 0)
			gocsp_wg_done(&b->wgs[i / 2]);
		else
			gocsp_mutex_unlock(&b->mus[i / 2]);
	}
	gocsp_wg_wait(&b->woken);
	free(k);
}

int
main(int argc, char **argv)
{
	struct semwake b = {.blocked = bench_arg(argc, argv, 1, 100000),
	    .rounds = bench_arg(argc, argv, 2, 1000000)};

	if (b.blocked > INT32_MAX) {
		fprintf(stderr, "semwake: at most INT32_MAX blocked\n");
		return 2;
	}
	b.wgs = calloc((size_t) b.blocked / 2 + 1, sizeof(*b.wgs));
	b.mus = calloc((size_t) b.blocked / 2 + 1, sizeof(*b.mus));
	if (b.wgs == NULL || b.mus == NULL)
		bench_check(GOCSP_ENOMEM, "calloc");
	bench_check(gocsp_run(run, &b), "gocsp_run");
	printf("semwake ns_per_op=%.1f procs=%d blocked=%ld rounds=%ld\n",
	    b.ns_per_op, gocsp_maxprocs(0), b.blocked, b.rounds);
	free(b.mus);
	free(b.wgs);
	return 0;
}
