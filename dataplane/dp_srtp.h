/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_srtp: the dataplane's side of SRTP. The crypto itself is Cascade's
 * wrapper over libsrtp2 (srtp/cascade_srtp.h), shared with the control plane;
 * this stage decides at start-up whether the linked libsrtp2 is fit for the
 * packet path (the OpenSSL backend), routes libsrtp2's log lines into
 * cascade.dp.srtp, makes the sessions of SRTP transports and their consumers
 * (main lcore) and maps the wrapper's errors to drop reasons. The per-packet
 * calls are in dp_worker.c (unprotect on ingress) and dp_fanout.c (protect on
 * egress).
 */
#ifndef DP_SRTP_H
#define DP_SRTP_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cascade/counters.h>
#include <cascade/msg.h>

#include "cascade_srtp.h"

struct dp_srtp_rx;

/*
 * Print "srtp: libsrtp2 2.5.0 (...), backend openssl (OpenSSL ...)" and a line
 * more when the backend is not OpenSSL, for --version. Needs no EAL. Main
 * thread.
 */
void dp_srtp_version_print(FILE *f);

/*
 * Start-up (main lcore, after EAL, before any worker runs): initialise
 * libsrtp2, send its warnings and errors to the cascade.dp.srtp log type
 * (rate-limited), and refuse a crypto backend other than OpenSSL unless
 * allow_slow (--allow-slow-srtp). Returns 0, or -errno after printing why on
 * stderr: -ENOTSUP for a slow backend without allow_slow, -EPROTO when the
 * library is not the one meson found, -EIO when libsrtp2 does not start.
 */
int dp_srtp_init(bool allow_slow);

/*
 * Sessions (main lcore; they allocate). suite is a CASCADE_SUITE_* of the ABI,
 * master its cascade_srtp_master_bytes(suite) bytes of key + salt; neither is
 * kept or logged.
 *
 * dp_srtp_rx_make_ssrc: one stream's inbound pair (RTP and RTCP of ssrc only,
 * replay window 1024; other SSRCs get -ENOENT, and no packet adds a stream).
 * Returns it (rte_malloc'd), or NULL with errno set.
 * dp_srtp_tx_make: one consumer's outbound session for ssrc (retransmitting
 * an identical packet is allowed). Returns it, or NULL with errno set.
 * dp_srtp_rtcp_rx_make: an inbound session for the SRTCP of ssrc alone (a
 * pipe stream's feedback; replay window as above), freed with
 * dp_srtp_tx_free. Returns it, or NULL with errno set.
 * The free functions take void * so they can be deferred past an RCU grace
 * period (dp_tbl_defer_call); NULL is fine; dp_srtp_rx_free also frees the
 * previous pair a re-key kept (old).
 */
struct dp_srtp_rx *dp_srtp_rx_make_ssrc(uint8_t suite, const uint8_t *master, uint32_t ssrc);
struct cascade_srtp *dp_srtp_tx_make(uint8_t suite, const uint8_t *master, uint32_t ssrc);
struct cascade_srtp *dp_srtp_rtcp_rx_make(uint8_t suite, const uint8_t *master, uint32_t ssrc);
void dp_srtp_rx_free(void *rx);
void dp_srtp_tx_free(void *s);

/* The drop reason for a cascade_srtp_* error: srtp_auth, srtp_replay or srtp_error. */
static inline enum cascade_drop
dp_srtp_drop_reason(int rc)
{
	return rc == -EBADMSG	 ? CASCADE_DROP_SRTP_AUTH
	       : rc == -EALREADY ? CASCADE_DROP_SRTP_REPLAY
				 : CASCADE_DROP_SRTP_ERROR;
}

#endif /* DP_SRTP_H */
