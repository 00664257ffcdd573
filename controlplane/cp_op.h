/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A change of registry objects through the dataplane, in flight (cp_install.c
 * makes them): from its first command to its callback an op holds pointers to
 * registry objects. The busy flags and pending counts keep an object from
 * being deleted under a change of its own, but not under a change of a
 * parent: a consumer's delete may start while its producer's is in flight,
 * and the dataplane answers in its own order (a delete's success waits for
 * its grace period, a command that finds nothing is answered at once). So
 * every op is on a list while it holds registry objects, and an object that
 * leaves the registry detaches the ops that hold it, itself or as a parent:
 * their holds are given back and their pointers dropped (an add keeps its own
 * object, which never entered), and the answer that comes later finishes the
 * op as what happened (a delete succeeded, a pause or an add is -ENOENT)
 * without touching what was freed (tests/unit/test_install.c). Event-loop
 * thread only.
 *
 * Layer: registry.
 */
#ifndef CP_OP_H
#define CP_OP_H

#include <stdbool.h>
#include <stdint.h>

#include <cascade/msg.h>

#include "cp_dp.h"
#include "cp_err.h"
#include "cp_registry.h"

/* How long the dataplane has to answer a command. */
#define CP_OP_TIMEOUT_MS 2000

/*
 * A change's callback, exactly once: err NULL and the object on success, or
 * err and obj NULL.
 */
typedef void (*cp_op_cb)(const struct cp_err *err, void *obj, void *arg);

enum cp_op_kind { CP_OP_ADD, CP_OP_CONNECT, CP_OP_PAUSE, CP_OP_DELETE };

struct cp_op {
	struct cp_op *prev, *next; /* on the list while it holds registry objects */
	bool linked;
	bool gone; /* what it held left the registry meanwhile (detached) */
	enum cp_op_kind kind;
	cp_op_cb cb;
	void *arg;
	struct cp_transport *t;
	struct cp_producer *p;
	struct cp_consumer *c;
	bool enter, pause;
	/* for the answer once detached: what it was about ("consumer 1234…") */
	const char *what;
	char id[CP_OBJ_ID_MAX]; /* connect: t's id, looked up again after the MAC lookup */
	/* connect: the keys go first, then the tuple once the next hop's MAC is known */
	bool has_tuple;
	char remote_ip[CP_IP_MAX];
	uint16_t remote_port, remote_rtcp_port;
	struct cascade_cmd cmd;
	struct cascade_cmd srtp;
};

/* Watch the registry (after cp_registry_init()). 0, or -ENOMEM. */
int cp_op_init(void);

/* A new op, on the list; NULL with err (-ENOMEM). */
struct cp_op *cp_op_new(enum cp_op_kind kind, cp_op_cb cb, void *arg, struct cp_err *err);
/* Off the list (idempotent): from here on no registry event reaches it. */
void cp_op_unlink(struct cp_op *o);
/* Free an op that never called back (its keys wiped). */
void cp_op_free(struct cp_op *o);
/* Call o back (err NULL: success, with obj) and free it. */
void cp_op_finish(struct cp_op *o, const struct cp_err *err, void *obj);
/* The same with the dataplane's refusal (rep NULL: no answer) as the error. */
void cp_op_finish_reply(struct cp_op *o, const struct cascade_reply *rep);
/* A detached op's end: -ENOENT, what it was about was closed meanwhile. */
void cp_op_finish_gone(struct cp_op *o);
/* A pause or delete in flight (on) or over: its object busy, counted pending on its parents. */
void cp_op_hold(struct cp_op *o, bool on);

/* 0 when the dataplane runs, else -ENOTCONN with err. */
int cp_op_need_dp(struct cp_err *err);
/* Send cmd for o, answered to cb. 0, or -ENOTCONN with err. */
int cp_op_send(struct cascade_cmd *cmd, cp_dp_cb cb, struct cp_op *o, struct cp_err *err);
/* Whether a delete's answer means the object is gone (deleted, or it was not there). */
bool cp_op_ok_or_gone(const struct cascade_reply *rep);
/* Delete an object the registry does not hold; the answer only matters for the log. */
void cp_op_dp_del(uint16_t type, uint64_t dp_id);
/* A reply status (NULL: no answer) as a cp_err: code and message. */
void cp_install_reply_err(const struct cascade_reply *rep, struct cp_err *err);

#endif
