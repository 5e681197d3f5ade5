/*
 * waitq.h - internal only: the FIFO waiter queue and the future state machine
 * that every channel kind shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A waiter (struct achan__waiter, embedded in every future) moves through
 *
 *   IDLE --register--> QUEUED --claim--> outcome|BUSY --wake ran--> outcome
 *
 * where the outcome is NOTIFIED (a hint: try again), DONE (the other side
 * completed the operation on the future's behalf) or CLOSED.  Linking,
 * unlinking and claiming happen under the queue's lock; the waker is called
 * after the lock is dropped, and only then is BUSY cleared (release).  The
 * owner never returns from poll or cancel while BUSY is set - the wake/
 * teardown handshake of liburcu's urcu-wait - so it may free the future and
 * the waker's argument as soon as we return.
 *
 * `nwaiting` mirrors the queue length.  It is written under the lock and read
 * without it by the opposite side's fast path, which pairs it with a full
 * fence (the Dekker argument in chan.c).
 */
#ifndef ACHAN_LIB_WAITQ_H
#define ACHAN_LIB_WAITQ_H

#include <stdint.h>

#include <achan/common.h>

#include "lock.h"

enum {
	ACHAN__W_IDLE = 0,
	ACHAN__W_QUEUED = 1,
	ACHAN__W_NOTIFIED = 2,
	ACHAN__W_DONE = 3,
	ACHAN__W_CLOSED = 4,
	ACHAN__W_BUSY = 0x100
};

enum {
	ACHAN__PHASE_FRESH = 0,
	ACHAN__PHASE_REGISTERED = 1,
	ACHAN__PHASE_FINISHED = 2
};

struct achan__waitq {
	struct achan__lock lock;
	uint32_t nwaiting;
	struct achan__waiter *head;
	struct achan__waiter *tail;
};

/* Waiters claimed under a lock, woken (in order) after it is dropped. */
struct achan__wakelist {
	struct achan__waiter *first;
	struct achan__waiter *last;
};

#define ACHAN__WAKELIST_INIT { NULL, NULL }

void achan__waitq_init(struct achan__waitq *q);

/* Queue edits; the caller holds the lock that guards q. */
void achan__waitq_push(struct achan__waitq *q, struct achan__waiter *w);
void achan__waitq_remove(struct achan__waitq *q, struct achan__waiter *w);
struct achan__waiter *achan__waitq_pop(struct achan__waitq *q);

/* Unlink nothing; mark an unlinked w as claimed with `outcome` and append it. */
void achan__waiter_claim(struct achan__wakelist *l, struct achan__waiter *w,
		uint32_t outcome);
/* Pop and claim every waiter of q, oldest first. */
void achan__waitq_claim_all(struct achan__waitq *q, struct achan__wakelist *l,
		uint32_t outcome);
/* Call the wakers and end the handshake; no lock may be held. */
void achan__wakelist_run(struct achan__wakelist *l);

/* Lock, pop and claim the oldest waiter of q, unlock, wake it.  1 if any. */
int achan__waitq_wake_one(struct achan__waitq *q, struct achan__lock *lock,
		uint32_t outcome);

/* Owner side: wait out a wake in progress; returns the settled state. */
uint32_t achan__waiter_settle(struct achan__waiter *w);

static inline uint32_t
achan__waitq_nwaiting(const struct achan__waitq *q)
{
	/* D-load (relaxed): the caller's fence orders it; see chan.c. */
	return __atomic_load_n(&q->nwaiting, __ATOMIC_RELAXED);
}

static inline struct achan__waiter *
achan__waitq_head(const struct achan__waitq *q)
{
	return q->head;
}

/* --- future bookkeeping (owner side) --- */

void achan__future_init(struct achan__waiter *w, uint32_t side);

/* Count a future the first time it registers (destroy answers EBUSY). */
static inline void
achan__future_registered(struct achan__waiter *w, uint64_t *nfutures)
{
	if (w->_phase == ACHAN__PHASE_FRESH) {
		w->_phase = ACHAN__PHASE_REGISTERED;
		/* relaxed: a count, read only at fini after every call returned */
		__atomic_fetch_add(nfutures, 1, __ATOMIC_RELAXED);
	}
}

static inline int
achan__future_finish(struct achan__waiter *w, uint64_t *nfutures, int result)
{
	if (w->_phase == ACHAN__PHASE_REGISTERED)
		/* release: pairs with the acquire load in fini */
		__atomic_fetch_sub(nfutures, 1, __ATOMIC_RELEASE);
	w->_phase = ACHAN__PHASE_FINISHED;
	w->_result = result;
	__atomic_store_n(&w->_state, ACHAN__W_IDLE, __ATOMIC_RELAXED);
	return result;
}

/*
 * Cancel (the part every kind shares).  If w is still queued it is unlinked;
 * if it was claimed, the wake is waited out.  A NOTIFIED waiter hands its
 * wakeup to the oldest remaining waiter of q when hand_on is set.  Returns
 * ACHAN_OK if the other side had completed the operation (DONE), else
 * ACHAN_CANCELLED; a finished future answers as it finished.
 */
int achan__future_cancel(struct achan__waiter *w, struct achan__waitq *q,
		struct achan__lock *lock, uint64_t *nfutures, int hand_on);

#endif /* ACHAN_LIB_WAITQ_H */
