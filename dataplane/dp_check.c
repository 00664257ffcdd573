/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command-body checks that need no table (see dp_check.h). Each check stops at
 * the first bad field and says which one; the messages are part of the
 * interface (the control plane passes them on, tests grep them), so they stay
 * short enough for cascade_reply.message and name the field as
 * "object.field: why".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dp_check.h"

#define KNOWN_FLAGS                                                                                \
	(CASCADE_TRANSPORT_COMEDIA | CASCADE_TRANSPORT_RTCP_MUX | CASCADE_TRANSPORT_PIPE)

static int bad(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
bad(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

bool
dp_addr_valid(const struct cascade_addr *a, bool need_port)
{
	if (a->family != CASCADE_AF_INET && a->family != CASCADE_AF_INET6)
		return false;
	if (need_port && a->port_be == 0)
		return false;
	return true;
}

static bool
is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

bool
dp_mac_is_zero(const uint8_t mac[6])
{
	return is_zero(mac, 6);
}

struct cascade_addr
dp_addr_norm(const struct cascade_addr *a)
{
	struct cascade_addr k;

	memset(&k, 0, sizeof(k));
	k.family = a->family;
	k.port_be = a->port_be;
	memcpy(k.ip, a->ip, a->family == CASCADE_AF_INET ? 4 : 16);
	return k;
}

int
dp_check_transport(const struct cascade_cmd_transport *t, uint16_t n_ports, char *msg, size_t len)
{
	bool mux = t->flags & CASCADE_TRANSPORT_RTCP_MUX;
	struct cascade_addr l, l_rtcp;

	if (t->obj_id == 0)
		return bad(msg, len, "transport.obj_id: must not be 0");
	if (t->flags & ~KNOWN_FLAGS)
		return bad(msg, len, "transport.flags: unknown bits 0x%x", t->flags);
	if (t->port_id >= n_ports)
		return bad(msg, len, "transport.port_id: %u, dataplane has %u ports", t->port_id,
			   n_ports);
	if (!dp_addr_valid(&t->local, true))
		return bad(msg, len, "transport.local: family must be 4 or 6 and port non-zero");
	if (t->srtp_suite > CASCADE_SUITE_MAX)
		return bad(msg, len, "transport.srtp_suite: unknown suite %u", t->srtp_suite);
	if (t->flags & CASCADE_TRANSPORT_PIPE) {
		/* one pipe port for all peer nodes: nothing to learn, nobody to check */
		if (!mux)
			return bad(msg, len, "transport.flags: a pipe transport needs rtcp-mux");
		if (t->flags & CASCADE_TRANSPORT_COMEDIA)
			return bad(msg, len,
				   "transport.flags: a pipe transport never learns (comedia)");
		if (!is_zero(&t->remote, sizeof(t->remote)))
			return bad(msg, len,
				   "transport.remote: a pipe transport has none (consumer.remote)");
		if (!is_zero(&t->remote_rtcp, sizeof(t->remote_rtcp)))
			return bad(msg, len, "transport.remote_rtcp: a pipe transport has none");
		if (!dp_mac_is_zero(t->remote_mac))
			return bad(msg, len,
				   "transport.remote_mac: a pipe transport has none "
				   "(consumer.remote_mac)");
	}
	if (!mux &&
	    (!dp_addr_valid(&t->local_rtcp, true) || t->local_rtcp.family != t->local.family))
		return bad(msg, len,
			   "transport.local_rtcp: required without rtcp-mux, same family as local");
	/* compared as the tables key them (normalised): one key for both would take RTP for RTCP */
	l = dp_addr_norm(&t->local);
	l_rtcp = dp_addr_norm(&t->local_rtcp);
	if (!mux && memcmp(&l, &l_rtcp, sizeof(l)) == 0)
		return bad(msg, len, "transport.local_rtcp: must differ from local");
	if (t->remote.port_be != 0 && t->remote.family != t->local.family)
		return bad(msg, len, "transport.remote: family differs from local");
	if (t->remote_rtcp.port_be != 0 && t->remote_rtcp.family != t->local.family)
		return bad(msg, len, "transport.remote_rtcp: family differs from local");
	return 0;
}

/* A master key + salt field: mb bytes, not all zero, zero after them. */
static int
check_master(const uint8_t *k, unsigned int mb, const char *field, char *msg, size_t len)
{
	if (is_zero(k, mb))
		return bad(msg, len, "srtp.%s: all zero", field);
	if (!is_zero(k + mb, CASCADE_SRTP_MASTER_MAX - mb))
		return bad(msg, len, "srtp.%s: longer than the suite's %u bytes", field, mb);
	return 0;
}

int
dp_check_transport_srtp(const struct cascade_cmd_transport_srtp *s,
			const struct cascade_cmd_transport *tp, char *msg, size_t len)
{
	unsigned int mb;
	int rc;

	if (s->obj_id == 0)
		return bad(msg, len, "srtp.obj_id: must not be 0");
	if (tp->srtp_suite == CASCADE_SUITE_NONE)
		return bad(msg, len, "srtp.obj_id: not an SRTP transport (srtp_suite 0)");
	if (tp->flags & CASCADE_TRANSPORT_PIPE)
		return bad(msg, len,
			   "srtp.obj_id: a pipe transport's keys are per stream (PIPE_SRTP)");
	if (s->suite != tp->srtp_suite)
		return bad(msg, len, "srtp.suite: %u, the transport's is %u", s->suite,
			   tp->srtp_suite);
	if (!is_zero(s->pad, sizeof(s->pad)))
		return bad(msg, len, "srtp.pad: must be zero");
	mb = cascade_srtp_master_bytes(s->suite);
	rc = check_master(s->rx_master, mb, "rx_master", msg, len);
	if (rc == 0)
		rc = check_master(s->tx_master, mb, "tx_master", msg, len);
	return rc;
}

int
dp_check_pipe_srtp(const struct cascade_cmd_pipe_srtp *s, const struct cascade_cmd_transport *tp,
		   char *msg, size_t len)
{
	if (s->obj_id == 0)
		return bad(msg, len, "pipe_srtp.obj_id: must not be 0");
	if (s->kind != CASCADE_PIPE_SRTP_PRODUCER && s->kind != CASCADE_PIPE_SRTP_CONSUMER)
		return bad(msg, len, "pipe_srtp.kind: must be 1 (producer) or 2 (consumer)");
	if (!(tp->flags & CASCADE_TRANSPORT_PIPE))
		return bad(msg, len, "pipe_srtp.obj_id: not on a pipe transport");
	if (tp->srtp_suite == CASCADE_SUITE_NONE)
		return bad(msg, len, "pipe_srtp.obj_id: the pipe transport is plain (srtp_suite 0)");
	if (s->suite != tp->srtp_suite)
		return bad(msg, len, "pipe_srtp.suite: %u, the pipe transport's is %u", s->suite,
			   tp->srtp_suite);
	if (!is_zero(s->pad, sizeof(s->pad)) || !is_zero(s->pad1, sizeof(s->pad1)))
		return bad(msg, len, "pipe_srtp.pad: must be zero");
	return check_master(s->master, cascade_srtp_master_bytes(s->suite), "master", msg, len);
}

int
dp_check_consumer(const struct cascade_cmd_consumer *k, char *msg, size_t len)
{
	unsigned int i;

	if (k->obj_id == 0)
		return bad(msg, len, "consumer.obj_id: must not be 0");
	if (k->n_pt_map > CASCADE_MAX_PT_MAP)
		return bad(msg, len, "consumer.n_pt_map: %u > %u", k->n_pt_map, CASCADE_MAX_PT_MAP);
	for (i = 0; i < k->n_pt_map; i++)
		if (k->pt_map[i].in_pt > 127 || k->pt_map[i].out_pt > 127)
			return bad(msg, len, "consumer.pt_map[%u]: payload types are 0..127", i);
	if (k->twcc_ext_id > CASCADE_MAX_EXT_ID)
		return bad(msg, len, "consumer.twcc_ext_id: ids are 1..14 (0: none)");
	for (i = 0; i <= CASCADE_MAX_EXT_ID + 1; i++) {
		if ((k->ext_map[i] > CASCADE_MAX_EXT_ID && k->ext_map[i] != CASCADE_EXT_TWCC) ||
		    (i == 0 && k->ext_map[i] != 0) ||
		    (i == CASCADE_MAX_EXT_ID + 1 && k->ext_map[i] != 0))
			return bad(msg, len, "consumer.ext_map[%u]: ids are 1..14, or 15 (blank)", i);
		if (k->twcc_ext_id != 0 && k->ext_map[i] == k->twcc_ext_id)
			return bad(msg, len, "consumer.ext_map[%u]: %u is twcc_ext_id", i,
				   k->twcc_ext_id);
	}
	if (k->twcc_ext_id != 0 && k->ext_map[k->twcc_ext_id] == 0)
		return bad(msg, len, "consumer.twcc_ext_id: ext_map[%u] must move the producer's "
				     "element of that id elsewhere", k->twcc_ext_id);
	if (k->paused > 1)
		return bad(msg, len, "consumer.paused: must be 0 or 1");
	for (i = 0; i < CASCADE_MAX_PT_MAP; i++) {
		unsigned int j;

		if (k->rtx_pt[i] == 0)
			continue;
		if (k->rtx_ssrc == 0 || i >= k->n_pt_map || k->rtx_pt[i] > 127)
			return bad(msg, len, "consumer.rtx_pt[%u]: a payload type 1..127 of a mapped "
					     "codec, with rtx_ssrc", i);
		for (j = 0; j < k->n_pt_map; j++)
			if (k->pt_map[j].out_pt == k->rtx_pt[i])
				return bad(msg, len, "consumer.rtx_pt[%u]: %u is a media payload type",
					   i, k->rtx_pt[i]);
	}
	if (k->rtx_ssrc != 0 && k->rtx_ssrc == k->ssrc)
		return bad(msg, len, "consumer.rtx_ssrc: must differ from ssrc");
	return 0;
}

int
dp_check_producer_fb(const struct cascade_cmd_producer *p, char *msg, size_t len)
{
	if (p->fb & ~(CASCADE_FB_PLI | CASCADE_FB_FIR | CASCADE_FB_NACK | CASCADE_FB_TWCC |
		      CASCADE_FB_REMB))
		return bad(msg, len, "producer.fb: unknown feedback bits 0x%x", p->fb);
	if ((p->fb & CASCADE_FB_TWCC) && (p->fb & CASCADE_FB_REMB))
		return bad(msg, len, "producer.fb: transport-cc and REMB exclude each other");
	if ((p->fb & CASCADE_FB_TWCC) && (p->twcc_ext_id < 1 || p->twcc_ext_id > CASCADE_MAX_EXT_ID))
		return bad(msg, len, "producer.twcc_ext_id: %u outside [1, %u] with transport-cc",
			   p->twcc_ext_id, CASCADE_MAX_EXT_ID);
	if (!(p->fb & CASCADE_FB_TWCC) && p->twcc_ext_id != 0)
		return bad(msg, len, "producer.twcc_ext_id: must be 0 without transport-cc");
	return 0;
}

int
dp_check_producer_rtx(const struct cascade_cmd_producer *p, char *msg, size_t len)
{
	unsigned int i, j;

	if (p->n_rtx > CASCADE_MAX_RTX_MAP)
		return bad(msg, len, "producer.n_rtx: %u > %u", p->n_rtx, CASCADE_MAX_RTX_MAP);
	if ((p->rtx_ssrc == 0) != (p->n_rtx == 0))
		return bad(msg, len, "producer.rtx_ssrc: required with RTX payload types, and only then");
	if (p->rtx_ssrc != 0 && p->rtx_ssrc == p->ssrc)
		return bad(msg, len, "producer.rtx_ssrc: must differ from ssrc");
	for (i = 0; i < CASCADE_MAX_RTX_MAP; i++) {
		if (i >= p->n_rtx) {
			if (p->rtx_map[i].pt != 0 || p->rtx_map[i].apt != 0)
				return bad(msg, len, "producer.rtx_map[%u]: past n_rtx, must be zero", i);
			continue;
		}
		if (p->rtx_map[i].pt > 127 || p->rtx_map[i].apt > 127 ||
		    p->rtx_map[i].pt == p->rtx_map[i].apt)
			return bad(msg, len, "producer.rtx_map[%u]: payload types 0..127, RTX and the "
					     "one it repairs (apt) differ", i);
		for (j = 0; j < i; j++)
			if (p->rtx_map[j].pt == p->rtx_map[i].pt)
				return bad(msg, len, "producer.rtx_map[%u].pt: %u given twice", i,
					   p->rtx_map[i].pt);
	}
	if (!is_zero(p->pad, sizeof(p->pad)) || !is_zero(p->pad2, sizeof(p->pad2)))
		return bad(msg, len, "producer.pad: must be zero");
	return 0;
}

bool
dp_producer_rtx_same(const struct cascade_cmd_producer *a, const struct cascade_cmd_producer *b)
{
	return a->rtx_ssrc == b->rtx_ssrc && a->n_rtx == b->n_rtx &&
	       memcmp(a->rtx_map, b->rtx_map, sizeof(a->rtx_map)) == 0;
}

int
dp_check_consumer_dest(const struct cascade_cmd_consumer *k, const struct cascade_cmd_transport *tp,
		       char *msg, size_t len)
{
	if (tp->flags & CASCADE_TRANSPORT_PIPE) {
		if (k->remote.family != tp->local.family || k->remote.port_be == 0 ||
		    is_zero(k->remote.ip, k->remote.family == CASCADE_AF_INET ? 4 : 16))
			return bad(msg, len,
				   "consumer.remote: required on a pipe transport: an IPv%u "
				   "address and a port",
				   tp->local.family);
		if (k->twcc_ext_id != 0) /* one counter towards many peers would mean nothing */
			return bad(msg, len, "consumer.twcc_ext_id: not on a pipe transport");
		return 0;
	}
	if (!is_zero(&k->remote, sizeof(k->remote)))
		return bad(msg, len, "consumer.remote: only for a consumer on a pipe transport");
	if (!dp_mac_is_zero(k->remote_mac))
		return bad(msg, len,
			   "consumer.remote_mac: only for a consumer on a pipe transport");
	return 0;
}

void
dp_consumer_norm(struct cascade_cmd_consumer *k)
{
	memset(k->pad0, 0, sizeof(k->pad0));
	memset(k->pad1, 0, sizeof(k->pad1));
	memset(k->pad2, 0, sizeof(k->pad2));
	k->remote = dp_addr_norm(&k->remote);
}

bool
dp_consumer_same(const struct cascade_cmd_consumer *a, const struct cascade_cmd_consumer *b)
{
	return a->obj_id == b->obj_id && a->producer_id == b->producer_id &&
	       a->transport_id == b->transport_id && a->ssrc == b->ssrc &&
	       a->n_pt_map == b->n_pt_map && memcmp(a->pt_map, b->pt_map, sizeof(a->pt_map)) == 0 &&
	       memcmp(a->ext_map, b->ext_map, sizeof(a->ext_map)) == 0 &&
	       memcmp(&a->remote, &b->remote, sizeof(a->remote)) == 0 &&
	       memcmp(a->remote_mac, b->remote_mac, sizeof(a->remote_mac)) == 0 &&
	       a->rtx_ssrc == b->rtx_ssrc && memcmp(a->rtx_pt, b->rtx_pt, sizeof(a->rtx_pt)) == 0 &&
	       a->twcc_ext_id == b->twcc_ext_id;
}
