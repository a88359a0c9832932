/*
 * Once: many callers, coroutines and plain threads, race; fn runs
 * once and every caller returns only after it finished.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define GT_CASE_SECONDS 20
#include "gocsp_test.h"

enum { ONCE_NTH = 8, ONCE_NCO = 100 };

struct once {
	gocsp_once once;
	atomic_int calls;
	int value; /* written by fn only, read by every caller after do */
	atomic_int ready, start, bad;
	gocsp_waitgroup wg;
};

static void
once_fn(void *arg)
{
	struct once *o = arg;
	atomic_fetch_add(&o->calls, 1);
	/* Take a while, so that others arrive while it runs. */
	gocsp_sleep(GOCSP_MS(5));
	o->value = 42;
}

static void
once_caller(struct once *o)
{
	atomic_fetch_add(&o->ready, 1);
	while (!atomic_load(&o->start))
		gocsp_yield();
	gocsp_once_do(&o->once, once_fn, o);
	if (o->value != 42)
		atomic_fetch_add(&o->bad, 1);
	gocsp_once_do(&o->once, once_fn, o); /* no second call */
}

static void
once_co(void *arg)
{
	once_caller(arg);
	gocsp_wg_done(&((struct once *) arg)->wg);
}

static void *
once_th(void *arg)
{
	once_caller(arg);
	return NULL;
}

static void
once_main(void *arg)
{
	struct once *o = arg;
	int i;
	gocsp_wg_add(&o->wg, ONCE_NCO);
	for (i = 0; i < ONCE_NCO; i++)
		GO(once_co, o);
	EXPECT(gt_wait_for(&o->ready, ONCE_NCO + ONCE_NTH, GOCSP_SEC(5)));
	atomic_store(&o->start, 1);
	gocsp_wg_wait(&o->wg);
}

static void
test_once__races(void **state)
{
	int prev = gt_two_workers(), round, rounds = (int) gt_n(10, 3), i;
	(void) state;
	for (round = 0; round < rounds; round++) {
		struct once *o = calloc(1, sizeof(*o));
		pthread_t t[ONCE_NTH];
		assert_non_null(o);
		for (i = 0; i < ONCE_NTH; i++)
			t[i] = gt_thread(once_th, o);
		gt_run(once_main, o);
		for (i = 0; i < ONCE_NTH; i++)
			pthread_join(t[i], NULL);
		assert_int_equal(atomic_load(&o->calls), 1);
		assert_int_equal(atomic_load(&o->bad), 0);
		free(o);
	}
	gocsp_maxprocs(prev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_once__races),
	};
	return GT_RUN_CASES(tests);
}
