/*
 * Channels: handoff, buffering, close, try/timeout variants, zero-size
 * elements, NULL channels, reference counting, waiter FIFO order, and
 * ports of Go's test/chan/{fifo,goroutines,zerosize}.go and
 * runtime/chan_test.go TestMultiConsumer.  Channels between plain threads
 * and coroutines.  The memory model: a send happens before the matching
 * receive completes, a close before a receive that sees it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

/* ---------------------------------------------------------------------- */

struct handoff {
	gocsp_chan *c;
	atomic_int recv_started;
	int slot;
	gocsp_waitgroup wg;
};

static void
handoff_receiver(void *arg)
{
	struct handoff *h = arg;
	gocsp_sleep(GOCSP_MS(2));
	atomic_store(&h->recv_started, 1);
	EXPECT_EQ(gocsp_chan_recv(h->c, &h->slot), 0);
	gocsp_wg_done(&h->wg);
}

/* The send returns only once the receiver is there and has the value. */
CO_CASE(test_chan__unbuffered_handoff)
{
	int i, rounds = (int) gt_n(300, 100);
	for (i = 0; i < rounds; i++) {
		struct handoff h = {0};
		int v = 1000 + i;
		int64_t t0;
		h.c = gocsp_chan_make(sizeof(int), 0);
		h.slot = -1;
		gocsp_wg_add(&h.wg, 1);
		t0 = gocsp_now(); /* before the receiver's 2 ms nap starts */
		GO(handoff_receiver, &h);
		EXPECT_EQ(gocsp_chan_send(h.c, &v), 0);
		/* The receiver only starts receiving after 2 ms. */
		EXPECT_EQ(atomic_load(&h.recv_started), 1);
		EXPECT_EQ(h.slot, v);
		if (i < 5)
			EXPECT_GE(gt_since(t0), GOCSP_MS(2));
		gocsp_wg_wait(&h.wg);
		gocsp_chan_release(h.c);
	}
}

/* ---------------------------------------------------------------------- */

struct seq_prod {
	gocsp_chan *c;
	int n;
};

static void
seq_producer(void *arg)
{
	struct seq_prod *p = arg;
	int i;
	for (i = 0; i < p->n; i++)
		EXPECT_EQ(gocsp_chan_send(p->c, &i), 0);
	EXPECT_EQ(gocsp_chan_close(p->c), 0);
}

CO_CASE(test_chan__buffered_fifo)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 8);
	struct seq_prod p;
	int i, v, n;

	assert_non_null(c);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(gocsp_chan_trysend(c, &i), 0);
	v = 99;
	EXPECT_EQ(gocsp_chan_trysend(c, &v), GOCSP_EAGAIN);
	EXPECT_EQ(gocsp_chan_len(c), 8);
	for (i = 0; i < 8; i++) {
		v = -1;
		EXPECT_EQ(gocsp_chan_recv(c, &v), 0);
		EXPECT_EQ(v, i);
	}
	EXPECT_EQ(gocsp_chan_len(c), 0);
	gocsp_chan_release(c);

	/* Through a small buffer with a concurrent producer. */
	c = gocsp_chan_make(sizeof(int), 3);
	p.c = c;
	p.n = (int) gt_n(20000, 3000);
	GO(seq_producer, &p);
	for (n = 0;; n++) {
		v = -1;
		if (gocsp_chan_recv(c, &v) != 0)
			break;
		if (v != n) {
			EXPECT_EQ(v, n);
			break;
		}
	}
	EXPECT_EQ(n, p.n);
	EXPECT_EQ(v, 0); /* zeroed by the final ECLOSED */
	gocsp_chan_release(c);
}

CO_CASE(test_chan__len_cap)
{
	gocsp_chan *u = gocsp_chan_make(sizeof(int), 0);
	gocsp_chan *b = gocsp_chan_make(sizeof(long), 5);
	long v = 7;
	int i;

	EXPECT_EQ(gocsp_chan_cap(u), 0);
	EXPECT_EQ(gocsp_chan_len(u), 0);
	EXPECT_EQ(gocsp_chan_cap(b), 5);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(gocsp_chan_len(b), i);
		EXPECT_EQ(gocsp_chan_send(b, &v), 0);
	}
	EXPECT_EQ(gocsp_chan_len(b), 5);
	EXPECT_EQ(gocsp_chan_recv(b, &v), 0);
	EXPECT_EQ(gocsp_chan_len(b), 4);
	EXPECT_EQ(gocsp_chan_close(b), 0);
	EXPECT_EQ(gocsp_chan_len(b), 4);
	EXPECT_EQ(gocsp_chan_cap(b), 5);
	gocsp_chan_release(u);
	gocsp_chan_release(b);
}

/* ---------------------------------------------------------------------- */

struct closer_ctx {
	gocsp_chan *c;
	atomic_int blocked;
	atomic_int closed_seen;
	atomic_int zeroed;
	gocsp_waitgroup wg;
};

static void
blocked_receiver(void *arg)
{
	struct closer_ctx *x = arg;
	long v = 0x5a5a5a5a;
	int rc;
	atomic_fetch_add(&x->blocked, 1);
	rc = gocsp_chan_recv(x->c, &v);
	if (rc == GOCSP_ECLOSED)
		atomic_fetch_add(&x->closed_seen, 1);
	if (v == 0)
		atomic_fetch_add(&x->zeroed, 1);
	gocsp_wg_done(&x->wg);
}

static void
blocked_sender(void *arg)
{
	struct closer_ctx *x = arg;
	long v = 5;
	atomic_fetch_add(&x->blocked, 1);
	if (gocsp_chan_send(x->c, &v) == GOCSP_ECLOSED)
		atomic_fetch_add(&x->closed_seen, 1);
	gocsp_wg_done(&x->wg);
}

static void
wait_blocked(atomic_int *counter, int n)
{
	int64_t t0 = gocsp_now();
	while (atomic_load(counter) < n && gt_since(t0) < GOCSP_SEC(10))
		gocsp_sleep(GOCSP_MS(1));
	gocsp_sleep(GOCSP_MS(20)); /* let the last ones park */
}

CO_CASE(test_chan__close_wakes_all_receivers)
{
	struct closer_ctx x = {0};
	int i, n = 50;
	x.c = gocsp_chan_make(sizeof(long), 0);
	gocsp_wg_add(&x.wg, n);
	for (i = 0; i < n; i++)
		GO(blocked_receiver, &x);
	wait_blocked(&x.blocked, n);
	EXPECT_EQ(atomic_load(&x.closed_seen), 0);
	EXPECT_EQ(gocsp_chan_close(x.c), 0);
	gocsp_wg_wait(&x.wg);
	EXPECT_EQ(atomic_load(&x.closed_seen), n);
	EXPECT_EQ(atomic_load(&x.zeroed), n);
	gocsp_chan_release(x.c);
}

CO_CASE(test_chan__close_wakes_all_senders)
{
	size_t caps[] = {0, 2};
	size_t k;
	for (k = 0; k < 2; k++) {
		struct closer_ctx x = {0};
		long v = 1;
		int i, n = 50;
		x.c = gocsp_chan_make(sizeof(long), caps[k]);
		for (i = 0; i < (int) caps[k]; i++)
			EXPECT_EQ(gocsp_chan_send(x.c, &v), 0);
		gocsp_wg_add(&x.wg, n);
		for (i = 0; i < n; i++)
			GO(blocked_sender, &x);
		wait_blocked(&x.blocked, n);
		EXPECT_EQ(atomic_load(&x.closed_seen), 0);
		EXPECT_EQ(gocsp_chan_close(x.c), 0);
		gocsp_wg_wait(&x.wg);
		EXPECT_EQ(atomic_load(&x.closed_seen), n);
		/* The buffered values stay receivable. */
		EXPECT_EQ(gocsp_chan_len(x.c), caps[k]);
		for (i = 0; i < (int) caps[k]; i++)
			EXPECT_EQ(gocsp_chan_recv(x.c, &v), 0);
		EXPECT_EQ(gocsp_chan_recv(x.c, &v), GOCSP_ECLOSED);
		gocsp_chan_release(x.c);
	}
}

CO_CASE(test_chan__recv_after_close_drains_then_closed)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 4);
	int i, v;
	for (i = 1; i <= 3; i++)
		EXPECT_EQ(gocsp_chan_send(c, &i), 0);
	EXPECT_EQ(gocsp_chan_close(c), 0);
	EXPECT_EQ(gocsp_chan_len(c), 3);
	EXPECT_EQ(gocsp_chan_tryrecv(c, &v), 0);
	EXPECT_EQ(v, 1);
	EXPECT_EQ(gocsp_chan_recv_timeout(c, &v, GOCSP_MS(10)), 0);
	EXPECT_EQ(v, 2);
	EXPECT_EQ(gocsp_chan_recv(c, &v), 0);
	EXPECT_EQ(v, 3);
	v = -1;
	EXPECT_EQ(gocsp_chan_recv(c, &v), GOCSP_ECLOSED);
	EXPECT_EQ(v, 0);
	v = -1;
	EXPECT_EQ(gocsp_chan_tryrecv(c, &v), GOCSP_ECLOSED);
	EXPECT_EQ(v, 0);
	v = -1;
	EXPECT_EQ(gocsp_chan_recv_timeout(c, &v, GOCSP_MS(10)), GOCSP_ECLOSED);
	EXPECT_EQ(v, 0);
	EXPECT_EQ(gocsp_chan_recv(c, NULL), GOCSP_ECLOSED);
	gocsp_chan_release(c);
}

CO_CASE(test_chan__close_twice)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 0);
	gocsp_chan *b = gocsp_chan_make(0, 3);
	EXPECT_EQ(gocsp_chan_close(c), 0);
	EXPECT_EQ(gocsp_chan_close(c), GOCSP_ECLOSED);
	EXPECT_EQ(gocsp_chan_close(c), GOCSP_ECLOSED);
	EXPECT_EQ(gocsp_chan_close(b), 0);
	EXPECT_EQ(gocsp_chan_close(b), GOCSP_ECLOSED);
	gocsp_chan_release(c);
	gocsp_chan_release(b);
}

CO_CASE(test_chan__send_on_closed)
{
	gocsp_chan *u = gocsp_chan_make(sizeof(int), 0);
	gocsp_chan *b = gocsp_chan_make(sizeof(int), 4);
	int v = 3;
	EXPECT_EQ(gocsp_chan_close(u), 0);
	EXPECT_EQ(gocsp_chan_close(b), 0);
	EXPECT_EQ(gocsp_chan_send(u, &v), GOCSP_ECLOSED);
	EXPECT_EQ(gocsp_chan_trysend(u, &v), GOCSP_ECLOSED);
	EXPECT_EQ(gocsp_chan_send_timeout(u, &v, GOCSP_MS(5)), GOCSP_ECLOSED);
	/* A buffer with room does not make a send on a closed channel work. */
	EXPECT_EQ(gocsp_chan_send(b, &v), GOCSP_ECLOSED);
	EXPECT_EQ(gocsp_chan_trysend(b, &v), GOCSP_ECLOSED);
	EXPECT_EQ(gocsp_chan_send_timeout(b, &v, GOCSP_MS(5)), GOCSP_ECLOSED);
	EXPECT_EQ(gocsp_chan_len(b), 0);
	gocsp_chan_release(u);
	gocsp_chan_release(b);
}

CO_CASE(test_chan__try_eagain)
{
	gocsp_chan *u = gocsp_chan_make(sizeof(int), 0);
	gocsp_chan *b = gocsp_chan_make(sizeof(int), 1);
	int v = 4;
	EXPECT_EQ(gocsp_chan_trysend(u, &v), GOCSP_EAGAIN);
	EXPECT_EQ(gocsp_chan_tryrecv(u, &v), GOCSP_EAGAIN);
	EXPECT_EQ(gocsp_chan_tryrecv(b, &v), GOCSP_EAGAIN);
	EXPECT_EQ(gocsp_chan_trysend(b, &v), 0);
	EXPECT_EQ(gocsp_chan_trysend(b, &v), GOCSP_EAGAIN);
	v = 0;
	EXPECT_EQ(gocsp_chan_tryrecv(b, &v), 0);
	EXPECT_EQ(v, 4);
	EXPECT_EQ(gocsp_chan_tryrecv(b, &v), GOCSP_EAGAIN);
	gocsp_chan_release(u);
	gocsp_chan_release(b);
}

CO_CASE(test_chan__timeouts)
{
	gocsp_chan *u = gocsp_chan_make(sizeof(int), 0);
	gocsp_chan *b = gocsp_chan_make(sizeof(int), 1);
	int v = 1;
	int64_t t0, d = GOCSP_MS(30), el;

	t0 = gocsp_now();
	EXPECT_EQ(gocsp_chan_send_timeout(u, &v, d), GOCSP_ETIMEDOUT);
	el = gt_since(t0);
	EXPECT_GE(el, d);
	EXPECT_LE(el, d + GT_SLACK);

	t0 = gocsp_now();
	EXPECT_EQ(gocsp_chan_recv_timeout(u, &v, d), GOCSP_ETIMEDOUT);
	el = gt_since(t0);
	EXPECT_GE(el, d);
	EXPECT_LE(el, d + GT_SLACK);

	EXPECT_EQ(gocsp_chan_send(b, &v), 0);
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_chan_send_timeout(b, &v, d), GOCSP_ETIMEDOUT);
	EXPECT_GE(gt_since(t0), d);
	EXPECT_EQ(gocsp_chan_len(b), 1);

	/* A ready operation with a timeout proceeds at once. */
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_chan_recv_timeout(b, &v, GOCSP_SEC(5)), 0);
	EXPECT_LE(gt_since(t0), GT_SLACK);
	gocsp_chan_release(u);
	gocsp_chan_release(b);
}

/* ---------------------------------------------------------------------- */

static void
signal_sender(void *arg)
{
	gocsp_chan *c = arg;
	int i;
	for (i = 0; i < 100; i++)
		EXPECT_EQ(gocsp_chan_send(c, NULL), 0);
}

CO_CASE(test_chan__zero_size_signal)
{
	gocsp_chan *c = gocsp_chan_make(0, 0);
	gocsp_chan *b = gocsp_chan_make(0, 3);
	unsigned char sentinel[8];
	int i;

	assert_non_null(c);
	GO(signal_sender, c);
	for (i = 0; i < 100; i++) {
		memset(sentinel, 0xab, sizeof sentinel);
		EXPECT_EQ(gocsp_chan_recv(c, i % 2 ? NULL : sentinel), 0);
		/* Nothing is copied for a zero-size element. */
		EXPECT_EQ(sentinel[0], 0xab);
		EXPECT_EQ(sentinel[7], 0xab);
	}
	EXPECT_EQ(gocsp_chan_tryrecv(c, NULL), GOCSP_EAGAIN);

	/* Buffered signal channel: counts, no storage. */
	EXPECT_EQ(gocsp_chan_cap(b), 3);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(gocsp_chan_trysend(b, NULL), 0);
	EXPECT_EQ(gocsp_chan_trysend(b, sentinel), GOCSP_EAGAIN);
	EXPECT_EQ(gocsp_chan_len(b), 3);
	EXPECT_EQ(gocsp_chan_close(b), 0);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(gocsp_chan_recv(b, NULL), 0);
	EXPECT_EQ(gocsp_chan_recv(b, NULL), GOCSP_ECLOSED);
	gocsp_chan_release(c);
	gocsp_chan_release(b);
}

/* Go's test/chan/zerosize.go: channels of zero-size elements, both kinds. */
CO_CASE(test_chan__zerosize_make)
{
	size_t caps[] = {0, 1, 1000000};
	size_t i;
	for (i = 0; i < 3; i++) {
		gocsp_chan *c = gocsp_chan_make(0, caps[i]);
		assert_non_null(c);
		EXPECT_EQ(gocsp_chan_cap(c), caps[i]);
		EXPECT_EQ(gocsp_chan_len(c), 0);
		if (caps[i] > 0) {
			size_t k, fill = caps[i] < 1000 ? caps[i] : 1000;
			for (k = 0; k < fill; k++)
				EXPECT_EQ(gocsp_chan_trysend(c, NULL), 0);
			if (fill == caps[i])
				EXPECT_EQ(gocsp_chan_trysend(c, NULL),
				    GOCSP_EAGAIN);
			EXPECT_EQ(gocsp_chan_len(c), fill);
			EXPECT_EQ(gocsp_chan_tryrecv(c, NULL), 0);
			EXPECT_EQ(gocsp_chan_len(c), fill - 1);
		}
		gocsp_chan_release(c);
	}
}

CO_CASE(test_chan__recv_null_elem)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 2);
	int v = 10;
	EXPECT_EQ(gocsp_chan_send(c, &v), 0);
	v = 11;
	EXPECT_EQ(gocsp_chan_send(c, &v), 0);
	EXPECT_EQ(gocsp_chan_recv(c, NULL), 0);
	v = 0;
	EXPECT_EQ(gocsp_chan_recv(c, &v), 0);
	EXPECT_EQ(v, 11);
	EXPECT_EQ(gocsp_chan_tryrecv(c, NULL), GOCSP_EAGAIN);
	gocsp_chan_release(c);
}

CO_CASE(test_chan__null_channel_times_out)
{
	int v = 1;
	int64_t t0 = gocsp_now();
	EXPECT_EQ(gocsp_chan_send_timeout(NULL, &v, GOCSP_MS(20)),
	    GOCSP_ETIMEDOUT);
	EXPECT_GE(gt_since(t0), GOCSP_MS(20));
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_chan_recv_timeout(NULL, &v, GOCSP_MS(20)),
	    GOCSP_ETIMEDOUT);
	EXPECT_GE(gt_since(t0), GOCSP_MS(20));
	/* It would block forever: the try variants say so. */
	EXPECT_EQ(gocsp_chan_trysend(NULL, &v), GOCSP_EAGAIN);
	EXPECT_EQ(gocsp_chan_tryrecv(NULL, &v), GOCSP_EAGAIN);
}

/* ---------------------------------------------------------------------- */

struct held {
	gocsp_chan *c;
	gocsp_waitgroup wg;
};

static void
held_user(void *arg)
{
	struct held *h = arg;
	int v = 0, i, sum = 0;
	for (i = 0; i < 10; i++) {
		EXPECT_EQ(gocsp_chan_recv(h->c, &v), 0);
		sum += v;
	}
	EXPECT_EQ(sum, 45);
	EXPECT_EQ(gocsp_chan_recv(h->c, &v), GOCSP_ECLOSED);
	gocsp_chan_release(h->c);
	gocsp_wg_done(&h->wg);
}

CO_CASE(test_chan__retain_release)
{
	struct held h = {0};
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 10);
	int i;
	EXPECT(gocsp_chan_retain(c) == c);
	gocsp_chan_release(c); /* back to one reference */
	for (i = 0; i < 10; i++)
		EXPECT_EQ(gocsp_chan_send(c, &i), 0);
	EXPECT_EQ(gocsp_chan_close(c), 0);
	h.c = gocsp_chan_retain(c);
	gocsp_wg_add(&h.wg, 1);
	/* Our reference goes before the user's operations start. */
	gocsp_chan_release(c);
	GO(held_user, &h);
	gocsp_wg_wait(&h.wg);
}

/* ---------------------------------------------------------------------- */

/* Go's test/chan/fifo.go */
struct chain_link {
	gocsp_chan *ch, *in, *out;
	int val;
	gocsp_waitgroup *wg;
};

static void
fifo_chain(void *arg)
{
	struct chain_link *l = arg;
	int v = -1, one = 1;
	EXPECT_EQ(gocsp_chan_recv(l->in, NULL), 0);
	EXPECT_EQ(gocsp_chan_recv(l->ch, &v), 0);
	EXPECT_EQ(v, l->val);
	EXPECT_EQ(gocsp_chan_send(l->out, &one), 0);
	gocsp_wg_done(l->wg);
}

CO_CASE(test_chan__fifo_go_port)
{
	enum { N = 10 };
	gocsp_chan *ch = gocsp_chan_make(sizeof(int), N);
	gocsp_chan *links[N + 1];
	struct chain_link l[N];
	gocsp_waitgroup wg = {0};
	int i, v;

	/* AsynchFifo */
	for (i = 0; i < N; i++)
		EXPECT_EQ(gocsp_chan_send(ch, &i), 0);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(gocsp_chan_recv(ch, &v), 0);
		EXPECT_EQ(v, i);
	}
	gocsp_chan_release(ch);

	/* SynchFifo */
	ch = gocsp_chan_make(sizeof(int), 0);
	for (i = 0; i <= N; i++)
		links[i] = gocsp_chan_make(sizeof(int), 0);
	gocsp_wg_add(&wg, N);
	for (i = 0; i < N; i++) {
		l[i].ch = ch;
		l[i].in = links[i];
		l[i].out = links[i + 1];
		l[i].val = i;
		l[i].wg = &wg;
		GO(fifo_chain, &l[i]);
	}
	v = 0;
	EXPECT_EQ(gocsp_chan_send(links[0], &v), 0);
	for (i = 0; i < N; i++)
		EXPECT_EQ(gocsp_chan_send(ch, &i), 0);
	EXPECT_EQ(gocsp_chan_recv(links[N], &v), 0);
	gocsp_wg_wait(&wg);
	for (i = 0; i <= N; i++)
		gocsp_chan_release(links[i]);
	gocsp_chan_release(ch);
}

struct ordered {
	gocsp_chan *c;
	int id;
	int got;
	atomic_int started;
	gocsp_waitgroup *wg;
};

static void
ordered_sender(void *arg)
{
	struct ordered *o = arg;
	atomic_store(&o->started, 1);
	EXPECT_EQ(gocsp_chan_send(o->c, &o->id), 0);
	gocsp_wg_done(o->wg);
}

static void
ordered_receiver(void *arg)
{
	struct ordered *o = arg;
	atomic_store(&o->started, 1);
	EXPECT_EQ(gocsp_chan_recv(o->c, &o->got), 0);
	gocsp_wg_done(o->wg);
}

/* Start o's coroutine and sleep until it has blocked: with one processor
 * main runs again only once it has, and it blocks right after it
 * starts. */
static void
start_ordered(void (*fn)(void *), struct ordered *o)
{
	atomic_store(&o->started, 0);
	GO(fn, o);
	do
		gocsp_sleep(GOCSP_MS(1));
	while (!atomic_load(&o->started));
}

/*
 * Blocked senders, then blocked receivers, are served in the order they
 * blocked.  With one processor each new coroutine runs and parks while
 * main sleeps, so the blocking order is the spawn order.
 */
CO_CASE(test_chan__waiter_fifo_order)
{
	enum { N = 20 };
	struct ordered o[N];
	gocsp_waitgroup wg = {0};
	size_t caps[] = {0, 2};
	int prev = gocsp_maxprocs(1);
	size_t k;
	int i, v;

	for (k = 0; k < 2; k++) {
		gocsp_chan *c = gocsp_chan_make(sizeof(int), caps[k]);
		/* senders */
		gocsp_wg_add(&wg, N);
		for (i = 0; i < N; i++) {
			o[i].c = c;
			o[i].id = i;
			o[i].wg = &wg;
			start_ordered(ordered_sender, &o[i]);
		}
		for (i = 0; i < N; i++) {
			v = -1;
			EXPECT_EQ(gocsp_chan_recv(c, &v), 0);
			EXPECT_EQ(v, i);
		}
		gocsp_wg_wait(&wg);
		/* receivers */
		gocsp_wg_add(&wg, N);
		for (i = 0; i < N; i++) {
			o[i].got = -1;
			start_ordered(ordered_receiver, &o[i]);
		}
		for (i = 0; i < N; i++)
			EXPECT_EQ(gocsp_chan_send(c, &i), 0);
		gocsp_wg_wait(&wg);
		for (i = 0; i < N; i++)
			EXPECT_EQ(o[i].got, i);
		gocsp_chan_release(c);
	}
	gocsp_maxprocs(prev);
}

/* ---------------------------------------------------------------------- */

struct big {
	uint32_t seq;
	unsigned char bytes[1024];
	uint32_t check;
};

static void
big_fill(struct big *b, uint32_t seq)
{
	size_t i;
	b->seq = seq;
	for (i = 0; i < sizeof b->bytes; i++)
		b->bytes[i] = (unsigned char) (seq * 31 + i * 7);
	b->check = seq ^ 0xdeadbeef;
}

static int
big_ok(const struct big *b, uint32_t seq)
{
	size_t i;
	if (b->seq != seq || b->check != (seq ^ 0xdeadbeef))
		return 0;
	for (i = 0; i < sizeof b->bytes; i++)
		if (b->bytes[i] != (unsigned char) (seq * 31 + i * 7))
			return 0;
	return 1;
}

static void
big_producer(void *arg)
{
	gocsp_chan *c = arg;
	struct big b;
	uint32_t i;
	for (i = 0; i < 1000; i++) {
		big_fill(&b, i);
		EXPECT_EQ(gocsp_chan_send(c, &b), 0);
		memset(&b, 0, sizeof b); /* the value was copied */
	}
	EXPECT_EQ(gocsp_chan_close(c), 0);
}

CO_CASE(test_chan__large_elements)
{
	size_t caps[] = {0, 4};
	size_t k;
	for (k = 0; k < 2; k++) {
		gocsp_chan *c = gocsp_chan_make(sizeof(struct big), caps[k]);
		struct big b;
		uint32_t n = 0;
		GO(big_producer, c);
		while (gocsp_chan_recv(c, &b) == 0) {
			if (!big_ok(&b, n))
				EXPECT(big_ok(&b, n));
			n++;
		}
		EXPECT_EQ(n, 1000);
		EXPECT_EQ(b.seq, 0); /* zeroed on ECLOSED */
		EXPECT_EQ(b.bytes[500], 0);
		gocsp_chan_release(c);
	}
}

/* Elements above GOCSP_CHAN_ELEM_MAX are refused at make, so no send can
 * copy more than that; GOCSP_CHAN_ELEM_MAX itself works. */
CO_CASE(test_chan__element_size_limit)
{
	unsigned char *v = calloc(1, GOCSP_CHAN_ELEM_MAX);
	unsigned char *got = malloc(GOCSP_CHAN_ELEM_MAX);
	gocsp_chan *c;
	EXPECT(gocsp_chan_make(SIZE_MAX, 0) == NULL);
	EXPECT(gocsp_chan_make(GOCSP_CHAN_ELEM_MAX + 1, 0) == NULL);
	EXPECT(gocsp_chan_make(GOCSP_CHAN_ELEM_MAX + 1, 1) == NULL);
	c = gocsp_chan_make(GOCSP_CHAN_ELEM_MAX, 1);
	EXPECT(c != NULL);
	if (c != NULL && v != NULL && got != NULL) {
		v[0] = 1;
		v[GOCSP_CHAN_ELEM_MAX - 1] = 2;
		EXPECT_EQ(gocsp_chan_send(c, v), 0);
		EXPECT_EQ(gocsp_chan_recv(c, got), 0);
		EXPECT(memcmp(v, got, GOCSP_CHAN_ELEM_MAX) == 0);
	}
	gocsp_chan_release(c);
	free(v);
	free(got);
}

/* ---------------------------------------------------------------------- */

/* Go's test/chan/goroutines.go: left <- <-right along a chain. */
struct pass {
	gocsp_chan *left, *right;
};

static void
pass_along(void *arg)
{
	struct pass *p = arg;
	int v = 0;
	EXPECT_EQ(gocsp_chan_recv(p->right, &v), 0);
	v++;
	EXPECT_EQ(gocsp_chan_send(p->left, &v), 0);
}

CO_CASE(test_chan__goroutines_chain)
{
	int n = (int) gt_n(10000, 2000);
	gocsp_chan **ch = calloc((size_t) n + 1, sizeof *ch);
	struct pass *p = calloc((size_t) n, sizeof *p);
	int i, v = 0, one = 1;

	assert_non_null(ch);
	assert_non_null(p);
	for (i = 0; i <= n; i++)
		ch[i] = gocsp_chan_make(sizeof(int), 0);
	for (i = 0; i < n; i++) {
		p[i].left = ch[i];
		p[i].right = ch[i + 1];
		GO(pass_along, &p[i]);
	}
	EXPECT_EQ(gocsp_chan_send(ch[n], &one), 0);
	EXPECT_EQ(gocsp_chan_recv(ch[0], &v), 0);
	EXPECT_EQ(v, n + 1);
	for (i = 0; i <= n; i++)
		gocsp_chan_release(ch[i]);
	free(ch);
	free(p);
}

/* ---------------------------------------------------------------------- */

/* runtime/chan_test.go TestMultiConsumer */
static const int pn[] = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
#define NPN ((int) (sizeof pn / sizeof pn[0]))

struct mc {
	gocsp_chan *q, *r;
	gocsp_waitgroup wg;
	int niter;
	long expect;
	atomic_int next_w;
};

static void
mc_worker(void *arg)
{
	struct mc *m = arg;
	int w = atomic_fetch_add(&m->next_w, 1), v;
	while (gocsp_chan_recv(m->q, &v) == 0) {
		if (pn[w % NPN] == v)
			gocsp_yield();
		EXPECT_EQ(gocsp_chan_send(m->r, &v), 0);
	}
	gocsp_wg_done(&m->wg);
}

static void
mc_feeder(void *arg)
{
	struct mc *m = arg;
	int i;
	long expect = 0;
	for (i = 0; i < m->niter; i++) {
		int v = pn[i % NPN];
		expect += v;
		EXPECT_EQ(gocsp_chan_send(m->q, &v), 0);
	}
	m->expect = expect;
	EXPECT_EQ(gocsp_chan_close(m->q), 0);
	gocsp_wg_wait(&m->wg);
	EXPECT_EQ(gocsp_chan_close(m->r), 0);
}

CO_CASE(test_chan__multi_consumer)
{
	enum { NWORK = 23 };
	struct mc m = {0};
	long n = 0, s = 0;
	int i, v;
	m.niter = (int) gt_n(100000, 10000);
	m.q = gocsp_chan_make(sizeof(int), NWORK * 3);
	m.r = gocsp_chan_make(sizeof(int), NWORK * 3);
	gocsp_wg_add(&m.wg, NWORK);
	for (i = 0; i < NWORK; i++)
		GO(mc_worker, &m);
	GO(mc_feeder, &m);
	while (gocsp_chan_recv(m.r, &v) == 0) {
		n++;
		s += v;
	}
	/* r is closed after the feeder stored expect. */
	EXPECT_EQ(n, m.niter);
	EXPECT_EQ(s, m.expect);
	gocsp_chan_release(m.q);
	gocsp_chan_release(m.r);
}

/* ---------------------------------------------------------------------- */

/*
 * Plain threads and coroutines on the same channels.  The cmocka thread
 * orchestrates: it starts coroutines with gocsp_go and threads with
 * pthread_create, and waits for both as a plain thread.
 */
struct mixed {
	gocsp_chan *c;
	int per_sender;
	atomic_long sum;
	atomic_long count;
	gocsp_waitgroup recv_wg;
	gocsp_waitgroup send_wg;
};

static void
mixed_send_all(struct mixed *m)
{
	long i;
	for (i = 1; i <= m->per_sender; i++)
		EXPECT_EQ(gocsp_chan_send(m->c, &i), 0);
}

static void
mixed_recv_all(struct mixed *m)
{
	long v, sum = 0, count = 0;
	while (gocsp_chan_recv(m->c, &v) == 0) {
		sum += v;
		count++;
	}
	atomic_fetch_add(&m->sum, sum);
	atomic_fetch_add(&m->count, count);
}

static void
co_sender(void *arg)
{
	mixed_send_all(arg);
	gocsp_wg_done(&((struct mixed *) arg)->send_wg);
}

static void
co_receiver(void *arg)
{
	mixed_recv_all(arg);
	gocsp_wg_done(&((struct mixed *) arg)->recv_wg);
}

static void *
th_sender(void *arg)
{
	mixed_send_all(arg);
	gocsp_wg_done(&((struct mixed *) arg)->send_wg);
	return NULL;
}

static void *
th_receiver(void *arg)
{
	mixed_recv_all(arg);
	gocsp_wg_done(&((struct mixed *) arg)->recv_wg);
	return NULL;
}

/*
 * kind: 0 threads send, coroutines receive; 1 coroutines send, threads
 * receive; 2 threads only; 3 both kinds on both sides.
 */
static void
mixed_run(size_t cap, int kind)
{
	enum { NS = 4, NR = 3 };
	struct mixed m = {0};
	pthread_t th[NS + NR];
	int nth = 0, i;
	long expect;
	m.c = gocsp_chan_make(sizeof(long), cap);
	m.per_sender = (int) gt_n(5000, 1000);
	gocsp_wg_add(&m.send_wg, NS);
	gocsp_wg_add(&m.recv_wg, NR);
	for (i = 0; i < NR; i++) {
		int thread = kind == 1 || kind == 2 || (kind == 3 && i % 2);
		if (thread)
			th[nth++] = gt_thread(th_receiver, &m);
		else
			GO(co_receiver, &m);
	}
	for (i = 0; i < NS; i++) {
		int thread = kind == 0 || kind == 2 || (kind == 3 && i % 2);
		if (thread)
			th[nth++] = gt_thread(th_sender, &m);
		else
			GO(co_sender, &m);
	}
	gocsp_wg_wait(&m.send_wg);
	EXPECT_EQ(gocsp_chan_close(m.c), 0);
	gocsp_wg_wait(&m.recv_wg);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	expect = (long) NS * m.per_sender * (m.per_sender + 1) / 2;
	EXPECT_EQ(atomic_load(&m.count), (long) NS * m.per_sender);
	EXPECT_EQ(atomic_load(&m.sum), expect);
	gocsp_chan_release(m.c);
}

static void
test_chan__threads_and_coroutines(void **state)
{
	size_t caps[] = {0, 1, 16};
	size_t k;
	int kind;
	(void) state;
	for (k = 0; k < 3; k++)
		for (kind = 0; kind < 4; kind++)
			mixed_run(caps[k], kind);
	gt_check();
}

/* ---------------------------------------------------------------------- */

/*
 * The last reference goes right after a completed operation while the
 * peer may still be inside its own call: both sides must be safe.
 * Modes 0 and 1 hold one reference, released by main once its operation
 * completed (which proves the peer's operation has started).  In modes 2
 * and 3 the peer holds its own reference and drops it as soon as its
 * operation returns, racing main's release.
 */
struct rel {
	gocsp_chan *c;
	int mode;
	gocsp_waitgroup wg;
};

static void
rel_peer(void *arg)
{
	struct rel *r = arg;
	int v = 42;
	switch (r->mode) {
	case 0: /* peer sends, main receives and releases */
		EXPECT_EQ(gocsp_chan_send(r->c, &v), 0);
		break;
	case 1: /* peer receives, main sends (unbuffered) and releases */
		v = 0;
		EXPECT_EQ(gocsp_chan_recv(r->c, &v), 0);
		EXPECT_EQ(v, 42);
		break;
	case 2: /* peer receives until closed, then releases its reference */
		EXPECT_EQ(gocsp_chan_recv(r->c, &v), GOCSP_ECLOSED);
		gocsp_chan_release(r->c);
		break;
	case 3: /* peer sends, then releases its reference */
		EXPECT_EQ(gocsp_chan_send(r->c, &v), 0);
		gocsp_chan_release(r->c);
		break;
	}
	gocsp_wg_done(&r->wg);
}

CO_CASE(test_chan__release_after_completed_op)
{
	int i, n = (int) gt_n(3000, 600);
	for (i = 0; i < n; i++) {
		struct rel *r = calloc(1, sizeof *r);
		int v = 42;
		r->mode = i % 4;
		r->c = gocsp_chan_make(sizeof(int),
		    (size_t) (r->mode != 1 && i % 8 >= 4));
		if (r->mode >= 2)
			gocsp_chan_retain(r->c);
		gocsp_wg_add(&r->wg, 1);
		GO(rel_peer, r);
		if (i % 3 == 0)
			gocsp_yield();
		switch (r->mode) {
		case 0:
		case 3:
			v = 0;
			EXPECT_EQ(gocsp_chan_recv(r->c, &v), 0);
			EXPECT_EQ(v, 42);
			break;
		case 1:
			EXPECT_EQ(gocsp_chan_send(r->c, &v), 0);
			break;
		case 2:
			EXPECT_EQ(gocsp_chan_close(r->c), 0);
			break;
		}
		gocsp_chan_release(r->c);
		gocsp_wg_wait(&r->wg);
		free(r);
	}
}

/* ---------------------------------------------------------------------- */
/* gocsp_chan_unrecv: a value put back is the channel's next value.        */

struct unrecv_peer {
	gocsp_chan *c;
	gocsp_waitgroup wg;
};

static void
unrecv_blocked_sender(void *arg)
{
	struct unrecv_peer *p = arg;
	int v = 8;
	EXPECT_EQ(gocsp_chan_send(p->c, &v), 0);
	gocsp_wg_done(&p->wg);
}

static void
unrecv_blocked_receiver(void *arg)
{
	struct unrecv_peer *p = arg;
	int v = 0;
	EXPECT_EQ(gocsp_chan_recv(p->c, &v), 0);
	EXPECT_EQ(v, 5);
	gocsp_wg_done(&p->wg);
}

/* Receive every buffered value; check they are want[0..n) in order. */
static void
expect_drain(gocsp_chan *c, const int *want, size_t n)
{
	size_t i;
	int v;
	EXPECT_EQ(gocsp_chan_len(c), n);
	for (i = 0; i < n; i++) {
		v = -1;
		EXPECT_EQ(gocsp_chan_tryrecv(c, &v), 0);
		EXPECT_EQ(v, want[i]);
	}
	EXPECT_EQ(gocsp_chan_tryrecv(c, &v), GOCSP_EAGAIN);
}

CO_CASE(test_chan__unrecv_goes_to_the_head)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 4);
	int v;

	/* Room in the ring: before the values already there. */
	for (v = 1; v <= 3; v++)
		EXPECT_EQ(gocsp_chan_send(c, &v), 0);
	EXPECT_EQ(gocsp_chan_recv(c, &v), 0);
	EXPECT_EQ(v, 1);
	EXPECT_EQ(gocsp_chan_unrecv(c, &v), 0);
	expect_drain(c, (int[]){1, 2, 3}, 3);

	/* Put back in reverse order to restore an order. */
	v = 2;
	EXPECT_EQ(gocsp_chan_unrecv(c, &v), 0);
	v = 1;
	EXPECT_EQ(gocsp_chan_unrecv(c, &v), 0);
	expect_drain(c, (int[]){1, 2}, 2);
	gocsp_chan_release(c);
}

CO_CASE(test_chan__unrecv_beyond_capacity)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 2);
	int v;

	for (v = 1; v <= 2; v++)
		EXPECT_EQ(gocsp_chan_send(c, &v), 0);
	/* Full: the value goes ahead of the ring, len exceeds cap. */
	v = 0;
	EXPECT_EQ(gocsp_chan_unrecv(c, &v), 0);
	v = -1;
	EXPECT_EQ(gocsp_chan_unrecv(c, &v), 0);
	EXPECT_EQ(gocsp_chan_len(c), 4);
	EXPECT_EQ(gocsp_chan_cap(c), 2);
	EXPECT_EQ(gocsp_chan_trysend(c, &v), GOCSP_EAGAIN);
	/* Draining the extra values does not yet make room. */
	EXPECT_EQ(gocsp_chan_recv(c, &v), 0);
	EXPECT_EQ(v, -1);
	EXPECT_EQ(gocsp_chan_recv(c, &v), 0);
	EXPECT_EQ(v, 0);
	EXPECT_EQ(gocsp_chan_trysend(c, &v), GOCSP_EAGAIN);
	expect_drain(c, (int[]){1, 2}, 2);
	v = 3;
	EXPECT_EQ(gocsp_chan_trysend(c, &v), 0);
	expect_drain(c, (int[]){3}, 1);

	/* Ahead of a blocked sender of a full buffer, too. */
	for (v = 1; v <= 2; v++)
		EXPECT_EQ(gocsp_chan_send(c, &v), 0);
	struct unrecv_peer p = {.c = c};
	gocsp_wg_add(&p.wg, 1);
	GO(unrecv_blocked_sender, &p);
	gocsp_sleep(GOCSP_MS(5)); /* the order is the same if it is late */
	v = 0;
	EXPECT_EQ(gocsp_chan_unrecv(c, &v), 0);
	for (int want = 0; want <= 2; want++) {
		EXPECT_EQ(gocsp_chan_recv(c, &v), 0);
		EXPECT_EQ(v, want);
	}
	gocsp_wg_wait(&p.wg);
	expect_drain(c, (int[]){8}, 1);
	gocsp_chan_release(c);
}

CO_CASE(test_chan__unrecv_unbuffered)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 0);
	struct unrecv_peer p = {.c = c};
	int v = 7;

	/* No receiver: held until one comes, ahead of blocked senders. */
	gocsp_wg_add(&p.wg, 1);
	GO(unrecv_blocked_sender, &p);
	gocsp_sleep(GOCSP_MS(5));
	EXPECT_EQ(gocsp_chan_unrecv(c, &v), 0);
	EXPECT_EQ(gocsp_chan_len(c), 1);
	EXPECT_EQ(gocsp_chan_recv(c, &v), 0);
	EXPECT_EQ(v, 7);
	EXPECT_EQ(gocsp_chan_recv(c, &v), 0);
	EXPECT_EQ(v, 8);
	gocsp_wg_wait(&p.wg);

	/* A blocked receiver takes it at once. */
	gocsp_wg_add(&p.wg, 1);
	GO(unrecv_blocked_receiver, &p);
	gocsp_sleep(GOCSP_MS(5));
	v = 5;
	EXPECT_EQ(gocsp_chan_unrecv(c, &v), 0);
	gocsp_wg_wait(&p.wg);
	EXPECT_EQ(gocsp_chan_len(c), 0);

	/* A select sees it like any value. */
	v = 9;
	EXPECT_EQ(gocsp_chan_unrecv(c, &v), 0);
	int got = 0;
	gocsp_case cs[] = {{.chan = c, .op = GOCSP_RECV, .elem = &got}};
	EXPECT_EQ(gocsp_select(cs, 1, 0), 0);
	EXPECT_EQ(cs[0].ok, 1);
	EXPECT_EQ(got, 9);
	gocsp_chan_release(c);
}

CO_CASE(test_chan__unrecv_closed_then_release)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 1);
	gocsp_chan *u = gocsp_chan_make(sizeof(int), 0);
	int v = 1;

	EXPECT_EQ(gocsp_chan_send(c, &v), 0);
	EXPECT_EQ(gocsp_chan_close(c), 0);
	v = 2;
	EXPECT_EQ(gocsp_chan_unrecv(c, &v), 0);
	EXPECT_EQ(gocsp_chan_recv(c, &v), 0);
	EXPECT_EQ(v, 2);
	EXPECT_EQ(gocsp_chan_recv(c, &v), 0);
	EXPECT_EQ(v, 1);
	EXPECT_EQ(gocsp_chan_recv(c, &v), GOCSP_ECLOSED);
	EXPECT_EQ(gocsp_chan_unrecv(NULL, &v), GOCSP_EINVAL);

	/* Released with values put back: the leak checkers watch this. */
	for (v = 0; v < 100; v++)
		EXPECT_EQ(gocsp_chan_unrecv(u, &v), 0);
	EXPECT_EQ(gocsp_chan_len(u), 100);
	gocsp_chan_release(c);
	gocsp_chan_release(u);
}

/* ---------------------------------------------------------------------- */

/*
 * The memory model programs rely on: a send happens before the matching
 * receive completes, and a close before a receive that sees it.  The
 * payload is plain memory, written before the send (or close) and read
 * after the receive, never touched atomically: under ThreadSanitizer a
 * channel that did not order the two is a reported race; in any build
 * the values are checked.  Between coroutines on two workers, from a
 * thread to a coroutine and back, unbuffered and buffered.
 */
enum { MM_ROUNDS = 2000, MM_WORDS = 16 };

struct mm {
	gocsp_chan *c; /* long *: a block of MM_WORDS filled with its round */
	gocsp_chan *end; /* closed once `after_close` is written */
	long after_close[MM_WORDS];
	long rounds;
	gocsp_waitgroup wg;
};

static void
mm_send(struct mm *m)
{
	long r, i, *block;
	for (r = 0; r < m->rounds; r++) {
		block = malloc(MM_WORDS * sizeof(*block));
		for (i = 0; i < MM_WORDS; i++)
			block[i] = r;
		EXPECT_EQ(gocsp_chan_send(m->c, &block), 0);
	}
	for (i = 0; i < MM_WORDS; i++)
		m->after_close[i] = -i;
	EXPECT_EQ(gocsp_chan_close(m->end), 0);
}

static void
mm_recv(struct mm *m)
{
	long r, i, *block, bad = 0;
	for (r = 0; r < m->rounds; r++) {
		EXPECT_EQ(gocsp_chan_recv(m->c, &block), 0);
		for (i = 0; i < MM_WORDS; i++)
			bad += block[i] != r;
		free(block);
	}
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(gocsp_chan_recv(m->end, NULL), GOCSP_ECLOSED);
	for (i = 0; i < MM_WORDS; i++)
		EXPECT_EQ(m->after_close[i], -i);
}

static void
mm_send_co(void *arg)
{
	mm_send(arg);
	gocsp_wg_done(&((struct mm *) arg)->wg);
}

static void
mm_recv_co(void *arg)
{
	mm_recv(arg);
	gocsp_wg_done(&((struct mm *) arg)->wg);
}

static void *
mm_send_th(void *arg)
{
	mm_send(arg);
	return NULL;
}

static void *
mm_recv_th(void *arg)
{
	mm_recv(arg);
	return NULL;
}

/* pairing: 0 coroutines, 1 thread sends, 2 thread receives */
static void
mm_run(size_t cap, int pairing)
{
	struct mm m = {0};
	pthread_t th;
	m.c = gocsp_chan_make(sizeof(long *), cap);
	m.end = gocsp_chan_make(0, 0);
	m.rounds = gt_n(MM_ROUNDS, MM_ROUNDS / 4);
	gocsp_wg_add(&m.wg, pairing == 0 ? 2 : 1);
	if (pairing == 0) {
		GO(mm_send_co, &m);
		GO(mm_recv_co, &m);
	} else if (pairing == 1) {
		th = gt_thread(mm_send_th, &m);
		GO(mm_recv_co, &m);
	} else {
		th = gt_thread(mm_recv_th, &m);
		GO(mm_send_co, &m);
	}
	gocsp_wg_wait(&m.wg);
	if (pairing != 0)
		pthread_join(th, NULL);
	gocsp_chan_release(m.c);
	gocsp_chan_release(m.end);
}

CO_CASE(test_chan__send_and_close_happen_before_recv)
{
	int prev = gt_two_workers(), pairing;
	for (pairing = 0; pairing < 3; pairing++) {
		mm_run(0, pairing);
		mm_run(4, pairing);
	}
	gocsp_maxprocs(prev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_chan__unbuffered_handoff),
	    GT_CASE(test_chan__buffered_fifo),
	    GT_CASE(test_chan__len_cap),
	    GT_CASE(test_chan__close_wakes_all_receivers),
	    GT_CASE(test_chan__close_wakes_all_senders),
	    GT_CASE(test_chan__recv_after_close_drains_then_closed),
	    GT_CASE(test_chan__close_twice),
	    GT_CASE(test_chan__send_on_closed),
	    GT_CASE(test_chan__try_eagain),
	    GT_CASE(test_chan__timeouts),
	    GT_CASE(test_chan__zero_size_signal),
	    GT_CASE(test_chan__zerosize_make),
	    GT_CASE(test_chan__recv_null_elem),
	    GT_CASE(test_chan__null_channel_times_out),
	    GT_CASE(test_chan__retain_release),
	    GT_CASE(test_chan__fifo_go_port),
	    GT_CASE(test_chan__waiter_fifo_order),
	    GT_CASE(test_chan__large_elements),
	    GT_CASE(test_chan__element_size_limit),
	    GT_CASE(test_chan__goroutines_chain),
	    GT_CASE(test_chan__multi_consumer),
	    GT_CASE(test_chan__threads_and_coroutines),
	    GT_CASE(test_chan__release_after_completed_op),
	    GT_CASE(test_chan__unrecv_goes_to_the_head),
	    GT_CASE(test_chan__unrecv_beyond_capacity),
	    GT_CASE(test_chan__unrecv_unbuffered),
	    GT_CASE(test_chan__unrecv_closed_then_release),
	    GT_CASE(test_chan__send_and_close_happen_before_recv),
	};
	return GT_RUN_CASES(tests);
}
