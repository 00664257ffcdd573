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

#include "cp_rtp.h"
#include "cp_schema.h"

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
	if (cp_rtp_negotiate(rtp, kind, caps, 0x1234, true, &cc, &out, &err) < 0) {
		check(out == NULL && err.code < 0 && memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		return;
	}
	check(out != NULL && cc.ssrc == 0x1234 && cc.n_pt_map <= CASCADE_MAX_PT_MAP);
	check(cc.ext_map[0] == 0 && cc.ext_map[CASCADE_MAX_EXT_ID + 1] == 0);
	for (i = 1; i <= CASCADE_MAX_EXT_ID; i++) {
		check(cc.ext_map[i] >= 1 && cc.ext_map[i] <= CASCADE_MAX_EXT_ID);
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
	default:
		break;
	}
	json_decref(j);
	return 0;
}
