/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cluster's Redis keys (see cp_keys.h).
 *
 * Layer: leaf.
 */
#include <stdio.h>

#include "cp_keys.h"

const char *
cp_key_node(char *b, const char *prefix, const char *id, const char *suffix)
{
	snprintf(b, CP_KEY_MAX, "%s:node:{%s}%s", prefix, id, suffix);
	return b;
}

const char *
cp_key_room(char *b, const char *prefix, const char *room, const char *suffix)
{
	snprintf(b, CP_KEY_MAX, "%s:{%s}:%s", prefix, room, suffix);
	return b;
}

const char *
cp_key_nodes(char *b, const char *prefix)
{
	snprintf(b, CP_KEY_MAX, "%s:nodes", prefix);
	return b;
}
