/*
 * Design notes: the notification protocol of sd_notify(3), done here
 * rather than with libsystemd because it is one datagram on a unix
 * socket: $NOTIFY_SOCKET is a path, or an abstract address when it
 * starts with '@'.  The socket is opened once, before threads start, and
 * each notification is one sendto(2), thread-safe, with MSG_DONTWAIT:
 * WATCHDOG=1 goes out from a coroutine, whose worker thread must not
 * block on a service manager that stopped reading (the pings are then
 * lost, as they should be).
 *
 * Nothing but this file reads $NOTIFY_SOCKET; worker processes do not
 * see it (they get the environment of the client that spawned them), and
 * the socket is close-on-exec.
 */
#include "notify.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gocsp/gocsp.h>

#include "log.h"

static int fd = -1; /* set by gocspd_notify_init only */
static struct sockaddr_un addr;
static socklen_t addr_len;
static int64_t watchdog_interval; /* ns; 0: none */
static atomic_bool send_failed;   /* logged once */

/* The watchdog interval the environment asks of this process, in ns. */
static int64_t
watchdog_from_env(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	if (usec == NULL)
		return 0;
	/* WATCHDOG_PID: the watchdog is for that process only. */
	if (pid != NULL && strtol(pid, NULL, 10) != (long) getpid())
		return 0;
	char *end;
	errno = 0;
	unsigned long long us = strtoull(usec, &end, 10);
	if (errno != 0 || end == usec || *end != '\0' || us == 0 ||
	    us > (unsigned long long) INT64_MAX / 1000) {
		gocspd_log(GOCSPD_WARN,
		    "WATCHDOG_USEC=%s is not a number "
		    "of microseconds: no watchdog",
		    usec);
		return 0;
	}
	return (int64_t) us * 1000 / 2;
}

void
gocspd_notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (path == NULL || path[0] == '\0')
		return;
	size_t n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(addr.sun_path)) {
		gocspd_log(GOCSPD_WARN,
		    "NOTIFY_SOCKET=%s is not a socket "
		    "address: not notifying",
		    path);
		return;
	}
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, n);
	if (path[0] == '@')
		addr.sun_path[0] = '\0'; /* abstract: no NUL after it */
	addr_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n +
	    (path[0] == '@' ? 0 : 1));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		gocspd_log(GOCSPD_WARN, "notify socket: %s: not notifying",
		    strerror(errno));
		return;
	}
	watchdog_interval = watchdog_from_env();
}

void
gocspd_notify(const char *state)
{
	if (fd < 0)
		return;
	ssize_t n = sendto(fd, state, strlen(state),
	    MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *) &addr, addr_len);
	if (n < 0 && !atomic_exchange(&send_failed, true))
		gocspd_log(GOCSPD_WARN, "notifying the service manager: %s",
		    strerror(errno));
}

int64_t
gocspd_notify_watchdog_interval(void)
{
	return fd < 0 ? 0 : watchdog_interval;
}
