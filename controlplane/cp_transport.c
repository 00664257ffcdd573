/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rooms and plain transports. A transport gets a local port (two consecutive
 * ones, even RTP and odd RTCP, without rtcp-mux, RFC 3550 11) from the node's
 * media range and an id (UUID v4) the API hands out; the dataplane knows it by
 * a 64-bit object id. An object enters the registry only when the dataplane
 * has acknowledged it, and leaves it only when the dataplane has acknowledged
 * its removal, so the API never shows half-made state; while a command for a
 * transport is in flight, other changes to it get 409.
 *
 * This step covers transports; producers and consumers hang off them next.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cascade_srtp.h"
#include "cp.h"
#include "cp_cluster.h"
#include "cp_map.h"
#include "cp_objects.h"

#define DP_TIMEOUT_MS 2000
#define NAME_MAX_LEN 64

struct cp_room {
	char name[NAME_MAX_LEN + 1];
	unsigned int n_transports;
};

static struct {
	const struct cp_config *cfg;
	struct cp_map transports; /* id -> struct cp_transport */
	struct cp_map rooms;      /* name -> struct cp_room */
	uint8_t *ports;           /* one byte per port of the media range: in use */
	struct cp_transport *pipe; /* the pipe transport (cluster), or NULL */
	uint32_t n_ports, cursor;
	uint64_t next_dp_id;
} r;

int
cp_rooms_init(const struct cp_config *cfg)
{
	r.cfg = cfg;
	r.n_ports = (uint32_t)cfg->port_max - cfg->port_min + 1;
	r.ports = calloc(r.n_ports, 1);
	r.next_dp_id = cascade_now_ns() << 8; /* distinct from a previous run's ids */
	return r.ports == NULL ? -ENOMEM : 0;
}

static void
free_one(const char *key, void *val, void *arg)
{
	(void)key, (void)arg;
	free(val);
}

void
cp_rooms_fini(void)
{
	cp_map_each(&r.transports, free_one, NULL);
	cp_map_each(&r.rooms, free_one, NULL);
	cp_map_free(&r.transports);
	cp_map_free(&r.rooms);
	free(r.ports);
	memset(&r, 0, sizeof(r));
}

uint64_t
cp_next_dp_id(void)
{
	return r.next_dp_id++;
}

struct each_t {
	void (*fn)(const struct cp_transport *, void *);
	void *arg;
};

static void
each_t(const char *k, void *v, void *arg)
{
	struct each_t *e = arg;

	(void)k;
	e->fn(v, e->arg);
}

void
cp_transports_each(void (*fn)(const struct cp_transport *t, void *arg), void *arg)
{
	struct each_t e = {fn, arg};

	cp_map_each(&r.transports, each_t, &e);
}

struct cp_transport *
cp_transport_get(const char *id)
{
	return cp_map_get(&r.transports, id);
}

/* ---- persistence (cp_state.c) -------------------------------------------------------- */

static void room_add(const char *name);
static void room_del(const char *name);

const char *
cp_suite_name(uint8_t suite)
{
	return suite == CASCADE_SUITE_NONE
		       ? "none"
		       : cascade_srtp_suite_info((enum cascade_srtp_suite)(suite - 1))->name;
}

/* A key as base64 (a JSON string, NULL on failure); the text buffer is wiped. */
static json_t *
key_json(uint8_t suite, const uint8_t *key)
{
	char b64[CASCADE_SRTP_KEY_BASE64_MAX + 1];
	json_t *j = NULL;

	if (cascade_srtp_key_to_base64(key, cascade_srtp_master_bytes(suite), b64, sizeof(b64)) >
	    0)
		j = json_string(b64);
	explicit_bzero(b64, sizeof(b64));
	return j;
}

/* A key from base64 for suite: 0, or -1 when it is not one. */
static int
key_parse(uint8_t suite, const char *b64, uint8_t *key)
{
	uint8_t k[CASCADE_SRTP_MASTER_MAX_BYTES];
	int rc;

	if (suite == CASCADE_SUITE_NONE || suite > CASCADE_SUITE_MAX || b64 == NULL)
		return -1;
	rc = cascade_srtp_key_from_base64((enum cascade_srtp_suite)(suite - 1), b64, k, sizeof(k));
	if (rc > 0) {
		memset(key, 0, CASCADE_SRTP_MASTER_MAX);
		memcpy(key, k, (size_t)rc);
	}
	explicit_bzero(k, sizeof(k));
	return rc > 0 ? 0 : -1;
}

json_t *
cp_transport_state(const struct cp_transport *t)
{
	json_t *j = json_pack("{s:s,s:s,s:I,s:b,s:b,s:b,s:s,s:i,s:i,s:s,s:i,s:i,s:b}", "id", t->id,
			      "room", t->room, "dp_id", (json_int_t)t->dp_id, "comedia",
			      t->comedia, "rtcp_mux", t->rtcp_mux, "connected", t->connected, "ip",
			      t->ip, "port", (int)t->port, "rtcp_port", (int)t->rtcp_port,
			      "remote_ip", t->remote_ip, "remote_port", (int)t->remote_port,
			      "remote_rtcp_port", (int)t->remote_rtcp_port, "pipe", t->pipe);

	if (j != NULL && t->srtp_suite != CASCADE_SUITE_NONE) {
		json_object_set_new(j, "srtp_suite", json_integer(t->srtp_suite));
		if (t->pipe)
			return j; /* a pipe's keys are per stream, in the dataplane only */
		/* the state file is written 0600 (cp_state.c): a restart must not need them again */
		json_object_set_new(j, "srtp_local_key", key_json(t->srtp_suite, t->local_key));
		if (t->has_remote_key)
			json_object_set_new(j, "srtp_remote_key",
					    key_json(t->srtp_suite, t->remote_key));
	}
	return j;
}

int
cp_transport_restore(json_t *o)
{
	struct cp_transport *t = calloc(1, sizeof(*t));
	const char *id, *room, *ip, *rip;
	json_int_t dp_id;
	int port, rport, remote_port, remote_rport, comedia, mux, connected, pipe = 0;
	struct cascade_addr a;

	if (t == NULL)
		return -1;
	if (json_unpack(o, "{s:s,s:s,s:I,s:b,s:b,s:b,s:s,s:i,s:i,s:s,s:i,s:i,s?b}", "id", &id,
			"room", &room, "dp_id", &dp_id, "comedia", &comedia, "rtcp_mux", &mux,
			"connected", &connected, "ip", &ip, "port", &port, "rtcp_port", &rport,
			"remote_ip", &rip, "remote_port", &remote_port, "remote_rtcp_port",
			&remote_rport, "pipe", &pipe) < 0 ||
	    strlen(id) >= sizeof(t->id) || cp_map_get(&r.transports, id) != NULL ||
	    (pipe ? (port != r.cfg->pipe_port || r.pipe != NULL)
		  : (!cp_room_name_ok(room) || port < r.cfg->port_min || port > r.cfg->port_max))) {
		free(t);
		return -1;
	}
	t->srtp_suite = (uint8_t)json_integer_value(json_object_get(o, "srtp_suite"));
	if (t->srtp_suite > CASCADE_SUITE_MAX) {
		free(t);
		return -1;
	}
	if (t->srtp_suite != CASCADE_SUITE_NONE && !pipe) {
		json_t *rk = json_object_get(o, "srtp_remote_key");

		if (key_parse(t->srtp_suite, json_string_value(json_object_get(o, "srtp_local_key")),
			      t->local_key) < 0 ||
		    (rk != NULL && key_parse(t->srtp_suite, json_string_value(rk), t->remote_key) < 0)) {
			explicit_bzero(t, sizeof(*t));
			free(t);
			return -1;
		}
		t->has_remote_key = rk != NULL;
	}
	t->pipe = pipe;
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->room, sizeof(t->room), "%s", room);
	snprintf(t->ip, sizeof(t->ip), "%s", ip);
	snprintf(t->remote_ip, sizeof(t->remote_ip), "%s", rip);
	t->dp_id = (uint64_t)dp_id;
	t->comedia = comedia, t->rtcp_mux = mux, t->connected = connected;
	t->port = (uint16_t)port, t->rtcp_port = (uint16_t)rport;
	t->remote_port = (uint16_t)remote_port, t->remote_rtcp_port = (uint16_t)remote_rport;
	t->family = cp_addr_make(&a, t->ip, t->port);
	t->slot = UINT32_MAX; /* set by the reconciliation */
	if (cp_map_put(&r.transports, t->id, t) < 0) {
		free(t);
		return -1;
	}
	if ((uint64_t)dp_id >= r.next_dp_id)
		r.next_dp_id = (uint64_t)dp_id + 1;
	if (t->pipe) {
		r.pipe = t; /* outside the media range and the rooms */
		return 0;
	}
	r.ports[t->port - r.cfg->port_min] = 1;
	if (!t->rtcp_mux && t->rtcp_port >= r.cfg->port_min && t->rtcp_port <= r.cfg->port_max)
		r.ports[t->rtcp_port - r.cfg->port_min] = 1;
	room_add(t->room);
	return 0;
}

/* Enter the pipe transport the dataplane acknowledged (cp_pipe.c). */
int
cp_transport_add_pipe(struct cp_transport *t)
{
	if (r.pipe != NULL || cp_map_put(&r.transports, t->id, t) < 0)
		return -1;
	t->pipe = true;
	r.pipe = t;
	cp_state_dirty();
	return 0;
}

struct cp_transport *
cp_pipe_transport(void)
{
	return r.pipe;
}

static void release_ports(const struct cp_transport *t);

void
cp_transport_drop(struct cp_transport *t)
{
	cp_media_forget_transport(t);
	cp_map_del(&r.transports, t->id);
	if (t->pipe) {
		r.pipe = NULL; /* made again on the next attach */
	} else {
		room_del(t->room);
		release_ports(t);
	}
	explicit_bzero(t, sizeof(*t)); /* SRTP keys */
	free(t);
	cp_state_dirty();
}

void
cp_dp_id_seen(uint64_t dp_id)
{
	if (dp_id >= r.next_dp_id)
		r.next_dp_id = dp_id + 1;
}

/* ---- ports ---------------------------------------------------------------------------- */

/* n (1 or 2) consecutive free ports, the first even when n == 2. 0 or -ENOSPC. */
static int
ports_get(unsigned int n, uint16_t *first)
{
	uint32_t tries, i;

	for (tries = 0; tries < r.n_ports; tries++) {
		i = (r.cursor + tries) % r.n_ports;
		if (n == 2 && ((r.cfg->port_min + i) % 2 != 0 || i + 1 >= r.n_ports))
			continue;
		if (r.ports[i] || (n == 2 && r.ports[i + 1]))
			continue;
		r.ports[i] = 1;
		if (n == 2)
			r.ports[i + 1] = 1;
		r.cursor = (i + n) % r.n_ports;
		*first = (uint16_t)(r.cfg->port_min + i);
		return 0;
	}
	return -ENOSPC;
}

/* Take the n ports from first on if all are in the range and free: 0, -ERANGE, -EBUSY. */
static int
ports_take(unsigned int n, uint16_t first)
{
	unsigned int i;

	if (first < r.cfg->port_min || (unsigned int)first + n - 1 > r.cfg->port_max)
		return -ERANGE;
	for (i = 0; i < n; i++)
		if (r.ports[first - r.cfg->port_min + i])
			return -EBUSY;
	for (i = 0; i < n; i++)
		r.ports[first - r.cfg->port_min + i] = 1;
	return 0;
}

static void
ports_put(uint16_t port)
{
	if (port >= r.cfg->port_min && port <= r.cfg->port_max)
		r.ports[port - r.cfg->port_min] = 0;
}

/* ---- helpers -------------------------------------------------------------------------- */

bool
cp_room_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

void
cp_uuid4(char out[40])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		uint64_t t = cascade_now_ns();
		memcpy(b, &t, 8);
		memcpy(b + 8, &r.next_dp_id, 8);
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 40,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

/* Fill a segment address from text; returns the family or 0 when not an address. */
uint8_t
cp_addr_make(struct cascade_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->port_be = htons(port);
	if (inet_pton(AF_INET, ip, a->ip) == 1)
		a->family = CASCADE_AF_INET;
	else if (inet_pton(AF_INET6, ip, a->ip) == 1)
		a->family = CASCADE_AF_INET6;
	return a->family;
}

/* Optional boolean member: 0, or -1 after answering 400 naming the field. */
int
cp_opt_bool(struct evhttp_request *req, json_t *body, const char *key, bool *out)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		cp_http_error(req, CP_API_BAD_REQUEST, "%s: must be true or false", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* Optional port member (1..65535): 0, or -1 after answering 400 naming the field. */
static int
opt_port(struct evhttp_request *req, json_t *body, const char *key, uint16_t *out)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535) {
		cp_http_error(req, CP_API_BAD_REQUEST, "%s: must be an integer in 1..65535", key);
		return -1;
	}
	*out = (uint16_t)json_integer_value(v);
	return 0;
}

static json_t *
tuple(const char *ip, uint16_t port)
{
	return json_pack("{s:s,s:i,s:s}", "localIp", ip, "localPort", (int)port, "protocol", "udp");
}

static json_t *
transport_json(const struct cp_transport *t)
{
	json_t *j = json_pack("{s:s,s:s,s:o,s:b,s:b,s:b}", "id", t->id, "room", t->room, "tuple",
			      tuple(t->ip, t->port), "comedia", t->comedia, "rtcpMux", t->rtcp_mux,
			      "connected", t->connected);

	if (!t->rtcp_mux)
		json_object_set_new(j, "rtcpTuple", tuple(t->ip, t->rtcp_port));
	if (t->srtp_suite != CASCADE_SUITE_NONE) /* the suite only: keys are shown once, at create */
		json_object_set_new(j, "srtpCryptoSuite", json_string(cp_suite_name(t->srtp_suite)));
	if (t->remote_port != 0)
		json_object_set_new(j, "remote",
				    json_pack("{s:s,s:i,s:i}", "ip", t->remote_ip, "port",
					      (int)t->remote_port, "rtcpPort",
					      (int)(t->remote_rtcp_port ? t->remote_rtcp_port
									: t->remote_port)));
	return j;
}

/* ---- create ----------------------------------------------------------------------------- */

struct call {
	struct evhttp_request *req; /* NULL once the client went away */
	struct cp_transport *t;
	uint16_t remote_port, remote_rtcp_port; /* connect: what is being set */
	char remote_ip[64];
	struct cascade_cmd cmd; /* connect: sent once the next hop's MAC is known */
	bool has_ip;            /* connect: a remote tuple to set (else SRTP keys only) */
	bool has_srtp;          /* connect: srtp holds the keys, sent first */
	struct cascade_cmd srtp;
};

/* Free a call, wiping the keys it may hold. */
static void
call_free(struct call *c)
{
	explicit_bzero(&c->srtp, sizeof(c->srtp));
	free(c);
}

static struct call *
call_new(struct evhttp_request *req, struct cp_transport *t)
{
	struct call *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		cp_http_error(req, CP_API_INTERNAL, "out of memory");
		return NULL;
	}
	c->t = t;
	return c;
}

static void
release_ports(const struct cp_transport *t)
{
	ports_put(t->port);
	if (!t->rtcp_mux)
		ports_put(t->rtcp_port);
}

static void
room_add(const char *name)
{
	struct cp_room *room = cp_map_get(&r.rooms, name);

	if (room == NULL) {
		room = calloc(1, sizeof(*room));
		if (room == NULL)
			return;
		snprintf(room->name, sizeof(room->name), "%s", name);
		if (cp_map_put(&r.rooms, room->name, room) < 0) {
			free(room);
			return;
		}
		cp_cluster_room_join(room->name);
	}
	room->n_transports++;
}

struct rooms_walk {
	void (*fn)(const char *room, void *arg);
	void *arg;
};

static void
each_room(const char *key, void *val, void *arg)
{
	struct rooms_walk *w = arg;

	(void)val;
	w->fn(key, w->arg);
}

void
cp_rooms_each(void (*fn)(const char *room, void *arg), void *arg)
{
	struct rooms_walk w = {fn, arg};

	cp_map_each(&r.rooms, each_room, &w);
}

int
cp_room_transports(const char *room)
{
	struct cp_room *rm = cp_map_get(&r.rooms, room);

	return rm != NULL ? (int)rm->n_transports : 0;
}

static void
room_del(const char *name)
{
	struct cp_room *room = cp_map_get(&r.rooms, name);

	if (room != NULL && --room->n_transports == 0) {
		cp_cluster_room_leave(room->name);
		cp_map_del(&r.rooms, room->name);
		free(room);
	}
}

static void
on_created(const struct cascade_reply *rep, void *arg)
{
	struct call *c = arg;
	struct cp_transport *t = c->t;

	if (c->req != NULL)
		cp_http_release(c->req);
	if (rep == NULL || rep->status != 0) {
		/* nothing was installed (or we cannot know: a late add is undone by the
		 * restart reconciliation): give the ports back */
		if (c->req != NULL) {
			if (rep == NULL)
				cp_http_error(c->req, CP_API_UNAVAILABLE, "dataplane did not answer");
			else
				cp_http_dp_error(c->req, rep->status, rep->message);
		}
		release_ports(t);
		explicit_bzero(t, sizeof(*t));
		free(t);
		free(c);
		return;
	}
	t->busy = false;
	t->slot = rep->slot;
	if (cp_map_put(&r.transports, t->id, t) < 0) {
		if (c->req != NULL)
			cp_http_error(c->req, CP_API_INTERNAL, "out of memory");
		free(c);
		return; /* leaks the dataplane entry; logged by the reconciliation later */
	}
	room_add(t->room);
	cp_state_dirty();
	if (c->req != NULL) {
		json_t *j = transport_json(t);

		if (t->srtp_suite != CASCADE_SUITE_NONE)
			json_object_set_new(j, "srtpParameters",
					    json_pack("{s:s,s:o}", "cryptoSuite",
						      cp_suite_name(t->srtp_suite), "keyBase64",
						      key_json(t->srtp_suite, t->local_key)));
		cp_http_json(c->req, 200, j);
	}
	free(c);
}

void
cp_api_transport_create(struct evhttp_request *req, const char *room)
{
	struct cp_transport *t;
	struct cascade_cmd cmd;
	struct call *c;
	json_t *body, *v;
	uint16_t want_port = 0;
	bool srtp = false;
	int rc;

	if (!cp_room_name_ok(room)) {
		cp_http_error(req, CP_API_BAD_REQUEST,
			      "room: 1 to 64 letters, digits, '-', '_' or '.'");
		return;
	}
	body = cp_http_body(req);
	if (body == NULL)
		return;
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		json_decref(body);
		cp_http_error(req, CP_API_INTERNAL, "out of memory");
		return;
	}
	t->rtcp_mux = true;
	v = json_object_get(body, "type");
	if (v != NULL && (!json_is_string(v) || strcmp(json_string_value(v), "plain") != 0)) {
		cp_http_error(req, CP_API_BAD_REQUEST, "type: only \"plain\" transports exist");
		goto bad;
	}
	if (cp_opt_bool(req, body, "comedia", &t->comedia) < 0 ||
	    cp_opt_bool(req, body, "rtcpMux", &t->rtcp_mux) < 0 ||
	    cp_opt_bool(req, body, "enableSrtp", &srtp) < 0)
		goto bad;
	v = json_object_get(body, "srtpCryptoSuite");
	if (v != NULL && !srtp) {
		cp_http_error(req, CP_API_BAD_REQUEST, "srtpCryptoSuite: needs \"enableSrtp\":true");
		goto bad;
	}
	if (srtp) {
		enum cascade_srtp_suite ws = CASCADE_SRTP_AES_CM_128_HMAC_SHA1_80;

		if (v != NULL &&
		    (!json_is_string(v) || cascade_srtp_suite_from_name(json_string_value(v), &ws) < 0)) {
			cp_http_error(req, CP_API_BAD_REQUEST,
				      "srtpCryptoSuite: one of AES_CM_128_HMAC_SHA1_80, "
				      "AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM");
			goto bad;
		}
		if (!cascade_srtp_suite_is_supported(ws)) {
			cp_http_error(req, CP_API_BAD_REQUEST,
				      "srtpCryptoSuite: %s is not in this node's libsrtp2",
				      cascade_srtp_suite_info(ws)->name);
			goto bad;
		}
		t->srtp_suite = (uint8_t)(ws + 1);
		if (cascade_srtp_key_generate(ws, t->local_key, sizeof(t->local_key)) < 0) {
			cp_http_error(req, CP_API_INTERNAL, "enableSrtp: cannot generate a key");
			goto bad;
		}
	}
	if (cp_dp_state() != CP_DP_RUNNING) {
		cp_http_error(req, CP_API_UNAVAILABLE, "dataplane not running");
		goto bad;
	}
	/* listenIp: one of the node's media addresses (default the first) */
	snprintf(t->ip, sizeof(t->ip), "%s", r.cfg->media_ips[0]);
	v = json_object_get(body, "listenIp");
	if (v != NULL) {
		unsigned int i;

		for (i = 0; json_is_string(v) && i < r.cfg->n_media_ips; i++)
			if (strcmp(json_string_value(v), r.cfg->media_ips[i]) == 0)
				break;
		if (!json_is_string(v) || i == r.cfg->n_media_ips) {
			cp_http_error(req, CP_API_BAD_REQUEST,
				      "listenIp: not one of this node's media addresses");
			goto bad;
		}
		snprintf(t->ip, sizeof(t->ip), "%s", json_string_value(v));
	}
	if (opt_port(req, body, "port", &want_port) < 0)
		goto bad;
	if (want_port != 0) {
		/* a requested port (and the next one for RTCP without rtcp-mux) */
		rc = ports_take(t->rtcp_mux ? 1 : 2, want_port);
		if (rc == -ERANGE) {
			cp_http_error(req, CP_API_BAD_REQUEST, "port: %u%s is outside %u-%u",
				      want_port, t->rtcp_mux ? "" : " (and the next, for RTCP)",
				      r.cfg->port_min, r.cfg->port_max);
			goto bad;
		}
		if (rc == -EBUSY) {
			cp_http_error(req, CP_API_CONFLICT, "port: %u%s already in use",
				      want_port, t->rtcp_mux ? " is" : " or the next is");
			goto bad;
		}
		t->port = want_port;
	} else if (ports_get(t->rtcp_mux ? 1 : 2, &t->port) < 0) {
		cp_http_error(req, CP_API_UNAVAILABLE, "no free port left in %u-%u",
			      r.cfg->port_min, r.cfg->port_max);
		goto bad;
	}
	if (!t->rtcp_mux)
		t->rtcp_port = (uint16_t)(t->port + 1);
	json_decref(body);
	body = NULL;

	cp_uuid4(t->id);
	snprintf(t->room, sizeof(t->room), "%s", room);
	t->dp_id = cp_next_dp_id();
	t->busy = true;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_TRANSPORT_ADD;
	cmd.u.transport.obj_id = t->dp_id;
	cmd.u.transport.flags = (uint8_t)((t->comedia ? CASCADE_TRANSPORT_COMEDIA : 0) |
					  (t->rtcp_mux ? CASCADE_TRANSPORT_RTCP_MUX : 0));
	cmd.u.transport.srtp_suite = t->srtp_suite;
	t->family = cp_addr_make(&cmd.u.transport.local, t->ip, t->port);
	if (!t->rtcp_mux)
		cp_addr_make(&cmd.u.transport.local_rtcp, t->ip, t->rtcp_port);
	c = call_new(req, t);
	if (c == NULL) {
		release_ports(t);
		free(t);
		return;
	}
	rc = cp_dp_call(&cmd, DP_TIMEOUT_MS, on_created, c);
	if (rc < 0) {
		cp_http_error(req, CP_API_UNAVAILABLE, "dataplane: %s", strerror(-rc));
		release_ports(t);
		explicit_bzero(t, sizeof(*t));
		free(t);
		free(c);
		return;
	}
	cp_http_hold(req, &c->req);
	return;
bad:
	json_decref(body);
	explicit_bzero(t, sizeof(*t));
	free(t);
}

/* ---- connect ---------------------------------------------------------------------------- */

static struct cp_transport *
find(struct evhttp_request *req, const char *id)
{
	struct cp_transport *t = cp_map_get(&r.transports, id);

	if (t == NULL) {
		cp_http_error(req, CP_API_NOT_FOUND, "transport %s not found", id);
		return NULL;
	}
	if (t->busy || t->n_pending != 0) {
		cp_http_error(req, CP_API_CONFLICT, "transport %s: another change is in progress",
			      id);
		return NULL;
	}
	if (cp_dp_state() != CP_DP_RUNNING) {
		cp_http_error(req, CP_API_UNAVAILABLE, "dataplane not running");
		return NULL;
	}
	return t;
}

static void
on_connected(const struct cascade_reply *rep, void *arg)
{
	struct call *c = arg;
	struct cp_transport *t = c->t;

	t->busy = false;
	if (c->req != NULL)
		cp_http_release(c->req);
	if (rep != NULL && rep->status == 0) {
		snprintf(t->remote_ip, sizeof(t->remote_ip), "%s", c->remote_ip);
		t->remote_port = c->remote_port;
		t->remote_rtcp_port = c->remote_rtcp_port;
		t->connected = true;
		cp_state_dirty();
		if (c->req != NULL)
			cp_http_json(c->req, 200, json_object());
	} else if (c->req != NULL) {
		if (rep == NULL)
			cp_http_error(c->req, CP_API_UNAVAILABLE, "dataplane did not answer");
		else
			cp_http_dp_error(c->req, rep->status, rep->message);
	}
	call_free(c);
}

static void
on_next_hop(const uint8_t *mac, void *arg)
{
	struct call *c = arg;
	int rc;

	if (mac != NULL)
		memcpy(c->cmd.u.transport.remote_mac, mac, 6);
	rc = cp_dp_state() == CP_DP_RUNNING ? cp_dp_call(&c->cmd, DP_TIMEOUT_MS, on_connected, c)
					     : -ENOTCONN;
	if (rc < 0) {
		c->t->busy = false;
		if (c->req != NULL) {
			cp_http_release(c->req);
			cp_http_error(c->req, CP_API_UNAVAILABLE, "dataplane: %s", strerror(-rc));
		}
		call_free(c);
	}
}

/*
 * The dataplane has (or refused) the SRTP keys: keep the remote's, then set
 * the remote tuple if connect gave one.
 */
static void
on_srtp_set(const struct cascade_reply *rep, void *arg)
{
	struct call *c = arg;
	struct cp_transport *t = c->t;

	if (rep != NULL && rep->status == 0) {
		memcpy(t->remote_key, c->srtp.u.srtp.rx_master, sizeof(t->remote_key));
		t->has_remote_key = true;
		cp_state_dirty();
		explicit_bzero(&c->srtp, sizeof(c->srtp));
		if (c->has_ip) {
			cp_neigh_resolve(c->remote_ip, on_next_hop, c);
			return;
		}
	}
	t->busy = false;
	if (c->req != NULL) {
		cp_http_release(c->req);
		if (rep == NULL)
			cp_http_error(c->req, CP_API_UNAVAILABLE, "dataplane did not answer");
		else if (rep->status != 0)
			cp_http_dp_error(c->req, rep->status, rep->message);
		else
			cp_http_json(c->req, 200, json_object());
	}
	call_free(c);
}

/*
 * connect's srtpParameters ({"cryptoSuite","keyBase64"}, the remote's key) for
 * SRTP transport t into key. 0, or -1 after answering 400 naming the field.
 */
static int
srtp_params(struct evhttp_request *req, const struct cp_transport *t, json_t *v, uint8_t *key)
{
	enum cascade_srtp_suite ws;
	json_t *suite = json_object_get(v, "cryptoSuite"), *b64 = json_object_get(v, "keyBase64");
	uint8_t k[CASCADE_SRTP_MASTER_MAX_BYTES];
	int rc;

	if (!json_is_object(v)) {
		cp_http_error(req, CP_API_BAD_REQUEST,
			      "srtpParameters: an object {\"cryptoSuite\",\"keyBase64\"}");
		return -1;
	}
	if (!json_is_string(suite) || cascade_srtp_suite_from_name(json_string_value(suite), &ws) < 0) {
		cp_http_error(req, CP_API_BAD_REQUEST,
			      "srtpParameters.cryptoSuite: one of AES_CM_128_HMAC_SHA1_80, "
			      "AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM");
		return -1;
	}
	if ((uint8_t)(ws + 1) != t->srtp_suite) {
		cp_http_error(req, CP_API_BAD_REQUEST,
			      "srtpParameters.cryptoSuite: %s differs from the transport's %s",
			      json_string_value(suite), cp_suite_name(t->srtp_suite));
		return -1;
	}
	if (!json_is_string(b64)) {
		cp_http_error(req, CP_API_BAD_REQUEST, "srtpParameters.keyBase64: required, a string");
		return -1;
	}
	rc = cascade_srtp_key_from_base64(ws, json_string_value(b64), k, sizeof(k));
	if (rc < 0) {
		if (rc == -EMSGSIZE)
			cp_http_error(req, CP_API_BAD_REQUEST,
				      "srtpParameters.keyBase64: %s needs %u bytes of key and salt",
				      cp_suite_name(t->srtp_suite),
				      cascade_srtp_master_bytes(t->srtp_suite));
		else
			cp_http_error(req, CP_API_BAD_REQUEST,
				      "srtpParameters.keyBase64: not canonical base64");
		return -1;
	}
	memset(key, 0, CASCADE_SRTP_MASTER_MAX);
	memcpy(key, k, (size_t)rc);
	explicit_bzero(k, sizeof(k));
	return 0;
}

void
cp_api_transport_connect(struct evhttp_request *req, const char *id)
{
	struct cp_transport *t;
	struct cascade_cmd cmd;
	struct call *c;
	json_t *body, *v, *vs;
	uint16_t port = 0, rtcp_port = 0;
	uint8_t key[CASCADE_SRTP_MASTER_MAX];
	bool has_ip;
	int rc;

	body = cp_http_body(req);
	if (body == NULL)
		return;
	t = find(req, id);
	if (t == NULL)
		goto out;
	memset(&cmd, 0, sizeof(cmd));
	vs = json_object_get(body, "srtpParameters");
	if (vs != NULL && t->srtp_suite == CASCADE_SUITE_NONE) {
		cp_http_error(req, CP_API_BAD_REQUEST,
			      "srtpParameters: the transport was created without enableSrtp");
		goto out;
	}
	if (vs == NULL && t->srtp_suite != CASCADE_SUITE_NONE) {
		cp_http_error(req, CP_API_BAD_REQUEST,
			      "srtpParameters: required on an SRTP transport (enableSrtp)");
		goto out;
	}
	if (vs != NULL && srtp_params(req, t, vs, key) < 0)
		goto out;
	v = json_object_get(body, "ip");
	/* a comedia SRTP transport learns its remote: connect may bring only the keys */
	has_ip = !(v == NULL && vs != NULL && t->comedia && json_object_get(body, "port") == NULL &&
		   json_object_get(body, "rtcpPort") == NULL);
	if (has_ip) {
		if (v == NULL || !json_is_string(v) ||
		    cp_addr_make(&cmd.u.transport.remote, json_string_value(v), 1) != t->family) {
			cp_http_error(req, CP_API_BAD_REQUEST,
				      "ip: required, an address of the transport's family (%s)",
				      t->family == CASCADE_AF_INET ? "IPv4" : "IPv6");
			goto out;
		}
		if (opt_port(req, body, "port", &port) < 0 ||
		    opt_port(req, body, "rtcpPort", &rtcp_port) < 0)
			goto out;
		if (port == 0) {
			cp_http_error(req, CP_API_BAD_REQUEST, "port: required");
			goto out;
		}
		if (t->rtcp_mux && rtcp_port != 0 && rtcp_port != port) {
			cp_http_error(req, CP_API_BAD_REQUEST, "rtcpPort: not allowed with rtcpMux");
			goto out;
		}
	}
	c = call_new(req, t);
	if (c == NULL)
		goto out;
	c->has_ip = has_ip;
	if (has_ip) {
		snprintf(c->remote_ip, sizeof(c->remote_ip), "%s", json_string_value(v));
		c->remote_port = port;
		c->remote_rtcp_port = t->rtcp_mux ? 0 : rtcp_port;
		cmd.type = CASCADE_CMD_TRANSPORT_CONNECT;
		cmd.u.transport.obj_id = t->dp_id;
		cmd.u.transport.remote.port_be = htons(port);
		if (c->remote_rtcp_port != 0)
			cp_addr_make(&cmd.u.transport.remote_rtcp, c->remote_ip,
				     c->remote_rtcp_port);
		c->cmd = cmd;
	}
	t->busy = true;
	cp_http_hold(req, &c->req);
	if (vs == NULL) {
		/* the next hop's MAC first (from the kernel, when the port is a kernel interface) */
		cp_neigh_resolve(c->remote_ip, on_next_hop, c);
		goto out;
	}
	/* the keys first, so media flows as soon as the remote tuple is set */
	c->has_srtp = true;
	c->srtp.type = CASCADE_CMD_TRANSPORT_SRTP;
	c->srtp.u.srtp.obj_id = t->dp_id;
	c->srtp.u.srtp.suite = t->srtp_suite;
	memcpy(c->srtp.u.srtp.rx_master, key, CASCADE_SRTP_MASTER_MAX);
	memcpy(c->srtp.u.srtp.tx_master, t->local_key, CASCADE_SRTP_MASTER_MAX);
	rc = cp_dp_call(&c->srtp, DP_TIMEOUT_MS, on_srtp_set, c);
	if (rc < 0) {
		t->busy = false;
		cp_http_release(req);
		cp_http_error(req, CP_API_UNAVAILABLE, "dataplane: %s", strerror(-rc));
		call_free(c);
	}
out:
	explicit_bzero(key, sizeof(key));
	json_decref(body);
}

/* ---- delete ----------------------------------------------------------------------------- */

static void
on_deleted(const struct cascade_reply *rep, void *arg)
{
	struct call *c = arg;
	struct cp_transport *t = c->t;

	if (c->req != NULL)
		cp_http_release(c->req);
	if (rep != NULL && (rep->status == 0 || rep->status == -ENOENT)) {
		/* the dataplane removed its producers and consumers with it */
		cp_transport_drop(t);
		if (c->req != NULL)
			cp_http_json(c->req, 200, json_object());
	} else {
		t->busy = false;
		if (c->req != NULL) {
			if (rep == NULL)
				cp_http_error(c->req, CP_API_UNAVAILABLE, "dataplane did not answer");
			else
				cp_http_dp_error(c->req, rep->status, rep->message);
		}
	}
	free(c);
}

void
cp_api_transport_delete(struct evhttp_request *req, const char *id)
{
	struct cp_transport *t = find(req, id);
	struct cascade_cmd cmd;
	struct call *c;
	int rc;

	if (t == NULL)
		return;
	c = call_new(req, t);
	if (c == NULL)
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CASCADE_CMD_TRANSPORT_DEL;
	cmd.u.obj.obj_id = t->dp_id;
	rc = cp_dp_call(&cmd, DP_TIMEOUT_MS, on_deleted, c);
	if (rc < 0) {
		cp_http_error(req, CP_API_UNAVAILABLE, "dataplane: %s", strerror(-rc));
		free(c);
		return;
	}
	t->busy = true;
	cp_http_hold(req, &c->req);
}

/* ---- rooms ------------------------------------------------------------------------------ */

static void
add_room(const char *key, void *val, void *arg)
{
	const struct cp_room *room = val;

	(void)key;
	json_array_append_new(arg, json_pack("{s:s,s:i}", "name", room->name, "transports",
					     (int)room->n_transports));
}

void
cp_api_rooms_list(struct evhttp_request *req)
{
	json_t *rooms;

	if (cp_cluster_enabled()) {
		cp_api_cluster_rooms(req);
		return;
	}
	rooms = json_array();
	cp_map_each(&r.rooms, add_room, rooms);
	cp_http_json(req, 200, json_pack("{s:o}", "rooms", rooms));
}

struct room_walk {
	const char *room;
	json_t *list;
};

static void
add_transport(const char *key, void *val, void *arg)
{
	const struct cp_transport *t = val;
	struct room_walk *w = arg;

	(void)key;
	if (strcmp(t->room, w->room) == 0)
		json_array_append_new(w->list, transport_json(t));
}

void
cp_api_room_get(struct evhttp_request *req, const char *room)
{
	struct room_walk w = {.room = room};
	json_t *out;

	if (cp_map_get(&r.rooms, room) == NULL && !cp_cluster_enabled()) {
		cp_http_error(req, CP_API_NOT_FOUND, "room %s not found (no transport in it)", room);
		return;
	}
	w.list = json_array();
	cp_map_each(&r.transports, add_transport, &w);
	out = json_pack("{s:s,s:o}", "name", room, "transports", w.list);
	cp_media_room_json(room, out);
	if (cp_cluster_enabled())
		cp_api_cluster_room(req, room, out); /* adds the other nodes' producers */
	else
		cp_http_json(req, 200, out);
}
