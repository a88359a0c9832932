/*
 * Clients killed with SIGKILL: nothing they held is lost.  A receiver
 * killed while blocked leaves the channel as it was; one killed after it
 * was handed a value (and before it acknowledged it) has the value put
 * back and redelivered; consumers killed at 100 random moments while
 * draining a channel lose nothing, which the values they printed and the
 * ones left prove.
 */
#include "harness.h"

static struct gt_daemon D;

/* Wait (up to 10 s) until a counter of channel name satisfies ok(). */
static gocsp_client_chan_info
wait_for(gocsp_client *cl, const char *name,
    bool (*ok)(const gocsp_client_chan_info *))
{
	gocsp_client_chan_info info = {0};
	for (int i = 0; i < 1000; i++) {
		if (gocsp_client_stat(cl, name, &info) == 0 && ok(&info))
			break;
		usleep(10000);
	}
	return info;
}

static bool
one_waiting(const gocsp_client_chan_info *i)
{
	return i->recv_waiting == 1;
}

static bool
none_waiting(const gocsp_client_chan_info *i)
{
	return i->recv_waiting == 0;
}

static bool
none_in_flight(const gocsp_client_chan_info *i)
{
	return i->in_flight == 0;
}

static void
kill_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A child that receives one value from name, writes it to fd and waits
 * to be killed, without acknowledging it (ack delay FOREVER). */
static pid_t
spawn_holder(const char *name, int fd)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	gocsp_client *cl;
	if (gocsp_client_open(&cl, D.url) != 0)
		_exit(1);
	gocsp_client_set_ack_delay(cl, GOCSP_FOREVER);
	void *d;
	size_t n;
	if (gocsp_client_recv(cl, name, &d, &n, GOCSP_FOREVER) != 0)
		_exit(2);
	(void) !write(fd, d, n);
	for (;;)
		pause();
}

static void
test_faults__receiver_killed_while_blocked(void **state)
{
	assert_int_equal(gt_daemon_start(&D, NULL), 0);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "k", 4), 0);
	for (int round = 0; round < 20; round++) {
		int p[2];
		assert_int_equal(pipe(p), 0);
		pid_t pid = spawn_holder("k", p[1]);
		EXPECT_EQ(wait_for(cl, "k", one_waiting).recv_waiting, 1);
		kill_child(pid);
		EXPECT_EQ(wait_for(cl, "k", none_waiting).recv_waiting, 0);
		/* The dead receiver's operation took nothing. */
		EXPECT_EQ(gocsp_client_send(cl, "k", "v", 1, 0), 0);
		EXPECT_EQ(gt_len(cl, "k"), 1);
		void *d;
		size_t n;
		EXPECT_EQ(gocsp_client_recv(cl, "k", &d, &n, 0), 0);
		free(d);
		close(p[0]);
		close(p[1]);
	}
	gocsp_client_chan_info info;
	EXPECT_EQ(gocsp_client_stat(cl, "k", &info), 0);
	EXPECT_EQ(info.redelivered, 0);
	gocsp_client_close(cl);
	assert_int_equal(gt_daemon_stop(&D), 0);
}

/* Killed holding a value: it comes back, ahead of the others. */
static void
killed_holding(gocsp_client *cl, const char *name, int rounds)
{
	for (int round = 0; round < rounds; round++) {
		int p[2];
		assert_int_equal(pipe(p), 0);
		pid_t pid = spawn_holder(name, p[1]);
		char v[16], got[16] = "";
		snprintf(v, sizeof(v), "held%d", round);
		EXPECT_EQ(
		    gocsp_client_send(cl, name, v, strlen(v), GOCSP_SEC(5)),
		    0);
		EXPECT_EQ(gocsp_client_send(cl, name, "next", 4, GOCSP_SEC(5)),
		    0);
		/* The child has the value: it printed it. */
		EXPECT_EQ(read(p[0], got, sizeof(got) - 1),
		    (ssize_t) strlen(v));
		EXPECT(strcmp(got, v) == 0);
		kill_child(pid);
		gocsp_client_chan_info info =
		    wait_for(cl, name, none_in_flight);
		EXPECT_EQ(info.in_flight, 0);
		EXPECT_EQ(info.redelivered, round + 1);
		EXPECT_EQ(info.len, 2);
		void *d;
		size_t n;
		EXPECT_EQ(gocsp_client_recv(cl, name, &d, &n, 0), 0);
		EXPECT(n == strlen(v) && memcmp(d, v, n) == 0);
		free(d);
		EXPECT_EQ(gocsp_client_recv(cl, name, &d, &n, 0), 0);
		EXPECT(n == 4 && memcmp(d, "next", 4) == 0);
		free(d);
		close(p[0]);
		close(p[1]);
	}
}

static void
test_faults__receiver_killed_holding_a_value(void **state)
{
	assert_int_equal(gt_daemon_start(&D, NULL), 0);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "h", 2), 0);
	killed_holding(cl, "h", 20);
	gocsp_client_close(cl);
	assert_int_equal(gt_daemon_stop(&D), 0);
}

/* ---------------------------------------------------------------------- */

/* `gocsp recv NAME -a` with its standard output on fd. */
static pid_t
spawn_cli_consumer(const char *name, int fd)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	dup2(fd, STDOUT_FILENO);
	int null = open("/dev/null", O_WRONLY);
	dup2(null, STDERR_FILENO);
	const char *gocsp = getenv("GOCSP");
	execl(gocsp, gocsp, "-u", D.url, "recv", name, "-a", (char *) NULL);
	_exit(127);
}

/* Read what is available on fd (non-blocking) into *buf. */
static void
slurp(int fd, char **buf, size_t *len, size_t *cap)
{
	for (;;) {
		if (*cap - *len < 4096) {
			*cap = *cap * 2 + 4096;
			*buf = realloc(*buf, *cap);
		}
		ssize_t n = read(fd, *buf + *len, *cap - *len);
		if (n <= 0)
			return;
		*len += (size_t) n;
	}
}

static void
test_faults__consumers_killed_at_random_moments(void **state)
{
	const int values = 2000, kills = 100;
	static const char *const args[] = {"--probe-interval", "100ms", NULL};
	assert_int_equal(gt_daemon_start(&D, args), 0);
	gocsp_client *cl = gt_client(&D);
	EXPECT_EQ(gocsp_client_make(cl, "r", (uint32_t) values), 0);
	char v[16];
	for (int i = 0; i < values; i++) {
		snprintf(v, sizeof(v), "%d", i);
		EXPECT_EQ(gocsp_client_send(cl, "r", v, strlen(v), 0), 0);
	}
	int p[2];
	assert_int_equal(pipe(p), 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	char *out = NULL;
	size_t len = 0, cap = 0;
	srand((unsigned) getpid());
	for (int k = 0; k < kills; k++) {
		pid_t pid = spawn_cli_consumer("r", p[1]);
		/* 0 to 6 ms: before it connects, while it receives, between
		 * printing and acknowledging... */
		usleep((useconds_t) (rand() % 6000));
		kill_child(pid);
		slurp(p[0], &out, &len, &cap);
	}
	/* Whatever the last ones held comes back; drain the rest. */
	EXPECT_EQ(wait_for(cl, "r", none_in_flight).in_flight, 0);
	gocsp_client_chan_info info;
	EXPECT_EQ(gocsp_client_stat(cl, "r", &info), 0);
	long left = (long) info.len;
	EXPECT_EQ(gocsp_client_chan_close(cl, "r"), 0);
	pid_t pid = spawn_cli_consumer("r", p[1]);
	int status;
	waitpid(pid, &status, 0);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	slurp(p[0], &out, &len, &cap);
	close(p[0]);
	close(p[1]);

	/* Every value was printed at least once; count the repeats. */
	int *seen = calloc((size_t) values, sizeof(int));
	long lines = 0, repeats = 0;
	out = realloc(out, len + 1);
	out[len] = '\0';
	for (char *s = out, *nl; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
		*nl = '\0';
		int i = atoi(s);
		EXPECT(i >= 0 && i < values);
		if (i >= 0 && i < values && seen[i]++ > 0)
			repeats++;
		lines++;
	}
	int missing = 0;
	for (int i = 0; i < values; i++)
		missing += seen[i] == 0;
	EXPECT_EQ(missing, 0);
	EXPECT_EQ(gocsp_client_stat(cl, "r", &info), 0);
	fprintf(stderr,
	    "# %d kills: %ld lines, %ld left at the end, %ld repeated, "
	    "%llu redelivered, 0 lost\n",
	    kills, lines, left, repeats,
	    (unsigned long long) info.redelivered);
	/* A repeat is a redelivery, never the other way round. */
	EXPECT_LE(repeats, (long) info.redelivered);
	free(seen);
	free(out);
	gocsp_client_close(cl);
	assert_int_equal(gt_daemon_stop(&D), 0);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_faults__receiver_killed_while_blocked),
	    GT_CASE(test_faults__receiver_killed_holding_a_value),
	    GT_CASE(test_faults__consumers_killed_at_random_moments),
	};
	return GT_RUN_CASES(tests);
}
