/*
 * gocsp: Go's concurrency model for C.
 *
 * Coroutines on an M:N scheduler, channels, select, timers, sync, context
 * and coroutine-aware I/O.  Every blocking call works both inside a
 * coroutine (the coroutine parks, its worker thread runs others) and on a
 * plain OS thread (the thread blocks on a futex, no spinning), so channels
 * connect threads and coroutines freely.
 *
 * Conventions: calls that can fail return a negative GOCSP_E* code, 0 or a
 * non-negative result on success.  Durations and deadlines are int64_t
 * nanoseconds on the monotonic clock of gocsp_now(); GOCSP_FOREVER (-1)
 * means no timeout.
 */
#ifndef GOCSP_GOCSP_H
#define GOCSP_GOCSP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GOCSP_STATIC)
#define GOCSP_API
#elif defined(__GNUC__)
#define GOCSP_API __attribute__((visibility("default")))
#else
#define GOCSP_API
#endif

/*
 * Error codes.  A code with an errno twin equals its negative errno, so I/O
 * calls that return -errno never collide with them; gocsp's own codes sit
 * below -4000.
 */
#define GOCSP_ERRNO_MAP(XX)                                                \
	XX(EAGAIN, -11, "operation would block")                           \
	XX(ECLOSED, -4001, "channel or fd closed")                         \
	XX(ETIMEDOUT, -110, "timeout or deadline exceeded")                \
	XX(ECANCELED, -125, "operation canceled")                          \
	XX(ENOMEM, -12, "out of memory")                                   \
	XX(EINVAL, -22, "invalid argument")                                \
	XX(EPERM, -1, "operation not permitted")                           \
	XX(ENOENT, -2, "no such file, channel or pool")                    \
	XX(EEXIST, -17, "already exists (a channel: with other settings)") \
	XX(EPROTO, -71, "protocol error (malformed message)")              \
	XX(ECONNREFUSED, -111, "connection refused")                       \
	XX(ECONNRESET, -104, "connection reset by peer")                   \
	XX(ELIMIT, -4002, "a configured limit was hit")

enum gocsp_errno {
#define GOCSP__ERRNO_ENUM(name, value, text) GOCSP_##name = (value),
	GOCSP_ERRNO_MAP(GOCSP__ERRNO_ENUM)
#undef GOCSP__ERRNO_ENUM
};

/**
 * Describe an error code.
 *
 * @param code a GOCSP_E* code, or any negative errno (I/O calls return them).
 * @return a static string; never NULL, also for unknown codes.
 */
GOCSP_API const char *gocsp_strerror(int code);

/* Durations. */
#define GOCSP_FOREVER ((int64_t) -1)
#define GOCSP_US(x) ((int64_t) (x) *1000)
#define GOCSP_MS(x) ((int64_t) (x) *1000000)
#define GOCSP_SEC(x) ((int64_t) (x) *1000000000)

/* ---------------------------------------------------------------------- */
/* Limits                                                                  */
/* ---------------------------------------------------------------------- */

/*
 * Every limit the library enforces.  A call that exceeds one fails with
 * the code its documentation names; none is a crash.
 */

/* Largest channel element, in bytes (Go refuses element types of 64 KiB
 * and more at compile time).  Send a pointer to bigger values. */
#define GOCSP_CHAN_ELEM_MAX 65536

/* Most cases one gocsp_select takes. */
#define GOCSP_SELECT_MAX 65536

/*
 * Coroutine stacks do not grow (Go's do): each has a fixed size, chosen
 * when the coroutine is started.  The default is GOCSP_STACK_DEFAULT,
 * or $GOCSP_STACK_SIZE in bytes (suffix k or m allowed) read when the
 * runtime starts; gocsp_go_stack asks for another.  Sizes are rounded up
 * to whole pages, at least GOCSP_STACK_MIN; GOCSP_STACK_MAX is the most.
 * Only the pages a coroutine touches cost memory.
 *
 * Below every stack lies an inaccessible guard of GOCSP_STACK_GUARD
 * bytes.  A coroutine that runs off its stack into the guard, or faults
 * while its stack pointer is below its stack, ends the process with
 * "gocsp: fatal: stack overflow in coroutine N" (SIGABRT), never a bare
 * SIGSEGV.  A single frame larger than the guard (a large local array)
 * can step over it into memory that is mapped: compile coroutine code
 * with -fstack-clash-protection (pkg-config --cflags gocsp and the CMake
 * targets add it), which touches every page of a large frame in order,
 * so the guard catches any frame.  (A guard as large as the frames it
 * should catch without that would cost page tables: at 256 KiB, a million
 * parked coroutines took 627 MB of them and twice the time to start and
 * join.)
 */
/* Most bytes of arguments gocsp_go_args copies into a coroutine. */
#define GOCSP_GO_ARGS_MAX 4096

#define GOCSP_STACK_DEFAULT (64 * 1024)
#define GOCSP_STACK_MIN (16 * 1024)
#define GOCSP_STACK_MAX ((size_t) 1 << 30)
#define GOCSP_STACK_GUARD (16 * 1024)

/* ---------------------------------------------------------------------- */
/* Scheduler and coroutines                                                */
/* ---------------------------------------------------------------------- */

/**
 * Start fn(arg) as a new coroutine (Go's `go fn(arg)`).  Callable from a
 * coroutine or from any thread; starts the runtime on first use.
 *
 * @return 0, GOCSP_ENOMEM, or GOCSP_EINVAL when fn is NULL.
 */
GOCSP_API int gocsp_go(void (*fn)(void *), void *arg);

/**
 * As gocsp_go(), with a stack of at least stack_size bytes (rounded up to
 * pages; 0 means the default, $GOCSP_STACK_SIZE or GOCSP_STACK_DEFAULT).
 * Only the pages a coroutine touches cost memory.  See "Limits".
 *
 * @return 0, GOCSP_ENOMEM, or GOCSP_EINVAL (fn NULL, stack_size above
 *         GOCSP_STACK_MAX).
 */
GOCSP_API int gocsp_go_stack(void (*fn)(void *), void *arg, size_t stack_size);

/**
 * Start fn with its own copy of the size bytes at args: Go's `go f(x, y)`,
 * whose arguments are evaluated and copied when the go statement runs.
 * fn gets a pointer to the copy, which lives at the top of the new
 * coroutine's stack (aligned for any type) until fn returns: no heap
 * struct, no free, and the caller's args may change or go out of scope as
 * soon as this returns.  The coroutine takes its stack now rather than
 * when it first runs.  Callable from a coroutine or from any thread.
 *
 * @return 0, GOCSP_ENOMEM, or GOCSP_EINVAL (fn NULL, size above
 *         GOCSP_GO_ARGS_MAX, args NULL with size > 0).
 */
GOCSP_API int gocsp_go_args(void (*fn)(void *), const void *args, size_t size);

/*
 * gocsp_go_args with the arguments as a compound literal of type:
 *
 *     struct job { int id; gocsp_chan *out; };
 *     static void worker(void *arg) { struct job *j = arg; ... }
 *     ...
 *     for (int i = 0; i < n; i++)
 *             GOCSP_GO(worker, struct job, .id = i, .out = results);
 *
 * Evaluates to gocsp_go_args' result.  C only (C++ has no compound
 * literals).
 */
#define GOCSP_GO(fn, type, ...) \
	gocsp_go_args((fn), &(type){__VA_ARGS__}, sizeof(type))

/**
 * Run main_fn(arg) as a coroutine and return when it returns.  Like Go's
 * main, coroutines still running are abandoned (they stay parked or
 * queued; the runtime keeps its workers for the next call).
 *
 * @return 0, or GOCSP_ENOMEM / GOCSP_EINVAL (called from a coroutine).
 */
GOCSP_API int gocsp_run(void (*main_fn)(void *), void *arg);

/** Let other coroutines run (runtime.Gosched).  On a plain thread, sched_yield. */
GOCSP_API void gocsp_yield(void);

/**
 * runtime.GOMAXPROCS: n > 0 sets the number of processors (worker threads
 * running coroutines at once), n <= 0 queries.  @return the previous value.
 * The runtime starts with $GOCSP_MAXPROCS processors when it holds a
 * positive number, else gocsp_numcpu(); never more than 1024.
 */
GOCSP_API int gocsp_maxprocs(int n);

/** runtime.NumCPU: CPUs usable by this process. */
GOCSP_API int gocsp_numcpu(void);

/** runtime.NumGoroutine: coroutines that exist (running, runnable, parked). */
GOCSP_API long gocsp_num_coroutines(void);

/** Id of the running coroutine (>= 1), 0 on a plain thread. */
GOCSP_API uint64_t gocsp_self(void);

/* ---------------------------------------------------------------------- */
/* Deadlocks, dumps and crashes                                            */
/* ---------------------------------------------------------------------- */

/*
 * Deadlock.  When no coroutine can ever run again, the runtime prints
 *
 *     gocsp: fatal: all coroutines are asleep - deadlock!
 *
 * then the dump below, and exits with status 2, as Go does.  It reports
 * only what it can prove, so a report is never false but some deadlocks
 * go unreported.  It reports when all of these hold at once, for 10 ms
 * and more (then it looks again less and less often, at least once a
 * second, while the runtime stays idle):
 *  - no coroutine is running or runnable, and none is in a blocking
 *    system call (gocsp_read of a regular file);
 *  - no timer is pending: no coroutine sleeps or waits with a timeout,
 *    and no gocsp_after channel or ticker is live (stop tickers you no
 *    longer need);
 *  - no coroutine waits on an fd (gocsp_wait_fd, gocsp_read, ...): an
 *    fd may become ready from outside the process;
 *  - every thread of the process is either a worker of the runtime or
 *    a plain thread blocked in a gocsp call without a timeout (a channel
 *    operation, select, a sync call, gocsp_run), and none of those has
 *    been woken.  One plain thread doing anything else (computing, in
 *    read(2) or poll, in gocsp_wait_fd, on a pthread mutex, sleeping)
 *    might call the library later: no report.  So is any thread the
 *    library does not know, such as a sanitizer's or another library's
 *    (ThreadSanitizer's, nng's in gocspd).
 * A signal handler must not call the library (it is not async-signal-
 * safe); one that writes to a pipe a coroutine waits on is an fd wait.
 */

/*
 * Print every coroutine to f: its id, its state (running, runnable, or
 * what it waits for: chan send, chan receive, select, sleep, mutex lock,
 * fd wait, ... with how long, from a second on: counted from its
 * worker's last switches before the park, so a coroutine that ran long
 * without switching before it parked shows that time too), the function
 * it was started with and where it was started (gocsp_go's caller), as
 * "file(symbol+0xoff) [0xaddr]" (addr2line -e file 0xoff resolves
 * static functions).  The calling coroutine also gets its backtrace;
 * parked ones do not (tools/gocsp-gdb.py prints theirs in gdb).  Then
 * one "plain thread [...]" line for each thread blocked in a gocsp call
 * without a timeout, with what it waits for (gocsp_run: its main
 * coroutine).  Coroutines keep running meanwhile: each line is a
 * snapshot.
 *
 * SIGQUIT (Ctrl-\) prints "SIGQUIT: quit" and the same dump to stderr,
 * then exits with status 2, as Go does, unless the program handles or
 * ignores SIGQUIT when the runtime starts.
 *
 * $GOCSP_TRACEBACK, read when the runtime starts, as Go's GOTRACEBACK
 * for these fatal reports (deadlock, SIGQUIT): "none" or "0", the one
 * line only; "single", "all", "system" or unset, the dump too; "crash",
 * the dump and then SIGABRT (a core dump where enabled) instead of
 * exit status 2.
 */
GOCSP_API void gocsp_dump(FILE *f);

/* ---------------------------------------------------------------------- */
/* Channels                                                                */
/* ---------------------------------------------------------------------- */

/*
 * Memory model, Go's: a send happens before the matching receive
 * completes; a close happens before a receive that returns because the
 * channel is closed; for a buffered channel of capacity C, the k-th
 * receive happens before the (k+C)-th send completes.  So plain memory
 * written before a send may be read after the receive without atomics.
 * Likewise a Mutex unlock happens before the next lock returns, a
 * WaitGroup's done before the wait it releases returns, and once_do's
 * fn before any gocsp_once_do returns.
 */

typedef struct gocsp_chan gocsp_chan;

/**
 * Make a channel of elements of elem_size bytes (0: signal-only) with a
 * buffer of cap elements (0: unbuffered).
 *
 * @return a channel holding one reference, or NULL when out of memory or
 *         elem_size is above GOCSP_CHAN_ELEM_MAX.
 */
GOCSP_API gocsp_chan *gocsp_chan_make(size_t elem_size, size_t cap);

/** Take one more reference.  @return c. */
GOCSP_API gocsp_chan *gocsp_chan_retain(gocsp_chan *c);

/**
 * Drop one reference; the last one frees the channel once no operation on
 * it is in progress.  Releasing more than retained aborts.
 */
GOCSP_API void gocsp_chan_release(gocsp_chan *c);

/**
 * Send *elem (elem_size bytes are copied; elem may be NULL for
 * signal-only channels).  Blocks until a receiver has it (unbuffered) or it
 * is in the buffer.  A NULL channel blocks forever.
 *
 * @return 0, or GOCSP_ECLOSED if the channel is or becomes closed.
 */
GOCSP_API int gocsp_chan_send(gocsp_chan *c, const void *elem);

/**
 * Receive into *elem (may be NULL to discard).  A NULL channel blocks
 * forever (Go's nil channel): bound it with gocsp_chan_recv_timeout.
 *
 * @return 0, or GOCSP_ECLOSED once the channel is closed and drained
 *         (*elem is then zeroed).
 */
GOCSP_API int gocsp_chan_recv(gocsp_chan *c, void *elem);

/** As gocsp_chan_send(), but GOCSP_EAGAIN instead of blocking. */
GOCSP_API int gocsp_chan_trysend(gocsp_chan *c, const void *elem);

/** As gocsp_chan_recv(), but GOCSP_EAGAIN instead of blocking. */
GOCSP_API int gocsp_chan_tryrecv(gocsp_chan *c, void *elem);

/** As gocsp_chan_send(), giving up with GOCSP_ETIMEDOUT after timeout ns. */
GOCSP_API int gocsp_chan_send_timeout(gocsp_chan *c, const void *elem,
    int64_t timeout);

/** As gocsp_chan_recv(), giving up with GOCSP_ETIMEDOUT after timeout ns. */
GOCSP_API int gocsp_chan_recv_timeout(gocsp_chan *c, void *elem,
    int64_t timeout);

/**
 * Close: blocked receivers get GOCSP_ECLOSED, blocked senders get
 * GOCSP_ECLOSED, buffered values can still be received.
 *
 * @return 0, or GOCSP_ECLOSED if it was already closed.
 */
GOCSP_API int gocsp_chan_close(gocsp_chan *c);

/**
 * Put a value back at the head of the channel, as if the receive that
 * took it had not happened: the next receive gets it, ahead of every
 * buffered value and every blocked sender.  For a consumer that took a
 * value it cannot deliver (gocspd uses it when a client dies holding one).
 * Never blocks: a blocked receiver takes the value at once; otherwise it is
 * buffered even when the buffer is full or the channel unbuffered, so
 * gocsp_chan_len() may exceed gocsp_chan_cap() until receivers drain it
 * (senders wait meanwhile, as for a full buffer).  Works on a closed
 * channel too: receivers drain the value before they see the close.
 *
 * @return 0, GOCSP_ENOMEM (nothing changed), or GOCSP_EINVAL (NULL c).
 */
GOCSP_API int gocsp_chan_unrecv(gocsp_chan *c, const void *elem);

/** Values in the buffer now (values put back included). */
GOCSP_API size_t gocsp_chan_len(gocsp_chan *c);

/** Buffer capacity. */
GOCSP_API size_t gocsp_chan_cap(gocsp_chan *c);

/* ---------------------------------------------------------------------- */
/* Select                                                                  */
/* ---------------------------------------------------------------------- */

enum { GOCSP_SEND = 1, GOCSP_RECV = 2 };

typedef struct gocsp_case {
	gocsp_chan *chan; /* NULL: a case that is never ready (nil channel) */
	int op;           /* GOCSP_SEND or GOCSP_RECV */
	void *elem; /* value to send, or where to store the received one */
	int ok;     /* out: 1 value moved; 0 the channel was closed */
} gocsp_case;

/**
 * Wait until one case can proceed and perform it.  Among the ready cases
 * one is chosen uniformly at random; only that case's ok (and elem for a
 * receive) is written.  A receive case that proceeds because its channel
 * is closed and drained gets ok = 0 and *elem zeroed, as gocsp_chan_recv.
 * A channel may appear in several cases, for the same or both directions;
 * a select's send never meets its own receive.  With no cases (n == 0,
 * cases may then be NULL) or only NULL channels, nothing is ever ready:
 * GOCSP_FOREVER blocks forever (Go's `select {}`), 0 returns
 * GOCSP_EAGAIN, a timeout GOCSP_ETIMEDOUT.
 *
 * @param timeout 0: Go's default (GOCSP_EAGAIN when none is ready);
 *                GOCSP_FOREVER: block; otherwise ns.
 * @return the index of the case that proceeded, GOCSP_EAGAIN,
 *         GOCSP_ETIMEDOUT, or GOCSP_EINVAL (bad op, n above
 *         GOCSP_SELECT_MAX).
 *         A send case on a closed channel proceeds with ok = 0.
 */
GOCSP_API int gocsp_select(gocsp_case *cases, size_t n, int64_t timeout);

/* ---------------------------------------------------------------------- */
/* Time                                                                    */
/* ---------------------------------------------------------------------- */

/** Monotonic clock in ns. */
GOCSP_API int64_t gocsp_now(void);

/**
 * Go's time.ParseDuration: a signed sequence of decimal numbers, each with
 * an optional fraction and a unit (ns, us or µs, ms, s, m, h), such as
 * "300ms", "-1.5h" or "2h45m"; "0" needs no unit.
 *
 * @param[out] out the duration in ns.
 * @return 0, or GOCSP_EINVAL (malformed, unknown unit, out of int64 range).
 */
GOCSP_API int gocsp_parse_duration(const char *s, int64_t *out);

/** Sleep d ns (parks a coroutine, blocks a thread).  d <= 0 returns. */
GOCSP_API void gocsp_sleep(int64_t d);

/**
 * time.After: a channel (int64_t elements, buffer 1) that receives
 * gocsp_now() once, d ns from now.  The caller owns the returned reference.
 * @return the channel, or NULL when out of memory.
 */
GOCSP_API gocsp_chan *gocsp_after(int64_t d);

typedef struct gocsp_ticker gocsp_ticker;

/**
 * A ticker sending gocsp_now() every period ns (first tick one period from
 * now) on a channel with a buffer of 1; a slow reader loses ticks.
 * @return the ticker, or NULL (out of memory, period <= 0).
 */
GOCSP_API gocsp_ticker *gocsp_ticker_new(int64_t period);

/** The ticker's channel, borrowed; never closed. */
GOCSP_API gocsp_chan *gocsp_ticker_chan(gocsp_ticker *t);

/** Stop and free: no tick is sent after it returns. */
GOCSP_API void gocsp_ticker_stop(gocsp_ticker *t);

/* ---------------------------------------------------------------------- */
/* sync: zero-filled values are valid (Go's zero values)                   */
/* ---------------------------------------------------------------------- */

/* Fields ending in _ are private. */
typedef struct gocsp_waitgroup {
	uint64_t state_; /* counter << 32 | waiters */
	uint32_t sema_;
} gocsp_waitgroup;

typedef struct gocsp_mutex {
	uint32_t locked_; /* 1: held; a word of its own (mutex.c) */
	int32_t state_;   /* woken, starving, waiters */
	uint32_t sema_;
} gocsp_mutex;

typedef struct gocsp_rwmutex {
	gocsp_mutex w_;
	uint32_t writer_sem_;
	uint32_t reader_sem_;
	int32_t reader_count_;
	int32_t reader_wait_;
} gocsp_rwmutex;

typedef struct gocsp_once {
	uint32_t done_;
	gocsp_mutex m_;
} gocsp_once;

/** wg.Add(delta).  A negative counter aborts (Go panics). */
GOCSP_API void gocsp_wg_add(gocsp_waitgroup *wg, int delta);

/** wg.Done(): gocsp_wg_add(wg, -1). */
GOCSP_API void gocsp_wg_done(gocsp_waitgroup *wg);

/** wg.Wait(): until the counter is zero; then wg may be freed. */
GOCSP_API void gocsp_wg_wait(gocsp_waitgroup *wg);

/**
 * sync.Mutex.Lock.  A coroutine that waits parks; a plain thread blocks.
 * Starvation mode as Go's: a waiter that waited over 1 ms gets the lock
 * handed to it directly.
 */
GOCSP_API void gocsp_mutex_lock(gocsp_mutex *m);

/**
 * sync.Mutex.Unlock.  Unlocking an unlocked mutex aborts.  As in Go, a
 * locked mutex belongs to no coroutine: any coroutine or thread may
 * unlock it.
 */
GOCSP_API void gocsp_mutex_unlock(gocsp_mutex *m);

/** sync.Mutex.TryLock.  @return 0 (locked) or GOCSP_EAGAIN. */
GOCSP_API int gocsp_mutex_trylock(gocsp_mutex *m);

/** sync.RWMutex: shared (reader) lock; a waiting writer blocks new readers. */
GOCSP_API void gocsp_rwmutex_rlock(gocsp_rwmutex *m);
GOCSP_API void gocsp_rwmutex_runlock(gocsp_rwmutex *m);
/** sync.RWMutex: exclusive (writer) lock. */
GOCSP_API void gocsp_rwmutex_lock(gocsp_rwmutex *m);
GOCSP_API void gocsp_rwmutex_unlock(gocsp_rwmutex *m);

/** sync.Once.Do: fn(arg) runs once; every caller returns after it finished. */
GOCSP_API void gocsp_once_do(gocsp_once *o, void (*fn)(void *), void *arg);

/* sync.Cond: zero-filled is valid; wait atomically unlocks m and waits. */
typedef struct gocsp_cond {
	uint32_t wait_;   /* next ticket */
	uint32_t notify_; /* next ticket to be notified */
	uint32_t lock_;
	uint32_t pad_;
	void *head_;
	void *tail_;
} gocsp_cond;

/** cond.Wait: unlock m, wait for a signal or broadcast, lock m again. */
GOCSP_API void gocsp_cond_wait(gocsp_cond *c, gocsp_mutex *m);
/** cond.Signal: wake one waiter, if any. */
GOCSP_API void gocsp_cond_signal(gocsp_cond *c);
/** cond.Broadcast: wake every waiter. */
GOCSP_API void gocsp_cond_broadcast(gocsp_cond *c);

/* sync.Pool: a bounded cache of objects, per processor. */
typedef struct gocsp_pool {
	void *(*new_fn)(void *udata);
	void (*free_fn)(void *obj, void *udata);
	void *udata;
	void *local_;     /* private: per-processor caches */
	uint32_t nlocal_; /* private */
	uint32_t pad_;
} gocsp_pool;

/**
 * Prepare a pool.  new_fn makes an object when the cache is empty (may be
 * NULL: gocsp_pool_get then returns NULL); free_fn disposes of objects the
 * cache cannot keep (may be NULL: they are free()d).
 */
GOCSP_API void gocsp_pool_init(gocsp_pool *p, void *(*new_fn)(void *udata),
    void (*free_fn)(void *obj, void *udata), void *udata);

/** A cached object, or new_fn(udata).  A get that follows a put with no
 * blocking call between returns a cached object. */
GOCSP_API void *gocsp_pool_get(gocsp_pool *p);

/** Return obj to the cache; free_fn() it when the cache is full. */
GOCSP_API void gocsp_pool_put(gocsp_pool *p, void *obj);

/** free_fn() every cached object and release the caches. */
GOCSP_API void gocsp_pool_destroy(gocsp_pool *p);

/* ---------------------------------------------------------------------- */
/* context                                                                 */
/* ---------------------------------------------------------------------- */

typedef struct gocsp_ctx gocsp_ctx;

/** context.Background(): never canceled, no deadline; not released. */
GOCSP_API gocsp_ctx *gocsp_ctx_background(void);

/**
 * A child of parent canceled by gocsp_ctx_cancel or with its parent.
 * Holds a reference to parent.  @return one reference, or NULL (no memory).
 */
GOCSP_API gocsp_ctx *gocsp_ctx_with_cancel(gocsp_ctx *parent);

/** As with_cancel, also canceled (GOCSP_ETIMEDOUT) at deadline
 * (gocsp_now() clock); the earliest deadline in the ancestry applies. */
GOCSP_API gocsp_ctx *gocsp_ctx_with_deadline(gocsp_ctx *parent,
    int64_t deadline);

/** with_deadline(parent, gocsp_now() + timeout); GOCSP_FOREVER: none of its own. */
GOCSP_API gocsp_ctx *gocsp_ctx_with_timeout(gocsp_ctx *parent,
    int64_t timeout);

/** A child carrying value under key (compared by address); inherits the rest. */
GOCSP_API gocsp_ctx *gocsp_ctx_with_value(gocsp_ctx *parent, const void *key,
    void *value);

/** Cancel ctx and all its descendants (GOCSP_ECANCELED); idempotent;
 * a no-op on background and value contexts. */
GOCSP_API void gocsp_ctx_cancel(gocsp_ctx *ctx);

/** Borrowed channel closed on cancel (usable in select); NULL for background. */
GOCSP_API gocsp_chan *gocsp_ctx_done(gocsp_ctx *ctx);

/** 0 while live, then GOCSP_ECANCELED or GOCSP_ETIMEDOUT. */
GOCSP_API int gocsp_ctx_err(gocsp_ctx *ctx);

/** @return 1 and *deadline if ctx has a deadline, else 0. */
GOCSP_API int gocsp_ctx_deadline(gocsp_ctx *ctx, int64_t *deadline);

/** The value for key in ctx or its ancestors, or NULL. */
GOCSP_API void *gocsp_ctx_value(gocsp_ctx *ctx, const void *key);

GOCSP_API gocsp_ctx *gocsp_ctx_retain(gocsp_ctx *ctx);
/** Drop a reference.  Does not cancel: call gocsp_ctx_cancel first. */
GOCSP_API void gocsp_ctx_release(gocsp_ctx *ctx);

/* ---------------------------------------------------------------------- */
/* Coroutine-aware I/O (the netpoller)                                     */
/* ---------------------------------------------------------------------- */

enum { GOCSP_READABLE = 1, GOCSP_WRITABLE = 2 };

/**
 * Wait until fd is ready for events (GOCSP_READABLE | GOCSP_WRITABLE).
 * @return the ready events (> 0; errors and hang-ups count as both),
 *         GOCSP_ETIMEDOUT, GOCSP_EAGAIN for timeout 0, or -errno.
 */
GOCSP_API int gocsp_wait_fd(int fd, int events, int64_t timeout);

/**
 * read(2) that parks the coroutine (or blocks the thread) while fd has no
 * data; fd is made non-blocking.  Regular files are not pollable: the read
 * blocks its worker, which first hands its processor to another worker.
 * To wake the reads and writes blocked on fd (Go's conn.Close()), close
 * it with gocsp_close: close(2) alone wakes nobody.
 * @return bytes read, 0 at end of file, or -errno.
 */
GOCSP_API ssize_t gocsp_read(int fd, void *buf, size_t n);

/**
 * Write all n bytes, parking while fd is full.  A socket whose peer has
 * gone answers -EPIPE (no SIGPIPE is raised, as in Go); a pipe or FIFO
 * whose reader has gone raises SIGPIPE as write(2) does, which kills the
 * process unless SIGPIPE is ignored or handled (Go does the same for
 * standard output and error).
 * @return n, the bytes written before an error, or -errno if none.
 */
GOCSP_API ssize_t gocsp_write(int fd, const void *buf, size_t n);

/** accept4(2) with SOCK_CLOEXEC|SOCK_NONBLOCK, parking while no connection
 * is pending.  @return the new fd or -errno. */
GOCSP_API int gocsp_accept(int fd, struct sockaddr *addr, socklen_t *len);

/** connect(2), parking until the connection is made.  @return 0 or -errno. */
GOCSP_API int gocsp_connect(int fd, const struct sockaddr *addr,
    socklen_t len);

/**
 * Promise that fd is closed only with gocsp_close, as a Go net.Conn owns
 * its socket: the netpoller then registers fd once, and every wait on it
 * saves a system call (epoll_ctl), which is as much as a read costs; an
 * owned pipe's reads and writes also skip the two calls (fcntl, fstat)
 * that tell gocsp what a pipe is.  fd is made non-blocking.  Closing an
 * owned fd with close(2) breaks the promise: a later wait on a new file
 * that reuses the number may never wake.  For sockets, pipes and other
 * pollable fds that one part of a program opens and closes, such as a
 * server's connections.
 * @return 0, GOCSP_EPERM (fd is not pollable: a regular file or a
 *         directory), GOCSP_ENOMEM, or -errno (-EBADF: fd is not open).
 */
GOCSP_API int gocsp_fd_own(int fd);

/**
 * Close fd, owned or not, as Go's conn.Close() does: coroutines blocked
 * on it in gocsp calls (gocsp_read, gocsp_write, gocsp_wait_fd, ...)
 * return GOCSP_ECLOSED; a call that races with the close returns
 * GOCSP_ECLOSED or -EBADF.
 * A plain thread blocked on fd is not woken (poll(2) ignores a close; a
 * socket can be shut down first), and its next call fails with -EBADF.
 * Ends the ownership of gocsp_fd_own.  Callable from a coroutine or from
 * any thread.
 * @return 0, or -errno from close(2).
 */
GOCSP_API int gocsp_close(int fd);

/*
 * The same calls bounded by a context: a wait ends when ctx is done
 * (cancelled, or past its deadline).  A ctx that is already done fails the
 * call before any I/O.  On a plain thread, cancellation is noticed within
 * about 10 ms.  ctx may be gocsp_ctx_background() (or NULL): no bound.
 * Besides the plain calls' results, each may return gocsp_ctx_err(ctx):
 * GOCSP_ECANCELED or GOCSP_ETIMEDOUT.  gocsp_write_ctx returns the bytes
 * written before the context ended, if any.  A connect that is cut short
 * leaves the socket half-open: close it.
 */
GOCSP_API int gocsp_wait_fd_ctx(gocsp_ctx *ctx, int fd, int events);
GOCSP_API ssize_t gocsp_read_ctx(gocsp_ctx *ctx, int fd, void *buf, size_t n);
GOCSP_API ssize_t gocsp_write_ctx(gocsp_ctx *ctx, int fd, const void *buf,
    size_t n);
GOCSP_API int gocsp_accept_ctx(gocsp_ctx *ctx, int fd, struct sockaddr *addr,
    socklen_t *len);
GOCSP_API int gocsp_connect_ctx(gocsp_ctx *ctx, int fd,
    const struct sockaddr *addr, socklen_t len);

/* ---------------------------------------------------------------------- */
/* Build information                                                       */
/* ---------------------------------------------------------------------- */

#define GOCSP_VERSION_MAJOR 0
#define GOCSP_VERSION_MINOR 1
#define GOCSP_VERSION_PATCH 0

#ifdef __cplusplus
}
#endif

#endif /* GOCSP_GOCSP_H */
