/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names the control plane hands out or accepts: object ids (UUID v4 for API
 * objects), room names, node ids, media kinds and SRTP suites by their
 * mediasoup names, and random SSRCs. Every check here is the one rule for
 * that name, whichever input it comes from (API path or body, Redis record,
 * peer request, state file).
 *
 * Layer: leaf.
 */
#ifndef CP_IDS_H
#define CP_IDS_H

#include <stdbool.h>
#include <stdint.h>

#define CP_ID_MAX 64   /* a node id and its NUL */
#define CP_NAME_MAX 64 /* a room name, without its NUL */
#define CP_OBJ_ID_MAX 40 /* an object id and its NUL (a UUID is 36) */

/* 1..64 of [A-Za-z0-9._-] (room names). */
bool cp_room_name_ok(const char *s);
/* 1..63 of [A-Za-z0-9._-] (node ids). */
bool cp_node_id_ok(const char *s);
/* 1..39 of [A-Za-z0-9._-] (producer, consumer and transport ids). */
bool cp_obj_id_ok(const char *s);
/* A fresh UUID v4 from the kernel's random source. */
void cp_uuid4(char out[CP_OBJ_ID_MAX]);
/* A random 32-bit value that is not 0 (SSRCs). */
uint32_t cp_random_ssrc(void);

/* "audio" or "video" for a CASCADE_KIND_*. */
const char *cp_kind_name(uint8_t kind);
/* A CASCADE_KIND_* from "audio" / "video": 0, or -EINVAL. */
int cp_kind_parse(const char *s, uint8_t *kind);
/* A CASCADE_SUITE_*'s mediasoup name; "none" for plain RTP. */
const char *cp_suite_name(uint8_t suite);
/* A CASCADE_SUITE_* from a mediasoup name ("none" is not one): 0, or -EINVAL. */
int cp_suite_parse(const char *s, uint8_t *suite);

#endif /* CP_IDS_H */
