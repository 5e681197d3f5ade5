/*
 * lin/lin_oneshot.c - linearizability of the oneshot (send, try_recv,
 * recv, recv_until, close) and of the oneshot broadcast, plus a
 * deliberately broken oneshot that the checker must catch.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Each history: 3 or 4 threads, 3 to 6 operations each, on a fresh object
 * in caller memory (init / fini); sends carry distinct values, so a
 * second send must fail and every receive maps to the one value.
 * Blocking receives appear only on threads 1-3 and only in histories where
 * thread 0 ends with a close (after waiting, bounded, for the others),
 * which wakes whoever still waits.  After the concurrent part the main
 * thread makes one more try_recv, appended to the history.
 *
 * The broken oneshot is a broadcast oneshot judged as a oneshot: its
 * receives copy the value and leave it, so two receivers can both get it.
 *
 * $ACHAN_LIN_HISTORIES: histories in total (default 20000 here, split 3:2
 * between oneshot and broadcast; sanitizer builds default to an eighth).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <achan.h>

#include "lin.h"
#include "../t/tap.h"

#define MEMSZ ACHAN_ONESHOT_MEMSIZE(sizeof(uint64_t))

struct os_slot {
	struct achan_oneshot *os;	/* oneshot kind */
	struct achan_bcast *b;		/* broadcast, and the broken oneshot */
	uint64_t base;
	unsigned char mem[MEMSZ];
};

struct os_ctx {
	int bcast;	/* run on a broadcast object */
	struct os_slot slot[LIN_BATCH];
};

static unsigned long history_no;
static void
os_exec(void *ctx, int slot, struct lin_op *op)
{
	struct os_ctx *oc = ctx;
	struct os_slot *c = &oc->slot[slot];
	struct timespec ts;
	uint64_t v = c->base | op->arg, out = 0;
	int st = -1, recv = 1;

	switch (op->code) {
	case LIN_SEND:
		recv = 0;
		op->inv = lin_tick();
		st = oc->bcast ? achan_bcast_send(c->b, &v) :
		    achan_oneshot_send(c->os, &v);
		break;
	case LIN_TRY_RECV:
		op->inv = lin_tick();
		st = oc->bcast ? achan_bcast_try_recv(c->b, &out) :
		    achan_oneshot_try_recv(c->os, &out);
		break;
	case LIN_RECV:
		op->inv = lin_tick();
		st = oc->bcast ? achan_bcast_recv(c->b, &out) :
		    achan_oneshot_recv(c->os, &out);
		break;
	case LIN_RECV_UNTIL:
		lin_deadline(op, &ts);
		op->inv = lin_tick();
		st = oc->bcast ? achan_bcast_recv_until(c->b, &out, &ts) :
		    achan_oneshot_recv_until(c->os, &out, &ts);
		break;
	case LIN_CLOSE:
		recv = 0;
		op->inv = lin_tick();
		st = oc->bcast ? achan_bcast_close(c->b) :
		    achan_oneshot_close(c->os);
		break;
	default:
		op->inv = lin_tick();
		break;
	}
	op->res = lin_tick();
	op->st = st;
	if (recv && st == ACHAN_OK)
		op->val = (out >> 8) == (c->base >> 8) ? (out & 255u) : 255u;
}

static void
os_plan(void *ctx, int slot, struct lin_history *h)
{
	/* try_send send send_until try_recv recv recv_until close */
	static const unsigned w[LIN_NOPS] = { 0, 8, 0, 20, 8, 10, 3 };
	struct os_ctx *oc = ctx;
	struct os_slot *c = &oc->slot[slot];
	int r, blocking;

	history_no++;
	c->base = (uint64_t)history_no << 8;
	r = oc->bcast ? achan_bcast_init(c->mem, sizeof(c->mem),
	    sizeof(uint64_t), 0, &c->b) :
	    achan_oneshot_init(c->mem, sizeof(c->mem), sizeof(uint64_t), 0,
	    &c->os);
	if (r != ACHAN_OK)
		bail_out("init: %s", achan_strerror(r));
	blocking = lin_plan_random(h, w, 1u << LIN_RECV, lin_randn(3) != 0, 2);
	if (blocking)
		lin_plan_append(h, 0, LIN_CLOSE, 0, LIN_F_WAIT_OTHERS);
	lin_jitter(h);
	h->init = LIN_ONESHOT_EMPTY;
}

static void
os_finish(struct lin_kind *k, int slot, struct lin_history *h)
{
	struct os_ctx *oc = k->ctx;
	struct os_slot *c = &oc->slot[slot];
	struct lin_op op;
	int r;

	memset(&op, 0, sizeof(op));
	op.code = LIN_TRY_RECV;
	lin_exec_main(k, slot, h, op);
	r = oc->bcast ? achan_bcast_fini(c->b) : achan_oneshot_fini(c->os);
	if (r != ACHAN_OK)
		bail_out("fini: %s", achan_strerror(r));
}

int
main(void)
{
	unsigned long total = lin_histories(20000);
	double secs = tap_test_seconds();
	struct os_ctx co = { .bcast = 0 }, cb = { .bcast = 1 };
	struct lin_kind ko = { .name = "oneshot", .model = &lin_model_oneshot,
	    .weak = &lin_model_oneshot_2step, .ctx = &co, .plan = os_plan,
	    .exec = os_exec, .finish = os_finish };
	struct lin_kind kb = ko, kx = ko;
	unsigned long no = total * 3 / 5, nb = total - no, nx = 20000;
	static struct os_ctx cx = { .bcast = 1 };
	const struct lin_saw want[] = {
		{ &ko, LIN_SEND, ACHAN_OK },
		{ &ko, LIN_SEND, ACHAN_CLOSED },
		{ &ko, LIN_TRY_RECV, ACHAN_OK },
		{ &ko, LIN_TRY_RECV, ACHAN_EMPTY },
		{ &ko, LIN_TRY_RECV, ACHAN_CLOSED },
		{ &ko, LIN_RECV, ACHAN_OK },
		{ &ko, LIN_RECV, ACHAN_CLOSED },
		{ &ko, LIN_RECV_UNTIL, ACHAN_TIMEDOUT },
		{ &ko, LIN_CLOSE, ACHAN_NEWLY_CLOSED },
		{ &ko, LIN_CLOSE, ACHAN_ALREADY_CLOSED },
		{ &kb, LIN_RECV, ACHAN_OK },
		{ &kb, LIN_TRY_RECV, ACHAN_OK },
	};

	plan(5);
	tap_watchdog(900);
	kb.name = "oneshot broadcast";
	kb.model = &lin_model_bcast;
	kb.weak = &lin_model_bcast_2step;
	kb.ctx = &cb;
	kx.name = "BROKEN oneshot (a broadcast: receiving leaves the value)";
	kx.ctx = &cx;

	lin_pool_start();
	lin_kind_run(&ko, no, secs * 0.6, 0);
	ok(ko.bad == 0 && ko.histories >= no,
	    "oneshot: %lu histories, all linearizable (%lu only with two-step "
	    "sends)", ko.histories, ko.weak_only);
	lin_kind_run(&kb, nb, secs * 0.4, 0);
	ok(kb.bad == 0 && kb.histories >= nb,
	    "oneshot broadcast: %lu histories, all linearizable (%lu only with "
	    "two-step sends)", kb.histories, kb.weak_only);
	ok(lin_kind_saw_all(want, sizeof(want) / sizeof(want[0])),
	    "the histories covered sent, taken, empty, timed out, blocked and "
	    "closed results");
	diag("in total %lu oneshot histories checked",
	    ko.histories + kb.histories);

	lin_kind_run(&kx, nx, 0.0, 1);
	ok(kx.bad >= 1, "the broken oneshot is caught (after %lu histories, "
	    "limit %lu)", kx.first_bad ? kx.first_bad : kx.histories, nx);
	ok(kx.first_bad != 0 && kx.first_bad <= nx / 4,
	    "... well within the limit");
	lin_pool_stop();
	return exit_status();
}
