/*
 * Design notes: SP over a unix socket, spoken directly.
 *
 * The handshake is 8 bytes each way (0, 'S', 'P', 0, protocol, 0, 0);
 * each frame is a type byte (1), a 64-bit big-endian length and the
 * payload: our 4-byte request id, then the body (proto/wire.h).  The
 * socket is non-blocking; waits go through gocsp_wait_fd, which parks a
 * coroutine and polls on a plain thread, so the same code serves both.
 *
 * Writes are whole frames under a coroutine-aware mutex.  Reads go
 * through a buffer owned by the one reader of the moment, so that most
 * replies cost one recv(2), and a read cut short by a deadline loses
 * nothing.
 *
 * Connecting retries for a while (until the caller's deadline) when the
 * socket is missing or refuses -- a daemon starting, or re-listening --
 * and when the handshake gets no answer: that is a listener nng has
 * stopped serving, which gocspd replaces within its probe interval.
 */
#include "transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <gocsp/gocsp.h>

#include "wire.h"

/* Replies larger than this are garbage, not a daemon's. */
#define MAX_FRAME ((size_t) 1 << 30)
/* How long one handshake may take before the connect is tried again. */
#define HANDSHAKE_TIMEOUT GOCSP_SEC(1)

struct tp_ipc {
	struct gocsp__tp base;
	int fd;
	gocsp_mutex wlock;  /* one frame written at a time */
	unsigned char *buf; /* the reader's: bytes [start, end) */
	size_t cap, start, end;
};

/* Write all of iov, parking while the socket is full.  0 or -errno. */
static int
write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t) n};
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			if (e != EAGAIN)
				return -e;
			int r =
			    gocsp_wait_fd(fd, GOCSP_WRITABLE, GOCSP_FOREVER);
			if (r < 0)
				return r;
			continue;
		}
		while (n > 0 && (size_t) w >= iov->iov_len) {
			w -= (ssize_t) iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *) iov->iov_base + w;
			iov->iov_len -= (size_t) w;
		}
	}
	return 0;
}

static int
ipc_send(struct gocsp__tp *tp, uint32_t reqid, const void *body, size_t len)
{
	struct tp_ipc *t = (struct tp_ipc *) tp;
	unsigned char head[GOCSP_WIRE_IPC_HEADER + GOCSP_WIRE_REQID];
	gocsp__wire_ipc_header(head, (uint64_t) len + GOCSP_WIRE_REQID);
	gocsp__wire_put_u32(head + GOCSP_WIRE_IPC_HEADER, reqid);
	struct iovec iov[2] = {
	    {.iov_base = head, .iov_len = sizeof(head)},
	    {.iov_base = (void *) body, .iov_len = len},
	};
	gocsp_mutex_lock(&t->wlock);
	int rc = write_all(t->fd, iov, len > 0 ? 2 : 1);
	gocsp_mutex_unlock(&t->wlock);
	return rc == 0 ? 0 : GOCSP_ECONNRESET;
}

/* Wait until fd is readable or the deadline.  0, GOCSP_ETIMEDOUT or
 * GOCSP_ECONNRESET. */
static int
wait_readable(int fd, int64_t deadline)
{
	int64_t left = GOCSP_FOREVER;
	if (deadline >= 0 && (left = deadline - gocsp_now()) <= 0)
		return GOCSP_ETIMEDOUT;
	int w = gocsp_wait_fd(fd, GOCSP_READABLE, left);
	if (w == GOCSP_ETIMEDOUT)
		return w;
	return w < 0 ? GOCSP_ECONNRESET : 0;
}

/*
 * Have at least n bytes buffered.  0, GOCSP_ETIMEDOUT, or an error.
 * With nothing buffered, the next reply is a round trip away: wait for
 * it before reading, rather than read first and find nothing (a system
 * call per request saved).
 */
static int
fill(struct tp_ipc *t, size_t n, int64_t deadline)
{
	if (t->end == t->start) {
		int rc = wait_readable(t->fd, deadline);
		if (rc != 0)
			return rc;
	}
	while (t->end - t->start < n) {
		if (t->cap - t->start < n) {
			/* Move what is there to the front; grow if need be. */
			size_t have = t->end - t->start;
			if (n > t->cap) {
				size_t cap = t->cap;
				while (cap < n)
					cap *= 2;
				unsigned char *b = malloc(cap);
				if (b == NULL)
					return GOCSP_ENOMEM;
				memcpy(b, t->buf + t->start, have);
				free(t->buf);
				t->buf = b;
				t->cap = cap;
			} else {
				memmove(t->buf, t->buf + t->start, have);
			}
			t->start = 0;
			t->end = have;
		}
		ssize_t r = recv(t->fd, t->buf + t->end, t->cap - t->end,
		    MSG_DONTWAIT);
		if (r > 0) {
			t->end += (size_t) r;
			continue;
		}
		if (r == 0)
			return GOCSP_ECONNRESET;
		int e = errno;
		if (e == EINTR)
			continue;
		if (e != EAGAIN)
			return GOCSP_ECONNRESET;
		int rc = wait_readable(t->fd, deadline);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
ipc_recv(struct gocsp__tp *tp, const void **body, size_t *len,
    int64_t deadline)
{
	struct tp_ipc *t = (struct tp_ipc *) tp;
	int rc = fill(t, GOCSP_WIRE_IPC_HEADER, deadline);
	if (rc != 0)
		return rc;
	int64_t n = gocsp__wire_ipc_length(t->buf + t->start);
	if (n < GOCSP_WIRE_REQID || (uint64_t) n > MAX_FRAME)
		return GOCSP_EPROTO;
	size_t frame = GOCSP_WIRE_IPC_HEADER + (size_t) n;
	if ((rc = fill(t, frame, deadline)) != 0)
		return rc;
	*body = t->buf + t->start + GOCSP_WIRE_IPC_HEADER + GOCSP_WIRE_REQID;
	*len = (size_t) n - GOCSP_WIRE_REQID;
	t->start += frame;
	if (t->start == t->end)
		t->start = t->end = 0;
	return 0;
}

static void
ipc_shutdown(struct gocsp__tp *tp)
{
	shutdown(((struct tp_ipc *) tp)->fd, SHUT_RDWR);
}

static void
ipc_close(struct gocsp__tp *tp)
{
	struct tp_ipc *t = (struct tp_ipc *) tp;
	close(t->fd);
	free(t->buf);
	free(t);
}

static const struct gocsp__tp_ops ipc_ops = {
    .send = ipc_send,
    .recv = ipc_recv,
    .shutdown = ipc_shutdown,
    .close = ipc_close,
};

/* Exchange handshakes on a connected fd.  0, GOCSP_ETIMEDOUT or
 * GOCSP_ECONNRESET (no answer: try again), GOCSP_EPROTO (not gocspd). */
static int
handshake(struct tp_ipc *t, int64_t deadline)
{
	unsigned char hs[GOCSP_WIRE_HANDSHAKE];
	gocsp__wire_handshake(hs, GOCSP_WIRE_PROTO_REQ);
	struct iovec iov = {.iov_base = hs, .iov_len = sizeof(hs)};
	if (write_all(t->fd, &iov, 1) != 0)
		return GOCSP_ECONNRESET;
	int rc = fill(t, sizeof(hs), deadline);
	if (rc != 0)
		return rc;
	if (!gocsp__wire_handshake_ok(t->buf + t->start, GOCSP_WIRE_PROTO_REP))
		return GOCSP_EPROTO;
	t->start += sizeof(hs);
	return 0;
}

int
gocsp__tp_ipc_open(struct gocsp__tp **out, const char *path, int64_t deadline,
    char *why, size_t whylen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "socket path too long: %s", path);
		return GOCSP_EINVAL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	struct tp_ipc *t = calloc(1, sizeof(*t));
	if (t == NULL || (t->buf = malloc(t->cap = 64 << 10)) == NULL) {
		free(t);
		snprintf(why, whylen, "out of memory");
		return GOCSP_ENOMEM;
	}
	t->base.ops = &ipc_ops;
	int64_t pause = GOCSP_MS(10);
	int refused = 0;
	for (;;) {
		t->fd = socket(AF_UNIX,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (t->fd < 0) {
			snprintf(why, whylen, "socket: %s", strerror(errno));
			break;
		}
		int e = 0;
		if (connect(t->fd, (struct sockaddr *) &sun, sizeof(sun)) != 0)
			e = errno;
		int rc = GOCSP_ECONNRESET;
		if (e == 0) {
			int64_t hd = gocsp_now() + HANDSHAKE_TIMEOUT;
			rc = handshake(t,
			    deadline >= 0 && deadline < hd ? deadline : hd);
			if (rc == 0) {
				*out = &t->base;
				return 0;
			}
			if (rc == GOCSP_EPROTO) {
				snprintf(why, whylen,
				    "%s is not a gocspd socket", path);
				close(t->fd);
				break;
			}
			snprintf(why, whylen, "gocspd at %s did not answer",
			    path);
		} else if (e == EACCES || e == EPERM) {
			snprintf(why, whylen, "connecting to %s: %s", path,
			    strerror(e));
			close(t->fd);
			free(t->buf);
			free(t);
			return GOCSP_EPERM;
		} else {
			snprintf(why, whylen, "no gocspd at %s (%s)", path,
			    strerror(e));
			/* Missing or refusing: a daemon starting or
			 * re-listening is quick; a dead one stays so. */
			if ((e == ENOENT || e == ECONNREFUSED) &&
			    ++refused > 4) {
				close(t->fd);
				break;
			}
		}
		close(t->fd);
		t->start = t->end = 0;
		if (deadline >= 0 && gocsp_now() + pause > deadline)
			break;
		gocsp_sleep(pause);
		if (pause < GOCSP_MS(100))
			pause *= 2;
	}
	free(t->buf);
	free(t);
	return GOCSP_ECONNREFUSED;
}
