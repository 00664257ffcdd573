/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's objects as its endpoint files share them: transports
 * (cp_transport.c) and the producers and consumers that hang off them
 * (cp_media.c). Event-loop thread only.
 */
#ifndef CP_OBJECTS_H
#define CP_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cp.h"

#define CP_NAME_MAX 64

struct cp_transport {
	char id[40];
	char room[CP_NAME_MAX + 1];
	uint64_t dp_id;
	bool comedia, rtcp_mux, connected, busy;
	uint8_t family;
	char ip[64];
	uint16_t port, rtcp_port; /* rtcp_port 0 with rtcp-mux */
	char remote_ip[64];
	uint16_t remote_port, remote_rtcp_port;
	unsigned int n_pending; /* producer/consumer commands in flight on it */
	uint32_t slot;          /* the dataplane's table slot: where its counters are */
	bool pipe;              /* the node's pipe transport (no room, not in the API) */
	/*
	 * SRTP (srtp_suite != CASCADE_SUITE_NONE): this node's key (generated at
	 * create, handed out once in srtpParameters) and the remote's (from
	 * connect). Kept in the state file (mode 0600) so a restart need not
	 * re-send them; never in logs, stats or metrics.
	 */
	uint8_t srtp_suite;
	bool has_remote_key;
	uint8_t local_key[CASCADE_SRTP_MASTER_MAX];
	uint8_t remote_key[CASCADE_SRTP_MASTER_MAX];
};

struct cp_producer {
	char id[40];
	struct cp_transport *t;
	uint64_t dp_id;
	uint8_t kind;
	bool paused, busy;
	uint32_t ssrc, clock_rate;
	json_t *rtp; /* the validated rtpParameters */
	unsigned int n_pending;
	uint32_t slot; /* the dataplane's table slot: where its counters are */
	char room[CP_NAME_MAX + 1];
	char node[CP_ID_MAX]; /* the node it is produced on: this one, or a pipe's source */
	bool pipe;            /* piped in from node, on the pipe transport */
	bool quiet;           /* a pipe nobody needs: it goes without a producer.close event */
	unsigned int n_consumers;
};

struct cp_consumer {
	char id[40];
	struct cp_transport *t;
	struct cp_producer *p;
	uint64_t dp_id;
	uint32_t ssrc;
	bool paused, busy;
	json_t *rtp; /* what the receiver was told to expect */
	uint32_t slot;
	char pipe_node[CP_ID_MAX]; /* a pipe towards that node ("" for a receiver's consumer) */
};

/* Visit every transport, producer, consumer (the registry must not change meanwhile). */
void cp_transports_each(void (*fn)(const struct cp_transport *t, void *arg), void *arg);
void cp_producers_each(void (*fn)(const struct cp_producer *p, void *arg), void *arg);
void cp_consumers_each(void (*fn)(const struct cp_consumer *c, void *arg), void *arg);

/* An SRTP suite's mediasoup name for a CASCADE_SUITE_*, "none" for plain RTP. */
const char *cp_suite_name(uint8_t suite);
/* Whether s is a valid room name (1..64 of [A-Za-z0-9._-]). */
bool cp_room_name_ok(const char *s);
/* The transport with this API id, or NULL. */
struct cp_transport *cp_transport_get(const char *id);
/* A fresh dataplane object id / API id. */
uint64_t cp_next_dp_id(void);
void cp_uuid4(char out[40]);
/* Fill a segment address; returns the family, 0 when ip is not an address. */
uint8_t cp_addr_make(struct cascade_addr *a, const char *ip, uint16_t port);
/* Optional boolean member: 0, or -1 after answering 400 naming the field. */
int cp_opt_bool(struct evhttp_request *req, json_t *body, const char *key, bool *out);

/* Registry access for the pipes (cp_pipe.c). */
struct cp_producer *cp_producer_get(const char *id);
struct cp_consumer *cp_consumer_get(const char *id);
unsigned int cp_consumer_count(void);
/* Enter an object the dataplane acknowledged (0 or -ENOMEM); forget one it removed. */
int cp_media_add_producer(struct cp_producer *p);
int cp_media_add_consumer(struct cp_consumer *c);
void cp_media_forget_producer(struct cp_producer *p);
void cp_media_forget_consumer(struct cp_consumer *c);
void cp_producer_free(struct cp_producer *p);
/* The dataplane command that installs p on its transport (PRODUCER_ADD); p->t set. */
void cp_producer_add_cmd(const struct cp_producer *p, struct cascade_cmd *cmd);
void cp_consumer_free(struct cp_consumer *c);
/* Rooms with local participants (cp_transport.c). */
void cp_rooms_each(void (*fn)(const char *room, void *arg), void *arg);
int cp_room_transports(const char *room);
/* The pipe transport, once the dataplane has it (cp_pipe.c). */
struct cp_transport *cp_pipe_transport(void);
int cp_transport_add_pipe(struct cp_transport *t);

/* Drop every producer and consumer of t from the registry (the dataplane already did). */
void cp_media_forget_transport(const struct cp_transport *t);
int cp_media_init(void);
void cp_media_fini(void);

/* POST /v1/transports/{id}/producers, /consumers */
void cp_api_producer_create(struct evhttp_request *req, const char *transport_id);
void cp_api_consumer_create(struct evhttp_request *req, const char *transport_id);
/* POST /v1/producers/{id}/pause|resume, /v1/consumers/{id}/pause|resume */
void cp_api_media_pause(struct evhttp_request *req, bool is_producer, const char *id, bool pause);
/* DELETE /v1/producers/{id}, /v1/consumers/{id} */
void cp_api_media_delete(struct evhttp_request *req, bool is_producer, const char *id);
/* ---- cp_state.c: the registry across control-plane restarts ---- */

/* Load the state file (if configured and present) into the registry. 0 or -1 (printed). */
int cp_state_init(struct event_base *base, const struct cp_config *cfg);
/* Save now (at exit). */
void cp_state_fini(void);
/* The registry changed: save it soon (within 50 ms). */
void cp_state_dirty(void);
/* Reconcile the registry with what the dataplane has (on every attach). */
void cp_state_reconcile(const struct cascade_seg *seg);

/* Serialise/restore one object for the state file; drop one the dataplane lost. */
json_t *cp_transport_state(const struct cp_transport *t);
json_t *cp_producer_state(const struct cp_producer *p);
json_t *cp_consumer_state(const struct cp_consumer *c);
int cp_transport_restore(json_t *o);
int cp_producer_restore(json_t *o);
int cp_consumer_restore(json_t *o);
void cp_transport_drop(struct cp_transport *t);
void cp_producer_drop(struct cp_producer *p);
void cp_consumer_drop(struct cp_consumer *c);
/* Keep new dataplane ids above one seen in restored state. */
void cp_dp_id_seen(uint64_t dp_id);

/* ---- cp_events.c: Server-Sent Events per room ---- */

int cp_events_init(struct event_base *base);
void cp_events_fini(void);
/* Send event `type` with data (reference stolen) to the room's subscribers. */
void cp_events_publish(const char *room, const char *type, json_t *data);
/* GET /v1/rooms/{room}/events */
void cp_api_events(struct evhttp_request *req, const char *room);

/* GET /v1/stats and GET /metrics (cp_stats.c) */
void cp_api_stats(struct evhttp_request *req);
void cp_api_metrics(struct evhttp_request *req, const char *node_id);

/* ---- cp_pipe.c: pipes between nodes ---- */

/* The pipe producer of id, ready (p) or failed (NULL, err, message). */
typedef void (*cp_pipe_cb)(struct cp_producer *p, int err, const char *msg, void *arg);
/* Pipe producer id of room in from its node; waits with the others asking meanwhile. */
void cp_pipe_ensure(const char *room, const char *id, cp_pipe_cb cb, void *arg);
/* A pipe producer lost its last consumer: close the pipe soon. */
void cp_pipe_idle(struct cp_producer *p);
/* The source closed / paused producer id; true when a local pipe producer was affected. */
bool cp_pipe_producer_closed(const char *id, const char *node);
void cp_pipe_producer_paused(const char *id, bool paused);
/* A node died: close pipes from it and towards it. */
void cp_pipe_node_down(const char *node);
/* The dataplane (re)attached and was reconciled: make sure the pipe transport exists. */
void cp_pipe_on_attach(void);
/* POST /v1/internal/pipes, DELETE /v1/internal/pipes/{producer}/{node} */
void cp_api_internal_pipe_add(struct evhttp_request *req);
void cp_api_internal_pipe_del(struct evhttp_request *req, const char *producer, const char *node);
int cp_pipe_init(struct event_base *base, const struct cp_config *cfg);
void cp_pipe_fini(void);
json_t *cp_pipe_stats(void);

/* The producers and consumers of a room, for GET /v1/rooms/{room}. */
void cp_media_room_json(const char *room, json_t *out);

#endif /* CP_OBJECTS_H */
