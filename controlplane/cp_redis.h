/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Redis connections (hiredis' async API on the node's libevent loop): one for
 * commands, one for the room subscriptions. Both reconnect on their own; the
 * owner hears when both are up again (and re-registers there) and when they
 * went. Event-loop thread only.
 *
 * Layer: leaf.
 */
#ifndef CP_REDIS_H
#define CP_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

/*
 * The credentials every connection sends first (AUTH [user] password; user ""
 * for a legacy requirepass, password "" for none). Copied; call before
 * cp_redis_init and cp_redis_probe.
 */
void cp_redis_set_auth(const char *user, const char *password);
/*
 * At start, before the loop: connect to host:port once (blocking, 2 s at
 * most) and authenticate, or PING without credentials. 0 when Redis accepts,
 * or cannot be reached or cannot serve yet (LOADING, BUSY: the connections
 * keep trying; why says what failed); -EACCES when Redis answers with
 * another error (a refused password, or NOAUTH when it wants one and none is
 * set), its answer in why.
 */
int cp_redis_probe(const char *host, uint16_t port, char *why, size_t cap);
/* Redis' last refusal of the credentials, NULL once they are accepted. */
const char *cp_redis_auth_error(void);
/* How many times Redis refused the credentials since start. */
uint64_t cp_redis_auth_failures(void);

/* reply is a redisReply *, NULL when the connection dropped before the answer */
typedef void (*cp_redis_cb)(void *ac, void *reply, void *arg);
/* A message on a subscribed channel (payload len bytes, not NUL-terminated for JSON use). */
typedef void (*cp_redis_msg_cb)(const char *channel, const char *payload, size_t len);

/*
 * Connect to host:port (an IP literal) and keep reconnecting. on_up runs each
 * time both connections are up again, on_down when one of them went.
 * 0, or -1 (out of memory).
 */
int cp_redis_init(struct event_base *base, const char *host, uint16_t port, void (*on_up)(void),
		  void (*on_down)(void), cp_redis_msg_cb on_msg);
void cp_redis_fini(void);
bool cp_redis_up(void);
/* Drop the connections and reconnect (one stopped answering). */
void cp_redis_reset(void);
/* Queue a command; cb may be NULL. 0, -ENOTCONN while Redis is away, -EIO. */
int cp_redis_cmd(cp_redis_cb cb, void *arg, const char *fmt, ...);
int cp_redis_cmdv(cp_redis_cb cb, void *arg, int argc, const char **argv, const size_t *argvlen);
/* SUBSCRIBE (on) or UNSUBSCRIBE a channel on the subscription connection. */
int cp_redis_subscribe(const char *channel, bool on);

#endif /* CP_REDIS_H */
