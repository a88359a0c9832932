/*
 * Every limit of gocspd, set small on its command line and hit: the client
 * gets GOCSP_ELIMIT (or a refused connection) with a message naming the
 * option, and the daemon goes on serving.
 */
#include "harness.h"

#include <pthread.h>

static struct gt_daemon D;

static const char *const small_limits[] = {
    "--max-msg",
    "1K",
    "--max-channels",
    "3",
    "--max-queued",
    "16K",
    "--max-ops",
    "4",
    "--max-cases",
    "4",
    "--max-name",
    "8",
    "--max-cap",
    "16",
    "--max-unacked",
    "8",
    "--max-clients",
    "6",
    "--max-batch",
    "8",
    NULL,
};

/* rc must be GOCSP_ELIMIT with a message naming option. */
static void
expect_limit(gocsp_client *cl, int rc, const char *option)
{
	EXPECT_EQ(rc, GOCSP_ELIMIT);
	char why[256] = "";
	gocsp_client_last_error(cl, why, sizeof(why));
	if (strstr(why, option) == NULL)
		gt_failf(__FILE__, __LINE__, "'%s' does not name %s", why,
		    option);
}

static void
test_limits__sizes_counts_and_names(void **state)
{
	assert_int_equal(gt_daemon_start(&D, small_limits), 0);
	gocsp_client *cl = gt_client(&D);
	char big[2048];
	memset(big, 'x', sizeof(big));

	EXPECT_EQ(gocsp_client_make(cl, "a", 16), 0);
	expect_limit(cl, gocsp_client_make(cl, "b", 17), "--max-cap");
	expect_limit(cl, gocsp_client_send(cl, "a", big, 1025, 0),
	    "--max-msg");
	EXPECT_EQ(gocsp_client_send(cl, "a", big, 1024, 0), 0);
	EXPECT_EQ(gocsp_client_make(cl, "b", 1), 0);
	EXPECT_EQ(gocsp_client_make(cl, "c", 1), 0);
	expect_limit(cl, gocsp_client_make(cl, "d", 1), "--max-channels");
	EXPECT_EQ(gocsp_client_remove(cl, "c"), 0);
	EXPECT_EQ(gocsp_client_make(cl, "d", 1), 0);

	/* --max-name: the daemon's own limit, below the protocol's. */
	EXPECT_EQ(gocsp_client_make(cl, "123456789", 1), GOCSP_EINVAL);
	char why[256];
	gocsp_client_last_error(cl, why, sizeof(why));
	EXPECT(strstr(why, "too long") != NULL);

	/* --max-queued: 16 KiB in all, each value costing its size and a
	 * small header: 15 values of 1 KiB fit, the 16th does not. */
	int sent = 0, rc;
	while ((rc = gocsp_client_send(cl, "a", big, 1024, 0)) == 0)
		sent++;
	expect_limit(cl, rc, "--max-queued");
	EXPECT_EQ(sent + 1, 15);
	gocsp_client_server_info si;
	EXPECT_EQ(gocsp_client_ping(cl, &si), 0);
	EXPECT_LE(si.queued_bytes, 16 * 1024);

	/* --max-batch and --max-cases. */
	gocsp_client_msg msgs[9];
	gocsp_client_msg got[9];
	size_t n;
	for (int i = 0; i < 9; i++) {
		msgs[i].data = "v";
		msgs[i].len = 1;
	}
	EXPECT_EQ(gocsp_client_remove(cl, "a"), 0);
	EXPECT_EQ(gocsp_client_make(cl, "a", 16), 0);
	/* The library cuts batches to the daemon's limit... */
	EXPECT_EQ(gocsp_client_send_many(cl, "a", msgs, 9, &n, 0), 0);
	EXPECT_EQ(n, 9);
	EXPECT_EQ(gocsp_client_recv_many(cl, "a", got, 9, &n, 0), 0);
	EXPECT_EQ(n, 8);
	for (size_t i = 0; i < n; i++)
		free(got[i].data);
	EXPECT_EQ(gocsp_client_send_many(cl, "a", msgs, 8, &n, 0), 0);
	/* ...which the daemon enforces on anyone else. */
	int fd = gt_raw_connect(&D, true);
	GT_REQUEST(req, 1, 0);
	Gocsp__Recv recv = GOCSP__RECV__INIT;
	recv.name = "a";
	recv.max = 9;
	req.op_case = GOCSP__REQUEST__OP_RECV;
	req.recv = &recv;
	EXPECT_EQ(gt_raw_request(fd, &req), 0);
	Gocsp__Reply *r = gt_raw_reply(fd);
	EXPECT(r != NULL && r->status == GOCSP_ELIMIT &&
	    strstr(r->error, "--max-batch") != NULL);
	if (r != NULL)
		gocsp__reply__free_unpacked(r, NULL);
	close(fd);
	gocsp_client_case cs[5];
	for (int i = 0; i < 5; i++)
		cs[i] = (gocsp_client_case){.name = "a", .op = GOCSP_RECV};
	expect_limit(cl, gocsp_client_select(cl, cs, 5, 0), "--max-cases");
	EXPECT_EQ(gocsp_client_select(cl, cs, 4, 0) >= 0, 1);
	free(cs[0].out);
	free(cs[1].out);
	free(cs[2].out);
	free(cs[3].out);
	gocsp_client_close(cl);
	assert_int_equal(gt_daemon_stop(&D), 0);
}

/* --max-unacked: a client that never acknowledges is stopped. */
static void
test_limits__unacknowledged_deliveries(void **state)
{
	assert_int_equal(gt_daemon_start(&D, small_limits), 0);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "u", 16), 0);
	for (int i = 0; i < 16; i++)
		EXPECT_EQ(gocsp_client_send(cl, "u", "v", 1, 0), 0);
	/* Raw: receive without ever acknowledging. */
	int fd = gt_raw_connect(&D, true);
	int taken = 0;
	Gocsp__Reply *r = NULL;
	for (uint64_t id = 1; id < 20; id++) {
		GT_REQUEST(req, id, 0);
		Gocsp__Recv recv = GOCSP__RECV__INIT;
		recv.name = "u";
		req.op_case = GOCSP__REQUEST__OP_RECV;
		req.recv = &recv;
		EXPECT_EQ(gt_raw_request(fd, &req), 0);
		r = gt_raw_reply(fd);
		if (r == NULL || r->status != 0)
			break;
		taken++;
		gocsp__reply__free_unpacked(r, NULL);
		r = NULL;
	}
	EXPECT_EQ(taken, 8);
	EXPECT(r != NULL && r->status == GOCSP_ELIMIT &&
	    strstr(r->error, "--max-unacked") != NULL);
	if (r != NULL)
		gocsp__reply__free_unpacked(r, NULL);
	close(fd);
	/* What it held goes back when it goes. */
	gocsp_client_chan_info info = {0};
	for (int i = 0; i < 500 && info.len != 16; i++) {
		EXPECT_EQ(gocsp_client_stat(cl, "u", &info), 0);
		usleep(10000);
	}
	EXPECT_EQ(info.len, 16);
	gocsp_client_close(cl);
	assert_int_equal(gt_daemon_stop(&D), 0);
}

/* --max-ops: operations under way on one connection. */
struct blocked {
	gocsp_client *cl;
	int rc;
};

static void *
blocked_recv(void *arg)
{
	struct blocked *b = arg;
	void *d = NULL;
	size_t n;
	b->rc = gocsp_client_recv(b->cl, "ops", &d, &n, GOCSP_SEC(10));
	free(d);
	return NULL;
}

static void
test_limits__operations_and_clients(void **state)
{
	assert_int_equal(gt_daemon_start(&D, small_limits), 0);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "ops", 0), 0);
	struct blocked b[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		b[i] = (struct blocked){.cl = cl};
		pthread_create(&t[i], NULL, blocked_recv, &b[i]);
	}
	gocsp_client *watcher = gt_client(&D);
	gocsp_client_chan_info info = {0};
	for (int i = 0; i < 500 && info.recv_waiting < 4; i++) {
		EXPECT_EQ(gocsp_client_stat(watcher, "ops", &info), 0);
		usleep(10000);
	}
	EXPECT_EQ(info.recv_waiting, 4);
	expect_limit(cl, gocsp_client_ping(cl, NULL), "--max-ops");
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(
		    gocsp_client_send(watcher, "ops", "v", 1, GOCSP_SEC(5)),
		    0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(b[i].rc, 0);
	}
	EXPECT_EQ(gocsp_client_ping(cl, NULL), 0);

	/* --max-clients: 6 connections at once (these two and 4 more). */
	gocsp_client *more[5];
	int opened = 0;
	for (int i = 0; i < 5; i++)
		if (gocsp_client_open(&more[opened], D.url) == 0)
			opened++;
	EXPECT_EQ(opened, 4);
	EXPECT(gt_daemon_logged(&D, "--max-clients reached"));
	for (int i = 0; i < opened; i++)
		gocsp_client_close(more[i]);
	gocsp_client_close(watcher);
	gocsp_client_close(cl);
	assert_int_equal(gt_daemon_stop(&D), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_limits__sizes_counts_and_names),
	    GT_CASE(test_limits__unacknowledged_deliveries),
	    GT_CASE(test_limits__operations_and_clients),
	};
	return GT_RUN_CASES(tests);
}
