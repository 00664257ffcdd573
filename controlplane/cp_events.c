/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server-Sent Events per room (GET /v1/rooms/{room}/events): producer.add,
 * producer.pause, producer.resume, producer.close, in the order the registry
 * changed. Each subscriber is a chunked evhttp reply kept open; a comment line
 * every 15 s keeps proxies from closing it and finds dead peers. A subscriber
 * whose connection closes is forgotten at once. Event ids count up per node so
 * a client can tell whether it missed something.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "cp_objects.h"

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
} e;

static void
sub_drop(struct sub *s)
{
	struct sub **pp;

	for (pp = &e.subs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			e.n--;
			free(s);
			return;
		}
}

static void
on_close(struct evhttp_connection *conn, void *arg)
{
	(void)conn;
	sub_drop(arg);
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

void
cp_events_publish(const char *room, const char *type, json_t *data)
{
	char *json = json_dumps(data, JSON_COMPACT);
	char head[128];
	struct sub *s;
	int n;

	json_decref(data);
	if (json == NULL)
		return;
	n = snprintf(head, sizeof(head), "id: %llu\nevent: %s\ndata: ",
		     (unsigned long long)++e.next_id, type);
	for (s = e.subs; s != NULL; s = s->next) {
		if (strcmp(s->room, room) != 0)
			continue;
		send_text(s, head, (size_t)n);
		send_text(s, json, strlen(json));
		send_text(s, "\n\n", 2);
	}
	free(json);
}

static void
on_keepalive(evutil_socket_t fd, short what, void *arg)
{
	struct sub *s;

	(void)fd, (void)what, (void)arg;
	for (s = e.subs; s != NULL; s = s->next)
		send_text(s, ": keepalive\n\n", 13);
}

void
cp_api_events(struct evhttp_request *req, const char *room)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct sub *s;

	if (e.n >= MAX_SUBSCRIBERS) {
		cp_http_error(req, CP_API_UNAVAILABLE, "too many event subscribers (%d)",
			      MAX_SUBSCRIBERS);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		cp_http_error(req, CP_API_INTERNAL, "out of memory");
		return;
	}
	s->req = req;
	snprintf(s->room, sizeof(s->room), "%s", room);
	s->next = e.subs;
	e.subs = s;
	e.n++;
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_send_reply_start(req, 200, "OK");
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, s);
	send_text(s, ": subscribed\n\n", 14);
}

int
cp_events_init(struct event_base *base)
{
	struct timeval tv = {KEEPALIVE_S, 0};

	e.keepalive = event_new(base, -1, EV_PERSIST, on_keepalive, NULL);
	return e.keepalive == NULL ? -1 : event_add(e.keepalive, &tv);
}

void
cp_events_fini(void)
{
	while (e.subs != NULL) {
		struct sub *s = e.subs;
		evhttp_connection_set_closecb(evhttp_request_get_connection(s->req), NULL, NULL);
		evhttp_send_reply_end(s->req);
		e.subs = s->next;
		free(s);
	}
	e.n = 0;
	if (e.keepalive != NULL)
		event_free(e.keepalive);
	e.keepalive = NULL;
}
