/*
 * achan/chan.h - bounded (capacity >= 1) and unbuffered (capacity 0) MPMC
 * channels carrying fixed-size values.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A bounded channel is a Vyukov ring of `capacity` slots; an uncontended send
 * or receive takes no lock and makes no syscall.  An unbuffered channel hands
 * each value straight from the sender to the receiver (one copy).  Values are
 * copied in and out: every channel has a fixed elem_size chosen at creation
 * (0 makes a signal-only channel whose value pointers may be NULL).
 *
 * Ordering: everything a sender wrote before a successful send happens-before
 * the return of the receive that gets that value.  A close happens-before
 * every ACHAN_CLOSED result it causes.
 *
 * Who may call what (thread-safe flavour):
 *
 *                        | any thread, concurrently with everything below
 *   send/recv (all forms)| X
 *   close, len, is_closed| X
 *   future poll/cancel   | one thread at a time per future (its owner)
 *   set_elem_dtor        | before the channel is shared
 *   fini / destroy       | once, after every other call has returned
 *
 * Blocking calls park the calling thread on a futex after a short spin.
 *
 * Local flavour: a channel created with ACHAN_LOCAL belongs to one thread (an
 * event loop, a coroutine scheduler).  Same API, same semantics, same
 * futures and wakers, but no atomic instructions, fences, locks or futex:
 * every call, and every waker, runs on that thread.  A blocking call that
 * would have to wait returns ACHAN_EDEADLK (nobody else can ever make
 * progress); its deadline twin does the same.  Futures are the way to wait.
 */
#ifndef ACHAN_CHAN_H
#define ACHAN_CHAN_H

#include <achan/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct achan_chan; /* opaque; see achan_chan_memsize() to embed one */

#define ACHAN_CHAN_MAX_ELEM_SIZE ((size_t)1 << 16)  /* 64 KiB per value */
#define ACHAN_CHAN_MAX_CAPACITY  ((size_t)1 << 28)
#define ACHAN_CHAN_ALIGN         64                 /* internal alignment of the channel */

/* --- lifetime -------------------------------------------------------------- */

/*
 * Bytes of caller memory achan_chan_init() needs for this geometry, or 0 if
 * elem_size or capacity exceeds its maximum.  Includes the slack that lets
 * init place the channel on a cache-line boundary inside any memory.
 * Never blocks; any thread.
 */
ACHAN_API size_t achan_chan_memsize(size_t elem_size, size_t capacity);

/*
 * Build a channel in caller memory `mem` of `memsize` bytes (at least
 * achan_chan_memsize(); any alignment).  The channel is placed at the first
 * ACHAN_CHAN_ALIGN boundary inside `mem`, so its hot counters sit on cache
 * lines of their own, and *out points at it.  No allocation.  Returns
 * ACHAN_OK, or ACHAN_EINVAL (NULL, too small, sizes out of range, unknown
 * flags).  Pair with achan_chan_fini(); free `mem` (not *out) afterwards.
 */
ACHAN_API int achan_chan_init(void *mem, size_t memsize, size_t elem_size,
		size_t capacity, unsigned flags, struct achan_chan **out);

/*
 * Tear down a channel built by achan_chan_init(): runs the element
 * destructor on every value still buffered.  ACHAN_EBUSY (and nothing is
 * touched) while futures or blocking calls are registered on it; ACHAN_EINVAL
 * for NULL, a channel already torn down, or one made by achan_chan_create().
 */
ACHAN_API int achan_chan_fini(struct achan_chan *ch);

/* achan_chan_init() into malloc'd memory.  ACHAN_ENOMEM if that fails. */
ACHAN_API int achan_chan_create(struct achan_chan **out, size_t elem_size,
		size_t capacity, unsigned flags);

/* achan_chan_fini(), then free.  ACHAN_EBUSY as for fini; ACHAN_EINVAL for
 * NULL or a channel made by achan_chan_init(). */
ACHAN_API int achan_chan_destroy(struct achan_chan *ch);

/*
 * Destructor run at fini/destroy on each value still inside (elem points at
 * the value; arg is passed through).  NULL removes it.  Call before the
 * channel is shared.  ACHAN_EINVAL on a NULL channel.
 */
ACHAN_API int achan_chan_set_elem_dtor(struct achan_chan *ch,
		void (*dtor)(void *elem, void *arg), void *arg);

/* --- blocking and non-blocking operations ---------------------------------- */

/*
 * Send a copy of *value (elem_size bytes).  Waits while the buffer is full
 * (unbuffered: until a receiver takes the value).  Returns ACHAN_OK, or
 * ACHAN_CLOSED (the value stays with the caller); ACHAN_EDEADLK instead of
 * waiting on a local channel.  May block; any thread.
 */
ACHAN_API int achan_chan_send(struct achan_chan *ch, const void *value);

/*
 * As achan_chan_send(), giving up at the absolute CLOCK_MONOTONIC time
 * *deadline with ACHAN_TIMEDOUT (value stays with the caller).  A send that
 * can complete at once completes even if the deadline has passed.
 */
ACHAN_API int achan_chan_send_until(struct achan_chan *ch, const void *value,
		const struct timespec *deadline);

/*
 * Never waits for room.  ACHAN_OK, ACHAN_FULL (no room, older senders
 * waiting, or unbuffered with no receiver waiting), or ACHAN_CLOSED.  A
 * receive caught vacating the slot has committed: the send waits out those
 * few instructions (longer only if that thread is preempted).
 */
ACHAN_API int achan_chan_try_send(struct achan_chan *ch, const void *value);

/*
 * Receive into *out (elem_size bytes): the oldest buffered value, else a
 * waiting sender's value; waits while there is none.  Returns ACHAN_OK, or
 * ACHAN_CLOSED once the channel is closed and drained; ACHAN_EDEADLK instead
 * of waiting on a local channel.  May block.
 */
ACHAN_API int achan_chan_recv(struct achan_chan *ch, void *out);

/* As achan_chan_recv(), with an absolute deadline (ACHAN_TIMEDOUT). */
ACHAN_API int achan_chan_recv_until(struct achan_chan *ch, void *out,
		const struct timespec *deadline);

/* Never waits for a value.  ACHAN_OK, ACHAN_EMPTY, or ACHAN_CLOSED (closed
 * and drained).  A send caught copying its value in has committed: the
 * receive waits out those few instructions and takes it (so try_recv is
 * linearizable: never EMPTY after a send has returned). */
ACHAN_API int achan_chan_try_recv(struct achan_chan *ch, void *out);

/*
 * Close: later sends fail, pending sends fail (values back to their callers),
 * receivers drain what is buffered, then get ACHAN_CLOSED.  Wakes every
 * waiter, oldest first.  ACHAN_NEWLY_CLOSED or ACHAN_ALREADY_CLOSED.
 * Never blocks (it may spin briefly on an internal lock).
 */
ACHAN_API int achan_chan_close(struct achan_chan *ch);

/* --- batches (issue 16: the forms that never wait) -------------------------- */

/*
 * A batch is the same single operations, in order, by one thread: per-
 * producer FIFO holds within and across batches, other producers' values
 * may fall between the values of one batch, and every value moves exactly
 * once.  On a bounded channel a batch claims every consecutive slot that is
 * ready with one CAS of the ring's counter and wakes at most one waiting
 * receiver (or serves waiting senders) per value moved, with one lock for
 * all of them; on an unbuffered channel it is one rendezvous per value.
 * Values lie elem_size bytes apart (a plain array); with elem_size 0 the
 * array pointers may be NULL.  n (or max) 0 answers ACHAN_OK with nothing
 * moved, even on a closed channel.  ACHAN_EINVAL (nothing moved) for a NULL
 * array with n > 0 and elem_size > 0, a NULL count pointer, or n above
 * ACHAN_CHAN_MAX_BATCH.  Partial results are never rolled back.
 */
#define ACHAN_CHAN_MAX_BATCH ((size_t)1 << 28)

/*
 * Send as many of values[0..n) as fit now, in order, without waiting.
 * ACHAN_OK if at least one went in, ACHAN_FULL if none (no room, or older
 * senders wait), ACHAN_CLOSED if none and the channel is closed; *sent says
 * how many went in (the rest stay with the caller).
 */
ACHAN_API int achan_chan_try_send_many(struct achan_chan *ch,
		const void *values, size_t n, size_t *sent);

/*
 * All of values[0..n) or none (DPDK's bulk): ACHAN_OK, ACHAN_FULL (fewer
 * than n slots free now, or older senders wait; always for n above the
 * capacity, and on an unbuffered channel unless n receivers wait), or
 * ACHAN_CLOSED.
 */
ACHAN_API int achan_chan_try_send_all(struct achan_chan *ch,
		const void *values, size_t n);

/*
 * Take up to max values into out[0..max), oldest first, without waiting:
 * ACHAN_OK with *got >= 1, ACHAN_EMPTY (nothing to take), or ACHAN_CLOSED
 * (closed and drained).
 */
ACHAN_API int achan_chan_try_recv_many(struct achan_chan *ch, void *out,
		size_t max, size_t *got);

/*
 * Send all of values[0..n), in order, waiting while the buffer is full:
 * ACHAN_OK (all went in), ACHAN_CLOSED (the channel closed first), or
 * ACHAN_EDEADLK instead of waiting on a local channel; *sent says how many
 * went in (the rest stay with the caller).  A waiting batch sender keeps
 * its place among the waiting senders until its last value is in: the
 * room receives free goes to it value by value, before younger senders.
 * On an unbuffered channel each value is one rendezvous, the batch keeping
 * its place the same way.  May block.
 */
ACHAN_API int achan_chan_send_many(struct achan_chan *ch, const void *values,
		size_t n, size_t *sent);

/* As achan_chan_send_many(), giving up at the absolute CLOCK_MONOTONIC
 * *deadline with ACHAN_TIMEDOUT (*sent says how many went in). */
ACHAN_API int achan_chan_send_many_until(struct achan_chan *ch,
		const void *values, size_t n, const struct timespec *deadline,
		size_t *sent);

/*
 * Wait until at least one value is there, then take up to max at once
 * (it never waits to fill the batch): ACHAN_OK with *got >= 1, ACHAN_CLOSED
 * (closed and drained), or ACHAN_EDEADLK instead of waiting on a local
 * channel.  On an unbuffered channel it takes what waiting senders offer,
 * one rendezvous each, or waits for one.  May block.
 */
ACHAN_API int achan_chan_recv_many(struct achan_chan *ch, void *out,
		size_t max, size_t *got);

/* As achan_chan_recv_many(), with an absolute deadline (ACHAN_TIMEDOUT,
 * *got 0). */
ACHAN_API int achan_chan_recv_many_until(struct achan_chan *ch, void *out,
		size_t max, const struct timespec *deadline, size_t *got);

/* Values buffered now (a snapshot; 0 for unbuffered channels and NULL). */
ACHAN_API size_t achan_chan_len(const struct achan_chan *ch);
/* The capacity given at creation (0 for NULL). */
ACHAN_API size_t achan_chan_capacity(const struct achan_chan *ch);
/* The elem_size given at creation (0 for NULL). */
ACHAN_API size_t achan_chan_elem_size(const struct achan_chan *ch);
/* 1 once closed, else 0.  A NULL channel answers 1. */
ACHAN_API int achan_chan_is_closed(const struct achan_chan *ch);

/* --- async futures ---------------------------------------------------------- */

/*
 * Caller-owned futures: the future *is* the wait-queue node, so waiting
 * allocates nothing.  Fields are private.
 *
 *   poll:   ACHAN_OK (done), ACHAN_PENDING (registered; `waker` will be called
 *           when progress may be possible - poll again then), ACHAN_CLOSED, or
 *           ACHAN_EINVAL (NULL future, NULL waker or waker->wake, a torn-down
 *           channel, or a future that already finished: poll returned OK /
 *           CLOSED, or it was cancelled).  The waker struct is copied; it
 *           need not outlive the call.
 *           Polling a registered future re-attempts the operation; if it still
 *           cannot complete it keeps its place in the queue and only the
 *           waker is replaced.
 *   cancel: may be called at any time and must be called before the memory
 *           of a registered future is reused.  Returns ACHAN_OK if the
 *           operation had completed first (send: the value was transferred;
 *           receive: a value was written to `out` and belongs to the caller),
 *           else ACHAN_CANCELLED.  A wakeup the future had received but not
 *           yet acted on is handed to the next waiter.  On a finished future
 *           cancel changes nothing and answers again: ACHAN_OK if it had
 *           completed with OK, ACHAN_CANCELLED otherwise (CLOSED, or an
 *           earlier cancel).  A future initialised but never polled
 *           answers ACHAN_CANCELLED.
 *
 * After poll returns OK/CLOSED or cancel returns, no call of the future's
 * waker is running or will run.  A waker must not poll or cancel its own
 * future from inside the wake call (that answers ACHAN_EINVAL: the
 * handshake would wait for itself); schedule the task and poll it after.
 */
struct achan_chan_send_future {
	struct achan__waiter _w;
	struct achan_chan *_ch;
	const void *_value;
};

struct achan_chan_recv_future {
	struct achan__waiter _w;
	struct achan_chan *_ch;
	void *_out;
};

/*
 * Batch futures, with the contract above, and a count: poll and cancel
 * store in *count how many values have moved so far (a send: went in; a
 * receive: were written to out[0..]).  A send-many future answers ACHAN_OK
 * once all n went in, ACHAN_CLOSED if the channel closed first (the rest
 * stay with the caller); while PENDING it keeps its place among the waiting
 * senders, and values may go in on its behalf.  Its cancel answers ACHAN_OK
 * if all had gone in, else ACHAN_CANCELLED with the count of those that
 * did.  A receive-many future answers ACHAN_OK with >= 1 value (up to max),
 * ACHAN_CLOSED, or ACHAN_PENDING; its cancel answers ACHAN_OK only if
 * values had been written into it (an unbuffered channel's sender meeting
 * it), else ACHAN_CANCELLED with 0.  Their first fields are those of the
 * single futures (the waiting node, the channel, the next value).
 */
struct achan_chan_send_many_future {
	struct achan__waiter _w;
	struct achan_chan *_ch;
	const void *_value;	/* the next value to go in */
	const void *_values;
	size_t _n;
	size_t _sent;
};

struct achan_chan_recv_many_future {
	struct achan__waiter _w;
	struct achan_chan *_ch;
	void *_out;		/* where the next value goes */
	void *_outs;
	size_t _max;
	size_t _got;
};

/* Prepare (ACHAN_EINVAL as for the batch try forms, or a NULL future);
 * cheap, registers nothing. */
ACHAN_API int achan_chan_send_many_future_init(
		struct achan_chan_send_many_future *f, struct achan_chan *ch,
		const void *values, size_t n);
ACHAN_API int achan_chan_send_many_poll(struct achan_chan_send_many_future *f,
		const struct achan_waker *waker, size_t *sent);
ACHAN_API int achan_chan_send_many_cancel(
		struct achan_chan_send_many_future *f, size_t *sent);
ACHAN_API int achan_chan_recv_many_future_init(
		struct achan_chan_recv_many_future *f, struct achan_chan *ch,
		void *out, size_t max);
ACHAN_API int achan_chan_recv_many_poll(struct achan_chan_recv_many_future *f,
		const struct achan_waker *waker, size_t *got);
ACHAN_API int achan_chan_recv_many_cancel(
		struct achan_chan_recv_many_future *f, size_t *got);

/*
 * Prepare a send of *value (which must stay valid and unchanged until the
 * future finishes or is cancelled).  ACHAN_EINVAL on NULL f/ch, or NULL value
 * with elem_size > 0.  Cheap; registers nothing.
 */
ACHAN_API int achan_chan_send_future_init(struct achan_chan_send_future *f,
		struct achan_chan *ch, const void *value);
ACHAN_API int achan_chan_send_poll(struct achan_chan_send_future *f,
		const struct achan_waker *waker);
ACHAN_API int achan_chan_send_cancel(struct achan_chan_send_future *f);

/* Prepare a receive into *out (valid until the future finishes or is cancelled). */
ACHAN_API int achan_chan_recv_future_init(struct achan_chan_recv_future *f,
		struct achan_chan *ch, void *out);
ACHAN_API int achan_chan_recv_poll(struct achan_chan_recv_future *f,
		const struct achan_waker *waker);
ACHAN_API int achan_chan_recv_cancel(struct achan_chan_recv_future *f);

/* --- shared sender / receiver handles -------------------------------------- */

/*
 * A channel made as a pair of handles.  Handles are small values: clone one
 * into another variable to get a new counted owner, release it when done
 * (release clears it, so releasing the same variable twice answers
 * ACHAN_EINVAL).  Plain struct assignment does not clone;
 * it moves: a copy may be used (and released) instead of the original, as
 * long as only one of them ever is.
 *
 *   - releasing the last sender closes the channel: receivers drain what is
 *     buffered, then get ACHAN_CLOSED;
 *   - releasing the last receiver closes it and discards what is buffered,
 *     running the element destructor on each value;
 *   - registered futures keep the memory alive but are not senders or
 *     receivers: a future that outlives its handles observes the close;
 *   - the memory is freed when the last handle and the last registered
 *     future are gone (never call destroy/fini on it: ACHAN_EINVAL).
 *
 * Operate on the channel through achan_chan_sender_chan() /
 * achan_chan_receiver_chan(), valid while you hold that handle (or a
 * registered future).  Clone and release may be called from any thread,
 * concurrently with everything else; each handle variable is used by one
 * thread at a time.  The last release happens-after every other release.
 */
struct achan_chan_sender {
	struct achan_chan *_ch;
};

struct achan_chan_receiver {
	struct achan_chan *_ch;
};

/*
 * Create a channel (as achan_chan_create) and its first sender and receiver
 * handles.  ACHAN_OK, ACHAN_EINVAL, ACHAN_ENOMEM (handles left cleared).
 * To add an element destructor, call achan_chan_set_elem_dtor() on
 * achan_chan_sender_chan(tx) before sharing the handles.
 */
ACHAN_API int achan_chan_pair(struct achan_chan_sender *tx,
		struct achan_chan_receiver *rx, size_t elem_size, size_t capacity,
		unsigned flags);

/* Count one more owner into *out.  ACHAN_EINVAL if the source is released. */
ACHAN_API int achan_chan_sender_clone(const struct achan_chan_sender *tx,
		struct achan_chan_sender *out);
ACHAN_API int achan_chan_receiver_clone(const struct achan_chan_receiver *rx,
		struct achan_chan_receiver *out);

/*
 * Drop this owner and clear the handle.  The last sender closes the channel;
 * the last receiver closes it and discards its values; the last reference
 * frees it.  Never blocks (a discard may wait out a send in flight for a
 * few instructions).  ACHAN_EINVAL on a cleared handle.
 */
ACHAN_API int achan_chan_sender_release(struct achan_chan_sender *tx);
ACHAN_API int achan_chan_receiver_release(struct achan_chan_receiver *rx);

/* The channel behind a handle (NULL once released). */
ACHAN_API struct achan_chan *achan_chan_sender_chan(
		const struct achan_chan_sender *tx);
ACHAN_API struct achan_chan *achan_chan_receiver_chan(
		const struct achan_chan_receiver *rx);

/* --- stream receive ----------------------------------------------------------- */

/*
 * A reusable receive loop: yields values until the channel is closed and
 * drained, then answers ACHAN_CLOSED on every later call (fused).  Usable
 * from both sides: poll it with a waker (async), or call next (blocking).
 * Caller-owned; nothing is allocated.  One thread at a time per stream.
 */
struct achan_chan_stream {
	struct achan_chan_recv_future _f;
	struct achan_chan *_ch;
	void *_out;
	uint32_t _state;
};

/* Prepare a stream over ch, writing each value to *out.  ACHAN_EINVAL on NULL. */
ACHAN_API int achan_chan_stream_init(struct achan_chan_stream *s,
		struct achan_chan *ch, void *out);

/*
 * Async: ACHAN_OK (the next value is in *out; poll again for the one after),
 * ACHAN_PENDING (the waker will be called), ACHAN_CLOSED (closed and
 * drained; every later call answers the same), ACHAN_EINVAL.
 */
ACHAN_API int achan_chan_stream_poll(struct achan_chan_stream *s,
		const struct achan_waker *waker);

/*
 * Blocking: ACHAN_OK (next value in *out) or ACHAN_CLOSED (fused); on a
 * local channel ACHAN_EDEADLK instead of waiting.  A receive left pending by
 * stream_poll is cancelled first (a value it had already got is returned).
 */
ACHAN_API int achan_chan_stream_next(struct achan_chan_stream *s);

/* As achan_chan_stream_next, with an absolute deadline (ACHAN_TIMEDOUT). */
ACHAN_API int achan_chan_stream_next_until(struct achan_chan_stream *s,
		const struct timespec *deadline);

/*
 * Cancel a pending receive: ACHAN_OK if a value had arrived first (it is in
 * *out), else ACHAN_CANCELLED.  The stream stays usable; call it before the
 * stream's memory is reused.
 */
ACHAN_API int achan_chan_stream_cancel(struct achan_chan_stream *s);

#ifdef __cplusplus
}
#endif

#endif /* ACHAN_CHAN_H */
