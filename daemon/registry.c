/*
 * Design notes: the registry is a chained hash table under one mutex,
 * held only for lookups and updates of the table (never across a channel
 * operation, which may block).  It holds one reference on each channel.
 *
 * Removing closes the channel first, then discards what it buffers: a
 * receiver blocked on it wakes with GOCSP_ECLOSED, a receiver racing with
 * the removal may still take a value, which is what it asked for.  Values
 * that come back later (a client that held one went away) see the removed
 * flag and are freed; one that slips in between is freed with the channel.
 */
#include "registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct gocspd_chan **buckets; /* under lock */
static size_t nbuckets;              /* a power of two */
static uint32_t count, max_count;    /* under lock */

static size_t
hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char) *name) * 0x100000001b3ull;
	return (size_t) (h ^ h >> 32) & (nbuckets - 1);
}

int
gocspd_registry_init(uint32_t max_channels)
{
	size_t n = 64;
	while (n < 2 * (size_t) max_channels && n < (1u << 16))
		n *= 2;
	buckets = calloc(n, sizeof(*buckets));
	if (buckets == NULL)
		return GOCSP_ENOMEM;
	nbuckets = n;
	max_count = max_channels;
	return 0;
}

/* With lock held: the channel called name, or NULL; *link where it is
 * (or where it would go). */
static struct gocspd_chan *
lookup(const char *name, struct gocspd_chan ***link)
{
	struct gocspd_chan **p = &buckets[hash(name)];
	for (; *p != NULL; p = &(*p)->hnext)
		if (strcmp((*p)->name, name) == 0)
			break;
	*link = p;
	return *p;
}

int
gocspd_chan_make(const char *name, uint32_t cap, uint32_t *existing_cap)
{
	size_t len = strlen(name);
	struct gocspd_chan *c = calloc(1, sizeof(*c) + len + 1);
	if (c == NULL)
		return GOCSP_ENOMEM;
	c->ch = gocsp_chan_make(sizeof(struct gocspd_msg *), cap);
	if (c->ch == NULL) {
		free(c);
		return GOCSP_ENOMEM;
	}
	memcpy(c->name, name, len + 1);
	c->cap = cap;
	atomic_init(&c->refs, 1);

	int rc = 0;
	struct gocspd_chan **link, *old;
	pthread_mutex_lock(&lock);
	if ((old = lookup(name, &link)) != NULL) {
		*existing_cap = old->cap;
		rc = old->cap == cap ? 0 : GOCSP_EEXIST;
	} else if (count >= max_count) {
		rc = GOCSP_ELIMIT;
	} else {
		*link = c;
		count++;
		c = NULL;
	}
	pthread_mutex_unlock(&lock);
	if (c != NULL) {
		gocsp_chan_release(c->ch);
		free(c);
	}
	return rc;
}

int
gocspd_chan_find(const char *name, struct gocspd_chan **out)
{
	struct gocspd_chan **link, *c;
	pthread_mutex_lock(&lock);
	if ((c = lookup(name, &link)) != NULL)
		gocspd_chan_retain(c);
	pthread_mutex_unlock(&lock);
	*out = c;
	return c != NULL ? 0 : GOCSP_ENOENT;
}

void
gocspd_chan_retain(struct gocspd_chan *c)
{
	atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

/* Take every value out of c and free it.  @return how many. */
static uint64_t
discard(struct gocspd_chan *c)
{
	struct gocspd_msg *m;
	uint64_t n = 0;
	while (gocsp_chan_tryrecv(c->ch, &m) == 0) {
		gocspd_msg_free(m);
		n++;
	}
	return n;
}

void
gocspd_chan_release(struct gocspd_chan *c)
{
	if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
		return;
	discard(c);
	gocsp_chan_release(c->ch);
	free(c);
}

int
gocspd_chan_close(struct gocspd_chan *c)
{
	int rc = gocsp_chan_close(c->ch);
	if (rc == 0)
		atomic_store(&c->closed, true);
	return rc;
}

int
gocspd_chan_remove(const char *name, uint64_t *discarded)
{
	struct gocspd_chan **link, *c;
	pthread_mutex_lock(&lock);
	if ((c = lookup(name, &link)) != NULL) {
		*link = c->hnext;
		count--;
	}
	pthread_mutex_unlock(&lock);
	if (c == NULL)
		return GOCSP_ENOENT;
	atomic_store(&c->removed, true);
	(void) gocspd_chan_close(c); /* GOCSP_ECLOSED: closed before */
	*discarded = discard(c);
	gocspd_chan_release(c);
	return 0;
}

int
gocspd_chan_wait(struct gocspd_chan *c, int dir, struct gocspd_msg **mp,
    gocsp_chan *cancel, int64_t timeout)
{
	bool recv = dir == GOCSP_RECV;
	if (timeout == 0 && recv) {
		/* Counted before it leaves the channel: the counters never
		 * show a value in neither place. */
		atomic_fetch_add(&c->in_flight, 1);
		int rc = gocsp_chan_tryrecv(c->ch, mp);
		if (rc != 0)
			atomic_fetch_sub(&c->in_flight, 1);
		return rc;
	}
	gocsp_case cs[2] = {
	    {.chan = c->ch, .op = dir, .elem = mp},
	    {.chan = cancel, .op = GOCSP_RECV},
	};
	_Atomic uint32_t *waiting = recv ? &c->recv_waiting : &c->send_waiting;
	atomic_fetch_add(waiting, 1);
	int r = gocsp_select(cs, 2, timeout);
	/* In flight before it stops waiting, for the same reason. */
	if (r == 0 && cs[0].ok && recv)
		atomic_fetch_add(&c->in_flight, 1);
	atomic_fetch_sub(waiting, 1);
	if (r == 0)
		return cs[0].ok ? 0 : GOCSP_ECLOSED;
	return r == 1 ? GOCSP_ECANCELED : r;
}

void
gocspd_chan_consumed(struct gocspd_chan *c, struct gocspd_msg *m)
{
	atomic_fetch_add(&c->received, 1);
	atomic_fetch_sub(&c->in_flight, 1);
	gocspd_msg_acked(m);
}

void
gocspd_chan_putback(struct gocspd_chan *c, struct gocspd_msg *m)
{
	/* Back in the channel first, out of flight second: the counters
	 * never show a value in neither place. */
	if (m->handoff != NULL) {
		gocspd_msg_returned(m);
	} else if (atomic_load(&c->removed)) {
		gocspd_msg_free(m);
	} else if (gocsp_chan_unrecv(c->ch, &m) != 0) {
		gocspd_log(GOCSPD_ERR,
		    "out of memory: a value of %zu bytes returned to "
		    "channel '%s' was lost",
		    m->len, c->name);
		gocspd_msg_free(m);
	} else {
		atomic_fetch_add(&c->redelivered, 1);
	}
	atomic_fetch_sub(&c->in_flight, 1);
}

void
gocspd_chan_stats(struct gocspd_chan *c, struct gocspd_chan_stats *st)
{
	*st = (struct gocspd_chan_stats){
	    .name = c->name,
	    .cap = c->cap,
	    .len = gocsp_chan_len(c->ch),
	    .closed = atomic_load(&c->closed),
	    .recv_waiting = atomic_load(&c->recv_waiting),
	    .send_waiting = atomic_load(&c->send_waiting),
	    .sent = atomic_load(&c->sent),
	    .received = atomic_load(&c->received),
	    .redelivered = atomic_load(&c->redelivered),
	    .in_flight = atomic_load(&c->in_flight),
	};
}

static int
by_name(const void *a, const void *b)
{
	return strcmp((*(struct gocspd_chan *const *) a)->name,
	    (*(struct gocspd_chan *const *) b)->name);
}

int
gocspd_registry_list(struct gocspd_chan ***out, size_t *n)
{
	pthread_mutex_lock(&lock);
	struct gocspd_chan **all = malloc((count + 1) * sizeof(*all));
	size_t k = 0;
	if (all != NULL)
		for (size_t b = 0; b < nbuckets; b++)
			for (struct gocspd_chan *c = buckets[b]; c != NULL;
			     c = c->hnext) {
				gocspd_chan_retain(c);
				all[k++] = c;
			}
	pthread_mutex_unlock(&lock);
	if (all == NULL)
		return GOCSP_ENOMEM;
	qsort(all, k, sizeof(*all), by_name);
	*out = all;
	*n = k;
	return 0;
}

uint32_t
gocspd_registry_count(void)
{
	pthread_mutex_lock(&lock);
	uint32_t n = count;
	pthread_mutex_unlock(&lock);
	return n;
}

void
gocspd_registry_fini(void)
{
	struct gocspd_chan **all;
	size_t n;
	if (gocspd_registry_list(&all, &n) != 0)
		return;
	uint64_t discarded;
	for (size_t i = 0; i < n; i++) {
		(void) gocspd_chan_remove(all[i]->name, &discarded);
		gocspd_chan_release(all[i]);
	}
	free(all);
	free(buckets);
	buckets = NULL;
}
