/*
 * waitq.h - internal only: the FIFO waiter queue and the future state machine
 * that every channel kind shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A waiter (struct achan__waiter, embedded in every future) moves through
 *
 *   IDLE --register--> QUEUED --claim--> outcome|CLAIMED --its turn--> outcome|BUSY
 *                                          |                              |
 *                                          +--owner takes it--+      wake ran
 *                                                             v           v
 *                                                          outcome     outcome
 *
 * where the outcome is NOTIFIED (a hint: try again), DONE (the other side
 * completed the operation on the future's behalf) or CLOSED; a select case
 * whose select completed elsewhere may also be dropped from its queue as
 * LOST, without a wake (select_claim.h).  Linking,
 * unlinking and claiming happen under the queue's lock, into a wake list
 * that the claiming thread runs after the lock is dropped: one waker after
 * the other, each bracketed by BUSY, which is cleared (release) only after
 * the waker returned.  The owner never returns from poll or cancel while
 * BUSY is set - the wake/teardown handshake of liburcu's urcu-wait - so it
 * may free the future and the waker's argument as soon as we return.
 *
 * A node still waiting for its turn in a wake list (CLAIMED) is not waited
 * for: its owner takes it out of the list (TAKING, then unlinked under the
 * list's own lock) and keeps the outcome; the list never calls its waker.
 * Without that, a waker that polls or cancels a sibling future further down
 * its own list would wait for itself, and two threads running two lists
 * could wait for each other (issue 14, C1).  The first node of a list is
 * marked BUSY at once: nothing runs before its wake, so there is nothing to
 * take it out of, and a one-node list (the common wake) needs no list lock.
 *
 * `nwaiting` mirrors the queue length.  It is written under the lock and read
 * without it by the opposite side's fast path (the store-buffering argument
 * in chan_impl.h).
 *
 * This header holds the types; waitq_impl.h holds the code, written against
 * the synchronisation policy (sync_mt.h / sync_local.h).
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
	ACHAN__W_LOST = 5,		/* a select case that lost its claim,
					 * dropped from its queue (no wake) */
	ACHAN__W_OUTCOME = 0xff,	/* the outcome part of the state */
	ACHAN__W_BUSY = 0x100,		/* its wake runs (or is next to run) */
	ACHAN__W_CLAIMED = 0x200,	/* in a wake list, its turn not come */
	ACHAN__W_TAKING = 0x400		/* its owner takes it out of the list */
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
	/* Optional: a bit in another word kept equal to (nwaiting != 0), set
	 * and cleared under the lock (the bounded channel's "senders wait"
	 * bit in its ring's tail word; NULL for every other queue). */
	uint64_t *mirror;
	uint64_t mirror_bit;
};

/*
 * Waiters claimed under a lock, woken (in order) after it is dropped.  It
 * lives on the claiming thread's stack until achan__wakelist_run returns;
 * each claimed node points back to it (w->_prev) so that its owner can take
 * it out.  `lock` guards the links once more than one node is claimed
 * (`shared`, set by the claimer: the runner never reads the links of such a
 * list without the lock);
 * `current` and `outer` make the thread's stack of running lists
 * (achan__tls_wakelists), which tells whose wake runs on this thread.
 */
struct achan__wakelist {
	struct achan__waiter *first;
	struct achan__waiter *last;
	struct achan__lock lock;
	uint32_t shared;	/* 2+ nodes claimed: links shared with owners */
	struct achan__waiter *current;
	struct achan__wakelist *outer;
};

#define ACHAN__WAKELIST_INIT { NULL, NULL, ACHAN__LOCK_INIT, 0, NULL, NULL }

#endif /* ACHAN_LIB_WAITQ_H */

