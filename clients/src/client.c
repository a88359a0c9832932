/*
 * Design notes: the public calls of gocsp/client.h.
 *
 * Each call builds one Request, runs it on the client's session
 * (session.c) and turns the Reply into the call's results.  A session
 * that broke is replaced by the next call that needs one; calls already
 * under way on the old one have failed with GOCSP_ECONNRESET.  Two calls
 * racing to reconnect both connect, and the second to finish uses the
 * first one's session.
 *
 * Batches are cut to the daemon's limits, learnt when connecting: at most
 * its --max-batch values and about GOCSP_WIRE_BATCH_BYTES per request (a
 * larger value goes alone), so that no frame exceeds what it accepts.
 */
#include <gocsp/client.h>

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "session.h"
#include "wire.h"

struct gocsp_client { /* call.h */
	char url[PATH_MAX + 16];
	pthread_mutex_t lock;           /* session and last_error */
	struct gocsp__session *session; /* NULL: connect on next call */
	_Atomic int64_t ack_delay;      /* for sessions to come */
	char last_error[512];
};

/* Acknowledgements wait this long for a request to carry them. */
#define DEFAULT_ACK_DELAY GOCSP_MS(20)

void
gocsp__client_error(gocsp_client *cl, const char *fmt, ...)
{
	char buf[sizeof(cl->last_error)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&cl->lock);
	memcpy(cl->last_error, buf, sizeof(buf));
	pthread_mutex_unlock(&cl->lock);
}

size_t
gocsp_client_last_error(gocsp_client *cl, char *buf, size_t size)
{
	pthread_mutex_lock(&cl->lock);
	size_t n = strlen(cl->last_error);
	if (size > 0)
		snprintf(buf, size, "%s", cl->last_error);
	pthread_mutex_unlock(&cl->lock);
	return n;
}

/* A live session, with a reference: the current one, or a new one. */
static int
get_session(gocsp_client *cl, struct gocsp__session **out)
{
	pthread_mutex_lock(&cl->lock);
	struct gocsp__session *s = cl->session;
	if (s != NULL && !gocsp__session_broken(s)) {
		gocsp__session_retain(s);
		pthread_mutex_unlock(&cl->lock);
		*out = s;
		return 0;
	}
	pthread_mutex_unlock(&cl->lock);

	char why[256];
	struct gocsp__session *fresh;
	int rc = gocsp__session_open(&fresh, cl->url,
	    atomic_load(&cl->ack_delay), why, sizeof(why));
	if (rc != 0) {
		gocsp__client_error(cl, "%s", why);
		return rc;
	}
	struct gocsp__session *old = NULL;
	pthread_mutex_lock(&cl->lock);
	if (cl->session == s) { /* nobody replaced it meanwhile */
		old = s;
		cl->session = fresh;
	} else {
		old = fresh;
	}
	s = cl->session;
	gocsp__session_retain(s);
	pthread_mutex_unlock(&cl->lock);
	if (old != NULL)
		gocsp__session_release(old);
	*out = s;
	return 0;
}

/* The daemon's limits (the protocol's defaults if it cannot be reached:
 * the call that follows reports that). */
static struct gocsp__server_limits
limits_of(gocsp_client *cl)
{
	struct gocsp__server_limits l = {GOCSP_WIRE_MAX_MSG,
	    GOCSP_WIRE_MAX_BATCH};
	struct gocsp__session *s;
	if (get_session(cl, &s) == 0) {
		gocsp__session_limits(s, &l);
		gocsp__session_release(s);
	}
	return l;
}

int
gocsp__client_call(gocsp_client *cl, Gocsp__Request *req, int64_t timeout,
    Gocsp__Reply **reply)
{
	*reply = NULL;
	struct gocsp__session *s;
	int rc = get_session(cl, &s);
	if (rc != 0)
		return rc;
	req->timeout_ns = timeout < 0 ? -1 : timeout;
	rc = gocsp__session_call(s, req, reply);
	gocsp__session_release(s);
	if (rc != 0) {
		gocsp__client_error(cl, "%s",
		    rc == GOCSP_ETIMEDOUT
		        ? "gocspd did not answer in time: connection dropped"
		        : rc == GOCSP_EPROTO
		        ? "gocspd sent a reply that does not decode"
		        : "connection to gocspd lost");
		return rc;
	}
	Gocsp__Reply *r = *reply;
	if (r->status == 0)
		return 0;
	rc = r->status < 0 ? r->status : GOCSP_EPROTO;
	gocsp__client_error(cl, "%s",
	    r->error != NULL && r->error[0] != '\0' ? r->error
	                                            : gocsp_strerror(rc));
	return rc;
}

void
gocsp__client_reply_free(Gocsp__Reply *r)
{
	if (r != NULL)
		gocsp__reply__free_unpacked(r, NULL);
}

/* A value of a decoded reply as a malloc'd block with a NUL after it,
 * taken from the reply (its spare byte: gocsp__wire_decode_reply), or
 * NULL when out of memory. */
static void *
take_value(ProtobufCBinaryData *v)
{
	char *p = (char *) v->data;
	if (p == NULL) /* empty */
		p = malloc(1);
	if (p != NULL)
		p[v->len] = '\0';
	v->data = NULL;
	return p;
}

int
gocsp__client_check_name(gocsp_client *cl, const char *name)
{
	const char *problem =
	    gocsp__wire_name_problem(name, GOCSP_WIRE_MAX_NAME);
	if (problem == NULL)
		return 0;
	gocsp__client_error(cl, "invalid channel name '%.64s': %s",
	    name ? name : "", problem);
	return GOCSP_EINVAL;
}

/* ---------------------------------------------------------------------- */

int
gocsp_client_url(char *buf, size_t size, const char *url)
{
	if (url == NULL || url[0] == '\0')
		url = getenv("GOCSP_URL");
	if (url != NULL && url[0] != '\0') {
		if (strlen(url) >= size)
			return GOCSP_EINVAL;
		memcpy(buf, url, strlen(url) + 1);
		return 0;
	}
	return gocsp__wire_client_url(buf, size, GOCSP_WIRE_SYSTEM_URL) == 0
	    ? 0
	    : GOCSP_EINVAL;
}

int
gocsp_client_dial(gocsp_client **out, const char *url, char *why, size_t size)
{
	if (why != NULL && size > 0)
		why[0] = '\0';
	if (out == NULL)
		return GOCSP_EINVAL;
	*out = NULL;
	gocsp_client *cl = calloc(1, sizeof(*cl));
	if (cl == NULL)
		return GOCSP_ENOMEM;
	pthread_mutex_init(&cl->lock, NULL);
	atomic_init(&cl->ack_delay, DEFAULT_ACK_DELAY);
	int rc = gocsp_client_url(cl->url, sizeof(cl->url), url);
	if (rc != 0)
		gocsp__client_error(cl, "the URL is too long");
	struct gocsp__session *s;
	if (rc == 0 && (rc = get_session(cl, &s)) == 0) {
		gocsp__session_release(s);
		*out = cl;
		return 0;
	}
	if (why != NULL)
		gocsp_client_last_error(cl, why, size);
	gocsp_client_close(cl);
	return rc;
}

int
gocsp_client_open(gocsp_client **out, const char *url)
{
	return gocsp_client_dial(out, url, NULL, 0);
}

void
gocsp_client_set_ack_delay(gocsp_client *cl, int64_t delay)
{
	delay = delay < 0 ? GOCSP_FOREVER : delay;
	atomic_store(&cl->ack_delay, delay);
	pthread_mutex_lock(&cl->lock);
	if (cl->session != NULL)
		gocsp__session_set_ack_delay(cl->session, delay);
	pthread_mutex_unlock(&cl->lock);
}

void
gocsp_client_close(gocsp_client *cl)
{
	if (cl == NULL)
		return;
	if (cl->session != NULL)
		gocsp__session_release(cl->session);
	pthread_mutex_destroy(&cl->lock);
	free(cl);
}

int
gocsp_client_make(gocsp_client *cl, const char *name, uint32_t cap)
{
	int rc = gocsp__client_check_name(cl, name);
	if (rc != 0)
		return rc;
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__Make m = GOCSP__MAKE__INIT;
	m.name = (char *) name;
	m.cap = cap;
	req.op_case = GOCSP__REQUEST__OP_MAKE;
	req.make = &m;
	Gocsp__Reply *r;
	rc = gocsp__client_call(cl, &req, 0, &r);
	gocsp__client_reply_free(r);
	return rc;
}

/* Send one request with values[0..n): *sent of them went. */
static int
send_values(gocsp_client *cl, const char *name, ProtobufCBinaryData *values,
    size_t n, size_t *sent, int64_t timeout)
{
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__Send s = GOCSP__SEND__INIT;
	s.name = (char *) name;
	s.values = values;
	s.n_values = n;
	req.op_case = GOCSP__REQUEST__OP_SEND;
	req.send = &s;
	Gocsp__Reply *r;
	int rc = gocsp__client_call(cl, &req, timeout, &r);
	*sent = r != NULL && r->sent <= n ? r->sent : 0;
	gocsp__client_reply_free(r);
	return rc;
}

int
gocsp_client_send(gocsp_client *cl, const char *name, const void *data,
    size_t len, int64_t timeout)
{
	int rc = gocsp__client_check_name(cl, name);
	if (rc != 0)
		return rc;
	ProtobufCBinaryData v = {.len = len, .data = (uint8_t *) data};
	size_t sent;
	return send_values(cl, name, &v, 1, &sent, timeout);
}

/* The time left until deadline for a call: timeouts stay as they are. */
static int64_t
left_until(int64_t deadline)
{
	if (deadline <= 0)
		return deadline;
	int64_t left = deadline - gocsp_now();
	return left > 0 ? left : 0;
}

int
gocsp_client_send_many(gocsp_client *cl, const char *name,
    const gocsp_client_msg *msgs, size_t n, size_t *sent, int64_t timeout)
{
	size_t done = 0;
	int rc = gocsp__client_check_name(cl, name);
	if (rc == 0 && n > 0 && msgs == NULL)
		rc = GOCSP_EINVAL;
	size_t batch = limits_of(cl).max_batch;
	size_t most = n < batch ? n : batch;
	ProtobufCBinaryData *values = NULL;
	if (rc == 0 && (values = malloc(most * sizeof(*values) + 1)) == NULL)
		rc = GOCSP_ENOMEM;
	int64_t deadline = timeout > 0 ? gocsp_now() + timeout : timeout;
	while (rc == 0 && done < n) {
		size_t k = 0, bytes = 0, went;
		while (done + k < n && k < batch &&
		    (k == 0 ||
		        bytes + msgs[done + k].len <=
		            GOCSP_WIRE_BATCH_BYTES)) {
			values[k].data = msgs[done + k].data;
			values[k].len = msgs[done + k].len;
			bytes += values[k].len;
			k++;
		}
		rc = send_values(cl, name, values, k, &went,
		    left_until(deadline));
		done += went;
	}
	free(values);
	if (sent != NULL)
		*sent = done;
	return rc;
}

/* Receive up to max values into msgs; *n of them. */
static int
recv_values(gocsp_client *cl, const char *name, gocsp_client_msg *msgs,
    size_t max, size_t *n, int64_t timeout)
{
	*n = 0;
	int rc = gocsp__client_check_name(cl, name);
	if (rc != 0)
		return rc;
	if (max == 0 || msgs == NULL)
		return GOCSP_EINVAL;
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__Recv rv = GOCSP__RECV__INIT;
	rv.name = (char *) name;
	/* "Up to max": no more than the daemon hands out at once. */
	uint32_t batch = limits_of(cl).max_batch;
	rv.max = max > batch ? batch : (uint32_t) max;
	req.op_case = GOCSP__REQUEST__OP_RECV;
	req.recv = &rv;
	Gocsp__Reply *r;
	rc = gocsp__client_call(cl, &req, timeout, &r);
	if (rc == 0 && (r->n_deliveries == 0 || r->n_deliveries > max)) {
		gocsp__client_error(cl,
		    "gocspd replied %zu values to a receive", r->n_deliveries);
		rc = GOCSP_EPROTO;
	}
	for (size_t i = 0; rc == 0 && i < r->n_deliveries; i++) {
		ProtobufCBinaryData *v = &r->deliveries[i]->value;
		if ((msgs[i].data = take_value(v)) == NULL) {
			while (i-- > 0)
				free(msgs[i].data);
			rc = GOCSP_ENOMEM;
			break;
		}
		msgs[i].len = v->len;
	}
	if (rc == 0)
		*n = r->n_deliveries;
	gocsp__client_reply_free(r);
	return rc;
}

int
gocsp_client_recv(gocsp_client *cl, const char *name, void **data, size_t *len,
    int64_t timeout)
{
	gocsp_client_msg m = {NULL, 0};
	size_t n;
	int rc = recv_values(cl, name, &m, 1, &n, timeout);
	if (data != NULL)
		*data = m.data;
	else
		free(m.data);
	if (len != NULL)
		*len = m.len;
	return rc;
}

int
gocsp_client_recv_many(gocsp_client *cl, const char *name,
    gocsp_client_msg *msgs, size_t max, size_t *n, int64_t timeout)
{
	size_t got = 0;
	int rc = recv_values(cl, name, msgs, max, &got, timeout);
	if (n != NULL)
		*n = got;
	return rc;
}

/* A request naming one channel: close, remove. */
static int
name_call(gocsp_client *cl, const char *name, Gocsp__Request *req)
{
	int rc = gocsp__client_check_name(cl, name);
	if (rc != 0)
		return rc;
	Gocsp__Reply *r;
	rc = gocsp__client_call(cl, req, 0, &r);
	gocsp__client_reply_free(r);
	return rc;
}

int
gocsp_client_chan_close(gocsp_client *cl, const char *name)
{
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__Close c = GOCSP__CLOSE__INIT;
	c.name = (char *) name;
	req.op_case = GOCSP__REQUEST__OP_CLOSE;
	req.close = &c;
	return name_call(cl, name, &req);
}

int
gocsp_client_remove(gocsp_client *cl, const char *name)
{
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__Remove m = GOCSP__REMOVE__INIT;
	m.name = (char *) name;
	req.op_case = GOCSP__REQUEST__OP_REMOVE;
	req.remove = &m;
	return name_call(cl, name, &req);
}

int
gocsp_client_select(gocsp_client *cl, gocsp_client_case *cases, size_t n,
    int64_t timeout)
{
	if (n > 0 && cases == NULL)
		return GOCSP_EINVAL;
	Gocsp__Case *cs = calloc(n + 1, sizeof(*cs));
	Gocsp__Case **ptrs = calloc(n + 1, sizeof(*ptrs));
	int rc = cs != NULL && ptrs != NULL ? 0 : GOCSP_ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if ((rc = gocsp__client_check_name(cl, cases[i].name)) != 0)
			break;
		if (cases[i].op != GOCSP_SEND && cases[i].op != GOCSP_RECV) {
			gocsp__client_error(cl,
			    "select case %zu: op must be GOCSP_SEND "
			    "or GOCSP_RECV",
			    i);
			rc = GOCSP_EINVAL;
			break;
		}
		gocsp__case__init(&cs[i]);
		cs[i].name = (char *) cases[i].name;
		cs[i].send = cases[i].op == GOCSP_SEND;
		cs[i].value.data = (uint8_t *) cases[i].data;
		cs[i].value.len = cs[i].send ? cases[i].len : 0;
		ptrs[i] = &cs[i];
	}
	Gocsp__Reply *r = NULL;
	if (rc == 0) {
		Gocsp__Request req = GOCSP__REQUEST__INIT;
		Gocsp__Select sel = GOCSP__SELECT__INIT;
		sel.cases = ptrs;
		sel.n_cases = n;
		req.op_case = GOCSP__REQUEST__OP_SELECT;
		req.select = &sel;
		rc = gocsp__client_call(cl, &req, timeout, &r);
	}
	if (rc == 0 && (r->index < 0 || (size_t) r->index >= n)) {
		gocsp__client_error(cl, "gocspd chose select case %d of %zu",
		    r->index, n);
		rc = GOCSP_EPROTO;
	}
	if (rc == 0) {
		gocsp_client_case *k = &cases[r->index];
		k->ok = r->ok;
		k->out = NULL;
		k->out_len = 0;
		if (k->op == GOCSP_RECV && r->ok) {
			if (r->n_deliveries != 1) {
				gocsp__client_error(cl,
				    "gocspd's select reply carries "
				    "%zu values",
				    r->n_deliveries);
				rc = GOCSP_EPROTO;
			} else if ((k->out = take_value(
			                &r->deliveries[0]->value)) == NULL) {
				rc = GOCSP_ENOMEM;
			} else {
				k->out_len = r->deliveries[0]->value.len;
			}
		}
		if (rc == 0)
			rc = r->index;
	}
	gocsp__client_reply_free(r);
	free(cs);
	free(ptrs);
	return rc;
}

static void
info_of(const Gocsp__ChanInfo *ci, gocsp_client_chan_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", ci->name);
	info->cap = ci->cap;
	info->len = ci->len;
	info->closed = ci->closed;
	info->recv_waiting = ci->recv_waiting;
	info->send_waiting = ci->send_waiting;
	info->sent = ci->sent;
	info->received = ci->received;
	info->redelivered = ci->redelivered;
	info->in_flight = ci->in_flight;
}

int
gocsp_client_stat(gocsp_client *cl, const char *name,
    gocsp_client_chan_info *info)
{
	int rc = gocsp__client_check_name(cl, name);
	if (rc != 0)
		return rc;
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__Stat st = GOCSP__STAT__INIT;
	st.name = (char *) name;
	req.op_case = GOCSP__REQUEST__OP_STAT;
	req.stat = &st;
	Gocsp__Reply *r;
	rc = gocsp__client_call(cl, &req, 0, &r);
	if (rc == 0 && r->n_chans != 1) {
		gocsp__client_error(cl,
		    "gocspd's stat reply describes %zu channels", r->n_chans);
		rc = GOCSP_EPROTO;
	}
	if (rc == 0 && info != NULL)
		info_of(r->chans[0], info);
	gocsp__client_reply_free(r);
	return rc;
}

int
gocsp_client_list(gocsp_client *cl, gocsp_client_chan_info **infos, size_t *n)
{
	if (infos == NULL || n == NULL)
		return GOCSP_EINVAL;
	*infos = NULL;
	*n = 0;
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__List l = GOCSP__LIST__INIT;
	req.op_case = GOCSP__REQUEST__OP_LIST;
	req.list = &l;
	Gocsp__Reply *r;
	int rc = gocsp__client_call(cl, &req, 0, &r);
	if (rc == 0 && r->n_chans > 0) {
		if ((*infos = calloc(r->n_chans, sizeof(**infos))) == NULL) {
			rc = GOCSP_ENOMEM;
		} else {
			for (size_t i = 0; i < r->n_chans; i++)
				info_of(r->chans[i], &(*infos)[i]);
			*n = r->n_chans;
		}
	}
	gocsp__client_reply_free(r);
	return rc;
}

int
gocsp_client_ping(gocsp_client *cl, gocsp_client_server_info *info)
{
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__Ping p = GOCSP__PING__INIT;
	req.op_case = GOCSP__REQUEST__OP_PING;
	req.ping = &p;
	Gocsp__Reply *r;
	int rc = gocsp__client_call(cl, &req, 0, &r);
	if (rc == 0 && info != NULL) {
		memset(info, 0, sizeof(*info));
		if (r->server != NULL) {
			snprintf(info->version, sizeof(info->version), "%s",
			    r->server->version);
			info->pid = r->server->pid;
			info->clients = r->server->clients;
			info->channels = r->server->channels;
			info->queued_bytes = r->server->queued_bytes;
			info->max_msg = r->server->max_msg;
			info->max_batch = r->server->max_batch;
			info->requests = r->server->requests;
		}
	}
	gocsp__client_reply_free(r);
	return rc;
}
