/*
 * The semaphore table under sync (sema.c): a hundred thousand WaitGroups
 * and Mutexes blocked at once, each woken with a search whose length does
 * not grow with their number; the order of a key's waiters (FIFO, and
 * lifo at the head); units released before their waiter comes.
 *
 * Plain threads and coroutines contending for one key lose no unit.
 *
 * Wake cost is measured, not timed: gocsp__sema_probes (internal.h) gives
 * how many slots a wake of a key looks at, with the search that
 * gocsp__semrelease itself makes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

#include <math.h>

#include "internal.h"

/* Half the keys are WaitGroups, half Mutexes, side by side in memory. */
struct blocked {
	long n;
	gocsp_waitgroup *wgs;
	gocsp_mutex *mus;
	gocsp_waitgroup woken;
	atomic_long nwoken;
};

static void
wait_wg(void *arg)
{
	struct blocked *b = *(struct blocked **) arg;
	gocsp_waitgroup *wg = (gocsp_waitgroup *) ((struct blocked **) arg)[1];
	gocsp_wg_wait(wg);
	atomic_fetch_add(&b->nwoken, 1);
	gocsp_wg_done(&b->woken);
}

static void
lock_mutex(void *arg)
{
	struct blocked *b = *(struct blocked **) arg;
	gocsp_mutex *mu = (gocsp_mutex *) ((struct blocked **) arg)[1];
	gocsp_mutex_lock(mu);
	gocsp_mutex_unlock(mu);
	atomic_fetch_add(&b->nwoken, 1);
	gocsp_wg_done(&b->woken);
}

static const void *
key_of(struct blocked *b, long i)
{
	return i % 2 == 0 ? (const void *) &b->wgs[i / 2].sema_
	                  : (const void *) &b->mus[i / 2].sema_;
}

/* Sleep until every key has a waiter queued. */
static void
until_all_queued(struct blocked *b)
{
	for (long i = 0; i < b->n; i++)
		while (gocsp__sema_probes(key_of(b, i)) < 0)
			gocsp_sleep(GOCSP_MS(1));
}

/* Check the search of every still-blocked key order[from..n): about one
 * slot on average whatever the number of keys (a table at most half full
 * averages under 1.5), and no run longer than 2 log2 n. */
static void
expect_short_searches(struct blocked *b, const long *order, long from)
{
	long sum = 0, max = 0, m = b->n - from;
	for (long k = from; k < b->n; k++) {
		long p = gocsp__sema_probes(key_of(b, order[k]));
		EXPECT_GE(p, 1);
		sum += p;
		if (p > max)
			max = p;
	}
	double lg = log2((double) (m > 2 ? m : 2));
	printf("  %ld keys blocked: a wake looks at %.2f slots on average, "
	       "%ld at most\n",
	    m, (double) sum / (double) m, max);
	EXPECT_LE(sum, 2 * m);
	EXPECT_LE(max, (long) (2 * lg));
}

CO_CASE(test_sema__many_keys_blocked_at_once)
{
	/* TSan gives up beyond 8128 threads, and counts coroutines as such. */
	struct blocked b = {
	    .n = GT_TSAN ? gt_n(4000, 4000) : gt_n(100000, 10000)};
	long i, *order = malloc((size_t) b.n * sizeof *order);
	void *(*args)[2] = malloc((size_t) b.n * sizeof *args);
	uint64_t seed = 12345;
	b.wgs = calloc((size_t) (b.n + 1) / 2, sizeof *b.wgs);
	b.mus = calloc((size_t) (b.n + 1) / 2, sizeof *b.mus);
	if (order == NULL || args == NULL || b.wgs == NULL || b.mus == NULL)
		abort();

	gocsp_wg_add(&b.woken, (int) b.n);
	for (i = 0; i < b.n; i++) {
		args[i][0] = &b;
		if (i % 2 == 0) {
			args[i][1] = &b.wgs[i / 2];
			gocsp_wg_add(&b.wgs[i / 2], 1);
			GO(wait_wg, args[i]);
		} else {
			args[i][1] = &b.mus[i / 2];
			gocsp_mutex_lock(&b.mus[i / 2]);
			GO(lock_mutex, args[i]);
		}
		order[i] = i;
	}
	until_all_queued(&b);
	EXPECT_EQ(atomic_load(&b.nwoken), 0);

	/* Wake in random order, checking the tree as it shrinks. */
	for (i = b.n - 1; i > 0; i--) {
		long j = (long) (gt_rand(&seed) % (uint64_t) (i + 1));
		long t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < b.n; i++) {
		if (i % (b.n / 4) == 0)
			expect_short_searches(&b, order, i);
		long k = order[i];
		if (k % 2 == 0)
			gocsp_wg_done(&b.wgs[k / 2]);
		else
			gocsp_mutex_unlock(&b.mus[k / 2]);
	}
	gocsp_wg_wait(&b.woken);
	EXPECT_EQ(atomic_load(&b.nwoken), b.n);
	for (i = 0; i < b.n; i++)
		EXPECT_EQ(gocsp__sema_probes(key_of(&b, i)), -1);
	free(b.mus);
	free(b.wgs);
	free(args);
	free(order);
}

/* ---------------------------------------------------------------------- */

/* Two keys 251 words apart hash to the same root, so they share a tree. */
static uint64_t keys[252];
#define KEY_A ((const void *) &keys[0])
#define KEY_B ((const void *) &keys[251])

struct order {
	int seen[16];
	int nseen;
};

struct order_arg {
	struct order *o;
	const void *key;
	int index;
	bool lifo;
};

static void
acquire_and_record(void *arg)
{
	struct order_arg *a = arg;
	gocsp__semacquire(a->key, a->lifo, GOCSP__WAIT_OTHER);
	a->o->seen[a->o->nseen++] = a->index;
}

/* Spawn an acquirer and let it run until it blocks or acquires: on one
 * worker a spawned coroutine runs at the spawner's next yield. */
static void
acquirer(struct order_arg *a)
{
	GO(acquire_and_record, a);
	gocsp_yield();
}

CO_CASE(test_sema__order_of_a_keys_waiters)
{
	struct order o = {.nseen = 0};
	struct order_arg args[9];
	int prev = gocsp_maxprocs(1), i;

	/* Waiters 0, 2, 4 on A and 1, 3, 5 on B, interleaved; then 6
	 * comes back to A's head (lifo, as a Mutex waiter that lost). */
	for (i = 0; i < 7; i++) {
		args[i] = (struct order_arg){.o = &o,
		    .key = i % 2 == 0 ? KEY_A : KEY_B,
		    .index = i,
		    .lifo = i == 6};
		acquirer(&args[i]);
	}
	EXPECT_EQ(o.nseen, 0);
	static const int want[] = {6, 0, 2, 4};
	for (i = 0; i < 4; i++) {
		gocsp__semrelease(KEY_A, 1);
		gocsp_yield();
		EXPECT_EQ(o.nseen, i + 1);
		EXPECT_EQ(o.seen[i], want[i]);
	}
	EXPECT_EQ(gocsp__sema_probes(KEY_A), -1);
	EXPECT_GE(gocsp__sema_probes(KEY_B), 1);

	/* Four units for B's three waiters: the fourth waits for the
	 * next acquirer, which takes it without blocking. */
	gocsp__semrelease(KEY_B, 4);
	gocsp_yield();
	EXPECT_EQ(o.nseen, 7);
	EXPECT_EQ(o.seen[4] + o.seen[5] + o.seen[6], 1 + 3 + 5);
	EXPECT_EQ(gocsp__sema_probes(KEY_B), -1);
	args[7] = (struct order_arg){.o = &o, .key = KEY_B, .index = 7};
	acquirer(&args[7]);
	EXPECT_EQ(o.nseen, 8);
	args[8] = (struct order_arg){.o = &o, .key = KEY_B, .index = 8};
	acquirer(&args[8]);
	EXPECT_EQ(o.nseen, 8);
	EXPECT_EQ(gocsp__sema_probes(KEY_B), 1);
	gocsp__semrelease(KEY_B, 1);
	gocsp_yield();
	EXPECT_EQ(o.nseen, 9);
	gocsp_maxprocs(prev);
}

/* ---------------------------------------------------------------------- */

/*
 * Plain threads and coroutines on two workers acquire one key while a
 * releaser gives out exactly as many units, one or several at a time,
 * before or after the waiters come: every acquire returns (no unit is
 * lost), and the key leaves the table.
 */
enum { CT_NTH = 3, CT_NCO = 8, CT_EACH = 2000 };

struct contend {
	const void *key;
	long each;
	atomic_long acquired;
	gocsp_waitgroup wg;
};

static void
contend_loop(struct contend *c)
{
	long i;
	for (i = 0; i < c->each; i++) {
		gocsp__semacquire(c->key, false, GOCSP__WAIT_OTHER);
		atomic_fetch_add(&c->acquired, 1);
	}
}

static void
contend_co(void *arg)
{
	contend_loop(arg);
	gocsp_wg_done(&((struct contend *) arg)->wg);
}

static void *
contend_th(void *arg)
{
	contend_loop(arg);
	return NULL;
}

CO_CASE(test_sema__threads_and_coroutines_lose_no_unit)
{
	static uint64_t key;
	struct contend c = {.key = &key};
	pthread_t th[CT_NTH];
	long total, given = 0;
	uint64_t seed = 7;
	int prev = gt_two_workers(), i;
	c.each = gt_n(CT_EACH, CT_EACH / 10);
	total = c.each * (CT_NTH + CT_NCO);
	gocsp_wg_add(&c.wg, CT_NCO);
	for (i = 0; i < CT_NTH; i++)
		th[i] = gt_thread(contend_th, &c);
	for (i = 0; i < CT_NCO; i++)
		GO(contend_co, &c);
	while (given < total) {
		uint32_t n = (uint32_t) (1 + gt_rand(&seed) % 4);
		if (n > total - given)
			n = (uint32_t) (total - given);
		gocsp__semrelease(c.key, n);
		given += n;
		if (gt_rand(&seed) % 8 == 0)
			gocsp_yield();
	}
	gocsp_wg_wait(&c.wg);
	for (i = 0; i < CT_NTH; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(atomic_load(&c.acquired), total);
	EXPECT_EQ(gocsp__sema_probes(c.key), -1);
	gocsp_maxprocs(prev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_sema__many_keys_blocked_at_once),
	    GT_CASE(test_sema__order_of_a_keys_waiters),
	    GT_CASE(test_sema__threads_and_coroutines_lose_no_unit),
	};
	return GT_RUN_CASES(tests);
}
