/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A dataplane without EAL, for unit tests that drive the packet path's stages
 * (dp_classify.c, dp_fanout.c, dp_rtcp.c, dp_tx.c, dp_worker.c) compiled
 * unchanged into the test.
 *
 * - Mempools are hand-made struct rte_mempool (cache_size 0, followed by its
 *   struct rte_pktmbuf_pool_private) whose ops are registered here with
 *   rte_mempool_register_ops(): they take from and give back to an array of
 *   elements laid out as a real pool's are (object header, mbuf, buffer), so
 *   DPDK's own rte_pktmbuf_alloc/free/clone/attach/detach run on them. A
 *   double free or a foreign pointer aborts the test; fake_pool_in_use() is
 *   what a leak check compares against zero.
 * - TX goes through the real rte_eth_tx_burst(): rte_eth_fp_ops[port] gets a
 *   capture function, with its queue and callback arrays pointing at dummies.
 * - rte_hash_lookup_data() is defined here over small arrays (the test
 *   executable's definition is the one the stages call).
 * - Worker rings are real rte_rings initialised with rte_ring_init() on
 *   plain memory; the tables are plain arrays filled by the helpers below.
 *
 * Frames are built with tests/fuzz/frame.c and egress frames read back field
 * by field here, their checksums recomputed with frame.c's RFC 1071 sums,
 * never with the dataplane's helpers.
 */
#ifndef DP_FAKE_H
#define DP_FAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"
#include "frame.h"

#define FAKE_SLOTS 16 /* transports, producers and consumers */
#define FAKE_WORKERS 2
#define FAKE_PORTS 4
#define FAKE_POOL_MBUFS 64
#define FAKE_MAX_TX 256
#define FAKE_FRAME_MAX 2048

/* ---- mempools ------------------------------------------------------------------------- */

/* A pool of n mbufs of data_room bytes each (headroom included). Aborts when out of memory. */
struct rte_mempool *fake_pool_create(const char *name, uint32_t n, uint16_t data_room);
void fake_pool_destroy(struct rte_mempool *mp);
/* Mbufs of mp that are allocated right now. */
uint32_t fake_pool_in_use(const struct rte_mempool *mp);
/* Make mp empty (every free mbuf set aside), or give the set-aside mbufs back. */
void fake_pool_exhaust(struct rte_mempool *mp);
void fake_pool_refill(struct rte_mempool *mp);

/* ---- rings ---------------------------------------------------------------------------------- */

/* An rte_ring of count elements of esize bytes on plain memory (free() it). */
struct rte_ring *fake_ring_make(unsigned int esize, unsigned int count, unsigned int flags);

/* ---- the dataplane's context ---------------------------------------------------------- */

/*
 * Fill the global dp for tests: three pools (sized as dp_port.c sizes them),
 * FAKE_PORTS ports (MTU 1500, no VLAN, chained TX), FAKE_WORKERS workers,
 * tables of FAKE_SLOTS slots and their lookups, copy_below 256. Ports and
 * tables are then shaped by the helpers below.
 */
void fake_dp_init(void);
/*
 * Free everything fake_dp_init() and the helpers made. Returns how many mbufs
 * were still allocated in any pool (captured packets are freed first), so a
 * teardown can fail a test that leaked or lost one.
 */
uint32_t fake_dp_fini(void);

/*
 * A cmocka teardown: fake_dp_fini(), failing the test when an mbuf was left
 * allocated (a leak, or a packet the stage lost).
 */
int fake_teardown(void **state);

/* A port's MTU, VLAN (DP_VLAN_NONE for none) and whether its driver sends one segment only. */
void fake_port_set(uint16_t port, uint16_t mtu, uint16_t vlan, bool linear);

/* ---- transmit capture ------------------------------------------------------------------ */

struct fake_tx {
	uint16_t port;
	uint16_t queue;
	struct rte_mbuf *m;
};

extern struct fake_tx fake_txd[FAKE_MAX_TX];
extern unsigned int fake_n_tx;

/* Make every TX queue refuse all packets (a full queue) or take them again. */
void fake_tx_refuse(bool refuse);
/* Free every captured packet and forget them. */
void fake_tx_free_all(void);

/* ---- tables ---------------------------------------------------------------------------- */

struct cascade_addr fake_addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);
/* 2001:db8::last */
struct cascade_addr fake_addr6(uint8_t last, uint16_t port);

/*
 * Install transport slot: its config and its entries in the address lookup
 * (local, and local_rtcp when it is not rtcp-mux). Returns the transport.
 */
struct dp_transport *fake_transport(uint32_t slot, uint16_t port, uint8_t flags, uint8_t suite,
				    const struct cascade_addr *local,
				    const struct cascade_addr *local_rtcp);
/*
 * Give transport slot a remote (as connect or a learn would); remote_rtcp
 * NULL for none; with_mac gives it a next-hop MAC (02:00:00:00:00:99).
 */
void fake_connect(uint32_t slot, const struct cascade_addr *remote,
		  const struct cascade_addr *remote_rtcp, bool with_mac);
/* Install producer pslot of ssrc on transport tslot, owned by worker owner. */
struct dp_producer *fake_producer(uint32_t pslot, uint32_t tslot, uint32_t ssrc, uint16_t owner);
/* Install consumer cslot of producer pslot, sending on transport tslot as ssrc. */
struct dp_consumer *fake_consumer(uint32_t cslot, uint32_t pslot, uint32_t tslot, uint32_t ssrc);
/* Publish producer pslot's consumer list (n slots; n 0 publishes an empty list). */
void fake_publish(uint32_t pslot, const uint32_t *cslots, uint32_t n);

/*
 * An SRTP session of suite (CASCADE_SUITE_*) for ssrc with master (key then
 * salt), made through srtp/cascade_srtp.h as dp_srtp.c makes them. The
 * caller destroys it.
 */
struct cascade_srtp *fake_srtp_session(uint8_t suite, const uint8_t *master, uint32_t ssrc,
				       bool inbound);
/* Give producer pslot its inbound pair, consumer cslot its outbound session (freed at fini). */
void fake_srtp_rx_set(uint32_t pslot, uint8_t suite, const uint8_t *master);
void fake_srtp_tx_set(uint32_t cslot, uint8_t suite, const uint8_t *master);

/* ---- frames ---------------------------------------------------------------------------- */

struct fake_frame_opts {
	struct cascade_addr src, dst; /* the family of src is the frame's */
	uint16_t port;                /* the mbuf's ingress port */
	int vlan;                     /* 802.1Q VLAN id of the tag, or -1 for none */
	bool no_cksum;                /* IPv4: send the UDP checksum as 0 (none) */
	uint16_t eth_pad;             /* bytes of Ethernet padding after the IP packet */
};

/* A frame from the packet pool carrying payload[0..len) as its UDP payload. */
struct rte_mbuf *fake_frame(const struct fake_frame_opts *o, const uint8_t *payload, uint16_t len);

/* What a transmitted frame holds, read by this file's own parser. */
struct fake_out {
	uint8_t b[FAKE_FRAME_MAX]; /* the frame, all segments copied in */
	uint32_t len;
	uint16_t nb_segs;
	int vlan; /* VLAN id of its tag, -1 untagged */
	uint8_t family;
	struct cascade_addr src, dst;
	uint8_t dst_mac[6];
	uint16_t ip_len; /* IPv4 total length or IPv6 header + payload length */
	uint8_t ttl;
	const uint8_t *payload; /* UDP payload, inside b */
	uint16_t payload_len;
	uint16_t udp_cksum; /* as sent, network order */
};

/*
 * Read m into o, failing the running test unless it is a well-formed
 * Ethernet/IPv4 or IPv6/UDP frame whose lengths agree with each other and with
 * the mbuf, whose IPv4 header checksum is right, and whose UDP checksum is
 * right (recomputed here) or, over IPv4 only, absent.
 */
void fake_out_read(struct rte_mbuf *m, struct fake_out *o);

#endif /* DP_FAKE_H */
