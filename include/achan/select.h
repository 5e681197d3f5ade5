/*
 * achan/select.h - wait on several operations at once: channel sends and
 * receives, oneshot and broadcast receives, state receives, and deadlines.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A select is given an array of cases, one operation each.  Exactly one
 * case completes, exactly as its plain call would have done it (the value
 * moved; status ACHAN_OK, or ACHAN_CLOSED for a closed object), and every
 * other case leaves no trace: nothing is taken from or put into its object,
 * no wakeup it consumed is lost (it is handed on), and the queue places of
 * other waiters do not change.  A case whose plain call would answer
 * ACHAN_CLOSED counts as ready: a select over a closed channel completes
 * with that case.
 *
 *   struct achan_select_case c[3];
 *   size_t i;
 *
 *   achan_select_case_chan_recv(&c[0], shutdown, NULL);
 *   achan_select_case_chan_recv(&c[1], jobs, &job);
 *   achan_select_case_chan_send(&c[2], results, &result);
 *   r = achan_select_until(c, 3, ACHAN_SELECT_BIASED, &deadline, &i);
 *   // r: c[i]'s status (ACHAN_OK / ACHAN_CLOSED), or ACHAN_TIMEDOUT
 *
 * Which ready case wins: by default the first case looked at is chosen at
 * random and the others follow in array order (wrapping), so with k cases
 * always ready each wins 1/k of the time (no starvation; Go's select).  With
 * ACHAN_SELECT_BIASED the cases are looked at in array order: when the
 * readiness of the cases does not change during the call, the earliest
 * ready case wins (crossbeam's select_biased: shutdown before work).
 *
 * A select never completes against itself: its send and receive cases on
 * one unbuffered channel never meet each other.  Otherwise a waiting select
 * is a waiting party like any other: on an unbuffered channel another
 * thread's try_send can fill its receive case and try_recv take its send
 * case, and a waiting send case on a full bounded channel keeps its place
 * in the FIFO of waiting senders (the room a receive frees goes to the
 * oldest waiter; a select that has completed elsewhere passes it on).
 * While its owner polls it (a poll or re-poll of the future, or the
 * blocking form looking again after a wake), a select is not waiting:
 * others pass its cases over - a receive may serve the sender behind its
 * send case, a try_send may answer FULL - and it looks at every case
 * again before it answers PENDING.  Its queue places stay.
 *
 * A select is cheap when a case is ready: the cases are tried in turn with
 * their try operation, and nothing is registered.  Only when none is ready
 * does each case register, like a future, on its object; from then on,
 * anything that would complete a case on the select's behalf (a receiver
 * moving a waiting send case's value into the ring, a partner meeting a
 * case on an unbuffered channel) must first win the select's one claim
 * word (Go's selectDone, crossbeam's Context::try_select).
 *
 * Objects of one select are all thread-safe or all ACHAN_LOCAL (EINVAL if
 * mixed).  On local objects the blocking forms answer ACHAN_EDEADLK where
 * they would wait; the future is how an event loop waits.
 *
 * Thread safety: the objects may be used by any thread while a select waits
 * on them.  A case array belongs to one select at a time; it may be reused
 * for the next select once the previous one returned (or its future
 * finished or was cancelled).  Until then a send case's *value and a
 * receive case's *out (and a state case's *id) must stay valid.
 */
#ifndef ACHAN_SELECT_H
#define ACHAN_SELECT_H

#include <achan/common.h>
#include <achan/chan.h>
#include <achan/oneshot.h>
#include <achan/bcast.h>
#include <achan/state.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a case does.  New kinds are appended. */
enum achan_select_kind {
	ACHAN_SELECT_NONE = 0,          /* never fires (Go's nil channel) */
	ACHAN_SELECT_CHAN_SEND = 1,     /* achan_chan_send(obj, value) */
	ACHAN_SELECT_CHAN_RECV = 2,     /* achan_chan_recv(obj, out) */
	ACHAN_SELECT_ONESHOT_RECV = 3,  /* achan_oneshot_recv(obj, out) */
	ACHAN_SELECT_BCAST_RECV = 4,    /* achan_bcast_recv(obj, out) */
	ACHAN_SELECT_STATE_RECV = 5     /* achan_state_recv(obj, after, out, id) */
};

/* Flags of every select call.  New flags are appended. */
#define ACHAN_SELECT_BIASED 0x1u  /* earliest ready case wins (default: random start) */

/* The most cases one select takes (ACHAN_EINVAL above it). */
#define ACHAN_SELECT_MAX_CASES 4096

struct achan_select;

/*
 * One case.  Set the public fields with the helpers below (or by hand:
 * `kind` and `obj`, then what the kind uses).  The private part is what a
 * waiting case needs (a future of the case's kind): no allocation to wait,
 * and the size of this struct is part of the ABI.
 */
struct achan_select_case {
	uint32_t kind;        /* enum achan_select_kind */
	uint32_t _reserved;
	void *obj;            /* the channel / oneshot / broadcast / state */
	const void *value;    /* CHAN_SEND: elem_size bytes to send */
	void *out;            /* receives: where the value goes (may be NULL
	                       * where the plain receive allows it) */
	uint64_t after;       /* STATE_RECV: a state newer than this id */
	uint64_t *id;         /* STATE_RECV: the state's id (may be NULL) */
	/* --- private ------------------------------------------------------- */
	struct achan_select *_sel;
	union {
		struct achan_chan_send_future send;
		struct achan_chan_recv_future recv;
		struct achan_oneshot_recv_future oneshot;
		struct achan_bcast_recv_future bcast;
		struct achan_state_recv_future state;
	} _f;
};

/* Case helpers: fill *c (ACHAN_OK), or ACHAN_EINVAL for a NULL c.  The
 * object and buffers are checked by the select that uses the case.  A case
 * set by hand needs only its public fields (`obj` and the rest are ignored
 * for ACHAN_SELECT_NONE); the private part is set up by each select. */
ACHAN_API int achan_select_case_none(struct achan_select_case *c);
ACHAN_API int achan_select_case_chan_send(struct achan_select_case *c,
		struct achan_chan *ch, const void *value);
ACHAN_API int achan_select_case_chan_recv(struct achan_select_case *c,
		struct achan_chan *ch, void *out);
ACHAN_API int achan_select_case_oneshot_recv(struct achan_select_case *c,
		struct achan_oneshot *os, void *out);
ACHAN_API int achan_select_case_bcast_recv(struct achan_select_case *c,
		struct achan_bcast *b, void *out);
ACHAN_API int achan_select_case_state_recv(struct achan_select_case *c,
		struct achan_state *st, uint64_t after, void *out, uint64_t *id);

/*
 * Results of every form: c[*index]'s status - ACHAN_OK, or ACHAN_CLOSED (its
 * object is closed: for a receive, closed and drained) - or, for the select
 * as a whole, without touching *index:
 *   ACHAN_EMPTY     achan_select_try: no case is ready;
 *   ACHAN_TIMEDOUT  achan_select_until: the deadline passed first;
 *   ACHAN_EDEADLK   achan_select: no case is enabled (all ACHAN_SELECT_NONE,
 *                   or n == 0), so it would wait forever; local objects:
 *                   nothing is ready (every blocking form);
 *   ACHAN_EINVAL    bad input, refused as a whole before any case is tried:
 *                   NULL cases with n > 0, n > ACHAN_SELECT_MAX_CASES, NULL
 *                   index, an unknown kind or flag, a NULL or torn-down
 *                   object, a NULL value / out where the plain call needs
 *                   one, thread-safe and local objects mixed, a deadline
 *                   that is NULL or not normalised.
 * index may not point into a case or into a buffer a case writes; poll and
 * cancel need it too (ACHAN_EINVAL if NULL).  With no enabled case,
 * achan_select_until sleeps until the deadline, whatever the flavour.
 * Ordering: the completed case orders memory as its plain call does.
 */

/* Wait until a case completes.  May block; any thread. */
ACHAN_API int achan_select(struct achan_select_case *cases, size_t n,
		unsigned flags, size_t *index);

/* As achan_select(), giving up at the absolute CLOCK_MONOTONIC time
 * *deadline (ACHAN_TIMEDOUT; no case completed).  A case that is ready
 * completes even if the deadline has passed.  With no enabled case it
 * sleeps until the deadline. */
ACHAN_API int achan_select_until(struct achan_select_case *cases, size_t n,
		unsigned flags, const struct timespec *deadline, size_t *index);

/* Never waits: a ready case completes, else ACHAN_EMPTY. */
ACHAN_API int achan_select_try(struct achan_select_case *cases, size_t n,
		unsigned flags, size_t *index);

/* --- the select future ------------------------------------------------------ */

/*
 * A caller-owned select future over a case array, with the contract of
 * every achan future (achan/common.h):
 *   init:   checks everything (ACHAN_EINVAL as above); registers nothing.
 *   poll:   ACHAN_OK / ACHAN_CLOSED with *index (c[*index] completed), or
 *           ACHAN_PENDING: every enabled case is registered on its object
 *           and the waker will be called (at most once per PENDING) when
 *           one may have become ready; poll again then.  A re-poll keeps
 *           the queue places of the cases.  ACHAN_EINVAL after it finished,
 *           or from inside its own waker.
 *   cancel: may be called at any time; must be called before the memory of
 *           a pending select (or of its cases) is reused.  ACHAN_OK with
 *           *index if a case had completed with ACHAN_OK - by a poll, or on
 *           the select's behalf by another thread just before the cancel
 *           took effect (the value has moved) - else ACHAN_CANCELLED: no
 *           case completed, or the select finished with ACHAN_CLOSED (as
 *           every kind's cancel answers), and every wakeup a case consumed
 *           is handed on.  ACHAN_EINVAL from inside its own poll or wake.
 * A select with no enabled case (n == 0, or only ACHAN_SELECT_NONE) polls
 * ACHAN_PENDING and is never woken.
 * A registered select counts as registered on each of its objects: their
 * fini/destroy answer ACHAN_EBUSY until it finishes or is cancelled.
 * After poll returns OK/CLOSED, or cancel returns, the waker is not running
 * and will not run again.
 */
struct achan_select {
	struct achan_select_case *_cases;
	uint32_t _n;
	uint32_t _flags;
	uint32_t _claim;      /* atomic: open / polling / won by a case */
	uint32_t _woken;      /* armed / fired / polling / woken while polled */
	uint32_t _lock;       /* guards _waker and _woken */
	uint32_t _phase;      /* fresh / registered / finished */
	uint32_t _local;      /* the objects are ACHAN_LOCAL */
	uint32_t _index;      /* the completed case, once finished */
	int _result;
	uint32_t _reserved;
	struct achan_waker _waker;
	struct achan_select *_outer;  /* selects this thread is polling */
};

ACHAN_API int achan_select_init(struct achan_select *sel,
		struct achan_select_case *cases, size_t n, unsigned flags);
ACHAN_API int achan_select_poll(struct achan_select *sel,
		const struct achan_waker *waker, size_t *index);
ACHAN_API int achan_select_cancel(struct achan_select *sel, size_t *index);

#ifdef __cplusplus
}
#endif

#endif /* ACHAN_SELECT_H */
