/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports and mempools. Every probed DPDK port (PCI or --vdev) is used; each
 * worker lcore gets its own RX and TX queue on every port, and the main lcore
 * one more TX queue for packets the control plane injects. With more than one
 * RX queue RSS spreads flows over the workers by their UDP tuple, so a
 * producer's packets stay on one lcore.
 *
 * Three pools: ingress mbufs (full-size), egress header mbufs (small: the
 * rewritten Ethernet/IP/UDP/RTP headers) and indirect mbufs that point at the
 * ingress payload (zero-copy fan-out).
 */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "dp.h"

#define HDR_ROOM 256 /* Ethernet + VLAN + IPv6 + UDP + RTP header with CSRCs and extensions */

static int
port_init(struct dp_ctx *c, uint16_t port_id, struct dp_port *p)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nrxq = (uint16_t)c->n_workers, ntxq = (uint16_t)(c->n_workers + 1);
	uint16_t nb_rxd = c->opt.rxq_size, nb_txd = c->opt.txq_size;
	int rc;
	uint16_t q;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0) {
		DP_LOG(ERR, "port=%u info: %s", port_id, rte_strerror(-rc));
		return rc;
	}
	/* the main lcore's TX queue (injected packets) only where the port has one to spare */
	if (ntxq > info.max_tx_queues)
		ntxq = (uint16_t)c->n_workers;
	if (nrxq > info.max_rx_queues || ntxq > info.max_tx_queues) {
		DP_LOG(ERR,
		       "port=%u driver=%s supports %u rx / %u tx queues; %u workers need %u / %u "
		       "(use fewer worker lcores in -l)",
		       port_id, info.driver_name, info.max_rx_queues, info.max_tx_queues,
		       c->n_workers, nrxq, ntxq);
		return -EINVAL;
	}
	if (nrxq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	rc = rte_eth_dev_configure(port_id, nrxq, ntxq, &conf);
	if (rc != 0) {
		DP_LOG(ERR, "port=%u configure: %s", port_id, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (rc != 0) {
		DP_LOG(ERR, "port=%u descriptors: %s", port_id, rte_strerror(-rc));
		return rc;
	}
	for (q = 0; q < nrxq; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, rte_eth_dev_socket_id(port_id),
					    NULL, c->pkt_pool);
		if (rc != 0) {
			DP_LOG(ERR, "port=%u rxq=%u setup: %s", port_id, q, rte_strerror(-rc));
			return rc;
		}
	}
	for (q = 0; q < ntxq; q++) {
		struct rte_eth_txconf txc = info.default_txconf;
		txc.offloads = conf.txmode.offloads;
		rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, rte_eth_dev_socket_id(port_id),
					    &txc);
		if (rc != 0) {
			DP_LOG(ERR, "port=%u txq=%u setup: %s", port_id, q, rte_strerror(-rc));
			return rc;
		}
	}
	if (rte_eth_dev_get_mtu(port_id, &p->mtu) != 0 || p->mtu < RTE_ETHER_MIN_MTU)
		p->mtu = RTE_ETHER_MTU;
	rc = rte_eth_macaddr_get(port_id, &p->mac);
	if (rc != 0)
		memset(&p->mac, 0, sizeof(p->mac));
	rc = rte_eth_dev_start(port_id);
	if (rc != 0) {
		DP_LOG(ERR, "port=%u start: %s", port_id, rte_strerror(-rc));
		return rc;
	}
	if (c->opt.promisc)
		rte_eth_promiscuous_enable(port_id);
	p->port_id = port_id;
	p->vlan = c->opt.vlan[port_id];
	p->l2_len = (uint16_t)(RTE_ETHER_HDR_LEN + (p->vlan != DP_VLAN_NONE ? 4 : 0));
	p->main_txq = ntxq > c->n_workers;
	p->is_memif = strcmp(info.driver_name, "net_memif") == 0;
	/*
	 * A driver that does not take chained mbufs (net_af_xdp copies the first
	 * segment only) gets one linear copy per consumer instead of header + clone.
	 * net_null frees whatever it is given, chains included.
	 */
	c->tx_linear[port_id] = !(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) &&
				strcmp(info.driver_name, "net_null") != 0;
	DP_LOG(INFO,
	       "port=%u driver=%s rxq=%u txq=%u rxd=%u txd=%u tx=%s mtu=%u vlan=%d "
	       "mac=" RTE_ETHER_ADDR_PRT_FMT,
	       port_id, info.driver_name, nrxq, ntxq, nb_rxd, nb_txd,
	       c->tx_linear[port_id] ? "linear" : "chained", p->mtu,
	       p->vlan == DP_VLAN_NONE ? -1 : (int)p->vlan, RTE_ETHER_ADDR_BYTES(&p->mac));
	return 0;
}

int
dp_ports_init(struct dp_ctx *c)
{
	uint16_t port_id;
	int rc;

	if (rte_eth_dev_count_avail() == 0) {
		DP_LOG(ERR, "no ports: give one with --vdev or a PCI device");
		return -ENODEV;
	}
	if (rte_eth_dev_count_avail() > DP_MAX_PORTS) {
		DP_LOG(ERR, "%u ports, at most %u supported", rte_eth_dev_count_avail(),
		       DP_MAX_PORTS);
		return -EINVAL;
	}
	c->pkt_pool = rte_pktmbuf_pool_create("dp_pkt", c->opt.mbufs, 256, 0,
					      RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	c->hdr_pool = rte_pktmbuf_pool_create("dp_hdr", c->opt.hdr_mbufs, 256, 0,
					      RTE_PKTMBUF_HEADROOM + HDR_ROOM, rte_socket_id());
	c->clone_pool =
		rte_pktmbuf_pool_create("dp_clone", c->opt.clone_mbufs, 256, 0, 0, rte_socket_id());
	if (c->pkt_pool == NULL || c->hdr_pool == NULL || c->clone_pool == NULL) {
		DP_LOG(ERR, "mempools (--mbufs %u --hdr-mbufs %u --clone-mbufs %u): %s",
		       c->opt.mbufs, c->opt.hdr_mbufs, c->opt.clone_mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	RTE_ETH_FOREACH_DEV(port_id)
	{
		/* workers index per-port state by port id: ids must be dense from 0 */
		if (port_id != c->n_ports) {
			DP_LOG(ERR, "port ids must be dense from 0; found port %u as #%u", port_id,
			       c->n_ports);
			return -EINVAL;
		}
		rc = port_init(c, port_id, &c->ports[c->n_ports]);
		if (rc != 0)
			return rc;
		c->n_ports++;
	}
	for (port_id = c->n_ports; port_id < DP_MAX_PORTS; port_id++)
		if (c->opt.vlan_named & (1u << port_id)) {
			DP_LOG(ERR, "--vlan: port %u does not exist (%u ports)", port_id, c->n_ports);
			return -EINVAL;
		}
	/* Cascade's XDP program was attached as the af_xdp ports opened: give it the ports */
	return dp_xdp_ports_init(c);
}

/*
 * Stop and close every port. Returns true when a port was left to process exit:
 * DPDK 22.11's net_memif crashes in EAL's interrupt thread when the peer's
 * disconnect races the local stop/close (or EAL cleanup, which closes devices
 * and unmaps memory while that thread still runs). Seen in about half of the
 * shutdowns where a shell's Ctrl-C reached both ends at once. memif ports are
 * therefore not stopped or closed, and the caller skips rte_eal_cleanup(); the
 * kernel releases their sockets and memory at exit and the peer sees the link
 * drop.
 */
bool
dp_ports_close(struct dp_ctx *c)
{
	bool left = false;
	uint16_t i;

	for (i = 0; i < c->n_ports; i++) {
		if (c->ports[i].is_memif) {
			left = true;
			continue;
		}
		rte_eth_dev_stop(c->ports[i].port_id);
		rte_eth_dev_close(c->ports[i].port_id);
	}
	c->n_ports = 0;
	return left;
}
