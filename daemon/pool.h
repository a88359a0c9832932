/*
 * pool.h: worker pools -- processes fed from a named channel, their output
 * sent to another, their failures reported on POOL.errors.
 *
 * A pool has one coroutine per worker (a slot): in per-message mode a slot
 * takes a value, runs the command once with the value on its stdin and
 * sends its stdout on; in stream mode a slot keeps one process up and
 * hands it values as lines, one output line per input line.  A job that
 * fails is tried again up to retries times in the same slot; a worker
 * killed mid-job is a failed attempt, so its job is done again, once.
 */
#ifndef GOCSPD_POOL_H
#define GOCSPD_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gocsp/gocsp.h>

#include "registry.h"

struct gocspd_pool;

/* What a pool is made of.  gocspd_pool_start takes everything in it. */
struct gocspd_pool_spec {
	char *name;              /* valid; NULL: gocspd names it */
	struct gocspd_chan *in;  /* a reference */
	struct gocspd_chan *out; /* a reference, or NULL */
	char *path;              /* the command, resolved */
	char **argv, **env;      /* NULL-terminated */
	char *cwd;
	uint32_t workers, retries;
	int64_t timeout; /* per job, ns; 0: none */
	bool stream;
	uint32_t max_msg; /* the largest output value */
};

enum gocspd_pool_state {
	GOCSPD_POOL_RUNNING,
	GOCSPD_POOL_FINISHED, /* input closed and drained, every job over */
	GOCSPD_POOL_KILLED,
};

struct gocspd_pool_info {
	const char *name, *from, *to; /* valid while the pool is held */
	char *const *argv;
	bool stream, input_closed;
	uint32_t workers, running;
	enum gocspd_pool_state state;
	uint64_t queued, done, failed, retried;
	int64_t elapsed;
};

/* At most max_pools pools and max_workers workers in all (running). */
void gocspd_pools_init(uint32_t max_pools, uint32_t max_workers);

/*
 * Start a pool.  Its errors channel POOL.errors is made if missing.
 * @return 0 with *out (a reference) -- spec is then the pool's --, or
 *         GOCSP_EEXIST (a running pool of that name), GOCSP_ELIMIT
 *         (--max-pools, --max-workers; *why says which) or GOCSP_ENOMEM,
 *         spec untouched.
 */
int gocspd_pool_start(struct gocspd_pool_spec *spec, struct gocspd_pool **out,
    const char **why);

/* The pool called name, with a reference, or GOCSP_ENOENT. */
int gocspd_pool_find(const char *name, struct gocspd_pool **out);

void gocspd_pool_release(struct gocspd_pool *p);

/* Closed once the pool's input is closed and drained and every job is
 * over (or the pool was killed and every slot stopped).  Borrowed. */
gocsp_chan *gocspd_pool_finished(struct gocspd_pool *p);

/* After the pool finished: close its output and errors channels, as Go's
 * WaitGroup-then-close does (idempotent). */
void gocspd_pool_close_outputs(struct gocspd_pool *p);

/* Kill the pool: its workers die, the jobs they held go back to its input.
 * A pool that is not running is forgotten.  0 or GOCSP_ENOENT. */
int gocspd_pool_kill(const char *name);

void gocspd_pool_info(struct gocspd_pool *p, struct gocspd_pool_info *info);

/* Every pool, by name, each with a reference (release each, free *out). */
int gocspd_pools_list(struct gocspd_pool ***out, size_t *n);

/* The daemon is stopping: kill every pool and wait for its slots.  May
 * park. */
void gocspd_pools_stop(void);

#endif /* GOCSPD_POOL_H */
