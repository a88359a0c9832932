/*
 * Execution contexts: the saved state of a coroutine or of a worker's
 * scheduler (g0).  The fast implementation saves only the callee-saved
 * registers on the context's own stack and keeps the stack pointer here
 * (switch_x86_64.S, switch_aarch64.S); GOCSP_CTX_UCONTEXT selects the
 * portable ucontext fallback (ctx_ucontext.c), which is an order of
 * magnitude slower because swapcontext saves the signal mask with a syscall.
 */
#ifndef GOCSP_ARCH_CTX_H
#define GOCSP_ARCH_CTX_H

#include <stddef.h>

#if !defined(GOCSP_CTX_UCONTEXT) && !defined(__x86_64__) &&                  \
    !defined(__aarch64__)
#define GOCSP_CTX_UCONTEXT 1
#endif

#ifdef GOCSP_CTX_UCONTEXT
#include <ucontext.h>
struct gocsp__ctx {
	ucontext_t uc;
};
#else
struct gocsp__ctx {
	void *sp; /* the stack pointer after the callee-saved registers */
};
#endif

/*
 * Prepare ctx so that switching to it calls entry(arg) on the stack
 * [lo, lo + size).  entry must never return.
 */
void gocsp__ctx_make(struct gocsp__ctx *ctx, void *lo, size_t size,
    void (*entry)(void *), void *arg);

/* Save the running context into from and resume to. */
void gocsp__ctx_switch(struct gocsp__ctx *from, struct gocsp__ctx *to);

#endif /* GOCSP_ARCH_CTX_H */
