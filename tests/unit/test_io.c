/*
 * Coroutine-aware I/O (the netpoller): a coroutine waiting on an fd does
 * not stop the others; gocsp_wait_fd's results (ready events, timeouts,
 * timeout 0, bad fds, level-triggered readiness); gocsp_read/gocsp_write
 * over pipes and socketpairs between coroutines and between a coroutine
 * and a plain thread, large writes that need many waits, end of file, a
 * closed peer (partial count, -EPIPE); regular files; TCP accept/connect
 * on loopback with an echo coroutine per connection, and 10,000
 * concurrent loopback connections served by one process.
 *
 * The 10,000-connection case needs about 20,000 descriptors in one
 * process, or about 10,000 in each of two: it raises RLIMIT_NOFILE to the
 * hard limit and, when that is too low for one process, runs the clients
 * in a second process (this program again, "--child io-clients PORT N").
 * It skips, saying why, when even that does not fit.  Sanitizer builds use
 * 1,000 connections.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

/* The 10,000-connection case may wait on SYN retransmits (1 s, 3 s). */
#define GT_CASE_SECONDS 60
#include "gocsp_test.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

/* The byte at offset off of every test stream: readers check each byte. */
static inline unsigned char
pat(uint64_t off)
{
	return (unsigned char) ((off * 131u) ^ (off >> 9) ^ (off >> 17));
}

static void
fill(unsigned char *buf, uint64_t off, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		buf[i] = pat(off + i);
}

/* Index of the first byte of buf that is not the pattern at off, or n. */
static size_t
mismatch(const unsigned char *buf, uint64_t off, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (buf[i] != pat(off + i))
			return i;
	return n;
}

static void
nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void
make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) != 0) {
		perror("pipe2");
		abort();
	}
}

static void
make_socketpair(int fds[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
		perror("socketpair");
		abort();
	}
}

/* A counter coroutine: proof that the scheduler keeps running others. */
struct counter {
	atomic_long n;
	atomic_int stop;
	gocsp_waitgroup wg;
};

static void
counter_co(void *arg)
{
	struct counter *c = arg;
	while (!atomic_load(&c->stop)) {
		atomic_fetch_add(&c->n, 1);
		gocsp_yield();
	}
	gocsp_wg_done(&c->wg);
}

static void
counter_start(struct counter *c)
{
	atomic_store(&c->n, 0);
	atomic_store(&c->stop, 0);
	memset(&c->wg, 0, sizeof c->wg);
	gocsp_wg_add(&c->wg, 1);
	GO(counter_co, c);
}

static long
counter_stop(struct counter *c)
{
	atomic_store(&c->stop, 1);
	gocsp_wg_wait(&c->wg);
	return atomic_load(&c->n);
}

/* A stream endpoint: write or read `total` pattern bytes in chunks. */
struct stream {
	int fd;
	size_t total;
	size_t chunk;    /* bytes per call; 0: the whole stream at once */
	int close_after; /* close fd when done */
	ssize_t result;  /* writer: sum of returns; reader: bytes read */
	size_t bad_at;   /* reader: offset of the first wrong byte, or total */
	int eof;         /* reader: saw end of file (read returned 0) */
	gocsp_waitgroup *wg;
};

static void
stream_write(struct stream *s)
{
	size_t chunk = s->chunk ? s->chunk : s->total;
	unsigned char *buf = malloc(chunk);
	size_t off = 0;
	s->result = 0;
	if (buf == NULL)
		abort();
	while (off < s->total) {
		size_t n = s->total - off < chunk ? s->total - off : chunk;
		ssize_t r;
		fill(buf, off, n);
		r = gocsp_write(s->fd, buf, n);
		if (r != (ssize_t) n) {
			gt_failf(__FILE__, __LINE__,
			    "gocsp_write(%zu) at %zu returned %zd (%s)", n,
			    off, r, r < 0 ? gocsp_strerror((int) r) : "short");
			break;
		}
		off += n;
		s->result += r;
	}
	free(buf);
	if (s->close_after)
		close(s->fd);
}

/* Reads until end of file or total bytes; checks every byte. */
static void
stream_read(struct stream *s)
{
	size_t chunk = s->chunk ? s->chunk : 65536;
	unsigned char *buf = malloc(chunk);
	size_t off = 0;
	if (buf == NULL)
		abort();
	s->bad_at = s->total;
	s->eof = 0;
	for (;;) {
		ssize_t r = gocsp_read(s->fd, buf, chunk);
		if (r == 0) {
			s->eof = 1;
			break;
		}
		if (r < 0) {
			gt_failf(__FILE__, __LINE__,
			    "gocsp_read at %zu returned %s", off,
			    gocsp_strerror((int) r));
			break;
		}
		if (s->bad_at == s->total) {
			size_t m = mismatch(buf, off, (size_t) r);
			if (m < (size_t) r)
				s->bad_at = off + m;
		}
		off += (size_t) r;
		if (!s->close_after && off >= s->total)
			break; /* a socketpair end that stays open */
	}
	s->result = (ssize_t) off;
	free(buf);
	if (s->close_after)
		close(s->fd);
}

static void
stream_write_co(void *arg)
{
	struct stream *s = arg;
	stream_write(s);
	gocsp_wg_done(s->wg);
}

static void
stream_read_co(void *arg)
{
	struct stream *s = arg;
	stream_read(s);
	gocsp_wg_done(s->wg);
}

static void *
stream_write_thread(void *arg)
{
	stream_write(arg);
	return NULL;
}

static void *
stream_read_thread(void *arg)
{
	stream_read(arg);
	return NULL;
}

/* A reader's verdict: every byte arrived, right, then end of file. */
static void
expect_stream_ok(const struct stream *rd, int want_eof)
{
	EXPECT_EQ(rd->result, rd->total);
	EXPECT_EQ(rd->bad_at, rd->total);
	if (want_eof)
		EXPECT_EQ(rd->eof, 1);
}

/* ---------------------------------------------------------------------- */
/* The netpoller keeps the scheduler running                               */
/* ---------------------------------------------------------------------- */

struct delayed_write {
	int fd;
	int ms;
};

static void *
delayed_write_thread(void *arg)
{
	struct delayed_write *d = arg;
	nap_ms(d->ms);
	if (write(d->fd, "w", 1) != 1)
		abort();
	return NULL;
}

struct pipe_reader {
	int fd;
	struct counter *cnt;
	long before, after; /* the counter around the read */
	ssize_t r;
	int64_t waited;
	gocsp_waitgroup wg;
};

static void
pipe_reader_co(void *arg)
{
	struct pipe_reader *pr = arg;
	char c = 0;
	int64_t t0 = gocsp_now();
	pr->before = atomic_load(&pr->cnt->n);
	pr->r = gocsp_read(pr->fd, &c, 1);
	pr->after = atomic_load(&pr->cnt->n);
	pr->waited = gt_since(t0);
	EXPECT_EQ(c, 'w');
	gocsp_wg_done(&pr->wg);
}

/*
 * With one processor, a coroutine blocked reading an empty pipe must park
 * in the netpoller: the counter coroutine keeps counting until a plain
 * thread writes 100 ms later.
 */
CO_CASE(test_io__netpoller_keeps_others_running)
{
	int prev = gocsp_maxprocs(1);
	struct counter cnt;
	struct pipe_reader pr = {0};
	struct delayed_write dw;
	int fds[2];
	pthread_t t;

	make_pipe(fds);
	counter_start(&cnt);
	pr.fd = fds[0];
	pr.cnt = &cnt;
	gocsp_wg_add(&pr.wg, 1);
	GO(pipe_reader_co, &pr);
	dw.fd = fds[1];
	dw.ms = 100;
	t = gt_thread(delayed_write_thread, &dw);
	gocsp_wg_wait(&pr.wg);
	pthread_join(t, NULL);
	counter_stop(&cnt);

	EXPECT_EQ(pr.r, 1);
	EXPECT_GE(pr.waited, GOCSP_MS(90));
	/* A yield costs well under a microsecond; 100 ms of waiting must
	 * leave the counter far ahead.  A blocked worker leaves it at 0. */
	EXPECT_GE(pr.after - pr.before, 1000);
	close(fds[0]);
	close(fds[1]);
	gocsp_maxprocs(prev);
}

/* ---------------------------------------------------------------------- */
/* gocsp_wait_fd                                                           */
/* ---------------------------------------------------------------------- */

/* The checks, run on a coroutine and on a plain thread. */
static void
wait_fd_checks(void)
{
	int fds[2], r;
	int64_t t0, el;
	struct delayed_write dw;
	pthread_t t;

	/* Bad arguments. */
	EXPECT_EQ(gocsp_wait_fd(0, 0, 0), GOCSP_EINVAL);
	EXPECT_EQ(gocsp_wait_fd(0, 4, 0), GOCSP_EINVAL);

	/* An empty pipe's write end is writable, its read end is not. */
	make_pipe(fds);
	EXPECT_EQ(gocsp_wait_fd(fds[1], GOCSP_WRITABLE, GOCSP_SEC(5)),
	    GOCSP_WRITABLE);
	EXPECT_EQ(gocsp_wait_fd(fds[0], GOCSP_READABLE, 0), GOCSP_EAGAIN);
	t0 = gocsp_now();
	r = gocsp_wait_fd(fds[0], GOCSP_READABLE, GOCSP_MS(50));
	el = gt_since(t0);
	EXPECT_EQ(r, GOCSP_ETIMEDOUT);
	EXPECT_GE(el, GOCSP_MS(50));
	EXPECT_LE(el, GOCSP_MS(50) + GT_SLACK);
	close(fds[0]);
	close(fds[1]);

	/* Data makes the read end readable; timeout 0 reports it. */
	make_pipe(fds);
	EXPECT_EQ(write(fds[1], "x", 1), 1);
	EXPECT_EQ(gocsp_wait_fd(fds[0], GOCSP_READABLE, 0), GOCSP_READABLE);
	close(fds[0]);
	close(fds[1]);
	make_pipe(fds);
	EXPECT_EQ(write(fds[1], "x", 1), 1);
	EXPECT_EQ(gocsp_wait_fd(fds[0], GOCSP_READABLE, GOCSP_SEC(5)),
	    GOCSP_READABLE);
	close(fds[0]);
	close(fds[1]);

	/* Only the events asked for are reported. */
	make_socketpair(fds);
	EXPECT_EQ(write(fds[1], "x", 1), 1);
	r = gocsp_wait_fd(fds[0], GOCSP_READABLE | GOCSP_WRITABLE,
	    GOCSP_SEC(5));
	EXPECT_EQ(r, GOCSP_READABLE | GOCSP_WRITABLE);
	close(fds[0]);
	close(fds[1]);
	make_socketpair(fds);
	r = gocsp_wait_fd(fds[0], GOCSP_READABLE | GOCSP_WRITABLE,
	    GOCSP_SEC(5));
	EXPECT_EQ(r, GOCSP_WRITABLE);
	close(fds[0]);
	close(fds[1]);

	/* A wait ends when data arrives from another thread. */
	make_pipe(fds);
	dw.fd = fds[1];
	dw.ms = 30;
	t0 = gocsp_now();
	t = gt_thread(delayed_write_thread, &dw);
	r = gocsp_wait_fd(fds[0], GOCSP_READABLE, GOCSP_SEC(10));
	el = gt_since(t0);
	pthread_join(t, NULL);
	EXPECT_EQ(r, GOCSP_READABLE);
	EXPECT_GE(el, GOCSP_MS(25));
	EXPECT_LE(el, GOCSP_MS(30) + GT_SLACK);
	close(fds[0]);
	close(fds[1]);

	/* A closed write end (hang-up) makes the read end readable. */
	make_pipe(fds);
	close(fds[1]);
	EXPECT_EQ(gocsp_wait_fd(fds[0], GOCSP_READABLE, GOCSP_SEC(5)),
	    GOCSP_READABLE);
	close(fds[0]);

	/* A descriptor that is not open. */
	make_pipe(fds);
	close(fds[0]);
	close(fds[1]);
	EXPECT_EQ(gocsp_wait_fd(fds[0], GOCSP_READABLE, 0), -EBADF);
	EXPECT_EQ(gocsp_wait_fd(fds[0], GOCSP_READABLE, GOCSP_MS(50)), -EBADF);
	EXPECT_EQ(gocsp_wait_fd(fds[1], GOCSP_WRITABLE, GOCSP_FOREVER),
	    -EBADF);
	EXPECT_EQ(gocsp_wait_fd(-1, GOCSP_READABLE, GOCSP_MS(50)), -EBADF);
}

CO_CASE(test_io__wait_fd_on_coroutine)
{
	wait_fd_checks();
}

static void
test_io__wait_fd_on_thread(void **state)
{
	(void) state;
	wait_fd_checks();
	gt_check();
}

/*
 * Readiness is a level: waiting again on an fd that is still ready (data
 * not read, buffer not full) returns at once, as poll(2) does, and an fd
 * whose data was read is not reported ready afterwards.
 */
static void
wait_fd_level_checks(void)
{
	int fds[2];
	char c;
	int64_t t0;

	make_pipe(fds);
	EXPECT_EQ(gocsp_wait_fd(fds[1], GOCSP_WRITABLE, GOCSP_MS(500)),
	    GOCSP_WRITABLE);
	EXPECT_EQ(gocsp_wait_fd(fds[1], GOCSP_WRITABLE, GOCSP_MS(500)),
	    GOCSP_WRITABLE);
	EXPECT_EQ(write(fds[1], "x", 1), 1);
	EXPECT_EQ(gocsp_wait_fd(fds[0], GOCSP_READABLE, GOCSP_MS(500)),
	    GOCSP_READABLE);
	EXPECT_EQ(gocsp_wait_fd(fds[0], GOCSP_READABLE, GOCSP_MS(500)),
	    GOCSP_READABLE);

	/* Read the byte, then make (and let the poller see) another edge
	 * that is consumed without waiting: the empty pipe is not ready. */
	EXPECT_EQ(gocsp_read(fds[0], &c, 1), 1);
	EXPECT_EQ(write(fds[1], "y", 1), 1);
	gocsp_sleep(GOCSP_MS(20));
	EXPECT_EQ(gocsp_read(fds[0], &c, 1), 1);
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_wait_fd(fds[0], GOCSP_READABLE, GOCSP_MS(100)),
	    GOCSP_ETIMEDOUT);
	EXPECT_GE(gt_since(t0), GOCSP_MS(100));
	close(fds[0]);
	close(fds[1]);
}

CO_CASE(test_io__wait_fd_level_on_coroutine)
{
	wait_fd_level_checks();
}

static void
test_io__wait_fd_level_on_thread(void **state)
{
	(void) state;
	wait_fd_level_checks();
	gt_check();
}

/* ---------------------------------------------------------------------- */
/* gocsp_read / gocsp_write                                                */
/* ---------------------------------------------------------------------- */

/* Pipes and socketpairs between two coroutines, in chunks of many sizes
 * (4 KiB pipes fill up: the writer waits), then end of file. */
CO_CASE(test_io__pipe_between_coroutines)
{
	size_t chunks[] = {1, 7, 4096, 65536, 300000};
	size_t k;
	int sp;

	for (sp = 0; sp < 2; sp++) {
		for (k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
			gocsp_waitgroup wg = {0};
			struct stream wr = {0}, rd = {0};
			int fds[2];
			if (sp)
				make_socketpair(fds);
			else
				make_pipe(fds);
			wr.fd = fds[1];
			wr.total = chunks[k] == 1 ? 20000 : 2u << 20;
			wr.chunk = chunks[k];
			wr.close_after = 1;
			wr.wg = &wg;
			rd.fd = fds[0];
			rd.total = wr.total;
			rd.chunk = chunks[k] < 1000 ? chunks[k] + 3 : 16384;
			rd.close_after = 1;
			rd.wg = &wg;
			gocsp_wg_add(&wg, 2);
			GO(stream_read_co, &rd);
			GO(stream_write_co, &wr);
			gocsp_wg_wait(&wg);
			EXPECT_EQ(wr.result, wr.total);
			expect_stream_ok(&rd, 1);
		}
	}
}

/* 8 MiB in one gocsp_write through a 64 KiB pipe: the writer waits many
 * times; the reader checks every byte. */
CO_CASE(test_io__large_write_pipe)
{
	gocsp_waitgroup wg = {0};
	struct stream wr = {0}, rd = {0};
	int fds[2];

	make_pipe(fds);
	wr.fd = fds[1];
	wr.total = 8u << 20;
	wr.chunk = 0; /* one call */
	wr.close_after = 1;
	wr.wg = &wg;
	rd.fd = fds[0];
	rd.total = wr.total;
	rd.chunk = 4096;
	rd.close_after = 1;
	rd.wg = &wg;
	gocsp_wg_add(&wg, 2);
	GO(stream_write_co, &wr);
	GO(stream_read_co, &rd);
	gocsp_wg_wait(&wg);
	EXPECT_EQ(wr.result, wr.total);
	expect_stream_ok(&rd, 1);
}

/* Both directions of a socketpair at once, 8 MiB each, one gocsp_write per
 * side: each writer must park while its reader drains, not block a worker
 * (with one processor a blocked worker would deadlock). */
CO_CASE(test_io__large_duplex_socketpair)
{
	int prev = gocsp_maxprocs(1);
	gocsp_waitgroup wg = {0};
	struct stream wr[2] = {{0}}, rd[2] = {{0}};
	int fds[2], i;

	make_socketpair(fds);
	for (i = 0; i < 2; i++) {
		wr[i].fd = fds[i];
		wr[i].total = 8u << 20;
		wr[i].chunk = 0;
		wr[i].wg = &wg;
		rd[i].fd = fds[1 - i];
		rd[i].total = wr[i].total;
		rd[i].chunk = 32768;
		rd[i].wg = &wg;
	}
	gocsp_wg_add(&wg, 4);
	for (i = 0; i < 2; i++) {
		GO(stream_write_co, &wr[i]);
		GO(stream_read_co, &rd[i]);
	}
	gocsp_wg_wait(&wg);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(wr[i].result, wr[i].total);
		expect_stream_ok(&rd[i], 0);
	}
	close(fds[0]);
	close(fds[1]);
	gocsp_maxprocs(prev);
}

/* A plain thread on one end, a coroutine on the other, both ways. */
CO_CASE(test_io__coroutine_and_thread)
{
	int dir, sp;
	for (sp = 0; sp < 2; sp++) {
		for (dir = 0; dir < 2; dir++) {
			gocsp_waitgroup wg = {0};
			struct stream wr = {0}, rd = {0};
			int fds[2];
			pthread_t t;
			if (sp)
				make_socketpair(fds);
			else
				make_pipe(fds);
			wr.fd = fds[1];
			wr.total = 4u << 20;
			wr.chunk = 100000;
			wr.close_after = 1;
			wr.wg = &wg;
			rd.fd = fds[0];
			rd.total = wr.total;
			rd.chunk = 8192;
			rd.close_after = 1;
			rd.wg = &wg;
			gocsp_wg_add(&wg, 1);
			if (dir == 0) { /* thread writes, coroutine reads */
				t = gt_thread(stream_write_thread, &wr);
				GO(stream_read_co, &rd);
			} else {
				t = gt_thread(stream_read_thread, &rd);
				GO(stream_write_co, &wr);
			}
			gocsp_wg_wait(&wg);
			pthread_join(t, NULL);
			EXPECT_EQ(wr.result, wr.total);
			expect_stream_ok(&rd, 1);
		}
	}
}

/* A request/response ping-pong over a socketpair: coroutine client, plain
 * thread server. */
static void *
echo_thread(void *arg)
{
	int fd = *(int *) arg;
	char buf[512];
	for (;;) {
		ssize_t r = gocsp_read(fd, buf, sizeof buf);
		if (r <= 0) {
			EXPECT_EQ(r, 0);
			break;
		}
		EXPECT_EQ(gocsp_write(fd, buf, (size_t) r), r);
	}
	close(fd);
	return NULL;
}

CO_CASE(test_io__pingpong_with_thread)
{
	int fds[2], i;
	pthread_t t;
	make_socketpair(fds);
	t = gt_thread(echo_thread, &fds[1]);
	for (i = 0; i < 2000; i++) {
		unsigned char out[64], in[64];
		size_t got = 0;
		fill(out, (uint64_t) i * 64, sizeof out);
		EXPECT_EQ(gocsp_write(fds[0], out, sizeof out), sizeof out);
		while (got < sizeof in) {
			ssize_t r =
			    gocsp_read(fds[0], in + got, sizeof in - got);
			if (r <= 0) {
				EXPECT(r > 0);
				break;
			}
			got += (size_t) r;
		}
		EXPECT_EQ(memcmp(in, out, sizeof in), 0);
	}
	close(fds[0]); /* the thread sees end of file */
	pthread_join(t, NULL);
}

/* End of file: a reader waiting on an empty pipe (or socket) gets 0 when
 * the other end closes, and again on every later read. */
CO_CASE(test_io__end_of_file)
{
	int sp;
	for (sp = 0; sp < 2; sp++) {
		int fds[2];
		char c;
		struct delayed_write dw;
		pthread_t t;
		if (sp)
			make_socketpair(fds);
		else
			make_pipe(fds);
		/* one byte from a thread, then a close from this coroutine's
		 * point of view later */
		dw.fd = fds[1];
		dw.ms = 20;
		t = gt_thread(delayed_write_thread, &dw);
		EXPECT_EQ(gocsp_read(fds[0], &c, 1), 1);
		pthread_join(t, NULL);
		close(fds[1]);
		EXPECT_EQ(gocsp_read(fds[0], &c, 1), 0);
		EXPECT_EQ(gocsp_read(fds[0], &c, 1), 0);
		close(fds[0]);
	}
	/* Closed while the reader is parked. */
	{
		struct stream rd = {0};
		gocsp_waitgroup wg = {0};
		int fds[2];
		make_pipe(fds);
		rd.fd = fds[0];
		rd.total = 0;
		rd.close_after = 1;
		rd.wg = &wg;
		gocsp_wg_add(&wg, 1);
		GO(stream_read_co, &rd);
		gocsp_sleep(GOCSP_MS(20));
		close(fds[1]);
		gocsp_wg_wait(&wg);
		EXPECT_EQ(rd.eof, 1);
		EXPECT_EQ(rd.result, 0);
	}
}

/* A closed peer: gocsp_write returns -EPIPE when nothing was written, or
 * the bytes written before the reader went away. */
struct partial_reader {
	int fd;
	size_t take; /* bytes to read before closing */
	gocsp_waitgroup *wg;
};

static void
partial_reader_co(void *arg)
{
	struct partial_reader *p = arg;
	unsigned char buf[4096];
	size_t got = 0;
	while (got < p->take) {
		size_t n =
		    p->take - got < sizeof buf ? p->take - got : sizeof buf;
		ssize_t r = gocsp_read(p->fd, buf, n);
		if (r <= 0) {
			EXPECT(r > 0);
			break;
		}
		got += (size_t) r;
	}
	close(p->fd);
	gocsp_wg_done(p->wg);
}

/* Read one byte from fd that a thread writes to wfd 20 ms from now (the
 * read parks), then one more written at once (the read does not park). */
static void
read_delayed_then_ready(int fd, int wfd)
{
	struct delayed_write dw = {.fd = wfd, .ms = 20};
	pthread_t t = gt_thread(delayed_write_thread, &dw);
	char c = 0;
	EXPECT_EQ(gocsp_read(fd, &c, 1), 1);
	EXPECT_EQ(c, 'w');
	pthread_join(t, NULL);
	EXPECT_EQ(gocsp_write(wfd, "n", 1), 1);
	EXPECT_EQ(gocsp_read(fd, &c, 1), 1);
	EXPECT_EQ(c, 'n');
	EXPECT(fcntl(fd, F_GETFL) & O_NONBLOCK);
}

/*
 * An fd number that was a socket, closed, and reused for a pipe (and back
 * again) reads and writes as what it now is: the runtime remembers which
 * numbers were sockets and must notice when one no longer is.
 */
CO_CASE(test_io__reused_fd_number)
{
	int sock[2], pipefd[2], num;

	make_socketpair(sock);
	num = sock[0];
	read_delayed_then_ready(num, sock[1]);
	close(sock[1]);

	/* The same number, now the read end of a blocking pipe (dup2 closes
	 * the socket it replaces, as a close and a reuse would). */
	make_pipe(pipefd);
	EXPECT_EQ(dup2(pipefd[0], num), num);
	close(pipefd[0]);
	EXPECT_EQ(fcntl(num, F_GETFL) & O_NONBLOCK, 0);
	read_delayed_then_ready(num, pipefd[1]);
	close(pipefd[1]);

	/* And a socket again, at the pipe's number. */
	make_socketpair(sock);
	EXPECT_EQ(dup2(sock[0], num), num);
	close(sock[0]);
	read_delayed_then_ready(num, sock[1]);
	/* Writes take the same path: the peer reads what num wrote. */
	EXPECT_EQ(gocsp_write(num, "x", 1), 1);
	char c = 0;
	EXPECT_EQ(gocsp_read(sock[1], &c, 1), 1);
	EXPECT_EQ(c, 'x');
	close(num);
	close(sock[1]);
}

/* A coroutine blocked on fd: a read of one byte, or a write of `n`
 * bytes; keeps the result. */
struct blocked_io {
	int fd;
	size_t n; /* 0: read */
	ssize_t result;
	gocsp_waitgroup *wg;
};

static void
blocked_io_co(void *arg)
{
	struct blocked_io *b = arg;
	if (b->n == 0) {
		char c;
		b->result = gocsp_read(b->fd, &c, 1);
	} else {
		char *buf = calloc(1, b->n);
		EXPECT(buf != NULL);
		b->result = gocsp_write(b->fd, buf, b->n);
		free(buf);
	}
	gocsp_wg_done(b->wg);
}

/*
 * Go's conn.Close() wakes the reads and writes blocked on it.  Closing an
 * fd cannot (the kernel drops it from epoll without an event), but
 * shutdown(2) can, and the header says so: the blocked read returns 0
 * (end of file) and the blocked write what it wrote, or -EPIPE.
 */
CO_CASE(test_io__shutdown_wakes_blocked_io)
{
	int rd[2], wr[2];
	gocsp_waitgroup wg = {0};

	make_socketpair(rd);
	make_socketpair(wr);
	struct blocked_io r = {.fd = rd[0], .wg = &wg};
	/* More than both socket buffers hold: the write parks. */
	struct blocked_io w = {.fd = wr[0], .n = 8 << 20, .wg = &wg};
	gocsp_wg_add(&wg, 2);
	GO(blocked_io_co, &r);
	GO(blocked_io_co, &w);
	gocsp_sleep(GOCSP_MS(20)); /* both park */
	int64_t t0 = gocsp_now();
	EXPECT_EQ(shutdown(rd[0], SHUT_RDWR), 0);
	EXPECT_EQ(shutdown(wr[0], SHUT_RDWR), 0);
	gocsp_wg_wait(&wg);
	EXPECT_LE(gt_since(t0), GT_SLACK);
	EXPECT_EQ(r.result, 0);
	EXPECT(
	    w.result == -EPIPE || (w.result > 0 && (size_t) w.result < w.n));
	close(rd[0]);
	close(rd[1]);
	close(wr[0]);
	close(wr[1]);
}

CO_CASE(test_io__write_closed_peer)
{
	int sp;
	for (sp = 0; sp < 2; sp++) {
		int fds[2];
		size_t big = 4u << 20, take = 100000;
		unsigned char *buf = malloc(big);
		struct partial_reader pr;
		gocsp_waitgroup wg = {0};
		ssize_t r;

		if (buf == NULL)
			abort();
		fill(buf, 0, big);
		/* Nothing written: -EPIPE. */
		if (sp)
			make_socketpair(fds);
		else
			make_pipe(fds);
		close(fds[0]);
		EXPECT_EQ(gocsp_write(fds[1], buf, 10), -EPIPE);
		close(fds[1]);

		/* The reader takes 100,000 bytes and closes while the writer
		 * is parked on a full buffer. */
		if (sp)
			make_socketpair(fds);
		else
			make_pipe(fds);
		pr.fd = fds[0];
		pr.take = take;
		pr.wg = &wg;
		gocsp_wg_add(&wg, 1);
		GO(partial_reader_co, &pr);
		r = gocsp_write(fds[1], buf, big);
		gocsp_wg_wait(&wg);
		EXPECT_GE(r, (ssize_t) take);
		EXPECT(r < (ssize_t) big);
		/* and the next write fails outright */
		EXPECT_EQ(gocsp_write(fds[1], buf, 10), -EPIPE);
		close(fds[1]);
		free(buf);
	}
}

/*
 * A socket whose peer closed: gocsp_write returns -EPIPE with SIGPIPE at
 * its default action (which kills the process on a plain write).  Runs in
 * a fresh process, since this one ignores SIGPIPE.
 */
static void
write_closed_socket_co(void *arg)
{
	int fds[2];
	int *result = arg;
	make_socketpair(fds);
	close(fds[0]);
	*result = (int) gocsp_write(fds[1], "x", 1);
	close(fds[1]);
}

static int
child_write_closed_socket(void)
{
	int result = 0;
	signal(SIGPIPE, SIG_DFL);
	if (gocsp_run(write_closed_socket_co, &result) != 0)
		return 3;
	fprintf(stderr, "gocsp_write: %d\n", result);
	return result == -EPIPE ? 0 : 1;
}

static void
test_io__write_closed_socket_no_sigpipe(void **state)
{
	char err[512];
	int status;
	(void) state;
	status = gt_child("write-closed-socket", err, sizeof err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child status %#x (signal %d), stderr: %s", status,
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0, err);
}

/* A regular file is not pollable: its reads and writes block a worker,
 * which hands its processor on first.  The data must be right, and with
 * one processor the counter coroutine still runs while a coroutine writes
 * and reads the file in many calls. */
struct file_job {
	int fd;
	size_t total, chunk;
	struct counter *cnt;
	long progress; /* the counter's advance during the job */
	gocsp_waitgroup wg;
};

static void
file_job_co(void *arg)
{
	struct file_job *j = arg;
	unsigned char *buf = malloc(j->chunk);
	long start = atomic_load(&j->cnt->n);
	size_t off = 0, bad = j->total;
	ssize_t r;
	if (buf == NULL)
		abort();
	for (off = 0; off < j->total; off += j->chunk) {
		fill(buf, off, j->chunk);
		r = gocsp_write(j->fd, buf, j->chunk);
		EXPECT_EQ(r, j->chunk);
		if (r != (ssize_t) j->chunk)
			break;
	}
	EXPECT_EQ(lseek(j->fd, 0, SEEK_SET), 0);
	off = 0;
	for (;;) {
		r = gocsp_read(j->fd, buf, j->chunk);
		if (r <= 0) {
			EXPECT_EQ(r, 0);
			break;
		}
		if (bad == j->total &&
		    mismatch(buf, off, (size_t) r) < (size_t) r)
			bad = off + mismatch(buf, off, (size_t) r);
		off += (size_t) r;
	}
	EXPECT_EQ(off, j->total);
	EXPECT_EQ(bad, j->total);
	/* The file stays blocking (it is not made non-blocking). */
	EXPECT_EQ(fcntl(j->fd, F_GETFL) & O_NONBLOCK, 0);
	j->progress = atomic_load(&j->cnt->n) - start;
	free(buf);
	gocsp_wg_done(&j->wg);
}

CO_CASE(test_io__regular_file)
{
	int prev = gocsp_maxprocs(1);
	char path[] = "/tmp/gocsp-test-io-XXXXXX";
	struct counter cnt;
	struct file_job j = {0};
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		EXPECT(fd >= 0);
		gocsp_maxprocs(prev);
		return;
	}
	unlink(path);
	counter_start(&cnt);
	j.fd = fd;
	j.chunk = 16384;
	j.total = (size_t) gt_n(32 << 20, 4 << 20);
	j.cnt = &cnt;
	gocsp_wg_add(&j.wg, 1);
	GO(file_job_co, &j);
	gocsp_wg_wait(&j.wg);
	counter_stop(&cnt);
	/* With one processor and no preemption, the counter can run during
	 * the job only if the blocking calls hand the processor over. */
	EXPECT_GE(j.progress, 1);
	close(fd);
	gocsp_maxprocs(prev);
}

/* ---------------------------------------------------------------------- */
/* TCP on loopback                                                         */
/* ---------------------------------------------------------------------- */

/* A listening socket on 127.0.0.1, port chosen by the kernel. */
static int
tcp_listen(int *port)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof a;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *) &a, sizeof a) != 0 ||
	    listen(fd, SOMAXCONN) != 0 ||
	    getsockname(fd, (struct sockaddr *) &a, &len) != 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* Connect to 127.0.0.1:port with gocsp_connect; fd or -errno. */
static int
tcp_dial(int port)
{
	struct sockaddr_in a = {0};
	int one = 1, r;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t) port);
	r = gocsp_connect(fd, (struct sockaddr *) &a, sizeof a);
	if (r < 0) {
		close(fd);
		return r;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* Read exactly n bytes: n, 0 at end of file, or -errno. */
static ssize_t
read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = gocsp_read(fd, (char *) buf + got, n - got);
		if (r <= 0)
			return r;
		got += (size_t) r;
	}
	return (ssize_t) got;
}

/*
 * Short reads.  After a read of a TCP socket that returned less than it
 * asked for, gocsp_read may wait before reading again (netpoll.c, "Short
 * reads"): once the socket is registered (a read has waited), and once
 * enough reads after a short read in a row found nothing.  Each case below
 * first makes TRAIN_ROUNDS such reads (the hint is then used: EMPTY_RUN 4,
 * RECHECK_EVERY 8), and hangs the next wait if one of its guards is
 * missing; every read here gives up after READ_LIMIT.
 */
#define READ_LIMIT GOCSP_MS(2000)
#define TRAIN_ROUNDS 6

/* A connected pair on loopback: *srv from gocsp_accept, *cli plain. */
static void
tcp_pair(int *srv, int *cli)
{
	int port = 0;
	int lfd = tcp_listen(&port);
	EXPECT_GE(lfd, 0);
	*cli = tcp_dial(port);
	EXPECT_GE(*cli, 0);
	*srv = gocsp_accept(lfd, NULL, NULL);
	EXPECT_GE(*srv, 0);
	close(lfd);
}

/* gocsp_read, bounded by READ_LIMIT. */
static ssize_t
read_limited(int fd, char *buf, size_t n)
{
	gocsp_ctx *ctx =
	    gocsp_ctx_with_timeout(gocsp_ctx_background(), READ_LIMIT);
	ssize_t r = gocsp_read_ctx(ctx, fd, buf, n);
	gocsp_ctx_release(ctx);
	return r;
}

/* Reads fd into got[] until end of file or an error (kept in r). */
struct short_reader {
	int fd;
	char got[64];
	size_t len;
	ssize_t r;
	gocsp_waitgroup wg;
};

static void
short_reader_co(void *arg)
{
	struct short_reader *sr = arg;
	while ((sr->r = read_limited(sr->fd, sr->got + sr->len,
	            sizeof sr->got - sr->len)) > 0)
		sr->len += (size_t) sr->r;
	gocsp_wg_done(&sr->wg);
}

/* Send TRAIN_ROUNDS single bytes "x" to a reader, letting it read each
 * one and wait again. */
static void
train(int cli)
{
	for (int i = 0; i < TRAIN_ROUNDS; i++) {
		gocsp_sleep(GOCSP_MS(5)); /* the reader waits */
		EXPECT_EQ(send(cli, "x", 1, 0), 1);
	}
	gocsp_sleep(GOCSP_MS(5));
}

/*
 * One edge brings everything while the reader waits: "abc" and the FIN in
 * one segment (held back by TCP_CORK), or "abc", an urgent "X" and "def".
 * The short read takes "abc" and the FIN, or stops at the urgent mark, and
 * no edge follows: the next wait must see the hang-up or the urgent data
 * in the edge the reader woke on.
 */
static void
short_read_last_edge(bool urgent)
{
	int prev = gocsp_maxprocs(1);
	struct short_reader sr = {0};
	int srv, cli, one = 1;

	tcp_pair(&srv, &cli);
	sr.fd = srv;
	gocsp_wg_add(&sr.wg, 1);
	GO(short_reader_co, &sr);
	train(cli);
	EXPECT_EQ(setsockopt(cli, IPPROTO_TCP, TCP_CORK, &one, sizeof one), 0);
	EXPECT_EQ(send(cli, "abc", 3, 0), 3);
	if (urgent) {
		/* A read stops before the urgent byte; the next skips it. */
		EXPECT_EQ(send(cli, "X", 1, MSG_OOB), 1);
		EXPECT_EQ(send(cli, "def", 3, 0), 3);
	}
	EXPECT_EQ(shutdown(cli, SHUT_WR), 0);
	gocsp_wg_wait(&sr.wg);
	EXPECT_EQ(sr.r, 0);
	EXPECT_EQ(sr.len, TRAIN_ROUNDS + (urgent ? 6u : 3u));
	EXPECT_EQ(
	    memcmp(sr.got + TRAIN_ROUNDS, "abcdef", sr.len - TRAIN_ROUNDS), 0);
	close(srv);
	close(cli);
	gocsp_maxprocs(prev);
}

CO_CASE(test_io__short_read_then_end_of_file)
{
	short_read_last_edge(false);
}

CO_CASE(test_io__short_read_then_urgent_data)
{
	short_read_last_edge(true);
}

/* Waits for fd to be readable once, without reading. */
struct watcher {
	int fd;
	int r;
	gocsp_waitgroup wg;
};

static void
watcher_co(void *arg)
{
	struct watcher *w = arg;
	w->r = gocsp_wait_fd(w->fd, GOCSP_READABLE, READ_LIMIT);
	gocsp_wg_done(&w->wg);
}

/* Reads TRAIN_ROUNDS + 1 times (each waits), naps, then reads again. */
struct napping_reader {
	int fd;
	ssize_t first, second; /* the sum of the first reads; the last */
	char buf[16];
	gocsp_waitgroup wg;
};

static void
napping_reader_co(void *arg)
{
	struct napping_reader *nr = arg;
	for (int i = 0; i <= TRAIN_ROUNDS; i++)
		nr->first += read_limited(nr->fd, nr->buf, sizeof nr->buf);
	gocsp_sleep(GOCSP_MS(50));
	nr->second = read_limited(nr->fd, nr->buf, sizeof nr->buf);
	gocsp_wg_done(&nr->wg);
}

/*
 * The edge that follows a short read goes to another coroutine waiting on
 * the same fd, which does not read: the reader's next read must not park,
 * or nothing would wake it.
 */
CO_CASE(test_io__short_read_edge_taken_by_other_waiter)
{
	int prev = gocsp_maxprocs(1);
	struct napping_reader nr = {0};
	struct watcher w = {0};
	int srv, cli;

	tcp_pair(&srv, &cli);
	nr.fd = w.fd = srv;
	gocsp_wg_add(&nr.wg, 1);
	GO(napping_reader_co, &nr);
	train(cli);
	EXPECT_EQ(send(cli, "a", 1, 0), 1);
	gocsp_sleep(GOCSP_MS(10)); /* it reads "a", short, and naps */
	gocsp_wg_add(&w.wg, 1);
	GO(watcher_co, &w);
	gocsp_sleep(GOCSP_MS(10)); /* the watcher parks */
	EXPECT_EQ(send(cli, "b", 1, 0), 1);
	gocsp_wg_wait(&w.wg);
	EXPECT_EQ(w.r, GOCSP_READABLE);
	gocsp_wg_wait(&nr.wg);
	EXPECT_EQ(nr.first, TRAIN_ROUNDS + 1);
	EXPECT_EQ(nr.second, 1);
	EXPECT_EQ(nr.buf[0], 'b');
	close(srv);
	close(cli);
	gocsp_maxprocs(prev);
}

/*
 * A TCP socket's number reused by a UDP socket holding three datagrams: a
 * short read of a datagram says nothing of the others, so the reads must
 * not keep the TCP socket's hint.
 */
CO_CASE(test_io__short_read_number_reused_by_udp)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof a;
	struct delayed_write dw;
	char buf[16];
	int srv, cli;

	/* Registered as TCP, with a short read's hint left behind and in
	 * use. */
	tcp_pair(&srv, &cli);
	dw.fd = cli;
	dw.ms = 5;
	for (int i = 0; i < TRAIN_ROUNDS; i++) {
		pthread_t t = gt_thread(delayed_write_thread, &dw);
		EXPECT_EQ(read_limited(srv, buf, sizeof buf), 1);
		pthread_join(t, NULL);
	}
	close(cli);

	int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int out = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	EXPECT(udp >= 0 && out >= 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	EXPECT_EQ(bind(udp, (struct sockaddr *) &a, sizeof a), 0);
	EXPECT_EQ(getsockname(udp, (struct sockaddr *) &a, &len), 0);
	EXPECT_EQ(dup2(udp, srv), srv); /* closes the TCP socket */
	close(udp);
	for (int i = 1; i <= 3; i++)
		EXPECT_EQ(sendto(out, "333", (size_t) i, 0,
		              (struct sockaddr *) &a, sizeof a),
		    i);
	for (int i = 1; i <= 3; i++)
		EXPECT_EQ(read_limited(srv, buf, sizeof buf), i);
	close(srv);
	close(out);
}

/* The server: an accept loop and an echo coroutine per connection. */
struct server {
	int lfd;
	long expect; /* accept this many, then return */
	atomic_long accepted, served, open, max_open, errors;
	atomic_llong bytes;
	gocsp_waitgroup wg; /* the accept loop and every echo coroutine */
};

struct conn {
	struct server *s;
	int fd;
};

static void
echo_co(void *arg)
{
	struct conn *c = arg;
	struct server *s = c->s;
	char buf[4096];
	int one = 1;
	long open = atomic_fetch_add(&s->open, 1) + 1;
	long max = atomic_load(&s->max_open);
	/* Echo partial reads at once: without this, Nagle holds the second
	 * part of a message until the first is acknowledged (40 ms). */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	while (open > max &&
	    !atomic_compare_exchange_weak(&s->max_open, &max, open))
		;
	for (;;) {
		ssize_t r = gocsp_read(c->fd, buf, sizeof buf);
		if (r == 0)
			break;
		if (r < 0 || gocsp_write(c->fd, buf, (size_t) r) != r) {
			if (atomic_fetch_add(&s->errors, 1) < 5)
				fprintf(stderr, "echo: %s\n",
				    gocsp_strerror((int) r));
			break;
		}
		atomic_fetch_add(&s->bytes, r);
	}
	atomic_fetch_sub(&s->open, 1);
	atomic_fetch_add(&s->served, 1);
	close(c->fd);
	free(c);
	gocsp_wg_done(&s->wg);
}

static void
accept_co(void *arg)
{
	struct server *s = arg;
	while (atomic_load(&s->accepted) < s->expect) {
		struct conn *c;
		int fd = gocsp_accept(s->lfd, NULL, NULL);
		if (fd < 0) {
			if (fd == -EMFILE || fd == -ENFILE) {
				fprintf(stderr, "accept: %s\n",
				    gocsp_strerror(fd));
				atomic_fetch_add(&s->errors, 1);
				break;
			}
			continue;
		}
		atomic_fetch_add(&s->accepted, 1);
		c = malloc(sizeof *c);
		if (c == NULL)
			abort();
		c->s = s;
		c->fd = fd;
		gocsp_wg_add(&s->wg, 1);
		if (gocsp_go(echo_co, c) != 0)
			abort();
	}
	gocsp_wg_done(&s->wg);
}

static int
server_start(struct server *s, long expect, int *port)
{
	memset(s, 0, sizeof *s);
	s->lfd = tcp_listen(port);
	if (s->lfd < 0)
		return s->lfd;
	s->expect = expect;
	gocsp_wg_add(&s->wg, 1);
	if (gocsp_go(accept_co, s) != 0)
		abort();
	return 0;
}

/* A client: rounds request/response round trips of size bytes. */
struct client {
	int port, id, rounds;
	size_t size;
	int ok;
	gocsp_waitgroup *wg;
};

static void
client_rounds(struct client *c)
{
	unsigned char out[8192], in[8192];
	int fd = tcp_dial(c->port), i;
	c->ok = 0;
	if (fd < 0) {
		gt_failf(__FILE__, __LINE__, "client %d: connect: %s", c->id,
		    gocsp_strerror(fd));
		return;
	}
	for (i = 0; i < c->rounds; i++) {
		uint64_t off = (uint64_t) c->id * 1000003u + (uint64_t) i;
		fill(out, off, c->size);
		if (gocsp_write(fd, out, c->size) != (ssize_t) c->size ||
		    read_full(fd, in, c->size) != (ssize_t) c->size ||
		    memcmp(in, out, c->size) != 0) {
			gt_failf(__FILE__, __LINE__,
			    "client %d: round %d failed", c->id, i);
			close(fd);
			return;
		}
	}
	close(fd);
	c->ok = 1;
}

static void
client_co(void *arg)
{
	struct client *c = arg;
	client_rounds(c);
	gocsp_wg_done(c->wg);
}

static void *
client_thread(void *arg)
{
	client_rounds(arg);
	return NULL;
}

/* Some clients (coroutines and a plain thread) against the echo server,
 * messages from 1 byte to 8 KiB. */
CO_CASE(test_io__tcp_echo)
{
	enum { NCO = 16 };
	size_t sizes[NCO] = {1, 2, 17, 64, 100, 512, 1000, 1460, 1500, 2048,
	    3000, 4096, 5000, 7000, 8000, 8192};
	struct server s;
	struct client cl[NCO + 1];
	gocsp_waitgroup wg = {0};
	pthread_t t;
	int port = 0, i;

	EXPECT_EQ(server_start(&s, NCO + 1, &port), 0);
	gocsp_wg_add(&wg, NCO);
	for (i = 0; i <= NCO; i++) {
		cl[i].port = port;
		cl[i].id = i;
		cl[i].rounds = 200;
		cl[i].size = i < NCO ? sizes[i] : 333;
		cl[i].wg = &wg;
		if (i < NCO)
			GO(client_co, &cl[i]);
	}
	t = gt_thread(client_thread, &cl[NCO]);
	gocsp_wg_wait(&wg);
	pthread_join(t, NULL);
	gocsp_wg_wait(&s.wg);
	for (i = 0; i <= NCO; i++)
		EXPECT_EQ(cl[i].ok, 1);
	EXPECT_EQ(atomic_load(&s.served), NCO + 1);
	EXPECT_EQ(atomic_load(&s.errors), 0);
	close(s.lfd);
}

/* Cancel a context ms milliseconds from now, from a plain thread. */
struct delayed_cancel {
	gocsp_ctx *ctx;
	int ms;
};

static void *
delayed_cancel_thread(void *arg)
{
	struct delayed_cancel *d = arg;
	nap_ms(d->ms);
	gocsp_ctx_cancel(d->ctx);
	return NULL;
}

/*
 * The _ctx calls end with their context: cancelled while waiting, past a
 * deadline, or done before the call, in which case no I/O happens even
 * if the fd is ready.  A live context changes nothing.
 */
static void
ctx_io_checks(void)
{
	gocsp_ctx *bg = gocsp_ctx_background(), *ctx;
	struct delayed_cancel dc;
	enum { BIG = 8 << 20 };
	char c = 0, *big;
	int fds[2], lfd, port = 0;
	pthread_t t;
	int64_t t0;
	ssize_t r;

	make_socketpair(fds);

	/* Cancelled from another thread while parked in the read. */
	ctx = gocsp_ctx_with_cancel(bg);
	dc = (struct delayed_cancel){.ctx = ctx, .ms = 20};
	t = gt_thread(delayed_cancel_thread, &dc);
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_read_ctx(ctx, fds[0], &c, 1), GOCSP_ECANCELED);
	EXPECT_GE(gt_since(t0), GOCSP_MS(15));
	pthread_join(t, NULL);
	/* Done before the call: nothing is read although data waits. */
	EXPECT_EQ(write(fds[1], "a", 1), 1);
	EXPECT_EQ(gocsp_read_ctx(ctx, fds[0], &c, 1), GOCSP_ECANCELED);
	EXPECT_EQ(gocsp_write_ctx(ctx, fds[1], "b", 1), GOCSP_ECANCELED);
	EXPECT_EQ(gocsp_wait_fd_ctx(ctx, fds[0], GOCSP_READABLE),
	    GOCSP_ECANCELED);
	gocsp_ctx_release(ctx);

	/* A live context, the background one and NULL do not interfere. */
	ctx = gocsp_ctx_with_cancel(bg);
	EXPECT_EQ(gocsp_wait_fd_ctx(ctx, fds[0], GOCSP_READABLE),
	    GOCSP_READABLE);
	EXPECT_EQ(gocsp_read_ctx(ctx, fds[0], &c, 1), 1);
	EXPECT_EQ(c, 'a');
	EXPECT_EQ(gocsp_write_ctx(bg, fds[1], "b", 1), 1);
	EXPECT_EQ(gocsp_read_ctx(NULL, fds[0], &c, 1), 1);
	EXPECT_EQ(c, 'b');
	gocsp_ctx_cancel(ctx);
	gocsp_ctx_release(ctx);

	/* Past a deadline: GOCSP_ETIMEDOUT, on time. */
	ctx = gocsp_ctx_with_timeout(bg, GOCSP_MS(30));
	t0 = gocsp_now();
	EXPECT_EQ(gocsp_wait_fd_ctx(ctx, fds[0], GOCSP_READABLE),
	    GOCSP_ETIMEDOUT);
	EXPECT_GE(gt_since(t0), GOCSP_MS(25));
	EXPECT_LE(gt_since(t0), GOCSP_MS(30) + GT_SLACK);
	gocsp_ctx_cancel(ctx);
	gocsp_ctx_release(ctx);

	/* A write that fills the socket: what got through is reported. */
	big = calloc(1, BIG);
	EXPECT(big != NULL);
	ctx = gocsp_ctx_with_timeout(bg, GOCSP_MS(30));
	r = gocsp_write_ctx(ctx, fds[1], big, BIG);
	EXPECT(r > 0 && r < BIG);
	gocsp_ctx_cancel(ctx);
	gocsp_ctx_release(ctx);
	free(big);
	close(fds[0]);
	close(fds[1]);

	/* accept with nobody connecting; connect with a done context. */
	lfd = tcp_listen(&port);
	EXPECT(lfd >= 0);
	ctx = gocsp_ctx_with_timeout(bg, GOCSP_MS(20));
	EXPECT_EQ(gocsp_accept_ctx(ctx, lfd, NULL, NULL), GOCSP_ETIMEDOUT);
	EXPECT_EQ(gocsp_connect_ctx(ctx, lfd, NULL, 0), GOCSP_ETIMEDOUT);
	gocsp_ctx_cancel(ctx);
	gocsp_ctx_release(ctx);
	close(lfd);
}

CO_CASE(test_io__ctx_on_coroutine)
{
	ctx_io_checks();
}

static void
test_io__ctx_on_thread(void **state)
{
	(void) state;
	ctx_io_checks();
	gt_check();
}

/* connect to a port nobody listens on: -ECONNREFUSED, on a coroutine. */
CO_CASE(test_io__connect_refused)
{
	int port = 0, fd;
	int lfd = tcp_listen(&port);
	EXPECT(lfd >= 0);
	close(lfd); /* the port is now free, and nobody listens */
	fd = tcp_dial(port);
	EXPECT_EQ(fd, -ECONNREFUSED);
	if (fd >= 0)
		close(fd);
}

/* ---------------------------------------------------------------------- */
/* 10,000 concurrent connections                                           */
/* ---------------------------------------------------------------------- */

/*
 * Each client connects, sends 100 bytes, checks the echo, and holds its
 * connection until every client has its echo; only then do they close.
 * So the server has every connection open at once (max_open == n).
 */
struct crowd {
	int port;
	long n;
	atomic_long ok, failed;
	gocsp_waitgroup connected, echoed, done;
};

struct crowd_member {
	struct crowd *cr;
	long id;
};

static void
crowd_member_co(void *arg)
{
	struct crowd_member *m = arg;
	struct crowd *cr = m->cr;
	unsigned char out[100], in[100];
	int fd = tcp_dial(cr->port);
	int good = 0;

	gocsp_wg_done(&cr->connected);
	if (fd >= 0) {
		fill(out, (uint64_t) m->id * 7919u, sizeof out);
		good = gocsp_write(fd, out, sizeof out) == sizeof out &&
		    read_full(fd, in, sizeof in) == sizeof in &&
		    memcmp(in, out, sizeof in) == 0;
	} else if (atomic_load(&cr->failed) < 5) {
		fprintf(stderr, "crowd client %ld: connect: %s\n", m->id,
		    gocsp_strerror(fd));
	}
	atomic_fetch_add(good ? &cr->ok : &cr->failed, 1);
	gocsp_wg_done(&cr->echoed);
	gocsp_wg_wait(&cr->echoed); /* all at once: hold the connection */
	if (fd >= 0)
		close(fd);
	gocsp_wg_done(&cr->done);
}

/* Run n clients against port; returns how many got their echo. */
static long
crowd_run(int port, long n)
{
	struct crowd cr;
	struct crowd_member *ms = calloc((size_t) n, sizeof *ms);
	long i, ok;
	if (ms == NULL)
		abort();
	memset(&cr, 0, sizeof cr);
	cr.port = port;
	cr.n = n;
	gocsp_wg_add(&cr.connected, (int) n);
	gocsp_wg_add(&cr.echoed, (int) n);
	gocsp_wg_add(&cr.done, (int) n);
	for (i = 0; i < n; i++) {
		ms[i].cr = &cr;
		ms[i].id = i;
		if (gocsp_go(crowd_member_co, &ms[i]) != 0)
			abort();
	}
	gocsp_wg_wait(&cr.done);
	ok = atomic_load(&cr.ok);
	if (ok != n)
		fprintf(stderr, "crowd: %ld of %ld clients got their echo\n",
		    ok, n);
	free(ms);
	return ok;
}

/* Raise the soft descriptor limit to the hard one; returns it. */
static long
raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1L << 30 : (long) rl.rlim_cur;
}

/* "--child io-clients PORT N": the clients, in a process of their own. */
struct child_args {
	int port;
	long n, ok;
};

static void
child_clients_main(void *arg)
{
	struct child_args *a = arg;
	a->ok = crowd_run(a->port, a->n);
}

static int
child_clients(int port, long n)
{
	struct child_args a = {port, n, 0};
	raise_nofile();
	alarm(GT_CASE_SECONDS * (GT_SANITIZED ? 8 : 1));
	if (gocsp_run(child_clients_main, &a) != 0)
		return 3;
	return a.ok == n ? 0 : 1;
}

static int child_write_closed_socket(void);

static int
child_main(const char *mode, char **args)
{
	if (strcmp(mode, "write-closed-socket") == 0)
		return child_write_closed_socket();
	if (strcmp(mode, "io-clients") != 0 || args[0] == NULL ||
	    args[1] == NULL)
		return 2;
	return child_clients(atoi(args[0]), atol(args[1]));
}

/* Start the child, wait for it (killing it after a deadline) in a plain
 * thread, and report its wait status on a channel. */
struct child_wait {
	int port;
	long n;
	gocsp_chan *status; /* int */
};

static void *
child_wait_thread(void *arg)
{
	struct child_wait *cw = arg;
	char port[16], n[24];
	int status = -1;
	int64_t deadline =
	    gocsp_now() + GOCSP_SEC(GT_CASE_SECONDS * (GT_SANITIZED ? 8 : 1));
	pid_t pid;
	snprintf(port, sizeof port, "%d", cw->port);
	snprintf(n, sizeof n, "%ld", cw->n);
	pid = fork();
	if (pid < 0) {
		perror("fork");
	} else if (pid == 0) {
		char *argv[] = {"test_io", "--child", "io-clients", port, n,
		    NULL};
		execv("/proc/self/exe", argv);
		_exit(127);
	} else {
		for (;;) {
			pid_t r = waitpid(pid, &status, WNOHANG);
			if (r == pid)
				break;
			if (gocsp_now() > deadline) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				fprintf(stderr, "crowd child killed\n");
				break;
			}
			nap_ms(10);
		}
	}
	gocsp_chan_send(cw->status, &status);
	return NULL;
}

struct crowd_plan {
	long n;
	int forked;
};

static void
crowd_main(void *arg)
{
	struct crowd_plan *plan = arg;
	struct server s;
	int port = 0;
	int64_t t0 = gocsp_now();

	EXPECT_EQ(server_start(&s, plan->n, &port), 0);
	if (plan->forked) {
		struct child_wait cw = {port, plan->n,
		    gocsp_chan_make(sizeof(int), 0)};
		int status = -1;
		pthread_t t = gt_thread(child_wait_thread, &cw);
		EXPECT_EQ(gocsp_chan_recv(cw.status, &status), 0);
		pthread_join(t, NULL);
		gocsp_chan_release(cw.status);
		EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	} else {
		EXPECT_EQ(crowd_run(port, plan->n), plan->n);
	}
	/* Wake an accept loop that is still waiting (the clients failed),
	 * so that it returns, then wait for every echo coroutine. */
	while (atomic_load(&s.accepted) < s.expect) {
		int fd = tcp_dial(port);
		if (fd < 0)
			break;
		close(fd);
	}
	gocsp_wg_wait(&s.wg);
	close(s.lfd);
	EXPECT_EQ(atomic_load(&s.accepted), plan->n);
	EXPECT_EQ(atomic_load(&s.max_open), plan->n);
	EXPECT_EQ(atomic_load(&s.bytes), plan->n * 100);
	EXPECT_EQ(atomic_load(&s.errors), 0);
	fprintf(stderr, "tcp_10k: %ld connections (clients %s) in %.2f s\n",
	    plan->n, plan->forked ? "in a child process" : "in this process",
	    (double) gt_since(t0) / 1e9);
}

static void
test_io__tcp_10k_connections(void **state)
{
	struct crowd_plan plan;
	long limit = raise_nofile();
	(void) state;
	plan.n = gt_n(10000, 1000);
	if (limit >= 2 * plan.n + 100) {
		plan.forked = 0;
	} else if (limit >= plan.n + 100) {
		plan.forked = 1;
	} else {
		char msg[160];
		snprintf(msg, sizeof msg,
		    "tcp_10k: RLIMIT_NOFILE hard limit %ld is below %ld: "
		    "cannot hold %ld connections per process",
		    limit, plan.n + 100, plan.n);
		fprintf(stderr, "%s; skipped\n", msg);
		skip();
	}
	signal(SIGPIPE, SIG_IGN);
	gt_run(crowd_main, &plan);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_io__netpoller_keeps_others_running),
	    GT_CASE(test_io__wait_fd_on_coroutine),
	    GT_CASE(test_io__wait_fd_on_thread),
	    GT_CASE(test_io__wait_fd_level_on_coroutine),
	    GT_CASE(test_io__wait_fd_level_on_thread),
	    GT_CASE(test_io__pipe_between_coroutines),
	    GT_CASE(test_io__large_write_pipe),
	    GT_CASE(test_io__large_duplex_socketpair),
	    GT_CASE(test_io__coroutine_and_thread),
	    GT_CASE(test_io__pingpong_with_thread),
	    GT_CASE(test_io__end_of_file),
	    GT_CASE(test_io__reused_fd_number),
	    GT_CASE(test_io__shutdown_wakes_blocked_io),
	    GT_CASE(test_io__write_closed_peer),
	    GT_CASE(test_io__write_closed_socket_no_sigpipe),
	    GT_CASE(test_io__regular_file),
	    GT_CASE(test_io__tcp_echo),
	    GT_CASE(test_io__connect_refused),
	    GT_CASE(test_io__short_read_then_end_of_file),
	    GT_CASE(test_io__short_read_then_urgent_data),
	    GT_CASE(test_io__short_read_edge_taken_by_other_waiter),
	    GT_CASE(test_io__short_read_number_reused_by_udp),
	    GT_CASE(test_io__ctx_on_coroutine),
	    GT_CASE(test_io__ctx_on_thread),
	    GT_CASE(test_io__tcp_10k_connections),
	};
	/* Writes to a closed peer must fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return GT_MAIN_WITH_CHILD(tests, argc, argv, child_main);
}
