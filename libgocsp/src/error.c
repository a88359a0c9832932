/*
 * Design notes: error names come from the one list in gocsp.h
 * (GOCSP_ERRNO_MAP), so a new code cannot be added without its text.
 * Other negative values are errnos (I/O calls return -errno).
 */
#include "internal.h"

#include <string.h>
#include <unistd.h>

const char *
gocsp_strerror(int code)
{
	switch (code) {
#define GOCSP__ERRNO_TEXT(name, value, text) \
	case GOCSP_##name:                   \
		return text;
		GOCSP_ERRNO_MAP(GOCSP__ERRNO_TEXT)
#undef GOCSP__ERRNO_TEXT
	case 0:
		return "success";
	}
	if (code < 0 && code > -4000) {
		const char *s = strerrordesc_np(-code);
		if (s != NULL)
			return s;
	}
	return "unknown error";
}

void
gocsp__throw(const char *what)
{
	char line[512];
	size_t n = strlen(what);
	if (n > sizeof(line) - 16)
		n = sizeof(line) - 16;
	memcpy(line, "gocsp: fatal: ", 14);
	memcpy(line + 14, what, n);
	line[14 + n] = '\n';
	(void) !write(2, line, 15 + n);
	abort();
}
