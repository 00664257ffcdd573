/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cluster_bench's part 3 (see cluster_bench.c): Redis commands per
 * operation, read from a MONITOR connection to the lab's Redis.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cluster_bench.h"
#include "samples.h"

/* ---- the Redis MONITOR connection ------------------------------------------------------ */

/* Append whatever MONITOR sent meanwhile. */
static void
mon_drain(void)
{
	for (;;) {
		ssize_t n;

		if (b.mon_len + 65536 > MON_BYTES) {
			b.mon_full = true;
			return;
		}
		n = recv(b.mon, b.mon_buf + b.mon_len, 65536, MSG_DONTWAIT);
		if (n <= 0)
			return;
		b.mon_len += (size_t)n;
	}
}

/* Sleep ms milliseconds, draining MONITOR meanwhile. */
void
pause_ms(unsigned int ms)
{
	uint64_t until = hc_now_ns() + (uint64_t)ms * 1000000ull;

	for (;;) {
		uint64_t now = hc_now_ns();
		struct pollfd p = {.fd = b.mon, .events = POLLIN};

		if (now >= until)
			break;
		if (b.mon >= 0) {
			if (poll(&p, 1, (int)((until - now) / 1000000ull) + 1) > 0)
				mon_drain();
		} else {
			struct timespec ts = {0, (long)(until - now)};

			nanosleep(&ts, NULL);
		}
	}
}

static void
mon_open(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)b.redis_port)};
	char line[256];
	size_t n;
	int i;

	b.mon = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (b.mon < 0 || inet_pton(AF_INET, b.redis_ip, &a.sin_addr) != 1 ||
	    connect(b.mon, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("redis %s:%u: %s", b.redis_ip, b.redis_port, strerror(errno));
	/* the lab's Redis wants its password (as redis-cli takes it: REDISCLI_AUTH) */
	if (getenv("REDISCLI_AUTH") != NULL) {
		const char *pw = getenv("REDISCLI_AUTH");
		int len = snprintf(line, sizeof(line), "*2\r\n$4\r\nAUTH\r\n$%zu\r\n%s\r\n",
				   strlen(pw), pw);

		if (len < 0 || (size_t)len >= sizeof(line) ||
		    send(b.mon, line, (size_t)len, 0) != len)
			die("redis: AUTH: %s", len < 0 || (size_t)len >= sizeof(line)
						       ? "password too long"
						       : strerror(errno));
	}
	if (send(b.mon, "MONITOR\r\n", 9, 0) != 9)
		die("redis: MONITOR: %s", strerror(errno));
	/* "+OK\r\n" first (twice after AUTH) */
	for (i = getenv("REDISCLI_AUTH") != NULL ? 2 : 1; i > 0; i--) {
		for (n = 0; n < 5;) {
			ssize_t k = recv(b.mon, line + n, 5 - n, 0);

			if (k <= 0)
				die("redis: no answer to MONITOR");
			n += (size_t)k;
		}
		if (memcmp(line, "+OK\r\n", 5) != 0)
			die("redis: AUTH or MONITOR answered %.5s", line);
	}
	b.mon_buf = malloc(MON_BYTES);
	if (b.mon_buf == NULL)
		die("out of memory");
}

/* What the nodes sent Redis in one phase. */

/*
 * The nodes' periodic traffic: the heartbeat (HSET and PEXPIRE of the record
 * P:node:{ID}) and the watch over the others (SMEMBERS, HGETALL). None of the
 * measured operations sends these.
 */
static bool
periodic(const char *cmd, const char *key)
{
	return strcmp(cmd, "PEXPIRE") == 0 || strcmp(cmd, "HGETALL") == 0 ||
	       strcmp(cmd, "SMEMBERS") == 0 ||
	       (strcmp(cmd, "HSET") == 0 && strstr(key, ":node:") != NULL);
}

/*
 * Count the phase's commands per node. A line: +SEC.USEC [DB IP:PORT] "CMD" "KEY" ...
 * Connections are told apart by IP:PORT, a node by its IP. Redis executes what
 * it read from one connection before it turns to another, so a round trip is a
 * run of lines from one connection (no other connection's line in between, and
 * less than BATCH_GAP_US between two of them: a run cut by the scheduler only
 * counts twice if the pause is longer).
 */
static void
mon_count(struct redis_count *rc)
{
	char *p = b.mon_buf, *end = b.mon_buf + b.mon_len, prev_addr[64] = "";
	uint64_t first_op_until[2] = {0, 0}, prev_us = 0;

	memset(rc->cmds, 0, sizeof(rc->cmds));
	memset(rc->rtts, 0, sizeof(rc->rtts));
	rc->seq[0][0] = rc->seq[1][0] = '\0';
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), addr[64], cmd[32], key[256];
		unsigned long sec, usec;
		bool same_run;
		uint64_t us;
		int node;

		if (nl == NULL)
			break;
		*nl = '\0';
		key[0] = '\0';
		if (sscanf(p, "+%lu.%lu [%*d %63[^]]] \"%31[^\"]\" \"%255[^\"]\"", &sec, &usec,
			   addr, cmd, key) < 4)
			goto next;
		us = (uint64_t)sec * 1000000ull + usec;
		same_run = strcmp(addr, prev_addr) == 0 && us <= prev_us + BATCH_GAP_US;
		snprintf(prev_addr, sizeof(prev_addr), "%s", addr);
		prev_us = us;
		if (us < rc->from_us || us > rc->to_us || periodic(cmd, key))
			goto next;
		for (node = 0; node < 2; node++) {
			size_t l = strlen(b.nodes[node].media_ip);

			if (strncmp(addr, b.nodes[node].media_ip, l) == 0 && addr[l] == ':')
				break;
		}
		if (node == 2)
			goto next;
		rc->cmds[node]++;
		rc->rtts[node] += !same_run;
		/* the first operation's commands (those within 10 ms of the first), for the log */
		if (first_op_until[node] == 0)
			first_op_until[node] = us + 10000;
		if (us <= first_op_until[node] &&
		    strlen(rc->seq[node]) + strlen(cmd) + 4 < sizeof(rc->seq[node])) {
			if (rc->seq[node][0] != '\0')
				strcat(rc->seq[node], same_run ? " " : " | ");
			strcat(rc->seq[node], cmd);
		}
next:
		p = nl + 1;
	}
}

/* ---- 3. Redis commands per operation --------------------------------------------------- */

static void
phase_begin(struct redis_count *rc)
{
	pause_ms(100);
	rc->from_us = hc_real_ns() / 1000;
}

static void
phase_end(struct redis_count *rc)
{
	pause_ms(100);
	rc->to_us = hc_real_ns() / 1000;
}

void
bench_redis(unsigned int k, struct redis_figs *out)
{
	struct node *n1 = &b.nodes[0], *n2 = &b.nodes[1];
	char(*joins)[64] = calloc(k, 64), (*prods)[64] = calloc(k, 64), room[64], tp[64], tc[64],
	cons[64];
	unsigned int i;
	uint32_t ssrc;

	if (joins == NULL || prods == NULL)
		die("out of memory");
	out->ops = k;
	/* the producers' room, with node 2 in it: a producer add has an audience */
	snprintf(room, sizeof(room), "cb-redis-%u", b.tag);
	transport_new(n1, room, true, NULL, 0, tp, NULL);
	transport_new(n2, room, false, b.c2_ip, 9, tc, NULL);
	mon_open();

	phase_begin(&out->join);
	for (i = 0; i < k; i++) {
		char r[64];

		snprintf(r, sizeof(r), "cb-join-%u-%u", b.tag, i);
		transport_new(n1, r, false, NULL, 0, joins[i], NULL);
		pause_ms(20);
	}
	phase_end(&out->join);

	phase_begin(&out->produce);
	for (i = 0; i < k; i++) {
		json_t *p = producer_post(n1, tp, OPS_SSRC_BASE + i);

		if (p == NULL)
			die("redis phase: producer add failed");
		snprintf(prods[i], 64, "%s", str_of(p, "id"));
		json_decref(p);
		pause_ms(20);
	}
	phase_end(&out->produce);

	phase_begin(&out->consume);
	for (i = 0; i < k; i++) {
		if (!consumer_post(n2, tc, prods[i], cons, &ssrc))
			die("redis phase: remote consume failed");
		pause_ms(20);
	}
	phase_end(&out->consume);

	phase_begin(&out->leave);
	for (i = 0; i < k; i++) {
		api_delete(n1, "transports", joins[i]);
		pause_ms(20);
	}
	phase_end(&out->leave);

	mon_drain();
	if (b.mon_full)
		fprintf(stderr, "cluster_bench: MONITOR output past %u MiB was dropped\n",
			MON_BYTES >> 20);
	close(b.mon);
	b.mon = -1;
	api_delete(n2, "transports", tc);
	api_delete(n1, "transports", tp);
	/* counting puts NULs into the buffer: every phase parses a copy */
	{
		char *copy = malloc(b.mon_len), *orig = b.mon_buf;
		struct redis_count *phases[] = {&out->join, &out->produce, &out->consume,
						&out->leave};
		const char *names[] = {"room join", "producer add", "remote consume", "room leave"};
		unsigned int j;

		if (copy == NULL)
			die("out of memory");
		for (j = 0; j < 4; j++) {
			memcpy(copy, orig, b.mon_len);
			b.mon_buf = copy;
			mon_count(phases[j]);
			fprintf(stderr,
				"cluster_bench: redis, %s x%u: node 1 %u commands in %u round trips "
				"(first: %s), node 2 %u in %u (first: %s)\n",
				names[j], k, phases[j]->cmds[0], phases[j]->rtts[0],
				phases[j]->seq[0][0] != '\0' ? phases[j]->seq[0] : "-",
				phases[j]->cmds[1], phases[j]->rtts[1],
				phases[j]->seq[1][0] != '\0' ? phases[j]->seq[1] : "-");
		}
		b.mon_buf = orig;
		free(copy);
	}
	free(joins);
	free(prods);
}
