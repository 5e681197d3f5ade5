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

#endif /* ACHAN_LIB_WAITQ_H */

