/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry across control-plane restarts. The dataplane keeps forwarding
 * when cascade-cp dies, but only the control plane knows the API's ids and
 * the RTP parameters behind each flow; so the registry is written to the
 * state file (JSON, replaced atomically by rename, mode 0600 since it holds
 * SRTP transports' keys) within 50 ms of every change and read back at start.
 * Every entry read is checked as outside input (ids, rooms, addresses,
 * RtpParameters through cp_rtp_check()); a malformed entry is skipped and
 * counted.
 *
 * Layer: service.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "cascade_srtp.h"
#include "cp_registry.h"
#include "cp_rtp.h"
#include "cp_state.h"

#define SAVE_DELAY_MS 50

static struct {
	const struct cp_config *cfg;
	struct event *timer;
	bool dirty;
} st;

/* ---- saving ------------------------------------------------------------------------------- */

/* A key as base64 (a JSON string, NULL on failure); the text buffer is wiped. */
static json_t *
key_json(uint8_t suite, const uint8_t *key)
{
	char b64[CASCADE_SRTP_KEY_BASE64_MAX + 1];
	json_t *j = NULL;

	if (cascade_srtp_key_to_base64(key, cascade_srtp_master_bytes(suite), b64, sizeof(b64)) > 0)
		j = json_string(b64);
	explicit_bzero(b64, sizeof(b64));
	return j;
}

static json_t *
transport_state(const struct cp_transport *t)
{
	json_t *j = json_pack("{s:s,s:s,s:I,s:b,s:b,s:b,s:s,s:i,s:i,s:s,s:i,s:i,s:b}", "id", t->id,
			      "room", t->room, "dp_id", (json_int_t)t->dp_id, "comedia", t->comedia,
			      "rtcp_mux", t->rtcp_mux, "connected", t->connected, "ip", t->ip,
			      "port", (int)t->port, "rtcp_port", (int)t->rtcp_port, "remote_ip",
			      t->remote_ip, "remote_port", (int)t->remote_port, "remote_rtcp_port",
			      (int)t->remote_rtcp_port, "pipe", t->pipe);

	if (j != NULL && t->srtp_suite != CASCADE_SUITE_NONE) {
		json_object_set_new(j, "srtp_suite", json_integer(t->srtp_suite));
		if (t->pipe)
			return j; /* a pipe's keys are per stream, in the dataplane only */
		json_object_set_new(j, "srtp_local_key", key_json(t->srtp_suite, t->local_key));
		if (t->has_remote_key)
			json_object_set_new(j, "srtp_remote_key",
					    key_json(t->srtp_suite, t->remote_key));
	}
	return j;
}

static json_t *
producer_state(const struct cp_producer *p)
{
	return json_pack("{s:s,s:s,s:I,s:i,s:b,s:I,s:I,s:O,s:s,s:s,s:b}", "id", p->id, "transport",
			 p->t->id, "dp_id", (json_int_t)p->dp_id, "kind", (int)p->kind, "paused",
			 p->paused, "ssrc", (json_int_t)p->ssrc, "clock_rate",
			 (json_int_t)p->clock_rate, "rtp", p->rtp, "room", p->room, "node", p->node,
			 "pipe", p->pipe);
}

static json_t *
consumer_state(const struct cp_consumer *c)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:b,s:O,s:s}", "id", c->id, "transport", c->t->id,
			 "producer", c->p->id, "dp_id", (json_int_t)c->dp_id, "ssrc",
			 (json_int_t)c->ssrc, "paused", c->paused, "rtp", c->rtp, "pipe_node",
			 c->pipe_node);
}

static void
add_t(struct cp_transport *t, void *arg)
{
	json_array_append_new(arg, transport_state(t));
}

static void
add_p(struct cp_producer *p, void *arg)
{
	json_array_append_new(arg, producer_state(p));
}

static void
add_c(struct cp_consumer *c, void *arg)
{
	json_array_append_new(arg, consumer_state(c));
}

static void
save(void)
{
	char tmp[300];
	json_t *root, *ts, *ps, *cs;
	int fd = -1, rc = -1;

	st.dirty = false;
	if (st.cfg->state_file[0] == '\0')
		return;
	ts = json_array();
	ps = json_array();
	cs = json_array();
	cp_registry_each_transport(add_t, ts);
	cp_registry_each_producer(add_p, ps);
	cp_registry_each_consumer(add_c, cs);
	root = json_pack("{s:i,s:s,s:o,s:o,s:o}", "version", 1, "node_id", st.cfg->node_id,
			 "transports", ts, "producers", ps, "consumers", cs);
	snprintf(tmp, sizeof(tmp), "%s.tmp", st.cfg->state_file);
	/* 0600: it holds SRTP keys (fchmod too, for a file left by an older version) */
	if (root != NULL)
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && fchmod(fd, 0600) == 0 && json_dumpfd(root, fd, JSON_COMPACT) == 0)
		rc = 0;
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	if (rc < 0 || rename(tmp, st.cfg->state_file) < 0) {
		/* out of descriptors or disk: keep the change and try again shortly */
		struct timeval again = {1, 0};

		fprintf(stderr, "cascade-cp: state.file: cannot write %s: %s; retrying in 1 s\n",
			st.cfg->state_file, strerror(errno));
		st.dirty = true;
		evtimer_add(st.timer, &again);
	}
	json_decref(root);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	if (st.dirty)
		save();
}

static void
on_change(const struct cp_reg_event *ev, void *arg)
{
	struct timeval tv = {0, SAVE_DELAY_MS * 1000};

	(void)ev, (void)arg;
	if (st.cfg->state_file[0] == '\0' || st.dirty)
		return;
	st.dirty = true;
	evtimer_add(st.timer, &tv);
}

/* ---- loading ------------------------------------------------------------------------------ */

/* A key from base64 for suite: 0, or -1 when it is not one. */
static int
key_parse(uint8_t suite, const char *b64, uint8_t *key)
{
	uint8_t k[CASCADE_SRTP_MASTER_MAX_BYTES];
	int rc;

	if (suite == CASCADE_SUITE_NONE || suite > CASCADE_SUITE_MAX || b64 == NULL)
		return -1;
	rc = cascade_srtp_key_from_base64((enum cascade_srtp_suite)(suite - 1), b64, k, sizeof(k));
	if (rc > 0) {
		memset(key, 0, CASCADE_SRTP_MASTER_MAX);
		memcpy(key, k, (size_t)rc);
	}
	explicit_bzero(k, sizeof(k));
	return rc > 0 ? 0 : -1;
}

static bool
port_ok(int port)
{
	return port >= 0 && port <= 65535;
}

static int
transport_restore(json_t *o)
{
	const struct cp_config *cfg = st.cfg;
	struct cp_transport *t = calloc(1, sizeof(*t));
	const char *id, *room, *ip, *rip;
	json_int_t dp_id, suite = 0;
	int port, rport, remote_port, remote_rport, comedia, mux, connected, pipe = 0;
	json_t *rk;

	if (t == NULL)
		return -1;
	if (json_unpack(o, "{s:s,s:s,s:I,s:b,s:b,s:b,s:s,s:i,s:i,s:s,s:i,s:i,s?b,s?I}", "id", &id,
			"room", &room, "dp_id", &dp_id, "comedia", &comedia, "rtcp_mux", &mux,
			"connected", &connected, "ip", &ip, "port", &port, "rtcp_port", &rport,
			"remote_ip", &rip, "remote_port", &remote_port, "remote_rtcp_port",
			&remote_rport, "pipe", &pipe, "srtp_suite", &suite) < 0 ||
	    !cp_obj_id_ok(id) || !cp_ip_ok(ip) || strlen(rip) >= sizeof(t->remote_ip) ||
	    !port_ok(rport) || !port_ok(remote_port) || !port_ok(remote_rport) || suite < 0 ||
	    suite > CASCADE_SUITE_MAX ||
	    (pipe ? (port != cfg->pipe_port || room[0] != '\0')
		  : (!cp_room_name_ok(room) || port < cfg->port_min || port > cfg->port_max)))
		goto bad;
	t->srtp_suite = (uint8_t)suite;
	if (t->srtp_suite != CASCADE_SUITE_NONE && !pipe) {
		rk = json_object_get(o, "srtp_remote_key");
		if (key_parse(t->srtp_suite, json_string_value(json_object_get(o, "srtp_local_key")),
			      t->local_key) < 0 ||
		    (rk != NULL && key_parse(t->srtp_suite, json_string_value(rk), t->remote_key) < 0))
			goto bad;
		t->has_remote_key = rk != NULL;
	}
	t->pipe = pipe;
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->room, sizeof(t->room), "%s", room);
	snprintf(t->ip, sizeof(t->ip), "%s", ip);
	snprintf(t->remote_ip, sizeof(t->remote_ip), "%s", rip);
	t->dp_id = (uint64_t)dp_id;
	t->comedia = comedia, t->rtcp_mux = mux, t->connected = connected;
	t->port = (uint16_t)port, t->rtcp_port = (uint16_t)rport;
	t->remote_port = (uint16_t)remote_port, t->remote_rtcp_port = (uint16_t)remote_rport;
	t->family = cp_addr_make(&(struct cascade_addr){0}, t->ip, t->port);
	t->slot = UINT32_MAX; /* set by the reconciliation */
	if (!pipe && (cp_ports_take(cp_registry_ports(), mux ? 1 : 2, t->port) < 0 ||
		      (!mux && t->rtcp_port != t->port + 1)))
		goto bad;
	if (cp_registry_add_transport(t) < 0) {
		if (!pipe) {
			cp_ports_put(cp_registry_ports(), t->port);
			if (!mux)
				cp_ports_put(cp_registry_ports(), t->rtcp_port);
		}
		goto bad;
	}
	return 0;
bad:
	cp_transport_free(t);
	return -1;
}

static int
producer_restore(json_t *o)
{
	struct cp_producer *p = calloc(1, sizeof(*p));
	const char *id, *tid, *room = NULL, *node = NULL;
	json_int_t dp_id, ssrc, rate;
	int kind, paused, pipe = 0;
	struct cp_rtp info;
	json_t *rtp;

	if (p == NULL)
		return -1;
	if (json_unpack(o, "{s:s,s:s,s:I,s:i,s:b,s:I,s:I,s:o,s?s,s?s,s?b}", "id", &id, "transport",
			&tid, "dp_id", &dp_id, "kind", &kind, "paused", &paused, "ssrc", &ssrc,
			"clock_rate", &rate, "rtp", &rtp, "room", &room, "node", &node, "pipe",
			&pipe) < 0 ||
	    !cp_obj_id_ok(id) || (p->t = cp_registry_transport(tid)) == NULL ||
	    (kind != CASCADE_KIND_AUDIO && kind != CASCADE_KIND_VIDEO) ||
	    cp_rtp_check(rtp, (uint8_t)kind, &info, NULL) < 0 ||
	    (room != NULL && !cp_room_name_ok(room)) || (node != NULL && !cp_node_id_ok(node)) ||
	    (pipe && (room == NULL || node == NULL || !p->t->pipe)) || ssrc < 0 ||
	    ssrc > UINT32_MAX || rate < 1 || rate > UINT32_MAX) {
		free(p);
		return -1;
	}
	snprintf(p->room, sizeof(p->room), "%s", room != NULL ? room : p->t->room);
	snprintf(p->node, sizeof(p->node), "%s", node != NULL ? node : st.cfg->node_id);
	p->pipe = pipe;
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->dp_id = (uint64_t)dp_id;
	p->kind = (uint8_t)kind;
	p->paused = paused;
	p->ssrc = (uint32_t)ssrc;
	p->clock_rate = (uint32_t)rate;
	p->rtp = json_incref(rtp);
	p->slot = UINT32_MAX;
	if (cp_registry_add_producer(p) < 0) {
		cp_producer_free(p);
		return -1;
	}
	return 0;
}

static int
consumer_restore(json_t *o)
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
	    (pipe_node[0] != '\0' && !cp_node_id_ok(pipe_node)) || !cp_obj_id_ok(id) ||
	    (c->t = cp_registry_transport(tid)) == NULL ||
	    (c->p = cp_registry_producer(pid)) == NULL || !json_is_object(rtp) || ssrc < 0 ||
	    ssrc > UINT32_MAX) {
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
	if (cp_registry_add_consumer(c) < 0) {
		cp_consumer_free(c);
		return -1;
	}
	return 0;
}

static int
load(void)
{
	json_error_t jerr;
	json_t *root, *o;
	unsigned int bad = 0;
	size_t i;

	root = json_load_file(st.cfg->state_file, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || json_integer_value(json_object_get(root, "version")) != 1) {
		fprintf(stderr, "cascade-cp: state.file: %s: %s\n", st.cfg->state_file,
			root == NULL ? jerr.text : "not a version 1 state file");
		json_decref(root);
		return -1;
	}
	json_array_foreach(json_object_get(root, "transports"), i, o)
		bad += transport_restore(o) < 0;
	json_array_foreach(json_object_get(root, "producers"), i, o)
		bad += producer_restore(o) < 0;
	json_array_foreach(json_object_get(root, "consumers"), i, o)
		bad += consumer_restore(o) < 0;
	if (bad != 0)
		fprintf(stderr, "cascade-cp: state.file: %u malformed entries ignored\n", bad);
	json_decref(root);
	return 0;
}

int
cp_state_init(struct event_base *base, const struct cp_config *cfg)
{
	st.cfg = cfg;
	st.timer = evtimer_new(base, on_timer, NULL);
	if (st.timer == NULL)
		return -1;
	if (cfg->state_file[0] != '\0' && access(cfg->state_file, F_OK) == 0 && load() < 0)
		return -1;
	/* watch only now: what the file held is not a change */
	return cp_registry_watch_all(on_change, NULL);
}

void
cp_state_fini(void)
{
	if (st.timer == NULL)
		return;
	if (st.dirty)
		save();
	event_free(st.timer);
	st.timer = NULL;
}
