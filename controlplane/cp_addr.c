/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Addresses and URLs (see cp_addr.h). URLs are split by libevent's parser
 * (evhttp_uri_parse: RFC 3986, brackets included), then the host is checked
 * to be an IP literal.
 *
 * Layer: leaf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "cp_addr.h"

bool
cp_ip_ok(const char *ip)
{
	uint8_t buf[16];

	return inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1;
}

uint8_t
cp_addr_make(struct cascade_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, ip, a->ip) == 1)
		a->family = CASCADE_AF_INET;
	else if (inet_pton(AF_INET6, ip, a->ip) == 1)
		a->family = CASCADE_AF_INET6;
	else
		return 0;
	a->port_be = htons(port);
	return a->family;
}

int
cp_addr_text(const struct cascade_addr *a, char ip[CP_IP_MAX], uint16_t *port)
{
	int af = a->family == CASCADE_AF_INET ? AF_INET : a->family == CASCADE_AF_INET6 ? AF_INET6 : 0;

	if (af == 0 || a->port_be == 0 || inet_ntop(af, a->ip, ip, CP_IP_MAX) == NULL)
		return -EINVAL;
	*port = ntohs(a->port_be);
	return 0;
}

int
cp_url_format(char *buf, size_t cap, const char *scheme, const char *host, uint16_t port)
{
	bool v6 = strchr(host, ':') != NULL;
	int n = snprintf(buf, cap, "%s://%s%s%s:%u", scheme, v6 ? "[" : "", host, v6 ? "]" : "",
			 port);

	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/*
 * host as written in a URL or HOST:PORT: an IP literal, an IPv6 one in brackets
 * (required when v6_brackets), never an IPv4 one in brackets
 */
static int
host_copy(const char *h, size_t len, bool v6_brackets, char *host, size_t cap)
{
	bool br = len >= 2 && h[0] == '[' && h[len - 1] == ']';

	if (br)
		h++, len -= 2;
	if (len == 0 || len >= cap)
		return -EINVAL;
	memcpy(host, h, len);
	host[len] = '\0';
	if (!cp_ip_ok(host) || (br && strchr(host, ':') == NULL) ||
	    (!br && v6_brackets && strchr(host, ':') != NULL))
		return -EINVAL;
	return 0;
}

int
cp_url_parse(const char *url, const char *scheme, char *host, size_t cap, uint16_t *port)
{
	struct evhttp_uri *u = evhttp_uri_parse_with_flags(url, 0);
	const char *s, *h, *path;
	int p, rc = -EINVAL;

	if (u == NULL)
		return -EINVAL;
	s = evhttp_uri_get_scheme(u);
	h = evhttp_uri_get_host(u);
	p = evhttp_uri_get_port(u);
	path = evhttp_uri_get_path(u);
	if (s != NULL && strcmp(s, scheme) == 0 && h != NULL && p >= 1 && p <= 65535 &&
	    (path == NULL || path[0] == '\0' || strcmp(path, "/") == 0) &&
	    evhttp_uri_get_query(u) == NULL && evhttp_uri_get_userinfo(u) == NULL &&
	    evhttp_uri_get_fragment(u) == NULL &&
	    host_copy(h, strlen(h), true, host, cap) == 0) {
		*port = (uint16_t)p;
		rc = 0;
	}
	evhttp_uri_free(u);
	return rc;
}

int
cp_hostport_parse(const char *s, char *host, size_t cap, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long p;

	if (colon == NULL || colon == s)
		return -EINVAL;
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535)
		return -EINVAL;
	/* an unbracketed IPv6 literal is everything before the last colon */
	if (host_copy(s, (size_t)(colon - s), false, host, cap) < 0)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/* ---- networks ------------------------------------------------------------------------------ */

int
cp_cidr_parse(const char *s, struct cp_cidr *out)
{
	char ip[CP_IP_MAX], *end;
	const char *slash = strchr(s, '/');
	size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned int max, i;
	long bits;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, len);
	ip[len] = '\0';
	if (inet_pton(AF_INET, ip, out->addr) == 1) {
		out->family = CASCADE_AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, ip, out->addr) == 1) {
		out->family = CASCADE_AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	bits = max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
			return -EINVAL;
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0' || bits > (long)max)
			return -EINVAL;
	}
	out->bits = (uint8_t)bits;
	for (i = (unsigned int)bits; i < max; i++) /* "10.1.0.0/8" is a typo, not 10/8 */
		if (out->addr[i / 8] & (0x80 >> (i % 8)))
			return -EINVAL;
	return 0;
}

static bool
prefix_eq(const uint8_t *a, const uint8_t *net, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ net[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

bool
cp_cidr_match(const struct cp_cidr *nets, unsigned int n, const char *ip)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t a[16];
	uint8_t family;
	unsigned int i;

	if (inet_pton(AF_INET, ip, a) == 1) {
		family = CASCADE_AF_INET;
	} else if (inet_pton(AF_INET6, ip, a) == 1) {
		family = CASCADE_AF_INET6;
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			memmove(a, a + 12, 4);
			family = CASCADE_AF_INET;
		}
	} else {
		return false;
	}
	for (i = 0; i < n; i++)
		if (nets[i].family == family && prefix_eq(a, nets[i].addr, nets[i].bits))
			return true;
	return false;
}
