/*
 * cli.h: what the gocsp command's subcommands share.  The command uses
 * the client library only (gocsp/client.h).
 */
#ifndef GOCSP_CLI_H
#define GOCSP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gocsp/client.h>

/* Exit codes, the same for every subcommand (API.md). */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_CLOSED = 3,
	EXIT_TIMEOUT = 4,
	EXIT_UNREACHABLE = 5,
};

struct cli {
	const char *url;  /* -u; NULL: $GOCSP_URL or the default */
	gocsp_client *cl; /* after cli_connect */
};

/* A subcommand: argv[0] is its name.  Returns the exit code. */
typedef int (*cli_cmd)(struct cli *c, int argc, char **argv);

int cli_make(struct cli *c, int argc, char **argv);
int cli_close(struct cli *c, int argc, char **argv);
int cli_rm(struct cli *c, int argc, char **argv);
int cli_send(struct cli *c, int argc, char **argv);
int cli_recv(struct cli *c, int argc, char **argv);
int cli_select(struct cli *c, int argc, char **argv);
int cli_ls(struct cli *c, int argc, char **argv);
int cli_stat(struct cli *c, int argc, char **argv);
int cli_ping(struct cli *c, int argc, char **argv);
int cli_spawn(struct cli *c, int argc, char **argv);
int cli_wait(struct cli *c, int argc, char **argv);
int cli_kill(struct cli *c, int argc, char **argv);
int cli_ps(struct cli *c, int argc, char **argv);
int cli_wg(struct cli *c, int argc, char **argv);

/* Connect (once).  0, or an exit code after a message on stderr. */
int cli_connect(struct cli *c);

/*
 * Report a failed call on stderr ("gocsp: WHAT: the daemon's reason")
 * and map its code to an exit code.
 */
int cli_fail(struct cli *c, int code, const char *what);

/* Usage error: the message, then "try gocsp CMD --help". */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* -t DUR: Go's syntax, >= 0.  0 or EXIT_USAGE (reported). */
int cli_duration(const char *cmd, const char *arg, int64_t *out);

/* Parse the subcommand's options with getopt_long; "h" and --help are
 * added.  Returns the option, -1 at the end, or '?' (reported). */
struct option;
int cli_getopt(int argc, char **argv, const char *shortopts,
    const struct option *longopts);

/* Print s as a JSON string. */
void cli_json_string(FILE *f, const char *s);

#endif /* GOCSP_CLI_H */
