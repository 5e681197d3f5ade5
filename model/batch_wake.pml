/*
 * model/batch_wake.pml - no lost wakeup for receivers of a bounded channel
 * when a batch of values arrives with one claim (issue 16), under x86-TSO.
 *
 * Abstracts lib/chan_impl.h: bounded_try_send_many / bounded_send_many_poll
 * with achan__ring_push_many (lib/ring.h) and wake_receivers_if_waiting
 * (producer: S1, one seq_cst CAS on the tail claiming K consecutive free
 * slots; R1, a release store of each slot's stamp after its value; D1, a
 * seq_cst load of recvq.nwaiting; if it is not 0, take the recvq lock and
 * wake up to K waiting receivers, oldest first), and bounded_recv_poll with
 * pop_settled / recv_leave (receiver: try the ring; if it is empty, take the
 * lock, queue itself, raise nwaiting (D-store), fence F2, drop the lock and
 * look again - the stamp of the oldest slot (A2), then the tail (A3); a
 * slot claimed but not yet published is waited out, never slept on; a value
 * found makes it leave the queue (if nobody woke it meanwhile) and finish;
 * otherwise it sleeps until woken, then starts over).
 *
 * Configuration: CAP slots (2 by default; -DCAP=3 -DOFF=2 also checked:
 * counters starting at OFF, so the batch's two slots wrap round), one
 * producer pushing one batch of K = 2 values, NR = 2 receivers taking one
 * value each.  Properties: no invalid end state - every receiver gets a
 * value and nobody sleeps for ever (a lost wakeup is a receiver blocked in
 * its sleep while a value it could take sits in the ring); and, checked by
 * init at the end, each value was taken exactly once.
 *
 * Memory: stamps and values are buffered stores (tso.pml), as are the
 * D-store and, with -DPLAIN_UNLOCK, the unlock.  The tail, head and queue
 * are globals changed by RMWs or under the lock.  The lock acquire is a
 * locked CAS (it waits for the buffer to drain).  By default the unlock is
 * the xchg of achan__lock_release, a locked instruction on x86: it drains
 * the buffer too, so on x86 it alone orders the D-store before the look
 * after it (row NO_F2 passes).  C11 does not promise that of a release
 * exchange, so the fence stays; -DPLAIN_UNLOCK grants the unlock only a
 * release store (buffered behind the D-store), and there F2 is needed.
 *
 * Broken twins (the check must fail):
 *   -DBATCH_NO_WAKE  the batch wakes nobody (no D1): a receiver asleep
 *                  before the claim sleeps for ever
 *   -DWAKE_ONE     the batch wakes one receiver although it brought K
 *                  values: with two receivers asleep the woken one takes
 *                  one value and the other sleeps beside the second (a
 *                  hint per value is needed: a receive takes one value;
 *                  a woken recv_many could take both, but the rule must
 *                  serve single receives)
 *   -DD1_BEFORE_S1 the producer reads nwaiting before its claim: a
 *                  receiver registering in between is missed both ways
 *   -DNO_F2 -DPLAIN_UNLOCK  no fence after the D-store, and an unlock that
 *                  is only a release store: the D-store can still sit in
 *                  the buffer while the look finds the ring empty
 * and, not a twin, -DNO_F2 alone passes (the x86 xchg unlock drains).
 */
#ifndef CAP
#define CAP 2
#endif
#ifndef OFF
#define OFF 0			/* where the ring's counters start */
#endif
#define K 2			/* the batch */
#define NR 2
#define NP (1 + NR)		/* producer 0, receivers 1 .. NR */
#define BS 4
#define DATA CAP		/* values: DATA .. DATA + CAP - 1 */
#define RNW (2 * CAP)		/* recvq.nwaiting */
#define LK (2 * CAP + 1)	/* the recvq lock word */
#define NADDR (2 * CAP + 2)

#define IDLE 0
#define QUEUED 1
#define NOTIFIED 2

#include "tso.pml"

byte tail = OFF;
byte head = OFF;
byte q[NR];			/* recvq: waiting receiver ids, oldest first */
byte qn = 0;
byte wst[NR];			/* each receiver's waiter state */
byte taken[K + 1];		/* times each value 1 .. K was taken */
byte got = 0;

/* L1: a locked CAS - it drains the buffer (the flusher does it first) */
inline lock(p)   { atomic { bN[p] == 0 && mem[LK] == 0 -> mem[LK] = 1 } }
#ifdef PLAIN_UNLOCK
inline unlock(p) { st(p, LK, 0) }
#else
inline unlock(p) { atomic { drain(p); mem[LK] = 0 } }	/* L2: xchg */
#endif

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
	fi;
	k_ = 0
}

proctype flusher()
{
	byte j_;
end:	do
	:: atomic { bN[0] > 0 -> commit_one(0); j_ = 0 }
	:: atomic { bN[1] > 0 -> commit_one(1); j_ = 0 }
	:: atomic { bN[2] > 0 -> commit_one(2); j_ = 0 }
	od
}

inline d1(p)
{
	ld(p, RNW, n);			/* D1: seq_cst load (plain on x86) */
	i_ = 0
}

proctype producer(byte p)
{
	byte i_, j_, k_, t, n, c, w;

#ifdef D1_BEFORE_S1
	d1(p);
#endif
	/* S1: achan__ring_push_many - A1 on each of the K slots at the
	 * tail, then one seq_cst CAS claiming them all (drains first) */
	atomic {
		bN[p] == 0;
		t = tail;
		c = 0;
		do
		:: c < K && mem[(t + c) % CAP] == t + c -> c++
		:: else -> break
		od;
		assert(c == K);		/* the ring starts empty, CAP >= K */
		tail = t + K;
		c = 0
	}
	/* R1 each: the value, then the stamp (release stores) */
	do
	:: c < K ->
		st(p, DATA + (t + c) % CAP, c + 1);
		st(p, (t + c) % CAP, t + c + 1);
		c++
	:: else -> break
	od;
#ifndef BATCH_NO_WAKE
#ifndef D1_BEFORE_S1
	d1(p);
#endif
	/* wake_receivers_if_waiting(ch, K) */
	if
	:: n > 0 ->
		lock(p);
		c = 0;
		do
#ifdef WAKE_ONE
		:: c < 1 && qn > 0 ->
#else
		:: c < K && qn > 0 ->
#endif
			w = q[0];
			q_remove(w);
			st(p, RNW, qn);
			wst[w] = NOTIFIED;
			c++
		:: else -> break
		od;
		unlock(p)
	:: else -> skip
	fi
#endif
}

/*
 * pop_settled: one look at the ring, waiting out a slot in flight.
 * res 1: took value v; res 0: empty (A2 saw no value, A3 tail == head).
 */
inline pop_settled(p, res)
{
	do
	:: atomic {
		h = head;
		ld(p, h % CAP, s);		/* A2 (acquire) */
		if
		:: s == h + 1 ->
			drain(p);		/* S2: seq_cst CAS on the head */
			j_ = 0;
			if
			:: head == h ->
				head = h + 1;
				ld(p, DATA + h % CAP, v);
				res = 1; i_ = 0; break
			:: else -> skip		/* lost the race: look again */
			fi
		:: else ->
			if
			:: tail == h -> res = 0; i_ = 0; break	/* A3 */
			:: else -> skip		/* claimed, unpublished */
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
	byte i_, j_, k_, s, h, v, res;

again:
	pop_settled(p, res);
	if
	:: res == 1 -> goto done
	:: else -> skip
	fi;
	/* register: queue, D-store, F2, all under the lock */
	lock(p);
	q[qn] = r;
	qn++;
	wst[r] = QUEUED;
	st(p, RNW, qn);			/* D-store: raise nwaiting */
#ifndef NO_F2
	atomic { drain(p); j_ = 0 }	/* F2: seq_cst fence */
#endif
	unlock(p);
	pop_settled(p, res);		/* the look after F2, unlocked */
	if
	:: res == 1 ->
		/* recv_leave: woken meanwhile, it used that wakeup */
		lock(p);
		if
		:: wst[r] == QUEUED -> q_remove(r); st(p, RNW, qn)
		:: else -> skip
		fi;
		wst[r] = IDLE;
		unlock(p);
		goto done
	:: else -> skip
	fi;
	/* PENDING: sleep until a producer's wake */
	wst[r] != QUEUED;
	wst[r] = IDLE;
	goto again;
done:
	atomic { taken[v]++; got++ }
}

init
{
	byte i;

	atomic {
		i = 0;
		do
		:: i < CAP -> mem[(OFF + i) % CAP] = OFF + i; i++
		:: else -> break
		od;
		run flusher();
		run receiver(1, 0);
		run receiver(2, 1);
		run producer(0)
	}
	/* every receiver got a value; each value was taken once */
	got == NR;
	assert(taken[0] == 0 && taken[1] == 1 && taken[2] == 1)
}
