/*
 * A program that knows gocsp only through its installed header and library:
 * four producers send on an unbuffered channel, a WaitGroup closes it when
 * they are done, main receives in a select bounded by gocsp_after().
 * Prints "ok" and exits 0 when every value arrived exactly once.
 */
#include <gocsp/gocsp.h>

#include <stdint.h>
#include <stdio.h>

#define PRODUCERS 4
#define PER_PRODUCER 250

static gocsp_chan *values;
static gocsp_waitgroup producers; /* zero value is ready to use */
static int failures;

static void
fail(const char *what, int code)
{
	fprintf(stderr, "consumer: %s: %s\n", what, gocsp_strerror(code));
	failures++;
}

static void
produce(void *arg)
{
	int base = (int) (intptr_t) arg * PER_PRODUCER;
	int rc;

	for (int i = 1; i <= PER_PRODUCER; i++) {
		int v = base + i;
		if ((rc = gocsp_chan_send(values, &v)) != 0)
			fail("gocsp_chan_send", rc);
	}
	gocsp_wg_done(&producers);
}

static void
close_when_done(void *arg)
{
	int rc;

	(void) arg;
	gocsp_wg_wait(&producers);
	if ((rc = gocsp_chan_close(values)) != 0)
		fail("gocsp_chan_close", rc);
}

static void
main_coroutine(void *arg)
{
	const long n = PRODUCERS * PER_PRODUCER;
	long sum = 0, count = 0;
	gocsp_chan *deadline;
	int64_t start;
	int v, rc;

	(void) arg;
	if ((values = gocsp_chan_make(sizeof(int), 0)) == NULL) {
		fail("gocsp_chan_make", GOCSP_ENOMEM);
		return;
	}
	gocsp_wg_add(&producers, PRODUCERS);
	for (int p = 0; p < PRODUCERS; p++)
		if ((rc = gocsp_go(produce, (void *) (intptr_t) p)) != 0)
			fail("gocsp_go", rc);
	if ((rc = gocsp_go(close_when_done, NULL)) != 0)
		fail("gocsp_go", rc);

	if ((deadline = gocsp_after(GOCSP_SEC(30))) == NULL) {
		fail("gocsp_after", GOCSP_ENOMEM);
		return;
	}
	for (;;) {
		gocsp_case cases[2] = {
		    {values, GOCSP_RECV, &v, 0},
		    {deadline, GOCSP_RECV, NULL, 0},
		};
		rc = gocsp_select(cases, 2, GOCSP_FOREVER);
		if (rc == 1) {
			fail("gocsp_select", GOCSP_ETIMEDOUT);
			break;
		}
		if (rc != 0) {
			fail("gocsp_select", rc);
			break;
		}
		if (!cases[0].ok)
			break; /* closed and drained */
		sum += v;
		count++;
	}
	gocsp_chan_release(deadline);
	if (count != n || sum != n * (n + 1) / 2) {
		fprintf(stderr, "consumer: got %ld values summing to %ld\n",
		    count, sum);
		failures++;
	}
	if ((rc = gocsp_chan_recv(values, &v)) != GOCSP_ECLOSED)
		fail("gocsp_chan_recv after close", rc);
	gocsp_chan_release(values);

	start = gocsp_now();
	gocsp_sleep(GOCSP_MS(2));
	if (gocsp_now() - start < GOCSP_MS(2)) {
		fprintf(stderr, "consumer: gocsp_sleep(2ms) returned early\n");
		failures++;
	}
}

int
main(void)
{
	int rc;

	if (gocsp_maxprocs(2) < 1 || gocsp_maxprocs(0) != 2) {
		fprintf(stderr, "consumer: gocsp_maxprocs does not stick\n");
		return 1;
	}
	if ((rc = gocsp_run(main_coroutine, NULL)) != 0) {
		fail("gocsp_run", rc);
		return 1;
	}
	if (failures != 0)
		return 1;
	printf("ok\n");
	return 0;
}
