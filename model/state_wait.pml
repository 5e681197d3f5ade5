/*
 * model/state_wait.pml - no lost wakeup for receivers of a state broadcast
 * waiting for an id newer than the one they hold, under x86-TSO.
 *
 * Abstracts lib/state_impl.h:
 *   state_send       S1 seq_cst CAS installing the next snapshot (id + 1)
 *                    unless the word has the closed flag; then
 *                    state_wake_if_waiting: D1 seq_cst load of
 *                    waitq.nwaiting, and state_wake_all if it is not 0
 *   state_close      C1 seq_cst fetch_or of the closed flag, then
 *                    state_wake_all (NOTIFIED hints, never CLOSED)
 *   state_wake_all   claim every queued future under the lock (unlinking
 *                    lowers nwaiting), unlock, then wake and W2
 *   state_look       A2: one load of the word gives id and flag together
 *   state_recv_poll  fresh: look; empty -> lock, push (raise nwaiting: the
 *                    D-store), F2 seq_cst fence, look again; registered:
 *                    settle; woken -> look afresh (re-register if nothing
 *                    newer yet); polled while queued -> look, then decide
 *                    under the lock
 *   state_recv_wait  the receiver threads: a future polled after each wake
 *                    (achan__block_on; the parker is model/parker.pml)
 *
 * Memory model: x86-TSO (tso.pml), because the argument is the store-
 * buffering (Dekker) pair of the comment at the top of state_impl.h: the
 * receiver's D-store of nwaiting then its load of the word (A2), against
 * the sender's S1 then D1.  nwaiting is the one buffered address, and the
 * receivers' stores to it (push and remove) go through their buffers; F2,
 * the lock's CAS and the unlock's XCHG are locked instructions and drain
 * them.  The word changes only by RMWs (S1, C1), so it is a plain global,
 * and the senders and the closer have nothing buffered when they load
 * nwaiting (D1, a plain load on x86, right after the locked S1).  A waker's
 * own nwaiting stores (the unlinks of a claim) are made visible at once:
 * buffered, they would be drained by its unlock a few instructions later,
 * and until then other threads would read a larger nwaiting, which only
 * makes a sender's D1 take the lock and wake whoever is queued - an extra
 * hint, which every receiver handles (it looks and registers again).  So
 * lock, claim, unlock is one step (Lipton: the claim's store is its one
 * access not protected by the lock).
 *
 * Reduction: the snapshot behind the word is immutable and reclaimed only
 * after a grace period (RCU, not modelled), so a look is one load of
 * (id, flag).  A load and a CAS retried until it succeeds on what was
 * loaded act at one point (S1: A1 + the CAS).
 *
 * Configuration: 2 senders (one send each; the ids follow the order of
 * their S1), a closer that may close or not, receiver 0 waiting for any
 * state (after 0), which may poll once more while queued without a wake,
 * and receiver 1 waiting for a state newer than id 1 (a first wake may be
 * too early for it: it registers again).  Without a close both sends land,
 * so every receiver has something to get.
 *
 * Properties:
 *   - no lost wakeup: a receiver asleep at the end is an invalid end state
 *     (the close, if any, wakes everyone; without it the ids reach 2);
 *   - a receive answers OK only with an id newer than its `after`, and
 *     CLOSED only when closed with nothing newer - close keeps the state;
 *   - ids are handed out once each, in publication order, and no send
 *     lands after the close.
 * No liveness row: the only spin-wait is achan__waiter_settle, whose end
 * the liveness rows of oneshot.pml and handle_close.pml check; the waits
 * this protocol is about are sleeps, and a sleep that never ends is an
 * invalid end state here.  (A weak-fairness run of this model, with
 * -DNO_SPURIOUS, finds no non-progress cycle in 3.1 million states, but
 * takes about 40 s: too long for make check.)
 *
 * Broken twins (the check must fail):
 *   -DNO_RECHECK          the receiver registers and sleeps without
 *                         looking at the word again
 *   -DNO_F2               no fence between raising nwaiting and that look
 *                         (the D-store may still sit in the store buffer)
 *   -DCLOSE_WAKES_CLOSED  close wakes its waiters with CLOSED and a woken
 *                         future returns it without looking (as a channel's
 *                         close does): a state published just before the
 *                         close is lost
 */
#define NR 2
#define NP 2		/* receivers 0, 1 have store buffers */
#define BS 2
#define NW 0		/* the one buffered address: waitq.nwaiting */
#define NADDR 1

#include "tso.pml"

#define R_OK 1
#define R_CLOSED 2
#define R_EMPTY 3
#define R_PENDING 4

#define W_IDLE 0
#define W_QUEUED 1
#define W_NOTIFIED 2
#define W_CLOSEDW 4
#define W_BUSY 16
#define FRESH 0
#define REGISTERED 1
#define FINISHED 2

byte wid = 0;		/* the word: id of the current snapshot (0: none) */
bool wclosed = 0;	/* ... and its closed flag */
bool lk = 0;		/* waitq lock */
byte qn = 0;		/* queued futures (nwaiting's true value) */
byte wst[NR];
byte phase[NR];
bool woken[NR];
byte rres[NR];
byte rid[NR];		/* id a receiver got */
byte nsent = 0;
byte ndone = 0;

/* The lock: a CAS to take it, an XCHG to drop it; both drain the buffer.
 * Each lock-protected block below is one step, drain included (Lipton: the
 * drain's commits are its one access visible outside the lock). */

/* After commits: forget the loop counter and the committed entries, so
 * that equal machine states are equal model states. */
inline clean(p)
{
	j_ = 0;
	bA[p * BS + bN[p]] = 0;
	bV[p * BS + bN[p]] = 0;
	if
	:: bN[p] == 0 -> bA[p * BS + 1] = 0; bV[p * BS + 1] = 0
	:: else -> skip
	fi
}

proctype flusher()
{
	byte j_;

end:	do
	:: atomic { bN[0] > 0 -> commit_one(0); clean(0) }
	:: atomic { bN[1] > 0 -> commit_one(1); clean(1) }
	od
}

/* state_wake_all; outcome: the waiters' outcome.  Lock, claim, unlock in
 * one step (see "Memory model"), then each wake and its W2 */
inline wake_all(outcome)
{
	atomic {
		!lk;
		claimed = 0;
		k_ = 0;
		do
		:: k_ < NR ->
			if
			:: wst[k_] == W_QUEUED ->	/* pop + claim */
				wst[k_] = outcome | W_BUSY;
				qn--;
				mem[NW] = qn;		/* set_nwaiting */
				claimed = claimed | (1 << k_)
			:: else -> skip
			fi;
			k_++
		:: else -> break
		od
	};
	k_ = 0;
	do
	:: k_ < NR ->
		if
		:: claimed & (1 << k_) ->
			woken[k_] = 1;			/* wake */
			wst[k_] = outcome		/* W2 */
		:: else -> skip
		fi;
		k_++
	:: else -> k_ = 0; claimed = 0; break
	od
}

proctype sender()
{
	byte k_, n, claimed;
	bool ok = 0;

	atomic {			/* S1 (the peek and A1 fold into it) */
		if
		:: !wclosed -> wid++; nsent++; assert(wid == nsent); ok = 1
		:: else -> skip		/* CLOSED */
		fi
	};
	if
	:: ok ->
		n = mem[NW];		/* D1 */
		if
		:: n > 0 -> n = 0; wake_all(W_NOTIFIED)
		:: else -> skip
		fi
	:: else -> skip
	fi;
	atomic { ndone++ }
}

proctype closer()
{
	byte k_, claimed;

	if
	:: wclosed = 1;			/* C1 */
#ifdef CLOSE_WAKES_CLOSED
		wake_all(W_CLOSEDW)
#else
		wake_all(W_NOTIFIED)
#endif
	:: skip
	fi;
	atomic { ndone++ }
}

/* state_look: A2, one load of (id, flag) */
inline look(r, after, res)
{
	atomic {
		if
		:: wid > after -> res = R_OK; rid[r] = wid
		:: wid <= after && wclosed -> res = R_CLOSED
		:: wid <= after && !wclosed -> res = R_EMPTY
		fi
	}
}

/* achan__waiter_settle (W3); s: what it read */
inline settle(r, s)
{
	do
	:: atomic {
		s = wst[r];
		if
		:: (s & W_BUSY) == 0 -> break
		:: else -> skip
		fi
	   }
	od
}

inline finish(r, res)
{
	phase[r] = FINISHED;
	wst[r] = W_IDLE;
	rres[r] = res
}

/* state_recv_poll */
inline recv_poll(p, r, after, res)
{
	res = 0;
	do
	:: phase[r] == REGISTERED ->
		settle(r, s);
#ifdef CLOSE_WAKES_CLOSED
		if
		:: s == W_CLOSEDW ->		/* broken: no look */
			s = 0; finish(r, R_CLOSED); res = R_CLOSED; break
		:: else -> skip
		fi;
#endif
		if
		:: s != W_QUEUED -> s = 0; break	/* woken: look afresh */
		:: else -> s = 0
		fi;
		look(r, after, res);		/* polled while queued */
		atomic {			/* lock ... unlock */
			!lk -> lk = 1;
			if
			:: res == R_EMPTY && wst[r] != W_QUEUED ->
				res = 0		/* woken meanwhile: again */
			:: res == R_EMPTY && wst[r] == W_QUEUED ->
				res = R_PENDING	/* keep our place */
			:: res != R_EMPTY && wst[r] == W_QUEUED ->
				wst[r] = W_IDLE; qn--; st(p, NW, qn)
			:: res != R_EMPTY && wst[r] != W_QUEUED -> skip
			fi;
			drain(p); clean(p);
			lk = 0
		};
		if
		:: res == 0 -> skip
		:: res == R_PENDING -> break
		:: else -> settle(r, s); s = 0; finish(r, res); break
		fi
	:: else -> break
	od;
	if
	:: res == 0 ->
		look(r, after, res);
		if
		:: res != R_EMPTY -> finish(r, res)
		:: else ->
			atomic {		/* lock, push: the D-store */
				!lk -> drain(p); clean(p); lk = 1;
				wst[r] = W_QUEUED; qn++; st(p, NW, qn)
			};
#ifndef NO_F2
			atomic { drain(p); clean(p) };			/* F2 */
#endif
#ifndef NO_RECHECK
			look(r, after, res);			/* A2 again */
#endif
			atomic {		/* remove or stay; unlock */
				if
				:: res != R_EMPTY ->
					wst[r] = W_IDLE; qn--; st(p, NW, qn)
				:: else ->
					phase[r] = REGISTERED;
					res = R_PENDING
				fi;
				drain(p); clean(p);
				lk = 0
			};
			if
			:: res != R_PENDING ->
				look(r, after, res);	/* copy outside the lock */
				finish(r, res)
			:: else -> skip
			fi
		fi
	:: else -> skip
	fi
}

proctype receiver(byte p; byte r; byte after)
{
	byte i_, j_, k_, s, res;
#ifdef NO_SPURIOUS
	byte spurious = 0;
#else
	byte spurious = 1 - r;	/* receiver 0 may poll once without a wake */
#endif

	recv_poll(p, r, after, res);
	do
	:: res != R_PENDING -> break
	:: else ->
		if
		:: true -> woken[r]; woken[r] = 0	/* park until woken */
		:: spurious > 0 -> spurious--
		fi;
		recv_poll(p, r, after, res)
	od;
	/* OK: newer than after (look asserts it); CLOSED: closed, nothing
	 * newer - and nothing newer can come after the close */
	assert(res != R_OK || rid[r] > after);
	assert(res != R_CLOSED || (wclosed && wid <= after));
	atomic { ndone++ }
}

proctype monitor()
{
end:	atomic {
		ndone == 5 ->
		assert(rres[0] != R_CLOSED || wid == 0);
		assert(rres[1] != R_CLOSED || wid <= 1);
		assert(wid == nsent)
	}
}

init
{
	atomic {
		run flusher();
		run monitor();
		run receiver(0, 0, 0);
		run receiver(1, 1, 1);
		run sender();
		run sender();
		run closer()
	}
}
