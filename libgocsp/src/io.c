/*
 * Design notes: coroutine-aware I/O on the netpoller.  Each call first
 * tries the system call on a non-blocking fd; on EAGAIN it waits in the
 * netpoller (the coroutine parks, its worker runs others) and tries again.
 * A read that follows a short read of a TCP socket waits first: the
 * kernel would only answer EAGAIN (netpoll.c, "Short reads").
 * errno is read right after each call: a coroutine may resume on another
 * thread, whose errno is another variable.
 *
 * Learning what an fd is (fcntl and fstat) costs two system calls, as
 * much as the read itself, so the netpoller's table remembers which fd
 * numbers were sockets.  A socket is read and written with recv/send and
 * MSG_DONTWAIT, which never block whatever the fd's flags say, so the
 * memory is safe even after the number is closed and reused: if it no
 * longer names a socket, recv answers ENOTSOCK and the fd is examined
 * again.  The first time gocsp meets a number (and on every accept, which
 * makes its sockets non-blocking), the fd is made non-blocking as the API
 * promises; a new socket that reuses a remembered number is not, which
 * only matters to code that reads it without gocsp afterwards.  Other
 * fds (pipes, terminals) are read with read(2), which would block on a
 * reused number: their kind is remembered only while they are owned,
 * since then only gocsp_close ends the number, and it forgets.
 *
 * gocsp_fd_own and gocsp_close are Go's net.Conn lifetime: an owned fd
 * is registered with the netpoller once, and gocsp_close wakes what is
 * blocked on it before closing it (netpoll.c, "Ownership").
 *
 * Regular files (and other fds epoll refuses with EPERM) are not
 * pollable: their reads and writes block.  Before such a call the worker
 * hands its processor to another worker, so the rest of the program keeps
 * running, and takes one back after (gocsp__enter_blocking).
 */
#include "netpoll.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* How an fd is read and written. */
enum fdkind {
	FD_SOCKET,   /* recv/send with MSG_DONTWAIT */
	FD_POLLABLE, /* read/write on a non-blocking fd */
	FD_BLOCKING, /* regular file: read/write with the P handed off */
};

/* Examine fd: make it non-blocking unless it is a regular file or a
 * directory, and remember whether it is a socket. */
static enum fdkind
prepare_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return FD_POLLABLE; /* let the call itself report EBADF */
	struct stat st;
	bool known = fstat(fd, &st) == 0;
	if (known && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return FD_BLOCKING;
	if (!(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	bool sock = known && S_ISSOCK(st.st_mode);
	gocsp__netpoll_remember_socket(fd, sock);
	return sock ? FD_SOCKET : FD_POLLABLE;
}

static enum fdkind
fd_kind(int fd)
{
	switch (gocsp__netpoll_fd_hint(fd)) {
	case GOCSP__FD_SOCKET:
		return FD_SOCKET;
	case GOCSP__FD_OWNED_POLLABLE:
		return FD_POLLABLE;
	default:
		return prepare_fd(fd);
	}
}

/*
 * Wait in the netpoller until fd may be ready, until the deadline, or
 * until ctx (may be NULL) is done: then its error, GOCSP_ECANCELED or
 * GOCSP_ETIMEDOUT.
 */
static int
wait_io(gocsp_ctx *ctx, int fd, int events, int64_t deadline,
    const uint32_t *short_read)
{
	gocsp_chan *done = ctx != NULL ? gocsp_ctx_done(ctx) : NULL;
	int r = gocsp__netpoll_wait(fd, events, deadline, done, short_read);
	if (r == GOCSP_ECANCELED && ctx != NULL) {
		int err = gocsp_ctx_err(ctx);
		return err != 0 ? err : r;
	}
	return r;
}

/* A context that is already done: its error; else 0. */
static int
ctx_check(gocsp_ctx *ctx)
{
	return ctx != NULL ? gocsp_ctx_err(ctx) : 0;
}

/*
 * Level-triggered, like poll(2): the netpoller is edge-triggered and may
 * report an edge whose readiness is already gone, so a coroutine checks
 * readiness with poll(2) before each wait and after it.  A plain thread's
 * wait is poll(2) itself, whose answer needs no check.
 */
static int
wait_fd(gocsp_ctx *ctx, int fd, int events, int64_t timeout)
{
	if ((events & (GOCSP_READABLE | GOCSP_WRITABLE)) == 0 ||
	    (events & ~(GOCSP_READABLE | GOCSP_WRITABLE)) != 0)
		return GOCSP_EINVAL;
	if (fd < 0)
		return -EBADF;
	int err = ctx_check(ctx);
	if (err != 0)
		return err;
	int64_t deadline = gocsp__deadline(timeout);
	if (gocsp__curg() == NULL && timeout != 0)
		return wait_io(ctx, fd, events, deadline, NULL);
	for (;;) {
		int r = gocsp__poll_now(fd, events);
		if (r != 0)
			return r;
		if (timeout == 0)
			return GOCSP_EAGAIN;
		r = wait_io(ctx, fd, events, deadline, NULL);
		if (r < 0)
			return r;
	}
}

int
gocsp_wait_fd(int fd, int events, int64_t timeout)
{
	return wait_fd(NULL, fd, events, timeout);
}

int
gocsp_wait_fd_ctx(gocsp_ctx *ctx, int fd, int events)
{
	return wait_fd(ctx, fd, events, GOCSP_FOREVER);
}

/*
 * One read or write, retried on EINTR: its result, or -errno.  A socket
 * number that no longer names a socket is examined again (*kind).  A
 * blocking fd's call runs with the P handed off; errno is read before
 * taking a P back, which may move the coroutine to another thread.
 */
static ssize_t
sys_io(int fd, void *buf, size_t n, bool writing, enum fdkind *kind)
{
	for (;;) {
		ssize_t r, res;
		if (*kind == FD_SOCKET) {
			/* MSG_NOSIGNAL: a peer that closed is -EPIPE, not
			 * a SIGPIPE that kills the process (Go's answer). */
			r = writing
			    ? send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL)
			    : recv(fd, buf, n, MSG_DONTWAIT);
			res = r < 0 ? -(ssize_t) errno : r;
		} else {
			struct gocsp__p *p = *kind == FD_BLOCKING
			    ? gocsp__enter_blocking()
			    : NULL;
			r = writing ? write(fd, buf, n) : read(fd, buf, n);
			res = r < 0 ? -(ssize_t) errno : r;
			if (*kind == FD_BLOCKING)
				gocsp__exit_blocking(p);
		}
		if (res == -EINTR)
			continue;
		if (res == -ENOTSOCK && *kind == FD_SOCKET) {
			*kind = prepare_fd(fd); /* the number was reused */
			continue;
		}
		return res;
	}
}

ssize_t
gocsp_read_ctx(gocsp_ctx *ctx, int fd, void *buf, size_t n)
{
	int err = ctx_check(ctx);
	if (err != 0)
		return err;
	enum fdkind kind = fd_kind(fd);
	uint32_t mark = 0;
	/* After a short read of a TCP socket the read may only answer
	 * EAGAIN: wait first (netpoll.c, "Short reads"). */
	enum gocsp__after_short after = kind == FD_SOCKET
	    ? gocsp__netpoll_take_short_read(fd, &mark)
	    : GOCSP__NO_SHORT_READ;
	for (;;) {
		if (after != GOCSP__WAIT_FIRST) {
			mark = gocsp__netpoll_read_mark(fd);
			ssize_t r = sys_io(fd, buf, n, false, &kind);
			bool empty = r == -EAGAIN || r == -EWOULDBLOCK;
			if (after == GOCSP__READ_FIRST)
				gocsp__netpoll_short_read_found(fd, empty);
			if (r > 0 && (size_t) r < n && kind == FD_SOCKET)
				gocsp__netpoll_note_short_read(fd, mark);
			if (!empty)
				return r;
		}
		int w = wait_io(ctx, fd, GOCSP_READABLE, -1,
		    after == GOCSP__WAIT_FIRST ? &mark : NULL);
		after = GOCSP__NO_SHORT_READ;
		if (w < 0)
			return w;
	}
}

ssize_t
gocsp_read(int fd, void *buf, size_t n)
{
	return gocsp_read_ctx(NULL, fd, buf, n);
}

ssize_t
gocsp_write_ctx(gocsp_ctx *ctx, int fd, const void *buf, size_t n)
{
	const char *p = buf;
	size_t done = 0;
	int err = ctx_check(ctx);
	if (err != 0)
		return err;
	enum fdkind kind = fd_kind(fd);
	while (done < n) {
		ssize_t r =
		    sys_io(fd, (void *) (p + done), n - done, true, &kind);
		if (r >= 0) {
			done += (size_t) r;
			continue;
		}
		if (r == -EAGAIN || r == -EWOULDBLOCK) {
			int w = wait_io(ctx, fd, GOCSP_WRITABLE, -1, NULL);
			if (w >= 0)
				continue;
			r = w;
		}
		return done > 0 ? (ssize_t) done : r;
	}
	return (ssize_t) done;
}

ssize_t
gocsp_write(int fd, const void *buf, size_t n)
{
	return gocsp_write_ctx(NULL, fd, buf, n);
}

int
gocsp_fd_own(int fd)
{
	return gocsp__netpoll_own(fd, prepare_fd(fd) == FD_POLLABLE);
}

int
gocsp_close(int fd)
{
	if (fd < 0)
		return -EBADF;
	return gocsp__netpoll_close(fd);
}

int
gocsp_accept_ctx(gocsp_ctx *ctx, int fd, struct sockaddr *addr, socklen_t *len)
{
	int err = ctx_check(ctx);
	if (err != 0)
		return err;
	prepare_fd(fd);
	for (;;) {
		int c = accept4(fd, addr, len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c >= 0) {
			gocsp__netpoll_remember_socket(c, true);
			return c;
		}
		int e = errno;
		if (e == EINTR || e == ECONNABORTED)
			continue;
		if (e != EAGAIN && e != EWOULDBLOCK)
			return -e;
		int w = wait_io(ctx, fd, GOCSP_READABLE, -1, NULL);
		if (w < 0)
			return w;
	}
}

int
gocsp_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return gocsp_accept_ctx(NULL, fd, addr, len);
}

int
gocsp_connect_ctx(gocsp_ctx *ctx, int fd, const struct sockaddr *addr,
    socklen_t len)
{
	int err = ctx_check(ctx);
	if (err != 0)
		return err;
	prepare_fd(fd);
	if (connect(fd, addr, len) == 0)
		return 0;
	int e = errno;
	if (e != EINPROGRESS && e != EINTR)
		return -e;
	for (;;) {
		int w = wait_io(ctx, fd, GOCSP_WRITABLE, -1, NULL);
		if (w < 0)
			return w;
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			return -errno;
		if (soerr == 0)
			return 0;
		if (soerr != EINPROGRESS && soerr != EALREADY)
			return -soerr;
	}
}

int
gocsp_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return gocsp_connect_ctx(NULL, fd, addr, len);
}
