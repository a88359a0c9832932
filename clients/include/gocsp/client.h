/*
 * gocsp client library: named channels in gocspd, shared by processes.
 *
 * Go's channel semantics across processes: an unbuffered send completes
 * only when a live receiver has the value; a close lets receivers drain
 * what is buffered, then they get GOCSP_ECLOSED; select chooses among
 * ready send and receive cases at random.  A value a receiving process
 * took but had not acknowledged when it died goes back to the head of
 * its channel (at-least-once delivery; see docs/protocol.md).
 *
 * Conventions are libgocsp's (gocsp/gocsp.h): calls return 0 (or a
 * non-negative result) or a negative GOCSP_E* code; durations are ns,
 * GOCSP_FOREVER blocks, 0 never blocks (GOCSP_EAGAIN when it would).
 *
 * Threads and coroutines: one gocsp_client is safe to use from many
 * threads and libgocsp coroutines at once, each with its own blocking
 * calls outstanding.  A blocking call made in a coroutine parks the
 * coroutine, not its worker thread.  A client is not usable in a child
 * after fork(): the child opens its own.
 *
 * Connection loss: calls outstanding when the connection to gocspd drops
 * return GOCSP_ECONNRESET (a send's outcome is then unknown); the next
 * call connects again.  GOCSP_ECONNREFUSED: no daemon could be reached.
 */
#ifndef GOCSP_CLIENT_H
#define GOCSP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <gocsp/gocsp.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gocsp_client gocsp_client;

/**
 * Connect to gocspd.
 *
 * @param[out] cl the client; close it with gocsp_client_close().
 * @param url  ipc://PATH, tcp://HOST:PORT or tls+tcp://HOST:PORT; NULL
 *             means $GOCSP_URL, else the default socket
 *             (ipc://$XDG_RUNTIME_DIR/gocsp/gocspd.sock, else
 *             ipc:///tmp/gocsp-$UID/gocspd.sock) -- or, when no socket is
 *             there and the system unit's is, ipc:///run/gocsp/gocspd.sock.
 *             tls+tcp:// reads
 *             $GOCSP_TLS_CA (CAs to verify the daemon; without it the
 *             daemon is not verified), $GOCSP_TLS_CERT (a PEM certificate
 *             and key to present) and $GOCSP_TLS_SERVER_NAME.
 * @return 0, GOCSP_ECONNREFUSED (no daemon there), GOCSP_EINVAL (bad
 *         URL), GOCSP_EPERM (refused by the daemon) or GOCSP_ENOMEM.
 */
GOCSP_API int gocsp_client_open(gocsp_client **cl, const char *url);

/**
 * As gocsp_client_open(), and on failure why (size bytes, may be NULL)
 * says what went wrong: no socket at that path, a daemon that refused or
 * did not answer, a TLS error...
 */
GOCSP_API int gocsp_client_dial(gocsp_client **cl, const char *url, char *why,
    size_t size);

/**
 * How long the acknowledgement of a received value waits for the next
 * request of this client to carry it before it is sent on its own
 * (default 20 ms).  GOCSP_FOREVER: only with the next request, or at
 * gocsp_client_close() -- for a consumer that acknowledges a value only
 * once it has dealt with it (finished writing it out, say): if the
 * process dies first, the value goes back to its channel.  Values of an
 * unbuffered channel are acknowledged at once whatever the delay: their
 * sender waits for it.
 */
GOCSP_API void gocsp_client_set_ack_delay(gocsp_client *cl, int64_t delay);

/**
 * The URL gocsp_client_open(url) connects to: url itself, else
 * $GOCSP_URL, else the default socket.
 * @return 0, or GOCSP_EINVAL when buf is too small.
 */
GOCSP_API int gocsp_client_url(char *buf, size_t size, const char *url);

/** Acknowledge what was received, disconnect, free cl.  No call on cl may
 * be under way. */
GOCSP_API void gocsp_client_close(gocsp_client *cl);

/**
 * Copy the daemon's message for the most recent failed call on cl (it
 * names the channel or the limit) into buf, NUL-terminated.  With several
 * threads on one client, the most recent may be another thread's.
 * @return the message's length (it may not all have fit).
 */
GOCSP_API size_t gocsp_client_last_error(gocsp_client *cl, char *buf,
    size_t size);

/**
 * Make channel name with a buffer of cap values (0: unbuffered).  Making
 * an existing channel again with the same capacity succeeds.
 * @return 0, GOCSP_EEXIST (it exists with another capacity),
 *         GOCSP_EINVAL (bad name), GOCSP_ELIMIT, or a connection error.
 */
GOCSP_API int gocsp_client_make(gocsp_client *cl, const char *name,
    uint32_t cap);

/**
 * Send len bytes of data on channel name: into its buffer, or -- when
 * unbuffered -- to a receiver, returning once that receiver's process
 * has the value.
 * @return 0, GOCSP_ECLOSED, GOCSP_ETIMEDOUT, GOCSP_EAGAIN (timeout 0 and
 *         it would block), GOCSP_ENOENT (no such channel), GOCSP_ELIMIT
 *         (value too large, daemon full), or a connection error.
 */
GOCSP_API int gocsp_client_send(gocsp_client *cl, const char *name,
    const void *data, size_t len, int64_t timeout);

/**
 * Receive a value from channel name.
 * @param[out] data a malloc'd copy of the value followed by a NUL byte
 *             (not counted in *len): free() it.  NULL on failure.
 * @param[out] len  its length.
 * @return 0, GOCSP_ECLOSED (closed and drained), GOCSP_ETIMEDOUT,
 *         GOCSP_EAGAIN, GOCSP_ENOENT, or a connection error.
 */
GOCSP_API int gocsp_client_recv(gocsp_client *cl, const char *name,
    void **data, size_t *len, int64_t timeout);

/** Close channel name (Go's close).  @return 0, GOCSP_ECLOSED (already
 * closed), GOCSP_ENOENT, or a connection error. */
GOCSP_API int gocsp_client_chan_close(gocsp_client *cl, const char *name);

/** Remove channel name: close it, discard what it holds, forget the name.
 * @return 0, GOCSP_ENOENT, or a connection error. */
GOCSP_API int gocsp_client_remove(gocsp_client *cl, const char *name);

typedef struct gocsp_client_case {
	const char *name; /* the channel */
	int op;           /* GOCSP_SEND or GOCSP_RECV */
	const void *data; /* send: the value */
	size_t len;       /* send: its length */
	void *out;        /* receive taken: a malloc'd copy (free()), NUL
	                     after it; NULL otherwise */
	size_t out_len;   /* receive taken: its length */
	int ok;           /* taken: 1 value moved, 0 channel closed */
} gocsp_client_case;

/**
 * Go's select over channels of the daemon: one case proceeds, chosen at
 * random among the ready ones.  Only the case taken gets out, out_len and
 * ok written.  A send case on a closed channel proceeds with ok = 0.
 * @return the index of the case taken, GOCSP_ETIMEDOUT, GOCSP_EAGAIN
 *         (timeout 0, none ready), GOCSP_ENOENT, GOCSP_EINVAL,
 *         GOCSP_ELIMIT (too many cases), or a connection error.
 */
GOCSP_API int gocsp_client_select(gocsp_client *cl, gocsp_client_case *cases,
    size_t n, int64_t timeout);

/* ---------------------------------------------------------------------- */
/* Batches: many values in one round trip                                 */
/* ---------------------------------------------------------------------- */

typedef struct gocsp_client_msg {
	void *data;
	size_t len;
} gocsp_client_msg;

/**
 * Send msgs[0..n) on channel name, in order, as n sends would, in as few
 * requests as the daemon's limits allow.
 * @param[out] sent how many were sent (all of them when 0 is returned).
 * @return as gocsp_client_send(), for the first value that failed.
 */
GOCSP_API int gocsp_client_send_many(gocsp_client *cl, const char *name,
    const gocsp_client_msg *msgs, size_t n, size_t *sent, int64_t timeout);

/**
 * Receive one value, waiting for it as gocsp_client_recv() does, and up
 * to max - 1 more that are ready at once, in one round trip.
 * @param[out] msgs  the values (each malloc'd, NUL after it: free() each).
 * @param[out] n     how many (>= 1 when 0 is returned).
 * @return as gocsp_client_recv().
 */
GOCSP_API int gocsp_client_recv_many(gocsp_client *cl, const char *name,
    gocsp_client_msg *msgs, size_t max, size_t *n, int64_t timeout);

/* ---------------------------------------------------------------------- */
/* Information                                                             */
/* ---------------------------------------------------------------------- */

typedef struct gocsp_client_chan_info {
	char name[256];
	uint32_t cap;
	uint64_t len; /* values buffered now */
	int closed;
	uint32_t recv_waiting; /* operations blocked receiving */
	uint32_t send_waiting;
	uint64_t sent;        /* values accepted */
	uint64_t received;    /* deliveries acknowledged */
	uint64_t redelivered; /* deliveries put back: a receiver died */
	uint64_t in_flight;   /* delivered, not yet acknowledged */
} gocsp_client_chan_info;

/** Counters of channel name.  @return 0, GOCSP_ENOENT, ... */
GOCSP_API int gocsp_client_stat(gocsp_client *cl, const char *name,
    gocsp_client_chan_info *info);

/**
 * Every channel, sorted by name.
 * @param[out] infos a malloc'd array (free() it); NULL when *n is 0.
 */
GOCSP_API int gocsp_client_list(gocsp_client *cl,
    gocsp_client_chan_info **infos, size_t *n);

typedef struct gocsp_client_server_info {
	char version[32];
	uint32_t pid;
	uint32_t clients;
	uint32_t channels;
	uint64_t queued_bytes; /* bytes of values the daemon holds */
	uint32_t max_msg;      /* the largest value it accepts */
	uint32_t max_batch;    /* values in one send or receive */
	uint64_t requests;     /* requests it has handled */
} gocsp_client_server_info;

/** A round trip to the daemon; info (may be NULL) describes it. */
GOCSP_API int gocsp_client_ping(gocsp_client *cl,
    gocsp_client_server_info *info);

/**
 * The daemon's figures in the Prometheus text format (version 0.0.4):
 * the same families as gocspd --metrics serves -- the daemon's clients,
 * channels, bytes held, requests and scheduler, then each channel's and
 * each pool's counters -- read with a ping, a list and a pools call.
 * @param[out] text a malloc'd, NUL-terminated copy (free() it); NULL on
 *             failure.
 * @param[out] len  its length.
 * @return 0, GOCSP_ENOMEM, or a connection error.
 */
GOCSP_API int gocsp_client_metrics(gocsp_client *cl, char **text, size_t *len);

/* ---------------------------------------------------------------------- */
/* Worker pools and wait groups                                            */
/* ---------------------------------------------------------------------- */

typedef struct gocsp_client_pool_spec {
	const char *name;        /* NULL: gocspd names it */
	const char *from;        /* the input channel */
	const char *to;          /* the output channel; NULL: none */
	const char *const *argv; /* the command, NULL-terminated; argv[0]
	                             is looked up in env's PATH */
	const char *const *env;  /* NULL: this process's environment */
	const char *cwd;         /* NULL: this process's directory */
	uint32_t workers;        /* 0 means 1 */
	uint32_t retries;        /* attempts after a failed one */
	int64_t job_timeout;     /* ns a job may take; 0: no limit */
	int stream;              /* 0: a process per value; 1: long-lived
	                             workers, values as lines */
} gocsp_client_pool_spec;

typedef struct gocsp_client_pool_info {
	char name[256];
	char from[256];
	char to[256];
	char state[16]; /* "running", "finished" or "killed" */
	int stream;
	uint32_t workers;
	uint64_t queued;  /* values waiting in the input channel */
	int input_closed; /* then done + failed + running + queued
	                             is the total */
	uint32_t running; /* jobs under way */
	uint64_t done;
	uint64_t failed;  /* reported on channel POOL.errors */
	uint64_t retried; /* attempts beyond the first */
	int64_t elapsed;  /* ns since the spawn */
} gocsp_client_pool_info;

/**
 * Start a pool of worker processes fed from channel spec->from, run by
 * gocspd as its user, in spec's environment and directory (this
 * process's by default, as xargs would run them).  Per value (default):
 * the command runs once, the value on its stdin and in $GOCSP_MSG when
 * small; its stdout, less one trailing newline, is one value on channel
 * spec->to.  Stream: each worker stays up and gets values as lines; each
 * line it prints is the output of the line it was given.  A job that
 * fails (exit status, signal, timeout) is tried again up to retries
 * times, then reported as a JSON object on channel "POOL.errors".
 * @param[out] info the new pool (may be NULL).
 * @return 0, GOCSP_EPERM (not the daemon's user, or over the network),
 *         GOCSP_ENOENT (no such channel or command), GOCSP_EEXIST (a pool
 *         of that name runs), GOCSP_ELIMIT (--max-pools, --max-workers),
 *         GOCSP_EINVAL, or a connection error.
 */
GOCSP_API int gocsp_client_spawn(gocsp_client *cl,
    const gocsp_client_pool_spec *spec, gocsp_client_pool_info *info);

/**
 * Wait until pool's input channel is closed and drained and every job is
 * over, then close its output and errors channels (Go's WaitGroup, then
 * close).  info (may be NULL) gets the pool's figures, on a timeout too.
 * @return 0 (see info->failed), GOCSP_ETIMEDOUT, GOCSP_EAGAIN, GOCSP_ENOENT,
 *         or a connection error.
 */
GOCSP_API int gocsp_client_pool_wait(gocsp_client *cl, const char *pool,
    gocsp_client_pool_info *info, int64_t timeout);

/** Kill pool: its workers die, the jobs they held go back to its input.
 * Killing a pool that is not running forgets it.  @return 0, GOCSP_ENOENT,
 * GOCSP_EPERM, or a connection error. */
GOCSP_API int gocsp_client_pool_kill(gocsp_client *cl, const char *pool);

/** Every pool, by name: *infos is malloc'd (free()), NULL when *n is 0. */
GOCSP_API int gocsp_client_pools(gocsp_client *cl,
    gocsp_client_pool_info **infos, size_t *n);

/**
 * Add delta to the WaitGroup name, shared by every client of the daemon
 * (a new name counts zero); count (may be NULL) gets the new counter.
 * @return 0, GOCSP_EINVAL (it would go below zero: nothing changed),
 *         GOCSP_ELIMIT, or a connection error.
 */
GOCSP_API int gocsp_client_wg_add(gocsp_client *cl, const char *name,
    int64_t delta, int64_t *count);

/** gocsp_client_wg_add(cl, name, -1, NULL). */
GOCSP_API int gocsp_client_wg_done(gocsp_client *cl, const char *name);

/** Wait until the counter of name is zero.  @return 0, GOCSP_ETIMEDOUT,
 * GOCSP_EAGAIN (timeout 0), or a connection error. */
GOCSP_API int gocsp_client_wg_wait(gocsp_client *cl, const char *name,
    int64_t timeout);

#ifdef __cplusplus
}
#endif

#endif /* GOCSP_CLIENT_H */
