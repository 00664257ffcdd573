/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dp_check: the command-body checks the dataplane runs before
 * it installs a transport or a consumer. Every refusal must name its field in a
 * message that fits cascade_reply.message; the pipe rules (a PIPE transport
 * needs rtcp-mux and has no remote, comedia or MAC; a consumer on it needs its
 * own remote of the transport's family, any other consumer has none) and the
 * normalisation behind the idempotency rule (same parameters = a retry,
 * whatever the padding and the unused bytes of an IPv4 address hold), and the
 * SRTP rules (known suites, none on a pipe; TRANSPORT_SRTP keys of exactly the
 * transport's suite's length, never echoed in a message).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <cascade/msg.h>

#include "dp_check.h"

#define REPLY_MSG_LEN sizeof(((struct cascade_reply *)0)->message)

static char msg[256];

/* rc is -EINVAL and msg names `field`, untruncated in a reply. */
static void
expect_bad(int rc, const char *field)
{
	if (rc != -EINVAL || strstr(msg, field) != msg)
		fail_msg("want -EINVAL naming \"%s\", got %d \"%s\"", field, rc, msg);
	assert_true(strlen(msg) < REPLY_MSG_LEN);
}

static struct cascade_addr
v4(const char *ip, uint16_t port)
{
	struct cascade_addr a;

	memset(&a, 0, sizeof(a));
	a.family = CASCADE_AF_INET;
	a.port_be = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, a.ip), 1);
	return a;
}

static struct cascade_addr
v6(const char *ip, uint16_t port)
{
	struct cascade_addr a;

	memset(&a, 0, sizeof(a));
	a.family = CASCADE_AF_INET6;
	a.port_be = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, a.ip), 1);
	return a;
}

static struct cascade_cmd_transport
transport(uint8_t flags)
{
	struct cascade_cmd_transport t;

	memset(&t, 0, sizeof(t));
	t.obj_id = 1;
	t.port_id = 0;
	t.flags = flags;
	t.local = v4("198.18.1.1", 7000);
	if (!(flags & CASCADE_TRANSPORT_RTCP_MUX))
		t.local_rtcp = v4("198.18.1.1", 7001);
	return t;
}

static struct cascade_cmd_consumer
consumer(void)
{
	struct cascade_cmd_consumer k;

	memset(&k, 0, sizeof(k));
	k.obj_id = 20;
	k.producer_id = 10;
	k.transport_id = 1;
	k.ssrc = 0x2001;
	return k;
}

/* ---- transports ---- */

static void
test_transport_ordinary(void **state)
{
	struct cascade_cmd_transport t;

	(void)state;
	t = transport(CASCADE_TRANSPORT_RTCP_MUX | CASCADE_TRANSPORT_COMEDIA);
	assert_int_equal(dp_check_transport(&t, 1, msg, sizeof(msg)), 0);
	t = transport(0);
	t.remote = v4("198.18.0.2", 5000);
	t.remote_mac[0] = 2;
	assert_int_equal(dp_check_transport(&t, 1, msg, sizeof(msg)), 0);

	t = transport(CASCADE_TRANSPORT_RTCP_MUX);
	t.obj_id = 0;
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.obj_id");
	t = transport(CASCADE_TRANSPORT_RTCP_MUX | 0x80);
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.flags");
	t = transport(CASCADE_TRANSPORT_RTCP_MUX);
	t.port_id = 1;
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.port_id");
	t.port_id = 0;
	t.local.port_be = 0;
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.local");
	t = transport(0);
	t.local_rtcp = t.local;
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.local_rtcp");
	t = transport(0);
	t.local_rtcp = v6("2001:db8::1", 7001);
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.local_rtcp");
	t = transport(CASCADE_TRANSPORT_RTCP_MUX);
	t.remote = v6("2001:db8::2", 5000);
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.remote");
	t = transport(CASCADE_TRANSPORT_RTCP_MUX);
	t.remote_rtcp = v6("2001:db8::2", 5001);
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.remote_rtcp");
}

/*
 * Without rtcp-mux the RTCP port must be another address than local, also
 * when the two differ only in the bytes an IPv4 address leaves unused: the
 * tables key them normalised, and one key for both would take every RTP
 * packet for RTCP on the RTCP port.
 */
static void
test_transport_local_rtcp_differs_once_normalised(void **state)
{
	struct cascade_cmd_transport t;

	(void)state;
	t = transport(0);
	t.local_rtcp = t.local;
	t.local_rtcp.ip[9] = 0x5a;
	t.local_rtcp.pad = 1;
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.local_rtcp");
	t.local_rtcp.port_be = (uint16_t)(t.local.port_be ^ 0x0100);
	assert_int_equal(dp_check_transport(&t, 1, msg, sizeof(msg)), 0);
}

static void
test_transport_pipe(void **state)
{
	const uint8_t pipe = CASCADE_TRANSPORT_PIPE | CASCADE_TRANSPORT_RTCP_MUX;
	struct cascade_cmd_transport t;

	(void)state;
	t = transport(pipe);
	assert_int_equal(dp_check_transport(&t, 1, msg, sizeof(msg)), 0);
	t.local = v6("2001:db8::1", 7000);
	assert_int_equal(dp_check_transport(&t, 1, msg, sizeof(msg)), 0);

	/* RTP and RTCP of every peer node share the one pipe port */
	t = transport(CASCADE_TRANSPORT_PIPE);
	t.local_rtcp = v4("198.18.1.1", 7001);
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.flags");
	/* nothing to learn: there is no single remote */
	t = transport(pipe | CASCADE_TRANSPORT_COMEDIA);
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.flags");
	t = transport(pipe);
	t.remote = v4("198.18.1.2", 7000);
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.remote");
	t = transport(pipe);
	t.remote.family = CASCADE_AF_INET; /* even without a port */
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.remote");
	t = transport(pipe);
	t.remote_rtcp = v4("198.18.1.2", 7001);
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.remote_rtcp");
	t = transport(pipe);
	t.remote_mac[5] = 1;
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.remote_mac");
}

/* ---- SRTP ---- */

static void
test_transport_srtp_suite(void **state)
{
	struct cascade_cmd_transport t;
	unsigned int s;

	(void)state;
	for (s = CASCADE_SUITE_NONE; s <= CASCADE_SUITE_MAX; s++) {
		t = transport(CASCADE_TRANSPORT_RTCP_MUX | CASCADE_TRANSPORT_COMEDIA);
		t.srtp_suite = (uint8_t)s;
		assert_int_equal(dp_check_transport(&t, 1, msg, sizeof(msg)), 0);
	}
	t = transport(CASCADE_TRANSPORT_RTCP_MUX);
	t.srtp_suite = CASCADE_SUITE_MAX + 1;
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.srtp_suite");
	t.srtp_suite = 0xff;
	expect_bad(dp_check_transport(&t, 1, msg, sizeof(msg)), "transport.srtp_suite");
	/* SRTP pipes (cluster.pipe_srtp): any suite */
	for (s = CASCADE_SUITE_NONE; s <= CASCADE_SUITE_MAX; s++) {
		t = transport(CASCADE_TRANSPORT_PIPE | CASCADE_TRANSPORT_RTCP_MUX);
		t.srtp_suite = (uint8_t)s;
		assert_int_equal(dp_check_transport(&t, 1, msg, sizeof(msg)), 0);
	}
}

static struct cascade_cmd_transport_srtp
srtp_cmd(uint8_t suite)
{
	struct cascade_cmd_transport_srtp s;
	unsigned int i, mb = cascade_srtp_master_bytes(suite);

	memset(&s, 0, sizeof(s));
	s.obj_id = 1;
	s.suite = suite;
	for (i = 0; i < mb; i++) {
		s.rx_master[i] = (uint8_t)(i + 1);
		s.tx_master[i] = (uint8_t)(0x80 + i);
	}
	return s;
}

static void
test_transport_srtp_keys(void **state)
{
	struct cascade_cmd_transport t = transport(CASCADE_TRANSPORT_RTCP_MUX);
	struct cascade_cmd_transport_srtp s;
	unsigned int suite, mb;

	(void)state;
	assert_int_equal(cascade_srtp_master_bytes(CASCADE_SUITE_NONE), 0);
	assert_int_equal(cascade_srtp_master_bytes(CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80), 30);
	assert_int_equal(cascade_srtp_master_bytes(CASCADE_SUITE_AES_CM_128_HMAC_SHA1_32), 30);
	assert_int_equal(cascade_srtp_master_bytes(CASCADE_SUITE_AEAD_AES_128_GCM), 28);
	assert_int_equal(cascade_srtp_master_bytes(CASCADE_SUITE_AEAD_AES_256_GCM), 44);
	assert_int_equal(cascade_srtp_master_bytes(CASCADE_SUITE_MAX + 1), 0);
	assert_true(cascade_srtp_master_bytes(CASCADE_SUITE_AEAD_AES_256_GCM) <=
		    CASCADE_SRTP_MASTER_MAX);

	for (suite = 1; suite <= CASCADE_SUITE_MAX; suite++) {
		mb = cascade_srtp_master_bytes(suite);
		t.srtp_suite = (uint8_t)suite;
		s = srtp_cmd((uint8_t)suite);
		assert_int_equal(dp_check_transport_srtp(&s, &t, msg, sizeof(msg)), 0);

		/* a key longer than the suite's (a byte past it set) */
		if (mb < CASCADE_SRTP_MASTER_MAX) {
			s.rx_master[mb] = 1;
			expect_bad(dp_check_transport_srtp(&s, &t, msg, sizeof(msg)),
				   "srtp.rx_master");
			s = srtp_cmd((uint8_t)suite);
			s.tx_master[CASCADE_SRTP_MASTER_MAX - 1] = 1;
			expect_bad(dp_check_transport_srtp(&s, &t, msg, sizeof(msg)),
				   "srtp.tx_master");
		}
		/* no key at all */
		s = srtp_cmd((uint8_t)suite);
		memset(s.rx_master, 0, sizeof(s.rx_master));
		expect_bad(dp_check_transport_srtp(&s, &t, msg, sizeof(msg)), "srtp.rx_master");
		s = srtp_cmd((uint8_t)suite);
		memset(s.tx_master, 0, sizeof(s.tx_master));
		expect_bad(dp_check_transport_srtp(&s, &t, msg, sizeof(msg)), "srtp.tx_master");
		/* the suite must be the transport's */
		s = srtp_cmd((uint8_t)suite);
		s.suite = (uint8_t)(suite % CASCADE_SUITE_MAX + 1);
		expect_bad(dp_check_transport_srtp(&s, &t, msg, sizeof(msg)), "srtp.suite");
		s.suite = 0;
		expect_bad(dp_check_transport_srtp(&s, &t, msg, sizeof(msg)), "srtp.suite");
	}
	t.srtp_suite = CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80;
	s = srtp_cmd(CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80);
	s.obj_id = 0;
	expect_bad(dp_check_transport_srtp(&s, &t, msg, sizeof(msg)), "srtp.obj_id");
	s = srtp_cmd(CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80);
	s.pad[3] = 1;
	expect_bad(dp_check_transport_srtp(&s, &t, msg, sizeof(msg)), "srtp.pad");
	/* keys for a plain transport */
	t.srtp_suite = CASCADE_SUITE_NONE;
	s = srtp_cmd(CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80);
	expect_bad(dp_check_transport_srtp(&s, &t, msg, sizeof(msg)), "srtp.obj_id");
	/* key bytes never reach the message */
	t.srtp_suite = CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80;
	s = srtp_cmd(CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80);
	s.rx_master[30] = 'K';
	expect_bad(dp_check_transport_srtp(&s, &t, msg, sizeof(msg)), "srtp.rx_master");
	assert_null(strchr(msg, 'K'));
}

static struct cascade_cmd_pipe_srtp
pipe_srtp_cmd(uint8_t kind, uint8_t suite)
{
	struct cascade_cmd_pipe_srtp s;
	unsigned int i, mb = cascade_srtp_master_bytes(suite);

	memset(&s, 0, sizeof(s));
	s.obj_id = 7;
	s.kind = kind;
	s.suite = suite;
	for (i = 0; i < mb; i++)
		s.master[i] = (uint8_t)(0x40 + i);
	return s;
}

static void
test_pipe_srtp(void **state)
{
	struct cascade_cmd_transport t = transport(CASCADE_TRANSPORT_PIPE | CASCADE_TRANSPORT_RTCP_MUX);
	struct cascade_cmd_pipe_srtp s;
	struct cascade_cmd_transport_srtp ts;
	unsigned int suite, mb;
	uint8_t kind;

	(void)state;
	for (suite = 1; suite <= CASCADE_SUITE_MAX; suite++) {
		mb = cascade_srtp_master_bytes(suite);
		t.srtp_suite = (uint8_t)suite;
		for (kind = CASCADE_PIPE_SRTP_PRODUCER; kind <= CASCADE_PIPE_SRTP_CONSUMER; kind++) {
			s = pipe_srtp_cmd(kind, (uint8_t)suite);
			assert_int_equal(dp_check_pipe_srtp(&s, &t, msg, sizeof(msg)), 0);
		}
		/* a key longer than the suite's, or none */
		if (mb < CASCADE_SRTP_MASTER_MAX) {
			s = pipe_srtp_cmd(CASCADE_PIPE_SRTP_PRODUCER, (uint8_t)suite);
			s.master[mb] = 1;
			expect_bad(dp_check_pipe_srtp(&s, &t, msg, sizeof(msg)), "srtp.master");
		}
		s = pipe_srtp_cmd(CASCADE_PIPE_SRTP_CONSUMER, (uint8_t)suite);
		memset(s.master, 0, sizeof(s.master));
		expect_bad(dp_check_pipe_srtp(&s, &t, msg, sizeof(msg)), "srtp.master");
		/* the suite must be the pipe transport's */
		s = pipe_srtp_cmd(CASCADE_PIPE_SRTP_PRODUCER, (uint8_t)(suite % CASCADE_SUITE_MAX + 1));
		expect_bad(dp_check_pipe_srtp(&s, &t, msg, sizeof(msg)), "pipe_srtp.suite");
	}
	t.srtp_suite = CASCADE_SUITE_AEAD_AES_128_GCM;
	s = pipe_srtp_cmd(CASCADE_PIPE_SRTP_PRODUCER, CASCADE_SUITE_AEAD_AES_128_GCM);
	s.obj_id = 0;
	expect_bad(dp_check_pipe_srtp(&s, &t, msg, sizeof(msg)), "pipe_srtp.obj_id");
	s = pipe_srtp_cmd(3, CASCADE_SUITE_AEAD_AES_128_GCM);
	expect_bad(dp_check_pipe_srtp(&s, &t, msg, sizeof(msg)), "pipe_srtp.kind");
	s = pipe_srtp_cmd(0, CASCADE_SUITE_AEAD_AES_128_GCM);
	expect_bad(dp_check_pipe_srtp(&s, &t, msg, sizeof(msg)), "pipe_srtp.kind");
	s = pipe_srtp_cmd(CASCADE_PIPE_SRTP_CONSUMER, CASCADE_SUITE_AEAD_AES_128_GCM);
	s.pad1[0] = 1;
	expect_bad(dp_check_pipe_srtp(&s, &t, msg, sizeof(msg)), "pipe_srtp.pad");
	/* a plain pipe, or not a pipe at all */
	t.srtp_suite = CASCADE_SUITE_NONE;
	s = pipe_srtp_cmd(CASCADE_PIPE_SRTP_CONSUMER, CASCADE_SUITE_AEAD_AES_128_GCM);
	expect_bad(dp_check_pipe_srtp(&s, &t, msg, sizeof(msg)), "pipe_srtp.obj_id");
	t = transport(CASCADE_TRANSPORT_RTCP_MUX);
	t.srtp_suite = CASCADE_SUITE_AEAD_AES_128_GCM;
	expect_bad(dp_check_pipe_srtp(&s, &t, msg, sizeof(msg)), "pipe_srtp.obj_id");
	/* a pipe transport takes no transport-wide keys */
	t = transport(CASCADE_TRANSPORT_PIPE | CASCADE_TRANSPORT_RTCP_MUX);
	t.srtp_suite = CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80;
	ts = srtp_cmd(CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80);
	expect_bad(dp_check_transport_srtp(&ts, &t, msg, sizeof(msg)), "srtp.obj_id");
	/* key bytes never reach the message */
	s = pipe_srtp_cmd(CASCADE_PIPE_SRTP_PRODUCER, CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80);
	s.master[30] = 'K';
	expect_bad(dp_check_pipe_srtp(&s, &t, msg, sizeof(msg)), "srtp.master");
	assert_null(strchr(msg, 'K'));
}

static void
test_srtp_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct cascade_cmd_pipe_srtp), 64);
	assert_true(sizeof(struct cascade_cmd_pipe_srtp) <= sizeof(((struct cascade_cmd *)0)->u.raw));
	assert_int_equal(sizeof(struct cascade_cmd_transport_srtp), 104);
	assert_true(sizeof(struct cascade_cmd_transport_srtp) <=
		    sizeof(((struct cascade_cmd *)0)->u.raw));
	assert_int_equal(offsetof(struct cascade_cmd_transport, srtp_suite), 11);
}

/* ---- consumers ---- */

static void
test_consumer_fields(void **state)
{
	struct cascade_cmd_consumer k;

	(void)state;
	k = consumer();
	k.n_pt_map = 1;
	k.pt_map[0].in_pt = 96;
	k.pt_map[0].out_pt = 100;
	k.ext_map[1] = 5;
	assert_int_equal(dp_check_consumer(&k, msg, sizeof(msg)), 0);

	k = consumer();
	k.obj_id = 0;
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.obj_id");
	k = consumer();
	k.n_pt_map = CASCADE_MAX_PT_MAP + 1;
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.n_pt_map");
	k = consumer();
	k.n_pt_map = 2;
	k.pt_map[1].out_pt = 128;
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.pt_map[1]");
	k = consumer();
	k.ext_map[0] = 1;
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.ext_map[0]");
	k = consumer();
	k.ext_map[3] = 16;
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.ext_map[3]");
	k = consumer();
	k.ext_map[3] = CASCADE_EXT_TWCC; /* the sender's transport-wide number: blanked */
	assert_int_equal(dp_check_consumer(&k, msg, sizeof(msg)), 0);
	k.twcc_ext_id = 15;
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.twcc_ext_id");
	k.twcc_ext_id = 4; /* the producer's id 4 would keep it */
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.twcc_ext_id");
	k.ext_map[4] = 6;
	assert_int_equal(dp_check_consumer(&k, msg, sizeof(msg)), 0);
	k.ext_map[5] = 4; /* another element renamed to it */
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.ext_map[5]");
	k = consumer();
	k.paused = 2;
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.paused");

	/* RTX: a payload type per mapped codec, with an SSRC of its own */
	k = consumer();
	k.n_pt_map = 1;
	k.pt_map[0].in_pt = 96;
	k.pt_map[0].out_pt = 100;
	k.rtx_ssrc = 7;
	k.rtx_pt[0] = 101;
	assert_int_equal(dp_check_consumer(&k, msg, sizeof(msg)), 0);
	k.rtx_pt[0] = 100; /* the media payload type itself */
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.rtx_pt[0]");
	k.rtx_pt[0] = 101;
	k.rtx_pt[1] = 102; /* no codec mapped there */
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.rtx_pt[1]");
	k.rtx_pt[1] = 0;
	k.rtx_ssrc = 0; /* a payload type without an SSRC */
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.rtx_pt[0]");
	k.rtx_ssrc = k.ssrc;
	expect_bad(dp_check_consumer(&k, msg, sizeof(msg)), "consumer.rtx_ssrc");
}

/* A producer's feedback: known bits, transport-cc with its extension id, not with REMB. */
static void
test_producer_fb(void **state)
{
	struct cascade_cmd_producer p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.fb = CASCADE_FB_PLI | CASCADE_FB_REMB;
	assert_int_equal(dp_check_producer_fb(&p, msg, sizeof(msg)), 0);
	p.fb = 1 << 7;
	expect_bad(dp_check_producer_fb(&p, msg, sizeof(msg)), "producer.fb");
	p.fb = CASCADE_FB_TWCC;
	expect_bad(dp_check_producer_fb(&p, msg, sizeof(msg)), "producer.twcc_ext_id");
	p.twcc_ext_id = 15;
	expect_bad(dp_check_producer_fb(&p, msg, sizeof(msg)), "producer.twcc_ext_id");
	p.twcc_ext_id = 3;
	assert_int_equal(dp_check_producer_fb(&p, msg, sizeof(msg)), 0);
	p.fb |= CASCADE_FB_REMB;
	expect_bad(dp_check_producer_fb(&p, msg, sizeof(msg)), "producer.fb");
	p.fb = CASCADE_FB_NACK;
	expect_bad(dp_check_producer_fb(&p, msg, sizeof(msg)), "producer.twcc_ext_id");
}

/* A producer's RTX: payload types bound to others, an SSRC of its own exactly with them. */
static void
test_producer_rtx(void **state)
{
	struct cascade_cmd_producer p, q;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.ssrc = 1;
	assert_int_equal(dp_check_producer_rtx(&p, msg, sizeof(msg)), 0);
	p.rtx_ssrc = 2;
	expect_bad(dp_check_producer_rtx(&p, msg, sizeof(msg)), "producer.rtx_ssrc");
	p.n_rtx = 2;
	p.rtx_map[0].pt = 97;
	p.rtx_map[0].apt = 96;
	p.rtx_map[1].pt = 99;
	p.rtx_map[1].apt = 98;
	assert_int_equal(dp_check_producer_rtx(&p, msg, sizeof(msg)), 0);
	q = p;
	assert_true(dp_producer_rtx_same(&p, &q));
	q.rtx_map[1].apt = 96;
	assert_false(dp_producer_rtx_same(&p, &q));
	q = p;
	q.rtx_ssrc = 1; /* the media SSRC */
	expect_bad(dp_check_producer_rtx(&q, msg, sizeof(msg)), "producer.rtx_ssrc");
	q = p;
	q.rtx_map[1].pt = 97; /* twice */
	expect_bad(dp_check_producer_rtx(&q, msg, sizeof(msg)), "producer.rtx_map[1].pt");
	q = p;
	q.rtx_map[0].apt = 97; /* itself */
	expect_bad(dp_check_producer_rtx(&q, msg, sizeof(msg)), "producer.rtx_map[0]");
	q = p;
	q.rtx_map[2].pt = 101; /* past n_rtx */
	expect_bad(dp_check_producer_rtx(&q, msg, sizeof(msg)), "producer.rtx_map[2]");
	q = p;
	q.n_rtx = CASCADE_MAX_RTX_MAP + 1;
	expect_bad(dp_check_producer_rtx(&q, msg, sizeof(msg)), "producer.n_rtx");
}

static void
test_consumer_dest_pipe(void **state)
{
	struct cascade_cmd_transport t =
		transport(CASCADE_TRANSPORT_PIPE | CASCADE_TRANSPORT_RTCP_MUX);
	struct cascade_cmd_consumer k;

	(void)state;
	k = consumer();
	k.remote = v4("198.18.1.2", 7000);
	assert_int_equal(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), 0);
	k.remote_mac[0] = 0x02; /* its own next hop */
	assert_int_equal(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), 0);

	/* a pipe consumer without a destination has nowhere to go */
	k = consumer();
	expect_bad(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), "consumer.remote");
	k.remote_mac[0] = 0x02;
	expect_bad(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), "consumer.remote");
	k = consumer();
	k.remote = v4("198.18.1.2", 7000);
	k.remote.port_be = 0;
	expect_bad(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), "consumer.remote");
	k.remote = v4("0.0.0.0", 7000);
	expect_bad(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), "consumer.remote");
	k.remote = v6("2001:db8::2", 7000);
	expect_bad(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), "consumer.remote");
	assert_non_null(strstr(msg, "IPv4"));

	t.local = v6("2001:db8::1", 7000);
	assert_int_equal(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), 0);
	k.remote = v4("198.18.1.2", 7000);
	expect_bad(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), "consumer.remote");
	assert_non_null(strstr(msg, "IPv6"));
}

static void
test_consumer_dest_ordinary(void **state)
{
	struct cascade_cmd_transport t = transport(CASCADE_TRANSPORT_RTCP_MUX);
	struct cascade_cmd_consumer k;

	(void)state;
	k = consumer();
	assert_int_equal(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), 0);

	/* its packets go to the transport's remote: a remote of its own is a mistake */
	k.remote = v4("198.18.1.2", 7000);
	expect_bad(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), "consumer.remote");
	k = consumer();
	k.remote.family = CASCADE_AF_INET;
	expect_bad(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), "consumer.remote");
	k = consumer();
	k.remote.ip[3] = 1;
	expect_bad(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), "consumer.remote");
	k = consumer();
	k.remote_mac[2] = 1;
	expect_bad(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), "consumer.remote_mac");
	/* comedia or not makes no difference */
	t = transport(CASCADE_TRANSPORT_RTCP_MUX | CASCADE_TRANSPORT_COMEDIA);
	expect_bad(dp_check_consumer_dest(&k, &t, msg, sizeof(msg)), "consumer.remote_mac");
}

/* ---- normalisation and idempotency ---- */

static void
test_consumer_same(void **state)
{
	struct cascade_cmd_consumer a, b;

	(void)state;
	a = consumer();
	a.remote = v4("198.18.1.2", 7000);
	a.remote_mac[0] = 2;
	a.n_pt_map = 1;
	a.pt_map[0].in_pt = 96;
	a.pt_map[0].out_pt = 96;
	b = a;
	/* padding and the bytes an IPv4 address leaves unused do not make it different */
	b.pad0[0] = 0xaa;
	b.pad1[1] = 0xbb;
	b.pad2[7] = 0xee;
	b.remote.pad = 0xcc;
	b.remote.ip[9] = 0xdd;
	b.paused = 1; /* pause has its own command */
	dp_consumer_norm(&a);
	dp_consumer_norm(&b);
	assert_true(dp_consumer_same(&a, &b));
	assert_int_equal(b.pad0[0], 0);
	assert_int_equal(b.pad1[1], 0);
	assert_int_equal(b.pad2[7], 0);
	assert_int_equal(b.remote.pad, 0);
	assert_int_equal(b.remote.ip[9], 0);
	assert_int_equal(b.remote.ip[0], 198);

	b.remote.port_be = htons(7002);
	assert_false(dp_consumer_same(&a, &b));
	b = a;
	b.remote = v4("198.18.1.3", 7000);
	assert_false(dp_consumer_same(&a, &b));
	b = a;
	b.remote_mac[0] = 0;
	assert_false(dp_consumer_same(&a, &b));
	b = a;
	b.ssrc++;
	assert_false(dp_consumer_same(&a, &b));
	b = a;
	b.transport_id++;
	assert_false(dp_consumer_same(&a, &b));
	b = a;
	b.ext_map[2] = 3;
	assert_false(dp_consumer_same(&a, &b));
	b = a;
	b.rtx_ssrc = 5;
	assert_false(dp_consumer_same(&a, &b));
	b = a;
	b.rtx_pt[0] = 97;
	assert_false(dp_consumer_same(&a, &b));

	/* IPv6 keeps all 16 bytes */
	a.remote = v6("2001:db8::2", 7000);
	b = a;
	dp_consumer_norm(&b);
	assert_memory_equal(&a.remote, &b.remote, sizeof(a.remote));
}

static void
test_addr_norm(void **state)
{
	struct cascade_addr a = v4("198.18.1.2", 7000), n;

	(void)state;
	a.pad = 7;
	memset(a.ip + 4, 0x5a, 12);
	n = dp_addr_norm(&a);
	assert_int_equal(n.pad, 0);
	assert_true(memcmp(n.ip + 4, (uint8_t[12]){0}, 12) == 0);
	assert_int_equal(n.port_be, htons(7000));
	assert_true(dp_mac_is_zero((const uint8_t[6]){0}));
	assert_false(dp_mac_is_zero((const uint8_t[6]){0, 0, 0, 0, 0, 1}));
}

/* The wire layout the control plane and the dataplane share (msg.h, ABI 7). */
static void
test_consumer_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct cascade_cmd_consumer), 112);
	assert_int_equal(offsetof(struct cascade_cmd_consumer, remote), 64);
	assert_int_equal(offsetof(struct cascade_cmd_consumer, remote_mac), 84);
	assert_int_equal(offsetof(struct cascade_cmd_consumer, pad1), 90);
	assert_int_equal(offsetof(struct cascade_cmd_consumer, rtx_ssrc), 92);
	assert_int_equal(offsetof(struct cascade_cmd_consumer, rtx_pt), 96);
	assert_true(sizeof(struct cascade_cmd_consumer) <=
		    sizeof(((struct cascade_cmd *)0)->u.raw));
	assert_int_equal(CASCADE_TRANSPORT_PIPE &
				 (CASCADE_TRANSPORT_COMEDIA | CASCADE_TRANSPORT_RTCP_MUX),
			 0);
}

int
main(void)
{
	/* One test per line. */
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transport_ordinary),
		cmocka_unit_test(test_transport_local_rtcp_differs_once_normalised),
		cmocka_unit_test(test_transport_pipe),
		cmocka_unit_test(test_transport_srtp_suite),
		cmocka_unit_test(test_transport_srtp_keys),
		cmocka_unit_test(test_pipe_srtp),
		cmocka_unit_test(test_srtp_layout),
		cmocka_unit_test(test_consumer_fields),
		cmocka_unit_test(test_producer_fb),
		cmocka_unit_test(test_producer_rtx),
		cmocka_unit_test(test_consumer_dest_pipe),
		cmocka_unit_test(test_consumer_dest_ordinary),
		cmocka_unit_test(test_consumer_same),
		cmocka_unit_test(test_addr_norm),
		cmocka_unit_test(test_consumer_layout),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
