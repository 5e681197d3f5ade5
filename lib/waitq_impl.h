/*
 * waitq_impl.h - internal only: the waiter queue, the wake/teardown
 * handshake and the future bookkeeping every kind shares (types and the
 * state machine: waitq.h).  Compiled once per synchronisation policy: include
 * sync_mt.h or sync_local.h first.  Every function is static; each
 * translation unit gets the flavour of its policy.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_LIB_WAITQ_IMPL_H
#define ACHAN_LIB_WAITQ_IMPL_H

#ifndef ACHAN_LIB_SYNC_H
#error "include sync_mt.h or sync_local.h before waitq_impl.h"
#endif

#include <sched.h>
#include <stddef.h>

#include "fault.h"
#include "parker.h"
#include "object.h"
#include "waitq.h"

static inline uint32_t
achan__waitq_nwaiting(const struct achan__waitq *q)
{
	/* D-load (relaxed): the caller's fence orders it; see chan_impl.h. */
	return sync_load(&q->nwaiting, RELAXED);
}

static inline struct achan__waiter *
achan__waitq_head(const struct achan__waitq *q)
{
	return q->head;
}

/*
 * Count a future the first time it registers.  One count per object kind of
 * ownership, so one RMW: a caller-owned object (init/create) counts futures
 * in nfutures, and fini/destroy answer EBUSY while any is registered; a
 * paired object counts them in refs, beside its handles, so memory outlives
 * the last handle while a future is registered (object.h).  `paired` never
 * changes after creation.
 */
static inline void
achan__future_registered(struct achan__waiter *w, struct achan__object *o)
{
	if (w->_phase == ACHAN__PHASE_FRESH) {
		w->_phase = ACHAN__PHASE_REGISTERED;
		/* relaxed: nfutures is read only by fini, after every call on
		 * the object returned; for refs, we already hold a reference
		 * (the handle's through which the future was made) */
		sync_fetch_add(o->paired ? &o->refs : &o->nfutures, 1, RELAXED);
	}
}

/*
 * Finish a future with `result`.  On a paired object this may drop the last
 * reference and free the object: callers make it their last access to o.
 */
/* Model: model/handle_close.pml */
static inline int
achan__future_finish(struct achan__waiter *w, struct achan__object *o,
		int result)
{
	int registered = w->_phase == ACHAN__PHASE_REGISTERED;

	w->_phase = ACHAN__PHASE_FINISHED;
	w->_result = result;
	/* relaxed: a finished future is the owner's alone (no queue holds
	 * it, and W2 was the waker's last access, seen by W3 before us) */
	sync_store(&w->_state, ACHAN__W_IDLE, RELAXED);
	if (!registered)
		return result;
	if (!o->paired) {
		/* release: pairs with the acquire load in fini */
		sync_fetch_sub(&o->nfutures, 1, RELEASE);
	} else if (sync_fetch_sub(&o->refs, 1, ACQ_REL) == 1) {
		/* acq_rel: our accesses to o happen-before its free by
		 * whoever drops the last reference, and if that is us,
		 * theirs happen-before ours */
		o->kind->free(o);
	}
	return result;
}

static inline void
achan__waitq_init(struct achan__waitq *q)
{
	q->lock.word = 0;
	q->nwaiting = 0;
	q->head = q->tail = NULL;
	q->mirror = NULL;
	q->mirror_bit = 0;
}

static inline void
set_nwaiting(struct achan__waitq *q, uint32_t n)
{
	/* D-store (relaxed): the registering caller follows it with a full
	 * fence before re-checking the channel (Dekker, see chan_impl.h). */
	sync_store(&q->nwaiting, n, RELAXED);
	if (q->mirror == NULL)
		return;
	/* The mirror bit flips with the queue's emptiness, under our lock.
	 * seq_cst RMWs on the mirrored word: they take their place in its
	 * modification order, so an RMW of the word's other users (a CAS that
	 * expects the bit clear) either comes first or sees the bit. */
	if (n == 1)
		(void)sync_fetch_or(q->mirror, q->mirror_bit, SEQ_CST);
	else if (n == 0)
		(void)sync_fetch_and(q->mirror, ~q->mirror_bit, SEQ_CST);
}

static inline void
achan__waitq_push(struct achan__waitq *q, struct achan__waiter *w)
{
	w->_next = NULL;
	w->_prev = q->tail;
	if (q->tail != NULL)
		q->tail->_next = w;
	else
		q->head = w;
	q->tail = w;
	/* relaxed: the owner reads its own write; others read under the lock */
	sync_store(&w->_state, ACHAN__W_QUEUED, RELAXED);
	set_nwaiting(q, q->nwaiting + 1);
}

/*
 * Unlink w and leave its state alone: for a waker that claims w right after,
 * under the same lock.  The state must go straight from QUEUED to
 * outcome|BUSY: the owner reads it without the lock, and an IDLE in between
 * would let it finish and reuse the future before the wake has run.
 */
static inline void
achan__waitq_unlink(struct achan__waitq *q, struct achan__waiter *w)
{
	if (w->_prev != NULL)
		w->_prev->_next = w->_next;
	else
		q->head = w->_next;
	if (w->_next != NULL)
		w->_next->_prev = w->_prev;
	else
		q->tail = w->_prev;
	w->_next = w->_prev = NULL;
	set_nwaiting(q, q->nwaiting - 1);
}

/* The owner takes its own w out of the queue (no wake will come). */
static inline void
achan__waitq_remove(struct achan__waitq *q, struct achan__waiter *w)
{
	achan__waitq_unlink(q, w);
	sync_store(&w->_state, ACHAN__W_IDLE, RELAXED);
}

/*
 * Drop a select case whose select has completed elsewhere (or was
 * cancelled), under the queue's lock: it leaves without a wake - its owner
 * is finishing the select and cancels the case, which then finds it LOST.
 */
static inline void
achan__waitq_lose(struct achan__waitq *q, struct achan__waiter *w)
{
	achan__waitq_unlink(q, w);
	/* release: the owner's settle (W3, acquire) or its cancel under
	 * this lock reads it; nothing else is published */
	sync_store(&w->_state, ACHAN__W_LOST, RELEASE);
}

static inline struct achan__waiter *
achan__waitq_pop(struct achan__waitq *q)
{
	struct achan__waiter *w = q->head;

	if (w != NULL)
		achan__waitq_unlink(q, w);	/* the caller claims it */
	return w;
}

/*
 * Claim w (just unlinked, under the queue's lock) into l with `outcome`.
 * The first node of a list is BUSY at once (its wake comes first); later
 * ones are CLAIMED and point back to l, so that their owner can take them
 * out while earlier wakes run (waitq.h).
 */
static inline void
achan__waiter_claim(struct achan__wakelist *l, struct achan__waiter *w,
		uint32_t outcome)
{
	w->_next = NULL;
	w->_prev = (struct achan__waiter *)(void *)l;
	if (l->first == NULL) {
		l->first = l->last = w;
		/* W1 (release): publishes what the claimer wrote into the
		 * future (a value, DONE) and w->_prev, to an owner that
		 * takes w out (T1, acquire) or waits for W2 (which carries
		 * the same). */
		sync_store(&w->_state, outcome | ACHAN__W_BUSY, RELEASE);
		return;
	}
	/* A later node: owners of the CLAIMED nodes already in the list may
	 * be unlinking theirs right now, so append under the list's lock
	 * (model/wakelist_append.pml, twin APPEND_UNLOCKED). */
	sync_lock(&l->lock);
	l->shared = 1;
	l->last->_next = w;
	l->last = w;
	sync_unlock(&l->lock);
	/* W1 (release): as above; CLAIMED, so its owner may take it out */
	sync_store(&w->_state, outcome | ACHAN__W_CLAIMED, RELEASE);
}

static inline void
achan__waitq_claim_all(struct achan__waitq *q, struct achan__wakelist *l,
		uint32_t outcome)
{
	struct achan__waiter *w;

	while ((w = achan__waitq_pop(q)) != NULL)
		achan__waiter_claim(l, w, outcome);
}

/*
 * The next node of a running list whose wake is due, marked BUSY, or NULL
 * at the end.  With more than one node, the links are shared with owners
 * taking theirs out (achan__wakelist_take), so they are read under the
 * list's lock; a node being taken (TAKING) is left to its owner, who
 * unlinks it in a few instructions.
 */
static inline struct achan__waiter *
achan__wakelist_next(struct achan__wakelist *l)
{
	struct achan__waiter *w;
	unsigned spins = 0;
	uint32_t s;

	if (!l->shared) {
		w = l->first;	/* the only node, BUSY since its claim */
		l->first = l->last = NULL;
		return w;
	}
	for (;;) {
		sync_lock(&l->lock);
		w = l->first;
		if (w == NULL)
			break;
		/* relaxed: the state is ours to change only from CLAIMED to
		 * BUSY; the CAS decides against a taking owner (T1). */
		s = sync_load(&w->_state, RELAXED);
		if (!(s & ACHAN__W_TAKING) && (!(s & ACHAN__W_CLAIMED) ||
		    sync_cas(&w->_state, &s,
		    (s & ~(uint32_t)ACHAN__W_CLAIMED) | ACHAN__W_BUSY, RELAXED))) {
			l->first = w->_next;
			if (l->first == NULL)
				l->last = NULL;
			break;
		}
		sync_unlock(&l->lock);
		achan__inflight_pause(&spins);	/* its owner unlinks it */
	}
	sync_unlock(&l->lock);
	return w;
}

/* Modelled in model/wakelist_take.pml (with achan__waiter_settle and
 * achan__wakelist_take; twins for each step) and, for claims appending
 * while owners take nodes out, model/wakelist_append.pml. */
static inline void
achan__wakelist_run(struct achan__wakelist *l)
{
	struct achan__waiter *w;
	struct achan_waker waker;
	uint32_t outcome;

	/* The first node is BUSY: no owner takes it out, so l->first is
	 * ours to read here. */
	if (l->first == NULL)
		return;
	l->outer = achan__tls_wakelists;
	achan__tls_wakelists = l;
	while ((w = achan__wakelist_next(l)) != NULL) {
		/* The owner cannot touch w while BUSY is set: read what we
		 * need, wake, then end the handshake as the very last access. */
		waker = w->_waker;
		outcome = sync_load(&w->_state, RELAXED) & ACHAN__W_OUTCOME;
		ACHAN__FAULT(ACHAN__FP_WAITQ_WAKE, w);
		if (waker.wake == achan__parker_wake) {
			/* A thread blocked in achan: end the handshake before
			 * the futex syscall (see achan__parker_kick). */
			int sleeping = achan__parker_notify(waker.arg);

			/* W2 (release): as below. */
			sync_store(&w->_state, outcome, RELEASE);
			if (sleeping)
				achan__parker_kick(waker.arg);
		} else {
			/* `current` marks the node whose wake runs on this
			 * thread: a waker that polls or cancels its own future
			 * is told (EINVAL) instead of waiting for itself. */
			l->current = w;
			waker.wake(waker.arg);
			l->current = NULL;
			/* W2 (release): ends the handshake; publishes the
			 * outcome and anything the waking side wrote into the
			 * future (a received value, a DONE).  Pairs with W3 in
			 * achan__waiter_settle. */
			sync_store(&w->_state, outcome, RELEASE);
		}
	}
	achan__tls_wakelists = l->outer;
	l->outer = NULL;
	l->shared = 0;
}

static inline int
achan__waitq_wake_one(struct achan__waitq *q, struct achan__lock *lock,
		uint32_t outcome)
{
	struct achan__wakelist l = ACHAN__WAKELIST_INIT;
	struct achan__waiter *w;

	sync_lock(lock);
	w = achan__waitq_pop(q);
	if (w != NULL)
		achan__waiter_claim(&l, w, outcome);
	sync_unlock(lock);
	achan__wakelist_run(&l);
	return w != NULL;
}

/*
 * The owner takes w (its T1 CAS set TAKING) out of the wake list it was
 * claimed into: unlink it under the list's lock, then end the handshake
 * ourselves.  The list is alive: its runner cannot get past w while w is
 * linked (achan__wakelist_next waits at a TAKING node), and it never looks
 * at w again once we unlock.
 */
static achan__noinline uint32_t
achan__wakelist_take(struct achan__waiter *w, uint32_t outcome)
{
	struct achan__wakelist *l = (void *)w->_prev;
	struct achan__waiter *t, *prev = NULL;

	sync_lock(&l->lock);
	for (t = l->first; t != NULL; prev = t, t = t->_next) {
		if (t == w) {
			if (prev != NULL)
				prev->_next = w->_next;
			else
				l->first = w->_next;
			if (l->last == w)
				l->last = prev;
			break;
		}
	}
	sync_unlock(&l->lock);
	w->_next = w->_prev = NULL;
	/* relaxed: w is ours alone now (the unlock above ended the list's
	 * last access to it) */
	sync_store(&w->_state, outcome, RELAXED);
	return outcome;
}

/*
 * Wait until no wake of w is pending or running, and return w's state (an
 * outcome, or QUEUED).  A node still waiting for its turn in a wake list is
 * taken out instead of waited for (waitq.h).  Callers never settle a node
 * whose wake runs on their own thread (achan__waiter_waking_self).
 */
static inline uint32_t
achan__waiter_settle(struct achan__waiter *w)
{
	uint32_t s;
	unsigned spins = 0, inflight = 0;

	for (;;) {
		/* W3 (acquire): pairs with W2 (and with the lock for QUEUED). */
		s = sync_load(&w->_state, ACQUIRE);
		if (!(s & (ACHAN__W_BUSY | ACHAN__W_CLAIMED)))
			return s;
		/* T1 (acquire CAS): pairs with W1; wins against the runner's
		 * CLAIMED -> BUSY, or fails and we wait for W2. */
		if ((s & ACHAN__W_CLAIMED) && sync_cas(&w->_state, &s,
		    (s & ~(uint32_t)ACHAN__W_CLAIMED) | ACHAN__W_TAKING,
		    ACQUIRE))
			return achan__wakelist_take(w, s & ACHAN__W_OUTCOME);
		/* The waker is running on another thread; it never blocks,
		 * but its thread may be preempted.  A parked owner woken by
		 * the parker sees BUSY for the few instructions between the
		 * notify and W2: single pauses first (an exponential step
		 * there cost ping-pong ~7%: A/B 0.926), then back off, yield, sleep. */
		if (spins < 64) {
			achan__cpu_relax();
			spins++;
		} else {
			achan__inflight_pause(&inflight);
		}
	}
}

/* Is w's wake running on this very thread (a waker re-entering achan,
 * perhaps from a list run by another waker further up the stack)? */
static inline int
achan__waiter_waking_self(const struct achan__waiter *w)
{
	const struct achan__wakelist *l;

	for (l = achan__tls_wakelists; l != NULL; l = l->outer)
		if (l->current == w)
			return 1;
	return 0;
}

/*
 * The start of every public cancel, before the object is touched: w must be
 * a future of this side, made on an object, and not be cancelled from
 * inside its own waker (EINVAL).  A future that is not registered is
 * answered here without the object, which a finished future may have
 * outlived (paired objects).  ACHAN_PENDING: registered; the kind's cancel
 * goes on.
 */
static inline int
achan__future_cancel_begin(struct achan__waiter *w, uint32_t side,
		const void *obj)
{
	if (w->_side != side || obj == NULL || achan__waiter_waking_self(w))
		return ACHAN_EINVAL;
	if (w->_phase == ACHAN__PHASE_FINISHED)
		return w->_result == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED;
	if (w->_phase == ACHAN__PHASE_FRESH) {
		w->_phase = ACHAN__PHASE_FINISHED;
		w->_result = ACHAN_CANCELLED;
		return ACHAN_CANCELLED;
	}
	return ACHAN_PENDING;
}

static inline void
achan__future_init(struct achan__waiter *w, uint32_t side)
{
	w->_next = w->_prev = NULL;
	w->_waker.wake = NULL;
	w->_waker.arg = NULL;
	w->_state = ACHAN__W_IDLE;
	w->_phase = ACHAN__PHASE_FRESH;
	w->_result = ACHAN_PENDING;
	w->_side = side;
}

/*
 * Cancel (the part every kind shares).  If w is still queued it is unlinked;
 * if it was claimed, the wake is waited out.  A NOTIFIED waiter hands its
 * wakeup to the oldest remaining waiter of q when hand_on is set.  Returns
 * ACHAN_OK if the other side had completed the operation (DONE), else
 * ACHAN_CANCELLED; a finished future answers as it finished.
 */
static inline int
achan__future_cancel(struct achan__waiter *w, struct achan__waitq *q,
		struct achan__lock *lock, struct achan__object *o, int hand_on)
{
	uint32_t s;

	if (w->_phase == ACHAN__PHASE_FINISHED)
		return w->_result == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED;
	if (w->_phase == ACHAN__PHASE_FRESH)
		return achan__future_finish(w, o, ACHAN_CANCELLED);

	ACHAN__FAULT(ACHAN__FP_WAITQ_CANCEL, w);
	sync_lock(lock);
	/* relaxed: claims happen under the lock we hold */
	s = sync_load(&w->_state, RELAXED);
	if (s == ACHAN__W_QUEUED) {
		achan__waitq_remove(q, w);
		sync_unlock(lock);
		achan__future_finish(w, o, ACHAN_CANCELLED);
		return ACHAN_CANCELLED;
	}
	sync_unlock(lock);

	s = achan__waiter_settle(w);
	if (s == ACHAN__W_DONE) {
		achan__future_finish(w, o, ACHAN_OK);
		return ACHAN_OK;
	}
	/* Woken but never acted on: pass the wakeup on so that abandoning
	 * this future cannot strand the next one (SEMANTICS.md).  Modelled
	 * in model/waitq_handon.pml (proctype receiver0). */
	ACHAN__FAULT_IF(s == ACHAN__W_NOTIFIED && hand_on, ACHAN__FP_WAITQ_HANDON, w);
	if (s == ACHAN__W_NOTIFIED && hand_on)
		(void)achan__waitq_wake_one(q, lock, ACHAN__W_NOTIFIED);
	achan__future_finish(w, o, ACHAN_CANCELLED);
	return ACHAN_CANCELLED;
}

#endif /* ACHAN_LIB_WAITQ_IMPL_H */
