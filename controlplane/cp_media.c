/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Producers and consumers, in mediasoup's JSON shapes. A producer's
 * rtpParameters are checked whole (codecs with unique payload types of its
 * kind, one encoding with an SSRC, header extension ids 1..14) before anything
 * is sent to the dataplane. A consumer is negotiated against the receiver's
 * rtpCapabilities the way mediasoup does it: each producer codec the receiver
 * supports (same MIME type, clock rate and channels) is kept under the
 * receiver's preferred payload type, header extensions it knows are renumbered
 * to its preferred ids, the SSRC is new; the answer is the rtpParameters the
 * receiver must use. RTX and simulcast are not offered yet.
 *
 * As for transports, an object is in the registry only between the
 * dataplane's acknowledgement of its creation and of its removal.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "cp_cluster.h"
#include "cp_map.h"
#include "cp_objects.h"

#define DP_TIMEOUT_MS 2000

static struct {
	struct cp_map producers;
	struct cp_map consumers;
} m;

int
cp_media_init(void)
{
	return 0;
}

struct each_ctx {
	void (*pfn)(const struct cp_producer *, void *);
	void (*cfn)(const struct cp_consumer *, void *);
	void *arg;
};

static void
each_p(const char *k, void *v, void *arg)
{
	struct each_ctx *e = arg;

	(void)k;
	e->pfn(v, e->arg);
}

static void
each_c(const char *k, void *v, void *arg)
{
	struct each_ctx *e = arg;

	(void)k;
	e->cfn(v, e->arg);
}

void
cp_producers_each(void (*fn)(const struct cp_producer *p, void *arg), void *arg)
{
	struct each_ctx e = {.pfn = fn, .arg = arg};

	cp_map_each(&m.producers, each_p, &e);
}

void
cp_consumers_each(void (*fn)(const struct cp_consumer *c, void *arg), void *arg)
{
	struct each_ctx e = {.cfn = fn, .arg = arg};

	cp_map_each(&m.consumers, each_c, &e);
}

static void
producer_free(struct cp_producer *p)
{
	json_decref(p->rtp);
	free(p);
}

static void
consumer_free(struct cp_consumer *c)
{
	json_decref(c->rtp);
	free(c);
}

/*
 * The RTCP feedback the producer's sender negotiated, from its codecs'
 * rtcpFeedback (mediasoup's shape: {"type","parameter"}): "nack pli", "ccm fir",
 * "nack". Entries of another shape are not feedback the dataplane sends.
 */
static uint8_t
feedback_of(const json_t *rtp)
{
	const json_t *codec, *fb;
	size_t i, j;
	uint8_t out = 0;

	json_array_foreach(json_object_get(rtp, "codecs"), i, codec)
	{
		json_array_foreach(json_object_get(codec, "rtcpFeedback"), j, fb)
		{
			const char *type = json_string_value(json_object_get(fb, "type"));
			const char *param = json_string_value(json_object_get(fb, "parameter"));

			if (type == NULL)
				continue;
			if (param == NULL)
				param = "";
			if (strcmp(type, "nack") == 0 && strcmp(param, "pli") == 0)
				out |= CASCADE_FB_PLI;
			else if (strcmp(type, "ccm") == 0 && strcmp(param, "fir") == 0)
				out |= CASCADE_FB_FIR;
			else if (strcmp(type, "nack") == 0 && param[0] == '\0')
				out |= CASCADE_FB_NACK;
		}
	}
	return out;
}

void
cp_producer_add_cmd(const struct cp_producer *p, struct cascade_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->type = CASCADE_CMD_PRODUCER_ADD;
	cmd->u.producer.obj_id = p->dp_id;
	cmd->u.producer.transport_id = p->t->dp_id;
	cmd->u.producer.ssrc = p->ssrc;
	cmd->u.producer.clock_rate = p->clock_rate;
	cmd->u.producer.kind = p->kind;
	cmd->u.producer.fb = feedback_of(p->rtp);
	/* a pipe producer's pause is its source's (that node stops sending); here it is
	 * only recorded, so the dataplane never holds it paused */
	cmd->u.producer.paused = p->paused && !p->pipe;
}

void
cp_producer_free(struct cp_producer *p)
{
	producer_free(p);
}

void
cp_consumer_free(struct cp_consumer *c)
{
	consumer_free(c);
}

struct cp_producer *
cp_producer_get(const char *id)
{
	return cp_map_get(&m.producers, id);
}

struct cp_consumer *
cp_consumer_get(const char *id)
{
	return cp_map_get(&m.consumers, id);
}

unsigned int
cp_consumer_count(void)
{
	return (unsigned int)m.consumers.used;
}

/* Consumers enter and leave the registry only here: their producer counts them. */
static int
consumer_link(struct cp_consumer *c)
{
	if (cp_map_put(&m.consumers, c->id, c) < 0)
		return -ENOMEM;
	c->p->n_consumers++;
	return 0;
}

static void
consumer_unlink(struct cp_consumer *c, bool producer_going)
{
	struct cp_producer *p = c->p;

	cp_map_del(&m.consumers, c->id);
	consumer_free(c);
	if (--p->n_consumers == 0 && p->pipe && !producer_going)
		cp_pipe_idle(p); /* nobody here needs the pipe any more */
}

int
cp_media_add_producer(struct cp_producer *p)
{
	if (cp_map_put(&m.producers, p->id, p) < 0)
		return -ENOMEM;
	cp_state_dirty();
	return 0;
}

int
cp_media_add_consumer(struct cp_consumer *c)
{
	if (consumer_link(c) < 0)
		return -ENOMEM;
	cp_state_dirty();
	return 0;
}

static void
free_p(const char *k, void *v, void *a)
{
	(void)k, (void)a;
	producer_free(v);
}

static void
free_c(const char *k, void *v, void *a)
{
	(void)k, (void)a;
	consumer_free(v);
}

void
cp_media_fini(void)
{
	cp_map_each(&m.consumers, free_c, NULL);
	cp_map_each(&m.producers, free_p, NULL);
	cp_map_free(&m.consumers);
	cp_map_free(&m.producers);
}

/* ---- forgetting what the dataplane already removed ------------------------------------ */

struct collect {
	const void *match_t, *match_p;
	struct cp_ptrs items; /* out of memory: an entry stays (a stale view, never a crash) */
};

static void
collect_consumer(const char *k, void *v, void *arg)
{
	struct cp_consumer *c = v;
	struct collect *w = arg;

	(void)k;
	if ((w->match_t != NULL && c->t == w->match_t) || (w->match_p != NULL && c->p == w->match_p))
		cp_ptrs_push(&w->items, c);
}

static void
collect_producer(const char *k, void *v, void *arg)
{
	struct cp_producer *p = v;
	struct collect *w = arg;

	(void)k;
	if (p->t == w->match_t)
		cp_ptrs_push(&w->items, p);
}

/* Drop the consumers matching transport t or producer p (NULL: any). */
static void
forget_consumers(const void *t, const void *p)
{
	struct collect w = {.match_t = t, .match_p = p};
	size_t i;

	cp_map_each(&m.consumers, collect_consumer, &w);
	for (i = 0; i < w.items.n; i++)
		consumer_unlink(w.items.v[i], p != NULL);
	cp_ptrs_free(&w.items);
}

static void
forget_producer(struct cp_producer *p)
{
	if (!p->quiet)
		cp_events_publish(p->room, "producer.close",
				  json_pack("{s:s,s:s}", "id", p->id, "node", p->node));
	cp_cluster_producer_close(p);
	forget_consumers(NULL, p);
	cp_map_del(&m.producers, p->id);
	producer_free(p);
}

void
cp_media_forget_producer(struct cp_producer *p)
{
	forget_producer(p);
	cp_state_dirty();
}

void
cp_media_forget_consumer(struct cp_consumer *c)
{
	consumer_unlink(c, false);
	cp_state_dirty();
}

void
cp_media_forget_transport(const struct cp_transport *t)
{
	struct collect w = {.match_t = t};
	size_t i;

	forget_consumers(t, NULL);
	cp_map_each(&m.producers, collect_producer, &w);
	for (i = 0; i < w.items.n; i++)
		forget_producer(w.items.v[i]);
	cp_ptrs_free(&w.items);
}

/* ---- persistence (cp_state.c) ------------------------------------------------------------ */

json_t *
cp_producer_state(const struct cp_producer *p)
{
	return json_pack("{s:s,s:s,s:I,s:i,s:b,s:I,s:I,s:O,s:s,s:s,s:b}", "id", p->id, "transport",
			 p->t->id, "dp_id", (json_int_t)p->dp_id, "kind", (int)p->kind, "paused",
			 p->paused, "ssrc", (json_int_t)p->ssrc, "clock_rate",
			 (json_int_t)p->clock_rate, "rtp", p->rtp, "room", p->room, "node", p->node,
			 "pipe", p->pipe);
}

json_t *
cp_consumer_state(const struct cp_consumer *c)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:b,s:O,s:s}", "id", c->id, "transport", c->t->id,
			 "producer", c->p->id, "dp_id", (json_int_t)c->dp_id, "ssrc",
			 (json_int_t)c->ssrc, "paused", c->paused, "rtp", c->rtp, "pipe_node",
			 c->pipe_node);
}

int
cp_producer_restore(json_t *o)
{
	struct cp_producer *p = calloc(1, sizeof(*p));
	const char *id, *tid, *room = NULL, *node = NULL;
	json_int_t dp_id, ssrc, rate;
	int kind, paused, pipe = 0;
	json_t *rtp;

	if (p == NULL)
		return -1;
	if (json_unpack(o, "{s:s,s:s,s:I,s:i,s:b,s:I,s:I,s:o,s?s,s?s,s?b}", "id", &id, "transport",
			&tid, "dp_id", &dp_id, "kind", &kind, "paused", &paused, "ssrc", &ssrc,
			"clock_rate", &rate, "rtp", &rtp, "room", &room, "node", &node, "pipe",
			&pipe) < 0 ||
	    strlen(id) >= sizeof(p->id) || (p->t = cp_transport_get(tid)) == NULL ||
	    cp_map_get(&m.producers, id) != NULL || (room != NULL && !cp_room_name_ok(room)) ||
	    (node != NULL && strlen(node) >= sizeof(p->node)) || (pipe && (room == NULL || node == NULL))) {
		free(p);
		return -1;
	}
	snprintf(p->room, sizeof(p->room), "%s", room != NULL ? room : p->t->room);
	snprintf(p->node, sizeof(p->node), "%s", node != NULL ? node : cp_node_id());
	p->pipe = pipe;
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->dp_id = (uint64_t)dp_id;
	p->kind = (uint8_t)kind;
	p->paused = paused;
	p->ssrc = (uint32_t)ssrc;
	p->clock_rate = (uint32_t)rate;
	p->rtp = json_incref(rtp);
	p->slot = UINT32_MAX;
	if (cp_map_put(&m.producers, p->id, p) < 0) {
		producer_free(p);
		return -1;
	}
	cp_dp_id_seen(p->dp_id);
	return 0;
}

int
cp_consumer_restore(json_t *o)
{
	struct cp_consumer *c = calloc(1, sizeof(*c));
	const char *id, *tid, *pid, *pipe_node = "";
	json_int_t dp_id, ssrc;
	int paused;
	json_t *rtp;

	if (c == NULL)
		return -1;
	if (json_unpack(o, "{s:s,s:s,s:s,s:I,s:I,s:b,s:o,s?s}", "id", &id, "transport", &tid,
			"producer", &pid, "dp_id", &dp_id, "ssrc", &ssrc, "paused", &paused, "rtp",
			&rtp, "pipe_node", &pipe_node) < 0 ||
	    strlen(pipe_node) >= sizeof(c->pipe_node) ||
	    strlen(id) >= sizeof(c->id) || (c->t = cp_transport_get(tid)) == NULL ||
	    (c->p = cp_map_get(&m.producers, pid)) == NULL || cp_map_get(&m.consumers, id) != NULL) {
		free(c);
		return -1;
	}
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->pipe_node, sizeof(c->pipe_node), "%s", pipe_node);
	c->dp_id = (uint64_t)dp_id;
	c->ssrc = (uint32_t)ssrc;
	c->paused = paused;
	c->rtp = json_incref(rtp);
	c->slot = UINT32_MAX;
	if (consumer_link(c) < 0) {
		consumer_free(c);
		return -1;
	}
	cp_dp_id_seen(c->dp_id);
	return 0;
}

void
cp_producer_drop(struct cp_producer *p)
{
	forget_producer(p);
	cp_state_dirty();
}

void
cp_consumer_drop(struct cp_consumer *c)
{
	consumer_unlink(c, false);
	cp_state_dirty();
}

/* ---- validation ------------------------------------------------------------------------- */

static int
bad(struct evhttp_request *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
bad(struct evhttp_request *req, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cp_http_error(req, CP_API_BAD_REQUEST, "%s", msg);
	return -1;
}

static bool
is_rtx_like(const char *mime)
{
	const char *slash = strchr(mime, '/');

	return slash != NULL && (strcasecmp(slash + 1, "rtx") == 0 ||
				 strcasecmp(slash + 1, "red") == 0 ||
				 strcasecmp(slash + 1, "ulpfec") == 0 ||
				 strcasecmp(slash + 1, "flexfec-03") == 0);
}

/* An integer member in [lo, hi]: 0, 1 when absent and optional, or -1 (answered). */
static int
int_member(struct evhttp_request *req, json_t *obj, const char *key, const char *where,
	   json_int_t lo, json_int_t hi, bool required, json_int_t *out)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return required ? bad(req, "%s.%s: required", where, key) : 1;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bad(req, "%s.%s: must be an integer in %lld..%lld", where, key, (long long)lo,
			   (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

/*
 * Check a producer's rtpParameters; on success fills ssrc and the clock rate
 * of its first media codec. 0 or -1 (400 answered, naming the field).
 */
static int
check_rtp(struct evhttp_request *req, json_t *rtp, uint8_t kind, uint32_t *ssrc, uint32_t *clock)
{
	const char *kind_s = kind == CASCADE_KIND_AUDIO ? "audio" : "video";
	json_t *codecs, *encs, *exts, *c, *v;
	bool seen_pt[128] = {false};
	char where[64];
	json_int_t x;
	size_t i;

	if (!json_is_object(rtp))
		return bad(req, "rtpParameters: required, an object");
	codecs = json_object_get(rtp, "codecs");
	if (!json_is_array(codecs) || json_array_size(codecs) == 0 || json_array_size(codecs) > 16)
		return bad(req, "rtpParameters.codecs: an array of 1 to 16 codecs");
	*clock = 0;
	json_array_foreach(codecs, i, c)
	{
		const char *mime;
		snprintf(where, sizeof(where), "rtpParameters.codecs[%zu]", i);
		if (!json_is_object(c))
			return bad(req, "%s: must be an object", where);
		v = json_object_get(c, "mimeType");
		mime = json_is_string(v) ? json_string_value(v) : NULL;
		if (mime == NULL || strncasecmp(mime, kind_s, strlen(kind_s)) != 0 ||
		    mime[strlen(kind_s)] != '/' || mime[strlen(kind_s) + 1] == '\0')
			return bad(req, "%s.mimeType: must be \"%s/<codec>\"", where, kind_s);
		if (int_member(req, c, "payloadType", where, 0, 127, true, &x) < 0)
			return -1;
		if (seen_pt[x])
			return bad(req, "%s.payloadType: %lld used twice", where, (long long)x);
		seen_pt[x] = true;
		if (int_member(req, c, "clockRate", where, 1000, 1000000, true, &x) < 0)
			return -1;
		if (*clock == 0 && !is_rtx_like(mime))
			*clock = (uint32_t)x;
		if (int_member(req, c, "channels", where, 1, 8, false, &x) < 0)
			return -1;
		v = json_object_get(c, "parameters");
		if (v != NULL && !json_is_object(v))
			return bad(req, "%s.parameters: must be an object", where);
		v = json_object_get(c, "rtcpFeedback");
		if (v != NULL && !json_is_array(v))
			return bad(req, "%s.rtcpFeedback: must be an array", where);
	}
	if (*clock == 0)
		return bad(req, "rtpParameters.codecs: no media codec (only RTX/RED/FEC)");
	encs = json_object_get(rtp, "encodings");
	if (!json_is_array(encs) || json_array_size(encs) != 1 ||
	    !json_is_object(json_array_get(encs, 0)))
		return bad(req, "rtpParameters.encodings: exactly one encoding (simulcast is not "
				"supported yet)");
	if (int_member(req, json_array_get(encs, 0), "ssrc", "rtpParameters.encodings[0]", 0,
		       UINT32_MAX, true, &x) < 0)
		return -1;
	*ssrc = (uint32_t)x;
	exts = json_object_get(rtp, "headerExtensions");
	if (exts != NULL) {
		if (!json_is_array(exts))
			return bad(req, "rtpParameters.headerExtensions: must be an array");
		json_array_foreach(exts, i, c)
		{
			snprintf(where, sizeof(where), "rtpParameters.headerExtensions[%zu]", i);
			if (!json_is_object(c) || !json_is_string(json_object_get(c, "uri")))
				return bad(req, "%s.uri: required, a string", where);
			if (int_member(req, c, "id", where, 1, CASCADE_MAX_EXT_ID, true, &x) < 0)
				return -1;
		}
	}
	v = json_object_get(rtp, "rtcp");
	if (v != NULL && (!json_is_object(v) || (json_object_get(v, "cname") != NULL &&
						 !json_is_string(json_object_get(v, "cname")))))
		return bad(req, "rtpParameters.rtcp: an object with an optional cname string");
	return 0;
}

/* ---- producers -------------------------------------------------------------------------- */

struct call {
	struct evhttp_request *req;
	struct cp_transport *t;
	struct cp_producer *p;
	struct cp_consumer *c;
	bool pause;
};

static struct call *
call_new(struct evhttp_request *req)
{
	struct call *c = calloc(1, sizeof(*c));

	if (c == NULL)
		cp_http_error(req, CP_API_INTERNAL, "out of memory");
	return c;
}

/* Send cmd for k and hold req for cb. 0, or -1 after answering 503 (k freed). */
static int
dispatch(struct evhttp_request *req, struct cascade_cmd *cmd, struct call *k, cp_dp_cb cb)
{
	int rc = cp_dp_call(cmd, DP_TIMEOUT_MS, cb, k);

	if (rc < 0) {
		cp_http_error(req, CP_API_UNAVAILABLE, "dataplane: %s", strerror(-rc));
		free(k);
		return -1;
	}
	cp_http_hold(req, &k->req);
	return 0;
}

/* A change may start: nothing else in flight, dataplane there. false after answering. */
static bool
ready(struct evhttp_request *req, bool busy, const char *what, const char *id)
{
	if (busy) {
		cp_http_error(req, CP_API_CONFLICT, "%s %s: another change is in progress", what, id);
		return false;
	}
	if (cp_dp_state() != CP_DP_RUNNING) {
		cp_http_error(req, CP_API_UNAVAILABLE, "dataplane not running");
		return false;
	}
	return true;
}

static void
answer_failure(struct evhttp_request *req, const struct cascade_reply *rep)
{
	if (req == NULL)
		return;
	if (rep == NULL)
		cp_http_error(req, CP_API_UNAVAILABLE, "dataplane did not answer");
	else
		cp_http_dp_error(req, rep->status, rep->message);
}

static void
producer_answer(void *arg)
{
	struct call *k = arg;

	if (k->req != NULL) {
		cp_http_release(k->req);
		cp_http_json(k->req, 200, json_pack("{s:s}", "id", k->p->id));
	}
	free(k);
}

static void
on_producer(const struct cascade_reply *rep, void *arg)
{
	struct call *k = arg;
	struct cp_producer *p = k->p;

	k->t->n_pending--;
	if (rep != NULL && rep->status == 0)
		p->slot = rep->slot;
	if (rep == NULL || rep->status != 0 || cp_map_put(&m.producers, p->id, p) < 0) {
		if (k->req != NULL)
			cp_http_release(k->req);
		answer_failure(k->req, rep);
		producer_free(p);
		free(k);
		return;
	}
	cp_state_dirty();
	cp_events_publish(p->room, "producer.add",
			  json_pack("{s:s,s:s,s:s,s:s,s:b}", "id", p->id, "node", p->node,
				    "transportId", p->t->id, "kind",
				    p->kind == CASCADE_KIND_AUDIO ? "audio" : "video", "paused",
				    p->paused));
	/* answered once the cluster knows it too: a consume on another node right after
	 * the answer finds it */
	cp_cluster_producer_add(p, producer_answer, k);
}

void
cp_api_producer_create(struct evhttp_request *req, const char *transport_id)
{
	struct cp_transport *t = cp_transport_get(transport_id);
	struct cp_producer *p = NULL;
	struct cascade_cmd cmd;
	struct call *k;
	json_t *body, *v;
	const char *kind;

	body = cp_http_body(req);
	if (body == NULL)
		return;
	if (t == NULL) {
		cp_http_error(req, CP_API_NOT_FOUND, "transport %s not found", transport_id);
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		cp_http_error(req, CP_API_INTERNAL, "out of memory");
		goto out;
	}
	v = json_object_get(body, "kind");
	kind = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(kind, "audio") != 0 && strcmp(kind, "video") != 0) {
		bad(req, "kind: \"audio\" or \"video\"");
		goto out;
	}
	p->kind = kind[0] == 'a' ? CASCADE_KIND_AUDIO : CASCADE_KIND_VIDEO;
	if (check_rtp(req, json_object_get(body, "rtpParameters"), p->kind, &p->ssrc,
		      &p->clock_rate) < 0 ||
	    cp_opt_bool(req, body, "paused", &p->paused) < 0)
		goto out;
	v = json_object_get(body, "appData");
	if (v != NULL && !json_is_object(v)) {
		bad(req, "appData: must be an object");
		goto out;
	}
	if (!ready(req, t->busy, "transport", t->id))
		goto out;
	p->rtp = json_deep_copy(json_object_get(body, "rtpParameters"));
	cp_uuid4(p->id);
	p->t = t;
	snprintf(p->room, sizeof(p->room), "%s", t->room);
	snprintf(p->node, sizeof(p->node), "%s", cp_node_id());
	p->dp_id = cp_next_dp_id();
	cp_producer_add_cmd(p, &cmd);
	k = call_new(req);
	if (k == NULL)
		goto out;
	k->t = t;
	k->p = p;
	if (dispatch(req, &cmd, k, on_producer) < 0)
		goto out;
	t->n_pending++;
	p = NULL;
out:
	if (p != NULL)
		producer_free(p);
	json_decref(body);
}

/* ---- consumers -------------------------------------------------------------------------- */

/* The receiver's capability for a producer codec, or NULL (mediasoup's matching, simplified). */
static json_t *
cap_for(json_t *caps_codecs, json_t *codec, uint8_t kind)
{
	const char *mime = json_string_value(json_object_get(codec, "mimeType"));
	json_int_t rate = json_integer_value(json_object_get(codec, "clockRate"));
	json_t *ch = json_object_get(codec, "channels"), *cap;
	json_int_t channels = ch != NULL ? json_integer_value(ch) : 1;
	size_t i;

	json_array_foreach(caps_codecs, i, cap)
	{
		json_t *cch = json_object_get(cap, "channels"), *ck = json_object_get(cap, "kind");
		const char *cm = json_string_value(json_object_get(cap, "mimeType"));

		if (cm == NULL || strcasecmp(cm, mime) != 0 ||
		    json_integer_value(json_object_get(cap, "clockRate")) != rate)
			continue;
		if (ck != NULL && json_is_string(ck) &&
		    strcmp(json_string_value(ck), kind == CASCADE_KIND_AUDIO ? "audio" : "video") != 0)
			continue;
		if (kind == CASCADE_KIND_AUDIO && (cch != NULL ? json_integer_value(cch) : 1) != channels)
			continue;
		if (!json_is_integer(json_object_get(cap, "preferredPayloadType")))
			continue;
		return cap;
	}
	return NULL;
}

static uint32_t
new_ssrc(void)
{
	uint32_t s = 0;

	while (s == 0)
		if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
			s = (uint32_t)cascade_now_ns();
	return s;
}

/*
 * Build the consumer's rtpParameters and the dataplane's maps from the
 * producer's parameters and the receiver's capabilities (NULL: take the
 * producer's as they are). 0, or -1 after answering 400.
 */
static int
negotiate(struct evhttp_request *req, const struct cp_producer *p, json_t *caps,
	  struct cascade_cmd_consumer *cc, json_t **out)
{
	json_t *codecs = json_array(), *exts = json_array(), *caps_codecs = NULL, *caps_exts = NULL;
	json_t *pc, *pe, *rtcp = json_object_get(p->rtp, "rtcp"), *cname;
	size_t i, j;

	if (caps != NULL) {
		caps_codecs = json_object_get(caps, "codecs");
		caps_exts = json_object_get(caps, "headerExtensions");
		if (!json_is_object(caps) || !json_is_array(caps_codecs) ||
		    (caps_exts != NULL && !json_is_array(caps_exts))) {
			json_decref(codecs);
			json_decref(exts);
			return bad(req, "rtpCapabilities: an object with a codecs array");
		}
	}
	json_array_foreach(json_object_get(p->rtp, "codecs"), i, pc)
	{
		json_t *cap, *oc;

		if (is_rtx_like(json_string_value(json_object_get(pc, "mimeType"))))
			continue; /* RTX/RED/FEC are not forwarded yet */
		cap = caps != NULL ? cap_for(caps_codecs, pc, p->kind) : NULL;
		if (caps != NULL && cap == NULL)
			continue;
		if (cc->n_pt_map == CASCADE_MAX_PT_MAP)
			break;
		oc = json_deep_copy(pc);
		if (cap != NULL) {
			json_int_t pt = json_integer_value(json_object_get(cap, "preferredPayloadType"));
			if (pt < 0 || pt > 127) {
				json_decref(oc);
				continue;
			}
			json_object_set_new(oc, "payloadType", json_integer(pt));
			if (json_object_get(cap, "rtcpFeedback") != NULL)
				json_object_set(oc, "rtcpFeedback", json_object_get(cap, "rtcpFeedback"));
			cc->pt_map[cc->n_pt_map].in_pt =
				(uint8_t)json_integer_value(json_object_get(pc, "payloadType"));
			cc->pt_map[cc->n_pt_map].out_pt = (uint8_t)pt;
			cc->n_pt_map++;
		}
		json_array_append_new(codecs, oc);
	}
	if (json_array_size(codecs) == 0) {
		json_decref(codecs);
		json_decref(exts);
		return bad(req, "rtpCapabilities: none of the producer's codecs is supported by "
				"the receiver");
	}
	if (caps == NULL)
		cc->n_pt_map = 0; /* keep every payload type */
	json_array_foreach(json_object_get(p->rtp, "headerExtensions"), i, pe)
	{
		const char *uri = json_string_value(json_object_get(pe, "uri"));
		json_int_t id = json_integer_value(json_object_get(pe, "id")), out_id = id;
		json_t *ce;
		bool found = caps == NULL;

		json_array_foreach(caps_exts, j, ce)
		{
			const char *cu = json_string_value(json_object_get(ce, "uri"));
			json_t *pid = json_object_get(ce, "preferredId");
			if (cu != NULL && strcmp(cu, uri) == 0 && json_is_integer(pid) &&
			    json_integer_value(pid) >= 1 &&
			    json_integer_value(pid) <= CASCADE_MAX_EXT_ID) {
				out_id = json_integer_value(pid);
				found = true;
				break;
			}
		}
		if (!found)
			continue; /* not announced; the receiver ignores the element */
		cc->ext_map[id] = (uint8_t)out_id;
		json_array_append_new(exts, json_pack("{s:s,s:I}", "uri", uri, "id", out_id));
	}
	cc->ssrc = new_ssrc();
	cname = rtcp != NULL ? json_object_get(rtcp, "cname") : NULL;
	*out = json_pack("{s:o,s:o,s:[{s:I}],s:{s:s,s:b}}", "codecs", codecs, "headerExtensions",
			 exts, "encodings", "ssrc", (json_int_t)cc->ssrc, "rtcp", "cname",
			 cname != NULL ? json_string_value(cname) : "", "reducedSize", 1);
	return 0;
}

static void
on_consumer(const struct cascade_reply *rep, void *arg)
{
	struct call *k = arg;
	struct cp_consumer *c = k->c;

	k->t->n_pending--;
	k->p->n_pending--;
	if (k->req != NULL)
		cp_http_release(k->req);
	if (rep != NULL && rep->status == 0)
		c->slot = rep->slot;
	if (rep == NULL || rep->status != 0 || consumer_link(c) < 0) {
		answer_failure(k->req, rep);
		consumer_free(c);
		if (k->p->pipe && k->p->n_consumers == 0)
			cp_pipe_idle(k->p); /* the consumer that wanted the pipe did not come */
	} else {
		cp_state_dirty();
		if (k->req != NULL)
			cp_http_json(k->req, 200,
				     json_pack("{s:s,s:s,s:s,s:O,s:b}", "id", c->id, "producerId",
					       c->p->id, "kind",
					       c->p->kind == CASCADE_KIND_AUDIO ? "audio" : "video",
					       "rtpParameters", c->rtp, "paused", c->paused));
	}
	free(k);
}

/* Create the consumer of p on t as body asks; answers req. body is borrowed. */
static void
consumer_create(struct evhttp_request *req, struct cp_transport *t, struct cp_producer *p,
		json_t *body)
{
	struct cp_consumer *c;
	struct cascade_cmd cmd;
	struct call *k;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		cp_http_error(req, CP_API_INTERNAL, "out of memory");
		goto out;
	}
	if (cp_opt_bool(req, body, "paused", &c->paused) < 0)
		goto out;
	memset(&cmd, 0, sizeof(cmd));
	if (negotiate(req, p, json_object_get(body, "rtpCapabilities"), &cmd.u.consumer, &c->rtp) < 0)
		goto out;
	json_object_set_new(json_object_get(c->rtp, "rtcp"), "mux", json_boolean(t->rtcp_mux));
	if (!ready(req, t->busy || p->busy, "transport or producer", p->id))
		goto out;
	cp_uuid4(c->id);
	c->t = t;
	c->p = p;
	c->dp_id = cp_next_dp_id();
	c->ssrc = cmd.u.consumer.ssrc;
	cmd.type = CASCADE_CMD_CONSUMER_ADD;
	cmd.u.consumer.obj_id = c->dp_id;
	cmd.u.consumer.producer_id = p->dp_id;
	cmd.u.consumer.transport_id = t->dp_id;
	cmd.u.consumer.paused = c->paused;
	k = call_new(req);
	if (k == NULL)
		goto out;
	k->t = t;
	k->p = p;
	k->c = c;
	if (dispatch(req, &cmd, k, on_consumer) < 0)
		goto out;
	t->n_pending++;
	p->n_pending++;
	c = NULL;
out:
	if (c != NULL)
		consumer_free(c);
	if (p->pipe && p->n_consumers == 0 && p->n_pending == 0)
		cp_pipe_idle(p); /* the call failed before the dataplane: the pipe is not needed */
}

/* A consume call waiting for the pipe of a producer on another node. */
struct remote_consume {
	struct evhttp_request *req; /* NULL once the client went away */
	char transport_id[40];
	json_t *body;
};

static void
on_pipe(struct cp_producer *p, int err, const char *msg, void *arg)
{
	struct remote_consume *rc = arg;
	struct cp_transport *t = cp_transport_get(rc->transport_id);

	if (rc->req != NULL) {
		cp_http_release(rc->req);
		if (p == NULL)
			cp_http_error(rc->req, err == -ENOENT ? CP_API_NOT_FOUND : CP_API_UNAVAILABLE,
				      "%s", msg);
		else if (t == NULL)
			cp_http_error(rc->req, CP_API_NOT_FOUND, "transport %s not found",
				      rc->transport_id);
		else
			consumer_create(rc->req, t, p, rc->body);
	} else if (p != NULL && p->n_consumers == 0 && p->n_pending == 0) {
		cp_pipe_idle(p); /* asked for, then nobody waited */
	}
	json_decref(rc->body);
	free(rc);
}

void
cp_api_consumer_create(struct evhttp_request *req, const char *transport_id)
{
	struct cp_transport *t = cp_transport_get(transport_id);
	struct cp_producer *p;
	struct remote_consume *rc;
	json_t *body, *v;

	body = cp_http_body(req);
	if (body == NULL)
		return;
	if (t == NULL) {
		cp_http_error(req, CP_API_NOT_FOUND, "transport %s not found", transport_id);
		goto out;
	}
	v = json_object_get(body, "producerId");
	if (!json_is_string(v) || strlen(json_string_value(v)) == 0 ||
	    strlen(json_string_value(v)) >= 40) {
		bad(req, "producerId: required, a producer id");
		goto out;
	}
	p = cp_map_get(&m.producers, json_string_value(v));
	if (p != NULL) {
		consumer_create(req, t, p, body);
		goto out;
	}
	if (!cp_cluster_enabled()) {
		cp_http_error(req, CP_API_NOT_FOUND, "producer %s not found", json_string_value(v));
		goto out;
	}
	/* a producer on another node of the room: pipe it in first (shared by concurrent calls) */
	rc = calloc(1, sizeof(*rc));
	if (rc == NULL) {
		cp_http_error(req, CP_API_INTERNAL, "out of memory");
		goto out;
	}
	snprintf(rc->transport_id, sizeof(rc->transport_id), "%s", t->id);
	rc->body = json_incref(body);
	rc->req = req;
	cp_http_hold(req, &rc->req);
	cp_pipe_ensure(t->room, json_string_value(v), on_pipe, rc);
out:
	json_decref(body);
}

/* ---- pause, resume, delete ----------------------------------------------------------------- */

static void
on_paused(const struct cascade_reply *rep, void *arg)
{
	struct call *k = arg;
	bool ok = rep != NULL && rep->status == 0;

	if (ok)
		cp_state_dirty();
	if (k->p != NULL) {
		k->p->busy = false;
		if (ok && k->p->paused != k->pause)
			cp_events_publish(k->p->room, k->pause ? "producer.pause" : "producer.resume",
					  json_pack("{s:s,s:s}", "id", k->p->id, "node", k->p->node));
		if (ok && k->p->paused != k->pause) {
			k->p->paused = k->pause;
			cp_cluster_producer_update(k->p);
		}
	} else {
		k->c->busy = false;
		if (ok)
			k->c->paused = k->pause;
	}
	if (k->req != NULL) {
		cp_http_release(k->req);
		if (ok)
			cp_http_json(k->req, 200, json_object());
		else
			answer_failure(k->req, rep);
	}
	free(k);
}

static void
on_deleted(const struct cascade_reply *rep, void *arg)
{
	struct call *k = arg;
	bool ok = rep != NULL && (rep->status == 0 || rep->status == -ENOENT);

	if (ok)
		cp_state_dirty();
	if (ok) {
		if (k->p != NULL)
			forget_producer(k->p); /* the dataplane removed its consumers too */
		else
			consumer_unlink(k->c, false);
	} else if (k->p != NULL) {
		k->p->busy = false;
	} else {
		k->c->busy = false;
	}
	if (k->req != NULL) {
		cp_http_release(k->req);
		if (ok)
			cp_http_json(k->req, 200, json_object());
		else
			answer_failure(k->req, rep);
	}
	free(k);
}

/* Look up a producer or consumer that no other change holds. NULL after answering. */
static struct call *
begin(struct evhttp_request *req, bool is_producer, const char *id)
{
	struct cp_producer *p = is_producer ? cp_map_get(&m.producers, id) : NULL;
	struct cp_consumer *c = is_producer ? NULL : cp_map_get(&m.consumers, id);
	struct call *k;

	if (p == NULL && c == NULL) {
		cp_http_error(req, CP_API_NOT_FOUND, "%s %s not found",
			      is_producer ? "producer" : "consumer", id);
		return NULL;
	}
	if ((p != NULL && p->pipe) || (c != NULL && c->pipe_node[0] != '\0')) {
		cp_http_error(req, CP_API_CONFLICT,
			      "%s %s is a pipe between nodes: change it on node %s, where it is "
			      "produced",
			      is_producer ? "producer" : "consumer", id,
			      p != NULL ? p->node : c->p->node);
		return NULL;
	}
	if (!ready(req, (p != NULL && (p->busy || p->n_pending != 0)) || (c != NULL && c->busy),
		   is_producer ? "producer" : "consumer", id))
		return NULL;
	k = call_new(req);
	if (k != NULL) {
		k->p = p;
		k->c = c;
	}
	return k;
}

static void
send_obj(struct evhttp_request *req, struct call *k, uint16_t type, cp_dp_cb cb, uint8_t paused)
{
	struct cascade_cmd cmd;
	bool *busy = k->p != NULL ? &k->p->busy : &k->c->busy;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = type;
	cmd.u.obj.obj_id = k->p != NULL ? k->p->dp_id : k->c->dp_id;
	cmd.u.obj.paused = paused;
	if (dispatch(req, &cmd, k, cb) == 0)
		*busy = true;
}

void
cp_api_media_pause(struct evhttp_request *req, bool is_producer, const char *id, bool pause)
{
	struct call *k = begin(req, is_producer, id);

	if (k == NULL)
		return;
	k->pause = pause;
	send_obj(req, k, is_producer ? CASCADE_CMD_PRODUCER_PAUSE : CASCADE_CMD_CONSUMER_PAUSE,
		 on_paused, pause);
}

void
cp_api_media_delete(struct evhttp_request *req, bool is_producer, const char *id)
{
	struct call *k = begin(req, is_producer, id);

	if (k == NULL)
		return;
	send_obj(req, k, is_producer ? CASCADE_CMD_PRODUCER_DEL : CASCADE_CMD_CONSUMER_DEL,
		 on_deleted, 0);
}

/* ---- room view ------------------------------------------------------------------------------ */

struct room_walk {
	const char *room;
	json_t *producers, *consumers;
};

static void
room_producer(const char *k, void *v, void *arg)
{
	const struct cp_producer *p = v;
	struct room_walk *w = arg;

	(void)k;
	if (strcmp(p->room, w->room) == 0)
		json_array_append_new(w->producers,
				      json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "id", p->id, "node",
						p->node, "transportId", p->t->id, "kind",
						p->kind == CASCADE_KIND_AUDIO ? "audio" : "video",
						"paused", p->paused, "pipe", p->pipe));
}

static void
room_consumer(const char *k, void *v, void *arg)
{
	const struct cp_consumer *c = v;
	struct room_walk *w = arg;

	(void)k;
	if (strcmp(c->t->room, w->room) == 0)
		json_array_append_new(w->consumers,
				      json_pack("{s:s,s:s,s:s,s:b,s:I}", "id", c->id, "producerId",
						c->p->id, "transportId", c->t->id, "paused",
						c->paused, "ssrc", (json_int_t)c->ssrc));
}

void
cp_media_room_json(const char *room, json_t *out)
{
	struct room_walk w = {.room = room, .producers = json_array(), .consumers = json_array()};

	cp_map_each(&m.producers, room_producer, &w);
	cp_map_each(&m.consumers, room_consumer, &w);
	json_object_set_new(out, "producers", w.producers);
	json_object_set_new(out, "consumers", w.consumers);
}
