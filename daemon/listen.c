/*
 * Design notes: listeners.
 *
 * ipc:// is served by gocspd itself (ipc.c); tcp:// and tls+tcp:// by
 * nng's listeners on the server's socket (server.c).
 *
 * The ipc:// socket lives in a directory only its user can enter (0700),
 * is itself 0600, and the peer's uid is checked again when a connection
 * arrives: gocspd's own, or root.  --allow-group GROUP opens it to a
 * group instead: the socket becomes 0660 with that group (the default
 * directory 0710), and since connect(2) needs write permission on the
 * socket file, the kernel admits exactly the processes that have GROUP
 * among their groups, supplementary ones included, which the peer
 * credentials (uid and primary gid) could not tell.  So the uid check
 * then admits every local peer.  The socket is made 0600 before it
 * listens and opened to the group only once its group is set, so it is
 * never open to another group.
 *
 * A lock file beside the socket, held with flock(2) for the daemon's
 * life, refuses a second gocspd on the same path before it touches the
 * socket, which a second daemon would otherwise replace.
 *
 * nng's listeners can wedge (nng issue #1518, fixed after 1.5.2): a peer
 * that closes during the SP handshake makes the server's header write
 * fail with EPIPE, which nng reports as NNG_ECLOSED; the listener takes
 * that for its own closing and never asks for a pipe again.  The
 * transport goes on accepting and even answers handshakes, but the
 * connections it completes wait forever to become pipes.  gocspd's own
 * ipc:// endpoint has no such state; tcp:// still has.  The watchdog
 * checks every listener by doing what a client does -- connect,
 * handshake, send a ping, expect the reply -- and re-listens on one that
 * fails PROBES_MISSED rounds in a row.  On tcp:// the port cannot be shared, so the wedged listener is
 * replaced and its clients reconnect.  tls+tcp:// cannot be probed
 * without a TLS client, and a connect-and-close is what wedges it: there
 * the watchdog reads the listener's error counter instead, which is where
 * nng counts the NNG_ECLOSED that stopped it.
 *
 * The watchdog also notices an ipc:// socket file removed or replaced
 * (by a tmp cleaner, or another program) and puts ours back; the
 * connections made through the old one stay.
 */
#include "listen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gocsp/gocsp.h>
#include <nng/supplemental/tls/tls.h>

#include "conn.h"
#include "ipc.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "wire.h"

enum kind { IPC, TCP, TLS };

#define PROBES_MISSED 2 /* failed probes in a row that mean wedged */

struct listener {
	char url[PATH_MAX + 16];
	enum kind kind;
	nng_listener l;         /* tcp, tls */
	struct gocspd_ipc *ipc; /* ipc; NULL when not listening */
	const char *path;       /* ipc: in url */
	dev_t dev;              /* ipc: the socket file we made */
	ino_t ino;
	int lock_fd;     /* ipc: the lock file, held */
	uint64_t errors; /* tls: the error count last seen */
	int missed;      /* probes failed in a row */
};

static struct listener listeners[GOCSPD_MAX_URLS];
static int nlisteners;
static nng_tls_config *tls_config;
static const struct gocspd_options *options;
static gocsp_chan *watch_stop; /* closed to stop the watchdog */
static gocsp_chan *watch_done; /* closed by the watchdog as it ends */

/* Close nng pipe id: a client that broke the rules. */
static void
kick_pipe(uint32_t id)
{
	nng_pipe p = NNG_PIPE_INITIALIZER;
	p.id = id;
	nng_pipe_close(p);
}

/*
 * Pipe events (nng's listeners, all network ones): ADD_PRE admits or
 * refuses a pipe (--max-clients) before any of its requests can arrive;
 * REM_POST ends its connection, which puts back what its client held.
 */
static void
pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	uint32_t id = nng_pipe_id(p);
	if (ev == NNG_PIPE_EV_REM_POST) {
		gocspd_conn_end(id);
		return;
	}
	if (ev != NNG_PIPE_EV_ADD_PRE)
		return;
	int rc = gocspd_conn_add(id, UINT64_MAX, true, kick_pipe);
	if (rc != 0) {
		gocspd_log(GOCSPD_WARN, "refused a connection: %s",
		    rc == GOCSP_ELIMIT ? "--max-clients reached"
		                       : gocsp_strerror(rc));
		nng_pipe_close(p);
		return;
	}
	gocspd_log(GOCSPD_DEBUG, "client %u connected (network)", id);
}

/* ---------------------------------------------------------------------- */
/* Directory and lock file                                                 */
/* ---------------------------------------------------------------------- */

/* mkdir -p dir, new directories 0700.  0 or -1 (errno set). */
static int
make_dirs(char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		int rc = make_dirs(dir);
		*slash = '/';
		if (rc != 0)
			return rc;
	}
	return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* Give path (whose stat is st) --allow-group's group, if it lacks it. */
static int
set_group(const char *path, const struct stat *st)
{
	gid_t gid = options->allow_gid;
	if (st->st_gid == gid || chown(path, (uid_t) -1, gid) == 0)
		return 0;
	gocspd_log(GOCSPD_ERR,
	    "--allow-group: giving %s to group %u: %s "
	    "(gocspd's user must be in the group)",
	    path, (unsigned) gid, strerror(errno));
	return -1;
}

/*
 * The socket's directory: made if missing; it must be ours.  The default
 * directory is made private (0700, or 0710 to --allow-group's group)
 * whatever it was; a directory the user named keeps its mode (the socket
 * is 0600 and peers are checked anyway).
 */
static int
prepare_dir(const char *path, bool is_default)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0; /* the root or the current directory */
	*slash = '\0';
	if (make_dirs(dir) != 0) {
		gocspd_log(GOCSPD_ERR, "making directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	struct stat st;
	if (stat(dir, &st) != 0) {
		gocspd_log(GOCSPD_ERR, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid()) {
		gocspd_log(GOCSPD_ERR,
		    "directory %s belongs to uid %u, not to us (uid %u): "
		    "refusing to put the socket there",
		    dir, (unsigned) st.st_uid, (unsigned) geteuid());
		return -1;
	}
	if (!is_default)
		return 0;
	mode_t mode = options->allow_group ? 0710 : 0700;
	if (options->allow_group && set_group(dir, &st) != 0)
		return -1;
	if ((st.st_mode & 07777) != mode && chmod(dir, mode) != 0) {
		gocspd_log(GOCSPD_ERR, "chmod %04o %s: %s", (unsigned) mode,
		    dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Open the socket at path to --allow-group's group: that group, 0660. */
static int
open_to_group(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		gocspd_log(GOCSPD_ERR, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (set_group(path, &st) != 0)
		return -1;
	if (chmod(path, 0660) != 0) {
		gocspd_log(GOCSPD_ERR, "chmod 0660 %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Take path.lock for good; refuse if another gocspd holds it. */
static int
take_lock(struct listener *L)
{
	char lock[PATH_MAX + 8];
	snprintf(lock, sizeof(lock), "%s.lock", L->path);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		gocspd_log(GOCSPD_ERR, "opening lock file %s: %s", lock,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		gocspd_log(GOCSPD_ERR,
		    "another gocspd (pid %s) is serving %s (it holds %s); "
		    "stop it first or give another -u URL",
		    pid[0] != '\0' ? pid : "unknown", L->url, lock);
		close(fd);
		return -1;
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t) n, 0) != n)
		gocspd_log(GOCSPD_WARN, "writing our pid to %s: %s", lock,
		    strerror(errno));
	L->lock_fd = fd;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Listening                                                               */
/* ---------------------------------------------------------------------- */

/* gocspd's own ipc:// endpoint at L's path, opened to --allow-group's
 * group if asked. */
static int
start_ipc(struct listener *L)
{
	if (gocspd_ipc_listen(L->path, &L->ipc) != 0) /* logged */
		return -1;
	struct stat st;
	if ((options->allow_group && open_to_group(L->path) != 0) ||
	    stat(L->path, &st) != 0) {
		gocspd_ipc_close(L->ipc);
		L->ipc = NULL;
		return -1;
	}
	L->dev = st.st_dev;
	L->ino = st.st_ino;
	return 0;
}

static int
start(struct listener *L)
{
	if (L->kind == IPC)
		return start_ipc(L);
	nng_listener l;
	int rv = nng_listener_create(&l, gocspd_server_socket(), L->url);
	if (rv != 0)
		goto fail;
	size_t max =
	    (size_t) options->limits.max_msg + GOCSP_WIRE_FRAME_OVERHEAD;
	if ((rv = nng_listener_set_size(l, NNG_OPT_RECVMAXSZ, max)) != 0)
		goto fail_close;
	if (L->kind == TLS &&
	    (rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, tls_config)) !=
	        0)
		goto fail_close;
	if ((rv = nng_listener_start(l, 0)) != 0)
		goto fail_close;
	L->l = l;
	return 0;
fail_close:
	nng_listener_close(l);
fail:
	gocspd_log(GOCSPD_ERR, "listening on %s: %s", L->url,
	    nng_strerror(rv));
	return -1;
}

/* Whether L is listening (a relisten may have failed). */
static bool
listening(const struct listener *L)
{
	return L->kind == IPC ? L->ipc != NULL : nng_listener_id(L->l) > 0;
}

/* Stop L listening; an ipc:// one keeps its connections. */
static void
stop_listening(struct listener *L)
{
	if (L->kind == IPC && L->ipc != NULL)
		gocspd_ipc_close(L->ipc);
	else if (L->kind != IPC && nng_listener_id(L->l) > 0)
		nng_listener_close(L->l);
	L->ipc = NULL;
	L->l = (nng_listener) NNG_LISTENER_INITIALIZER;
}

static int
tls_setup(const struct gocspd_options *o)
{
	int rv;
	if (o->tls_cert == NULL) {
		gocspd_log(GOCSPD_ERR,
		    "tls+tcp:// needs --tls-cert FILE "
		    "(PEM certificate and key)");
		return -1;
	}
	if ((rv = nng_tls_config_alloc(&tls_config, NNG_TLS_MODE_SERVER)) !=
	        0 ||
	    (rv = nng_tls_config_cert_key_file(tls_config, o->tls_cert,
	         NULL)) != 0) {
		gocspd_log(GOCSPD_ERR, "--tls-cert %s: %s", o->tls_cert,
		    nng_strerror(rv));
		return -1;
	}
	if (o->tls_ca != NULL &&
	    (rv = nng_tls_config_ca_file(tls_config, o->tls_ca)) != 0) {
		gocspd_log(GOCSPD_ERR, "--tls-ca %s: %s", o->tls_ca,
		    nng_strerror(rv));
		return -1;
	}
	rv = nng_tls_config_auth_mode(tls_config,
	    o->tls_verify ? NNG_TLS_AUTH_MODE_REQUIRED
	                  : NNG_TLS_AUTH_MODE_NONE);
	if (rv != 0) {
		gocspd_log(GOCSPD_ERR, "TLS authentication mode: %s",
		    nng_strerror(rv));
		return -1;
	}
	return 0;
}

static int
open_one(struct listener *L, const char *url, bool is_default)
{
	snprintf(L->url, sizeof(L->url), "%s", url);
	L->lock_fd = -1;
	if ((L->path = gocsp__wire_ipc_path(L->url)) != NULL) {
		L->kind = IPC;
		if (strlen(L->path) >=
		    sizeof(((struct sockaddr_un *) 0)->sun_path)) {
			gocspd_log(GOCSPD_ERR,
			    "%s: the socket path is longer than the %zu bytes "
			    "a unix socket allows",
			    url,
			    sizeof(((struct sockaddr_un *) 0)->sun_path) - 1);
			return -1;
		}
		if (prepare_dir(L->path, is_default) != 0 || take_lock(L) != 0)
			return -1;
	} else if (strncmp(url, "tcp://", 6) == 0) {
		L->kind = TCP;
	} else if (strncmp(url, "tls+tcp://", 10) == 0) {
		L->kind = TLS;
		if (tls_config == NULL && tls_setup(options) != 0)
			return -1;
	} else {
		gocspd_log(GOCSPD_ERR,
		    "%s: unsupported URL (use ipc://, tcp:// or tls+tcp://)",
		    url);
		return -1;
	}
	if (start(L) != 0)
		return -1;
	gocspd_log(GOCSPD_NOTICE, "listening on %s", L->url);
	return 0;
}

int
gocspd_listeners_open(const struct gocspd_options *o)
{
	options = o;
	nng_socket sock = gocspd_server_socket();
	int rv;
	if ((rv = nng_pipe_notify(sock, NNG_PIPE_EV_ADD_PRE, pipe_cb, NULL)) !=
	        0 ||
	    (rv = nng_pipe_notify(sock, NNG_PIPE_EV_REM_POST, pipe_cb,
	         NULL)) != 0) {
		gocspd_log(GOCSPD_ERR, "pipe events: %s", nng_strerror(rv));
		return -1;
	}
	char def[PATH_MAX + 16];
	const char *env = getenv("GOCSP_URL");
	if (o->nurls == 0 && env != NULL && env[0] != '\0')
		return open_one(&listeners[nlisteners++], env, false);
	if (o->nurls == 0) {
		if (gocsp__wire_default_url(def, sizeof(def)) != 0) {
			gocspd_log(GOCSPD_ERR,
			    "the default socket path is "
			    "too long");
			return -1;
		}
		return open_one(&listeners[nlisteners++], def, true);
	}
	for (int i = 0; i < o->nurls; i++)
		if (open_one(&listeners[nlisteners++], o->urls[i], false) != 0)
			return -1;
	return 0;
}

void
gocspd_listeners_close(void)
{
	if (watch_stop != NULL) {
		(void) gocsp_chan_close(watch_stop);
		(void) gocsp_chan_recv(watch_done, NULL);
		gocsp_chan_release(watch_stop);
		gocsp_chan_release(watch_done);
		watch_stop = watch_done = NULL;
	}
	for (int i = 0; i < nlisteners; i++) {
		struct listener *L = &listeners[i];
		stop_listening(L);
		if (L->lock_fd >= 0)
			close(L->lock_fd);
		L->lock_fd = -1;
	}
	gocspd_ipc_end_all(); /* as closing nng's listeners closes theirs */
	if (tls_config != NULL)
		nng_tls_config_free(tls_config);
	tls_config = NULL;
}

/* ---------------------------------------------------------------------- */
/* Watchdog                                                                */
/* ---------------------------------------------------------------------- */

/* On a connected fd: handshake, ping, and the reply before the deadline. */
static bool
round_trip(int fd, int64_t deadline)
{
	unsigned char hs[GOCSP_WIRE_HANDSHAKE];
	gocsp__wire_handshake(hs, GOCSP_WIRE_PROTO_REQ);
	if (send(fd, hs, sizeof(hs), MSG_NOSIGNAL) != (ssize_t) sizeof(hs) ||
	    gocspd_read_full(fd, hs, sizeof(hs), deadline) != 0 ||
	    !gocsp__wire_handshake_ok(hs, GOCSP_WIRE_PROTO_REP))
		return false;

	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__Ping ping = GOCSP__PING__INIT;
	req.op_id = 1;
	req.op_case = GOCSP__REQUEST__OP_PING;
	req.ping = &ping;
	unsigned char frame[64];
	size_t len = gocsp__request__get_packed_size(&req);
	size_t head = GOCSP_WIRE_IPC_HEADER + GOCSP_WIRE_REQID;
	gocsp__wire_ipc_header(frame, len + GOCSP_WIRE_REQID);
	gocsp__wire_put_u32(frame + GOCSP_WIRE_IPC_HEADER,
	    gocsp__wire_reqid(req.op_id));
	gocsp__request__pack(&req, frame + head);
	if (send(fd, frame, head + len, MSG_NOSIGNAL) !=
	    (ssize_t) (head + len))
		return false;

	/* Any reply will do: a served connection is what is checked. */
	if (gocspd_read_full(fd, frame, GOCSP_WIRE_IPC_HEADER, deadline) != 0)
		return false;
	int64_t n = gocsp__wire_ipc_length(frame);
	return n >= GOCSP_WIRE_REQID && n <= 4096;
}

/* The address a client would connect to for L. */
static socklen_t
probe_addr(struct listener *L, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (L->kind == IPC) {
		struct sockaddr_un *un = (struct sockaddr_un *) ss;
		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", L->path);
		return sizeof(*un);
	}
	nng_sockaddr sa;
	if (nng_listener_get_addr(L->l, NNG_OPT_LOCADDR, &sa) != 0)
		return 0;
	if (sa.s_family == NNG_AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *) ss;
		in->sin_family = AF_INET;
		in->sin_port = sa.s_in.sa_port; /* both network order */
		in->sin_addr.s_addr = sa.s_in.sa_addr != 0
		    ? sa.s_in.sa_addr
		    : htonl(INADDR_LOOPBACK);
		return sizeof(*in);
	}
	if (sa.s_family == NNG_AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = sa.s_in6.sa_port;
		memcpy(&in6->sin6_addr, sa.s_in6.sa_addr, 16);
		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			in6->sin6_addr = in6addr_loopback;
		return sizeof(*in6);
	}
	return 0;
}

/* Connect to L as a client would: is the connection served? */
static bool
probe(struct listener *L, int64_t timeout)
{
	struct sockaddr_storage ss;
	socklen_t len = probe_addr(L, &ss);
	if (len == 0)
		return true; /* nothing to probe with: assume well */
	int fd = socket(ss.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true; /* out of descriptors: not the listener's fault */
	bool ok = gocsp_connect(fd, (struct sockaddr *) &ss, len) == 0 &&
	    round_trip(fd, gocsp_now() + timeout);
	close(fd);
	return ok;
}

/* nng's count of failed accepts on L's listener ("other" errors). */
static uint64_t
accept_errors(struct listener *L)
{
	nng_stat *root, *ls, *st;
	uint64_t n = 0;
	if (nng_stats_get(&root) != 0)
		return 0;
	if ((ls = nng_stat_find_listener(root, L->l)) != NULL &&
	    (st = nng_stat_find(ls, "other")) != NULL)
		n = nng_stat_value(st);
	nng_stats_free(root);
	return n;
}

/* Replace L's listener, keeping an ipc:// one for its pipes. */
static void
relisten(struct listener *L, const char *why)
{
	gocspd_log(GOCSPD_WARN, "%s: %s; listening again", L->url, why);
	if (L->kind != IPC)
		gocspd_log(GOCSPD_WARN,
		    "%s: its connections are closed; clients reconnect",
		    L->url);
	stop_listening(L);
	if (L->kind == IPC)
		unlink(L->path); /* ours: we hold the lock */
	if (start(L) == 0)
		gocspd_log(GOCSPD_NOTICE, "listening on %s", L->url);
	/* else: logged; the next round tries again */
}

/* Check L, repairing what is wrong.  Whether it was found serving. */
static bool
check(struct listener *L, int64_t timeout)
{
	if (!listening(L)) { /* a failed relisten */
		if (L->kind == IPC)
			unlink(L->path);
		if (start(L) == 0)
			gocspd_log(GOCSPD_NOTICE, "listening on %s", L->url);
		return false;
	}
	if (L->kind == IPC) {
		struct stat st;
		if (stat(L->path, &st) != 0) {
			relisten(L, "the socket file was removed");
			return false;
		}
		if (st.st_dev != L->dev || st.st_ino != L->ino) {
			relisten(L, "the socket file was replaced");
			return false;
		}
	}
	if (L->kind == TLS) {
		uint64_t errors = accept_errors(L);
		if (errors == L->errors)
			return true;
		L->errors = errors;
		relisten(L,
		    "a failed TLS handshake may have stopped it "
		    "accepting");
		return false;
	}
	if (probe(L, timeout)) {
		L->missed = 0;
		return true;
	}
	/* One probe can miss on a machine too busy to answer it in time;
	 * a wedged listener misses every one.  Re-listening on the first
	 * miss would drop every connection and, on tcp://, refuse new ones
	 * while the port is let go. */
	if (++L->missed < PROBES_MISSED)
		return false;
	L->missed = 0;
	relisten(L,
	    L->kind == IPC ? "it stopped answering"
	                   : "it stopped accepting connections "
	                     "(nng #1518)");
	return false;
}

/*
 * The watchdog coroutine.  A round in which every listener answered is
 * also what tells the service manager that gocspd is healthy (WATCHDOG=1):
 * it proves that the scheduler runs this coroutine and its timers, and
 * that requests are read and answered.  With a service manager's
 * watchdog, rounds come at least twice per its interval.
 */
static void
watch(void *arg)
{
	const struct gocspd_options *o = arg;
	int64_t period = o->probe_interval;
	int64_t wd = gocspd_notify_watchdog_interval();
	if (wd > 0 && wd < period)
		period = wd;
	int64_t timeout = 2 * period;
	if (timeout < GOCSP_MS(500))
		timeout = GOCSP_MS(500);
	if (timeout > GOCSP_SEC(5))
		timeout = GOCSP_SEC(5);
	while (gocsp_chan_recv_timeout(watch_stop, NULL, period) ==
	    GOCSP_ETIMEDOUT) {
		bool healthy = true;
		for (int i = 0; i < nlisteners; i++)
			healthy &= check(&listeners[i], timeout);
		if (healthy && wd > 0)
			gocspd_notify("WATCHDOG=1");
	}
	(void) gocsp_chan_close(watch_done);
}

int
gocspd_listeners_watch(const struct gocspd_options *o)
{
	if ((watch_stop = gocsp_chan_make(0, 0)) == NULL ||
	    (watch_done = gocsp_chan_make(0, 0)) == NULL ||
	    gocsp_go(watch, (void *) o) != 0) {
		gocsp_chan_release(watch_stop);
		gocsp_chan_release(watch_done);
		watch_stop = watch_done = NULL;
		return GOCSP_ENOMEM;
	}
	return 0;
}
