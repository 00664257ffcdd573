/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * String -> pointer map; see cp_map.h. Hand-written because the control plane
 * needs deletes (hsearch_r has none) and nothing else here warrants a library.
 *
 * Layer: leaf.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cp_map.h"

#define TOMBSTONE ((const char *)1)

struct cp_map_slot {
	const char *key; /* NULL empty, TOMBSTONE deleted */
	void *val;
	uint64_t hash;
};

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ull;
	}
	return h;
}

static struct cp_map_slot *
find(const struct cp_map *m, const char *key, uint64_t h)
{
	size_t i, n;

	if (m->cap == 0)
		return NULL;
	for (i = h & (m->cap - 1), n = 0; n < m->cap; i = (i + 1) & (m->cap - 1), n++) {
		struct cp_map_slot *s = &m->slots[i];
		if (s->key == NULL)
			return NULL;
		if (s->key != TOMBSTONE && s->hash == h && strcmp(s->key, key) == 0)
			return s;
	}
	return NULL;
}

void *
cp_map_get(const struct cp_map *m, const char *key)
{
	struct cp_map_slot *s = find(m, key, fnv1a(key));

	return s != NULL ? s->val : NULL;
}

/* Move the live entries into a fresh table of cap slots; tombstones are left behind. */
static int
rehash(struct cp_map *m, size_t cap)
{
	struct cp_map_slot *old = m->slots, *nu = calloc(cap, sizeof(*nu));
	size_t i;

	if (nu == NULL)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++) {
		size_t j;
		if (old[i].key == NULL || old[i].key == TOMBSTONE)
			continue;
		for (j = old[i].hash & (cap - 1); nu[j].key != NULL; j = (j + 1) & (cap - 1))
			;
		nu[j] = old[i];
	}
	free(old);
	m->slots = nu;
	m->cap = cap;
	m->dead = 0;
	return 0;
}

int
cp_map_put(struct cp_map *m, const char *key, void *val)
{
	uint64_t h = fnv1a(key);
	size_t i;

	/*
	 * Over 70% of the slots taken: when tombstones are at least half of them
	 * (churn with fresh ids leaves one per delete), rehash at the same size, so
	 * the table stays bounded by the live entries; otherwise double.
	 */
	if ((m->used + m->dead + 1) * 10 > m->cap * 7 &&
	    rehash(m, m->cap == 0 ? 64 : m->dead >= m->used ? m->cap : m->cap * 2) < 0)
		return -ENOMEM;
	for (i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct cp_map_slot *s = &m->slots[i];
		if (s->key == NULL || s->key == TOMBSTONE) {
			if (s->key == TOMBSTONE)
				m->dead--;
			s->key = key;
			s->val = val;
			s->hash = h;
			m->used++;
			return 0;
		}
	}
}

void *
cp_map_del(struct cp_map *m, const char *key)
{
	struct cp_map_slot *s = find(m, key, fnv1a(key));
	void *val;

	if (s == NULL)
		return NULL;
	val = s->val;
	s->key = TOMBSTONE;
	s->val = NULL;
	m->used--;
	m->dead++;
	return val;
}

void
cp_map_each(const struct cp_map *m, void (*fn)(const char *key, void *val, void *arg), void *arg)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->slots[i].key != NULL && m->slots[i].key != TOMBSTONE)
			fn(m->slots[i].key, m->slots[i].val, arg);
}

void
cp_map_free(struct cp_map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

int
cp_ptrs_push(struct cp_ptrs *p, void *x)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		void **nv = realloc(p->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		p->v = nv;
		p->cap = cap;
	}
	p->v[p->n++] = x;
	return 0;
}

void
cp_ptrs_free(struct cp_ptrs *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}
