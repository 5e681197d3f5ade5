/*
 * chan_impl.h - internal only: the bounded and unbuffered MPMC channel
 * algorithm, written once against the synchronisation policy and compiled
 * twice: thread-safe in chan.c (sync_mt.h), single-thread in chan_local.c
 * (sync_local.h).  Every function is static.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Bounded (capacity >= 1): values live in a Vyukov ring (ring.h).  The fast
 * path is ring_push / ring_pop (one CAS each) plus one plain load of the
 * other side's `nwaiting` word; the waiter queues and their locks are touched
 * only when someone waits.
 *
 * Unbuffered (capacity 0): no ring.  Both queues share one lock, and a value
 * moves in one copy between a sender's future and a receiver (from the
 * waiting sender's `value`, or into the waiting receiver's `out`), as in Go.
 *
 * --- Why no waiter sleeps through progress (bounded) ---------------------
 *
 * Receivers.  A receiver that finds the ring empty links itself into recvq
 * and raises recvq.nwaiting (D-store, under the lock), then issues fence F2
 * and looks at the ring again before it may sleep: the stamp of the oldest
 * slot, then the tail counter (A3).  A sender claims its slot with a seq_cst
 * CAS on the tail (S1), publishes the value (R1), then reads recvq.nwaiting
 * with a seq_cst load (D1).  This is the store-buffering pattern with a
 * fence on one side and seq_cst operations on the other.  Take F2's and
 * S1's places in the single total order S of seq_cst operations:
 *   - S1 before F2: the tail load after F2 sees S1 or a later value
 *     ([atomics.order] p4: a load sequenced after a seq_cst fence X sees
 *     the last seq_cst modification before X in S, or a later one);
 *   - F2 before S1, so before D1: D1 sees the D-store or a later value
 *     ([atomics.order] p5: the D-store is sequenced before F2, and D1 is a
 *     seq_cst load after F2 in S, so D1 observes the D-store's effect) -
 *     the sender wakes the oldest waiting receiver.
 * In the first case the value may not be published yet (R1 pending): the
 * receiver then waits for that publish (pop_settled: a few instructions;
 * with its lock dropped) instead of sleeping - sleeping would be wrong,
 * since this sender's D1 may have missed it.  So the uncontended send pays
 * no fence of its own: its CAS is the locked instruction.
 *
 * A wakeup is a hint, not a reservation: a woken receiver that finds nothing
 * re-registers (and re-checks, as above); one that is cancelled before acting
 * on its wakeup hands it to the next receiver (achan__future_cancel).  A
 * woken receiver that finds the oldest slot claimed but unpublished waits
 * for it too: the publisher's wakeup may be the one it consumed.  So do
 * try_recv and try_send (a slot claimed but not yet published or vacated),
 * for another reason: linearizability (lin/).  Every path of a buffered
 * channel therefore sees a slot in flight as the operation done.  None of
 * these waits is made under a queue lock, and each yields, then sleeps
 * (achan__inflight_pause): the peer may be stalled.
 *
 * Senders.  A sender that finds the ring full links itself into sendq,
 * which raises sendq.nwaiting and sets the ring's wait bit in the tail word
 * (both under sendq's lock: the bit mirrors "senders wait"), issues F2,
 * and serves the queue: it moves values of the oldest waiting senders - its
 * own included - into the ring while there is room (serve_senders_locked;
 * the stamp of the slot at the tail, then the head counter, A4).  A
 * receiver claims a value with a seq_cst CAS on the head (S2), releases the
 * slot (R2) and reads sendq.nwaiting (D2, seq_cst); if senders wait, it
 * serves them too.  By the same two rules, either D2 sees the waiting
 * sender, or the sender's serve after F2 sees S2 (the slot is being freed:
 * it waits for R2 with the lock dropped, then serves).  So a freed slot
 * reaches the oldest waiting sender, and a new send cannot overtake it:
 * its CAS on the tail expects the wait bit clear, so in the tail word's
 * modification order it either precedes the registration's RMW (and
 * linearizes first) or fails and sees the bit (issue 14, C2).  Looping
 * while there is room matters: two receivers can free two slots in the
 * order opposite to the ring's, and the second one's serve must fill both.
 * A serve by a receiver after its own take never waits: a slot another
 * receive is still vacating is left to that receive, which serves after
 * its own R2 (or is seen by the registering sender's serve, as above).
 *
 * Close.  close sets the closed bit in the ring's tail word (C1, seq_cst),
 * then takes each queue lock and wakes every waiter.  Registration checks the
 * bit under the same lock, so a waiter either sees the bit or is queued
 * before close drains the queue.  Pushes cannot claim a slot once the bit is
 * set; receivers report CLOSED only when closed and head == tail.
 *
 * Batches (issue 16).  A batch push claims every consecutive free slot at
 * the tail with one S1 (achan__ring_push_many), then publishes them one by
 * one, and wakes at most one receiver per value with one lock; a batch take
 * likewise (one S2), then serves waiting senders once (one D2).  Each
 * value is therefore published (R1) and released (R2) exactly as a single
 * push or take would, and the argument above holds for the batch: its one
 * S1 claims every slot before any publish, so "S1 before F2" covers them
 * all, and its one D1, after the last publish, wakes up to k receivers -
 * one per value, since each waiting receive may take a single value
 * (model/batch_wake.pml; twins BATCH_NO_WAKE, WAKE_ONE, D1_BEFORE_S1).  A
 * waiting batch sender is one node of sendq: serving it moves its values
 * one by one (send_many_advance), so it keeps its place until its last
 * value is in, and the wait bit keeps every new send behind it.
 *
 * Models of this protocol, checked by `make check` under x86-TSO store
 * buffers with a deliberately broken twin for each step of the argument:
 * model/chan_recv_wakeup.pml (F2, A3, waiting out an in-flight publish) and
 * model/chan_send_wakeup.pml (F2, A4, serving senders while there is room)
 * and model/batch_wake.pml (a batch push's one S1 and one D1 waking up to
 * k receivers; its twin NO_F2+PLAIN_UNLOCK shows that F2 is what C11
 * needs: on x86 the unlock's exchange, before the receiver's second look,
 * drains the store buffer as well).
 */
#ifndef ACHAN_LIB_CHAN_IMPL_H
#define ACHAN_LIB_CHAN_IMPL_H

#ifndef ACHAN_LIB_SYNC_H
#error "include sync_mt.h or sync_local.h before chan_impl.h"
#endif

#include <sched.h>
#include <string.h>

#include "chan_internal.h"
#include "parker.h"
#include "select_claim.h"
#include "waitq_impl.h"

/* --- small helpers ------------------------------------------------------- */

static inline int
unbuffered(const struct achan_chan *ch)
{
	return ch->ring.cap == 0;
}

/*
 * Unbuffered channels guard both queues with recvq's lock.  Waiting
 * receivers are the common case there (a consumer idle for work, the echo
 * side of a ping-pong), and recvq's lock shares its cache line with recvq's
 * head and count: a sender meeting a waiting receiver, and a receiver
 * registering, each pull one line from the other core instead of two.
 */
static inline struct achan__lock *
send_lock(struct achan_chan *ch)
{
	return unbuffered(ch) ? &ch->recvq.lock : &ch->sendq.lock;
}

static inline struct achan__lock *
recv_lock(struct achan_chan *ch)
{
	return &ch->recvq.lock;
}

static inline struct achan_chan_send_future *
as_send(struct achan__waiter *w)
{
	return achan__container_of(w, struct achan_chan_send_future, _w);
}

static inline struct achan_chan_recv_future *
as_recv(struct achan__waiter *w)
{
	return achan__container_of(w, struct achan_chan_recv_future, _w);
}

static inline struct achan_chan_send_many_future *
as_send_many(struct achan__waiter *w)
{
	return achan__container_of(w, struct achan_chan_send_many_future, _w);
}

static inline struct achan_chan_recv_many_future *
as_recv_many(struct achan__waiter *w)
{
	return achan__container_of(w, struct achan_chan_recv_many_future, _w);
}

/* The value a waiting sender offers next (a batch: its next one). */
static inline const void *
send_value(struct achan__waiter *w)
{
	return w->_side == SIDE_SEND_MANY ? as_send_many(w)->_value :
	    as_send(w)->_value;
}

/*
 * One more value of a waiting batch sender went in (under its queue's
 * lock, or its owner's own poll): 1 if that was its last - it completes
 * like a single sender - else 0: it keeps its place, offering the next.
 */
static inline int
send_many_advance(struct achan__waiter *w, size_t es)
{
	struct achan_chan_send_many_future *f;

	if (w->_side != SIDE_SEND_MANY)
		return 1;
	f = as_send_many(w);
	if (++f->_sent == f->_n)
		return 1;
	f->_value = achan__ring_elem(f->_values, f->_sent, es);
	return 0;
}

/* Where a waiting receiver wants the value a meeting sender now copies
 * (a batch: its first slot, and it counts that one). */
static inline void *
recv_out_filled(struct achan__waiter *w)
{
	if (w->_side == SIDE_RECV_MANY) {
		as_recv_many(w)->_got = 1;
		return as_recv_many(w)->_out;
	}
	return as_recv(w)->_out;
}

/* ring_pop, waiting out a producer that claimed the oldest slot (never
 * under a queue lock: the wait yields, but the producer may be stalled). */
static inline int
pop_settled(struct achan_chan *ch, void *out)
{
	unsigned spins = 0;
	int r;

	while ((r = achan__ring_pop(&ch->ring, out)) == ACHAN__RING_INFLIGHT)
		achan__inflight_pause(&spins);
	return r;
}

/* ring_push, waiting out a consumer that is freeing the slot at the tail
 * (never under a queue lock, as above). */
static inline int
push_settled(struct achan_chan *ch, const void *value)
{
	unsigned spins = 0;
	int r;

	while ((r = achan__ring_push(&ch->ring, value)) == ACHAN__RING_INFLIGHT)
		achan__inflight_pause(&spins);
	return r;
}

/* After a push (S1, R1): wake the oldest waiting receiver, if any. */
static inline void
wake_receiver_if_waiting(struct achan_chan *ch)
{
	/* D1 (seq_cst load): after S1; pairs with F2 in recv registration
	 * (see the argument at the top). */
	if (achan__unlikely(sync_load(&ch->recvq.nwaiting, SEQ_CST) != 0))
		(void)achan__waitq_wake_one(&ch->recvq, &ch->recvq.lock,
		    ACHAN__W_NOTIFIED);
}

/* What serving the waiting senders did, to finish after the lock. */
struct serve {
	struct achan__wakelist l;	/* senders served (DONE), then others */
	unsigned moved;		/* values moved in: a receiver wakeup each */
	unsigned skipped;	/* select cases left queued: owner polling */
	int self_done;		/* the serving sender's own value went in */
};

#define SERVE_INIT { ACHAN__WAKELIST_INIT, 0, 0, 0 }

/* After the lock: wake the senders served, then a receiver per value. */
static inline void
serve_finish(struct achan_chan *ch, struct serve *sv)
{
	achan__wakelist_run(&sv->l);
	for (; sv->moved > 0; sv->moved--)
		wake_receiver_if_waiting(ch);
}

/*
 * Under sendq's lock (held again on return): move values of the oldest
 * waiting senders into the ring while it has room, claiming their futures
 * DONE into sv->l; `self`, the serving sender's own future, just leaves the
 * queue (sv->self_done).  The pushes are "served" ones: they claim slots
 * although the wait bit is set, which keeps every new send out.
 *
 * A slot at the tail still being vacated by a receive (INFLIGHT) is never
 * waited for under the lock (issue 14, C3).  With `wait`, the lock is
 * dropped while the receive finishes (yielding), then serving resumes: the
 * registering sender, and a try_send / try_recv / close that must answer
 * exactly, do that.  Without it the slot is left to the receive vacating
 * it, which serves after its R2 - a receive serving after its own take.
 * Why nobody is stranded then: that receive's D2 (seq_cst load of
 * sendq.nwaiting, after its S2) and each waiting sender's F2 (after its
 * registration, before its first serve with `wait`) are a store-buffering
 * pair: either D2 sees a sender waiting and serves, or the sender's serve,
 * which follows F2, sees the receive's S2 (A4, the head moved) and waits
 * for the slot itself.
 */
static inline void
serve_senders_locked(struct achan_chan *ch, struct serve *sv,
		struct achan__waiter *self, int wait)
{
	struct achan__waiter *w, *next;
	unsigned spins = 0;
	int r;

	for (;;) {
		r = ACHAN_OK;
		for (w = achan__waitq_head(&ch->sendq); w != NULL; w = next) {
			next = w->_next;
			/* Room first: a select case's claim, once won, must
			 * complete (select_claim.h). */
			r = achan__ring_push_check(&ch->ring);
			if (r != ACHAN_OK)
				break;
			switch (achan__select_claim(w, w == self, 1, NULL)) {
			case ACHAN__CLAIM_SKIP:	/* its owner is polling */
				sv->skipped++;
				continue;
			case ACHAN__CLAIM_LOST:	/* the room goes on */
				achan__waitq_lose(&ch->sendq, w);
				continue;
			}
			(void)achan__ring_push_served(&ch->ring,
			    send_value(w));	/* OK: checked above */
			sv->moved++;
			if (!send_many_advance(w, ch->ring.elem_size)) {
				next = w;	/* more of this batch: its place */
				continue;
			}
			if (w == self) {
				achan__waitq_remove(&ch->sendq, w);
				sv->self_done = 1;
			} else {
				achan__waitq_unlink(&ch->sendq, w);
				achan__waiter_claim(&sv->l, w, ACHAN__W_DONE);
			}
		}
		if (w == NULL || r != ACHAN__RING_INFLIGHT || !wait)
			return;
		sync_unlock(&ch->sendq.lock);
		achan__inflight_pause(&spins);
		sync_lock(&ch->sendq.lock);
	}
}

/*
 * Under sendq's lock, which it drops: serve the queue as its waiting sender
 * w (w's own value goes in without a wake), waiting out a slot being
 * vacated, then run the wakes.  1 if w's value went in; else *s is w's
 * state when the lock was dropped (QUEUED, or claimed meanwhile).
 */
static inline int
serve_as_sender(struct achan_chan *ch, struct achan__waiter *w, uint32_t *s)
{
	struct serve sv = SERVE_INIT;

	serve_senders_locked(ch, &sv, w, 1);
	/* relaxed: claims happen under the lock we hold */
	*s = sync_load(&w->_state, RELAXED);
	sync_unlock(&ch->sendq.lock);
	serve_finish(ch, &sv);
	return sv.self_done;
}

/* Move values of the oldest waiting senders into the ring while it has room.
 * Modelled in model/chan_send_wakeup.pml (proctype receiver). */
static inline void
serve_senders(struct achan_chan *ch, int wait)
{
	struct serve sv = SERVE_INIT;

	sync_lock(&ch->sendq.lock);
	serve_senders_locked(ch, &sv, NULL, wait);
	sync_unlock(&ch->sendq.lock);
	ACHAN__FAULT(ACHAN__FP_CHAN_SERVE, &ch->obj);
	serve_finish(ch, &sv);
}

/*
 * Room that a receive has freed belongs to the oldest waiting senders, but
 * the receive hands it over only after its own take (serve_senders_if_
 * waiting).  An operation that meets that window - senders waiting and room
 * free - finishes the handover itself before it answers, so that what it
 * answers is linearizable (lin/ caught the window: EMPTY, FULL, and a close
 * failing a sender whose slot had been freed before it).
 *
 * Out of line: it runs only while senders wait, and inlined it would push
 * the fast paths that test for it out of line themselves.
 */
static achan__noinline int
hand_over_owed_room(struct achan_chan *ch)
{
	struct serve sv = SERVE_INIT;

	sync_lock(&ch->sendq.lock);
	serve_senders_locked(ch, &sv, NULL, 1);
	sync_unlock(&ch->sendq.lock);
	serve_finish(ch, &sv);
	/* Nothing moved because the only senders waiting are select cases
	 * whose owners are polling them: those owners look again (MISSED),
	 * and until they are done the room is owed to nobody - say so
	 * instead of waiting for them. */
	return sv.moved == 0 && sv.skipped != 0 ? 0 : 1;
}

/* After a pop (S2, R2): let the oldest waiting senders fill the room. */
static inline void
serve_senders_if_waiting(struct achan_chan *ch)
{
	/* D2 (seq_cst load): after S2; pairs with F2 in send registration. */
	if (achan__unlikely(sync_load(&ch->sendq.nwaiting, SEQ_CST) != 0)) {
		ACHAN__STALL(ACHAN__SP_CHAN_SERVE, &ch->obj);
		serve_senders(ch, 0);
	}
}

/* --- bounded: send ----------------------------------------------------------- */

/*
 * The whole fast path: one push.  It fails while older senders wait (the
 * wait bit in the tail word), so a send never overtakes them: the bit is
 * set by the registering sender's RMW on the tail word, and a push's CAS
 * on that word either comes first in its modification order - the push
 * linearizes before the registration - or fails and sees the bit.
 *
 * `settle` (try_send): answer exactly.  A slot at the tail still being
 * vacated by a receive that has claimed it is waited out: FULL there would
 * not be linearizable - the receive has taken its value, so there is room
 * (lin/ caught it: FULL on an otherwise empty channel).  Room owed to
 * waiting senders is handed over first (hand_over_owed_room), then we look
 * again: FULL only if senders still wait with the ring full.  A caller that
 * will just try again (the blocking loop, a poll about to register and
 * serve) passes 0 and sees FULL: waiting right behind the other side,
 * reading the line it is writing, made 1x1 streams up to three times
 * slower.
 */
static achan__always_inline int
bounded_send_attempt(struct achan_chan *ch, const void *value, int settle)
{
	int r;

	for (;;) {
		r = settle ? push_settled(ch, value) :
		    achan__ring_push(&ch->ring, value);
		if (achan__likely(r == ACHAN_OK)) {
			wake_receiver_if_waiting(ch);
			return ACHAN_OK;
		}
		if (r != ACHAN__RING_WAITING)
			return r == ACHAN__RING_INFLIGHT ? ACHAN_FULL : r;
		if (!settle)
			return ACHAN_FULL;
		r = achan__ring_owed_room(&ch->ring);
		if (r == 0)
			return ACHAN_FULL;	/* senders wait, ring full */
		if (r > 0 && !hand_over_owed_room(ch))
			return ACHAN_FULL;	/* only selects being polled */
		/* r < 0: nobody waits any more (or closed): look again */
	}
}

static inline int
bounded_try_send(struct achan_chan *ch, const void *value)
{
	return bounded_send_attempt(ch, value, 1);
}

/*
 * Modelled in model/chan_send_wakeup.pml (proctype sender).  A sender that
 * found the ring full queues itself (which sets the wait bit), issues F2,
 * and serves the queue - itself included - while there is room, waiting
 * out with the lock dropped a slot that a receive is still vacating (see
 * serve_senders_locked for why that closes the store-buffering window).
 * A re-poll of a queued sender does the same.
 */
static inline int
bounded_send_poll(struct achan_chan_send_future *f,
		const struct achan_waker *waker)
{
	struct achan_chan *ch = f->_ch;
	struct achan__waiter *w = &f->_w;
	uint32_t s;
	int r;

	while (w->_phase == ACHAN__PHASE_REGISTERED) {
		ACHAN__FAULT(ACHAN__FP_CHAN_SEND_REPOLL, w);
		s = achan__waiter_settle(w);
		if (s == ACHAN__W_DONE)
			return achan__future_finish(w, &ch->obj, ACHAN_OK);
		if (s == ACHAN__W_CLOSED)
			return achan__future_finish(w, &ch->obj, ACHAN_CLOSED);
		if (s != ACHAN__W_QUEUED)
			break;	/* a hint: try again from scratch */
		sync_lock(&ch->sendq.lock);
		/* relaxed: claims happen under the lock we hold */
		if (sync_load(&w->_state, RELAXED) != ACHAN__W_QUEUED) {
			sync_unlock(&ch->sendq.lock);
			continue;	/* claimed meanwhile */
		}
		w->_waker = *waker;	/* keep our place, new waker */
		goto serve;
	}

	r = bounded_send_attempt(ch, f->_value, 0);
	if (r != ACHAN_FULL)
		return achan__future_finish(w, &ch->obj, r);

	ACHAN__FAULT(ACHAN__FP_CHAN_SEND_REGISTER, w);
	sync_lock(&ch->sendq.lock);
	if (achan__ring_is_closed(&ch->ring)) {
		sync_unlock(&ch->sendq.lock);
		return achan__future_finish(w, &ch->obj, ACHAN_CLOSED);
	}
	w->_waker = *waker;
	achan__waitq_push(&ch->sendq, w);	/* sets the wait bit */
	achan__future_registered(w, &ch->obj);
	/* F2 (seq_cst fence): orders our nwaiting store before the serve's
	 * loads (A1, A4); pairs with S2/D2 of a receiver freeing a slot. */
	sync_fence_sc();
	ACHAN__FAULT(ACHAN__FP_CHAN_SEND_REGISTERED, w);
serve:
	if (serve_as_sender(ch, w, &s))
		return achan__future_finish(w, &ch->obj, ACHAN_OK);
	if (s != ACHAN__W_QUEUED)	/* served or closed while unlocked */
		return bounded_send_poll(f, waker);
	ACHAN__FAULT(ACHAN__FP_CHAN_SEND_PENDING, w);
	return ACHAN_PENDING;
}

/* --- bounded: receive -------------------------------------------------------- */

/*
 * After a take found the ring empty with senders waiting (r ==
 * ACHAN__RING_EMPTY_OWED, decided from the one tail word the take read):
 * the room a receive freed is owed to them and their values count as
 * buffered - hand the room over, then take again.  Deciding from a second
 * look instead would answer EMPTY over a value served in between
 * (model/chan_send_wakeup.pml, twin RECV_OWED_LOOK).  Anything else: r.
 */
static inline int
take_owed(struct achan_chan *ch, void *out, int r)
{
	while (achan__unlikely(r == ACHAN__RING_EMPTY_OWED)) {
		if (!hand_over_owed_room(ch))
			return ACHAN_EMPTY;	/* only selects being polled */
		r = pop_settled(ch, out);
	}
	return r;
}

/*
 * One receive attempt.  `settle`: the oldest slot claimed by a send still
 * copying its value in is waited out.  try_recv must: EMPTY there would not
 * be linearizable - that send has committed, and later sends may already
 * have returned (lin/ caught it: EMPTY after a try_send returned OK).  A
 * caller that will just try again passes 0 (see bounded_send_attempt).
 */
static achan__always_inline int
bounded_recv_attempt(struct achan_chan *ch, void *out, int settle)
{
	int r = settle ? pop_settled(ch, out) : achan__ring_pop(&ch->ring, out);

	if (r == ACHAN__RING_INFLIGHT)
		return ACHAN_EMPTY;
	r = take_owed(ch, out, r);
	if (achan__likely(r == ACHAN_OK))
		serve_senders_if_waiting(ch);
	return r;
}

static inline int
bounded_try_recv(struct achan_chan *ch, void *out)
{
	return bounded_recv_attempt(ch, out, 1);
}

/*
 * A receive future's look: as try_recv's, without the serve after a take
 * (the caller serves once it has left the queue).  Room owed to waiting
 * senders is handed over before the future may answer PENDING: PENDING
 * says there was nothing to take, and with senders waiting for room that
 * a receive freed, their values count as buffered (lin/ caught a receive
 * future answering PENDING there).
 */
static inline int
recv_look(struct achan_chan *ch, void *out)
{
	return take_owed(ch, out, pop_settled(ch, out));
}

/*
 * Leave the queue after a look that found a value (or CLOSED).  If a
 * sender woke us meanwhile, we used its wakeup and took a value: even.
 */
static inline int
recv_leave(struct achan_chan *ch, struct achan__waiter *w, int r)
{
	sync_lock(&ch->recvq.lock);
	/* relaxed: claims happen under the lock we hold */
	if (sync_load(&w->_state, RELAXED) == ACHAN__W_QUEUED)
		achan__waitq_remove(&ch->recvq, w);
	sync_unlock(&ch->recvq.lock);
	(void)achan__waiter_settle(w);
	if (r == ACHAN_OK)
		serve_senders_if_waiting(ch);
	return achan__future_finish(w, &ch->obj, r);
}

/*
 * Modelled in model/chan_recv_wakeup.pml (proctype receiver).  The looks
 * after registering happen with the lock dropped: waiting out a send in
 * flight (pop_settled) must not hold a queue lock (issue 14, C3).
 */
static inline int
bounded_recv_poll(struct achan_chan_recv_future *f,
		const struct achan_waker *waker)
{
	struct achan_chan *ch = f->_ch;
	struct achan__waiter *w = &f->_w;
	uint32_t s;
	int r;

	while (w->_phase == ACHAN__PHASE_REGISTERED) {
		ACHAN__FAULT(ACHAN__FP_CHAN_RECV_REPOLL, w);
		s = achan__waiter_settle(w);
		if (s != ACHAN__W_QUEUED)
			break;	/* woken (hint or close): try from scratch */
		r = recv_look(ch, f->_out);
		if (r != ACHAN_EMPTY)
			return recv_leave(ch, w, r);
		sync_lock(&ch->recvq.lock);
		/* relaxed: claims happen under the lock we hold */
		if (sync_load(&w->_state, RELAXED) != ACHAN__W_QUEUED) {
			sync_unlock(&ch->recvq.lock);
			continue;	/* woken meanwhile: look again */
		}
		w->_waker = *waker;	/* keep our place, new waker */
		sync_unlock(&ch->recvq.lock);
		return ACHAN_PENDING;
	}

	r = recv_look(ch, f->_out);
	if (r == ACHAN_OK)
		serve_senders_if_waiting(ch);
	if (r != ACHAN_EMPTY)
		return achan__future_finish(w, &ch->obj, r);

	ACHAN__FAULT(ACHAN__FP_CHAN_RECV_REGISTER, w);
	ACHAN__STALL(ACHAN__SP_CHAN_RECV_REGISTER, w);
	sync_lock(&ch->recvq.lock);
	w->_waker = *waker;
	achan__waitq_push(&ch->recvq, w);
	achan__future_registered(w, &ch->obj);
	/* F2 (seq_cst fence): orders our nwaiting store before the retry's
	 * loads (A2, A3); pairs with S1/D1 of a sender. */
	sync_fence_sc();
	ACHAN__FAULT(ACHAN__FP_CHAN_RECV_REGISTERED, w);
	sync_unlock(&ch->recvq.lock);
	r = recv_look(ch, f->_out);
	if (r != ACHAN_EMPTY)
		return recv_leave(ch, w, r);
	ACHAN__FAULT(ACHAN__FP_CHAN_RECV_PENDING, w);
	return ACHAN_PENDING;
}

/* --- bounded: batches (issue 16: the forms that never wait) ------------------ */

/*
 * After a batch push of k values (S1, R1 of each): wake up to k waiting
 * receivers, with one lock and one wake list; nothing when none waits.
 */
static inline void
wake_receivers_if_waiting(struct achan_chan *ch, uint64_t k)
{
	struct achan__wakelist l = ACHAN__WAKELIST_INIT;
	struct achan__waiter *w;

	/* D1 (seq_cst load): after S1; pairs with F2 in recv registration,
	 * as in wake_receiver_if_waiting */
	if (achan__likely(sync_load(&ch->recvq.nwaiting, SEQ_CST) == 0))
		return;
	sync_lock(&ch->recvq.lock);
	while (k-- > 0 && (w = achan__waitq_pop(&ch->recvq)) != NULL)
		achan__waiter_claim(&l, w, ACHAN__W_NOTIFIED);
	sync_unlock(&ch->recvq.lock);
	achan__wakelist_run(&l);
}

/*
 * As many as fit now: batches claimed with one CAS each; where the slot at
 * the tail is not free, the single try_send decides (it waits out a slot
 * being vacated, hands room owed to waiting senders over, answers FULL or
 * CLOSED) - so the batch answers exactly what that many try_sends would.
 */
static inline int
bounded_try_send_many(struct achan_chan *ch, const unsigned char *values,
		uint64_t n, uint64_t *sent)
{
	size_t es = ch->ring.elem_size;
	uint64_t done = 0, k;
	int r = ACHAN_OK;

	while (done < n) {
		if (achan__likely(achan__ring_push_many(&ch->ring,
		    achan__ring_elem(values, done, es), n - done, 1, &k) ==
		    ACHAN_OK)) {
			done += k;
			wake_receivers_if_waiting(ch, k);
			continue;
		}
		r = bounded_send_attempt(ch, achan__ring_elem(values, done, es),
		    1);
		if (r != ACHAN_OK)
			break;
		done++;
	}
	*sent = done;
	return done > 0 ? ACHAN_OK : r;
}

/* All n in one claim, or none (FULL); n <= capacity. */
static inline int
bounded_try_send_all(struct achan_chan *ch, const unsigned char *values,
		uint64_t n)
{
	unsigned spins = 0;
	uint64_t k;
	int r;

	for (;;) {
		r = achan__ring_push_many(&ch->ring, values, n, n, &k);
		if (achan__likely(r == ACHAN_OK)) {
			wake_receivers_if_waiting(ch, k);
			return ACHAN_OK;
		}
		if (r == ACHAN__RING_INFLIGHT) {
			/* room being vacated by receives that have taken
			 * their values: it counts as room (as for try_send) */
			achan__inflight_pause(&spins);
			continue;
		}
		if (r != ACHAN__RING_WAITING)
			return r;	/* FULL or CLOSED */
		/* older senders wait: room a receive freed is theirs first */
		r = achan__ring_owed_room(&ch->ring);
		if (r == 0 || (r > 0 && !hand_over_owed_room(ch)))
			return ACHAN_FULL;
	}
}

/*
 * Up to max: batches claimed with one CAS each, while values are there.
 * Where nothing is published at the head, the single try_recv decides
 * for the first value (waits out a send in flight, takes room owed to
 * waiting senders, answers EMPTY or CLOSED); after that, a slot not ready
 * ends the batch - a shorter batch is still those receives in order.
 * Waiting senders are served once, after the takes (D2 after every S2).
 */
static inline int
bounded_try_recv_many(struct achan_chan *ch, unsigned char *out, uint64_t max,
		uint64_t *got)
{
	size_t es = ch->ring.elem_size;
	uint64_t done = 0, k;
	int r = ACHAN_OK;

	while (done < max) {
		if (achan__likely(achan__ring_take_many(&ch->ring,
		    achan__ring_elem(out, done, es), max - done, &k) ==
		    ACHAN_OK)) {
			done += k;
			continue;
		}
		if (done > 0)
			break;
		r = bounded_recv_attempt(ch, achan__ring_elem(out, 0, es), 1);
		if (r != ACHAN_OK)
			break;
		done = 1;
	}
	if (done > 0)
		serve_senders_if_waiting(ch);
	*got = done;
	return done > 0 ? ACHAN_OK : r;
}

/* --- unbuffered: one lock, direct handoff ----------------------------------- */

/*
 * Under the channel's lock: the oldest waiter of q that we may meet - a plain future, or a select case whose claim we won -
 * dropping select cases that lost on the way; NULL if there is none.
 * Cases whose owner is polling stay queued (select_claim.h).  So the two
 * queues can both hold waiters: select cases passed over that way, and a
 * select's own send and receive cases, which never meet each other.
 * `me`: the meeting future, which registers if it finds no partner (NULL
 * for a try form).  The owner of a case passed over is asked to look
 * again (MISSED) only then: a try form leaves nothing for it to find, and
 * a try loop marking every time would keep it looking for ever
 * (model/select_claim.pml, TRY_LOOP).
 */
static inline struct achan__waiter *
unbuffered_partner(struct achan__waitq *q, struct achan__waiter *me)
{
	struct achan__waiter *w, *next;
	struct achan_select_case *mc = me != NULL ?
	    achan__select_case_of(me) : NULL;

	for (w = achan__waitq_head(q); w != NULL; w = next) {
		next = w->_next;
		switch (achan__select_claim(w, 0, me != NULL,
		    mc != NULL ? mc->_sel : NULL)) {
		case ACHAN__CLAIM_WON:
			return w;	/* the caller unlinks and claims it */
		case ACHAN__CLAIM_LOST:
			achan__waitq_lose(q, w);
			break;
		default:
			break;
		}
	}
	return NULL;
}

static inline int
unbuffered_send_locked(struct achan_chan *ch, const void *value,
		struct achan__wakelist *l, struct achan__waiter *me)
{
	struct achan__waiter *r;

	if (achan__ring_is_closed(&ch->ring))
		return ACHAN_CLOSED;
	r = unbuffered_partner(&ch->recvq, me);
	if (r == NULL)
		return ACHAN_FULL;
	achan__waitq_unlink(&ch->recvq, r);
	achan__ring_copy(recv_out_filled(r), value, ch->ring.elem_size);
	achan__waiter_claim(l, r, ACHAN__W_DONE);
	return ACHAN_OK;
}

static inline int
unbuffered_recv_locked(struct achan_chan *ch, void *out,
		struct achan__wakelist *l, struct achan__waiter *me)
{
	struct achan__waiter *s;

	if (achan__ring_is_closed(&ch->ring))
		return ACHAN_CLOSED;
	s = unbuffered_partner(&ch->sendq, me);
	if (s == NULL)
		return ACHAN_EMPTY;
	achan__ring_copy(out, send_value(s), ch->ring.elem_size);
	if (send_many_advance(s, ch->ring.elem_size)) {
		achan__waitq_unlink(&ch->sendq, s);
		achan__waiter_claim(l, s, ACHAN__W_DONE);
	}	/* else a batch sender with more: it keeps its place */
	return ACHAN_OK;
}

static inline int
unbuffered_try_send(struct achan_chan *ch, const void *value)
{
	struct achan__wakelist l = ACHAN__WAKELIST_INIT;
	int r;

	/* relaxed peeks: FULL / CLOSED without the lock when nobody waits */
	if (achan__ring_is_closed(&ch->ring))
		return ACHAN_CLOSED;
	if (achan__waitq_nwaiting(&ch->recvq) == 0)
		return ACHAN_FULL;
	sync_lock(&ch->recvq.lock);
	r = unbuffered_send_locked(ch, value, &l, NULL);
	sync_unlock(&ch->recvq.lock);
	achan__wakelist_run(&l);
	return r;
}

static inline int
unbuffered_try_recv(struct achan_chan *ch, void *out)
{
	struct achan__wakelist l = ACHAN__WAKELIST_INIT;
	int r;

	if (achan__waitq_nwaiting(&ch->sendq) == 0)
		return achan__ring_is_closed(&ch->ring) ? ACHAN_CLOSED : ACHAN_EMPTY;
	sync_lock(&ch->recvq.lock);
	r = unbuffered_recv_locked(ch, out, &l, NULL);
	sync_unlock(&ch->recvq.lock);
	achan__wakelist_run(&l);
	return r;
}

/*
 * Re-poll of a registered unbuffered future.  Returns the final status, or
 * ACHAN_PENDING (still queued, waker replaced), or -1: woken by a hint,
 * start over.  Still queued, it looks for a partner in the other queue:
 * one that arrived while this future was a select case being polled by
 * its owner, and so passed it over (select_claim.h).
 */
static inline int
unbuffered_repoll(struct achan_chan *ch, struct achan__waiter *w,
		const struct achan_waker *waker, struct achan__waitq *own,
		int (*meet)(struct achan_chan *, void *, struct achan__wakelist *,
		    struct achan__waiter *),
		void *buf)
{
	struct achan__wakelist l = ACHAN__WAKELIST_INIT;
	uint32_t s;
	int r;

	for (;;) {
		s = achan__waiter_settle(w);
		if (s == ACHAN__W_DONE)
			return achan__future_finish(w, &ch->obj, ACHAN_OK);
		if (s == ACHAN__W_CLOSED)
			return achan__future_finish(w, &ch->obj, ACHAN_CLOSED);
		if (s != ACHAN__W_QUEUED)
			return -1;
		sync_lock(&ch->recvq.lock);
		/* relaxed: claims happen under the lock we hold */
		if (sync_load(&w->_state, RELAXED) == ACHAN__W_QUEUED) {
			r = meet(ch, buf, &l, w);
			if (r != ACHAN_FULL && r != ACHAN_EMPTY) {
				/* met, or closed: close fails the two queues
				 * in two steps (chan_close), and we may come
				 * between them - answer CLOSED as a first
				 * poll would (lin_chan caught PENDING here) */
				achan__waitq_remove(own, w);
				sync_unlock(&ch->recvq.lock);
				achan__wakelist_run(&l);
				return achan__future_finish(w, &ch->obj, r);
			}
			w->_waker = *waker;	/* keep our place */
			sync_unlock(&ch->recvq.lock);
			return ACHAN_PENDING;
		}
		sync_unlock(&ch->recvq.lock);
	}
}

static inline int
unbuffered_poll(struct achan_chan *ch, struct achan__waiter *w,
		const struct achan_waker *waker, struct achan__waitq *own,
		int (*meet)(struct achan_chan *, void *, struct achan__wakelist *,
		    struct achan__waiter *),
		void *buf)
{
	struct achan__wakelist l = ACHAN__WAKELIST_INIT;
	int r;

	if (w->_phase == ACHAN__PHASE_REGISTERED) {
		ACHAN__FAULT(ACHAN__FP_UNBUF_REPOLL, w);
		r = unbuffered_repoll(ch, w, waker, own, meet, buf);
		if (r != -1)
			return r;
	}
	ACHAN__FAULT(ACHAN__FP_UNBUF_MEET, w);
	sync_lock(&ch->recvq.lock);
	w->_waker = *waker;	/* before the meet: it says who meets */
	r = meet(ch, buf, &l, w);
	if (r == ACHAN_FULL || r == ACHAN_EMPTY) {
		achan__waitq_push(own, w);
		achan__future_registered(w, &ch->obj);
		ACHAN__FAULT(ACHAN__FP_UNBUF_REGISTERED, w);
		sync_unlock(&ch->recvq.lock);
		ACHAN__FAULT(ACHAN__FP_UNBUF_PENDING, w);
		return ACHAN_PENDING;
	}
	sync_unlock(&ch->recvq.lock);
	achan__wakelist_run(&l);
	return achan__future_finish(w, &ch->obj, r);
}

static inline int
meet_receiver(struct achan_chan *ch, void *value, struct achan__wakelist *l,
		struct achan__waiter *me)
{
	return unbuffered_send_locked(ch, value, l, me);
}

/* --- unbuffered: batches, one rendezvous per value -------------------------- */

static inline int
unbuffered_try_send_many(struct achan_chan *ch, const unsigned char *values,
		uint64_t n, uint64_t *sent)
{
	size_t es = ch->ring.elem_size;
	uint64_t done = 0;
	int r = ACHAN_OK;

	while (done < n &&
	    (r = unbuffered_try_send(ch, achan__ring_elem(values, done, es))) ==
	    ACHAN_OK)
		done++;
	*sent = done;
	return done > 0 ? ACHAN_OK : r;
}

/* All n or none: only if n plain receivers wait now (select cases, whose
 * claim may be lost, do not count), then one meet each, under one lock. */
static inline int
unbuffered_try_send_all(struct achan_chan *ch, const unsigned char *values,
		uint64_t n)
{
	struct achan__wakelist l = ACHAN__WAKELIST_INIT;
	struct achan__waiter *w;
	size_t es = ch->ring.elem_size;
	uint64_t plain = 0, i;
	int r = ACHAN_OK;

	if (n == 1)
		return unbuffered_try_send(ch, values);
	sync_lock(&ch->recvq.lock);
	if (achan__ring_is_closed(&ch->ring)) {
		r = ACHAN_CLOSED;
	} else {
		for (w = achan__waitq_head(&ch->recvq); w != NULL &&
		    plain < n; w = w->_next)
			plain += achan__select_case_of(w) == NULL;
		if (plain < n)
			r = ACHAN_FULL;
		for (i = 0; r == ACHAN_OK && i < n; i++)
			(void)unbuffered_send_locked(ch,
			    achan__ring_elem(values, i, es), &l, NULL);
	}
	sync_unlock(&ch->recvq.lock);
	achan__wakelist_run(&l);
	return r;
}

static inline int
unbuffered_try_recv_many(struct achan_chan *ch, unsigned char *out,
		uint64_t max, uint64_t *got)
{
	size_t es = ch->ring.elem_size;
	uint64_t done = 0;
	int r = ACHAN_OK;

	while (done < max &&
	    (r = unbuffered_try_recv(ch, achan__ring_elem(out, done, es))) ==
	    ACHAN_OK)
		done++;
	*got = done;
	return done > 0 ? ACHAN_OK : r;
}

static inline int
chan_try_send_many(struct achan_chan *ch, const void *values, uint64_t n,
		uint64_t *sent)
{
	return unbuffered(ch) ? unbuffered_try_send_many(ch, values, n, sent) :
	    bounded_try_send_many(ch, values, n, sent);
}

static inline int
chan_try_send_all(struct achan_chan *ch, const void *values, uint64_t n)
{
	if (unbuffered(ch))
		return unbuffered_try_send_all(ch, values, n);
	if (n > ch->ring.cap)
		return achan__ring_is_closed(&ch->ring) ? ACHAN_CLOSED :
		    ACHAN_FULL;
	return bounded_try_send_all(ch, values, n);
}

static inline int
chan_try_recv_many(struct achan_chan *ch, void *out, uint64_t max,
		uint64_t *got)
{
	return unbuffered(ch) ? unbuffered_try_recv_many(ch, out, max, got) :
	    bounded_try_recv_many(ch, out, max, got);
}

/* --- batches that wait: futures, and the blocking forms on them ------------ */

/*
 * A send-many future on a bounded channel, as bounded_send_poll: as many
 * as fit now, then it queues as one waiting sender, which the serve of the
 * queue fills value by value (send_many_advance) until its last value is
 * in - keeping its place, ahead of younger senders.
 */
static inline int
bounded_send_many_poll(struct achan_chan_send_many_future *f,
		const struct achan_waker *waker)
{
	struct achan_chan *ch = f->_ch;
	struct achan__waiter *w = &f->_w;
	size_t es = ch->ring.elem_size;
	uint64_t k;
	uint32_t s;
	int r = ACHAN_OK;

	while (w->_phase == ACHAN__PHASE_REGISTERED) {
		s = achan__waiter_settle(w);
		if (s == ACHAN__W_DONE)
			return achan__future_finish(w, &ch->obj, ACHAN_OK);
		if (s == ACHAN__W_CLOSED)
			return achan__future_finish(w, &ch->obj, ACHAN_CLOSED);
		if (s != ACHAN__W_QUEUED)
			break;	/* a hint: try again from scratch */
		sync_lock(&ch->sendq.lock);
		/* relaxed: claims happen under the lock we hold */
		if (sync_load(&w->_state, RELAXED) != ACHAN__W_QUEUED) {
			sync_unlock(&ch->sendq.lock);
			continue;
		}
		w->_waker = *waker;	/* keep our place, new waker */
		goto serve;
	}
	while (f->_sent < f->_n) {
		r = achan__ring_push_many(&ch->ring, f->_value,
		    f->_n - f->_sent, 1, &k);
		if (r != ACHAN_OK)
			break;
		f->_sent += k;
		if (f->_sent < f->_n)
			f->_value = achan__ring_elem(f->_values, f->_sent, es);
		wake_receivers_if_waiting(ch, k);
	}
	if (f->_sent == f->_n)
		return achan__future_finish(w, &ch->obj, ACHAN_OK);
	if (r == ACHAN_CLOSED)
		return achan__future_finish(w, &ch->obj, ACHAN_CLOSED);
	sync_lock(&ch->sendq.lock);
	if (achan__ring_is_closed(&ch->ring)) {
		sync_unlock(&ch->sendq.lock);
		return achan__future_finish(w, &ch->obj, ACHAN_CLOSED);
	}
	w->_waker = *waker;
	achan__waitq_push(&ch->sendq, w);	/* sets the wait bit */
	achan__future_registered(w, &ch->obj);
	/* F2 (seq_cst fence): as in bounded_send_poll - orders our nwaiting
	 * store before the serve's loads; pairs with S2/D2 of a receiver */
	sync_fence_sc();
serve:
	if (serve_as_sender(ch, w, &s))
		return achan__future_finish(w, &ch->obj, ACHAN_OK);
	if (s != ACHAN__W_QUEUED)	/* served or closed while unlocked */
		return bounded_send_many_poll(f, waker);
	return ACHAN_PENDING;
}

/*
 * A send-many future on an unbuffered channel: one rendezvous per value,
 * with the receivers waiting now; then it queues, and each receiver that
 * meets it takes its next value (unbuffered_recv_locked), the batch
 * keeping its place until its last value is taken.
 */
static inline int
unbuffered_send_many_poll(struct achan_chan_send_many_future *f,
		const struct achan_waker *waker)
{
	struct achan__wakelist l = ACHAN__WAKELIST_INIT;
	struct achan_chan *ch = f->_ch;
	struct achan__waiter *w = &f->_w;
	uint32_t s;
	int r = ACHAN_OK;

	while (w->_phase == ACHAN__PHASE_REGISTERED) {
		s = achan__waiter_settle(w);
		if (s == ACHAN__W_DONE)
			return achan__future_finish(w, &ch->obj, ACHAN_OK);
		if (s == ACHAN__W_CLOSED)
			return achan__future_finish(w, &ch->obj, ACHAN_CLOSED);
		if (s != ACHAN__W_QUEUED)
			break;
		sync_lock(&ch->recvq.lock);
		/* relaxed: claims happen under the lock we hold */
		if (sync_load(&w->_state, RELAXED) == ACHAN__W_QUEUED) {
			w->_waker = *waker;	/* receivers come to us */
			sync_unlock(&ch->recvq.lock);
			return ACHAN_PENDING;
		}
		sync_unlock(&ch->recvq.lock);
	}
	sync_lock(&ch->recvq.lock);
	w->_waker = *waker;
	while (f->_sent < f->_n &&
	    (r = unbuffered_send_locked(ch, f->_value, &l, w)) == ACHAN_OK)
		(void)send_many_advance(w, ch->ring.elem_size);
	if (f->_sent < f->_n && r != ACHAN_CLOSED) {
		achan__waitq_push(&ch->sendq, w);
		achan__future_registered(w, &ch->obj);
		sync_unlock(&ch->recvq.lock);
		achan__wakelist_run(&l);
		return ACHAN_PENDING;
	}
	sync_unlock(&ch->recvq.lock);
	achan__wakelist_run(&l);
	return achan__future_finish(w, &ch->obj,
	    f->_sent == f->_n ? ACHAN_OK : ACHAN_CLOSED);
}

static inline int
chan_send_many_poll(struct achan_chan_send_many_future *f,
		const struct achan_waker *waker)
{
	return unbuffered(f->_ch) ? unbuffered_send_many_poll(f, waker) :
	    bounded_send_many_poll(f, waker);
}

/* As chan_send_cancel: room owed to it first, then cancel. */
static inline int
chan_send_many_cancel(struct achan_chan_send_many_future *f)
{
	struct achan_chan *ch = f->_ch;
	struct achan__waiter *w = &f->_w;
	uint32_t s;

	if (!unbuffered(ch) && w->_phase == ACHAN__PHASE_REGISTERED &&
	    achan__ring_owed_room(&ch->ring) > 0) {
		sync_lock(&ch->sendq.lock);
		if (serve_as_sender(ch, w, &s))
			return achan__future_finish(w, &ch->obj, ACHAN_OK);
	}
	return achan__future_cancel(w, &ch->sendq, send_lock(ch), &ch->obj, 1);
}

/* How many values of a send-many future have gone in (under the lock
 * while it may be queued: servers advance it there). */
static inline size_t
send_many_progress(struct achan_chan_send_many_future *f)
{
	size_t n;

	sync_lock(send_lock(f->_ch));
	n = f->_sent;
	sync_unlock(send_lock(f->_ch));
	return n;
}

/*
 * A receive-many future.  Bounded: as a receive future (hints), taking
 * up to max once it finds one.  Unbuffered: what waiting senders offer,
 * one rendezvous each; then it queues, and a sender meeting it fills its
 * first slot (recv_out_filled).
 */
static inline int
recv_many_take_more(struct achan_chan *ch, struct achan_chan_recv_many_future *f)
{
	size_t es = ch->ring.elem_size;
	uint64_t k;

	while (f->_got < f->_max && achan__ring_take_many(&ch->ring,
	    achan__ring_elem(f->_outs, f->_got, es), f->_max - f->_got, &k) ==
	    ACHAN_OK)
		f->_got += k;
	return ACHAN_OK;
}

static inline int
bounded_recv_many_poll(struct achan_chan_recv_many_future *f,
		const struct achan_waker *waker)
{
	struct achan_chan *ch = f->_ch;
	struct achan__waiter *w = &f->_w;
	uint32_t s;
	int r;

	while (w->_phase == ACHAN__PHASE_REGISTERED) {
		s = achan__waiter_settle(w);
		if (s != ACHAN__W_QUEUED)
			break;	/* woken (hint or close): try from scratch */
		r = recv_look(ch, f->_outs);
		if (r != ACHAN_EMPTY)
			goto leave;
		sync_lock(&ch->recvq.lock);
		/* relaxed: claims happen under the lock we hold */
		if (sync_load(&w->_state, RELAXED) != ACHAN__W_QUEUED) {
			sync_unlock(&ch->recvq.lock);
			continue;
		}
		w->_waker = *waker;
		sync_unlock(&ch->recvq.lock);
		return ACHAN_PENDING;
	}
	r = recv_look(ch, f->_outs);
	if (r == ACHAN_OK) {
		f->_got = 1;
		recv_many_take_more(ch, f);
		serve_senders_if_waiting(ch);
	}
	if (r != ACHAN_EMPTY)
		return achan__future_finish(w, &ch->obj, r);
	sync_lock(&ch->recvq.lock);
	w->_waker = *waker;
	achan__waitq_push(&ch->recvq, w);
	achan__future_registered(w, &ch->obj);
	/* F2 (seq_cst fence): as in bounded_recv_poll; pairs with S1/D1 */
	sync_fence_sc();
	sync_unlock(&ch->recvq.lock);
	r = recv_look(ch, f->_outs);
	if (r == ACHAN_EMPTY)
		return ACHAN_PENDING;
leave:
	if (r == ACHAN_OK) {
		f->_got = 1;
		recv_many_take_more(ch, f);
	}
	return recv_leave(ch, w, r);
}

static inline int
unbuffered_recv_many_poll(struct achan_chan_recv_many_future *f,
		const struct achan_waker *waker)
{
	struct achan__wakelist l = ACHAN__WAKELIST_INIT;
	struct achan_chan *ch = f->_ch;
	struct achan__waiter *w = &f->_w;
	size_t es = ch->ring.elem_size;
	uint32_t s;
	int r = ACHAN_OK;

	while (w->_phase == ACHAN__PHASE_REGISTERED) {
		s = achan__waiter_settle(w);
		if (s == ACHAN__W_DONE)	/* a sender filled our first slot */
			return achan__future_finish(w, &ch->obj, ACHAN_OK);
		if (s == ACHAN__W_CLOSED)
			return achan__future_finish(w, &ch->obj, ACHAN_CLOSED);
		if (s != ACHAN__W_QUEUED)
			break;
		sync_lock(&ch->recvq.lock);
		/* relaxed: claims happen under the lock we hold */
		if (sync_load(&w->_state, RELAXED) == ACHAN__W_QUEUED) {
			w->_waker = *waker;	/* senders come to us */
			sync_unlock(&ch->recvq.lock);
			return ACHAN_PENDING;
		}
		sync_unlock(&ch->recvq.lock);
	}
	sync_lock(&ch->recvq.lock);
	w->_waker = *waker;
	while (f->_got < f->_max && (r = unbuffered_recv_locked(ch,
	    achan__ring_elem(f->_outs, f->_got, es), &l, w)) == ACHAN_OK)
		f->_got++;
	if (f->_got == 0 && r != ACHAN_CLOSED) {
		achan__waitq_push(&ch->recvq, w);
		achan__future_registered(w, &ch->obj);
		sync_unlock(&ch->recvq.lock);
		achan__wakelist_run(&l);
		return ACHAN_PENDING;
	}
	sync_unlock(&ch->recvq.lock);
	achan__wakelist_run(&l);
	return achan__future_finish(w, &ch->obj,
	    f->_got > 0 ? ACHAN_OK : ACHAN_CLOSED);
}

static inline int
chan_recv_many_poll(struct achan_chan_recv_many_future *f,
		const struct achan_waker *waker)
{
	return unbuffered(f->_ch) ? unbuffered_recv_many_poll(f, waker) :
	    bounded_recv_many_poll(f, waker);
}

static inline int
chan_recv_many_cancel(struct achan_chan_recv_many_future *f)
{
	return achan__future_cancel(&f->_w, &f->_ch->recvq,
	    recv_lock(f->_ch), &f->_ch->obj, 1);
}

/* --- close ----------------------------------------------------------------- */

static inline int
chan_close(struct achan_chan *ch)
{
	struct serve sv = SERVE_INIT;
	int newly;

	/* Claim both queues into one list before waking anyone: a woken
	 * owner may tear the channel down as soon as its own future is done,
	 * and a waker may cancel or poll any other future of the list (it is
	 * then taken out, never waited for: waitq.h).  Waiting senders first
	 * get the room receives have freed before the close (see
	 * hand_over_owed_room); C1 under the same lock, so no room can be
	 * freed for them in between. */
	sync_lock(send_lock(ch));
	if (!unbuffered(ch))
		serve_senders_locked(ch, &sv, NULL, 1);
	newly = achan__ring_close(&ch->ring);
	achan__waitq_claim_all(&ch->sendq, &sv.l, ACHAN__W_CLOSED);
	sync_unlock(send_lock(ch));
	ACHAN__FAULT(ACHAN__FP_CHAN_CLOSE, &ch->obj);
	sync_lock(recv_lock(ch));
	achan__waitq_claim_all(&ch->recvq, &sv.l, ACHAN__W_CLOSED);
	sync_unlock(recv_lock(ch));
	/* every receiver is in the list: it re-polls, drains what was served,
	 * then gets CLOSED; no receiver wakeup per value is owed */
	sv.moved = 0;
	serve_finish(ch, &sv);
	return newly ? ACHAN_NEWLY_CLOSED : ACHAN_ALREADY_CLOSED;
}

/* --- the operations, after argument checks -------------------------------- */

static inline int
chan_try_send(struct achan_chan *ch, const void *value)
{
	return unbuffered(ch) ? unbuffered_try_send(ch, value) :
	    bounded_try_send(ch, value);
}

static inline int
chan_try_recv(struct achan_chan *ch, void *out)
{
	return unbuffered(ch) ? unbuffered_try_recv(ch, out) :
	    bounded_try_recv(ch, out);
}

static inline int
chan_send_poll(struct achan_chan_send_future *f, const struct achan_waker *waker)
{
	if (unbuffered(f->_ch))
		return unbuffered_poll(f->_ch, &f->_w, waker, &f->_ch->sendq,
		    meet_receiver, (void *)(uintptr_t)f->_value);
	return bounded_send_poll(f, waker);
}

static inline int
chan_recv_poll(struct achan_chan_recv_future *f, const struct achan_waker *waker)
{
	if (unbuffered(f->_ch))
		return unbuffered_poll(f->_ch, &f->_w, waker, &f->_ch->recvq,
		    unbuffered_recv_locked, f->_out);
	return bounded_recv_poll(f, waker);
}

/*
 * Cancel a send future.  A bounded channel's waiting sender may be owed
 * room that a receive has freed but not handed over yet: it was served at
 * that receive, so its cancel must answer OK, and the room must not go to
 * a younger sender (lin/ caught a cancel answering CANCELLED there).  So
 * the owed room is handed over first - this sender taking its own share
 * without a wake - and only then is the future cancelled as any other.
 */
static inline int
chan_send_cancel(struct achan_chan_send_future *f)
{
	struct achan_chan *ch = f->_ch;
	struct achan__waiter *w = &f->_w;
	uint32_t s;

	if (!unbuffered(ch) && w->_phase == ACHAN__PHASE_REGISTERED &&
	    achan__ring_owed_room(&ch->ring) > 0) {
		sync_lock(&ch->sendq.lock);
		if (serve_as_sender(ch, w, &s))
			return achan__future_finish(w, &ch->obj, ACHAN_OK);
	}
	return achan__future_cancel(w, &ch->sendq, send_lock(ch), &ch->obj, 1);
}

static inline int
chan_recv_cancel(struct achan_chan_recv_future *f)
{
	return achan__future_cancel(&f->_w, &f->_ch->recvq,
	    recv_lock(f->_ch), &f->_ch->obj, 1);
}

static inline size_t
chan_len(const struct achan_chan *ch)
{
	return unbuffered(ch) ? 0 : achan__ring_len(&ch->ring);
}

static inline int
chan_is_closed(const struct achan_chan *ch)
{
	return achan__ring_is_closed(&ch->ring);
}

static void
discard_value(void *value, void *arg)
{
	struct achan_chan *ch = arg;

	if (ch->dtor != NULL)
		ch->dtor(value, ch->dtor_arg);
}

/*
 * Close and destroy everything buffered (the last receiver handle is gone:
 * nobody can receive it any more).  Receive futures still registered compete
 * for the values like any receiver; each value is taken exactly once.
 */
static inline void
chan_close_discard(struct achan_chan *ch)
{
	unsigned spins = 0;
	int r;

	(void)chan_close(ch);
	ACHAN__FAULT(ACHAN__FP_CHAN_DISCARD, &ch->obj);
	if (unbuffered(ch))
		return;
	while ((r = achan__ring_take(&ch->ring, NULL, discard_value, ch)) !=
	    ACHAN_CLOSED) {
		/* in flight: a send that beat the close is filling the oldest
		 * slot; empty: the last receive is still vacating it */
		if (r != ACHAN_OK)
			achan__inflight_pause(&spins);
	}
}

#if SYNC_THREADS
/* Blocking calls: a few retries, then the same future every async user has,
 * polled by this thread with a waker that unparks it. */

static inline int
send_poll_fn(void *f, const struct achan_waker *waker)
{
	return chan_send_poll(f, waker);
}

static inline int
send_cancel_fn(void *f)
{
	return chan_send_cancel(f);
}

static inline int
recv_poll_fn(void *f, const struct achan_waker *waker)
{
	return chan_recv_poll(f, waker);
}

static inline int
recv_cancel_fn(void *f)
{
	return chan_recv_cancel(f);
}

/*
 * How much room a blocking sender that found the ring full waits for before
 * it tries again: half the ring, at most 32 slots (eight cache lines of
 * 8-byte values), so that a receiver draining at full speed frees it well
 * within the snooze window.  Measured on 16 cores against retrying on every
 * freed slot (bounded 1x1 37-38 instead of 16.6 Mmsg/s) with 16, 32 and 64;
 * 32 was best overall (bench/peers.sh notes in README).
 */
static inline uint64_t
send_burst(const struct achan_chan *ch)
{
	uint64_t half = ch->ring.cap / 2;

	return half < 1 ? 1 : half > 32 ? 32 : half;
}

static achan__always_inline int
chan_send_wait(struct achan_chan *ch, const void *value,
		const struct timespec *deadline)
{
	struct achan__snooze b = ACHAN__SNOOZE_INIT;
	struct achan_chan_send_future f;
	int r;

	/* Unbuffered: a try can only meet a registered partner, so snoozing
	 * on both sides would just wait for each other; register at once. */
	if (!unbuffered(ch)) {
		for (;;) {
			r = bounded_send_attempt(ch, value, 0);
			if (achan__likely(r != ACHAN_FULL))
				return r;
			/* Full: wait for room for a burst, not for one slot.
			 * Retrying on every freed slot keeps the senders
			 * writing the cache line the receiver reads next, one
			 * message at a time; a burst a few lines away lets
			 * each side work on lines of its own. */
			do {
				if (!achan__snooze(&b))
					goto block;
			} while (!achan__ring_room_hint(&ch->ring,
			    send_burst(ch)));
		}
	}
block:
	achan__future_init(&f._w, SIDE_SEND);
	f._ch = ch;
	f._value = value;
	return achan__block_on(&f, send_poll_fn, send_cancel_fn, deadline);
}

static achan__always_inline int
chan_recv_wait(struct achan_chan *ch, void *out, const struct timespec *deadline)
{
	struct achan__snooze b = ACHAN__SNOOZE_INIT;
	struct achan_chan_recv_future f;
	int r;

	if (!unbuffered(ch)) {
		do {
			r = bounded_recv_attempt(ch, out, 0);
			if (achan__likely(r != ACHAN_EMPTY))
				return r;
		} while (achan__snooze(&b));
	}
	achan__future_init(&f._w, SIDE_RECV);
	f._ch = ch;
	f._out = out;
	return achan__block_on(&f, recv_poll_fn, recv_cancel_fn, deadline);
}

static inline int
send_many_poll_fn(void *f, const struct achan_waker *waker)
{
	return chan_send_many_poll(f, waker);
}

static inline int
send_many_cancel_fn(void *f)
{
	return chan_send_many_cancel(f);
}

static inline int
recv_many_poll_fn(void *f, const struct achan_waker *waker)
{
	return chan_recv_many_poll(f, waker);
}

static inline int
recv_many_cancel_fn(void *f)
{
	return chan_recv_many_cancel(f);
}

/* Blocking batches: batches claimed while room (values) come within the
 * snooze window, then the batch future, as chan_send_wait does. */
static inline int
chan_send_many_wait(struct achan_chan *ch, const unsigned char *values,
		uint64_t n, const struct timespec *deadline, uint64_t *sent)
{
	struct achan__snooze b = ACHAN__SNOOZE_INIT;
	struct achan_chan_send_many_future f;
	size_t es = ch->ring.elem_size;
	uint64_t done = 0, k;
	int r = ACHAN_OK;

	while (!unbuffered(ch)) {
		while (done < n && (r = achan__ring_push_many(&ch->ring,
		    achan__ring_elem(values, done, es), n - done, 1, &k)) ==
		    ACHAN_OK) {
			done += k;
			wake_receivers_if_waiting(ch, k);
		}
		if (done == n || r == ACHAN_CLOSED) {
			*sent = done;
			return done == n ? ACHAN_OK : ACHAN_CLOSED;
		}
		/* full: wait for room for a burst, as chan_send_wait does */
		do {
			if (!achan__snooze(&b))
				goto block;
		} while (!achan__ring_room_hint(&ch->ring, n - done <
		    send_burst(ch) ? n - done : send_burst(ch)));
	}
block:
	achan__future_init(&f._w, SIDE_SEND_MANY);
	f._ch = ch;
	f._values = achan__ring_elem(values, done, es);
	f._value = f._values;
	f._n = n - done;
	f._sent = 0;
	r = achan__block_on(&f, send_many_poll_fn, send_many_cancel_fn,
	    deadline);
	*sent = done + f._sent;
	return r;
}

static inline int
chan_recv_many_wait(struct achan_chan *ch, unsigned char *out, uint64_t max,
		const struct timespec *deadline, uint64_t *got)
{
	struct achan__snooze b = ACHAN__SNOOZE_INIT;
	struct achan_chan_recv_many_future f;
	int r;

	if (!unbuffered(ch)) {
		do {
			/* not settled: waiting right behind a producer that is
			 * filling the next slot slows it (bounded_send_attempt) */
			r = achan__ring_take_many(&ch->ring, out, max, got);
			if (achan__likely(r == ACHAN_OK)) {
				serve_senders_if_waiting(ch);
				return ACHAN_OK;
			}
			if (r == ACHAN_CLOSED)
				return r;
			if (r == ACHAN__RING_EMPTY_OWED) {
				r = bounded_try_recv_many(ch, out, max, got);
				if (r != ACHAN_EMPTY)
					return r;
			}
		} while (achan__snooze(&b));
	}
	achan__future_init(&f._w, SIDE_RECV_MANY);
	f._ch = ch;
	f._outs = f._out = out;
	f._max = max;
	f._got = 0;
	r = achan__block_on(&f, recv_many_poll_fn, recv_many_cancel_fn,
	    deadline);
	*got = r == ACHAN_OK ? f._got : 0;
	return r;
}

#else /* !SYNC_THREADS */

static inline int
chan_send_many_wait(struct achan_chan *ch, const unsigned char *values,
		uint64_t n, const struct timespec *deadline, uint64_t *sent)
{
	int r = chan_try_send_many(ch, values, n, sent);

	(void)deadline;
	if (r == ACHAN_OK && *sent < n)
		return ACHAN_EDEADLK;	/* the rest could never go in */
	return r == ACHAN_FULL ? ACHAN_EDEADLK : r;
}

static inline int
chan_recv_many_wait(struct achan_chan *ch, unsigned char *out, uint64_t max,
		const struct timespec *deadline, uint64_t *got)
{
	int r = chan_try_recv_many(ch, out, max, got);

	(void)deadline;
	return r == ACHAN_EMPTY ? ACHAN_EDEADLK : r;
}

/* One thread owns the channel: if the operation cannot complete now, no
 * other thread can ever make it possible.  Say so instead of hanging. */

static inline int
chan_send_wait(struct achan_chan *ch, const void *value,
		const struct timespec *deadline)
{
	int r = chan_try_send(ch, value);

	(void)deadline;
	return r == ACHAN_FULL ? ACHAN_EDEADLK : r;
}

static inline int
chan_recv_wait(struct achan_chan *ch, void *out, const struct timespec *deadline)
{
	int r = chan_try_recv(ch, out);

	(void)deadline;
	return r == ACHAN_EMPTY ? ACHAN_EDEADLK : r;
}
#endif /* SYNC_THREADS */

#endif /* ACHAN_LIB_CHAN_IMPL_H */
