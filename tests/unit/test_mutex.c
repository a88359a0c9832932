/*
 * Mutex: an exact counter under contention from coroutines on two
 * workers and plain threads at once, trylock, starvation mode (a
 * waiter that waited over 1 ms gets the lock handed over), waiters that
 * an Unlock missed (the rescue, the P's deferred check; unlock then
 * pause), and the abort on unlocking an unlocked mutex (in a re-run
 * child process).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define GT_CASE_SECONDS 20
#include "gocsp_test.h"
#include "internal.h" /* gocsp__defer_recheck */

/* Parties -- coroutines on two workers and plain threads -- that each
 * run loop over one counter, all at once. */
struct counter {
	gocsp_mutex mu;
	long value; /* under mu; deliberately not atomic */
	long per;   /* increments per party */
	void (*loop)(struct counter *c);
	int ncoroutines;
	atomic_int start;
	gocsp_waitgroup wg;
	atomic_llong worst; /* longest wait for the lock, ns (pause_loop) */
};

static void
party(struct counter *c)
{
	while (!atomic_load(&c->start))
		gocsp_yield();
	c->loop(c);
}

static void
count_co(void *arg)
{
	struct counter *c = arg;
	party(c);
	gocsp_wg_done(&c->wg);
}

static void *
count_th(void *arg)
{
	party(arg);
	return NULL;
}

static void
count_main(void *arg)
{
	struct counter *c = arg;
	int i;
	gocsp_wg_add(&c->wg, c->ncoroutines);
	for (i = 0; i < c->ncoroutines; i++)
		GO(count_co, c);
	atomic_store(&c->start, 1);
	gocsp_wg_wait(&c->wg);
}

enum { MAX_THREADS = 4 };

/* Run c->loop in ncoroutines coroutines and nthreads threads; the count
 * must come out exact. */
static void
contend(struct counter *c, int ncoroutines, int nthreads)
{
	pthread_t t[MAX_THREADS];
	int prev = gt_two_workers(), i;
	assert_true(nthreads <= MAX_THREADS);
	c->ncoroutines = ncoroutines;
	for (i = 0; i < nthreads; i++)
		t[i] = gt_thread(count_th, c);
	gt_run(count_main, c);
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	gocsp_maxprocs(prev);
	assert_int_equal(c->value, (ncoroutines + nthreads) * c->per);
}

static void
count_loop(struct counter *c)
{
	long i;
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
test_mutex__counter_exact(void **state)
{
	static struct counter c; /* zero-filled: an unlocked mutex */
	(void) state;
	c.per = gt_n(40000, 4000);
	c.loop = count_loop;
	contend(&c, 8, 4);
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

CO_CASE(test_mutex__trylock)
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
 * A locked mutex belongs to no coroutine, as in Go: one coroutine locks
 * it, another unlocks it, and so does a plain thread; a waiter blocked
 * meanwhile gets it.
 */
struct handover {
	gocsp_mutex mu;
	gocsp_chan *locked; /* int: the lock is taken, unlock it */
	atomic_int waiter_in;
	gocsp_waitgroup wg;
};

static void
unlocker_co(void *arg)
{
	struct handover *h = arg;
	EXPECT_EQ(gocsp_chan_recv(h->locked, NULL), 0);
	gocsp_mutex_unlock(&h->mu);
	gocsp_wg_done(&h->wg);
}

static void
waiter_co(void *arg)
{
	struct handover *h = arg;
	gocsp_mutex_lock(&h->mu);
	atomic_store(&h->waiter_in, 1);
	gocsp_wg_done(&h->wg);
}

static void *
unlocker_th(void *arg)
{
	struct handover *h = arg;
	EXPECT_EQ(gocsp_chan_recv(h->locked, NULL), 0);
	gocsp_mutex_unlock(&h->mu);
	return NULL;
}

CO_CASE(test_mutex__unlock_from_another_coroutine_or_thread)
{
	struct handover h = {0};
	int i = 1;
	pthread_t th;
	h.locked = gocsp_chan_make(sizeof(int), 0);
	/* Locked here, unlocked by another coroutine, with a waiter. */
	gocsp_wg_add(&h.wg, 2);
	gocsp_mutex_lock(&h.mu);
	GO(waiter_co, &h);
	GO(unlocker_co, &h);
	gocsp_sleep(GOCSP_MS(5)); /* the waiter blocks on the lock */
	EXPECT_EQ(atomic_load(&h.waiter_in), 0);
	EXPECT_EQ(gocsp_chan_send(h.locked, &i), 0);
	gocsp_wg_wait(&h.wg);
	EXPECT_EQ(atomic_load(&h.waiter_in), 1);
	gocsp_mutex_unlock(&h.mu); /* the waiter's lock, released here */
	/* Locked here, unlocked by a plain thread. */
	gocsp_mutex_lock(&h.mu);
	th = gt_thread(unlocker_th, &h);
	EXPECT_EQ(gocsp_chan_send(h.locked, &i), 0);
	pthread_join(th, NULL);
	EXPECT_EQ(gocsp_mutex_trylock(&h.mu), 0);
	gocsp_mutex_unlock(&h.mu);
	gocsp_chan_release(h.locked);
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
	atomic_int hog_gone; /* the hog gave up: the waiter stops too */
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
	while (
	    !atomic_load(&s->waiter_done) && gt_since(t0) < STARVE_GIVE_UP) {
		/* Hold it ~50 us, then unlock and relock at once. */
		int64_t h = gocsp_now();
		while (gocsp_now() - h < GOCSP_US(50))
			;
		gocsp_mutex_unlock(&s->mu);
		gocsp_mutex_lock(&s->mu);
		atomic_fetch_add(&s->hog_rounds, 1);
	}
	gocsp_mutex_unlock(&s->mu);
	atomic_store(&s->hog_gone, 1);
	gocsp_wg_done(&s->wg);
}

static void
starve_wait(struct starve *s)
{
	int k;
	for (k = 0; k < STARVE_WAITS; k++) {
		long r = atomic_load(&s->hog_rounds);
		int64_t t0;
		/* Let the hog take a few rounds alone first.  A hog that
		 * gave up leaves worst over the limit: fail, not hang. */
		while (atomic_load(&s->hog_rounds) < r + 10 &&
		    !atomic_load(&s->hog_gone))
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
test_mutex__starvation_hands_over(void **state)
{
	struct starve s1 = {0}, s2 = {0};
	int prev = gt_two_workers();
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

/*
 * Unlock frees the mutex with a plain store and then reads the waiter
 * count, and that read may be served before the store reaches other
 * CPUs: a waiter counting itself at that moment can be missed and sleep
 * on a free mutex (mutex.c).  Here the mutex is left in exactly that
 * state -- free, its waiter counted and asleep, nobody woken -- and the
 * waiter must get it all the same: from the idle workers' rescue, with
 * the main coroutine sleeping on a timer, then blocked on a channel (all
 * idle, where the runtime would otherwise report a deadlock).
 */
struct strand {
	gocsp_mutex mu;
	gocsp_chan *done; /* int: the waiter got the mutex */
};

static void
strand_waiter_co(void *arg)
{
	struct strand *s = arg;
	int one = 1;
	gocsp_mutex_lock(&s->mu);
	gocsp_mutex_unlock(&s->mu);
	EXPECT_EQ(gocsp_chan_send(s->done, &one), 0);
}

/* The waiter count, from the private state (mutex.c: above two bits). */
static int32_t
strand_waiters(gocsp_mutex *mu)
{
	return __atomic_load_n(&mu->state_, __ATOMIC_RELAXED) >> 2;
}

static void
strand_waiter(struct strand *s)
{
	gocsp_mutex_lock(&s->mu);
	GO(strand_waiter_co, s);
	while (strand_waiters(&s->mu) == 0)
		gocsp_sleep(GOCSP_MS(1));
	gocsp_sleep(GOCSP_MS(5)); /* past its own checks, asleep */
	EXPECT_EQ(strand_waiters(&s->mu), 1);
	/* The missed Unlock: free, and wake nobody. */
	__atomic_store_n(&s->mu.locked_, 0, __ATOMIC_RELEASE);
}

#define STRAND_LIMIT GOCSP_SEC(2) /* the rescue runs every 10 ms */

CO_CASE(test_mutex__stranded_waiter_is_rescued)
{
	struct strand s = {0};
	int64_t t0, on_timer, on_chan;
	int got;
	s.done = gocsp_chan_make(sizeof(int), 1);
	strand_waiter(&s);
	t0 = gocsp_now();
	while (gocsp_chan_len(s.done) == 0 && gt_since(t0) < STRAND_LIMIT)
		gocsp_sleep(GOCSP_MS(1));
	on_timer = gt_since(t0);
	EXPECT_EQ(gocsp_chan_len(s.done), 1);
	EXPECT_EQ(gocsp_chan_recv(s.done, &got), 0);

	strand_waiter(&s);
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_chan_recv(s.done, &got), 0);
	on_chan = gt_since(t0);
	EXPECT(on_chan < STRAND_LIMIT);
	if (getenv("GT_VERBOSE") != NULL)
		fprintf(stderr,
		    "stranded waiter woken after %.1f ms (timer), "
		    "%.1f ms (channel)\n",
		    on_timer / 1e6, on_chan / 1e6);
	EXPECT_EQ(gocsp_mutex_trylock(&s.mu), 0);
	gocsp_mutex_unlock(&s.mu);
	gocsp_chan_release(s.done);
}

/*
 * A waiter that may not spin leaves its late check to its P
 * (gocsp__defer_recheck): the P makes it within microseconds of it being
 * due, while it keeps switching (it looks every 16th pass through its
 * scheduler loop), rather than leaving a stranded waiter to the idle
 * workers' rescue, every 10 ms.  Here the check is deferred by hand for a mutex stranded by hand,
 * and the main coroutine keeps switching on one worker (on two, each
 * yield would hop between them through the global queue, a wake-up
 * each): the waiter must have the mutex long before a rescue would come
 * (a rescue that happens to come in that window is 1 chance in 50).
 */
#define DEFERRED_LIMIT (GT_SANITIZED ? GOCSP_MS(1) : GOCSP_US(200))

CO_CASE(test_mutex__deferred_check_wakes_stranded_waiter)
{
	struct strand s = {0};
	int64_t t0, took;
	int got, prev = gocsp_maxprocs(1);
	s.done = gocsp_chan_make(sizeof(int), 1);
	strand_waiter(&s);
	EXPECT(gocsp__defer_recheck(&s.mu.sema_));
	t0 = gocsp_now();
	while (gocsp_chan_len(s.done) == 0 && gt_since(t0) < DEFERRED_LIMIT)
		gocsp_yield();
	took = gt_since(t0);
	if (getenv("GT_VERBOSE") != NULL)
		fprintf(stderr, "deferred check: waiter woken after %.1f us\n",
		    took / 1e3);
	EXPECT_EQ(gocsp_chan_len(s.done), 1);
	EXPECT_EQ(gocsp_chan_recv(s.done, &got), 0);
	EXPECT_EQ(gocsp_mutex_trylock(&s.mu), 0);
	gocsp_mutex_unlock(&s.mu);
	gocsp_chan_release(s.done);
	gocsp_maxprocs(prev);
}

/* ---------------------------------------------------------------------- */

/*
 * Where the holder does not relock at once, a waiter often counts itself
 * just as the holder unlocks: the moment Unlock's read may miss it.
 * Coroutines on two workers and plain threads lock, increment, unlock
 * and then pause a few hundred ns, many times: the count must be exact
 * and nobody may be left asleep (a waiter the rescue must wake would
 * show as a wait of 10 ms or more; GT_VERBOSE prints the longest).
 */
static void
pause_loop(struct counter *c)
{
	long i;
	unsigned r = (unsigned) (uintptr_t) &i;
	for (i = 0; i < c->per; i++) {
		int64_t t0 = gocsp_now(), waited, until;
		long long w;
		gocsp_mutex_lock(&c->mu);
		waited = gt_since(t0);
		c->value++;
		gocsp_mutex_unlock(&c->mu);
		w = atomic_load(&c->worst);
		while (waited > w &&
		    !atomic_compare_exchange_weak(&c->worst, &w, waited))
			;
		r = r * 1103515245 + 12345;
		until = gocsp_now() + (r >> 16) % 500;
		while (gocsp_now() < until)
			;
	}
}

static void
test_mutex__unlock_then_pause(void **state)
{
	static struct counter c;
	(void) state;
	c.per = gt_n(50000, 5000);
	c.loop = pause_loop;
	contend(&c, 4, 2);
	if (getenv("GT_VERBOSE") != NULL)
		fprintf(stderr, "unlock then pause: longest wait %.3f ms\n",
		    atomic_load(&c.worst) / 1e6);
	assert_int_equal(strand_waiters(&c.mu), 0);
}

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
	alarm(30);
	if (strcmp(mode, "mutex-unlock-thread") == 0)
		gocsp_mutex_unlock(&m);
	else if (strcmp(mode, "mutex-unlock-coroutine") == 0)
		gocsp_run(unlock_unlocked_co, NULL);
	else
		return 2;
	return 5;
}

static void
test_mutex__unlock_of_unlocked_aborts(void **state)
{
	(void) state;
	gt_expect_abort("mutex-unlock-thread", "gocsp_mutex_unlock");
	gt_expect_abort("mutex-unlock-coroutine", "gocsp_mutex_unlock");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_mutex__counter_exact),
	    GT_CASE(test_mutex__trylock),
	    GT_CASE(test_mutex__unlock_from_another_coroutine_or_thread),
	    GT_CASE(test_mutex__starvation_hands_over),
	    GT_CASE(test_mutex__stranded_waiter_is_rescued),
	    GT_CASE(test_mutex__deferred_check_wakes_stranded_waiter),
	    GT_CASE(test_mutex__unlock_then_pause),
	    GT_CASE(test_mutex__unlock_of_unlocked_aborts),
	};
	return GT_MAIN_WITH_CHILD(tests, argc, argv, child_main);
}
