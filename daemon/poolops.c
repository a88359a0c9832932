/*
 * Design notes: the operations on pools and wait groups.
 *
 * Spawning runs programs as the daemon's user, so only that user (or
 * root) may ask, and only over a local socket whose peer uid gocspd
 * checked: never over tcp:// or tls+tcp://.  The same goes for killing a
 * pool.  Waiting (for a pool or a wait group) is a coroutine in a select
 * on what it waits for and on its connection's gone channel, as a client's
 * receive is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "figures.h"
#include "log.h"
#include "op.h"
#include "pool.h"
#include "proc.h"
#include "wg.h"

/* Whether op's client may start or stop processes; fails op if not. */
static bool
may_spawn(struct gocspd_op *op)
{
	struct gocspd_conn *c = op->conn;
	if (c->remote) {
		gocspd_op_fail(op, GOCSP_EPERM,
		    "pools cannot be spawned or killed over the network");
		return false;
	}
	if (c->uid != (uint64_t) geteuid() && c->uid != 0) {
		gocspd_op_fail(op, GOCSP_EPERM,
		    "only uid %u and root may spawn or kill pools",
		    (unsigned) geteuid());
		return false;
	}
	return true;
}

/* Reply the state of p, with status (and a message when not 0). */
static void
reply_pool(struct gocspd_op *op, struct gocspd_pool *p, int status,
    const char *why)
{
	Gocsp__PoolInfo pi, *pis[1] = {&pi};
	gocspd_figures_pool(p, &pi);
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	r.pools = pis;
	r.n_pools = 1;
	r.status = status;
	r.error = (char *) why;
	gocspd_op_reply(op, &r);
}

/* A NULL-terminated copy of n strings. */
static char **
copy_strings(char **v, size_t n)
{
	char **c = calloc(n + 1, sizeof(*c));
	for (size_t i = 0; c != NULL && i < n; i++)
		if ((c[i] = strdup(v[i])) == NULL) {
			while (i-- > 0)
				free(c[i]);
			free(c);
			return NULL;
		}
	return c;
}

static void
spec_free(struct gocspd_pool_spec *s)
{
	if (s->in != NULL)
		gocspd_chan_release(s->in);
	if (s->out != NULL)
		gocspd_chan_release(s->out);
	for (char **v = s->argv; v != NULL && *v != NULL; v++)
		free(*v);
	for (char **v = s->env; v != NULL && *v != NULL; v++)
		free(*v);
	free(s->argv);
	free(s->env);
	free(s->name);
	free(s->path);
	free(s->cwd);
}

void
gocspd_op_spawn(struct gocspd_op *op)
{
	Gocsp__Spawn *sp = op->req->spawn;
	if (!may_spawn(op))
		return;
	if (sp->n_argv == 0) {
		gocspd_op_fail(op, GOCSP_EINVAL, "no command to run");
		return;
	}
	struct gocspd_pool_spec spec = {
	    .workers = sp->workers > 0 ? sp->workers : 1,
	    .retries = sp->retries,
	    .timeout = sp->job_timeout_ns > 0 ? sp->job_timeout_ns : 0,
	    .stream = sp->stream,
	    .max_msg = op->limits->max_msg,
	};
	if (sp->pool[0] != '\0') {
		char errors[600];
		snprintf(errors, sizeof(errors), "%.500s.errors", sp->pool);
		if (gocspd_op_check_name(op, sp->pool) != 0 ||
		    gocspd_op_check_name(op, errors) != 0)
			return;
		spec.name = strdup(sp->pool);
	}
	if (gocspd_op_find(op, sp->from) != 0)
		goto out;
	spec.in = op->chan;
	op->chan = NULL;
	if (sp->to[0] != '\0') {
		if (gocspd_op_find(op, sp->to) != 0)
			goto out;
		spec.out = op->chan;
		op->chan = NULL;
	}
	spec.argv = copy_strings(sp->argv, sp->n_argv);
	spec.env = copy_strings(sp->env, sp->n_env);
	spec.cwd = sp->cwd[0] != '\0' ? strdup(sp->cwd) : NULL;
	if (spec.argv == NULL || spec.env == NULL ||
	    (sp->cwd[0] != '\0' && spec.cwd == NULL) ||
	    (sp->pool[0] != '\0' && spec.name == NULL)) {
		gocspd_op_fail(op, GOCSP_ENOMEM, "out of memory");
		goto out;
	}
	int err;
	spec.path = gocspd_proc_resolve(spec.argv[0], spec.env, &err);
	if (spec.path == NULL) {
		gocspd_op_fail(op, GOCSP_ENOENT, "%.200s: %s", spec.argv[0],
		    err == -ENOENT ? "command not found" : strerror(-err));
		goto out;
	}
	struct gocspd_pool *p;
	const char *limit;
	int rc = gocspd_pool_start(&spec, &p, &limit);
	if (rc == GOCSP_EEXIST) {
		gocspd_op_fail(op, rc, "pool '%s' is running", sp->pool);
	} else if (rc == GOCSP_ELIMIT) {
		gocspd_op_fail(op, rc, "limit %s (%u) reached", limit,
		    strcmp(limit, "--max-pools") == 0
		        ? op->limits->max_pools
		        : op->limits->max_workers);
	} else if (rc != 0) {
		gocspd_op_fail(op, rc, "out of memory");
	} else {
		reply_pool(op, p, 0, NULL);
		gocspd_pool_release(p);
		return; /* spec is the pool's */
	}
out:
	spec_free(&spec);
}

/* Find the pool a request names; fails op if there is none. */
static struct gocspd_pool *
find_pool(struct gocspd_op *op, const char *name)
{
	struct gocspd_pool *p = NULL;
	if (gocspd_op_check_name(op, name) == 0 &&
	    gocspd_pool_find(name, &p) != 0)
		gocspd_op_fail(op, GOCSP_ENOENT, "no pool named '%s'", name);
	return p;
}

static void
pool_wait_run(struct gocspd_op *op)
{
	struct gocspd_pool *p = find_pool(op, op->req->pool_wait->pool);
	if (p == NULL)
		return;
	gocsp_case cs[2] = {
	    {.chan = gocspd_pool_finished(p), .op = GOCSP_RECV},
	    {.chan = op->conn->gone, .op = GOCSP_RECV},
	};
	int r = gocsp_select(cs, 2, gocspd_op_timeout(op));
	if (r == 0) {
		gocspd_pool_close_outputs(p);
		reply_pool(op, p, 0, NULL);
	} else if (r == 1) {
		gocspd_op_finish(op);
	} else {
		r = gocspd_op_wait_result(op, r);
		reply_pool(op, p, r,
		    r == GOCSP_EAGAIN ? "the pool is running" : "timed out");
	}
	gocspd_pool_release(p);
}

void
gocspd_op_pool_wait(struct gocspd_op *op)
{
	gocspd_op_block(op, pool_wait_run);
}

void
gocspd_op_pool_kill(struct gocspd_op *op)
{
	const char *name = op->req->pool_kill->pool;
	if (!may_spawn(op) || gocspd_op_check_name(op, name) != 0)
		return;
	if (gocspd_pool_kill(name) != 0) {
		gocspd_op_fail(op, GOCSP_ENOENT, "no pool named '%s'", name);
		return;
	}
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	gocspd_op_reply(op, &r);
}

void
gocspd_op_pools(struct gocspd_op *op)
{
	struct gocspd_pool_figures f;
	if (gocspd_figures_pools(&f) != 0) {
		gocspd_op_fail(op, GOCSP_ENOMEM,
		    "out of memory listing pools");
		return;
	}
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	r.pools = f.ptrs;
	r.n_pools = f.n;
	gocspd_op_reply(op, &r);
	gocspd_figures_pools_free(&f);
}

void
gocspd_op_wg_add(struct gocspd_op *op)
{
	Gocsp__WgAdd *a = op->req->wg_add;
	if (gocspd_op_check_name(op, a->name) != 0)
		return;
	int64_t count;
	int rc = gocspd_wg_add(a->name, a->delta, &count);
	if (rc == GOCSP_EINVAL) {
		gocspd_op_fail(op, rc,
		    "wait group '%s' would go below zero (it is at %lld)",
		    a->name, (long long) count);
	} else if (rc == GOCSP_ELIMIT) {
		gocspd_op_fail(op, rc, "limit --max-waitgroups (%u) reached",
		    op->limits->max_waitgroups);
	} else if (rc != 0) {
		gocspd_op_fail(op, rc, "out of memory");
	} else {
		Gocsp__Reply r = GOCSP__REPLY__INIT;
		r.count = count;
		gocspd_op_reply(op, &r);
	}
}

static void
wg_wait_run(struct gocspd_op *op)
{
	gocsp_chan *zero = gocspd_wg_zero(op->req->wg_wait->name);
	int r = 0;
	if (zero != NULL) {
		gocsp_case cs[2] = {
		    {.chan = zero, .op = GOCSP_RECV},
		    {.chan = op->conn->gone, .op = GOCSP_RECV},
		};
		r = gocsp_select(cs, 2, gocspd_op_timeout(op));
		gocsp_chan_release(zero);
	}
	if (r == 0) {
		Gocsp__Reply rep = GOCSP__REPLY__INIT;
		gocspd_op_reply(op, &rep);
	} else if (r == 1) {
		gocspd_op_finish(op);
	} else {
		r = gocspd_op_wait_result(op, r);
		gocspd_op_fail(op, r, "wait group '%s' is above zero",
		    op->req->wg_wait->name);
	}
}

void
gocspd_op_wg_wait(struct gocspd_op *op)
{
	if (gocspd_op_check_name(op, op->req->wg_wait->name) == 0)
		gocspd_op_block(op, wg_wait_run);
}
