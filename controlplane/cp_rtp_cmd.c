/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a producer's (checked) rtpParameters tell the dataplane, in its
 * command: the RTX streams to unwrap, the RTCP feedback its sender
 * understands, and the congestion feedback it gets (transport-cc with the
 * extension's id, else REMB). See cp_rtp.h.
 *
 * Layer: leaf.
 */
#include <string.h>

#include "cp_rtp.h"

void
cp_rtp_rtx(const json_t *rtp, struct cascade_cmd_producer *cmd)
{
	const json_t *rtx = json_object_get(json_array_get(json_object_get(rtp, "encodings"), 0), "rtx");
	const json_t *c;
	size_t i;

	cmd->rtx_ssrc = 0;
	cmd->n_rtx = 0;
	memset(cmd->rtx_map, 0, sizeof(cmd->rtx_map));
	if (!json_is_integer(json_object_get(rtx, "ssrc")))
		return; /* RTX codecs without an RTX stream: nothing comes on one */
	json_array_foreach(json_object_get(rtp, "codecs"), i, c)
	{
		if (!cp_rtp_is_rtx(json_string_value(json_object_get(c, "mimeType"))) ||
		    cmd->n_rtx == CASCADE_MAX_RTX_MAP)
			continue;
		cmd->rtx_map[cmd->n_rtx].pt =
			(uint8_t)json_integer_value(json_object_get(c, "payloadType"));
		cmd->rtx_map[cmd->n_rtx].apt = (uint8_t)json_integer_value(
			json_object_get(json_object_get(c, "parameters"), "apt"));
		cmd->n_rtx++;
	}
	if (cmd->n_rtx != 0)
		cmd->rtx_ssrc = (uint32_t)json_integer_value(json_object_get(rtx, "ssrc"));
}

uint8_t
cp_rtp_feedback(const json_t *rtp)
{
	const json_t *codec, *fb;
	size_t i, j;
	uint8_t out = 0;

	json_array_foreach(json_object_get(rtp, "codecs"), i, codec)
	{
		json_array_foreach(json_object_get(codec, "rtcpFeedback"), j, fb)
		{
			const char *type = json_string_value(json_object_get(fb, "type"));
			const char *param = json_string_value(json_object_get(fb, "parameter"));

			if (type == NULL)
				continue;
			if (param == NULL)
				param = "";
			if (strcmp(type, "nack") == 0 && strcmp(param, "pli") == 0)
				out |= CASCADE_FB_PLI;
			else if (strcmp(type, "ccm") == 0 && strcmp(param, "fir") == 0)
				out |= CASCADE_FB_FIR;
			else if (strcmp(type, "nack") == 0 && param[0] == '\0')
				out |= CASCADE_FB_NACK;
		}
	}
	return out;
}

/* Whether some codec of rtp lists rtcpFeedback type (without a parameter). */
static bool
codec_has_fb(const json_t *rtp, const char *type)
{
	const json_t *codec, *fb;
	size_t i, j;

	json_array_foreach(json_object_get(rtp, "codecs"), i, codec)
		json_array_foreach(json_object_get(codec, "rtcpFeedback"), j, fb)
		{
			const char *t = json_string_value(json_object_get(fb, "type"));

			if (t != NULL && strcmp(t, type) == 0)
				return true;
		}
	return false;
}

void
cp_rtp_congestion(const json_t *rtp, struct cascade_cmd_producer *cmd)
{
	const json_t *e;
	size_t i;

	cmd->fb &= (uint8_t)~(CASCADE_FB_TWCC | CASCADE_FB_REMB);
	cmd->twcc_ext_id = 0;
	if (!codec_has_fb(rtp, "transport-cc"))
		goto remb;
	json_array_foreach(json_object_get(rtp, "headerExtensions"), i, e)
	{
		const char *uri = json_string_value(json_object_get(e, "uri"));
		json_int_t id = json_integer_value(json_object_get(e, "id"));

		/* holmer 2: the number travels in a one-byte element (RFC 8285 4.2: ids 1-14) */
		if (uri != NULL && strcmp(uri, CP_RTP_URI_TRANSPORT_CC) == 0 && id >= 1 &&
		    id <= CASCADE_MAX_EXT_ID) {
			cmd->fb |= CASCADE_FB_TWCC;
			cmd->twcc_ext_id = (uint8_t)id;
			return;
		}
	}
remb:
	/* mediasoup's rule: REMB only for a sender without transport-cc */
	if (codec_has_fb(rtp, "goog-remb"))
		cmd->fb |= CASCADE_FB_REMB;
}
