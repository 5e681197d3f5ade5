/*
 * select_claim.h - internal only: the one check that every path completing
 * a waiter's operation on its behalf makes first, so that a waiting select
 * completes exactly one of its cases.  Compiled once per synchronisation
 * policy (include sync_mt.h or sync_local.h first), like the kinds.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A select case that waits is an ordinary future in its object's queue, so
 * queues, wake lists and hints treat it as any waiter.  Only a *completion*
 * made by another thread - a served push of a waiting sender's value, a
 * meet on an unbuffered channel: the outcome DONE - needs more, because it
 * cannot be undone.  Before it, the completing thread (the "server") wins
 * the select's claim word (struct achan_select._claim):
 *
 *   OPEN            waiting; a server may win: CAS -> FINAL | case index
 *   BUSY [|MISSED]  its owner is polling: trying its cases itself.  A server
 *                   skips the case (it stays queued, with its place) and
 *                   sets MISSED; the owner, which releases BUSY with a CAS
 *                   that expects MISSED clear, then looks at every case
 *                   again.  So a completion the server could not make is
 *                   never lost: either the owner's look comes after the
 *                   server's critical section (MISSED was set inside it,
 *                   and the owner takes the same lock after reading it), or
 *                   the server found the claim OPEN.
 *   FINAL | i       case i won (or, with i == ACHAN_SELECT_MAX_CASES, the
 *                   select was cancelled).  Every other case is LOST: a
 *                   server that meets one unlinks it (outcome LOST, no
 *                   wake) and passes what it was moving to the next waiter.
 *
 * Every claim RMW is acq_rel and the owner reads the word with acquire: a
 * server sets MISSED inside its queue lock, so its critical section happens
 * before the owner's next acquire of that lock.  The value itself is
 * published by the waiter handshake (W1/W2/W3 in waitq_impl.h), not here.
 *
 * A server that is itself the owner polling that select (its own other
 * case: a send and a receive case on one unbuffered channel, two send cases
 * on one bounded channel) skips without MISSED: a select never completes
 * against itself, and the owner is looking at that case anyway.
 * Modelled in model/select_claim.pml.
 */
#ifndef ACHAN_LIB_SELECT_CLAIM_H
#define ACHAN_LIB_SELECT_CLAIM_H

#ifndef ACHAN_LIB_SYNC_H
#error "include sync_mt.h or sync_local.h before select_claim.h"
#endif

#include <achan/select.h>

#include "waitq.h"

#define ACHAN__SEL_OPEN   0u
#define ACHAN__SEL_BUSY   0x80000000u
#define ACHAN__SEL_MISSED 0x40000000u
#define ACHAN__SEL_FINAL  0x20000000u
#define ACHAN__SEL_INDEX  0x0000ffffu
/* FINAL with this index: cancelled, no case won */
#define ACHAN__SEL_NONE   ((uint32_t)ACHAN_SELECT_MAX_CASES)

enum { ACHAN__CLAIM_WON, ACHAN__CLAIM_LOST, ACHAN__CLAIM_SKIP };

/* The waker function of every waiting select case, one per flavour
 * (select.c, select_local.c): it also marks a node as a select case. */
void achan__select_case_wake_mt(void *arg);
void achan__select_case_wake_local(void *arg);
#if SYNC_THREADS
#define ACHAN__SELECT_CASE_WAKE achan__select_case_wake_mt
#else
#define ACHAN__SELECT_CASE_WAKE achan__select_case_wake_local
#endif

/* The selects this thread is polling, innermost first (through _outer):
 * a waker run by a poll may poll another select. */
extern __thread struct achan_select *achan__tls_selecting
    __attribute__((tls_model("initial-exec")));
/* The state of the random start of each select on this thread. */
extern __thread uint64_t achan__select_rng
    __attribute__((tls_model("initial-exec")));

/* The select case w belongs to, or NULL for a plain future.  w's waker is
 * written under its queue's lock, which the caller holds. */
static inline struct achan_select_case *
achan__select_case_of(const struct achan__waiter *w)
{
	return w->_waker.wake == ACHAN__SELECT_CASE_WAKE ?
	    (struct achan_select_case *)w->_waker.arg : NULL;
}

static inline int
achan__select_polled_here(const struct achan_select *sel)
{
	const struct achan_select *s;

	for (s = achan__tls_selecting; s != NULL; s = s->_outer)
		if (s == sel)
			return 1;
	return 0;
}

/*
 * Under w's queue lock: may the caller complete w's operation?  WON (a
 * plain future, or the claim won), LOST (its select completed elsewhere or
 * was cancelled: unlink it, pass on) or SKIP (its owner is polling: leave
 * it queued).  `self`: w is the caller's own future - its owner acting,
 * which holds the claim (BUSY) while it polls.  `mark`: on SKIP, make the
 * owner look again (MISSED); a try form that will leave nothing behind
 * passes 0 (unbuffered_partner says why).
 *
 * `me`: when the caller meets w as a case of its own select `me` (BUSY:
 * its owner is polling it) on an unbuffered channel.  Two owners passing
 * each other's cases that way would mark each other and look again in
 * lockstep for ever (model/select_claim.pml, TWO_SEL).  So an owner that
 * passes a select at a lower address marks itself instead: it looks
 * again, the other one releases, and the next look meets it.  Only for a
 * meet with its own case: what the other select missed is then that very
 * case, gone if `me` completes elsewhere.  Room in a ring, which outlives
 * the serving thread's poll, always marks its owner (lin/: a select
 * marking itself there, then completing, left the other one asleep over
 * free room).
 */
static inline int
achan__select_claim(struct achan__waiter *w, int self, int mark,
		struct achan_select *me)
{
	struct achan_select_case *c = achan__select_case_of(w);
	struct achan_select *sel;
	uint32_t cl, idx;

	if (achan__likely(c == NULL))
		return ACHAN__CLAIM_WON;
	sel = c->_sel;
	idx = (uint32_t)(c - sel->_cases);
	/* acquire: pairs with the owner's release of BUSY and the claim
	 * RMWs of other servers (all acq_rel) */
	cl = sync_load(&sel->_claim, ACQUIRE);
	for (;;) {
		/* FINAL, even for this very case: its owner completed it
		 * itself and has not unlinked it yet (twin OWN_FINAL_WINS) */
		if (cl & ACHAN__SEL_FINAL)
			return ACHAN__CLAIM_LOST;
		if (cl & ACHAN__SEL_BUSY) {
			if (self)
				return ACHAN__CLAIM_WON;
			if (!mark || (cl & ACHAN__SEL_MISSED) ||
			    achan__select_polled_here(sel))
				return ACHAN__CLAIM_SKIP;
			if (me != NULL && (uintptr_t)sel < (uintptr_t)me) {
				/* acq_rel: we hold me's BUSY; only servers
				 * add MISSED beside us */
				(void)sync_fetch_or(&me->_claim,
				    ACHAN__SEL_MISSED, ACQ_REL);
				return ACHAN__CLAIM_SKIP;
			}
			/* acq_rel: set inside our queue lock; the owner's
			 * release CAS reads it and then takes that lock */
			if (sync_cas(&sel->_claim, &cl, cl | ACHAN__SEL_MISSED,
			    ACQ_REL))
				return ACHAN__CLAIM_SKIP;
			continue;	/* cl reloaded */
		}
		/* OPEN.  acq_rel: one winner in the word's modification
		 * order; pairs with the owner's acquire load of the claim */
		if (sync_cas(&sel->_claim, &cl, ACHAN__SEL_FINAL | idx, ACQ_REL))
			return ACHAN__CLAIM_WON;
	}
}

#endif /* ACHAN_LIB_SELECT_CLAIM_H */
