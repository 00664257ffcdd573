/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel-socket media for the API benchmark (see media_io.h). The sender keeps
 * its own clock: packet k is due at start + k / pps, and the thread sleeps
 * (TIMER_ABSTIME, timer slack 1 ns) until the next one is due, so the rate holds
 * on average even when wake-ups are late.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media_io.h"

#define MAX_LAG_NS (10ull * 1000 * 1000)

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CLOCK_REALTIME now, as 8 big-endian bytes at p */
static void
put_stamp(uint8_t *p)
{
	struct timespec ts;
	uint64_t ns;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	for (i = 7; i >= 0; i--, ns >>= 8)
		p[i] = (uint8_t)ns;
}

uint64_t
mio_stamp_of(const uint8_t *pkt, size_t len)
{
	uint64_t ns = 0;
	int i;

	if (len < 20)
		return 0;
	for (i = 0; i < 8; i++)
		ns = ns << 8 | pkt[12 + i];
	return ns;
}

static void *
send_loop(void *arg)
{
	struct mio_sender *s = arg;
	uint64_t gap = 1000000000ull / s->pps, next;
	uint32_t ssrc_be = htonl(s->ssrc), ts = 0;
	uint8_t pkt[1500] = {0};
	uint16_t seq = 0;

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	pkt[0] = 0x80; /* RTP version 2, RFC 3550 section 5.1 */
	pkt[1] = s->pt & 0x7f;
	memcpy(pkt + 8, &ssrc_be, 4);
	s->start_ns = next = mono_ns();
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		uint64_t now = mono_ns();
		struct timespec wake;

		if (now > next + MAX_LAG_NS)
			next = now;
		while (next <= now) {
			uint16_t seq_be = htons(seq++);
			uint32_t ts_be = htonl(ts);

			ts += 90000 / 50; /* a 90 kHz clock, as if every packet were a frame */
			memcpy(pkt + 2, &seq_be, 2);
			memcpy(pkt + 4, &ts_be, 4);
			if (s->stamp)
				put_stamp(pkt + 12);
			if (send(s->fd, pkt, s->bytes, 0) == (ssize_t)s->bytes)
				s->sent++;
			else
				s->errors++;
			next += gap;
		}
		wake.tv_sec = (time_t)(next / 1000000000ull);
		wake.tv_nsec = (long)(next % 1000000000ull);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL);
	}
	s->stop_ns = mono_ns();
	return NULL;
}

int
mio_sender_start(struct mio_sender *s)
{
	int rc;

	if (s->pps == 0 || s->bytes < (s->stamp ? 20u : 12u) || s->bytes > 1500)
		return -EINVAL;
	atomic_store(&s->stop, false);
	s->sent = s->errors = 0;
	rc = pthread_create(&s->thread, NULL, send_loop, s);
	return -rc;
}

void
mio_sender_stop(struct mio_sender *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
}

int
mio_udp_socket(const char *ip, uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int fd, one = 1, rcvbuf = 4 << 20, e;

	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	if (port != NULL)
		*port = ntohs(a.sin_port);
	return fd;
}

ssize_t
mio_recv(int fd, void *buf, size_t len, uint64_t *real_ns)
{
	char ctl[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = {buf, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	struct timespec ts;
	ssize_t n;

	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts); /* when the kernel gave no stamp */
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS)
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
	*real_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return n;
}

int
mio_netns_enter(const char *name, int *back)
{
	char path[300];
	int fd, e;

	*back = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*back < 0)
		return -errno;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		e = -errno;
		if (fd >= 0)
			close(fd);
		close(*back);
		*back = -1;
		return e;
	}
	close(fd);
	return 0;
}

int
mio_netns_leave(int back)
{
	int rc = setns(back, CLONE_NEWNET) < 0 ? -errno : 0;

	close(back);
	return rc;
}
