/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for transport-cc in a consumer's negotiation (cp_rtp.c): the
 * producer's own transport-wide sequence number never reaches a consumer
 * (its id maps to CASCADE_EXT_TWCC, it is not in the answer); a receiver
 * whose capabilities have the extension and transport-cc feedback gets both
 * with Cascade's numbers (twcc_ext_id, no other element renamed onto it),
 * whether or not the producer has them; without the feedback, or without
 * capabilities (a pipe), it gets neither.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cp_rtp.h"

#define TCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define RTP(exts)                                                                                  \
	"{\"codecs\":[{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000}],"       \
	"\"encodings\":[{\"ssrc\":4096}],\"headerExtensions\":[" exts "]}"
#define CAPS(fb, exts)                                                                             \
	"{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":100,\"clockRate\":"     \
	"90000,\"rtcpFeedback\":[" fb "]}],\"headerExtensions\":[" exts "]}"

struct nego {
	struct cascade_cmd_consumer cc;
	json_t *out;
};

static void
negotiate(struct nego *n, const char *rtp, const char *caps)
{
	json_t *r = json_loads(rtp, 0, NULL), *c = caps ? json_loads(caps, 0, NULL) : NULL;
	struct cp_err err;

	assert_non_null(r);
	memset(n, 0, sizeof(*n));
	if (cp_rtp_negotiate(r, CASCADE_KIND_VIDEO, c, 1, 0, true, &n->cc, &n->out, &err) != 0)
		fail_msg("refused: %s", err.msg);
	json_decref(r);
	json_decref(c);
}

/* The id the answer gives uri, 0 when it has none. */
static int
answer_id(const struct nego *n, const char *uri)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(n->out, "headerExtensions"), i,
			   e) if (strcmp(json_string_value(json_object_get(e, "uri")), uri) ==
				  0) return (int)json_integer_value(json_object_get(e, "id"));
	return 0;
}

static bool
has_twcc_feedback(const struct nego *n)
{
	const json_t *fb;
	size_t i;

	json_array_foreach(json_object_get(json_array_get(json_object_get(n->out, "codecs"), 0),
					   "rtcpFeedback"),
			   i, fb) if (strcmp(json_string_value(json_object_get(fb, "type")),
					     "transport-cc") == 0) return true;
	return false;
}

/*
 * No element of the producer lands on Cascade's id; the sender's own is
 * blanked (and, with Cascade's id reserved, one id the producer never
 * declared: 13 ids are left for 14).
 */
static void
expect_map(const struct nego *n, unsigned int sender_id)
{
	unsigned int blank = 0;

	for (unsigned int i = 1; i <= CASCADE_MAX_EXT_ID; i++) {
		if (i == sender_id)
			assert_int_equal(n->cc.ext_map[i], CASCADE_EXT_TWCC);
		else if (n->cc.ext_map[i] == CASCADE_EXT_TWCC)
			blank++;
		else
			assert_true(n->cc.ext_map[i] >= 1 &&
				    n->cc.ext_map[i] <= CASCADE_MAX_EXT_ID);
		if (n->cc.twcc_ext_id != 0)
			assert_int_not_equal(n->cc.ext_map[i], n->cc.twcc_ext_id);
	}
	assert_true(blank <= (n->cc.twcc_ext_id != 0 && sender_id == 0 ? 1u : 0u));
}

static void
test_sender_twcc_not_forwarded(void **state)
{
	struct nego n;

	(void)state;
	/* the producer's transport-cc at 3, the receiver's at 5 */
	negotiate(&n, RTP("{\"uri\":\"urn:a\",\"id\":1},{\"uri\":\"" TCC "\",\"id\":3}"),
		  CAPS("{\"type\":\"transport-cc\"}",
		       "{\"uri\":\"urn:a\",\"preferredId\":5},{\"uri\":\"" TCC
		       "\",\"preferredId\":3}"));
	assert_int_equal(n.cc.ext_map[1], 5);
	assert_int_equal(answer_id(&n, TCC), 3);
	assert_int_equal(n.cc.twcc_ext_id, 3);
	assert_true(has_twcc_feedback(&n));
	expect_map(&n, 3);
	json_decref(n.out);
	/* without transport-cc feedback: no extension either, the sender's still blanked */
	negotiate(&n, RTP("{\"uri\":\"" TCC "\",\"id\":3}"),
		  CAPS("{\"type\":\"nack\"}", "{\"uri\":\"" TCC "\",\"preferredId\":4}"));
	assert_int_equal(answer_id(&n, TCC), 0);
	assert_int_equal(n.cc.twcc_ext_id, 0);
	assert_false(has_twcc_feedback(&n));
	expect_map(&n, 3);
	json_decref(n.out);
	/* no capabilities (a pipe): the producer's parameters, without its transport-cc */
	negotiate(&n, RTP("{\"uri\":\"urn:a\",\"id\":1},{\"uri\":\"" TCC "\",\"id\":3}"), NULL);
	assert_int_equal(answer_id(&n, TCC), 0);
	assert_int_equal(answer_id(&n, "urn:a"), 1);
	assert_int_equal(n.cc.twcc_ext_id, 0);
	expect_map(&n, 3);
	json_decref(n.out);
}

/* A producer without transport-cc: the receiver still gets Cascade's. */
static void
test_receiver_twcc_without_sender(void **state)
{
	struct nego n;

	(void)state;
	negotiate(&n, RTP("{\"uri\":\"urn:a\",\"id\":4},{\"uri\":\"urn:b\",\"id\":2}"),
		  CAPS("{\"type\":\"transport-cc\"},{\"type\":\"goog-remb\"}",
		       "{\"uri\":\"urn:a\",\"preferredId\":1},{\"uri\":\"" TCC
		       "\",\"preferredId\":4}"));
	assert_int_equal(n.cc.twcc_ext_id, 4);
	assert_int_equal(answer_id(&n, TCC), 4);
	assert_int_equal(n.cc.ext_map[4], 1);
	assert_true(has_twcc_feedback(&n));
	expect_map(&n, 0);
	json_decref(n.out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sender_twcc_not_forwarded),
		cmocka_unit_test(test_receiver_twcc_without_sender),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
