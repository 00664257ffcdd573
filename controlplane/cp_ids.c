/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names and ids (see cp_ids.h).
 *
 * Layer: leaf.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <cascade/msg.h>
#include <cascade/segment.h>

#include "cascade_srtp.h"
#include "cp_ids.h"

static bool
name_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1), i;

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

bool
cp_room_name_ok(const char *s)
{
	return name_ok(s, CP_NAME_MAX);
}

bool
cp_node_id_ok(const char *s)
{
	return name_ok(s, CP_ID_MAX - 1);
}

bool
cp_obj_id_ok(const char *s)
{
	return name_ok(s, CP_OBJ_ID_MAX - 1);
}

/* getrandom() on a kernel without entropy yet would block: fall back to the clock. */
static void
random_bytes(void *buf, size_t n)
{
	uint64_t t;

	if (getrandom(buf, n, GRND_NONBLOCK) == (ssize_t)n)
		return;
	t = cascade_now_ns();
	memcpy(buf, &t, n < sizeof(t) ? n : sizeof(t));
}

void
cp_uuid4(char out[CP_OBJ_ID_MAX])
{
	uint8_t b[16];

	random_bytes(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* RFC 9562 4: version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
	snprintf(out, CP_OBJ_ID_MAX,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

uint32_t
cp_random_ssrc(void)
{
	uint32_t s = 0;

	while (s == 0)
		random_bytes(&s, sizeof(s));
	return s;
}

const char *
cp_kind_name(uint8_t kind)
{
	return kind == CASCADE_KIND_AUDIO ? "audio" : "video";
}

int
cp_kind_parse(const char *s, uint8_t *kind)
{
	if (strcmp(s, "audio") == 0)
		*kind = CASCADE_KIND_AUDIO;
	else if (strcmp(s, "video") == 0)
		*kind = CASCADE_KIND_VIDEO;
	else
		return -EINVAL;
	return 0;
}

const char *
cp_suite_name(uint8_t suite)
{
	if (suite == CASCADE_SUITE_NONE || suite > CASCADE_SUITE_MAX)
		return "none";
	return cascade_srtp_suite_info((enum cascade_srtp_suite)(suite - 1))->name;
}

int
cp_suite_parse(const char *s, uint8_t *suite)
{
	enum cascade_srtp_suite ws;

	if (cascade_srtp_suite_from_name(s, &ws) < 0)
		return -EINVAL;
	*suite = (uint8_t)(ws + 1);
	return 0;
}
