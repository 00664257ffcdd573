/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for everything cascade-cp reads from outside, through its
 * one validator (controlplane/cp_schema.c, cp_rtp.c). The first byte of an
 * input says what the rest is (an ASCII digit, so seed files stay readable):
 *   0 an API producer body        1 an API consumer body
 *   2 a producer record in Redis  3 a room channel message
 *   4 a /v1/internal/pipes body   5 its answer (or an error answer)
 *   6 a node record (a hash)      7 transport create and connect bodies
 *   8 RtpParameters, unchecked    9 RtpCapabilities, unchecked
 *   e an event from the dataplane's event ring (its bytes, zero-filled)
 *   s a producer record, n a node record, m a room message, each read as
 *     it is (its "sig", if any, checked) and then signed with a test key
 *     the way a node signs it, dumped and parsed again (what a trip through
 *     Redis does), and read again: the signature must verify, and must not
 *     under another key or field
 *   h inter-node request headers: NODE \n TIME \n SIGNATURE \n BODY, parsed
 *     and checked as a node checks them; then signed for that body by that
 *     node, which must verify only for the node it was made for
 * Whatever passes the validator is then used as the control plane uses it:
 * producer parameters and records are negotiated against a receiver's
 * capabilities (and capabilities against a producer), and 8 and 9 go to the
 * negotiation without any check first, which must check its inputs itself.
 * Besides memory errors and undefined behaviour, the target aborts when a
 * negotiation's answer breaks its contract: the extension map a permutation of
 * 1..14, payload types mapped once, the consumer's parameters good
 * RtpParameters themselves.
 *
 * The unit test test_schema links this file too and replays corpus/ and
 * regressions/ through LLVMFuzzerTestOneInput() on every build.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cp_keys.h"
#include "cp_rtp.h"
#include "cp_schema.h"
#include "cp_sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char caps_text[] =
	"{\"codecs\":[{\"kind\":\"video\",\"mimeType\":\"video/VP8\",\"preferredPayloadType\":100,"
	"\"clockRate\":90000,\"rtcpFeedback\":[{\"type\":\"nack\"},{\"type\":\"transport-cc\"}]},"
	"{\"mimeType\":\"video/H264\",\"preferredPayloadType\":102,\"clockRate\":90000,"
	"\"parameters\":{\"packetization-mode\":1,\"profile-level-id\":\"42e01f\"}},"
	"{\"kind\":\"audio\",\"mimeType\":\"audio/opus\",\"preferredPayloadType\":111,"
	"\"clockRate\":48000,\"channels\":2}],\"headerExtensions\":[{\"uri\":"
	"\"urn:ietf:params:rtp-hdrext:sdes:mid\",\"preferredId\":1},{\"uri\":"
	"\"http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\","
	"\"preferredId\":5},{\"kind\":\"audio\",\"uri\":\"urn:ietf:params:rtp-hdrext:ssrc-audio-level\","
	"\"preferredId\":10}]}";
static const char rtp_text[] =
	"{\"codecs\":[{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000}],"
	"\"headerExtensions\":[{\"uri\":\"urn:ietf:params:rtp-hdrext:sdes:mid\",\"id\":4}],"
	"\"encodings\":[{\"ssrc\":4096}],\"rtcp\":{\"cname\":\"c\"}}";

static void
check(bool cond)
{
	if (!cond)
		abort();
}

/* Negotiate and check the answer's contract (failure is fine: it must just be clean). */
static void
negotiate(const json_t *rtp, uint8_t kind, const json_t *caps)
{
	struct cascade_cmd_consumer cc;
	bool seen[CASCADE_MAX_EXT_ID + 1] = {false}, in_seen[128] = {false};
	struct cp_rtp info;
	struct cp_err err;
	json_t *out = NULL;
	unsigned int i;

	memset(&cc, 0xa5, sizeof(cc));
	if (cp_rtp_negotiate(rtp, kind, caps, 0x1234, 0x5678, true, &cc, &out, &err) < 0) {
		check(out == NULL && err.code < 0 && memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		return;
	}
	check(out != NULL && cc.ssrc == 0x1234 && cc.n_pt_map <= CASCADE_MAX_PT_MAP);
	check(cc.ext_map[0] == 0 && cc.ext_map[CASCADE_MAX_EXT_ID + 1] == 0);
	check(cc.twcc_ext_id <= CASCADE_MAX_EXT_ID);
	for (i = 1; i <= CASCADE_MAX_EXT_ID; i++) {
		if (cc.ext_map[i] == CASCADE_EXT_TWCC)
			continue; /* blanked: the sender's transport-wide number, or no id left */
		check(cc.ext_map[i] >= 1 && cc.ext_map[i] <= CASCADE_MAX_EXT_ID);
		check(cc.ext_map[i] != cc.twcc_ext_id);
		check(!seen[cc.ext_map[i]]);
		seen[cc.ext_map[i]] = true;
	}
	for (i = 0; i < cc.n_pt_map; i++) {
		check(cc.pt_map[i].in_pt < 128 && cc.pt_map[i].out_pt < 128);
		check(!in_seen[cc.pt_map[i].in_pt]);
		in_seen[cc.pt_map[i].in_pt] = true;
	}
	check(cp_rtp_check(out, kind, &info, &err) == 0 && info.ssrc == 0x1234);
	json_decref(out);
}

static void
use_rtp(const json_t *rtp, uint8_t kind)
{
	json_t *caps = json_loads(caps_text, 0, NULL), *copy;

	negotiate(rtp, kind, caps);
	negotiate(rtp, kind, NULL);
	copy = cp_rtp_with_ssrc(rtp, 77);
	json_decref(copy);
	json_decref(caps);
}

static const struct cp_sign_key test_key = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
					       31, 32}};
static const struct cp_rec_trust trust = {&test_key, "cascade"};

/* The member key of j if it is a string that passes ok, else dflt. */
static const char *
name_or(const json_t *j, const char *key, bool (*ok)(const char *), const char *dflt)
{
	const json_t *v = json_object_get(j, key);

	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v) &&
			       ok(json_string_value(v))
		       ? json_string_value(v)
		       : dflt;
}

/* j as Redis gives it back: its text, parsed again (NULL when it does not parse). */
static json_t *
round_trip(const json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	json_t *back = text != NULL ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;

	free(text);
	return back;
}

/* s, n and m: read as they are, then signed as a node signs them and read again. */
static void
signed_record(char mode, json_t *j)
{
	const char *room = name_or(j, "room", cp_room_name_ok, "r");
	const char *id = name_or(j, "id", cp_obj_id_ok, "p");
	struct cp_producer_rec rec;
	struct cp_node_rec node;
	struct cp_room_msg msg;
	struct cp_err err;
	char key[CP_KEY_MAX], ch[CP_KEY_MAX];
	json_t *back, *pr;
	int rc;

	if (mode == 'n') {
		if (cp_schema_node_signed(j, "n1", &trust, &node, &err) == 0)
			json_decref(node.json);
		snprintf(key, sizeof(key), "cascade:node:{n1}");
		check(cp_sign_record(&test_key, key, "", j) == 0);
		back = round_trip(j);
		check(back != NULL);
		rc = cp_schema_node_signed(back, "n1", &trust, &node, &err);
		check(rc != -EACCES);
		if (rc == 0) {
			check(node.api_port != 0 && node.json != NULL);
			json_decref(node.json);
		}
		check(cp_schema_node_signed(back, "n2", &trust, &node, &err) != 0);
		json_decref(back);
		return;
	}
	if (mode == 'm') {
		pr = json_object_get(j, "producer");
		room = name_or(pr, "room", cp_room_name_ok, "r");
		snprintf(ch, sizeof(ch), "cascade:{%s}:events", room);
		(void)cp_schema_room_msg_signed(j, &trust, ch, &msg, &err);
		if (json_is_object(pr)) {
			snprintf(key, sizeof(key), "cascade:{%s}:producers", room);
			check(cp_sign_record(&test_key, key, name_or(pr, "id", cp_obj_id_ok, "p"), pr) == 0);
		}
		back = round_trip(j);
		check(back != NULL);
		rc = cp_schema_room_msg_signed(back, &trust, ch, &msg, &err);
		check(rc != -EACCES);
		if (rc == 0 && msg.type != CP_MSG_NODE_DOWN)
			check(strcmp(msg.producer.room, room) == 0 && cp_obj_id_ok(msg.producer.id));
		json_decref(back);
		return;
	}
	if (cp_schema_producer_signed(j, &trust, room, id, &rec, &err) == 0)
		use_rtp(rec.rtp, rec.kind);
	snprintf(key, sizeof(key), "cascade:{%s}:producers", room);
	check(cp_sign_record(&test_key, key, id, j) == 0);
	back = round_trip(j);
	check(back != NULL);
	rc = cp_schema_producer_signed(back, &trust, room, id, &rec, &err);
	check(rc != -EACCES);
	if (rc == 0)
		use_rtp(rec.rtp, rec.kind);
	/* bound to its key and field */
	check(cp_schema_producer_signed(back, &trust, room, "not an id", &rec, &err) == -EACCES);
	json_decref(back);
}

/* h: NODE \n TIME \n SIGNATURE \n BODY, as a node receives them. */
static void
peer_headers(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *parts[3], *body, *nl;
	struct cp_sign_peer p, q;
	struct cp_sign_peer_hdrs h;
	struct cp_err err;
	unsigned int i;

	if (text == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	body = text;
	for (i = 0; i < 3; i++) {
		parts[i] = body;
		nl = strchr(body, '\n');
		if (nl == NULL) {
			free(text);
			return;
		}
		*nl = '\0';
		body = nl + 1;
	}
	if (cp_sign_peer_parse(parts[0], parts[1], parts[2], &p, &err) < 0) {
		check(err.code == -EACCES && memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		free(text);
		return;
	}
	check(cp_node_id_ok(p.node) && p.time_ms >= 0);
	/* a guessed signature never verifies; the time inside the window */
	check(cp_sign_peer_check(&test_key, &p, "n1", "POST", "/v1/internal/pipes", body,
				 strlen(body), p.time_ms, &err) == -EACCES);
	check(cp_sign_peer_check(&test_key, &p, "n1", "POST", "/v1/internal/pipes", body,
				 strlen(body), p.time_ms + 2 * CP_SIGN_PEER_WINDOW_MS, &err) == -ESTALE);
	/* the same request, signed: it verifies for n1 only */
	check(cp_sign_peer_make(&test_key, p.node, "n1", "POST", "/v1/internal/pipes", body,
				strlen(body), p.time_ms, &h) == 0);
	check(cp_sign_peer_parse(p.node, h.time, h.sig, &q, &err) == 0);
	check(cp_sign_peer_check(&test_key, &q, "n1", "POST", "/v1/internal/pipes", body,
				 strlen(body), p.time_ms, &err) == 0);
	check(cp_sign_peer_check(&test_key, &q, "n2", "POST", "/v1/internal/pipes", body,
				 strlen(body), p.time_ms, &err) == -EACCES);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_transport_req trq;
	struct cp_connect_req crq;
	struct cp_producer_req prq;
	struct cp_consumer_req kq;
	struct cp_producer_rec rec;
	struct cp_room_msg msg;
	struct cp_pipe_req pipe;
	struct cp_pipe_answer ans;
	struct cp_node_rec node;
	struct cp_err err;
	json_t *j, *other;
	char buf[200];

	if (size < 1)
		return 0;
	if (data[0] == 'e') {
		struct cascade_event ev;

		memset(&ev, 0, sizeof(ev));
		memcpy(&ev, data + 1, size - 1 < sizeof(ev) ? size - 1 : sizeof(ev));
		if (cp_schema_dp_event(&ev, &err) == 0)
			check(ev.type == CASCADE_EV_STARTED || ev.obj_id != 0);
		else
			check(err.code == -EINVAL && memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		return 0;
	}
	if (data[0] == 'h') {
		peer_headers(data + 1, size - 1);
		return 0;
	}
	j = cp_schema_load((const char *)data + 1, size - 1, "input", &err);
	if (j == NULL) {
		check(err.code < 0);
		return 0;
	}
	switch (data[0]) {
	case '0':
		if (cp_schema_producer_req(j, &prq, &err) == 0)
			use_rtp(prq.rtp, prq.kind);
		break;
	case '1':
		if (cp_schema_consumer_req(j, &kq, &err) == 0 && kq.caps != NULL) {
			other = json_loads(rtp_text, 0, NULL);
			negotiate(other, CASCADE_KIND_VIDEO, kq.caps);
			json_decref(other);
		}
		break;
	case '2':
		if (cp_schema_producer_rec(j, &rec, &err) == 0)
			use_rtp(rec.rtp, rec.kind);
		break;
	case '3':
		if (cp_schema_room_msg(j, &msg, &err) == 0 && msg.type != CP_MSG_NODE_DOWN)
			check(cp_room_name_ok(msg.producer.room) && cp_obj_id_ok(msg.producer.id));
		break;
	case '4':
		if (cp_schema_pipe_req(j, &pipe, &err) == 0)
			check(pipe.port != 0 && pipe.ssrc != 0 && cp_ip_ok(pipe.ip));
		break;
	case '5':
		if (cp_schema_pipe_answer(j, &ans, &err) == 0)
			check(ans.ssrc != 0);
		if (cp_schema_error_message(j, buf, sizeof(buf)) != NULL)
			check(strlen(buf) < sizeof(buf));
		break;
	case '6':
		if (cp_schema_node_hash(j, "n1", &node, &err) == 0) {
			check(node.api_port != 0 && node.pipe_port != 0 && node.json != NULL);
			json_decref(node.json);
		}
		break;
	case '7':
		(void)cp_schema_transport_req(j, &trq, &err);
		(void)cp_schema_connect_req(j, CASCADE_AF_INET, CASCADE_SUITE_NONE, false, true, &crq,
					    &err);
		(void)cp_schema_connect_req(j, CASCADE_AF_INET6, CASCADE_SUITE_AEAD_AES_128_GCM, true,
					    false, &crq, &err);
		break;
	case '8':
		use_rtp(json_object_get(j, "rtpParameters") != NULL ? json_object_get(j, "rtpParameters")
								     : j,
			CASCADE_KIND_VIDEO);
		use_rtp(j, CASCADE_KIND_AUDIO);
		break;
	case '9':
		other = json_loads(rtp_text, 0, NULL);
		negotiate(other, CASCADE_KIND_VIDEO, j);
		json_decref(other);
		break;
	case 's':
	case 'n':
	case 'm':
		signed_record((char)data[0], j);
		break;
	default:
		break;
	}
	json_decref(j);
	return 0;
}
