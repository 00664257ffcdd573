/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cluster_bench: what a cross-node hop costs, on a lab of at least 2 nodes
 * (tools/lab up 2 --json). Run it in client 1's namespace; it makes its
 * receivers in client 2's (setns() for those sockets alone).
 *
 *   cluster_bench LAB_JSON [--pps R] [--seconds S] [--iterations N] [--ops K]
 *
 *  1. Hop latency: a sender thread in client 1 sends R RTP packets a second
 *     (200 bytes, CLOCK_REALTIME in the payload) to a producer on node 1; one
 *     consumer on node 1 and one on node 2 (piped from node 1) deliver to two
 *     UDP sockets in client 2, which stamp arrivals in the kernel
 *     (SO_TIMESTAMPNS, the same clock). After 1 s of warm-up, S seconds of
 *     per-packet one-way latency for each path: p50/p99 and their difference
 *     (the added latency of the cross-node hop); and, per packet both paths
 *     delivered (paired by the sender's stamp), cross-node minus same-node
 *     latency, p50/p99 ("paired").
 *  2. Time to first packet across nodes: a second sender already sends R
 *     packets a second to a transport on node 1 with no producer for its SSRC
 *     (unknown_ssrc drops). N times (after 5 not counted): t0, POST the
 *     producer on node 1; t1, POST a consumer of it on node 2 (the pipe is set
 *     up behind that call); the first packet of the consumer's SSRC at client
 *     2, stamped by the kernel. "create": first packet - t0; "consume": first
 *     packet - t1. The consumer and the producer are then deleted (so every
 *     iteration sets up a new pipe), and 20 ms pass.
 *  3. Redis commands per operation: a MONITOR connection to the lab's Redis
 *     while K room joins (the first transport of a new room on node 1), K
 *     producer adds on node 1 (in a room node 2 is in too), K consumes on node 2
 *     of those producers (each sets up a pipe), and K room leaves (deleting
 *     the joins' transports), 20 ms apart. The nodes' periodic traffic
 *     (heartbeat HSET/PEXPIRE of their record, the watch's SMEMBERS/HGETALL)
 *     is left out; everything else either node sends in a phase counts.
 *     Round trips: Redis executes what it read from one connection before it
 *     turns to another, and cascade-cp's hiredis writes what one event-loop
 *     turn queued in one write; so a run of MONITOR lines from one connection,
 *     with no other connection's line in between and less than 1 ms between
 *     two of them, counts as one round trip.
 *
 *  4. A keyframe request across nodes: a receiver's PLI to its consumer on
 *     node 2, until node 1's PLI reaches the sender, min(N, 30) times
 *     (cluster_keyframe.c says how).
 *
 * Part 3 is cluster_redis.c, part 4 cluster_keyframe.c; what they share is
 * cluster_bench.h.
 *
 * Prints one JSON object on stdout; a figure without samples is null. Exit 1
 * when the set-up failed, 3 when the two nodes did not see each other within
 * 30 s (the cluster never formed: nothing was measured).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "http_client.h"
#include "media_io.h"
#include "samples.h"
#include "cluster_bench.h"

#define REQ_TIMEOUT_NS (5000ull * 1000 * 1000)
#define WARMUP_ITERATIONS 5
#define LAT_SSRC 0xcb000001u
#define TTFP_SSRC 0xcb000002u
#define PKT_BYTES 200

struct cluster_bench b;

/* ---- HTTP, one call at a time ------------------------------------------------------------ */

static void
answer(struct hc_conn *h, int status, const char *body, size_t len)
{
	struct node *n = (struct node *)h;

	n->status = status;
	n->result = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
	if (n->result == NULL)
		fprintf(stderr, "cluster_bench: %s answered %d: %.*s\n", n->name, status,
			(int)(len > 300 ? 300 : len), body);
}

/* A call to node n, waited for: the parsed 200 answer, or NULL (or exit when must). */
json_t *
call(struct node *n, const char *method, const char *path, json_t *body, bool must)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	hc_request(&n->h, method, path, text, answer);
	free(text);
	while (n->h.busy) {
		struct epoll_event evs[4];
		int k = epoll_wait(b.ep, evs, 4, 2), i;

		for (i = 0; i < k; i++)
			hc_event(evs[i].data.ptr, evs[i].events);
		hc_check(&n->h, hc_now_ns(), REQ_TIMEOUT_NS);
	}
	if (n->result == NULL && must)
		die("%s: %s %s failed", n->name, method, path);
	return n->result;
}

const char *
str_of(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));

	if (s == NULL)
		die("answer without \"%s\"", k);
	return s;
}

/* A transport on n in room: its id (and its tuple's port); connected to ip:port if ip. */
void
transport_new(struct node *n, const char *room, bool comedia, const char *ip, unsigned int port,
	      char id[64], uint16_t *local_port)
{
	char path[160];
	json_t *t;

	snprintf(path, sizeof(path), "/v1/rooms/%s/transports", room);
	t = call(n, "POST", path, json_pack("{s:b}", "comedia", comedia), true);
	snprintf(id, 64, "%s", str_of(t, "id"));
	if (local_port != NULL)
		*local_port = (uint16_t)json_integer_value(
			json_object_get(json_object_get(t, "tuple"), "localPort"));
	json_decref(t);
	if (ip != NULL) {
		snprintf(path, sizeof(path), "/v1/transports/%s/connect", id);
		json_decref(call(n, "POST", path,
				 json_pack("{s:s,s:i}", "ip", ip, "port", (int)port), true));
	}
}

/* POST a VP8 producer with ssrc on transport: the answer (NULL on failure). */
json_t *
producer_post(struct node *n, const char *transport, uint32_t ssrc)
{
	char path[128];

	snprintf(path, sizeof(path), "/v1/transports/%s/producers", transport);
	return call(n, "POST", path,
		    json_pack("{s:s,s:{s:[{s:s,s:i,s:i}],s:[{s:I}],s:{s:s}}}", "kind", "video",
			      "rtpParameters", "codecs", "mimeType", "video/VP8", "payloadType", 96,
			      "clockRate", 90000, "encodings", "ssrc", (json_int_t)ssrc, "rtcp",
			      "cname", "cluster-bench"),
		    false);
}

/* POST a consumer of producer on transport: its id and SSRC; false on failure. */
bool
consumer_post(struct node *n, const char *transport, const char *producer, char id[64],
	      uint32_t *ssrc)
{
	char path[128];
	json_t *c, *enc;
	json_int_t s;

	snprintf(path, sizeof(path), "/v1/transports/%s/consumers", transport);
	c = call(n, "POST", path, json_pack("{s:s}", "producerId", producer), false);
	enc = json_array_get(json_object_get(json_object_get(c, "rtpParameters"), "encodings"), 0);
	s = json_integer_value(json_object_get(enc, "ssrc"));
	if (c == NULL || !json_is_string(json_object_get(c, "id")) || s <= 0 || s > UINT32_MAX) {
		json_decref(c);
		return false;
	}
	snprintf(id, 64, "%s", json_string_value(json_object_get(c, "id")));
	*ssrc = (uint32_t)s;
	json_decref(c);
	return true;
}

bool
api_delete(struct node *n, const char *what, const char *id)
{
	char path[128];
	json_t *r;

	snprintf(path, sizeof(path), "/v1/%s/%s", what, id);
	r = call(n, "DELETE", path, NULL, false);
	json_decref(r);
	return r != NULL;
}

/* ---- media ---------------------------------------------------------------------------------- */

/* n UDP receivers on client 2's address, made in its namespace. */
void
receivers(unsigned int n, int *fds, uint16_t *ports)
{
	unsigned int i;
	int back = -1, rc;

	if ((rc = mio_netns_enter(b.c2_netns, &back)) < 0)
		die("netns %s: %s", b.c2_netns, strerror(-rc));
	for (i = 0; i < n; i++)
		if ((fds[i] = mio_udp_socket(b.c2_ip, &ports[i])) < 0)
			die("UDP socket on %s: %s", b.c2_ip, strerror(-fds[i]));
	if ((rc = mio_netns_leave(back)) < 0)
		die("cannot return to the first namespace: %s", strerror(-rc));
}

/* A stamped sender from client 1 to ip:port (started). */
void
sender_start(struct mio_sender *s, const char *ip, uint16_t port, uint32_t ssrc, unsigned int pps)
{
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(port)};
	int rc;

	s->fd = mio_udp_socket(b.c1_ip, NULL);
	if (s->fd < 0)
		die("sender socket on %s: %s", b.c1_ip, strerror(-s->fd));
	if (inet_pton(AF_INET, ip, &dst.sin_addr) != 1 ||
	    connect(s->fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		die("sender: connect %s:%u: %s", ip, port, strerror(errno));
	s->pps = pps;
	s->bytes = PKT_BYTES;
	s->ssrc = ssrc;
	s->pt = 96;
	s->stamp = true;
	if ((rc = mio_sender_start(s)) < 0)
		die("cannot start a sender: %s", strerror(-rc));
}

void
drain(int fd)
{
	uint8_t buf[2048];
	uint64_t t;

	while (mio_recv(fd, buf, sizeof(buf), &t) >= 0)
		;
}

/* ---- 1. hop latency ------------------------------------------------------------------------- */

/* A packet's sender stamp and arrival stamp, to pair one packet's two copies. */
struct arrival {
	uint64_t stamp, at;
};

struct arrivals {
	struct arrival *v;
	size_t n, cap;
};

static void
arrival_add(struct arrivals *a, uint64_t stamp, uint64_t at)
{
	if (a->n == a->cap) {
		size_t cap = a->cap != 0 ? a->cap * 2 : 4096;
		struct arrival *nv = realloc(a->v, cap * sizeof(*nv));

		if (nv == NULL)
			die("out of memory");
		a->v = nv;
		a->cap = cap;
	}
	a->v[a->n++] = (struct arrival){stamp, at};
}

static int
cmp_arrival(const void *pa, const void *pb)
{
	uint64_t x = ((const struct arrival *)pa)->stamp, y = ((const struct arrival *)pb)->stamp;

	return (x > y) - (x < y);
}

/* Per packet that both paths delivered: its cross-node minus its same-node latency. */
static void
pair(struct arrivals *same, struct arrivals *cross, struct samples *out)
{
	size_t i = 0, j = 0;

	qsort(same->v, same->n, sizeof(*same->v), cmp_arrival);
	qsort(cross->v, cross->n, sizeof(*cross->v), cmp_arrival);
	while (i < same->n && j < cross->n) {
		if (same->v[i].stamp < cross->v[j].stamp) {
			i++;
		} else if (same->v[i].stamp > cross->v[j].stamp) {
			j++;
		} else {
			sample_add(out, (double)(int64_t)(cross->v[j].at - same->v[i].at) / 1e3);
			i++, j++;
		}
	}
}

struct lat {
	struct samples same_us, cross_us, paired_us;
	struct arrivals same, cross;
	uint64_t sent;
	double seconds;
};

static void
bench_latency(unsigned int pps, unsigned int seconds, struct lat *out)
{
	char room[64], tin[64], ta[64], tb[64], ca[64], cb[64], prod[64];
	struct node *n1 = &b.nodes[0], *n2 = &b.nodes[1];
	struct mio_sender snd = {.fd = -1};
	uint16_t in_port, ports[2];
	uint32_t ssrc_a, ssrc_b;
	uint64_t t_end, t_warm;
	int fds[2];
	json_t *p;

	snprintf(room, sizeof(room), "cb-lat-%u", b.tag);
	receivers(2, fds, ports);
	transport_new(n1, room, true, NULL, 0, tin, &in_port);
	p = producer_post(n1, tin, LAT_SSRC);
	if (p == NULL)
		die("cannot create the latency producer");
	snprintf(prod, sizeof(prod), "%s", str_of(p, "id"));
	json_decref(p);
	transport_new(n1, room, false, b.c2_ip, ports[0], ta, NULL);
	transport_new(n2, room, false, b.c2_ip, ports[1], tb, NULL);
	if (!consumer_post(n1, ta, prod, ca, &ssrc_a) || !consumer_post(n2, tb, prod, cb, &ssrc_b))
		die("cannot create the latency consumers");
	sender_start(&snd, n1->media_ip, in_port, LAT_SSRC, pps);
	t_warm = hc_now_ns() + 1000000000ull;
	t_end = t_warm + (uint64_t)seconds * 1000000000ull;
	for (;;) {
		struct pollfd pf[2] = {{.fd = fds[0], .events = POLLIN},
				       {.fd = fds[1], .events = POLLIN}};
		uint64_t now = hc_now_ns();
		int i;

		if (now >= t_end)
			break;
		if (poll(pf, 2, 10) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			uint8_t buf[2048];
			uint64_t t, st;
			ssize_t n;

			while ((n = mio_recv(fds[i], buf, sizeof(buf), &t)) >= 0) {
				st = mio_stamp_of(buf, (size_t)n);
				if (now < t_warm || st == 0)
					continue;
				sample_add(i == 0 ? &out->same_us : &out->cross_us,
					   (double)(int64_t)(t - st) / 1e3);
				arrival_add(i == 0 ? &out->same : &out->cross, st, t);
			}
		}
	}
	mio_sender_stop(&snd);
	pair(&out->same, &out->cross, &out->paired_us);
	out->sent = snd.sent;
	out->seconds = (double)(snd.stop_ns - snd.start_ns) / 1e9;
	close(snd.fd);
	/* the transports take their producers and consumers with them (pipes too) */
	api_delete(n2, "transports", tb);
	api_delete(n1, "transports", ta);
	api_delete(n1, "transports", tin);
	close(fds[0]);
	close(fds[1]);
	fprintf(stderr,
		"cluster_bench: latency: %" PRIu64 " sent in %.1f s, %zu same-node and %zu "
		"cross-node samples\n",
		out->sent, out->seconds, out->same_us.n, out->cross_us.n);
}

/* ---- 2. producer creation on node 1 to first packet on node 2 ------------------------------ */

struct ttfp {
	struct samples create_ms, consume_ms, produce_call_ms, consume_call_ms;
	unsigned int timeouts, failures;
};

uint64_t
next_match(int fd, uint64_t since, bool (*match)(const uint8_t *p, size_t n, uint32_t arg),
	   uint32_t arg)
{
	uint64_t until = hc_now_ns() + (uint64_t)PKT_TIMEOUT_MS * 1000000ull;

	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		uint8_t buf[2048];
		uint64_t t, now = hc_now_ns();
		ssize_t n;

		while ((n = mio_recv(fd, buf, sizeof(buf), &t)) >= 0)
			if (t >= since && match(buf, (size_t)n, arg))
				return t;
		if (now >= until)
			return 0;
		poll(&pf, 1, (int)((until - now) / 1000000ull) + 1);
	}
}

/* Whether p[0..n) is an RTP packet of ssrc. */
static bool
rtp_of(const uint8_t *p, size_t n, uint32_t ssrc)
{
	uint32_t s;

	if (n < 12)
		return false;
	memcpy(&s, p + 8, 4);
	return ntohl(s) == ssrc;
}

uint64_t
first_packet(int fd, uint32_t ssrc, uint64_t since)
{
	return next_match(fd, since, rtp_of, ssrc);
}

static void
bench_ttfp(unsigned int pps, unsigned int iterations, struct ttfp *out)
{
	char room[64], tin[64], tr[64], prod[64], cons[64];
	struct node *n1 = &b.nodes[0], *n2 = &b.nodes[1];
	struct mio_sender snd = {.fd = -1};
	uint16_t in_port, port;
	unsigned int i;
	int fd;

	snprintf(room, sizeof(room), "cb-ttfp-%u", b.tag);
	receivers(1, &fd, &port);
	transport_new(n1, room, true, NULL, 0, tin, &in_port);
	transport_new(n2, room, false, b.c2_ip, port, tr, NULL);
	sender_start(&snd, n1->media_ip, in_port, TTFP_SSRC, pps);
	pause_ms(200);
	for (i = 0; i < WARMUP_ITERATIONS + iterations; i++) {
		bool rec = i >= WARMUP_ITERATIONS;
		uint64_t t0, t1, m0, m1, t;
		uint32_t ssrc;
		json_t *p;

		drain(fd);
		m0 = hc_now_ns();
		t0 = hc_real_ns();
		p = producer_post(n1, tin, TTFP_SSRC);
		if (p == NULL) {
			out->failures += rec;
			pause_ms(100);
			continue;
		}
		snprintf(prod, sizeof(prod), "%s", str_of(p, "id"));
		json_decref(p);
		m1 = hc_now_ns();
		t1 = hc_real_ns();
		if (!consumer_post(n2, tr, prod, cons, &ssrc)) {
			out->failures += rec;
			api_delete(n1, "producers", prod);
			pause_ms(100);
			continue;
		}
		if (rec) {
			sample_add(&out->produce_call_ms, (double)(m1 - m0) / 1e6);
			sample_add(&out->consume_call_ms, (double)(hc_now_ns() - m1) / 1e6);
		}
		t = first_packet(fd, ssrc, t0);
		if (t == 0) {
			out->timeouts += rec;
		} else if (rec) {
			sample_add(&out->create_ms, (double)(int64_t)(t - t0) / 1e6);
			sample_add(&out->consume_ms, (double)(int64_t)(t - t1) / 1e6);
		}
		if (!api_delete(n2, "consumers", cons) || !api_delete(n1, "producers", prod))
			out->failures += rec;
		pause_ms(20);
	}
	mio_sender_stop(&snd);
	close(snd.fd);
	api_delete(n2, "transports", tr);
	api_delete(n1, "transports", tin);
	close(fd);
	fprintf(stderr,
		"cluster_bench: first packet: %zu of %u iterations, %u timeouts, %u failures\n",
		out->create_ms.n, iterations, out->timeouts, out->failures);
}

/* ---- main --------------------------------------------------------------------------------- */

static const char *
lab_str(json_t *lab, const char *array, size_t i, const char *k)
{
	const char *s = json_string_value(
		json_object_get(json_array_get(json_object_get(lab, array), i), k));

	if (s == NULL)
		die("lab description: no %s[%zu].%s", array, i, k);
	return s;
}

static json_t *
per_op(unsigned int n, unsigned int ops)
{
	return ops > 0 ? json_real(round((double)n / ops * 100.0) / 100.0) : json_null();
}

static void
put_redis(json_t *out, const char *name, const struct redis_count *rc, unsigned int ops)
{
	char k[80];

	snprintf(k, sizeof(k), "cluster_redis_cmds_per_%s", name);
	put(out, k, per_op(rc->cmds[0] + rc->cmds[1], ops));
	snprintf(k, sizeof(k), "cluster_redis_rtts_per_%s", name);
	put(out, k, per_op(rc->rtts[0] + rc->rtts[1], ops));
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"pps", required_argument, NULL, 'r'},
		{"seconds", required_argument, NULL, 's'},
		{"iterations", required_argument, NULL, 'n'},
		{"ops", required_argument, NULL, 'k'},
		{NULL, 0, NULL, 0},
	};
	unsigned int pps = 5000, seconds = 5, iterations = 100, ops = 20, i;
	static struct lat lat;
	static struct ttfp tt;
	static struct redis_figs rf;
	static struct kf_figs kf;
	const char *redis;
	json_t *lab, *out;
	json_error_t jerr;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'r':
			pps = num("--pps", optarg, 100, 100000);
			break;
		case 's':
			seconds = num("--seconds", optarg, 1, 3600);
			break;
		case 'n':
			iterations = num("--iterations", optarg, 1, 100000);
			break;
		case 'k':
			ops = num("--ops", optarg, 1, 10000);
			break;
		default:
			fprintf(stderr, "usage: cluster_bench LAB_JSON [--pps R] [--seconds S] "
					"[--iterations N] [--ops K]\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: cluster_bench LAB_JSON [--pps R] [--seconds S] "
				"[--iterations N] [--ops K]\n");
		return 2;
	}
	lab = json_load_file(argv[optind], 0, &jerr);
	if (lab == NULL)
		die("%s: %s", argv[optind], jerr.text);
	if (json_array_size(json_object_get(lab, "nodes")) < 2 ||
	    json_array_size(json_object_get(lab, "clients")) < 2)
		die("the lab needs 2 nodes and 2 clients");
	redis = json_string_value(json_object_get(lab, "redis"));
	if (redis == NULL || sscanf(redis, "redis://%63[^:]:%u", b.redis_ip, &b.redis_port) != 2)
		die("lab description: redis is not redis://IP:PORT");
	b.c1_ip = lab_str(lab, "clients", 0, "ip");
	b.c2_ip = lab_str(lab, "clients", 1, "ip");
	b.c2_netns = lab_str(lab, "clients", 1, "netns");
	b.tag = (unsigned int)getpid();
	b.mon = -1;
	b.ep = epoll_create1(EPOLL_CLOEXEC);
	if (b.ep < 0)
		die("epoll: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		struct node *n = &b.nodes[i];

		snprintf(n->name, sizeof(n->name), "%s", lab_str(lab, "nodes", i, "id"));
		snprintf(n->media_ip, sizeof(n->media_ip), "%s",
			 lab_str(lab, "nodes", i, "media_ip"));
		if (hc_server_init(&n->srv, lab_str(lab, "nodes", i, "api"),
				   lab_str(lab, "nodes", i, "token"), b.ep) < 0)
			return 1;
		hc_conn_init(&n->h, &n->srv);
	}

	/* a node calls another only once it has seen its record */
	for (i = 0; i < 2; i++) {
		uint64_t until = hc_now_ns() + 30000000000ull;

		for (;;) {
			json_t *r = call(&b.nodes[i], "GET", "/v1/cluster/nodes", NULL, false);
			size_t n = json_array_size(json_object_get(r, "nodes"));
			char *text = NULL;

			if (n < 2 && hc_now_ns() > until && r != NULL)
				text = json_dumps(r, JSON_COMPACT);
			json_decref(r);
			if (n >= 2)
				break;
			if (hc_now_ns() > until) {
				fprintf(stderr,
					"cluster_bench: %s does not see the other node after 30 s: %s\n",
					b.nodes[i].name, text != NULL ? text : "no answer");
				return 3;
			}
			pause_ms(100);
		}
	}
	bench_latency(pps, seconds, &lat);
	bench_ttfp(pps, iterations, &tt);
	bench_redis(ops, &rf);
	bench_keyframe(pps, iterations < KF_ITERATIONS ? iterations : KF_ITERATIONS, &kf);

	out = json_object();
	samples_put_pct(out, "cluster_hop_same_us", &lat.same_us, 10.0);
	samples_put_pct(out, "cluster_hop_cross_us", &lat.cross_us, 10.0);
	{
		double s50 = samples_pct(&lat.same_us, 0.5), c50 = samples_pct(&lat.cross_us, 0.5);
		double s99 = samples_pct(&lat.same_us, 0.99),
		       c99 = samples_pct(&lat.cross_us, 0.99);

		put(out, "cluster_hop_added_us_p50", samples_num(c50 - s50, 10.0));
		put(out, "cluster_hop_added_us_p99", samples_num(c99 - s99, 10.0));
	}
	samples_put_pct(out, "cluster_hop_paired_added_us", &lat.paired_us, 10.0);
	put(out, "cluster_hop_samples_same", json_integer((json_int_t)lat.same_us.n));
	put(out, "cluster_hop_samples_cross", json_integer((json_int_t)lat.cross_us.n));
	put(out, "cluster_hop_sent", json_integer((json_int_t)lat.sent));
	put(out, "cluster_hop_pps",
	    lat.seconds > 0 ? json_integer(llround((double)lat.sent / lat.seconds)) : json_null());
	samples_put_pct(out, "cluster_ttfp_create_ms", &tt.create_ms, 1000.0);
	samples_put_pct(out, "cluster_ttfp_consume_ms", &tt.consume_ms, 1000.0);
	samples_put_pct(out, "cluster_ttfp_produce_call_ms", &tt.produce_call_ms, 1000.0);
	samples_put_pct(out, "cluster_ttfp_consume_call_ms", &tt.consume_call_ms, 1000.0);
	put(out, "cluster_ttfp_samples", json_integer((json_int_t)tt.create_ms.n));
	put(out, "cluster_ttfp_timeouts", json_integer((json_int_t)tt.timeouts));
	put(out, "cluster_ttfp_failures", json_integer((json_int_t)tt.failures));
	samples_put_pct(out, "cluster_keyframe_request_ms", &kf.ms, 1000.0);
	put(out, "cluster_keyframe_request_samples", json_integer((json_int_t)kf.ms.n));
	put(out, "cluster_keyframe_request_missed", json_integer((json_int_t)kf.missed));
	put_redis(out, "join", &rf.join, rf.ops);
	put_redis(out, "producer_add", &rf.produce, rf.ops);
	put_redis(out, "remote_consume", &rf.consume, rf.ops);
	put_redis(out, "leave", &rf.leave, rf.ops);
	json_dumpf(out, stdout, JSON_COMPACT | JSON_REAL_PRECISION(8));
	putchar('\n');
	json_decref(out);
	json_decref(lab);
	return 0;
}
