/*
 * Design notes: the operations that never wait -- make, close, remove,
 * stat, list, ping -- run entirely where their server received them.
 */
#include "figures.h"
#include "log.h"
#include "op.h"

void
gocspd_op_ping(struct gocspd_op *op)
{
	char version[32];
	Gocsp__ServerInfo info;
	gocspd_figures_server(&info, version, op->limits);
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
		gocspd_op_fail(op, GOCSP_ENOENT, "no channel named '%s'",
		    name);
		return;
	}
	gocspd_log(GOCSPD_INFO, "channel '%s' removed, %llu values discarded",
	    name, (unsigned long long) discarded);
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	gocspd_op_reply(op, &r);
}

void
gocspd_op_stat(struct gocspd_op *op)
{
	if (gocspd_op_find(op, op->req->stat->name) != 0)
		return;
	Gocsp__ChanInfo info, *infos[1] = {&info};
	gocspd_figures_chan(op->chan, &info);
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	r.chans = infos;
	r.n_chans = 1;
	gocspd_op_reply(op, &r);
}

void
gocspd_op_list(struct gocspd_op *op)
{
	struct gocspd_chan_figures f;
	if (gocspd_figures_chans(&f) != 0) {
		gocspd_op_fail(op, GOCSP_ENOMEM,
		    "out of memory listing "
		    "channels");
		return;
	}
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	r.chans = f.ptrs;
	r.n_chans = f.n;
	gocspd_op_reply(op, &r);
	gocspd_figures_chans_free(&f);
}
