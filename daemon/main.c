/*
 * gocspd: the daemon that serves named channels to gocsp clients.
 *
 * Design notes: everything runs on the libgocsp scheduler started by
 * gocsp_run, plus nng's own threads, which hand requests to it.  The
 * stop signals are blocked in every thread (threads inherit the mask, so
 * it is set before nng or gocsp start any) and read from a signalfd by
 * the main coroutine, which then stops in order: the metrics endpoint
 * stops, new frames are dropped, the listeners close, the connections end
 * (so do their operations), the pools are killed (their jobs go back to
 * their channels), the socket closes, the wait groups and the channels
 * go.
 *
 * The service manager hears READY=1 once every listener is up, and
 * STOPPING=1 when the stop begins (notify.h); the listeners' watchdog
 * sends WATCHDOG=1.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <gocsp/gocsp.h>

#include "conn.h"
#include "ipc.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "op.h"
#include "options.h"
#include "pool.h"
#include "registry.h"
#include "request.h"
#include "server.h"
#include "wg.h"

struct run {
	const struct gocspd_options *o;
	int sigfd;
	int status; /* the exit status */
};

/* Wait for a stop signal.  @return its number. */
static int
await_signal(int fd)
{
	struct signalfd_siginfo si;
	for (;;) {
		ssize_t n = gocsp_read(fd, &si, sizeof(si));
		if (n == (ssize_t) sizeof(si))
			return (int) si.ssi_signo;
		if (n != -EINTR && n != -EAGAIN) {
			gocspd_log(GOCSPD_ERR, "reading signals: %s",
			    strerror(n < 0 ? (int) -n : EIO));
			return SIGTERM;
		}
	}
}

static void
stop(void)
{
	gocspd_metrics_stop();
	gocspd_server_drain();
	gocspd_listeners_close();
	gocspd_conn_end_all();
	gocspd_pools_stop();
	gocspd_ops_wait();
	gocspd_ipc_wait();
	gocspd_server_close();
	gocspd_wgs_fini();
	gocspd_registry_fini();
}

static void
serve(void *arg)
{
	struct run *r = arg;
	gocspd_ipc_init(r->o, gocspd_request_handle);
	if (gocspd_server_start(r->o, gocspd_request_handle) != 0 ||
	    gocspd_listeners_open(r->o) != 0 ||
	    gocspd_metrics_start(r->o) != 0) {
		r->status = 1;
		stop();
		return;
	}
	if (gocspd_listeners_watch(r->o) != 0)
		gocspd_log(GOCSPD_WARN,
		    "out of memory: listeners are not "
		    "watched");
	gocspd_log(GOCSPD_NOTICE, "gocspd %d.%d.%d ready, pid %d",
	    GOCSP_VERSION_MAJOR, GOCSP_VERSION_MINOR, GOCSP_VERSION_PATCH,
	    (int) getpid());
	gocspd_notify("READY=1\nSTATUS=serving");
	int sig = await_signal(r->sigfd);
	gocspd_log(GOCSPD_NOTICE, "%s: stopping", strsignal(sig));
	gocspd_notify("STOPPING=1\nSTATUS=stopping");
	stop();
	gocspd_log(GOCSPD_NOTICE, "stopped");
}

int
main(int argc, char **argv)
{
	struct gocspd_options o;
	switch (gocspd_options_parse(&o, argc, argv)) {
	case 0:
		break;
	case 1:
		return 0;
	default:
		return 2;
	}
	gocspd_log_set_level(o.log_level);
	gocspd_notify_init();

	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sigfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0) {
		gocspd_log(GOCSPD_ERR, "signalfd: %s", strerror(errno));
		return 1;
	}

	/* A descriptor per client: allow all the hard limit lets us have. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void) setrlimit(RLIMIT_NOFILE, &rl);
	}

	gocspd_msg_set_budget(o.limits.max_queued);
	gocspd_ops_init(&o.limits);
	gocspd_pools_init(o.limits.max_pools, o.limits.max_workers);
	gocspd_wgs_init(o.limits.max_waitgroups);
	if (gocspd_registry_init(o.limits.max_channels) != 0 ||
	    gocspd_conns_init(&o.limits) != 0) {
		gocspd_log(GOCSPD_ERR, "out of memory");
		return 1;
	}
	struct run r = {.o = &o, .sigfd = sigfd};
	if (gocsp_run(serve, &r) != 0) {
		gocspd_log(GOCSPD_ERR, "starting the scheduler failed");
		return 1;
	}
	close(sigfd);
	return r.status;
}
