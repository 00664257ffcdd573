/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtp_peer: a tiny SRTP endpoint for test_srtp.sh, built on libcascade_srtp
 * (no DPDK). It sends RTP protected with a known key, optionally spoiled in
 * one of the ways the dataplane must refuse, or receives and counts what
 * unprotects with a known key.
 *
 *   srtp_peer send SUITE KEY_B64 DST_IP DST_PORT LOCAL_PORT SSRC FIRST_SEQ COUNT MODE
 *       MODE: good     COUNT packets, sequence FIRST_SEQ.., PT 96, 160-byte payload
 *             payload  ... each with one bit of the (encrypted) payload flipped
 *             tag      ... one bit of the authentication tag flipped
 *             header   ... one bit of the RTP timestamp flipped after protection
 *             replay   COUNT packets protected and sent twice: the second copy
 *                      of each is a replay (both copies count as sent)
 *             rtx:PT:OSN  COUNT RTX packets (RFC 4588 4) of SSRC, sequence
 *                      FIRST_SEQ.., payload type PT: packet i carries what good's
 *                      packet i would (timestamp, payload) as the original
 *                      packet OSN + i (the OSN in front of its payload)
 *     Prints "sent N".
 *   srtp_peer recv SUITE KEY_B64 LOCAL_PORT IDLE_MS
 *       Receives until IDLE_MS pass without a packet; prints "ok N bad M
 *       ssrc X" (RTP that unprotects, packets that do not, the last SSRC).
 *   srtp_peer fb SUITE RX_KEY TX_KEY LOCAL_PORT DST_IP DST_PORT SSRC IDLE_MS
 *       A consumer's receiver: receives SRTP (RX_KEY) like recv and, from the
 *       first RTP packet on, which it takes as lost (not unprotected, not
 *       counted), every 100 ms sends DST an SRTCP compound (TX_KEY) from its
 *       own SSRC: RR (a block about the media SSRC), NACK of that packet,
 *       PLI; it stops asking once the packet came again, or after 50
 *       compounds. Prints "ok N bad M again K rtx R" (K: that packet,
 *       unprotected; R: of those, how many came as RTX, RFC 4588: another
 *       SSRC, the original sequence number in front of the payload).
 *   srtp_peer rtcp SUITE KEY DST_IP DST_PORT LOCAL_PORT FIRST_SSRC COUNT
 *       Sends COUNT SRTCP receiver reports without blocks, each from the next
 *       SSRC from FIRST_SSRC on, each its SSRC's first (SRTCP index 0).
 *   srtp_peer protect SUITE KEY_B64 SSRC FIRST_SEQ COUNT OUT
 *       Writes COUNT protected RTP packets as send's "good" ones would be to
 *       the file OUT, each after its length (2 bytes, network order), for a
 *       test to wrap in frames of its own.
 *   srtp_peer unprotect SUITE KEY_B64 IN
 *       Reads such a file (packets from a capture) and prints "ok N bad M
 *       rtcp K": RTP that unprotects and carries send's payload pattern
 *       (byte k of the payload is the first byte + k, over any length),
 *       packets that do not, SRTCP packets that unprotect.
 *
 * Exit 0, or 1 with a message on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cascade_srtp.h"

#define PAYLOAD_BYTES 160

static int
die(const char *what)
{
	fprintf(stderr, "srtp_peer: %s\n", what);
	return 1;
}

static struct cascade_srtp *
session(const char *suite_name, const char *b64, enum cascade_srtp_dir dir)
{
	enum cascade_srtp_suite suite;
	uint8_t master[CASCADE_SRTP_MASTER_MAX_BYTES];
	struct cascade_srtp_conf c;
	struct cascade_srtp *s;
	int n;

	if (cascade_srtp_suite_from_name(suite_name, &suite) < 0)
		return NULL;
	n = cascade_srtp_key_from_base64(suite, b64, master, sizeof(master));
	if (n < 0)
		return NULL;
	memset(&c, 0, sizeof(c));
	c.suite = suite;
	c.dir = dir;
	c.any_ssrc = true;
	c.master = master;
	c.master_len = (size_t)n;
	s = cascade_srtp_create(&c);
	memset(master, 0, sizeof(master));
	return s;
}

static int
udp_bind(uint16_t port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A socket on LOCAL_PORT and dst = IP:PORT; -1 after saying why. */
static int
udp_to(const char *local_port, const char *ip, const char *port, struct sockaddr_in *dst)
{
	int fd = udp_bind((uint16_t)atoi(local_port));

	if (fd < 0) {
		die("cannot bind the local port");
		return -1;
	}
	memset(dst, 0, sizeof(*dst));
	dst->sin_family = AF_INET;
	dst->sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, ip, &dst->sin_addr) != 1) {
		close(fd);
		die("bad destination address");
		return -1;
	}
	return fd;
}

/* An RTP packet as do_send() makes it, before protection: 12 + PAYLOAD_BYTES bytes. */
static size_t
make_rtp(uint8_t *pkt, uint32_t ssrc, uint16_t seq, int i)
{
	uint32_t ts = htonl((uint32_t)(i * 3000)), ssrc_be = htonl(ssrc);
	uint16_t seq_be = htons(seq);
	int k;

	pkt[0] = 0x80;
	pkt[1] = 96;
	memcpy(pkt + 2, &seq_be, 2);
	memcpy(pkt + 4, &ts, 4);
	memcpy(pkt + 8, &ssrc_be, 4);
	for (k = 0; k < PAYLOAD_BYTES; k++)
		pkt[12 + k] = (uint8_t)(i + k);
	return 12 + PAYLOAD_BYTES;
}

static int
do_send(char **argv)
{
	struct cascade_srtp *s = session(argv[0], argv[1], CASCADE_SRTP_OUTBOUND);
	uint32_t ssrc = (uint32_t)strtoul(argv[5], NULL, 0);
	uint16_t seq = (uint16_t)atoi(argv[6]);
	int count = atoi(argv[7]), i, fd, copies, sent = 0;
	const char *mode = argv[8];
	struct sockaddr_in dst;
	uint32_t aligned[(12 + 2 + PAYLOAD_BYTES + CASCADE_SRTP_RTP_TRAILER_MAX) / 4 + 1];
	uint8_t *pkt = (uint8_t *)aligned;
	unsigned int rtx_pt = 0, osn = 0;
	size_t len;

	if (s == NULL)
		return die("bad suite or key");
	if (strncmp(mode, "rtx:", 4) == 0 &&
	    (sscanf(mode, "rtx:%u:%u", &rtx_pt, &osn) != 2 || rtx_pt > 127 || osn > 65535))
		return die("bad rtx mode: rtx:PT:OSN");
	fd = udp_to(argv[4], argv[2], argv[3], &dst);
	if (fd < 0)
		return 1;
	copies = strcmp(mode, "replay") == 0 ? 2 : 1;
	for (i = 0; i < count; i++) {
		int k;

		len = make_rtp(pkt, ssrc, (uint16_t)(seq + i), i);
		if (rtx_pt != 0) {
			/* RFC 4588 4: the original sequence number, then its payload */
			pkt[1] = (uint8_t)rtx_pt;
			memmove(pkt + 14, pkt + 12, PAYLOAD_BYTES);
			pkt[12] = (uint8_t)((osn + (unsigned int)i) >> 8);
			pkt[13] = (uint8_t)(osn + (unsigned int)i);
			len += 2;
		}
		if (cascade_srtp_protect_rtp(s, pkt, &len, sizeof(aligned)) < 0)
			return die("protect failed");
		if (strcmp(mode, "payload") == 0)
			pkt[12 + 20] ^= 0x10;
		else if (strcmp(mode, "tag") == 0)
			pkt[len - 1] ^= 0x01;
		else if (strcmp(mode, "header") == 0)
			pkt[7] ^= 0x01;
		else if (strcmp(mode, "good") != 0 && copies != 2 && rtx_pt == 0)
			return die("unknown mode");
		for (k = 0; k < copies; k++) {
			if (sendto(fd, pkt, len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
				return die("sendto failed");
			sent++;
		}
		usleep(2000); /* 500 packets a second: no socket buffer overflows anywhere */
	}
	printf("sent %d\n", sent);
	cascade_srtp_destroy(s);
	close(fd);
	return 0;
}

static int
do_recv(char **argv)
{
	struct cascade_srtp *s = session(argv[0], argv[1], CASCADE_SRTP_INBOUND);
	int idle_ms = atoi(argv[3]), fd, ok = 0, bad = 0;
	uint32_t aligned[2048 / 4], last_ssrc = 0;
	uint8_t *pkt = (uint8_t *)aligned;
	struct pollfd pfd;

	if (s == NULL)
		return die("bad suite or key");
	fd = udp_bind((uint16_t)atoi(argv[2]));
	if (fd < 0)
		return die("cannot bind the local port");
	pfd.fd = fd;
	pfd.events = POLLIN;
	/* ready: the caller waits for this line before anything is sent */
	printf("listening\n");
	fflush(stdout);
	while (poll(&pfd, 1, idle_ms) > 0) {
		ssize_t n = recv(fd, pkt, sizeof(aligned), 0);
		size_t len;
		int rc;

		if (n < 12)
			continue;
		len = (size_t)n;
		if (pkt[1] >= 192 && pkt[1] <= 223)
			rc = cascade_srtp_unprotect_rtcp(s, pkt, &len);
		else
			rc = cascade_srtp_unprotect_rtp(s, pkt, &len);
		if (rc < 0) {
			bad++;
			continue;
		}
		if (pkt[1] >= 192 && pkt[1] <= 223)
			continue; /* a forwarded SR: authentic, not counted as RTP */
		ok++;
		last_ssrc = ntohl(*(const uint32_t *)(pkt + 8));
	}
	printf("ok %d bad %d ssrc %u\n", ok, bad, last_ssrc);
	cascade_srtp_destroy(s);
	close(fd);
	return 0;
}

/* RR about media from ssrc, NACK of seq, PLI: a compound of 60 bytes, before protection */
static size_t
make_feedback(uint8_t *p, uint32_t ssrc, uint32_t media, uint16_t seq)
{
	uint32_t s = htonl(ssrc), m = htonl(media), ext = htonl(seq);
	uint16_t seq_be = htons(seq);

	memset(p, 0, 60);
	p[0] = 0x81, p[1] = 201, p[3] = 7; /* RR, one block: 32 bytes */
	memcpy(p + 4, &s, 4);
	memcpy(p + 8, &m, 4);
	memcpy(p + 16, &ext, 4);
	p[32] = 0x81, p[33] = 205, p[35] = 3; /* generic NACK: 16 bytes */
	memcpy(p + 36, &s, 4);
	memcpy(p + 40, &m, 4);
	memcpy(p + 44, &seq_be, 2);
	p[48] = 0x81, p[49] = 206, p[51] = 2; /* PLI: 12 bytes */
	memcpy(p + 52, &s, 4);
	memcpy(p + 56, &m, 4);
	return 60;
}

static int
do_fb(char **argv)
{
	struct cascade_srtp *rx = session(argv[0], argv[1], CASCADE_SRTP_INBOUND);
	struct cascade_srtp *tx = session(argv[0], argv[2], CASCADE_SRTP_OUTBOUND);
	uint32_t ssrc = (uint32_t)strtoul(argv[6], NULL, 0), media = 0;
	int idle_ms = atoi(argv[7]), fd, ok = 0, bad = 0, again = 0, rtx = 0, sent = 0, quiet = 0;
	bool is_rtx;
	uint32_t aligned[2048 / 4];
	uint8_t *pkt = (uint8_t *)aligned, fb[128];
	uint16_t first = 0;
	struct sockaddr_in dst;
	struct pollfd pfd;

	if (rx == NULL || tx == NULL)
		return die("bad suite or key");
	fd = udp_to(argv[3], argv[4], argv[5], &dst);
	if (fd < 0)
		return 1;
	pfd.fd = fd;
	pfd.events = POLLIN;
	printf("listening\n");
	fflush(stdout);
	while (quiet < idle_ms) {
		ssize_t n;
		size_t len;
		uint16_t seq;

		if (poll(&pfd, 1, 100) <= 0) {
			quiet += 100;
			if (media != 0 && again == 0 && sent < 50) {
				len = make_feedback(fb, ssrc, media, first);
				if (cascade_srtp_protect_rtcp(tx, fb, &len, sizeof(fb)) < 0)
					return die("cannot protect the feedback");
				if (sendto(fd, fb, len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
					return die("cannot send the feedback");
				sent++;
			}
			continue;
		}
		n = recv(fd, pkt, sizeof(aligned), 0);
		if (n < 12 || (pkt[1] >= 192 && pkt[1] <= 223))
			continue;
		len = (size_t)n;
		quiet = 0;
		seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
		if (media == 0) { /* lost on the way: its index stays unused */
			media = ntohl(*(const uint32_t *)(pkt + 8));
			first = seq;
			continue;
		}
		is_rtx = ntohl(*(const uint32_t *)(pkt + 8)) != media;
		if (cascade_srtp_unprotect_rtp(rx, pkt, &len) < 0) {
			bad++;
			continue;
		}
		if (is_rtx) {
			size_t hl = 12 + 4 * (size_t)(pkt[0] & 0x0f);

			if ((pkt[0] & 0x10) && len >= hl + 4)
				hl += 4 + 4 * (size_t)(pkt[hl + 2] << 8 | pkt[hl + 3]);
			if (len < hl + 2)
				continue;
			seq = (uint16_t)(pkt[hl] << 8 | pkt[hl + 1]); /* the OSN */
		}
		if (seq == first && again > 0)
			continue; /* answers to the NACKs that crossed the first answer */
		ok++;
		if (seq == first) {
			again++;
			rtx += is_rtx;
		}
	}
	printf("ok %d bad %d again %d rtx %d\n", ok, bad, again, rtx);
	cascade_srtp_destroy(rx);
	cascade_srtp_destroy(tx);
	close(fd);
	return 0;
}

static int
do_rtcp(char **argv)
{
	struct cascade_srtp *s = session(argv[0], argv[1], CASCADE_SRTP_OUTBOUND);
	uint32_t ssrc = (uint32_t)strtoul(argv[5], NULL, 0), be;
	int count = atoi(argv[6]), i, fd;
	struct sockaddr_in dst;
	uint8_t pkt[64];
	size_t len;

	if (s == NULL)
		return die("bad suite or key");
	fd = udp_to(argv[4], argv[2], argv[3], &dst);
	if (fd < 0)
		return 1;
	for (i = 0; i < count; i++) {
		memset(pkt, 0, 8);
		pkt[0] = 0x80, pkt[1] = 201, pkt[3] = 1; /* RR without blocks */
		be = htonl(ssrc + (uint32_t)i);
		memcpy(pkt + 4, &be, 4);
		len = 8;
		if (cascade_srtp_protect_rtcp(s, pkt, &len, sizeof(pkt)) < 0)
			return die("cannot protect");
		if (sendto(fd, pkt, len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
			return die("cannot send");
	}
	cascade_srtp_destroy(s);
	close(fd);
	return 0;
}

static int
do_protect(char **argv)
{
	struct cascade_srtp *s = session(argv[0], argv[1], CASCADE_SRTP_OUTBOUND);
	uint32_t ssrc = (uint32_t)strtoul(argv[2], NULL, 0);
	uint16_t seq = (uint16_t)atoi(argv[3]), len_be;
	int count = atoi(argv[4]), i;
	uint32_t aligned[(12 + PAYLOAD_BYTES + CASCADE_SRTP_RTP_TRAILER_MAX) / 4 + 1];
	uint8_t *pkt = (uint8_t *)aligned;
	FILE *out;
	size_t len;

	if (s == NULL)
		return die("bad suite or key");
	out = fopen(argv[5], "wb");
	if (out == NULL)
		return die("cannot write the output file");
	for (i = 0; i < count; i++) {
		len = make_rtp(pkt, ssrc, (uint16_t)(seq + i), i);
		if (cascade_srtp_protect_rtp(s, pkt, &len, sizeof(aligned)) < 0)
			return die("protect failed");
		len_be = htons((uint16_t)len);
		if (fwrite(&len_be, 2, 1, out) != 1 || fwrite(pkt, len, 1, out) != 1)
			return die("cannot write the output file");
	}
	if (fclose(out) != 0)
		return die("cannot write the output file");
	printf("protected %d\n", count);
	cascade_srtp_destroy(s);
	return 0;
}

static int
do_unprotect(char **argv)
{
	struct cascade_srtp *s = session(argv[0], argv[1], CASCADE_SRTP_INBOUND);
	uint32_t aligned[2048 / 4];
	uint8_t *pkt = (uint8_t *)aligned;
	int ok = 0, bad = 0, rtcp = 0, k;
	uint16_t len_be;
	FILE *in;

	if (s == NULL)
		return die("bad suite or key");
	in = fopen(argv[2], "rb");
	if (in == NULL)
		return die("cannot read the input file");
	while (fread(&len_be, 2, 1, in) == 1) {
		size_t len = ntohs(len_be);
		bool is_rtcp;
		int rc;

		if (len > sizeof(aligned) || fread(pkt, len, 1, in) != 1)
			return die("truncated input file");
		is_rtcp = len >= 2 && pkt[1] >= 192 && pkt[1] <= 223;
		rc = is_rtcp ? cascade_srtp_unprotect_rtcp(s, pkt, &len)
			     : cascade_srtp_unprotect_rtp(s, pkt, &len);
		if (rc < 0) {
			bad++;
			continue;
		}
		if (is_rtcp) {
			rtcp++;
			continue;
		}
		/* the payload do_send() and do_protect() write: byte k of packet i is i + k */
		for (k = 0; len > 12 && k < (int)len - 12; k++)
			if (pkt[12 + k] != (uint8_t)(pkt[12] + k))
				break;
		if (len <= 12 || k != (int)len - 12)
			bad++;
		else
			ok++;
	}
	fclose(in);
	printf("ok %d bad %d rtcp %d\n", ok, bad, rtcp);
	cascade_srtp_destroy(s);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 11 && strcmp(argv[1], "send") == 0)
		return do_send(argv + 2);
	if (argc == 6 && strcmp(argv[1], "recv") == 0)
		return do_recv(argv + 2);
	if (argc == 10 && strcmp(argv[1], "fb") == 0)
		return do_fb(argv + 2);
	if (argc == 9 && strcmp(argv[1], "rtcp") == 0)
		return do_rtcp(argv + 2);
	if (argc == 8 && strcmp(argv[1], "protect") == 0)
		return do_protect(argv + 2);
	if (argc == 5 && strcmp(argv[1], "unprotect") == 0)
		return do_unprotect(argv + 2);
	fprintf(stderr, "usage: srtp_peer send SUITE KEY DST_IP DST_PORT LOCAL_PORT SSRC FIRST_SEQ "
			"COUNT good|payload|tag|header|replay|rtx:PT:OSN\n"
			"       srtp_peer recv SUITE KEY LOCAL_PORT IDLE_MS\n"
			"       srtp_peer protect SUITE KEY SSRC FIRST_SEQ COUNT OUT\n"
			"       srtp_peer unprotect SUITE KEY IN\n");
	return 2;
}
