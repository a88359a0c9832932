/*
 * Design notes: the coroutine dump (gocsp_dump, SIGQUIT, fatal reports),
 * after Go's traceback.go.
 *
 * The dump walks the list of all G records (coro.c) and prints each live
 * one: id, state (what it waits for, and for how long), the function it
 * was started with and where it was started; then the plain threads
 * blocked in the library without a timeout (waiter.c), what each waits
 * for and for how long.  Parked coroutines have no
 * cheap stack trace here (their stacks would have to be unwound from the
 * saved registers: tools/gocsp-gdb.py does that in gdb); the coroutine
 * that calls gocsp_dump gets its own backtrace.  Addresses are printed as
 * glibc's backtrace_symbols does, "file(symbol+0xoff) [0xaddr]", so that
 * addr2line resolves those of static functions.
 *
 * A dump runs while other coroutines run: it reads their records with
 * relaxed atomic loads, so a line may be slightly stale, never torn.  The
 * fatal paths (deadlock, SIGQUIT) write to fd 2 with write(2) through a
 * stack buffer and call nothing that allocates; dladdr is the one call
 * there that is not async-signal-safe (it takes the loader's lock).
 */
#include "internal.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

enum traceback {
	TB_NONE,  /* fatal reports print their one line only */
	TB_ALL,   /* and every coroutine (single, all, system) */
	TB_CRASH, /* and then abort (SIGABRT: a core dump) */
};

static int traceback_level = TB_ALL;

static const char *const reasons[] = {
    [GOCSP__WAIT_OTHER] = "waiting",
    [GOCSP__WAIT_CHAN_SEND] = "chan send",
    [GOCSP__WAIT_CHAN_RECV] = "chan receive",
    [GOCSP__WAIT_NIL_CHAN] = "chan send or receive (nil chan)",
    [GOCSP__WAIT_SELECT] = "select",
    [GOCSP__WAIT_SELECT_EMPTY] = "select (no cases)",
    [GOCSP__WAIT_SLEEP] = "sleep",
    [GOCSP__WAIT_MUTEX] = "mutex lock",
    [GOCSP__WAIT_RWMUTEX] = "rwmutex lock",
    [GOCSP__WAIT_WAITGROUP] = "waitgroup wait",
    [GOCSP__WAIT_COND] = "cond wait",
    [GOCSP__WAIT_FD] = "fd wait",
    [GOCSP__WAIT_RUN] = "gocsp_run",
};

static const char *
reason_name(unsigned r)
{
	if (r < sizeof(reasons) / sizeof(reasons[0]) && reasons[r] != NULL)
		return reasons[r];
	return reasons[GOCSP__WAIT_OTHER];
}

/* Where the dump goes: a FILE, or fd 2 on the fatal paths. */
struct out {
	FILE *f;
	struct gocsp__g *self; /* the caller's coroutine: gets a backtrace */
	void *pcs[64];         /* its backtrace, from gocsp_dump's caller */
	int npcs;
	int64_t now;
	long shown;
};

static void emit(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
emit(struct out *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1;
	if (o->f != NULL)
		fwrite(buf, 1, len, o->f);
	else
		(void) !write(2, buf, len);
}

/* "file(symbol+0xoff) [0xaddr]" for a code address. */
static void
emit_pc(struct out *o, const char *prefix, const void *pc)
{
	Dl_info info;
	if (pc == NULL || dladdr(pc, &info) == 0 || info.dli_fname == NULL) {
		emit(o, "%s[%p]\n", prefix, pc);
		return;
	}
	if (info.dli_sname != NULL)
		emit(o, "%s%s(%s+%#lx) [%p]\n", prefix, info.dli_fname,
		    info.dli_sname,
		    (unsigned long) ((const char *) pc -
		        (const char *) info.dli_saddr),
		    pc);
	else
		emit(o, "%s%s(+%#lx) [%p]\n", prefix, info.dli_fname,
		    (unsigned long) ((const char *) pc -
		        (const char *) info.dli_fbase),
		    pc);
}

/* ", 3 s" or ", 2 minutes": how long a coroutine has waited (Go prints
 * minutes only; shorter waits matter when a program is stuck now). */
static void
fmt_wait(char *buf, size_t size, int64_t ns)
{
	if (ns < GOCSP_SEC(1))
		buf[0] = '\0';
	else if (ns < GOCSP_SEC(120))
		snprintf(buf, size, ", %lld s",
		    (long long) (ns / GOCSP_SEC(1)));
	else
		snprintf(buf, size, ", %lld minutes",
		    (long long) (ns / GOCSP_SEC(60)));
}

static void
show(struct gocsp__g *g, void *arg)
{
	struct out *o = arg;
	uint32_t status =
	    atomic_load_explicit(&g->status, memory_order_relaxed);
	uint64_t id = GOCSP__LOAD(&g->id);
	if (status == GOCSP__G_DEAD || id == 0)
		return;
	const char *state;
	char waited[32] = "";
	switch (status) {
	case GOCSP__G_RUNNING:
		state = "running";
		break;
	case GOCSP__G_WAITING:
		state = reason_name(GOCSP__LOAD(&g->waitreason));
		fmt_wait(waited, sizeof(waited),
		    o->now - GOCSP__LOAD(&g->waitsince));
		break;
	default: /* RUNNABLE, WOKEN */
		state = "runnable";
		break;
	}
	emit(o, "%scoroutine %llu [%s%s]:\n", o->shown > 0 ? "\n" : "",
	    (unsigned long long) id, state, waited);
	o->shown++;
	if (g == o->self)
		for (int i = 1; i < o->npcs; i++) /* 0 is gocsp_dump */
			emit_pc(o, "\t", o->pcs[i]);
	emit_pc(o, "\tstarted as ", (const void *) GOCSP__LOAD(&g->startfn));
	uint64_t parent = GOCSP__LOAD(&g->parentid);
	char by[64];
	if (parent != 0)
		snprintf(by, sizeof(by), "\tcreated by coroutine %llu at ",
		    (unsigned long long) parent);
	else
		snprintf(by, sizeof(by), "\tcreated by a thread at ");
	emit_pc(o, by, GOCSP__LOAD(&g->createdpc));
}

/* A plain thread blocked in the library without a timeout. */
static void
show_thread(const struct gocsp__waiter *w, void *arg)
{
	struct out *o = arg;
	char waited[32];
	fmt_wait(waited, sizeof(waited), o->now - w->tsince);
	emit(o, "%splain thread [%s%s]\n", o->shown > 0 ? "\n" : "",
	    reason_name(w->reason), waited);
	o->shown++;
}

/* The dump proper; try: a signal handler's (see gocsp__allg_walk). */
static void
dump(struct out *o, bool try)
{
	o->now = gocsp__os_now_coarse();
	if (!gocsp__allg_walk(show, o, try) ||
	    !gocsp__tblock_walk(show_thread, o, try))
		emit(o, "(a list is busy: the dump is cut short)\n");
}

__attribute__((noinline)) void
gocsp_dump(FILE *f)
{
	if (f == NULL)
		return;
	gocsp__runtime_init();
	struct out o = {.f = f, .self = gocsp__curg()};
	if (o.self != NULL)
		o.npcs = backtrace(o.pcs, 64);
	flockfile(f);
	dump(&o, false);
	funlockfile(f);
	fflush(f);
}

static _Noreturn void
die(void)
{
	if (traceback_level == TB_CRASH) {
		signal(SIGABRT, SIG_DFL);
		abort();
	}
	_exit(2);
}

void
gocsp__fatal(const char *what)
{
	struct out o = {0};
	emit(&o, "gocsp: fatal: %s\n", what);
	if (traceback_level != TB_NONE) {
		emit(&o, "\n");
		dump(&o, true);
	}
	die();
}

/* SIGQUIT, as Go answers it: every coroutine, then exit status 2. */
static void
on_quit(int sig)
{
	struct out o = {0};
	(void) sig;
	emit(&o, "SIGQUIT: quit\n");
	if (traceback_level != TB_NONE) {
		emit(&o, "\n");
		dump(&o, true);
	}
	die();
}

void
gocsp__dump_install(void)
{
	const char *env = getenv("GOCSP_TRACEBACK");
	if (env != NULL) {
		if (strcmp(env, "none") == 0 || strcmp(env, "0") == 0)
			traceback_level = TB_NONE;
		else if (strcmp(env, "crash") == 0)
			traceback_level = TB_CRASH;
	}
	/* A program that handles or ignores SIGQUIT keeps it. */
	struct sigaction old;
	if (sigaction(SIGQUIT, NULL, &old) == 0 &&
	    !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_quit;
		sa.sa_flags = SA_ONSTACK;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGQUIT, &sa, NULL);
	}
}
