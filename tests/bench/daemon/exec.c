/*
 * dbench_exec NAME CALLS COMMAND [ARG...]: the cost of one command-line
 * call, a fresh process each time (`gocsp send` against `redis-cli
 * LPUSH`).  Runs COMMAND CALLS times, one after the other, its standard
 * input and output on /dev/null, and times each from the spawn to the
 * reaping of its exit.  Metric: p50 per call, in milliseconds; the mean
 * and the CPU time of a call's process go beside it.  Exits 1 if a call
 * fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "dbench.h"

/* Calls made before the timed ones: page cache, dynamic loader. */
#define WARMUP 5

extern char **environ;

static void
call(char **argv, const posix_spawn_file_actions_t *fa)
{
	pid_t pid;
	int rc, status;

	rc = posix_spawnp(&pid, argv[0], fa, NULL, argv, environ);
	if (rc != 0)
		dbench_fail("%s: %s", argv[0], strerror(rc));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			dbench_fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		dbench_fail("%s failed (status %#x)", argv[0], status);
}

int
main(int argc, char **argv)
{
	const char *use = "NAME CALLS COMMAND [ARG...]";
	posix_spawn_file_actions_t fa;
	struct dbench_samples s;
	int64_t t0, cpu = 0, total = 0;
	long calls, i;

	if (argc < 4) {
		fprintf(stderr, "usage: %s %s\n", argv[0], use);
		return 2;
	}
	calls = dbench_arg(argc, argv, 2, use);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	dbench_samples_init(&s, (size_t) calls);
	for (i = 0; i < WARMUP + calls; i++) {
		if (i == WARMUP)
			cpu = dbench_cpu_ns(RUSAGE_CHILDREN);
		t0 = dbench_now();
		call(argv + 3, &fa);
		if (i >= WARMUP) {
			int64_t ns = dbench_now() - t0;
			dbench_samples_add(&s, ns);
			total += ns;
		}
	}
	cpu = dbench_cpu_ns(RUSAGE_CHILDREN) - cpu;
	posix_spawn_file_actions_destroy(&fa);
	printf("%s p50_ms=%.3f p99_ms=%.3f mean_ms=%.3f client_cpu_us=%.0f "
	       "calls=%ld\n",
	    argv[1], dbench_samples_pct_us(&s, 50) / 1000.0,
	    dbench_samples_pct_us(&s, 99) / 1000.0,
	    (double) total / (double) calls / 1e6,
	    (double) cpu / 1e3 / (double) calls, calls);
	dbench_samples_free(&s);
	return 0;
}
