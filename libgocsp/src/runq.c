/*
 * Design notes: run queues, after Go's proc.go (runqput, runqget,
 * runqgrab, runqsteal, globrunqput).
 *
 * A P's local queue is a ring of GOCSP__RUNQ_SIZE slots: the owner stores
 * at tail (release) and everyone takes from head with a CAS, so thieves
 * need no lock.  runnext holds the G readied last: it runs before the ring
 * and inherits the time slice, which makes a channel handoff a pair of
 * context switches on one worker.  Because nothing preempts, the owner
 * takes at most RUNNEXT_STREAK Gs in a row from runnext before serving the
 * ring, so two coroutines handing a value back and forth cannot starve
 * the rest.  A full ring moves half of itself to the global queue.
 *
 * The global queue, under sched.lock, is a list of batches of up to
 * GOCSP__GLOBAL_BATCH Gs, chained through schedlink; the first G of each
 * batch knows the batch's last G, its size and the next batch.  A taker
 * detaches a whole batch in constant time and walks it into its ring
 * after releasing the lock: the Gs are usually cold in the taker's cache
 * (another worker queued them), and a walk under the lock would hold
 * every other worker up for one cache miss per G.  Single Gs join the
 * last batch while it has room.  runqsize is also read without the lock
 * as a hint.
 */
#include "proc.h"

#define RUNNEXT_STREAK 64

static inline struct gocsp__g *
slot_load(struct gocsp__p *p, uint32_t i)
{
	return atomic_load_explicit(
	    &p->runq[i % GOCSP__RUNQ_SIZE], memory_order_relaxed);
}

static inline void
slot_store(struct gocsp__p *p, uint32_t i, struct gocsp__g *g)
{
	atomic_store_explicit(
	    &p->runq[i % GOCSP__RUNQ_SIZE], g, memory_order_relaxed);
}

/* Move half the ring plus g to the global queue.  false if thieves raced. */
static bool
runqputslow(struct gocsp__p *p, struct gocsp__g *g, uint32_t h, uint32_t t)
{
	struct gocsp__g *batch[GOCSP__RUNQ_SIZE / 2 + 1];
	uint32_t n = (t - h) / 2;
	for (uint32_t i = 0; i < n; i++)
		batch[i] = slot_load(p, h + i);
	if (!atomic_compare_exchange_strong_explicit(&p->runqhead, &h, h + n,
	        memory_order_release, memory_order_relaxed))
		return false;
	batch[n] = g;
	for (uint32_t i = 0; i < n; i++)
		batch[i]->schedlink = batch[i + 1];
	gocsp__lock_acquire(&gocsp__sched.lock);
	gocsp__globrunqputbatch(batch[0], batch[n], (long) n + 1);
	gocsp__lock_release(&gocsp__sched.lock);
	return true;
}

void
gocsp__runqput_slow(struct gocsp__p *p, struct gocsp__g *g, bool next)
{
	if (next) {
		struct gocsp__g *old = atomic_exchange_explicit(
		    &p->runnext, g, memory_order_acq_rel);
		if (old == NULL)
			return;
		g = old; /* kick the old runnext to the ring */
	}
	for (;;) {
		uint32_t h = atomic_load_explicit(
		    &p->runqhead, memory_order_acquire);
		uint32_t t = atomic_load_explicit(
		    &p->runqtail, memory_order_relaxed);
		if (t - h < GOCSP__RUNQ_SIZE) {
			slot_store(p, t, g);
			atomic_store_explicit(
			    &p->runqtail, t + 1, memory_order_release);
			return;
		}
		if (runqputslow(p, g, h, t))
			return;
	}
}

static struct gocsp__g *
ring_get(struct gocsp__p *p)
{
	for (;;) {
		uint32_t h = atomic_load_explicit(
		    &p->runqhead, memory_order_acquire);
		uint32_t t = atomic_load_explicit(
		    &p->runqtail, memory_order_relaxed);
		if (t == h)
			return NULL;
		struct gocsp__g *g = slot_load(p, h);
		if (atomic_compare_exchange_weak_explicit(&p->runqhead, &h,
		        h + 1, memory_order_release, memory_order_relaxed))
			return g;
	}
}

struct gocsp__g *
gocsp__runqget(struct gocsp__p *p)
{
	struct gocsp__g *g;
	if (p->runnext_streak >= RUNNEXT_STREAK) {
		p->runnext_streak = 0;
		if ((g = ring_get(p)) != NULL)
			return g;
	}
	g = atomic_load_explicit(&p->runnext, memory_order_relaxed);
	if (g != NULL &&
	    atomic_compare_exchange_strong_explicit(&p->runnext, &g, NULL,
	        memory_order_acq_rel, memory_order_relaxed)) {
		p->runnext_streak++;
		return g;
	}
	p->runnext_streak = 0;
	return ring_get(p);
}

uint32_t
gocsp__runqlen(struct gocsp__p *p)
{
	return atomic_load_explicit(&p->runqtail, memory_order_relaxed) -
	    atomic_load_explicit(&p->runqhead, memory_order_relaxed);
}

bool
gocsp__runqempty(struct gocsp__p *p)
{
	/* Go's runqempty: a consistent snapshot despite concurrent kicks
	 * of runnext into the ring. */
	for (;;) {
		uint32_t h = atomic_load(&p->runqhead);
		uint32_t t = atomic_load(&p->runqtail);
		struct gocsp__g *next = atomic_load(&p->runnext);
		if (t == atomic_load(&p->runqtail))
			return h == t && next == NULL;
	}
}

/* Grab half of victim's ring into batch[bh...]; the last resort also
 * takes runnext. */
static uint32_t
runqgrab(struct gocsp__p *victim, struct gocsp__p *p, uint32_t bh,
    bool stealnext)
{
	for (;;) {
		uint32_t h = atomic_load_explicit(
		    &victim->runqhead, memory_order_acquire);
		uint32_t t = atomic_load_explicit(
		    &victim->runqtail, memory_order_acquire);
		uint32_t n = t - h;
		n = n - n / 2;
		if (n == 0) {
			if (!stealnext)
				return 0;
			struct gocsp__g *next = atomic_load_explicit(
			    &victim->runnext, memory_order_relaxed);
			if (next == NULL ||
			    !atomic_compare_exchange_strong_explicit(
			        &victim->runnext, &next, NULL,
			        memory_order_acq_rel, memory_order_relaxed))
				return 0;
			slot_store(p, bh, next);
			return 1;
		}
		if (n > GOCSP__RUNQ_SIZE / 2)
			continue; /* inconsistent h and t */
		for (uint32_t i = 0; i < n; i++)
			slot_store(p, bh + i, slot_load(victim, h + i));
		if (atomic_compare_exchange_strong_explicit(&victim->runqhead,
		        &h, h + n, memory_order_release, memory_order_relaxed))
			return n;
	}
}

struct gocsp__g *
gocsp__runqsteal(struct gocsp__p *p, struct gocsp__p *victim, bool stealnext)
{
	uint32_t t =
	    atomic_load_explicit(&p->runqtail, memory_order_relaxed);
	uint32_t n = runqgrab(victim, p, t, stealnext);
	if (n == 0)
		return NULL;
	n--;
	struct gocsp__g *g = slot_load(p, t + n);
	if (n > 0)
		atomic_store_explicit(
		    &p->runqtail, t + n, memory_order_release);
	return g;
}

void
gocsp__globrunqputbatch(struct gocsp__g *head, struct gocsp__g *tail, long n)
{
	struct gocsp__g *last = gocsp__sched.runqlast;
	tail->schedlink = NULL;
	if (last != NULL && last->batch.n + n <= GOCSP__GLOBAL_BATCH) {
		last->batch.tail->schedlink = head;
		last->batch.tail = tail;
		last->batch.n += n;
	} else {
		head->batch.next = NULL;
		head->batch.tail = tail;
		head->batch.n = n;
		if (last != NULL)
			last->batch.next = head;
		else
			gocsp__sched.runqhead = head;
		gocsp__sched.runqlast = head;
	}
	/* Sequentially consistent: pairs with a spinning M's last look at
	 * the queues after it stops spinning (find_runnable). */
	atomic_fetch_add(&gocsp__sched.runqsize, n);
}

void
gocsp__globrunqput(struct gocsp__g *g)
{
	gocsp__globrunqputbatch(g, g, 1);
}

struct gocsp__g *
gocsp__globrunqtake(long max, long *n)
{
	struct gocsp__g *b = gocsp__sched.runqhead;
	if (b == NULL)
		return NULL;
	long k = b->batch.n < max ? b->batch.n : max;
	if (k == b->batch.n) {
		gocsp__sched.runqhead = b->batch.next;
		if (gocsp__sched.runqhead == NULL)
			gocsp__sched.runqlast = NULL;
	} else {
		/* Split: the rest becomes the batch. */
		struct gocsp__g *cut = b;
		for (long i = 1; i < k; i++)
			cut = cut->schedlink;
		struct gocsp__g *rest = cut->schedlink;
		rest->batch.next = b->batch.next;
		rest->batch.tail = b->batch.tail;
		rest->batch.n = b->batch.n - k;
		cut->schedlink = NULL;
		gocsp__sched.runqhead = rest;
		if (gocsp__sched.runqlast == b)
			gocsp__sched.runqlast = rest;
	}
	atomic_fetch_sub_explicit(
	    &gocsp__sched.runqsize, k, memory_order_relaxed);
	*n = k;
	return b;
}

struct gocsp__g *
gocsp__runqput_chain(struct gocsp__p *p, struct gocsp__g *head, long n)
{
	struct gocsp__g *g = head->schedlink;
	for (long i = 1; i < n; i++) {
		struct gocsp__g *next = g->schedlink;
		gocsp__runqput(p, g, false);
		g = next;
	}
	return head;
}
