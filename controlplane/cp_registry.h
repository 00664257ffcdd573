/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry: rooms, transports, producers and consumers the dataplane has
 * acknowledged, their lifecycle, and nothing else. It owns the objects and
 * the media ports they hold; it removes with cascade (a transport takes its
 * producers and consumers, a producer its consumers) and it announces every
 * change to observers, who subscribe instead of being called by name: the
 * state file saves, the cluster writes Redis, the room events reach clients,
 * the pipes close what nobody needs. The registry itself sends no command
 * and does no I/O (cp_install.c talks to the dataplane and enters or removes
 * objects here once it has answered), so its rules are unit-tested as they
 * are (tests/unit/test_registry.c).
 *
 * An observer runs synchronously, in the order observers registered, while
 * the object is still whole (a removed object is freed after its observers
 * ran); it must not add or remove registry objects from inside the call
 * (schedule that instead). Removals announce children first: a transport's
 * consumers, then each producer (after its own consumers), then the
 * transport, then the room when it was its last transport.
 *
 * Pipe objects (the node's pipe transport, the producers piped in on it, the
 * consumers piping out on it) live here too, so that stats, the state file
 * and the reconciliation see them; the API never shows them as its own.
 * Event-loop thread only.
 *
 * Layer: registry.
 */
#ifndef CP_REGISTRY_H
#define CP_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <cascade/msg.h>

#include "cp_addr.h"
#include "cp_ids.h"
#include "cp_ports.h"

/* A link of an intrusive list the registry keeps (an object's place in its owner's list). */
struct cp_link {
	struct cp_link *prev, *next;
};

struct cp_transport {
	char id[CP_OBJ_ID_MAX];
	char room[CP_NAME_MAX + 1]; /* "" for the pipe transport */
	uint64_t dp_id;
	uint32_t slot; /* the dataplane's table slot: where its counters are */
	bool comedia, rtcp_mux, connected;
	bool pipe;     /* the node's pipe transport (no room, not an API object) */
	bool busy;     /* a change of the transport itself is in flight */
	unsigned int n_pending; /* producer/consumer commands in flight on it */
	uint8_t family;
	char ip[CP_IP_MAX];
	uint16_t port, rtcp_port; /* rtcp_port 0 with rtcp-mux */
	char remote_ip[CP_IP_MAX];
	uint16_t remote_port, remote_rtcp_port;
	/*
	 * SRTP (srtp_suite != CASCADE_SUITE_NONE): this node's key (generated at
	 * create, handed out once in srtpParameters) and the remote's (from
	 * connect). Kept in the state file (mode 0600) so a restart need not
	 * re-send them; never in logs, stats or metrics.
	 */
	uint8_t srtp_suite;
	bool has_remote_key;
	uint8_t local_key[CASCADE_SRTP_MASTER_MAX];
	uint8_t remote_key[CASCADE_SRTP_MASTER_MAX];
	/* the registry's own */
	struct cp_link producers, consumers;
	char dp_key[20];
	bool entered;
};

struct cp_producer {
	char id[CP_OBJ_ID_MAX];
	struct cp_transport *t;
	char room[CP_NAME_MAX + 1];
	char node[CP_ID_MAX]; /* the node it is produced on: this one, or a pipe's source */
	uint64_t dp_id;
	uint32_t slot;
	uint8_t kind;
	bool paused, busy;
	bool pipe;  /* piped in from node, on the pipe transport */
	bool quiet; /* a pipe nobody needs: it goes without a producer.close event */
	uint32_t ssrc, clock_rate;
	json_t *rtp; /* its checked rtpParameters (owned) */
	unsigned int n_pending;   /* consumer commands in flight on it */
	unsigned int n_consumers; /* in the registry */
	/* keyframe requests the dataplane sent its sender, from its events (cp_dp_events.c) */
	uint64_t pli_count, fir_count;
	/* the registry's own */
	struct cp_link t_link, consumers;
	char dp_key[20];
	bool entered;
};

struct cp_consumer {
	char id[CP_OBJ_ID_MAX];
	struct cp_transport *t;
	struct cp_producer *p;
	uint64_t dp_id;
	uint32_t slot;
	uint32_t ssrc;
	bool paused, busy;
	json_t *rtp;               /* what the receiver was told to expect (owned) */
	char pipe_node[CP_ID_MAX]; /* a pipe towards that node ("" for a receiver's consumer) */
	/* the registry's own */
	struct cp_link t_link, p_link;
	char dp_key[20];
	bool entered;
};

/* ---- observers ---- */

#define CP_REG_EVENTS(X)                                                                           \
	X(ROOM_JOINED, "room.joined")                 /* room: its first transport came */        \
	X(ROOM_LEFT, "room.left")                     /* room: its last transport went */         \
	X(TRANSPORT_ADDED, "transport.added")                                                      \
	X(TRANSPORT_CONNECTED, "transport.connected") /* its remote or keys changed */            \
	X(TRANSPORT_CLOSED, "transport.closed")                                                    \
	X(PRODUCER_ADDED, "producer.added")                                                        \
	X(PRODUCER_PAUSED, "producer.paused")         /* paused or resumed: see p->paused */      \
	X(PRODUCER_CLOSED, "producer.closed")                                                      \
	X(CONSUMER_ADDED, "consumer.added")                                                        \
	X(CONSUMER_PAUSED, "consumer.paused")                                                      \
	X(CONSUMER_CLOSED, "consumer.closed")

enum cp_reg_ev {
#define CP_REG_ENUM(name, text) CP_EV_##name,
	CP_REG_EVENTS(CP_REG_ENUM)
#undef CP_REG_ENUM
	CP_EV_MAX
};

struct cp_reg_event {
	enum cp_reg_ev type;
	const char *room; /* the object's room ("" for the pipe transport) */
	const struct cp_transport *t;
	const struct cp_producer *p;
	const struct cp_consumer *c;
	bool cascade; /* removed because its producer or transport went */
};

typedef void (*cp_reg_watch_fn)(const struct cp_reg_event *ev, void *arg);

/* The event's name ("producer.added"). */
const char *cp_reg_ev_name(enum cp_reg_ev type);
/* Call fn for every event of type from now on. 0, or -ENOMEM. */
int cp_registry_watch(enum cp_reg_ev type, cp_reg_watch_fn fn, void *arg);
/* The same for every type. */
int cp_registry_watch_all(cp_reg_watch_fn fn, void *arg);

/* ---- life ---- */

/* An empty registry whose transports take media ports in [port_min, port_max]. 0, or -ENOMEM. */
int cp_registry_init(uint16_t port_min, uint16_t port_max);
/* Free every object (no events) and every observer. */
void cp_registry_fini(void);

/* The media ports (transports take theirs before they are installed). */
struct cp_ports *cp_registry_ports(void);
/* A dataplane object id never used by this process or one it restored. */
uint64_t cp_registry_next_dp_id(void);
/* Keep ids handed out from now on above dp_id (seen in the dataplane or a state file). */
void cp_registry_dp_id_seen(uint64_t dp_id);

/*
 * Objects installed in the dataplane that are not in the registry yet (a
 * pipe producer waiting for the far node): held, they are not orphans.
 */
void cp_registry_hold(uint64_t dp_id);
void cp_registry_unhold(uint64_t dp_id);
/* Whether dp_id is a registry object's or held. */
bool cp_registry_knows(uint64_t dp_id);
/* The slot field of the registry object whose dataplane id is dp_id, or NULL. */
uint32_t *cp_registry_dp_slot(uint64_t dp_id);

/*
 * Enter an object the dataplane has (ownership passes to the registry, its
 * transport and producer must be in the registry already). The transport
 * joins its room (ROOM_JOINED for the room's first); ADDED is announced.
 * 0, or -EEXIST (its id is taken) / -ENOMEM: then nothing changed and the
 * caller still owns it.
 */
int cp_registry_add_transport(struct cp_transport *t);
int cp_registry_add_producer(struct cp_producer *p);
int cp_registry_add_consumer(struct cp_consumer *c);
/* Remove an object the dataplane no longer has, with cascade (see above), and free it. */
void cp_registry_remove_transport(struct cp_transport *t);
void cp_registry_remove_producer(struct cp_producer *p);
void cp_registry_remove_consumer(struct cp_consumer *c);
/* The dataplane applied a pause or resume / a connect: record it and announce. */
void cp_registry_producer_paused(struct cp_producer *p, bool paused);
void cp_registry_consumer_paused(struct cp_consumer *c, bool paused);
void cp_registry_transport_connected(struct cp_transport *t);

/* Free an object that never entered the registry (keys wiped, JSON released). */
void cp_transport_free(struct cp_transport *t);
void cp_producer_free(struct cp_producer *p);
void cp_consumer_free(struct cp_consumer *c);

/* ---- lookups ---- */

struct cp_transport *cp_registry_transport(const char *id);
struct cp_producer *cp_registry_producer(const char *id);
/* The producer the dataplane knows as dp_id (its events name producers so), or NULL. */
struct cp_producer *cp_registry_producer_by_dp(uint64_t dp_id);
struct cp_consumer *cp_registry_consumer(const char *id);
/* The node's pipe transport, NULL until the dataplane has it. */
struct cp_transport *cp_registry_pipe_transport(void);
/* Live objects of each kind (pipe objects included). */
unsigned int cp_registry_n_transports(void);
unsigned int cp_registry_n_producers(void);
unsigned int cp_registry_n_consumers(void);
/* Transports of room (0 when it has none here). */
unsigned int cp_registry_room_transports(const char *room);

/*
 * Visit every object of a kind, or every room with local transports. fn may
 * change the objects' fields but must not add or remove registry objects.
 */
void cp_registry_each_transport(void (*fn)(struct cp_transport *t, void *arg), void *arg);
void cp_registry_each_producer(void (*fn)(struct cp_producer *p, void *arg), void *arg);
void cp_registry_each_consumer(void (*fn)(struct cp_consumer *c, void *arg), void *arg);
void cp_registry_each_room(void (*fn)(const char *room, unsigned int n_transports, void *arg),
			   void *arg);
/* Visit the consumers of p / the producers and consumers of t (the same rule). */
void cp_producer_each_consumer(struct cp_producer *p,
			       void (*fn)(struct cp_consumer *c, void *arg), void *arg);

#endif /* CP_REGISTRY_H */
