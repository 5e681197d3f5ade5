/*
 * model/handle_close.pml - releasing the last handle races close and a
 * registered future: close once, wake the waiter, free once, never touch
 * the object after the free.
 *
 * Abstracts lib/handle.c: achan__handle_release (the role count's CAS
 * loop; the last sender runs kind->last_sender, the last receiver
 * kind->last_receiver; then refs fetch_sub, and kind->free with the last
 * reference), lib/object.h (refs = live handles + registered futures),
 * lib/waitq_impl.h: achan__future_registered (a registration takes a
 * reference), achan__future_finish (drops it, and frees with the last one),
 * achan__future_cancel, achan__waiter_settle, achan__wakelist_run; and, as
 * the kind's hooks, lib/chan.c: chan_last_sender (achan_chan_close),
 * chan_last_receiver (chan_close_discard), chan_free, with lib/chan_impl.h:
 * chan_close (C1 fetch_or of the closed bit, claim both queues under their
 * locks, then wake) and bounded_recv_poll (register: lock, push, F2, look
 * again; registered: settle, re-look under the lock).
 *
 * Memory model: sequentially consistent.  Every count (role counts, refs,
 * nfutures) changes only by RMWs, the closed bit by an RMW, the queues under
 * their lock; the last-release and free decisions read the values their
 * own RMWs return.  The Dekker pattern of bounded channels (nwaiting
 * against a published slot, chan_recv_wakeup.pml) is not involved: nothing
 * is sent, and registration against close is ordered by the queue lock
 * (close sets the bit, then takes the lock; a registrant looks at the bit
 * under it).  So no argument here rests on a load passing an earlier store,
 * and store buffers (tso.pml) would add states, not behaviours that matter.
 *
 * Reduction: a load and a CAS retried until it succeeds on what was loaded
 * act at one point, so a role count's release is one step; by Lipton's
 * reduction a lock-protected block (lock, queue accesses, at most one other
 * shared access, unlock) is one step.  The registration block also takes
 * its reference (refs++): that commutes with every other change of refs
 * there, since the registrant still holds its handle's reference and no
 * decrement can reach 0 meanwhile.
 *
 * Configuration: a bounded channel made as a pair, the sender cloned once
 * and the receiver cloned once: 2 sender handles, each released by its own
 * thread; a closer thread holding receiver clone rx2 that may call
 * achan_chan_close, then releases rx2; and the owner of receiver handle rx1,
 * which polls a receive future on the empty channel (registering it unless
 * the channel is closed already), may release rx1 while the future waits
 * (the future outlives its handle), then waits for the wake and polls, or
 * polls once without a wake, or cancels; and releases rx1 last if it still
 * holds it.  Nothing is sent: every wake is close's.
 *
 * Properties:
 *   - close returns NEWLY_CLOSED exactly once; the last-sender and the
 *     last-receiver hooks each run exactly once;
 *   - the object is freed exactly once, only when no handle and no
 *     registered future is left, and no one (release, hook, close, future
 *     poll / cancel / finish) touches it after the free;
 *   - no lost wakeup: the waiting future is woken by whichever release (or
 *     close) closes the channel - a future owner asleep at the end is an
 *     invalid end state; and close's wake never touches the future after
 *     its owner returned from poll or cancel;
 *   - liveness (row "live" of check.sh: non-progress cycles under weak
 *     fairness): every fair run ends - the owner's spin in
 *     achan__waiter_settle always sees W2.
 *
 * Broken twins (the check must fail):
 *   -DLOAD_THEN_DEC    the last handle of a role is detected by a load and
 *                      then a separate fetch_sub: two releases both see 2,
 *                      nobody runs last_sender, the waiter sleeps forever
 *   -DFREE_ON_HANDLES  a registered future takes no reference: the last
 *                      handle frees the object under a future that
 *                      outlived its handle
 *   -DDEC_REFS_FIRST   release drops its reference before running the
 *                      hook: the last sender closes a freed channel
 */
#define R_OK 1
#define R_CLOSED 2
#define R_EMPTY 3
#define R_PENDING 4
#define R_CANCELLED 5

#define W_IDLE 0
#define W_QUEUED 1
#define W_CLOSEDW 4
#define W_BUSY 16
#define FRESH 0
#define REGISTERED 1
#define FINISHED 2

#define SENDER 0
#define RECEIVER 1

#define LIVE assert(!freed)

byte senders = 2;
byte receivers = 2;
byte refs = 4;		/* 2 senders + 2 receivers; + registered futures */
byte nfutures = 0;
bool closed = 0;	/* the ring's closed bit (C1) */
bool lk = 0;		/* recvq lock */
byte wst = W_IDLE;	/* the owner's receive future */
byte phase = FRESH;
bool woken = 0;
bool fdone = 0;		/* the owner returned from its last poll / cancel */
bool freed = 0;
byte nfree = 0;
byte nnewly = 0;
byte nlast_sender = 0;
byte nlast_receiver = 0;
byte ndone = 0;

inline unlock() { lk = 0 }

/* chan_free, reached through kind->free */
inline do_free()
{
	atomic {
		LIVE;
		assert(nfree == 0);
		assert(senders == 0 && receivers == 0 && phase != REGISTERED);
		nfree++;
		freed = 1
	}
}

/* chan_close: C1, claim both queues, then wake */
inline chan_close()
{
	atomic {			/* C1 */
		LIVE;
		if
		:: !closed -> nnewly++
		:: else -> skip
		fi;
		closed = 1
	};
	atomic { LIVE }			/* sendq: lock, nothing queued, unlock */
	atomic {			/* recvq: lock, claim all, unlock */
		!lk -> lk = 1;
		LIVE;
		if
		:: wst == W_QUEUED -> wst = W_CLOSEDW | W_BUSY; claimed = 1
		:: else -> skip
		fi;
		unlock()
	};
	if				/* achan__wakelist_run */
	:: claimed ->
		atomic { assert(!fdone); woken = 1 };		/* wake */
		atomic { assert(!fdone); wst = W_CLOSEDW };	/* W2 */
		claimed = 0
	:: else -> skip
	fi
}

/* achan__handle_release */
inline release(role)
{
#ifndef LOAD_THEN_DEC
	atomic {			/* the CAS loop on the role count */
		LIVE;
		if
		:: role == SENDER -> n = senders; assert(n > 0); senders--
		:: else -> n = receivers; assert(n > 0); receivers--
		fi
	};
#else
	atomic {			/* broken: load ... */
		LIVE;
		if
		:: role == SENDER -> n = senders
		:: else -> n = receivers
		fi
	};
	atomic {			/* ... then a separate fetch_sub */
		LIVE;
		if
		:: role == SENDER -> senders--
		:: else -> receivers--
		fi
	};
#endif
#ifdef DEC_REFS_FIRST
	atomic { LIVE; n2 = refs; refs-- };
	if
	:: n2 == 1 -> do_free()
	:: else -> skip
	fi;
#endif
	if
	:: n == 1 && role == SENDER ->		/* chan_last_sender */
		nlast_sender++;
		chan_close()
	:: n == 1 && role == RECEIVER ->	/* chan_last_receiver */
		nlast_receiver++;
		chan_close();			/* chan_close_discard */
		atomic { LIVE }			/* ring_take: closed, empty */
	:: else -> skip
	fi;
#ifndef DEC_REFS_FIRST
	atomic { LIVE; n2 = refs; refs-- };	/* acq_rel fetch_sub */
	if
	:: n2 == 1 -> do_free()
	:: else -> skip
	fi;
#endif
	n = 0;
	n2 = 0
}

proctype sender()
{
	byte n, n2;
	bool claimed;

	release(SENDER);
	atomic { ndone++ }
}

proctype closer()
{
	byte n, n2;
	bool claimed;

	if
	:: chan_close()			/* achan_chan_close via rx2 */
	:: skip
	fi;
	release(RECEIVER);
	atomic { ndone++ }
}

/* achan__future_finish */
inline finish(res)
{
	if
	:: phase == REGISTERED ->
		phase = FINISHED;
		wst = W_IDLE;
		atomic { LIVE; nfutures-- };	/* release */
#ifndef FREE_ON_HANDLES
		atomic { LIVE; n2 = refs; refs-- };	/* acq_rel */
		if
		:: n2 == 1 -> do_free()
		:: else -> skip
		fi;
		n2 = 0
#endif
	:: else ->
		phase = FINISHED;
		wst = W_IDLE
	fi
}

/* achan__waiter_settle: spin while BUSY (W3); s: the state it read */
inline settle(s)
{
	do
	:: atomic {
		s = wst;
		if
		:: (s & W_BUSY) == 0 -> break
		:: else -> skip
		fi
	   }
	od
}

/* pop_settled on the empty ring: CLOSED once the bit is set */
inline pop(r)
{
	atomic {
		LIVE;
		if
		:: closed -> r = R_CLOSED
		:: else -> r = R_EMPTY
		fi
	}
}

/* bounded_recv_poll on an empty ring */
inline recv_poll(res)
{
	res = 0;
	do
	:: phase == REGISTERED ->
		settle(s);
		if
		:: s != W_QUEUED -> s = 0; break	/* woken: from scratch */
		:: else -> s = 0
		fi;
		pop(r);
		atomic {			/* under the lock */
			!lk -> lk = 1;
			LIVE;
			if
			:: r == R_EMPTY && wst != W_QUEUED -> r = 0	/* again */
			:: r == R_EMPTY && wst == W_QUEUED -> res = R_PENDING
			:: r != R_EMPTY && wst == W_QUEUED -> wst = W_IDLE
			:: r != R_EMPTY && wst != W_QUEUED -> skip
			fi;
			unlock()
		};
		if
		:: res == R_PENDING -> break
		:: r == 0 -> skip
		:: else -> settle(s); s = 0; finish(r); res = r; break
		fi
	:: else -> break
	od;
	if
	:: res == 0 ->
		pop(r);
		if
		:: r != R_EMPTY -> finish(r); res = r
		:: else ->
			/* lock, push, F2, look again (pop: the bit under
			 * the lock); registered: a reference */
			atomic {
				!lk -> lk = 1;
				LIVE;
				if
				:: closed -> res = R_CLOSED
				:: else ->
					wst = W_QUEUED;
					if
					:: phase == FRESH ->
						phase = REGISTERED;
						nfutures++;
#ifndef FREE_ON_HANDLES
						refs++;
#endif
						skip
					:: else -> skip
					fi;
					res = R_PENDING
				fi;
				unlock()
			};
			if
			:: res == R_CLOSED -> finish(res)
			:: else -> skip
			fi
		fi
	:: else -> skip
	fi;
	r = 0
}

/* achan__future_cancel (hand_on: no other receiver waits here) */
inline cancel(res)
{
	if
	:: phase == REGISTERED ->
		atomic {
			!lk -> lk = 1;
			LIVE;
			if
			:: wst == W_QUEUED -> wst = W_IDLE; r = 1
			:: else -> r = 0
			fi;
			unlock()
		};
		if
		:: r == 0 -> settle(s); s = 0
		:: else -> skip
		fi;
		r = 0;
		finish(res)
	:: else -> finish(res)
	fi
}

proctype owner()
{
	byte n, n2, r, s, res;
	bool claimed, held = 1;
	byte spurious = 1;

	recv_poll(res);
	do
	:: res != R_PENDING -> break
	:: else ->
		if
		:: held -> release(RECEIVER); held = 0	/* outlives rx1 */
		:: true -> woken; woken = 0; recv_poll(res)
		:: spurious > 0 -> spurious--; recv_poll(res)
		:: true -> res = R_CANCELLED; cancel(res); break
		fi
	od;
	fdone = 1;
	if
	:: held -> release(RECEIVER)
	:: else -> skip
	fi;
	atomic { ndone++ }
}

proctype monitor()
{
end:	atomic {
		ndone == 4 ->
		assert(nnewly == 1);
		assert(nlast_sender == 1 && nlast_receiver == 1);
		assert(nfree == 1)
	}
}

init
{
	atomic {
		run monitor();
		run owner();
		run closer();
		run sender();
		run sender()
	}
}
