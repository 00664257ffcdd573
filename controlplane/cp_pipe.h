/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipes between nodes (DESIGN.md 4, step 4): the node's pipe transport, the
 * producers it pipes in from other nodes (this node is B) and the consumers
 * it pipes out towards them (this node is A). The pipes observe the registry
 * (a pipe producer's last consumer went) and the cluster (a source closed or
 * paused a producer, a node died). Pipe objects live in the registry but are
 * never the API's: a client sees them in stats only. Event-loop thread only.
 *
 * Layer: service.
 */
#ifndef CP_PIPE_H
#define CP_PIPE_H

#include <jansson.h>

#include <event2/event.h>

#include "cp_config.h"
#include "cp_err.h"
#include "cp_registry.h"
#include "cp_schema.h"

int cp_pipe_init(struct event_base *base, const struct cp_config *cfg);
void cp_pipe_fini(void);
/* The dataplane (re)attached and was reconciled: make sure the pipe transport exists. */
void cp_pipe_on_attach(void);

/* ---- B: piping a producer in ---- */

/* The pipe producer, ready (p, err NULL) or failed (NULL, err: -ENOENT, -ENOTCONN, ...). */
typedef void (*cp_pipe_cb)(struct cp_producer *p, const struct cp_err *err, void *arg);
/*
 * Pipe producer id of room in from the node that has it, or hand over the one
 * here; concurrent calls for the same producer wait for the one pipe. cb runs
 * exactly once, maybe before this returns.
 */
void cp_pipe_ensure(const char *room, const char *id, cp_pipe_cb cb, void *arg);

/* ---- A: piping a producer out, as the far node asks ---- */

/* The pipe consumer added (c, err NULL), or why not (c NULL, err). */
typedef void (*cp_pipe_out_cb)(const struct cp_consumer *c, const struct cp_err *err, void *arg);
/*
 * Add a pipe consumer of a producer of this node towards the far node rq
 * describes (rq's key is wiped here). The same request again is answered as
 * is. 0 and cb later; or -ENOENT (no such producer here), -EEXIST (its SRTP
 * differs from this node's pipes), -ENOTCONN with err and no call.
 */
int cp_pipe_out_add(struct cp_pipe_req *rq, cp_pipe_out_cb cb, void *arg, struct cp_err *err);
/* Remove the pipe consumers of producer towards node. 0 and cb later, or -ENOENT with err. */
int cp_pipe_out_del(const char *producer, const char *node, cp_pipe_out_cb cb, void *arg,
		    struct cp_err *err);
/* Close the pipe consumers towards node (it died). */
void cp_pipe_out_node_down(const char *node);

/* The SRTP suite of this node's pipes: its pipe transport's, else cluster.pipe_srtp. */
uint8_t cp_pipe_srtp(void);
/* The pipes for GET /v1/stats: {"transport","in","out"} (new reference). */
json_t *cp_pipe_stats(void);

#endif /* CP_PIPE_H */
