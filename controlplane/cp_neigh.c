/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next-hop MACs from the kernel. When the dataplane's port is a kernel
 * interface too (net_af_xdp or net_af_packet on a veth or NIC, media.interface),
 * the kernel's routing and neighbour tables already know where a remote lives:
 * its route says whether it is on the link or behind a gateway, and ARP or
 * NDP (which the XDP program passes to the kernel) fill the neighbour entry.
 * So on connect the control plane asks the kernel (rtnetlink through libmnl)
 * and gives the dataplane the MAC with the remote tuple.
 *
 * A missing entry for an on-link remote is resolved by sending it one byte to
 * the discard port (9) through a kernel socket, which makes the kernel ARP or
 * solicit; the entry is then polled every 20 ms for up to a second. Remotes
 * behind a gateway use the gateway's entry and are never poked. Destinations
 * routed through another interface, and failures, give "unknown": the
 * dataplane then learns the MAC from the remote's first packet or uses its
 * --peer-mac. Lookups are single netlink requests the kernel answers at once,
 * so they run on the loop.
 *
 * Layer: leaf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <event2/event.h>

#include "cp_neigh.h"

#define POLL_MS 20
#define GIVE_UP_MS 1000
#define DISCARD_PORT 9
#define NL_BUF 8192 /* MNL_SOCKET_BUFFER_SIZE is a run-time value (page size) */

struct pending {
	struct event *timer;
	int family;
	uint8_t ip[16];
	unsigned int tries;
	cp_neigh_cb cb;
	void *arg;
};

static struct {
	struct event_base *base;
	struct mnl_socket *nl;
	unsigned int ifindex; /* media.interface; no socket (nl NULL): nothing is resolved */
	uint32_t seq;
	char ifname[IF_NAMESIZE];
} n;

struct route_ans {
	unsigned int oif;
	bool has_gw;
	uint8_t gw[16];
};

struct neigh_ans {
	bool found;
	uint16_t state;
	uint8_t mac[6];
};

/* Send one request and run cb over the answer. 0, or -errno (ENOENT: no such entry). */
static int
nl_request(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[NL_BUF];
	unsigned int portid = mnl_socket_get_portid(n.nl);
	uint32_t seq = ++n.seq;
	ssize_t len;
	int rc;

	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(n.nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		len = mnl_socket_recvfrom(n.nl, buf, sizeof(buf));
		if (len < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)len, seq, portid, cb, data);
		if (rc == MNL_CB_ERROR)
			return -errno;
		if (rc == MNL_CB_STOP || !(nlh->nlmsg_flags & NLM_F_DUMP))
			return 0;
	}
}

static int
route_attr(const struct nlattr *a, void *data)
{
	struct route_ans *r = data;

	switch (mnl_attr_get_type(a)) {
	case RTA_OIF:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			r->oif = mnl_attr_get_u32(a);
		break;
	case RTA_GATEWAY:
		if (mnl_attr_get_payload_len(a) <= sizeof(r->gw)) {
			memcpy(r->gw, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
			r->has_gw = true;
		}
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int
route_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWROUTE)
		mnl_attr_parse(nlh, sizeof(struct rtmsg), route_attr, data);
	return MNL_CB_OK;
}

static int
neigh_attr(const struct nlattr *a, void *data)
{
	struct neigh_ans *r = data;

	if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == 6) {
		memcpy(r->mac, mnl_attr_get_payload(a), 6);
		r->found = true;
	}
	return MNL_CB_OK;
}

static int
neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	struct neigh_ans *r = data;
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWNEIGH)
		return MNL_CB_OK;
	r->state = nd->ndm_state;
	mnl_attr_parse(nlh, sizeof(*nd), neigh_attr, data);
	return MNL_CB_OK;
}

/* The route to ip: its output interface and gateway. 0 or -errno. */
static int
route_get(int family, const uint8_t *ip, struct route_ans *r)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	size_t alen = family == AF_INET ? 4 : 16;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = (uint8_t)(alen * 8);
	mnl_attr_put(nlh, RTA_DST, alen, ip);
	memset(r, 0, sizeof(*r));
	return nl_request(nlh, route_cb, r);
}

/* The neighbour entry of ip on our interface, if it has a usable MAC. */
static bool
neigh_get(int family, const uint8_t *ip, uint8_t mac[6])
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd;
	struct neigh_ans r;

	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = (uint8_t)family;
	nd->ndm_ifindex = (int)n.ifindex;
	mnl_attr_put(nlh, NDA_DST, family == AF_INET ? 4 : 16, ip);
	memset(&r, 0, sizeof(r));
	if (nl_request(nlh, neigh_cb, &r) < 0 || !r.found)
		return false;
	if (!(r.state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT |
			 NUD_NOARP)))
		return false;
	memcpy(mac, r.mac, 6);
	return true;
}

/* One byte to the discard port: the kernel resolves the next hop to send it. */
static void
poke(int family, const uint8_t *ip)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(DISCARD_PORT);
		memcpy(&a->sin_addr, ip, 4);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(DISCARD_PORT);
		memcpy(&a->sin6_addr, ip, 16);
		len = sizeof(*a);
	}
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, n.ifname, (socklen_t)strlen(n.ifname));
	(void)sendto(fd, "", 1, MSG_DONTWAIT, (struct sockaddr *)&ss, len);
	close(fd);
}

static void
finish(struct pending *p, const uint8_t *mac)
{
	cp_neigh_cb cb = p->cb;
	void *arg = p->arg;

	event_free(p->timer);
	free(p);
	cb(mac, arg);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	struct timeval tv = {0, POLL_MS * 1000};
	struct route_ans r;
	uint8_t mac[6];
	char s[INET6_ADDRSTRLEN];

	(void)fd, (void)what;
	if (route_get(p->family, p->ip, &r) < 0 || r.oif != n.ifindex) {
		finish(p, NULL); /* not reached through the dataplane's interface */
		return;
	}
	if (neigh_get(p->family, r.has_gw ? r.gw : p->ip, mac)) {
		finish(p, mac);
		return;
	}
	if (p->tries++ * POLL_MS >= GIVE_UP_MS) {
		inet_ntop(p->family, p->ip, s, sizeof(s));
		fprintf(stderr,
			"cascade-cp: neighbour: no MAC for %s on %s after %d ms; the dataplane will "
			"learn it from the remote's first packet\n",
			s, n.ifname, GIVE_UP_MS);
		finish(p, NULL);
		return;
	}
	if (p->tries == 1 && !r.has_gw)
		poke(p->family, p->ip);
	evtimer_add(p->timer, &tv);
}

static void
on_unknown(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	finish(arg, NULL);
}

void
cp_neigh_resolve(const char *ip, cp_neigh_cb cb, void *arg)
{
	struct timeval now = {0, 0};
	struct pending *p = calloc(1, sizeof(*p));
	bool ask;

	if (p == NULL) {
		cb(NULL, arg);
		return;
	}
	p->cb = cb;
	p->arg = arg;
	if (inet_pton(AF_INET, ip, p->ip) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, ip, p->ip) == 1)
		p->family = AF_INET6;
	ask = n.nl != NULL && p->family != 0;
	/* even "unknown" is answered from the loop, so callers never see it re-enter */
	p->timer = evtimer_new(n.base, ask ? on_timer : on_unknown, p);
	if (p->timer == NULL) {
		free(p);
		cb(NULL, arg);
		return;
	}
	evtimer_add(p->timer, &now);
}

int
cp_neigh_init(struct event_base *base, const char *iface)
{
	struct timeval tv = {0, 100 * 1000};

	n.base = base;
	if (iface[0] == '\0')
		return 0;
	n.ifindex = if_nametoindex(iface);
	if (n.ifindex == 0) {
		fprintf(stderr, "cascade-cp: config: media.interface: no interface \"%s\" here\n",
			iface);
		return -1;
	}
	snprintf(n.ifname, sizeof(n.ifname), "%s", iface);
	n.nl = mnl_socket_open(NETLINK_ROUTE);
	if (n.nl == NULL || mnl_socket_bind(n.nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(n.nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		fprintf(stderr, "cascade-cp: media.interface: rtnetlink: %s\n", strerror(errno));
		if (n.nl != NULL)
			mnl_socket_close(n.nl);
		n.nl = NULL;
		return -1;
	}
	return 0;
}

void
cp_neigh_fini(void)
{
	if (n.nl != NULL)
		mnl_socket_close(n.nl);
	n.nl = NULL;
}
