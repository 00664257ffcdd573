/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports and mempools. cascade-pktgen uses any ethdev the EAL offers (net_null, net_ring,
 * net_memif, net_pcap, net_af_packet, net_af_xdp, PCI NICs) the same way: one RX and one TX
 * queue, promiscuous where the PMD supports it, no offloads it does not need. Checksums
 * are computed in software so the result does not depend on what the PMD can do.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "pg.h"

#define LINK_POLL_US 100000
#define MEMIF_RECONNECT_US 2000000

struct rte_mempool *
pg_pool_create(const char *name, uint32_t n, uint32_t data_room)
{
	unsigned int cache = RTE_MIN((uint32_t)RTE_MEMPOOL_CACHE_MAX_SIZE, n / 8);
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create(name, n, cache, 0, (uint16_t)data_room, (int)rte_socket_id());
	if (mp == NULL)
		fprintf(stderr, PG_NAME ": mempool %s (%u mbufs of %u bytes): %s\n", name, n,
			data_room, rte_strerror(rte_errno));
	return mp;
}

/*
 * Start port, retrying for up to retry_s seconds: a memif client cannot start before its
 * server's socket exists. Returns 0 or a negative errno.
 */
static int
start_retry(uint16_t port, double retry_s)
{
	int rc;

	for (uint64_t waited_us = 0;; waited_us += LINK_POLL_US) {
		rc = rte_eth_dev_start(port);
		if (rc == 0 || (double)waited_us >= retry_s * 1e6 || pg_quit_requested())
			return rc;
		if (waited_us == 0)
			fprintf(stderr,
				PG_NAME ": port %u: start failed (%s), retrying for %.1f s\n", port,
				rte_strerror(-rc), retry_s);
		rte_delay_us_sleep(LINK_POLL_US);
	}
}

int
pg_port_start(uint16_t port, uint16_t ring_size, struct rte_mempool *rx_pool, uint32_t max_frame,
	      double retry_s)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info = {0};
	struct rte_eth_txconf txconf;
	uint16_t nb_rxd = ring_size, nb_txd = ring_size;
	int socket = rte_eth_dev_socket_id(port);
	int rc;

	if (!rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, PG_NAME ": port %u does not exist (%u ports; see --vdev)\n", port,
			rte_eth_dev_count_avail());
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		goto fail;
	if (max_frame > RTE_ETHER_MAX_LEN) {
		/*
		 * The ethdev layer refuses an MTU whose frame exceeds max_rx_pktlen (with the
		 * overhead it derives the same way); PMDs such as net_memif report 1518 there
		 * and still carry larger frames, so cap and carry on.
		 */
		uint32_t mtu = max_frame - RTE_ETHER_HDR_LEN;
		uint32_t overhead = info.max_mtu != UINT16_MAX && info.max_rx_pktlen > info.max_mtu
					    ? info.max_rx_pktlen - info.max_mtu
					    : RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
		uint32_t cap = RTE_MIN((uint32_t)info.max_mtu,
				       info.max_rx_pktlen > overhead ? info.max_rx_pktlen - overhead
								     : RTE_ETHER_MTU);
		conf.rxmode.mtu = RTE_MIN(mtu, cap);
		if (cap < mtu)
			fprintf(stderr, PG_NAME ": port %u (%s): MTU capped at %u\n", port,
				info.driver_name, cap);
	}
	/* frames larger than an RX mbuf arrive as chains (--rx-mbuf-size) */
	if (max_frame + RTE_PKTMBUF_HEADROOM > (uint32_t)rte_pktmbuf_data_room_size(rx_pool) &&
	    (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER))
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	if (socket < 0)
		socket = (int)rte_socket_id();

	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc != 0)
		goto fail;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (rc != 0)
		goto fail;
	rc = rte_eth_rx_queue_setup(port, 0, nb_rxd, (unsigned int)socket, NULL, rx_pool);
	if (rc != 0)
		goto fail;
	txconf = info.default_txconf;
	txconf.offloads = conf.txmode.offloads;
	rc = rte_eth_tx_queue_setup(port, 0, nb_txd, (unsigned int)socket, &txconf);
	if (rc != 0)
		goto fail;
	rc = start_retry(port, retry_s);
	if (rc != 0)
		goto fail;
	rte_eth_promiscuous_enable(port); /* not every PMD can; not needed by every test */
	return 0;
fail:
	fprintf(stderr, PG_NAME ": port %u (%s): start failed: %s\n", port,
		info.driver_name != NULL ? info.driver_name : "?", rte_strerror(-rc));
	return rc < 0 ? rc : -EIO;
}

bool
pg_port_wait_link(uint16_t port, double timeout_s)
{
	struct rte_eth_dev_info info = {0};
	uint64_t waited_us = 0;

	rte_eth_dev_info_get(port, &info);
	bool is_memif = info.driver_name != NULL && strcmp(info.driver_name, "net_memif") == 0;
	for (;;) {
		struct rte_eth_link link;
		if (rte_eth_link_get_nowait(port, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return true;
		if ((double)waited_us >= timeout_s * 1e6 || pg_quit_requested())
			return false;
		rte_delay_us_sleep(LINK_POLL_US);
		waited_us += LINK_POLL_US;
		/*
		 * A memif client whose handshake the server refused (its port was not started
		 * yet: "ID not found") never tries again by itself; reconnect by restarting.
		 */
		if (is_memif && waited_us % MEMIF_RECONNECT_US == 0) {
			rte_eth_dev_stop(port);
			start_retry(port, timeout_s - (double)waited_us / 1e6);
		}
	}
}

void
pg_port_stop(uint16_t port)
{
	int rc = rte_eth_dev_stop(port);
	if (rc != 0)
		fprintf(stderr, PG_NAME ": port %u: stop: %s\n", port, rte_strerror(-rc));
	rte_eth_dev_close(port);
}
