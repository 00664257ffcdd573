/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * churn: add and delete consumers of one producer as fast as the command ring
 * answers, while traffic flows, and record for every deleted consumer how many
 * packets the producer had received when its delete was acknowledged.
 *
 * Why that number proves "no packet after the ack": the dataplane acknowledges
 * a delete only after an RCU grace period, so every packet it forwarded to the
 * consumer was counted on the producer before the ack; the sender numbers its
 * packets 0, 1, 2, ... in the probe (include/cascade/probe.h) and nothing is
 * lost on the way in, so a packet whose probe sequence is >= the count read
 * after the ack was received after the ack and must never reach the consumer.
 * The test compares this log with the receiver's highest probe sequence per SSRC.
 *
 * usage: churn SEGMENT PRODUCER_ID TRANSPORT_ID SSRC_BASE SECONDS MAX_LIVE OUT
 * Writes "ssrc rx_before_add rx_after_delete_ack" per consumer to OUT (the
 * producer's packet count just before the add was sent and just after the
 * delete was acknowledged); prints a summary.
 * Exit 0, or 1 on any command failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cascade/client.h>

struct live {
	uint64_t id;
	uint32_t ssrc;
	uint64_t added_rx;
};

static uint64_t req = 1;

static int
call(const struct cascade_seg *s, struct cascade_cmd *c, struct cascade_reply *r)
{
	int rc;

	c->req_id = req++;
	rc = cascade_cmd_call(s, c, r, 5000);
	if (rc != 0)
		fprintf(stderr, "churn: command %u failed: %s (%s)\n", c->type, r->message,
			strerror(-rc));
	return rc;
}

/* The producer's slot, from the segment's directory. */
static int
producer_slot(const struct cascade_seg *s, uint64_t id, uint32_t *slot)
{
	const struct cascade_dir_producer *d = cascade_seg_at(s, s->lay.dir_producer_off);
	uint32_t i;

	for (i = 0; i < s->lay.max_producers; i++)
		if (d[i].h.in_use && d[i].p.obj_id == id) {
			*slot = i;
			return 0;
		}
	return -ENOENT;
}

static uint64_t
producer_rx(const struct cascade_seg *s, uint32_t slot)
{
	struct cascade_obj_stats st;

	cascade_seg_obj_stats(s, s->lay.producer_stats_off, s->lay.max_producers, slot, &st);
	return st.rx_pkts;
}

int
main(int argc, char **argv)
{
	struct cascade_seg s;
	struct cascade_cmd c;
	struct cascade_reply r;
	struct live *ring;
	uint64_t producer, transport, ends, next_id = 0x7000000000ull, adds = 0, dels = 0;
	uint32_t ssrc, pslot, max_live, head = 0, n_live = 0;
	double seconds;
	char err[256];
	FILE *out;

	if (argc != 8) {
		fprintf(stderr, "usage: churn SEGMENT PRODUCER_ID TRANSPORT_ID SSRC_BASE SECONDS "
				"MAX_LIVE OUT\n");
		return 2;
	}
	producer = strtoull(argv[2], NULL, 0);
	transport = strtoull(argv[3], NULL, 0);
	ssrc = (uint32_t)strtoul(argv[4], NULL, 0);
	seconds = strtod(argv[5], NULL);
	max_live = (uint32_t)strtoul(argv[6], NULL, 0);
	if (max_live == 0 || seconds <= 0) {
		fprintf(stderr, "churn: SECONDS and MAX_LIVE must be positive\n");
		return 2;
	}
	if (cascade_seg_attach(&s, argv[1], err, sizeof(err)) < 0) {
		fprintf(stderr, "churn: %s\n", err);
		return 1;
	}
	if (producer_slot(&s, producer, &pslot) < 0) {
		fprintf(stderr, "churn: producer 0x%" PRIx64 " not installed\n", producer);
		return 1;
	}
	out = fopen(argv[7], "w");
	ring = calloc(max_live, sizeof(*ring));
	if (out == NULL || ring == NULL) {
		fprintf(stderr, "churn: %s: %s\n", argv[7], strerror(errno));
		return 1;
	}
	req = cascade_now_ns();
	ends = cascade_now_ns() + (uint64_t)(seconds * 1e9);
	while (cascade_now_ns() < ends || n_live > 0) {
		bool adding = cascade_now_ns() < ends;

		if (adding && n_live < max_live) {
			struct live *l = &ring[(head + n_live) % max_live];

			/* read before the command: packets counted earlier than this were
			 * fanned out before the consumer existed (bar one burst in flight) */
			l->added_rx = producer_rx(&s, pslot);
			memset(&c, 0, sizeof(c));
			c.type = CASCADE_CMD_CONSUMER_ADD;
			c.u.consumer.obj_id = next_id++;
			c.u.consumer.producer_id = producer;
			c.u.consumer.transport_id = transport;
			c.u.consumer.ssrc = ssrc++;
			if (call(&s, &c, &r) != 0)
				return 1;
			l->id = c.u.consumer.obj_id;
			l->ssrc = c.u.consumer.ssrc;
			n_live++;
			adds++;
			continue;
		}
		/* full, or winding down: delete the oldest */
		{
			struct live *l = &ring[head];
			uint64_t rx;

			memset(&c, 0, sizeof(c));
			c.type = CASCADE_CMD_CONSUMER_DEL;
			c.u.obj.obj_id = l->id;
			if (call(&s, &c, &r) != 0)
				return 1;
			rx = producer_rx(&s, pslot); /* read after the ack */
			fprintf(out, "%u %" PRIu64 " %" PRIu64 "\n", l->ssrc, l->added_rx, rx);
			head = (head + 1) % max_live;
			n_live--;
			dels++;
		}
	}
	fclose(out);
	printf("churn: %" PRIu64 " adds, %" PRIu64 " deletes in %.1f s (%.0f ops/s)\n", adds, dels,
	       seconds, (double)(adds + dels) / seconds);
	free(ring);
	cascade_seg_detach(&s);
	return 0;
}
