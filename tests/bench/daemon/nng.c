/*
 * dbench_nng: the raw nng anchor's clients, REQ sockets of libnng
 * talking to dbench_nng_echo over the same transport as gocspd's
 * (dbench.h gives the command line).
 *
 *   rtt: a round trip of a value, timed.
 *   pc:  producers only (CONSUMERS 0, BATCH 1), each making round trips:
 *        msgs_per_s counts round trips.
 */
#include <stdlib.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "dbench.h"

static void *
open_client(const char *url)
{
	nng_socket *s = malloc(sizeof(*s));
	int rv;

	if (s == NULL)
		dbench_fail("no memory");
	if ((rv = nng_req0_open(s)) != 0)
		dbench_fail("nng_req0_open: %s", nng_strerror(rv));
	if ((rv = nng_dial(*s, url, NULL, 0)) != 0)
		dbench_fail("dial %s: %s", url, nng_strerror(rv));
	return s;
}

static void
close_client(void *s)
{
	nng_close(*(nng_socket *) s);
	free(s);
}

static void
round_trip(nng_socket s)
{
	char buf[DBENCH_VALUE_LEN];
	size_t len = sizeof(buf);
	int rv;

	if ((rv = nng_send(s, (void *) dbench_value, DBENCH_VALUE_LEN, 0)) !=
	        0 ||
	    (rv = nng_recv(s, buf, &len, 0)) != 0)
		dbench_fail("round trip: %s", nng_strerror(rv));
	if (len != DBENCH_VALUE_LEN)
		dbench_fail("reply of %zu bytes", len);
}

static void
rtt_once(void *s, const char *key, struct dbench_samples *samples)
{
	int64_t t0 = dbench_now();

	round_trip(*(nng_socket *) s);
	if (samples != NULL)
		dbench_samples_add(samples, dbench_now() - t0);
}

static void
produce(void *s, const char *key, long n, long batch)
{
	long i;

	if (batch != 1)
		dbench_fail("a round trip carries one value: BATCH must be 1");
	for (i = 0; i < n; i++)
		round_trip(*(nng_socket *) s);
}

int
main(int argc, char **argv)
{
	static const struct dbench_ops ops = {
	    .name = "nng",
	    .open = open_client,
	    .close = close_client,
	    .rtt_once = rtt_once,
	    .rtt_calls = 1,
	    .produce = produce,
	};

	return dbench_main(argc, argv, &ops);
}
