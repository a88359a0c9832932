/*
 * Helpers for the daemon tests: a real gocspd on a temporary socket,
 * started from $GOCSPD and stopped by pid, and raw SP connections for the
 * tests that must speak the wire protocol themselves (garbage frames,
 * REQ resends).
 *
 * Design notes: each test program starts the daemons it needs, so that a
 * crash is attributed to the case that caused it; gt_daemon_stop() sends
 * SIGTERM and fails the case unless gocspd exits 0, which is how a
 * sanitizer report or a crash in the daemon fails a test.
 */
#ifndef GOCSP_TEST_HARNESS_H
#define GOCSP_TEST_HARNESS_H

#include "gocsp_test.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <gocsp/client.h>

#include "wire.h"

struct gt_daemon {
	pid_t pid;
	char dir[64];   /* temporary directory holding the socket */
	char path[100]; /* the socket (fits a sockaddr_un) */
	char url[160];  /* ipc://path */
	char log[128];  /* the daemon's stderr */
};

/* Let this process (and the daemons it starts) hold many descriptors. */
static inline void
gt_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * Start gocspd -u ipc://DIR/gocspd.sock -q plus args (NULL-terminated,
 * may be NULL) and wait until it answers a ping.  0, or -1 (reported).
 */
static inline int
gt_daemon_start(struct gt_daemon *d, const char *const *args)
{
	const char *bin = getenv("GOCSPD");
	if (bin == NULL) {
		fprintf(stderr, "GOCSPD is not set (ctest sets it)\n");
		return -1;
	}
	snprintf(d->dir, sizeof(d->dir), "/tmp/gocsp-test.XXXXXX");
	if (mkdtemp(d->dir) == NULL)
		return -1;
	snprintf(d->path, sizeof(d->path), "%s/gocspd.sock", d->dir);
	snprintf(d->url, sizeof(d->url), "ipc://%s", d->path);
	snprintf(d->log, sizeof(d->log), "%s/gocspd.log", d->dir);
	const char *argv[48] = {bin, "-u", d->url, "-q"};
	int n = 4;
	for (; args != NULL && *args != NULL && n < 47; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	d->pid = fork();
	if (d->pid < 0)
		return -1;
	if (d->pid == 0) {
		/* A test that dies (its watchdog) takes its daemon along. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		execv(bin, (char *const *) argv);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {
		gocsp_client *cl;
		if (gocsp_client_open(&cl, d->url) == 0) {
			int rc = gocsp_client_ping(cl, NULL);
			gocsp_client_close(cl);
			if (rc == 0)
				return 0;
		}
		int status;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			fprintf(stderr, "gocspd exited at start (status %d)\n",
			    status);
			d->pid = 0;
			return -1;
		}
		usleep(10000);
	}
	fprintf(stderr, "gocspd did not answer at %s\n", d->url);
	return -1;
}

/* Whether the daemon's log holds needle. */
static inline bool
gt_daemon_logged(const struct gt_daemon *d, const char *needle)
{
	FILE *f = fopen(d->log, "r");
	char line[1024];
	bool found = false;
	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	if (f != NULL)
		fclose(f);
	return found;
}

/* Print the daemon's log on stderr (for a failing case). */
static inline void
gt_daemon_show_log(const struct gt_daemon *d)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "sed 's/^/  gocspd: /' %s >&2", d->log);
	(void) !system(cmd);
}

/* SIGTERM, wait, remove the directory.  The daemon's exit status (0 for a
 * clean stop), or -1 if it had to be killed. */
static inline int
gt_daemon_stop(struct gt_daemon *d)
{
	int status = -1;
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		for (int i = 0; i < 3000; i++) {
			if (waitpid(d->pid, &status, WNOHANG) == d->pid)
				break;
			usleep(10000);
			if (i == 2999) {
				fprintf(stderr,
				    "gocspd did not stop: killed\n");
				kill(d->pid, SIGKILL);
				waitpid(d->pid, &status, 0);
				status = -1;
			}
		}
		d->pid = 0;
		if (status != -1)
			status = WIFEXITED(status) ? WEXITSTATUS(status)
			                           : 128 + WTERMSIG(status);
		if (status != 0)
			gt_daemon_show_log(d);
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->dir);
	(void) !system(cmd);
	return status;
}

/* Open a client on d; fails the case on error. */
static inline gocsp_client *
gt_client(const struct gt_daemon *d)
{
	gocsp_client *cl = NULL;
	char why[256];
	int rc = gocsp_client_dial(&cl, d->url, why, sizeof(why));
	if (rc != 0)
		gt_failf(__FILE__, __LINE__, "gocsp_client_dial(%s): %s (%s)",
		    d->url, gocsp_strerror(rc), why);
	return cl;
}

/* ---------------------------------------------------------------------- */
/* Raw SP connections                                                      */
/* ---------------------------------------------------------------------- */

/* Connect to d's socket; handshake as REQ if asked.  fd, or -1. */
static inline int
gt_raw_connect(const struct gt_daemon *d, bool handshake)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", d->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!handshake)
		return fd;
	unsigned char hs[GOCSP_WIRE_HANDSHAKE];
	gocsp__wire_handshake(hs, GOCSP_WIRE_PROTO_REQ);
	if (write(fd, hs, sizeof(hs)) != (ssize_t) sizeof(hs) ||
	    recv(fd, hs, sizeof(hs), MSG_WAITALL) != (ssize_t) sizeof(hs) ||
	    !gocsp__wire_handshake_ok(hs, GOCSP_WIRE_PROTO_REP)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send a frame: request id, then body.  0 or -1. */
static inline int
gt_raw_send(int fd, uint32_t reqid, const void *body, size_t len)
{
	unsigned char head[GOCSP_WIRE_IPC_HEADER + GOCSP_WIRE_REQID];
	gocsp__wire_ipc_header(head, len + GOCSP_WIRE_REQID);
	gocsp__wire_put_u32(head + GOCSP_WIRE_IPC_HEADER, reqid);
	if (send(fd, head, sizeof(head), MSG_NOSIGNAL) !=
	    (ssize_t) sizeof(head))
		return -1;
	if (len > 0 && send(fd, body, len, MSG_NOSIGNAL) != (ssize_t) len)
		return -1;
	return 0;
}

/* Send req (op_id as set) on a raw connection.  0 or -1. */
static inline int
gt_raw_request(int fd, Gocsp__Request *req)
{
	size_t len = gocsp__request__get_packed_size(req);
	uint8_t *buf = malloc(len + 1);
	gocsp__request__pack(req, buf);
	int rc = gt_raw_send(fd, gocsp__wire_reqid(req->op_id), buf, len);
	free(buf);
	return rc;
}

/* Read a reply (NULL on EOF, error or 5 s of silence). */
static inline Gocsp__Reply *
gt_raw_reply(int fd)
{
	unsigned char head[GOCSP_WIRE_IPC_HEADER];
	if (recv(fd, head, sizeof(head), MSG_WAITALL) !=
	    (ssize_t) sizeof(head))
		return NULL;
	int64_t n = gocsp__wire_ipc_length(head);
	if (n < GOCSP_WIRE_REQID || n > (1 << 26))
		return NULL;
	uint8_t *buf = malloc((size_t) n);
	Gocsp__Reply *r = NULL;
	if (recv(fd, buf, (size_t) n, MSG_WAITALL) == n)
		r = gocsp__wire_decode_reply(buf + GOCSP_WIRE_REQID,
		    (size_t) n - GOCSP_WIRE_REQID);
	free(buf);
	return r;
}

/* Whether the peer closed fd (EOF or reset within 5 s). */
static inline bool
gt_raw_closed(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, 0);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* A request for operation op_case with op_id and timeout. */
#define GT_REQUEST(var, id, timeout)               \
	Gocsp__Request var = GOCSP__REQUEST__INIT; \
	var.op_id = (id);                          \
	var.timeout_ns = (timeout)

/* Length of channel name now, or -1. */
static inline long long
gt_len(gocsp_client *cl, const char *name)
{
	gocsp_client_chan_info info;
	return gocsp_client_stat(cl, name, &info) == 0 ? (long long) info.len
	                                               : -1;
}

#endif /* GOCSP_TEST_HARNESS_H */
