/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane driver: the control plane's side of the shared segment. It
 * attaches when cascade-dp appears and detaches when its heartbeat stops;
 * commands go out on the command ring with a request id and their callbacks
 * run when the reply comes, or with NULL when it did not come in time. It
 * never blocks the event loop. Event-loop thread only.
 *
 * A command given up on may still have been applied (the dataplane was slow,
 * not dead). So every ADD the driver gives up on is followed by the matching
 * DEL of the same object id, sent again until the dataplane acknowledges it
 * (the dataplane's commands are idempotent by object id: an ADD sent again
 * with the same parameters is a retry, a DEL of an object it does not have
 * answers -ENOENT). What is still left over is the reconciliation's
 * (cp_reconcile.c).
 *
 * Layer: leaf.
 */
#ifndef CP_DP_H
#define CP_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include <cascade/segment.h>

enum cp_dp_state {
	CP_DP_ABSENT,  /* no segment, or its heartbeat stopped */
	CP_DP_RUNNING, /* attached and alive */
};

/* Called with the dataplane's reply, or with NULL when it did not answer in time. */
typedef void (*cp_dp_cb)(const struct cascade_reply *r, void *arg);

/* Start the driver on segment: attach now if the dataplane runs, and keep watching it. */
int cp_dp_init(struct event_base *base, const char *segment);
/* Called each time the driver attaches to a (new or the same) dataplane. */
void cp_dp_on_attach(void (*fn)(const struct cascade_seg *seg));
void cp_dp_fini(void);
enum cp_dp_state cp_dp_state(void);
/* The attached segment (valid while the state is RUNNING), or NULL. */
const struct cascade_seg *cp_dp_seg(void);
/*
 * Send a command (req_id is assigned here) and call cb with its reply, or with
 * NULL after timeout_ms (an ADD then gets its compensating DEL). Returns 0,
 * -ENOTCONN when the dataplane is absent, or -ENOBUFS when too many commands
 * are in flight (cp_dp_room() says how many more fit).
 */
int cp_dp_call(struct cascade_cmd *cmd, unsigned int timeout_ms, cp_dp_cb cb, void *arg);
/* How many more commands cp_dp_call() takes now. */
unsigned int cp_dp_room(void);
/* Whether a command about obj_id is in flight or a compensating DEL of it is pending. */
bool cp_dp_busy(uint64_t obj_id);

/*
 * The dataplane's events (a transport learned its remote, a keyframe request
 * went to a sender, the dataplane started) are read on the driver's tick,
 * every 100 ms, at most CP_DP_EVENT_BUDGET a tick; fn is called with each one
 * that cp_schema_dp_event() accepts. The others are counted, logged at most
 * once a second and dropped (the ring is shared memory: its contents are
 * input like any other).
 */
#define CP_DP_EVENT_BUDGET 4096
void cp_dp_on_event(void (*fn)(const struct cascade_event *ev, void *arg), void *arg);
/*
 * The remote tuple the dataplane has for transport dp_id in directory slot
 * slot (what it was told, or learned: a comedia transport's sender, an RTCP
 * port of its own): 0, or -ENOENT when the dataplane is absent or the slot
 * holds another object. A port 0 address is not known.
 */
int cp_dp_transport_remote(uint32_t slot, uint64_t dp_id, struct cascade_addr *remote,
			   struct cascade_addr *remote_rtcp);
/* Events read and accepted, and refused by cp_schema_dp_event(), since start. */
uint64_t cp_dp_events(void);
uint64_t cp_dp_bad_events(void);

#endif /* CP_DP_H */
