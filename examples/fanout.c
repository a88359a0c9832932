/*
 * fanout: send one request to N backends at once, keep the answers that
 * come back before a deadline, and cancel the rest.
 *
 * The shape is Go's "context with a timeout": the client makes a context
 * with gocsp_ctx_with_timeout and hands it to every worker coroutine.  A
 * worker starts its (simulated) work and then waits in gocsp_select for
 * whichever comes first, the work's result or the context's done channel.
 * When the deadline passes the done channel closes, every worker still
 * waiting wakes at once, sees gocsp_ctx_err() == GOCSP_ETIMEDOUT and
 * reports that it gave up.  The client counts both kinds of report.
 *
 * The simulated work is a coroutine that sleeps a random time in short
 * steps and then delivers its answer on a channel with a buffer of one
 * (the send never blocks, even when nobody waits for the answer any more).
 * Between steps it checks gocsp_ctx_err(), the other way to notice a
 * cancel, for code that is busy rather than waiting: once the worker has
 * given up, the work stops within a step instead of running to its end.
 * The client waits for every piece of work to stop before it returns, so
 * nothing outlives it.
 *
 * usage: fanout [WORKERS [DEADLINE_MS [SEED]]]     (defaults 10, 100, time)
 *
 * Each worker's work takes 10..200 ms, so with the defaults about half of
 * them make the deadline.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <gocsp/gocsp.h>

#define WORK_MIN_MS 10
#define WORK_MAX_MS 200
#define WORK_STEP_MS 5

/* One worker's report to the client. */
struct report {
	int     id;
	int     err;    /* 0: answered; else why it gave up */
	int64_t answer; /* valid when err == 0 */
	int64_t took;   /* ns from the start to the report */
};

/* A worker's request.  The worker holds its own references to ctx and
 * results, so it does not depend on the client's. */
struct request {
	int              id;
	int64_t          work;    /* how long the simulated work takes */
	int64_t          start;   /* when the client sent the requests */
	gocsp_ctx       *ctx;     /* the client's deadline */
	gocsp_chan      *results; /* struct report, buffer of WORKERS */
	gocsp_waitgroup *working; /* the client's count of running work */
};

struct work {
	int64_t          d;
	int64_t          answer;
	gocsp_ctx       *ctx;
	gocsp_chan      *out; /* int64_t, buffer of 1: never blocks */
	gocsp_waitgroup *working;
};

/* The simulated backend: sleep in steps, then deliver an answer; stop
 * early once the context is canceled. */
static void
do_work(void *arg)
{
	struct work *w = arg;
	int64_t      left = w->d, step;

	while (left > 0 && gocsp_ctx_err(w->ctx) == 0) {
		step = left < GOCSP_MS(WORK_STEP_MS) ? left
		                                     : GOCSP_MS(WORK_STEP_MS);
		gocsp_sleep(step);
		left -= step;
	}
	if (left <= 0)
		gocsp_chan_send(w->out, &w->answer);
	gocsp_chan_release(w->out);
	gocsp_ctx_release(w->ctx);
	gocsp_wg_done(w->working);
	free(w);
}

static void
worker(void *arg)
{
	struct request *rq = arg;
	struct report   rep = { .id = rq->id };
	struct work    *w = malloc(sizeof(*w));
	gocsp_chan     *out = gocsp_chan_make(sizeof(int64_t), 1);
	int64_t         answer = 0;
	gocsp_case      cases[2];

	if (w == NULL || out == NULL) {
		fprintf(stderr, "fanout: out of memory\n");
		exit(1);
	}
	*w = (struct work) { .d = rq->work,
		.answer = 1000 + rq->id,
		.ctx = gocsp_ctx_retain(rq->ctx),
		.out = gocsp_chan_retain(out),
		.working = rq->working };
	if (gocsp_go(do_work, w) < 0) {
		fprintf(stderr, "fanout: cannot start work\n");
		exit(1);
	}

	/* Whichever comes first.  Once the context is canceled its done
	 * channel is closed, and a closed channel is always ready. */
	cases[0] = (gocsp_case) { .chan = out, .op = GOCSP_RECV,
		.elem = &answer };
	cases[1] = (gocsp_case) { .chan = gocsp_ctx_done(rq->ctx),
		.op = GOCSP_RECV };
	if (gocsp_select(cases, 2, GOCSP_FOREVER) == 0) {
		rep.answer = answer;
	} else {
		rep.err = gocsp_ctx_err(rq->ctx);
	}
	rep.took = gocsp_now() - rq->start;

	/* results has room for every report: this never blocks, even if
	 * the client has stopped listening. */
	gocsp_chan_send(rq->results, &rep);
	gocsp_chan_release(out);
	gocsp_chan_release(rq->results);
	gocsp_ctx_release(rq->ctx);
	free(rq);
}

struct client {
	int             n;
	int64_t         deadline; /* the timeout, ns */
	unsigned        seed;
	gocsp_waitgroup working;  /* the simulated work still running */
};

static void
client(void *arg)
{
	struct client *cl = arg;
	gocsp_ctx     *ctx;
	gocsp_chan    *results;
	struct report  rep;
	gocsp_case     cases[2];
	int64_t        start;
	int            i, finished = 0, cancelled = 0;

	ctx = gocsp_ctx_with_timeout(gocsp_ctx_background(), cl->deadline);
	results = gocsp_chan_make(sizeof(struct report), (size_t) cl->n);
	if (ctx == NULL || results == NULL) {
		fprintf(stderr, "fanout: out of memory\n");
		exit(1);
	}

	start = gocsp_now();
	srand(cl->seed);
	/* Each worker starts one piece of work.  Add before starting them:
	 * one could finish before an Add made later. */
	gocsp_wg_add(&cl->working, cl->n);
	for (i = 0; i < cl->n; i++) {
		struct request *rq = malloc(sizeof(*rq));
		int ms = WORK_MIN_MS + rand() % (WORK_MAX_MS - WORK_MIN_MS + 1);

		if (rq == NULL) {
			fprintf(stderr, "fanout: out of memory\n");
			exit(1);
		}
		*rq = (struct request) { .id = i,
			.work = GOCSP_MS(ms),
			.start = start,
			.ctx = gocsp_ctx_retain(ctx),
			.results = gocsp_chan_retain(results),
			.working = &cl->working };
		if (gocsp_go(worker, rq) < 0) {
			fprintf(stderr, "fanout: cannot start worker %d\n", i);
			exit(1);
		}
	}

	/* Collect answers until every worker has reported or the deadline
	 * passes.  After the deadline the done case is set to NULL, a case
	 * that is never ready (Go's nil channel): from then on only the
	 * stragglers' "gave up" reports are collected. */
	cases[0] = (gocsp_case) { .chan = results, .op = GOCSP_RECV,
		.elem = &rep };
	cases[1] = (gocsp_case) { .chan = gocsp_ctx_done(ctx),
		.op = GOCSP_RECV };
	while (finished + cancelled < cl->n) {
		if (gocsp_select(cases, 2, GOCSP_FOREVER) == 1) {
			printf("  deadline of %lld ms: %s, cancelling %d "
			       "stragglers\n",
			    (long long) (cl->deadline / GOCSP_MS(1)),
			    gocsp_strerror(gocsp_ctx_err(ctx)),
			    cl->n - finished - cancelled);
			cases[1].chan = NULL;
			continue;
		}
		if (rep.err == 0) {
			finished++;
			printf("  worker %2d answered %lld after %3lld ms\n",
			    rep.id, (long long) rep.answer,
			    (long long) (rep.took / GOCSP_MS(1)));
		} else {
			cancelled++;
			printf("  worker %2d gave up after %3lld ms (%s)\n",
			    rep.id, (long long) (rep.took / GOCSP_MS(1)),
			    gocsp_strerror(rep.err));
		}
	}

	/* Go's defer cancel(): stops the deadline's timer if every worker
	 * answered in time; a no-op on a context already timed out. */
	gocsp_ctx_cancel(ctx);
	/* The stragglers' work notices within a step. */
	gocsp_wg_wait(&cl->working);
	gocsp_ctx_release(ctx);
	gocsp_chan_release(results);

	printf("%d workers, deadline %lld ms: %d finished, %d cancelled\n",
	    cl->n, (long long) (cl->deadline / GOCSP_MS(1)), finished,
	    cancelled);
}

int
main(int argc, char **argv)
{
	struct client cl = {
		.n = argc > 1 ? atoi(argv[1]) : 10,
		.deadline = GOCSP_MS(argc > 2 ? atol(argv[2]) : 100),
		.seed = argc > 3 ? (unsigned) strtoul(argv[3], NULL, 10)
		                 : (unsigned) gocsp_now(),
	};
	int rc;

	if (cl.n <= 0 || cl.deadline < 0) {
		fprintf(stderr,
		    "usage: fanout [WORKERS [DEADLINE_MS [SEED]]]\n");
		return 2;
	}
	rc = gocsp_run(client, &cl);
	if (rc < 0) {
		fprintf(stderr, "fanout: %s\n", gocsp_strerror(rc));
		return 1;
	}
	return 0;
}
