/*
 * Design notes: ls, stat and ping -- what the daemon holds, for people
 * (aligned columns, key: value lines) and for programs (--json, one
 * object per line, the field names of API.md; stat --prometheus, the
 * families gocspd --metrics serves).
 */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>

static const struct option json_options[] = {
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Parse [--json]: 0 with *json, or a usage exit code. */
static int
json_flag(int argc, char **argv, bool *json)
{
	int o;
	*json = false;
	while ((o = cli_getopt(argc, argv, "h", json_options)) != -1) {
		if (o == '?')
			return EXIT_USAGE;
		*json = true;
	}
	return 0;
}

static void
print_json(const gocsp_client_chan_info *i)
{
	printf("{\"name\":");
	cli_json_string(stdout, i->name);
	printf(",\"cap\":%" PRIu32 ",\"len\":%" PRIu64 ",\"closed\":%s"
	       ",\"recv_waiting\":%" PRIu32 ",\"send_waiting\":%" PRIu32
	       ",\"sent\":%" PRIu64 ",\"received\":%" PRIu64
	       ",\"redelivered\":%" PRIu64 ",\"in_flight\":%" PRIu64 "}\n",
	    i->cap, i->len, i->closed ? "true" : "false", i->recv_waiting,
	    i->send_waiting, i->sent, i->received, i->redelivered,
	    i->in_flight);
}

int
cli_ls(struct cli *c, int argc, char **argv)
{
	bool json;
	int rc = json_flag(argc, argv, &json);
	if (rc != 0)
		return rc;
	if (optind < argc)
		return cli_usage("ls", "unexpected argument '%s'",
		    argv[optind]);
	if ((rc = cli_connect(c)) != 0)
		return rc;
	gocsp_client_chan_info *all;
	size_t n;
	if ((rc = gocsp_client_list(c->cl, &all, &n)) != 0)
		return cli_fail(c, rc, "ls");
	if (!json)
		printf("%-24s %8s %8s %6s %6s %6s %10s %10s\n", "NAME", "CAP",
		    "LEN", "CLOSED", "RECVQ", "SENDQ", "SENT", "RECEIVED");
	for (size_t i = 0; i < n; i++) {
		if (json) {
			print_json(&all[i]);
			continue;
		}
		printf("%-24s %8" PRIu32 " %8" PRIu64 " %6s %6" PRIu32
		       " %6" PRIu32 " %10" PRIu64 " %10" PRIu64 "\n",
		    all[i].name, all[i].cap, all[i].len,
		    all[i].closed ? "yes" : "no", all[i].recv_waiting,
		    all[i].send_waiting, all[i].sent, all[i].received);
	}
	free(all);
	return EXIT_OK;
}

/* stat --prometheus: every figure of the daemon, as gocspd --metrics
 * serves them. */
static int
stat_prometheus(struct cli *c)
{
	int rc = cli_connect(c);
	if (rc != 0)
		return rc;
	char *text;
	size_t len;
	if ((rc = gocsp_client_metrics(c->cl, &text, &len)) != 0)
		return cli_fail(c, rc, "stat");
	fwrite(text, 1, len, stdout);
	free(text);
	return EXIT_OK;
}

int
cli_stat(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"prometheus", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool json = false, prometheus = false;
	int o, rc;
	while ((o = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (o == '?')
			return EXIT_USAGE;
		json |= o == 'j';
		prometheus |= o == 'p';
	}
	if (prometheus) {
		if (json || optind < argc)
			return cli_usage("stat",
			    "--prometheus takes no NAME "
			    "and no --json");
		return stat_prometheus(c);
	}
	if (optind >= argc)
		return cli_usage("stat", "a channel NAME is needed");
	if (optind + 1 < argc)
		return cli_usage("stat", "unexpected argument '%s'",
		    argv[optind + 1]);
	if ((rc = cli_connect(c)) != 0)
		return rc;
	gocsp_client_chan_info i;
	if ((rc = gocsp_client_stat(c->cl, argv[optind], &i)) != 0)
		return cli_fail(c, rc, "stat");
	if (json) {
		print_json(&i);
		return EXIT_OK;
	}
	printf("name:         %s\n"
	       "cap:          %" PRIu32 "\n"
	       "len:          %" PRIu64 "\n"
	       "closed:       %s\n"
	       "recv_waiting: %" PRIu32 "\n"
	       "send_waiting: %" PRIu32 "\n"
	       "sent:         %" PRIu64 "\n"
	       "received:     %" PRIu64 "\n"
	       "redelivered:  %" PRIu64 "\n"
	       "in_flight:    %" PRIu64 "\n",
	    i.name, i.cap, i.len, i.closed ? "yes" : "no", i.recv_waiting,
	    i.send_waiting, i.sent, i.received, i.redelivered, i.in_flight);
	return EXIT_OK;
}

int
cli_ping(struct cli *c, int argc, char **argv)
{
	int o, rc;
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	while ((o = cli_getopt(argc, argv, "h", opts)) != -1)
		if (o == '?')
			return EXIT_USAGE;
	if (optind < argc)
		return cli_usage("ping", "unexpected argument '%s'",
		    argv[optind]);
	if ((rc = cli_connect(c)) != 0)
		return rc;
	gocsp_client_server_info si;
	if ((rc = gocsp_client_ping(c->cl, &si)) != 0)
		return cli_fail(c, rc, "ping");
	printf("gocspd %s, pid %" PRIu32 ": %" PRIu32 " clients, %" PRIu32
	       " channels, %" PRIu64 " bytes held, %" PRIu64
	       " requests handled\n",
	    si.version, si.pid, si.clients, si.channels, si.queued_bytes,
	    si.requests);
	return EXIT_OK;
}
