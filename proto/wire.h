/*
 * wire.h: what gocspd and its clients share besides the generated
 * protocol code (gocsp.pb-c.h): the default URL, the SP framing of
 * requests and replies, operation ids, the limits' defaults, channel name
 * rules, bounded decoding, and the one mapping of nng's errors onto
 * GOCSP_E* codes.
 *
 * Internal to the gocsp tree (library gocsp_proto, hidden symbols): the
 * daemon and the client library link it; nothing is installed.
 */
#ifndef GOCSP_WIRE_H
#define GOCSP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "gocsp.pb-c.h"

/* ---------------------------------------------------------------------- */
/* Limits: gocspd's defaults, each configurable on its command line.       */
/* ---------------------------------------------------------------------- */

#define GOCSP_WIRE_MAX_MSG (1u << 20) /* bytes in one value */
#define GOCSP_WIRE_MAX_CHANNELS 4096u
#define GOCSP_WIRE_MAX_QUEUED (64ull << 20) /* value bytes held */
#define GOCSP_WIRE_MAX_OPS 256u             /* outstanding per client */
#define GOCSP_WIRE_MAX_CASES 64u            /* select cases */
#define GOCSP_WIRE_MAX_NAME 255u            /* bytes in a name */
#define GOCSP_WIRE_MAX_CAP (1u << 20)       /* channel capacity */
#define GOCSP_WIRE_MAX_UNACKED 16384u       /* deliveries per client */
#define GOCSP_WIRE_MAX_CLIENTS 4096u
#define GOCSP_WIRE_MAX_BATCH 1024u      /* values in one request */
#define GOCSP_WIRE_MAX_POOLS 16u        /* pools running at once */
#define GOCSP_WIRE_MAX_WORKERS 64u      /* their workers, in all */
#define GOCSP_WIRE_MAX_WAITGROUPS 4096u /* named, above zero */

/*
 * Room a frame needs besides its values (names, cases, protobuf tags): a
 * request or reply is at most max_msg + this.  Clients keep the values of
 * one request within max(one value, GOCSP_WIRE_BATCH_BYTES).
 */
#define GOCSP_WIRE_FRAME_OVERHEAD (128u << 10)
#define GOCSP_WIRE_BATCH_BYTES (64u << 10)

/* ---------------------------------------------------------------------- */
/* URLs                                                                    */
/* ---------------------------------------------------------------------- */

/*
 * The default URL: ipc://$XDG_RUNTIME_DIR/gocsp/gocspd.sock, or
 * ipc:///tmp/gocsp-$UID/gocspd.sock without XDG_RUNTIME_DIR.  $GOCSP_URL
 * is the caller's business (the client library reads it, gocspd does not).
 * @return 0, or -ENAMETOOLONG when buf is too small.
 */
int gocsp__wire_default_url(char *buf, size_t size);

/* Where the system unit (systemd/gocspd.service) has gocspd listen. */
#define GOCSP_WIRE_SYSTEM_URL "ipc:///run/gocsp/gocspd.sock"

/*
 * The URL a client uses when given none: the default URL if a socket is
 * there (the user's own gocspd, started by hand or by the user unit),
 * else system_url if a socket is there (the system-wide gocspd), else the
 * default URL, which the connection error then names.
 * @return 0, or -ENAMETOOLONG when buf is too small.
 */
int gocsp__wire_client_url(char *buf, size_t size, const char *system_url);

/* The filesystem path of an ipc:// URL, or NULL for other schemes. */
const char *gocsp__wire_ipc_path(const char *url);

/* ---------------------------------------------------------------------- */
/* SP framing (the wire format of nng's ipc:// transport)                  */
/* ---------------------------------------------------------------------- */

enum {
	GOCSP_WIRE_PROTO_REQ = 0x30, /* nng req0: clients */
	GOCSP_WIRE_PROTO_REP = 0x31, /* nng rep0: gocspd */
	GOCSP_WIRE_HANDSHAKE = 8,    /* bytes each side sends first */
	GOCSP_WIRE_IPC_HEADER = 9,   /* frame: type 1, then u64 length */
	GOCSP_WIRE_REQID = 4,        /* request id, before the body */
};

/* The 8 bytes a peer of protocol proto sends first. */
void gocsp__wire_handshake(unsigned char out[GOCSP_WIRE_HANDSHAKE],
    uint16_t proto);

/* Whether in is a valid handshake from a peer of protocol proto. */
bool gocsp__wire_handshake_ok(const unsigned char in[GOCSP_WIRE_HANDSHAKE],
    uint16_t proto);

/* The ipc:// frame header for a payload of len bytes. */
void gocsp__wire_ipc_header(unsigned char out[GOCSP_WIRE_IPC_HEADER],
    uint64_t len);

/* Decode an ipc:// frame header: the payload length, or -1 if the header
 * is not a message frame. */
int64_t gocsp__wire_ipc_length(const unsigned char in[GOCSP_WIRE_IPC_HEADER]);

/*
 * The REQ request id that carries op_id: its low 31 bits, with the high
 * bit that ends an SP backtrace; never 0x80000000 alone, which some peers
 * read as no id.
 */
uint32_t gocsp__wire_reqid(uint64_t op_id);

void gocsp__wire_put_u32(unsigned char *p, uint32_t v);
uint32_t gocsp__wire_get_u32(const unsigned char *p);

/* ---------------------------------------------------------------------- */
/* Messages                                                                */
/* ---------------------------------------------------------------------- */

/*
 * A protobuf-c allocator for one decode: blocks come from a few chunks,
 * freed together by gocsp__wire_arena_fini, within a byte budget so that
 * a small frame cannot make a large allocation (RELIABILITY.md).
 */
struct gocsp__wire_arena {
	ProtobufCAllocator allocator;
	size_t left;  /* bytes the decode may still allocate */
	size_t chunk; /* bytes of a new chunk, at least */
	struct gocsp__wire_chunk *chunks;
};

/* Prepare an arena for decoding a frame of frame_len bytes. */
void gocsp__wire_arena_init(struct gocsp__wire_arena *a, size_t frame_len);

/* Free everything decoded with a (free_unpacked is not needed). */
void gocsp__wire_arena_fini(struct gocsp__wire_arena *a);

/* Decode a request (NULL: malformed or over budget) into a. */
Gocsp__Request *gocsp__wire_decode_request(struct gocsp__wire_arena *a,
    const void *data, size_t len);

/* Decode a reply (NULL: malformed); free with
 * gocsp__reply__free_unpacked(reply, NULL).  Its blocks are malloc'd with
 * a byte to spare: a value's data may be taken (data set to NULL) and
 * ended with a NUL, without a copy. */
Gocsp__Reply *gocsp__wire_decode_reply(const void *data, size_t len);

/*
 * A channel name is 1 to max bytes of letters, digits and . _ - : / @ +,
 * not starting with '-' (names travel on command lines).
 * @return NULL if name is valid, else what is wrong with it.
 */
const char *gocsp__wire_name_problem(const char *name, size_t max);

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */
/* ---------------------------------------------------------------------- */

/* The GOCSP_E* code for an nng error (NNG_E*); unknown ones become
 * GOCSP_EPROTO. */
int gocsp__wire_from_nng(int nng_error);

#endif /* GOCSP_WIRE_H */
