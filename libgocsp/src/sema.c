/*
 * Design notes: semaphores keyed by address, after Go's sema.go.
 *
 * A key hashes to one of SEMTAB_SIZE roots.  Each root holds, under its
 * lock, a hash table of the keys that have waiters, and each key a FIFO
 * of its waiters.  Waking the first waiter of a key costs one search of
 * its root's table, never a walk past the waiters of other keys.  Go
 * keeps a treap per root, whose search grows with the log of the keys
 * there (a dozen nodes on a dozen stacks with a hundred thousand
 * WaitGroups blocked); a table kept at most half full finds a key in
 * about one probe however many are blocked, which is what keeps a wake
 * as cheap with 100,000 blocked as with 10.
 *
 * The table is open addressing with linear probing; a removal shifts the
 * entries after it back (no tombstones), so a lookup stops at the first
 * empty slot.  It doubles when over half full and halves when under an
 * eighth full, down to MIN_SLOTS: a root allocates its first table when
 * its first waiter comes, and keeps it.
 *
 * A slot points to its key's first waiter, which lives on the waiting
 * coroutine's (or thread's) stack and knows the last; waiters cost no
 * allocation.  When the first leaves, the next takes its slot; a waiter
 * that queues at the head (lifo: Mutex's waiters that already waited)
 * takes it as it arrives.
 *
 * Units live here, never at the key's address: a WaitGroup releases its
 * waiters and may be freed by one of them at once, so the releaser must
 * not touch it.  A release that finds fewer waiters than units keeps
 * the rest as spares for the key.  Every caller (WaitGroup, Mutex,
 * RWMutex) releases only for waiters it has counted, so a spare waits
 * only for a waiter that counted itself and is on its way to acquire:
 * there are at most as many spares as running threads, and a short list
 * per root holds them.
 */
#include "internal.h"

#define SEMTAB_SIZE 251
#define MIN_SLOTS 8 /* a root's smallest table; a power of two */

struct spare {
	const void *key;
	uint32_t n;
	struct spare *next;
};

/* A blocked acquirer. */
struct semwaiter {
	struct gocsp__waiter w;
	const void *key;
	struct semwaiter *next; /* the next waiter of key */
	struct semwaiter *last; /* on a key's first waiter: the last */
};

struct semroot {
	gocsp__lock lock;
	uint32_t mask;            /* slots - 1, under lock */
	uint32_t nkeys;           /* keys with waiters, under lock */
	struct semwaiter **slots; /* under lock: first waiters, or NULL */
	struct spare *spares;     /* under lock */
	uint32_t nmutex; /* waiters for a Mutex, under lock; read racily by
	                    gocsp__sema_rescue_mutexes */
} __attribute__((aligned(64)));

static struct semroot semtab[SEMTAB_SIZE];
static _Atomic uint32_t mutex_waiters; /* the sum of the roots' nmutex */

static struct semroot *
root_of(const void *key)
{
	return &semtab[((uintptr_t) key >> 3) % SEMTAB_SIZE];
}

/* ---- the table (root locked) ---- */

/* Where key's probe sequence starts: high bits of a multiplicative hash,
 * independent of the low bits that chose the root. */
static uint32_t
home(const void *key, uint32_t mask)
{
	return (uint32_t) (((uintptr_t) key * 0x9e3779b97f4a7c15ULL) >> 32) &
	    mask;
}

/* Give r a table of nslots slots (a power of two, above 2 * nkeys). */
static void
resize(struct semroot *r, uint32_t nslots)
{
	struct semwaiter **old = r->slots;
	uint32_t oldn = old != NULL ? r->mask + 1 : 0;
	r->slots = calloc(nslots, sizeof(*r->slots));
	if (r->slots == NULL)
		gocsp__throw("out of memory queueing a semaphore waiter");
	r->mask = nslots - 1;
	for (uint32_t j = 0; j < oldn; j++) {
		if (old[j] == NULL)
			continue;
		uint32_t i = home(old[j]->key, r->mask);
		while (r->slots[i] != NULL)
			i = (i + 1) & r->mask;
		r->slots[i] = old[j];
	}
	free(old);
}

/* The slot of key, or the empty slot where it would go; *probes counts
 * the slots looked at. */
static uint32_t
find(struct semroot *r, const void *key, int *probes)
{
	if (gocsp__unlikely(r->slots == NULL))
		resize(r, MIN_SLOTS);
	uint32_t i = home(key, r->mask);
	int n = 1;
	while (r->slots[i] != NULL && r->slots[i]->key != key) {
		i = (i + 1) & r->mask;
		n++;
	}
	*probes = n;
	return i;
}

/* Fill the empty slot i with a new key's first waiter s. */
static void
insert(struct semroot *r, uint32_t i, struct semwaiter *s)
{
	r->slots[i] = s;
	if (++r->nkeys * 2 > r->mask + 1)
		resize(r, 2 * (r->mask + 1));
}

/* Empty slot i, shifting back the entries that probed past it. */
static void
erase(struct semroot *r, uint32_t i)
{
	uint32_t mask = r->mask;
	for (uint32_t j = (i + 1) & mask; r->slots[j] != NULL;
	     j = (j + 1) & mask) {
		/* The entry at j may fill i if i lies between its home
		 * and j. */
		if (((j - home(r->slots[j]->key, mask)) & mask) >=
		    ((j - i) & mask)) {
			r->slots[i] = r->slots[j];
			i = j;
		}
	}
	r->slots[i] = NULL;
	if (--r->nkeys * 8 < mask + 1 && mask + 1 > MIN_SLOTS)
		resize(r, (mask + 1) / 2);
}

/* ---- spare units (root locked) ---- */

/* Take a spare unit for key. */
static bool
take_spare(struct semroot *r, const void *key)
{
	for (struct spare **pp = &r->spares; *pp != NULL; pp = &(*pp)->next) {
		struct spare *s = *pp;
		if (s->key != key)
			continue;
		if (--s->n == 0) {
			*pp = s->next;
			free(s);
		}
		return true;
	}
	return false;
}

static void
add_spares(struct semroot *r, const void *key, uint32_t n)
{
	struct spare *sp;
	for (sp = r->spares; sp != NULL && sp->key != key; sp = sp->next)
		;
	if (sp == NULL) {
		sp = malloc(sizeof(*sp));
		if (sp == NULL)
			gocsp__throw("out of memory releasing a semaphore");
		sp->key = key;
		sp->n = 0;
		sp->next = r->spares;
		r->spares = sp;
	}
	sp->n += n;
}

/* ---- acquire and release ---- */

static void
unlock_root(void *r)
{
	gocsp__lock_release(&((struct semroot *) r)->lock);
}

void
gocsp__semacquire(const void *key, bool lifo, int reason)
{
	struct semroot *r = root_of(key);
	gocsp__lock_acquire(&r->lock);
	if (gocsp__unlikely(r->spares != NULL) && take_spare(r, key)) {
		gocsp__lock_release(&r->lock);
		return;
	}
	struct semwaiter s = {.key = key};
	gocsp__waiter_init(&s.w, -1, reason);
	if (reason == GOCSP__WAIT_MUTEX) {
		GOCSP__STORE(&r->nmutex, r->nmutex + 1);
		atomic_fetch_add_explicit(&mutex_waiters, 1,
		    memory_order_relaxed);
	}
	int probes;
	uint32_t i = find(r, key, &probes);
	struct semwaiter *first = r->slots[i];
	if (first == NULL) {
		s.last = &s;
		insert(r, i, &s);
	} else if (lifo) {
		s.next = first;
		s.last = first->last;
		r->slots[i] = &s;
	} else {
		first->last->next = &s;
		first->last = &s;
	}
	gocsp__waiter_wait(&s.w, unlock_root, r);
}

void
gocsp__semrelease(const void *key, uint32_t n)
{
	struct semroot *r = root_of(key);
	int probes;
	gocsp__lock_acquire(&r->lock);
	uint32_t i = find(r, key, &probes);
	struct semwaiter *woken = r->slots[i];
	if (woken != NULL && n > 0) {
		/* Take the first n waiters; the next one, if any, becomes
		 * the key's first. */
		struct semwaiter *last = woken;
		uint32_t taken = 1;
		for (n--; n > 0 && last->next != NULL; n--, taken++)
			last = last->next;
		if (woken->w.reason == GOCSP__WAIT_MUTEX) {
			GOCSP__STORE(&r->nmutex, r->nmutex - taken);
			atomic_fetch_sub_explicit(&mutex_waiters, taken,
			    memory_order_relaxed);
		}
		struct semwaiter *rest = last->next;
		if (rest != NULL) {
			rest->last = woken->last;
			r->slots[i] = rest;
		} else {
			erase(r, i);
		}
		last->next = NULL;
	}
	if (n > 0)
		add_spares(r, key, n);
	gocsp__lock_release(&r->lock);
	while (woken != NULL) {
		struct semwaiter *next = woken->next;
		gocsp__waiter_wake(&woken->w);
		woken = next;
	}
}

uint32_t
gocsp__sema_mutex_waiters(void)
{
	return atomic_load_explicit(&mutex_waiters, memory_order_relaxed);
}

/* Root locked: whether s, a key's first waiter or NULL, waits for a
 * Mutex that claim says to release a unit for. */
static bool
mutex_claimed(const struct semwaiter *s, bool (*claim)(const void *key))
{
	return s != NULL && s->w.reason == GOCSP__WAIT_MUTEX && claim(s->key);
}

int
gocsp__sema_rescue_mutexes(bool (*claim)(const void *key))
{
	enum { BATCH = 16 }; /* more are found on the next call */
	int released = 0;
	for (int k = 0; k < SEMTAB_SIZE; k++) {
		struct semroot *r = &semtab[k];
		if (GOCSP__LOAD(&r->nmutex) == 0)
			continue;
		const void *keys[BATCH];
		int n = 0;
		gocsp__lock_acquire(&r->lock);
		for (uint32_t i = 0;
		     r->slots != NULL && i <= r->mask && n < BATCH; i++) {
			if (mutex_claimed(r->slots[i], claim))
				keys[n++] = r->slots[i]->key;
		}
		gocsp__lock_release(&r->lock);
		for (int j = 0; j < n; j++)
			gocsp__semrelease(keys[j], 1);
		released += n;
	}
	return released;
}

bool
gocsp__sema_rescue_mutex_key(const void *key, bool (*claim)(const void *key))
{
	struct semroot *r = root_of(key);
	int probes;
	gocsp__lock_acquire(&r->lock);
	bool release = mutex_claimed(r->slots[find(r, key, &probes)], claim);
	gocsp__lock_release(&r->lock);
	if (release)
		gocsp__semrelease(key, 1);
	return release;
}

int
gocsp__sema_probes(const void *key)
{
	struct semroot *r = root_of(key);
	int probes;
	gocsp__lock_acquire(&r->lock);
	bool found = r->slots[find(r, key, &probes)] != NULL;
	gocsp__lock_release(&r->lock);
	return found ? probes : -1;
}
