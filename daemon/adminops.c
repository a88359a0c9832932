/*
 * Design notes: the operations that never wait -- make, close, remove,
 * stat, list, ping -- run entirely on the nng thread that received them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "op.h"

void
gocspd_op_ping(struct gocspd_op *op)
{
	char version[32];
	snprintf(version, sizeof(version), "%d.%d.%d", GOCSP_VERSION_MAJOR,
	    GOCSP_VERSION_MINOR, GOCSP_VERSION_PATCH);
	Gocsp__ServerInfo info = GOCSP__SERVER_INFO__INIT;
	info.version = version;
	info.pid = (uint32_t) getpid();
	info.clients = gocspd_conn_count();
	info.channels = gocspd_registry_count();
	info.queued_bytes = gocspd_msg_bytes();
	info.max_msg = op->limits->max_msg;
	info.max_batch = op->limits->max_batch;
	info.requests = gocspd_ops_handled();
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	r.server = &info;
	gocspd_op_reply(op, &r);
}

void
gocspd_op_make(struct gocspd_op *op)
{
	Gocsp__Make *m = op->req->make;
	if (gocspd_op_check_name(op, m->name) != 0)
		return;
	if (m->cap > op->limits->max_cap) {
		gocspd_op_fail(op, GOCSP_ELIMIT,
		    "limit --max-cap (%u) exceeded: capacity %u for channel "
		    "'%s'",
		    op->limits->max_cap, m->cap, m->name);
		return;
	}
	uint32_t existing = 0;
	switch (gocspd_chan_make(m->name, m->cap, &existing)) {
	case 0:
		break;
	case GOCSP_EEXIST:
		gocspd_op_fail(op, GOCSP_EEXIST,
		    "channel '%s' exists with capacity %u", m->name, existing);
		return;
	case GOCSP_ELIMIT:
		gocspd_op_fail(op, GOCSP_ELIMIT,
		    "limit --max-channels (%u) reached",
		    op->limits->max_channels);
		return;
	default:
		gocspd_op_fail(op, GOCSP_ENOMEM,
		    "out of memory making channel '%s'", m->name);
		return;
	}
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	gocspd_op_reply(op, &r);
}

void
gocspd_op_close(struct gocspd_op *op)
{
	if (gocspd_op_find(op, op->req->close->name) != 0)
		return;
	if (gocspd_chan_close(op->chan) != 0) {
		gocspd_op_fail(op, GOCSP_ECLOSED,
		    "channel '%s' is already closed", op->chan->name);
		return;
	}
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	gocspd_op_reply(op, &r);
}

void
gocspd_op_remove(struct gocspd_op *op)
{
	const char *name = op->req->remove->name;
	if (gocspd_op_check_name(op, name) != 0)
		return;
	uint64_t discarded = 0;
	if (gocspd_chan_remove(name, &discarded) != 0) {
		gocspd_op_fail(op, GOCSP_ENOENT, "no channel named '%s'", name);
		return;
	}
	gocspd_log(GOCSPD_INFO, "channel '%s' removed, %llu values discarded",
	    name, (unsigned long long) discarded);
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	gocspd_op_reply(op, &r);
}

static void
chan_info(struct gocspd_chan *c, Gocsp__ChanInfo *info)
{
	struct gocspd_chan_stats st;
	gocspd_chan_stats(c, &st);
	gocsp__chan_info__init(info);
	info->name = (char *) st.name;
	info->cap = st.cap;
	info->len = st.len;
	info->closed = st.closed;
	info->recv_waiting = st.recv_waiting;
	info->send_waiting = st.send_waiting;
	info->sent = st.sent;
	info->received = st.received;
	info->redelivered = st.redelivered;
	info->in_flight = st.in_flight;
}

void
gocspd_op_stat(struct gocspd_op *op)
{
	if (gocspd_op_find(op, op->req->stat->name) != 0)
		return;
	Gocsp__ChanInfo info, *infos[1] = {&info};
	chan_info(op->chan, &info);
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	r.chans = infos;
	r.n_chans = 1;
	gocspd_op_reply(op, &r);
}

void
gocspd_op_list(struct gocspd_op *op)
{
	struct gocspd_chan **all;
	size_t n;
	if (gocspd_registry_list(&all, &n) != 0) {
		gocspd_op_fail(op, GOCSP_ENOMEM, "out of memory listing "
		                                  "channels");
		return;
	}
	Gocsp__ChanInfo *infos = calloc(n + 1, sizeof(*infos));
	Gocsp__ChanInfo **ptrs = calloc(n + 1, sizeof(*ptrs));
	if (infos == NULL || ptrs == NULL) {
		gocspd_op_fail(op, GOCSP_ENOMEM, "out of memory listing "
		                                  "channels");
	} else {
		for (size_t i = 0; i < n; i++) {
			chan_info(all[i], &infos[i]);
			ptrs[i] = &infos[i];
		}
		Gocsp__Reply r = GOCSP__REPLY__INIT;
		r.chans = ptrs;
		r.n_chans = n;
		gocspd_op_reply(op, &r);
	}
	free(infos);
	free(ptrs);
	for (size_t i = 0; i < n; i++)
		gocspd_chan_release(all[i]);
	free(all);
}
