/*
 * Design notes.
 *
 * Layout of one stack mapping: [guard | usable stack], the guard at the
 * low end because stacks grow down; a G keeps the usable low address.
 * Default-size stacks are reserved in batches (one mmap for many, carved
 * up) and are freed one by one with munmap, which the kernel allows on
 * any page range.  Untouched pages of a free stack cost nothing, so the
 * caches only bound how much touched memory stays around.
 *
 * The per-P cache is owner-only (no lock); the global pool takes
 * gocsp__lock.  Stacks of a non-default size bypass both.
 */
#include "stack.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DEFAULT_STACK GOCSP_STACK_DEFAULT
/* Large enough that an ordinary big frame (an array of a few hundred KiB)
 * faults in the guard rather than writing over the stack mapped below
 * it, which in a batch is another coroutine's. */
#define GUARD_SIZE GOCSP_STACK_GUARD
#define BATCH 16
#define POOL_MAX 1024
#define CANARY_BYTES 64

static size_t default_size;
static long mprotect_budget; /* stacks that may still get an mprotect guard */
static _Atomic long mprotect_used;

struct freed {
	unsigned char *lo;
	uint32_t kind;
};

static struct {
	gocsp__lock lock;
	struct freed s[POOL_MAX]; /* under lock */
	int n;                    /* under lock; also read as a hint */
} pool;

size_t
gocsp__stack_round(size_t want)
{
	size_t page = gocsp__os_pagesize();
	if (want == 0)
		return default_size;
	if (want < GOCSP_STACK_MIN)
		want = GOCSP_STACK_MIN;
	if (want > GOCSP_STACK_MAX)
		want = GOCSP_STACK_MAX;
	return (want + page - 1) & ~(page - 1);
}

void
gocsp__stack_init(void)
{
	const char *env = getenv("GOCSP_STACK_SIZE");
	default_size = DEFAULT_STACK;
	if (env != NULL && *env != '\0') {
		char *end;
		unsigned long long v = strtoull(env, &end, 10);
		if (*end == 'k' || *end == 'K')
			v *= 1024;
		else if (*end == 'm' || *end == 'M')
			v *= 1024 * 1024;
		if (v > 0)
			default_size = gocsp__stack_round((size_t) v);
	}
	/* Each mprotect guard may split a mapping in two: stay within a
	 * quarter of the map count, leaving the rest to the program. */
	mprotect_budget = gocsp__os_max_map_count() / 4;
}

size_t
gocsp__stack_default(void)
{
	return default_size;
}

size_t
gocsp__stack_guard_size(void)
{
	return GUARD_SIZE;
}

static uint32_t
guard(unsigned char *base)
{
	long used = atomic_load_explicit(&mprotect_used, memory_order_relaxed);
	int kind = gocsp__os_guard(base, GUARD_SIZE, used < mprotect_budget);
	if (kind == GOCSP__GUARD_MPROTECT)
		atomic_fetch_add_explicit(&mprotect_used, 1,
		    memory_order_relaxed);
	return (uint32_t) kind;
}

static void
release(unsigned char *lo, size_t size, uint32_t kind)
{
	if (kind == GOCSP__GUARD_MPROTECT)
		atomic_fetch_sub_explicit(&mprotect_used, 1,
		    memory_order_relaxed);
	gocsp__os_release(lo - GUARD_SIZE, size + GUARD_SIZE);
}

/* Reserve BATCH default stacks; keep all but one in the cache. */
static unsigned char *
reserve_batch(struct gocsp__stackcache *c, uint32_t *kind)
{
	size_t one = default_size + GUARD_SIZE;
	int n = BATCH;
	if (n > GOCSP__STACK_CACHE - c->n)
		n = GOCSP__STACK_CACHE - c->n;
	if (n < 1)
		n = 1;
	unsigned char *base = gocsp__os_reserve(one * (size_t) n);
	if (base == NULL)
		return NULL;
	/* The guards of the batch in one system call where the kernel
	 * allows: a million coroutines then cost 62,500 calls, not a
	 * million. */
	int guarded = gocsp__os_guard_strided(base, one, GUARD_SIZE, n);
	for (int i = 1; i < n; i++) {
		unsigned char *b = base + one * (size_t) i;
		c->kind[c->n] =
		    (uint8_t) (i < guarded ? GOCSP__GUARD_MADVISE : guard(b));
		c->lo[c->n++] = b + GUARD_SIZE;
	}
	*kind = guarded > 0 ? GOCSP__GUARD_MADVISE : guard(base);
	return base + GUARD_SIZE;
}

unsigned char *
gocsp__stack_get(struct gocsp__stackcache *c, size_t size, uint32_t *kind)
{
	if (size != default_size || c == NULL) {
		unsigned char *base = gocsp__os_reserve(size + GUARD_SIZE);
		if (base == NULL)
			return NULL;
		*kind = guard(base);
		return base + GUARD_SIZE;
	}
	if (c->n > 0) {
		c->n--;
		*kind = c->kind[c->n];
		return c->lo[c->n];
	}
	if (GOCSP__LOAD(&pool.n) > 0) {
		gocsp__lock_acquire(&pool.lock);
		while (pool.n > 0 && c->n < GOCSP__STACK_CACHE / 2) {
			GOCSP__STORE(&pool.n, pool.n - 1);
			c->kind[c->n] = (uint8_t) pool.s[pool.n].kind;
			c->lo[c->n++] = pool.s[pool.n].lo;
		}
		gocsp__lock_release(&pool.lock);
		if (c->n > 0) {
			c->n--;
			*kind = c->kind[c->n];
			return c->lo[c->n];
		}
	}
	return reserve_batch(c, kind);
}

static int
by_address(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) ((const struct freed *) a)->lo;
	uintptr_t y = (uintptr_t) ((const struct freed *) b)->lo;
	return (x > y) - (x < y);
}

/*
 * Give the whole pool back to the kernel (pool.lock held).  Neighbouring
 * stacks (carved from one batch, or batches the kernel placed side by
 * side) go in one munmap: each call splits a mapping and, with several
 * workers, interrupts them all to flush TLBs, so a million dead stacks
 * must not mean a million calls.
 */
static void
drain_pool(void)
{
	size_t one = default_size + GUARD_SIZE;
	qsort(pool.s, (size_t) pool.n, sizeof(pool.s[0]), by_address);
	for (int i = 0; i < pool.n;) {
		unsigned char *start = pool.s[i].lo - GUARD_SIZE;
		size_t len = 0;
		do {
			if (pool.s[i].kind == GOCSP__GUARD_MPROTECT)
				atomic_fetch_sub_explicit(&mprotect_used, 1,
				    memory_order_relaxed);
			len += one;
			i++;
		} while (
		    i < pool.n && pool.s[i].lo - GUARD_SIZE == start + len);
		gocsp__os_release(start, len);
	}
	GOCSP__STORE(&pool.n, 0);
}

void
gocsp__stack_put(struct gocsp__stackcache *c, unsigned char *lo, size_t size,
    uint32_t kind)
{
	if (size != default_size || c == NULL) {
		release(lo, size, kind);
		return;
	}
	if (c->n == GOCSP__STACK_CACHE) {
		/* Move half to the pool, emptying the pool first if full. */
		gocsp__lock_acquire(&pool.lock);
		if (pool.n + GOCSP__STACK_CACHE / 2 > POOL_MAX)
			drain_pool();
		while (c->n > GOCSP__STACK_CACHE / 2) {
			c->n--;
			pool.s[pool.n].lo = c->lo[c->n];
			pool.s[pool.n].kind = c->kind[c->n];
			GOCSP__STORE(&pool.n, pool.n + 1);
		}
		gocsp__lock_release(&pool.lock);
	}
	c->kind[c->n] = (uint8_t) kind;
	c->lo[c->n++] = lo;
}

bool
gocsp__stack_canary_ok(const unsigned char *lo, uint32_t kind)
{
	if (kind != GOCSP__GUARD_NONE)
		return true;
	static const unsigned char zero[CANARY_BYTES];
	return memcmp(lo, zero, CANARY_BYTES) == 0;
}
