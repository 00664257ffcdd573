/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The inter-node HTTP client (see cp_peer.h). Connections are kept per
 * "node host port", so a node that moves gets a new one; a node that dies
 * keeps its connection (freeing it would drop requests in flight without an
 * answer; they time out on their own, and a node that comes back reuses it).
 *
 * Layer: leaf.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cp_addr.h"
#include "cp_ids.h"
#include "cp_map.h"
#include "cp_peer.h"
#include "cp_schema.h"
#include "cp_sign.h"

struct peer_conn {
	char key[CP_ID_MAX + CP_IP_MAX + 8];
	struct evhttp_connection *conn;
};

struct peer_call {
	cp_peer_cb cb;
	void *arg;
};

static struct {
	struct event_base *base;
	const struct cp_config *cfg;
	struct cp_sign_key key; /* the peer key (cp_sign.h), never the secret itself */
	unsigned int timeout_s;
	struct cp_map conns; /* key -> struct peer_conn */
	uint64_t refused, refused_logged_ns;
} peers;

static const char *
method_name(enum evhttp_cmd_type m)
{
	return m == EVHTTP_REQ_GET      ? "GET"
	       : m == EVHTTP_REQ_POST   ? "POST"
	       : m == EVHTTP_REQ_DELETE ? "DELETE"
					: "OTHER";
}

uint64_t
cp_peer_refused(void)
{
	return peers.refused;
}

static void
on_reply(struct evhttp_request *req, void *arg)
{
	struct peer_call *pc = arg;
	int status = req != NULL ? evhttp_request_get_response_code(req) : 0;
	json_t *body = NULL;

	if (req != NULL && status != 0) {
		struct evbuffer *b = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(b);
		const char *data = n > 0 ? (const char *)evbuffer_pullup(b, (ssize_t)n) : NULL;

		if (data != NULL)
			body = cp_schema_load(data, n, "answer", NULL);
	}
	pc->cb(status, body, pc->arg);
	json_decref(body);
	free(pc);
}

static struct evhttp_connection *
conn_for(const char *node, const char *host, uint16_t port)
{
	char key[sizeof(((struct peer_conn *)0)->key)];
	struct peer_conn *c;

	snprintf(key, sizeof(key), "%s %s %u", node, host, port);
	c = cp_map_get(&peers.conns, key);
	if (c != NULL)
		return c->conn;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	snprintf(c->key, sizeof(c->key), "%s", key);
	c->conn = evhttp_connection_base_new(peers.base, NULL, host, port);
	if (c->conn == NULL || cp_map_put(&peers.conns, c->key, c) < 0) {
		if (c->conn != NULL)
			evhttp_connection_free(c->conn);
		free(c);
		return NULL;
	}
	evhttp_connection_set_timeout(c->conn, (int)peers.timeout_s);
	evhttp_connection_set_retries(c->conn, 2);
	return c->conn;
}

/* A body's text may hold a pipe's SRTP key: wiped before it goes back to the heap. */
static void
wipe_free(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

int
cp_peer_call(const char *node, const char *host, uint16_t port, enum evhttp_cmd_type method,
	     const char *path, const json_t *body, cp_peer_cb cb, void *arg)
{
	struct evhttp_connection *conn;
	struct cp_sign_peer_hdrs sig;
	struct evhttp_request *req;
	struct peer_call *pc = NULL;
	struct evkeyvalq *h;
	char hostport[CP_URL_MAX], *s = NULL;

	if (!cp_cidr_match(peers.cfg->peer_nets, peers.cfg->n_peer_nets, host)) {
		/* Redis said so, or a record that verifies but is wrong: never connect */
		peers.refused++;
		if (cp_err_log_now(&peers.refused_logged_ns))
			fprintf(stderr,
				"cascade-cp: peers: not calling node %s at %s: outside "
				"cluster.peer_networks (%" PRIu64 " calls refused so far)\n",
				node, host, peers.refused);
		return -EACCES;
	}
	if (body != NULL && (s = json_dumps(body, JSON_COMPACT)) == NULL)
		return -ENOMEM;
	conn = conn_for(node, host, port);
	if (conn == NULL || (pc = calloc(1, sizeof(*pc))) == NULL ||
	    cp_sign_peer_make(&peers.key, peers.cfg->node_id, node, method_name(method), path, s,
			      s != NULL ? strlen(s) : 0, cp_sign_now_ms(), &sig) < 0) {
		free(pc);
		wipe_free(s);
		return -ENOMEM;
	}
	pc->cb = cb;
	pc->arg = arg;
	req = evhttp_request_new(on_reply, pc);
	if (req == NULL) {
		free(pc);
		wipe_free(s);
		return -ENOMEM;
	}
	h = evhttp_request_get_output_headers(req);
	/* Host: the URL's authority, without the scheme */
	cp_url_format(hostport, sizeof(hostport), "http", host, port);
	evhttp_add_header(h, "Host", hostport + strlen("http://"));
	evhttp_add_header(h, CP_SIGN_HDR_NODE, peers.cfg->node_id);
	evhttp_add_header(h, CP_SIGN_HDR_TIME, sig.time);
	evhttp_add_header(h, CP_SIGN_HDR_SIG, sig.sig);
	if (s != NULL) {
		evhttp_add_header(h, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), s, strlen(s));
		wipe_free(s);
	}
	/* a connection that fails calls back with NULL (status 0), like a peer that is down */
	(void)evhttp_make_request(conn, req, method, path);
	return 0;
}

int
cp_peer_init(struct event_base *base, const struct cp_config *cfg, unsigned int timeout_s)
{
	peers.base = base;
	peers.cfg = cfg;
	peers.timeout_s = timeout_s;
	if (cfg->cluster_secret[0] != '\0' &&
	    cp_sign_derive(cfg->cluster_secret, CP_SIGN_PEERS, &peers.key) < 0) {
		fprintf(stderr, "cascade-cp: peers: cannot derive the peer key\n");
		return -1;
	}
	return 0;
}

static void
free_conn(const char *k, void *v, void *arg)
{
	struct peer_conn *c = v;

	(void)k, (void)arg;
	evhttp_connection_free(c->conn);
	free(c);
}

void
cp_peer_fini(void)
{
	cp_map_each(&peers.conns, free_conn, NULL);
	cp_map_free(&peers.conns);
	explicit_bzero(&peers.key, sizeof(peers.key));
}
