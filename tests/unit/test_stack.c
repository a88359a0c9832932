/*
 * Coroutine stacks: an overflow is reported as "gocsp: ... stack overflow"
 * and kills the process, also for a single frame four times the stack
 * (a 256 KiB array); a coroutine using a good part of its stack is fine,
 * and sizes beyond the documented limit are refused.  The overflowing programs run as this executable re-run with
 * "--child MODE" (a fresh process), their stderr captured.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

/* ---------------------------------------------------------------------- */
/* child side                                                              */

static volatile int overflow_limit = 0x7fffffff;

static int __attribute__((noinline)) overflow(int depth)
{
	volatile char pad[512];
	if (depth >= overflow_limit)
		return 0;
	pad[0] = (char) depth;
	pad[511] = (char) depth;
	return overflow(depth + 1) + pad[0] + pad[511];
}

static void
overflow_co(void *arg)
{
	(void) arg;
	(void) overflow(0);
}

static void
child_spawn_overflow(void *arg)
{
	size_t stack = (size_t) (uintptr_t) arg;
	gocsp_chan *never = gocsp_chan_make(0, 0);
	int rc = stack ? gocsp_go_stack(overflow_co, NULL, stack)
	               : gocsp_go(overflow_co, NULL);
	if (rc != 0)
		_exit(3);
	gocsp_chan_recv(never,
	    NULL); /* the process dies before this returns */
	_exit(4);
}

/* A 256 KiB local array, every byte written: a frame four times the
 * default stack and sixteen times the guard below it, which the guard
 * catches because this file is compiled as users compile coroutine code,
 * with -fstack-clash-protection (tests/unit/CMakeLists.txt). */
static void __attribute__((noinline)) big_frame(void)
{
	char big[256 * 1024];
	memset(big, 1, sizeof big);
	__asm__ __volatile__("" : : "r"(big) : "memory");
}

static void
big_frame_co(void *arg)
{
	(void) arg;
	big_frame();
}

static void
park_co(void *never)
{
	gocsp_chan_recv(never, NULL);
}

static void
child_spawn_big_frame(void *arg)
{
	gocsp_chan *never = gocsp_chan_make(0, 0);
	(void) arg;
	/* Parked neighbours from the same batches of stacks: the frame must
	 * not land in theirs unnoticed. */
	for (int i = 0; i < 32; i++)
		if (gocsp_go(park_co, never) != 0)
			_exit(3);
	if (gocsp_go(big_frame_co, NULL) != 0)
		_exit(3);
	gocsp_chan_recv(never,
	    NULL); /* the process dies before this returns */
	_exit(4);
}

static int
child_main(const char *mode, char **args)
{
	alarm(30); /* a hang ends as SIGALRM, without the message */
	if (strcmp(mode, "overflow-go") == 0)
		gocsp_run(child_spawn_overflow, NULL);
	else if (strcmp(mode, "overflow-go-stack") == 0)
		gocsp_run(child_spawn_overflow, (void *) (uintptr_t) 16384);
	else if (strcmp(mode, "overflow-main") == 0)
		gocsp_run(overflow_co, NULL);
	else if (strcmp(mode, "big-frame") == 0)
		gocsp_run(child_spawn_big_frame, NULL);
	else
		return 2;
	return 5;
}

/* ---------------------------------------------------------------------- */
/* parent side                                                             */

static void
expect_overflow_report(const char *mode)
{
	char err[8192];
	int status = gt_child(mode, err, sizeof err);
	const char *line = strstr(err, "gocsp: ");
	int reported = line != NULL && (line == err || line[-1] == '\n') &&
	    strstr(line, "stack overflow") != NULL &&
	    (strchr(line, '\n') == NULL ||
	        strstr(line, "stack overflow") < strchr(line, '\n'));

	if (GT_SANITIZED && !reported) {
		/* The sanitizer's own SIGSEGV handler took over. */
		fprintf(stderr, "%s: child status %#x, stderr:\n%.600s\n",
		    mode, status, err);
		skip();
	}
	if (!(WIFSIGNALED(status) &&
	        (WTERMSIG(status) == SIGABRT || WTERMSIG(status) == SIGSEGV ||
	            WTERMSIG(status) == SIGBUS)) ||
	    !reported || strstr(err, "overflow") == NULL ||
	    strstr(err, "stack") == NULL) {
		fprintf(stderr,
		    "%s: child status %#x (signaled %d, signal %d, exit "
		    "%d), stderr:\n%.2000s\n",
		    mode, status, WIFSIGNALED(status),
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1, err);
		fail_msg("no clear stack overflow report from %s", mode);
	}
}

static void
test_stack__overflow_in_coroutine_reported(void **state)
{
	(void) state;
	expect_overflow_report("overflow-go");
}

static void
test_stack__overflow_with_small_stack_reported(void **state)
{
	(void) state;
	expect_overflow_report("overflow-go-stack");
}

static void
test_stack__overflow_in_main_coroutine_reported(void **state)
{
	(void) state;
	expect_overflow_report("overflow-main");
}

/* A frame larger than the stack, past its guard: a clear report, not a
 * bare SIGSEGV or another coroutine's stack overwritten. */
static void
test_stack__big_frame_reported(void **state)
{
	(void) state;
	expect_overflow_report("big-frame");
}

static void
big_frame_done(void *arg)
{
	big_frame();
	gocsp_wg_done(arg);
}

/* The same frame on a stack big enough for it runs. */
CO_CASE(test_stack__big_frame_on_big_stack)
{
	gocsp_waitgroup wg = {0};
	gocsp_wg_add(&wg, 1);
	EXPECT_EQ(gocsp_go_stack(big_frame_done, &wg, 1024 * 1024), 0);
	gocsp_wg_wait(&wg);
}

/* Stack sizes beyond GOCSP_STACK_MAX are refused before anything runs. */
static void
test_stack__size_limits(void **state)
{
	(void) state;
	assert_int_equal(gocsp_go_stack(park_co, NULL, GOCSP_STACK_MAX + 1),
	    GOCSP_EINVAL);
	assert_int_equal(gocsp_go_stack(park_co, NULL, SIZE_MAX),
	    GOCSP_EINVAL);
	assert_true(GOCSP_STACK_MIN <= GOCSP_STACK_DEFAULT);
	assert_true(GOCSP_STACK_GUARD >= 4096);
}

/* ---------------------------------------------------------------------- */

static long __attribute__((noinline)) use_stack(int depth)
{
	volatile char pad[256];
	pad[0] = 1;
	pad[255] = 1;
	if (depth == 0)
		return 0;
	return use_stack(depth - 1) + pad[0] + pad[255] - 1;
}

struct use {
	long r;
	gocsp_waitgroup wg;
};

static void
use_half(void *arg)
{
	struct use *u = arg;
	/* about 24 KiB of the default 64 KiB stack */
	u->r = use_stack(GT_SANITIZED ? 20 : 80);
	gocsp_wg_done(&u->wg);
}

/* No false alarm: many coroutines each using part of a default stack. */
CO_CASE(test_stack__default_stack_usable)
{
	enum { N = 200 };
	struct use *u = calloc(N, sizeof *u);
	int i;
	for (i = 0; i < N; i++) {
		gocsp_wg_add(&u[i].wg, 1);
		GO(use_half, &u[i]);
	}
	for (i = 0; i < N; i++) {
		gocsp_wg_wait(&u[i].wg);
		EXPECT_EQ(u[i].r, GT_SANITIZED ? 20 : 80);
	}
	free(u);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_stack__overflow_in_coroutine_reported),
	    GT_CASE(test_stack__overflow_with_small_stack_reported),
	    GT_CASE(test_stack__overflow_in_main_coroutine_reported),
	    GT_CASE(test_stack__default_stack_usable),
	    GT_CASE(test_stack__big_frame_reported),
	    GT_CASE(test_stack__big_frame_on_big_stack),
	    GT_CASE(test_stack__size_limits),
	};
	return GT_MAIN_WITH_CHILD(tests, argc, argv, child_main);
}
