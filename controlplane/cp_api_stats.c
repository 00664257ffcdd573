/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters for people and for Prometheus: GET /v1/stats (JSON) and GET
 * /metrics (text exposition format 0.0.4). Both read the dataplane's shared
 * segment directly (per-lcore blocks summed, see include/cascade/counters.h),
 * never through the command ring, so they cost the dataplane nothing. Metric
 * and drop-reason names come from the same X-macro lists as the dataplane's.
 * Pipe objects are shown here, read-only: a piped-in producer and a pipe
 * consumer carry the room of the producer they forward.
 *
 * Layer: api.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "cp.h"
#include "cp_cluster.h"
#include "cp_dp.h"
#include "cp_http.h"
#include "cp_peer.h"
#include "cp_pipe.h"
#include "cp_redis.h"

/* ---- GET /v1/stats --------------------------------------------------------------------------- */

static json_t *
obj_stats(const struct cascade_seg *seg, uint64_t off, uint32_t max, uint32_t slot)
{
	struct cascade_obj_stats s;

	memset(&s, 0, sizeof(s));
	if (slot < max)
		cascade_seg_obj_stats(seg, off, max, slot, &s);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "rxPackets", (json_int_t)s.rx_pkts,
			 "rxBytes", (json_int_t)s.rx_bytes, "txPackets", (json_int_t)s.tx_pkts,
			 "txBytes", (json_int_t)s.tx_bytes, "rtcpPackets", (json_int_t)s.rtcp_pkts,
			 "dropPackets", (json_int_t)s.drop_pkts);
}

struct walk {
	const struct cascade_seg *seg;
	json_t *list;
	struct evbuffer *buf;
	const char *node;
	int family; /* which metric family a text walk prints */
};

static void
stats_t(struct cp_transport *t, void *arg)
{
	struct walk *w = arg;
	json_t *o = obj_stats(w->seg, w->seg->lay.transport_stats_off, w->seg->lay.max_transports,
			      t->slot);

	json_object_set_new(o, "id", json_string(t->id));
	json_object_set_new(o, "room", json_string(t->room));
	json_object_set_new(o, "pipe", json_boolean(t->pipe));
	json_array_append_new(w->list, o);
}

static void
stats_p(struct cp_producer *p, void *arg)
{
	struct walk *w = arg;
	json_t *o = obj_stats(w->seg, w->seg->lay.producer_stats_off, w->seg->lay.max_producers,
			      p->slot);

	json_object_set_new(o, "id", json_string(p->id));
	json_object_set_new(o, "transportId", json_string(p->t->id));
	json_object_set_new(o, "room", json_string(p->room));
	json_object_set_new(o, "node", json_string(p->node));
	json_object_set_new(o, "pipe", json_boolean(p->pipe));
	/* keyframe requests sent to its sender, merged (mediasoup's names) */
	json_object_set_new(o, "pliCount", json_integer((json_int_t)p->pli_count));
	json_object_set_new(o, "firCount", json_integer((json_int_t)p->fir_count));
	json_array_append_new(w->list, o);
}

/* Milliseconds since the Unix epoch of a CLOCK_MONOTONIC instant (cascade_now_ns) in the past. */
static json_int_t
epoch_ms(uint64_t mono_ns)
{
	uint64_t now = cascade_now_ns(), age = now > mono_ns ? now - mono_ns : 0;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - (json_int_t)(age / 1000000);
}

/*
 * What the consumer's receiver last reported (its RR's report block, read by
 * the dataplane), and what its transport-cc feedback made of the path to it
 * (the estimate of its transport: availableBitrate in bit/s, twccFeedbacks
 * read): null before either; rttMs null until a report echoed an SR Cascade
 * sent it; the report's fields absent before the first report, the
 * estimate's before the first feedback.
 */
static json_t *
consumer_rtcp(const struct cascade_seg *seg, const struct cp_consumer *c)
{
	struct cascade_consumer_rtcp r;
	struct cascade_transport_twcc tw;
	bool has_rr = cascade_seg_consumer_rtcp(seg, c->slot, &r);
	bool has_tw = cascade_seg_transport_twcc(seg, c->t->slot, &tw);
	json_t *o;

	if (!has_rr && !has_tw)
		return json_null();
	o = has_rr ? json_pack("{s:f,s:I,s:f,s:o,s:I}", "fractionLost", r.fraction_lost / 256.0,
			       "packetsLost", (json_int_t)r.cum_lost, "jitterMs",
			       (double)cascade_jitter_us(r.jitter, r.clock_rate) / 1000.0, "rttMs",
			       r.rtts != 0 ? json_real(r.rtt_us / 1000.0) : json_null(),
			       "reportedAt", epoch_ms(r.reported_ns))
		   : json_object();
	if (o != NULL && has_tw) {
		json_object_set_new(o, "availableBitrate", json_integer((json_int_t)tw.available_bps));
		json_object_set_new(o, "twccFeedbacks", json_integer((json_int_t)tw.feedbacks));
	}
	return o != NULL ? o : json_null();
}

static void
stats_c(struct cp_consumer *c, void *arg)
{
	struct walk *w = arg;
	json_t *o = obj_stats(w->seg, w->seg->lay.consumer_stats_off, w->seg->lay.max_consumers,
			      c->slot);

	json_object_set_new(o, "id", json_string(c->id));
	json_object_set_new(o, "producerId", json_string(c->p->id));
	json_object_set_new(o, "room", json_string(c->p->room));
	if (c->pipe_node[0] != '\0')
		json_object_set_new(o, "pipeTo", json_string(c->pipe_node));
	json_object_set_new(o, "rtcp", consumer_rtcp(w->seg, c));
	json_array_append_new(w->list, o);
}

static void
get_stats(struct evhttp_request *req, const struct cp_args *args)
{
	const struct cascade_seg *seg = cp_dp_seg();
	struct cascade_lcore_stats s;
	struct walk w;
	json_t *node, *drops, *out;
	unsigned int i;

	(void)args;
	if (seg == NULL) {
		cp_http_fail(req, -ENOTCONN, "dataplane not running");
		return;
	}
	cascade_seg_lcore_stats(seg, &s);
	node = json_object();
	drops = json_object();
	for (i = 0; i < CASCADE_LC_MAX; i++)
		json_object_set_new(node, cascade_lcore_ctr_name(i), json_integer((json_int_t)s.ctr[i]));
	for (i = 0; i < CASCADE_DROP_MAX; i++)
		json_object_set_new(drops, cascade_drop_name(i), json_integer((json_int_t)s.drop[i]));
	json_object_set_new(node, "drops", drops);
	json_object_set_new(node, "dataplaneEvents", json_integer((json_int_t)cp_dp_events()));
	json_object_set_new(node, "dataplaneEventsRefused",
			    json_integer((json_int_t)cp_dp_bad_events()));
	out = json_pack("{s:o}", "node", node);
	w.seg = seg;
	w.list = json_array();
	cp_registry_each_transport(stats_t, &w);
	json_object_set_new(out, "transports", w.list);
	w.list = json_array();
	cp_registry_each_producer(stats_p, &w);
	json_object_set_new(out, "producers", w.list);
	w.list = json_array();
	cp_registry_each_consumer(stats_c, &w);
	json_object_set_new(out, "consumers", w.list);
	json_object_set_new(out, "pipes", cp_pipe_stats());
	cp_http_json(req, 200, out);
}

/* ---- GET /metrics ---------------------------------------------------------------------------- */

static void
family(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

enum { F_RX_PKTS, F_RX_BYTES, F_TX_PKTS, F_TX_BYTES, F_DROPS, F_MAX };

static const struct {
	const char *suffix, *help;
} obj_families[F_MAX] = {
	[F_RX_PKTS] = {"rx_packets_total", "packets received"},
	[F_RX_BYTES] = {"rx_bytes_total", "bytes received"},
	[F_TX_PKTS] = {"tx_packets_total", "packets sent"},
	[F_TX_BYTES] = {"tx_bytes_total", "bytes sent"},
	[F_DROPS] = {"drop_packets_total", "packets dropped on egress"},
};

static uint64_t
pick(const struct cascade_obj_stats *s, int f)
{
	switch (f) {
	case F_RX_PKTS:
		return s->rx_pkts;
	case F_RX_BYTES:
		return s->rx_bytes;
	case F_TX_PKTS:
		return s->tx_pkts;
	case F_TX_BYTES:
		return s->tx_bytes;
	default:
		return s->drop_pkts;
	}
}

static void
read_stats(const struct cascade_seg *seg, uint64_t off, uint32_t max, uint32_t slot,
	   struct cascade_obj_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (slot < max)
		cascade_seg_obj_stats(seg, off, max, slot, s);
}

static void
metric_t(struct cp_transport *t, void *arg)
{
	struct walk *w = arg;
	struct cascade_obj_stats s;

	read_stats(w->seg, w->seg->lay.transport_stats_off, w->seg->lay.max_transports, t->slot, &s);
	evbuffer_add_printf(w->buf,
			    "cascade_transport_%s{node=\"%s\",room=\"%s\",transport=\"%s\"} %" PRIu64
			    "\n",
			    obj_families[w->family].suffix, w->node, t->room, t->id,
			    pick(&s, w->family));
}

static void
metric_p(struct cp_producer *p, void *arg)
{
	struct walk *w = arg;
	struct cascade_obj_stats s;

	read_stats(w->seg, w->seg->lay.producer_stats_off, w->seg->lay.max_producers, p->slot, &s);
	evbuffer_add_printf(w->buf,
			    "cascade_producer_%s{node=\"%s\",room=\"%s\",producer=\"%s\",kind=\"%s\"} "
			    "%" PRIu64 "\n",
			    obj_families[w->family].suffix, w->node, p->room, p->id,
			    cp_kind_name(p->kind), pick(&s, w->family));
}

static void
metric_c(struct cp_consumer *c, void *arg)
{
	struct walk *w = arg;
	struct cascade_obj_stats s;

	read_stats(w->seg, w->seg->lay.consumer_stats_off, w->seg->lay.max_consumers, c->slot, &s);
	evbuffer_add_printf(w->buf,
			    "cascade_consumer_%s{node=\"%s\",room=\"%s\",consumer=\"%s\",producer=\"%s\"} "
			    "%" PRIu64 "\n",
			    obj_families[w->family].suffix, w->node, c->p->room, c->id, c->p->id,
			    pick(&s, w->family));
}

/* What consumers' receivers report (RFC 3550 6.4.1), for those that have reported. */
enum { R_FRACTION, R_JITTER, R_RTT, R_LOST, R_AVAILABLE, R_TWCC, R_MAX };

static const struct {
	const char *name, *type, *help;
} rtcp_families[R_MAX] = {
	[R_FRACTION] = {"cascade_consumer_fraction_lost", "gauge",
			"fraction of packets lost in the receiver's last report interval (0-1)"},
	[R_JITTER] = {"cascade_consumer_jitter_seconds", "gauge",
		      "interarrival jitter the receiver last reported"},
	[R_RTT] = {"cascade_consumer_rtt_seconds", "gauge",
		   "round trip to the receiver, from its last report that echoed a sender report"},
	[R_LOST] = {"cascade_consumer_packets_lost_total", "counter",
		    "packets the receiver reports lost in all (its cumulative count)"},
	[R_AVAILABLE] = {"cascade_consumer_available_bitrate", "gauge",
			 "bit/s the path to the receiver can take, estimated from its transport's "
			 "transport-cc feedback"},
	[R_TWCC] = {"cascade_consumer_twcc_feedbacks_total", "counter",
		    "transport-cc feedback packets read from the receiver's transport"},
};

static void
metric_rtcp(struct cp_consumer *c, void *arg)
{
	struct walk *w = arg;
	struct cascade_consumer_rtcp r;
	struct cascade_transport_twcc tw;
	char v[32];

	if (w->family == R_AVAILABLE || w->family == R_TWCC) {
		if (!cascade_seg_transport_twcc(w->seg, c->t->slot, &tw))
			return;
		snprintf(v, sizeof(v), "%" PRIu64,
			 w->family == R_AVAILABLE ? tw.available_bps : tw.feedbacks);
	} else if (!cascade_seg_consumer_rtcp(w->seg, c->slot, &r)) {
		return;
	}
	switch (w->family) {
	case R_AVAILABLE:
	case R_TWCC:
		break;
	case R_FRACTION:
		snprintf(v, sizeof(v), "%.6g", r.fraction_lost / 256.0);
		break;
	case R_JITTER:
		snprintf(v, sizeof(v), "%.6g",
			 (double)cascade_jitter_us(r.jitter, r.clock_rate) / 1e6);
		break;
	case R_RTT:
		if (r.rtts == 0)
			return;
		snprintf(v, sizeof(v), "%.6g", r.rtt_us / 1e6);
		break;
	default:
		/* RFC 3550 A.3: duplicates can make it negative; a counter is not */
		snprintf(v, sizeof(v), "%" PRId32, r.cum_lost > 0 ? r.cum_lost : 0);
		break;
	}
	evbuffer_add_printf(w->buf,
			    "%s{node=\"%s\",room=\"%s\",consumer=\"%s\",producer=\"%s\"} %s\n",
			    rtcp_families[w->family].name, w->node, c->p->room, c->id, c->p->id, v);
}

static void
metric_kf(struct cp_producer *p, void *arg)
{
	struct walk *w = arg;
	static const char *const type[2] = {"pli", "fir"};
	const uint64_t n[2] = {p->pli_count, p->fir_count};
	unsigned int i;

	for (i = 0; i < 2; i++)
		evbuffer_add_printf(w->buf,
				    "cascade_producer_keyframe_requests_total{node=\"%s\",room=\"%s\","
				    "producer=\"%s\",kind=\"%s\",type=\"%s\"} %" PRIu64 "\n",
				    w->node, p->room, p->id, cp_kind_name(p->kind), type[i], n[i]);
}

/* What the cluster refused to trust: records from Redis, calls out and in. */
static void
metrics_trust(struct evbuffer *b, const char *node_id)
{
	unsigned int i;

	family(b, "cascade_cluster_records_refused_total", "counter",
	       "records and room messages read from Redis and refused, by reason");
	for (i = 0; i < CP_REFUSED_MAX; i++)
		evbuffer_add_printf(b,
				    "cascade_cluster_records_refused_total{node=\"%s\",reason=\"%s\"} "
				    "%" PRIu64 "\n",
				    node_id, cp_cluster_refusal_name(i), cp_cluster_refused_count(i));
	family(b, "cascade_peer_calls_refused_total", "counter",
	       "calls to other nodes not made, by reason (network: outside cluster.peer_networks)");
	evbuffer_add_printf(b,
			    "cascade_peer_calls_refused_total{node=\"%s\",reason=\"network\"} %" PRIu64
			    "\n",
			    node_id, cp_peer_refused());
	family(b, "cascade_peer_auth_refused_total", "counter",
	       "inter-node calls refused (401), by reason");
	for (i = 0; i < CP_PEER_AUTH_MAX; i++)
		evbuffer_add_printf(b,
				    "cascade_peer_auth_refused_total{node=\"%s\",reason=\"%s\"} %" PRIu64
				    "\n",
				    node_id, cp_http_peer_refusal_name(i), cp_http_peer_refused(i));
}

static void
get_metrics(struct evhttp_request *req, const struct cp_args *args)
{
	const struct cascade_seg *seg = cp_dp_seg();
	const char *node_id = cp_api_cfg()->node_id;
	struct evbuffer *b = evbuffer_new();
	struct cascade_lcore_stats s;
	struct walk w = {.seg = seg, .node = node_id};
	char name[96];
	unsigned int i;
	int f;

	(void)args;
	if (b == NULL) {
		cp_http_fail(req, -ENOMEM, "out of memory");
		return;
	}
	family(b, "cascade_dataplane_up", "gauge", "1 when the dataplane is attached and alive");
	evbuffer_add_printf(b, "cascade_dataplane_up{node=\"%s\"} %d\n", node_id, seg != NULL);
	if (cp_cluster_enabled()) {
		family(b, "cascade_redis_up", "gauge", "1 when both Redis connections are up");
		evbuffer_add_printf(b, "cascade_redis_up{node=\"%s\"} %d\n", node_id,
				    cp_redis_up());
		family(b, "cascade_redis_auth_failures_total", "counter",
		       "times Redis refused the node's credentials");
		evbuffer_add_printf(b,
				    "cascade_redis_auth_failures_total{node=\"%s\"} %" PRIu64 "\n",
				    node_id, cp_redis_auth_failures());
	}
	if (seg != NULL) {
		cascade_seg_lcore_stats(seg, &s);
		for (i = 0; i < CASCADE_LC_MAX; i++) {
			if (i == CASCADE_LC_DROP_PKTS)
				continue; /* the sum of cascade_drops_total */
			snprintf(name, sizeof(name), "cascade_%s_total", cascade_lcore_ctr_name(i));
			family(b, name, "counter", cascade_lcore_ctr_help(i));
			evbuffer_add_printf(b, "%s{node=\"%s\"} %" PRIu64 "\n", name, node_id, s.ctr[i]);
		}
		family(b, "cascade_drops_total", "counter", "packets dropped, by reason");
		for (i = 0; i < CASCADE_DROP_MAX; i++)
			evbuffer_add_printf(b, "cascade_drops_total{node=\"%s\",reason=\"%s\"} %" PRIu64
					       "\n",
					    node_id, cascade_drop_name(i), s.drop[i]);
		w.buf = b;
		for (f = 0; f < F_MAX; f++) {
			w.family = f;
			if (f != F_DROPS) {
				snprintf(name, sizeof(name), "cascade_transport_%s", obj_families[f].suffix);
				family(b, name, "counter", obj_families[f].help);
				cp_registry_each_transport(metric_t, &w);
			}
			if (f == F_RX_PKTS || f == F_RX_BYTES) {
				snprintf(name, sizeof(name), "cascade_producer_%s", obj_families[f].suffix);
				family(b, name, "counter", obj_families[f].help);
				cp_registry_each_producer(metric_p, &w);
			} else {
				snprintf(name, sizeof(name), "cascade_consumer_%s", obj_families[f].suffix);
				family(b, name, "counter", obj_families[f].help);
				cp_registry_each_consumer(metric_c, &w);
			}
		}
		for (f = 0; f < R_MAX; f++) {
			w.family = f;
			family(b, rtcp_families[f].name, rtcp_families[f].type,
			       rtcp_families[f].help);
			cp_registry_each_consumer(metric_rtcp, &w);
		}
		family(b, "cascade_producer_keyframe_requests_total", "counter",
		       "keyframe requests sent to the producer's sender (merged), by type");
		cp_registry_each_producer(metric_kf, &w);
		family(b, "cascade_dataplane_events_total", "counter",
		       "events read from the dataplane, by whether they were accepted");
		evbuffer_add_printf(b,
				    "cascade_dataplane_events_total{node=\"%s\",result=\"accepted\"} %" PRIu64
				    "\n"
				    "cascade_dataplane_events_total{node=\"%s\",result=\"refused\"} %" PRIu64
				    "\n",
				    node_id, cp_dp_events(), node_id, cp_dp_bad_events());
	}
	metrics_trust(b, node_id);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static const struct cp_route routes[] = {
	{EVHTTP_REQ_GET, "/v1/stats", get_stats, CP_AUTH_APP},
	{EVHTTP_REQ_GET, "/metrics", get_metrics, CP_AUTH_METRICS},
};

int
cp_api_stats_routes(struct cp_router *r)
{
	return cp_router_add(r, routes, sizeof(routes) / sizeof(routes[0]));
}
