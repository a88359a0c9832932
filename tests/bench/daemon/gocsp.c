/*
 * dbench_gocsp: gocspd's side of the daemon benchmarks, through the
 * client library (dbench.h gives the command line).
 *
 *   rtt: gocsp_client_send then gocsp_client_recv of a value on a channel
 *        of capacity 1, each call timed.
 *   pc:  gocsp_client_send / recv on a channel of capacity DBENCH_PC_CAP,
 *        or with BATCH above 1 gocsp_client_send_many / recv_many.
 *
 * Anchors: nng.c (raw REQ/REP) and redis.c; tests/bench/daemon.sh runs
 * them alternately.
 */
#include <stdio.h>
#include <stdlib.h>

#include <gocsp/client.h>

#include "dbench.h"

static void
check(gocsp_client *cl, int rc, const char *what)
{
	char why[512] = "";

	if (rc >= 0)
		return;
	if (cl != NULL)
		gocsp_client_last_error(cl, why, sizeof(why));
	dbench_fail("%s: %s (%s)", what, gocsp_strerror(rc), why);
}

static void *
open_client(const char *url)
{
	gocsp_client *cl;

	check(NULL, gocsp_client_open(&cl, url), url);
	return cl;
}

static void
close_client(void *cl)
{
	gocsp_client_close(cl);
}

/* A fresh channel: empty whatever an earlier run that failed left. */
static void
prepare(void *cl, const char *name, uint32_t cap)
{
	int rc = gocsp_client_remove(cl, name);

	if (rc != GOCSP_ENOENT)
		check(cl, rc, "remove");
	check(cl, gocsp_client_make(cl, name, cap), "make");
}

static void
rtt_once(void *cl, const char *name, struct dbench_samples *s)
{
	void *data;
	size_t len;
	int64_t t0, t1, t2;
	int rc;

	t0 = dbench_now();
	rc = gocsp_client_send(cl, name, dbench_value, DBENCH_VALUE_LEN,
	    GOCSP_FOREVER);
	t1 = dbench_now();
	check(cl, rc, "send");
	rc = gocsp_client_recv(cl, name, &data, &len, GOCSP_FOREVER);
	t2 = dbench_now();
	check(cl, rc, "recv");
	if (len != DBENCH_VALUE_LEN)
		dbench_fail("recv: %zu bytes, not %d", len, DBENCH_VALUE_LEN);
	free(data);
	if (s != NULL) {
		dbench_samples_add(s, t1 - t0);
		dbench_samples_add(s, t2 - t1);
	}
}

static void
produce(void *cl, const char *name, long n, long batch)
{
	gocsp_client_msg *m = calloc((size_t) batch, sizeof(*m));
	size_t sent;
	long i, k;
	int rc;

	if (m == NULL)
		dbench_fail("no memory");
	for (k = 0; k < batch; k++)
		m[k] = (gocsp_client_msg){(void *) dbench_value,
		    DBENCH_VALUE_LEN};
	for (i = 0; i < n; i += k) {
		k = n - i < batch ? n - i : batch;
		if (batch == 1)
			rc = gocsp_client_send(cl, name, dbench_value,
			    DBENCH_VALUE_LEN, GOCSP_FOREVER);
		else
			rc = gocsp_client_send_many(cl, name, m, (size_t) k,
			    &sent, GOCSP_FOREVER);
		check(cl, rc, "send");
	}
	free(m);
}

static void
consume(void *cl, const char *name, long n, long batch)
{
	gocsp_client_msg *m = calloc((size_t) batch, sizeof(*m));
	size_t got, j;
	long i;
	int rc;

	if (m == NULL)
		dbench_fail("no memory");
	for (i = 0; i < n; i += (long) got) {
		size_t max = (size_t) (n - i < batch ? n - i : batch);
		got = 1;
		if (batch == 1)
			rc = gocsp_client_recv(cl, name, &m[0].data, &m[0].len,
			    GOCSP_FOREVER);
		else
			rc = gocsp_client_recv_many(cl, name, m, max, &got,
			    GOCSP_FOREVER);
		check(cl, rc, "recv");
		for (j = 0; j < got; j++) {
			if (m[j].len != DBENCH_VALUE_LEN)
				dbench_fail("recv: %zu bytes", m[j].len);
			free(m[j].data);
		}
	}
	free(m);
}

int
main(int argc, char **argv)
{
	static const struct dbench_ops ops = {
	    .name = "gocsp",
	    .open = open_client,
	    .close = close_client,
	    .prepare = prepare,
	    .rtt_once = rtt_once,
	    .rtt_calls = 2,
	    .produce = produce,
	    .consume = consume,
	};

	return dbench_main(argc, argv, &ops);
}
