/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The benchmark's media side, with kernel sockets: a paced RTP sender thread,
 * UDP sockets that timestamp what they receive (SO_TIMESTAMPNS, CLOCK_REALTIME),
 * and a way to make them in another network namespace (setns() for the
 * calling thread only; a socket stays in the namespace it was made in).
 */
#ifndef CASCADE_BENCH_MEDIA_IO_H
#define CASCADE_BENCH_MEDIA_IO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An RTP stream sent from its own thread. Fill the first fields, then start it. */
struct mio_sender {
	int fd; /* a connected UDP socket (mio_udp_socket + connect) */
	unsigned int pps;
	size_t bytes; /* whole RTP packets, 12 bytes of header included */
	uint32_t ssrc;
	uint8_t pt;
	/*
	 * true: bytes 12..19 of every packet (after the RTP header; bytes >= 20) carry
	 * CLOCK_REALTIME in ns, big-endian, read just before send() (mio_stamp_of)
	 */
	bool stamp;
	/* written by the thread; read after mio_sender_stop() */
	uint64_t sent, errors, start_ns, stop_ns;
	atomic_bool stop;
	pthread_t thread;
};

/*
 * Start sending pps packets a second, paced by absolute sleeps; a late wake-up
 * catches up in a burst, but never by more than 10 ms. 0, or -errno.
 */
int mio_sender_start(struct mio_sender *s);

/* The sender's stamp in a packet of len bytes (stamp set), or 0 when it is too short. */
uint64_t mio_stamp_of(const uint8_t *pkt, size_t len);

/* Stop the thread and wait for it. */
void mio_sender_stop(struct mio_sender *s);

/* A UDP socket bound to ip (IPv4), any port (left in *port), timestamping arrivals. fd or -errno. */
int mio_udp_socket(const char *ip, uint16_t *port);

/*
 * Read one datagram without blocking: its length (and its arrival time in
 * CLOCK_REALTIME ns, the kernel's stamp or now), or -1 when none is waiting.
 */
ssize_t mio_recv(int fd, void *buf, size_t len, uint64_t *real_ns);

/*
 * Move the calling thread into network namespace name (/run/netns/NAME); *back
 * gets a descriptor of the one it left. 0, or -errno.
 */
int mio_netns_enter(const char *name, int *back);

/* Return to the namespace mio_netns_enter() left. 0, or -errno. */
int mio_netns_leave(int back);

#endif
