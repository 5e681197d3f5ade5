/*
 * select_impl.h - internal only: select over several operations, written
 * once against the synchronisation policy and compiled twice: thread-safe
 * in select.c (sync_mt.h), single-thread in select_local.c (sync_local.h).
 * Every function is static.  The public functions and the argument checks
 * are in select.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A select builds on the futures of the kinds, not on a copy of them: each
 * case embeds its kind's future (struct achan_select_case._f), and waiting
 * on a case is registering that future, with a waker that forwards to the
 * select's (case_wake).  So every case keeps its kind's guarantees: FIFO
 * places, the wait bit of a full channel, hints handed on when a woken case
 * is cancelled, close waking it.  What a select adds is the claim word, so
 * that exactly one case completes (select_claim.h):
 *
 *   poll     1. Not registered yet: try each case with its try operation, in
 *               order from a random start (or from 0: ACHAN_SELECT_BIASED).
 *               The first that completes wins; nothing was registered, so
 *               no other thread knows of the select and no claim is needed.
 *            2. Otherwise take the claim: OPEN -> BUSY (P1).  If a server
 *               has won it first (FINAL | i), case i has completed: finish.
 *            3. Poll each case's future in order (a first poll registers it;
 *               a re-poll keeps its place and looks again).  A case that
 *               completes now was completed by us: servers cannot complete
 *               any while we hold BUSY, they skip and set MISSED.  The
 *               winner: claim -> FINAL | i (P2), cancel every other case.
 *            4. None completed: release, BUSY -> OPEN (P3, a CAS expecting
 *               MISSED clear).  If MISSED was set, a server passed over one
 *               of our cases meanwhile: back to 3.  Else PENDING.
 *   cancel   FINAL | NONE (P4, a CAS from OPEN): no server can complete a
 *            case afterwards; cancel every case (hints handed on).  If the
 *            CAS finds FINAL | i, case i completed first: finish with it.
 *
 * The select's waker is called at most once per PENDING, and never for a
 * poll that finishes: every case's wake runs case_wake, which calls it only
 * while the select is ARMED (_woken, under _lock) - from the end of a poll
 * that answers PENDING to the first wake.  While the owner polls, a wake
 * (a hint from another thread, or one the poll's own operations gave
 * another case) is only noted (HINTED), and the poll looks again instead
 * of answering PENDING over it.  case_wake runs inside its node's wake handshake (waitq_impl.h),
 * so once every case's future has finished or been cancelled, no call of
 * the select's waker is running - which is what the future contract needs.
 */
#ifndef ACHAN_LIB_SELECT_IMPL_H
#define ACHAN_LIB_SELECT_IMPL_H

#ifndef ACHAN_LIB_SYNC_H
#error "include sync_mt.h or sync_local.h before select_impl.h"
#endif

#include <achan/select.h>

#include "chan_impl.h"
#include "parker.h"
#include "select_claim.h"
#include "waitq_impl.h"

/* _woken: what a case's wake does with the select's waker. */
enum {
	SEL_ARMED = 0,		/* call it (then FIRED) */
	SEL_FIRED = 1,		/* called, or the select finishes: nothing */
	SEL_POLLING = 2,	/* its owner polls: note the wake (HINTED) */
	SEL_HINTED = 3		/* woken while polled: the poll looks again */
};

static inline struct achan__lock *
sel_lock(struct achan_select *sel)
{
	return (struct achan__lock *)(void *)&sel->_lock;
}

static inline struct achan__waiter *
case_waiter(struct achan_select_case *c)
{
	/* every future of the union starts with its waiter node */
	return &c->_f.recv._w;
}

/* --- the cases, through their kinds' public functions --------------------- */

/* The case's try operation; its arguments are checked.  A channel's comes
 * inlined from chan_impl.h in this flavour: the look a ready select makes
 * is the plain try, with no second check and no call through the PLT. */
static achan__always_inline int
case_try(struct achan_select_case *c)
{
	switch (c->kind) {
	case ACHAN_SELECT_CHAN_RECV:
		return chan_try_recv(c->obj, c->out);
	case ACHAN_SELECT_CHAN_SEND:
		return chan_try_send(c->obj, c->value);
	case ACHAN_SELECT_ONESHOT_RECV:
		return achan_oneshot_try_recv(c->obj, c->out);
	case ACHAN_SELECT_BCAST_RECV:
		return achan_bcast_try_recv(c->obj, c->out);
	case ACHAN_SELECT_STATE_RECV:
		return achan_state_try_recv(c->obj, c->after, c->out, c->id);
	default:
		return ACHAN_EMPTY;	/* NONE: never ready */
	}
}

static inline int
case_poll(struct achan_select_case *c, const struct achan_waker *waker)
{
	switch (c->kind) {
	case ACHAN_SELECT_CHAN_SEND:
		return achan_chan_send_poll(&c->_f.send, waker);
	case ACHAN_SELECT_CHAN_RECV:
		return achan_chan_recv_poll(&c->_f.recv, waker);
	case ACHAN_SELECT_ONESHOT_RECV:
		return achan_oneshot_recv_poll(&c->_f.oneshot, waker);
	case ACHAN_SELECT_BCAST_RECV:
		return achan_bcast_recv_poll(&c->_f.bcast, waker);
	case ACHAN_SELECT_STATE_RECV:
		return achan_state_recv_poll(&c->_f.state, waker);
	default:
		return ACHAN_PENDING;
	}
}

static inline int
case_cancel(struct achan_select_case *c)
{
	switch (c->kind) {
	case ACHAN_SELECT_CHAN_SEND:
		return achan_chan_send_cancel(&c->_f.send);
	case ACHAN_SELECT_CHAN_RECV:
		return achan_chan_recv_cancel(&c->_f.recv);
	case ACHAN_SELECT_ONESHOT_RECV:
		return achan_oneshot_recv_cancel(&c->_f.oneshot);
	case ACHAN_SELECT_BCAST_RECV:
		return achan_bcast_recv_cancel(&c->_f.bcast);
	case ACHAN_SELECT_STATE_RECV:
		return achan_state_recv_cancel(&c->_f.state);
	default:
		return ACHAN_CANCELLED;
	}
}

static inline int
case_registered(struct achan_select_case *c)
{
	return c->kind != ACHAN_SELECT_NONE &&
	    case_waiter(c)->_phase == ACHAN__PHASE_REGISTERED;
}

/* --- the waker of every case ---------------------------------------------- */

#if SYNC_THREADS
void
achan__select_case_wake_mt(void *arg)
#else
void
achan__select_case_wake_local(void *arg)
#endif
{
	struct achan_select_case *c = arg;
	struct achan_select *sel = c->_sel;
	struct achan_waker waker;
	int first;

	/* the lock orders us against the owner's poll replacing the waker */
	sync_lock(sel_lock(sel));
	first = sel->_woken == SEL_ARMED;
	if (first)
		sel->_woken = SEL_FIRED;
	else if (sel->_woken == SEL_POLLING)
		sel->_woken = SEL_HINTED;
	waker = sel->_waker;
	sync_unlock(sel_lock(sel));
	if (first)
		waker.wake(waker.arg);
}

/* --- poll and cancel ---------------------------------------------------- */

/* A uniform index in [0, n): xorshift64* per thread, Lemire's reduction. */
static inline uint32_t
achan__select_random(uint32_t n)
{
	uint64_t x = achan__select_rng;

	if (achan__unlikely(x == 0))
		x = ((uint64_t)(uintptr_t)&achan__select_rng << 1) ^
		    0x9e3779b97f4a7c15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	achan__select_rng = x;
	return (uint32_t)((((x * 0x2545f4914f6cdd1dull) >> 32) * n) >> 32);
}

/* Where a look starts: 0 when biased, else uniform in [0, n). */
static inline uint32_t
sel_start_of(unsigned flags, uint32_t n)
{
	return (flags & ACHAN_SELECT_BIASED) || n < 2 ? 0 :
	    achan__select_random(n);
}

static inline uint32_t
sel_start(const struct achan_select *sel)
{
	return sel_start_of(sel->_flags, sel->_n);
}

static inline int
sel_finished(struct achan_select *sel, uint32_t i, int r, size_t *index)
{
	sel->_phase = ACHAN__PHASE_FINISHED;
	sel->_index = i;
	sel->_result = r;
	if (index != NULL)
		*index = i;
	return r;
}

/* Cancel every registered case but `won` (none: ACHAN__SEL_NONE).  The
 * claim is FINAL, so none of them can have completed; each hands on any
 * wakeup it consumed (its kind's cancel). */
static inline void
sel_cancel_others(struct achan_select *sel, uint32_t won)
{
	uint32_t j;

	/* The select is finishing: no wake of its cases may reach its waker
	 * from here - a case's cancel hands a consumed hint on to the next
	 * waiter, which may be another case of this select, still queued
	 * (fuzz/crashes: select-wake-in-final-poll).  Its own cancel then
	 * hands it on again, out of the select. */
	sync_lock(sel_lock(sel));
	sel->_woken = SEL_FIRED;
	sync_unlock(sel_lock(sel));

	for (j = 0; j < sel->_n; j++)
		if (j != won && case_registered(&sel->_cases[j]))
			(void)case_cancel(&sel->_cases[j]);
}

/* A server completed case i (FINAL | i): collect its outcome, drop the
 * others. */
static inline int
sel_won_by_server(struct achan_select *sel, uint32_t i, size_t *index)
{
	struct achan_select_case *c = &sel->_cases[i];
	struct achan_waker w = { ACHAN__SELECT_CASE_WAKE, c };
	int r;

	sel_cancel_others(sel, i);
	/* DONE, or about to be (the server claims the node under the lock
	 * it holds now): the re-poll waits for it and answers OK */
	r = case_poll(c, &w);
	return sel_finished(sel, i, r, index);
}

/* Step 1: every case's try operation, once, from the start; the cases
 * are checked.  The status of the first that completes, or EMPTY. */
static achan__always_inline int
sel_try_cases(struct achan_select_case *cases, uint32_t n, uint32_t start,
		uint32_t *won)
{
	uint32_t k, i;
	int r;

	for (k = 0, i = start; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
		r = case_try(&cases[i]);
		if (r != ACHAN_EMPTY && r != ACHAN_FULL) {
			*won = i;
			return r;
		}
	}
	return ACHAN_EMPTY;
}

static inline int
sel_try_all(struct achan_select *sel, uint32_t start, uint32_t *won)
{
	return sel_try_cases(sel->_cases, sel->_n, start, won);
}

/* Step 3, holding BUSY: poll every case's future from the start. */
static inline int
sel_poll_all(struct achan_select *sel, uint32_t start, uint32_t *won)
{
	struct achan_select_case *c;
	struct achan_waker w;
	uint32_t k, i;
	int r;

	for (k = 0, i = start; k < sel->_n; k++, i = i + 1 == sel->_n ? 0 : i + 1) {
		c = &sel->_cases[i];
		if (c->kind == ACHAN_SELECT_NONE)
			continue;
		w.wake = ACHAN__SELECT_CASE_WAKE;
		w.arg = c;
		r = case_poll(c, &w);
		if (r != ACHAN_PENDING) {
			*won = i;
			return r;
		}
	}
	return ACHAN_PENDING;
}

/* select.c: make the cases' futures ready to register (once per select). */
void achan__select_init_futures(struct achan_select *sel);
#define sel_init_futures achan__select_init_futures

/* End of a poll that found nothing: ARMED, or 0 if a case was woken
 * during it (then POLLING again, to look again). */
static inline int
sel_arm(struct achan_select *sel)
{
	int armed;

	sync_lock(sel_lock(sel));
	armed = sel->_woken == SEL_POLLING;
	sel->_woken = armed ? SEL_ARMED : SEL_POLLING;
	sync_unlock(sel_lock(sel));
	return armed;
}

static inline int
sel_poll(struct achan_select *sel, const struct achan_waker *waker,
		size_t *index)
{
	uint32_t cl, won = 0;
	unsigned spins = 0;
	int r;

	/* the new waker, for the wakes after this poll; until it ends, a
	 * wake is only noted */
	sync_lock(sel_lock(sel));
	sel->_waker = *waker;
	sel->_woken = SEL_POLLING;
	sync_unlock(sel_lock(sel));

	if (sel->_phase == ACHAN__PHASE_FRESH) {
		r = sel_try_all(sel, sel_start(sel), &won);
		if (r != ACHAN_EMPTY)
			return sel_finished(sel, won, r, index);
		sel_init_futures(sel);
		sel->_phase = ACHAN__PHASE_REGISTERED;
	}
	for (;;) {
		/* acquire: pairs with a server's claim CAS (select_claim.h) */
		cl = sync_load(&sel->_claim, ACQUIRE);
		if (cl & ACHAN__SEL_FINAL)
			return sel_won_by_server(sel, cl & ACHAN__SEL_INDEX,
			    index);
		/* P1 (acq_rel CAS OPEN -> BUSY): from here no server can
		 * complete a case; fails if one just won */
		if (!sync_cas(&sel->_claim, &cl, ACHAN__SEL_BUSY, ACQ_REL))
			continue;
		for (;;) {
			sel->_outer = achan__tls_selecting;
			achan__tls_selecting = sel;
			r = sel_poll_all(sel, sel_start(sel), &won);
			achan__tls_selecting = sel->_outer;
			sel->_outer = NULL;
			if (r != ACHAN_PENDING) {
				/* P2 (acq_rel exchange): servers may be setting
				 * MISSED; from here they find the cases LOST */
				(void)sync_xchg(&sel->_claim,
				    ACHAN__SEL_FINAL | won, ACQ_REL);
				sel_cancel_others(sel, won);
				return sel_finished(sel, won, r, index);
			}
			/* P3 (acq_rel CAS BUSY -> OPEN): fails iff a server
			 * set MISSED inside its queue lock; then every case
			 * is looked at again, under those locks */
			cl = ACHAN__SEL_BUSY;
			if (sync_cas(&sel->_claim, &cl, ACHAN__SEL_OPEN,
			    ACQ_REL)) {
				/* Released.  Arm the waker, unless a case was
				 * woken during the poll (its wake was only
				 * noted): then look again, from the top (a
				 * server may have won the claim meanwhile).
				 * Armed only now, the waker is never called
				 * for a poll that finishes. */
				if (sel_arm(sel))
					return ACHAN_PENDING;
				break;
			}
			if (cl == (ACHAN__SEL_BUSY | ACHAN__SEL_MISSED))
				/* acq_rel: clears MISSED, keeps BUSY */
				(void)sync_fetch_and(&sel->_claim,
				    ~ACHAN__SEL_MISSED, ACQ_REL);
			/* back off: what a server left may be a moment away
			 * (another owner about to release) */
			achan__inflight_pause(&spins);
		}
		achan__inflight_pause(&spins);
	}
}

static inline int
sel_cancel(struct achan_select *sel, size_t *index)
{
	uint32_t cl;

	for (;;) {
		cl = ACHAN__SEL_OPEN;
		/* P4 (acq_rel CAS OPEN -> FINAL | NONE): servers find every
		 * case LOST from here; fails if a server won a case first */
		if (sync_cas(&sel->_claim, &cl,
		    ACHAN__SEL_FINAL | ACHAN__SEL_NONE, ACQ_REL)) {
			sel_cancel_others(sel, ACHAN__SEL_NONE);
			sel->_phase = ACHAN__PHASE_FINISHED;
			sel->_result = ACHAN_CANCELLED;
			return ACHAN_CANCELLED;
		}
		if (cl & ACHAN__SEL_FINAL)
			return sel_won_by_server(sel, cl & ACHAN__SEL_INDEX,
			    index);
		/* a weak CAS failed spuriously: again */
	}
}

/* The single-thread flavour's entry points (select_local.c); select.c has
 * checked the arguments. */
int achan__select_local_poll(struct achan_select *sel,
		const struct achan_waker *waker, size_t *index);
int achan__select_local_cancel(struct achan_select *sel, size_t *index);
int achan__select_local_try(struct achan_select_case *cases, uint32_t n,
		uint32_t start, uint32_t *won);

#endif /* ACHAN_LIB_SELECT_IMPL_H */
