/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Everything cascade-cp reads from outside, checked in one place: API
 * request bodies, the records other nodes leave in Redis (producer records,
 * node records, room channel messages), the bodies of inter-node calls and of
 * their answers, the dataplane's events. Each kind of input has one function; RtpParameters inside
 * any of them go through cp_rtp_check(), so a producer record from Redis meets
 * exactly the rules of a producer body from the API. A function takes the
 * parsed JSON (cp_schema_load() parses text with the same limits everywhere),
 * fills a struct whose strings and JSON values are borrowed from the input
 * (valid while it lives), and returns 0 or -EINVAL with err naming the field.
 * Nothing here knows who sent the input or what answer it gets: the API
 * layer turns err into a status, services log it and drop the input.
 *
 * Layer: leaf.
 */
#ifndef CP_SCHEMA_H
#define CP_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <cascade/msg.h>

#include "cp_addr.h"
#include "cp_err.h"
#include "cp_ids.h"
#include "cp_rtp.h"
#include "cp_sign.h"

/*
 * An event from the dataplane's event ring (shared memory: input like any
 * other): a known type, its fields in range (a learned remote: value 0 for
 * RTP or 1 for RTCP, an IPv4 or IPv6 address with a port, a transport id; a
 * keyframe request: value 1 for PLI or 2 for FIR, a producer id). 0, or
 * -EINVAL naming the field.
 */
int cp_schema_dp_event(const struct cascade_event *ev, struct cp_err *err);

/* The largest body or record read (bigger ones are refused before parsing). */
#define CP_SCHEMA_MAX_BYTES (1024 * 1024)

/*
 * Parse len bytes of text as one JSON object, refusing duplicate keys. A new
 * reference, or NULL with err: -EMSGSIZE (over CP_SCHEMA_MAX_BYTES), -EINVAL
 * (not JSON, or not an object), naming what as the input.
 */
json_t *cp_schema_load(const char *text, size_t len, const char *what, struct cp_err *err);

/* ---- API bodies ---- */

/* POST /v1/rooms/{room}/transports */
struct cp_transport_req {
	bool comedia, rtcp_mux;
	uint8_t srtp_suite;    /* CASCADE_SUITE_*; NONE without enableSrtp */
	const char *listen_ip; /* NULL: the node's first media address */
	uint16_t port;         /* 0: any free port of the media range */
};
int cp_schema_transport_req(const json_t *body, struct cp_transport_req *out, struct cp_err *err);

/* POST /v1/transports/{id}/connect, for a transport of family, suite, comedia, rtcp-mux. */
struct cp_connect_req {
	bool has_tuple;  /* else only SRTP keys (a comedia SRTP transport learns its remote) */
	const char *ip;
	uint16_t port, rtcp_port; /* rtcp_port 0: the same as port */
	bool has_key;
	uint8_t key[CASCADE_SRTP_MASTER_MAX]; /* the remote's master key and salt (wipe after use) */
};
int cp_schema_connect_req(const json_t *body, uint8_t family, uint8_t suite, bool comedia,
			  bool rtcp_mux, struct cp_connect_req *out, struct cp_err *err);

/* POST /v1/transports/{id}/producers */
struct cp_producer_req {
	uint8_t kind;
	const json_t *rtp;
	struct cp_rtp info;
	bool paused;
};
int cp_schema_producer_req(const json_t *body, struct cp_producer_req *out, struct cp_err *err);

/* POST /v1/transports/{id}/consumers */
struct cp_consumer_req {
	const char *producer_id;
	const json_t *caps; /* NULL: none given */
	bool paused;
};
int cp_schema_consumer_req(const json_t *body, struct cp_consumer_req *out, struct cp_err *err);

/* ---- records in Redis ---- */

/* A producer's record in P:{ROOM}:producers, as its node wrote it. */
struct cp_producer_rec {
	const char *id, *node, *room;
	uint8_t kind;
	bool paused;
	const json_t *rtp;
	struct cp_rtp info;
};
int cp_schema_producer_rec(const json_t *rec, struct cp_producer_rec *out, struct cp_err *err);

/* A message on a room channel P:{ROOM}:events. */
enum cp_room_msg_type {
	CP_MSG_PRODUCER_ADD,
	CP_MSG_PRODUCER_PAUSE,
	CP_MSG_PRODUCER_RESUME,
	CP_MSG_PRODUCER_CLOSE,
	CP_MSG_NODE_DOWN,
};
struct cp_room_msg {
	enum cp_room_msg_type type;
	const char *type_name; /* as sent: "producer.add", ... */
	const char *node;      /* the node it is about */
	const char *via;       /* the node that sent it on node's behalf, or NULL */
	struct cp_producer_rec producer; /* producer.*: id and room always; the rest with add,
					  * pause, resume (kind, paused, rtp) */
};
int cp_schema_room_msg(const json_t *msg, struct cp_room_msg *out, struct cp_err *err);

/*
 * Records are signed (cp_sign.h): what a node reads from Redis must verify
 * under the record key for the key it was read from before anything else is
 * checked or used. t names the key and the prefix of the keys (redis.prefix).
 * A record that does not verify is refused with -EACCES; one that verifies
 * but breaks a rule with -EINVAL, as above.
 */
struct cp_rec_trust {
	const struct cp_sign_key *key;
	const char *prefix;
};
/* A producer record read from field id of P:{room}:producers. */
int cp_schema_producer_signed(const json_t *rec, const struct cp_rec_trust *t, const char *room,
			      const char *id, struct cp_producer_rec *out, struct cp_err *err);
/*
 * A message read from channel: cp_schema_room_msg(), and then the channel must
 * be the producer's room's (P:{ROOM}:events) and the producer of an add, a
 * pause or a resume must be its signed record (as stored under
 * P:{ROOM}:producers). Closes and node.down carry no record: they only take
 * away, which a Redis writer can do anyway by deleting records.
 */
int cp_schema_room_msg_signed(const json_t *msg, const struct cp_rec_trust *t, const char *channel,
			      struct cp_room_msg *out, struct cp_err *err);

/* A node record P:node:{ID} (a Redis hash: every value a string). */
struct cp_node_rec {
	char id[CP_ID_MAX];
	char api_host[CP_IP_MAX];
	uint16_t api_port;
	char media_ip[CP_IP_MAX];
	uint16_t pipe_port;
	uint8_t pipe_srtp;
	bool draining;
	double score;
	json_t *json; /* the record with typed values, for the API (a new reference) */
};
/* hash: field -> string; id: the node the key names. out->json must be decref'd on success. */
int cp_schema_node_hash(const json_t *hash, const char *id, struct cp_node_rec *out,
			struct cp_err *err);
/* The same, read from P:node:{ID} (field ""): its signature first (-EACCES), then the rest. */
int cp_schema_node_signed(const json_t *hash, const char *id, const struct cp_rec_trust *t,
			  struct cp_node_rec *out, struct cp_err *err);

/* ---- inter-node calls ---- */

/* POST /v1/internal/pipes: add a pipe consumer of producer_id towards node. */
struct cp_pipe_req {
	const char *producer_id, *node, *ip;
	uint16_t port;
	uint32_t ssrc;
	uint8_t suite; /* NONE: plain RTP */
	uint8_t key[CASCADE_SRTP_MASTER_MAX]; /* the stream's key with a suite (wipe after use) */
};
int cp_schema_pipe_req(const json_t *body, struct cp_pipe_req *out, struct cp_err *err);

/* Its answer: {"consumerId","ssrc"}. */
struct cp_pipe_answer {
	const char *consumer_id;
	uint32_t ssrc;
};
int cp_schema_pipe_answer(const json_t *body, struct cp_pipe_answer *out, struct cp_err *err);

/* The message of an error answer {"error":{"code","message"}} (printable, cut), or NULL. */
const char *cp_schema_error_message(const json_t *body, char *buf, size_t cap);

#endif /* CP_SCHEMA_H */
