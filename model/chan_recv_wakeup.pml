/*
 * model/chan_recv_wakeup.pml - no lost wakeup for receivers of a bounded
 * channel, under x86-TSO.
 *
 * Abstracts lib/chan_impl.h: bounded_try_send + wake_receiver_if_waiting
 * (sender: S1 claiming CAS on the tail, R1 publishing stamp store, D1 load of
 * recvq.nwaiting, then wake the oldest waiting receiver under the recvq
 * lock), and bounded_recv_poll + pop_settled (receiver: try the ring; if it
 * is empty, take the lock, queue itself, raise nwaiting, fence F2, look
 * again; a claimed-but-unpublished slot (INFLIGHT) is waited out, never
 * slept on; otherwise sleep until woken, then start over).
 *
 * Configuration: CAP slots, NS senders with one value each, NR receivers
 * taking one value each (NS == NR).  Property: no invalid end state - every
 * receiver gets a value and nobody sleeps forever (a lost wakeup shows up as
 * a receiver blocked in its wait while a value sits in the ring).
 *
 * Broken twins (the check must fail):
 *   -DNO_F2        the receiver does not fence between raising nwaiting and
 *                  its second look (its store can still sit in the buffer)
 *   -DSLEEP_INFLIGHT  the receiver treats a claimed-but-unpublished slot as
 *                  empty and sleeps (the publisher's wakeup may have been
 *                  consumed by another receiver)
 */
#ifndef CAP
#define CAP 2
#endif
#define NS 2
#define NR 2
#define NP (NS + NR)
#define BS 3
#define RNW CAP			/* address of recvq.nwaiting; stamps are 0..CAP-1 */
#define NADDR (CAP + 1)

#include "tso.pml"

byte tail = 0;
byte head = 0;
bool lk = 0;
byte q[NR];			/* recvq: waiting receiver ids, oldest first */
byte qn = 0;
bool notified[NR];
byte got = 0;

inline lock(p)   { atomic { !lk -> drain(p); lk = 1 } }
inline unlock(p) { atomic { drain(p); lk = 0 } }	/* xchg: a locked RMW */

inline q_remove(r)
{
	k_ = 0;
	do
	:: k_ < qn && q[k_] != r -> k_++
	:: else -> break
	od;
	if
	:: k_ < qn ->
		do
		:: k_ + 1 < qn -> q[k_] = q[k_ + 1]; k_++
		:: else -> break
		od;
		qn--
	:: else -> skip
	fi
}

proctype flusher()
{
	byte j_;
end:	do
	:: atomic { bN[0] > 0 -> commit_one(0) }
	:: atomic { bN[1] > 0 -> commit_one(1) }
	:: atomic { bN[2] > 0 -> commit_one(2) }
	:: atomic { bN[3] > 0 -> commit_one(3) }
	od
}

proctype sender(byte p)
{
	byte i_, j_, k_, s, t, n, r;

	/* S1: claim a slot with a seq_cst CAS on the tail (drains first) */
	do
	:: atomic {
		drain(p);
		t = tail;
		s = mem[t % CAP];
		if
		:: s == t -> tail = t + 1; break	/* claimed */
		:: else -> skip				/* full or moved: retry */
		fi
	   }
	od;
	/* R1: publish (release store: buffered) */
	st(p, t % CAP, t + 1);
	/* D1: seq_cst load of nwaiting (a plain load on x86) */
	ld(p, RNW, n);
	if
	:: n > 0 ->
		lock(p);
		if
		:: qn > 0 ->
			r = q[0];
			q_remove(r);
			st(p, RNW, qn);
			notified[r] = 1
		:: else -> skip
		fi;
		unlock(p)
	:: else -> skip
	fi
}

/* One look at the ring: 1 got a value, 0 empty, 2 in flight. */
inline try_pop(p, res)
{
	res = 0;
	do
	:: atomic {
		h = head;
		ld(p, h % CAP, s);		/* A2 */
		if
		:: s == h + 1 ->
			drain(p);		/* S2: seq_cst CAS on the head */
			if
			:: head == h -> head = h + 1; res = 1; break
			:: else -> skip		/* lost the race: look again */
			fi
		:: else ->
			if
			:: tail == h -> res = 0; break	/* A3: truly empty */
			:: else -> res = 2; break	/* claimed, not published */
			fi
		fi
	   }
	od;
	if
	:: res == 1 -> st(p, h % CAP, h + CAP)	/* R2: free the slot */
	:: else -> skip
	fi
}

proctype receiver(byte p; byte r)
{
	byte i_, j_, k_, s, h, res;

again:
	try_pop(p, res);
	if
	:: res == 1 -> goto done
	:: res == 2 -> goto again		/* pop_settled: spin */
	:: else -> skip
	fi;
	lock(p);
	q[qn] = r;
	qn++;
	st(p, RNW, qn);				/* D-store: raise nwaiting */
#ifndef NO_F2
	atomic { drain(p) }			/* F2: seq_cst fence */
#endif
retry:
	try_pop(p, res);
#ifndef SLEEP_INFLIGHT
	if
	:: res == 2 -> goto retry		/* wait out the publish */
	:: else -> skip
	fi;
#endif
	if
	:: res == 1 ->
		q_remove(r);
		st(p, RNW, qn);
		unlock(p);
		goto done
	:: else -> skip
	fi;
	unlock(p);
	/* park: sleep until a sender's wake */
	notified[r];
	notified[r] = 0;
	goto again;
done:
	atomic { got++ }
}

init
{
	byte i;

	atomic {
		i = 0;
		do
		:: i < CAP -> mem[i] = i; i++
		:: else -> break
		od;
		run flusher();
		run receiver(2, 0);
		run receiver(3, 1);
		run sender(0);
		run sender(1)
	}
}
