/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Room events for clients (GET /v1/rooms/{room}/events, Server-Sent Events):
 * producer.add, producer.pause, producer.resume, producer.close (from every
 * node of the room) and node.down. It observes the registry and the cluster.
 * Event-loop thread only.
 *
 * Layer: service.
 */
#ifndef CP_EVENTS_H
#define CP_EVENTS_H

#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#include "cp_err.h"

int cp_events_init(struct event_base *base);
void cp_events_fini(void);
/*
 * Make req a subscriber of room's stream (the caller checked both), first
 * replaying the backlog's events of room after last_id (0: none). The stream
 * is answered and owned here from now on. 0, or -EAGAIN (too many
 * subscribers) / -ENOMEM with err, req not answered.
 */
int cp_events_subscribe(struct evhttp_request *req, const char *room, uint64_t last_id,
			struct cp_err *err);

#endif /* CP_EVENTS_H */
