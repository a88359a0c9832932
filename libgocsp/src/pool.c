/*
 * Design notes: Pool, after Go's sync/pool.go, bounded.
 *
 * Each P has a cache (struct poolcache): a private slot and a stack of
 * at most CACHE_MAX objects, touched only by coroutines running on that
 * P.  A coroutine changes workers only when it parks, and get/put never
 * park, so from gocsp__procid() to the end of the call the coroutine
 * holds its P and no other thread can touch the P's cache: the fast path
 * takes no lock and no atomic read-modify-write.  A P that
 * changes workers does so under the scheduler's lock, which orders its
 * cache's accesses too.
 *
 * Plain threads (no P) use the shared stack, under lock, which also
 * takes half of a full per-P cache and refills an empty one, so objects
 * move between Ps and threads.  Bounds: CACHE_MAX per P (plus the
 * private slot), SHARED_MAX shared; what does not fit is disposed of
 * with free_fn (free() when NULL), always outside the lock.
 *
 * The state (struct poolstate) is allocated on the first put and
 * installed by CAS, so a zero-filled pool works too.  Its table of caches
 * has a slot for every possible P id (GOCSP__MAX_PROCS): a P created when
 * GOMAXPROCS grows finds its slot without any resizing, and each cache
 * is allocated by its P on that P's first put.  gocsp_pool_destroy needs
 * the caller to ensure no get or put runs concurrently, as in Go.
 */
#include "internal.h"

#define CACHE_MAX 64
#define SHARED_MAX 1024

struct poolcache {
	void *private_; /* owner P only */
	uint32_t n;     /* owner P only */
	void *obj[CACHE_MAX];
};

struct poolstate {
	gocsp__lock lock;
	uint32_t nshared;         /* under lock; read without it as a hint */
	void *shared[SHARED_MAX]; /* under lock, a stack */
	/* By P id; each written by its P only (and by destroy). */
	struct poolcache *_Atomic caches[GOCSP__MAX_PROCS];
};

static void
dispose(gocsp_pool *p, void *obj)
{
	if (p->free_fn != NULL)
		p->free_fn(obj, p->udata);
	else
		free(obj);
}

static struct poolstate *
state_of(gocsp_pool *p)
{
	return __atomic_load_n((struct poolstate **) &p->local_,
	    __ATOMIC_ACQUIRE);
}

/* The state, created if needed; NULL when out of memory. */
static struct poolstate *
state_make(gocsp_pool *p)
{
	struct poolstate *s = state_of(p);
	if (gocsp__likely(s != NULL))
		return s;
	struct poolstate *fresh = calloc(1, sizeof(*fresh));
	if (fresh == NULL)
		return NULL;
	if (__atomic_compare_exchange_n((struct poolstate **) &p->local_, &s,
	        fresh, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return fresh;
	free(fresh); /* another caller installed one first: s is it */
	return s;
}

void
gocsp_pool_init(gocsp_pool *p, void *(*new_fn)(void *udata),
    void (*free_fn)(void *obj, void *udata), void *udata)
{
	p->new_fn = new_fn;
	p->free_fn = free_fn;
	p->udata = udata;
	p->local_ = NULL;
	p->nlocal_ = 0;
	p->pad_ = 0;
}

/* Pop from the shared stack; NULL if empty. */
static void *
shared_pop(struct poolstate *s)
{
	void *obj = NULL;
	if (GOCSP__LOAD(&s->nshared) == 0)
		return NULL;
	gocsp__lock_acquire(&s->lock);
	if (s->nshared > 0) {
		GOCSP__STORE(&s->nshared, s->nshared - 1);
		obj = s->shared[s->nshared];
	}
	gocsp__lock_release(&s->lock);
	return obj;
}

/* Refill an empty cache with up to half its size from the shared stack. */
static void *
refill(struct poolstate *s, struct poolcache *c)
{
	void *obj = NULL;
	if (GOCSP__LOAD(&s->nshared) == 0)
		return NULL;
	gocsp__lock_acquire(&s->lock);
	if (s->nshared > 0) {
		GOCSP__STORE(&s->nshared, s->nshared - 1);
		obj = s->shared[s->nshared];
	}
	while (s->nshared > 0 && c->n < CACHE_MAX / 2) {
		GOCSP__STORE(&s->nshared, s->nshared - 1);
		c->obj[c->n++] = s->shared[s->nshared];
	}
	gocsp__lock_release(&s->lock);
	return obj;
}

void *
gocsp_pool_get(gocsp_pool *p)
{
	struct poolstate *s = state_of(p);
	if (s != NULL) {
		int id = gocsp__procid();
		struct poolcache *c = id < 0
		    ? NULL
		    : atomic_load_explicit(&s->caches[id],
		          memory_order_relaxed);
		void *obj;
		if (c != NULL) {
			if ((obj = c->private_) != NULL) {
				c->private_ = NULL;
				return obj;
			}
			if (c->n > 0)
				return c->obj[--c->n];
			obj = refill(s, c);
		} else {
			obj = shared_pop(s);
		}
		if (obj != NULL)
			return obj;
	}
	return p->new_fn != NULL ? p->new_fn(p->udata) : NULL;
}

/* Push obj on the shared stack; false when it is full. */
static bool
shared_push(struct poolstate *s, void *obj)
{
	bool ok = false;
	gocsp__lock_acquire(&s->lock);
	if (s->nshared < SHARED_MAX) {
		s->shared[s->nshared] = obj;
		GOCSP__STORE(&s->nshared, s->nshared + 1);
		ok = true;
	}
	gocsp__lock_release(&s->lock);
	return ok;
}

/* Move the older half of a full cache to the shared stack; dispose of
 * what does not fit there. */
static void
spill(gocsp_pool *p, struct poolstate *s, struct poolcache *c)
{
	void *extra[CACHE_MAX / 2];
	uint32_t nextra = 0, keep = CACHE_MAX / 2;
	gocsp__lock_acquire(&s->lock);
	for (uint32_t i = 0; i < c->n - keep; i++) {
		if (s->nshared < SHARED_MAX) {
			s->shared[s->nshared] = c->obj[i];
			GOCSP__STORE(&s->nshared, s->nshared + 1);
		} else {
			extra[nextra++] = c->obj[i];
		}
	}
	gocsp__lock_release(&s->lock);
	/* Keep the newer half, still warm in this CPU's cache. */
	for (uint32_t i = 0; i < keep; i++)
		c->obj[i] = c->obj[c->n - keep + i];
	c->n = keep;
	for (uint32_t i = 0; i < nextra; i++)
		dispose(p, extra[i]);
}

/* The cache of P id, allocated on first use; NULL if out of memory. */
static struct poolcache *
cache_of(struct poolstate *s, int id)
{
	struct poolcache *c =
	    atomic_load_explicit(&s->caches[id], memory_order_relaxed);
	if (gocsp__likely(c != NULL))
		return c;
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		atomic_store_explicit(&s->caches[id], c, memory_order_release);
	return c;
}

void
gocsp_pool_put(gocsp_pool *p, void *obj)
{
	if (obj == NULL)
		return;
	struct poolstate *s = state_make(p);
	if (s == NULL) {
		dispose(p, obj);
		return;
	}
	int id = gocsp__procid();
	struct poolcache *c = id >= 0 ? cache_of(s, id) : NULL;
	if (c != NULL) {
		/* The newest object goes to the private slot: the next get
		 * on this P returns it (last in, first out). */
		if (c->private_ != NULL) {
			if (c->n == CACHE_MAX)
				spill(p, s, c);
			c->obj[c->n++] = c->private_;
		}
		c->private_ = obj;
		return;
	}
	if (!shared_push(s, obj))
		dispose(p, obj);
}

void
gocsp_pool_destroy(gocsp_pool *p)
{
	struct poolstate *s = state_of(p);
	if (s == NULL)
		return;
	__atomic_store_n((struct poolstate **) &p->local_, NULL,
	    __ATOMIC_RELEASE);
	for (int i = 0; i < GOCSP__MAX_PROCS; i++) {
		struct poolcache *c =
		    atomic_load_explicit(&s->caches[i], memory_order_acquire);
		if (c == NULL)
			continue;
		if (c->private_ != NULL)
			dispose(p, c->private_);
		for (uint32_t k = 0; k < c->n; k++)
			dispose(p, c->obj[k]);
		free(c);
	}
	for (uint32_t k = 0; k < s->nshared; k++)
		dispose(p, s->shared[k]);
	free(s);
}
