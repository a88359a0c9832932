/*
 * Shared helpers for the libgocsp unit tests (cmocka).
 *
 * Design notes:
 * - cmocka's assert_* macros longjmp to the test runner's stack; they are
 *   only safe on the thread that runs the cmocka test.  Code that runs in a
 *   coroutine (gocsp_run's main_fn may run on any worker) or in a helper
 *   thread uses EXPECT*() instead: a failure is printed at once and
 *   counted, and GT_CASE's teardown (and gt_run) fail the test when the
 *   count is not zero.
 * - Every case gets a watchdog (alarm): a hang prints the case name and
 *   exits, rather than waiting for ctest's timeout.
 * - Sizes scale with $GOCSP_TEST_SCALE (default 1) and shrink under
 *   sanitizers (gt_n()).
 * - Every program runs its cases through GT_RUN_CASES (or
 *   GT_MAIN_WITH_CHILD), so $GOCSP_TEST_FILTER picks cases in all of
 *   them.  Cases that need a fresh process (an abort, an overflow, a
 *   runtime not yet started) re-run the program as "--child MODE"
 *   (gt_child, gt_expect_abort).
 */
#ifndef GOCSP_TEST_H
#define GOCSP_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <gocsp/gocsp.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GT_SANITIZED 1
#endif
#endif
#ifndef GT_SANITIZED
#define GT_SANITIZED 0
#endif

#if defined(__SANITIZE_THREAD__)
#define GT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GT_TSAN 1
#endif
#endif
#ifndef GT_TSAN
#define GT_TSAN 0
#endif

/* Seconds a single case may take before the watchdog ends the program. */
#ifndef GT_CASE_SECONDS
#define GT_CASE_SECONDS 30
#endif

static atomic_int gt_failures;
static const char *volatile gt_current = "?";

static inline double
gt_scale(void)
{
	const char *s = getenv("GOCSP_TEST_SCALE");
	double v = s != NULL ? atof(s) : 1.0;
	return v > 0 ? v : 1.0;
}

/*
 * A stress size: base in a normal build, sanitized under ASan/TSan, both
 * times $GOCSP_TEST_SCALE; at least 1.
 */
static inline long
gt_n(long base, long sanitized)
{
	long n = (long) ((GT_SANITIZED ? sanitized : base) * gt_scale());
	return n < 1 ? 1 : n;
}

static inline void
gt_failf(const char *file, int line, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (atomic_fetch_add(&gt_failures, 1) < 20) {
		fprintf(stderr, "%s:%d: in %s: expectation failed: %s\n", file,
		    line, gt_current, buf);
	}
}

#define EXPECT(cond)                                               \
	do {                                                       \
		if (!(cond))                                       \
			gt_failf(__FILE__, __LINE__, "%s", #cond); \
	} while (0)

#define EXPECT_EQ(a, b)                                                       \
	do {                                                                  \
		long long gt_a_ = (long long) (a);                            \
		long long gt_b_ = (long long) (b);                            \
		if (gt_a_ != gt_b_)                                           \
			gt_failf(__FILE__, __LINE__,                          \
			    "%s == %s (%lld != %lld)", #a, #b, gt_a_, gt_b_); \
	} while (0)

#define EXPECT_GE(a, b)                                                      \
	do {                                                                 \
		long long gt_a_ = (long long) (a);                           \
		long long gt_b_ = (long long) (b);                           \
		if (!(gt_a_ >= gt_b_))                                       \
			gt_failf(__FILE__, __LINE__,                         \
			    "%s >= %s (%lld < %lld)", #a, #b, gt_a_, gt_b_); \
	} while (0)

#define EXPECT_LE(a, b)                                                      \
	do {                                                                 \
		long long gt_a_ = (long long) (a);                           \
		long long gt_b_ = (long long) (b);                           \
		if (!(gt_a_ <= gt_b_))                                       \
			gt_failf(__FILE__, __LINE__,                         \
			    "%s <= %s (%lld > %lld)", #a, #b, gt_a_, gt_b_); \
	} while (0)

/* Fail the running cmocka case (on its own thread) if any EXPECT failed. */
static inline void
gt_check(void)
{
	int n = atomic_load(&gt_failures);
	if (n != 0) {
		atomic_store(&gt_failures, 0);
		fail_msg("%d expectation(s) failed (see stderr)", n);
	}
}

/* Run fn(arg) as the runtime's main coroutine; fail on error. */
static inline void
gt_run(void (*fn)(void *), void *arg)
{
	int rc = gocsp_run(fn, arg);
	assert_int_equal(rc, 0);
	gt_check();
}

static inline void
gt_watchdog(int sig)
{
	static const char a[] = "\nwatchdog: ";
	static const char b[] = " did not finish in time\n";
	const char *name = gt_current;
	(void) sig;
	(void) !write(2, a, sizeof a - 1);
	(void) !write(2, name, strlen(name));
	(void) !write(2, b, sizeof b - 1);
	_exit(124);
}

static inline int
gt_setup(void **state)
{
	gt_current = *state != NULL ? (const char *) *state : "?";
	atomic_store(&gt_failures, 0);
	signal(SIGALRM, gt_watchdog);
	alarm(GT_CASE_SECONDS * (GT_SANITIZED ? 8 : 1) *
	    (gt_scale() > 1 ? (unsigned) gt_scale() : 1));
	return 0;
}

static inline int
gt_teardown(void **state)
{
	int n;
	(void) state;
	alarm(0);
	n = atomic_exchange(&gt_failures, 0);
	if (n != 0) {
		fprintf(stderr, "%s: %d expectation(s) failed\n", gt_current,
		    n);
		return -1;
	}
	return 0;
}

/*
 * Run the cases of tests[]; $GOCSP_TEST_FILTER (a cmocka pattern such as
 * "*fifo*") picks a subset.
 */
#define GT_RUN_CASES(tests)                                           \
	(getenv("GOCSP_TEST_FILTER") != NULL                          \
	        ? cmocka_set_test_filter(getenv("GOCSP_TEST_FILTER")) \
	        : (void) 0,                                           \
	    cmocka_run_group_tests(tests, NULL, NULL))

/* A cmocka case with the watchdog and the EXPECT check. */
#define GT_CASE(f)                                                         \
	cmocka_unit_test_prestate_setup_teardown(f, gt_setup, gt_teardown, \
	    (void *) #f)

/*
 * Define a cmocka case `name` whose body runs as the runtime's main
 * coroutine (through gt_run); the body sees `void *arg_` (NULL).
 */
#define CO_CASE(name)                                              \
	static void name##_co(void *arg_ __attribute__((unused))); \
	static void name(void **state)                             \
	{                                                          \
		(void) state;                                      \
		gt_run(name##_co, NULL);                           \
	}                                                          \
	static void name##_co(void *arg_ __attribute__((unused)))

/* Elapsed ns since t0 on gocsp's clock. */
static inline int64_t
gt_since(int64_t t0)
{
	return gocsp_now() - t0;
}

/* Slack allowed on top of a requested duration before it is "too late". */
#define GT_SLACK (GT_SANITIZED ? GOCSP_MS(2000) : GOCSP_MS(500))

/* Wait (yielding) until *v >= want or timeout ns passed; true if
 * reached. */
static inline bool
gt_wait_for(atomic_int *v, int want, int64_t timeout)
{
	int64_t t0 = gocsp_now();
	while (atomic_load(v) < want) {
		if (gt_since(t0) > timeout)
			return false;
		gocsp_yield();
	}
	return true;
}

/* Run on two workers (the machine may have one CPU: two workers still
 * interleave at parks); returns GOMAXPROCS before, to restore. */
static inline int
gt_two_workers(void)
{
	return gocsp_maxprocs(2);
}

/* Start a plain thread; fail the case if it cannot be created. */
static inline pthread_t
gt_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, fn, arg);
	if (rc != 0) {
		fprintf(stderr, "pthread_create: %s\n", strerror(rc));
		abort();
	}
	return t;
}

/*
 * Run this test program again as "<exe> --child <mode>" in a fresh
 * process (no runtime, no threads inherited), with its stderr captured.
 * Returns the wait status; *err gets stderr, NUL-terminated.
 */
static inline int
gt_child(const char *mode, char *err, size_t errsize)
{
	int fds[2], status = 0;
	size_t len = 0;
	pid_t pid;
	if (pipe(fds) != 0)
		abort();
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		char *argv[] = {"child", "--child", (char *) mode, NULL};
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		char scratch[256];
		ssize_t r;
		if (len + 1 >= errsize) /* full: drain the rest */
			r = read(fds[0], scratch, sizeof scratch);
		else
			r = read(fds[0], err + len, errsize - 1 - len);
		if (r <= 0)
			break;
		if (len + 1 < errsize)
			len += (size_t) r;
	}
	err[len] = 0;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		;
	return status;
}

/*
 * Run "--child MODE" (gt_child) and fail the case unless it died of
 * SIGABRT with stderr naming `names` -- in one line, as a misuse report
 * must (sanitizers may add their own lines).
 */
static inline void
gt_expect_abort(const char *mode, const char *names)
{
	char err[4096];
	int status = gt_child(mode, err, sizeof err);
	const char *hit = strstr(err, names);
	int lines = 0;
	const char *p;
	for (p = err; *p; p++)
		if (*p == '\n')
			lines++;
	if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) ||
	    hit == NULL || lines < 1 || (!GT_SANITIZED && lines > 1)) {
		fprintf(stderr,
		    "%s: child status %#x (signal %d, exit %d), stderr "
		    "(%d lines):\n%s\n",
		    mode, status, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1, lines, err);
		fail_msg("%s: expected an abort with one line naming %s", mode,
		    names);
	}
}

/*
 * The main of a test program with child modes: "<exe> --child MODE
 * [ARG...]" returns child(MODE, ARGs) (a NULL-terminated array), as
 * gt_child starts it; any other command line runs the cases of tests[]
 * (GT_RUN_CASES).
 */
#define GT_MAIN_WITH_CHILD(tests, argc, argv, child)      \
	((argc) >= 3 && strcmp((argv)[1], "--child") == 0 \
	        ? (child) ((argv)[2], (argv) + 3)         \
	        : GT_RUN_CASES(tests))

/* A small per-caller PRNG (xorshift64*), safe to use from any thread. */
static inline uint64_t
gt_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Start a coroutine; a failure to start is an expectation failure. */
#define GO(fn, arg) EXPECT_EQ(gocsp_go((fn), (arg)), 0)

#endif /* GOCSP_TEST_H */
