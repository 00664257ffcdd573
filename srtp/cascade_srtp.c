/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cascade's SRTP wrapper over libsrtp2 (see cascade_srtp.h for the contract).
 *
 * libsrtp2 is initialised once (pthread_once). Its crypto backend is found by
 * asking for the debug module each backend registers ("hmac sha-1 openssl",
 * "hmac sha-1 nss", or the internal "hmac sha-1"): srtp_set_debug_module()
 * fails for a name that is not loaded, and switching a module off changes
 * nothing since they start off. meson passes the backend it saw in the
 * installed libsrtp2.pc as CASCADE_SRTP_BUILT_BACKEND; the two must agree.
 *
 * srtp_err_status_t is translated to errno here and nowhere else. Keys are
 * copied into a local buffer only for srtp_create() and wiped with
 * OPENSSL_cleanse() on every path; libsrtp keeps its own key schedule.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include "cascade_srtp.h"

#ifndef CASCADE_SRTP_BUILT_BACKEND
#error "meson defines CASCADE_SRTP_BUILT_BACKEND (the backend of the libsrtp2 it found)"
#endif

struct cascade_srtp {
	srtp_t ctx;
	enum cascade_srtp_suite suite;
	uint8_t rtp_trailer_bytes;
	uint8_t rtcp_trailer_bytes;
};

static const struct cascade_srtp_suite_info suites[CASCADE_SRTP_SUITE_COUNT] = {
#define SUITE_INFO(e, n, key, salt, rtp, rtcp)                                                     \
	[CASCADE_SRTP_##e] = {                                                                     \
		.name = n,                                                                         \
		.key_bytes = key,                                                                  \
		.salt_bytes = salt,                                                                \
		.master_bytes = (key) + (salt),                                                    \
		.rtp_trailer_bytes = rtp,                                                          \
		.rtcp_trailer_bytes = rtcp,                                                        \
	},
	CASCADE_SRTP_SUITES(SUITE_INFO)
#undef SUITE_INFO
};

/* The header's limits must cover every suite. */
#define SUITE_LIMITS(e, n, key, salt, rtp, rtcp)                                                   \
	_Static_assert((key) + (salt) <= CASCADE_SRTP_MASTER_MAX_BYTES, "master " n);              \
	_Static_assert(((key) + (salt) + 2) / 3 * 4 <= CASCADE_SRTP_KEY_BASE64_MAX, "b64 " n);     \
	_Static_assert((rtp) <= CASCADE_SRTP_RTP_TRAILER_MAX, "rtp trailer " n);                   \
	_Static_assert((rtcp) <= CASCADE_SRTP_RTCP_TRAILER_MAX, "rtcp trailer " n);
CASCADE_SRTP_SUITES(SUITE_LIMITS)
#undef SUITE_LIMITS
_Static_assert(CASCADE_SRTP_RTP_TRAILER_MAX <= SRTP_MAX_TRAILER_LEN, "libsrtp trailer");
_Static_assert(CASCADE_SRTP_MASTER_MAX_BYTES <= SRTP_MAX_KEY_LEN, "libsrtp key length");

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -EIO;
static enum cascade_srtp_backend backend = CASCADE_SRTP_BACKEND_UNKNOWN;
static bool has_gcm;
static void (*_Atomic log_fn)(int level, const char *msg);

/* libsrtp2's log handler: hand warnings and errors to the user's function, if any. */
static void
on_srtp_log(srtp_log_level_t level, const char *msg, void *data)
{
	void (*fn)(int, const char *) = atomic_load_explicit(&log_fn, memory_order_acquire);
	int l;

	(void)data;
	if (fn == NULL)
		return;
	switch (level) {
	case srtp_log_level_error:
		l = 0;
		break;
	case srtp_log_level_warning:
		l = 1;
		break;
	case srtp_log_level_info:
		l = 2;
		break;
	default:
		l = 3;
		break;
	}
	fn(l, msg);
}

static bool
has_module(const char *name)
{
	return srtp_set_debug_module(name, 0) == srtp_err_status_ok;
}

static void
init_once_fn(void)
{
	if (srtp_init() != srtp_err_status_ok) {
		init_rc = -EIO;
		return;
	}
	srtp_install_log_handler(on_srtp_log, NULL);
	if (has_module("hmac sha-1 openssl"))
		backend = CASCADE_SRTP_BACKEND_OPENSSL;
	else if (has_module("hmac sha-1 nss"))
		backend = CASCADE_SRTP_BACKEND_NSS;
	else if (has_module("hmac sha-1"))
		backend = CASCADE_SRTP_BACKEND_INTERNAL;
	/* the GCM module is "aes gcm" with OpenSSL, "aes gcm nss" with NSS, absent otherwise */
	has_gcm = has_module("aes gcm") || has_module("aes gcm nss");
	if (strcmp(cascade_srtp_backend_name(backend), CASCADE_SRTP_BUILT_BACKEND) != 0) {
		init_rc = -EPROTO;
		return;
	}
	init_rc = 0;
}

int
cascade_srtp_init(void)
{
	if (pthread_once(&init_once, init_once_fn) != 0)
		return -EIO;
	return init_rc;
}

enum cascade_srtp_backend
cascade_srtp_backend(void)
{
	(void)cascade_srtp_init();
	return backend;
}

const char *
cascade_srtp_backend_name(enum cascade_srtp_backend b)
{
	switch (b) {
	case CASCADE_SRTP_BACKEND_OPENSSL:
		return "openssl";
	case CASCADE_SRTP_BACKEND_NSS:
		return "nss";
	case CASCADE_SRTP_BACKEND_INTERNAL:
		return "internal";
	case CASCADE_SRTP_BACKEND_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *
cascade_srtp_version(void)
{
	return srtp_get_version_string();
}

const char *
cascade_srtp_crypto_version(void)
{
	if (cascade_srtp_backend() != CASCADE_SRTP_BACKEND_OPENSSL)
		return "";
	return OpenSSL_version(OPENSSL_VERSION);
}

int
cascade_srtp_describe(char *buf, size_t cap)
{
	int rc = cascade_srtp_init();
	const char *crypto = cascade_srtp_crypto_version();

	if (rc == -EPROTO)
		return snprintf(
			buf, cap,
			"%s, backend %s at run time but %s at build time (mismatched libsrtp2)",
			cascade_srtp_version(), cascade_srtp_backend_name(backend),
			CASCADE_SRTP_BUILT_BACKEND);
	if (rc < 0)
		return snprintf(buf, cap, "%s, failed to initialise", cascade_srtp_version());
	return snprintf(buf, cap, "%s%s, backend %s%s%s%s", cascade_srtp_version(),
#ifdef CASCADE_SRTP_SOURCE
			" (" CASCADE_SRTP_SOURCE ")",
#else
			"",
#endif
			cascade_srtp_backend_name(backend), crypto[0] != '\0' ? " (" : "", crypto,
			crypto[0] != '\0' ? ")" : "");
}

const struct cascade_srtp_suite_info *
cascade_srtp_suite_info(enum cascade_srtp_suite s)
{
	if ((unsigned int)s >= CASCADE_SRTP_SUITE_COUNT)
		return NULL;
	return &suites[s];
}

int
cascade_srtp_suite_from_name(const char *name, enum cascade_srtp_suite *out)
{
	unsigned int i;

	if (name == NULL)
		return -EINVAL;
	for (i = 0; i < CASCADE_SRTP_SUITE_COUNT; i++)
		if (strcmp(name, suites[i].name) == 0) {
			*out = (enum cascade_srtp_suite)i;
			return 0;
		}
	return -EINVAL;
}

bool
cascade_srtp_suite_is_supported(enum cascade_srtp_suite s)
{
	if (cascade_srtp_suite_info(s) == NULL || cascade_srtp_init() < 0)
		return false;
	if (s == CASCADE_SRTP_AEAD_AES_128_GCM || s == CASCADE_SRTP_AEAD_AES_256_GCM)
		return has_gcm;
	return true;
}

int
cascade_srtp_key_generate(enum cascade_srtp_suite s, uint8_t *master, size_t cap)
{
	const struct cascade_srtp_suite_info *si = cascade_srtp_suite_info(s);

	if (si == NULL || master == NULL)
		return -EINVAL;
	if (cap < si->master_bytes)
		return -ENOBUFS;
	if (RAND_bytes(master, si->master_bytes) != 1) {
		OPENSSL_cleanse(master, si->master_bytes);
		return -EIO;
	}
	return 0;
}

int
cascade_srtp_key_to_base64(const uint8_t *key, size_t len, char *out, size_t cap)
{
	size_t need;

	if (key == NULL || out == NULL || len > CASCADE_SRTP_MASTER_MAX_BYTES * 16)
		return -EINVAL;
	need = (len + 2) / 3 * 4;
	if (cap < need + 1)
		return -ENOBUFS;
	return EVP_EncodeBlock((unsigned char *)out, key, (int)len);
}

/* The value of one character of the RFC 4648 §4 alphabet, or -1. */
static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
cascade_srtp_key_from_base64(enum cascade_srtp_suite s, const char *b64, uint8_t *master,
			     size_t cap)
{
	const struct cascade_srtp_suite_info *si = cascade_srtp_suite_info(s);
	/* EVP_DecodeBlock writes 3 bytes per 4 characters, padding included */
	uint8_t tmp[CASCADE_SRTP_KEY_BASE64_MAX / 4 * 3];
	size_t n, pad = 0, i, decoded;
	int v;

	if (si == NULL || b64 == NULL || master == NULL)
		return -EINVAL;
	if (cap < si->master_bytes)
		return -ENOBUFS;
	OPENSSL_cleanse(master, si->master_bytes);
	/* anything longer than the longest suite's key cannot be one, whatever it holds */
	n = strnlen(b64, CASCADE_SRTP_KEY_BASE64_MAX + 4);
	if (n == 0 || n % 4 != 0)
		return n > CASCADE_SRTP_KEY_BASE64_MAX ? -EMSGSIZE : -EILSEQ;
	if (b64[n - 1] == '=')
		pad = b64[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n - pad; i++)
		if (b64_value(b64[i]) < 0)
			return -EILSEQ;
	/* canonical: the bits a padded group leaves over are zero (RFC 4648 §3.5) */
	v = b64_value(b64[n - pad - 1]);
	if ((pad == 1 && (v & 0x03) != 0) || (pad == 2 && (v & 0x0f) != 0))
		return -EILSEQ;
	decoded = n / 4 * 3 - pad;
	if (decoded != si->master_bytes)
		return -EMSGSIZE;
	if (EVP_DecodeBlock(tmp, (const unsigned char *)b64, (int)n) != (int)(n / 4 * 3)) {
		OPENSSL_cleanse(tmp, sizeof(tmp));
		return -EILSEQ;
	}
	memcpy(master, tmp, decoded);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return (int)decoded;
}

/* The one translation of libsrtp2's status codes (see the header for the meanings). */
static int
status_errno(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
		return -EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return -EALREADY;
	case srtp_err_status_no_ctx:
		return -ENOENT;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return -EINVAL;
	case srtp_err_status_key_expired:
		return -EKEYEXPIRED;
	case srtp_err_status_alloc_fail:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static void
policy_set_suite(srtp_policy_t *p, enum cascade_srtp_suite s)
{
	switch (s) {
	case CASCADE_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case CASCADE_SRTP_AES_CM_128_HMAC_SHA1_32:
		/* RFC 5764 §4.1.2: SRTCP keeps the 80-bit tag */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case CASCADE_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		break;
	case CASCADE_SRTP_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		break;
	case CASCADE_SRTP_SUITE_COUNT:
		break;
	}
}

struct cascade_srtp *
cascade_srtp_create(const struct cascade_srtp_conf *c)
{
	const struct cascade_srtp_suite_info *si;
	unsigned char key[SRTP_MAX_KEY_LEN];
	struct cascade_srtp *s = NULL;
	srtp_policy_t p;
	srtp_err_status_t st;
	int err = 0, rc;

	if (c == NULL || (si = cascade_srtp_suite_info(c->suite)) == NULL ||
	    (c->dir != CASCADE_SRTP_INBOUND && c->dir != CASCADE_SRTP_OUTBOUND) ||
	    (c->replay_window != 0 && (c->replay_window < 64 || c->replay_window > 0x7fff)) ||
	    c->master == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (c->master_len != si->master_bytes) {
		errno = EMSGSIZE;
		return NULL;
	}
	rc = cascade_srtp_init();
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	if (!cascade_srtp_suite_is_supported(c->suite)) {
		errno = ENOTSUP;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	policy_set_suite(&p, c->suite);
	if (c->any_ssrc) {
		p.ssrc.type = c->dir == CASCADE_SRTP_INBOUND ? ssrc_any_inbound : ssrc_any_outbound;
	} else {
		p.ssrc.type = ssrc_specific;
		p.ssrc.value = c->ssrc;
	}
	memcpy(key, c->master, si->master_bytes);
	p.key = key;
	p.window_size = c->replay_window != 0 ? c->replay_window : 128;
	p.allow_repeat_tx = c->dir == CASCADE_SRTP_OUTBOUND && c->allow_repeat_tx;
	p.next = NULL;
	st = srtp_create(&s->ctx, &p);
	OPENSSL_cleanse(key, sizeof(key));
	if (st != srtp_err_status_ok) {
		err = st == srtp_err_status_alloc_fail  ? ENOMEM
		      : st == srtp_err_status_bad_param ? EINVAL
							: EIO;
		goto fail;
	}
	s->suite = c->suite;
	s->rtp_trailer_bytes = si->rtp_trailer_bytes;
	s->rtcp_trailer_bytes = si->rtcp_trailer_bytes;
	return s;
fail:
	free(s);
	errno = err;
	return NULL;
}

void
cascade_srtp_destroy(struct cascade_srtp *s)
{
	if (s == NULL)
		return;
	/* srtp_dealloc wipes and frees libsrtp's key schedule */
	if (s->ctx != NULL)
		srtp_dealloc(s->ctx);
	free(s);
}

enum cascade_srtp_suite
cascade_srtp_suite(const struct cascade_srtp *s)
{
	return s->suite;
}

/* Lengths libsrtp2 can take (it counts in int) with room for the trailer. */
static int
check_room(size_t len, size_t cap, size_t trailer)
{
	if (len > (size_t)INT_MAX - CASCADE_SRTP_RTCP_TRAILER_MAX)
		return -EINVAL;
	if (cap < len + trailer)
		return -ENOBUFS;
	return 0;
}

int
cascade_srtp_protect_rtp(struct cascade_srtp *s, uint8_t *pkt, size_t *len, size_t cap)
{
	int n, rc;

	rc = check_room(*len, cap, s->rtp_trailer_bytes);
	if (rc < 0)
		return rc;
	n = (int)*len;
	rc = status_errno(srtp_protect(s->ctx, pkt, &n));
	if (rc == 0)
		*len = (size_t)n;
	return rc;
}

int
cascade_srtp_unprotect_rtp(struct cascade_srtp *s, uint8_t *pkt, size_t *len)
{
	int n, rc;

	if (*len > INT_MAX)
		return -EINVAL;
	n = (int)*len;
	rc = status_errno(srtp_unprotect(s->ctx, pkt, &n));
	if (rc == 0)
		*len = (size_t)n;
	return rc;
}

int
cascade_srtp_protect_rtcp(struct cascade_srtp *s, uint8_t *pkt, size_t *len, size_t cap)
{
	int n, rc;

	rc = check_room(*len, cap, s->rtcp_trailer_bytes);
	if (rc < 0)
		return rc;
	n = (int)*len;
	rc = status_errno(srtp_protect_rtcp(s->ctx, pkt, &n));
	if (rc == 0)
		*len = (size_t)n;
	return rc;
}

int
cascade_srtp_unprotect_rtcp(struct cascade_srtp *s, uint8_t *pkt, size_t *len)
{
	int n, rc;

	if (*len > INT_MAX)
		return -EINVAL;
	n = (int)*len;
	rc = status_errno(srtp_unprotect_rtcp(s->ctx, pkt, &n));
	if (rc == 0)
		*len = (size_t)n;
	return rc;
}

const char *
cascade_srtp_strerror(int rc)
{
	switch (rc) {
	case 0:
		return "ok";
	case -EBADMSG:
		return "authentication failed";
	case -EALREADY:
		return "replayed or too old packet";
	case -ENOENT:
		return "no stream for this SSRC";
	case -EINVAL:
		return "malformed packet or bad argument";
	case -ENOBUFS:
		return "no room for the SRTP trailer";
	case -EKEYEXPIRED:
		return "key usage limit reached";
	case -ENOTSUP:
		return "crypto suite not supported by this libsrtp2 build";
	case -EILSEQ:
		return "keyBase64 is not valid base64";
	case -EMSGSIZE:
		return "key length does not match the crypto suite";
	case -ENOMEM:
		return "out of memory";
	case -EPROTO:
		return "libsrtp2 backend differs from the one found at build time";
	default:
		return "libsrtp2 failure";
	}
}

void
cascade_srtp_set_log(void (*fn)(int level, const char *msg))
{
	atomic_store_explicit(&log_fn, fn, memory_order_release);
}
