/*
 * notify.h: telling the service manager how gocspd is doing, with the
 * notification protocol of sd_notify(3): READY=1 once it listens,
 * WATCHDOG=1 while it is healthy, STOPPING=1 when it stops.  Without
 * $NOTIFY_SOCKET (not started by systemd as Type=notify) every call does
 * nothing.
 */
#ifndef GOCSPD_NOTIFY_H
#define GOCSPD_NOTIFY_H

#include <stdint.h>

/*
 * Read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID and open the
 * socket to notify on.  Call it before any thread starts (it reads the
 * environment).  Problems are logged; notifying is then off.
 */
void gocspd_notify_init(void);

/*
 * Send state, one or more "VARIABLE=value" lines (sd_notify(3)).  Thread-
 * safe, never blocks.  A failed send is logged once.
 */
void gocspd_notify(const char *state);

/*
 * How often the service manager expects WATCHDOG=1: half of
 * $WATCHDOG_USEC, in ns; 0 when no watchdog is set for this process
 * ($WATCHDOG_PID names another one).
 */
int64_t gocspd_notify_watchdog_interval(void);

#endif /* GOCSPD_NOTIFY_H */
