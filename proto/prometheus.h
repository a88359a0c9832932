/*
 * prometheus.h: a gocspd's figures in the Prometheus text exposition format,
 * version 0.0.4.  gocspd --metrics serves it and `gocsp stat --prometheus`
 * prints it (through gocsp_client_metrics): one writer, from the
 * protocol's messages, so both show the same families.
 */
#ifndef GOCSP_PROMETHEUS_H
#define GOCSP_PROMETHEUS_H

#include <stddef.h>
#include <stdio.h>

#include "gocsp.pb-c.h"

/* What an HTTP server says the exposition is. */
#define GOCSP_PROMETHEUS_CONTENT_TYPE \
	"text/plain; version=0.0.4; charset=utf-8"

/* The figures to expose (borrowed). */
struct gocsp__metrics {
	const Gocsp__ServerInfo *server;
	Gocsp__ChanInfo *const *chans;
	size_t nchans;
	Gocsp__PoolInfo *const *pools;
	size_t npools;
};

/*
 * Write every family of m to f, each with its HELP and TYPE lines, even
 * when it has no sample (no channel, no pool).  Label values are escaped
 * as the format requires.  @return 0, or -1 when writing failed.
 */
int gocsp__prometheus_write(FILE *f, const struct gocsp__metrics *m);

/*
 * gocsp__prometheus_write into a malloc'd, NUL-terminated buffer: *text
 * (free() it), *len bytes.  @return 0, or -1 when out of memory.
 */
int gocsp__prometheus_text(const struct gocsp__metrics *m, char **text,
    size_t *len);

#endif /* GOCSP_PROMETHEUS_H */
