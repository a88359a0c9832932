/*
 * Time: the monotonic clock, sleeping (coroutines and threads), many
 * concurrent sleepers, gocsp_after, tickers (period, first tick, a slow
 * reader losing ticks, stop), timeouts from plain threads, timers made
 * before any coroutine ran.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

#include <time.h>

static void
nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *
now_checker(void *arg)
{
	int i, bad = 0;
	int64_t prev = gocsp_now();
	(void) arg;
	for (i = 0; i < 200000; i++) {
		int64_t t = gocsp_now();
		if (t < prev)
			bad++;
		prev = t;
	}
	EXPECT_EQ(bad, 0);
	return NULL;
}

static void
test_time__now_monotonic(void **state)
{
	pthread_t t[2];
	int64_t a, b;
	(void) state;
	t[0] = gt_thread(now_checker, NULL);
	t[1] = gt_thread(now_checker, NULL);
	now_checker(NULL);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	/* it advances with real time */
	a = gocsp_now();
	nap_ms(20);
	b = gocsp_now();
	assert_true(b - a >= GOCSP_MS(20));
	assert_true(b - a < GOCSP_MS(20) + GT_SLACK * 4);
	gt_check();
}

CO_CASE(test_time__sleep_duration)
{
	int64_t ds[] = {GOCSP_MS(1), GOCSP_MS(5), GOCSP_MS(20), GOCSP_MS(50)};
	size_t i;
	for (i = 0; i < 4; i++) {
		int64_t t0 = gocsp_now(), el;
		gocsp_sleep(ds[i]);
		el = gt_since(t0);
		EXPECT_GE(el, ds[i]);
		EXPECT_LE(el, ds[i] + GT_SLACK);
	}
	/* d <= 0 returns at once */
	{
		int64_t t0 = gocsp_now();
		gocsp_sleep(0);
		gocsp_sleep(-5);
		gocsp_sleep(GOCSP_FOREVER);
		EXPECT_LE(gt_since(t0), GT_SLACK);
	}
}

/* ---------------------------------------------------------------------- */

struct sleepers {
	atomic_int woke;
	atomic_int early;
	atomic_long next;
	gocsp_waitgroup wg;
};

static void
sleeper(void *arg)
{
	struct sleepers *s = arg;
	long id = atomic_fetch_add(&s->next, 1);
	uint64_t seed = (uint64_t) id * 2654435761u + 1;
	int64_t d = GOCSP_MS(1 + (int) (gt_rand(&seed) % 50));
	int64_t t0 = gocsp_now();
	gocsp_sleep(d);
	if (gt_since(t0) < d)
		atomic_fetch_add(&s->early, 1);
	atomic_fetch_add(&s->woke, 1);
	gocsp_wg_done(&s->wg);
}

CO_CASE(test_time__many_sleepers)
{
	struct sleepers s = {0};
	int i, n = (int) gt_n(10000, 2000);
	int64_t t0 = gocsp_now();
	gocsp_wg_add(&s.wg, n);
	for (i = 0; i < n; i++)
		GO(sleeper, &s);
	gocsp_wg_wait(&s.wg);
	EXPECT_EQ(atomic_load(&s.woke), n);
	EXPECT_EQ(atomic_load(&s.early), 0);
	/* 50 ms each at most, concurrently: far below n * 25 ms */
	EXPECT_LE(gt_since(t0), GOCSP_SEC(GT_SANITIZED ? 30 : 5));
}

/* ---------------------------------------------------------------------- */

static void
after_check(void)
{
	int64_t t0 = gocsp_now(), fired = 0, el;
	gocsp_chan *c = gocsp_after(GOCSP_MS(20));
	assert_non_null(c);
	EXPECT_EQ(gocsp_chan_cap(c), 1);
	EXPECT_EQ(gocsp_chan_recv(c, &fired), 0);
	el = gt_since(t0);
	EXPECT_GE(fired, t0 + GOCSP_MS(20));
	EXPECT_LE(fired, gocsp_now());
	EXPECT_GE(el, GOCSP_MS(20));
	EXPECT_LE(el, GOCSP_MS(20) + GT_SLACK);
	/* exactly one value, and the channel is not closed */
	EXPECT_EQ(gocsp_chan_recv_timeout(c, &fired, GOCSP_MS(30)),
	    GOCSP_ETIMEDOUT);
	gocsp_chan_release(c);
}

CO_CASE(test_time__after_delivers_time)
{
	int i;
	gocsp_chan *c[50];
	after_check();
	/* Released before firing: nothing breaks. */
	for (i = 0; i < 50; i++)
		c[i] = gocsp_after(GOCSP_MS(1 + i % 5));
	for (i = 0; i < 50; i++)
		gocsp_chan_release(c[i]);
	gocsp_sleep(GOCSP_MS(10));
	/* In a select with a channel that never becomes ready. */
	{
		gocsp_chan *never = gocsp_chan_make(sizeof(int), 0);
		int64_t t0 = gocsp_now(), at = 0; /* before the timer starts */
		gocsp_chan *a = gocsp_after(GOCSP_MS(15));
		int v;
		gocsp_case cs[2] = {{never, GOCSP_RECV, &v, 0},
		    {a, GOCSP_RECV, &at, 0}};
		EXPECT_EQ(gocsp_select(cs, 2, GOCSP_FOREVER), 1);
		EXPECT_GE(at, t0 + GOCSP_MS(15));
		gocsp_chan_release(a);
		gocsp_chan_release(never);
	}
}

static void
test_time__after_from_plain_thread(void **state)
{
	(void) state;
	after_check();
	gt_check();
}

/* ---------------------------------------------------------------------- */

CO_CASE(test_time__ticker_period)
{
	const int64_t p = GOCSP_MS(20);
	int64_t t0 = gocsp_now(), prev = 0, el;
	gocsp_ticker *t = gocsp_ticker_new(p);
	gocsp_chan *c;
	int k;
	assert_non_null(t);
	c = gocsp_ticker_chan(t);
	EXPECT_EQ(gocsp_chan_cap(c), 1);
	for (k = 1; k <= 5; k++) {
		int64_t tick = 0;
		EXPECT_EQ(gocsp_chan_recv(c, &tick), 0);
		EXPECT_GE(tick, t0 + k * p);
		EXPECT(tick > prev);
		EXPECT_LE(tick, gocsp_now());
		prev = tick;
	}
	el = gt_since(t0);
	EXPECT_GE(el, 5 * p);
	EXPECT_LE(el, 5 * p + GT_SLACK);
	gocsp_ticker_stop(t);
	EXPECT(gocsp_ticker_new(0) == NULL);
	EXPECT(gocsp_ticker_new(-1) == NULL);
}

CO_CASE(test_time__ticker_first_tick_after_one_period)
{
	const int64_t p = GOCSP_MS(100);
	int64_t t0 = gocsp_now(), tick = 0;
	gocsp_ticker *t = gocsp_ticker_new(p);
	gocsp_chan *c = gocsp_ticker_chan(t);
	EXPECT_EQ(gocsp_chan_recv_timeout(c, &tick, GOCSP_MS(40)),
	    GOCSP_ETIMEDOUT);
	EXPECT_EQ(gocsp_chan_recv(c, &tick), 0);
	EXPECT_GE(tick, t0 + p);
	EXPECT_GE(gt_since(t0), p);
	gocsp_ticker_stop(t);
}

CO_CASE(test_time__ticker_slow_reader_loses_ticks)
{
	const int64_t p = GOCSP_MS(20);
	gocsp_ticker *t = gocsp_ticker_new(p);
	gocsp_chan *c = gocsp_ticker_chan(t);
	int64_t tick = 0, t1;
	int n = 0;
	gocsp_sleep(10 * p);
	EXPECT_EQ(gocsp_chan_len(c), 1);
	while (gocsp_chan_tryrecv(c, &tick) == 0)
		n++;
	/* One buffered tick (two if one fired just now), not ten. */
	EXPECT_GE(n, 1);
	EXPECT_LE(n, 2);
	/* The ticker keeps going: the next tick comes within a period. */
	t1 = gocsp_now();
	EXPECT_EQ(gocsp_chan_recv(c, &tick), 0);
	EXPECT_LE(gt_since(t1), p + GT_SLACK);
	gocsp_ticker_stop(t);
}

CO_CASE(test_time__ticker_stop_no_tick_after)
{
	enum { N = 100 };
	gocsp_ticker *t[N];
	gocsp_chan *c[N];
	int i, late = 0;
	int64_t tick;
	for (i = 0; i < N; i++) {
		t[i] = gocsp_ticker_new(GOCSP_MS(1 + i % 3));
		assert_non_null(t[i]);
		c[i] = gocsp_chan_retain(gocsp_ticker_chan(t[i]));
	}
	gocsp_sleep(GOCSP_MS(10));
	for (i = 0; i < N; i++) {
		gocsp_ticker_stop(t[i]);
		/* a tick sent before stop may still be buffered */
		(void) gocsp_chan_tryrecv(c[i], &tick);
	}
	gocsp_sleep(GOCSP_MS(30));
	for (i = 0; i < N; i++) {
		if (gocsp_chan_len(c[i]) != 0)
			late++;
		gocsp_chan_release(c[i]);
	}
	EXPECT_EQ(late, 0);

	/* Stop right after new, and stop a ticker nobody reads. */
	for (i = 0; i < N; i++)
		gocsp_ticker_stop(gocsp_ticker_new(GOCSP_US(100)));
}

/* ---------------------------------------------------------------------- */

static void
test_time__sleep_from_plain_thread(void **state)
{
	int64_t t0 = gocsp_now(), el;
	(void) state;
	gocsp_sleep(GOCSP_MS(20));
	el = gt_since(t0);
	assert_true(el >= GOCSP_MS(20));
	assert_true(el <= GOCSP_MS(20) + GT_SLACK);
}

static void *
thread_timeouts(void *arg)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 0);
	gocsp_ticker *t;
	int v = 0;
	int64_t t0, tick;
	gocsp_case cs = {c, GOCSP_RECV, &v, 9};
	(void) arg;

	t0 = gocsp_now();
	EXPECT_EQ(gocsp_chan_recv_timeout(c, &v, GOCSP_MS(20)),
	    GOCSP_ETIMEDOUT);
	EXPECT_GE(gt_since(t0), GOCSP_MS(20));
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_chan_send_timeout(c, &v, GOCSP_MS(20)),
	    GOCSP_ETIMEDOUT);
	EXPECT_GE(gt_since(t0), GOCSP_MS(20));
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_select(&cs, 1, GOCSP_MS(20)), GOCSP_ETIMEDOUT);
	EXPECT_GE(gt_since(t0), GOCSP_MS(20));
	EXPECT_LE(gt_since(t0), GOCSP_MS(20) + GT_SLACK);
	EXPECT_EQ(cs.ok, 9);

	/* a ticker read by a thread */
	t0 = gocsp_now();
	t = gocsp_ticker_new(GOCSP_MS(10));
	EXPECT_EQ(gocsp_chan_recv(gocsp_ticker_chan(t), &tick), 0);
	EXPECT_EQ(gocsp_chan_recv(gocsp_ticker_chan(t), &tick), 0);
	EXPECT_GE(tick, t0 + GOCSP_MS(20));
	gocsp_ticker_stop(t);
	gocsp_chan_release(c);
	return NULL;
}

static void
test_time__timeouts_from_plain_threads(void **state)
{
	pthread_t t[4];
	int i;
	(void) state;
	for (i = 0; i < 4; i++)
		t[i] = gt_thread(thread_timeouts, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	gt_check();
}

/* The examples of Go's time.ParseDuration tests. */
static void
test_time__parse_duration(void **state)
{
	static const struct {
		const char *in;
		int64_t ns;
	} good[] = {
	    {"0", 0},
	    {"5s", GOCSP_SEC(5)},
	    {"30s", GOCSP_SEC(30)},
	    {"1478s", GOCSP_SEC(1478)},
	    {"-5s", -GOCSP_SEC(5)},
	    {"+5s", GOCSP_SEC(5)},
	    {"-0", 0},
	    {"5.0s", GOCSP_SEC(5)},
	    {"5.6s", GOCSP_MS(5600)},
	    {"5.s", GOCSP_SEC(5)},
	    {".5s", GOCSP_MS(500)},
	    {"1.004s", GOCSP_MS(1004)},
	    {"100.00100s", GOCSP_MS(100001)},
	    {"10ns", 10},
	    {"11us", GOCSP_US(11)},
	    {"12\xc2\xb5s", GOCSP_US(12)},
	    {"12\xce\xbcs", GOCSP_US(12)},
	    {"13ms", GOCSP_MS(13)},
	    {"14s", GOCSP_SEC(14)},
	    {"15m", GOCSP_SEC(15 * 60)},
	    {"16h", GOCSP_SEC(16 * 3600)},
	    {"3h30m", GOCSP_SEC(3 * 3600 + 30 * 60)},
	    {"10.5s4m", GOCSP_SEC(4 * 60) + GOCSP_MS(10500)},
	    {"-2m3.4s", -(GOCSP_SEC(2 * 60) + GOCSP_MS(3400))},
	    {"1h2m3s4ms5us6ns",
	        GOCSP_SEC(3600 + 120 + 3) + GOCSP_MS(4) + GOCSP_US(5) + 6},
	    {"39h9m14.425s",
	        GOCSP_SEC(39 * 3600 + 9 * 60 + 14) + GOCSP_MS(425)},
	    {"52763797000ns", 52763797000},
	    {"0.3333333333333333333h", GOCSP_SEC(20 * 60)},
	    {"9223372036854775807ns", INT64_MAX},
	    {"9223372036s854ms775us807ns", INT64_MAX},
	};
	static const char *const bad[] = {
	    "",
	    "3",
	    "-",
	    "s",
	    ".",
	    "-.",
	    ".s",
	    "+.s",
	    "1d",
	    "3000000h",
	    "9223372036854775808ns",
	    "9223372036854775.808us",
	    "1.5",
	    "5 s",
	    "5s ",
	};
	size_t i;
	int64_t d;
	(void) state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		d = -42;
		if (gocsp_parse_duration(good[i].in, &d) != 0 ||
		    d != good[i].ns)
			fail_msg("\"%s\": got %lld, want %lld", good[i].in,
			    (long long) d, (long long) good[i].ns);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (gocsp_parse_duration(bad[i], &d) != GOCSP_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
	assert_int_equal(gocsp_parse_duration(NULL, &d), GOCSP_EINVAL);
}

/*
 * Timers made on a plain thread before any coroutine ever ran: nothing
 * else starts a worker, yet they must fire.  In a fresh process (a
 * child), since any earlier case has started the runtime.
 */
static int
child_main(const char *mode, char **args)
{
	gocsp_chan *c;
	gocsp_ctx *ctx;
	int64_t t0 = gocsp_now(), fired = 0;
	int rc;
	alarm(30);
	if (strcmp(mode, "after-fresh") == 0) {
		c = gocsp_after(GOCSP_MS(10));
		rc = gocsp_chan_recv_timeout(c, &fired, GOCSP_SEC(5));
		gocsp_chan_release(c);
	} else if (strcmp(mode, "ctx-timeout-fresh") == 0) {
		ctx = gocsp_ctx_with_timeout(gocsp_ctx_background(),
		    GOCSP_MS(10));
		rc = gocsp_chan_recv_timeout(gocsp_ctx_done(ctx), NULL,
		    GOCSP_SEC(5));
		rc = rc == GOCSP_ECLOSED ? gocsp_ctx_err(ctx) : rc;
		rc = rc == GOCSP_ETIMEDOUT ? 0 : rc;
		gocsp_ctx_release(ctx);
	} else {
		return 2;
	}
	if (rc != 0) {
		fprintf(stderr, "%s: %s after %lld ms\n", mode,
		    gocsp_strerror(rc), (long long) (gt_since(t0) / 1000000));
		return 1;
	}
	return 0;
}

static void
expect_child_ok(const char *mode)
{
	char err[1024];
	int status = gt_child(mode, err, sizeof err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s: status %#x, stderr: %s", mode, status, err);
}

static void
test_time__timers_fire_before_any_coroutine(void **state)
{
	(void) state;
	expect_child_ok("after-fresh");
	expect_child_ok("ctx-timeout-fresh");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_time__now_monotonic),
	    GT_CASE(test_time__sleep_duration),
	    GT_CASE(test_time__many_sleepers),
	    GT_CASE(test_time__after_delivers_time),
	    GT_CASE(test_time__after_from_plain_thread),
	    GT_CASE(test_time__ticker_period),
	    GT_CASE(test_time__ticker_first_tick_after_one_period),
	    GT_CASE(test_time__ticker_slow_reader_loses_ticks),
	    GT_CASE(test_time__ticker_stop_no_tick_after),
	    GT_CASE(test_time__sleep_from_plain_thread),
	    GT_CASE(test_time__timeouts_from_plain_threads),
	    GT_CASE(test_time__parse_duration),
	    GT_CASE(test_time__timers_fire_before_any_coroutine),
	};
	return GT_MAIN_WITH_CHILD(tests, argc, argv, child_main);
}
