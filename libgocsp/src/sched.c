/*
 * Design notes: the scheduler, after Go's proc.go.
 *
 * An M (worker thread) runs coroutines only while it owns a P.  The M's
 * own thread stack is its scheduler context, g0: a coroutine that parks,
 * yields or exits switches to g0, and g0 decides what runs next
 * (find_runnable) and switches to it.  Switching through g0 keeps one
 * invariant simple: a G is published as waiting or runnable only after its
 * registers are saved, so no other M can resume a half-saved G.
 *
 * Park and ready.  A G that waits without a deadline parks holding the
 * lock that guards its sudog; g0 marks it WAITING and only then releases
 * that lock (Go's gopark unlockf), so whoever dequeues the sudog finds
 * the G parked and readies it with plain stores.  A wait with a deadline
 * has a timer that may fire before the park: there gocsp__ready on a G
 * that has not yet reached g0 turns RUNNING into WOKEN, g0 finds WOKEN
 * instead of committing RUNNING -> WAITING, and resumes the G at once.
 *
 * Idle Ms: an M with no work first spins (stealing what steal_work
 * allows) for a time that adapts to how soon work came before
 * (spin_adapt), at most half of the busy Ps spinning, then gives its P
 * back and sleeps on its own futex.  Work put in a run queue wakes one
 * idle M when no M is spinning (wakep), which is what keeps wake-up
 * syscalls off the hot path: while work flows, the spinner finds it.
 * One idle M sleeps with a timeout, until the earliest timer
 * (timer_sleeper); the others sleep until woken.  Dekker-style pairs
 * (work published then spinners read, or spinners decremented then
 * queues read) use sequentially consistent atomics, as in Go.
 */
#include "proc.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>

#include "fiber.h"
#include "netpoll.h"

#define SPIN_NS 50000     /* an idle M looks for work at most this long */
#define SPIN_STEP_NS 2000 /* the shortest spin beyond the quick rounds */
#define SPIN_ROUNDS 4     /* rounds before it naps between them */
#define NAP_NS 4000       /* then naps this long between rounds */
/* Queued work is stolen once it has waited this long (steal_work). */
#define STEAL_NS 5000
/* While no M sleeps in the netpoller, a spinner polls it this often. */
#define SPIN_POLL_NS 10000
#define ALTSTACK_SIZE (64 * 1024)
#define WATCH_NS 10000000    /* idle Ms look for stranded work this often */
#define DEADLOCK_NS 10000000 /* all idle this long: check for a */
#define DEADLOCK_MAX_NS 1000000000 /* deadlock; then back off to this */

struct gocsp__sched gocsp__sched;

__thread struct gocsp__m *gocsp__tls_m;

#if !defined(__x86_64__)
__attribute__((noinline)) struct gocsp__m *
gocsp__getm(void)
{
	struct gocsp__m *m = gocsp__tls_m;
	__asm__ __volatile__("" : "+r"(m));
	return m;
}
#endif

struct gocsp__g *
gocsp__curg(void)
{
	struct gocsp__m *m = gocsp__getm();
	return m != NULL ? m->curg : NULL;
}

/* ---- idle lists (sched.lock held) ---- */

static void
pidleput(struct gocsp__p *p)
{
	p->status = GOCSP__P_IDLE;
	p->link = gocsp__sched.pidle;
	gocsp__sched.pidle = p;
	atomic_fetch_add(&gocsp__sched.npidle, 1);
}

static struct gocsp__p *
pidleget(void)
{
	struct gocsp__p *p = gocsp__sched.pidle;
	if (p != NULL) {
		gocsp__sched.pidle = p->link;
		p->status = GOCSP__P_RUNNING;
		atomic_fetch_sub(&gocsp__sched.npidle, 1);
	}
	return p;
}

static void
midleput(struct gocsp__m *m)
{
	m->link = gocsp__sched.midle;
	gocsp__sched.midle = m;
	atomic_fetch_add(&gocsp__sched.nmidle, 1);
}

static void
midleremove(struct gocsp__m *m)
{
	struct gocsp__m **pp = &gocsp__sched.midle;
	while (*pp != NULL && *pp != m)
		pp = &(*pp)->link;
	if (*pp == NULL)
		return;
	*pp = m->link;
	atomic_fetch_sub(&gocsp__sched.nmidle, 1);
	if (gocsp__sched.timer_sleeper == m) {
		gocsp__sched.timer_sleeper = NULL;
		gocsp__sched.sleep_until = INT64_MAX;
	}
}

/* Mark an idle M woken, handing it p (may be NULL); sched.lock held.
 * Returns whether the M sleeps in the netpoller (see msignal). */
static bool
mwake(struct gocsp__m *m, struct gocsp__p *p, bool spinning)
{
	midleremove(m);
	m->nextp = p;
	m->spinning = spinning;
	struct gocsp__m *self = gocsp__getm();
	if (self != NULL && self->dispatching)
		GOCSP__STORE(&m->fd_woke, true);
	atomic_store(&m->wake, 1);
	return m->polling;
}

/* gocsp__netpoll on m: the Ms it wakes meanwhile are woken for work
 * that ready fds brought (spin_adapt). */
static int
netpoll_as(struct gocsp__m *m, int64_t until)
{
	m->dispatching = true;
	int n = gocsp__netpoll(until);
	m->dispatching = false;
	return n;
}

/* Rouse an M marked woken, after releasing sched.lock. */
static void
msignal(struct gocsp__m *m, bool polling)
{
	if (polling)
		gocsp__netpoll_break();
	else
		gocsp__futex_wake((uint32_t *) &m->wake, 1);
}

/* ---- starting Ms ---- */

static void schedule(struct gocsp__m *m) __attribute__((noreturn));

static void *
m_main(void *arg)
{
	struct gocsp__m *m = arg;
	gocsp__tls_m = m;
	gocsp__os_thread_init();

	m->altstack = malloc(ALTSTACK_SIZE);
	if (m->altstack != NULL)
		sigaltstack(
		    &(stack_t){.ss_sp = m->altstack, .ss_size = ALTSTACK_SIZE},
		    NULL);
	pthread_attr_t attr;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstack(&attr, &m->g0_stack_lo,
		    &m->g0_stack_size);
		pthread_attr_destroy(&attr);
	}
#ifdef GOCSP_TSAN
	m->tsan_fiber = __tsan_get_current_fiber();
#endif
	gocsp__lock_acquire(&gocsp__sched.lock);
	m->p = m->nextp;
	m->nextp = NULL;
	gocsp__lock_release(&gocsp__sched.lock);
	schedule(m);
}

/* Start a new M that will own p.  Called without sched.lock. */
static void
newm(struct gocsp__p *p, bool spinning)
{
	struct gocsp__m *m = calloc(1, sizeof(*m));
	if (m == NULL)
		gocsp__throw("out of memory starting a worker thread");
	m->nextp = p;
	m->spinning = spinning;
	m->spin_ns = SPIN_NS;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&m->thread, &attr, m_main, m);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		gocsp__throw("cannot create a worker thread");
}

/* Give an idle P to an idle M (or a new one).  spinning: the caller
 * already counted the M in nmspinning. */
static void
startm(bool spinning)
{
	gocsp__lock_acquire(&gocsp__sched.lock);
	struct gocsp__p *p = pidleget();
	if (p == NULL) {
		gocsp__lock_release(&gocsp__sched.lock);
		if (spinning)
			atomic_fetch_sub(&gocsp__sched.nmspinning, 1);
		return;
	}
	struct gocsp__m *m = gocsp__sched.midle;
	if (m == NULL) {
		GOCSP__STORE(&gocsp__sched.nm, gocsp__sched.nm + 1);
		gocsp__lock_release(&gocsp__sched.lock);
		newm(p, spinning);
		return;
	}
	bool polling = mwake(m, p, spinning);
	gocsp__lock_release(&gocsp__sched.lock);
	msignal(m, polling);
}

void
gocsp__wakep(void)
{
	if (!gocsp__wakep_wanted())
		return;
	int zero = 0;
	if (!atomic_compare_exchange_strong(&gocsp__sched.nmspinning, &zero,
	        1))
		return;
	startm(true);
}

/* ---- making Gs runnable ---- */

void
gocsp__put_runnable(struct gocsp__g *g, bool next)
{
	struct gocsp__m *m = gocsp__getm();
	if (m != NULL && m->p != NULL && m->spread == 0) {
		gocsp__runqput(m->p, g, next);
	} else {
		if (m != NULL && m->spread > 0)
			m->spread--;
		gocsp__lock_acquire(&gocsp__sched.lock);
		gocsp__globrunqput(g);
		gocsp__lock_release(&gocsp__sched.lock);
		if (m != NULL && m->runs_next) { /* m_sleep: m runs it */
			m->runs_next = false;
			return;
		}
	}
	gocsp__wakep();
}

void
gocsp__ready(struct gocsp__g *g, bool racy)
{
	if (!racy) {
		gocsp__ready_parked(g);
		return;
	}
	uint32_t s = atomic_load_explicit(&g->status, memory_order_acquire);
	for (;;) {
		if (s == GOCSP__G_WAITING) {
			if (atomic_compare_exchange_weak_explicit(&g->status,
			        &s, GOCSP__G_RUNNABLE, memory_order_acq_rel,
			        memory_order_acquire)) {
				gocsp__put_runnable(g, true);
				return;
			}
		} else if (s == GOCSP__G_RUNNING) {
			if (atomic_compare_exchange_weak_explicit(&g->status,
			        &s, GOCSP__G_WOKEN, memory_order_acq_rel,
			        memory_order_acquire))
				return;
		} else {
			gocsp__throw("internal error: readying a coroutine "
			             "that is not waiting");
		}
	}
}

/* ---- switching ---- */

/* Overflow checks for a G that just left its stack. */
static void
check_stack(struct gocsp__g *g)
{
#ifndef GOCSP_REGS_UCONTEXT
	if (gocsp__unlikely((unsigned char *) g->regs.sp < g->stack_lo))
		gocsp__stack_overflow(g->id, g->stack_size);
#endif
	if (gocsp__unlikely(
	        !gocsp__stack_canary_ok(g->stack_lo, g->stack_kind)))
		gocsp__stack_overflow(g->id, g->stack_size);
}

/* The cold cases of gocsp__finish_switch, out of line so that the hot
 * ones (a park, a yield) stay a few instructions. */

__attribute__((noinline)) static void
exit_g(struct gocsp__p *p, struct gocsp__g *g)
{
	gocsp__fiber_stack_forget(g->valgrind_stack);
	/* A default stack stays with the G in the P's cache: the next
	 * spawn there reuses both (coro.c). */
	if (g->stack_size != gocsp__stack_default()) {
		gocsp__stack_put(&p->stacks, g->stack_lo, g->stack_size,
		    g->stack_kind);
		g->stack_lo = NULL;
	}
	atomic_store_explicit(&p->gcount,
	    atomic_load_explicit(&p->gcount, memory_order_relaxed) - 1,
	    memory_order_relaxed);
	gocsp__gfree(p, g);
}

/* Queue a G that yields or leaves a blocking call on the global queue. */
__attribute__((noinline)) static void
requeue_global(struct gocsp__g *g, bool wake)
{
	gocsp__lock_acquire(&gocsp__sched.lock);
	gocsp__globrunqput(g);
	gocsp__lock_release(&gocsp__sched.lock);
	if (wake)
		gocsp__wakep();
}

/* A racy park: commit it, unless the G was readied before it parked,
 * in which case it runs next. */
__attribute__((noinline)) static void
park_racy(struct gocsp__p *p, struct gocsp__g *g)
{
	uint32_t s = GOCSP__G_RUNNING;
	if (atomic_compare_exchange_strong_explicit(&g->status, &s,
	        GOCSP__G_WAITING, memory_order_acq_rel, memory_order_acquire))
		return;
	atomic_store_explicit(&g->status, GOCSP__G_RUNNABLE,
	    memory_order_relaxed);
	gocsp__runqput(p, g, true);
}

/* gocsp__finish_switch for the actions other than a park. */
__attribute__((noinline)) static void
finish_other(struct gocsp__m *m, struct gocsp__g *g)
{
	switch (m->action) {
	case GOCSP__M_PARK_RACY:
		park_racy(m->p, g);
		break;
	case GOCSP__M_YIELD:
		atomic_store_explicit(&g->status, GOCSP__G_RUNNABLE,
		    memory_order_relaxed);
		/* Behind the global queue when it has work, as Go's Gosched
		 * does: a local requeue would run before it for 61 ticks. */
		if (atomic_load_explicit(&gocsp__sched.runqsize,
		        memory_order_relaxed) > 0)
			requeue_global(g, false);
		else
			gocsp__runqput(m->p, g, false);
		break;
	case GOCSP__M_REQUEUE:
		atomic_store_explicit(&g->status, GOCSP__G_RUNNABLE,
		    memory_order_relaxed);
		requeue_global(g, true);
		break;
	default: /* GOCSP__M_EXIT */
		exit_g(m->p, g);
		break;
	}
}

/* Inline in gocsp__switch_out: a park, what every blocking channel
 * operation ends with, then costs no call of its own. */
static inline __attribute__((always_inline)) void
finish_switch(struct gocsp__m *m)
{
	struct gocsp__g *g = m->prevg;
	if (g == NULL)
		return;
	m->prevg = NULL;
	check_stack(g);
	if (gocsp__likely(m->action == GOCSP__M_PARK)) {
		atomic_store_explicit(&g->status, GOCSP__G_WAITING,
		    memory_order_release);
		if (m->unlockf != NULL)
			m->unlockf(m->unlockarg);
		return;
	}
	finish_other(m, g);
}

void
gocsp__finish_switch(struct gocsp__m *m)
{
	finish_switch(m);
}

/* Set g up for its first run, with a stack unless it kept one (out of
 * line: once per G). */
__attribute__((noinline)) static void
start_g(struct gocsp__p *p, struct gocsp__g *g)
{
	if (g->stack_lo == NULL) {
		g->stack_lo = gocsp__stack_get(&p->stacks, g->stack_size,
		    &g->stack_kind);
		if (g->stack_lo == NULL)
			gocsp__throw("out of memory for a coroutine stack");
	}
	gocsp__fiber_stack_reset(g->stack_lo, g->stack_size);
	g->valgrind_stack =
	    gocsp__fiber_stack_register(g->stack_lo, g->stack_size);
	gocsp__regs_make(&g->regs, g->stack_lo, g->stack_size - g->argspace,
	    gocsp__g_entry, g);
	g->fresh = false;
}

static inline void
prepare(struct gocsp__p *p, struct gocsp__g *g)
{
	if (gocsp__unlikely(g->fresh))
		start_g(p, g);
}

static uint32_t
tick(struct gocsp__p *p)
{
	uint32_t t =
	    atomic_load_explicit(&p->schedtick, memory_order_relaxed) + 1;
	atomic_store_explicit(&p->schedtick, t, memory_order_relaxed);
	return t;
}

/*
 * The fast path of scheduling: a G that parks, yields or exits switches
 * straight to the next G of its P's run queue, and that G finishes the
 * switch (gocsp__finish_switch), so a channel handoff is one context
 * switch.  Every 61st tick, and when the run queue is empty, it goes
 * through g0, which also looks at timers, the global queue and stealing.
 */
void
gocsp__switch_out(struct gocsp__g *g, int action)
{
	struct gocsp__m *m = gocsp__getm();
	struct gocsp__p *p = m->p;
	struct gocsp__g *next = NULL;
	void *fake = NULL;
	m->prevg = g;
	m->action = action;
	/* When g parks, for gocsp_dump's "how long" (find_runnable). */
	if (gocsp__likely(p != NULL))
		GOCSP__STORE(&g->waitsince, p->switched_at);
	if (gocsp__likely(p != NULL) &&
	    gocsp__likely(tick(p) % 61 != 0 &&
	        p->id < atomic_load_explicit(&gocsp__sched.nprocs,
	                    memory_order_relaxed)))
		next = gocsp__runqget(p);
	/* m and g are read again after each call rather than kept across
	 * it: then no register needs saving, and the switch of every park
	 * needs no stack frame of its own. */
	m = gocsp__getm();
	g = m->prevg;
	m->curg = next;
	if (next != NULL) {
		if (gocsp__unlikely(next->fresh)) {
			start_g(m->p, next);
			m = gocsp__getm();
			g = m->prevg;
			next = m->curg;
		}
		atomic_store_explicit(&next->status, GOCSP__G_RUNNING,
		    memory_order_relaxed);
		gocsp__fiber_start(action == GOCSP__M_EXIT ? NULL : &fake,
		    next->stack_lo, next->stack_size);
#ifdef GOCSP_TSAN
		__tsan_switch_to_fiber(next->tsan_fiber, 0);
#endif
		gocsp__regs_switch(&g->regs, &next->regs);
	} else {
		gocsp__fiber_start(action == GOCSP__M_EXIT ? NULL : &fake,
		    m->g0_stack_lo, m->g0_stack_size);
#ifdef GOCSP_TSAN
		__tsan_switch_to_fiber(m->tsan_fiber, 0);
#endif
		gocsp__regs_switch(&g->regs, &m->g0regs);
	}
	/* Resumed, perhaps on another M: m is stale from here on. */
	gocsp__fiber_finish(fake);
	finish_switch(gocsp__getm());
}

void
gocsp__park_unlock(struct gocsp__g *g, void (*unlock)(void *), void *arg)
{
	struct gocsp__m *m = gocsp__getm();
	m->unlockf = unlock;
	m->unlockarg = arg;
	gocsp__switch_out(g, GOCSP__M_PARK);
}

void
gocsp__park_racy(struct gocsp__g *g)
{
	gocsp__switch_out(g, GOCSP__M_PARK_RACY);
}

/* Run g on m (from g0) until the Gs running on m come back to g0. */
static void
execute(struct gocsp__m *m, struct gocsp__g *g)
{
	struct gocsp__p *p = m->p;
	tick(p);
	prepare(p, g);
	m->curg = g;
	atomic_store_explicit(&g->status, GOCSP__G_RUNNING,
	    memory_order_relaxed);
	gocsp__fiber_start(&m->g0_fake_stack, g->stack_lo, g->stack_size);
#ifdef GOCSP_TSAN
	__tsan_switch_to_fiber(g->tsan_fiber, 0);
#endif
	gocsp__regs_switch(&m->g0regs, &g->regs);
	gocsp__fiber_finish(m->g0_fake_stack);
	gocsp__finish_switch(m);
}

/* ---- finding work ---- */

/* Run due timers of every P; returns the earliest pending deadline. */
static int64_t
check_timers(void)
{
	int n =
	    atomic_load_explicit(&gocsp__sched.nallp, memory_order_acquire);
	int64_t next = INT64_MAX, now = 0;
	for (int i = 0; i < n; i++) {
		struct gocsp__p *p = atomic_load_explicit(
		    &gocsp__sched.allp[i], memory_order_relaxed);
		int64_t w = atomic_load(&p->timers.when0);
		if (w == INT64_MAX)
			continue;
		if (now == 0)
			now = gocsp__os_now();
		if (w <= now) {
			gocsp__timerheap_run(&p->timers, now);
			w = atomic_load(&p->timers.when0);
		}
		if (w < next)
			next = w;
	}
	return next;
}

/* The earliest timer of every P, without running any. */
static int64_t
timers_deadline(void)
{
	int n =
	    atomic_load_explicit(&gocsp__sched.nallp, memory_order_acquire);
	int64_t next = INT64_MAX;
	for (int i = 0; i < n; i++) {
		int64_t w = atomic_load(&gocsp__sched.allp[i]->timers.when0);
		if (w < next)
			next = w;
	}
	return next;
}

static void
reset_spinning(struct gocsp__m *m)
{
	m->spinning = false;
	/* The last spinner found work: there may be more, get another. */
	if (atomic_fetch_sub(&gocsp__sched.nmspinning, 1) == 1)
		gocsp__wakep();
}

/* What a thief last saw of a victim, and since when. */
struct victim {
	uint32_t tick;       /* its schedtick ... */
	int64_t tick_since;  /* ... unchanged since then */
	uint32_t spawn;      /* its oldest spawned G's index ... */
	int64_t spawn_since; /* ... queued and unchanged since then */
};

/*
 * Steal from other Ps for up to m->spin_ns.  Returns a G, or NULL with
 * *recheck set when the global queue or a timer needs the caller.
 *
 * New work spreads, conversations stay.  Spawned Gs that have not run
 * are independent work: the oldest half is taken once the oldest has
 * waited STEAL_NS.  A G in a ring or in runnext was readied by a
 * coroutine of its worker, whose values it takes or gives: moved to
 * another worker, it runs with cold caches and every exchange with its
 * partners then crosses CPUs, on a channel lock both workers fight for
 * (producers and consumers of one buffered channel, split over two
 * workers, ran 4 times slower than on one).  A worker that keeps
 * switching serves its queue in microseconds; so ring and runnext are
 * taken only from a P that has not scheduled at all for STEAL_NS (Go's
 * rule for runnext), whose running G computes and holds the worker.
 * Coroutines that yield to share a CPU go through the global queue
 * while a worker is idle (gocsp_yield), where it finds them at once.
 *
 * A few quick rounds first, then rounds NAP_NS apart: the spinner stays
 * counted in nmspinning, so wakers need no system call to get it, but it
 * naps rather than spins between rounds, because its CPU may be a
 * hyperthread of the one running the work it waits for.  Except an M
 * that has stopped spinning (spin_ns 0) and looks only because another
 * P has Gs queued: it spins STEAL_NS once, to see whether that P is
 * stuck, since a nap costs it more than that.
 */
static int poll_ready(struct gocsp__m *m);

static struct gocsp__g *
steal_work(struct gocsp__m *m, bool *recheck)
{
	struct gocsp__p *p = m->p;
	int np =
	    atomic_load_explicit(&gocsp__sched.nallp, memory_order_acquire);
	if (np < 2)
		return NULL; /* nobody to steal from */
	struct victim seen[np];
	int64_t start = gocsp__os_now(), now = start;
	for (int i = 0; i < np; i++) {
		struct gocsp__p *v = gocsp__sched.allp[i];
		seen[i] =
		    (struct victim){.tick = atomic_load_explicit(&v->schedtick,
		                        memory_order_relaxed),
		        .tick_since = start,
		        .spawn = atomic_load_explicit(&v->spawntop,
		            memory_order_relaxed),
		        .spawn_since = start};
	}
	uint32_t off = (uint32_t) gocsp__rand();
	int64_t polled = start;
	for (uint32_t round = 0;; round++) {
		/* p is beyond GOMAXPROCS now: retire it (find_runnable)
		 * rather than take work a remaining P should run. */
		if (gocsp__unlikely(
		        p->id >= atomic_load_explicit(&gocsp__sched.nprocs,
		                     memory_order_relaxed))) {
			*recheck = true;
			return NULL;
		}
		/* Queued Gs not yet old enough to take, that will be: */
		bool coming = false;
		for (int k = 0; k < np; k++) {
			int i = (int) ((off + (uint32_t) k) % (uint32_t) np);
			struct gocsp__p *v = atomic_load_explicit(
			    &gocsp__sched.allp[i], memory_order_relaxed);
			if (v == p)
				continue;
			struct victim *s = &seen[i];
			uint32_t tick = atomic_load_explicit(&v->schedtick,
			    memory_order_relaxed);
			bool switching = tick != s->tick;
			if (switching) {
				s->tick = tick;
				s->tick_since = now;
			}
			uint32_t spawn = atomic_load_explicit(&v->spawntop,
			    memory_order_relaxed);
			if (spawn != s->spawn || gocsp__spawnq_len(v) == 0) {
				s->spawn = spawn;
				s->spawn_since = now;
			}
			struct gocsp__g *g = NULL;
			if (now - s->spawn_since >= STEAL_NS)
				g = gocsp__spawnq_steal(p, v);
			if (g == NULL && now - s->tick_since >= STEAL_NS)
				g = gocsp__runqsteal(p, v);
			if (g != NULL)
				return g;
			coming = coming || gocsp__spawnq_len(v) != 0 ||
			    (!switching && !gocsp__runqempty(v));
		}
		if (atomic_load_explicit(&gocsp__sched.runqsize,
		        memory_order_relaxed) > 0) {
			*recheck = true;
			return NULL;
		}
		if (round < SPIN_ROUNDS && m->spin_ns > 0) {
			for (int k = 0; k < 16; k++)
				gocsp__os_cpu_relax();
			continue;
		}
		now = gocsp__os_now();
		/* Queued Gs are worth the full spin, however little
		 * spinning has paid lately: they become stealable once
		 * their P has not switched, or they have waited, for
		 * STEAL_NS, which only a spin that long can see.  Given up
		 * sooner, a G readied behind one that computes without
		 * switching would wait for it to finish.  Not so Gs in the
		 * ring of a P seen switching since the last round: it runs
		 * them itself (an echo server's worker, through the requests
		 * its poll found), and the spin would only nap. */
		if (now - start >= (coming ? SPIN_NS : m->spin_ns)) {
			m->spun_out = now;
			return NULL;
		}
		for (int i = 0; i < np; i++) {
			if (atomic_load(&gocsp__sched.allp[i]->timers.when0) <=
			    now) {
				*recheck = true;
				return NULL;
			}
		}
		/* With every M awake, nobody sleeps in the netpoller to see
		 * a request come: look, as the scheduler does between runs,
		 * or each spin would add its length to a reply. */
		if (now - polled >= SPIN_POLL_NS) {
			polled = now;
			if (poll_ready(m) > 0) {
				*recheck = true;
				return NULL;
			}
		}
		if (coming && m->spin_ns == 0) {
			/* Spinning has not paid lately: this round is only to
			 * see whether the queue's P switches, and a nap costs
			 * more CPU than a spin of STEAL_NS (spin_adapt). */
			int64_t until = now + STEAL_NS;
			while (gocsp__os_now() < until)
				for (int k = 0; k < 16; k++)
					gocsp__os_cpu_relax();
		} else {
			gocsp__os_nap(NAP_NS);
		}
		now = gocsp__os_now();
	}
}

/*
 * How long to spin next time, from how long the M slept after it last
 * gave up, as the kernel's halt polling decides how long to poll.  Work
 * that came within as long again as it spun would have been found by a
 * spin twice as long, which costs less than the sleep and the wake-up:
 * double it.  A sleep beyond SPIN_NS means the spin was wasted: halve it,
 * down to the quick rounds alone.  So a service woken now and then
 * (gocspd waiting on its workers' pipes) stops burning a CPU between
 * events, while Gs that keep readying each other across workers keep
 * their spinner.
 *
 * A spin pays where another M hands work over: it saves that M a wake-up
 * system call.  Work that ready fds bring is different: they wake the M
 * sleeping in the netpoller as soon as a spin would have found them
 * (sooner: a spinner polls every SPIN_POLL_NS), and every nap of a spin
 * costs CPU time: 20 us by getrusage for a nap asked to last 4 us, on the
 * 2-vCPU KVM guest of docs/benchmarks.md.  So a sleep that ended for such
 * work (by_fd: the M found it in the netpoller, or an M polling there
 * woke it) counts as a wasted spin however short, and a server fed by
 * its sockets sleeps between requests instead of napping through the
 * gaps.  An echo server under 50,000 requests/s spent 13 us of CPU a
 * request instead of 15-17.
 */
static void
spin_adapt(struct gocsp__m *m, int64_t slept, bool by_fd)
{
	int64_t longer =
	    m->spin_ns < SPIN_STEP_NS ? SPIN_STEP_NS : 2 * m->spin_ns;
	if (by_fd)
		slept = SPIN_NS;
	if (slept <= longer - m->spin_ns)
		m->spin_ns = longer < SPIN_NS ? longer : SPIN_NS;
	else if (slept >= SPIN_NS)
		m->spin_ns =
		    m->spin_ns / 2 < SPIN_STEP_NS ? 0 : m->spin_ns / 2;
}

/* A P whose id is now beyond GOMAXPROCS: hand its work to the global
 * queue and retire it.  Returns with m->p == NULL. */
static void
retire_p(struct gocsp__m *m)
{
	struct gocsp__p *p = m->p;
	struct gocsp__g *g;
	gocsp__lock_acquire(&gocsp__sched.lock);
	while ((g = gocsp__runqget(p)) != NULL)
		gocsp__globrunqput(g);
	p->status = GOCSP__P_RETIRED;
	m->p = NULL;
	gocsp__lock_release(&gocsp__sched.lock);
	gocsp__wakep();
}

/* Runnable Gs in the global queue or in some P's queue. */
static bool
work_visible(void)
{
	if (atomic_load(&gocsp__sched.runqsize) > 0)
		return true;
	int np = atomic_load(&gocsp__sched.nallp);
	for (int i = 0; i < np; i++)
		if (!gocsp__runqempty(gocsp__sched.allp[i]))
			return true;
	return false;
}

/*
 * Go's checkdead, sched.lock held, by an idle M that has left the idle
 * list: true when no coroutine runs or can ever run again, and no plain
 * thread can call the library.  The rules (gocsp.h, "Deadlock"):
 *  - every other M is idle, so none runs a coroutine, is in a blocking
 *    system call, or is about to take a P; no run queue holds a G.  While
 *    sched.lock is held none of that can change: a G is readied through
 *    a P (none is held) or the global queue (under this lock);
 *  - every thread of the process is an M or a plain thread blocked in
 *    the library without a deadline (waiter.c's list), so no thread is
 *    outside the library, where it could call it, and none is blocked
 *    elsewhere (in poll, in read, on a lock of its own);
 *  - no coroutine waits on an fd (only a running coroutine starts such a
 *    wait, and the waiting one ends it, so this too is frozen);
 *  - after the threads were counted: no timer is pending and none of the
 *    listed threads has been woken.
 * Frozen at the count are the Ms (this lock) and the listed threads
 * (their list's lock); nothing else exists then, so nothing can wake a
 * listed thread, add a timer or start a thread after it but a listed
 * thread already woken, which the last rule sees.  A thread the library
 * does not know (a sanitizer's, another library's) makes the counts
 * differ: a missed report, never a false one.
 */
static bool
world_asleep(void)
{
	/* Another idle M's rescue may hold a waiter it has claimed and not
	 * yet queued: this M's own rescue missed it, and it is work. */
	if (atomic_load(&gocsp__sched.nrescuing) != 0 ||
	    atomic_load(&gocsp__sched.nmidle) != gocsp__sched.nm - 1 ||
	    atomic_load(&gocsp__sched.runqsize) != 0)
		return false;
	int np = atomic_load(&gocsp__sched.nallp);
	for (int i = 0; i < np; i++) {
		struct gocsp__p *p = gocsp__sched.allp[i];
		if (p->status == GOCSP__P_RUNNING || !gocsp__runqempty(p))
			return false;
	}
	if (gocsp__netpoll_waiters() != 0)
		return false;
	gocsp__tblock_lock();
	bool asleep =
	    gocsp__os_nthreads() == gocsp__sched.nm + gocsp__tblock_count() &&
	    timers_deadline() == INT64_MAX && gocsp__tblock_all_waiting();
	gocsp__tblock_unlock();
	return asleep;
}

bool
gocsp__defer_recheck(const void *key)
{
	struct gocsp__m *m = gocsp__getm();
	if (m == NULL || m->p == NULL || m->p->nrecheck == GOCSP__RECHECK_MAX)
		return false;
	struct gocsp__p *p = m->p;
	/* One check of a mutex covers all its waiters: a later one only
	 * moves it later.  Due 0: run_rechecks stamps it when it next reads
	 * the clock, so no clock read here. */
	for (int i = 0; i < p->nrecheck; i++) {
		if (p->recheck[i].key == key) {
			p->recheck[i].due = 0;
			return true;
		}
	}
	p->recheck[p->nrecheck].key = key;
	p->recheck[p->nrecheck].due = 0;
	p->nrecheck++;
	return true;
}

/* Run p's deferred Mutex checks that are due; with wait, all of them,
 * waiting for the last (p has nothing else to run).  Checks it runs may
 * ready coroutines onto p. */
static void
run_rechecks(struct gocsp__p *p, bool wait)
{
	int64_t now = gocsp__os_now();
	int kept = 0;
	for (int i = 0; i < p->nrecheck; i++) {
		const void *key = p->recheck[i].key;
		int64_t due = p->recheck[i].due;
		if (due == 0)
			p->recheck[i].due = due = now + GOCSP__RECHECK_NS;
		while (wait && now < due) {
			gocsp__os_cpu_relax();
			now = gocsp__os_now();
		}
		if (now >= due)
			gocsp__mutex_recheck(key);
		else
			p->recheck[kept++] = p->recheck[i];
	}
	p->nrecheck = kept;
}

/* Whether the Mutex rescue is due: Ms that wake often (for fds, say)
 * run it once every WATCH_NS between them. */
static bool
rescue_due(void)
{
	static _Atomic int64_t next;
	int64_t now = gocsp__os_now(), due = atomic_load(&next);
	return now >= due &&
	    atomic_compare_exchange_strong(&next, &due, now + WATCH_NS);
}

/*
 * Sleep until another M hands this one a P, or until the earliest timer.
 * One idle M at a time sleeps in the netpoller (bounded by the next
 * timer) rather than on its futex, so ready fds wake their coroutines
 * (Go's findrunnable).  Returns with m->p set.
 */
static void
m_sleep(struct gocsp__m *m)
{
	bool timers_ok = true;
	GOCSP__STORE(&m->fd_woke, false);
	for (;;) {
		gocsp__lock_acquire(&gocsp__sched.lock);
		m->nextp = NULL;
		atomic_store(&m->wake, 0);
		midleput(m); /* before reading the timers: see timer_wakeup */
		int64_t until = timers_ok ? timers_deadline() : INT64_MAX;
		bool timed = false;
		if (until != INT64_MAX &&
		    (gocsp__sched.timer_sleeper == NULL ||
		        until < gocsp__sched.sleep_until)) {
			gocsp__sched.timer_sleeper = m;
			gocsp__sched.sleep_until = until;
			timed = true;
		}
		m->polling =
		    gocsp__netpoll_active() && gocsp__sched.poller == NULL;
		if (m->polling)
			GOCSP__STORE(&gocsp__sched.poller, m);
		int64_t check_after = gocsp__sched.deadlock_wait;
		gocsp__lock_release(&gocsp__sched.lock);

		/* While some P is busy, wake now and then to look for work
		 * stranded on it (a coroutine that computes without ever
		 * switching, after readying another); Go's sysmon does this. */
		int64_t deadline = timed ? until : -1;
		bool watch = !timed &&
		    atomic_load(&gocsp__sched.npidle) <
		        atomic_load(&gocsp__sched.nprocs);
		if (watch)
			deadline = gocsp__os_now() + WATCH_NS;
		/* Every P idle, no timer and no fd wait: if that lasts, look
		 * for a deadlock, less often while none is found.  (An fd
		 * wait or a timer rules one out until it ends, and a
		 * coroutine then runs: the runtime comes back here.) */
		bool check = !timed && !watch && gocsp__netpoll_waiters() == 0;
		if (check)
			deadline = gocsp__os_now() + check_after;
		/* While coroutines wait on a Mutex, look for ones stranded
		 * on a free one (mutex.c) at least this often, whatever
		 * else this M sleeps for. */
		bool rescue = gocsp__sema_mutex_waiters() != 0;
		if (rescue) {
			int64_t soon = gocsp__os_now() + WATCH_NS;
			if (deadline < 0 || deadline > soon)
				deadline = soon;
		}
		if (m->polling) {
			/* Woken Gs go to the global queue: no P here yet.
			 * The first is this M's own to run once it has taken
			 * an idle P below, as in Go's findrunnable: waking
			 * another M for it would only have two threads wake
			 * for one G, and one go back to sleep. */
			if (atomic_load(&m->wake) == 0) {
				m->runs_next = true;
				if (netpoll_as(m, deadline) > 0)
					GOCSP__STORE(&m->fd_woke, true);
				m->runs_next = false;
			}
		} else {
			while (atomic_load(&m->wake) == 0 &&
			    gocsp__futex_wait((uint32_t *) &m->wake, 0,
			        deadline) != GOCSP_ETIMEDOUT)
				;
		}

		/* Nobody handed this M a P: wake waiters stranded on a free
		 * Mutex first; they are work, and no deadlock.  The first is
		 * this M's to run, as after a poll. */
		bool rescued = false;
		if (rescue && atomic_load(&m->wake) == 0 &&
		    (check || rescue_due())) {
			m->runs_next = true;
			atomic_fetch_add(&gocsp__sched.nrescuing, 1);
			rescued = gocsp__mutex_rescue() > 0;
			atomic_fetch_sub(&gocsp__sched.nrescuing, 1);
			m->runs_next = false;
		}

		gocsp__lock_acquire(&gocsp__sched.lock);
		if (m->polling) {
			m->polling = false;
			GOCSP__STORE(&gocsp__sched.poller, NULL);
		}
		bool woken = atomic_load(&m->wake) != 0;
		if (!woken)
			mwake(m, NULL, false); /* timed out, or polled */
		if (woken) {
			gocsp__sched.deadlock_wait = DEADLOCK_NS;
		} else if (check && !rescued) {
			if (world_asleep())
				gocsp__fatal("all coroutines are asleep - "
				             "deadlock!");
			if (check_after < DEADLOCK_MAX_NS)
				gocsp__sched.deadlock_wait = 2 * check_after;
		}
		struct gocsp__p *p = m->nextp;
		m->nextp = NULL;
		/* Woken for a timer or an fd, or watching and found work. */
		if (p == NULL &&
		    (woken || timed || rescued || (!watch && !check) ||
		        work_visible()))
			p = pidleget();
		gocsp__lock_release(&gocsp__sched.lock);
		if (p != NULL) {
			m->p = p;
			return;
		}
		if (check && !woken)
			continue; /* still idle: check again later */
		/* Every P is busy: their Ms run the timers when they
		 * schedule, so sleep without a deadline. */
		timers_ok = false;
	}
}

/*
 * Poll the netpoller without blocking if nobody is blocked in it.  Woken
 * Gs are independent work (each waited on its own fd), not partners of
 * what m's P runs: as many as there are idle Ps go to the global queue,
 * where those Ps find them at once, the rest to m's P (Go's
 * injectglist).  Returns how many were woken.
 */
static int
poll_ready(struct gocsp__m *m)
{
	if (!gocsp__netpoll_active() || gocsp__netpoll_waiters() == 0 ||
	    GOCSP__LOAD(&gocsp__sched.poller) != NULL)
		return 0;
	m->spread =
	    atomic_load_explicit(&gocsp__sched.npidle, memory_order_relaxed);
	int n = netpoll_as(m, 0);
	m->spread = 0;
	return n;
}

/* Find a runnable G for m; blocks while there is none. */
static struct gocsp__g *
find_runnable(struct gocsp__m *m)
{
	struct gocsp__g *g;
	struct gocsp__p *p;
top:
	p = m->p;
	/* The time Gs that switch out on p are stamped with (switch_out):
	 * read here, every 61st switch and whenever p runs dry, rather than
	 * per park, where a clock read would cost a tenth of a channel
	 * handoff.  A stamp is early by at most 60 quick switches, or by
	 * however long p ran one G without switching; gocsp_dump shows
	 * whole seconds. */
	p->switched_at = gocsp__os_now_coarse();
	if (gocsp__unlikely(p->id >= atomic_load_explicit(&gocsp__sched.nprocs,
	                                 memory_order_relaxed))) {
		if (m->spinning) {
			m->spinning = false;
			atomic_fetch_sub(&gocsp__sched.nmspinning, 1);
		}
		retire_p(m);
		m_sleep(m);
		goto top;
	}
	check_timers();
	/* Pending Mutex checks: every 16th time here, which saves a clock
	 * read each time; they are due a microsecond on. */
	if (gocsp__unlikely(p->nrecheck != 0) && --p->recheck_in <= 0) {
		p->recheck_in = 16;
		run_rechecks(p, false);
	}

	/* Every 61st tick the netpoller and the global queue first, so
	 * neither starves while the local queue keeps the P busy. */
	bool tick61 =
	    atomic_load_explicit(&p->schedtick, memory_order_relaxed) % 61 ==
	    0;
	if (tick61)
		poll_ready(m);
	long n;
	if (tick61 &&
	    atomic_load_explicit(&gocsp__sched.runqsize,
	        memory_order_relaxed) > 0) {
		gocsp__lock_acquire(&gocsp__sched.lock);
		g = gocsp__globrunqtake(1, &n);
		gocsp__lock_release(&gocsp__sched.lock);
		if (g != NULL)
			goto found;
	}
	if ((g = gocsp__runqget(p)) != NULL)
		goto found;
	if (poll_ready(m) > 0 && (g = gocsp__runqget(p)) != NULL)
		goto found;
	if (atomic_load_explicit(&gocsp__sched.runqsize,
	        memory_order_relaxed) > 0) {
		gocsp__lock_acquire(&gocsp__sched.lock);
		g = gocsp__globrunqtake(GOCSP__GLOBAL_BATCH, &n);
		gocsp__lock_release(&gocsp__sched.lock);
		if (g != NULL)
			goto found_batch;
	}

	/* Running dry: the checks still pending would wait for work to
	 * come; make them now, and look again. */
	if (gocsp__unlikely(p->nrecheck != 0)) {
		run_rechecks(p, true);
		goto top;
	}

	/* Spin and steal, but keep at most half of the busy Ps spinning. */
	int nprocs = atomic_load(&gocsp__sched.nprocs);
	if (m->spinning ||
	    2 * atomic_load(&gocsp__sched.nmspinning) <
	        nprocs - atomic_load(&gocsp__sched.npidle)) {
		if (!m->spinning) {
			m->spinning = true;
			atomic_fetch_add(&gocsp__sched.nmspinning, 1);
		}
		bool recheck = false;
		if ((g = steal_work(m, &recheck)) != NULL)
			goto found;
		if (recheck)
			goto top;
	}

	/* Nothing: give the P back and sleep. */
	gocsp__lock_acquire(&gocsp__sched.lock);
	if ((g = gocsp__globrunqtake(GOCSP__GLOBAL_BATCH, &n)) != NULL) {
		gocsp__lock_release(&gocsp__sched.lock);
		goto found_batch;
	}
	m->p = NULL;
	pidleput(p);
	gocsp__lock_release(&gocsp__sched.lock);

	if (m->spinning) {
		m->spinning = false;
		/* Work published before this decrement is seen below (in a
		 * spawn deque or the global queue: what a thief may take
		 * from a P that switches); work published after it sees
		 * nmspinning == 0 and wakes an M.  A ring whose P stops
		 * switching is found by an M that watches (m_sleep). */
		atomic_fetch_sub(&gocsp__sched.nmspinning, 1);
		bool global = atomic_load(&gocsp__sched.runqsize) > 0;
		int np = atomic_load(&gocsp__sched.nallp);
		for (int i = 0; i < np; i++) {
			struct gocsp__p *v = gocsp__sched.allp[i];
			if (!global && gocsp__spawnq_len(v) == 0)
				continue;
			gocsp__lock_acquire(&gocsp__sched.lock);
			p = pidleget();
			gocsp__lock_release(&gocsp__sched.lock);
			if (p != NULL) {
				m->p = p;
				m->spinning = true;
				atomic_fetch_add(&gocsp__sched.nmspinning, 1);
				goto top;
			}
			break;
		}
	}
	m_sleep(m);
	if (m->spun_out != 0) {
		spin_adapt(m, gocsp__os_now() - m->spun_out,
		    GOCSP__LOAD(&m->fd_woke));
		m->spun_out = 0;
	}
	goto top;

found_batch:
	gocsp__runqput_chain(m->p, g, n);
found:
	m->spun_out = 0;
	if (m->spinning)
		reset_spinning(m);
	return g;
}

static void
schedule(struct gocsp__m *m)
{
	for (;;) {
		if (m->p == NULL) /* left a blocking call with no P free */
			m_sleep(m);
		execute(m, find_runnable(m));
	}
}

/* ---- blocking system calls (Go's entersyscallblock/exitsyscall) ---- */

struct gocsp__p *
gocsp__enter_blocking(void)
{
	struct gocsp__m *m = gocsp__getm();
	if (m == NULL || m->p == NULL)
		return NULL;
	struct gocsp__p *p = m->p;
	bool work = !gocsp__runqempty(p) ||
	    atomic_load_explicit(&gocsp__sched.runqsize,
	        memory_order_relaxed) > 0;
	gocsp__lock_acquire(&gocsp__sched.lock);
	m->p = NULL;
	if (p->id < atomic_load(&gocsp__sched.nprocs))
		pidleput(p);
	else
		p->status = GOCSP__P_RETIRED;
	gocsp__lock_release(&gocsp__sched.lock);
	if (work)
		gocsp__wakep(); /* its queued Gs must not wait for the call */
	return p;
}

void
gocsp__exit_blocking(struct gocsp__p *oldp)
{
	if (oldp == NULL)
		return;
	struct gocsp__m *m = gocsp__getm();
	struct gocsp__p *p = NULL;
	gocsp__lock_acquire(&gocsp__sched.lock);
	if (oldp->status == GOCSP__P_IDLE) {
		/* Usually nobody took it: reclaim it, caches still warm. */
		for (struct gocsp__p **pp = &gocsp__sched.pidle; *pp != NULL;
		     pp = &(*pp)->link) {
			if (*pp == oldp) {
				*pp = oldp->link;
				oldp->status = GOCSP__P_RUNNING;
				atomic_fetch_sub(&gocsp__sched.npidle, 1);
				p = oldp;
				break;
			}
		}
	}
	if (p == NULL)
		p = pidleget();
	gocsp__lock_release(&gocsp__sched.lock);
	if (p != NULL) {
		m->p = p;
		return;
	}
	/* No P: queue the G for any worker, and sleep until one is free. */
	gocsp__switch_out(m->curg, GOCSP__M_REQUEUE);
}

/* ---- for sync: spinning and per-P caches (Go's sync_runtime_*) ---- */

bool
gocsp__can_spin(void)
{
	struct gocsp__m *m = gocsp__getm();
	if (m == NULL || m->p == NULL)
		return true; /* a plain thread keeps no coroutine waiting */
	int nprocs =
	    atomic_load_explicit(&gocsp__sched.nprocs, memory_order_relaxed);
	int idle =
	    atomic_load_explicit(&gocsp__sched.npidle, memory_order_relaxed);
	idle += atomic_load_explicit(&gocsp__sched.nmspinning,
	    memory_order_relaxed);
	if (nprocs <= idle + 1)
		return false; /* no other P runs: the holder is parked */
	return gocsp__runqempty(m->p);
}

int
gocsp__procid(void)
{
	struct gocsp__m *m = gocsp__getm();
	return m != NULL && m->p != NULL ? m->p->id : -1;
}

/* ---- timers: where they go and who wakes for them ---- */

struct gocsp__timerheap *
gocsp__local_timerheap(void)
{
	struct gocsp__m *m = gocsp__getm();
	if (m != NULL && m->p != NULL)
		return &m->p->timers;
	int n =
	    atomic_load_explicit(&gocsp__sched.nallp, memory_order_acquire);
	struct gocsp__p *p = atomic_load_explicit(
	    &gocsp__sched.allp[gocsp__rand() % (uint64_t) n],
	    memory_order_relaxed);
	return &p->timers;
}

void
gocsp__timer_wakeup(int64_t when)
{
	/* Pairs with m_sleep: it counts itself idle, then reads the
	 * timers; we published the timer, then read the idle count.  No
	 * worker idle: the running ones see the timer when they look for
	 * work -- unless there is none yet (a timer made on a plain thread
	 * before any coroutine), then start one to sleep until it. */
	if (atomic_load(&gocsp__sched.nmidle) == 0) {
		if (GOCSP__LOAD(&gocsp__sched.nm) == 0)
			gocsp__wakep();
		return;
	}
	struct gocsp__m *m = NULL;
	bool polling = false;
	gocsp__lock_acquire(&gocsp__sched.lock);
	if (gocsp__sched.timer_sleeper != NULL) {
		if (when < gocsp__sched.sleep_until)
			m = gocsp__sched.timer_sleeper;
	} else {
		m = gocsp__sched.midle;
	}
	if (m != NULL)
		polling = mwake(m, NULL, false);
	gocsp__lock_release(&gocsp__sched.lock);
	if (m != NULL)
		msignal(m, polling);
}

/* ---- GOMAXPROCS ---- */

static struct gocsp__p *
newp(int id)
{
	struct gocsp__p *p =
	    aligned_alloc(64, (sizeof(*p) + 63) & ~(size_t) 63);
	if (p == NULL)
		gocsp__throw("out of memory creating a processor");
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->status = GOCSP__P_RETIRED;
	p->switched_at = gocsp__os_now_coarse();
	atomic_init(&p->timers.when0, INT64_MAX);
	return p;
}

/* Set GOMAXPROCS to n (sched.lock held); returns the previous value. */
static int
procresize(int n)
{
	int old = atomic_load(&gocsp__sched.nprocs);
	int have = atomic_load(&gocsp__sched.nallp);
	for (int i = have; i < n; i++) {
		atomic_store_explicit(&gocsp__sched.allp[i], newp(i),
		    memory_order_relaxed);
		atomic_store_explicit(&gocsp__sched.nallp, i + 1,
		    memory_order_release);
	}
	atomic_store(&gocsp__sched.nprocs, n);
	/* Rebuild the idle list: revive retired Ps below n, retire idle
	 * ones at or above it.  Running ones retire themselves. */
	struct gocsp__p *idle = gocsp__sched.pidle;
	gocsp__sched.pidle = NULL;
	atomic_store(&gocsp__sched.npidle, 0);
	while (idle != NULL) {
		struct gocsp__p *next = idle->link;
		idle->status = GOCSP__P_RETIRED;
		idle = next;
	}
	int np = atomic_load(&gocsp__sched.nallp);
	for (int i = np - 1; i >= 0; i--) {
		struct gocsp__p *p = gocsp__sched.allp[i];
		if (i < n && p->status == GOCSP__P_RETIRED)
			pidleput(p);
	}
	return old;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static _Atomic int initialized;

static void
runtime_init_once(void)
{
	int n = gocsp__os_ncpu();
	const char *env = getenv("GOCSP_MAXPROCS");
	if (env != NULL && *env != '\0') {
		int v = atoi(env);
		if (v > 0)
			n = v;
	}
	if (n > GOCSP__MAX_PROCS)
		n = GOCSP__MAX_PROCS;
	gocsp__stack_init();
	gocsp__fault_install();
	gocsp__dump_install();
	gocsp__sched.sleep_until = INT64_MAX;
	gocsp__sched.deadlock_wait = DEADLOCK_NS;
	atomic_init(&gocsp__sched.goid_gen, 1);
	gocsp__lock_acquire(&gocsp__sched.lock);
	procresize(n);
	gocsp__lock_release(&gocsp__sched.lock);
	atomic_store_explicit(&initialized, 1, memory_order_release);
}

void
gocsp__runtime_init(void)
{
	if (gocsp__likely(
	        atomic_load_explicit(&initialized, memory_order_acquire)))
		return;
	pthread_once(&init_once, runtime_init_once);
}

int
gocsp_maxprocs(int n)
{
	gocsp__runtime_init();
	if (n <= 0)
		return atomic_load(&gocsp__sched.nprocs);
	if (n > GOCSP__MAX_PROCS)
		n = GOCSP__MAX_PROCS;
	gocsp__lock_acquire(&gocsp__sched.lock);
	int old = procresize(n);
	gocsp__lock_release(&gocsp__sched.lock);
	if (n > old)
		gocsp__wakep();
	/* A caller whose own P is now beyond n moves to one that stays
	 * before it returns (Go's procresize does the same), so that what
	 * it spawns next is queued where it will run: its worker retires
	 * the P as it schedules.  Other running Ps beyond n retire at their
	 * next switch. */
	struct gocsp__m *m = gocsp__getm();
	if (m != NULL && m->curg != NULL && m->p != NULL && m->p->id >= n)
		gocsp__switch_out(m->curg, GOCSP__M_REQUEUE);
	return old;
}

int
gocsp_numcpu(void)
{
	return gocsp__os_ncpu();
}
