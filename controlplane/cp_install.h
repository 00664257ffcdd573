/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registry objects through the dataplane: create, connect, pause, resume and
 * delete transports, producers and consumers. Each change is one or a few
 * dataplane commands; an object enters the registry only once the dataplane
 * has acknowledged it and leaves it only once the dataplane has acknowledged
 * its removal, so nothing above ever sees half-made state. While a change of
 * an object is in flight, other changes of it are refused with -EBUSY. A
 * delete does not wait for changes of the object's children (a consumer
 * being made or paused): those end as their objects go (cp_op.h).
 *
 * A change that starts returns 0 and later calls its cp_op_cb exactly once,
 * from the loop: with err NULL and the object (in the registry, unless it was
 * installed without entering it) on success, or with err and obj NULL (the
 * object freed, its ports given back) on failure. A change that cannot start
 * returns the error at once, fills err, and never calls back. Codes: -EINVAL
 * (bad input, named), -ENOENT (no such object, or not in this room), -EBUSY /
 * -EEXIST / -EADDRINUSE (conflict), -ERANGE (a port outside the media range),
 * -ENOSPC (no port or dataplane table full), -ENOTCONN / -ETIMEDOUT (the
 * dataplane is absent or silent), -ENOMEM, -EIO (anything else the dataplane
 * said). Event-loop thread only.
 *
 * Layer: registry.
 */
#ifndef CP_INSTALL_H
#define CP_INSTALL_H

#include <stdbool.h>

#include <cascade/msg.h>

#include "cp_config.h"
#include "cp_dp.h"
#include "cp_err.h"
#include "cp_op.h"
#include "cp_registry.h"
#include "cp_schema.h"

/*
 * The node's media addresses and ports come from cfg (kept). After
 * cp_registry_init(): it watches the registry for objects leaving under a
 * change in flight. 0, or -ENOMEM.
 */
int cp_install_init(const struct cp_config *cfg);

/* ---- what the API asks for ---- */

/*
 * A plain transport in room as rq asks (ports from the media range, a fresh
 * SRTP key with a suite). On success obj is the transport; its local_key is
 * the one to hand out.
 */
int cp_transport_create(const char *room, const struct cp_transport_req *rq, cp_op_cb cb,
			void *arg, struct cp_err *err);
/* Set t's remote tuple and/or the remote's SRTP key (rq's key is wiped here). */
int cp_transport_connect(struct cp_transport *t, struct cp_connect_req *rq, cp_op_cb cb,
			 void *arg, struct cp_err *err);
/* A producer on t with rq's checked parameters (rq borrowed for the call only). */
int cp_producer_create(struct cp_transport *t, const struct cp_producer_req *rq, cp_op_cb cb,
		       void *arg, struct cp_err *err);
/*
 * A consumer of p on t, negotiated against rq's capabilities. p must be in
 * t's room (-ENOENT otherwise: rooms isolate).
 */
int cp_consumer_create(struct cp_transport *t, struct cp_producer *p,
		       const struct cp_consumer_req *rq, cp_op_cb cb, void *arg, struct cp_err *err);
/* Pause or resume; delete (with cascade). cb gets the object (NULL once deleted). */
int cp_producer_pause(struct cp_producer *p, bool pause, cp_op_cb cb, void *arg,
		      struct cp_err *err);
int cp_consumer_pause(struct cp_consumer *c, bool pause, cp_op_cb cb, void *arg,
		      struct cp_err *err);
int cp_transport_delete(struct cp_transport *t, cp_op_cb cb, void *arg, struct cp_err *err);
int cp_producer_delete(struct cp_producer *p, cp_op_cb cb, void *arg, struct cp_err *err);
int cp_consumer_delete(struct cp_consumer *c, cp_op_cb cb, void *arg, struct cp_err *err);

/* ---- building blocks for the pipes ---- */

/*
 * Install a transport built by the caller (ownership passes here) and enter
 * it. Its ports, when it has media ports, must be taken already.
 */
int cp_install_transport(struct cp_transport *t, cp_op_cb cb, void *arg, struct cp_err *err);
/*
 * Install a producer built by the caller (p->t set; ownership passes here);
 * enter it when enter, else leave it held (not an orphan) for the caller to
 * cp_registry_add_producer() or cp_install_forget_producer().
 */
int cp_install_producer(struct cp_producer *p, bool enter, cp_op_cb cb, void *arg,
			struct cp_err *err);
/* The same for a consumer; cmd is its CONSUMER_ADD, ids and maps filled in. */
int cp_install_consumer(struct cp_consumer *c, struct cascade_cmd *cmd, bool enter, cp_op_cb cb,
			void *arg, struct cp_err *err);
/* Give up on an installed producer / consumer that never entered: delete it from the dataplane. */
void cp_install_forget_producer(struct cp_producer *p);
void cp_install_forget_consumer(struct cp_consumer *c);

/*
 * Give one pipe stream its SRTP key (CASCADE_CMD_PIPE_SRTP): kind says
 * whether dp_id is a pipe producer (inbound) or a pipe consumer (outbound).
 * The command is wiped here (the dataplane wipes its ring slot). cb gets the
 * reply (NULL: none). 0, or -ENOTCONN.
 */
int cp_install_pipe_key(uint8_t kind, uint64_t dp_id, uint8_t suite, const uint8_t *key,
			cp_dp_cb cb, void *arg);

/* The dataplane command that installs p (PRODUCER_ADD). */
void cp_producer_add_cmd(const struct cp_producer *p, struct cascade_cmd *cmd);

#endif /* CP_INSTALL_H */
