/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Calls to other nodes' inter-node API (/v1/internal), over HTTP/1.1
 * connections kept per node and address (evhttp client). A request carries
 * the cluster secret; its answer is handed back parsed by cp_schema_load()
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

/*
 * The answer: status 0 when the node did not answer (connection refused,
 * timeout), else its HTTP status; body its JSON object, or NULL when it sent
 * none that parses (borrowed for the call).
 */
typedef void (*cp_peer_cb)(int status, const json_t *body, void *arg);

/* Calls carry secret (the cluster's) and time out after timeout_s. */
int cp_peer_init(struct event_base *base, const char *secret, unsigned int timeout_s);
void cp_peer_fini(void);
/*
 * Send method path (body: NULL, or JSON sent compact) to node, whose API is
 * at host:port (an IP literal). cb runs later, from the loop, exactly once.
 * 0, or -ENOMEM.
 */
int cp_peer_call(const char *node, const char *host, uint16_t port, enum evhttp_cmd_type method,
		 const char *path, const json_t *body, cp_peer_cb cb, void *arg);

#endif /* CP_PEER_H */
