/*
 * Design notes: the helpers of dbench.h.
 *
 * The team uses three pipes.  Each member writes one byte on "ready" and
 * closes its end, so the parent's read ends at EOF once every member has
 * either reported or died: fewer bytes than members means one died.  The
 * parent releases them all at once by closing "go" (their reads return
 * EOF together), then reads each member's end time from "done" the same
 * way (dbench_team_done).  A member dies with its parent (PR_SET_PDEATHSIG),
 * so that a run killed by the script's timeout leaves no process behind.
 */
#include "dbench.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char dbench_value[DBENCH_VALUE_LEN] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";

int64_t
dbench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
dbench_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

int64_t
dbench_cpu_ns(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru) != 0)
		dbench_fail("getrusage: %s", strerror(errno));
	return ((int64_t) ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
	    1000000000 +
	    ((int64_t) ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

long
dbench_arg(int argc, char **argv, int i, const char *usage)
{
	char *end;
	long v;

	if (i < argc) {
		v = strtol(argv[i], &end, 10);
		if (*argv[i] != '\0' && *end == '\0' && v > 0)
			return v;
	}
	fprintf(stderr, "usage: %s %s\n", argv[0], usage);
	exit(2);
}

long
dbench_share(long total, size_t i, size_t n)
{
	return total / (long) n + ((long) i < total % (long) n ? 1 : 0);
}

/* ---------------------------------------------------------------------- */
/* Latency samples                                                          */
/* ---------------------------------------------------------------------- */

void
dbench_samples_init(struct dbench_samples *s, size_t cap)
{
	s->v = malloc(cap * sizeof(*s->v));
	s->n = 0;
	s->cap = cap;
	if (s->v == NULL)
		dbench_fail("no memory for %zu samples", cap);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;

	return (x > y) - (x < y);
}

double
dbench_samples_pct_us(struct dbench_samples *s, double p)
{
	size_t rank;

	qsort(s->v, s->n, sizeof(*s->v), cmp_i64);
	/* Nearest rank: the smallest sample with at least p% at or below. */
	rank = (size_t) ((p / 100.0) * (double) s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return (double) s->v[rank - 1] / 1000.0;
}

void
dbench_samples_free(struct dbench_samples *s)
{
	free(s->v);
	s->v = NULL;
}

/* ---------------------------------------------------------------------- */
/* A team of processes                                                      */
/* ---------------------------------------------------------------------- */

static int member_ready_fd = -1, member_go_fd = -1, member_done_fd = -1;

/* Read up to len bytes until EOF.  @return the bytes read. */
static size_t
read_to_eof(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (char *) buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t) r;
	}
	return got;
}

void
dbench_team_ready(void)
{
	char c = 1;

	if (write(member_ready_fd, &c, 1) != 1)
		dbench_fail("team: ready: %s", strerror(errno));
	close(member_ready_fd);
	if (read_to_eof(member_go_fd, &c, 1) != 0)
		dbench_fail("team: unexpected byte on the start pipe");
}

void
dbench_team_done(void)
{
	int64_t end = dbench_now();

	if (write(member_done_fd, &end, sizeof(end)) != sizeof(end))
		dbench_fail("team: done: %s", strerror(errno));
	close(member_done_fd);
}

/* The member's life after fork: it never returns.  exit, not _exit, so
 * that libraries' atexit handlers run (the parent flushed its stdio). */
static _Noreturn void
member(pid_t parent, size_t i, dbench_member_fn *body, void *arg)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1); /* the parent died before prctl */
	body(i, arg);
	exit(0);
}

int64_t
dbench_team_run(int64_t *cpu_ns, size_t n, dbench_member_fn *body, void *arg)
{
	int ready[2], go[2], done[2], status;
	int64_t cpu0 = dbench_cpu_ns(RUSAGE_CHILDREN);
	int64_t start, end, last = 0;
	char *bytes = malloc(n);
	pid_t self = getpid();
	size_t i, got;

	if (bytes == NULL)
		dbench_fail("team: no memory");
	if (pipe(ready) != 0 || pipe(go) != 0 || pipe(done) != 0)
		dbench_fail("team: pipe: %s", strerror(errno));
	fflush(NULL);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			dbench_fail("team: fork: %s", strerror(errno));
		if (pid == 0) {
			close(ready[0]);
			close(go[1]);
			close(done[0]);
			member_ready_fd = ready[1];
			member_go_fd = go[0];
			member_done_fd = done[1];
			member(self, i, body, arg);
		}
	}
	close(ready[1]);
	close(go[0]);
	close(done[1]);

	got = read_to_eof(ready[0], bytes, n);
	if (got != n)
		dbench_fail("team: %zu of %zu members failed to start",
		    n - got, n);
	start = dbench_now();
	close(go[1]);
	for (i = 0; i < n; i++) {
		if (read_to_eof(done[0], &end, sizeof(end)) != sizeof(end))
			dbench_fail("team: a member failed or did not "
			            "call dbench_team_done");
		if (end > last)
			last = end;
	}
	for (i = 0; i < n; i++) {
		if (wait(&status) < 0)
			dbench_fail("team: wait: %s", strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			dbench_fail("team: a member failed at exit");
	}
	*cpu_ns = dbench_cpu_ns(RUSAGE_CHILDREN) - cpu0;
	close(ready[0]);
	close(done[0]);
	free(bytes);
	return last - start;
}
