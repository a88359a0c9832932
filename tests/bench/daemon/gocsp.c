/*
 * dbench_gocsp: gocspd's side of the daemon benchmarks, through the
 * client library.
 *
 *   dbench_gocsp rtt URL CALLS
 *       One client sends a value on a channel of capacity 1 and receives
 *       it back, CALLS calls in all (half sends, half receives).  Metric:
 *       p50 latency of one call, in microseconds.
 *   dbench_gocsp pc URL PRODUCERS CONSUMERS MSGS BATCH
 *       Producer and consumer processes share MSGS values through one
 *       channel, BATCH a call (gocsp_client_send_many / recv_many when it
 *       is above 1).  Metric: values delivered per second.
 *
 * Anchors: nng.c (raw REQ/REP) and redis.c; tests/bench/daemon.sh runs
 * them alternately.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <gocsp/client.h>

#include "dbench.h"

/* The pc channel's buffer: room for 16 batches of 64, so producers
 * rarely wait for consumers. */
#define PC_CAP 1024

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

static gocsp_client *
open_client(const char *url)
{
	gocsp_client *cl;

	check(NULL, gocsp_client_open(&cl, url), url);
	return cl;
}

/* A fresh channel name of capacity cap: empty whatever an earlier run
 * that failed left behind. */
static void
fresh_chan(gocsp_client *cl, const char *name, uint32_t cap)
{
	int rc = gocsp_client_remove(cl, name);

	if (rc != GOCSP_ENOENT)
		check(cl, rc, "remove");
	check(cl, gocsp_client_make(cl, name, cap), "make");
}

/* One send and one receive; with s, their latencies. */
static void
rtt_once(gocsp_client *cl, struct dbench_samples *s)
{
	void   *data;
	size_t  len;
	int64_t t0, t1, t2;
	int     rc;

	t0 = dbench_now();
	rc = gocsp_client_send(
	    cl, "rtt", dbench_value, DBENCH_VALUE_LEN, GOCSP_FOREVER);
	t1 = dbench_now();
	check(cl, rc, "send");
	rc = gocsp_client_recv(cl, "rtt", &data, &len, GOCSP_FOREVER);
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
rtt(const char *url, long calls)
{
	gocsp_client         *cl = open_client(url);
	struct dbench_samples s;
	int64_t               cpu;
	long                  i;

	fresh_chan(cl, "rtt", 1);
	dbench_samples_init(&s, (size_t) calls);
	for (i = 0; i < DBENCH_WARMUP_CALLS / 2; i++)
		rtt_once(cl, NULL);
	cpu = dbench_cpu_ns(RUSAGE_SELF);
	for (i = 0; i < calls / 2; i++)
		rtt_once(cl, &s);
	cpu = dbench_cpu_ns(RUSAGE_SELF) - cpu;
	check(cl, gocsp_client_remove(cl, "rtt"), "remove");
	gocsp_client_close(cl);
	printf("gocsp_rtt p50_us=%.1f p99_us=%.1f client_cpu_us=%.2f "
	       "calls=%zu\n",
	    dbench_samples_pct_us(&s, 50), dbench_samples_pct_us(&s, 99),
	    (double) cpu / 1e3 / (double) s.n, s.n);
	dbench_samples_free(&s);
}

struct pc {
	const char *url;
	size_t      producers, consumers;
	long        msgs, batch;
};

static void
produce(gocsp_client *cl, long n, long batch)
{
	gocsp_client_msg *m = calloc((size_t) batch, sizeof(*m));
	size_t            sent;
	long              i, k;
	int               rc;

	if (m == NULL)
		dbench_fail("no memory");
	for (k = 0; k < batch; k++)
		m[k] = (gocsp_client_msg) { (void *) dbench_value,
			DBENCH_VALUE_LEN };
	for (i = 0; i < n; i += k) {
		k = n - i < batch ? n - i : batch;
		if (batch == 1)
			rc = gocsp_client_send(cl, "pc", dbench_value,
			    DBENCH_VALUE_LEN, GOCSP_FOREVER);
		else
			rc = gocsp_client_send_many(
			    cl, "pc", m, (size_t) k, &sent, GOCSP_FOREVER);
		check(cl, rc, "send");
	}
	free(m);
}

static void
consume(gocsp_client *cl, long n, long batch)
{
	gocsp_client_msg *m = calloc((size_t) batch, sizeof(*m));
	size_t            got, j;
	long              i;
	int               rc;

	if (m == NULL)
		dbench_fail("no memory");
	for (i = 0; i < n; i += (long) got) {
		size_t max = (size_t) (n - i < batch ? n - i : batch);
		got        = 1;
		if (batch == 1)
			rc = gocsp_client_recv(
			    cl, "pc", &m[0].data, &m[0].len, GOCSP_FOREVER);
		else
			rc = gocsp_client_recv_many(
			    cl, "pc", m, max, &got, GOCSP_FOREVER);
		check(cl, rc, "recv");
		for (j = 0; j < got; j++) {
			if (m[j].len != DBENCH_VALUE_LEN)
				dbench_fail("recv: %zu bytes", m[j].len);
			free(m[j].data);
		}
	}
	free(m);
}

/* Member i: a producer when i < producers, else a consumer. */
static void
pc_member(size_t i, void *arg)
{
	struct pc    *pc       = arg;
	gocsp_client *cl       = open_client(pc->url);
	bool          producer = i < pc->producers;
	size_t        k        = producer ? i : i - pc->producers;
	size_t        of       = producer ? pc->producers : pc->consumers;

	/* Only after every member is ready do producers send: the channel
	 * exists by then. */
	if (i == 0)
		fresh_chan(cl, "pc", PC_CAP);
	dbench_team_ready();
	if (producer)
		produce(cl, dbench_share(pc->msgs, k, of), pc->batch);
	else
		consume(cl, dbench_share(pc->msgs, k, of), pc->batch);
	dbench_team_done();
	gocsp_client_close(cl);
}

static void
pc(struct pc *pc)
{
	size_t  n = pc->producers + pc->consumers;
	int64_t cpu, ns = dbench_team_run(&cpu, n, pc_member, pc);

	printf("gocsp_pc msgs_per_s=%.0f client_cpu_us=%.2f producers=%zu "
	       "consumers=%zu batch=%ld msgs=%ld cap=%d\n",
	    (double) pc->msgs * 1e9 / (double) ns,
	    (double) cpu / 1e3 / (double) pc->msgs, pc->producers,
	    pc->consumers, pc->batch, pc->msgs, PC_CAP);
}

int
main(int argc, char **argv)
{
	const char *use = "rtt URL CALLS | pc URL PRODUCERS CONSUMERS MSGS "
	                  "BATCH";

	if (argc == 4 && strcmp(argv[1], "rtt") == 0) {
		rtt(argv[2], dbench_arg(argc, argv, 3, use));
	} else if (argc == 7 && strcmp(argv[1], "pc") == 0) {
		struct pc p = { argv[2],
			(size_t) dbench_arg(argc, argv, 3, use),
			(size_t) dbench_arg(argc, argv, 4, use),
			dbench_arg(argc, argv, 5, use),
			dbench_arg(argc, argv, 6, use) };
		pc(&p);
	} else {
		fprintf(stderr, "usage: %s %s\n", argv[0], use);
		return 2;
	}
	return 0;
}
