/*
 * achan/bcast.h - oneshot broadcast channels: one value, sent once, and
 * every receiver gets a copy.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A broadcast oneshot is a oneshot (achan/oneshot.h: the same object, the
 * same single atomic state word, the same costs) whose receives copy the
 * value out and leave it: every receiver, and the same receiver again, gets
 * it.  Use it for "done" events, configuration published once, a shared
 * result several tasks wait for.
 *
 * The contract:
 *   - send succeeds once; a second send, or a send after close, answers
 *     ACHAN_CLOSED and leaves the value with the caller;
 *   - once sent, every receive answers ACHAN_OK with a copy of the value,
 *     forever (close does not remove it);
 *   - closed without a value, every receive answers ACHAN_CLOSED;
 *   - send and close wake every waiting receiver.
 *
 * Ordering: everything the sender wrote before a successful send
 * happens-before the return of every receive that gets the value.  A close
 * happens-before every ACHAN_CLOSED result it causes.
 *
 * Teardown: as for achan/oneshot.h - once a receive has returned ACHAN_OK or
 * ACHAN_CLOSED, the send or close that produced it no longer touches the
 * object; fini may follow when no other call is running or registered.
 *
 * Who may call what (thread-safe flavour):
 *
 *                          | any thread, concurrently with everything below
 *   send, close, is_closed | X
 *   recv (all forms)       | X
 *   future poll/cancel     | one thread at a time per future (its owner)
 *   set_elem_dtor          | before the object is shared
 *   fini / destroy         | once, after every other call has returned
 *
 * Local flavour (ACHAN_LOCAL): as for achan/oneshot.h; a blocking receive
 * that would have to wait returns ACHAN_EDEADLK.
 */
#ifndef ACHAN_BCAST_H
#define ACHAN_BCAST_H

#include <achan/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct achan_bcast; /* opaque; see achan_bcast_memsize() to embed one */

#define ACHAN_BCAST_MAX_ELEM_SIZE ((size_t)1 << 16) /* 64 KiB */
#define ACHAN_BCAST_ALIGN         8  /* internal alignment of the object */

/* Caller memory for one, as a constant expression (see ACHAN_ONESHOT_MEMSIZE). */
#define ACHAN_BCAST_MEMSIZE(elem_size) ((size_t)128 + (size_t)(elem_size))

/* --- lifetime -------------------------------------------------------------- */

/* Bytes achan_bcast_init() needs (ACHAN_BCAST_MEMSIZE), or 0 if elem_size
 * exceeds ACHAN_BCAST_MAX_ELEM_SIZE.  Never blocks; any thread. */
ACHAN_API size_t achan_bcast_memsize(size_t elem_size);

/*
 * Build an empty, open broadcast oneshot in caller memory (any alignment),
 * with no allocation, and point *out at it.  ACHAN_OK or ACHAN_EINVAL (NULL,
 * too small, elem_size out of range, unknown flags; *out is then NULL).
 * Pair with achan_bcast_fini().
 */
ACHAN_API int achan_bcast_init(void *mem, size_t memsize, size_t elem_size,
		unsigned flags, struct achan_bcast **out);

/*
 * Tear down an object built by achan_bcast_init(), running the element
 * destructor on the value if one was sent.  ACHAN_EBUSY (nothing touched)
 * while futures or blocking receives are registered; ACHAN_EINVAL for NULL,
 * a torn-down object, one made by achan_bcast_create() or as a pair.
 */
ACHAN_API int achan_bcast_fini(struct achan_bcast *b);

/* achan_bcast_init() into malloc'd memory.  ACHAN_ENOMEM if that fails. */
ACHAN_API int achan_bcast_create(struct achan_bcast **out, size_t elem_size,
		unsigned flags);

/* achan_bcast_fini(), then free.  ACHAN_EBUSY as for fini; ACHAN_EINVAL for
 * NULL or an object made by achan_bcast_init() or as a pair. */
ACHAN_API int achan_bcast_destroy(struct achan_bcast *b);

/*
 * Destructor for the sent value.  Receivers get bitwise copies; the object
 * keeps the original until it goes away, so the destructor runs once on it
 * (if a value was sent) at fini/destroy or when a paired object is freed -
 * not at the last receiver's release, when a registered future may still be
 * copying it.  NULL removes it.  Call before the object is shared.
 * ACHAN_EINVAL on NULL.
 */
ACHAN_API int achan_bcast_set_elem_dtor(struct achan_bcast *b,
		void (*dtor)(void *elem, void *arg), void *arg);

/* --- operations ------------------------------------------------------------ */

/* Send a copy of *value.  Never waits: ACHAN_OK (every waiting receiver is
 * woken) or ACHAN_CLOSED (already sent, or closed; *value stays the
 * caller's).  Any thread. */
ACHAN_API int achan_bcast_send(struct achan_bcast *b, const void *value);

/* Copy the value into *out, waiting for it.  ACHAN_OK or ACHAN_CLOSED
 * (closed without a value); ACHAN_EDEADLK instead of waiting on a local
 * object.  May block; any thread. */
ACHAN_API int achan_bcast_recv(struct achan_bcast *b, void *out);

/* As achan_bcast_recv(), with an absolute CLOCK_MONOTONIC deadline
 * (ACHAN_TIMEDOUT).  A value already there is copied even if the deadline
 * has passed. */
ACHAN_API int achan_bcast_recv_until(struct achan_bcast *b, void *out,
		const struct timespec *deadline);

/* Never waits.  ACHAN_OK (a copy is in *out), ACHAN_EMPTY (nothing yet), or
 * ACHAN_CLOSED (closed without a value). */
ACHAN_API int achan_bcast_try_recv(struct achan_bcast *b, void *out);

/* Close.  ACHAN_NEWLY_CLOSED if nothing had been sent and it was open (every
 * waiter is woken and gets ACHAN_CLOSED), else ACHAN_ALREADY_CLOSED (a value
 * sent stays receivable).  Never blocks. */
ACHAN_API int achan_bcast_close(struct achan_bcast *b);

/* 1 once no send can succeed (closed, or a value was sent), else 0; 1 for
 * NULL. */
ACHAN_API int achan_bcast_is_closed(const struct achan_bcast *b);

/* The elem_size given at creation (0 for NULL). */
ACHAN_API size_t achan_bcast_elem_size(const struct achan_bcast *b);

/* --- async futures ---------------------------------------------------------- */

/*
 * A caller-owned receive future, as achan_oneshot_recv_future: poll answers
 * ACHAN_OK (a copy is in *out), ACHAN_PENDING, ACHAN_CLOSED or ACHAN_EINVAL;
 * cancel answers ACHAN_OK if the future had finished with ACHAN_OK, else
 * ACHAN_CANCELLED.  Every waiter is woken by the send or close, so
 * cancelling strands nobody.  Same waker rules as every achan future.
 */
struct achan_bcast_recv_future {
	struct achan__waiter _w;
	struct achan_bcast *_b;
	void *_out;
};

/* Prepare a receive into *out, which must stay valid until the future
 * finishes or is cancelled.  ACHAN_EINVAL on NULL f/b, or NULL out with
 * elem_size > 0.  Cheap; registers nothing. */
ACHAN_API int achan_bcast_recv_future_init(struct achan_bcast_recv_future *f,
		struct achan_bcast *b, void *out);
ACHAN_API int achan_bcast_recv_poll(struct achan_bcast_recv_future *f,
		const struct achan_waker *waker);
ACHAN_API int achan_bcast_recv_cancel(struct achan_bcast_recv_future *f);

/* --- sender / receiver handles --------------------------------------------- */

/*
 * A broadcast oneshot made as a pair of handles: one sender (not clonable:
 * sender_clone answers ACHAN_EINVAL), and receivers that clone freely.
 *   - releasing the sender closes the object: receivers get the value if it
 *     was sent, else ACHAN_CLOSED;
 *   - releasing a receiver closes nothing unless it is the last one; the
 *     last receiver's release closes the object (later sends fail);
 *   - registered futures keep the memory alive but are not receivers; the
 *     memory (and the value, through the destructor) is freed when every
 *     handle and every registered future is gone (never call destroy/fini
 *     on it: ACHAN_EINVAL).
 * Handles are values: clone into another variable to count a new owner;
 * release clears the variable.  Plain assignment moves a handle (use only
 * one of the copies).  Clone and release may be called from any
 * thread; each handle variable is used by one thread at a time.
 */
struct achan_bcast_sender {
	struct achan_bcast *_b;
};

struct achan_bcast_receiver {
	struct achan_bcast *_b;
};

/* Create (as achan_bcast_create) with one sender and one receiver handle.
 * ACHAN_OK, ACHAN_EINVAL, ACHAN_ENOMEM (handles left cleared). */
ACHAN_API int achan_bcast_pair(struct achan_bcast_sender *tx,
		struct achan_bcast_receiver *rx, size_t elem_size,
		unsigned flags);

/* Always ACHAN_EINVAL (*out cleared): there is one sender. */
ACHAN_API int achan_bcast_sender_clone(const struct achan_bcast_sender *tx,
		struct achan_bcast_sender *out);

/* Count one more receiver into *out.  ACHAN_EINVAL if rx is released. */
ACHAN_API int achan_bcast_receiver_clone(const struct achan_bcast_receiver *rx,
		struct achan_bcast_receiver *out);

/* Drop the handle and clear it (see above).  Never blocks.  ACHAN_EINVAL on
 * a cleared handle. */
ACHAN_API int achan_bcast_sender_release(struct achan_bcast_sender *tx);
ACHAN_API int achan_bcast_receiver_release(struct achan_bcast_receiver *rx);

/* The object behind a handle (NULL once released). */
ACHAN_API struct achan_bcast *achan_bcast_sender_bcast(
		const struct achan_bcast_sender *tx);
ACHAN_API struct achan_bcast *achan_bcast_receiver_bcast(
		const struct achan_bcast_receiver *rx);

#ifdef __cplusplus
}
#endif

#endif /* ACHAN_BCAST_H */
