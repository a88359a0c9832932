/*
 * Design notes: the portable fallback.  makecontext passes int arguments
 * only, so the 64-bit entry and argument travel split in two halves.
 */
#include "regs.h"

#ifdef GOCSP_REGS_UCONTEXT

#include <stdint.h>
#include <stdlib.h>

static void
ucontext_entry(unsigned fn_hi, unsigned fn_lo, unsigned arg_hi,
    unsigned arg_lo)
{
	void (*entry)(void *) =
	    (void (*)(void *))(((uintptr_t) fn_hi << 32) | (uintptr_t) fn_lo);
	void *arg = (void *) (((uintptr_t) arg_hi << 32) | (uintptr_t) arg_lo);
	entry(arg);
	abort();
}

void
gocsp__regs_make(struct gocsp__regs *r, void *lo, size_t size,
    void (*entry)(void *), void *arg)
{
	uint64_t fn = (uintptr_t) entry, a = (uintptr_t) arg;
	getcontext(&r->uc);
	r->uc.uc_stack.ss_sp = lo;
	r->uc.uc_stack.ss_size = size;
	r->uc.uc_link = NULL;
	makecontext(&r->uc, (void (*)(void)) ucontext_entry, 4,
	    (unsigned) (fn >> 32), (unsigned) fn, (unsigned) (a >> 32),
	    (unsigned) a);
}

void
gocsp__regs_switch(struct gocsp__regs *from, struct gocsp__regs *to)
{
	swapcontext(&from->uc, &to->uc);
}

#endif
