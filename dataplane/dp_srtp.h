/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_srtp: the dataplane's side of SRTP. The crypto itself is Cascade's
 * wrapper over libsrtp2 (srtp/cascade_srtp.h), shared with the control plane;
 * this stage decides at start-up whether the linked libsrtp2 is fit for the
 * packet path (the OpenSSL backend) and routes libsrtp2's log lines into
 * cascade.dp.srtp.
 */
#ifndef DP_SRTP_H
#define DP_SRTP_H

#include <stdbool.h>
#include <stdio.h>

#include "cascade_srtp.h"

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

#endif /* DP_SRTP_H */
