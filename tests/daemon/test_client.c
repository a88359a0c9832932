/*
 * The client library against a real gocspd: Go's channel semantics across
 * processes (unbuffered rendezvous, buffered FIFO, close and drain,
 * select with send and receive cases and timeouts), many operations
 * outstanding on one connection from threads and from coroutines, 1,000
 * clients blocked at once, batches, counters, and the end of the daemon.
 */
#include "harness.h"

#include <pthread.h>

static struct gt_daemon D;

static void
start(const char *const *args)
{
	gt_raise_nofile();
	assert_int_equal(gt_daemon_start(&D, args), 0);
}

static void
stop(void)
{
	assert_int_equal(gt_daemon_stop(&D), 0);
}

static void
send_str(gocsp_client *cl, const char *name, const char *s)
{
	EXPECT_EQ(gocsp_client_send(cl, name, s, strlen(s), GOCSP_SEC(5)), 0);
}

/* Receive a value and check it is s. */
static void
expect_recv(gocsp_client *cl, const char *name, const char *s)
{
	void *d = NULL;
	size_t n = 0;
	int rc = gocsp_client_recv(cl, name, &d, &n, GOCSP_SEC(5));
	EXPECT_EQ(rc, 0);
	if (rc == 0) {
		EXPECT_EQ(n, strlen(s));
		EXPECT(memcmp(d, s, n) == 0);
	}
	free(d);
}

/* ---------------------------------------------------------------------- */

static void
test_client__make_is_idempotent(void **state)
{
	start(NULL);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "a", 4), 0);
	EXPECT_EQ(gocsp_client_make(cl, "a", 4), 0);
	EXPECT_EQ(gocsp_client_make(cl, "a", 5), GOCSP_EEXIST);
	char why[256];
	gocsp_client_last_error(cl, why, sizeof(why));
	EXPECT(strstr(why, "capacity 4") != NULL);
	EXPECT_EQ(gocsp_client_make(cl, "", 1), GOCSP_EINVAL);
	EXPECT_EQ(gocsp_client_make(cl, "has space", 1), GOCSP_EINVAL);
	EXPECT_EQ(gocsp_client_make(cl, "-dash", 1), GOCSP_EINVAL);
	EXPECT_EQ(gocsp_client_send(cl, "nope", "x", 1, 0), GOCSP_ENOENT);
	gocsp_client_close(cl);
	stop();
}

static void
test_client__buffered_fifo(void **state)
{
	start(NULL);
	gocsp_client *a = gt_client(&D), *b = gt_client(&D);
	char v[32];
	EXPECT_EQ(gocsp_client_make(a, "q", 1000), 0);
	for (int i = 0; i < 500; i++) {
		snprintf(v, sizeof(v), "v%d", i);
		send_str(i % 2 ? a : b, "q", v);
	}
	EXPECT_EQ(gt_len(a, "q"), 500);
	for (int i = 0; i < 500; i++) {
		snprintf(v, sizeof(v), "v%d", i);
		expect_recv(i % 3 ? a : b, "q", v);
	}
	EXPECT_EQ(gt_len(a, "q"), 0);
	/* Binary values, empty ones and the largest allowed. */
	size_t big = GOCSP_WIRE_MAX_MSG;
	unsigned char *blob = malloc(big + 1);
	for (size_t i = 0; i <= big; i++)
		blob[i] = (unsigned char) (i * 7);
	EXPECT_EQ(gocsp_client_send(a, "q", "", 0, 0), 0);
	EXPECT_EQ(gocsp_client_send(a, "q", "a\0b\n", 4, 0), 0);
	EXPECT_EQ(gocsp_client_send(a, "q", blob, big, 0), 0);
	EXPECT_EQ(gocsp_client_send(a, "q", blob, big + 1, 0), GOCSP_ELIMIT);
	void *d;
	size_t n;
	EXPECT_EQ(gocsp_client_recv(b, "q", &d, &n, 0), 0);
	EXPECT_EQ(n, 0);
	free(d);
	EXPECT_EQ(gocsp_client_recv(b, "q", &d, &n, 0), 0);
	EXPECT(n == 4 && memcmp(d, "a\0b\n", 4) == 0);
	free(d);
	EXPECT_EQ(gocsp_client_recv(b, "q", &d, &n, 0), 0);
	EXPECT(n == big && memcmp(d, blob, big) == 0);
	free(d);
	free(blob);
	gocsp_client_close(a);
	gocsp_client_close(b);
	stop();
}

struct peer {
	const char *name;
	int64_t delay; /* before acting */
	int rc;
	char got[64];
	gocsp_client *cl;
};

static void *
late_receiver(void *arg)
{
	struct peer *p = arg;
	gocsp_client *cl = gt_client(&D);
	usleep((useconds_t) (p->delay / 1000));
	void *d = NULL;
	size_t n;
	p->rc = gocsp_client_recv(cl, p->name, &d, &n, GOCSP_SEC(10));
	if (p->rc == 0)
		snprintf(p->got, sizeof(p->got), "%.*s", (int) n, (char *) d);
	free(d);
	gocsp_client_close(cl);
	return NULL;
}

static void *
blocked_op(void *arg)
{
	struct peer *p = arg;
	if (p->delay == 0) {
		void *d = NULL;
		size_t n;
		p->rc =
		    gocsp_client_recv(p->cl, p->name, &d, &n, GOCSP_SEC(10));
		free(d);
	} else {
		p->rc =
		    gocsp_client_send(p->cl, p->name, "x", 1, GOCSP_SEC(10));
	}
	return NULL;
}

/* An unbuffered send returns only once the receiver has the value. */
static void
test_client__unbuffered_rendezvous(void **state)
{
	start(NULL);
	gocsp_client *cl = gt_client(&D), *watcher = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "u", 0), 0);
	for (int round = 0; round < 5; round++) {
		struct peer p = {.name = "u", .delay = GOCSP_MS(100)};
		pthread_t t;
		/* Before the receiver starts its delay, or it may have slept
		 * some of it already. */
		int64_t t0 = gocsp_now();
		pthread_create(&t, NULL, late_receiver, &p);
		EXPECT_EQ(gocsp_client_send(cl, "u", "hand", 4, GOCSP_SEC(10)),
		    0);
		EXPECT_GE(gocsp_now() - t0, GOCSP_MS(100));
		pthread_join(t, NULL);
		EXPECT_EQ(p.rc, 0);
		EXPECT(strcmp(p.got, "hand") == 0);
	}
	/* A blocked sender shows in the counters until a receiver comes. */
	gocsp_client *sender = gt_client(&D);
	struct peer s = {.name = "u", .cl = sender, .delay = 1};
	pthread_t t;
	pthread_create(&t, NULL, blocked_op, &s);
	gocsp_client_chan_info info = {0};
	for (int i = 0; i < 500 && info.send_waiting == 0; i++) {
		EXPECT_EQ(gocsp_client_stat(watcher, "u", &info), 0);
		usleep(10000);
	}
	EXPECT_EQ(info.send_waiting, 1);
	expect_recv(watcher, "u", "x");
	pthread_join(t, NULL);
	EXPECT_EQ(s.rc, 0);
	gocsp_client_close(sender);
	EXPECT_EQ(gocsp_client_ping(watcher, NULL), 0); /* carries the ack */
	EXPECT_EQ(gocsp_client_stat(watcher, "u", &info), 0);
	EXPECT_EQ(info.len, 0);
	EXPECT_EQ(info.sent, 6);
	EXPECT_EQ(info.received, 6);
	EXPECT_EQ(info.in_flight, 0);

	/* A send that times out reached no one: nothing is left behind. */
	EXPECT_EQ(gocsp_client_send(cl, "u", "lost?", 5, GOCSP_MS(100)),
	    GOCSP_ETIMEDOUT);
	void *d;
	size_t n;
	EXPECT_EQ(gocsp_client_recv(cl, "u", &d, &n, GOCSP_MS(100)),
	    GOCSP_ETIMEDOUT);
	EXPECT_EQ(gocsp_client_send(cl, "u", "x", 1, 0), GOCSP_EAGAIN);
	gocsp_client_close(cl);
	gocsp_client_close(watcher);
	stop();
}

static void
test_client__close_drains_then_closed(void **state)
{
	start(NULL);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "c", 3), 0);
	send_str(cl, "c", "1");
	send_str(cl, "c", "2");
	EXPECT_EQ(gocsp_client_chan_close(cl, "c"), 0);
	EXPECT_EQ(gocsp_client_chan_close(cl, "c"), GOCSP_ECLOSED);
	EXPECT_EQ(gocsp_client_send(cl, "c", "3", 1, 0), GOCSP_ECLOSED);
	expect_recv(cl, "c", "1");
	expect_recv(cl, "c", "2");
	void *d = (void *) 1;
	size_t n;
	EXPECT_EQ(gocsp_client_recv(cl, "c", &d, &n, GOCSP_SEC(1)),
	    GOCSP_ECLOSED);
	EXPECT(d == NULL);

	/* Close wakes a blocked receiver and a blocked sender. */
	EXPECT_EQ(gocsp_client_make(cl, "e", 0), 0);
	EXPECT_EQ(gocsp_client_make(cl, "f", 1), 0);
	send_str(cl, "f", "full");
	struct peer r = {.name = "e", .cl = cl, .delay = 0};
	struct peer s = {.name = "f", .cl = cl, .delay = 1};
	pthread_t tr, ts;
	pthread_create(&tr, NULL, blocked_op, &r);
	pthread_create(&ts, NULL, blocked_op, &s);
	usleep(200000);
	gocsp_client_chan_info info;
	EXPECT_EQ(gocsp_client_stat(cl, "e", &info), 0);
	EXPECT_EQ(info.recv_waiting, 1);
	EXPECT_EQ(gocsp_client_stat(cl, "f", &info), 0);
	EXPECT_EQ(info.send_waiting, 1);
	EXPECT_EQ(gocsp_client_chan_close(cl, "e"), 0);
	EXPECT_EQ(gocsp_client_chan_close(cl, "f"), 0);
	pthread_join(tr, NULL);
	pthread_join(ts, NULL);
	EXPECT_EQ(r.rc, GOCSP_ECLOSED);
	EXPECT_EQ(s.rc, GOCSP_ECLOSED);
	expect_recv(cl, "f", "full"); /* what was buffered still drains */
	gocsp_client_close(cl);
	stop();
}

static void
test_client__select(void **state)
{
	start(NULL);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "s1", 10), 0);
	EXPECT_EQ(gocsp_client_make(cl, "s2", 10), 0);
	EXPECT_EQ(gocsp_client_make(cl, "s3", 0), 0);
	gocsp_client_case cs[3] = {
	    {.name = "s1", .op = GOCSP_RECV},
	    {.name = "s2", .op = GOCSP_RECV},
	    {.name = "s3", .op = GOCSP_RECV},
	};
	EXPECT_EQ(gocsp_client_select(cl, cs, 3, 0), GOCSP_EAGAIN);
	int64_t t0 = gocsp_now();
	EXPECT_EQ(gocsp_client_select(cl, cs, 3, GOCSP_MS(150)),
	    GOCSP_ETIMEDOUT);
	EXPECT_GE(gocsp_now() - t0, GOCSP_MS(150));
	send_str(cl, "s2", "two");
	EXPECT_EQ(gocsp_client_select(cl, cs, 3, GOCSP_SEC(1)), 1);
	EXPECT_EQ(cs[1].ok, 1);
	EXPECT(cs[1].out != NULL && strcmp(cs[1].out, "two") == 0);
	EXPECT_EQ(cs[1].out_len, 3);
	free(cs[1].out);

	/* Uniform among the ready cases. */
	int hits[2] = {0, 0};
	for (int i = 0; i < 200; i++) {
		send_str(cl, "s1", "a");
		send_str(cl, "s2", "b");
		int k = gocsp_client_select(cl, cs, 2, GOCSP_SEC(1));
		EXPECT(k == 0 || k == 1);
		if (k == 0 || k == 1) {
			hits[k]++;
			free(cs[k].out);
			expect_recv(cl, k == 0 ? "s2" : "s1",
			    k == 0 ? "b" : "a");
		}
	}
	EXPECT_GE(hits[0], 60);
	EXPECT_GE(hits[1], 60);

	/* A send case to a waiting receiver; then onto a buffer. */
	struct peer p = {.name = "s3", .delay = GOCSP_MS(50)};
	pthread_t t;
	pthread_create(&t, NULL, late_receiver, &p);
	gocsp_client_case sc[2] = {
	    {.name = "s3", .op = GOCSP_SEND, .data = "hi", .len = 2},
	    {.name = "s3", .op = GOCSP_RECV},
	};
	EXPECT_EQ(gocsp_client_select(cl, sc, 2, GOCSP_SEC(5)), 0);
	EXPECT_EQ(sc[0].ok, 1);
	pthread_join(t, NULL);
	EXPECT(strcmp(p.got, "hi") == 0);

	/* A closed channel's case proceeds with ok = 0. */
	EXPECT_EQ(gocsp_client_chan_close(cl, "s3"), 0);
	EXPECT_EQ(gocsp_client_select(cl, &sc[1], 1, GOCSP_SEC(1)), 0);
	EXPECT_EQ(sc[1].ok, 0);
	EXPECT(sc[1].out == NULL);
	EXPECT_EQ(gocsp_client_select(cl, &sc[0], 1, GOCSP_SEC(1)), 0);
	EXPECT_EQ(sc[0].ok, 0);

	/* Bad cases. */
	gocsp_client_case bad = {.name = "nope", .op = GOCSP_RECV};
	EXPECT_EQ(gocsp_client_select(cl, &bad, 1, 0), GOCSP_ENOENT);
	bad.name = "s1";
	bad.op = 7;
	EXPECT_EQ(gocsp_client_select(cl, &bad, 1, 0), GOCSP_EINVAL);
	gocsp_client_close(cl);
	stop();
}

/* Threads sharing one client, each blocked on its own channel. */
struct sharer {
	gocsp_client *cl;
	int i;
	int rc;
	char got[32];
};

static void *
sharer_main(void *arg)
{
	struct sharer *s = arg;
	char name[16];
	snprintf(name, sizeof(name), "m%d", s->i);
	void *d = NULL;
	size_t n;
	s->rc = gocsp_client_recv(s->cl, name, &d, &n, GOCSP_SEC(20));
	if (s->rc == 0)
		snprintf(s->got, sizeof(s->got), "%.*s", (int) n, (char *) d);
	free(d);
	return NULL;
}

static void
test_client__many_outstanding_on_one_connection(void **state)
{
	enum { N = 32 };
	start(NULL);
	gocsp_client *cl = gt_client(&D), *feeder = gt_client(&D);
	struct sharer s[N];
	pthread_t t[N];
	char name[16], v[16];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		EXPECT_EQ(gocsp_client_make(cl, name, i % 2), 0);
	}
	for (int i = 0; i < N; i++) {
		s[i] = (struct sharer){.cl = cl, .i = i};
		pthread_create(&t[i], NULL, sharer_main, &s[i]);
	}
	usleep(200000);
	/* Fed in reverse: each reply finds its own caller. */
	for (int i = N - 1; i >= 0; i--) {
		snprintf(name, sizeof(name), "m%d", i);
		snprintf(v, sizeof(v), "to%d", i);
		send_str(feeder, name, v);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		snprintf(v, sizeof(v), "to%d", i);
		EXPECT_EQ(s[i].rc, 0);
		EXPECT(strcmp(s[i].got, v) == 0);
	}
	gocsp_client_close(cl);
	gocsp_client_close(feeder);
	stop();
}

/* Coroutines on 2 workers, each blocked on the daemon: they park. */
struct co_wait {
	gocsp_client *cl;
	gocsp_waitgroup wg;
	atomic_int got;
};

static void
co_receiver(void *arg)
{
	struct co_wait *w = arg;
	void *d = NULL;
	size_t n;
	if (gocsp_client_recv(w->cl, "co", &d, &n, GOCSP_SEC(60)) == 0)
		atomic_fetch_add(&w->got, 1);
	free(d);
	gocsp_wg_done(&w->wg);
}

static void
coroutines_body(void *arg)
{
	long n = *(long *) arg;
	struct co_wait w = {.cl = gt_client(&D)};
	gocsp_client *feeder = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(w.cl, "co", 0), 0);
	gocsp_maxprocs(2);
	gocsp_wg_add(&w.wg, (int) n);
	for (long i = 0; i < n; i++)
		EXPECT_EQ(gocsp_go(co_receiver, &w), 0);
	/* All of them wait at once: two worker threads hold them all. */
	gocsp_client_chan_info info = {0};
	for (int i = 0; i < 2000 && info.recv_waiting < n; i++) {
		EXPECT_EQ(gocsp_client_stat(feeder, "co", &info), 0);
		gocsp_sleep(GOCSP_MS(5));
	}
	EXPECT_EQ(info.recv_waiting, n);
	gocsp_client_msg *msgs = calloc((size_t) n, sizeof(*msgs));
	for (long i = 0; i < n; i++) {
		msgs[i].data = "v";
		msgs[i].len = 1;
	}
	size_t sent;
	EXPECT_EQ(gocsp_client_send_many(feeder, "co", msgs, (size_t) n, &sent,
	              GOCSP_SEC(60)),
	    0);
	EXPECT_EQ(sent, n);
	free(msgs);
	gocsp_wg_wait(&w.wg);
	EXPECT_EQ(atomic_load(&w.got), n);
	gocsp_client_close(w.cl);
	gocsp_client_close(feeder);
}

static void
test_client__coroutines_park(void **state)
{
	static const char *const args[] = {"--max-ops", "2000", NULL};
	long n = gt_n(1000, 300);
	start(args);
	gt_run(coroutines_body, &n);
	stop();
}

/* 1,000 connections, each with a receive blocked at once. */
struct conn_wait {
	gocsp_client **cls;
	gocsp_waitgroup wg;
	atomic_long next;
	atomic_int got;
};

static void
conn_receiver(void *arg)
{
	struct conn_wait *w = arg;
	long i = atomic_fetch_add(&w->next, 1);
	void *d = NULL;
	size_t n;
	if (gocsp_client_recv(w->cls[i], "many", &d, &n, GOCSP_SEC(60)) == 0)
		atomic_fetch_add(&w->got, 1);
	free(d);
	gocsp_wg_done(&w->wg);
}

static void
clients_body(void *arg)
{
	long n = *(long *) arg;
	struct conn_wait w = {
	    .cls = calloc((size_t) n, sizeof(gocsp_client *))};
	gocsp_client *feeder = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(feeder, "many", 0), 0);
	for (long i = 0; i < n; i++)
		if ((w.cls[i] = gt_client(&D)) == NULL)
			return;
	gocsp_wg_add(&w.wg, (int) n);
	for (long i = 0; i < n; i++)
		EXPECT_EQ(gocsp_go(conn_receiver, &w), 0);
	gocsp_client_server_info si = {0};
	gocsp_client_chan_info info = {0};
	for (int i = 0; i < 3000 && info.recv_waiting < n; i++) {
		EXPECT_EQ(gocsp_client_stat(feeder, "many", &info), 0);
		gocsp_sleep(GOCSP_MS(5));
	}
	EXPECT_EQ(info.recv_waiting, n);
	EXPECT_EQ(gocsp_client_ping(feeder, &si), 0);
	EXPECT_GE(si.clients, n + 1);
	for (long i = 0; i < n; i++)
		EXPECT_EQ(
		    gocsp_client_send(feeder, "many", "v", 1, GOCSP_SEC(10)),
		    0);
	gocsp_wg_wait(&w.wg);
	EXPECT_EQ(atomic_load(&w.got), n);
	for (long i = 0; i < n; i++)
		gocsp_client_close(w.cls[i]);
	free(w.cls);
	gocsp_client_close(feeder);
}

static void
test_client__thousand_clients_blocked(void **state)
{
	long n = gt_n(1000, 200);
	start(NULL);
	gt_run(clients_body, &n);
	stop();
}

static void
test_client__batches(void **state)
{
	start(NULL);
	gocsp_client *cl = gt_client(&D);
	enum { N = 3000 };
	EXPECT_EQ(gocsp_client_make(cl, "b", N), 0);
	gocsp_client_msg *msgs = calloc(N, sizeof(*msgs));
	char(*vals)[16] = calloc(N, 16);
	for (int i = 0; i < N; i++) {
		snprintf(vals[i], 16, "%d", i);
		msgs[i].data = vals[i];
		msgs[i].len = strlen(vals[i]);
	}
	size_t sent = 0;
	EXPECT_EQ(gocsp_client_send_many(cl, "b", msgs, N, &sent, 0), 0);
	EXPECT_EQ(sent, N);
	/* One value more than fits: the count says where it stopped. */
	EXPECT_EQ(gocsp_client_send_many(cl, "b", msgs, 2, &sent, 0),
	    GOCSP_EAGAIN);
	EXPECT_EQ(sent, 0);
	int next = 0;
	gocsp_client_msg got[100];
	while (next < N) {
		size_t n = 0;
		int rc = gocsp_client_recv_many(cl, "b", got, 100, &n, 0);
		EXPECT_EQ(rc, 0);
		if (rc != 0)
			break;
		EXPECT(n >= 1 && n <= 100);
		for (size_t i = 0; i < n; i++, next++) {
			EXPECT(strcmp(got[i].data, vals[next]) == 0);
			free(got[i].data);
		}
	}
	EXPECT_EQ(next, N);
	free(msgs);
	free(vals);
	gocsp_client_close(cl);
	stop();
}

static void
test_client__counters_and_list(void **state)
{
	start(NULL);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "zeta", 2), 0);
	EXPECT_EQ(gocsp_client_make(cl, "alpha", 0), 0);
	send_str(cl, "zeta", "1");
	send_str(cl, "zeta", "2");
	expect_recv(cl, "zeta", "1");
	gocsp_client_server_info si;
	EXPECT_EQ(gocsp_client_ping(cl, &si), 0); /* carries the ack */
	EXPECT_EQ(si.pid, D.pid);
	EXPECT_EQ(si.channels, 2);
	EXPECT_EQ(si.max_msg, GOCSP_WIRE_MAX_MSG);
	gocsp_client_chan_info *all;
	size_t n;
	EXPECT_EQ(gocsp_client_list(cl, &all, &n), 0);
	EXPECT_EQ(n, 2);
	if (n == 2) {
		EXPECT(strcmp(all[0].name, "alpha") == 0);
		EXPECT(strcmp(all[1].name, "zeta") == 0);
		EXPECT_EQ(all[1].cap, 2);
		EXPECT_EQ(all[1].len, 1);
		EXPECT_EQ(all[1].sent, 2);
		EXPECT_EQ(all[1].received, 1);
		EXPECT_EQ(all[1].in_flight, 0);
		EXPECT_EQ(all[1].closed, 0);
	}
	free(all);
	EXPECT_EQ(gocsp_client_remove(cl, "zeta"), 0);
	EXPECT_EQ(gocsp_client_remove(cl, "zeta"), GOCSP_ENOENT);
	EXPECT_EQ(gocsp_client_stat(cl, "zeta", NULL), GOCSP_ENOENT);
	EXPECT_EQ(gocsp_client_make(cl, "zeta", 7), 0); /* a new one */
	EXPECT_EQ(gt_len(cl, "zeta"), 0);
	gocsp_client_close(cl);
	stop();
}

static void
test_client__timeouts(void **state)
{
	start(NULL);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "t", 1), 0);
	void *d;
	size_t n;
	int64_t t0 = gocsp_now();
	EXPECT_EQ(gocsp_client_recv(cl, "t", &d, &n, GOCSP_MS(200)),
	    GOCSP_ETIMEDOUT);
	int64_t el = gocsp_now() - t0;
	EXPECT_GE(el, GOCSP_MS(200));
	EXPECT_LE(el, GOCSP_MS(200) + GOCSP_SEC(GT_SANITIZED ? 3 : 1));
	send_str(cl, "t", "fill");
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_client_send(cl, "t", "x", 1, GOCSP_MS(200)),
	    GOCSP_ETIMEDOUT);
	EXPECT_GE(gocsp_now() - t0, GOCSP_MS(200));
	EXPECT_EQ(gocsp_client_send(cl, "t", "x", 1, 0), GOCSP_EAGAIN);
	expect_recv(cl, "t", "fill");
	gocsp_client_close(cl);
	stop();
}

/* The daemon stopping ends blocked calls; a new daemon is found again. */
static void
test_client__daemon_goes_away(void **state)
{
	start(NULL);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "w", 0), 0);
	struct peer r = {.name = "w", .cl = cl, .delay = 0};
	pthread_t t;
	pthread_create(&t, NULL, blocked_op, &r);
	usleep(200000);
	stop();
	pthread_join(t, NULL);
	EXPECT_EQ(r.rc, GOCSP_ECONNRESET);
	EXPECT_EQ(gocsp_client_ping(cl, NULL), GOCSP_ECONNREFUSED);
	gocsp_client_close(cl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_client__make_is_idempotent),
	    GT_CASE(test_client__buffered_fifo),
	    GT_CASE(test_client__unbuffered_rendezvous),
	    GT_CASE(test_client__close_drains_then_closed),
	    GT_CASE(test_client__select),
	    GT_CASE(test_client__many_outstanding_on_one_connection),
	    GT_CASE(test_client__coroutines_park),
	    GT_CASE(test_client__thousand_clients_blocked),
	    GT_CASE(test_client__batches),
	    GT_CASE(test_client__counters_and_list),
	    GT_CASE(test_client__timeouts),
	    GT_CASE(test_client__daemon_goes_away),
	};
	return GT_RUN_CASES(tests);
}
