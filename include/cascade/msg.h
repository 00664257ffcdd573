/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Messages on the segment's rings. Every message is a fixed-size struct with
 * explicit padding; multi-byte protocol values (ports, SSRCs on the wire) are
 * named _be when in network order, otherwise host order. The segment header
 * records sizeof() of each so that a peer built from another ABI is refused.
 *
 * Commands carry a request id chosen by the sender; the dataplane answers each
 * with exactly one reply carrying the same id. Object ids (transport, producer,
 * consumer) are chosen by the control plane and make commands idempotent: an
 * add of an existing id with the same parameters succeeds, with different
 * parameters fails with EEXIST; a delete of an unknown id fails with ENOENT.
 *
 * Pipes (DESIGN.md 2): a node's pipe port is one transport with
 * CASCADE_TRANSPORT_PIPE, shared by every room and every peer node. It takes
 * RTP/RTCP from any source (its producers, the pipe producers, are found by
 * SSRC alone) and has no remote of its own: each consumer on it carries its
 * own destination (the peer node's pipe address) in cascade_cmd_consumer.remote.
 */
#ifndef CASCADE_MSG_H
#define CASCADE_MSG_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 or IPv6 address and UDP port. IPv4 uses ip[0..3]. */
struct cascade_addr {
	uint8_t family; /* CASCADE_AF_* */
	uint8_t pad;
	uint16_t port_be; /* UDP port, network order; 0 = none/unknown */
	uint8_t ip[16];   /* network order */
};
static_assert(sizeof(struct cascade_addr) == 20, "cascade_addr layout");

enum {
	CASCADE_AF_NONE = 0,
	CASCADE_AF_INET = 4,
	CASCADE_AF_INET6 = 6,
};

enum cascade_cmd_type {
	CASCADE_CMD_PING = 1,
	CASCADE_CMD_TRANSPORT_ADD,
	CASCADE_CMD_TRANSPORT_CONNECT,
	CASCADE_CMD_TRANSPORT_DEL,
	CASCADE_CMD_PRODUCER_ADD,
	CASCADE_CMD_PRODUCER_DEL,
	CASCADE_CMD_PRODUCER_PAUSE,
	CASCADE_CMD_CONSUMER_ADD,
	CASCADE_CMD_CONSUMER_DEL,
	CASCADE_CMD_CONSUMER_PAUSE,
	CASCADE_CMD_FLUSH,
	CASCADE_CMD_TRANSPORT_SRTP, /* struct cascade_cmd_transport_srtp: set SRTP keys */
	CASCADE_CMD_PIPE_SRTP,      /* struct cascade_cmd_pipe_srtp: a pipe stream's SRTP key */
	CASCADE_CMD_MAX,
};

enum {
	CASCADE_TRANSPORT_COMEDIA = 1 << 0,  /* learn the remote tuple from the first packet */
	CASCADE_TRANSPORT_RTCP_MUX = 1 << 1, /* RTP and RTCP share the port (RFC 5761) */
	/*
	 * A node's pipe port: accepts packets from any source, never learns, has no
	 * remote (remote, remote_rtcp and remote_mac stay zero; connect is refused);
	 * each consumer on it names its own remote. Requires RTCP_MUX, excludes COMEDIA.
	 */
	CASCADE_TRANSPORT_PIPE = 1 << 2,
};

/*
 * SRTP crypto suites (mediasoup's names, RFC 4568 / RFC 7714), numbered for the
 * ABI; 0 is plain RTP. Master key + salt lengths per suite: see
 * cascade_srtp_master_bytes().
 */
enum cascade_srtp_suite_id {
	CASCADE_SUITE_NONE = 0,
	CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80 = 1,
	CASCADE_SUITE_AES_CM_128_HMAC_SHA1_32 = 2,
	CASCADE_SUITE_AEAD_AES_128_GCM = 3,
	CASCADE_SUITE_AEAD_AES_256_GCM = 4,
	CASCADE_SUITE_MAX = 4,
};

/* Bytes of master key + master salt of an SRTP suite, 0 for NONE or an unknown suite. */
static inline unsigned int
cascade_srtp_master_bytes(unsigned int suite)
{
	switch (suite) {
	case CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80:
	case CASCADE_SUITE_AES_CM_128_HMAC_SHA1_32:
		return 16 + 14;
	case CASCADE_SUITE_AEAD_AES_128_GCM:
		return 16 + 12;
	case CASCADE_SUITE_AEAD_AES_256_GCM:
		return 32 + 12;
	default:
		return 0;
	}
}

struct cascade_cmd_transport {
	uint64_t obj_id;
	uint16_t port_id; /* dataplane port (DPDK port id) */
	uint8_t flags;    /* CASCADE_TRANSPORT_* */
	/*
	 * CASCADE_SUITE_*: an SRTP transport. It accepts no packet and sends none
	 * until CASCADE_CMD_TRANSPORT_SRTP gives it keys; fixed for the
	 * transport's life (the directory shows it; never the keys). On a PIPE
	 * transport the keys are per stream instead: CASCADE_CMD_PIPE_SRTP gives
	 * each producer and each consumer on it its own.
	 */
	uint8_t srtp_suite;
	uint8_t remote_mac[6]; /* next hop towards the remote; zero = learn or port default */
	struct cascade_addr local;       /* RTP (and RTCP with rtcp-mux) */
	struct cascade_addr local_rtcp;  /* separate RTCP port; port 0 with rtcp-mux */
	struct cascade_addr remote;      /* port 0 = not known yet */
	struct cascade_addr remote_rtcp; /* port 0 = same as remote (mux) or unknown */
	uint8_t pad1[4];
};
static_assert(sizeof(struct cascade_cmd_transport) == 104, "transport cmd layout");

enum {
	CASCADE_KIND_AUDIO = 1,
	CASCADE_KIND_VIDEO = 2,
};

/*
 * RTCP feedback a producer's sender understands (its codecs' rtcpFeedback):
 * keyframe requests go to it as PLI (RFC 4585 6.3.1) when it has FB_PLI, as
 * FIR (RFC 5104 4.3.1) when it has only FB_FIR, and not at all with neither.
 */
enum {
	CASCADE_FB_PLI = 1 << 0,  /* "nack pli" */
	CASCADE_FB_FIR = 1 << 1,  /* "ccm fir" */
	CASCADE_FB_NACK = 1 << 2, /* "nack" */
	/*
	 * "transport-cc" with the transport-wide sequence number extension
	 * (twcc_ext_id): Cascade sends transport-cc feedback to the sender.
	 */
	CASCADE_FB_TWCC = 1 << 3,
	CASCADE_FB_REMB = 1 << 4, /* "goog-remb" (without transport-cc): Cascade sends REMB */
};

#define CASCADE_MAX_RTX_MAP 4

struct cascade_cmd_producer {
	uint64_t obj_id;
	uint64_t transport_id;
	uint32_t ssrc;       /* host order */
	uint32_t clock_rate; /* Hz of the RTP timestamp clock, e.g. 90000, 48000 */
	uint8_t kind;        /* CASCADE_KIND_* */
	uint8_t paused;
	/*
	 * The worker (index, from 0) that owns it: chosen by the dataplane and
	 * shown in the directory; ignored in commands.
	 */
	uint16_t lcore;
	uint8_t fb; /* CASCADE_FB_*: the RTCP feedback its sender negotiated */
	uint8_t n_rtx; /* entries of rtx_map in use */
	/*
	 * With FB_TWCC: the RFC 8285 id (1..14) its packets carry the
	 * transport-wide sequence number in; 0 otherwise.
	 */
	uint8_t twcc_ext_id;
	uint8_t pad[1];
	/*
	 * RTX (RFC 4588) from its sender: the RTX stream's SSRC (0: none) and, per
	 * RTX payload type, the media payload type it repairs (apt). Its packets
	 * are unwrapped into the media stream.
	 */
	uint32_t rtx_ssrc;
	struct {
		uint8_t pt, apt;
	} rtx_map[CASCADE_MAX_RTX_MAP];
	uint8_t pad2[4];
};
static_assert(sizeof(struct cascade_cmd_producer) == 48, "producer cmd layout");

#define CASCADE_MAX_PT_MAP 8
#define CASCADE_MAX_EXT_ID 14 /* RFC 8285 one-byte ids 1..14 */
/*
 * In a consumer's ext_map: the producer's own transport-wide sequence number
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01), never forwarded: its
 * element is blanked to padding, and a consumer that negotiated transport-cc
 * gets Cascade's number instead (twcc_ext_id).
 */
#define CASCADE_EXT_TWCC 15

struct cascade_pt_map {
	uint8_t in_pt;  /* producer's payload type */
	uint8_t out_pt; /* consumer's payload type */
};

struct cascade_cmd_consumer {
	uint64_t obj_id;
	uint64_t producer_id;
	uint64_t transport_id; /* where the consumer's packets go */
	uint32_t ssrc;         /* SSRC the receiver sees, host order */
	uint8_t paused;
	uint8_t n_pt_map;                              /* 0 = payload types kept */
	/*
	 * Transport-cc (holmer 2): the id (1..14) of the transport-wide sequence
	 * number element Cascade writes into every packet it sends the consumer
	 * (one counter per transport, over all its consumers' packets, RTX and
	 * resends too), whose feedback it reads; 0: none.
	 */
	uint8_t twcc_ext_id; /* (read per packet: kept on the fan-out's first lines) */
	uint8_t pad0[1];
	struct cascade_pt_map pt_map[CASCADE_MAX_PT_MAP]; /* unmapped PTs are dropped */
	uint8_t ext_map[CASCADE_MAX_EXT_ID + 2]; /* [id] = new id; 0 = keep id; CASCADE_EXT_TWCC */
	/*
	 * The consumer's own destination: required on a PIPE transport (the peer
	 * node's pipe address: the transport's family, port non-zero), all zero on
	 * any other transport (its packets go to the transport's remote).
	 */
	struct cascade_addr remote;
	uint8_t remote_mac[6]; /* next hop towards remote; zero = the port's --peer-mac */
	uint8_t pad1[2];
	/*
	 * RTX (RFC 4588) for what NACKs make the dataplane send again: the RTX
	 * stream's SSRC (0: none; packets go again under their own SSRC) and, for
	 * pt_map[i], the RTX payload type bound to its out_pt (0: none).
	 */
	uint32_t rtx_ssrc;
	uint8_t rtx_pt[CASCADE_MAX_PT_MAP];
	uint8_t pad2[8];
};
static_assert(sizeof(struct cascade_cmd_consumer) == 112, "consumer cmd layout");
static_assert(offsetof(struct cascade_cmd_consumer, remote) == 64, "consumer cmd layout");
static_assert(offsetof(struct cascade_cmd_consumer, remote_mac) == 84, "consumer cmd layout");

/*
 * TRANSPORT_SRTP: the keys of an SRTP transport (added with srtp_suite != 0).
 * rx: the remote's master key then salt (what it protects with: mediasoup's
 * connect({srtpParameters})); tx: this node's (what the API handed out at
 * create). Each is cascade_srtp_master_bytes(suite) long, the rest zero. Sent
 * again with the same keys it is a retry; with other keys it re-keys (new
 * sessions for the transport and every consumer on it). Keys never appear in
 * the directory, replies or logs.
 */
#define CASCADE_SRTP_MASTER_MAX 44

struct cascade_cmd_transport_srtp {
	uint64_t obj_id;
	uint8_t suite; /* CASCADE_SUITE_*: must be the transport's */
	uint8_t pad[7];
	uint8_t rx_master[CASCADE_SRTP_MASTER_MAX];
	uint8_t tx_master[CASCADE_SRTP_MASTER_MAX];
};
static_assert(sizeof(struct cascade_cmd_transport_srtp) == 104, "transport srtp cmd layout");

/*
 * PIPE_SRTP: the key of one stream on an SRTP pipe transport (DESIGN.md 2:
 * SRTP between nodes when the cluster asks for it). Each pipe stream has its
 * own master key, chosen by the receiving node with its pipe SSRC, so no two
 * streams ever share a key and SSRC (no keystream reuse when a pipe is made
 * again). On the receiving node the key goes to the pipe producer (obj_id a
 * producer: its inbound session for its SSRC, RTP and RTCP); on the sending
 * node to the pipe consumer (obj_id a consumer: its outbound session). Until
 * then the stream's packets are dropped as srtp_error. The same key again is a
 * retry; another key re-keys. Like TRANSPORT_SRTP, the dataplane wipes the
 * ring slot and never shows the key.
 *
 * The key also carries the receiving node's RTCP back to the source node
 * (keyframe requests, NACKs), from the stream's feedback SSRC
 * (cascade_pipe_fb_ssrc(): the pipe SSRC with CASCADE_PIPE_FB_BIT flipped),
 * since the source protects the stream's own SRTCP (its SRs) under the pipe
 * SSRC itself: two SSRCs, so no key and SSRC pair is used by both nodes. The
 * pipe producer gets the outbound SRTCP session for the feedback SSRC, the
 * pipe consumer the inbound one. Pipe SSRCs are chosen with the bit clear, so
 * a feedback SSRC is never a pipe stream's.
 */
#define CASCADE_PIPE_FB_BIT 0x80000000u

static inline uint32_t
cascade_pipe_fb_ssrc(uint32_t pipe_ssrc)
{
	return pipe_ssrc ^ CASCADE_PIPE_FB_BIT;
}

enum {
	CASCADE_PIPE_SRTP_PRODUCER = 1,
	CASCADE_PIPE_SRTP_CONSUMER = 2,
};

struct cascade_cmd_pipe_srtp {
	uint64_t obj_id;
	uint8_t kind;  /* CASCADE_PIPE_SRTP_*: what obj_id names */
	uint8_t suite; /* CASCADE_SUITE_*: must be the pipe transport's */
	uint8_t pad[6];
	uint8_t master[CASCADE_SRTP_MASTER_MAX]; /* key then salt; the rest zero */
	uint8_t pad1[4];
};
static_assert(sizeof(struct cascade_cmd_pipe_srtp) == 64, "pipe srtp cmd layout");

/* PAUSE commands, DEL commands and FLUSH use this body. */
struct cascade_cmd_obj {
	uint64_t obj_id;
	uint8_t paused; /* PAUSE: 1 = pause, 0 = resume */
	uint8_t pad[7];
};

struct cascade_cmd {
	uint64_t req_id; /* echoed in the reply */
	uint16_t type;   /* enum cascade_cmd_type */
	uint16_t pad0;
	uint32_t pad1;
	union {
		struct cascade_cmd_transport transport;
		struct cascade_cmd_producer producer;
		struct cascade_cmd_consumer consumer;
		struct cascade_cmd_obj obj;
		struct cascade_cmd_transport_srtp srtp;
		struct cascade_cmd_pipe_srtp pipe_srtp;
		uint8_t raw[112];
	} u;
};
static_assert(sizeof(struct cascade_cmd) == 128, "cmd layout");

struct cascade_reply {
	uint64_t req_id;
	int32_t status; /* 0 or -errno */
	uint32_t slot;  /* table slot of the object (counters index), or UINT32_MAX */
	uint32_t gen;   /* generation of that slot */
	uint32_t pad;
	char message[104]; /* NUL-terminated; names the bad field on error */
};
static_assert(sizeof(struct cascade_reply) == 128, "reply layout");

enum cascade_event_type {
	/* a transport learned its remote tuple (comedia; value 0) or its RTCP remote (value 1) */
	CASCADE_EV_REMOTE_LEARNED = 1,
	CASCADE_EV_STARTED,            /* dataplane (re)started; epoch in value */
	/*
	 * A keyframe request went to producer obj_id's sender (value: 1 PLI, 2
	 * FIR), merging every consumer's request since the last one.
	 */
	CASCADE_EV_KEYFRAME_REQUEST,
};

struct cascade_event {
	uint64_t obj_id;
	uint64_t value;
	uint64_t tsc;
	uint16_t type; /* enum cascade_event_type */
	uint8_t pad[6];
	struct cascade_addr addr;
	uint8_t pad1[4];
};
static_assert(sizeof(struct cascade_event) == 56, "event layout");

/* Slow-path packet classes (RFC 7983 first-byte ranges). */
enum {
	CASCADE_SLOW_STUN = 1, /* 0..3 */
	CASCADE_SLOW_DTLS = 2, /* 20..63 */
};

#define CASCADE_SLOW_SLOT_SIZE 2048

/* A UDP payload handed to (slow) or from (inject) the control plane. */
struct cascade_pkt_hdr {
	uint64_t transport_id; /* 0 when the packet matched no transport */
	uint64_t tsc;
	uint16_t port_id;
	uint16_t len; /* bytes of data[] used */
	uint8_t class; /* CASCADE_SLOW_* */
	uint8_t pad[3];
	struct cascade_addr src;
	struct cascade_addr dst;
};
static_assert(sizeof(struct cascade_pkt_hdr) == 64, "pkt hdr layout");

struct cascade_pkt {
	struct cascade_pkt_hdr hdr;
	uint8_t data[CASCADE_SLOW_SLOT_SIZE - sizeof(struct cascade_pkt_hdr)];
};
static_assert(sizeof(struct cascade_pkt) == CASCADE_SLOW_SLOT_SIZE, "pkt slot layout");

#endif /* CASCADE_MSG_H */
