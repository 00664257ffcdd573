/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cluster's Redis keys (P = redis.prefix; room keys hash-tagged by room,
 * node keys by node, so that a Redis Cluster can hold them and each MULTI
 * stays in one slot):
 *   P:nodes                     set of registered node ids
 *   P:node:{ID}                 hash: id, api, media_ip, pipe_port, pipe_srtp, draining, load,
 *                               sig (cp_sign.h) (expires after cluster.node_ttl_ms unless
 *                               refreshed)
 *   P:node:{ID}:rooms           set of the rooms the node has participants in
 *   P:node:{ID}:producers       set of "ROOM/PRODUCER" the node owns
 *   P:{ROOM}:nodes              set of node ids with participants in ROOM
 *   P:{ROOM}:producers          hash: producer id -> its signed record
 *                               (cp_schema_producer_signed)
 *   P:{ROOM}:events             channel: {"type","node","via"?,"producer"?}
 *
 * Layer: leaf.
 */
#ifndef CP_KEYS_H
#define CP_KEYS_H

#define CP_KEY_MAX 256

/* P:node:{ID}SUFFIX ("" or ":rooms", ":producers") into b (CP_KEY_MAX bytes); returns b. */
const char *cp_key_node(char *b, const char *prefix, const char *id, const char *suffix);
/* P:{ROOM}:SUFFIX ("nodes", "producers", "events"); returns b. */
const char *cp_key_room(char *b, const char *prefix, const char *room, const char *suffix);
/* P:nodes; returns b. */
const char *cp_key_nodes(char *b, const char *prefix);

#endif /* CP_KEYS_H */
