/*
 * oneshot_impl.h - internal only: the oneshot algorithm, for both kinds (the
 * oneshot: one value, one taker; the oneshot broadcast: one value, every
 * receiver gets a copy), written once against the synchronisation policy
 * and compiled twice: thread-safe in oneshot.c (sync_mt.h), single-thread in
 * oneshot_local.c (sync_local.h).  Every function is static.  The object and
 * the state word's bits: oneshot_internal.h.  The kind is a parameter
 * (`bcast`), a constant at every thread-safe call site.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * --- The state word ----------------------------------------------------------
 *
 * All of a oneshot's state is one 32-bit word: the value state (EMPTY,
 * WRITING, READY, TAKEN), CLOSED, and WAITERS (receive futures may be
 * queued).  The value sits beside it.  After init, every write of the word
 * is a read-modify-write, so every RMW continues the release sequence of
 * the RMWs before it: an acquire read of the word synchronizes with every
 * release RMW that precedes what it reads.
 *
 *   send      S1 CAS EMPTY -> WRITING (refused once CLOSED or not EMPTY: the
 *             value stays with the caller); copy the value in; R1 fetch_add
 *             WRITING -> READY (release) publishes it and returns the old
 *             word: WAITERS set -> wake the queue.
 *   try_recv  A1 load (acquire).  Oneshot: T1 CAS READY -> TAKEN (acquire),
 *             then copy out; TAKEN -> CLOSED.  Broadcast: READY -> copy out,
 *             the value stays.  EMPTY -> EMPTY, EMPTY|CLOSED -> CLOSED;
 *             WRITING: wait for R1 (the send has committed at S1, so a
 *             value being written counts as there: linearizability).
 *   close     C1 fetch_or CLOSED.  NEWLY_CLOSED iff it was neither closed
 *             nor sent (value EMPTY); a value sent, or being written, stays
 *             receivable.
 *
 * Uncontended: a send is two RMWs on one line (S1, R1), a try_recv one load
 * and (oneshot) one CAS, a close one RMW; no lock, no syscall unless a
 * future is queued.
 *
 * Why send is claim + publish, not one RMW.  The value must be in place
 * before the word says READY, and the slot may be written only by the one
 * send that will succeed: a second or concurrent send must fail and leave
 * the slot alone (a receiver may be copying it), and a send after close
 * must not write at all.  One RMW can publish bytes written before it, but
 * cannot grant the right to write them; so S1 grants, R1 publishes.  A
 * single-RMW send needs the value inside the word (4 bytes here, or a
 * 16-byte CAS for pointers - not portable, not our 32-bit word) or a slot
 * private to each sender (allocation).  The publish must be an RMW, not a
 * store, because receivers set WAITERS and closers set CLOSED concurrently.
 * The second RMW hits a line the first one just took exclusively: tens of
 * cycles, no extra cache miss.
 *
 * --- Finalisation: why no waiter sleeps through the value ----------------
 *
 * A state is *final* when no value can come any more: READY or TAKEN, or
 * EMPTY|CLOSED.  Exactly one RMW makes the word final - R1 of the send that
 * claimed, or C1 of a close that found it EMPTY (a close that finds WRITING
 * leaves finalisation to that send) - and the word never leaves the final
 * states.  We call its caller the finaliser.  Receive futures wait only for
 * finalisation: every wake is a NOTIFIED hint, and the woken future re-polls
 * and reads the outcome from the word.
 *
 * A future registers under the queue lock: push the node, then G1, a CAS
 * that sets WAITERS *only while the word is not final* (else it unlinks and
 * completes at once).  G1 and the finalising RMW are RMWs on the same word,
 * so they are totally ordered in its modification order, and an RMW reads
 * the latest value:
 *   - G1 first: the finalising RMW reads WAITERS.  Only the finaliser ever
 *     clears WAITERS, so it is still set.  The finaliser then takes the lock;
 *     it cannot have taken it before the registrant (its unlock would then
 *     happen-before G1, and G1 would read the final word), so it finds the
 *     node queued and wakes it - unless the owner took the node out first
 *     (a re-poll that completes, a cancel), when no wake is owed.
 *   - the finalising RMW first: G1 reads a final word and does not register.
 * Either way no registered future misses the wake.  Once final, nobody sets
 * WAITERS again (G1 refuses), so the finaliser's clear (Q2) is safe outside
 * the lock and is exact.
 *
 * The first taker wins: woken oneshot futures race with T1 like any
 * try_recv; the losers, and every future registered earlier or later, read
 * TAKEN and finish CLOSED.  Every waiter is woken by the finaliser, so a
 * cancelled, woken future has no wakeup to hand on (hand_on 0 below).
 *
 * --- The sender's teardown handshake ---------------------------------------
 *
 * Oneshots live on a requester's stack: it receives the reply, then ends
 * the frame, possibly while the sender's send (or close) is still running -
 * between its finalising RMW and its last touch of the queue lock.  So:
 * when the finalising RMW reads WAITERS, the finaliser locks, claims every
 * queued future, unlocks, and only then clears WAITERS (Q2, release), its
 * last access to the object; the wakes run after that and touch only the
 * futures.  A receive that finishes with OK or CLOSED first waits while the
 * final word still has WAITERS (Q1, acquire, in once_quiesce): a few
 * instructions, unless the finaliser's thread was preempted.  Hence: once a
 * receive has returned OK or CLOSED, the send or close that finalised the
 * object is done with it, and the receiving side may fini it.  (A send that
 * failed, or a close that was not the finaliser, gets no such promise.)
 * Stale WAITERS (a queued future cancelled) costs the finaliser one
 * uncontended lock; it is cleared all the same.
 *
 * Models of this protocol: see the reliability issue (model/).
 */
#ifndef ACHAN_LIB_ONESHOT_IMPL_H
#define ACHAN_LIB_ONESHOT_IMPL_H

#ifndef ACHAN_LIB_SYNC_H
#error "include sync_mt.h or sync_local.h before oneshot_impl.h"
#endif

#include <sched.h>
#include <string.h>

#include "oneshot_internal.h"
#include "parker.h"
#include "ring.h"
#include "waitq_impl.h"

/* --- small helpers ------------------------------------------------------- */

/* May a value still come?  Registration (G1) is allowed only then. */
static inline int
once_may_come(uint32_t s)
{
	uint32_t v = s & ONCE_VALUE;

	return v == ONCE_WRITING || (v == ONCE_EMPTY && !(s & ONCE_CLOSED));
}

/*
 * The receiving half of the teardown handshake: s is a final word that this
 * thread read with acquire order (or, T1, with an acquire CAS).  While
 * WAITERS is set in it, the finaliser is still claiming the queue; wait for
 * its Q2.  Single-thread flavour: the finaliser has cleared WAITERS before
 * any waker runs, so the loop never spins.
 */
static inline void
once_quiesce(struct achan__once *o, uint32_t s)
{
	unsigned spins = 0;

	while (achan__unlikely(s & ONCE_WAITERS)) {
		achan__inflight_pause(&spins);
		/* Q1 (acquire): pairs with Q2 in once_wake_all; the
		 * finaliser's accesses to o happen-before our return. */
		s = sync_load(&o->state, ACQUIRE);
	}
}

/*
 * The finaliser's wake: its finalising RMW read WAITERS.  Claim every
 * queued future (NOTIFIED: re-poll and read the word), then end our use of
 * the object (Q2), then wake - the wakes touch only the futures, whose
 * owners wait for each wake to end (W2/W3 in waitq_impl.h).
 */
/* Model: model/oneshot.pml */
static inline void
once_wake_all(struct achan__once *o)
{
	struct achan__wakelist l = ACHAN__WAKELIST_INIT;

	sync_lock(&o->q.lock);
	achan__waitq_claim_all(&o->q, &l, ACHAN__W_NOTIFIED);
	sync_unlock(&o->q.lock);
	ACHAN__FAULT(ACHAN__FP_ONCE_WAKE_ALL, &o->obj);
	/* Q2 (release RMW): our last access to o; pairs with Q1 in
	 * once_quiesce.  WAITERS is set: the word is final, so nobody but us
	 * changes that bit any more. */
	(void)sync_fetch_sub(&o->state, ONCE_WAITERS, RELEASE);
	achan__wakelist_run(&l);
}

/* --- send, receive, close ------------------------------------------------ */

/* Model: model/oneshot.pml */
static inline int
once_send(struct achan__once *o, const void *value)
{
	/* relaxed: S1's expected value; S1 itself decides */
	uint32_t s = sync_load(&o->state, RELAXED);

	do {
		if (s & (ONCE_VALUE | ONCE_CLOSED))
			return ACHAN_CLOSED;	/* sent or closed: value kept */
		/* S1 (relaxed CAS): grants this send the value slot; nobody
		 * reads the slot before R1, and no other send can write it. */
	} while (!sync_cas(&o->state, &s, s | ONCE_WRITING, RELAXED));
	ACHAN__FAULT(ACHAN__FP_ONCE_SEND_WRITING, &o->obj);
	achan__ring_copy(o->value, value, o->elem_size);
	/* R1 (release RMW): WRITING -> READY publishes the value; pairs with
	 * A1/A2/T1 of receivers.  The old word says whether futures wait. */
	s = sync_fetch_add(&o->state, ONCE_READY - ONCE_WRITING, RELEASE);
	if (achan__unlikely(s & ONCE_WAITERS))
		once_wake_all(o);
	/* else R1 was our last access to o */
	return ACHAN_OK;
}

/*
 * Take (oneshot) or copy (broadcast) the value.  ACHAN_OK, ACHAN_EMPTY (no
 * value yet: the word is not final) or ACHAN_CLOSED.  Every OK/CLOSED has
 * waited out the finaliser (once_quiesce).
 */
/* Model: model/oneshot.pml */
static inline int
once_try_recv(struct achan__once *o, void *out, int bcast)
{
	/* A1 (acquire): pairs with R1 (the value is visible once READY is)
	 * and with C1 (a close happens-before the CLOSED it causes). */
	uint32_t s = sync_load(&o->state, ACQUIRE);
	unsigned spins = 0;

	for (;;) {
		switch (s & ONCE_VALUE) {
		case ONCE_READY:
			if (bcast) {
				/* read-only: the value never changes again */
				achan__ring_copy(out, o->value, o->elem_size);
				once_quiesce(o, s);
				return ACHAN_OK;
			}
			/* T1 (acquire CAS): READY -> TAKEN makes this receive
			 * the one taker; pairs with R1. */
			if (sync_cas(&o->state, &s,
			    (s & ~(uint32_t)ONCE_VALUE) | ONCE_TAKEN, ACQUIRE)) {
				achan__ring_copy(out, o->value, o->elem_size);
				once_quiesce(o, s);
				return ACHAN_OK;
			}
			/* A1 again (acquire): the CAS failure load is relaxed */
			s = sync_load(&o->state, ACQUIRE);
			break;
		case ONCE_TAKEN:	/* another receiver won */
			once_quiesce(o, s);
			return ACHAN_CLOSED;
		case ONCE_WRITING:
			/* A send has claimed the slot and is copying its
			 * value in.  It has committed: a competing send
			 * already answers CLOSED and a close ALREADY_CLOSED,
			 * so EMPTY here would not be linearizable (lin/
			 * caught it).  Wait out the few instructions. */
			achan__inflight_pause(&spins);
			/* A1 again (acquire) */
			s = sync_load(&o->state, ACQUIRE);
			break;
		default:		/* EMPTY */
			if (!(s & ONCE_CLOSED))
				return ACHAN_EMPTY;
			once_quiesce(o, s);
			return ACHAN_CLOSED;
		}
	}
}

/* Model: model/oneshot.pml */
static inline int
once_close(struct achan__once *o)
{
	/* C1 (release RMW): pairs with A1/A2 (CLOSED results). */
	uint32_t s = sync_fetch_or(&o->state, ONCE_CLOSED, RELEASE);

	ACHAN__FAULT(ACHAN__FP_ONCE_CLOSE, &o->obj);
	if (s & ONCE_CLOSED)
		return ACHAN_ALREADY_CLOSED;
	if ((s & ONCE_VALUE) != ONCE_EMPTY)
		/* sent (or being sent): the value stays receivable, and the
		 * send is the finaliser that wakes the queue */
		return ACHAN_ALREADY_CLOSED;
	/* We made the word final (EMPTY|CLOSED): wake every waiter. */
	if (s & ONCE_WAITERS)
		once_wake_all(o);
	return ACHAN_NEWLY_CLOSED;
}

/* 1 once no send can succeed any more: closed, or a value was sent. */
static inline int
once_is_closed(const struct achan__once *o)
{
	/* A1 (acquire): as in once_try_recv */
	uint32_t s = sync_load(&o->state, ACQUIRE);

	return (s & ONCE_CLOSED) != 0 || (s & ONCE_VALUE) != ONCE_EMPTY;
}

/* --- futures ----------------------------------------------------------------- */

/* Link w and set WAITERS (G1), unless the word is final: then complete. */
/* Model: model/oneshot.pml */
static inline int
once_register(struct achan__once *o, struct achan__waiter *w, void *out,
		const struct achan_waker *waker, int bcast)
{
	uint32_t s;

	ACHAN__FAULT(ACHAN__FP_ONCE_RECV_REGISTER, w);
	sync_lock(&o->q.lock);
	w->_waker = *waker;
	achan__waitq_push(&o->q, w);
	ACHAN__FAULT(ACHAN__FP_ONCE_RECV_REGISTERED, w);
	/* relaxed: G1's expected value; G1 itself decides */
	s = sync_load(&o->state, RELAXED);
	do {
		if (!once_may_come(s)) {
			/* final already: no wake will come, none is needed */
			achan__waitq_remove(&o->q, w);
			sync_unlock(&o->q.lock);
			return achan__future_finish(w, &o->obj,
			    once_try_recv(o, out, bcast));
		}
		/* G1 (relaxed CAS): orders our registration against the
		 * finalising RMW in the word's modification order (see the
		 * argument at the top); the queue itself is ordered by the
		 * lock. */
	} while (!sync_cas(&o->state, &s, s | ONCE_WAITERS, RELAXED));
	achan__future_registered(w, &o->obj);
	sync_unlock(&o->q.lock);
	ACHAN__FAULT(ACHAN__FP_ONCE_RECV_PENDING, w);
	return ACHAN_PENDING;
}

/* Model: model/oneshot.pml */
static inline int
once_recv_poll(struct achan__once *o, struct achan__waiter *w, void *out,
		const struct achan_waker *waker, int bcast)
{
	uint32_t s;
	int r;

	ACHAN__FAULT_IF(w->_phase == ACHAN__PHASE_REGISTERED, ACHAN__FP_ONCE_RECV_REPOLL, w);
	/*
	 * Registered.  A wake that has ended (NOTIFIED, W3 acquire: pairs with
	 * W2) needs no lock.  Anything else is read again under the lock, so
	 * that whether we are still queued and whether a value may still come
	 * are decided together (a claim goes QUEUED -> outcome|BUSY under that
	 * lock; see achan__waitq_unlink).
	 */
	if (w->_phase == ACHAN__PHASE_REGISTERED &&
	    /* W3 (acquire): pairs with W2 (waitq_impl.h) */
	    sync_load(&w->_state, ACQUIRE) != ACHAN__W_NOTIFIED) {
		/* A2 (acquire): as A1. */
		s = sync_load(&o->state, ACQUIRE);
		sync_lock(&o->q.lock);
		/* relaxed: claims happen under the lock we hold */
		if (sync_load(&w->_state, RELAXED) == ACHAN__W_QUEUED) {
			if (once_may_come(s)) {
				/* Keep our place, new waker.  If the word went
				 * final since A2, the finaliser saw WAITERS
				 * (ours) and will claim us after we unlock. */
				w->_waker = *waker;
				sync_unlock(&o->q.lock);
				return ACHAN_PENDING;
			}
			achan__waitq_remove(&o->q, w);	/* final: complete */
		}
		sync_unlock(&o->q.lock);
		(void)achan__waiter_settle(w);	/* a wake claimed meanwhile */
	}
	/* Fresh, or woken: woken means final, so this completes. */
	r = once_try_recv(o, out, bcast);
	if (r != ACHAN_EMPTY)
		return achan__future_finish(w, &o->obj, r);
	return once_register(o, w, out, waker, bcast);
}

/*
 * Cancel.  Every waiter was woken by the one finaliser, so a woken future
 * has no wakeup to hand on (hand_on 0).  A receive future never completes
 * on its own (no DONE): cancel answers OK only for a future that had
 * finished with OK.
 */
static inline int
once_recv_cancel(struct achan__once *o, struct achan__waiter *w)
{
	return achan__future_cancel(w, &o->q, &o->q.lock, &o->obj, 0);
}

/*
 * The oneshot's last receiver handle is gone: close, and destroy a value
 * that nobody can receive any more.  A send that claimed before the close
 * is waited out (its copy is a few instructions); the take is T1's, so a
 * registered future that outlived the handle and races us still gets the
 * value at most once.  Paired objects only (their memory is counted).
 */
static inline void
once_close_discard(struct achan__once *o)
{
	unsigned spins = 0;
	uint32_t s;

	(void)once_close(o);
	ACHAN__FAULT(ACHAN__FP_ONCE_DISCARD, &o->obj);
	/* A3 (acquire): pairs with R1 */
	s = sync_load(&o->state, ACQUIRE);
	for (;;) {
		if ((s & ONCE_VALUE) == ONCE_WRITING) {
			achan__inflight_pause(&spins);
			s = sync_load(&o->state, ACQUIRE);	/* A3 */
			continue;
		}
		if ((s & ONCE_VALUE) != ONCE_READY)
			return;
		/* T2 (acquire CAS): take it, as T1 does; pairs with R1. */
		if (sync_cas(&o->state, &s,
		    (s & ~(uint32_t)ONCE_VALUE) | ONCE_TAKEN, ACQUIRE)) {
			if (o->dtor != NULL)
				o->dtor(o->value, o->dtor_arg);
			return;
		}
		s = sync_load(&o->state, ACQUIRE);	/* A3 */
	}
}

#if SYNC_THREADS
/* Blocking receive: a few tries, then the future every async user has,
 * polled by this thread with a waker that unparks it. */

struct once_blocking {
	struct achan__waiter w;
	struct achan__once *o;
	void *out;
	int bcast;
};

static inline int
once_blocking_poll(void *f, const struct achan_waker *waker)
{
	struct once_blocking *b = f;

	return once_recv_poll(b->o, &b->w, b->out, waker, b->bcast);
}

static inline int
once_blocking_cancel(void *f)
{
	struct once_blocking *b = f;

	return once_recv_cancel(b->o, &b->w);
}

static inline int
once_recv_wait(struct achan__once *o, void *out,
		const struct timespec *deadline, int bcast)
{
	struct achan__snooze sn = ACHAN__SNOOZE_INIT;
	struct once_blocking b;
	int r;

	do {
		r = once_try_recv(o, out, bcast);
		if (achan__likely(r != ACHAN_EMPTY))
			return r;
	} while (achan__snooze(&sn));
	achan__future_init(&b.w, ONCE_SIDE_RECV);
	b.o = o;
	b.out = out;
	b.bcast = bcast;
	return achan__block_on(&b, once_blocking_poll, once_blocking_cancel,
	    deadline);
}

#else /* !SYNC_THREADS */
/* One thread owns the object: a value that is not there now can never come
 * while this thread waits.  Say so instead of hanging. */

static inline int
once_recv_wait(struct achan__once *o, void *out,
		const struct timespec *deadline, int bcast)
{
	int r = once_try_recv(o, out, bcast);

	(void)deadline;
	return r == ACHAN_EMPTY ? ACHAN_EDEADLK : r;
}
#endif /* SYNC_THREADS */

#endif /* ACHAN_LIB_ONESHOT_IMPL_H */
