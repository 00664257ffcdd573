/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Validation and normalisation of command bodies, as far as it needs no table:
 * what a transport add or a consumer add must look like on its own, and what a
 * consumer's destination must look like on its transport (a pipe transport's
 * consumers carry their own remote; every other consumer has none). The table
 * code (dp_table_cmd.c) runs these before it changes anything and answers with
 * the message they wrote, which names the bad field.
 *
 * Leaf module: libc and include/cascade/ only, so the unit tests drive it
 * without EAL. Pure functions; any thread.
 */
#ifndef DP_CHECK_H
#define DP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cascade/msg.h>

/*
 * Check a TRANSPORT_ADD body for a dataplane with n_ports ports: flags, port,
 * local addresses, remote families, the SRTP suite (known; none on a pipe), and
 * the pipe rules (rtcp-mux, no comedia, no remote or remote MAC). Returns 0, or -EINVAL with a message naming the
 * field in msg (len bytes, NUL-terminated).
 */
int dp_check_transport(const struct cascade_cmd_transport *t, uint16_t n_ports, char *msg,
		       size_t len);

/*
 * Check a TRANSPORT_SRTP body against the transport's installed config tp:
 * obj_id, tp is an SRTP transport of the same suite, the padding is zero, and
 * rx_master and tx_master hold exactly the suite's master key + salt (not all
 * zero, zero after it). Returns 0 or -EINVAL with a message that names the
 * field and never shows key bytes.
 */
int dp_check_transport_srtp(const struct cascade_cmd_transport_srtp *s,
			    const struct cascade_cmd_transport *tp, char *msg, size_t len);

/*
 * Check a PIPE_SRTP body against the config tp of the pipe transport its
 * object is on: obj_id, kind, tp is an SRTP pipe transport of the same suite,
 * zero padding, master holds exactly the suite's key + salt. Returns 0 or
 * -EINVAL with a message that names the field and never shows key bytes.
 */
int dp_check_pipe_srtp(const struct cascade_cmd_pipe_srtp *s, const struct cascade_cmd_transport *tp,
		       char *msg, size_t len);

/*
 * Check the fields of a CONSUMER_ADD body that need nothing else: id, payload
 * type and extension-id maps, paused. Returns 0 or -EINVAL with a message.
 */
int dp_check_consumer(const struct cascade_cmd_consumer *k, char *msg, size_t len);

/*
 * A producer's feedback: only known CASCADE_FB_* bits; with FB_TWCC a
 * transport-wide sequence number extension id 1..14 (RFC 8285 one-byte), and
 * without it none; not both FB_TWCC and FB_REMB (a sender gets one kind of
 * congestion feedback). 0, or -EINVAL with msg naming the field.
 */
int dp_check_producer_fb(const struct cascade_cmd_producer *p, char *msg, size_t len);

/*
 * A producer's RTX fields: n_rtx entries of distinct RTX payload types, each
 * bound to another payload type (0..127), with an RTX SSRC that is not the
 * media SSRC exactly when there are entries; the rest zero. 0, or -EINVAL
 * with msg naming the field.
 */
int dp_check_producer_rtx(const struct cascade_cmd_producer *p, char *msg, size_t len);
/* Whether two checked producers' RTX fields are the same. */
bool dp_producer_rtx_same(const struct cascade_cmd_producer *a, const struct cascade_cmd_producer *b);

/*
 * Check a consumer's destination against the transport it sends on (tp, the
 * transport's installed config): on a PIPE transport, remote is required with
 * the transport's local family and a non-zero port; on any other transport,
 * remote and remote_mac must be all zero. Returns 0 or -EINVAL with a message.
 */
int dp_check_consumer_dest(const struct cascade_cmd_consumer *k,
			   const struct cascade_cmd_transport *tp, char *msg, size_t len);

/* Whether a is IPv4 or IPv6, and (need_port) has a non-zero port. */
bool dp_addr_valid(const struct cascade_addr *a, bool need_port);

/* a with its padding and the IP bytes its family leaves unused zeroed, so memcmp compares it. */
struct cascade_addr dp_addr_norm(const struct cascade_addr *a);

/* Whether all six bytes of a MAC are zero. */
bool dp_mac_is_zero(const uint8_t mac[6]);

/* Zero k's padding and normalise its remote: the form the tables store and compare. */
void dp_consumer_norm(struct cascade_cmd_consumer *k);

/*
 * Whether two normalised consumer bodies install the same consumer: msg.h's
 * idempotency rule over every parameter but paused (PAUSE commands change
 * that). True when an add of b over an installed a is a retry.
 */
bool dp_consumer_same(const struct cascade_cmd_consumer *a, const struct cascade_cmd_consumer *b);

#endif /* DP_CHECK_H */
