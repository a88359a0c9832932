/*
 * Design notes: timer heaps, one per P (Go's per-P timers).  A binary
 * min-heap on `when`; each timer knows its index so deleting a select's
 * timeout is O(log n).  when0 mirrors the root for lock-free checks by
 * the scheduler (sequentially consistent: see gocsp__timer_wakeup).
 *
 * Callbacks run with the heap lock held.  That is what makes
 * gocsp__timer_del final: once it has taken the lock, a callback that had
 * started has finished, so a timer may live on a coroutine's stack.
 * Lock order: heap lock, then channel or scheduler locks.
 */
#include "internal.h"

static void
place(struct gocsp__timerheap *h, size_t i, struct gocsp__timer *t)
{
	h->a[i] = t;
	t->index = (int32_t) i;
}

static void
sift_up(struct gocsp__timerheap *h, size_t i)
{
	struct gocsp__timer *t = h->a[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (h->a[parent]->when <= t->when)
			break;
		place(h, i, h->a[parent]);
		i = parent;
	}
	place(h, i, t);
}

static void
sift_down(struct gocsp__timerheap *h, size_t i)
{
	struct gocsp__timer *t = h->a[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->a[c + 1]->when < h->a[c]->when)
			c++;
		if (t->when <= h->a[c]->when)
			break;
		place(h, i, h->a[c]);
		i = c;
	}
	place(h, i, t);
}

static void
remove_at(struct gocsp__timerheap *h, size_t i)
{
	struct gocsp__timer *t = h->a[i];
	struct gocsp__timer *last = h->a[--h->n];
	t->index = -1;
	if (i == h->n)
		return;
	place(h, i, last);
	if (i > 0 && h->a[(i - 1) / 2]->when > last->when)
		sift_up(h, i);
	else
		sift_down(h, i);
}

static void
publish_when0(struct gocsp__timerheap *h)
{
	atomic_store(&h->when0, h->n > 0 ? h->a[0]->when : INT64_MAX);
}

void
gocsp__timer_add(struct gocsp__timer *t)
{
	gocsp__runtime_init();
	struct gocsp__timerheap *h = gocsp__local_timerheap();
	gocsp__lock_acquire(&h->lock);
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		struct gocsp__timer **a = realloc(h->a, cap * sizeof(*a));
		if (a == NULL)
			gocsp__throw("out of memory adding a timer");
		h->a = a;
		h->cap = cap;
	}
	t->heap = h;
	place(h, h->n++, t);
	sift_up(h, h->n - 1);
	bool earliest = t->index == 0;
	/* Read under the lock: once it is released, a worker may run a
	 * ticker and move its time on. */
	int64_t when = t->when;
	if (earliest)
		publish_when0(h);
	gocsp__lock_release(&h->lock);
	if (earliest)
		gocsp__timer_wakeup(when);
}

void
gocsp__timer_del(struct gocsp__timer *t)
{
	struct gocsp__timerheap *h = t->heap;
	if (h == NULL)
		return;
	gocsp__lock_acquire(&h->lock);
	if (t->index >= 0) {
		remove_at(h, (size_t) t->index);
		publish_when0(h);
	}
	gocsp__lock_release(&h->lock);
}

int
gocsp__timerheap_run(struct gocsp__timerheap *h, int64_t now)
{
	int ran = 0;
	gocsp__lock_acquire(&h->lock);
	while (h->n > 0 && h->a[0]->when <= now) {
		struct gocsp__timer *t = h->a[0];
		if (t->period > 0) {
			/* Skip missed periods, as Go's tickers do. */
			t->when +=
			    t->period * (1 + (now - t->when) / t->period);
			sift_down(h, 0);
		} else {
			remove_at(h, 0);
		}
		t->fn(t);
		ran++;
	}
	publish_when0(h);
	gocsp__lock_release(&h->lock);
	return ran;
}
