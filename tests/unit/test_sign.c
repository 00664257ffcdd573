/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cp_sign: the cluster secret signs records and inter-node requests. A
 * record verifies only under the key it was signed for (a copy under another
 * Redis key or hash field fails), whatever order its members come in, and
 * fails when any field changes or "sig" is missing or malformed; the two
 * derived keys differ. A request's signature covers its sender, receiver,
 * method, path, body and time; a time outside the window fails, and the
 * replay cache remembers a request once. The validator (cp_schema) refuses
 * an unsigned or tampered producer record, node record or room message with
 * -EACCES before looking at anything else. Known answers pin the layout (the
 * tests' tests/integration/cascadesign.py computes the same). And
 * cluster.peer_networks' parser and matcher (cp_addr).
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
#include "cp_sign.h"

#define SECRET "cluster-secret-0123456789"
#define RKEY "cascade:{r1}:producers"
#define REC                                                                                        \
	"{\"id\":\"p1\",\"node\":\"node-1\",\"room\":\"r1\",\"kind\":\"video\",\"paused\":false,"  \
	"\"rtpParameters\":{\"codecs\":[{\"mimeType\":\"video/VP8\",\"payloadType\":96,"           \
	"\"clockRate\":90000}],\"encodings\":[{\"ssrc\":4096}]}}"

static struct cp_sign_key rkey, pkey;

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(cp_sign_derive(SECRET, CP_SIGN_RECORDS, &rkey), 0);
	assert_int_equal(cp_sign_derive(SECRET, CP_SIGN_PEERS, &pkey), 0);
	return 0;
}

static json_t *
J(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	return j;
}

static json_t *
signed_rec(void)
{
	json_t *j = J(REC);

	assert_int_equal(cp_sign_record(&rkey, RKEY, "p1", j), 0);
	return j;
}

static void
keys_differ(void **state)
{
	struct cp_sign_key other;

	(void)state;
	assert_memory_not_equal(rkey.b, pkey.b, CP_SIGN_BYTES);
	assert_int_equal(cp_sign_derive("", CP_SIGN_RECORDS, &other), -EINVAL);
	assert_int_equal(cp_sign_derive(SECRET "x", CP_SIGN_RECORDS, &other), 0);
	assert_memory_not_equal(rkey.b, other.b, CP_SIGN_BYTES);
}

static void
record_round_trip(void **state)
{
	json_t *j = signed_rec(), *again;
	struct cp_err err = {0};
	char *text;

	(void)state;
	assert_int_equal(cp_sign_record_check(&rkey, RKEY, "p1", j, &err), 0);
	/* what Redis gives back is text: parsed again, members in another order, it verifies */
	text = json_dumps(j, JSON_COMPACT | JSON_INDENT(2));
	again = J(text);
	free(text);
	assert_int_equal(cp_sign_record_check(&rkey, RKEY, "p1", again, &err), 0);
	json_decref(again);
	/* signing again gives the same signature (the old "sig" is not part of it) */
	again = json_deep_copy(j);
	assert_int_equal(cp_sign_record(&rkey, RKEY, "p1", again), 0);
	assert_true(json_equal(j, again));
	json_decref(again);
	json_decref(j);
}

/* The same signatures as cascadesign.py computes: the layout of cp_sign.h, pinned. */
static void
known_answers(void **state)
{
	struct cp_sign_peer_hdrs h;
	json_t *j = signed_rec();
	const char body[] =
		"{\"producerId\":\"p1\",\"node\":\"n2\",\"ip\":\"198.18.0.2\",\"port\":7000,\"ssrc\":7}";

	(void)state;
	assert_string_equal(json_string_value(json_object_get(j, "sig")),
			    "c02123d75c036d35b22825bde95218f5111a4a6e9ef33c9ab82e9164ffff7290");
	json_decref(j);
	assert_int_equal(cp_sign_peer_make(&pkey, "n2", "n1", "POST", "/v1/internal/pipes", body,
					   strlen(body), 1764720000000LL, &h),
			 0);
	assert_string_equal(h.time, "1764720000000");
	assert_string_equal(h.sig,
			    "a5dce9cd43c556939d6f096a52f06f118273b2c7565ddd3f8325372ca4f9ff82");
}

static void
record_bound_to_key(void **state)
{
	json_t *j = signed_rec();
	struct cp_err err = {0};

	(void)state;
	assert_int_equal(cp_sign_record_check(&rkey, "cascade:{r2}:producers", "p1", j, &err),
			 -EACCES);
	assert_non_null(strstr(err.msg, "does not verify"));
	assert_int_equal(cp_sign_record_check(&rkey, RKEY, "p2", j, &err), -EACCES);
	assert_int_equal(cp_sign_record_check(&rkey, RKEY "x", "p1", j, &err), -EACCES);
	/* the key and the field are separated: moving a byte across the boundary fails */
	assert_int_equal(cp_sign_record_check(&rkey, "cascade:{r1}:producersp", "1", j, &err),
			 -EACCES);
	/* the peer key is not the record key */
	assert_int_equal(cp_sign_record_check(&pkey, RKEY, "p1", j, &err), -EACCES);
	json_decref(j);
}

static void
record_tampered(void **state)
{
	static const char *const fields[] = {"id", "node", "room", "kind"};
	struct cp_err err = {0};
	json_t *j;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		j = signed_rec();
		json_object_set_new(j, fields[i], json_string("audio"));
		assert_int_equal(cp_sign_record_check(&rkey, RKEY, "p1", j, &err), -EACCES);
		json_decref(j);
	}
	j = signed_rec(); /* deep inside */
	json_object_set_new(
		json_array_get(json_object_get(json_object_get(j, "rtpParameters"), "encodings"),
			       0),
		"ssrc", json_integer(4097));
	assert_int_equal(cp_sign_record_check(&rkey, RKEY, "p1", j, &err), -EACCES);
	json_decref(j);
	j = signed_rec(); /* a member added */
	json_object_set_new(j, "api", json_string("http://198.18.0.66:1"));
	assert_int_equal(cp_sign_record_check(&rkey, RKEY, "p1", j, &err), -EACCES);
	json_decref(j);
	j = signed_rec(); /* paused flipped */
	json_object_set_new(j, "paused", json_true());
	assert_int_equal(cp_sign_record_check(&rkey, RKEY, "p1", j, &err), -EACCES);
	json_decref(j);
}

static void
record_sig_shape(void **state)
{
	struct cp_err err = {0};
	json_t *j = J(REC);
	char upper[CP_SIGN_HEX + 1];
	size_t i;

	(void)state;
	assert_int_equal(cp_sign_record_check(&rkey, RKEY, "p1", j, &err), -EACCES);
	assert_non_null(strstr(err.msg, "missing"));
	json_object_set_new(j, "sig", json_integer(1));
	assert_int_equal(cp_sign_record_check(&rkey, RKEY, "p1", j, &err), -EACCES);
	json_object_set_new(j, "sig", json_string("00"));
	assert_int_equal(cp_sign_record_check(&rkey, RKEY, "p1", j, &err), -EACCES);
	json_decref(j);
	j = signed_rec();
	snprintf(upper, sizeof(upper), "%s", json_string_value(json_object_get(j, "sig")));
	for (i = 0; upper[i] != '\0'; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	json_object_set_new(j, "sig", json_string(upper));
	assert_int_equal(cp_sign_record_check(&rkey, RKEY, "p1", j, &err), -EACCES);
	json_decref(j);
	j = json_string("x");
	assert_int_equal(cp_sign_record_check(&rkey, RKEY, "p1", j, &err), -EACCES);
	json_decref(j);
}

/* ---- the validator: signed records -------------------------------------------------------- */

static void
schema_signed(void **state)
{
	struct cp_rec_trust t = {&rkey, "cascade"};
	struct cp_producer_rec rec;
	struct cp_room_msg m;
	struct cp_node_rec node;
	struct cp_err err = {0};
	json_t *j = signed_rec(), *msg, *hash;

	(void)state;
	assert_int_equal(cp_schema_producer_signed(j, &t, "r1", "p1", &rec, &err), 0);
	assert_string_equal(rec.node, "node-1");
	assert_int_equal(cp_schema_producer_signed(j, &t, "r2", "p1", &rec, &err), -EACCES);
	/* a good record that is not signed: refused before anything else */
	json_object_del(j, "sig");
	assert_int_equal(cp_schema_producer_signed(j, &t, "r1", "p1", &rec, &err), -EACCES);
	json_decref(j);

	/* room messages: the producer of an add is its signed record, on its room's channel */
	msg = json_pack("{s:s,s:s,s:o}", "type", "producer.add", "node", "node-1", "producer",
			signed_rec());
	assert_int_equal(cp_schema_room_msg_signed(msg, &t, "cascade:{r1}:events", &m, &err), 0);
	assert_int_equal(cp_schema_room_msg_signed(msg, &t, "cascade:{r2}:events", &m, &err),
			 -EINVAL);
	json_object_del(json_object_get(msg, "producer"), "sig");
	assert_int_equal(cp_schema_room_msg_signed(msg, &t, "cascade:{r1}:events", &m, &err),
			 -EACCES);
	assert_non_null(strstr(err.msg, "producer: sig"));
	json_decref(msg);
	msg = J("{\"type\":\"producer.close\",\"node\":\"node-1\",\"producer\":{\"id\":\"p1\","
		"\"node\":\"node-1\",\"room\":\"r1\"}}");
	assert_int_equal(cp_schema_room_msg_signed(msg, &t, "cascade:{r1}:events", &m, &err), 0);
	json_decref(msg);

	/* node records: the hash's fields, signed as P:node:{ID} */
	hash = J("{\"id\":\"n1\",\"api\":\"http://198.18.0.1:8480\",\"media_ip\":\"198.18.0.1\","
		 "\"pipe_port\":\"7000\",\"pipe_srtp\":\"none\",\"draining\":\"0\"}");
	assert_int_equal(cp_sign_record(&rkey, "cascade:node:{n1}", "", hash), 0);
	assert_int_equal(cp_schema_node_signed(hash, "n1", &t, &node, &err), 0);
	json_decref(node.json);
	json_object_set_new(hash, "api", json_string("http://198.18.0.66:8480"));
	assert_int_equal(cp_schema_node_signed(hash, "n1", &t, &node, &err), -EACCES);
	json_decref(hash);
}

/* ---- inter-node requests ------------------------------------------------------------------ */

#define BODY                                                                                       \
	"{\"producerId\":\"p1\",\"node\":\"n2\",\"ip\":\"198.18.0.2\",\"port\":7000,\"ssrc\":7}"
#define NOW 1764720000000LL

static void
make(const char *from, int64_t t, struct cp_sign_peer *p)
{
	struct cp_sign_peer_hdrs h;
	struct cp_err err = {0};

	assert_int_equal(cp_sign_peer_make(&pkey, from, "n1", "POST", "/v1/internal/pipes", BODY,
					   strlen(BODY), t, &h),
			 0);
	assert_int_equal(cp_sign_peer_parse(from, h.time, h.sig, p, &err), 0);
}

static void
peer_round_trip(void **state)
{
	struct cp_sign_peer p;
	struct cp_err err = {0};

	(void)state;
	make("n2", NOW, &p);
	assert_string_equal(p.node, "n2");
	assert_int_equal(p.time_ms, NOW);
	assert_int_equal(cp_sign_peer_check(&pkey, &p, "n1", "POST", "/v1/internal/pipes", BODY,
					    strlen(BODY), NOW + 100, &err),
			 0);
	/* each part is covered: receiver, method, path, body, sender, time */
	assert_int_equal(cp_sign_peer_check(&pkey, &p, "n3", "POST", "/v1/internal/pipes", BODY,
					    strlen(BODY), NOW, &err),
			 -EACCES);
	assert_int_equal(cp_sign_peer_check(&pkey, &p, "n1", "DELETE", "/v1/internal/pipes", BODY,
					    strlen(BODY), NOW, &err),
			 -EACCES);
	assert_int_equal(cp_sign_peer_check(&pkey, &p, "n1", "POST", "/v1/internal/pipes/x", BODY,
					    strlen(BODY), NOW, &err),
			 -EACCES);
	assert_int_equal(cp_sign_peer_check(&pkey, &p, "n1", "POST", "/v1/internal/pipes", BODY,
					    strlen(BODY) - 1, NOW, &err),
			 -EACCES);
	snprintf(p.node, sizeof(p.node), "n3");
	assert_int_equal(cp_sign_peer_check(&pkey, &p, "n1", "POST", "/v1/internal/pipes", BODY,
					    strlen(BODY), NOW, &err),
			 -EACCES);
	make("n2", NOW, &p);
	p.time_ms++;
	assert_int_equal(cp_sign_peer_check(&pkey, &p, "n1", "POST", "/v1/internal/pipes", BODY,
					    strlen(BODY), NOW, &err),
			 -EACCES);
	/* the record key does not sign requests */
	make("n2", NOW, &p);
	assert_int_equal(cp_sign_peer_check(&rkey, &p, "n1", "POST", "/v1/internal/pipes", BODY,
					    strlen(BODY), NOW, &err),
			 -EACCES);
	/* no body */
	{
		struct cp_sign_peer_hdrs h;

		assert_int_equal(cp_sign_peer_make(&pkey, "n2", "n1", "DELETE",
						   "/v1/internal/pipes/p/n2", NULL, 0, NOW, &h),
				 0);
		assert_int_equal(cp_sign_peer_parse("n2", h.time, h.sig, &p, &err), 0);
		assert_int_equal(cp_sign_peer_check(&pkey, &p, "n1", "DELETE",
						    "/v1/internal/pipes/p/n2", NULL, 0, NOW, &err),
				 0);
	}
}

static void
peer_window(void **state)
{
	struct cp_sign_peer p;
	struct cp_err err = {0};
	int64_t w = CP_SIGN_PEER_WINDOW_MS;

	(void)state;
	make("n2", NOW, &p);
	assert_int_equal(cp_sign_peer_check(&pkey, &p, "n1", "POST", "/v1/internal/pipes", BODY,
					    strlen(BODY), NOW + w, &err),
			 0);
	assert_int_equal(cp_sign_peer_check(&pkey, &p, "n1", "POST", "/v1/internal/pipes", BODY,
					    strlen(BODY), NOW + w + 1, &err),
			 -ESTALE);
	assert_non_null(strstr(err.msg, "stale"));
	assert_int_equal(cp_sign_peer_check(&pkey, &p, "n1", "POST", "/v1/internal/pipes", BODY,
					    strlen(BODY), NOW - w, &err),
			 0);
	assert_int_equal(cp_sign_peer_check(&pkey, &p, "n1", "POST", "/v1/internal/pipes", BODY,
					    strlen(BODY), NOW - w - 1, &err),
			 -ESTALE);
}

static void
peer_replay(void **state)
{
	struct cp_sign_replay *r = calloc(1, sizeof(*r));
	struct cp_sign_peer a, b;
	unsigned int i;

	(void)state;
	assert_non_null(r);
	make("n2", NOW, &a);
	make("n2", NOW + 1, &b);
	assert_false(cp_sign_replay_seen(r, a.mac, NOW));
	assert_true(cp_sign_replay_seen(r, a.mac, NOW + 10));
	assert_false(cp_sign_replay_seen(r, b.mac, NOW + 10));
	/* forgotten once it would be stale anyway */
	assert_false(cp_sign_replay_seen(r, a.mac, NOW + 2 * CP_SIGN_PEER_WINDOW_MS + 1));
	/* more requests than slots push the oldest out */
	for (i = 0; i < CP_SIGN_REPLAY_SLOTS; i++) {
		uint8_t mac[CP_SIGN_BYTES] = {0};

		memcpy(mac, &i, sizeof(i));
		mac[31] = 0xee;
		assert_false(cp_sign_replay_seen(r, mac, NOW + 20));
	}
	assert_false(cp_sign_replay_seen(r, b.mac, NOW + 30));
	free(r);
}

static void
peer_parse(void **state)
{
	static const char sig[] =
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	struct cp_sign_peer p;
	struct cp_err err = {0};

	(void)state;
	assert_int_equal(cp_sign_peer_parse("n2", "1764720000000", sig, &p, &err), 0);
	assert_int_equal(cp_sign_peer_parse(NULL, "1", sig, &p, &err), -EACCES);
	assert_int_equal(cp_sign_peer_parse("n2", NULL, sig, &p, &err), -EACCES);
	assert_int_equal(cp_sign_peer_parse("n2", "1", NULL, &p, &err), -EACCES);
	assert_int_equal(cp_sign_peer_parse("n 2", "1", sig, &p, &err), -EACCES);
	assert_non_null(strstr(err.msg, CP_SIGN_HDR_NODE));
	assert_int_equal(cp_sign_peer_parse("n2", "", sig, &p, &err), -EACCES);
	assert_int_equal(cp_sign_peer_parse("n2", "-1", sig, &p, &err), -EACCES);
	assert_int_equal(cp_sign_peer_parse("n2", "01", sig, &p, &err), -EACCES);
	assert_int_equal(cp_sign_peer_parse("n2", "1234567890123456", sig, &p, &err), -EACCES);
	assert_int_equal(cp_sign_peer_parse("n2", "12 ", sig, &p, &err), -EACCES);
	assert_non_null(strstr(err.msg, CP_SIGN_HDR_TIME));
	assert_int_equal(cp_sign_peer_parse("n2", "1", "00", &p, &err), -EACCES);
	assert_int_equal(cp_sign_peer_parse("n2", "1", sig + 1, &p, &err), -EACCES);
	assert_non_null(strstr(err.msg, CP_SIGN_HDR_SIG));
}

/* ---- cluster.peer_networks ---------------------------------------------------------------- */

static void
cidr(void **state)
{
	static const char *const bad[] = {"",
					  "/8",
					  "10.0.0.0/33",
					  "::/129",
					  "10.1.0.0/8",
					  "10.0.0.0/",
					  "10.0.0.0/-1",
					  "10.0.0.0/8x",
					  "example.com/8",
					  "fc00::1/7",
					  "10.0.0.0/0008"};
	struct cp_cidr nets[4];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cp_cidr_parse(bad[i], &nets[0]) == 0)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(cp_cidr_parse("198.18.0.0/15", &nets[0]), 0);
	assert_int_equal(cp_cidr_parse("fc00::/7", &nets[1]), 0);
	assert_int_equal(cp_cidr_parse("127.0.0.1", &nets[2]), 0);
	assert_int_equal(nets[2].bits, 32);
	assert_true(cp_cidr_match(nets, 3, "198.18.0.1"));
	assert_true(cp_cidr_match(nets, 3, "198.19.255.255"));
	assert_false(cp_cidr_match(nets, 3, "198.20.0.0"));
	assert_false(cp_cidr_match(nets, 3, "198.17.255.255"));
	assert_true(cp_cidr_match(nets, 3, "fd12:3456::1"));
	assert_true(cp_cidr_match(nets, 3, "fc00::"));
	assert_false(cp_cidr_match(nets, 3, "fe80::1"));
	assert_false(cp_cidr_match(nets, 3, "2001:db8::1"));
	assert_true(cp_cidr_match(nets, 3, "127.0.0.1"));
	assert_false(cp_cidr_match(nets, 3, "127.0.0.2"));
	/* an IPv4-mapped address is its IPv4 address */
	assert_true(cp_cidr_match(nets, 3, "::ffff:198.18.0.7"));
	assert_false(cp_cidr_match(nets, 3, "::ffff:8.8.8.8"));
	assert_false(cp_cidr_match(nets, 3, "not an address"));
	assert_false(cp_cidr_match(nets, 0, "198.18.0.1"));
	assert_int_equal(cp_cidr_parse("0.0.0.0/0", &nets[3]), 0);
	assert_true(cp_cidr_match(&nets[3], 1, "8.8.8.8"));
	assert_false(cp_cidr_match(&nets[3], 1, "::1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_differ),         cmocka_unit_test(record_round_trip),
		cmocka_unit_test(record_bound_to_key), cmocka_unit_test(record_tampered),
		cmocka_unit_test(record_sig_shape),    cmocka_unit_test(schema_signed),
		cmocka_unit_test(peer_round_trip),     cmocka_unit_test(peer_window),
		cmocka_unit_test(peer_replay),         cmocka_unit_test(peer_parse),
		cmocka_unit_test(known_answers),       cmocka_unit_test(cidr),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
