/*
 * Coroutine stacks and their caches (stack.c), driven directly through
 * the internals (gocsp_testing): sizes rounded to pages, every byte of a
 * stack usable, the guard below it faulting (in a child process), a
 * stack put back handed out again, a per-P cache that stays bounded and
 * passes its overflow to the shared pool, where another P finds it, and
 * stacks of another size bypassing both.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

#include "internal.h"
#include "stack.h"

static size_t
page(void)
{
	return (size_t) sysconf(_SC_PAGESIZE);
}

static void
test_stackcache__sizes_rounded_to_pages(void **state)
{
	size_t d = gocsp__stack_default();
	(void) state;
	assert_true(d > 0 && d % page() == 0);
	assert_int_equal(gocsp__stack_round(0), d);
	assert_int_equal(gocsp__stack_round(1) % page(), 0);
	assert_true(gocsp__stack_round(1) >= page());
	assert_int_equal(gocsp__stack_round(d), d);
	assert_int_equal(gocsp__stack_round(d + 1), d + page());
	assert_true(gocsp__stack_guard_size() >= page());
}

/* Every byte of a stack is usable, default size or not. */
static void
test_stackcache__whole_stack_usable(void **state)
{
	struct gocsp__stackcache c = {0};
	size_t sizes[] = {gocsp__stack_default(), gocsp__stack_round(200000)};
	size_t i;
	uint32_t kind;
	unsigned char *lo;
	(void) state;
	for (i = 0; i < 2; i++) {
		lo = gocsp__stack_get(&c, sizes[i], &kind);
		assert_non_null(lo);
		assert_int_equal((uintptr_t) lo % page(), 0);
		assert_true(gocsp__stack_canary_ok(lo, kind));
		memset(lo, 0xa5, sizes[i]);
		assert_int_equal(lo[sizes[i] - 1], 0xa5);
		if (kind == GOCSP__GUARD_NONE)
			assert_false(gocsp__stack_canary_ok(lo, kind));
		memset(lo, 0, sizes[i]);
		gocsp__stack_put(&c, lo, sizes[i], kind);
	}
}

/* A put stack comes back on the next get (last in, first out). */
static void
test_stackcache__put_then_get_reuses(void **state)
{
	struct gocsp__stackcache c = {0};
	size_t d = gocsp__stack_default();
	uint32_t k1, k2;
	unsigned char *a, *b;
	(void) state;
	a = gocsp__stack_get(&c, d, &k1);
	b = gocsp__stack_get(&c, d, &k2);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	gocsp__stack_put(&c, a, d, k1);
	assert_ptr_equal(gocsp__stack_get(&c, d, &k2), a);
	assert_int_equal(k2, k1);
	gocsp__stack_put(&c, a, d, k1);
	gocsp__stack_put(&c, b, d, k2);
	while (c.n > 0) {
		c.n--;
		gocsp__stack_put(NULL, c.lo[c.n], d, c.kind[c.n]);
	}
}

/* A cache never holds more than GOCSP__STACK_CACHE stacks; what it
 * gives up goes to the shared pool, where another P's cache finds it. */
static void
test_stackcache__bounded_overflow_to_pool(void **state)
{
	enum { N = 3 * GOCSP__STACK_CACHE };
	struct gocsp__stackcache c1 = {0}, c2 = {0};
	size_t d = gocsp__stack_default();
	unsigned char *s[N], *got;
	uint32_t kind[N], k;
	int i, j, found = 0;
	(void) state;
	for (i = 0; i < N; i++) {
		s[i] = gocsp__stack_get(&c1, d, &kind[i]);
		assert_non_null(s[i]);
		assert_true(c1.n <= GOCSP__STACK_CACHE);
	}
	for (i = 0; i < N; i++) {
		gocsp__stack_put(&c1, s[i], d, kind[i]);
		assert_true(c1.n <= GOCSP__STACK_CACHE);
	}
	/* c2 is empty: its first get comes from the pool, a stack c1 had. */
	got = gocsp__stack_get(&c2, d, &k);
	for (i = 0; i < N; i++)
		if (got == s[i])
			found = 1;
	assert_true(found);
	/* Distinct stacks all along. */
	for (i = 0; i < c2.n; i++)
		for (j = 0; j < c1.n; j++)
			assert_ptr_not_equal(c2.lo[i], c1.lo[j]);
	gocsp__stack_put(&c2, got, d, k);
}

/* Stacks of another size bypass the caches: made and freed each time. */
static void
test_stackcache__other_sizes_bypass_cache(void **state)
{
	struct gocsp__stackcache c = {0};
	size_t other = gocsp__stack_round(gocsp__stack_default() * 2);
	uint32_t kind;
	unsigned char *lo;
	(void) state;
	lo = gocsp__stack_get(&c, other, &kind);
	assert_non_null(lo);
	assert_int_equal(c.n, 0);
	gocsp__stack_put(&c, lo, other, kind);
	assert_int_equal(c.n, 0);
}

/* ---- the guard, in a child process ---- */

static int
child_main(const char *mode, char **args)
{
	struct gocsp__stackcache c = {0};
	uint32_t kind;
	unsigned char *lo;
	alarm(30);
	gocsp__stack_init();
	lo = gocsp__stack_get(&c, gocsp__stack_default(), &kind);
	if (lo == NULL)
		return 3;
	if (kind == GOCSP__GUARD_NONE)
		return 4; /* no guard on this system: nothing to show */
	if (strcmp(mode, "guard-top") == 0)
		((volatile unsigned char *) lo)[-1] = 1;
	else if (strcmp(mode, "guard-bottom") == 0)
		((volatile unsigned char *)
		        lo)[-(long) gocsp__stack_guard_size()] = 1;
	else
		return 2;
	return 5;
}

static void
expect_fault(const char *mode)
{
	char err[1024];
	int status = gt_child(mode, err, sizeof err);
	int faulted = WIFSIGNALED(status) &&
	    (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
		skip();
	/* A sanitizer reports the fault itself and exits. */
	if (GT_SANITIZED && WIFEXITED(status) && WEXITSTATUS(status) != 5 &&
	    strstr(err, "SEGV") != NULL)
		faulted = 1;
	if (!faulted)
		fail_msg("%s: child status %#x, want a fault; stderr: %s",
		    mode, status, err);
}

static void
test_stackcache__guard_faults(void **state)
{
	(void) state;
	expect_fault("guard-top");
	expect_fault("guard-bottom");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_stackcache__sizes_rounded_to_pages),
	    GT_CASE(test_stackcache__whole_stack_usable),
	    GT_CASE(test_stackcache__put_then_get_reuses),
	    GT_CASE(test_stackcache__bounded_overflow_to_pool),
	    GT_CASE(test_stackcache__other_sizes_bypass_cache),
	    GT_CASE(test_stackcache__guard_faults),
	};
	gocsp__stack_init();
	return GT_MAIN_WITH_CHILD(tests, argc, argv, child_main);
}
