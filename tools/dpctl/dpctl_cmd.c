/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascade-dpctl's words -> ring command: the argument parsers (ids, addresses,
 * MACs, PT and extension-id pairs, suites, hex keys) and the one function that
 * turns a command line (or a batch line) into a struct cascade_cmd, naming
 * what is wrong when it cannot. No segment, no I/O but the error message.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cascade/msg.h>

/* the suite list only (names, in ABI order): header-only, libsrtp2 is not linked */
#include "cascade_srtp.h"
#include "dpctl.h"

int
dpctl_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return (errno != 0 || end == s || *end != '\0' || s[0] == '-') ? -EINVAL : 0;
}

int
dpctl_parse_addr(const char *s, struct cascade_addr *a)
{
	char host[64];
	const char *colon;
	uint64_t port;
	size_t n;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			return -EINVAL;
		n = (size_t)(rb - s - 1);
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		colon = rb + 1;
		a->family = CASCADE_AF_INET6;
		if (inet_pton(AF_INET6, host, a->ip) != 1)
			return -EINVAL;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -EINVAL;
		n = (size_t)(colon - s);
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, n);
		host[n] = '\0';
		a->family = CASCADE_AF_INET;
		if (inet_pton(AF_INET, host, a->ip) != 1)
			return -EINVAL;
	}
	if (dpctl_parse_u64(colon + 1, &port) < 0 || port == 0 || port > 65535)
		return -EINVAL;
	a->port_be = htons((uint16_t)port);
	return 0;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int
parse_pair(const char *s, uint8_t *a, uint8_t *b)
{
	unsigned int x, y;
	char extra;

	if (sscanf(s, "%u:%u%c", &x, &y, &extra) != 2 || x > 255 || y > 255)
		return -EINVAL;
	*a = (uint8_t)x;
	*b = (uint8_t)y;
	return 0;
}

/* "SSRC:PT[,PT...]": the RTX SSRC and payload types, one per --pt map entry in order. */
static int
parse_rtx(const char *s, struct cascade_cmd_consumer *k)
{
	unsigned long long v;
	unsigned int i = 0, pt;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != ':' || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	k->rtx_ssrc = (uint32_t)v;
	s = end + 1;
	do {
		if (i == CASCADE_MAX_PT_MAP || sscanf(s, "%u", &pt) != 1 || pt > 255)
			return -EINVAL;
		k->rtx_pt[i++] = (uint8_t)pt;
		s = strchr(s, ',');
	} while (s != NULL && *++s != '\0');
	return 0;
}

/* "SSRC:PT/APT[,PT/APT...]": a producer's RTX SSRC and what each RTX payload type repairs. */
static int
parse_producer_rtx(const char *s, struct cascade_cmd_producer *p)
{
	unsigned long long v;
	unsigned int pt, apt;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != ':' || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	p->rtx_ssrc = (uint32_t)v;
	s = end + 1;
	do {
		if (p->n_rtx == CASCADE_MAX_RTX_MAP || sscanf(s, "%u/%u", &pt, &apt) != 2 ||
		    pt > 255 || apt > 255)
			return -EINVAL;
		p->rtx_map[p->n_rtx].pt = (uint8_t)pt;
		p->rtx_map[p->n_rtx].apt = (uint8_t)apt;
		p->n_rtx++;
		s = strchr(s, ',');
	} while (s != NULL && *++s != '\0');
	return 0;
}

/* The ABI's suite numbers (CASCADE_SUITE_*) are the wrapper's enum + 1, in the same order. */
static const char *const suite_names[] = {
#define SUITE_NAME(e, name, key, salt, rtp, rtcp) name,
	CASCADE_SRTP_SUITES(SUITE_NAME)
#undef SUITE_NAME
};
static_assert(sizeof(suite_names) / sizeof(suite_names[0]) == CASCADE_SUITE_MAX, "suite list");

/* An SRTP suite by mediasoup's name or by number (1..CASCADE_SUITE_MAX). */
static int
parse_suite(const char *s, uint8_t *suite)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(suite_names) / sizeof(suite_names[0]); i++)
		if (strcmp(s, suite_names[i]) == 0) {
			*suite = (uint8_t)(i + 1);
			return 0;
		}
	if (dpctl_parse_u64(s, &v) < 0 || v == 0 || v > CASCADE_SUITE_MAX)
		return -EINVAL;
	*suite = (uint8_t)v;
	return 0;
}

/* The value of one hex digit (either case), or -1. */
static int
nibble(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = c != '\0' ? strchr(digits, tolower((unsigned char)c)) : NULL;

	return p != NULL ? (int)(p - digits) : -1;
}

int
dpctl_parse_hex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = strlen(s), i;

	if (len % 2 != 0 || len / 2 > cap)
		return -EMSGSIZE;
	for (i = 0; i < len; i++) {
		int d = nibble(s[i]);
		if (d < 0) {
			*n = i;
			return -EILSEQ;
		}
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(d << 4);
		else
			out[i / 2] |= (uint8_t)d;
	}
	*n = len / 2;
	return 0;
}

#define BAD(...)                                                                                   \
	do {                                                                                       \
		fprintf(stderr, "cascade-dpctl: " __VA_ARGS__);                                    \
		fputc('\n', stderr);                                                               \
		return -EINVAL;                                                                    \
	} while (0)

int
dpctl_need(int argc, int n, const char *what)
{
	if (argc < n) {
		fprintf(stderr, "cascade-dpctl: %s: missing arguments (see --help)\n", what);
		return -EINVAL;
	}
	return 0;
}

int
dpctl_build_cmd(int argc, char **argv, struct cascade_cmd *c, uint64_t req_id)
{
	const char *verb = argv[0];
	uint64_t v;
	int i;

	memset(c, 0, sizeof(*c));
	c->req_id = req_id;
	if (strcmp(verb, "ping") == 0) {
		c->type = CASCADE_CMD_PING;
		return 0;
	}
	if (strcmp(verb, "raw") == 0) {
		/* any type number, for testing how the dataplane answers bad commands */
		if (dpctl_need(argc, 2, verb) < 0)
			return -EINVAL;
		if (dpctl_parse_u64(argv[1], &v) < 0 || v > UINT16_MAX)
			BAD("raw: bad type \"%s\"", argv[1]);
		c->type = (uint16_t)v;
		return 0;
	}
	if (strcmp(verb, "flush") == 0) {
		c->type = CASCADE_CMD_FLUSH;
		return 0;
	}
	if (strcmp(verb, "transport-add") == 0 || strcmp(verb, "transport-connect") == 0) {
		struct cascade_cmd_transport *t = &c->u.transport;
		bool add = verb[10] == 'a';

		if (dpctl_need(argc, 3, verb) < 0)
			return -EINVAL;
		c->type = add ? CASCADE_CMD_TRANSPORT_ADD : CASCADE_CMD_TRANSPORT_CONNECT;
		if (dpctl_parse_u64(argv[1], &t->obj_id) < 0)
			BAD("%s: bad id \"%s\"", verb, argv[1]);
		if (dpctl_parse_addr(argv[2], add ? &t->local : &t->remote) < 0)
			BAD("%s: bad address \"%s\"", verb, argv[2]);
		for (i = 3; i < argc; i++) {
			const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
			if (strcmp(o, "--mux") == 0) {
				t->flags |= CASCADE_TRANSPORT_RTCP_MUX;
				continue;
			}
			if (strcmp(o, "--comedia") == 0) {
				t->flags |= CASCADE_TRANSPORT_COMEDIA;
				continue;
			}
			if (strcmp(o, "--pipe") == 0) {
				t->flags |= CASCADE_TRANSPORT_PIPE | CASCADE_TRANSPORT_RTCP_MUX;
				continue;
			}
			if (val == NULL)
				BAD("%s: %s needs a value", verb, o);
			i++;
			if (strcmp(o, "--rtcp") == 0 && dpctl_parse_addr(val, &t->local_rtcp) == 0)
				continue;
			if (strcmp(o, "--remote") == 0 && dpctl_parse_addr(val, &t->remote) == 0)
				continue;
			if (strcmp(o, "--remote-rtcp") == 0 && dpctl_parse_addr(val, &t->remote_rtcp) == 0)
				continue;
			if (strcmp(o, "--mac") == 0 && parse_mac(val, t->remote_mac) == 0)
				continue;
			if (strcmp(o, "--port") == 0 && dpctl_parse_u64(val, &v) == 0 && v < 65536) {
				t->port_id = (uint16_t)v;
				continue;
			}
			if (strcmp(o, "--srtp") == 0 && add) {
				if (parse_suite(val, &t->srtp_suite) < 0)
					BAD("%s: --srtp: unknown suite \"%s\" (see --help)", verb, val);
				continue;
			}
			BAD("%s: bad option or value: %s %s", verb, o, val);
		}
		return 0;
	}
	if (strcmp(verb, "transport-srtp") == 0) {
		struct cascade_cmd_transport_srtp *k = &c->u.srtp;
		uint8_t *master[2] = {k->rx_master, k->tx_master};
		static const char *const field[2] = {"RX_MASTER", "TX_MASTER"};
		unsigned int mb;
		size_t n;
		int j, rc;

		if (dpctl_need(argc, 5, verb) < 0)
			return -EINVAL;
		if (argc > 5)
			BAD("%s: unexpected argument \"%s\"", verb, argv[5]);
		c->type = CASCADE_CMD_TRANSPORT_SRTP;
		if (dpctl_parse_u64(argv[1], &k->obj_id) < 0)
			BAD("%s: bad id \"%s\"", verb, argv[1]);
		if (parse_suite(argv[2], &k->suite) < 0)
			BAD("%s: SUITE: unknown suite \"%s\" (see --help)", verb, argv[2]);
		mb = cascade_srtp_master_bytes(k->suite);
		for (j = 0; j < 2; j++) {
			rc = dpctl_parse_hex(argv[3 + j], master[j], sizeof(k->rx_master), &n);
			if (rc == -EILSEQ)
				BAD("%s: %s: not a hex digit at offset %zu", verb, field[j], n);
			if (rc < 0 || n != mb)
				BAD("%s: %s: %s wants %u bytes (%u hex digits), got %zu digits", verb,
				    field[j], suite_names[k->suite - 1], mb, 2 * mb, strlen(argv[3 + j]));
		}
		return 0;
	}
	if (strcmp(verb, "pipe-srtp") == 0) {
		struct cascade_cmd_pipe_srtp *k = &c->u.pipe_srtp;
		size_t n;
		int rc;

		if (dpctl_need(argc, 5, verb) < 0)
			return -EINVAL;
		if (argc > 5)
			BAD("%s: unexpected argument \"%s\"", verb, argv[5]);
		c->type = CASCADE_CMD_PIPE_SRTP;
		if (strcmp(argv[1], "producer") == 0)
			k->kind = CASCADE_PIPE_SRTP_PRODUCER;
		else if (strcmp(argv[1], "consumer") == 0)
			k->kind = CASCADE_PIPE_SRTP_CONSUMER;
		else
			BAD("%s: first argument is producer or consumer, not \"%s\"", verb, argv[1]);
		if (dpctl_parse_u64(argv[2], &k->obj_id) < 0)
			BAD("%s: bad id \"%s\"", verb, argv[2]);
		if (parse_suite(argv[3], &k->suite) < 0)
			BAD("%s: SUITE: unknown suite \"%s\" (see --help)", verb, argv[3]);
		rc = dpctl_parse_hex(argv[4], k->master, sizeof(k->master), &n);
		if (rc == -EILSEQ)
			BAD("%s: MASTER: not a hex digit at offset %zu", verb, n);
		if (rc < 0 || n != cascade_srtp_master_bytes(k->suite))
			BAD("%s: MASTER: %s wants %u bytes (%u hex digits), got %zu digits", verb,
			    suite_names[k->suite - 1], cascade_srtp_master_bytes(k->suite),
			    2 * cascade_srtp_master_bytes(k->suite), strlen(argv[4]));
		return 0;
	}
	if (strcmp(verb, "producer-add") == 0) {
		struct cascade_cmd_producer *p = &c->u.producer;

		if (dpctl_need(argc, 4, verb) < 0)
			return -EINVAL;
		c->type = CASCADE_CMD_PRODUCER_ADD;
		p->clock_rate = 90000;
		p->kind = CASCADE_KIND_VIDEO;
		if (dpctl_parse_u64(argv[1], &p->obj_id) < 0 || dpctl_parse_u64(argv[2], &p->transport_id) < 0)
			BAD("%s: bad id", verb);
		if (dpctl_parse_u64(argv[3], &v) < 0 || v > UINT32_MAX)
			BAD("%s: bad ssrc \"%s\"", verb, argv[3]);
		p->ssrc = (uint32_t)v;
		for (i = 4; i < argc; i++) {
			const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
			if (strcmp(o, "--paused") == 0) {
				p->paused = 1;
				continue;
			}
			if (val == NULL)
				BAD("%s: %s needs a value", verb, o);
			i++;
			if (strcmp(o, "--clock") == 0 && dpctl_parse_u64(val, &v) == 0 && v <= UINT32_MAX) {
				p->clock_rate = (uint32_t)v;
				continue;
			}
			if (strcmp(o, "--kind") == 0 &&
			    (strcmp(val, "audio") == 0 || strcmp(val, "video") == 0)) {
				p->kind = val[0] == 'a' ? CASCADE_KIND_AUDIO : CASCADE_KIND_VIDEO;
				continue;
			}
			/* --rtx SSRC:PT/APT[,PT/APT...]: the sender's RTX stream and payload types */
			if (strcmp(o, "--rtx") == 0 && parse_producer_rtx(val, p) == 0)
				continue;
			if (strcmp(o, "--fb") == 0) {
				/* comma-separated: pli, fir, nack (the sender's rtcpFeedback) */
				char buf[64], *tok, *save = NULL;

				snprintf(buf, sizeof(buf), "%s", val);
				for (tok = strtok_r(buf, ",", &save); tok != NULL;
				     tok = strtok_r(NULL, ",", &save)) {
					if (strcmp(tok, "pli") == 0)
						p->fb |= CASCADE_FB_PLI;
					else if (strcmp(tok, "fir") == 0)
						p->fb |= CASCADE_FB_FIR;
					else if (strcmp(tok, "nack") == 0)
						p->fb |= CASCADE_FB_NACK;
					else
						BAD("%s: --fb: pli, fir or nack, not \"%s\"", verb, tok);
				}
				continue;
			}
			BAD("%s: bad option or value: %s %s", verb, o, val);
		}
		return 0;
	}
	if (strcmp(verb, "consumer-add") == 0) {
		struct cascade_cmd_consumer *k = &c->u.consumer;

		if (dpctl_need(argc, 5, verb) < 0)
			return -EINVAL;
		c->type = CASCADE_CMD_CONSUMER_ADD;
		if (dpctl_parse_u64(argv[1], &k->obj_id) < 0 || dpctl_parse_u64(argv[2], &k->producer_id) < 0 ||
		    dpctl_parse_u64(argv[3], &k->transport_id) < 0)
			BAD("%s: bad id", verb);
		if (dpctl_parse_u64(argv[4], &v) < 0 || v > UINT32_MAX)
			BAD("%s: bad ssrc \"%s\"", verb, argv[4]);
		k->ssrc = (uint32_t)v;
		for (i = 5; i < argc; i++) {
			const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
			uint8_t a, b;
			if (strcmp(o, "--paused") == 0) {
				k->paused = 1;
				continue;
			}
			if (val == NULL)
				BAD("%s: %s needs a value", verb, o);
			i++;
			if (strcmp(o, "--pt") == 0 && parse_pair(val, &a, &b) == 0 &&
			    k->n_pt_map < CASCADE_MAX_PT_MAP) {
				k->pt_map[k->n_pt_map].in_pt = a;
				k->pt_map[k->n_pt_map].out_pt = b;
				k->n_pt_map++;
				continue;
			}
			if (strcmp(o, "--ext") == 0 && parse_pair(val, &a, &b) == 0 &&
			    a < sizeof(k->ext_map)) {
				k->ext_map[a] = b;
				continue;
			}
			if (strcmp(o, "--remote") == 0 && dpctl_parse_addr(val, &k->remote) == 0)
				continue;
			/* --rtx SSRC:PT,...: the RTX SSRC, an RTX payload type per --pt given, in order */
			if (strcmp(o, "--rtx") == 0 && parse_rtx(val, k) == 0)
				continue;
			if (strcmp(o, "--mac") == 0 && parse_mac(val, k->remote_mac) == 0)
				continue;
			BAD("%s: bad option or value: %s %s", verb, o, val);
		}
		return 0;
	}
	{
		static const struct {
			const char *verb;
			uint16_t type;
			uint8_t paused;
		} simple[] = {
			{"transport-del", CASCADE_CMD_TRANSPORT_DEL, 0},
			{"producer-del", CASCADE_CMD_PRODUCER_DEL, 0},
			{"producer-pause", CASCADE_CMD_PRODUCER_PAUSE, 1},
			{"producer-resume", CASCADE_CMD_PRODUCER_PAUSE, 0},
			{"consumer-del", CASCADE_CMD_CONSUMER_DEL, 0},
			{"consumer-pause", CASCADE_CMD_CONSUMER_PAUSE, 1},
			{"consumer-resume", CASCADE_CMD_CONSUMER_PAUSE, 0},
		};
		size_t k;

		for (k = 0; k < sizeof(simple) / sizeof(simple[0]); k++) {
			if (strcmp(verb, simple[k].verb) != 0)
				continue;
			if (dpctl_need(argc, 2, verb) < 0)
				return -EINVAL;
			c->type = simple[k].type;
			c->u.obj.paused = simple[k].paused;
			if (dpctl_parse_u64(argv[1], &c->u.obj.obj_id) < 0)
				BAD("%s: bad id \"%s\"", verb, argv[1]);
			return 0;
		}
	}
	BAD("unknown command \"%s\" (see --help)", verb);
}

