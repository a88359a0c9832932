/*
 * Design notes: the public time calls on top of the timer heaps.
 * gocsp_after and tickers deliver with a non-blocking send from the timer
 * callback into a channel with a buffer of one: a reader that is late
 * finds the value waiting, a reader that is slower than a ticker loses
 * ticks instead of queueing them (Go's behaviour).
 */
#include "internal.h"

#include <errno.h>
#include <time.h>

int64_t
gocsp_now(void)
{
	return gocsp__os_now();
}

void
gocsp_sleep(int64_t d)
{
	if (d <= 0)
		return;
	int64_t deadline = gocsp__deadline(d);
	if (gocsp__curg() == NULL) {
		struct timespec ts = {.tv_sec = deadline / 1000000000,
		    .tv_nsec = deadline % 1000000000};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
		           NULL) == EINTR)
			;
		return;
	}
	struct gocsp__waiter w;
	gocsp__waiter_init(&w, deadline, GOCSP__WAIT_SLEEP);
	gocsp__waiter_wait(&w, NULL, NULL);
}

struct after {
	struct gocsp__timer t;
	gocsp_chan *c;
};

static void
after_fire(struct gocsp__timer *t)
{
	struct after *a = t->arg;
	int64_t now = gocsp__os_now();
	gocsp_chan_trysend(a->c, &now);
	gocsp_chan_release(a->c);
	free(a); /* one-shot: the heap no longer refers to it */
}

gocsp_chan *
gocsp_after(int64_t d)
{
	struct after *a = malloc(sizeof(*a));
	gocsp_chan *c = gocsp_chan_make(sizeof(int64_t), 1);
	if (a == NULL || c == NULL) {
		free(a);
		gocsp_chan_release(c);
		return NULL;
	}
	a->c = gocsp_chan_retain(c);
	a->t = (struct gocsp__timer){.when = gocsp__os_now() + (d > 0 ? d : 0),
	    .fn = after_fire,
	    .arg = a,
	    .index = -1};
	gocsp__timer_add(&a->t);
	return c;
}

struct gocsp_ticker {
	struct gocsp__timer t;
	gocsp_chan *c;
};

static void
tick(struct gocsp__timer *t)
{
	struct gocsp_ticker *k = t->arg;
	int64_t now = gocsp__os_now();
	gocsp_chan_trysend(k->c, &now);
}

gocsp_ticker *
gocsp_ticker_new(int64_t period)
{
	if (period <= 0)
		return NULL;
	gocsp_ticker *k = malloc(sizeof(*k));
	if (k == NULL)
		return NULL;
	k->c = gocsp_chan_make(sizeof(int64_t), 1);
	if (k->c == NULL) {
		free(k);
		return NULL;
	}
	k->t = (struct gocsp__timer){.when = gocsp__os_now() + period,
	    .period = period,
	    .fn = tick,
	    .arg = k,
	    .index = -1};
	gocsp__timer_add(&k->t);
	return k;
}

gocsp_chan *
gocsp_ticker_chan(gocsp_ticker *t)
{
	return t->c;
}

void
gocsp_ticker_stop(gocsp_ticker *t)
{
	if (t == NULL)
		return;
	gocsp__timer_del(&t->t);
	gocsp_chan_release(t->c);
	free(t);
}
