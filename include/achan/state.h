/*
 * achan/state.h - state broadcast: the latest state of one value, with
 * monotonic 64-bit state ids, for any number of receivers.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A state channel holds at most one value: the latest state.  Each send
 * replaces it, gives it the next id and wakes every waiting receiver; a
 * receiver asks for "a state newer than the id I last saw" and gets the
 * state current when it looks (intermediate states are skipped).  The
 * channel starts at id 0 with no value; the first state has id 1;
 * ACHAN_STATE_ID_INIT (0) as `after` means "any state".  The same id always
 * yields the same value.
 *
 * How it works (thread-safe flavour): each send copies the value into a new
 * snapshot {id, value} (one malloc) and publishes it with one atomic
 * pointer RMW.  Readers load the pointer inside an RCU read-side section
 * and copy the value out, or borrow it in place; a superseded snapshot is
 * freed by liburcu's call_rcu once every reader that could see it is gone.
 * Readers never block the publisher, the publisher never waits for readers
 * (no synchronize_rcu on the send path), and neither takes an achan lock:
 * the waiter queue's lock is taken only when someone waits.
 *
 * RCU flavour: liburcu-bp ("bulletproof").  Reader threads are registered
 * with liburcu automatically, the first time they read, and unregistered
 * when they exit, so users never call rcu_register_thread() - whatever
 * threads they use, and whether or not they use liburcu themselves.  (The
 * memb flavour's read side is no faster through the library's functions -
 * about 12 ns per section for both here; inlined, 1.2 ns against 1.8 - but
 * it needs every reader thread registered, and a library registering
 * threads behind its users' backs would corrupt liburcu's registry the
 * first time a user registered the same thread with memb himself.)  The
 * first read of a thread takes a liburcu mutex once; after that a
 * read-side section is two short calls into liburcu-bp with no fence
 * (sys_membarrier moves that cost to the grace period, on liburcu's
 * call_rcu thread; without sys_membarrier liburcu falls back to fences).
 *
 * Ordering: everything a sender wrote before a successful send
 * happens-before the return of every receive (try_recv, recv, poll, borrow)
 * that returns that state's id.  A close happens-before every ACHAN_CLOSED
 * result it causes.
 *
 * Who may call what (thread-safe flavour):
 *
 *                           | any thread, concurrently with everything below
 *   send, close             | X
 *   try_recv, recv, borrow  | X
 *   id, is_closed           | X
 *   borrow_end              | the thread that borrowed, before it blocks
 *   future poll/cancel      | one thread at a time per future (its owner)
 *   fini / destroy          | once, after every other call has returned,
 *                           |   and not between a borrow and its end
 *
 * Memory: a send allocates one snapshot of elem_size bytes plus a small
 * header (ACHAN_ENOMEM if that fails); superseded snapshots are freed on
 * liburcu's call_rcu thread a grace period later; destroy / fini wait for
 * those frees (rcu_barrier) and free the last state, so nothing outlives
 * the object.  Waiting allocates nothing.
 *
 * Local flavour (ACHAN_LOCAL): one thread owns the object.  No RCU, no
 * atomic instructions, no locks: a superseded snapshot is freed at once, or
 * when the last borrow of that state channel ends.  Blocking receives that
 * would have to wait return ACHAN_EDEADLK; futures are the way to wait.
 *
 * There is no element destructor: receivers copy the value out (any number
 * of times), so the channel never owns what a value points to.
 */
#ifndef ACHAN_STATE_H
#define ACHAN_STATE_H

#include <achan/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct achan_state; /* opaque; see achan_state_memsize() to embed one */

#define ACHAN_STATE_ID_INIT       ((uint64_t)0)        /* "any state" */
#define ACHAN_STATE_MAX_ELEM_SIZE ((size_t)1 << 20)    /* 1 MiB per state */
#define ACHAN_STATE_ALIGN         64                   /* internal alignment */

/* --- lifetime -------------------------------------------------------------- */

/*
 * Bytes of caller memory achan_state_init() needs, or 0 if elem_size exceeds
 * ACHAN_STATE_MAX_ELEM_SIZE.  The states themselves are allocated per send.
 * Never blocks; any thread.
 */
ACHAN_API size_t achan_state_memsize(size_t elem_size);

/*
 * Build a state channel in caller memory `mem` of `memsize` bytes (at least
 * achan_state_memsize(); any alignment), at id 0 with no value.  *out points
 * at it (the first ACHAN_STATE_ALIGN boundary inside mem).  elem_size 0
 * makes a signal-only channel (value pointers may be NULL).  Returns
 * ACHAN_OK or ACHAN_EINVAL (NULL, too small, elem_size too large, unknown
 * flags).  Pair with achan_state_fini(); free `mem` (not *out) afterwards.
 */
ACHAN_API int achan_state_init(void *mem, size_t memsize, size_t elem_size,
		unsigned flags, struct achan_state **out);

/*
 * Tear down a state channel built by achan_state_init(): waits until every
 * superseded state has been freed (rcu_barrier, only if the channel ever
 * superseded a state: liburcu's call_rcu thread works in rounds 10 ms
 * apart, so typically 10-30 ms), then frees the last one.  ACHAN_EBUSY (nothing touched) while futures or
 * blocking calls are registered; ACHAN_EINVAL for NULL, a channel already
 * torn down, one made by achan_state_create() or one made as a pair.  May
 * block (that grace period).  Must not be called between a borrow and its
 * end (of any state channel: the wait would then be skipped and the
 * superseded states freed later, on liburcu's thread).
 */
ACHAN_API int achan_state_fini(struct achan_state *st);

/* achan_state_init() into malloc'd memory.  ACHAN_ENOMEM if that fails. */
ACHAN_API int achan_state_create(struct achan_state **out, size_t elem_size,
		unsigned flags);

/* achan_state_fini(), then free.  ACHAN_EBUSY and may block as fini;
 * ACHAN_EINVAL for NULL or a channel made by achan_state_init(). */
ACHAN_API int achan_state_destroy(struct achan_state *st);

/* --- send and close ------------------------------------------------------------ */

/*
 * Publish a copy of *value (elem_size bytes) as the new state, with the next
 * id, and wake every waiting receiver.  Never waits for receivers or for
 * other senders (concurrent senders retry a CAS); it calls malloc and
 * liburcu's call_rcu (the first call_rcu in a process starts liburcu's
 * call_rcu thread).  Returns ACHAN_OK,
 * ACHAN_CLOSED (closed; the value stays with the caller), ACHAN_ENOMEM (the
 * snapshot could not be allocated; nothing changed) or ACHAN_EINVAL.
 * A send that would pass id UINT64_MAX is refused with ACHAN_CLOSED and
 * closes the channel, so nobody waits for a state that cannot come.
 * Any thread.
 */
ACHAN_API int achan_state_send(struct achan_state *st, const void *value);

/*
 * Close: later sends fail.  The latest state stays: a receiver holding an
 * older id still gets it; ACHAN_CLOSED comes only when closed and nothing
 * newer exists.  Wakes every waiter, oldest first.  ACHAN_NEWLY_CLOSED or
 * ACHAN_ALREADY_CLOSED (ACHAN_EINVAL for NULL).  Never blocks (it may spin
 * briefly on the waiter queue's lock).
 */
ACHAN_API int achan_state_close(struct achan_state *st);

/* --- receive ----------------------------------------------------------------- */

/*
 * Never waits.  If a state newer than `after` exists (its id > after), copy
 * it to *out (elem_size bytes), store its id in *id (if id is not NULL) and
 * return ACHAN_OK; otherwise ACHAN_EMPTY (nothing newer, open) or
 * ACHAN_CLOSED (nothing newer, closed).  ACHAN_EINVAL for NULL st.  Any
 * thread.
 *
 * out may be NULL (here and in every receive below): nothing is copied, so
 * ACHAN_OK only says that a newer state exists (and gives its id).  That is
 * how a reader that borrows (below) waits for the next state without a
 * scratch copy: achan_state_recv(st, seen, NULL, &id), then borrow.
 */
ACHAN_API int achan_state_try_recv(struct achan_state *st, uint64_t after,
		void *out, uint64_t *id);

/*
 * As achan_state_try_recv(), but waits while nothing newer than `after`
 * exists and the channel is open.  The state delivered is the one current
 * when the receiver looks after being woken, not when it was woken.
 * ACHAN_OK or ACHAN_CLOSED; ACHAN_EDEADLK instead of waiting on a local
 * channel.  May block; any thread (not between a borrow and its end).
 */
ACHAN_API int achan_state_recv(struct achan_state *st, uint64_t after,
		void *out, uint64_t *id);

/*
 * As achan_state_recv(), giving up at the absolute CLOCK_MONOTONIC time
 * *deadline with ACHAN_TIMEDOUT.  A receive that can complete without
 * waiting completes even if the deadline has passed (also at the deadline:
 * a state that arrived just then is returned).  NULL deadline: ACHAN_EINVAL.
 */
ACHAN_API int achan_state_recv_until(struct achan_state *st, uint64_t after,
		void *out, uint64_t *id, const struct timespec *deadline);

/*
 * The borrow pair: look at the current state in place, without copying.
 * Caller-owned; fields are private.
 *
 * achan_state_borrow(): if a state newer than `after` exists, set *value to
 * its bytes (aligned for any type; elem_size bytes, read-only) and *id (if
 * not NULL) to its id, and return ACHAN_OK: the borrow is then open and
 * *value stays valid - the same bytes, whatever is sent meanwhile - until
 * achan_state_borrow_end(b).  Otherwise ACHAN_EMPTY (nothing newer, open;
 * before the first state) or ACHAN_CLOSED (nothing newer, closed) and no
 * borrow is open.  After close the last state is still lent.  Never blocks.
 *
 * An open borrow is an RCU read-side critical section of the calling
 * thread: end it on the same thread, soon.  In between, do not block, do
 * not call blocking achan functions (recv, recv_until), and do not destroy
 * or fini any state channel or release a state handle.  While it is open no
 * superseded state anywhere in the process can be freed, so memory grows
 * with every send until it ends.  Borrows nest.  In the local flavour a
 * borrow only defers the free of the states it may still see.
 *
 * achan_state_borrow_end(): ends the borrow; *value must not be used after.
 * ACHAN_OK, or ACHAN_EINVAL for NULL or a borrow that is not open.
 */
struct achan_state_borrow {
	struct achan_state *_st;
	const void *_snap;
};

ACHAN_API int achan_state_borrow(struct achan_state *st, uint64_t after,
		struct achan_state_borrow *b, const void **value, uint64_t *id);
ACHAN_API int achan_state_borrow_end(struct achan_state_borrow *b);

/* --- queries ------------------------------------------------------------------- */

/* The id of the current state (0 before the first; 0 for NULL).  Any thread. */
ACHAN_API uint64_t achan_state_id(const struct achan_state *st);
/* The elem_size given at creation (0 for NULL). */
ACHAN_API size_t achan_state_elem_size(const struct achan_state *st);
/* 1 once closed, else 0.  A NULL channel answers 1. */
ACHAN_API int achan_state_is_closed(const struct achan_state *st);

/* --- async receive future ------------------------------------------------------- */

/*
 * A caller-owned receive future: the future *is* the waiter node, so
 * waiting allocates nothing.  Fields are private.
 *
 *   poll:   ACHAN_OK (a state newer than `after` was copied to *out, its id
 *           to *id), ACHAN_PENDING (registered: the waker will be called by
 *           the next send or the close - poll again then), ACHAN_CLOSED
 *           (closed and nothing newer), or ACHAN_EINVAL (NULL future, NULL
 *           waker or waker->wake, a torn-down channel, a future that
 *           already finished, or a poll from inside its own wake).  Every
 *           send wakes every registered future; a woken future copies the
 *           state current when it is polled.  Polling a registered future
 *           again looks again; if there is still nothing newer it keeps its
 *           place and only the waker is replaced.
 *   cancel: may be called at any time; must be called before the memory of
 *           a registered future is reused.  ACHAN_OK if the future had
 *           completed with ACHAN_OK (a poll returned it), else
 *           ACHAN_CANCELLED.  Nothing is ever written to *out by another
 *           thread, and since every send wakes every waiter, there is no
 *           wakeup to hand on.
 *
 * After poll returns OK/CLOSED or cancel returns, no call of the future's
 * waker is running or will run.
 */
struct achan_state_recv_future {
	struct achan__waiter _w;
	struct achan_state *_st;
	void *_out;
	uint64_t *_id;
	uint64_t _after;
};

/*
 * Prepare a receive of a state newer than `after` into *out (and its id into
 * *id); both must stay valid until the future finishes or is cancelled.
 * Either may be NULL: a NULL out makes the future only wait (see
 * achan_state_try_recv).  ACHAN_EINVAL on NULL f/st.  Cheap; registers
 * nothing.
 */
ACHAN_API int achan_state_recv_future_init(struct achan_state_recv_future *f,
		struct achan_state *st, uint64_t after, void *out, uint64_t *id);
ACHAN_API int achan_state_recv_poll(struct achan_state_recv_future *f,
		const struct achan_waker *waker);
ACHAN_API int achan_state_recv_cancel(struct achan_state_recv_future *f);

/* --- shared sender / receiver handles ------------------------------------------ */

/*
 * A state channel made as a pair of handles; both roles are clonable.
 * Handles are small values: clone one into another variable to get a new
 * counted owner, release it when done (release clears it; a second release
 * answers ACHAN_EINVAL).  Plain struct assignment does not clone;
 * it moves: a copy may be used (and released) instead of the original, as
 * long as only one of them ever is.
 *
 *   - releasing the last sender closes the channel: waiting receivers get
 *     ACHAN_CLOSED unless a state newer than theirs exists;
 *   - releasing the last receiver closes it: later sends fail;
 *   - registered futures keep the memory alive but are not senders or
 *     receivers; the memory is freed (as destroy, so the last release may
 *     wait a grace period) when the last handle and the last registered
 *     future are gone.  Never call destroy/fini on it (ACHAN_EINVAL).
 *
 * Operate on the channel through achan_state_sender_state() /
 * achan_state_receiver_state(), valid while you hold that handle (or a
 * registered future).  Clone and release may be called from any thread;
 * each handle variable is used by one thread at a time.
 */
struct achan_state_sender {
	struct achan_state *_st;
};

struct achan_state_receiver {
	struct achan_state *_st;
};

/*
 * Create a state channel (as achan_state_create) and its first sender and
 * receiver handles.  ACHAN_OK, ACHAN_EINVAL, ACHAN_ENOMEM (handles cleared).
 */
ACHAN_API int achan_state_pair(struct achan_state_sender *tx,
		struct achan_state_receiver *rx, size_t elem_size, unsigned flags);

/* Count one more owner into *out.  ACHAN_EINVAL if the source is released. */
ACHAN_API int achan_state_sender_clone(const struct achan_state_sender *tx,
		struct achan_state_sender *out);
ACHAN_API int achan_state_receiver_clone(const struct achan_state_receiver *rx,
		struct achan_state_receiver *out);

/*
 * Drop this owner and clear the handle.  The last sender or the last
 * receiver closes the channel; the last reference frees it (which may wait
 * a grace period, as destroy does).  ACHAN_EINVAL on a cleared handle.
 */
ACHAN_API int achan_state_sender_release(struct achan_state_sender *tx);
ACHAN_API int achan_state_receiver_release(struct achan_state_receiver *rx);

/* The channel behind a handle (NULL once released). */
ACHAN_API struct achan_state *achan_state_sender_state(
		const struct achan_state_sender *tx);
ACHAN_API struct achan_state *achan_state_receiver_state(
		const struct achan_state_receiver *rx);

#ifdef __cplusplus
}
#endif

#endif /* ACHAN_STATE_H */
