/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal HTTP/1.1 keep-alive client for benchmarks: non-blocking sockets the
 * caller polls with epoll, one request in flight per connection (no
 * pipelining), responses with Content-Length (evhttp always sends it). Single
 * thread; nothing here allocates after start.
 */
#ifndef CASCADE_BENCH_HTTP_CLIENT_H
#define CASCADE_BENCH_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HC_IN_BYTES 16384
#define HC_OUT_BYTES 2048

struct hc_conn;

/*
 * What a connection does with an answer: status is the HTTP status, or 0 when
 * there is none (the connection failed or timed out; body then says why).
 * body is valid only during the call. The callback may send the next request.
 */
typedef void (*hc_answer_fn)(struct hc_conn *c, int status, const char *body, size_t len);

/* The server: where it is, the bearer token, and the epoll set its connections join. */
struct hc_server {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char host[128];
	const char *token;
	int ep;
};

struct hc_conn {
	const struct hc_server *srv;
	int fd;                /* -1: closed; the next request opens it */
	bool busy;             /* a request is in flight */
	const char *error;     /* a failure that the next hc_check() reports */
	uint64_t sent_ns;      /* CLOCK_MONOTONIC when the request was written */
	uint64_t sent_real_ns; /* CLOCK_REALTIME, read just before */
	hc_answer_fn on_answer;
	uint64_t n_answers; /* HTTP answers received, any status */
	size_t out_len, out_off, in_len;
	char out[HC_OUT_BYTES];
	char in[HC_IN_BYTES];
};

/* Fill srv from "http://HOST:PORT". 0, or -1 with a message on stderr. */
int hc_server_init(struct hc_server *srv, const char *url, const char *token, int ep);

/* A closed connection to srv. */
void hc_conn_init(struct hc_conn *c, const struct hc_server *srv);

/*
 * Send a request (body NULL: none), opening the connection if needed; fn gets
 * the answer from a later hc_event() or hc_check(), never from this call.
 * Exits when the request does not fit HC_OUT_BYTES (a bug in the caller).
 */
void hc_request(struct hc_conn *c, const char *method, const char *path, const char *body,
		hc_answer_fn fn);

/* Handle the epoll events of c's socket (the epoll data pointer is c). */
void hc_event(struct hc_conn *c, uint32_t events);

/* Report a deferred failure, or a request older than timeout_ns (as status 0). */
void hc_check(struct hc_conn *c, uint64_t now_ns, uint64_t timeout_ns);

void hc_close(struct hc_conn *c);

/* CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds. */
uint64_t hc_now_ns(void);
uint64_t hc_real_ns(void);

#endif
