/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The node's media ports (media.port_min..port_max): one byte per port says
 * whether a transport holds it. A transport takes one port with rtcp-mux, or
 * two consecutive ones, even for RTP and odd for RTCP, without (RFC 3550 11).
 * Free ports are found from a cursor that moves on, so a port just given back
 * is the last one handed out again.
 *
 * Layer: leaf.
 */
#ifndef CP_PORTS_H
#define CP_PORTS_H

#include <stdint.h>

struct cp_ports {
	uint16_t min, max;
	uint8_t *used; /* [port - min]: 1 while a transport holds it */
	uint32_t n, cursor;
};

/* An empty allocator over [min, max] (min <= max). 0, or -ENOMEM. */
int cp_ports_init(struct cp_ports *p, uint16_t min, uint16_t max);
void cp_ports_fini(struct cp_ports *p);
/* n (1 or 2) consecutive free ports, the first even when n is 2, into *first. 0, or -ENOSPC. */
int cp_ports_get(struct cp_ports *p, unsigned int n, uint16_t *first);
/* Take the n ports from first on: 0, -ERANGE (outside the range), -EBUSY (one is taken). */
int cp_ports_take(struct cp_ports *p, unsigned int n, uint16_t first);
/* Give a port back (ports outside the range are ignored). */
void cp_ports_put(struct cp_ports *p, uint16_t port);

#endif /* CP_PORTS_H */
