/*
 * Contexts: background, cancel trees (descendants yes, parents and
 * siblings no), done channels in select, error values, deadlines and
 * timeouts (not early, not much late, min over the ancestry), values,
 * cancel from another worker or thread while coroutines wait on done,
 * many timed contexts without leaks, release orders, and cancel racing
 * release and creation across threads.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

#include <time.h>

/* done is closed (a receive completes with GOCSP_ECLOSED at once). */
static int
is_closed(gocsp_chan *c)
{
	return c != NULL && gocsp_chan_tryrecv(c, NULL) == GOCSP_ECLOSED;
}

static int
is_open(gocsp_chan *c)
{
	return c != NULL && gocsp_chan_tryrecv(c, NULL) == GOCSP_EAGAIN;
}

static void
nap_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* ---------------------------------------------------------------------- */

CO_CASE(test_ctx__background)
{
	gocsp_ctx *bg = gocsp_ctx_background();
	int64_t d = 42;
	int key;
	EXPECT(bg != NULL);
	EXPECT(gocsp_ctx_background() == bg);
	EXPECT(gocsp_ctx_done(bg) == NULL);
	EXPECT_EQ(gocsp_ctx_err(bg), 0);
	EXPECT_EQ(gocsp_ctx_deadline(bg, &d), 0);
	EXPECT_EQ(d, 42);
	EXPECT(gocsp_ctx_value(bg, &key) == NULL);
	/* no-ops, any number of times */
	gocsp_ctx_cancel(bg);
	EXPECT(gocsp_ctx_retain(bg) == bg);
	gocsp_ctx_release(bg);
	gocsp_ctx_release(bg);
	gocsp_ctx_release(bg);
	EXPECT_EQ(gocsp_ctx_err(bg), 0);
	EXPECT(gocsp_ctx_done(bg) == NULL);

	/* a value context on background alone: no done channel, no error */
	gocsp_ctx *v = gocsp_ctx_with_value(bg, &key, &d);
	EXPECT(v != NULL);
	EXPECT(gocsp_ctx_done(v) == NULL);
	gocsp_ctx_cancel(v);
	EXPECT_EQ(gocsp_ctx_err(v), 0);
	EXPECT_EQ(gocsp_ctx_deadline(v, NULL), 0);
	EXPECT(gocsp_ctx_value(v, &key) == &d);
	gocsp_ctx_release(v);

	/* a child of background is not canceled with anything else */
	gocsp_ctx *c = gocsp_ctx_with_cancel(bg);
	EXPECT(c != NULL);
	EXPECT(is_open(gocsp_ctx_done(c)));
	gocsp_ctx_cancel(c);
	EXPECT(is_closed(gocsp_ctx_done(c)));
	EXPECT_EQ(gocsp_ctx_err(bg), 0);
	gocsp_ctx_release(c);
}

/* ---------------------------------------------------------------------- */

#define TREE_DEPTH 5
#define TREE_WIDTH 3
#define TREE_MAX 400 /* 1 + 3 + 9 + 27 + 81 + 243 = 364 */

struct tree {
	gocsp_ctx *n[TREE_MAX];
	int parent[TREE_MAX]; /* index, -1 for the root */
	int depth[TREE_MAX];
	int count;
};

/* A tree of cancel contexts, except that every node at depth 2 is a value
 * context: their children link past them to the nodes at depth 1. */
static void
tree_build(struct tree *t, gocsp_ctx *root_parent)
{
	int i, j, k;
	t->count = 1;
	t->n[0] = gocsp_ctx_with_cancel(root_parent);
	t->parent[0] = -1;
	t->depth[0] = 0;
	EXPECT(t->n[0] != NULL);
	for (i = 0; i < t->count; i++) {
		if (t->depth[i] == TREE_DEPTH)
			continue;
		for (j = 0; j < TREE_WIDTH; j++) {
			k = t->count++;
			t->parent[k] = i;
			t->depth[k] = t->depth[i] + 1;
			t->n[k] = t->depth[k] == 2
			    ? gocsp_ctx_with_value(t->n[i], &t->n[k], t)
			    : gocsp_ctx_with_cancel(t->n[i]);
			EXPECT(t->n[k] != NULL);
		}
	}
}

static int
tree_is_under(struct tree *t, int i, int anc)
{
	for (; i >= 0; i = t->parent[i])
		if (i == anc)
			return 1;
	return 0;
}

/* Release in a shuffled order: children may go before or after parents. */
static void
tree_release(struct tree *t, uint64_t seed)
{
	int order[TREE_MAX], i;
	for (i = 0; i < t->count; i++)
		order[i] = i;
	for (i = t->count - 1; i > 0; i--) {
		int j = (int) (gt_rand(&seed) % (uint64_t) (i + 1)), x;
		x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	for (i = 0; i < t->count; i++)
		gocsp_ctx_release(t->n[order[i]]);
}

CO_CASE(test_ctx__cancel_propagates_to_descendants_only)
{
	static struct tree t;
	int i, mid;
	tree_build(&t, gocsp_ctx_background());
	EXPECT_EQ(t.count, 364);
	for (i = 0; i < t.count; i++) {
		EXPECT_EQ(gocsp_ctx_err(t.n[i]), 0);
		EXPECT(is_open(gocsp_ctx_done(t.n[i])));
	}

	/* Cancel the second child of the first node at depth 1: a subtree
	 * of 1 + 3 + 9 + 27 + 81 nodes through a value level. */
	mid = 1 + TREE_WIDTH + 1; /* a node at depth 2 is a value context */
	EXPECT_EQ(t.depth[mid], 2);
	gocsp_ctx_cancel(t.n[mid]); /* value: a no-op */
	for (i = 0; i < t.count; i++)
		EXPECT_EQ(gocsp_ctx_err(t.n[i]), 0);

	mid = 1; /* depth 1: a cancel context */
	gocsp_ctx_cancel(t.n[mid]);
	int in = 0, out = 0;
	for (i = 0; i < t.count; i++) {
		if (tree_is_under(&t, i, mid)) {
			in++;
			EXPECT_EQ(gocsp_ctx_err(t.n[i]), GOCSP_ECANCELED);
			EXPECT(is_closed(gocsp_ctx_done(t.n[i])));
		} else {
			out++;
			EXPECT_EQ(gocsp_ctx_err(t.n[i]), 0);
			EXPECT(is_open(gocsp_ctx_done(t.n[i])));
		}
	}
	EXPECT_EQ(in, 121);
	EXPECT_EQ(out, 364 - 121);

	/* idempotent; the parent and the siblings stay live */
	gocsp_ctx_cancel(t.n[mid]);
	EXPECT_EQ(gocsp_ctx_err(t.n[0]), 0);
	EXPECT_EQ(gocsp_ctx_err(t.n[2]), 0);

	/* a leaf: only itself */
	int leaf = t.count - 1;
	gocsp_ctx_cancel(t.n[leaf]);
	EXPECT_EQ(gocsp_ctx_err(t.n[leaf]), GOCSP_ECANCELED);
	EXPECT_EQ(gocsp_ctx_err(t.n[t.parent[leaf]]), 0);
	EXPECT_EQ(gocsp_ctx_err(t.n[leaf - 1]), 0);

	/* the root: everything */
	gocsp_ctx_cancel(t.n[0]);
	for (i = 0; i < t.count; i++) {
		EXPECT_EQ(gocsp_ctx_err(t.n[i]), GOCSP_ECANCELED);
		EXPECT(is_closed(gocsp_ctx_done(t.n[i])));
	}
	/* a child made now starts canceled */
	gocsp_ctx *late = gocsp_ctx_with_cancel(t.n[200]);
	EXPECT_EQ(gocsp_ctx_err(late), GOCSP_ECANCELED);
	EXPECT(is_closed(gocsp_ctx_done(late)));
	gocsp_ctx_release(late);
	tree_release(&t, 12345);
}

/* Children released before the cancel of their ancestors, and the
 * ancestors released before the children are canceled. */
CO_CASE(test_ctx__tree_release_then_cancel)
{
	static struct tree t;
	int i;
	tree_build(&t, gocsp_ctx_background());
	gocsp_ctx *root = gocsp_ctx_retain(t.n[0]);
	gocsp_ctx *keep = gocsp_ctx_retain(t.n[t.count - 1]);
	tree_release(&t, 99);
	/* keep still holds its whole ancestry */
	EXPECT_EQ(gocsp_ctx_err(keep), 0);
	gocsp_ctx_cancel(root);
	EXPECT_EQ(gocsp_ctx_err(keep), GOCSP_ECANCELED);
	EXPECT(is_closed(gocsp_ctx_done(keep)));
	gocsp_ctx_release(root);
	gocsp_ctx_release(keep);
	for (i = 0; i < 3; i++) {
		gocsp_ctx *a = gocsp_ctx_with_cancel(gocsp_ctx_background());
		gocsp_ctx *b = gocsp_ctx_with_timeout(a, GOCSP_SEC(30));
		gocsp_ctx *c = gocsp_ctx_with_value(b, &i, NULL);
		gocsp_ctx *d = gocsp_ctx_with_cancel(c);
		/* parent first, then child */
		gocsp_ctx_release(a);
		gocsp_ctx_release(b);
		gocsp_ctx_release(c);
		if (i == 1)
			gocsp_ctx_cancel(d);
		EXPECT_EQ(gocsp_ctx_err(d), i == 1 ? GOCSP_ECANCELED : 0);
		gocsp_ctx_release(d);
	}
}

/* ---------------------------------------------------------------------- */

struct waitdone {
	gocsp_ctx *ctx;
	gocsp_chan *work; /* never ready */
	atomic_int ready;
	atomic_int got_done;
	atomic_int wrong;
	int64_t woke_at;
	gocsp_waitgroup wg;
};

static void
wait_done_select(void *arg)
{
	struct waitdone *w = arg;
	gocsp_case cs[2] = {
	    {.chan = w->work, .op = GOCSP_RECV},
	    {.chan = gocsp_ctx_done(w->ctx), .op = GOCSP_RECV, .ok = 7},
	};
	atomic_fetch_add(&w->ready, 1);
	int r = gocsp_select(cs, 2, GOCSP_FOREVER);
	if (r == 1 && cs[1].ok == 0 && gocsp_ctx_err(w->ctx) != 0)
		atomic_fetch_add(&w->got_done, 1);
	else
		atomic_fetch_add(&w->wrong, 1);
	w->woke_at = gocsp_now();
	gocsp_wg_done(&w->wg);
}

CO_CASE(test_ctx__done_closed_exactly_on_cancel)
{
	gocsp_ctx *ctx = gocsp_ctx_with_cancel(gocsp_ctx_background());
	gocsp_chan *data = gocsp_chan_make(sizeof(int), 1);
	gocsp_chan *done = gocsp_ctx_done(ctx);
	int v = 5, got = 0;
	EXPECT(done != NULL);
	EXPECT(gocsp_ctx_done(ctx) == done); /* the same channel each time */

	/* not ready before cancel: default, then a timeout */
	gocsp_case cs[2] = {
	    {.chan = done, .op = GOCSP_RECV},
	    {.chan = data, .op = GOCSP_RECV, .elem = &got},
	};
	EXPECT_EQ(gocsp_select(cs, 2, 0), GOCSP_EAGAIN);
	int64_t t0 = gocsp_now();
	EXPECT_EQ(gocsp_select(cs, 2, GOCSP_MS(30)), GOCSP_ETIMEDOUT);
	EXPECT_GE(gt_since(t0), GOCSP_MS(30));
	/* another case ready: that one is taken */
	EXPECT_EQ(gocsp_chan_send(data, &v), 0);
	EXPECT_EQ(gocsp_select(cs, 2, GOCSP_FOREVER), 1);
	EXPECT_EQ(got, 5);
	EXPECT_EQ(cs[1].ok, 1);

	/* a coroutine blocked on done and a never-ready channel */
	struct waitdone w = {.ctx = ctx};
	w.work = gocsp_chan_make(0, 0);
	gocsp_wg_add(&w.wg, 1);
	GO(wait_done_select, &w);
	while (atomic_load(&w.ready) == 0)
		gocsp_yield();
	gocsp_sleep(GOCSP_MS(20));
	EXPECT_EQ(atomic_load(&w.got_done), 0);
	int64_t tc = gocsp_now();
	gocsp_ctx_cancel(ctx);
	gocsp_wg_wait(&w.wg);
	EXPECT_EQ(atomic_load(&w.got_done), 1);
	EXPECT_EQ(atomic_load(&w.wrong), 0);
	EXPECT_GE(w.woke_at, tc);
	EXPECT_LE(w.woke_at - tc, GT_SLACK);

	/* closed from now on, in every select; other ready cases still
	 * compete fairly with it */
	EXPECT(is_closed(done));
	EXPECT_EQ(gocsp_select(cs, 1, 0), 0);
	EXPECT_EQ(cs[0].ok, 0);
	int seen[2] = {0, 0}, i;
	for (i = 0; i < 200; i++) {
		gocsp_chan_trysend(data, &v);
		int r = gocsp_select(cs, 2, 0);
		EXPECT(r == 0 || r == 1);
		if (r == 0 || r == 1)
			seen[r]++;
	}
	EXPECT(seen[0] > 0);
	EXPECT(seen[1] > 0);
	gocsp_ctx_cancel(ctx);
	EXPECT_EQ(gocsp_ctx_err(ctx), GOCSP_ECANCELED);
	gocsp_ctx_release(ctx);
	gocsp_chan_release(data);
	gocsp_chan_release(w.work);
}

/* ---------------------------------------------------------------------- */

CO_CASE(test_ctx__err_values)
{
	gocsp_ctx *bg = gocsp_ctx_background();
	gocsp_ctx *c = gocsp_ctx_with_cancel(bg);
	EXPECT_EQ(gocsp_ctx_err(c), 0);
	gocsp_ctx_cancel(c);
	EXPECT_EQ(gocsp_ctx_err(c), GOCSP_ECANCELED);

	/* children made of a canceled parent start canceled, whatever
	 * their kind; a value child reports the parent's state */
	gocsp_ctx *k1 = gocsp_ctx_with_cancel(c);
	gocsp_ctx *k2 = gocsp_ctx_with_timeout(c, GOCSP_SEC(10));
	gocsp_ctx *k3 = gocsp_ctx_with_value(c, &k1, NULL);
	gocsp_ctx *k4 = gocsp_ctx_with_deadline(c, gocsp_now() - 1);
	EXPECT_EQ(gocsp_ctx_err(k1), GOCSP_ECANCELED);
	EXPECT_EQ(gocsp_ctx_err(k2), GOCSP_ECANCELED);
	EXPECT_EQ(gocsp_ctx_err(k3), GOCSP_ECANCELED);
	EXPECT_EQ(gocsp_ctx_err(k4), GOCSP_ECANCELED); /* the parent wins */
	EXPECT(is_closed(gocsp_ctx_done(k1)));
	EXPECT(is_closed(gocsp_ctx_done(k2)));
	EXPECT(gocsp_ctx_done(k3) == gocsp_ctx_done(c));
	EXPECT(is_closed(gocsp_ctx_done(k4)));
	gocsp_ctx_release(k1);
	gocsp_ctx_release(k2);
	gocsp_ctx_release(k3);
	gocsp_ctx_release(k4);
	gocsp_ctx_release(c);

	/* a deadline already past, a zero timeout */
	gocsp_ctx *p = gocsp_ctx_with_deadline(bg, gocsp_now() - GOCSP_MS(1));
	gocsp_ctx *z = gocsp_ctx_with_timeout(bg, 0);
	EXPECT_EQ(gocsp_ctx_err(p), GOCSP_ETIMEDOUT);
	EXPECT_EQ(gocsp_ctx_err(z), GOCSP_ETIMEDOUT);
	EXPECT(is_closed(gocsp_ctx_done(p)));
	EXPECT(is_closed(gocsp_ctx_done(z)));
	gocsp_ctx_cancel(p); /* the first error stays */
	EXPECT_EQ(gocsp_ctx_err(p), GOCSP_ETIMEDOUT);
	/* children of a timed-out parent carry its error */
	gocsp_ctx *pk = gocsp_ctx_with_cancel(p);
	EXPECT_EQ(gocsp_ctx_err(pk), GOCSP_ETIMEDOUT);
	gocsp_ctx_release(pk);
	gocsp_ctx_release(p);
	gocsp_ctx_release(z);

	/* cancel before the deadline: ECANCELED, and it stays so */
	gocsp_ctx *t = gocsp_ctx_with_timeout(bg, GOCSP_MS(10));
	gocsp_ctx_cancel(t);
	gocsp_sleep(GOCSP_MS(30));
	EXPECT_EQ(gocsp_ctx_err(t), GOCSP_ECANCELED);
	gocsp_ctx_release(t);

	/* the deadline first: ETIMEDOUT, propagated to a child made
	 * before, and cancel does not change it */
	t = gocsp_ctx_with_timeout(bg, GOCSP_MS(10));
	gocsp_ctx *tc = gocsp_ctx_with_cancel(t);
	gocsp_ctx *tv = gocsp_ctx_with_value(tc, &t, NULL);
	EXPECT_EQ(gocsp_chan_recv(gocsp_ctx_done(tv), NULL), GOCSP_ECLOSED);
	EXPECT_EQ(gocsp_ctx_err(t), GOCSP_ETIMEDOUT);
	EXPECT_EQ(gocsp_ctx_err(tc), GOCSP_ETIMEDOUT);
	EXPECT_EQ(gocsp_ctx_err(tv), GOCSP_ETIMEDOUT);
	gocsp_ctx_cancel(t);
	gocsp_ctx_cancel(tc);
	EXPECT_EQ(gocsp_ctx_err(t), GOCSP_ETIMEDOUT);
	EXPECT_EQ(gocsp_ctx_err(tc), GOCSP_ETIMEDOUT);
	gocsp_ctx_release(tv);
	gocsp_ctx_release(tc);
	gocsp_ctx_release(t);
}

/* ---------------------------------------------------------------------- */

struct firing {
	int64_t timeout;
	int64_t created, fired;
	int err;
	gocsp_waitgroup *wg;
};

static void
wait_timeout(void *arg)
{
	struct firing *f = arg;
	f->created = gocsp_now();
	gocsp_ctx *c =
	    gocsp_ctx_with_timeout(gocsp_ctx_background(), f->timeout);
	int64_t d = 0;
	EXPECT_EQ(gocsp_ctx_deadline(c, &d), 1);
	EXPECT_GE(d, f->created + f->timeout);
	EXPECT_LE(d, gocsp_now() + f->timeout);
	EXPECT_EQ(gocsp_ctx_err(c), 0);
	EXPECT_EQ(gocsp_chan_recv(gocsp_ctx_done(c), NULL), GOCSP_ECLOSED);
	f->fired = gocsp_now();
	f->err = gocsp_ctx_err(c);
	EXPECT_GE(f->fired, d); /* never before the deadline */
	gocsp_ctx_release(c);
	gocsp_wg_done(f->wg);
}

CO_CASE(test_ctx__timeouts_fire_on_time)
{
	enum { N = 40 };
	static struct firing f[N];
	gocsp_waitgroup wg = {0};
	int i;
	gocsp_wg_add(&wg, N);
	for (i = 0; i < N; i++) {
		f[i] = (struct firing){.timeout = GOCSP_MS(5 + (i % 8) * 10),
		    .wg = &wg};
		GO(wait_timeout, &f[i]);
	}
	gocsp_wg_wait(&wg);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(f[i].err, GOCSP_ETIMEDOUT);
		EXPECT_GE(f[i].fired - f[i].created, f[i].timeout);
		EXPECT_LE(f[i].fired - f[i].created, f[i].timeout + GT_SLACK);
	}

	/* an absolute deadline, waited for in select with a timeout */
	int64_t dl = gocsp_now() + GOCSP_MS(40);
	gocsp_ctx *c = gocsp_ctx_with_deadline(gocsp_ctx_background(), dl);
	gocsp_case cs[1] = {{.chan = gocsp_ctx_done(c), .op = GOCSP_RECV}};
	EXPECT_EQ(gocsp_select(cs, 1, GOCSP_MS(10)), GOCSP_ETIMEDOUT);
	EXPECT_EQ(gocsp_ctx_err(c), 0);
	EXPECT_EQ(gocsp_select(cs, 1, GOCSP_SEC(5)), 0);
	EXPECT_GE(gocsp_now(), dl);
	EXPECT_LE(gocsp_now(), dl + GT_SLACK);
	EXPECT_EQ(gocsp_ctx_err(c), GOCSP_ETIMEDOUT);
	gocsp_ctx_release(c);
}

static void *
thread_waits_timeout(void *arg)
{
	(void) arg;
	int64_t t0 = gocsp_now();
	gocsp_ctx *c =
	    gocsp_ctx_with_timeout(gocsp_ctx_background(), GOCSP_MS(20));
	EXPECT_EQ(gocsp_chan_recv(gocsp_ctx_done(c), NULL), GOCSP_ECLOSED);
	EXPECT_GE(gt_since(t0), GOCSP_MS(20));
	EXPECT_LE(gt_since(t0), GOCSP_MS(20) + GT_SLACK);
	EXPECT_EQ(gocsp_ctx_err(c), GOCSP_ETIMEDOUT);
	gocsp_ctx_release(c);
	return NULL;
}

static void
test_ctx__timeout_on_plain_threads(void **state)
{
	pthread_t t[3];
	int i;
	(void) state;
	for (i = 0; i < 3; i++)
		t[i] = gt_thread(thread_waits_timeout, NULL);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	gt_check();
}

CO_CASE(test_ctx__deadline_is_min_of_ancestry)
{
	gocsp_ctx *bg = gocsp_ctx_background();
	int64_t now = gocsp_now(), d = 0;

	/* GOCSP_FOREVER: none of its own, still cancelable */
	gocsp_ctx *f = gocsp_ctx_with_timeout(bg, GOCSP_FOREVER);
	EXPECT(f != NULL);
	EXPECT_EQ(gocsp_ctx_deadline(f, &d), 0);
	EXPECT(is_open(gocsp_ctx_done(f)));

	gocsp_ctx *p = gocsp_ctx_with_deadline(f, now + GOCSP_SEC(10));
	EXPECT_EQ(gocsp_ctx_deadline(p, &d), 1);
	EXPECT_EQ(d, now + GOCSP_SEC(10));
	/* later than the parent's: the parent's applies */
	gocsp_ctx *later = gocsp_ctx_with_deadline(p, now + GOCSP_SEC(20));
	EXPECT_EQ(gocsp_ctx_deadline(later, &d), 1);
	EXPECT_EQ(d, now + GOCSP_SEC(10));
	/* earlier: its own */
	gocsp_ctx *earlier = gocsp_ctx_with_deadline(p, now + GOCSP_SEC(5));
	EXPECT_EQ(gocsp_ctx_deadline(earlier, &d), 1);
	EXPECT_EQ(d, now + GOCSP_SEC(5));
	/* inherited by cancel, value and forever children */
	gocsp_ctx *v = gocsp_ctx_with_value(earlier, &d, NULL);
	gocsp_ctx *cc = gocsp_ctx_with_cancel(v);
	gocsp_ctx *ff = gocsp_ctx_with_timeout(cc, GOCSP_FOREVER);
	EXPECT_EQ(gocsp_ctx_deadline(v, &d), 1);
	EXPECT_EQ(d, now + GOCSP_SEC(5));
	EXPECT_EQ(gocsp_ctx_deadline(cc, &d), 1);
	EXPECT_EQ(d, now + GOCSP_SEC(5));
	EXPECT_EQ(gocsp_ctx_deadline(ff, &d), 1);
	EXPECT_EQ(d, now + GOCSP_SEC(5));
	gocsp_ctx_cancel(f);
	EXPECT_EQ(gocsp_ctx_err(ff), GOCSP_ECANCELED);
	gocsp_ctx_release(ff);
	gocsp_ctx_release(cc);
	gocsp_ctx_release(v);
	gocsp_ctx_release(earlier);
	gocsp_ctx_release(later);
	gocsp_ctx_release(p);
	gocsp_ctx_release(f);

	/* a child with a later deadline fires with its parent */
	int64_t t0 = gocsp_now();
	gocsp_ctx *sp = gocsp_ctx_with_timeout(bg, GOCSP_MS(30));
	gocsp_ctx *sc = gocsp_ctx_with_timeout(sp, GOCSP_SEC(10));
	EXPECT_EQ(gocsp_chan_recv(gocsp_ctx_done(sc), NULL), GOCSP_ECLOSED);
	EXPECT_GE(gt_since(t0), GOCSP_MS(30));
	EXPECT_LE(gt_since(t0), GOCSP_MS(30) + GT_SLACK);
	EXPECT_EQ(gocsp_ctx_err(sc), GOCSP_ETIMEDOUT);
	gocsp_ctx_release(sp);
	gocsp_ctx_release(sc);

	/* a child with an earlier deadline fires alone */
	sp = gocsp_ctx_with_timeout(bg, GOCSP_SEC(10));
	sc = gocsp_ctx_with_timeout(sp, GOCSP_MS(20));
	EXPECT_EQ(gocsp_chan_recv(gocsp_ctx_done(sc), NULL), GOCSP_ECLOSED);
	EXPECT_EQ(gocsp_ctx_err(sc), GOCSP_ETIMEDOUT);
	EXPECT_EQ(gocsp_ctx_err(sp), 0);
	gocsp_ctx_cancel(sc);
	gocsp_ctx_cancel(sp);
	gocsp_ctx_release(sc);
	gocsp_ctx_release(sp);
}

/* ---------------------------------------------------------------------- */

CO_CASE(test_ctx__values_inherited_and_shadowed)
{
	/* keys compare by address: equal contents do not matter */
	static const char ka[] = "k", kb[] = "k", kc[] = "c";
	int va = 1, vb = 2, va2 = 3, vc = 4;
	gocsp_ctx *bg = gocsp_ctx_background();
	gocsp_ctx *a = gocsp_ctx_with_value(bg, ka, &va);
	gocsp_ctx *c = gocsp_ctx_with_cancel(a);
	gocsp_ctx *b = gocsp_ctx_with_value(c, kb, &vb);
	gocsp_ctx *t = gocsp_ctx_with_timeout(b, GOCSP_SEC(10));
	gocsp_ctx *a2 = gocsp_ctx_with_value(t, ka, &va2);
	gocsp_ctx *n = gocsp_ctx_with_value(a2, kc, NULL);

	EXPECT(gocsp_ctx_value(a, ka) == &va);
	EXPECT(gocsp_ctx_value(a, kb) == NULL);
	EXPECT(gocsp_ctx_value(c, ka) == &va);
	EXPECT(gocsp_ctx_value(b, ka) == &va);
	EXPECT(gocsp_ctx_value(b, kb) == &vb);
	EXPECT(gocsp_ctx_value(t, kb) == &vb);
	EXPECT(gocsp_ctx_value(a2, ka) == &va2); /* shadowed */
	EXPECT(gocsp_ctx_value(a2, kb) == &vb);
	EXPECT(gocsp_ctx_value(n, ka) == &va2);
	EXPECT(gocsp_ctx_value(n, kc) == NULL); /* a NULL value */
	EXPECT(gocsp_ctx_value(n, &vc) == NULL);
	EXPECT(gocsp_ctx_value(t, ka) == &va); /* above the shadow */

	/* value contexts share their nearest cancelable ancestor's done,
	 * error and deadline; cancelling one is a no-op */
	EXPECT(gocsp_ctx_done(b) == gocsp_ctx_done(c));
	EXPECT(gocsp_ctx_done(a2) == gocsp_ctx_done(t));
	EXPECT(gocsp_ctx_done(a) == NULL);
	gocsp_ctx_cancel(a2);
	EXPECT_EQ(gocsp_ctx_err(a2), 0);
	EXPECT_EQ(gocsp_ctx_err(t), 0);
	gocsp_ctx_cancel(c);
	EXPECT_EQ(gocsp_ctx_err(b), GOCSP_ECANCELED);
	EXPECT_EQ(gocsp_ctx_err(n), GOCSP_ECANCELED);
	EXPECT(is_closed(gocsp_ctx_done(n)));
	EXPECT_EQ(gocsp_ctx_err(a), 0);
	/* values survive the cancel */
	EXPECT(gocsp_ctx_value(n, kb) == &vb);

	gocsp_ctx *keep = gocsp_ctx_retain(n);
	gocsp_ctx_release(a);
	gocsp_ctx_release(c);
	gocsp_ctx_release(b);
	gocsp_ctx_release(t);
	gocsp_ctx_release(a2);
	gocsp_ctx_release(n);
	EXPECT(gocsp_ctx_value(keep, ka) == &va2); /* still held */
	gocsp_ctx_release(keep);
}

/* ---------------------------------------------------------------------- */

struct crossing {
	gocsp_ctx *root;
	gocsp_chan *never;
	atomic_int ready, got_done, wrong;
	gocsp_waitgroup wg;
};

/* Each waiter makes its own child (and a value context over it) and
 * blocks in select on its done and on a channel that never becomes
 * ready. */
static void
cross_waiter(void *arg)
{
	struct crossing *x = arg;
	gocsp_ctx *c = gocsp_ctx_with_cancel(x->root);
	gocsp_ctx *v = gocsp_ctx_with_value(c, x, NULL);
	gocsp_case cs[2] = {
	    {.chan = x->never, .op = GOCSP_RECV},
	    {.chan = gocsp_ctx_done(v), .op = GOCSP_RECV, .ok = 9},
	};
	atomic_fetch_add(&x->ready, 1);
	int r = gocsp_select(cs, 2, GOCSP_SEC(20));
	if (r == 1 && cs[1].ok == 0 && gocsp_ctx_err(v) == GOCSP_ECANCELED)
		atomic_fetch_add(&x->got_done, 1);
	else
		atomic_fetch_add(&x->wrong, 1);
	gocsp_ctx_release(v);
	gocsp_ctx_cancel(c);
	gocsp_ctx_release(c);
	gocsp_wg_done(&x->wg);
}

static void *
cross_cancel_thread(void *arg)
{
	gocsp_ctx_cancel(arg);
	return NULL;
}

static void
cross_cancel_coroutine(void *arg)
{
	gocsp_ctx_cancel(arg);
}

CO_CASE(test_ctx__cancel_from_another_worker_or_thread)
{
	int prev = gocsp_maxprocs(2), round, i;
	int n = (int) gt_n(200, 50);
	for (round = 0; round < 4; round++) {
		struct crossing x = {0};
		x.root = gocsp_ctx_with_cancel(gocsp_ctx_background());
		x.never = gocsp_chan_make(0, 0);
		gocsp_wg_add(&x.wg, n);
		for (i = 0; i < n; i++)
			GO(cross_waiter, &x);
		while (atomic_load(&x.ready) < n)
			gocsp_sleep(GOCSP_MS(1));
		gocsp_sleep(GOCSP_MS(5)); /* let them block */
		EXPECT_EQ(atomic_load(&x.got_done), 0);
		if (round % 2 == 0) {
			pthread_t t = gt_thread(cross_cancel_thread, x.root);
			gocsp_wg_wait(&x.wg);
			pthread_join(t, NULL);
		} else {
			GO(cross_cancel_coroutine, x.root);
			gocsp_wg_wait(&x.wg);
		}
		EXPECT_EQ(atomic_load(&x.got_done), n);
		EXPECT_EQ(atomic_load(&x.wrong), 0);
		gocsp_ctx_release(x.root);
		gocsp_chan_release(x.never);
	}
	gocsp_maxprocs(prev);
}

/* ---------------------------------------------------------------------- */

struct many {
	int n;
	atomic_int next_id, canceled;
	gocsp_waitgroup wg;
};

static void
many_timeouts(void *arg)
{
	struct many *m = arg;
	uint64_t seed =
	    (uint64_t) atomic_fetch_add(&m->next_id, 1) * 7919 + 17;
	gocsp_ctx *parent =
	    gocsp_ctx_with_timeout(gocsp_ctx_background(), GOCSP_SEC(30));
	int i;
	for (i = 0; i < m->n; i++) {
		uint64_t r = gt_rand(&seed);
		/* mostly long timeouts that never fire, some that fire
		 * before or while the context is released */
		int64_t to = r % 8 == 0 ? (int64_t) (r >> 8) % GOCSP_MS(2)
		                        : GOCSP_SEC(60);
		gocsp_ctx *c = gocsp_ctx_with_timeout(parent, to);
		if (c == NULL) {
			EXPECT(c != NULL);
			continue;
		}
		switch ((r >> 4) % 4) {
		case 0: /* Go's defer cancel() */
			gocsp_ctx_cancel(c);
			EXPECT(gocsp_ctx_err(c) != 0);
			atomic_fetch_add(&m->canceled, 1);
			break;
		case 1: /* released without cancel: the timer goes too */
			break;
		case 2: /* a value and a cancel child over it */
		{
			gocsp_ctx *v = gocsp_ctx_with_value(c, m, NULL);
			gocsp_ctx *k = gocsp_ctx_with_cancel(v);
			gocsp_ctx_release(v);
			gocsp_ctx_cancel(c);
			EXPECT(gocsp_ctx_err(k) != 0);
			gocsp_ctx_release(k);
			atomic_fetch_add(&m->canceled, 1);
			break;
		}
		default:
			if (to < GOCSP_SEC(1)) {
				gocsp_chan_recv(gocsp_ctx_done(c), NULL);
				EXPECT_EQ(gocsp_ctx_err(c), GOCSP_ETIMEDOUT);
			}
			break;
		}
		gocsp_ctx_release(c);
		if (i % 64 == 0)
			gocsp_yield();
	}
	gocsp_ctx_cancel(parent);
	gocsp_ctx_release(parent);
	gocsp_wg_done(&m->wg);
}

CO_CASE(test_ctx__many_timed_contexts_no_leak)
{
	struct many m = {0};
	int workers = 8;
	m.n = 10000 / workers;
	gocsp_wg_add(&m.wg, workers);
	for (int i = 0; i < workers; i++)
		GO(many_timeouts, &m);
	gocsp_wg_wait(&m.wg);
	EXPECT(atomic_load(&m.canceled) > 0);
	/* Timers that fire after their contexts are gone would be a use
	 * after free (ASan), timers left behind a leak: wait past the
	 * shortest ones. */
	gocsp_sleep(GOCSP_MS(10));
}

/* A chain deeper than any stack frame per level would allow. */
CO_CASE(test_ctx__deep_chain)
{
	int n = (int) gt_n(100000, 20000), i;
	gocsp_ctx *root = gocsp_ctx_with_cancel(gocsp_ctx_background());
	gocsp_ctx *c = gocsp_ctx_retain(root);
	for (i = 0; i < n; i++) {
		gocsp_ctx *k = i % 3 == 1 ? gocsp_ctx_with_value(c, &n, NULL)
		                          : gocsp_ctx_with_cancel(c);
		EXPECT(k != NULL);
		gocsp_ctx_release(c); /* the child holds it */
		c = k;
	}
	EXPECT(gocsp_ctx_value(c, &n) == NULL);
	EXPECT_EQ(gocsp_ctx_err(c), 0);
	gocsp_ctx_cancel(root);
	EXPECT_EQ(gocsp_ctx_err(c), GOCSP_ECANCELED);
	EXPECT(is_closed(gocsp_ctx_done(c)));
	gocsp_ctx_release(root);
	gocsp_ctx_release(c); /* frees the whole chain */
}

/* ---------------------------------------------------------------------- */

enum { RACE_KIDS = 64 };

struct race {
	gocsp_ctx *root;
	gocsp_ctx *kids[RACE_KIDS];
	gocsp_ctx *made[RACE_KIDS];
	int nmade;
	atomic_int go;
};

static void
spin_until(atomic_int *go)
{
	while (atomic_load(go) == 0)
		;
}

static void *
race_cancel(void *arg)
{
	struct race *r = arg;
	spin_until(&r->go);
	gocsp_ctx_cancel(r->root);
	return NULL;
}

static void *
race_release(void *arg)
{
	struct race *r = arg;
	spin_until(&r->go);
	for (int i = 0; i < RACE_KIDS; i++)
		gocsp_ctx_release(r->kids[i]);
	return NULL;
}

static void *
race_create(void *arg)
{
	struct race *r = arg;
	spin_until(&r->go);
	for (int i = 0; i < RACE_KIDS; i++) {
		r->made[i] = i % 2
		    ? gocsp_ctx_with_cancel(r->root)
		    : gocsp_ctx_with_timeout(r->root, GOCSP_SEC(30));
		r->nmade++;
	}
	return NULL;
}

/*
 * Threads race: one cancels the root while another releases the root's
 * children (some with timeouts that fire meanwhile, some with children
 * of their own) and a third makes new children.  Every child made, before
 * or during the cancel, ends canceled.
 */
static void
test_ctx__cancel_races_release(void **state)
{
	int rounds = (int) gt_n(300, 60), round, i;
	uint64_t seed = 5;
	(void) state;
	for (round = 0; round < rounds; round++) {
		struct race r = {0};
		r.root = gocsp_ctx_with_cancel(gocsp_ctx_background());
		for (i = 0; i < RACE_KIDS; i++) {
			uint64_t x = gt_rand(&seed);
			gocsp_ctx *k;
			switch (x % 4) {
			case 0:
				k = gocsp_ctx_with_cancel(r.root);
				break;
			case 1: /* fires during the race */
				k = gocsp_ctx_with_timeout(r.root,
				    (int64_t) (x >> 8) % GOCSP_US(300));
				break;
			case 2: /* a value level between */
			{
				gocsp_ctx *v =
				    gocsp_ctx_with_value(r.root, &r, NULL);
				k = gocsp_ctx_with_timeout(v, GOCSP_SEC(30));
				gocsp_ctx_release(v);
				break;
			}
			default: /* a grandchild, released with it */
			{
				gocsp_ctx *p = gocsp_ctx_with_cancel(r.root);
				k = gocsp_ctx_with_timeout(p, GOCSP_SEC(30));
				gocsp_ctx_release(p);
				break;
			}
			}
			assert_non_null(k);
			r.kids[i] = k;
		}
		pthread_t t[3];
		t[0] = gt_thread(race_cancel, &r);
		t[1] = gt_thread(race_release, &r);
		t[2] = gt_thread(race_create, &r);
		if (round % 8 == 0)
			nap_us(50);
		atomic_store(&r.go, 1);
		for (i = 0; i < 3; i++)
			pthread_join(t[i], NULL);
		assert_int_equal(r.nmade, RACE_KIDS);
		for (i = 0; i < RACE_KIDS; i++) {
			assert_non_null(r.made[i]);
			assert_int_equal(gocsp_ctx_err(r.made[i]),
			    GOCSP_ECANCELED);
			assert_true(is_closed(gocsp_ctx_done(r.made[i])));
			gocsp_ctx_release(r.made[i]);
		}
		assert_int_equal(gocsp_ctx_err(r.root), GOCSP_ECANCELED);
		gocsp_ctx_release(r.root);
	}
	gt_check();
}

/* Many threads share one context: each retains it, waits for it on done,
 * and releases it; the canceler's release is not the last one. */
struct shared {
	gocsp_ctx *ctx;
	atomic_int go, saw;
};

static void *
shared_user(void *arg)
{
	struct shared *s = arg;
	gocsp_ctx *mine = gocsp_ctx_retain(s->ctx);
	gocsp_ctx *kid = gocsp_ctx_with_timeout(mine, GOCSP_SEC(30));
	atomic_fetch_add(&s->go, 1);
	EXPECT_EQ(gocsp_chan_recv(gocsp_ctx_done(kid), NULL), GOCSP_ECLOSED);
	if (gocsp_ctx_err(kid) == GOCSP_ECANCELED)
		atomic_fetch_add(&s->saw, 1);
	gocsp_ctx_release(mine);
	gocsp_ctx_release(kid);
	return NULL;
}

static void
test_ctx__shared_between_threads(void **state)
{
	enum { T = 6 };
	int rounds = (int) gt_n(50, 20), round, i;
	(void) state;
	for (round = 0; round < rounds; round++) {
		struct shared s = {0};
		pthread_t t[T];
		s.ctx = gocsp_ctx_with_cancel(gocsp_ctx_background());
		for (i = 0; i < T; i++)
			t[i] = gt_thread(shared_user, &s);
		while (atomic_load(&s.go) < T)
			nap_us(100);
		gocsp_ctx_cancel(s.ctx);
		gocsp_ctx_release(s.ctx);
		for (i = 0; i < T; i++)
			pthread_join(t[i], NULL);
		assert_int_equal(atomic_load(&s.saw), T);
	}
	gt_check();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_ctx__background),
	    GT_CASE(test_ctx__cancel_propagates_to_descendants_only),
	    GT_CASE(test_ctx__tree_release_then_cancel),
	    GT_CASE(test_ctx__done_closed_exactly_on_cancel),
	    GT_CASE(test_ctx__err_values),
	    GT_CASE(test_ctx__timeouts_fire_on_time),
	    GT_CASE(test_ctx__timeout_on_plain_threads),
	    GT_CASE(test_ctx__deadline_is_min_of_ancestry),
	    GT_CASE(test_ctx__values_inherited_and_shadowed),
	    GT_CASE(test_ctx__cancel_from_another_worker_or_thread),
	    GT_CASE(test_ctx__many_timed_contexts_no_leak),
	    GT_CASE(test_ctx__deep_chain),
	    GT_CASE(test_ctx__cancel_races_release),
	    GT_CASE(test_ctx__shared_between_threads),
	};
	return GT_RUN_CASES(tests);
}
