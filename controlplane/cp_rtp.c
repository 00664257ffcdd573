/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RtpParameters, RtpCapabilities and consumer negotiation (see cp_rtp.h for
 * the rules). H264 profiles are compared as mediasoup's h264-profile-level-id
 * (after WebRTC's h264_profile_level_id.cc) does: profile_idc and the
 * constraint flags of profile-level-id name a profile, and two codecs match
 * when they name the same one; the level is not negotiated here.
 *
 * Layer: leaf.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cp_ids.h"
#include "cp_json.h"
#include "cp_rtp.h"

#define MIME_MAX 64
#define URI_MAX 256
#define PARAM_MAX 256
#define FEEDBACK_MAX 32
#define WHERE_MAX 96

#define URI_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

bool
cp_rtp_is_repair(const char *mime)
{
	const char *slash = mime != NULL ? strchr(mime, '/') : NULL;

	return slash != NULL &&
	       (strcasecmp(slash + 1, "rtx") == 0 || strcasecmp(slash + 1, "red") == 0 ||
		strcasecmp(slash + 1, "ulpfec") == 0 || strcasecmp(slash + 1, "flexfec-03") == 0);
}

bool
cp_rtp_is_rtx(const char *mime)
{
	const char *slash = strchr(mime, '/');

	return slash != NULL && strcasecmp(slash + 1, "rtx") == 0;
}

/* "<audio|video>/<name>", name 1..32 of [A-Za-z0-9._+-]: its kind, or 0. */
static uint8_t
mime_kind(const char *mime)
{
	const char *slash = strchr(mime, '/'), *s;
	uint8_t kind;

	if (slash == NULL)
		return 0;
	if ((size_t)(slash - mime) == 5 && strncasecmp(mime, "audio", 5) == 0)
		kind = CASCADE_KIND_AUDIO;
	else if ((size_t)(slash - mime) == 5 && strncasecmp(mime, "video", 5) == 0)
		kind = CASCADE_KIND_VIDEO;
	else
		return 0;
	if (strlen(slash + 1) < 1 || strlen(slash + 1) > 32)
		return 0;
	for (s = slash + 1; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '+' || *s == '-'))
			return 0;
	return kind;
}

/* codec or capability "parameters": an object of strings and numbers */
static int
check_parameters(const json_t *obj, const char *where, struct cp_err *err)
{
	const json_t *params = NULL, *v;
	const char *key;
	int rc = cp_json_obj(obj, "parameters", where, false, &params, err);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	json_object_foreach((json_t *)params, key, v)
	{
		if (strlen(key) == 0 || strlen(key) > 64 ||
		    !(json_is_number(v) ||
		      (json_is_string(v) && json_string_length(v) <= PARAM_MAX &&
		       strlen(json_string_value(v)) == json_string_length(v))))
			return cp_err_set(err, -EINVAL,
					  "%s.parameters: names of 1 to 64 bytes, values numbers or "
					  "strings of up to %d bytes",
					  where, PARAM_MAX);
	}
	return 0;
}

/* "rtcpFeedback": [{"type", "parameter"?}] */
static int
check_feedback(const json_t *obj, const char *where, struct cp_err *err)
{
	const json_t *arr = NULL, *fb;
	char w[WHERE_MAX], wi[WHERE_MAX];
	const char *s;
	size_t i;
	int rc = cp_json_arr(obj, "rtcpFeedback", where, 0, FEEDBACK_MAX, false, &arr, err);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	cp_json_path(w, sizeof(w), where, "rtcpFeedback");
	json_array_foreach((json_t *)arr, i, fb)
	{
		cp_json_index(wi, sizeof(wi), w, i);
		if (!json_is_object(fb))
			return cp_err_set(err, -EINVAL, "%s: must be an object", wi);
		if (cp_json_str(fb, "type", wi, 1, 32, true, &s, err) < 0 ||
		    cp_json_str(fb, "parameter", wi, 0, 32, false, &s, err) < 0)
			return -EINVAL;
	}
	return 0;
}

/*
 * What codecs and capabilities share: mimeType (of want_kind, when not 0),
 * clockRate, channels, parameters, rtcpFeedback. *kind gets the mimeType's.
 */
static int
check_codec(const json_t *c, const char *where, uint8_t want_kind, uint8_t *kind,
	    struct cp_err *err)
{
	const char *mime;
	json_int_t x;

	if (!json_is_object(c))
		return cp_err_set(err, -EINVAL, "%s: must be an object", where);
	if (cp_json_str(c, "mimeType", where, 3, MIME_MAX, true, &mime, err) < 0)
		return -EINVAL;
	*kind = mime_kind(mime);
	if (*kind == 0 || (want_kind != 0 && *kind != want_kind))
		return cp_err_set(err, -EINVAL, "%s.mimeType: must be \"%s/<codec>\"", where,
				  want_kind == CASCADE_KIND_AUDIO   ? "audio"
				  : want_kind == CASCADE_KIND_VIDEO ? "video"
								    : "audio|video");
	if (cp_json_int(c, "clockRate", where, 1000, 1000000, true, &x, err) < 0 ||
	    cp_json_int(c, "channels", where, 1, 8, false, &x, err) < 0 ||
	    check_parameters(c, where, err) < 0 || check_feedback(c, where, err) < 0)
		return -EINVAL;
	return 0;
}

int
cp_rtp_check(const json_t *rtp, uint8_t kind, struct cp_rtp *out, struct cp_err *err)
{
	const json_t *codecs, *encs = NULL, *exts = NULL, *rtcp = NULL, *rtx = NULL, *c, *enc;
	bool seen_pt[128] = {false}, seen_id[CASCADE_MAX_EXT_ID + 1] = {false};
	bool media_pt[128] = {false};
	unsigned int n_rtx;
	char where[WHERE_MAX];
	const char *s;
	json_int_t x, pt;
	uint8_t k;
	bool b;
	size_t i;

	out->clock_rate = 0;
	if (!json_is_object(rtp))
		return cp_err_set(err, -EINVAL, "rtpParameters: required, an object");
	if (cp_json_str(rtp, "mid", "rtpParameters", 1, 64, false, &s, err) < 0 ||
	    cp_json_arr(rtp, "codecs", "rtpParameters", 1, CP_RTP_MAX_CODECS, true, &codecs, err) <
		    0)
		return -EINVAL;
	json_array_foreach((json_t *)codecs, i, c)
	{
		cp_json_index(where, sizeof(where), "rtpParameters.codecs", i);
		if (check_codec(c, where, kind, &k, err) < 0 ||
		    cp_json_int(c, "payloadType", where, 0, 127, true, &pt, err) < 0)
			return -EINVAL;
		if (seen_pt[pt])
			return cp_err_set(err, -EINVAL, "%s.payloadType: %lld used twice", where,
					  (long long)pt);
		seen_pt[pt] = true;
		if (cp_rtp_is_repair(json_string_value(json_object_get(c, "mimeType"))))
			continue;
		media_pt[pt] = true;
		if (out->clock_rate == 0)
			out->clock_rate = (uint32_t)json_integer_value(json_object_get(c, "clockRate"));
	}
	if (out->clock_rate == 0)
		return cp_err_set(err, -EINVAL, "rtpParameters.codecs: no media codec (only RTX/RED/FEC)");
	/* RFC 4588 8.6: an RTX codec is bound to the media codec whose payload type is apt */
	n_rtx = 0;
	json_array_foreach((json_t *)codecs, i, c)
	{
		if (!cp_rtp_is_rtx(json_string_value(json_object_get(c, "mimeType"))))
			continue;
		if (++n_rtx > CASCADE_MAX_RTX_MAP)
			return cp_err_set(err, -EINVAL, "rtpParameters.codecs: at most %u RTX codecs",
					  CASCADE_MAX_RTX_MAP);
		cp_json_index(where, sizeof(where), "rtpParameters.codecs", i);
		x = json_integer_value(json_object_get(json_object_get(c, "parameters"), "apt"));
		if (!json_is_integer(json_object_get(json_object_get(c, "parameters"), "apt")) ||
		    x < 0 || x > 127 || !media_pt[x])
			return cp_err_set(err, -EINVAL,
					  "%s.parameters.apt: must be the payloadType of a media "
					  "codec of the list",
					  where);
	}
	if (cp_json_arr(rtp, "encodings", "rtpParameters", 0, SIZE_MAX, true, &encs, err) < 0)
		return -EINVAL;
	enc = json_array_get(encs, 0);
	if (json_array_size(encs) != 1 || !json_is_object(enc))
		return cp_err_set(err, -EINVAL, "rtpParameters.encodings: exactly one encoding "
						"(simulcast is not supported yet)");
	if (json_object_get(enc, "rid") != NULL)
		return cp_err_set(err, -EINVAL, "rtpParameters.encodings[0].rid: simulcast is not "
						"supported yet, give an ssrc");
	if (cp_json_int(enc, "ssrc", "rtpParameters.encodings[0]", 0, UINT32_MAX, true, &x, err) < 0)
		return -EINVAL;
	out->ssrc = (uint32_t)x;
	/* mediasoup's encodings[0].rtx: {"ssrc"}, the RTX stream's (RFC 4588) */
	out->rtx_ssrc = 0;
	if (cp_json_obj(enc, "rtx", "rtpParameters.encodings[0]", false, &rtx, err) < 0)
		return -EINVAL;
	if (rtx != NULL) {
		if (cp_json_int(rtx, "ssrc", "rtpParameters.encodings[0].rtx", 0, UINT32_MAX, true, &x,
				err) < 0)
			return -EINVAL;
		if ((uint32_t)x == out->ssrc)
			return cp_err_set(err, -EINVAL, "rtpParameters.encodings[0].rtx.ssrc: must "
							"differ from the encoding's ssrc");
		out->rtx_ssrc = (uint32_t)x;
	}
	if (cp_json_arr(rtp, "headerExtensions", "rtpParameters", 0, CASCADE_MAX_EXT_ID, false,
			&exts, err) < 0)
		return -EINVAL;
	json_array_foreach((json_t *)exts, i, c)
	{
		cp_json_index(where, sizeof(where), "rtpParameters.headerExtensions", i);
		if (!json_is_object(c))
			return cp_err_set(err, -EINVAL, "%s: must be an object", where);
		if (cp_json_str(c, "uri", where, 1, URI_MAX, true, &s, err) < 0 ||
		    cp_json_int(c, "id", where, 1, CASCADE_MAX_EXT_ID, true, &x, err) < 0 ||
		    cp_json_bool(c, "encrypt", where, false, &b, err) < 0 ||
		    check_parameters(c, where, err) < 0)
			return -EINVAL;
		if (seen_id[x])
			return cp_err_set(err, -EINVAL, "%s.id: %lld used twice", where, (long long)x);
		seen_id[x] = true;
	}
	if (cp_json_obj(rtp, "rtcp", "rtpParameters", false, &rtcp, err) < 0)
		return -EINVAL;
	if (rtcp != NULL && (cp_json_str(rtcp, "cname", "rtpParameters.rtcp", 0, 255, false, &s, err) < 0 ||
			     cp_json_bool(rtcp, "reducedSize", "rtpParameters.rtcp", false, &b, err) < 0 ||
			     cp_json_bool(rtcp, "mux", "rtpParameters.rtcp", false, &b, err) < 0))
		return -EINVAL;
	return 0;
}

int
cp_rtp_caps_check(const json_t *caps, struct cp_err *err)
{
	static const char *const directions[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
	const json_t *codecs, *exts = NULL, *c;
	char where[WHERE_MAX];
	const char *s;
	json_int_t x;
	uint8_t k, ck;
	bool b;
	size_t i, d;

	if (!json_is_object(caps))
		return cp_err_set(err, -EINVAL, "rtpCapabilities: must be an object with a codecs array");
	if (cp_json_arr(caps, "codecs", "rtpCapabilities", 0, CP_RTP_MAX_CAPS, true, &codecs, err) < 0)
		return -EINVAL;
	json_array_foreach((json_t *)codecs, i, c)
	{
		cp_json_index(where, sizeof(where), "rtpCapabilities.codecs", i);
		if (check_codec(c, where, 0, &k, err) < 0 ||
		    cp_json_int(c, "preferredPayloadType", where, 0, 127, true, &x, err) < 0 ||
		    cp_json_str(c, "kind", where, 5, 5, false, &s, err) < 0)
			return -EINVAL;
		if (json_object_get(c, "kind") != NULL && (cp_kind_parse(s, &ck) < 0 || ck != k))
			return cp_err_set(err, -EINVAL, "%s.kind: must be the mimeType's, \"audio\" or "
							"\"video\"",
					  where);
	}
	if (cp_json_arr(caps, "headerExtensions", "rtpCapabilities", 0, CP_RTP_MAX_CAPS, false,
			&exts, err) < 0)
		return -EINVAL;
	json_array_foreach((json_t *)exts, i, c)
	{
		cp_json_index(where, sizeof(where), "rtpCapabilities.headerExtensions", i);
		if (!json_is_object(c))
			return cp_err_set(err, -EINVAL, "%s: must be an object", where);
		if (cp_json_str(c, "uri", where, 1, URI_MAX, true, &s, err) < 0 ||
		    cp_json_int(c, "preferredId", where, 1, 255, true, &x, err) < 0 ||
		    cp_json_bool(c, "preferredEncrypt", where, false, &b, err) < 0 ||
		    cp_json_str(c, "kind", where, 5, 5, false, &s, err) < 0)
			return -EINVAL;
		if (json_object_get(c, "kind") != NULL && cp_kind_parse(s, &ck) < 0)
			return cp_err_set(err, -EINVAL, "%s.kind: must be \"audio\" or \"video\"", where);
		if (cp_json_str(c, "direction", where, 1, 16, false, &s, err) < 0)
			return -EINVAL;
		if (json_object_get(c, "direction") != NULL) {
			for (d = 0; d < 4 && strcmp(s, directions[d]) != 0; d++)
				;
			if (d == 4)
				return cp_err_set(err, -EINVAL,
						  "%s.direction: one of sendrecv, sendonly, recvonly, "
						  "inactive",
						  where);
		}
	}
	return 0;
}

/* ---- negotiation ----------------------------------------------------------------------- */

/* A codec parameter as text (numbers printed), or dflt when absent. */
static const char *
param(const json_t *codec, const char *key, const char *dflt, char *buf, size_t cap)
{
	const json_t *v = json_object_get(json_object_get(codec, "parameters"), key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return dflt;
}

/*
 * The H264 profile of profile-level-id (6 hex digits: profile_idc, profile_iop,
 * level_idc), as WebRTC's ParseProfileLevelId() names it, or -1.
 */
static int
h264_profile(const char *plid)
{
	static const struct {
		uint8_t idc;
		const char *iop; /* MSB first: x any, 0 or 1 */
		int profile;
	} patterns[] = {
		{0x42, "x1xx0000", 1}, /* constrained baseline */
		{0x4d, "1xxx0000", 1},
		{0x58, "11xx0000", 1},
		{0x42, "x0xx0000", 2}, /* baseline */
		{0x58, "10xx0000", 2},
		{0x4d, "0x0x0000", 3}, /* main */
		{0x64, "00000000", 4}, /* high */
		{0x64, "00001100", 5}, /* constrained high */
		{0xf4, "00000000", 6}, /* predictive high 4:4:4 */
	};
	unsigned int idc, iop, i, b;
	char *end;
	unsigned long v;

	if (strlen(plid) != 6)
		return -1;
	v = strtoul(plid, &end, 16);
	if (*end != '\0')
		return -1;
	idc = (unsigned int)(v >> 16) & 0xff;
	iop = (unsigned int)(v >> 8) & 0xff;
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		if (patterns[i].idc != idc)
			continue;
		for (b = 0; b < 8; b++) {
			char want = patterns[i].iop[b];
			unsigned int bit = (iop >> (7 - b)) & 1;
			if (want != 'x' && (unsigned int)(want - '0') != bit)
				break;
		}
		if (b == 8)
			return patterns[i].profile;
	}
	return -1;
}

/*
 * The receiver's RTX codec for its media payload type pt (RFC 4588 8.6: apt),
 * if it has one whose payload type is still free: appended to codecs after
 * the media codec mc (mediasoup's shape: "video/rtx", the clock rate, apt,
 * no feedback), its payload type in *rtx_pt (0: none). 0, or -ENOMEM.
 */
static int
rtx_codec(const json_t *caps, json_int_t pt, const json_t *mc, bool out_pt[128], uint8_t *rtx_pt,
	  json_t *codecs, struct cp_err *err)
{
	const json_t *cap;
	json_int_t rpt;
	size_t j;

	*rtx_pt = 0;
	json_array_foreach(json_object_get(caps, "codecs"), j, cap)
	{
		const json_t *apt = json_object_get(json_object_get(cap, "parameters"), "apt");

		if (!cp_rtp_is_rtx(json_string_value(json_object_get(cap, "mimeType"))) ||
		    !json_is_integer(apt) || json_integer_value(apt) != pt)
			continue;
		rpt = json_integer_value(json_object_get(cap, "preferredPayloadType"));
		if (out_pt[rpt])
			return 0; /* its payload type is taken: no RTX for this codec */
		if (json_array_append_new(
			    codecs, json_pack("{s:s,s:I,s:O,s:{s:I},s:[]}", "mimeType",
					      json_string_value(json_object_get(cap, "mimeType")),
					      "payloadType", rpt, "clockRate",
					      json_object_get(mc, "clockRate"), "parameters", "apt", pt,
					      "rtcpFeedback")) < 0)
			return cp_err_set(err, -ENOMEM, "out of memory");
		out_pt[rpt] = true;
		*rtx_pt = (uint8_t)rpt;
		return 0;
	}
	return 0;
}

/* mediasoup's matchCodecs(strict): whether capability cap can receive producer codec pc. */
static bool
codec_match(const json_t *pc, const json_t *cap, uint8_t kind)
{
	const char *mime = json_string_value(json_object_get(pc, "mimeType"));
	const json_t *ch = json_object_get(pc, "channels"), *cch = json_object_get(cap, "channels");
	char a[24], b[24];

	if (strcasecmp(mime, json_string_value(json_object_get(cap, "mimeType"))) != 0 ||
	    json_integer_value(json_object_get(pc, "clockRate")) !=
		    json_integer_value(json_object_get(cap, "clockRate")))
		return false;
	if (kind == CASCADE_KIND_AUDIO && (ch != NULL ? json_integer_value(ch) : 1) !=
						  (cch != NULL ? json_integer_value(cch) : 1))
		return false;
	if (strcasecmp(mime, "video/H264") == 0) {
		int pp = h264_profile(param(pc, "profile-level-id", "42e01f", a, sizeof(a)));
		int cp = h264_profile(param(cap, "profile-level-id", "42e01f", b, sizeof(b)));

		if (strcmp(param(pc, "packetization-mode", "0", a, sizeof(a)),
			   param(cap, "packetization-mode", "0", b, sizeof(b))) != 0 ||
		    pp < 0 || pp != cp)
			return false;
	}
	if (strcasecmp(mime, "video/VP9") == 0 &&
	    strcmp(param(pc, "profile-id", "0", a, sizeof(a)),
		   param(cap, "profile-id", "0", b, sizeof(b))) != 0)
		return false;
	return true;
}

/* The receiver's preferred id for extension uri of kind, or 0 when it has none (1..14). */
static uint8_t
caps_ext_id(const json_t *caps, const char *uri, uint8_t kind)
{
	const json_t *ce;
	uint8_t ck;
	size_t i;

	json_array_foreach(json_object_get(caps, "headerExtensions"), i, ce)
	{
		const json_t *k = json_object_get(ce, "kind");
		json_int_t id = json_integer_value(json_object_get(ce, "preferredId"));

		if (strcmp(json_string_value(json_object_get(ce, "uri")), uri) != 0 ||
		    (k != NULL && (cp_kind_parse(json_string_value(k), &ck) < 0 || ck != kind)))
			continue;
		return id >= 1 && id <= CASCADE_MAX_EXT_ID ? (uint8_t)id : 0;
	}
	return 0;
}

/* Drop the rtcpFeedback entries of type from every codec of codecs. */
static void
feedback_drop(json_t *codecs, const char *type)
{
	json_t *c, *fb;
	size_t i, j;

	json_array_foreach(codecs, i, c)
	{
		json_t *list = json_object_get(c, "rtcpFeedback");

		for (j = 0; j < json_array_size(list);) {
			fb = json_array_get(list, j);
			if (strcmp(json_string_value(json_object_get(fb, "type")), type) == 0)
				json_array_remove(list, j);
			else
				j++;
		}
	}
}

/* Whether a codec of codecs has rtcpFeedback of type. */
static bool
has_feedback(const json_t *codecs, const char *type)
{
	const json_t *c, *fb;
	size_t i, j;

	json_array_foreach((json_t *)codecs, i, c)
		json_array_foreach(json_object_get(c, "rtcpFeedback"), j, fb)
			if (strcmp(json_string_value(json_object_get(fb, "type")), type) == 0)
				return true;
	return false;
}

static bool
has_ext(const json_t *exts, const char *uri)
{
	const json_t *e;
	size_t i;

	json_array_foreach((json_t *)exts, i, e)
		if (strcmp(json_string_value(json_object_get(e, "uri")), uri) == 0)
			return true;
	return false;
}

/*
 * ext_map as a permutation of 1..14 less reserved (0: none): the negotiated
 * pairs in map already (map[in] = out, or CASCADE_EXT_TWCC: blanked), every
 * other id to an id no negotiated one takes, its own when free; with no id
 * left (reserved took one), the last is blanked.
 */
static void
ext_permutation(uint8_t map[CASCADE_MAX_EXT_ID + 2], uint8_t reserved)
{
	bool taken[CASCADE_MAX_EXT_ID + 2] = {false};
	unsigned int in, out;

	taken[reserved] = reserved != 0; /* Cascade's transport-wide number */
	for (in = 1; in <= CASCADE_MAX_EXT_ID; in++)
		if (map[in] != 0 && map[in] <= CASCADE_MAX_EXT_ID)
			taken[map[in]] = true;
	for (in = 1; in <= CASCADE_MAX_EXT_ID; in++)
		if (map[in] == 0 && !taken[in]) {
			map[in] = (uint8_t)in;
			taken[in] = true;
		}
	for (in = 1; in <= CASCADE_MAX_EXT_ID; in++) {
		if (map[in] != 0)
			continue;
		for (out = 1; out <= CASCADE_MAX_EXT_ID && taken[out]; out++)
			;
		if (out > CASCADE_MAX_EXT_ID) {
			map[in] = CASCADE_EXT_TWCC; /* no id left (one was reserved): blanked */
			continue;
		}
		map[in] = (uint8_t)out;
		taken[out] = true;
	}
	map[0] = map[CASCADE_MAX_EXT_ID + 1] = 0;
}

int
cp_rtp_negotiate(const json_t *rtp, uint8_t kind, const json_t *caps, uint32_t ssrc,
		 uint32_t rtx_ssrc, bool rtcp_mux, struct cascade_cmd_consumer *cc, json_t **out,
		 struct cp_err *err)
{
	json_t *codecs = NULL, *exts = NULL, *pc, *pe, *cap, *oc;
	const json_t *cname;
	uint8_t map[CASCADE_MAX_EXT_ID + 2] = {0};
	bool out_pt[128] = {false}, out_id[CASCADE_MAX_EXT_ID + 1] = {false};
	struct cp_rtp info;
	uint8_t sender_tcc = 0;
	size_t i, j;
	int rc = -EINVAL;

	*out = NULL;
	if (cp_rtp_check(rtp, kind, &info, err) < 0 || (caps != NULL && cp_rtp_caps_check(caps, err) < 0))
		return -EINVAL;
	codecs = json_array();
	exts = json_array();
	if (codecs == NULL || exts == NULL) {
		rc = cp_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	cc->n_pt_map = 0;
	cc->rtx_ssrc = 0;
	memset(cc->rtx_pt, 0, sizeof(cc->rtx_pt));
	json_array_foreach(json_object_get(rtp, "codecs"), i, pc)
	{
		json_int_t pt = json_integer_value(json_object_get(pc, "payloadType"));

		if (cp_rtp_is_repair(json_string_value(json_object_get(pc, "mimeType"))))
			continue; /* RTX, RED and FEC are not forwarded yet */
		cap = NULL;
		if (caps != NULL) {
			json_array_foreach(json_object_get(caps, "codecs"), j, cap)
				if (codec_match(pc, cap, kind))
					break;
			if (j == json_array_size(json_object_get(caps, "codecs")))
				continue;
			pt = json_integer_value(json_object_get(cap, "preferredPayloadType"));
			if (out_pt[pt] || cc->n_pt_map == CASCADE_MAX_PT_MAP)
				continue; /* one producer codec per payload type */
		}
		out_pt[pt] = true;
		oc = json_deep_copy(pc);
		if (oc == NULL || json_array_append_new(codecs, oc) < 0) {
			rc = cp_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		if (cap == NULL)
			continue;
		json_object_set_new(oc, "payloadType", json_integer(pt));
		if (json_object_get(cap, "rtcpFeedback") != NULL)
			json_object_set_new(oc, "rtcpFeedback",
					    json_deep_copy(json_object_get(cap, "rtcpFeedback")));
		else
			json_object_del(oc, "rtcpFeedback");
		cc->pt_map[cc->n_pt_map].in_pt =
			(uint8_t)json_integer_value(json_object_get(pc, "payloadType"));
		cc->pt_map[cc->n_pt_map].out_pt = (uint8_t)pt;
		if (rtx_ssrc != 0 &&
		    rtx_codec(caps, pt, oc, out_pt, &cc->rtx_pt[cc->n_pt_map], codecs, err) < 0) {
			rc = err->code;
			goto out;
		}
		if (cc->rtx_pt[cc->n_pt_map] != 0)
			cc->rtx_ssrc = rtx_ssrc;
		cc->n_pt_map++;
	}
	if (json_array_size(codecs) == 0) {
		rc = cp_err_set(err, -EINVAL, "rtpCapabilities: none of the producer's codecs is "
					      "supported by the receiver");
		goto out;
	}
	/*
	 * Transport-cc towards the receiver: Cascade's own transport-wide numbers,
	 * for a receiver that has the extension and transport-cc feedback.
	 */
	cc->twcc_ext_id = 0;
	if (caps != NULL && has_feedback(codecs, "transport-cc"))
		cc->twcc_ext_id = caps_ext_id(caps, CP_RTP_URI_TRANSPORT_CC, kind);
	if (cc->twcc_ext_id != 0) {
		out_id[cc->twcc_ext_id] = true;
		if (json_array_append_new(exts, json_pack("{s:s,s:i}", "uri", CP_RTP_URI_TRANSPORT_CC, "id",
							  (int)cc->twcc_ext_id)) < 0) {
			rc = cp_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	json_array_foreach(json_object_get(rtp, "headerExtensions"), i, pe)
	{
		const char *uri = json_string_value(json_object_get(pe, "uri"));
		uint8_t id = (uint8_t)json_integer_value(json_object_get(pe, "id"));
		uint8_t out_ext = caps != NULL ? caps_ext_id(caps, uri, kind) : id;

		if (strcmp(uri, CP_RTP_URI_TRANSPORT_CC) == 0) {
			sender_tcc = id; /* the sender's numbering is not Cascade's: never forwarded */
			continue;
		}
		if (out_ext == 0 || out_id[out_ext])
			continue; /* not announced (or its id is taken): renumbered out of the way */
		out_id[out_ext] = true;
		map[id] = out_ext;
		if (json_array_append_new(exts, json_pack("{s:s,s:i}", "uri", uri, "id", (int)out_ext)) <
		    0) {
			rc = cp_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	if (sender_tcc != 0)
		map[sender_tcc] = CASCADE_EXT_TWCC; /* blanked by the dataplane */
	ext_permutation(map, cc->twcc_ext_id);
	memcpy(cc->ext_map, map, sizeof(cc->ext_map));
	/* mediasoup: transport-cc with its extension, else REMB with abs-send-time, else neither */
	if (has_ext(exts, CP_RTP_URI_TRANSPORT_CC)) {
		feedback_drop(codecs, "goog-remb");
	} else {
		feedback_drop(codecs, "transport-cc");
		if (!has_ext(exts, URI_ABS_SEND_TIME))
			feedback_drop(codecs, "goog-remb");
	}
	cc->ssrc = ssrc;
	cname = json_object_get(json_object_get(rtp, "rtcp"), "cname");
	*out = json_pack("{s:o,s:o,s:[{s:I}],s:{s:s,s:b,s:b}}", "codecs", codecs, "headerExtensions",
			 exts, "encodings", "ssrc", (json_int_t)ssrc, "rtcp", "cname",
			 json_is_string(cname) ? json_string_value(cname) : "", "reducedSize", 1,
			 "mux", rtcp_mux);
	/* mediasoup's shape: encodings[0].rtx.ssrc */
	if (*out != NULL && cc->rtx_ssrc != 0)
		json_object_set_new(json_array_get(json_object_get(*out, "encodings"), 0), "rtx",
				    json_pack("{s:I}", "ssrc", (json_int_t)cc->rtx_ssrc));
	codecs = exts = NULL; /* stolen by json_pack, even when it fails */
	if (*out == NULL)
		return cp_err_set(err, -ENOMEM, "out of memory");
	return 0;
out:
	json_decref(codecs);
	json_decref(exts);
	return rc;
}

json_t *
cp_rtp_with_ssrc(const json_t *rtp, uint32_t ssrc)
{
	json_t *copy = json_deep_copy(rtp);
	json_t *enc = json_array_get(json_object_get(copy, "encodings"), 0);

	if (copy != NULL && (enc == NULL || json_object_set_new(enc, "ssrc", json_integer(ssrc)) < 0)) {
		json_decref(copy);
		return NULL;
	}
	return copy;
}
