/*
 * Design notes: gocspd's own ipc:// endpoint.
 *
 * Why not nng's: a request through nng's REP socket crosses several of
 * nng's threads each way (its poller, its task threads, the context's
 * callback), about ten context switches and 40 us of the server's CPU per
 * round trip, and nng's ipc:// listener can wedge (#1518).  Here a
 * connection is a socket the netpoller watches and a coroutine that
 * reads it: a request is one read, its reply one write, as in Redis.  The
 * wire is nng's, so REQ sockets of any nng program still work.
 *
 * A connection's reader decodes and runs each request in turn (the frame
 * handler never blocks: what would wait moves to a coroutine of its own),
 * so replies that need no wait leave before the next request is read.
 * Replies are written by whoever makes them, reader or not, on any
 * thread: straight to the socket when nothing is queued before them, else
 * queued for a flusher coroutine that waits for the socket to drain.  The
 * queue is bounded by --max-ops: a client has that many requests under
 * way at most, each with one reply.
 *
 * The descriptor lives as long as the connection's record: the reader,
 * the flusher and each request not yet answered hold a reference, so a
 * late reply can never go to a descriptor that was closed and reused.
 * Ending a connection shuts its socket down (the client sees it at once),
 * ends it in conn.c (what its client held goes back) and drops the
 * replies still to come.
 *
 * Admission is nng's: the handshake first, then the peer's uid (gocspd's
 * own or root, unless --allow-group left it to the socket's mode), then
 * --max-clients.  A client that breaks the framing is logged and cut off.
 */
#include "ipc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gocsp/gocsp.h>

#include "conn.h"
#include "log.h"
#include "wire.h"

#define READ_BUFFER (64u << 10) /* a connection's buffer, at rest */
#define MAX_HOPS 8              /* backtrace words, as nng's TTL */
#define HANDSHAKE_TIMEOUT GOCSP_SEC(10)
#define BACKLOG 512
/* A reader decodes (protobuf-c wants more than 2 KiB) and runs requests:
 * its stack does not depend on GOCSP_STACK_SIZE. */
#define READER_STACK (64u << 10)

struct gocspd_ipc {
	int fd;
	char path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
	dev_t dev; /* the socket file made at path */
	ino_t ino;
	gocsp_ctx *stop;   /* cancelled to stop the acceptor */
	gocsp_chan *ended; /* closed by the acceptor as it ends */
};

/* A reply waiting for the socket to drain. */
struct queued {
	nng_msg *msg; /* the whole frame, in its body */
	size_t off;   /* bytes of it written */
	struct queued *next;
};

struct conn {
	_Atomic uint32_t refs;
	uint32_t id;
	int fd;
	pthread_mutex_t lock;
	bool broken;                /* under lock: replies are dropped */
	bool flushing;              /* under lock: a flusher owns the queue */
	struct queued *head, *tail; /* under lock */
	struct conn *prev, *next;   /* live connections, under conns_lock */
};

/* One request of a connection, until its reply. */
struct request {
	struct gocspd_rctx base; /* first: what the request carries */
	struct conn *c;
	size_t nback; /* bytes of backtrace */
	unsigned char back[MAX_HOPS * GOCSP_WIRE_REQID];
};

static const struct gocspd_options *options;
static gocspd_frame_fn *handle_frame;
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn *conns;   /* under conns_lock */
static _Atomic long records; /* connection records not yet freed */
static _Atomic uint32_t next_id;

void
gocspd_ipc_init(const struct gocspd_options *o, gocspd_frame_fn *handle)
{
	options = o;
	handle_frame = handle;
}

/* ---------------------------------------------------------------------- */
/* Connection records                                                      */
/* ---------------------------------------------------------------------- */

static void
conn_release(struct conn *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	while (c->head != NULL) {
		struct queued *q = c->head;
		c->head = q->next;
		nng_msg_free(q->msg);
		free(q);
	}
	close(c->fd);
	pthread_mutex_destroy(&c->lock);
	free(c);
	atomic_fetch_sub(&records, 1);
}

/* Shut c's socket down: its reader and flusher wake and end. */
static void
conn_break(struct conn *c)
{
	pthread_mutex_lock(&c->lock);
	c->broken = true;
	pthread_mutex_unlock(&c->lock);
	shutdown(c->fd, SHUT_RDWR);
}

/* conn.h's kick: close connection id. */
static void
kick(uint32_t id)
{
	pthread_mutex_lock(&conns_lock);
	for (struct conn *c = conns; c != NULL; c = c->next)
		if (c->id == id)
			shutdown(c->fd, SHUT_RDWR); /* its reader ends it */
	pthread_mutex_unlock(&conns_lock);
}

/* ---------------------------------------------------------------------- */
/* Replies                                                                 */
/* ---------------------------------------------------------------------- */

/* Coroutine: write c's queue out as the socket drains. */
static void
flush(void *arg)
{
	struct conn *c = arg;
	pthread_mutex_lock(&c->lock);
	while (c->head != NULL && !c->broken) {
		struct queued *q = c->head;
		const char *p = (const char *) nng_msg_body(q->msg) + q->off;
		ssize_t n = send(c->fd, p, nng_msg_len(q->msg) - q->off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0 && (q->off += (size_t) n) == nng_msg_len(q->msg)) {
			if ((c->head = q->next) == NULL)
				c->tail = NULL;
			nng_msg_free(q->msg);
			free(q);
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			c->broken = true;
		} else if (n < 0 && errno == EAGAIN) {
			pthread_mutex_unlock(&c->lock);
			(void) gocsp_wait_fd(c->fd, GOCSP_WRITABLE,
			    GOCSP_FOREVER);
			pthread_mutex_lock(&c->lock);
		}
	}
	c->flushing = false;
	bool broken = c->broken;
	pthread_mutex_unlock(&c->lock);
	if (broken)
		shutdown(c->fd, SHUT_RDWR);
	conn_release(c);
}

/* Queue msg, written up to off, behind c's queue; with c->lock held.
 * Starts the flusher if none runs.  Whether it is queued. */
static bool
enqueue(struct conn *c, nng_msg *msg, size_t off)
{
	struct queued *q = malloc(sizeof(*q));
	if (q == NULL)
		return false;
	if (!c->flushing) {
		atomic_fetch_add(&c->refs, 1); /* the flusher's */
		if (gocsp_go(flush, c) != 0) {
			atomic_fetch_sub(&c->refs, 1);
			free(q);
			return false;
		}
		c->flushing = true; /* it starts once we unlock */
	}
	*q = (struct queued){.msg = msg, .off = off};
	if (c->tail != NULL)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	return true;
}

/* Write the frame in msg (taken) to c, or queue what is left of it; with
 * c->lock held.  Whether it will reach the socket. */
static bool
put(struct conn *c, nng_msg *msg)
{
	size_t off = 0;
	if (c->head == NULL) {
		size_t len = nng_msg_len(msg);
		ssize_t n = send(c->fd, nng_msg_body(msg), len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == (ssize_t) len) {
			nng_msg_free(msg);
			return true;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			nng_msg_free(msg);
			return false;
		}
		off = n > 0 ? (size_t) n : 0;
	}
	if (enqueue(c, msg, off))
		return true;
	nng_msg_free(msg);
	return false;
}

static void
request_end(struct request *r)
{
	conn_release(r->c);
	free(r);
}

static void
request_reply(struct gocspd_rctx *base, nng_msg *msg)
{
	struct request *r = (struct request *) base;
	struct conn *c = r->c;
	unsigned char head[GOCSP_WIRE_IPC_HEADER + sizeof(r->back)];
	gocsp__wire_ipc_header(head, r->nback + nng_msg_len(msg));
	memcpy(head + GOCSP_WIRE_IPC_HEADER, r->back, r->nback);
	if (nng_msg_insert(msg, head, GOCSP_WIRE_IPC_HEADER + r->nback) != 0) {
		nng_msg_free(msg);
		msg = NULL;
	}
	pthread_mutex_lock(&c->lock);
	bool was_broken = c->broken;
	if (was_broken && msg != NULL)
		nng_msg_free(msg); /* its client has gone */
	else if (msg == NULL || !put(c, msg))
		c->broken = true;
	bool lost = c->broken && !was_broken;
	pthread_mutex_unlock(&c->lock);
	if (lost) /* a reply lost: so is the client */
		shutdown(c->fd, SHUT_RDWR);
	request_end(r);
}

static void
request_done(struct gocspd_rctx *base)
{
	request_end((struct request *) base);
}

static const struct gocspd_rctx_ops request_ops = {
    .reply = request_reply,
    .done = request_done,
};

/* ---------------------------------------------------------------------- */
/* Requests                                                                */
/* ---------------------------------------------------------------------- */

/* One frame's payload from c: backtrace, then the request.  Whether it
 * kept the protocol. */
static bool
take_frame(struct conn *c, const unsigned char *p, size_t len)
{
	size_t nback = 0;
	bool end = false;
	while (!end && nback < MAX_HOPS * GOCSP_WIRE_REQID &&
	    len - nback >= GOCSP_WIRE_REQID) {
		end = gocsp__wire_get_u32(p + nback) & 0x80000000u;
		nback += GOCSP_WIRE_REQID;
	}
	if (!end)
		return false;
	struct request *r = malloc(sizeof(*r));
	if (r == NULL) {
		gocspd_log(GOCSPD_ERR,
		    "out of memory for a request: closing "
		    "client %u",
		    c->id);
		return false;
	}
	r->base.ops = &request_ops;
	r->c = c;
	r->nback = nback;
	memcpy(r->back, p, nback);
	atomic_fetch_add(&c->refs, 1);
	handle_frame(&r->base, c->id, p + nback, len - nback);
	return true;
}

/* Read exactly n bytes from fd before the deadline.  0 or -1. */
int
gocspd_read_full(int fd, void *buf, size_t n, int64_t deadline)
{
	for (size_t got = 0; got < n;) {
		ssize_t r =
		    recv(fd, (char *) buf + got, n - got, MSG_DONTWAIT);
		if (r > 0) {
			got += (size_t) r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			return -1;
		int64_t left = deadline - gocsp_now();
		if (left <= 0 || gocsp_wait_fd(fd, GOCSP_READABLE, left) < 0)
			return -1;
	}
	return 0;
}

/* The handshake, then admission.  Whether c may be served. */
static bool
admit(struct conn *c)
{
	unsigned char hs[GOCSP_WIRE_HANDSHAKE];
	if (gocspd_read_full(c->fd, hs, sizeof(hs),
	        gocsp_now() + HANDSHAKE_TIMEOUT) != 0)
		return false; /* gone, or silent: not worth a word */
	if (!gocsp__wire_handshake_ok(hs, GOCSP_WIRE_PROTO_REQ)) {
		gocspd_log(GOCSPD_WARN,
		    "refused a connection that is not an "
		    "SP REQ peer (bad handshake)");
		return false;
	}
	gocsp__wire_handshake(hs, GOCSP_WIRE_PROTO_REP);
	if (send(c->fd, hs, sizeof(hs), MSG_NOSIGNAL) != (ssize_t) sizeof(hs))
		return false;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0) {
		gocspd_log(GOCSPD_WARN,
		    "refused a connection: its peer's "
		    "credentials: %s",
		    strerror(errno));
		return false;
	}
	if (cred.uid != geteuid() && cred.uid != 0 && !options->allow_group) {
		gocspd_log(GOCSPD_WARN,
		    "refused a connection from uid %u: only uid %u and root "
		    "may connect",
		    (unsigned) cred.uid, (unsigned) geteuid());
		return false;
	}
	int rc = gocspd_conn_add(c->id, cred.uid, false, kick);
	if (rc != 0) {
		gocspd_log(GOCSPD_WARN, "refused a connection: %s",
		    rc == GOCSP_ELIMIT ? "--max-clients reached"
		                       : gocsp_strerror(rc));
		return false;
	}
	gocspd_log(GOCSPD_DEBUG, "client %u connected (pid %d)", c->id,
	    (int) cred.pid);
	return true;
}

/* Read and hand on c's frames until it goes or breaks the framing. */
static void
read_frames(struct conn *c)
{
	size_t max =
	    (size_t) options->limits.max_msg + GOCSP_WIRE_FRAME_OVERHEAD;
	size_t cap = READ_BUFFER, start = 0, have = 0;
	unsigned char *buf = malloc(cap);
	while (buf != NULL) {
		/* Every whole frame in the buffer. */
		size_t need = GOCSP_WIRE_IPC_HEADER;
		while (have - start >= GOCSP_WIRE_IPC_HEADER) {
			int64_t len = gocsp__wire_ipc_length(buf + start);
			if (len < 0 || (uint64_t) len > max) {
				gocspd_log(GOCSPD_WARN,
				    "client %u sent a frame of %lld bytes (the "
				    "limit is --max-msg + %u): connection "
				    "closed",
				    c->id, (long long) len,
				    GOCSP_WIRE_FRAME_OVERHEAD);
				goto out;
			}
			need = GOCSP_WIRE_IPC_HEADER + (size_t) len;
			if (have - start < need)
				break;
			if (!take_frame(c, buf + start + GOCSP_WIRE_IPC_HEADER,
			        (size_t) len)) {
				gocspd_log(GOCSPD_WARN,
				    "client %u sent a frame without a request "
				    "id: connection closed",
				    c->id);
				goto out;
			}
			start += need;
			need = GOCSP_WIRE_IPC_HEADER;
		}
		/* Room for the rest of the frame under way. */
		if (start == have) {
			start = have = 0;
			if (cap >
			    READ_BUFFER) { /* back to size after a big one */
				free(buf);
				buf = malloc(cap = READ_BUFFER);
				if (buf == NULL)
					break;
			}
		}
		if (cap - start < need) {
			memmove(buf, buf + start, have - start);
			have -= start;
			start = 0;
		}
		if (cap < need) {
			unsigned char *bigger = realloc(buf, need);
			if (bigger == NULL)
				break;
			buf = bigger;
			cap = need;
		}
		ssize_t n = gocsp_read(c->fd, buf + have, cap - have);
		if (n <= 0)
			goto out; /* gone */
		have += (size_t) n;
	}
	gocspd_log(GOCSPD_ERR,
	    "out of memory reading client %u: "
	    "connection closed",
	    c->id);
out:
	free(buf);
}

/* Take c off the list of live connections and drop the reader's
 * reference. */
static void
conn_unlist(struct conn *c)
{
	pthread_mutex_lock(&conns_lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&conns_lock);
	conn_release(c);
}

/* Coroutine: serve connection c from handshake to end. */
static void
serve(void *arg)
{
	struct conn *c = arg;
	bool admitted = admit(c);
	if (admitted)
		read_frames(c);
	conn_break(c);
	if (admitted) {
		gocspd_conn_end(c->id);
		gocspd_log(GOCSPD_DEBUG, "client %u went", c->id);
	}
	conn_unlist(c);
}

/* A record for the accepted fd, listed; NULL when out of memory. */
static struct conn *
conn_new(int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	atomic_init(&c->refs, 1);
	/* Above nng's pipe ids, which stay below 2^31 (conn.c). */
	c->id = 0x80000000u | atomic_fetch_add(&next_id, 1);
	c->fd = fd;
	pthread_mutex_init(&c->lock, NULL);
	atomic_fetch_add(&records, 1);
	pthread_mutex_lock(&conns_lock);
	c->next = conns;
	if (conns != NULL)
		conns->prev = c;
	conns = c;
	pthread_mutex_unlock(&conns_lock);
	return c;
}

/* ---------------------------------------------------------------------- */
/* Listening                                                               */
/* ---------------------------------------------------------------------- */

/* Coroutine: accept connections on l until it is stopped. */
static void
accept_loop(void *arg)
{
	struct gocspd_ipc *l = arg;
	for (;;) {
		int fd = gocsp_accept_ctx(l->stop, l->fd, NULL, NULL);
		if (fd == GOCSP_ECANCELED)
			break;
		if (fd < 0) {
			/* Out of descriptors, most likely: let some go. */
			gocspd_log(GOCSPD_WARN, "accepting on %s: %s", l->path,
			    strerror(-fd));
			gocsp_sleep(GOCSP_MS(100));
			continue;
		}
		struct conn *c = conn_new(fd);
		if (c == NULL) {
			close(fd);
			continue;
		}
		if (gocsp_go_stack(serve, c, READER_STACK) != 0) {
			gocspd_log(GOCSPD_ERR,
			    "out of memory for a connection");
			conn_unlist(c);
		}
	}
	(void) gocsp_chan_close(l->ended);
}

int
gocspd_ipc_listen(const char *path, struct gocspd_ipc **out)
{
	struct gocspd_ipc *l = calloc(1, sizeof(*l));
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int rc = 0;
	if (l == NULL)
		return -ENOMEM;
	l->fd = -1;
	snprintf(l->path, sizeof(l->path), "%s", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path); /* stale: the caller holds the lock */
	if ((l->fd = socket(AF_UNIX,
	         SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(l->fd, (struct sockaddr *) &sun, sizeof(sun)) != 0 ||
	    chmod(path, 0600) != 0 || stat(path, &st) != 0 ||
	    listen(l->fd, BACKLOG) != 0) {
		rc = -errno;
		goto fail;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	if ((l->stop = gocsp_ctx_with_cancel(gocsp_ctx_background())) ==
	        NULL ||
	    (l->ended = gocsp_chan_make(0, 0)) == NULL ||
	    gocsp_go(accept_loop, l) != 0) {
		rc = -ENOMEM;
		goto fail;
	}
	*out = l;
	return 0;
fail:
	gocspd_log(GOCSPD_ERR, "listening on %s: %s", path, strerror(-rc));
	if (l->fd >= 0) {
		close(l->fd);
		if (stat(path, &st) == 0 && st.st_dev == l->dev &&
		    st.st_ino == l->ino)
			unlink(path);
	}
	if (l->stop != NULL)
		gocsp_ctx_release(l->stop);
	gocsp_chan_release(l->ended);
	free(l);
	return rc;
}

void
gocspd_ipc_close(struct gocspd_ipc *l)
{
	gocsp_ctx_cancel(l->stop);
	(void) gocsp_chan_recv(l->ended, NULL);
	close(l->fd);
	struct stat st;
	if (stat(l->path, &st) == 0 && st.st_dev == l->dev &&
	    st.st_ino == l->ino)
		unlink(l->path);
	gocsp_ctx_release(l->stop);
	gocsp_chan_release(l->ended);
	free(l);
}

void
gocspd_ipc_end_all(void)
{
	pthread_mutex_lock(&conns_lock);
	for (struct conn *c = conns; c != NULL; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&conns_lock);
}

void
gocspd_ipc_wait(void)
{
	while (atomic_load(&records) > 0)
		gocsp_sleep(GOCSP_MS(1));
}
