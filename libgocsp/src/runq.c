/*
 * Design notes: run queues, after Go's proc.go (runqput, runqget,
 * runqgrab, runqsteal, globrunqput).
 *
 * A P's local queue is a ring of GOCSP__RUNQ_SIZE slots: the owner stores
 * at tail (release) and everyone takes from head with a CAS, so thieves
 * need no lock.  runnext holds the G readied last: it runs before the ring
 * and inherits the time slice, which makes a channel handoff a pair of
 * context switches on one worker.  A full ring moves half of itself to
 * the global queue.
 *
 * Spawned Gs that have not run yet wait apart, in a deque (Chase and
 * Lev's): the owner pushes and pops the newest end, thieves take the
 * oldest.  A spawn tree thus runs depth first on its worker -- a node's
 * children run before its siblings' -- and only the nodes on the current
 * path and their unstarted siblings are alive at once: a few dozen for a
 * million leaves, where a FIFO would start whole levels of the tree (Go
 * keeps a third of a million goroutines alive on the fork-join
 * benchmark).  Thieves take the oldest, the biggest subtrees, so one
 * steal feeds a worker for long.  The owner's claim of the newest and a
 * thief's look at the two ends are sequentially consistent, in place of
 * the fences of Le et al. ("Correct and efficient work-stealing for weak
 * memory models", 2013), which ThreadSanitizer cannot follow: a pop costs
 * a full barrier, but no atomic read-modify-write unless a thief races
 * for the last G.
 *
 * Because nothing preempts, the owner takes at most RING_SKIPS Gs in a
 * row from runnext and the deque before serving the ring, so two
 * coroutines handing a value back and forth, or a spawn tree, cannot
 * starve the rest.
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

#define RING_SKIPS 64

static inline struct gocsp__g *
slot_load(struct gocsp__p *p, uint32_t i)
{
	return atomic_load_explicit(&p->runq[i % GOCSP__RUNQ_SIZE],
	    memory_order_relaxed);
}

static inline void
slot_store(struct gocsp__p *p, uint32_t i, struct gocsp__g *g)
{
	atomic_store_explicit(&p->runq[i % GOCSP__RUNQ_SIZE], g,
	    memory_order_relaxed);
}

/* The ring is full: move its older half plus g to the global queue (Go's
 * runqputslow).  false if thieves raced. */
static bool
spill_half(struct gocsp__p *p, struct gocsp__g *g, uint32_t h, uint32_t t)
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
		struct gocsp__g *old = atomic_exchange_explicit(&p->runnext, g,
		    memory_order_acq_rel);
		if (old == NULL)
			return;
		g = old; /* kick the old runnext to the ring */
	}
	for (;;) {
		uint32_t h =
		    atomic_load_explicit(&p->runqhead, memory_order_acquire);
		uint32_t t =
		    atomic_load_explicit(&p->runqtail, memory_order_relaxed);
		if (t - h < GOCSP__RUNQ_SIZE) {
			slot_store(p, t, g);
			atomic_store_explicit(&p->runqtail, t + 1,
			    memory_order_release);
			return;
		}
		if (spill_half(p, g, h, t))
			return;
	}
}

static struct gocsp__g *
ring_get(struct gocsp__p *p)
{
	for (;;) {
		uint32_t h =
		    atomic_load_explicit(&p->runqhead, memory_order_acquire);
		uint32_t t =
		    atomic_load_explicit(&p->runqtail, memory_order_relaxed);
		if (t == h)
			return NULL;
		struct gocsp__g *g = slot_load(p, h);
		if (atomic_compare_exchange_weak_explicit(&p->runqhead, &h,
		        h + 1, memory_order_release, memory_order_relaxed))
			return g;
	}
}

/* ---- the spawn deque ---- */

bool
gocsp__spawnq_push(struct gocsp__p *p, struct gocsp__g *g)
{
	uint32_t b = atomic_load_explicit(&p->spawnbot, memory_order_relaxed);
	uint32_t t = atomic_load_explicit(&p->spawntop, memory_order_acquire);
	if (b - t >= GOCSP__SPAWNQ_SIZE)
		return false;
	atomic_store_explicit(&p->spawnq[b % GOCSP__SPAWNQ_SIZE], g,
	    memory_order_relaxed);
	/* Publishes g (and the G's fields) to thieves. */
	atomic_store_explicit(&p->spawnbot, b + 1, memory_order_release);
	return true;
}

/* Owner: whether p's deque may hold a G.  Only the owner raises
 * spawnbot and thieves only shrink the deque, so false is exact; the
 * common case of runqget, inline, where a pop is out of line. */
static inline bool
spawnq_maybe(struct gocsp__p *p)
{
	return (int32_t) (atomic_load_explicit(&p->spawnbot,
	                      memory_order_relaxed) -
	           atomic_load_explicit(&p->spawntop, memory_order_relaxed)) >
	    0;
}

/* Owner: the newest spawned G, or NULL. */
__attribute__((noinline)) static struct gocsp__g *
spawnq_pop(struct gocsp__p *p)
{
	uint32_t b =
	    atomic_load_explicit(&p->spawnbot, memory_order_relaxed) - 1;
	/* Claim b before looking at spawntop again: a thief that read
	 * the old spawnbot may still take b, and only the last G is
	 * fought over (by CAS).  Sequentially consistent, as a thief's
	 * reads: the store must not pass the load (Dekker). */
	atomic_store_explicit(&p->spawnbot, b, memory_order_seq_cst);
	uint32_t t = atomic_load_explicit(&p->spawntop, memory_order_seq_cst);
	struct gocsp__g *g = NULL;
	if ((int32_t) (b - t) >= 0) {
		g = atomic_load_explicit(&p->spawnq[b % GOCSP__SPAWNQ_SIZE],
		    memory_order_relaxed);
		if (b != t)
			return g;
		if (!atomic_compare_exchange_strong_explicit(&p->spawntop, &t,
		        t + 1, memory_order_seq_cst, memory_order_relaxed))
			g = NULL; /* a thief took it */
	}
	atomic_store_explicit(&p->spawnbot, b + 1, memory_order_relaxed);
	return g;
}

/* Thief: the oldest of victim's spawned Gs, or NULL (also when another
 * thief or the owner won the race for it). */
static struct gocsp__g *
spawnq_take(struct gocsp__p *victim)
{
	uint32_t t =
	    atomic_load_explicit(&victim->spawntop, memory_order_seq_cst);
	uint32_t b =
	    atomic_load_explicit(&victim->spawnbot, memory_order_seq_cst);
	if ((int32_t) (b - t) <= 0)
		return NULL;
	struct gocsp__g *g = atomic_load_explicit(
	    &victim->spawnq[t % GOCSP__SPAWNQ_SIZE], memory_order_relaxed);
	if (!atomic_compare_exchange_strong_explicit(&victim->spawntop, &t,
	        t + 1, memory_order_seq_cst, memory_order_relaxed))
		return NULL;
	return g;
}

struct gocsp__g *
gocsp__spawnq_steal(struct gocsp__p *p, struct gocsp__p *victim)
{
	struct gocsp__g *first = spawnq_take(victim);
	if (first == NULL)
		return NULL;
	/* One at a time: each take is a CAS of its own, which is what
	 * keeps them safe against the owner's pops. */
	for (uint32_t n = gocsp__spawnq_len(victim) / 2; n > 0; n--) {
		struct gocsp__g *g = spawnq_take(victim);
		if (g == NULL)
			break;
		if (!gocsp__spawnq_push(p, g)) {
			gocsp__runqput(p, g, false);
			break;
		}
	}
	return first;
}

uint32_t
gocsp__spawnq_len(struct gocsp__p *p)
{
	int32_t n = (int32_t) (atomic_load_explicit(&p->spawnbot,
	                           memory_order_relaxed) -
	    atomic_load_explicit(&p->spawntop, memory_order_relaxed));
	return n > 0 ? (uint32_t) n : 0;
}

/* ---- the local queue as a whole ---- */

struct gocsp__g *
gocsp__runqget(struct gocsp__p *p)
{
	struct gocsp__g *g;
	if (p->ring_skips >= RING_SKIPS) {
		p->ring_skips = 0;
		if ((g = ring_get(p)) != NULL)
			return g;
	}
	g = atomic_load_explicit(&p->runnext, memory_order_relaxed);
	if (g != NULL &&
	    atomic_compare_exchange_strong_explicit(&p->runnext, &g, NULL,
	        memory_order_acq_rel, memory_order_relaxed)) {
		p->ring_skips++;
		return g;
	}
	if (spawnq_maybe(p) && (g = spawnq_pop(p)) != NULL) {
		p->ring_skips++;
		return g;
	}
	p->ring_skips = 0;
	return ring_get(p);
}

bool
gocsp__runqempty(struct gocsp__p *p)
{
	if (gocsp__spawnq_len(p) != 0)
		return false;
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

/* Grab half of victim's ring into p's slots from bh on; runnext when the
 * ring is empty. */
static uint32_t
runqgrab(struct gocsp__p *victim, struct gocsp__p *p, uint32_t bh)
{
	for (;;) {
		uint32_t h = atomic_load_explicit(&victim->runqhead,
		    memory_order_acquire);
		uint32_t t = atomic_load_explicit(&victim->runqtail,
		    memory_order_acquire);
		uint32_t n = t - h;
		n = n - n / 2;
		if (n == 0) {
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
gocsp__runqsteal(struct gocsp__p *p, struct gocsp__p *victim)
{
	uint32_t t = atomic_load_explicit(&p->runqtail, memory_order_relaxed);
	uint32_t n = runqgrab(victim, p, t);
	if (n == 0)
		return NULL;
	n--;
	struct gocsp__g *g = slot_load(p, t + n);
	if (n > 0)
		atomic_store_explicit(&p->runqtail, t + n,
		    memory_order_release);
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
	atomic_fetch_sub_explicit(&gocsp__sched.runqsize, k,
	    memory_order_relaxed);
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
