/*
 * waitq.c - the waiter queue and the wake/teardown handshake (see waitq.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <sched.h>
#include <stddef.h>

#include "compiler.h"
#include "parker.h"
#include "waitq.h"

void
achan__waitq_init(struct achan__waitq *q)
{
	q->lock.word = 0;
	q->nwaiting = 0;
	q->head = q->tail = NULL;
}

static void
set_nwaiting(struct achan__waitq *q, uint32_t n)
{
	/* D-store (relaxed): the registering caller follows it with a full
	 * fence before re-checking the channel (Dekker, see chan.c). */
	__atomic_store_n(&q->nwaiting, n, __ATOMIC_RELAXED);
}

void
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
	__atomic_store_n(&w->_state, ACHAN__W_QUEUED, __ATOMIC_RELAXED);
	set_nwaiting(q, q->nwaiting + 1);
}

void
achan__waitq_remove(struct achan__waitq *q, struct achan__waiter *w)
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
	__atomic_store_n(&w->_state, ACHAN__W_IDLE, __ATOMIC_RELAXED);
	set_nwaiting(q, q->nwaiting - 1);
}

struct achan__waiter *
achan__waitq_pop(struct achan__waitq *q)
{
	struct achan__waiter *w = q->head;

	if (w != NULL)
		achan__waitq_remove(q, w);
	return w;
}

void
achan__waiter_claim(struct achan__wakelist *l, struct achan__waiter *w,
		uint32_t outcome)
{
	/* W1 (release): the owner may see BUSY without taking the lock; it
	 * then waits for W2, so nothing rides on this edge but tidiness. */
	__atomic_store_n(&w->_state, outcome | ACHAN__W_BUSY, __ATOMIC_RELEASE);
	w->_next = NULL;
	if (l->last != NULL)
		l->last->_next = w;
	else
		l->first = w;
	l->last = w;
}

void
achan__waitq_claim_all(struct achan__waitq *q, struct achan__wakelist *l,
		uint32_t outcome)
{
	struct achan__waiter *w;

	while ((w = achan__waitq_pop(q)) != NULL)
		achan__waiter_claim(l, w, outcome);
}

void
achan__wakelist_run(struct achan__wakelist *l)
{
	struct achan__waiter *w = l->first, *next;
	struct achan_waker waker;
	uint32_t outcome;

	while (w != NULL) {
		/* The owner cannot touch w while BUSY is set: read what we
		 * need, wake, then end the handshake as the very last access. */
		next = w->_next;
		waker = w->_waker;
		outcome = __atomic_load_n(&w->_state, __ATOMIC_RELAXED) &
		    ~(uint32_t)ACHAN__W_BUSY;
		if (waker.wake == achan__parker_wake) {
			/* A thread blocked in achan: end the handshake before
			 * the futex syscall (see achan__parker_kick). */
			int sleeping = achan__parker_notify(waker.arg);

			/* W2 (release): as below. */
			__atomic_store_n(&w->_state, outcome, __ATOMIC_RELEASE);
			if (sleeping)
				achan__parker_kick(waker.arg);
		} else {
			waker.wake(waker.arg);
			/* W2 (release): ends the handshake; publishes the
			 * outcome and anything the waking side wrote into the
			 * future (a received value, a DONE).  Pairs with W3 in
			 * achan__waiter_settle. */
			__atomic_store_n(&w->_state, outcome, __ATOMIC_RELEASE);
		}
		w = next;
	}
	l->first = l->last = NULL;
}

int
achan__waitq_wake_one(struct achan__waitq *q, struct achan__lock *lock,
		uint32_t outcome)
{
	struct achan__wakelist l = ACHAN__WAKELIST_INIT;
	struct achan__waiter *w;

	achan__lock_acquire(lock);
	w = achan__waitq_pop(q);
	if (w != NULL)
		achan__waiter_claim(&l, w, outcome);
	achan__lock_release(lock);
	achan__wakelist_run(&l);
	return w != NULL;
}

uint32_t
achan__waiter_settle(struct achan__waiter *w)
{
	uint32_t s;
	unsigned spins = 0;

	/* W3 (acquire): pairs with W2 (and with the lock for QUEUED). */
	while ((s = __atomic_load_n(&w->_state, __ATOMIC_ACQUIRE)) &
	    ACHAN__W_BUSY) {
		/* The waker is running on another thread; it never blocks,
		 * but its thread may be preempted: yield after a while. */
		if (++spins < 64)
			achan__cpu_relax();
		else
			sched_yield();
	}
	return s;
}

void
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

int
achan__future_cancel(struct achan__waiter *w, struct achan__waitq *q,
		struct achan__lock *lock, uint64_t *nfutures, int hand_on)
{
	uint32_t s;

	if (w->_phase == ACHAN__PHASE_FINISHED)
		return w->_result == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED;
	if (w->_phase == ACHAN__PHASE_FRESH)
		return achan__future_finish(w, nfutures, ACHAN_CANCELLED);

	achan__lock_acquire(lock);
	s = __atomic_load_n(&w->_state, __ATOMIC_RELAXED);
	if (s == ACHAN__W_QUEUED) {
		achan__waitq_remove(q, w);
		achan__lock_release(lock);
		achan__future_finish(w, nfutures, ACHAN_CANCELLED);
		return ACHAN_CANCELLED;
	}
	achan__lock_release(lock);

	s = achan__waiter_settle(w);
	if (s == ACHAN__W_DONE) {
		achan__future_finish(w, nfutures, ACHAN_OK);
		return ACHAN_OK;
	}
	/* Woken but never acted on: pass the wakeup on so that abandoning
	 * this future cannot strand the next one (SEMANTICS.md). */
	if (s == ACHAN__W_NOTIFIED && hand_on)
		(void)achan__waitq_wake_one(q, lock, ACHAN__W_NOTIFIED);
	achan__future_finish(w, nfutures, ACHAN_CANCELLED);
	return ACHAN_CANCELLED;
}
