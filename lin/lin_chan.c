/*
 * lin/lin_chan.c - linearizability of the thread-safe channel: capacity 1
 * and 2 (try_send, send, send_until, try_recv, recv, recv_until, close)
 * and unbuffered (the same, with rendezvous pairs); the same three with
 * futures (try_send, try_recv, close, and the poll, re-poll and cancel of
 * send and receive futures); plus two deliberately broken channels that
 * the checker must catch.
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
 * Histories with futures have no blocking or timed calls (a blocking send
 * is a waiting sender too, and the model would need it in the FIFO of
 * waiting senders): every waiting party is a future that a history thread
 * owns, polls with a waker that only counts, re-polls or cancels later in
 * its plan, and cancels at its end if it is still registered.  Half of the
 * bounded ones start with values buffered, so that send futures wait.
 *
 * The broken channels are the real one behind lin/-local wrappers: a
 * try_recv that, after a successful receive, answers EMPTY to the next
 * try_recv (of any thread) without looking - a stale "nothing there" that
 * a test of single results could not see; and a send-future cancel that
 * answers CANCELLED when the library says OK (the value had gone in).
 *
 * $ACHAN_LIN_HISTORIES: histories in total (default 170000 here: 70000
 * without futures and 100000 with, each split 2:2:1 between capacity 1,
 * capacity 2 and unbuffered; sanitizer builds default to an eighth).
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

/* A history thread's futures on one channel: it owns them (only it polls
 * and cancels them), at most one of each kind registered at a time. */
struct chan_futs {
	struct achan_chan_send_future sf;
	struct achan_chan_recv_future rf;
	uint64_t sval, rout;	/* the send future's value, the receive's out */
	uint64_t stag;		/* the registered send future's tag */
	int sreg, rreg;		/* registered (the last poll said PENDING) */
	atomic_uint wakes;	/* calls of their waker */
};

/* One history's channel. */
struct chan_slot {
	struct achan_chan *ch;
	uint64_t base;		/* value: base | tag; base: history << 8 */
	atomic_int lie;		/* broken: the next try_recv says EMPTY */
	struct chan_futs fut[LIN_MAX_THREADS];
};

enum { BROKEN_NONE, BROKEN_STALE_EMPTY, BROKEN_CANCEL };

struct chan_ctx {
	unsigned cap;
	int broken;		/* BROKEN_* */
	int futures;		/* histories of try_*, futures and close */
	unsigned long wakes;	/* waker calls, all histories */
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
count_wake(void *arg)
{
	atomic_fetch_add_explicit((atomic_uint *)arg, 1, memory_order_relaxed);
}

/*
 * A send-future operation of the plan, on the calling thread's future: a
 * re-poll if its future is registered (a planned cancel cancels it), else
 * a first poll of a new future with the planned value (a planned cleanup
 * cancel is then skipped).  The recorded code and arg say what ran.
 */
static void
send_future_exec(struct chan_ctx *cc, struct chan_slot *c, struct lin_op *op)
{
	struct chan_futs *f = &c->fut[op->thread];
	const struct achan_waker wk = { count_wake, &f->wakes };
	int st;

	if (!f->sreg) {
		if (op->flags & LIN_F_CLEANUP) {
			op->flags |= LIN_F_SKIP;
			return;
		}
		f->sval = c->base | op->arg;
		f->stag = op->arg;
		if (achan_chan_send_future_init(&f->sf, c->ch, &f->sval) !=
		    ACHAN_OK)
			bail_out("achan_chan_send_future_init failed");
		op->code = LIN_SEND_POLL;
		op->inv = lin_tick();
		st = achan_chan_send_poll(&f->sf, &wk);
	} else if (op->code == LIN_SEND_CANCEL) {
		op->arg = f->stag;
		op->inv = lin_tick();
		st = achan_chan_send_cancel(&f->sf);
		/* broken: the value went in, the owner is told it did not */
		if (cc->broken == BROKEN_CANCEL && st == ACHAN_OK)
			st = ACHAN_CANCELLED;
	} else {
		op->code = LIN_SEND_REPOLL;
		op->arg = f->stag;
		op->inv = lin_tick();
		st = achan_chan_send_poll(&f->sf, &wk);
	}
	op->res = lin_tick();
	op->st = st;
	f->sreg = op->code != LIN_SEND_CANCEL && st == ACHAN_PENDING;
}

/* The same for the thread's receive future (arg unused: the model names a
 * receive future by its thread). */
static void
recv_future_exec(struct chan_slot *c, struct lin_op *op)
{
	struct chan_futs *f = &c->fut[op->thread];
	const struct achan_waker wk = { count_wake, &f->wakes };
	int st;

	if (!f->rreg) {
		if (op->flags & LIN_F_CLEANUP) {
			op->flags |= LIN_F_SKIP;
			return;
		}
		f->rout = 0;
		if (achan_chan_recv_future_init(&f->rf, c->ch, &f->rout) !=
		    ACHAN_OK)
			bail_out("achan_chan_recv_future_init failed");
		op->code = LIN_RECV_POLL;
		op->inv = lin_tick();
		st = achan_chan_recv_poll(&f->rf, &wk);
	} else if (op->code == LIN_RECV_CANCEL) {
		op->inv = lin_tick();
		st = achan_chan_recv_cancel(&f->rf);
	} else {
		op->code = LIN_RECV_REPOLL;
		op->inv = lin_tick();
		st = achan_chan_recv_poll(&f->rf, &wk);
	}
	op->res = lin_tick();
	op->st = st;
	op->arg = 0;
	if (st == ACHAN_OK)
		op->val = tag_of(c, f->rout);
	f->rreg = op->code != LIN_RECV_CANCEL && st == ACHAN_PENDING;
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
	case LIN_SEND_POLL:
	case LIN_SEND_REPOLL:
	case LIN_SEND_CANCEL:
		send_future_exec(cc, c, op);
		return;
	case LIN_RECV_POLL:
	case LIN_RECV_REPOLL:
	case LIN_RECV_CANCEL:
		recv_future_exec(c, op);
		return;
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
		st = cc->broken == BROKEN_STALE_EMPTY ?
		    broken_try_recv(c, &out) : achan_chan_try_recv(c->ch, &out);
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

/* histories per run (sanitizer builds: an eighth): without futures, with */
#define PLAIN_HISTORIES 70000
#define FUTURE_HISTORIES 100000

static unsigned long history_no;

/*
 * A history with futures: try_send, try_recv, send and receive futures
 * (first polls, re-polls, cancels) and at most one close; nothing blocks.
 * Every thread that has futures ends with a cancel of each kind, run only
 * if that future is still registered.  Half of the bounded histories start
 * with values buffered (the main thread sends them before the start line),
 * so that send futures find the channel full and register.
 */
static void
futures_plan(struct chan_ctx *cc, struct chan_slot *c, struct lin_history *h)
{
	/* try_send send send_until try_recv recv recv_until close send_poll
	 * send_repoll send_cancel recv_poll recv_repoll recv_cancel */
	static const unsigned w_buf[LIN_NOPS] = { 16, 0, 0, 16, 0, 0, 2,
		16, 10, 5, 8, 6, 3 };
	static const unsigned w_unbuf[LIN_NOPS] = { 12, 0, 0, 12, 0, 0, 2,
		14, 8, 5, 14, 8, 5 };
	unsigned sf = 0, rf = 0, next_tag = 1, k;
	uint64_t tags[LIN_CHAN_MAX_CAP];

	memset(c->fut, 0, sizeof(c->fut));
	(void)lin_plan_random(h, cc->cap ? w_buf : w_unbuf, 0, 0, 1);
	for (int i = 0; i < h->n; i++) {
		const struct lin_op *op = &h->ops[i];

		if (op->code >= LIN_SEND_POLL && op->code <= LIN_SEND_CANCEL)
			sf |= 1u << op->thread;
		if (op->code >= LIN_RECV_POLL && op->code <= LIN_RECV_CANCEL)
			rf |= 1u << op->thread;
		if (op->arg >= next_tag)
			next_tag = (unsigned)op->arg + 1;
	}
	for (unsigned t = 0; t < LIN_MAX_THREADS; t++) {
		if (sf >> t & 1u)
			lin_plan_append(h, t, LIN_SEND_CANCEL, 0, LIN_F_CLEANUP);
		if (rf >> t & 1u)
			lin_plan_append(h, t, LIN_RECV_CANCEL, 0, LIN_F_CLEANUP);
	}
	lin_jitter_light(h);
	k = cc->cap && lin_randn(2) ? 1 + lin_randn(cc->cap) : 0;
	for (unsigned i = 0; i < k; i++) {
		uint64_t v = c->base | next_tag;

		tags[i] = next_tag++;
		if (achan_chan_try_send(c->ch, &v) != ACHAN_OK)
			bail_out("prefill: try_send failed");
	}
	h->init = lin_chan_state(0, k, tags);
}

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
	if (cc->futures) {
		futures_plan(cc, c, h);
		return;
	}
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
	for (unsigned t = 0; t < LIN_MAX_THREADS; t++) {
		if (c->fut[t].sreg || c->fut[t].rreg)
			bail_out("a future left registered");
		cc->wakes += atomic_load(&c->fut[t].wakes);
	}
	st = achan_chan_destroy(c->ch);
	if (st != ACHAN_OK)
		bail_out("achan_chan_destroy: %s", achan_strerror(st));
	c->ch = NULL;
}

int
main(void)
{
	/* of the total: histories without futures (the first three kinds)
	 * and with, each split 2:2:1 between capacity 1, capacity 2 and
	 * unbuffered */
	unsigned long total = lin_histories(PLAIN_HISTORIES + FUTURE_HISTORIES);
	unsigned long np = (unsigned long)((double)total * PLAIN_HISTORIES /
	    (PLAIN_HISTORIES + FUTURE_HISTORIES)), nf = total - np;
	double secs = tap_test_seconds();
	struct chan_ctx c1 = { .cap = 1 }, c2 = { .cap = 2 }, c0 = { .cap = 0 };
	struct chan_ctx cb = { .cap = 2, .broken = BROKEN_STALE_EMPTY };
	struct chan_ctx d1 = { .cap = 1, .futures = 1 };
	struct chan_ctx d2 = { .cap = 2, .futures = 1 };
	struct chan_ctx d0 = { .cap = 0, .futures = 1 };
	struct chan_ctx db = { .cap = 1, .futures = 1, .broken = BROKEN_CANCEL };
	struct lin_model m1, m2, w1, w2, o1, o2;
	struct lin_kind k1 = { .name = "channel, capacity 1", .model = &m1,
	    .ctx = &c1, .plan = chan_plan, .exec = chan_exec,
	    .finish = chan_finish };
	struct lin_kind k2 = k1, k0 = k1, kb = k1, f1 = k1, f2 = k1, f0 = k1,
	    fb = k1;
	unsigned long n1 = np * 2 / 5, n2 = np * 2 / 5, n0 = np - n1 - n2,
	    nf1 = nf * 2 / 5, nf2 = nf * 2 / 5, nf0 = nf - nf1 - nf2,
	    nb = 20000, nfb = 20000;
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
	const struct lin_saw want_f[] = {
		{ &f1, LIN_TRY_SEND, ACHAN_FULL },
		{ &f1, LIN_SEND_POLL, ACHAN_OK },
		{ &f1, LIN_SEND_POLL, ACHAN_PENDING },
		{ &f1, LIN_SEND_REPOLL, ACHAN_PENDING },
		{ &f1, LIN_SEND_REPOLL, ACHAN_OK },
		{ &f1, LIN_SEND_REPOLL, ACHAN_CLOSED },
		{ &f1, LIN_SEND_CANCEL, ACHAN_OK },
		{ &f1, LIN_SEND_CANCEL, ACHAN_CANCELLED },
		{ &f1, LIN_RECV_POLL, ACHAN_OK },
		{ &f1, LIN_RECV_POLL, ACHAN_PENDING },
		{ &f1, LIN_RECV_REPOLL, ACHAN_OK },
		{ &f1, LIN_RECV_REPOLL, ACHAN_PENDING },
		{ &f1, LIN_RECV_CANCEL, ACHAN_CANCELLED },
		{ &f2, LIN_SEND_POLL, ACHAN_PENDING },
		{ &f2, LIN_SEND_REPOLL, ACHAN_OK },
		{ &f2, LIN_SEND_CANCEL, ACHAN_OK },
		{ &f0, LIN_TRY_SEND, ACHAN_OK },
		{ &f0, LIN_TRY_RECV, ACHAN_OK },
		{ &f0, LIN_SEND_POLL, ACHAN_PENDING },
		{ &f0, LIN_SEND_REPOLL, ACHAN_OK },
		{ &f0, LIN_SEND_CANCEL, ACHAN_OK },
		{ &f0, LIN_RECV_POLL, ACHAN_PENDING },
		{ &f0, LIN_RECV_REPOLL, ACHAN_OK },
		{ &f0, LIN_RECV_CANCEL, ACHAN_OK },
		{ &f0, LIN_RECV_CANCEL, ACHAN_CANCELLED },
	};

	plan(11);
	tap_watchdog(900);
	lin_model_chan(&m1, 1);
	lin_model_chan(&m2, 2);
	lin_model_chan_2step(&w1, 1);
	lin_model_chan_2step(&w2, 2);
	lin_model_chan_overtake(&o1, 1);
	lin_model_chan_overtake(&o2, 2);
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
	/*
	 * Futures.  The overtake model (waiting senders overtaken: the
	 * library before issue 14's C2 fix) is the weak model: a history
	 * only it explains fails, and is named as that defect.
	 */
	f1.name = "channel with futures, capacity 1";
	f1.weak = &o1;
	f1.ctx = &d1;
	f2.name = "channel with futures, capacity 2";
	f2.model = &m2;
	f2.weak = &o2;
	f2.ctx = &d2;
	f0.name = "unbuffered channel with futures";
	f0.model = &lin_model_unbuffered_futures;
	f0.ctx = &d0;
	fb.name = "BROKEN channel with futures, capacity 1 (a send cancel "
	    "answers CANCELLED after the value went in)";
	fb.weak = &o1;	/* caught even by the overtake model */
	fb.ctx = &db;

	lin_pool_start();
	lin_kind_run(&k1, n1, secs * 0.2, 0);
	ok(k1.bad == 0 && k1.histories >= n1,
	    "capacity 1: %lu histories, all linearizable (%lu only with "
	    "two-step operations)", k1.histories, k1.weak_only);
	lin_kind_run(&k2, n2, secs * 0.2, 0);
	ok(k2.bad == 0 && k2.histories >= n2,
	    "capacity 2: %lu histories, all linearizable (%lu only with "
	    "two-step operations)", k2.histories, k2.weak_only);
	lin_kind_run(&k0, n0, secs * 0.1, 0);
	ok(k0.bad == 0 && k0.histories >= n0,
	    "unbuffered: %lu histories, all linearizable", k0.histories);
	ok(lin_kind_saw_all(want, sizeof(want) / sizeof(want[0])),
	    "the histories covered full, empty, timed out, blocked, closed and "
	    "rendezvous results");

	lin_kind_run(&f1, nf1, secs * 0.2, 0);
	ok(f1.bad == 0 && f1.histories >= nf1,
	    "futures, capacity 1: %lu histories, all linearizable (%lu only "
	    "if waiting senders may be overtaken)", f1.histories, f1.weak_only);
	lin_kind_run(&f2, nf2, secs * 0.2, 0);
	ok(f2.bad == 0 && f2.histories >= nf2,
	    "futures, capacity 2: %lu histories, all linearizable (%lu only "
	    "if waiting senders may be overtaken)", f2.histories, f2.weak_only);
	lin_kind_run(&f0, nf0, secs * 0.1, 0);
	ok(f0.bad == 0 && f0.histories >= nf0,
	    "futures, unbuffered: %lu histories, all linearizable",
	    f0.histories);
	ok(lin_kind_saw_all(want_f, sizeof(want_f) / sizeof(want_f[0])),
	    "the histories with futures covered pending, re-polled, served, "
	    "cancelled and closed futures");
	diag("in total %lu channel histories checked, %lu of them with futures "
	    "(%lu waker calls)", k1.histories + k2.histories + k0.histories +
	    f1.histories + f2.histories + f0.histories,
	    f1.histories + f2.histories + f0.histories,
	    d1.wakes + d2.wakes + d0.wakes);

	lin_kind_run(&kb, nb, 0.0, 1);
	ok(kb.bad >= 1, "the broken channel is caught (after %lu histories, "
	    "limit %lu)", kb.first_bad ? kb.first_bad : kb.histories, nb);
	lin_kind_run(&fb, nfb, 0.0, 1);
	ok(fb.bad >= 1, "the broken send cancel is caught (after %lu "
	    "histories, limit %lu)", fb.first_bad ? fb.first_bad : fb.histories,
	    nfb);
	ok(kb.first_bad != 0 && kb.first_bad <= nb / 4 &&
	    fb.first_bad != 0 && fb.first_bad <= nfb / 4,
	    "... both well within the limit");
	lin_pool_stop();
	return exit_status();
}
