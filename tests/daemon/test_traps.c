/*
 * The traps of nng 1.5.2 and bad input, each provoked on purpose against a
 * real gocspd: REQ resends run once; a reply to a pipe that went does not
 * lose its value; frames over the size limit close their connection
 * without an allocation; connect storms, which wedge nng's ipc://
 * listeners (nng #1518, shown here), and another program on the socket
 * path leave new clients able to get in; peers of
 * another uid are refused; garbage, unknown operations, invalid names and
 * a select of 10,000 cases get an error or a closed connection while the
 * daemon keeps serving everyone else.
 */
#include "harness.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>

static struct gt_daemon D;

static void
start(const char *const *args)
{
	assert_int_equal(gt_daemon_start(&D, args), 0);
}

static void
stop(void)
{
	assert_int_equal(gt_daemon_stop(&D), 0);
}

/* The daemon answers a fresh client. */
static void
expect_serving(void)
{
	gocsp_client *cl = gt_client(&D);
	if (cl != NULL)
		EXPECT_EQ(gocsp_client_ping(cl, NULL), 0);
	gocsp_client_close(cl);
}

/* ---------------------------------------------------------------------- */
/* nng's REQ resends                                                       */
/* ---------------------------------------------------------------------- */

/* A receive through nng's cooked REQ socket, which resends every 100 ms,
 * blocked 5 times longer: it runs once. */
static void
test_traps__req_resend_runs_once(void **state)
{
	static const char *const args[] = {"-v", NULL};
	start(args);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "rs", 4), 0);

	nng_socket req;
	assert_int_equal(nng_req0_open(&req), 0);
	assert_int_equal(nng_socket_set_ms(req, NNG_OPT_REQ_RESENDTIME, 100),
	    0);
	assert_int_equal(nng_dial(req, D.url, NULL, 0), 0);
	GT_REQUEST(r, 1, -1);
	Gocsp__Recv recv = GOCSP__RECV__INIT;
	recv.name = "rs";
	r.op_case = GOCSP__REQUEST__OP_RECV;
	r.recv = &recv;
	size_t len = gocsp__request__get_packed_size(&r);
	uint8_t buf[256];
	gocsp__request__pack(&r, buf);
	assert_int_equal(nng_send(req, buf, len, 0), 0);
	usleep(500000);
	EXPECT(gt_daemon_logged(&D, "seen before (a resend): dropped"));

	EXPECT_EQ(gocsp_client_send(cl, "rs", "a", 1, 0), 0);
	EXPECT_EQ(gocsp_client_send(cl, "rs", "b", 1, 0), 0);
	char *rep = NULL;
	size_t n = 0;
	assert_int_equal(nng_recv(req, &rep, &n, NNG_FLAG_ALLOC), 0);
	Gocsp__Reply *reply = gocsp__wire_decode_reply(rep, n);
	nng_free(rep, n);
	assert_non_null(reply);
	EXPECT_EQ(reply->status, 0);
	EXPECT_EQ(reply->n_deliveries, 1);
	EXPECT(reply->deliveries[0]->value.len == 1 &&
	    reply->deliveries[0]->value.data[0] == 'a');
	usleep(300000); /* time for a duplicate to take "b" */
	gocsp_client_chan_info info;
	EXPECT_EQ(gocsp_client_stat(cl, "rs", &info), 0);
	EXPECT_EQ(info.len, 1);
	EXPECT_EQ(info.recv_waiting, 0);
	EXPECT_EQ(info.in_flight, 1);
	gocsp__reply__free_unpacked(reply, NULL);
	nng_close(req);
	gocsp_client_close(cl);
	stop();
}

/* ---------------------------------------------------------------------- */
/* Replies to a pipe that has gone                                         */
/* ---------------------------------------------------------------------- */

static void
recv_request(Gocsp__Request *r, Gocsp__Recv *recv, uint64_t id,
    const char *name, int64_t timeout)
{
	gocsp__request__init(r);
	gocsp__recv__init(recv);
	r->op_id = id;
	r->timeout_ns = timeout;
	recv->name = (char *) name;
	r->op_case = GOCSP__REQUEST__OP_RECV;
	r->recv = recv;
}

/* Wait until channel name holds len values, none in flight or asked
 * for: a value lost would never come back. */
static bool
settled(gocsp_client *cl, const char *name, uint64_t len,
    gocsp_client_chan_info *info)
{
	for (int i = 0; i < 500; i++) {
		if (gocsp_client_stat(cl, name, info) == 0 &&
		    info->in_flight == 0 && info->recv_waiting == 0 &&
		    info->len == len)
			return true;
		usleep(10000);
	}
	return false;
}

static void
test_traps__reply_to_gone_pipe_loses_nothing(void **state)
{
	start(NULL);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "g", 4), 0);
	EXPECT_EQ(gocsp_client_send(cl, "g", "keep", 4, 0), 0);
	gocsp_client_chan_info info;
	for (int i = 0; i < 100; i++) {
		/* Ask, and go before (or while) the reply comes. */
		int fd = gt_raw_connect(&D, true);
		assert_true(fd >= 0);
		Gocsp__Request r;
		Gocsp__Recv recv;
		recv_request(&r, &recv, 1, "g", -1);
		EXPECT_EQ(gt_raw_request(fd, &r), 0);
		if (i % 2)
			usleep((useconds_t) (i * 20));
		close(fd);
		EXPECT(settled(cl, "g", 1, &info));
	}
	/* Handed the value and gone without acknowledging it. */
	for (int i = 0; i < 20; i++) {
		int fd = gt_raw_connect(&D, true);
		Gocsp__Request r;
		Gocsp__Recv recv;
		recv_request(&r, &recv, 1, "g", -1);
		EXPECT_EQ(gt_raw_request(fd, &r), 0);
		Gocsp__Reply *reply = gt_raw_reply(fd);
		EXPECT(reply != NULL && reply->n_deliveries == 1);
		if (reply != NULL)
			gocsp__reply__free_unpacked(reply, NULL);
		close(fd);
		EXPECT(settled(cl, "g", 1, &info));
	}
	EXPECT_GE(info.redelivered, 20);
	void *d;
	size_t n;
	EXPECT_EQ(gocsp_client_recv(cl, "g", &d, &n, 0), 0);
	EXPECT(n == 4 && memcmp(d, "keep", 4) == 0);
	free(d);
	gocsp_client_close(cl);
	stop();
}

/* A client that asks for far more than its socket holds and reads none
 * of it: its replies wait for it, nobody else waits, and when it reads it
 * gets every value once, in order. */
static void
test_traps__a_client_that_does_not_read_holds_up_no_one(void **state)
{
	start(NULL);
	enum { VALUES = 200, SIZE = 64 << 10 };
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "big", VALUES), 0);
	char *v = malloc(SIZE);
	for (int i = 0; i < VALUES; i++) {
		memset(v, 'a' + i % 26, SIZE);
		memcpy(v, &i, sizeof(i));
		EXPECT_EQ(gocsp_client_send(cl, "big", v, SIZE, 0), 0);
	}
	int fd = gt_raw_connect(&D, true);
	assert_true(fd >= 0);
	for (int i = 0; i < VALUES; i++) {
		Gocsp__Request r;
		Gocsp__Recv recv;
		recv_request(&r, &recv, (uint64_t) i + 1, "big", -1);
		EXPECT_EQ(gt_raw_request(fd, &r), 0);
	}
	/* 12.5 MiB of replies wait; the others are served meanwhile. */
	for (int i = 0; i < 20; i++) {
		gocsp_client *other = gt_client(&D);
		EXPECT_EQ(gocsp_client_ping(other, NULL), 0);
		EXPECT_EQ(gocsp_client_make(other, "other", 1), 0);
		gocsp_client_close(other);
	}
	for (int i = 0; i < VALUES; i++) {
		Gocsp__Reply *reply = gt_raw_reply(fd);
		EXPECT(reply != NULL && reply->op_id == (uint64_t) i + 1 &&
		    reply->n_deliveries == 1);
		if (reply == NULL)
			break;
		ProtobufCBinaryData *got = &reply->deliveries[0]->value;
		int k = -1;
		if (got->len == SIZE)
			memcpy(&k, got->data, sizeof(k));
		EXPECT_EQ(k, i);
		gocsp__reply__free_unpacked(reply, NULL);
	}
	close(fd);
	free(v);
	gocsp_client_chan_info info; /* never acknowledged: all come back */
	EXPECT(settled(cl, "big", VALUES, &info));
	gocsp_client_close(cl);
	stop();
}

/* An unbuffered send completes only when a receiver that stays has it. */
struct sender {
	int rc;
	atomic_bool done;
};

static void *
unbuffered_sender(void *arg)
{
	struct sender *s = arg;
	gocsp_client *cl = gt_client(&D);
	s->rc = gocsp_client_send(cl, "ub", "x", 1, GOCSP_SEC(20));
	atomic_store(&s->done, true);
	gocsp_client_close(cl);
	return NULL;
}

static void
test_traps__unbuffered_receiver_dies_before_ack(void **state)
{
	start(NULL);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "ub", 0), 0);
	struct sender s = {0};
	pthread_t t;
	pthread_create(&t, NULL, unbuffered_sender, &s);
	for (int round = 0; round < 3; round++) {
		int fd = gt_raw_connect(&D, true);
		Gocsp__Request r;
		Gocsp__Recv recv;
		recv_request(&r, &recv, 1, "ub", -1);
		EXPECT_EQ(gt_raw_request(fd, &r), 0);
		Gocsp__Reply *reply = gt_raw_reply(fd);
		EXPECT(reply != NULL && reply->n_deliveries == 1 &&
		    reply->deliveries[0]->ack_now);
		if (reply != NULL)
			gocsp__reply__free_unpacked(reply, NULL);
		usleep(100000);
		EXPECT(!atomic_load(&s.done)); /* not acknowledged yet */
		close(fd);                     /* and gone */
	}
	void *d;
	size_t n;
	EXPECT_EQ(gocsp_client_recv(cl, "ub", &d, &n, GOCSP_SEC(10)), 0);
	EXPECT(n == 1 && memcmp(d, "x", 1) == 0);
	free(d);
	pthread_join(t, NULL);
	EXPECT_EQ(s.rc, 0);
	gocsp_client_close(cl);
	stop();
}

/* ---------------------------------------------------------------------- */
/* Bad input                                                               */
/* ---------------------------------------------------------------------- */

static long
rss_kb(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

static void
test_traps__oversized_frames_close_the_connection(void **state)
{
	start(NULL);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "o", 0), 0);
	long before = rss_kb(D.pid);
	uint64_t sizes[] = {
	    (uint64_t) 1 << 40, /* what nng 1.5.2 would allocate */
	    (uint64_t) GOCSP_WIRE_MAX_MSG + GOCSP_WIRE_FRAME_OVERHEAD + 1,
	};
	for (size_t i = 0; i < 2; i++) {
		int fd = gt_raw_connect(&D, true);
		unsigned char head[GOCSP_WIRE_IPC_HEADER + 64] = {0};
		gocsp__wire_ipc_header(head, sizes[i]);
		EXPECT(send(fd, head, sizeof(head), MSG_NOSIGNAL) > 0);
		EXPECT(gt_raw_closed(fd));
		close(fd);
	}
	long after = rss_kb(D.pid);
	EXPECT_LE(after, before + 50 * 1024);
	expect_serving();
	gocsp_client_close(cl);
	stop();
}

static void *
blocked_receiver(void *arg)
{
	gocsp_client *cl = gt_client(&D);
	void *d = NULL;
	size_t n;
	*(int *) arg =
	    gocsp_client_recv(cl, "bystander", &d, &n, GOCSP_SEC(60));
	free(d);
	gocsp_client_close(cl);
	return NULL;
}

/* Whether a new connection is served: a ping answered within 2 s. */
static int
served_once(void)
{
	int fd = gt_raw_connect(&D, true);
	if (fd < 0)
		return -1;
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	GT_REQUEST(req, 1, 0);
	Gocsp__Ping ping = GOCSP__PING__INIT;
	req.op_case = GOCSP__REQUEST__OP_PING;
	req.ping = &ping;
	Gocsp__Reply *r = NULL;
	if (gt_raw_request(fd, &req) == 0)
		r = gt_raw_reply(fd);
	if (r == NULL) {
		close(fd);
		return -1;
	}
	gocsp__reply__free_unpacked(r, NULL);
	tv.tv_sec = 5;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static bool
answers(void)
{
	int fd = served_once();
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/* A raw connection the daemon serves (op_id 1 used), after retries. */
static int
served_raw(void)
{
	for (int i = 0; i < 5; i++) {
		int fd = served_once();
		if (fd >= 0)
			return fd;
	}
	return -1;
}

static void
test_traps__garbage_never_stops_the_daemon(void **state)
{
	static const char *const args[] = {"--probe-interval", "100ms", NULL};
	start(args);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "bystander", 0), 0);
	int bystander_rc = -1;
	pthread_t t;
	pthread_create(&t, NULL, blocked_receiver, &bystander_rc);

	unsigned seed = 7;
	for (int i = 0; i < 200; i++) {
		/* Raw bytes instead of a handshake, or after one. */
		int fd = gt_raw_connect(&D, i % 2 == 1);
		assert_true(fd >= 0);
		unsigned char junk[512];
		size_t n = 1 + (size_t) (rand_r(&seed) % sizeof(junk));
		for (size_t k = 0; k < n; k++)
			junk[k] = (unsigned char) rand_r(&seed);
		if (i % 4 == 3) /* well framed, garbage inside */
			gt_raw_send(fd, 0x80000001u + (uint32_t) i, junk, n);
		else
			(void) !send(fd, junk, n, MSG_NOSIGNAL);
		close(fd);
	}
	/* A frame too short to hold a request id. */
	int fd = served_raw();
	assert_true(fd >= 0);
	unsigned char head[GOCSP_WIRE_IPC_HEADER + 2];
	gocsp__wire_ipc_header(head, 2);
	(void) !send(fd, head, sizeof(head), MSG_NOSIGNAL);
	EXPECT(gt_raw_closed(fd));
	close(fd);

	/* Unknown and missing operations: an error, the connection stays. */
	fd = served_raw();
	assert_true(fd >= 0);
	static const uint8_t unknown_op[] = {
	    0x08, 0x05,       /* op_id 5 */
	    0xc2, 0x02, 0x00, /* field 40, empty message */
	};
	EXPECT_EQ(gt_raw_send(fd, gocsp__wire_reqid(5), unknown_op,
	              sizeof(unknown_op)),
	    0);
	Gocsp__Reply *r = gt_raw_reply(fd);
	EXPECT(r != NULL && r->op_id == 5 && r->status == GOCSP_EINVAL);
	if (r != NULL) {
		EXPECT(strstr(r->error, "unknown") != NULL);
		gocsp__reply__free_unpacked(r, NULL);
	}
	/* A name the client library would have refused. */
	Gocsp__Request req;
	Gocsp__Recv recv;
	recv_request(&req, &recv, 6, "bad\nname", 0);
	EXPECT_EQ(gt_raw_request(fd, &req), 0);
	r = gt_raw_reply(fd);
	EXPECT(r != NULL && r->status == GOCSP_EINVAL);
	if (r != NULL)
		gocsp__reply__free_unpacked(r, NULL);
	close(fd);

	expect_serving();
	EXPECT_EQ(gocsp_client_send(cl, "bystander", "ok", 2, GOCSP_SEC(10)),
	    0);
	pthread_join(t, NULL);
	EXPECT_EQ(bystander_rc, 0);
	gocsp_client_close(cl);
	stop();
}

static void
test_traps__select_of_ten_thousand_cases(void **state)
{
	start(NULL);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "c", 1), 0);
	enum { N = 10000 };
	gocsp_client_case *cs = calloc(N, sizeof(*cs));
	for (int i = 0; i < N; i++) {
		cs[i].name = "c";
		cs[i].op = i % 2 ? GOCSP_SEND : GOCSP_RECV;
		cs[i].data = "v";
		cs[i].len = 1;
	}
	EXPECT_EQ(gocsp_client_select(cl, cs, N, GOCSP_SEC(1)), GOCSP_ELIMIT);
	char why[256];
	gocsp_client_last_error(cl, why, sizeof(why));
	EXPECT(strstr(why, "--max-cases") != NULL);
	free(cs);
	expect_serving();
	gocsp_client_close(cl);
	stop();
}

/* ---------------------------------------------------------------------- */
/* The listener                                                            */
/* ---------------------------------------------------------------------- */

/* Connect and close before the handshake, many times: what wedges nng's
 * ipc:// listeners (nng #1518). */
static void
storm(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (int i = 0; i < 50; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0) {
			struct linger l = {.l_onoff = 1, .l_linger = 0};
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		close(fd);
	}
}

/* The trap gocspd's own ipc:// endpoint avoids is real: after such
 * storms nng's listener stops making pipes, and a REQ gets no reply. */
static void
test_traps__nng_ipc_listener_wedges(void **state)
{
	char dir[] = "/tmp/gocsp-nng.XXXXXX", url[64];
	assert_non_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "ipc://%s/nng.sock", dir);
	nng_socket rep, req;
	assert_int_equal(nng_rep0_open(&rep), 0);
	assert_int_equal(nng_listen(rep, url, NULL, 0), 0);
	bool wedged = false;
	for (int round = 0; round < 10 && !wedged; round++) {
		storm(url + 6);
		assert_int_equal(nng_req0_open(&req), 0);
		nng_socket_set_ms(req, NNG_OPT_RECVTIMEO, 500);
		nng_msg *m = NULL;
		wedged = nng_dial(req, url, NULL, 0) != 0 ||
		    nng_send(req, "ping", 4, 0) != 0 ||
		    nng_recvmsg(rep, &m, NNG_FLAG_NONBLOCK) != 0;
		/* A served request is waiting in rep (non-blocking: it may
		 * still be on its way; give it the 500 ms). */
		if (wedged) {
			nng_socket_set_ms(rep, NNG_OPT_RECVTIMEO, 500);
			wedged = nng_recvmsg(rep, &m, 0) != 0;
		}
		if (m != NULL)
			nng_msg_free(m);
		nng_close(req);
	}
	EXPECT(wedged);
	nng_close(rep);
	unlink(url + 6);
	rmdir(dir);
}

/* The same storms against gocspd, its watchdog asleep: it keeps serving,
 * new clients and old. */
static void
test_traps__connect_storms_never_stop_the_ipc_listener(void **state)
{
	static const char *const args[] = {"--probe-interval", "1h", NULL};
	start(args);
	gocsp_client *before = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(before, "w", 4), 0);
	for (int round = 0; round < 10; round++) {
		storm(D.path);
		EXPECT(answers());
	}
	EXPECT_EQ(gocsp_client_send(before, "w", "still", 5, 0), 0);
	gocsp_client_close(before);
	stop();
}

static void
test_traps__another_program_on_the_socket_path(void **state)
{
	static const char *const args[] = {"--probe-interval", "100ms", NULL};
	start(args);
	/* nng's own listen probes the live socket by connecting and
	 * closing, then gives up: what wedged nng's listeners (#1518). */
	for (int i = 0; i < 5; i++) {
		nng_socket rep;
		assert_int_equal(nng_rep0_open(&rep), 0);
		EXPECT_EQ(nng_listen(rep, D.url, NULL, 0), NNG_EADDRINUSE);
		nng_close(rep);
	}
	expect_serving();
	/* The socket file removed: it comes back. */
	EXPECT_EQ(unlink(D.path), 0);
	expect_serving();
	EXPECT(gt_daemon_logged(&D, "the socket file was removed"));
	stop();
}

static void
test_traps__socket_is_private(void **state)
{
	start(NULL);
	struct stat st;
	EXPECT_EQ(stat(D.path, &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0600);
	char lock[160];
	snprintf(lock, sizeof(lock), "%s.lock", D.path);
	EXPECT_EQ(stat(lock, &st), 0);

	/* A second daemon on the same socket is refused, clearly. */
	struct gt_daemon second = D;
	snprintf(second.log, sizeof(second.log), "%s/second.log", D.dir);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(second.log, O_WRONLY | O_CREAT, 0600);
		dup2(fd, STDERR_FILENO);
		execl(getenv("GOCSPD"), "gocspd", "-u", D.url, (char *) NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	char pidstr[32];
	snprintf(pidstr, sizeof(pidstr), "pid %d", (int) D.pid);
	EXPECT(gt_daemon_logged(&second, "another gocspd"));
	EXPECT(gt_daemon_logged(&second, pidstr));
	expect_serving();

	/* A peer of another uid is refused, even with the socket open to
	 * all: the daemon checks the peer's credentials. */
	if (geteuid() == 0) {
		EXPECT_EQ(chmod(D.dir, 0755), 0);
		EXPECT_EQ(chmod(D.path, 0666), 0);
		pid = fork();
		if (pid == 0) {
			if (setresgid(65534, 65534, 65534) != 0 ||
			    setresuid(65534, 65534, 65534) != 0)
				_exit(10);
			gocsp_client *cl;
			int rc = gocsp_client_open(&cl, D.url);
			if (rc == 0)
				rc = gocsp_client_ping(cl, NULL);
			_exit(rc == 0 ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
		EXPECT(gt_daemon_logged(&D,
		    "refused a connection from uid "
		    "65534"));
	} else {
		fprintf(stderr,
		    "# not root: the other-uid peer is not tried\n");
	}
	stop();
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_traps__req_resend_runs_once),
	    GT_CASE(test_traps__reply_to_gone_pipe_loses_nothing),
	    GT_CASE(test_traps__a_client_that_does_not_read_holds_up_no_one),
	    GT_CASE(test_traps__unbuffered_receiver_dies_before_ack),
	    GT_CASE(test_traps__oversized_frames_close_the_connection),
	    GT_CASE(test_traps__garbage_never_stops_the_daemon),
	    GT_CASE(test_traps__select_of_ten_thousand_cases),
	    GT_CASE(test_traps__nng_ipc_listener_wedges),
	    GT_CASE(test_traps__connect_storms_never_stop_the_ipc_listener),
	    GT_CASE(test_traps__another_program_on_the_socket_path),
	    GT_CASE(test_traps__socket_is_private),
	};
	return GT_RUN_CASES(tests);
}
