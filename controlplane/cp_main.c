/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascade-cp: the control plane, a plain process (no DPDK EAL) around one
 * libevent loop. main wires the layers together (cp.h): configuration at
 * start (a bad value stops it, naming the field, and so does a Redis that
 * refuses the node's credentials), then leaves, the registry
 * with what the state file holds, the services (each subscribes to what it
 * observes as it starts), the dataplane driver, and last the API, so no
 * request arrives before everything it may touch is there. SIGINT/SIGTERM end
 * the loop; the dataplane keeps forwarding whatever was installed.
 *
 * Layer: main.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "cp.h"
#include "cp_cluster.h"
#include "cp_dp.h"
#include "cp_dp_events.h"
#include "cp_events.h"
#include "cp_http.h"
#include "cp_install.h"
#include "cp_neigh.h"
#include "cp_pipe.h"
#include "cp_reconcile.h"
#include "cp_redis.h"
#include "cp_state.h"

/*
 * Redis' verdict on the credentials, asked once before anything starts: a
 * wrong password is a configuration error, not an outage to ride out. Redis
 * unreachable now is an outage: the connections keep trying.
 */
static int
redis_login(const struct cp_config *cfg)
{
	char why[256];

	if (cfg->redis_url[0] == '\0')
		return 0;
	cp_redis_set_auth(cfg->redis_username, cfg->redis_password);
	if (cp_redis_probe(cfg->redis_host, cfg->redis_port, why, sizeof(why)) != -EACCES) {
		if (why[0] != '\0')
			fprintf(stderr,
				"cascade-cp: redis: %s unreachable at start (%s); retrying\n",
				cfg->redis_url, why);
		return 0;
	}
	if (cfg->redis_password[0] == '\0')
		fprintf(stderr,
			"cascade-cp: config: redis.password_file: %s wants credentials and none are "
			"set (redis.password_file, CASCADE_REDIS_PASSWORD or the credential "
			"redis-password): %s\n",
			cfg->redis_url, why);
	else
		fprintf(stderr, "cascade-cp: config: redis.password_file: %s refused the %s: %s\n",
			cfg->redis_url,
			cfg->redis_username[0] != '\0' ? "password of redis.username" : "password",
			why);
	return -1;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what;
	event_base_loopbreak(arg);
}

/* Every attach: the registry against the dataplane's tables, then the pipe transport. */
static void
on_attach(const struct cascade_seg *seg)
{
	cp_reconcile_attach(seg);
	cp_pipe_on_attach();
}

int
main(int argc, char **argv)
{
	struct cp_config cfg;
	struct cp_router router = {0};
	struct event_base *base = NULL;
	struct event_config *cfgb;
	struct event *sigint = NULL, *sigterm = NULL;
	int rc = 1;

	if (cp_config_load(&cfg, argc, argv) < 0 || redis_login(&cfg) < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	/* precise timers: the dataplane reply poll backs off in microseconds (cp_dp.c) */
	cfgb = event_config_new();
	if (cfgb != NULL) {
		event_config_set_flag(cfgb, EVENT_BASE_FLAG_PRECISE_TIMER);
		base = event_base_new_with_config(cfgb);
		event_config_free(cfgb);
	}
	if (base == NULL) {
		fprintf(stderr, "cascade-cp: cannot create the event loop\n");
		return 1;
	}
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	cp_api_init(&cfg, cascade_now_ns());
	/* reconcile on every attach, the first one (inside cp_dp_init) included */
	cp_dp_on_attach(on_attach);
	cp_dp_events_init();
	if (sigint == NULL || sigterm == NULL || evsignal_add(sigint, NULL) < 0 ||
	    evsignal_add(sigterm, NULL) < 0 || cp_registry_init(cfg.port_min, cfg.port_max) < 0 ||
	    cp_install_init(&cfg) < 0 ||
	    cp_neigh_init(base, cfg.media_iface) < 0 || cp_state_init(base, &cfg) < 0 ||
	    cp_cluster_init(base, &cfg) < 0 || cp_events_init(base) < 0 ||
	    cp_pipe_init(base, &cfg) < 0 || cp_reconcile_init(base, cfg.reconcile_ms) < 0 ||
	    cp_dp_init(base, cfg.segment) < 0 || cp_api_routes(&router) < 0 ||
	    cp_http_init(base, &cfg, &router) < 0)
		goto out;
	fprintf(stderr, "cascade-cp: node %s serving http://%s%s%s:%u, dataplane segment %s\n",
		cfg.node_id, strchr(cfg.api_host, ':') ? "[" : "",
		cfg.api_host, strchr(cfg.api_host, ':') ? "]" : "", cfg.api_port, cfg.segment);
	event_base_dispatch(base);
	rc = 0;
out:
	/* event streams end, then requests go; then what is in flight is called back (failed)
	 * while its owners live */
	cp_events_fini();
	cp_http_fini();
	cp_dp_fini();
	cp_reconcile_fini();
	cp_cluster_fini();
	cp_pipe_fini();
	cp_state_fini();
	cp_neigh_fini();
	cp_registry_fini();
	cp_router_free(&router);
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	event_base_free(base);
	return rc;
}
