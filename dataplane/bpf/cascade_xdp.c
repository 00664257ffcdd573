/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cascade's XDP program, for net_af_xdp ports (xdp_prog=PATH). It hands the
 * dataplane only what the dataplane serves: UDP over IPv4 or IPv6 (untagged,
 * or behind one VLAN tag, as the dataplane's parser takes them: a frame with
 * two tags would only be dropped there) whose destination port lies in one of the ranges in
 * cascade_ports, the node's media port range(s) and its pipe port. Those go to
 * the AF_XDP socket of the receiving queue (xsks_map, filled by net_af_xdp);
 * everything else, ARP, ICMP, TCP for the API, SSH and Redis, other UDP, goes
 * on to the kernel with XDP_PASS, as do packets no socket is bound for.
 *
 * cascade-dp writes the ranges once, after the PMD has attached the program
 * (dp_xdp.c). Until then, or if nobody ever does, the map holds no range and
 * every packet passes, so a misconfigured node still answers ping and its API.
 *
 * Not redirected, on purpose: IPv4 fragments (the dataplane does not
 * reassemble; the kernel may), IPv6 packets whose first next header is not
 * UDP (extension headers), and anything truncated before the UDP header.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "cascade_xdp.h"

#define MAX_VLAN_TAGS 1 /* as many as dp_parse_l4() takes */
#define MAX_QUEUES 64
/* RFC 791 3.1: the flags and fragment offset field */
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* AF_XDP sockets by RX queue; net_af_xdp inserts one per queue it opens. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* The media port ranges, one entry (key 0); see cascade_xdp.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cascade_xdp_ports);
} cascade_ports SEC(".maps");

static __always_inline int
port_is_media(__u16 port)
{
	__u32 key = 0, i;
	const struct cascade_xdp_ports *p = bpf_map_lookup_elem(&cascade_ports, &key);

	if (p == NULL)
		return 0;
	for (i = 0; i < CASCADE_XDP_MAX_RANGES; i++) {
		if (i >= p->n)
			break;
		if (port >= p->r[i].lo && port <= p->r[i].hi)
			return 1;
	}
	return 0;
}

SEC("xdp")
int
cascade_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	void *l3;
	__be16 proto;
	int i;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	proto = eth->h_proto;
	l3 = eth + 1;
	for (i = 0; i < MAX_VLAN_TAGS; i++) {
		struct vlan_tag *v = l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(v + 1) > end)
			return XDP_PASS;
		proto = v->proto;
		l3 = v + 1;
	}
	/* a tag more than the dataplane takes: the kernel's */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		return XDP_PASS;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl < 5)
			return XDP_PASS;
		if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return XDP_PASS;
		udp = (void *)ip + ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		udp = (void *)(ip6 + 1);
	} else {
		return XDP_PASS;
	}
	if ((void *)(udp + 1) > end || !port_is_media(bpf_ntohs(udp->dest)))
		return XDP_PASS;
	/* no socket on this queue: the lower bits of flags are the verdict (XDP_PASS) */
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "Dual BSD/GPL";
