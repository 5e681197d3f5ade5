/*
 * chan.c - the channel's public functions: lifetime, argument checks, and
 * the thread-safe flavour of the algorithm (chan_impl.h under sync_mt.h),
 * inlined here so the common path is one call deep.  Channels made with
 * ACHAN_LOCAL are handed to the single-thread flavour in chan_local.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include "sync_mt.h"
#include "chan_impl.h"

static int
waker_ok(const struct achan_waker *waker)
{
	return waker != NULL && waker->wake != NULL;
}

/* A value pointer may be NULL only on a signal-only channel. */
static inline int
buf_ok(const struct achan_chan *ch, const void *buf)
{
	return buf != NULL || ch->ring.elem_size == 0;
}

/* --- lifetime -------------------------------------------------------------- */

_Static_assert(ACHAN_CHAN_ALIGN % _Alignof(struct achan_chan) == 0,
    "ACHAN_CHAN_ALIGN must place every hot word on its own boundary");

size_t
achan_chan_memsize(size_t elem_size, size_t capacity)
{
	return (size_t)achan__chan_memsize_max(elem_size, capacity, SIZE_MAX);
}

int
achan_chan_init(void *mem, size_t memsize, size_t elem_size, size_t capacity,
		unsigned flags, struct achan_chan **out)
{
	struct achan_chan *ch;
	size_t need = achan_chan_memsize(elem_size, capacity);

	if (out != NULL)
		*out = NULL;
	if (mem == NULL || out == NULL || need == 0 || memsize < need)
		return ACHAN_EINVAL;
	ch = (void *)(((uintptr_t)mem + ACHAN_CHAN_ALIGN - 1) &
	    ~(uintptr_t)(ACHAN_CHAN_ALIGN - 1));
	if ((flags & ~ACHAN_LOCAL) != 0)
		return ACHAN_EINVAL;
	memset(ch, 0, sizeof(*ch));
	achan__ring_init(&ch->ring, ch->slots, capacity, elem_size);
	achan__waitq_init(&ch->sendq);
	achan__waitq_init(&ch->recvq);
	if (capacity > 0) {
		/* the ring's wait bit mirrors "senders wait" (ring.h) */
		ch->sendq.mirror = &ch->ring.tail;
		ch->sendq.mirror_bit = achan__ring_wait_bit(&ch->ring);
	}
	ch->flags = flags;
	ch->obj.local = (flags & ACHAN_LOCAL) != 0;
	ch->magic = CHAN_MAGIC;
	*out = ch;
	return ACHAN_OK;
}

static void
run_dtor(void *elem, void *arg)
{
	struct achan_chan *ch = arg;

	ch->dtor(elem, ch->dtor_arg);
}

static int
chan_teardown(struct achan_chan *ch, int heap)
{
	/* paired channels go away with their last handle and future */
	if (!achan__chan_ok(ch) || ch->heap != (uint32_t)heap || ch->obj.paired)
		return ACHAN_EINVAL;
	/* acquire: pairs with the release decrement in future_finish */
	if (sync_load(&ch->obj.nfutures, ACQUIRE) != 0)
		return ACHAN_EBUSY;
	if (ch->dtor != NULL && !unbuffered(ch))
		achan__ring_for_each(&ch->ring, run_dtor, ch);
	ch->magic = 0;
	return ACHAN_OK;
}

int
achan_chan_fini(struct achan_chan *ch)
{
	return chan_teardown(ch, 0);
}

int
achan_chan_create(struct achan_chan **out, size_t elem_size, size_t capacity,
		unsigned flags)
{
	size_t need = achan_chan_memsize(elem_size, capacity);
	void *mem;
	int r;

	if (out == NULL)
		return ACHAN_EINVAL;
	*out = NULL;
	if (need == 0 || (flags & ~ACHAN_LOCAL) != 0)
		return ACHAN_EINVAL;
	/* aligned_alloc wants a size that is a multiple of the alignment */
	need = (need + ACHAN_CHAN_ALIGN - 1) & ~(size_t)(ACHAN_CHAN_ALIGN - 1);
	if (ACHAN__FAULT_ALLOC(ACHAN__FP_CHAN_CREATE)) return ACHAN_ENOMEM;
	mem = aligned_alloc(ACHAN_CHAN_ALIGN, need);
	if (mem == NULL)
		return ACHAN_ENOMEM;
	r = achan_chan_init(mem, need, elem_size, capacity, flags, out);
	if (r != ACHAN_OK) {
		free(mem);
		return r;
	}
	/* aligned_alloc: the channel starts at mem, which destroy frees */
	(*out)->heap = 1;
	return ACHAN_OK;
}

int
achan_chan_destroy(struct achan_chan *ch)
{
	int r = chan_teardown(ch, 1);

	if (r == ACHAN_OK)
		free(ch);
	return r;
}

int
achan_chan_set_elem_dtor(struct achan_chan *ch,
		void (*dtor)(void *elem, void *arg), void *arg)
{
	if (!achan__chan_ok(ch))
		return ACHAN_EINVAL;
	ch->dtor = dtor;
	ch->dtor_arg = arg;
	return ACHAN_OK;
}

/* --- shared handles (object.h, handle.c) ---------------------------------- */

static struct achan_chan *
chan_of(struct achan__object *o)
{
	return achan__container_of(o, struct achan_chan, obj);
}

static void
chan_last_sender(struct achan__object *o)
{
	(void)achan_chan_close(chan_of(o));
}

static void
chan_last_receiver(struct achan__object *o)
{
	struct achan_chan *ch = chan_of(o);

	if (achan__chan_is_local(ch))
		achan__chan_local_close_discard(ch);
	else
		chan_close_discard(ch);
}

static void
chan_free(struct achan__object *o)
{
	struct achan_chan *ch = chan_of(o);

	/* Nothing can reach the channel any more.  The last receiver's
	 * release discarded what was buffered; run the destructor on anything
	 * a send future moved in after that, then free. */
	if (ch->dtor != NULL && !unbuffered(ch))
		achan__ring_for_each(&ch->ring, run_dtor, ch);
	ch->magic = 0;
	free(ch);
}

static const struct achan__kind chan_kind = {
	chan_last_sender, chan_last_receiver, chan_free, { 0, 0 }	/* clonable */
};

int
achan_chan_pair(struct achan_chan_sender *tx, struct achan_chan_receiver *rx,
		size_t elem_size, size_t capacity, unsigned flags)
{
	struct achan_chan *ch;
	int r;

	if (tx == NULL || rx == NULL)
		return ACHAN_EINVAL;
	tx->_ch = NULL;
	rx->_ch = NULL;
	r = achan_chan_create(&ch, elem_size, capacity, flags);
	if (r != ACHAN_OK)
		return r;
	achan__object_pair(&ch->obj, &chan_kind);
	tx->_ch = ch;
	rx->_ch = ch;
	return ACHAN_OK;
}

ACHAN__DEFINE_HANDLE_HELPERS(struct achan_chan, achan__chan_ok)

int
achan_chan_sender_clone(const struct achan_chan_sender *tx,
		struct achan_chan_sender *out)
{
	if (tx == NULL || out == NULL)
		return ACHAN_EINVAL;
	return handle_clone(tx->_ch, &out->_ch, ACHAN__ROLE_SENDER);
}

int
achan_chan_receiver_clone(const struct achan_chan_receiver *rx,
		struct achan_chan_receiver *out)
{
	if (rx == NULL || out == NULL)
		return ACHAN_EINVAL;
	return handle_clone(rx->_ch, &out->_ch, ACHAN__ROLE_RECEIVER);
}

int
achan_chan_sender_release(struct achan_chan_sender *tx)
{
	if (tx == NULL)
		return ACHAN_EINVAL;
	return handle_release(&tx->_ch, ACHAN__ROLE_SENDER);
}

int
achan_chan_receiver_release(struct achan_chan_receiver *rx)
{
	if (rx == NULL)
		return ACHAN_EINVAL;
	return handle_release(&rx->_ch, ACHAN__ROLE_RECEIVER);
}

struct achan_chan *
achan_chan_sender_chan(const struct achan_chan_sender *tx)
{
	return tx != NULL ? tx->_ch : NULL;
}

struct achan_chan *
achan_chan_receiver_chan(const struct achan_chan_receiver *rx)
{
	return rx != NULL ? rx->_ch : NULL;
}

/* --- queries --------------------------------------------------------------- */

size_t
achan_chan_len(const struct achan_chan *ch)
{
	if (!achan__chan_ok(ch))
		return 0;
	return achan__chan_is_local(ch) ? achan__chan_local_len(ch) : chan_len(ch);
}

size_t
achan_chan_capacity(const struct achan_chan *ch)
{
	return achan__chan_ok(ch) ? (size_t)ch->ring.cap : 0;
}

size_t
achan_chan_elem_size(const struct achan_chan *ch)
{
	return achan__chan_ok(ch) ? ch->ring.elem_size : 0;
}

int
achan_chan_is_closed(const struct achan_chan *ch)
{
	if (!achan__chan_ok(ch))
		return 1;
	return achan__chan_is_local(ch) ? achan__chan_local_is_closed(ch) :
	    chan_is_closed(ch);
}

int
achan_chan_close(struct achan_chan *ch)
{
	if (!achan__chan_ok(ch))
		return ACHAN_EINVAL;
	return achan__chan_is_local(ch) ? achan__chan_local_close(ch) :
	    chan_close(ch);
}

/* --- operations -------------------------------------------------------------- */

int
achan_chan_try_send(struct achan_chan *ch, const void *value)
{
	if (achan__unlikely(!achan__chan_ok(ch) || !buf_ok(ch, value)))
		return ACHAN_EINVAL;
	if (achan__unlikely(achan__chan_is_local(ch)))
		return achan__chan_local_try_send(ch, value);
	return chan_try_send(ch, value);
}

int
achan_chan_try_recv(struct achan_chan *ch, void *out)
{
	if (achan__unlikely(!achan__chan_ok(ch) || !buf_ok(ch, out)))
		return ACHAN_EINVAL;
	if (achan__unlikely(achan__chan_is_local(ch)))
		return achan__chan_local_try_recv(ch, out);
	return chan_try_recv(ch, out);
}

int
achan_chan_send(struct achan_chan *ch, const void *value)
{
	if (achan__unlikely(!achan__chan_ok(ch) || !buf_ok(ch, value)))
		return ACHAN_EINVAL;
	if (achan__unlikely(achan__chan_is_local(ch)))
		return achan__chan_local_send_wait(ch, value, NULL);
	return chan_send_wait(ch, value, NULL);
}

int
achan_chan_send_until(struct achan_chan *ch, const void *value,
		const struct timespec *deadline)
{
	if (!achan__chan_ok(ch) || !buf_ok(ch, value) ||
	    !achan__timespec_valid(deadline))
		return ACHAN_EINVAL;
	if (achan__chan_is_local(ch))
		return achan__chan_local_send_wait(ch, value, deadline);
	return chan_send_wait(ch, value, deadline);
}

int
achan_chan_recv(struct achan_chan *ch, void *out)
{
	if (achan__unlikely(!achan__chan_ok(ch) || !buf_ok(ch, out)))
		return ACHAN_EINVAL;
	if (achan__unlikely(achan__chan_is_local(ch)))
		return achan__chan_local_recv_wait(ch, out, NULL);
	return chan_recv_wait(ch, out, NULL);
}

int
achan_chan_recv_until(struct achan_chan *ch, void *out,
		const struct timespec *deadline)
{
	if (!achan__chan_ok(ch) || !buf_ok(ch, out) ||
	    !achan__timespec_valid(deadline))
		return ACHAN_EINVAL;
	if (achan__chan_is_local(ch))
		return achan__chan_local_recv_wait(ch, out, deadline);
	return chan_recv_wait(ch, out, deadline);
}

/* --- batches (the forms that never wait) ----------------------------------- */

/* A batch's arguments: a live channel, n within the maximum, and an
 * array wherever values have bytes (the count pointer: the callers). */
static inline int
batch_ok(const struct achan_chan *ch, const void *buf, size_t n)
{
	return achan__chan_ok(ch) && n <= ACHAN_CHAN_MAX_BATCH &&
	    (n == 0 || buf_ok(ch, buf));
}

int
achan_chan_try_send_many(struct achan_chan *ch, const void *values, size_t n,
		size_t *sent)
{
	uint64_t done = 0;
	int r;

	if (sent != NULL)
		*sent = 0;
	if (achan__unlikely(sent == NULL || !batch_ok(ch, values, n)))
		return ACHAN_EINVAL;
	if (n == 0)
		r = ACHAN_OK;
	else if (achan__unlikely(achan__chan_is_local(ch)))
		r = achan__chan_local_try_send_many(ch, values, n, &done);
	else
		r = chan_try_send_many(ch, values, n, &done);
	*sent = (size_t)done;
	return r;
}

int
achan_chan_try_send_all(struct achan_chan *ch, const void *values, size_t n)
{
	if (achan__unlikely(!batch_ok(ch, values, n)))
		return ACHAN_EINVAL;
	if (n == 0)
		return ACHAN_OK;
	if (achan__unlikely(achan__chan_is_local(ch)))
		return achan__chan_local_try_send_all(ch, values, n);
	return chan_try_send_all(ch, values, n);
}

int
achan_chan_try_recv_many(struct achan_chan *ch, void *out, size_t max,
		size_t *got)
{
	uint64_t done = 0;
	int r;

	if (got != NULL)
		*got = 0;
	if (achan__unlikely(got == NULL || !batch_ok(ch, out, max)))
		return ACHAN_EINVAL;
	if (max == 0)
		r = ACHAN_OK;
	else if (achan__unlikely(achan__chan_is_local(ch)))
		r = achan__chan_local_try_recv_many(ch, out, max, &done);
	else
		r = chan_try_recv_many(ch, out, max, &done);
	*got = (size_t)done;
	return r;
}

/* --- batches that wait ---------------------------------------------------- */

static int
send_many_wait(struct achan_chan *ch, const void *values, size_t n,
		const struct timespec *deadline, size_t *sent)
{
	uint64_t done = 0;
	int r;

	if (sent != NULL)
		*sent = 0;
	if (sent == NULL || !batch_ok(ch, values, n) ||
	    (deadline != NULL && !achan__timespec_valid(deadline)))
		return ACHAN_EINVAL;
	if (n == 0)
		return ACHAN_OK;
	if (achan__chan_is_local(ch))
		r = achan__chan_local_send_many_wait(ch, values, n, deadline,
		    &done);
	else
		r = chan_send_many_wait(ch, values, n, deadline, &done);
	*sent = (size_t)done;
	return r;
}

int
achan_chan_send_many(struct achan_chan *ch, const void *values, size_t n,
		size_t *sent)
{
	return send_many_wait(ch, values, n, NULL, sent);
}

int
achan_chan_send_many_until(struct achan_chan *ch, const void *values,
		size_t n, const struct timespec *deadline, size_t *sent)
{
	if (deadline == NULL) {
		if (sent != NULL)
			*sent = 0;
		return ACHAN_EINVAL;
	}
	return send_many_wait(ch, values, n, deadline, sent);
}

static int
recv_many_wait(struct achan_chan *ch, void *out, size_t max,
		const struct timespec *deadline, size_t *got)
{
	uint64_t done = 0;
	int r;

	if (got != NULL)
		*got = 0;
	if (got == NULL || !batch_ok(ch, out, max) ||
	    (deadline != NULL && !achan__timespec_valid(deadline)))
		return ACHAN_EINVAL;
	if (max == 0)
		return ACHAN_OK;
	if (achan__chan_is_local(ch))
		r = achan__chan_local_recv_many_wait(ch, out, max, deadline,
		    &done);
	else
		r = chan_recv_many_wait(ch, out, max, deadline, &done);
	*got = (size_t)done;
	return r;
}

int
achan_chan_recv_many(struct achan_chan *ch, void *out, size_t max, size_t *got)
{
	return recv_many_wait(ch, out, max, NULL, got);
}

int
achan_chan_recv_many_until(struct achan_chan *ch, void *out, size_t max,
		const struct timespec *deadline, size_t *got)
{
	if (deadline == NULL) {
		if (got != NULL)
			*got = 0;
		return ACHAN_EINVAL;
	}
	return recv_many_wait(ch, out, max, deadline, got);
}

/* --- futures ------------------------------------------------------------------ */

int
achan_chan_send_future_init(struct achan_chan_send_future *f,
		struct achan_chan *ch, const void *value)
{
	if (f == NULL || !achan__chan_ok(ch) || !buf_ok(ch, value))
		return ACHAN_EINVAL;
	achan__future_init(&f->_w, SIDE_SEND);
	f->_ch = ch;
	f->_value = value;
	return ACHAN_OK;
}

int
achan_chan_recv_future_init(struct achan_chan_recv_future *f,
		struct achan_chan *ch, void *out)
{
	if (f == NULL || !achan__chan_ok(ch) || !buf_ok(ch, out))
		return ACHAN_EINVAL;
	achan__future_init(&f->_w, SIDE_RECV);
	f->_ch = ch;
	f->_out = out;
	return ACHAN_OK;
}

/*
 * A future that may be polled: initialised for this side, channel alive, not
 * finished, and not being polled from inside its own wake (the wake/teardown
 * handshake would wait for itself).
 */
static int
pollable(const struct achan__waiter *w, const struct achan_chan *ch,
		uint32_t side)
{
	/* the future first: a finished future may outlive a paired channel */
	return w->_side == side && w->_phase != ACHAN__PHASE_FINISHED &&
	    !achan__waiter_waking_self(w) && achan__chan_ok(ch);
}

int
achan_chan_send_poll(struct achan_chan_send_future *f,
		const struct achan_waker *waker)
{
	if (f == NULL || !waker_ok(waker) || !pollable(&f->_w, f->_ch, SIDE_SEND))
		return ACHAN_EINVAL;
	if (achan__chan_is_local(f->_ch))
		return achan__chan_local_send_poll(f, waker);
	return chan_send_poll(f, waker);
}

int
achan_chan_recv_poll(struct achan_chan_recv_future *f,
		const struct achan_waker *waker)
{
	if (f == NULL || !waker_ok(waker) || !pollable(&f->_w, f->_ch, SIDE_RECV))
		return ACHAN_EINVAL;
	if (achan__chan_is_local(f->_ch))
		return achan__chan_local_recv_poll(f, waker);
	return chan_recv_poll(f, waker);
}

int
achan_chan_send_cancel(struct achan_chan_send_future *f)
{
	int r;

	if (f == NULL)
		return ACHAN_EINVAL;
	r = achan__future_cancel_begin(&f->_w, SIDE_SEND, f->_ch);
	if (r != ACHAN_PENDING)
		return r;
	if (achan__chan_is_local(f->_ch))
		return achan__chan_local_send_cancel(f);
	return chan_send_cancel(f);
}

int
achan_chan_recv_cancel(struct achan_chan_recv_future *f)
{
	int r;

	if (f == NULL)
		return ACHAN_EINVAL;
	r = achan__future_cancel_begin(&f->_w, SIDE_RECV, f->_ch);
	if (r != ACHAN_PENDING)
		return r;
	if (achan__chan_is_local(f->_ch))
		return achan__chan_local_recv_cancel(f);
	return chan_recv_cancel(f);
}

/* --- batch futures ----------------------------------------------------------- */

int
achan_chan_send_many_future_init(struct achan_chan_send_many_future *f,
		struct achan_chan *ch, const void *values, size_t n)
{
	if (f == NULL || !batch_ok(ch, values, n))
		return ACHAN_EINVAL;
	achan__future_init(&f->_w, SIDE_SEND_MANY);
	f->_ch = ch;
	f->_values = f->_value = values;
	f->_n = n;
	f->_sent = 0;
	return ACHAN_OK;
}

int
achan_chan_send_many_poll(struct achan_chan_send_many_future *f,
		const struct achan_waker *waker, size_t *sent)
{
	int r;

	if (sent != NULL)
		*sent = 0;
	if (f == NULL || sent == NULL || !waker_ok(waker) ||
	    !pollable(&f->_w, f->_ch, SIDE_SEND_MANY))
		return ACHAN_EINVAL;
	if (f->_n == 0) {
		(void)achan__future_finish(&f->_w, &f->_ch->obj, ACHAN_OK);
		return ACHAN_OK;
	}
	if (achan__chan_is_local(f->_ch)) {
		r = achan__chan_local_send_many_poll(f, waker);
		*sent = f->_sent;
	} else {
		r = chan_send_many_poll(f, waker);
		/* while it waits, servers advance it under the lock */
		*sent = r == ACHAN_PENDING ? send_many_progress(f) : f->_sent;
	}
	return r;
}

int
achan_chan_send_many_cancel(struct achan_chan_send_many_future *f,
		size_t *sent)
{
	int r;

	if (sent != NULL)
		*sent = 0;
	if (f == NULL || sent == NULL)
		return ACHAN_EINVAL;
	r = achan__future_cancel_begin(&f->_w, SIDE_SEND_MANY, f->_ch);
	if (r == ACHAN_PENDING)
		r = achan__chan_is_local(f->_ch) ?
		    achan__chan_local_send_many_cancel(f) :
		    chan_send_many_cancel(f);
	if (r != ACHAN_EINVAL)
		*sent = f->_sent;	/* finished: nobody else touches it */
	return r;
}

int
achan_chan_recv_many_future_init(struct achan_chan_recv_many_future *f,
		struct achan_chan *ch, void *out, size_t max)
{
	if (f == NULL || !batch_ok(ch, out, max))
		return ACHAN_EINVAL;
	achan__future_init(&f->_w, SIDE_RECV_MANY);
	f->_ch = ch;
	f->_outs = f->_out = out;
	f->_max = max;
	f->_got = 0;
	return ACHAN_OK;
}

int
achan_chan_recv_many_poll(struct achan_chan_recv_many_future *f,
		const struct achan_waker *waker, size_t *got)
{
	int r;

	if (got != NULL)
		*got = 0;
	if (f == NULL || got == NULL || !waker_ok(waker) ||
	    !pollable(&f->_w, f->_ch, SIDE_RECV_MANY))
		return ACHAN_EINVAL;
	if (f->_max == 0)
		return achan__future_finish(&f->_w, &f->_ch->obj, ACHAN_OK);
	r = achan__chan_is_local(f->_ch) ?
	    achan__chan_local_recv_many_poll(f, waker) :
	    chan_recv_many_poll(f, waker);
	if (r == ACHAN_OK)
		*got = f->_got;
	return r;
}

int
achan_chan_recv_many_cancel(struct achan_chan_recv_many_future *f,
		size_t *got)
{
	int r;

	if (got != NULL)
		*got = 0;
	if (f == NULL || got == NULL)
		return ACHAN_EINVAL;
	r = achan__future_cancel_begin(&f->_w, SIDE_RECV_MANY, f->_ch);
	if (r == ACHAN_PENDING)
		r = achan__chan_is_local(f->_ch) ?
		    achan__chan_local_recv_many_cancel(f) :
		    chan_recv_many_cancel(f);
	if (r == ACHAN_OK)
		*got = f->_got;
	return r;
}
