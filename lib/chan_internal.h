/*
 * chan_internal.h - internal only: the channel object, shared by the
 * thread-safe (chan.c) and single-thread (chan_local.c) translation units.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_LIB_CHAN_INTERNAL_H
#define ACHAN_LIB_CHAN_INTERNAL_H

#include <time.h>

#include <achan/chan.h>

#include "compiler.h"
#include "object.h"
#include "ring.h"
#include "waitq.h"

#define CHAN_MAGIC 0x6e616863u /* "chan" */

/* Which queue a future's node belongs to, and (batches) its shape. */
enum { SIDE_SEND = 0, SIDE_RECV = 1, SIDE_SEND_MANY = 2, SIDE_RECV_MANY = 3 };

struct achan_chan {
	/* hot, read-mostly geometry + the ring's counters on lines of their own */
	struct achan__ring ring;
	struct achan__waitq sendq ACHAN__CACHE_ALIGNED;
	struct achan__waitq recvq ACHAN__CACHE_ALIGNED;
	/* read-mostly: checked on entry, written at init/fini */
	uint32_t magic ACHAN__CACHE_ALIGNED;
	uint32_t flags;		/* ACHAN_LOCAL picks the policy */
	uint32_t heap;
	void (*dtor)(void *elem, void *arg);
	void *dtor_arg;
	/* written on every registration and finish of a future: a line of
	 * its own, so the read-mostly line above stays shared */
	struct achan__object obj ACHAN__CACHE_ALIGNED;	/* object.h */
	/* ring slots follow, cache-line aligned */
	unsigned char slots[] ACHAN__CACHE_ALIGNED;
};

/*
 * Bytes a channel of this geometry needs in caller memory, or 0 when the
 * arguments are beyond the maxima or the total exceeds `max` (SIZE_MAX for
 * achan_chan_memsize).  Checked arithmetic, in 64 bits: with a 32-bit
 * size_t, 2^28 slots of 64 KiB overflow, and ring_init would have written
 * far past the memory.  `max` is a parameter so that a test on a 64-bit
 * machine drives the check with 32-bit widths (t/chan_badinput).
 */
static inline uint64_t
achan__chan_memsize_max(uint64_t elem_size, uint64_t capacity, uint64_t max)
{
	uint64_t slots, total;

	if (elem_size > ACHAN_CHAN_MAX_ELEM_SIZE ||
	    capacity > ACHAN_CHAN_MAX_CAPACITY)
		return 0;
	if (__builtin_mul_overflow(capacity,
	    (uint64_t)achan__ring_slot_size((size_t)elem_size), &slots) ||
	    __builtin_add_overflow(slots,
	    (uint64_t)(ACHAN_CHAN_ALIGN - 1 + sizeof(struct achan_chan)),
	    &total) || total > max)
		return 0;
	return total;
}

static inline int
achan__chan_ok(const struct achan_chan *ch)
{
	return ch != NULL && ch->magic == CHAN_MAGIC;
}

static inline int
achan__chan_is_local(const struct achan_chan *ch)
{
	return (ch->flags & ACHAN_LOCAL) != 0;
}

/* The single-thread flavour's entry points (chan_local.c); arguments are
 * already validated by the public functions in chan.c. */
int achan__chan_local_try_send(struct achan_chan *ch, const void *value);
int achan__chan_local_try_recv(struct achan_chan *ch, void *out);
int achan__chan_local_send_wait(struct achan_chan *ch, const void *value,
		const struct timespec *deadline);
int achan__chan_local_recv_wait(struct achan_chan *ch, void *out,
		const struct timespec *deadline);
int achan__chan_local_send_poll(struct achan_chan_send_future *f,
		const struct achan_waker *waker);
int achan__chan_local_recv_poll(struct achan_chan_recv_future *f,
		const struct achan_waker *waker);
int achan__chan_local_send_cancel(struct achan_chan_send_future *f);
int achan__chan_local_recv_cancel(struct achan_chan_recv_future *f);
int achan__chan_local_close(struct achan_chan *ch);
size_t achan__chan_local_len(const struct achan_chan *ch);
int achan__chan_local_is_closed(const struct achan_chan *ch);
void achan__chan_local_close_discard(struct achan_chan *ch);
int achan__chan_local_try_send_many(struct achan_chan *ch, const void *values,
		uint64_t n, uint64_t *sent);
int achan__chan_local_try_send_all(struct achan_chan *ch, const void *values,
		uint64_t n);
int achan__chan_local_try_recv_many(struct achan_chan *ch, void *out,
		uint64_t max, uint64_t *got);
int achan__chan_local_send_many_wait(struct achan_chan *ch, const void *values,
		uint64_t n, const struct timespec *deadline, uint64_t *sent);
int achan__chan_local_recv_many_wait(struct achan_chan *ch, void *out,
		uint64_t max, const struct timespec *deadline, uint64_t *got);
int achan__chan_local_send_many_poll(struct achan_chan_send_many_future *f,
		const struct achan_waker *waker);
int achan__chan_local_send_many_cancel(struct achan_chan_send_many_future *f);
int achan__chan_local_recv_many_poll(struct achan_chan_recv_many_future *f,
		const struct achan_waker *waker);
int achan__chan_local_recv_many_cancel(struct achan_chan_recv_many_future *f);

#endif /* ACHAN_LIB_CHAN_INTERNAL_H */
