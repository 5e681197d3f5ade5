/*
 * lin/lin_chan.c - linearizability of the thread-safe channel: capacity 1
 * and 2 (try_send, send, send_until, try_recv, recv, recv_until, close)
 * and unbuffered (the same, with rendezvous pairs), plus a deliberately
 * broken channel that the checker must catch.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Each history: 3 or 4 threads, 3 to 6 operations each, on a fresh channel
 * of 8-byte values; every send carries a distinct value.  Blocking calls
 * appear only on threads 1-3 and only in histories where thread 0 ends
 * with a close (after waiting, bounded, for the others): the close frees
 * whoever still waits, so every operation completes.  After the concurrent
 * part the main thread drains the channel with try_recv (appended to the
 * history, after everything): a value lost or duplicated shows up there.
 *
 * The broken channel is the real one behind a lin/-local wrapper whose
 * try_recv, after a successful receive, answers EMPTY to the next try_recv
 * (of any thread) without looking - a stale "nothing there" that a test
 * of single results could not see.
 *
 * $ACHAN_LIN_HISTORIES: histories in total (default 70000 here, split
 * 2:2:1 between capacity 1, capacity 2 and unbuffered; sanitizer builds
 * default to an eighth).
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

/* One history's channel. */
struct chan_slot {
	struct achan_chan *ch;
	uint64_t base;		/* value: base | tag; base: history << 8 */
	atomic_int lie;		/* broken: the next try_recv says EMPTY */
};

struct chan_ctx {
	unsigned cap;
	int broken;
	struct chan_slot slot[LIN_BATCH];
};

static uint64_t
tag_of(const struct chan_slot *c, uint64_t v)
{
	return (v >> 8) == (c->base >> 8) ? (v & 255u) : 255u;
}

/* The broken variant's try_recv (see the top). */
static int
broken_try_recv(struct chan_slot *c, void *out)
{
	int r;

	if (atomic_exchange(&c->lie, 0))
		return ACHAN_EMPTY;
	r = achan_chan_try_recv(c->ch, out);
	if (r == ACHAN_OK)
		atomic_store(&c->lie, 1);
	return r;
}

static void
chan_exec(void *ctx, int slot, struct lin_op *op)
{
	struct chan_ctx *cc = ctx;
	struct chan_slot *c = &cc->slot[slot];
	struct timespec ts;
	uint64_t v = c->base | op->arg, out = 0;
	int st = -1;

	switch (op->code) {
	case LIN_TRY_SEND:
		op->inv = lin_tick();
		st = achan_chan_try_send(c->ch, &v);
		break;
	case LIN_SEND:
		op->inv = lin_tick();
		st = achan_chan_send(c->ch, &v);
		break;
	case LIN_SEND_UNTIL:
		lin_deadline(op, &ts);
		op->inv = lin_tick();
		st = achan_chan_send_until(c->ch, &v, &ts);
		break;
	case LIN_TRY_RECV:
		op->inv = lin_tick();
		st = cc->broken ? broken_try_recv(c, &out) :
		    achan_chan_try_recv(c->ch, &out);
		break;
	case LIN_RECV:
		op->inv = lin_tick();
		st = achan_chan_recv(c->ch, &out);
		break;
	case LIN_RECV_UNTIL:
		lin_deadline(op, &ts);
		op->inv = lin_tick();
		st = achan_chan_recv_until(c->ch, &out, &ts);
		break;
	case LIN_CLOSE:
		op->inv = lin_tick();
		st = achan_chan_close(c->ch);
		break;
	}
	op->res = lin_tick();
	op->st = st;
	if (st == ACHAN_OK && (op->code == LIN_TRY_RECV || op->code == LIN_RECV ||
	    op->code == LIN_RECV_UNTIL))
		op->val = tag_of(c, out);
}

static unsigned long history_no;

static void
chan_plan(void *ctx, int slot, struct lin_history *h)
{
	/* weights by op code: try_send send send_until try_recv recv
	 * recv_until close */
	static const unsigned w_buf[LIN_NOPS] = { 24, 10, 10, 24, 10, 10, 3 };
	static const unsigned w_unbuf[LIN_NOPS] = { 14, 14, 18, 14, 14, 18, 3 };
	struct chan_ctx *cc = ctx;
	struct chan_slot *c = &cc->slot[slot];
	int blocking;

	history_no++;
	c->base = (uint64_t)history_no << 8;
	if (achan_chan_create(&c->ch, sizeof(uint64_t), cc->cap, 0) != ACHAN_OK)
		bail_out("achan_chan_create failed");
	atomic_store(&c->lie, 0);
	blocking = lin_plan_random(h, cc->cap ? w_buf : w_unbuf,
	    1u << LIN_SEND | 1u << LIN_RECV, lin_randn(3) != 0, 1);
	if (blocking)
		lin_plan_append(h, 0, LIN_CLOSE, 0, LIN_F_WAIT_OTHERS);
	lin_jitter(h);
	h->init = lin_chan_state(0, 0, NULL);
}

static void
chan_finish(struct lin_kind *k, int slot, struct lin_history *h)
{
	struct chan_ctx *cc = k->ctx;
	struct chan_slot *c = &cc->slot[slot];
	struct lin_op op;
	int st;

	/* drain: try_recv until it finds nothing (at most cap + 1 calls) */
	for (unsigned i = 0; i <= cc->cap; i++) {
		memset(&op, 0, sizeof(op));
		op.code = LIN_TRY_RECV;
		lin_exec_main(k, slot, h, op);
		if (h->ops[h->n - 1].st != ACHAN_OK)
			break;
	}
	st = achan_chan_destroy(c->ch);
	if (st != ACHAN_OK)
		bail_out("achan_chan_destroy: %s", achan_strerror(st));
	c->ch = NULL;
}

int
main(void)
{
	unsigned long total = lin_histories(70000);
	double secs = tap_test_seconds();
	struct chan_ctx c1 = { .cap = 1 }, c2 = { .cap = 2 }, c0 = { .cap = 0 };
	struct chan_ctx cb = { .cap = 2, .broken = 1 };
	struct lin_model m1, m2, w1, w2;
	struct lin_kind k1 = { .name = "channel, capacity 1", .model = &m1,
	    .ctx = &c1, .plan = chan_plan, .exec = chan_exec,
	    .finish = chan_finish };
	struct lin_kind k2 = k1, k0 = k1, kb = k1;
	unsigned long n1 = total * 2 / 5, n2 = total * 2 / 5,
	    n0 = total - n1 - n2, nb = 20000;
	const struct lin_saw want[] = {
		{ &k1, LIN_TRY_SEND, ACHAN_FULL },
		{ &k1, LIN_TRY_RECV, ACHAN_OK },
		{ &k1, LIN_TRY_RECV, ACHAN_EMPTY },
		{ &k1, LIN_SEND_UNTIL, ACHAN_TIMEDOUT },
		{ &k1, LIN_RECV, ACHAN_OK },
		{ &k1, LIN_SEND, ACHAN_OK },
		{ &k1, LIN_SEND, ACHAN_CLOSED },
		{ &k1, LIN_CLOSE, ACHAN_NEWLY_CLOSED },
		{ &k2, LIN_TRY_SEND, ACHAN_FULL },
		{ &k0, LIN_TRY_SEND, ACHAN_OK },
		{ &k0, LIN_TRY_RECV, ACHAN_OK },
		{ &k0, LIN_SEND, ACHAN_OK },
		{ &k0, LIN_RECV_UNTIL, ACHAN_OK },
	};

	plan(6);
	tap_watchdog(900);
	lin_model_chan(&m1, 1);
	lin_model_chan(&m2, 2);
	lin_model_chan_2step(&w1, 1);
	lin_model_chan_2step(&w2, 2);
	k1.weak = &w1;
	k2.name = "channel, capacity 2";
	k2.model = &m2;
	k2.weak = &w2;
	k2.ctx = &c2;
	k0.name = "unbuffered channel";
	k0.model = &lin_model_unbuffered;
	k0.weak = NULL;
	k0.ctx = &c0;
	kb.name = "BROKEN channel, capacity 2 (stale EMPTY after a receive)";
	kb.model = &m2;
	kb.weak = &w2;	/* caught even by the two-step model */
	kb.ctx = &cb;

	lin_pool_start();
	lin_kind_run(&k1, n1, secs * 0.4, 0);
	ok(k1.bad == 0 && k1.histories >= n1,
	    "capacity 1: %lu histories, all linearizable (%lu only with "
	    "two-step operations)", k1.histories, k1.weak_only);
	lin_kind_run(&k2, n2, secs * 0.4, 0);
	ok(k2.bad == 0 && k2.histories >= n2,
	    "capacity 2: %lu histories, all linearizable (%lu only with "
	    "two-step operations)", k2.histories, k2.weak_only);
	lin_kind_run(&k0, n0, secs * 0.2, 0);
	ok(k0.bad == 0 && k0.histories >= n0,
	    "unbuffered: %lu histories, all linearizable", k0.histories);
	ok(lin_kind_saw_all(want, sizeof(want) / sizeof(want[0])),
	    "the histories covered full, empty, timed out, blocked, closed and "
	    "rendezvous results");
	diag("in total %lu channel histories checked",
	    k1.histories + k2.histories + k0.histories);

	lin_kind_run(&kb, nb, 0.0, 1);
	ok(kb.bad >= 1, "the broken channel is caught (after %lu histories, "
	    "limit %lu)", kb.first_bad ? kb.first_bad : kb.histories, nb);
	ok(kb.first_bad != 0 && kb.first_bad <= nb / 4,
	    "... well within the limit");
	lin_pool_stop();
	return exit_status();
}
