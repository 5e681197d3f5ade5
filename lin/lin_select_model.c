/*
 * lin/lin_select_model.c - the sequential model of two channels, A and B,
 * and selects over them (lin_model_select; lin/README.md, "Select").
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A select completes exactly one case, as its plain call would: a send
 * case on A as try_send / a send future's poll, a receive case as
 * try_recv.  Where no case is ready a select future registers: its send
 * case joins A's FIFO of waiting senders, as a send future does (a receive
 * that frees room serves the oldest: the select completes with case 0 and
 * leaves every other queue); its receive case on an unbuffered B joins B's
 * FIFO of waiting receivers (a try_send on B meets the oldest: case 1,
 * with that value).  Receive cases on bounded channels reserve nothing
 * (wakeups are hints): only the select's own polls complete them.  A close
 * fails what waits on its channel (the entries stay, as in the channel
 * model, until the owner's poll or cancel takes them out); it completes
 * nothing.
 *
 * While the owner polls its select, servers skip its cases (select_claim.h,
 * BUSY) and set MISSED, so that the owner looks again: a receive that frees
 * room may then serve a sender queued behind the select's send case, and a
 * try_send on B may meet a receiver behind its receive case.  The model
 * marks the owner "polling" from the operation's LIN_SEL_REG (first poll,
 * blocking select: the registration, at a point of the checker's choice
 * inside the interval) or LIN_SEL_BEGIN (re-poll) step to its own step;
 * while it is, every server may pass over its cases or complete them (the
 * model's next states are both: the library's poll holds BUSY for a part
 * of that interval, and a blocking select polls more than once).  A select
 * answering PENDING must not be able to take room in A itself (its send
 * case would): A is full at its own step, or (LIN_SEL_LOOKS) A was closed
 * after a look at its send case that found A full, and no server passed
 * over it with room since that look (MISSED would have made the owner
 * look again; a close sets no MISSED).
 *
 * PENDING and EMPTY: strict, no case is ready at the operation's point;
 * with LIN_SEL_LOOKS, each case was found not ready at a point of its own
 * inside the interval (LIN_SEL_LOOK), as the library looks at the cases
 * one after the other without a lock over all of them.  LIN_SEL_FIFO
 * takes the passing over away (stricter than the library: to count the
 * histories that need it).
 *
 * State word (fields from bit 0): A closed (1), A's length (1 bit at
 * capacity 1, else 2), A's buffer (6-bit tags, oldest first), the number
 * of A's waiting senders (3 bits; 2 with B unbuffered), their tags (4
 * fields; 3), B closed (1); B bounded: its length (1) and tag (6); B
 * unbuffered: the number of its waiting receivers (2) and 3 entries of
 * thread (2) and the value a sender put in (6, 0 while it waits); then a
 * "polling" bit and a "missed" bit per thread (4 + 4).  A waiting sender's
 * tag v belongs to thread v & 3 (the harness numbers them so): the select
 * of that thread, or its send future.  Unused fields are 0.
 */
#include <stdio.h>
#include <string.h>

#include <achan.h>

#include "lin.h"
#include "../t/tap.h"

#define SM_MAX_CAP 2
#define SM_MAX_W 4

struct sm {
	unsigned acl, alen, anw;
	uint8_t abuf[SM_MAX_CAP], aw[SM_MAX_W];
	unsigned bcl, blen, bnr;
	uint8_t bbuf;
	uint8_t bthr[SM_MAX_W], bgot[SM_MAX_W];
	unsigned poll, missed;	/* bit t: thread t */
};

/* --- the state word ------------------------------------------------------- */

struct bits {
	uint64_t w;
	unsigned at;
};

static void
put(struct bits *b, unsigned v, unsigned width)
{
	b->w |= (uint64_t)v << b->at;
	b->at += width;
}

static unsigned
get(struct bits *b, unsigned width)
{
	unsigned v = (unsigned)(b->w >> b->at) & ((1u << width) - 1u);

	b->at += width;
	return v;
}

static int
unbuf(const struct lin_model *m)
{
	return m->cap_b == 0;
}

/* the most waiting senders on A (and receivers on B), and their count's
 * width */
static unsigned
max_w(const struct lin_model *m)
{
	return unbuf(m) ? 3 : 4;
}

static unsigned
cnt_w(const struct lin_model *m)
{
	return unbuf(m) ? 2 : 3;
}

static unsigned
len_w(const struct lin_model *m)
{
	return m->cap > 1 ? 2 : 1;
}

static void
sm_dec(const struct lin_model *m, uint64_t s, struct sm *c)
{
	struct bits b = { s, 0 };
	unsigned i;

	memset(c, 0, sizeof(*c));
	c->acl = get(&b, 1);
	c->alen = get(&b, len_w(m));
	for (i = 0; i < m->cap; i++)
		c->abuf[i] = (uint8_t)get(&b, 6);
	c->anw = get(&b, cnt_w(m));
	for (i = 0; i < max_w(m); i++)
		c->aw[i] = (uint8_t)get(&b, 6);
	c->bcl = get(&b, 1);
	if (!unbuf(m)) {
		c->blen = get(&b, 1);
		c->bbuf = (uint8_t)get(&b, 6);
	} else {
		c->bnr = get(&b, cnt_w(m));
		for (i = 0; i < max_w(m); i++) {
			c->bthr[i] = (uint8_t)get(&b, 2);
			c->bgot[i] = (uint8_t)get(&b, 6);
		}
	}
	c->poll = get(&b, 4);
	c->missed = get(&b, 4);
}

static uint64_t
sm_enc(const struct lin_model *m, const struct sm *c)
{
	struct bits b = { 0, 0 };
	unsigned i;

	/* the harness keeps histories within these: beyond them is a
	 * harness error, not a verdict */
	if (c->anw > max_w(m) || c->bnr > max_w(m))
		bail_out("select model: %u waiting senders on A, %u waiting "
		    "receivers on B do not fit the state word", c->anw, c->bnr);
	put(&b, c->acl, 1);
	put(&b, c->alen, len_w(m));
	for (i = 0; i < m->cap; i++)
		put(&b, i < c->alen ? c->abuf[i] : 0, 6);
	put(&b, c->anw, cnt_w(m));
	for (i = 0; i < max_w(m); i++)
		put(&b, i < c->anw ? c->aw[i] : 0, 6);
	put(&b, c->bcl, 1);
	if (!unbuf(m)) {
		put(&b, c->blen, 1);
		put(&b, c->blen ? c->bbuf : 0, 6);
	} else {
		put(&b, c->bnr, cnt_w(m));
		for (i = 0; i < max_w(m); i++) {
			put(&b, i < c->bnr ? c->bthr[i] : 0, 2);
			put(&b, i < c->bnr ? c->bgot[i] : 0, 6);
		}
	}
	put(&b, c->poll, 4);
	put(&b, c->missed, 4);
	return b.w;
}

uint64_t
lin_select_state(const struct lin_model *m, unsigned alen,
    const uint64_t *atags, unsigned blen, uint64_t btag)
{
	struct sm c;

	memset(&c, 0, sizeof(c));
	c.alen = alen;
	for (unsigned i = 0; i < alen; i++)
		c.abuf[i] = (uint8_t)(atags[i] & 63u);
	c.blen = unbuf(m) ? 0 : blen;
	c.bbuf = (uint8_t)(btag & 63u);
	return sm_enc(m, &c);
}

/* --- queues --------------------------------------------------------------- */

static unsigned
owner(unsigned tag)
{
	return tag & 3u;
}

static int
polling(const struct sm *c, unsigned t)
{
	return (int)(c->poll >> t & 1u);
}

/* May a server pass over thread t's select (its owner is polling it)? */
static int
passable(const struct lin_model *m, const struct sm *c, unsigned t)
{
	return !(m->split_select & LIN_SEL_FIFO) && polling(c, t);
}

/* A's waiting sender of value tag, or -1 */
static int
find_a(const struct sm *c, unsigned tag)
{
	for (unsigned j = 0; j < c->anw; j++)
		if (c->aw[j] == tag)
			return (int)j;
	return -1;
}

/* B's waiting receiver of thread t's select, or -1 */
static int
find_b(const struct sm *c, unsigned t)
{
	for (unsigned j = 0; j < c->bnr; j++)
		if (c->bthr[j] == t)
			return (int)j;
	return -1;
}

static void
del_a(struct sm *c, int j)
{
	if (j < 0)
		return;
	memmove(c->aw + j, c->aw + j + 1, c->anw - (unsigned)j - 1);
	c->aw[--c->anw] = 0;
}

static void
del_b(struct sm *c, int j)
{
	if (j < 0)
		return;
	memmove(c->bthr + j, c->bthr + j + 1, c->bnr - (unsigned)j - 1);
	memmove(c->bgot + j, c->bgot + j + 1, c->bnr - (unsigned)j - 1);
	c->bnr--;
	c->bthr[c->bnr] = c->bgot[c->bnr] = 0;
}

static void
push_a(struct sm *c, unsigned tag)
{
	c->abuf[c->alen++] = (uint8_t)tag;
}

static void
pop_a(struct sm *c)
{
	memmove(c->abuf, c->abuf + 1, --c->alen);
	c->abuf[c->alen] = 0;
}

/* Waiting sender j's value moves into A: it is complete, and if it is a
 * select's send case, the select is - its receive case on B leaves. */
static void
serve_entry(const struct lin_model *m, struct sm *c, unsigned j)
{
	unsigned tag = c->aw[j];

	push_a(c, tag);
	del_a(c, (int)j);
	if (unbuf(m))
		del_b(c, find_b(c, owner(tag)));
}

/*
 * A receive (or a close) freed room: the oldest waiting senders' values
 * move in while there is room.  One whose owner is polling its select may
 * be passed over (it then missed room) or served: every outcome goes to
 * res.
 */
static void
serve_rec(const struct lin_model *m, struct sm c, unsigned i, struct sm *res,
    int *n)
{
	while (!c.acl && c.alen < m->cap && i < c.anw) {
		unsigned t = owner(c.aw[i]);

		if (passable(m, &c, t)) {
			struct sm d = c;

			serve_entry(m, &d, i);
			serve_rec(m, d, i, res, n);
			c.missed |= 1u << t;
			i++;
			continue;
		}
		serve_entry(m, &c, i);
	}
	if (*n >= LIN_MAX_SUCC)
		bail_out("select model: too many next states");
	res[(*n)++] = c;
}

static int
serve(const struct lin_model *m, const struct sm *c, struct sm *res)
{
	int n = 0;

	serve_rec(m, *c, 0, res, &n);
	return n;
}

/* Waiting sender j serves the queue itself (its poll): its value goes in;
 * the polling ones it passes with room there miss it. */
static void
self_push(const struct lin_model *m, struct sm *c, unsigned j)
{
	unsigned k;

	for (k = 0; k < j; k++)
		if (polling(c, owner(c->aw[k])))
			c->missed |= 1u << owner(c->aw[k]);
	serve_entry(m, c, j);
	for (k = j; k < c->anw && c->alen < m->cap; k++)
		if (polling(c, owner(c->aw[k])))
			c->missed |= 1u << owner(c->aw[k]);
}

/* A try_send on an unbuffered B met waiting receiver j: thread t's select
 * completes with case 1 and value tag; its send case on A leaves. */
static void
meet_b(struct sm *c, unsigned j, unsigned tag)
{
	unsigned t = c->bthr[j];

	c->bgot[j] = (uint8_t)tag;
	for (unsigned k = 0; k < c->anw; k++)
		if (owner(c->aw[k]) == t) {
			del_a(c, (int)k);
			break;
		}
}

/* --- next states ---------------------------------------------------------- */

struct out {
	const struct lin_model *m;
	uint64_t *next;
	int n;
};

static void
add(struct out *o, const struct sm *c)
{
	uint64_t e = sm_enc(o->m, c);

	for (int i = 0; i < o->n; i++)
		if (o->next[i] == e)
			return;
	if (o->n >= LIN_MAX_SUCC)
		bail_out("select model: too many next states");
	o->next[o->n++] = e;
}

/* unchanged state, if ok */
static int
same(uint64_t s, uint64_t *next, int ok)
{
	next[0] = s;
	return ok ? 1 : 0;
}

/* Would a plain send of a new value on A go in now (room, nobody
 * waiting)? */
static int
a_free(const struct lin_model *m, const struct sm *c)
{
	return !c->acl && c->alen < m->cap && c->anw == 0;
}

/* try phase (select_try): is case i not ready? */
static int
try_not_ready(const struct lin_model *m, const struct sm *c,
    const struct lin_op *op, unsigned i)
{
	if (i == 1)
		return !c->bcl && (unbuf(m) || c->blen == 0);
	if (op->arg != 0)
		return !c->acl && !a_free(m, c);
	return !c->acl && c->alen == 0;
}

static int
take_a_then_serve(const struct lin_model *m, struct sm *c, struct out *o)
{
	struct sm res[LIN_MAX_SUCC];
	int n;

	pop_a(c);
	n = serve(m, c, res);
	for (int k = 0; k < n; k++)
		add(o, &res[k]);
	return o->n;
}

static int
sel_try(const struct lin_model *m, struct sm *c, const struct lin_op *op,
    struct out *o)
{
	int sr = op->arg != 0;

	if (op->st == ACHAN_EMPTY) {
		if (!(m->split_select & LIN_SEL_LOOKS) &&
		    !(try_not_ready(m, c, op, 0) &&
		    try_not_ready(m, c, op, 1)))
			return 0;
		add(o, c);
		return o->n;
	}
	if (op->idx == 1) {
		if (op->st == ACHAN_CLOSED) {
			if (!c->bcl || (!unbuf(m) && c->blen > 0))
				return 0;
		} else if (op->st == ACHAN_OK) {
			if (unbuf(m) || c->blen == 0 || op->val != c->bbuf)
				return 0;
			c->blen = 0;
			c->bbuf = 0;
		} else {
			return 0;
		}
		add(o, c);
		return o->n;
	}
	if (op->idx != 0)
		return 0;
	if (op->st == ACHAN_CLOSED) {
		if (!c->acl || (!sr && c->alen > 0))
			return 0;
		add(o, c);
		return o->n;
	}
	if (op->st != ACHAN_OK)
		return 0;
	if (sr) {
		if (!a_free(m, c))
			return 0;
		push_a(c, (unsigned)(op->arg & 63u));
		add(o, c);
		return o->n;
	}
	if (c->alen == 0 || op->val != c->abuf[0])
		return 0;
	return take_a_then_serve(m, c, o);
}

/*
 * The select's own step (blocking, first poll, re-poll), after its
 * registration (LIN_SEL_REG: its queue entries exist, unless a server
 * completed it since) and, weak model, its looks.
 */
static int
sel_end(const struct lin_model *m, struct sm *c, const struct lin_op *op,
    struct out *o)
{
	unsigned t = op->thread, bit = 1u << op->thread;
	unsigned missed = c->missed & bit;
	int sr = op->arg != 0, st = op->st;
	int weak = (m->split_select & LIN_SEL_LOOKS) != 0;
	int ja = sr ? find_a(c, (unsigned)(op->arg & 63u)) : -1;
	int jb = unbuf(m) ? find_b(c, t) : -1;

	c->poll &= ~bit;
	c->missed &= ~bit;
	if (jb >= 0 && c->bgot[jb] != 0) {
		/* a try_send on B met its receive case: case 1 won */
		if (st != ACHAN_OK || op->idx != 1 || op->val != c->bgot[jb])
			return 0;
		del_b(c, jb);
		add(o, c);
		return o->n;
	}
	if (sr && ja < 0) {
		/* a receive served its send case: case 0 won */
		if (st != ACHAN_OK || op->idx != 0)
			return 0;
		del_b(c, jb);
		add(o, c);
		return o->n;
	}
	if (st == ACHAN_PENDING) {
		if (op->code == LIN_SEL)
			return 0;
		/* its send case would take room; strict: at this point A
		 * is full; weak: or it was, at a look after the last time
		 * room passed it by, and A was closed since */
		if (sr && (c->acl ? (!weak || missed) : c->alen < m->cap))
			return 0;
		if (!weak && ((!sr && (c->acl || c->alen > 0)) ||
		    c->bcl || (!unbuf(m) && c->blen > 0)))
			return 0;
		add(o, c);
		return o->n;
	}
	if (op->idx == 1) {
		if (st == ACHAN_CLOSED) {
			if (!c->bcl || (!unbuf(m) && c->blen > 0))
				return 0;
		} else if (st == ACHAN_OK) {
			if (unbuf(m) || c->blen == 0 || op->val != c->bbuf)
				return 0;
			c->blen = 0;
			c->bbuf = 0;
		} else {
			return 0;
		}
		del_a(c, ja);
		del_b(c, jb);
		add(o, c);
		return o->n;
	}
	if (op->idx != 0)
		return 0;
	if (st == ACHAN_CLOSED) {
		if (!c->acl || (!sr && c->alen > 0))
			return 0;
		del_a(c, ja);
		del_b(c, jb);
		add(o, c);
		return o->n;
	}
	if (st != ACHAN_OK)
		return 0;
	del_b(c, jb);
	if (sr) {
		/* its send case takes the room itself (registered: every
		 * older sender still waiting is being polled) */
		if (c->acl || c->alen >= m->cap)
			return 0;
		self_push(m, c, (unsigned)ja);
		add(o, c);
		return o->n;
	}
	if (c->alen == 0 || op->val != c->abuf[0])
		return 0;
	return take_a_then_serve(m, c, o);
}

static void sel_show(const struct lin_model *m, uint64_t s, char *buf,
    size_t len);

/* More waiters than the state word holds: the harness broke its limits
 * (one waiting future per thread; 3 with B unbuffered). */
static _Noreturn void
queue_full(const struct lin_model *m, uint64_t s, const struct lin_op *op)
{
	char b[256];

	sel_show(m, s, b, sizeof(b));
	bail_out("select model: no room in the state word for T%u's %s (%s)",
	    op->thread, lin_opname(op->code == LIN_SEL_REG ? op->of :
	    op->code), b);
}

static int
sel_succ(const struct lin_model *m, uint64_t s, const struct lin_op *op,
    uint64_t *next)
{
	struct sm c, res[LIN_MAX_SUCC];
	struct out o = { m, next, 0 };
	unsigned t = op->thread, tag = (unsigned)(op->arg & 63u);
	int sr = op->arg != 0, st = op->st, ja, jb, n, k, ok;

	sm_dec(m, s, &c);
	switch (op->code) {
	case LIN_TRY_SEND:
		if (op->obj == 0) {
			if (c.acl)
				return same(s, next, st == ACHAN_CLOSED);
			if (!a_free(m, &c))
				return same(s, next, st == ACHAN_FULL);
			if (st != ACHAN_OK)
				return 0;
			push_a(&c, tag);
			add(&o, &c);
			return o.n;
		}
		if (c.bcl)
			return same(s, next, st == ACHAN_CLOSED);
		if (!unbuf(m)) {
			if (c.blen > 0)
				return same(s, next, st == ACHAN_FULL);
			if (st != ACHAN_OK)
				return 0;
			c.blen = 1;
			c.bbuf = (uint8_t)tag;
			add(&o, &c);
			return o.n;
		}
		/* unbuffered: meet the oldest waiting receiver, passing over
		 * those whose owner is polling (or not) */
		if (st != ACHAN_OK && st != ACHAN_FULL)
			return 0;
		for (unsigned j = 0; j < c.bnr; j++) {
			struct sm d = c;

			if (c.bgot[j] != 0)
				continue;	/* met already */
			if (st == ACHAN_OK) {
				meet_b(&d, j, tag);
				add(&o, &d);
			}
			if (!passable(m, &c, c.bthr[j]))
				return o.n;	/* it had to meet this one */
		}
		if (st == ACHAN_FULL)
			add(&o, &c);
		return o.n;
	case LIN_TRY_RECV:
		if (op->obj == 0) {
			if (c.alen > 0) {
				if (st != ACHAN_OK || op->val != c.abuf[0])
					return 0;
				return take_a_then_serve(m, &c, &o);
			}
			return same(s, next, st ==
			    (c.acl ? ACHAN_CLOSED : ACHAN_EMPTY));
		}
		if (!unbuf(m) && c.blen > 0) {
			if (st != ACHAN_OK || op->val != c.bbuf)
				return 0;
			c.blen = 0;
			c.bbuf = 0;
			add(&o, &c);
			return o.n;
		}
		/* (nothing ever waits to send on B) */
		return same(s, next, st == (c.bcl ? ACHAN_CLOSED : ACHAN_EMPTY));
	case LIN_CLOSE:
		if (op->obj == 1) {
			ok = st == (c.bcl ? ACHAN_ALREADY_CLOSED :
			    ACHAN_NEWLY_CLOSED);
			c.bcl = 1;
			if (ok)
				add(&o, &c);
			return o.n;
		}
		if (st != (c.acl ? ACHAN_ALREADY_CLOSED : ACHAN_NEWLY_CLOSED))
			return 0;
		/* room freed before the close goes to the waiting senders
		 * first (chan_close) */
		n = serve(m, &c, res);
		for (k = 0; k < n; k++) {
			res[k].acl = 1;
			add(&o, &res[k]);
		}
		return o.n;
	case LIN_SEND_POLL:
		if (c.acl)
			return same(s, next, st == ACHAN_CLOSED);
		if (st == ACHAN_OK && a_free(m, &c)) {
			push_a(&c, tag);
			add(&o, &c);
			return o.n;
		}
		if (a_free(m, &c) || (st != ACHAN_PENDING &&
		    !(st == ACHAN_OK && (op->flags & LIN_F_MAY_WAIT))))
			return 0;
		/* registers, then serves the queue itself included (senders
		 * ahead of it with room there are being polled) */
		if (c.anw >= max_w(m))
			queue_full(m, s, op);
		c.aw[c.anw++] = (uint8_t)tag;
		n = serve(m, &c, res);
		for (k = 0; k < n; k++)
			if (st == ACHAN_OK || find_a(&res[k], tag) >= 0)
				add(&o, &res[k]);
		return o.n;
	case LIN_SEND_REPOLL:
		if ((ja = find_a(&c, tag)) < 0)
			return same(s, next, st == ACHAN_OK);	/* served */
		if (c.acl) {
			if (st != ACHAN_CLOSED)
				return 0;
			del_a(&c, ja);
		} else if (c.alen < m->cap) {
			if (st != ACHAN_OK)
				return 0;
			self_push(m, &c, (unsigned)ja);
		} else {
			return same(s, next, st == ACHAN_PENDING);
		}
		add(&o, &c);
		return o.n;
	case LIN_SEND_CANCEL:
		if ((ja = find_a(&c, tag)) < 0)
			return same(s, next, st == ACHAN_OK);	/* served */
		if (st != ACHAN_CANCELLED)
			return 0;
		del_a(&c, ja);
		add(&o, &c);
		return o.n;
	case LIN_SENT:
		return same(s, next, find_a(&c, tag) < 0);
	case LIN_SEL_REG:
		c.poll |= 1u << t;
		c.missed &= ~(1u << t);
		if (sr) {
			if (c.anw >= max_w(m))
				queue_full(m, s, op);
			c.aw[c.anw++] = (uint8_t)tag;
		}
		if (unbuf(m)) {
			if (c.bnr >= max_w(m))
				queue_full(m, s, op);
			c.bthr[c.bnr] = (uint8_t)t;
			c.bgot[c.bnr++] = 0;
		}
		add(&o, &c);
		return o.n;
	case LIN_SEL_BEGIN:
		c.poll |= 1u << t;
		c.missed &= ~(1u << t);
		add(&o, &c);
		return o.n;
	case LIN_SEL_LOOK:
		if (op->of == LIN_SEL_TRY)
			return same(s, next, try_not_ready(m, &c, op, op->idx));
		if (op->idx == 1)
			return same(s, next, !c.bcl &&
			    (unbuf(m) || c.blen == 0));
		if (!sr)
			return same(s, next, !c.acl && c.alen == 0);
		/* its send case, waiting, found A full: a look */
		if (find_a(&c, tag) < 0 || c.acl || c.alen < m->cap)
			return 0;
		c.missed &= ~(1u << t);
		add(&o, &c);
		return o.n;
	case LIN_SEL_TRY:
		return sel_try(m, &c, op, &o);
	case LIN_SEL:
	case LIN_SEL_POLL:
	case LIN_SEL_REPOLL:
		return sel_end(m, &c, op, &o);
	case LIN_SEL_CANCEL:
		ja = sr ? find_a(&c, tag) : -1;
		jb = unbuf(m) ? find_b(&c, t) : -1;
		if (jb >= 0 && c.bgot[jb] != 0) {
			if (st != ACHAN_OK || op->idx != 1 ||
			    op->val != c.bgot[jb])
				return 0;
		} else if (sr && ja < 0) {
			if (st != ACHAN_OK || op->idx != 0)
				return 0;	/* served: case 0 completed */
		} else if (st != ACHAN_CANCELLED) {
			return 0;
		}
		del_a(&c, ja);
		del_b(&c, jb);
		add(&o, &c);
		return o.n;
	}
	return 0;
}

/*
 * Operations that leave the state as it is wherever they are accepted
 * (with their recorded result): the search takes them eagerly.  So is the
 * start of a re-poll's polling (LIN_SEL_BEGIN), which only widens what may
 * follow: while polling, a server may pass over the select's cases or
 * complete them, as it would have without it; it also clears the missed
 * bit, which a pass-over may set again, but only a look after it (which
 * comes after the step in any order) or the select's own step reads it.
 */
static int
sel_pure(const struct lin_model *m, const struct lin_op *op)
{
	(void)m;
	switch (op->code) {
	case LIN_SENT:
	case LIN_SEL_BEGIN:
		return 1;
	case LIN_SEL_LOOK:
		/* a look at a waiting send case ends a pass-over (missed) */
		return op->of == LIN_SEL_TRY || op->idx == 1 || op->arg == 0;
	case LIN_TRY_SEND:
		return op->st == ACHAN_FULL || op->st == ACHAN_CLOSED;
	case LIN_TRY_RECV:
		return op->st == ACHAN_EMPTY || op->st == ACHAN_CLOSED;
	case LIN_CLOSE:
		return op->st == ACHAN_ALREADY_CLOSED;
	case LIN_SEL_TRY:
		return op->st == ACHAN_EMPTY || op->st == ACHAN_CLOSED;
	case LIN_SEND_POLL:
		return op->st == ACHAN_CLOSED;
	case LIN_SEND_REPOLL:
		return op->st == ACHAN_PENDING;
	}
	return 0;
}

static int
sel_step(const struct lin_model *m, uint64_t s, const struct lin_op *op,
    uint64_t *next)
{
	uint64_t all[LIN_MAX_SUCC];

	if (sel_succ(m, s, op, all) < 1)
		return 0;
	*next = all[0];
	return 1;
}

static void
sel_show(const struct lin_model *m, uint64_t s, char *buf, size_t len)
{
	struct sm c;
	size_t o = 0;
	unsigned i;

#define OUT(...) do { if (o < len) \
	o += (size_t)snprintf(buf + o, len - o, __VA_ARGS__); } while (0)
	sm_dec(m, s, &c);
	OUT("A %s [", c.acl ? "closed" : "open");
	for (i = 0; i < c.alen; i++)
		OUT("%s%u", i ? " " : "", c.abuf[i]);
	OUT("]");
	if (c.anw > 0) {
		OUT(", senders %s", c.acl ? "failed" : "waiting");
		for (i = 0; i < c.anw; i++)
			OUT(" %u%s", c.aw[i], polling(&c, owner(c.aw[i])) ?
			    "(polling)" : "");
	}
	OUT("; B %s", c.bcl ? "closed" : "open");
	if (!unbuf(m)) {
		if (c.blen)
			OUT(" [%u]", c.bbuf);
		else
			OUT(" []");
	} else if (c.bnr > 0) {
		OUT(", receivers");
		for (i = 0; i < c.bnr; i++) {
			OUT(" T%u", c.bthr[i]);
			if (c.bgot[i])
				OUT(" got %u", c.bgot[i]);
			else if (polling(&c, c.bthr[i]))
				OUT("(polling)");
		}
	}
	if (c.missed)
		OUT("; missed room: threads 0x%x", c.missed);
#undef OUT
}

void
lin_model_select(struct lin_model *m, unsigned cap, unsigned cap_b,
    unsigned flags)
{
	static const char *const names[] = {
		"two channels with select (one point per EMPTY / PENDING)",
		"two channels with select",
		"two channels with select (one point per EMPTY / PENDING, "
		    "strict FIFO)",
		"two channels with select (strict FIFO)",
	};

	memset(m, 0, sizeof(*m));
	if (cap < 1 || cap > SM_MAX_CAP || cap_b > 1 || (cap_b == 0 && cap != 1))
		bail_out("lin_model_select: capacities %u and %u", cap, cap_b);
	m->name = names[(flags & (LIN_SEL_LOOKS | LIN_SEL_FIFO)) >> 1];
	m->cap = cap;
	m->cap_b = cap_b;
	m->step = sel_step;
	m->succ = sel_succ;
	m->pure = sel_pure;
	m->show = sel_show;
	m->split_poll = 1;
	m->split_select = 1 | (int)(flags & (LIN_SEL_LOOKS | LIN_SEL_FIFO));
}
