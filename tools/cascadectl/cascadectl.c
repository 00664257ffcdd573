/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cascadectl: the operator's CLI. It talks only to a node's HTTP API (libcurl),
 * prints human tables by default and the API's JSON with --json, and exits
 * with a status scripts can trust:
 *   0 success, 1 the API answered with an error (its message on stderr),
 *   2 usage, 3 the API could not be reached.
 * Address and token from --api/--token or CASCADE_API/CASCADE_TOKEN; the
 * token also from --token-file, so that it need not be in argv, where every
 * user of the host can read it.
 *
 * In a cluster every node answers for the whole of it: `nodes` lists every live node
 * (GET /v1/cluster/nodes), `rooms` names the nodes each room is on, and `room R` the
 * node each producer lives on, whichever node --api points at.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

enum { EXIT_API = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

static const char *api = "http://127.0.0.1:8480";
static const char *token;
static char token_buf[256];
static bool as_json;

struct buf {
	char *data;
	size_t len;
};

static size_t
on_data(char *ptr, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t add = size * n;
	char *nd = realloc(b->data, b->len + add + 1);

	if (nd == NULL)
		return 0;
	memcpy(nd + b->len, ptr, add);
	b->data = nd;
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

/*
 * One API call. Returns the parsed JSON body with *status set, or NULL after
 * printing why (unreachable or not JSON), with *rc set to the exit status.
 */
static json_t *
call(const char *method, const char *path, int *status, int *rc)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct buf b = {NULL, 0};
	char url[1024], auth[512];
	json_error_t err;
	json_t *j = NULL;
	long code = 0;
	CURLcode cc;

	if (c == NULL) {
		fprintf(stderr, "cascadectl: cannot start libcurl\n");
		*rc = EXIT_UNREACHABLE;
		return NULL;
	}
	snprintf(url, sizeof(url), "%s%s", api, path);
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		fprintf(stderr, "cascadectl: %s: %s\n", url, curl_easy_strerror(cc));
		*rc = EXIT_UNREACHABLE;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	*status = (int)code;
	j = b.data != NULL ? json_loads(b.data, 0, &err) : NULL;
	if (j == NULL) {
		fprintf(stderr, "cascadectl: %s: HTTP %ld without a JSON body\n", url, code);
		*rc = EXIT_API;
	}
out:
	free(b.data);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return j;
}

/* The call's JSON on success; NULL after printing the API's error message. */
static json_t *
get(const char *method, const char *path, int *rc)
{
	int status = 0;
	json_t *j = call(method, path, &status, rc);

	if (j == NULL)
		return NULL;
	if (status >= 400) {
		json_t *e = json_object_get(j, "error");
		fprintf(stderr, "cascadectl: %s (%d %s)\n",
			json_string_value(json_object_get(e, "message")) ?: "error", status,
			json_string_value(json_object_get(e, "code")) ?: "");
		json_decref(j);
		*rc = EXIT_API;
		return NULL;
	}
	*rc = 0;
	return j;
}

static void
dump(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));

	if (s != NULL)
		puts(s);
	free(s);
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "-";
}

static int
cmd_node(void)
{
	int rc;
	json_t *j = get("GET", "/v1/node", &rc), *dp;

	if (j == NULL)
		return rc;
	if (as_json) {
		dump(j);
	} else {
		dp = json_object_get(j, "dataplane");
		printf("node       %s (version %s, up %llds)\n", str(j, "id"), str(j, "version"),
		       (long long)json_integer_value(json_object_get(j, "uptime_s")));
		printf("api        %s\n", str(json_object_get(j, "addresses"), "api"));
		printf("dataplane  %s, segment %s", str(dp, "state"), str(dp, "segment"));
		if (json_object_get(dp, "epoch") != NULL)
			printf(", epoch %s, %lld worker(s)", str(dp, "epoch"),
			       (long long)json_integer_value(json_object_get(dp, "workers")));
		printf("\n");
	}
	json_decref(j);
	return 0;
}

/*
 * The strings of array A joined by commas into out (of size n), "-" when A is empty or
 * absent; a list that does not fit ends in "...".
 */
static const char *
join(json_t *a, char *out, size_t n)
{
	size_t i, len = 0;
	json_t *v;

	out[0] = '\0';
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		int w;

		if (s == NULL)
			continue;
		w = snprintf(out + len, n - len, "%s%s", len > 0 ? "," : "", s);
		if (w < 0 || (size_t)w >= n - len) {
			snprintf(out + (n > 4 ? n - 4 : 0), n > 4 ? 4 : n, "...");
			return out;
		}
		len += (size_t)w;
	}
	return len > 0 ? out : "-";
}

static int
cmd_rooms(void)
{
	int rc;
	json_t *j = get("GET", "/v1/rooms", &rc), *r;
	char nodes[256];
	size_t i;

	if (j == NULL)
		return rc;
	if (as_json) {
		dump(j);
	} else {
		/* TRANSPORTS are this node's; NODES (a cluster) every node the room is on */
		printf("%-32s %10s  %s\n", "ROOM", "TRANSPORTS", "NODES");
		json_array_foreach(json_object_get(j, "rooms"), i, r)
			printf("%-32s %10lld  %s\n", str(r, "name"),
			       (long long)json_integer_value(json_object_get(r, "transports")),
			       join(json_object_get(r, "nodes"), nodes, sizeof(nodes)));
	}
	json_decref(j);
	return 0;
}

/* qsort order of node records: by id */
static int
node_cmp(const void *a, const void *b)
{
	return strcmp(str(*(json_t *const *)a, "id"), str(*(json_t *const *)b, "id"));
}

/*
 * nodes: every live node of the cluster as the answering node sees it (it comes first,
 * marked '*', the others by id), with its load and rooms. Exit 1 on a node without a
 * cluster (404) or without Redis (503), like any API error.
 */
static int
cmd_nodes(void)
{
	int rc;
	json_t *j = get("GET", "/v1/cluster/nodes", &rc), *list, *n, **v;
	char rooms[256];
	size_t i, count;

	if (j == NULL)
		return rc;
	if (as_json) {
		dump(j);
		json_decref(j);
		return 0;
	}
	list = json_object_get(j, "nodes");
	count = json_array_size(list);
	v = calloc(count > 0 ? count : 1, sizeof(*v));
	if (v == NULL) {
		fprintf(stderr, "cascadectl: out of memory\n");
		json_decref(j);
		return EXIT_API;
	}
	json_array_foreach(list, i, n)
		v[i] = n;
	/* the answering node first ("self"), then the others by id */
	for (i = 0; i < count; i++)
		if (json_is_true(json_object_get(v[i], "self")) && i > 0) {
			n = v[0], v[0] = v[i], v[i] = n;
			break;
		}
	if (count > 1)
		qsort(v + 1, count - 1, sizeof(*v), node_cmp);
	printf("%-20s %-28s %-16s %6s %10s %10s %5s %6s %-9s %s\n", "NODE", "API", "MEDIA", "PIPE",
	       "CONSUMERS", "EGRESS/S", "CPU%", "SCORE", "STATE", "ROOMS");
	for (i = 0; i < count; i++) {
		json_t *load = json_object_get(v[i], "load");
		char id[64];

		snprintf(id, sizeof(id), "%s%s", str(v[i], "id"),
			 json_is_true(json_object_get(v[i], "self")) ? " *" : "");
		printf("%-20s %-28s %-16s %6lld %10lld %10lld %5.0f %6.2f %-9s %s\n", id,
		       str(v[i], "api"), str(v[i], "media_ip"),
		       (long long)json_integer_value(json_object_get(v[i], "pipe_port")),
		       (long long)json_integer_value(json_object_get(load, "consumers")),
		       (long long)json_integer_value(json_object_get(load, "egress_pps")),
		       json_number_value(json_object_get(load, "cpu")) * 100.0,
		       json_number_value(json_object_get(load, "score")),
		       json_is_true(json_object_get(v[i], "draining")) ? "draining" : "up",
		       join(json_object_get(v[i], "rooms"), rooms, sizeof(rooms)));
	}
	printf("(* the node that answered; %zu node(s))\n", count);
	free(v);
	json_decref(j);
	return 0;
}

/* room R, and the transports/producers/consumers views of one room. */
static int
cmd_room(const char *room, const char *only)
{
	char path[256];
	int rc;
	json_t *j, *o;
	size_t i;

	snprintf(path, sizeof(path), "/v1/rooms/%s", room);
	j = get("GET", path, &rc);
	if (j == NULL)
		return rc;
	if (as_json) {
		dump(only != NULL ? json_object_get(j, only) : j);
		json_decref(j);
		return 0;
	}
	if (only == NULL || strcmp(only, "transports") == 0) {
		printf("%-36s %-21s %-8s %-9s %s\n", "TRANSPORT", "LOCAL", "RTCPMUX", "CONNECTED",
		       "REMOTE");
		json_array_foreach(json_object_get(j, "transports"), i, o)
		{
			json_t *t = json_object_get(o, "tuple"), *rem = json_object_get(o, "remote");
			char local[64], remote[64] = "-";
			snprintf(local, sizeof(local), "%s:%lld", str(t, "localIp"),
				 (long long)json_integer_value(json_object_get(t, "localPort")));
			if (rem != NULL)
				snprintf(remote, sizeof(remote), "%s:%lld", str(rem, "ip"),
					 (long long)json_integer_value(json_object_get(rem, "port")));
			printf("%-36s %-21s %-8s %-9s %s\n", str(o, "id"), local,
			       json_is_true(json_object_get(o, "rtcpMux")) ? "yes" : "no",
			       json_is_true(json_object_get(o, "connected")) ? "yes" : "no", remote);
		}
	}
	if (only == NULL || strcmp(only, "producers") == 0) {
		/* NODE: where the producer lives (a cluster); a piped-in copy of a remote
		 * producer sits on this node's pipe transport */
		printf("%s%-36s %-6s %-7s %-36s %s\n", only == NULL ? "\n" : "", "PRODUCER", "KIND",
		       "PAUSED", "TRANSPORT", "NODE");
		json_array_foreach(json_object_get(j, "producers"), i, o)
			printf("%-36s %-6s %-7s %-36s %s%s\n", str(o, "id"), str(o, "kind"),
			       json_is_true(json_object_get(o, "paused")) ? "yes" : "no",
			       str(o, "transportId"), str(o, "node"),
			       json_is_true(json_object_get(o, "pipe")) ? " (piped in)" : "");
	}
	if (only == NULL || strcmp(only, "consumers") == 0) {
		printf("%s%-36s %-36s %-7s %s\n", only == NULL ? "\n" : "", "CONSUMER", "PRODUCER",
		       "PAUSED", "SSRC");
		json_array_foreach(json_object_get(j, "consumers"), i, o)
			printf("%-36s %-36s %-7s %lld\n", str(o, "id"), str(o, "producerId"),
			       json_is_true(json_object_get(o, "paused")) ? "yes" : "no",
			       (long long)json_integer_value(json_object_get(o, "ssrc")));
	}
	if (only == NULL && json_is_array(json_object_get(j, "nodes"))) {
		char nodes[256];

		printf("\nnodes: %s\n", join(json_object_get(j, "nodes"), nodes, sizeof(nodes)));
	}
	json_decref(j);
	return 0;
}

/*
 * A consumer's receiver report columns: "-" before its first report, RTT
 * before an SR echo; then the available bitrate its transport-cc feedback
 * gives (kbit/s), "-" before any.
 */
static void
print_rtcp(const json_t *r)
{
	const json_t *rtt = json_object_get(r, "rttMs");
	const json_t *avail = json_object_get(r, "availableBitrate");

	if (!json_is_number(json_object_get(r, "fractionLost")))
		printf(" %6s %8s %10s %8s", "-", "-", "-", "-");
	else {
		printf(" %6.1f %8lld %10.1f",
		       100.0 * json_number_value(json_object_get(r, "fractionLost")),
		       (long long)json_integer_value(json_object_get(r, "packetsLost")),
		       json_number_value(json_object_get(r, "jitterMs")));
		if (json_is_number(rtt))
			printf(" %8.1f", json_number_value(rtt));
		else
			printf(" %8s", "-");
	}
	if (json_is_integer(avail))
		printf(" %10lld\n", (long long)json_integer_value(avail) / 1000);
	else
		printf(" %10s\n", "-");
}

static int
stats_once(void)
{
	int rc;
	json_t *j = get("GET", "/v1/stats", &rc), *n, *drops, *v, *o;
	const char *k;
	size_t i;

	if (j == NULL)
		return rc;
	if (as_json) {
		dump(j);
		json_decref(j);
		return 0;
	}
	n = json_object_get(j, "node");
	printf("rx %lld packets, tx %lld packets, dropped %lld\n",
	       (long long)json_integer_value(json_object_get(n, "rx_packets")),
	       (long long)json_integer_value(json_object_get(n, "tx_packets")),
	       (long long)json_integer_value(json_object_get(n, "drop_packets")));
	drops = json_object_get(n, "drops");
	json_object_foreach(drops, k, v)
		if (json_integer_value(v) != 0)
			printf("  drop %-20s %lld\n", k, (long long)json_integer_value(v));
	printf("%-36s %14s %14s\n", "PRODUCER", "RX PACKETS", "RX BYTES");
	json_array_foreach(json_object_get(j, "producers"), i, o)
		printf("%-36s %14lld %14lld\n", str(o, "id"),
		       (long long)json_integer_value(json_object_get(o, "rxPackets")),
		       (long long)json_integer_value(json_object_get(o, "rxBytes")));
	printf("%-36s %14s %14s %8s %6s %8s %10s %8s %10s\n", "CONSUMER", "TX PACKETS", "TX BYTES",
	       "DROPS", "LOSS%", "LOST", "JITTER MS", "RTT MS", "AVAIL KBPS");
	json_array_foreach(json_object_get(j, "consumers"), i, o) {
		printf("%-36s %14lld %14lld %8lld", str(o, "id"),
		       (long long)json_integer_value(json_object_get(o, "txPackets")),
		       (long long)json_integer_value(json_object_get(o, "txBytes")),
		       (long long)json_integer_value(json_object_get(o, "dropPackets")));
		print_rtcp(json_object_get(o, "rtcp"));
	}
	json_decref(j);
	return 0;
}

static int
cmd_stats(int watch)
{
	int rc;

	if (watch <= 0)
		return stats_once();
	for (;;) {
		printf("\033[H\033[2J");
		rc = stats_once();
		if (rc != 0)
			return rc;
		fflush(stdout);
		sleep((unsigned int)watch);
	}
}

static int
cmd_object(const char *verb, const char *kind, const char *id)
{
	char path[256];
	int rc;
	json_t *j;

	if (strcmp(kind, "transport") != 0 && strcmp(kind, "producer") != 0 &&
	    strcmp(kind, "consumer") != 0) {
		fprintf(stderr, "cascadectl: %s: transport, producer or consumer\n", verb);
		return EXIT_USAGE;
	}
	if (strcmp(verb, "close") == 0) {
		snprintf(path, sizeof(path), "/v1/%ss/%s", kind, id);
		j = get("DELETE", path, &rc);
	} else {
		if (strcmp(kind, "transport") == 0) {
			fprintf(stderr, "cascadectl: %s: producer or consumer\n", verb);
			return EXIT_USAGE;
		}
		snprintf(path, sizeof(path), "/v1/%ss/%s/%s", kind, id, verb);
		j = get("POST", path, &rc);
	}
	if (j == NULL)
		return rc;
	if (as_json)
		dump(j);
	else
		printf("%s %s %s: ok\n", verb, kind, id);
	json_decref(j);
	return 0;
}

/* The token on the first line of path (a final newline dropped); false after saying why. */
static bool
token_from_file(const char *path)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (f == NULL) {
		perror(path);
		return false;
	}
	ok = fgets(token_buf, sizeof(token_buf), f) != NULL;
	fclose(f);
	token_buf[strcspn(token_buf, "\r\n")] = '\0';
	if (!ok || token_buf[0] == '\0') {
		fprintf(stderr, "cascadectl: --token-file %s: empty\n", path);
		return false;
	}
	token = token_buf;
	return true;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: cascadectl [--api URL] [--token-file FILE | --token TOKEN] [--json] COMMAND\n"
		"  node                         this node and its dataplane\n"
		"  nodes                        every live node of the cluster: load, rooms\n"
		"  rooms                        rooms (in a cluster: all of them, with their nodes)\n"
		"  room ROOM                    a room's transports, producers, consumers\n"
		"  transports|producers|consumers ROOM\n"
		"  stats [--watch [SECONDS]]    counters (refreshed every SECONDS with --watch)\n"
		"  close transport|producer|consumer ID\n"
		"  pause|resume producer|consumer ID\n"
		"Environment: CASCADE_API, CASCADE_TOKEN. --token shows the token to every user\n"
		"of the host (ps): prefer CASCADE_TOKEN or --token-file.\n"
		"Exit: 0 ok, 1 API error, 2 usage, 3 unreachable.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"api", required_argument, NULL, 'a'},
		{"token", required_argument, NULL, 't'},
		{"token-file", required_argument, NULL, 'T'},
		{"json", no_argument, NULL, 'j'},
		{"watch", optional_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch, rc, watch = 0;
	const char *cmd;

	if (getenv("CASCADE_API") != NULL)
		api = getenv("CASCADE_API");
	token = getenv("CASCADE_TOKEN");
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			api = optarg;
			break;
		case 't':
			token = optarg;
			break;
		case 'T':
			if (!token_from_file(optarg))
				return EXIT_USAGE;
			break;
		case 'j':
			as_json = true;
			break;
		case 'w':
			watch = optarg != NULL ? atoi(optarg) : 2;
			if (watch <= 0) {
				fprintf(stderr, "cascadectl: --watch: a positive number of seconds\n");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage();
		return EXIT_USAGE;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	cmd = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	if (strcmp(cmd, "node") == 0 && argc == 0)
		rc = cmd_node();
	else if (strcmp(cmd, "nodes") == 0 && argc == 0)
		rc = cmd_nodes();
	else if (strcmp(cmd, "rooms") == 0 && argc == 0)
		rc = cmd_rooms();
	else if (strcmp(cmd, "room") == 0 && argc == 1)
		rc = cmd_room(argv[0], NULL);
	else if ((strcmp(cmd, "transports") == 0 || strcmp(cmd, "producers") == 0 ||
		  strcmp(cmd, "consumers") == 0) &&
		 argc == 1)
		rc = cmd_room(argv[0], cmd);
	else if (strcmp(cmd, "stats") == 0 && argc == 0)
		rc = cmd_stats(watch);
	else if ((strcmp(cmd, "close") == 0 || strcmp(cmd, "pause") == 0 ||
		  strcmp(cmd, "resume") == 0) &&
		 argc == 2)
		rc = cmd_object(cmd, argv[0], argv[1]);
	else {
		usage();
		rc = EXIT_USAGE;
	}
	curl_global_cleanup();
	return rc;
}
