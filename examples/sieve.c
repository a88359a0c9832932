/*
 * sieve: the concurrent prime sieve, printing the first N primes.
 *
 * A generator coroutine sends 2, 3, 4, ... down a channel.  Main takes the
 * first number that arrives, which must be prime, prints it, and puts a
 * filter coroutine for that prime between itself and the chain: the filter
 * passes on only the numbers its prime does not divide.  Every number main
 * receives has passed the filter of every smaller prime, so it is the next
 * prime.  The pipeline grows by one coroutine per prime: N primes, N + 1
 * coroutines, each a few lines of straight code with no shared state.
 *
 * The program also shows how to stop such a chain cleanly (the Go original
 * just exits).  Only a channel's receiving end knows it wants no more, so
 * here the receiver closes: a send on a closed channel returns
 * GOCSP_ECLOSED (where Go would panic), the sender stops, closes its own
 * input, and the close travels up the chain to the generator.
 *
 * usage: sieve [N]                     (default 100)
 */
#include <stdio.h>
#include <stdlib.h>

#include <gocsp/gocsp.h>

/* What one stage of the chain needs.  Each coroutine gets its own
 * allocation: the spawner's variables change (or vanish) while it runs. */
struct stage {
	gocsp_chan      *in, *out; /* the generator has only out */
	int              prime;
	gocsp_waitgroup *chain; /* done when the stage has stopped */
};

/* Send 2, 3, 4, ... until the channel is closed. */
static void
generate(void *arg)
{
	struct stage *st = arg;
	int           i;

	for (i = 2; gocsp_chan_send(st->out, &i) == 0; i++)
		;
	gocsp_chan_release(st->out);
	gocsp_wg_done(st->chain);
	free(st);
}

/* Pass on the numbers that the prime does not divide. */
static void
filter(void *arg)
{
	struct stage *st = arg;
	int           i;

	while (gocsp_chan_recv(st->in, &i) == 0) {
		if (i % st->prime != 0 && gocsp_chan_send(st->out, &i) != 0)
			break; /* downstream closed: we are no longer needed */
	}
	/* Tell upstream, which is blocked sending to us or soon will be. */
	gocsp_chan_close(st->in);
	gocsp_chan_release(st->in);
	gocsp_chan_release(st->out);
	gocsp_wg_done(st->chain);
	free(st);
}

static void
die(const char *what)
{
	fprintf(stderr, "sieve: %s failed\n", what);
	exit(1);
}

/*
 * Channel references: every stage holds one on each channel it uses and
 * releases them when it stops; main holds one on the channel it reads.
 * So no channel is freed while a coroutine might still touch it, whatever
 * order they stop in.
 */
static void
sieve(void *arg)
{
	long            n     = *(long *) arg, k;
	gocsp_waitgroup chain = { 0 };
	gocsp_chan     *ch    = gocsp_chan_make(sizeof(int), 0);
	struct stage   *st;
	int             prime;

	st = malloc(sizeof(*st));
	if (ch == NULL || st == NULL)
		die("allocation");
	*st = (struct stage) { .out = gocsp_chan_retain(ch), .chain = &chain };
	gocsp_wg_add(&chain, 1);
	if (gocsp_go(generate, st) < 0)
		die("gocsp_go");

	for (k = 1; k <= n; k++) {
		gocsp_chan_recv(ch, &prime);
		printf("%6d%s", prime, k % 10 == 0 || k == n ? "\n" : " ");

		/* Splice a filter for this prime in front of us: it reads
		 * what we read until now (our reference to ch becomes its
		 * reference), and we read its output. */
		st = malloc(sizeof(*st));
		if (st == NULL)
			die("malloc");
		*st = (struct stage) {
			.in = ch, .prime = prime, .chain = &chain
		};
		ch = gocsp_chan_make(sizeof(int), 0);
		if (ch == NULL)
			die("gocsp_chan_make");
		st->out = gocsp_chan_retain(ch);
		gocsp_wg_add(&chain, 1);
		if (gocsp_go(filter, st) < 0)
			die("gocsp_go");
	}

	/* Done: close the end of the chain and wait until every stage has
	 * seen the close ripple up to it. */
	gocsp_chan_close(ch);
	gocsp_chan_release(ch);
	gocsp_wg_wait(&chain);
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;
	int  rc;

	if (n <= 0) {
		fprintf(stderr, "usage: sieve [N]\n");
		return 2;
	}
	rc = gocsp_run(sieve, &n);
	if (rc < 0) {
		fprintf(stderr, "sieve: %s\n", gocsp_strerror(rc));
		return 1;
	}
	return 0;
}
