/*
 * Design notes: select, after Go's selectgo.
 *
 * Pass 1 visits the cases in a random order and performs the first one
 * that is ready, taking only that channel's lock (a lock-free hint skips
 * channels that cannot be ready).  Choosing the first ready case of a
 * uniformly random permutation chooses uniformly among the ready cases;
 * the permutation is drawn one step per case visited, so a select that
 * finds a ready case early draws no further.  If none is ready and the
 * caller will wait, every channel is locked in address order (so two
 * selects cannot deadlock), pass 1 is repeated under the locks, and
 * pass 2 queues one sudog per case, all pointing at one waiter.  The
 * first party to claim the waiter wins; after waking, pass 3 locks
 * everything again and removes the losing sudogs.
 */
#include "chan.h"

#include <string.h>

#define STACK_CASES 16

struct sel {
	gocsp_case *cases;
	uint32_t *order; /* the non-nil cases, permuted as they are drawn */
	uint32_t *lock;  /* the same cases sorted by channel address */
	struct gocsp__sudog *sg;
	uint32_t n; /* non-nil cases */
};

/* The non-nil cases into s->order, checking each case's op on the way:
 * GOCSP_EINVAL before anything happened, or 0. */
static int
collect(struct sel *s, gocsp_case *cases, size_t n)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (cases[i].chan == NULL)
			continue;
		if (cases[i].op != GOCSP_SEND && cases[i].op != GOCSP_RECV)
			return GOCSP_EINVAL;
		s->order[k++] = i;
	}
	s->n = k;
	return 0;
}

/*
 * One step of a Fisher-Yates shuffle of s->order run from the top: moves
 * a uniformly chosen one of order[0, m) to order[m - 1] and returns it.
 * Drawing the order as the cases are visited costs nothing for the cases
 * a select never reaches.  *r is a multiplicative generator seeded from
 * gocsp__rand; the index is taken from its high half, where its bits
 * are good.
 */
static inline uint32_t
draw(struct sel *s, uint32_t m, uint64_t *r)
{
	*r = *r * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	uint32_t j = (uint32_t) (((*r >> 32) * (uint64_t) m) >> 32);
	uint32_t i = s->order[j];
	s->order[j] = s->order[m - 1];
	s->order[m - 1] = i;
	return i;
}

static int
by_address(const void *a, const void *b, void *arg)
{
	gocsp_case *cases = arg;
	uintptr_t x = (uintptr_t) cases[*(const uint32_t *) a].chan;
	uintptr_t y = (uintptr_t) cases[*(const uint32_t *) b].chan;
	return (x > y) - (x < y);
}

static void
sort_locks(struct sel *s)
{
	memcpy(s->lock, s->order, s->n * sizeof(uint32_t));
	if (s->n <= STACK_CASES) {
		for (uint32_t i = 1; i < s->n; i++) {
			uint32_t v = s->lock[i], j = i;
			while (j > 0 &&
			    by_address(&s->lock[j - 1], &v, s->cases) > 0) {
				s->lock[j] = s->lock[j - 1];
				j--;
			}
			s->lock[j] = v;
		}
	} else {
		qsort_r(s->lock, s->n, sizeof(uint32_t), by_address, s->cases);
	}
}

static void
lock_all(struct sel *s)
{
	gocsp_chan *prev = NULL;
	for (uint32_t i = 0; i < s->n; i++) {
		gocsp_chan *c = s->cases[s->lock[i]].chan;
		if (c != prev)
			gocsp__lock_acquire(&c->lock);
		prev = c;
	}
}

static void
unlock_all(struct sel *s)
{
	for (uint32_t i = s->n; i-- > 0;) {
		gocsp_chan *c = s->cases[s->lock[i]].chan;
		if (i == 0 || s->cases[s->lock[i - 1]].chan != c)
			gocsp__lock_release(&c->lock);
	}
}

static void
unlock_all_cb(void *s)
{
	unlock_all(s);
}

/* Inline: poll_unlocked's attempt is how most selects complete. */
static inline __attribute__((always_inline)) int
try_case(gocsp_case *cs, struct gocsp__waiter **wake)
{
	return cs->op == GOCSP_SEND
	    ? gocsp__chan_send_locked(cs->chan, cs->elem, wake)
	    : gocsp__chan_recv_locked(cs->chan, cs->elem, wake);
}

/* Pass 1 without the locks held: per-channel attempts. */
static int
poll_unlocked(struct sel *s)
{
	uint64_t r = gocsp__rand();
	for (uint32_t m = s->n; m > 0; m--) {
		uint32_t i = draw(s, m, &r);
		gocsp_case *cs = &s->cases[i];
		if (!(cs->op == GOCSP_SEND ? gocsp__chan_send_maybe(cs->chan)
		                           : gocsp__chan_recv_maybe(cs->chan)))
			continue;
		struct gocsp__waiter *wake;
		gocsp__lock_acquire(&cs->chan->lock);
		int rc = try_case(cs, &wake);
		gocsp__lock_release(&cs->chan->lock);
		if (rc == GOCSP_EAGAIN)
			continue;
		if (wake != NULL)
			gocsp__chan_wake(wake);
		cs->ok = rc == 0;
		return (int) i;
	}
	return -1;
}

/* Pass 1 again with every lock held; unlocks on success. */
static int
poll_locked(struct sel *s)
{
	uint64_t r = gocsp__rand();
	for (uint32_t m = s->n; m > 0; m--) {
		uint32_t i = draw(s, m, &r);
		struct gocsp__waiter *wake;
		int rc = try_case(&s->cases[i], &wake);
		if (rc == GOCSP_EAGAIN)
			continue;
		unlock_all(s);
		if (wake != NULL)
			gocsp__chan_wake(wake);
		s->cases[i].ok = rc == 0;
		return (int) i;
	}
	return -1;
}

static int
block(struct sel *s, int64_t deadline)
{
	struct gocsp__waiter w;
	gocsp__waiter_init(&w, deadline, GOCSP__WAIT_SELECT);
	lock_all(s);
	int i = poll_locked(s);
	if (i >= 0)
		return i;
	for (uint32_t k = 0; k < s->n; k++) {
		uint32_t ci = s->lock[k];
		gocsp_case *cs = &s->cases[ci];
		struct gocsp__sudog *sg = &s->sg[ci];
		memset(sg, 0, sizeof(*sg));
		sg->w = &w;
		sg->elem = cs->elem;
		sg->key = cs->chan;
		sg->index = (int) ci;
		sg->claim = true;
		gocsp__waitq_push(cs->op == GOCSP_SEND ? &cs->chan->sendq
		                                       : &cs->chan->recvq,
		    sg);
	}
	gocsp__waiter_wait(&w, unlock_all_cb, s);

	/* Pass 3: remove the losers; free channels orphaned meanwhile. */
	struct gocsp__sudog *won = w.param;
	lock_all(s);
	gocsp_chan *orphans = NULL;
	for (uint32_t k = 0; k < s->n; k++) {
		uint32_t ci = s->lock[k];
		gocsp_case *cs = &s->cases[ci];
		struct gocsp__sudog *sg = &s->sg[ci];
		if (sg != won)
			gocsp__waitq_remove(cs->op == GOCSP_SEND
			        ? &cs->chan->sendq
			        : &cs->chan->recvq,
			    sg);
		bool last =
		    k + 1 == s->n || s->cases[s->lock[k + 1]].chan != cs->chan;
		if (last && gocsp__chan_orphan_done(cs->chan)) {
			cs->chan->free_link = orphans;
			orphans = cs->chan;
		}
	}
	unlock_all(s);
	while (orphans != NULL) {
		gocsp_chan *next = orphans->free_link;
		gocsp__chan_free(orphans);
		orphans = next;
	}
	if (won == NULL)
		return GOCSP_ETIMEDOUT;
	s->cases[won->index].ok = won->success;
	return won->index;
}

int
gocsp_select(gocsp_case *cases, size_t n, int64_t timeout)
{
	if (n > GOCSP_SELECT_MAX || (n > 0 && cases == NULL))
		return GOCSP_EINVAL;
	int64_t deadline = gocsp__deadline(timeout);

	uint32_t order_buf[STACK_CASES], lock_buf[STACK_CASES];
	struct gocsp__sudog sg_buf[STACK_CASES];
	struct sel s = {.cases = cases,
	    .order = order_buf,
	    .lock = lock_buf,
	    .sg = sg_buf};
	void *heap = NULL;
	if (n > STACK_CASES) {
		heap = malloc(n * (2 * sizeof(uint32_t) + sizeof(*s.sg)));
		if (heap == NULL)
			return GOCSP_ENOMEM;
		s.sg = heap;
		s.order = (uint32_t *) (s.sg + n);
		s.lock = s.order + n;
	}

	int rc = collect(&s, cases, n);
	if (rc < 0)
		goto out;
	rc = poll_unlocked(&s);
	/* Before queueing on every channel, let the coroutines already
	 * runnable on this worker run once: they are often the senders and
	 * receivers this select waits for, and a non-blocking pass costs far
	 * less than queueing and dequeueing a sudog per case. */
	if (rc < 0 && deadline != 0 && s.n > 1 && gocsp__yield_if_busy())
		rc = poll_unlocked(&s);
	if (rc < 0) {
		if (deadline == 0) {
			rc = GOCSP_EAGAIN;
		} else if (s.n == 0) {
			struct gocsp__waiter w;
			gocsp__waiter_init(&w, deadline,
			    GOCSP__WAIT_SELECT_EMPTY);
			gocsp__waiter_wait(&w, NULL, NULL);
			rc = GOCSP_ETIMEDOUT;
		} else {
			sort_locks(&s);
			rc = block(&s, deadline);
		}
	}
out:
	if (heap != NULL)
		free(heap);
	return rc;
}
