/*
 * model/select_claim.pml - the select's claim word (issue 15): exactly one
 * case completes, no value lost or taken twice, no lost wakeup, and no
 * select left pending while a partner waits for it (a stranded pair).
 *
 * Abstracts the claim protocol of lib/select_impl.h and its use by the
 * unbuffered meet of lib/chan_impl.h (doc/select-design.md, "The claim"):
 *
 *   claim       one word per select: OPEN, BUSY (its owner polls; with a
 *               MISSED flag once a server passed it by meanwhile), FINAL(i)
 *               (case i won), FINAL(none) (cancelled).
 *   serve       a plain party on an unbuffered channel (a blocking send or
 *               receive, try_send, try_recv) - or a select's owner
 *               attempting a case - under the channel's one lock, looks at
 *               the waiters of the other queue from the oldest: a plain
 *               waiter -> pop it, move the value, claim it DONE (its sleep
 *               ends), met; a select's node of case i -> one RMW on that
 *               select's claim: OPEN -> FINAL(i): won, then (still under
 *               the lock) pop the node, move the value, claim it for the
 *               select's waker (W1 of the wake list, run after the
 *               unlock); BUSY -> BUSY|MISSED (a CAS loop: a word seen
 *               BUSY is never ORed blindly, see BLIND_OR), leave the node
 *               queued, look at the next waiter; FINAL(any j) -> the node
 *               is LOST: unlink it (no wake), look at the next waiter (the
 *               hand-on).  FINAL(i) of the server's own case
 *               is LOST too: the owner met a partner of case i itself and
 *               has not unlinked the node yet (TWO_A; OWN_FINAL_WINS).
 *               Nobody met: a blocking party links itself in its own queue
 *               and sleeps until claimed DONE; a try answers FULL / EMPTY.
 *               A select never meets itself (asserted).
 *   poll        the select's owner (achan_select_poll): CAS OPEN -> BUSY
 *               (it fails only on FINAL: finish); for each case from a
 *               start chosen at random: under its channel's lock, the serve
 *               above; met -> unlock, claim = FINAL(i) by exchange (servers
 *               may still OR MISSED in: asserted BUSY or BUSY|MISSED), run
 *               the wake list, finish; else link the case's node if it is
 *               not linked (a re-poll keeps its queue place).  No case met:
 *               CAS BUSY -> OPEN: PENDING; it failed (MISSED) -> store BUSY
 *               (clear MISSED: back to the top would fail its CAS OPEN ->
 *               BUSY for ever) and attempt every case again.
 *   PENDING     the owner then sleeps until its waker is called, polls
 *               again at once (a spurious re-poll, once), or cancels.
 *   cancel      CAS OPEN -> FINAL(none): CANCELLED; it fails -> FINAL(i):
 *               case i won just before, answer OK with i.
 *   finish      unlink every case node still queued, under each case's
 *               lock; then settle the winning case's node (a server's win:
 *               the owner takes it out of the server's wake list, or its
 *               wake has run - lib/waitq_impl.h, model/wakelist_take.pml);
 *               return.  The order matters (SETTLE_FIRST): the owner can
 *               see FINAL(i) while the winning server, between its CAS and
 *               W1, still holds case i's lock; a settle then finds nothing
 *               to take, and the server's wake list calls the waker after
 *               the select returned.  Locking case i's channel first waits
 *               that window out.
 *
 * Memory model: sequentially consistent.  The claim words are changed only
 * by RMWs (CAS, exchange; the owner's store of BUSY over BUSY|MISSED races
 * only with MISSED being set again, which it clears anyway, and is
 * followed by lock acquisitions); queues and node states are under the
 * channel's lock; the wakes are the parker's (model/parker.pml) and the
 * wake list's (model/wakelist_take.pml).  No argument here rests on a load
 * passing an earlier store, so tso.pml is not used.
 *
 * Reduction (Lipton): a lock-held block with at most one access that the
 * lock does not protect is one step.  Each block here has at most one
 * claim RMW: in every configuration a queue holds at most one select's
 * node, and the owner's exchange of its own claim is a step of its own
 * after the unlock (a superset of doing it under the lock).  A won claim
 * is the exception: the node's wake state, which the owner's settle reads
 * without the lock, is set after the CAS, so a win is two steps - lock,
 * look, CAS; then unlink, move, W1, unlock (win) - with lk[] held in
 * between (elsewhere lk[] stays 0).  The twins that split a claim RMW in
 * two (CLAIM_LOAD_STORE, BLIND_OR) make every statement of a lock-held
 * block its own step.  A wake of the select (after the unlock) is one
 * step: the wake list's handshake is wakelist_take.pml's.
 *
 * Configurations (unbuffered channels A and B; select 0 has case 0 on A
 * and case 1 on B; init chooses for each party a blocking or a try form,
 * and for the third party whether it runs at all):
 *   (default)  select 0: recv A, recv B; parties: send A, send B, recv A;
 *   SENDCASE   select 0: recv A, send B; parties: send A, recv B, recv A;
 *   TWO_A      select 0: recv A, recv B; parties: send A, send B, send A
 *              (a server can meet the A node with the claim already
 *              FINAL(A), won by the owner meeting the other sender);
 *   TWO_SEL    select 0: recv A, recv B; select 1: send A (one case);
 *              party: send B (no spurious re-poll, for size);
 *   TRY_LOOP   select 0: recv A, recv B; parties: send A, a try_send
 *              repeated while it answers FULL and select 0 has not
 *              returned (a producer spinning on try_send), send B;
 *   NO_REPOLL  (with any of them) no spurious re-poll: the live row of the
 *              default configuration, for size (the re-poll happens once,
 *              and goes through the same loop as any poll).
 *
 * Ghost state: delivered[v] (value v moved: the parties' ids, SEL0 + s for
 * select s's send case), nrecv[r] (values received), selcomp / compch
 * (cases of a select completed, and on which channel), seldone (its owner
 * returned: its waker must not run from then on), wst (the winning node's
 * wake: claimed / run / taken by its owner).
 *
 * Properties:
 *   (1) exactly one case: a second completion of a select asserts; its
 *       answer is the case whose value moved (OK with i: one completion,
 *       on i's channel; CANCELLED: none);
 *   (2) exactly once: each value moves at most once and each receiver gets
 *       at most one; at the end a party answered OK iff its value moved
 *       (or it got one), and a blocking party that did not is queued;
 *   (3) no stranded pair: when nothing can move any more (timeout), no
 *       channel has a plain sender and a plain receiver queued, and a
 *       select still pending is OPEN, registered on each of its channels,
 *       with no partner (a plain waiter or an OPEN select's node) queued
 *       there; a try's FULL / EMPTY, a blocking party's registration and
 *       a case's registration never pass over a partner either: only over
 *       a node whose select is BUSY (its owner polls: not waiting yet);
 *   (4) no lost wakeup: a select asleep at the end is OPEN (a FINAL one
 *       would have been woken); its waker runs at most once, never once
 *       its owner has returned.
 *   The live rows check, under weak fairness, that every run ends: the
 *   owner's MISSED loop and the parties' retries cannot go on for ever.
 *
 * Findings of this model, both fixed in the library (select_claim.h,
 * chan_impl.h unbuffered_partner) and so on by default here; each twin
 * takes its fix away and must fail the live check:
 *   TWO_SEL+NO_SEL_ORDER (live)
 *                    two selects meeting on A livelock: each owner, BUSY,
 *                    passes the other's BUSY node and sets its MISSED; both
 *                    CAS BUSY -> OPEN fail, both attempt again, and so on
 *                    in lockstep.  SEL_ORDER: an owner passing the node of
 *                    a select with a lower id (address) does not set that
 *                    select's MISSED but attempts again itself (keeping
 *                    BUSY); one with a higher id gets MISSED as before.
 *                    The lowest select is never held up by a higher one,
 *                    so one of them gets to OPEN and the other meets it.
 *   TRY_LOOP+TRY_MARKS (live)
 *                    a producer spinning on try_send livelocks with the
 *                    select it should fill: every try_send passes the BUSY
 *                    node, sets MISSED and answers FULL; every CAS BUSY ->
 *                    OPEN fails, and the owner attempts again.  TRY_QUIET:
 *                    a try form passing a BUSY node does not set MISSED -
 *                    it leaves nothing queued for the owner to find (MISSED
 *                    is for a party that links itself, or room that stays
 *                    free), so the owner gets to OPEN and the next try_send
 *                    wins.  Only unbuffered try_send / try_recv are meant.
 *
 * Broken twins (the check must fail):
 *   CLAIM_LOAD_STORE  a server claims by a load of OPEN, then a plain store
 *                     of FINAL(i): servers on A and B both win, the select
 *                     gets two values (1)
 *   NO_HANDON     a server meeting a LOST node unlinks it and stops, as if
 *                 nobody else waited: a try_send answers FULL over a
 *                 receiver queued behind it; a blocking sender is stranded
 *                 with that receiver (3)
 *   NO_MISSED     a server meeting a BUSY claim passes the node without
 *                 setting MISSED: the owner gets BUSY -> OPEN and sleeps
 *                 while the sender that passed it by sits queued (3)
 *   RELEASE_STORE the owner releases BUSY with a plain store of OPEN,
 *                 ignoring MISSED: the same strand (3)
 *   BLIND_OR      a server sets MISSED with a fetch_or after its failed
 *                 CAS, without checking that the word is still BUSY: the
 *                 owner has meanwhile released it (OPEN|MISSED) or won
 *                 (FINAL|MISSED), a value nobody understands
 *   OWN_FINAL_WINS  (TWO_A) a server whose CAS fails on FINAL(i) of its
 *                 own case i takes the case as won: the select gets two
 *                 values (1)
 *   NO_SETTLE     the owner finishing does not take the winning node out
 *                 of the server's wake list: the select's waker runs after
 *                 the select returned (4)
 *   SETTLE_FIRST  the owner settles the winning node before it locks the
 *                 cases' channels (see finish): the same (4)
 */
#if defined(OWN_FINAL_WINS)
#define TWO_A
#endif
#if defined(CLAIM_LOAD_STORE) || defined(BLIND_OR)
#define SPLIT
#endif
#ifdef SPLIT
#define LOCKED			/* every statement its own step; lk[] locks */
#else
#define LOCKED atomic		/* a lock-held block is one step */
#endif

#define A 0
#define B 1
#define SEND 0
#define RECV 1
#define QL 2			/* places per queue */
#define QI(ch, dir) ((ch) * 2 + (dir))

#define NP 3			/* parties 0 .. NP-1 */
/* The library's fixes of the two livelocks above (twins take them away). */
#ifndef NO_SEL_ORDER
#define SEL_ORDER
#endif
#ifndef TRY_MARKS
#define TRY_QUIET
#endif

#ifdef TWO_SEL
#define NSEL 2
#else
#define NSEL 1
#endif
#define SEL0 NP			/* select s: node / value / receiver SEL0 + s */
#define NV (NP + NSEL)
#define NONE 255
#define SC(s, ch) ((s) * 2 + (ch))	/* select s's case on ch */

#define OPEN 0
#define BUSY 1
#define MISSED 2
#define FIN0 4			/* FINAL(i): FIN0 + i */
#define FINNONE 6		/* FINAL(none): cancelled */
#define IS_BUSY(c) ((c) == BUSY || (c) == (BUSY | MISSED))
#define IS_FINAL(c) ((c) >= FIN0 && (c) <= FINNONE)

#define WCLAIMED 1		/* wst: in the winner's wake list */
#define WRUN 2			/* its wake ran (the waker was called) */
#define WTAKEN 3		/* its owner took it out: no wake */

#define R_OK 1
#define R_NONE 2		/* FULL / EMPTY (a try) */
#define R_QUEUED 3		/* linked, asleep */

byte q[4 * QL];			/* queue QI(ch, dir): q[QI * QL + k] */
byte qn[4];
byte lk[2];			/* the channels' locks (SPLIT only) */

byte claim[NSEL];
byte seldir[2 * NSEL];		/* direction of select s's case on ch, NONE */
bool linked[2 * NSEL];		/* that case's node is queued */
byte wst[2 * NSEL];
bool woke[NSEL];		/* the select's waker was called (sticky) */
bool osleep[NSEL];		/* its owner sleeps after PENDING */
bool seldone[NSEL];		/* its owner returned */
byte selres[NSEL];		/* its answer: the case, or NONE: CANCELLED */
byte selcomp[NSEL];		/* cases of the select completed */
byte compch[NSEL];

byte pch[NP];			/* party p: its channel, direction, form */
byte pdir[NP];
bool ptry[NP];
bool prun[NP];
bool done[NP];			/* claimed DONE while queued */
byte pres[NP];			/* its answer, or R_QUEUED */
bool pfin[NP];			/* it returned */
byte delivered[NV];		/* per value */
byte nrecv[NV];			/* per receiver */

inline lock(ch, me)   { atomic { lk[ch] == 0 -> lk[ch] = me + 1 } }
inline unlock(ch, me) { assert(lk[ch] == me + 1); lk[ch] = 0 }

inline qpush(qi, w)
{
	assert(qn[qi] < QL);
	q[qi * QL + qn[qi]] = w;
	qn[qi]++
}

/* remove the waiter at place k of queue qi; k_ is left 0 */
inline qdel(qi, k)
{
	k_ = k;
	do
	:: k_ + 1 < qn[qi] -> q[qi * QL + k_] = q[qi * QL + k_ + 1]; k_++
	:: else -> break
	od;
	qn[qi]--;
	q[qi * QL + qn[qi]] = 0;
	k_ = 0
}

/* unlink select s's node on ch, if it is queued */
inline sel_unlink(s, ch)
{
	if
	:: linked[SC(s, ch)] ->
		k_ = 0;
		do
		:: q[QI(ch, seldir[SC(s, ch)]) * QL + k_] == SEL0 + s -> break
		:: else -> k_++
		od;
		qdel(QI(ch, seldir[SC(s, ch)]), k_);
		linked[SC(s, ch)] = 0
	:: else -> skip
	fi
}

/* a select's case completes (ghost) */
inline sel_comp(v, ch)
{
	if
	:: v >= SEL0 ->
		assert(selcomp[v - SEL0] == 0);			/* (1) */
		selcomp[v - SEL0] = 1;
		compch[v - SEL0] = ch
	:: else -> skip
	fi
}

/* value of sender snd moves to receiver rcv over channel ch (ghost) */
inline xfer(snd, rcv, ch)
{
	assert(delivered[snd] == 0);				/* (2) */
	delivered[snd] = 1;
	assert(nrecv[rcv] == 0);				/* (2) */
	nrecv[rcv] = 1;
	sel_comp(snd, ch);
	sel_comp(rcv, ch)
}

/* me moves its value to / takes it from other, in direction dir */
inline meet(me, other, dir, ch)
{
	if
	:: dir == SEND -> xfer(me, other, ch)
	:: else -> xfer(other, me, ch)
	fi
}

/* (3): nothing that could take the value is passed over */
inline no_partner_left(pq)
{
	k_ = 0;
	do
	:: k_ < qn[pq] ->
		assert(q[pq * QL + k_] >= SEL0 &&
		    claim[q[pq * QL + k_] - SEL0] != OPEN);
		k_++
	:: else -> break
	od;
	k_ = 0
}

/*
 * The claim RMW on select t's claim by whoever meets t's node of case ch
 * (a party, or another select's owner); c: the value it found; mark: a
 * BUSY claim gets MISSED.
 */
inline claim_rmw(t, ch, c, mark)
{
#if defined(CLAIM_LOAD_STORE)
	c = claim[t];				/* load ... */
	if
	:: c == OPEN -> claim[t] = FIN0 + ch	/* ... store */
	:: IS_BUSY(c) ->
		atomic {
			c = claim[t];
			if
			:: IS_BUSY(c) -> claim[t] = c | MISSED
			:: else -> skip
			fi
		}
	:: else -> skip
	fi;
#elif defined(BLIND_OR)
	atomic {				/* CAS OPEN -> FINAL(ch) */
		c = claim[t];
		if
		:: c == OPEN -> claim[t] = FIN0 + ch
		:: else -> skip
		fi
	};
	if
	:: IS_BUSY(c) -> claim[t] = claim[t] | MISSED	/* fetch_or */
	:: else -> skip
	fi;
#else
	atomic {				/* the CAS (loop) */
		c = claim[t];
		if
		:: c == OPEN -> claim[t] = FIN0 + ch
#ifndef NO_MISSED
		:: c == BUSY && mark -> claim[t] = BUSY | MISSED
#endif
		:: else -> skip
		fi
	};
#endif
	assert(c == OPEN || IS_BUSY(c) || IS_FINAL(c));
#ifdef OWN_FINAL_WINS
	if
	:: c == FIN0 + ch -> c = OPEN		/* "mine already" */
	:: else -> skip
	fi;
#endif
	skip
}

/*
 * The serve of queue pq of channel ch by me (a party, or the owner of a
 * select: SEL0 + s), moving in direction dir, under ch's lock: meet the
 * oldest plain waiter or winnable select; won: the plain waiter met
 * (NONE: nobody); wk: the select whose claim it won (else NONE) - then the
 * lock stays held, k, w and t name the node, and win() ends the block.
 */
inline serve(me, pq, ch, dir, won, wk)
{
	k = 0;
	do
	:: k >= qn[pq] -> break				/* nobody to meet */
	:: else ->
		w = q[pq * QL + k];
		if
		:: w < SEL0 ->				/* a plain waiter */
			qdel(pq, k);
			meet(me, w, dir, ch);
			done[w] = 1;
			won = w;
			break
		:: else ->				/* a select's node */
			t = w - SEL0;
			assert(me != w);		/* never itself */
			mark = 1;
#ifdef TRY_QUIET
			if
			:: me < SEL0 && ptry[me] -> mark = 0
			:: else -> skip
			fi;
#endif
#ifdef SEL_ORDER
			if
			:: me >= SEL0 && t < me - SEL0 -> mark = 0
			:: else -> skip
			fi;
#endif
			claim_rmw(t, ch, c, mark);
			if
			:: c == OPEN ->			/* won: see win */
				wk = t;
				break
			:: IS_BUSY(c) ->		/* pass it by */
				k++;
				again = again || !mark
			:: else ->			/* LOST */
				qdel(pq, k);
				linked[SC(t, ch)] = 0;
#ifdef NO_HANDON
				break
#else
				skip			/* the next one */
#endif
			fi
		fi
	od;
	if
	:: wk == NONE -> k = 0; w = 0; t = 0
	:: else -> skip				/* for win */
	fi;
	c = 0; mark = 0
}

/*
 * A won claim, the rest of the lock-held block: unlink the node (place k
 * of queue pq), move the value, claim the node for select t's waker (W1
 * of the wake list), unlock.  A step of its own: the owner, seeing FINAL,
 * may look at the node's wake state (its settle) in between - which is
 * why finish settles only after it has locked every case's channel.
 */
inline win(me, pq, ch, dir, won)
{
	atomic {
		qdel(pq, k);
		linked[SC(t, ch)] = 0;
		meet(me, w, dir, ch);
		wst[SC(t, ch)] = WCLAIMED;
		won = w;
		k = 0; w = 0; t = 0;
		unlock(ch, me)
	}
}

/* the wake list run after the unlock: call select t's waker */
inline wake_sel(t, ch)
{
	atomic {
		if
		:: wst[SC(t, ch)] == WCLAIMED ->
			assert(!seldone[t] && !woke[t]);	/* (4) */
			wst[SC(t, ch)] = WRUN;
			woke[t] = 1
		:: else -> assert(wst[SC(t, ch)] == WTAKEN)
		fi
	}
}

/*
 * A plain party: the serve of the other queue under the channel's lock,
 * then (nobody met) FULL / EMPTY, or link itself and sleep until DONE.
 */
proctype party(byte p)
{
	byte ch = pch[p], dir = pdir[p], pq, k, w, c, t, k_;
	byte won = NONE, wk = NONE;
	bool mark, again;

	pq = QI(ch, 1 - dir);
again_:
	LOCKED {
		lock(ch, p);
		serve(p, pq, ch, dir, won, wk);
		if
		:: wk != NONE -> skip			/* won a claim */
		:: else ->
			if
			:: won != NONE -> pres[p] = R_OK
			:: else ->
				no_partner_left(pq);		/* (3) */
				if
				:: ptry[p] -> pres[p] = R_NONE
				:: else ->
					qpush(QI(ch, dir), p);
					pres[p] = R_QUEUED
				fi
			fi;
			unlock(ch, p)
		fi
	};
	if
	:: wk != NONE -> win(p, pq, ch, dir, won); pres[p] = R_OK
	:: else -> skip
	fi;
	if
	:: wk != NONE -> wake_sel(wk, ch)
	:: else -> skip
	fi;
#ifdef TRY_LOOP
	if		/* try again while the select may still take it */
	:: ptry[p] && pres[p] == R_NONE && !seldone[0] -> pres[p] = 0; goto again_
	:: else -> skip
	fi;
#endif
	if
	:: pres[p] == R_QUEUED ->
end_wait:	atomic { done[p] -> pres[p] = R_OK }
	:: else -> skip
	fi;
	pfin[p] = 1
}

/*
 * The owner of select s attempts its case on ch under ch's lock: meet a
 * partner, or make sure its node is queued.  Met: claim FINAL(ch) by
 * exchange after the unlock (servers may still OR MISSED in), then run the
 * wake list (a select met).
 */
inline attempt(s, ch)
{
	LOCKED {
		lock(ch, SEL0 + s);
		pq = QI(ch, 1 - seldir[SC(s, ch)]);
		serve(SEL0 + s, pq, ch, seldir[SC(s, ch)], won, wk);
		if
		:: wk != NONE -> skip			/* won a claim */
		:: else ->
			if
			:: won == NONE ->
				no_partner_left(pq);		/* (3) */
				if
				:: !linked[SC(s, ch)] ->
					qpush(QI(ch, seldir[SC(s, ch)]),
					    SEL0 + s);
					linked[SC(s, ch)] = 1
				:: else -> skip
				fi
			:: else -> skip
			fi;
			unlock(ch, SEL0 + s)
		fi
	};
	if
	:: wk != NONE -> win(SEL0 + s, pq, ch, seldir[SC(s, ch)], won)
	:: else -> skip
	fi;
	pq = 0;
	if
	:: won != NONE ->
		atomic {				/* exchange */
			assert(IS_BUSY(claim[s]));
			claim[s] = FIN0 + ch
		};
		fin = ch;
		won = NONE
	:: else -> skip
	fi;
	if
	:: wk != NONE -> wake_sel(wk, ch); wk = NONE
	:: else -> skip
	fi
}

/*
 * Settle the winning node of select s (case fin): take it out of the
 * winner's wake list, or its wake has run.  Only once finish has locked
 * the case's channel: a server that won the claim sets the node's wake
 * state (W1) under that lock, after its CAS.
 */
inline settle(s, fin)
{
	atomic {
		if
		:: fin != NONE && wst[SC(s, fin)] == WCLAIMED ->
			wst[SC(s, fin)] = WTAKEN
		:: else -> skip
		fi
	}
}

proctype owner(byte s)
{
	byte c, ch, n, pq, w, t, k, k_, fin = NONE, won = NONE, wk = NONE;
	bool cancelled = 0, repolled = 0, mark, again = 0;

poll:
	atomic {				/* CAS OPEN -> BUSY */
		c = claim[s];
		if
		:: IS_FINAL(c) -> fin = c - FIN0
		:: else -> assert(c == OPEN); claim[s] = BUSY
		fi
	};
	if
	:: fin != NONE -> goto finish
	:: else -> skip
	fi;
scan:
	if					/* the first case looked at */
	:: ch = A
	:: ch = B
	fi;
	n = 0;
	do
	:: n < 2 && fin == NONE ->
		if
		:: seldir[SC(s, ch)] != NONE -> attempt(s, ch)
		:: else -> skip
		fi;
		ch = 1 - ch;
		n++
	:: else -> break
	od;
	if
	:: fin != NONE -> goto finish
	:: again -> again = 0; goto scan	/* SEL_ORDER: passed a lower BUSY */
	:: else -> skip
	fi;
	atomic {				/* CAS BUSY -> OPEN */
		c = claim[s];
#ifdef RELEASE_STORE
		claim[s] = OPEN;		/* a plain store */
		c = BUSY
#else
		if
		:: c == BUSY -> claim[s] = OPEN
		:: else -> assert(c == (BUSY | MISSED)); claim[s] = BUSY
		fi
#endif
	};
	if
	:: c == (BUSY | MISSED) -> c = 0; goto scan	/* attempt all again */
	:: else -> c = 0
	fi;
	/* PENDING */
	if
#if !defined(TWO_SEL) && !defined(NO_REPOLL)
	:: !repolled -> repolled = 1; goto poll		/* polled again at once */
#endif
	:: osleep[s] = 1;
end_sleep:	atomic { woke[s] -> woke[s] = 0; osleep[s] = 0 };
		if
		:: goto poll
		:: goto cancel
		fi
	:: goto cancel
	fi;
cancel:
	atomic {				/* CAS OPEN -> FINAL(none) */
		c = claim[s];
		if
		:: c == OPEN -> claim[s] = FINNONE; cancelled = 1
		:: else -> assert(IS_FINAL(c) && c != FINNONE); fin = c - FIN0
		fi;
		c = 0
	};
finish:
#ifdef SETTLE_FIRST
	settle(s, fin);
#endif
	ch = 0;
	do
	:: ch < 2 ->
		LOCKED { lock(ch, SEL0 + s); sel_unlink(s, ch); unlock(ch, SEL0 + s) };
		ch++
	:: else -> break
	od;
#if !defined(NO_SETTLE) && !defined(SETTLE_FIRST)
	settle(s, fin);
#endif
	atomic {
		assert(cancelled == (fin == NONE));
		if
		:: fin == NONE -> assert(selcomp[s] == 0)		/* (1) */
		:: else -> assert(selcomp[s] == 1 && compch[s] == fin)
		fi;
		selres[s] = fin;
		seldone[s] = 1
	}
}

/* r: queue qi holds a plain waiter, or a node of an OPEN select */
inline partner_in(qi, r)
{
	r = 0;
	k_ = 0;
	do
	:: k_ < qn[qi] ->
		r = r || q[qi * QL + k_] < SEL0 ||
		    claim[q[qi * QL + k_] - SEL0] == OPEN;
		k_++
	:: else -> break
	od;
	k_ = 0
}

/* r: queue qi holds a plain waiter */
inline plain_in(qi, r)
{
	r = 0;
	k_ = 0;
	do
	:: k_ < qn[qi] -> r = r || q[qi * QL + k_] < SEL0; k_++
	:: else -> break
	od;
	k_ = 0
}

proctype checker()
{
	byte p, ch, s, k_;
	bool r, u;

	timeout;
	ch = 0;
	do
	:: ch < 2 ->
		plain_in(QI(ch, SEND), r);
		plain_in(QI(ch, RECV), u);
		assert(!(r && u));					/* (3) */
		ch++
	:: else -> break
	od;
	s = 0;
	do
	:: s < NSEL ->
		/* its owner returned or sleeps on a pending select */
		assert(seldone[s] || (osleep[s] && claim[s] == OPEN &&
		    !woke[s]));						/* (4) */
		ch = 0;
		do
		:: ch < 2 && seldir[SC(s, ch)] == NONE -> ch++
		:: ch < 2 && seldir[SC(s, ch)] != NONE ->
			if
			:: !seldone[s] ->
				assert(linked[SC(s, ch)]);
				partner_in(QI(ch, 1 - seldir[SC(s, ch)]), r);
				assert(!r)				/* (3) */
			:: else -> assert(!linked[SC(s, ch)])
			fi;
			ch++
		:: else -> break
		od;
		s++
	:: else -> break
	od;
	p = 0;
	do
	:: p < NP ->
		if
		:: prun[p] && pres[p] == R_QUEUED ->
			assert(!pfin[p] && !done[p] &&
			    delivered[p] == 0 && nrecv[p] == 0)
		:: prun[p] && pres[p] != R_QUEUED ->
			assert(pfin[p]);
			assert(delivered[p] + nrecv[p] ==
			    (pres[p] == R_OK))				/* (2) */
		:: else -> skip
		fi;
		p++
	:: else -> break
	od
}

/* party p on ch in direction dir, blocking or try; runs: 1, maybe: 2 */
inline party_set(p, ch, dir, runs)
{
	pch[p] = ch;
	pdir[p] = dir;
	if
	:: ptry[p] = 1
	:: ptry[p] = 0
	fi;
	if
	:: runs == 2 ->
		if
		:: prun[p] = 1
		:: prun[p] = 0
		fi
	:: else -> prun[p] = runs
	fi
}

init
{
	byte i;

	atomic {
		i = 0;
		do
		:: i < NSEL ->
			selres[i] = NONE;
			compch[i] = NONE;
			seldir[SC(i, A)] = NONE;
			seldir[SC(i, B)] = NONE;
			i++
		:: else -> break
		od;
		seldir[SC(0, A)] = RECV;
#ifdef SENDCASE
		seldir[SC(0, B)] = SEND;
		party_set(1, B, RECV, 1);
#else
		seldir[SC(0, B)] = RECV;
		party_set(1, B, SEND, 1);
#endif
#if defined(TWO_SEL)
		seldir[SC(1, A)] = SEND;	/* select 1: one case, send A */
		party_set(0, A, SEND, 0);
		party_set(2, A, RECV, 0);
#elif defined(TRY_LOOP)
		party_set(0, A, SEND, 1);
		ptry[0] = 1;
		party_set(2, A, RECV, 0);
#elif defined(TWO_A)
		party_set(0, A, SEND, 1);
		party_set(2, A, SEND, 2);
#else
		party_set(0, A, SEND, 1);
		party_set(2, A, RECV, 2);
#endif
		i = 0;
		do
		:: i < NSEL -> run owner(i); i++
		:: else -> break
		od;
		i = 0;
		do
		:: i < NP && prun[i] -> run party(i); i++
		:: i < NP && !prun[i] -> i++
		:: else -> break
		od;
		run checker()
	}
}
