/*
 * Design notes: contexts, after Go's context package (context.go).
 *
 * Three kinds.  Background is a static that is never canceled and never
 * freed.  A cancel context (with_cancel, with_deadline, with_timeout) owns
 * a done channel (elem size 0, made eagerly so gocsp_ctx_done never fails),
 * an error and a list of children.  A value context owns only its key and
 * value; its done channel and error are those of its nearest cancelable
 * ancestor (cparent), and cancelling it is a no-op, as in Go.
 *
 * The tree: every context holds one reference to its direct parent, so
 * ancestors outlive descendants.  A cancel context is linked into the
 * children list of its cparent (skipping value contexts, as Go's
 * parentCancelCtx does); the list holds no references.  A context leaves
 * the list only when it is freed or when its cparent is canceled (which
 * empties the list: Go's `c.children = nil`); a canceled context takes no
 * new children, a child made then starts canceled with the parent's error.
 *
 * Locks and their order: timer heap lock, then context locks parent before
 * child, then channel locks (closing done), then scheduler locks.
 *  - ctx->lock guards ctx->children, the writing of ctx->err and the close
 *    of ctx->done, and the sibling links (next, prev, linked) of ctx's
 *    children.  err is atomic so that gocsp_ctx_err reads it without the
 *    lock; it is stored before done is closed, so whoever saw done closed
 *    sees err set.
 *  - Cancelling walks the subtree depth first holding the locks of the
 *    whole path from the root (Go holds the parent's mu while it cancels
 *    the children), iteratively so deep trees do not grow the stack.
 *    Setting err, closing done and detaching the children happen in one
 *    critical section: a context whose err is set under its lock has no
 *    children.
 *  - Freeing a cancel context takes its cparent's lock to unlink itself.
 *    A cancel of the parent running at the same time holds that lock while
 *    it touches the child, so the child's memory outlives every such use:
 *    a parent cancel racing a child's last release is safe.
 *
 * Deadlines: one gocsp__timer per context with a deadline of its own
 * (earlier than its parent's; otherwise the parent's timer covers it).
 * The callback runs under the heap lock, so the heap lock comes first in
 * the order above: nothing here calls gocsp__timer_add or gocsp__timer_del
 * with a context lock held.  The callback only cancels (takes context and
 * channel locks) and never frees a context nor deletes a timer: cancelling
 * never changes a reference count.  The timer is deleted, with no lock
 * held, by gocsp_ctx_cancel (the caller holds a reference, and is not a
 * timer callback) and by the last release before the memory goes:
 * gocsp__timer_del returns only once the callback is not running, which is
 * what keeps the context alive for a callback already under way.  A timer
 * that fires on a context canceled meanwhile finds err set and does
 * nothing.  A deadline over a large subtree holds its heap's lock for the
 * whole walk, delaying that P's other timers as long (Go cancels from a
 * goroutine of its own; here the cancel needs no allocation and cannot
 * fail).
 *
 * A negative deadline or timeout (GOCSP_FOREVER) means no deadline of the
 * context's own, as negative timeouts do in gocsp_select; a timeout of 0
 * or a deadline already past makes a context that starts timed out.
 */
#include "internal.h"

enum ctx_kind {
	CTX_BACKGROUND = 0,
	CTX_CANCEL,
	CTX_VALUE,
};

struct gocsp_ctx {
	gocsp__lock lock;       /* cancel: see the notes */
	_Atomic uint32_t refs;  /* the context is freed when it reaches 0 */
	_Atomic int err;        /* cancel: written under lock, 0 while live */
	uint8_t kind;           /* enum ctx_kind; immutable */
	bool has_deadline;      /* immutable: deadline is valid */
	bool has_timer;         /* immutable once published: timer is ours */
	bool linked;            /* under cparent->lock: in its children */
	int64_t deadline;       /* immutable: earliest in the ancestry */
	gocsp_ctx *parent;      /* immutable; holds a reference */
	gocsp_ctx *cparent;     /* immutable: nearest cancelable ancestor */
	gocsp_ctx *children;    /* cancel: under lock */
	gocsp_ctx *next, *prev; /* in cparent->children, under its lock */
	gocsp_chan *done;       /* cancel: owned; closed under lock */
	struct gocsp__timer timer; /* when has_timer */
	const void *key;           /* value: immutable */
	void *value;               /* value: immutable */
};

static gocsp_ctx background = {.kind = CTX_BACKGROUND};

/* The context whose done and err a child of parent shares or links to:
 * parent itself if cancelable, else its own cparent (NULL: none). */
static gocsp_ctx *
cancelable_of(gocsp_ctx *parent)
{
	return parent->kind == CTX_CANCEL ? parent : parent->cparent;
}

/* Under c->lock, err not yet set: record err, then wake every waiter on
 * done.  The order matters: see the notes. */
static void
mark(gocsp_ctx *c, int err)
{
	atomic_store_explicit(&c->err, err, memory_order_release);
	gocsp_chan_close(c->done);
}

/* Under p->lock. */
static void
unlink_child(gocsp_ctx *p, gocsp_ctx *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		p->children = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	c->linked = false;
}

/*
 * Cancel root and its descendants with err, unless root is canceled
 * already.  Takes context and channel locks; touches no timer, so the
 * deadline callback may call it under the heap lock.  Holds the locks of
 * the path from root to the context being visited: each visited child was
 * detached from the list of the context above it, whose lock stays held
 * until the child's subtree is done, so a child racing to free itself waits
 * (it needs that lock to unlink) until nothing here touches it.
 */
static void
cancel_tree(gocsp_ctx *root, int err)
{
	gocsp__lock_acquire(&root->lock);
	if (atomic_load_explicit(&root->err, memory_order_relaxed) != 0) {
		gocsp__lock_release(&root->lock);
		return;
	}
	mark(root, err);
	gocsp_ctx *cur = root;
	for (;;) {
		gocsp_ctx *child = cur->children;
		if (child != NULL) {
			unlink_child(cur, child);
			gocsp__lock_acquire(&child->lock);
			if (atomic_load_explicit(&child->err,
			        memory_order_relaxed) == 0) {
				/* Descend, keeping cur's lock. */
				mark(child, err);
				cur = child;
				continue;
			}
			/* Canceled by itself or its timer: its own children
			 * went with it. */
			gocsp__lock_release(&child->lock);
			continue;
		}
		/* cur's subtree is done.  Below root, cur came from its
		 * cparent's list, whose lock we still hold. */
		gocsp_ctx *up = cur->cparent;
		gocsp__lock_release(&cur->lock);
		if (cur == root)
			return;
		cur = up;
	}
}

/* Timer callback, under the heap lock: the deadline passed. */
static void
deadline_fire(struct gocsp__timer *t)
{
	cancel_tree(t->arg, GOCSP_ETIMEDOUT);
}

/* The last reference went: free c.  Holds no lock on entry. */
static void
destroy(gocsp_ctx *c)
{
	/* First, so that a callback under way has finished and none runs
	 * again. */
	if (c->has_timer)
		gocsp__timer_del(&c->timer);
	if (c->kind == CTX_CANCEL) {
		gocsp_ctx *p = c->cparent;
		if (p != NULL) {
			/* Also waits out a cancel of p that is visiting c. */
			gocsp__lock_acquire(&p->lock);
			if (c->linked)
				unlink_child(p, c);
			gocsp__lock_release(&p->lock);
		}
		gocsp_chan_release(c->done);
	}
	free(c);
}

gocsp_ctx *
gocsp_ctx_background(void)
{
	return &background;
}

/* A new cancel context under parent; deadline < 0: none of its own. */
static gocsp_ctx *
new_cancel(gocsp_ctx *parent, int64_t deadline, const char *who)
{
	if (parent == NULL)
		gocsp__throw(who);
	gocsp_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->done = gocsp_chan_make(0, 0);
	if (c->done == NULL) {
		free(c);
		return NULL;
	}
	atomic_init(&c->refs, 1);
	atomic_init(&c->err, 0);
	c->kind = CTX_CANCEL;
	c->parent = gocsp_ctx_retain(parent);
	c->cparent = cancelable_of(parent);
	c->timer.index = -1;

	/* A deadline no earlier than the parent's adds nothing: the
	 * parent's timer cancels the child first (Go returns WithCancel). */
	bool own = deadline >= 0 &&
	    (!parent->has_deadline || deadline < parent->deadline);
	if (own) {
		c->has_deadline = true;
		c->deadline = deadline;
	} else {
		c->has_deadline = parent->has_deadline;
		c->deadline = parent->deadline;
	}

	int err = 0;
	gocsp_ctx *p = c->cparent;
	if (p != NULL) {
		gocsp__lock_acquire(&p->lock);
		err = atomic_load_explicit(&p->err, memory_order_relaxed);
		if (err == 0) {
			c->next = p->children;
			if (p->children != NULL)
				p->children->prev = c;
			p->children = c;
			c->linked = true;
		}
		gocsp__lock_release(&p->lock);
	}
	/* The parent's error wins over a deadline already past, as in Go.
	 * Once linked, a cancel of p may reach c from here on: cancel_tree
	 * sorts out which comes first. */
	if (err == 0 && own && deadline <= gocsp_now())
		err = GOCSP_ETIMEDOUT;
	if (err != 0) {
		cancel_tree(c, err);
		return c;
	}
	if (own) {
		/* No lock held: the heap lock comes before context locks. */
		c->has_timer = true;
		c->timer.when = deadline;
		c->timer.fn = deadline_fire;
		c->timer.arg = c;
		gocsp__timer_add(&c->timer);
	}
	return c;
}

gocsp_ctx *
gocsp_ctx_with_cancel(gocsp_ctx *parent)
{
	return new_cancel(parent, -1, "gocsp_ctx_with_cancel: NULL parent");
}

gocsp_ctx *
gocsp_ctx_with_deadline(gocsp_ctx *parent, int64_t deadline)
{
	return new_cancel(parent, deadline,
	    "gocsp_ctx_with_deadline: NULL parent");
}

gocsp_ctx *
gocsp_ctx_with_timeout(gocsp_ctx *parent, int64_t timeout)
{
	/* A zero timeout's deadline is now, as in Go, not the "do not
	 * block" of the blocking calls. */
	int64_t deadline =
	    timeout == 0 ? gocsp_now() : gocsp__deadline(timeout);
	return new_cancel(parent, deadline,
	    "gocsp_ctx_with_timeout: NULL parent");
}

gocsp_ctx *
gocsp_ctx_with_value(gocsp_ctx *parent, const void *key, void *value)
{
	if (parent == NULL)
		gocsp__throw("gocsp_ctx_with_value: NULL parent");
	gocsp_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	atomic_init(&c->refs, 1);
	atomic_init(&c->err, 0);
	c->kind = CTX_VALUE;
	c->parent = gocsp_ctx_retain(parent);
	c->cparent = cancelable_of(parent);
	c->has_deadline = parent->has_deadline;
	c->deadline = parent->deadline;
	c->key = key;
	c->value = value;
	return c;
}

void
gocsp_ctx_cancel(gocsp_ctx *ctx)
{
	if (ctx == NULL || ctx->kind != CTX_CANCEL)
		return;
	cancel_tree(ctx, GOCSP_ECANCELED);
	/* Stop the timer now rather than at the last release, as Go does.
	 * The caller holds a reference and is no timer callback, and no
	 * context lock is held here, so this cannot wait on itself. */
	if (ctx->has_timer)
		gocsp__timer_del(&ctx->timer);
}

gocsp_chan *
gocsp_ctx_done(gocsp_ctx *ctx)
{
	if (ctx->kind == CTX_CANCEL)
		return ctx->done;
	return ctx->cparent != NULL ? ctx->cparent->done : NULL;
}

int
gocsp_ctx_err(gocsp_ctx *ctx)
{
	gocsp_ctx *c = ctx->kind == CTX_CANCEL ? ctx : ctx->cparent;
	if (c == NULL)
		return 0;
	return atomic_load_explicit(&c->err, memory_order_acquire);
}

int
gocsp_ctx_deadline(gocsp_ctx *ctx, int64_t *deadline)
{
	if (!ctx->has_deadline)
		return 0;
	if (deadline != NULL)
		*deadline = ctx->deadline;
	return 1;
}

void *
gocsp_ctx_value(gocsp_ctx *ctx, const void *key)
{
	for (gocsp_ctx *c = ctx; c != NULL; c = c->parent)
		if (c->kind == CTX_VALUE && c->key == key)
			return c->value;
	return NULL;
}

gocsp_ctx *
gocsp_ctx_retain(gocsp_ctx *ctx)
{
	if (ctx == NULL || ctx->kind == CTX_BACKGROUND)
		return ctx;
	if (atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed) ==
	    0)
		gocsp__throw("gocsp_ctx_retain: context already released");
	return ctx;
}

void
gocsp_ctx_release(gocsp_ctx *ctx)
{
	/* A loop, not recursion: the last release of a long chain frees
	 * its ancestors in turn. */
	while (ctx != NULL && ctx->kind != CTX_BACKGROUND) {
		uint32_t old = atomic_fetch_sub_explicit(&ctx->refs, 1,
		    memory_order_acq_rel);
		if (old == 0)
			gocsp__throw("gocsp_ctx_release: released more often "
			             "than retained");
		if (old != 1)
			return;
		gocsp_ctx *parent = ctx->parent;
		destroy(ctx);
		ctx = parent;
	}
}
