/*
 * dbench_redis: the Redis anchor, lists through hiredis on a unix socket.
 *
 *   dbench_redis rtt SOCKET CALLS
 *       One client: LPUSH a value, BRPOP it back, CALLS calls in all.
 *       Metric: p50 latency of one call, in microseconds.
 *   dbench_redis pc SOCKET PRODUCERS CONSUMERS MSGS BATCH
 *       Producer and consumer processes share MSGS values through one
 *       list: LPUSH and BRPOP one value a call, or with BATCH above 1 a
 *       multi-value LPUSH and BLMPOP ... COUNT BATCH (Redis 7).  Metric:
 *       values delivered per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <hiredis/hiredis.h>

#include "dbench.h"

static redisContext *
open_client(const char *path)
{
	redisContext *c = redisConnectUnix(path);

	if (c == NULL || c->err)
		dbench_fail(
		    "connect %s: %s", path, c ? c->errstr : "no memory");
	return c;
}

/* Run argv[0..argc); the reply, of the type wanted (freeReplyObject). */
static redisReply *
command(
    redisContext *c, int argc, const char **argv, const size_t *len, int type)
{
	redisReply *r = redisCommandArgv(c, argc, argv, len);

	if (r == NULL)
		dbench_fail("%s: %s", argv[0], c->errstr);
	if (r->type != type)
		dbench_fail("%s: unexpected reply (type %d) %s", argv[0],
		    r->type, r->type == REDIS_REPLY_ERROR ? r->str : "");
	return r;
}

/* LPUSH key value...: its argument vector, built once. */
struct list {
	const char **push;
	size_t      *push_len;
};

static void
list_init(struct list *l, const char *key, long batch)
{
	long i;

	l->push     = calloc((size_t) batch + 2, sizeof(*l->push));
	l->push_len = calloc((size_t) batch + 2, sizeof(*l->push_len));
	if (l->push == NULL || l->push_len == NULL)
		dbench_fail("no memory");
	l->push[0] = "LPUSH";
	l->push[1] = key;
	for (i = 0; i < batch; i++)
		l->push[i + 2] = dbench_value;
	for (i = 0; i < batch + 2; i++)
		l->push_len[i] = i < 2 ? strlen(l->push[i]) : DBENCH_VALUE_LEN;
}

static void
list_free(struct list *l)
{
	free(l->push);
	free(l->push_len);
}

static void
push(redisContext *c, struct list *l, long n)
{
	freeReplyObject(command(
	    c, (int) n + 2, l->push, l->push_len, REDIS_REPLY_INTEGER));
}

static void
check_value(const redisReply *v)
{
	if (v->type != REDIS_REPLY_STRING || v->len != DBENCH_VALUE_LEN)
		dbench_fail("popped something that is not a value");
}

/* Pop one value (BRPOP), waiting for it. */
static void
pop_one(redisContext *c, const char *key)
{
	const char *argv[3] = { "BRPOP", key, "0" };
	redisReply *r       = command(c, 3, argv, NULL, REDIS_REPLY_ARRAY);

	if (r->elements != 2)
		dbench_fail("BRPOP: %zu elements", r->elements);
	check_value(r->element[1]);
	freeReplyObject(r);
}

/* Pop up to max values (BLMPOP), waiting for the first.  @return how
 * many. */
static long
pop_many(redisContext *c, const char *key, long max)
{
	char        count[24];
	const char *argv[7] = { "BLMPOP", "0", "1", key, "RIGHT", "COUNT",
		count };
	redisReply *r;
	size_t      i, n;

	snprintf(count, sizeof(count), "%ld", max);
	r = command(c, 7, argv, NULL, REDIS_REPLY_ARRAY);
	if (r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY)
		dbench_fail("BLMPOP: unexpected reply");
	n = r->element[1]->elements;
	for (i = 0; i < n; i++)
		check_value(r->element[1]->element[i]);
	freeReplyObject(r);
	return (long) n;
}

/* Empty key, whatever an earlier run that failed left there. */
static void
clear(redisContext *c, const char *key)
{
	const char *argv[2] = { "DEL", key };

	freeReplyObject(command(c, 2, argv, NULL, REDIS_REPLY_INTEGER));
}

/* One LPUSH and one BRPOP; with s, their latencies. */
static void
rtt_once(redisContext *c, struct list *l, struct dbench_samples *s)
{
	int64_t t0, t1, t2;

	t0 = dbench_now();
	push(c, l, 1);
	t1 = dbench_now();
	pop_one(c, "rtt");
	t2 = dbench_now();
	if (s != NULL) {
		dbench_samples_add(s, t1 - t0);
		dbench_samples_add(s, t2 - t1);
	}
}

static void
rtt(const char *path, long calls)
{
	redisContext         *c = open_client(path);
	struct dbench_samples s;
	struct list           l;
	int64_t               cpu;
	long                  i;

	list_init(&l, "rtt", 1);
	clear(c, "rtt");
	dbench_samples_init(&s, (size_t) calls);
	for (i = 0; i < DBENCH_WARMUP_CALLS / 2; i++)
		rtt_once(c, &l, NULL);
	cpu = dbench_cpu_ns(RUSAGE_SELF);
	for (i = 0; i < calls / 2; i++)
		rtt_once(c, &l, &s);
	cpu = dbench_cpu_ns(RUSAGE_SELF) - cpu;
	list_free(&l);
	redisFree(c);
	printf("redis_rtt p50_us=%.1f p99_us=%.1f client_cpu_us=%.2f "
	       "calls=%zu\n",
	    dbench_samples_pct_us(&s, 50), dbench_samples_pct_us(&s, 99),
	    (double) cpu / 1e3 / (double) s.n, s.n);
	dbench_samples_free(&s);
}

struct pc {
	const char *path;
	size_t      producers, consumers;
	long        msgs, batch;
};

static void
pc_member(size_t i, void *arg)
{
	struct pc    *pc = arg;
	redisContext *c  = open_client(pc->path);
	struct list   l;
	int           producer = i < pc->producers;
	size_t        k        = producer ? i : i - pc->producers;
	size_t        of       = producer ? pc->producers : pc->consumers;
	long          n        = dbench_share(pc->msgs, k, of);
	long          done, step;

	list_init(&l, "pc", pc->batch);
	if (i == 0)
		clear(c, "pc"); /* before any member starts */
	dbench_team_ready();
	for (done = 0; done < n; done += step) {
		step = n - done < pc->batch ? n - done : pc->batch;
		if (producer)
			push(c, &l, step);
		else if (pc->batch == 1)
			pop_one(c, "pc");
		else
			step = pop_many(c, "pc", step);
	}
	dbench_team_done();
	list_free(&l);
	redisFree(c);
}

static void
pc(struct pc *pc)
{
	size_t  n = pc->producers + pc->consumers;
	int64_t cpu, ns = dbench_team_run(&cpu, n, pc_member, pc);

	printf("redis_pc msgs_per_s=%.0f client_cpu_us=%.2f producers=%zu "
	       "consumers=%zu batch=%ld msgs=%ld\n",
	    (double) pc->msgs * 1e9 / (double) ns,
	    (double) cpu / 1e3 / (double) pc->msgs, pc->producers,
	    pc->consumers, pc->batch, pc->msgs);
}

int
main(int argc, char **argv)
{
	const char *use = "rtt SOCKET CALLS | pc SOCKET PRODUCERS CONSUMERS "
	                  "MSGS BATCH";

	if (argc == 4 && strcmp(argv[1], "rtt") == 0) {
		rtt(argv[2], dbench_arg(argc, argv, 3, use));
	} else if (argc == 7 && strcmp(argv[1], "pc") == 0) {
		struct pc p = { argv[2],
			(size_t) dbench_arg(argc, argv, 3, use),
			(size_t) dbench_arg(argc, argv, 4, use),
			dbench_arg(argc, argv, 5, use),
			dbench_arg(argc, argv, 6, use) };
		pc(&p);
	} else {
		fprintf(stderr, "usage: %s %s\n", argv[0], use);
		return 2;
	}
	return 0;
}
