/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascade-dp's own options (after EAL's and a "--"). Every value is checked
 * here, at start, and a bad one stops the process with a message that names
 * the option; nothing is validated later on the packet path.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"

enum {
	OPT_SEGMENT = 256,
	OPT_MAX_TRANSPORTS,
	OPT_MAX_PRODUCERS,
	OPT_MAX_CONSUMERS,
	OPT_MBUFS,
	OPT_HDR_MBUFS,
	OPT_CLONE_MBUFS,
	OPT_RXQ,
	OPT_TXQ,
	OPT_IDLE,
	OPT_SLOW_PPS,
	OPT_COPY_BELOW,
	OPT_TX_RETRY,
	OPT_BUSY,
	OPT_PROMISC,
	OPT_PEER_MAC,
	OPT_XDP_UDP_PORTS,
	OPT_ALLOW_SLOW_SRTP,
	OPT_VLAN,
	OPT_KEYFRAME,
	OPT_RTCP_REPORT,
	OPT_REMB_MAX,
	OPT_RTX_DEPTH,
	OPT_RTX_MS,
	OPT_RTX_BUFFERS,
	OPT_RTX_SHARE,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option longopts[] = {
	{"segment", required_argument, NULL, OPT_SEGMENT},
	{"max-transports", required_argument, NULL, OPT_MAX_TRANSPORTS},
	{"max-producers", required_argument, NULL, OPT_MAX_PRODUCERS},
	{"max-consumers", required_argument, NULL, OPT_MAX_CONSUMERS},
	{"mbufs", required_argument, NULL, OPT_MBUFS},
	{"hdr-mbufs", required_argument, NULL, OPT_HDR_MBUFS},
	{"clone-mbufs", required_argument, NULL, OPT_CLONE_MBUFS},
	{"rxq-size", required_argument, NULL, OPT_RXQ},
	{"txq-size", required_argument, NULL, OPT_TXQ},
	{"idle-sleep-max-us", required_argument, NULL, OPT_IDLE},
	{"slow-pps", required_argument, NULL, OPT_SLOW_PPS},
	{"copy-below", required_argument, NULL, OPT_COPY_BELOW},
	{"tx-retry-us", required_argument, NULL, OPT_TX_RETRY},
	{"busy-poll", no_argument, NULL, OPT_BUSY},
	{"promisc", no_argument, NULL, OPT_PROMISC},
	{"peer-mac", required_argument, NULL, OPT_PEER_MAC},
	{"xdp-udp-ports", required_argument, NULL, OPT_XDP_UDP_PORTS},
	{"allow-slow-srtp", no_argument, NULL, OPT_ALLOW_SLOW_SRTP},
	{"vlan", required_argument, NULL, OPT_VLAN},
	{"keyframe-interval-ms", required_argument, NULL, OPT_KEYFRAME},
	{"rtcp-report-ms", required_argument, NULL, OPT_RTCP_REPORT},
	{"remb-max-kbps", required_argument, NULL, OPT_REMB_MAX},
	{"rtx-depth", required_argument, NULL, OPT_RTX_DEPTH},
	{"rtx-ms", required_argument, NULL, OPT_RTX_MS},
	{"rtx-buffers", required_argument, NULL, OPT_RTX_BUFFERS},
	{"rtx-share", required_argument, NULL, OPT_RTX_SHARE},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

void
dp_usage(const char *prog)
{
	printf("usage: %s [EAL options] -- [options]\n"
	       "  --segment NAME          shared segment name (default \"default\": /dev/shm/cascade.NAME)\n"
	       "  --max-transports N      transport table capacity (default 16384)\n"
	       "  --max-producers N       producer table capacity (default 16384)\n"
	       "  --max-consumers N       consumer table capacity (default 131072)\n"
	       "  --mbufs N               ingress mbufs (default 32767)\n"
	       "  --hdr-mbufs N           egress header mbufs (default 65535)\n"
	       "  --clone-mbufs N         indirect payload mbufs (default 65535)\n"
	       "  --rxq-size N            RX descriptors per queue (default 1024)\n"
	       "  --txq-size N            TX descriptors per queue (default 1024)\n"
	       "  --idle-sleep-max-us N   idle back-off ceiling (default 200; 0 = never sleep)\n"
	       "  --busy-poll             poll at 100%% even when idle (production)\n"
	       "  --slow-pps N            slow-path packets/s per source bucket (default 200)\n"
	       "  --copy-below N          copy payloads up to N bytes instead of cloning (default 256)\n"
	       "  --tx-retry-us N         retry a full TX queue up to N us before dropping (default 50)\n"
	       "  --peer-mac MAC          next-hop MAC when none is given or learned\n"
	       "  --promisc               put ports in promiscuous mode\n"
	       "  --xdp-udp-ports LIST    UDP ports Cascade's XDP program hands to the dataplane on\n"
	       "                          net_af_xdp ports, e.g. 40000-49999,39999 (at most 8 ranges);\n"
	       "                          all other traffic goes to the kernel\n"
	       "  --allow-slow-srtp       start even when libsrtp2 is not the OpenSSL build (slow SRTP)\n"
	       "  --keyframe-interval-ms N  at most one keyframe request per producer per N ms\n"
	       "                          (default 500)\n"
	       "  --rtcp-report-ms N      receiver reports to video senders every N ms on average,\n"
	       "                          audio 5 N (default 1000; 0: none)\n"
	       "  --remb-max-kbps N       REMB with each receiver report to senders that negotiated\n"
	       "                          goog-remb without transport-cc: a loss-based estimate,\n"
	       "                          at most N kbit/s (default 10000; 0: no REMB)\n"
	       "  --rtx-depth N           retransmission buffer of a video producer: its last N\n"
	       "                          packets, a power of two (default 512; 0: no buffers,\n"
	       "                          NACKs go unanswered)\n"
	       "  --rtx-ms N              answer NACKs for packets up to N ms old (default 2000)\n"
	       "  --rtx-buffers N         buffers for at most N video producers at once; their\n"
	       "                          packets stay in the ingress pool, so N x depth must be\n"
	       "                          at most half of --mbufs (default: as many as fit, <= 64)\n"
	       "  --rtx-share P           a consumer's retransmissions: at most P percent of its\n"
	       "                          stream's bytes (default 100)\n"
	       "  --vlan VID|P:VID,...    802.1Q VLAN of every port, or of port P: its frames are\n"
	       "                          sent with the tag and only frames with it are taken\n"
	       "  --version, --help\n",
	       prog);
}

/* Parse an unsigned decimal in [min, max]; on failure name the option. */
static int
parse_u32(const char *name, const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "cascade-dp: --%s: expected an integer in [%u, %u], got \"%s\"\n",
			name, min, max, s);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/*
 * Parse --xdp-udp-ports: a comma-separated list of PORT or LO-HI (decimal,
 * 1..65535, LO <= HI), at most CASCADE_XDP_MAX_RANGES entries, none
 * overlapping another. Fills *out; on failure says why, naming the option.
 */
static int
parse_xdp_ports(const char *s, struct cascade_xdp_ports *out)
{
	const char *p = s;
	uint32_t i, j;

	memset(out, 0, sizeof(*out));
	for (;;) {
		unsigned long v[2];
		int k;

		if (out->n == CASCADE_XDP_MAX_RANGES) {
			fprintf(stderr,
				"cascade-dp: --xdp-udp-ports: at most %u ranges, got \"%s\"\n",
				CASCADE_XDP_MAX_RANGES, s);
			return -EINVAL;
		}
		for (k = 0; k < 2; k++) {
			char *end;

			if (*p < '0' || *p > '9')
				goto bad;
			errno = 0;
			v[k] = strtoul(p, &end, 10);
			if (errno != 0 || v[k] < 1 || v[k] > 65535)
				goto bad;
			p = end;
			if (k == 1 || *p != '-') {
				if (k == 0)
					v[1] = v[0];
				break;
			}
			p++;
		}
		if (v[0] > v[1])
			goto bad;
		out->r[out->n].lo = (__u16)v[0];
		out->r[out->n].hi = (__u16)v[1];
		out->n++;
		if (*p == '\0')
			break;
		if (*p != ',')
			goto bad;
		p++;
	}
	for (i = 0; i < out->n; i++)
		for (j = i + 1; j < out->n; j++)
			if (out->r[i].lo <= out->r[j].hi && out->r[j].lo <= out->r[i].hi) {
				fprintf(stderr,
					"cascade-dp: --xdp-udp-ports: %u-%u overlaps %u-%u in \"%s\"\n",
					out->r[i].lo, out->r[i].hi, out->r[j].lo, out->r[j].hi, s);
				return -EINVAL;
			}
	return 0;
bad:
	fprintf(stderr,
		"cascade-dp: --xdp-udp-ports: expected a comma-separated list of PORT or LO-HI "
		"(1..65535, LO <= HI), got \"%s\"\n",
		s);
	return -EINVAL;
}

/*
 * Parse --vlan: a VLAN id (1..4094) for every port, or a comma-separated list
 * of PORT:VID (port index 0..DP_MAX_PORTS-1, each port once; their bits in
 * *named, checked against the ports once they exist). Fills vlan[];
 * on failure says why, naming the option.
 */
static int
parse_vlan(const char *s, uint16_t vlan[DP_MAX_PORTS], uint32_t *named)
{
	const char *p = s;
	unsigned long port, vid;
	char *end;
	int i;

	if (strchr(s, ':') == NULL) {
		errno = 0;
		vid = strtoul(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || vid < 1 || vid > 4094)
			goto bad;
		for (i = 0; i < DP_MAX_PORTS; i++)
			vlan[i] = (uint16_t)vid;
		return 0;
	}
	for (;;) {
		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		port = strtoul(p, &end, 10);
		if (errno != 0 || *end != ':' || port >= DP_MAX_PORTS)
			goto bad;
		p = end + 1;
		if (*p < '0' || *p > '9')
			goto bad;
		vid = strtoul(p, &end, 10);
		if (errno != 0 || vid < 1 || vid > 4094 || (*end != ',' && *end != '\0'))
			goto bad;
		if (vlan[port] != DP_VLAN_NONE) {
			fprintf(stderr, "cascade-dp: --vlan: port %lu given twice in \"%s\"\n", port, s);
			return -EINVAL;
		}
		vlan[port] = (uint16_t)vid;
		*named |= 1u << port;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
bad:
	fprintf(stderr,
		"cascade-dp: --vlan: expected a VLAN id 1..4094 or PORT:VID,... (port 0..%d), "
		"got \"%s\"\n",
		DP_MAX_PORTS - 1, s);
	return -EINVAL;
}

/*
 * Fill o from argv (cascade-dp's part, after EAL). Returns 0, 1 when --help or
 * --version was handled (exit 0), or -EINVAL after printing what is wrong.
 */
int
dp_options_parse(struct dp_options *o, int argc, char **argv)
{
	uint32_t v;
	int ch;

	memset(o, 0, sizeof(*o));
	snprintf(o->segment, sizeof(o->segment), "default");
	o->max_transports = 16384;
	o->max_producers = 16384;
	o->max_consumers = 131072;
	o->mbufs = 32767;
	o->hdr_mbufs = 65535;
	o->clone_mbufs = 65535;
	o->rxq_size = 1024;
	o->txq_size = 1024;
	o->idle_sleep_max_us = 200;
	o->slow_pps = 200;
	o->copy_below = 256;
	o->tx_retry_us = 50;
	o->keyframe_interval_ms = 500;
	o->rtcp_report_ms = 1000;
	o->remb_max_kbps = 10000;
	o->rtx_depth = 512;
	o->rtx_ms = 2000;
	o->rtx_share = 100;
	for (ch = 0; ch < DP_MAX_PORTS; ch++)
		o->vlan[ch] = DP_VLAN_NONE;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		const char *name = NULL;
		int i;

		for (i = 0; longopts[i].name != NULL; i++)
			if (longopts[i].val == ch)
				name = longopts[i].name;
		switch (ch) {
		case OPT_SEGMENT: {
			size_t n = strlen(optarg), k;
			if (n == 0 || n >= 48) {
				fprintf(stderr, "cascade-dp: --segment: 1 to 47 characters\n");
				return -EINVAL;
			}
			for (k = 0; k < n; k++)
				if (!(optarg[k] == '-' || optarg[k] == '_' ||
				      (optarg[k] >= '0' && optarg[k] <= '9') ||
				      (optarg[k] >= 'a' && optarg[k] <= 'z') ||
				      (optarg[k] >= 'A' && optarg[k] <= 'Z'))) {
					fprintf(stderr, "cascade-dp: --segment: only letters, digits, "
							"'-' and '_' allowed\n");
					return -EINVAL;
				}
			snprintf(o->segment, sizeof(o->segment), "%s", optarg);
			break;
		}
		case OPT_MAX_TRANSPORTS:
			if (parse_u32(name, optarg, 1, 1u << 22, &o->max_transports) < 0)
				return -EINVAL;
			break;
		case OPT_MAX_PRODUCERS:
			if (parse_u32(name, optarg, 1, 1u << 22, &o->max_producers) < 0)
				return -EINVAL;
			break;
		case OPT_MAX_CONSUMERS:
			if (parse_u32(name, optarg, 1, 1u << 22, &o->max_consumers) < 0)
				return -EINVAL;
			break;
		case OPT_MBUFS:
			if (parse_u32(name, optarg, 1023, 1u << 24, &o->mbufs) < 0)
				return -EINVAL;
			break;
		case OPT_HDR_MBUFS:
			if (parse_u32(name, optarg, 1023, 1u << 24, &o->hdr_mbufs) < 0)
				return -EINVAL;
			break;
		case OPT_CLONE_MBUFS:
			if (parse_u32(name, optarg, 1023, 1u << 24, &o->clone_mbufs) < 0)
				return -EINVAL;
			break;
		case OPT_RXQ:
			if (parse_u32(name, optarg, 64, 16384, &v) < 0)
				return -EINVAL;
			o->rxq_size = (uint16_t)v;
			break;
		case OPT_TXQ:
			if (parse_u32(name, optarg, 64, 16384, &v) < 0)
				return -EINVAL;
			o->txq_size = (uint16_t)v;
			break;
		case OPT_IDLE:
			if (parse_u32(name, optarg, 0, 100000, &o->idle_sleep_max_us) < 0)
				return -EINVAL;
			break;
		case OPT_SLOW_PPS:
			if (parse_u32(name, optarg, 1, 1000000, &o->slow_pps) < 0)
				return -EINVAL;
			break;
		case OPT_COPY_BELOW:
			if (parse_u32(name, optarg, 0, 1024, &o->copy_below) < 0)
				return -EINVAL;
			break;
		case OPT_TX_RETRY:
			if (parse_u32(name, optarg, 0, 10000, &o->tx_retry_us) < 0)
				return -EINVAL;
			break;
		case OPT_BUSY:
			o->busy_poll = true;
			break;
		case OPT_PROMISC:
			o->promisc = true;
			break;
		case OPT_PEER_MAC:
			if (rte_ether_unformat_addr(optarg, &o->peer_mac) < 0) {
				fprintf(stderr, "cascade-dp: --peer-mac: not a MAC address: \"%s\"\n",
					optarg);
				return -EINVAL;
			}
			o->has_peer_mac = true;
			break;
		case OPT_XDP_UDP_PORTS:
			if (parse_xdp_ports(optarg, &o->xdp_ports) < 0)
				return -EINVAL;
			break;
		case OPT_ALLOW_SLOW_SRTP:
			o->allow_slow_srtp = true;
			break;
		case OPT_KEYFRAME:
			if (parse_u32(name, optarg, 0, 60000, &o->keyframe_interval_ms) < 0)
				return -EINVAL;
			break;
		case OPT_RTCP_REPORT:
			if (parse_u32(name, optarg, 0, 60000, &o->rtcp_report_ms) < 0)
				return -EINVAL;
			break;
		case OPT_REMB_MAX:
			if (parse_u32(name, optarg, 0, 10000000, &o->remb_max_kbps) < 0)
				return -EINVAL;
			break;
		case OPT_RTX_DEPTH:
			if (parse_u32(name, optarg, 0, 32768, &o->rtx_depth) < 0)
				return -EINVAL;
			if (o->rtx_depth == 1 || (o->rtx_depth & (o->rtx_depth - 1)) != 0) {
				fprintf(stderr, "cascade-dp: --rtx-depth: 0, or a power of two from 2 "
						"to 32768\n");
				return -EINVAL;
			}
			break;
		case OPT_RTX_MS:
			if (parse_u32(name, optarg, 1, 10000, &o->rtx_ms) < 0)
				return -EINVAL;
			break;
		case OPT_RTX_BUFFERS:
			if (parse_u32(name, optarg, 0, 1u << 20, &o->rtx_buffers) < 0)
				return -EINVAL;
			o->rtx_buffers_given = true;
			break;
		case OPT_RTX_SHARE:
			if (parse_u32(name, optarg, 0, 10000, &o->rtx_share) < 0)
				return -EINVAL;
			break;
		case OPT_VLAN:
			if (parse_vlan(optarg, o->vlan, &o->vlan_named) < 0)
				return -EINVAL;
			break;
		case OPT_HELP:
			dp_usage(argv[0]);
			return 1;
		case OPT_VERSION:
			printf("cascade-dp %s (abi %u)\n", CASCADE_DP_VERSION, CASCADE_ABI_VERSION);
			dp_srtp_version_print(stdout);
			return 1;
		default:
			fprintf(stderr, "cascade-dp: unknown option (see --help)\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cascade-dp: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	/* retransmission buffers hold ingress mbufs: never more than half the pool */
	if (o->rtx_depth == 0) {
		o->rtx_buffers = 0;
	} else if (!o->rtx_buffers_given) {
		o->rtx_buffers = o->mbufs / 2 / o->rtx_depth;
		if (o->rtx_buffers > 64)
			o->rtx_buffers = 64;
	} else if ((uint64_t)o->rtx_buffers * o->rtx_depth > o->mbufs / 2) {
		fprintf(stderr, "cascade-dp: --rtx-buffers: %u x --rtx-depth %u packets is more than "
				"half of --mbufs %u\n", o->rtx_buffers, o->rtx_depth, o->mbufs);
		return -EINVAL;
	}
	return 0;
}
