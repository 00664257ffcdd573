/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane driver: the control plane's side of the shared segment. It
 * never blocks the event loop. A 100 ms watch timer attaches to the segment
 * when cascade-dp appears and detaches when its heartbeat stops (a dataplane
 * that restarts gets a new segment and a new epoch); commands go out with a
 * request id and their callbacks wait in a small table until a 1 ms poll timer
 * (armed only while something is in flight) finds the reply, or their deadline
 * passes and they are called with NULL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "cp.h"

#define MAX_INFLIGHT 1024
/* a loaded host can stall the dataplane's main lcore for a moment: allow 3 s */
#define HEARTBEAT_DEAD_NS (3000ull * 1000 * 1000)
#define POLL_BACKOFF_US 20

struct pending {
	uint64_t req_id;
	uint64_t deadline_ns;
	cp_dp_cb cb;
	void *arg;
};

static struct {
	const struct cp_config *cfg;
	struct cascade_seg seg;
	enum cp_dp_state state;
	struct event *watch;
	struct event *poll;
	struct pending inflight[MAX_INFLIGHT];
	unsigned int n_inflight;
	uint64_t next_req;
	void (*on_attach)(const struct cascade_seg *seg);
} d;

void
cp_dp_on_attach(void (*fn)(const struct cascade_seg *seg))
{
	d.on_attach = fn;
}

static void
fail_all(void)
{
	while (d.n_inflight > 0) {
		struct pending p = d.inflight[--d.n_inflight];
		p.cb(NULL, p.arg);
	}
}

static void
detach(const char *why)
{
	if (d.state == CP_DP_RUNNING)
		fprintf(stderr, "cascade-cp: dataplane %s: %s\n", d.cfg->segment, why);
	cascade_seg_detach(&d.seg);
	d.state = CP_DP_ABSENT;
	fail_all();
}

static void
on_watch(evutil_socket_t fd, short what, void *arg)
{
	char err[256];

	(void)fd, (void)what, (void)arg;
	if (d.state == CP_DP_RUNNING) {
		uint64_t hb = atomic_load_explicit(&d.seg.hdr->heartbeat_ns, memory_order_acquire);
		uint32_t st = atomic_load_explicit(&d.seg.hdr->state, memory_order_acquire);
		if (st != CASCADE_DP_RUNNING || cascade_now_ns() - hb > HEARTBEAT_DEAD_NS)
			detach("stopped (no heartbeat)");
		return;
	}
	if (cascade_seg_attach(&d.seg, d.cfg->segment, err, sizeof(err)) < 0)
		return; /* not there yet: try again on the next tick */
	if (atomic_load(&d.seg.hdr->state) != CASCADE_DP_RUNNING ||
	    cascade_now_ns() - atomic_load(&d.seg.hdr->heartbeat_ns) > HEARTBEAT_DEAD_NS) {
		cascade_seg_detach(&d.seg);
		return;
	}
	/* replies left over from a previous control plane are not ours */
	while (cascade_ring_peek(cascade_seg_reply_ring(&d.seg)) != NULL)
		cascade_ring_release(cascade_seg_reply_ring(&d.seg));
	d.state = CP_DP_RUNNING;
	fprintf(stderr, "cascade-cp: dataplane %s attached (epoch %016" PRIx64 ", %u workers)\n",
		d.cfg->segment, d.seg.hdr->epoch, d.seg.hdr->n_lcores);
	if (d.on_attach != NULL)
		d.on_attach(&d.seg);
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct cascade_reply r;
	uint64_t now = cascade_now_ns();
	unsigned int i, budget = 256, got = 0;

	(void)fd, (void)what, (void)arg;
	while (d.state == CP_DP_RUNNING && budget-- > 0 &&
	       cascade_ring_pop(cascade_seg_reply_ring(&d.seg), &r, sizeof(r)) == 0) {
		got++;
		for (i = 0; i < d.n_inflight; i++) {
			if (d.inflight[i].req_id != r.req_id)
				continue;
			struct pending p = d.inflight[i];
			d.inflight[i] = d.inflight[--d.n_inflight];
			p.cb(&r, p.arg);
			break;
		}
	}
	for (i = 0; i < d.n_inflight;) {
		if (d.inflight[i].deadline_ns < now) {
			struct pending p = d.inflight[i];
			d.inflight[i] = d.inflight[--d.n_inflight];
			p.cb(NULL, p.arg);
			continue;
		}
		i++;
	}
	if (d.n_inflight > 0) {
		/*
		 * Replies flowing: look again next loop turn, after pending I/O. None this
		 * time: the dataplane's main lcore answers within microseconds, so wait a
		 * little (a precise timer, see cp_main.c) rather than spin the loop.
		 */
		struct timeval tv = {0, got != 0 ? 0 : POLL_BACKOFF_US};
		evtimer_add(d.poll, &tv);
	}
}

int
cp_dp_call(struct cascade_cmd *cmd, unsigned int timeout_ms, cp_dp_cb cb, void *arg)
{
	struct timeval tv = {0, 0};
	struct pending *p;

	if (d.state != CP_DP_RUNNING)
		return -ENOTCONN;
	if (d.n_inflight == MAX_INFLIGHT)
		return -ENOBUFS;
	cmd->req_id = d.next_req++;
	if (cascade_ring_push(cascade_seg_cmd_ring(&d.seg), cmd, sizeof(*cmd)) < 0)
		return -ENOBUFS;
	p = &d.inflight[d.n_inflight++];
	p->req_id = cmd->req_id;
	p->deadline_ns = cascade_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	p->cb = cb;
	p->arg = arg;
	if (!evtimer_pending(d.poll, NULL))
		evtimer_add(d.poll, &tv);
	return 0;
}

enum cp_dp_state
cp_dp_state(void)
{
	return d.state;
}

const struct cascade_seg *
cp_dp_seg(void)
{
	return d.state == CP_DP_RUNNING ? &d.seg : NULL;
}

int
cp_dp_init(struct event_base *base, const struct cp_config *cfg)
{
	struct timeval tv = {0, 100 * 1000};

	d.cfg = cfg;
	d.state = CP_DP_ABSENT;
	d.next_req = cascade_now_ns(); /* never reuses a previous process's ids */
	d.watch = event_new(base, -1, EV_PERSIST, on_watch, NULL);
	d.poll = evtimer_new(base, on_poll, NULL);
	if (d.watch == NULL || d.poll == NULL)
		return -ENOMEM;
	on_watch(-1, 0, NULL);
	return event_add(d.watch, &tv);
}

void
cp_dp_fini(void)
{
	if (d.watch != NULL)
		event_free(d.watch);
	if (d.poll != NULL)
		event_free(d.poll);
	d.watch = d.poll = NULL;
	detach("control plane stopping");
}
