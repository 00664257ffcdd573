/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What cascade-dp and Cascade's XDP program (cascade_xdp.c) share: the name
 * and layout of the map that says which UDP destination ports are media. The
 * program reads it on every packet; cascade-dp writes it once, right after
 * net_af_xdp has attached the program (dp_xdp.c). Both sides are built from
 * this header, the program with clang -target bpf, so it uses only the
 * kernel's fixed-width types.
 */
#ifndef CASCADE_XDP_H
#define CASCADE_XDP_H

#include <linux/types.h>

/* The map's name as the kernel reports it (at most 15 characters). */
#define CASCADE_XDP_PORTS_MAP "cascade_ports"
/* The AF_XDP socket map; DPDK 22.11's net_af_xdp looks it up by this name. */
#define CASCADE_XDP_XSKS_MAP "xsks_map"
/* Port ranges a node can give (media range(s), pipe port, ...). */
#define CASCADE_XDP_MAX_RANGES 8

/* An inclusive range of UDP destination ports, host byte order; lo >= 1. */
struct cascade_xdp_range {
	__u16 lo;
	__u16 hi;
};

/*
 * The one value of cascade_ports (an array map with a single entry, key 0).
 * n == 0, as the kernel creates it, means "no ranges": every packet goes to
 * the kernel, so a node whose dataplane never configured it still answers
 * ping, ARP and its API.
 */
struct cascade_xdp_ports {
	__u32 n;
	struct cascade_xdp_range r[CASCADE_XDP_MAX_RANGES];
};

#endif /* CASCADE_XDP_H */
