/*
 * Coroutine stacks: fixed size, mmap'd without commitment (only touched
 * pages cost memory), a guard region below each, recycled through a small
 * per-P cache and a bounded global pool.
 *
 * Guards: MADV_GUARD_INSTALL where the kernel has it (no mapping per
 * guard, so a million stacks all get one), else mprotect while the
 * process stays well inside vm.max_map_count, else none: those stacks get
 * a canary check instead (their lowest bytes must still be zero whenever
 * the coroutine parks or exits).
 */
#ifndef GOCSP_STACK_H
#define GOCSP_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GOCSP__STACK_CACHE 32

enum gocsp__stack_guard {
	GOCSP__GUARD_NONE = 0,    /* canary only */
	GOCSP__GUARD_MADVISE = 1, /* MADV_GUARD_INSTALL */
	GOCSP__GUARD_MPROTECT = 2,
};

struct gocsp__stackcache {
	unsigned char *lo[GOCSP__STACK_CACHE];
	uint8_t kind[GOCSP__STACK_CACHE];
	int n;
};

/* Default usable size ($GOCSP_STACK_SIZE or 64 KiB), set at init. */
void gocsp__stack_init(void);
size_t gocsp__stack_default(void);
/* Usable size for a request (0: default; rounded up to pages, clamped
 * to GOCSP_STACK_MIN and GOCSP_STACK_MAX). */
size_t gocsp__stack_round(size_t want);
/* The guard region's size below every stack. */
size_t gocsp__stack_guard_size(void);

/* A stack of exactly `size` usable bytes (from gocsp__stack_round);
 * NULL when out of memory.  *kind: enum gocsp__stack_guard. */
unsigned char *gocsp__stack_get(struct gocsp__stackcache *c, size_t size,
    uint32_t *kind);
void gocsp__stack_put(struct gocsp__stackcache *c, unsigned char *lo,
    size_t size, uint32_t kind);

/* True if a guardless stack's canary is intact. */
bool gocsp__stack_canary_ok(const unsigned char *lo, uint32_t kind);

#endif /* GOCSP_STACK_H */
