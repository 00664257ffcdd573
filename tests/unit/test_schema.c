/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cp_schema, the one validator: a producer record from Redis meets the rules
 * of an API producer body (an extension id of 300 and a codec without a
 * mimeType are refused, naming the field), room messages, node records (IPv6
 * API addresses in brackets), inter-node requests and answers, the API's
 * transport, connect, producer and consumer bodies; cp_addr's URLs; and the
 * fuzz target's corpus and regression inputs, replayed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cp_addr.h"
#include "cp_schema.h"
#include "fuzz_replay.h"

/* The fuzz target, linked in to replay its corpus (tests/fuzz/fuzz_cp_input.c). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VP8 "{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000}"
#define RTP "{\"codecs\":[" VP8 "],\"encodings\":[{\"ssrc\":4096}]}"
#define REC(rtp) "{\"id\":\"p1\",\"node\":\"node-1\",\"room\":\"r1\",\"kind\":\"video\",\"rtpParameters\":" rtp "}"

typedef int (*check_fn)(const json_t *j, void *out, struct cp_err *err);

static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return j;
}

/* text through fn: accepted (field NULL) or refused naming field */
static void
expect(check_fn fn, const char *text, const char *field)
{
	union {
		struct cp_producer_rec rec;
		struct cp_room_msg msg;
		struct cp_pipe_req pipe;
		struct cp_pipe_answer ans;
		struct cp_transport_req t;
		struct cp_producer_req p;
		struct cp_consumer_req c;
	} out;
	struct cp_err err = {0};
	json_t *j = J(text);
	int rc = fn(j, &out, &err);

	if (field == NULL && rc != 0)
		fail_msg("refused (%s): %s", err.msg, text);
	if (field != NULL && rc == 0)
		fail_msg("accepted: %s", text);
	if (field != NULL && strstr(err.msg, field) == NULL)
		fail_msg("'%s' does not name %s (for %s)", err.msg, field, text);
	json_decref(j);
}

static int
rec(const json_t *j, void *out, struct cp_err *err)
{
	return cp_schema_producer_rec(j, out, err);
}

static int
msg(const json_t *j, void *out, struct cp_err *err)
{
	return cp_schema_room_msg(j, out, err);
}

static int
pipe_req(const json_t *j, void *out, struct cp_err *err)
{
	return cp_schema_pipe_req(j, out, err);
}

static int
pipe_ans(const json_t *j, void *out, struct cp_err *err)
{
	return cp_schema_pipe_answer(j, out, err);
}

static int
transport_req(const json_t *j, void *out, struct cp_err *err)
{
	return cp_schema_transport_req(j, out, err);
}

static int
producer_req(const json_t *j, void *out, struct cp_err *err)
{
	return cp_schema_producer_req(j, out, err);
}

static int
consumer_req(const json_t *j, void *out, struct cp_err *err)
{
	return cp_schema_consumer_req(j, out, err);
}

static void
test_producer_records(void **state)
{
	(void)state;
	expect(rec, REC(RTP), NULL);
	/* what the API refuses, a record from Redis cannot bring in either */
	expect(rec, REC("{\"codecs\":[" VP8 "],\"headerExtensions\":[{\"uri\":\"u\",\"id\":300}],"
			"\"encodings\":[{\"ssrc\":4096}]}"),
	       "rtpParameters.headerExtensions[0].id");
	expect(rec, REC("{\"codecs\":[{\"payloadType\":96,\"clockRate\":90000}],\"encodings\":[{\"ssrc\":1}]}"),
	       "rtpParameters.codecs[0].mimeType");
	expect(rec, REC("{\"codecs\":[" VP8 "]}"), "rtpParameters.encodings");
	expect(rec, REC("[]"), "rtpParameters");
	expect(rec, "{\"id\":\"p1\",\"node\":\"node-1\",\"room\":\"r1\",\"kind\":\"audio\",\"rtpParameters\":" RTP "}",
	       "codecs[0].mimeType");
	expect(rec, "{\"id\":\"p/1\",\"node\":\"node-1\",\"room\":\"r1\",\"kind\":\"video\",\"rtpParameters\":" RTP "}",
	       "id");
	expect(rec, "{\"id\":\"p1\",\"node\":\"node 1\",\"room\":\"r1\",\"kind\":\"video\",\"rtpParameters\":" RTP "}",
	       "node");
	expect(rec, "{\"id\":\"p1\",\"node\":\"node-1\",\"room\":\"{r1}\",\"kind\":\"video\",\"rtpParameters\":" RTP "}",
	       "room");
	expect(rec, "{\"id\":\"p1\",\"node\":\"node-1\",\"room\":\"r1\",\"kind\":\"data\",\"rtpParameters\":" RTP "}",
	       "kind");
	expect(rec, "{\"id\":\"p1\",\"node\":\"node-1\",\"room\":\"r1\",\"kind\":\"video\",\"paused\":\"no\",\"rtpParameters\":" RTP "}",
	       "paused");
}

static void
test_room_messages(void **state)
{
	(void)state;
	expect(msg, "{\"type\":\"producer.add\",\"node\":\"node-1\",\"producer\":" REC(RTP) "}", NULL);
	expect(msg, "{\"type\":\"producer.close\",\"node\":\"n2\",\"producer\":{\"id\":\"p\",\"room\":\"r\"}}",
	       NULL);
	expect(msg, "{\"type\":\"node.down\",\"node\":\"n2\",\"via\":\"n3\"}", NULL);
	expect(msg, "{\"type\":\"producer.delete\",\"node\":\"n2\"}", "type");
	expect(msg, "{\"node\":\"n2\"}", "type");
	expect(msg, "{\"type\":\"node.down\"}", "node");
	expect(msg, "{\"type\":\"node.down\",\"node\":\"n2\",\"via\":5}", "via");
	/* a record announced by another node than its own */
	expect(msg, "{\"type\":\"producer.add\",\"node\":\"node-2\",\"producer\":" REC(RTP) "}",
	       "producer.node");
	expect(msg, "{\"type\":\"producer.pause\",\"node\":\"node-1\",\"producer\":" REC("{}") "}",
	       "producer");
	expect(msg, "{\"type\":\"producer.close\",\"node\":\"n2\",\"producer\":{\"id\":\"p\"}}", "room");
}

static void
test_pipe_requests(void **state)
{
	struct cp_pipe_req rq;
	struct cp_err err;
	json_t *j;

	(void)state;
	expect(pipe_req, "{\"producerId\":\"p\",\"node\":\"n2\",\"ip\":\"198.18.0.12\",\"port\":7000,\"ssrc\":1}",
	       NULL);
	expect(pipe_req, "{\"node\":\"n2\",\"ip\":\"198.18.0.12\",\"port\":7000,\"ssrc\":1}", "producerId");
	expect(pipe_req, "{\"producerId\":\"p\",\"node\":\"\",\"ip\":\"198.18.0.12\",\"port\":7000,\"ssrc\":1}",
	       "node");
	expect(pipe_req, "{\"producerId\":\"p\",\"node\":\"n2\",\"ip\":\"host\",\"port\":7000,\"ssrc\":1}", "ip");
	expect(pipe_req, "{\"producerId\":\"p\",\"node\":\"n2\",\"ip\":\"::1\",\"port\":0,\"ssrc\":1}", "port");
	expect(pipe_req, "{\"producerId\":\"p\",\"node\":\"n2\",\"ip\":\"::1\",\"port\":9,\"ssrc\":0}", "ssrc");
	expect(pipe_req,
	       "{\"producerId\":\"p\",\"node\":\"n2\",\"ip\":\"::1\",\"port\":9,\"ssrc\":1,\"srtp\":{\"cryptoSuite\":\"X\",\"keyBase64\":\"AA==\"}}",
	       "srtp.cryptoSuite");
	expect(pipe_req,
	       "{\"producerId\":\"p\",\"node\":\"n2\",\"ip\":\"::1\",\"port\":9,\"ssrc\":1,\"srtp\":{\"cryptoSuite\":\"AEAD_AES_128_GCM\",\"keyBase64\":\"AA==\"}}",
	       "srtp.keyBase64");
	j = J("{\"producerId\":\"p\",\"node\":\"n2\",\"ip\":\"::1\",\"port\":9,\"ssrc\":1,\"srtp\":{"
	      "\"cryptoSuite\":\"AEAD_AES_128_GCM\",\"keyBase64\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==\"}}");
	assert_int_equal(cp_schema_pipe_req(j, &rq, &err), 0);
	assert_int_equal(rq.suite, CASCADE_SUITE_AEAD_AES_128_GCM);
	assert_int_equal(rq.key[27], 27);
	json_decref(j);
	expect(pipe_ans, "{\"consumerId\":\"c\",\"ssrc\":5}", NULL);
	expect(pipe_ans, "{\"ssrc\":5}", "consumerId");
	expect(pipe_ans, "{\"consumerId\":\"c\",\"ssrc\":\"5\"}", "ssrc");
}

static void
test_error_message(void **state)
{
	json_t *j = J("{\"error\":{\"code\":\"x\",\"message\":\"bad\\nthing\\u0001 here\"}}");
	char buf[8];

	(void)state;
	assert_string_equal(cp_schema_error_message(j, buf, sizeof(buf)), "bad?thi");
	json_decref(j);
	j = J("{\"error\":\"x\"}");
	assert_null(cp_schema_error_message(j, buf, sizeof(buf)));
	json_decref(j);
}

/* A node record as Redis holds it: every value a string. */
static int
node(const char *text, struct cp_node_rec *out, struct cp_err *err)
{
	json_t *j = J(text);
	int rc = cp_schema_node_hash(j, "n1", out, err);

	json_decref(j);
	return rc;
}

static void
test_node_records(void **state)
{
	struct cp_node_rec r;
	struct cp_err err;

	(void)state;
	assert_int_equal(node("{\"id\":\"n1\",\"api\":\"http://[2001:2::11]:8480\",\"media_ip\":"
			      "\"2001:2::11\",\"pipe_port\":\"7000\",\"pipe_srtp\":\"AEAD_AES_128_GCM\","
			      "\"draining\":\"1\",\"load\":\"{\\\"egress_pps\\\":0,\\\"consumers\\\":1,"
			      "\\\"cpu\\\":0,\\\"score\\\":0.25}\"}",
			      &r, &err),
			 0);
	assert_string_equal(r.api_host, "2001:2::11");
	assert_int_equal(r.api_port, 8480);
	assert_int_equal(r.pipe_port, 7000);
	assert_int_equal(r.pipe_srtp, CASCADE_SUITE_AEAD_AES_128_GCM);
	assert_true(r.draining);
	assert_true(r.score == 0.25);
	assert_string_equal(json_string_value(json_object_get(r.json, "api")), "http://[2001:2::11]:8480");
	assert_int_equal(json_integer_value(json_object_get(r.json, "pipe_port")), 7000);
	json_decref(r.json);
	assert_int_equal(node("{\"id\":\"n1\",\"api\":\"http://198.18.0.11:8480\",\"media_ip\":"
			      "\"198.18.0.11\",\"pipe_port\":\"7000\"}",
			      &r, &err),
			 0);
	assert_int_equal(r.pipe_srtp, CASCADE_SUITE_NONE);
	json_decref(r.json);
#define BAD_NODE(text, field)                                                                     \
	do {                                                                                      \
		assert_int_equal(node(text, &r, &err), -EINVAL);                                  \
		if (strstr(err.msg, field) == NULL)                                               \
			fail_msg("'%s' does not name %s", err.msg, field);                        \
	} while (0)
	/* an IPv6 address without brackets cannot tell its port */
	BAD_NODE("{\"id\":\"n1\",\"api\":\"http://2001:2::11:8480\",\"media_ip\":\"::1\",\"pipe_port\":\"7000\"}",
		 "api");
	BAD_NODE("{\"id\":\"n1\",\"api\":\"http://[198.18.0.11]:8480\",\"media_ip\":\"::1\",\"pipe_port\":\"7000\"}",
		 "api");
	BAD_NODE("{\"id\":\"n1\",\"api\":\"http://host:8480\",\"media_ip\":\"::1\",\"pipe_port\":\"7000\"}",
		 "api");
	BAD_NODE("{\"id\":\"n1\",\"api\":\"https://1.2.3.4:8480\",\"media_ip\":\"::1\",\"pipe_port\":\"7000\"}",
		 "api");
	BAD_NODE("{\"id\":\"n1\",\"api\":\"http://1.2.3.4:8480/x\",\"media_ip\":\"::1\",\"pipe_port\":\"7000\"}",
		 "api");
	BAD_NODE("{\"id\":\"n2\",\"api\":\"http://1.2.3.4:1\",\"media_ip\":\"::1\",\"pipe_port\":\"7000\"}",
		 "id");
	BAD_NODE("{\"id\":\"n1\",\"api\":\"http://1.2.3.4:1\",\"media_ip\":\"::1\",\"pipe_port\":\"07000\"}",
		 "pipe_port");
	BAD_NODE("{\"id\":\"n1\",\"api\":\"http://1.2.3.4:1\",\"media_ip\":\"::1\",\"pipe_port\":\"70000\"}",
		 "pipe_port");
	BAD_NODE("{\"id\":\"n1\",\"api\":\"http://1.2.3.4:1\",\"media_ip\":\"x\",\"pipe_port\":\"7\"}",
		 "media_ip");
	BAD_NODE("{\"id\":\"n1\",\"api\":\"http://1.2.3.4:1\",\"media_ip\":\"::1\",\"pipe_port\":\"7\",\"draining\":\"yes\"}",
		 "draining");
	BAD_NODE("{\"id\":\"n1\",\"api\":\"http://1.2.3.4:1\",\"media_ip\":\"::1\",\"pipe_port\":\"7\",\"pipe_srtp\":\"rot13\"}",
		 "pipe_srtp");
	BAD_NODE("{\"id\":\"n1\",\"api\":\"http://1.2.3.4:1\",\"media_ip\":\"::1\",\"pipe_port\":\"7\",\"load\":\"{}\"}",
		 "load.egress_pps");
}

static void
test_api_bodies(void **state)
{
	struct cp_connect_req c;
	struct cp_err err;
	json_t *j;

	(void)state;
	expect(transport_req, "{}", NULL);
	expect(transport_req, "{\"type\":\"webrtc\"}", "type");
	expect(transport_req, "{\"comedia\":1}", "comedia");
	expect(transport_req, "{\"rtcpMux\":\"no\"}", "rtcpMux");
	expect(transport_req, "{\"srtpCryptoSuite\":\"AEAD_AES_128_GCM\"}", "srtpCryptoSuite");
	expect(transport_req, "{\"enableSrtp\":true,\"srtpCryptoSuite\":\"NULL\"}", "srtpCryptoSuite");
	expect(transport_req, "{\"listenIp\":\"localhost\"}", "listenIp");
	expect(transport_req, "{\"port\":65536}", "port");
	expect(producer_req, "{\"kind\":\"video\",\"rtpParameters\":" RTP ",\"appData\":{}}", NULL);
	expect(producer_req, "{\"rtpParameters\":" RTP "}", "kind");
	expect(producer_req, "{\"kind\":\"video\",\"rtpParameters\":" RTP ",\"paused\":0}", "paused");
	expect(producer_req, "{\"kind\":\"video\",\"rtpParameters\":" RTP ",\"appData\":[]}", "appData");
	expect(consumer_req, "{\"producerId\":\"p\"}", NULL);
	expect(consumer_req, "{\"producerId\":\"\"}", "producerId");
	expect(consumer_req, "{\"producerId\":\"p\",\"rtpCapabilities\":{}}", "rtpCapabilities.codecs");
	/* connect: the tuple of the transport's family; keys only on an SRTP transport */
	j = J("{\"ip\":\"198.18.0.2\",\"port\":6000}");
	assert_int_equal(cp_schema_connect_req(j, CASCADE_AF_INET, 0, false, true, &c, &err), 0);
	assert_true(c.has_tuple);
	assert_int_equal(cp_schema_connect_req(j, CASCADE_AF_INET6, 0, false, true, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "ip: required, an address of the transport's family (IPv6)"));
	assert_int_equal(cp_schema_connect_req(j, CASCADE_AF_INET, CASCADE_SUITE_AEAD_AES_128_GCM,
					       false, true, &c, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "srtpParameters: required"));
	json_decref(j);
	j = J("{\"ip\":\"198.18.0.2\",\"port\":6000,\"rtcpPort\":6001}");
	assert_int_equal(cp_schema_connect_req(j, CASCADE_AF_INET, 0, false, true, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "rtcpPort"));
	assert_int_equal(cp_schema_connect_req(j, CASCADE_AF_INET, 0, false, false, &c, &err), 0);
	assert_int_equal(c.rtcp_port, 6001);
	json_decref(j);
	/* a comedia SRTP transport may get its keys alone */
	j = J("{\"srtpParameters\":{\"cryptoSuite\":\"AEAD_AES_128_GCM\",\"keyBase64\":"
	      "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==\"}}");
	assert_int_equal(cp_schema_connect_req(j, CASCADE_AF_INET, CASCADE_SUITE_AEAD_AES_128_GCM, true,
					       true, &c, &err),
			 0);
	assert_false(c.has_tuple);
	assert_true(c.has_key);
	assert_int_equal(cp_schema_connect_req(j, CASCADE_AF_INET, CASCADE_SUITE_AES_CM_128_HMAC_SHA1_80,
					       true, true, &c, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "srtpParameters.cryptoSuite"));
	json_decref(j);
}

static void
test_load(void **state)
{
	static char big[CP_SCHEMA_MAX_BYTES + 2];
	struct cp_err err;

	(void)state;
	assert_null(cp_schema_load("{\"a\":1,\"a\":2}", strlen("{\"a\":1,\"a\":2}"), "body", &err));
	assert_int_equal(err.code, -EINVAL);
	assert_null(cp_schema_load("[1]", 3, "body", &err));
	assert_non_null(strstr(err.msg, "body must be a JSON object"));
	assert_null(cp_schema_load("{\"a\":\"\\u0000\"}", strlen("{\"a\":\"\\u0000\"}"), "body", &err));
	memset(big, ' ', sizeof(big));
	assert_null(cp_schema_load(big, sizeof(big), "body", &err));
	assert_int_equal(err.code, -EMSGSIZE);
}

static void
test_urls(void **state)
{
	char host[CP_IP_MAX], url[CP_URL_MAX];
	uint16_t port;

	(void)state;
	assert_true(cp_url_format(url, sizeof(url), "http", "2001:2::11", 8480) > 0);
	assert_string_equal(url, "http://[2001:2::11]:8480");
	assert_int_equal(cp_url_parse(url, "http", host, sizeof(host), &port), 0);
	assert_string_equal(host, "2001:2::11");
	assert_int_equal(port, 8480);
	cp_url_format(url, sizeof(url), "redis", "198.18.0.1", 6379);
	assert_string_equal(url, "redis://198.18.0.1:6379");
	assert_int_equal(cp_url_parse("redis://[::1]:6379/", "redis", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(cp_url_parse("redis://[::1]:6379", "http", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cp_url_parse("redis://[::1]", "redis", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cp_url_parse("redis://u:p@1.2.3.4:1", "redis", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cp_hostport_parse("[::1]:8480", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(cp_hostport_parse("::1:8480", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(cp_hostport_parse("127.0.0.1:8480", host, sizeof(host), &port), 0);
	assert_int_equal(cp_hostport_parse("localhost:8480", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cp_hostport_parse("[127.0.0.1]:8480", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cp_hostport_parse("1.2.3.4:0", host, sizeof(host), &port), -EINVAL);
}

static struct cascade_event
event(uint16_t type, uint64_t obj_id, uint64_t value)
{
	struct cascade_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.obj_id = obj_id;
	ev.value = value;
	return ev;
}

/* dp_event OK EV FIELD: the check accepts EV, or refuses it naming FIELD. */
static void
dp_event(const struct cascade_event *ev, const char *field)
{
	struct cp_err err;

	memset(&err, 0, sizeof(err));
	if (field == NULL) {
		assert_int_equal(cp_schema_dp_event(ev, &err), 0);
		return;
	}
	assert_int_equal(cp_schema_dp_event(ev, &err), -EINVAL);
	assert_non_null(strstr(err.msg, field));
}

static void
test_dp_events(void **state)
{
	struct cascade_event ev;

	(void)state;
	ev = event(CASCADE_EV_REMOTE_LEARNED, 7, 0);
	dp_event(&ev, "event.addr.family");
	ev.addr.family = CASCADE_AF_INET;
	dp_event(&ev, "event.addr.port");
	ev.addr.port_be = 0x8813;
	dp_event(&ev, NULL);
	ev.value = 1; /* the RTCP remote */
	dp_event(&ev, NULL);
	ev.value = 2;
	dp_event(&ev, "event.value");
	ev.value = 0;
	ev.addr.family = 5;
	dp_event(&ev, "event.addr.family");
	ev.addr.family = CASCADE_AF_INET6;
	dp_event(&ev, NULL);
	ev.obj_id = 0;
	dp_event(&ev, "event.obj_id");

	ev = event(CASCADE_EV_KEYFRAME_REQUEST, 7, 1);
	dp_event(&ev, NULL);
	ev.value = 2;
	dp_event(&ev, NULL);
	ev.value = 0;
	dp_event(&ev, "event.value");
	ev.value = 3;
	dp_event(&ev, "event.value");
	ev = event(CASCADE_EV_KEYFRAME_REQUEST, 0, 1);
	dp_event(&ev, "event.obj_id");

	ev = event(CASCADE_EV_STARTED, 0, 0x1234);
	dp_event(&ev, NULL);
	ev = event(0, 7, 0);
	dp_event(&ev, "event.type");
	ev = event(CASCADE_EV_KEYFRAME_REQUEST + 1, 7, 1);
	dp_event(&ev, "event.type");
}

static void
test_fuzz_inputs(void **state)
{
	(void)state;
	/* Every crasher the fuzzer found lives on as a regression input. */
	fuzz_replay_target(CASCADE_FUZZ_DIR, "fuzz_cp_input", LLVMFuzzerTestOneInput);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_producer_records),
		cmocka_unit_test(test_room_messages),
		cmocka_unit_test(test_pipe_requests),
		cmocka_unit_test(test_error_message),
		cmocka_unit_test(test_node_records),
		cmocka_unit_test(test_api_bodies),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_dp_events),
		cmocka_unit_test(test_fuzz_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
