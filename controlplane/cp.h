/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascade-cp's shared declarations: configuration, the dataplane driver and the
 * HTTP API. One libevent loop runs everything; nothing here is thread-safe and
 * nothing needs to be.
 */
#ifndef CP_H
#define CP_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include <cascade/segment.h>

#define CP_MAX_MEDIA_IPS 8
#define CP_ID_MAX 64

struct cp_config {
	char node_id[CP_ID_MAX];
	char media_ips[CP_MAX_MEDIA_IPS][64];
	unsigned int n_media_ips;
	uint16_t port_min, port_max;
	char media_iface[16]; /* the kernel interface the dataplane's port shares, or "" */
	char api_host[64];
	uint16_t api_port;
	char api_token[256];
	bool metrics_auth; /* /metrics needs the token too */
	char segment[CASCADE_SEG_NAME_MAX];
	char redis_url[256];
	char redis_prefix[64];
	char cluster_secret[256];  /* inter-node calls carry it; required with redis_url */
	uint16_t pipe_port;        /* one UDP port for every pipe of this node */
	unsigned int node_ttl_ms;  /* a node whose heartbeat is older than this is dead */
	uint8_t pipe_srtp;         /* CASCADE_SUITE_* of every pipe stream; NONE = plain RTP */
	char state_file[256]; /* where the registry is kept across restarts; "" = nowhere */
};

/*
 * Load the JSON file at path (NULL: defaults only), then apply command-line
 * overrides, then validate. Returns 0, or -1 after printing one line that
 * names the bad field (config file key or flag).
 */
int cp_config_load(struct cp_config *c, int argc, char **argv);
/* This node's id (after cp_config_load). */
const char *cp_node_id(void);

enum cp_dp_state {
	CP_DP_ABSENT,  /* no segment, or its heartbeat stopped */
	CP_DP_RUNNING, /* attached and alive */
};

/* Called with the dataplane's reply, or with NULL when it did not answer in time. */
typedef void (*cp_dp_cb)(const struct cascade_reply *r, void *arg);

/* Start the driver: attach now if the dataplane runs, and keep watching it. */
int cp_dp_init(struct event_base *base, const struct cp_config *cfg);
/* Called each time the driver attaches to a (new or the same) dataplane. */
void cp_dp_on_attach(void (*fn)(const struct cascade_seg *seg));
void cp_dp_fini(void);
enum cp_dp_state cp_dp_state(void);
/* The attached segment (valid while the state is RUNNING). */
const struct cascade_seg *cp_dp_seg(void);
/*
 * Send a command (req_id is assigned here) and call cb with its reply, or with
 * NULL after timeout_ms. Returns 0, -ENOTCONN when the dataplane is absent, or
 * -ENOBUFS when too many commands are in flight.
 */
int cp_dp_call(struct cascade_cmd *cmd, unsigned int timeout_ms, cp_dp_cb cb, void *arg);

/* ---- cp_neigh.c: next-hop MACs from the kernel's neighbour table ---- */

/* mac is the next hop's MAC, or NULL when it is not known (the dataplane learns it). */
typedef void (*cp_neigh_cb)(const uint8_t *mac, void *arg);

/* Open rtnetlink when media.interface is set. 0, or -1 after saying why. */
int cp_neigh_init(struct event_base *base, const struct cp_config *cfg);
void cp_neigh_fini(void);
/*
 * Find the MAC of ip's next hop through media.interface, resolving an on-link
 * one if needed (up to 1 s). cb is called from the loop later, never from
 * inside this call (except when out of memory).
 */
void cp_neigh_resolve(const char *ip, cp_neigh_cb cb, void *arg);

/* ---- cp_http.c: helpers the endpoint files share ---- */

/* The API's error table: one place maps a failure to its status and stable code. */
enum cp_api_err {
	CP_API_BAD_REQUEST,
	CP_API_UNAUTHORIZED,
	CP_API_NOT_FOUND,
	CP_API_METHOD,
	CP_API_CONFLICT,
	CP_API_TOO_LARGE,
	CP_API_UNAVAILABLE,
	CP_API_INTERNAL,
};

/* Answer req with body (reference stolen) and status. */
void cp_http_json(struct evhttp_request *req, int status, json_t *body);
/* Answer req with {"error":{"code","message"}} and the error's status. */
void cp_http_error(struct evhttp_request *req, enum cp_api_err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Map a dataplane reply status (-errno) to an API error and answer req. */
void cp_http_dp_error(struct evhttp_request *req, int status, const char *message);
/*
 * The request body as a JSON object, or NULL after answering req with 400
 * (not JSON, not an object) or 413.
 */
json_t *cp_http_body(struct evhttp_request *req);
/*
 * Keep req answerable across an asynchronous dataplane call: *slot is set to
 * NULL if the client goes away first. Call cp_http_release() before answering.
 */
void cp_http_hold(struct evhttp_request *req, struct evhttp_request **slot);
void cp_http_release(struct evhttp_request *req);

/* ---- cp_transport.c: rooms and plain transports ---- */

int cp_rooms_init(const struct cp_config *cfg);
void cp_rooms_fini(void);
/* POST /v1/rooms/{room}/transports */
void cp_api_transport_create(struct evhttp_request *req, const char *room);
/* POST /v1/transports/{id}/connect */
void cp_api_transport_connect(struct evhttp_request *req, const char *id);
/* DELETE /v1/transports/{id} */
void cp_api_transport_delete(struct evhttp_request *req, const char *id);
/* GET /v1/rooms, GET /v1/rooms/{room} */
void cp_api_rooms_list(struct evhttp_request *req);
void cp_api_room_get(struct evhttp_request *req, const char *room);

/* Start the API server on cfg's address. 0 or -1 (message printed). */
int cp_http_init(struct event_base *base, const struct cp_config *cfg, uint64_t start_ns);
void cp_http_fini(void);

#endif /* CP_H */
