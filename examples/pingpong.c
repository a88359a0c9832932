/*
 * pingpong: two coroutines hit a ball back and forth over two unbuffered
 * channels, and the program prints how many round trips per second that
 * makes.
 *
 * An unbuffered channel is a rendezvous: a send completes only once a
 * receiver has taken the value.  Each round trip is therefore two hand-offs,
 * and each hand-off parks one coroutine and wakes the other.  The figure is
 * the cost of the scheduler's switch plus the channel's bookkeeping, which
 * is what the runtime must keep small for channel-heavy programs to be fast.
 *
 * usage: pingpong [ROUND_TRIPS]        (default 1000000)
 *
 * Try GOCSP_MAXPROCS=1 and GOCSP_MAXPROCS=2.  With two worker threads the
 * players may sit on different CPUs, and waking a coroutine on another CPU
 * costs far more than switching on the same one; a good scheduler keeps
 * the pair together anyway.
 */
#include <stdio.h>
#include <stdlib.h>

#include <gocsp/gocsp.h>

struct table {
	long            rounds;
	gocsp_chan     *to_pong, *to_ping; /* the ball travels in a long */
	gocsp_waitgroup players;           /* main waits for both players */
};

/* Serve the ball, wait for it to come back; then say the game is over. */
static void
ping(void *arg)
{
	struct table *t = arg;
	long          ball;

	for (ball = 0; ball < t->rounds; ball++) {
		gocsp_chan_send(t->to_pong, &ball);
		gocsp_chan_recv(t->to_ping, &ball);
	}
	/* Closing is how a sender says "no more values": pong's receive
	 * returns GOCSP_ECLOSED instead of blocking forever. */
	gocsp_chan_close(t->to_pong);
	gocsp_wg_done(&t->players);
}

/* Return every ball until the channel is closed. */
static void
pong(void *arg)
{
	struct table *t = arg;
	long          ball;

	while (gocsp_chan_recv(t->to_pong, &ball) == 0)
		gocsp_chan_send(t->to_ping, &ball);
	gocsp_wg_done(&t->players);
}

/* Runs as the first coroutine, like Go's main goroutine. */
static void
game(void *arg)
{
	struct table *t = arg;
	int64_t       start, elapsed;

	t->to_pong = gocsp_chan_make(sizeof(long), 0);
	t->to_ping = gocsp_chan_make(sizeof(long), 0);
	if (t->to_pong == NULL || t->to_ping == NULL) {
		fprintf(stderr, "pingpong: out of memory\n");
		exit(1);
	}

	start = gocsp_now();
	/* Add before starting them: a player could finish before an Add
	 * made later, and Wait would return too early. */
	gocsp_wg_add(&t->players, 2);
	if (gocsp_go(ping, t) < 0 || gocsp_go(pong, t) < 0) {
		fprintf(stderr, "pingpong: cannot start the players\n");
		exit(1);
	}
	gocsp_wg_wait(&t->players);
	elapsed = gocsp_now() - start;

	printf("%ld round trips in %.3f s: %.0f round trips/s, %.0f ns each "
	       "(GOCSP_MAXPROCS=%d)\n",
	    t->rounds, (double) elapsed / 1e9,
	    (double) t->rounds * 1e9 / (double) elapsed,
	    (double) elapsed / (double) t->rounds, gocsp_maxprocs(0));

	/* Both players are gone, so nobody uses the channels any more. */
	gocsp_chan_release(t->to_pong);
	gocsp_chan_release(t->to_ping);
}

int
main(int argc, char **argv)
{
	/* The table lives in main's frame: gocsp_run returns only after
	 * game() has, and game() waits for both players. */
	struct table t = { .rounds = argc > 1 ? atol(argv[1]) : 1000000 };
	int          rc;

	if (t.rounds <= 0) {
		fprintf(stderr, "usage: pingpong [ROUND_TRIPS]\n");
		return 2;
	}
	rc = gocsp_run(game, &t);
	if (rc < 0) {
		fprintf(stderr, "pingpong: %s\n", gocsp_strerror(rc));
		return 1;
	}
	return 0;
}
