/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cp_rtp: every field rule of RtpParameters and RtpCapabilities (each broken
 * once, the message naming the field), and the consumer negotiation as
 * mediasoup's getConsumerRtpParameters() does it: codec matching (MIME type,
 * clock rate, channels, H264 packetization-mode and profile, VP9 profile-id),
 * the receiver's payload types and rtcpFeedback, header extensions under the
 * receiver's ids, the dataplane's extension map a permutation of 1..14, RTX
 * left out, rtcp cname and mux.
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

#include "cp_rtp.h"

#define VP8 "{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000}"
#define RTP_WITH(codecs, rest)                                                                    \
	"{\"codecs\":[" codecs "],\"encodings\":[{\"ssrc\":4096}]" rest "}"

static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &e);

	if (j == NULL)
		fail_msg("bad test JSON at %d: %s: %s", e.position, e.text, text);
	return j;
}

/* rtp as producer parameters of kind: rejected, naming field */
static void
bad_rtp(uint8_t kind, const char *rtp, const char *field)
{
	struct cp_rtp info;
	struct cp_err err = {0};
	json_t *j = J(rtp);

	if (cp_rtp_check(j, kind, &info, &err) == 0)
		fail_msg("accepted: %s", rtp);
	assert_int_equal(err.code, -EINVAL);
	if (strstr(err.msg, field) == NULL)
		fail_msg("'%s' does not name %s (for %s)", err.msg, field, rtp);
	json_decref(j);
}

static void
good_rtp(uint8_t kind, const char *rtp, uint32_t ssrc, uint32_t clock)
{
	struct cp_rtp info;
	struct cp_err err = {0};
	json_t *j = J(rtp);

	if (cp_rtp_check(j, kind, &info, &err) != 0)
		fail_msg("refused (%s): %s", err.msg, rtp);
	assert_int_equal(info.ssrc, ssrc);
	assert_int_equal(info.clock_rate, clock);
	json_decref(j);
}

static void
test_rtp_good(void **state)
{
	(void)state;
	good_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ""), 4096, 90000);
	/* everything optional given, RTX bound to VP8, a second codec */
	good_rtp(CASCADE_KIND_VIDEO,
		 "{\"mid\":\"0\",\"codecs\":[{\"mimeType\":\"video/rtx\",\"payloadType\":97,"
		 "\"clockRate\":90000,\"parameters\":{\"apt\":96}}," VP8 ",{\"mimeType\":\"video/H264\","
		 "\"payloadType\":102,\"clockRate\":90000,\"parameters\":{\"packetization-mode\":1,"
		 "\"profile-level-id\":\"42e01f\"},\"rtcpFeedback\":[{\"type\":\"nack\"},{\"type\":"
		 "\"nack\",\"parameter\":\"pli\"}]}],\"headerExtensions\":[{\"uri\":\"urn:a\",\"id\":1},"
		 "{\"uri\":\"urn:b\",\"id\":14,\"encrypt\":false}],\"encodings\":[{\"ssrc\":0}],"
		 "\"rtcp\":{\"cname\":\"c\",\"reducedSize\":true,\"mux\":true}}",
		 0, 90000);
	good_rtp(CASCADE_KIND_AUDIO,
		 RTP_WITH("{\"mimeType\":\"audio/opus\",\"payloadType\":111,\"clockRate\":48000,"
			  "\"channels\":2}",
			  ""),
		 4096, 48000);
	/* the kind prefix is case-insensitive (as mediasoup's MIME types) */
	good_rtp(CASCADE_KIND_VIDEO,
		 RTP_WITH("{\"mimeType\":\"VIDEO/vp8\",\"payloadType\":0,\"clockRate\":1000}", ""), 4096,
		 1000);
	good_rtp(CASCADE_KIND_VIDEO,
		 "{\"codecs\":[" VP8 "],\"encodings\":[{\"ssrc\":4294967295}]}", 4294967295u, 90000);
}

static void
test_rtp_fields(void **state)
{
	(void)state;
	bad_rtp(CASCADE_KIND_VIDEO, "[]", "rtpParameters");
	bad_rtp(CASCADE_KIND_VIDEO, "{\"encodings\":[{\"ssrc\":1}]}", "rtpParameters.codecs");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH("", ""), "rtpParameters.codecs");
	bad_rtp(CASCADE_KIND_VIDEO, "{\"codecs\":{},\"encodings\":[{\"ssrc\":1}]}", "rtpParameters.codecs");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH(VP8 "," VP8 "," VP8 "," VP8 "," VP8 "," VP8 "," VP8 "," VP8 "," VP8 "," VP8
			     "," VP8 "," VP8 "," VP8 "," VP8 "," VP8 "," VP8 "," VP8,
			 ""),
		"rtpParameters.codecs");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH("1", ""), "rtpParameters.codecs[0]");
	/* mimeType */
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH("{\"payloadType\":96,\"clockRate\":90000}", ""),
		"codecs[0].mimeType");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":5,\"payloadType\":96,\"clockRate\":90000}", ""),
		"codecs[0].mimeType");
	bad_rtp(CASCADE_KIND_AUDIO, RTP_WITH(VP8, ""), "codecs[0].mimeType");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/\",\"payloadType\":96,\"clockRate\":90000}", ""),
		"codecs[0].mimeType");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/V P8\",\"payloadType\":96,\"clockRate\":90000}", ""),
		"codecs[0].mimeType");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"videos/VP8\",\"payloadType\":96,\"clockRate\":90000}", ""),
		"codecs[0].mimeType");
	/* payloadType */
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/VP8\",\"clockRate\":90000}", ""), "payloadType");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":128,\"clockRate\":90000}", ""),
		"codecs[0].payloadType");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":-1,\"clockRate\":90000}", ""),
		"codecs[0].payloadType");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":\"96\",\"clockRate\":90000}", ""),
		"codecs[0].payloadType");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8 "," VP8, ""), "codecs[1].payloadType: 96 used twice");
	/* clockRate, channels */
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96}", ""),
		"codecs[0].clockRate");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":999}", ""),
		"codecs[0].clockRate");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":1000001}", ""),
		"codecs[0].clockRate");
	bad_rtp(CASCADE_KIND_AUDIO,
		RTP_WITH("{\"mimeType\":\"audio/opus\",\"payloadType\":111,\"clockRate\":48000,"
			 "\"channels\":9}",
			 ""),
		"codecs[0].channels");
	bad_rtp(CASCADE_KIND_AUDIO,
		RTP_WITH("{\"mimeType\":\"audio/opus\",\"payloadType\":111,\"clockRate\":48000,"
			 "\"channels\":0}",
			 ""),
		"codecs[0].channels");
	/* parameters, rtcpFeedback */
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,"
			 "\"parameters\":[]}",
			 ""),
		"codecs[0].parameters");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,"
			 "\"parameters\":{\"x\":{}}}",
			 ""),
		"codecs[0].parameters");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,"
			 "\"rtcpFeedback\":{}}",
			 ""),
		"codecs[0].rtcpFeedback");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,"
			 "\"rtcpFeedback\":[{\"parameter\":\"pli\"}]}",
			 ""),
		"codecs[0].rtcpFeedback[0].type");
	/* repair codecs */
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH("{\"mimeType\":\"video/rtx\",\"payloadType\":97,\"clockRate\":90000,"
			 "\"parameters\":{\"apt\":96}}",
			 ""),
		"no media codec");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH(VP8 ",{\"mimeType\":\"video/rtx\",\"payloadType\":97,\"clockRate\":90000}", ""),
		"codecs[1].parameters.apt");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH(VP8 ",{\"mimeType\":\"video/rtx\",\"payloadType\":97,\"clockRate\":90000,"
			     "\"parameters\":{\"apt\":98}}",
			 ""),
		"codecs[1].parameters.apt");
	/* encodings */
	bad_rtp(CASCADE_KIND_VIDEO, "{\"codecs\":[" VP8 "]}", "rtpParameters.encodings");
	bad_rtp(CASCADE_KIND_VIDEO, "{\"codecs\":[" VP8 "],\"encodings\":[]}", "rtpParameters.encodings");
	bad_rtp(CASCADE_KIND_VIDEO, "{\"codecs\":[" VP8 "],\"encodings\":[{\"ssrc\":1},{\"ssrc\":2}]}",
		"simulcast");
	bad_rtp(CASCADE_KIND_VIDEO, "{\"codecs\":[" VP8 "],\"encodings\":[{}]}", "encodings[0].ssrc");
	bad_rtp(CASCADE_KIND_VIDEO, "{\"codecs\":[" VP8 "],\"encodings\":[{\"ssrc\":4294967296}]}",
		"encodings[0].ssrc");
	bad_rtp(CASCADE_KIND_VIDEO, "{\"codecs\":[" VP8 "],\"encodings\":[{\"rid\":\"h\"}]}",
		"encodings[0].rid");
	/* headerExtensions */
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"headerExtensions\":{}"), "headerExtensions");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"headerExtensions\":[{\"id\":1}]"),
		"headerExtensions[0].uri");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"\",\"id\":1}]"),
		"headerExtensions[0].uri");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"u\"}]"),
		"headerExtensions[0].id");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"u\",\"id\":0}]"),
		"headerExtensions[0].id");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"u\",\"id\":15}]"),
		"headerExtensions[0].id");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"u\",\"id\":300}]"),
		"headerExtensions[0].id");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"u\",\"id\":3},{\"uri\":\"v\",\"id\":3}]"),
		"headerExtensions[1].id: 3 used twice");
	bad_rtp(CASCADE_KIND_VIDEO,
		RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"u\",\"id\":3,\"encrypt\":1}]"),
		"headerExtensions[0].encrypt");
	/* rtcp, mid */
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"rtcp\":[]"), "rtpParameters.rtcp");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"rtcp\":{\"cname\":1}"), "rtcp.cname");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"rtcp\":{\"reducedSize\":\"yes\"}"),
		"rtcp.reducedSize");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"rtcp\":{\"mux\":0}"), "rtcp.mux");
	bad_rtp(CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"mid\":7"), "rtpParameters.mid");
}

static void
bad_caps(const char *caps, const char *field)
{
	struct cp_err err = {0};
	json_t *j = J(caps);

	if (cp_rtp_caps_check(j, &err) == 0)
		fail_msg("accepted: %s", caps);
	if (strstr(err.msg, field) == NULL)
		fail_msg("'%s' does not name %s (for %s)", err.msg, field, caps);
	json_decref(j);
}

static void
test_caps_fields(void **state)
{
	struct cp_err err;
	json_t *j;

	(void)state;
	j = J("{\"codecs\":[{\"kind\":\"video\",\"mimeType\":\"video/VP8\",\"preferredPayloadType\":"
	      "100,\"clockRate\":90000,\"rtcpFeedback\":[{\"type\":\"nack\"}]}],"
	      "\"headerExtensions\":[{\"kind\":\"audio\",\"uri\":\"u\",\"preferredId\":200,"
	      "\"preferredEncrypt\":false,\"direction\":\"sendrecv\"}]}");
	assert_int_equal(cp_rtp_caps_check(j, &err), 0);
	json_decref(j);
	bad_caps("[]", "rtpCapabilities");
	bad_caps("{}", "rtpCapabilities.codecs");
	bad_caps("{\"codecs\":[1]}", "rtpCapabilities.codecs[0]");
	bad_caps("{\"codecs\":[{\"mimeType\":\"text/x\",\"preferredPayloadType\":1,\"clockRate\":9000}]}",
		 "codecs[0].mimeType");
	bad_caps("{\"codecs\":[{\"mimeType\":\"video/VP8\",\"clockRate\":90000}]}",
		 "codecs[0].preferredPayloadType");
	bad_caps("{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":128,"
		 "\"clockRate\":90000}]}",
		 "codecs[0].preferredPayloadType");
	bad_caps("{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":100}]}",
		 "codecs[0].clockRate");
	bad_caps("{\"codecs\":[{\"kind\":\"audio\",\"mimeType\":\"video/VP8\","
		 "\"preferredPayloadType\":100,\"clockRate\":90000}]}",
		 "codecs[0].kind");
	bad_caps("{\"codecs\":[],\"headerExtensions\":[{\"uri\":\"u\"}]}",
		 "headerExtensions[0].preferredId");
	bad_caps("{\"codecs\":[],\"headerExtensions\":[{\"uri\":\"u\",\"preferredId\":256}]}",
		 "headerExtensions[0].preferredId");
	bad_caps("{\"codecs\":[],\"headerExtensions\":[{\"preferredId\":1}]}",
		 "headerExtensions[0].uri");
	bad_caps("{\"codecs\":[],\"headerExtensions\":[{\"uri\":\"u\",\"preferredId\":1,"
		 "\"kind\":\"data\"}]}",
		 "headerExtensions[0].kind");
	bad_caps("{\"codecs\":[],\"headerExtensions\":[{\"uri\":\"u\",\"preferredId\":1,"
		 "\"direction\":\"up\"}]}",
		 "headerExtensions[0].direction");
}

/* ---- negotiation ----------------------------------------------------------------------- */

struct nego {
	struct cascade_cmd_consumer cc;
	json_t *out;
	struct cp_err err;
	int rc;
};

static void
negotiate(struct nego *n, uint8_t kind, const char *rtp, const char *caps)
{
	json_t *r = J(rtp), *c = caps != NULL ? J(caps) : NULL;

	memset(n, 0, sizeof(*n));
	n->rc = cp_rtp_negotiate(r, kind, c, 0xabcdef01u, 0x5eed0001u, true, &n->cc, &n->out,
				 &n->err);
	json_decref(r);
	json_decref(c);
}

/* The consumer's parameters equal want (JSON text), and are good RtpParameters themselves. */
static void
expect_out(const struct nego *n, uint8_t kind, const char *want)
{
	json_t *w = J(want);
	struct cp_rtp info;
	struct cp_err err;

	if (n->rc != 0)
		fail_msg("refused: %s", n->err.msg);
	if (!json_equal(n->out, w)) {
		char *got = json_dumps(n->out, JSON_COMPACT | JSON_SORT_KEYS);
		fail_msg("got %s", got);
	}
	assert_int_equal(cp_rtp_check(n->out, kind, &info, &err), 0);
	assert_int_equal(info.ssrc, 0xabcdef01u);
	json_decref(w);
}

/* ext_map is a permutation of 1..14 with map[in] == out for the pairs given */
static void
expect_ext_map(const struct nego *n, const uint8_t (*pairs)[2], size_t n_pairs)
{
	bool seen[CASCADE_MAX_EXT_ID + 1] = {false};
	unsigned int i;

	assert_int_equal(n->cc.ext_map[0], 0);
	assert_int_equal(n->cc.ext_map[CASCADE_MAX_EXT_ID + 1], 0);
	for (i = 1; i <= CASCADE_MAX_EXT_ID; i++) {
		uint8_t out = n->cc.ext_map[i];
		assert_true(out >= 1 && out <= CASCADE_MAX_EXT_ID);
		assert_false(seen[out]);
		seen[out] = true;
	}
	for (i = 0; i < n_pairs; i++)
		assert_int_equal(n->cc.ext_map[pairs[i][0]], pairs[i][1]);
}

static void
nego_free(struct nego *n)
{
	json_decref(n->out);
}

static void
test_nego_no_caps(void **state)
{
	static const uint8_t same[][2] = {{1, 1}, {5, 5}};
	struct nego n;

	(void)state;
	negotiate(&n, CASCADE_KIND_VIDEO,
		  RTP_WITH(VP8 ",{\"mimeType\":\"video/rtx\",\"payloadType\":97,\"clockRate\":90000,"
			       "\"parameters\":{\"apt\":96}}",
			   ",\"headerExtensions\":[{\"uri\":\"urn:a\",\"id\":1},{\"uri\":\"urn:b\","
			   "\"id\":5}],\"rtcp\":{\"cname\":\"x\"}"),
		  NULL);
	/* the producer's as they are (RTX not forwarded), every payload type kept */
	expect_out(&n, CASCADE_KIND_VIDEO,
		   "{\"codecs\":[" VP8 "],\"headerExtensions\":[{\"uri\":\"urn:a\",\"id\":1},{\"uri\":"
		   "\"urn:b\",\"id\":5}],\"encodings\":[{\"ssrc\":2882400001}],\"rtcp\":{\"cname\":"
		   "\"x\",\"reducedSize\":true,\"mux\":true}}");
	assert_int_equal(n.cc.n_pt_map, 0);
	assert_int_equal(n.cc.ssrc, 0xabcdef01u);
	expect_ext_map(&n, same, 2);
	nego_free(&n);
}

static void
test_nego_codecs(void **state)
{
	struct nego n;

	(void)state;
	/* the receiver's payload type and feedback; codecs it lacks are left out */
	negotiate(&n, CASCADE_KIND_VIDEO,
		  RTP_WITH("{\"mimeType\":\"video/VP9\",\"payloadType\":98,\"clockRate\":90000},"
			   "{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,"
			   "\"rtcpFeedback\":[{\"type\":\"goog-remb\"}]}",
			   ""),
		  "{\"codecs\":[{\"mimeType\":\"video/vp8\",\"preferredPayloadType\":100,"
		  "\"clockRate\":90000,\"rtcpFeedback\":[{\"type\":\"nack\"},{\"type\":"
		  "\"transport-cc\"}]}]}");
	/* no extension: transport-cc and goog-remb both go (mediasoup) */
	expect_out(&n, CASCADE_KIND_VIDEO,
		   "{\"codecs\":[{\"mimeType\":\"video/VP8\",\"payloadType\":100,\"clockRate\":90000,"
		   "\"rtcpFeedback\":[{\"type\":\"nack\"}]}],\"headerExtensions\":[],\"encodings\":"
		   "[{\"ssrc\":2882400001}],\"rtcp\":{\"cname\":\"\",\"reducedSize\":true,\"mux\":true}}");
	assert_int_equal(n.cc.n_pt_map, 1);
	assert_int_equal(n.cc.pt_map[0].in_pt, 96);
	assert_int_equal(n.cc.pt_map[0].out_pt, 100);
	nego_free(&n);

	/* nothing in common: refused, naming the capabilities */
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(VP8, ""),
		  "{\"codecs\":[{\"mimeType\":\"video/H264\",\"preferredPayloadType\":100,"
		  "\"clockRate\":90000}]}");
	assert_int_equal(n.rc, -EINVAL);
	assert_non_null(strstr(n.err.msg, "rtpCapabilities"));
	assert_null(n.out);

	/* another clock rate is another codec */
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(VP8, ""),
		  "{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":100,"
		  "\"clockRate\":48000}]}");
	assert_int_equal(n.rc, -EINVAL);

	/* two producer codecs for one receiver payload type: the first only */
	negotiate(&n, CASCADE_KIND_VIDEO,
		  RTP_WITH(VP8 ",{\"mimeType\":\"video/VP8\",\"payloadType\":99,\"clockRate\":90000}", ""),
		  "{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":100,"
		  "\"clockRate\":90000}]}");
	assert_int_equal(n.rc, 0);
	assert_int_equal(json_array_size(json_object_get(n.out, "codecs")), 1);
	assert_int_equal(n.cc.n_pt_map, 1);
	assert_int_equal(n.cc.pt_map[0].in_pt, 96);
	nego_free(&n);
}

/* the producer's RTX codec, bound to its VP8 */
#define RTX97 "{\"mimeType\":\"video/rtx\",\"payloadType\":97,\"clockRate\":90000,\"parameters\":{\"apt\":96}}"

/* RTX (RFC 4588) as mediasoup gives it: the receiver's RTX codec bound to the chosen one */
static void
test_nego_rtx(void **state)
{
	struct nego n;

	(void)state;
	negotiate(&n, CASCADE_KIND_VIDEO,
		  RTP_WITH(VP8 "," RTX97, ""),
		  "{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":100,"
		  "\"clockRate\":90000},{\"mimeType\":\"video/rtx\",\"preferredPayloadType\":101,"
		  "\"clockRate\":90000,\"parameters\":{\"apt\":100}}]}");
	expect_out(&n, CASCADE_KIND_VIDEO,
		   "{\"codecs\":[{\"mimeType\":\"video/VP8\",\"payloadType\":100,\"clockRate\":90000},"
		   "{\"mimeType\":\"video/rtx\",\"payloadType\":101,\"clockRate\":90000,"
		   "\"parameters\":{\"apt\":100},\"rtcpFeedback\":[]}],\"headerExtensions\":[],"
		   "\"encodings\":[{\"ssrc\":2882400001,\"rtx\":{\"ssrc\":1592590337}}],"
		   "\"rtcp\":{\"cname\":\"\",\"reducedSize\":true,\"mux\":true}}");
	assert_int_equal(n.cc.rtx_ssrc, 0x5eed0001u);
	assert_int_equal(n.cc.rtx_pt[0], 101);
	nego_free(&n);

	/* a receiver without RTX gets none, whatever the producer has */
	negotiate(&n, CASCADE_KIND_VIDEO,
		  RTP_WITH(VP8 "," RTX97, ""),
		  "{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":100,"
		  "\"clockRate\":90000},{\"mimeType\":\"video/rtx\",\"preferredPayloadType\":101,"
		  "\"clockRate\":90000,\"parameters\":{\"apt\":102}}]}");
	assert_int_equal(n.rc, 0);
	assert_int_equal(n.cc.rtx_ssrc, 0);
	assert_int_equal(n.cc.rtx_pt[0], 0);
	assert_int_equal(json_array_size(json_object_get(n.out, "codecs")), 1);
	assert_null(json_object_get(json_array_get(json_object_get(n.out, "encodings"), 0), "rtx"));
	nego_free(&n);
}

/* A producer's encodings[0].rtx.ssrc is read and checked. */
static void
test_rtp_rtx_ssrc(void **state)
{
	struct cascade_cmd_producer cmd;
	struct cp_rtp info;
	struct cp_err err;
	json_t *r;

	(void)state;
	r = J("{\"codecs\":[" VP8 "],\"encodings\":[{\"ssrc\":1,\"rtx\":{\"ssrc\":2}}]}");
	assert_int_equal(cp_rtp_check(r, CASCADE_KIND_VIDEO, &info, &err), 0);
	assert_int_equal(info.rtx_ssrc, 2);
	json_decref(r);
	r = J("{\"codecs\":[" VP8 "],\"encodings\":[{\"ssrc\":1,\"rtx\":{\"ssrc\":1}}]}");
	assert_int_equal(cp_rtp_check(r, CASCADE_KIND_VIDEO, &info, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "encodings[0].rtx.ssrc"));
	json_decref(r);
	r = J("{\"codecs\":[" VP8 "],\"encodings\":[{\"ssrc\":1,\"rtx\":{}}]}");
	assert_int_equal(cp_rtp_check(r, CASCADE_KIND_VIDEO, &info, &err), -EINVAL);
	json_decref(r);
	/* into the producer's command: the RTX SSRC and what each RTX payload type repairs */
	r = J("{\"codecs\":[" VP8 "," RTX97 "],\"encodings\":[{\"ssrc\":1,\"rtx\":{\"ssrc\":2}}]}");
	assert_int_equal(cp_rtp_check(r, CASCADE_KIND_VIDEO, &info, &err), 0);
	memset(&cmd, 0, sizeof(cmd));
	cp_rtp_rtx(r, &cmd);
	assert_int_equal(cmd.rtx_ssrc, 2);
	assert_int_equal(cmd.n_rtx, 1);
	assert_int_equal(cmd.rtx_map[0].pt, 97);
	assert_int_equal(cmd.rtx_map[0].apt, 96);
	json_decref(r);
	/* RTX codecs without an RTX stream: nothing to unwrap */
	r = J("{\"codecs\":[" VP8 "," RTX97 "],\"encodings\":[{\"ssrc\":1}]}");
	cp_rtp_rtx(r, &cmd);
	assert_int_equal(cmd.rtx_ssrc, 0);
	assert_int_equal(cmd.n_rtx, 0);
	json_decref(r);
}

static void
test_nego_audio_channels(void **state)
{
	struct nego n;

	(void)state;
	negotiate(&n, CASCADE_KIND_AUDIO,
		  RTP_WITH("{\"mimeType\":\"audio/opus\",\"payloadType\":111,\"clockRate\":48000,"
			   "\"channels\":2}",
			   ""),
		  "{\"codecs\":[{\"mimeType\":\"audio/opus\",\"preferredPayloadType\":100,"
		  "\"clockRate\":48000}]}");
	assert_int_equal(n.rc, -EINVAL); /* 1 channel (the default) is not 2 */
	negotiate(&n, CASCADE_KIND_AUDIO,
		  RTP_WITH("{\"mimeType\":\"audio/opus\",\"payloadType\":111,\"clockRate\":48000,"
			   "\"channels\":2}",
			   ""),
		  "{\"codecs\":[{\"kind\":\"audio\",\"mimeType\":\"audio/opus\","
		  "\"preferredPayloadType\":100,\"clockRate\":48000,\"channels\":2}]}");
	assert_int_equal(n.rc, 0);
	assert_int_equal(n.cc.pt_map[0].out_pt, 100);
	nego_free(&n);
	/* a capability of the other kind does not match */
	negotiate(&n, CASCADE_KIND_AUDIO,
		  RTP_WITH("{\"mimeType\":\"audio/PCMU\",\"payloadType\":0,\"clockRate\":8000}", ""),
		  "{\"codecs\":[{\"kind\":\"video\",\"mimeType\":\"audio/PCMU\","
		  "\"preferredPayloadType\":0,\"clockRate\":8000}]}");
	assert_int_equal(n.rc, -EINVAL); /* the caps themselves are wrong: kind vs mimeType */
	assert_non_null(strstr(n.err.msg, "codecs[0].kind"));
}

#define H264(pm, plid)                                                                            \
	"{\"mimeType\":\"video/H264\",\"payloadType\":102,\"clockRate\":90000,\"parameters\":{"   \
	"\"packetization-mode\":" pm ",\"profile-level-id\":\"" plid "\"}}"
#define H264_CAP(pm, plid)                                                                        \
	"{\"codecs\":[{\"mimeType\":\"video/H264\",\"preferredPayloadType\":125,\"clockRate\":"   \
	"90000,\"parameters\":{\"packetization-mode\":" pm ",\"profile-level-id\":\"" plid "\"}}]}"

static void
test_nego_h264_vp9(void **state)
{
	struct nego n;

	(void)state;
	/* the same profile (constrained baseline, other levels and iop spellings) */
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(H264("1", "42e01f"), ""), H264_CAP("1", "42C034"));
	assert_int_equal(n.rc, 0);
	assert_int_equal(n.cc.pt_map[0].out_pt, 125);
	/* the producer's parameters are kept */
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(json_object_get(n.out, "codecs"), 0),
						    "parameters"),
				    "profile-level-id")),
			    "42e01f");
	nego_free(&n);
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(H264("1", "4d001f"), ""), H264_CAP("1", "4d0032"));
	assert_int_equal(n.rc, 0); /* main and main */
	nego_free(&n);
	/* another packetization-mode, another profile, a broken profile-level-id */
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(H264("1", "42e01f"), ""), H264_CAP("0", "42e01f"));
	assert_int_equal(n.rc, -EINVAL);
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(H264("1", "42e01f"), ""), H264_CAP("1", "640032"));
	assert_int_equal(n.rc, -EINVAL);
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(H264("1", "42001f"), ""), H264_CAP("1", "42e01f"));
	assert_int_equal(n.rc, -EINVAL); /* baseline is not constrained baseline */
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(H264("1", "zzzzzz"), ""), H264_CAP("1", "42e01f"));
	assert_int_equal(n.rc, -EINVAL);
	/* VP9: profile-id, 0 when absent */
	negotiate(&n, CASCADE_KIND_VIDEO,
		  RTP_WITH("{\"mimeType\":\"video/VP9\",\"payloadType\":98,\"clockRate\":90000,"
			   "\"parameters\":{\"profile-id\":2}}",
			   ""),
		  "{\"codecs\":[{\"mimeType\":\"video/VP9\",\"preferredPayloadType\":101,"
		  "\"clockRate\":90000}]}");
	assert_int_equal(n.rc, -EINVAL);
	negotiate(&n, CASCADE_KIND_VIDEO,
		  RTP_WITH("{\"mimeType\":\"video/VP9\",\"payloadType\":98,\"clockRate\":90000,"
			   "\"parameters\":{\"profile-id\":2}}",
			   ""),
		  "{\"codecs\":[{\"mimeType\":\"video/VP9\",\"preferredPayloadType\":101,"
		  "\"clockRate\":90000,\"parameters\":{\"profile-id\":\"2\"}}]}");
	assert_int_equal(n.rc, 0);
	nego_free(&n);
}

/* The first codec's rtcpFeedback equals want (JSON text). */
static void
expect_feedback(const struct nego *n, const char *want)
{
	json_t *w = J(want);

	assert_true(json_equal(json_object_get(json_array_get(json_object_get(n->out, "codecs"), 0),
					       "rtcpFeedback"),
			       w));
	json_decref(w);
}

#define TCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define AST "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

static void
test_nego_extensions(void **state)
{
	/* announced: a (1 -> 3), c (4 -> 1); not announced: b (2), d (6); undeclared ids too */
	static const uint8_t pairs[][2] = {{1, 3}, {4, 1}, {6, 6}};
	struct nego n;
	unsigned int i;

	(void)state;
	negotiate(&n, CASCADE_KIND_VIDEO,
		  RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"urn:a\",\"id\":1},{\"uri\":"
				"\"urn:b\",\"id\":2},{\"uri\":\"urn:c\",\"id\":4},{\"uri\":\"urn:d\","
				"\"id\":6}]"),
		  "{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":96,"
		  "\"clockRate\":90000}],\"headerExtensions\":[{\"kind\":\"video\",\"uri\":\"urn:a\","
		  "\"preferredId\":3},{\"kind\":\"audio\",\"uri\":\"urn:b\",\"preferredId\":2},"
		  "{\"uri\":\"urn:c\",\"preferredId\":1},{\"uri\":\"urn:x\",\"preferredId\":6}]}");
	expect_out(&n, CASCADE_KIND_VIDEO,
		   "{\"codecs\":[" VP8 "],\"headerExtensions\":[{\"uri\":\"urn:a\",\"id\":3},{\"uri\":"
		   "\"urn:c\",\"id\":1}],\"encodings\":[{\"ssrc\":2882400001}],\"rtcp\":{\"cname\":"
		   "\"\",\"reducedSize\":true,\"mux\":true}}");
	expect_ext_map(&n, pairs, 3);
	/* b (2, for audio only in the caps) must not land on 3 or 1, where a and c went */
	assert_true(n.cc.ext_map[2] != 3 && n.cc.ext_map[2] != 1);
	/* 3 (undeclared by the producer) must not stay 3 either: a took it */
	assert_true(n.cc.ext_map[3] != 3);
	for (i = 1; i <= CASCADE_MAX_EXT_ID; i++)
		if (i != 1 && i != 4)
			assert_true(n.cc.ext_map[i] != 3 && n.cc.ext_map[i] != 1);
	nego_free(&n);

	/* a preferred id past the one-byte form is not negotiated */
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"urn:a\",\"id\":1}]"),
		  "{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":96,"
		  "\"clockRate\":90000}],\"headerExtensions\":[{\"uri\":\"urn:a\",\"preferredId\":20}]}");
	assert_int_equal(n.rc, 0);
	assert_int_equal(json_array_size(json_object_get(n.out, "headerExtensions")), 0);
	expect_ext_map(&n, NULL, 0);
	nego_free(&n);

	/* two producer extensions wanting one receiver id: the first gets it */
	negotiate(&n, CASCADE_KIND_VIDEO,
		  RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"urn:a\",\"id\":1},{\"uri\":\"urn:b\",\"id\":2}]"),
		  "{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":96,"
		  "\"clockRate\":90000}],\"headerExtensions\":[{\"uri\":\"urn:a\",\"preferredId\":5},"
		  "{\"uri\":\"urn:b\",\"preferredId\":5}]}");
	assert_int_equal(n.rc, 0);
	assert_int_equal(json_array_size(json_object_get(n.out, "headerExtensions")), 1);
	assert_int_equal(n.cc.ext_map[1], 5);
	assert_true(n.cc.ext_map[2] != 5);
	nego_free(&n);

	/* transport-cc with its extension (REMB goes); REMB with abs-send-time only */
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"" TCC "\",\"id\":3}]"),
		  "{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":96,"
		  "\"clockRate\":90000,\"rtcpFeedback\":[{\"type\":\"transport-cc\"},{\"type\":"
		  "\"goog-remb\"}]}],\"headerExtensions\":[{\"uri\":\"" TCC "\",\"preferredId\":5}]}");
	assert_int_equal(n.rc, 0);
	expect_feedback(&n, "[{\"type\":\"transport-cc\"}]");
	nego_free(&n);
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"" AST "\",\"id\":3}]"),
		  "{\"codecs\":[{\"mimeType\":\"video/VP8\",\"preferredPayloadType\":96,"
		  "\"clockRate\":90000,\"rtcpFeedback\":[{\"type\":\"transport-cc\"},{\"type\":"
		  "\"goog-remb\"}]}],\"headerExtensions\":[{\"uri\":\"" AST "\",\"preferredId\":2}]}");
	assert_int_equal(n.rc, 0);
	expect_feedback(&n, "[{\"type\":\"goog-remb\"}]");
	nego_free(&n);
}

/* The negotiation checks its own inputs: a record from elsewhere cannot make it misbehave. */
static void
test_nego_checks_inputs(void **state)
{
	struct nego n;

	(void)state;
	/* an extension id no one-byte header has (a Redis record, not an API body) */
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(VP8, ",\"headerExtensions\":[{\"uri\":\"u\",\"id\":300}]"),
		  NULL);
	assert_int_equal(n.rc, -EINVAL);
	assert_non_null(strstr(n.err.msg, "headerExtensions[0].id"));
	/* a codec without mimeType */
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH("{\"payloadType\":96,\"clockRate\":90000}", ""),
		  "{\"codecs\":[]}");
	assert_int_equal(n.rc, -EINVAL);
	assert_non_null(strstr(n.err.msg, "mimeType"));
	/* parameters of the other kind */
	negotiate(&n, CASCADE_KIND_AUDIO, RTP_WITH(VP8, ""), NULL);
	assert_int_equal(n.rc, -EINVAL);
	/* capabilities that are not */
	negotiate(&n, CASCADE_KIND_VIDEO, RTP_WITH(VP8, ""), "{\"codecs\":[{\"mimeType\":\"video/VP8\"}]}");
	assert_int_equal(n.rc, -EINVAL);
	assert_null(n.out);
}

/* The feedback the dataplane sends for a producer, from its codecs' rtcpFeedback. */
static void
test_feedback(void **state)
{
	json_t *r;

	(void)state;
	r = J(RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,"
		       "\"rtcpFeedback\":[{\"type\":\"nack\"},{\"type\":\"goog-remb\"}]},"
		       "{\"mimeType\":\"video/H264\",\"payloadType\":102,\"clockRate\":90000,"
		       "\"rtcpFeedback\":[{\"type\":\"nack\",\"parameter\":\"pli\"},{\"type\":"
		       "\"ccm\",\"parameter\":\"fir\"}]}",
		       ""));
	assert_int_equal(cp_rtp_feedback(r), CASCADE_FB_NACK | CASCADE_FB_PLI | CASCADE_FB_FIR);
	json_decref(r);
	r = J(RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,"
		       "\"rtcpFeedback\":[{\"type\":\"nack\",\"parameter\":\"sli\"},{\"type\":"
		       "\"ccm\"}]}",
		       ""));
	assert_int_equal(cp_rtp_feedback(r), 0);
	json_decref(r);
}

/* Transport-cc needs both the feedback and the extension (one-byte id). */
static void
test_congestion(void **state)
{
	struct cascade_cmd_producer cmd;
	json_t *r;

	(void)state;
	memset(&cmd, 0, sizeof(cmd));
	r = J(RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,"
		       "\"rtcpFeedback\":[{\"type\":\"transport-cc\"}]}",
		       ",\"headerExtensions\":[{\"uri\":\"" TCC "\",\"id\":5}]"));
	cp_rtp_congestion(r, &cmd);
	assert_int_equal(cmd.fb, CASCADE_FB_TWCC);
	assert_int_equal(cmd.twcc_ext_id, 5);
	json_decref(r);
	/* both negotiated: transport-cc alone */
	r = J(RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,"
		       "\"rtcpFeedback\":[{\"type\":\"goog-remb\"},{\"type\":\"transport-cc\"}]}",
		       ",\"headerExtensions\":[{\"uri\":\"" TCC "\",\"id\":5}]"));
	cp_rtp_congestion(r, &cmd);
	assert_int_equal(cmd.fb, CASCADE_FB_TWCC);
	json_decref(r);
	/* the extension without the feedback: REMB, which the codec lists */
	r = J(RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,"
		       "\"rtcpFeedback\":[{\"type\":\"goog-remb\"}]}",
		       ",\"headerExtensions\":[{\"uri\":\"" TCC "\",\"id\":5}]"));
	cp_rtp_congestion(r, &cmd);
	assert_int_equal(cmd.fb, CASCADE_FB_REMB);
	assert_int_equal(cmd.twcc_ext_id, 0);
	json_decref(r);
	/* the feedback without the extension; goog-remb stays out when both do */
	r = J(RTP_WITH("{\"mimeType\":\"video/VP8\",\"payloadType\":96,\"clockRate\":90000,"
		       "\"rtcpFeedback\":[{\"type\":\"transport-cc\"}]}",
		       ""));
	cp_rtp_congestion(r, &cmd);
	assert_int_equal(cmd.fb, 0);
	json_decref(r);
}

static void
test_with_ssrc(void **state)
{
	json_t *r = J(RTP_WITH(VP8, "")), *c;
	struct cp_rtp info;
	struct cp_err err;

	(void)state;
	c = cp_rtp_with_ssrc(r, 77);
	assert_non_null(c);
	assert_int_equal(cp_rtp_check(c, CASCADE_KIND_VIDEO, &info, &err), 0);
	assert_int_equal(info.ssrc, 77);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(r, "encodings"), 0), "ssrc")),
			 4096); /* a copy */
	json_decref(c);
	json_decref(r);
	assert_true(cp_rtp_is_repair("video/RTX"));
	assert_true(cp_rtp_is_repair("video/flexfec-03"));
	assert_false(cp_rtp_is_repair("video/VP8"));
	assert_false(cp_rtp_is_repair(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtp_good),
		cmocka_unit_test(test_rtp_fields),
		cmocka_unit_test(test_caps_fields),
		cmocka_unit_test(test_nego_no_caps),
		cmocka_unit_test(test_nego_codecs),
		cmocka_unit_test(test_nego_rtx),
		cmocka_unit_test(test_rtp_rtx_ssrc),
		cmocka_unit_test(test_nego_audio_channels),
		cmocka_unit_test(test_nego_h264_vp9),
		cmocka_unit_test(test_nego_extensions),
		cmocka_unit_test(test_nego_checks_inputs),
		cmocka_unit_test(test_feedback),
		cmocka_unit_test(test_congestion),
		cmocka_unit_test(test_with_ssrc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
