/*
 * Design notes: building the first frame of a new context for the assembly
 * switchers.  The frame is laid out exactly as gocsp__regs_switch leaves a
 * suspended context, with the trampoline as the return address, so the
 * first switch to it "returns" into the trampoline.
 */
#include "regs.h"

#ifndef GOCSP_REGS_UCONTEXT

#include <stdint.h>
#include <string.h>

void gocsp__regs_trampoline(void);

void
gocsp__regs_make(struct gocsp__regs *r, void *lo, size_t size,
    void (*entry)(void *), void *arg)
{
	uintptr_t top = ((uintptr_t) lo + size) & ~(uintptr_t) 15;
#if defined(__x86_64__)
	/* r15 r14 r13 r12 rbx rbp ret; after ret, rsp == top (16-aligned). */
	void **frame = (void **) (top - 7 * sizeof(void *));
	memset(frame, 0, 7 * sizeof(void *));
	frame[2] = (void *) entry;                  /* r13 */
	frame[3] = arg;                             /* r12 */
	frame[6] = (void *) gocsp__regs_trampoline; /* return address */
#elif defined(__aarch64__)
	void **frame = (void **) (top - 176);
	memset(frame, 0, 176);
	frame[0] = arg;                              /* x19 */
	frame[1] = (void *) entry;                   /* x20 */
	frame[11] = (void *) gocsp__regs_trampoline; /* x30 */
#endif
	r->sp = frame;
}

#endif
