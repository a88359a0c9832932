/*
 * dbench_nng_echo URL: the raw nng anchor's server, a REP socket that
 * sends every request back as its reply, until SIGTERM or SIGINT.
 *
 * Design notes: built as gocspd's socket is (daemon/server.c) and as
 * nng's demo/async/server.c shows: cooked REP with several contexts,
 * each an aio that receives a request and sends it back from nng's
 * callback, so that several clients are served at once and the anchor
 * measures nng's own path, with no application thread in it.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "dbench.h"

/* Requests received at once: more than the clients of any benchmark. */
#define CONTEXTS 8

struct echo {
	nng_ctx ctx;
	nng_aio *aio;
	int sending; /* the aio is the reply's send */
};

static void
echo_cb(void *arg)
{
	struct echo *e = arg;
	int rv = nng_aio_result(e->aio);

	if (rv == NNG_ECLOSED)
		return; /* the socket is closing */
	if (!e->sending && rv == 0) {
		/* The request's body is the reply's. */
		nng_aio_set_msg(e->aio, nng_aio_get_msg(e->aio));
		e->sending = 1;
		nng_ctx_send(e->ctx, e->aio);
		return;
	}
	if (e->sending && rv != 0)
		nng_msg_free(nng_aio_get_msg(e->aio)); /* still ours */
	e->sending = 0;
	nng_ctx_recv(e->ctx, e->aio);
}

int
main(int argc, char **argv)
{
	struct echo echoes[CONTEXTS];
	nng_socket sock;
	sigset_t stop;
	int rv, sig, i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s URL\n", argv[0]);
		return 2;
	}
	/* Blocked before nng starts its threads, which inherit the mask, so
	 * that sigwait below is the one to take them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	if ((rv = nng_rep0_open(&sock)) != 0)
		dbench_fail("nng_rep0_open: %s", nng_strerror(rv));
	for (i = 0; i < CONTEXTS; i++) {
		echoes[i].sending = 0;
		if ((rv = nng_ctx_open(&echoes[i].ctx, sock)) != 0 ||
		    (rv = nng_aio_alloc(&echoes[i].aio, echo_cb,
		         &echoes[i])) != 0)
			dbench_fail("context: %s", nng_strerror(rv));
	}
	if ((rv = nng_listen(sock, argv[1], NULL, 0)) != 0)
		dbench_fail("listen %s: %s", argv[1], nng_strerror(rv));
	for (i = 0; i < CONTEXTS; i++)
		nng_ctx_recv(echoes[i].ctx, echoes[i].aio);

	sigwait(&stop, &sig);
	nng_close(sock);
	for (i = 0; i < CONTEXTS; i++)
		nng_aio_free(echoes[i].aio); /* waits for its callback */
	return 0;
}
