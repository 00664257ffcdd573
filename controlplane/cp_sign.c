/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Signed records and signed inter-node requests (see cp_sign.h). Each MAC is
 * one HMAC() over one buffer laid out as the header says; the parts are
 * separated by NUL bytes, which none of them may contain (ids, keys, paths,
 * decimal times, hex digests, and JSON text, which escapes NUL), so no two
 * different inputs lay out the same.
 *
 * Layer: leaf.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cp_sign.h"

#define REC_LABEL "cascade record v1"
#define PEER_LABEL "cascade peer v1"

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return -EINVAL;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return 0;
}

/* HMAC-SHA256 under k of the parts, NUL-separated. 0, or -ENOMEM / -EIO. */
static int
mac_parts(const uint8_t *key, size_t key_len, const char *const *parts, unsigned int n,
	  uint8_t out[CP_SIGN_BYTES])
{
	size_t len = 0, off = 0;
	unsigned int i, out_len = 0;
	char *buf;
	int rc = 0;

	for (i = 0; i < n; i++)
		len += strlen(parts[i]) + 1;
	buf = malloc(len);
	if (buf == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		size_t l = strlen(parts[i]) + (i + 1 < n ? 1 : 0);

		memcpy(buf + off, parts[i], l);
		off += l;
	}
	if (HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)buf, off, out, &out_len) ==
		    NULL ||
	    out_len != CP_SIGN_BYTES)
		rc = -EIO;
	free(buf);
	return rc;
}

int
cp_sign_derive(const char *secret, const char *label, struct cp_sign_key *out)
{
	unsigned int n = 0;

	if (secret == NULL || secret[0] == '\0')
		return -EINVAL;
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)label,
		 strlen(label), out->b, &n) == NULL ||
	    n != CP_SIGN_BYTES)
		return -EIO;
	return 0;
}

int64_t
cp_sign_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- records --------------------------------------------------------------------------------- */

/* The MAC of rec (without "sig") as stored under redis_key / field. */
static int
record_mac(const struct cp_sign_key *k, const char *redis_key, const char *field, const json_t *rec,
	   uint8_t out[CP_SIGN_BYTES])
{
	json_t *copy = json_copy((json_t *)rec); /* shallow: dumping changes nothing */
	char *canon;
	int rc;

	if (copy == NULL)
		return -ENOMEM;
	json_object_del(copy, "sig");
	canon = json_dumps(copy, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(copy);
	if (canon == NULL)
		return -ENOMEM;
	{
		const char *parts[] = {REC_LABEL, redis_key, field, canon};

		rc = mac_parts(k->b, sizeof(k->b), parts, 4, out);
	}
	free(canon);
	return rc;
}

int
cp_sign_record(const struct cp_sign_key *k, const char *redis_key, const char *field, json_t *rec)
{
	uint8_t mac[CP_SIGN_BYTES];
	char text[CP_SIGN_HEX + 1];
	int rc;

	if (!json_is_object(rec))
		return -EINVAL;
	rc = record_mac(k, redis_key, field, rec, mac);
	if (rc < 0)
		return rc;
	hex(mac, sizeof(mac), text);
	return json_object_set_new(rec, "sig", json_string(text)) == 0 ? 0 : -ENOMEM;
}

int
cp_sign_record_check(const struct cp_sign_key *k, const char *redis_key, const char *field,
		     const json_t *rec, struct cp_err *err)
{
	const json_t *sig = json_object_get(rec, "sig");
	uint8_t want[CP_SIGN_BYTES], got[CP_SIGN_BYTES];
	int rc;

	if (!json_is_object(rec))
		return cp_err_set(err, -EACCES, "record: not an object");
	if (!json_is_string(sig))
		return cp_err_set(err, -EACCES,
				  "sig: missing (not written by a node of this cluster)");
	if (unhex(json_string_value(sig), got, sizeof(got)) < 0)
		return cp_err_set(err, -EACCES, "sig: not 64 lowercase hex digits");
	rc = record_mac(k, redis_key, field, rec, want);
	if (rc < 0)
		return cp_err_set(err, rc, "sig: cannot compute (%s)", strerror(-rc));
	if (CRYPTO_memcmp(want, got, sizeof(want)) != 0)
		return cp_err_set(err, -EACCES,
				  "sig: does not verify (not signed with this cluster's secret "
				  "for %s%s%s)",
				  redis_key, field[0] != '\0' ? " " : "", field);
	return 0;
}

/* ---- inter-node requests ----------------------------------------------------------------------- */

static int
peer_mac(const struct cp_sign_key *k, const char *from, const char *to, const char *method,
	 const char *path, const void *body, size_t body_len, const char *time,
	 uint8_t out[CP_SIGN_BYTES])
{
	uint8_t digest[32];
	char dhex[65];
	unsigned int n = 0;

	if (EVP_Digest(body_len > 0 ? body : "", body_len, digest, &n, EVP_sha256(), NULL) != 1 ||
	    n != sizeof(digest))
		return -EIO;
	hex(digest, sizeof(digest), dhex);
	{
		const char *parts[] = {PEER_LABEL, from, to, method, path, time, dhex};

		return mac_parts(k->b, sizeof(k->b), parts, 7, out);
	}
}

int
cp_sign_peer_make(const struct cp_sign_key *k, const char *from, const char *to, const char *method,
		  const char *path, const void *body, size_t body_len, int64_t time_ms,
		  struct cp_sign_peer_hdrs *out)
{
	uint8_t mac[CP_SIGN_BYTES];
	int rc;

	snprintf(out->time, sizeof(out->time), "%lld", (long long)time_ms);
	rc = peer_mac(k, from, to, method, path, body, body_len, out->time, mac);
	if (rc < 0)
		return rc;
	hex(mac, sizeof(mac), out->sig);
	return 0;
}

int
cp_sign_peer_parse(const char *node, const char *time, const char *sig, struct cp_sign_peer *out,
		   struct cp_err *err)
{
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (node == NULL || time == NULL || sig == NULL)
		return cp_err_set(err, -EACCES, "inter-node call without %s, %s and %s",
				  CP_SIGN_HDR_NODE, CP_SIGN_HDR_TIME, CP_SIGN_HDR_SIG);
	if (!cp_node_id_ok(node))
		return cp_err_set(err, -EACCES, CP_SIGN_HDR_NODE ": not a node id");
	snprintf(out->node, sizeof(out->node), "%s", node);
	n = strlen(time);
	if (n == 0 || n > 15 || (time[0] == '0' && n > 1))
		return cp_err_set(err, -EACCES,
				  CP_SIGN_HDR_TIME ": ms since the epoch, in decimal");
	for (i = 0; i < n; i++) {
		if (time[i] < '0' || time[i] > '9')
			return cp_err_set(err, -EACCES,
					  CP_SIGN_HDR_TIME ": ms since the epoch, in decimal");
		out->time_ms = out->time_ms * 10 + (time[i] - '0');
	}
	if (unhex(sig, out->mac, sizeof(out->mac)) < 0)
		return cp_err_set(err, -EACCES, CP_SIGN_HDR_SIG ": 64 lowercase hex digits");
	return 0;
}

int
cp_sign_peer_check(const struct cp_sign_key *k, const struct cp_sign_peer *p, const char *to,
		   const char *method, const char *path, const void *body, size_t body_len,
		   int64_t now_ms, struct cp_err *err)
{
	uint8_t want[CP_SIGN_BYTES];
	char time[24];
	int rc;

	if (p->time_ms < now_ms - CP_SIGN_PEER_WINDOW_MS ||
	    p->time_ms > now_ms + CP_SIGN_PEER_WINDOW_MS)
		return cp_err_set(err, -ESTALE,
				  CP_SIGN_HDR_TIME ": stale (%lld ms from this node's clock; "
						   "the window is %d ms)",
				  (long long)(p->time_ms - now_ms), CP_SIGN_PEER_WINDOW_MS);
	snprintf(time, sizeof(time), "%lld", (long long)p->time_ms);
	rc = peer_mac(k, p->node, to, method, path, body, body_len, time, want);
	if (rc < 0)
		return cp_err_set(err, rc, "signature: cannot compute (%s)", strerror(-rc));
	if (CRYPTO_memcmp(want, p->mac, sizeof(want)) != 0)
		return cp_err_set(err, -EACCES, CP_SIGN_HDR_SIG ": does not verify");
	return 0;
}

bool
cp_sign_replay_seen(struct cp_sign_replay *r, const uint8_t mac[CP_SIGN_BYTES], int64_t now_ms)
{
	unsigned int i;

	for (i = 0; i < CP_SIGN_REPLAY_SLOTS; i++)
		if (r->slot[i].until_ms > now_ms &&
		    CRYPTO_memcmp(r->slot[i].mac, mac, CP_SIGN_BYTES) == 0)
			return true;
	memcpy(r->slot[r->next].mac, mac, CP_SIGN_BYTES);
	r->slot[r->next].until_ms = now_ms + 2 * CP_SIGN_PEER_WINDOW_MS;
	r->next = (r->next + 1) % CP_SIGN_REPLAY_SLOTS;
	return false;
}
