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
 *   LOST      a select case whose select completed through another case
 *             (or was cancelled) while it waited: a completing operation
 *             dropped it from its queue without a wake; it stays registered
 *             until its select cancels it (select.h, SEMANTICS.md "Select")
 *
 * `wakes` counts the wake calls the contract owes it: one each time it
 * leaves QUEUED for NOTIFIED, DONE or CLOSED.
 *
 * A select case (fuzz_select.c) is a future of its object's model too, in
 * a slot of its own (`sel` != 0): its wakes go to its select (ref_case_woken)
 * instead of the wake log, and an operation that would complete it on its
 * behalf - a served send, a meet on an unbuffered channel - asks its select
 * first (ref_claim): "anything that would complete a case on the select's
 * behalf must first win the select's one claim word".
 */
enum ref_fst {
	RF_FREE = 0,
	RF_QUEUED,
	RF_NOTIFIED,
	RF_DONE,
	RF_CLOSED,
	RF_FINISHED,
	RF_LOST
};

struct ref_fut {
	int st;
	unsigned code;	/* who it is in the wake log: side << 8 | slot */
	int result;	/* FINISHED: what poll answered, or ACHAN_CANCELLED */
	uint64_t value;	/* send: the value; receive: the value it got */
	uint64_t after;	/* state receive: the id it asked to be newer than */
	unsigned wakes;
	unsigned sel;	/* 0: a plain future; s + 1: case sel_case of select s */
	unsigned sel_case;
};

/* Future slots of each side of each model kept for select cases, after the
 * plain futures' slots (fuzz_select.c; the other targets leave them FREE). */
#define REF_SEL_CASES 12

static inline int
ref_registered(const struct ref_fut *f)
{
	return f->st == RF_QUEUED || f->st == RF_NOTIFIED ||
	    f->st == RF_DONE || f->st == RF_CLOSED || f->st == RF_LOST;
}

/*
 * Select cases (fuzz_select.c sets these).  ref_case_woken: case f left its
 * queue with a wake.  ref_case_claim: may an operation complete case f now?
 * REF_CLAIM_WON (its select was open: the case is the one that completes -
 * with commit, the select is now decided), REF_CLAIM_LOST (its select
 * completed or was cancelled: drop the case and pass on) or REF_CLAIM_SKIP
 * (its select is being polled by its owner: leave it queued, pass on).
 * Without commit nothing changes (a look: would it meet anybody?).
 */
enum { REF_CLAIM_WON, REF_CLAIM_LOST, REF_CLAIM_SKIP };

extern void (*ref_case_woken)(struct ref_fut *f);
extern int (*ref_case_claim)(struct ref_fut *f, int commit);

static inline int
ref_claim(struct ref_fut *f, int commit)
{
	return f->sel == 0 ? REF_CLAIM_WON : ref_case_claim(f, commit);
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
	if (f->sel != 0) {
		ref_case_woken(f);
		return;
	}
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
#define REF_QMAX 32

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

/* Take out the waiter at place k (0: the oldest). */
static inline unsigned
ref_q_take(struct ref_queue *q, unsigned k)
{
	unsigned s = q->slot[k], i;

	for (i = k + 1; i < q->n; i++)
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
