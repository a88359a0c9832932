/*
 * Design notes: a per-thread wyrand generator for select's case order
 * and the scheduler's victim order.  Quality is ample for fair choice;
 * cryptographic strength is not needed.  Seeded from the thread's stack
 * address and the clock, so threads differ.
 */
#include "internal.h"

static __thread uint64_t state __attribute__((tls_model("initial-exec")));

__attribute__((noinline)) uint64_t
gocsp__rand(void)
{
	uint64_t *s = &state;
	__asm__ __volatile__("" : "+r"(s));
	if (gocsp__unlikely(*s == 0))
		*s = (uint64_t) gocsp__os_now() ^ (uint64_t) (uintptr_t) &s;
	*s += 0xa0761d6478bd642fULL;
	__uint128_t t = (__uint128_t) *s * (*s ^ 0xe7037ed1a0b428dbULL);
	return (uint64_t) (t >> 64) ^ (uint64_t) t;
}
