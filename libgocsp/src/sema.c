/*
 * Design notes: semaphores keyed by address, after Go's sema.go.  A
 * table of roots, each a lock, a FIFO of waiting sudogs (any key hashed
 * there) and a list of spare units released for a key before its
 * waiter arrived.  Units live here, never at the key's address: a
 * WaitGroup releases its waiters and may be freed by one of them at
 * once, so the releaser must not touch it.
 */
#include "internal.h"

#define SEMTAB_SIZE 251

struct spare {
	const void *key;
	uint32_t n;
	struct spare *next;
};

struct semroot {
	gocsp__lock lock;
	struct gocsp__waitq q; /* under lock */
	struct spare *spares;  /* under lock */
} __attribute__((aligned(64)));

static struct semroot semtab[SEMTAB_SIZE];

static struct semroot *
root_of(const void *key)
{
	return &semtab[((uintptr_t) key >> 3) % SEMTAB_SIZE];
}

/* Take a spare unit for key (root locked). */
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
unlock_root(void *r)
{
	gocsp__lock_release(&((struct semroot *) r)->lock);
}

void
gocsp__semacquire(const void *key, bool lifo)
{
	struct semroot *r = root_of(key);
	gocsp__lock_acquire(&r->lock);
	if (take_spare(r, key)) {
		gocsp__lock_release(&r->lock);
		return;
	}
	struct gocsp__waiter w;
	struct gocsp__sudog s = {.w = &w, .key = key};
	gocsp__waiter_init(&w, -1);
	if (lifo && r->q.first != NULL) {
		s.next = r->q.first;
		s.prev = NULL;
		r->q.first->prev = &s;
		GOCSP__STORE(&r->q.first, &s);
		s.queued = true;
	} else {
		gocsp__waitq_push(&r->q, &s);
	}
	gocsp__waiter_wait(&w, unlock_root, r);
}

void
gocsp__semrelease(const void *key, uint32_t n)
{
	struct semroot *r = root_of(key);
	struct gocsp__sudog *woken = NULL, **tail = &woken;
	gocsp__lock_acquire(&r->lock);
	for (struct gocsp__sudog *s = r->q.first; s != NULL && n > 0;) {
		struct gocsp__sudog *next = s->next;
		if (s->key == key) {
			gocsp__waitq_remove(&r->q, s);
			s->w->param = s;
			*tail = s;
			tail = &s->next;
			n--;
		}
		s = next;
	}
	*tail = NULL;
	if (n > 0) {
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
	gocsp__lock_release(&r->lock);
	while (woken != NULL) {
		struct gocsp__sudog *next = woken->next;
		gocsp__waiter_wake(woken->w);
		woken = next;
	}
}
