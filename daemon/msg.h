/*
 * msg.h: the values gocspd holds, and the hand-off that makes an
 * unbuffered send wait for its receiver's acknowledgement.
 *
 * A message has one owner at a time: the client operation that created
 * it, then the channel (a gocsp_chan of struct gocspd_msg pointers), then
 * the connection it was delivered on, until the acknowledgement frees it
 * or the connection's end puts it back.  Every byte held counts against
 * --max-queued.
 */
#ifndef GOCSPD_MSG_H
#define GOCSPD_MSG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <gocsp/gocsp.h>

struct gocspd_chan;
struct gocspd_handoff;
struct gocspd_msg;

/* A message's delivery to a client, while the client holds it: listed in
 * the connection's deliveries (conn.c).  A message has at most one. */
struct gocspd_delivery {
	uint64_t id;
	struct gocspd_msg *m;  /* the message it is part of */
	struct gocspd_chan *c; /* its channel; holds a reference */
	struct gocspd_delivery *prev, *next;
};

struct gocspd_msg {
	struct gocspd_handoff *handoff;  /* NULL unless a sender waits */
	struct gocspd_delivery delivery; /* while a client holds it */
	size_t len;
	unsigned char data[];
};

/* Set the byte budget of all messages (--max-queued). */
void gocspd_msg_set_budget(uint64_t max_bytes);

/* Bytes held by messages now. */
uint64_t gocspd_msg_bytes(void);

/*
 * A copy of data[0..len).
 * @return 0, GOCSP_ELIMIT (the budget is spent) or GOCSP_ENOMEM.
 */
int gocspd_msg_new(struct gocspd_msg **out, const void *data, size_t len);

/* Free m (its hand-off, if any, is the caller's business). */
void gocspd_msg_free(struct gocspd_msg *m);

/*
 * The hand-off of one unbuffered send.  The sender makes it, attaches it
 * to the message before offering it, and waits on it after a receiver took
 * the message: gocspd_msg_acked() or gocspd_msg_returned() answers.
 */
struct gocspd_handoff {
	_Atomic uint32_t refs;       /* the sender, the message if out */
	gocsp_chan *done;            /* int: 1 acked, 0 returned */
	struct gocspd_msg *returned; /* set before 0 is sent */
};

/* @return a hand-off holding the sender's reference, or NULL. */
struct gocspd_handoff *gocspd_handoff_new(void);

/* Attach h to m before offering m: m holds a reference. */
void gocspd_handoff_attach(struct gocspd_handoff *h, struct gocspd_msg *m);

/* Take back m, not taken by anyone, from its hand-off. */
void gocspd_handoff_detach(struct gocspd_msg *m);

/* After the answer 0: the returned message, detached from h. */
struct gocspd_msg *gocspd_handoff_take_back(struct gocspd_handoff *h);

/* Drop a reference; the last frees h and a message left in it. */
void gocspd_handoff_release(struct gocspd_handoff *h);

/*
 * The receiver of m acknowledged it: free m; a waiting sender learns its
 * send succeeded.
 */
void gocspd_msg_acked(struct gocspd_msg *m);

/* The daemon itself took m for good (a pool's worker): a sender waiting
 * on its hand-off learns its send succeeded; m stays, without it. */
void gocspd_msg_taken(struct gocspd_msg *m);

/*
 * The receiver of m (which has a hand-off) went before acknowledging it:
 * m goes back to its sender, who offers it again, or is freed if the
 * sender has gone too.
 */
void gocspd_msg_returned(struct gocspd_msg *m);

#endif /* GOCSPD_MSG_H */
