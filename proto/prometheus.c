/*
 * Design notes: the families are tables, one per kind of object (the
 * daemon, a channel, a pool), each row a name, a type, a help line and
 * the field it reads; a family's samples are written together, one per
 * object, as the format requires.  Names follow Prometheus's conventions:
 * the gocsp_ prefix, _total on counters, _bytes on sizes.  The values are
 * the protocol's own (integers), so the daemon and the client write the
 * same text from the same messages.
 */
#include "prometheus.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

struct family {
	const char *name, *type, *help;
	uint64_t (*value)(const void *obj);
};

/* X(name, field, type, help) of each kind of object. */
#define SERVER_FAMILIES(X)                                     \
	X(clients, clients, "gauge", "Clients connected now.") \
	X(channels, channels, "gauge", "Named channels now.")  \
	X(queued_bytes, queued_bytes, "gauge",                 \
	    "Bytes of the values gocspd holds.")               \
	X(requests_total, requests, "counter",                 \
	    "Requests handled since gocspd started.")          \
	X(coroutines, coroutines, "gauge",                     \
	    "Coroutines on gocspd's scheduler now.")           \
	X(maxprocs, maxprocs, "gauge",                         \
	    "Worker threads of gocspd's scheduler (GOMAXPROCS).")

#define CHAN_FAMILIES(X)                                                  \
	X(capacity, cap, "gauge",                                         \
	    "Values the channel buffers (0: unbuffered).")                \
	X(length, len, "gauge", "Values buffered now.")                   \
	X(closed, closed, "gauge", "1 once the channel is closed.")       \
	X(recv_waiting, recv_waiting, "gauge",                            \
	    "Receive operations blocked on the channel.")                 \
	X(send_waiting, send_waiting, "gauge",                            \
	    "Send operations blocked on the channel.")                    \
	X(in_flight, in_flight, "gauge",                                  \
	    "Values delivered, not yet acknowledged.")                    \
	X(sent_total, sent, "counter", "Values accepted by the channel.") \
	X(received_total, received, "counter",                            \
	    "Values received and acknowledged.")                          \
	X(redelivered_total, redelivered, "counter",                      \
	    "Deliveries put back because their client went.")

#define POOL_FAMILIES(X)                                                    \
	X(workers, workers, "gauge", "Worker processes of the pool.")       \
	X(running, running, "gauge", "Jobs under way.")                     \
	X(queued, queued, "gauge", "Values waiting in the pool's input.")   \
	X(done_total, done, "counter", "Jobs done.")                        \
	X(failed_total, failed, "counter",                                  \
	    "Jobs given up after their retries (reported on POOL.errors).") \
	X(retried_total, retried, "counter", "Attempts beyond a job's first.")

/* uint64_t ChanInfo_len(const void *o) and the like, a getter per row. */
#define GETTER(kind, field)                                           \
	static uint64_t kind##_##field(const void *o)                 \
	{                                                             \
		return (uint64_t) ((const Gocsp__##kind *) o)->field; \
	}
#define SERVER_GETTER(name, field, type, help) GETTER(ServerInfo, field)
#define CHAN_GETTER(name, field, type, help) GETTER(ChanInfo, field)
#define POOL_GETTER(name, field, type, help) GETTER(PoolInfo, field)
SERVER_FAMILIES(SERVER_GETTER)
CHAN_FAMILIES(CHAN_GETTER)
POOL_FAMILIES(POOL_GETTER)

#define SERVER_ROW(name, field, type, help) \
	{#name, type, help, ServerInfo_##field},
#define CHAN_ROW(name, field, type, help) \
	{#name, type, help, ChanInfo_##field},
#define POOL_ROW(name, field, type, help) \
	{#name, type, help, PoolInfo_##field},
static const struct family server_families[] = {SERVER_FAMILIES(SERVER_ROW)};
static const struct family chan_families[] = {CHAN_FAMILIES(CHAN_ROW)};
static const struct family pool_families[] = {POOL_FAMILIES(POOL_ROW)};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A label value: backslash, double quote and newline escaped. */
static void
label_value(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One family per row of fams, a sample per object labelled label="name". */
static void
families(FILE *f, const char *prefix, const struct family *fams, size_t nfams,
    const char *label, const void *const *objs, size_t nobjs,
    const char *(*name_of)(const void *) )
{
	char name[128];
	for (const struct family *fam = fams; fam < fams + nfams; fam++) {
		snprintf(name, sizeof(name), "%s%s", prefix, fam->name);
		head(f, name, fam->type, fam->help);
		for (size_t i = 0; i < nobjs; i++) {
			fprintf(f, "%s{%s=\"", name, label);
			label_value(f, name_of(objs[i]));
			fprintf(f, "\"} %" PRIu64 "\n", fam->value(objs[i]));
		}
	}
}

static const char *
chan_name(const void *o)
{
	return ((const Gocsp__ChanInfo *) o)->name;
}

static const char *
pool_name(const void *o)
{
	return ((const Gocsp__PoolInfo *) o)->name;
}

static void
server(FILE *f, const Gocsp__ServerInfo *s)
{
	head(f, "gocsp_info", "gauge", "gocspd's version, as a label.");
	fputs("gocsp_info{version=\"", f);
	label_value(f, s->version);
	fputs("\"} 1\n", f);
	char name[128];
	for (size_t i = 0; i < NELEMS(server_families); i++) {
		const struct family *fam = &server_families[i];
		snprintf(name, sizeof(name), "gocsp_%s", fam->name);
		head(f, name, fam->type, fam->help);
		fprintf(f, "%s %" PRIu64 "\n", name, fam->value(s));
	}
}

static void
pools(FILE *f, Gocsp__PoolInfo *const *ps, size_t n)
{
	head(f, "gocsp_pool_info", "gauge",
	    "A pool's input and output channels and state, as labels.");
	for (size_t i = 0; i < n; i++) {
		static const char *const labels[] = {"pool", "from", "to",
		    "state"};
		const char *values[] = {ps[i]->name, ps[i]->from, ps[i]->to,
		    ps[i]->state};
		fputs("gocsp_pool_info{", f);
		for (size_t k = 0; k < NELEMS(labels); k++) {
			fprintf(f, "%s%s=\"", k > 0 ? "," : "", labels[k]);
			label_value(f, values[k]);
			fputc('"', f);
		}
		fputs("} 1\n", f);
	}
	families(f, "gocsp_pool_", pool_families, NELEMS(pool_families),
	    "pool", (const void *const *) ps, n, pool_name);
}

int
gocsp__prometheus_write(FILE *f, const struct gocsp__metrics *m)
{
	server(f, m->server);
	families(f, "gocsp_channel_", chan_families, NELEMS(chan_families),
	    "channel", (const void *const *) m->chans, m->nchans, chan_name);
	pools(f, m->pools, m->npools);
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

int
gocsp__prometheus_text(const struct gocsp__metrics *m, char **text,
    size_t *len)
{
	*text = NULL;
	*len = 0;
	FILE *f = open_memstream(text, len);
	if (f == NULL)
		return -1;
	int rc = gocsp__prometheus_write(f, m);
	if (fclose(f) != 0 || rc != 0) {
		free(*text);
		*text = NULL;
		*len = 0;
		return -1;
	}
	return 0;
}
