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

static const char *const op_names[LIN_RELEASE + 1] = {
	"try_send", "send", "send_until", "try_recv", "recv", "recv_until",
	"close", "(publish)", "(free room)"
};

const char *
lin_opname(int code)
{
	return code >= 0 && code <= LIN_RELEASE ? op_names[code] : "?";
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

/* --- bounded channel ---------------------------------------------------------
 * State: bit 0 closed, bits 1-4 the number of values, then 6 bits per value
 * tag, oldest first.  Sends need room (blocking: they cannot linearise while
 * full; timed: TIMEDOUT only while full and open), receives need a value
 * (TIMEDOUT only while empty and open), CLOSED only once closed.
 */
#define CH_LEN(s)	((unsigned)((s) >> 1) & 15u)
#define CH_TAG(s, i)	(((s) >> (5 + 6 * (i))) & 63u)

uint64_t
lin_chan_state(int closed, unsigned len, const uint64_t *tags)
{
	uint64_t s = (closed ? 1u : 0u) | ((uint64_t)len << 1);

	for (unsigned i = 0; i < len; i++)
		s |= (tags[i] & 63u) << (5 + 6 * i);
	return s;
}

static uint64_t
ch_push(uint64_t s, uint64_t tag)
{
	unsigned len = CH_LEN(s);

	s &= ~((uint64_t)15 << 1);
	s |= (uint64_t)(len + 1) << 1;
	return s | ((tag & 63u) << (5 + 6 * len));
}

static uint64_t
ch_pop(uint64_t s)
{
	unsigned len = CH_LEN(s);
	uint64_t vals = s >> 5;

	return (s & 1u) | ((uint64_t)(len - 1) << 1) | ((vals >> 6) << 5);
}

static int
chan_step(const struct lin_model *m, uint64_t s, const struct lin_op *op,
		uint64_t *next)
{
	int closed = (int)(s & 1u);
	unsigned len = CH_LEN(s);

	*next = s;
	switch (op->code) {
	case LIN_TRY_SEND:
	case LIN_SEND:
	case LIN_SEND_UNTIL:
		if (closed)
			return op->st == ACHAN_CLOSED;
		if (len < m->cap) {
			if (op->st != ACHAN_OK)
				return 0;
			*next = ch_push(s, op->arg);
			return 1;
		}
		if (op->code == LIN_TRY_SEND)
			return op->st == ACHAN_FULL;
		if (op->code == LIN_SEND_UNTIL)
			return op->st == ACHAN_TIMEDOUT;
		return 0;	/* a blocking send waits while full */
	case LIN_TRY_RECV:
	case LIN_RECV:
	case LIN_RECV_UNTIL:
		if (len > 0) {
			if (op->st != ACHAN_OK || op->val != CH_TAG(s, 0))
				return 0;
			*next = ch_pop(s);
			return 1;
		}
		if (closed)
			return op->st == ACHAN_CLOSED;
		if (op->code == LIN_TRY_RECV)
			return op->st == ACHAN_EMPTY;
		if (op->code == LIN_RECV_UNTIL)
			return op->st == ACHAN_TIMEDOUT;
		return 0;	/* a blocking receive waits while empty */
	case LIN_CLOSE:
		*next = s | 1u;
		return op->st ==
		    (closed ? ACHAN_ALREADY_CLOSED : ACHAN_NEWLY_CLOSED);
	}
	return 0;
}

static void
chan_show(const struct lin_model *m, uint64_t s, char *buf, size_t len)
{
	size_t o = 0;

	(void)m;
	o += (size_t)snprintf(buf + o, len - o, "%s [",
	    (s & 1u) ? "closed" : "open");
	for (unsigned i = 0; i < CH_LEN(s) && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%u", i ? " " : "",
		    (unsigned)CH_TAG(s, i));
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

void
lin_model_chan(struct lin_model *m, unsigned cap)
{
	memset(m, 0, sizeof(*m));
	m->name = "bounded channel";
	m->cap = cap;
	m->step = chan_step;
	m->show = chan_show;
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
#define MEMO_BITS 15
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
	const struct lin_history *h;
	uint64_t full;
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

static int
dfs(struct search *S, uint64_t mask, uint64_t state, int depth)
{
	const struct lin_op *ops = S->h->ops;
	int n = S->h->n;
	uint64_t minres = UINT64_MAX, next;
	int i, j, r;

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
	for (i = 0; i < n; i++) {
		if ((mask >> i & 1u) || ops[i].inv > minres)
			continue;
		S->stats->steps++;
		r = S->m->step(S->m, state, &ops[i], &next);
		if (r == 1) {
			S->order[depth] = i;
			if (dfs(S, mask | (uint64_t)1 << i, next, depth + 1))
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
 * every successful receive (arg: the value). */
static struct lin_history split_h;

static const struct lin_history *
split_ops(const struct lin_model *m, const struct lin_history *h)
{
	split_h = *h;
	for (int i = 0; i < h->n; i++) {
		const struct lin_op *op = &h->ops[i];
		struct lin_op *x;

		if (m->split_wait && op->code == LIN_TRY_SEND)
			for (int j = 0; j < h->n; j++) {
				const struct lin_op *w = &h->ops[j];

				if ((w->code == LIN_SEND ||
				    w->code == LIN_SEND_UNTIL) &&
				    w->inv < op->res && op->inv < w->res)
					split_h.ops[i].flags |= LIN_F_SENDER_WAITS;
			}
		if (op->st != ACHAN_OK ||
		    !((m->split_send && is_send(op->code)) ||
		    (m->split_recv && is_recv(op->code))))
			continue;
		if (split_h.n >= LIN_MAX_OPS)
			return NULL;
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
	struct lin_stats dummy = { 0, 0 };
	struct search *S = &last_search;
	int ok;

	if (h->n < 0 || h->n > LIN_MAX_OPS)
		return 0;
	if ((m->split_send || m->split_recv || m->split_wait) &&
	    (h = split_ops(m, h)) == NULL)
		return 0;
	if (++memo_gen == 0) {
		memset(memo, 0, sizeof(memo));
		memo_gen = 1;
	}
	memo_used = 0;
	memset(S, 0, sizeof(*S));
	S->m = m;
	S->h = h;
	S->full = h->n == 64 ? UINT64_MAX : ((uint64_t)1 << h->n) - 1;
	S->stats = stats ? stats : &dummy;
	S->best_depth = -1;
	ok = dfs(S, 0, h->init, 0);
	if (ok && order != NULL)
		memcpy(order, S->order, sizeof(int) * (size_t)h->n);
	return ok;
}

/* --- reports -------------------------------------------------------------- */

static void
op_text(const struct lin_op *op, char *buf, size_t len)
{
	size_t o = 0;

	if (is_send(op->code))
		o += (size_t)snprintf(buf, len, "%s(%llu)", lin_opname(op->code),
		    (unsigned long long)op->arg);
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
	if (is_recv(op->code) && op->st == ACHAN_OK) {
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
	char sbuf[128], obuf[128];

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

		op_text(op, obuf, sizeof(obuf));
		diag(" %2d  T%u      [%6llu, %6llu]  %s", idx[i], op->thread,
		    (unsigned long long)(op->inv % 1000000),
		    (unsigned long long)(op->res % 1000000), obuf);
	}
	if (h == last_search.h && last_search.best_depth >= 0 &&
	    last_search.best_depth < h->n) {
		char line[512];
		size_t o = 0;

		line[0] = '\0';
		for (i = 0; i < last_search.best_depth && o < sizeof(line); i++)
			o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%d",
			    i ? " " : "", last_search.best_order[i]);
		m->show(m, last_search.best_state, sbuf, sizeof(sbuf));
		diag("  longest legal prefix (%d ops): %s",
		    last_search.best_depth, line);
		diag("  ... reaching state: %s; no next operation fits", sbuf);
	}
}
