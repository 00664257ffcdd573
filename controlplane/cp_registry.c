/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry (see cp_registry.h). Objects are found by API id in string
 * maps; each transport lists its producers and consumers and each producer
 * its consumers (intrusive lists), so a removal with cascade costs what it
 * removes, not what the registry holds.
 *
 * Layer: registry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cascade/segment.h>

#include "cp_map.h"
#include "cp_registry.h"

#define OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct room {
	char name[CP_NAME_MAX + 1];
	unsigned int n_transports;
};

struct watcher {
	cp_reg_watch_fn fn;
	void *arg;
};

static struct {
	struct cp_map transports, producers, consumers, rooms;
	struct cp_map by_dp; /* dp_key -> &object->slot */
	struct cp_map producer_by_dp; /* dp_key -> the producer (the dataplane's events name it so) */
	struct cp_transport *pipe;
	struct cp_ports ports;
	uint64_t next_dp_id;
	struct watcher *watchers[CP_EV_MAX];
	unsigned int n_watchers[CP_EV_MAX];
	uint64_t *held;
	size_t n_held, cap_held;
} reg;

static const char *const ev_names[] = {
#define CP_REG_NAME(name, text) [CP_EV_##name] = text,
	CP_REG_EVENTS(CP_REG_NAME)
#undef CP_REG_NAME
};

/* ---- lists ------------------------------------------------------------------------------ */

static void
list_init(struct cp_link *head)
{
	head->prev = head->next = head;
}

static void
list_add(struct cp_link *head, struct cp_link *l)
{
	l->next = head;
	l->prev = head->prev;
	head->prev->next = l;
	head->prev = l;
}

static void
list_del(struct cp_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->prev = l->next = l;
}

/* ---- observers -------------------------------------------------------------------------- */

const char *
cp_reg_ev_name(enum cp_reg_ev type)
{
	return type < CP_EV_MAX ? ev_names[type] : "?";
}

int
cp_registry_watch(enum cp_reg_ev type, cp_reg_watch_fn fn, void *arg)
{
	struct watcher *w;

	if (type >= CP_EV_MAX)
		return -EINVAL;
	w = realloc(reg.watchers[type], (reg.n_watchers[type] + 1) * sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w[reg.n_watchers[type]].fn = fn;
	w[reg.n_watchers[type]].arg = arg;
	reg.watchers[type] = w;
	reg.n_watchers[type]++;
	return 0;
}

int
cp_registry_watch_all(cp_reg_watch_fn fn, void *arg)
{
	unsigned int t;

	for (t = 0; t < CP_EV_MAX; t++)
		if (cp_registry_watch((enum cp_reg_ev)t, fn, arg) < 0)
			return -ENOMEM;
	return 0;
}

static void
announce(enum cp_reg_ev type, const char *room, const struct cp_transport *t,
	 const struct cp_producer *p, const struct cp_consumer *c, bool cascade)
{
	struct cp_reg_event ev = {
		.type = type, .room = room, .t = t, .p = p, .c = c, .cascade = cascade};
	unsigned int i;

	for (i = 0; i < reg.n_watchers[type]; i++)
		reg.watchers[type][i].fn(&ev, reg.watchers[type][i].arg);
}

/* ---- life ------------------------------------------------------------------------------- */

int
cp_registry_init(uint16_t port_min, uint16_t port_max)
{
	memset(&reg, 0, sizeof(reg));
	reg.next_dp_id = cascade_now_ns() << 8; /* distinct from a previous run's ids */
	return cp_ports_init(&reg.ports, port_min, port_max);
}

void
cp_transport_free(struct cp_transport *t)
{
	explicit_bzero(t, sizeof(*t)); /* SRTP keys */
	free(t);
}

void
cp_producer_free(struct cp_producer *p)
{
	json_decref(p->rtp);
	free(p);
}

void
cp_consumer_free(struct cp_consumer *c)
{
	json_decref(c->rtp);
	free(c);
}

static void
free_t(const char *k, void *v, void *a)
{
	(void)k, (void)a;
	cp_transport_free(v);
}

static void
free_p(const char *k, void *v, void *a)
{
	(void)k, (void)a;
	cp_producer_free(v);
}

static void
free_c(const char *k, void *v, void *a)
{
	(void)k, (void)a;
	cp_consumer_free(v);
}

static void
free_room(const char *k, void *v, void *a)
{
	(void)k, (void)a;
	free(v);
}

void
cp_registry_fini(void)
{
	unsigned int t;

	cp_map_each(&reg.consumers, free_c, NULL);
	cp_map_each(&reg.producers, free_p, NULL);
	cp_map_each(&reg.transports, free_t, NULL);
	cp_map_each(&reg.rooms, free_room, NULL);
	cp_map_free(&reg.consumers);
	cp_map_free(&reg.producers);
	cp_map_free(&reg.transports);
	cp_map_free(&reg.rooms);
	cp_map_free(&reg.by_dp);
	cp_map_free(&reg.producer_by_dp);
	cp_ports_fini(&reg.ports);
	for (t = 0; t < CP_EV_MAX; t++)
		free(reg.watchers[t]);
	free(reg.held);
	memset(&reg, 0, sizeof(reg));
}

struct cp_ports *
cp_registry_ports(void)
{
	return &reg.ports;
}

uint64_t
cp_registry_next_dp_id(void)
{
	return reg.next_dp_id++;
}

void
cp_registry_dp_id_seen(uint64_t dp_id)
{
	if (dp_id >= reg.next_dp_id)
		reg.next_dp_id = dp_id + 1;
}

void
cp_registry_hold(uint64_t dp_id)
{
	if (reg.n_held == reg.cap_held) {
		size_t cap = reg.cap_held != 0 ? reg.cap_held * 2 : 16;
		uint64_t *h = realloc(reg.held, cap * sizeof(*h));

		if (h == NULL)
			return; /* the worst outcome: the reconciliation deletes it as an orphan */
		reg.held = h;
		reg.cap_held = cap;
	}
	reg.held[reg.n_held++] = dp_id;
}

void
cp_registry_unhold(uint64_t dp_id)
{
	size_t i;

	for (i = 0; i < reg.n_held; i++)
		if (reg.held[i] == dp_id) {
			reg.held[i] = reg.held[--reg.n_held];
			return;
		}
}

static void
dp_key(char key[20], uint64_t dp_id)
{
	snprintf(key, 20, "%" PRIx64, dp_id);
}

uint32_t *
cp_registry_dp_slot(uint64_t dp_id)
{
	char key[20];

	dp_key(key, dp_id);
	return cp_map_get(&reg.by_dp, key);
}

bool
cp_registry_knows(uint64_t dp_id)
{
	size_t i;

	for (i = 0; i < reg.n_held; i++)
		if (reg.held[i] == dp_id)
			return true;
	return cp_registry_dp_slot(dp_id) != NULL;
}

/* Index an object by its dataplane id (key: its dp_key field). 0, or -ENOMEM / -EEXIST. */
static int
dp_index(char *key, uint64_t dp_id, uint32_t *slot)
{
	dp_key(key, dp_id);
	if (cp_map_get(&reg.by_dp, key) != NULL)
		return -EEXIST;
	return cp_map_put(&reg.by_dp, key, slot);
}

/* ---- rooms ------------------------------------------------------------------------------ */

static int
room_join(const char *name)
{
	struct room *room = cp_map_get(&reg.rooms, name);

	if (room == NULL) {
		room = calloc(1, sizeof(*room));
		if (room == NULL)
			return -ENOMEM;
		snprintf(room->name, sizeof(room->name), "%s", name);
		if (cp_map_put(&reg.rooms, room->name, room) < 0) {
			free(room);
			return -ENOMEM;
		}
	}
	room->n_transports++;
	return room->n_transports == 1;
}

static void
room_leave(const char *name)
{
	struct room *room = cp_map_get(&reg.rooms, name);

	if (room == NULL || --room->n_transports != 0)
		return;
	announce(CP_EV_ROOM_LEFT, room->name, NULL, NULL, NULL, false);
	cp_map_del(&reg.rooms, room->name);
	free(room);
}

unsigned int
cp_registry_room_transports(const char *room)
{
	struct room *r = cp_map_get(&reg.rooms, room);

	return r != NULL ? r->n_transports : 0;
}

/* ---- entering ---------------------------------------------------------------------------- */

int
cp_registry_add_transport(struct cp_transport *t)
{
	int joined = 0, rc;

	if (cp_map_get(&reg.transports, t->id) != NULL || (t->pipe && reg.pipe != NULL))
		return -EEXIST;
	if ((rc = dp_index(t->dp_key, t->dp_id, &t->slot)) < 0)
		return rc;
	if (cp_map_put(&reg.transports, t->id, t) < 0 ||
	    (!t->pipe && (joined = room_join(t->room)) < 0)) {
		cp_map_del(&reg.transports, t->id);
		cp_map_del(&reg.by_dp, t->dp_key);
		return -ENOMEM;
	}
	list_init(&t->producers);
	list_init(&t->consumers);
	t->entered = true;
	if (t->pipe)
		reg.pipe = t;
	cp_registry_dp_id_seen(t->dp_id);
	cp_registry_unhold(t->dp_id);
	if (joined == 1)
		announce(CP_EV_ROOM_JOINED, t->room, t, NULL, NULL, false);
	announce(CP_EV_TRANSPORT_ADDED, t->room, t, NULL, NULL, false);
	return 0;
}

int
cp_registry_add_producer(struct cp_producer *p)
{
	int rc;

	if (p->t == NULL || !p->t->entered)
		return -EINVAL;
	if (cp_map_get(&reg.producers, p->id) != NULL)
		return -EEXIST;
	if ((rc = dp_index(p->dp_key, p->dp_id, &p->slot)) < 0)
		return rc;
	if (cp_map_put(&reg.producers, p->id, p) < 0) {
		cp_map_del(&reg.by_dp, p->dp_key);
		return -ENOMEM;
	}
	if (cp_map_put(&reg.producer_by_dp, p->dp_key, p) < 0) {
		cp_map_del(&reg.producers, p->id);
		cp_map_del(&reg.by_dp, p->dp_key);
		return -ENOMEM;
	}
	list_init(&p->consumers);
	list_add(&p->t->producers, &p->t_link);
	p->entered = true;
	p->n_consumers = 0;
	cp_registry_dp_id_seen(p->dp_id);
	cp_registry_unhold(p->dp_id);
	announce(CP_EV_PRODUCER_ADDED, p->room, p->t, p, NULL, false);
	return 0;
}

int
cp_registry_add_consumer(struct cp_consumer *c)
{
	int rc;

	if (c->t == NULL || c->p == NULL || !c->t->entered || !c->p->entered)
		return -EINVAL;
	if (cp_map_get(&reg.consumers, c->id) != NULL)
		return -EEXIST;
	if ((rc = dp_index(c->dp_key, c->dp_id, &c->slot)) < 0)
		return rc;
	if (cp_map_put(&reg.consumers, c->id, c) < 0) {
		cp_map_del(&reg.by_dp, c->dp_key);
		return -ENOMEM;
	}
	list_add(&c->t->consumers, &c->t_link);
	list_add(&c->p->consumers, &c->p_link);
	c->entered = true;
	c->p->n_consumers++;
	cp_registry_dp_id_seen(c->dp_id);
	cp_registry_unhold(c->dp_id);
	announce(CP_EV_CONSUMER_ADDED, c->p->room, c->t, c->p, c, false);
	return 0;
}

/* ---- removing ---------------------------------------------------------------------------- */

static void
consumer_remove(struct cp_consumer *c, bool cascade)
{
	announce(CP_EV_CONSUMER_CLOSED, c->p->room, c->t, c->p, c, cascade);
	cp_map_del(&reg.consumers, c->id);
	cp_map_del(&reg.by_dp, c->dp_key);
	list_del(&c->t_link);
	list_del(&c->p_link);
	c->p->n_consumers--;
	cp_consumer_free(c);
}

static void
producer_remove(struct cp_producer *p, bool cascade)
{
	while (p->consumers.next != &p->consumers)
		consumer_remove(OF(p->consumers.next, struct cp_consumer, p_link), true);
	announce(CP_EV_PRODUCER_CLOSED, p->room, p->t, p, NULL, cascade);
	cp_map_del(&reg.producers, p->id);
	cp_map_del(&reg.by_dp, p->dp_key);
	cp_map_del(&reg.producer_by_dp, p->dp_key);
	list_del(&p->t_link);
	cp_producer_free(p);
}

void
cp_registry_remove_consumer(struct cp_consumer *c)
{
	consumer_remove(c, false);
}

void
cp_registry_remove_producer(struct cp_producer *p)
{
	producer_remove(p, false);
}

void
cp_registry_remove_transport(struct cp_transport *t)
{
	char room[sizeof(t->room)];

	while (t->consumers.next != &t->consumers)
		consumer_remove(OF(t->consumers.next, struct cp_consumer, t_link), true);
	while (t->producers.next != &t->producers)
		producer_remove(OF(t->producers.next, struct cp_producer, t_link), true);
	announce(CP_EV_TRANSPORT_CLOSED, t->room, t, NULL, NULL, false);
	cp_map_del(&reg.transports, t->id);
	cp_map_del(&reg.by_dp, t->dp_key);
	snprintf(room, sizeof(room), "%s", t->room);
	if (t->pipe) {
		reg.pipe = NULL;
	} else {
		cp_ports_put(&reg.ports, t->port);
		if (!t->rtcp_mux)
			cp_ports_put(&reg.ports, t->rtcp_port);
	}
	cp_transport_free(t);
	if (room[0] != '\0')
		room_leave(room);
}

/* ---- changes ----------------------------------------------------------------------------- */

void
cp_registry_producer_paused(struct cp_producer *p, bool paused)
{
	if (p->paused == paused)
		return;
	p->paused = paused;
	announce(CP_EV_PRODUCER_PAUSED, p->room, p->t, p, NULL, false);
}

void
cp_registry_consumer_paused(struct cp_consumer *c, bool paused)
{
	if (c->paused == paused)
		return;
	c->paused = paused;
	announce(CP_EV_CONSUMER_PAUSED, c->p->room, c->t, c->p, c, false);
}

void
cp_registry_transport_connected(struct cp_transport *t)
{
	announce(CP_EV_TRANSPORT_CONNECTED, t->room, t, NULL, NULL, false);
}

/* ---- lookups ----------------------------------------------------------------------------- */

struct cp_transport *
cp_registry_transport(const char *id)
{
	return cp_map_get(&reg.transports, id);
}

struct cp_producer *
cp_registry_producer_by_dp(uint64_t dp_id)
{
	char key[20];

	dp_key(key, dp_id);
	return cp_map_get(&reg.producer_by_dp, key);
}

struct cp_producer *
cp_registry_producer(const char *id)
{
	return cp_map_get(&reg.producers, id);
}

struct cp_consumer *
cp_registry_consumer(const char *id)
{
	return cp_map_get(&reg.consumers, id);
}

struct cp_transport *
cp_registry_pipe_transport(void)
{
	return reg.pipe;
}

unsigned int
cp_registry_n_transports(void)
{
	return (unsigned int)reg.transports.used;
}

unsigned int
cp_registry_n_producers(void)
{
	return (unsigned int)reg.producers.used;
}

unsigned int
cp_registry_n_consumers(void)
{
	return (unsigned int)reg.consumers.used;
}

struct walk {
	void (*t)(struct cp_transport *, void *);
	void (*p)(struct cp_producer *, void *);
	void (*c)(struct cp_consumer *, void *);
	void (*r)(const char *, unsigned int, void *);
	void *arg;
};

static void
walk_one(const char *k, void *v, void *arg)
{
	struct walk *w = arg;

	(void)k;
	if (w->t != NULL)
		w->t(v, w->arg);
	else if (w->p != NULL)
		w->p(v, w->arg);
	else if (w->c != NULL)
		w->c(v, w->arg);
	else
		w->r(((struct room *)v)->name, ((struct room *)v)->n_transports, w->arg);
}

void
cp_registry_each_transport(void (*fn)(struct cp_transport *t, void *arg), void *arg)
{
	struct walk w = {.t = fn, .arg = arg};

	cp_map_each(&reg.transports, walk_one, &w);
}

void
cp_registry_each_producer(void (*fn)(struct cp_producer *p, void *arg), void *arg)
{
	struct walk w = {.p = fn, .arg = arg};

	cp_map_each(&reg.producers, walk_one, &w);
}

void
cp_registry_each_consumer(void (*fn)(struct cp_consumer *c, void *arg), void *arg)
{
	struct walk w = {.c = fn, .arg = arg};

	cp_map_each(&reg.consumers, walk_one, &w);
}

void
cp_registry_each_room(void (*fn)(const char *room, unsigned int n_transports, void *arg), void *arg)
{
	struct walk w = {.r = fn, .arg = arg};

	cp_map_each(&reg.rooms, walk_one, &w);
}

void
cp_producer_each_consumer(struct cp_producer *p, void (*fn)(struct cp_consumer *c, void *arg),
			  void *arg)
{
	struct cp_link *l;

	for (l = p->consumers.next; l != &p->consumers; l = l->next)
		fn(OF(l, struct cp_consumer, p_link), arg);
}
