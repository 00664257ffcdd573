/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next-hop MACs from the kernel's routing and neighbour tables, for a
 * dataplane port that shares a kernel interface (media.interface). Event-loop
 * thread only.
 *
 * Layer: leaf.
 */
#ifndef CP_NEIGH_H
#define CP_NEIGH_H

#include <stdint.h>

#include <event2/event.h>

/* mac is the next hop's MAC, or NULL when it is not known (the dataplane learns it). */
typedef void (*cp_neigh_cb)(const uint8_t *mac, void *arg);

/* Open rtnetlink when iface is not "" (media.interface). 0, or -1 after saying why. */
int cp_neigh_init(struct event_base *base, const char *iface);
void cp_neigh_fini(void);
/*
 * Find the MAC of ip's next hop through media.interface, resolving an on-link
 * one if needed (up to 1 s). cb is called from the loop later, never from
 * inside this call (except when out of memory).
 */
void cp_neigh_resolve(const char *ip, cp_neigh_cb cb, void *arg);

#endif /* CP_NEIGH_H */
