/*
 * lin/lin_check.c - the linearizability checker and the sequential models
 * of achan's kinds.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The search (Wing & Gong, with Lowe's memoisation, "Testing for
 * linearizability", 2017): a configuration is (set of operations
 * linearised so far, model state).  From a configuration, any operation
 * not yet linearised whose invocation comes before the earliest response
 * among those not yet linearised may go next - every other operation
 * responded after it, so no real-time order is broken - provided the
 * model accepts its recorded result.  A configuration from which no
 * complete order exists is remembered and never explored again.  With at
 * most LIN_MAX_OPS operations and small model states this is a few hundred
 * steps per history.
 */
#include <stdio.h>
#include <string.h>

#include <achan.h>

#include "lin.h"
#include "../t/tap.h"

/* --- names ---------------------------------------------------------------- */

static const char *const op_names[LIN_SEL_LOOK + 1] = {
	"try_send", "send", "send_until", "try_recv", "recv", "recv_until",
	"close", "send_poll", "send_repoll", "send_cancel", "recv_poll",
	"recv_repoll", "recv_cancel", "sel_try", "select", "sel_poll",
	"sel_repoll", "sel_cancel", "(publish)", "(free room)", "(serve)",
	"(sent)", "(register)", "(polling)", "(look)"
};

const char *
lin_opname(int code)
{
	return code >= 0 && code <= LIN_SEL_LOOK ? op_names[code] : "?";
}

const char *
lin_stname(int st)
{
	switch (st) {
	case ACHAN_OK: return "OK";
	case ACHAN_PENDING: return "PENDING";
	case ACHAN_CLOSED: return "CLOSED";
	case ACHAN_FULL: return "FULL";
	case ACHAN_EMPTY: return "EMPTY";
	case ACHAN_TIMEDOUT: return "TIMEDOUT";
	case ACHAN_EINVAL: return "EINVAL";
	case ACHAN_EBUSY: return "EBUSY";
	case ACHAN_EDEADLK: return "EDEADLK";
	case ACHAN_ENOMEM: return "ENOMEM";
	case ACHAN_NEWLY_CLOSED: return "NEWLY_CLOSED";
	case ACHAN_ALREADY_CLOSED: return "ALREADY_CLOSED";
	case ACHAN_CANCELLED: return "CANCELLED";
	default: return "?";
	}
}

static int
is_send(int code)
{
	return code == LIN_TRY_SEND || code == LIN_SEND || code == LIN_SEND_UNTIL;
}

static int
is_recv(int code)
{
	return code == LIN_TRY_RECV || code == LIN_RECV || code == LIN_RECV_UNTIL;
}

static int
is_send_future(int code)
{
	return code == LIN_SEND_POLL || code == LIN_SEND_REPOLL ||
	    code == LIN_SEND_CANCEL;
}

static int
is_recv_future(int code)
{
	return code == LIN_RECV_POLL || code == LIN_RECV_REPOLL ||
	    code == LIN_RECV_CANCEL;
}

static int
is_select(int code)
{
	return code >= LIN_SEL_TRY && code <= LIN_SEL_CANCEL;
}

/* Operations that take a value when they answer OK. */
static int
takes_value(int code)
{
	return is_recv(code) || is_recv_future(code);
}

/* --- bounded channel ---------------------------------------------------------
 * State: bit 0 closed, bits 1-4 the number of values buffered, bits 5-7 the
 * number of waiting senders, then 6 bits per tag from bit 8: the buffer,
 * oldest first, in cap fields, then the waiting senders, oldest first.
 * Unused fields are 0, so each state has one encoding.
 *
 * Sends need room and no waiting sender (blocking: they cannot linearise
 * otherwise; timed: TIMEDOUT only then, and open); a send-future poll that
 * finds none registers (PENDING: appended to the waiting senders).  A
 * receive takes the oldest value and, while open, moves the oldest waiting
 * sender's value into the slot it freed, at the same step: that sender is
 * complete.  Receives need a value (TIMEDOUT / EMPTY / PENDING only while
 * empty and open), CLOSED only once closed and empty.  A send future's
 * re-poll answers OK once it is no longer waiting (served), PENDING while
 * it waits, CLOSED once the channel is closed while it waited (close leaves
 * the failed senders in the list: nothing is added after a close, and each
 * is removed by its owner's re-poll or cancel).  The owner's operations are
 * ordered in real time, so a re-poll or cancel is linearised after the poll
 * that registered the future: "not in the list" means served.
 *
 * A first poll answering OK may have waited inside its interval, as a
 * blocking send does (split_poll; the library's poll registers, then serves
 * the queue with its lock dropped while a receive vacates the slot at the
 * tail, and others may register behind it or serve it meanwhile): flagged
 * LIN_F_MAY_WAIT, it sends at once where it could (room, nobody waiting),
 * and elsewhere registers exactly as a PENDING poll does; its LIN_SENT step,
 * linearised after it and before its response, accepts only once its value
 * is no longer waiting.  The choice is forced by the state (the strict
 * model: room and nobody waiting, or not), so the step stays a function.
 * A poll answering CLOSED needs no such split: had it registered and been
 * failed by a close inside its interval, each receive in between served a
 * sender ahead of it (one more would have served it), so the buffer stayed
 * full and nobody behind it was served: without it every other operation
 * answers the same, and the one point just after that close explains the
 * history.  A re-poll is already registered: answering OK at any point
 * after the receive that served it is the same thing.
 */
struct ch {
	unsigned closed, len, nw;
	uint8_t buf[LIN_CHAN_MAX_SLOTS], w[LIN_CHAN_MAX_WAITING + 1];
};

#define CH_LEN(s)	((unsigned)((s) >> 1) & 15u)
#define CH_TAG(s, i)	(((s) >> (8 + 6 * (i))) & 63u)

uint64_t
lin_chan_state(int closed, unsigned len, const uint64_t *tags)
{
	uint64_t s = (closed ? 1u : 0u) | ((uint64_t)len << 1);

	for (unsigned i = 0; i < len; i++)
		s |= (tags[i] & 63u) << (8 + 6 * i);
	return s;
}

static void
ch_dec(const struct lin_model *m, uint64_t s, struct ch *c)
{
	c->closed = (unsigned)(s & 1u);
	c->len = CH_LEN(s);
	c->nw = (unsigned)(s >> 5) & 7u;
	for (unsigned i = 0; i < c->len; i++)
		c->buf[i] = (uint8_t)CH_TAG(s, i);
	for (unsigned j = 0; j < c->nw; j++)
		c->w[j] = (uint8_t)CH_TAG(s, m->cap + j);
}

static uint64_t
ch_enc(const struct lin_model *m, const struct ch *c)
{
	uint64_t s = c->closed | (uint64_t)c->len << 1 | (uint64_t)c->nw << 5;

	/* the harness keeps histories within this (one send future per
	 * thread): a history beyond it is a harness error, not a verdict */
	if (c->nw > LIN_CHAN_MAX_WAITING ||
	    m->cap + c->nw > LIN_CHAN_MAX_SLOTS)
		bail_out("channel model: %u waiting senders do not fit the "
		    "state word (capacity %u)", c->nw, m->cap);
	for (unsigned i = 0; i < c->len; i++)
		s |= (uint64_t)c->buf[i] << (8 + 6 * i);
	for (unsigned j = 0; j < c->nw; j++)
		s |= (uint64_t)c->w[j] << (8 + 6 * (m->cap + j));
	return s;
}

static void
ch_push(struct ch *c, uint64_t tag)
{
	c->buf[c->len++] = (uint8_t)(tag & 63u);
}

static void
ch_pop(struct ch *c)
{
	memmove(c->buf, c->buf + 1, --c->len);
}

/* Index of tag among the waiting senders, or -1. */
static int
ch_waiting(const struct ch *c, uint64_t tag)
{
	for (unsigned j = 0; j < c->nw; j++)
		if (c->w[j] == (tag & 63u))
			return (int)j;
	return -1;
}

static void
ch_unwait(struct ch *c, int j)
{
	memmove(c->w + j, c->w + j + 1, c->nw - (unsigned)j - 1);
	c->nw--;
}

/* The oldest waiting sender's value moves into free room (open only). */
static void
ch_serve(const struct lin_model *m, struct ch *c)
{
	while (!c->closed && c->nw > 0 && c->len < m->cap) {
		ch_push(c, c->w[0]);
		ch_unwait(c, 0);
	}
}

static int
chan_step(const struct lin_model *m, uint64_t s, const struct lin_op *op,
		uint64_t *next)
{
	struct ch c;
	int room, free_now, j, ok = 0;
	/* overtake model: free room may be taken while senders wait */
	int lax = m->split_serve;

	*next = s;
	ch_dec(m, s, &c);
	room = c.len < m->cap;
	free_now = room && (c.nw == 0 || lax);
	switch (op->code) {
	case LIN_TRY_SEND:
	case LIN_SEND:
	case LIN_SEND_UNTIL:
	case LIN_SEND_POLL:
		if (c.closed)
			return op->st == ACHAN_CLOSED;
		if (op->st == ACHAN_OK) {
			if (free_now) {
				ch_push(&c, op->arg);
			} else if (op->flags & LIN_F_MAY_WAIT) {
				/* registers (here a poll may answer
				 * PENDING: no room, or senders wait);
				 * LIN_SENT waits for its serve */
				c.w[c.nw++] = (uint8_t)(op->arg & 63u);
			} else {
				return 0;
			}
			*next = ch_enc(m, &c);
			return 1;
		}
		if (room && c.nw == 0)
			return 0;	/* it had to succeed */
		switch (op->code) {
		case LIN_TRY_SEND:
			return op->st == ACHAN_FULL;
		case LIN_SEND_UNTIL:
			return op->st == ACHAN_TIMEDOUT;
		case LIN_SEND_POLL:
			if (op->st != ACHAN_PENDING)
				return 0;
			c.w[c.nw++] = (uint8_t)(op->arg & 63u);
			*next = ch_enc(m, &c);
			return 1;
		}
		return 0;	/* a blocking send waits */
	case LIN_SEND_REPOLL:
		if ((j = ch_waiting(&c, op->arg)) < 0)
			return op->st == ACHAN_OK;	/* served */
		if (c.closed) {
			ok = op->st == ACHAN_CLOSED;
		} else if (j == 0 && room) {
			/* the oldest may take free room itself (only the
			 * overtake model has room while senders wait) */
			if (op->st == ACHAN_OK)
				ch_push(&c, op->arg);
			ok = op->st == ACHAN_OK || (lax && op->st == ACHAN_PENDING);
		} else {
			return op->st == ACHAN_PENDING;
		}
		if (ok && op->st != ACHAN_PENDING) {
			ch_unwait(&c, j);
			*next = ch_enc(m, &c);
		}
		return ok;
	case LIN_SEND_CANCEL:
		if ((j = ch_waiting(&c, op->arg)) < 0)
			return op->st == ACHAN_OK;	/* it had been served */
		if (op->st != ACHAN_CANCELLED)
			return 0;
		ch_unwait(&c, j);
		*next = ch_enc(m, &c);
		return 1;
	case LIN_TRY_RECV:
	case LIN_RECV:
	case LIN_RECV_UNTIL:
	case LIN_RECV_POLL:
	case LIN_RECV_REPOLL:
		if (c.len > 0) {
			if (op->st != ACHAN_OK || op->val != c.buf[0])
				return 0;
			ch_pop(&c);
			if (!lax)
				ch_serve(m, &c);
			*next = ch_enc(m, &c);
			return 1;
		}
		if (c.closed)
			return op->st == ACHAN_CLOSED;
		switch (op->code) {
		case LIN_TRY_RECV:
			return op->st == ACHAN_EMPTY;
		case LIN_RECV_UNTIL:
			return op->st == ACHAN_TIMEDOUT;
		case LIN_RECV_POLL:
		case LIN_RECV_REPOLL:
			return op->st == ACHAN_PENDING;
		}
		return 0;	/* a blocking receive waits while empty */
	case LIN_RECV_CANCEL:
		/* nothing is ever put into a waiting receive future of a
		 * bounded channel: its wakeups are hints */
		return op->st == ACHAN_CANCELLED;
	case LIN_SERVE:
		ch_serve(m, &c);
		*next = ch_enc(m, &c);
		return 1;
	case LIN_SENT:
		/* a check: served (or never waiting; a failed sender stays
		 * in the list) */
		return ch_waiting(&c, op->arg) < 0;
	case LIN_CLOSE:
		/* (room owed to waiting senders is theirs before the close:
		 * only the overtake model can have any) */
		ch_serve(m, &c);
		c.closed = 1;
		*next = ch_enc(m, &c);
		return op->st ==
		    ((s & 1u) ? ACHAN_ALREADY_CLOSED : ACHAN_NEWLY_CLOSED);
	}
	return 0;
}

static void
chan_show(const struct lin_model *m, uint64_t s, char *buf, size_t len)
{
	struct ch c;
	size_t o = 0;

	ch_dec(m, s, &c);
	o += (size_t)snprintf(buf + o, len - o, "%s [",
	    c.closed ? "closed" : "open");
	for (unsigned i = 0; i < c.len && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%u", i ? " " : "",
		    c.buf[i]);
	if (o < len)
		o += (size_t)snprintf(buf + o, len - o, "]");
	if (c.nw > 0 && o < len) {
		o += (size_t)snprintf(buf + o, len - o, ", senders %s",
		    c.closed ? "failed" : "waiting");
		for (unsigned j = 0; j < c.nw && o < len; j++)
			o += (size_t)snprintf(buf + o, len - o, " %u", c.w[j]);
	}
}

void
lin_model_chan(struct lin_model *m, unsigned cap)
{
	memset(m, 0, sizeof(*m));
	m->name = "bounded channel";
	m->cap = cap;
	m->step = chan_step;
	m->show = chan_show;
	m->split_poll = 1;
}

void
lin_model_chan_overtake(struct lin_model *m, unsigned cap)
{
	lin_model_chan(m, cap);
	m->name = "bounded channel (waiting senders may be overtaken)";
	m->split_serve = 1;
}

/* --- bounded channel, two steps ----------------------------------------------
 * The ring as it is: `cap` slots in a circle, a head and a tail index and
 * the number of slots claimed by sends and not yet taken.  Each slot is
 * FREE, WRITING(v) (a send claimed it and is copying v in), READY(v), or
 * READING(v) (a receive claimed v and is copying it out; the slot is not
 * free yet).  Room is positional, as in the ring: a send needs the slot at
 * the tail free, whatever the other slots hold; a receive needs the slot at
 * the head READY.
 *
 * A try_send may also answer FULL while a sender waits.  A send that may
 * wait (send, send_until) may be registered as waiting anywhere inside its
 * interval, and that has no other effect; so a try_send may answer FULL
 * whenever its interval overlaps such a send's (LIN_F_SENDER_WAITS).
 *
 * State: bit 0 closed, bits 1-2 head, bits 3-4 tail, bits 5-7 claimed
 * count, then 8 bits per slot (2 bits status, 6 bits tag) from bit 8.
 */
enum { SL_FREE, SL_WRITING, SL_READY, SL_READING };
#define C2_HEAD(s)	((unsigned)((s) >> 1) & 3u)
#define C2_TAIL(s)	((unsigned)((s) >> 3) & 3u)
#define C2_COUNT(s)	((unsigned)((s) >> 5) & 7u)
#define C2_SLOT(s, i)	((unsigned)((s) >> (8 + 8 * (i))) & 255u)
#define C2_MAXCAP	4

static uint64_t
c2_set_slot(uint64_t s, unsigned i, unsigned status, uint64_t tag)
{
	s &= ~((uint64_t)255 << (8 + 8 * i));
	return s | (uint64_t)(status | (unsigned)(tag & 63u) << 2) << (8 + 8 * i);
}

static uint64_t
c2_set_pos(uint64_t s, unsigned head, unsigned tail, unsigned count)
{
	s &= ~(uint64_t)0xFE;
	return s | head << 1 | tail << 3 | count << 5;
}

static int
chan2_step(const struct lin_model *m, uint64_t s, const struct lin_op *op,
		uint64_t *next)
{
	int closed = (int)(s & 1u);
	unsigned cap = m->cap, head = C2_HEAD(s), tail = C2_TAIL(s);
	unsigned count = C2_COUNT(s), hs = C2_SLOT(s, head) & 3u;
	unsigned ts = C2_SLOT(s, tail) & 3u, i;
	uint64_t htag = C2_SLOT(s, head) >> 2;

	*next = s;
	switch (op->code) {
	case LIN_TRY_SEND:
	case LIN_SEND:
	case LIN_SEND_UNTIL:
		switch (op->st) {
		case ACHAN_OK:
			if (closed || ts != SL_FREE)
				return 0;
			s = c2_set_slot(s, tail, SL_WRITING, op->arg);
			*next = c2_set_pos(s, head, (tail + 1) % cap, count + 1);
			return 1;
		case ACHAN_CLOSED:
			return closed;
		case ACHAN_FULL:
			return op->code == LIN_TRY_SEND && !closed &&
			    (ts != SL_FREE || (op->flags & LIN_F_SENDER_WAITS));
		case ACHAN_TIMEDOUT:
			return op->code == LIN_SEND_UNTIL && !closed &&
			    ts != SL_FREE;
		}
		return 0;
	case LIN_PUBLISH:
		for (i = 0; i < cap; i++)
			if (C2_SLOT(s, i) ==
			    (SL_WRITING | (op->arg & 63u) << 2)) {
				*next = c2_set_slot(s, i, SL_READY, op->arg);
				return 1;
			}
		return 0;
	case LIN_TRY_RECV:
	case LIN_RECV:
	case LIN_RECV_UNTIL:
		switch (op->st) {
		case ACHAN_OK:
			if (count == 0 || hs != SL_READY || op->val != htag)
				return 0;
			s = c2_set_slot(s, head, SL_READING, htag);
			*next = c2_set_pos(s, (head + 1) % cap, tail, count - 1);
			return 1;
		case ACHAN_CLOSED:
			return closed && count == 0;
		case ACHAN_EMPTY:	/* nothing claimed, or being written */
			return op->code == LIN_TRY_RECV &&
			    (count == 0 ? !closed : hs == SL_WRITING);
		case ACHAN_TIMEDOUT:
			return op->code == LIN_RECV_UNTIL && !closed &&
			    (count == 0 || hs == SL_WRITING);
		}
		return 0;
	case LIN_RELEASE:
		for (i = 0; i < cap; i++)
			if (C2_SLOT(s, i) ==
			    (SL_READING | (op->arg & 63u) << 2)) {
				*next = c2_set_slot(s, i, SL_FREE, 0);
				return 1;
			}
		return 0;
	case LIN_CLOSE:
		*next = s | 1u;
		return op->st ==
		    (closed ? ACHAN_ALREADY_CLOSED : ACHAN_NEWLY_CLOSED);
	}
	return 0;
}

static void
chan2_show(const struct lin_model *m, uint64_t s, char *buf, size_t len)
{
	static const char *const st[] = { "free", "writing ", "", "reading " };
	size_t o = 0;

	o += (size_t)snprintf(buf + o, len - o, "%s, %u claimed, head %u, "
	    "tail %u, slots [", (s & 1u) ? "closed" : "open", C2_COUNT(s),
	    C2_HEAD(s), C2_TAIL(s));
	for (unsigned i = 0; i < m->cap && o < len; i++) {
		unsigned sl = C2_SLOT(s, i);

		if ((sl & 3u) == SL_FREE)
			o += (size_t)snprintf(buf + o, len - o, "%sfree",
			    i ? ", " : "");
		else
			o += (size_t)snprintf(buf + o, len - o, "%s%s%u",
			    i ? ", " : "", st[sl & 3u], sl >> 2);
	}
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

void
lin_model_chan_2step(struct lin_model *m, unsigned cap)
{
	memset(m, 0, sizeof(*m));
	m->name = "bounded channel (two-step send and receive)";
	m->cap = cap > C2_MAXCAP ? C2_MAXCAP : cap;
	m->step = chan2_step;
	m->show = chan2_show;
	m->split_send = 1;
	m->split_recv = 1;
	m->split_wait = 1;
}

/* --- unbuffered channel ------------------------------------------------------
 * State: bit 0 closed.  A successful send and the successful receive that
 * got its value linearise together (pair), while open; at least one of the
 * two must be able to wait (a try_send meets only a waiting receiver, a
 * try_recv only a waiting sender).  FULL, EMPTY and TIMEDOUT need the
 * channel open (whether a partner waited is not part of a sequential
 * state, so they are not judged further); CLOSED needs it closed.
 */
static int
unbuf_step(const struct lin_model *m, uint64_t s, const struct lin_op *op,
		uint64_t *next)
{
	int closed = (int)(s & 1u);

	(void)m;
	*next = s;
	if (op->code == LIN_CLOSE) {
		*next = s | 1u;
		return op->st ==
		    (closed ? ACHAN_ALREADY_CLOSED : ACHAN_NEWLY_CLOSED);
	}
	switch (op->st) {
	case ACHAN_OK:
		return closed ? 0 : LIN_NEEDS_PAIR;
	case ACHAN_CLOSED:
		return closed;
	case ACHAN_FULL:
		return !closed && op->code == LIN_TRY_SEND;
	case ACHAN_EMPTY:
		return !closed && op->code == LIN_TRY_RECV;
	case ACHAN_TIMEDOUT:
		return !closed &&
		    (op->code == LIN_SEND_UNTIL || op->code == LIN_RECV_UNTIL);
	}
	return 0;
}

static int
unbuf_pair(const struct lin_model *m, uint64_t s, const struct lin_op *a,
		const struct lin_op *b, uint64_t *next)
{
	(void)m;
	*next = s;
	if (s & 1u)
		return 0;
	if (is_recv(a->code)) {
		const struct lin_op *t = a;
		a = b;
		b = t;
	}
	if (!is_send(a->code) || !is_recv(b->code) || a->st != ACHAN_OK ||
	    b->st != ACHAN_OK)
		return 0;
	if (a->code == LIN_TRY_SEND && b->code == LIN_TRY_RECV)
		return 0;	/* neither waited: they cannot meet */
	return b->val == a->arg;
}

static void
unbuf_show(const struct lin_model *m, uint64_t s, char *buf, size_t len)
{
	(void)m;
	snprintf(buf, len, "%s", (s & 1u) ? "closed" : "open");
}

const struct lin_model lin_model_unbuffered = {
	.name = "unbuffered channel",
	.step = unbuf_step,
	.pair = unbuf_pair,
	.show = unbuf_show,
};

/* --- unbuffered channel, futures --------------------------------------------
 * Histories of try_send, try_recv, futures and close: every party that can
 * wait is a future, so the channel is a sequential object.  State: bit 0
 * closed, bits 1-3 the number of waiting send futures, bits 4-6 the number
 * of receive futures; from bit 7 the send futures' values (6 bits each,
 * oldest first, 4 fields), from bit 31 the receive futures (8 bits each:
 * the owner thread, and in bits 2-7 the value a sender put in, 0 while it
 * waits), in the order they registered.  A receive future that got a
 * value stays until its owner's re-poll or cancel (OK, that value); one
 * that waits when the channel closes stays until then too (CLOSED /
 * CANCELLED), and so does a send future.  A waiting receive future is one
 * with value 0; when both kinds wait, only a closed channel has them.
 */
#define UF_MAX 4

struct uf {
	unsigned closed, ns, nr;
	uint8_t snd[UF_MAX + 1];
	uint8_t rthr[UF_MAX + 1], rval[UF_MAX + 1];
};

static void
uf_dec(uint64_t s, struct uf *u)
{
	u->closed = (unsigned)(s & 1u);
	u->ns = (unsigned)(s >> 1) & 7u;
	u->nr = (unsigned)(s >> 4) & 7u;
	for (unsigned i = 0; i < u->ns; i++)
		u->snd[i] = (uint8_t)((s >> (7 + 6 * i)) & 63u);
	for (unsigned j = 0; j < u->nr; j++) {
		unsigned e = (unsigned)(s >> (31 + 8 * j)) & 255u;

		u->rthr[j] = (uint8_t)(e & 3u);
		u->rval[j] = (uint8_t)(e >> 2);
	}
}

static uint64_t
uf_enc(const struct uf *u)
{
	uint64_t s = u->closed | (uint64_t)u->ns << 1 | (uint64_t)u->nr << 4;

	if (u->ns > UF_MAX || u->nr > UF_MAX)
		bail_out("unbuffered model: more than %d futures of a kind",
		    UF_MAX);
	for (unsigned i = 0; i < u->ns; i++)
		s |= (uint64_t)u->snd[i] << (7 + 6 * i);
	for (unsigned j = 0; j < u->nr; j++)
		s |= (uint64_t)(u->rthr[j] | (unsigned)u->rval[j] << 2) <<
		    (31 + 8 * j);
	return s;
}

static int
uf_find_send(const struct uf *u, uint64_t tag)
{
	for (unsigned i = 0; i < u->ns; i++)
		if (u->snd[i] == (tag & 63u))
			return (int)i;
	return -1;
}

static int
uf_find_recv(const struct uf *u, unsigned thread)
{
	for (unsigned j = 0; j < u->nr; j++)
		if (u->rthr[j] == thread)
			return (int)j;
	return -1;
}

/* the oldest receive future still waiting for a value, or -1 */
static int
uf_waiting_recv(const struct uf *u)
{
	for (unsigned j = 0; j < u->nr; j++)
		if (u->rval[j] == 0)
			return (int)j;
	return -1;
}

static void
uf_del_send(struct uf *u, int i)
{
	memmove(u->snd + i, u->snd + i + 1, u->ns - (unsigned)i - 1);
	u->ns--;
}

static void
uf_del_recv(struct uf *u, int j)
{
	memmove(u->rthr + j, u->rthr + j + 1, u->nr - (unsigned)j - 1);
	memmove(u->rval + j, u->rval + j + 1, u->nr - (unsigned)j - 1);
	u->nr--;
}

static int
ufut_step(const struct lin_model *m, uint64_t s, const struct lin_op *op,
		uint64_t *next)
{
	struct uf u;
	int i, ok;

	(void)m;
	*next = s;
	uf_dec(s, &u);
	switch (op->code) {
	case LIN_TRY_SEND:
	case LIN_SEND_POLL:
		if (u.closed)
			return op->st == ACHAN_CLOSED;
		if ((i = uf_waiting_recv(&u)) >= 0) {
			if (op->st != ACHAN_OK)
				return 0;
			u.rval[i] = (uint8_t)(op->arg & 63u);
		} else if (op->code == LIN_TRY_SEND) {
			return op->st == ACHAN_FULL;
		} else {
			if (op->st != ACHAN_PENDING)
				return 0;
			u.snd[u.ns++] = (uint8_t)(op->arg & 63u);
		}
		break;
	case LIN_SEND_REPOLL:
	case LIN_SEND_CANCEL:
		if ((i = uf_find_send(&u, op->arg)) < 0)
			return op->st == ACHAN_OK;	/* a receiver took it */
		if (op->code == LIN_SEND_CANCEL)
			ok = op->st == ACHAN_CANCELLED;
		else if (!u.closed)
			return op->st == ACHAN_PENDING;
		else
			ok = op->st == ACHAN_CLOSED;
		if (!ok)
			return 0;
		uf_del_send(&u, i);
		break;
	case LIN_TRY_RECV:
	case LIN_RECV_POLL:
		if (u.closed)
			return op->st == ACHAN_CLOSED;
		if (u.ns > 0) {
			if (op->st != ACHAN_OK || op->val != u.snd[0])
				return 0;
			uf_del_send(&u, 0);
		} else if (op->code == LIN_TRY_RECV) {
			return op->st == ACHAN_EMPTY;
		} else {
			if (op->st != ACHAN_PENDING ||
			    uf_find_recv(&u, op->thread) >= 0)
				return 0;
			u.rthr[u.nr] = (uint8_t)(op->thread & 3u);
			u.rval[u.nr++] = 0;
		}
		break;
	case LIN_RECV_REPOLL:
	case LIN_RECV_CANCEL:
		if ((i = uf_find_recv(&u, op->thread)) < 0)
			return 0;	/* not registered */
		if (u.rval[i] != 0)	/* a sender put a value in */
			ok = op->st == ACHAN_OK && op->val == u.rval[i];
		else if (op->code == LIN_RECV_CANCEL)
			ok = op->st == ACHAN_CANCELLED;
		else if (!u.closed)
			return op->st == ACHAN_PENDING;
		else
			ok = op->st == ACHAN_CLOSED;
		if (!ok)
			return 0;
		uf_del_recv(&u, i);
		break;
	case LIN_CLOSE:
		u.closed = 1;
		ok = op->st ==
		    ((s & 1u) ? ACHAN_ALREADY_CLOSED : ACHAN_NEWLY_CLOSED);
		if (!ok)
			return 0;
		break;
	default:
		return 0;	/* no blocking calls in these histories */
	}
	*next = uf_enc(&u);
	return 1;
}

static void
ufut_show(const struct lin_model *m, uint64_t s, char *buf, size_t len)
{
	struct uf u;
	size_t o = 0;

	(void)m;
	uf_dec(s, &u);
	o += (size_t)snprintf(buf, len, "%s, send futures [",
	    u.closed ? "closed" : "open");
	for (unsigned i = 0; i < u.ns && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%u", i ? " " : "",
		    u.snd[i]);
	if (o < len)
		o += (size_t)snprintf(buf + o, len - o, "], receive futures [");
	for (unsigned j = 0; j < u.nr && o < len; j++) {
		if (u.rval[j])
			o += (size_t)snprintf(buf + o, len - o, "%sT%u got %u",
			    j ? ", " : "", u.rthr[j], u.rval[j]);
		else
			o += (size_t)snprintf(buf + o, len - o, "%sT%u",
			    j ? ", " : "", u.rthr[j]);
	}
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

const struct lin_model lin_model_unbuffered_futures = {
	.name = "unbuffered channel (futures)",
	.step = ufut_step,
	.show = ufut_show,
};

/* --- oneshot and oneshot broadcast -------------------------------------------
 * State: bits 0-2: EMPTY (open, no value), VALUE (tag in bits 3-8), TAKEN
 * (a receiver took it), CLOSED (closed without a value), WRITING (two-step
 * models only: a send claimed it and is copying its value, tag in bits
 * 3-8).  A close after a send answers ALREADY_CLOSED and keeps the value.
 * Broadcast: receiving leaves VALUE as it is.
 */
#define OS_VALUE   1u
#define OS_WRITING 4u

static int
oneshot_like_step(int bcast, int split, uint64_t s, const struct lin_op *op,
		uint64_t *next)
{
	unsigned kind = (unsigned)(s & 7u);
	uint64_t tag = s >> 3;

	*next = s;
	switch (op->code) {
	case LIN_TRY_SEND:
	case LIN_SEND:		/* the oneshot send never waits */
		if (kind != LIN_ONESHOT_EMPTY)
			return op->st == ACHAN_CLOSED;
		if (op->st != ACHAN_OK)
			return 0;
		*next = (split ? OS_WRITING : OS_VALUE) | ((op->arg & 63u) << 3);
		return 1;
	case LIN_PUBLISH:
		if (kind != OS_WRITING || tag != (op->arg & 63u))
			return 0;
		*next = OS_VALUE | (tag << 3);
		return 1;
	case LIN_TRY_RECV:
	case LIN_RECV:
	case LIN_RECV_UNTIL:
		if (kind == OS_VALUE) {
			if (op->st != ACHAN_OK || op->val != tag)
				return 0;
			if (!bcast)
				*next = LIN_ONESHOT_TAKEN;
			return 1;
		}
		if (kind != LIN_ONESHOT_EMPTY && kind != OS_WRITING)
			return op->st == ACHAN_CLOSED;
		if (op->code == LIN_TRY_RECV)
			return op->st == ACHAN_EMPTY;
		if (op->code == LIN_RECV_UNTIL)
			return op->st == ACHAN_TIMEDOUT;
		return 0;
	case LIN_CLOSE:
		if (kind == LIN_ONESHOT_EMPTY) {
			*next = LIN_ONESHOT_CLOSED;
			return op->st == ACHAN_NEWLY_CLOSED;
		}
		return op->st == ACHAN_ALREADY_CLOSED;
	}
	return 0;
}

static int
oneshot_step(const struct lin_model *m, uint64_t s, const struct lin_op *op,
		uint64_t *next)
{
	return oneshot_like_step(0, m->split_send, s, op, next);
}

static int
bcast_step(const struct lin_model *m, uint64_t s, const struct lin_op *op,
		uint64_t *next)
{
	return oneshot_like_step(1, m->split_send, s, op, next);
}

static void
oneshot_show(const struct lin_model *m, uint64_t s, char *buf, size_t len)
{
	(void)m;
	switch (s & 7u) {
	case LIN_ONESHOT_EMPTY: snprintf(buf, len, "empty"); break;
	case OS_VALUE: snprintf(buf, len, "value %u", (unsigned)(s >> 3)); break;
	case OS_WRITING:
		snprintf(buf, len, "writing %u", (unsigned)(s >> 3));
		break;
	case LIN_ONESHOT_TAKEN: snprintf(buf, len, "taken"); break;
	default: snprintf(buf, len, "closed"); break;
	}
}

const struct lin_model lin_model_oneshot = {
	.name = "oneshot",
	.step = oneshot_step,
	.show = oneshot_show,
};

const struct lin_model lin_model_bcast = {
	.name = "oneshot broadcast",
	.step = bcast_step,
	.show = oneshot_show,
};

const struct lin_model lin_model_oneshot_2step = {
	.name = "oneshot (two-step send)",
	.step = oneshot_step,
	.show = oneshot_show,
	.split_send = 1,
};

const struct lin_model lin_model_bcast_2step = {
	.name = "oneshot broadcast (two-step send)",
	.step = bcast_step,
	.show = oneshot_show,
	.split_send = 1,
};

/* --- state broadcast ---------------------------------------------------------
 * State: bit 0 closed, bits 1-8 the tag of the current value, bits 9-63
 * the current id (0: no value yet).  receive(after) is ready iff id >
 * after and then returns (id, value); otherwise CLOSED if closed, else
 * EMPTY / TIMEDOUT / (blocking) not yet.
 */
uint64_t
lin_state_state(int closed, uint64_t id, uint64_t tag)
{
	return (closed ? 1u : 0u) | ((tag & 255u) << 1) | (id << 9);
}

static int
state_step(const struct lin_model *m, uint64_t s, const struct lin_op *op,
		uint64_t *next)
{
	int closed = (int)(s & 1u);
	uint64_t tag = (s >> 1) & 255u, id = s >> 9;

	(void)m;
	*next = s;
	switch (op->code) {
	case LIN_TRY_SEND:
	case LIN_SEND:		/* the state send never waits */
		if (closed)
			return op->st == ACHAN_CLOSED;
		if (op->st != ACHAN_OK)
			return 0;
		*next = lin_state_state(0, id + 1, op->arg);
		return 1;
	case LIN_TRY_RECV:
	case LIN_RECV:
	case LIN_RECV_UNTIL:
		if (id > op->arg)
			return op->st == ACHAN_OK && op->id == id &&
			    op->val == tag;
		if (closed)
			return op->st == ACHAN_CLOSED;
		if (op->code == LIN_TRY_RECV)
			return op->st == ACHAN_EMPTY;
		if (op->code == LIN_RECV_UNTIL)
			return op->st == ACHAN_TIMEDOUT;
		return 0;
	case LIN_CLOSE:
		*next = s | 1u;
		return op->st ==
		    (closed ? ACHAN_ALREADY_CLOSED : ACHAN_NEWLY_CLOSED);
	}
	return 0;
}

static void
state_show(const struct lin_model *m, uint64_t s, char *buf, size_t len)
{
	(void)m;
	snprintf(buf, len, "%s id %llu value %u", (s & 1u) ? "closed" : "open",
	    (unsigned long long)(s >> 9), (unsigned)((s >> 1) & 255u));
}

const struct lin_model lin_model_state = {
	.name = "state broadcast",
	.step = state_step,
	.show = state_show,
};

/* --- the search ----------------------------------------------------------- */

/* Memo of failed configurations: open addressing, cleared per check by a
 * generation number.  When full it stops remembering (only speed suffers). */
#define MEMO_BITS 17
#define MEMO_SIZE (1u << MEMO_BITS)
static struct memo_slot {
	uint64_t mask, state;
	uint32_t gen;
} memo[MEMO_SIZE];
static uint32_t memo_gen;
static unsigned memo_used;

static unsigned
memo_hash(uint64_t mask, uint64_t state)
{
	uint64_t x = mask * 0x9E3779B97F4A7C15ULL ^
	    (state + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL;

	x ^= x >> 29;
	return (unsigned)(x & (MEMO_SIZE - 1));
}

static int
memo_has(uint64_t mask, uint64_t state)
{
	for (unsigned i = memo_hash(mask, state);;
	    i = (i + 1) & (MEMO_SIZE - 1)) {
		if (memo[i].gen != memo_gen)
			return 0;
		if (memo[i].mask == mask && memo[i].state == state)
			return 1;
	}
}

static void
memo_add(uint64_t mask, uint64_t state)
{
	unsigned i;

	if (memo_used >= MEMO_SIZE / 2)
		return;
	for (i = memo_hash(mask, state); memo[i].gen == memo_gen;
	    i = (i + 1) & (MEMO_SIZE - 1))
		;
	memo[i].mask = mask;
	memo[i].state = state;
	memo[i].gen = memo_gen;
	memo_used++;
}

struct search {
	const struct lin_model *m;
	const struct lin_history *h;	/* the history searched */
	const struct lin_history *orig;	/* the one lin_check was given */
	uint64_t full;
	/* what must be linearised before each operation: a LIN_SENT
	 * step's poll; a select's own steps before the select */
	uint64_t need[LIN_MAX_OPS];
	int first_sent;		/* no LIN_SENT step before this index */
	uint8_t sent_of[LIN_MAX_OPS];	/* a send poll's LIN_SENT, or 0 */
	struct lin_stats *stats;
	int order[LIN_MAX_OPS];
	/* the deepest legal prefix met, for reports */
	int best_depth;
	int best_order[LIN_MAX_OPS];
	uint64_t best_state;
};

static void
note_depth(struct search *S, int depth, uint64_t state)
{
	if (depth > S->best_depth) {
		S->best_depth = depth;
		memcpy(S->best_order, S->order, sizeof(int) * (size_t)depth);
		S->best_state = state;
	}
}

/* The model's next states for op (succ, or step's one). */
static int
model_next(const struct lin_model *m, uint64_t state, const struct lin_op *op,
    uint64_t *next)
{
	if (m->succ != NULL)
		return m->succ(m, state, op, next);
	return m->step(m, state, op, next) == 1;
}

static int
dfs(struct search *S, uint64_t mask, uint64_t state, int depth)
{
	const struct lin_op *ops = S->h->ops;
	int n = S->h->n;
	uint64_t minres = UINT64_MAX, next, nexts[LIN_MAX_SUCC];
	int i, j, k, nk, r;

	note_depth(S, depth, state);
	if (mask == S->full)
		return 1;
	if (memo_has(mask, state)) {
		S->stats->memo_hits++;
		return 0;
	}
	for (i = 0; i < n; i++)
		if (!(mask >> i & 1u) && ops[i].res < minres)
			minres = ops[i].res;
	/*
	 * LIN_SENT checks first (appended from first_sent on), and the
	 * operations the model calls pure.  One never changes the state, and
	 * an order that takes it later may take it here instead: it is
	 * minimal, what must follow it may follow it from here too, and the
	 * operations it would pass see the same states.  So where one is
	 * accepted it is the only choice to explore; a LIN_SENT that is not
	 * is not tried again below.
	 */
	for (i = S->m->pure != NULL ? 0 : S->first_sent; i < n; i++) {
		if ((mask >> i & 1u) || ops[i].inv > minres ||
		    (mask & S->need[i]) != S->need[i] ||
		    !(ops[i].code == LIN_SENT || (S->m->pure != NULL &&
		    S->m->pure(S->m, &ops[i]))))
			continue;
		S->stats->steps++;
		if (model_next(S->m, state, &ops[i], nexts) < 1)
			continue;
		S->order[depth] = i;
		if (dfs(S, mask | (uint64_t)1 << i, nexts[0], depth + 1))
			return 1;
		memo_add(mask, state);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if ((mask >> i & 1u) || ops[i].inv > minres ||
		    ops[i].code == LIN_SENT ||
		    (mask & S->need[i]) != S->need[i])
			continue;
		S->stats->steps++;
		if (S->m->succ != NULL) {
			/* every state the model may reach */
			nk = S->m->succ(S->m, state, &ops[i], nexts);
			for (k = 0; k < nk; k++) {
				uint64_t nmask = mask | (uint64_t)1 << i;
				uint64_t t[LIN_MAX_SUCC];
				int d = depth + 1;

				S->order[depth] = i;
				if ((j = S->sent_of[i]) != 0 &&
				    model_next(S->m, nexts[k], &ops[j], t) > 0) {
					nmask |= (uint64_t)1 << j;
					S->order[d++] = j;
				}
				if (dfs(S, nmask, nexts[k], d))
					return 1;
			}
			continue;
		}
		r = S->m->step(S->m, state, &ops[i], &next);
		if (r == 1) {
			uint64_t nmask = mask | (uint64_t)1 << i, t;
			int d = depth + 1;

			S->order[depth] = i;
			/* a send poll that sent at once: its LIN_SENT holds
			 * now, and is taken now (as above) */
			if ((j = S->sent_of[i]) != 0 &&
			    S->m->step(S->m, next, &ops[j], &t) == 1) {
				nmask |= (uint64_t)1 << j;
				S->order[d++] = j;
			}
			if (dfs(S, nmask, next, d))
				return 1;
		} else if (r == LIN_NEEDS_PAIR && S->m->pair != NULL) {
			for (j = 0; j < n; j++) {
				if (j == i || (mask >> j & 1u) ||
				    ops[j].inv > minres)
					continue;
				S->stats->steps++;
				if (!S->m->pair(S->m, state, &ops[i], &ops[j],
				    &next))
					continue;
				S->order[depth] = i;
				S->order[depth + 1] = j;
				if (dfs(S, mask | (uint64_t)1 << i |
				    (uint64_t)1 << j, next, depth + 2))
					return 1;
			}
		}
	}
	memo_add(mask, state);
	return 0;
}

static struct search last_search;

/* Two-step operations: the history with a LIN_PUBLISH step added for every
 * successful send (same interval, same arg) and a LIN_RELEASE step for
 * every successful receive (arg: the value); LIN_SERVE and LIN_SENT steps
 * likewise (see struct lin_model).  split_of[i], i >= h->n: the operation
 * that step i belongs to. */
static struct lin_history split_h;
static int split_of[LIN_MAX_OPS];
static uint64_t split_need[LIN_MAX_OPS];

/* A step of select operation i (split_select), linearised before it; 0 if
 * the history has no room for it. */
static int
select_step(int i, int code, unsigned idx)
{
	struct lin_op *x;
	int k = split_h.n;

	if (k >= LIN_MAX_OPS)
		return 0;
	x = &split_h.ops[split_h.n++];
	*x = split_h.ops[i];
	x->of = x->code;
	x->code = (uint8_t)code;
	x->idx = (uint8_t)idx;
	x->flags = 0;
	split_of[k] = i;
	split_need[k] = 0;
	split_need[i] |= (uint64_t)1 << k;
	return 1;
}

/*
 * Select (split_select): where its cases wait in a queue - a send case on
 * A, a receive case on an unbuffered B - a first poll or a blocking select
 * registers them (LIN_SEL_REG) and a re-poll starts polling
 * (LIN_SEL_BEGIN), inside its interval and before its own step; while
 * polling, others may pass over its cases.  The weak model looks at each
 * case of an answer EMPTY or PENDING at a point of its own (LIN_SEL_LOOK,
 * after the registration).  0 if the history has no room for the steps.
 */
static int
split_select(const struct lin_model *m, int i)
{
	const struct lin_op *op = &split_h.ops[i];
	int reg = -1, waits;

	waits = op->arg != 0 || m->cap_b == 0;
	if (waits && (op->code == LIN_SEL || op->code == LIN_SEL_POLL ||
	    op->code == LIN_SEL_REPOLL)) {
		reg = split_h.n;
		if (!select_step(i, op->code == LIN_SEL_REPOLL ? LIN_SEL_BEGIN :
		    LIN_SEL_REG, 0))
			return 0;
	}
	if (!(m->split_select & LIN_SEL_LOOKS) ||
	    !((op->code == LIN_SEL_TRY && op->st == ACHAN_EMPTY) ||
	    ((op->code == LIN_SEL_POLL || op->code == LIN_SEL_REPOLL) &&
	    op->st == ACHAN_PENDING)))
		return 1;
	for (unsigned c = 0; c < 2; c++) {
		int k = split_h.n;

		if (!select_step(i, LIN_SEL_LOOK, c))
			return 0;
		if (reg >= 0)
			split_need[k] = (uint64_t)1 << reg;
	}
	return 1;
}

static const struct lin_history *
split_ops(const struct lin_model *m, const struct lin_history *h)
{
	split_h.n = h->n;
	split_h.init = h->init;
	memcpy(split_h.ops, h->ops, sizeof(h->ops[0]) * (size_t)h->n);
	memset(split_need, 0, sizeof(split_need));
	for (int i = 0; i < h->n; i++) {
		const struct lin_op *op = &h->ops[i];
		struct lin_op *x;

		if (m->split_select && is_select(op->code) &&
		    op->code != LIN_SEL_CANCEL) {
			if (!split_select(m, i))
				return NULL;
			continue;
		}

		if (m->split_wait && op->code == LIN_TRY_SEND)
			for (int j = 0; j < h->n; j++) {
				const struct lin_op *w = &h->ops[j];

				if ((w->code == LIN_SEND ||
				    w->code == LIN_SEND_UNTIL) &&
				    w->inv < op->res && op->inv < w->res)
					split_h.ops[i].flags |= LIN_F_SENDER_WAITS;
			}
		if (op->st != ACHAN_OK)
			continue;
		if (m->split_poll && op->code == LIN_SEND_POLL) {
			if (split_h.n >= LIN_MAX_OPS)
				return NULL;
			split_h.ops[i].flags |= LIN_F_MAY_WAIT;
			split_of[split_h.n] = i;
			split_need[split_h.n] = (uint64_t)1 << i;
			x = &split_h.ops[split_h.n++];
			*x = *op;
			x->code = LIN_SENT;
			x->flags = 0;
			continue;
		}
		if (m->split_serve && takes_value(op->code) &&
		    op->code != LIN_RECV_CANCEL) {
			if (split_h.n >= LIN_MAX_OPS)
				return NULL;
			split_of[split_h.n] = i;
			x = &split_h.ops[split_h.n++];
			*x = *op;
			x->code = LIN_SERVE;
		}
		if (!((m->split_send && is_send(op->code)) ||
		    (m->split_recv && is_recv(op->code))))
			continue;
		if (split_h.n >= LIN_MAX_OPS)
			return NULL;
		split_of[split_h.n] = i;
		x = &split_h.ops[split_h.n++];
		*x = *op;
		if (is_send(op->code)) {
			x->code = LIN_PUBLISH;
		} else {
			x->code = LIN_RELEASE;
			x->arg = op->val;
		}
	}
	return &split_h;
}

int
lin_check(const struct lin_model *m, const struct lin_history *h,
    struct lin_stats *stats, int *order)
{
	struct lin_stats dummy = { 0, 0, 0 };
	struct search *S = &last_search;
	const struct lin_history *orig = h;
	int ok, split;

	if (h->n < 0 || h->n > LIN_MAX_OPS)
		return 0;
	split = m->split_send || m->split_recv || m->split_wait ||
	    m->split_serve;
	for (int i = 0; i < h->n && m->split_poll && !split; i++)
		split = h->ops[i].code == LIN_SEND_POLL &&
		    h->ops[i].st == ACHAN_OK;
	for (int i = 0; i < h->n && m->split_select && !split; i++)
		split = is_select(h->ops[i].code);
	if (split && (h = split_ops(m, h)) == NULL)
		return 0;	/* no room for the second steps: plans keep
				 * within LIN_MAX_OPS */
	if (++memo_gen == 0) {
		memset(memo, 0, sizeof(memo));
		memo_gen = 1;
	}
	memo_used = 0;
	S->m = m;
	S->h = h;
	S->orig = orig;
	S->first_sent = h->n;
	memset(S->sent_of, 0, sizeof(S->sent_of));
	memset(S->need, 0, sizeof(S->need));
	if (split)
		memcpy(S->need, split_need, sizeof(S->need));
	if (split)
		for (int i = orig->n; i < h->n; i++)
			if (h->ops[i].code == LIN_SENT) {
				S->sent_of[split_of[i]] = (uint8_t)i;
				if (S->first_sent == h->n)
					S->first_sent = i;
			}
	S->full = h->n == 64 ? UINT64_MAX : ((uint64_t)1 << h->n) - 1;
	S->stats = stats ? stats : &dummy;
	S->best_depth = -1;
	ok = dfs(S, 0, h->init, 0);
	/* a poll whose LIN_SENT does not follow it at once waited */
	for (int k = 1; ok && split && k < h->n; k++)
		if (h->ops[S->order[k]].code == LIN_SENT &&
		    S->order[k - 1] != split_of[S->order[k]])
			S->stats->polls_waited++;
	if (ok && order != NULL)
		memcpy(order, S->order, sizeof(int) * (size_t)h->n);
	return ok;
}

const struct lin_history *
lin_checked(void)
{
	return last_search.h;
}

uint64_t
lin_checked_need(int i)
{
	return i >= 0 && i < LIN_MAX_OPS ? last_search.need[i] : 0;
}

/* --- reports -------------------------------------------------------------- */

/* A select operation or one of its steps, on two channels A and B. */
static void
select_text(const struct lin_op *op, char *buf, size_t len)
{
	size_t o = 0;
	int code = op->code >= LIN_NOPS ? op->of : op->code;

	if (op->arg != 0)
		o += (size_t)snprintf(buf, len, "%s{send A %llu, recv B}",
		    lin_opname(op->code), (unsigned long long)op->arg);
	else
		o += (size_t)snprintf(buf, len, "%s{recv A, recv B}",
		    lin_opname(op->code));
	if (o >= len)
		return;
	if (op->code >= LIN_NOPS) {
		/* a step: of which operation */
		if (op->code == LIN_SEL_LOOK)
			o += (size_t)snprintf(buf + o, len - o, " case %u",
			    op->idx);
		if (o < len)
			snprintf(buf + o, len - o, " of %s", lin_opname(code));
		return;
	}
	o += (size_t)snprintf(buf + o, len - o, " -> %s", lin_stname(op->st));
	if (o >= len || (op->st != ACHAN_OK && op->st != ACHAN_CLOSED))
		return;
	o += (size_t)snprintf(buf + o, len - o, " case %u", op->idx);
	if (o < len && op->st == ACHAN_OK && (op->idx == 1 || op->arg == 0))
		snprintf(buf + o, len - o, " value %llu",
		    (unsigned long long)op->val);
}

static void
op_text(const struct lin_model *m, const struct lin_op *op, char *buf,
    size_t len)
{
	size_t o = 0;
	const char *ch = !m->split_select ? "" : op->obj ? "B " : "A ";

	if (m->split_select && (is_select(op->code) ||
	    op->code >= LIN_SEL_REG)) {
		select_text(op, buf, len);
		return;
	}
	if (m->split_select && !is_send(op->code) &&
	    !is_send_future(op->code) && op->code != LIN_SENT)
		o += (size_t)snprintf(buf, len, "%s(%c)", lin_opname(op->code),
		    op->obj ? 'B' : 'A');
	else if (is_send(op->code) || is_send_future(op->code) ||
	    (m->split_select && op->code == LIN_SENT))
		o += (size_t)snprintf(buf, len, "%s(%s%llu)",
		    lin_opname(op->code), ch, (unsigned long long)op->arg);
	else if (is_recv(op->code) && op->arg != 0)
		o += (size_t)snprintf(buf, len, "%s(after %llu)",
		    lin_opname(op->code), (unsigned long long)op->arg);
	else
		o += (size_t)snprintf(buf, len, "%s()", lin_opname(op->code));
	if (o >= len)
		return;
	o += (size_t)snprintf(buf + o, len - o, " -> %s", lin_stname(op->st));
	if (o >= len)
		return;
	if (takes_value(op->code) && op->st == ACHAN_OK) {
		if (op->id != 0)
			snprintf(buf + o, len - o, " id %llu value %llu",
			    (unsigned long long)op->id,
			    (unsigned long long)op->val);
		else
			snprintf(buf + o, len - o, " %llu",
			    (unsigned long long)op->val);
	}
}

void
lin_print(const struct lin_model *m, const struct lin_history *h)
{
	int idx[LIN_MAX_OPS], i, j, t;
	char sbuf[256], obuf[128];

	for (i = 0; i < h->n; i++)
		idx[i] = i;
	for (i = 1; i < h->n; i++)	/* insertion sort by invocation */
		for (j = i; j > 0 &&
		    h->ops[idx[j - 1]].inv > h->ops[idx[j]].inv; j--) {
			t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	m->show(m, h->init, sbuf, sizeof(sbuf));
	diag("%s history, %d operations, from state: %s", m->name, h->n, sbuf);
	diag("  #  thread  [invoke, respond]  operation");
	for (i = 0; i < h->n; i++) {
		const struct lin_op *op = &h->ops[idx[i]];

		op_text(m, op, obuf, sizeof(obuf));
		diag(" %2d  T%u      [%6llu, %6llu]  %s", idx[i], op->thread,
		    (unsigned long long)(op->inv % 1000000),
		    (unsigned long long)(op->res % 1000000), obuf);
	}
	if ((h == last_search.orig || h == last_search.h) &&
	    last_search.best_depth >= 0 &&
	    last_search.best_depth < last_search.h->n) {
		const struct lin_history *sh = last_search.h;
		char line[512];
		size_t o = 0;

		line[0] = '\0';
		/* a second step as "k'": of the history's operation k */
		for (i = 0; i < last_search.best_depth && o < sizeof(line); i++) {
			int k = last_search.best_order[i];

			if (sh != last_search.orig && k >= last_search.orig->n)
				o += (size_t)snprintf(line + o, sizeof(line) - o,
				    "%s%d'%s", i ? " " : "", split_of[k],
				    lin_opname(sh->ops[k].code));
			else
				o += (size_t)snprintf(line + o,
				    sizeof(line) - o, "%s%d", i ? " " : "", k);
		}
		m->show(m, last_search.best_state, sbuf, sizeof(sbuf));
		diag("  longest legal prefix (%d ops): %s",
		    last_search.best_depth, line);
		diag("  ... reaching state: %s; no next operation fits", sbuf);
	}
}
