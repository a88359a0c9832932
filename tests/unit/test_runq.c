/*
 * Run queues (runq.c), driven directly through the internals
 * (gocsp_testing): runnext before the ring, the ring in FIFO order, a
 * full ring spilling its older half to the global queue, the global
 * queue's batches, stealing half of a ring (or its runnext), the spawn
 * deque (newest first for the owner, oldest for thieves), the ring served
 * after a streak of runnext, and one owner against thieves on threads:
 * every G taken exactly once.
 *
 * The Gs are zeroed records that never run: the runtime is not started
 * in this program, so no worker takes them from the global queue.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

#include "proc.h"

static struct gocsp__p *
new_p(int id)
{
	struct gocsp__p *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->id = id;
	return p;
}

static struct gocsp__g *
new_gs(size_t n)
{
	struct gocsp__g *gs = calloc(n, sizeof(*gs));
	size_t i;
	assert_non_null(gs);
	for (i = 0; i < n; i++)
		gs[i].id = i;
	return gs;
}

/* Take every G of the global queue, in order, into out[]; their number. */
static long
drain_global(struct gocsp__g **out, long max)
{
	long n = 0, k;
	struct gocsp__g *g;
	for (;;) {
		gocsp__lock_acquire(&gocsp__sched.lock);
		g = gocsp__globrunqtake(GOCSP__GLOBAL_BATCH, &k);
		gocsp__lock_release(&gocsp__sched.lock);
		if (g == NULL)
			return n;
		for (; k > 0; k--, g = g->schedlink) {
			assert_true(n < max);
			out[n++] = g;
		}
	}
}

static void
test_runq__runnext_then_ring_in_order(void **state)
{
	struct gocsp__p *p = new_p(0);
	struct gocsp__g *g = new_gs(4);
	(void) state;
	assert_true(gocsp__runqempty(p));
	gocsp__runqput(p, &g[0], false);
	gocsp__runqput(p, &g[1], false);
	gocsp__runqput(p, &g[2], true);
	/* A second runnext kicks the first to the ring's tail. */
	gocsp__runqput(p, &g[3], true);
	assert_false(gocsp__runqempty(p));
	assert_ptr_equal(gocsp__runqget(p), &g[3]);
	assert_ptr_equal(gocsp__runqget(p), &g[0]);
	assert_ptr_equal(gocsp__runqget(p), &g[1]);
	assert_ptr_equal(gocsp__runqget(p), &g[2]);
	assert_null(gocsp__runqget(p));
	assert_true(gocsp__runqempty(p));
	free(g);
	free(p);
}

/* A full ring sends its older half and the new G to the global queue;
 * FIFO order holds across the two. */
static void
test_runq__full_ring_spills_half_to_global(void **state)
{
	enum { N = GOCSP__RUNQ_SIZE + 1 };
	struct gocsp__p *p = new_p(0);
	struct gocsp__g *g = new_gs(N), *got[N];
	long n, i;
	(void) state;
	for (i = 0; i < N; i++)
		gocsp__runqput(p, &g[i], false);
	assert_int_equal(atomic_load(&gocsp__sched.runqsize),
	    GOCSP__RUNQ_SIZE / 2 + 1);
	n = drain_global(got, N);
	assert_int_equal(n, GOCSP__RUNQ_SIZE / 2 + 1);
	for (i = 0; i < GOCSP__RUNQ_SIZE / 2; i++)
		assert_ptr_equal(got[i], &g[i]);
	assert_ptr_equal(got[n - 1], &g[N - 1]);
	for (i = GOCSP__RUNQ_SIZE / 2; i < GOCSP__RUNQ_SIZE; i++)
		assert_ptr_equal(gocsp__runqget(p), &g[i]);
	assert_null(gocsp__runqget(p));
	assert_int_equal(atomic_load(&gocsp__sched.runqsize), 0);
	free(g);
	free(p);
}

/* The global queue: single Gs join the last batch while it has room; a
 * take detaches at most one batch, in order; runqput_chain moves a
 * taken chain into a ring. */
static void
test_runq__global_batches(void **state)
{
	enum { N = 3 * GOCSP__GLOBAL_BATCH + 5 };
	struct gocsp__p *p = new_p(0);
	struct gocsp__g *g = new_gs(N), *head;
	long i, k, seen = 0;
	(void) state;
	gocsp__lock_acquire(&gocsp__sched.lock);
	for (i = 0; i < N; i++)
		gocsp__globrunqput(&g[i]);
	gocsp__lock_release(&gocsp__sched.lock);
	assert_int_equal(atomic_load(&gocsp__sched.runqsize), N);
	while (seen < N) {
		gocsp__lock_acquire(&gocsp__sched.lock);
		head = gocsp__globrunqtake(GOCSP__GLOBAL_BATCH, &k);
		gocsp__lock_release(&gocsp__sched.lock);
		assert_non_null(head);
		assert_true(k >= 1 && k <= GOCSP__GLOBAL_BATCH);
		assert_ptr_equal(gocsp__runqput_chain(p, head, k), &g[seen]);
		for (i = 1; i < k; i++)
			assert_ptr_equal(gocsp__runqget(p), &g[seen + i]);
		assert_null(gocsp__runqget(p));
		seen += k;
	}
	gocsp__lock_acquire(&gocsp__sched.lock);
	assert_null(gocsp__globrunqtake(GOCSP__GLOBAL_BATCH, &k));
	gocsp__lock_release(&gocsp__sched.lock);
	assert_int_equal(atomic_load(&gocsp__sched.runqsize), 0);
	free(g);
	free(p);
}

/* A thief takes the older half (rounded up) of a ring, runs the newest
 * of those and queues the others in order (Go's runqsteal); from an
 * empty ring it takes runnext. */
static void
test_runq__steal_half_then_runnext(void **state)
{
	struct gocsp__p *victim = new_p(0), *thief = new_p(1);
	struct gocsp__g *g = new_gs(12);
	int i;
	(void) state;
	for (i = 0; i < 11; i++)
		gocsp__runqput(victim, &g[i], false);
	gocsp__runqput(victim, &g[11], true);
	assert_ptr_equal(gocsp__runqsteal(thief, victim), &g[5]);
	for (i = 0; i < 5; i++)
		assert_ptr_equal(gocsp__runqget(thief), &g[i]);
	assert_null(gocsp__runqget(thief));
	/* The victim keeps its newer half and its runnext. */
	assert_ptr_equal(gocsp__runqget(victim), &g[11]);
	for (i = 6; i < 11; i++)
		assert_ptr_equal(gocsp__runqget(victim), &g[i]);
	gocsp__runqput(victim, &g[0], true);
	assert_ptr_equal(gocsp__runqsteal(thief, victim), &g[0]);
	assert_true(gocsp__runqempty(victim));
	assert_null(gocsp__runqsteal(thief, victim));
	free(g);
	free(victim);
	free(thief);
}

/* Spawned Gs: the owner runs the newest first (depth first), a thief
 * takes the oldest half and runs the oldest. */
static void
test_runq__spawnq_newest_for_owner_oldest_for_thief(void **state)
{
	struct gocsp__p *p = new_p(0), *thief = new_p(1);
	struct gocsp__g *g = new_gs(GOCSP__SPAWNQ_SIZE + 1);
	int i;
	(void) state;
	for (i = 0; i < 8; i++)
		assert_true(gocsp__spawnq_push(p, &g[i]));
	assert_int_equal(gocsp__spawnq_len(p), 8);
	assert_false(gocsp__runqempty(p));
	assert_ptr_equal(gocsp__runqget(p), &g[7]);
	/* 7 left: the thief takes the oldest, then half of the other 6. */
	assert_ptr_equal(gocsp__spawnq_steal(thief, p), &g[0]);
	assert_int_equal(gocsp__spawnq_len(thief), 3);
	assert_int_equal(gocsp__spawnq_len(p), 3);
	assert_ptr_equal(gocsp__runqget(thief), &g[3]);
	assert_ptr_equal(gocsp__runqget(p), &g[6]);
	assert_ptr_equal(gocsp__runqget(p), &g[5]);
	assert_ptr_equal(gocsp__runqget(p), &g[4]);
	assert_null(gocsp__runqget(p));
	assert_ptr_equal(gocsp__runqget(thief), &g[2]);
	assert_ptr_equal(gocsp__runqget(thief), &g[1]);
	assert_null(gocsp__runqget(thief));
	/* The deque is bounded: a push to a full one is refused. */
	for (i = 0; i < GOCSP__SPAWNQ_SIZE; i++)
		assert_true(gocsp__spawnq_push(p, &g[i]));
	assert_false(gocsp__spawnq_push(p, &g[GOCSP__SPAWNQ_SIZE]));
	free(g);
	free(p);
	free(thief);
}

/* Two Gs handing off through runnext forever must not starve the ring:
 * a G in the ring runs within a bounded streak. */
static void
test_runq__ring_served_after_a_streak(void **state)
{
	struct gocsp__p *p = new_p(0);
	struct gocsp__g *g = new_gs(3), *cur;
	int i;
	(void) state;
	gocsp__runqput(p, &g[2], false); /* waits in the ring */
	gocsp__runqput(p, &g[0], true);
	for (i = 0; i < 10000; i++) {
		cur = gocsp__runqget(p);
		if (cur == &g[2])
			break;
		/* The running G readies the other one, as a handoff. */
		gocsp__runqput(p, cur == &g[0] ? &g[1] : &g[0], true);
	}
	assert_true(i >= 1 && i <= GOCSP__RUNQ_SIZE);
	free(g);
	free(p);
}

/* One owner putting and getting, two thieves stealing on threads: each
 * G is taken exactly once. */
enum { RACE_N = 200000 };

struct race {
	struct gocsp__p *owner, *thief[2];
	struct gocsp__g *g;
	atomic_int *taken;
	atomic_int done;
};

static void
take(struct race *r, struct gocsp__g *g)
{
	atomic_fetch_add(&r->taken[g->id], 1);
}

static void *
thief_th(void *arg)
{
	struct race *r = ((struct race **) arg)[0];
	struct gocsp__p *me = ((struct gocsp__p **) arg)[1];
	struct gocsp__g *g;
	for (;;) {
		int done = atomic_load(&r->done);
		if ((g = gocsp__runqsteal(me, r->owner)) != NULL ||
		    (g = gocsp__spawnq_steal(me, r->owner)) != NULL) {
			take(r, g);
			while ((g = gocsp__runqget(me)) != NULL)
				take(r, g);
		} else if (done) {
			return NULL;
		}
	}
}

static void
test_runq__owner_against_thieves(void **state)
{
	long n = gt_n(RACE_N, RACE_N / 10), i;
	struct race r = {0};
	struct gocsp__g *g;
	void *args[2][2];
	pthread_t th[2];
	int t;
	(void) state;
	r.owner = new_p(0);
	r.g = new_gs((size_t) n);
	r.taken = calloc((size_t) n, sizeof(*r.taken));
	for (t = 0; t < 2; t++) {
		r.thief[t] = new_p(t + 1);
		args[t][0] = &r;
		args[t][1] = r.thief[t];
		th[t] = gt_thread(thief_th, args[t]);
	}
	for (i = 0; i < n; i++) {
		/* A mix of readied (ring, runnext) and spawned Gs. */
		if (i % 3 != 2 || !gocsp__spawnq_push(r.owner, &r.g[i]))
			gocsp__runqput(r.owner, &r.g[i], i % 3 == 1);
		if (i % 4 == 0 && (g = gocsp__runqget(r.owner)) != NULL)
			take(&r, g);
	}
	while ((g = gocsp__runqget(r.owner)) != NULL)
		take(&r, g);
	atomic_store(&r.done, 1);
	for (t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	/* Spills went to the global queue. */
	{
		struct gocsp__g **rest = calloc((size_t) n, sizeof(*rest));
		long k = drain_global(rest, n);
		for (i = 0; i < k; i++)
			take(&r, rest[i]);
		free(rest);
	}
	for (i = 0; i < n; i++)
		if (atomic_load(&r.taken[i]) != 1)
			fail_msg("G %ld taken %d times", i,
			    atomic_load(&r.taken[i]));
	free(r.taken);
	free(r.g);
	free(r.owner);
	free(r.thief[0]);
	free(r.thief[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_runq__runnext_then_ring_in_order),
	    GT_CASE(test_runq__full_ring_spills_half_to_global),
	    GT_CASE(test_runq__global_batches),
	    GT_CASE(test_runq__steal_half_then_runnext),
	    GT_CASE(test_runq__spawnq_newest_for_owner_oldest_for_thief),
	    GT_CASE(test_runq__ring_served_after_a_streak),
	    GT_CASE(test_runq__owner_against_thieves),
	};
	return GT_RUN_CASES(tests);
}
