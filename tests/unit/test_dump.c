/*
 * Deadlock reports, the coroutine dump and SIGQUIT (gocsp.h, "Deadlocks,
 * dumps and crashes").
 *
 * Each program runs as this executable re-run with "--child MODE" (a
 * fresh process), its stderr captured.  A deadlocked program must end
 * with status 2 and "gocsp: fatal: all coroutines are asleep - deadlock!"
 * followed by the dump; one that only looks stuck (every coroutine
 * asleep while a timer, an fd or a plain thread will wake one) must
 * finish normally, since a false report would kill a correct program.
 * Children give up after CHILD_SECONDS (SIGALRM): a missing report.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gocsp_test.h"

#include <errno.h>

#define CHILD_SECONDS 10
#define DEADLOCK_LINE "gocsp: fatal: all coroutines are asleep - deadlock!\n"

/* ---------------------------------------------------------------------- */
/* child side                                                              */

static void
recv_forever(void *c)
{
	gocsp_chan_recv(c, NULL);
}

/* main receives from a channel nobody sends on; a worker does too. */
static void
child_recv(void *arg)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 0);
	(void) arg;
	gocsp_go(recv_forever, c);
	gocsp_chan_recv(c, NULL);
}

/* Locking a locked mutex: Go's other classic deadlock. */
static void
child_double_lock(void *arg)
{
	gocsp_mutex m = {0};
	(void) arg;
	gocsp_mutex_lock(&m);
	gocsp_mutex_lock(&m);
}

/* A coroutine waits on a WaitGroup that is never done, main on select. */
static void
wg_forever(void *wg)
{
	gocsp_wg_wait(wg);
}

static void
child_select(void *arg)
{
	static gocsp_waitgroup wg;
	gocsp_chan *a = gocsp_chan_make(0, 0), *b = gocsp_chan_make(0, 0);
	gocsp_case cs[2] = {{a, GOCSP_RECV, NULL, 0},
	    {b, GOCSP_RECV, NULL, 0}};
	(void) arg;
	gocsp_wg_add(&wg, 1);
	gocsp_go(wg_forever, &wg);
	gocsp_select(cs, 2, GOCSP_FOREVER);
}

/* Sends after a sleep: every coroutine is asleep meanwhile, but a timer
 * is pending. */
static void
send_later(void *c)
{
	int v = 1;
	gocsp_sleep(GOCSP_MS(300));
	gocsp_chan_send(c, &v);
}

static void
child_timer(void *arg)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 0);
	(void) arg;
	gocsp_go(send_later, c);
	gocsp_chan_recv(c, NULL);
	gocsp_chan_release(c);
}

/* Reads a pipe that another process writes 300 ms from now. */
static void
child_fd(void *arg)
{
	int *fds = arg;
	char ch;
	if (gocsp_read(fds[0], &ch, 1) != 1)
		_exit(6);
}

/* A plain thread computes (here: sleeps outside the library), then sends. */
static void *
thread_send_later(void *c)
{
	int v = 1;
	usleep(300 * 1000);
	gocsp_chan_send(c, &v);
	return NULL;
}

static void
child_thread(void *arg)
{
	gocsp_chan *c = gocsp_chan_make(sizeof(int), 0);
	pthread_t t;
	(void) arg;
	pthread_create(&t, NULL, thread_send_later, c);
	gocsp_chan_recv(c, NULL);
	pthread_join(t, NULL);
	gocsp_chan_release(c);
}

/* Coroutines parked, then SIGQUIT from a plain thread. */
static void *
quit_later(void *arg)
{
	(void) arg;
	usleep(100 * 1000);
	kill(getpid(), SIGQUIT);
	return NULL;
}

static void
child_quit(void *arg)
{
	gocsp_chan *c = gocsp_chan_make(0, 0);
	pthread_t t;
	(void) arg;
	gocsp_go(recv_forever, c);
	pthread_create(&t, NULL, quit_later, NULL);
	gocsp_chan_recv(c, NULL);
}

static int
child_main(const char *mode, char **args)
{
	(void) args;
	alarm(CHILD_SECONDS);
	if (strcmp(mode, "recv") == 0) {
		gocsp_run(child_recv, NULL);
	} else if (strcmp(mode, "double-lock") == 0) {
		gocsp_run(child_double_lock, NULL);
	} else if (strcmp(mode, "select") == 0) {
		gocsp_run(child_select, NULL);
	} else if (strcmp(mode, "thread-recv") == 0) {
		/* No gocsp_run: the main thread itself blocks in the library
		 * while the coroutines it started are parked. */
		gocsp_chan *c = gocsp_chan_make(0, 0);
		gocsp_go(recv_forever, c);
		gocsp_chan_recv(c, NULL);
	} else if (strcmp(mode, "timer") == 0) {
		gocsp_run(child_timer, NULL);
		return 0;
	} else if (strcmp(mode, "fd") == 0) {
		int fds[2];
		pid_t pid;
		if (pipe(fds) != 0)
			return 7;
		pid = fork();
		if (pid == 0) {
			usleep(300 * 1000);
			_exit(write(fds[1], "x", 1) == 1 ? 0 : 1);
		}
		gocsp_run(child_fd, fds);
		waitpid(pid, NULL, 0);
		return 0;
	} else if (strcmp(mode, "thread") == 0) {
		gocsp_run(child_thread, NULL);
		return 0;
	} else if (strcmp(mode, "quit") == 0) {
		gocsp_run(child_quit, NULL);
	} else {
		return 8;
	}
	return 9; /* a deadlocked program never gets here */
}

/* ---------------------------------------------------------------------- */
/* parent side                                                             */

static void
fail_child(const char *mode, int status, const char *err, const char *why)
{
	fail_msg("%s: %s; status %#x (exit %d, signal %d), stderr:\n%.1500s",
	    mode, why, status, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0, err);
}

/* The child must end with status 2, the deadlock line first, then a dump
 * that shows each of wants. */
static void
expect_deadlock(const char *mode, const char *const *wants, size_t nwants)
{
	char err[16384];
	int status = gt_child(mode, err, sizeof err);
	size_t i;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2)
		fail_child(mode, status, err, "no exit status 2");
	if (strncmp(err, DEADLOCK_LINE, strlen(DEADLOCK_LINE)) != 0)
		fail_child(mode, status, err, "no deadlock line");
	for (i = 0; i < nwants; i++)
		if (strstr(err, wants[i]) == NULL)
			fail_child(mode, status, err, wants[i]);
}

/* The child must finish normally, reporting nothing. */
static void
expect_no_report(const char *mode)
{
	char err[4096];
	int status = gt_child(mode, err, sizeof err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_child(mode, status, err, "did not finish normally");
	if (strstr(err, "deadlock") != NULL)
		fail_child(mode, status, err, "false deadlock report");
}

/* ThreadSanitizer runs a thread of its own, which the library cannot
 * account for: the report is rightly withheld there. */
#define SKIP_UNDER_TSAN()                                   \
	do {                                                \
		if (GT_TSAN) {                              \
			fprintf(stderr,                     \
			    "a sanitizer thread withholds " \
			    "the report; skipped\n");       \
			skip();                             \
		}                                           \
	} while (0)

static void
test_dump__deadlock_recv_reported(void **state)
{
	static const char *const wants[] = {"coroutine 1 [chan receive]:\n",
	    "started as ", "created by a thread at ",
	    "created by coroutine 1 at ", "\nplain thread [gocsp_run]\n"};
	(void) state;
	SKIP_UNDER_TSAN();
	expect_deadlock("recv", wants, 5);
}

static void
test_dump__deadlock_double_lock_reported(void **state)
{
	static const char *const wants[] = {"[mutex lock]:\n"};
	(void) state;
	SKIP_UNDER_TSAN();
	expect_deadlock("double-lock", wants, 1);
}

static void
test_dump__deadlock_select_and_waitgroup_reported(void **state)
{
	static const char *const wants[] = {"[select]:\n",
	    "[waitgroup wait]:\n"};
	(void) state;
	SKIP_UNDER_TSAN();
	expect_deadlock("select", wants, 2);
}

/* The main thread blocked in a channel receive, outside gocsp_run. */
static void
test_dump__deadlock_main_thread_reported(void **state)
{
	static const char *const wants[] = {"[chan receive]:\n",
	    "\nplain thread [chan receive]\n"};
	(void) state;
	SKIP_UNDER_TSAN();
	expect_deadlock("thread-recv", wants, 2);
}

/* GOCSP_TRACEBACK=none: the line alone; crash: SIGABRT after the dump. */
static void
test_dump__traceback_levels(void **state)
{
	char err[16384];
	int status;
	(void) state;
	SKIP_UNDER_TSAN();
	setenv("GOCSP_TRACEBACK", "none", 1);
	status = gt_child("recv", err, sizeof err);
	unsetenv("GOCSP_TRACEBACK");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2 ||
	    strcmp(err, DEADLOCK_LINE) != 0)
		fail_child("recv, GOCSP_TRACEBACK=none", status, err,
		    "not the line alone");
	setenv("GOCSP_TRACEBACK", "crash", 1);
	status = gt_child("recv", err, sizeof err);
	unsetenv("GOCSP_TRACEBACK");
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT ||
	    strstr(err, "[chan receive]:\n") == NULL)
		fail_child("recv, GOCSP_TRACEBACK=crash", status, err,
		    "no dump and SIGABRT");
}

/* Asleep, but a timer is pending: no report. */
static void
test_dump__timer_is_not_deadlock(void **state)
{
	(void) state;
	expect_no_report("timer");
}

/* Asleep, but a coroutine waits on an fd another process writes. */
static void
test_dump__fd_wait_is_not_deadlock(void **state)
{
	(void) state;
	expect_no_report("fd");
}

/* Asleep, but a plain thread outside the library will send. */
static void
test_dump__busy_thread_is_not_deadlock(void **state)
{
	(void) state;
	expect_no_report("thread");
}

/* SIGQUIT: "SIGQUIT: quit", every coroutine, exit status 2. */
static void
test_dump__sigquit_dumps(void **state)
{
	char err[16384];
	int status;
	(void) state;
	status = gt_child("quit", err, sizeof err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2 ||
	    strncmp(err, "SIGQUIT: quit\n", 14) != 0 ||
	    strstr(err, "coroutine 1 [chan receive]:\n") == NULL ||
	    strstr(err, "created by coroutine 1 at ") == NULL)
		fail_child("quit", status, err, "no dump on SIGQUIT");
}

/* gocsp_dump: each coroutine's state and origin; the caller's own
 * backtrace; dead coroutines left out. */
static void
sleeper(void *arg)
{
	(void) arg;
	gocsp_sleep(GOCSP_SEC(2));
}

struct locker {
	gocsp_mutex m;
	gocsp_waitgroup done;
};

static void
locker(void *arg)
{
	struct locker *l = arg;
	gocsp_mutex_lock(&l->m);
	gocsp_mutex_unlock(&l->m);
	gocsp_wg_done(&l->done);
}

static void
quick(void *arg)
{
	(void) arg;
}

CO_CASE(test_dump__dump_shows_states)
{
	gocsp_chan *c = gocsp_chan_make(0, 0);
	struct locker l = {0};
	char *text = NULL, want[128];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	uint64_t self = gocsp_self();
	long before = gocsp_num_coroutines();

	gocsp_mutex_lock(&l.m);
	gocsp_wg_add(&l.done, 1);
	GO(recv_forever, c);
	GO(sleeper, NULL);
	GO(locker, &l);
	GO(quick, NULL);
	while (gocsp_num_coroutines() > before + 3)
		gocsp_sleep(GOCSP_MS(1));
	gocsp_sleep(GOCSP_MS(20)); /* all three parked */
	gocsp_dump(f);
	fclose(f);

	snprintf(want, sizeof want, "coroutine %llu [running]:\n",
	    (unsigned long long) self);
	EXPECT(strstr(text, want) != NULL);
	EXPECT(strstr(text, "[chan receive]:\n") != NULL);
	EXPECT(strstr(text, "[sleep]:\n") != NULL);
	EXPECT(strstr(text, "[mutex lock]:\n") != NULL);
	snprintf(want, sizeof want, "created by coroutine %llu at ",
	    (unsigned long long) self);
	EXPECT(strstr(text, want) != NULL);
	/* The running coroutine's backtrace comes before its origin. */
	snprintf(want, sizeof want, "coroutine %llu [running]:\n\t",
	    (unsigned long long) self);
	EXPECT(strstr(text, want) != NULL &&
	    strncmp(strstr(text, want) + strlen(want), "started as ", 11) !=
	        0);
	/* Four coroutines: this one and the three parked. */
	{
		int n = 0;
		const char *p = text;
		while ((p = strstr(p, "coroutine ")) != NULL) {
			if (p == text || p[-1] == '\n')
				n++;
			p++;
		}
		EXPECT_EQ(n, before + 3);
	}
	if (gt_failures != 0)
		fprintf(stderr, "dump:\n%s", text);
	free(text);
	gocsp_mutex_unlock(&l.m);
	gocsp_wg_wait(&l.done);
	gocsp_chan_close(c);
	gocsp_chan_release(c);
}

/* A coroutine parked for over a second shows how long; one that parked
 * just now does not.  (Parks are stamped with a time their worker reads
 * now and then, not with a clock read each: sched.c, tick.) */
CO_CASE(test_dump__dump_shows_how_long)
{
	gocsp_chan *old = gocsp_chan_make(0, 0),
	           *young = gocsp_chan_make(0, 0);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	GO(recv_forever, old);
	gocsp_sleep(GOCSP_MS(1300));
	GO(recv_forever, young);
	gocsp_sleep(GOCSP_MS(20));
	gocsp_dump(f);
	fclose(f);
	EXPECT(strstr(text, "[chan receive, 1 s]:\n") != NULL);
	EXPECT(strstr(text, "[chan receive]:\n") != NULL);
	if (gt_failures != 0)
		fprintf(stderr, "dump:\n%s", text);
	free(text);
	gocsp_chan_close(old);
	gocsp_chan_close(young);
	gocsp_chan_release(old);
	gocsp_chan_release(young);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_dump__deadlock_recv_reported),
	    GT_CASE(test_dump__deadlock_double_lock_reported),
	    GT_CASE(test_dump__deadlock_select_and_waitgroup_reported),
	    GT_CASE(test_dump__deadlock_main_thread_reported),
	    GT_CASE(test_dump__traceback_levels),
	    GT_CASE(test_dump__timer_is_not_deadlock),
	    GT_CASE(test_dump__fd_wait_is_not_deadlock),
	    GT_CASE(test_dump__busy_thread_is_not_deadlock),
	    GT_CASE(test_dump__sigquit_dumps),
	    GT_CASE(test_dump__dump_shows_states),
	    GT_CASE(test_dump__dump_shows_how_long),
	};
	return GT_MAIN_WITH_CHILD(tests, argc, argv, child_main);
}
