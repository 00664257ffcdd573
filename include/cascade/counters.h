/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters the dataplane keeps in the shared segment. One X-macro list per
 * family generates the enum, the printable names and the JSON/Prometheus keys,
 * so a reason is added in exactly one place.
 *
 * Writers are the worker lcores: each owns one block per family and updates
 * plain 64-bit integers (no atomics on the fast path). Readers in any process
 * sum the blocks of all lcores. An aligned 64-bit load is single-copy atomic on
 * the targets Cascade runs on, so a reader never sees a torn value, only one
 * that is a few packets old.
 */
#ifndef CASCADE_COUNTERS_H
#define CASCADE_COUNTERS_H

#include <assert.h>
#include <stdint.h>

/* Why a packet was dropped. Keep names stable: they are API (metrics labels). */
#define CASCADE_DROP_REASONS(X)                                                                    \
	X(ETH_TRUNC, "eth_trunc", "frame shorter than its Ethernet/VLAN header")                   \
	X(ETH_TYPE, "eth_type", "ethertype is neither IPv4 nor IPv6")                               \
	X(IP4_TRUNC, "ip4_trunc", "IPv4 header or total length past the frame")                     \
	X(IP4_HDR, "ip4_hdr", "IPv4 version or header length invalid")                              \
	X(IP4_FRAG, "ip4_frag", "IPv4 fragment")                                                    \
	X(IP6_TRUNC, "ip6_trunc", "IPv6 header or payload length past the frame")                   \
	X(IP6_HDR, "ip6_hdr", "IPv6 version invalid or extension headers present")                  \
	X(NOT_UDP, "not_udp", "IP payload is not UDP")                                               \
	X(UDP_TRUNC, "udp_trunc", "UDP header or length past the IP payload")                       \
	X(UDP_LEN, "udp_len", "UDP length field inconsistent")                                      \
	X(NO_TRANSPORT, "no_transport", "no transport on the destination address and port")        \
	X(REMOTE_MISMATCH, "remote_mismatch", "source tuple differs from the transport's remote")  \
	X(RTP_TRUNC, "rtp_trunc", "shorter than the 12-byte RTP header")                            \
	X(RTP_VERSION, "rtp_version", "RTP/RTCP version is not 2")                                  \
	X(RTP_CSRC, "rtp_csrc", "CSRC list past the end of the packet")                              \
	X(RTP_EXT, "rtp_ext", "header extension past the end of the packet")                        \
	X(RTP_PADDING, "rtp_padding", "padding count zero or past the payload")                     \
	X(RTCP_TRUNC, "rtcp_trunc", "RTCP compound packet malformed")                               \
	X(UNKNOWN_DEMUX, "unknown_demux", "first byte matches no RFC 7983 class")                   \
	X(UNKNOWN_SSRC, "unknown_ssrc", "no producer for this SSRC on the transport")               \
	X(PRODUCER_PAUSED, "producer_paused", "producer is paused")                                 \
	X(SLOW_RING_FULL, "slow_ring_full", "slow-path ring full")                                  \
	X(SLOW_RATE_LIMIT, "slow_rate_limit", "slow-path rate limit for this source exceeded")     \
	X(NO_MBUF, "no_mbuf", "mempool exhausted while building an egress packet")                 \
	X(TX_FULL, "tx_full", "transmit queue full")                                                \
	X(NO_ROUTE, "no_route", "no destination MAC known for the egress packet")                  \
	X(TOO_BIG, "too_big", "packet too large for the egress headroom or MTU")                  \
	X(SRTP_AUTH, "srtp_auth", "SRTP/SRTCP authentication failed (altered packet, wrong key)")  \
	X(SRTP_REPLAY, "srtp_replay", "SRTP/SRTCP replay: index already seen or too old")         \
	X(SRTP_ERROR, "srtp_error", "SRTP/SRTCP failed otherwise (malformed, no keys yet, key expired)") \
	X(VLAN, "vlan", "VLAN tag missing, extra, or not the port's")                              \
	X(NO_CONSUMER, "no_consumer", "a producer's packet with no consumer to send it to")       \
	X(RTX_EMPTY, "rtx_empty", "a producer's RTX packet without an original sequence number (padding only: bandwidth probing)") \
	X(RTX_PT, "rtx_pt", "a producer's RTX packet of a payload type it did not declare as RTX") \
	X(RTP_DUPLICATE, "rtp_duplicate", "RTP packet received already (in the retransmission buffer): a duplicate, or a retransmission after all") \
	X(RTCP_TERMINATED, "rtcp_terminated", "RTCP that ends here: receiver reports, feedback, a paused producer's report") \
	X(SEQ_LATE, "seq_late", "a consumer's copy of a packet from before its resync (number already used)") \
	X(HANDOFF_FULL, "handoff_full", "the owning lcore's hand-off ring was full")              \
	X(PRODUCER_GONE, "producer_gone", "producer (or the consumer a feedback packet names) deleted while its packet waited for its lcore")

enum cascade_drop {
#define CASCADE_X_ENUM(e, key, help) CASCADE_DROP_##e,
	CASCADE_DROP_REASONS(CASCADE_X_ENUM)
#undef CASCADE_X_ENUM
		CASCADE_DROP_MAX
};

/* Per-lcore totals, beside the drop reasons. */
#define CASCADE_LCORE_COUNTERS(X)                                                                  \
	X(RX_PKTS, "rx_packets", "packets received")                                                \
	X(RX_BYTES, "rx_bytes", "bytes received")                                                   \
	X(TX_PKTS, "tx_packets", "packets transmitted")                                             \
	X(TX_BYTES, "tx_bytes", "bytes transmitted")                                                \
	X(RTP_PKTS, "rtp_packets", "RTP packets accepted from producers")                           \
	X(RTCP_PKTS, "rtcp_packets", "RTCP packets accepted")                                       \
	X(SRTCP_LEARN_UP, "srtcp_learn_up", "receivers' SRTCP of an SSRC not learned yet, sent up to the main lcore (which keeps a session if it authenticates; the packet goes no further)") \
	X(SLOW_PKTS, "slow_packets", "packets handed to the slow path (STUN, DTLS)")               \
	X(DROP_PKTS, "drop_packets", "packets dropped, all reasons")                                \
	X(POLLS, "polls", "RX polls")                                                               \
	X(IDLE_POLLS, "idle_polls", "RX polls that returned no packet")                             \
	X(SLEEPS, "sleeps", "idle back-off sleeps")                                                 \
	X(HANDOFF_OUT, "handoff_out", "packets handed to the lcore that owns their producer")      \
	X(HANDOFF_IN, "handoff_in", "packets taken from other lcores for producers this one owns") \
	X(KEYFRAME_REQS_IN, "keyframe_requests_in", "keyframe requests of consumers (PLI, FIR, new or resumed consumers)") \
	X(KEYFRAME_REQS_OUT, "keyframe_requests_out", "keyframe requests sent to producers' senders (merged)") \
	X(KEYFRAME_REQS_UNSENT, "keyframe_requests_unsent", "keyframe requests for senders that negotiated none, or cannot be reached") \
	X(RECEIVER_REPORTS_OUT, "receiver_reports_out", "receiver reports sent to producers' senders") \
	X(RECEIVER_REPORTS_UNSENT, "receiver_reports_unsent", "receiver reports due for senders Cascade cannot reach (yet)") \
	X(RECEIVER_REPORTS_IN, "receiver_reports_in", "report blocks of consumers' receivers read (in their RR or SR), each about one consumer") \
	X(NACKED_IN, "nacked_packets_in", "packets consumers reported lost (generic NACK entries, expanded)") \
	X(RTX_OUT, "retransmissions_out", "packets sent again to consumers from retransmission buffers") \
	X(RTX_MISSING, "retransmissions_missing", "NACKed packets not sent again: not in the buffer (too old, never received, no buffer) or not sent under the consumer's current numbering") \
	X(RTX_LIMITED, "retransmissions_limited", "NACKed packets not sent again: over the consumer's retransmission budget (--rtx-share)") \
	X(NACKS_OUT, "nacks_out", "NACKs sent to producers' senders for packets they did not deliver") \
	X(NACKED_OUT, "nacked_packets_out", "packet numbers asked for in those NACKs (each try counts)") \
	X(NACKS_UNSENT, "nacks_unsent", "NACKs due for senders Cascade cannot reach (yet)") \
	X(NACK_RECOVERED, "nack_recovered", "packets that came after Cascade had noted them missing (sent again, or late)") \
	X(TWCC_STAMPED, "twcc_stamped", "packets sent to consumers with Cascade's transport-wide sequence number") \
	X(TWCC_UNSTAMPED, "twcc_unstamped", "packets of transport-cc consumers sent without one (a header extension block of another profile)") \
	X(TWCC_FEEDBACKS_IN, "twcc_feedbacks_in", "consumers' transport-cc feedback packets read into their transport's estimate") \
	X(TWCC_FEEDBACKS_BAD, "twcc_feedbacks_malformed", "consumers' transport-cc feedback refused: malformed status chunks or deltas") \
	X(TWCC_FEEDBACKS_BUSY, "twcc_feedbacks_busy", "consumers' transport-cc feedback not read: another lcore was reading its transport's") \
	X(TWCC_FEEDBACKS_UNSOUGHT, "twcc_feedbacks_unsought", "transport-cc feedback on a transport with no transport-cc consumer") \
	X(TWCC_FEEDBACK_OUT, "twcc_feedback_out", "transport-cc feedback messages sent to producers' senders") \
	X(TWCC_FEEDBACK_UNSENT, "twcc_feedback_unsent", "transport-cc feedback messages due for senders Cascade cannot reach (yet)") \
	X(TWCC_REPORTED, "twcc_packets_reported", "packets reported received in transport-cc feedback") \
	X(REMB_OUT, "remb_out", "REMB sent to producers' senders (with their receiver reports)") \
	X(TWCC_LATE, "twcc_packets_late", "transport-wide sequence numbers too late to report (behind the 500 ms back window)")

enum cascade_lcore_ctr {
#define CASCADE_X_ENUM(e, key, help) CASCADE_LC_##e,
	CASCADE_LCORE_COUNTERS(CASCADE_X_ENUM)
#undef CASCADE_X_ENUM
		CASCADE_LC_MAX
};

/* The stable key of a drop reason ("rtp_trunc"), as metrics and JSON spell it. */
static inline const char *
cascade_drop_name(unsigned int d)
{
	switch (d) {
#define CASCADE_X_CASE(e, key, help)                                                               \
	case CASCADE_DROP_##e:                                                                     \
		return key;
		CASCADE_DROP_REASONS(CASCADE_X_CASE)
#undef CASCADE_X_CASE
	default:
		return "unknown";
	}
}

/* The key ("rx_packets") and the one-line help of a per-lcore counter. */
static inline const char *
cascade_lcore_ctr_name(unsigned int c)
{
	switch (c) {
#define CASCADE_X_CASE(e, key, help)                                                               \
	case CASCADE_LC_##e:                                                                       \
		return key;
		CASCADE_LCORE_COUNTERS(CASCADE_X_CASE)
#undef CASCADE_X_CASE
	default:
		return "unknown";
	}
}

static inline const char *
cascade_lcore_ctr_help(unsigned int c)
{
	switch (c) {
#define CASCADE_X_CASE(e, key, help)                                                               \
	case CASCADE_LC_##e:                                                                       \
		return help;
		CASCADE_LCORE_COUNTERS(CASCADE_X_CASE)
#undef CASCADE_X_CASE
	default:
		return "";
	}
}

/* One worker's block: totals then drops by reason. Cache-line sized multiple. */
struct cascade_lcore_stats {
	uint64_t ctr[CASCADE_LC_MAX];
	uint64_t drop[CASCADE_DROP_MAX];
	uint64_t pad[(8 - (CASCADE_LC_MAX + CASCADE_DROP_MAX) % 8) % 8];
};
static_assert(sizeof(struct cascade_lcore_stats) % 64 == 0, "lcore stats are whole cache lines");

/*
 * Per object (transport, producer, consumer), per lcore. For a transport:
 * rx = packets from its remote, tx = packets sent to it. For a producer: rx =
 * packets received on its SSRC. For a consumer: tx = packets sent, drops =
 * packets it lost to egress failures.
 */
struct cascade_obj_stats {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t rtcp_pkts;
	uint64_t drop_pkts;
	uint64_t last_rx_tsc; /* TSC of the last packet received, 0 if none */
	uint64_t rtx_pkts;    /* a consumer: packets sent again (NACKs answered) */
};
static_assert(sizeof(struct cascade_obj_stats) == 64, "object stats are one cache line");

#endif /* CASCADE_COUNTERS_H */
