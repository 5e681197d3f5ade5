/*
 * model/chan_send_wakeup.pml - no lost wakeup for senders waiting on a full
 * bounded channel, under x86-TSO; waiting senders are served oldest first.
 *
 * Abstracts lib/chan_impl.h: bounded_send_poll (a sender that finds the ring
 * full queues itself in sendq, raises sendq.nwaiting, fences (F2) and, if it
 * is the oldest waiting sender, retries: the stamp at the tail, then the
 * head counter (A4) - a slot already claimed by a receiver but not yet
 * released is waited out, not slept on) and bounded_try_recv +
 * serve_senders_if_waiting (a receiver claims a value with a seq_cst CAS on
 * the head (S2), releases the slot (R2), loads sendq.nwaiting (D2) and, if
 * senders wait, moves the values of the oldest ones into the ring for as
 * long as there is room, completing their futures).
 *
 * Only the stores this protocol's argument is about go through the store
 * buffers (the receiver's R2 and the sender's raising of nwaiting); the
 * rest are made sequentially consistent to keep the state space small.
 *
 * Configuration: CAP 2, the ring starts full; NS senders with one value
 * each; NR receivers taking NT value each.  With NR * NT == CAP the
 * receivers free exactly the room both waiting senders need, and nothing
 * else will ever wake them: a sender still asleep at the end slept through
 * room made for it.  The receive side's own waiting is proved in
 * chan_recv_wakeup.pml, so a receiver here just blocks until a value is
 * published.  Property: no invalid end state.
 *
 * Broken twins (the check must fail):
 *   -DSERVE_ONE  a receiver moves at most one waiting sender's value
 *   -DNO_A4      the retrying sender takes a slot still being released for
 *                full, and sleeps
 *   -DNO_F2      no fence between raising nwaiting and the retry
 */
#define CAP 2
#define NS 2
#define NR 2
#define NT 1
#define NP (NS + NR)
#define BS 2
#define SNW CAP			/* address of sendq.nwaiting; stamps 0..CAP-1 */
#define NADDR (CAP + 1)

#include "tso.pml"

byte tail = CAP;		/* the ring starts full: positions 0..CAP-1 */
byte head = 0;
bool lk = 0;
byte q[NS];			/* sendq: waiting sender ids, oldest first */
byte qn = 0;
bool done[NS];
byte served = 0;		/* how many queued senders were moved in */

inline lock(p)   { atomic { !lk -> drain(p); lk = 1 } }
inline unlock(p) { atomic { drain(p); lk = 0 } }

inline q_pop_head()
{
	k_ = 0;
	do
	:: k_ + 1 < qn -> q[k_] = q[k_ + 1]; k_++
	:: else -> break
	od;
	qn--
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

/*
 * One push attempt (a seq_cst CAS drains first): res 1 pushed (stamp store
 * buffered), 0 full, 2 the slot at the tail is being released (checked only
 * when check_head is set, as the registered retry does with A4).
 */
inline try_push(p, check_head, res)
{
	res = 0;
	do
	:: atomic {
		t = tail;
		ld(p, t % CAP, s);			/* A1: a plain load */
		if
		:: s == t ->
			drain(p);			/* the CAS: locked */
			if
			:: tail == t -> tail = t + 1; res = 1; break
			:: else -> skip			/* moved: look again */
			fi
		:: else ->
			if
			:: check_head && head + CAP != t -> res = 2; break /* A4 */
			:: else -> res = 0; break
			fi
		fi
	   }
	od;
	if
	:: res == 1 -> mem[t % CAP] = t + 1	/* R1 (its ordering is the
						 * receive side's concern) */
	:: else -> skip
	fi
}

proctype sender(byte p)
{
	byte i_, j_, k_, s, t, n, res;

	ld(p, SNW, n);				/* not overtaking waiters */
	if
	:: n == 0 ->
		try_push(p, 0, res);
		if
		:: res == 1 -> goto out
		:: else -> skip
		fi
	:: else -> skip
	fi;
	lock(p);
	q[qn] = p;
	qn++;
	st(p, SNW, qn);				/* D-store */
#ifndef NO_F2
	atomic { drain(p) }			/* F2 */
#endif
retry:
	if
	:: q[0] == p ->
#ifdef NO_A4
		try_push(p, 0, res);
#else
		try_push(p, 1, res);
		if
		:: res == 2 -> goto retry	/* push_settled */
		:: else -> skip
		fi;
#endif
		if
		:: res == 1 ->
			q_pop_head();
			st(p, SNW, qn);
			unlock(p);
			goto out
		:: else -> skip
		fi
	:: else -> skip
	fi;
	unlock(p);
	done[p];				/* sleep until moved in (DONE) */
out:
	skip
}

proctype receiver(byte p)
{
	byte i_, j_, k_, s, t, h, n, res, taken = 0, w;

	do
	:: taken == NT -> break
	:: else ->
		/* take one value: wait until one is published, then claim it
		 * (A2 + S2; the receive side's own waiting is proved in
		 * chan_recv_wakeup.pml) */
		atomic {
			mem[head % CAP] == head + 1 ->
			drain(p);
			h = head;
			head = h + 1
		};
		st(p, h % CAP, h + CAP);		/* R2 */
		taken++;
		ld(p, SNW, n);				/* D2 */
		if
		:: n > 0 ->				/* serve_senders */
			lock(p);
			do
			:: qn > 0 ->
				try_push(p, 0, res);
				if
				:: res == 1 ->
					w = q[0];
					q_pop_head();
					mem[SNW] = qn;
					done[w] = 1;
#ifdef SERVE_ONE
					break
#endif
				:: else -> break
				fi
			:: else -> break
			od;
			unlock(p)
		:: else -> skip
		fi
	od
}

init
{
	byte i;

	atomic {
		i = 0;
		do
		:: i < CAP -> mem[i] = i + 1; i++	/* full */
		:: else -> break
		od;
		run flusher();
		run sender(0);
		run sender(1);
		run receiver(2);
		run receiver(3)
	}
}
