/*
 * Every libgocsp name of ../shared/design/API.md, with the signature the
 * contract gives it, compiled against the installed header only.  Each
 * function is assigned to a pointer of its exact contract type, so a
 * renamed function, a changed parameter or return type, or a missing
 * macro, type or field fails the build (-Werror); linking proves the
 * library exports them all.  Running it checks the error-code rules.
 */
#include <gocsp/gocsp.h>

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

/* Take the address of fn as a pointer of the contract's type. */
#define SIG(type, fn) ((void) (type) (fn))

static void
names(void)
{
	/* Scheduler and coroutines. */
	SIG(int (*)(void (*)(void *), void *), gocsp_go);
	SIG(int (*)(void (*)(void *), void *, size_t), gocsp_go_stack);
	SIG(int (*)(void (*)(void *), void *), gocsp_run);
	SIG(void (*)(void), gocsp_yield);
	SIG(int (*)(int), gocsp_maxprocs);
	SIG(int (*)(void), gocsp_numcpu);
	SIG(long (*)(void), gocsp_num_coroutines);
	SIG(uint64_t(*)(void), gocsp_self);

	/* Channels. */
	SIG(gocsp_chan * (*) (size_t, size_t), gocsp_chan_make);
	SIG(gocsp_chan * (*) (gocsp_chan *), gocsp_chan_retain);
	SIG(void (*)(gocsp_chan *), gocsp_chan_release);
	SIG(int (*)(gocsp_chan *, const void *), gocsp_chan_send);
	SIG(int (*)(gocsp_chan *, void *), gocsp_chan_recv);
	SIG(int (*)(gocsp_chan *, const void *), gocsp_chan_trysend);
	SIG(int (*)(gocsp_chan *, void *), gocsp_chan_tryrecv);
	SIG(int (*)(gocsp_chan *, const void *, int64_t),
	    gocsp_chan_send_timeout);
	SIG(int (*)(gocsp_chan *, void *, int64_t), gocsp_chan_recv_timeout);
	SIG(int (*)(gocsp_chan *), gocsp_chan_close);
	SIG(size_t(*)(gocsp_chan *), gocsp_chan_len);
	SIG(size_t(*)(gocsp_chan *), gocsp_chan_cap);

	/* Select. */
	gocsp_case c = {.chan = NULL, .op = GOCSP_SEND, .elem = NULL, .ok = 0};
	c.op = GOCSP_RECV;
	(void) c;
	SIG(int (*)(gocsp_case *, size_t, int64_t), gocsp_select);

	/* Time. */
	SIG(int64_t(*)(void), gocsp_now);
	SIG(void (*)(int64_t), gocsp_sleep);
	SIG(gocsp_chan * (*) (int64_t), gocsp_after);
	SIG(gocsp_ticker * (*) (int64_t), gocsp_ticker_new);
	SIG(gocsp_chan * (*) (gocsp_ticker *), gocsp_ticker_chan);
	SIG(void (*)(gocsp_ticker *), gocsp_ticker_stop);

	/* sync: the zero value of each is ready to use. */
	static gocsp_waitgroup wg = {0};
	static gocsp_mutex mu = {0};
	static gocsp_rwmutex rw = {0};
	static gocsp_once once = {0};
	static gocsp_pool pool;
	(void) wg, (void) mu, (void) rw, (void) once, (void) pool;
	SIG(void (*)(gocsp_waitgroup *, int), gocsp_wg_add);
	SIG(void (*)(gocsp_waitgroup *), gocsp_wg_done);
	SIG(void (*)(gocsp_waitgroup *), gocsp_wg_wait);
	SIG(void (*)(gocsp_mutex *), gocsp_mutex_lock);
	SIG(void (*)(gocsp_mutex *), gocsp_mutex_unlock);
	SIG(int (*)(gocsp_mutex *), gocsp_mutex_trylock);
	SIG(void (*)(gocsp_rwmutex *), gocsp_rwmutex_rlock);
	SIG(void (*)(gocsp_rwmutex *), gocsp_rwmutex_runlock);
	SIG(void (*)(gocsp_rwmutex *), gocsp_rwmutex_lock);
	SIG(void (*)(gocsp_rwmutex *), gocsp_rwmutex_unlock);
	SIG(void (*)(gocsp_once *, void (*)(void *), void *), gocsp_once_do);
	SIG(void (*)(gocsp_pool *, void *(*) (void *),
	        void (*)(void *, void *), void *),
	    gocsp_pool_init);
	SIG(void *(*) (gocsp_pool *), gocsp_pool_get);
	SIG(void (*)(gocsp_pool *, void *), gocsp_pool_put);
	SIG(void (*)(gocsp_pool *), gocsp_pool_destroy);

	/* context. */
	SIG(gocsp_ctx * (*) (void), gocsp_ctx_background);
	SIG(gocsp_ctx * (*) (gocsp_ctx *), gocsp_ctx_with_cancel);
	SIG(gocsp_ctx * (*) (gocsp_ctx *, int64_t), gocsp_ctx_with_deadline);
	SIG(gocsp_ctx * (*) (gocsp_ctx *, int64_t), gocsp_ctx_with_timeout);
	SIG(gocsp_ctx * (*) (gocsp_ctx *, const void *, void *),
	    gocsp_ctx_with_value);
	SIG(void (*)(gocsp_ctx *), gocsp_ctx_cancel);
	SIG(gocsp_chan * (*) (gocsp_ctx *), gocsp_ctx_done);
	SIG(int (*)(gocsp_ctx *), gocsp_ctx_err);
	SIG(int (*)(gocsp_ctx *, int64_t *), gocsp_ctx_deadline);
	SIG(void *(*) (gocsp_ctx *, const void *), gocsp_ctx_value);
	SIG(gocsp_ctx * (*) (gocsp_ctx *), gocsp_ctx_retain);
	SIG(void (*)(gocsp_ctx *), gocsp_ctx_release);

	/* Coroutine-aware I/O. */
	int events = GOCSP_READABLE | GOCSP_WRITABLE;
	(void) events;
	SIG(int (*)(int, int, int64_t), gocsp_wait_fd);
	SIG(ssize_t(*)(int, void *, size_t), gocsp_read);
	SIG(ssize_t(*)(int, const void *, size_t), gocsp_write);
	SIG(int (*)(int, struct sockaddr *, socklen_t *), gocsp_accept);
	SIG(int (*)(int, const struct sockaddr *, socklen_t), gocsp_connect);

	/* Errors and durations. */
	SIG(const char *(*) (int), gocsp_strerror);
	int64_t d = GOCSP_FOREVER + GOCSP_US(1) + GOCSP_MS(1) + GOCSP_SEC(1);
	(void) d;
}

/* Every code of the contract: name, value and errno twin (0: none). */
static const struct {
	const char *name;
	int code, errno_twin;
} codes[] = {
    {"GOCSP_EAGAIN", GOCSP_EAGAIN, EAGAIN},
    {"GOCSP_ECLOSED", GOCSP_ECLOSED, 0},
    {"GOCSP_ETIMEDOUT", GOCSP_ETIMEDOUT, ETIMEDOUT},
    {"GOCSP_ECANCELED", GOCSP_ECANCELED, ECANCELED},
    {"GOCSP_ENOMEM", GOCSP_ENOMEM, ENOMEM},
    {"GOCSP_EINVAL", GOCSP_EINVAL, EINVAL},
    {"GOCSP_EPERM", GOCSP_EPERM, EPERM},
    {"GOCSP_ENOENT", GOCSP_ENOENT, ENOENT},
    {"GOCSP_EEXIST", GOCSP_EEXIST, EEXIST},
    {"GOCSP_EPROTO", GOCSP_EPROTO, EPROTO},
    {"GOCSP_ECONNREFUSED", GOCSP_ECONNREFUSED, ECONNREFUSED},
    {"GOCSP_ECONNRESET", GOCSP_ECONNRESET, ECONNRESET},
    {"GOCSP_ELIMIT", GOCSP_ELIMIT, 0},
};

int
main(void)
{
	int bad = 0;

	names();
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		int c = codes[i].code, twin = codes[i].errno_twin;
		/* An errno twin equals its negative errno; gocsp's own
		 * codes sit below -4000. */
		if (twin != 0 ? c != -twin : c >= -4000) {
			fprintf(stderr, "api_names: %s = %d\n", codes[i].name,
			    c);
			bad = 1;
		}
		const char *s = gocsp_strerror(c);
		if (s == NULL || *s == '\0') {
			fprintf(stderr, "api_names: no text for %s\n",
			    codes[i].name);
			bad = 1;
		}
	}
	if (bad)
		return 1;
	puts("ok: every API.md name of libgocsp");
	return 0;
}
