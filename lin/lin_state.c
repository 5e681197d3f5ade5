/*
 * lin/lin_state.c - linearizability of the state broadcast channel (send,
 * try_recv / recv / recv_until newer than an id, close), plus a
 * deliberately broken reader that the checker must catch.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Each history: 3 or 4 threads, 3 to 6 operations each.  A receive asks
 * for a state newer than 0 ("any"), than the id the history began at, or
 * than the last id its thread saw - the natural use.  Sends carry
 * distinct values.  State channels are reused from history to history (one
 * per batch slot) while they stay open: the model starts from the id and
 * value the channel holds, read when it was quiescent.  That keeps
 * destroys rare - a destroy of a channel that superseded a state waits for
 * liburcu's call_rcu thread (about 10 ms) - and they run on a thread of
 * their own.  So closes come in one history in 16.
 *
 * Blocking receives appear only on threads 1-3 and only in histories where
 * thread 0 ends with a send (after waiting, bounded, for the others), and
 * they ask for a state newer than 0 or than one the history began with, so
 * that send frees them all - also one that starts only after it.  After
 * the concurrent part the main thread makes a try_recv(0), appended to the
 * history.
 *
 * The broken reader keeps a per-thread copy of the last state it saw and,
 * every other call, answers from that copy without looking at the channel:
 * a stale EMPTY once another thread's send has completed.
 *
 * $ACHAN_LIN_HISTORIES: histories (default 16000 here; sanitizer builds
 * default to an eighth).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <achan.h>

#include "lin.h"
#include "../t/tap.h"

struct st_slot {
	struct achan_state *st;
	uint64_t base;		/* values of this history: base | tag */
	uint64_t init_id;	/* state at the start of the history */
	uint64_t init_val;
	int closed;
	/* per thread (only that thread touches its entry during a run) */
	uint64_t last[LIN_MAX_THREADS];
	uint64_t cache_id[LIN_MAX_THREADS], cache_val[LIN_MAX_THREADS];
	unsigned calls[LIN_MAX_THREADS];
};

struct st_ctx {
	int broken;
	struct st_slot slot[LIN_BATCH];
};

/* How a receive chooses `after` (the plan's arg). */
enum { AFTER_ANY, AFTER_LAST, AFTER_INIT, AFTER_BEFORE_INIT, AFTER_NMODES };

static unsigned long history_no;
/* --- the reaper: destroys closed channels off the main thread ------------- */

#define GRAVE_MAX 4096
static struct achan_state *grave[GRAVE_MAX];
static unsigned grave_n, grave_done;
static int grave_stop;
static pthread_mutex_t grave_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t grave_cv = PTHREAD_COND_INITIALIZER;
static pthread_t reaper;
static int reaper_failed;

static void *
reaper_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&grave_mu);
	for (;;) {
		while (grave_done == grave_n && !grave_stop)
			pthread_cond_wait(&grave_cv, &grave_mu);
		if (grave_done == grave_n)
			break;
		struct achan_state *st = grave[grave_done % GRAVE_MAX];

		pthread_mutex_unlock(&grave_mu);
		if (achan_state_destroy(st) != ACHAN_OK)
			reaper_failed++;
		pthread_mutex_lock(&grave_mu);
		grave_done++;
		pthread_cond_broadcast(&grave_cv);
	}
	pthread_mutex_unlock(&grave_mu);
	return NULL;
}

static void
bury(struct achan_state *st)
{
	pthread_mutex_lock(&grave_mu);
	while (grave_n - grave_done >= GRAVE_MAX)
		pthread_cond_wait(&grave_cv, &grave_mu);
	grave[grave_n % GRAVE_MAX] = st;
	grave_n++;
	pthread_cond_broadcast(&grave_cv);
	pthread_mutex_unlock(&grave_mu);
}

/* --- operations ----------------------------------------------------------- */

static uint64_t
tag_of(const struct st_slot *c, uint64_t v)
{
	if ((v >> 8) == (c->base >> 8))
		return v & 255u;
	return v == c->init_val ? 0 : 255u;
}

/* The broken reader (see the top). */
static int
broken_try_recv(struct st_slot *c, unsigned t, uint64_t after, uint64_t *out,
    uint64_t *id)
{
	int r;

	if (c->calls[t]++ % 2 == 1 && c->cache_id[t] != 0) {
		if (c->cache_id[t] <= after)
			return ACHAN_EMPTY;
		*out = c->cache_val[t];
		*id = c->cache_id[t];
		return ACHAN_OK;
	}
	r = achan_state_try_recv(c->st, after, out, id);
	if (r == ACHAN_OK) {
		c->cache_id[t] = *id;
		c->cache_val[t] = *out;
	}
	return r;
}

static void
st_exec(void *ctx, int slot, struct lin_op *op)
{
	struct st_ctx *sc = ctx;
	struct st_slot *c = &sc->slot[slot];
	unsigned t = op->thread;
	struct timespec ts;
	uint64_t v = c->base | op->arg, out = 0, id = 0, after = 0;
	int st = -1, recv = 0;

	if (op->code == LIN_TRY_RECV || op->code == LIN_RECV ||
	    op->code == LIN_RECV_UNTIL) {
		recv = 1;
		switch (op->arg) {
		case AFTER_LAST: after = c->last[t]; break;
		case AFTER_INIT: after = c->init_id; break;
		case AFTER_BEFORE_INIT:
			after = c->init_id ? c->init_id - 1 : 0;
			break;
		default: after = 0; break;
		}
		op->arg = after;	/* the history records the real one */
	}
	switch (op->code) {
	case LIN_SEND:
		op->inv = lin_tick();
		st = achan_state_send(c->st, &v);
		break;
	case LIN_TRY_RECV:
		op->inv = lin_tick();
		st = sc->broken ? broken_try_recv(c, t, after, &out, &id) :
		    achan_state_try_recv(c->st, after, &out, &id);
		break;
	case LIN_RECV:
		op->inv = lin_tick();
		st = achan_state_recv(c->st, after, &out, &id);
		break;
	case LIN_RECV_UNTIL:
		lin_deadline(op, &ts);
		op->inv = lin_tick();
		st = achan_state_recv_until(c->st, after, &out, &id, &ts);
		break;
	case LIN_CLOSE:
		op->inv = lin_tick();
		st = achan_state_close(c->st);
		break;
	default:
		op->inv = lin_tick();
		break;
	}
	op->res = lin_tick();
	op->st = st;
	if (recv && st == ACHAN_OK) {
		op->val = tag_of(c, out);
		op->id = id;
		if (id > c->last[t])
			c->last[t] = id;
	}
}

static void
st_plan(void *ctx, int slot, struct lin_history *h)
{
	/* try_send send send_until try_recv recv recv_until close */
	static const unsigned w[LIN_NOPS] = { 0, 10, 0, 20, 6, 8, 2 };
	struct st_ctx *sc = ctx;
	struct st_slot *c = &sc->slot[slot];
	int blocking;

	history_no++;
	c->base = (uint64_t)history_no << 8;
	if (c->st == NULL) {
		if (achan_state_create(&c->st, sizeof(uint64_t), 0) != ACHAN_OK)
			bail_out("achan_state_create failed");
		c->init_id = 0;
		c->init_val = 0;
		c->closed = 0;
	}
	memset(c->last, 0, sizeof(c->last));
	memset(c->cache_id, 0, sizeof(c->cache_id));
	memset(c->calls, 0, sizeof(c->calls));
	for (unsigned t = 0; t < LIN_MAX_THREADS; t++)
		c->last[t] = c->init_id;
	blocking = lin_plan_random(h, w, 1u << LIN_RECV, lin_randn(3) != 0,
	    lin_randn(16) == 0 ? 1 : 0);
	if (blocking)
		lin_plan_append(h, 0, LIN_SEND, 63, LIN_F_WAIT_OTHERS);
	for (int i = 0; i < h->n; i++) {
		struct lin_op *op = &h->ops[i];

		if (op->code == LIN_SEND || op->code == LIN_CLOSE)
			continue;
		op->arg = lin_randn(AFTER_NMODES);
		/* a blocking receive asks for nothing newer than the
		 * history's start, so the closing send frees it even if it
		 * starts after that send (a thread slow to run) */
		if (op->code == LIN_RECV && op->arg == AFTER_LAST)
			op->arg = AFTER_INIT;
	}
	lin_jitter(h);
	h->init = lin_state_state(c->closed, c->init_id, 0);
}

static void
st_finish(struct lin_kind *k, int slot, struct lin_history *h)
{
	struct st_ctx *sc = k->ctx;
	struct st_slot *c = &sc->slot[slot];
	struct lin_op op;
	uint64_t out = 0, id = 0;
	int closed = 0;

	memset(&op, 0, sizeof(op));
	op.code = LIN_TRY_RECV;
	op.arg = AFTER_ANY;
	lin_exec_main(k, slot, h, op);
	/* where the next history starts (quiescent now) */
	for (int i = 0; i < h->n; i++)
		if (h->ops[i].code == LIN_CLOSE)
			closed = 1;
	if (achan_state_try_recv(c->st, 0, &out, &id) == ACHAN_OK) {
		c->init_id = id;
		c->init_val = out;
	}
	if (closed || achan_state_is_closed(c->st)) {
		bury(c->st);
		c->st = NULL;
	}
}

static void
destroy_slots(struct st_ctx *sc)
{
	for (int j = 0; j < LIN_BATCH; j++)
		if (sc->slot[j].st != NULL) {
			bury(sc->slot[j].st);
			sc->slot[j].st = NULL;
		}
}

int
main(void)
{
	unsigned long n = lin_histories(16000), nx = 20000;
	double secs = tap_test_seconds();
	static struct st_ctx cs, cx = { .broken = 1 };
	struct lin_kind ks = { .name = "state broadcast",
	    .model = &lin_model_state, .ctx = &cs, .plan = st_plan,
	    .exec = st_exec, .finish = st_finish };
	struct lin_kind kx = ks;
	const struct lin_saw want[] = {
		{ &ks, LIN_SEND, ACHAN_OK },
		{ &ks, LIN_SEND, ACHAN_CLOSED },
		{ &ks, LIN_TRY_RECV, ACHAN_OK },
		{ &ks, LIN_TRY_RECV, ACHAN_EMPTY },
		{ &ks, LIN_TRY_RECV, ACHAN_CLOSED },
		{ &ks, LIN_RECV, ACHAN_OK },
		{ &ks, LIN_RECV_UNTIL, ACHAN_TIMEDOUT },
		{ &ks, LIN_RECV_UNTIL, ACHAN_OK },
		{ &ks, LIN_CLOSE, ACHAN_NEWLY_CLOSED },
	};
	double t0;

	plan(5);
	tap_watchdog(900);
	kx.name = "BROKEN state reader (every other try_recv from a "
	    "thread-local copy)";
	kx.ctx = &cx;
	if (pthread_create(&reaper, NULL, reaper_main, NULL) != 0)
		bail_out("pthread_create failed");

	lin_pool_start();
	lin_kind_run(&ks, n, secs, 0);
	ok(ks.bad == 0 && ks.histories >= n,
	    "state broadcast: %lu histories, all linearizable", ks.histories);
	ok(lin_kind_saw_all(want, sizeof(want) / sizeof(want[0])),
	    "the histories covered newer, nothing newer, timed out, blocked and "
	    "closed results");
	destroy_slots(&cs);

	lin_kind_run(&kx, nx, 0.0, 1);
	ok(kx.bad >= 1, "the broken reader is caught (after %lu histories, "
	    "limit %lu)", kx.first_bad ? kx.first_bad : kx.histories, nx);
	ok(kx.first_bad != 0 && kx.first_bad <= nx / 4,
	    "... well within the limit");
	destroy_slots(&cx);
	lin_pool_stop();

	t0 = lin_now();
	pthread_mutex_lock(&grave_mu);
	grave_stop = 1;
	pthread_cond_broadcast(&grave_cv);
	pthread_mutex_unlock(&grave_mu);
	pthread_join(reaper, NULL);
	ok(reaper_failed == 0, "%u state channels destroyed (the last ones "
	    "waited for %.2f s)", grave_n, lin_now() - t0);
	return exit_status();
}
