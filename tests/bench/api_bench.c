/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api_bench: the control plane's API benchmark. One thread drives cascade-cp
 * over several HTTP/1.1 keep-alive connections (http_client.c: epoll, one
 * request in flight per connection), so one client core can push the server to
 * its limit; with --peer-ip a second thread (media_io.c) sends a live RTP
 * stream, so that the time from a consume call to the consumer's first packet
 * at a receiver can be measured.
 *
 *   api_bench URL TOKEN [--consumers N] [--seconds S] [--conns C] [--sinks K]
 *             [--peer-ip IP [--netns NAME] [--pps R] [--pkt-bytes B] [--probes P]]
 *
 * Set-up: a "live" producer (VP8, SSRC 0x5eed0001) on a comedia transport and
 * an "idle" producer that never receives a packet. K sink transports
 * (connected to PEER-IP at ports nothing listens on, when --peer-ip is given)
 * carry N consumers of the idle producer. They stay for the whole run, active
 * (not paused): on a producer without traffic they fill the tables without
 * multiplying the packet rate.
 *
 * Phases, in order; every figure is taken with the N consumers present:
 *  1. install: the N consumers, created over C connections in parallel.
 *  2. churn: for S seconds C connections loop "create a consumer of the idle
 *     producer on a sink transport, close it", no media flowing: operations
 *     (create + close pairs) per second, the two calls' latency.
 *  3. probes (with --peer-ip): the sender thread sends R packets a second of
 *     B bytes to the live producer from a UDP socket on PEER-IP (in network
 *     namespace NAME, entered with setns() for the media sockets alone), and
 *     four more UDP sockets there receive, each behind a probe transport
 *     connected to it. A probe creates a consumer of the live producer on one
 *     of them, waits for the first packet carrying the SSRC the answer
 *     announces (which may come before the answer: it is kept), and closes the
 *     consumer. P probes run one at a time with nothing else going on, after
 *     20 warm-up probes that are not counted. The consume call is stamped
 *     CLOCK_REALTIME just before the request is written, the packet by the
 *     kernel on arrival (SO_TIMESTAMPNS, the same clock), so the client's own
 *     wake-up delay is not counted.
 *  4. churn with media (with --peer-ip): phase 2 again while the stream flows
 *     and one more connection keeps probing.
 *
 * Prints one JSON object on stdout. Every request that fails (a status other
 * than 200, a lost connection, no answer within 5 s) is counted in
 * api_failures and the first few are described on stderr; a probe whose first
 * packet does not come within 1 s is counted in api_ttfp_timeouts. A figure
 * without samples is null. Exit 0 when the figures were printed, 1 when the
 * set-up failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <jansson.h>

#include "http_client.h"
#include "media_io.h"
#include "samples.h"

#define MAX_CONNS 64
#define REQ_TIMEOUT_NS (5000ull * 1000 * 1000)
#define PKT_TIMEOUT_NS (1000ull * 1000 * 1000)
#define N_PROBE_RX 4
#define WARMUP_PROBES 20
#define MAX_SEEN 8
#define LIVE_SSRC 0x5eed0001u
#define IDLE_SSRC 0x5eed0002u
#define SINK_PORT_BASE 20000 /* remote ports of the sink transports: nothing listens */
#define MAX_ERR_LOGS 10

enum step {
	STEP_IDLE,
	STEP_BUSY,
	STEP_PACKET,
	STEP_DONE
};

/* A UDP socket that receives a probe transport's packets. */
struct rx {
	int fd;
	uint16_t port;
	char transport[64];
	struct conn *owner;     /* the probe using it, or NULL */
	uint64_t since_real_ns; /* packets stamped earlier are stale */
	uint32_t want_ssrc;     /* 0 until the consume answer names it */
	unsigned int n_seen;    /* SSRCs seen before the answer, with their first arrival */
	uint32_t seen_ssrc[MAX_SEEN];
	uint64_t seen_real_ns[MAX_SEEN];
};

struct conn {
	struct hc_conn h; /* first: the epoll data pointer is the conn */
	enum step step;
	unsigned int left;  /* install: consumers still to create */
	unsigned int index; /* install and churn: the next sink transport */
	char consumer[64];  /* probe: the consumer being measured */
	struct rx *rx;
	uint64_t pkt_deadline_ns;
	json_t *result; /* set-up calls: the answer, NULL on failure */
};

/* What one phase measured. */
struct phase {
	uint64_t ops; /* create + close pairs completed */
	double seconds;
	struct samples create_ms, close_ms;    /* the churn connections' calls */
	struct samples ttfp_ms, probe_call_ms; /* the probes' first packets and consume calls */
};

static struct {
	struct hc_server srv;
	struct conn conns[MAX_CONNS + 1]; /* the last one past n_conns probes */
	unsigned int n_conns;
	struct rx rxs[N_PROBE_RX];
	unsigned int n_rx, next_rx;
	char live[64], idle[64];
	char (*sinks)[64];
	unsigned int n_sinks;
	bool running;              /* the phase still starts new operations */
	unsigned int probe_budget; /* probes still to start in this phase */
	struct phase *ph;          /* where samples go; NULL: warm-up, not recorded */
	uint64_t failures, installed, ttfp_timeouts;
} b;

static double
ms_since(uint64_t t_ns)
{
	return (double)(hc_now_ns() - t_ns) / 1e6;
}

static void
failure(const char *what, int status, const char *body, size_t len)
{
	b.failures++;
	if (b.failures > MAX_ERR_LOGS)
		return;
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		len--;
	if (status == 0)
		fprintf(stderr, "api_bench: %s: %.*s\n", what, (int)len, body);
	else
		fprintf(stderr, "api_bench: %s: status %d %.*s\n", what, status,
			(int)(len > 300 ? 300 : len), body);
}

/* POST a consumer of producer on transport; fn gets the answer. */
static void
consume(struct conn *c, const char *transport, const char *producer, hc_answer_fn fn)
{
	char path[128], body[128];

	snprintf(path, sizeof(path), "/v1/transports/%s/consumers", transport);
	snprintf(body, sizeof(body), "{\"producerId\":\"%s\"}", producer);
	hc_request(&c->h, "POST", path, body, fn);
}

static void
close_consumer(struct conn *c, const char *id, hc_answer_fn fn)
{
	char path[128];

	snprintf(path, sizeof(path), "/v1/consumers/%s", id);
	hc_request(&c->h, "DELETE", path, NULL, fn);
}

/* ---- probes: consume, first packet, close ------------------------------------------------- */

static void probe_start(struct conn *c);

static void
probe_closed(struct hc_conn *h, int status, const char *body, size_t len)
{
	struct conn *c = (struct conn *)h;

	if (status != 200)
		failure("probe: close consumer", status, body, len);
	else if (b.ph != NULL)
		b.ph->ops++;
	probe_start(c);
}

static void
probe_close(struct conn *c)
{
	c->rx->owner = NULL;
	c->step = STEP_BUSY;
	close_consumer(c, c->consumer, probe_closed);
}

static void
probe_got(struct conn *c, uint64_t real_ns)
{
	if (b.ph != NULL)
		sample_add(&b.ph->ttfp_ms, (double)(int64_t)(real_ns - c->h.sent_real_ns) / 1e6);
	probe_close(c);
}

static void
probe_created(struct hc_conn *h, int status, const char *body, size_t len)
{
	struct conn *c = (struct conn *)h;
	double ms = ms_since(h->sent_ns);
	struct rx *r = c->rx;
	json_t *j = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *enc = json_array_get(
		json_object_get(json_object_get(j, "rtpParameters"), "encodings"), 0);
	json_int_t ssrc = json_integer_value(json_object_get(enc, "ssrc"));
	const char *id = json_string_value(json_object_get(j, "id"));
	unsigned int i;

	if (id == NULL || ssrc <= 0 || ssrc > UINT32_MAX) {
		failure("probe: create consumer", status, body, len);
		json_decref(j);
		r->owner = NULL;
		probe_start(c);
		return;
	}
	if (b.ph != NULL)
		sample_add(&b.ph->probe_call_ms, ms);
	snprintf(c->consumer, sizeof(c->consumer), "%s", id);
	json_decref(j);
	r->want_ssrc = (uint32_t)ssrc;
	for (i = 0; i < r->n_seen; i++)
		if (r->seen_ssrc[i] == r->want_ssrc) {
			probe_got(c, r->seen_real_ns[i]);
			return;
		}
	c->step = STEP_PACKET;
	c->pkt_deadline_ns = hc_now_ns() + PKT_TIMEOUT_NS;
}

static void
probe_start(struct conn *c)
{
	struct rx *r;

	if (!b.running || b.probe_budget == 0) {
		c->step = STEP_DONE;
		return;
	}
	b.probe_budget--;
	r = &b.rxs[b.next_rx++ % b.n_rx];
	c->rx = r;
	r->owner = c;
	r->want_ssrc = 0;
	r->n_seen = 0;
	r->since_real_ns = hc_real_ns();
	c->step = STEP_BUSY;
	consume(c, r->transport, b.live, probe_created);
}

/* Drain a receiver; the first packet of the awaited SSRC ends the probe's wait. */
static void
rx_readable(struct rx *r)
{
	uint8_t buf[2048];
	uint64_t t;
	ssize_t n;

	while ((n = mio_recv(r->fd, buf, sizeof(buf), &t)) >= 0) {
		uint32_t ssrc;
		unsigned int i;

		if (n < 12 || (buf[0] >> 6) != 2 || r->owner == NULL || t < r->since_real_ns)
			continue;
		memcpy(&ssrc, buf + 8, 4);
		ssrc = ntohl(ssrc);
		if (r->want_ssrc != 0) {
			if (ssrc == r->want_ssrc && r->owner->step == STEP_PACKET)
				probe_got(r->owner, t);
			continue;
		}
		for (i = 0; i < r->n_seen && r->seen_ssrc[i] != ssrc; i++)
			;
		if (i == r->n_seen && i < MAX_SEEN) {
			r->seen_ssrc[i] = ssrc;
			r->seen_real_ns[i] = t;
			r->n_seen++;
		}
	}
}

/* ---- install and churn -------------------------------------------------------------------- */

static void install_next(struct conn *c);
static void churn_next(struct conn *c);

static void
installed(struct hc_conn *h, int status, const char *body, size_t len)
{
	if (status == 200)
		b.installed++;
	else
		failure("install consumer", status, body, len);
	install_next((struct conn *)h);
}

static void
install_next(struct conn *c)
{
	if (c->left == 0) {
		c->step = STEP_DONE;
		return;
	}
	c->left--;
	c->step = STEP_BUSY;
	consume(c, b.sinks[c->index++ % b.n_sinks], b.idle, installed);
}

static void
churn_closed(struct hc_conn *h, int status, const char *body, size_t len)
{
	if (status == 200) {
		sample_add(&b.ph->close_ms, ms_since(h->sent_ns));
		b.ph->ops++;
	} else {
		failure("churn: close consumer", status, body, len);
	}
	churn_next((struct conn *)h);
}

static void
churn_created(struct hc_conn *h, int status, const char *body, size_t len)
{
	struct conn *c = (struct conn *)h;
	double ms = ms_since(h->sent_ns);
	json_t *j = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
	const char *id = json_string_value(json_object_get(j, "id"));

	if (id == NULL) {
		failure("churn: create consumer", status, body, len);
		churn_next(c);
	} else {
		sample_add(&b.ph->create_ms, ms);
		close_consumer(c, id, churn_closed);
	}
	json_decref(j);
}

static void
churn_next(struct conn *c)
{
	if (!b.running) {
		c->step = STEP_DONE;
		return;
	}
	c->step = STEP_BUSY;
	consume(c, b.sinks[c->index++ % b.n_sinks], b.idle, churn_created);
}

/* ---- the loop ----------------------------------------------------------------------------- */

static bool
all_done(void)
{
	unsigned int i;

	for (i = 0; i <= b.n_conns; i++)
		if (b.conns[i].h.busy || b.conns[i].step == STEP_PACKET)
			return false;
	return true;
}

/* Serve I/O until done() holds; with until_ns, stop starting new operations then. */
static void
run(bool (*done)(void), uint64_t until_ns)
{
	struct epoll_event evs[64];

	while (!done()) {
		int n = epoll_wait(b.srv.ep, evs, 64, 2), i;
		uint64_t now;
		unsigned int k;

		for (i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (p >= (void *)b.conns && p <= (void *)&b.conns[b.n_conns])
				hc_event(p, evs[i].events);
			else
				rx_readable(p);
		}
		now = hc_now_ns();
		for (k = 0; k <= b.n_conns; k++) {
			struct conn *c = &b.conns[k];

			hc_check(&c->h, now, REQ_TIMEOUT_NS);
			if (c->step == STEP_PACKET && now > c->pkt_deadline_ns) {
				b.ttfp_timeouts += b.ph != NULL;
				probe_close(c);
			}
		}
		if (until_ns != 0 && now >= until_ns)
			b.running = false;
	}
}

static bool
conn0_done(void)
{
	return !b.conns[0].h.busy;
}

static void
sync_answer(struct hc_conn *h, int status, const char *body, size_t len)
{
	struct conn *c = (struct conn *)h;

	c->result = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
	if (c->result == NULL)
		fprintf(stderr, "api_bench: answer %d: %.*s\n", status, (int)len, body);
}

/* A set-up call on connection 0, waited for: the parsed 200 answer, or exit. */
static json_t *
call(const char *method, const char *path, json_t *body)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	hc_request(&b.conns[0].h, method, path, text, sync_answer);
	free(text);
	run(conn0_done, 0);
	if (b.conns[0].result == NULL)
		die("set-up call %s %s failed", method, path);
	return b.conns[0].result;
}

/* A transport in room "bench": its id, and optionally its local address. */
static void
transport_new(json_t *body, char id[64], char *ip, size_t ip_len, uint16_t *port)
{
	json_t *t = call("POST", "/v1/rooms/bench/transports", body);
	json_t *tuple = json_object_get(t, "tuple");
	const char *s = json_string_value(json_object_get(t, "id"));

	if (s == NULL || (ip != NULL && !json_is_string(json_object_get(tuple, "localIp"))))
		die("transport answer without id or tuple");
	snprintf(id, 64, "%s", s);
	if (ip != NULL)
		snprintf(ip, ip_len, "%s", json_string_value(json_object_get(tuple, "localIp")));
	if (port != NULL)
		*port = (uint16_t)json_integer_value(json_object_get(tuple, "localPort"));
	json_decref(t);
}

static void
transport_connect(const char *id, const char *ip, unsigned int port)
{
	char path[128];

	snprintf(path, sizeof(path), "/v1/transports/%s/connect", id);
	json_decref(call("POST", path, json_pack("{s:s,s:i}", "ip", ip, "port", (int)port)));
}

static void
producer_new(const char *transport, uint32_t ssrc, char id[64])
{
	char path[128];
	json_t *p;

	snprintf(path, sizeof(path), "/v1/transports/%s/producers", transport);
	p = call("POST", path,
		 json_pack("{s:s,s:{s:[{s:s,s:i,s:i}],s:[{s:I}],s:{s:s}}}", "kind", "video",
			   "rtpParameters", "codecs", "mimeType", "video/VP8", "payloadType", 96,
			   "clockRate", 90000, "encodings", "ssrc", (json_int_t)ssrc, "rtcp",
			   "cname", "api-bench"));
	if (!json_is_string(json_object_get(p, "id")))
		die("producer answer without id");
	snprintf(id, 64, "%s", json_string_value(json_object_get(p, "id")));
	json_decref(p);
}

/* ---- phases ------------------------------------------------------------------------------- */

/* The producers and the sinks; with peer_ip the media sockets and the probe transports. */
static void
setup(const char *peer_ip, const char *netns, struct mio_sender *snd)
{
	struct sockaddr_in dst = {.sin_family = AF_INET};
	char live_t[64], idle_t[64], media_ip[64];
	uint16_t live_port;
	unsigned int i;
	int back = -1, rc;

	transport_new(json_pack("{s:b}", "comedia", 1), live_t, media_ip, sizeof(media_ip),
		      &live_port);
	producer_new(live_t, LIVE_SSRC, b.live);
	transport_new(json_pack("{s:b}", "comedia", 1), idle_t, NULL, 0, NULL);
	producer_new(idle_t, IDLE_SSRC, b.idle);
	b.sinks = calloc(b.n_sinks, sizeof(*b.sinks));
	if (b.sinks == NULL)
		die("out of memory");
	for (i = 0; i < b.n_sinks; i++) {
		transport_new(json_object(), b.sinks[i], NULL, 0, NULL);
		if (peer_ip != NULL)
			transport_connect(b.sinks[i], peer_ip, SINK_PORT_BASE + i);
	}
	if (peer_ip == NULL)
		return;

	/* the media sockets live in the peer's namespace; the API connections stay here */
	if (netns != NULL && (rc = mio_netns_enter(netns, &back)) < 0)
		die("--netns %s: %s", netns, strerror(-rc));
	b.n_rx = N_PROBE_RX;
	for (i = 0; i <= b.n_rx; i++) {
		int fd = mio_udp_socket(peer_ip, i < b.n_rx ? &b.rxs[i].port : NULL);

		if (fd < 0)
			die("UDP socket on --peer-ip %s: %s", peer_ip, strerror(-fd));
		*(i < b.n_rx ? &b.rxs[i].fd : &snd->fd) = fd;
	}
	if (back >= 0 && (rc = mio_netns_leave(back)) < 0)
		die("cannot return to the first network namespace: %s", strerror(-rc));
	dst.sin_port = htons(live_port);
	if (inet_pton(AF_INET, media_ip, &dst.sin_addr) != 1 ||
	    connect(snd->fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		die("sender: connect %s:%u: %s", media_ip, live_port, strerror(errno));
	for (i = 0; i < b.n_rx; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &b.rxs[i]};

		transport_new(json_object(), b.rxs[i].transport, NULL, 0, NULL);
		transport_connect(b.rxs[i].transport, peer_ip, b.rxs[i].port);
		if (epoll_ctl(b.srv.ep, EPOLL_CTL_ADD, b.rxs[i].fd, &ev) < 0)
			die("epoll: %s", strerror(errno));
	}
}

/* n consumers of the idle producer over all connections; the seconds it took. */
static double
install(unsigned int n)
{
	uint64_t t0 = hc_now_ns();
	unsigned int i;

	for (i = 0; i < b.n_conns; i++) {
		b.conns[i].left = n / b.n_conns + (i < n % b.n_conns ? 1 : 0);
		b.conns[i].index = i * (b.n_sinks / b.n_conns + 1);
		install_next(&b.conns[i]);
	}
	run(all_done, 0);
	return (double)(hc_now_ns() - t0) / 1e9;
}

/* n probes one after another on the probing connection, recorded in ph (NULL: not). */
static void
probes_alone(unsigned int n, struct phase *ph)
{
	b.running = true;
	b.probe_budget = n;
	b.ph = ph;
	probe_start(&b.conns[b.n_conns]);
	run(all_done, 0);
}

/* Create + close on every connection (and probes on one more) for s seconds. */
static void
churn(unsigned int s, bool probing, struct phase *ph)
{
	uint64_t t0 = hc_now_ns();
	unsigned int i;

	b.running = true;
	b.probe_budget = probing ? UINT32_MAX : 0;
	b.ph = ph;
	for (i = 0; i < b.n_conns; i++)
		churn_next(&b.conns[i]);
	if (probing)
		probe_start(&b.conns[b.n_conns]);
	run(all_done, t0 + (uint64_t)s * 1000000000ull);
	ph->seconds = (double)(hc_now_ns() - t0) / 1e9;
}

/* ---- main --------------------------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr,
		"usage: api_bench URL TOKEN [--consumers N] [--seconds S] [--conns C] [--sinks K]\n"
		"                 [--peer-ip IP [--netns NAME] [--pps R] [--pkt-bytes B] "
		"[--probes P]]\n");
	exit(2);
}

static json_t *
per_s(double n, double seconds)
{
	return seconds > 0 ? json_integer(llround(n / seconds)) : json_null();
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"consumers", required_argument, NULL, 'n'},
		{"seconds", required_argument, NULL, 's'},
		{"conns", required_argument, NULL, 'c'},
		{"sinks", required_argument, NULL, 'k'},
		{"peer-ip", required_argument, NULL, 'p'},
		{"netns", required_argument, NULL, 'N'},
		{"pps", required_argument, NULL, 'r'},
		{"pkt-bytes", required_argument, NULL, 'b'},
		{"probes", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0},
	};
	struct mio_sender snd = {.fd = -1, .pps = 20000, .bytes = 200, .ssrc = LIVE_SSRC, .pt = 96};
	unsigned int consumers = 10000, seconds = 5, probes = 500, i;
	static struct phase idle, alone, media;
	const char *peer_ip = NULL, *netns = NULL;
	uint64_t n_answers;
	double install_s;
	char client[160];
	json_t *out;
	int o, ep;

	b.n_conns = 8;
	b.n_sinks = 100;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			consumers = num("--consumers", optarg, 0, 1000000);
			break;
		case 's':
			seconds = num("--seconds", optarg, 1, 3600);
			break;
		case 'c':
			b.n_conns = num("--conns", optarg, 1, MAX_CONNS);
			break;
		case 'k':
			b.n_sinks = num("--sinks", optarg, 1, 10000);
			break;
		case 'p':
			peer_ip = optarg;
			break;
		case 'N':
			netns = optarg;
			break;
		case 'r':
			snd.pps = num("--pps", optarg, 100, 1000000);
			break;
		case 'b':
			snd.bytes = num("--pkt-bytes", optarg, 12, 1400);
			break;
		case 'P':
			probes = num("--probes", optarg, 1, 1000000);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll: %s", strerror(errno));
	if (hc_server_init(&b.srv, argv[optind], argv[optind + 1], ep) < 0)
		exit(2);
	for (i = 0; i <= b.n_conns; i++)
		hc_conn_init(&b.conns[i].h, &b.srv);

	setup(peer_ip, netns, &snd);
	install_s = install(consumers);
	fprintf(stderr, "api_bench: %" PRIu64 " of %u consumers installed in %.2f s\n", b.installed,
		consumers, install_s);
	churn(seconds, false, &idle);
	fprintf(stderr, "api_bench: %" PRIu64 " create+close in %.2f s, no media\n", idle.ops,
		idle.seconds);
	if (peer_ip != NULL) {
		int rc = mio_sender_start(&snd);

		if (rc < 0)
			die("cannot start the sender: %s", strerror(-rc));
		probes_alone(WARMUP_PROBES, NULL);
		probes_alone(probes, &alone);
		fprintf(stderr, "api_bench: %zu probes alone\n", alone.ttfp_ms.n);
		churn(seconds, true, &media);
		fprintf(stderr,
			"api_bench: %" PRIu64 " create+close in %.2f s with media, %zu probes\n",
			media.ops, media.seconds, media.ttfp_ms.n);
		mio_sender_stop(&snd);
	}

	out = json_object();
	put(out, "api_install_consumers", json_integer((json_int_t)b.installed));
	put(out, "api_install_per_s", per_s((double)b.installed, install_s));
	put(out, "api_create_close_ops_per_s", per_s((double)idle.ops, idle.seconds));
	samples_put_pct(out, "api_consume_call_ms", &idle.create_ms, 1000.0);
	samples_put_pct(out, "api_close_call_ms", &idle.close_ms, 1000.0);
	if (peer_ip != NULL) {
		samples_put_pct(out, "api_ttfp_ms", &alone.ttfp_ms, 1000.0);
		samples_put_pct(out, "api_ttfp_consume_call_ms", &alone.probe_call_ms, 1000.0);
		put(out, "api_ttfp_samples", json_integer((json_int_t)alone.ttfp_ms.n));
		put(out, "api_media_create_close_ops_per_s",
		    per_s((double)media.ops, media.seconds));
		samples_put_pct(out, "api_media_consume_call_ms", &media.create_ms, 1000.0);
		samples_put_pct(out, "api_media_ttfp_ms", &media.ttfp_ms, 1000.0);
		put(out, "api_media_ttfp_samples", json_integer((json_int_t)media.ttfp_ms.n));
		put(out, "api_ttfp_timeouts", json_integer((json_int_t)b.ttfp_timeouts));
		put(out, "api_sender_pps",
		    per_s((double)snd.sent, (double)(snd.stop_ns - snd.start_ns) / 1e9));
		put(out, "api_sender_errors", json_integer((json_int_t)snd.errors));
	}
	for (i = 0, n_answers = 0; i <= b.n_conns; i++)
		n_answers += b.conns[i].h.n_answers;
	put(out, "api_requests", json_integer((json_int_t)n_answers));
	put(out, "api_failures", json_integer((json_int_t)b.failures));
	snprintf(client, sizeof(client), "C, epoll, %u keep-alive connections%s", b.n_conns,
		 peer_ip != NULL ? " (+1 probing with media)" : "");
	put(out, "api_client", json_string(client));
	json_dumpf(out, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
	putchar('\n');
	json_decref(out);
	if (b.failures > 0)
		fprintf(stderr, "api_bench: %" PRIu64 " requests failed\n", b.failures);
	return 0;
}
