/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cascade's SRTP wrapper: the one place that talks to libsrtp2. The dataplane
 * (protect/unprotect per packet) and the control plane (suite names, keys,
 * base64, the backend it reports) both link it; it has no DPDK, jansson or
 * libevent in it, and this header does not include libsrtp's, so users need
 * neither libsrtp's headers nor its types.
 *
 * libsrtp2 is linked statically from the OpenSSL build that tools/run makes
 * (DESIGN.md §2: Debian's NSS build measured about 3x slower). The backend is
 * decided at configure time from what was built and checked again at run
 * time (cascade_srtp_backend()); a process that must be fast refuses anything
 * but CASCADE_SRTP_BACKEND_OPENSSL.
 *
 * Errors are 0 or a negative errno from a fixed set, so the dataplane can
 * count drops by reason without knowing srtp_err_status_t:
 *   -EBADMSG      authentication failed (tag mismatch, wrong key, altered packet)
 *   -EALREADY     replay: the packet index was already received, or is older
 *                 than the replay window
 *   -ENOENT       no stream for the packet's SSRC (a session bound to one SSRC)
 *   -EINVAL       malformed packet (too short, header longer than the packet)
 *                 or a bad argument
 *   -ENOBUFS      the buffer has no room for the SRTP/SRTCP trailer
 *   -EKEYEXPIRED  the key reached its usage limit; rekey
 *   -ENOTSUP      the crypto suite is not in this libsrtp2 build
 *   -EILSEQ       keyBase64 is not canonical base64
 *   -EMSGSIZE     a key's length does not match the crypto suite
 *   -ENOMEM       out of memory
 *   -EPROTO       the libsrtp2 linked is not the backend meson found (init)
 *   -EIO          any other libsrtp2 failure
 * cascade_srtp_strerror() names them. Key material is never logged, printed
 * or kept after a session is made: the wrapper wipes its copies.
 */
#ifndef CASCADE_SRTP_H
#define CASCADE_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The crypto suites, by mediasoup's (and RFC 4568/7714's) names:
 * X(enum suffix, name, master key bytes, master salt bytes,
 *   SRTP trailer bytes (the tag), SRTCP trailer bytes (E flag + index + tag)).
 * AES_CM_128_HMAC_SHA1_32 keeps the 80-bit tag on SRTCP (RFC 5764 §4.1.2).
 */
#define CASCADE_SRTP_SUITES(X)                                                                     \
	X(AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 14)                      \
	X(AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 14)                       \
	X(AEAD_AES_128_GCM, "AEAD_AES_128_GCM", 16, 12, 16, 20)                                    \
	X(AEAD_AES_256_GCM, "AEAD_AES_256_GCM", 32, 12, 16, 20)

enum cascade_srtp_suite {
#define CASCADE_SRTP_SUITE_ENUM(e, name, key, salt, rtp, rtcp) CASCADE_SRTP_##e,
	CASCADE_SRTP_SUITES(CASCADE_SRTP_SUITE_ENUM)
#undef CASCADE_SRTP_SUITE_ENUM
	CASCADE_SRTP_SUITE_COUNT,
};

/* Largest master key + salt of any suite (AEAD_AES_256_GCM: 32 + 12). */
#define CASCADE_SRTP_MASTER_MAX_BYTES 44
/* Largest keyBase64 of any suite, without the terminating NUL (4 * ceil(44 / 3)). */
#define CASCADE_SRTP_KEY_BASE64_MAX 60
/* Most bytes srtp_protect adds to an RTP packet (a 16-byte GCM tag; no MKI). */
#define CASCADE_SRTP_RTP_TRAILER_MAX 16
/* Most bytes SRTCP adds to an RTCP packet (4-byte E|index + 16-byte GCM tag). */
#define CASCADE_SRTP_RTCP_TRAILER_MAX 20

/* What one suite needs; see CASCADE_SRTP_SUITES. */
struct cascade_srtp_suite_info {
	const char *name;
	uint8_t key_bytes;
	uint8_t salt_bytes;
	uint8_t master_bytes; /* key_bytes + salt_bytes: the keyBase64 payload */
	uint8_t rtp_trailer_bytes;
	uint8_t rtcp_trailer_bytes;
};

enum cascade_srtp_backend {
	CASCADE_SRTP_BACKEND_UNKNOWN = 0,
	CASCADE_SRTP_BACKEND_OPENSSL,  /* the fast one (AES-NI through OpenSSL's EVP) */
	CASCADE_SRTP_BACKEND_NSS,      /* Debian's build: works, about 3x slower */
	CASCADE_SRTP_BACKEND_INTERNAL, /* libsrtp's own AES and SHA-1: slow, no GCM */
};

enum cascade_srtp_dir {
	CASCADE_SRTP_INBOUND,  /* unprotect what a peer sends */
	CASCADE_SRTP_OUTBOUND, /* protect what we send */
};

/* Parameters of one session; only read during cascade_srtp_create(). */
struct cascade_srtp_conf {
	enum cascade_srtp_suite suite;
	enum cascade_srtp_dir dir;
	/*
	 * true: every SSRC in this direction shares the key (libsrtp's
	 * ssrc_any_inbound / ssrc_any_outbound; a stream per SSRC is made on
	 * first use). false: only `ssrc`; other SSRCs get -ENOENT.
	 */
	bool any_ssrc;
	uint32_t ssrc;
	/* Replay window in packets, 64 to 32767; 0 means libsrtp's 128. */
	uint32_t replay_window;
	/*
	 * Outbound only: protecting the same sequence number again is allowed
	 * (retransmissions of identical packets, as mediasoup does). Inbound
	 * sessions always reject replays.
	 */
	bool allow_repeat_tx;
	/* Master key then master salt, cascade_srtp_suite_info(suite)->master_bytes long. */
	const uint8_t *master;
	size_t master_len;
};

/* An SRTP session: one libsrtp2 srtp_t. Opaque. */
struct cascade_srtp;

/*
 * Initialise libsrtp2 once per process (later calls return the first result)
 * and find out which crypto backend it was built with. Thread-safe. Returns 0,
 * -EPROTO when the library linked at run time is not the backend meson found at
 * configure time, or -EIO when libsrtp2 fails to initialise. Every other
 * function of this API calls it as needed; call it first to fail early.
 */
int cascade_srtp_init(void);

/* The crypto backend of the linked libsrtp2 (runs cascade_srtp_init()). */
enum cascade_srtp_backend cascade_srtp_backend(void);
/* "openssl", "nss", "internal" or "unknown". Static string. */
const char *cascade_srtp_backend_name(enum cascade_srtp_backend b);
/* libsrtp2's own version string, e.g. "libsrtp2 2.5.0". Static string. */
const char *cascade_srtp_version(void);
/*
 * The crypto library's version when the backend is OpenSSL, e.g. "OpenSSL
 * 3.0.11 19 Sep 2023"; "" for the others. Static string.
 */
const char *cascade_srtp_crypto_version(void);
/*
 * One line for --version and the API: "libsrtp2 2.5.0, backend openssl
 * (OpenSSL ...)". Writes at most cap bytes (always NUL-terminated when cap > 0);
 * returns what snprintf returns.
 */
int cascade_srtp_describe(char *buf, size_t cap);

/* Facts about a suite, or NULL when s is out of range. Static data, any thread. */
const struct cascade_srtp_suite_info *cascade_srtp_suite_info(enum cascade_srtp_suite s);
/* Suite by its mediasoup name (exact, case-sensitive): 0, or -EINVAL for an unknown name. */
int cascade_srtp_suite_from_name(const char *name, enum cascade_srtp_suite *out);
/* true when this libsrtp2 build can make sessions of suite s (GCM needs an external crypto library). */
bool cascade_srtp_suite_is_supported(enum cascade_srtp_suite s);

/*
 * Fill master[0..master_bytes) with a fresh master key and salt for suite s
 * from OpenSSL's RAND_bytes. Returns 0, -EINVAL for a bad suite, -ENOBUFS when
 * cap is smaller than the suite's master_bytes, -EIO when the RNG fails.
 */
int cascade_srtp_key_generate(enum cascade_srtp_suite s, uint8_t *master, size_t cap);
/*
 * Encode len bytes of key material as base64 (RFC 4648 §4, with padding) into
 * out, NUL-terminated. Returns the number of characters (without the NUL), or
 * -ENOBUFS when out cannot hold them and the NUL.
 */
int cascade_srtp_key_to_base64(const uint8_t *key, size_t len, char *out, size_t cap);
/*
 * Decode a keyBase64 (mediasoup SrtpParameters) for suite s into master,
 * which must hold CASCADE_SRTP_MASTER_MAX_BYTES (or the suite's master_bytes).
 * Only canonical base64 is accepted: the alphabet of RFC 4648 §4, length a
 * multiple of 4, '=' only as the last one or two characters, zero pad bits; no
 * whitespace. Returns the number of key bytes (the suite's master_bytes), or
 * -EILSEQ when b64 is not canonical base64, -EMSGSIZE when it decodes to
 * another length than the suite needs, -EINVAL for a bad suite or NULL,
 * -ENOBUFS when cap is too small. master is wiped on failure.
 */
int cascade_srtp_key_from_base64(enum cascade_srtp_suite s, const char *b64, uint8_t *master,
				 size_t cap);

/*
 * Make a session from c. Returns the session, or NULL with errno set: EINVAL
 * (bad suite, direction or window), EMSGSIZE (master_len is not the suite's
 * master_bytes), ENOTSUP (suite not in this libsrtp2 build), ENOMEM, EIO. The
 * key is copied into libsrtp2's own key schedule; c->master may be wiped as
 * soon as this returns. Any thread; not on a packet path (it allocates).
 */
struct cascade_srtp *cascade_srtp_create(const struct cascade_srtp_conf *c);
/* Free a session and wipe its keys. NULL is fine. */
void cascade_srtp_destroy(struct cascade_srtp *s);
/* The suite a session was made with. */
enum cascade_srtp_suite cascade_srtp_suite(const struct cascade_srtp *s);

/*
 * Protect or unprotect one packet in place. pkt holds *len bytes of RTP (or
 * RTCP) in a buffer of cap bytes; pkt should be 4-byte aligned (libsrtp reads
 * the header as 32-bit words). Protect needs cap >= *len + the suite's trailer
 * bytes (else -ENOBUFS, nothing changed). On success *len is the new length and
 * 0 is returned; on failure the error codes above, *len unchanged and the
 * packet's contents undefined (unprotect may have decrypted part of it).
 *
 * A session is not thread-safe: use it from one thread at a time (the lcore
 * that owns its producer). No allocation, lock, syscall or log on these paths
 * except libsrtp2's one-time stream clone for a new SSRC on an any_ssrc
 * session.
 */
int cascade_srtp_protect_rtp(struct cascade_srtp *s, uint8_t *pkt, size_t *len, size_t cap);
int cascade_srtp_unprotect_rtp(struct cascade_srtp *s, uint8_t *pkt, size_t *len);
int cascade_srtp_protect_rtcp(struct cascade_srtp *s, uint8_t *pkt, size_t *len, size_t cap);
int cascade_srtp_unprotect_rtcp(struct cascade_srtp *s, uint8_t *pkt, size_t *len);

/* A short, stable description of one of this API's return codes (0 gives "ok"). */
const char *cascade_srtp_strerror(int rc);

/*
 * Where libsrtp2's own warnings and errors go (event reports such as "key
 * usage soft limit reached"); level is 0 error, 1 warning, 2 info, 3 debug.
 * NULL (the default) drops them. libsrtp never passes key material here while
 * its debug modules are off, which they stay. The function may be called from
 * any thread that uses a session, so it must be cheap and rate-limit itself.
 * Set it before sessions are in use.
 */
void cascade_srtp_set_log(void (*fn)(int level, const char *msg));

#endif /* CASCADE_SRTP_H */
