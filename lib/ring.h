/*
 * ring.h - internal only: the bounded MPMC ring under every buffered channel.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Dmitry Vyukov's bounded MPMC queue: each slot carries a sequence number
 * ("stamp") that says whose turn it is, so producers and consumers meet only
 * on the slot they touch and on their own counter.  Positions encode
 * {lap, index} as crossbeam's ArrayQueue does, so any capacity works without
 * a division: index = pos & (mark - 1), and a lap adds one_lap = 2 * mark.
 * The bit `mark` of the tail word is the closed flag: a push that races a
 * close either claims its slot before the close or sees the flag.
 *
 * Stamps for the slot at position pos (index i, lap L):
 *   stamp == pos              free: a producer at pos may fill it
 *   stamp == pos + 1          full: a consumer at pos may take it
 *   stamp == pos + one_lap    taken; free again for the producer one lap on
 * Counters are free-running and compared only for equality, so wrapping
 * 2^64 is harmless.
 *
 * The ring itself never waits: a slot claimed but not yet published, or
 * taken but not yet released, is reported as ACHAN__RING_INFLIGHT, and the
 * channel waits those few instructions out (chan_impl.h says why).
 */
#ifndef ACHAN_LIB_RING_H
#define ACHAN_LIB_RING_H

#include <stdint.h>
#include <string.h>

#include <achan/common.h>

#include "compiler.h"

#ifndef ACHAN_LIB_SYNC_H
#error "include sync_mt.h or sync_local.h before ring.h"
#endif

struct achan__ring {
	/* read-mostly geometry, shared by both sides */
	uint64_t cap;
	uint64_t mark;
	uint64_t one_lap;
	size_t elem_size;
	size_t slot_size;
	unsigned char *slots;
	/* producers: next position to fill; | mark once closed */
	uint64_t tail ACHAN__CACHE_ALIGNED;
	/* consumers: next position to take */
	uint64_t head ACHAN__CACHE_ALIGNED;
} ACHAN__CACHE_ALIGNED;

/* Bytes of slot memory for this geometry. */
static inline size_t
achan__ring_slot_size(size_t elem_size)
{
	return sizeof(uint64_t) + ((elem_size + 7) & ~(size_t)7);
}

static inline void
achan__ring_init(struct achan__ring *r, unsigned char *slots, size_t cap,
		size_t elem_size)
{
	uint64_t mark = 1, i;

	while (mark < (uint64_t)cap + 1)
		mark <<= 1;
	r->cap = cap;
	r->mark = mark;
	r->one_lap = mark << 1;
	r->elem_size = elem_size;
	r->slot_size = achan__ring_slot_size(elem_size);
	r->slots = slots;
	r->tail = 0;
	r->head = 0;
	for (i = 0; i < cap; i++)
		*(uint64_t *)(void *)(slots + i * r->slot_size) = i;
}

static inline uint64_t *
achan__ring_stamp(const struct achan__ring *r, uint64_t pos)
{
	return (uint64_t *)(void *)(r->slots + (pos & (r->mark - 1)) * r->slot_size);
}

static inline void
achan__ring_copy(void *dst, const void *src, size_t n)
{
	/* The pointer-sized case is the common one: a constant-size copy. */
	if (achan__likely(n == sizeof(uint64_t)))
		memcpy(dst, src, sizeof(uint64_t));
	else if (n != 0)	/* signal-only channels may pass NULL */
		memcpy(dst, src, n);
}

/* The position after pos: next index, or index 0 of the next lap. */
static inline uint64_t
achan__ring_next(const struct achan__ring *r, uint64_t pos)
{
	uint64_t idx = pos & (r->mark - 1);

	return idx + 1 < r->cap ? pos + 1 :
	    (pos & ~(r->one_lap - 1)) + r->one_lap;
}

/*
 * After losing a race for a counter (its CAS failed, or a stamp showed that
 * another thread took the position first): pause 1, 2, 4 ... 64 times before
 * the next try.  Retrying at once makes every loser re-read, and re-request
 * for writing, the very line the winner needs next; with many producers (or
 * consumers) on many cores that traffic, not the work, sets the rate.
 * Never yields: the winner is running, and is done in a few instructions.
 */
static inline void
achan__ring_backoff(unsigned *step)
{
	achan__cpu_relax_n(1u << *step);
	if (*step < 6)
		++*step;
}

/*
 * The slot at the boundary is in flight: claimed by the other side (its
 * counter CAS is done) but not yet published (pop) or released (push).  An
 * internal result, never returned to users: try_recv says EMPTY, try_send
 * FULL; a caller about to sleep waits for the few instructions instead,
 * because the wakeup protocol counts that operation as done (chan_impl.h).
 */
#define ACHAN__RING_INFLIGHT (-1)

/*
 * Copy *value into the ring.  ACHAN_OK, ACHAN_FULL, ACHAN__RING_INFLIGHT or
 * ACHAN_CLOSED.  The claiming CAS is seq_cst: it is one half of the wakeup
 * protocol's store-buffering pair (chan_impl.h).
 */
static inline int
achan__ring_push(struct achan__ring *r, const void *value)
{
	/* relaxed: only a hint of where to start; the stamp decides */
	uint64_t tail = sync_load(&r->tail, RELAXED);
	uint64_t *stamp, s;
	unsigned step = 0;

	for (;;) {
		if (achan__unlikely(tail & r->mark))
			return ACHAN_CLOSED;
		stamp = achan__ring_stamp(r, tail);
		/* A1 (acquire): pairs with R2 in pop; the consumer of the
		 * previous lap finished reading the slot before we refill it. */
		s = sync_load(stamp, ACQUIRE);
		if (s == tail) {
			/* S1 (seq_cst CAS): claims the slot (the closed bit
			 * makes it fail); the data edge is the stamp (R1).
			 * seq_cst because it pairs with F2 in recv
			 * registration: see chan_impl.h. */
			if (sync_cas(&r->tail, &tail,
					achan__ring_next(r, tail), SEQ_CST)) {
				achan__ring_copy(stamp + 1, value, r->elem_size);
				/* R1 (release): publishes the value; pairs
				 * with A2 in pop. */
				sync_store(stamp, tail + 1, RELEASE);
				return ACHAN_OK;
			}
			/* CAS failure reloaded tail */
			achan__ring_backoff(&step);
		} else if (s + r->one_lap == tail + 1) {
			/* Last lap's value is still there.  Truly full unless
			 * a consumer already claimed it (head moved on) and is
			 * copying it out.  A4 (relaxed): after F2 when it
			 * matters; pairs with S2. */
			if (sync_load(&r->head, RELAXED) +
			    r->one_lap == tail)
				return ACHAN_FULL;
			return ACHAN__RING_INFLIGHT;
		} else {
			/* another producer took this position */
			achan__ring_backoff(&step);
			tail = sync_load(&r->tail, RELAXED);
		}
	}
}

/*
 * Take the oldest value: copy it to *out, or, when fn is given, hand it in
 * place to fn(value, arg) (discarding with a destructor).  ACHAN_OK,
 * ACHAN_EMPTY (nothing claimed), ACHAN__RING_INFLIGHT (the oldest slot is
 * being filled), or ACHAN_CLOSED (closed, and every claimed slot has been
 * taken: nothing more can come).
 */
static inline int
achan__ring_take(struct achan__ring *r, void *out,
		void (*fn)(void *value, void *arg), void *arg)
{
	uint64_t head = sync_load(&r->head, RELAXED);
	uint64_t *stamp, s, tail, h2;
	unsigned step = 0;

	for (;;) {
		stamp = achan__ring_stamp(r, head);
		/* A2 (acquire): pairs with R1; the value is visible. */
		s = sync_load(stamp, ACQUIRE);
		if (s == head + 1) {
			/* S2 (seq_cst CAS): claims the value; pairs with F2
			 * in send registration (chan_impl.h). */
			if (sync_cas(&r->head, &head,
					achan__ring_next(r, head), SEQ_CST)) {
				if (fn != NULL)
					fn(stamp + 1, arg);
				else
					achan__ring_copy(out, stamp + 1,
					    r->elem_size);
				/* R2 (release): the slot is free for the next
				 * lap once our read is done; pairs with A1. */
				sync_store(stamp, head + r->one_lap, RELEASE);
				return ACHAN_OK;
			}
			/* CAS failure reloaded head */
			achan__ring_backoff(&step);
		} else if (s == head) {
			/* A3 (acquire): pairs with the closing RMW, so a
			 * CLOSED answer happens-after the close; after F2 it
			 * sees S1 of any push that missed our registration. */
			tail = sync_load(&r->tail, ACQUIRE);
			if ((tail & ~r->mark) == head)
				return (tail & r->mark) ? ACHAN_CLOSED : ACHAN_EMPTY;
			h2 = sync_load(&r->head, RELAXED);
			if (h2 == head)
				return ACHAN__RING_INFLIGHT;
			head = h2;
		} else {
			/* another consumer took this position */
			achan__ring_backoff(&step);
			head = sync_load(&r->head, RELAXED);
		}
	}
}

/* Move the oldest value into *out (see achan__ring_take). */
static inline int
achan__ring_pop(struct achan__ring *r, void *out)
{
	return achan__ring_take(r, out, NULL, NULL);
}

/* Values between head and tail (tail without the closed bit). */
static inline uint64_t
achan__ring_count(const struct achan__ring *r, uint64_t tail, uint64_t head)
{
	uint64_t hix = head & (r->mark - 1), tix = tail & (r->mark - 1);

	if (hix < tix)
		return tix - hix;
	if (hix > tix)
		return r->cap - hix + tix;
	return tail == head ? 0 : r->cap;
}

/*
 * 1 if a push could claim a slot now, or could once a receive in flight
 * vacates it: the slot at the tail is free, or its value has been taken
 * (head moved past it).  0 if full or closed.  A snapshot, for the slow
 * paths that hand freed room to waiting senders (chan_impl.h).
 */
static inline int
achan__ring_has_room(const struct achan__ring *r)
{
	/* relaxed: a hint; the caller acts under a lock and re-checks */
	uint64_t tail = sync_load(&r->tail, RELAXED);
	uint64_t s;

	if (tail & r->mark)
		return 0;
	/* acquire: as A1 in push */
	s = sync_load(achan__ring_stamp(r, tail), ACQUIRE);
	if (s == tail)
		return 1;
	return s + r->one_lap == tail + 1 &&
	    sync_load(&r->head, RELAXED) + r->one_lap != tail;
}

/*
 * 1 if at least n slots look free, or the ring is closed (the caller's next
 * attempt then answers at once).  A hint, for a sender that found the ring
 * full and waits for room before trying again: the attempt decides.
 */
static inline int
achan__ring_room_hint(const struct achan__ring *r, uint64_t n)
{
	/* relaxed: a hint; the push re-reads everything it relies on.  Head
	 * first: a tail read after it is never behind it, so the count can
	 * only come out too high (wait a little longer), never wrap. */
	uint64_t head = sync_load(&r->head, RELAXED);
	uint64_t tail = sync_load(&r->tail, RELAXED);

	if (tail & r->mark)
		return 1;
	return r->cap - achan__ring_count(r, tail, head) >= n;
}

/* Set the closed bit.  1 if this call set it. */
static inline int
achan__ring_close(struct achan__ring *r)
{
	/* C1 (seq_cst RMW): after it no push can claim a slot; pairs with A3
	 * and with the closed checks made under the waiter locks. */
	return !(sync_fetch_or(&r->tail, r->mark, SEQ_CST) & r->mark);
}

static inline int
achan__ring_is_closed(const struct achan__ring *r)
{
	/* acquire: pairs with C1 */
	return (sync_load(&r->tail, ACQUIRE) & r->mark) != 0;
}

/* Values buffered now: a consistent snapshot of head and tail. */
static inline size_t
achan__ring_len(const struct achan__ring *r)
{
	uint64_t tail, head;

	/* acquire: pairs with the claiming CASes (S1, S2; seq_cst, so
	 * release too): a length that counts a send also shows what the
	 * sender wrote before it.  The tail re-read makes head and tail one
	 * snapshot. */
	for (;;) {
		tail = sync_load(&r->tail, ACQUIRE);
		head = sync_load(&r->head, ACQUIRE);
		if (sync_load(&r->tail, ACQUIRE) == tail)
			break;
	}
	return (size_t)achan__ring_count(r, tail & ~r->mark, head);
}

/* Single-threaded (fini): apply fn to every value still inside. */
static inline void
achan__ring_for_each(struct achan__ring *r, void (*fn)(void *, void *),
		void *arg)
{
	uint64_t pos = r->head, end = r->tail & ~r->mark;

	while (pos != end) {
		fn(achan__ring_stamp(r, pos) + 1, arg);
		pos = achan__ring_next(r, pos);
	}
}

#endif /* ACHAN_LIB_RING_H */
