/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascade-dpctl: the dataplane's command ring from a shell. It attaches to a
 * running cascade-dp's shared segment (no EAL, no hugepages), sends one
 * command or a pipelined batch read from stdin, and prints the replies; it also
 * prints counters and the installed tables. For tests, benchmarks and
 * operators debugging a node without its control plane. While the control
 * plane runs it owns the command ring: use cascade-dpctl only for read-only
 * subcommands then (stats, dump).
 *
 * Exit status: 0 success, 1 a command failed (message on stderr), 2 usage.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cascade/client.h>
#include <cascade/segment.h>

#include "dpctl.h"

#define MAX_ARGS 32

static struct cascade_seg seg;
static unsigned int timeout_ms = 5000;
static uint64_t next_req = 1;

static void
usage(void)
{
	fprintf(stderr,
		"usage: cascade-dpctl [--segment NAME] [--timeout-ms N] COMMAND [ARGS]\n"
		"  wait                                  until the dataplane is running\n"
		"  ping\n"
		"  transport-add ID LOCAL [--rtcp LOCAL] [--mux] [--comedia] [--remote ADDR]\n"
		"                [--remote-rtcp ADDR] [--mac MAC] [--port N] [--pipe]\n"
		"                [--srtp SUITE]\n"
		"                --pipe: the node's pipe port (any source, no remote; --mux)\n"
		"                --srtp: an SRTP transport; it passes nothing until transport-srtp\n"
		"  transport-srtp ID SUITE RX_MASTER TX_MASTER\n"
		"                                        the keys of an SRTP transport: master key +\n"
		"                                        salt as hex (30 bytes for AES_CM_*, 28 for\n"
		"                                        AEAD_AES_128_GCM, 44 for AEAD_AES_256_GCM);\n"
		"                                        RX decrypts what arrives, TX encrypts what leaves\n"
		"  pipe-srtp producer|consumer ID SUITE MASTER\n"
		"                                        one stream's key on an SRTP pipe transport\n"
		"                                        (transport-add --pipe --srtp SUITE): a pipe\n"
		"                                        producer decrypts, a pipe consumer encrypts\n"
		"  transport-connect ID REMOTE [--remote-rtcp ADDR] [--mac MAC]\n"
		"  transport-del ID\n"
		"  producer-add ID TRANSPORT SSRC [--clock HZ] [--kind audio|video] [--paused]\n"
		"               [--fb pli,fir,nack]  the RTCP feedback its sender negotiated\n"
		"               [--rtx SSRC:PT/APT[,...]]  its sender's RTX stream (RFC 4588)\n"
		"  producer-del|producer-pause|producer-resume ID\n"
		"  consumer-add ID PRODUCER TRANSPORT SSRC [--pt IN:OUT]... [--ext IN:OUT]... "
		"[--paused]\n"
		"               [--remote ADDR [--mac MAC]]  on a pipe transport: the peer's pipe\n"
		"               [--rtx SSRC:PT[,PT...]]  NACKed packets go again as RTX (an RTX\n"
		"               payload type per --pt, in order; 0: none for that one)\n"
		"  consumer-del|consumer-pause|consumer-resume ID\n"
		"  flush                                 delete everything\n"
		"  raw TYPE                              a command of any type number (testing)\n"
		"  batch                                 commands from stdin, pipelined\n"
		"  stats [--lcore N]                     totals and drops (key value lines), of all\n"
		"                                        workers or of worker N (from 0)\n"
		"  slow [COUNT]                          read COUNT (1) slow-path packets (STUN, DTLS)\n"
		"  events                                read the dataplane's pending events\n"
		"  inject TRANSPORT HEX [--dst ADDR]     send a UDP payload from a transport\n"
		"  obj transport|producer|consumer ID    one object's counters\n"
		"  dump                                  installed transports, producers, consumers\n"
		"                                        (flags: 1 comedia, 2 mux, 4 pipe)\n"
		"ADDR is IPv4:PORT or [IPv6]:PORT; ID and SSRC are decimal or 0x-hex. SUITE is\n"
		"AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM,\n"
		"AEAD_AES_256_GCM or its number (1..4).\n");
}

static int
attach(void)
{
	char err[256];
	const char *name = getenv("CASCADE_SEGMENT");

	if (cascade_seg_attach(&seg, name != NULL ? name : "default", err, sizeof(err)) < 0) {
		fprintf(stderr, "cascade-dpctl: %s\n", err);
		return -1;
	}
	return 0;
}

static int
run_one(int argc, char **argv)
{
	struct cascade_cmd c;
	struct cascade_reply r;
	int rc;

	if (dpctl_build_cmd(argc, argv, &c, next_req++) < 0)
		return 2;
	rc = cascade_cmd_call(&seg, &c, &r, timeout_ms);
	if (rc == -ETIMEDOUT) {
		fprintf(stderr, "cascade-dpctl: %s: no reply within %u ms\n", argv[0], timeout_ms);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "cascade-dpctl: %s: %s (%s)\n", argv[0], r.message, strerror(-rc));
		return 1;
	}
	if (r.slot != UINT32_MAX)
		printf("ok slot=%u gen=%u\n", r.slot, r.gen);
	else
		printf("ok %s\n", r.message);
	return 0;
}

/* Split a line into words in place; returns the count. */
static int
split(char *line, char **words, int max)
{
	int n = 0;
	char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);

	while (tok != NULL && n < max) {
		words[n++] = tok;
		tok = strtok_r(NULL, " \t\r\n", &save);
	}
	return n;
}

/*
 * Pipelined batch from stdin: keep up to half the ring in flight, count replies.
 * Prints "batch: N commands, E errors, T ms, R commands/s".
 */
static int
run_batch(void)
{
	uint32_t window = cascade_seg_cmd_ring(&seg)->n_slots / 2;
	uint64_t sent = 0, done = 0, errors = 0, t0 = cascade_now_ns(), deadline;
	char line[1024], *words[MAX_ARGS];
	struct cascade_reply r;
	struct cascade_cmd c;
	int n;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		n = split(line, words, MAX_ARGS);
		if (n == 0 || words[0][0] == '#')
			continue;
		if (dpctl_build_cmd(n, words, &c, next_req++) < 0)
			return 2;
		while (sent - done >= window || cascade_cmd_send(&seg, &c) < 0) {
			if (cascade_reply_poll(&seg, &r) == 0) {
				done++;
				if (r.status != 0) {
					errors++;
					fprintf(stderr, "cascade-dpctl: req %" PRIu64 ": %s\n",
						r.req_id, r.message);
				}
			}
		}
		sent++;
	}
	deadline = cascade_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (done < sent && cascade_now_ns() < deadline) {
		if (cascade_reply_poll(&seg, &r) == 0) {
			done++;
			if (r.status != 0) {
				errors++;
				fprintf(stderr, "cascade-dpctl: req %" PRIu64 ": %s\n", r.req_id,
					r.message);
			}
		}
	}
	{
		double ms = (double)(cascade_now_ns() - t0) / 1e6;
		printf("batch: %" PRIu64 " commands, %" PRIu64 " errors, %" PRIu64
		       " unanswered, %.1f ms, %.0f commands/s\n",
		       sent, errors, sent - done, ms, ms > 0 ? (double)sent / ms * 1000.0 : 0.0);
	}
	return (errors != 0 || done != sent) ? 1 : 0;
}

static int
run_stats(int argc, char **argv)
{
	struct cascade_lcore_stats s;
	unsigned int i;
	char *end;

	if (argc == 3 && strcmp(argv[1], "--lcore") == 0) {
		unsigned long l = strtoul(argv[2], &end, 10);
		const volatile struct cascade_lcore_stats *b;

		if (*argv[2] == '\0' || *end != '\0' || l >= seg.lay.n_lcores) {
			fprintf(stderr, "cascade-dpctl: stats --lcore: a worker index below %u\n",
				seg.lay.n_lcores);
			return 2;
		}
		b = (const volatile struct cascade_lcore_stats *)cascade_seg_at(
			    &seg, seg.lay.lcore_stats_off) +
		    l;
		for (i = 0; i < CASCADE_LC_MAX; i++)
			printf("%s %" PRIu64 "\n", cascade_lcore_ctr_name(i), b->ctr[i]);
		for (i = 0; i < CASCADE_DROP_MAX; i++)
			printf("drop_%s %" PRIu64 "\n", cascade_drop_name(i), b->drop[i]);
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "cascade-dpctl: stats [--lcore N]\n");
		return 2;
	}
	cascade_seg_lcore_stats(&seg, &s);
	for (i = 0; i < CASCADE_LC_MAX; i++)
		printf("%s %" PRIu64 "\n", cascade_lcore_ctr_name(i), s.ctr[i]);
	for (i = 0; i < CASCADE_DROP_MAX; i++)
		printf("drop_%s %" PRIu64 "\n", cascade_drop_name(i), s.drop[i]);
	printf("slow_up_packets %" PRIu64 "\nslow_up_drops %" PRIu64 "\ninject_packets %" PRIu64
	       "\ninject_drops %" PRIu64 "\n",
	       seg.hdr->slow_up_pkts, seg.hdr->slow_up_drops, seg.hdr->inject_pkts,
	       seg.hdr->inject_drops);
	printf("srtcp_learned %" PRIu64 "\nsrtcp_learn_auth %" PRIu64 "\nsrtcp_learn_full %" PRIu64
	       "\n",
	       seg.hdr->srtcp_learned, seg.hdr->srtcp_learn_auth, seg.hdr->srtcp_learn_full);
	return 0;
}

static const char *addr_str(const struct cascade_addr *a, char *buf, size_t len);

/* Pop COUNT slow-path packets, waiting up to the timeout for them. */
static int
run_slow(int argc, char **argv)
{
	uint64_t want = 1, got = 0, deadline;
	struct timespec nap = {0, 1000000};
	struct cascade_pkt pkt;
	char a[64], b[64];

	if (argc > 1 && (dpctl_parse_u64(argv[1], &want) < 0 || want == 0)) {
		fprintf(stderr, "cascade-dpctl: slow: bad count \"%s\"\n", argv[1]);
		return 2;
	}
	deadline = cascade_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (got < want) {
		if (cascade_ring_pop(cascade_seg_slow_ring(&seg), &pkt, sizeof(pkt)) < 0) {
			if (cascade_now_ns() > deadline) {
				fprintf(stderr, "cascade-dpctl: slow: %" PRIu64 " of %" PRIu64
						" packets within %u ms\n",
					got, want, timeout_ms);
				return 1;
			}
			nanosleep(&nap, NULL);
			continue;
		}
		got++;
		printf("slow class=%s transport=0x%" PRIx64 " src=%s dst=%s len=%u first=%02x\n",
		       pkt.hdr.class == CASCADE_SLOW_STUN ? "stun" : "dtls", pkt.hdr.transport_id,
		       addr_str(&pkt.hdr.src, a, sizeof(a)), addr_str(&pkt.hdr.dst, b, sizeof(b)),
		       pkt.hdr.len, pkt.hdr.len > 0 ? pkt.data[0] : 0);
	}
	return 0;
}

/* Print and consume every event waiting in the event ring. */
static int
run_events(void)
{
	struct cascade_event ev;
	char a[64];

	while (cascade_ring_pop(cascade_seg_event_ring(&seg), &ev, sizeof(ev)) == 0) {
		switch (ev.type) {
		case CASCADE_EV_STARTED:
			printf("started epoch=%016" PRIx64 "\n", ev.value);
			break;
		case CASCADE_EV_REMOTE_LEARNED:
			printf("remote_learned transport=0x%" PRIx64 " addr=%s rtcp=%" PRIu64 "\n",
			       ev.obj_id, addr_str(&ev.addr, a, sizeof(a)), ev.value);
			break;
		case CASCADE_EV_KEYFRAME_REQUEST:
			/* t_us: the sending worker's clock (TSC), in microseconds */
			printf("keyframe_request producer=0x%" PRIx64 " as=%s t_us=%" PRIu64 "\n",
			       ev.obj_id, ev.value == 2 ? "fir" : "pli",
			       seg.hdr->tsc_hz ? (uint64_t)((double)ev.tsc * 1e6 /
							    (double)seg.hdr->tsc_hz)
					       : 0);
			break;
		default:
			printf("event type=%u obj=0x%" PRIx64 " value=%" PRIu64 "\n", ev.type,
			       ev.obj_id, ev.value);
		}
	}
	return 0;
}

static int
run_inject(int argc, char **argv)
{
	struct cascade_pkt pkt;
	size_t n;

	if (dpctl_need(argc, 3, "inject") < 0)
		return 2;
	memset(&pkt.hdr, 0, sizeof(pkt.hdr));
	if (dpctl_parse_u64(argv[1], &pkt.hdr.transport_id) < 0) {
		fprintf(stderr, "cascade-dpctl: inject: bad transport id\n");
		return 2;
	}
	switch (dpctl_parse_hex(argv[2], pkt.data, sizeof(pkt.data), &n)) {
	case 0:
		break;
	case -EILSEQ:
		fprintf(stderr, "cascade-dpctl: inject: not hex at offset %zu\n", n);
		return 2;
	default:
		fprintf(stderr, "cascade-dpctl: inject: payload must be even-length hex, at most %zu "
				"bytes\n",
			sizeof(pkt.data));
		return 2;
	}
	pkt.hdr.len = (uint16_t)n;
	if (argc == 5 && strcmp(argv[3], "--dst") == 0) {
		if (dpctl_parse_addr(argv[4], &pkt.hdr.dst) < 0) {
			fprintf(stderr, "cascade-dpctl: inject: bad --dst \"%s\"\n", argv[4]);
			return 2;
		}
	} else if (argc != 3) {
		fprintf(stderr, "cascade-dpctl: inject: unexpected arguments\n");
		return 2;
	}
	if (cascade_ring_push(cascade_seg_inject_ring(&seg), &pkt, sizeof(pkt)) < 0) {
		fprintf(stderr, "cascade-dpctl: inject: ring full\n");
		return 1;
	}
	printf("ok queued %u bytes\n", pkt.hdr.len);
	return 0;
}

static const char *
addr_str(const struct cascade_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family == CASCADE_AF_NONE || a->port_be == 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	inet_ntop(a->family == CASCADE_AF_INET ? AF_INET : AF_INET6, a->ip, ip, sizeof(ip));
	snprintf(buf, len, a->family == CASCADE_AF_INET ? "%s:%u" : "[%s]:%u", ip,
		 ntohs(a->port_be));
	return buf;
}

/* "-" for the zero MAC (the port's --peer-mac applies), else aa:bb:cc:dd:ee:ff. */
static const char *
mac_str(const uint8_t m[6], char *buf, size_t len)
{
	if ((m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
			 m[5]);
	return buf;
}

static int
run_dump(void)
{
	const struct cascade_seg_hdr *h = &seg.lay;
	char a[64], b[64];
	uint32_t i;

	for (i = 0; i < h->max_transports; i++) {
		struct cascade_dir_transport d;
		cascade_dir_read((const uint8_t *)cascade_seg_at(&seg, h->dir_transport_off) +
				 (size_t)i * sizeof(d),
			 &d, sizeof(d));
		if (!d.h.in_use)
			continue;
		printf("transport id=0x%" PRIx64 " slot=%u local=%s remote=%s", d.t.obj_id, i,
		       addr_str(&d.t.local, a, sizeof(a)), addr_str(&d.t.remote, b, sizeof(b)));
		if (d.t.remote_rtcp.port_be != 0) /* connected, or learned (RFC 3550 11) */
			printf(" remote_rtcp=%s", addr_str(&d.t.remote_rtcp, a, sizeof(a)));
		printf(" flags=%u", d.t.flags);
		if (d.t.srtp_suite != 0) /* the suite only: keys never reach the directory */
			printf(" srtp_suite=%u", d.t.srtp_suite);
		printf("\n");
	}
	for (i = 0; i < h->max_producers; i++) {
		struct cascade_dir_producer d;
		cascade_dir_read((const uint8_t *)cascade_seg_at(&seg, h->dir_producer_off) +
				 (size_t)i * sizeof(d),
			 &d, sizeof(d));
		if (!d.h.in_use)
			continue;
		printf("producer id=0x%" PRIx64 " slot=%u transport=0x%" PRIx64
		       " ssrc=%u lcore=%u fb=%u paused=%u",
		       d.p.obj_id, i, d.p.transport_id, d.p.ssrc, d.p.lcore, d.p.fb, d.p.paused);
		if (d.p.rtx_ssrc != 0) /* RTX: its SSRC and the first payload type's binding */
			printf(" rtx=%u:%u/%u", d.p.rtx_ssrc, d.p.rtx_map[0].pt, d.p.rtx_map[0].apt);
		putchar('\n');
	}
	for (i = 0; i < h->max_consumers; i++) {
		struct cascade_dir_consumer d;
		cascade_dir_read((const uint8_t *)cascade_seg_at(&seg, h->dir_consumer_off) +
				 (size_t)i * sizeof(d),
			 &d, sizeof(d));
		if (!d.h.in_use)
			continue;
		printf("consumer id=0x%" PRIx64 " slot=%u producer=0x%" PRIx64
		       " transport=0x%" PRIx64 " ssrc=%u paused=%u",
		       d.c.obj_id, i, d.c.producer_id, d.c.transport_id, d.c.ssrc, d.c.paused);
		if (d.c.remote.port_be != 0) /* a pipe consumer's own destination */
			printf(" remote=%s mac=%s", addr_str(&d.c.remote, a, sizeof(a)),
			       mac_str(d.c.remote_mac, b, sizeof(b)));
		if (d.c.rtx_ssrc != 0) /* RTX: its SSRC and the payload type of the first codec */
			printf(" rtx=%u:%u", d.c.rtx_ssrc, d.c.rtx_pt[0]);
		putchar('\n');
	}
	return 0;
}

/*
 * A consumer's receiver's last report as the dataplane read it: rtcp_reports
 * 0 and nothing else before the first; rtt_us "-" until one echoed an SR.
 */
static void
print_consumer_rtcp(uint32_t slot)
{
	struct cascade_consumer_rtcp r;

	if (!cascade_seg_consumer_rtcp(&seg, slot, &r)) {
		printf("rtcp_reports 0\n");
		return;
	}
	printf("rtcp_reports %" PRIu64 "\nfraction_lost %u\npackets_lost %" PRId32
	       "\next_max_seq %" PRIu32 "\njitter %" PRIu32 "\njitter_us %" PRIu64
	       "\nclock_rate %" PRIu32 "\nrtts %" PRIu64 "\n",
	       r.reports, r.fraction_lost, r.cum_lost, r.ext_max_seq, r.jitter,
	       cascade_jitter_us(r.jitter, r.clock_rate), r.clock_rate, r.rtts);
	if (r.rtts != 0)
		printf("rtt_us %" PRIu32 "\n", r.rtt_us);
	else
		printf("rtt_us -\n");
}

/* A transport's transport-cc estimate (its TWCC record): twcc_feedbacks 0 before any. */
static void
print_transport_twcc(uint32_t slot)
{
	struct cascade_transport_twcc t;

	cascade_seg_transport_twcc(&seg, slot, &t);
	printf("twcc_feedbacks %" PRIu64 "\n", t.feedbacks);
	if (t.feedbacks != 0)
		printf("available_bps %" PRIu64 "\nacked_bps %" PRIu64 "\ntwcc_reported %" PRIu64
		       "\ntwcc_lost %" PRIu64 "\n",
		       t.available_bps, t.acked_bps, t.reported, t.lost);
}

static int
run_obj(int argc, char **argv)
{
	const struct cascade_seg_hdr *h = &seg.lay;
	struct cascade_obj_stats s;
	uint64_t id, off, base, stats_off;
	uint32_t i, max;
	size_t rec;

	if (dpctl_need(argc, 3, "obj") < 0 || dpctl_parse_u64(argv[2], &id) < 0)
		return 2;
	if (strcmp(argv[1], "transport") == 0) {
		off = h->dir_transport_off, max = h->max_transports, stats_off = h->transport_stats_off;
		rec = sizeof(struct cascade_dir_transport);
	} else if (strcmp(argv[1], "producer") == 0) {
		off = h->dir_producer_off, max = h->max_producers, stats_off = h->producer_stats_off;
		rec = sizeof(struct cascade_dir_producer);
	} else if (strcmp(argv[1], "consumer") == 0) {
		off = h->dir_consumer_off, max = h->max_consumers, stats_off = h->consumer_stats_off;
		rec = sizeof(struct cascade_dir_consumer);
	} else {
		fprintf(stderr, "cascade-dpctl: obj: transport, producer or consumer\n");
		return 2;
	}
	for (i = 0; i < max; i++) {
		union {
			struct cascade_dir_head h;
			struct cascade_dir_transport t;
			struct cascade_dir_producer p;
			struct cascade_dir_consumer c;
		} buf;
		cascade_dir_read((const uint8_t *)cascade_seg_at(&seg, off) + (size_t)i * rec, &buf,
				 rec);
		/* every record's body starts with its obj_id right after the head */
		memcpy(&base, (const uint8_t *)&buf + sizeof(struct cascade_dir_head),
		       sizeof(base));
		if (!buf.h.in_use || base != id)
			continue;
		cascade_seg_obj_stats(&seg, stats_off, max, i, &s);
		printf("slot %u\nrx_packets %" PRIu64 "\nrx_bytes %" PRIu64 "\ntx_packets %" PRIu64
		       "\ntx_bytes %" PRIu64 "\nrtcp_packets %" PRIu64 "\ndrop_packets %" PRIu64
		       "\nretransmitted_packets %" PRIu64 "\n",
		       i, s.rx_pkts, s.rx_bytes, s.tx_pkts, s.tx_bytes, s.rtcp_pkts, s.drop_pkts,
		       s.rtx_pkts);
		if (strcmp(argv[1], "consumer") == 0)
			print_consumer_rtcp(i);
		if (strcmp(argv[1], "transport") == 0)
			print_transport_twcc(i);
		return 0;
	}
	fprintf(stderr, "cascade-dpctl: obj: %s 0x%" PRIx64 " not found\n", argv[1], id);
	return 1;
}

static int
run_wait(void)
{
	uint64_t deadline = cascade_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	const char *name = getenv("CASCADE_SEGMENT");
	struct timespec nap = {0, 20 * 1000 * 1000};
	char err[256];

	for (;;) {
		if (cascade_seg_attach(&seg, name != NULL ? name : "default", err, sizeof(err)) ==
		    0) {
			if (atomic_load(&seg.hdr->state) == CASCADE_DP_RUNNING)
				return 0;
			cascade_seg_detach(&seg);
		}
		if (cascade_now_ns() > deadline) {
			fprintf(stderr, "cascade-dpctl: wait: dataplane not running after %u ms: %s\n",
				timeout_ms, err);
			return 1;
		}
		nanosleep(&nap, NULL);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"segment", required_argument, NULL, 's'},
		{"timeout-ms", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+s:t:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			setenv("CASCADE_SEGMENT", optarg, 1);
			break;
		case 't':
			if (dpctl_parse_u64(optarg, &v) < 0 || v == 0 || v > 3600000) {
				fprintf(stderr, "cascade-dpctl: --timeout-ms: 1 to 3600000\n");
				return 2;
			}
			timeout_ms = (unsigned int)v;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage();
		return 2;
	}
	if (strcmp(argv[0], "wait") == 0)
		return run_wait();
	if (attach() < 0)
		return 1;
	next_req = cascade_now_ns(); /* unique across invocations on one segment */
	if (strcmp(argv[0], "batch") == 0)
		rc = run_batch();
	else if (strcmp(argv[0], "stats") == 0)
		rc = run_stats(argc, argv);
	else if (strcmp(argv[0], "dump") == 0)
		rc = run_dump();
	else if (strcmp(argv[0], "obj") == 0)
		rc = run_obj(argc, argv);
	else if (strcmp(argv[0], "slow") == 0)
		rc = run_slow(argc, argv);
	else if (strcmp(argv[0], "inject") == 0)
		rc = run_inject(argc, argv);
	else if (strcmp(argv[0], "events") == 0)
		rc = run_events();
	else
		rc = run_one(argc, argv);
	cascade_seg_detach(&seg);
	return rc;
}
