/*
 * Select: uniform choice among ready cases, default/timeout, NULL cases,
 * mixed send/recv, closed channels, what is written back, and ports of
 * Go's test/chan/{doubleselect,select3,nonblock}.go and TestSelfSelect.
 * Select from plain threads; a select timeout racing with a sender.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

#include <math.h>

/*
 * k ready cases, rounds selects: each count within 6 standard deviations
 * of rounds/k (never flakes; catches "always the first" or a fixed order).
 */
static void
fairness_run(int k, int mix_send, int rounds)
{
	gocsp_chan *c[4];
	gocsp_case cs[4];
	long counts[4] = {0};
	int vals[4];
	int i, r;
	double p = 1.0 / k, sd = sqrt(rounds * p * (1 - p));

	for (i = 0; i < k; i++) {
		c[i] = gocsp_chan_make(sizeof(int), 1);
		if (!(mix_send && i % 2)) {
			int v = i;
			EXPECT_EQ(gocsp_chan_send(c[i], &v), 0);
		}
	}
	for (r = 0; r < rounds; r++) {
		int got;
		for (i = 0; i < k; i++) {
			vals[i] = mix_send && i % 2 ? 100 + i : -1;
			cs[i].chan = c[i];
			cs[i].op = mix_send && i % 2 ? GOCSP_SEND : GOCSP_RECV;
			cs[i].elem = &vals[i];
			cs[i].ok = -7;
		}
		got = gocsp_select(cs, (size_t) k, r % 2 ? 0 : GOCSP_FOREVER);
		if (got < 0 || got >= k) {
			EXPECT(got >= 0 && got < k);
			break;
		}
		counts[got]++;
		EXPECT_EQ(cs[got].ok, 1);
		if (cs[got].op == GOCSP_RECV) {
			EXPECT_EQ(vals[got], got);
			EXPECT_EQ(gocsp_chan_send(c[got], &got), 0);
		} else {
			int v = 0;
			EXPECT_EQ(gocsp_chan_recv(c[got], &v), 0);
			EXPECT_EQ(v, 100 + got);
		}
	}
	for (i = 0; i < k; i++) {
		double dev = fabs(counts[i] - rounds * p);
		if (dev > 6 * sd)
			gt_failf(__FILE__, __LINE__,
			    "k=%d mix=%d: case %d chosen %ld of %d times", k,
			    mix_send, i, counts[i], rounds);
		gocsp_chan_release(c[i]);
	}
}

CO_CASE(test_select__fairness)
{
	int rounds = (int) gt_n(10000, 3000);
	int k;
	for (k = 2; k <= 4; k++) {
		fairness_run(k, 0, rounds);
		fairness_run(k, 1, rounds);
	}
}

CO_CASE(test_select__default_when_none_ready)
{
	gocsp_chan *u = gocsp_chan_make(sizeof(int), 0);
	gocsp_chan *full = gocsp_chan_make(sizeof(int), 1);
	int a = 5, b = 6;
	gocsp_case cs[3];
	EXPECT_EQ(gocsp_chan_send(full, &a), 0);
	cs[0] = (gocsp_case){u, GOCSP_RECV, &a, 9};
	cs[1] = (gocsp_case){u, GOCSP_SEND, &b, 9};
	cs[2] = (gocsp_case){full, GOCSP_SEND, &b, 9};
	EXPECT_EQ(gocsp_select(cs, 3, 0), GOCSP_EAGAIN);
	EXPECT_EQ(cs[0].ok, 9);
	EXPECT_EQ(cs[1].ok, 9);
	EXPECT_EQ(cs[2].ok, 9);
	EXPECT_EQ(a, 5);
	EXPECT_EQ(gocsp_chan_len(full), 1);
	/* No cases at all and a default: EAGAIN at once. */
	EXPECT_EQ(gocsp_select(NULL, 0, 0), GOCSP_EAGAIN);
	gocsp_chan_release(u);
	gocsp_chan_release(full);
}

CO_CASE(test_select__timeout)
{
	gocsp_chan *u = gocsp_chan_make(sizeof(int), 0);
	int v = 0;
	gocsp_case cs[2] = {{u, GOCSP_RECV, &v, 9}, {u, GOCSP_SEND, &v, 9}};
	int64_t t0 = gocsp_now(), el;
	EXPECT_EQ(gocsp_select(cs, 1, GOCSP_MS(30)), GOCSP_ETIMEDOUT);
	el = gt_since(t0);
	EXPECT_GE(el, GOCSP_MS(30));
	EXPECT_LE(el, GOCSP_MS(30) + GT_SLACK);
	EXPECT_EQ(cs[0].ok, 9);
	/* Zero cases with a timeout: a sleep. */
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_select(NULL, 0, GOCSP_MS(20)), GOCSP_ETIMEDOUT);
	EXPECT_GE(gt_since(t0), GOCSP_MS(20));
	/* A send and a receive on the same channel cannot match each other. */
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_select(cs, 2, GOCSP_MS(20)), GOCSP_ETIMEDOUT);
	EXPECT_GE(gt_since(t0), GOCSP_MS(20));
	gocsp_chan_release(u);
}

/* GOCSP_SELECT_MAX cases are taken (the ready one is found among them);
 * one more is GOCSP_EINVAL before anything happens. */
CO_CASE(test_select__case_limit)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 1);
	gocsp_case *cs = calloc(GOCSP_SELECT_MAX + 1, sizeof *cs);
	int v = 7, got = 0;
	size_t i;
	if (cs == NULL || c == NULL)
		abort();
	for (i = 0; i <= GOCSP_SELECT_MAX; i++)
		cs[i] = (gocsp_case){NULL, GOCSP_RECV, NULL, 9};
	cs[GOCSP_SELECT_MAX - 1] = (gocsp_case){c, GOCSP_RECV, &got, 9};
	EXPECT_EQ(gocsp_chan_send(c, &v), 0);
	EXPECT_EQ(gocsp_select(cs, GOCSP_SELECT_MAX + 1, 0), GOCSP_EINVAL);
	EXPECT_EQ(gocsp_chan_len(c), 1);
	EXPECT_EQ(gocsp_select(cs, GOCSP_SELECT_MAX, 0), GOCSP_SELECT_MAX - 1);
	EXPECT_EQ(got, 7);
	free(cs);
	gocsp_chan_release(c);
}

CO_CASE(test_select__null_cases_never_ready)
{
	gocsp_chan *b = gocsp_chan_make(sizeof(int), 1);
	int v = 1, r;
	gocsp_case cs[3];
	for (r = 0; r < 200; r++) {
		v = r;
		EXPECT_EQ(gocsp_chan_send(b, &v), 0);
		cs[0] = (gocsp_case){NULL, GOCSP_RECV, &v, 9};
		cs[1] = (gocsp_case){b, GOCSP_RECV, &v, 9};
		cs[2] = (gocsp_case){NULL, GOCSP_SEND, &v, 9};
		v = -1;
		EXPECT_EQ(gocsp_select(cs, 3, GOCSP_FOREVER), 1);
		EXPECT_EQ(v, r);
		EXPECT_EQ(cs[0].ok, 9);
		EXPECT_EQ(cs[2].ok, 9);
	}
	cs[1].chan = NULL;
	EXPECT_EQ(gocsp_select(cs, 3, 0), GOCSP_EAGAIN);
	{
		int64_t t0 = gocsp_now();
		EXPECT_EQ(gocsp_select(cs, 3, GOCSP_MS(20)), GOCSP_ETIMEDOUT);
		EXPECT_GE(gt_since(t0), GOCSP_MS(20));
	}
	gocsp_chan_release(b);
}

CO_CASE(test_select__send_and_recv_mixed)
{
	gocsp_chan *out = gocsp_chan_make(sizeof(int), 1);
	gocsp_chan *in = gocsp_chan_make(sizeof(int), 1);
	int sv = 77, rv = -1, v;
	gocsp_case cs[2];

	cs[0] = (gocsp_case){out, GOCSP_SEND, &sv, 9};
	cs[1] = (gocsp_case){in, GOCSP_RECV, &rv, 9};
	EXPECT_EQ(gocsp_select(cs, 2, 0), 0); /* only the send is ready */
	EXPECT_EQ(cs[0].ok, 1);
	EXPECT_EQ(cs[1].ok, 9);
	EXPECT_EQ(rv, -1);
	EXPECT_EQ(gocsp_chan_len(out), 1);
	EXPECT_EQ(gocsp_chan_recv(out, &v), 0);
	EXPECT_EQ(v, 77);

	/* now only the receive: fill out, put a value in in */
	EXPECT_EQ(gocsp_chan_send(out, &v), 0);
	v = 88;
	EXPECT_EQ(gocsp_chan_send(in, &v), 0);
	cs[0].ok = cs[1].ok = 9;
	EXPECT_EQ(gocsp_select(cs, 2, 0), 1);
	EXPECT_EQ(cs[1].ok, 1);
	EXPECT_EQ(cs[0].ok, 9);
	EXPECT_EQ(rv, 88);
	EXPECT_EQ(gocsp_chan_len(out), 1);
	gocsp_chan_release(out);
	gocsp_chan_release(in);
}

CO_CASE(test_select__closed_channel_ok_zero)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(long), 2);
	gocsp_chan *never = gocsp_chan_make(sizeof(long), 0);
	long v = 12, r = -1;
	gocsp_case cs[2];

	EXPECT_EQ(gocsp_chan_send(c, &v), 0);
	EXPECT_EQ(gocsp_chan_close(c), 0);
	cs[0] = (gocsp_case){never, GOCSP_RECV, NULL, 9};
	cs[1] = (gocsp_case){c, GOCSP_RECV, &r, 9};
	/* buffered value first, with ok = 1 */
	EXPECT_EQ(gocsp_select(cs, 2, GOCSP_FOREVER), 1);
	EXPECT_EQ(cs[1].ok, 1);
	EXPECT_EQ(r, 12);
	/* then drained: ok = 0 and elem zeroed, without blocking */
	cs[1].ok = 9;
	r = -1;
	EXPECT_EQ(gocsp_select(cs, 2, GOCSP_FOREVER), 1);
	EXPECT_EQ(cs[1].ok, 0);
	EXPECT_EQ(r, 0);
	EXPECT_EQ(cs[0].ok, 9);
	/* a send case on a closed channel proceeds with ok = 0 */
	cs[1] = (gocsp_case){c, GOCSP_SEND, &v, 9};
	EXPECT_EQ(gocsp_select(cs, 2, 0), 1);
	EXPECT_EQ(cs[1].ok, 0);
	gocsp_chan_release(c);
	gocsp_chan_release(never);
}

CO_CASE(test_select__only_chosen_case_written)
{
	gocsp_chan *c[3];
	long e[3];
	gocsp_case cs[3];
	int i, r, got;
	for (i = 0; i < 3; i++)
		c[i] = gocsp_chan_make(sizeof(long), 1);
	for (r = 0; r < 300; r++) {
		for (i = 0; i < 3; i++) {
			long v = 1000 * r + i;
			if (gocsp_chan_len(c[i]) == 0)
				EXPECT_EQ(gocsp_chan_send(c[i], &v), 0);
			e[i] = -5;
			cs[i] = (gocsp_case){c[i], GOCSP_RECV, &e[i], 9};
		}
		got = gocsp_select(cs, 3, 0);
		EXPECT(got >= 0 && got < 3);
		for (i = 0; i < 3; i++) {
			if (i == got) {
				EXPECT_EQ(cs[i].ok, 1);
				EXPECT_EQ(e[i] % 1000, i);
			} else {
				EXPECT_EQ(cs[i].ok, 9);
				EXPECT_EQ(e[i], -5);
			}
		}
	}
	for (i = 0; i < 3; i++)
		gocsp_chan_release(c[i]);
}

/* ---------------------------------------------------------------------- */

/* Go's test/chan/doubleselect.go */
struct dsel {
	gocsp_chan *c[4], *cmux, *done;
	int n;
	gocsp_waitgroup wg;
};

static void
ds_sender(void *arg)
{
	struct dsel *d = arg;
	int i, k;
	for (i = 0; i < d->n; i++) {
		gocsp_case cs[4];
		for (k = 0; k < 4; k++)
			cs[k] = (gocsp_case){d->c[k], GOCSP_SEND, &i, 0};
		k = gocsp_select(cs, 4, GOCSP_FOREVER);
		EXPECT(k >= 0 && k < 4);
		if (k >= 0 && k < 4)
			EXPECT_EQ(cs[k].ok, 1);
	}
	for (k = 0; k < 4; k++)
		EXPECT_EQ(gocsp_chan_close(d->c[k]), 0);
	gocsp_wg_done(&d->wg);
}

struct ds_mux {
	struct dsel *d;
	gocsp_chan *in;
};

static void
ds_mux(void *arg)
{
	struct ds_mux *m = arg;
	int v;
	while (gocsp_chan_recv(m->in, &v) == 0)
		EXPECT_EQ(gocsp_chan_send(m->d->cmux, &v), 0);
	EXPECT_EQ(gocsp_chan_send(m->d->done, NULL), 0);
	gocsp_wg_done(&m->d->wg);
}

static void
ds_closer(void *arg)
{
	struct dsel *d = arg;
	int k;
	for (k = 0; k < 4; k++)
		EXPECT_EQ(gocsp_chan_recv(d->done, NULL), 0);
	EXPECT_EQ(gocsp_chan_close(d->cmux), 0);
	gocsp_wg_done(&d->wg);
}

CO_CASE(test_select__doubleselect)
{
	struct dsel d = {0};
	struct ds_mux m[4];
	unsigned char *seen;
	int k, v;
	long count = 0, dups = 0;

	d.n = (int) gt_n(20000, 3000);
	seen = calloc((size_t) d.n, 1);
	assert_non_null(seen);
	for (k = 0; k < 4; k++)
		d.c[k] = gocsp_chan_make(sizeof(int), 0);
	d.cmux = gocsp_chan_make(sizeof(int), 0);
	d.done = gocsp_chan_make(0, 0);
	gocsp_wg_add(&d.wg, 6);
	GO(ds_sender, &d);
	for (k = 0; k < 4; k++) {
		m[k].d = &d;
		m[k].in = d.c[k];
		GO(ds_mux, &m[k]);
	}
	GO(ds_closer, &d);
	while (gocsp_chan_recv(d.cmux, &v) == 0) {
		if (v < 0 || v >= d.n) {
			EXPECT(v >= 0 && v < d.n);
			continue;
		}
		if (seen[v]++)
			dups++;
		count++;
	}
	gocsp_wg_wait(&d.wg);
	EXPECT_EQ(dups, 0);
	EXPECT_EQ(count, d.n);
	for (k = 0; k < 4; k++)
		gocsp_chan_release(d.c[k]);
	gocsp_chan_release(d.cmux);
	gocsp_chan_release(d.done);
	free(seen);
}

/* ---------------------------------------------------------------------- */

/*
 * Go's test/chan/select3.go: which operations block.  "Blocks" is checked
 * with a 10 ms timeout (ETIMEDOUT) and a 0 timeout (EAGAIN); "does not
 * block" with timeout 0 (never EAGAIN).
 */
#define BLOCKS(expr_with_timeout_t)                                \
	do {                                                       \
		int64_t t = 0;                                     \
		EXPECT_EQ((expr_with_timeout_t), GOCSP_EAGAIN);    \
		t = GOCSP_MS(10);                                  \
		EXPECT_EQ((expr_with_timeout_t), GOCSP_ETIMEDOUT); \
	} while (0)

static int
sel1(gocsp_chan *c, int op, void *elem, int64_t t)
{
	gocsp_case cs = {c, op, elem, 0};
	return gocsp_select(&cs, 1, t);
}

static int
sel2(gocsp_chan *a, int opa, gocsp_chan *b, int opb, void *elem, int64_t t)
{
	gocsp_case cs[2] = {{a, opa, elem, 0}, {b, opb, elem, 0}};
	return gocsp_select(cs, 2, t);
}

CO_CASE(test_select__select3_blocking)
{
	gocsp_chan *nilch = NULL;
	gocsp_chan *closedch = gocsp_chan_make(sizeof(int), 0);
	gocsp_chan *ch = gocsp_chan_make(sizeof(int), 0);
	gocsp_chan *buf = gocsp_chan_make(sizeof(int), 1);
	int v = 7;

	EXPECT_EQ(gocsp_chan_close(closedch), 0);

	/* nil channel operations block */
	EXPECT_EQ(gocsp_chan_trysend(nilch, &v), GOCSP_EAGAIN);
	EXPECT_EQ(gocsp_chan_send_timeout(nilch, &v, GOCSP_MS(10)),
	    GOCSP_ETIMEDOUT);
	BLOCKS(sel1(nilch, GOCSP_SEND, &v, t));
	BLOCKS(sel1(nilch, GOCSP_RECV, &v, t));
	/* empty unbuffered channel blocks both ways */
	BLOCKS(sel1(ch, GOCSP_SEND, &v, t));
	BLOCKS(sel1(ch, GOCSP_RECV, &v, t));
	/* empty buffered channel blocks a receive */
	BLOCKS(sel1(buf, GOCSP_RECV, &v, t));
	/* select with only nil cases blocks */
	BLOCKS(sel2(nilch, GOCSP_SEND, nilch, GOCSP_RECV, &v, t));
	/* a send to a buffered channel with room does not block */
	EXPECT_EQ(sel1(buf, GOCSP_SEND, &v, 0), 0);
	/* ... until it is full */
	BLOCKS(sel1(buf, GOCSP_SEND, &v, t));
	/* closed channel: receive and send do not block */
	EXPECT_EQ(sel1(closedch, GOCSP_RECV, &v, 0), 0);
	EXPECT_EQ(sel1(closedch, GOCSP_SEND, &v, 0), 0);
	EXPECT_EQ(gocsp_chan_recv(closedch, &v), GOCSP_ECLOSED);
	/* valid select: one of two cases ready */
	EXPECT_EQ(sel2(ch, GOCSP_RECV, buf, GOCSP_RECV, &v, 0), 1);
	EXPECT_EQ(sel2(nilch, GOCSP_RECV, closedch, GOCSP_RECV, &v, 0), 1);
	EXPECT_EQ(sel2(ch, GOCSP_SEND, buf, GOCSP_SEND, &v, 0), 1);
	BLOCKS(sel2(ch, GOCSP_SEND, buf, GOCSP_SEND, &v, t));
	gocsp_chan_release(closedch);
	gocsp_chan_release(ch);
	gocsp_chan_release(buf);
}

/* ---------------------------------------------------------------------- */

/* Go's test/chan/nonblock.go */
struct nb {
	gocsp_chan *c, *sync;
};

static void
nb_receiver(void *arg)
{
	struct nb *x = arg;
	int v = 0;
	EXPECT_EQ(gocsp_chan_recv(x->c, &v), 0);
	EXPECT_EQ(v, 123);
	EXPECT_EQ(gocsp_chan_send(x->sync, NULL), 0);
}

static void
nb_sender(void *arg)
{
	struct nb *x = arg;
	int v = 234;
	EXPECT_EQ(gocsp_chan_send(x->c, &v), 0);
	EXPECT_EQ(gocsp_chan_send(x->sync, NULL), 0);
}

/* via: 0 trysend/tryrecv, 1 select with timeout 0 */
static int
nb_send(gocsp_chan *c, int *v, int via)
{
	return via ? sel1(c, GOCSP_SEND, v, 0) : gocsp_chan_trysend(c, v);
}

static int
nb_recv(gocsp_chan *c, int *v, int via)
{
	return via ? sel1(c, GOCSP_RECV, v, 0) : gocsp_chan_tryrecv(c, v);
}

CO_CASE(test_select__nonblock)
{
	size_t bufs[] = {0, 1, 2, 4, 8};
	size_t b;
	int via;
	for (via = 0; via < 2; via++) {
		for (b = 0; b < 5; b++) {
			struct nb x;
			int v = 0, rc;
			int64_t t0;
			x.c = gocsp_chan_make(sizeof(int), bufs[b]);
			x.sync = gocsp_chan_make(0, 0);

			EXPECT_EQ(nb_recv(x.c, &v, via), GOCSP_EAGAIN);
			if (bufs[b] == 0) {
				v = 1;
				EXPECT_EQ(nb_send(x.c, &v, via), GOCSP_EAGAIN);
			}

			/* a receiver is (or will be) waiting */
			GO(nb_receiver, &x);
			v = 123;
			t0 = gocsp_now();
			while ((rc = nb_send(x.c, &v, via)) == GOCSP_EAGAIN &&
			    gt_since(t0) < GOCSP_SEC(5))
				gocsp_yield();
			EXPECT_EQ(rc, 0);
			EXPECT_EQ(gocsp_chan_recv(x.sync, NULL), 0);

			/* a sender is (or will be) waiting */
			GO(nb_sender, &x);
			if (bufs[b] > 0)
				EXPECT_EQ(gocsp_chan_recv(x.sync, NULL), 0);
			v = 0;
			t0 = gocsp_now();
			while ((rc = nb_recv(x.c, &v, via)) == GOCSP_EAGAIN &&
			    gt_since(t0) < GOCSP_SEC(5))
				gocsp_yield();
			EXPECT_EQ(rc, 0);
			EXPECT_EQ(v, 234);
			if (bufs[b] == 0)
				EXPECT_EQ(gocsp_chan_recv(x.sync, NULL), 0);
			gocsp_chan_release(x.c);
			gocsp_chan_release(x.sync);
		}
	}
}

/* ---------------------------------------------------------------------- */

/* runtime/chan_test.go TestSelfSelect */
struct selfsel {
	gocsp_chan *c;
	int cap;
	int p;
	gocsp_waitgroup *wg;
};

static void
self_select(void *arg)
{
	struct selfsel *s = arg;
	int i;
	for (i = 0; i < 1000; i++) {
		int v = -1, k;
		int send_first = s->p == 0 || i % 2 == 0;
		gocsp_case cs[2];
		cs[send_first ? 0 : 1] =
		    (gocsp_case){s->c, GOCSP_SEND, &s->p, 0};
		cs[send_first ? 1 : 0] = (gocsp_case){s->c, GOCSP_RECV, &v, 0};
		k = gocsp_select(cs, 2, GOCSP_SEC(20));
		EXPECT(k == 0 || k == 1);
		if (k < 0)
			break;
		EXPECT_EQ(cs[k].ok, 1);
		if (cs[k].op == GOCSP_RECV && s->cap == 0 && v == s->p) {
			gt_failf(__FILE__, __LINE__, "self receive");
			break;
		}
	}
	gocsp_wg_done(s->wg);
}

CO_CASE(test_select__same_channel_send_and_recv)
{
	int caps[] = {0, 10};
	int k, p;
	for (k = 0; k < 2; k++) {
		gocsp_waitgroup wg = {0};
		struct selfsel s[2];
		gocsp_chan *c = gocsp_chan_make(sizeof(int), (size_t) caps[k]);
		gocsp_wg_add(&wg, 2);
		for (p = 0; p < 2; p++) {
			s[p] = (struct selfsel){c, caps[k], p, &wg};
			GO(self_select, &s[p]);
		}
		gocsp_wg_wait(&wg);
		gocsp_chan_release(c);
	}
}

/* The same channel in two receive cases of one blocked select: one send
 * completes exactly one of them, and no waiter is left behind on the
 * channel (a second value finds no receiver). */
static void
send_one(void *arg)
{
	int v = 7;
	gocsp_sleep(GOCSP_MS(5)); /* the select blocks first */
	EXPECT_EQ(gocsp_chan_send(arg, &v), 0);
}

CO_CASE(test_select__same_channel_twice_one_wake)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 0);
	int a = -1, b = -1, k, v = 8;
	gocsp_case cs[2] = {{c, GOCSP_RECV, &a, 9}, {c, GOCSP_RECV, &b, 9}};
	GO(send_one, c);
	k = gocsp_select(cs, 2, GOCSP_SEC(10));
	EXPECT(k == 0 || k == 1);
	if (k == 0 || k == 1) {
		EXPECT_EQ(cs[k].ok, 1);
		EXPECT_EQ(cs[1 - k].ok, 9);
		EXPECT_EQ(k == 0 ? a : b, 7);
		EXPECT_EQ(k == 0 ? b : a, -1);
	}
	EXPECT_EQ(gocsp_chan_trysend(c, &v), GOCSP_EAGAIN);
	gocsp_chan_release(c);
}

/* ---------------------------------------------------------------------- */

struct thsel {
	gocsp_chan *a, *b;
	int per;
	long sum;
	long count;
	gocsp_waitgroup wg;
};

static void
thsel_feed(void *arg)
{
	struct thsel *x = arg;
	long i;
	for (i = 1; i <= x->per; i++) {
		EXPECT_EQ(gocsp_chan_send(i % 2 ? x->a : x->b, &i), 0);
	}
	gocsp_wg_done(&x->wg);
}

static void
thsel_close(void *arg)
{
	struct thsel *x = arg;
	gocsp_wg_wait(&x->wg);
	EXPECT_EQ(gocsp_chan_close(x->a), 0);
	EXPECT_EQ(gocsp_chan_close(x->b), 0);
}

static void *
thsel_consume(void *arg)
{
	struct thsel *x = arg;
	gocsp_chan *a = x->a, *b = x->b;
	long v;
	while (a != NULL || b != NULL) {
		gocsp_case cs[2] = {{a, GOCSP_RECV, &v, 0},
		    {b, GOCSP_RECV, &v, 0}};
		int k = gocsp_select(cs, 2, GOCSP_SEC(20));
		if (k < 0) {
			EXPECT_EQ(k, 0);
			break;
		}
		if (!cs[k].ok) {
			if (k == 0)
				a = NULL;
			else
				b = NULL;
			continue;
		}
		x->sum += v;
		x->count++;
	}
	return NULL;
}

/* A plain thread selects over channels fed by coroutines. */
static void
test_select__from_plain_thread(void **state)
{
	struct thsel x = {0};
	pthread_t t;
	int64_t t0;
	int v;
	gocsp_case cs[2];
	(void) state;

	x.a = gocsp_chan_make(sizeof(long), 0);
	x.b = gocsp_chan_make(sizeof(long), 3);
	x.per = (int) gt_n(20000, 3000);
	gocsp_wg_add(&x.wg, 2);
	t = gt_thread(thsel_consume, &x);
	EXPECT_EQ(gocsp_go(thsel_feed, &x), 0);
	EXPECT_EQ(gocsp_go(thsel_feed, &x), 0);
	EXPECT_EQ(gocsp_go(thsel_close, &x), 0);
	pthread_join(t, NULL);
	EXPECT_EQ(x.count, 2L * x.per);
	EXPECT_EQ(x.sum, (long) x.per * (x.per + 1));

	/* This thread itself: default and timeout. */
	cs[0] = (gocsp_case){x.a, GOCSP_RECV, &v, 9};
	cs[1] = (gocsp_case){NULL, GOCSP_RECV, &v, 9};
	cs[0].chan = gocsp_chan_make(sizeof(int), 0);
	EXPECT_EQ(gocsp_select(cs, 2, 0), GOCSP_EAGAIN);
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_select(cs, 2, GOCSP_MS(20)), GOCSP_ETIMEDOUT);
	EXPECT_GE(gt_since(t0), GOCSP_MS(20));
	gocsp_chan_release(cs[0].chan);
	gocsp_chan_release(x.a);
	gocsp_chan_release(x.b);
	gt_check();
}

/* ---------------------------------------------------------------------- */

/*
 * A select with a short timeout races a sender with a short timeout on an
 * unbuffered channel: the value moves exactly when both report success.
 * With a buffer of 1 the send always succeeds and the value is either
 * received by the select or still buffered.
 */
struct race {
	gocsp_chan *c;
	int64_t send_timeout;
	int send_rc;
	gocsp_waitgroup wg;
	int v;
};

static void
race_sender(void *arg)
{
	struct race *r = arg;
	r->send_rc = gocsp_chan_send_timeout(r->c, &r->v, r->send_timeout);
	gocsp_wg_done(&r->wg);
}

CO_CASE(test_select__timeout_races_sender)
{
	int i, n = (int) gt_n(1500, 300);
	uint64_t seed = 0x1234567;
	long both = 0, neither = 0;
	for (i = 0; i < n; i++) {
		struct race r = {0};
		int got = -1, k;
		int cap = i % 2;
		gocsp_case cs;
		r.c = gocsp_chan_make(sizeof(int), (size_t) cap);
		r.v = i;
		r.send_timeout =
		    1 + (int64_t) (gt_rand(&seed) % (uint64_t) GOCSP_US(800));
		gocsp_wg_add(&r.wg, 1);
		GO(race_sender, &r);
		cs = (gocsp_case){r.c, GOCSP_RECV, &got, 9};
		k = gocsp_select(&cs, 1,
		    1 + (int64_t) (gt_rand(&seed) % (uint64_t) GOCSP_US(800)));
		gocsp_wg_wait(&r.wg);
		EXPECT(k == 0 || k == GOCSP_ETIMEDOUT);
		EXPECT(r.send_rc == 0 || r.send_rc == GOCSP_ETIMEDOUT);
		if (k == 0) {
			EXPECT_EQ(cs.ok, 1);
			EXPECT_EQ(got, i);
		} else {
			EXPECT_EQ(got, -1);
			EXPECT_EQ(cs.ok, 9);
		}
		if (cap == 0) {
			/* delivered iff the send succeeded */
			EXPECT_EQ(k == 0, r.send_rc == 0);
			if (k == 0)
				both++;
			else
				neither++;
		} else {
			EXPECT_EQ(r.send_rc, 0);
			EXPECT_EQ(gocsp_chan_len(r.c), k == 0 ? 0 : 1);
		}
		gocsp_chan_release(r.c);
	}
	(void) both;
	(void) neither;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_select__fairness),
	    GT_CASE(test_select__default_when_none_ready),
	    GT_CASE(test_select__timeout),
	    GT_CASE(test_select__null_cases_never_ready),
	    GT_CASE(test_select__case_limit),
	    GT_CASE(test_select__send_and_recv_mixed),
	    GT_CASE(test_select__closed_channel_ok_zero),
	    GT_CASE(test_select__only_chosen_case_written),
	    GT_CASE(test_select__doubleselect),
	    GT_CASE(test_select__select3_blocking),
	    GT_CASE(test_select__nonblock),
	    GT_CASE(test_select__same_channel_send_and_recv),
	    GT_CASE(test_select__same_channel_twice_one_wake),
	    GT_CASE(test_select__from_plain_thread),
	    GT_CASE(test_select__timeout_races_sender),
	};
	return GT_RUN_CASES(tests);
}
