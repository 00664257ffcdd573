/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Changes in flight and the registry objects they hold (see cp_op.h).
 *
 * Layer: registry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_op.h"

static struct cp_op *ops; /* in flight, holding registry objects */

struct cp_op *
cp_op_new(enum cp_op_kind kind, cp_op_cb cb, void *arg, struct cp_err *err)
{
	struct cp_op *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		cp_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	o->kind = kind;
	o->cb = cb;
	o->arg = arg;
	o->next = ops;
	if (ops != NULL)
		ops->prev = o;
	ops = o;
	o->linked = true;
	return o;
}

/* Off the list: from here on no registry event reaches it. */
void
cp_op_unlink(struct cp_op *o)
{
	if (!o->linked)
		return;
	if (o->prev != NULL)
		o->prev->next = o->next;
	else
		ops = o->next;
	if (o->next != NULL)
		o->next->prev = o->prev;
	o->prev = o->next = NULL;
	o->linked = false;
}

void
cp_op_free(struct cp_op *o)
{
	cp_op_unlink(o);
	explicit_bzero(&o->srtp, sizeof(o->srtp)); /* keys */
	free(o);
}

/* Call the op back (err NULL: success) and free it. */
void
cp_op_finish(struct cp_op *o, const struct cp_err *err, void *obj)
{
	cp_op_unlink(o); /* what the callback removes is no business of this op any more */
	o->cb(err, obj, o->arg);
	cp_op_free(o);
}

/* A detached op's answer, for a change that cannot have happened to what is gone. */
void
cp_op_finish_gone(struct cp_op *o)
{
	struct cp_err err;

	cp_err_set(&err, -ENOENT, "%s %s was closed meanwhile", o->what, o->id);
	cp_op_finish(o, &err, NULL);
}

/* Whether o holds obj (a registry object about to be freed), itself or as a parent. */
static bool
op_holds(const struct cp_op *o, const void *obj)
{
	return (o->t != NULL && (const void *)o->t == obj) ||
	       (o->p != NULL && ((const void *)o->p == obj || (const void *)o->p->t == obj)) ||
	       (o->c != NULL && ((const void *)o->c == obj || (const void *)o->c->t == obj ||
				 (const void *)o->c->p == obj));
}

/*
 * Release what o holds and drop its pointers to registry objects; an add
 * keeps its own object (never entered: freed at the answer).
 */
static void
op_detach(struct cp_op *o)
{
	switch (o->kind) {
	case CP_OP_ADD:
		if (o->p != NULL) {
			o->p->t->n_pending--;
			o->p->t = NULL;
		} else if (o->c != NULL) {
			o->c->t->n_pending--;
			o->c->p->n_pending--;
			o->c->t = NULL;
			o->c->p = NULL;
		}
		break;
	case CP_OP_PAUSE:
	case CP_OP_DELETE:
		cp_op_hold(o, false);
		o->t = NULL;
		o->p = NULL;
		o->c = NULL;
		break;
	case CP_OP_CONNECT: /* its transport is going: nothing to give back */
		o->t = NULL;
		break;
	}
	o->gone = true;
	cp_op_unlink(o);
}

static void
on_closed(const struct cp_reg_event *ev, void *arg)
{
	const void *obj = ev->type == CP_EV_CONSUMER_CLOSED   ? (const void *)ev->c
			  : ev->type == CP_EV_PRODUCER_CLOSED ? (const void *)ev->p
							      : (const void *)ev->t;
	struct cp_op *o, *next;

	(void)arg;
	for (o = ops; o != NULL; o = next) {
		next = o->next;
		if (op_holds(o, obj))
			op_detach(o);
	}
}

int
cp_op_init(void)
{
	ops = NULL;
	if (cp_registry_watch(CP_EV_CONSUMER_CLOSED, on_closed, NULL) < 0 ||
	    cp_registry_watch(CP_EV_PRODUCER_CLOSED, on_closed, NULL) < 0 ||
	    cp_registry_watch(CP_EV_TRANSPORT_CLOSED, on_closed, NULL) < 0)
		return -ENOMEM;
	return 0;
}

void
cp_install_reply_err(const struct cascade_reply *rep, struct cp_err *err)
{
	if (rep == NULL) {
		cp_err_set(err, -ETIMEDOUT, "dataplane did not answer");
		return;
	}
	switch (-rep->status) {
	case EINVAL:
	case ENOENT:
	case EEXIST:
	case EADDRINUSE:
		cp_err_set(err, rep->status, "%s", rep->message);
		break;
	case ENOSPC:
	case ENOMEM:
		cp_err_set(err, -ENOSPC, "dataplane full: %s", rep->message);
		break;
	default:
		cp_err_set(err, -EIO, "dataplane: %s", rep->message);
	}
}

void
cp_op_finish_reply(struct cp_op *o, const struct cascade_reply *rep)
{
	struct cp_err err;

	cp_install_reply_err(rep, &err);
	cp_op_finish(o, &err, NULL);
}

int
cp_op_need_dp(struct cp_err *err)
{
	if (cp_dp_state() != CP_DP_RUNNING)
		return cp_err_set(err, -ENOTCONN, "dataplane not running");
	return 0;
}

/* Send cmd for o. 0, or -ENOTCONN with err. */
int
cp_op_send(struct cascade_cmd *cmd, cp_dp_cb cb, struct cp_op *o, struct cp_err *err)
{
	int rc = cp_dp_call(cmd, CP_OP_TIMEOUT_MS, cb, o);

	if (rc < 0)
		return cp_err_set(err, -ENOTCONN, "dataplane: %s", strerror(-rc));
	return 0;
}

bool
cp_op_ok_or_gone(const struct cascade_reply *rep)
{
	return rep != NULL && (rep->status == 0 || rep->status == -ENOENT);
}

static void
on_dp_del(const struct cascade_reply *rep, void *arg)
{
	(void)arg;
	if (!cp_op_ok_or_gone(rep))
		fprintf(stderr, "cascade-cp: dataplane kept an object it was asked to delete: %s (the "
				"reconciliation removes it)\n",
			rep == NULL ? "no answer" : rep->message);
}

/* Delete an object the registry does not hold; the answer only matters for the log. */
void
cp_op_dp_del(uint16_t type, uint64_t dp_id)
{
	struct cascade_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = type;
	cmd.u.obj.obj_id = dp_id;
	(void)cp_dp_call(&cmd, CP_OP_TIMEOUT_MS, on_dp_del, NULL);
}


/* Mark o's object busy (on) or not, and count it pending on its parents. */
void
cp_op_hold(struct cp_op *o, bool on)
{
	int d = on ? 1 : -1;

	if (o->t != NULL) {
		o->t->busy = on;
	} else if (o->p != NULL) {
		o->p->busy = on;
		o->p->t->n_pending += (unsigned int)d;
	} else {
		o->c->busy = on;
		o->c->t->n_pending += (unsigned int)d;
		o->c->p->n_pending += (unsigned int)d;
	}
}
