/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The API's route table, as the endpoint files register it: every route's
 * credential (the cluster secret exactly for /v1/internal, nothing or the
 * token for /metrics, the application's token for everything else), every
 * endpoint of the README's table found with its method and captures, and the
 * paths that match nothing: empty segments ("//", a trailing '/'), "." and
 * "..", no leading '/', too many segments, too long. No handler runs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cp.h"
#include "cp_route.h"

static struct cp_router router;

static int
setup(void **state)
{
	(void)state;
	return cp_api_routes(&router);
}

static int
teardown(void **state)
{
	(void)state;
	cp_router_free(&router);
	return 0;
}

static void
test_credentials(void **state)
{
	size_t i, peer = 0, metrics = 0;

	(void)state;
	assert_true(router.n >= 20);
	for (i = 0; i < router.n; i++) {
		const struct cp_route *r = router.routes[i];

		if (strncmp(r->pattern, "/v1/internal/", 13) == 0 ||
		    strcmp(r->pattern, "/v1/internal") == 0) {
			assert_int_equal(r->auth, CP_AUTH_PEER);
			peer++;
		} else if (strcmp(r->pattern, "/metrics") == 0) {
			assert_int_equal(r->auth, CP_AUTH_METRICS);
			metrics++;
		} else {
			if (r->auth != CP_AUTH_APP)
				fail_msg("%s %s does not need the application's token",
					 cp_method_name(r->method), r->pattern);
		}
	}
	assert_int_equal(peer, 2);
	assert_int_equal(metrics, 1);
}

/* method path: matched, with its captures as "name=value ..." */
static void
found(enum evhttp_cmd_type method, const char *path, enum cp_auth auth, const char *captures)
{
	const struct cp_route *r;
	struct cp_args a;
	char allow[64], got[256] = "";
	unsigned int i;

	if (cp_router_match(&router, method, path, &r, &a, allow, sizeof(allow)) != CP_MATCH_OK)
		fail_msg("%s %s: no route", cp_method_name(method), path);
	assert_int_equal(r->auth, auth);
	for (i = 0; i < a.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%.*s=%s", i ? " " : "",
			 (int)a.name_len[i], a.name[i], a.value[i]);
	assert_string_equal(got, captures);
}

static void
test_endpoints(void **state)
{
	(void)state;
	found(EVHTTP_REQ_GET, "/v1/node", CP_AUTH_APP, "");
	found(EVHTTP_REQ_POST, "/v1/node/drain", CP_AUTH_APP, "");
	found(EVHTTP_REQ_DELETE, "/v1/node/drain", CP_AUTH_APP, "");
	found(EVHTTP_REQ_GET, "/v1/cluster/nodes", CP_AUTH_APP, "");
	found(EVHTTP_REQ_GET, "/v1/cluster/assign", CP_AUTH_APP, "");
	found(EVHTTP_REQ_GET, "/v1/rooms", CP_AUTH_APP, "");
	found(EVHTTP_REQ_GET, "/v1/rooms/r1", CP_AUTH_APP, "room=r1");
	found(EVHTTP_REQ_GET, "/v1/rooms/r1/events", CP_AUTH_APP, "room=r1");
	found(EVHTTP_REQ_POST, "/v1/rooms/r1/transports", CP_AUTH_APP, "room=r1");
	found(EVHTTP_REQ_POST, "/v1/transports/t1/connect", CP_AUTH_APP, "id=t1");
	found(EVHTTP_REQ_DELETE, "/v1/transports/t1", CP_AUTH_APP, "id=t1");
	found(EVHTTP_REQ_POST, "/v1/transports/t1/producers", CP_AUTH_APP, "id=t1");
	found(EVHTTP_REQ_POST, "/v1/transports/t1/consumers", CP_AUTH_APP, "id=t1");
	found(EVHTTP_REQ_POST, "/v1/producers/p1/pause", CP_AUTH_APP, "id=p1");
	found(EVHTTP_REQ_POST, "/v1/producers/p1/resume", CP_AUTH_APP, "id=p1");
	found(EVHTTP_REQ_DELETE, "/v1/producers/p1", CP_AUTH_APP, "id=p1");
	found(EVHTTP_REQ_POST, "/v1/consumers/c1/pause", CP_AUTH_APP, "id=c1");
	found(EVHTTP_REQ_POST, "/v1/consumers/c1/resume", CP_AUTH_APP, "id=c1");
	found(EVHTTP_REQ_DELETE, "/v1/consumers/c1", CP_AUTH_APP, "id=c1");
	found(EVHTTP_REQ_GET, "/v1/stats", CP_AUTH_APP, "");
	found(EVHTTP_REQ_GET, "/metrics", CP_AUTH_METRICS, "");
	found(EVHTTP_REQ_POST, "/v1/internal/pipes", CP_AUTH_PEER, "");
	found(EVHTTP_REQ_DELETE, "/v1/internal/pipes/p1/node-2", CP_AUTH_PEER, "producer=p1 node=node-2");
	/* captures are taken as sent, never decoded: "%2e%2e" is an id nobody has */
	found(EVHTTP_REQ_DELETE, "/v1/transports/%2e%2e", CP_AUTH_APP, "id=%2e%2e");
}

static void
nothing(enum evhttp_cmd_type method, const char *path)
{
	const struct cp_route *r;
	struct cp_args a;
	char allow[64];

	if (cp_router_match(&router, method, path, &r, &a, allow, sizeof(allow)) != CP_MATCH_NO_PATH)
		fail_msg("%s %s matched %s", cp_method_name(method), path,
			 r != NULL ? r->pattern : "(something)");
	assert_null(r);
}

static void
test_no_path(void **state)
{
	char longpath[CP_ROUTE_PATH_MAX + 16];

	(void)state;
	/* empty segments: the inter-node routes are not reachable by another spelling */
	nothing(EVHTTP_REQ_POST, "/v1//internal/pipes");
	nothing(EVHTTP_REQ_POST, "//v1/internal/pipes");
	nothing(EVHTTP_REQ_POST, "/v1/internal//pipes");
	nothing(EVHTTP_REQ_DELETE, "/v1/internal/pipes//node-2");
	nothing(EVHTTP_REQ_GET, "/v1/node//");
	/* trailing slashes */
	nothing(EVHTTP_REQ_POST, "/v1/internal/pipes/");
	nothing(EVHTTP_REQ_GET, "/v1/node/");
	nothing(EVHTTP_REQ_GET, "/metrics/");
	nothing(EVHTTP_REQ_DELETE, "/v1/transports/t1/");
	/* dot segments, in any place */
	nothing(EVHTTP_REQ_POST, "/v1/rooms/../internal/pipes");
	nothing(EVHTTP_REQ_POST, "/v1/./internal/pipes");
	nothing(EVHTTP_REQ_DELETE, "/v1/transports/..");
	nothing(EVHTTP_REQ_DELETE, "/v1/transports/.");
	nothing(EVHTTP_REQ_GET, "/v1/rooms/..");
	nothing(EVHTTP_REQ_DELETE, "/v1/internal/pipes/../n");
	/* no leading slash, empty, root, unknown */
	nothing(EVHTTP_REQ_GET, "v1/node");
	nothing(EVHTTP_REQ_GET, "");
	nothing(EVHTTP_REQ_GET, "/");
	nothing(EVHTTP_REQ_GET, "/v1");
	nothing(EVHTTP_REQ_GET, "/v2/node");
	nothing(EVHTTP_REQ_GET, "/v1/nodes");
	nothing(EVHTTP_REQ_POST, "/v1/internal");
	nothing(EVHTTP_REQ_POST, "/v1/internal/pipes/p1");
	/* too many segments, too long */
	nothing(EVHTTP_REQ_GET, "/v1/rooms/a/b/c/d/e/f/g/h");
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	nothing(EVHTTP_REQ_GET, longpath);
}

/* method path: the path exists with other methods only, authenticated as auth */
static void
other_method(enum evhttp_cmd_type method, const char *path, enum cp_auth auth, const char *allowed)
{
	const struct cp_route *r;
	struct cp_args a;
	char allow[64];

	assert_int_equal(cp_router_match(&router, method, path, &r, &a, allow, sizeof(allow)),
			 CP_MATCH_NO_METHOD);
	assert_int_equal(r->auth, auth);
	assert_string_equal(allow, allowed);
}

static void
test_no_method(void **state)
{
	(void)state;
	other_method(EVHTTP_REQ_POST, "/v1/node", CP_AUTH_APP, "GET");
	other_method(EVHTTP_REQ_GET, "/v1/node/drain", CP_AUTH_APP, "POST, DELETE");
	other_method(EVHTTP_REQ_GET, "/v1/transports/t1", CP_AUTH_APP, "DELETE");
	other_method(EVHTTP_REQ_GET, "/v1/internal/pipes", CP_AUTH_PEER, "POST");
	other_method(EVHTTP_REQ_GET, "/v1/internal/pipes/p/n", CP_AUTH_PEER, "DELETE");
	other_method(EVHTTP_REQ_POST, "/metrics", CP_AUTH_METRICS, "GET");
}

static void
test_bad_patterns(void **state)
{
	static const struct cp_route bad[] = {
		{EVHTTP_REQ_GET, "/v1//x", NULL, CP_AUTH_APP},
	};
	static const struct cp_route too_many[] = {
		{EVHTTP_REQ_GET, "/{a}/{b}/{c}/{d}/{e}", NULL, CP_AUTH_APP},
	};
	struct cp_router r = {0};

	(void)state;
	assert_int_equal(cp_router_add(&r, bad, 1), -EINVAL);
	assert_int_equal(cp_router_add(&r, too_many, 1), -EINVAL);
	assert_int_equal(r.n, 0);
	cp_router_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_no_path),
		cmocka_unit_test(test_no_method),
		cmocka_unit_test(test_bad_patterns),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
