/*
 * Design notes: the log is stderr, one line per event, written with one
 * write(2) so that lines from several threads never interleave.  Under
 * systemd (JOURNAL_STREAM names our stderr) each line starts with the
 * syslog level in angle brackets, which the journal turns into the
 * priority; on a terminal or in a file it starts with the level's name.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static _Atomic int max_level = GOCSPD_INFO;
static _Atomic int journal = -1; /* unknown yet */

static const char *const names[] = {
    [GOCSPD_ERR] = "error",
    [GOCSPD_WARN] = "warning",
    [GOCSPD_NOTICE] = "notice",
    [GOCSPD_INFO] = "info",
    [GOCSPD_DEBUG] = "debug",
};

void
gocspd_log_set_level(enum gocspd_level max)
{
	atomic_store(&max_level, (int) max);
}

int
gocspd_log_enabled(enum gocspd_level level)
{
	return (int) level <= atomic_load(&max_level);
}

/* Whether stderr is the journal (systemd sets JOURNAL_STREAM=dev:ino). */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;
	if (js == NULL || sscanf(js, "%lu:%lu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

void
gocspd_log(enum gocspd_level level, const char *fmt, ...)
{
	if (!gocspd_log_enabled(level))
		return;
	int j = atomic_load(&journal);
	if (j < 0) {
		j = stderr_is_journal();
		atomic_store(&journal, j);
	}
	char line[1024];
	int n = j ? snprintf(line, sizeof(line), "<%d>", (int) level)
	          : snprintf(line, sizeof(line), "gocspd: %s: ", names[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t) n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	size_t len = (size_t) n + (size_t) m;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2; /* truncated */
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void) w; /* nowhere to report a failed log write */
}
