/*
 * Design notes: reporting stack overflows.  A coroutine that runs off the
 * bottom of its stack hits the guard region below it; the SIGSEGV handler
 * runs on the worker's alternate signal stack (the coroutine's stack is
 * exhausted), recognizes a fault just below the running coroutine's
 * stack and reports it in one line before aborting.  Faults that are not
 * ours go to the handler that was installed before, or to the default
 * action.  Stacks without a guard are checked at every switch instead
 * (sched.c check_stack), which reports through the same function.
 */
#include "internal.h"
#include "stack.h"

#include <signal.h>
#include <string.h>
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
	size_t n = append(line, 0, "gocsp: fatal: stack overflow in coroutine ");
	n += fmt_u64(line + n, id);
	n = append(line, n, " (stack of ");
	n += fmt_u64(line + n, size);
	n = append(line, n, " bytes; use gocsp_go_stack or GOCSP_STACK_SIZE "
	                    "for a larger one)\n");
	(void) !write(2, line, n);
	signal(SIGABRT, SIG_DFL);
	abort();
}

static void
on_fault(int sig, siginfo_t *si, void *uctx)
{
	struct gocsp__g *g = gocsp__curg();
	if (g != NULL && g->stack_lo != NULL) {
		uintptr_t a = (uintptr_t) si->si_addr;
		uintptr_t lo = (uintptr_t) g->stack_lo;
		if (a < lo && a >= lo - gocsp__stack_guard_size())
			gocsp__stack_overflow(g->id, g->stack_size);
	}
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
