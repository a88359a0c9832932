/*
 * echo_server: a TCP echo server with one coroutine per connection.
 *
 * This is the shape of a Go network server, in C: an accept loop that
 * starts a coroutine for each connection, and a connection coroutine that
 * is plain straight-line code, read then write then read again.  There
 * are no callbacks and no state machine.  gocsp_read, gocsp_write and
 * gocsp_accept look like blocking calls, but when the socket is not ready
 * they park only the calling coroutine in the netpoller (epoll) and the
 * worker thread goes on running the other connections.  So a few worker
 * threads (GOCSP_MAXPROCS, by default one per CPU) serve thousands of
 * connections.
 *
 * usage: echo_server [PORT] [--max-conns N]
 *
 *   PORT         TCP port on 127.0.0.1 (default 7777; 0 lets the kernel
 *                choose one, which is printed)
 *   --max-conns  stop accepting after N connections, wait until they have
 *                all closed, print a summary and exit (for demos and
 *                benchmarks); without it the server runs until killed
 *
 * Try it:  echo_server 7777 &   then   echo_client -p 7777
 *     or:  nc 127.0.0.1 7777     (type lines: they come back)
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gocsp/gocsp.h>

struct server {
	int             listen_fd;
	int             port;
	long            max_conns; /* 0: no limit */
	gocsp_waitgroup conns;     /* connection coroutines still running */
	atomic_long     served;    /* connections closed so far */
	atomic_llong    bytes;     /* bytes echoed, all connections */
};

/* What a connection coroutine gets: its socket and the server. */
struct conn {
	struct server *srv;
	int            fd;
};

/*
 * One connection, start to end.  Reads whatever has arrived and writes it
 * back, until the client closes its end (gocsp_read returns 0) or an error.
 */
static void
serve_conn(void *arg)
{
	struct conn   *c = arg;
	struct server *srv = c->srv;
	char           buf[4096]; /* on this coroutine's own stack */
	long long      echoed = 0;
	int            one = 1;

	/* Send small replies at once instead of letting Nagle's algorithm
	 * batch them (Go sets this on every TCP connection too). */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* The connection is this coroutine's alone, as a Go net.Conn owns
	 * its socket: registered with the netpoller once, which saves a
	 * system call on every wait, and closed with gocsp_close. */
	gocsp_fd_own(c->fd);

	for (;;) {
		/* Parks this coroutine until the client sends something. */
		ssize_t n = gocsp_read(c->fd, buf, sizeof buf);
		if (n <= 0)
			break; /* 0: the client closed; < 0: -errno */
		/* gocsp_write writes all n bytes, parking if the socket's
		 * send buffer is full, or reports an error. */
		if (gocsp_write(c->fd, buf, (size_t) n) != n)
			break;
		echoed += n;
	}

	gocsp_close(c->fd);
	free(c);
	atomic_fetch_add(&srv->bytes, echoed);
	atomic_fetch_add(&srv->served, 1);
	gocsp_wg_done(&srv->conns);
}

/* A socket listening on 127.0.0.1:port; sets *bound to the real port. */
static int
listen_loopback(int port, int *bound)
{
	struct sockaddr_in addr;
	socklen_t          len = sizeof addr;
	int                one = 1;
	int                fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* Restarting the server must not wait for old connections' TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t) port);
	if (bind(fd, (struct sockaddr *) &addr, sizeof addr) < 0 ||
	    listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *) &addr, &len) < 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(addr.sin_port);
	return fd;
}

/* The main coroutine: the accept loop. */
static void
serve(void *arg)
{
	struct server *srv = arg;
	long           accepted = 0;

	printf("echo_server: listening on 127.0.0.1:%d (GOCSP_MAXPROCS=%d)\n",
	    srv->port, gocsp_maxprocs(0));
	fflush(stdout); /* a script may be waiting for that line */

	while (srv->max_conns == 0 || accepted < srv->max_conns) {
		struct conn *c;
		/* Parks until a client connects; the new socket is already
		 * non-blocking, ready for gocsp_read/gocsp_write. */
		int fd = gocsp_accept(srv->listen_fd, NULL, NULL);
		if (fd < 0) {
			fprintf(stderr, "echo_server: accept: %s\n",
			    gocsp_strerror(fd));
			if (fd == -EMFILE || fd == -ENFILE)
				gocsp_sleep(GOCSP_MS(10)); /* let some close */
			continue;
		}
		accepted++;

		c = malloc(sizeof *c);
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->srv = srv;
		c->fd = fd;
		/* Add before the coroutine starts: it may finish (and call
		 * Done) before this loop gets to run again. */
		gocsp_wg_add(&srv->conns, 1);
		if (gocsp_go(serve_conn, c) < 0) {
			gocsp_wg_done(&srv->conns);
			close(fd);
			free(c);
		}
	}

	/* --max-conns: no new connections; let the open ones finish. */
	close(srv->listen_fd);
	gocsp_wg_wait(&srv->conns);
	printf("echo_server: served %ld connections, echoed %lld bytes\n",
	    atomic_load(&srv->served), (long long) atomic_load(&srv->bytes));
}

int
main(int argc, char **argv)
{
	struct server srv;
	int           port = 7777, i, rc;

	memset(&srv, 0, sizeof srv);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--max-conns") == 0 && i + 1 < argc) {
			srv.max_conns = atol(argv[++i]);
			if (srv.max_conns <= 0)
				goto usage;
		} else if (argv[i][0] >= '0' && argv[i][0] <= '9') {
			port = atoi(argv[i]);
			if (port > 65535)
				goto usage;
		} else {
			goto usage;
		}
	}

	/* A client that disconnects while we write must give us EPIPE,
	 * not kill the whole server with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	srv.listen_fd = listen_loopback(port, &srv.port);
	if (srv.listen_fd < 0) {
		fprintf(stderr, "echo_server: cannot listen on 127.0.0.1:%d: "
		                "%s\n",
		    port, strerror(errno));
		return 1;
	}
	rc = gocsp_run(serve, &srv);
	if (rc < 0) {
		fprintf(stderr, "echo_server: %s\n", gocsp_strerror(rc));
		return 1;
	}
	return 0;

usage:
	fprintf(stderr, "usage: echo_server [PORT] [--max-conns N]\n");
	return 2;
}
