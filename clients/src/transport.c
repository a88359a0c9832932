/*
 * Design notes: the transport for a URL -- our own SP for ipc://,
 * libnng for the network schemes (transport.h says why).
 */
#include "transport.h"

#include <stdio.h>
#include <string.h>

#include <gocsp/gocsp.h>

#include "wire.h"

int
gocsp__tp_open(struct gocsp__tp **out, const char *url, int64_t deadline,
    const struct gocsp__tp_events *ev, char *why, size_t whylen)
{
	const char *path = gocsp__wire_ipc_path(url);
	if (path != NULL)
		return gocsp__tp_ipc_open(out, path, deadline, why, whylen);
	if (strncmp(url, "tcp://", 6) == 0 ||
	    strncmp(url, "tls+tcp://", 10) == 0)
		return gocsp__tp_nng_open(out, url, ev, why, whylen);
	snprintf(why, whylen,
	    "unsupported URL %s (use ipc://, tcp:// or tls+tcp://)", url);
	return GOCSP_EINVAL;
}
