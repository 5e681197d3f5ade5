/*
 * ring.h - internal only: the bounded MPMC ring under every buffered channel.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Dmitry Vyukov's bounded MPMC queue: each slot carries a sequence number
 * ("stamp") that says whose turn it is, so producers and consumers meet only
 * on the slot they touch and on their own counter.  Positions encode
 * {lap, index} as crossbeam's ArrayQueue does, so any capacity works without
 * a division: index = pos & (mark - 1), and a lap adds one_lap = 4 * mark.
 * The two bits between index and lap are flags of the tail word:
 *   mark        closed: a push that races a close either claims its slot
 *               before the close or sees the flag;
 *   mark << 1   senders wait (RING_WAIT): set while the channel's queue of
 *               waiting senders is not empty (waitq mirror, chan_impl.h).
 *               A new push cannot claim a slot while it is set - its CAS
 *               expects the bit clear - so the room a receive frees goes
 *               to the oldest waiting sender, pushed by whoever serves the
 *               queue (achan__ring_push_served).
 *
 * Stamps for the slot at position pos (index i, lap L):
 *   stamp == pos              free: a producer at pos may fill it
 *   stamp == pos + 1          full: a consumer at pos may take it
 *   stamp == pos + one_lap    taken; free again for the producer one lap on
 * A side reading the slot at its counter's position classifies the stamp by
 * its signed distance (Vyukov): equal, its turn; ahead, its counter is
 * stale (another thread took the position); behind, the slot is still in
 * the previous lap - the ring is full (push) or empty (take), possibly with
 * the other side's last operation still in flight there.  Counters are
 * free-running; wrapping 2^64 is harmless (one_lap divides 2^64, and
 * distances stay far below 2^63).
 *
 * The ring itself never waits: a slot claimed but not yet published, or
 * taken but not yet released, is reported as ACHAN__RING_INFLIGHT, and the
 * channel waits those few instructions out (chan_impl.h says why).
 */
#ifndef ACHAN_LIB_RING_H
#define ACHAN_LIB_RING_H

#include <sched.h>
#include <stdint.h>
#include <string.h>

#include <achan/common.h>

#include "compiler.h"
#include "fault.h"

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
	/* producers: next position to fill; | mark once closed; | wait bit */
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
	r->one_lap = mark << 2;
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

/* The flag bits of the tail word, and its position without them. */
static inline uint64_t
achan__ring_wait_bit(const struct achan__ring *r)
{
	return r->mark << 1;
}

static inline uint64_t
achan__ring_pos(const struct achan__ring *r, uint64_t tail)
{
	return tail & ~(r->mark | (r->mark << 1));
}

/* Signed distance of a stamp from the stamp a side wants at its position. */
static inline int64_t
achan__ring_dist(uint64_t stamp, uint64_t want)
{
	return (int64_t)(stamp - want);
}

/*
 * After losing a race for a counter (its CAS failed, or a stamp showed that
 * another thread took the position first): pause 1, 2, 4 ... 64 times before
 * the next try.  Retrying at once makes every loser re-read, and re-request
 * for writing, the very line the winner needs next; with many producers (or
 * consumers) on many cores that traffic, not the work, sets the rate.  Each
 * retry follows another thread's completed claim, so the loop is lock-free,
 * not a wait for a stalled peer (stale stamps answer at once, above); after
 * 16 losses at the longest pause it yields all the same, so that no loop of
 * the library spins without bound without giving the CPU away.
 */
static inline void
achan__ring_backoff(unsigned *step)
{
	if (*step < 6) {
		achan__cpu_relax_n(1u << *step);
	} else if (*step < 22) {
		achan__cpu_relax_n(64);
	} else {
		sched_yield();
		return;
	}
	++*step;
}

/*
 * The slot at the boundary is in flight: claimed by the other side (its
 * counter CAS is done) but not yet published (take) or released (push).  An
 * internal result, never returned to users: try_recv waits for it (yielding),
 * try_send too; the slow paths that must not wait under a lock leave it to
 * the thread doing it (chan_impl.h).
 */
#define ACHAN__RING_INFLIGHT (-1)
/* A push found the wait bit: older senders wait (the caller queues behind). */
#define ACHAN__RING_WAITING (-2)
/* A take found the ring empty with the wait bit set, in the one tail word
 * it read: senders wait while there is room, so room a receive has freed
 * is owed to them - their values count as buffered (chan_impl.h hands it
 * over and takes again). */
#define ACHAN__RING_EMPTY_OWED (-3)

/*
 * Copy *value into the ring.  ACHAN_OK, ACHAN_FULL, ACHAN__RING_INFLIGHT (the
 * slot at the tail is still being vacated by a take), ACHAN__RING_WAITING or
 * ACHAN_CLOSED.  `served`: a push on behalf of the oldest waiting sender, by
 * the thread serving the senders' queue under its lock (the wait bit is set
 * then, and kept).  The claiming CAS is seq_cst: it is one half of the
 * wakeup protocol's store-buffering pair (chan_impl.h).
 */
static inline int
achan__ring_push_as(struct achan__ring *r, const void *value, int served)
{
	/* relaxed: only a hint of where to start; the stamp decides */
	uint64_t tail = sync_load(&r->tail, RELAXED);
	uint64_t wait = achan__ring_wait_bit(r), pos, *stamp, s;
	unsigned step = 0;
	int64_t d;

	for (;;) {
		if (achan__unlikely(tail & (r->mark | wait))) {
			if (tail & r->mark)
				return ACHAN_CLOSED;
			if (!served)
				return ACHAN__RING_WAITING;
		}
		pos = achan__ring_pos(r, tail);
		stamp = achan__ring_stamp(r, pos);
		ACHAN__STALL(ACHAN__SP_RING_PUSH_TAIL, r);
		/* A1 (acquire): pairs with R2 in take; the consumer of the
		 * previous lap finished reading the slot before we refill it. */
		s = sync_load(stamp, ACQUIRE);
		d = achan__ring_dist(s, pos);
		if (d == 0) {
			/* S1 (seq_cst CAS): claims the slot; the closed bit,
			 * and for a new push the wait bit, make it fail.  The
			 * data edge is the stamp (R1).  seq_cst because it
			 * pairs with F2 in recv registration: see chan_impl.h. */
			if (sync_cas(&r->tail, &tail,
					achan__ring_next(r, pos) | (tail & wait),
					SEQ_CST)) {
				ACHAN__STALL(ACHAN__SP_RING_PUSH_FILL, r);
				achan__ring_copy(stamp + 1, value, r->elem_size);
				/* R1 (release): publishes the value; pairs
				 * with A2 in take. */
				sync_store(stamp, pos + 1, RELEASE);
				return ACHAN_OK;
			}
			/* CAS failure reloaded tail */
			achan__ring_backoff(&step);
		} else if (d < 0) {
			/* The slot is still in the previous lap: the ring is
			 * full.  Either its value is there (stamp pos - one_lap
			 * + 1), perhaps already claimed by a consumer that is
			 * copying it out (head moved on: in flight), or the
			 * previous lap's producer is still filling it (stamp
			 * pos - one_lap): full either way.  A4 (relaxed):
			 * after F2 when it matters; pairs with S2. */
			if (s + r->one_lap == pos + 1 &&
			    sync_load(&r->head, RELAXED) + r->one_lap != pos)
				return ACHAN__RING_INFLIGHT;
			return ACHAN_FULL;
		} else {
			/* another producer took this position */
			achan__ring_backoff(&step);
			tail = sync_load(&r->tail, RELAXED);
		}
	}
}

/*
 * Would a served push succeed now?  For the thread serving the waiting
 * senders under their queue's lock, which must know there is room before
 * it wins a waiting select's claim (a claim cannot be given back, nor a
 * claimed slot).  ACHAN_OK, ACHAN_FULL, ACHAN__RING_INFLIGHT or
 * ACHAN_CLOSED, classified as achan__ring_push_as does.  An OK stays true
 * until that thread pushes: senders wait (the wait bit is set), so only
 * served pushes, made under the same lock, can claim the slot, and close
 * sets the closed bit under that lock too.
 */
static inline int
achan__ring_push_check(const struct achan__ring *r)
{
	/* relaxed: only served pushes under the caller's lock move it now */
	uint64_t tail = sync_load(&r->tail, RELAXED);
	uint64_t pos, s;
	int64_t d;

	if (tail & r->mark)
		return ACHAN_CLOSED;
	pos = achan__ring_pos(r, tail);
	/* acquire: as A1 in push (the previous lap's consumer is done) */
	s = sync_load(achan__ring_stamp(r, pos), ACQUIRE);
	d = achan__ring_dist(s, pos);
	if (d == 0)
		return ACHAN_OK;
	if (d < 0 && !(s + r->one_lap == pos + 1 &&
	    sync_load(&r->head, RELAXED) + r->one_lap != pos))
		return ACHAN_FULL;
	return ACHAN__RING_INFLIGHT;	/* being vacated (d > 0: cannot be) */
}

static inline int
achan__ring_push(struct achan__ring *r, const void *value)
{
	return achan__ring_push_as(r, value, 0);
}

static inline int
achan__ring_push_served(struct achan__ring *r, const void *value)
{
	return achan__ring_push_as(r, value, 1);
}

/*
 * Take the oldest value: copy it to *out, or, when fn is given, hand it in
 * place to fn(value, arg) (discarding with a destructor).  ACHAN_OK,
 * ACHAN_EMPTY (nothing claimed), ACHAN__RING_EMPTY_OWED (nothing claimed,
 * senders wait), ACHAN__RING_INFLIGHT (the oldest slot is being filled),
 * or ACHAN_CLOSED (closed, and every claimed slot has been taken: nothing
 * more can come).
 */
static inline int
achan__ring_take(struct achan__ring *r, void *out,
		void (*fn)(void *value, void *arg), void *arg)
{
	uint64_t head = sync_load(&r->head, RELAXED);
	uint64_t *stamp, s, tail, h2;
	unsigned step = 0;
	int64_t d;

	for (;;) {
		stamp = achan__ring_stamp(r, head);
		/* A2 (acquire): pairs with R1; the value is visible. */
		s = sync_load(stamp, ACQUIRE);
		d = achan__ring_dist(s, head + 1);
		if (d == 0) {
			/* S2 (seq_cst CAS): claims the value; pairs with F2
			 * in send registration (chan_impl.h). */
			if (sync_cas(&r->head, &head,
					achan__ring_next(r, head), SEQ_CST)) {
				ACHAN__STALL(ACHAN__SP_RING_TAKE_COPY, r);
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
		} else if (d < 0) {
			/* Nothing published at head this lap.  A3 (acquire):
			 * pairs with the closing RMW, so a CLOSED answer
			 * happens-after the close; after F2 it sees S1 of any
			 * push that missed our registration. */
			tail = sync_load(&r->tail, ACQUIRE);
			if (achan__ring_pos(r, tail) == head) {
				if (tail & r->mark)
					return ACHAN_CLOSED;
				return (tail & achan__ring_wait_bit(r)) ?
				    ACHAN__RING_EMPTY_OWED : ACHAN_EMPTY;
			}
			/* The tail has moved on.  If the slot was still in the
			 * previous lap (stamp head - one_lap + 1: that lap's
			 * consumer copying out), it has been freed and claimed
			 * since: look again - a value may be there now, owed
			 * to us as much as any (model/chan_send_wakeup.pml,
			 * twin RECV_PREV_LAP).  The stalled consumer's case,
			 * tail == head, answered above at once. */
			if (s != head)
				continue;
			h2 = sync_load(&r->head, RELAXED);
			if (h2 == head)
				return ACHAN__RING_INFLIGHT;	/* being filled */
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

/* Values between head and tail (positions, without the flag bits). */
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
 * Batches: claim every consecutive slot that is ready, up to n, with one
 * CAS of the counter (DPDK's burst).  The scan reads the stamps from the
 * counter's position - read-only, so a stale counter costs only a retry -
 * and the CAS then claims exactly the slots scanned: if it succeeds, no
 * other thread can have claimed them in between (the counter would have
 * moved), and the slots stay ready for us alone.  Each slot is then filled
 * (emptied) and published (released) on its own stamp, as a single push
 * (take) does, so the other side sees the slots one by one, in order.
 *
 * ACHAN_OK with *moved (>= 1) values moved, or (*moved 0), when the first
 * slot is not ready, what a single push (take) answers there - which may move one value
 * after all, if the slot became ready meanwhile (then OK, 1).  `min`: claim
 * only if at least min slots are ready (all or nothing: min = n); fewer
 * answers ACHAN_FULL, or ACHAN__RING_INFLIGHT if the head leaves room for
 * min (slots being vacated), without claiming.
 */
/* Element i of a caller's array (which may be NULL when es is 0). */
static inline void *
achan__ring_elem(const void *base, uint64_t i, size_t es)
{
	return es == 0 ? (void *)(uintptr_t)base :
	    (unsigned char *)(uintptr_t)base + i * es;
}

static inline int
achan__ring_push_many(struct achan__ring *r, const unsigned char *values,
		uint64_t n, uint64_t min, uint64_t *moved)
{
	/* relaxed: only a hint of where to start; the stamps decide */
	uint64_t tail = sync_load(&r->tail, RELAXED);
	uint64_t wait = achan__ring_wait_bit(r), pos, p, k, i, s = 0;
	size_t es = r->elem_size;
	unsigned step = 0;

	*moved = 0;
	for (;;) {
		if (achan__unlikely(tail & (r->mark | wait)))
			return (tail & r->mark) ? ACHAN_CLOSED :
			    ACHAN__RING_WAITING;
		pos = achan__ring_pos(r, tail);
		for (k = 0, p = pos; k < n; k++, p = achan__ring_next(r, p)) {
			/* A1 (acquire), as in push: the previous lap's
			 * consumer finished reading this slot */
			s = sync_load(achan__ring_stamp(r, p), ACQUIRE);
			if (achan__ring_dist(s, p) != 0)
				break;
		}
		if (k == 0 && min <= 1) {
			/* not free at the tail: a single push classifies it
			 * (FULL, in flight, a stale tail) and may succeed */
			int one = achan__ring_push_as(r, values, 0);

			*moved = one == ACHAN_OK;
			return one;
		}
		if (k == 0 && achan__ring_dist(s, pos) > 0) {
			/* a stale tail: another producer took pos */
			achan__ring_backoff(&step);
			tail = sync_load(&r->tail, RELAXED);
			continue;
		}
		if (k < min) {
			/* All or nothing, and not all free: in flight if
			 * the consumers' claims (the head) already leave room
			 * for min - the slots are being vacated - else full. */
			uint64_t used = achan__ring_count(r, pos,
			    sync_load(&r->head, RELAXED));

			return r->cap - used >= min ? ACHAN__RING_INFLIGHT :
			    ACHAN_FULL;
		}
		/* S1 (seq_cst CAS), as in push: claims pos .. p (exclusive);
		 * the closed bit, and the wait bit, make it fail */
		if (sync_cas(&r->tail, &tail, p | (tail & wait), SEQ_CST)) {
			for (i = 0, p = pos; i < k; i++, p = achan__ring_next(r, p)) {
				uint64_t *stamp = achan__ring_stamp(r, p);

				achan__ring_copy(stamp + 1,
				    achan__ring_elem(values, i, es), es);
				/* R1 (release): publishes this value; pairs
				 * with A2 in take */
				sync_store(stamp, p + 1, RELEASE);
			}
			*moved = k;
			return ACHAN_OK;
		}
		/* CAS failure reloaded tail */
		achan__ring_backoff(&step);
	}
}

static inline int
achan__ring_take_many(struct achan__ring *r, unsigned char *out, uint64_t max,
		uint64_t *moved)
{
	/* relaxed: only a hint of where to start; the stamps decide */
	uint64_t head = sync_load(&r->head, RELAXED);
	uint64_t p, k, i, s;
	size_t es = r->elem_size;
	unsigned step = 0;

	*moved = 0;
	for (;;) {
		for (k = 0, p = head; k < max; k++, p = achan__ring_next(r, p)) {
			/* A2 (acquire), as in take: the value is visible */
			s = sync_load(achan__ring_stamp(r, p), ACQUIRE);
			if (achan__ring_dist(s, p + 1) != 0)
				break;
		}
		if (k == 0) {
			/* nothing published at the head: a single take
			 * classifies it (EMPTY, owed, closed, in flight, a
			 * stale head) and may succeed */
			int one = achan__ring_take(r, out, NULL, NULL);

			*moved = one == ACHAN_OK;
			return one;
		}
		/* S2 (seq_cst CAS), as in take: claims head .. p */
		if (sync_cas(&r->head, &head, p, SEQ_CST)) {
			for (i = 0, p = head; i < k; i++, p = achan__ring_next(r, p)) {
				uint64_t *stamp = achan__ring_stamp(r, p);

				achan__ring_copy(achan__ring_elem(out, i, es),
				    stamp + 1, es);
				/* R2 (release): the slot is free for the next
				 * lap once our read is done; pairs with A1 */
				sync_store(stamp, p + r->one_lap, RELEASE);
			}
			*moved = k;
			return ACHAN_OK;
		}
		/* CAS failure reloaded head */
		achan__ring_backoff(&step);
	}
}

/*
 * Room owed to waiting senders, from one snapshot of the tail word: 1 if
 * senders wait (the wait bit) while a push on their behalf could claim a
 * slot now, or once a receive in flight vacates it (the slot at the tail is
 * free, or its value has been taken: head moved past it); 0 if senders wait
 * and the ring is full; -1 if nobody waits, or closed.  For the paths that
 * finish handing freed room to waiting senders before they answer
 * (chan_impl.h); they act under the senders' lock and look again.
 */
static inline int
achan__ring_owed_room(const struct achan__ring *r)
{
	uint64_t tail, pos, s;
	int64_t d;

	for (;;) {
		/* acquire: pairs with the seq_cst RMW that set the wait
		 * bit, made under the senders' lock after a registration */
		tail = sync_load(&r->tail, ACQUIRE);
		if ((tail & (r->mark | achan__ring_wait_bit(r))) !=
		    achan__ring_wait_bit(r))
			return -1;
		pos = achan__ring_pos(r, tail);
		/* acquire: as A1 in push */
		s = sync_load(achan__ring_stamp(r, pos), ACQUIRE);
		d = achan__ring_dist(s, pos);
		if (d == 0)
			return 1;
		/* A stamp ahead of our tail: the tail moved on since we read
		 * it (a served push); our reading of the two is no snapshot,
		 * so look again (model/chan_send_wakeup.pml, twin
		 * OWED_STALE: FULL answered with room in the ring). */
		if (d > 0)
			continue;
		return s + r->one_lap == pos + 1 &&
		    sync_load(&r->head, RELAXED) + r->one_lap != pos;
	}
}

/*
 * 1 if at least n slots look free, or the ring is closed (the caller's next
 * attempt then answers at once).  A hint, for a sender that found the ring
 * full and waits for room before trying again: the attempt decides.
 */
static inline int
achan__ring_room_hint(const struct achan__ring *r, uint64_t n)
{
	/* relaxed: a hint, nothing more.  Two relaxed loads are no snapshot:
	 * the count may come out wrong either way (on x86-TSO, head read
	 * first is never ahead of the tail read after it; elsewhere it can
	 * be), which only makes the sender wait a little more or less. */
	uint64_t head = sync_load(&r->head, RELAXED);
	uint64_t tail = sync_load(&r->tail, RELAXED);

	if (tail & r->mark)
		return 1;
	return r->cap - achan__ring_count(r, achan__ring_pos(r, tail), head) >= n;
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
	 * release too).  The producer that moved the tail to T had seen (A1)
	 * the slot freed by the consumer that moved the head past T - cap;
	 * acquiring T makes our head load at least that new, so head stays
	 * within one lap of tail and the count cannot wrap.  The tail re-read
	 * brackets the head load: head is not past that tail either. */
	for (;;) {
		tail = sync_load(&r->tail, ACQUIRE);
		head = sync_load(&r->head, ACQUIRE);
		if (sync_load(&r->tail, ACQUIRE) == tail)
			break;
	}
	return (size_t)achan__ring_count(r, achan__ring_pos(r, tail), head);
}

/* Single-threaded (fini): apply fn to every value still inside. */
static inline void
achan__ring_for_each(struct achan__ring *r, void (*fn)(void *, void *),
		void *arg)
{
	uint64_t pos = r->head, end = achan__ring_pos(r, r->tail);

	while (pos != end) {
		fn(achan__ring_stamp(r, pos) + 1, arg);
		pos = achan__ring_next(r, pos);
	}
}

#endif /* ACHAN_LIB_RING_H */
