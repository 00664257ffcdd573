/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The checks of every outside input (see cp_schema.h). Messages name the
 * field as the sender spelled it; API bodies keep the wording the API has
 * always used.
 *
 * Layer: leaf.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cascade_srtp.h"
#include "cp_json.h"
#include "cp_keys.h"
#include "cp_schema.h"

#define SUITES "AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM"

json_t *
cp_schema_load(const char *text, size_t len, const char *what, struct cp_err *err)
{
	json_error_t jerr;
	json_t *j;

	if (len > CP_SCHEMA_MAX_BYTES) {
		cp_err_set(err, -EMSGSIZE, "%s over %d bytes", what, CP_SCHEMA_MAX_BYTES);
		return NULL;
	}
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		cp_err_set(err, -EINVAL, "%s is not JSON: %s (at %d)", what, jerr.text, jerr.position);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		cp_err_set(err, -EINVAL, "%s must be a JSON object", what);
		return NULL;
	}
	return j;
}

/* ---- API bodies ----------------------------------------------------------------------- */

int
cp_schema_transport_req(const json_t *body, struct cp_transport_req *out, struct cp_err *err)
{
	const json_t *v = json_object_get(body, "type");
	bool srtp = false;
	json_int_t port;
	uint8_t suite = CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80;

	memset(out, 0, sizeof(*out));
	out->rtcp_mux = true;
	if (v != NULL && (!json_is_string(v) || strcmp(json_string_value(v), "plain") != 0))
		return cp_err_set(err, -EINVAL, "type: only \"plain\" transports exist");
	if (cp_json_bool(body, "comedia", "", false, &out->comedia, err) < 0 ||
	    cp_json_bool(body, "rtcpMux", "", false, &out->rtcp_mux, err) < 0 ||
	    cp_json_bool(body, "enableSrtp", "", false, &srtp, err) < 0)
		return -EINVAL;
	v = json_object_get(body, "srtpCryptoSuite");
	if (v != NULL && !srtp)
		return cp_err_set(err, -EINVAL, "srtpCryptoSuite: needs \"enableSrtp\":true");
	if (srtp) {
		if (v != NULL && (!json_is_string(v) || cp_suite_parse(json_string_value(v), &suite) < 0))
			return cp_err_set(err, -EINVAL, "srtpCryptoSuite: one of " SUITES);
		if (!cascade_srtp_suite_is_supported((enum cascade_srtp_suite)(suite - 1)))
			return cp_err_set(err, -EINVAL, "srtpCryptoSuite: %s is not in this node's libsrtp2",
					  cp_suite_name(suite));
		out->srtp_suite = suite;
	}
	v = json_object_get(body, "listenIp");
	if (v != NULL) {
		if (!json_is_string(v) || !cp_ip_ok(json_string_value(v)))
			return cp_err_set(err, -EINVAL, "listenIp: not one of this node's media addresses");
		out->listen_ip = json_string_value(v);
	}
	if (cp_json_int(body, "port", "", 1, 65535, false, &port, err) < 0)
		return -EINVAL;
	if (json_object_get(body, "port") != NULL)
		out->port = (uint16_t)port;
	return 0;
}

/* srtpParameters {"cryptoSuite","keyBase64"} of the transport's suite into key. */
static int
srtp_params(const json_t *v, const char *where, uint8_t suite, uint8_t *key, struct cp_err *err)
{
	const json_t *name = json_object_get(v, "cryptoSuite"), *b64 = json_object_get(v, "keyBase64");
	uint8_t k[CASCADE_SRTP_MASTER_MAX_BYTES], got;
	int rc;

	if (!json_is_object(v))
		return cp_err_set(err, -EINVAL, "%s: an object {\"cryptoSuite\",\"keyBase64\"}", where);
	if (!json_is_string(name) || cp_suite_parse(json_string_value(name), &got) < 0)
		return cp_err_set(err, -EINVAL, "%s.cryptoSuite: one of " SUITES, where);
	if (suite != CASCADE_SUITE_NONE && got != suite)
		return cp_err_set(err, -EINVAL, "%s.cryptoSuite: %s differs from the transport's %s",
				  where, json_string_value(name), cp_suite_name(suite));
	if (!json_is_string(b64))
		return cp_err_set(err, -EINVAL, "%s.keyBase64: required, a string", where);
	rc = cascade_srtp_key_from_base64((enum cascade_srtp_suite)(got - 1), json_string_value(b64),
					  k, sizeof(k));
	if (rc < 0) {
		if (rc == -EMSGSIZE)
			return cp_err_set(err, -EINVAL, "%s.keyBase64: %s needs %u bytes of key and salt",
					  where, cp_suite_name(got), cascade_srtp_master_bytes(got));
		return cp_err_set(err, -EINVAL, "%s.keyBase64: not canonical base64", where);
	}
	memset(key, 0, CASCADE_SRTP_MASTER_MAX);
	memcpy(key, k, (size_t)rc);
	explicit_bzero(k, sizeof(k));
	return got;
}

int
cp_schema_connect_req(const json_t *body, uint8_t family, uint8_t suite, bool comedia,
		      bool rtcp_mux, struct cp_connect_req *out, struct cp_err *err)
{
	const json_t *vs = json_object_get(body, "srtpParameters"), *ip = json_object_get(body, "ip");
	struct cascade_addr a;
	json_int_t port = 0, rport = 0;

	memset(out, 0, sizeof(*out));
	if (vs != NULL && suite == CASCADE_SUITE_NONE)
		return cp_err_set(err, -EINVAL,
				  "srtpParameters: the transport was created without enableSrtp");
	if (vs == NULL && suite != CASCADE_SUITE_NONE)
		return cp_err_set(err, -EINVAL,
				  "srtpParameters: required on an SRTP transport (enableSrtp)");
	if (vs != NULL) {
		if (srtp_params(vs, "srtpParameters", suite, out->key, err) < 0)
			return -EINVAL;
		out->has_key = true;
	}
	/* a comedia SRTP transport learns its remote: connect may bring only the keys */
	out->has_tuple = !(ip == NULL && vs != NULL && comedia && json_object_get(body, "port") == NULL &&
			   json_object_get(body, "rtcpPort") == NULL);
	if (!out->has_tuple)
		return 0;
	if (!json_is_string(ip) || cp_addr_make(&a, json_string_value(ip), 1) != family)
		goto bad_ip;
	out->ip = json_string_value(ip);
	if (cp_json_int(body, "port", "", 1, 65535, false, &port, err) < 0 ||
	    cp_json_int(body, "rtcpPort", "", 1, 65535, false, &rport, err) < 0)
		goto bad;
	if (port == 0) {
		cp_err_set(err, -EINVAL, "port: required");
		goto bad;
	}
	if (rtcp_mux && rport != 0 && rport != port) {
		cp_err_set(err, -EINVAL, "rtcpPort: not allowed with rtcpMux");
		goto bad;
	}
	out->port = (uint16_t)port;
	out->rtcp_port = rtcp_mux ? 0 : (uint16_t)rport;
	return 0;
bad_ip:
	cp_err_set(err, -EINVAL, "ip: required, an address of the transport's family (%s)",
		   family == CASCADE_AF_INET ? "IPv4" : "IPv6");
bad:
	explicit_bzero(out->key, sizeof(out->key));
	return -EINVAL;
}

int
cp_schema_producer_req(const json_t *body, struct cp_producer_req *out, struct cp_err *err)
{
	const json_t *v = json_object_get(body, "kind");

	memset(out, 0, sizeof(*out));
	if (!json_is_string(v) || cp_kind_parse(json_string_value(v), &out->kind) < 0)
		return cp_err_set(err, -EINVAL, "kind: \"audio\" or \"video\"");
	out->rtp = json_object_get(body, "rtpParameters");
	if (cp_rtp_check(out->rtp, out->kind, &out->info, err) < 0 ||
	    cp_json_bool(body, "paused", "", false, &out->paused, err) < 0)
		return -EINVAL;
	v = json_object_get(body, "appData");
	if (v != NULL && !json_is_object(v))
		return cp_err_set(err, -EINVAL, "appData: must be an object");
	return 0;
}

int
cp_schema_consumer_req(const json_t *body, struct cp_consumer_req *out, struct cp_err *err)
{
	const json_t *v = json_object_get(body, "producerId");

	memset(out, 0, sizeof(*out));
	if (!json_is_string(v) || !cp_obj_id_ok(json_string_value(v)))
		return cp_err_set(err, -EINVAL, "producerId: required, a producer id");
	out->producer_id = json_string_value(v);
	out->caps = json_object_get(body, "rtpCapabilities");
	if ((out->caps != NULL && cp_rtp_caps_check(out->caps, err) < 0) ||
	    cp_json_bool(body, "paused", "", false, &out->paused, err) < 0)
		return -EINVAL;
	return 0;
}

/* ---- records in Redis ----------------------------------------------------------------- */

/* A string member that must pass ok(): 0, or -EINVAL naming it as what. */
static int
name_member(const json_t *obj, const char *key, bool (*ok)(const char *), const char *what,
	    const char **out, struct cp_err *err)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
	    !ok(json_string_value(v)))
		return cp_err_set(err, -EINVAL, "%s: required, %s", key, what);
	*out = json_string_value(v);
	return 0;
}

static int
producer_ids(const json_t *rec, struct cp_producer_rec *out, struct cp_err *err)
{
	if (!json_is_object(rec))
		return cp_err_set(err, -EINVAL, "producer: must be an object");
	if (name_member(rec, "id", cp_obj_id_ok, "a producer id", &out->id, err) < 0 ||
	    name_member(rec, "room", cp_room_name_ok, "a room name", &out->room, err) < 0)
		return -EINVAL;
	return 0;
}

int
cp_schema_producer_rec(const json_t *rec, struct cp_producer_rec *out, struct cp_err *err)
{
	const json_t *v;

	memset(out, 0, sizeof(*out));
	if (producer_ids(rec, out, err) < 0 ||
	    name_member(rec, "node", cp_node_id_ok, "a node id", &out->node, err) < 0)
		return -EINVAL;
	v = json_object_get(rec, "kind");
	if (!json_is_string(v) || cp_kind_parse(json_string_value(v), &out->kind) < 0)
		return cp_err_set(err, -EINVAL, "kind: \"audio\" or \"video\"");
	out->rtp = json_object_get(rec, "rtpParameters");
	if (cp_rtp_check(out->rtp, out->kind, &out->info, err) < 0 ||
	    cp_json_bool(rec, "paused", "", false, &out->paused, err) < 0)
		return -EINVAL;
	return 0;
}

int
cp_schema_room_msg(const json_t *msg, struct cp_room_msg *out, struct cp_err *err)
{
	static const char *const types[] = {
		[CP_MSG_PRODUCER_ADD] = "producer.add",     [CP_MSG_PRODUCER_PAUSE] = "producer.pause",
		[CP_MSG_PRODUCER_RESUME] = "producer.resume", [CP_MSG_PRODUCER_CLOSE] = "producer.close",
		[CP_MSG_NODE_DOWN] = "node.down",
	};
	const json_t *pr, *v = json_object_get(msg, "type");
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; json_is_string(v) && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(json_string_value(v), types[i]) == 0)
			break;
	if (!json_is_string(v) || i == sizeof(types) / sizeof(types[0]))
		return cp_err_set(err, -EINVAL, "type: one of producer.add, producer.pause, "
						"producer.resume, producer.close, node.down");
	out->type = (enum cp_room_msg_type)i;
	out->type_name = types[i];
	if (name_member(msg, "node", cp_node_id_ok, "a node id", &out->node, err) < 0 ||
	    (json_object_get(msg, "via") != NULL &&
	     name_member(msg, "via", cp_node_id_ok, "a node id", &out->via, err) < 0))
		return -EINVAL;
	if (out->type == CP_MSG_NODE_DOWN)
		return 0;
	pr = json_object_get(msg, "producer");
	if (out->type == CP_MSG_PRODUCER_CLOSE) {
		if (producer_ids(pr, &out->producer, err) < 0)
			goto bad;
		out->producer.node = out->node;
		return 0;
	}
	if (cp_schema_producer_rec(pr, &out->producer, err) < 0)
		goto bad;
	if (strcmp(out->producer.node, out->node) != 0)
		return cp_err_set(err, -EINVAL, "producer.node: %s is not the sender %s",
				  out->producer.node, out->node);
	return 0;
bad:
	cp_err_prefix(err, "producer");
	return -EINVAL;
}

int
cp_schema_producer_signed(const json_t *rec, const struct cp_rec_trust *t, const char *room,
			  const char *id, struct cp_producer_rec *out, struct cp_err *err)
{
	char k[CP_KEY_MAX];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cp_sign_record_check(t->key, cp_key_room(k, t->prefix, room, "producers"), id, rec, err);
	if (rc < 0)
		return rc;
	return cp_schema_producer_rec(rec, out, err);
}

int
cp_schema_room_msg_signed(const json_t *msg, const struct cp_rec_trust *t, const char *channel,
			  struct cp_room_msg *out, struct cp_err *err)
{
	char k[CP_KEY_MAX];
	int rc = cp_schema_room_msg(msg, out, err);

	if (rc < 0)
		return rc;
	if (out->type == CP_MSG_NODE_DOWN)
		return 0; /* names no room: the channel it came on is the one it is about */
	if (strcmp(channel, cp_key_room(k, t->prefix, out->producer.room, "events")) != 0)
		return cp_err_set(err, -EINVAL, "producer.room: %s is not the channel's room",
				  out->producer.room);
	if (out->type == CP_MSG_PRODUCER_CLOSE)
		return 0;
	rc = cp_sign_record_check(t->key, cp_key_room(k, t->prefix, out->producer.room, "producers"),
				  out->producer.id, json_object_get(msg, "producer"), err);
	if (rc < 0) {
		cp_err_prefix(err, "producer");
		return rc;
	}
	return 0;
}

/* A decimal integer in [lo, hi] spelled without sign, spaces or leading zeros. */
static int
decimal(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 10)
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* load: {"egress_pps","consumers","cpu","score"}, each a number >= 0 */
static json_t *
node_load(const char *text, double *score, struct cp_err *err)
{
	static const char *const keys[] = {"egress_pps", "consumers", "cpu", "score"};
	json_t *load = cp_schema_load(text, strlen(text), "load", err), *v;
	unsigned int i;

	*score = 1.0;
	if (load == NULL)
		return NULL;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = json_object_get(load, keys[i]);
		if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1e12) {
			cp_err_set(err, -EINVAL, "load.%s: required, a number >= 0", keys[i]);
			json_decref(load);
			return NULL;
		}
	}
	*score = json_number_value(json_object_get(load, "score"));
	return load;
}

int
cp_schema_node_hash(const json_t *hash, const char *id, struct cp_node_rec *out,
		    struct cp_err *err)
{
	const char *s, *api, *draining = "0";
	json_t *load = NULL;
	char url[CP_URL_MAX];
	long port;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(hash))
		return cp_err_set(err, -EINVAL, "node record: must be a hash");
	if (cp_json_str(hash, "id", "", 1, CP_ID_MAX - 1, true, &s, err) < 0)
		return -EINVAL;
	if (strcmp(s, id) != 0 || !cp_node_id_ok(s))
		return cp_err_set(err, -EINVAL, "id: %s is not the node the record belongs to", s);
	snprintf(out->id, sizeof(out->id), "%s", s);
	if (cp_json_str(hash, "api", "", 1, CP_URL_MAX - 1, true, &api, err) < 0)
		return -EINVAL;
	if (cp_url_parse(api, "http", out->api_host, sizeof(out->api_host), &out->api_port) < 0)
		return cp_err_set(err, -EINVAL, "api: must be http://IP:PORT (an IPv6 address in [])");
	if (cp_json_str(hash, "media_ip", "", 1, CP_IP_MAX - 1, true, &s, err) < 0)
		return -EINVAL;
	if (!cp_ip_ok(s))
		return cp_err_set(err, -EINVAL, "media_ip: must be an IP address");
	snprintf(out->media_ip, sizeof(out->media_ip), "%s", s);
	if (cp_json_str(hash, "pipe_port", "", 1, 5, true, &s, err) < 0)
		return -EINVAL;
	if (decimal(s, 1, 65535, &port) < 0)
		return cp_err_set(err, -EINVAL, "pipe_port: must be a port 1..65535");
	out->pipe_port = (uint16_t)port;
	out->pipe_srtp = CASCADE_SUITE_NONE;
	if (cp_json_str(hash, "pipe_srtp", "", 1, 32, false, &s, err) < 0)
		return -EINVAL;
	if (json_object_get(hash, "pipe_srtp") != NULL && strcmp(s, "none") != 0 &&
	    cp_suite_parse(s, &out->pipe_srtp) < 0)
		return cp_err_set(err, -EINVAL, "pipe_srtp: \"none\" or one of " SUITES);
	if (cp_json_str(hash, "draining", "", 1, 1, false, &draining, err) < 0)
		return -EINVAL;
	if (strcmp(draining, "0") != 0 && strcmp(draining, "1") != 0)
		return cp_err_set(err, -EINVAL, "draining: \"0\" or \"1\"");
	out->draining = draining[0] == '1';
	out->score = 1.0;
	if (cp_json_str(hash, "load", "", 2, 1024, false, &s, err) < 0)
		return -EINVAL;
	if (json_object_get(hash, "load") != NULL && (load = node_load(s, &out->score, err)) == NULL)
		return -EINVAL;
	cp_url_format(url, sizeof(url), "http", out->api_host, out->api_port);
	out->json = json_pack("{s:s,s:s,s:s,s:i,s:s,s:b,s:o}", "id", out->id, "api", url, "media_ip",
			      out->media_ip, "pipe_port", (int)out->pipe_port, "pipe_srtp",
			      cp_suite_name(out->pipe_srtp), "draining", out->draining, "load",
			      load != NULL ? load : json_object());
	if (out->json == NULL)
		return cp_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

int
cp_schema_node_signed(const json_t *hash, const char *id, const struct cp_rec_trust *t,
		      struct cp_node_rec *out, struct cp_err *err)
{
	char k[CP_KEY_MAX];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!cp_node_id_ok(id))
		return cp_err_set(err, -EINVAL, "id: %s is not a node id", id);
	rc = cp_sign_record_check(t->key, cp_key_node(k, t->prefix, id, ""), "", hash, err);
	if (rc < 0)
		return rc;
	return cp_schema_node_hash(hash, id, out, err);
}

/* ---- inter-node calls ----------------------------------------------------------------- */

int
cp_schema_pipe_req(const json_t *body, struct cp_pipe_req *out, struct cp_err *err)
{
	const json_t *v;
	json_int_t x;
	int suite;

	memset(out, 0, sizeof(*out));
	if (name_member(body, "producerId", cp_obj_id_ok, "a producer id", &out->producer_id, err) < 0 ||
	    name_member(body, "node", cp_node_id_ok, "a node id", &out->node, err) < 0 ||
	    name_member(body, "ip", cp_ip_ok, "an IP address", &out->ip, err) < 0 ||
	    cp_json_int(body, "port", "", 1, 65535, true, &x, err) < 0)
		return -EINVAL;
	out->port = (uint16_t)x;
	if (cp_json_int(body, "ssrc", "", 1, UINT32_MAX, true, &x, err) < 0)
		return -EINVAL;
	out->ssrc = (uint32_t)x;
	v = json_object_get(body, "srtp");
	if (v == NULL)
		return 0;
	suite = srtp_params(v, "srtp", CASCADE_SUITE_NONE, out->key, err);
	if (suite < 0)
		return -EINVAL;
	out->suite = (uint8_t)suite;
	return 0;
}

int
cp_schema_pipe_answer(const json_t *body, struct cp_pipe_answer *out, struct cp_err *err)
{
	json_int_t x;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return cp_err_set(err, -EINVAL, "answer: must be a JSON object");
	if (name_member(body, "consumerId", cp_obj_id_ok, "a consumer id", &out->consumer_id, err) < 0 ||
	    cp_json_int(body, "ssrc", "", 1, UINT32_MAX, true, &x, err) < 0)
		return -EINVAL;
	out->ssrc = (uint32_t)x;
	return 0;
}

const char *
cp_schema_error_message(const json_t *body, char *buf, size_t cap)
{
	const json_t *m = json_object_get(json_object_get(body, "error"), "message");
	const char *s;
	size_t i;

	if (!json_is_string(m) || cap == 0)
		return NULL;
	s = json_string_value(m);
	for (i = 0; i + 1 < cap && s[i] != '\0'; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?'; /* it goes into logs and answers */
	buf[i] = '\0';
	return buf;
}

int
cp_schema_dp_event(const struct cascade_event *ev, struct cp_err *err)
{
	switch (ev->type) {
	case CASCADE_EV_REMOTE_LEARNED:
		if (ev->value > 1)
			return cp_err_set(err, -EINVAL, "event.value: neither RTP (0) nor RTCP (1)");
		if (ev->addr.family != CASCADE_AF_INET && ev->addr.family != CASCADE_AF_INET6)
			return cp_err_set(err, -EINVAL, "event.addr.family: not IPv4 or IPv6");
		if (ev->addr.port_be == 0)
			return cp_err_set(err, -EINVAL, "event.addr.port: 0");
		break;
	case CASCADE_EV_STARTED:
		return 0;
	case CASCADE_EV_KEYFRAME_REQUEST:
		if (ev->value != 1 && ev->value != 2)
			return cp_err_set(err, -EINVAL, "event.value: neither PLI (1) nor FIR (2)");
		break;
	default:
		return cp_err_set(err, -EINVAL, "event.type: unknown (%u)", (unsigned int)ev->type);
	}
	if (ev->obj_id == 0)
		return cp_err_set(err, -EINVAL, "event.obj_id: 0");
	return 0;
}
