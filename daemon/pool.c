/*
 * Design notes: worker pools.
 *
 * A pool is a set of slots, one coroutine each, all started at spawn.  A
 * slot takes values from the input channel the way a client's receive
 * does (counted in flight until the job is over, put back at the head if
 * the pool is killed), so a pool is just another consumer of a named
 * channel: several processes can feed it, and `gocsp recv` can drain the
 * same channel beside it.  An unbuffered sender continues once a slot has
 * its value, as a Go sender does once a goroutine received it.
 *
 * Per-message mode: a job is one process.  Its stdin is written and its
 * stderr drained by two helper coroutines while the slot reads its stdout
 * (any of the three could block the others otherwise); then the slot
 * waits for the exit on the pidfd.  A job fails on a non-zero exit, a
 * signal, its --timeout, or an output over --max-msg, and is tried again
 * in the same slot up to --retries times; a job that still fails becomes
 * a JSON record on POOL.errors.  A worker killed mid-job is a failed
 * attempt: its job runs again, and is done once.
 *
 * Stream mode: a slot keeps one process and gives it one value at a time,
 * as a line on its stdin; the next line it prints is that job's output.
 * A worker that dies or overruns the timeout is replaced, and its job
 * tried again by the new one.
 *
 * Killing a pool closes its stop channel (slots waiting for a job end)
 * and SIGKILLs the process group of every running worker; a slot that
 * finds its job killed puts the value back in the input channel.  The
 * slots hold references on the pool; the registry holds one until the
 * pool is forgotten (killed again, or replaced by a pool of its name).
 */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

#define TAIL 1024        /* bytes of a job's stderr kept */
#define MSG_ENV_MAX 4096 /* values up to this size go in $GOCSP_MSG */
#define ERRORS_CAP 65536 /* capacity of POOL.errors when gocspd makes it */
#define STREAM_GRACE GOCSP_SEC(10) /* for a worker to exit at the end */

struct slot {
	struct gocspd_pool *pool;
	uint32_t index;
	struct gocspd_proc proc; /* the worker (pid 0: none) */
	gocsp_waitgroup drained; /* its stderr drainer */
	char tail[TAIL];         /* the end of its stderr */
	size_t tail_len;
	char *buf; /* stream: what it printed, unread */
	size_t cap, start, end;
};

struct gocspd_pool {
	_Atomic uint32_t refs;
	struct gocspd_pool *next; /* the registry's list, its lock */
	char *name;
	struct gocspd_chan *in, *out, *errors;
	char *path, **argv, **env, *cwd;
	uint32_t workers, retries, max_msg;
	int64_t timeout;
	bool stream;
	int64_t started;
	_Atomic int64_t ended; /* when the last slot ended, or 0 */
	_Atomic int state;     /* enum gocspd_pool_state */
	_Atomic uint32_t running, live_slots;
	_Atomic uint64_t done, failed, retried;
	gocsp_chan *stop;     /* closed by a kill */
	gocsp_chan *finished; /* closed by the last slot */
	pthread_mutex_t lock; /* pgids */
	pid_t *pgids;         /* each slot's running worker */
	struct slot *slots;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gocspd_pool *pools; /* under registry_lock */
static uint32_t max_pools, max_workers;
static uint32_t workers_running; /* under registry_lock */
static uint64_t next_number;     /* under registry_lock */

void
gocspd_pools_init(uint32_t pools_limit, uint32_t workers_limit)
{
	max_pools = pools_limit;
	max_workers = workers_limit;
}

static bool
killed(struct gocspd_pool *p)
{
	return atomic_load(&p->state) == GOCSPD_POOL_KILLED;
}

static void
free_strings(char **v)
{
	for (char **s = v; s != NULL && *s != NULL; s++)
		free(*s);
	free(v);
}

static void
pool_free(struct gocspd_pool *p)
{
	gocspd_chan_release(p->in);
	if (p->out != NULL)
		gocspd_chan_release(p->out);
	if (p->errors != NULL)
		gocspd_chan_release(p->errors);
	for (uint32_t i = 0; p->slots != NULL && i < p->workers; i++)
		free(p->slots[i].buf);
	free(p->slots);
	free(p->pgids);
	gocsp_chan_release(p->stop);
	gocsp_chan_release(p->finished);
	pthread_mutex_destroy(&p->lock);
	free(p->name);
	free(p->path);
	free_strings(p->argv);
	free_strings(p->env);
	free(p->cwd);
	free(p);
}

void
gocspd_pool_release(struct gocspd_pool *p)
{
	if (atomic_fetch_sub(&p->refs, 1) == 1)
		pool_free(p);
}

/* ---------------------------------------------------------------------- */
/* Jobs                                                                    */
/* ---------------------------------------------------------------------- */

/* Take a value for a job: 0, or the slot is to end (input closed and
 * drained, or the pool killed). */
static int
take_job(struct gocspd_pool *p, struct gocspd_msg **m)
{
	/* The wait below might take a value rather than see the stop. */
	if (killed(p))
		return GOCSP_ECANCELED;
	int rc =
	    gocspd_chan_wait(p->in, GOCSP_RECV, m, p->stop, GOCSP_FOREVER);
	if (rc != 0)
		return rc;
	gocspd_msg_taken(*m);
	atomic_fetch_add(&p->running, 1);
	return 0;
}

/* The job of m is over, well or not. */
static void
job_over(struct gocspd_pool *p, struct gocspd_msg *m)
{
	atomic_fetch_sub(&p->running, 1);
	gocspd_chan_consumed(p->in, m);
}

/* The pool was killed during the job of m: m goes back. */
static void
job_back(struct gocspd_pool *p, struct gocspd_msg *m)
{
	atomic_fetch_sub(&p->running, 1);
	gocspd_chan_putback(p->in, m);
}

/* Send a copy of data to channel c (may be NULL: dropped).  Waits for
 * room in c and in the daemon's budget.  0, GOCSP_ECLOSED (c closed) or
 * GOCSP_ECANCELED (the pool was killed). */
static int
send_to(struct gocspd_pool *p, struct gocspd_chan *c, const void *data,
    size_t len)
{
	if (c == NULL)
		return 0;
	struct gocspd_msg *m;
	int rc;
	while ((rc = gocspd_msg_new(&m, data, len)) != 0) {
		/* --max-queued: wait for room rather than lose output. */
		if (gocsp_chan_recv_timeout(p->stop, NULL, GOCSP_MS(10)) !=
		    GOCSP_ETIMEDOUT)
			return GOCSP_ECANCELED;
	}
	rc = gocspd_chan_wait(c, GOCSP_SEND, &m, p->stop, GOCSP_FOREVER);
	if (rc != 0) {
		gocspd_msg_free(m);
		return rc;
	}
	atomic_fetch_add(&c->sent, 1);
	return 0;
}

/* Append a JSON string for data[0..len) to buf (size, *n used). */
static void
json_string(char *buf, size_t size, size_t *n, const char *data, size_t len)
{
	for (size_t i = 0; i <= len + 1 && *n + 8 < size; i++) {
		if (i == 0 || i == len + 1) {
			buf[(*n)++] = '"';
			continue;
		}
		unsigned char c = (unsigned char) data[i - 1];
		if (c == '"' || c == '\\')
			*n +=
			    (size_t) snprintf(buf + *n, size - *n, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			*n += (size_t) snprintf(buf + *n, size - *n, "\\u%04x",
			    c);
		else
			buf[(*n)++] = (char) c;
	}
}

/* What became of one attempt at a job. */
struct outcome {
	bool ok;
	bool hopeless;   /* not ok, and no use trying again */
	char error[160]; /* when not ok */
	char *out;       /* its output (malloc'd) */
	size_t out_len;
};

/* Report a job that failed for good on POOL.errors, as one JSON object. */
static void
report(struct slot *s, struct gocspd_msg *m, const struct outcome *o,
    uint32_t attempts)
{
	struct gocspd_pool *p = s->pool;
	size_t size = 64 + 6 * (m->len + s->tail_len + strlen(p->name)) +
	    sizeof(o->error) * 2;
	char *buf = malloc(size);
	if (buf == NULL)
		return;
	size_t n = (size_t) snprintf(buf, size, "{\"pool\":");
	json_string(buf, size, &n, p->name, strlen(p->name));
	n += (size_t) snprintf(buf + n, size - n, ",\"job\":");
	json_string(buf, size, &n, (const char *) m->data, m->len);
	n += (size_t) snprintf(buf + n, size - n,
	    ",\"attempts\":%u,\"error\":", attempts);
	json_string(buf, size, &n, o->error, strlen(o->error));
	n += (size_t) snprintf(buf + n, size - n, ",\"stderr\":");
	json_string(buf, size, &n, s->tail, s->tail_len);
	n += (size_t) snprintf(buf + n, size - n, "}");
	if (send_to(p, p->errors, buf, n) != 0)
		gocspd_log(GOCSPD_INFO,
		    "pool %s: a failed job could not be reported: %s", p->name,
		    buf);
	free(buf);
}

/* Keep the end of what stderr says. */
static void
keep_tail(struct slot *s, const char *data, size_t len)
{
	if (len >= TAIL) {
		memcpy(s->tail, data + len - TAIL, TAIL);
		s->tail_len = TAIL;
		return;
	}
	if (s->tail_len + len > TAIL) {
		size_t drop = s->tail_len + len - TAIL;
		memmove(s->tail, s->tail + drop, s->tail_len - drop);
		s->tail_len -= drop;
	}
	memcpy(s->tail + s->tail_len, data, len);
	s->tail_len += len;
}

/* Coroutine: read the worker's stderr until it closes, keeping its end. */
static void
drain_stderr(void *arg)
{
	struct slot *s = arg;
	char buf[4096];
	ssize_t n;
	while ((n = gocsp_read(s->proc.err, buf, sizeof(buf))) > 0)
		keep_tail(s, buf, (size_t) n);
	gocsp_wg_done(&s->drained);
}

/* The environment of a job: the spawner's, and GOCSP_POOL,
 * GOCSP_ATTEMPT and (for a small value without NUL) GOCSP_MSG.  One
 * allocation; NULL when out of memory. */
static char **
job_env(struct gocspd_pool *p, const struct gocspd_msg *m, uint32_t attempt)
{
	size_t n = 0;
	while (p->env[n] != NULL)
		n++;
	bool msg = m != NULL && m->len <= MSG_ENV_MAX &&
	    memchr(m->data, '\0', m->len) == NULL;
	size_t strings = strlen(p->name) + 64 + (msg ? m->len + 16 : 0);
	char **env = malloc((n + 4) * sizeof(*env) + strings);
	if (env == NULL)
		return NULL;
	char *s = (char *) (env + n + 4), *end = s + strings;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(p->env[i], "GOCSP_MSG=", 10) != 0 &&
		    strncmp(p->env[i], "GOCSP_POOL=", 11) != 0 &&
		    strncmp(p->env[i], "GOCSP_ATTEMPT=", 14) != 0)
			env[k++] = p->env[i];
	env[k++] = s;
	s += snprintf(s, (size_t) (end - s), "GOCSP_POOL=%s", p->name) + 1;
	env[k++] = s;
	s += snprintf(s, (size_t) (end - s), "GOCSP_ATTEMPT=%u", attempt) + 1;
	if (msg) {
		env[k++] = s;
		s += snprintf(s, (size_t) (end - s), "GOCSP_MSG=%.*s",
		         (int) m->len, (const char *) m->data) +
		    1;
	}
	env[k] = NULL;
	return env;
}

/* Note the slot's worker, so that a kill reaches it; kill it at once if
 * the pool is being killed. */
static void
track(struct slot *s, pid_t pgid)
{
	struct gocspd_pool *p = s->pool;
	pthread_mutex_lock(&p->lock);
	p->pgids[s->index] = pgid;
	if (pgid > 0 && killed(p))
		kill(-pgid, SIGKILL);
	pthread_mutex_unlock(&p->lock);
}

/* Start the slot's worker with env.  0 or -errno; *o says why not. */
static int
start_worker(struct slot *s, char **env, struct outcome *o)
{
	struct gocspd_pool *p = s->pool;
	s->tail_len = 0;
	int rc = env == NULL
	    ? -ENOMEM
	    : gocspd_proc_spawn(&s->proc, p->path, p->argv, env, p->cwd);
	if (rc != 0) {
		snprintf(o->error, sizeof(o->error), "cannot start %s: %s",
		    p->path, strerror(-rc));
		return rc;
	}
	track(s, s->proc.pid);
	if (p->stream) /* it takes line after line */
		gocspd_proc_own(&s->proc);
	gocsp_wg_add(&s->drained, 1);
	if (gocsp_go(drain_stderr, s) != 0) {
		/* Nobody to read it: the worker's writes to stderr fail. */
		gocspd_proc_close_stderr(&s->proc);
		gocsp_wg_done(&s->drained);
	}
	return 0;
}

/* The worker is over (or is to be killed): reap it, and describe how it
 * ended in *o unless it went well.  Its pipes stay open. */
static void
reap_worker(struct slot *s, bool kill_it, int64_t deadline, struct outcome *o)
{
	int status = 0;
	if (kill_it)
		gocspd_proc_kill(&s->proc);
	if (gocspd_proc_wait(&s->proc, deadline, &status) == GOCSP_ETIMEDOUT) {
		gocspd_proc_kill(&s->proc);
		(void) gocspd_proc_wait(&s->proc, GOCSP_FOREVER, &status);
		if (o->error[0] == '\0')
			snprintf(o->error, sizeof(o->error), "timed out");
	}
	gocsp_wg_wait(&s->drained);
	track(s, 0);
	if (o->error[0] == '\0' &&
	    !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		gocspd_proc_status_text(status, o->error, sizeof(o->error));
}

/* reap_worker, then close what is left of it. */
static void
end_worker(struct slot *s, bool kill_it, int64_t deadline, struct outcome *o)
{
	reap_worker(s, kill_it, deadline, o);
	gocspd_proc_close(&s->proc);
}

/* ---------------------------------------------------------------------- */
/* Per-message mode                                                        */
/* ---------------------------------------------------------------------- */

struct feed {
	struct slot *s;
	const struct gocspd_msg *m;
	gocsp_waitgroup wg;
};

/* Coroutine: write the value to the job's stdin, then close it. */
static void
feed_stdin(void *arg)
{
	struct feed *f = arg;
	/* A job that exits without reading gets -EPIPE here: fine. */
	(void) gocsp_write(f->s->proc.in, f->m->data, f->m->len);
	gocspd_proc_close_input(&f->s->proc);
	gocsp_wg_done(&f->wg);
}

/* Run the job of m once. */
static void
run_once(struct slot *s, struct gocspd_msg *m, uint32_t attempt,
    struct outcome *o)
{
	struct gocspd_pool *p = s->pool;
	*o = (struct outcome){.ok = false};
	char **env = job_env(p, m, attempt);
	int rc = start_worker(s, env, o);
	free(env);
	if (rc != 0)
		return;
	struct feed f = {.s = s, .m = m};
	gocsp_wg_add(&f.wg, 1);
	if (gocsp_go(feed_stdin, &f) != 0) {
		gocspd_proc_close_input(&s->proc); /* it reads end of file */
		gocsp_wg_done(&f.wg);
	}
	int64_t deadline = p->timeout > 0 ? gocsp_now() + p->timeout : -1;
	rc = gocspd_read_all(s->proc.out, p->max_msg, deadline, &o->out,
	    &o->out_len);
	if (rc == GOCSP_ETIMEDOUT)
		snprintf(o->error, sizeof(o->error), "timed out");
	else if (rc == GOCSP_ELIMIT)
		snprintf(o->error, sizeof(o->error),
		    "output over --max-msg (%u bytes)", p->max_msg);
	else if (rc != 0)
		snprintf(o->error, sizeof(o->error), "reading its output: %s",
		    strerror(-rc));
	reap_worker(s, rc != 0, deadline, o);
	/* Dead, so the feeder is done or fails at once: then close. */
	gocsp_wg_wait(&f.wg);
	gocspd_proc_close(&s->proc);
	o->ok = o->error[0] == '\0';
	/* Like $(...): one trailing newline is not part of the value. */
	if (o->ok && o->out_len > 0 && o->out[o->out_len - 1] == '\n')
		o->out_len--;
}

/* Settle the attempt o at the job of m: its output goes on, or the job is
 * to be tried again (true), or it is reported, or, the pool killed, its
 * value goes back.  Frees o->out. */
static bool
settle(struct slot *s, struct gocspd_msg *m, struct outcome *o,
    uint32_t attempt)
{
	struct gocspd_pool *p = s->pool;
	int rc = killed(p) ? GOCSP_ECANCELED : 0;
	if (rc == 0 && o->ok)
		rc = send_to(p, p->out, o->out, o->out_len);
	free(o->out);
	o->out = NULL;
	if (rc == GOCSP_ECANCELED) {
		job_back(p, m);
		return false;
	}
	if (o->ok && rc == 0) {
		atomic_fetch_add(&p->done, 1);
		job_over(p, m);
		return false;
	}
	bool hopeless = o->ok || o->hopeless;
	if (o->ok)
		snprintf(o->error, sizeof(o->error),
		    "the output channel is closed");
	if (!hopeless && attempt < p->retries) {
		atomic_fetch_add(&p->retried, 1);
		return true;
	}
	report(s, m, o, attempt + 1);
	atomic_fetch_add(&p->failed, 1);
	job_over(p, m);
	return false;
}

static void
run_job(struct slot *s, struct gocspd_msg *m)
{
	bool again = true;
	for (uint32_t attempt = 0; again; attempt++) {
		struct outcome o;
		run_once(s, m, attempt, &o);
		again = settle(s, m, &o, attempt);
	}
}

/* ---------------------------------------------------------------------- */
/* Stream mode                                                             */
/* ---------------------------------------------------------------------- */

/* The worker's next output line, until deadline: 0 with *line, *len (in
 * the slot's buffer, valid until the next read), or an error. */
static int
read_line(struct slot *s, int64_t deadline, char **line, size_t *len)
{
	struct gocspd_pool *p = s->pool;
	for (;;) {
		char *nl = memchr(s->buf + s->start, '\n', s->end - s->start);
		if (nl != NULL) {
			*line = s->buf + s->start;
			*len = (size_t) (nl - *line);
			s->start += *len + 1;
			return 0;
		}
		if (s->end - s->start > p->max_msg)
			return GOCSP_ELIMIT;
		if (s->start > 0) {
			memmove(s->buf, s->buf + s->start, s->end - s->start);
			s->end -= s->start;
			s->start = 0;
		}
		if (s->end == s->cap) {
			char *b = realloc(s->buf, s->cap * 2);
			if (b == NULL)
				return GOCSP_ENOMEM;
			s->buf = b;
			s->cap *= 2;
		}
		ssize_t n =
		    read(s->proc.out, s->buf + s->end, s->cap - s->end);
		if (n > 0) {
			s->end += (size_t) n;
			continue;
		}
		if (n == 0)
			return GOCSP_ECONNRESET; /* the worker closed it */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		int64_t left = GOCSP_FOREVER;
		if (deadline >= 0 && (left = deadline - gocsp_now()) <= 0)
			return GOCSP_ETIMEDOUT;
		if (gocsp_wait_fd(s->proc.out, GOCSP_READABLE, left) ==
		    GOCSP_ETIMEDOUT)
			return GOCSP_ETIMEDOUT;
	}
}

/* Hand m to the running worker as a line; its answer into *o. */
static void
stream_once(struct slot *s, struct gocspd_msg *m, struct outcome *o)
{
	struct gocspd_pool *p = s->pool;
	*o = (struct outcome){.ok = false};
	char *line = malloc(m->len + 1);
	if (line == NULL) {
		snprintf(o->error, sizeof(o->error), "out of memory");
		return;
	}
	memcpy(line, m->data, m->len);
	line[m->len] = '\n';
	ssize_t w = gocsp_write(s->proc.in, line, m->len + 1);
	free(line);
	if (w != (ssize_t) m->len + 1)
		return; /* it stopped reading: its end says why */
	int64_t deadline = p->timeout > 0 ? gocsp_now() + p->timeout : -1;
	char *out = NULL;
	size_t len = 0;
	int rc = read_line(s, deadline, &out, &len);
	if (rc == 0) {
		o->ok = (o->out = malloc(len + 1)) != NULL;
		if (o->ok)
			memcpy(o->out, out, len);
		o->out_len = len;
		return;
	}
	if (rc == GOCSP_ETIMEDOUT)
		snprintf(o->error, sizeof(o->error), "timed out");
	else if (rc == GOCSP_ELIMIT)
		snprintf(o->error, sizeof(o->error),
		    "output line over --max-msg (%u bytes)", p->max_msg);
	/* else it ended or broke its output: its end says why */
}

static int
stream_start(struct slot *s, struct outcome *o)
{
	char **env = job_env(s->pool, NULL, 0);
	int rc = start_worker(s, env, o);
	free(env);
	s->start = s->end = 0;
	return rc;
}

static void
stream_loop(struct slot *s)
{
	struct gocspd_pool *p = s->pool;
	struct outcome o = {.ok = false};
	if ((s->buf = malloc(s->cap = 4096)) == NULL)
		return;
	bool up = false;
	struct gocspd_msg *m;
	while (take_job(p, &m) == 0) {
		bool again = true;
		for (uint32_t attempt = 0; again; attempt++) {
			o = (struct outcome){.ok = false};
			if (memchr(m->data, '\n', m->len) != NULL) {
				snprintf(o.error, sizeof(o.error),
				    "a value with a newline cannot be a line");
				o.hopeless = true;
			} else {
				if (!up)
					up = stream_start(s, &o) == 0;
				if (up)
					stream_once(s, m, &o);
				if (up &&
				    !o.ok) { /* replaced, whatever it did */
					end_worker(s, true, GOCSP_FOREVER, &o);
					up = false;
				}
			}
			again = settle(s, m, &o, attempt);
		}
	}
	if (up) {
		/* The input is over: let the worker finish, then see it go. */
		gocspd_proc_close_input(&s->proc);
		end_worker(s, killed(p), gocsp_now() + STREAM_GRACE, &o);
	}
}

/* ---------------------------------------------------------------------- */
/* Slots                                                                   */
/* ---------------------------------------------------------------------- */

/* A slot of p is over: the last one finishes the pool. */
static void
slot_end(struct gocspd_pool *p)
{
	if (atomic_fetch_sub(&p->live_slots, 1) == 1) {
		pthread_mutex_lock(&registry_lock);
		workers_running -= p->workers;
		pthread_mutex_unlock(&registry_lock);
		int running = GOCSPD_POOL_RUNNING;
		atomic_compare_exchange_strong(&p->state, &running,
		    GOCSPD_POOL_FINISHED);
		atomic_store(&p->ended, gocsp_now());
		gocspd_log(GOCSPD_INFO, "pool %s: %s: %llu done, %llu failed",
		    p->name, killed(p) ? "killed" : "finished",
		    (unsigned long long) atomic_load(&p->done),
		    (unsigned long long) atomic_load(&p->failed));
		(void) gocsp_chan_close(p->finished);
	}
	gocspd_pool_release(p);
}

static void
slot_main(void *arg)
{
	struct slot *s = arg;
	struct gocspd_pool *p = s->pool;
	if (p->stream) {
		stream_loop(s);
	} else {
		struct gocspd_msg *m;
		while (take_job(p, &m) == 0)
			run_job(s, m);
	}
	slot_end(p);
}

/* ---------------------------------------------------------------------- */
/* The registry                                                            */
/* ---------------------------------------------------------------------- */

/* With registry_lock held: the link to the pool called name, or to the
 * list's end. */
static struct gocspd_pool **
lookup(const char *name)
{
	struct gocspd_pool **l = &pools;
	while (*l != NULL && strcmp((*l)->name, name) != 0)
		l = &(*l)->next;
	return l;
}

/* The errors channel of a pool: made if missing, found otherwise. */
static struct gocspd_chan *
errors_channel(const char *pool)
{
	char name[512];
	snprintf(name, sizeof(name), "%s.errors", pool);
	uint32_t cap;
	struct gocspd_chan *c = NULL;
	int rc = gocspd_chan_make(name, ERRORS_CAP, &cap);
	if (rc == 0 || rc == GOCSP_EEXIST)
		(void) gocspd_chan_find(name, &c);
	return c;
}

static struct gocspd_pool *
pool_new(struct gocspd_pool_spec *spec)
{
	struct gocspd_pool *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->slots = calloc(spec->workers, sizeof(*p->slots));
	p->pgids = calloc(spec->workers, sizeof(*p->pgids));
	p->stop = gocsp_chan_make(0, 0);
	p->finished = gocsp_chan_make(0, 0);
	if (p->slots == NULL || p->pgids == NULL || p->stop == NULL ||
	    p->finished == NULL) {
		free(p->slots);
		free(p->pgids);
		gocsp_chan_release(p->stop);
		gocsp_chan_release(p->finished);
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	atomic_init(&p->refs, 1);
	p->in = spec->in;
	p->out = spec->out;
	p->path = spec->path;
	p->argv = spec->argv;
	p->env = spec->env;
	p->cwd = spec->cwd;
	p->workers = spec->workers;
	p->retries = spec->retries;
	p->timeout = spec->timeout;
	p->stream = spec->stream;
	p->max_msg = spec->max_msg;
	p->started = gocsp_now();
	return p;
}

int
gocspd_pool_start(struct gocspd_pool_spec *spec, struct gocspd_pool **out,
    const char **why)
{
	*why = NULL;
	pthread_mutex_lock(&registry_lock);
	uint32_t count = 0;
	for (struct gocspd_pool *q = pools; q != NULL; q = q->next)
		count += atomic_load(&q->state) == GOCSPD_POOL_RUNNING;
	char name[64];
	if (spec->name == NULL) {
		do
			snprintf(name, sizeof(name), "pool-%llu",
			    (unsigned long long) ++next_number);
		while (*lookup(name) != NULL);
	}
	const char *pname = spec->name != NULL ? spec->name : name;
	struct gocspd_pool **link = lookup(pname), *old = *link;
	int rc = 0;
	if (old != NULL && atomic_load(&old->state) == GOCSPD_POOL_RUNNING) {
		rc = GOCSP_EEXIST;
	} else if (count >= max_pools) {
		rc = GOCSP_ELIMIT;
		*why = "--max-pools";
	} else if (workers_running + spec->workers > max_workers) {
		rc = GOCSP_ELIMIT;
		*why = "--max-workers";
	}
	struct gocspd_pool *p = NULL;
	char *pname_copy = NULL;
	if (rc == 0 &&
	    ((pname_copy = strdup(pname)) == NULL ||
	        (p = pool_new(spec)) == NULL))
		rc = GOCSP_ENOMEM;
	if (rc != 0) {
		pthread_mutex_unlock(&registry_lock);
		free(pname_copy);
		return rc;
	}
	if (old != NULL) { /* a finished or killed pool of that name */
		*link = old->next;
		gocspd_pool_release(old);
	}
	free(spec->name);
	p->name = pname_copy;
	p->errors = errors_channel(p->name);
	p->next = pools;
	pools = p;
	workers_running += p->workers;
	atomic_init(&p->live_slots, p->workers);
	/* The registry's reference, the caller's, one per slot. */
	atomic_store(&p->refs, 2 + p->workers);
	pthread_mutex_unlock(&registry_lock);

	for (uint32_t i = 0; i < p->workers; i++) {
		p->slots[i] = (struct slot){.pool = p, .index = i};
		if (gocsp_go(slot_main, &p->slots[i]) != 0) {
			gocspd_log(GOCSPD_ERR,
			    "pool %s: out of memory for "
			    "worker %u",
			    p->name, i);
			slot_end(p);
		}
	}
	gocspd_log(GOCSPD_INFO, "pool %s: %u %s workers running %s", p->name,
	    p->workers, p->stream ? "stream" : "per-message", p->path);
	*out = p;
	return 0;
}

int
gocspd_pool_find(const char *name, struct gocspd_pool **out)
{
	pthread_mutex_lock(&registry_lock);
	struct gocspd_pool *p = *lookup(name);
	if (p != NULL)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&registry_lock);
	*out = p;
	return p != NULL ? 0 : GOCSP_ENOENT;
}

gocsp_chan *
gocspd_pool_finished(struct gocspd_pool *p)
{
	return p->finished;
}

void
gocspd_pool_close_outputs(struct gocspd_pool *p)
{
	if (p->out != NULL)
		(void) gocspd_chan_close(p->out);
	if (p->errors != NULL)
		(void) gocspd_chan_close(p->errors);
}

/* Kill p's workers and stop its slots. */
static void
kill_pool(struct gocspd_pool *p)
{
	int running = GOCSPD_POOL_RUNNING;
	if (!atomic_compare_exchange_strong(&p->state, &running,
	        GOCSPD_POOL_KILLED))
		return;
	(void) gocsp_chan_close(p->stop);
	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; i < p->workers; i++)
		if (p->pgids[i] > 0)
			kill(-p->pgids[i], SIGKILL);
	pthread_mutex_unlock(&p->lock);
}

int
gocspd_pool_kill(const char *name)
{
	pthread_mutex_lock(&registry_lock);
	struct gocspd_pool **link = lookup(name), *p = *link;
	if (p == NULL) {
		pthread_mutex_unlock(&registry_lock);
		return GOCSP_ENOENT;
	}
	bool forget = atomic_load(&p->state) != GOCSPD_POOL_RUNNING;
	if (forget)
		*link = p->next;
	else
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&registry_lock);
	if (!forget)
		kill_pool(p);
	gocspd_pool_release(p);
	return 0;
}

void
gocspd_pool_info(struct gocspd_pool *p, struct gocspd_pool_info *info)
{
	*info = (struct gocspd_pool_info){
	    .name = p->name,
	    .from = p->in->name,
	    .to = p->out != NULL ? p->out->name : "",
	    .argv = p->argv,
	    .stream = p->stream,
	    .input_closed = atomic_load(&p->in->closed),
	    .workers = p->workers,
	    .running = atomic_load(&p->running),
	    .state = (enum gocspd_pool_state) atomic_load(&p->state),
	    .queued = gocsp_chan_len(p->in->ch),
	    .done = atomic_load(&p->done),
	    .failed = atomic_load(&p->failed),
	    .retried = atomic_load(&p->retried),
	    .elapsed = (atomic_load(&p->ended) != 0 ? atomic_load(&p->ended)
	                                            : gocsp_now()) -
	        p->started,
	};
}

static int
by_name(const void *a, const void *b)
{
	return strcmp((*(struct gocspd_pool *const *) a)->name,
	    (*(struct gocspd_pool *const *) b)->name);
}

int
gocspd_pools_list(struct gocspd_pool ***out, size_t *n)
{
	pthread_mutex_lock(&registry_lock);
	size_t k = 0;
	for (struct gocspd_pool *p = pools; p != NULL; p = p->next)
		k++;
	struct gocspd_pool **all = malloc((k + 1) * sizeof(*all));
	k = 0;
	for (struct gocspd_pool *p = pools; all != NULL && p != NULL;
	     p = p->next) {
		atomic_fetch_add(&p->refs, 1);
		all[k++] = p;
	}
	pthread_mutex_unlock(&registry_lock);
	if (all == NULL)
		return GOCSP_ENOMEM;
	qsort(all, k, sizeof(*all), by_name);
	*out = all;
	*n = k;
	return 0;
}

void
gocspd_pools_stop(void)
{
	struct gocspd_pool **all;
	size_t n;
	if (gocspd_pools_list(&all, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++)
		kill_pool(all[i]);
	for (size_t i = 0; i < n; i++) {
		(void) gocsp_chan_recv(all[i]->finished, NULL);
		gocspd_pool_release(all[i]);
	}
	free(all);
	pthread_mutex_lock(&registry_lock);
	while (pools != NULL) {
		struct gocspd_pool *p = pools;
		pools = p->next;
		gocspd_pool_release(p);
	}
	pthread_mutex_unlock(&registry_lock);
}
