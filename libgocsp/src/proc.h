/*
 * proc.h: workers (M) and processors (P), shared by the scheduler files
 * (sched.c, runq.c, coro.c).  Besides them only chan.h includes it, for
 * gocsp__ready_parked: the rest of the library gets the few calls it
 * needs through internal.h.
 */
#ifndef GOCSP_PROC_H
#define GOCSP_PROC_H

#include <pthread.h>

#include "internal.h"
#include "stack.h"

#define GOCSP__RUNQ_SIZE 256
#define GOCSP__SPAWNQ_SIZE 256
#define GOCSP__GCACHE_MAX 256  /* dead Gs kept per P, with their stacks */
#define GOCSP__GFREE_MAX 16384 /* dead Gs kept in the global list */

enum gocsp__pstatus {
	GOCSP__P_IDLE,    /* on the idle list */
	GOCSP__P_RUNNING, /* owned by an M */
	GOCSP__P_RETIRED, /* id >= GOMAXPROCS, owned by no M */
};

#define GOCSP__RECHECK_MAX 8 /* deferred Mutex checks per P */

struct gocsp__p {
	int id;
	int status; /* enum gocsp__pstatus, under sched.lock */

	/* Local run queue (Go's runq): owner pushes at tail and pops at
	 * head; thieves take half from head.  All CAS head. */
	_Atomic uint32_t runqhead;
	_Atomic uint32_t runqtail;
	struct gocsp__g *_Atomic runq[GOCSP__RUNQ_SIZE];
	/* The G readied last, run next: what makes handoffs cheap. */
	struct gocsp__g *_Atomic runnext;
	/* Spawned Gs that have not run yet (runq.c): a deque whose owner
	 * pushes and pops the newest end (spawnbot), thieves take the
	 * oldest (CAS spawntop). */
	_Atomic uint32_t spawntop;
	_Atomic uint32_t spawnbot;
	struct gocsp__g *_Atomic spawnq[GOCSP__SPAWNQ_SIZE];

	_Atomic uint32_t schedtick; /* written by the owner only */
	int64_t switched_at; /* owner only: coarse clock at a recent switch,
	                        what parked Gs are stamped with
	                        (find_runnable) */
	uint32_t ring_skips; /* owner only: runs in a row taken before the
	                        ring (runnext, spawnq) */

	struct gocsp__p *link; /* idle list, under sched.lock */

	struct gocsp__timerheap timers;
	struct gocsp__stackcache stacks; /* owner only */

	/* Mutex waiters that parked before their check for a missed
	 * Unlock was due (mutex.c): whose sema key, and when; owner only,
	 * run by find_runnable. */
	int nrecheck;
	int recheck_in; /* find_runnable calls until it looks at them */
	struct {
		const void *key;
		int64_t due;
	} recheck[GOCSP__RECHECK_MAX];

	struct gocsp__g *gfree; /* dead Gs, owner only */
	int ngfree;
	uint64_t goid_next, goid_end; /* id batch, owner only */
	_Atomic long gcount; /* Gs created here minus Gs that exited here */
};

enum gocsp__maction {
	GOCSP__M_PARK = 1, /* park, then call unlockf */
	GOCSP__M_PARK_RACY,
	GOCSP__M_YIELD,
	GOCSP__M_EXIT,
	GOCSP__M_REQUEUE, /* to the global queue, waking an idle M (left a
	                     blocking call with no P; yields to an idle M) */
};

struct gocsp__m {
	struct gocsp__regs g0regs; /* the scheduler's context */
	struct gocsp__g *curg;     /* running G, NULL on g0 */
	struct gocsp__p *p;        /* owned P, NULL while idle */
	struct gocsp__p
	    *nextp;       /* P handed over by the waker, under sched.lock */
	bool spinning;    /* looking for work, counted in nmspinning */
	int64_t spin_ns;  /* how long it spins before sleeping (spin_adapt) */
	int64_t spun_out; /* when it last gave up spinning, 0 if it has
	                            found work since */
	int spread;       /* Gs readied now that go to the global queue
	                            (poll_ready) */
	bool runs_next;   /* the next G it readies it runs itself, so
	                            readying it wakes no other M (m_sleep) */
	struct gocsp__g *prevg;  /* the G that just switched away */
	int action;              /* what prevg asked for */
	void (*unlockf)(void *); /* GOCSP__M_PARK: run once curg is parked */
	void *unlockarg;
	_Atomic uint32_t wake; /* futex: 0 sleeping, 1 woken */
	bool polling;     /* sleeping in the netpoller, under sched.lock */
	bool dispatching; /* in gocsp__netpoll, waking fds' waiters */
	bool fd_woke;     /* relaxed atomic: its last sleep ended for work that
	                 ready fds brought (spin_adapt) */
	struct gocsp__m *link; /* idle list, under sched.lock */
	pthread_t thread;
	void
	    *altstack; /* signal stack for overflow reports (kept reachable) */
	void *g0_stack_lo; /* for sanitizer fiber annotations */
	size_t g0_stack_size;
	void *g0_fake_stack;
#ifdef GOCSP_TSAN
	void *tsan_fiber;
#endif
};

struct gocsp__sched {
	gocsp__lock lock;

	/* Global run queue, under lock: batches of Gs (runq.c); the size is
	 * also read without the lock. */
	struct gocsp__g *runqhead, *runqlast; /* first and last batch */
	_Atomic long runqsize;

	struct gocsp__p *pidle; /* under lock */
	_Atomic int npidle;
	struct gocsp__m *midle; /* under lock */
	_Atomic int nmidle;
	_Atomic int nmspinning;
	int nm; /* Ms created, under lock; read without it as a hint */
	int64_t deadlock_wait; /* all idle this long: check for a deadlock
	                          (m_sleep), under lock */
	/* Idle Ms rescuing stranded Mutex waiters (m_sleep): a waiter one
	 * has claimed is not yet runnable, and no deadlock. */
	_Atomic int nrescuing;

	/* The idle M that sleeps until the next timer, under lock. */
	struct gocsp__m *timer_sleeper;
	int64_t sleep_until;
	/* The idle M blocked in the netpoller, under lock; read as a hint. */
	struct gocsp__m *poller;

	_Atomic int nprocs; /* GOMAXPROCS */
	_Atomic int nallp;  /* Ps allocated */
	struct gocsp__p *_Atomic allp[GOCSP__MAX_PROCS];

	gocsp__lock gfree_lock;
	/* Dead Gs: batches (coro.c), under gfree_lock; the list head is
	 * also read as a hint. */
	struct gocsp__g *gfree;
	long ngfree;

	_Atomic uint64_t goid_gen;
	_Atomic long gcount_threads; /* Gs created off the workers */
};

extern struct gocsp__sched gocsp__sched;

/*
 * The calling thread's M, NULL on a plain thread.  Reread after a park: a
 * coroutine may resume on another worker, so the compiler must never
 * reuse a thread-local address computed before a context switch.  On
 * x86-64 a volatile asm load does that in two instructions; elsewhere a
 * call the optimizer cannot see into.
 */
extern __thread struct gocsp__m *gocsp__tls_m
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

#if defined(__x86_64__)
static inline struct gocsp__m *
gocsp__getm(void)
{
	struct gocsp__m *m;
	__asm__ __volatile__("movq gocsp__tls_m@gottpoff(%%rip), %0\n\t"
	                     "movq %%fs:(%0), %0"
	                     : "=r"(m)
	                     :
	                     : "memory");
	return m;
}
#else
struct gocsp__m *gocsp__getm(void);
#endif

/* runq.c: local and global run queues (Go's runqput/runqget/runqsteal). */
void gocsp__runqput_slow(struct gocsp__p *p, struct gocsp__g *g, bool next);

/* Queue g on p (the caller owns p): in runnext if next (the old runnext
 * moves to the ring), else at the ring's tail.  The common cases inline:
 * every handoff and yield goes through here. */
static inline void
gocsp__runqput(struct gocsp__p *p, struct gocsp__g *g, bool next)
{
	if (next) {
		/* Only the owner fills runnext, so an empty one stays empty
		 * until this store: no read-modify-write needed. */
		if (gocsp__likely(atomic_load_explicit(&p->runnext,
		                      memory_order_relaxed) == NULL)) {
			atomic_store_explicit(&p->runnext, g,
			    memory_order_release);
			return;
		}
	} else {
		uint32_t h =
		    atomic_load_explicit(&p->runqhead, memory_order_acquire);
		uint32_t t =
		    atomic_load_explicit(&p->runqtail, memory_order_relaxed);
		if (t - h < GOCSP__RUNQ_SIZE) {
			atomic_store_explicit(&p->runq[t % GOCSP__RUNQ_SIZE],
			    g, memory_order_relaxed);
			atomic_store_explicit(&p->runqtail, t + 1,
			    memory_order_release);
			return;
		}
	}
	gocsp__runqput_slow(p, g, next);
}
/* The next G the owner of p runs: runnext, else the newest spawned,
 * else the ring's head (the ring first after a streak of the others). */
struct gocsp__g *gocsp__runqget(struct gocsp__p *p);
/* Nothing queued on p (ring, runnext, spawned); exact only for the
 * owner. */
bool gocsp__runqempty(struct gocsp__p *p);
/* A thief (owner of p): take half of victim's ring, or its runnext when
 * the ring is empty; return one and queue the others on p. */
struct gocsp__g *gocsp__runqsteal(struct gocsp__p *p, struct gocsp__p *victim);
/* Owner of p: queue a G spawned there that has not run yet.  false if
 * the deque is full. */
bool gocsp__spawnq_push(struct gocsp__p *p, struct gocsp__g *g);
/* Spawned Gs queued on p; exact only for the owner. */
uint32_t gocsp__spawnq_len(struct gocsp__p *p);
/* A thief (owner of p): take the older half of victim's spawned Gs, at
 * least one; return the oldest and queue the others on p.  NULL if
 * there were none. */
struct gocsp__g *gocsp__spawnq_steal(struct gocsp__p *p,
    struct gocsp__p *victim);
/* Global queue: sched.lock held.  Gs in a chain are linked by
 * schedlink. */
void gocsp__globrunqput(struct gocsp__g *g);
void gocsp__globrunqputbatch(struct gocsp__g *head, struct gocsp__g *tail,
    long n);
/* Detach the first batch, at most max Gs: returns its first G (NULL if
 * the queue is empty) and their number in *n. */
struct gocsp__g *gocsp__globrunqtake(long max, long *n);
#define GOCSP__GLOBAL_BATCH (GOCSP__RUNQ_SIZE / 2 + 1)
/* Without sched.lock: queue the n - 1 Gs that follow head in its chain
 * (from gocsp__globrunqtake) in p's ring, and return head. */
struct gocsp__g *gocsp__runqput_chain(struct gocsp__p *p,
    struct gocsp__g *head, long n);

/* sched.c */
void gocsp__wakep(void);
/* Whether gocsp__wakep has anything to do: an idle P, and no M spinning
 * that would find the work anyway. */
static inline bool
gocsp__wakep_wanted(void)
{
	return atomic_load(&gocsp__sched.npidle) != 0 &&
	    atomic_load(&gocsp__sched.nmspinning) == 0;
}
/* Put a runnable G where it will run: the caller's P, else the global
 * queue, and wake an idle worker if there is work for it. */
void gocsp__put_runnable(struct gocsp__g *g, bool next);

/*
 * gocsp__ready(g, false), inline: the waker of a channel handoff readies
 * its partner into runnext on its own P without a call.  The common case
 * of gocsp__put_runnable; the others go through it.
 */
static inline void
gocsp__ready_parked(struct gocsp__g *g)
{
	atomic_store_explicit(&g->status, GOCSP__G_RUNNABLE,
	    memory_order_relaxed);
	struct gocsp__m *m = gocsp__getm();
	struct gocsp__p *p = m != NULL ? m->p : NULL;
	if (gocsp__likely(p != NULL && m->spread == 0)) {
		gocsp__runqput(p, g, true);
		if (gocsp__unlikely(gocsp__wakep_wanted()))
			gocsp__wakep();
		return;
	}
	gocsp__put_runnable(g, true);
}
/* Switch away from the running G (to the next runnable G, or to the
 * worker's scheduler).  Returns when the G is resumed (never for
 * GOCSP__M_EXIT). */
void gocsp__switch_out(struct gocsp__g *g, int action);
/* In the context just switched to: carry out what the G that left asked
 * for (m->prevg, m->action). */
void gocsp__finish_switch(struct gocsp__m *m);

/* coro.c */
struct gocsp__g *gocsp__gnew(struct gocsp__p *p);
void gocsp__gfree(struct gocsp__p *p, struct gocsp__g *g);
/* First entry of a new G: runs fn(arg), then exits. */
void gocsp__g_entry(void *g);

#endif /* GOCSP_PROC_H */
