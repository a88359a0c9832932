/*
 * Wait queues and waiters (waiter.c), driven directly through the
 * internals (gocsp_testing): FIFO order, removal anywhere, a dequeue that
 * skips waiters another party claimed; a waiter woken exactly once across
 * threads and coroutines, and a deadline that loses to a waker that
 * claimed first.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

#include <sched.h>

#include "internal.h"

static void
test_waitq__fifo_and_remove_anywhere(void **state)
{
	struct gocsp__waitq q = {0};
	struct gocsp__waiter w[5];
	struct gocsp__sudog s[5];
	int i;
	(void) state;
	for (i = 0; i < 5; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].w = &w[i];
		gocsp__waitq_push(&q, &s[i]);
		assert_true(s[i].queued);
	}
	gocsp__waitq_remove(&q, &s[0]); /* head */
	gocsp__waitq_remove(&q, &s[2]); /* middle */
	gocsp__waitq_remove(&q, &s[4]); /* tail */
	gocsp__waitq_remove(&q, &s[4]); /* not queued: no-op */
	assert_false(s[4].queued);
	assert_ptr_equal(gocsp__waitq_dequeue(&q), &s[1]);
	assert_ptr_equal(gocsp__waitq_dequeue(&q), &s[3]);
	assert_null(gocsp__waitq_dequeue(&q));
	assert_null(q.first);
	assert_null(q.last);
	/* Pushed again after removal: back at the tail. */
	gocsp__waitq_push(&q, &s[0]);
	gocsp__waitq_push(&q, &s[2]);
	assert_ptr_equal(gocsp__waitq_dequeue(&q), &s[0]);
	assert_ptr_equal(gocsp__waitq_dequeue(&q), &s[2]);
}

/* A sudog with claim set is handed out only if the dequeuer wins its
 * waiter; one whose waiter is claimed already (a select's other case, a
 * timeout) is dropped from the queue and skipped. */
static void
test_waitq__dequeue_skips_claimed(void **state)
{
	struct gocsp__waitq q = {0};
	struct gocsp__waiter w[3];
	struct gocsp__sudog s[4];
	int i;
	(void) state;
	for (i = 0; i < 3; i++)
		gocsp__waiter_init(&w[i], -1, GOCSP__WAIT_OTHER);
	memset(s, 0, sizeof(s));
	/* s[0] and s[1]: two cases of one select (waiter 0). */
	s[0].w = &w[0];
	s[1].w = &w[0];
	s[2].w = &w[1];
	s[3].w = &w[2];
	s[0].claim = s[1].claim = s[2].claim = true;
	for (i = 0; i < 4; i++)
		gocsp__waitq_push(&q, &s[i]);
	assert_true(gocsp__waiter_claim(&w[1])); /* its timeout won */
	assert_ptr_equal(gocsp__waitq_dequeue(&q), &s[0]);
	/* s[1]'s waiter is the one just claimed through s[0]; s[2]'s was
	 * claimed before: both skipped, the plain s[3] is next. */
	assert_ptr_equal(gocsp__waitq_dequeue(&q), &s[3]);
	assert_null(gocsp__waitq_dequeue(&q));
	for (i = 0; i < 4; i++)
		assert_false(s[i].queued);
	/* A plain sudog is never claimed: its waiter stays unclaimed. */
	assert_int_equal(atomic_load(&w[2].claimed), 0);
}

/* ---- waiters across threads and coroutines ---- */

struct handoff {
	struct gocsp__waiter w;
	struct gocsp__sudog s;
	atomic_int ready;
};

static void *
waker_th(void *arg)
{
	struct handoff *h = arg;
	while (!atomic_load(&h->ready))
		sched_yield();
	/* Give the waiter time to block (the test passes either way). */
	usleep(2000);
	h->w.param = &h->s;
	gocsp__waiter_wake(&h->w);
	return NULL;
}

static void
wait_for_wake(struct handoff *h, int64_t deadline)
{
	gocsp__waiter_init(&h->w, deadline, GOCSP__WAIT_OTHER);
	/* The waker holds no lock the wait releases: it may come first. */
	h->w.racy = true;
	h->s.w = &h->w;
	atomic_store(&h->ready, 1);
	gocsp__waiter_wait(&h->w, NULL, NULL);
}

static void
test_waitq__thread_woken_by_thread(void **state)
{
	struct handoff h = {0};
	pthread_t t = gt_thread(waker_th, &h);
	(void) state;
	wait_for_wake(&h, -1);
	assert_ptr_equal(h.w.param, &h.s);
	assert_int_equal(atomic_load(&h.w.futex), 1);
	pthread_join(t, NULL);
}

CO_CASE(test_waitq__coroutine_woken_by_thread)
{
	struct handoff h = {0};
	pthread_t t = gt_thread(waker_th, &h);
	wait_for_wake(&h, -1);
	EXPECT(h.w.g != NULL);
	EXPECT(h.w.param == &h.s);
	pthread_join(t, NULL);
}

/* A deadline with no waker: the wait claims the waiter itself and
 * returns with param NULL, on a thread and on a coroutine. */
static void
deadline_passes(void)
{
	struct gocsp__waiter w;
	int64_t t0 = gocsp_now();
	gocsp__waiter_init(&w, t0 + GOCSP_MS(20), GOCSP__WAIT_OTHER);
	gocsp__waiter_wait(&w, NULL, NULL);
	EXPECT(w.param == NULL);
	EXPECT_EQ(atomic_load(&w.claimed), 1);
	EXPECT_GE(gt_since(t0), GOCSP_MS(20));
	EXPECT_LE(gt_since(t0), GOCSP_MS(20) + GT_SLACK);
}

static void
test_waitq__deadline_on_thread(void **state)
{
	(void) state;
	deadline_passes();
	gt_check();
}

CO_CASE(test_waitq__deadline_on_coroutine)
{
	deadline_passes();
}

/* A waker that claimed the waiter before its deadline wins even if it
 * wakes after the deadline: the wait returns only with the wake. */
struct late {
	struct gocsp__waiter w;
	struct gocsp__sudog s;
	atomic_int claimed;
};

static void *
late_waker_th(void *arg)
{
	struct late *l = arg;
	if (gocsp__waiter_claim(&l->w)) {
		atomic_store(&l->claimed, 1);
		usleep(30000); /* past the 5 ms deadline */
		l->w.param = &l->s;
		gocsp__waiter_wake(&l->w);
	}
	return NULL;
}

static void
claimed_before_deadline(void)
{
	struct late l = {0};
	pthread_t t;
	gocsp__waiter_init(&l.w, gocsp_now() + GOCSP_MS(5), GOCSP__WAIT_OTHER);
	l.s.w = &l.w;
	t = gt_thread(late_waker_th, &l);
	while (!atomic_load(&l.claimed))
		sched_yield();
	gocsp__waiter_wait(&l.w, NULL, NULL);
	EXPECT(l.w.param == &l.s);
	pthread_join(t, NULL);
}

static void
test_waitq__claimed_waker_beats_deadline_on_thread(void **state)
{
	(void) state;
	claimed_before_deadline();
	gt_check();
}

CO_CASE(test_waitq__claimed_waker_beats_deadline_on_coroutine)
{
	claimed_before_deadline();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_waitq__fifo_and_remove_anywhere),
	    GT_CASE(test_waitq__dequeue_skips_claimed),
	    GT_CASE(test_waitq__thread_woken_by_thread),
	    GT_CASE(test_waitq__coroutine_woken_by_thread),
	    GT_CASE(test_waitq__deadline_on_thread),
	    GT_CASE(test_waitq__deadline_on_coroutine),
	    GT_CASE(test_waitq__claimed_waker_beats_deadline_on_thread),
	    GT_CASE(test_waitq__claimed_waker_beats_deadline_on_coroutine),
	};
	return GT_RUN_CASES(tests);
}
