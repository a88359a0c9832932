/*
 * figures.h: what gocspd reports about itself, as the protocol's
 * messages.  The replies of ping, stat, ls and ps and the metrics
 * endpoint all take their figures from here, so they always agree.
 */
#ifndef GOCSPD_FIGURES_H
#define GOCSPD_FIGURES_H

#include <stddef.h>

#include "options.h"
#include "pool.h"
#include "registry.h"
#include "wire.h"

/* gocspd's own figures: its clients, what it holds, its scheduler.
 * info->version points into version. */
void gocspd_figures_server(Gocsp__ServerInfo *info, char version[32],
    const struct gocspd_limits *limits);

/* The figures of c (the name is borrowed from c). */
void gocspd_figures_chan(struct gocspd_chan *c, Gocsp__ChanInfo *info);

/* Every channel's figures, by name, in ptrs[0..n); the strings are
 * borrowed from the channels, which chans holds. */
struct gocspd_chan_figures {
	Gocsp__ChanInfo **ptrs;
	size_t n;
	Gocsp__ChanInfo *infos;
	struct gocspd_chan **chans;
};

/* Fill f.  0, or GOCSP_ENOMEM (f then needs no free). */
int gocspd_figures_chans(struct gocspd_chan_figures *f);
void gocspd_figures_chans_free(struct gocspd_chan_figures *f);

/* The figures of pool p (strings borrowed from p). */
void gocspd_figures_pool(struct gocspd_pool *p, Gocsp__PoolInfo *info);

/* Every pool's figures, by name, as for channels. */
struct gocspd_pool_figures {
	Gocsp__PoolInfo **ptrs;
	size_t n;
	Gocsp__PoolInfo *infos;
	struct gocspd_pool **pools;
};

int gocspd_figures_pools(struct gocspd_pool_figures *f);
void gocspd_figures_pools_free(struct gocspd_pool_figures *f);

#endif /* GOCSPD_FIGURES_H */
