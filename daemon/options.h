/*
 * options.h: gocspd's command line and the limits it sets.
 */
#ifndef GOCSPD_OPTIONS_H
#define GOCSPD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GOCSPD_MAX_URLS 16

/* Every limit is configurable; hitting one is answered with GOCSP_ELIMIT
 * and a message naming the option. */
struct gocspd_limits {
	uint32_t max_msg;        /* --max-msg: bytes in one value */
	uint32_t max_channels;   /* --max-channels */
	uint64_t max_queued;     /* --max-queued: value bytes held */
	uint32_t max_ops;        /* --max-ops: outstanding per client */
	uint32_t max_cases;      /* --max-cases: select cases */
	uint32_t max_name;       /* --max-name: bytes in a channel name */
	uint32_t max_cap;        /* --max-cap: channel capacity */
	uint32_t max_unacked;    /* --max-unacked: deliveries per client */
	uint32_t max_clients;    /* --max-clients: connections at once */
	uint32_t max_batch;      /* --max-batch: values in one request */
	uint32_t max_pools;      /* --max-pools: running at once */
	uint32_t max_workers;    /* --max-workers: in all running pools */
	uint32_t max_waitgroups; /* --max-waitgroups: named, above zero */
};

struct gocspd_options {
	const char *urls[GOCSPD_MAX_URLS]; /* -u; none: the default URL */
	int nurls;
	const char *tls_cert;    /* --tls-cert: PEM certificate and key */
	const char *tls_ca;      /* --tls-ca: CAs of client certificates */
	int tls_verify;          /* --tls-verify: require a client cert */
	int64_t probe_interval;  /* --probe-interval: listener check, ns */
	bool allow_group;        /* --allow-group: ipc:// open to ... */
	gid_t allow_gid;         /* ... the members of this group */
	int log_level;           /* --log-level / -v / -q */
	const char *metrics_url; /* --metrics: http://HOST:PORT, or NULL */
	struct gocspd_limits limits;
};

/*
 * Parse argv into o (defaults first).  Prints --help or --version and
 * returns 1 when the program should exit 0; prints a usage error and
 * returns 2 when it should exit 2; returns 0 to go on.
 */
int gocspd_options_parse(struct gocspd_options *o, int argc, char **argv);

#endif /* GOCSPD_OPTIONS_H */
