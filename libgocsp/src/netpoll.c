/*
 * Design notes: the netpoller, after Go's netpoll.go and netpoll_epoll.go.
 *
 * Registration.  An fd is added to the epoll set, edge-triggered for both
 * directions, the first time anyone waits on it, and again whenever a wait
 * finds it missing: EPOLL_CTL_ADD answers EEXIST for an fd already there,
 * and the kernel drops an fd from the set when its file is closed, so a
 * number reused by a new file is added again.  (Remembering "registered"
 * per number instead would hang a wait on a reused number forever, unless
 * the number is closed through gocsp: "Ownership" below.)
 *
 * Per fd a poll descriptor holds, under its lock, the sudogs waiting to
 * read and to write and a "ready" flag per direction.  An edge that comes
 * while nobody waits sets the flag, and the next wait returns at once:
 * with edge triggering an event must never be dropped.  A stale flag only
 * costs the caller one more EAGAIN and a real wait.
 *
 * Short reads.  A read of a TCP socket that returns less than it asked
 * for has emptied the receive queue, so the next read would only answer
 * EAGAIN: io.c skips that system call and waits at once, passing the count
 * of read edges it took just before the short read (nginx does the same;
 * Go reads until EAGAIN).  Parking is then safe only if whatever arrives
 * after the short read brings an edge this wait will see.  Where that may
 * not hold, the wait returns at once and the caller reads:
 *  - a read edge was delivered since the count was taken: another waiter
 *    may have had it, and its data is still queued;
 *  - this registration reported a hang-up, an error or urgent data: the
 *    short read may have consumed the FIN (the next read answers 0 and no
 *    edge comes), or stopped at the urgent mark with data behind it;
 *  - the fd is not TCP: a short datagram, or a unix socket read that stops
 *    at passed fds, says nothing of what is queued.  The hint is kept only
 *    for a registration that getsockopt(SO_PROTOCOL) found to be TCP.
 * A number reused by a new file needs nothing more: the wait's
 * EPOLL_CTL_ADD reports the new file's readiness as an edge.
 *
 * Waiting first pays only where the read after a short read finds
 * nothing, as in request and response.  Where the peer sends ahead, the
 * next data is often there already, and a wait first costs the
 * registration probe and often a trip through the netpoller where one
 * read would have done (8 connections keeping 2 requests in flight:
 * 7-14% more server CPU a request).  So the hint is used once EMPTY_RUN
 * reads after a short read in a row found nothing, and every
 * RECHECK_EVERY-th time the read goes first again, to see.
 *
 * Ownership.  gocsp_fd_own (io.c) registers an fd once and marks it
 * owned: its waits skip the probe (one epoll_ctl a wait, the cost of a
 * read), as Go's net.Conn registers its fd once.  That is safe only if the
 * number is closed through gocsp_close, which ends the ownership before
 * the number can be reused.  gocsp_close also does what close(2) cannot
 * (the kernel drops a closed file from epoll without an event): it wakes
 * the fd's waiters with GOCSP_ECLOSED, as Go's Close does through its
 * pollDesc (netpollunblock).  It closes the number under the descriptor's
 * lock, and a wait registers fd (or finds it owned) and queues itself
 * under that lock too, so a wait comes wholly before the close, and is
 * among the waiters it wakes, or wholly after it, and finds the number
 * closed or a new file.  Otherwise a wait could register the file just
 * before the close and park on it for good.  The descriptor's lock is
 * thus held across system calls (epoll_ctl, getsockopt, fcntl, close),
 * none of which blocks; only this fd's waits and events wait for it.
 * What the close of the file may block on (SO_LINGER) happens after the
 * lock, through a duplicate.
 * A plain thread's poll(2) is not woken by a close; it sees it on its
 * next call.
 *
 * Waking.  The event claims each waiter (a waiter with a deadline or a
 * cancel channel can be woken by those too) and wakes it after the lock
 * is released.  Descriptors live in a two-level table indexed by fd that
 * only grows, so they are never freed under a reader.
 *
 * A plain thread has no scheduler to return to: it waits with poll(2).
 */
#include "netpoll.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 1024
#define NCHUNKS 4096 /* fds below 4M */
#define MAX_EVENTS 128

struct polldesc {
	gocsp__lock lock;
	struct gocsp__waitq rq, wq; /* under lock */
	bool rready, wready;        /* under lock */
	/* The registration reported hang-up, error or urgent data. */
	bool closing; /* under lock */
	bool owned;   /* under lock: registered once (gocsp_fd_own) */
	/* Read edges delivered: written under lock, read with acquire. */
	uint32_t redges;
	/* Relaxed atomic accesses: */
	bool tcp;            /* the registration is a TCP socket */
	uint8_t hint;        /* io.c's (enum gocsp__fd_hint) */
	uint64_t short_read; /* io.c's hint: SHORT_READ | its read-edge mark */
	uint32_t empty_run;  /* reads after a short read that found nothing */
};

#define SHORT_READ ((uint64_t) 1 << 32)
#define EMPTY_RUN 4
#define RECHECK_EVERY 8

static struct polldesc *_Atomic chunks[NCHUNKS];
static int epfd = -1;
static int evfd = -1;
static _Atomic int active;
static _Atomic long nwaiters;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_error;

static void
netpoll_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (epfd < 0 || evfd < 0) {
		init_error = -errno;
		return;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, evfd, &ev) < 0) {
		init_error = -errno;
		return;
	}
	atomic_store(&active, 1);
}

bool
gocsp__netpoll_active(void)
{
	return atomic_load_explicit(&active, memory_order_acquire) != 0;
}

long
gocsp__netpoll_waiters(void)
{
	return atomic_load_explicit(&nwaiters, memory_order_relaxed);
}

static struct polldesc *
desc(int fd, bool create)
{
	if (fd < 0 || fd >= CHUNK * NCHUNKS)
		return NULL;
	struct polldesc *c =
	    atomic_load_explicit(&chunks[fd / CHUNK], memory_order_acquire);
	if (c == NULL) {
		if (!create)
			return NULL;
		struct polldesc *n = calloc(CHUNK, sizeof(*n));
		if (n == NULL)
			return NULL;
		if (!atomic_compare_exchange_strong(&chunks[fd / CHUNK], &c,
		        n))
			free(n); /* c is the winner's */
		else
			c = n;
	}
	return &c[fd % CHUNK];
}

void
gocsp__netpoll_remember_socket(int fd, bool socket)
{
	struct polldesc *pd = desc(fd, socket);
	if (pd != NULL)
		GOCSP__STORE(&pd->hint,
		    socket ? GOCSP__FD_SOCKET : GOCSP__FD_UNKNOWN);
}

enum gocsp__fd_hint
gocsp__netpoll_fd_hint(int fd)
{
	struct polldesc *pd = desc(fd, false);
	return pd != NULL ? GOCSP__LOAD(&pd->hint) : GOCSP__FD_UNKNOWN;
}

uint32_t
gocsp__netpoll_read_mark(int fd)
{
	struct polldesc *pd = desc(fd, false);
	return pd != NULL ? __atomic_load_n(&pd->redges, __ATOMIC_ACQUIRE) : 0;
}

void
gocsp__netpoll_note_short_read(int fd, uint32_t mark)
{
	struct polldesc *pd = desc(fd, false);
	if (pd != NULL && GOCSP__LOAD(&pd->tcp))
		GOCSP__STORE(&pd->short_read, SHORT_READ | mark);
}

enum gocsp__after_short
gocsp__netpoll_take_short_read(int fd, uint32_t *mark)
{
	struct polldesc *pd = desc(fd, false);
	if (pd == NULL || GOCSP__LOAD(&pd->short_read) == 0)
		return GOCSP__NO_SHORT_READ;
	uint64_t h = __atomic_exchange_n(&pd->short_read, 0, __ATOMIC_RELAXED);
	if (h == 0)
		return GOCSP__NO_SHORT_READ;
	*mark = (uint32_t) h;
	uint32_t run = GOCSP__LOAD(&pd->empty_run);
	return run >= EMPTY_RUN && run % RECHECK_EVERY != 0
	    ? GOCSP__WAIT_FIRST
	    : GOCSP__READ_FIRST;
}

/* A read after a short read found nothing (or would have), or found
 * something. */
static void
count_empty(struct polldesc *pd, bool empty)
{
	GOCSP__STORE(&pd->empty_run,
	    empty ? GOCSP__LOAD(&pd->empty_run) + 1 : 0);
}

void
gocsp__netpoll_short_read_found(int fd, bool nothing)
{
	struct polldesc *pd = desc(fd, false);
	if (pd != NULL)
		count_empty(pd, nothing);
}

/* Whether fd is a TCP socket (its registration may keep short reads). */
static bool
is_tcp(struct polldesc *pd, int fd)
{
	int proto = 0;
	socklen_t len = sizeof(proto);
	return GOCSP__LOAD(&pd->hint) == GOCSP__FD_SOCKET &&
	    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
	    proto == IPPROTO_TCP;
}

static void
unlock_desc(void *pd)
{
	gocsp__lock_release(&((struct polldesc *) pd)->lock);
}

/* Events of a poll(2) result, as GOCSP_READABLE|GOCSP_WRITABLE; an error
 * or hang-up counts as both (the next call reports it). */
static int
revents_of(short re, int events)
{
	int r = 0;
	if (re & (POLLIN | POLLERR | POLLHUP))
		r |= GOCSP_READABLE;
	if (re & (POLLOUT | POLLERR | POLLHUP))
		r |= GOCSP_WRITABLE;
	return r & events;
}

/* One poll(2) of fd: ready events, 0 if none before the timeout, or
 * -errno. */
static int
poll_once(int fd, int events, int ms)
{
	struct pollfd p = {.fd = fd,
	    .events = (short) ((events & GOCSP_READABLE ? POLLIN : 0) |
	        (events & GOCSP_WRITABLE ? POLLOUT : 0))};
	int n;
	while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	if (p.revents & POLLNVAL)
		return -EBADF;
	return revents_of(p.revents, events);
}

int
gocsp__poll_now(int fd, int events)
{
	return poll_once(fd, events, 0);
}

/* A thread polls in slices so that it notices a closed cancel channel
 * within CANCEL_POLL_NS. */
#define CANCEL_POLL_NS 10000000

static int
poll_thread(int fd, int events, int64_t deadline, gocsp_chan *cancel)
{
	for (;;) {
		if (cancel != NULL && gocsp__chan_closed(cancel))
			return GOCSP_ECANCELED;
		int64_t left = -1;
		if (deadline >= 0) {
			left = deadline - gocsp__os_now();
			if (left <= 0)
				left = 0;
		}
		if (cancel != NULL && (left < 0 || left > CANCEL_POLL_NS))
			left = CANCEL_POLL_NS;
		int ms = left < 0 ? -1 : (int) ((left + 999999) / 1000000);
		int r = poll_once(fd, events, ms);
		if (r != 0)
			return r;
		if (deadline >= 0 && gocsp__os_now() >= deadline)
			return GOCSP_ETIMEDOUT;
	}
}

/* Start the netpoller and find fd's descriptor; NULL and *err if
 * either fails. */
static struct polldesc *
start(int fd, int *err)
{
	pthread_once(&init_once, netpoll_init);
	*err = init_error;
	if (init_error != 0)
		return NULL;
	struct polldesc *pd = desc(fd, true);
	if (pd == NULL)
		*err = fd < 0 ? -EBADF : GOCSP_ENOMEM;
	return pd;
}

/* Add fd to the epoll set, or find it there (pd locked): 0 or -errno.
 * A new registration is a new file: what pd knew of the old one goes. */
static int
add_locked(struct polldesc *pd, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP |
	        EPOLLPRI | EPOLLET,
	    .data.u64 = (uint64_t) fd};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		return errno == EEXIST ? 0 : -errno;
	pd->closing = false;
	GOCSP__STORE(&pd->tcp, is_tcp(pd, fd));
	return 0;
}

int
gocsp__netpoll_own(int fd, bool pollable)
{
	int err;
	struct polldesc *pd = start(fd, &err);
	if (pd == NULL)
		return err;
	gocsp__lock_acquire(&pd->lock);
	err = add_locked(pd, fd);
	pd->owned = err == 0;
	if (pd->owned && pollable)
		GOCSP__STORE(&pd->hint, GOCSP__FD_OWNED_POLLABLE);
	gocsp__lock_release(&pd->lock);
	return err;
}

int
gocsp__netpoll_wait(int fd, int events, int64_t deadline, gocsp_chan *cancel,
    const uint32_t *short_read)
{
	/* Threads, and a check that must not wait, ask poll(2) directly. */
	if (gocsp__curg() == NULL || deadline == 0)
		return poll_thread(fd, events, deadline, cancel);
	int err;
	struct polldesc *pd = start(fd, &err);
	if (pd == NULL)
		return err;

	bool rd = events & GOCSP_READABLE, wr = events & GOCSP_WRITABLE;
	struct gocsp__waiter w;
	struct gocsp__sudog rs = {.w = &w, .key = pd};
	struct gocsp__sudog ws = {.w = &w, .key = pd};
	struct gocsp__sudog cs = {.w = &w};
	/* Up to three parties may complete the wait: each claims it. */
	rs.claim = ws.claim = cs.claim = true;
	gocsp__waiter_init(&w, deadline, GOCSP__WAIT_FD);
	/* A close of cancel wakes the waiter without holding pd->lock. */
	w.racy = w.racy || cancel != NULL;

	gocsp__lock_acquire(&pd->lock);
	/* An owned fd is registered; any other is probed. */
	if (!pd->owned && (err = add_locked(pd, fd)) != 0) {
		gocsp__lock_release(&pd->lock);
		return err;
	}
	if (rd && short_read != NULL) {
		bool at_once = pd->closing || pd->redges != *short_read;
		count_empty(pd, !at_once);
		if (at_once) {
			gocsp__lock_release(&pd->lock);
			return GOCSP_READABLE;
		}
	}
	int ready = (rd && pd->rready ? GOCSP_READABLE : 0) |
	    (wr && pd->wready ? GOCSP_WRITABLE : 0);
	if (ready) {
		if (ready & GOCSP_READABLE)
			pd->rready = false;
		if (ready & GOCSP_WRITABLE)
			pd->wready = false;
		gocsp__lock_release(&pd->lock);
		return ready;
	}
	if (cancel != NULL && gocsp__chan_watch(cancel, &cs) != 0) {
		gocsp__lock_release(&pd->lock);
		return GOCSP_ECANCELED;
	}
	if (rd)
		gocsp__waitq_push(&pd->rq, &rs);
	if (wr)
		gocsp__waitq_push(&pd->wq, &ws);
	atomic_fetch_add_explicit(&nwaiters, 1, memory_order_relaxed);
	gocsp__waiter_wait(&w, unlock_desc, pd);
	atomic_fetch_sub_explicit(&nwaiters, 1, memory_order_relaxed);

	/* Take back the sudogs that did not win. */
	struct gocsp__sudog *won = w.param;
	gocsp__lock_acquire(&pd->lock);
	gocsp__waitq_remove(&pd->rq, &rs);
	gocsp__waitq_remove(&pd->wq, &ws);
	gocsp__lock_release(&pd->lock);
	if (cancel != NULL)
		gocsp__chan_unwatch(cancel, &cs);
	if (won == NULL)
		return GOCSP_ETIMEDOUT;
	if (won == &cs)
		return GOCSP_ECANCELED;
	if (!won->success)
		return GOCSP_ECLOSED;
	/* The event left what it found in the sudog. */
	return won->events & events ? won->events & events : events;
}

/* Claim the waiters of one direction (pd locked) and link them to list:
 * found, the events for them, or 0 when the fd is being closed. */
static struct gocsp__sudog *
take_waiters(struct gocsp__waitq *q, int found, struct gocsp__sudog *list)
{
	struct gocsp__sudog *s;
	while ((s = gocsp__waitq_dequeue(q)) != NULL) {
		s->events = found;
		s->success = found != 0;
		s->w->param = s;
		s->next = list;
		list = s;
	}
	return list;
}

/* Wake the waiters take_waiters linked; returns how many. */
static int
wake_all(struct gocsp__sudog *list)
{
	int n = 0;
	while (list != NULL) {
		struct gocsp__sudog *next = list->next;
		gocsp__waiter_wake(list->w);
		list = next;
		n++;
	}
	return n;
}

static int
dispatch(int fd, uint32_t e)
{
	struct polldesc *pd = desc(fd, false);
	if (pd == NULL)
		return 0;
	int r = 0;
	if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI))
		r |= GOCSP_READABLE;
	if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		r |= GOCSP_WRITABLE;
	struct gocsp__sudog *list = NULL;
	gocsp__lock_acquire(&pd->lock);
	if (r & GOCSP_READABLE) {
		__atomic_store_n(&pd->redges, pd->redges + 1,
		    __ATOMIC_RELEASE);
		if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLPRI))
			pd->closing = true;
		if (pd->rq.first == NULL)
			pd->rready = true;
		list = take_waiters(&pd->rq, r, list);
	}
	if (r & GOCSP_WRITABLE) {
		if (pd->wq.first == NULL)
			pd->wready = true;
		list = take_waiters(&pd->wq, r, list);
	}
	gocsp__lock_release(&pd->lock);
	return wake_all(list);
}

/* close(2): 0 or -errno.  Linux releases the number even when close
 * answers EINTR: a retry could close a file that has since taken it. */
static int
close_number(int fd)
{
	return close(fd) == 0 || errno == EINTR ? 0 : -errno;
}

int
gocsp__netpoll_close(int fd)
{
	struct polldesc *pd = gocsp__netpoll_active() ? desc(fd, false) : NULL;
	if (pd == NULL)
		return close_number(fd); /* no coroutine ever waited on it */
	gocsp__lock_acquire(&pd->lock);
	pd->owned = false;
	/* The next file to take the number is examined afresh. */
	GOCSP__STORE(&pd->hint, GOCSP__FD_UNKNOWN);
	pd->rready = pd->wready = false;
	GOCSP__STORE(&pd->short_read, 0);
	GOCSP__STORE(&pd->empty_run, 0);
	struct gocsp__sudog *list = take_waiters(&pd->rq, 0, NULL);
	list = take_waiters(&pd->wq, 0, list);
	/* The duplicate keeps the file open past the lock, and with it its
	 * registration: delete that. */
	int keep = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	(void) epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	int r = close_number(fd);
	gocsp__lock_release(&pd->lock);
	if (keep >= 0)
		r = close_number(keep); /* the file's last close */
	wake_all(list);
	return r;
}

int
gocsp__netpoll(int64_t until)
{
	if (!gocsp__netpoll_active())
		return 0;
	struct epoll_event events[MAX_EVENTS];
	struct timespec ts, *tsp = NULL;
	if (until >= 0) {
		int64_t left = until == 0 ? 0 : until - gocsp__os_now();
		if (left < 0)
			left = 0;
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		tsp = &ts;
	}
	int n = epoll_pwait2(epfd, events, MAX_EVENTS, tsp, NULL);
	if (n < 0 && errno == ENOSYS) {
		int ms = tsp == NULL ? -1
		                     : (int) (ts.tv_sec * 1000 +
		                           (ts.tv_nsec + 999999) / 1000000);
		n = epoll_wait(epfd, events, MAX_EVENTS, ms);
	}
	int woken = 0;
	for (int i = 0; i < n; i++) {
		if (events[i].data.u64 == UINT64_MAX) {
			uint64_t v;
			(void) !read(evfd, &v, sizeof(v));
			continue;
		}
		woken += dispatch((int) events[i].data.u64, events[i].events);
	}
	return woken;
}

void
gocsp__netpoll_break(void)
{
	uint64_t one = 1;
	if (gocsp__netpoll_active())
		(void) !write(evfd, &one, sizeof(one));
}
