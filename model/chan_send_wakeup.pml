/*
 * model/chan_send_wakeup.pml - senders waiting on a full bounded channel,
 * under x86-TSO: no lost hand-off, no overtaking, each value in once, no
 * wait for a slot in flight under the senders' lock, and try_send /
 * try_recv answers that are linearizable (issue 14, C2 and C3).
 *
 * Abstracts lib/chan_impl.h and lib/ring.h as of the wait bit:
 *
 *   push_as     achan__ring_push_as: load the tail word (relaxed); a new
 *               push that sees the wait bit answers WAITING; load the
 *               stamp at the tail (A1): free -> the claiming CAS on the
 *               whole tail word (S1), expecting the bit as loaded - a new
 *               push expects it clear, a served one keeps it - then the
 *               stamp store (R1); previous lap with its value -> load the
 *               head (A4): moved on, the slot is being vacated (INFLIGHT),
 *               else FULL; previous lap still being filled -> FULL; ahead
 *               -> reload the tail.
 *   pop         achan__ring_take: load the head; the stamp there (A2):
 *               published -> the CAS on the head (S2), then the slot's
 *               release (R2); behind -> load the tail word (A3): no slot
 *               claimed past the head -> EMPTY; the slot was still in the
 *               previous lap but the tail has moved on since -> look
 *               again (see RECV_PREV_LAP); else the head again: unchanged
 *               -> INFLIGHT (being filled), else retry.
 *   serve       serve_senders_locked, under sendq's lock: while a sender is
 *               queued and a served push of its value succeeds, unlink it
 *               (nwaiting store; the last one out clears the wait bit by an
 *               RMW) and claim it DONE (the serving sender itself just
 *               notes it); INFLIGHT with `wait`: unlock, wait until the
 *               slot's stamp or the tail moves, lock, serve again;
 *               otherwise return.
 *   owed_room   achan__ring_owed_room: the tail word (acquire); no wait
 *               bit -> -1; the stamp at its position: free -> 1; previous
 *               lap with its value -> the head: moved on -> 1, else 0;
 *               previous lap being filled -> 0; ahead of the position
 *               (the tail moved on since the load) -> look again (see
 *               OWED_STALE).
 *   sender      bounded_send_poll: one attempt (a new push, settle 0);
 *               failing: lock, link itself (nwaiting store; the first one
 *               in sets the wait bit by an RMW), F2, serve with wait, its
 *               own value included; read its own state, unlock.  Its value
 *               went in, or it was claimed DONE while the lock was dropped
 *               (the re-poll sees DONE) -> OK; else PENDING: it sleeps
 *               until claimed DONE.
 *   receiver    a receive that finds a value (its own waiting is
 *               chan_recv_wakeup.pml's): S2, copy, R2, D2 (a seq_cst load
 *               of sendq.nwaiting: a plain load on x86, it may pass R2);
 *               senders wait -> serve_senders(0): serve without waiting
 *               for a slot in flight (left to the receive vacating it).
 *   newcomer    bounded_try_send (settle 1): push; INFLIGHT -> wait (no
 *               lock held), push again; WAITING -> owed_room: 1 ->
 *               hand_over_owed_room (serve_senders(1)), push again; -1 ->
 *               push again; 0 -> FULL.
 *   tryrecv     bounded_try_recv (settle 1): pop; INFLIGHT -> wait, pop
 *               again; EMPTY with the wait bit set in the tail word that
 *               A3 loaded (the ring empty, senders queued: room owed) ->
 *               hand it over (serve_senders(1)), pop again (see
 *               RECV_OWED_LOOK); a value -> D2, serve(0).
 *
 * Three steps differ from lib/ as of this model: the fixes it assumes.
 * lib/ as it is fails (5) and (6); twins OWED_STALE, RECV_PREV_LAP and
 * RECV_OWED_LOOK are lib/'s code, and Spin rejects each:
 *   - owed_room: a stamp ahead of the tail it loaded means the tail moved
 *     on: look again (lib/ring.h answers 0, "ring full");
 *   - ring_take: the slot at the head was still in the previous lap when
 *     its stamp was loaded, but the tail has moved on by A3: look again
 *     (lib/ring.h answers EMPTY - right only if no sender was queued at
 *     the stamp load, which nothing checks);
 *   - try_recv: EMPTY with the wait bit set in A3's load of the tail word
 *     is room owed: hand it over and pop again; EMPTY with the bit clear
 *     is final (lib/chan_impl.h asks owed_room once, a separate look after
 *     the pop, which can find the bit already cleared by the serve that
 *     moved a value in).
 *
 * Memory model.  Stores to stamps and to sendq.nwaiting go through per-
 * thread FIFO store buffers (tso.pml); loads see their own buffer first.
 * Lock, unlock (an xchg) and the CASes on head and tail are locked
 * instructions: they drain the buffer.  The RMWs that set and clear the
 * wait bit do NOT drain it here unless -DX86_RMW: C11 makes a seq_cst RMW
 * on the tail word no fence for other locations, and chan_impl.h's
 * argument rests on F2, so the model grants the RMW only what C11 does; on
 * x86 it is a locked instruction and does F2's work (row NO_F2+X86_RMW
 * passes).  Tail word, head and queue are globals changed atomically (by
 * RMWs, or under the lock).  A wait for a slot in flight is a blocking
 * guard (until the slot's stamp or the counter moves): a wait that never
 * ends is an invalid end state, not an unexamined spin.
 *
 * Reductions (Lipton): a step that only touches the thread's own store
 * buffer or data under the lock it holds is merged into the step before
 * it (R1 into S1, R2 into S2, unlink and claim into one step); a served
 * push loads the tail word and the stamp in one step - under the lock with
 * the wait bit set no other thread can change the tail word (a new push's
 * CAS fails); the local counters of ld/drain are reset after use.
 *
 * Configurations, CAP 2, the ring starting full (positions 0 and 1), two
 * receivers taking one value each:
 *   (default)   two senders;
 *   NEWCOMER    one sender and a try_send;
 *   TRYRECV     one sender and a try_recv.
 * Ghost state, changed in the same atomic step as the event it records:
 *   pushed[v]   v's value went into the ring; got[v]: it was taken;
 *   lnk, reg    senders linked in sendq and not yet pushed; of those, the
 *               ones whose registration is complete (the wait bit set);
 *   pend        of those, the ones whose poll has returned PENDING;
 *   fullseen    during the try_send, (tail - head) + lnk reached CAP;
 *   emptyseen   during the try_recv, (tail - head) + pend was 0.
 * The abstract channel counts a claimed slot as in, a slot whose head CAS
 * is done as out, and moves a queued sender's value in as soon as room is
 * free.  A queued sender counts from its link for FULL, and only once its
 * poll has returned PENDING for EMPTY (a poll still running may linearize
 * at its own push): each answer is judged as leniently as possible.
 *
 * Properties:
 *   (1) no lost hand-off: when nothing can move any more (timeout), a
 *       sender still queued is queued on a full ring; a wait for a slot in
 *       flight never stays stuck (invalid end state; sleeping senders and
 *       receivers finding nothing more to take are valid end states);
 *   (2) no overtaking: a new push (a try_send's or a sender's first
 *       attempt) never claims a slot while a registered sender is queued
 *       (asserted at its CAS), so a try_send that started after a
 *       registration completed cannot succeed before that sender's value
 *       is in;
 *   (3) exactly once: each value pushed at most once and taken at most
 *       once; at the end a sender answered OK iff its value is in, every
 *       unfinished sender is queued, none was claimed DONE twice;
 *   (4) nobody waits for a slot in flight while holding sendq's lock:
 *       asserted (lk != self) at every such wait;
 *   (5) try_send's FULL is linearizable: fullseen when it answers FULL;
 *   (6) try_recv's EMPTY is linearizable: emptyseen when it answers EMPTY.
 *   The live rows (NEWCOMER, TRYRECV) check, under weak fairness, that
 *   every run ends: no retry loop (CAS, owed_room, pop, the serve's
 *   unlock-wait-relock) can go on for ever.
 *
 * Broken twins (the check must fail):
 *   NO_F2        no fence after registering: the nwaiting store can sit in
 *                the buffer while the serve looks at the ring, and the
 *                receiver's D2 and the sender's serve both miss
 *   REG_NO_WAIT  the registering sender, finding the slot at the tail in
 *                flight, answers PENDING instead of waiting for it
 *   NO_A4        a slot still being vacated is taken for FULL (no head
 *                check): the registering sender sleeps on room being made
 *   SERVE_ONE    a serve moves at most one sender's value in
 *   WAIT_UNDER_LOCK  the slot in flight is waited for with the lock held
 *                (the old push_settled under sendq's lock)
 *   SERVE_BEFORE_R2  a receive serves before releasing its own slot: its
 *                serve leaves that slot (in flight) to itself
 *   NEWCOMER_IGNORES_BIT  a new push's CAS ignores the wait bit
 *   C2_NWAITING_CHECK  the old fast path (issue 14, C2): a new send reads
 *                sendq.nwaiting, answers FULL if senders wait, else pushes
 *                with a CAS that ignores the bit
 *   TRY_FULL_ON_BIT  try_send answers FULL on the wait bit, handing
 *                nothing over
 *   OWED_STALE   owed_room as lib/ring.h has it: a stamp ahead of the
 *                tail it loaded (a served push claimed and filled the slot
 *                meanwhile) answers 0, "senders wait, ring full", and
 *                try_send answers FULL with room free all along
 *   RECV_PREV_LAP  ring_take as lib/ring.h has it: EMPTY when the slot at
 *                the head was in the previous lap although the tail has
 *                moved on - try_recv answers EMPTY while a queued sender's
 *                value is moved in under it
 *   RECV_OWED_LOOK  bounded_recv_attempt as lib/chan_impl.h has it: after
 *                EMPTY, one separate owed_room look; a serve in between
 *                clears the bit, and EMPTY is answered over a served value
 *   RECV_AS_IS   both (lib/ as it is)
 * and, not a twin, NO_F2+X86_RMW passes: on x86 the RMW that sets the wait
 * bit is a locked instruction and orders the nwaiting store as F2 does
 * (C11 does not promise it, so the fence stays).
 */
#define CAP 2
#if defined(NEWCOMER_IGNORES_BIT) || defined(C2_NWAITING_CHECK) || \
    defined(TRY_FULL_ON_BIT) || defined(OWED_STALE)
#define NEWCOMER
#endif
#ifdef RECV_AS_IS
#define RECV_PREV_LAP
#define RECV_OWED_LOOK
#endif
#if defined(RECV_PREV_LAP) || defined(RECV_OWED_LOOK)
#define TRYRECV
#endif
#if defined(NEWCOMER) && defined(TRYRECV)
#error "NEWCOMER and TRYRECV are separate configurations"
#endif
#if defined(NEWCOMER) || defined(TRYRECV)
#define NS 1			/* senders 0 .. NS-1 */
#define NP (NS + 3)
#else
#define NS 2
#define NP (NS + 2)
#endif
#define R0 NS			/* receivers R0, R0 + 1 */
#define NC (NS + 2)		/* the try_send or try_recv, if any */
#define NV (NS + 3)		/* value ids: the pushing process's; NV: none */
#define V0 (NV + 1)		/* the values the ring starts with: V0, V0 + 1 */
#define BS 3
#define SNW CAP			/* address of sendq.nwaiting; stamps 0..CAP-1 */
#define NADDR (CAP + 1)

#define FULL 0			/* a push's results (PUSHED: ACHAN_OK) */
#define PUSHED 1
#define INFLIGHT 2
#define WAITING 3
#define EMPTY 4			/* a pop's (and INFLIGHT) */
#define TOOK 5

#ifdef X86_RMW
#define RMW_DRAIN(p) drain(p)
#else
#define RMW_DRAIN(p) skip
#endif

#if defined(NEWCOMER_IGNORES_BIT) || defined(C2_NWAITING_CHECK)
#define IGNORE_BIT 1
#else
#define IGNORE_BIT 0
#endif

#include "tso.pml"

byte tail = CAP;		/* position of the tail word */
bool wbit = 0;			/* its wait bit */
byte head = 0;
byte lk = 0;			/* sendq's lock: 0 free, else owner + 1 */
byte q[NS];			/* sendq: waiting sender ids, oldest first */
byte qn = 0;
bool done[NS];			/* claimed DONE by a serve */
bool fin[NV];			/* finished, answered OK */
bool pushed[NV];
byte val[CAP];			/* ghost: whose value is in each slot */
bool got[V0 + CAP];
byte lnk = 0;
byte reg = 0;
bool pendg[NS];			/* its poll returned PENDING, not yet pushed */
byte pend = 0;
bool nact = 0;
bool fullseen = 0;
bool eact = 0;
bool emptyseen = 0;

inline lock(p)   { atomic { lk == 0 -> drain(p); j_ = 0; lk = p + 1 } }
inline unlock(p) { atomic { assert(lk == p + 1); drain(p); j_ = 0; lk = 0 } }

/* tso.pml's ld and drain, leaving their counters at 0 (fewer states) */
inline ldr(p, a, res) { atomic { ld(p, a, res); i_ = 0 } }
inline drainr(p)      { atomic { drain(p); j_ = 0 } }

/* After an event that may fill (note_full) or empty the abstract channel. */
inline note_full()
{
	if
	:: nact && tail - head + lnk >= CAP -> fullseen = 1
	:: else -> skip
	fi
}

inline note_empty()
{
	if
	:: eact && tail - head + pend == 0 -> emptyseen = 1
	:: else -> skip
	fi
}

inline q_pop_head()
{
	k_ = 0;
	do
	:: k_ + 1 < qn -> q[k_] = q[k_ + 1]; k_++
	:: else -> break
	od;
	qn--;
	q[qn] = 0;
	k_ = 0
}

proctype flusher()
{
	byte j_;
end:	do
	:: atomic { bN[0] > 0 -> commit_one(0); j_ = 0 }
	:: atomic { bN[1] > 0 -> commit_one(1); j_ = 0 }
	:: atomic { bN[2] > 0 -> commit_one(2); j_ = 0 }
	:: atomic { bN[3] > 0 -> commit_one(3); j_ = 0 }
#if NP > 4
	:: atomic { bN[4] > 0 -> commit_one(4); j_ = 0 }
#endif
	od
}

/*
 * The tail word (relaxed), and for a served push the stamp there (A1) in
 * the same step (see Reductions).
 */
inline load_tail(pp, served)
{
	atomic {
		t = tail;
		wb = wbit;
		if
		:: served -> ldr(pp, t % CAP, s)
		:: else -> skip
		fi
	}
}

/*
 * achan__ring_push_as: rr PUSHED (value v in; R1 in the store buffer),
 * FULL, INFLIGHT or WAITING.  `served`: on behalf of the oldest queued
 * sender v, under the lock.  Leaves t (the position tried) and s (the
 * stamp seen) for a wait.
 */
inline push_as(pp, served, v, rr)
{
	load_tail(pp, served);
	do
	:: !served && wb && !IGNORE_BIT -> rr = WAITING; break
	:: else ->
		if
		:: !served -> ldr(pp, t % CAP, s)	/* A1 */
		:: else -> skip
		fi;
		if
		:: s == t ->
			atomic {
				drainr(pp);	/* S1: the CAS, a locked insn */
				if
				:: tail == t && (wbit == wb || IGNORE_BIT) ->
					tail = t + 1;
					assert(!pushed[v]);		/* (3) */
					pushed[v] = 1;
					val[t % CAP] = v;
					if
					:: served ->
						assert(q[0] == v && reg > 0);
						lnk--;
						reg--;
						if
						:: pendg[v] -> pendg[v] = 0; pend--
						:: else -> skip
						fi
					:: else ->
						assert(reg == 0);	/* (2) */
						note_full()
					fi;
					st(pp, t % CAP, t + 1);		/* R1 */
					rr = PUSHED;
					break
				:: else -> skip		/* it reloaded the word */
				fi
			};
			load_tail(pp, served)
		:: s < t && s + CAP == t + 1 ->	/* previous lap, its value */
#ifdef NO_A4
			rr = FULL;
#else
			atomic {			/* A4 */
				if
				:: head + CAP != t -> rr = INFLIGHT
				:: else -> rr = FULL
				fi
			};
#endif
			break
		:: s < t && s + CAP != t + 1 ->	/* previous lap, being filled */
			rr = FULL;
			break
		:: s > t ->			/* another producer took it */
			load_tail(pp, served)
		fi
	od
}

/* S2 done: take the value at h (ghost). */
inline take()
{
	head = h + 1;
	assert(!got[val[h % CAP]]);			/* (3) */
	got[val[h % CAP]] = 1;
	note_empty()
}

/* R2: release the slot at h (buffered) */
#define R2(pp) st(pp, h % CAP, h + CAP)

/*
 * achan__ring_take: rr TOOK, EMPTY or INFLIGHT.  Leaves h and s for a
 * wait, and wb: the wait bit in the tail word that A3 loaded.
 */
inline pop(pp, rr)
{
	atomic { h = head };
	do
	:: ldr(pp, h % CAP, s);			/* A2 */
		if
		:: s == h + 1 ->
			atomic {
				drainr(pp);		/* S2 */
				if
				:: head == h -> take(); R2(pp); rr = TOOK; break
				:: else -> h = head
				fi
			}
		:: s < h + 1 ->
			atomic { t = tail; wb = wbit };	/* A3 */
			if
			:: t == h -> rr = EMPTY; break
			:: t != h && s != h ->		/* previous lap */
#ifdef RECV_PREV_LAP
				rr = EMPTY; break
#else
				atomic { h = head }	/* look again */
#endif
			:: t != h && s == h && head == h -> rr = INFLIGHT; break
			:: t != h && s == h && head != h -> h = head
			fi
		:: s > h + 1 -> atomic { h = head }
		fi
	od
}

/*
 * A slot in flight: wait (in the library: yield, then sleep) until its
 * stamp or the tail moves.  Never with sendq's lock held: (4).
 */
inline wait_slot(p)
{
	assert(lk != p + 1);
	atomic { mem[t % CAP] != s || tail != t }
}

/* The same for a slot at the head being filled (pop_settled). */
inline wait_pop(p)
{
	assert(lk != p + 1);
	atomic { mem[h % CAP] != s || head != h }
}

/* serve_senders_locked: sendq's lock held on entry and on return. */
inline serve(ps, wait, self)
{
	do
	:: qn == 0 -> break
	:: else ->
		w = q[0];
		push_as(ps, 1, w, res);
		if
		:: res == PUSHED ->
			atomic {
				q_pop_head();
				st(ps, SNW, qn);	/* nwaiting */
				if
				:: w == self -> selfdone = 1
				:: else -> assert(!done[w]); done[w] = 1
				fi
			};
			if
			:: qn == 0 -> atomic { RMW_DRAIN(ps); wbit = 0 }
			:: else -> skip
			fi;
#ifdef SERVE_ONE
			break
#else
			skip
#endif
		:: res == INFLIGHT && wait ->
#ifdef WAIT_UNDER_LOCK
			wait_slot(ps)
#else
			unlock(ps);
			wait_slot(ps);
			lock(ps)
#endif
		:: else -> break
		fi
	od;
	w = 0
}

/* serve_senders(wait), from outside the lock */
inline serve_unlocked(p, wait)
{
	lock(p);
	serve(p, wait, NV);
	unlock(p)
}

/* achan__ring_owed_room: o 1, 0, or 2 for -1. */
inline owed_room(p, o)
{
	do
	:: atomic { t = tail; wb = wbit };	/* acquire */
		if
		:: !wb -> o = 2; break		/* nobody waits now */
		:: else -> skip
		fi;
		ldr(p, t % CAP, s);
		if
		:: s == t -> o = 1; break	/* free */
		:: s > t ->			/* the tail moved on since */
#ifdef OWED_STALE
			o = 0; break
#else
			skip			/* look again */
#endif
		:: s < t && s + CAP == t + 1 ->	/* being vacated? */
			atomic {
				if
				:: head + CAP != t -> o = 1
				:: else -> o = 0
				fi
			};
			break
		:: s < t && s + CAP != t + 1 -> o = 0; break
		fi
	od
}

proctype sender(byte p)
{
	byte i_, j_, k_, s, t, w, res;
	bool wb, selfdone = 0, claimed;

	push_as(p, 0, p, res);		/* bounded_send_attempt(settle 0) */
	if
	:: res == PUSHED -> goto ok
	:: else -> skip
	fi;
	lock(p);
	atomic {				/* link, D-store */
		q[qn] = p;
		qn++;
		lnk++;
		note_full();
		st(p, SNW, qn);
		if
		:: qn > 1 -> reg++		/* the bit is set already */
		:: else -> skip
		fi
	};
	if
	:: qn == 1 -> atomic { RMW_DRAIN(p); wbit = 1; reg++ }	/* fetch_or */
	:: else -> skip
	fi;
#ifndef NO_F2
	drainr(p);				/* F2 */
#endif
#ifdef REG_NO_WAIT
	serve(p, 0, p);
#else
	serve(p, 1, p);
#endif
	atomic { claimed = done[p]; t = 0; s = 0; wb = 0; res = 0 };
	atomic {
		unlock(p);
		if
		:: !selfdone && !claimed -> pendg[p] = 1; pend++
		:: else -> skip
		fi
	};
	if
	:: selfdone || claimed -> goto ok	/* (a re-poll sees DONE) */
	:: else -> skip
	fi;
end_sleep:
	done[p];				/* PENDING until claimed DONE */
ok:
	atomic { fin[p] = 1; selfdone = 0; claimed = 0 }
}

proctype receiver(byte p)
{
	byte i_, j_, k_, s, t, h, n, w, res;
	bool wb, selfdone;

	/* take a value once there is one at the head (A2 + S2), copy it out,
	 * release the slot (R2) */
end_take:
	atomic {
		mem[head % CAP] == head + 1 ->
		drainr(p);
		h = head;
		take();
#ifndef SERVE_BEFORE_R2
		R2(p)
#endif
	};
	ldr(p, SNW, n);				/* D2 */
	if
	:: n > 0 -> serve_unlocked(p, 0)	/* serve_senders(0) */
	:: else -> skip
	fi;
#ifdef SERVE_BEFORE_R2
	R2(p);
#endif
	atomic { h = 0; n = 0 }
}

#ifdef NEWCOMER
proctype newcomer(byte p)
{
	byte i_, j_, k_, s, t, w, n, o, res;
	bool wb, selfdone;

	atomic { nact = 1; note_full() };
#ifdef C2_NWAITING_CHECK
	ldr(p, SNW, n);			/* the old check, before the push */
	if
	:: n != 0 -> res = FULL; goto answer
	:: else -> skip
	fi;
#endif
again:
	push_as(p, 0, p, res);
	if
	:: res == INFLIGHT -> wait_slot(p); goto again	/* push_settled */
	:: res == WAITING ->
#ifdef TRY_FULL_ON_BIT
		res = FULL
#else
		owed_room(p, o);
		if
		:: o == 1 -> serve_unlocked(p, 1); goto again
		:: o == 2 -> goto again
		:: o == 0 -> res = FULL
		fi
#endif
	:: else -> skip
	fi;
answer:
	if
	:: res == FULL -> assert(fullseen)	/* (5) */
	:: else -> fin[p] = 1
	fi;
	atomic { nact = 0; t = 0; s = 0; wb = 0; n = 0; o = 0; res = 0 }
}
#endif

#ifdef TRYRECV
proctype tryrecv(byte p)
{
	byte i_, j_, k_, s, t, h, w, n, o, res;
	bool wb, selfdone, handed = 0;

	atomic { eact = 1; note_empty() };
again:
	pop(p, res);
	if
	:: res == INFLIGHT -> wait_pop(p); goto again	/* pop_settled */
	:: else -> skip
	fi;
#ifdef RECV_OWED_LOOK
	if
	:: res == EMPTY && !handed ->
		owed_room(p, o);
		if
		:: o == 1 -> serve_unlocked(p, 1); handed = 1; goto again
		:: else -> skip
		fi
	:: else -> skip
	fi;
#else
	if
	:: res == EMPTY && wb -> serve_unlocked(p, 1); goto again	/* owed */
	:: else -> skip
	fi;
#endif
	if
	:: res == TOOK ->
		ldr(p, SNW, n);			/* D2 */
		if
		:: n > 0 -> serve_unlocked(p, 0)
		:: else -> skip
		fi
	:: else ->
		assert(res == EMPTY && emptyseen)	/* (6) */
	fi;
	atomic { eact = 0; t = 0; s = 0; h = 0; wb = 0; n = 0; o = 0; res = 0 }
}
#endif

proctype checker()
{
	byte i;

	timeout;
	/* (1) a sender still queued is queued on a full ring */
	assert(qn == 0 || tail - head == CAP);
	/* (3) */
	i = 0;
	do
	:: i < NS ->
		assert(fin[i] == pushed[i]);
		assert(fin[i] || !done[i]);
		i++
	:: else -> break
	od;
	assert(fin[NC] == pushed[NC]);
	i = 0;
	do
	:: i < NS && !fin[i] -> qn--; i++	/* each unfinished is queued */
	:: i < NS && fin[i] -> i++
	:: else -> break
	od;
	assert(qn == 0)
}

init
{
	byte i;

	atomic {
		i = 0;
		do
		:: i < CAP -> mem[i] = i + 1; val[i] = V0 + i; i++	/* full */
		:: else -> break
		od;
		run flusher();
		i = 0;
		do
		:: i < NS -> run sender(i); i++
		:: else -> break
		od;
		run receiver(R0);
		run receiver(R0 + 1);
#ifdef NEWCOMER
		run newcomer(NC);
#endif
#ifdef TRYRECV
		run tryrecv(NC);
#endif
		run checker()
	}
}
