/*
 * model/wakelist_append.pml - a wake list that grows while owners take
 * their nodes out of it (issue 14, C1; the gap left by wakelist_take.pml,
 * whose lists are built whole before anyone acts).
 *
 * In the library the claims go on while earlier CLAIMED nodes can already
 * be taken: a claim's W1 makes its node takeable at once, and chan_close
 * keeps claiming into the same list afterwards (the served and the failed
 * senders under sendq's lock, then, after dropping it, the receivers under
 * recvq's lock; serve_senders_locked may drop sendq's lock between two
 * claims too).  Every later claim appends at l->last, which the owner of
 * the last node may be unlinking at that moment.  TSan caught the race;
 * the fix appends under the list's own lock.  This model checks that fix:
 * thread T claims F1 (the first node: BUSY), F2 and F3 (CLAIMED) into one
 * list L and then runs L; the owner of every node cancels or polls it (the
 * same settle) at any moment after its W1 - F2's owner possibly while F3
 * is being appended behind F2, F3's possibly before L runs.
 *
 * Abstracts lib/waitq_impl.h with the links themselves (first, last,
 * next), as the code has them:
 *   achan__waiter_claim    w->_next = NULL, w->_prev = l; l->first == NULL
 *                          (read without the lock) -> first = last = w,
 *                          W1: outcome|BUSY; else lock the list, shared =
 *                          1, last->_next = w, last = w, unlock, W1:
 *                          outcome|CLAIMED
 *   achan__wakelist_run    l->first == NULL -> return; loop on next: read
 *                          the waker, call it, W2: store the outcome
 *   achan__wakelist_next   !shared: the only node, first = last = NULL;
 *                          else lock, w = first; none -> NULL; TAKING ->
 *                          unlock, pause, retry; CLAIMED -> CAS to BUSY,
 *                          pop; BUSY -> pop (first = w->_next; none left
 *                          -> last = NULL); unlock
 *   achan__waiter_settle   no bit: the outcome (W3 saw W2); CLAIMED -> T1:
 *                          CAS to TAKING, achan__wakelist_take; BUSY ->
 *                          spin until W2
 *   achan__wakelist_take   lock, walk from first to w, unlink it (prev's
 *                          next or first; last = prev if w was last),
 *                          unlock, w's links NULL, store the outcome
 *
 * The owner of a node still QUEUED does not get here: a cancel reads the
 * state under the queue's lock, which the claimer holds until after W1,
 * and a poll whose settle reads QUEUED has changed nothing and locks the
 * queue too; so each owner starts at its node's W1.  The wakers do
 * nothing (wakelist_take.pml has the re-entrant ones); the outcome is
 * one value: what matters here is the links.
 *
 * Memory model and reduction as in wakelist_take.pml: sequentially
 * consistent (W1, T1 and W2 are release / acquire pairs); each block
 * under the list lock is one step, the runner's CAS of the head's state
 * being its one access not protected by the lock.  That holds for the
 * fixed code: after the first claim every access to first, last and the
 * links is under the lock, but for the unlocked reads of first (the claim's
 * and the run's), which no owner can change while F1, BUSY, is linked, and
 * each node's own links, which are private before its append and after
 * its take.  In the twins below the claimer's unlocked steps are split
 * into their loads and stores; the owner's take stays one step there, a
 * coarser grain, so an error found there is one of the real code too.
 * The owner's final store and its return are one step (gone[]: it may
 * free or re-register the node from then on).
 *
 * Properties:
 *   - nobody touches a node after its owner returned (gone[]): not the
 *     claimer appending behind it, not the runner reading its state or
 *     links or calling its waker;
 *   - the claimer appends only behind a node that is in the list, and the
 *     links stay consistent: whenever no list operation is half done, the
 *     walk from first visits exactly the nodes in the list (ghost inl[]:
 *     appended, not yet popped or unlinked), each once, and ends at last;
 *     an owner taking its node finds it in the walk;
 *   - the owner never touches the list after its runner returned (dead);
 *   - a waker is called at most once, never for a node its owner took,
 *     and no call starts or is still running once the owner returned;
 *     what settle returns is the claimer's outcome;
 *   - no lost wake: at the end every node was either woken (its W2 done)
 *     or taken by its owner, not both, and the list is empty;
 *   - liveness (row "live"): every fair run ends (the owner's W3 spin on
 *     F1, the runner's retry at a TAKING head).
 *
 * Broken twins (the check must fail):
 *   -DAPPEND_UNLOCKED  the append without the list lock (the code before
 *                      the fix: last->_next = w; last = w): F2's owner
 *                      unlinks F2 between the claimer's load of last and
 *                      its store into F2's next, and F3 hangs behind a
 *                      node no longer in the list: never woken (or its
 *                      owner's take does not find it, or comes after the
 *                      runner returned)
 *   -DW1_FIRST         W1 (CLAIMED) before the append: F3's owner takes
 *                      F3 before it is linked, its walk does not find it,
 *                      it returns, and the claimer links a gone node
 *
 * -DNN=4 claims a fourth node (row of check.sh): an append behind the last
 * node while a node in the middle is taken, two takes at once.
 */
#ifndef NN
#define NN 3
#endif

#define QUEUED 1
#define OUT 3		/* the claimer's outcome (DONE) */
#define OMASK 7
#define BUSY 8
#define CLAIMED 16
#define TAKING 32

#define NONE 255

byte st[NN] = QUEUED;	/* the waiter state word */
byte nxt[NN] = NONE;	/* w->_next */
byte first = NONE;	/* l->first */
byte last = NONE;	/* l->last */
bool shared;		/* l->shared */
bool dead;		/* the runner returned: the list is gone */
bool inl[NN];		/* ghost: in the list (appended, not popped/taken) */
bool mid;		/* ghost: an unlocked append is half done (twins) */
bool gone[NN];		/* its owner returned: may free or re-register it */
bool taken[NN];		/* its owner's T1 CAS CLAIMED -> TAKING succeeded */
byte nwake[NN];		/* waker calls */
byte ndone;

hidden byte ci, cn, cp;	/* scratch of links_ok, only inside atomic steps */

/*
 * The links are consistent: the walk from first visits every node in the
 * list once, nothing else, no node gone, and ends at last.  Checked at the
 * end of every step that changes them, unless an append is half done.
 */
inline links_ok()
{
	if
	:: !mid ->
		ci = first; cn = 0; cp = NONE;
		do
		:: ci != NONE ->
			assert(inl[ci] && !gone[ci]);
			cn++;
			assert(cn <= NN);	/* no cycle */
			cp = ci;
			ci = nxt[ci]
		:: else -> break
		od;
		assert(last == cp);
		ci = 0;
		do
		:: ci < NN -> cn = cn - inl[ci]; ci++
		:: else -> break
		od;
		assert(cn == 0);	/* every node in the list is reached */
		ci = 0; cn = 0; cp = 0
	:: else -> skip
	fi
}

/* achan__waiter_claim of node f, by thread T (t: scratch) */
inline claim(f, t)
{
	nxt[f] = NONE;				/* private until appended */
	if
	:: first == NONE ->			/* no lock: nobody can take */
		atomic {
			first = f; last = f; inl[f] = 1;
			links_ok();
			st[f] = OUT | BUSY	/* W1 */
		}
	:: else ->
#ifdef W1_FIRST
		st[f] = OUT | CLAIMED;		/* W1 too early */
#endif
#ifndef APPEND_UNLOCKED
		atomic {			/* lock */
			assert(!dead);
			shared = 1;
			assert(!gone[last] && inl[last]);
			nxt[last] = f;
			last = f;
			inl[f] = 1;
			links_ok()
		};				/* unlock */
#else
		shared = 1;
		atomic { t = last; mid = 1 };	/* load l->last */
		atomic {			/* l->last->_next = w */
			assert(t != NONE && !gone[t] && inl[t]);
			nxt[t] = f
		};
		atomic {			/* l->last = w */
			last = f; inl[f] = 1; mid = 0;
			links_ok()
		};
		t = 0;
#endif
#ifndef W1_FIRST
		st[f] = OUT | CLAIMED;		/* W1 */
#endif
		skip
	fi
}

/* achan__wakelist_next: w, the next node whose wake is due, or NONE */
inline next(w, ws)
{
	if
	:: !shared ->				/* the only node */
		atomic {
			w = first; first = NONE; last = NONE;
			if
			:: w != NONE -> inl[w] = 0
			:: else -> skip
			fi
		}
	:: else ->
		do
		:: atomic {			/* lock */
			w = first;
			if
			:: w == NONE -> break	/* unlock */
			:: else ->
				assert(!gone[w]);	/* its state, its link */
				ws = st[w];
				if
				:: ws & TAKING -> skip	/* unlock, pause, retry */
				:: else ->
					if
					:: ws & CLAIMED ->	/* CAS to BUSY */
						st[w] = ws - CLAIMED + BUSY
					:: else -> assert(ws & BUSY)
					fi;
					first = nxt[w];
					if
					:: first == NONE -> last = NONE
					:: else -> skip
					fi;
					inl[w] = 0;
					links_ok();
					break		/* unlock */
				fi
			fi
		   }
		od;
		ws = 0
	fi
}

proctype claimer_runner()
{
	byte f, w, ws, t;

	do
	:: f < NN -> claim(f, t); f++
	:: else -> break
	od;
	f = 0;
	/* achan__wakelist_run */
	if
	:: first == NONE -> skip
	:: else ->
		do
		:: next(w, ws);
		   if
		   :: w == NONE -> break
		   :: else -> skip
		   fi;
		   atomic {			/* read the waker, call it */
			assert(!gone[w] && !taken[w]);
			nwake[w]++;
			assert(nwake[w] == 1)
		   };
		   atomic {			/* W2, the last access */
			assert(!gone[w]);
			st[w] = OUT
		   };
		   w = 0
		od
	fi;
	atomic { dead = 1; ndone++ }
}

/* the owner of node f: a cancel or a poll, from its node's W1 on */
proctype owner(byte f)
{
	byte s;
	bool take;

	st[f] != QUEUED;
	do
	:: atomic {
		s = st[f];			/* W3 */
		if
		:: (s & (BUSY | CLAIMED | TAKING)) == 0 ->
			gone[f] = 1;		/* W2 seen (or no wake) */
			break
		:: s & CLAIMED ->		/* T1: CAS to TAKING */
			st[f] = s - CLAIMED + TAKING;
			taken[f] = 1;
			take = 1;
			break
		:: else -> skip			/* BUSY: spin for W2 */
		fi
	   }
	od;
	if
	:: take ->
		atomic {			/* achan__wakelist_take */
			assert(!dead);		/* lock the list */
			ci = first; cp = NONE;
			do
			:: ci != NONE && ci != f -> cp = ci; ci = nxt[ci]
			:: else -> break
			od;
			assert(ci == f);	/* its node is in the list */
			if
			:: cp != NONE -> nxt[cp] = nxt[f]
			:: else -> first = nxt[f]
			fi;
			if
			:: last == f -> last = cp
			:: else -> skip
			fi;
			inl[f] = 0;
			ci = 0; cp = 0;
			links_ok()
		};				/* unlock */
		atomic {			/* links NULL, the outcome */
			nxt[f] = NONE;
			st[f] = s & OMASK;
			gone[f] = 1
		}
	:: else -> skip
	fi;
	assert((s & OMASK) == OUT);		/* what its claimer set */
	atomic { ndone++ }
}

proctype monitor()
{
	byte f;

end:	atomic {
		ndone == NN + 1 ->
		assert(first == NONE && last == NONE);
		do
		:: f < NN ->
			/* woken once (W2 done) or taken: never both, never none */
			assert(nwake[f] <= 1 && (nwake[f] == 1) != taken[f]);
			assert(st[f] == OUT && gone[f]);
			f++
		:: else -> break
		od
	}
}

init
{
	byte f;

	atomic {
		do
		:: f < NN -> run owner(f); f++
		:: else -> break
		od;
		run claimer_runner();
		run monitor()
	}
}
