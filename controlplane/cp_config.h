/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascade-cp's configuration: one JSON file per node, command-line flags that
 * override single fields, secrets from files or the environment (never a
 * flag: cp_secret.h), one validation pass. Loaded once at start and read
 * only afterwards; every module gets a pointer to it at init.
 *
 * Layer: leaf.
 */
#ifndef CP_CONFIG_H
#define CP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <cascade/segment.h>

#include "cp_addr.h"
#include "cp_ids.h"

#define CP_MAX_MEDIA_IPS 8
#define CP_MAX_PEER_NETS 32

struct cp_config {
	char node_id[CP_ID_MAX];
	char media_ips[CP_MAX_MEDIA_IPS][CP_IP_MAX];
	unsigned int n_media_ips;
	uint16_t port_min, port_max;
	char media_iface[16]; /* the kernel interface the dataplane's port shares, or "" */
	char api_host[CP_IP_MAX];
	uint16_t api_port;
	char api_token[256];
	char api_token_file[256];
	bool metrics_auth; /* /metrics needs the token too (the default) */
	char segment[CASCADE_SEG_NAME_MAX];
	unsigned int reconcile_ms; /* how often the dataplane's tables are checked for orphans */
	char redis_url[256];
	char redis_host[CP_IP_MAX]; /* redis_url split (cluster mode) */
	uint16_t redis_port;
	char redis_prefix[64];
	char redis_username[128];      /* an ACL user, or "" (AUTH with the password alone) */
	char redis_password[256];      /* "" = no AUTH */
	char redis_password_file[256]; /* where it came from, when from the configuration */
	char cluster_secret[256];  /* inter-node calls carry it; required with redis_url */
	char cluster_secret_file[256];
	uint16_t pipe_port;        /* one UDP port for every pipe of this node */
	unsigned int node_ttl_ms;  /* a node whose heartbeat is older than this is dead */
	uint8_t pipe_srtp;         /* CASCADE_SUITE_* of every pipe stream; NONE = plain RTP */
	/* the only networks other nodes' API addresses may be in (cluster.peer_networks) */
	struct cp_cidr peer_nets[CP_MAX_PEER_NETS];
	unsigned int n_peer_nets;
	char state_file[256]; /* where the registry is kept across restarts; "" = nowhere */
};

/*
 * Load the JSON file at --config (none: defaults only), then apply
 * command-line overrides, then read the secrets (cp_secret_load: environment,
 * systemd credential, *_file, inline), then validate. Returns 0, or -1 after printing one
 * line that names the bad field (config file key or flag). --help prints the
 * usage and exits.
 */
int cp_config_load(struct cp_config *c, int argc, char **argv);

#endif /* CP_CONFIG_H */
