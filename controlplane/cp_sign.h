/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the cluster secret is for (DESIGN.md 4, item 7): it signs, it is
 * never sent. Two keys are derived from it, one per use, so that a signature
 * of one kind can never pass as the other: HMAC-SHA256(secret, "cascade
 * records v1") signs the records nodes write to Redis, HMAC-SHA256(secret,
 * "cascade peers v1") the requests nodes make of each other.
 *
 * A record (a producer record, a node record as the JSON object of its hash's
 * fields) carries "sig": the lowercase hex HMAC-SHA256, under the record key,
 * of "cascade record v1" NUL redis_key NUL field NUL canonical, where
 * canonical is the record without "sig" dumped by jansson with JSON_SORT_KEYS
 * | JSON_COMPACT, redis_key the key it is stored under and field its hash
 * field ("" for a whole hash). A record copied to another key, or with any
 * field changed, no longer verifies.
 *
 * An inter-node request carries three headers: X-Cascade-Node (the sender's
 * id), X-Cascade-Time (the sender's wall clock, ms since the epoch) and
 * X-Cascade-Signature (lowercase hex HMAC-SHA256, under the peer key, of
 * "cascade peer v1" NUL from NUL to NUL method NUL path NUL time NUL
 * hex(SHA-256(body))). The receiver, node "to", accepts it within
 * CP_SIGN_PEER_WINDOW_MS of its own clock, and only once (cp_sign_replay).
 *
 * OpenSSL does the cryptography (HMAC, SHA-256, CRYPTO_memcmp). Pure
 * functions but for the replay cache, which the caller owns. Unit-tested in
 * tests/unit/test_sign.c, fuzzed through tests/fuzz/fuzz_cp_input.c.
 *
 * Layer: leaf.
 */
#ifndef CP_SIGN_H
#define CP_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cp_err.h"
#include "cp_ids.h"

#define CP_SIGN_BYTES 32
#define CP_SIGN_HEX (2 * CP_SIGN_BYTES)
#define CP_SIGN_RECORDS "cascade records v1"
#define CP_SIGN_PEERS "cascade peers v1"
/* How far a request's time may be from the receiver's clock, either way. */
#define CP_SIGN_PEER_WINDOW_MS 5000
#define CP_SIGN_HDR_NODE "X-Cascade-Node"
#define CP_SIGN_HDR_TIME "X-Cascade-Time"
#define CP_SIGN_HDR_SIG "X-Cascade-Signature"

struct cp_sign_key {
	uint8_t b[CP_SIGN_BYTES];
};

/*
 * The key for one use (label: CP_SIGN_RECORDS or CP_SIGN_PEERS) from the
 * cluster secret. 0, or -EINVAL (empty secret) / -EIO (OpenSSL failed).
 */
int cp_sign_derive(const char *secret, const char *label, struct cp_sign_key *out);

/* ---- records ---- */

/* rec (an object) signed as stored under redis_key / field: sets its "sig". 0, -ENOMEM, -EIO. */
int cp_sign_record(const struct cp_sign_key *k, const char *redis_key, const char *field,
		   json_t *rec);
/*
 * Whether rec's "sig" is the signature of rec as stored under redis_key /
 * field (constant-time comparison). 0, or -EACCES with err saying whether the
 * signature is missing or does not verify (-ENOMEM when out of memory).
 */
int cp_sign_record_check(const struct cp_sign_key *k, const char *redis_key, const char *field,
			 const json_t *rec, struct cp_err *err);

/* ---- inter-node requests ---- */

/* What a request's three headers say (parsed, not yet verified). */
struct cp_sign_peer {
	char node[CP_ID_MAX];
	int64_t time_ms;
	uint8_t mac[CP_SIGN_BYTES];
};

/* The headers of a request from node "from" to node "to" at time_ms (wall clock). */
struct cp_sign_peer_hdrs {
	char time[24];
	char sig[CP_SIGN_HEX + 1];
};
int cp_sign_peer_make(const struct cp_sign_key *k, const char *from, const char *to,
		      const char *method, const char *path, const void *body, size_t body_len,
		      int64_t time_ms, struct cp_sign_peer_hdrs *out);
/*
 * Parse the three headers (NULL: absent): node a node id, time a decimal of
 * at most 15 digits without sign or leading zero, sig 64 hex digits. 0, or
 * -EACCES with err naming the header.
 */
int cp_sign_peer_parse(const char *node, const char *time, const char *sig,
		       struct cp_sign_peer *out, struct cp_err *err);
/*
 * Whether p signs this request to node "to" and its time is within
 * CP_SIGN_PEER_WINDOW_MS of now_ms. 0, or -ESTALE (its time is outside the
 * window), -EACCES (the signature does not verify), -EIO; err says which.
 */
int cp_sign_peer_check(const struct cp_sign_key *k, const struct cp_sign_peer *p, const char *to,
		       const char *method, const char *path, const void *body, size_t body_len,
		       int64_t now_ms, struct cp_err *err);

/*
 * Requests seen: a ring of the last CP_SIGN_REPLAY_SLOTS signatures, each
 * remembered for twice the window (past that its time is stale anyway). More
 * than that many requests within one window push the oldest out early.
 */
#define CP_SIGN_REPLAY_SLOTS 1024
struct cp_sign_replay {
	struct {
		uint8_t mac[CP_SIGN_BYTES];
		int64_t until_ms;
	} slot[CP_SIGN_REPLAY_SLOTS];
	unsigned int next;
};
/* Whether mac was seen (and not yet forgotten) by now_ms; remembers it when not. */
bool cp_sign_replay_seen(struct cp_sign_replay *r, const uint8_t mac[CP_SIGN_BYTES],
			 int64_t now_ms);

/* The wall clock in ms since the epoch (the clock of X-Cascade-Time). */
int64_t cp_sign_now_ms(void);

#endif /* CP_SIGN_H */
