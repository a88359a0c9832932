/*
 * Design notes: worker processes.
 *
 * posix_spawn, not fork: the daemon is multithreaded and large, and
 * glibc's posix_spawn starts the child with CLONE_VM|CLONE_VFORK, which
 * costs the same whatever the daemon's size.  The child gets what the
 * spawner (the `gocsp spawn` process) would have given it, as xargs does:
 * its environment, its working directory, its PATH for the lookup.  It
 * does not inherit what the daemon has set up for itself: every
 * descriptor above 2 is closed, the signal mask is emptied (gocspd blocks
 * SIGTERM and SIGINT in all its threads) and SIGPIPE is back to its
 * default (gocspd ignores it).  Its own process group lets a kill reach
 * whatever it started.
 *
 * Our ends of the pipes are close-on-exec, so that no other worker
 * inherits them, and non-blocking, so that a coroutine waiting on one
 * parks.  A pidfd tells of the exit on the same netpoller; the pid is
 * reaped with waitpid once it has.
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gocsp/gocsp.h>

char *
gocspd_proc_resolve(const char *cmd, char *const envp[], int *error)
{
	*error = -ENOENT;
	if (cmd == NULL || cmd[0] == '\0')
		return NULL;
	if (strchr(cmd, '/') != NULL) {
		if (access(cmd, X_OK) != 0) {
			*error = -errno;
			return NULL;
		}
		return strdup(cmd);
	}
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	for (char *const *e = envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	size_t clen = strlen(cmd);
	while (*path != '\0') {
		size_t dlen = strcspn(path, ":");
		char *full = malloc(dlen + clen + 3);
		if (full == NULL) {
			*error = -ENOMEM;
			return NULL;
		}
		/* An empty entry is the current directory, as for execvp. */
		snprintf(full, dlen + clen + 3, "%.*s/%s", (int) dlen,
		    dlen > 0 ? path : ".", cmd);
		struct stat st;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(full, X_OK) == 0)
				return full;
			*error = -EACCES;
		}
		free(full);
		path += dlen + (path[dlen] == ':');
	}
	return NULL;
}

int
gocspd_proc_spawn(struct gocspd_proc *p, const char *path, char *const argv[],
    char *const envp[], const char *cwd)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
	int rc = 0;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
	    pipe2(err, O_CLOEXEC) != 0) {
		rc = -errno;
		goto out;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (cwd != NULL && cwd[0] != '\0')
		posix_spawn_file_actions_addchdir_np(&fa, cwd);
	sigset_t none, defaults;
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGINT);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr,
	    POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	        POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int e = posix_spawn(&pid, path, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (e != 0) {
		rc = -e;
		goto out;
	}
	int pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		rc = -errno;
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	*p = (struct gocspd_proc){.pid = pid,
	    .pidfd = pidfd,
	    .in = in[1],
	    .out = out[0],
	    .err = err[0]};
	in[1] = out[0] = err[0] = -1; /* kept */
	/* Ours only: the child's ends stay blocking, as programs expect. */
	fcntl(p->in, F_SETFL, O_NONBLOCK);
	fcntl(p->out, F_SETFL, O_NONBLOCK);
	fcntl(p->err, F_SETFL, O_NONBLOCK);
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return rc;
}

void
gocspd_proc_kill(const struct gocspd_proc *p)
{
	if (p->pid > 0)
		kill(-p->pid, SIGKILL);
}

int
gocspd_proc_wait(struct gocspd_proc *p, int64_t deadline, int *status)
{
	while (p->pid > 0) {
		/* Exited?  Not reaped yet: its pid, the group's id, cannot
		 * be reused while we kill what it left behind. */
		siginfo_t si = {.si_pid = 0};
		int w = waitid(P_PID, (id_t) p->pid, &si,
		    WEXITED | WNOHANG | WNOWAIT);
		if (w < 0 && errno != EINTR) { /* not ours: nothing to reap */
			*status = 0;
			p->pid = 0;
			return 0;
		}
		if (w == 0 && si.si_pid == p->pid) {
			kill(-p->pid, SIGKILL);
			while (
			    waitpid(p->pid, status, 0) < 0 && errno == EINTR)
				;
			p->pid = 0;
			return 0;
		}
		int64_t left = GOCSP_FOREVER;
		if (deadline >= 0 && (left = deadline - gocsp_now()) <= 0)
			return GOCSP_ETIMEDOUT;
		(void) gocsp_wait_fd(p->pidfd, GOCSP_READABLE, left);
	}
	return 0;
}

void
gocspd_proc_own(struct gocspd_proc *p)
{
	/* Marked first: a pipe owned before a later one fails must still
	 * be closed with gocsp_close.  One that fails (no memory for its
	 * netpoller entry) works as before, unowned. */
	p->owned = true;
	(void) gocsp_fd_own(p->in);
	(void) gocsp_fd_own(p->out);
	(void) gocsp_fd_own(p->err);
}

static void
close_fd(int *fd, bool owned)
{
	if (*fd >= 0) {
		if (owned)
			(void) gocsp_close(*fd);
		else
			close(*fd);
		*fd = -1;
	}
}

void
gocspd_proc_close_input(struct gocspd_proc *p)
{
	close_fd(&p->in, p->owned);
}

void
gocspd_proc_close_stderr(struct gocspd_proc *p)
{
	close_fd(&p->err, p->owned);
}

void
gocspd_proc_close(struct gocspd_proc *p)
{
	close_fd(&p->in, p->owned);
	close_fd(&p->out, p->owned);
	close_fd(&p->err, p->owned);
	close_fd(&p->pidfd, false);
}

int
gocspd_read_all(int fd, size_t max, int64_t deadline, char **buf, size_t *len)
{
	size_t cap = 256, n = 0;
	char *b = malloc(cap);
	if (b == NULL)
		return GOCSP_ENOMEM;
	int rc = 0;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				rc = GOCSP_ELIMIT;
				break;
			}
			char *nb = realloc(b, cap * 2);
			if (nb == NULL) {
				rc = GOCSP_ENOMEM;
				break;
			}
			b = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r > 0) {
			n += (size_t) r;
			continue;
		}
		if (r == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			rc = -errno;
			break;
		}
		int64_t left = GOCSP_FOREVER;
		if (deadline >= 0 && (left = deadline - gocsp_now()) <= 0) {
			rc = GOCSP_ETIMEDOUT;
			break;
		}
		int w = gocsp_wait_fd(fd, GOCSP_READABLE, left);
		if (w == GOCSP_ETIMEDOUT) {
			rc = w;
			break;
		}
	}
	if (n > max) {
		n = max;
		rc = GOCSP_ELIMIT;
	}
	*buf = b;
	*len = n;
	return rc;
}

void
gocspd_proc_status_text(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "status %#x", (unsigned) status);
}
