/*
 * achan/oneshot.h - oneshot channels: one value, sent once, taken by one
 * receiver.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A oneshot carries at most one value of a fixed elem_size (0 makes a
 * signal-only oneshot whose value pointers may be NULL).  Its whole state is
 * one atomic word beside the value: send, try_recv and close take no lock
 * and make no syscall unless a receiver waits.  Oneshots are made per
 * request, so they can live in caller memory (a stack frame, a request
 * struct) with no allocation at all: achan_oneshot_init().
 *
 * The contract:
 *   - send succeeds once; a second send, or a send after close, answers
 *     ACHAN_CLOSED and leaves the value with the caller;
 *   - the first receive that finds the value takes it; every other receive,
 *     including futures registered earlier, answers ACHAN_CLOSED;
 *   - close after send answers ACHAN_ALREADY_CLOSED and keeps the value
 *     receivable; close before send makes every receive answer
 *     ACHAN_CLOSED;
 *   - send and close wake every waiting receiver.
 *
 * Ordering: everything the sender wrote before a successful send
 * happens-before the return of the receive that takes the value.  A close
 * happens-before every ACHAN_CLOSED result it causes.
 *
 * Teardown: once a receive (any form) has returned ACHAN_OK or ACHAN_CLOSED,
 * the send or close that produced that result no longer touches the
 * oneshot, even if it has not returned yet.  So a requester may receive its
 * reply and fini the oneshot at once (a stack frame may end), provided no
 * other call on it is still running or registered: other receives, a send
 * that will fail, a second close.  After a receive that timed out or was
 * cancelled nothing is promised: the sender may still be about to send;
 * use the handles below when the two sides' lifetimes are not nested.
 *
 * Who may call what (thread-safe flavour):
 *
 *                          | any thread, concurrently with everything below
 *   send, close, is_closed | X
 *   recv (all forms)       | X
 *   future poll/cancel     | one thread at a time per future (its owner)
 *   set_elem_dtor          | before the oneshot is shared
 *   fini / destroy         | once, after every other call has returned
 *                          | (or as "Teardown" above allows)
 *
 * Blocking receives park the calling thread on a futex after a short spin.
 *
 * Local flavour: a oneshot made with ACHAN_LOCAL belongs to one thread (an
 * event loop, a coroutine scheduler): same API and semantics, no atomic
 * instructions, locks or futex.  A blocking receive that would have to wait
 * returns ACHAN_EDEADLK (nobody else can ever send); futures are the way to
 * wait.
 */
#ifndef ACHAN_ONESHOT_H
#define ACHAN_ONESHOT_H

#include <achan/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct achan_oneshot; /* opaque; see achan_oneshot_memsize() to embed one */

#define ACHAN_ONESHOT_MAX_ELEM_SIZE ((size_t)1 << 16) /* 64 KiB */
#define ACHAN_ONESHOT_ALIGN         8  /* internal alignment of the object */

/*
 * Bytes of caller memory that hold a oneshot of elem_size, as a constant
 * expression for arrays: unsigned char buf[ACHAN_ONESHOT_MEMSIZE(8)].
 * Includes the slack that lets init align the object inside any memory.
 * Equal to achan_oneshot_memsize(elem_size) for every valid elem_size.
 */
#define ACHAN_ONESHOT_MEMSIZE(elem_size) ((size_t)128 + (size_t)(elem_size))

/* --- lifetime -------------------------------------------------------------- */

/*
 * Bytes of caller memory achan_oneshot_init() needs (ACHAN_ONESHOT_MEMSIZE),
 * or 0 if elem_size exceeds ACHAN_ONESHOT_MAX_ELEM_SIZE.  Never blocks; any
 * thread.
 */
ACHAN_API size_t achan_oneshot_memsize(size_t elem_size);

/*
 * Build an empty, open oneshot in caller memory `mem` of `memsize` bytes (at
 * least achan_oneshot_memsize(); any alignment: the object is placed at the
 * first ACHAN_ONESHOT_ALIGN boundary inside mem), and point *out at it.
 * Allocates nothing; a few stores.  ACHAN_OK, or ACHAN_EINVAL (NULL, too
 * small, elem_size out of range, unknown flags; *out is then NULL).  Pair
 * with achan_oneshot_fini(); the memory is the caller's again afterwards.
 */
ACHAN_API int achan_oneshot_init(void *mem, size_t memsize, size_t elem_size,
		unsigned flags, struct achan_oneshot **out);

/*
 * Tear down a oneshot built by achan_oneshot_init(): runs the element
 * destructor on a value that was sent and never received.  ACHAN_EBUSY (and
 * nothing is touched) while futures or blocking receives are registered;
 * ACHAN_EINVAL for NULL, a oneshot already torn down, one made by
 * achan_oneshot_create() or as a pair.  Never blocks.
 */
ACHAN_API int achan_oneshot_fini(struct achan_oneshot *os);

/* achan_oneshot_init() into malloc'd memory.  ACHAN_ENOMEM if that fails. */
ACHAN_API int achan_oneshot_create(struct achan_oneshot **out,
		size_t elem_size, unsigned flags);

/* achan_oneshot_fini(), then free.  ACHAN_EBUSY as for fini; ACHAN_EINVAL
 * for NULL or a oneshot made by achan_oneshot_init() or as a pair. */
ACHAN_API int achan_oneshot_destroy(struct achan_oneshot *os);

/*
 * Destructor for a value that is sent and never received: run once on it
 * (elem points at the value; arg is passed through) at fini/destroy, when
 * the last receiver handle is released, or when a paired oneshot is freed.
 * NULL removes it.  Call before the oneshot is shared.  ACHAN_EINVAL on a
 * NULL oneshot.
 */
ACHAN_API int achan_oneshot_set_elem_dtor(struct achan_oneshot *os,
		void (*dtor)(void *elem, void *arg), void *arg);

/* --- operations ------------------------------------------------------------ */

/*
 * Send a copy of *value (elem_size bytes).  Never waits: ACHAN_OK (the value
 * is in; every waiting receiver is woken), or ACHAN_CLOSED (a value was
 * already sent, or the oneshot is closed; *value stays the caller's).  Any
 * thread; concurrent sends: one wins, the others get ACHAN_CLOSED.
 * Ordering: see the top of this file.
 */
ACHAN_API int achan_oneshot_send(struct achan_oneshot *os, const void *value);

/*
 * Receive into *out (elem_size bytes), waiting for the value.  ACHAN_OK (the
 * value is taken: no other receive gets it), or ACHAN_CLOSED (closed without
 * a value, or another receiver took it); ACHAN_EDEADLK instead of waiting on
 * a local oneshot.  May block; any thread.
 */
ACHAN_API int achan_oneshot_recv(struct achan_oneshot *os, void *out);

/*
 * As achan_oneshot_recv(), giving up at the absolute CLOCK_MONOTONIC time
 * *deadline with ACHAN_TIMEDOUT.  A value already there is taken even if
 * the deadline has passed.  NULL or unnormalised deadline: ACHAN_EINVAL.
 */
ACHAN_API int achan_oneshot_recv_until(struct achan_oneshot *os, void *out,
		const struct timespec *deadline);

/*
 * Never waits for a send.  ACHAN_OK (value taken), ACHAN_EMPTY (nothing
 * yet), or ACHAN_CLOSED (closed without a value, or already taken).  A send
 * caught copying its value in has committed: the receive waits out those
 * few instructions (longer only if that thread is preempted) and takes it.
 */
ACHAN_API int achan_oneshot_try_recv(struct achan_oneshot *os, void *out);

/*
 * Close.  ACHAN_NEWLY_CLOSED if nothing had been sent and it was open:
 * every waiting receiver is woken and gets ACHAN_CLOSED, later sends fail.
 * ACHAN_ALREADY_CLOSED otherwise - including after a send, whose value
 * stays receivable.  Never blocks (it may spin briefly on an internal lock).
 * Ordering: happens-before every ACHAN_CLOSED it causes.
 */
ACHAN_API int achan_oneshot_close(struct achan_oneshot *os);

/* 1 once no send can succeed (closed, or a value was sent), else 0.  A NULL
 * oneshot answers 1.  A snapshot; any thread. */
ACHAN_API int achan_oneshot_is_closed(const struct achan_oneshot *os);

/* The elem_size given at creation (0 for NULL). */
ACHAN_API size_t achan_oneshot_elem_size(const struct achan_oneshot *os);

/* --- async futures ---------------------------------------------------------- */

/*
 * A caller-owned receive future: the future *is* the wait-queue node, so
 * waiting allocates nothing.  Fields are private.
 *
 *   poll:   ACHAN_OK (the value is in *out and belongs to the caller),
 *           ACHAN_PENDING (registered; `waker` will be called when the value
 *           comes or the oneshot is closed - poll again then),
 *           ACHAN_CLOSED, or ACHAN_EINVAL (NULL future, NULL waker or
 *           waker->wake, a torn-down oneshot, or a future that already
 *           finished: poll returned OK / CLOSED, or it was cancelled).  A
 *           woken future's next poll always finishes.  Polling a registered
 *           future again re-attempts the receive; if the value still is not
 *           there only the waker is replaced.  The waker struct is copied.
 *   cancel: may be called at any time and must be called before the memory
 *           of a registered future is reused.  ACHAN_OK if the future had
 *           finished with ACHAN_OK (the value is in *out), else
 *           ACHAN_CANCELLED.  Send and close wake every waiter, so a
 *           cancelled future strands nobody.
 *
 * After poll returns OK/CLOSED or cancel returns, no call of the future's
 * waker is running or will run.  A waker must not poll or cancel its own
 * future from inside the wake call (ACHAN_EINVAL); it may call anything
 * else, including a try_recv on the same oneshot.
 */
struct achan_oneshot_recv_future {
	struct achan__waiter _w;
	struct achan_oneshot *_os;
	void *_out;
};

/* Prepare a receive into *out (valid until the future finishes or is
 * cancelled).  ACHAN_EINVAL on NULL f/os, or NULL out with elem_size > 0.
 * Cheap; registers nothing. */
ACHAN_API int achan_oneshot_recv_future_init(
		struct achan_oneshot_recv_future *f, struct achan_oneshot *os,
		void *out);
ACHAN_API int achan_oneshot_recv_poll(struct achan_oneshot_recv_future *f,
		const struct achan_waker *waker);
ACHAN_API int achan_oneshot_recv_cancel(struct achan_oneshot_recv_future *f);

/* --- sender / receiver handles --------------------------------------------- */

/*
 * A oneshot made as a pair of handles, for sides whose lifetimes are not
 * nested (a reply that may come after the requester gave up).  Exactly one
 * sender and one receiver: handles cannot be cloned (clone answers
 * ACHAN_EINVAL), but plain assignment moves one (into a request, say; use
 * only one of the copies).  Releasing either handle closes the oneshot:
 *   - the sender's release before a send: the receiver gets ACHAN_CLOSED
 *     (after a send it keeps the value);
 *   - the receiver's release: later sends fail, and a value sent and not
 *     received is destroyed (element destructor);
 *   - registered futures keep the memory alive but are not receivers; the
 *     memory is freed when both handles and every registered future are
 *     gone (never call destroy/fini on it: ACHAN_EINVAL).
 * Operate through achan_oneshot_sender_oneshot() /
 * achan_oneshot_receiver_oneshot(), valid while you hold that handle.
 * Release may be called from any thread, concurrently with everything
 * else; each handle variable is used by one thread at a time.
 */
struct achan_oneshot_sender {
	struct achan_oneshot *_os;
};

struct achan_oneshot_receiver {
	struct achan_oneshot *_os;
};

/*
 * Create a oneshot (as achan_oneshot_create) and its sender and receiver
 * handles.  ACHAN_OK, ACHAN_EINVAL, ACHAN_ENOMEM (handles left cleared).
 * To add an element destructor, call achan_oneshot_set_elem_dtor() on
 * achan_oneshot_sender_oneshot(tx) before sharing the handles.
 */
ACHAN_API int achan_oneshot_pair(struct achan_oneshot_sender *tx,
		struct achan_oneshot_receiver *rx, size_t elem_size,
		unsigned flags);

/* Always ACHAN_EINVAL (*out cleared): a oneshot has one sender and one
 * receiver.  They exist so that code written for every kind compiles. */
ACHAN_API int achan_oneshot_sender_clone(const struct achan_oneshot_sender *tx,
		struct achan_oneshot_sender *out);
ACHAN_API int achan_oneshot_receiver_clone(
		const struct achan_oneshot_receiver *rx,
		struct achan_oneshot_receiver *out);

/*
 * Drop the handle and clear it; closes the oneshot (see above).  The last
 * reference frees it.  Never blocks (the receiver's release may wait out a
 * send in flight for a few instructions).  ACHAN_EINVAL on a cleared
 * handle.
 */
ACHAN_API int achan_oneshot_sender_release(struct achan_oneshot_sender *tx);
ACHAN_API int achan_oneshot_receiver_release(struct achan_oneshot_receiver *rx);

/* The oneshot behind a handle (NULL once released). */
ACHAN_API struct achan_oneshot *achan_oneshot_sender_oneshot(
		const struct achan_oneshot_sender *tx);
ACHAN_API struct achan_oneshot *achan_oneshot_receiver_oneshot(
		const struct achan_oneshot_receiver *rx);

#ifdef __cplusplus
}
#endif

#endif /* ACHAN_ONESHOT_H */
