/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The benchmark's HTTP/1.1 client (see http_client.h). A request is formatted
 * into the connection's buffer and written at once (a full socket waits for
 * EPOLLOUT); the answer is read into the other buffer until its headers and
 * Content-Length bytes of body are there. Every failure is reported through the
 * answer callback, from the caller's loop (hc_event, hc_check), so a callback
 * that sends the next request never recurses.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "http_client.h"

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t
hc_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t
hc_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int
hc_server_init(struct hc_server *srv, const char *url, const char *token, int ep)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	const char *p = strncmp(url, "http://", 7) == 0 ? url + 7 : NULL, *colon;
	char port[8];

	colon = p != NULL ? strrchr(p, ':') : NULL;
	if (colon == NULL || (size_t)(colon - p) >= sizeof(srv->host) ||
	    strlen(colon + 1) >= sizeof(port)) {
		fprintf(stderr, "URL: http://HOST:PORT, got %s\n", url);
		return -1;
	}
	snprintf(srv->host, sizeof(srv->host), "%.*s", (int)(colon - p), p);
	snprintf(port, sizeof(port), "%s", colon + 1);
	port[strcspn(port, "/")] = '\0';
	if (getaddrinfo(srv->host, port, &hints, &ai) != 0) {
		fprintf(stderr, "cannot resolve %s\n", url);
		return -1;
	}
	memcpy(&srv->addr, ai->ai_addr, ai->ai_addrlen);
	srv->addr_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	srv->token = token;
	srv->ep = ep;
	return 0;
}

void
hc_conn_init(struct hc_conn *c, const struct hc_server *srv)
{
	memset(c, 0, offsetof(struct hc_conn, out));
	c->srv = srv;
	c->fd = -1;
}

void
hc_close(struct hc_conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(c->srv->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->in_len = 0;
}

static int
conn_open(struct hc_conn *c)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	int one = 1, e;

	/* blocking connect: the server is near (loopback), and it keeps the code short */
	c->fd = socket(c->srv->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (const struct sockaddr *)&c->srv->addr, c->srv->addr_len) < 0 ||
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0 ||
	    epoll_ctl(c->srv->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		e = -errno;
		close(c->fd);
		c->fd = -1;
		return e;
	}
	return 0;
}

static void
answer(struct hc_conn *c, int status, const char *body, size_t len)
{
	c->busy = false;
	c->error = NULL;
	c->on_answer(c, status, body, len);
}

/* Write what is left of the request; a full socket waits for EPOLLOUT. */
static void
flush(struct hc_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
			epoll_ctl(c->srv->ep, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n < 0) {
			c->error = strerror(errno);
			hc_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
}

void
hc_request(struct hc_conn *c, const char *method, const char *path, const char *body,
	   hc_answer_fn fn)
{
	size_t blen = body != NULL ? strlen(body) : 0;
	int n, rc;

	c->busy = true;
	c->error = NULL;
	c->on_answer = fn;
	n = snprintf(c->out, sizeof(c->out),
		     "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		     method, path, c->srv->host, c->srv->token, blen, body != NULL ? body : "");
	if (n < 0 || (size_t)n >= sizeof(c->out)) {
		fprintf(stderr, "http_client: request %s %s does not fit\n", method, path);
		exit(1);
	}
	c->out_len = (size_t)n;
	c->out_off = 0;
	c->in_len = 0;
	if (c->fd < 0 && (rc = conn_open(c)) < 0) {
		c->error = strerror(-rc);
		return;
	}
	c->sent_real_ns = hc_real_ns();
	c->sent_ns = hc_now_ns();
	flush(c);
}

/*
 * A whole response in c->in: 1 (its status, where its body is), 0 when more
 * bytes are needed, -1 when it is malformed or chunked.
 */
static int
parse(const struct hc_conn *c, int *status, size_t *body_off, size_t *body_len, bool *closes)
{
	const char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4), *line, *eol;
	size_t head;
	long cl = 0;

	if (end == NULL)
		return c->in_len == sizeof(c->in) ? -1 : 0;
	head = (size_t)(end - c->in) + 4;
	line = memchr(c->in, '\n', head);
	if (head < 16 || memcmp(c->in, "HTTP/1.", 7) != 0 || line == NULL)
		return -1;
	*status = atoi(c->in + 9);
	*closes = memcmp(c->in, "HTTP/1.0", 8) == 0;
	for (line++; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end + 2 - line));
		if (eol == NULL)
			break;
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			cl = strtol(line + 15, NULL, 10);
		else if (strncasecmp(line, "Connection:", 11) == 0)
			*closes = strncasecmp(line + 11 + strspn(line + 11, " "), "close", 5) == 0;
		else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0)
			return -1;
	}
	if (cl < 0 || head + (size_t)cl >= sizeof(c->in))
		return -1;
	if (c->in_len < head + (size_t)cl)
		return 0;
	*body_off = head;
	*body_len = (size_t)cl;
	return 1;
}

static void
readable(struct hc_conn *c)
{
	size_t off, len;
	bool closes;
	int status, rc;

	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			const char *why = n == 0 ? "connection closed" : strerror(errno);
			hc_close(c);
			if (c->busy)
				answer(c, 0, why, strlen(why));
			return;
		}
		c->in_len += (size_t)n;
		rc = parse(c, &status, &off, &len, &closes);
		if (rc == 0)
			continue;
		if (rc < 0 || !c->busy) {
			hc_close(c);
			if (c->busy)
				answer(c, 0, "malformed response", 18);
			return;
		}
		c->in[off + len] = '\0'; /* parse() left room */
		c->n_answers++;
		if (closes)
			hc_close(c);
		/* in[] stays intact through the callback: only the next request resets it */
		answer(c, status, c->in + off, len);
		return;
	}
}

void
hc_event(struct hc_conn *c, uint32_t events)
{
	if ((events & EPOLLOUT) && c->fd >= 0) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

		epoll_ctl(c->srv->ep, EPOLL_CTL_MOD, c->fd, &ev);
		flush(c);
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->fd >= 0)
		readable(c);
}

void
hc_check(struct hc_conn *c, uint64_t now_ns, uint64_t timeout_ns)
{
	if (!c->busy)
		return;
	if (c->error != NULL) {
		answer(c, 0, c->error, strlen(c->error));
	} else if (now_ns > c->sent_ns + timeout_ns) {
		hc_close(c);
		answer(c, 0, "no answer in time", 17);
	}
}
