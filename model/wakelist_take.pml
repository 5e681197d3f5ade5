/*
 * model/wakelist_take.pml - a waker that cancels or polls a future still
 * pending in a wake list (its own list or another thread's): the owner
 * takes the node out of the list instead of waiting for a wake that would
 * come after it (issue 14, C1; the protocol of the C1 design note).
 *
 * Abstracts lib/waitq_impl.h, new protocol:
 *   achan__waiter_claim   the first node claimed into a list is marked
 *                         outcome|BUSY, every later one outcome|CLAIMED;
 *                         the node records its list
 *   achan__wakelist_run   the list on the thread's stack of running lists;
 *                         loop: lock the list, w = first, none -> unlock
 *                         and return; CLAIMED -> CAS to BUSY, pop; BUSY
 *                         (the first node) -> pop; unlock; call the waker
 *                         (w current); W2: store the outcome.  A one-node
 *                         list skips the lock.
 *   achan__waiter_settle  (every poll and cancel) no bit: the outcome;
 *                         CLAIMED -> CAS to TAKING, lock the list, unlink
 *                         w, unlock, store the outcome, return it (the
 *                         waker is never called); BUSY -> ACHAN_EINVAL if
 *                         w is current in any list running on this thread,
 *                         else spin until W2 (W3)
 *   achan__future_cancel  DONE -> OK, else CANCELLED; a NOTIFIED outcome is
 *                         handed on: achan__waitq_wake_one claims the
 *                         oldest queued future into a one-node list and
 *                         runs it, nested, on the cancelling thread
 *   a poll                DONE -> OK, CLOSED -> CLOSED, NOTIFIED -> look
 *                         again (and register again: a new registration)
 *
 * One change to the design note, which this model found: the runner never
 * pops a TAKING node.  As written, the runner pops it, sees TAKING and
 * skips it; it may then finish the list and return while the owner, past
 * its CAS, has yet to lock the list - a struct on the returned runner's
 * stack (twin POP_TAKEN).  Here the runner leaves a TAKING node at the head
 * of the list to its owner and retries: the owner is between its CAS and
 * the list lock, with no callback and no wait in between, so this waits
 * for a few instructions of another thread, never for itself.
 *
 * Memory model: sequentially consistent.  The state word changes by RMWs
 * (the two CASes) and by plain stores: W1 (under the queue lock, before
 * any other thread can reach the node), W2 and the owner's outcome store
 * (each its thread's last access to the node; the other side only waits
 * for W2, by W3 acquire, and never reads the owner's store, made after the
 * unlink).  The links are under the list lock.  No argument rests on a
 * load passing an earlier store.
 *
 * Reduction: the lock-protected blocks are single steps (Lipton: each has
 * at most one access not protected by the lock - the runner's CAS of the
 * head's state; the owner's unlink has none), so the lock itself needs no
 * variable.  The owner's final store and its return are one step: from the
 * store on, the owner may free or re-register the node (flag gone[]),
 * and the runner must not touch it.  Likewise the load in which W3 sees
 * W2 and the return.  A hand-on's claim (queue lock, pop, W1) is one step.
 *
 * Configuration (chosen in init, each outcome DONE, NOTIFIED or CLOSED):
 *   SELF   thread T runs list L = [F1, F2]; F1's waker cancels or polls
 *          F2 - re-entrant, on the runner's own thread (the issue's case).
 *   RACE   T runs L = [F1, F2], F1's waker does nothing; thread O, F2's
 *          owner, cancels or polls F2 (or F1, which is BUSY: it waits for
 *          W2) at any moment of the run.
 *   CROSS  T runs L = [F1, F2], U runs M = [G1, G2]; F1's waker cancels
 *          or polls G2 while G1's waker cancels or polls F2 (the two-thread
 *          deadlock of the old code).
 *   In every case a future H waits in a queue; a cancel that takes a
 *   NOTIFIED outcome hands it on: H is woken in a nested one-node list on
 *   the cancelling thread, and H's waker cancels F1 (not in RACE when O
 *   took F1) - from T that is a waker cancelling the future of an outer
 *   list running on its thread: EINVAL, not a wait for itself.
 *   Each list here is built whole before anyone acts; a list that grows
 *   while owners already take their nodes out (the claim's locked append)
 *   is model/wakelist_append.pml.
 *
 * Properties:
 *   - the runner never touches a node after its owner returned from the
 *     cancel or poll that ended its registration (freed or registered
 *     again: gone[]) - not its links, not its state, not its waker; a
 *     waker is called at most once per registration, and no call starts
 *     or is still running (W2 not done) once the owner returned; none
 *     starts once the owner took the node (taken[]: it returns without
 *     waiting for a wake);
 *   - the owner never touches a list after its runner returned (dead[]:
 *     the list lives on the runner's stack), nor a list neighbour already
 *     gone;
 *   - what a cancel or poll reports is the outcome its claimer set: DONE
 *     -> OK, CLOSED -> CANCELLED / CLOSED, NOTIFIED -> CANCELLED (handed
 *     on) / look again; EINVAL only for a wake running on this thread;
 *   - no wake lost: at the end every claimed node that no one took has
 *     been woken once and its handshake ended (W2);
 *   - liveness (row "live" of check.sh: non-progress cycles under weak
 *     fairness): every fair run ends - every list is run to its end and
 *     every cancel and poll returns (the W3 spin, the runner's retry at a
 *     TAKING head).
 *
 * Broken twins (the check must fail):
 *   -DOLD_SETTLE       settle waits for W2 on a CLAIMED node as on a BUSY
 *                      one (the code before the fix): SELF's cancel never
 *                      returns, CROSS's two threads wait for each other
 *                      (liveness)
 *   -DNO_TAKING_CHECK  the runner does not look for TAKING and wakes a
 *                      node its owner is taking: the waker runs after the
 *                      owner returned
 *   -DPOP_TAKEN        the runner pops a TAKING node and skips it, as the
 *                      design note had it: it may return before the owner
 *                      locks the list
 *   -DSTORE_FIRST      the owner stores the outcome before unlinking the
 *                      node: in between the runner sees a plain outcome,
 *                      takes the node for a BUSY first one and wakes it
 *   -DTAKE_AS_QUEUED   a cancel treats a taken node like a queued one
 *                      (CANCELLED, since its waker never ran): a DONE
 *                      outcome - a value already moved - is reported lost
 *   -DONLY_INNERMOST   the EINVAL test looks only at the innermost running
 *                      list (one thread-local pointer, saved and restored,
 *                      as before the fix): H's waker, nested in F1's, waits
 *                      for F1's W2 forever (liveness)
 *   -DSEQ_LISTS        T claims F1 and F2 into two lists, then runs one
 *                      list after the other (as chan_close does today:
 *                      served, senders, receivers): F2 is BUSY, the first
 *                      of its list, while F1's waker runs, and SELF's
 *                      cancel waits for itself (liveness)
 */
#define NOTIFIED 2
#define DONE 3
#define CLOSEDW 4
#define OMASK 7
#define BUSY 8
#define CLAIMED 16
#define TAKING 32

#define R_OK 1
#define R_CLOSED 2
#define R_AGAIN 3	/* a poll that took NOTIFIED: look again */
#define R_CANCELLED 5
#define R_EINVAL 6
#define R_TAKEN 7	/* internal: settle took the node out of its list */

#define CANCEL 0
#define POLL 1

/* futures */
#define F1 0
#define F2 1
#define G1 2
#define G2 3
#define H 4
#define NF 5
#define NONE 255

/* lists: L (T's), M (U's), HL (the hand-on's, one node), L2 (SEQ_LISTS) */
#define LL 0
#define LM 1
#define HL 2
#define L2 3

/* threads: T, U, O */
#define TT 0
#define TU 1
#define TO 2

#define SELF 0
#define RACE 1
#define CROSS 2

byte st[NF];		/* the waiter state word */
byte out[NF];		/* the outcome its claimer set */
byte lst[NF] = NONE;	/* its list (w->_prev) */
bool linked[NF];	/* still in that list */
bool gone[NF];		/* its owner returned: may free or re-register it */
bool taken[NF];		/* its owner's CAS CLAIMED -> TAKING succeeded */
byte nwake[NF];		/* waker calls */
byte act[NF] = NONE;	/* whose cancel / poll this node's waker makes */
byte lnode[8] = NONE;	/* list l: nodes lnode[2l], lnode[2l+1] */
bool dead[4];		/* the runner of list l returned */
byte cur[6] = NONE;	/* thread t: current nodes of its running lists */
byte dep[3];		/* thread t: how many lists it is running */
bool hq = 1;		/* H waits in the queue */
byte scen;
byte nthreads = 0;
byte ndone = 0;

#ifndef ONLY_INNERMOST
#define CURRENT(t, f) ((dep[t] > 0 && cur[2 * (t)] == (f)) || \
	(dep[t] > 1 && cur[2 * (t) + 1] == (f)))
#else
#define CURRENT(t, f) (dep[t] > 0 && cur[2 * (t) + dep[t] - 1] == (f))
#endif

/*
 * The first node still linked in list l, or NONE; reading its links (and
 * the head's) is a touch.
 */
inline head(l, w)
{
	if
	:: linked[lnode[2 * l]] -> w = lnode[2 * l]
	:: else ->
		if
		:: lnode[2 * l + 1] != NONE && linked[lnode[2 * l + 1]] ->
			w = lnode[2 * l + 1]
		:: else -> w = NONE
		fi
	fi
}

/*
 * achan__waiter_settle for owner op `op` of future f on thread t, and the
 * verdict of the cancel / poll; s: the state read, res: the result.
 */
inline settle_op(t, f, s, res, op)
{
	res = 0;
	do
	:: atomic {
		s = st[f];
		if
		:: (s & (BUSY | CLAIMED | TAKING)) == 0 ->
			gone[f] = 1;		/* W3 saw W2 (or no wake) */
			break
#ifndef OLD_SETTLE
		:: s & CLAIMED ->		/* CAS CLAIMED -> TAKING */
			st[f] = s - CLAIMED + TAKING;
			taken[f] = 1;
			res = R_TAKEN;
			break
#endif
		:: else ->			/* BUSY: a wake runs */
			if
			:: CURRENT(t, f) -> res = R_EINVAL; break
			:: else -> skip		/* spin for W2 */
			fi
		fi
	   }
	od;
	if
	:: res == R_TAKEN ->
#ifdef STORE_FIRST
		st[f] = s & OMASK;
#endif
		atomic {			/* lock the list, unlink, unlock */
			assert(!dead[lst[f]]);
			if
			:: linked[f] ->
				if
				:: lnode[2 * lst[f] + 1] == f &&
				   linked[lnode[2 * lst[f]]] ->
					/* first->_next = w->_next */
					assert(!gone[lnode[2 * lst[f]]])
				:: else -> skip
				fi;
				linked[f] = 0
			:: else -> skip
			fi;
#ifdef STORE_FIRST
			gone[f] = 1
#endif
		};
#ifndef STORE_FIRST
		atomic { st[f] = s & OMASK; gone[f] = 1 };
#endif
		skip
	:: else -> skip
	fi;
	if
	:: res == R_EINVAL -> skip
	:: else ->
		assert(gone[f] && (s & OMASK) == out[f]);
#ifdef TAKE_AS_QUEUED
		if
		:: res == R_TAKEN && op == CANCEL -> res = R_CANCELLED
		:: else ->
#endif
		if
		:: out[f] == DONE -> res = R_OK
		:: out[f] != DONE && op == CANCEL -> res = R_CANCELLED
		:: out[f] == CLOSEDW && op == POLL -> res = R_CLOSED
		:: out[f] == NOTIFIED && op == POLL -> res = R_AGAIN
		fi;
#ifdef TAKE_AS_QUEUED
		fi;
#endif
		/* what the owner is told is what its claimer decided */
		assert((res == R_OK) == (out[f] == DONE));
		assert(res != R_CLOSED || out[f] == CLOSEDW)
	fi
}

/* a waker's call: the start and W2 (its own action in between) */
inline wake_begin(t, w)
{
	atomic {
		/* a taking owner returns without waiting for the wake */
		assert(!gone[w] && !taken[w]);
		nwake[w]++;
		assert(nwake[w] == 1);
		cur[2 * t + dep[t]] = w;
		dep[t]++
	}
}

inline wake_end(t, w)
{
	atomic {
		dep[t]--;
		cur[2 * t + dep[t]] = NONE;
		assert(!gone[w]);
		st[w] = out[w]			/* W2 */
	}
}

/*
 * A cancel or poll (chosen here) of future f on thread t.  A cancel that
 * took NOTIFIED hands it on to H (achan__waitq_wake_one): H is claimed and
 * woken in a nested one-node list (no list lock), and H's waker may cancel
 * or poll a future in turn - the same code one level down, hence the loop
 * (an inline cannot contain itself); no further hand-on from there, the
 * queue is empty then.
 */
inline owner_op(t, f)
{
	tg = f;
	do
	:: if
	   :: op = CANCEL
	   :: op = POLL
	   fi;
	   settle_op(t, tg, s, res, op);
	   if
	   :: lv == 0 && op == CANCEL && res == R_CANCELLED &&
	      out[tg] == NOTIFIED ->
		atomic {		/* queue lock, pop, claim (W1) */
			if
			:: hq -> hq = 0; st[H] = NOTIFIED | BUSY; lv = 1
			:: else -> skip
			fi
		}
	   :: else -> skip
	   fi;
	   if
	   :: lv == 1 ->			/* H's wake, nested */
		wake_begin(t, H);
		lv = 2;
		if
		:: act[H] != NONE -> tg = act[H]	/* its waker's op */
		:: else -> wake_end(t, H); break
		fi
	   :: lv == 2 -> wake_end(t, H); break	/* H's waker returned */
	   :: else -> break
	   fi
	od;
	s = 0; res = 0; op = 0; tg = 0; lv = 0
}

/* achan__wakelist_run of list l on thread t */
inline run_list(t, l)
{
	do
	:: atomic {				/* lock the list */
		head(l, w);
		if
		:: w == NONE -> dead[l] = 1; break	/* unlock, return */
		:: else ->
			assert(!gone[w]);	/* w->_next, its state */
			ws = st[w];
			if
#if !defined(NO_TAKING_CHECK)
			:: ws & TAKING ->	/* its owner takes it */
#ifdef POP_TAKEN
				linked[w] = 0;	/* popped, skipped */
#endif
				go = 0
#endif
			:: ws & CLAIMED ->	/* CAS CLAIMED -> BUSY, pop */
				st[w] = ws - CLAIMED + BUSY;
				linked[w] = 0;
				go = 1
			:: else ->		/* BUSY: the first node */
				linked[w] = 0;
				go = 1
			fi
		fi
	   };					/* unlock */
	   if
	   :: go ->
		wake_begin(t, w);
		if
		:: act[w] != NONE -> owner_op(t, act[w])
		:: else -> skip
		fi;
		wake_end(t, w)
	   :: else -> skip			/* a TAKING head: retry */
	   fi;
	   ws = 0; go = 0
	od;
	w = 0
}

proctype runner(byte t; byte l)
{
	byte w, ws, s, res, op, tg, lv;
	bool go;

	run_list(t, l);
#ifdef SEQ_LISTS
	if
	:: t == TT && scen != CROSS -> run_list(t, L2)
	:: else -> skip
	fi;
#endif
	atomic { ndone++ }
}

/* RACE: O, the owner of F2 (or of F1) */
proctype owner(byte f)
{
	byte t = TO, s, res, op, tg, lv;

	owner_op(t, f);
	atomic { ndone++ }
}

proctype monitor()
{
	byte f;

end:	atomic {
		ndone == nthreads ->
		f = 0;
		do
		:: f < NF ->
			/* claimed, not ended by its owner: woken once, W2 */
			if
			:: (f != H || !hq) && !gone[f] && lst[f] != NONE ->
				assert(nwake[f] == 1 && st[f] == out[f])
			:: else -> skip
			fi;
			f++
		:: else -> break
		od
	}
}

/* claim f into slot i of list l (W1); its outcome is chosen in init */
inline claim(f, l, i, bits)
{
	st[f] = out[f] | bits;
	lst[f] = l;
	linked[f] = 1;
	lnode[2 * l + i] = f
}

init
{
	byte i;

	atomic {
		if
		:: scen = SELF
		:: scen = RACE
		:: scen = CROSS
		fi;
		do					/* the outcomes */
		:: i < 2 || (i < H && scen == CROSS) ->
			if
			:: out[i] = DONE
			:: out[i] = NOTIFIED
			:: out[i] = CLOSEDW
			fi;
			i++
		:: else -> break
		od;
		out[H] = NOTIFIED;
		st[H] = 1;			/* QUEUED */
		lst[H] = HL;
		lnode[2 * HL] = H;		/* one node: no lock, no take */
		claim(F1, LL, 0, BUSY);
#ifdef SEQ_LISTS
		if
		:: scen != CROSS -> claim(F2, L2, 0, BUSY)
		:: else ->
#endif
		claim(F2, LL, 1, CLAIMED);
#ifdef SEQ_LISTS
		fi;
#endif
		act[H] = F1;
		if
		:: scen == SELF ->
			act[F1] = F2;
			nthreads = 1
		:: scen == RACE ->
			if
			:: run owner(F2)
			:: act[H] = NONE; run owner(F1)
			fi;
			nthreads = 2
		:: scen == CROSS ->
			claim(G1, LM, 0, BUSY);
			claim(G2, LM, 1, CLAIMED);
			act[F1] = G2;
			act[G1] = F2;
			run runner(TU, LM);
			nthreads = 2
		fi;
		run runner(TT, LL);
		run monitor()
	}
}
