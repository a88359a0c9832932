/*
 * The timer heap (timer.c), driven directly through the internals
 * (gocsp_testing): timers fire in deadline order, each once, and deleted
 * ones never; when0 tracks the earliest; a periodic timer re-arms and
 * skips the periods it missed; deleting is idempotent.
 *
 * The heap is the runtime's own (gocsp__timer_add picks the caller's),
 * so the timers here are due an hour from now: no worker fires them, and
 * the tests run the heap themselves with gocsp__timerheap_run and a
 * "now" of their choosing.  One P, so every timer shares one heap.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

#include "internal.h"

#define LATER GOCSP_SEC(3600)

struct rec {
	struct gocsp__timer t;
	int fired;
	int64_t seen_when; /* t.when when it fired */
};

static int64_t last_fired_when;
static int order_broken;

static void
on_fire(struct gocsp__timer *t)
{
	struct rec *r = t->arg;
	r->fired++;
	r->seen_when = t->when;
	if (t->period == 0) {
		if (t->when < last_fired_when)
			order_broken++;
		last_fired_when = t->when;
	}
}

static void
arm(struct rec *r, int64_t when, int64_t period)
{
	memset(r, 0, sizeof(*r));
	r->t.when = when;
	r->t.period = period;
	r->t.fn = on_fire;
	r->t.arg = r;
	r->t.index = -1;
	gocsp__timer_add(&r->t);
}

static int64_t
earliest(struct gocsp__timerheap *h)
{
	return atomic_load(&h->when0);
}

static void
test_timerheap__fire_in_order_each_once(void **state)
{
	enum { N = 2000 };
	struct rec *r = calloc(N, sizeof(*r));
	struct gocsp__timerheap *h;
	int64_t base = gocsp_now() + LATER, now, min;
	uint64_t seed = 42;
	int i;
	(void) state;
	for (i = 0; i < N; i++) /* duplicates on purpose: ties */
		arm(&r[i], base + (int64_t) (gt_rand(&seed) % 500) * 1000, 0);
	h = r[0].t.heap;
	for (i = 0; i < N; i++)
		assert_ptr_equal(r[i].t.heap, h);
	/* Delete every seventh, some twice. */
	for (i = 0; i < N; i += 7) {
		gocsp__timer_del(&r[i].t);
		if (i % 2 == 0)
			gocsp__timer_del(&r[i].t);
		assert_int_equal(r[i].t.index, -1);
	}
	last_fired_when = 0;
	order_broken = 0;
	for (now = base - 1000; now <= base + 500 * 1000; now += 37 * 1000) {
		gocsp__timerheap_run(h, now);
		min = INT64_MAX;
		for (i = 0; i < N; i++) {
			if (i % 7 != 0 && r[i].t.when > now &&
			    r[i].t.when < min)
				min = r[i].t.when;
			/* Due ones fired, others did not. */
			if (i % 7 != 0)
				assert_int_equal(r[i].fired,
				    r[i].t.when <= now ? 1 : 0);
		}
		assert_int_equal(earliest(h), min);
	}
	gocsp__timerheap_run(h, base + 500 * 1000);
	for (i = 0; i < N; i++) {
		assert_int_equal(r[i].fired, i % 7 != 0 ? 1 : 0);
		assert_int_equal(r[i].t.index, -1);
	}
	assert_int_equal(order_broken, 0);
	assert_int_equal(earliest(h), INT64_MAX);
	free(r);
}

/* A ticker's timer stays queued, one period on; a late run skips the
 * periods it missed instead of firing for each. */
static void
test_timerheap__period_rearms_and_skips_missed(void **state)
{
	struct rec r;
	struct gocsp__timerheap *h;
	int64_t base = gocsp_now() + LATER, p = GOCSP_MS(10);
	(void) state;
	arm(&r, base, p);
	h = r.t.heap;
	assert_int_equal(gocsp__timerheap_run(h, base - 1), 0);
	assert_int_equal(gocsp__timerheap_run(h, base), 1);
	assert_int_equal(r.fired, 1);
	assert_int_equal(r.t.when, base + p);
	assert_true(r.t.index >= 0);
	assert_int_equal(earliest(h), base + p);
	/* 3.5 periods late: one fire, the next due at base + 5p. */
	assert_int_equal(gocsp__timerheap_run(h, base + p * 4 + p / 2), 1);
	assert_int_equal(r.fired, 2);
	assert_int_equal(r.t.when, base + 5 * p);
	gocsp__timer_del(&r.t);
	assert_int_equal(r.t.index, -1);
	assert_int_equal(gocsp__timerheap_run(h, base + 100 * p), 0);
	assert_int_equal(r.fired, 2);
	assert_int_equal(earliest(h), INT64_MAX);
}

/* Deleting the root, a leaf and a middle timer keeps the heap a heap. */
static void
test_timerheap__delete_anywhere(void **state)
{
	enum { N = 64 };
	struct rec r[N];
	struct gocsp__timerheap *h;
	int64_t base = gocsp_now() + LATER;
	int i;
	(void) state;
	for (i = 0; i < N; i++)
		arm(&r[i], base + (int64_t) ((i * 37) % N), 0);
	h = r[0].t.heap;
	assert_int_equal(earliest(h), base);
	gocsp__timer_del(&r[0].t); /* the root: when == base */
	assert_int_equal(earliest(h), base + 1);
	for (i = 1; i < N; i += 3)
		gocsp__timer_del(&r[i].t);
	last_fired_when = 0;
	order_broken = 0;
	gocsp__timerheap_run(h, base + N);
	for (i = 0; i < N; i++)
		assert_int_equal(r[i].fired, i != 0 && (i - 1) % 3 != 0);
	assert_int_equal(order_broken, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_timerheap__fire_in_order_each_once),
	    GT_CASE(test_timerheap__period_rearms_and_skips_missed),
	    GT_CASE(test_timerheap__delete_anywhere),
	};
	/* One P: one heap for every timer of this program. */
	setenv("GOCSP_MAXPROCS", "1", 1);
	return GT_RUN_CASES(tests);
}
