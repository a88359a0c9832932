/*
 * Design notes: reporting stack overflows.  A coroutine that runs off the
 * bottom of its stack hits the guard region below it; the SIGSEGV handler
 * runs on the worker's alternate signal stack (the coroutine's stack is
 * exhausted), recognizes a fault in the guard below the running
 * coroutine's stack, or any fault while the coroutine's stack pointer is
 * below its stack (a frame larger than the guard that reached unmapped
 * memory), and reports it in one line before aborting.  Faults that are not
 * ours go to the handler that was installed before, or to the default
 * action.  Stacks without a guard are checked at every switch instead
 * (sched.c check_stack), which reports through the same function.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* REG_RSP */
#endif
#include "internal.h"
#include "stack.h"

#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static struct sigaction old_segv, old_bus;

/* Async-signal-safe decimal formatting. */
static size_t
fmt_u64(char *out, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static size_t
append(char *buf, size_t at, const char *s)
{
	size_t n = strlen(s);
	memcpy(buf + at, s, n);
	return at + n;
}

void
gocsp__stack_overflow(uint64_t id, size_t size)
{
	char line[256];
	size_t n =
	    append(line, 0, "gocsp: fatal: stack overflow in coroutine ");
	n += fmt_u64(line + n, id);
	n = append(line, n, " (stack of ");
	n += fmt_u64(line + n, size);
	n = append(line, n,
	    " bytes; use gocsp_go_stack or GOCSP_STACK_SIZE "
	    "for a larger one)\n");
	(void) !write(2, line, n);
	signal(SIGABRT, SIG_DFL);
	abort();
}

/* The stack pointer of the interrupted context, 0 where unknown. */
static uintptr_t
fault_sp(void *uctx)
{
	const ucontext_t *uc = uctx;
#if defined(__x86_64__)
	return (uintptr_t) uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
	return (uintptr_t) uc->uc_mcontext.sp;
#else
	(void) uc;
	return 0;
#endif
}

/* A fault of g's: in the guard below its stack, or with its stack
 * pointer below its stack (by less than the largest stack: farther, it
 * runs on a stack of its own making). */
static bool
overflowed(struct gocsp__g *g, uintptr_t addr, uintptr_t sp)
{
	uintptr_t lo = (uintptr_t) g->stack_lo;
	if (addr < lo && addr >= lo - gocsp__stack_guard_size())
		return true;
	return sp != 0 && sp < lo && lo - sp <= GOCSP_STACK_MAX;
}

static void
on_fault(int sig, siginfo_t *si, void *uctx)
{
	struct gocsp__g *g = gocsp__curg();
	if (g != NULL && g->stack_lo != NULL &&
	    overflowed(g, (uintptr_t) si->si_addr, fault_sp(uctx)))
		gocsp__stack_overflow(g->id, g->stack_size);
	struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction != NULL) {
		old->sa_sigaction(sig, si, uctx);
	} else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
	} else {
		/* Return to the faulting instruction with the default
		 * action in place: the process dies as it would have. */
		signal(sig, SIG_DFL);
	}
}

void
gocsp__fault_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}
