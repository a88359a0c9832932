/*
 * RWMutex: readers consistent and writers exclusive, under
 * contention from coroutines on two workers and plain threads at once;
 * readers overlap; a pending writer blocks new readers; the aborts on
 * misuse (in a re-run child process).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define GT_CASE_SECONDS 20
#include "gocsp_test.h"

struct rw {
	gocsp_rwmutex mu;
	long a, b; /* writers keep a == b; under mu */
	atomic_int readers, writers, bad, start;
	long iters;
	gocsp_waitgroup wg;
};

static void
rw_reader(struct rw *r)
{
	long i;
	while (!atomic_load(&r->start))
		gocsp_yield();
	for (i = 0; i < r->iters; i++) {
		gocsp_rwmutex_rlock(&r->mu);
		atomic_fetch_add(&r->readers, 1);
		if (atomic_load(&r->writers) != 0)
			atomic_fetch_add(&r->bad, 1);
		long a = r->a;
		if (i % 16 == 0)
			gocsp_yield();
		if (r->b != a)
			atomic_fetch_add(&r->bad, 1);
		atomic_fetch_sub(&r->readers, 1);
		gocsp_rwmutex_runlock(&r->mu);
	}
}

static void
rw_writer(struct rw *r)
{
	long i;
	while (!atomic_load(&r->start))
		gocsp_yield();
	for (i = 0; i < r->iters / 4; i++) {
		gocsp_rwmutex_lock(&r->mu);
		if (atomic_fetch_add(&r->writers, 1) != 0 ||
		    atomic_load(&r->readers) != 0)
			atomic_fetch_add(&r->bad, 1);
		r->a++;
		if (i % 8 == 0)
			gocsp_yield();
		r->b++;
		atomic_fetch_sub(&r->writers, 1);
		gocsp_rwmutex_unlock(&r->mu);
	}
}

static void
rw_reader_co(void *arg)
{
	rw_reader(arg);
	gocsp_wg_done(&((struct rw *) arg)->wg);
}

static void
rw_writer_co(void *arg)
{
	rw_writer(arg);
	gocsp_wg_done(&((struct rw *) arg)->wg);
}

static void *
rw_reader_th(void *arg)
{
	rw_reader(arg);
	return NULL;
}

static void *
rw_writer_th(void *arg)
{
	rw_writer(arg);
	return NULL;
}

static void
rw_main(void *arg)
{
	struct rw *r = arg;
	int i;
	gocsp_wg_add(&r->wg, 8);
	for (i = 0; i < 6; i++)
		GO(rw_reader_co, r);
	for (i = 0; i < 2; i++)
		GO(rw_writer_co, r);
	atomic_store(&r->start, 1);
	gocsp_wg_wait(&r->wg);
}

static void
test_rwmutex__readers_consistent_writers_exclusive(void **state)
{
	static struct rw r;
	pthread_t t[4];
	int prev = gt_two_workers(), i;
	(void) state;
	r.iters = gt_n(20000, 2000);
	t[0] = gt_thread(rw_reader_th, &r);
	t[1] = gt_thread(rw_reader_th, &r);
	t[2] = gt_thread(rw_reader_th, &r);
	t[3] = gt_thread(rw_writer_th, &r);
	gt_run(rw_main, &r);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	gocsp_maxprocs(prev);
	assert_int_equal(atomic_load(&r.bad), 0);
	assert_int_equal(r.a, 3 * (r.iters / 4));
	assert_int_equal(r.b, r.a);
	/* Unlocked again: a writer gets it at once. */
	gocsp_rwmutex_lock(&r.mu);
	gocsp_rwmutex_unlock(&r.mu);
}

/* Readers overlap: each holds the read lock until all are inside, which
 * an exclusive lock would never allow. */
enum {
	OVERLAP_NCO = 4,
	OVERLAP_NTH = 2,
	OVERLAP_N = OVERLAP_NCO + OVERLAP_NTH,
};

struct overlap {
	gocsp_rwmutex mu;
	atomic_int inside, all_seen;
	gocsp_waitgroup wg;
};

static void
overlap_reader(struct overlap *o)
{
	gocsp_rwmutex_rlock(&o->mu);
	atomic_fetch_add(&o->inside, 1);
	if (gt_wait_for(&o->inside, OVERLAP_N, GOCSP_SEC(2)))
		atomic_fetch_add(&o->all_seen, 1);
	gocsp_rwmutex_runlock(&o->mu);
}

static void
overlap_co(void *arg)
{
	overlap_reader(arg);
	gocsp_wg_done(&((struct overlap *) arg)->wg);
}

static void *
overlap_th(void *arg)
{
	overlap_reader(arg);
	return NULL;
}

static void
overlap_main(void *arg)
{
	struct overlap *o = arg;
	int i;
	gocsp_wg_add(&o->wg, OVERLAP_NCO);
	for (i = 0; i < OVERLAP_NCO; i++)
		GO(overlap_co, o);
	gocsp_wg_wait(&o->wg);
}

static void
test_rwmutex__readers_overlap(void **state)
{
	struct overlap o = {0};
	pthread_t t[OVERLAP_NTH];
	int prev = gt_two_workers(), i;
	(void) state;
	for (i = 0; i < OVERLAP_NTH; i++)
		t[i] = gt_thread(overlap_th, &o);
	gt_run(overlap_main, &o);
	for (i = 0; i < OVERLAP_NTH; i++)
		pthread_join(t[i], NULL);
	gocsp_maxprocs(prev);
	assert_int_equal(atomic_load(&o.all_seen), OVERLAP_N);
	/* All left: a writer gets it. */
	gocsp_rwmutex_lock(&o.mu);
	gocsp_rwmutex_unlock(&o.mu);
}

/* A pending writer waits for the readers inside, and blocks new ones. */
struct pending {
	gocsp_rwmutex mu;
	atomic_int writer_in, reader2_in;
	gocsp_waitgroup wg;
};

static void
pending_writer(void *arg)
{
	struct pending *p = arg;
	gocsp_rwmutex_lock(&p->mu);
	atomic_store(&p->writer_in, 1);
	gocsp_sleep(GOCSP_MS(20));
	/* The late reader must not have got in while we held it. */
	EXPECT_EQ(atomic_load(&p->reader2_in), 0);
	gocsp_rwmutex_unlock(&p->mu);
	gocsp_wg_done(&p->wg);
}

static void
pending_reader2(void *arg)
{
	struct pending *p = arg;
	gocsp_rwmutex_rlock(&p->mu);
	atomic_store(&p->reader2_in, 1);
	EXPECT_EQ(atomic_load(&p->writer_in), 1);
	gocsp_rwmutex_runlock(&p->mu);
	gocsp_wg_done(&p->wg);
}

CO_CASE(test_rwmutex__pending_writer_blocks_readers)
{
	struct pending p = {0};
	gocsp_wg_add(&p.wg, 2);
	gocsp_rwmutex_rlock(&p.mu);
	GO(pending_writer, &p);
	gocsp_sleep(GOCSP_MS(20));
	EXPECT_EQ(atomic_load(&p.writer_in), 0); /* we still read */
	GO(pending_reader2, &p);
	gocsp_sleep(GOCSP_MS(20));
	EXPECT_EQ(atomic_load(&p.reader2_in), 0); /* behind the writer */
	gocsp_rwmutex_runlock(&p.mu);
	gocsp_wg_wait(&p.wg);
	EXPECT_EQ(atomic_load(&p.writer_in), 1);
	EXPECT_EQ(atomic_load(&p.reader2_in), 1);
}

static int
child_main(const char *mode, char **args)
{
	gocsp_rwmutex rw = {0};
	alarm(30);
	if (strcmp(mode, "rwmutex-runlock") == 0) {
		gocsp_rwmutex_rlock(&rw);
		gocsp_rwmutex_runlock(&rw);
		gocsp_rwmutex_runlock(&rw);
	} else if (strcmp(mode, "rwmutex-runlock-writer") == 0) {
		gocsp_rwmutex_lock(&rw);
		gocsp_rwmutex_runlock(&rw);
	} else if (strcmp(mode, "rwmutex-unlock") == 0) {
		gocsp_rwmutex_unlock(&rw);
	} else if (strcmp(mode, "rwmutex-unlock-reader") == 0) {
		gocsp_rwmutex_rlock(&rw);
		gocsp_rwmutex_unlock(&rw);
	} else {
		return 2;
	}
	return 5;
}

static void
test_rwmutex__misuse_aborts(void **state)
{
	(void) state;
	gt_expect_abort("rwmutex-runlock", "gocsp_rwmutex_runlock");
	gt_expect_abort("rwmutex-runlock-writer", "gocsp_rwmutex_runlock");
	gt_expect_abort("rwmutex-unlock", "gocsp_rwmutex_unlock");
	gt_expect_abort("rwmutex-unlock-reader", "gocsp_rwmutex_unlock");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    GT_CASE(test_rwmutex__readers_consistent_writers_exclusive),
	    GT_CASE(test_rwmutex__readers_overlap),
	    GT_CASE(test_rwmutex__pending_writer_blocks_readers),
	    GT_CASE(test_rwmutex__misuse_aborts),
	};
	return GT_MAIN_WITH_CHILD(tests, argc, argv, child_main);
}
