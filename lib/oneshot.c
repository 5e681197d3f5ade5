/*
 * oneshot.c - the public functions of both oneshot kinds (achan/oneshot.h,
 * achan/bcast.h): lifetime, argument checks, handles, and the thread-safe
 * flavour of the algorithm (oneshot_impl.h under sync_mt.h), inlined here
 * so the common path is one call deep.  Objects made with ACHAN_LOCAL are
 * handed to the single-thread flavour in oneshot_local.c.
 *
 * The two kinds are one internal object (struct achan__once) told apart by
 * its magic; each public function checks the magic of its own kind and
 * passes the kind on as a constant.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdlib.h>
#include <string.h>

#include "sync_mt.h"
#include "oneshot_impl.h"

_Static_assert(ACHAN_ONESHOT_ALIGN - 1 + sizeof(struct achan__once) <=
    ACHAN_ONESHOT_MEMSIZE(0), "ACHAN_ONESHOT_MEMSIZE is part of the ABI");
_Static_assert(ACHAN_BCAST_MEMSIZE(0) == ACHAN_ONESHOT_MEMSIZE(0) &&
    ACHAN_BCAST_ALIGN == ACHAN_ONESHOT_ALIGN &&
    ACHAN_BCAST_MAX_ELEM_SIZE == ACHAN_ONESHOT_MAX_ELEM_SIZE,
    "both kinds are one object");
_Static_assert(ACHAN_ONESHOT_ALIGN % _Alignof(struct achan__once) == 0,
    "the object's alignment");
_Static_assert(ACHAN_ONESHOT_MAX_ELEM_SIZE <= UINT32_MAX, "elem_size field");

static int
waker_ok(const struct achan_waker *waker)
{
	return waker != NULL && waker->wake != NULL;
}

/* A value pointer may be NULL only when elem_size is 0. */
static inline int
buf_ok(const struct achan__once *o, const void *buf)
{
	return buf != NULL || o->elem_size == 0;
}

/* The internal object behind each public type (NULL stays NULL). */
static inline struct achan__once *
os_once(const struct achan_oneshot *os)
{
	return os != NULL ? (struct achan__once *)&os->o : NULL;
}

static inline struct achan__once *
bc_once(const struct achan_bcast *b)
{
	return b != NULL ? (struct achan__once *)&b->o : NULL;
}

static inline uint32_t
kind_magic(int bcast)
{
	return bcast ? BCAST_MAGIC : ONESHOT_MAGIC;
}

/* --- lifetime (both kinds) --------------------------------------------------- */

static size_t
once_memsize(size_t elem_size)
{
	if (elem_size > ACHAN_ONESHOT_MAX_ELEM_SIZE)
		return 0;
	return ACHAN_ONESHOT_MEMSIZE(elem_size);
}

/* A few stores: oneshots are made per request. */
static void
once_setup(struct achan__once *o, size_t elem_size, unsigned flags,
		uint32_t magic)
{
	memset(o, 0, sizeof(*o));
	o->state = ONCE_EMPTY;	/* plain: nobody else sees o yet */
	o->flags = flags;
	o->elem_size = (uint32_t)elem_size;
	achan__waitq_init(&o->q);
	o->obj.local = (flags & ACHAN_LOCAL) != 0;
	o->magic = magic;
}

static int
once_init(void *mem, size_t memsize, size_t elem_size, unsigned flags,
		int bcast, struct achan__once **out)
{
	size_t need = once_memsize(elem_size);
	struct achan__once *o;

	if (out != NULL)
		*out = NULL;
	if (mem == NULL || out == NULL || need == 0 || memsize < need ||
	    (flags & ~ACHAN_LOCAL) != 0)
		return ACHAN_EINVAL;
	o = (void *)(((uintptr_t)mem + ACHAN_ONESHOT_ALIGN - 1) &
	    ~(uintptr_t)(ACHAN_ONESHOT_ALIGN - 1));
	once_setup(o, elem_size, flags, kind_magic(bcast));
	*out = o;
	return ACHAN_OK;
}

static int
once_create(size_t elem_size, unsigned flags, int bcast,
		struct achan__once **out)
{
	struct achan__once *o;

	if (out == NULL)
		return ACHAN_EINVAL;
	*out = NULL;
	if (once_memsize(elem_size) == 0 || (flags & ~ACHAN_LOCAL) != 0)
		return ACHAN_EINVAL;
	/* malloc's alignment covers ACHAN_ONESHOT_ALIGN: the object starts at
	 * the block, which destroy frees; no slack needed */
	if (ACHAN__FAULT_ALLOC(ACHAN__FP_ONCE_CREATE)) return ACHAN_ENOMEM;
	o = malloc(sizeof(*o) + elem_size);
	if (o == NULL)
		return ACHAN_ENOMEM;
	once_setup(o, elem_size, flags, kind_magic(bcast));
	o->flags |= ONCE_F_HEAP;
	*out = o;
	return ACHAN_OK;
}

/* Destroy a value that was sent and never taken (nobody can any more). */
static void
once_run_dtor(struct achan__once *o)
{
	/* acquire: pairs with R1 (the value's bytes); the caller's own
	 * synchronisation already orders every call before teardown */
	uint32_t s = sync_load(&o->state, ACQUIRE);

	if ((s & ONCE_VALUE) == ONCE_READY && o->dtor != NULL)
		o->dtor(o->value, o->dtor_arg);
}

static int
once_teardown(struct achan__once *o, int bcast, int heap)
{
	/* paired objects go away with their last handle and future */
	if (!achan__once_ok(o, kind_magic(bcast)) ||
	    ((o->flags & ONCE_F_HEAP) != 0) != heap || o->obj.paired)
		return ACHAN_EINVAL;
	/* acquire: pairs with the release decrement in future_finish */
	if (sync_load(&o->obj.nfutures, ACQUIRE) != 0)
		return ACHAN_EBUSY;
	once_run_dtor(o);
	o->magic = 0;
	return ACHAN_OK;
}

static int
once_destroy(struct achan__once *o, int bcast)
{
	int r = once_teardown(o, bcast, 1);

	if (r == ACHAN_OK)
		free(o);
	return r;
}

static int
once_set_elem_dtor(struct achan__once *o, int bcast,
		void (*dtor)(void *elem, void *arg), void *arg)
{
	if (!achan__once_ok(o, kind_magic(bcast)))
		return ACHAN_EINVAL;
	o->dtor = dtor;
	o->dtor_arg = arg;
	return ACHAN_OK;
}

size_t
achan_oneshot_memsize(size_t elem_size)
{
	return once_memsize(elem_size);
}

size_t
achan_bcast_memsize(size_t elem_size)
{
	return once_memsize(elem_size);
}

int
achan_oneshot_init(void *mem, size_t memsize, size_t elem_size,
		unsigned flags, struct achan_oneshot **out)
{
	struct achan__once *o;
	int r;

	if (out == NULL)
		return ACHAN_EINVAL;
	r = once_init(mem, memsize, elem_size, flags, 0, &o);
	*out = r == ACHAN_OK ? achan__container_of(o, struct achan_oneshot, o) :
	    NULL;
	return r;
}

int
achan_bcast_init(void *mem, size_t memsize, size_t elem_size, unsigned flags,
		struct achan_bcast **out)
{
	struct achan__once *o;
	int r;

	if (out == NULL)
		return ACHAN_EINVAL;
	r = once_init(mem, memsize, elem_size, flags, 1, &o);
	*out = r == ACHAN_OK ? achan__container_of(o, struct achan_bcast, o) :
	    NULL;
	return r;
}

int
achan_oneshot_fini(struct achan_oneshot *os)
{
	return once_teardown(os_once(os), 0, 0);
}

int
achan_bcast_fini(struct achan_bcast *b)
{
	return once_teardown(bc_once(b), 1, 0);
}

int
achan_oneshot_create(struct achan_oneshot **out, size_t elem_size,
		unsigned flags)
{
	struct achan__once *o;
	int r;

	if (out == NULL)
		return ACHAN_EINVAL;
	r = once_create(elem_size, flags, 0, &o);
	*out = r == ACHAN_OK ? achan__container_of(o, struct achan_oneshot, o) :
	    NULL;
	return r;
}

int
achan_bcast_create(struct achan_bcast **out, size_t elem_size, unsigned flags)
{
	struct achan__once *o;
	int r;

	if (out == NULL)
		return ACHAN_EINVAL;
	r = once_create(elem_size, flags, 1, &o);
	*out = r == ACHAN_OK ? achan__container_of(o, struct achan_bcast, o) :
	    NULL;
	return r;
}

int
achan_oneshot_destroy(struct achan_oneshot *os)
{
	return once_destroy(os_once(os), 0);
}

int
achan_bcast_destroy(struct achan_bcast *b)
{
	return once_destroy(bc_once(b), 1);
}

int
achan_oneshot_set_elem_dtor(struct achan_oneshot *os,
		void (*dtor)(void *elem, void *arg), void *arg)
{
	return once_set_elem_dtor(os_once(os), 0, dtor, arg);
}

int
achan_bcast_set_elem_dtor(struct achan_bcast *b,
		void (*dtor)(void *elem, void *arg), void *arg)
{
	return once_set_elem_dtor(bc_once(b), 1, dtor, arg);
}

/* --- shared handles (object.h, handle.c) ---------------------------------- */

static struct achan__once *
once_of(struct achan__object *o)
{
	return achan__container_of(o, struct achan__once, obj);
}

static int
dispatch_close(struct achan__once *o)
{
	return achan__once_is_local(o) ? achan__oneshot_local_close(o) :
	    once_close(o);
}

/* Both kinds: the sender is gone, nothing more can come. */
static void
once_last_sender(struct achan__object *obj)
{
	(void)dispatch_close(once_of(obj));
}

/* Oneshot: the receiver is gone; close and destroy a value nobody can take. */
static void
oneshot_last_receiver(struct achan__object *obj)
{
	struct achan__once *o = once_of(obj);

	if (achan__once_is_local(o))
		achan__oneshot_local_close_discard(o);
	else
		once_close_discard(o);
}

/* Broadcast: the last receiver is gone; close.  The value stays until the
 * free: a registered future that outlived the handle may be copying it. */
static void
bcast_last_receiver(struct achan__object *obj)
{
	(void)dispatch_close(once_of(obj));
}

static void
once_free(struct achan__object *obj)
{
	struct achan__once *o = once_of(obj);

	/* Nothing can reach the object any more. */
	once_run_dtor(o);
	o->magic = 0;
	free(o);
}

/* Single (not clonable) roles: { sender, receiver } (object.h). */
static const struct achan__kind oneshot_kind = {
	.last_sender = once_last_sender,
	.last_receiver = oneshot_last_receiver,
	.free = once_free,
	.single = { 1, 1 }
};

static const struct achan__kind bcast_kind = {
	.last_sender = once_last_sender,
	.last_receiver = bcast_last_receiver,
	.free = once_free,
	.single = { 1, 0 }
};

static int
once_pair(size_t elem_size, unsigned flags, int bcast,
		struct achan__once **out)
{
	int r = once_create(elem_size, flags, bcast, out);

	if (r == ACHAN_OK)
		achan__object_pair(&(*out)->obj, bcast ? &bcast_kind :
		    &oneshot_kind);
	return r;
}

static int
once_handle_ok(const struct achan__once *o, int bcast)
{
	return achan__once_ok(o, kind_magic(bcast)) && o->obj.paired;
}

/* Clone: the callers clear *out first; the handle layer refuses a role
 * that is not clonable. */
static int
once_handle_clone(struct achan__once *o, int bcast, int role)
{
	if (!once_handle_ok(o, bcast))
		return ACHAN_EINVAL;
	return achan__handle_clone(&o->obj, role);
}

int
achan_oneshot_pair(struct achan_oneshot_sender *tx,
		struct achan_oneshot_receiver *rx, size_t elem_size,
		unsigned flags)
{
	struct achan__once *o;
	int r;

	if (tx == NULL || rx == NULL)
		return ACHAN_EINVAL;
	tx->_os = NULL;
	rx->_os = NULL;
	r = once_pair(elem_size, flags, 0, &o);
	if (r != ACHAN_OK)
		return r;
	tx->_os = rx->_os = achan__container_of(o, struct achan_oneshot, o);
	return ACHAN_OK;
}

int
achan_bcast_pair(struct achan_bcast_sender *tx, struct achan_bcast_receiver *rx,
		size_t elem_size, unsigned flags)
{
	struct achan__once *o;
	int r;

	if (tx == NULL || rx == NULL)
		return ACHAN_EINVAL;
	tx->_b = NULL;
	rx->_b = NULL;
	r = once_pair(elem_size, flags, 1, &o);
	if (r != ACHAN_OK)
		return r;
	tx->_b = rx->_b = achan__container_of(o, struct achan_bcast, o);
	return ACHAN_OK;
}

int
achan_oneshot_sender_clone(const struct achan_oneshot_sender *tx,
		struct achan_oneshot_sender *out)
{
	int r;

	if (out != NULL)
		out->_os = NULL;
	if (tx == NULL || out == NULL)
		return ACHAN_EINVAL;
	/* not clonable: the handle layer answers EINVAL */
	r = once_handle_clone(os_once(tx->_os), 0, ACHAN__ROLE_SENDER);
	if (r == ACHAN_OK)
		out->_os = tx->_os;
	return r;
}

int
achan_oneshot_receiver_clone(const struct achan_oneshot_receiver *rx,
		struct achan_oneshot_receiver *out)
{
	int r;

	if (out != NULL)
		out->_os = NULL;
	if (rx == NULL || out == NULL)
		return ACHAN_EINVAL;
	r = once_handle_clone(os_once(rx->_os), 0, ACHAN__ROLE_RECEIVER);
	if (r == ACHAN_OK)
		out->_os = rx->_os;
	return r;
}

int
achan_bcast_sender_clone(const struct achan_bcast_sender *tx,
		struct achan_bcast_sender *out)
{
	int r;

	if (out != NULL)
		out->_b = NULL;
	if (tx == NULL || out == NULL)
		return ACHAN_EINVAL;
	r = once_handle_clone(bc_once(tx->_b), 1, ACHAN__ROLE_SENDER);
	if (r == ACHAN_OK)
		out->_b = tx->_b;
	return r;
}

int
achan_bcast_receiver_clone(const struct achan_bcast_receiver *rx,
		struct achan_bcast_receiver *out)
{
	int r;

	if (out != NULL)
		out->_b = NULL;
	if (rx == NULL || out == NULL)
		return ACHAN_EINVAL;
	r = once_handle_clone(bc_once(rx->_b), 1, ACHAN__ROLE_RECEIVER);
	if (r == ACHAN_OK)
		out->_b = rx->_b;
	return r;
}

int
achan_oneshot_sender_release(struct achan_oneshot_sender *tx)
{
	struct achan__once *o;

	if (tx == NULL || !once_handle_ok(o = os_once(tx->_os), 0))
		return ACHAN_EINVAL;
	tx->_os = NULL;	/* a second release of this handle: EINVAL */
	return achan__handle_release(&o->obj, ACHAN__ROLE_SENDER);
}

int
achan_oneshot_receiver_release(struct achan_oneshot_receiver *rx)
{
	struct achan__once *o;

	if (rx == NULL || !once_handle_ok(o = os_once(rx->_os), 0))
		return ACHAN_EINVAL;
	rx->_os = NULL;
	return achan__handle_release(&o->obj, ACHAN__ROLE_RECEIVER);
}

int
achan_bcast_sender_release(struct achan_bcast_sender *tx)
{
	struct achan__once *o;

	if (tx == NULL || !once_handle_ok(o = bc_once(tx->_b), 1))
		return ACHAN_EINVAL;
	tx->_b = NULL;
	return achan__handle_release(&o->obj, ACHAN__ROLE_SENDER);
}

int
achan_bcast_receiver_release(struct achan_bcast_receiver *rx)
{
	struct achan__once *o;

	if (rx == NULL || !once_handle_ok(o = bc_once(rx->_b), 1))
		return ACHAN_EINVAL;
	rx->_b = NULL;
	return achan__handle_release(&o->obj, ACHAN__ROLE_RECEIVER);
}

struct achan_oneshot *
achan_oneshot_sender_oneshot(const struct achan_oneshot_sender *tx)
{
	return tx != NULL ? tx->_os : NULL;
}

struct achan_oneshot *
achan_oneshot_receiver_oneshot(const struct achan_oneshot_receiver *rx)
{
	return rx != NULL ? rx->_os : NULL;
}

struct achan_bcast *
achan_bcast_sender_bcast(const struct achan_bcast_sender *tx)
{
	return tx != NULL ? tx->_b : NULL;
}

struct achan_bcast *
achan_bcast_receiver_bcast(const struct achan_bcast_receiver *rx)
{
	return rx != NULL ? rx->_b : NULL;
}

/* --- operations (both kinds; bcast is a constant at every call) ----------- */

static inline int
pub_send(struct achan__once *o, int bcast, const void *value)
{
	if (achan__unlikely(!achan__once_ok(o, kind_magic(bcast)) ||
	    !buf_ok(o, value)))
		return ACHAN_EINVAL;
	if (achan__unlikely(achan__once_is_local(o)))
		return achan__oneshot_local_send(o, value);
	return once_send(o, value);
}

static inline int
pub_try_recv(struct achan__once *o, int bcast, void *out)
{
	if (achan__unlikely(!achan__once_ok(o, kind_magic(bcast)) ||
	    !buf_ok(o, out)))
		return ACHAN_EINVAL;
	if (achan__unlikely(achan__once_is_local(o)))
		return achan__oneshot_local_try_recv(o, out, bcast);
	return once_try_recv(o, out, bcast);
}

/* deadline: NULL for the plain call; the _until calls check theirs first */
static inline int
pub_recv(struct achan__once *o, int bcast, void *out,
		const struct timespec *deadline)
{
	if (achan__unlikely(!achan__once_ok(o, kind_magic(bcast)) ||
	    !buf_ok(o, out)))
		return ACHAN_EINVAL;
	if (achan__unlikely(achan__once_is_local(o)))
		return achan__oneshot_local_recv_wait(o, out, deadline, bcast);
	return once_recv_wait(o, out, deadline, bcast);
}

static inline int
pub_close(struct achan__once *o, int bcast)
{
	if (!achan__once_ok(o, kind_magic(bcast)))
		return ACHAN_EINVAL;
	return dispatch_close(o);
}

static inline int
pub_is_closed(const struct achan__once *o, int bcast)
{
	if (!achan__once_ok(o, kind_magic(bcast)))
		return 1;
	return achan__once_is_local(o) ? achan__oneshot_local_is_closed(o) :
	    once_is_closed(o);
}

int
achan_oneshot_send(struct achan_oneshot *os, const void *value)
{
	return pub_send(os_once(os), 0, value);
}

int
achan_bcast_send(struct achan_bcast *b, const void *value)
{
	return pub_send(bc_once(b), 1, value);
}

int
achan_oneshot_try_recv(struct achan_oneshot *os, void *out)
{
	return pub_try_recv(os_once(os), 0, out);
}

int
achan_bcast_try_recv(struct achan_bcast *b, void *out)
{
	return pub_try_recv(bc_once(b), 1, out);
}

int
achan_oneshot_recv(struct achan_oneshot *os, void *out)
{
	return pub_recv(os_once(os), 0, out, NULL);
}

int
achan_bcast_recv(struct achan_bcast *b, void *out)
{
	return pub_recv(bc_once(b), 1, out, NULL);
}

int
achan_oneshot_recv_until(struct achan_oneshot *os, void *out,
		const struct timespec *deadline)
{
	if (!achan__timespec_valid(deadline))
		return ACHAN_EINVAL;
	return pub_recv(os_once(os), 0, out, deadline);
}

int
achan_bcast_recv_until(struct achan_bcast *b, void *out,
		const struct timespec *deadline)
{
	if (!achan__timespec_valid(deadline))
		return ACHAN_EINVAL;
	return pub_recv(bc_once(b), 1, out, deadline);
}

int
achan_oneshot_close(struct achan_oneshot *os)
{
	return pub_close(os_once(os), 0);
}

int
achan_bcast_close(struct achan_bcast *b)
{
	return pub_close(bc_once(b), 1);
}

int
achan_oneshot_is_closed(const struct achan_oneshot *os)
{
	return pub_is_closed(os_once(os), 0);
}

int
achan_bcast_is_closed(const struct achan_bcast *b)
{
	return pub_is_closed(bc_once(b), 1);
}

size_t
achan_oneshot_elem_size(const struct achan_oneshot *os)
{
	const struct achan__once *o = os_once(os);

	return achan__once_ok(o, ONESHOT_MAGIC) ? o->elem_size : 0;
}

size_t
achan_bcast_elem_size(const struct achan_bcast *b)
{
	const struct achan__once *o = bc_once(b);

	return achan__once_ok(o, BCAST_MAGIC) ? o->elem_size : 0;
}

/* --- futures ------------------------------------------------------------------ */

static int
fut_init(struct achan__waiter *w, struct achan__once *o, int bcast,
		void *out)
{
	if (w == NULL || !achan__once_ok(o, kind_magic(bcast)) ||
	    !buf_ok(o, out))
		return ACHAN_EINVAL;
	achan__future_init(w, ONCE_SIDE_RECV);
	return ACHAN_OK;
}

/*
 * A future that may be polled: initialised, object alive, not finished, and
 * not being polled from inside its own wake (the wake/teardown handshake
 * would wait for itself).  The future first: a finished future may outlive
 * a paired object.
 */
static inline int
fut_pollable(const struct achan__waiter *w, const struct achan__once *o,
		int bcast)
{
	return w->_side == ONCE_SIDE_RECV &&
	    w->_phase != ACHAN__PHASE_FINISHED &&
	    !achan__waiter_waking_self(w) && achan__once_ok(o, kind_magic(bcast));
}

static inline int
fut_poll(struct achan__waiter *w, struct achan__once *o, int bcast,
		void *out, const struct achan_waker *waker)
{
	if (!waker_ok(waker) || !fut_pollable(w, o, bcast))
		return ACHAN_EINVAL;
	if (achan__once_is_local(o))
		return achan__oneshot_local_recv_poll(o, w, out, waker, bcast);
	return once_recv_poll(o, w, out, waker, bcast);
}

static int
fut_cancel(struct achan__waiter *w, struct achan__once *o)
{
	int r = achan__future_cancel_begin(w, ONCE_SIDE_RECV, o);

	if (r != ACHAN_PENDING)
		return r;
	if (achan__once_is_local(o))
		return achan__oneshot_local_recv_cancel(o, w);
	return once_recv_cancel(o, w);
}

int
achan_oneshot_recv_future_init(struct achan_oneshot_recv_future *f,
		struct achan_oneshot *os, void *out)
{
	int r;

	if (f == NULL)
		return ACHAN_EINVAL;
	r = fut_init(&f->_w, os_once(os), 0, out);
	if (r == ACHAN_OK) {
		f->_os = os;
		f->_out = out;
	}
	return r;
}

int
achan_bcast_recv_future_init(struct achan_bcast_recv_future *f,
		struct achan_bcast *b, void *out)
{
	int r;

	if (f == NULL)
		return ACHAN_EINVAL;
	r = fut_init(&f->_w, bc_once(b), 1, out);
	if (r == ACHAN_OK) {
		f->_b = b;
		f->_out = out;
	}
	return r;
}

int
achan_oneshot_recv_poll(struct achan_oneshot_recv_future *f,
		const struct achan_waker *waker)
{
	if (f == NULL)
		return ACHAN_EINVAL;
	return fut_poll(&f->_w, os_once(f->_os), 0, f->_out, waker);
}

int
achan_bcast_recv_poll(struct achan_bcast_recv_future *f,
		const struct achan_waker *waker)
{
	if (f == NULL)
		return ACHAN_EINVAL;
	return fut_poll(&f->_w, bc_once(f->_b), 1, f->_out, waker);
}

int
achan_oneshot_recv_cancel(struct achan_oneshot_recv_future *f)
{
	if (f == NULL)
		return ACHAN_EINVAL;
	return fut_cancel(&f->_w, os_once(f->_os));
}

int
achan_bcast_recv_cancel(struct achan_bcast_recv_future *f)
{
	if (f == NULL)
		return ACHAN_EINVAL;
	return fut_cancel(&f->_w, bc_once(f->_b));
}
