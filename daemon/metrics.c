/*
 * Design notes: nng's HTTP server calls the handler on one of its own
 * threads, which reads the figures as the operations that answer ping
 * and ls do (figures.c) and writes them with the same writer as
 * `gocsp stat --prometheus` (proto/prometheus.c).  The handler holds a lock
 * while it reads them, and gocspd_metrics_stop takes it after stopping
 * the server: a request still being answered then cannot read channels
 * that the daemon's stop is about to free.
 */
#include "metrics.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "figures.h"
#include "log.h"
#include "prometheus.h"

static nng_http_server *server;
static const struct gocspd_limits *limits;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool stopped; /* under lock */

/* The exposition now, malloc'd.  0 or -1 (out of memory). */
static int
render(char **text, size_t *len)
{
	char version[32];
	Gocsp__ServerInfo si;
	struct gocspd_chan_figures cf;
	struct gocspd_pool_figures pf;
	gocspd_figures_server(&si, version, limits);
	if (gocspd_figures_chans(&cf) != 0)
		return -1;
	int rc = -1;
	if (gocspd_figures_pools(&pf) == 0) {
		struct gocsp__metrics m = {&si, cf.ptrs, cf.n, pf.ptrs, pf.n};
		rc = gocsp__prometheus_text(&m, text, len);
		gocspd_figures_pools_free(&pf);
	}
	gocspd_figures_chans_free(&cf);
	return rc;
}

static void
handle(nng_aio *aio)
{
	char *text = NULL;
	size_t len = 0;
	int rv = NNG_ECLOSED;
	pthread_mutex_lock(&lock);
	if (!stopped)
		rv = render(&text, &len) == 0 ? 0 : NNG_ENOMEM;
	pthread_mutex_unlock(&lock);
	nng_http_res *res = NULL;
	if (rv == 0 && (rv = nng_http_res_alloc(&res)) == 0 &&
	    (rv = nng_http_res_set_header(res, "Content-Type",
	         GOCSP_PROMETHEUS_CONTENT_TYPE)) == 0)
		rv = nng_http_res_copy_data(res, text, len);
	free(text);
	if (rv != 0) {
		if (res != NULL)
			nng_http_res_free(res);
		gocspd_log(GOCSPD_WARN, "answering GET /metrics: %s",
		    nng_strerror(rv));
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

/* The address the server listens on, for the log (port 0 picks one). */
static void
log_address(const nng_url *url)
{
	nng_sockaddr sa;
	if (nng_http_server_get_addr(server, &sa) != 0)
		return;
	uint16_t port = sa.s_family == NNG_AF_INET6 ? sa.s_in6.sa_port
	    : sa.s_family == NNG_AF_INET            ? sa.s_in.sa_port
	                                            : 0;
	gocspd_log(GOCSPD_NOTICE, "metrics on http://%s:%u/metrics",
	    url->u_hostname, (unsigned) ntohs(port));
}

int
gocspd_metrics_start(const struct gocspd_options *o)
{
	if (o->metrics_url == NULL)
		return 0;
	limits = &o->limits;
	nng_url *url = NULL;
	nng_http_handler *h = NULL;
	int rv;
	if ((rv = nng_url_parse(&url, o->metrics_url)) != 0 ||
	    strcmp(url->u_scheme, "http") != 0) {
		gocspd_log(GOCSPD_ERR,
		    "--metrics %s: not an http://HOST:PORT "
		    "URL",
		    o->metrics_url);
		goto fail;
	}
	if ((rv = nng_http_server_hold(&server, url)) != 0 ||
	    (rv = nng_http_handler_alloc(&h, "/metrics", handle)) != 0 ||
	    (rv = nng_http_server_add_handler(server, h)) != 0)
		goto fail_log;
	h = NULL; /* the server's */
	if ((rv = nng_http_server_start(server)) != 0)
		goto fail_log;
	log_address(url);
	nng_url_free(url);
	return 0;
fail_log:
	gocspd_log(GOCSPD_ERR, "--metrics %s: %s", o->metrics_url,
	    nng_strerror(rv));
fail:
	if (h != NULL)
		nng_http_handler_free(h);
	if (server != NULL)
		nng_http_server_release(server);
	server = NULL;
	if (url != NULL)
		nng_url_free(url);
	return -1;
}

void
gocspd_metrics_stop(void)
{
	if (server == NULL)
		return;
	nng_http_server_stop(server);
	pthread_mutex_lock(&lock);
	stopped = true;
	pthread_mutex_unlock(&lock);
	nng_http_server_release(server);
	server = NULL;
}
