/*
 * Design notes: creating, running and ending coroutines, and the public
 * scheduler calls.
 *
 * A new G gets no stack: it takes one from its P's cache when it first
 * runs.  So spawning a million coroutines that each finish at once costs
 * a million small G records, not a million stacks, and a parked coroutine
 * costs its G plus the stack pages it touched.  Dead Gs are cached per P
 * (bounded) for the next spawn, each keeping its default-size stack, as
 * Go's gfput does: a spawn that reuses one skips a stack cache round
 * trip.  Gs that move on to the global list leave their stacks behind.
 *
 * gocsp_go queues the new G on its worker's spawn deque (runq.c): the
 * spawner keeps running, and when it blocks its worker runs the newest
 * child first, so a spawn tree runs depth first and keeps only its
 * current path alive; thieves take the oldest children.  A coroutine
 * that spawns faster than its worker and the thieves run the children
 * yields once the deque is half full, so the backlog runs before it
 * spawns more.  Without that, a loop of gocsp_go calls would move its
 * overflow to the global queue and keep every child record alive at
 * once: a million spawns, a million records, and a cache miss per child
 * for whichever worker walks the global queue.
 *
 * gocsp_go_args copies the arguments to the top of the new G's stack,
 * which it therefore takes at once (a recycled G usually has one): the
 * copy costs no allocation, and is gone with the stack when the G ends.
 *
 * Every G record that exists, live or cached, is in allg (for gocsp_dump
 * and the debugger script): records are added when allocated and removed
 * when freed, both rare next to spawns, which reuse cached records.  The
 * fields the dump reads are written with relaxed atomic stores: it reads
 * them while their coroutines run.
 */
#include "proc.h"

#include <sched.h>
#include <string.h>

#include "fiber.h"

static struct {
	gocsp__lock lock;
	struct gocsp__g **a; /* under lock */
	size_t n, cap;       /* under lock */
} allg;

/* Add g to allg; false when out of memory. */
static bool
allg_add(struct gocsp__g *g)
{
	gocsp__lock_acquire(&allg.lock);
	if (allg.n == allg.cap) {
		size_t cap = allg.cap != 0 ? 2 * allg.cap : 1024;
		struct gocsp__g **a = realloc(allg.a, cap * sizeof(*a));
		if (a == NULL) {
			gocsp__lock_release(&allg.lock);
			return false;
		}
		allg.a = a;
		allg.cap = cap;
	}
	g->allgidx = allg.n;
	allg.a[allg.n++] = g;
	gocsp__lock_release(&allg.lock);
	return true;
}

static void
allg_remove(struct gocsp__g *g)
{
	gocsp__lock_acquire(&allg.lock);
	struct gocsp__g *last = allg.a[--allg.n];
	allg.a[g->allgidx] = last;
	last->allgidx = g->allgidx;
	gocsp__lock_release(&allg.lock);
}

bool
gocsp__allg_walk(void (*fn)(struct gocsp__g *g, void *arg), void *arg,
    bool try)
{
	if (!try)
		gocsp__lock_acquire(&allg.lock);
	else if (!gocsp__lock_try_patient(&allg.lock))
		return false;
	for (size_t i = 0; i < allg.n; i++)
		fn(allg.a[i], arg);
	gocsp__lock_release(&allg.lock);
	return true;
}

/*
 * The global list of dead Gs holds batches of GCACHE_MAX / 2, so moving a
 * batch in or out under gfree_lock takes constant time: its Gs were
 * last touched on another worker, and walking them under the lock would
 * hold the other workers up for a cache miss per G.
 */
struct gocsp__g *
gocsp__gnew(struct gocsp__p *p)
{
	struct gocsp__g *g;
	if (p != NULL && p->gfree == NULL &&
	    GOCSP__LOAD(&gocsp__sched.gfree) != NULL) {
		/* Refill from the global list: Gs often die on another P
		 * than the one that spawns them. */
		gocsp__lock_acquire(&gocsp__sched.gfree_lock);
		g = gocsp__sched.gfree;
		if (g != NULL) {
			GOCSP__STORE(&gocsp__sched.gfree, g->batch.next);
			gocsp__sched.ngfree -= g->batch.n;
			p->gfree = g;
			p->ngfree = (int) g->batch.n;
		}
		gocsp__lock_release(&gocsp__sched.gfree_lock);
	}
	if (p != NULL && p->gfree != NULL) {
		g = p->gfree;
		p->gfree = g->schedlink;
		p->ngfree--;
		return g;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	atomic_init(&g->status, GOCSP__G_DEAD);
	if (!allg_add(g)) {
		free(g);
		return NULL;
	}
#ifdef GOCSP_TSAN
	g->tsan_fiber = __tsan_create_fiber(0);
#endif
	return g;
}

/* Give the stack a dead G kept back to p's stack cache (p may be NULL). */
static void
drop_stack(struct gocsp__p *p, struct gocsp__g *g)
{
	if (g->stack_lo == NULL)
		return;
	gocsp__stack_put(p != NULL ? &p->stacks : NULL, g->stack_lo,
	    g->stack_size, g->stack_kind);
	g->stack_lo = NULL;
}

static void
gdestroy(struct gocsp__p *p, struct gocsp__g *g)
{
	allg_remove(g);
	drop_stack(p, g);
#ifdef GOCSP_TSAN
	__tsan_destroy_fiber(g->tsan_fiber);
#endif
	free(g);
}

void
gocsp__gfree(struct gocsp__p *p, struct gocsp__g *g)
{
	atomic_store_explicit(&g->status, GOCSP__G_DEAD, memory_order_relaxed);
	g->schedlink = p->gfree;
	p->gfree = g;
	if (++p->ngfree < GOCSP__GCACHE_MAX)
		return;
	/* Half to the global list as one batch, without their stacks (only
	 * a P's own cache keeps them); to the allocator if the list is
	 * full. */
	struct gocsp__g *batch = p->gfree, *last = batch;
	drop_stack(p, last);
	for (int i = 1; i < GOCSP__GCACHE_MAX / 2; i++) {
		last = last->schedlink;
		drop_stack(p, last);
	}
	p->gfree = last->schedlink;
	p->ngfree -= GOCSP__GCACHE_MAX / 2;
	last->schedlink = NULL;
	batch->batch.n = GOCSP__GCACHE_MAX / 2;
	gocsp__lock_acquire(&gocsp__sched.gfree_lock);
	bool keep = gocsp__sched.ngfree < GOCSP__GFREE_MAX;
	if (keep) {
		batch->batch.next = gocsp__sched.gfree;
		GOCSP__STORE(&gocsp__sched.gfree, batch);
		gocsp__sched.ngfree += GOCSP__GCACHE_MAX / 2;
	}
	gocsp__lock_release(&gocsp__sched.gfree_lock);
	while (!keep && batch != NULL) {
		g = batch->schedlink;
		gdestroy(p, batch);
		batch = g;
	}
}

void
gocsp__g_entry(void *arg)
{
	struct gocsp__g *g = arg;
	gocsp__fiber_finish(NULL);
	gocsp__finish_switch(gocsp__getm());
	g->fn(g->arg);
	gocsp__switch_out(g, GOCSP__M_EXIT);
	gocsp__throw("internal error: a dead coroutine was resumed");
}

static uint64_t
new_goid(struct gocsp__p *p)
{
	if (p == NULL)
		return atomic_fetch_add(&gocsp__sched.goid_gen, 1);
	if (p->goid_next == p->goid_end) {
		p->goid_next = atomic_fetch_add(&gocsp__sched.goid_gen, 16);
		p->goid_end = p->goid_next + 16;
	}
	return p->goid_next++;
}

/*
 * Copy the argsize bytes at args to the top of g's stack, taking the
 * stack now rather than at the first run.  Returns the copy, NULL when
 * out of memory.
 */
static void *
put_args(struct gocsp__p *p, struct gocsp__g *g, const void *args,
    size_t argsize)
{
	if (g->stack_lo == NULL) {
		g->stack_lo = gocsp__stack_get(p != NULL ? &p->stacks : NULL,
		    g->stack_size, &g->stack_kind);
		if (g->stack_lo == NULL)
			return NULL;
	}
	/* Rounded so that the copy and the first frame below it keep the
	 * alignment the ABI gives a stack top. */
	size_t space = (argsize + 15) & ~(size_t) 15;
	unsigned char *copy = g->stack_lo + g->stack_size - space;
	/* The last coroutine on this stack may have left ASan redzones. */
	gocsp__fiber_stack_reset(copy, space);
	memcpy(copy, args, argsize);
	g->argspace = space;
	return copy;
}

/* Start fn(arg), or fn(its own copy of the argsize bytes at args) when
 * argsize > 0; startfn and pc (where the public call was made) are what
 * gocsp_dump shows of it. */
static int
spawn(void (*fn)(void *), void *arg, const void *args, size_t argsize,
    size_t stack_size, void (*startfn)(void *), void *pc)
{
	if (fn == NULL || stack_size > GOCSP_STACK_MAX ||
	    argsize > GOCSP_GO_ARGS_MAX || (args == NULL && argsize > 0))
		return GOCSP_EINVAL;
	gocsp__runtime_init();
	struct gocsp__m *m = gocsp__getm();
	struct gocsp__p *p = m != NULL ? m->p : NULL;
	struct gocsp__g *g = gocsp__gnew(p);
	if (g == NULL)
		return GOCSP_ENOMEM;
	g->fn = fn;
	g->arg = arg;
	size_t size = gocsp__stack_round(stack_size);
	if (size != gocsp__stack_default())
		drop_stack(p, g); /* a kept stack has the default size */
	g->stack_size = size;
	g->argspace = 0;
	if (argsize > 0 && (g->arg = put_args(p, g, args, argsize)) == NULL) {
		if (p != NULL)
			gocsp__gfree(p, g);
		else
			gdestroy(NULL, g);
		return GOCSP_ENOMEM;
	}
	g->fresh = true;
	GOCSP__STORE(&g->id, new_goid(p));
	GOCSP__STORE(&g->startfn, startfn);
	GOCSP__STORE(&g->createdpc, pc);
	GOCSP__STORE(&g->parentid,
	    m != NULL && m->curg != NULL ? m->curg->id : (uint64_t) 0);
	atomic_store_explicit(&g->status, GOCSP__G_RUNNABLE,
	    memory_order_relaxed);
	if (p != NULL)
		atomic_store_explicit(&p->gcount,
		    atomic_load_explicit(&p->gcount, memory_order_relaxed) + 1,
		    memory_order_relaxed);
	else
		atomic_fetch_add(&gocsp__sched.gcount_threads, 1);
	if (p == NULL) {
		gocsp__put_runnable(g, true);
		return 0;
	}
	if (!gocsp__spawnq_push(p, g))
		gocsp__runqput(p, g, false);
	gocsp__wakep();
	/* A spawner that outruns its worker runs the backlog itself. */
	if (m->curg != NULL && gocsp__spawnq_len(p) >= GOCSP__SPAWNQ_SIZE / 2)
		gocsp__switch_out(m->curg, GOCSP__M_YIELD);
	return 0;
}

int
gocsp_go_stack(void (*fn)(void *), void *arg, size_t stack_size)
{
	return spawn(fn, arg, NULL, 0, stack_size, fn,
	    __builtin_return_address(0));
}

int
gocsp_go(void (*fn)(void *), void *arg)
{
	return spawn(fn, arg, NULL, 0, 0, fn, __builtin_return_address(0));
}

int
gocsp_go_args(void (*fn)(void *), const void *args, size_t size)
{
	return spawn(fn, NULL, args, size, 0, fn, __builtin_return_address(0));
}

struct run_main {
	void (*fn)(void *);
	void *arg;
	struct gocsp__waiter done;
};

static void
run_main(void *arg)
{
	struct run_main *r = arg;
	r->fn(r->arg);
	gocsp__waiter_wake(&r->done);
}

int
gocsp_run(void (*main_fn)(void *), void *arg)
{
	if (main_fn == NULL || gocsp__curg() != NULL)
		return GOCSP_EINVAL;
	struct run_main r = {.fn = main_fn, .arg = arg};
	gocsp__waiter_init(&r.done, -1, GOCSP__WAIT_RUN);
	int rc = spawn(run_main, &r, NULL, 0, 0, main_fn,
	    __builtin_return_address(0));
	if (rc != 0)
		return rc;
	gocsp__waiter_wait(&r.done, NULL, NULL);
	return 0;
}

void
gocsp_yield(void)
{
	struct gocsp__g *g = gocsp__curg();
	if (g == NULL) {
		sched_yield();
		return;
	}
	/* Behind everything queued.  While a worker is idle, through the
	 * global queue, where that worker takes it at once (Go's Gosched
	 * always goes there): thieves leave a busy worker's ring alone
	 * (sched.c), and coroutines that yield to share a CPU must still
	 * spread.  So too while the global queue holds coroutines, which a
	 * busy worker looks at only every 61st switch: they go first.
	 * Else at the local ring's tail, which is cheaper. */
	bool global = atomic_load_explicit(&gocsp__sched.npidle,
	                  memory_order_relaxed) > 0 ||
	    atomic_load_explicit(&gocsp__sched.runqsize,
	        memory_order_relaxed) > 0;
	gocsp__switch_out(g, global ? GOCSP__M_REQUEUE : GOCSP__M_YIELD);
}

bool
gocsp__yield_if_busy(void)
{
	struct gocsp__m *m = gocsp__getm();
	if (m == NULL || m->curg == NULL || m->p == NULL ||
	    gocsp__runqempty(m->p))
		return false;
	gocsp__switch_out(m->curg, GOCSP__M_YIELD);
	return true;
}

long
gocsp_num_coroutines(void)
{
	gocsp__runtime_init();
	long n = atomic_load(&gocsp__sched.gcount_threads);
	int np =
	    atomic_load_explicit(&gocsp__sched.nallp, memory_order_acquire);
	for (int i = 0; i < np; i++)
		n += atomic_load_explicit(&gocsp__sched.allp[i]->gcount,
		    memory_order_relaxed);
	return n;
}

uint64_t
gocsp_self(void)
{
	struct gocsp__g *g = gocsp__curg();
	return g != NULL ? g->id : 0;
}
