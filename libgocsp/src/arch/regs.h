/*
 * Saved registers: what a switch keeps of a coroutine or of a worker's
 * scheduler (g0) while it is not running (Go's gobuf; not to be confused
 * with gocsp_ctx, Go's context).  The fast implementation saves only the callee-saved
 * registers on the context's own stack and keeps the stack pointer here
 * (switch_x86_64.S, switch_aarch64.S); GOCSP_REGS_UCONTEXT selects the
 * portable ucontext fallback (regs_ucontext.c), which is an order of
 * magnitude slower because swapcontext saves the signal mask with a syscall.
 */
#ifndef GOCSP_ARCH_REGS_H
#define GOCSP_ARCH_REGS_H

#include <stddef.h>

#if !defined(GOCSP_REGS_UCONTEXT) && !defined(__x86_64__) && \
    !defined(__aarch64__)
#define GOCSP_REGS_UCONTEXT 1
#endif

#ifdef GOCSP_REGS_UCONTEXT
#include <ucontext.h>
struct gocsp__regs {
	ucontext_t uc;
};
#else
struct gocsp__regs {
	void *sp; /* the stack pointer after the callee-saved registers */
};
#endif

/*
 * Prepare r so that switching to it calls entry(arg) on the stack
 * [lo, lo + size).  entry must never return.
 */
void gocsp__regs_make(struct gocsp__regs *r, void *lo, size_t size,
    void (*entry)(void *), void *arg);

/* Save the running context into from and resume to. */
void gocsp__regs_switch(struct gocsp__regs *from, struct gocsp__regs *to);

#endif /* GOCSP_ARCH_REGS_H */
