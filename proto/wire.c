/*
 * Design notes: the wire layer.
 *
 * Clients speak SP (nng's wire protocol) themselves on ipc:// sockets:
 * libnng starts a dozen threads at first use, which costs a one-shot
 * `gocsp send` about 2 ms (docs/protocol.md).  The framing is small and
 * fixed: an 8-byte handshake each way, then frames of a type byte (1), a
 * 64-bit big-endian length and the payload, whose first 4 bytes are the
 * REQ request id (high bit set).
 *
 * Decoding is bounded: protobuf-c allocates the decoded message with the
 * allocator it is given, and the arena refuses to go beyond a multiple of
 * the frame's size.  The arena is also what makes decoding cheap: a
 * request of 64 values would otherwise cost some 130 mallocs and frees,
 * and the frees of small blocks make glibc consolidate its fast bins at
 * the next large allocation.  Its blocks come from a few chunks, freed
 * together.
 */
#include "wire.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nng/nng.h>

#include <gocsp/gocsp.h>

int
gocsp__wire_default_url(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, size, "ipc://%s/gocsp/gocspd.sock", xdg);
	else
		n = snprintf(buf, size, "ipc:///tmp/gocsp-%u/gocspd.sock",
		    (unsigned) getuid());
	return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

/* Whether a unix socket is at the path of ipc:// url. */
static bool
socket_at(const char *url)
{
	const char *path = gocsp__wire_ipc_path(url);
	struct stat st;
	return path != NULL && stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

int
gocsp__wire_client_url(char *buf, size_t size, const char *system_url)
{
	int rc = gocsp__wire_default_url(buf, size);
	if (rc != 0 || socket_at(buf) || !socket_at(system_url))
		return rc;
	if (strlen(system_url) >= size)
		return -ENAMETOOLONG;
	memcpy(buf, system_url, strlen(system_url) + 1);
	return 0;
}

const char *
gocsp__wire_ipc_path(const char *url)
{
	static const char scheme[] = "ipc://";
	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return NULL;
	return url + sizeof(scheme) - 1;
}

void
gocsp__wire_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char) (v >> 24);
	p[1] = (unsigned char) (v >> 16);
	p[2] = (unsigned char) (v >> 8);
	p[3] = (unsigned char) v;
}

uint32_t
gocsp__wire_get_u32(const unsigned char *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 |
	    (uint32_t) p[2] << 8 | p[3];
}

void
gocsp__wire_handshake(unsigned char out[GOCSP_WIRE_HANDSHAKE], uint16_t proto)
{
	memset(out, 0, GOCSP_WIRE_HANDSHAKE);
	out[1] = 'S';
	out[2] = 'P';
	out[4] = (unsigned char) (proto >> 8);
	out[5] = (unsigned char) proto;
}

bool
gocsp__wire_handshake_ok(const unsigned char in[GOCSP_WIRE_HANDSHAKE],
    uint16_t proto)
{
	unsigned char want[GOCSP_WIRE_HANDSHAKE];
	gocsp__wire_handshake(want, proto);
	return memcmp(in, want, sizeof(want)) == 0;
}

void
gocsp__wire_ipc_header(unsigned char out[GOCSP_WIRE_IPC_HEADER], uint64_t len)
{
	out[0] = 1;
	for (int i = 0; i < 8; i++)
		out[1 + i] = (unsigned char) (len >> (56 - 8 * i));
}

int64_t
gocsp__wire_ipc_length(const unsigned char in[GOCSP_WIRE_IPC_HEADER])
{
	if (in[0] != 1)
		return -1;
	uint64_t len = 0;
	for (int i = 0; i < 8; i++)
		len = len << 8 | in[1 + i];
	return len > INT64_MAX ? -1 : (int64_t) len;
}

uint32_t
gocsp__wire_reqid(uint64_t op_id)
{
	uint32_t low = (uint32_t) op_id & 0x7fffffffu;
	return 0x80000000u | (low != 0 ? low : 1);
}

/* ---------------------------------------------------------------------- */

/* Blocks are rounded to this, which keeps every block aligned. */
#define ARENA_ALIGN 16
/* The smallest chunk: the top structures of a small request. */
#define ARENA_MIN_CHUNK 1024

struct gocsp__wire_chunk {
	struct gocsp__wire_chunk *next;
	size_t size, used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

static void *
arena_alloc(void *arg, size_t size)
{
	struct gocsp__wire_arena *a = arg;
	size = (size + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1);
	if (size > a->left)
		return NULL;
	struct gocsp__wire_chunk *c = a->chunks;
	if (c == NULL || c->size - c->used < size) {
		/* Enough for the rest of a typical decode at once. */
		size_t want = size > a->chunk ? size : a->chunk;
		if ((c = malloc(sizeof(*c) + want)) == NULL)
			return NULL;
		c->next = a->chunks;
		c->size = want;
		c->used = 0;
		a->chunks = c;
	}
	a->left -= size;
	void *p = c->data + c->used;
	c->used += size;
	return p;
}

/* Blocks go back with their arena. */
static void
arena_free(void *arg, void *ptr)
{
	(void) arg;
	(void) ptr;
}

void
gocsp__wire_arena_init(struct gocsp__wire_arena *a, size_t frame_len)
{
	/* A decoded message needs its structures besides its bytes: a
	 * one-byte value costs 2 bytes of frame and ~40 decoded (its
	 * ProtobufCBinaryData and its bytes, rounded), a select case ~6
	 * and ~120, a packed ack 1 and 8.  32x the frame, plus room for the
	 * top structures, covers every valid request; the frame itself is
	 * bounded by the transport (--max-msg + GOCSP_WIRE_FRAME_OVERHEAD). */
	a->allocator.alloc = arena_alloc;
	a->allocator.free = arena_free;
	a->allocator.allocator_data = a;
	a->left = 32 * frame_len + (64 << 10);
	a->chunks = NULL;
	a->chunk = 2 * frame_len + ARENA_MIN_CHUNK;
}

void
gocsp__wire_arena_fini(struct gocsp__wire_arena *a)
{
	while (a->chunks != NULL) {
		struct gocsp__wire_chunk *c = a->chunks;
		a->chunks = c->next;
		free(c);
	}
}

Gocsp__Request *
gocsp__wire_decode_request(struct gocsp__wire_arena *a, const void *data,
    size_t len)
{
	return gocsp__request__unpack(&a->allocator, len, data);
}

/* malloc, with a byte to spare at the end of every block. */
static void *
spare_alloc(void *arg, size_t size)
{
	(void) arg;
	return malloc(size + 1);
}

static void
spare_free(void *arg, void *ptr)
{
	(void) arg;
	free(ptr);
}

static ProtobufCAllocator spare_allocator = {.alloc = spare_alloc,
    .free = spare_free};

Gocsp__Reply *
gocsp__wire_decode_reply(const void *data, size_t len)
{
	return gocsp__reply__unpack(&spare_allocator, len, data);
}

const char *
gocsp__wire_name_problem(const char *name, size_t max)
{
	if (name == NULL || name[0] == '\0')
		return "the name is empty";
	if (name[0] == '-')
		return "a name may not start with '-'";
	size_t n = 0;
	for (const char *p = name; *p != '\0'; p++, n++) {
		char c = *p;
		if (n >= max)
			return "the name is too long";
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') ||
		        strchr("._-:/@+", c) != NULL))
			return "a name may hold only letters, digits and . _ - "
			       ": / @ +";
	}
	return NULL;
}

int
gocsp__wire_from_nng(int err)
{
	switch (err) {
	case 0:
		return 0;
	case NNG_EAGAIN:
		return GOCSP_EAGAIN;
	case NNG_ETIMEDOUT:
		return GOCSP_ETIMEDOUT;
	case NNG_ECANCELED:
		return GOCSP_ECANCELED;
	case NNG_ENOMEM:
		return GOCSP_ENOMEM;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
	case NNG_ENOTSUP:
		return GOCSP_EINVAL;
	case NNG_EPERM:
	case NNG_EPEERAUTH:
	case NNG_ECRYPTO:
		return GOCSP_EPERM;
	case NNG_ENOENT:
		return GOCSP_ENOENT;
	case NNG_EADDRINUSE:
		return GOCSP_EEXIST;
	case NNG_ECONNREFUSED:
	case NNG_EUNREACHABLE:
		return GOCSP_ECONNREFUSED;
	case NNG_ECLOSED:
	case NNG_ECONNRESET:
	case NNG_ECONNSHUT:
	case NNG_ECONNABORTED:
		return GOCSP_ECONNRESET;
	case NNG_EMSGSIZE:
		return GOCSP_ELIMIT;
	default:
		return GOCSP_EPROTO;
	}
}
