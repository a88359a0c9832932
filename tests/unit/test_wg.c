/*
 * WaitGroup: zero value, add/done/wait across coroutines and threads,
 * many waiters, reuse, freeing right after wait, and the abort on a
 * negative counter (in a re-run child process).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

static gocsp_waitgroup static_wg;

static void
zero_value_checks(void)
{
	gocsp_waitgroup wg = {0};
	int64_t t0 = gocsp_now();
	gocsp_wg_wait(&static_wg);
	gocsp_wg_wait(&wg);
	gocsp_wg_add(&wg, 0);
	gocsp_wg_wait(&wg);
	gocsp_wg_add(&wg, 2);
	gocsp_wg_done(&wg);
	gocsp_wg_add(&wg, -1);
	gocsp_wg_wait(&wg);
	EXPECT_LE(gt_since(t0), GT_SLACK);
}

CO_CASE(test_wg__zero_value_wait_returns)
{
	zero_value_checks();
}

static void
test_wg__zero_value_on_thread(void **state)
{
	(void) state;
	zero_value_checks();
	gt_check();
}

/* ---------------------------------------------------------------------- */

struct work {
	gocsp_waitgroup wg;
	atomic_int finished;
	atomic_int seed;
};

static void
worker_co(void *arg)
{
	struct work *w = arg;
	uint64_t s = (uint64_t) atomic_fetch_add(&w->seed, 1) + 77;
	gocsp_sleep(GOCSP_US(gt_rand(&s) % 3000));
	atomic_fetch_add(&w->finished, 1);
	gocsp_wg_done(&w->wg);
}

static void *
worker_th(void *arg)
{
	worker_co(arg);
	return NULL;
}

CO_CASE(test_wg__add_done_wait_coroutines)
{
	struct work w = {0};
	int i, n = 500;
	gocsp_wg_add(&w.wg, n);
	for (i = 0; i < n; i++)
		GO(worker_co, &w);
	gocsp_wg_wait(&w.wg);
	/* every done happened before wait returned */
	EXPECT_EQ(atomic_load(&w.finished), n);
}

/* Threads call done, a coroutine waits. */
static void
wait_in_coroutine(void *arg)
{
	struct work *w = arg;
	gocsp_wg_wait(&w->wg);
	EXPECT_EQ(atomic_load(&w->finished), 8);
}

static void
test_wg__across_threads_and_coroutines(void **state)
{
	struct work w = {0}, w2 = {0};
	pthread_t t[8];
	int i;
	(void) state;

	gocsp_wg_add(&w.wg, 8);
	for (i = 0; i < 8; i++)
		t[i] = gt_thread(worker_th, &w);
	assert_int_equal(gocsp_run(wait_in_coroutine, &w), 0);
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);

	/* Coroutines call done, this plain thread waits. */
	gocsp_wg_add(&w2.wg, 300);
	for (i = 0; i < 300; i++)
		assert_int_equal(gocsp_go(worker_co, &w2), 0);
	gocsp_wg_wait(&w2.wg);
	assert_int_equal(atomic_load(&w2.finished), 300);
	gt_check();
}

/* ---------------------------------------------------------------------- */

struct gate {
	gocsp_waitgroup gate;
	gocsp_waitgroup released_wg;
	atomic_int released;
	atomic_int waiting;
};

static void
gate_waiter(void *arg)
{
	struct gate *g = arg;
	atomic_fetch_add(&g->waiting, 1);
	gocsp_wg_wait(&g->gate);
	atomic_fetch_add(&g->released, 1);
	gocsp_wg_done(&g->released_wg);
}

static void *
gate_waiter_th(void *arg)
{
	gate_waiter(arg);
	return NULL;
}

static void
test_wg__many_waiters_released(void **state)
{
	enum { NCO = 100, NTH = 4 };
	struct gate g = {0};
	pthread_t t[NTH];
	int64_t t0;
	int i;
	(void) state;

	gocsp_wg_add(&g.gate, 1);
	gocsp_wg_add(&g.released_wg, NCO + NTH);
	for (i = 0; i < NCO; i++)
		assert_int_equal(gocsp_go(gate_waiter, &g), 0);
	for (i = 0; i < NTH; i++)
		t[i] = gt_thread(gate_waiter_th, &g);
	t0 = gocsp_now();
	while (atomic_load(&g.waiting) < NCO + NTH &&
	    gt_since(t0) < GOCSP_SEC(10))
		gocsp_sleep(GOCSP_MS(1));
	gocsp_sleep(GOCSP_MS(20));
	assert_int_equal(atomic_load(&g.released), 0);
	gocsp_wg_done(&g.gate);
	gocsp_wg_wait(&g.released_wg);
	assert_int_equal(atomic_load(&g.released), NCO + NTH);
	for (i = 0; i < NTH; i++)
		pthread_join(t[i], NULL);
	gt_check();
}

/* ---------------------------------------------------------------------- */

CO_CASE(test_wg__reuse_after_wait)
{
	struct work w = {0};
	int round, i, total = 0;
	for (round = 1; round <= 50; round++) {
		int k = 1 + round % 7;
		gocsp_wg_add(&w.wg, k);
		for (i = 0; i < k; i++)
			GO(worker_co, &w);
		total += k;
		gocsp_wg_wait(&w.wg);
		EXPECT_EQ(atomic_load(&w.finished), total);
	}
}

/* ---------------------------------------------------------------------- */

/* The waitgroup is freed as soon as wait returns (ASan: use after free). */
static void
done_and_go(void *arg)
{
	gocsp_wg_done(arg);
}

static void *
done_and_go_th(void *arg)
{
	gocsp_wg_done(arg);
	return NULL;
}

CO_CASE(test_wg__free_right_after_wait)
{
	int i, n = (int) gt_n(5000, 1000);
	for (i = 0; i < n; i++) {
		gocsp_waitgroup *wg = calloc(1, sizeof *wg);
		int k = 1 + i % 3;
		int j;
		gocsp_wg_add(wg, k);
		for (j = 0; j < k; j++)
			GO(done_and_go, wg);
		if (i % 2)
			gocsp_yield();
		gocsp_wg_wait(wg);
		free(wg);
	}
}

static void
test_wg__free_right_after_wait_thread(void **state)
{
	int i, n = (int) gt_n(300, 100);
	(void) state;
	for (i = 0; i < n; i++) {
		gocsp_waitgroup *wg = calloc(1, sizeof *wg);
		pthread_t t;
		gocsp_wg_add(wg, 2);
		t = gt_thread(done_and_go_th, wg);
		assert_int_equal(gocsp_go(done_and_go, wg), 0);
		gocsp_wg_wait(wg);
		free(wg);
		pthread_join(t, NULL);
	}
	gt_check();
}

/* ---------------------------------------------------------------------- */

static void
neg_in_coroutine(void *arg)
{
	gocsp_waitgroup wg = {0};
	(void) arg;
	gocsp_wg_add(&wg, 1);
	gocsp_wg_done(&wg);
	gocsp_wg_done(&wg); /* aborts */
}

static int
child_main(const char *mode, char **args)
{
	gocsp_waitgroup wg = {0};
	alarm(30);
	if (strcmp(mode, "neg-add-thread") == 0) {
		gocsp_wg_add(&wg, 2);
		gocsp_wg_add(&wg, -3); /* aborts */
	} else if (strcmp(mode, "neg-done-coroutine") == 0) {
		gocsp_run(neg_in_coroutine, NULL);
	} else {
		return 2;
	}
	return 5;
}

static void
test_wg__negative_counter_aborts(void **state)
{
	(void) state;
	gt_expect_abort("neg-add-thread", "gocsp_wg_");
	gt_expect_abort("neg-done-coroutine", "gocsp_wg_");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_wg__zero_value_wait_returns),
	    GT_CASE(test_wg__zero_value_on_thread),
	    GT_CASE(test_wg__add_done_wait_coroutines),
	    GT_CASE(test_wg__across_threads_and_coroutines),
	    GT_CASE(test_wg__many_waiters_released),
	    GT_CASE(test_wg__reuse_after_wait),
	    GT_CASE(test_wg__free_right_after_wait),
	    GT_CASE(test_wg__free_right_after_wait_thread),
	    GT_CASE(test_wg__negative_counter_aborts),
	};
	return GT_MAIN_WITH_CHILD(tests, argc, argv, child_main);
}
