/*
 * Design notes: the channel subcommands -- make, close, rm, send, recv,
 * select.
 *
 * send without messages reads standard input itself (not stdio, which
 * cannot say whether more input is ready): lines are sent in batches of
 * what is ready, so a pipe of a million lines costs a few thousand round
 * trips and a line typed by hand goes at once.
 *
 * recv ends quietly with status 3 when the channel is closed and drained,
 * the end of its stream; -a ends with 0 there, as Go's range does.
 *
 * recv acknowledges a message only once it is printed: the client's
 * acknowledgements wait for its next request (gocsp_client_set_ack_delay
 * FOREVER), and standard output is flushed before every request.  Killed
 * at any moment, gocsp loses nothing: what it had not printed goes back.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Messages per request when gocsp batches. */
#define BATCH 64
#define BATCH_BYTES (64 << 10)

/* The one NAME argument of a subcommand: 0, or a usage exit code. */
static int
one_name(const char *cmd, int argc, char **argv, const char **name)
{
	if (optind >= argc)
		return cli_usage(cmd, "a channel NAME is needed");
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
		    argv[optind + 1]);
	*name = argv[optind];
	return 0;
}

static const struct option no_options[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int
cli_make(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"cap", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned long cap = 0;
	int o;
	while ((o = cli_getopt(argc, argv, "c:h", opts)) != -1) {
		if (o == '?')
			return EXIT_USAGE;
		char *end;
		errno = 0;
		cap = strtoul(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || optarg[0] == '-' ||
		    cap > UINT32_MAX)
			return cli_usage("make", "-c: '%s' is not a capacity",
			    optarg);
	}
	const char *name = NULL;
	int rc = one_name("make", argc, argv, &name);
	if (rc != 0 || (rc = cli_connect(c)) != 0)
		return rc;
	if ((rc = gocsp_client_make(c->cl, name, (uint32_t) cap)) != 0)
		return cli_fail(c, rc, "make");
	return EXIT_OK;
}

/* close and rm: one name, one call. */
static int
named(struct cli *c, int argc, char **argv, const char *cmd,
    int (*fn)(gocsp_client *, const char *))
{
	int o;
	while ((o = cli_getopt(argc, argv, "h", no_options)) != -1)
		if (o == '?')
			return EXIT_USAGE;
	const char *name = NULL;
	int rc = one_name(cmd, argc, argv, &name);
	if (rc != 0 || (rc = cli_connect(c)) != 0)
		return rc;
	if ((rc = fn(c->cl, name)) != 0)
		return cli_fail(c, rc, cmd);
	return EXIT_OK;
}

int
cli_close(struct cli *c, int argc, char **argv)
{
	return named(c, argc, argv, "close", gocsp_client_chan_close);
}

int
cli_rm(struct cli *c, int argc, char **argv)
{
	return named(c, argc, argv, "rm", gocsp_client_remove);
}

/* ---------------------------------------------------------------------- */
/* send                                                                    */
/* ---------------------------------------------------------------------- */

/* Standard input, split at delim. */
struct lines {
	char *buf;
	size_t cap, start, end;
	char delim;
	bool eof;
};

/* Whether standard input has bytes ready (or its end) without waiting. */
static bool
input_ready(void)
{
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
	return poll(&p, 1, 0) > 0;
}

/* Read more of standard input.  0, or -1 on a read error. */
static int
read_more(struct lines *l)
{
	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
	}
	if (l->end == l->cap) {
		char *b = realloc(l->buf, l->cap * 2);
		if (b == NULL)
			return -1;
		l->buf = b;
		l->cap *= 2;
	}
	ssize_t n;
	do
		n = read(STDIN_FILENO, l->buf + l->end, l->cap - l->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		l->eof = true;
	l->end += (size_t) n;
	return 0;
}

/* A complete line already buffered, or the last one at the end: 1 with
 * *line (in l's buffer, valid until the next read) and *len; 0 if none
 * is buffered yet. */
static int
buffered_line(struct lines *l, char **line, size_t *len)
{
	char *p = memchr(l->buf + l->start, l->delim, l->end - l->start);
	if (p == NULL && !(l->eof && l->end > l->start))
		return 0;
	*line = l->buf + l->start;
	*len = p != NULL ? (size_t) (p - *line) : l->end - l->start;
	l->start += *len + (p != NULL);
	return 1;
}

struct batch {
	gocsp_client_msg msgs[BATCH];
	size_t n, bytes;
};

/* Send and empty b.  0 or an exit code. */
static int
flush_batch(struct cli *c, const char *name, struct batch *b, int64_t t)
{
	size_t sent = 0;
	int rc = b->n > 0
	    ? gocsp_client_send_many(c->cl, name, b->msgs, b->n, &sent, t)
	    : 0;
	for (size_t i = 0; i < b->n; i++)
		free(b->msgs[i].data);
	b->n = b->bytes = 0;
	return rc == 0 ? 0 : cli_fail(c, rc, "send");
}

static int
send_stdin(struct cli *c, const char *name, char delim, int64_t t)
{
	struct lines l = {.delim = delim, .cap = 64 << 10};
	struct batch b = {.n = 0};
	int rc = 0;
	if ((l.buf = malloc(l.cap)) == NULL)
		return cli_fail(c, GOCSP_ENOMEM, "send");
	for (;;) {
		char *line;
		size_t len;
		if (buffered_line(&l, &line, &len)) {
			char *copy = malloc(len + 1);
			if (copy == NULL) {
				rc = cli_fail(c, GOCSP_ENOMEM, "send");
				break;
			}
			memcpy(copy, line, len);
			b.msgs[b.n].data = copy;
			b.msgs[b.n++].len = len;
			b.bytes += len;
			if ((b.n == BATCH || b.bytes >= BATCH_BYTES) &&
			    (rc = flush_batch(c, name, &b, t)) != 0)
				break;
			continue;
		}
		if (l.eof)
			break;
		/* Nothing more ready: send what we have before waiting. */
		if (!input_ready() && (rc = flush_batch(c, name, &b, t)) != 0)
			break;
		if (read_more(&l) != 0) {
			fprintf(stderr,
			    "gocsp: send: reading standard input: "
			    "%s\n",
			    strerror(errno));
			rc = EXIT_ERROR;
			break;
		}
	}
	if (rc == 0)
		rc = flush_batch(c, name, &b, t);
	for (size_t i = 0; i < b.n; i++)
		free(b.msgs[i].data);
	free(l.buf);
	return rc;
}

/* The options of send and select: -t DUR, -0.  0, or a usage exit code. */
static int
timeout_and_delim(const char *cmd, int argc, char **argv, int64_t *t,
    char *delim)
{
	static const struct option opts[] = {
	    {"timeout", required_argument, NULL, 't'},
	    {"null", no_argument, NULL, '0'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	*t = GOCSP_FOREVER;
	*delim = '\n';
	int o, rc;
	while ((o = cli_getopt(argc, argv, "t:0h", opts)) != -1) {
		if (o == '?')
			return EXIT_USAGE;
		if (o == '0')
			*delim = '\0';
		else if ((rc = cli_duration(cmd, optarg, t)) != 0)
			return rc;
	}
	return 0;
}

int
cli_send(struct cli *c, int argc, char **argv)
{
	int64_t t;
	char delim;
	int rc = timeout_and_delim("send", argc, argv, &t, &delim);
	if (rc != 0)
		return rc;
	if (optind >= argc)
		return cli_usage("send", "a channel NAME is needed");
	const char *name = argv[optind++];
	if ((rc = cli_connect(c)) != 0)
		return rc;
	if (optind == argc)
		return send_stdin(c, name, delim, t);
	size_t n = (size_t) (argc - optind), sent;
	gocsp_client_msg *msgs = calloc(n, sizeof(*msgs));
	if (msgs == NULL)
		return cli_fail(c, GOCSP_ENOMEM, "send");
	for (size_t i = 0; i < n; i++) {
		msgs[i].data = argv[optind + (int) i];
		msgs[i].len = strlen(argv[optind + (int) i]);
	}
	rc = gocsp_client_send_many(c->cl, name, msgs, n, &sent, t);
	free(msgs);
	return rc == 0 ? EXIT_OK : cli_fail(c, rc, "send");
}

/* ---------------------------------------------------------------------- */
/* recv                                                                    */
/* ---------------------------------------------------------------------- */

/* Print a message and its delimiter.  0 or -1 (stdout failed). */
static int
print_msg(const void *data, size_t len, char delim)
{
	if (fwrite(data, 1, len, stdout) != len || putchar(delim) == EOF)
		return -1;
	return 0;
}

/* Flush standard output; report a failure. */
static int
flush_out(const char *cmd)
{
	if (fflush(stdout) == 0)
		return 0;
	fprintf(stderr, "gocsp: %s: writing standard output: %s\n", cmd,
	    strerror(errno));
	return EXIT_ERROR;
}

int
cli_recv(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"count", required_argument, NULL, 'n'},
	    {"all", no_argument, NULL, 'a'},
	    {"timeout", required_argument, NULL, 't'},
	    {"null", no_argument, NULL, '0'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int64_t t = GOCSP_FOREVER;
	unsigned long want = 1;
	bool all = false, counted = false;
	char delim = '\n';
	int o, rc;
	while ((o = cli_getopt(argc, argv, "n:at:0h", opts)) != -1) {
		char *end;
		switch (o) {
		case 'n':
			errno = 0;
			want = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || want == 0 ||
			    optarg[0] == '-')
				return cli_usage("recv",
				    "-n: '%s' is not a positive count",
				    optarg);
			counted = true;
			break;
		case 'a':
			all = true;
			break;
		case 't':
			if ((rc = cli_duration("recv", optarg, &t)) != 0)
				return rc;
			break;
		case '0':
			delim = '\0';
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (all && counted)
		return cli_usage("recv", "-n and -a exclude each other");
	const char *name = NULL;
	if ((rc = one_name("recv", argc, argv, &name)) != 0 ||
	    (rc = cli_connect(c)) != 0)
		return rc;
	gocsp_client_set_ack_delay(c->cl, GOCSP_FOREVER);
	gocsp_client_msg msgs[BATCH];
	unsigned long got = 0;
	while (all || got < want) {
		size_t ask = all || want - got > BATCH ? BATCH : want - got, n;
		if ((rc = flush_out("recv")) != 0)
			return rc;
		rc = gocsp_client_recv_many(c->cl, name, msgs, ask, &n, t);
		if (rc == GOCSP_ECLOSED && all)
			break;
		/* Closed and drained is the end of the stream, not an error:
		 * the exit status says it, as EOF would. */
		if (rc == GOCSP_ECLOSED)
			return EXIT_CLOSED;
		if (rc != 0)
			return cli_fail(c, rc, "recv");
		for (size_t i = 0; i < n; i++) {
			if (rc == 0 &&
			    print_msg(msgs[i].data, msgs[i].len, delim) != 0)
				rc = -1;
			free(msgs[i].data);
		}
		if (rc != 0) {
			fprintf(stderr,
			    "gocsp: recv: writing standard "
			    "output: %s\n",
			    strerror(errno));
			return EXIT_ERROR;
		}
		got += n;
	}
	return flush_out("recv");
}

/* ---------------------------------------------------------------------- */
/* select                                                                  */
/* ---------------------------------------------------------------------- */

int
cli_select(struct cli *c, int argc, char **argv)
{
	int64_t t;
	char delim;
	int rc = timeout_and_delim("select", argc, argv, &t, &delim);
	if (rc != 0)
		return rc;
	size_t n = (size_t) (argc - optind);
	if (n == 0)
		return cli_usage("select", "at least one case is needed");
	gocsp_client_case *cases = calloc(n, sizeof(*cases));
	char **names = calloc(n, sizeof(*names));
	rc = cases != NULL && names != NULL ? 0 : EXIT_ERROR;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *arg = argv[optind + (int) i];
		if (strncmp(arg, "recv:", 5) == 0) {
			cases[i].op = GOCSP_RECV;
			names[i] = strdup(arg + 5);
		} else if (strncmp(arg, "send:", 5) == 0 &&
		    strchr(arg + 5, '=') != NULL) {
			const char *eq = strchr(arg + 5, '=');
			cases[i].op = GOCSP_SEND;
			names[i] = strndup(arg + 5, (size_t) (eq - arg - 5));
			cases[i].data = eq + 1;
			cases[i].len = strlen(eq + 1);
		} else {
			rc = cli_usage("select",
			    "'%s' is neither recv:NAME "
			    "nor send:NAME=MSG",
			    arg);
			break;
		}
		if (names[i] == NULL)
			rc = EXIT_ERROR;
		cases[i].name = names[i];
	}
	if (rc == 0)
		rc = cli_connect(c);
	if (rc == 0) {
		gocsp_client_set_ack_delay(c->cl, GOCSP_FOREVER);
		int k = gocsp_client_select(c->cl, cases, n, t);
		if (k < 0) {
			rc = cli_fail(c, k, "select");
		} else {
			printf("%s:%s\n",
			    cases[k].op == GOCSP_RECV ? "recv" : "send",
			    cases[k].name);
			if (cases[k].out != NULL)
				print_msg(cases[k].out, cases[k].out_len,
				    delim);
			free(cases[k].out);
			rc = flush_out("select");
			if (rc == 0 && !cases[k].ok) {
				fprintf(stderr,
				    "gocsp: select: channel '%s' is "
				    "closed\n",
				    cases[k].name);
				rc = EXIT_CLOSED;
			}
		}
	}
	for (size_t i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	free(cases);
	return rc;
}
