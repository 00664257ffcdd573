/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A string -> pointer hash map (open addressing, linear probing, FNV-1a,
 * tombstones on delete). At 70% of its slots taken it rehashes: in place when
 * tombstones are at least half of those, else into twice the slots, so churn
 * with fresh keys never grows it past what its live entries need. Leaf
 * module: libc only. The map stores
 * the key pointer it is given: the value must own the key and keep it alive
 * while it is in the map.
 *
 * Layer: leaf.
 */
#ifndef CP_MAP_H
#define CP_MAP_H

#include <stddef.h>

struct cp_map {
	struct cp_map_slot *slots;
	size_t cap;  /* power of two, 0 when empty */
	size_t used; /* live entries */
	size_t dead; /* tombstones */
};

/* Value for key, or NULL. */
void *cp_map_get(const struct cp_map *m, const char *key);
/* Insert key -> val (key must not be present). 0 or -ENOMEM. */
int cp_map_put(struct cp_map *m, const char *key, void *val);
/* Remove key; returns its value or NULL. */
void *cp_map_del(struct cp_map *m, const char *key);
/* Call fn for each entry (the map must not change meanwhile). */
void cp_map_each(const struct cp_map *m, void (*fn)(const char *key, void *val, void *arg),
		 void *arg);
void cp_map_free(struct cp_map *m);

/* A growable array of pointers (for collecting entries before changing a map). */
struct cp_ptrs {
	void **v;
	size_t n, cap;
};

/* Append x. 0 or -ENOMEM (the array is unchanged). */
int cp_ptrs_push(struct cp_ptrs *p, void *x);
void cp_ptrs_free(struct cp_ptrs *p);

#endif /* CP_MAP_H */
