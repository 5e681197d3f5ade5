/*
 * achan/common.h - types shared by every achan channel kind: status codes,
 * wakers, creation flags and the private part of every future.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_COMMON_H
#define ACHAN_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define ACHAN_API __attribute__((visibility("default")))
#else
#define ACHAN_API
#endif

/*
 * Status codes.  Every achan function that can fail returns one of these;
 * none of them sets errno.  ACHAN_OK is 0, everything else is positive.
 *
 * ACHAN_EINVAL is the answer of every function to a NULL or torn-down
 * object, a NULL pointer it needs (a value or buffer with elem_size > 0, a
 * future, a waker), or a deadline that is NULL or not normalised
 * (tv_nsec outside 0..999999999); the comment of each function lists only
 * its other causes.
 */
enum achan_status {
	ACHAN_OK = 0,          /* done */
	ACHAN_PENDING,         /* future registered; its waker will be called */
	ACHAN_CLOSED,          /* the object is closed (and, for receives, drained) */
	ACHAN_FULL,            /* try_send: no room, or older senders wait */
	ACHAN_EMPTY,           /* try_recv: nothing to receive yet */
	ACHAN_TIMEDOUT,        /* a deadline passed before the operation could complete */
	ACHAN_EINVAL,          /* bad argument or misuse (NULL, sizes, poll after completion) */
	ACHAN_EBUSY,           /* destroy/fini while futures (or blocking calls) wait */
	ACHAN_EDEADLK,         /* a blocking call that could never be satisfied */
	ACHAN_ENOMEM,          /* allocation failed; nothing was built */
	ACHAN_NEWLY_CLOSED,    /* close: this call closed the object */
	ACHAN_ALREADY_CLOSED,  /* close: it was closed before */
	ACHAN_CANCELLED        /* cancel: the operation had not completed; value stays with the caller */
};

/* The name and a one-line description of a status ("ACHAN_CLOSED: ..."). */
ACHAN_API const char *achan_strerror(int status);

/*
 * A waker: called at most once per registration of a future, from whatever
 * thread made progress possible (a sender, a receiver, a closer, a cancel
 * that hands a wakeup on).  After the future's poll returns ACHAN_OK /
 * ACHAN_CLOSED, or its cancel returns, the waker is not running and will not
 * run again for that registration.
 *
 * It is never called with an achan lock held.  What it may do:
 *   - poll, cancel, or (once finished) re-init and register again any
 *     future but its own - a sibling woken by the same close or send
 *     included: that one answers at once with its outcome and its own waker
 *     is then never called;
 *   - make any call that does not wait (try_send, try_recv, close, len,
 *     clone, ...) on any object, the one whose wake runs it included;
 *   - release handles, the last handle of that very object included: the
 *     wake touches only futures, and a registered future keeps a paired
 *     object's memory until it finishes (allowed and safe).
 * What it must not do:
 *   - block (a blocking send/recv, a lock the waking thread may need): it
 *     runs on a thread in the middle of an achan call, and wakes queued
 *     behind it wait for it;
 *   - poll or cancel its own future, or one whose wake runs further up this
 *     thread's stack (a waker that called into achan and so ran other
 *     wakes): that answers ACHAN_EINVAL - it would wait for itself;
 *   - poll or cancel a future whose wake is running on another thread at
 *     that moment, if that wake may be doing the same to its own future:
 *     each waits for the other's wake to return;
 *   - fini or destroy an object made with init/create while the call whose
 *     wake runs it has not returned.
 * The usual waker schedules the task that owns the future, which polls it.
 */
struct achan_waker {
	void (*wake)(void *arg);
	void *arg;
};

/* Creation flags. */
#define ACHAN_LOCAL 0x1u /* single-thread flavour: no atomics, no futex (see achan/chan.h) */

/* Every deadline is an absolute CLOCK_MONOTONIC time. */
#define ACHAN_CLOCK CLOCK_MONOTONIC

/*
 * --- internal only ---------------------------------------------------------
 * The waiter node that every future embeds.  Its size is part of the ABI so
 * futures can live on the stack or inside caller structs; its fields are
 * private and may change meaning between releases.
 */
struct achan__waiter {
	struct achan__waiter *_next;
	struct achan__waiter *_prev;
	struct achan_waker _waker;
	uint32_t _state;  /* atomic: queued / notified / done / closed, + busy bit */
	uint32_t _phase;  /* owner only: fresh / registered / finished */
	int _result;      /* owner only: final status once finished */
	uint32_t _side;   /* which queue of its object the node belongs to */
};

#ifdef __cplusplus
}
#endif

#endif /* ACHAN_COMMON_H */
