/*
 * Design notes: gocsp_client_metrics asks what `gocsp ping`, `gocsp ls`
 * and `gocsp ps` ask, and hands the replies as they came to the writer
 * gocspd's --metrics endpoint uses (proto/prometheus.c): the two show the
 * same families because they are one code.  The three replies are three
 * moments, as three scrapes would be.
 */
#include <gocsp/client.h>

#include <stdlib.h>

#include "call.h"
#include "prometheus.h"

/* Ask for one kind of figures: a Ping, List or Pools request. */
static int
ask(gocsp_client *cl, Gocsp__Request__OpCase op, Gocsp__Reply **r)
{
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__Ping ping = GOCSP__PING__INIT;
	Gocsp__List list = GOCSP__LIST__INIT;
	Gocsp__Pools pools = GOCSP__POOLS__INIT;
	req.op_case = op;
	switch (op) { /* the operations are a oneof: one union member */
	case GOCSP__REQUEST__OP_PING:
		req.ping = &ping;
		break;
	case GOCSP__REQUEST__OP_LIST:
		req.list = &list;
		break;
	default:
		req.pools = &pools;
		break;
	}
	return gocsp__client_call(cl, &req, 0, r);
}

int
gocsp_client_metrics(gocsp_client *cl, char **text, size_t *len)
{
	if (text == NULL || len == NULL)
		return GOCSP_EINVAL;
	*text = NULL;
	*len = 0;
	Gocsp__Reply *server = NULL, *chans = NULL, *pools = NULL;
	int rc;
	if ((rc = ask(cl, GOCSP__REQUEST__OP_PING, &server)) == 0 &&
	    (rc = ask(cl, GOCSP__REQUEST__OP_LIST, &chans)) == 0 &&
	    (rc = ask(cl, GOCSP__REQUEST__OP_POOLS, &pools)) == 0) {
		if (server->server == NULL) {
			gocsp__client_error(cl,
			    "gocspd's ping reply has no "
			    "figures");
			rc = GOCSP_EPROTO;
		} else {
			struct gocsp__metrics m = {server->server,
			    chans->chans, chans->n_chans, pools->pools,
			    pools->n_pools};
			if (gocsp__prometheus_text(&m, text, len) != 0)
				rc = GOCSP_ENOMEM;
		}
	}
	gocsp__client_reply_free(server);
	gocsp__client_reply_free(chans);
	gocsp__client_reply_free(pools);
	return rc;
}
