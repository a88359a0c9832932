/*
 * sync: Mutex, RWMutex, Once, Cond and Pool, each under contention from
 * coroutines on two workers and plain threads at once; the mutex's
 * starvation mode, trylock, and the aborts on misuse (in a re-run child
 * process).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define GT_CASE_SECONDS 20
#include "gocsp_test.h"

#include <sched.h>
#include <stdbool.h>

/* Bounds of the pool's caches, from libgocsp/src/pool.c. */
#define POOL_CACHE_MAX 64 /* per P, plus one private slot */
#define POOL_SHARED_MAX 1024

/* Wait (yielding) until *v >= want or timeout ns passed; true if reached. */
static bool
wait_for(atomic_int *v, int want, int64_t timeout)
{
	int64_t t0 = gocsp_now();
	while (atomic_load(v) < want) {
		if (gt_since(t0) > timeout)
			return false;
		gocsp_yield();
	}
	return true;
}

/* Run everything on two workers (the machine may have one CPU: two
 * workers still interleave at parks); restores GOMAXPROCS on return. */
static int
two_workers(void)
{
	return gocsp_maxprocs(2);
}

/* ---------------------------------------------------------------------- */
/* Mutex                                                                   */
/* ---------------------------------------------------------------------- */

struct counter {
	gocsp_mutex mu;
	long value; /* under mu; deliberately not atomic */
	long per;   /* increments per party */
	atomic_int start;
	gocsp_waitgroup wg;
};

static void
count_loop(struct counter *c)
{
	long i;
	while (!atomic_load(&c->start))
		gocsp_yield();
	for (i = 0; i < c->per; i++) {
		long v;
		gocsp_mutex_lock(&c->mu);
		v = c->value;
		/* Give others a chance to run inside the section: a
		 * broken mutex loses updates for sure. */
		if (i % 128 == 0)
			gocsp_yield();
		c->value = v + 1;
		gocsp_mutex_unlock(&c->mu);
	}
}

static void
count_co(void *arg)
{
	struct counter *c = arg;
	count_loop(c);
	gocsp_wg_done(&c->wg);
}

static void *
count_th(void *arg)
{
	count_loop(arg);
	return NULL;
}

enum { COUNT_NCO = 8, COUNT_NTH = 4 };

static void
count_main(void *arg)
{
	struct counter *c = arg;
	int i;
	gocsp_wg_add(&c->wg, COUNT_NCO);
	for (i = 0; i < COUNT_NCO; i++)
		GO(count_co, c);
	atomic_store(&c->start, 1);
	gocsp_wg_wait(&c->wg);
}

static void
test_sync__mutex_counter_exact(void **state)
{
	static struct counter c; /* zero-filled: an unlocked mutex */
	pthread_t t[COUNT_NTH];
	int prev = two_workers(), i;
	(void) state;
	c.per = gt_n(40000, 4000);
	for (i = 0; i < COUNT_NTH; i++)
		t[i] = gt_thread(count_th, &c);
	gt_run(count_main, &c);
	for (i = 0; i < COUNT_NTH; i++)
		pthread_join(t[i], NULL);
	gocsp_maxprocs(prev);
	assert_int_equal(c.value, (COUNT_NCO + COUNT_NTH) * c.per);
	/* Unlocked again: trylock succeeds. */
	assert_int_equal(gocsp_mutex_trylock(&c.mu), 0);
	gocsp_mutex_unlock(&c.mu);
}

/* ---------------------------------------------------------------------- */

struct trylock {
	gocsp_mutex mu;
	int seen;
};

static void *
trylock_th(void *arg)
{
	struct trylock *t = arg;
	t->seen = gocsp_mutex_trylock(&t->mu);
	return NULL;
}

CO_CASE(test_sync__mutex_trylock)
{
	struct trylock t = {0};
	pthread_t th;
	EXPECT_EQ(gocsp_mutex_trylock(&t.mu), 0);
	EXPECT_EQ(gocsp_mutex_trylock(&t.mu), GOCSP_EAGAIN);
	/* Held by this coroutine: another thread cannot take it either. */
	th = gt_thread(trylock_th, &t);
	pthread_join(th, NULL);
	EXPECT_EQ(t.seen, GOCSP_EAGAIN);
	gocsp_mutex_unlock(&t.mu);
	th = gt_thread(trylock_th, &t);
	pthread_join(th, NULL);
	EXPECT_EQ(t.seen, 0);
	/* The thread left it locked: lock would wait, trylock fails. */
	EXPECT_EQ(gocsp_mutex_trylock(&t.mu), GOCSP_EAGAIN);
	gocsp_mutex_unlock(&t.mu);
	gocsp_mutex_lock(&t.mu);
	gocsp_mutex_unlock(&t.mu);
}

/* ---------------------------------------------------------------------- */

/*
 * Starvation: a hog relocks the mutex right after each unlock and holds
 * it nearly all the time.  A woken waiter would seldom win the race for
 * it (it often waits tens or hundreds of ms); after 1 ms of waiting the
 * mutex turns starving and the hog's unlock hands it to the waiter.  The
 * waiter takes it STARVE_WAITS times; the longest wait must stay short.
 */
struct starve {
	gocsp_mutex mu;
	atomic_int hog_running;
	atomic_int waiter_done;
	atomic_long hog_rounds;
	int64_t worst; /* longest wait of the waiter, ns */
	gocsp_waitgroup wg;
};

#define STARVE_WAITS 5
#define STARVE_GIVE_UP GOCSP_SEC(4)
#define STARVE_LIMIT (GT_SANITIZED ? GOCSP_MS(1000) : GOCSP_MS(100))

static void
hog_co(void *arg)
{
	struct starve *s = arg;
	int64_t t0 = gocsp_now();
	gocsp_mutex_lock(&s->mu);
	while (!atomic_load(&s->waiter_done) &&
	    gt_since(t0) < STARVE_GIVE_UP) {
		/* Hold it ~50 us, then unlock and relock at once. */
		int64_t h = gocsp_now();
		while (gocsp_now() - h < GOCSP_US(50))
			;
		gocsp_mutex_unlock(&s->mu);
		gocsp_mutex_lock(&s->mu);
		atomic_fetch_add(&s->hog_rounds, 1);
	}
	gocsp_mutex_unlock(&s->mu);
	gocsp_wg_done(&s->wg);
}

static void
starve_wait(struct starve *s)
{
	int k;
	for (k = 0; k < STARVE_WAITS; k++) {
		long r = atomic_load(&s->hog_rounds);
		int64_t t0;
		/* Let the hog take a few rounds alone first. */
		while (atomic_load(&s->hog_rounds) < r + 10)
			gocsp_yield();
		t0 = gocsp_now();
		gocsp_mutex_lock(&s->mu);
		if (gt_since(t0) > s->worst)
			s->worst = gt_since(t0);
		gocsp_mutex_unlock(&s->mu);
	}
	atomic_store(&s->waiter_done, 1);
}

static void
starve_waiter_co(void *arg)
{
	struct starve *s = arg;
	starve_wait(s);
	gocsp_wg_done(&s->wg);
}

static void
starve_main_co(void *arg)
{
	struct starve *s = arg;
	gocsp_wg_add(&s->wg, 2);
	GO(hog_co, s);
	GO(starve_waiter_co, s);
	gocsp_wg_wait(&s->wg);
}

static void
starve_main_th(void *arg)
{
	struct starve *s = arg;
	gocsp_wg_add(&s->wg, 1);
	GO(hog_co, s);
	gocsp_wg_wait(&s->wg);
}

static void *
starve_th(void *arg)
{
	starve_wait(arg);
	return NULL;
}

static void
test_sync__mutex_starvation_hands_over(void **state)
{
	struct starve s1 = {0}, s2 = {0};
	int prev = two_workers();
	pthread_t th;
	(void) state;

	/* A coroutine waiter against a coroutine hog. */
	gt_run(starve_main_co, &s1);
	/* A plain thread waiter against a coroutine hog. */
	th = gt_thread(starve_th, &s2);
	gt_run(starve_main_th, &s2);
	pthread_join(th, NULL);
	gocsp_maxprocs(prev);
	if (getenv("GT_VERBOSE") != NULL)
		fprintf(stderr, "starvation: worst waits %lld / %lld ns\n",
		    (long long) s1.worst, (long long) s2.worst);
	if (s1.worst > STARVE_LIMIT || s2.worst > STARVE_LIMIT)
		fail_msg("worst waits for the lock %lld ns (coroutine), %lld "
		         "ns (thread); limit %lld",
		    (long long) s1.worst, (long long) s2.worst,
		    (long long) STARVE_LIMIT);
}

/* ---------------------------------------------------------------------- */
/* RWMutex                                                                 */
/* ---------------------------------------------------------------------- */

struct rw {
	gocsp_rwmutex mu;
	long a, b; /* writers keep a == b; under mu */
	atomic_int readers, writers, bad, start;
	long iters;
	gocsp_waitgroup wg;
};

static void
rw_reader(struct rw *r)
{
	long i;
	while (!atomic_load(&r->start))
		gocsp_yield();
	for (i = 0; i < r->iters; i++) {
		gocsp_rwmutex_rlock(&r->mu);
		atomic_fetch_add(&r->readers, 1);
		if (atomic_load(&r->writers) != 0)
			atomic_fetch_add(&r->bad, 1);
		long a = r->a;
		if (i % 16 == 0)
			gocsp_yield();
		if (r->b != a)
			atomic_fetch_add(&r->bad, 1);
		atomic_fetch_sub(&r->readers, 1);
		gocsp_rwmutex_runlock(&r->mu);
	}
}

static void
rw_writer(struct rw *r)
{
	long i;
	while (!atomic_load(&r->start))
		gocsp_yield();
	for (i = 0; i < r->iters / 4; i++) {
		gocsp_rwmutex_lock(&r->mu);
		if (atomic_fetch_add(&r->writers, 1) != 0 ||
		    atomic_load(&r->readers) != 0)
			atomic_fetch_add(&r->bad, 1);
		r->a++;
		if (i % 8 == 0)
			gocsp_yield();
		r->b++;
		atomic_fetch_sub(&r->writers, 1);
		gocsp_rwmutex_unlock(&r->mu);
	}
}

static void
rw_reader_co(void *arg)
{
	rw_reader(arg);
	gocsp_wg_done(&((struct rw *) arg)->wg);
}

static void
rw_writer_co(void *arg)
{
	rw_writer(arg);
	gocsp_wg_done(&((struct rw *) arg)->wg);
}

static void *
rw_reader_th(void *arg)
{
	rw_reader(arg);
	return NULL;
}

static void *
rw_writer_th(void *arg)
{
	rw_writer(arg);
	return NULL;
}

static void
rw_main(void *arg)
{
	struct rw *r = arg;
	int i;
	gocsp_wg_add(&r->wg, 8);
	for (i = 0; i < 6; i++)
		GO(rw_reader_co, r);
	for (i = 0; i < 2; i++)
		GO(rw_writer_co, r);
	atomic_store(&r->start, 1);
	gocsp_wg_wait(&r->wg);
}

static void
test_sync__rwmutex_readers_consistent_writers_exclusive(void **state)
{
	static struct rw r;
	pthread_t t[4];
	int prev = two_workers(), i;
	(void) state;
	r.iters = gt_n(20000, 2000);
	t[0] = gt_thread(rw_reader_th, &r);
	t[1] = gt_thread(rw_reader_th, &r);
	t[2] = gt_thread(rw_reader_th, &r);
	t[3] = gt_thread(rw_writer_th, &r);
	gt_run(rw_main, &r);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	gocsp_maxprocs(prev);
	assert_int_equal(atomic_load(&r.bad), 0);
	assert_int_equal(r.a, 3 * (r.iters / 4));
	assert_int_equal(r.b, r.a);
	/* Unlocked again: a writer gets it at once. */
	gocsp_rwmutex_lock(&r.mu);
	gocsp_rwmutex_unlock(&r.mu);
}

/* Readers overlap: each holds the read lock until all are inside, which
 * an exclusive lock would never allow. */
enum {
	OVERLAP_NCO = 4,
	OVERLAP_NTH = 2,
	OVERLAP_N = OVERLAP_NCO + OVERLAP_NTH,
};

struct overlap {
	gocsp_rwmutex mu;
	atomic_int inside, all_seen;
	gocsp_waitgroup wg;
};

static void
overlap_reader(struct overlap *o)
{
	gocsp_rwmutex_rlock(&o->mu);
	atomic_fetch_add(&o->inside, 1);
	if (wait_for(&o->inside, OVERLAP_N, GOCSP_SEC(2)))
		atomic_fetch_add(&o->all_seen, 1);
	gocsp_rwmutex_runlock(&o->mu);
}

static void
overlap_co(void *arg)
{
	overlap_reader(arg);
	gocsp_wg_done(&((struct overlap *) arg)->wg);
}

static void *
overlap_th(void *arg)
{
	overlap_reader(arg);
	return NULL;
}

static void
overlap_main(void *arg)
{
	struct overlap *o = arg;
	int i;
	gocsp_wg_add(&o->wg, OVERLAP_NCO);
	for (i = 0; i < OVERLAP_NCO; i++)
		GO(overlap_co, o);
	gocsp_wg_wait(&o->wg);
}

static void
test_sync__rwmutex_readers_overlap(void **state)
{
	struct overlap o = {0};
	pthread_t t[OVERLAP_NTH];
	int prev = two_workers(), i;
	(void) state;
	for (i = 0; i < OVERLAP_NTH; i++)
		t[i] = gt_thread(overlap_th, &o);
	gt_run(overlap_main, &o);
	for (i = 0; i < OVERLAP_NTH; i++)
		pthread_join(t[i], NULL);
	gocsp_maxprocs(prev);
	assert_int_equal(atomic_load(&o.all_seen), OVERLAP_N);
	/* All left: a writer gets it. */
	gocsp_rwmutex_lock(&o.mu);
	gocsp_rwmutex_unlock(&o.mu);
}

/* A pending writer waits for the readers inside, and blocks new ones. */
struct pending {
	gocsp_rwmutex mu;
	atomic_int writer_in, reader2_in;
	gocsp_waitgroup wg;
};

static void
pending_writer(void *arg)
{
	struct pending *p = arg;
	gocsp_rwmutex_lock(&p->mu);
	atomic_store(&p->writer_in, 1);
	gocsp_sleep(GOCSP_MS(20));
	/* The late reader must not have got in while we held it. */
	EXPECT_EQ(atomic_load(&p->reader2_in), 0);
	gocsp_rwmutex_unlock(&p->mu);
	gocsp_wg_done(&p->wg);
}

static void
pending_reader2(void *arg)
{
	struct pending *p = arg;
	gocsp_rwmutex_rlock(&p->mu);
	atomic_store(&p->reader2_in, 1);
	EXPECT_EQ(atomic_load(&p->writer_in), 1);
	gocsp_rwmutex_runlock(&p->mu);
	gocsp_wg_done(&p->wg);
}

CO_CASE(test_sync__rwmutex_pending_writer_blocks_readers)
{
	struct pending p = {0};
	gocsp_wg_add(&p.wg, 2);
	gocsp_rwmutex_rlock(&p.mu);
	GO(pending_writer, &p);
	gocsp_sleep(GOCSP_MS(20));
	EXPECT_EQ(atomic_load(&p.writer_in), 0); /* we still read */
	GO(pending_reader2, &p);
	gocsp_sleep(GOCSP_MS(20));
	EXPECT_EQ(atomic_load(&p.reader2_in), 0); /* behind the writer */
	gocsp_rwmutex_runlock(&p.mu);
	gocsp_wg_wait(&p.wg);
	EXPECT_EQ(atomic_load(&p.writer_in), 1);
	EXPECT_EQ(atomic_load(&p.reader2_in), 1);
}

/* ---------------------------------------------------------------------- */
/* Once                                                                    */
/* ---------------------------------------------------------------------- */

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
	EXPECT(wait_for(&o->ready, ONCE_NCO + ONCE_NTH, GOCSP_SEC(5)));
	atomic_store(&o->start, 1);
	gocsp_wg_wait(&o->wg);
}

static void
test_sync__once_races(void **state)
{
	int prev = two_workers(), round, rounds = (int) gt_n(10, 3), i;
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

/* ---------------------------------------------------------------------- */
/* Cond                                                                    */
/* ---------------------------------------------------------------------- */

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
	int prev = two_workers(), i;
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
test_sync__cond_queue_signal(void **state)
{
	(void) state;
	run_queue(false);
}

static void
test_sync__cond_queue_broadcast(void **state)
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
	EXPECT(wait_for(&b->waiting, BC_NCO + BC_NTH, GOCSP_SEC(5)));
	/* A signal with waiters wakes one; they all recheck and sleep. */
	gocsp_cond_signal(&b->c);
	gocsp_sleep(GOCSP_MS(20));
	EXPECT_EQ(atomic_load(&b->woken), 0);
	gocsp_mutex_lock(&b->mu);
	b->go = true;
	gocsp_cond_broadcast(&b->c);
	gocsp_mutex_unlock(&b->mu);
	gocsp_wg_wait(&b->wg);
	EXPECT(wait_for(&b->woken, BC_NCO + BC_NTH, GOCSP_SEC(5)));
}

static void
test_sync__cond_broadcast_wakes_all(void **state)
{
	struct bcast b = {0};
	pthread_t t[BC_NTH];
	int prev = two_workers(), i;
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
test_sync__cond_signal_no_lost_wakeup(void **state)
{
	struct turn t = {0};
	pthread_t th;
	int prev = two_workers();
	(void) state;
	t.n = gt_n(20000, 2000);
	th = gt_thread(turn_th, &t);
	gt_run(turn_main, &t);
	pthread_join(th, NULL);
	gocsp_maxprocs(prev);
	assert_int_equal(t.turn, t.n);
}

/* ---------------------------------------------------------------------- */
/* Pool                                                                    */
/* ---------------------------------------------------------------------- */

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
	if (atomic_exchange(&o->freed, 1) != 0 ||
	    atomic_load(&o->in_use) != 0)
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
test_sync__pool_get_after_put(void **state)
{
	struct pool_case c = {0};
	gocsp_pool none = {0};
	(void) state;
	gocsp_pool_init(&c.pool, obj_new, obj_free, &c.s);
	get_after_put(&c.pool, &c.s);           /* plain thread */
	gt_run(get_after_put_co, &c);            /* coroutine */
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
test_sync__pool_bounded_and_destroy(void **state)
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
test_sync__pool_concurrent(void **state)
{
	struct churn c = {0};
	pthread_t t[CHURN_NTH];
	int prev = two_workers(), i;
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
	assert_true(atomic_load(&c.s.made) <
	    (CHURN_NCO + CHURN_NTH) * c.iters / 10);
}

/* ---------------------------------------------------------------------- */
/* Misuse aborts                                                           */
/* ---------------------------------------------------------------------- */

static void
unlock_unlocked_co(void *arg)
{
	gocsp_mutex m = {0};
	(void) arg;
	gocsp_mutex_lock(&m);
	gocsp_mutex_unlock(&m);
	gocsp_mutex_unlock(&m); /* aborts */
}

static int
child_main(const char *mode, char **args)
{
	gocsp_mutex m = {0};
	gocsp_rwmutex rw = {0};
	alarm(30);
	if (strcmp(mode, "mutex-unlock-thread") == 0) {
		gocsp_mutex_unlock(&m);
	} else if (strcmp(mode, "mutex-unlock-coroutine") == 0) {
		gocsp_run(unlock_unlocked_co, NULL);
	} else if (strcmp(mode, "rwmutex-runlock") == 0) {
		gocsp_rwmutex_rlock(&rw);
		gocsp_rwmutex_runlock(&rw);
		gocsp_rwmutex_runlock(&rw);
	} else if (strcmp(mode, "rwmutex-runlock-writer") == 0) {
		gocsp_rwmutex_lock(&rw);
		gocsp_rwmutex_runlock(&rw);
	} else if (strcmp(mode, "rwmutex-unlock") == 0) {
		gocsp_rwmutex_unlock(&rw);
	} else if (strcmp(mode, "rwmutex-unlock-reader") == 0) {
		gocsp_rwmutex_rlock(&rw);
		gocsp_rwmutex_unlock(&rw);
	} else {
		return 2;
	}
	return 5;
}

static void
test_sync__misuse_aborts(void **state)
{
	(void) state;
	gt_expect_abort("mutex-unlock-thread", "gocsp_mutex_unlock");
	gt_expect_abort("mutex-unlock-coroutine", "gocsp_mutex_unlock");
	gt_expect_abort("rwmutex-runlock", "gocsp_rwmutex_runlock");
	gt_expect_abort("rwmutex-runlock-writer", "gocsp_rwmutex_runlock");
	gt_expect_abort("rwmutex-unlock", "gocsp_rwmutex_unlock");
	gt_expect_abort("rwmutex-unlock-reader", "gocsp_rwmutex_unlock");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		GT_CASE(test_sync__mutex_counter_exact),
		GT_CASE(test_sync__mutex_trylock),
		GT_CASE(test_sync__mutex_starvation_hands_over),
		GT_CASE(
		    test_sync__rwmutex_readers_consistent_writers_exclusive),
		GT_CASE(test_sync__rwmutex_readers_overlap),
		GT_CASE(test_sync__rwmutex_pending_writer_blocks_readers),
		GT_CASE(test_sync__once_races),
		GT_CASE(test_sync__cond_queue_signal),
		GT_CASE(test_sync__cond_queue_broadcast),
		GT_CASE(test_sync__cond_broadcast_wakes_all),
		GT_CASE(test_sync__cond_signal_no_lost_wakeup),
		GT_CASE(test_sync__pool_get_after_put),
		GT_CASE(test_sync__pool_bounded_and_destroy),
		GT_CASE(test_sync__pool_concurrent),
		GT_CASE(test_sync__misuse_aborts),
	};
	return GT_MAIN_WITH_CHILD(tests, argc, argv, child_main);
}
