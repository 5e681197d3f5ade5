/*
 * fault.h - internal only: test-only fault-injection hooks.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Every await and slow-path point of every kind carries one hook line:
 *
 *	ACHAN__FAULT(ACHAN__FP_CHAN_RECV_REGISTERED, w);
 *	ACHAN__FAULT_IF(cond, ACHAN__FP_ONCE_RECV_REPOLL, w);
 *	if (ACHAN__FAULT_ALLOC(ACHAN__FP_CHAN_CREATE)) return ACHAN_ENOMEM;
 *
 * In the library (and every normal build) ACHAN_FAULT_INJECTION is not
 * defined: the first two expand to ((void)0) and the third to 0, so no
 * code, no symbol and no branch remains (stress/nofault.sh checks the
 * built libachan for any "fault" symbol).  The fault-injection test
 * (t/fault_inject.c, built by stress/local.mk) compiles the library's
 * sources again with -DACHAN_FAULT_INJECTION into its own binary and
 * defines the two functions declared below; at each hook it may close the
 * object, release a handle, ask a future's owner to cancel, or make the
 * allocation fail, and it counts which points were reached.
 *
 * The second argument is what the hook knows at that point: the object's
 * struct achan__object, or the waiter (struct achan__waiter) whose
 * operation is in flight (ACHAN__FF_WAITER says which).
 *
 * The table below is the one list of points.  For each: the kinds whose
 * operations reach it (ACHAN__FK_*), and what the hooking thread holds
 * there (ACHAN__FF_*), which tells the test which actions it may take on
 * that very thread.  Adding a hook line means adding a row here.
 */
#ifndef ACHAN_LIB_FAULT_H
#define ACHAN_LIB_FAULT_H

/* The kinds whose scenarios reach a point. */
#define ACHAN__FK_CHAN   0x01u	/* bounded channel (capacity >= 1) */
#define ACHAN__FK_UNBUF  0x02u	/* unbuffered channel (capacity 0) */
#define ACHAN__FK_ONCE   0x04u	/* oneshot */
#define ACHAN__FK_BCAST  0x08u	/* oneshot broadcast */
#define ACHAN__FK_STATE  0x10u	/* state broadcast */
#define ACHAN__FK_ANYCHAN (ACHAN__FK_CHAN | ACHAN__FK_UNBUF)
#define ACHAN__FK_ANYONCE (ACHAN__FK_ONCE | ACHAN__FK_BCAST)
#define ACHAN__FK_ALL    0x1fu

/*
 * What holds at a point:
 *   LOCKED    the hooking thread holds a waiter-queue lock
 *   INFLIGHT  it has an operation in flight that others wait out
 *   ALLOC     an ACHAN__FAULT_ALLOC point: the allocation may be failed
 *   NOOBJ     the object does not exist yet (create)
 *   WAITER    the argument is a struct achan__waiter, else the object
 *   SEND      on the sending side (the opposite role is the receiver)
 *   RECV      on the receiving side (the opposite role is the sender)
 */
#define ACHAN__FF_LOCKED   0x01u
#define ACHAN__FF_INFLIGHT 0x02u
#define ACHAN__FF_ALLOC    0x04u
#define ACHAN__FF_NOOBJ    0x08u
#define ACHAN__FF_WAITER   0x10u
#define ACHAN__FF_SEND     0x20u
#define ACHAN__FF_RECV     0x40u

/* X(name, kinds, flags, where) */
#define ACHAN__FAULT_POINTS(X) \
	/* waitq_impl.h and handle.c: every kind */ \
	X(WAITQ_WAKE, ACHAN__FK_ALL, ACHAN__FF_WAITER, \
	    "wake path: a claimed waiter, before its waker is called") \
	X(WAITQ_CANCEL, ACHAN__FK_ALL, ACHAN__FF_WAITER, \
	    "cancel of a registered future, before it looks at its state") \
	X(WAITQ_HANDON, ACHAN__FK_CHAN, ACHAN__FF_WAITER, \
	    "cancel of a woken, unpolled future, before it hands the wake on") \
	X(HANDLE_RELEASE, ACHAN__FK_ALL, 0, \
	    "handle release: role count dropped, before the last-handle hook") \
	/* chan_impl.h, bounded */ \
	X(CHAN_SEND_REGISTER, ACHAN__FK_CHAN, \
	    ACHAN__FF_WAITER | ACHAN__FF_SEND, \
	    "send found the ring full, before it locks to register") \
	X(CHAN_SEND_REGISTERED, ACHAN__FK_CHAN, \
	    ACHAN__FF_WAITER | ACHAN__FF_SEND | ACHAN__FF_LOCKED, \
	    "send queued (nwaiting raised), before the re-check") \
	X(CHAN_SEND_PENDING, ACHAN__FK_CHAN, \
	    ACHAN__FF_WAITER | ACHAN__FF_SEND, \
	    "send registered, unlocked, before PENDING (the caller parks)") \
	X(CHAN_SEND_REPOLL, ACHAN__FK_CHAN, ACHAN__FF_WAITER | ACHAN__FF_SEND, \
	    "registered send polled again (after a wake), before settling") \
	X(CHAN_RECV_REGISTER, ACHAN__FK_CHAN, \
	    ACHAN__FF_WAITER | ACHAN__FF_RECV, \
	    "receive found the ring empty, before it locks to register") \
	X(CHAN_RECV_REGISTERED, ACHAN__FK_CHAN, \
	    ACHAN__FF_WAITER | ACHAN__FF_RECV | ACHAN__FF_LOCKED, \
	    "receive queued (nwaiting raised), before the re-check") \
	X(CHAN_RECV_PENDING, ACHAN__FK_CHAN, \
	    ACHAN__FF_WAITER | ACHAN__FF_RECV, \
	    "receive registered, unlocked, before PENDING (the caller parks)") \
	X(CHAN_RECV_REPOLL, ACHAN__FK_CHAN, ACHAN__FF_WAITER | ACHAN__FF_RECV, \
	    "registered receive polled again (after a wake), before settling") \
	X(CHAN_SERVE, ACHAN__FK_CHAN, ACHAN__FF_RECV, \
	    "a receive moved waiting senders' values in, before waking them") \
	/* chan_impl.h, unbuffered */ \
	X(UNBUF_MEET, ACHAN__FK_UNBUF, ACHAN__FF_WAITER, \
	    "unbuffered poll, before it locks to meet a partner or register") \
	X(UNBUF_REGISTERED, ACHAN__FK_UNBUF, \
	    ACHAN__FF_WAITER | ACHAN__FF_LOCKED, \
	    "unbuffered future queued, before the lock is dropped") \
	X(UNBUF_PENDING, ACHAN__FK_UNBUF, ACHAN__FF_WAITER, \
	    "unbuffered future registered, lock dropped, before PENDING") \
	X(UNBUF_REPOLL, ACHAN__FK_UNBUF, ACHAN__FF_WAITER, \
	    "registered unbuffered future polled again, before it settles") \
	/* chan_impl.h / chan.c, both channel kinds */ \
	X(CHAN_CLOSE, ACHAN__FK_ANYCHAN, ACHAN__FF_SEND, \
	    "close: closed bit set, before the queues are claimed and woken") \
	X(CHAN_DISCARD, ACHAN__FK_ANYCHAN, ACHAN__FF_RECV, \
	    "last receiver released: closed, before the buffer is discarded") \
	X(CHAN_CREATE, ACHAN__FK_ANYCHAN, ACHAN__FF_ALLOC | ACHAN__FF_NOOBJ, \
	    "achan_chan_create (and pair): the channel's allocation") \
	/* oneshot_impl.h / oneshot.c, oneshot and broadcast */ \
	X(ONCE_SEND_WRITING, ACHAN__FK_ANYONCE, \
	    ACHAN__FF_SEND | ACHAN__FF_INFLIGHT, \
	    "send claimed the slot (WRITING), before it copies and publishes") \
	X(ONCE_WAKE_ALL, ACHAN__FK_ANYONCE, ACHAN__FF_SEND, \
	    "finaliser claimed the queue, before it clears WAITERS and wakes") \
	X(ONCE_RECV_REGISTER, ACHAN__FK_ANYONCE, \
	    ACHAN__FF_WAITER | ACHAN__FF_RECV, \
	    "receive found no value, before it locks to register") \
	X(ONCE_RECV_REGISTERED, ACHAN__FK_ANYONCE, \
	    ACHAN__FF_WAITER | ACHAN__FF_RECV | ACHAN__FF_LOCKED, \
	    "receive queued, before the WAITERS CAS (G1) re-checks the word") \
	X(ONCE_RECV_PENDING, ACHAN__FK_ANYONCE, \
	    ACHAN__FF_WAITER | ACHAN__FF_RECV, \
	    "receive registered, lock dropped, before PENDING") \
	X(ONCE_RECV_REPOLL, ACHAN__FK_ANYONCE, \
	    ACHAN__FF_WAITER | ACHAN__FF_RECV, \
	    "registered receive polled again (after a wake)") \
	X(ONCE_CLOSE, ACHAN__FK_ANYONCE, ACHAN__FF_SEND, \
	    "close: CLOSED set (C1), before the finaliser's wake") \
	X(ONCE_DISCARD, ACHAN__FK_ONCE, ACHAN__FF_RECV, \
	    "oneshot receiver released: closed, before the value is dropped") \
	X(ONCE_CREATE, ACHAN__FK_ANYONCE, ACHAN__FF_ALLOC | ACHAN__FF_NOOBJ, \
	    "achan_oneshot/bcast_create (and pair): the object's allocation") \
	/* state_impl.h / state.c */ \
	X(STATE_SNAP_ALLOC, ACHAN__FK_STATE, ACHAN__FF_ALLOC | ACHAN__FF_SEND, \
	    "send: the snapshot's allocation") \
	X(STATE_SEND_PUBLISHED, ACHAN__FK_STATE, ACHAN__FF_SEND, \
	    "send published its snapshot (S1), before retiring and waking") \
	X(STATE_RECV_REGISTER, ACHAN__FK_STATE, \
	    ACHAN__FF_WAITER | ACHAN__FF_RECV, \
	    "receive found nothing newer, before it locks to register") \
	X(STATE_RECV_REGISTERED, ACHAN__FK_STATE, \
	    ACHAN__FF_WAITER | ACHAN__FF_RECV | ACHAN__FF_LOCKED, \
	    "receive queued (nwaiting raised), before the re-check") \
	X(STATE_RECV_PENDING, ACHAN__FK_STATE, \
	    ACHAN__FF_WAITER | ACHAN__FF_RECV, \
	    "receive registered, lock dropped, before PENDING") \
	X(STATE_RECV_REPOLL, ACHAN__FK_STATE, \
	    ACHAN__FF_WAITER | ACHAN__FF_RECV, \
	    "registered receive polled again (after a wake), before settling") \
	X(STATE_CLOSE, ACHAN__FK_STATE, ACHAN__FF_SEND, \
	    "close: flag set (C1), before the waiters are woken") \
	X(STATE_CREATE, ACHAN__FK_STATE, ACHAN__FF_ALLOC | ACHAN__FF_NOOBJ, \
	    "achan_state_create (and pair): the object's allocation")

enum achan__fault_point {
#define ACHAN__FP_ENUM_(name, kinds, flags, where) ACHAN__FP_##name,
	ACHAN__FAULT_POINTS(ACHAN__FP_ENUM_)
#undef ACHAN__FP_ENUM_
	ACHAN__FP_COUNT
};

#ifdef ACHAN_FAULT_INJECTION

/* Defined by the test program, never by the library. */
void achan__fault(int point, const void *arg);
/* Nonzero: the allocation at this point fails (ACHAN_ENOMEM). */
int achan__fault_alloc(int point);

#define ACHAN__FAULT(point, arg) achan__fault((point), (arg))
#define ACHAN__FAULT_IF(cond, point, arg) \
	((cond) ? achan__fault((point), (arg)) : (void)0)
#define ACHAN__FAULT_ALLOC(point) achan__fault_alloc(point)

#else

#define ACHAN__FAULT(point, arg) ((void)0)
#define ACHAN__FAULT_IF(cond, point, arg) ((void)0)
#define ACHAN__FAULT_ALLOC(point) 0

#endif /* ACHAN_FAULT_INJECTION */

/*
 * Timing hooks: points where a test stalls the calling thread, to open a
 * race window on purpose and make an interleaving deterministic (issue 14:
 * the C2 reproducer, the C3 stalled peers).  They act on nothing; the test
 * decides per thread whether, and how long, a thread waits there.  Like the
 * fault hooks they exist only in a test's own build of the sources, here
 * t/chan_timing's (-DACHAN_TIMING_HOOKS); elsewhere the line is ((void)0)
 * and stress/nofault.sh finds no achan__fault_stall in the library.
 *
 * X(name, where)
 */
#define ACHAN__STALL_POINTS(X) \
	X(RING_PUSH_TAIL, "push read the tail word, before the slot's stamp") \
	X(RING_PUSH_FILL, "push claimed its slot (S1), before the copy and R1") \
	X(RING_TAKE_COPY, "take claimed its value (S2), before the copy and R2") \
	X(CHAN_SERVE, "a take saw senders waiting (D2), before serving them") \
	X(CHAN_RECV_REGISTER, "a receive future found nothing, before it registers") \
	X(PARK_TIMEDOUT, "a blocking call's park timed out, before its last look")

enum achan__stall_point {
#define ACHAN__SP_ENUM_(name, where) ACHAN__SP_##name,
	ACHAN__STALL_POINTS(ACHAN__SP_ENUM_)
#undef ACHAN__SP_ENUM_
	ACHAN__SP_COUNT
};

#ifdef ACHAN_TIMING_HOOKS
/* Defined by the test program, never by the library. */
void achan__fault_stall(int point, const void *arg);
#define ACHAN__STALL(point, arg) achan__fault_stall((point), (arg))
#else
#define ACHAN__STALL(point, arg) ((void)0)
#endif

#endif /* ACHAN_LIB_FAULT_H */
