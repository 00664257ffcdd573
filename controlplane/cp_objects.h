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
};

/* The transport with this API id, or NULL. */
struct cp_transport *cp_transport_get(const char *id);
/* A fresh dataplane object id / API id. */
uint64_t cp_next_dp_id(void);
void cp_uuid4(char out[40]);
/* Fill a segment address; returns the family, 0 when ip is not an address. */
uint8_t cp_addr_make(struct cascade_addr *a, const char *ip, uint16_t port);
/* Optional boolean member: 0, or -1 after answering 400 naming the field. */
int cp_opt_bool(struct evhttp_request *req, json_t *body, const char *key, bool *out);

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
/* The producers and consumers of a room, for GET /v1/rooms/{room}. */
void cp_media_room_json(const char *room, json_t *out);

#endif /* CP_OBJECTS_H */
