/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Calls to other nodes' inter-node API (/v1/internal), over HTTP/1.1
 * connections kept per node and address (evhttp client). A request is signed
 * with the peer key (cp_sign.h: X-Cascade-Node, X-Cascade-Time,
 * X-Cascade-Signature over method, path, body digest and time); the cluster
 * secret itself is never sent. A node calls only addresses inside
 * cluster.peer_networks: any other is refused before a connection is made,
 * counted and logged. Its answer is handed back parsed by cp_schema_load()
 * but otherwise unchecked: the caller validates it as the input it is. The
 * inter-node calls are idempotent, so a kept-alive connection the peer closed
 * meanwhile is retried on a new one. Event-loop thread only.
 *
 * Layer: leaf.
 */
#ifndef CP_PEER_H
#define CP_PEER_H

#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "cp_config.h"

/*
 * The answer: status 0 when the node did not answer (connection refused,
 * timeout), else its HTTP status; body its JSON object, or NULL when it sent
 * none that parses (borrowed for the call).
 */
typedef void (*cp_peer_cb)(int status, const json_t *body, void *arg);

/*
 * Calls are signed as cfg's node with the key derived from cfg's cluster
 * secret, go only to cfg's peer networks, and time out after timeout_s.
 * 0, or -1 (said why).
 */
int cp_peer_init(struct event_base *base, const struct cp_config *cfg, unsigned int timeout_s);
void cp_peer_fini(void);
/*
 * Send method path (body: NULL, or JSON sent compact) to node, whose API is
 * at host:port (an IP literal). cb runs later, from the loop, exactly once.
 * 0, or -ENOMEM, or -EACCES (host is outside cluster.peer_networks: nothing
 * sent, cb never runs).
 */
int cp_peer_call(const char *node, const char *host, uint16_t port, enum evhttp_cmd_type method,
		 const char *path, const json_t *body, cp_peer_cb cb, void *arg);

/* Calls refused because the address was outside cluster.peer_networks. */
uint64_t cp_peer_refused(void);

#endif /* CP_PEER_H */
