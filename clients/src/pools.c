/*
 * Design notes: the client calls for worker pools and wait groups.  A
 * spawn carries the caller's environment and working directory, so that
 * gocspd runs the workers as the caller would have (as xargs does); the
 * daemon looks the command up in that environment's PATH.
 */
#include <gocsp/client.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "call.h"

extern char **environ;

static size_t
count(const char *const *v)
{
	size_t n = 0;
	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

static void
info_of(const Gocsp__PoolInfo *pi, gocsp_client_pool_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", pi->name);
	snprintf(info->from, sizeof(info->from), "%s", pi->from);
	snprintf(info->to, sizeof(info->to), "%s", pi->to);
	snprintf(info->state, sizeof(info->state), "%s", pi->state);
	info->stream = pi->stream;
	info->workers = pi->workers;
	info->queued = pi->queued;
	info->input_closed = pi->input_closed;
	info->running = pi->running;
	info->done = pi->done;
	info->failed = pi->failed;
	info->retried = pi->retried;
	info->elapsed = (int64_t) pi->elapsed_ns;
}

/* The pool a reply describes into *info (may be NULL). */
static void
pool_of(const Gocsp__Reply *r, gocsp_client_pool_info *info)
{
	if (info != NULL && r != NULL && r->n_pools == 1)
		info_of(r->pools[0], info);
}

int
gocsp_client_spawn(gocsp_client *cl, const gocsp_client_pool_spec *spec,
    gocsp_client_pool_info *info)
{
	if (spec == NULL || count(spec->argv) == 0) {
		gocsp__client_error(cl, "spawn: no command");
		return GOCSP_EINVAL;
	}
	int rc;
	if ((spec->name != NULL &&
	        (rc = gocsp__client_check_name(cl, spec->name)) != 0) ||
	    (rc = gocsp__client_check_name(cl, spec->from)) != 0 ||
	    (spec->to != NULL &&
	        (rc = gocsp__client_check_name(cl, spec->to)) != 0))
		return rc;
	char cwd[PATH_MAX] = "";
	if (spec->cwd == NULL && getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0'; /* gone: the workers run where gocspd runs */
	const char *const *env =
	    spec->env != NULL ? spec->env : (const char *const *) environ;

	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__Spawn sp = GOCSP__SPAWN__INIT;
	sp.pool = (char *) (spec->name != NULL ? spec->name : "");
	sp.from = (char *) spec->from;
	sp.to = (char *) (spec->to != NULL ? spec->to : "");
	sp.argv = (char **) spec->argv;
	sp.n_argv = count(spec->argv);
	sp.env = (char **) env;
	sp.n_env = count(env);
	sp.cwd = (char *) (spec->cwd != NULL ? spec->cwd : cwd);
	sp.workers = spec->workers;
	sp.retries = spec->retries;
	sp.job_timeout_ns = spec->job_timeout;
	sp.stream = spec->stream != 0;
	req.op_case = GOCSP__REQUEST__OP_SPAWN;
	req.spawn = &sp;
	Gocsp__Reply *r;
	rc = gocsp__client_call(cl, &req, 0, &r);
	if (rc == 0)
		pool_of(r, info);
	gocsp__client_reply_free(r);
	return rc;
}

int
gocsp_client_pool_wait(gocsp_client *cl, const char *pool,
    gocsp_client_pool_info *info, int64_t timeout)
{
	int rc = gocsp__client_check_name(cl, pool);
	if (rc != 0)
		return rc;
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__PoolWait w = GOCSP__POOL_WAIT__INIT;
	w.pool = (char *) pool;
	req.op_case = GOCSP__REQUEST__OP_POOL_WAIT;
	req.pool_wait = &w;
	Gocsp__Reply *r;
	rc = gocsp__client_call(cl, &req, timeout, &r);
	pool_of(r, info);
	gocsp__client_reply_free(r);
	return rc;
}

int
gocsp_client_pool_kill(gocsp_client *cl, const char *pool)
{
	int rc = gocsp__client_check_name(cl, pool);
	if (rc != 0)
		return rc;
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__PoolKill k = GOCSP__POOL_KILL__INIT;
	k.pool = (char *) pool;
	req.op_case = GOCSP__REQUEST__OP_POOL_KILL;
	req.pool_kill = &k;
	Gocsp__Reply *r;
	rc = gocsp__client_call(cl, &req, 0, &r);
	gocsp__client_reply_free(r);
	return rc;
}

int
gocsp_client_pools(gocsp_client *cl, gocsp_client_pool_info **infos, size_t *n)
{
	if (infos == NULL || n == NULL)
		return GOCSP_EINVAL;
	*infos = NULL;
	*n = 0;
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__Pools p = GOCSP__POOLS__INIT;
	req.op_case = GOCSP__REQUEST__OP_POOLS;
	req.pools = &p;
	Gocsp__Reply *r;
	int rc = gocsp__client_call(cl, &req, 0, &r);
	if (rc == 0 && r->n_pools > 0) {
		if ((*infos = calloc(r->n_pools, sizeof(**infos))) == NULL) {
			rc = GOCSP_ENOMEM;
		} else {
			for (size_t i = 0; i < r->n_pools; i++)
				info_of(r->pools[i], &(*infos)[i]);
			*n = r->n_pools;
		}
	}
	gocsp__client_reply_free(r);
	return rc;
}

int
gocsp_client_wg_add(gocsp_client *cl, const char *name, int64_t delta,
    int64_t *counter)
{
	int rc = gocsp__client_check_name(cl, name);
	if (rc != 0)
		return rc;
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__WgAdd a = GOCSP__WG_ADD__INIT;
	a.name = (char *) name;
	a.delta = delta;
	req.op_case = GOCSP__REQUEST__OP_WG_ADD;
	req.wg_add = &a;
	Gocsp__Reply *r;
	rc = gocsp__client_call(cl, &req, 0, &r);
	if (rc == 0 && counter != NULL)
		*counter = r->count;
	gocsp__client_reply_free(r);
	return rc;
}

int
gocsp_client_wg_done(gocsp_client *cl, const char *name)
{
	return gocsp_client_wg_add(cl, name, -1, NULL);
}

int
gocsp_client_wg_wait(gocsp_client *cl, const char *name, int64_t timeout)
{
	int rc = gocsp__client_check_name(cl, name);
	if (rc != 0)
		return rc;
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__WgWait w = GOCSP__WG_WAIT__INIT;
	w.name = (char *) name;
	req.op_case = GOCSP__REQUEST__OP_WG_WAIT;
	req.wg_wait = &w;
	Gocsp__Reply *r;
	rc = gocsp__client_call(cl, &req, timeout, &r);
	gocsp__client_reply_free(r);
	return rc;
}
