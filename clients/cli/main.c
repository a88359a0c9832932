/*
 * gocsp: channels of gocspd from the shell.
 *
 * Design notes: one process per command, so start-up is most of its
 * cost; it links only the client library, which connects without
 * starting threads.  Every subcommand maps failures to the same exit
 * codes (cli.h) and prints the daemon's reason, which names the channel
 * or the limit.
 */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	cli_cmd run;
	const char *usage;
	const char *help;
} commands[] = {
    {"make", cli_make, "make NAME [-c CAP]",
        "Make channel NAME with a buffer of CAP values (default 0:\n"
        "unbuffered, a send waits for a receiver).  Making it again with\n"
        "the same capacity is not an error.\n"},
    {"close", cli_close, "close NAME",
        "Close channel NAME: blocked senders fail, receivers drain what is\n"
        "buffered and then see it closed (exit 3).\n"},
    {"rm", cli_rm, "rm NAME",
        "Remove channel NAME: close it, discard what it holds, forget the\n"
        "name.\n"},
    {"send", cli_send, "send NAME [-t DUR] [-0] [MSG...]",
        "Send each MSG on channel NAME, in order.  Without MSG, each line\n"
        "of standard input is a message (-0: NUL-separated), sent in\n"
        "batches of what is ready.  -t DUR bounds each wait (Go's syntax:\n"
        "500ms, 2s).\n"},
    {"recv", cli_recv, "recv NAME [-n N | -a] [-t DUR] [-0]",
        "Receive a message from channel NAME and print it on a line of its\n"
        "own (-0: followed by a NUL).  -n N: N messages; -a: all until the\n"
        "channel is closed and drained (Go's range; exit 0 then).  -t DUR\n"
        "bounds each wait.  A message is acknowledged only once printed: if\n"
        "gocsp dies first, it goes back to the channel.\n"},
    {"select", cli_select,
        "select [-t DUR] [-0] recv:NAME... send:NAME=MSG...",
        "Go's select: the first case that can proceed does (at random among\n"
        "the ready ones).  Prints the case taken, then the message received.\n"
        "A case whose channel is closed proceeds too: exit 3.\n"},
    {"ls", cli_ls, "ls [--json]",
        "List the channels: capacity, buffered, closed, blocked receivers\n"
        "and senders, values sent and received.  --json: one object per\n"
        "line.\n"},
    {"stat", cli_stat, "stat NAME [--json] | stat --prometheus",
        "The counters of channel NAME.  --json: one object.\n"
        "--prometheus: every figure of the daemon, its channels and pools\n"
        "in Prometheus's text format, as gocspd --metrics serves them.\n"},
    {"ping", cli_ping, "ping",
        "Check that gocspd answers; print what it is.\n"},
    {"spawn", cli_spawn,
        "spawn [-n WORKERS] [--name POOL] --from IN [--to OUT] "
        "[--retries K] [--timeout DUR] [--stream] [--] CMD [ARG...]",
        "Start a pool of WORKERS (1) processes, run by gocspd in this\n"
        "directory and environment, fed from channel IN; print its name.\n"
        "Per message (default): CMD runs once per value, the value on its\n"
        "stdin and in $GOCSP_MSG (when small); its stdout, less a trailing\n"
        "newline, is one value on OUT.  --stream: WORKERS long-lived\n"
        "processes get values as lines; each line they print is one value\n"
        "on OUT.  A job that fails (exit status, signal, --timeout) is\n"
        "tried again K (2) times, then reported as a JSON object on\n"
        "channel POOL.errors.  A worker killed mid-job loses nothing: its\n"
        "job runs again.\n"},
    {"wait", cli_wait, "wait POOL [-t DUR] [--progress | --no-progress]",
        "Wait until POOL's input channel is closed and drained and every\n"
        "job is over, then close its output and errors channels.  Exit 1\n"
        "with a summary if jobs failed.  On a terminal, a progress line.\n"},
    {"kill", cli_kill, "kill POOL",
        "Kill POOL's workers; the jobs they held go back to its input.\n"
        "Killing a pool that is not running forgets it.\n"},
    {"ps", cli_ps, "ps [--json]",
        "The pools: state, workers, jobs queued, running, done, failed,\n"
        "retried, rate.  --json: one object per line.\n"},
    {"wg", cli_wg, "wg add NAME N | wg done NAME | wg wait NAME [-t DUR]",
        "A WaitGroup shared by processes: add N (may be negative), done\n"
        "(add -1), wait until it is zero.\n"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fputs("usage: gocsp [-u URL] COMMAND [ARGS]\n\n"
	      "Channels shared by processes, with Go's meaning, held by "
	      "gocspd.\n\nCommands:\n",
	    f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  gocsp %s\n", commands[i].usage);
	fputs(
	    "\n"
	    "  -u, --url URL   the daemon (default: $GOCSP_URL, else\n"
	    "                  ipc://$XDG_RUNTIME_DIR/gocsp/gocspd.sock or\n"
	    "                  ipc:///tmp/gocsp-$UID/gocspd.sock; if no\n"
	    "                  socket is there, the system daemon's\n"
	    "                  ipc:///run/gocsp/gocspd.sock)\n"
	    "  -h, --help      this help; gocsp COMMAND --help for one\n"
	    "      --version   print the version\n\n"
	    "Exit status: 0 success, 1 error, 2 usage, 3 channel closed (and\n"
	    "drained), 4 timeout, 5 daemon not reachable.\n",
	    f);
}

static const char *current; /* the subcommand, for its usage line */

int
cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "gocsp %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, cmd) == 0)
			fprintf(stderr, "usage: gocsp %s\n",
			    commands[i].usage);
	fprintf(stderr, "try 'gocsp %s --help'\n", cmd);
	return EXIT_USAGE;
}

int
cli_getopt(int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	for (;;) {
		int c = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (c != 'h')
			return c == '?'
			    ? (cli_usage(current, "bad option"), '?')
			    : c;
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (strcmp(commands[i].name, current) == 0)
				printf("usage: gocsp %s\n\n%s",
				    commands[i].usage, commands[i].help);
		exit(EXIT_OK);
	}
}

int
cli_duration(const char *cmd, const char *arg, int64_t *out)
{
	if (gocsp_parse_duration(arg, out) != 0 || *out < 0)
		return cli_usage(cmd, "'%s' is not a duration (500ms, 2s, 1m)",
		    arg);
	return 0;
}

int
cli_connect(struct cli *c)
{
	if (c->cl != NULL)
		return 0;
	char why[512];
	int rc = gocsp_client_dial(&c->cl, c->url, why, sizeof(why));
	if (rc == 0)
		return 0;
	fprintf(stderr, "gocsp: cannot reach gocspd: %s\n",
	    why[0] != '\0' ? why : gocsp_strerror(rc));
	return rc == GOCSP_EINVAL ? EXIT_USAGE
	    : rc == GOCSP_ENOMEM  ? EXIT_ERROR
	                          : EXIT_UNREACHABLE;
}

int
cli_fail(struct cli *c, int code, const char *what)
{
	char why[512] = "";
	if (c->cl != NULL)
		gocsp_client_last_error(c->cl, why, sizeof(why));
	fprintf(stderr, "gocsp: %s: %s\n", what,
	    why[0] != '\0' ? why : gocsp_strerror(code));
	switch (code) {
	case GOCSP_ECLOSED:
		return EXIT_CLOSED;
	case GOCSP_ETIMEDOUT:
	case GOCSP_EAGAIN:
		return EXIT_TIMEOUT;
	case GOCSP_ECONNREFUSED:
	case GOCSP_ECONNRESET:
		return EXIT_UNREACHABLE;
	default:
		return EXIT_ERROR;
	}
}

void
cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char) *s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

int
main(int argc, char **argv)
{
	struct cli c = {0};
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0) {
			printf("gocsp %d.%d.%d\n", GOCSP_VERSION_MAJOR,
			    GOCSP_VERSION_MINOR, GOCSP_VERSION_PATCH);
			return EXIT_OK;
		} else if (strcmp(a, "-u") == 0 || strcmp(a, "--url") == 0) {
			if (++i == argc) {
				fprintf(stderr, "gocsp: %s needs a URL\n", a);
				return EXIT_USAGE;
			}
			c.url = argv[i];
		} else if (strncmp(a, "--url=", 6) == 0) {
			c.url = a + 6;
		} else {
			fprintf(stderr,
			    "gocsp: unknown option %s; try 'gocsp "
			    "--help'\n",
			    a);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t k = 0; k < NCOMMANDS; k++)
		if (strcmp(argv[i], commands[k].name) == 0) {
			current = commands[k].name;
			optind = 0; /* GNU getopt: start afresh at argv[1] */
			int rc = commands[k].run(&c, argc - i, argv + i);
			gocsp_client_close(c.cl);
			return rc;
		}
	fprintf(stderr, "gocsp: unknown command '%s'; try 'gocsp --help'\n",
	    argv[i]);
	return EXIT_USAGE;
}
