/*
 * The operating-system contract of the core: futexes, memory, clocks and
 * CPUs, behind one header.  Linux is the only port; another implements
 * these and replaces the calls below, which stay beside their only user
 * because each is that module's job or a single line of it:
 *  - netpoll.c: epoll_create1, epoll_ctl, epoll_pwait2, epoll_wait,
 *    eventfd, poll, and read/write of the eventfd (the netpoller is the
 *    port of readiness, as Go keeps netpoll_epoll.go per system);
 *  - io.c: read, write, send, recv, accept4, connect, getsockopt, fcntl
 *    and fstat (the coroutine-aware I/O calls wrap exactly these);
 *  - sched.c: pthread_create and its attributes, pthread_getattr_np
 *    (a worker's own stack bounds, for the sanitizers) and sigaltstack
 *    (the signal stack of the overflow report);
 *  - fault.c: sigaction, signal and write(2) (the overflow report);
 *  - dump.c: sigaction, signal, write(2), _exit, backtrace and dladdr
 *    (the coroutine dump, SIGQUIT and the fatal reports);
 *  - error.c: write(2) (gocsp__throw) and strerrordesc_np;
 *  - time.c: clock_nanosleep (a plain thread's gocsp_sleep);
 *  - coro.c, lock.c: sched_yield.
 * Everything else comes from the C library (malloc, pthread_once, getenv).
 */
#ifndef GOCSP_OS_H
#define GOCSP_OS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Block while *addr == val, at most until the monotonic deadline (ns;
 * < 0 means none).  Returns early on a wake or spuriously; callers loop.
 * Returns 0, or GOCSP_ETIMEDOUT once the deadline has passed.
 */
int gocsp__futex_wait(uint32_t *addr, uint32_t val, int64_t deadline);

/* Wake up to n threads blocked in gocsp__futex_wait on addr. */
void gocsp__futex_wake(uint32_t *addr, int n);

/* Monotonic clock, ns. */
int64_t gocsp__os_now(void);

/* The same clock to a few milliseconds, cheaper (stamps for the dump). */
int64_t gocsp__os_now_coarse(void);

/* Threads in this process now, or -1 when the kernel does not say. */
long gocsp__os_nthreads(void);

/* CPUs this process may run on (sched_getaffinity), at least 1. */
int gocsp__os_ncpu(void);

/* Page size in bytes. */
size_t gocsp__os_pagesize(void);

/*
 * Reserve len bytes of address space, readable and writable, without
 * committing memory (pages cost memory once touched).  NULL on failure.
 */
void *gocsp__os_reserve(size_t len);

/* Give back [p, p+len). */
void gocsp__os_release(void *p, size_t len);

/*
 * Make [p, p+len) a guard region that faults on any access.  Prefers
 * MADV_GUARD_INSTALL (Linux 6.13+: no extra mapping, so no cost against
 * vm.max_map_count) and falls back to mprotect(PROT_NONE), which splits the
 * mapping and so counts against vm.max_map_count.
 * Returns 1 (guard without a mapping), 2 (guard by mprotect) or 0 (failed).
 */
int gocsp__os_guard(void *p, size_t len, int allow_mprotect);

/*
 * Make the n regions [base + i * stride, + len) guards like
 * gocsp__os_guard's kind 1, in one system call (process_madvise, Linux
 * 6.13+).  Returns how many of them, from the first, now are; 0 when the
 * kernel cannot: the caller guards those one by one.
 */
int gocsp__os_guard_strided(void *base, size_t stride, size_t len, int n);

/* Undo a guard made by mprotect (kind 2); kind 1 needs nothing. */
void gocsp__os_unguard(void *p, size_t len, int kind);

/* vm.max_map_count, or a conservative default when unreadable. */
long gocsp__os_max_map_count(void);

/* Sleep about ns nanoseconds (short naps: the thread's timer slack is
 * made small by gocsp__os_thread_init). */
void gocsp__os_nap(int64_t ns);

/* Per-worker-thread setup: a small timer slack, so naps are short. */
void gocsp__os_thread_init(void);

/* Cheap pause for spin loops. */
static inline void
gocsp__os_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

#endif /* GOCSP_OS_H */
