/*
 * lin/lin_select.c - linearizability of select over two thread-safe
 * channels A and B: select_try, blocking select and the select future
 * (first poll, re-poll, cancel) over {recv A, recv B} and {send A v, recv
 * B}, among try_send, try_recv and close on either channel (and, with B
 * bounded, send futures on A), checked against lin_model_select; plus a
 * deliberately broken select that the checker must catch.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Channels: A of capacity 1 and B of capacity 1; A of capacity 2 and B of
 * capacity 1; A of capacity 1 and B unbuffered (a try_send on B meets a
 * select's waiting receive case: the claim race against a receive on A
 * serving its send case).  Each history: 3 or 4 threads, 3 to 6
 * operations each, on fresh channels of 8-byte values; every value sent
 * is distinct.  Half of the histories start with A full (so that send
 * cases wait), B bounded with a value half of the time.  After the
 * concurrent part the main thread drains both channels with try_recv.
 *
 * Histories with futures: each thread owns at most one future at a time,
 * a select (either kind) or a send future on A, polled with a waker that
 * only counts; a planned re-poll or cancel finds it registered or starts
 * a new one (the recorded operation says which), and each thread ends
 * with a cancel of whatever is still registered.  Nothing blocks.  With B
 * unbuffered only threads 1-3 own futures (the model's state word holds 3
 * waiting selects per queue there).
 *
 * Histories with blocking selects (threads 1-3 only): when there is one,
 * thread 0 ends with a close of A after a bounded wait for the others,
 * which frees every select still blocked (its A case is then ready:
 * CLOSED, or a value).
 *
 * The model (lin/README.md, "Select") lets servers pass over the cases of
 * a select whose owner is polling it (select_claim.h, BUSY), and looks at
 * each case of an answer EMPTY or PENDING at a point of its own (the
 * library tries the cases one after the other, as crossbeam does).  Every
 * history is also checked against two stricter models - one point per
 * EMPTY or PENDING, and nobody passing over a select - and the ones that
 * only the kind's model accepts are counted and the first two printed,
 * not failed.  Every select also checks that a case that did not complete
 * left its buffer alone.
 *
 * The broken select is a select future made of two independent futures
 * (a send or receive future on A and a receive future on B), polled in a
 * random order; the first that completes is reported and the other one
 * cancelled, its result ignored - so both can complete: a value sent on A
 * by a select that says it received from B, or a value met on B lost.
 *
 * $ACHAN_LIN_HISTORIES: histories in total (default 120000: 75000 with
 * futures, split 3:2:3 between A/B capacities 1/1, 2/1 and 1/unbuffered,
 * and 45000 with blocking selects, half 1/1 and half 1/unbuffered;
 * sanitizer builds default to an eighth).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <achan.h>
#include <achan/select.h>

#include "lin.h"
#include "../t/tap.h"

/* histories per run (sanitizer builds: an eighth) */
#define FUTURE_HISTORIES 75000
#define BLOCKING_HISTORIES 45000

enum { FUT_NONE, FUT_SELECT, FUT_SEND };

/* A history thread's future: a select over A and B, or a send future on
 * A.  Only its thread touches it. */
struct thr_fut {
	int kind;		/* FUT_* registered (its last poll: PENDING) */
	uint64_t tag;		/* the select's send value / the send
				 * future's value (tags); 0: {recv A, recv B} */
	struct achan_select sel;
	struct achan_select_case c[2];
	struct achan_chan_send_future sf;
	uint64_t sval, out0, out1;
	/* the broken select's two futures */
	struct achan_chan_send_future bs;
	struct achan_chan_recv_future ba, bb;
	int bfirst;		/* the case it polls first */
	atomic_uint wakes;
};

struct sel_slot {
	struct achan_chan *a, *b;
	uint64_t base;		/* value: base | tag; base: history << 8 */
	struct thr_fut fut[LIN_MAX_THREADS];
	unsigned trace_bad;	/* losing cases that wrote their buffer */
	char trace[160];
};

struct sel_ctx {
	unsigned cap_a, cap_b;
	int futures;		/* futures histories (else blocking) */
	int broken;		/* the two-futures select */
	struct lin_model strict;	/* one point per EMPTY / PENDING */
	struct lin_model fifo;		/* nobody passes over a polling select */
	unsigned long wakes, trace_bad, strict_only, fifo_only;
	unsigned long sel_count[LIN_NOPS][16][2];	/* code, st, case */
	struct sel_slot slot[LIN_BATCH];
};

static unsigned long history_no;

static uint64_t
tag_of(const struct sel_slot *c, uint64_t v)
{
	return (v >> 8) == (c->base >> 8) ? (v & 255u) : 255u;
}

static void
count_wake(void *arg)
{
	atomic_fetch_add_explicit((atomic_uint *)arg, 1, memory_order_relaxed);
}

static struct achan_chan *
chan_of(struct sel_slot *c, const struct lin_op *op)
{
	return op->obj ? c->b : c->a;
}

/* The cases of a select: {send A sval, recv B out1} or {recv A out0,
 * recv B out1}. */
static void
set_cases(struct sel_slot *c, struct achan_select_case *k, uint64_t tag,
    uint64_t *sval, uint64_t *out0, uint64_t *out1)
{
	*out0 = *out1 = 0;
	if (tag != 0) {
		*sval = c->base | tag;
		(void)achan_select_case_chan_send(&k[0], c->a, sval);
	} else {
		(void)achan_select_case_chan_recv(&k[0], c->a, out0);
	}
	(void)achan_select_case_chan_recv(&k[1], c->b, out1);
}

/* Record a select's outcome: the value of a receive case that completed
 * with OK, and whether a case that did not complete wrote its buffer.
 * The buffers of a select still registered (PENDING) are not read: other
 * threads may be completing a case into them. */
static void
select_done(struct sel_slot *c, struct lin_op *op, int st, size_t idx,
    const uint64_t *pout0, const uint64_t *pout1)
{
	uint64_t out0, out1;
	int done = st == ACHAN_OK || st == ACHAN_CLOSED;
	int wrote0, wrote1;

	op->st = st;
	op->idx = done ? (uint8_t)idx : 0;
	op->val = 0;
	if (st == ACHAN_PENDING)
		return;
	out0 = *pout0;
	out1 = *pout1;
	wrote0 = op->arg == 0 && out0 != 0;
	wrote1 = out1 != 0;
	if (st == ACHAN_OK && idx == 1)
		op->val = tag_of(c, out1);
	else if (st == ACHAN_OK && idx == 0 && op->arg == 0)
		op->val = tag_of(c, out0);
	if ((done && st == ACHAN_OK ? (idx == 0 ? wrote1 : wrote0) :
	    (wrote0 || wrote1)) && c->trace_bad++ == 0)
		snprintf(c->trace, sizeof(c->trace), "T%u %s%s -> %s case %zu: "
		    "a case that did not complete wrote its buffer (%llx %llx)",
		    op->thread, lin_opname(op->code), op->arg ? "{send A, recv B}"
		    : "{recv A, recv B}", lin_stname(st), idx,
		    (unsigned long long)out0, (unsigned long long)out1);
}

/* --- the broken select: two independent futures -------------------------- */

static int
broken_poll_one(struct thr_fut *f, int i, const struct achan_waker *wk)
{
	if (i == 1)
		return achan_chan_recv_poll(&f->bb, wk);
	return f->tag ? achan_chan_send_poll(&f->bs, wk) :
	    achan_chan_recv_poll(&f->ba, wk);
}

static int
broken_cancel_one(struct thr_fut *f, int i)
{
	if (i == 1)
		return achan_chan_recv_cancel(&f->bb);
	return f->tag ? achan_chan_send_cancel(&f->bs) :
	    achan_chan_recv_cancel(&f->ba);
}

static void
broken_init(struct sel_slot *c, struct thr_fut *f)
{
	f->out0 = f->out1 = 0;
	f->sval = c->base | f->tag;
	if (f->tag)
		(void)achan_chan_send_future_init(&f->bs, c->a, &f->sval);
	else
		(void)achan_chan_recv_future_init(&f->ba, c->a, &f->out0);
	(void)achan_chan_recv_future_init(&f->bb, c->b, &f->out1);
	f->bfirst = (int)(f->sval >> 3 & 1u);
}

/* Poll both in turn; the first that completes wins and the other is
 * cancelled, whatever it says (the defect). */
static int
broken_poll(struct thr_fut *f, const struct achan_waker *wk, size_t *idx)
{
	for (int k = 0; k < 2; k++) {
		int i = f->bfirst ^ k, r = broken_poll_one(f, i, wk);

		if (r != ACHAN_PENDING) {
			(void)broken_cancel_one(f, i ^ 1);
			*idx = (size_t)i;
			return r;
		}
	}
	return ACHAN_PENDING;
}

static int
broken_cancel(struct thr_fut *f, size_t *idx)
{
	int r0 = broken_cancel_one(f, 0), r1 = broken_cancel_one(f, 1);

	if (r0 == ACHAN_OK || r1 == ACHAN_OK) {
		*idx = r0 == ACHAN_OK ? 0 : 1;
		return ACHAN_OK;
	}
	return ACHAN_CANCELLED;
}

/* --- running an operation ------------------------------------------------- */

/*
 * A future operation of the plan, on the thread's future: a re-poll if
 * one is registered (a planned cancel cancels it), else a first poll of a
 * new one of the planned kind and tag (a planned cleanup cancel is then
 * skipped).  The recorded code and arg say what ran.
 */
static void
future_exec(struct sel_ctx *sc, struct sel_slot *c, struct lin_op *op)
{
	struct thr_fut *f = &c->fut[op->thread];
	const struct achan_waker wk = { count_wake, &f->wakes };
	int cancel = op->code == LIN_SEL_CANCEL || op->code == LIN_SEND_CANCEL;
	unsigned flags = (op->flags & LIN_F_BIASED) ? ACHAN_SELECT_BIASED : 0;
	size_t idx = 0;
	int st;

	if (f->kind == FUT_NONE) {
		if (op->flags & LIN_F_CLEANUP) {
			op->flags |= LIN_F_SKIP;
			return;
		}
		f->tag = op->arg;
		if (op->code == LIN_SEND_POLL || op->code == LIN_SEND_CANCEL) {
			f->sval = c->base | f->tag;
			if (achan_chan_send_future_init(&f->sf, c->a, &f->sval) !=
			    ACHAN_OK)
				bail_out("achan_chan_send_future_init failed");
			op->code = LIN_SEND_POLL;
			op->inv = lin_tick();
			st = achan_chan_send_poll(&f->sf, &wk);
			op->res = lin_tick();
			op->st = st;
			f->kind = st == ACHAN_PENDING ? FUT_SEND : FUT_NONE;
			return;
		}
		op->code = LIN_SEL_POLL;
		if (sc->broken) {
			broken_init(c, f);
		} else {
			set_cases(c, f->c, f->tag, &f->sval, &f->out0, &f->out1);
			if (achan_select_init(&f->sel, f->c, 2, flags) != ACHAN_OK)
				bail_out("achan_select_init failed");
		}
		op->inv = lin_tick();
		st = sc->broken ? broken_poll(f, &wk, &idx) :
		    achan_select_poll(&f->sel, &wk, &idx);
		op->res = lin_tick();
		select_done(c, op, st, idx, &f->out0, &f->out1);
		f->kind = st == ACHAN_PENDING ? FUT_SELECT : FUT_NONE;
		return;
	}
	op->arg = f->tag;
	op->obj = 0;
	if (f->kind == FUT_SEND) {
		op->code = cancel ? LIN_SEND_CANCEL : LIN_SEND_REPOLL;
		op->inv = lin_tick();
		st = cancel ? achan_chan_send_cancel(&f->sf) :
		    achan_chan_send_poll(&f->sf, &wk);
		op->res = lin_tick();
		op->st = st;
		if (cancel || st != ACHAN_PENDING)
			f->kind = FUT_NONE;
		return;
	}
	op->code = cancel ? LIN_SEL_CANCEL : LIN_SEL_REPOLL;
	op->inv = lin_tick();
	if (sc->broken)
		st = cancel ? broken_cancel(f, &idx) : broken_poll(f, &wk, &idx);
	else
		st = cancel ? achan_select_cancel(&f->sel, &idx) :
		    achan_select_poll(&f->sel, &wk, &idx);
	op->res = lin_tick();
	select_done(c, op, st, idx, &f->out0, &f->out1);
	if (cancel || st != ACHAN_PENDING)
		f->kind = FUT_NONE;
}

static void
sel_exec(void *ctx, int slot, struct lin_op *op)
{
	struct sel_ctx *sc = ctx;
	struct sel_slot *c = &sc->slot[slot];
	struct achan_select_case k[2];
	uint64_t v = c->base | op->arg, out = 0, sval, out0, out1;
	unsigned flags = (op->flags & LIN_F_BIASED) ? ACHAN_SELECT_BIASED : 0;
	size_t idx = 0;
	int st = -1;

	switch (op->code) {
	case LIN_SEND_POLL:
	case LIN_SEND_CANCEL:
	case LIN_SEL_POLL:
	case LIN_SEL_CANCEL:
		future_exec(sc, c, op);
		return;
	case LIN_SEL_TRY:
	case LIN_SEL:
		set_cases(c, k, op->arg, &sval, &out0, &out1);
		op->inv = lin_tick();
		st = op->code == LIN_SEL_TRY ?
		    achan_select_try(k, 2, flags, &idx) :
		    achan_select(k, 2, flags, &idx);
		op->res = lin_tick();
		select_done(c, op, st, idx, &out0, &out1);
		return;
	case LIN_TRY_SEND:
		op->inv = lin_tick();
		st = achan_chan_try_send(chan_of(c, op), &v);
		break;
	case LIN_TRY_RECV:
		op->inv = lin_tick();
		st = achan_chan_try_recv(chan_of(c, op), &out);
		break;
	case LIN_CLOSE:
		op->inv = lin_tick();
		st = achan_chan_close(chan_of(c, op));
		break;
	default:
		bail_out("lin_select: no such operation %d", op->code);
	}
	op->res = lin_tick();
	op->st = st;
	if (st == ACHAN_OK && op->code == LIN_TRY_RECV)
		op->val = tag_of(c, out);
}

/* --- plans ------------------------------------------------------------------ */

/* Plan codes (the obj, the select kind and the tags are drawn after). */
enum {
	P_SEND_A, P_SEND_B, P_RECV_A, P_RECV_B, P_CLOSE_A, P_CLOSE_B,
	P_TRY_RR, P_TRY_SR, P_SEL_RR, P_SEL_SR, P_FUT_RR, P_FUT_SR,
	P_FUT_CANCEL, P_SEND_FUT, P_NCODES
};

/* An upper bound of the steps the checker may add for op (the model
 * with per-case looks: a registration and two looks). */
static int
extra_steps(const struct lin_op *op)
{
	switch (op->code) {
	case LIN_SEL_TRY:
		return 2;
	case LIN_SEL:
	case LIN_SEL_POLL:
	case LIN_SEL_CANCEL:	/* may run as a first poll or a re-poll */
		return 3;
	case LIN_SEND_POLL:
	case LIN_SEND_CANCEL:
		return 1;
	}
	return 0;
}

static void
sel_plan(void *ctx, int slot, struct lin_history *h)
{
	/* weights by P_*: futures histories, blocking ones */
	static const unsigned w_fut[P_NCODES] = { 10, 8, 10, 8, 1, 1,
		6, 6, 0, 0, 10, 12, 6, 6 };
	static const unsigned w_blk[P_NCODES] = { 12, 10, 12, 10, 1, 1,
		6, 6, 8, 10, 0, 0, 0, 0 };
	struct sel_ctx *sc = ctx;
	struct sel_slot *c = &sc->slot[slot];
	const unsigned *w = sc->futures ? w_fut : w_blk;
	unsigned total = 0, nthreads, k, closes[2], next_k[LIN_MAX_THREADS];
	unsigned drain = sc->cap_a + 1 + (sc->cap_b ? 2 : 1), futs;
	uint64_t atags[2] = { 1, 2 };
	int blocking, cost;

	history_no++;
	c->base = (uint64_t)history_no << 8;
	if (achan_chan_create(&c->a, sizeof(uint64_t), sc->cap_a, 0) !=
	    ACHAN_OK || achan_chan_create(&c->b, sizeof(uint64_t), sc->cap_b,
	    0) != ACHAN_OK)
		bail_out("achan_chan_create failed");
	memset(c->fut, 0, sizeof(c->fut));
	c->trace_bad = 0;
	for (int p = 0; p < P_NCODES; p++)
		total += w[p];
	do {
		h->n = 0;
		blocking = 0;
		closes[0] = closes[1] = 0;
		futs = 0;
		nthreads = 3 + lin_randn(2);
		for (unsigned t = 0; t < LIN_MAX_THREADS; t++)
			next_k[t] = 1;
		for (unsigned t = 0; t < nthreads; t++) {
			k = 3 + lin_randn(4);
			for (unsigned i = 0; i < k; i++) {
				struct lin_op *op = &h->ops[h->n];
				unsigned r;
				int p;

				memset(op, 0, sizeof(*op));
				do {
					r = lin_randn(total);
					for (p = 0; r >= w[p]; p++)
						r -= w[p];
				} while (((p == P_CLOSE_A || p == P_CLOSE_B) &&
				    closes[p - P_CLOSE_A] > 0) ||
				    /* blocking selects: threads 1-3 */
				    ((p == P_SEL_RR || p == P_SEL_SR) && t == 0) ||
				    /* futures with B unbuffered: threads 1-3 */
				    (p >= P_FUT_RR && t == 0 && sc->cap_b == 0) ||
				    /* send futures: B bounded only */
				    (p == P_SEND_FUT && sc->cap_b == 0));
				op->thread = (uint8_t)t;
				switch (p) {
				case P_SEND_A:
				case P_SEND_B:
					op->code = LIN_TRY_SEND;
					op->obj = p == P_SEND_B;
					break;
				case P_RECV_A:
				case P_RECV_B:
					op->code = LIN_TRY_RECV;
					op->obj = p == P_RECV_B;
					break;
				case P_CLOSE_A:
				case P_CLOSE_B:
					op->code = LIN_CLOSE;
					op->obj = p == P_CLOSE_B;
					closes[op->obj]++;
					break;
				case P_TRY_RR:
				case P_TRY_SR:
					op->code = LIN_SEL_TRY;
					break;
				case P_SEL_RR:
				case P_SEL_SR:
					op->code = LIN_SEL;
					blocking = 1;
					break;
				case P_FUT_RR:
				case P_FUT_SR:
					op->code = LIN_SEL_POLL;
					futs |= 1u << t;
					break;
				case P_FUT_CANCEL:
					/* a cancel, or a first poll */
					op->code = lin_randn(3) ? LIN_SEL_CANCEL :
					    LIN_SEND_CANCEL;
					if (sc->cap_b == 0)
						op->code = LIN_SEL_CANCEL;
					futs |= 1u << t;
					break;
				case P_SEND_FUT:
					op->code = LIN_SEND_POLL;
					futs |= 1u << t;
					break;
				}
				/* values: tag 4k + t (a waiting sender's
				 * owner is its tag & 3); 0 for {recv A,
				 * recv B} */
				if (op->code == LIN_TRY_SEND ||
				    op->code == LIN_SEND_POLL ||
				    op->code == LIN_SEND_CANCEL ||
				    p == P_TRY_SR || p == P_SEL_SR ||
				    p == P_FUT_SR || (p == P_FUT_CANCEL &&
				    op->code == LIN_SEL_CANCEL && lin_randn(2)))
					op->arg = 4u * next_k[t]++ + t;
				if (lin_randn(4) == 0)
					op->flags |= LIN_F_BIASED;
				h->n++;
			}
		}
		for (unsigned t = 0; t < LIN_MAX_THREADS; t++)
			if (futs >> t & 1u)
				lin_plan_append(h, t, LIN_SEL_CANCEL, 0,
				    LIN_F_CLEANUP);
		if (blocking)
			lin_plan_append(h, 0, LIN_CLOSE, 0, LIN_F_WAIT_OTHERS);
		cost = h->n + (int)drain;
		for (int i = 0; i < h->n; i++)
			cost += extra_steps(&h->ops[i]);
	} while (cost > LIN_MAX_OPS || next_k[0] > 15 || next_k[1] > 15 ||
	    next_k[2] > 15 || next_k[3] > 15);
	if (sc->futures)
		lin_jitter_light(h);
	else
		lin_jitter(h);
	/* start: A full half of the time (send cases wait), else 0..cap
	 * values; B bounded: a value half of the time (tags 1-3) */
	k = lin_randn(2) ? sc->cap_a : lin_randn(sc->cap_a + 1);
	for (unsigned i = 0; i < k; i++) {
		uint64_t v = c->base | atags[i];

		if (achan_chan_try_send(c->a, &v) != ACHAN_OK)
			bail_out("prefill: try_send failed");
	}
	if (sc->cap_b && lin_randn(2)) {
		uint64_t v = c->base | 3u;

		if (achan_chan_try_send(c->b, &v) != ACHAN_OK)
			bail_out("prefill: try_send failed");
		h->init = lin_select_state(&sc->strict, k, atags, 1, 3);
	} else {
		h->init = lin_select_state(&sc->strict, k, atags, 0, 0);
	}
}

static void
sel_finish(struct lin_kind *k, int slot, struct lin_history *h)
{
	struct sel_ctx *sc = k->ctx;
	struct sel_slot *c = &sc->slot[slot];
	struct lin_op op;
	int st;

	/* drain: try_recv on A, then on B, until each finds nothing */
	for (unsigned ch = 0; ch < 2; ch++)
		for (unsigned i = 0; i <= 2; i++) {
			memset(&op, 0, sizeof(op));
			op.code = LIN_TRY_RECV;
			op.obj = (uint8_t)ch;
			lin_exec_main(k, slot, h, op);
			if (h->ops[h->n - 1].st != ACHAN_OK)
				break;
		}
	for (unsigned t = 0; t < LIN_MAX_THREADS; t++) {
		if (c->fut[t].kind != FUT_NONE)
			bail_out("a future left registered");
		sc->wakes += atomic_load(&c->fut[t].wakes);
	}
	if (c->trace_bad) {
		if (sc->trace_bad == 0)
			diag("%s: %s", k->name, c->trace);
		sc->trace_bad += c->trace_bad;
	}
	for (int i = 0; i < h->n; i++) {
		const struct lin_op *o = &h->ops[i];

		if (o->code >= LIN_SEL_TRY && o->code <= LIN_SEL_CANCEL &&
		    o->st >= 0 && o->st < 16)
			sc->sel_count[o->code][o->st][o->idx & 1u]++;
	}
	/* stricter models (counted, the first two printed; the kind's
	 * model judges): no case ready at one point; servers never pass
	 * over a select whose owner polls it */
	if (!sc->broken && !lin_check(&sc->strict, h, NULL, NULL) &&
	    ++sc->strict_only <= 2) {
		diag("%s: history %lu is not linearizable with one point per "
		    "select answering EMPTY or PENDING (only counted, if the "
		    "kind's model accepts it):", k->name, k->histories + 1);
		lin_print(&sc->strict, h);
	}
	if (!sc->broken && !lin_check(&sc->fifo, h, NULL, NULL) &&
	    ++sc->fifo_only <= 2) {
		diag("%s: history %lu is not linearizable if servers never "
		    "pass over a select being polled (only counted, if the "
		    "kind's model accepts it):", k->name, k->histories + 1);
		lin_print(&sc->fifo, h);
	}
	if ((st = achan_chan_destroy(c->a)) != ACHAN_OK ||
	    (st = achan_chan_destroy(c->b)) != ACHAN_OK)
		bail_out("achan_chan_destroy: %s", achan_strerror(st));
	c->a = c->b = NULL;
}

/* Did select results (code, status, case) come up? */
struct want_sel {
	const struct sel_ctx *ctx;
	const char *name;
	int code, st, idx;
};

static int
saw_selects(const struct want_sel *w, size_t n)
{
	int all = 1;

	for (size_t i = 0; i < n; i++) {
		if (w[i].ctx->sel_count[w[i].code][w[i].st][w[i].idx] > 0)
			continue;
		diag("%s: no %s answered %s (case %d)", w[i].name,
		    lin_opname(w[i].code), lin_stname(w[i].st), w[i].idx);
		all = 0;
	}
	return all;
}

static void
sel_report(const struct sel_ctx *sc)
{
	static const int codes[] = { LIN_SEL_TRY, LIN_SEL, LIN_SEL_POLL,
		LIN_SEL_REPOLL, LIN_SEL_CANCEL };
	char line[256];

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		size_t o = 0;
		int any = 0;

		o += (size_t)snprintf(line, sizeof(line), "  %-10s by case:",
		    lin_opname(codes[i]));
		for (int s = 0; s < 16; s++)
			for (int x = 0; x < 2; x++) {
				unsigned long n = sc->sel_count[codes[i]][s][x];

				if (n == 0 || o >= sizeof(line))
					continue;
				any = 1;
				if (s == ACHAN_OK || s == ACHAN_CLOSED)
					o += (size_t)snprintf(line + o,
					    sizeof(line) - o, " %s[%d] %lu",
					    lin_stname(s), x, n);
				else
					o += (size_t)snprintf(line + o,
					    sizeof(line) - o, " %s %lu",
					    lin_stname(s), n);
			}
		if (any)
			diag("%s", line);
	}
	diag("  not linearizable with one point per select answering EMPTY or "
	    "PENDING: %lu; if nobody passes over a select being polled: %lu "
	    "(%lu waker calls)", sc->strict_only, sc->fifo_only, sc->wakes);
}

static void
kind_init(struct lin_kind *k, struct lin_model *m, struct sel_ctx *sc,
    const char *name, unsigned cap_a, unsigned cap_b, int futures,
    int broken)
{
	memset(sc, 0, sizeof(*sc));
	sc->cap_a = cap_a;
	sc->cap_b = cap_b;
	sc->futures = futures;
	sc->broken = broken;
	lin_model_select(&sc->strict, cap_a, cap_b, 0);
	lin_model_select(&sc->fifo, cap_a, cap_b, LIN_SEL_LOOKS | LIN_SEL_FIFO);
	lin_model_select(m, cap_a, cap_b, LIN_SEL_LOOKS);
	memset(k, 0, sizeof(*k));
	k->name = name;
	k->model = m;
	k->ctx = sc;
	k->plan = sel_plan;
	k->exec = sel_exec;
	k->finish = sel_finish;
}

int
main(void)
{
	unsigned long total = lin_histories(FUTURE_HISTORIES +
	    BLOCKING_HISTORIES);
	unsigned long nf = (unsigned long)((double)total * FUTURE_HISTORIES /
	    (FUTURE_HISTORIES + BLOCKING_HISTORIES)), nb = total - nf;
	unsigned long nf11 = nf * 3 / 8, nf21 = nf / 4, nf10 = nf - nf11 - nf21;
	unsigned long nb11 = nb / 2, nb10 = nb - nb11, nbroken = 20000;
	double secs = tap_test_seconds();
	static struct sel_ctx c11, c21, c10, d11, d10, cb;
	struct lin_model m11, m21, m10, n11, n10, mb;
	struct lin_kind f11, f21, f10, b11, b10, kb;
	unsigned long strict_only, trace_bad;

	plan(9);
	tap_watchdog(900);
	kind_init(&f11, &m11, &c11, "select futures, A capacity 1, B "
	    "capacity 1", 1, 1, 1, 0);
	kind_init(&f21, &m21, &c21, "select futures, A capacity 2, B "
	    "capacity 1", 2, 1, 1, 0);
	kind_init(&f10, &m10, &c10, "select futures, A capacity 1, B "
	    "unbuffered", 1, 0, 1, 0);
	kind_init(&b11, &n11, &d11, "blocking select, A capacity 1, B "
	    "capacity 1", 1, 1, 0, 0);
	kind_init(&b10, &n10, &d10, "blocking select, A capacity 1, B "
	    "unbuffered", 1, 0, 0, 0);
	kind_init(&kb, &mb, &cb, "BROKEN select future (two futures: both "
	    "cases can complete), A capacity 1, B unbuffered", 1, 0, 1, 1);

	lin_pool_start();
	lin_kind_run(&f11, nf11, secs * 0.2, 0);
	sel_report(&c11);
	ok(f11.bad == 0 && f11.histories >= nf11, "futures, A capacity 1, "
	    "B capacity 1: %lu histories, all linearizable", f11.histories);
	lin_kind_run(&f21, nf21, secs * 0.15, 0);
	sel_report(&c21);
	ok(f21.bad == 0 && f21.histories >= nf21, "futures, A capacity 2, "
	    "B capacity 1: %lu histories, all linearizable", f21.histories);
	lin_kind_run(&f10, nf10, secs * 0.25, 0);
	sel_report(&c10);
	ok(f10.bad == 0 && f10.histories >= nf10, "futures, A capacity 1, "
	    "B unbuffered: %lu histories, all linearizable", f10.histories);
	lin_kind_run(&b11, nb11, secs * 0.2, 0);
	sel_report(&d11);
	ok(b11.bad == 0 && b11.histories >= nb11, "blocking, A capacity 1, "
	    "B capacity 1: %lu histories, all linearizable", b11.histories);
	lin_kind_run(&b10, nb10, secs * 0.2, 0);
	sel_report(&d10);
	ok(b10.bad == 0 && b10.histories >= nb10, "blocking, A capacity 1, "
	    "B unbuffered: %lu histories, all linearizable", b10.histories);
	{
		const struct want_sel want[] = {
			{ &c11, "futures 1/1", LIN_SEL_TRY, ACHAN_OK, 0 },
			{ &c11, "futures 1/1", LIN_SEL_TRY, ACHAN_OK, 1 },
			{ &c11, "futures 1/1", LIN_SEL_TRY, ACHAN_EMPTY, 0 },
			{ &c11, "futures 1/1", LIN_SEL_POLL, ACHAN_OK, 0 },
			{ &c11, "futures 1/1", LIN_SEL_POLL, ACHAN_OK, 1 },
			{ &c11, "futures 1/1", LIN_SEL_POLL, ACHAN_PENDING, 0 },
			{ &c11, "futures 1/1", LIN_SEL_REPOLL, ACHAN_OK, 0 },
			{ &c11, "futures 1/1", LIN_SEL_REPOLL, ACHAN_OK, 1 },
			{ &c11, "futures 1/1", LIN_SEL_REPOLL, ACHAN_PENDING,
			    0 },
			{ &c11, "futures 1/1", LIN_SEL_REPOLL, ACHAN_CLOSED, 0 },
			{ &c11, "futures 1/1", LIN_SEL_CANCEL, ACHAN_OK, 0 },
			{ &c11, "futures 1/1", LIN_SEL_CANCEL, ACHAN_CANCELLED,
			    0 },
			{ &c10, "futures 1/0", LIN_SEL_REPOLL, ACHAN_OK, 0 },
			{ &c10, "futures 1/0", LIN_SEL_REPOLL, ACHAN_OK, 1 },
			{ &c10, "futures 1/0", LIN_SEL_CANCEL, ACHAN_OK, 0 },
			{ &c10, "futures 1/0", LIN_SEL_CANCEL, ACHAN_OK, 1 },
			{ &c10, "futures 1/0", LIN_SEL_REPOLL, ACHAN_CLOSED, 1 },
			{ &d11, "blocking 1/1", LIN_SEL, ACHAN_OK, 0 },
			{ &d11, "blocking 1/1", LIN_SEL, ACHAN_OK, 1 },
			{ &d11, "blocking 1/1", LIN_SEL, ACHAN_CLOSED, 0 },
			{ &d10, "blocking 1/0", LIN_SEL, ACHAN_OK, 0 },
			{ &d10, "blocking 1/0", LIN_SEL, ACHAN_OK, 1 },
			{ &d10, "blocking 1/0", LIN_SEL, ACHAN_CLOSED, 0 },
		};

		ok(saw_selects(want, sizeof(want) / sizeof(want[0])),
		    "the histories covered each case completing by a poll, "
		    "by a server (served on A, met on B) and by a close, "
		    "pending, empty and cancelled selects");
	}
	trace_bad = c11.trace_bad + c21.trace_bad + c10.trace_bad +
	    d11.trace_bad + d10.trace_bad;
	ok(trace_bad == 0, "no case that did not complete wrote its buffer "
	    "(%lu did)", trace_bad);
	strict_only = c11.strict_only + c21.strict_only + c10.strict_only +
	    d11.strict_only + d10.strict_only;
	diag("in total %lu select histories checked; %lu of them "
	    "linearizable only with each case looked at on its own",
	    f11.histories + f21.histories + f10.histories + b11.histories +
	    b10.histories, strict_only);

	lin_kind_run(&kb, nbroken, 0.0, 1);
	ok(kb.bad >= 1, "the broken select is caught (after %lu histories, "
	    "limit %lu)", kb.first_bad ? kb.first_bad : kb.histories, nbroken);
	ok(kb.first_bad != 0 && kb.first_bad <= nbroken / 4,
	    "... well within the limit");
	lin_pool_stop();
	return exit_status();
}
