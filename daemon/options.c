/*
 * Design notes: gocspd's options.  Sizes take K, M and G suffixes (powers
 * of 1024), durations Go's syntax (gocsp_parse_duration).  Every limit of
 * RELIABILITY.md has its option; the defaults live in proto/wire.h, where
 * the clients see them too.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gocsp/gocsp.h>

#include "log.h"
#include "wire.h"

static void
usage(FILE *f)
{
	fputs(
	    "usage: gocspd [-u URL]... [options]\n"
	    "\n"
	    "Serve named channels to gocsp clients.  Runs in the foreground,\n"
	    "logs to stderr, stops cleanly on SIGTERM or SIGINT.\n"
	    "\n"
	    "  -u, --url URL          listen on URL (repeatable): ipc://PATH,\n"
	    "                         tcp://HOST:PORT, tls+tcp://HOST:PORT;\n"
	    "                         default: $GOCSP_URL, else\n"
	    "                         ipc://$XDG_RUNTIME_DIR/gocsp/gocspd.sock,\n"
	    "                         else ipc:///tmp/gocsp-$UID/gocspd.sock\n"
	    "      --foreground       accepted for scripts; gocspd never forks\n"
	    "      --tls-cert FILE    PEM certificate and private key (tls+tcp)\n"
	    "      --tls-ca FILE      PEM CAs that client certificates must\n"
	    "                         chain to\n"
	    "      --tls-verify       require a client certificate\n"
	    "      --allow-group GROUP  let GROUP's members connect to\n"
	    "                         the ipc:// sockets (made 0660);\n"
	    "                         only gocspd's user and root may spawn\n"
	    "      --probe-interval DUR  how often listeners are checked\n"
	    "                         (1s; more often if systemd's watchdog\n"
	    "                         needs)\n"
	    "      --metrics URL      serve Prometheus metrics at\n"
	    "                         URL/metrics (http://HOST:PORT; off)\n"
	    "      --log-level LEVEL  error, warning, notice, info (default),\n"
	    "                         debug\n"
	    "  -v, --verbose          --log-level debug\n"
	    "  -q, --quiet            --log-level warning\n"
	    "      --version          print the version and exit\n"
	    "  -h, --help             print this help and exit\n"
	    "\n"
	    "Limits (a client that hits one gets GOCSP_ELIMIT naming it):\n"
	    "      --max-msg BYTES       one value (1M)\n"
	    "      --max-channels N      named channels (4096)\n"
	    "      --max-queued BYTES    value bytes held in all (64M)\n"
	    "      --max-ops N           outstanding operations per client "
	    "(256)\n"
	    "      --max-cases N         cases in one select (64)\n"
	    "      --max-name N          bytes in a channel name (255)\n"
	    "      --max-cap N           channel capacity (1048576)\n"
	    "      --max-unacked N       unacknowledged deliveries per client\n"
	    "                            (16384)\n"
	    "      --max-clients N       connections at once (4096)\n"
	    "      --max-batch N         values in one send or receive (1024)\n"
	    "      --max-pools N         worker pools running at once (16)\n"
	    "      --max-workers N       worker processes in all (64)\n"
	    "      --max-waitgroups N    named wait groups above zero (4096)\n"
	    "BYTES takes a K, M or G suffix; DUR is Go's syntax (500ms, 2s).\n",
	    f);
}

/* "123", "64K", "1M", "2G" into *out, at most max.  0 or -1. */
static int
parse_size(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v > (max >> shift))
		return -1;
	*out = (uint64_t) v << shift;
	return 0;
}

/* A group name or number into *gid.  0 or -1. */
static int
parse_group(const char *s, gid_t *gid)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(s, &end, 10);
	if (errno == 0 && end != s && *end == '\0' && s[0] != '-' &&
	    n < (gid_t) -1) {
		*gid = (gid_t) n;
		return 0;
	}
	struct group *g = getgrnam(s); /* no thread runs yet */
	if (g == NULL)
		return -1;
	*gid = g->gr_gid;
	return 0;
}

static int
parse_level(const char *s)
{
	static const char *const names[] = {[GOCSPD_ERR] = "error",
	    [GOCSPD_WARN] = "warning",
	    [GOCSPD_NOTICE] = "notice",
	    [GOCSPD_INFO] = "info",
	    [GOCSPD_DEBUG] = "debug"};
	for (int i = GOCSPD_ERR; i <= GOCSPD_DEBUG; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

enum {
	OPT_FOREGROUND = 256,
	OPT_TLS_CERT,
	OPT_TLS_CA,
	OPT_TLS_VERIFY,
	OPT_ALLOW_GROUP,
	OPT_PROBE,
	OPT_LOG_LEVEL,
	OPT_METRICS,
	OPT_VERSION,
	OPT_MAX_MSG,
	OPT_MAX_CHANNELS,
	OPT_MAX_QUEUED,
	OPT_MAX_OPS,
	OPT_MAX_CASES,
	OPT_MAX_NAME,
	OPT_MAX_CAP,
	OPT_MAX_UNACKED,
	OPT_MAX_CLIENTS,
	OPT_MAX_BATCH,
	OPT_MAX_POOLS,
	OPT_MAX_WORKERS,
	OPT_MAX_WAITGROUPS,
};

static const struct option longopts[] = {
    {"url", required_argument, NULL, 'u'},
    {"foreground", no_argument, NULL, OPT_FOREGROUND},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-ca", required_argument, NULL, OPT_TLS_CA},
    {"tls-verify", no_argument, NULL, OPT_TLS_VERIFY},
    {"allow-group", required_argument, NULL, OPT_ALLOW_GROUP},
    {"probe-interval", required_argument, NULL, OPT_PROBE},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"metrics", required_argument, NULL, OPT_METRICS},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, 'h'},
    {"max-msg", required_argument, NULL, OPT_MAX_MSG},
    {"max-channels", required_argument, NULL, OPT_MAX_CHANNELS},
    {"max-queued", required_argument, NULL, OPT_MAX_QUEUED},
    {"max-ops", required_argument, NULL, OPT_MAX_OPS},
    {"max-cases", required_argument, NULL, OPT_MAX_CASES},
    {"max-name", required_argument, NULL, OPT_MAX_NAME},
    {"max-cap", required_argument, NULL, OPT_MAX_CAP},
    {"max-unacked", required_argument, NULL, OPT_MAX_UNACKED},
    {"max-clients", required_argument, NULL, OPT_MAX_CLIENTS},
    {"max-batch", required_argument, NULL, OPT_MAX_BATCH},
    {"max-pools", required_argument, NULL, OPT_MAX_POOLS},
    {"max-workers", required_argument, NULL, OPT_MAX_WORKERS},
    {"max-waitgroups", required_argument, NULL, OPT_MAX_WAITGROUPS},
    {NULL, 0, NULL, 0},
};

/* Where each --max-* option stores its value, and its bounds. */
static int
set_limit(struct gocspd_limits *l, int opt, const char *arg, const char *name)
{
	uint64_t v;
	uint32_t *u32 = NULL;
	uint64_t lo = 1, hi = UINT32_MAX;
	switch (opt) {
	case OPT_MAX_MSG:
		u32 = &l->max_msg;
		hi = 1u << 30;
		break;
	case OPT_MAX_CHANNELS:
		u32 = &l->max_channels;
		hi = 1u << 24;
		break;
	case OPT_MAX_QUEUED:
		if (parse_size(arg, UINT64_MAX / 2, &v) != 0 || v < 1)
			goto bad;
		l->max_queued = v;
		return 0;
	case OPT_MAX_OPS:
		u32 = &l->max_ops;
		hi = 1u << 20;
		break;
	case OPT_MAX_CASES:
		u32 = &l->max_cases;
		hi = 65535;
		break;
	case OPT_MAX_NAME:
		u32 = &l->max_name;
		hi = 4096;
		break;
	case OPT_MAX_CAP:
		u32 = &l->max_cap;
		lo = 0;
		hi = 1u << 30;
		break;
	case OPT_MAX_UNACKED:
		u32 = &l->max_unacked;
		hi = 1u << 24;
		break;
	case OPT_MAX_CLIENTS:
		u32 = &l->max_clients;
		hi = 1u << 20;
		break;
	case OPT_MAX_BATCH:
		u32 = &l->max_batch;
		hi = 1u << 16;
		break;
	case OPT_MAX_POOLS:
		u32 = &l->max_pools;
		hi = 1u << 16;
		break;
	case OPT_MAX_WORKERS:
		u32 = &l->max_workers;
		hi = 1u << 16;
		break;
	case OPT_MAX_WAITGROUPS:
		u32 = &l->max_waitgroups;
		hi = 1u << 24;
		break;
	}
	if (parse_size(arg, hi, &v) != 0 || v < lo)
		goto bad;
	*u32 = (uint32_t) v;
	return 0;
bad:
	fprintf(stderr, "gocspd: --%s: '%s' is not a valid value\n", name,
	    arg);
	return -1;
}

int
gocspd_options_parse(struct gocspd_options *o, int argc, char **argv)
{
	*o = (struct gocspd_options){.probe_interval = GOCSP_SEC(1),
	    .log_level = GOCSPD_INFO,
	    .limits = {
	        .max_msg = GOCSP_WIRE_MAX_MSG,
	        .max_channels = GOCSP_WIRE_MAX_CHANNELS,
	        .max_queued = GOCSP_WIRE_MAX_QUEUED,
	        .max_ops = GOCSP_WIRE_MAX_OPS,
	        .max_cases = GOCSP_WIRE_MAX_CASES,
	        .max_name = GOCSP_WIRE_MAX_NAME,
	        .max_cap = GOCSP_WIRE_MAX_CAP,
	        .max_unacked = GOCSP_WIRE_MAX_UNACKED,
	        .max_clients = GOCSP_WIRE_MAX_CLIENTS,
	        .max_batch = GOCSP_WIRE_MAX_BATCH,
	        .max_pools = GOCSP_WIRE_MAX_POOLS,
	        .max_workers = GOCSP_WIRE_MAX_WORKERS,
	        .max_waitgroups = GOCSP_WIRE_MAX_WAITGROUPS,
	    }};
	int c, idx;
	optind = 1;
	while ((c = getopt_long(argc, argv, "u:vqh", longopts, &idx)) != -1) {
		switch (c) {
		case 'u':
			if (o->nurls == GOCSPD_MAX_URLS) {
				fprintf(stderr, "gocspd: at most %d -u URLs\n",
				    GOCSPD_MAX_URLS);
				return 2;
			}
			o->urls[o->nurls++] = optarg;
			break;
		case OPT_FOREGROUND:
			break;
		case OPT_TLS_CERT:
			o->tls_cert = optarg;
			break;
		case OPT_TLS_CA:
			o->tls_ca = optarg;
			break;
		case OPT_TLS_VERIFY:
			o->tls_verify = 1;
			break;
		case OPT_ALLOW_GROUP:
			if (parse_group(optarg, &o->allow_gid) != 0) {
				fprintf(stderr,
				    "gocspd: --allow-group: no "
				    "group '%s'\n",
				    optarg);
				return 2;
			}
			o->allow_group = true;
			break;
		case OPT_PROBE:
			if (gocsp_parse_duration(optarg, &o->probe_interval) !=
			        0 ||
			    o->probe_interval < GOCSP_MS(10)) {
				fprintf(stderr,
				    "gocspd: --probe-interval: '%s' is not a "
				    "duration of 10ms or more\n",
				    optarg);
				return 2;
			}
			break;
		case OPT_LOG_LEVEL:
			if ((o->log_level = parse_level(optarg)) < 0) {
				fprintf(stderr,
				    "gocspd: --log-level: '%s' is not one of "
				    "error, warning, notice, info, debug\n",
				    optarg);
				return 2;
			}
			break;
		case OPT_METRICS:
			o->metrics_url = optarg;
			break;
		case 'v':
			o->log_level = GOCSPD_DEBUG;
			break;
		case 'q':
			o->log_level = GOCSPD_WARN;
			break;
		case OPT_VERSION:
			printf("gocspd %d.%d.%d\n", GOCSP_VERSION_MAJOR,
			    GOCSP_VERSION_MINOR, GOCSP_VERSION_PATCH);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		case '?':
			fprintf(stderr, "gocspd: try 'gocspd --help'\n");
			return 2;
		default:
			if (set_limit(&o->limits, c, optarg,
			        longopts[idx].name) != 0)
				return 2;
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
		    "gocspd: unexpected argument '%s'; try "
		    "'gocspd --help'\n",
		    argv[optind]);
		return 2;
	}
	if (o->tls_verify && o->tls_ca == NULL) {
		fprintf(stderr, "gocspd: --tls-verify needs --tls-ca\n");
		return 2;
	}
	return 0;
}
