/*
 * log.h: gocspd's log, one line per event on stderr.
 */
#ifndef GOCSPD_LOG_H
#define GOCSPD_LOG_H

/* Levels are syslog's, so a service manager can read them. */
enum gocspd_level {
	GOCSPD_ERR = 3,
	GOCSPD_WARN = 4,
	GOCSPD_NOTICE = 5,
	GOCSPD_INFO = 6,
	GOCSPD_DEBUG = 7,
};

/* Lines above this level are not written (default GOCSPD_INFO). */
void gocspd_log_set_level(enum gocspd_level max);

/* Whether a line of this level would be written. */
int gocspd_log_enabled(enum gocspd_level level);

/* Write one line (no newline needed).  Thread-safe. */
void gocspd_log(enum gocspd_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* GOCSPD_LOG_H */
