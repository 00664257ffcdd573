/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small synchronous client of the dataplane's command ring, for tests and
 * tools (the control plane drives the same rings from its event loop). One
 * client per segment at a time: the cmd ring has a single producer.
 */
#ifndef CASCADE_CLIENT_H
#define CASCADE_CLIENT_H

#include <time.h>

#include "segment.h"

/*
 * Queue one command without waiting. Returns 0, or -ENOBUFS when the ring is
 * full (retry after draining replies).
 */
static inline int
cascade_cmd_send(const struct cascade_seg *s, const struct cascade_cmd *c)
{
	return cascade_ring_push(cascade_seg_cmd_ring(s), c, sizeof(*c));
}

/* Take one reply if there is one. Returns 0 or -EAGAIN. */
static inline int
cascade_reply_poll(const struct cascade_seg *s, struct cascade_reply *r)
{
	return cascade_ring_pop(cascade_seg_reply_ring(s), r, sizeof(*r));
}

/*
 * Send c and wait up to timeout_ms for its reply (replies to other request ids
 * are discarded: use the send/poll pair to pipeline). Returns the reply's
 * status (0 or -errno) with the reply in *r, or -ETIMEDOUT.
 */
static inline int
cascade_cmd_call(const struct cascade_seg *s, const struct cascade_cmd *c,
		 struct cascade_reply *r, unsigned int timeout_ms)
{
	uint64_t deadline = cascade_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct timespec nap = {0, 50000};
	int rc;

	while ((rc = cascade_cmd_send(s, c)) == -ENOBUFS) {
		if (cascade_now_ns() > deadline)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
	if (rc < 0)
		return rc;
	for (;;) {
		if (cascade_reply_poll(s, r) == 0) {
			if (r->req_id == c->req_id)
				return r->status;
			continue;
		}
		if (cascade_now_ns() > deadline)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

#endif /* CASCADE_CLIENT_H */
