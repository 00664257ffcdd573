/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the command messages of the cmd ring. An input is a
 * sequence of struct cascade_cmd (128 bytes each, at most MAX_CMDS), applied
 * to the real tables (dp_table.c, dp_table_cmd.c, dp_table_srtp.c, 8
 * transports, 16 producers, 32 consumers, two workers as RCU readers) the way
 * dp_ctl.c applies them, then FLUSH. The header's padding, which the
 * dataplane never reads, steers the harness so the fuzzer reaches every
 * command and keeps hitting the same objects:
 *
 *   type        its low byte modulo CASCADE_CMD_MAX + 1 (0 and MAX stay unknown)
 *   pad0 bit 0  fold every object id into 1..4 (bit 6: 1..64), so adds are
 *               retried or collide (EEXIST), deletes find what they cascade
 *   pad0 bit 1  give addresses a valid family, one of a few IPs and ports
 *   pad0 bit 2  give SRTP keys a known suite and exactly its length
 *   pad0 bit 3  end the batch after it: publish, workers quiescent, reclaim
 *   pad0 bit 4  end the batch with the workers not quiescent (nothing reclaimed)
 *   pad0 bit 5  before it, a worker's learn request made of its bytes
 *   pad1        the bytes those choices draw on
 *
 * After every command the directory, the id, address and SSRC lookups and
 * the relations must agree (fuzz_dp_check_tables), each published consumer
 * list must hold exactly its producer's consumers, a learned or connected
 * remote is never replaced by a learn, and every command gets exactly one
 * reply. After FLUSH nothing may be left: no slot, no key, no rte_malloc'd
 * object (peers, lists, SRTP pairs), no reply owed; libsrtp2's own memory is
 * LeakSanitizer's to check.
 *
 * The unit test replay_cmd links this file too and replays corpus/ and
 * regressions/ through it on every build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>

#include "fuzz_dp.h"

#define MAX_CMDS 64

enum {
	KNOB_FOLD_IDS = 1 << 0,
	KNOB_ADDRS = 1 << 1,
	KNOB_KEYS = 1 << 2,
	KNOB_SETTLE = 1 << 3,
	KNOB_PUBLISH = 1 << 4,
	KNOB_LEARN = 1 << 5,
	KNOB_WIDE_IDS = 1 << 6,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	dp.opt.max_transports = 8;
	dp.opt.max_producers = 16;
	dp.opt.max_consumers = 32;
	dp.n_ports = 2; /* transport.port_id is checked against it; nothing is sent */
	fuzz_dp_eal(NULL, 0);
	fuzz_dp_segment();
	fuzz_dp_tables();
	return 0;
}

static uint64_t
fold(uint64_t id, uint16_t knobs)
{
	return 1 + id % ((knobs & KNOB_WIDE_IDS) ? 64 : 4);
}

/* A valid address: IPv4 or IPv6 by v's low bit, one of 4 IPs and 8 ports. */
static void
addr_norm(struct cascade_addr *a, uint8_t v)
{
	uint16_t port = (uint16_t)(5000 + (rte_be_to_cpu_16(a->port_be) & 7));

	memset(a, 0, sizeof(*a));
	a->port_be = rte_cpu_to_be_16(port);
	if (v & 1) {
		a->family = CASCADE_AF_INET6;
		a->ip[0] = 0x20;
		a->ip[1] = 0x01;
		a->ip[2] = 0x0d;
		a->ip[3] = 0xb8;
		a->ip[15] = (uint8_t)(1 + ((v >> 1) & 3));
	} else {
		a->family = CASCADE_AF_INET;
		a->ip[0] = 10;
		a->ip[3] = (uint8_t)(1 + ((v >> 1) & 3));
	}
}

/* suite known, master exactly its key + salt (not all zero), the rest zero */
static uint8_t
key_norm(uint8_t suite, uint8_t *master)
{
	uint8_t s = (uint8_t)(1 + suite % CASCADE_SUITE_MAX);
	unsigned int mb = cascade_srtp_master_bytes(s);

	memset(master + mb, 0, CASCADE_SRTP_MASTER_MAX - mb);
	master[0] |= 1;
	return s;
}

/* Shape cmd's body by the knobs (see the file's comment). */
static void
steer(struct cascade_cmd *cmd, uint16_t knobs, uint32_t v)
{
	struct cascade_cmd_transport *t = &cmd->u.transport;
	uint8_t b0 = (uint8_t)v, b1 = (uint8_t)(v >> 8), b2 = (uint8_t)(v >> 16);

	switch (cmd->type) {
	case CASCADE_CMD_TRANSPORT_ADD:
	case CASCADE_CMD_TRANSPORT_CONNECT:
		if (knobs & KNOB_FOLD_IDS)
			t->obj_id = fold(t->obj_id, knobs);
		if (knobs & KNOB_ADDRS) {
			t->flags &= CASCADE_TRANSPORT_COMEDIA | CASCADE_TRANSPORT_RTCP_MUX |
				    CASCADE_TRANSPORT_PIPE;
			t->port_id &= 1;
			t->srtp_suite %= CASCADE_SUITE_MAX + 1;
			addr_norm(&t->local, b0);
			addr_norm(&t->local_rtcp, (uint8_t)((b0 & 1) | (b1 & 6)));
			if (b2 & 1)
				memset(&t->remote, 0, sizeof(t->remote));
			else
				addr_norm(&t->remote, (uint8_t)((b0 & 1) | (b1 & 0x30) >> 3));
			if (b2 & 2)
				memset(&t->remote_rtcp, 0, sizeof(t->remote_rtcp));
			else
				addr_norm(&t->remote_rtcp, (uint8_t)((b0 & 1) | (b1 & 0xc0) >> 5));
			if (b2 & 4)
				memset(t->remote_mac, 0, sizeof(t->remote_mac));
			memset(t->pad1, 0, sizeof(t->pad1));
		}
		break;
	case CASCADE_CMD_PRODUCER_ADD:
		if (knobs & KNOB_FOLD_IDS) {
			cmd->u.producer.obj_id = fold(cmd->u.producer.obj_id, knobs);
			cmd->u.producer.transport_id = fold(cmd->u.producer.transport_id, knobs);
		}
		if (knobs & KNOB_ADDRS) {
			cmd->u.producer.ssrc &= 3;
			cmd->u.producer.clock_rate = (b0 & 1) ? 48000 : 90000;
			cmd->u.producer.kind = (uint8_t)(1 + (b0 >> 1 & 1));
			cmd->u.producer.paused &= 1;
		}
		break;
	case CASCADE_CMD_CONSUMER_ADD:
		if (knobs & KNOB_FOLD_IDS) {
			cmd->u.consumer.obj_id = fold(cmd->u.consumer.obj_id, knobs);
			cmd->u.consumer.producer_id = fold(cmd->u.consumer.producer_id, knobs);
			cmd->u.consumer.transport_id = fold(cmd->u.consumer.transport_id, knobs);
		}
		if (knobs & KNOB_ADDRS) {
			cmd->u.consumer.paused &= 1;
			cmd->u.consumer.n_pt_map %= CASCADE_MAX_PT_MAP + 1;
			memset(cmd->u.consumer.pad0, 0, sizeof(cmd->u.consumer.pad0));
			memset(cmd->u.consumer.pad1, 0, sizeof(cmd->u.consumer.pad1));
			if (b2 & 1) {
				memset(&cmd->u.consumer.remote, 0, sizeof(cmd->u.consumer.remote));
				memset(cmd->u.consumer.remote_mac, 0, 6);
			} else {
				addr_norm(&cmd->u.consumer.remote, b0);
			}
		}
		break;
	case CASCADE_CMD_TRANSPORT_SRTP:
		if (knobs & KNOB_FOLD_IDS)
			cmd->u.srtp.obj_id = fold(cmd->u.srtp.obj_id, knobs);
		if (knobs & KNOB_KEYS) {
			cmd->u.srtp.suite = key_norm(cmd->u.srtp.suite, cmd->u.srtp.rx_master);
			key_norm(cmd->u.srtp.suite - 1, cmd->u.srtp.tx_master);
			memset(cmd->u.srtp.pad, 0, sizeof(cmd->u.srtp.pad));
		}
		break;
	case CASCADE_CMD_PIPE_SRTP:
		if (knobs & KNOB_FOLD_IDS)
			cmd->u.pipe_srtp.obj_id = fold(cmd->u.pipe_srtp.obj_id, knobs);
		if (knobs & KNOB_KEYS) {
			cmd->u.pipe_srtp.kind = (uint8_t)(1 + (b0 & 1));
			cmd->u.pipe_srtp.suite =
				key_norm(cmd->u.pipe_srtp.suite, cmd->u.pipe_srtp.master);
			memset(cmd->u.pipe_srtp.pad, 0, sizeof(cmd->u.pipe_srtp.pad));
			memset(cmd->u.pipe_srtp.pad1, 0, sizeof(cmd->u.pipe_srtp.pad1));
		}
		break;
	default: /* deletes, pauses, FLUSH, PING and unknown types: an object id */
		if (knobs & KNOB_FOLD_IDS)
			cmd->u.obj.obj_id = fold(cmd->u.obj.obj_id, knobs);
		if (knobs & KNOB_ADDRS)
			cmd->u.obj.paused &= 1;
		break;
	}
}

/*
 * A worker's learn request made of the command's bytes, for the transport
 * of id 1 + (v & 3) (nothing when there is none) with its generation or the
 * one before (a learn that waited while the slot was reused), or (v bit 8)
 * for a slot past the table; fuzz_dp_learn() checks what it may change. By
 * id, not by slot: which slot an id has depends on earlier inputs.
 */
static void
learn(const struct cascade_cmd *cmd, uint32_t v)
{
	uint32_t slot = fuzz_dp_slot(dp.tp_by_id, 1 + (v & 3));
	struct dp_learn l;

	memset(&l, 0, sizeof(l));
	if (v & 0x100) {
		l.transport = dp.opt.max_transports;
	} else if (slot != UINT32_MAX) {
		l.transport = slot;
		l.gen = dp.transports[slot].gen - ((v & 0x200) != 0);
	} else {
		return;
	}
	l.src = cmd->u.transport.remote;
	if (v & 0x400)
		addr_norm(&l.src, (uint8_t)(v >> 16));
	memcpy(l.mac.addr_bytes, cmd->u.transport.remote_mac, 6);
	l.what = cmd->u.transport.flags & (DP_LEARN_RTP | DP_LEARN_RTCP | DP_LEARN_MAC);
	fuzz_dp_learn(&l);
}

/* What a successful command must have done to its object. */
static void
check_done(const struct cascade_cmd *cmd)
{
	void *data;

	switch (cmd->type) {
	case CASCADE_CMD_TRANSPORT_ADD:
		fuzz_check(rte_hash_lookup_data(dp.tp_by_id, &cmd->u.transport.obj_id, &data) >= 0);
		break;
	case CASCADE_CMD_PRODUCER_ADD:
		fuzz_check(rte_hash_lookup_data(dp.prod_by_id, &cmd->u.producer.obj_id, &data) >=
			   0);
		break;
	case CASCADE_CMD_CONSUMER_ADD:
		fuzz_check(rte_hash_lookup_data(dp.cons_by_id, &cmd->u.consumer.obj_id, &data) >=
			   0);
		break;
	case CASCADE_CMD_TRANSPORT_DEL:
		fuzz_check(rte_hash_lookup_data(dp.tp_by_id, &cmd->u.obj.obj_id, &data) < 0);
		break;
	case CASCADE_CMD_PRODUCER_DEL:
		fuzz_check(rte_hash_lookup_data(dp.prod_by_id, &cmd->u.obj.obj_id, &data) < 0);
		break;
	case CASCADE_CMD_CONSUMER_DEL:
		fuzz_check(rte_hash_lookup_data(dp.cons_by_id, &cmd->u.obj.obj_id, &data) < 0);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cascade_cmd cmd;
	size_t off;
	uint16_t knobs;
	uint32_t v;
	int n = 0;

	for (off = 0; off + sizeof(cmd) <= size && n < MAX_CMDS; off += sizeof(cmd), n++) {
		memcpy(&cmd, data + off, sizeof(cmd));
		knobs = cmd.pad0;
		v = cmd.pad1;
		cmd.pad0 = 0;
		cmd.pad1 = 0;
		cmd.type = (uint16_t)((cmd.type & 0xff) % (CASCADE_CMD_MAX + 1));
		steer(&cmd, knobs, v);
		if (knobs & KNOB_LEARN)
			learn(&cmd, v);
		if (fuzz_dp_apply(&cmd) == 0)
			check_done(&cmd);
		fuzz_dp_check_tables(false);
		if (knobs & (KNOB_SETTLE | KNOB_PUBLISH)) {
			fuzz_dp_settle((knobs & KNOB_SETTLE) != 0);
			fuzz_dp_check_tables(true);
		}
	}
	fuzz_dp_settle(false);
	fuzz_dp_check_tables(true);
	fuzz_dp_flush();
	return 0;
}
