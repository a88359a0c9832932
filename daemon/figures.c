/*
 * Design notes: the figures are read without stopping anything -- each
 * counter is an atomic, each list is taken under its registry's lock with
 * a reference on every member -- so a set of them is a moment's view,
 * not a consistent snapshot: a value may count as sent and not yet as
 * buffered.  Every call here may run on any thread, coroutine or not.
 */
#include "figures.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gocsp/gocsp.h>

#include "conn.h"
#include "msg.h"
#include "op.h"

void
gocspd_figures_server(Gocsp__ServerInfo *info, char version[32],
    const struct gocspd_limits *limits)
{
	snprintf(version, 32, "%d.%d.%d", GOCSP_VERSION_MAJOR,
	    GOCSP_VERSION_MINOR, GOCSP_VERSION_PATCH);
	gocsp__server_info__init(info);
	info->version = version;
	info->pid = (uint32_t) getpid();
	info->clients = gocspd_conn_count();
	info->channels = gocspd_registry_count();
	info->queued_bytes = gocspd_msg_bytes();
	info->max_msg = limits->max_msg;
	info->max_batch = limits->max_batch;
	info->requests = gocspd_ops_handled();
	info->coroutines = (uint64_t) gocsp_num_coroutines();
	info->maxprocs = (uint32_t) gocsp_maxprocs(0);
}

void
gocspd_figures_chan(struct gocspd_chan *c, Gocsp__ChanInfo *info)
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

int
gocspd_figures_chans(struct gocspd_chan_figures *f)
{
	*f = (struct gocspd_chan_figures){0};
	if (gocspd_registry_list(&f->chans, &f->n) != 0)
		return GOCSP_ENOMEM;
	f->infos = calloc(f->n + 1, sizeof(*f->infos));
	f->ptrs = calloc(f->n + 1, sizeof(*f->ptrs));
	if (f->infos == NULL || f->ptrs == NULL) {
		gocspd_figures_chans_free(f);
		return GOCSP_ENOMEM;
	}
	for (size_t i = 0; i < f->n; i++) {
		gocspd_figures_chan(f->chans[i], &f->infos[i]);
		f->ptrs[i] = &f->infos[i];
	}
	return 0;
}

void
gocspd_figures_chans_free(struct gocspd_chan_figures *f)
{
	for (size_t i = 0; i < f->n; i++)
		gocspd_chan_release(f->chans[i]);
	free(f->chans);
	free(f->infos);
	free(f->ptrs);
	*f = (struct gocspd_chan_figures){0};
}

static const char *const state_names[] = {
    [GOCSPD_POOL_RUNNING] = "running",
    [GOCSPD_POOL_FINISHED] = "finished",
    [GOCSPD_POOL_KILLED] = "killed",
};

void
gocspd_figures_pool(struct gocspd_pool *p, Gocsp__PoolInfo *pi)
{
	struct gocspd_pool_info in;
	gocspd_pool_info(p, &in);
	gocsp__pool_info__init(pi);
	pi->name = (char *) in.name;
	pi->from = (char *) in.from;
	pi->to = (char *) in.to;
	pi->stream = in.stream;
	pi->workers = in.workers;
	pi->state = (char *) state_names[in.state];
	pi->queued = in.queued;
	pi->input_closed = in.input_closed;
	pi->running = in.running;
	pi->done = in.done;
	pi->failed = in.failed;
	pi->retried = in.retried;
	pi->elapsed_ns = (uint64_t) in.elapsed;
	for (pi->n_argv = 0; in.argv[pi->n_argv] != NULL; pi->n_argv++)
		;
	pi->argv = (char **) in.argv;
}

int
gocspd_figures_pools(struct gocspd_pool_figures *f)
{
	*f = (struct gocspd_pool_figures){0};
	if (gocspd_pools_list(&f->pools, &f->n) != 0)
		return GOCSP_ENOMEM;
	f->infos = calloc(f->n + 1, sizeof(*f->infos));
	f->ptrs = calloc(f->n + 1, sizeof(*f->ptrs));
	if (f->infos == NULL || f->ptrs == NULL) {
		gocspd_figures_pools_free(f);
		return GOCSP_ENOMEM;
	}
	for (size_t i = 0; i < f->n; i++) {
		gocspd_figures_pool(f->pools[i], &f->infos[i]);
		f->ptrs[i] = &f->infos[i];
	}
	return 0;
}

void
gocspd_figures_pools_free(struct gocspd_pool_figures *f)
{
	for (size_t i = 0; i < f->n; i++)
		gocspd_pool_release(f->pools[i]);
	free(f->pools);
	free(f->infos);
	free(f->ptrs);
	*f = (struct gocspd_pool_figures){0};
}
