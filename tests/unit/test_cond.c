/*
 * Cond: a bounded queue under signal and broadcast from coroutines on
 * two workers and plain threads at once; broadcast wakes every waiter;
 * no signal is lost.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define GT_CASE_SECONDS 20
#include "gocsp_test.h"

#define QCAP 8

struct queue {
	gocsp_mutex mu;
	gocsp_cond not_empty, not_full;
	long buf[QCAP]; /* under mu */
	int head, n;    /* under mu */
	bool broadcast; /* wake everyone instead of one */
	long per;       /* items per producer */
	atomic_long sum, got;
	gocsp_waitgroup wg;
};

static void
q_put(struct queue *q, long v)
{
	gocsp_mutex_lock(&q->mu);
	while (q->n == QCAP)
		gocsp_cond_wait(&q->not_full, &q->mu);
	q->buf[(q->head + q->n) % QCAP] = v;
	q->n++;
	if (q->broadcast)
		gocsp_cond_broadcast(&q->not_empty);
	else
		gocsp_cond_signal(&q->not_empty);
	gocsp_mutex_unlock(&q->mu);
}

static long
q_get(struct queue *q)
{
	long v;
	gocsp_mutex_lock(&q->mu);
	while (q->n == 0)
		gocsp_cond_wait(&q->not_empty, &q->mu);
	v = q->buf[q->head];
	q->head = (q->head + 1) % QCAP;
	q->n--;
	if (q->broadcast)
		gocsp_cond_broadcast(&q->not_full);
	else
		gocsp_cond_signal(&q->not_full);
	gocsp_mutex_unlock(&q->mu);
	return v;
}

static void
producer(struct queue *q)
{
	long i;
	for (i = 1; i <= q->per; i++)
		q_put(q, i);
}

/* Consume until a 0 (one per consumer, sent at the end). */
static void
consumer(struct queue *q)
{
	long v;
	while ((v = q_get(q)) != 0) {
		atomic_fetch_add(&q->sum, v);
		atomic_fetch_add(&q->got, 1);
	}
}

static void
consumer_co(void *arg)
{
	consumer(arg);
	gocsp_wg_done(&((struct queue *) arg)->wg);
}

static void *
producer_th(void *arg)
{
	producer(arg);
	return NULL;
}

static void *
consumer_th(void *arg)
{
	consumer(arg);
	return NULL;
}

/* 4 producer and 4 consumer coroutines, 2 of each as threads. */
enum { Q_PCO = 4, Q_CCO = 4, Q_PTH = 2, Q_CTH = 2 };

struct qrun {
	struct queue *q;
	gocsp_waitgroup producers;
};

static void
producer_co2(void *arg)
{
	struct qrun *r = arg;
	producer(r->q);
	gocsp_wg_done(&r->producers);
}

static void
queue_main(void *arg)
{
	struct queue *q = arg;
	struct qrun r = {.q = q};
	int i;
	gocsp_wg_add(&r.producers, Q_PCO);
	gocsp_wg_add(&q->wg, Q_CCO);
	for (i = 0; i < Q_CCO; i++)
		GO(consumer_co, q);
	for (i = 0; i < Q_PCO; i++)
		GO(producer_co2, &r);
	gocsp_wg_wait(&r.producers);
}

static void
queue_end_main(void *arg)
{
	struct queue *q = arg;
	int i;
	for (i = 0; i < Q_CCO + Q_CTH; i++)
		q_put(q, 0);
	gocsp_wg_wait(&q->wg);
}

static void
run_queue(bool broadcast)
{
	struct queue *q = calloc(1, sizeof(*q));
	pthread_t p[Q_PTH], c[Q_CTH];
	int prev = gt_two_workers(), i;
	long n;
	assert_non_null(q);
	q->broadcast = broadcast;
	q->per = gt_n(20000, 2000);
	for (i = 0; i < Q_CTH; i++)
		c[i] = gt_thread(consumer_th, q);
	for (i = 0; i < Q_PTH; i++)
		p[i] = gt_thread(producer_th, q);
	gt_run(queue_main, q); /* the producer coroutines are done */
	for (i = 0; i < Q_PTH; i++)
		pthread_join(p[i], NULL);
	gt_run(queue_end_main, q); /* stop the consumers */
	for (i = 0; i < Q_CTH; i++)
		pthread_join(c[i], NULL);
	gocsp_maxprocs(prev);
	n = (Q_PCO + Q_PTH) * q->per;
	assert_int_equal(atomic_load(&q->got), n);
	/* Each producer sends 1..per. */
	assert_int_equal(atomic_load(&q->sum),
	    (Q_PCO + Q_PTH) * (q->per * (q->per + 1) / 2));
	free(q);
}

static void
test_cond__queue_signal(void **state)
{
	(void) state;
	run_queue(false);
}

static void
test_cond__queue_broadcast(void **state)
{
	(void) state;
	run_queue(true);
}

/* Broadcast wakes every waiter, coroutines and threads. */
enum { BC_NCO = 50, BC_NTH = 4 };

struct bcast {
	gocsp_mutex mu;
	gocsp_cond c;
	bool go;            /* under mu */
	atomic_int waiting; /* about to wait or waiting */
	atomic_int woken;
	gocsp_waitgroup wg;
};

static void
bcast_wait(struct bcast *b)
{
	gocsp_mutex_lock(&b->mu);
	atomic_fetch_add(&b->waiting, 1);
	while (!b->go)
		gocsp_cond_wait(&b->c, &b->mu);
	gocsp_mutex_unlock(&b->mu);
	atomic_fetch_add(&b->woken, 1);
}

static void
bcast_co(void *arg)
{
	bcast_wait(arg);
	gocsp_wg_done(&((struct bcast *) arg)->wg);
}

static void *
bcast_th(void *arg)
{
	bcast_wait(arg);
	return NULL;
}

static void
bcast_main(void *arg)
{
	struct bcast *b = arg;
	int i;
	gocsp_wg_add(&b->wg, BC_NCO);
	for (i = 0; i < BC_NCO; i++)
		GO(bcast_co, b);
	EXPECT(gt_wait_for(&b->waiting, BC_NCO + BC_NTH, GOCSP_SEC(5)));
	/* A signal with waiters wakes one; they all recheck and sleep. */
	gocsp_cond_signal(&b->c);
	gocsp_sleep(GOCSP_MS(20));
	EXPECT_EQ(atomic_load(&b->woken), 0);
	gocsp_mutex_lock(&b->mu);
	b->go = true;
	gocsp_cond_broadcast(&b->c);
	gocsp_mutex_unlock(&b->mu);
	gocsp_wg_wait(&b->wg);
	EXPECT(gt_wait_for(&b->woken, BC_NCO + BC_NTH, GOCSP_SEC(5)));
}

static void
test_cond__broadcast_wakes_all(void **state)
{
	struct bcast b = {0};
	pthread_t t[BC_NTH];
	int prev = gt_two_workers(), i;
	(void) state;
	/* Nobody waits: both are no-ops. */
	gocsp_cond_signal(&b.c);
	gocsp_cond_broadcast(&b.c);
	for (i = 0; i < BC_NTH; i++)
		t[i] = gt_thread(bcast_th, &b);
	gt_run(bcast_main, &b);
	for (i = 0; i < BC_NTH; i++)
		pthread_join(t[i], NULL);
	gocsp_maxprocs(prev);
	assert_int_equal(atomic_load(&b.woken), BC_NCO + BC_NTH);
}

/* Ping-pong through one cond: every signal must reach the waiter, else
 * the exchange stops (the watchdog ends it). */
struct turn {
	gocsp_mutex mu;
	gocsp_cond c;
	long turn; /* under mu: even for A, odd for B */
	long n;
	gocsp_waitgroup wg;
};

static void
turn_loop(struct turn *t, long parity)
{
	gocsp_mutex_lock(&t->mu);
	while (t->turn < t->n) {
		while (t->turn % 2 != parity && t->turn < t->n)
			gocsp_cond_wait(&t->c, &t->mu);
		if (t->turn >= t->n)
			break;
		t->turn++;
		gocsp_cond_signal(&t->c);
	}
	gocsp_mutex_unlock(&t->mu);
}

static void
turn_co(void *arg)
{
	turn_loop(arg, 0);
	gocsp_wg_done(&((struct turn *) arg)->wg);
}

static void *
turn_th(void *arg)
{
	turn_loop(arg, 1);
	return NULL;
}

static void
turn_main(void *arg)
{
	struct turn *t = arg;
	gocsp_wg_add(&t->wg, 1);
	GO(turn_co, t);
	gocsp_wg_wait(&t->wg);
}

static void
test_cond__signal_no_lost_wakeup(void **state)
{
	struct turn t = {0};
	pthread_t th;
	int prev = gt_two_workers();
	(void) state;
	t.n = gt_n(20000, 2000);
	th = gt_thread(turn_th, &t);
	gt_run(turn_main, &t);
	pthread_join(th, NULL);
	gocsp_maxprocs(prev);
	assert_int_equal(t.turn, t.n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_cond__queue_signal),
	    GT_CASE(test_cond__queue_broadcast),
	    GT_CASE(test_cond__broadcast_wakes_all),
	    GT_CASE(test_cond__signal_no_lost_wakeup),
	};
	return GT_RUN_CASES(tests);
}
