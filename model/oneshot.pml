/*
 * model/oneshot.pml - the oneshot state word: one value, one taker, no lost
 * wakeup, and the sender's teardown handshake.
 *
 * Abstracts lib/oneshot_impl.h (the oneshot kind, bcast == 0):
 *   once_send        S1 claiming CAS EMPTY -> WRITING, copy in, R1
 *                    fetch_add WRITING -> READY; WAITERS in R1's old word ->
 *                    once_wake_all
 *   once_close       C1 fetch_or CLOSED; the finaliser iff it found EMPTY
 *   once_try_recv    A1 load; T1 CAS READY -> TAKEN, copy out; once_quiesce
 *                    (Q1) before every OK / CLOSED
 *   once_register    push under the queue lock, G1 CAS setting WAITERS only
 *                    while a value may still come (once_may_come)
 *   once_recv_poll   a registered future: W3 / A2, re-check under the lock
 *   once_recv_cancel achan__future_cancel with hand_on 0 (waitq_impl.h)
 *   once_wake_all    claim every queued future under the lock (QUEUED ->
 *                    NOTIFIED|BUSY), Q2 fetch_sub WAITERS, then the wakes
 *                    and W2 (achan__wakelist_run)
 *   once_recv_wait   try, then achan__block_on: poll, park, poll again (the
 *                    parker itself is model/parker.pml; here a wake flag)
 *
 * Memory model: sequentially consistent, and that is exact here.  After
 * init every write of the state word is an RMW, so all of the protocol's
 * decisions (S1, R1, C1, T1, G1, Q2) are ordered by that one word's
 * modification order, which every model agrees on; the queue is under its
 * lock.  The plain stores (the value copy, W1/W2 on a future) are each
 * followed, before anything depends on them, by an RMW of the same thread
 * (x86: a locked instruction drains the store buffer) or are only waited
 * for (W2: the owner spins until it sees it), so no argument here rests on
 * a load passing an earlier store - the store-buffering case tso.pml exists
 * for.  (On weaker hardware the argument is the release/acquire pairing
 * written beside each step in the C source; Spin checks the interleavings,
 * not the C11 orders.)
 *
 * Reduction: a step that only loads the word and a CAS that succeeds iff
 * the word still holds what was loaded act at one point (the CAS's, or the
 * load's when it decides without a CAS), so S1 and A1+T1 are single steps;
 * and by Lipton's reduction a lock-protected block (lock, queue accesses,
 * at most one access of the word, unlock) is one step too (once_register:
 * push and G1; wake_all's claim).  A2 stays outside the lock, as in the C
 * code: the case it is there for is the word going final between A2 and
 * the lock.
 *
 * Configuration: 2 senders (values 1 and 2), 1 closer, and receivers: A, an
 * async future that may poll once without a wake and may cancel at any
 * point it holds control; B (unless -DONE_RECEIVER), a blocking receive
 * (try, then a future polled after each wake).  The receiving side frees
 * the object once every receiver has returned and one of them returned
 * OK or CLOSED (the teardown rule at the top of oneshot_impl.h).
 *
 * Properties (assertions and end states):
 *   - at most one send succeeds and at most one value is taken; the slot is
 *     written only by the send that claimed it, never over a value;
 *   - a receiver's OK carries the value of the send that returned OK;
 *     exactly one of {a send succeeded, close returned NEWLY_CLOSED}; a
 *     receiver's CLOSED means nothing was sent or another receiver took it;
 *     a sent value is taken if any receiver finished without cancelling;
 *   - no lost wakeup: a receiver waiting for its wake is an invalid end
 *     state (the closer always runs, so some finaliser always comes);
 *   - no use after release: the finaliser never touches the object after
 *     the receiving side freed it, and never touches a future (its wake,
 *     W2) after the future's owner returned from poll or cancel;
 *   - liveness (row "live" of check.sh: non-progress cycles under weak
 *     fairness): the spin-waits (Q1 in once_quiesce, W3 in
 *     achan__waiter_settle) and CAS retries always end.
 *
 * Broken twins (the check must fail):
 *   -DNO_CLAIM        send copies the value in, then one CAS EMPTY -> READY
 *                     (no claim): a losing sender overwrites the slot
 *   -DWAITERS_FIRST   send reads WAITERS with a load before its publishing
 *                     RMW instead of from it: a future registering in
 *                     between sleeps forever
 *   -DG1_BLIND        registration sets WAITERS with a fetch_or even when
 *                     the word is already final: nobody wakes the future
 *   -DNO_QUIESCE      a receive returns OK / CLOSED without waiting out the
 *                     finaliser (no Q1): the object is freed under its feet
 *   -DKEEP_STALE      (liveness) the finaliser skips Q2 when it claimed no
 *                     future (the queued one was cancelled): a receiver
 *                     spins in once_quiesce forever
 */
#define EMPTY 0
#define WRITING 1
#define READY 2
#define TAKEN 3
#define VMASK 3
#define CLOSED 4
#define WAITERS 8

/* results */
#define R_OK 1
#define R_CLOSED 2
#define R_EMPTY 3
#define R_PENDING 4
#define R_CANCELLED 5

/* waiter state (waitq.h) and phase */
#define W_IDLE 0
#define W_QUEUED 1
#define W_NOTIFIED 2
#define W_BUSY 16
#define FRESH 0
#define REGISTERED 1
#define FINISHED 2

#ifdef ONE_RECEIVER
#define NR 1
#else
#define NR 2
#endif
#define NPROC (3 + NR)

/* may a value still come? (once_may_come) */
#define MAY_COME(s) (((s) & VMASK) == WRITING || \
	(((s) & VMASK) == EMPTY && ((s) & CLOSED) == 0))
/* an access by the finaliser: the object must still be there */
#define LIVE assert(!freed)

byte st = EMPTY;	/* the state word */
byte slot = 0;		/* the value slot: 0 none, else the sender's value */
bool lk = 0;		/* the queue lock */
byte wst[NR];		/* waiter state of receiver r's future */
byte phase[NR];
bool woken[NR];		/* the waker was called */
bool fdone[NR];		/* the owner returned from poll / cancel */
byte rres[NR];		/* receiver results */
bool freed = 0;		/* the receiving side tore the object down */
byte nsent = 0;		/* sends that published (R1) */
byte sentval = 0;
byte ntaken = 0;
byte nnewly = 0;
byte rdone = 0;
bool rgood = 0;		/* a receiver returned OK or CLOSED */
byte ndone = 0;

inline lock()   { atomic { !lk -> lk = 1 } }
inline unlock() { lk = 0 }

/* once_wake_all: the finaliser's R1 / C1 read WAITERS */
inline wake_all()
{
	atomic {
		!lk -> lk = 1;		/* lock, claim all, unlock */
		LIVE;
		claimed = 0;
		r_ = 0;
		do
		:: r_ < NR ->
			if
			:: wst[r_] == W_QUEUED ->	/* pop + claim (W1) */
				wst[r_] = W_NOTIFIED | W_BUSY;
				claimed = claimed | (1 << r_)
			:: else -> skip
			fi;
			r_++
		:: else -> break
		od;
		r_ = 0;
		unlock()
	};
#ifdef KEEP_STALE
	if
	:: claimed == 0 -> skip		/* broken: leaves WAITERS set */
	:: else ->
#endif
	/* Q2: release RMW, the last access to the object */
	atomic { LIVE; assert(st & WAITERS); st = st - WAITERS };
#ifdef KEEP_STALE
	fi;
#endif
	/* achan__wakelist_run: touches only the futures */
	r_ = 0;
	do
	:: r_ < NR ->
		if
		:: claimed & (1 << r_) ->
			atomic { assert(!fdone[r_]); woken[r_] = 1 };	/* wake */
			atomic { assert(!fdone[r_]); wst[r_] = W_NOTIFIED }	/* W2 */
		:: else -> skip
		fi;
		r_++
	:: else -> r_ = 0; claimed = 0; break
	od
}

proctype sender(byte id)
{
	byte s, old, r_, claimed;
#ifdef WAITERS_FIRST
	byte chk;
#endif

#ifndef NO_CLAIM
	/* S1: the relaxed load of its expected value, then the CAS, retried
	 * while the word changes; one step (see "Reduction" above) */
	atomic {
		if
		:: (st & (VMASK | CLOSED)) != 0 -> goto fail
		:: else ->
			st = st | WRITING;
			/* the claim made this send the finaliser; copy in */
			LIVE; assert(slot == 0); slot = id
		fi
	};
#ifdef WAITERS_FIRST
	chk = st;		/* broken: WAITERS read before the publish */
#endif
	atomic {		/* R1 */
		LIVE;
		old = st;
		assert((old & VMASK) == WRITING);
		st = old - WRITING + READY;
		assert(nsent == 0);
		nsent++;
		sentval = id
	};
#ifdef WAITERS_FIRST
	old = chk;
#endif
#else
	/* broken: copy in, then publish with one CAS */
	s = st;
	if
	:: (s & (VMASK | CLOSED)) != 0 -> goto fail
	:: else -> skip
	fi;
	atomic { LIVE; assert(slot == 0); slot = id };
	do
	:: (s & (VMASK | CLOSED)) != 0 -> goto fail
	:: else ->
		atomic {
			if
			:: st == s -> old = s; st = s | READY;
				nsent++; sentval = id; break
			:: else -> s = st
			fi
		}
	od;
#endif
	if
	:: old & WAITERS -> wake_all()
	:: else -> skip
	fi;
fail:
	atomic { ndone++ }
}

proctype closer()
{
	byte old, r_, claimed;

	atomic {		/* C1 */
		old = st;
		st = st | CLOSED;
		if
		:: (old & (VMASK | CLOSED)) == EMPTY -> LIVE	/* finaliser */
		:: else -> skip
		fi
	};
	if
	:: (old & (VMASK | CLOSED)) == EMPTY ->		/* NEWLY_CLOSED */
		nnewly++;
		if
		:: old & WAITERS -> wake_all()
		:: else -> skip
		fi
	:: else -> skip		/* ALREADY_CLOSED: a value sent or coming */
	fi;
	atomic { ndone++ }
}

/* once_quiesce: wait while the final word we read has WAITERS (Q1) */
inline quiesce(s)
{
#ifndef NO_QUIESCE
	do
	:: (s & WAITERS) != 0 -> s = st		/* Q1 */
	:: else -> break
	od
#else
	skip			/* broken: no Q1 */
#endif
}

/* once_try_recv, oneshot kind: A1 and T1 in one step (see "Reduction") */
inline try_recv(r, res)
{
	atomic {
		s = st;				/* A1 */
		if
		:: (s & VMASK) == READY ->	/* T1, then the copy out */
			st = (s & (CLOSED | WAITERS)) | TAKEN;
			assert(slot != 0 && slot == sentval);
			assert(ntaken == 0);
			ntaken++;
			res = R_OK
		:: (s & VMASK) == TAKEN -> res = R_CLOSED
		:: (s & VMASK) == WRITING -> res = R_EMPTY
		:: (s & VMASK) == EMPTY && (s & CLOSED) == 0 -> res = R_EMPTY
		:: (s & VMASK) == EMPTY && (s & CLOSED) != 0 -> res = R_CLOSED
		fi
	};
	if
	:: res != R_EMPTY -> quiesce(s)
	:: else -> skip
	fi;
	s = 0
}

/* achan__waiter_settle: spin while a wake is running (W3) */
inline settle(r)
{
	do
	:: (wst[r] & W_BUSY) != 0 -> skip
	:: else -> break
	od
}

inline finish(r, res)
{
	phase[r] = FINISHED;
	wst[r] = W_IDLE;
	rres[r] = res
}

/* once_register: push, then G1 (its expected value loaded, the CAS
 * retried while the word changes) under the lock; one step */
inline do_register(r, res)
{
	atomic {
		!lk -> lk = 1;
		wst[r] = W_QUEUED;		/* push */
#ifndef G1_BLIND
		if
		:: !MAY_COME(st) ->		/* final: complete at once */
			wst[r] = W_IDLE;
			res = R_EMPTY
		:: else ->			/* G1 */
			st = st | WAITERS;
			phase[r] = REGISTERED;
			res = R_PENDING
		fi;
#else
		st = st | WAITERS;		/* broken: even on a final word */
		phase[r] = REGISTERED;
		res = R_PENDING;
#endif
		unlock()
	};
	if
	:: res == R_EMPTY -> try_recv(r, res); finish(r, res)
	:: else -> skip
	fi
}

/* once_recv_poll */
inline recv_poll(r, res)
{
	res = 0;
	if
	:: phase[r] == REGISTERED && wst[r] != W_NOTIFIED ->	/* W3 */
		s = st;				/* A2 */
		atomic {			/* under the lock */
			!lk -> lk = 1;
			if
			:: wst[r] == W_QUEUED && MAY_COME(s) ->
				res = R_PENDING	/* keep our place */
			:: wst[r] == W_QUEUED && !MAY_COME(s) ->
				wst[r] = W_IDLE	/* final: complete */
			:: wst[r] != W_QUEUED -> skip
			fi;
			s = 0;
			unlock()
		};
		if
		:: res == 0 -> settle(r)
		:: else -> skip
		fi
	:: else -> skip
	fi;
	if
	:: res == 0 ->
		try_recv(r, res);
		if
		:: res != R_EMPTY -> finish(r, res)
		:: else -> res = 0; do_register(r, res)
		fi
	:: else -> skip
	fi
}

/* achan__future_cancel, hand_on 0 */
inline cancel(r, res)
{
	if
	:: phase[r] == FINISHED -> skip
	:: phase[r] == FRESH -> finish(r, R_CANCELLED)
	:: phase[r] == REGISTERED ->
		atomic {
			!lk -> lk = 1;
			if
			:: wst[r] == W_QUEUED -> wst[r] = W_IDLE; res = 1
			:: else -> res = 0
			fi;
			unlock()
		};
		if
		:: res == 0 -> settle(r)
		:: else -> skip
		fi;
		finish(r, R_CANCELLED)
	fi;
	res = rres[r]
}

inline receiver_done(r)
{
	atomic {
		fdone[r] = 1;
		rdone++;
		if
		:: rres[r] == R_OK || rres[r] == R_CLOSED -> rgood = 1
		:: else -> skip
		fi;
		if
		:: rdone == NR && rgood -> freed = 1	/* fini the oneshot */
		:: else -> skip
		fi;
		ndone++
	}
}

/* A: an async future; may poll once without a wake, may cancel */
proctype recvA()
{
	byte s, res;
#ifdef NO_SPURIOUS
	byte spurious = 0;
#else
	byte spurious = 1;
#endif

	recv_poll(0, res);
	do
	:: res != R_PENDING -> break
	:: else ->
		if
		:: true -> woken[0]; woken[0] = 0; recv_poll(0, res)
		:: spurious > 0 -> spurious--; recv_poll(0, res)
		:: true -> cancel(0, res); break
		fi
	od;
	receiver_done(0)
}

#ifndef ONE_RECEIVER
/* B: a blocking receive (once_recv_wait + achan__block_on) */
proctype recvB()
{
	byte s, res;

	/* once_recv_wait tries first; those tries are loads and T1, which
	 * the first poll repeats: left out */
	recv_poll(1, res);
	do
	:: res != R_PENDING -> break
	:: else -> woken[1]; woken[1] = 0; recv_poll(1, res)	/* park */
	od;
	receiver_done(1)
}
#endif

proctype monitor()
{
	byte r;

end:	atomic {
		ndone == NPROC ->
		assert(nsent <= 1 && nnewly <= 1);
		assert(nsent + nnewly == 1);
		r = 0;
		do
		:: r < NR ->
			assert(rres[r] != R_CLOSED || nsent == 0 || ntaken == 1);
			assert(rres[r] != R_OK || ntaken == 1);
			assert(!(rres[r] == R_CLOSED || rres[r] == R_OK) ||
			    nsent == ntaken);
			r++
		:: else -> break
		od
	}
}

init
{
	atomic {
		run monitor();
		run recvA();
#ifndef ONE_RECEIVER
		run recvB();
#endif
		run sender(1);
		run sender(2);
		run closer()
	}
}
