/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration: one JSON file per node (--config), then command-line flags
 * that override single fields, then the secrets, then one validation pass.
 * Every failure stops the process at start with one line naming the field, as
 * the file spells it (media.port_min) or as the flag does (--port-range).
 * Unknown keys are refused too, so a typo never silently falls back to a
 * default.
 *
 * No flag carries a secret: argv is world-readable in /proc/PID/cmdline. The
 * API token, the cluster secret and the Redis password come from the
 * environment, a systemd credential, a file the configuration names
 * (api.token_file, cluster.secret_file, redis.password_file) or, for the
 * first two, inline in the configuration file (cp_secret.h says which wins).
 *
 * Layer: leaf.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cascade_srtp.h"
#include "cp_config.h"
#include "cp_secret.h"

static int
bad(const char *field, const char *why)
{
	fprintf(stderr, "cascade-cp: config: %s: %s\n", field, why);
	return -1;
}

static int
copy_str(char *dst, size_t cap, const char *src, const char *field)
{
	if (strlen(src) == 0 || strlen(src) >= cap)
		return bad(field, "empty or too long");
	snprintf(dst, cap, "%s", src);
	return 0;
}

static int
get_str(json_t *obj, const char *key, const char *field, char *dst, size_t cap)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return bad(field, "must be a string");
	return copy_str(dst, cap, json_string_value(v), field);
}

static int
get_port(json_t *obj, const char *key, const char *field, uint16_t *dst)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535)
		return bad(field, "must be an integer in 1..65535");
	*dst = (uint16_t)json_integer_value(v);
	return 0;
}

/* Refuse keys the schema does not know: a typo must not pass as a default. */
static int
only_keys(json_t *obj, const char *where, const char *const *known)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		const char *const *k;
		bool ok = false;

		(void)v;
		for (k = known; *k != NULL; k++)
			ok |= strcmp(*k, key) == 0;
		if (!ok) {
			char field[128];
			snprintf(field, sizeof(field), "%s%s%s", where, *where ? "." : "", key);
			return bad(field, "unknown key");
		}
	}
	return 0;
}

static int
section(json_t *root, const char *name, json_t **out, const char *const *known)
{
	*out = json_object_get(root, name);
	if (*out == NULL)
		return 0;
	if (!json_is_object(*out))
		return bad(name, "must be an object");
	return only_keys(*out, name, known);
}

static int
parse_host_port(const char *s, const char *field, char *host, size_t cap, uint16_t *port)
{
	if (cp_hostport_parse(s, host, cap, port) < 0)
		return bad(field, "expected IP:PORT ([IPv6]:PORT), the port 1..65535");
	return 0;
}

/*
 * cluster.pipe_srtp / --pipe-srtp: "none" (plain RTP between nodes, the
 * default) or an SRTP suite by its mediasoup name, which must be in this
 * build's libsrtp2. Every node of a cluster must say the same: a node refuses
 * a pipe request in another suite.
 */
static int
pipe_srtp_parse(const char *s, const char *field, struct cp_config *c)
{
	enum cascade_srtp_suite ws;

	if (strcmp(s, "none") == 0) {
		c->pipe_srtp = CASCADE_SUITE_NONE;
		return 0;
	}
	if (cascade_srtp_suite_from_name(s, &ws) < 0)
		return bad(field, "\"none\" or one of AES_CM_128_HMAC_SHA1_80, "
				  "AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM");
	if (!cascade_srtp_suite_is_supported(ws))
		return bad(field, "this suite is not in this build's libsrtp2");
	c->pipe_srtp = (uint8_t)(ws + 1);
	return 0;
}

/*
 * The networks other nodes' API addresses may be in; a node never calls an
 * address outside them, whatever Redis says. The default: loopback, the
 * private ranges (RFC 1918, RFC 4193 ULA) and the benchmarking ranges the lab
 * uses (RFC 2544's 198.18.0.0/15, RFC 5180's 2001:2::/48).
 */
static const char *const default_peer_nets[] = {
	"127.0.0.0/8",    "::1/128",      "10.0.0.0/8",    "172.16.0.0/12",
	"192.168.0.0/16", "fc00::/7",     "198.18.0.0/15", "2001:2::/48",
};

static int
peer_nets_parse(json_t *v, struct cp_config *c)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > CP_MAX_PEER_NETS)
		return bad("cluster.peer_networks", "must be an array of 1 to 32 networks");
	c->n_peer_nets = 0;
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || cp_cidr_parse(json_string_value(e), &c->peer_nets[i]) < 0)
			return bad("cluster.peer_networks",
				   "every entry must be ADDR/BITS (IPv4 or IPv6, no bits set past "
				   "the prefix)");
		c->n_peer_nets++;
	}
	return 0;
}

static int
load_file(struct cp_config *c, const char *path)
{
	static const char *const top[] = {"node_id", "media", "api", "dataplane", "redis", "cluster",
					  "state", NULL};
	static const char *const state_k[] = {"file", NULL};
	static const char *const media_k[] = {"ips", "port_min", "port_max", "interface", NULL};
	static const char *const api_k[] = {"listen", "token", "token_file", "metrics_auth", NULL};
	static const char *const dp_k[] = {"segment", "reconcile_ms", NULL};
	static const char *const redis_k[] = {"url", "prefix", "username", "password_file", NULL};
	static const char *const cluster_k[] = {"secret",    "secret_file", "pipe_port", "node_ttl_ms",
						"pipe_srtp", "peer_networks", NULL};
	json_t *root, *media, *api, *dpl, *redis, *cluster, *state, *v;
	json_error_t err;
	int rc = -1;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		fprintf(stderr, "cascade-cp: config: %s:%d:%d: %s\n", path, err.line, err.column,
			err.text);
		return -1;
	}
	if (!json_is_object(root)) {
		bad("(top level)", "must be an object");
		goto out;
	}
	if (only_keys(root, "", top) < 0 || section(root, "media", &media, media_k) < 0 ||
	    section(root, "api", &api, api_k) < 0 || section(root, "dataplane", &dpl, dp_k) < 0 ||
	    section(root, "redis", &redis, redis_k) < 0 ||
	    section(root, "cluster", &cluster, cluster_k) < 0 ||
	    section(root, "state", &state, state_k) < 0)
		goto out;
	if (state != NULL &&
	    get_str(state, "file", "state.file", c->state_file, sizeof(c->state_file)) < 0)
		goto out;
	if (get_str(root, "node_id", "node_id", c->node_id, sizeof(c->node_id)) < 0)
		goto out;
	if (media != NULL) {
		v = json_object_get(media, "ips");
		if (v != NULL) {
			size_t i;
			json_t *ip;
			if (!json_is_array(v) || json_array_size(v) == 0 ||
			    json_array_size(v) > CP_MAX_MEDIA_IPS) {
				bad("media.ips", "must be an array of 1 to 8 addresses");
				goto out;
			}
			c->n_media_ips = 0;
			json_array_foreach(v, i, ip)
			{
				if (!json_is_string(ip) ||
				    copy_str(c->media_ips[i], sizeof(c->media_ips[i]),
					     json_string_value(ip), "media.ips") < 0) {
					bad("media.ips", "every entry must be an address string");
					goto out;
				}
				c->n_media_ips++;
			}
		}
		if (get_port(media, "port_min", "media.port_min", &c->port_min) < 0 ||
		    get_port(media, "port_max", "media.port_max", &c->port_max) < 0 ||
		    get_str(media, "interface", "media.interface", c->media_iface,
			    sizeof(c->media_iface)) < 0)
			goto out;
	}
	if (api != NULL) {
		v = json_object_get(api, "listen");
		if (v != NULL && (!json_is_string(v) ||
				  parse_host_port(json_string_value(v), "api.listen", c->api_host,
						  sizeof(c->api_host), &c->api_port) < 0)) {
			if (!json_is_string(v))
				bad("api.listen", "must be a string HOST:PORT");
			goto out;
		}
		if (get_str(api, "token", "api.token", c->api_token, sizeof(c->api_token)) < 0 ||
		    get_str(api, "token_file", "api.token_file", c->api_token_file,
			    sizeof(c->api_token_file)) < 0)
			goto out;
		if (c->api_token[0] != '\0' && c->api_token_file[0] != '\0') {
			bad("api.token_file", "set api.token or api.token_file, not both");
			goto out;
		}
		if (c->api_token[0] != '\0')
			cp_secret_check_mode(path, "api.token");
		v = json_object_get(api, "metrics_auth");
		if (v != NULL) {
			if (!json_is_boolean(v)) {
				bad("api.metrics_auth", "must be true or false");
				goto out;
			}
			c->metrics_auth = json_is_true(v);
		}
	}
	if (dpl != NULL &&
	    get_str(dpl, "segment", "dataplane.segment", c->segment, sizeof(c->segment)) < 0)
		goto out;
	v = dpl != NULL ? json_object_get(dpl, "reconcile_ms") : NULL;
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 100 ||
		    json_integer_value(v) > 3600000) {
			bad("dataplane.reconcile_ms", "must be an integer in 100..3600000");
			goto out;
		}
		c->reconcile_ms = (unsigned int)json_integer_value(v);
	}
	if (redis != NULL &&
	    (get_str(redis, "url", "redis.url", c->redis_url, sizeof(c->redis_url)) < 0 ||
	     get_str(redis, "prefix", "redis.prefix", c->redis_prefix, sizeof(c->redis_prefix)) <
		     0 ||
	     get_str(redis, "username", "redis.username", c->redis_username,
		     sizeof(c->redis_username)) < 0 ||
	     get_str(redis, "password_file", "redis.password_file", c->redis_password_file,
		     sizeof(c->redis_password_file)) < 0))
		goto out;
	if (cluster != NULL) {
		if (get_str(cluster, "secret", "cluster.secret", c->cluster_secret,
			    sizeof(c->cluster_secret)) < 0 ||
		    get_str(cluster, "secret_file", "cluster.secret_file", c->cluster_secret_file,
			    sizeof(c->cluster_secret_file)) < 0 ||
		    get_port(cluster, "pipe_port", "cluster.pipe_port", &c->pipe_port) < 0)
			goto out;
		if (c->cluster_secret[0] != '\0' && c->cluster_secret_file[0] != '\0') {
			bad("cluster.secret_file",
			    "set cluster.secret or cluster.secret_file, not both");
			goto out;
		}
		if (c->cluster_secret[0] != '\0')
			cp_secret_check_mode(path, "cluster.secret");
		v = json_object_get(cluster, "node_ttl_ms");
		if (v != NULL) {
			if (!json_is_integer(v) || json_integer_value(v) < 500 ||
			    json_integer_value(v) > 600000) {
				bad("cluster.node_ttl_ms", "must be an integer in 500..600000");
				goto out;
			}
			c->node_ttl_ms = (unsigned int)json_integer_value(v);
		}
		v = json_object_get(cluster, "pipe_srtp");
		if (v != NULL &&
		    (!json_is_string(v) ||
		     pipe_srtp_parse(json_string_value(v), "cluster.pipe_srtp", c) < 0))
			goto out;
		v = json_object_get(cluster, "peer_networks");
		if (v != NULL && peer_nets_parse(v, c) < 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* The secrets, from wherever each is (cp_secret_load), once the file and the flags are in. */
static int
load_secrets(struct cp_config *c)
{
	static const struct cp_secret_src token = {"CASCADE_API_TOKEN", "api-token",
						   "api.token_file", "api.token"};
	static const struct cp_secret_src secret = {"CASCADE_CLUSTER_SECRET", "cluster-secret",
						    "cluster.secret_file", "cluster.secret"};
	static const struct cp_secret_src redis_pw = {"CASCADE_REDIS_PASSWORD", "redis-password",
						      "redis.password_file", NULL};
	bool cluster = c->redis_url[0] != '\0';

	if (cp_secret_load(&token, c->api_token_file, 16, c->api_token, sizeof(c->api_token)) < 0)
		return -1;
	/* a standalone node has no use for the others; they are not even read */
	if (!cluster)
		return 0;
	if (cp_secret_load(&secret, c->cluster_secret_file, 16, c->cluster_secret,
			   sizeof(c->cluster_secret)) < 0 ||
	    cp_secret_load(&redis_pw, c->redis_password_file, 0, c->redis_password,
			   sizeof(c->redis_password)) < 0)
		return -1;
	if (c->redis_username[0] != '\0' && c->redis_password[0] == '\0')
		return bad("redis.password_file", "required with redis.username");
	return 0;
}

static int
validate(struct cp_config *c)
{
	unsigned int i;
	size_t k;

	if (c->node_id[0] == '\0')
		return bad("node_id", "required (stable across restarts)");
	if (!cp_node_id_ok(c->node_id))
		return bad("node_id", "letters, digits, '-', '_' and '.' only");
	if (c->n_media_ips == 0)
		return bad("media.ips", "at least one media address is required");
	for (i = 0; i < c->n_media_ips; i++)
		if (!cp_ip_ok(c->media_ips[i]))
			return bad("media.ips", "not an IPv4 or IPv6 address");
	if (c->port_min == 0 || c->port_max == 0 || c->port_min > c->port_max)
		return bad("media.port_min", "port_min and port_max must be set, port_min <= port_max");
	if (c->api_port == 0)
		return bad("api.listen", "required, HOST:PORT");
	if (!cp_ip_ok(c->api_host))
		return bad("api.listen", "host must be an IP address (the node's control address)");
	for (k = 0; c->segment[k] != '\0'; k++)
		if (!((c->segment[k] >= 'a' && c->segment[k] <= 'z') ||
		      (c->segment[k] >= 'A' && c->segment[k] <= 'Z') ||
		      (c->segment[k] >= '0' && c->segment[k] <= '9') || c->segment[k] == '-' ||
		      c->segment[k] == '_'))
			return bad("dataplane.segment", "letters, digits, '-' and '_' only");
	if (c->redis_url[0] != '\0' &&
	    cp_url_parse(c->redis_url, "redis", c->redis_host, sizeof(c->redis_host),
			 &c->redis_port) < 0)
		return bad("redis.url", "must be redis://IP:PORT (an IPv6 address in [])");
	if (load_secrets(c) < 0)
		return -1;
	if (c->redis_url[0] != '\0') {
		/* cluster mode: other nodes call us and send us media */
		if (c->pipe_port == 0)
			return bad("cluster.pipe_port", "required with redis.url");
	}
	if (c->pipe_port != 0 && c->pipe_port >= c->port_min && c->pipe_port <= c->port_max)
		return bad("cluster.pipe_port", "must lie outside media.port_min..port_max");
	return 0;
}

int
cp_config_load(struct cp_config *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"node-id", required_argument, NULL, 'n'},
		{"api-listen", required_argument, NULL, 'l'},
		{"api-token", required_argument, NULL, 't'},
		{"segment", required_argument, NULL, 's'},
		{"redis-url", required_argument, NULL, 'r'},
		{"media-ip", required_argument, NULL, 'm'},
		{"port-range", required_argument, NULL, 'p'},
		{"state-file", required_argument, NULL, 'f'},
		{"cluster-secret", required_argument, NULL, 'x'},
		{"pipe-port", required_argument, NULL, 'P'},
		{"pipe-srtp", required_argument, NULL, 'S'},
		{"media-interface", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	bool ips_from_flags = false;
	int ch;

	memset(c, 0, sizeof(*c));
	snprintf(c->segment, sizeof(c->segment), "default");
	snprintf(c->redis_prefix, sizeof(c->redis_prefix), "cascade");
	c->node_ttl_ms = 3000;
	c->reconcile_ms = 10000;
	c->metrics_auth = true; /* open only when the configuration says so */
	for (ch = 0; ch < (int)(sizeof(default_peer_nets) / sizeof(default_peer_nets[0])); ch++)
		(void)cp_cidr_parse(default_peer_nets[ch], &c->peer_nets[c->n_peer_nets++]);
	/* the file first, wherever --config stands, so that flags override it */
	for (ch = 1; ch < argc; ch++) {
		if (strcmp(argv[ch], "--config") == 0 && ch + 1 < argc)
			path = argv[ch + 1];
		else if (strncmp(argv[ch], "--config=", 9) == 0)
			path = argv[ch] + 9;
	}
	if (path != NULL && load_file(c, path) < 0)
		return -1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			break;
		case 'n':
			if (copy_str(c->node_id, sizeof(c->node_id), optarg, "--node-id") < 0)
				return -1;
			break;
		case 'l':
			if (parse_host_port(optarg, "--api-listen", c->api_host, sizeof(c->api_host),
					    &c->api_port) < 0)
				return -1;
			break;
		case 't':
			return bad("--api-token",
				   "removed: a secret on the command line is visible to "
				   "every local user; use api.token_file or "
				   "CASCADE_API_TOKEN");
		case 's':
			if (copy_str(c->segment, sizeof(c->segment), optarg, "--segment") < 0)
				return -1;
			break;
		case 'r':
			if (copy_str(c->redis_url, sizeof(c->redis_url), optarg, "--redis-url") < 0)
				return -1;
			break;
		case 'm':
			if (!ips_from_flags)
				c->n_media_ips = 0; /* flags replace the file's list */
			ips_from_flags = true;
			if (c->n_media_ips == CP_MAX_MEDIA_IPS)
				return bad("--media-ip", "at most 8");
			if (copy_str(c->media_ips[c->n_media_ips], sizeof(c->media_ips[0]), optarg,
				     "--media-ip") < 0)
				return -1;
			c->n_media_ips++;
			break;
		case 'p': {
			unsigned int a, b;
			char extra;
			if (sscanf(optarg, "%u-%u%c", &a, &b, &extra) != 2 || a < 1 || b > 65535)
				return bad("--port-range", "expected MIN-MAX within 1..65535");
			c->port_min = (uint16_t)a;
			c->port_max = (uint16_t)b;
			break;
		}
		case 'f':
			if (copy_str(c->state_file, sizeof(c->state_file), optarg, "--state-file") < 0)
				return -1;
			break;
		case 'i':
			if (copy_str(c->media_iface, sizeof(c->media_iface), optarg,
				     "--media-interface") < 0)
				return -1;
			break;
		case 'x':
			return bad("--cluster-secret",
				   "removed: a secret on the command line is visible "
				   "to every local user; use cluster.secret_file or "
				   "CASCADE_CLUSTER_SECRET");
		case 'P': {
			unsigned int a;
			char extra;
			if (sscanf(optarg, "%u%c", &a, &extra) != 1 || a < 1 || a > 65535)
				return bad("--pipe-port", "expected a port in 1..65535");
			c->pipe_port = (uint16_t)a;
			break;
		}
		case 'S':
			if (pipe_srtp_parse(optarg, "--pipe-srtp", c) < 0)
				return -1;
			break;
		case 'h':
			printf("usage: cascade-cp [--config FILE] [--node-id ID] [--api-listen IP:PORT]\n"
			       "       [--segment NAME] [--redis-url URL]\n"
			       "       [--media-ip IP]... [--port-range MIN-MAX] [--state-file PATH]\n"
			       "       [--pipe-port PORT]\n"
			       "       [--pipe-srtp none|SUITE] [--media-interface IFNAME]\n"
			       "Flags override the file; see controlplane/cascade-cp.example.json.\n"
			       "Secrets are never flags: api.token_file, cluster.secret_file,\n"
			       "redis.password_file, or CASCADE_API_TOKEN, CASCADE_CLUSTER_SECRET,\n"
			       "CASCADE_REDIS_PASSWORD, or systemd credentials api-token,\n"
			       "cluster-secret, redis-password ($CREDENTIALS_DIRECTORY).\n");
			exit(0);
		default:
			fprintf(stderr, "cascade-cp: unknown option (see --help)\n");
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cascade-cp: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	return validate(c);
}
