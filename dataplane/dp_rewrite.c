/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-consumer RTP rewrite. A consumer's output numbering is the producer's
 * shifted by two offsets (sequence mod 2^16, timestamp mod 2^32) that change
 * only when the consumer re-bases: on its first packet the offsets are zero, so
 * a single consumer sees the producer's own numbers; on a resync (resume, new
 * source) they are chosen so the output continues from the last packet sent:
 * sequence + 1, timestamp + the wall-clock time elapsed in the stream's clock.
 * "Last packet sent" is the newest by RFC 3550 A.1's modular order (a signed
 * 16-bit difference), so late and duplicated packets never move it back.
 *
 * The header rewrite validates the RFC 8285 extension block before it writes
 * anything, so a malformed packet leaves the copy untouched. The checksum
 * update is RFC 1624 equation 3, which never produces -0 from a correct
 * checksum and needs only the bytes that changed.
 *
 * Leaf module: libc and include/cascade/ only; no state beyond the caller's.
 */
#include <stddef.h>
#include <string.h>

#include "dp_bytes.h"
#include "dp_rewrite.h"

#define RTP_HDR_LEN 12
#define EXT_PROFILE_ONE_BYTE 0xbede /* RFC 8285 section 4.2 */
#define EXT_PROFILE_TWO_BYTE 0x1000 /* RFC 8285 section 4.3: 0x100 and 4 app bits */
#define EXT_ID_PAD 0                /* RFC 8285 section 4.1: padding byte */
#define EXT_ID_STOP 15              /* RFC 8285 section 4.2: reserved, stops parsing */
#define NS_PER_S 1000000000ull

void
dp_seq_resync(struct dp_seq_state *st)
{
	st->need_resync = 1;
}

/*
 * Clock ticks in elapsed_ns at clock_rate Hz, mod 2^32 (only the low bits
 * reach the wire). Split at whole seconds so the product never overflows
 * before the truncation: floor(e * r / 1e9) = (e / 1e9) * r + (e % 1e9) * r / 1e9,
 * and (e % 1e9) * r < 1e9 * 2^32 < 2^64.
 */
static uint32_t
ticks_elapsed(uint64_t elapsed_ns, uint32_t clock_rate)
{
	uint64_t whole = elapsed_ns / NS_PER_S, frac = elapsed_ns % NS_PER_S;

	return (uint32_t)(whole * clock_rate + frac * clock_rate / NS_PER_S);
}

/* The offsets have held for half the sequence space: every number behind is theirs. */
static inline bool
map_now_long(const struct dp_seq_state *st, uint16_t seq)
{
	return !st->map_long && (uint16_t)(seq - st->map_seq) >= 0x8000;
}

/* RFC 3550 A.1 */
#define SEQ_MAX_DROPOUT 3000
#define SEQ_MAX_MISORDER 100

int
dp_seq_map(struct dp_seq_state *st, uint16_t in_seq, uint32_t in_ts, uint64_t now_ns,
	   uint32_t clock_rate, uint16_t *out_seq, uint32_t *out_ts)
{
	uint16_t seq;
	uint32_t ts, adv;

	if (st->started && !st->need_resync) {
		/*
		 * RFC 3550 A.1's probation limits: a jump ahead of MAX_DROPOUT or
		 * back beyond MAX_MISORDER is not loss or reordering but a source
		 * that restarted its numbering; hide it from the receiver as a
		 * source switch (continue from the last packet sent).
		 */
		int32_t d = (int16_t)(uint16_t)((uint16_t)(in_seq + st->seq_off) - st->last_out_seq);
		if (d >= SEQ_MAX_DROPOUT || d < -SEQ_MAX_MISORDER)
			st->need_resync = 1;
	}
	if (!st->started) {
		/* First packet ever: keep the producer's numbering. */
		st->seq_off = 0;
		st->ts_off = 0;
	} else if (st->need_resync) {
		/*
		 * Continue from the last packet sent: the next sequence number, and a
		 * timestamp advanced by the time since then. At least one tick, so
		 * the receiver never merges the new source's first frame with the
		 * last one it saw (a clock that did not move, or went back, gives 1).
		 */
		adv = 0;
		if (now_ns > st->last_out_ns)
			adv = ticks_elapsed(now_ns - st->last_out_ns, clock_rate);
		if (adv == 0)
			adv = 1;
		st->seq_off = (uint16_t)(st->last_out_seq + 1 - in_seq);
		st->ts_off = st->last_out_ts + adv - in_ts;
		st->base_seq = (uint16_t)(st->last_out_seq + 1);
		st->has_base = 1;
	}
	if (!st->started || st->need_resync) {
		st->map_seq = (uint16_t)(in_seq + st->seq_off);
		st->map_long = 0;
	}

	seq = (uint16_t)(in_seq + st->seq_off);
	ts = in_ts + st->ts_off;
	if (st->has_base && !st->need_resync) {
		int16_t from_base = (int16_t)(uint16_t)(seq - st->base_seq);

		if (from_base < 0)
			return -1; /* from before the resync: its number was already used */
		if (from_base > SEQ_MAX_MISORDER)
			st->has_base = 0; /* nothing that late is expected any more */
	}

	/* RFC 3550 A.1: newer when ahead by less than half the sequence space. */
	if (!st->started || st->need_resync || (int16_t)(uint16_t)(seq - st->last_out_seq) > 0) {
		st->last_out_seq = seq;
		st->last_out_ts = ts;
		st->last_out_ns = now_ns;
		if (map_now_long(st, seq))
			st->map_long = 1;
	}
	st->started = 1;
	st->need_resync = 0;
	*out_seq = seq;
	*out_ts = ts;
	return 0;
}

bool
dp_seq_sent(const struct dp_seq_state *st, uint16_t out_seq)
{
	uint16_t back = (uint16_t)(st->last_out_seq - out_seq);

	if (!st->started || st->need_resync || back >= 0x8000)
		return false; /* nothing sent, offsets about to change, or not sent yet */
	/* a packet from before the offsets came was sent under others */
	return st->map_long || back <= (uint16_t)(st->last_out_seq - st->map_seq);
}

int
dp_pt_map(const struct cascade_cmd_consumer *c, uint8_t in_pt)
{
	unsigned int i, n = c->n_pt_map;

	if (n == 0)
		return in_pt;
	/* A count past the array is a control-plane bug; read only what exists. */
	if (n > CASCADE_MAX_PT_MAP)
		n = CASCADE_MAX_PT_MAP;
	for (i = 0; i < n; i++)
		if (c->pt_map[i].in_pt == in_pt)
			return c->pt_map[i].out_pt & 0x7f;
	return -1;
}

/*
 * Walk the RFC 8285 one-byte elements of ext[0..len); when ext_map is non-NULL
 * also rename their ids. Returns 0, or -1 if an element runs past the block.
 */
static int
ext_one_byte_walk(uint8_t *ext, uint32_t len, const uint8_t *ext_map)
{
	uint32_t i = 0, elen;
	uint8_t id, new_id;

	while (i < len) {
		id = ext[i] >> 4;
		/*
		 * RFC 8285 section 4.1: "When a padding byte is found, it is ignored";
		 * ID 0 is skipped as one byte whatever its len nibble, as libwebrtc does.
		 */
		if (id == EXT_ID_PAD) {
			i++;
			continue;
		}
		/*
		 * RFC 8285 section 4.2: on ID 15 "processing of the entire extension
		 * should terminate at that point".
		 */
		if (id == EXT_ID_STOP)
			break;
		/* RFC 8285 section 4.2: the 4-bit len is the data length minus one. */
		elen = (uint32_t)(ext[i] & 0x0f) + 1;
		if (elen > len - i - 1)
			return -1;
		if (ext_map != NULL) {
			new_id = ext_map[id];
			/*
			 * The sender's transport-wide sequence number: its numbering is
			 * not Cascade's (holmer 2: one counter per transport, the
			 * sender's own). Blanked to padding bytes (RFC 8285 4.1).
			 */
			if (new_id == CASCADE_EXT_TWCC) {
				memset(ext + i, 0, 1 + elen);
				i += 1 + elen;
				continue;
			}
			/* 0 keeps the id; ids outside 1..14 cannot be written (section 4.2). */
			if (new_id != 0 && new_id <= CASCADE_MAX_EXT_ID)
				ext[i] = (uint8_t)(new_id << 4 | (ext[i] & 0x0f));
		}
		i += 1 + elen;
	}
	return 0;
}

int
dp_rtp_rewrite(uint8_t *rtp, uint16_t hdr_len, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
	       const uint8_t ext_map[CASCADE_MAX_EXT_ID + 2])
{
	uint8_t *ext = NULL;
	uint32_t off, ext_len = 0;

	/* RFC 3550 5.1: the fixed header is 12 bytes. */
	if (hdr_len < RTP_HDR_LEN)
		goto malformed;
	if (rtp[0] & 0x10) {
		/* RFC 3550 5.1 and 5.3.1: CSRCs, then the profile and length words. */
		off = RTP_HDR_LEN + 4u * (rtp[0] & 0x0f);
		if (off + 4 > hdr_len)
			goto malformed;
		/* RFC 3550 5.3.1: the length words end exactly where the header does. */
		ext_len = 4u * ((uint32_t)rtp[off + 2] << 8 | rtp[off + 3]);
		if (off + 4 + ext_len != hdr_len)
			goto malformed;
		/* RFC 8285 section 4.2: 0xBEDE marks the one-byte form; others are opaque. */
		if (rtp[off] == (EXT_PROFILE_ONE_BYTE >> 8) &&
		    rtp[off + 1] == (EXT_PROFILE_ONE_BYTE & 0xff)) {
			ext = rtp + off + 4;
			if (ext_one_byte_walk(ext, ext_len, NULL) != 0)
				goto malformed;
		}
	}

	/* Validated: nothing fails from here. RFC 3550 5.1: M is the top bit of byte 1. */
	rtp[1] = (uint8_t)((rtp[1] & 0x80) | (pt & 0x7f));
	wr16(rtp + 2, seq);
	wr32(rtp + 4, ts);
	wr32(rtp + 8, ssrc);
	if (ext != NULL && ext_map != NULL)
		(void)ext_one_byte_walk(ext, ext_len, ext_map);
	return 0;

malformed:
	return -1;
}

int
dp_rtp_twcc_room(uint8_t *rtp, uint16_t hdr_len, uint8_t id, uint16_t *seq_at)
{
	uint32_t off, ext_len, i, zeros = 0;
	uint8_t *ext;

	if (id == 0 || id > CASCADE_MAX_EXT_ID)
		return -1;
	if (!(rtp[0] & 0x10)) {
		/* RFC 8285 4.2: a one-byte block of one word, the element and a padding byte */
		rtp[0] |= 0x10;
		wr16(rtp + hdr_len, EXT_PROFILE_ONE_BYTE);
		wr16(rtp + hdr_len + 2, 1);
		rtp[hdr_len + 4] = (uint8_t)(id << 4 | 1);
		rtp[hdr_len + 7] = 0;
		*seq_at = (uint16_t)(hdr_len + 5);
		return hdr_len + 8;
	}
	off = RTP_HDR_LEN + 4u * (rtp[0] & 0x0f);
	ext_len = 4u * rd16(rtp + off + 2);
	ext = rtp + off + 4;
	if (rd16(rtp + off) == EXT_PROFILE_ONE_BYTE) {
		/* three padding bytes in a row (a blanked element): the element fits there */
		i = 0;
		while (i < ext_len) {
			if (ext[i] == 0) {
				if (++zeros == 3) {
					ext[i - 2] = (uint8_t)(id << 4 | 1);
					*seq_at = (uint16_t)(off + 4 + i - 1);
					return hdr_len;
				}
				i++;
				continue;
			}
			zeros = 0;
			if (ext[i] >> 4 == EXT_ID_PAD) { /* RFC 8285 4.1: skipped as one byte */
				i++;
				continue;
			}
			if (ext[i] >> 4 == EXT_ID_STOP)
				break;
			i += (uint32_t)(ext[i] & 0x0f) + 2;
		}
		/* else one more word at the block's end (where the header ends) */
		rtp[hdr_len] = (uint8_t)(id << 4 | 1);
		rtp[hdr_len + 3] = 0;
		*seq_at = (uint16_t)(hdr_len + 1);
	} else if ((rd16(rtp + off) & 0xfff0) == EXT_PROFILE_TWO_BYTE) {
		/* RFC 8285 4.3: id, length, data */
		rtp[hdr_len] = id;
		rtp[hdr_len + 1] = 2;
		*seq_at = (uint16_t)(hdr_len + 2);
	} else {
		return -1; /* another profile's block: no room for an RFC 8285 element */
	}
	wr16(rtp + off + 2, (uint16_t)(ext_len / 4 + 1));
	return hdr_len + 4;
}

uint16_t
dp_cksum_update(uint16_t cksum, const uint8_t *old_bytes, const uint8_t *new_bytes, uint32_t len)
{
	uint32_t sum, i;
	uint16_t m, m_new;

	/* RFC 768: a zero UDP checksum means "none was computed"; it stays so. */
	if (cksum == 0)
		return 0;
	/* RFC 1624 section 3, eqn. 3: HC' = ~(~HC + ~m + m'), one's complement sums. */
	sum = (uint16_t)~cksum;
	for (i = 0; i < len; i += 2) {
		m = (uint16_t)(old_bytes[i] << 8);
		m_new = (uint16_t)(new_bytes[i] << 8);
		/* An odd tail is a high byte; its word's unchanged low byte cancels out. */
		if (i + 1 < len) {
			m |= old_bytes[i + 1];
			m_new |= new_bytes[i + 1];
		}
		sum += (uint16_t)~m;
		sum += m_new;
		/* Fold the end-around carry every word: sum stays below 2^17 + 2^16. */
		sum = (sum & 0xffff) + (sum >> 16);
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	/* RFC 768: a computed checksum of zero is transmitted as all ones. */
	cksum = (uint16_t)~sum;
	return cksum == 0 ? 0xffff : cksum;
}
