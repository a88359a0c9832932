/*
 * registry.h: gocspd's named channels.
 *
 * A named channel is a gocsp_chan of struct gocspd_msg pointers with the
 * capacity given at make, plus its counters.  The registry maps names to
 * them; operations hold a reference for as long as they use one, so a
 * channel removed meanwhile stays valid until the last of them lets go.
 */
#ifndef GOCSPD_REGISTRY_H
#define GOCSPD_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gocsp/gocsp.h>

#include "msg.h"

struct gocspd_chan {
	_Atomic uint32_t refs;
	_Atomic bool removed;
	_Atomic bool closed; /* set by gocspd_chan_close */
	uint32_t cap;
	gocsp_chan *ch;                /* of struct gocspd_msg * */
	_Atomic uint64_t sent;         /* values accepted */
	_Atomic uint64_t received;     /* deliveries acknowledged */
	_Atomic uint64_t redelivered;  /* deliveries put back */
	_Atomic uint64_t in_flight;    /* delivered, not yet acknowledged */
	_Atomic uint32_t recv_waiting; /* operations blocked on it */
	_Atomic uint32_t send_waiting;
	struct gocspd_chan *hnext; /* under the registry's lock */
	char name[];
};

struct gocspd_chan_stats {
	const char *name; /* valid while the caller holds its reference */
	uint32_t cap;
	uint64_t len;
	bool closed;
	uint32_t recv_waiting, send_waiting;
	uint64_t sent, received, redelivered, in_flight;
};

/* Prepare for at most max_channels channels.  0 or GOCSP_ENOMEM. */
int gocspd_registry_init(uint32_t max_channels);

/* Remove every channel (the daemon is stopping; nothing runs on them). */
void gocspd_registry_fini(void);

/*
 * Create channel name (already validated) of capacity cap.  Making an
 * existing name again with the same capacity succeeds.
 * @return 0; GOCSP_EEXIST (another capacity, in *existing_cap),
 *         GOCSP_ELIMIT (--max-channels reached) or GOCSP_ENOMEM.
 */
int gocspd_chan_make(const char *name, uint32_t cap, uint32_t *existing_cap);

/* The channel called name, with a reference, or GOCSP_ENOENT. */
int gocspd_chan_find(const char *name, struct gocspd_chan **out);

void gocspd_chan_retain(struct gocspd_chan *c);

/* Drop a reference; the last one frees the values c still holds. */
void gocspd_chan_release(struct gocspd_chan *c);

/* Close c as Go's close does.  0, or GOCSP_ECLOSED if it was closed. */
int gocspd_chan_close(struct gocspd_chan *c);

/*
 * Forget name: close its channel (blocked senders and receivers get
 * GOCSP_ECLOSED), discard the values it holds.
 * @return 0 or GOCSP_ENOENT; *discarded = values thrown away.
 */
int gocspd_chan_remove(const char *name, uint64_t *discarded);

/*
 * Send *mp on c (dir GOCSP_SEND: the channel has it on success) or
 * receive into *mp (GOCSP_RECV: the value then counts in flight, as
 * delivered, until gocspd_chan_consumed or gocspd_chan_putback), waiting
 * up to timeout ns (0: not at all, -1: no limit) or until cancel (a
 * channel, may be NULL) is closed.  The channel's waiting counters count
 * the wait.
 * @return 0, GOCSP_ECLOSED (a receive: closed and drained), GOCSP_EAGAIN
 *         (timeout 0), GOCSP_ETIMEDOUT, or GOCSP_ECANCELED.  May park.
 */
int gocspd_chan_wait(struct gocspd_chan *c, int dir, struct gocspd_msg **mp,
    gocsp_chan *cancel, int64_t timeout);

/* The daemon itself (a pool) is done with m, received from c: it counts
 * as received, no longer in flight, and is freed. */
void gocspd_chan_consumed(struct gocspd_chan *c, struct gocspd_msg *m);

/*
 * A client went holding m, delivered from c and not acknowledged: m goes
 * back to the head of c (or to its sender, for an unbuffered send), or is
 * freed if c was removed.  Called newest first, this restores the order.
 */
void gocspd_chan_putback(struct gocspd_chan *c, struct gocspd_msg *m);

void gocspd_chan_stats(struct gocspd_chan *c, struct gocspd_chan_stats *st);

/* Every channel, sorted by name, each with a reference: release each,
 * then free(*out).  0 or GOCSP_ENOMEM. */
int gocspd_registry_list(struct gocspd_chan ***out, size_t *n);

/* Channels now. */
uint32_t gocspd_registry_count(void);

#endif /* GOCSPD_REGISTRY_H */
