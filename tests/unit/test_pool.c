/*
 * Pool: a get after a put returns the cached object; the caches are
 * bounded and destroy frees what they hold; concurrent get/put from
 * coroutines on two workers and threads.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define GT_CASE_SECONDS 20
#include "gocsp_test.h"

/* Bounds of the pool's caches, from libgocsp/src/pool.c. */
#define POOL_CACHE_MAX 64 /* per P, plus one private slot */
#define POOL_SHARED_MAX 1024

struct obj {
	atomic_int in_use; /* 1 while a caller holds it */
	atomic_int freed;
};

struct pstats {
	atomic_long made, freed, bad;
};

static void *
obj_new(void *udata)
{
	struct pstats *s = udata;
	struct obj *o = calloc(1, sizeof(*o));
	if (o != NULL)
		atomic_fetch_add(&s->made, 1);
	return o;
}

static void
obj_free(void *obj, void *udata)
{
	struct pstats *s = udata;
	struct obj *o = obj;
	if (atomic_exchange(&o->freed, 1) != 0 || atomic_load(&o->in_use) != 0)
		atomic_fetch_add(&s->bad, 1);
	atomic_fetch_add(&s->freed, 1);
	free(o);
}

static void
get_after_put(gocsp_pool *p, struct pstats *s)
{
	void *a = gocsp_pool_get(p), *b;
	long made = atomic_load(&s->made);
	EXPECT(a != NULL);
	gocsp_pool_put(p, a);
	b = gocsp_pool_get(p);
	EXPECT(b == a);
	EXPECT_EQ(atomic_load(&s->made), made);
	gocsp_pool_put(p, b);
	gocsp_pool_put(p, NULL); /* ignored */
}

struct pool_case {
	gocsp_pool pool;
	struct pstats s;
};

static void
get_after_put_co(void *arg)
{
	struct pool_case *c = arg;
	get_after_put(&c->pool, &c->s);
}

static void
test_pool__get_after_put(void **state)
{
	struct pool_case c = {0};
	gocsp_pool none = {0};
	(void) state;
	gocsp_pool_init(&c.pool, obj_new, obj_free, &c.s);
	get_after_put(&c.pool, &c.s); /* plain thread */
	gt_run(get_after_put_co, &c); /* coroutine */
	gocsp_pool_destroy(&c.pool);
	assert_int_equal(atomic_load(&c.s.bad), 0);
	assert_int_equal(atomic_load(&c.s.freed), atomic_load(&c.s.made));
	assert_true(atomic_load(&c.s.made) >= 1);
	assert_true(atomic_load(&c.s.made) <= 2);

	/* No new_fn: NULL from an empty pool; free() for the rest. */
	gocsp_pool_init(&none, NULL, NULL, NULL);
	assert_null(gocsp_pool_get(&none));
	gocsp_pool_put(&none, malloc(16));
	void *x = gocsp_pool_get(&none);
	assert_non_null(x);
	gocsp_pool_put(&none, x);
	gocsp_pool_put(&none, malloc(16));
	gocsp_pool_destroy(&none); /* ASan: no leak */
	gocsp_pool_destroy(&none); /* twice is harmless */
}

/* Bounded: beyond the caches, put disposes of objects; destroy frees the
 * rest.  Each object is freed exactly once. */
struct bound {
	gocsp_pool pool;
	struct pstats s;
	long n;
	long freed_before_destroy;
};

static void
bound_put_co(void *arg)
{
	struct bound *b = arg;
	struct obj **v = calloc((size_t) b->n, sizeof(*v));
	long i;
	EXPECT(v != NULL);
	for (i = 0; i < b->n; i++)
		v[i] = gocsp_pool_get(&b->pool); /* all new: empty pool */
	EXPECT_EQ(atomic_load(&b->s.made), b->n);
	/* No blocking call from here: one P throughout. */
	for (i = 0; i < b->n; i++)
		gocsp_pool_put(&b->pool, v[i]);
	b->freed_before_destroy = atomic_load(&b->s.freed);
	free(v);
}

static void
test_pool__bounded_and_destroy(void **state)
{
	struct bound t = {0}, c = {0};
	long i, n = 3000;
	(void) state;

	/* A plain thread: the shared stack only. */
	gocsp_pool_init(&t.pool, obj_new, obj_free, &t.s);
	for (i = 0; i < n; i++)
		gocsp_pool_put(&t.pool, obj_new(&t.s));
	assert_int_equal(atomic_load(&t.s.freed), n - POOL_SHARED_MAX);
	for (i = 0; i < POOL_SHARED_MAX; i++) {
		void *o = gocsp_pool_get(&t.pool);
		gocsp_pool_put(&t.pool, o);
	}
	assert_int_equal(atomic_load(&t.s.made), n); /* all were cached */
	gocsp_pool_destroy(&t.pool);
	assert_int_equal(atomic_load(&t.s.freed), n);
	assert_int_equal(atomic_load(&t.s.bad), 0);

	/* A coroutine: its P's cache, then the shared stack. */
	gocsp_pool_init(&c.pool, obj_new, obj_free, &c.s);
	c.n = n;
	gt_run(bound_put_co, &c);
	assert_true(c.freed_before_destroy >=
	    n - (POOL_SHARED_MAX + POOL_CACHE_MAX + 1));
	assert_true(c.freed_before_destroy <= n - POOL_SHARED_MAX);
	gocsp_pool_destroy(&c.pool);
	assert_int_equal(atomic_load(&c.s.freed), n);
	assert_int_equal(atomic_load(&c.s.bad), 0);
}

/* Concurrent get/put from coroutines on two workers and threads: no
 * object is ever handed to two callers at once; every object made is
 * freed once.  GOMAXPROCS grows in the middle. */
struct churn {
	gocsp_pool pool;
	struct pstats s;
	long iters;
	atomic_int start;
	gocsp_waitgroup wg;
};

static void
churn_loop(struct churn *c, uint64_t seed)
{
	struct obj *held[4];
	long i;
	while (!atomic_load(&c->start))
		gocsp_yield();
	for (i = 0; i < c->iters; i++) {
		int k, n = 1 + (int) (gt_rand(&seed) % 4);
		for (k = 0; k < n; k++) {
			held[k] = gocsp_pool_get(&c->pool);
			if (held[k] == NULL ||
			    atomic_exchange(&held[k]->in_use, 1) != 0)
				atomic_fetch_add(&c->s.bad, 1);
		}
		if (gt_rand(&seed) % 8 == 0)
			gocsp_yield(); /* may move to the other worker */
		for (k = 0; k < n; k++) {
			if (held[k] != NULL) {
				atomic_store(&held[k]->in_use, 0);
				gocsp_pool_put(&c->pool, held[k]);
			}
		}
	}
}

static void
churn_co(void *arg)
{
	struct churn *c = arg;
	churn_loop(c, (uint64_t) (uintptr_t) &c + gocsp_self());
	gocsp_wg_done(&c->wg);
}

static void *
churn_th(void *arg)
{
	churn_loop(arg, (uint64_t) (uintptr_t) &arg);
	return NULL;
}

enum { CHURN_NCO = 16, CHURN_NTH = 2 };

static void
churn_main(void *arg)
{
	struct churn *c = arg;
	int i;
	gocsp_wg_add(&c->wg, CHURN_NCO);
	for (i = 0; i < CHURN_NCO; i++)
		GO(churn_co, c);
	atomic_store(&c->start, 1);
	gocsp_sleep(GOCSP_MS(5));
	gocsp_maxprocs(4); /* new Ps find their cache slots */
	gocsp_wg_wait(&c->wg);
}

static void
test_pool__concurrent(void **state)
{
	struct churn c = {0};
	pthread_t t[CHURN_NTH];
	int prev = gt_two_workers(), i;
	(void) state;
	c.iters = gt_n(30000, 3000);
	gocsp_pool_init(&c.pool, obj_new, obj_free, &c.s);
	for (i = 0; i < CHURN_NTH; i++)
		t[i] = gt_thread(churn_th, &c);
	gt_run(churn_main, &c);
	for (i = 0; i < CHURN_NTH; i++)
		pthread_join(t[i], NULL);
	gocsp_maxprocs(prev);
	gocsp_pool_destroy(&c.pool);
	assert_int_equal(atomic_load(&c.s.bad), 0);
	assert_int_equal(atomic_load(&c.s.freed), atomic_load(&c.s.made));
	/* The caches did their job: far fewer objects than gets. */
	assert_true(
	    atomic_load(&c.s.made) < (CHURN_NCO + CHURN_NTH) * c.iters / 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_pool__get_after_put),
	    GT_CASE(test_pool__bounded_and_destroy),
	    GT_CASE(test_pool__concurrent),
	};
	return GT_RUN_CASES(tests);
}
