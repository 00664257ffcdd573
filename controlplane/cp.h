/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascade-cp's shared declarations: configuration, the dataplane driver and the
 * HTTP API. One libevent loop runs everything; nothing here is thread-safe and
 * nothing needs to be.
 */
#ifndef CP_H
#define CP_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#include <cascade/segment.h>

#define CP_MAX_MEDIA_IPS 8
#define CP_ID_MAX 64

struct cp_config {
	char node_id[CP_ID_MAX];
	char media_ips[CP_MAX_MEDIA_IPS][64];
	unsigned int n_media_ips;
	uint16_t port_min, port_max;
	char api_host[64];
	uint16_t api_port;
	char api_token[256];
	bool metrics_auth; /* /metrics needs the token too */
	char segment[CASCADE_SEG_NAME_MAX];
	char redis_url[256];
	char redis_prefix[64];
};

/*
 * Load the JSON file at path (NULL: defaults only), then apply command-line
 * overrides, then validate. Returns 0, or -1 after printing one line that
 * names the bad field (config file key or flag).
 */
int cp_config_load(struct cp_config *c, int argc, char **argv);

enum cp_dp_state {
	CP_DP_ABSENT,  /* no segment, or its heartbeat stopped */
	CP_DP_RUNNING, /* attached and alive */
};

/* Called with the dataplane's reply, or with NULL when it did not answer in time. */
typedef void (*cp_dp_cb)(const struct cascade_reply *r, void *arg);

/* Start the driver: attach now if the dataplane runs, and keep watching it. */
int cp_dp_init(struct event_base *base, const struct cp_config *cfg);
void cp_dp_fini(void);
enum cp_dp_state cp_dp_state(void);
/* The attached segment (valid while the state is RUNNING). */
const struct cascade_seg *cp_dp_seg(void);
/*
 * Send a command (req_id is assigned here) and call cb with its reply, or with
 * NULL after timeout_ms. Returns 0, -ENOTCONN when the dataplane is absent, or
 * -ENOBUFS when too many commands are in flight.
 */
int cp_dp_call(struct cascade_cmd *cmd, unsigned int timeout_ms, cp_dp_cb cb, void *arg);

/* Start the API server on cfg's address. 0 or -1 (message printed). */
int cp_http_init(struct event_base *base, const struct cp_config *cfg, uint64_t start_ns);
void cp_http_fini(void);

#endif /* CP_H */
