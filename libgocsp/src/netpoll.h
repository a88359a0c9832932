/*
 * The netpoller: one epoll instance for the whole runtime (Go's
 * netpoll_epoll.go).  Used by the scheduler (sched.c) and by the
 * coroutine-aware I/O calls (io.c).
 */
#ifndef GOCSP_NETPOLL_H
#define GOCSP_NETPOLL_H

#include "internal.h"

/*
 * Wait until fd is ready for events (GOCSP_READABLE|GOCSP_WRITABLE) or
 * until the deadline (monotonic ns, < 0 none), or until cancel (may be
 * NULL) is closed.  On a coroutine the coroutine parks and the worker runs
 * others; on a plain thread it polls.  Returns the ready events (> 0),
 * GOCSP_ETIMEDOUT, GOCSP_ECANCELED (cancel closed), GOCSP_ECLOSED
 * (gocsp__netpoll_close) or -errno.
 * Readiness may be spurious: callers retry the operation.  May park.
 * short_read: NULL, or the mark of a short read of fd (below); a wait
 * for GOCSP_READABLE then parks only if nothing can have made fd readable
 * since (netpoll.c, "Short reads").
 */
int gocsp__netpoll_wait(int fd, int events, int64_t deadline,
    gocsp_chan *cancel, const uint32_t *short_read);

/*
 * Ownership (netpoll.c, "Ownership").  gocsp__netpoll_own registers fd
 * once, and its waits no longer probe the registration: 0, GOCSP_ENOMEM
 * or -errno (EPERM: not pollable).  pollable: fd is pollable and no
 * socket, which the hint below then keeps while fd is owned.
 * gocsp__netpoll_close closes fd: it ends that, forgets the hint, and
 * wakes fd's waiters with GOCSP_ECLOSED.  Returns 0 or -errno.
 */
int gocsp__netpoll_own(int fd, bool pollable);
int gocsp__netpoll_close(int fd);

/*
 * The short-read hint (io.c): a read of a TCP socket that returned less
 * than asked left nothing queued, so the next read may wait first instead
 * of reading.  Take the mark before a read; after a short read, note it.
 * The next read of fd takes it: GOCSP__WAIT_FIRST, pass the mark to
 * gocsp__netpoll_wait; GOCSP__READ_FIRST, read, then say whether the read
 * found nothing.  The hint is kept only for a registered TCP socket, and
 * used only where such reads keep finding nothing.
 */
enum gocsp__after_short {
	GOCSP__NO_SHORT_READ,
	GOCSP__READ_FIRST,
	GOCSP__WAIT_FIRST,
};
uint32_t gocsp__netpoll_read_mark(int fd);
void gocsp__netpoll_note_short_read(int fd, uint32_t mark);
enum gocsp__after_short gocsp__netpoll_take_short_read(int fd, uint32_t *mark);
void gocsp__netpoll_short_read_found(int fd, bool nothing);

/* Readiness of fd right now (poll(2) with no timeout): the ready events
 * among `events`, 0 if none, or -errno. */
int gocsp__poll_now(int fd, int events);

/* True once the epoll instance exists (someone waited on an fd). */
bool gocsp__netpoll_active(void);

/*
 * Collect ready fds and wake their waiters.  until: 0 don't block, < 0
 * block, else block at most until that monotonic time.  Returns the number
 * of waiters woken.  Only one thread blocks in it at a time (sched.c).
 */
int gocsp__netpoll(int64_t until);

/* Make a blocking gocsp__netpoll return now. */
void gocsp__netpoll_break(void);

/* What io.c learned of fd's number, kept in the netpoller's per-fd
 * table so that a read or a write need not ask the kernel again. */
enum gocsp__fd_hint {
	GOCSP__FD_UNKNOWN,
	/* Seen as a socket: the number may have been closed and reused
	 * since, which the next recv or send notices (ENOTSOCK). */
	GOCSP__FD_SOCKET,
	/* Owned, pollable, no socket: holds until gocsp_close. */
	GOCSP__FD_OWNED_POLLABLE,
};
void gocsp__netpoll_remember_socket(int fd, bool socket);
enum gocsp__fd_hint gocsp__netpoll_fd_hint(int fd);

/* Gs waiting on fds right now (a hint for the scheduler). */
long gocsp__netpoll_waiters(void);

#endif /* GOCSP_NETPOLL_H */
