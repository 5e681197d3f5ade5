/*
 * fuzz/fuzz_select.c - libFuzzer target: select (achan/select.h) over two
 * channels, a oneshot or oneshot broadcast and a state channel, against
 * the reference models of the kinds (ref_chan.h, ref_once.h, ref_state.h)
 * and a model of the select written here from SEMANTICS.md "Select" and
 * select.h.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A target of its own rather than more operations in fuzz_chan.c: a select
 * needs several objects of several kinds at once, which none of the other
 * targets has, and its default mode is not deterministic (see "worlds").
 *
 * Input: one header byte, then operations: one byte each, plus a case list
 * for those that start a select, plus one byte for a state receive's
 * `after`.
 *
 *   header  bit  0    ACHAN_LOCAL (every object)
 *           bits 1-3  capacity of both channels (value % 5: 0 unbuffered)
 *           bit  4    0 oneshot, 1 oneshot broadcast
 *           bits 5-6  element size (fz_elem_size: 8, 0, 24, 8)
 *           bit  7    channel B unbuffered whatever the capacity
 *
 *   op      low nibble: the operation, high nibble: its argument
 *            0 try_send (A/B)              8 select future poll (0..2):
 *            1 try_recv (A/B)                init from a case list first
 *            2 plain future poll (0..11)   9 select future cancel (0..2)
 *            3 plain future cancel         10 poll the woken futures, in
 *            4 close (A, B, once, state)      wake order
 *            5 send (once / state)         11 destroy while busy (EBUSY)
 *            6 select_try (case list)      12 select future poll (as 8)
 *            7 select / select_until       13 try_recv (once / state)
 *              (case list): where it       14 bad arguments (EINVAL)
 *              returns at once             15 poll the woken futures
 *
 *   case list  one byte: n = (b & 7) % 5 cases, bit 3 ACHAN_SELECT_BIASED;
 *           then a byte per case: low 3 bits send A, recv A, send B,
 *           recv B, oneshot/broadcast recv, state recv, NONE, state recv;
 *           the rest picks a state case's `after` (0, the current id, one
 *           less, one more, UINT64_MAX).  The same object may appear in
 *           several cases, a send and a receive case on one channel
 *           included; two send (or receive) cases on one channel only in
 *           a biased select (dup_on_chan_queue: else the second is NONE).
 *
 * Plain futures 0..11: send A 0-1, recv A 2-3, send B 4-5, recv B 6-7,
 * oneshot/broadcast recv 8-9, state recv 10-11 (the first poll of a state
 * future reads an `after` byte).  Three select futures, up to four cases
 * each.  A blocking select is made where it returns at once - a case is
 * ready, or on local objects (ACHAN_EDEADLK), or no case is enabled
 * (select: ACHAN_EDEADLK; select_until: ACHAN_TIMEDOUT) - else its deadline
 * twin with a deadline already passed (ACHAN_TIMEDOUT, nothing changed).
 *
 * The model of a select (SEMANTICS.md, select.h):
 *   - try / blocking / a first poll: the cases' try operations in turn from
 *     the start (0 when biased, any case by default); the first ready one
 *     completes as its plain call, the others are not touched;
 *   - a poll that finds none registers every enabled case as a future of
 *     its kind, in its object's model: in the channel's FIFO of waiting
 *     senders or receivers, the oneshot's or state's waiters.  Anything
 *     that would complete a waiting case on the select's behalf (a receive
 *     serving a waiting send case, a meet on an unbuffered channel) must
 *     win the select's claim first (ref_claim): the first completes it,
 *     the select's waker is called, and from then on every other case is
 *     lost - dropped from its queue without a wake by whoever meets it,
 *     the room or value passed on to the next waiter.  Hints (a value
 *     stored in a buffered channel wakes the oldest receiver, send and
 *     close wake every waiter) are not completions and need no claim;
 *   - a re-poll polls every case's future in turn (a queued one keeps its
 *     place) and the first that completes wins; every other case is
 *     cancelled, and a hint one of them had consumed is handed on;
 *   - while its owner polls a select, its cases are skipped by the
 *     operations the poll makes (a select never completes against itself:
 *     its send and receive cases on one unbuffered channel never meet);
 *   - cancel: no case completed - every case cancelled, hints handed on,
 *     ACHAN_CANCELLED; a case completed on its behalf first - ACHAN_OK
 *     with its index;
 *   - the select's waker is called at most once per PENDING poll, and only
 *     when one of its cases was woken (completed, hinted or closed) after
 *     that poll; a select with no enabled case is never woken;
 *   - a registered select keeps each of its objects busy (ACHAN_EBUSY).
 * After every operation the target compares, as the other targets do, the
 * status, the index, the value and state id received, the wake calls of
 * every future and select (how many, which waker, in which order per
 * queue), the objects' queries, and at the end the element destructor
 * calls; and on the library side alone: a select's losing receive cases
 * leave their destinations and id untouched (filled with a pattern), a
 * finished select answers ACHAN_EINVAL to poll and its outcome to cancel,
 * and poll or cancel from inside its own waker answers ACHAN_EINVAL.
 *
 * Worlds.  By default the first case looked at is chosen at random, and a
 * poll's side effects depend on it (which woken cases looked again before
 * the winner, and so used their hint; in which order a select's cases on
 * one object queue up).  So the model keeps a set of candidate states
 * ("worlds"): each select operation in default mode branches into one
 * world per possible start, every operation is applied to every world,
 * and a world survives only if everything it predicts matches the
 * library.  The library diverges when no world is left.  Worlds that end
 * up equal are merged; biased selects do not branch.
 *
 * Futures and selects live in malloc'd memory from their first poll to
 * their end, so AddressSanitizer catches the library touching one after
 * it finished.  The state channel frees superseded states through
 * liburcu's call_rcu as in fuzz_state.c: campaigns run with
 * -detect_leaks=0 and an rcu_barrier() at exit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-bp.h>

#include "harness.h"
#include "ref_chan.h"
#include "ref_once.h"
#include "ref_state.h"

#define NSEL 3		/* select futures */
#define MAXC 4		/* cases per select */
#define NPF 12		/* plain futures: 2 per side of each object */
#define MAXW 16		/* worlds kept at most */
#define MAX_TIMEOUTS 2	/* as in fuzz_chan.c */
#define SENTINEL 0xa5
#define ID_SENTINEL 0xa5a5a5a5a5a5a5a5ull

#if NSEL * MAXC > REF_SEL_CASES
#error "REF_SEL_CASES (ref.h) is too small"
#endif

/* harness slots: select s is slot s, plain future p is slot NSEL + p */
#define PSLOT(p) (NSEL + (p))
#if NSEL + NPF > FZ_SLOTS
#error "FZ_SLOTS (harness.h) is too small"
#endif

/* wake-order sides: one per queue of plain futures (p / 2), one per select */
#define SEL_SIDE(s) (NPF / 2 + (s))
#define NSIDES (NPF / 2 + NSEL)

/* --- the model ------------------------------------------------------------ */

struct rcase {
	unsigned kind;	/* enum achan_select_kind */
	unsigned obj;	/* channel cases: 0 (A) or 1 (B) */
	uint64_t after;	/* state */
	uint64_t value;	/* send */
};

enum { RS_FREE, RS_FRESH, RS_REG, RS_FIN };
enum { CL_OPEN, CL_BUSY, CL_FINAL };

struct rsel {
	int phase;
	unsigned n, flags;
	struct rcase c[MAXC];
	int claim;
	unsigned won;		/* CL_FINAL: the case, or MAXC (cancelled) */
	int woken;		/* its waker was called since its last poll */
	int polling;		/* its owner is polling or cancelling it now */
	int wake_in_poll;	/* a case was woken while polling */
	unsigned wakes;
	int result;
	unsigned index;
};

struct world {
	struct ref_chan ch[2];
	struct ref_once o;
	struct ref_state t;
	struct rsel sel[NSEL];
	struct ref_wakelog woken;
};

static struct world WS[MAXW], NW[MAXW + 1];	/* NW[MAXW]: scratch */
static unsigned nws;
static struct world *CW;	/* the world an operation is applied to */
static unsigned max_worlds;	/* most worlds at once, all inputs */
static uint64_t dropped;	/* worlds dropped over MAXW, all inputs */
static int dropped_here;	/* ... in this input */

/* What the campaign exercised, counted in one world and branch per
 * operation (printed at exit). */
static int counting;
static struct {
	uint64_t try_, block, init, polls, pending, first, own, server,
	    server_cancel, cancelled, wakes, won, lost, skipped, closed, ebusy;
} C;
#define COUNT(x) do { if (counting) C.x++; } while (0)

/* --- the library side ----------------------------------------------------- */

struct lsel {
	struct achan_select sel;
	struct achan_select_case c[MAXC];
	unsigned char val[MAXC][FZ_MAX_ELEM];
	unsigned char out[MAXC][FZ_MAX_ELEM];
	uint64_t id[MAXC];
	unsigned n, flags;
	struct rcase rc[MAXC];
};

struct pfut {
	union {
		struct achan_chan_send_future s;
		struct achan_chan_recv_future r;
		struct achan_oneshot_recv_future o;
		struct achan_bcast_recv_future b;
		struct achan_state_recv_future t;
	} f;
	unsigned char val[FZ_MAX_ELEM];
	unsigned char out[FZ_MAX_ELEM];
	uint64_t id;
};

static struct {
	int local, bcast;
	unsigned cap[2];
	size_t esz;
	struct achan_chan *ch[2];
	struct achan_oneshot *os;
	struct achan_bcast *bc;
	struct achan_state *st;
	int gone[4];			/* destroyed (teardown) */
	struct lsel *ls[NSEL];
	struct pfut *pf[NPF];
	uint64_t next;			/* the last value sent */
	unsigned timeouts;
} S;

static unsigned char none_obj;	/* what a hand-made NONE case points at */

static void *
vbuf(unsigned char *b)
{
	return S.esz != 0 ? b : NULL;
}

/* --- the select hooks of the kinds' models (ref.h) ------------------------ */

static void
sel_log_wake(struct rsel *q, unsigned s)
{
	COUNT(wakes);
	q->woken = 1;
	q->wakes++;
	if (ref_woken.n < REF_WAKELOG_MAX)
		ref_woken.code[ref_woken.n++] = SEL_SIDE(s) << 8 | s;
}

/* "Its waker is called at most once per registration" - and only for a
 * registration: a case woken while its owner polls counts for the PENDING
 * that poll answers (sel_poll). */
static void
case_woken(struct ref_fut *f)
{
	unsigned s = f->sel - 1;
	struct rsel *q = &CW->sel[s];

	if (q->polling) {
		q->wake_in_poll = 1;
		return;
	}
	if (!q->woken && q->phase == RS_REG)
		sel_log_wake(q, s);
}

/* "anything that would complete a case on the select's behalf ... must
 * first win the select's one claim word" */
static int
case_claim(struct ref_fut *f, int commit)
{
	struct rsel *q = &CW->sel[f->sel - 1];

	if (q->claim == CL_FINAL) {
		if (commit)
			COUNT(lost);
		return REF_CLAIM_LOST;
	}
	if (q->claim == CL_BUSY) {
		if (commit)
			COUNT(skipped);
		return REF_CLAIM_SKIP;	/* "never completes against itself" */
	}
	if (commit) {
		COUNT(won);
		q->claim = CL_FINAL;
		q->won = f->sel_case;
	}
	return REF_CLAIM_WON;
}

/* The model future of case k of select s (NULL for NONE). */
static struct ref_fut *
case_fut(struct world *W, unsigned s, unsigned k)
{
	const struct rcase *c = &W->sel[s].c[k];
	unsigned x = s * MAXC + k;

	switch (c->kind) {
	case ACHAN_SELECT_CHAN_SEND:
		return &W->ch[c->obj].send[REF_CHAN_SEND_CASE0 + x];
	case ACHAN_SELECT_CHAN_RECV:
		return &W->ch[c->obj].recv[REF_CHAN_RECV_CASE0 + x];
	case ACHAN_SELECT_ONESHOT_RECV:
	case ACHAN_SELECT_BCAST_RECV:
		return &W->o.fut[REF_ONCE_FUTS + x];
	case ACHAN_SELECT_STATE_RECV:
		return &W->t.fut[REF_STATE_FUTS + x];
	default:
		return NULL;
	}
}

static unsigned
case_slot(const struct rcase *c, unsigned s, unsigned k)
{
	unsigned x = s * MAXC + k;

	switch (c->kind) {
	case ACHAN_SELECT_CHAN_SEND:
		return REF_CHAN_SEND_CASE0 + x;
	case ACHAN_SELECT_CHAN_RECV:
		return REF_CHAN_RECV_CASE0 + x;
	case ACHAN_SELECT_STATE_RECV:
		return REF_STATE_FUTS + x;
	default:
		return REF_ONCE_FUTS + x;
	}
}

/* --- the select model ----------------------------------------------------- */

/* A case's try operation, as its plain call: "exactly as its plain call
 * would have done it". */
static int
m_case_try(struct world *W, const struct rcase *c, uint64_t *v, uint64_t *id)
{
	switch (c->kind) {
	case ACHAN_SELECT_CHAN_SEND:
		return ref_chan_try_send(&W->ch[c->obj], c->value);
	case ACHAN_SELECT_CHAN_RECV:
		return ref_chan_try_recv(&W->ch[c->obj], v);
	case ACHAN_SELECT_ONESHOT_RECV:
	case ACHAN_SELECT_BCAST_RECV:
		return ref_once_try_recv(&W->o, v);
	case ACHAN_SELECT_STATE_RECV:
		return ref_state_look(&W->t, c->after, v, id);
	default:
		return ACHAN_EMPTY;	/* NONE: "never fires" */
	}
}

/* Try the cases in turn from `start`: the first ready one completes ("A
 * case whose plain call would answer ACHAN_CLOSED counts as ready"). */
static int
m_try_all(struct world *W, const struct rcase *c, unsigned n, unsigned start,
		unsigned *won, uint64_t *v, uint64_t *id)
{
	unsigned k, i;
	int r;

	for (k = 0, i = start; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
		r = m_case_try(W, &c[i], v, id);
		if (r != ACHAN_EMPTY && r != ACHAN_FULL) {
			*won = i;
			return r;
		}
	}
	return ACHAN_EMPTY;
}

/* Poll case k's future: the first poll registers it, a re-poll keeps its
 * place or completes it. */
static int
m_case_poll(struct world *W, unsigned s, unsigned k, uint64_t *v, uint64_t *id)
{
	const struct rcase *c = &W->sel[s].c[k];
	unsigned slot = case_slot(c, s, k);

	switch (c->kind) {
	case ACHAN_SELECT_CHAN_SEND:
		return ref_chan_send_poll(&W->ch[c->obj], slot, c->value);
	case ACHAN_SELECT_CHAN_RECV:
		return ref_chan_recv_poll(&W->ch[c->obj], slot, v);
	case ACHAN_SELECT_ONESHOT_RECV:
	case ACHAN_SELECT_BCAST_RECV:
		return ref_once_poll(&W->o, slot, v);
	case ACHAN_SELECT_STATE_RECV:
		return ref_state_poll(&W->t, slot, c->after, v, id);
	default:
		return ACHAN_PENDING;
	}
}

static void
m_case_cancel(struct world *W, unsigned s, unsigned k)
{
	const struct rcase *c = &W->sel[s].c[k];
	unsigned slot = case_slot(c, s, k);
	uint64_t v;

	switch (c->kind) {
	case ACHAN_SELECT_CHAN_SEND:
		(void)ref_chan_send_cancel(&W->ch[c->obj], slot);
		break;
	case ACHAN_SELECT_CHAN_RECV:
		(void)ref_chan_recv_cancel(&W->ch[c->obj], slot, &v);
		break;
	case ACHAN_SELECT_ONESHOT_RECV:
	case ACHAN_SELECT_BCAST_RECV:
		(void)ref_once_cancel(&W->o, slot, &v);
		break;
	case ACHAN_SELECT_STATE_RECV:
		(void)ref_state_cancel(&W->t, slot);
		break;
	}
}

/* "every other case leaves no trace ... no wakeup lost (a wakeup a losing
 * registration consumed is handed on)": cancel every registered case but
 * `won`, in order. */
static void
m_cancel_others(struct world *W, unsigned s, unsigned won)
{
	struct ref_fut *f;
	unsigned j;

	for (j = 0; j < W->sel[s].n; j++) {
		f = case_fut(W, s, j);
		if (j != won && f != NULL && ref_registered(f))
			m_case_cancel(W, s, j);
	}
}

static int
m_finish(struct world *W, unsigned s, unsigned won, int r, unsigned *idx)
{
	struct rsel *q = &W->sel[s];
	struct ref_fut *f;
	unsigned j;

	q->phase = RS_FIN;
	q->result = r;
	q->index = won;
	*idx = won;
	for (j = 0; j < q->n; j++) {
		f = case_fut(W, s, j);
		if (f == NULL)
			continue;
		if (f->st != RF_FREE && f->st != RF_FINISHED)
			fz_fail("model: select %u case %u still registered "
			    "after its select finished", s, j);
		f->st = RF_FREE;
	}
	return r;
}

/* Case i was completed on the select's behalf (its claim won): the select
 * finishes with it, the others are cancelled (hints handed on). */
static int
m_won_by_server(struct world *W, unsigned s, unsigned *idx, uint64_t *v,
		uint64_t *id)
{
	unsigned i = W->sel[s].won;
	int r;

	m_cancel_others(W, s, i);
	r = m_case_poll(W, s, i, v, id);
	if (r != ACHAN_OK)
		fz_fail("model: select %u case %u won by a server polls %s", s,
		    i, fz_st(r));
	return m_finish(W, s, i, r, idx);
}

static int
m_sel_poll(struct world *W, unsigned s, unsigned start1, unsigned start2,
		unsigned *idx, uint64_t *v, uint64_t *id)
{
	struct rsel *q = &W->sel[s];
	unsigned k, i, won;
	int r;

	q->woken = 0;	/* a new waker, for this registration */
	q->wake_in_poll = 0;
	q->polling = 1;
	if (q->phase == RS_FRESH) {
		/* "a select whose first looked-at case is ready costs one try
		 * operation": nothing registered */
		r = m_try_all(W, q->c, q->n, start1, &won, v, id);
		if (r != ACHAN_EMPTY) {
			COUNT(first);
			r = m_finish(W, s, won, r, idx);
			goto out;
		}
		q->phase = RS_REG;
	}
	if (q->claim == CL_FINAL) {
		COUNT(server);
		r = m_won_by_server(W, s, idx, v, id);
		goto out;
	}
	q->claim = CL_BUSY;
	for (k = 0, i = start2; k < q->n; k++, i = i + 1 == q->n ? 0 : i + 1) {
		if (q->c[i].kind == ACHAN_SELECT_NONE)
			continue;
		r = m_case_poll(W, s, i, v, id);
		if (r != ACHAN_PENDING) {
			COUNT(own);
			q->claim = CL_FINAL;
			q->won = i;
			m_cancel_others(W, s, i);
			r = m_finish(W, s, i, r, idx);
			goto out;
		}
	}
	q->claim = CL_OPEN;
	r = ACHAN_PENDING;
	COUNT(pending);
out:
	if (r == ACHAN_CLOSED)
		COUNT(closed);
	q->polling = 0;
	/*
	 * A case woken while its owner polls: the waker this poll was given
	 * is due if the poll answers PENDING.  If it finishes, nothing is
	 * owed, and nothing may call it - not even a losing case of this
	 * select handing a hint on to another of its cases on the same queue
	 * (fuzz/crashes/README, select-wake-in-final-poll, fixed).
	 */
	if (q->wake_in_poll && r == ACHAN_PENDING)
		sel_log_wake(q, s);
	q->wake_in_poll = 0;
	return r;
}

static int
m_sel_cancel(struct world *W, unsigned s, unsigned *idx, uint64_t *v,
		uint64_t *id)
{
	struct rsel *q = &W->sel[s];
	unsigned dummy;

	switch (q->phase) {
	case RS_FRESH:
		q->phase = RS_FIN;
		q->result = ACHAN_CANCELLED;
		return ACHAN_CANCELLED;
	case RS_FIN:
		/* "as every kind's cancel answers" */
		if (q->result != ACHAN_OK)
			return ACHAN_CANCELLED;
		*idx = q->index;
		return ACHAN_OK;
	default:
		break;
	}
	if (q->claim == CL_FINAL) {	/* a case completed first: OK, index */
		COUNT(server_cancel);
		return m_won_by_server(W, s, idx, v, id);
	}
	COUNT(cancelled);
	q->claim = CL_FINAL;
	q->won = MAXC;
	m_cancel_others(W, s, MAXC);
	(void)m_finish(W, s, MAXC, ACHAN_CANCELLED, &dummy);
	return ACHAN_CANCELLED;
}

/* --- worlds ----------------------------------------------------------------- */

/* What the library answered, and the operation's parameters. */
struct op {
	unsigned p, s, obj, n, flags, until;
	struct rcase c[MAXC];
	uint64_t value, after;
	int start;	/* a future's first poll */
	int r;
	size_t idx;
	uint64_t v, id;	/* received (r == ACHAN_OK, receive kinds) */
	int has_v, has_id;
};

typedef const char *(*model_fn)(struct world *W, const struct op *o,
		unsigned branch);

static char errbuf[512];

static const char *
err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return errbuf;
}

/* The library's answer against the model's. */
static const char *
cmp(const char *what, const struct op *o, int r, int with_idx, unsigned idx,
		uint64_t v, uint64_t id)
{
	if (o->r != r)
		return err("%s: library %s, model %s", what, fz_st(o->r),
		    fz_st(r));
	if (with_idx && (r == ACHAN_OK || r == ACHAN_CLOSED) && o->idx != idx)
		return err("%s: library index %zu, model %u (both %s)", what,
		    o->idx, idx, fz_st(r));
	if (r != ACHAN_OK)
		return NULL;
	if (o->has_v && S.esz != 0 && o->v != v)
		return err("%s: library value %llu, model value %llu", what,
		    (unsigned long long)o->v, (unsigned long long)v);
	if (o->has_id && o->id != id)
		return err("%s: library id %llu, model id %llu", what,
		    (unsigned long long)o->id, (unsigned long long)id);
	return NULL;
}

/* What the library shows after an operation. */
struct lobs {
	size_t len[2];
	int closed[2], oclosed, tclosed;
	uint64_t tid;
};

static void
observe(struct lobs *l)
{
	unsigned i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < 2; i++) {
		if (S.gone[i])
			continue;
		l->len[i] = achan_chan_len(S.ch[i]);
		l->closed[i] = achan_chan_is_closed(S.ch[i]);
	}
	if (!S.gone[2])
		l->oclosed = S.bcast ? achan_bcast_is_closed(S.bc) :
		    achan_oneshot_is_closed(S.os);
	if (!S.gone[3]) {
		l->tid = achan_state_id(S.st);
		l->tclosed = achan_state_is_closed(S.st);
	}
}

static struct ref_fut *
pf_model(struct world *W, unsigned p)
{
	unsigned j = p & 1;

	switch (p >> 1) {
	case 0: return &W->ch[0].send[j];
	case 1: return &W->ch[0].recv[j];
	case 2: return &W->ch[1].send[j];
	case 3: return &W->ch[1].recv[j];
	case 4: return &W->o.fut[j];
	default: return &W->t.fut[j];
	}
}

static unsigned
code_of(unsigned slot)
{
	if (slot < NSEL)
		return SEL_SIDE(slot) << 8 | slot;
	return ((slot - NSEL) >> 1) << 8 | slot;
}

/* Everything observable after an operation, against world W. */
static const char *
world_check(struct world *W, const struct lobs *l)
{
	unsigned i, side, a, b, n;
	const struct ref_dtor *d[3] = { &W->ch[0].dtor, &W->ch[1].dtor,
	    &W->o.dtor };

	for (i = 0; i < NSEL; i++)
		if (fz_wakes[i] != W->sel[i].wakes)
			return err("select %u: waker called %u times, model %u",
			    i, fz_wakes[i], W->sel[i].wakes);
	for (i = 0; i < NPF; i++)
		if (fz_wakes[PSLOT(i)] != pf_model(W, i)->wakes)
			return err("future %u: woken %u times, model %u", i,
			    fz_wakes[PSLOT(i)], pf_model(W, i)->wakes);
	/* "within a side, waiters are woken oldest first" (harness.h) */
	for (side = 0; side < NSIDES; side++) {
		for (a = b = 0;; a++, b++) {
			while (a < fz_woken_n && code_of(fz_woken[a]) >> 8 != side)
				a++;
			while (b < W->woken.n && W->woken.code[b] >> 8 != side)
				b++;
			if (a == fz_woken_n || b == W->woken.n)
				break;	/* the counts are compared above */
			if (code_of(fz_woken[a]) != W->woken.code[b])
				return err("wake order: slot %u woken where the "
				    "model wakes slot %u first",
				    code_of(fz_woken[a]) & 0xff,
				    W->woken.code[b] & 0xff);
		}
	}
	for (i = 0; i < 2; i++) {
		if (S.gone[i])
			continue;
		if (l->len[i] != W->ch[i].len)
			return err("channel %c: len %zu, model %u", 'A' + i,
			    l->len[i], W->ch[i].len);
		if (l->closed[i] != W->ch[i].closed)
			return err("channel %c: is_closed %d, model %d", 'A' + i,
			    l->closed[i], W->ch[i].closed);
	}
	if (!S.gone[2] && l->oclosed != ref_once_is_closed(&W->o))
		return err("oneshot: is_closed %d, model %d", l->oclosed,
		    ref_once_is_closed(&W->o));
	if (!S.gone[3] && (l->tid != W->t.id || l->tclosed != W->t.closed))
		return err("state: id %llu closed %d, model %llu %d",
		    (unsigned long long)l->tid, l->tclosed,
		    (unsigned long long)W->t.id, W->t.closed);
	for (i = n = 0; i < 3; i++) {
		for (a = 0; a < d[i]->n; a++, n++) {
			if (n >= fz_dtor_n)
				return err("destructor: %u calls, the model "
				    "owes more", fz_dtor_n);
			if (S.esz != 0 && fz_dtor_log[n] != d[i]->v[a])
				return err("destructor call %u: value %llu, "
				    "model %llu", n,
				    (unsigned long long)fz_dtor_log[n],
				    (unsigned long long)d[i]->v[a]);
		}
	}
	if (n != fz_dtor_n)
		return err("destructor: %u calls, model %u", fz_dtor_n, n);
	return NULL;
}

/*
 * Worlds that differ only in what nothing can observe are one: before they
 * are compared, the select cases among a oneshot's or state's waiters are
 * put in slot order (those kinds wake every waiter at once: their order
 * shows nowhere, and a default select registers its cases in an order that
 * follows its random start), and what is left over in arrays past their
 * length, in free futures and selects, and a case future's own wake count
 * are cleared.  Channel queues keep their order: it decides who is served.
 */
static void
canon_tail(struct ref_queue *q)
{
	memset(q->slot + q->n, 0, (REF_QMAX - q->n) * sizeof(q->slot[0]));
}

static void
canon_queue(struct ref_queue *q, unsigned case0)
{
	unsigned tmp[REF_QMAX], n = 0, i, k;

	for (i = 0; i < q->n; i++)
		if (q->slot[i] < case0)
			tmp[n++] = q->slot[i];
	for (k = case0; k < case0 + REF_SEL_CASES; k++)
		for (i = 0; i < q->n; i++)
			if (q->slot[i] == k)
				tmp[n++] = k;
	memset(q->slot, 0, sizeof(q->slot));
	memcpy(q->slot, tmp, n * sizeof(tmp[0]));
}

static void
canon_fut(struct ref_fut *f, int is_case)
{
	unsigned wakes = f->wakes, sel = f->sel, k = f->sel_case;

	if (is_case) {
		f->wakes = 0;
		f->code = 0;
	}
	if (f->st != RF_FREE)
		return;
	memset(f, 0, sizeof(*f));
	f->wakes = is_case ? 0 : wakes;	/* compared until it restarts */
	f->sel = sel;
	f->sel_case = k;
}

static void
canon(struct world *W)
{
	unsigned i, j, s, wakes;

	for (i = 0; i < 2; i++) {
		struct ref_chan *m = &W->ch[i];

		memset(m->buf + m->len, 0, (REF_CHAN_MAXCAP - m->len) *
		    sizeof(m->buf[0]));
		canon_tail(&m->sendq);
		canon_tail(&m->recvq);
		for (j = 0; j < REF_CHAN_FUTS + REF_SEL_CASES; j++)
			canon_fut(&m->send[j], j >= REF_CHAN_SEND_CASE0);
		for (j = 0; j < REF_CHAN_RECV_CASE0 + REF_SEL_CASES; j++)
			canon_fut(&m->recv[j], j >= REF_CHAN_RECV_CASE0);
	}
	canon_queue(&W->o.q, REF_ONCE_FUTS);
	canon_queue(&W->t.q, REF_STATE_FUTS);
	for (j = 0; j < REF_ONCE_FUTS + REF_SEL_CASES; j++)
		canon_fut(&W->o.fut[j], j >= REF_ONCE_FUTS);
	for (j = 0; j < REF_STATE_FUTS + REF_SEL_CASES; j++)
		canon_fut(&W->t.fut[j], j >= REF_STATE_FUTS);
	for (s = 0; s < NSEL; s++) {
		if (W->sel[s].phase != RS_FREE)
			continue;
		wakes = W->sel[s].wakes;
		memset(&W->sel[s], 0, sizeof(W->sel[s]));
		W->sel[s].wakes = wakes;
	}
}

/*
 * Apply an operation the library has just made to every world, in each of
 * `nbranch` ways (the random starts of a default select), and keep the
 * worlds that match what the library did.  None left: a divergence.
 */
static void
step(model_fn fn, const struct op *o, unsigned nbranch)
{
	static char first[sizeof(errbuf)];
	struct lobs l;
	struct world *W;
	const char *e;
	unsigned i, b, j, nn = 0;

	observe(&l);
	if (nws == 1 && nbranch == 1) {
		/* the usual case: one world, changed in place */
		CW = W = &WS[0];
		ref_woken = W->woken;
		counting = 1;
		e = fn(W, o, 0);
		counting = 0;
		W->woken = ref_woken;
		if (e == NULL)
			e = world_check(W, &l);
		if (e != NULL)
			fz_fail("%s", e);
		CW = NULL;
		W->woken.n = 0;
		fz_woken_n = 0;
		ref_woken.n = 0;
		return;
	}
	first[0] = '\0';
	for (i = 0; i < nws; i++) {
		for (b = 0; b < nbranch; b++) {
			W = &NW[nn];
			memcpy(W, &WS[i], sizeof(*W));
			CW = W;
			ref_woken = W->woken;
			counting = i == 0 && b == 0;
			e = fn(W, o, b);
			counting = 0;
			W->woken = ref_woken;
			if (e == NULL)
				e = world_check(W, &l);
			if (e != NULL) {
				if (first[0] == '\0')
					snprintf(first, sizeof(first), "%s", e);
				continue;
			}
			memset(&W->woken, 0, sizeof(W->woken));
			canon(W);
			for (j = 0; j < nn; j++)
				if (memcmp(&NW[j], W, sizeof(*W)) == 0)
					break;
			if (j == nn && nn < MAXW) {
				nn++;
			} else if (j == nn) {
				dropped++;	/* beyond MAXW */
				dropped_here = 1;
			}
		}
	}
	CW = NULL;
	if (nn == 0)
		fz_fail("%s%s%s", first, nws > 1 ? " (and no other candidate "
		    "state of the model agrees)" : "", dropped_here ?
		    " - but candidates were dropped (MAXW): maybe the model" :
		    "");
	memcpy(WS, NW, nn * sizeof(WS[0]));
	nws = nn;
	if (nn > max_worlds)
		max_worlds = nn;
	fz_woken_n = 0;
	ref_woken.n = 0;
}

/* How many starts a select may take: "the first case looked at is chosen
 * at random", unless biased. */
static unsigned
starts(unsigned n, unsigned flags)
{
	return (flags & ACHAN_SELECT_BIASED) || n < 2 ? 1 : n;
}

/* --- objects ------------------------------------------------------------------ */

static const char *
m_nothing(struct world *W, const struct op *o, unsigned b)
{
	(void)W;
	(void)o;
	(void)b;
	return NULL;
}

static const char *
m_try_send(struct world *W, const struct op *o, unsigned b)
{
	(void)b;
	return cmp("try_send", o, ref_chan_try_send(&W->ch[o->obj], o->value),
	    0, 0, 0, 0);
}

static void
try_send(unsigned obj)
{
	unsigned char val[FZ_MAX_ELEM];
	struct op o = { .obj = obj };

	if (S.gone[obj])
		return;
	o.value = ++S.next;
	fz_encode(val, S.esz, o.value);
	fz_op("try_send", obj, o.value);
	o.r = achan_chan_try_send(S.ch[obj], vbuf(val));
	step(m_try_send, &o, 1);
}

static const char *
m_try_recv(struct world *W, const struct op *o, unsigned b)
{
	uint64_t v = 0, id = 0;
	int r;

	(void)b;
	switch (o->obj) {
	case 0: case 1:
		r = ref_chan_try_recv(&W->ch[o->obj], &v);
		break;
	case 2:
		r = ref_once_try_recv(&W->o, &v);
		break;
	default:
		r = ref_state_look(&W->t, o->after, &v, &id);
		break;
	}
	return cmp("try_recv", o, r, 0, 0, v, id);
}

static void
try_recv(unsigned obj, struct fz_in *in)
{
	unsigned char out[FZ_MAX_ELEM];
	struct op o = { .obj = obj };

	if (S.gone[obj])
		return;
	switch (obj) {
	case 0: case 1:
		fz_op("try_recv", obj, 0);
		o.r = achan_chan_try_recv(S.ch[obj], vbuf(out));
		break;
	case 2:
		fz_op("once_try_recv", 0, 0);
		o.r = S.bcast ? achan_bcast_try_recv(S.bc, vbuf(out)) :
		    achan_oneshot_try_recv(S.os, vbuf(out));
		break;
	default:
		o.after = fz_byte(in);
		o.after = o.after % 5 == 0 ? 0 : o.after % 5 == 1 ? WS[0].t.id :
		    o.after % 5 == 2 ? WS[0].t.id - 1 : o.after % 5 == 3 ?
		    WS[0].t.id + 1 : UINT64_MAX;
		fz_op("state_try_recv", o.after, 0);
		o.r = achan_state_try_recv(S.st, o.after, vbuf(out), &o.id);
		o.has_id = 1;
		break;
	}
	if (o.r == ACHAN_OK) {
		o.v = fz_decode(out, S.esz, "try_recv");
		o.has_v = 1;
	}
	step(m_try_recv, &o, 1);
}

static const char *
m_send(struct world *W, const struct op *o, unsigned b)
{
	(void)b;
	return cmp("send", o, o->obj == 2 ? ref_once_send(&W->o, o->value) :
	    ref_state_send(&W->t, o->value), 0, 0, 0, 0);
}

static void
do_send(unsigned obj)
{
	unsigned char val[FZ_MAX_ELEM];
	struct op o = { .obj = obj };

	if (S.gone[obj])
		return;
	o.value = ++S.next;
	fz_encode(val, S.esz, o.value);
	fz_op(obj == 2 ? "once_send" : "state_send", o.value, 0);
	if (obj == 2)
		o.r = S.bcast ? achan_bcast_send(S.bc, vbuf(val)) :
		    achan_oneshot_send(S.os, vbuf(val));
	else
		o.r = achan_state_send(S.st, vbuf(val));
	step(m_send, &o, 1);
}

static const char *
m_close(struct world *W, const struct op *o, unsigned b)
{
	int r;

	(void)b;
	switch (o->obj) {
	case 0: case 1: r = ref_chan_close(&W->ch[o->obj]); break;
	case 2: r = ref_once_close(&W->o); break;
	default: r = ref_state_close(&W->t); break;
	}
	return cmp("close", o, r, 0, 0, 0, 0);
}

static void
do_close(unsigned obj)
{
	struct op o = { .obj = obj };

	if (S.gone[obj])
		return;
	fz_op("close", obj, 0);
	switch (obj) {
	case 0: case 1: o.r = achan_chan_close(S.ch[obj]); break;
	case 2:
		o.r = S.bcast ? achan_bcast_close(S.bc) :
		    achan_oneshot_close(S.os);
		break;
	default: o.r = achan_state_close(S.st); break;
	}
	step(m_close, &o, 1);
}

/* Around a call that may free the thread-safe state channel (fuzz_state.c). */
static void
may_free_begin(void)
{
	if (!S.local)
		rcu_read_lock();
}

static void
may_free_end(void)
{
	if (!S.local)
		rcu_read_unlock();
}

static int
lib_destroy(unsigned obj)
{
	int r;

	switch (obj) {
	case 0: case 1: return achan_chan_destroy(S.ch[obj]);
	case 2:
		return S.bcast ? achan_bcast_destroy(S.bc) :
		    achan_oneshot_destroy(S.os);
	default:
		may_free_begin();
		r = achan_state_destroy(S.st);
		may_free_end();
		return r;
	}
}

static int
m_destroy_one(struct world *W, unsigned obj)
{
	switch (obj) {
	case 0: case 1: return ref_chan_destroy(&W->ch[obj]);
	case 2: return ref_once_destroy(&W->o);
	default: return ref_state_destroy(&W->t);
	}
}

static const char *
m_destroy(struct world *W, const struct op *o, unsigned b)
{
	(void)b;
	if (o->r == ACHAN_EBUSY)
		COUNT(ebusy);
	return cmp("destroy", o, m_destroy_one(W, o->obj), 0, 0, 0, 0);
}

/* "A registered select future counts as registered on each of its
 * objects (ACHAN_EBUSY from destroy)"; only where every world agrees. */
static void
destroy_busy(unsigned obj)
{
	struct world tmp;
	struct op o = { .obj = obj };
	unsigned i;

	if (S.gone[obj])
		return;
	for (i = 0; i < nws; i++) {
		memcpy(&tmp, &WS[i], sizeof(tmp));
		CW = &tmp;
		if (m_destroy_one(&tmp, obj) != ACHAN_EBUSY)
			return;
	}
	CW = NULL;
	fz_op("destroy(busy)", obj, 0);
	o.r = lib_destroy(obj);
	if (o.r == ACHAN_OK)
		S.gone[obj] = 1;	/* the model will say so */
	step(m_destroy, &o, 1);
}

/* --- plain futures ------------------------------------------------------------- */

static int
lib_pf_poll(unsigned p, const struct achan_waker *w)
{
	struct pfut *f = S.pf[p];

	switch (p >> 1) {
	case 0: case 2: return achan_chan_send_poll(&f->f.s, w);
	case 1: case 3: return achan_chan_recv_poll(&f->f.r, w);
	case 4:
		return S.bcast ? achan_bcast_recv_poll(&f->f.b, w) :
		    achan_oneshot_recv_poll(&f->f.o, w);
	default: return achan_state_recv_poll(&f->f.t, w);
	}
}

static int
lib_pf_cancel(unsigned p)
{
	struct pfut *f = S.pf[p];

	switch (p >> 1) {
	case 0: case 2: return achan_chan_send_cancel(&f->f.s);
	case 1: case 3: return achan_chan_recv_cancel(&f->f.r);
	case 4:
		return S.bcast ? achan_bcast_recv_cancel(&f->f.b) :
		    achan_oneshot_recv_cancel(&f->f.o);
	default: return achan_state_recv_cancel(&f->f.t);
	}
}

/* Start plain future p (library side): 0 if its object is gone. */
static int
pf_start(unsigned p, struct op *o, struct fz_in *in)
{
	unsigned kind = p >> 1, obj = kind < 4 ? kind >> 1 : kind - 2;
	struct pfut *f;
	int r;

	if (S.gone[obj])
		return 0;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		abort();
	switch (kind) {
	case 0: case 2:
		o->value = ++S.next;
		fz_encode(f->val, S.esz, o->value);
		r = achan_chan_send_future_init(&f->f.s, S.ch[obj],
		    vbuf(f->val));
		break;
	case 1: case 3:
		r = achan_chan_recv_future_init(&f->f.r, S.ch[obj],
		    vbuf(f->out));
		break;
	case 4:
		r = S.bcast ? achan_bcast_recv_future_init(&f->f.b, S.bc,
		    vbuf(f->out)) : achan_oneshot_recv_future_init(&f->f.o,
		    S.os, vbuf(f->out));
		break;
	default:
		o->after = fz_byte(in);
		o->after = o->after % 5 == 0 ? 0 : o->after % 5 == 1 ?
		    WS[0].t.id : o->after % 5 == 2 ? WS[0].t.id - 1 :
		    o->after % 5 == 3 ? WS[0].t.id + 1 : UINT64_MAX;
		r = achan_state_recv_future_init(&f->f.t, S.st, o->after,
		    vbuf(f->out), &f->id);
		break;
	}
	FZ_EQ_ST(r, ACHAN_OK, "future init");
	S.pf[p] = f;
	fz_wakes[PSLOT(p)] = 0;
	o->start = 1;
	return 1;
}

static void
pf_finished(unsigned p, int result)
{
	struct achan_waker w = fz_dead_waker();
	int r;

	FZ_EQ_ST(lib_pf_poll(p, &w), ACHAN_EINVAL, "future poll after finish");
	r = lib_pf_cancel(p);
	FZ_EQ_ST(r, result == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED,
	    "future cancel after finish");
	free(S.pf[p]);
	S.pf[p] = NULL;
}

static int
m_pf_poll_one(struct world *W, const struct op *o, uint64_t *v, uint64_t *id)
{
	unsigned p = o->p, j = p & 1;

	switch (p >> 1) {
	case 0: case 2:
		return ref_chan_send_poll(&W->ch[p >> 2], j, o->value);
	case 1: case 3:
		return ref_chan_recv_poll(&W->ch[p >> 2], j, v);
	case 4:
		return ref_once_poll(&W->o, j, v);
	default:
		return ref_state_poll(&W->t, j, o->after, v, id);
	}
}

static const char *
m_pf_poll(struct world *W, const struct op *o, unsigned b)
{
	struct ref_fut *f = pf_model(W, o->p);
	uint64_t v = 0, id = 0;
	int r;

	(void)b;
	if (o->start != (f->st == RF_FREE))
		return err("future %u: the model has it %s", o->p,
		    o->start ? "registered" : "free");
	r = m_pf_poll_one(W, o, &v, &id);
	f->code = (o->p >> 1) << 8 | PSLOT(o->p);
	if (r != ACHAN_PENDING)
		f->st = RF_FREE;
	return cmp("future poll", o, r, 0, 0, v, id);
}

static void
pf_poll(unsigned p, struct fz_in *in)
{
	struct op o = { .p = p };
	struct achan_waker w;

	if (S.pf[p] == NULL && !pf_start(p, &o, in))
		return;
	/* a new future: its value (send) or `after` (state) */
	fz_op("future_poll", p, o.start ? (o.value ? o.value : o.after) : 0);
	w = fz_waker(PSLOT(p));
	may_free_begin();
	o.r = lib_pf_poll(p, &w);
	may_free_end();
	if (o.r == ACHAN_OK && (p >> 1) != 0 && (p >> 1) != 2) {
		o.v = fz_decode(S.pf[p]->out, S.esz, "future poll");
		o.has_v = 1;
		o.id = S.pf[p]->id;
		o.has_id = (p >> 1) == 5;
	}
	step(m_pf_poll, &o, 1);
	if (o.r != ACHAN_PENDING)
		pf_finished(p, o.r);
}

static const char *
m_pf_cancel(struct world *W, const struct op *o, unsigned b)
{
	struct ref_fut *f = pf_model(W, o->p);
	unsigned j = o->p & 1;
	uint64_t v = 0;
	int r;

	(void)b;
	if (o->start != (f->st == RF_FREE))
		return err("future %u: the model has it %s", o->p,
		    o->start ? "registered" : "free");
	if (o->start)
		f->wakes = 0;	/* a new future, cancelled before any poll */
	switch (o->p >> 1) {
	case 0: case 2: r = ref_chan_send_cancel(&W->ch[o->p >> 2], j); break;
	case 1: case 3:
		r = ref_chan_recv_cancel(&W->ch[o->p >> 2], j, &v);
		break;
	case 4: r = ref_once_cancel(&W->o, j, &v); break;
	default: r = ref_state_cancel(&W->t, j); break;
	}
	f->st = RF_FREE;
	return cmp("future cancel", o, r, 0, 0, v, 0);
}

static void
pf_cancel(unsigned p, struct fz_in *in)
{
	struct op o = { .p = p };

	if (S.pf[p] == NULL && !pf_start(p, &o, in))
		return;
	fz_op("future_cancel", p, 0);
	may_free_begin();
	o.r = lib_pf_cancel(p);
	may_free_end();
	if (o.r == ACHAN_OK && (p >> 1) != 0 && (p >> 1) != 2) {
		o.v = fz_decode(S.pf[p]->out, S.esz, "future cancel");
		o.has_v = 1;
	}
	step(m_pf_cancel, &o, 1);
	pf_finished(p, o.r == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED);
}

/* --- select cases ---------------------------------------------------------------- */

static uint64_t
pick_after(unsigned sel)
{
	uint64_t id = WS[0].t.id;

	switch (sel % 5) {
	case 0: return ACHAN_STATE_ID_INIT;
	case 1: return id;
	case 2: return id - 1;
	case 3: return id + 1;
	default: return UINT64_MAX;
	}
}

/*
 * Is case k a second case of the list in one channel's queue (a second
 * send or receive case on one channel)?  In default mode their order in
 * that queue follows the random start of the registration, and unlike a
 * oneshot's or state's waiters, who are all woken together, it decides
 * which of them a sender or receiver meets - which with elem_size 0 only
 * shows much later.  The worlds would multiply; such a case becomes NONE
 * unless the select is biased.
 */
static int
dup_on_chan_queue(const struct rcase *c, unsigned k)
{
	unsigned j;

	if (c[k].kind != ACHAN_SELECT_CHAN_SEND &&
	    c[k].kind != ACHAN_SELECT_CHAN_RECV)
		return 0;
	for (j = 0; j < k; j++)
		if (c[j].kind == c[k].kind && c[j].obj == c[k].obj)
			return 1;
	return 0;
}

/* A case list from the input; the trace shows it as digits, one per case
 * (1 send A, 2 recv A, 3 send B, 4 recv B, 5 oneshot/bcast, 6 state,
 * 7 NONE, 8 state). */
static uint64_t
decode_cases(struct fz_in *in, struct rcase *c, unsigned *n, unsigned *flags)
{
	static const unsigned kinds[8] = {
		ACHAN_SELECT_CHAN_SEND, ACHAN_SELECT_CHAN_RECV,
		ACHAN_SELECT_CHAN_SEND, ACHAN_SELECT_CHAN_RECV,
		ACHAN_SELECT_ONESHOT_RECV, ACHAN_SELECT_STATE_RECV,
		ACHAN_SELECT_NONE, ACHAN_SELECT_STATE_RECV
	};
	unsigned b = fz_byte(in), k, m;
	uint64_t digits = 0;

	*n = (b & 7) % 5;
	*flags = (b >> 3) & 1 ? ACHAN_SELECT_BIASED : 0;
	memset(c, 0, MAXC * sizeof(*c));
	for (k = 0; k < *n; k++) {
		b = fz_byte(in);
		m = b & 7;
		c[k].kind = kinds[m];
		if (c[k].kind == ACHAN_SELECT_ONESHOT_RECV && S.bcast)
			c[k].kind = ACHAN_SELECT_BCAST_RECV;
		c[k].obj = m == 2 || m == 3;
		if (c[k].kind == ACHAN_SELECT_STATE_RECV)
			c[k].after = pick_after(b >> 3);
		if (!*flags && dup_on_chan_queue(c, k)) {
			c[k].kind = ACHAN_SELECT_NONE;	/* see above */
			m = 6;
		}
		if (c[k].kind == ACHAN_SELECT_CHAN_SEND)
			c[k].value = ++S.next;
		digits = digits * 10 + m + 1;
	}
	return digits;
}

/* Every object of the cases still there? */
static int
cases_usable(const struct rcase *c, unsigned n)
{
	unsigned k;

	for (k = 0; k < n; k++) {
		switch (c[k].kind) {
		case ACHAN_SELECT_CHAN_SEND: case ACHAN_SELECT_CHAN_RECV:
			if (S.gone[c[k].obj])
				return 0;
			break;
		case ACHAN_SELECT_STATE_RECV:
			if (S.gone[3])
				return 0;
			break;
		case ACHAN_SELECT_NONE:
			break;
		default:
			if (S.gone[2])
				return 0;
			break;
		}
	}
	return 1;
}

/* Fill the library's cases from the model's; destinations get a pattern
 * that must survive unless the case wins. */
static void
build(struct lsel *L, const struct rcase *c, unsigned n, unsigned flags)
{
	struct achan_select_case *x;
	unsigned k;
	int r = ACHAN_OK;

	L->n = n;
	L->flags = flags;
	memcpy(L->rc, c, MAXC * sizeof(*c));
	memset(L->out, SENTINEL, sizeof(L->out));
	for (k = 0; k < n; k++) {
		x = &L->c[k];
		L->id[k] = ID_SENTINEL;
		switch (c[k].kind) {
		case ACHAN_SELECT_CHAN_SEND:
			fz_encode(L->val[k], S.esz, c[k].value);
			r = achan_select_case_chan_send(x, S.ch[c[k].obj],
			    vbuf(L->val[k]));
			break;
		case ACHAN_SELECT_CHAN_RECV:
			r = achan_select_case_chan_recv(x, S.ch[c[k].obj],
			    vbuf(L->out[k]));
			break;
		case ACHAN_SELECT_ONESHOT_RECV:
			r = achan_select_case_oneshot_recv(x, S.os,
			    vbuf(L->out[k]));
			break;
		case ACHAN_SELECT_BCAST_RECV:
			r = achan_select_case_bcast_recv(x, S.bc,
			    vbuf(L->out[k]));
			break;
		case ACHAN_SELECT_STATE_RECV:
			r = achan_select_case_state_recv(x, S.st, c[k].after,
			    vbuf(L->out[k]), &L->id[k]);
			break;
		default:
			if (k & 1) {
				r = achan_select_case_none(x);
			} else {
				/* "A case set by hand needs only its public
				 * fields (obj and the rest are ignored for
				 * ACHAN_SELECT_NONE)" */
				memset(x, 0x5a, sizeof(*x));
				x->kind = ACHAN_SELECT_NONE;
				x->obj = &none_obj;
			}
			break;
		}
		FZ_EQ_ST(r, ACHAN_OK, "case helper");
	}
}

static int
is_recv(unsigned kind)
{
	return kind != ACHAN_SELECT_CHAN_SEND && kind != ACHAN_SELECT_NONE;
}

/* What the library answered: the value of the winner, and "every other
 * case leaves no trace" - the destinations of the others untouched. */
static void
collect(const struct lsel *L, struct op *o, const char *what)
{
	unsigned k, i;

	o->has_v = o->has_id = 0;
	for (k = 0; k < L->n; k++) {
		if (o->r == ACHAN_OK && k == o->idx) {
			if (is_recv(L->rc[k].kind)) {
				o->v = fz_decode(L->out[k], S.esz, what);
				o->has_v = 1;
			}
			if (L->rc[k].kind == ACHAN_SELECT_STATE_RECV) {
				o->id = L->id[k];
				o->has_id = 1;
			}
			continue;
		}
		for (i = 0; i < S.esz; i++)
			if (L->out[k][i] != SENTINEL)
				fz_fail("%s (%s, index %zu): case %u, which did "
				    "not win, wrote into its destination", what,
				    fz_st(o->r), o->idx, k);
		if (L->id[k] != ID_SENTINEL)
			fz_fail("%s (%s, index %zu): case %u, which did not "
			    "win, wrote its id", what, fz_st(o->r), o->idx, k);
	}
	if ((o->r == ACHAN_OK || o->r == ACHAN_CLOSED) && o->idx >= L->n)
		fz_fail("%s: %s with index %zu of %u cases", what, fz_st(o->r),
		    o->idx, L->n);
	/* "or, for the select as a whole, without touching *index" */
	if (o->r != ACHAN_OK && o->r != ACHAN_CLOSED && o->idx != 99)
		fz_fail("%s: %s, but *index was set (%zu)", what, fz_st(o->r),
		    o->idx);
}

/* --- select_try and the blocking forms ---------------------------------------- */

static const char *
m_select_try(struct world *W, const struct op *o, unsigned b)
{
	uint64_t v = 0, id = 0;
	unsigned won = 0;
	int r;

	r = m_try_all(W, o->c, o->n, b, &won, &v, &id);
	COUNT(try_);
	if (r == ACHAN_CLOSED)
		COUNT(closed);
	return cmp("select_try", o, r, 1, won, v, id);
}

static void
select_try(struct fz_in *in)
{
	struct lsel L;
	struct op o;
	uint64_t digits;

	memset(&o, 0, sizeof(o));
	digits = decode_cases(in, o.c, &o.n, &o.flags);
	if (!cases_usable(o.c, o.n))
		return;
	build(&L, o.c, o.n, o.flags);
	fz_op("select_try", o.n | o.flags << 4, digits);
	o.idx = 99;
	o.r = achan_select_try(L.c, o.n, o.flags, &o.idx);
	collect(&L, &o, "select_try");
	step(m_select_try, &o, starts(o.n, o.flags));
}

static unsigned
enabled(const struct rcase *c, unsigned n)
{
	unsigned k, e = 0;

	for (k = 0; k < n; k++)
		e += c[k].kind != ACHAN_SELECT_NONE;
	return e;
}

static const char *
m_select_block(struct world *W, const struct op *o, unsigned b)
{
	uint64_t v = 0, id = 0;
	unsigned won = 0;
	int r;

	r = m_try_all(W, o->c, o->n, b, &won, &v, &id);
	COUNT(block);
	if (r == ACHAN_CLOSED)
		COUNT(closed);
	if (r == ACHAN_EMPTY) {
		/* "No enabled case: ... the deadline form ACHAN_TIMEDOUT at
		 * the deadline, the blocking form ACHAN_EDEADLK"; "Local
		 * objects: where it would wait, every blocking form answers
		 * ACHAN_EDEADLK" */
		if (enabled(o->c, o->n) == 0)
			r = o->until ? ACHAN_TIMEDOUT : ACHAN_EDEADLK;
		else
			r = S.local ? ACHAN_EDEADLK : ACHAN_TIMEDOUT;
	}
	return cmp(o->until ? "select_until" : "select", o, r, 1, won, v, id);
}

/* Would a case complete at once, in every world? */
static int
ready_everywhere(const struct rcase *c, unsigned n)
{
	struct world tmp;
	uint64_t v, id;
	unsigned i, won;
	int r;

	for (i = 0; i < nws; i++) {
		memcpy(&tmp, &WS[i], sizeof(tmp));
		CW = &tmp;
		ref_woken.n = 0;
		r = m_try_all(&tmp, c, n, 0, &won, &v, &id);
		CW = NULL;
		if (r == ACHAN_EMPTY)
			return 0;
	}
	ref_woken.n = 0;
	return 1;
}

static void
select_block(unsigned arg, struct fz_in *in)
{
	struct timespec dl = fz_past();
	struct lsel L;
	struct op o;
	uint64_t digits;
	int ready;

	memset(&o, 0, sizeof(o));
	digits = decode_cases(in, o.c, &o.n, &o.flags);
	if (!cases_usable(o.c, o.n))
		return;
	o.until = arg & 1;
	ready = ready_everywhere(o.c, o.n);
	if (!ready && !S.local && enabled(o.c, o.n) > 0) {
		/* it would wait: the deadline twin, with a deadline passed */
		if (S.timeouts++ >= MAX_TIMEOUTS)
			return;
		o.until = 1;
	}
	build(&L, o.c, o.n, o.flags);
	fz_op(o.until ? "select_until(past)" : "select",
	    o.n | o.flags << 4 | (unsigned)ready << 8, digits);
	o.idx = 99;
	o.r = o.until ? achan_select_until(L.c, o.n, o.flags, &dl, &o.idx) :
	    achan_select(L.c, o.n, o.flags, &o.idx);
	collect(&L, &o, o.until ? "select_until" : "select");
	step(m_select_block, &o, starts(o.n, o.flags));
}

/* --- select futures ------------------------------------------------------------ */

static const char *
m_sel_init(struct world *W, const struct op *o, unsigned b)
{
	struct rsel *q = &W->sel[o->s];
	struct ref_fut *f;
	unsigned k;

	(void)b;
	if (q->phase != RS_FREE)
		return err("select %u: the model has it in use", o->s);
	memset(q, 0, sizeof(*q));
	COUNT(init);
	q->phase = RS_FRESH;
	q->n = o->n;
	q->flags = o->flags;
	memcpy(q->c, o->c, sizeof(q->c));
	for (k = 0; k < o->n; k++) {
		f = case_fut(W, o->s, k);
		if (f == NULL)
			continue;
		memset(f, 0, sizeof(*f));
		f->st = RF_FREE;
		f->sel = o->s + 1;
		f->sel_case = k;
	}
	return cmp("select_init", o, ACHAN_OK, 0, 0, 0, 0);
}

static int
sel_start(unsigned s, struct fz_in *in)
{
	struct lsel *L;
	struct op o;
	uint64_t digits;

	memset(&o, 0, sizeof(o));
	o.s = s;
	digits = decode_cases(in, o.c, &o.n, &o.flags);
	if (!cases_usable(o.c, o.n))
		return 0;
	L = calloc(1, sizeof(*L));
	if (L == NULL)
		abort();
	build(L, o.c, o.n, o.flags);
	fz_op("select_init", s | o.n << 4 | o.flags << 8, digits);
	o.r = achan_select_init(&L->sel, L->c, o.n, o.flags);
	FZ_EQ_ST(o.r, ACHAN_OK, "select_init");
	S.ls[s] = L;
	fz_wakes[s] = 0;
	step(m_sel_init, &o, 1);
	return 1;
}

/* A finished select: poll answers EINVAL, cancel as it finished; then its
 * memory goes (ASan: nothing may touch it after this). */
static void
sel_finished(unsigned s, int result, size_t index)
{
	struct lsel *L = S.ls[s];
	struct achan_waker w = fz_dead_waker();
	size_t idx = 99;
	int r;

	FZ_EQ_ST(achan_select_poll(&L->sel, &w, &idx), ACHAN_EINVAL,
	    "select poll after finish");
	r = achan_select_cancel(&L->sel, &idx);
	FZ_EQ_ST(r, result == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED,
	    "select cancel after finish");
	if (r == ACHAN_OK && idx != index)
		fz_fail("select cancel after finish: index %zu, finished with "
		    "%zu", idx, index);
	free(L);
	S.ls[s] = NULL;
}

static const char *
m_sel_poll_op(struct world *W, const struct op *o, unsigned b)
{
	struct rsel *q = &W->sel[o->s];
	uint64_t v = 0, id = 0;
	unsigned idx = 0, n = q->n ? q->n : 1;
	int r;

	if (q->phase != RS_FRESH && q->phase != RS_REG)
		return err("select %u: the model has it %s", o->s,
		    q->phase == RS_FREE ? "free" : "finished");
	COUNT(polls);
	/* fresh: the start of the try (b % n) and of the registration
	 * (b / n); registered: the start of the re-poll */
	if (q->phase == RS_FRESH)
		r = m_sel_poll(W, o->s, b % n, b / n, &idx, &v, &id);
	else
		r = m_sel_poll(W, o->s, 0, b, &idx, &v, &id);
	if (r != ACHAN_PENDING)
		q->phase = RS_FREE;
	return cmp("select poll", o, r, 1, idx, v, id);
}

static void
sel_poll(unsigned s, struct fz_in *in)
{
	struct lsel *L;
	struct achan_waker w;
	struct op o;
	unsigned n, nb;

	if (S.ls[s] == NULL && !sel_start(s, in))
		return;
	L = S.ls[s];
	memset(&o, 0, sizeof(o));
	o.s = s;
	fz_op("select_poll", s, 0);
	/* the starts: step 1 (fresh) and the registration or re-poll */
	n = L->n ? L->n : 1;
	nb = starts(L->n, L->flags);
	if (WS[0].sel[s].phase == RS_FRESH && nb > 1)
		nb = n * n;
	w = fz_waker(s);
	o.idx = 99;
	may_free_begin();
	o.r = achan_select_poll(&L->sel, &w, &o.idx);
	may_free_end();
	/* PENDING: no case has completed, nothing written */
	collect(L, &o, "select poll");
	step(m_sel_poll_op, &o, nb);
	if (o.r != ACHAN_PENDING)
		sel_finished(s, o.r, o.idx);
}

static const char *
m_sel_cancel_op(struct world *W, const struct op *o, unsigned b)
{
	uint64_t v = 0, id = 0;
	unsigned idx = 0;
	int r;

	(void)b;
	if (W->sel[o->s].phase == RS_FREE)
		return err("select %u: the model has it free", o->s);
	r = m_sel_cancel(W, o->s, &idx, &v, &id);
	W->sel[o->s].phase = RS_FREE;
	return cmp("select cancel", o, r, 1, idx, v, id);
}

static void
sel_cancel(unsigned s, struct fz_in *in)
{
	struct lsel *L;
	struct op o;

	if (S.ls[s] == NULL && !sel_start(s, in))
		return;
	L = S.ls[s];
	memset(&o, 0, sizeof(o));
	o.s = s;
	fz_op("select_cancel", s, 0);
	o.idx = 99;
	may_free_begin();
	o.r = achan_select_cancel(&L->sel, &o.idx);
	may_free_end();
	/* ACHAN_CANCELLED: no case completed, every destination untouched */
	collect(L, &o, "select cancel");
	step(m_sel_cancel_op, &o, 1);
	sel_finished(s, o.r, o.idx);
}

/* Poll the futures woken so far, in the order they were woken (an event
 * loop running its ready queue). */
static void
run_ready(struct fz_in *in)
{
	unsigned ready[FZ_READY_MAX], n = fz_ready_n, k, s;

	memcpy(ready, fz_ready, n * sizeof(ready[0]));
	fz_ready_n = 0;
	for (k = 0; k < n; k++) {
		s = ready[k];
		if (s < NSEL) {
			if (S.ls[s] != NULL)
				sel_poll(s, in);
		} else if (S.pf[s - NSEL] != NULL) {
			pf_poll(s - NSEL, in);
		}
	}
}

/* From inside a wake: the woken future or select cannot be polled or
 * cancelled there ("ACHAN_EINVAL after it finished, or from inside its own
 * waker"). */
static void
in_wake(unsigned slot)
{
	struct achan_waker w = fz_dead_waker();
	size_t idx = 99;

	if (slot < NSEL) {
		if (S.ls[slot] == NULL)
			fz_fail("select %u woken, but it does not wait", slot);
		FZ_EQ_ST(achan_select_poll(&S.ls[slot]->sel, &w, &idx),
		    ACHAN_EINVAL, "select poll from its own wake");
		FZ_EQ_ST(achan_select_cancel(&S.ls[slot]->sel, &idx),
		    ACHAN_EINVAL, "select cancel from its own wake");
		if (idx != 99)
			fz_fail("select refused from its own wake, but set "
			    "*index");
		return;
	}
	if (S.pf[slot - NSEL] == NULL)
		fz_fail("slot %u woken, but no future is registered there", slot);
	FZ_EQ_ST(lib_pf_poll(slot - NSEL, &w), ACHAN_EINVAL,
	    "future poll from its own wake");
	FZ_EQ_ST(lib_pf_cancel(slot - NSEL), ACHAN_EINVAL,
	    "future cancel from its own wake");
}

/* --- bad arguments ---------------------------------------------------------------- */

/*
 * "Bad input is refused as a whole, before any case is attempted": every
 * call answers ACHAN_EINVAL and nothing changes (step compares the
 * objects with the model, which does nothing).  The cases are a valid
 * list from the input with one thing spoilt, so a ready case must not
 * complete.
 */
static void
bad_args(unsigned arg, struct fz_in *in)
{
	struct timespec bad = { 0, 1000000000L }, dl = fz_past();
	struct achan_waker nowake = { NULL, NULL }, w = fz_dead_waker();
	struct achan_select sel;
	struct achan_chan *other = NULL;
	struct lsel L;
	struct op o;
	unsigned k;
	size_t idx = 99;

	memset(&o, 0, sizeof(o));
	(void)decode_cases(in, o.c, &o.n, &o.flags);
	if (!cases_usable(o.c, o.n))
		return;
	if (o.n == 0)
		o.n = 1;	/* a NONE case */
	k = arg % o.n;
	build(&L, o.c, o.n, o.flags);
	fz_op("bad_args", arg, k);
	switch (arg & 7) {
	case 0:
		L.c[k].kind = 77;	/* an unknown kind */
		break;
	case 1:
		if (o.c[k].kind == ACHAN_SELECT_NONE)
			L.c[k].kind = ACHAN_SELECT_CHAN_RECV;
		L.c[k].obj = NULL;	/* a NULL object */
		break;
	case 2:
		if (S.esz == 0 || o.c[k].kind == ACHAN_SELECT_NONE)
			return;
		/* a NULL value / destination where the plain call needs one
		 * (a state receive's NULL destination only looks: fine) */
		if (o.c[k].kind == ACHAN_SELECT_STATE_RECV)
			return;
		L.c[k].value = NULL;
		L.c[k].out = NULL;
		break;
	case 3:
		/* thread-safe and local objects mixed */
		FZ_EQ_ST(achan_chan_create(&other, S.esz, 1,
		    S.local ? 0 : ACHAN_LOCAL), ACHAN_OK, "create");
		(void)achan_select_case_chan_recv(&L.c[k], other,
		    vbuf(L.out[k]));
		break;
	default:
		break;
	}
	if ((arg & 7) < 3 || ((arg & 7) == 3 &&
	    enabled(o.c, o.n) - (o.c[k].kind != ACHAN_SELECT_NONE) > 0)) {
		FZ_EQ_ST(achan_select_try(L.c, o.n, o.flags, &idx),
		    ACHAN_EINVAL, "select_try with a bad case");
		FZ_EQ_ST(achan_select_until(L.c, o.n, o.flags, &dl, &idx),
		    ACHAN_EINVAL, "select_until with a bad case");
		FZ_EQ_ST(achan_select(L.c, o.n, o.flags, &idx), ACHAN_EINVAL,
		    "select with a bad case");
		FZ_EQ_ST(achan_select_init(&sel, L.c, o.n, o.flags),
		    ACHAN_EINVAL, "select_init with a bad case");
	}
	if (other != NULL)
		FZ_EQ_ST(achan_chan_destroy(other), ACHAN_OK, "destroy");
	if ((arg & 7) >= 4) {
		/* the call itself is bad */
		FZ_EQ_ST(achan_select_try(NULL, 1, 0, &idx), ACHAN_EINVAL,
		    "select_try(NULL cases)");
		FZ_EQ_ST(achan_select_try(L.c, ACHAN_SELECT_MAX_CASES + 1, 0,
		    &idx), ACHAN_EINVAL, "select_try(n > MAX)");
		FZ_EQ_ST(achan_select_try(L.c, o.n, 0x2, &idx), ACHAN_EINVAL,
		    "select_try(unknown flag)");
		FZ_EQ_ST(achan_select_try(L.c, o.n, o.flags, NULL),
		    ACHAN_EINVAL, "select_try(NULL index)");
		FZ_EQ_ST(achan_select(L.c, o.n, o.flags, NULL), ACHAN_EINVAL,
		    "select(NULL index)");
		FZ_EQ_ST(achan_select_until(L.c, o.n, o.flags, NULL, &idx),
		    ACHAN_EINVAL, "select_until(NULL deadline)");
		FZ_EQ_ST(achan_select_until(L.c, o.n, o.flags, &bad, &idx),
		    ACHAN_EINVAL, "select_until(bad deadline)");
		FZ_EQ_ST(achan_select_init(NULL, L.c, o.n, o.flags),
		    ACHAN_EINVAL, "select_init(NULL)");
		FZ_EQ_ST(achan_select_case_none(NULL), ACHAN_EINVAL,
		    "case_none(NULL)");
		/* a select future in use: bad poll and cancel change nothing */
		k = arg % NSEL;
		if (S.ls[k] != NULL) {
			FZ_EQ_ST(achan_select_poll(&S.ls[k]->sel, &nowake, &idx),
			    ACHAN_EINVAL, "select poll with a NULL wake");
			FZ_EQ_ST(achan_select_poll(&S.ls[k]->sel, NULL, &idx),
			    ACHAN_EINVAL, "select poll with a NULL waker");
			FZ_EQ_ST(achan_select_poll(&S.ls[k]->sel, &w, NULL),
			    ACHAN_EINVAL, "select poll with a NULL index");
			FZ_EQ_ST(achan_select_cancel(&S.ls[k]->sel, NULL),
			    ACHAN_EINVAL, "select cancel with a NULL index");
		}
	}
	if (idx != 99)
		fz_fail("bad_args: a refused call set *index");
	step(m_nothing, &o, 1);
}

/* --- one input ---------------------------------------------------------------------- */

static void
run_op(unsigned b, struct fz_in *in)
{
	unsigned arg = b >> 4;

	switch (b & 15) {
	case 0: try_send(arg & 1); break;
	case 1: try_recv(arg & 1, in); break;
	case 2: pf_poll(arg % NPF, in); break;
	case 3: pf_cancel(arg % NPF, in); break;
	case 4: do_close(arg & 3); break;
	case 5: do_send(2 + (arg & 1)); break;
	case 6: select_try(in); break;
	case 7: select_block(arg, in); break;
	case 8: case 12: sel_poll(arg % NSEL, in); break;
	case 9: sel_cancel(arg % NSEL, in); break;
	case 11: destroy_busy(arg & 3); break;
	case 13: try_recv(2 + (arg & 1), in); break;
	case 14: bad_args(arg, in); break;
	default: run_ready(in); break;
	}
}

static void
setup(unsigned hdr)
{
	unsigned flags, i;
	int r;

	memset(&S, 0, sizeof(S));
	fz_wakers_reset();
	fz_dtor_n = 0;
	ref_case_woken = case_woken;
	ref_case_claim = case_claim;
	S.local = hdr & 1;
	S.cap[0] = ((hdr >> 1) & 7) % 5;
	S.cap[1] = (hdr >> 7) & 1 ? 0 : S.cap[0];
	S.bcast = (hdr >> 4) & 1;
	S.esz = fz_elem_size(hdr >> 5);
	fz_dtor_esz = S.esz;
	flags = S.local ? ACHAN_LOCAL : 0;
	nws = 1;
	dropped_here = 0;
	memset(&WS[0], 0, sizeof(WS[0]));
	ref_chan_init(&WS[0].ch[0], S.cap[0], 0);
	ref_chan_init(&WS[0].ch[1], S.cap[1], 0);
	ref_once_init(&WS[0].o, S.bcast, 0);
	ref_state_init(&WS[0].t, 0, 0);
	fz_op("setup", hdr, S.cap[0] | S.cap[1] << 4);
	for (i = 0; i < 2; i++) {
		FZ_EQ_ST(achan_chan_create(&S.ch[i], S.esz, S.cap[i], flags),
		    ACHAN_OK, "chan create");
		FZ_EQ_ST(achan_chan_set_elem_dtor(S.ch[i], fz_dtor, fz_dtor_log),
		    ACHAN_OK, "set_elem_dtor");
	}
	if (S.bcast) {
		FZ_EQ_ST(achan_bcast_create(&S.bc, S.esz, flags), ACHAN_OK,
		    "bcast create");
		r = achan_bcast_set_elem_dtor(S.bc, fz_dtor, fz_dtor_log);
	} else {
		FZ_EQ_ST(achan_oneshot_create(&S.os, S.esz, flags), ACHAN_OK,
		    "oneshot create");
		r = achan_oneshot_set_elem_dtor(S.os, fz_dtor, fz_dtor_log);
	}
	FZ_EQ_ST(r, ACHAN_OK, "set_elem_dtor");
	FZ_EQ_ST(achan_state_create(&S.st, S.esz, flags), ACHAN_OK,
	    "state create");
}

/* Cancel every select and future, then destroy the objects (the
 * destructor runs on what is left in them). */
static void
teardown(void)
{
	struct op o;
	unsigned i;

	for (i = 0; i < NSEL; i++)
		if (S.ls[i] != NULL)
			sel_cancel(i, NULL);
	for (i = 0; i < NPF; i++)
		if (S.pf[i] != NULL)
			pf_cancel(i, NULL);
	for (i = 0; i < 4; i++) {
		if (S.gone[i])
			continue;
		memset(&o, 0, sizeof(o));
		o.obj = i;
		fz_op("destroy", i, 0);
		o.r = lib_destroy(i);
		FZ_EQ_ST(o.r, ACHAN_OK, "destroy");
		S.gone[i] = 1;
		step(m_destroy, &o, 1);
	}
}

static void
barrier_at_exit(void)
{
	rcu_barrier();
	fprintf(stderr, "achan-fuzz: select: at most %u candidate states at "
	    "once, %llu dropped\n", max_worlds, (unsigned long long)dropped);
	fprintf(stderr, "achan-fuzz: select: %llu select_try, %llu blocking, "
	    "%llu futures (%llu polls: %llu PENDING, %llu won by their first "
	    "look, %llu by a re-poll, %llu completed by another operation; "
	    "cancels: %llu after a completion, %llu of a waiting select), "
	    "%llu selects over a closed object; claims: %llu won by another "
	    "operation, %llu losing cases dropped, %llu skipped while polled; "
	    "%llu select wakes; %llu EBUSY\n", (unsigned long long)C.try_,
	    (unsigned long long)C.block, (unsigned long long)C.init,
	    (unsigned long long)C.polls, (unsigned long long)C.pending,
	    (unsigned long long)C.first, (unsigned long long)C.own,
	    (unsigned long long)C.server,
	    (unsigned long long)C.server_cancel,
	    (unsigned long long)C.cancelled, (unsigned long long)C.closed,
	    (unsigned long long)C.won, (unsigned long long)C.lost,
	    (unsigned long long)C.skipped, (unsigned long long)C.wakes,
	    (unsigned long long)C.ebusy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fz_target target = {
		"select", barrier_at_exit, setup, run_op, teardown, in_wake
	};

	return fz_run(&target, data, size);
}
