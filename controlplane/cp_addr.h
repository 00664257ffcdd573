/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Addresses as text and as the segment holds them, and the URLs nodes write
 * about themselves. An IPv6 literal is always bracketed in a URL or a
 * HOST:PORT ("http://[2001:2::11]:8480", RFC 3986 3.2.2), so a port can be told
 * from the address; parsing accepts what formatting writes (and an unbracketed
 * HOST:PORT, split at the last colon, where the config file allows it). Hosts
 * are IP literals only: nothing here calls a resolver from the event loop.
 *
 * Layer: leaf.
 */
#ifndef CP_ADDR_H
#define CP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cascade/msg.h>

#define CP_IP_MAX 64   /* an address as text, with room for an IPv6 scope */
#define CP_URL_MAX 96  /* scheme://[IPv6]:PORT */

/* Whether ip is an IPv4 or IPv6 literal. */
bool cp_ip_ok(const char *ip);
/* Fill a segment address; returns its CASCADE_AF_*, 0 (a zeroed a) when ip is not one. */
uint8_t cp_addr_make(struct cascade_addr *a, const char *ip, uint16_t port);
/*
 * The text of a segment address and its port: 0, or -EINVAL when its family is
 * neither CASCADE_AF_INET nor CASCADE_AF_INET6 or its port is 0.
 */
int cp_addr_text(const struct cascade_addr *a, char ip[CP_IP_MAX], uint16_t *port);
/* "scheme://HOST:PORT", HOST bracketed when IPv6. The length, or -ENOSPC. */
int cp_url_format(char *buf, size_t cap, const char *scheme, const char *host, uint16_t port);
/*
 * Split "scheme://HOST:PORT[/]" (the scheme must be scheme, HOST an IP literal,
 * bracketed when IPv6, PORT 1..65535) into host (without brackets) and port.
 * 0, or -EINVAL.
 */
int cp_url_parse(const char *url, const char *scheme, char *host, size_t cap, uint16_t *port);
/* Split "HOST:PORT" or "[IPv6]:PORT" (HOST an IP literal). 0, or -EINVAL. */
int cp_hostport_parse(const char *s, char *host, size_t cap, uint16_t *port);

/* A network: an IPv4 or IPv6 prefix. */
struct cp_cidr {
	uint8_t family; /* CASCADE_AF_INET or CASCADE_AF_INET6 */
	uint8_t bits;
	uint8_t addr[16]; /* network order; bits past the prefix are zero */
};
/*
 * "ADDR/BITS" (BITS 0..32 or 0..128; without "/BITS" the one address), with
 * no bit set past the prefix. 0, or -EINVAL.
 */
int cp_cidr_parse(const char *s, struct cp_cidr *out);
/*
 * Whether ip (a literal) lies in one of the n networks; an IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) counts as its IPv4 address.
 */
bool cp_cidr_match(const struct cp_cidr *nets, unsigned int n, const char *ip);

#endif /* CP_ADDR_H */
