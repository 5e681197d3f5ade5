/*
 * fuzz/ref.h - the pieces every reference model shares: a future's state
 * as the contract (SEMANTICS.md) describes it, and a FIFO of waiting
 * futures.  The models are plain single-threaded code written from the
 * contract, not from the library: arrays, counters, no cleverness.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_FUZZ_REF_H
#define ACHAN_FUZZ_REF_H

#include <stdint.h>

#include <achan.h>

/*
 * A future, from its first poll to the end of its use:
 *
 *   FREE      the slot holds no future (never polled, or finished and
 *             forgotten by the harness)
 *   QUEUED    registered (poll answered PENDING), waiting in its queue
 *   NOTIFIED  registered, woken with a hint ("look again"), out of the queue
 *   DONE      registered, completed by the other side (its value moved),
 *             woken to learn so, out of the queue
 *   CLOSED    registered, woken by close, out of the queue
 *   FINISHED  poll answered OK / CLOSED, or it was cancelled: `result`
 *
 * `wakes` counts the wake calls the contract owes it: one each time it
 * leaves QUEUED for NOTIFIED, DONE or CLOSED.
 */
enum ref_fst {
	RF_FREE = 0,
	RF_QUEUED,
	RF_NOTIFIED,
	RF_DONE,
	RF_CLOSED,
	RF_FINISHED
};

struct ref_fut {
	int st;
	unsigned code;	/* who it is in the wake log: side << 8 | slot */
	int result;	/* FINISHED: what poll answered, or ACHAN_CANCELLED */
	uint64_t value;	/* send: the value; receive: the value it got */
	uint64_t after;	/* state receive: the id it asked to be newer than */
	unsigned wakes;
};

static inline int
ref_registered(const struct ref_fut *f)
{
	return f->st == RF_QUEUED || f->st == RF_NOTIFIED ||
	    f->st == RF_DONE || f->st == RF_CLOSED;
}

/*
 * The wake calls owed, in order (codes), since the harness last looked:
 * waiters are served, and woken, oldest first.
 */
#define REF_WAKELOG_MAX 256

struct ref_wakelog {
	unsigned n;
	unsigned code[REF_WAKELOG_MAX];
};

extern struct ref_wakelog ref_woken;

/* Leave the queue with an outcome, and be woken once for it. */
static inline void
ref_wake(struct ref_fut *f, int outcome)
{
	f->st = outcome;
	f->wakes++;
	if (ref_woken.n < REF_WAKELOG_MAX)
		ref_woken.code[ref_woken.n++] = f->code;
}

static inline int
ref_finish(struct ref_fut *f, int result)
{
	f->st = RF_FINISHED;
	f->result = result;
	return result;
}

/* A FIFO of future slots, oldest first. */
#define REF_QMAX 16

struct ref_queue {
	unsigned n;
	unsigned slot[REF_QMAX];
};

static inline void
ref_q_push(struct ref_queue *q, unsigned slot)
{
	q->slot[q->n++] = slot;
}

/* The oldest waiter, taken out. */
static inline unsigned
ref_q_pop(struct ref_queue *q)
{
	unsigned s = q->slot[0], i;

	for (i = 1; i < q->n; i++)
		q->slot[i - 1] = q->slot[i];
	q->n--;
	return s;
}

static inline void
ref_q_remove(struct ref_queue *q, unsigned slot)
{
	unsigned i, j = 0;

	for (i = 0; i < q->n; i++)
		if (q->slot[i] != slot)
			q->slot[j++] = q->slot[i];
	q->n = j;
}

/* The element destructor calls the contract owes, in order. */
#define REF_DTOR_MAX 64

struct ref_dtor {
	unsigned n;
	uint64_t v[REF_DTOR_MAX];
};

static inline void
ref_dtor(struct ref_dtor *d, uint64_t v)
{
	if (d->n < REF_DTOR_MAX)
		d->v[d->n++] = v;
}

#endif /* ACHAN_FUZZ_REF_H */
