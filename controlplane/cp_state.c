/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry across control-plane restarts. The dataplane keeps forwarding
 * when cascade-cp dies, but only the control plane knows the API's ids and
 * the RTP parameters behind each flow; so the registry is written to the
 * state file within 50 ms of every change and read back at start.
 *
 * Writing: a save takes the ids of every object at its start, then writes
 * SAVE_BATCH objects per loop turn (objects gone meanwhile are skipped; any
 * change meanwhile makes another save follow), so a registry of a hundred
 * thousand objects never holds the loop for long. It writes a new file,
 * opened with O_CREAT|O_EXCL|O_NOFOLLOW under a random name next to the state
 * file (a symlink or a file planted there is never followed or reused), mode
 * 0600 since it holds SRTP transports' keys, fsync()s it and its directory,
 * renames it over the state file and fsync()s the directory again, so after a
 * crash the file is the old one or the new one, whole.
 *
 * Reading: every entry is checked as outside input (ids, rooms, addresses,
 * RtpParameters through cp_rtp_check()); a malformed entry is skipped and
 * counted. A file that is not a state file at all (not JSON, another
 * version) is moved aside and the node starts as if it had none: the
 * reconciliation then deletes what the dataplane holds (cp_reconcile.c).
 *
 * Layer: service.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cascade_srtp.h"
#include "cp_registry.h"
#include "cp_rtp.h"
#include "cp_state.h"

#define SAVE_DELAY_MS 50
#define SAVE_BATCH 256
#define RETRY_S 1

enum phase { PH_TRANSPORTS, PH_PRODUCERS, PH_CONSUMERS, PH_DONE };

static struct {
	const struct cp_config *cfg;
	struct event *timer;
	bool dirty;  /* changed since the save in progress (or the last one) began */
	bool saving; /* a save in progress */
	FILE *f;
	char tmp[PATH_MAX];
	enum phase phase;
	char (*ids[PH_DONE])[CP_OBJ_ID_MAX]; /* the objects to write, taken at the start */
	size_t n_ids[PH_DONE], next;
	bool first; /* no element written yet in the current array */
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

struct collect {
	char (*ids)[CP_OBJ_ID_MAX];
	size_t n;
};

static void
collect_t(struct cp_transport *t, void *arg)
{
	struct collect *c = arg;

	memcpy(c->ids[c->n++], t->id, CP_OBJ_ID_MAX);
}

static void
collect_p(struct cp_producer *p, void *arg)
{
	struct collect *c = arg;

	memcpy(c->ids[c->n++], p->id, CP_OBJ_ID_MAX);
}

static void
collect_c(struct cp_consumer *k, void *arg)
{
	struct collect *c = arg;

	memcpy(c->ids[c->n++], k->id, CP_OBJ_ID_MAX);
}

static void
save_reset(void)
{
	unsigned int i;

	if (st.f != NULL)
		fclose(st.f);
	st.f = NULL;
	for (i = 0; i < PH_DONE; i++) {
		free(st.ids[i]);
		st.ids[i] = NULL;
		st.n_ids[i] = 0;
	}
	st.saving = false;
}

static void
save_failed(const char *what)
{
	struct timeval again = {RETRY_S, 0};
	int e = errno;

	fprintf(stderr, "cascade-cp: state.file: cannot write %s (%s: %s); retrying in %d s\n",
		st.cfg->state_file, what, strerror(e), RETRY_S);
	if (st.tmp[0] != '\0')
		unlink(st.tmp);
	save_reset();
	st.dirty = true;
	evtimer_add(st.timer, &again);
}

/* A new file next to the state file: O_EXCL under a random name, never through a link. */
static int
open_tmp(void)
{
	uint64_t r;
	int fd = -1, tries;

	for (tries = 0; tries < 8 && fd < 0; tries++) {
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
			r = cascade_now_ns() ^ ((uint64_t)getpid() << 32);
		if (snprintf(st.tmp, sizeof(st.tmp), "%s.tmp-%016" PRIx64, st.cfg->state_file, r) >=
		    (int)sizeof(st.tmp)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(st.tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		st.tmp[0] = '\0';
		return -1;
	}
	/* 0600 whatever the umask: it holds SRTP keys */
	if (fchmod(fd, 0600) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool
save_begin(void)
{
	struct collect c;
	json_t *node;
	unsigned int ph;
	size_t n[PH_DONE] = {cp_registry_n_transports(), cp_registry_n_producers(),
			     cp_registry_n_consumers()};
	int fd;

	st.dirty = false;
	st.tmp[0] = '\0';
	for (ph = 0; ph < PH_DONE; ph++) {
		st.ids[ph] = malloc((n[ph] + 1) * CP_OBJ_ID_MAX);
		if (st.ids[ph] == NULL) {
			errno = ENOMEM;
			save_failed("memory");
			return false;
		}
		c.ids = st.ids[ph];
		c.n = 0;
		if (ph == PH_TRANSPORTS)
			cp_registry_each_transport(collect_t, &c);
		else if (ph == PH_PRODUCERS)
			cp_registry_each_producer(collect_p, &c);
		else
			cp_registry_each_consumer(collect_c, &c);
		st.n_ids[ph] = c.n;
	}
	fd = open_tmp();
	if (fd < 0) {
		save_failed("a new file");
		return false;
	}
	st.f = fdopen(fd, "w");
	if (st.f == NULL) {
		close(fd);
		save_failed("a new file");
		return false;
	}
	st.saving = true;
	st.phase = PH_TRANSPORTS;
	st.next = 0;
	st.first = true;
	node = json_string(st.cfg->node_id);
	fprintf(st.f, "{\"version\":1,\"node_id\":");
	json_dumpf(node, st.f, JSON_ENCODE_ANY);
	fprintf(st.f, ",\"transports\":[");
	json_decref(node);
	return true;
}

static json_t *
state_of(enum phase ph, const char *id)
{
	const struct cp_transport *t;
	const struct cp_producer *p;
	const struct cp_consumer *c;

	switch (ph) {
	case PH_TRANSPORTS:
		t = cp_registry_transport(id);
		return t != NULL ? transport_state(t) : NULL;
	case PH_PRODUCERS:
		p = cp_registry_producer(id);
		return p != NULL ? producer_state(p) : NULL;
	default:
		c = cp_registry_consumer(id);
		return c != NULL ? consumer_state(c) : NULL;
	}
}

/* fsync the directory that holds path, so the rename is on disk too */
static int
sync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, rc;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static void
save_end(void)
{
	FILE *f = st.f;

	fprintf(f, "]}\n");
	st.f = NULL;
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0) {
		fclose(f);
		save_failed("write");
		return;
	}
	if (fclose(f) != 0) {
		save_failed("close");
		return;
	}
	/* the new file's name is on disk before it replaces the old one; then the rename is */
	if (sync_dir(st.cfg->state_file) < 0) {
		save_failed("sync the directory");
		return;
	}
	if (rename(st.tmp, st.cfg->state_file) < 0) {
		save_failed("rename");
		return;
	}
	st.tmp[0] = '\0';
	if (sync_dir(st.cfg->state_file) < 0)
		fprintf(stderr, "cascade-cp: state.file: cannot sync the directory of %s: %s\n",
			st.cfg->state_file, strerror(errno));
	save_reset();
}

/* Write up to budget objects (SIZE_MAX: all). true when the save is over (or failed). */
static bool
save_step(size_t budget)
{
	static const char *const names[PH_DONE] = {"transports", "producers", "consumers"};

	while (budget > 0 && st.saving) {
		if (st.next == st.n_ids[st.phase]) {
			if (++st.phase == PH_DONE) {
				save_end();
				return true;
			}
			fprintf(st.f, "],\"%s\":[", names[st.phase]);
			st.next = 0;
			st.first = true;
			continue;
		}
		json_t *j = state_of(st.phase, st.ids[st.phase][st.next++]);
		budget--;
		if (j == NULL)
			continue; /* gone meanwhile */
		if (!st.first)
			fputc(',', st.f);
		st.first = false;
		if (json_dumpf(j, st.f, JSON_COMPACT) < 0) {
			json_decref(j);
			save_failed("write");
			return true;
		}
		json_decref(j);
	}
	return !st.saving;
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct timeval now = {0, 0}, later = {0, SAVE_DELAY_MS * 1000};

	(void)fd, (void)what, (void)arg;
	if (!st.saving) {
		if (!st.dirty || !save_begin())
			return;
	}
	if (!save_step(SAVE_BATCH)) {
		evtimer_add(st.timer, &now); /* the next batch, after pending I/O */
		return;
	}
	if (st.dirty && !evtimer_pending(st.timer, NULL))
		evtimer_add(st.timer, &later); /* changed meanwhile */
}

static void
on_change(const struct cp_reg_event *ev, void *arg)
{
	struct timeval tv = {0, SAVE_DELAY_MS * 1000};

	(void)ev, (void)arg;
	if (st.cfg->state_file[0] == '\0' || st.dirty)
		return;
	st.dirty = true;
	if (!st.saving && !evtimer_pending(st.timer, NULL))
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

/* The file is no state file: move it aside (kept for whoever wants to look) and start empty. */
static void
move_aside(const char *why)
{
	char aside[PATH_MAX];

	snprintf(aside, sizeof(aside), "%s.corrupt-%lld", st.cfg->state_file, (long long)time(NULL));
	if (rename(st.cfg->state_file, aside) == 0)
		fprintf(stderr,
			"cascade-cp: state.file: %s is not a usable state file (%s); moved it to %s "
			"and starting from the dataplane's tables\n",
			st.cfg->state_file, why, aside);
	else
		fprintf(stderr,
			"cascade-cp: state.file: %s is not a usable state file (%s) and cannot be "
			"moved aside (%s); starting from the dataplane's tables, it is replaced at "
			"the next save\n",
			st.cfg->state_file, why, strerror(errno));
}

static void
load(void)
{
	json_error_t jerr;
	json_t *root, *o;
	unsigned int bad = 0;
	size_t i;
	char why[200];

	root = json_load_file(st.cfg->state_file, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root) ||
	    json_integer_value(json_object_get(root, "version")) != 1) {
		if (root == NULL)
			snprintf(why, sizeof(why), "%s at line %d", jerr.text, jerr.line);
		else
			snprintf(why, sizeof(why), "not a version 1 state file");
		json_decref(root);
		move_aside(why);
		return;
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
}

int
cp_state_init(struct event_base *base, const struct cp_config *cfg)
{
	st.cfg = cfg;
	st.timer = evtimer_new(base, on_timer, NULL);
	if (st.timer == NULL)
		return -1;
	if (cfg->state_file[0] != '\0' && access(cfg->state_file, F_OK) == 0)
		load();
	/* watch only now: what the file held is not a change */
	return cp_registry_watch_all(on_change, NULL);
}

void
cp_state_fini(void)
{
	if (st.timer == NULL)
		return;
	if (st.saving || (st.dirty && save_begin()))
		save_step(SIZE_MAX);
	if (st.dirty && save_begin())
		save_step(SIZE_MAX);
	event_free(st.timer);
	st.timer = NULL;
}
