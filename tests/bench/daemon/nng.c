/*
 * dbench_nng: the raw nng anchor's clients, REQ sockets of libnng
 * talking to dbench_nng_echo over the same transport as gocspd's.
 *
 *   dbench_nng rtt URL CALLS
 *       One client, CALLS round trips of a 64-byte value.  Metric: p50
 *       latency of one round trip, in microseconds.
 *   dbench_nng clients URL CLIENTS CALLS
 *       CLIENTS client processes share CALLS round trips.  Metric: round
 *       trips per second (msgs_per_s, to line up with the others).
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "dbench.h"

static nng_socket
open_client(const char *url)
{
	nng_socket s;
	int        rv;

	if ((rv = nng_req0_open(&s)) != 0)
		dbench_fail("nng_req0_open: %s", nng_strerror(rv));
	if ((rv = nng_dial(s, url, NULL, 0)) != 0)
		dbench_fail("dial %s: %s", url, nng_strerror(rv));
	return s;
}

static void
round_trip(nng_socket s)
{
	char   buf[DBENCH_VALUE_LEN];
	size_t len = sizeof(buf);
	int    rv;

	if ((rv = nng_send(s, (void *) dbench_value, DBENCH_VALUE_LEN, 0)) !=
	        0 ||
	    (rv = nng_recv(s, buf, &len, 0)) != 0)
		dbench_fail("round trip: %s", nng_strerror(rv));
	if (len != DBENCH_VALUE_LEN)
		dbench_fail("reply of %zu bytes", len);
}

static void
rtt(const char *url, long calls)
{
	nng_socket            s = open_client(url);
	struct dbench_samples samples;
	int64_t               t0, cpu;
	long                  i;

	dbench_samples_init(&samples, (size_t) calls);
	for (i = 0; i < DBENCH_WARMUP_CALLS; i++)
		round_trip(s);
	cpu = dbench_cpu_ns(RUSAGE_SELF);
	for (i = 0; i < calls; i++) {
		t0 = dbench_now();
		round_trip(s);
		dbench_samples_add(&samples, dbench_now() - t0);
	}
	cpu = dbench_cpu_ns(RUSAGE_SELF) - cpu;
	nng_close(s);
	printf("nng_rtt p50_us=%.1f p99_us=%.1f client_cpu_us=%.2f "
	       "calls=%zu\n",
	    dbench_samples_pct_us(&samples, 50),
	    dbench_samples_pct_us(&samples, 99),
	    (double) cpu / 1e3 / (double) samples.n, samples.n);
	dbench_samples_free(&samples);
}

struct clients {
	const char *url;
	size_t      n;
	long        calls;
};

static void
client_member(size_t i, void *arg)
{
	struct clients *c = arg;
	nng_socket      s = open_client(c->url);
	long            k, n = dbench_share(c->calls, i, c->n);

	dbench_team_ready();
	for (k = 0; k < n; k++)
		round_trip(s);
	dbench_team_done();
	nng_close(s);
}

static void
clients(struct clients *c)
{
	int64_t cpu, ns = dbench_team_run(&cpu, c->n, client_member, c);

	printf("nng_clients msgs_per_s=%.0f client_cpu_us=%.2f clients=%zu "
	       "round_trips=%ld\n",
	    (double) c->calls * 1e9 / (double) ns,
	    (double) cpu / 1e3 / (double) c->calls, c->n, c->calls);
}

int
main(int argc, char **argv)
{
	const char *use = "rtt URL CALLS | clients URL CLIENTS CALLS";

	if (argc == 4 && strcmp(argv[1], "rtt") == 0) {
		rtt(argv[2], dbench_arg(argc, argv, 3, use));
	} else if (argc == 5 && strcmp(argv[1], "clients") == 0) {
		struct clients c = { argv[2],
			(size_t) dbench_arg(argc, argv, 3, use),
			dbench_arg(argc, argv, 4, use) };
		clients(&c);
	} else {
		fprintf(stderr, "usage: %s %s\n", argv[0], use);
		return 2;
	}
	return 0;
}
