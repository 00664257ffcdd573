/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server-Sent Events per room, in the order the changes happened. Each
 * subscriber is a chunked evhttp reply kept open; a comment line every 15 s
 * keeps proxies from closing it and finds dead peers; a subscriber whose
 * connection closes is forgotten at once. Event ids count up per node so a
 * client can tell whether it missed something.
 *
 * Layer: service.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "cp_cluster.h"
#include "cp_events.h"
#include "cp_registry.h"

#define MAX_SUBSCRIBERS 4096
#define KEEPALIVE_S 15

struct sub {
	struct evhttp_request *req;
	char room[CP_NAME_MAX + 1];
	struct sub *next;
};

static struct {
	struct sub *subs;
	unsigned int n;
	uint64_t next_id;
	struct event *keepalive;
} ev;

/* ---- subscribers ------------------------------------------------------------------------- */

static void
sub_unlink(struct sub *s)
{
	struct sub **pp;

	for (pp = &ev.subs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			ev.n--;
			return;
		}
}

static void
on_close(struct evhttp_connection *conn, void *arg)
{
	(void)conn;
	sub_unlink(arg);
	free(arg);
}

static void
send_text(struct sub *s, const char *text, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL)
		return;
	evbuffer_add(b, text, len);
	evhttp_send_reply_chunk(s->req, b);
	evbuffer_free(b);
}

/* ---- publishing ----------------------------------------------------------------------------- */

/* Send event type with data (reference stolen) to room's subscribers. */
static void
publish(const char *room, const char *type, json_t *data)
{
	char *json = json_dumps(data, JSON_COMPACT), *text;
	struct sub *s;
	int n;

	json_decref(data);
	if (json == NULL)
		return;
	n = asprintf(&text, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", ++ev.next_id, type, json);
	free(json);
	if (n < 0)
		return;
	for (s = ev.subs; s != NULL; s = s->next)
		if (strcmp(s->room, room) == 0)
			send_text(s, text, (size_t)n);
	free(text);
}

static void
on_registry(const struct cp_reg_event *e, void *arg)
{
	const struct cp_producer *p = e->p;

	(void)arg;
	switch (e->type) {
	case CP_EV_PRODUCER_ADDED:
		if (!p->pipe) /* a piped-in producer was announced by its own node */
			publish(p->room, "producer.add",
				json_pack("{s:s,s:s,s:s,s:s,s:b}", "id", p->id, "node", p->node,
					  "transportId", p->t->id, "kind", cp_kind_name(p->kind),
					  "paused", p->paused));
		break;
	case CP_EV_PRODUCER_PAUSED:
		if (!p->pipe)
			publish(p->room, p->paused ? "producer.pause" : "producer.resume",
				json_pack("{s:s,s:s}", "id", p->id, "node", p->node));
		break;
	case CP_EV_PRODUCER_CLOSED:
		if (!p->quiet) /* a pipe nobody needed goes without a word */
			publish(p->room, "producer.close",
				json_pack("{s:s,s:s}", "id", p->id, "node", p->node));
		break;
	default:
		break;
	}
}

static void
room_node_down(const char *room, unsigned int n, void *arg)
{
	(void)n;
	publish(room, "node.down", json_pack("{s:s}", "node", (const char *)arg));
}

static void
on_cluster(const struct cp_cluster_event *e, void *arg)
{
	const struct cp_producer *p;

	(void)arg;
	switch (e->type) {
	case CP_CL_PRODUCER_ADDED:
		publish(e->room, "producer.add",
			json_pack("{s:s,s:s,s:s,s:b}", "id", e->producer_id, "node", e->node, "kind",
				  cp_kind_name(e->kind), "paused", e->paused));
		break;
	case CP_CL_PRODUCER_PAUSED:
		publish(e->room, e->paused ? "producer.pause" : "producer.resume",
			json_pack("{s:s,s:s}", "id", e->producer_id, "node", e->node));
		break;
	case CP_CL_PRODUCER_CLOSED:
		/* a pipe producer here announces its own close as it goes */
		p = cp_registry_producer(e->producer_id);
		if (p == NULL || !p->pipe || strcmp(p->node, e->node) != 0)
			publish(e->room, "producer.close",
				json_pack("{s:s,s:s}", "id", e->producer_id, "node", e->node));
		break;
	case CP_CL_NODE_DOWN:
		if (e->tell)
			cp_registry_each_room(room_node_down, (void *)e->node);
		break;
	}
}

/* ---- subscribing ----------------------------------------------------------------------------- */

static void
on_keepalive(evutil_socket_t fd, short what, void *arg)
{
	struct sub *s;

	(void)fd, (void)what, (void)arg;
	for (s = ev.subs; s != NULL; s = s->next)
		send_text(s, ": keepalive\n\n", 13);
}

int
cp_events_subscribe(struct evhttp_request *req, const char *room, struct cp_err *err)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct sub *s;

	if (ev.n >= MAX_SUBSCRIBERS)
		return cp_err_set(err, -EAGAIN, "too many event subscribers (%d)", MAX_SUBSCRIBERS);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cp_err_set(err, -ENOMEM, "out of memory");
	s->req = req;
	snprintf(s->room, sizeof(s->room), "%s", room);
	s->next = ev.subs;
	ev.subs = s;
	ev.n++;
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_send_reply_start(req, 200, "OK");
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, s);
	send_text(s, ": subscribed\n\n", 14);
	return 0;
}

int
cp_events_init(struct event_base *base)
{
	struct timeval tv = {KEEPALIVE_S, 0};

	ev.keepalive = event_new(base, -1, EV_PERSIST, on_keepalive, NULL);
	if (ev.keepalive == NULL || cp_registry_watch(CP_EV_PRODUCER_ADDED, on_registry, NULL) < 0 ||
	    cp_registry_watch(CP_EV_PRODUCER_PAUSED, on_registry, NULL) < 0 ||
	    cp_registry_watch(CP_EV_PRODUCER_CLOSED, on_registry, NULL) < 0 ||
	    cp_cluster_watch(on_cluster, NULL) < 0)
		return -1;
	return event_add(ev.keepalive, &tv);
}

void
cp_events_fini(void)
{
	while (ev.subs != NULL) {
		struct sub *s = ev.subs;

		evhttp_connection_set_closecb(evhttp_request_get_connection(s->req), NULL, NULL);
		evhttp_send_reply_end(s->req);
		ev.subs = s->next;
		free(s);
	}
	ev.n = 0;
	if (ev.keepalive != NULL)
		event_free(ev.keepalive);
	ev.keepalive = NULL;
}
