/*
 * echo_client: a load generator for echo_server (or any TCP echo server).
 *
 * It opens C connections, each driven by its own coroutine, and each
 * coroutine makes R request/response round trips: write S bytes, read the
 * S bytes echoed back, check them.  Every round trip is timed with
 * gocsp_now(); at the end the program prints requests per second and the
 * median (p50) and 99th percentile (p99) latency.
 *
 * The coroutine code reads like a blocking client for a single connection;
 * the runtime's netpoller multiplexes all C of them over a few threads.
 * Timing starts once every connection is open, so connecting is not
 * counted; a closed channel tells all the coroutines to start at once.
 *
 * usage: echo_client [-c CONNS] [-n REQUESTS] [-s SIZE] [-r RATE] [-p PORT]
 *                    [HOST]
 *
 *   -c  connections, each its own coroutine (default 64)
 *   -n  round trips per connection (default 10000)
 *   -s  bytes per request (default 64, at most 65536)
 *   -r  requests per second over all connections, each connection
 *       sending on its own fixed schedule (default 0: each sends its next
 *       request as soon as the last is answered)
 *   -p  port (default 7777); HOST is an IPv4 address (default 127.0.0.1)
 *
 * With -r the load is offered whether or not the server keeps up, and a
 * round trip is timed from when its request was due, so a server that
 * falls behind shows it in the latencies (not only in the rate).
 *
 * The last line is for scripts (tests/bench/echo.sh):
 *   echo requests_per_s=... p50_us=... p99_us=... max_us=... errors=... ...
 * The exit status is 1 if any connection failed or got a wrong echo.
 */
#define _POSIX_C_SOURCE 200809L /* getopt under -std=c11 */
#include <arpa/inet.h>
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

struct load {
	struct sockaddr_in addr;
	long               conns, requests;
	size_t             size;
	int64_t            interval;  /* -r: ns between a connection's
	                                 requests; 0: back to back */
	gocsp_chan        *start;     /* closed when every connection is open */
	gocsp_waitgroup    connected; /* connections that tried to connect */
	gocsp_waitgroup    finished;  /* connection coroutines that are done */
	int64_t           *latency;   /* conns * requests ns; 0: not done */
	atomic_long        errors;
};

struct worker {
	struct load *load;
	long         id;
};

/* Read exactly n bytes: n, 0 if the server closed first, or -errno. */
static ssize_t
read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = gocsp_read(fd, buf + got, n - got);
		if (r <= 0)
			return r;
		got += (size_t) r;
	}
	return (ssize_t) got;
}

/* Report an error, but only the first few: 64 identical lines help no one. */
static void
report(struct load *l, long id, const char *what, long code)
{
	if (atomic_fetch_add(&l->errors, 1) < 5)
		fprintf(stderr, "echo_client: connection %ld: %s: %s\n", id,
		    what, code < 0 ? gocsp_strerror((int) code) : "short");
}

/* One connection: connect, wait for the start, then R round trips. */
static void
worker(void *arg)
{
	struct worker *w = arg;
	struct load   *l = w->load;
	int64_t       *lat = l->latency + w->id * l->requests;
	char          *out = malloc(l->size), *in = malloc(l->size);
	int            one = 1, fd, rc;
	long           i;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* gocsp_connect parks until the TCP handshake is done. */
	rc = fd < 0 ? -1 : gocsp_connect(fd, (struct sockaddr *) &l->addr,
	                       sizeof l->addr);
	gocsp_wg_done(&l->connected);
	if (out == NULL || in == NULL || rc < 0) {
		report(l, w->id, "connect", rc);
		goto out;
	}
	/* Each request is one small write: send it now, no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

	/* Receiving from a closed channel returns at once (GOCSP_ECLOSED):
	 * closing it is a broadcast to every waiting coroutine. */
	gocsp_chan_recv(l->start, NULL);
	/* -r: the connections' schedules are spread over one interval. */
	int64_t due = gocsp_now() + l->interval * w->id / l->conns;

	for (i = 0; i < l->requests; i++) {
		int64_t t0;
		ssize_t r;

		memset(out, (int) ('a' + (w->id + i) % 26), l->size);
		t0 = gocsp_now();
		if (l->interval > 0) {
			if (t0 < due)
				gocsp_sleep(due - t0);
			t0 = due;
			due += l->interval;
		}
		r = gocsp_write(fd, out, l->size);
		if (r != (ssize_t) l->size) {
			report(l, w->id, "write", (long) r);
			break;
		}
		r = read_full(fd, in, l->size);
		if (r != (ssize_t) l->size) {
			report(l, w->id, "read", (long) r);
			break;
		}
		lat[i] = gocsp_now() - t0;
		if (memcmp(in, out, l->size) != 0) {
			report(l, w->id, "echo differs", 0);
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(out);
	free(in);
	gocsp_wg_done(&l->finished);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return (x > y) - (x < y);
}

/* The main coroutine: start the workers, time them, summarize. */
static void
run_load(void *arg)
{
	struct load   *l = arg;
	struct worker *ws = calloc((size_t) l->conns, sizeof *ws);
	long           total = l->conns * l->requests, n = 0, i;
	int64_t        t0, elapsed;

	l->start = gocsp_chan_make(0, 0); /* signal-only */
	if (ws == NULL || l->start == NULL) {
		fprintf(stderr, "echo_client: out of memory\n");
		exit(1);
	}
	gocsp_wg_add(&l->connected, (int) l->conns);
	gocsp_wg_add(&l->finished, (int) l->conns);
	for (i = 0; i < l->conns; i++) {
		ws[i].load = l;
		ws[i].id = i;
		if (gocsp_go(worker, &ws[i]) < 0) {
			fprintf(stderr, "echo_client: cannot start a "
			                "coroutine\n");
			exit(1);
		}
	}

	gocsp_wg_wait(&l->connected); /* every connection open (or failed) */
	t0 = gocsp_now();
	gocsp_chan_close(l->start); /* go! */
	gocsp_wg_wait(&l->finished);
	elapsed = gocsp_now() - t0;

	/* Latencies of the round trips that completed, sorted. */
	for (i = 0; i < total; i++)
		if (l->latency[i] > 0)
			l->latency[n++] = l->latency[i];
	qsort(l->latency, (size_t) n, sizeof l->latency[0], cmp_i64);

	printf("%ld connections x %ld requests of %zu bytes: %ld round trips "
	       "in %.3f s\n",
	    l->conns, l->requests, l->size, n, (double) elapsed / 1e9);
	if (n > 0) {
		double rps = (double) n * 1e9 / (double) elapsed;
		double p50 = (double) l->latency[n / 2] / 1e3;
		double p99 = (double) l->latency[(n * 99) / 100] / 1e3;
		double max = (double) l->latency[n - 1] / 1e3;
		printf("%.0f requests/s, latency p50 %.1f us, p99 %.1f us, "
		       "max %.1f us\n",
		    rps, p50, p99, max);
		printf("echo requests_per_s=%.0f p50_us=%.1f p99_us=%.1f "
		       "max_us=%.1f errors=%ld conns=%ld requests=%ld size=%zu "
		       "procs=%d\n",
		    rps, p50, p99, max, atomic_load(&l->errors), l->conns,
		    l->requests, l->size, gocsp_maxprocs(0));
	}
	gocsp_chan_release(l->start);
	free(ws);
}

int
main(int argc, char **argv)
{
	struct load l;
	const char *host = "127.0.0.1";
	int         port = 7777, opt, rc;
	double      rate = 0;

	memset(&l, 0, sizeof l);
	l.conns = 64;
	l.requests = 10000;
	l.size = 64;
	while ((opt = getopt(argc, argv, "c:n:s:r:p:")) != -1) {
		switch (opt) {
		case 'c': l.conns = atol(optarg); break;
		case 'n': l.requests = atol(optarg); break;
		case 's': l.size = (size_t) atol(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'p': port = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (optind < argc)
		host = argv[optind++];
	if (optind < argc || l.conns <= 0 || l.requests <= 0 || l.size == 0 ||
	    l.size > 65536 || port <= 0 || port > 65535 || !(rate >= 0) ||
	    rate > 1e9)
		goto usage;
	if (rate > 0)
		l.interval = (int64_t) ((double) l.conns * 1e9 / rate);
	l.addr.sin_family = AF_INET;
	l.addr.sin_port = htons((uint16_t) port);
	if (inet_pton(AF_INET, host, &l.addr.sin_addr) != 1)
		goto usage;

	l.latency = calloc((size_t) (l.conns * l.requests), sizeof(int64_t));
	if (l.latency == NULL) {
		fprintf(stderr, "echo_client: out of memory\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN); /* a dead server gives EPIPE instead */
	rc = gocsp_run(run_load, &l);
	free(l.latency);
	if (rc < 0) {
		fprintf(stderr, "echo_client: %s\n", gocsp_strerror(rc));
		return 1;
	}
	return atomic_load(&l.errors) == 0 ? 0 : 1;

usage:
	fprintf(stderr, "usage: echo_client [-c CONNS] [-n REQUESTS] "
	                "[-s SIZE] [-r RATE] [-p PORT] [HOST]\n");
	return 2;
}
