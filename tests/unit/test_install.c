/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Changes that cross in flight (cp_install.c). The dataplane answers in its
 * own order: a delete's success waits for its grace period while a command
 * that finds nothing is answered at once, so a child's answer may come before
 * or after the answer that removed it with its parent. Here the dataplane's
 * side is a script: every command waits until the test answers it, in the
 * order the test chooses (the integration test cp_races runs the same crossings
 * against a real dataplane, in whatever order it answers). Each case checks
 * that every change is called back once with what happened (a delete of an
 * object that went with its parent succeeded; a pause of it or a new consumer
 * of it is -ENOENT), that nothing freed is touched (ASan), that nothing is
 * leaked (LSan) and that no object is left counting a change that ended.
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

#include "cp_install.h"
#include "cp_neigh.h"

/* ---- the scripted dataplane ---- */

#define MAX_CMDS 16

static struct {
	struct cascade_cmd cmd[MAX_CMDS];
	cp_dp_cb cb[MAX_CMDS];
	void *arg[MAX_CMDS];
	bool answered[MAX_CMDS];
	unsigned int n;
	uint32_t next_slot;
} dp;

enum cp_dp_state
cp_dp_state(void)
{
	return CP_DP_RUNNING;
}

int
cp_dp_call(struct cascade_cmd *cmd, unsigned int timeout_ms, cp_dp_cb cb, void *arg)
{
	(void)timeout_ms;
	if (dp.n == MAX_CMDS)
		return -ENOBUFS;
	dp.cmd[dp.n] = *cmd;
	dp.cb[dp.n] = cb;
	dp.arg[dp.n] = arg;
	dp.answered[dp.n] = false;
	dp.n++;
	return 0;
}

void
cp_neigh_resolve(const char *ip, cp_neigh_cb cb, void *arg)
{
	(void)ip;
	cb(NULL, arg);
}

/* Answer command i with status. */
static void
answer(unsigned int i, int status)
{
	struct cascade_reply r;

	assert_true(i < dp.n);
	assert_false(dp.answered[i]);
	memset(&r, 0, sizeof(r));
	r.req_id = dp.cmd[i].req_id;
	r.status = status;
	r.slot = dp.next_slot++;
	snprintf(r.message, sizeof(r.message), "%s", status == -ENOENT ? "not found" : "");
	dp.answered[i] = true;
	dp.cb[i](&r, dp.arg[i]);
}

/* Whether any command not answered yet is of type for dp_id. */
static bool
asked(uint16_t type, uint64_t dp_id)
{
	unsigned int i;

	for (i = 0; i < dp.n; i++)
		if (!dp.answered[i] && dp.cmd[i].type == type && dp.cmd[i].u.obj.obj_id == dp_id)
			return true;
	return false;
}

/* Answer every command still waiting, in order, as the dataplane would (ENOENT for deletes of what went). */
static void
answer_rest(void)
{
	unsigned int i;

	for (i = 0; i < dp.n; i++)
		if (!dp.answered[i])
			answer(i, dp.cmd[i].type == CASCADE_CMD_CONSUMER_DEL ||
						  dp.cmd[i].type == CASCADE_CMD_PRODUCER_DEL
					  ? -ENOENT
					  : 0);
}

/* ---- what the changes call back ---- */

struct result {
	bool called;
	unsigned int times;
	int code;
	void *obj;
};

/* the results of a case's changes (static: teardown answers what a failed case left) */
static struct result rt, rp, rc;

static void
done(const struct cp_err *err, void *obj, void *arg)
{
	struct result *r = arg;

	r->called = true;
	r->times++;
	r->code = err != NULL ? err->code : 0;
	r->obj = obj;
}

/* ---- a room: transports a and b, producer p on a, consumer c of p on b ---- */

static struct cp_config cfg;
static struct cp_transport *ta, *tb;
static struct cp_producer *p;
static struct cp_consumer *c;

static struct cp_transport *
transport(const char *id)
{
	struct cp_transport *t = calloc(1, sizeof(*t));
	struct result r = {0};
	struct cp_err err;

	assert_non_null(t);
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->room, sizeof(t->room), "room");
	snprintf(t->ip, sizeof(t->ip), "198.18.0.1");
	t->rtcp_mux = true;
	assert_int_equal(cp_ports_get(cp_registry_ports(), 1, &t->port), 0);
	assert_int_equal(cp_install_transport(t, done, &r, &err), 0);
	answer(dp.n - 1, 0);
	assert_int_equal(r.code, 0);
	return r.obj;
}

static int
install_producer(struct cp_producer **out, const char *id, struct cp_transport *t,
		 struct result *r)
{
	struct cp_producer *np = calloc(1, sizeof(*np));
	struct cp_err err;

	assert_non_null(np);
	snprintf(np->id, sizeof(np->id), "%s", id);
	snprintf(np->room, sizeof(np->room), "room");
	np->t = t;
	np->kind = 1;
	np->ssrc = 0x1000;
	np->clock_rate = 90000;
	np->rtp = json_pack("{s:[{s:s,s:i,s:i}]}", "codecs", "mimeType", "video/VP8", "payloadType",
			    96, "clockRate", 90000);
	*out = np;
	return cp_install_producer(np, true, done, r, &err);
}

static int
install_consumer(const char *id, struct cp_transport *t, struct cp_producer *of, struct result *r)
{
	struct cp_consumer *nc = calloc(1, sizeof(*nc));
	struct cascade_cmd cmd;
	struct cp_err err;

	assert_non_null(nc);
	snprintf(nc->id, sizeof(nc->id), "%s", id);
	nc->t = t;
	nc->p = of;
	nc->ssrc = 0x2000;
	memset(&cmd, 0, sizeof(cmd));
	return cp_install_consumer(nc, &cmd, true, done, r, &err);
}

static int
setup(void **state)
{
	struct result r = {0};
	struct cp_producer *np;

	(void)state;
	memset(&dp, 0, sizeof(dp));
	memset(&rt, 0, sizeof(rt));
	memset(&rp, 0, sizeof(rp));
	memset(&rc, 0, sizeof(rc));
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.node_id, sizeof(cfg.node_id), "node-a");
	if (cp_registry_init(40000, 40099) < 0 || cp_install_init(&cfg) < 0)
		return -1;
	ta = transport("ta");
	tb = transport("tb");
	assert_int_equal(install_producer(&np, "p", ta, &r), 0);
	answer(dp.n - 1, 0);
	assert_int_equal(r.code, 0);
	p = r.obj;
	memset(&r, 0, sizeof(r));
	assert_int_equal(install_consumer("c", tb, p, &r), 0);
	answer(dp.n - 1, 0);
	assert_int_equal(r.code, 0);
	c = r.obj;
	assert_ptr_equal(cp_registry_consumer("c"), c);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	answer_rest();
	cp_registry_fini();
	return 0;
}

/* Nothing left counting a change in flight: what is left can change and be deleted. */
static void
settled(void)
{
	struct cp_transport *t = cp_registry_transport("tb");
	struct result r = {0};
	struct cp_err err;

	assert_non_null(t);
	assert_int_equal(t->n_pending, 0);
	assert_false(t->busy);
	assert_int_equal(cp_transport_delete(t, done, &r, &err), 0);
	answer(dp.n - 1, 0);
	assert_int_equal(r.code, 0);
	assert_null(cp_registry_transport("tb"));
}

/* ---- the crossings ---- */

/* A consumer deleted while its producer's delete is in flight; the producer's answer first. */
static void
test_consumer_delete_under_producer_delete(void **state)
{
	struct cp_err err;
	uint64_t c_dp = c->dp_id;

	(void)state;
	assert_int_equal(cp_producer_delete(p, done, &rp, &err), 0);
	assert_int_equal(cp_consumer_delete(c, done, &rc, &err), 0);
	assert_true(asked(CASCADE_CMD_CONSUMER_DEL, c_dp));
	answer(dp.n - 2, 0); /* the producer went, its consumer with it */
	assert_int_equal(rp.times, 1);
	assert_int_equal(rp.code, 0);
	assert_null(cp_registry_consumer("c"));
	answer(dp.n - 1, -ENOENT); /* the consumer's delete found nothing */
	assert_int_equal(rc.times, 1);
	assert_int_equal(rc.code, 0); /* it went: what was asked */
	settled();
}

/* The same, the consumer's answer first (its delete was applied before the producer's). */
static void
test_consumer_delete_answered_first(void **state)
{
	struct cp_err err;

	(void)state;
	assert_int_equal(cp_producer_delete(p, done, &rp, &err), 0);
	assert_int_equal(cp_consumer_delete(c, done, &rc, &err), 0);
	answer(dp.n - 1, 0);
	assert_int_equal(rc.code, 0);
	assert_null(cp_registry_consumer("c"));
	answer(dp.n - 2, 0);
	assert_int_equal(rp.code, 0);
	assert_null(cp_registry_producer("p"));
	settled();
}

/* A consumer paused on tb while the transport of its producer (ta) is deleted. */
static void
test_consumer_pause_under_transport_delete(void **state)
{
	struct cp_err err;

	(void)state;
	assert_int_equal(cp_transport_delete(ta, done, &rt, &err), 0);
	assert_int_equal(cp_consumer_pause(c, true, done, &rc, &err), 0);
	answer(dp.n - 2, 0);
	assert_int_equal(rt.code, 0);
	assert_null(cp_registry_producer("p"));
	assert_null(cp_registry_consumer("c"));
	answer(dp.n - 1, -ENOENT);
	assert_int_equal(rc.times, 1);
	assert_int_equal(rc.code, -ENOENT);
	settled();
}

/* The same pause, applied before the transport went (the dataplane said yes). */
static void
test_consumer_pause_applied_then_closed(void **state)
{
	struct cp_err err;

	(void)state;
	assert_int_equal(cp_transport_delete(ta, done, &rt, &err), 0);
	assert_int_equal(cp_consumer_pause(c, true, done, &rc, &err), 0);
	answer(dp.n - 2, 0);
	answer(dp.n - 1, 0);
	assert_int_equal(rc.times, 1);
	assert_int_equal(rc.code, -ENOENT); /* paused, but closed since: it is not there */
	settled();
}

/* A new consumer of p on tb while p's transport is deleted: applied, then removed with it. */
static void
test_consumer_create_under_transport_delete(void **state)
{
	struct cp_err err;
	uint64_t new_dp;

	(void)state;
	assert_int_equal(cp_transport_delete(ta, done, &rt, &err), 0);
	assert_int_equal(install_consumer("c2", tb, p, &rc), 0);
	new_dp = dp.cmd[dp.n - 1].u.consumer.obj_id;
	answer(dp.n - 2, 0);
	assert_int_equal(rt.code, 0);
	assert_false(rc.called);
	answer(dp.n - 1, 0); /* the consumer's add, applied before the delete took it */
	assert_int_equal(rc.times, 1);
	assert_int_equal(rc.code, -ENOENT);
	assert_null(cp_registry_consumer("c2"));
	/* in case the dataplane still had it: deleted again, and not in the registry */
	assert_true(asked(CASCADE_CMD_CONSUMER_DEL, new_dp));
	settled();
}

/* A new producer on ta while ta is deleted (refused: the transport is busy). */
static void
test_producer_create_refused_under_transport_delete(void **state)
{
	struct cp_err err;
	struct cp_producer_req rq = {0};

	(void)state;
	assert_int_equal(cp_transport_delete(ta, done, &rt, &err), 0);
	rq.rtp = p->rtp;
	rq.kind = 1;
	rq.info.ssrc = 0x3000;
	rq.info.clock_rate = 90000;
	assert_int_equal(cp_producer_create(ta, &rq, done, &rp, &err), -EBUSY);
	answer(dp.n - 1, 0);
	assert_int_equal(rt.code, 0);
	settled();
}

/* A producer deleted while its own transport's delete is in flight. */
static void
test_producer_delete_under_transport_delete(void **state)
{
	struct cp_err err;

	(void)state;
	assert_int_equal(cp_transport_delete(ta, done, &rt, &err), 0);
	assert_int_equal(cp_producer_delete(p, done, &rp, &err), 0);
	answer(dp.n - 2, 0);
	answer(dp.n - 1, -ENOENT);
	assert_int_equal(rt.code, 0);
	assert_int_equal(rp.times, 1);
	assert_int_equal(rp.code, 0);
	settled();
}

/* A producer deleted while a consumer of it is being made: the delete does not wait. */
static void
test_producer_delete_under_consumer_create(void **state)
{
	struct cp_err err;

	(void)state;
	assert_int_equal(install_consumer("c2", tb, p, &rc), 0);
	assert_int_equal(cp_producer_delete(p, done, &rp, &err), 0);
	answer(dp.n - 2, 0); /* the add, applied first */
	assert_int_equal(rc.code, 0);
	answer(dp.n - 1, 0); /* the delete took both consumers along */
	assert_int_equal(rp.code, 0);
	assert_null(cp_registry_consumer("c2"));
	assert_null(cp_registry_consumer("c"));
	settled();
}

/* The same with the delete applied first: the add finds no producer. */
static void
test_producer_delete_before_consumer_create(void **state)
{
	struct cp_err err;

	(void)state;
	assert_int_equal(install_consumer("c2", tb, p, &rc), 0);
	assert_int_equal(cp_transport_delete(ta, done, &rt, &err), 0);
	answer(dp.n - 1, 0);
	assert_int_equal(rt.code, 0);
	answer(dp.n - 2, -ENOENT);
	assert_int_equal(rc.times, 1);
	assert_int_equal(rc.code, -ENOENT);
	settled();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_consumer_delete_under_producer_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_consumer_delete_answered_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consumer_pause_under_transport_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_consumer_pause_applied_then_closed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_consumer_create_under_transport_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_producer_create_refused_under_transport_delete,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_producer_delete_under_transport_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_producer_delete_under_consumer_create, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_producer_delete_before_consumer_create, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
