/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-consumer RTP rewrite on a copied header: SSRC, payload type, sequence
 * number, timestamp and RFC 8285 header extension ids, plus the RFC 1624
 * incremental checksum update that keeps the UDP checksum right without reading
 * the payload.
 *
 * Sequence and timestamp continuity: a consumer's output numbering is the
 * producer's plus per-consumer offsets. On the consumer's first packet the
 * offsets are zero (the producer's own numbers). Whenever it restarts (resume
 * after pause, new source, or a jump that RFC 3550 A.1 calls a restart: 3000
 * or more ahead, more than 100 behind) the offsets are re-based so that the first output
 * sequence is last_out_seq + 1 (no gap visible to the receiver) and the output
 * timestamp advances from the last one sent by the wall-clock time elapsed, in
 * the stream's clock rate (at least one tick).
 *
 * Leaf module: libc and include/cascade/ only. Called on the lcore that owns
 * the consumer; no locking.
 */
#ifndef DP_REWRITE_H
#define DP_REWRITE_H

#include <stdbool.h>
#include <stdint.h>

#include <cascade/msg.h>

struct dp_seq_state {
	uint16_t seq_off;      /* out = in + seq_off (mod 2^16) */
	uint16_t last_out_seq; /* highest output sequence sent (RFC 3550 A.1 ordering) */
	uint32_t ts_off;       /* out = in + ts_off (mod 2^32) */
	uint32_t last_out_ts;  /* timestamp of the packet with last_out_seq */
	uint64_t last_out_ns;  /* wall clock of that packet, ns */
	uint8_t started;       /* at least one packet was sent */
	uint8_t need_resync;   /* re-base on the next packet (resume, new source) */
	uint8_t has_base;      /* base_seq is set: a resync happened recently */
	uint8_t map_long;      /* the offsets have held for 32768 packets or more */
	uint16_t base_seq;     /* first output sequence after the last resync */
	uint16_t map_seq;      /* first output sequence under the offsets (retransmissions) */
};

/* Mark the state so the next packet re-bases it (after a pause or source switch). */
void dp_seq_resync(struct dp_seq_state *st);

/*
 * Whether output sequence out_seq was sent under the offsets now in force (so
 * out_seq - seq_off is the input packet it carried, to send again): not newer
 * than the last sent, not from before the last re-base.
 */
bool dp_seq_sent(const struct dp_seq_state *st, uint16_t out_seq);

/*
 * Output sequence and timestamp for an input packet (in_seq, in_ts) arriving at
 * now_ns, for a stream of clock_rate Hz. Re-bases the offsets if the state is
 * new (offsets 0) or needs a resync, then records the packet if it is the
 * newest so far (signed 16-bit difference to last_out_seq, RFC 3550 A.1). A
 * zeroed struct is a new state. Returns 0, or -1 for a late packet from before
 * the last resync: its output number would repeat one already sent, so the
 * caller does not send it to this consumer.
 */
int dp_seq_map(struct dp_seq_state *st, uint16_t in_seq, uint32_t in_ts, uint64_t now_ns,
		uint32_t clock_rate, uint16_t *out_seq, uint32_t *out_ts);

/*
 * Map a payload type through the consumer's table: returns the output PT, or
 * -1 when the table is non-empty and has no entry for in_pt (the packet is not
 * for this consumer). An empty table keeps the PT.
 */
int dp_pt_map(const struct cascade_cmd_consumer *c, uint8_t in_pt);

/*
 * Rewrite the RTP header at rtp[0..hdr_len) in place: PT (keeping the marker
 * bit), sequence, timestamp, SSRC, and extension ids through ext_map (RFC 8285
 * one-byte form only; the two-byte form and other profiles are left as they
 * are; ext_map[id] 0 keeps the id, CASCADE_EXT_TWCC blanks the element to
 * padding bytes; ext_map may be NULL).
 * hdr_len is dp_rtp.hdr_len from dp_parse_rtp(). Returns 0, or -1 if hdr_len
 * or the extension block is malformed; nothing is written then.
 */
int dp_rtp_rewrite(uint8_t *rtp, uint16_t hdr_len, uint8_t pt, uint16_t seq, uint32_t ts,
		   uint32_t ssrc, const uint8_t ext_map[CASCADE_MAX_EXT_ID + 2]);

/*
 * Make room for a transport-wide sequence number element (holmer 2: L=1, two
 * bytes) with id in the header rtp[0..hdr_len) that dp_rtp_rewrite() has
 * accepted, and whose buffer has 8 writable bytes past hdr_len: in three
 * padding bytes in a row of a one-byte block (where a blanked element was),
 * else one word appended to the block (one-byte or two-byte form), else a new
 * one-byte block of one word. Sets *seq_at to the offset of the element's two
 * data bytes (for the caller's wr16) and returns the new header length
 * (hdr_len, + 4 or + 8), or -1 when it cannot: a block of another profile, or
 * an id outside 1..14.
 */
int dp_rtp_twcc_room(uint8_t *rtp, uint16_t hdr_len, uint8_t id, uint16_t *seq_at);

/*
 * RFC 1624 incremental update: the new checksum after the 16-bit-aligned bytes
 * old[0..len) became new[0..len) (len even; an odd last byte is taken as the
 * high byte of its word, whose unchanged low byte cancels out). cksum is the
 * field as on the wire (network order bytes interpreted big-endian); a UDP
 * checksum of 0 (IPv4 "no checksum") stays 0 and a result of 0 becomes 0xffff
 * (RFC 768). Any thread; pure.
 */
uint16_t dp_cksum_update(uint16_t cksum, const uint8_t *old_bytes, const uint8_t *new_bytes,
			 uint32_t len);

#endif /* DP_REWRITE_H */
