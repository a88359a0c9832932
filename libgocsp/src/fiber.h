/*
 * Sanitizer fiber annotations.  AddressSanitizer and ThreadSanitizer track
 * one stack per thread; a context switch must tell them which stack runs
 * next, or they report nonsense.  Without sanitizers these are empty.
 *
 * Valgrind takes a large jump of the stack pointer for a switch only
 * between stacks it knows; otherwise it takes the new stack for a frame of
 * the old one and reports every access to it ("client switching
 * stacks?").  Each coroutine's stack is registered while the coroutine
 * lives (GOCSP_VALGRIND: valgrind/valgrind.h was found at build time);
 * outside valgrind a registration is a few instructions that do nothing.
 */
#ifndef GOCSP_FIBER_H
#define GOCSP_FIBER_H

#include "internal.h"

#ifdef GOCSP_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#ifdef GOCSP_VALGRIND
#include <valgrind/valgrind.h>
#endif

#ifdef GOCSP_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

/* About to switch to the stack [lo, lo+size); fake_save NULL when the
 * current context ends for good. */
static inline void
gocsp__fiber_start(void **fake_save, const void *lo, size_t size)
{
#ifdef GOCSP_ASAN
	__sanitizer_start_switch_fiber(fake_save, lo, size);
#else
	(void) fake_save, (void) lo, (void) size;
#endif
}

/* Just switched in; fake is what this context saved when it left. */
static inline void
gocsp__fiber_finish(void *fake)
{
#ifdef GOCSP_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#else
	(void) fake;
#endif
}

/*
 * A stack is about to host a new coroutine.  The frames of the one that
 * used it last (it ended inside the scheduler) left their redzones
 * poisoned; ASan would take the new coroutine's locals there for
 * overflows.
 */
static inline void
gocsp__fiber_stack_reset(void *lo, size_t size)
{
#ifdef GOCSP_ASAN
	__asan_unpoison_memory_region(lo, size);
#else
	(void) lo, (void) size;
#endif
}

/* [lo, lo+size) now holds a coroutine's stack: returns the id that
 * gocsp__fiber_stack_forget takes (0 without valgrind). */
static inline unsigned
gocsp__fiber_stack_register(void *lo, size_t size)
{
#ifdef GOCSP_VALGRIND
	return VALGRIND_STACK_REGISTER(lo, (char *) lo + size);
#else
	(void) lo, (void) size;
	return 0;
#endif
}

/* The coroutine registered as id ended. */
static inline void
gocsp__fiber_stack_forget(unsigned id)
{
#ifdef GOCSP_VALGRIND
	VALGRIND_STACK_DEREGISTER(id);
#else
	(void) id;
#endif
}

#endif /* GOCSP_FIBER_H */
