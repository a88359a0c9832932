/*
 * What the daemon benchmarks (tests/bench/daemon/) share: the two
 * workloads, run the same way whatever a program talks to (struct
 * dbench_ops, driver.c), and their helpers (dbench.c): the clock, latency
 * samples and their percentiles, arguments, the value they all move, and
 * a team of processes released together.
 *
 * Every program prints exactly one line (shared/BENCHMARKS.md):
 *     <name> <metric>=<value> key=value ...
 * tests/bench/daemon.sh runs each beside its anchors and compares them.
 */
#ifndef DBENCH_H
#define DBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every value is 64 bytes (issue 6); its bytes do not matter. */
#define DBENCH_VALUE_LEN 64
extern const char dbench_value[DBENCH_VALUE_LEN];

/* Calls made before the timed ones (connection, caches), not counted. */
#define DBENCH_WARMUP_CALLS 200

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t dbench_now(void);

/* Print "prog: " and the message to stderr and exit 1. */
_Noreturn void dbench_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* CPU time (user + system) used so far, in ns: who is RUSAGE_SELF, or
 * RUSAGE_CHILDREN for the children waited for. */
int64_t dbench_cpu_ns(int who);

/* argv[i] as a positive integer; prints usage and exits 2 when it is
 * missing or not one. */
long dbench_arg(int argc, char **argv, int i, const char *usage);

/* Member i's share of total work split among n: total / n, and one more
 * for the first total % n members. */
long dbench_share(long total, size_t i, size_t n);

/* ---------------------------------------------------------------------- */
/* Latency samples                                                          */
/* ---------------------------------------------------------------------- */

struct dbench_samples {
	int64_t *v; /* ns */
	size_t n, cap;
};

/* Room for cap samples, allocated before the timed loop (exits on ENOMEM);
 * add never allocates. */
void dbench_samples_init(struct dbench_samples *s, size_t cap);

static inline void
dbench_samples_add(struct dbench_samples *s, int64_t ns)
{
	if (s->n < s->cap)
		s->v[s->n++] = ns;
}

/* The p-th percentile (0 < p <= 100, nearest rank) in microseconds; sorts
 * the samples.  Needs at least one sample. */
double dbench_samples_pct_us(struct dbench_samples *s, double p);

void dbench_samples_free(struct dbench_samples *s);

/* ---------------------------------------------------------------------- */
/* A team of processes                                                      */
/* ---------------------------------------------------------------------- */

/*
 * Run body(i, arg) in n child processes (fork, no exec), i in [0, n).
 * Each member connects, calls dbench_team_ready(), which returns once
 * every member is ready, works, calls dbench_team_done(), cleans up and
 * returns; returning ends the process.  The caller must not have opened
 * any client before: a client of gocsp, nng or hiredis is not usable
 * across fork.
 *
 * @param[out] cpu_ns the CPU time the members used, whole lives included.
 * @return ns from the release of the team to the end of the last member's
 *         work (teardown excluded).  Exits 1 if a member failed.
 */
typedef void dbench_member_fn(size_t i, void *arg);
int64_t dbench_team_run(int64_t *cpu_ns, size_t n, dbench_member_fn *body,
    void *arg);

/* In a member: report ready, wait for the whole team's release. */
void dbench_team_ready(void);

/* In a member: its work is over (what follows is not timed). */
void dbench_team_done(void);

/* ---------------------------------------------------------------------- */
/* The workloads                                                            */
/* ---------------------------------------------------------------------- */

/*
 * How a program moves values through what it benchmarks.  conn is its
 * connection; key names the channel or list ("rtt" or "pc").  Each
 * function exits through dbench_fail when a call fails.
 */
struct dbench_ops {
	const char *name; /* the result lines' prefix: NAME_rtt, NAME_pc */
	void *(*open)(const char *target);
	void (*close)(void *conn);
	/* Make key empty, with room for cap values where that means
	 * something; NULL: nothing to prepare. */
	void (*prepare)(void *conn, const char *key, uint32_t cap);
	/* One step of the round trip, rtt_calls calls; with s, the latency
	 * of each call goes there. */
	void (
	    *rtt_once)(void *conn, const char *key, struct dbench_samples *s);
	int rtt_calls;
	/* Move n values, batch a call.  consume NULL: values come back to
	 * their producer (an echo), and pc takes no consumers. */
	void (*produce)(void *conn, const char *key, long n, long batch);
	void (*consume)(void *conn, const char *key, long n, long batch);
};

/* The capacity of the pc channel: 16 batches of 64, so that producers
 * rarely wait for consumers (Redis lists have no capacity). */
#define DBENCH_PC_CAP 1024

/*
 * The command line every program shares:
 *   PROG rtt TARGET CALLS
 *       One connection: DBENCH_WARMUP_CALLS calls, then CALLS timed one by
 *       one.  Prints NAME_rtt p50_us= p99_us= client_cpu_us= calls=.
 *   PROG pc TARGET PRODUCERS CONSUMERS MSGS BATCH
 *       A team of producer then consumer processes moves MSGS values,
 *       BATCH a call, each member its share; member 0 prepares the key
 *       before the team is released.  Prints NAME_pc msgs_per_s=
 *       client_cpu_us= (per value) producers= consumers= batch= msgs=.
 * TARGET is a URL or a socket path, as ops->open takes it.
 * @return main's exit status.
 */
int dbench_main(int argc, char **argv, const struct dbench_ops *ops);

#endif /* DBENCH_H */
