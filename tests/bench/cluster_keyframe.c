/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cluster_bench's part 4: how long a keyframe request takes across two nodes.
 *
 * A sender in client 1 sends R RTP packets a second to a comedia transport on
 * node 1, whose producer negotiated PLI; a consumer on node 2 pipes it to a
 * receiver in client 2. Once media arrives, N times (after 5 not counted),
 * 600 ms apart so that neither dataplane's 500 ms keyframe interval holds a
 * request back: the receiver sends a PLI for its consumer to node 2 (t0), and
 * the sender's socket waits for the PLI naming its SSRC that node 1 sends it
 * (t1, the kernel's arrival stamp; the same clock). t1 - t0 is node 2's
 * request over the pipe, node 1 merging it and sending its own. A request
 * that does not come within 2 s is missed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster_bench.h"

#define KF_SSRC 0xcb000003u
#define KF_GAP_MS 600
#define KF_WARMUP 5

/* Whether the RTCP compound p[0..n) holds a PLI (RFC 4585 6.3.1) for media. */
static bool
has_pli_for(const uint8_t *p, size_t n, uint32_t media)
{
	size_t off = 0;

	while (off + 4 <= n) {
		size_t len = 4u * ((size_t)(p[off + 2] << 8 | p[off + 3]) + 1u);
		uint32_t m;

		if ((p[off] & 0xc0) != 0x80 || len > n - off)
			return false;
		if (p[off + 1] == 206 && (p[off] & 0x1f) == 1 && len >= 12) {
			memcpy(&m, p + off + 8, 4);
			if (ntohl(m) == media)
				return true;
		}
		off += len;
	}
	return false;
}

/* A PLI for media from the receiver's socket to ip:port: an empty RR, then the PLI. */
static void
send_pli(int fd, const char *ip, uint16_t port, uint32_t media)
{
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(port)};
	uint32_t me = htonl(0x5ec0ffeeu), m = htonl(media);
	uint8_t pkt[20] = {0x80, 201, 0, 1, 0, 0, 0, 0, 0x81, 206, 0, 2};

	memcpy(pkt + 4, &me, 4);
	memcpy(pkt + 12, &me, 4);
	memcpy(pkt + 16, &m, 4);
	if (inet_pton(AF_INET, ip, &dst.sin_addr) != 1 ||
	    sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&dst, sizeof(dst)) != sizeof(pkt))
		die("PLI to %s:%u failed", ip, port);
}

void
bench_keyframe(unsigned int pps, unsigned int iterations, struct kf_figs *out)
{
	char room[64], tin[64], tr[64], prod[64], cons[64], path[128];
	struct node *n1 = &b.nodes[0], *n2 = &b.nodes[1];
	struct mio_sender snd = {.fd = -1};
	uint16_t in_port, rport, tr_port;
	uint32_t cssrc;
	unsigned int i;
	json_t *p;
	int fd;

	snprintf(room, sizeof(room), "cb-kf-%u", b.tag);
	receivers(1, &fd, &rport);
	transport_new(n1, room, true, NULL, 0, tin, &in_port);
	snprintf(path, sizeof(path), "/v1/transports/%s/producers", tin);
	p = call(n1, "POST", path,
		 json_pack("{s:s,s:{s:[{s:s,s:i,s:i,s:[{s:s,s:s}]}],s:[{s:I}],s:{s:s}}}", "kind",
			   "video", "rtpParameters", "codecs", "mimeType", "video/VP8",
			   "payloadType", 96, "clockRate", 90000, "rtcpFeedback", "type", "nack",
			   "parameter", "pli", "encodings", "ssrc", (json_int_t)KF_SSRC, "rtcp",
			   "cname", "cluster-bench"),
		 true);
	snprintf(prod, sizeof(prod), "%s", str_of(p, "id"));
	json_decref(p);
	transport_new(n2, room, false, b.c2_ip, rport, tr, &tr_port);
	sender_start(&snd, n1->media_ip, in_port, KF_SSRC, pps);
	if (!consumer_post(n2, tr, prod, cons, &cssrc))
		die("keyframe: no consumer on %s", n2->name);
	if (first_packet(fd, cssrc, 0) == 0)
		die("keyframe: no media through the pipe");
	for (i = 0; i < KF_WARMUP + iterations; i++) {
		uint64_t t0, t;

		pause_ms(KF_GAP_MS);
		drain(snd.fd); /* receiver reports, the requests of the consumer's add */
		drain(fd);
		t0 = hc_real_ns();
		send_pli(fd, n2->media_ip, tr_port, cssrc);
		t = next_match(snd.fd, t0, has_pli_for, KF_SSRC);
		if (i < KF_WARMUP)
			continue;
		if (t == 0)
			out->missed++;
		else
			sample_add(&out->ms, (double)(int64_t)(t - t0) / 1e6);
	}
	mio_sender_stop(&snd);
	close(snd.fd);
	api_delete(n2, "transports", tr);
	api_delete(n1, "transports", tin);
	close(fd);
	fprintf(stderr, "cluster_bench: keyframe requests: %zu of %u arrived, %u missed\n",
		out->ms.n, iterations, out->missed);
}
