/*
 * proc.h: one worker process of a pool -- spawned with pipes on its
 * standard streams, watched through a pidfd, read and written through
 * the netpoller (a coroutine waiting on it parks; no thread per worker).
 */
#ifndef GOCSPD_PROC_H
#define GOCSPD_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gocspd_proc {
	pid_t pid;  /* 0 once reaped */
	int pidfd;  /* readable when the process has exited */
	int in;     /* its stdin (ours to write), -1 once closed */
	int out;    /* its stdout (ours to read) */
	int err;    /* its stderr */
	bool owned; /* in, out and err are closed with gocsp_close */
};

/*
 * The file to execute for command cmd, as execvp finds it but with the
 * PATH of envp (the spawner's, not the daemon's): a malloc'd path, or
 * NULL with *error set (-ENOENT, -EACCES).
 */
char *gocspd_proc_resolve(const char *cmd, char *const envp[], int *error);

/*
 * Start path with argv and envp in directory cwd, in a process group of
 * its own, standard streams on pipes, every other descriptor closed,
 * signals at their defaults and unblocked.
 * @return 0, or -errno (p untouched).
 */
int gocspd_proc_spawn(struct gocspd_proc *p, const char *path,
    char *const argv[], char *const envp[], const char *cwd);

/* SIGKILL its process group (what it started goes too). */
void gocspd_proc_kill(const struct gocspd_proc *p);

/*
 * Wait for it to exit, until deadline (gocsp_now() clock, -1: none), kill
 * what it left running in its process group, and reap it.  @return 0 with
 * the waitpid status in *status, or GOCSP_ETIMEDOUT (still running).  May
 * park.
 */
int gocspd_proc_wait(struct gocspd_proc *p, int64_t deadline, int *status);

/*
 * For a worker that lives through many jobs: its pipes become owned
 * (gocsp_fd_own), registered with the netpoller once and known to be
 * pipes, so that each read, write and wait costs only its own system
 * call.  Not worth it for one job: owning and gocsp_close cost more
 * system calls than one write and one read save.
 */
void gocspd_proc_own(struct gocspd_proc *p);

/* Close its stdin: it reads end of file. */
void gocspd_proc_close_input(struct gocspd_proc *p);

/* Close its stderr, which nobody will read: its writes there fail. */
void gocspd_proc_close_stderr(struct gocspd_proc *p);

/* Close every descriptor left (the process must be reaped). */
void gocspd_proc_close(struct gocspd_proc *p);

/*
 * Read fd until end of file into *buf (malloc'd, *len bytes), at most max
 * bytes, waiting until deadline (-1: none).  @return 0; GOCSP_ELIMIT
 * (more than max; *buf holds max); GOCSP_ETIMEDOUT; or -errno.  May park.
 */
int gocspd_read_all(int fd, size_t max, int64_t deadline, char **buf,
    size_t *len);

/* Short text for a waitpid status: "exit 3", "signal 9 (Killed)". */
void gocspd_proc_status_text(int status, char *buf, size_t size);

#endif /* GOCSPD_PROC_H */
