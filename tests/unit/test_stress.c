/*
 * Stress (meant for ThreadSanitizer too): coroutines and plain threads
 * hammer a few channels with send, trysend, timed send, select, recv,
 * tryrecv, timed recv, and close, in random combinations.  Conservation:
 * every value whose send succeeded is received exactly once, and nothing
 * else is received.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

enum { NCH = 4, NPROD_CO = 6, NPROD_TH = 2, NCONS_CO = 4, NCONS_TH = 2 };
#define NPROD (NPROD_CO + NPROD_TH)
#define NCONS (NCONS_CO + NCONS_TH)

struct round {
	gocsp_chan *ch[NCH];
	int per_producer;
	int early_close;
	atomic_int next_id;
	atomic_long sent_count, sent_sum;
	atomic_long recv_count, recv_sum;
	atomic_long dups, bogus;
	atomic_uchar *seen; /* NPROD * per_producer */
	gocsp_waitgroup prod_wg, cons_wg, closer_wg;
};

/* value = producer * per + seq + 1 (never 0: 0 is the closed zero value) */
static void
producer(struct round *r)
{
	int id = atomic_fetch_add(&r->next_id, 1);
	uint64_t s = ((uint64_t) id * 0x9e3779b97f4a7c15ULL) | 1;
	int closed[NCH] = {0}, nclosed = 0, seq = 0;
	long count = 0, sum = 0;

	while (seq < r->per_producer && nclosed < NCH) {
		long v = (long) id * r->per_producer + seq + 1;
		int k = (int) (gt_rand(&s) % NCH), rc, op;
		if (closed[k])
			continue;
		op = (int) (gt_rand(&s) % 5);
		if (op == 0) {
			rc = gocsp_chan_send(r->ch[k], &v);
		} else if (op == 1) {
			rc = gocsp_chan_trysend(r->ch[k], &v);
		} else if (op == 2) {
			rc = gocsp_chan_send_timeout(r->ch[k], &v,
			    (int64_t) (gt_rand(&s) % GOCSP_US(500)));
		} else {
			/* select over two channels (maybe the same one) */
			int k2 = (int) (gt_rand(&s) % NCH), got;
			int64_t t = op == 3 ? 0 : GOCSP_MS(1);
			gocsp_case cs[2] = {{r->ch[k], GOCSP_SEND, &v, 9},
			    {closed[k2] ? NULL : r->ch[k2], GOCSP_SEND, &v,
			        9}};
			got = gocsp_select(cs, 2, t);
			if (got >= 0) {
				if (cs[got].ok == 9)
					gt_failf(__FILE__, __LINE__,
					    "ok not written");
				rc = cs[got].ok ? 0 : GOCSP_ECLOSED;
				k = got == 0 ? k : k2;
			} else {
				rc = got;
			}
		}
		if (rc == 0) {
			count++;
			sum += v;
			seq++;
		} else if (rc == GOCSP_ECLOSED) {
			closed[k] = 1;
			nclosed++;
		} else if (rc != GOCSP_EAGAIN && rc != GOCSP_ETIMEDOUT) {
			gt_failf(__FILE__, __LINE__, "send rc %d", rc);
			break;
		}
	}
	atomic_fetch_add(&r->sent_count, count);
	atomic_fetch_add(&r->sent_sum, sum);
	gocsp_wg_done(&r->prod_wg);
}

static void
note_received(struct round *r, long v, long *count, long *sum)
{
	long idx = v - 1;
	if (idx < 0 || idx >= (long) NPROD * r->per_producer) {
		atomic_fetch_add(&r->bogus, 1);
		return;
	}
	if (atomic_exchange(&r->seen[idx], 1) != 0)
		atomic_fetch_add(&r->dups, 1);
	(*count)++;
	*sum += v;
}

static void
consumer(struct round *r)
{
	uint64_t s = ((uint64_t) (uintptr_t) &s ^ 0x5bd1e995) | 1;
	int closed[NCH] = {0}, nclosed = 0;
	long count = 0, sum = 0;

	while (nclosed < NCH) {
		long v = -1;
		int k = (int) (gt_rand(&s) % NCH), rc, op;
		if (closed[k])
			continue;
		op = (int) (gt_rand(&s) % 5);
		if (op == 0) {
			rc =
			    gocsp_chan_recv_timeout(r->ch[k], &v, GOCSP_MS(2));
		} else if (op == 1) {
			rc = gocsp_chan_tryrecv(r->ch[k], &v);
		} else {
			gocsp_case cs[NCH];
			int i, got;
			for (i = 0; i < NCH; i++)
				cs[i] =
				    (gocsp_case){closed[i] ? NULL : r->ch[i],
				        GOCSP_RECV, &v, 9};
			got = gocsp_select(cs, NCH,
			    op == 2 ? GOCSP_FOREVER
			            : (op == 3 ? 0 : GOCSP_MS(1)));
			if (got >= 0) {
				if (cs[got].ok == 9)
					gt_failf(__FILE__, __LINE__,
					    "ok not written");
				rc = cs[got].ok ? 0 : GOCSP_ECLOSED;
				k = got;
			} else {
				rc = got;
			}
		}
		if (rc == 0) {
			note_received(r, v, &count, &sum);
		} else if (rc == GOCSP_ECLOSED) {
			if (v != 0)
				atomic_fetch_add(&r->bogus, 1);
			closed[k] = 1;
			nclosed++;
		} else if (rc != GOCSP_EAGAIN && rc != GOCSP_ETIMEDOUT) {
			gt_failf(__FILE__, __LINE__, "recv rc %d", rc);
			break;
		}
	}
	atomic_fetch_add(&r->recv_count, count);
	atomic_fetch_add(&r->recv_sum, sum);
	gocsp_wg_done(&r->cons_wg);
}

static void
producer_co(void *arg)
{
	producer(arg);
}

static void *
producer_th(void *arg)
{
	producer(arg);
	return NULL;
}

static void
consumer_co(void *arg)
{
	consumer(arg);
}

static void *
consumer_th(void *arg)
{
	consumer(arg);
	return NULL;
}

/* Closes the channels one by one while production is under way. */
static void
early_closer(void *arg)
{
	struct round *r = arg;
	uint64_t s = 42;
	int k;
	for (k = 0; k < NCH; k++) {
		gocsp_sleep(GOCSP_US(200 + gt_rand(&s) % 3000));
		EXPECT_EQ(gocsp_chan_close(r->ch[k]), 0);
	}
	gocsp_wg_done(&r->closer_wg);
}

static void
stress_round(int early_close)
{
	static const size_t caps[NCH] = {0, 1, 4, 64};
	struct round *r = calloc(1, sizeof *r);
	pthread_t th[NPROD_TH + NCONS_TH];
	int i, k, nth = 0;
	size_t nvals;

	assert_non_null(r);
	r->per_producer = (int) gt_n(25000, 2500);
	r->early_close = early_close;
	nvals = (size_t) NPROD * (size_t) r->per_producer;
	r->seen = calloc(nvals, sizeof *r->seen);
	assert_non_null(r->seen);
	for (k = 0; k < NCH; k++)
		r->ch[k] = gocsp_chan_make(sizeof(long), caps[k]);
	gocsp_wg_add(&r->prod_wg, NPROD);
	gocsp_wg_add(&r->cons_wg, NCONS);
	for (i = 0; i < NCONS_TH; i++)
		th[nth++] = gt_thread(consumer_th, r);
	for (i = 0; i < NCONS_CO; i++)
		assert_int_equal(gocsp_go(consumer_co, r), 0);
	for (i = 0; i < NPROD_TH; i++)
		th[nth++] = gt_thread(producer_th, r);
	for (i = 0; i < NPROD_CO; i++)
		assert_int_equal(gocsp_go(producer_co, r), 0);
	if (early_close) {
		gocsp_wg_add(&r->closer_wg, 1);
		assert_int_equal(gocsp_go(early_closer, r), 0);
	}
	gocsp_wg_wait(&r->prod_wg);
	if (early_close) {
		gocsp_wg_wait(&r->closer_wg);
	} else {
		for (k = 0; k < NCH; k++)
			assert_int_equal(gocsp_chan_close(r->ch[k]), 0);
	}
	gocsp_wg_wait(&r->cons_wg);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);

	for (k = 0; k < NCH; k++) {
		assert_int_equal(gocsp_chan_len(r->ch[k]), 0);
		gocsp_chan_release(r->ch[k]);
	}
	if (!early_close)
		assert_int_equal(atomic_load(&r->sent_count), (long) nvals);
	assert_int_equal(atomic_load(&r->dups), 0);
	assert_int_equal(atomic_load(&r->bogus), 0);
	assert_int_equal(atomic_load(&r->recv_count),
	    atomic_load(&r->sent_count));
	assert_int_equal(atomic_load(&r->recv_sum), atomic_load(&r->sent_sum));
	free(r->seen);
	free(r);
	gt_check();
}

static void
test_stress__channels_conservation(void **state)
{
	int round, rounds = (int) gt_n(3, 2);
	(void) state;
	for (round = 0; round < rounds; round++)
		stress_round(0);
}

static void
test_stress__close_during_traffic(void **state)
{
	int round, rounds = (int) gt_n(6, 3);
	(void) state;
	for (round = 0; round < rounds; round++)
		stress_round(1);
}

/* More workers than CPUs: the OS preempts workers mid-operation. */
static void
test_stress__oversubscribed_workers(void **state)
{
	int prev = gocsp_maxprocs(4);
	(void) state;
	stress_round(0);
	stress_round(1);
	gocsp_maxprocs(prev);
}

/* ---------------------------------------------------------------------- */

/*
 * Many short-lived channels: a sender, a receiver and a closer race on
 * each, every side drops its reference when done.
 */
struct trio {
	gocsp_chan *c;
	atomic_int sent, received;
	gocsp_waitgroup wg;
};

static void
trio_send(void *arg)
{
	struct trio *t = arg;
	long v = 7;
	int i;
	for (i = 0; i < 3; i++)
		if (gocsp_chan_send(t->c, &v) == 0)
			atomic_fetch_add(&t->sent, 1);
	gocsp_chan_release(t->c);
	gocsp_wg_done(&t->wg);
}

static void
trio_recv(void *arg)
{
	struct trio *t = arg;
	long v;
	while (gocsp_chan_recv(t->c, &v) == 0) {
		EXPECT_EQ(v, 7);
		atomic_fetch_add(&t->received, 1);
	}
	gocsp_chan_release(t->c);
	gocsp_wg_done(&t->wg);
}

static void
trio_close(void *arg)
{
	struct trio *t = arg;
	gocsp_yield();
	EXPECT_EQ(gocsp_chan_close(t->c), 0);
	gocsp_chan_release(t->c);
	gocsp_wg_done(&t->wg);
}

CO_CASE(test_stress__short_lived_channels)
{
	int i, n = (int) gt_n(20000, 2000);
	for (i = 0; i < n; i++) {
		struct trio *t = calloc(1, sizeof *t);
		t->c = gocsp_chan_make(sizeof(long), (size_t) (i % 3));
		gocsp_chan_retain(t->c);
		gocsp_chan_retain(t->c);
		gocsp_wg_add(&t->wg, 3);
		GO(trio_recv, t);
		GO(trio_send, t);
		GO(trio_close, t);
		gocsp_wg_wait(&t->wg);
		EXPECT_EQ(atomic_load(&t->received), atomic_load(&t->sent));
		free(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_stress__channels_conservation),
	    GT_CASE(test_stress__close_during_traffic),
	    GT_CASE(test_stress__oversubscribed_workers),
	    GT_CASE(test_stress__short_lived_channels),
	};
	return GT_RUN_CASES(tests);
}
