/*
 * state_impl.h - internal only: the state broadcast algorithm, written once
 * against the synchronisation policy and compiled twice: thread-safe in
 * state.c (sync_mt.h: liburcu-bp read-side sections, call_rcu), single-
 * thread in state_local.c (sync_local.h: no RCU; a superseded snapshot is
 * freed at once, or when the last open borrow of its channel ends).  Every
 * function is static.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The object is one word, `word`: the address of the current snapshot
 * {id, value} | ACHAN__STATE_CLOSED.  Snapshots are immutable once
 * published.
 *
 * --- Publishing and reading -----------------------------------------------
 *
 * send mallocs a snapshot, copies the value in, then, inside a read-side
 * section, reads the current snapshot's id (A1) and installs the new one
 * with id + 1 by one CAS of the word (S1).  The CAS fails if another send
 * or a close (C1) changed the word first; the sender then re-reads and
 * retries, so ids follow the order of publication, and a send that races a
 * close either lands before it or fails.  Reading cur->id and comparing the
 * word against cur is ABA-safe: cur cannot be freed, so its address cannot
 * be reused for a newer snapshot, while our read-side section is open.
 * Publication is this one CAS rather than a plain release store because
 * senders are clonable (several may publish at once) and the word also
 * holds the closed flag: the CAS orders them without a sender lock.  On
 * x86 it is one lock cmpxchg; seq_cst adds nothing to that, and it makes
 * S1 the store side of the wakeup argument below.
 *
 * A reader enters a read-side section, loads the word (A2, acquire: pairs
 * with the release half of S1, so the snapshot's id and value are visible),
 * and copies the value out (or, for a borrow, keeps the section open until
 * borrow_end).  The word carries the closed flag, so one load gives a
 * consistent answer: the state if newer than `after`, else CLOSED or EMPTY.
 *
 * --- Reclamation ------------------------------------------------------------
 *
 * Only the sender whose CAS replaced a snapshot retires it, so each is
 * retired exactly once, after it was unpublished.  Thread-safe: call_rcu
 * frees it after a grace period, i.e. after every read-side section that
 * was open when it was retired has ended - and only those could have loaded
 * its address.  The send never waits for that (no synchronize_rcu).  fini
 * calls rcu_barrier (once any snapshot was retired), which returns after
 * every callback queued before it has run, then frees the current snapshot
 * itself: by contract nobody reads any more.  The callbacks touch nothing
 * but their snapshot, so a callback can never reach a torn-down object.
 *
 * No free list: DESIGN.md's "no allocation on the send path" yields here to
 * the "each send builds a snapshot".  A bounded pool (reclaimed
 * snapshots pushed by the callback, popped by senders inside a read-side
 * section, which makes the pop ABA-safe) was measured and did not lower
 * the send's CPU cost on the dev box (8 B and 4 KiB, full speed: the
 * call_rcu thread returns snapshots in 10 ms batches far larger than any
 * sane bound), while it would make every callback touch the object.
 *
 * ThreadSanitizer does not see the grace period: liburcu's read-side
 * counters, membarrier and the call_rcu thread's queue are outside its
 * view, so it would report each reader's last read of a snapshot, and the
 * sender's writes into it, as racing with the free on the call_rcu thread.
 * We tell it what RCU guarantees: every reader and the retiring sender
 * __tsan_release the snapshot's address at the end of their access, and
 * the callback __tsan_acquires it just before free().  TSan's release joins
 * clocks, so one acquire collects every reader.  Only under TSan.
 *
 * --- Why no waiter sleeps through a new state ------------------------------
 *
 * A receiver that finds nothing newer than its `after` links itself into
 * waitq and raises waitq.nwaiting (D-store, under the lock), then issues
 * fence F2 and loads the word again (A2) before it may sleep.  A sender
 * installs its snapshot with the seq_cst CAS S1, then reads waitq.nwaiting
 * with a seq_cst load (D1).  This is the store-buffering pattern of
 * chan_impl.h: by C11's rule for seq_cst fences, either D1 sees the
 * registration (the sender then wakes every waiter), or the receiver's
 * re-load after F2 sees S1 (or a later send) and it does not sleep.  While
 * the receiver stays queued nwaiting is at least 1, so the same holds for
 * every later send.  A wake is a hint: a woken receiver looks again and
 * takes the state current then (it may be newer than the one that woke
 * it); if there is still nothing newer (a receiver holding an id from the
 * future) it registers again.  Every send wakes every waiter, so a
 * cancelled future has no wakeup to hand on.
 *
 * close sets the flag with one seq_cst RMW (C1), then takes the queue lock
 * and wakes every waiter.  Registration re-checks the word under that same
 * lock, so a receiver either sees the flag or is queued before close drains
 * the queue.  Waiters are woken with a hint, not with CLOSED: a state newer
 * than a waiter's id may have been published just before the close, and
 * then the waiter must get that state, not CLOSED.
 */
#ifndef ACHAN_LIB_STATE_IMPL_H
#define ACHAN_LIB_STATE_IMPL_H

#ifndef ACHAN_LIB_SYNC_H
#error "include sync_mt.h or sync_local.h before state_impl.h"
#endif

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The liburcu-bp API, through its library functions (state.c says why);
 * the single-thread flavour uses only the struct rcu_head type. */
#include <urcu-bp.h>

#include "state_internal.h"
#include "parker.h"
#include "ring.h"		/* achan__ring_copy */
#include "waitq_impl.h"

enum { STATE_SIDE_RECV = 1 };

/* One published state.  Immutable from its publication to its free. */
struct achan__snap {
	uint64_t id;
	union {
		struct rcu_head rcu;		/* thread-safe: call_rcu */
		struct achan__snap *next;	/* local: deferred free list */
	} link;
	_Alignas(max_align_t) unsigned char value[];
};

static inline struct achan__snap *
snap_of(uintptr_t word)
{
	return (struct achan__snap *)(word & ~ACHAN__STATE_CLOSED);
}

static inline struct achan_state_recv_future *
as_state_recv(struct achan__waiter *w)
{
	return achan__container_of(w, struct achan_state_recv_future, _w);
}

/* --- the policy's read side and reclamation ------------------------------ */

/* TSan annotations of the grace period (see the top); thread-safe only. */
#if SYNC_THREADS && defined(ACHAN__TSAN)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define state_tsan_acquire(p) __tsan_acquire((void *)(p))
#define state_tsan_release(p) __tsan_release((void *)(p))
#else
#define state_tsan_acquire(p) ((void)(p))
#define state_tsan_release(p) ((void)(p))
#endif

#if SYNC_THREADS

static inline void
state_read_lock(struct achan_state *st)
{
	(void)st;
	rcu_read_lock();
}

/* End a read-side section in which *seen (may be NULL) was read. */
static inline void
state_read_unlock(struct achan_state *st, const struct achan__snap *seen)
{
	(void)st;
	/* TSan only: our reads of *seen happen-before its free (the grace
	 * period, which TSan cannot see; see the top of this file). */
	if (seen != NULL)
		state_tsan_release(seen);
	rcu_read_unlock();
}

/* call_rcu callback, on liburcu's call_rcu thread after a grace period. */
static void
state_snap_reclaim(struct rcu_head *head)
{
	struct achan__snap *s =
	    achan__container_of(head, struct achan__snap, link.rcu);

	/* TSan only: pairs with every state_tsan_release of s. */
	state_tsan_acquire(s);
	free(s);
}

/* old was unpublished by our CAS: free it once no reader can hold it. */
static inline void
state_retire(struct achan_state *st, struct achan__snap *old)
{
	/* relaxed: read by fini, after every send returned (by contract) */
	if (!sync_load(&st->retired, RELAXED))
		sync_store(&st->retired, 1, RELAXED);
	/* TSan only: the sender's writes into old (through the CAS chain)
	 * happen-before its free. */
	state_tsan_release(old);
	call_rcu(&old->link.rcu, state_snap_reclaim);
}

#else /* !SYNC_THREADS */
/* One thread: a "read-side section" is a borrow (or an operation) on this
 * very channel; superseded snapshots wait only for those. */

static inline void
state_read_lock(struct achan_state *st)
{
	st->local_readers++;
}

static inline void
state_read_unlock(struct achan_state *st, const struct achan__snap *seen)
{
	struct achan__snap *s, *next;

	(void)seen;
	if (--st->local_readers != 0)
		return;
	for (s = st->local_retired, st->local_retired = NULL; s != NULL;
	    s = next) {
		next = s->link.next;
		free(s);
	}
}

static inline void
state_retire(struct achan_state *st, struct achan__snap *old)
{
	if (st->local_readers == 0) {
		free(old);
		return;
	}
	old->link.next = st->local_retired;
	st->local_retired = old;
}

#endif /* SYNC_THREADS */

/* --- waking ------------------------------------------------------------------ */

/* Wake every registered receiver, oldest first (after the lock is dropped). */
/* Model: model/state_wait.pml */
static inline void
state_wake_all(struct achan_state *st)
{
	struct achan__wakelist l = ACHAN__WAKELIST_INIT;

	sync_lock(&st->waitq.lock);
	achan__waitq_claim_all(&st->waitq, &l, ACHAN__W_NOTIFIED);
	sync_unlock(&st->waitq.lock);
	/* A woken owner may tear the object down as soon as its future is
	 * done: nothing below touches st. */
	achan__wakelist_run(&l);
}

/* After S1: wake the waiters, if any. */
static inline void
state_wake_if_waiting(struct achan_state *st)
{
	/* D1 (seq_cst load): after S1; pairs with F2 in state_recv_poll
	 * (see the argument at the top). */
	if (achan__unlikely(sync_load(&st->waitq.nwaiting, SEQ_CST) != 0))
		state_wake_all(st);
}

/* --- close ------------------------------------------------------------------- */

static inline int
state_close(struct achan_state *st)
{
	/* C1 (seq_cst RMW): sets the flag, keeping the state; a send's CAS
	 * (S1) that did not land before C1 fails.  The queue lock below orders
	 * C1 before every registration's re-check that follows. */
	uintptr_t old = sync_fetch_or(&st->word, ACHAN__STATE_CLOSED, SEQ_CST);

	ACHAN__FAULT(ACHAN__FP_STATE_CLOSE, &st->obj);
	state_wake_all(st);
	return (old & ACHAN__STATE_CLOSED) ? ACHAN_ALREADY_CLOSED :
	    ACHAN_NEWLY_CLOSED;
}

/* --- send ------------------------------------------------------------------------ */

/* Model: model/state_wait.pml */
static inline int
state_send(struct achan_state *st, const void *value)
{
	struct achan__snap *snap, *cur;
	uint64_t id;
	uintptr_t w;
	int r;

	/* A closed channel refuses without allocating.  (relaxed: a peek;
	 * the CAS below decides.) */
	if (sync_load(&st->word, RELAXED) & ACHAN__STATE_CLOSED)
		return ACHAN_CLOSED;
	if (ACHAN__FAULT_ALLOC(ACHAN__FP_STATE_SNAP_ALLOC)) return ACHAN_ENOMEM;
	snap = malloc(offsetof(struct achan__snap, value) + st->elem_size);
	if (achan__unlikely(snap == NULL))
		return ACHAN_ENOMEM;
	achan__ring_copy(snap->value, value, st->elem_size);

	state_read_lock(st);
	/* A1 (acquire): pairs with S1 of the send that published cur; we
	 * read cur->id. */
	w = sync_load(&st->word, ACQUIRE);
	for (;;) {
		cur = snap_of(w);
		if (w & ACHAN__STATE_CLOSED) {
			r = ACHAN_CLOSED;
			break;
		}
		id = cur != NULL ? cur->id : st->id_base;
		if (achan__unlikely(id == UINT64_MAX)) {
			r = -1;		/* would pass UINT64_MAX */
			break;
		}
		snap->id = id + 1;
		/* S1 (seq_cst CAS): publishes snap - its release half pairs
		 * with A1/A2 of whoever loads it -, orders it against other
		 * sends and close (C1), and is the store side of the
		 * store-buffering pair with F2 (D1 follows). */
		if (sync_cas(&st->word, &w, (uintptr_t)snap, SEQ_CST)) {
			r = ACHAN_OK;
			break;
		}
		/* Done with cur (TSan only: our read of cur->id happens-before
		 * its free, as in state_read_unlock). */
		if (cur != NULL)
			state_tsan_release(cur);
		/* A1 (acquire) again: the failed CAS read the word relaxed. */
		w = sync_load(&st->word, ACQUIRE);
	}
	state_read_unlock(st, cur);

	if (r != ACHAN_OK) {
		free(snap);	/* never published */
		if (r == -1)
			(void)state_close(st);
		return ACHAN_CLOSED;
	}
	/* Retire before waking: a woken owner may destroy the object, and
	 * its rcu_barrier must find our call_rcu already queued. */
	ACHAN__FAULT(ACHAN__FP_STATE_SEND_PUBLISHED, &st->obj);
	if (cur != NULL)
		state_retire(st, cur);
	state_wake_if_waiting(st);
	return ACHAN_OK;
}

/* --- receive ---------------------------------------------------------------------- */

/*
 * Look at the current state: ACHAN_OK if one newer than `after` exists (then,
 * if copy, its value goes to out and its id to *idp), else ACHAN_CLOSED or
 * ACHAN_EMPTY.  Never waits.
 */
static inline int
state_look(struct achan_state *st, uint64_t after, void *out, uint64_t *idp,
		int copy)
{
	struct achan__snap *s;
	uintptr_t w;
	int r;

	state_read_lock(st);
	/* A2 (acquire): pairs with S1; the snapshot's id and value are
	 * visible. */
	w = sync_load(&st->word, ACQUIRE);
	s = snap_of(w);
	if (s != NULL && s->id > after) {
		if (copy) {
			/* NULL out: the caller only waits (state.h) */
			if (out != NULL)
				achan__ring_copy(out, s->value, st->elem_size);
			if (idp != NULL)
				*idp = s->id;
		}
		r = ACHAN_OK;
	} else {
		r = (w & ACHAN__STATE_CLOSED) ? ACHAN_CLOSED : ACHAN_EMPTY;
	}
	state_read_unlock(st, s);
	return r;
}

static inline uint64_t
state_id(struct achan_state *st)
{
	struct achan__snap *s;
	uint64_t id;

	state_read_lock(st);
	/* A2 (acquire): as in state_look. */
	s = snap_of(sync_load(&st->word, ACQUIRE));
	id = s != NULL ? s->id : st->id_base;
	state_read_unlock(st, s);
	return id;
}

/* The borrow: state_look whose read-side section stays open on ACHAN_OK. */
static inline int
state_borrow(struct achan_state *st, uint64_t after,
		struct achan_state_borrow *b, const void **value, uint64_t *idp)
{
	struct achan__snap *s;
	uintptr_t w;

	state_read_lock(st);
	/* A3 (acquire): as A2. */
	w = sync_load(&st->word, ACQUIRE);
	s = snap_of(w);
	if (s != NULL && s->id > after) {
		b->_st = st;
		b->_snap = s;
		*value = s->value;
		if (idp != NULL)
			*idp = s->id;
		return ACHAN_OK;	/* the section stays open */
	}
	state_read_unlock(st, s);
	b->_st = NULL;
	b->_snap = NULL;
	return (w & ACHAN__STATE_CLOSED) ? ACHAN_CLOSED : ACHAN_EMPTY;
}

static inline void
state_borrow_end(struct achan_state_borrow *b)
{
	struct achan_state *st = b->_st;
	const struct achan__snap *s = b->_snap;

	b->_st = NULL;
	b->_snap = NULL;
	state_read_unlock(st, s);
}

/* --- the receive future ------------------------------------------------------------ */

/* Model: model/state_wait.pml */
static inline int
state_recv_poll(struct achan_state_recv_future *f,
		const struct achan_waker *waker)
{
	struct achan_state *st = f->_st;
	struct achan__waiter *w = &f->_w;
	uint32_t s;
	int r;

	while (w->_phase == ACHAN__PHASE_REGISTERED) {
		ACHAN__FAULT(ACHAN__FP_STATE_RECV_REPOLL, w);
		s = achan__waiter_settle(w);
		if (s != ACHAN__W_QUEUED)
			break;	/* woken (send or close): look afresh */
		/* Polled again while queued: look without the lock. */
		r = state_look(st, f->_after, f->_out, f->_id, 1);
		sync_lock(&st->waitq.lock);
		/* relaxed: claims happen under the lock we hold */
		s = sync_load(&w->_state, RELAXED);
		if (r == ACHAN_EMPTY) {
			if (s != ACHAN__W_QUEUED) {
				sync_unlock(&st->waitq.lock);
				continue;	/* woken meanwhile: look again */
			}
			w->_waker = *waker;	/* keep our place, new waker */
			sync_unlock(&st->waitq.lock);
			return ACHAN_PENDING;
		}
		/* Done: leave the queue (or let a wake in flight finish). */
		if (s == ACHAN__W_QUEUED)
			achan__waitq_remove(&st->waitq, w);
		sync_unlock(&st->waitq.lock);
		(void)achan__waiter_settle(w);
		return achan__future_finish(w, &st->obj, r);
	}

	r = state_look(st, f->_after, f->_out, f->_id, 1);
	if (r != ACHAN_EMPTY)
		return achan__future_finish(w, &st->obj, r);

	ACHAN__FAULT(ACHAN__FP_STATE_RECV_REGISTER, w);
	sync_lock(&st->waitq.lock);
	w->_waker = *waker;
	achan__waitq_push(&st->waitq, w);
	ACHAN__FAULT(ACHAN__FP_STATE_RECV_REGISTERED, w);
	/* F2 (seq_cst fence): orders our nwaiting store before the re-load
	 * (A2) in state_look; pairs with S1/D1 of a sender. */
	sync_fence_sc();
	r = state_look(st, f->_after, NULL, NULL, 0);
	if (r != ACHAN_EMPTY) {
		achan__waitq_remove(&st->waitq, w);
		sync_unlock(&st->waitq.lock);
		/* Copy outside the lock.  Readiness never goes back (ids only
		 * grow, the flag stays), so this answers OK or CLOSED too -
		 * OK if a state newer than `after` came meanwhile. */
		r = state_look(st, f->_after, f->_out, f->_id, 1);
		return achan__future_finish(w, &st->obj, r);
	}
	achan__future_registered(w, &st->obj);
	sync_unlock(&st->waitq.lock);
	ACHAN__FAULT(ACHAN__FP_STATE_RECV_PENDING, w);
	return ACHAN_PENDING;
}

static inline int
state_recv_cancel(struct achan_state_recv_future *f)
{
	/* hand_on 0: every waiter got the wakeup, none can be stranded. */
	return achan__future_cancel(&f->_w, &f->_st->waitq,
	    &f->_st->waitq.lock, &f->_st->obj, 0);
}

#if SYNC_THREADS
/* Blocking receive: a few looks, then the same future every async user
 * has, polled by this thread with a waker that unparks it. */

static inline int
state_recv_poll_fn(void *f, const struct achan_waker *waker)
{
	return state_recv_poll(f, waker);
}

static inline int
state_recv_cancel_fn(void *f)
{
	return state_recv_cancel(f);
}

static inline int
state_recv_wait(struct achan_state *st, uint64_t after, void *out,
		uint64_t *idp, const struct timespec *deadline)
{
	struct achan__snooze b = ACHAN__SNOOZE_INIT;
	struct achan_state_recv_future f;
	int r;

	do {
		r = state_look(st, after, out, idp, 1);
		if (achan__likely(r != ACHAN_EMPTY))
			return r;
	} while (achan__snooze(&b));
	achan__future_init(&f._w, STATE_SIDE_RECV);
	f._st = st;
	f._out = out;
	f._id = idp;
	f._after = after;
	/* a state published after the deadline's park gave up is still
	 * returned: block_on looks once more */
	return achan__block_on(&f, state_recv_poll_fn, state_recv_cancel_fn,
	    deadline);
}

#else /* !SYNC_THREADS */
/* One thread owns the object: if nothing newer exists now, no other thread
 * can ever send it.  Say so instead of hanging. */

static inline int
state_recv_wait(struct achan_state *st, uint64_t after, void *out,
		uint64_t *idp, const struct timespec *deadline)
{
	int r = state_look(st, after, out, idp, 1);

	(void)deadline;
	return r == ACHAN_EMPTY ? ACHAN_EDEADLK : r;
}
#endif /* SYNC_THREADS */

#endif /* ACHAN_LIB_STATE_IMPL_H */
