/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cascade's XDP program on net_af_xdp ports. The PMD loads the program
 * (xdp_prog=PATH, built from bpf/cascade_xdp.c) and attaches it to the
 * interface when it opens the port's AF_XDP sockets; the program redirects to
 * those sockets only UDP to the port ranges in its cascade_ports map and
 * passes everything else to the kernel. This file fills that map from
 * --xdp-udp-ports, once, after the ports have started: it finds the program
 * attached to each net_af_xdp interface (the PMD keeps the bpf_object to
 * itself), walks the program's maps by id and writes the one named
 * cascade_ports. Nothing here runs after start-up.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <rte_ethdev.h>

#include "dp.h"

#define MAX_PROG_MAPS 64

/* Whether map fd is Cascade's port map of the expected layout; -errno on a mismatch. */
static int
map_is_ports(int fd, const char *ifname)
{
	struct bpf_map_info mi;
	__u32 len = sizeof(mi);
	int rc;

	memset(&mi, 0, sizeof(mi));
	rc = bpf_obj_get_info_by_fd(fd, &mi, &len);
	if (rc < 0)
		return rc;
	if (strcmp(mi.name, CASCADE_XDP_PORTS_MAP) != 0)
		return 0;
	if (mi.type != BPF_MAP_TYPE_ARRAY || mi.key_size != sizeof(__u32) ||
	    mi.value_size != sizeof(struct cascade_xdp_ports) || mi.max_entries < 1) {
		DP_LOG(ERR,
		       "--xdp-udp-ports: iface=%s: map %s has type %u key %u value %u bytes, "
		       "expected an array of %zu-byte values (XDP program from another build?)",
		       ifname, CASCADE_XDP_PORTS_MAP, mi.type, mi.key_size, mi.value_size,
		       sizeof(struct cascade_xdp_ports));
		return -EPROTO;
	}
	return 1;
}

/* Find the port map of the program with id prog_id and write p into it. */
static int
prog_ports_write(__u32 prog_id, const char *ifname, const struct cascade_xdp_ports *p)
{
	__u32 ids[MAX_PROG_MAPS], len, i, key = 0;
	struct bpf_prog_info pi;
	struct cascade_xdp_ports back;
	int prog_fd, fd = -1, rc;

	prog_fd = bpf_prog_get_fd_by_id(prog_id);
	if (prog_fd < 0) {
		DP_LOG(ERR, "--xdp-udp-ports: iface=%s: XDP program id=%u: %s", ifname, prog_id,
		       strerror(-prog_fd));
		return prog_fd;
	}
	memset(&pi, 0, sizeof(pi));
	pi.nr_map_ids = MAX_PROG_MAPS;
	pi.map_ids = (__u64)(uintptr_t)ids;
	len = sizeof(pi);
	rc = bpf_obj_get_info_by_fd(prog_fd, &pi, &len);
	if (rc < 0) {
		DP_LOG(ERR, "--xdp-udp-ports: iface=%s: XDP program id=%u info: %s", ifname,
		       prog_id, strerror(-rc));
		goto out;
	}
	rc = -ENOENT;
	for (i = 0; i < pi.nr_map_ids && i < MAX_PROG_MAPS; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue; /* a map freed meanwhile cannot be ours: the program holds ours */
		rc = map_is_ports(fd, ifname);
		if (rc != 0)
			break;
		close(fd);
		fd = -1;
		rc = -ENOENT;
	}
	if (rc == -ENOENT) {
		DP_LOG(ERR,
		       "--xdp-udp-ports: iface=%s: the XDP program attached (id=%u name=%s) has no "
		       "%s map; start the port with net_af_xdp's xdp_prog= pointing at "
		       "cascade_xdp.o",
		       ifname, prog_id, pi.name, CASCADE_XDP_PORTS_MAP);
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = bpf_map_update_elem(fd, &key, p, BPF_ANY);
	if (rc == 0)
		rc = bpf_map_lookup_elem(fd, &key, &back);
	if (rc == 0 && memcmp(&back, p, sizeof(back)) != 0)
		rc = -EIO;
	if (rc < 0)
		DP_LOG(ERR, "--xdp-udp-ports: iface=%s: writing map %s: %s", ifname,
		       CASCADE_XDP_PORTS_MAP, strerror(-rc));
out:
	if (fd >= 0)
		close(fd);
	close(prog_fd);
	return rc;
}

int
dp_xdp_ports_init(const struct dp_ctx *c)
{
	const struct cascade_xdp_ports *p = &c->opt.xdp_ports;
	struct rte_eth_dev_info info;
	char ifname[IF_NAMESIZE];
	unsigned int n_xdp = 0;
	uint16_t i;
	__u32 prog_id;
	int rc;

	if (p->n == 0)
		return 0;
	for (i = 0; i < c->n_ports; i++) {
		uint16_t port_id = c->ports[i].port_id;

		rc = rte_eth_dev_info_get(port_id, &info);
		if (rc != 0 || strcmp(info.driver_name, "net_af_xdp") != 0)
			continue;
		n_xdp++;
		if (if_indextoname(info.if_index, ifname) == NULL)
			snprintf(ifname, sizeof(ifname), "#%u", info.if_index);
		prog_id = 0;
		rc = bpf_xdp_query_id((int)info.if_index, 0, &prog_id);
		if (rc < 0 || prog_id == 0) {
			DP_LOG(ERR,
			       "--xdp-udp-ports: port=%u iface=%s: no XDP program attached%s%s",
			       port_id, ifname, rc < 0 ? ": " : "", rc < 0 ? strerror(-rc) : "");
			return rc < 0 ? rc : -ENOENT;
		}
		rc = prog_ports_write(prog_id, ifname, p);
		if (rc < 0)
			return rc;
		DP_LOG(INFO, "port=%u iface=%s xdp_prog=%u: %u udp port range(s) to the dataplane",
		       port_id, ifname, prog_id, p->n);
	}
	if (n_xdp == 0) {
		DP_LOG(ERR, "--xdp-udp-ports: no net_af_xdp port to apply it to");
		return -ENODEV;
	}
	return 0;
}
