/*
 * Design notes: messages and hand-offs.
 *
 * The byte budget is one atomic counter: a message is refused when adding
 * its size would pass the limit, so the limit holds exactly, without a
 * lock, at the price of refusing a message that a concurrent free would
 * have made room for.
 *
 * A hand-off has two references while its message is out (in a channel,
 * in flight to a client, or returned and not yet taken back) and one
 * otherwise.  Whoever answers -- the acknowledgement or the receiver's
 * end -- drops the message's reference after sending the answer; the
 * sender drops its own when it stops waiting.  A message returned after
 * its sender stopped waiting is freed with the hand-off: the send never
 * succeeded, so nothing is lost that anyone was promised.
 */
#include "msg.h"

#include <stdlib.h>
#include <string.h>

static _Atomic uint64_t used;
static uint64_t budget = UINT64_MAX;

/* What a message costs against the budget. */
static size_t
cost(size_t len)
{
	return sizeof(struct gocspd_msg) + len;
}

void
gocspd_msg_set_budget(uint64_t max_bytes)
{
	budget = max_bytes;
}

uint64_t
gocspd_msg_bytes(void)
{
	return atomic_load(&used);
}

int
gocspd_msg_new(struct gocspd_msg **out, const void *data, size_t len)
{
	uint64_t c = cost(len), old = atomic_load(&used);
	do {
		if (c > budget || old > budget - c)
			return GOCSP_ELIMIT;
	} while (!atomic_compare_exchange_weak(&used, &old, old + c));
	struct gocspd_msg *m = malloc(c);
	if (m == NULL) {
		atomic_fetch_sub(&used, c);
		return GOCSP_ENOMEM;
	}
	m->handoff = NULL;
	m->len = len;
	if (len > 0)
		memcpy(m->data, data, len);
	*out = m;
	return 0;
}

void
gocspd_msg_free(struct gocspd_msg *m)
{
	if (m == NULL)
		return;
	atomic_fetch_sub(&used, cost(m->len));
	free(m);
}

struct gocspd_handoff *
gocspd_handoff_new(void)
{
	struct gocspd_handoff *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->done = gocsp_chan_make(sizeof(int), 1);
	if (h->done == NULL) {
		free(h);
		return NULL;
	}
	atomic_init(&h->refs, 1);
	return h;
}

void
gocspd_handoff_attach(struct gocspd_handoff *h, struct gocspd_msg *m)
{
	atomic_fetch_add(&h->refs, 1);
	m->handoff = h;
}

void
gocspd_handoff_detach(struct gocspd_msg *m)
{
	struct gocspd_handoff *h = m->handoff;
	m->handoff = NULL;
	gocspd_handoff_release(h);
}

struct gocspd_msg *
gocspd_handoff_take_back(struct gocspd_handoff *h)
{
	struct gocspd_msg *m = h->returned;
	h->returned = NULL;
	m->handoff = NULL; /* its reference went with the answer */
	return m;
}

void
gocspd_handoff_release(struct gocspd_handoff *h)
{
	if (atomic_fetch_sub(&h->refs, 1) != 1)
		return;
	if (h->returned != NULL) {
		h->returned->handoff = NULL;
		gocspd_msg_free(h->returned);
	}
	gocsp_chan_release(h->done);
	free(h);
}

/* Answer the sender, then drop the message's reference. */
static void
answer(struct gocspd_handoff *h, int acked)
{
	/* The buffer of one is free: one message is out at a time. */
	(void) gocsp_chan_trysend(h->done, &acked);
	gocspd_handoff_release(h);
}

void
gocspd_msg_acked(struct gocspd_msg *m)
{
	struct gocspd_handoff *h = m->handoff;
	gocspd_msg_free(m);
	if (h != NULL)
		answer(h, 1);
}

void
gocspd_msg_taken(struct gocspd_msg *m)
{
	struct gocspd_handoff *h = m->handoff;
	if (h != NULL) {
		m->handoff = NULL;
		answer(h, 1);
	}
}

void
gocspd_msg_returned(struct gocspd_msg *m)
{
	struct gocspd_handoff *h = m->handoff;
	h->returned = m;
	answer(h, 0);
}
