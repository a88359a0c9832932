/*
 * Design notes: the pool subcommands -- spawn, wait, kill, ps -- and wg.
 *
 * spawn stops reading its own options at the first word that is not one
 * (and at --), so that the command's options stay the command's:
 * `gocsp spawn --from jobs sh -c '...'` needs no --.
 *
 * wait shows a progress line on a terminal: it waits in slices of 200 ms
 * (the daemon answers each with the pool's figures) and redraws the line
 * between them; elsewhere it waits in one call and stays quiet.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRESS_EVERY GOCSP_MS(200)

static double
rate_of(const gocsp_client_pool_info *i)
{
	return i->elapsed > 0 ? (double) i->done * 1e9 / (double) i->elapsed
	                      : 0.0;
}

int
cli_spawn(struct cli *c, int argc, char **argv)
{
	enum {
		OPT_NAME = 256,
		OPT_FROM,
		OPT_TO,
		OPT_RETRIES,
		OPT_TIMEOUT,
		OPT_STREAM
	};
	static const struct option opts[] = {
	    {"workers", required_argument, NULL, 'n'},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"to", required_argument, NULL, OPT_TO},
	    {"retries", required_argument, NULL, OPT_RETRIES},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"stream", no_argument, NULL, OPT_STREAM},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	gocsp_client_pool_spec spec = {.workers = 1, .retries = 2};
	int o, rc;
	while ((o = cli_getopt(argc, argv, "+n:h", opts)) != -1) {
		char *end;
		unsigned long v;
		switch (o) {
		case 'n':
		case OPT_RETRIES:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] == '-' ||
			    v > 100000 || (o == 'n' && v == 0))
				return cli_usage("spawn", "'%s' is not a %s",
				    optarg,
				    o == 'n' ? "number of workers"
				             : "number of retries");
			if (o == 'n')
				spec.workers = (uint32_t) v;
			else
				spec.retries = (uint32_t) v;
			break;
		case OPT_NAME:
			spec.name = optarg;
			break;
		case OPT_FROM:
			spec.from = optarg;
			break;
		case OPT_TO:
			spec.to = optarg;
			break;
		case OPT_TIMEOUT:
			if ((rc = cli_duration("spawn", optarg,
			         &spec.job_timeout)) != 0)
				return rc;
			break;
		case OPT_STREAM:
			spec.stream = 1;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (spec.from == NULL)
		return cli_usage("spawn", "--from CHANNEL is needed");
	if (optind >= argc)
		return cli_usage("spawn", "a command is needed");
	spec.argv = (const char *const *) argv + optind;
	if ((rc = cli_connect(c)) != 0)
		return rc;
	gocsp_client_pool_info info;
	if ((rc = gocsp_client_spawn(c->cl, &spec, &info)) != 0)
		return cli_fail(c, rc, "spawn");
	printf("%s\n", info.name);
	return EXIT_OK;
}

/* The progress line of a pool, drawn over the previous one. */
static void
draw_progress(const gocsp_client_pool_info *i)
{
	double rate = rate_of(i);
	uint64_t over = i->done + i->failed;
	fprintf(stderr, "\r\033[K%s: %" PRIu64, i->name, over);
	if (i->input_closed) {
		uint64_t total = over + i->running + i->queued;
		fprintf(stderr, "/%" PRIu64 " jobs", total);
		if (rate > 0)
			fprintf(stderr, ", ETA %.0fs",
			    (double) (total - over) / rate);
	} else {
		fprintf(stderr, " jobs (more may come)");
	}
	fprintf(stderr, ", %.1f/s, %" PRIu64 " failed", rate, i->failed);
	fflush(stderr);
}

int
cli_wait(struct cli *c, int argc, char **argv)
{
	enum { OPT_PROGRESS = 256, OPT_NO_PROGRESS };
	static const struct option opts[] = {
	    {"timeout", required_argument, NULL, 't'},
	    {"progress", no_argument, NULL, OPT_PROGRESS},
	    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int64_t t = GOCSP_FOREVER;
	int progress = isatty(STDERR_FILENO);
	int o, rc;
	while ((o = cli_getopt(argc, argv, "t:h", opts)) != -1) {
		if (o == 't') {
			if ((rc = cli_duration("wait", optarg, &t)) != 0)
				return rc;
		} else if (o == OPT_PROGRESS || o == OPT_NO_PROGRESS) {
			progress = o == OPT_PROGRESS;
		} else {
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return cli_usage("wait", "one POOL is needed");
	const char *pool = argv[optind];
	if ((rc = cli_connect(c)) != 0)
		return rc;
	gocsp_client_pool_info info = {.name = ""};
	int64_t deadline = t > 0 ? gocsp_now() + t : t;
	for (;;) {
		int64_t slice = t;
		if (progress) {
			int64_t left =
			    deadline > 0 ? deadline - gocsp_now() : t;
			slice = left >= 0 && left < PROGRESS_EVERY
			    ? (left > 0 ? left : 0)
			    : PROGRESS_EVERY;
		}
		rc = gocsp_client_pool_wait(c->cl, pool, &info, slice);
		if (progress && info.name[0] != '\0')
			draw_progress(&info);
		if (!progress || rc != GOCSP_ETIMEDOUT ||
		    (deadline >= 0 && gocsp_now() >= deadline))
			break;
	}
	if (progress && info.name[0] != '\0')
		fputc('\n', stderr);
	if (rc != 0)
		return cli_fail(c, rc, "wait");
	if (strcmp(info.state, "killed") == 0) {
		fprintf(stderr, "gocsp: wait: pool %s was killed\n", pool);
		return EXIT_ERROR;
	}
	if (info.failed > 0) {
		fprintf(stderr,
		    "gocsp: wait: pool %s: %" PRIu64 " of %" PRIu64
		    " jobs failed (see channel %s.errors)\n",
		    pool, info.failed, info.done + info.failed, pool);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

int
cli_kill(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int o, rc;
	while ((o = cli_getopt(argc, argv, "h", opts)) != -1)
		return EXIT_USAGE;
	if (optind != argc - 1)
		return cli_usage("kill", "one POOL is needed");
	if ((rc = cli_connect(c)) != 0)
		return rc;
	if ((rc = gocsp_client_pool_kill(c->cl, argv[optind])) != 0)
		return cli_fail(c, rc, "kill");
	return EXIT_OK;
}

int
cli_ps(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool json = false;
	int o, rc;
	while ((o = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (o != 'j')
			return EXIT_USAGE;
		json = true;
	}
	if (optind != argc)
		return cli_usage("ps", "unexpected argument '%s'",
		    argv[optind]);
	if ((rc = cli_connect(c)) != 0)
		return rc;
	gocsp_client_pool_info *all;
	size_t n;
	if ((rc = gocsp_client_pools(c->cl, &all, &n)) != 0)
		return cli_fail(c, rc, "ps");
	if (!json)
		printf("%-20s %-9s %-7s %7s %7s %8s %10s %8s %8s %9s\n",
		    "POOL", "STATE", "MODE", "WORKERS", "QUEUED", "RUNNING",
		    "DONE", "FAILED", "RETRIED", "RATE/s");
	for (size_t i = 0; i < n; i++) {
		gocsp_client_pool_info *p = &all[i];
		const char *mode = p->stream ? "stream" : "message";
		if (!json) {
			printf("%-20s %-9s %-7s %7" PRIu32 " %7" PRIu64
			       " %8" PRIu32 " %10" PRIu64 " %8" PRIu64
			       " %8" PRIu64 " %9.1f\n",
			    p->name, p->state, mode, p->workers, p->queued,
			    p->running, p->done, p->failed, p->retried,
			    rate_of(p));
			continue;
		}
		printf("{\"name\":");
		cli_json_string(stdout, p->name);
		printf(",\"from\":");
		cli_json_string(stdout, p->from);
		printf(",\"to\":");
		cli_json_string(stdout, p->to);
		printf(",\"mode\":\"%s\",\"state\":\"%s\",\"workers\":%" PRIu32
		       ",\"queued\":%" PRIu64 ",\"input_closed\":%s"
		       ",\"running\":%" PRIu32 ",\"done\":%" PRIu64
		       ",\"failed\":%" PRIu64 ",\"retried\":%" PRIu64
		       ",\"rate\":%.3f,\"elapsed\":%.3f}\n",
		    mode, p->state, p->workers, p->queued,
		    p->input_closed ? "true" : "false", p->running, p->done,
		    p->failed, p->retried, rate_of(p),
		    (double) p->elapsed / 1e9);
	}
	free(all);
	return EXIT_OK;
}

int
cli_wg(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int64_t t = GOCSP_FOREVER;
	int o, rc;
	while ((o = cli_getopt(argc, argv, "t:h", opts)) != -1) {
		if (o != 't')
			return EXIT_USAGE;
		if ((rc = cli_duration("wg", optarg, &t)) != 0)
			return rc;
	}
	int left = argc - optind;
	const char *verb = left > 0 ? argv[optind] : "";
	bool add = strcmp(verb, "add") == 0;
	if (!(add && left == 3) &&
	    !((strcmp(verb, "done") == 0 || strcmp(verb, "wait") == 0) &&
	        left == 2))
		return cli_usage("wg",
		    "expected: add NAME N, done NAME or "
		    "wait NAME");
	const char *name = argv[optind + 1];
	int64_t delta = 0;
	if (add) {
		char *end;
		errno = 0;
		delta = strtoll(argv[optind + 2], &end, 10);
		if (errno != 0 || *end != '\0' || end == argv[optind + 2])
			return cli_usage("wg", "'%s' is not a count",
			    argv[optind + 2]);
	}
	if ((rc = cli_connect(c)) != 0)
		return rc;
	if (add)
		rc = gocsp_client_wg_add(c->cl, name, delta, NULL);
	else if (verb[0] == 'd')
		rc = gocsp_client_wg_done(c->cl, name);
	else
		rc = gocsp_client_wg_wait(c->cl, name, t);
	return rc == 0 ? EXIT_OK : cli_fail(c, rc, "wg");
}
