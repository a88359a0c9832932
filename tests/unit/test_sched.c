/*
 * Scheduler and coroutines: gocsp_run, gocsp_go from coroutines and
 * threads, ids, counts, GOMAXPROCS, yield, parallelism on two workers,
 * many coroutines, big stacks, Go's sieve, and a million parked
 * coroutines with their memory cost.  One case looks at which processor
 * runs the caller (proc.h, through gocsp_testing).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"
#include "proc.h"

#include <sched.h>

/* First: nothing has changed GOMAXPROCS yet. */
static void
test_sched__maxprocs(void **state)
{
	const char *env = getenv("GOCSP_MAXPROCS");
	int q = gocsp_maxprocs(0), prev;
	cpu_set_t set;
	(void) state;

	assert_true(q >= 1);
	assert_true(gocsp_numcpu() >= 1);
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		assert_int_equal(gocsp_numcpu(), CPU_COUNT(&set));
	if (env != NULL && atoi(env) > 0)
		assert_int_equal(q, atoi(env));
	else
		assert_int_equal(q, gocsp_numcpu());
	assert_int_equal(gocsp_maxprocs(-1), q);

	prev = gocsp_maxprocs(3);
	assert_int_equal(prev, q);
	assert_int_equal(gocsp_maxprocs(0), 3);
	assert_int_equal(gocsp_maxprocs(1), 3);
	assert_int_equal(gocsp_maxprocs(0), 1);
	assert_int_equal(gocsp_maxprocs(q), 1);
	assert_int_equal(gocsp_maxprocs(0), q);
}

/* ---------------------------------------------------------------------- */

static atomic_int run_flag;

static void
run_main(void *arg)
{
	gocsp_sleep(GOCSP_MS(10));
	atomic_store(&run_flag, *(int *) arg);
}

static void
run_nested(void *arg)
{
	(void) arg;
	/* gocsp_run from a coroutine is refused */
	EXPECT_EQ(gocsp_run(run_main, &(int){3}), GOCSP_EINVAL);
}

static void
test_sched__run_returns_after_main(void **state)
{
	int i;
	(void) state;
	for (i = 1; i <= 5; i++) {
		atomic_store(&run_flag, 0);
		assert_int_equal(gocsp_run(run_main, &i), 0);
		assert_int_equal(atomic_load(&run_flag), i);
	}
	gt_run(run_nested, NULL);
	assert_int_not_equal(atomic_load(&run_flag), 3);
}

/* ---------------------------------------------------------------------- */

struct spawn_ctx {
	atomic_long sum;
	gocsp_waitgroup wg;
};

static void
add_one(void *arg)
{
	struct spawn_ctx *s = arg;
	atomic_fetch_add(&s->sum, 1);
	gocsp_wg_done(&s->wg);
}

static void *
thread_spawner(void *arg)
{
	struct spawn_ctx *s = arg;
	int i;
	for (i = 0; i < 100; i++)
		EXPECT_EQ(gocsp_go(add_one, s), 0);
	return NULL;
}

CO_CASE(test_sched__go_from_coroutine)
{
	struct spawn_ctx s = {0};
	int i;
	gocsp_wg_add(&s.wg, 100);
	for (i = 0; i < 100; i++)
		GO(add_one, &s);
	gocsp_wg_wait(&s.wg);
	EXPECT_EQ(atomic_load(&s.sum), 100);
	EXPECT_EQ(gocsp_go(NULL, NULL), GOCSP_EINVAL);
}

static void
test_sched__go_from_plain_threads(void **state)
{
	struct spawn_ctx s = {0};
	pthread_t t[4];
	int i;
	(void) state;
	gocsp_wg_add(&s.wg, 400);
	for (i = 0; i < 4; i++)
		t[i] = gt_thread(thread_spawner, &s);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	gocsp_wg_wait(&s.wg);
	assert_int_equal(atomic_load(&s.sum), 400);
	gt_check();
}

/* ---------------------------------------------------------------------- */

enum { NIDS = 1000 };

struct ids {
	uint64_t id[NIDS];
	atomic_int next;
	gocsp_waitgroup wg;
};

static void
record_id(void *arg)
{
	struct ids *x = arg;
	int i = atomic_fetch_add(&x->next, 1);
	uint64_t me = gocsp_self();
	x->id[i] = me;
	gocsp_sleep(GOCSP_MS(1)); /* may resume on another worker */
	EXPECT_EQ(gocsp_self(), me);
	gocsp_yield();
	EXPECT_EQ(gocsp_self(), me);
	gocsp_wg_done(&x->wg);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

static void *
self_on_thread(void *arg)
{
	*(uint64_t *) arg = gocsp_self();
	return NULL;
}

CO_CASE(test_sched__self_ids)
{
	struct ids *x = calloc(1, sizeof *x);
	int i;
	EXPECT(gocsp_self() != 0);
	gocsp_wg_add(&x->wg, NIDS);
	for (i = 0; i < NIDS; i++)
		GO(record_id, x);
	gocsp_wg_wait(&x->wg);
	qsort(x->id, NIDS, sizeof x->id[0], cmp_u64);
	EXPECT(x->id[0] != 0);
	for (i = 1; i < NIDS; i++)
		if (x->id[i] == x->id[i - 1])
			EXPECT(x->id[i] != x->id[i - 1]);
	free(x);
}

static void
test_sched__self_zero_on_threads(void **state)
{
	uint64_t v = 99;
	pthread_t t;
	(void) state;
	assert_int_equal(gocsp_self(), 0);
	t = gt_thread(self_on_thread, &v);
	pthread_join(t, NULL);
	assert_int_equal(v, 0);
}

/* ---------------------------------------------------------------------- */

struct parked {
	gocsp_chan *c;
	atomic_int started;
	gocsp_waitgroup wg;
};

static void
park_on_chan(void *arg)
{
	struct parked *p = arg;
	atomic_fetch_add(&p->started, 1);
	EXPECT_EQ(gocsp_chan_recv(p->c, NULL), GOCSP_ECLOSED);
	gocsp_wg_done(&p->wg);
}

CO_CASE(test_sched__num_coroutines)
{
	struct parked p = {0};
	long base, now;
	int64_t t0;
	int i;
	/* coroutines of earlier cases may still be on their way out */
	gocsp_sleep(GOCSP_MS(50));
	base = gocsp_num_coroutines();
	EXPECT_GE(base, 1); /* this one */
	p.c = gocsp_chan_make(0, 0);
	gocsp_wg_add(&p.wg, 50);
	for (i = 0; i < 50; i++)
		GO(park_on_chan, &p);
	/* they exist as soon as gocsp_go returns */
	EXPECT_EQ(gocsp_num_coroutines(), base + 50);
	t0 = gocsp_now();
	while (atomic_load(&p.started) < 50 && gt_since(t0) < GOCSP_SEC(10))
		gocsp_sleep(GOCSP_MS(1));
	gocsp_sleep(GOCSP_MS(10));
	EXPECT_EQ(gocsp_num_coroutines(), base + 50);
	EXPECT_EQ(gocsp_chan_close(p.c), 0);
	gocsp_wg_wait(&p.wg);
	/* the 50 finish after wg_done: wait until they are gone */
	t0 = gocsp_now();
	while ((now = gocsp_num_coroutines()) != base &&
	    gt_since(t0) < GOCSP_SEC(10))
		gocsp_sleep(GOCSP_MS(1));
	EXPECT_EQ(now, base);
	gocsp_chan_release(p.c);
}

/* ---------------------------------------------------------------------- */

struct yl {
	char log[64];
	atomic_int n;
	gocsp_waitgroup wg;
};

struct yl_arg {
	struct yl *y;
	char who;
};

static void
yield_logger(void *arg)
{
	struct yl_arg *a = arg;
	int i;
	for (i = 0; i < 10; i++) {
		int k = atomic_fetch_add(&a->y->n, 1);
		if (k < 64)
			a->y->log[k] = a->who;
		gocsp_yield();
	}
	gocsp_wg_done(&a->y->wg);
}

/* With one processor, yield hands the processor to the other coroutine. */
CO_CASE(test_sched__yield_interleaves)
{
	struct yl y = {0};
	struct yl_arg a = {&y, 'A'}, b = {&y, 'B'};
	int prev = gocsp_maxprocs(1), i, switches = 0;
	gocsp_wg_add(&y.wg, 2);
	GO(yield_logger, &a);
	GO(yield_logger, &b);
	gocsp_wg_wait(&y.wg);
	gocsp_maxprocs(prev);
	EXPECT_EQ(atomic_load(&y.n), 20);
	for (i = 1; i < 20; i++)
		if (y.log[i] != y.log[i - 1])
			switches++;
	/* without a working yield: AAAAAAAAAABBBBBBBBBB, one switch */
	if (switches < 10)
		gt_failf(__FILE__, __LINE__, "log %.20s: %d switches", y.log,
		    switches);
}

/* Computes without switching for 20 ms: holds its worker's processor. */
static void
hog(void *arg)
{
	int64_t t0 = gocsp_now();
	while (gt_since(t0) < GOCSP_MS(20))
		;
	gocsp_wg_done(arg);
}

/*
 * gocsp_maxprocs(1) called on the second processor returns on the first,
 * as Go's procresize moves its caller: what the caller spawns next is
 * queued where it will run, not on a processor about to retire.  A hog
 * holds the first processor, so the caller's yields land it on the
 * second.
 */
CO_CASE(test_sched__maxprocs_moves_caller)
{
	int prev = gocsp_maxprocs(2), on_second = 0, round, k;
	for (round = 0; round < 20 && on_second < 3; round++) {
		gocsp_waitgroup wg = {0};
		gocsp_maxprocs(2);
		gocsp_wg_add(&wg, 1);
		GO(hog, &wg);
		for (k = 0; k < 1000 && gocsp__getm()->p->id != 1; k++)
			gocsp_yield();
		if (gocsp__getm()->p->id == 1) {
			on_second++;
			gocsp_maxprocs(1);
			EXPECT_EQ(gocsp__getm()->p->id, 0);
		}
		gocsp_wg_wait(&wg);
	}
	gocsp_maxprocs(prev);
	EXPECT(on_second > 0); /* else the case tested nothing */
}

/* ---------------------------------------------------------------------- */

struct par {
	atomic_int started;
	pthread_t who[2];
	atomic_int saw_both;
	atomic_int slot;
	gocsp_waitgroup wg;
};

static void
spinner(void *arg)
{
	struct par *p = arg;
	int me = atomic_fetch_add(&p->slot, 1);
	int64_t t0 = gocsp_now();
	p->who[me] = pthread_self();
	atomic_fetch_add(&p->started, 1);
	/* no yield: only another worker thread can run the other one */
	while (atomic_load(&p->started) < 2 && gt_since(t0) < GOCSP_SEC(10))
		;
	if (atomic_load(&p->started) == 2)
		atomic_fetch_add(&p->saw_both, 1);
	gocsp_wg_done(&p->wg);
}

CO_CASE(test_sched__two_workers_run_at_once)
{
	struct par p = {0};
	int prev = gocsp_maxprocs(2);
	gocsp_wg_add(&p.wg, 2);
	GO(spinner, &p);
	GO(spinner, &p);
	gocsp_wg_wait(&p.wg);
	gocsp_maxprocs(prev);
	EXPECT_EQ(atomic_load(&p.saw_both), 2);
	EXPECT(!pthread_equal(p.who[0], p.who[1]));
}

/*
 * Coroutines that share a worker by yielding spread to a worker that is
 * idle: they start together on one worker (GOMAXPROCS 1), then a second
 * worker comes.  Neither computes long enough between yields for a thief
 * to take it from a busy worker, so only their yields can move one over
 * within the bound of 20,000 yields each.  Without that they stay until
 * the kernel stops the busy worker's thread for 5 us, which makes it look
 * stuck: here that came within the bound in about half of the runs.
 */
struct sharing {
	atomic_int busy[2];
	atomic_int overlap;
	gocsp_waitgroup wg;
};

struct sharer {
	struct sharing *s;
	int i;
};

static void
sharer(void *arg)
{
	struct sharer *a = arg;
	struct sharing *s = a->s;
	for (int n = 0; n < 20000 && !atomic_load(&s->overlap); n++) {
		int64_t t1 = gocsp_now();
		atomic_store(&s->busy[a->i], 1);
		while (gt_since(t1) < GOCSP_US(1))
			if (atomic_load(&s->busy[1 - a->i]))
				atomic_store(&s->overlap, 1);
		atomic_store(&s->busy[a->i], 0);
		gocsp_yield();
	}
	gocsp_wg_done(&s->wg);
}

CO_CASE(test_sched__yielding_coroutines_spread)
{
	struct sharing s = {0};
	struct sharer a[2] = {{&s, 0}, {&s, 1}};
	int prev = gocsp_maxprocs(1);
	gocsp_wg_add(&s.wg, 2);
	GO(sharer, &a[0]);
	GO(sharer, &a[1]);
	gocsp_yield();
	gocsp_maxprocs(2);
	gocsp_wg_wait(&s.wg);
	gocsp_maxprocs(prev);
	EXPECT(atomic_load(&s.overlap));
}

/* ---------------------------------------------------------------------- */

struct many {
	atomic_long sum;
	gocsp_waitgroup wg;
};

static void
many_one(void *arg)
{
	struct many *m = arg;
	atomic_fetch_add(&m->sum, 3);
	gocsp_wg_done(&m->wg);
}

CO_CASE(test_sched__many_coroutines)
{
	struct many m = {0};
	long i, n = GT_TSAN ? gt_n(4000, 4000) : gt_n(100000, 10000);
	gocsp_wg_add(&m.wg, (int) n);
	for (i = 0; i < n; i++) {
		if (gocsp_go(many_one, &m) != 0) {
			gt_failf(__FILE__, __LINE__, "gocsp_go failed at %ld",
			    i);
			gocsp_wg_add(&m.wg, (int) -(n - i));
			break;
		}
	}
	gocsp_wg_wait(&m.wg);
	EXPECT_EQ(atomic_load(&m.sum), 3 * n);
}

/* ---------------------------------------------------------------------- */

/*
 * Fork-join: a node over n leaves spawns a coroutine per half and waits
 * for both.  Two workers steal subtrees from each other while they run;
 * a G lost or run twice by the spawn deques would hang the join or
 * miscount the leaves.  The tree must run depth first: the leaves
 * sample how many coroutines are alive, which stays near the tree's
 * depth per worker, where a breadth-first order keeps whole levels.
 */
struct fj_tree {
	atomic_long peak;
};

struct fj_node {
	struct fj_tree *t;
	long n, sum;
	gocsp_waitgroup *done;
};

static void
fj_node(void *arg)
{
	struct fj_node *x = arg;
	if (x->n == 1) {
		long alive = gocsp_num_coroutines();
		long peak = atomic_load(&x->t->peak);
		while (alive > peak &&
		    !atomic_compare_exchange_weak(&x->t->peak, &peak, alive))
			;
		x->sum = 1;
	} else {
		gocsp_waitgroup wg = {0};
		struct fj_node l = {x->t, x->n / 2, 0, &wg};
		struct fj_node r = {x->t, x->n - x->n / 2, 0, &wg};
		gocsp_wg_add(&wg, 2);
		GO(fj_node, &l);
		GO(fj_node, &r);
		gocsp_wg_wait(&wg);
		x->sum = l.sum + r.sum;
	}
	gocsp_wg_done(x->done);
}

CO_CASE(test_sched__fork_join_runs_depth_first)
{
	struct fj_tree t = {0};
	gocsp_waitgroup wg = {0};
	long n = gt_n(100000, 10000);
	struct fj_node root = {&t, n, 0, &wg};
	int prev = gocsp_maxprocs(2);
	gocsp_wg_add(&wg, 1);
	GO(fj_node, &root);
	gocsp_wg_wait(&wg);
	gocsp_maxprocs(prev);
	EXPECT_EQ(root.sum, n);
	/* 17 levels: a path of waiting nodes and their unstarted siblings
	 * per worker, and what the other tests leave behind. */
	EXPECT_LE(atomic_load(&t.peak), 400);
}

/* ---------------------------------------------------------------------- */

struct deep {
	long result;
	gocsp_waitgroup wg;
};

static long __attribute__((noinline)) recurse(int depth)
{
	volatile char pad[128];
	long r;
	pad[0] = (char) depth;
	pad[127] = (char) (depth >> 8);
	if (depth == 0)
		return 0;
	r = recurse(depth - 1) + pad[0] - (char) depth + 1;
	return r + pad[127] - (char) (depth >> 8);
}

static void
big_stack_user(void *arg)
{
	struct deep *d = arg;
	volatile unsigned char big[1 << 20];
	long sum = 0;
	size_t i;
	for (i = 0; i < sizeof big; i += 512)
		big[i] = (unsigned char) (i / 512 + 1);
	for (i = 0; i < sizeof big; i += 512)
		sum += big[i];
	d->result = recurse(10000) + (sum > 0);
	gocsp_wg_done(&d->wg);
}

static void
small_user(void *arg)
{
	struct deep *d = arg;
	d->result = recurse(20);
	gocsp_wg_done(&d->wg);
}

CO_CASE(test_sched__go_stack_large)
{
	struct deep d = {0};
	gocsp_wg_add(&d.wg, 1);
	EXPECT_EQ(gocsp_go_stack(big_stack_user, &d, 16u << 20), 0);
	gocsp_wg_wait(&d.wg);
	EXPECT_EQ(d.result, 10001);
	/* 0 means the default size */
	d.result = 0;
	gocsp_wg_add(&d.wg, 1);
	EXPECT_EQ(gocsp_go_stack(small_user, &d, 0), 0);
	gocsp_wg_wait(&d.wg);
	EXPECT_EQ(d.result, 20);
}

/* ---------------------------------------------------------------------- */

/*
 * Go's test/chan/sieve1.go, with shutdown: the consumer closes the last
 * channel; a stage whose send fails closes its input, so the closing
 * walks back up the chain to the generator.
 */
enum { NPRIMES = 100 };

struct stage {
	gocsp_chan *in, *out;
	int prime;
	gocsp_waitgroup *wg;
};

static void
generate(void *arg)
{
	struct stage *s = arg;
	int i;
	for (i = 2;; i++)
		if (gocsp_chan_send(s->out, &i) != 0)
			break;
	gocsp_wg_done(s->wg);
}

static void
filter(void *arg)
{
	struct stage *s = arg;
	int i;
	while (gocsp_chan_recv(s->in, &i) == 0) {
		if (i % s->prime != 0 && gocsp_chan_send(s->out, &i) != 0)
			break;
	}
	(void) gocsp_chan_close(s->in);
	gocsp_wg_done(s->wg);
}

CO_CASE(test_sched__sieve)
{
	gocsp_waitgroup wg = {0};
	struct stage st[NPRIMES + 1];
	gocsp_chan *chans[NPRIMES + 1];
	int primes[NPRIMES], n = 0, cand, k;

	/* the reference list */
	for (cand = 2; n < NPRIMES; cand++) {
		int ok = 1, d;
		for (d = 2; d * d <= cand; d++)
			if (cand % d == 0)
				ok = 0;
		if (ok)
			primes[n++] = cand;
	}

	chans[0] = gocsp_chan_make(sizeof(int), 0);
	st[0] = (struct stage){NULL, chans[0], 0, &wg};
	gocsp_wg_add(&wg, 1);
	GO(generate, &st[0]);
	for (k = 0; k < NPRIMES; k++) {
		int prime = -1;
		EXPECT_EQ(gocsp_chan_recv(chans[k], &prime), 0);
		EXPECT_EQ(prime, primes[k]);
		if (k + 1 == NPRIMES)
			break;
		chans[k + 1] = gocsp_chan_make(sizeof(int), 0);
		st[k + 1] = (struct stage){chans[k], chans[k + 1], prime, &wg};
		gocsp_wg_add(&wg, 1);
		GO(filter, &st[k + 1]);
	}
	EXPECT_EQ(gocsp_chan_close(chans[NPRIMES - 1]), 0);
	gocsp_wg_wait(&wg);
	for (k = 0; k < NPRIMES; k++)
		gocsp_chan_release(chans[k]);
}

/* ---------------------------------------------------------------------- */
/* Arguments by value (gocsp_go_args, GOCSP_GO)                            */

struct job {
	long a, b;
	gocsp_chan *out;
};

static void
add_job(void *arg)
{
	struct job *j = arg;
	long sum = j->a + j->b;
	EXPECT_EQ((uintptr_t) arg % _Alignof(max_align_t), 0);
	gocsp_yield(); /* the copy outlives a switch, and a move of worker */
	EXPECT_EQ(j->a + j->b, sum);
	gocsp_chan_send(j->out, &sum);
}

static void *
spawn_jobs_thread(void *out)
{
	for (long i = 0; i < 100; i++)
		EXPECT_EQ(GOCSP_GO(add_job, struct job, .a = i, .b = 1000,
		              .out = out),
		    0);
	return NULL;
}

/* Each coroutine gets its own copy of its arguments, taken when it is
 * started: the caller's compound literal is gone by the time most run,
 * and spawns from a plain thread work the same. */
CO_CASE(test_sched__go_args_copied)
{
	enum { N = 2000 };
	gocsp_chan *out = gocsp_chan_make(sizeof(long), 64);
	long total = 0, want = 0, v;
	pthread_t t = gt_thread(spawn_jobs_thread, out);
	for (long i = 0; i < N; i++) {
		EXPECT_EQ(GOCSP_GO(add_job, struct job, .a = i, .b = 2 * i,
		              .out = out),
		    0);
		want += 3 * i;
	}
	for (long i = 0; i < 100; i++)
		want += i + 1000;
	for (long i = 0; i < N + 100; i++) {
		EXPECT_EQ(gocsp_chan_recv(out, &v), 0);
		total += v;
	}
	pthread_join(t, NULL);
	EXPECT_EQ(total, want);
	gocsp_chan_release(out);
}

struct big_args {
	unsigned char bytes[GOCSP_GO_ARGS_MAX - sizeof(gocsp_waitgroup *)];
	gocsp_waitgroup *wg;
};

static void
check_big_args(void *arg)
{
	struct big_args *b = arg;
	for (size_t i = 0; i < sizeof b->bytes; i++)
		if (b->bytes[i] != (unsigned char) (i * 7)) {
			EXPECT_EQ(b->bytes[i], (unsigned char) (i * 7));
			break;
		}
	gocsp_wg_done(b->wg);
}

/* GOCSP_GO_ARGS_MAX bytes are copied whole; one more is refused. */
CO_CASE(test_sched__go_args_limit)
{
	static unsigned char raw[GOCSP_GO_ARGS_MAX + 1];
	gocsp_waitgroup wg = {0};
	struct big_args a;
	for (size_t i = 0; i < sizeof a.bytes; i++)
		a.bytes[i] = (unsigned char) (i * 7);
	a.wg = &wg;
	EXPECT_EQ(sizeof a, GOCSP_GO_ARGS_MAX);
	gocsp_wg_add(&wg, 1);
	EXPECT_EQ(gocsp_go_args(check_big_args, &a, sizeof a), 0);
	memset(&a, 0, sizeof a.bytes); /* the coroutine has its own copy */
	gocsp_wg_wait(&wg);
	EXPECT_EQ(gocsp_go_args(check_big_args, raw, sizeof raw),
	    GOCSP_EINVAL);
	EXPECT_EQ(gocsp_go_args(check_big_args, NULL, 8), GOCSP_EINVAL);
}

/* ---------------------------------------------------------------------- */

static long
rss_bytes(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

/*
 * A million coroutines parked on one channel at once (20,000 under
 * sanitizers), then released by close.  Only the pages a coroutine
 * touches may cost memory: under 6 KiB each.
 */
CO_CASE(test_sched__million_parked)
{
	struct parked p = {0};
	/* ThreadSanitizer counts each coroutine as a thread (limit 8128) */
	long n = GT_TSAN ? gt_n(4000, 4000) : gt_n(1000000, 20000);
	long i, spawned = 0;
	long before, after;
	int64_t t0;

	alarm((unsigned) (GT_SANITIZED ? 1200 : 240));
	p.c = gocsp_chan_make(0, 0);
	before = rss_bytes();
	gocsp_wg_add(&p.wg, (int) n);
	for (i = 0; i < n; i++) {
		int rc = gocsp_go(park_on_chan, &p);
		if (rc != 0) {
			gt_failf(__FILE__, __LINE__,
			    "gocsp_go failed after %ld coroutines: %s", i,
			    gocsp_strerror(rc));
			gocsp_wg_add(&p.wg, (int) -(n - i));
			break;
		}
		spawned++;
		if (i % 4096 == 4095)
			gocsp_yield();
	}
	t0 = gocsp_now();
	while (atomic_load(&p.started) < spawned &&
	    gt_since(t0) < GOCSP_SEC(GT_SANITIZED ? 600 : 120))
		gocsp_sleep(GOCSP_MS(5));
	EXPECT_EQ(atomic_load(&p.started), spawned);
	gocsp_sleep(GOCSP_MS(20));
	after = rss_bytes();
	EXPECT_GE(gocsp_num_coroutines(), spawned + 1);
	if (before > 0 && after > 0 && spawned > 0 && !GT_SANITIZED) {
		long per = (after - before) / spawned;
		fprintf(stderr,
		    "million_parked: %ld coroutines, %ld bytes "
		    "RSS each\n",
		    spawned, per);
		EXPECT_LE(per, 6 * 1024);
	}
	EXPECT_EQ(gocsp_chan_close(p.c), 0);
	gocsp_wg_wait(&p.wg);
	gocsp_chan_release(p.c);
}

/*
 * GOCSP_MAXPROCS is read when the runtime starts: each mode runs in a
 * fresh process with it set (gt_child passes the environment on).
 */
static int
child_main(const char *mode, char **args)
{
	int want = atoi(mode);
	int got = gocsp_maxprocs(0);
	if (got != want) {
		fprintf(stderr, "GOCSP_MAXPROCS=%s: %d processors, want %d\n",
		    getenv("GOCSP_MAXPROCS"), got, want);
		return 1;
	}
	return 0;
}

static void
maxprocs_env(const char *value, int want)
{
	char err[512], mode[16];
	int status;
	setenv("GOCSP_MAXPROCS", value, 1);
	snprintf(mode, sizeof mode, "%d", want);
	status = gt_child(mode, err, sizeof err);
	unsetenv("GOCSP_MAXPROCS");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("GOCSP_MAXPROCS=%s: status %#x: %s", value, status,
		    err);
}

/* The default is the CPU count; GOCSP_MAXPROCS sets it, at most 1024;
 * a value that is not a positive number is ignored. */
static void
test_sched__maxprocs_from_environment(void **state)
{
	int ncpu = gocsp_numcpu();
	const char *saved = getenv("GOCSP_MAXPROCS");
	char *copy = saved != NULL ? strdup(saved) : NULL;
	(void) state;
	maxprocs_env("3", 3);
	maxprocs_env("1", 1);
	maxprocs_env("100000", 1024);
	maxprocs_env("0", ncpu);
	maxprocs_env("-2", ncpu);
	maxprocs_env("many", ncpu);
	maxprocs_env("", ncpu);
	if (copy != NULL) {
		setenv("GOCSP_MAXPROCS", copy, 1);
		free(copy);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_sched__maxprocs),
	    GT_CASE(test_sched__maxprocs_from_environment),
	    GT_CASE(test_sched__run_returns_after_main),
	    GT_CASE(test_sched__go_from_coroutine),
	    GT_CASE(test_sched__go_from_plain_threads),
	    GT_CASE(test_sched__self_ids),
	    GT_CASE(test_sched__self_zero_on_threads),
	    GT_CASE(test_sched__num_coroutines),
	    GT_CASE(test_sched__yield_interleaves),
	    GT_CASE(test_sched__maxprocs_moves_caller),
	    GT_CASE(test_sched__two_workers_run_at_once),
	    GT_CASE(test_sched__yielding_coroutines_spread),
	    GT_CASE(test_sched__many_coroutines),
	    GT_CASE(test_sched__fork_join_runs_depth_first),
	    GT_CASE(test_sched__go_stack_large),
	    GT_CASE(test_sched__sieve),
	    GT_CASE(test_sched__go_args_copied),
	    GT_CASE(test_sched__go_args_limit),
	    GT_CASE(test_sched__million_parked),
	};
	return GT_MAIN_WITH_CHILD(tests, argc, argv, child_main);
}
