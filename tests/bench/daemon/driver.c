/*
 * Design notes: the two workloads of dbench.h, the same for every
 * program.  Only the calls that move values are timed: connecting and
 * preparing happen before, closing after (in pc, dbench_team_done marks
 * the end of a member's work).  The client's CPU time counts the timed
 * part too: RUSAGE_SELF around the timed loop in rtt, and in pc the
 * members' whole lives (RUSAGE_CHILDREN), whose connecting is small
 * beside thousands of calls.
 */
#include "dbench.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static void
rtt(const struct dbench_ops *ops, const char *target, long calls)
{
	void *conn = ops->open(target);
	struct dbench_samples s;
	int64_t cpu;
	long i;

	if (ops->prepare != NULL)
		ops->prepare(conn, "rtt", 1);
	/* Room for a last step that passes calls. */
	dbench_samples_init(&s, (size_t) (calls + ops->rtt_calls));
	for (i = 0; i < DBENCH_WARMUP_CALLS; i += ops->rtt_calls)
		ops->rtt_once(conn, "rtt", NULL);
	cpu = dbench_cpu_ns(RUSAGE_SELF);
	for (i = 0; i < calls; i += ops->rtt_calls)
		ops->rtt_once(conn, "rtt", &s);
	cpu = dbench_cpu_ns(RUSAGE_SELF) - cpu;
	ops->close(conn);
	printf("%s_rtt p50_us=%.1f p99_us=%.1f client_cpu_us=%.2f calls=%zu\n",
	    ops->name, dbench_samples_pct_us(&s, 50),
	    dbench_samples_pct_us(&s, 99), (double) cpu / 1e3 / (double) s.n,
	    s.n);
	dbench_samples_free(&s);
}

struct pc {
	const struct dbench_ops *ops;
	const char *target;
	size_t producers, consumers;
	long msgs, batch;
};

/* Member i: a producer when i < producers, else a consumer. */
static void
pc_member(size_t i, void *arg)
{
	struct pc *pc = arg;
	void *conn = pc->ops->open(pc->target);
	bool producer = i < pc->producers;
	size_t k = producer ? i : i - pc->producers;
	size_t of = producer ? pc->producers : pc->consumers;
	long n = dbench_share(pc->msgs, k, of);

	/* No member touches the key before the team is released. */
	if (i == 0 && pc->ops->prepare != NULL)
		pc->ops->prepare(conn, "pc", DBENCH_PC_CAP);
	dbench_team_ready();
	if (producer)
		pc->ops->produce(conn, "pc", n, pc->batch);
	else
		pc->ops->consume(conn, "pc", n, pc->batch);
	dbench_team_done();
	pc->ops->close(conn);
}

static void
pc(struct pc *pc)
{
	size_t n = pc->producers + pc->consumers;
	int64_t cpu, ns = dbench_team_run(&cpu, n, pc_member, pc);

	printf("%s_pc msgs_per_s=%.0f client_cpu_us=%.2f producers=%zu "
	       "consumers=%zu batch=%ld msgs=%ld\n",
	    pc->ops->name, (double) pc->msgs * 1e9 / (double) ns,
	    (double) cpu / 1e3 / (double) pc->msgs, pc->producers,
	    pc->consumers, pc->batch, pc->msgs);
}

int
dbench_main(int argc, char **argv, const struct dbench_ops *ops)
{
	const char *use = "rtt TARGET CALLS | pc TARGET PRODUCERS CONSUMERS "
	                  "MSGS BATCH";

	if (argc == 4 && strcmp(argv[1], "rtt") == 0) {
		rtt(ops, argv[2], dbench_arg(argc, argv, 3, use));
		return 0;
	}
	if (argc == 7 && strcmp(argv[1], "pc") == 0) {
		struct pc p = {ops, argv[2],
		    (size_t) dbench_arg(argc, argv, 3, use), 0,
		    dbench_arg(argc, argv, 5, use),
		    dbench_arg(argc, argv, 6, use)};
		/* An echo's producers are their own consumers. */
		if (ops->consume != NULL)
			p.consumers = (size_t) dbench_arg(argc, argv, 4, use);
		else if (strcmp(argv[4], "0") != 0)
			dbench_fail("%s: values come back to their producers: "
			            "CONSUMERS must be 0",
			    ops->name);
		pc(&p);
		return 0;
	}
	fprintf(stderr, "usage: %s %s\n", argv[0], use);
	return 2;
}
