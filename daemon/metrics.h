/*
 * metrics.h: gocspd's figures for Prometheus, served over HTTP at
 * /metrics when --metrics URL is given (off by default).
 */
#ifndef GOCSPD_METRICS_H
#define GOCSPD_METRICS_H

#include "options.h"

/*
 * Serve GET /metrics on o->metrics_url (http://HOST:PORT; port 0 picks
 * one, which is logged) with nng's HTTP server.  Nothing without the
 * option.  @return 0, or -1 (logged).
 */
int gocspd_metrics_start(const struct gocspd_options *o);

/* Stop serving; no request reads gocspd's figures once this returns. */
void gocspd_metrics_stop(void);

#endif /* GOCSPD_METRICS_H */
