/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Media port allocation (see cp_ports.h).
 *
 * Layer: leaf.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cp_ports.h"

int
cp_ports_init(struct cp_ports *p, uint16_t min, uint16_t max)
{
	memset(p, 0, sizeof(*p));
	p->min = min;
	p->max = max;
	p->n = (uint32_t)max - min + 1;
	p->used = calloc(p->n, 1);
	return p->used == NULL ? -ENOMEM : 0;
}

void
cp_ports_fini(struct cp_ports *p)
{
	free(p->used);
	memset(p, 0, sizeof(*p));
}

int
cp_ports_get(struct cp_ports *p, unsigned int n, uint16_t *first)
{
	uint32_t tries, i;

	for (tries = 0; tries < p->n; tries++) {
		i = (p->cursor + tries) % p->n;
		if (n == 2 && ((p->min + i) % 2 != 0 || i + 1 >= p->n))
			continue;
		if (p->used[i] || (n == 2 && p->used[i + 1]))
			continue;
		p->used[i] = 1;
		if (n == 2)
			p->used[i + 1] = 1;
		p->cursor = (i + n) % p->n;
		*first = (uint16_t)(p->min + i);
		return 0;
	}
	return -ENOSPC;
}

int
cp_ports_take(struct cp_ports *p, unsigned int n, uint16_t first)
{
	unsigned int i;

	if (first < p->min || (unsigned int)first + n - 1 > p->max)
		return -ERANGE;
	for (i = 0; i < n; i++)
		if (p->used[first - p->min + i])
			return -EBUSY;
	for (i = 0; i < n; i++)
		p->used[first - p->min + i] = 1;
	return 0;
}

void
cp_ports_put(struct cp_ports *p, uint16_t port)
{
	if (port >= p->min && port <= p->max)
		p->used[port - p->min] = 0;
}
