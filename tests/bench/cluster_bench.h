/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What cluster_bench.c (hop latency, time to first packet) and
 * cluster_redis.c (Redis commands per operation, through MONITOR) share: the
 * lab's two nodes and their API, and the benchmark's state.
 */
#ifndef CLUSTER_BENCH_H
#define CLUSTER_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "http_client.h"
#include "media_io.h"
#include "samples.h"

#define OPS_SSRC_BASE 0xcb100000u
#define BATCH_GAP_US 1000
#define PKT_TIMEOUT_MS 2000
#define KF_ITERATIONS 30
#define MON_BYTES (64u << 20)

struct node {
	struct hc_conn h; /* first: the answer callback gets it */
	struct hc_server srv;
	char name[64], media_ip[64];
	int status;
	json_t *result;
};

struct cluster_bench {
	int ep;
	struct node nodes[2];
	const char *c1_ip, *c2_ip, *c2_netns;
	char redis_ip[64];
	unsigned int redis_port;
	unsigned int tag; /* rooms are named after it: two runs never share one */
	int mon;          /* the MONITOR connection */
	char *mon_buf;
	size_t mon_len;
	bool mon_full;
};

extern struct cluster_bench b;

struct redis_count {
	uint64_t from_us, to_us; /* the phase: CLOCK_REALTIME, as Redis stamps */
	unsigned int cmds[2], rtts[2];
	char seq[2][512]; /* the commands of the phase's first operation, for the log */
};

struct redis_figs {
	struct redis_count join, produce, consume, leave;
	unsigned int ops;
};

/* A call to node n, waited for: the parsed 200 answer, or NULL (or exit when must). */
json_t *call(struct node *n, const char *method, const char *path, json_t *body, bool must);
/* The string k of the answer j, or exit. */
const char *str_of(json_t *j, const char *k);
/* A transport on n in room: its id (and its tuple's port); connected to ip:port if ip. */
void transport_new(struct node *n, const char *room, bool comedia, const char *ip,
		   unsigned int port, char id[64], uint16_t *local_port);
/* POST a VP8 producer with ssrc on transport: the answer (NULL on failure). */
json_t *producer_post(struct node *n, const char *transport, uint32_t ssrc);
/* POST a consumer of producer on transport: its id and SSRC; false on failure. */
bool consumer_post(struct node *n, const char *transport, const char *producer, char id[64],
		   uint32_t *ssrc);
/* DELETE /v1/WHAT/ID on n; false when it failed. */
bool api_delete(struct node *n, const char *what, const char *id);

/* n UDP receivers on client 2's address, made in its namespace. */
void receivers(unsigned int n, int *fds, uint16_t *ports);
/* A stamped sender from client 1 to ip:port (started). */
void sender_start(struct mio_sender *s, const char *ip, uint16_t port, uint32_t ssrc,
		  unsigned int pps);
/* Read and drop whatever waits at fd. */
void drain(int fd);
/*
 * The arrival stamp of the first datagram at fd, stamped at or after since,
 * that match(datagram, length, arg) takes; 0 when none came within
 * PKT_TIMEOUT_MS.
 */
uint64_t next_match(int fd, uint64_t since, bool (*match)(const uint8_t *p, size_t n, uint32_t arg),
		    uint32_t arg);
/* The same for the first RTP packet of ssrc. */
uint64_t first_packet(int fd, uint32_t ssrc, uint64_t since);

/* Part 4 (cluster_keyframe.c): a keyframe request across the two nodes. */
struct kf_figs {
	struct samples ms; /* a receiver's PLI on node 2 to the request at the sender */
	unsigned int missed;
};
void bench_keyframe(unsigned int pps, unsigned int iterations, struct kf_figs *out);

/* Let ms pass, reading MONITOR meanwhile when it is open (cluster_redis.c). */
void pause_ms(unsigned int ms);
/* Part 3: k of each operation, counted through MONITOR (cluster_redis.c). */
void bench_redis(unsigned int k, struct redis_figs *out);

#endif /* CLUSTER_BENCH_H */
