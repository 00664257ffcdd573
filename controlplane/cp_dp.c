/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane driver (see cp_dp.h). A 100 ms watch timer attaches to the
 * segment when cascade-dp appears and detaches when its heartbeat stops (a
 * dataplane that restarts gets a new segment and a new epoch); commands wait
 * in a small table until a poll timer (armed only while something is in
 * flight) finds the reply, or their deadline passes and they are called with
 * NULL. Compensating DELs wait in a queue of their own and go out as room in
 * the table allows, each at most COMPENSATE_TRIES times.
 *
 * Layer: leaf.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cp_dp.h"
#include "cp_schema.h"

#define MAX_INFLIGHT 1024
/* a loaded host can stall the dataplane's main lcore for a moment: allow 3 s */
#define HEARTBEAT_DEAD_NS (3000ull * 1000 * 1000)
#define POLL_BACKOFF_US 20
#define COMPENSATE_TIMEOUT_MS 2000
#define COMPENSATE_TRIES 5
#define COMPENSATE_MAX 4096 /* beyond that the reconciliation finds them */

struct pending {
	uint64_t req_id;
	uint64_t deadline_ns;
	uint64_t obj_id;
	uint16_t type;
	cp_dp_cb cb;
	void *arg;
};

struct compensation {
	uint64_t obj_id;
	uint16_t type;     /* the DEL to send */
	uint16_t add_type; /* what was given up on, for the log */
	bool in_flight;
	unsigned int tries;
};

static struct {
	char segment[CASCADE_SEG_NAME_MAX];
	struct cascade_seg seg;
	enum cp_dp_state state;
	struct event *watch;
	struct event *poll;
	struct pending inflight[MAX_INFLIGHT];
	unsigned int n_inflight;
	uint64_t next_req;
	void (*on_attach)(const struct cascade_seg *seg);
	void (*on_event)(const struct cascade_event *ev, void *arg);
	void *on_event_arg;
	uint64_t n_events, n_bad_events;
	uint64_t bad_logged_ns; /* the last bad event logged: at most one line a second */
	struct compensation *comp; /* queue: [comp_head, comp_n) */
	unsigned int comp_n, comp_sending;
} dp;

static const char *
cmd_name(uint16_t type)
{
	switch (type) {
	case CASCADE_CMD_TRANSPORT_ADD:
		return "transport add";
	case CASCADE_CMD_PRODUCER_ADD:
		return "producer add";
	case CASCADE_CMD_CONSUMER_ADD:
		return "consumer add";
	default:
		return "command";
	}
}

/* The DEL that undoes an ADD of type, or 0 when type is not an ADD. */
static uint16_t
undo_of(uint16_t type)
{
	switch (type) {
	case CASCADE_CMD_TRANSPORT_ADD:
		return CASCADE_CMD_TRANSPORT_DEL;
	case CASCADE_CMD_PRODUCER_ADD:
		return CASCADE_CMD_PRODUCER_DEL;
	case CASCADE_CMD_CONSUMER_ADD:
		return CASCADE_CMD_CONSUMER_DEL;
	default:
		return 0;
	}
}

/* The object id of a command (every object command starts with it), 0 for others. */
static uint64_t
obj_of(const struct cascade_cmd *cmd)
{
	uint64_t id;

	switch (cmd->type) {
	case CASCADE_CMD_PING:
	case CASCADE_CMD_FLUSH:
		return 0;
	default:
		memcpy(&id, &cmd->u, sizeof(id));
		return id;
	}
}

void
cp_dp_on_attach(void (*fn)(const struct cascade_seg *seg))
{
	dp.on_attach = fn;
}

void
cp_dp_on_event(void (*fn)(const struct cascade_event *ev, void *arg), void *arg)
{
	dp.on_event = fn;
	dp.on_event_arg = arg;
}

int
cp_dp_transport_remote(uint32_t slot, uint64_t dp_id, struct cascade_addr *remote,
		       struct cascade_addr *remote_rtcp)
{
	struct cascade_dir_transport d;

	if (dp.state != CP_DP_RUNNING || slot >= dp.seg.lay.max_transports)
		return -ENOENT;
	cascade_dir_read((const uint8_t *)cascade_seg_at(&dp.seg, dp.seg.lay.dir_transport_off) +
				 (size_t)slot * sizeof(d),
			 &d, sizeof(d));
	if (!d.h.in_use || d.t.obj_id != dp_id)
		return -ENOENT;
	*remote = d.t.remote;
	*remote_rtcp = d.t.remote_rtcp;
	return 0;
}

uint64_t
cp_dp_events(void)
{
	return dp.n_events;
}

uint64_t
cp_dp_bad_events(void)
{
	return dp.n_bad_events;
}

/* Read what the dataplane posted since the last tick. */
static void
read_events(void)
{
	struct cascade_event ev;
	unsigned int budget = CP_DP_EVENT_BUDGET;
	struct cp_err err;

	while (dp.state == CP_DP_RUNNING && budget-- > 0 &&
	       cascade_ring_pop(cascade_seg_event_ring(&dp.seg), &ev, sizeof(ev)) == 0) {
		if (cp_schema_dp_event(&ev, &err) < 0) {
			uint64_t now = cascade_now_ns();

			dp.n_bad_events++;
			if (now - dp.bad_logged_ns >= 1000000000ull) {
				dp.bad_logged_ns = now;
				fprintf(stderr, "cascade-cp: dataplane event refused: %s (%" PRIu64
						" so far)\n",
					err.msg, dp.n_bad_events);
			}
			continue;
		}
		dp.n_events++;
		if (dp.on_event != NULL)
			dp.on_event(&ev, dp.on_event_arg);
	}
}

static void
fail_all(void)
{
	while (dp.n_inflight > 0) {
		struct pending p = dp.inflight[--dp.n_inflight];
		p.cb(NULL, p.arg);
	}
	/* a new dataplane has none of them; the same one is reconciled on attach */
	dp.comp_n = 0;
	dp.comp_sending = 0;
}

static void
detach(const char *why)
{
	if (dp.state == CP_DP_RUNNING)
		fprintf(stderr, "cascade-cp: dataplane %s: %s\n", dp.segment, why);
	cascade_seg_detach(&dp.seg);
	dp.state = CP_DP_ABSENT;
	fail_all();
}

static void
on_watch(evutil_socket_t fd, short what, void *arg)
{
	char err[256];

	(void)fd, (void)what, (void)arg;
	if (dp.state == CP_DP_RUNNING) {
		uint64_t hb = atomic_load_explicit(&dp.seg.hdr->heartbeat_ns, memory_order_acquire);
		uint32_t st = atomic_load_explicit(&dp.seg.hdr->state, memory_order_acquire);
		if (st != CASCADE_DP_RUNNING || cascade_now_ns() - hb > HEARTBEAT_DEAD_NS)
			detach("stopped (no heartbeat)");
		else
			read_events();
		return;
	}
	if (cascade_seg_attach(&dp.seg, dp.segment, err, sizeof(err)) < 0)
		return; /* not there yet: try again on the next tick */
	if (atomic_load(&dp.seg.hdr->state) != CASCADE_DP_RUNNING ||
	    cascade_now_ns() - atomic_load(&dp.seg.hdr->heartbeat_ns) > HEARTBEAT_DEAD_NS) {
		cascade_seg_detach(&dp.seg);
		return;
	}
	/* replies left over from a previous control plane are not ours */
	while (cascade_ring_peek(cascade_seg_reply_ring(&dp.seg)) != NULL)
		cascade_ring_release(cascade_seg_reply_ring(&dp.seg));
	dp.state = CP_DP_RUNNING;
	fprintf(stderr, "cascade-cp: dataplane %s attached (epoch %016" PRIx64 ", %u workers)\n",
		dp.segment, dp.seg.hdr->epoch, dp.seg.hdr->n_lcores);
	if (dp.on_attach != NULL)
		dp.on_attach(&dp.seg);
}

static void compensate_pump(void);

/* A command given up on: its ADD may still be applied; queue the DEL that undoes it. */
static void
compensate(const struct pending *p)
{
	uint16_t del = undo_of(p->type);
	struct compensation *nc;

	if (del == 0 || p->obj_id == 0)
		return;
	if (dp.comp_n == COMPENSATE_MAX) {
		fprintf(stderr, "cascade-cp: dataplane: gave up on %s 0x%" PRIx64
				" with %u deletes queued; the reconciliation removes it\n",
			cmd_name(p->type), p->obj_id, COMPENSATE_MAX);
		return;
	}
	if (dp.comp == NULL && (dp.comp = calloc(COMPENSATE_MAX, sizeof(*dp.comp))) == NULL)
		return;
	nc = &dp.comp[dp.comp_n++];
	nc->obj_id = p->obj_id;
	nc->type = del;
	nc->add_type = p->type;
	nc->in_flight = false;
	nc->tries = 0;
	fprintf(stderr, "cascade-cp: dataplane: no answer to %s 0x%" PRIx64
			" in time; deleting it in case it was applied\n",
		cmd_name(p->type), p->obj_id);
}

static void
compensation_done(uint64_t obj_id, bool ok)
{
	unsigned int i;

	for (i = 0; i < dp.comp_n; i++) {
		struct compensation *c = &dp.comp[i];

		if (c->obj_id != obj_id)
			continue;
		c->in_flight = false;
		if (!ok && c->tries < COMPENSATE_TRIES)
			return; /* sent again by compensate_pump() */
		if (!ok)
			fprintf(stderr, "cascade-cp: dataplane: %s 0x%" PRIx64
					" still unconfirmed after %u deletes; the reconciliation "
					"removes it\n",
				cmd_name(c->add_type), obj_id, COMPENSATE_TRIES);
		dp.comp[i] = dp.comp[--dp.comp_n];
		return;
	}
}

static void
on_compensated(const struct cascade_reply *r, void *arg)
{
	uint64_t obj_id = (uint64_t)(uintptr_t)arg;

	dp.comp_sending--;
	compensation_done(obj_id, r != NULL && (r->status == 0 || r->status == -ENOENT));
	compensate_pump();
}

/* Send the queued DELs that are not in flight yet, while the table has room. */
static void
compensate_pump(void)
{
	struct cascade_cmd cmd;
	unsigned int i;

	for (i = 0; i < dp.comp_n && dp.state == CP_DP_RUNNING && cp_dp_room() > 64; i++) {
		struct compensation *c = &dp.comp[i];

		if (c->in_flight)
			continue;
		memset(&cmd, 0, sizeof(cmd));
		cmd.type = c->type;
		cmd.u.obj.obj_id = c->obj_id;
		if (cp_dp_call(&cmd, COMPENSATE_TIMEOUT_MS, on_compensated,
			       (void *)(uintptr_t)c->obj_id) < 0)
			return;
		c->in_flight = true;
		c->tries++;
		dp.comp_sending++;
	}
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct cascade_reply r;
	uint64_t now = cascade_now_ns();
	unsigned int i, budget = 256, got = 0;
	bool gave_up = false;

	(void)fd, (void)what, (void)arg;
	while (dp.state == CP_DP_RUNNING && budget-- > 0 &&
	       cascade_ring_pop(cascade_seg_reply_ring(&dp.seg), &r, sizeof(r)) == 0) {
		got++;
		for (i = 0; i < dp.n_inflight; i++) {
			if (dp.inflight[i].req_id != r.req_id)
				continue;
			struct pending p = dp.inflight[i];
			dp.inflight[i] = dp.inflight[--dp.n_inflight];
			p.cb(&r, p.arg);
			break;
		}
	}
	for (i = 0; i < dp.n_inflight;) {
		if (dp.inflight[i].deadline_ns < now) {
			struct pending p = dp.inflight[i];
			dp.inflight[i] = dp.inflight[--dp.n_inflight];
			p.cb(NULL, p.arg);
			compensate(&p);
			gave_up = true;
			continue;
		}
		i++;
	}
	if (gave_up || dp.comp_n > dp.comp_sending)
		compensate_pump();
	if (dp.n_inflight > 0) {
		/*
		 * Replies flowing: look again next loop turn, after pending I/O. None this
		 * time: the dataplane's main lcore answers within microseconds, so wait a
		 * little (a precise timer, see cp_main.c) rather than spin the loop.
		 */
		struct timeval tv = {0, got != 0 ? 0 : POLL_BACKOFF_US};
		evtimer_add(dp.poll, &tv);
	}
}

int
cp_dp_call(struct cascade_cmd *cmd, unsigned int timeout_ms, cp_dp_cb cb, void *arg)
{
	struct timeval tv = {0, 0};
	struct pending *p;

	if (dp.state != CP_DP_RUNNING)
		return -ENOTCONN;
	if (dp.n_inflight == MAX_INFLIGHT)
		return -ENOBUFS;
	cmd->req_id = dp.next_req++;
	if (cascade_ring_push(cascade_seg_cmd_ring(&dp.seg), cmd, sizeof(*cmd)) < 0)
		return -ENOBUFS;
	p = &dp.inflight[dp.n_inflight++];
	p->req_id = cmd->req_id;
	p->deadline_ns = cascade_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	p->type = cmd->type;
	p->obj_id = obj_of(cmd);
	p->cb = cb;
	p->arg = arg;
	if (!evtimer_pending(dp.poll, NULL))
		evtimer_add(dp.poll, &tv);
	return 0;
}

unsigned int
cp_dp_room(void)
{
	return dp.state == CP_DP_RUNNING ? MAX_INFLIGHT - dp.n_inflight : 0;
}

bool
cp_dp_busy(uint64_t obj_id)
{
	unsigned int i;

	for (i = 0; i < dp.n_inflight; i++)
		if (dp.inflight[i].obj_id == obj_id)
			return true;
	for (i = 0; i < dp.comp_n; i++)
		if (dp.comp[i].obj_id == obj_id)
			return true;
	return false;
}

enum cp_dp_state
cp_dp_state(void)
{
	return dp.state;
}

const struct cascade_seg *
cp_dp_seg(void)
{
	return dp.state == CP_DP_RUNNING ? &dp.seg : NULL;
}

int
cp_dp_init(struct event_base *base, const char *segment)
{
	struct timeval tv = {0, 100 * 1000};

	snprintf(dp.segment, sizeof(dp.segment), "%s", segment);
	dp.state = CP_DP_ABSENT;
	dp.next_req = cascade_now_ns(); /* never reuses a previous process's ids */
	dp.watch = event_new(base, -1, EV_PERSIST, on_watch, NULL);
	dp.poll = evtimer_new(base, on_poll, NULL);
	if (dp.watch == NULL || dp.poll == NULL)
		return -ENOMEM;
	on_watch(-1, 0, NULL);
	return event_add(dp.watch, &tv);
}

void
cp_dp_fini(void)
{
	if (dp.watch != NULL)
		event_free(dp.watch);
	if (dp.poll != NULL)
		event_free(dp.poll);
	dp.watch = dp.poll = NULL;
	detach("control plane stopping");
	free(dp.comp);
	dp.comp = NULL;
}
