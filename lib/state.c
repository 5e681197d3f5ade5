/*
 * state.c - the state broadcast channel's public functions: lifetime,
 * argument checks, shared handles, and the thread-safe flavour of the
 * algorithm (state_impl.h under sync_mt.h), inlined here.  Channels made
 * with ACHAN_LOCAL are handed to the single-thread flavour in state_local.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * liburcu flavour: bp (see achan/state.h for why), called through
 * liburcu-bp.so's functions, not inlined (no _LGPL_SOURCE).  Measured
 * (uncontended 8-byte try_recv, best of 400 x 100k runs, 2-core dev box):
 * 7.3 ns with liburcu-bp's read-side fast path inlined, 10.0 ns through the
 * library calls.  We keep the calls: the inlined fast path would tie
 * libachan to liburcu's internal reader layout (its static-inline ABI),
 * UBSan reports it (liburcu-bp 0.13 hands out reader slots that are not
 * aligned as struct urcu_bp_reader's 128-byte alignment demands - harmless
 * on x86, but undefined), and the 3 ns vanish next to the cache miss every
 * reader takes on the published word once the publisher is active.
 */
#include <stdlib.h>
#include <string.h>

#include "sync_mt.h"
#include "state_impl.h"

static int
waker_ok(const struct achan_waker *waker)
{
	return waker != NULL && waker->wake != NULL;
}

/* A value pointer may be NULL only on a signal-only channel. */
static inline int
buf_ok(const struct achan_state *st, const void *buf)
{
	return buf != NULL || st->elem_size == 0;
}

/* --- lifetime -------------------------------------------------------------- */

size_t
achan_state_memsize(size_t elem_size)
{
	if (elem_size > ACHAN_STATE_MAX_ELEM_SIZE)
		return 0;
	return ACHAN_STATE_ALIGN - 1 + sizeof(struct achan_state);
}

int
achan_state_init(void *mem, size_t memsize, size_t elem_size, unsigned flags,
		struct achan_state **out)
{
	struct achan_state *st;
	size_t need = achan_state_memsize(elem_size);

	if (out != NULL)
		*out = NULL;
	if (mem == NULL || out == NULL || need == 0 || memsize < need ||
	    (flags & ~ACHAN_LOCAL) != 0)
		return ACHAN_EINVAL;
	st = (void *)(((uintptr_t)mem + ACHAN_STATE_ALIGN - 1) &
	    ~(uintptr_t)(ACHAN_STATE_ALIGN - 1));
	memset(st, 0, sizeof(*st));
	achan__waitq_init(&st->waitq);
	st->flags = flags;
	st->elem_size = elem_size;
	st->obj.local = (flags & ACHAN_LOCAL) != 0;
	st->magic = STATE_MAGIC;
	*out = st;
	return ACHAN_OK;
}

/*
 * Free every snapshot: wait for the superseded ones on liburcu's call_rcu
 * thread, then free the current one.  By contract no call on st runs any
 * more (paired: nobody holds a reference), so no reader can hold the
 * current snapshot.
 */
static void
state_reclaim_all(struct achan_state *st)
{
	/* relaxed: every send happens-before this call (contract, or the
	 * handle layer's acq_rel counts) */
	if (sync_load(&st->retired, RELAXED) && !rcu_read_ongoing())
		/* Every call_rcu of ours was queued before: when this
		 * returns, their callbacks have run.  Inside a read-side
		 * section (misuse: a borrow is open) liburcu refuses to wait;
		 * we skip it then, and the callbacks, which touch only their
		 * own snapshots, free them later. */
		rcu_barrier();
	/* local flavour: superseded states still waiting for a borrow to
	 * end (none, unless a borrow was left open) */
	while (st->local_retired != NULL) {
		struct achan__snap *s = st->local_retired;

		st->local_retired = s->link.next;
		free(s);
	}
	free(snap_of(st->word));
	st->word = 0;
}

static int
state_teardown(struct achan_state *st, int heap)
{
	/* paired channels go away with their last handle and future */
	if (!achan__state_ok(st) || st->heap != (uint32_t)heap ||
	    st->obj.paired)
		return ACHAN_EINVAL;
	/* acquire: pairs with the release decrement in future_finish */
	if (sync_load(&st->obj.nfutures, ACQUIRE) != 0)
		return ACHAN_EBUSY;
	state_reclaim_all(st);
	st->magic = 0;
	return ACHAN_OK;
}

int
achan_state_fini(struct achan_state *st)
{
	return state_teardown(st, 0);
}

int
achan_state_create(struct achan_state **out, size_t elem_size, unsigned flags)
{
	size_t need = achan_state_memsize(elem_size);
	void *mem;
	int r;

	if (out == NULL)
		return ACHAN_EINVAL;
	*out = NULL;
	if (need == 0 || (flags & ~ACHAN_LOCAL) != 0)
		return ACHAN_EINVAL;
	/* aligned_alloc wants a size that is a multiple of the alignment */
	need = (need + ACHAN_STATE_ALIGN - 1) &
	    ~(size_t)(ACHAN_STATE_ALIGN - 1);
	if (ACHAN__FAULT_ALLOC(ACHAN__FP_STATE_CREATE)) return ACHAN_ENOMEM;
	mem = aligned_alloc(ACHAN_STATE_ALIGN, need);
	if (mem == NULL)
		return ACHAN_ENOMEM;
	r = achan_state_init(mem, need, elem_size, flags, out);
	if (r != ACHAN_OK) {
		free(mem);
		return r;
	}
	/* aligned_alloc: the object starts at mem, which destroy frees */
	(*out)->heap = 1;
	return ACHAN_OK;
}

int
achan_state_destroy(struct achan_state *st)
{
	int r = state_teardown(st, 1);

	if (r == ACHAN_OK)
		free(st);
	return r;
}

/* --- shared handles (object.h, handle.c) ---------------------------------- */

static struct achan_state *
state_of(struct achan__object *o)
{
	return achan__container_of(o, struct achan_state, obj);
}

/* The last sender and the last receiver both close: receivers keep the
 * latest state (older ids still get it), later sends fail. */
static void
state_last_handle(struct achan__object *o)
{
	(void)achan_state_close(state_of(o));
}

static void
state_free(struct achan__object *o)
{
	struct achan_state *st = state_of(o);

	state_reclaim_all(st);
	st->magic = 0;
	free(st);
}

static const struct achan__kind state_kind = {
	.last_sender = state_last_handle,
	.last_receiver = state_last_handle,
	.free = state_free,
	/* both roles clonable (SEMANTICS.md, "State broadcast"): the handle
	 * layer's default, so nothing else is set */
};

int
achan_state_pair(struct achan_state_sender *tx, struct achan_state_receiver *rx,
		size_t elem_size, unsigned flags)
{
	struct achan_state *st;
	int r;

	if (tx == NULL || rx == NULL)
		return ACHAN_EINVAL;
	tx->_st = NULL;
	rx->_st = NULL;
	r = achan_state_create(&st, elem_size, flags);
	if (r != ACHAN_OK)
		return r;
	achan__object_pair(&st->obj, &state_kind);
	tx->_st = st;
	rx->_st = st;
	return ACHAN_OK;
}

ACHAN__DEFINE_HANDLE_HELPERS(struct achan_state, achan__state_ok)

int
achan_state_sender_clone(const struct achan_state_sender *tx,
		struct achan_state_sender *out)
{
	if (tx == NULL || out == NULL)
		return ACHAN_EINVAL;
	return handle_clone(tx->_st, &out->_st, ACHAN__ROLE_SENDER);
}

int
achan_state_receiver_clone(const struct achan_state_receiver *rx,
		struct achan_state_receiver *out)
{
	if (rx == NULL || out == NULL)
		return ACHAN_EINVAL;
	return handle_clone(rx->_st, &out->_st, ACHAN__ROLE_RECEIVER);
}

int
achan_state_sender_release(struct achan_state_sender *tx)
{
	if (tx == NULL)
		return ACHAN_EINVAL;
	return handle_release(&tx->_st, ACHAN__ROLE_SENDER);
}

int
achan_state_receiver_release(struct achan_state_receiver *rx)
{
	if (rx == NULL)
		return ACHAN_EINVAL;
	return handle_release(&rx->_st, ACHAN__ROLE_RECEIVER);
}

struct achan_state *
achan_state_sender_state(const struct achan_state_sender *tx)
{
	return tx != NULL ? tx->_st : NULL;
}

struct achan_state *
achan_state_receiver_state(const struct achan_state_receiver *rx)
{
	return rx != NULL ? rx->_st : NULL;
}

/* --- queries --------------------------------------------------------------- */

uint64_t
achan_state_id(const struct achan_state *st)
{
	/* Casting const away only for the local flavour's read counter,
	 * which the call raises and restores. */
	struct achan_state *s = (struct achan_state *)(uintptr_t)st;

	if (!achan__state_ok(st))
		return 0;
	return achan__state_is_local(s) ? achan__state_local_id(s) : state_id(s);
}

size_t
achan_state_elem_size(const struct achan_state *st)
{
	return achan__state_ok(st) ? st->elem_size : 0;
}

int
achan_state_is_closed(const struct achan_state *st)
{
	if (!achan__state_ok(st))
		return 1;
	/* acquire (both flavours: a plain load in the local one): pairs
	 * with C1; a 1 happens-after the close */
	if (achan__state_is_local(st))
		return (st->word & ACHAN__STATE_CLOSED) != 0;
	return (sync_load(&st->word, ACQUIRE) & ACHAN__STATE_CLOSED) != 0;
}

/* --- send and close ------------------------------------------------------------ */

int
achan_state_send(struct achan_state *st, const void *value)
{
	if (achan__unlikely(!achan__state_ok(st) || !buf_ok(st, value)))
		return ACHAN_EINVAL;
	if (achan__unlikely(achan__state_is_local(st)))
		return achan__state_local_send(st, value);
	return state_send(st, value);
}

int
achan_state_close(struct achan_state *st)
{
	if (!achan__state_ok(st))
		return ACHAN_EINVAL;
	return achan__state_is_local(st) ? achan__state_local_close(st) :
	    state_close(st);
}

/* --- receive -------------------------------------------------------------------- */

int
achan_state_try_recv(struct achan_state *st, uint64_t after, void *out,
		uint64_t *id)
{
	if (achan__unlikely(!achan__state_ok(st)))
		return ACHAN_EINVAL;
	if (achan__unlikely(achan__state_is_local(st)))
		return achan__state_local_look(st, after, out, id);
	return state_look(st, after, out, id, 1);
}

int
achan_state_recv(struct achan_state *st, uint64_t after, void *out,
		uint64_t *id)
{
	if (achan__unlikely(!achan__state_ok(st)))
		return ACHAN_EINVAL;
	if (achan__unlikely(achan__state_is_local(st)))
		return achan__state_local_recv_wait(st, after, out, id, NULL);
	return state_recv_wait(st, after, out, id, NULL);
}

int
achan_state_recv_until(struct achan_state *st, uint64_t after, void *out,
		uint64_t *id, const struct timespec *deadline)
{
	if (!achan__state_ok(st) || !achan__timespec_valid(deadline))
		return ACHAN_EINVAL;
	if (achan__state_is_local(st))
		return achan__state_local_recv_wait(st, after, out, id,
		    deadline);
	return state_recv_wait(st, after, out, id, deadline);
}

int
achan_state_borrow(struct achan_state *st, uint64_t after,
		struct achan_state_borrow *b, const void **value, uint64_t *id)
{
	if (b != NULL) {
		b->_st = NULL;
		b->_snap = NULL;
	}
	if (achan__unlikely(!achan__state_ok(st) || b == NULL ||
	    value == NULL))
		return ACHAN_EINVAL;
	if (achan__unlikely(achan__state_is_local(st)))
		return achan__state_local_borrow(st, after, b, value, id);
	return state_borrow(st, after, b, value, id);
}

int
achan_state_borrow_end(struct achan_state_borrow *b)
{
	if (achan__unlikely(b == NULL || b->_snap == NULL ||
	    !achan__state_ok(b->_st)))
		return ACHAN_EINVAL;
	if (achan__unlikely(achan__state_is_local(b->_st)))
		achan__state_local_borrow_end(b);
	else
		state_borrow_end(b);
	return ACHAN_OK;
}

/* --- the receive future ----------------------------------------------------------- */

int
achan_state_recv_future_init(struct achan_state_recv_future *f,
		struct achan_state *st, uint64_t after, void *out, uint64_t *id)
{
	if (f == NULL || !achan__state_ok(st))
		return ACHAN_EINVAL;
	achan__future_init(&f->_w, STATE_SIDE_RECV);
	f->_st = st;
	f->_out = out;
	f->_id = id;
	f->_after = after;
	return ACHAN_OK;
}

int
achan_state_recv_poll(struct achan_state_recv_future *f,
		const struct achan_waker *waker)
{
	/* the future first: a finished future may outlive a paired channel;
	 * a poll from inside its own wake would wait for itself */
	if (f == NULL || !waker_ok(waker) || f->_w._side != STATE_SIDE_RECV ||
	    f->_w._phase == ACHAN__PHASE_FINISHED ||
	    achan__waiter_waking_self(&f->_w) || !achan__state_ok(f->_st))
		return ACHAN_EINVAL;
	if (achan__state_is_local(f->_st))
		return achan__state_local_recv_poll(f, waker);
	return state_recv_poll(f, waker);
}

int
achan_state_recv_cancel(struct achan_state_recv_future *f)
{
	int r;

	if (f == NULL)
		return ACHAN_EINVAL;
	r = achan__future_cancel_begin(&f->_w, STATE_SIDE_RECV, f->_st);
	if (r != ACHAN_PENDING)
		return r;
	if (achan__state_is_local(f->_st))
		return achan__state_local_recv_cancel(f);
	return state_recv_cancel(f);
}
