/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command-line options of cascade-pktgen (the part after the EAL's "--"). They are parsed
 * before the EAL starts, so a typo costs no hugepage set-up, and every error names the
 * option it is about. Defaults depend on --video (clock rate, rate), so they are filled in
 * after the whole line has been read. Nothing here needs DPDK except the MAC parser.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ether.h>

#include "pg.h"

enum {
	OPT_TX_PORT = 256,
	OPT_RX_PORT,
	OPT_STREAMS,
	OPT_SSRC_BASE,
	OPT_PT,
	OPT_SIZE,
	OPT_RATE,
	OPT_DURATION,
	OPT_SRC,
	OPT_DST,
	OPT_DST_PER_STREAM,
	OPT_SRC_MAC,
	OPT_DST_MAC,
	OPT_VLAN,
	OPT_VIDEO,
	OPT_CLOCK_RATE,
	OPT_RX_ONLY,
	OPT_TX_ONLY,
	OPT_EXPECT_SSRCS,
	OPT_MAX_LOSS,
	OPT_JSON,
	OPT_RX_GRACE,
	OPT_RX_IDLE,
	OPT_BURST,
	OPT_RING_SIZE,
	OPT_MAX_SSRCS,
	OPT_NO_VERIFY,
	OPT_MAX_MALFORMED,
	OPT_ALLOW_MALFORMED,
	OPT_ALLOW_OVERFLOW,
	OPT_RX_MBUF_SIZE,
	OPT_LINK_TIMEOUT,
	OPT_PROGRESS,
	OPT_IDLE_SLEEP,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{"tx-port", required_argument, NULL, OPT_TX_PORT},
	{"rx-port", required_argument, NULL, OPT_RX_PORT},
	{"streams", required_argument, NULL, OPT_STREAMS},
	{"ssrc-base", required_argument, NULL, OPT_SSRC_BASE},
	{"pt", required_argument, NULL, OPT_PT},
	{"size", required_argument, NULL, OPT_SIZE},
	{"rate", required_argument, NULL, OPT_RATE},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"src", required_argument, NULL, OPT_SRC},
	{"dst", required_argument, NULL, OPT_DST},
	{"dst-per-stream", no_argument, NULL, OPT_DST_PER_STREAM},
	{"src-mac", required_argument, NULL, OPT_SRC_MAC},
	{"dst-mac", required_argument, NULL, OPT_DST_MAC},
	{"vlan", required_argument, NULL, OPT_VLAN},
	{"video", no_argument, NULL, OPT_VIDEO},
	{"clock-rate", required_argument, NULL, OPT_CLOCK_RATE},
	{"rx-only", no_argument, NULL, OPT_RX_ONLY},
	{"tx-only", no_argument, NULL, OPT_TX_ONLY},
	{"expect-ssrcs", required_argument, NULL, OPT_EXPECT_SSRCS},
	{"max-loss", required_argument, NULL, OPT_MAX_LOSS},
	{"json", required_argument, NULL, OPT_JSON},
	{"rx-grace", required_argument, NULL, OPT_RX_GRACE},
	{"rx-idle", required_argument, NULL, OPT_RX_IDLE},
	{"burst", required_argument, NULL, OPT_BURST},
	{"ring-size", required_argument, NULL, OPT_RING_SIZE},
	{"max-ssrcs", required_argument, NULL, OPT_MAX_SSRCS},
	{"no-verify", no_argument, NULL, OPT_NO_VERIFY},
	{"max-malformed", required_argument, NULL, OPT_MAX_MALFORMED},
	{"allow-malformed", no_argument, NULL, OPT_ALLOW_MALFORMED},
	{"allow-overflow", no_argument, NULL, OPT_ALLOW_OVERFLOW},
	{"rx-mbuf-size", required_argument, NULL, OPT_RX_MBUF_SIZE},
	{"link-timeout", required_argument, NULL, OPT_LINK_TIMEOUT},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"idle-sleep", required_argument, NULL, OPT_IDLE_SLEEP},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

void
pg_options_usage(FILE *f)
{
	fprintf(f,
		"usage: " PG_NAME " [EAL options] -- [options]\n"
		"\n"
		"Roles (default: send and receive):\n"
		"  --tx-only | --rx-only\n"
		"  --tx-port N / --rx-port N    DPDK ports (default 0)\n"
		"Sending:\n"
		"  --streams N          streams, one SSRC each (1)\n"
		"  --ssrc-base X        SSRC of stream 0, the others follow (0x1000)\n"
		"  --pt N               RTP payload type (96)\n"
		"  --size N             RTP packet bytes incl. 12-byte header and 24-byte probe (1200)\n"
		"  --rate PPS           packets/s per stream; 0 = as fast as possible\n"
		"                       (50 audio, 900 video)\n"
		"  --duration S         seconds to send, 0 = until SIGINT or SIGUSR1 (10)\n"
		"  --src IP:PORT        source (198.18.0.2:5000); IPv6 as [ADDR]:PORT\n"
		"  --dst IP:PORT        destination (198.18.0.1:40000)\n"
		"  --dst-per-stream     destination port + stream index\n"
		"  --src-mac / --dst-mac MAC   (port's MAC / ff:ff:ff:ff:ff:ff)\n"
		"  --vlan ID            802.1Q tag on sent frames\n"
		"  --video              30 fps frames, marker on each frame's last packet,\n"
		"                       timestamp +3000 per frame at 90 kHz; otherwise 20 ms audio\n"
		"                       packets at 48 kHz\n"
		"  --burst N            packets per burst (32)\n"
		"Receiving:\n"
		"  --clock-rate HZ      RTP clock for jitter (90000 video, 48000 audio)\n"
		"  --expect-ssrcs N     SSRCs that must arrive, else exit 2\n"
		"  --max-loss F         exit 2 when an SSRC's loss fraction exceeds F\n"
		"  --rx-grace S         keep receiving after sending ends (1.0)\n"
		"  --rx-idle S          receive-only: stop S seconds after the last packet\n"
		"  --max-ssrcs N        receiver table size (1024); more SSRCs than this exit 2\n"
		"  --allow-overflow     SSRCs that find the table full do not fail the run\n"
		"  --max-malformed N    exit 2 when more than N packets are malformed (0)\n"
		"  --allow-malformed    malformed packets do not fail the run\n"
		"  --no-verify          skip the checksum, length, RTP and payload checks\n"
		"  --rx-mbuf-size N     RX mbuf data bytes (default: a whole frame); small values\n"
		"                       make PMDs that copy (memif, pcap) deliver chained mbufs\n"
		"Other:\n"
		"  --json FILE          JSON summary to FILE (\"-\": stdout, text goes to stderr)\n"
		"  --progress           a line per second on stderr\n"
		"  --ring-size N        descriptors per queue (1024)\n"
		"  --link-timeout S     wait this long for the TX link (10)\n"
		"  --idle-sleep US      sleep US microseconds when idle instead of busy polling\n"
		"                       (for shared hosts; adds up to US to latency and pacing)\n"
		"Exit status: 0 ok, 1 usage or start-up error, 2 loss bound, --expect-ssrcs,\n"
		"--max-malformed or --max-ssrcs failed.\n");
}

/* Report a bad value for option name and return -EINVAL. */
static int
bad(const char *name, const char *arg, const char *why)
{
	fprintf(stderr, PG_NAME ": --%s: %s, got '%s'\n", name, why, arg);
	return -EINVAL;
}

/* Parse an unsigned integer (decimal or 0x hex) in [min, max]. */
static int
parse_uint(const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	if (arg[0] == '-' || arg[0] == '\0')
		return bad(name, arg, "expected a non-negative integer");
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 0);
	if (errno != 0 || *end != '\0')
		return bad(name, arg, "expected a non-negative integer");
	if (v < min || v > max) {
		fprintf(stderr, PG_NAME ": --%s: must be in [%llu, %llu], got '%s'\n", name,
			(unsigned long long)min, (unsigned long long)max, arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Parse a finite number in [min, max]. */
static int
parse_double(const char *name, const char *arg, double min, double max, double *out)
{
	char *end;

	errno = 0;
	double v = strtod(arg, &end);
	if (errno != 0 || *end != '\0' || end == arg || !isfinite(v))
		return bad(name, arg, "expected a number");
	if (v < min || v > max) {
		fprintf(stderr, PG_NAME ": --%s: must be in [%g, %g], got '%s'\n", name, min, max,
			arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Parse "IPv4:PORT" or "[IPv6]:PORT". */
static int
parse_addr(const char *name, const char *arg, struct pg_addr *a)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port;
	size_t len;
	uint64_t p;

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		if (close == NULL || close[1] != ':')
			return bad(name, arg, "expected [IPv6]:PORT");
		len = (size_t)(close - arg - 1);
		port = close + 2;
		a->family = AF_INET6;
		if (len >= sizeof(host))
			return bad(name, arg, "address too long");
		memcpy(host, arg + 1, len);
	} else {
		const char *colon = strrchr(arg, ':');
		if (colon == NULL)
			return bad(name, arg, "expected IP:PORT");
		len = (size_t)(colon - arg);
		port = colon + 1;
		a->family = AF_INET;
		if (len >= sizeof(host))
			return bad(name, arg, "address too long");
		memcpy(host, arg, len);
	}
	host[len] = '\0';
	if (inet_pton(a->family, host, a->ip) != 1)
		return bad(name, arg,
			   a->family == AF_INET ? "bad IPv4 address" : "bad IPv6 address");
	if (parse_uint(name, port, 1, 65535, &p) != 0)
		return -EINVAL;
	a->port = (uint16_t)p;
	return 0;
}

/* Parse a MAC address. */
static int
parse_mac(const char *name, const char *arg, struct rte_ether_addr *mac)
{
	if (rte_ether_unformat_addr(arg, mac) != 0)
		return bad(name, arg, "expected a MAC address like 02:00:00:00:00:01");
	return 0;
}

/* Set every option to its default; mode-dependent ones stay 0 until finish(). */
static void
set_defaults(struct pg_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = PG_MODE_BOTH;
	o->streams = 1;
	o->ssrc_base = 0x1000;
	o->pt = 96;
	o->size = 1200;
	o->rate = -1;
	o->duration = 10;
	parse_addr("src", "198.18.0.2:5000", &o->src);
	parse_addr("dst", "198.18.0.1:40000", &o->dst);
	memset(&o->dst_mac, 0xff, sizeof(o->dst_mac));
	o->vlan = -1;
	o->max_loss = -1;
	o->rx_grace = 1.0;
	o->burst = 32;
	o->ring_size = 1024;
	o->max_ssrcs = 1024;
	o->max_malformed = 0;
	o->link_timeout = 10;
}

/* Fill mode-dependent defaults and check options against each other. */
static int
finish(struct pg_options *o, bool rx_only, bool tx_only)
{
	if (rx_only && tx_only) {
		fprintf(stderr, PG_NAME ": --rx-only and --tx-only exclude each other\n");
		return -EINVAL;
	}
	o->mode = rx_only ? PG_MODE_RX : tx_only ? PG_MODE_TX : PG_MODE_BOTH;
	if (o->rate < 0)
		o->rate = o->video ? 900 : PG_AUDIO_PTIME_HZ;
	if (o->clock_rate == 0)
		o->clock_rate = o->video ? 90000 : 48000;
	if (o->src.family != o->dst.family) {
		fprintf(stderr, PG_NAME ": --src and --dst: address families differ\n");
		return -EINVAL;
	}
	if (o->dst_per_stream && (uint32_t)o->dst.port + o->streams - 1 > 65535) {
		fprintf(stderr, PG_NAME ": --dst-per-stream: port %u + %u streams passes 65535\n",
			o->dst.port, o->streams);
		return -EINVAL;
	}
	if ((uint64_t)o->ssrc_base + o->streams - 1 > UINT32_MAX) {
		fprintf(stderr, PG_NAME ": --ssrc-base: 0x%x + %u streams passes 2^32\n",
			o->ssrc_base, o->streams);
		return -EINVAL;
	}
	if (o->rate * o->streams > 1e9) {
		fprintf(stderr, PG_NAME ": --rate: %g pps x %u streams is over 1e9 pps\n", o->rate,
			o->streams);
		return -EINVAL;
	}
	if (o->mode == PG_MODE_RX && o->streams != 1)
		fprintf(stderr, PG_NAME ": note: --streams ignored with --rx-only\n");
	return 0;
}

int
pg_options_parse(struct pg_options *o, int argc, char **argv)
{
	bool rx_only = false, tx_only = false;
	uint64_t u;
	int c, rc = 0;

	set_defaults(o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		const char *name = "";
		for (const struct option *lo = long_opts; lo->name != NULL; lo++)
			if (lo->val == c)
				name = lo->name;
		switch (c) {
		case OPT_TX_PORT:
			rc = parse_uint(name, optarg, 0, RTE_MAX_ETHPORTS - 1, &u);
			o->tx_port = (uint16_t)u;
			break;
		case OPT_RX_PORT:
			rc = parse_uint(name, optarg, 0, RTE_MAX_ETHPORTS - 1, &u);
			o->rx_port = (uint16_t)u;
			break;
		case OPT_STREAMS:
			rc = parse_uint(name, optarg, 1, 1u << 20, &u);
			o->streams = (uint32_t)u;
			break;
		case OPT_SSRC_BASE:
			rc = parse_uint(name, optarg, 0, UINT32_MAX, &u);
			o->ssrc_base = (uint32_t)u;
			break;
		case OPT_PT:
			rc = parse_uint(name, optarg, 0, 127, &u);
			o->pt = (uint8_t)u;
			break;
		case OPT_SIZE:
			rc = parse_uint(name, optarg, PG_RTP_HDR_LEN + 24, 9000, &u);
			o->size = (uint16_t)u;
			break;
		case OPT_RATE:
			rc = parse_double(name, optarg, 0, 1e9, &o->rate);
			break;
		case OPT_DURATION:
			rc = parse_double(name, optarg, 0, 1e7, &o->duration);
			break;
		case OPT_SRC:
			rc = parse_addr(name, optarg, &o->src);
			break;
		case OPT_DST:
			rc = parse_addr(name, optarg, &o->dst);
			break;
		case OPT_DST_PER_STREAM:
			o->dst_per_stream = true;
			break;
		case OPT_SRC_MAC:
			rc = parse_mac(name, optarg, &o->src_mac);
			o->has_src_mac = true;
			break;
		case OPT_DST_MAC:
			rc = parse_mac(name, optarg, &o->dst_mac);
			break;
		case OPT_VLAN:
			rc = parse_uint(name, optarg, 0, 4095, &u);
			o->vlan = (int)u;
			break;
		case OPT_VIDEO:
			o->video = true;
			break;
		case OPT_CLOCK_RATE:
			rc = parse_uint(name, optarg, 1000, 10000000, &u);
			o->clock_rate = (uint32_t)u;
			break;
		case OPT_RX_ONLY:
			rx_only = true;
			break;
		case OPT_TX_ONLY:
			tx_only = true;
			break;
		case OPT_EXPECT_SSRCS:
			rc = parse_uint(name, optarg, 0, UINT32_MAX, &u);
			o->expect_ssrcs = (uint32_t)u;
			break;
		case OPT_MAX_LOSS:
			rc = parse_double(name, optarg, 0, 1, &o->max_loss);
			break;
		case OPT_JSON:
			if (optarg[0] == '\0')
				rc = bad(name, optarg, "expected a file name");
			o->json_path = optarg;
			break;
		case OPT_RX_GRACE:
			rc = parse_double(name, optarg, 0, 3600, &o->rx_grace);
			break;
		case OPT_RX_IDLE:
			rc = parse_double(name, optarg, 0, 3600, &o->rx_idle);
			break;
		case OPT_BURST:
			rc = parse_uint(name, optarg, 1, PG_BURST_MAX, &u);
			o->burst = (uint16_t)u;
			break;
		case OPT_RING_SIZE:
			rc = parse_uint(name, optarg, 64, 32768, &u);
			o->ring_size = (uint16_t)u;
			break;
		case OPT_MAX_SSRCS:
			rc = parse_uint(name, optarg, 1, 1u << 20, &u);
			o->max_ssrcs = (uint32_t)u;
			break;
		case OPT_NO_VERIFY:
			o->no_verify = true;
			break;
		case OPT_MAX_MALFORMED:
			rc = parse_uint(name, optarg, 0, UINT64_MAX - 1, &o->max_malformed);
			break;
		case OPT_ALLOW_MALFORMED:
			o->max_malformed = UINT64_MAX;
			break;
		case OPT_ALLOW_OVERFLOW:
			o->allow_overflow = true;
			break;
		case OPT_RX_MBUF_SIZE:
			rc = parse_uint(name, optarg, 64, 16384, &u);
			o->rx_mbuf_size = (uint32_t)u;
			break;
		case OPT_LINK_TIMEOUT:
			rc = parse_double(name, optarg, 0, 3600, &o->link_timeout);
			break;
		case OPT_PROGRESS:
			o->progress = true;
			break;
		case OPT_IDLE_SLEEP:
			rc = parse_uint(name, optarg, 0, 1000000, &u);
			o->idle_sleep_us = (uint32_t)u;
			break;
		case 'h':
		case OPT_HELP:
			pg_options_usage(stdout);
			return 1;
		case ':':
			fprintf(stderr, PG_NAME ": %s: missing value\n", argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, PG_NAME ": unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
		if (rc != 0)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, PG_NAME ": unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return finish(o, rx_only, tx_only);
}
