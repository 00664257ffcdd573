/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server-Sent Events per room, in the order the changes happened. Each
 * subscriber is a chunked evhttp reply kept open; a comment line every 15 s
 * keeps proxies from closing it and finds dead peers; a subscriber whose
 * connection closes is forgotten at once.
 *
 * Bounded: a subscriber that does not read (its connection's output buffer
 * holds more than MAX_UNSENT_BYTES, on top of a socket send buffer fixed at
 * STREAM_SNDBUF) is disconnected, logged at most once a second, instead of
 * growing the process. Event ids count up per node from the
 * wall-clock time the process started (in microseconds), so they keep
 * increasing across restarts; the last BACKLOG_EVENTS events (at most
 * BACKLOG_BYTES) are kept, and a client that reconnects with Last-Event-ID
 * gets its room's events after that id first. When the backlog no longer
 * reaches back that far, the replay starts with an events.lost event
 * ({"lastEventId"}), so the client knows to read the room again.
 *
 * Layer: service.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "cp_cluster.h"
#include "cp_events.h"
#include "cp_registry.h"

#define MAX_SUBSCRIBERS 4096
#define KEEPALIVE_S 15
#define MAX_UNSENT_BYTES (256 * 1024)
/* the kernel's share of an event stream: a fixed send buffer, not one autotuned to megabytes */
#define STREAM_SNDBUF (64 * 1024)
#define BACKLOG_EVENTS 1024
#define BACKLOG_BYTES (1024 * 1024)

struct sub {
	struct evhttp_request *req;
	char room[CP_NAME_MAX + 1];
	struct sub *next;
};

struct entry {
	uint64_t id;
	char room[CP_NAME_MAX + 1];
	char *text;
	size_t len;
};

static struct {
	struct sub *subs;
	unsigned int n;
	uint64_t next_id;
	struct event *keepalive;
	struct entry backlog[BACKLOG_EVENTS]; /* a ring: [head, head + n_backlog) */
	size_t head, n_backlog, backlog_bytes;
	uint64_t dropped_upto; /* the highest id that left the backlog */
	uint64_t cut_subs, last_warn_ns;
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

/*
 * The subscriber went (or its connection failed). A stream's reply is never
 * finished, so libevent hands its request back detached from the connection
 * (evhttp_connection_incoming_fail()) instead of freeing it: it is ours to
 * free then. Still attached, the connection frees it right after this.
 */
static void
on_close(struct evhttp_connection *conn, void *arg)
{
	struct sub *s = arg;

	(void)conn;
	sub_unlink(s);
	if (evhttp_request_get_connection(s->req) == NULL)
		evhttp_request_free(s->req);
	free(s);
}

static size_t
unsent(const struct sub *s)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(s->req);
	struct bufferevent *bev = conn != NULL ? evhttp_connection_get_bufferevent(conn) : NULL;

	return bev != NULL ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

/* A subscriber that does not read: its connection goes, with what it has not taken. */
static void
cut(struct sub *s)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(s->req);
	uint64_t now = cascade_now_ns();
	size_t behind = unsent(s);

	ev.cut_subs++;
	if (now - ev.last_warn_ns > 1000000000ull) {
		fprintf(stderr, "cascade-cp: events: a subscriber of room %s left %zu bytes unread "
				"(limit %d); disconnected (%" PRIu64 " so far)\n",
			s->room, behind, MAX_UNSENT_BYTES, ev.cut_subs);
		ev.last_warn_ns = now;
	}
	sub_unlink(s);
	evhttp_connection_set_closecb(conn, NULL, NULL);
	evhttp_connection_free(conn);
	free(s);
}

/* Queue text for s; false when s is too far behind (the caller cuts it). */
static bool
send_text(struct sub *s, const char *text, size_t len)
{
	struct evbuffer *b;

	if (unsent(s) + len > MAX_UNSENT_BYTES)
		return false;
	b = evbuffer_new();
	if (b == NULL)
		return true;
	evbuffer_add(b, text, len);
	evhttp_send_reply_chunk(s->req, b);
	evbuffer_free(b);
	return true;
}

/* ---- the backlog ---------------------------------------------------------------------------- */

static void
backlog_drop_oldest(void)
{
	struct entry *e = &ev.backlog[ev.head];

	ev.dropped_upto = e->id;
	ev.backlog_bytes -= e->len;
	free(e->text);
	e->text = NULL;
	ev.head = (ev.head + 1) % BACKLOG_EVENTS;
	ev.n_backlog--;
}

static void
backlog_add(uint64_t id, const char *room, char *text, size_t len)
{
	struct entry *e;

	while (ev.n_backlog > 0 &&
	       (ev.n_backlog == BACKLOG_EVENTS || ev.backlog_bytes + len > BACKLOG_BYTES))
		backlog_drop_oldest();
	e = &ev.backlog[(ev.head + ev.n_backlog) % BACKLOG_EVENTS];
	e->id = id;
	snprintf(e->room, sizeof(e->room), "%s", room);
	e->text = text;
	e->len = len;
	ev.n_backlog++;
	ev.backlog_bytes += len;
}

/* ---- publishing ----------------------------------------------------------------------------- */

/* Send event type with data (reference stolen) to room's subscribers, and keep it. */
static void
publish(const char *room, const char *type, json_t *data)
{
	char *json = json_dumps(data, JSON_COMPACT), *text;
	struct sub *s, *next;
	uint64_t id = ev.next_id++;
	int n;

	json_decref(data);
	if (json == NULL)
		return;
	n = asprintf(&text, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", id, type, json);
	free(json);
	if (n < 0)
		return;
	for (s = ev.subs; s != NULL; s = next) {
		next = s->next;
		if (strcmp(s->room, room) == 0 && !send_text(s, text, (size_t)n))
			cut(s);
	}
	backlog_add(id, room, text, (size_t)n);
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
	struct sub *s, *next;

	(void)fd, (void)what, (void)arg;
	for (s = ev.subs; s != NULL; s = next) {
		next = s->next;
		if (!send_text(s, ": keepalive\n\n", 13))
			cut(s);
	}
}

int
cp_events_subscribe(struct evhttp_request *req, const char *room, uint64_t last_id,
		    struct cp_err *err)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evhttp_connection *conn;
	struct bufferevent *bev;
	int sndbuf = STREAM_SNDBUF;
	char lost[96];
	struct sub *s;
	size_t i;
	int n;

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
	conn = evhttp_request_get_connection(req);
	bev = evhttp_connection_get_bufferevent(conn);
	if (bev != NULL && bufferevent_getfd(bev) >= 0)
		(void)setsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	evhttp_connection_set_closecb(conn, on_close, s);
	send_text(s, ": subscribed\n\n", 14);
	if (last_id == 0)
		return 0;
	if (ev.dropped_upto > last_id) {
		n = snprintf(lost, sizeof(lost), "event: events.lost\ndata: {\"lastEventId\":%" PRIu64
						 "}\n\n",
			     last_id);
		send_text(s, lost, (size_t)n);
	}
	for (i = 0; i < ev.n_backlog; i++) {
		const struct entry *e = &ev.backlog[(ev.head + i) % BACKLOG_EVENTS];

		if (e->id > last_id && strcmp(e->room, room) == 0 && !send_text(s, e->text, e->len)) {
			cut(s);
			break;
		}
	}
	return 0;
}

int
cp_events_init(struct event_base *base)
{
	struct timeval tv = {KEEPALIVE_S, 0};
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	ev.next_id = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
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
	while (ev.n_backlog > 0)
		backlog_drop_oldest();
	if (ev.keepalive != NULL)
		event_free(ev.keepalive);
	ev.keepalive = NULL;
}
