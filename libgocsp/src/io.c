/*
 * Design notes: coroutine-aware I/O on the netpoller.  Each call first
 * tries the system call on a non-blocking fd; on EAGAIN it waits in the
 * netpoller (the coroutine parks, its worker runs others) and tries again.
 * errno is read right after each call: a coroutine may resume on another
 * thread, whose errno is another variable.
 *
 * Regular files (and other fds epoll refuses with EPERM) are not
 * pollable: their reads and writes block.  Before such a call the worker
 * hands its processor to another worker, so the rest of the program keeps
 * running, and takes one back after (gocsp__enter_blocking).
 */
#include "netpoll.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Make fd non-blocking; returns whether it is pollable. */
static bool
prepare_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return true; /* let the call itself report EBADF */
	struct stat st;
	if (fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return false;
	if (!(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return true;
}

static int64_t
deadline_of(int64_t timeout)
{
	return timeout < 0 ? -1 : gocsp__os_now() + timeout;
}

/*
 * Level-triggered, like poll(2): the netpoller is edge-triggered and may
 * report an edge whose readiness is already gone, so readiness is checked
 * with poll(2) before each wait and after it.
 */
int
gocsp_wait_fd(int fd, int events, int64_t timeout)
{
	if ((events & (GOCSP_READABLE | GOCSP_WRITABLE)) == 0 ||
	    (events & ~(GOCSP_READABLE | GOCSP_WRITABLE)) != 0)
		return GOCSP_EINVAL;
	if (fd < 0)
		return -EBADF;
	int64_t deadline = deadline_of(timeout);
	for (;;) {
		int r = gocsp__poll_now(fd, events);
		if (r != 0)
			return r;
		if (timeout == 0)
			return GOCSP_EAGAIN;
		r = gocsp__netpoll_wait(fd, events, deadline, NULL);
		if (r < 0)
			return r;
	}
}

/* One read(2): -errno on failure.  An unpollable fd's call runs with
 * the P handed off. */
static ssize_t
sys_read(int fd, void *buf, size_t n, bool pollable)
{
	struct gocsp__p *p = pollable ? NULL : gocsp__enter_blocking();
	ssize_t r = read(fd, buf, n);
	ssize_t res = r < 0 ? -(ssize_t) errno : r;
	if (!pollable)
		gocsp__exit_blocking(p);
	return res;
}

static ssize_t
sys_write(int fd, const void *buf, size_t n, bool pollable)
{
	struct gocsp__p *p = pollable ? NULL : gocsp__enter_blocking();
	ssize_t r = write(fd, buf, n);
	ssize_t res = r < 0 ? -(ssize_t) errno : r;
	if (!pollable)
		gocsp__exit_blocking(p);
	return res;
}

ssize_t
gocsp_read(int fd, void *buf, size_t n)
{
	bool pollable = prepare_fd(fd);
	for (;;) {
		ssize_t r = sys_read(fd, buf, n, pollable);
		if (r == -EINTR)
			continue;
		if (r != -EAGAIN && r != -EWOULDBLOCK)
			return r;
		int w = gocsp__netpoll_wait(fd, GOCSP_READABLE, -1, NULL);
		if (w < 0)
			return w;
	}
}

ssize_t
gocsp_write(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	size_t done = 0;
	bool pollable = prepare_fd(fd);
	while (done < n) {
		ssize_t r = sys_write(fd, p + done, n - done, pollable);
		if (r >= 0) {
			done += (size_t) r;
			continue;
		}
		if (r == -EINTR)
			continue;
		if (r == -EAGAIN || r == -EWOULDBLOCK) {
			int w = gocsp__netpoll_wait(fd, GOCSP_WRITABLE, -1, NULL);
			if (w >= 0)
				continue;
			r = w;
		}
		return done > 0 ? (ssize_t) done : r;
	}
	return (ssize_t) done;
}

int
gocsp_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	prepare_fd(fd);
	for (;;) {
		int c = accept4(fd, addr, len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c >= 0)
			return c;
		int e = errno;
		if (e == EINTR || e == ECONNABORTED)
			continue;
		if (e != EAGAIN && e != EWOULDBLOCK)
			return -e;
		int w = gocsp__netpoll_wait(fd, GOCSP_READABLE, -1, NULL);
		if (w < 0)
			return w;
	}
}

int
gocsp_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	prepare_fd(fd);
	if (connect(fd, addr, len) == 0)
		return 0;
	int e = errno;
	if (e != EINPROGRESS && e != EINTR)
		return -e;
	for (;;) {
		int w = gocsp__netpoll_wait(fd, GOCSP_WRITABLE, -1, NULL);
		if (w < 0)
			return w;
		int err = 0;
		socklen_t sl = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
			return -errno;
		if (err == 0)
			return 0;
		if (err != EINPROGRESS && err != EALREADY)
			return -err;
	}
}
