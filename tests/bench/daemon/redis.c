/*
 * dbench_redis: the Redis anchor, lists through hiredis on a unix socket
 * (dbench.h gives the command line).
 *
 *   rtt: LPUSH a value, then BRPOP it back, each call timed.
 *   pc:  LPUSH and BRPOP, one value a call, or with BATCH above 1 a
 *        multi-value LPUSH and BLMPOP ... COUNT BATCH (Redis 7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "dbench.h"

static void *
open_client(const char *path)
{
	redisContext *c = redisConnectUnix(path);

	if (c == NULL || c->err)
		dbench_fail("connect %s: %s", path,
		    c ? c->errstr : "no memory");
	return c;
}

static void
close_client(void *c)
{
	redisFree(c);
}

/* Run argv[0..argc) (lengths len, or NULL for strings); the reply, of
 * the type wanted (freeReplyObject). */
static redisReply *
command(redisContext *c, int argc, const char **argv, const size_t *len,
    int type)
{
	redisReply *r = redisCommandArgv(c, argc, argv, len);

	if (r == NULL)
		dbench_fail("%s: %s", argv[0], c->errstr);
	if (r->type != type)
		dbench_fail("%s: unexpected reply (type %d) %s", argv[0],
		    r->type, r->type == REDIS_REPLY_ERROR ? r->str : "");
	return r;
}

/* Empty the list: whatever an earlier run that failed left there. */
static void
prepare(void *c, const char *key, uint32_t cap)
{
	const char *argv[2] = {"DEL", key};

	freeReplyObject(command(c, 2, argv, NULL, REDIS_REPLY_INTEGER));
}

/* LPUSH key value... with n values: argv and len hold "LPUSH", key and
 * at least n values. */
static void
push(redisContext *c, const char **argv, const size_t *len, long n)
{
	freeReplyObject(
	    command(c, (int) n + 2, argv, len, REDIS_REPLY_INTEGER));
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
	const char *argv[3] = {"BRPOP", key, "0"};
	redisReply *r = command(c, 3, argv, NULL, REDIS_REPLY_ARRAY);

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
	char count[24];
	const char *argv[7] = {"BLMPOP", "0", "1", key, "RIGHT", "COUNT",
	    count};
	redisReply *r;
	size_t i, n;

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

static void
rtt_once(void *c, const char *key, struct dbench_samples *s)
{
	const char *argv[3] = {"LPUSH", key, dbench_value};
	const size_t len[3] = {5, strlen(key), DBENCH_VALUE_LEN};
	int64_t t0, t1, t2;

	t0 = dbench_now();
	push(c, argv, len, 1);
	t1 = dbench_now();
	pop_one(c, key);
	t2 = dbench_now();
	if (s != NULL) {
		dbench_samples_add(s, t1 - t0);
		dbench_samples_add(s, t2 - t1);
	}
}

static void
produce(void *c, const char *key, long n, long batch)
{
	const char **argv = calloc((size_t) batch + 2, sizeof(*argv));
	size_t *len = calloc((size_t) batch + 2, sizeof(*len));
	long i, step;

	if (argv == NULL || len == NULL)
		dbench_fail("no memory");
	argv[0] = "LPUSH";
	len[0] = 5;
	argv[1] = key;
	len[1] = strlen(key);
	for (i = 2; i < batch + 2; i++) {
		argv[i] = dbench_value;
		len[i] = DBENCH_VALUE_LEN;
	}
	for (i = 0; i < n; i += step) {
		step = n - i < batch ? n - i : batch;
		push(c, argv, len, step);
	}
	free(argv);
	free(len);
}

static void
consume(void *c, const char *key, long n, long batch)
{
	long i, step;

	for (i = 0; i < n; i += step) {
		step = n - i < batch ? n - i : batch;
		if (batch == 1)
			pop_one(c, key);
		else
			step = pop_many(c, key, step);
	}
}

int
main(int argc, char **argv)
{
	static const struct dbench_ops ops = {
	    .name = "redis",
	    .open = open_client,
	    .close = close_client,
	    .prepare = prepare,
	    .rtt_once = rtt_once,
	    .rtt_calls = 2,
	    .produce = produce,
	    .consume = consume,
	};

	return dbench_main(argc, argv, &ops);
}
