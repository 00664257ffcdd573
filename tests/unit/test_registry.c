/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry's rules: rooms are joined by their first transport and left
 * with their last (the pipe transport joins none); removals cascade children
 * first (a producer's consumers, then the producer; a transport's consumers,
 * then its producers each after its own consumers, then the transport, then
 * the room) and observers see each object whole, in registration order; a
 * removed transport gives its ports back; ids and dataplane ids are indexed,
 * held ids are known; pause events only on a change; refusals change nothing.
 * The dataplane's events: keyframe requests counted on the producer the
 * event names, events of a removed one stale.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cp_dp_events.h"
#include "cp_registry.h"

static char log_buf[4096];

/* Every event as "name:object" (room for room events, the id otherwise), space separated. */
static void
record(const struct cp_reg_event *ev, void *arg)
{
	const char *what = ev->c != NULL   ? ev->c->id
			   : ev->p != NULL ? ev->p->id
			   : ev->t != NULL ? ev->t->id
					   : "";
	size_t n = strlen(log_buf);

	if (ev->type == CP_EV_ROOM_JOINED || ev->type == CP_EV_ROOM_LEFT)
		what = ev->room;
	snprintf(log_buf + n, sizeof(log_buf) - n, "%s%s%s:%s%s", n != 0 ? " " : "",
		 arg != NULL ? (const char *)arg : "", cp_reg_ev_name(ev->type), what,
		 ev->cascade ? "*" : "");
}

static void
expect_log(const char *want)
{
	assert_string_equal(log_buf, want);
	log_buf[0] = '\0';
}

static int
setup(void **state)
{
	(void)state;
	log_buf[0] = '\0';
	if (cp_registry_init(40000, 40099) < 0)
		return -1;
	return cp_registry_watch_all(record, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	cp_registry_fini();
	return 0;
}

static struct cp_transport *
transport(const char *id, const char *room, uint16_t port)
{
	struct cp_transport *t = calloc(1, sizeof(*t));

	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->room, sizeof(t->room), "%s", room);
	t->rtcp_mux = true;
	t->port = port;
	t->dp_id = cp_registry_next_dp_id();
	assert_int_equal(cp_ports_take(cp_registry_ports(), 1, port), 0);
	assert_int_equal(cp_registry_add_transport(t), 0);
	return t;
}

static struct cp_producer *
producer(const char *id, struct cp_transport *t)
{
	struct cp_producer *p = calloc(1, sizeof(*p));

	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->room, sizeof(p->room), "%s", t->room);
	p->t = t;
	p->dp_id = cp_registry_next_dp_id();
	p->rtp = json_object();
	assert_int_equal(cp_registry_add_producer(p), 0);
	return p;
}

static struct cp_consumer *
consumer(const char *id, struct cp_transport *t, struct cp_producer *p)
{
	struct cp_consumer *c = calloc(1, sizeof(*c));

	snprintf(c->id, sizeof(c->id), "%s", id);
	c->t = t;
	c->p = p;
	c->dp_id = cp_registry_next_dp_id();
	c->rtp = json_object();
	assert_int_equal(cp_registry_add_consumer(c), 0);
	return c;
}

static void
test_rooms(void **state)
{
	struct cp_transport *a1, *a2, *b1;

	(void)state;
	a1 = transport("a1", "A", 40000);
	a2 = transport("a2", "A", 40001);
	b1 = transport("b1", "B", 40002);
	expect_log("room.joined:A transport.added:a1 transport.added:a2 room.joined:B "
		   "transport.added:b1");
	assert_int_equal(cp_registry_room_transports("A"), 2);
	assert_int_equal(cp_registry_room_transports("C"), 0);
	cp_registry_remove_transport(a1);
	expect_log("transport.closed:a1");
	cp_registry_remove_transport(a2);
	expect_log("transport.closed:a2 room.left:A");
	assert_int_equal(cp_registry_room_transports("A"), 0);
	cp_registry_remove_transport(b1);
	expect_log("transport.closed:b1 room.left:B");
	assert_int_equal(cp_registry_n_transports(), 0);
}

static void
test_cascade_producer(void **state)
{
	struct cp_transport *tp, *t1, *t2;
	struct cp_producer *p, *q;

	(void)state;
	tp = transport("tp", "R", 40000);
	t1 = transport("t1", "R", 40001);
	t2 = transport("t2", "R", 40002);
	p = producer("p", tp);
	q = producer("q", tp);
	consumer("c1", t1, p);
	consumer("c2", t2, p);
	consumer("c3", t1, q);
	log_buf[0] = '\0';
	assert_int_equal(p->n_consumers, 2);
	cp_registry_remove_producer(p);
	/* its consumers first (removed with it: *), then the producer itself */
	expect_log("consumer.closed:c1* consumer.closed:c2* producer.closed:p");
	assert_null(cp_registry_consumer("c1"));
	assert_null(cp_registry_consumer("c2"));
	assert_non_null(cp_registry_consumer("c3"));
	assert_int_equal(cp_registry_n_consumers(), 1);
	assert_int_equal(q->n_consumers, 1);
	cp_registry_remove_consumer(cp_registry_consumer("c3"));
	expect_log("consumer.closed:c3");
	assert_int_equal(q->n_consumers, 0);
}

static void
test_cascade_transport(void **state)
{
	struct cp_transport *tp, *t1;
	struct cp_producer *p, *q, *x;

	(void)state;
	tp = transport("tp", "R", 40000);
	t1 = transport("t1", "R", 40001);
	p = producer("p", tp);
	q = producer("q", tp);
	x = producer("x", t1);
	consumer("c1", t1, p); /* on t1, of tp's producer */
	consumer("c2", tp, x); /* on tp, of t1's producer */
	consumer("c3", tp, q);
	log_buf[0] = '\0';
	cp_registry_remove_transport(tp);
	/*
	 * tp's own consumers (c2, c3) first, then each producer after its consumers (p: c1 on
	 * another transport; q: none left), then tp, and the room stays (t1 is in it)
	 */
	expect_log("consumer.closed:c2* consumer.closed:c3* consumer.closed:c1* producer.closed:p* "
		   "producer.closed:q* transport.closed:tp");
	assert_int_equal(cp_registry_n_producers(), 1);
	assert_int_equal(cp_registry_n_consumers(), 0);
	assert_int_equal(x->n_consumers, 0);
	assert_int_equal(cp_registry_room_transports("R"), 1);
	/* the transport's port is free again */
	assert_int_equal(cp_ports_take(cp_registry_ports(), 1, 40000), 0);
	assert_int_equal(cp_ports_take(cp_registry_ports(), 1, 40001), -EBUSY);
	cp_registry_remove_transport(t1);
	expect_log("producer.closed:x* transport.closed:t1 room.left:R");
}

static void
test_pipe_transport(void **state)
{
	struct cp_transport *pt = calloc(1, sizeof(*pt)), *again = calloc(1, sizeof(*again));
	struct cp_transport *t;
	struct cp_producer *pp;

	(void)state;
	snprintf(pt->id, sizeof(pt->id), "pipe-n1");
	pt->pipe = true;
	pt->port = 7000; /* outside the media range: not the registry's to give back */
	pt->dp_id = cp_registry_next_dp_id();
	assert_int_equal(cp_registry_add_transport(pt), 0);
	expect_log("transport.added:pipe-n1"); /* no room */
	assert_ptr_equal(cp_registry_pipe_transport(), pt);
	snprintf(again->id, sizeof(again->id), "pipe-n2");
	again->pipe = true;
	again->dp_id = cp_registry_next_dp_id();
	assert_int_equal(cp_registry_add_transport(again), -EEXIST); /* one per node */
	cp_transport_free(again);
	pp = calloc(1, sizeof(*pp));
	snprintf(pp->id, sizeof(pp->id), "piped");
	snprintf(pp->room, sizeof(pp->room), "R");
	pp->pipe = true;
	pp->t = pt;
	pp->dp_id = cp_registry_next_dp_id();
	pp->rtp = json_object();
	assert_int_equal(cp_registry_add_producer(pp), 0);
	t = transport("t", "R", 40000);
	consumer("c", t, pp);
	log_buf[0] = '\0';
	cp_registry_remove_transport(pt);
	expect_log("consumer.closed:c* producer.closed:piped* transport.closed:pipe-n1");
	assert_null(cp_registry_pipe_transport());
	assert_int_equal(cp_registry_room_transports("R"), 1);
}

static void
test_refusals(void **state)
{
	struct cp_transport *t = transport("t", "R", 40000), *dup = calloc(1, sizeof(*dup));
	struct cp_transport loose = {0};
	struct cp_producer *p = producer("p", t), *orphan = calloc(1, sizeof(*orphan));
	struct cp_consumer *c = calloc(1, sizeof(*c));

	(void)state;
	log_buf[0] = '\0';
	snprintf(dup->id, sizeof(dup->id), "t");
	snprintf(dup->room, sizeof(dup->room), "R");
	dup->dp_id = cp_registry_next_dp_id();
	assert_int_equal(cp_registry_add_transport(dup), -EEXIST);
	/* a producer whose transport is not in the registry */
	snprintf(orphan->id, sizeof(orphan->id), "o");
	orphan->t = &loose;
	assert_int_equal(cp_registry_add_producer(orphan), -EINVAL);
	/* a second object with a dataplane id already taken */
	snprintf(c->id, sizeof(c->id), "c");
	c->t = t;
	c->p = p;
	c->dp_id = p->dp_id;
	assert_int_equal(cp_registry_add_consumer(c), -EEXIST);
	expect_log(""); /* nothing announced, nothing changed */
	assert_int_equal(cp_registry_room_transports("R"), 1);
	assert_int_equal(p->n_consumers, 0);
	cp_transport_free(dup);
	free(orphan);
	free(c);
}

static void
test_indexes(void **state)
{
	struct cp_transport *t = transport("t", "R", 40000);
	struct cp_producer *p = producer("p", t);
	uint64_t pid = p->dp_id, later;

	(void)state;
	assert_ptr_equal(cp_registry_transport("t"), t);
	assert_ptr_equal(cp_registry_producer("p"), p);
	assert_null(cp_registry_producer("t"));
	assert_ptr_equal(cp_registry_dp_slot(pid), &p->slot);
	assert_true(cp_registry_knows(t->dp_id));
	/* a held id (installed, not yet entered) is known too, until let go */
	later = cp_registry_next_dp_id();
	assert_false(cp_registry_knows(later));
	cp_registry_hold(later);
	assert_true(cp_registry_knows(later));
	assert_null(cp_registry_dp_slot(later));
	cp_registry_unhold(later);
	assert_false(cp_registry_knows(later));
	/* ids seen elsewhere (a state file, the dataplane) are never handed out again */
	cp_registry_dp_id_seen(later + 1000);
	assert_true(cp_registry_next_dp_id() > later + 1000);
	cp_registry_remove_producer(p);
	assert_false(cp_registry_knows(pid));
	assert_null(cp_registry_dp_slot(pid));
}

static void
test_pause_events(void **state)
{
	struct cp_transport *t = transport("t", "R", 40000), *t2 = transport("t2", "R", 40001);
	struct cp_producer *p = producer("p", t);
	struct cp_consumer *c = consumer("c", t2, p);

	(void)state;
	log_buf[0] = '\0';
	cp_registry_producer_paused(p, true);
	cp_registry_producer_paused(p, true); /* no change, no event */
	cp_registry_consumer_paused(c, true);
	cp_registry_producer_paused(p, false);
	cp_registry_transport_connected(t2);
	expect_log("producer.paused:p consumer.paused:c producer.paused:p transport.connected:t2");
	assert_false(p->paused);
	assert_true(c->paused);
}

static void
test_observer_order(void **state)
{
	struct cp_transport *t;

	(void)state;
	assert_int_equal(cp_registry_watch(CP_EV_TRANSPORT_ADDED, record, "2nd/"), 0);
	t = transport("t", "R", 40000);
	/* every observer of an event, in the order they came */
	expect_log("room.joined:R transport.added:t 2nd/transport.added:t");
	cp_registry_remove_transport(t);
	expect_log("transport.closed:t room.left:R");
}

static void
test_dp_events(void **state)
{
	struct cp_transport *t = transport("t1", "A", 40000);
	struct cp_producer *p1 = producer("p1", t), *p2 = producer("p2", t);
	struct cascade_event ev = {
		.type = CASCADE_EV_KEYFRAME_REQUEST, .obj_id = p1->dp_id, .value = 1};
	uint64_t gone = p2->dp_id, stale0 = cp_dp_events_stale();

	(void)state;
	assert_ptr_equal(cp_registry_producer_by_dp(p1->dp_id), p1);
	assert_ptr_equal(cp_registry_producer_by_dp(p2->dp_id), p2);
	assert_null(cp_registry_producer_by_dp(t->dp_id)); /* a transport's id names no producer */
	cp_dp_events_apply(&ev);
	cp_dp_events_apply(&ev);
	ev.value = 2; /* FIR */
	cp_dp_events_apply(&ev);
	ev.obj_id = p2->dp_id;
	cp_dp_events_apply(&ev);
	assert_int_equal(p1->pli_count, 2);
	assert_int_equal(p1->fir_count, 1);
	assert_int_equal(p2->pli_count, 0);
	assert_int_equal(p2->fir_count, 1);
	assert_int_equal(cp_dp_events_stale(), stale0);

	cp_registry_remove_producer(p2);
	assert_null(cp_registry_producer_by_dp(gone));
	ev.obj_id = gone;
	cp_dp_events_apply(&ev);
	assert_int_equal(cp_dp_events_stale(), stale0 + 1);
	/* a learned remote changes no object here (the API reads the directory) */
	ev.type = CASCADE_EV_REMOTE_LEARNED;
	ev.obj_id = t->dp_id;
	ev.value = 0;
	cp_dp_events_apply(&ev);
	assert_int_equal(p1->pli_count, 2);
	log_buf[0] = '\0';
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rooms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cascade_producer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cascade_transport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipe_transport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indexes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_observer_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dp_events, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
