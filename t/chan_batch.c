/*
 * t/chan_batch.c - the batch forms that never wait (issue 16):
 * achan_chan_try_send_many, achan_chan_try_send_all and
 * achan_chan_try_recv_many; and the forms that wait (send_many, recv_many,
 * their _until twins, the batch futures).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * One body, run for the thread-safe and the ACHAN_LOCAL flavour (the flags
 * are its parameter), over capacities 1, 2, 5, 64 and 0 (unbuffered) and
 * element sizes 0, 8 and 24:
 *   - n = 0 / max = 0: OK, count 0, nothing moved, even when closed;
 *   - try_send_many fills exactly the free room, in order; FULL (count 0)
 *     when none fits, CLOSED when closed; the values not sent are not in
 *     the channel;
 *   - batches across the end of the ring, at every head position of the
 *     small rings, and a random sequence of every form checked against a
 *     model queue (exact statuses, counts and values);
 *   - try_send_all: all or none;
 *   - try_recv_many: up to max, oldest first; EMPTY; CLOSED only when closed
 *     and drained;
 *   - waiting futures: a waiting sender keeps FIFO (try_send_many answers
 *     FULL while it waits; try_recv_many serves it), try_send_many wakes
 *     waiting receivers (at least one, at most one per value);
 *   - unbuffered: one rendezvous per value, both ways;
 *   - bad input: EINVAL and nothing moved.
 *   - the waiting forms: local channels answer EDEADLK with the count
 *     where they would wait; thread-safe ones (elem_size 24) block until
 *     another thread receives / sends, TIMEDOUT and CLOSED with the count;
 *   - batch futures: PENDING with a partial count, FIFO ahead of later
 *     senders, cancel with the count, recv_many woken once; unbuffered:
 *     one rendezvous per value; bad input EINVAL.
 * Then, thread-safe only: 3 producers mixing try_send_many (batches of
 * 1..40, the rest retried on FULL) and try_send, 2 consumers mixing
 * try_recv_many and try_recv, capacities 16 and 1, for 0.4 x
 * ACHAN_TEST_SECONDS each (or 2^21 values per producer): every value
 * (producer id, sequence, check word) received exactly once, in order per
 * producer in each consumer.  Then the same with send_many (1..64) and
 * recv_many (1..64) over capacities 16, 1 and 0, for 0.1 x
 * ACHAN_TEST_SECONDS each.
 *
 * Each scenario is one TAP line; the checks inside it print the line, the
 * expression and both values when they fail.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>

#include "test_util.h"

#define MAXN   160   /* values in a test batch (> 64 + a few) */
#define ES_MAX 24    /* the largest element size tested */

#define AT(buf, es, i) ((buf) + (size_t)(i) * (es))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* --- scenario checks --------------------------------------------------------- */

static char ctx[96];     /* "local cap 5 es 24" */
static int g_ok;         /* the current scenario has passed so far */
static int g_nfail;      /* failed checks printed in this scenario */

static void
fail_(int line, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	g_ok = 0;
	if (++g_nfail > 8)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	diag("    %s: line %d: %s", ctx, line, buf);
}

static int
chk_(int c, int line, const char *expr)
{
	if (!c)
		fail_(line, "%s", expr);
	return c;
}

static int
chk_st_(int got, int want, int line, const char *expr)
{
	if (got != want)
		fail_(line, "%s: got %s (%d), expected %s", expr, st_name(got),
				got, st_name(want));
	return got == want;
}

static int
chk_u_(unsigned long long got, unsigned long long want, int line,
		const char *expr)
{
	if (got != want)
		fail_(line, "%s: got %llu, expected %llu", expr, got, want);
	return got == want;
}

#define CHK(c) chk_(!!(c), __LINE__, #c)
#define CHK_ST(got, want) chk_st_((got), (want), __LINE__, #got)
#define CHK_U(got, want) \
	chk_u_((unsigned long long)(got), (unsigned long long)(want), __LINE__, #got)

static void
begin(void)
{
	g_ok = 1;
	g_nfail = 0;
}

static void
end(const char *what)
{
	ok(g_ok, "%s: %s", ctx, what);
}

/* --- values ---------------------------------------------------------------- */

/*
 * A value is a 64-bit tag spread over the element: the tag, its complement
 * and a multiple, so that a torn or misplaced copy of any part shows.  With
 * elem_size 0 there is nothing to compare (only counts).
 */
static uint64_t g_tag = 1000;

static void
put(unsigned char *p, size_t es, uint64_t t)
{
	uint64_t w[3] = { t, ~t, t * 0x9E3779B97F4A7C15ULL };

	memcpy(p, w, es);
}

static int
is_val(const unsigned char *p, size_t es, uint64_t t)
{
	unsigned char q[ES_MAX];

	put(q, es, t);
	return memcmp(p, q, es) == 0;
}

struct batch {
	unsigned char b[MAXN * ES_MAX];
	uint64_t tag[MAXN];
};

/* n fresh values (tags never seen before in this run). */
static void
mkbatch(struct batch *bt, size_t es, size_t n)
{
	memset(bt->b, 0x5A, sizeof(bt->b));
	for (size_t i = 0; i < n && i < MAXN; i++) {
		bt->tag[i] = g_tag++;
		put(AT(bt->b, es, i), es, bt->tag[i]);
	}
}

/* 1 if out[0..n) holds tags[0..n); else reports the first difference. */
static int
vals_are_(const unsigned char *out, size_t es, const uint64_t *tags,
		size_t n, int line)
{
	for (size_t i = 0; i < n; i++)
		if (!is_val(AT(out, es, i), es, tags[i])) {
			uint64_t g = 0;
			memcpy(&g, AT(out, es, i), MIN(es, sizeof(g)));
			fail_(line, "value %zu of %zu: tag %llu, expected %llu",
					i, n, (unsigned long long)g,
					(unsigned long long)tags[i]);
			return 0;
		}
	return 1;
}
#define VALS_ARE(out, es, tags, n) vals_are_((out), (es), (tags), (n), __LINE__)

/* 1 if all n bytes of p are b. */
static int
untouched(const unsigned char *p, size_t n, unsigned char b)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != b)
			return 0;
	return 1;
}

/*
 * The oracle: take everything with single try_recv and check it is exactly
 * tags[0..n), then EMPTY (CLOSED once closed).  Drains the channel.
 */
static void
contents_are_(struct achan_chan *ch, size_t es, const uint64_t *tags,
		size_t n, int line)
{
	unsigned char v[ES_MAX];
	int end_st = achan_chan_is_closed(ch) ? ACHAN_CLOSED : ACHAN_EMPTY;
	int st;

	for (size_t i = 0; i < n; i++) {
		memset(v, 0xEE, sizeof(v));
		st = achan_chan_try_recv(ch, v);
		if (st != ACHAN_OK) {
			fail_(line, "contents: value %zu of %zu: try_recv %s",
					i, n, st_name(st));
			return;
		}
		if (!is_val(v, es, tags[i])) {
			uint64_t g = 0;
			memcpy(&g, v, MIN(es, sizeof(g)));
			fail_(line, "contents: value %zu of %zu: tag %llu, expected %llu",
					i, n, (unsigned long long)g,
					(unsigned long long)tags[i]);
			return;
		}
	}
	st = achan_chan_try_recv(ch, v);
	if (st != end_st)
		fail_(line, "contents: after %zu values try_recv %s, expected %s",
				n, st_name(st), st_name(end_st));
}
#define CONTENTS_ARE(ch, es, tags, n) contents_are_((ch), (es), (tags), (n), __LINE__)

static struct achan_chan *
mk(size_t es, size_t cap, unsigned flags)
{
	struct achan_chan *ch = NULL;

	if (achan_chan_create(&ch, es, cap, flags) != ACHAN_OK || !ch)
		bail_out("achan_chan_create(%zu, %zu, %u) failed", es, cap, flags);
	return ch;
}

static void
destroy(struct achan_chan *ch)
{
	CHK_ST(achan_chan_destroy(ch), ACHAN_OK);
}

/* Send n values of bt one at a time with try_send; 1 if all went in. */
static int
send_singles_(struct achan_chan *ch, size_t es, const struct batch *bt,
		size_t n, int line)
{
	for (size_t i = 0; i < n; i++) {
		int st = achan_chan_try_send(ch, AT(bt->b, es, i));
		if (st != ACHAN_OK) {
			fail_(line, "try_send of value %zu: %s", i, st_name(st));
			return 0;
		}
	}
	return 1;
}
#define SEND_SINGLES(ch, es, bt, n) send_singles_((ch), (es), (bt), (n), __LINE__)

/* --- n = 0 / max = 0 ---------------------------------------------------------- */

static void
t_zero(unsigned flags, size_t cap, size_t es)
{
	struct achan_chan *ch = mk(es, cap, flags);
	static struct batch bt;
	unsigned char out[MAXN * ES_MAX];
	unsigned char rout[ES_MAX];
	struct achan_chan_recv_future rf;
	struct rec_waker w;
	size_t sent, got;
	size_t inside = 0;

	begin();
	mkbatch(&bt, es, cap > 4 ? cap : 4);
	memset(out, 0xA5, sizeof(out));

	/* a receiver waiting: n = 0 gives it nothing and does not wake it */
	rec_init(&w, 0, NULL);
	memset(rout, 0xA5, sizeof(rout));
	achan_chan_recv_future_init(&rf, ch, rout);
	CHK_ST(achan_chan_recv_poll(&rf, &w.w), ACHAN_PENDING);
	sent = 99;
	CHK_ST(achan_chan_try_send_many(ch, bt.b, 0, &sent), ACHAN_OK);
	CHK_U(sent, 0);
	sent = 99;
	CHK_ST(achan_chan_try_send_many(ch, NULL, 0, &sent), ACHAN_OK);
	CHK_U(sent, 0);
	CHK_ST(achan_chan_try_send_all(ch, bt.b, 0), ACHAN_OK);
	CHK_ST(achan_chan_try_send_all(ch, NULL, 0), ACHAN_OK);
	CHK_U(rec_calls(&w), 0);
	CHK(untouched(rout, sizeof(rout), 0xA5));
	CHK_U(achan_chan_len(ch), 0);
	CHK_ST(achan_chan_recv_cancel(&rf), ACHAN_CANCELLED);

	/* an empty channel: max = 0 is OK, not EMPTY */
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, 0, &got), ACHAN_OK);
	CHK_U(got, 0);
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, NULL, 0, &got), ACHAN_OK);
	CHK_U(got, 0);

	if (cap > 0) {
		/* a full channel: n = 0 is OK, not FULL; max = 0 takes nothing */
		CHK(SEND_SINGLES(ch, es, &bt, cap));
		inside = cap;
		sent = 99;
		CHK_ST(achan_chan_try_send_many(ch, AT(bt.b, es, 1), 0, &sent), ACHAN_OK);
		CHK_U(sent, 0);
		CHK_ST(achan_chan_try_send_all(ch, AT(bt.b, es, 1), 0), ACHAN_OK);
		got = 99;
		CHK_ST(achan_chan_try_recv_many(ch, out, 0, &got), ACHAN_OK);
		CHK_U(got, 0);
		CHK_U(achan_chan_len(ch), cap);
	}

	/* closed: still OK with nothing moved */
	CHK_ST(achan_chan_close(ch), ACHAN_NEWLY_CLOSED);
	sent = 99;
	CHK_ST(achan_chan_try_send_many(ch, bt.b, 0, &sent), ACHAN_OK);
	CHK_U(sent, 0);
	CHK_ST(achan_chan_try_send_all(ch, bt.b, 0), ACHAN_OK);
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, 0, &got), ACHAN_OK);
	CHK_U(got, 0);
	CHK_U(achan_chan_len(ch), inside);
	CONTENTS_ARE(ch, es, bt.tag, inside);   /* drained: then CLOSED */
	/* closed and drained: max = 0 is still OK, not CLOSED */
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, 0, &got), ACHAN_OK);
	CHK_U(got, 0);
	CHK(untouched(out, sizeof(out), 0xA5));
	destroy(ch);
	end("n = 0 / max = 0: OK, count 0, nothing moved, nobody woken, also when full or closed");
}

/* --- bounded: try_send_many ------------------------------------------------------ */

static void
t_send_many(unsigned flags, size_t cap, size_t es)
{
	static struct batch pre, bt;
	size_t ks[3] = { 0, cap / 2, cap - 1 };

	begin();
	for (int j = 0; j < 3; j++) {
		size_t k = ks[j], room = cap - k, n = cap + 3, sent;
		struct achan_chan *ch;
		uint64_t exp[MAXN];

		if (j > 0 && ks[j] == ks[j - 1])
			continue;
		ch = mk(es, cap, flags);
		mkbatch(&pre, es, k);
		mkbatch(&bt, es, n);
		CHK(SEND_SINGLES(ch, es, &pre, k));
		sent = 99;
		CHK_ST(achan_chan_try_send_many(ch, bt.b, n, &sent), ACHAN_OK);
		CHK_U(sent, room);
		CHK_U(achan_chan_len(ch), cap);
		/* the rest stays with the caller: none fits now */
		sent = 99;
		CHK_ST(achan_chan_try_send_many(ch, AT(bt.b, es, room), n - room,
					&sent), ACHAN_FULL);
		CHK_U(sent, 0);
		CHK_ST(achan_chan_try_send(ch, AT(bt.b, es, room)), ACHAN_FULL);
		CHK_U(achan_chan_len(ch), cap);
		/* exactly pre[0..k) then bt[0..room): the values not sent are
		 * not in the channel */
		memcpy(exp, pre.tag, k * sizeof(exp[0]));
		memcpy(exp + k, bt.tag, room * sizeof(exp[0]));
		CONTENTS_ARE(ch, es, exp, cap);
		destroy(ch);
	}

	/* fewer values than room: all of them, *sent = n */
	{
		struct achan_chan *ch = mk(es, cap, flags);
		size_t n1 = cap > 2 ? cap - 2 : 1, sent = 99;
		uint64_t exp[MAXN];

		mkbatch(&bt, es, n1);
		CHK_ST(achan_chan_try_send_many(ch, bt.b, n1, &sent), ACHAN_OK);
		CHK_U(sent, n1);
		CHK_U(achan_chan_len(ch), n1);
		memcpy(exp, bt.tag, n1 * sizeof(exp[0]));
		if (cap > n1) {
			mkbatch(&pre, es, 1);
			sent = 99;
			CHK_ST(achan_chan_try_send_many(ch, pre.b, 1, &sent), ACHAN_OK);
			CHK_U(sent, 1);
			exp[n1++] = pre.tag[0];
		}
		CONTENTS_ARE(ch, es, exp, n1);
		destroy(ch);
	}
	end("try_send_many: exactly the free room, in order; FULL with *sent 0; the rest stays with the caller");
}

/* --- closed ------------------------------------------------------------------------ */

static void
t_closed(unsigned flags, size_t cap, size_t es)
{
	static struct batch pre, bt;
	unsigned char out[MAXN * ES_MAX];
	size_t sent, got;

	begin();
	/* closed and empty */
	{
		struct achan_chan *ch = mk(es, cap, flags);

		mkbatch(&bt, es, 3);
		CHK_ST(achan_chan_close(ch), ACHAN_NEWLY_CLOSED);
		sent = 99;
		CHK_ST(achan_chan_try_send_many(ch, bt.b, 3, &sent), ACHAN_CLOSED);
		CHK_U(sent, 0);
		CHK_ST(achan_chan_try_send_all(ch, bt.b, 1), ACHAN_CLOSED);
		CHK_U(achan_chan_len(ch), 0);
		got = 99;
		CHK_ST(achan_chan_try_recv_many(ch, out, 3, &got), ACHAN_CLOSED);
		CHK_U(got, 0);
		destroy(ch);
	}
	if (cap == 0) {
		end("closed: try_send_many / try_send_all CLOSED (count 0), try_recv_many CLOSED");
		return;
	}
	/* values inside (full, and with room), then closed: sends CLOSED,
	 * receives drain with OK, then CLOSED */
	for (int full = 0; full < 2; full++) {
		struct achan_chan *ch = mk(es, cap, flags);
		size_t k = full ? cap : (cap + 1) / 2, first;

		if (!full && k == cap)
			k = cap - 1;  /* capacity 1: an empty one is above */
		first = k > 1 ? k - 1 : 1;
		mkbatch(&pre, es, k);
		mkbatch(&bt, es, 3);
		CHK(SEND_SINGLES(ch, es, &pre, k));
		CHK_ST(achan_chan_close(ch), ACHAN_NEWLY_CLOSED);
		sent = 99;
		CHK_ST(achan_chan_try_send_many(ch, bt.b, 3, &sent), ACHAN_CLOSED);
		CHK_U(sent, 0);
		CHK_ST(achan_chan_try_send_all(ch, bt.b, 1), ACHAN_CLOSED);
		CHK_U(achan_chan_len(ch), k);
		if (k > 0) {
			got = 99;
			CHK_ST(achan_chan_try_recv_many(ch, out, first, &got), ACHAN_OK);
			CHK_U(got, first);
			VALS_ARE(out, es, pre.tag, first);
			if (k > first) {
				got = 99;
				CHK_ST(achan_chan_try_recv_many(ch, out, MAXN, &got),
						ACHAN_OK);
				CHK_U(got, k - first);
				VALS_ARE(out, es, pre.tag + first, k - first);
			}
		}
		got = 99;
		CHK_ST(achan_chan_try_recv_many(ch, out, MAXN, &got), ACHAN_CLOSED);
		CHK_U(got, 0);
		got = 99;
		CHK_ST(achan_chan_try_recv_many(ch, out, 1, &got), ACHAN_CLOSED);
		CHK_U(got, 0);
		destroy(ch);
	}
	end("closed: sends CLOSED with count 0 (empty, part full, full); try_recv_many drains, then CLOSED");
}

/* --- bounded: across the end of the ring --------------------------------------- */

static void
t_wrap(unsigned flags, size_t cap, size_t es)
{
	static struct batch adv, bt, one;
	unsigned char out[MAXN * ES_MAX];
	size_t offs[8], noff = 0;

	if (cap <= 5) {
		for (size_t o = 0; o < cap; o++)
			offs[noff++] = o;
	} else {
		size_t cand[5] = { 0, 1, cap / 2, cap - 2, cap - 1 };
		for (int i = 0; i < 5; i++)
			offs[noff++] = cand[i];
	}
	begin();
	for (size_t oi = 0; oi < noff; oi++) {
		size_t off = offs[oi], sent, got;
		struct achan_chan *ch = mk(es, cap, flags);
		uint64_t exp[MAXN];

		/* move head and tail to position off */
		mkbatch(&adv, es, off);
		CHK(SEND_SINGLES(ch, es, &adv, off));
		CONTENTS_ARE(ch, es, adv.tag, off);

		/* a full batch from off, across the end, out in one batch */
		mkbatch(&bt, es, cap + 2);
		sent = 99;
		CHK_ST(achan_chan_try_send_many(ch, bt.b, cap + 2, &sent), ACHAN_OK);
		CHK_U(sent, cap);
		CHK_U(achan_chan_len(ch), cap);
		memset(out, 0xA5, sizeof(out));
		got = 99;
		CHK_ST(achan_chan_try_recv_many(ch, out, cap, &got), ACHAN_OK);
		CHK_U(got, cap);
		VALS_ARE(out, es, bt.tag, cap);
		CHK_U(achan_chan_len(ch), 0);

		/* head back at off: one value in, then a batch that fills the
		 * rest across the end; the receives cross it in two batches */
		mkbatch(&one, es, 1);
		CHK(SEND_SINGLES(ch, es, &one, 1));
		mkbatch(&bt, es, cap);
		sent = 99;
		if (cap > 1) {
			CHK_ST(achan_chan_try_send_many(ch, bt.b, cap, &sent), ACHAN_OK);
			CHK_U(sent, cap - 1);
		} else {
			CHK_ST(achan_chan_try_send_many(ch, bt.b, cap, &sent), ACHAN_FULL);
			CHK_U(sent, 0);
		}
		exp[0] = one.tag[0];
		memcpy(exp + 1, bt.tag, (cap - 1) * sizeof(exp[0]));
		{
			size_t a = (cap + 1) / 2;
			got = 99;
			CHK_ST(achan_chan_try_recv_many(ch, out, a, &got), ACHAN_OK);
			CHK_U(got, a);
			VALS_ARE(out, es, exp, a);
			if (cap > a) {
				got = 99;
				CHK_ST(achan_chan_try_recv_many(ch, out, MAXN, &got),
						ACHAN_OK);
				CHK_U(got, cap - a);
				VALS_ARE(out, es, exp + a, cap - a);
			}
		}
		got = 99;
		CHK_ST(achan_chan_try_recv_many(ch, out, MAXN, &got), ACHAN_EMPTY);
		CHK_U(got, 0);
		destroy(ch);
		if (!g_ok) {
			diag("    %s: head at %zu", ctx, off);
			break;
		}
	}
	end("batches across the end of the ring, from every head position tested");
}

/* --- bounded: a random sequence of every form against a model queue -------- */

#define QMOD 256   /* model ring; holds far more than a capacity of 64 */

static void
t_model(unsigned flags, size_t cap, size_t es)
{
	static struct batch bt;
	unsigned char out[MAXN * ES_MAX];
	uint64_t q[QMOD], exp[MAXN];
	size_t qh = 0, qt = 0;    /* model: q[qh..qt) (mod QMOD) */
	uint64_t seed = 0x9E3779B97F4A7C15ULL ^ (cap * 131 + es * 7 + flags);
	struct achan_chan *ch = mk(es, cap, flags);
	unsigned long nsent = 0, nrecv = 0;
	int step;

	begin();
	for (step = 0; step < 600 && g_ok; step++) {
		size_t len = qt - qh, room = cap - len, n, k, cnt = 99;
		unsigned op = (unsigned)(tu_rand(&seed) % 7);
		int st;

		switch (op) {
		case 0: case 1:    /* try_send_many */
			n = (size_t)(tu_rand(&seed) % (cap + 3));
			mkbatch(&bt, es, n);
			st = achan_chan_try_send_many(ch, bt.b, n, &cnt);
			k = MIN(n, room);
			CHK_ST(st, n == 0 || k > 0 ? ACHAN_OK : ACHAN_FULL);
			CHK_U(cnt, k);
			for (size_t i = 0; i < k; i++)
				q[qt++ % QMOD] = bt.tag[i];
			nsent += k;
			break;
		case 2:            /* try_send_all */
			n = (size_t)(tu_rand(&seed) % (cap + 2));
			mkbatch(&bt, es, n);
			st = achan_chan_try_send_all(ch, bt.b, n);
			k = n <= room ? n : 0;
			CHK_ST(st, n <= room ? ACHAN_OK : ACHAN_FULL);
			for (size_t i = 0; i < k; i++)
				q[qt++ % QMOD] = bt.tag[i];
			nsent += k;
			break;
		case 3: case 4:    /* try_recv_many */
			n = (size_t)(tu_rand(&seed) % (cap + 3));
			memset(out, 0xA5, sizeof(out));
			st = achan_chan_try_recv_many(ch, out, n, &cnt);
			k = MIN(n, len);
			CHK_ST(st, n == 0 || k > 0 ? ACHAN_OK : ACHAN_EMPTY);
			CHK_U(cnt, k);
			for (size_t i = 0; i < k; i++)
				exp[i] = q[qh++ % QMOD];
			VALS_ARE(out, es, exp, k);
			nrecv += k;
			break;
		case 5:            /* a single try_send between the batches */
			mkbatch(&bt, es, 1);
			st = achan_chan_try_send(ch, bt.b);
			CHK_ST(st, room > 0 ? ACHAN_OK : ACHAN_FULL);
			if (room > 0) {
				q[qt++ % QMOD] = bt.tag[0];
				nsent++;
			}
			break;
		default:           /* a single try_recv */
			memset(out, 0xA5, sizeof(out));
			st = achan_chan_try_recv(ch, out);
			CHK_ST(st, len > 0 ? ACHAN_OK : ACHAN_EMPTY);
			if (len > 0) {
				exp[0] = q[qh++ % QMOD];
				VALS_ARE(out, es, exp, 1);
				nrecv++;
			}
			break;
		}
		CHK_U(achan_chan_len(ch), qt - qh);
		if (!g_ok)
			diag("    %s: step %d, op %u", ctx, step, op);
	}
	/* what is left is the model's tail, in order */
	for (size_t i = 0; qh + i < qt; i++)
		exp[i] = q[(qh + i) % QMOD];
	CONTENTS_ARE(ch, es, exp, qt - qh);
	/* the sequence did both: it filled and drained the ring many times */
	CHK(nsent > 4 * cap && nrecv > 4 * cap);
	destroy(ch);
	end("600 random batch / single operations: statuses, counts and values as a FIFO model");
}

/* --- bounded: try_send_all ------------------------------------------------------- */

static void
t_send_all(unsigned flags, size_t cap, size_t es)
{
	static struct batch pre, bt;
	struct achan_chan *ch;

	begin();
	/* exactly the capacity into an empty channel */
	ch = mk(es, cap, flags);
	mkbatch(&bt, es, cap + 1);
	CHK_ST(achan_chan_try_send_all(ch, bt.b, cap), ACHAN_OK);
	CHK_U(achan_chan_len(ch), cap);
	CHK_ST(achan_chan_try_send_all(ch, AT(bt.b, es, cap), 1), ACHAN_FULL);
	CHK_U(achan_chan_len(ch), cap);
	CONTENTS_ARE(ch, es, bt.tag, cap);

	/* more than the capacity: FULL, nothing in */
	mkbatch(&bt, es, cap + 1);
	CHK_ST(achan_chan_try_send_all(ch, bt.b, cap + 1), ACHAN_FULL);
	CHK_U(achan_chan_len(ch), 0);
	CHK_ST(achan_chan_try_send_all(ch, bt.b, ACHAN_CHAN_MAX_BATCH), ACHAN_FULL);
	CHK_U(achan_chan_len(ch), 0);
	CONTENTS_ARE(ch, es, bt.tag, 0);

	/* k inside: one more than the room is FULL and leaves the channel as
	 * it was; exactly the room is OK */
	{
		size_t k = cap / 2, room = cap - k;
		uint64_t exp[MAXN];

		mkbatch(&pre, es, k);
		CHK(SEND_SINGLES(ch, es, &pre, k));
		mkbatch(&bt, es, room + 1);
		CHK_ST(achan_chan_try_send_all(ch, bt.b, room + 1), ACHAN_FULL);
		CHK_U(achan_chan_len(ch), k);
		CHK_ST(achan_chan_try_send_all(ch, bt.b, room), ACHAN_OK);
		CHK_U(achan_chan_len(ch), cap);
		memcpy(exp, pre.tag, k * sizeof(exp[0]));
		memcpy(exp + k, bt.tag, room * sizeof(exp[0]));
		CONTENTS_ARE(ch, es, exp, cap);

		/* the FULL batch left the channel untouched: a part-full
		 * channel, refused, then drained, has only what was in */
		mkbatch(&pre, es, k);
		CHK(SEND_SINGLES(ch, es, &pre, k));
		mkbatch(&bt, es, room + 1);
		CHK_ST(achan_chan_try_send_all(ch, bt.b, room + 1), ACHAN_FULL);
		CONTENTS_ARE(ch, es, pre.tag, k);
	}
	destroy(ch);
	end("try_send_all: all or none; exactly the capacity fits an empty channel, n > capacity is FULL");
}

/* --- bounded: try_recv_many ------------------------------------------------------ */

static void
t_recv_many(unsigned flags, size_t cap, size_t es)
{
	static struct batch bt;
	unsigned char out[MAXN * ES_MAX];
	struct achan_chan *ch = mk(es, cap, flags);
	size_t got, taken = 0;

	begin();
	memset(out, 0xA5, sizeof(out));
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, 3, &got), ACHAN_EMPTY);
	CHK_U(got, 0);
	CHK(untouched(out, sizeof(out), 0xA5));

	/* a full channel, taken in batches of 1, 2, then more than is left */
	mkbatch(&bt, es, cap);
	CHK(SEND_SINGLES(ch, es, &bt, cap));
	for (size_t want = 1; taken < cap && want <= 2; want++) {
		size_t k = MIN(want, cap - taken);
		got = 99;
		CHK_ST(achan_chan_try_recv_many(ch, out, want, &got), ACHAN_OK);
		CHK_U(got, k);
		VALS_ARE(out, es, bt.tag + taken, k);
		taken += k;
		CHK_U(achan_chan_len(ch), cap - taken);
	}
	if (taken < cap) {
		got = 99;
		CHK_ST(achan_chan_try_recv_many(ch, out, cap + 5, &got), ACHAN_OK);
		CHK_U(got, cap - taken);
		VALS_ARE(out, es, bt.tag + taken, cap - taken);
	}
	got = 99;
	memset(out, 0xA5, sizeof(out));
	CHK_ST(achan_chan_try_recv_many(ch, out, MAXN, &got), ACHAN_EMPTY);
	CHK_U(got, 0);
	CHK(untouched(out, sizeof(out), 0xA5));

	/* several batches in, several out: send order */
	{
		static struct batch b2;
		size_t n1 = (cap + 1) / 2, sent = 99, k;
		uint64_t exp[MAXN];

		mkbatch(&bt, es, n1);
		CHK_ST(achan_chan_try_send_many(ch, bt.b, n1, &sent), ACHAN_OK);
		CHK_U(sent, n1);
		mkbatch(&b2, es, cap);
		sent = 99;
		CHK_ST(achan_chan_try_send_many(ch, b2.b, cap, &sent),
				cap > n1 ? ACHAN_OK : ACHAN_FULL);
		CHK_U(sent, cap - n1);
		memcpy(exp, bt.tag, n1 * sizeof(exp[0]));
		memcpy(exp + n1, b2.tag, (cap - n1) * sizeof(exp[0]));
		taken = 0;
		while (taken < cap && g_ok) {
			size_t want = taken % 3 + 1;
			k = MIN(want, cap - taken);
			got = 99;
			CHK_ST(achan_chan_try_recv_many(ch, out, want, &got), ACHAN_OK);
			CHK_U(got, k);
			VALS_ARE(out, es, exp + taken, k);
			taken += k;
		}
	}
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, MAXN, &got), ACHAN_EMPTY);
	CHK_U(got, 0);
	destroy(ch);
	end("try_recv_many: up to max, oldest first, send order across batches; EMPTY with *got 0");
}

/* --- bounded: a waiting sender keeps FIFO ---------------------------------------- */

static void
t_waiting_sender(unsigned flags, size_t cap, size_t es)
{
	static struct batch a, s, nb;
	unsigned char out[MAXN * ES_MAX];
	struct achan_chan_send_future sf[2];
	struct rec_waker w[2];
	uint64_t exp[MAXN];
	size_t nexp = 0, pos = 0, sent, got;
	int nsf = cap >= 2 ? 2 : 1;
	struct achan_chan *ch = mk(es, cap, flags);

	begin();
	mkbatch(&a, es, cap);
	mkbatch(&s, es, 2);
	CHK(SEND_SINGLES(ch, es, &a, cap));
	memcpy(exp, a.tag, cap * sizeof(exp[0]));
	nexp = cap;
	for (int i = 0; i < nsf; i++) {
		rec_init(&w[i], i, NULL);
		achan_chan_send_future_init(&sf[i], ch, AT(s.b, es, i));
		CHK_ST(achan_chan_send_poll(&sf[i], &w[i].w), ACHAN_PENDING);
		exp[nexp++] = s.tag[i];
	}
	/* while it waits, a batch is refused: it would overtake the sender */
	mkbatch(&nb, es, 3);
	sent = 99;
	CHK_ST(achan_chan_try_send_many(ch, nb.b, 3, &sent), ACHAN_FULL);
	CHK_U(sent, 0);
	CHK_ST(achan_chan_try_send_all(ch, nb.b, 1), ACHAN_FULL);
	CHK_U(achan_chan_len(ch), cap);
	CHK_U(rec_calls(&w[0]), 0);

	/* one value out: the oldest waiting sender's value moves in */
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, 1, &got), ACHAN_OK);
	CHK_U(got, 1);
	VALS_ARE(out, es, exp + pos, 1);
	pos += 1;
	CHK_U(achan_chan_len(ch), cap);
	CHK_U(rec_calls(&w[0]), 1);
	if (nsf > 1)
		CHK_U(rec_calls(&w[1]), 0);
	CHK_ST(achan_chan_send_poll(&sf[0], &w[0].w), ACHAN_OK);

	if (nsf > 1) {
		/* the second sender still waits: still FULL for newcomers */
		sent = 99;
		CHK_ST(achan_chan_try_send_many(ch, nb.b, 1, &sent), ACHAN_FULL);
		CHK_U(sent, 0);
		/* two out: the second sender is served, one slot stays free */
		got = 99;
		CHK_ST(achan_chan_try_recv_many(ch, out, 2, &got), ACHAN_OK);
		CHK_U(got, 2);
		VALS_ARE(out, es, exp + pos, 2);
		pos += 2;
		CHK_U(achan_chan_len(ch), cap - 1);
		CHK_U(rec_calls(&w[1]), 1);
		CHK_ST(achan_chan_send_poll(&sf[1], &w[1].w), ACHAN_OK);
		/* now a batch gets exactly that slot, behind the senders */
		sent = 99;
		CHK_ST(achan_chan_try_send_many(ch, nb.b, 3, &sent), ACHAN_OK);
		CHK_U(sent, 1);
		exp[nexp++] = nb.tag[0];
	} else {
		sent = 99;
		CHK_ST(achan_chan_try_send_many(ch, nb.b, 3, &sent), ACHAN_FULL);
		CHK_U(sent, 0);
	}
	CONTENTS_ARE(ch, es, exp + pos, nexp - pos);
	destroy(ch);

	/* a batch larger than the channel: every buffered value, and the
	 * waiting sender's value either in the batch (last) or in the channel */
	ch = mk(es, cap, flags);
	mkbatch(&a, es, cap);
	mkbatch(&s, es, 1);
	CHK(SEND_SINGLES(ch, es, &a, cap));
	rec_init(&w[0], 0, NULL);
	achan_chan_send_future_init(&sf[0], ch, s.b);
	CHK_ST(achan_chan_send_poll(&sf[0], &w[0].w), ACHAN_PENDING);
	memcpy(exp, a.tag, cap * sizeof(exp[0]));
	exp[cap] = s.tag[0];
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, cap + 5, &got), ACHAN_OK);
	CHK(got == cap || got == cap + 1);
	if (got <= cap + 1)
		VALS_ARE(out, es, exp, got);
	CHK_U(rec_calls(&w[0]), 1);
	CHK_ST(achan_chan_send_poll(&sf[0], &w[0].w), ACHAN_OK);
	if (got <= cap + 1)
		CONTENTS_ARE(ch, es, exp + got, cap + 1 - got);
	destroy(ch);
	end("a waiting send future keeps FIFO: batches FULL while it waits, try_recv_many serves it");
}

/* --- bounded: waiting receivers woken by a batch ----------------------------- */

static void
t_waiting_receivers(unsigned flags, size_t cap, size_t es)
{
	enum { NR = 3 };
	static struct batch bt;
	unsigned char rout[NR][ES_MAX];
	struct achan_chan_recv_future rf[NR];
	struct rec_waker w[NR];
	struct wake_log log;

	begin();
	for (size_t k = 1; k <= MIN(cap, 4); k++) {
		struct achan_chan *ch = mk(es, cap, flags);
		size_t sent = 99, woken = 0, nok = 0;

		wake_log_reset(&log);
		for (int i = 0; i < NR; i++) {
			rec_init(&w[i], i, &log);
			memset(rout[i], 0xA5, ES_MAX);
			achan_chan_recv_future_init(&rf[i], ch, rout[i]);
			CHK_ST(achan_chan_recv_poll(&rf[i], &w[i].w), ACHAN_PENDING);
		}
		mkbatch(&bt, es, k);
		CHK_ST(achan_chan_try_send_many(ch, bt.b, k, &sent), ACHAN_OK);
		CHK_U(sent, k);
		for (int i = 0; i < NR; i++) {
			CHK(rec_calls(&w[i]) <= 1);
			woken += (size_t)rec_calls(&w[i]);
		}
		/* at least one woken, at most one per value (and per receiver) */
		CHK(woken >= 1);
		CHK(woken <= MIN(k, (size_t)NR));
		CHK_U(wake_log_len(&log), woken);
		/* oldest first */
		for (int i = 0; i < (int)woken; i++)
			CHK_U(wake_log_at(&log, i), i);
		/* every receiver polled in turn gets the next value */
		for (int i = 0; i < NR; i++) {
			int st = achan_chan_recv_poll(&rf[i], &w[i].w);
			if ((size_t)i < k) {
				CHK_ST(st, ACHAN_OK);
				VALS_ARE(rout[i], es, bt.tag + i, 1);
				nok++;
			} else {
				CHK_ST(st, ACHAN_PENDING);
				CHK_ST(achan_chan_recv_cancel(&rf[i]), ACHAN_CANCELLED);
			}
		}
		CONTENTS_ARE(ch, es, bt.tag + nok, k - nok);
		destroy(ch);
		if (!g_ok) {
			diag("    %s: %zu values sent to %d waiting receivers", ctx, k, NR);
			break;
		}
	}
	end("try_send_many wakes waiting receive futures: at least one, at most one per value, oldest first");
}

/* --- unbuffered ------------------------------------------------------------------ */

static void
t_unbuf_send(unsigned flags, size_t es)
{
	static struct batch bt;
	unsigned char rout[3][ES_MAX];
	struct achan_chan_recv_future rf[3];
	struct rec_waker w[3];
	struct achan_chan *ch = mk(es, 0, flags);
	size_t sent;

	begin();
	/* nobody waiting */
	mkbatch(&bt, es, 3);
	sent = 99;
	CHK_ST(achan_chan_try_send_many(ch, bt.b, 3, &sent), ACHAN_FULL);
	CHK_U(sent, 0);
	CHK_ST(achan_chan_try_send_all(ch, bt.b, 1), ACHAN_FULL);

	/* two receivers, three values: two meet a receiver, one stays */
	for (int i = 0; i < 2; i++) {
		rec_init(&w[i], i, NULL);
		memset(rout[i], 0xA5, ES_MAX);
		achan_chan_recv_future_init(&rf[i], ch, rout[i]);
		CHK_ST(achan_chan_recv_poll(&rf[i], &w[i].w), ACHAN_PENDING);
	}
	sent = 99;
	CHK_ST(achan_chan_try_send_many(ch, bt.b, 3, &sent), ACHAN_OK);
	CHK_U(sent, 2);
	for (int i = 0; i < 2; i++) {
		CHK_U(rec_calls(&w[i]), 1);
		VALS_ARE(rout[i], es, bt.tag + i, 1);   /* handed over already */
	}
	for (int i = 0; i < 2; i++) {
		CHK_ST(achan_chan_recv_poll(&rf[i], &w[i].w), ACHAN_OK);
		VALS_ARE(rout[i], es, bt.tag + i, 1);
	}
	sent = 99;
	CHK_ST(achan_chan_try_send_many(ch, AT(bt.b, es, 2), 1, &sent), ACHAN_FULL);
	CHK_U(sent, 0);
	CONTENTS_ARE(ch, es, NULL, 0);   /* the third is not in the channel */

	/* three receivers, two values: the third receiver still waits */
	mkbatch(&bt, es, 2);
	for (int i = 0; i < 3; i++) {
		rec_init(&w[i], i, NULL);
		memset(rout[i], 0xA5, ES_MAX);
		achan_chan_recv_future_init(&rf[i], ch, rout[i]);
		CHK_ST(achan_chan_recv_poll(&rf[i], &w[i].w), ACHAN_PENDING);
	}
	sent = 99;
	CHK_ST(achan_chan_try_send_many(ch, bt.b, 2, &sent), ACHAN_OK);
	CHK_U(sent, 2);
	CHK_U(rec_calls(&w[2]), 0);
	for (int i = 0; i < 2; i++) {
		CHK_ST(achan_chan_recv_poll(&rf[i], &w[i].w), ACHAN_OK);
		VALS_ARE(rout[i], es, bt.tag + i, 1);
	}
	CHK_ST(achan_chan_recv_poll(&rf[2], &w[2].w), ACHAN_PENDING);
	CHK_ST(achan_chan_recv_cancel(&rf[2]), ACHAN_CANCELLED);

	/* try_send_all: all of n only if n receivers wait */
	mkbatch(&bt, es, 3);
	for (int i = 0; i < 2; i++) {
		rec_init(&w[i], i, NULL);
		memset(rout[i], 0xA5, ES_MAX);
		achan_chan_recv_future_init(&rf[i], ch, rout[i]);
		CHK_ST(achan_chan_recv_poll(&rf[i], &w[i].w), ACHAN_PENDING);
	}
	CHK_ST(achan_chan_try_send_all(ch, bt.b, 3), ACHAN_FULL);
	for (int i = 0; i < 2; i++) {
		CHK_U(rec_calls(&w[i]), 0);
		CHK(untouched(rout[i], ES_MAX, 0xA5));
	}
	CHK_ST(achan_chan_try_send_all(ch, bt.b, 2), ACHAN_OK);
	for (int i = 0; i < 2; i++) {
		CHK_U(rec_calls(&w[i]), 1);
		CHK_ST(achan_chan_recv_poll(&rf[i], &w[i].w), ACHAN_OK);
		VALS_ARE(rout[i], es, bt.tag + i, 1);
	}
	CHK_U(achan_chan_len(ch), 0);
	destroy(ch);
	end("unbuffered try_send_many / try_send_all: one waiting receiver per value, FULL without one");
}

static void
t_unbuf_recv(unsigned flags, size_t es)
{
	static struct batch bt;
	unsigned char out[MAXN * ES_MAX];
	struct achan_chan_send_future sf[3];
	struct rec_waker w[3];
	struct achan_chan *ch = mk(es, 0, flags);
	size_t got;

	begin();
	memset(out, 0xA5, sizeof(out));
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, 3, &got), ACHAN_EMPTY);
	CHK_U(got, 0);
	CHK(untouched(out, sizeof(out), 0xA5));

	mkbatch(&bt, es, 3);
	for (int i = 0; i < 3; i++) {
		rec_init(&w[i], i, NULL);
		achan_chan_send_future_init(&sf[i], ch, AT(bt.b, es, i));
		CHK_ST(achan_chan_send_poll(&sf[i], &w[i].w), ACHAN_PENDING);
	}
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, 2, &got), ACHAN_OK);
	CHK_U(got, 2);
	VALS_ARE(out, es, bt.tag, 2);
	CHK_U(rec_calls(&w[0]), 1);
	CHK_U(rec_calls(&w[1]), 1);
	CHK_U(rec_calls(&w[2]), 0);
	CHK_ST(achan_chan_send_poll(&sf[0], &w[0].w), ACHAN_OK);
	CHK_ST(achan_chan_send_poll(&sf[1], &w[1].w), ACHAN_OK);
	CHK_ST(achan_chan_send_poll(&sf[2], &w[2].w), ACHAN_PENDING);
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, 5, &got), ACHAN_OK);
	CHK_U(got, 1);
	VALS_ARE(out, es, bt.tag + 2, 1);
	CHK_U(rec_calls(&w[2]), 1);
	CHK_ST(achan_chan_send_poll(&sf[2], &w[2].w), ACHAN_OK);
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, 5, &got), ACHAN_EMPTY);
	CHK_U(got, 0);
	CHK_U(achan_chan_len(ch), 0);
	destroy(ch);
	end("unbuffered try_recv_many: one waiting sender per value, oldest first; EMPTY without one");
}

/* --- bad input ------------------------------------------------------------------------- */

static void
t_badinput(unsigned flags, size_t cap, size_t es)
{
	static struct batch bt, one;
	unsigned char out[MAXN * ES_MAX];
	unsigned char rout[ES_MAX];
	struct achan_chan *ch = mk(es, cap, flags);
	struct achan_chan_recv_future rf;
	struct achan_chan_send_future sf;
	struct rec_waker rw, sw;
	const size_t big = ACHAN_CHAN_MAX_BATCH + 1;
	size_t sent, got;

	begin();
	mkbatch(&bt, es, MAXN);
	mkbatch(&one, es, 1);
	memset(out, 0xA5, sizeof(out));
	if (cap > 0) {
		/* one value inside, room for more */
		CHK(SEND_SINGLES(ch, es, &one, 1));
	} else {
		/* a receiver waiting: a bad send must not reach it */
		rec_init(&rw, 0, NULL);
		memset(rout, 0xA5, sizeof(rout));
		achan_chan_recv_future_init(&rf, ch, rout);
		CHK_ST(achan_chan_recv_poll(&rf, &rw.w), ACHAN_PENDING);
	}
	if (es > 0) {
		sent = 99;
		CHK_ST(achan_chan_try_send_many(ch, NULL, 1, &sent), ACHAN_EINVAL);
		CHK_ST(achan_chan_try_send_all(ch, NULL, 1), ACHAN_EINVAL);
	}
	CHK_ST(achan_chan_try_send_many(ch, bt.b, 1, NULL), ACHAN_EINVAL);
	CHK_ST(achan_chan_try_send_many(ch, bt.b, big, &sent), ACHAN_EINVAL);
	CHK_ST(achan_chan_try_send_all(ch, bt.b, big), ACHAN_EINVAL);
	CHK_ST(achan_chan_try_send_many(NULL, bt.b, 1, &sent), ACHAN_EINVAL);
	CHK_ST(achan_chan_try_send_all(NULL, bt.b, 1), ACHAN_EINVAL);
	CHK_ST(achan_chan_try_recv_many(NULL, out, 1, &got), ACHAN_EINVAL);
	if (cap > 0) {
		/* bad receives take nothing */
		if (es > 0)
			CHK_ST(achan_chan_try_recv_many(ch, NULL, 1, &got), ACHAN_EINVAL);
		CHK_ST(achan_chan_try_recv_many(ch, out, 1, NULL), ACHAN_EINVAL);
		CHK_ST(achan_chan_try_recv_many(ch, out, big, &got), ACHAN_EINVAL);
		CHK(untouched(out, sizeof(out), 0xA5));
		CHK_U(achan_chan_len(ch), 1);
		CONTENTS_ARE(ch, es, one.tag, 1);
	} else {
		CHK_U(rec_calls(&rw), 0);
		CHK(untouched(rout, sizeof(rout), 0xA5));
		CHK_ST(achan_chan_recv_cancel(&rf), ACHAN_CANCELLED);
		/* a sender waiting: a bad receive must not take from it */
		rec_init(&sw, 1, NULL);
		achan_chan_send_future_init(&sf, ch, one.b);
		CHK_ST(achan_chan_send_poll(&sf, &sw.w), ACHAN_PENDING);
		if (es > 0)
			CHK_ST(achan_chan_try_recv_many(ch, NULL, 1, &got), ACHAN_EINVAL);
		CHK_ST(achan_chan_try_recv_many(ch, out, 1, NULL), ACHAN_EINVAL);
		CHK_ST(achan_chan_try_recv_many(ch, out, big, &got), ACHAN_EINVAL);
		CHK(untouched(out, sizeof(out), 0xA5));
		CHK_U(rec_calls(&sw), 0);
		CHK_ST(achan_chan_send_cancel(&sf), ACHAN_CANCELLED);
	}

	/* exactly ACHAN_CHAN_MAX_BATCH is allowed (moves what fits) */
	sent = 99;
	got = 99;
	if (cap > 0) {
		CHK_ST(achan_chan_try_send_many(ch, bt.b, ACHAN_CHAN_MAX_BATCH, &sent),
				ACHAN_OK);
		CHK_U(sent, cap);
		CHK_ST(achan_chan_try_recv_many(ch, out, ACHAN_CHAN_MAX_BATCH, &got),
				ACHAN_OK);
		CHK_U(got, cap);
		VALS_ARE(out, es, bt.tag, cap);
	} else {
		CHK_ST(achan_chan_try_send_many(ch, bt.b, ACHAN_CHAN_MAX_BATCH, &sent),
				ACHAN_FULL);
		CHK_U(sent, 0);
		CHK_ST(achan_chan_try_recv_many(ch, out, ACHAN_CHAN_MAX_BATCH, &got),
				ACHAN_EMPTY);
		CHK_U(got, 0);
	}

	/* elem_size 0: NULL arrays are fine */
	if (es == 0) {
		sent = 99;
		got = 99;
		if (cap > 0) {
			CHK_ST(achan_chan_try_send_many(ch, NULL, 2, &sent), ACHAN_OK);
			CHK_U(sent, MIN(cap, 2));
			CHK_ST(achan_chan_try_send_all(ch, NULL, 1),
					cap > 2 ? ACHAN_OK : ACHAN_FULL);
			CHK_ST(achan_chan_try_recv_many(ch, NULL, 5, &got), ACHAN_OK);
			CHK_U(got, MIN(cap, 3));
		} else {
			CHK_ST(achan_chan_try_send_many(ch, NULL, 2, &sent), ACHAN_FULL);
			CHK_U(sent, 0);
			CHK_ST(achan_chan_try_recv_many(ch, NULL, 5, &got), ACHAN_EMPTY);
			CHK_U(got, 0);
		}
	}
	destroy(ch);
	end("bad input: EINVAL and nothing moved (NULL array, NULL count, n > ACHAN_CHAN_MAX_BATCH, NULL channel)");
}

/* --- the waiting forms (send_many / recv_many and their deadlines) ----------- */

enum bop_kind { BOP_SEND, BOP_SEND_UNTIL, BOP_RECV, BOP_RECV_UNTIL };

/* One batch call on its own thread. */
struct bop {
	pthread_t t;
	struct achan_chan *ch;
	enum bop_kind kind;
	void *buf;               /* values to send / room to receive into */
	size_t n;
	struct timespec deadline;
	int rc;
	size_t count;
	atomic_int started, done;
};

static void *
bop_main(void *arg)
{
	struct bop *o = arg;
	int rc = -1;

	atomic_store(&o->started, 1);
	switch (o->kind) {
	case BOP_SEND:
		rc = achan_chan_send_many(o->ch, o->buf, o->n, &o->count);
		break;
	case BOP_SEND_UNTIL:
		rc = achan_chan_send_many_until(o->ch, o->buf, o->n, &o->deadline,
				&o->count);
		break;
	case BOP_RECV:
		rc = achan_chan_recv_many(o->ch, o->buf, o->n, &o->count);
		break;
	case BOP_RECV_UNTIL:
		rc = achan_chan_recv_many_until(o->ch, o->buf, o->n, &o->deadline,
				&o->count);
		break;
	}
	o->rc = rc;
	atomic_store(&o->done, 1);
	return NULL;
}

static void
bop_start(struct bop *o, struct achan_chan *ch, enum bop_kind kind, void *buf,
		size_t n, long deadline_ms)
{
	o->ch = ch;
	o->kind = kind;
	o->buf = buf;
	o->n = n;
	o->deadline = tu_add_ms(tu_now(), deadline_ms);
	o->rc = -1;
	o->count = 99;
	atomic_init(&o->started, 0);
	atomic_init(&o->done, 0);
	if (pthread_create(&o->t, NULL, bop_main, o) != 0)
		bail_out("pthread_create failed");
	while (!atomic_load(&o->started))
		sched_yield();
	tu_sleep_ms(10);    /* let it park (if it is slow, the checks are weaker) */
}

/* Wait up to 3 s for the call; 1 if it returned (then joined). */
static int
bop_join(struct bop *o)
{
	struct timespec end = tu_add_ms(tu_now(), 3000);

	while (!atomic_load(&o->done)) {
		if (tu_ts_ge(tu_now(), end))
			return 0;
		tu_sleep_ms(1);
	}
	pthread_join(o->t, NULL);
	return 1;
}

/* Local flavour: EDEADLK, with the count, where the call would have to wait. */
static void
t_wait_local(unsigned flags, size_t cap, size_t es)
{
	static struct batch bt;
	unsigned char out[MAXN * ES_MAX];
	struct timespec dl = tu_add_ms(tu_now(), 1000);
	struct achan_chan *ch = mk(es, cap, flags);
	size_t sent, got;

	begin();
	mkbatch(&bt, es, cap + 3);
	memset(out, 0xA5, sizeof(out));
	/* empty: receives would wait */
	got = 99;
	CHK_ST(achan_chan_recv_many(ch, out, 4, &got), ACHAN_EDEADLK);
	CHK_U(got, 0);
	got = 99;
	CHK_ST(achan_chan_recv_many_until(ch, out, 4, &dl, &got), ACHAN_EDEADLK);
	CHK_U(got, 0);
	CHK(untouched(out, sizeof(out), 0xA5));
	/* what fits goes in, then EDEADLK with the count */
	sent = 99;
	CHK_ST(achan_chan_send_many(ch, bt.b, cap + 2, &sent), ACHAN_EDEADLK);
	CHK_U(sent, cap);
	CHK_U(achan_chan_len(ch), cap);
	sent = 99;
	CHK_ST(achan_chan_send_many_until(ch, AT(bt.b, es, cap), 2, &dl, &sent),
			ACHAN_EDEADLK);
	CHK_U(sent, 0);
	if (cap > 0) {
		/* a batch that fits: OK, no wait */
		got = 99;
		CHK_ST(achan_chan_recv_many(ch, out, 1, &got), ACHAN_OK);
		CHK_U(got, 1);
		VALS_ARE(out, es, bt.tag, 1);
		sent = 99;
		CHK_ST(achan_chan_send_many(ch, AT(bt.b, es, cap), 1, &sent), ACHAN_OK);
		CHK_U(sent, 1);
		got = 99;
		CHK_ST(achan_chan_recv_many_until(ch, out, MAXN, &dl, &got), ACHAN_OK);
		CHK_U(got, cap);
		VALS_ARE(out, es, bt.tag + 1, cap);
	} else {
		/* one receiver waiting: one value meets it, then EDEADLK */
		struct achan_chan_recv_future rf;
		struct rec_waker w;
		unsigned char rout[ES_MAX];

		rec_init(&w, 0, NULL);
		achan_chan_recv_future_init(&rf, ch, rout);
		CHK_ST(achan_chan_recv_poll(&rf, &w.w), ACHAN_PENDING);
		sent = 99;
		CHK_ST(achan_chan_send_many(ch, bt.b, 3, &sent), ACHAN_EDEADLK);
		CHK_U(sent, 1);
		CHK_U(rec_calls(&w), 1);
		CHK_ST(achan_chan_recv_poll(&rf, &w.w), ACHAN_OK);
		VALS_ARE(rout, es, bt.tag, 1);
	}
	CONTENTS_ARE(ch, es, NULL, 0);
	/* closed: CLOSED, not EDEADLK */
	CHK_ST(achan_chan_close(ch), ACHAN_NEWLY_CLOSED);
	sent = 99;
	CHK_ST(achan_chan_send_many(ch, bt.b, 2, &sent), ACHAN_CLOSED);
	CHK_U(sent, 0);
	got = 99;
	CHK_ST(achan_chan_recv_many(ch, out, 2, &got), ACHAN_CLOSED);
	CHK_U(got, 0);
	got = 99;
	CHK_ST(achan_chan_recv_many_until(ch, out, 2, &dl, &got), ACHAN_CLOSED);
	CHK_U(got, 0);
	destroy(ch);
	end("local send_many / recv_many (and _until): EDEADLK with the count where they would wait");
}

/* Thread-safe: the waiting forms block, and complete when another thread acts. */
static void
t_wait_threads(unsigned flags, size_t cap, size_t es)
{
	static struct batch bt, bt2;
	static unsigned char out[MAXN * ES_MAX], rbuf[MAXN * ES_MAX];
	struct bop o;
	struct achan_chan *ch;
	struct timespec t0, dl;
	size_t n = cap + 3, sent, got, have;

	begin();
	/* a sender blocked on a full channel completes as others receive */
	ch = mk(es, cap, flags);
	mkbatch(&bt, es, n);
	bop_start(&o, ch, BOP_SEND, bt.b, n, 0);
	CHK(!atomic_load(&o.done));
	if (cap > 0)
		CHK_U(achan_chan_len(ch), cap);
	for (have = 0; have < n; ) {
		got = 99;
		if (!CHK_ST(achan_chan_recv_many(ch, AT(out, es, have), n - have, &got),
					ACHAN_OK) || !CHK(got >= 1 && got <= n - have))
			break;
		have += got;
	}
	VALS_ARE(out, es, bt.tag, have);
	CHK(bop_join(&o));
	CHK_ST(o.rc, ACHAN_OK);
	CHK_U(o.count, n);
	CONTENTS_ARE(ch, es, NULL, 0);
	destroy(ch);

	/* a deadline that passes: TIMEDOUT with the partial count, and the
	 * rest is not in the channel */
	ch = mk(es, cap, flags);
	mkbatch(&bt, es, n);
	t0 = tu_now();
	dl = tu_add_ms(t0, 20);
	sent = 99;
	CHK_ST(achan_chan_send_many_until(ch, bt.b, n, &dl, &sent), ACHAN_TIMEDOUT);
	CHK_U(sent, cap);
	CHK(tu_ts_ge(tu_now(), dl));
	CONTENTS_ARE(ch, es, bt.tag, cap);
	/* recv_many_until on an empty channel: TIMEDOUT, *got 0 */
	dl = tu_add_ms(tu_now(), 20);
	got = 99;
	memset(out, 0xA5, sizeof(out));
	CHK_ST(achan_chan_recv_many_until(ch, out, 4, &dl, &got), ACHAN_TIMEDOUT);
	CHK_U(got, 0);
	CHK(tu_ts_ge(tu_now(), dl));
	CHK(untouched(out, sizeof(out), 0xA5));
	destroy(ch);

	/* recv_many waits for the first value, then takes what is there
	 * without waiting to fill the batch */
	ch = mk(es, cap, flags);
	mkbatch(&bt, es, 2);
	memset(rbuf, 0xA5, sizeof(rbuf));
	bop_start(&o, ch, BOP_RECV, rbuf, 10, 0);
	CHK(!atomic_load(&o.done));
	if (cap > 0) {
		CHK_ST(achan_chan_try_send_all(ch, bt.b, MIN(cap, 2)), ACHAN_OK);
		have = MIN(cap, 2);
	} else {
		CHK_ST(achan_chan_send(ch, bt.b), ACHAN_OK);
		have = 1;
	}
	CHK(bop_join(&o));
	CHK_ST(o.rc, ACHAN_OK);
	CHK(o.count >= 1 && o.count <= have);
	if (o.count <= have) {
		VALS_ARE(rbuf, es, bt.tag, o.count);
		CONTENTS_ARE(ch, es, bt.tag + o.count, have - o.count);
	}
	/* recv_many_until: woken by a send before its deadline */
	bop_start(&o, ch, BOP_RECV_UNTIL, rbuf, 10, 2000);
	mkbatch(&bt, es, 1);
	CHK_ST(achan_chan_send(ch, bt.b), ACHAN_OK);
	CHK(bop_join(&o));
	CHK_ST(o.rc, ACHAN_OK);
	CHK_U(o.count, 1);
	VALS_ARE(rbuf, es, bt.tag, 1);
	destroy(ch);

	/* closed mid-batch: CLOSED with the count that went in */
	ch = mk(es, cap, flags);
	mkbatch(&bt, es, n);
	bop_start(&o, ch, BOP_SEND_UNTIL, bt.b, n, 3000);
	CHK(!atomic_load(&o.done));
	if (cap == 0) {
		/* one value taken, the rest is cut off by the close */
		CHK_ST(achan_chan_recv(ch, out), ACHAN_OK);
		VALS_ARE(out, es, bt.tag, 1);
		tu_sleep_ms(5);
	}
	CHK_ST(achan_chan_close(ch), ACHAN_NEWLY_CLOSED);
	CHK(bop_join(&o));
	CHK_ST(o.rc, ACHAN_CLOSED);
	CHK_U(o.count, cap > 0 ? cap : 1);
	CONTENTS_ARE(ch, es, bt.tag, cap);   /* then CLOSED */
	destroy(ch);
	/* a blocked send_many and recv_many, then close */
	ch = mk(es, cap, flags);
	mkbatch(&bt2, es, n);
	bop_start(&o, ch, BOP_RECV, rbuf, 4, 0);
	CHK_ST(achan_chan_close(ch), ACHAN_NEWLY_CLOSED);
	CHK(bop_join(&o));
	CHK_ST(o.rc, ACHAN_CLOSED);
	CHK_U(o.count, 0);
	destroy(ch);
	end("send_many / recv_many (and _until) wait for other threads: OK with n, TIMEDOUT and CLOSED with the count");
}

/* --- batch futures -------------------------------------------------------------- */

static void
t_many_futures(unsigned flags, size_t cap, size_t es)
{
	static struct batch bt, one, nb;
	unsigned char out[MAXN * ES_MAX];
	struct achan_chan_send_many_future mf;
	struct achan_chan_send_future sf;
	struct achan_chan_recv_many_future rf;
	struct rec_waker w, sw;
	struct achan_chan *ch;
	size_t n = cap + 3, sent, got, have;
	uint64_t exp[MAXN];

	begin();
	/* PENDING with a partial count; FIFO ahead of a later sender */
	ch = mk(es, cap, flags);
	mkbatch(&bt, es, n);
	mkbatch(&one, es, 1);
	mkbatch(&nb, es, 1);
	rec_init(&w, 0, NULL);
	rec_init(&sw, 1, NULL);
	CHK_ST(achan_chan_send_many_future_init(&mf, ch, bt.b, n), ACHAN_OK);
	sent = 99;
	CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent), ACHAN_PENDING);
	CHK_U(sent, cap);
	CHK_U(achan_chan_len(ch), cap);
	achan_chan_send_future_init(&sf, ch, one.b);
	CHK_ST(achan_chan_send_poll(&sf, &sw.w), ACHAN_PENDING);
	sent = 99;
	CHK_ST(achan_chan_try_send_many(ch, nb.b, 1, &sent), ACHAN_FULL);
	CHK_U(sent, 0);
	/* receive one at a time: the batch's values go in first */
	for (have = 0; have < n + 1; have++) {
		if (!CHK_ST(achan_chan_try_recv(ch, AT(out, es, have)), ACHAN_OK))
			break;
		if (have + 1 < 3) {
			/* the batch has values left: the later sender waits */
			sent = 99;
			CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent),
					ACHAN_PENDING);
			CHK_U(sent, cap + have + 1);
			CHK_ST(achan_chan_send_poll(&sf, &sw.w), ACHAN_PENDING);
		}
	}
	memcpy(exp, bt.tag, n * sizeof(exp[0]));
	exp[n] = one.tag[0];
	VALS_ARE(out, es, exp, have);
	CHK(rec_calls(&w) >= 1);
	sent = 99;
	CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent), ACHAN_OK);
	CHK_U(sent, n);
	CHK_ST(achan_chan_send_poll(&sf, &sw.w), ACHAN_OK);
	/* cancel after OK: OK, the count again */
	sent = 99;
	CHK_ST(achan_chan_send_many_cancel(&mf, &sent), ACHAN_OK);
	CHK_U(sent, n);
	CONTENTS_ARE(ch, es, NULL, 0);
	destroy(ch);

	/* Two slots freed at once: both go to the batch, whose values keep
	 * their place ahead of the sender behind it (a serve that moved on
	 * to the next sender after one value of a batch would let it in). */
	if (cap >= 2) {
		uint64_t want[MAXN];

		ch = mk(es, cap, flags);
		mkbatch(&bt, es, n);
		mkbatch(&one, es, 1);
		rec_init(&w, 0, NULL);
		rec_init(&sw, 1, NULL);
		CHK_ST(achan_chan_send_many_future_init(&mf, ch, bt.b, n),
				ACHAN_OK);
		CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent),
				ACHAN_PENDING);
		achan_chan_send_future_init(&sf, ch, one.b);
		CHK_ST(achan_chan_send_poll(&sf, &sw.w), ACHAN_PENDING);
		got = 99;
		CHK_ST(achan_chan_try_recv_many(ch, out, 2, &got), ACHAN_OK);
		CHK_U(got, 2);
		VALS_ARE(out, es, bt.tag, 2);
		/* now the batch's values 2 .. cap+1 are in; one of its values
		 * is left, then the single sender's */
		sent = 99;
		CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent),
				ACHAN_PENDING);
		CHK_U(sent, cap + 2);
		CHK_ST(achan_chan_send_poll(&sf, &sw.w), ACHAN_PENDING);
		memcpy(want, bt.tag + 2, (n - 2) * sizeof(want[0]));
		want[n - 2] = one.tag[0];
		CONTENTS_ARE(ch, es, want, n - 1);
		CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent), ACHAN_OK);
		CHK_U(sent, n);
		CHK_ST(achan_chan_send_poll(&sf, &sw.w), ACHAN_OK);
		destroy(ch);
	}

	/* cancel partway: CANCELLED with the count, the rest not in */
	ch = mk(es, cap, flags);
	mkbatch(&bt, es, n);
	rec_init(&w, 0, NULL);
	CHK_ST(achan_chan_send_many_future_init(&mf, ch, bt.b, n), ACHAN_OK);
	sent = 99;
	CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent), ACHAN_PENDING);
	CHK_U(sent, cap);
	CHK_ST(achan_chan_try_recv(ch, out), ACHAN_OK);
	VALS_ARE(out, es, bt.tag, 1);
	sent = 99;
	CHK_ST(achan_chan_send_many_cancel(&mf, &sent), ACHAN_CANCELLED);
	CHK_U(sent, cap + 1);
	sent = 99;
	CHK_ST(achan_chan_send_many_cancel(&mf, &sent), ACHAN_CANCELLED);
	CHK_U(sent, cap + 1);
	CONTENTS_ARE(ch, es, bt.tag + 1, cap);
	/* a future that fits at once: OK; then cancel answers OK */
	mkbatch(&bt, es, cap);
	CHK_ST(achan_chan_send_many_future_init(&mf, ch, bt.b, cap), ACHAN_OK);
	sent = 99;
	CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent), ACHAN_OK);
	CHK_U(sent, cap);
	CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent), ACHAN_EINVAL);
	sent = 99;
	CHK_ST(achan_chan_send_many_cancel(&mf, &sent), ACHAN_OK);
	CHK_U(sent, cap);
	/* never polled: CANCELLED, 0 */
	CHK_ST(achan_chan_send_many_future_init(&mf, ch, bt.b, 1), ACHAN_OK);
	sent = 99;
	CHK_ST(achan_chan_send_many_cancel(&mf, &sent), ACHAN_CANCELLED);
	CHK_U(sent, 0);
	CONTENTS_ARE(ch, es, bt.tag, cap);
	/* closed while pending: CLOSED with the count */
	mkbatch(&bt, es, n);
	rec_init(&w, 0, NULL);
	CHK_ST(achan_chan_send_many_future_init(&mf, ch, bt.b, n), ACHAN_OK);
	CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent), ACHAN_PENDING);
	CHK_ST(achan_chan_close(ch), ACHAN_NEWLY_CLOSED);
	CHK_U(rec_calls(&w), 1);
	sent = 99;
	CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent), ACHAN_CLOSED);
	CHK_U(sent, cap);
	sent = 99;
	CHK_ST(achan_chan_send_many_cancel(&mf, &sent), ACHAN_CANCELLED);
	CONTENTS_ARE(ch, es, bt.tag, cap);
	destroy(ch);

	/* recv_many future: PENDING, woken once by a send, then OK with got */
	ch = mk(es, cap, flags);
	mkbatch(&bt, es, 2);
	have = MIN(cap, 2);
	rec_init(&w, 0, NULL);
	memset(out, 0xA5, sizeof(out));
	CHK_ST(achan_chan_recv_many_future_init(&rf, ch, out, 5), ACHAN_OK);
	got = 99;
	CHK_ST(achan_chan_recv_many_poll(&rf, &w.w, &got), ACHAN_PENDING);
	CHK_U(got, 0);
	CHK_U(rec_calls(&w), 0);
	sent = 99;
	CHK_ST(achan_chan_try_send_many(ch, bt.b, have, &sent), ACHAN_OK);
	CHK_U(sent, have);
	CHK_U(rec_calls(&w), 1);
	got = 99;
	CHK_ST(achan_chan_recv_many_poll(&rf, &w.w, &got), ACHAN_OK);
	CHK_U(got, have);
	VALS_ARE(out, es, bt.tag, have);
	CHK(untouched(AT(out, es, have), (5 - have) * es, 0xA5));
	CHK_U(rec_calls(&w), 1);
	got = 99;
	CHK_ST(achan_chan_recv_many_cancel(&rf, &got), ACHAN_OK);
	CHK_U(got, have);
	/* cancelled while pending: CANCELLED, 0, nothing taken */
	rec_init(&w, 0, NULL);
	CHK_ST(achan_chan_recv_many_future_init(&rf, ch, out, 5), ACHAN_OK);
	CHK_ST(achan_chan_recv_many_poll(&rf, &w.w, &got), ACHAN_PENDING);
	got = 99;
	CHK_ST(achan_chan_recv_many_cancel(&rf, &got), ACHAN_CANCELLED);
	CHK_U(got, 0);
	mkbatch(&bt, es, 1);
	CHK(SEND_SINGLES(ch, es, &bt, 1));
	CHK_U(rec_calls(&w), 0);
	CONTENTS_ARE(ch, es, bt.tag, 1);
	/* closed while pending: woken, CLOSED with 0 */
	CHK_ST(achan_chan_recv_many_future_init(&rf, ch, out, 5), ACHAN_OK);
	CHK_ST(achan_chan_recv_many_poll(&rf, &w.w, &got), ACHAN_PENDING);
	CHK_ST(achan_chan_close(ch), ACHAN_NEWLY_CLOSED);
	CHK_U(rec_calls(&w), 1);
	got = 99;
	CHK_ST(achan_chan_recv_many_poll(&rf, &w.w, &got), ACHAN_CLOSED);
	CHK_U(got, 0);
	CHK_ST(achan_chan_recv_many_cancel(&rf, &got), ACHAN_CANCELLED);
	destroy(ch);
	end("batch futures: PENDING with a partial count, FIFO before later senders, cancel with the count, recv_many woken once");
}

/* unbuffered: a waiting batch future, one rendezvous per value, in order */
static void
t_unbuf_many_future(unsigned flags, size_t es)
{
	static struct batch bt, one;
	unsigned char out[MAXN * ES_MAX];
	struct achan_chan_send_many_future mf;
	struct achan_chan_send_future sf;
	struct achan_chan_recv_many_future rf;
	struct rec_waker w, sw;
	struct achan_chan *ch = mk(es, 0, flags);
	uint64_t exp[8];
	size_t sent, got, have = 0;
	int st, first = 1;

	begin();
	mkbatch(&bt, es, 3);
	mkbatch(&one, es, 1);
	rec_init(&w, 0, NULL);
	rec_init(&sw, 1, NULL);
	CHK_ST(achan_chan_send_many_future_init(&mf, ch, bt.b, 3), ACHAN_OK);
	sent = 99;
	CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent), ACHAN_PENDING);
	CHK_U(sent, 0);
	achan_chan_send_future_init(&sf, ch, one.b);
	CHK_ST(achan_chan_send_poll(&sf, &sw.w), ACHAN_PENDING);
	memcpy(exp, bt.tag, 3 * sizeof(exp[0]));
	exp[3] = one.tag[0];
	while (have < 6) {
		got = 99;
		st = achan_chan_try_recv_many(ch, AT(out, es, have), 6 - have, &got);
		if (st == ACHAN_EMPTY && !first)
			break;
		if (!CHK_ST(st, ACHAN_OK) || !CHK(got >= 1 && got <= 6 - have))
			break;
		have += got;
		first = 0;
	}
	CHK_U(have, 4);
	VALS_ARE(out, es, exp, MIN(have, 4));
	sent = 99;
	CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent), ACHAN_OK);
	CHK_U(sent, 3);
	CHK_ST(achan_chan_send_poll(&sf, &sw.w), ACHAN_OK);

	/* cancel after one rendezvous: CANCELLED, 1 */
	mkbatch(&bt, es, 3);
	rec_init(&w, 0, NULL);
	CHK_ST(achan_chan_send_many_future_init(&mf, ch, bt.b, 3), ACHAN_OK);
	CHK_ST(achan_chan_send_many_poll(&mf, &w.w, &sent), ACHAN_PENDING);
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, 1, &got), ACHAN_OK);
	CHK_U(got, 1);
	VALS_ARE(out, es, bt.tag, 1);
	sent = 99;
	CHK_ST(achan_chan_send_many_cancel(&mf, &sent), ACHAN_CANCELLED);
	CHK_U(sent, 1);
	got = 99;
	CHK_ST(achan_chan_try_recv_many(ch, out, 3, &got), ACHAN_EMPTY);
	CHK_U(got, 0);

	/* a recv_many future met by a sender: OK with that value */
	mkbatch(&bt, es, 2);
	rec_init(&w, 0, NULL);
	CHK_ST(achan_chan_recv_many_future_init(&rf, ch, out, 4), ACHAN_OK);
	CHK_ST(achan_chan_recv_many_poll(&rf, &w.w, &got), ACHAN_PENDING);
	sent = 99;
	CHK_ST(achan_chan_try_send_many(ch, bt.b, 2, &sent), ACHAN_OK);
	CHK_U(sent, 1);
	CHK_U(rec_calls(&w), 1);
	got = 99;
	CHK_ST(achan_chan_recv_many_poll(&rf, &w.w, &got), ACHAN_OK);
	CHK_U(got, 1);
	VALS_ARE(out, es, bt.tag, 1);
	CHK_U(achan_chan_len(ch), 0);
	destroy(ch);
	end("unbuffered batch futures: one rendezvous per value, the batch keeps its place, cancel with the count");
}

/* bad input for the waiting forms and the batch futures */
static void
t_many_badinput(unsigned flags, size_t cap, size_t es)
{
	static struct batch bt, one;
	unsigned char out[MAXN * ES_MAX];
	struct achan_chan_send_many_future mf;
	struct achan_chan_recv_many_future rf;
	struct achan_waker nowake = { 0 };
	struct rec_waker w;
	struct timespec dl = tu_add_ms(tu_now(), 1000);
	const size_t big = ACHAN_CHAN_MAX_BATCH + 1;
	struct achan_chan *ch = mk(es, cap, flags);
	size_t sent, got;

	begin();
	mkbatch(&bt, es, 4);
	mkbatch(&one, es, 1);
	memset(out, 0xA5, sizeof(out));
	rec_init(&w, 0, NULL);
	/* one value inside, room for more: a valid call would not wait */
	CHK(SEND_SINGLES(ch, es, &one, 1));
	if (es > 0) {
		CHK_ST(achan_chan_send_many(ch, NULL, 1, &sent), ACHAN_EINVAL);
		CHK_ST(achan_chan_send_many_until(ch, NULL, 1, &dl, &sent), ACHAN_EINVAL);
		CHK_ST(achan_chan_recv_many(ch, NULL, 1, &got), ACHAN_EINVAL);
		CHK_ST(achan_chan_recv_many_until(ch, NULL, 1, &dl, &got), ACHAN_EINVAL);
		CHK_ST(achan_chan_send_many_future_init(&mf, ch, NULL, 1), ACHAN_EINVAL);
		CHK_ST(achan_chan_recv_many_future_init(&rf, ch, NULL, 1), ACHAN_EINVAL);
	}
	CHK_ST(achan_chan_send_many(ch, bt.b, 1, NULL), ACHAN_EINVAL);
	CHK_ST(achan_chan_send_many_until(ch, bt.b, 1, &dl, NULL), ACHAN_EINVAL);
	CHK_ST(achan_chan_recv_many(ch, out, 1, NULL), ACHAN_EINVAL);
	CHK_ST(achan_chan_recv_many_until(ch, out, 1, &dl, NULL), ACHAN_EINVAL);
	CHK_ST(achan_chan_send_many(ch, bt.b, big, &sent), ACHAN_EINVAL);
	CHK_ST(achan_chan_send_many_until(ch, bt.b, big, &dl, &sent), ACHAN_EINVAL);
	CHK_ST(achan_chan_recv_many(ch, out, big, &got), ACHAN_EINVAL);
	CHK_ST(achan_chan_recv_many_until(ch, out, big, &dl, &got), ACHAN_EINVAL);
	CHK_ST(achan_chan_send_many(NULL, bt.b, 1, &sent), ACHAN_EINVAL);
	CHK_ST(achan_chan_recv_many(NULL, out, 1, &got), ACHAN_EINVAL);
	CHK_ST(achan_chan_send_many_future_init(NULL, ch, bt.b, 1), ACHAN_EINVAL);
	CHK_ST(achan_chan_send_many_future_init(&mf, NULL, bt.b, 1), ACHAN_EINVAL);
	CHK_ST(achan_chan_send_many_future_init(&mf, ch, bt.b, big), ACHAN_EINVAL);
	CHK_ST(achan_chan_recv_many_future_init(NULL, ch, out, 1), ACHAN_EINVAL);
	CHK_ST(achan_chan_recv_many_future_init(&rf, NULL, out, 1), ACHAN_EINVAL);
	CHK_ST(achan_chan_recv_many_future_init(&rf, ch, out, big), ACHAN_EINVAL);
	/* valid futures, bad polls: NULL future, NULL waker, NULL wake */
	CHK_ST(achan_chan_send_many_future_init(&mf, ch, bt.b, 1), ACHAN_OK);
	CHK_ST(achan_chan_send_many_poll(NULL, &w.w, &sent), ACHAN_EINVAL);
	CHK_ST(achan_chan_send_many_poll(&mf, NULL, &sent), ACHAN_EINVAL);
	CHK_ST(achan_chan_send_many_poll(&mf, &nowake, &sent), ACHAN_EINVAL);
	CHK_ST(achan_chan_send_many_cancel(NULL, &sent), ACHAN_EINVAL);
	CHK_ST(achan_chan_recv_many_future_init(&rf, ch, out, 1), ACHAN_OK);
	CHK_ST(achan_chan_recv_many_poll(NULL, &w.w, &got), ACHAN_EINVAL);
	CHK_ST(achan_chan_recv_many_poll(&rf, NULL, &got), ACHAN_EINVAL);
	CHK_ST(achan_chan_recv_many_poll(&rf, &nowake, &got), ACHAN_EINVAL);
	CHK_ST(achan_chan_recv_many_cancel(NULL, &got), ACHAN_EINVAL);
	/* nothing moved */
	CHK(untouched(out, sizeof(out), 0xA5));
	CHK_U(achan_chan_len(ch), 1);
	CHK_U(rec_calls(&w), 0);
	CHK_ST(achan_chan_send_many_cancel(&mf, &sent), ACHAN_CANCELLED);
	CHK_ST(achan_chan_recv_many_cancel(&rf, &got), ACHAN_CANCELLED);
	CONTENTS_ARE(ch, es, one.tag, 1);
	if (es == 0) {
		/* elem_size 0: NULL arrays are fine */
		sent = 99;
		CHK_ST(achan_chan_send_many(ch, NULL, 1, &sent), ACHAN_OK);
		CHK_U(sent, 1);
		got = 99;
		CHK_ST(achan_chan_recv_many(ch, NULL, 3, &got), ACHAN_OK);
		CHK_U(got, 1);
	}
	destroy(ch);
	end("waiting forms and batch futures, bad input: EINVAL and nothing moved");
}

/* --- the body, for one flavour ------------------------------------------------------ */

static void
run_flavour(unsigned flags)
{
	static const size_t caps[] = { 1, 2, 5, 64, 0 };
	static const size_t ess[] = { 0, 8, 24 };

	for (size_t ci = 0; ci < sizeof(caps) / sizeof(caps[0]); ci++)
		for (size_t ei = 0; ei < sizeof(ess) / sizeof(ess[0]); ei++) {
			size_t cap = caps[ci], es = ess[ei];

			snprintf(ctx, sizeof(ctx), "%s cap %zu es %zu",
					flags & ACHAN_LOCAL ? "local" : "thread-safe",
					cap, es);
			t_zero(flags, cap, es);
			t_closed(flags, cap, es);
			t_badinput(flags, cap, es);
			if (flags & ACHAN_LOCAL)
				t_wait_local(flags, cap, es);
			else if (es == 24)
				t_wait_threads(flags, cap, es);
			if (cap == 0) {
				t_unbuf_send(flags, es);
				t_unbuf_recv(flags, es);
				t_unbuf_many_future(flags, es);
				continue;
			}
			t_many_futures(flags, cap, es);
			t_many_badinput(flags, cap, es);
			t_send_many(flags, cap, es);
			t_wrap(flags, cap, es);
			t_model(flags, cap, es);
			t_send_all(flags, cap, es);
			t_recv_many(flags, cap, es);
			t_waiting_sender(flags, cap, es);
			t_waiting_receivers(flags, cap, es);
		}
}

/* --- threads: exactly once, FIFO per producer ------------------------------------ */

#define NPROD 3
#define NCONS 2
#define MAXSEQ ((uint64_t)1 << 21)   /* values per producer at most */
#define BITWORDS (MAXSEQ / 64)

struct msg {
	uint64_t pid, seq, chk;
};

static uint64_t
msg_chk(uint64_t pid, uint64_t seq)
{
	return (pid * 0x9E3779B97F4A7C15ULL) ^ (seq * 0xC2B2AE3D27D4EB4FULL) ^ 0x5bd1e995;
}

struct mt_shared {
	struct achan_chan *ch;
	atomic_int stop;      /* producers: send no new values */
	atomic_int abandon;   /* everyone: give up retrying (a hang) */
	int wait;             /* send_many / recv_many (1..64) instead of try */
};

struct producer {
	pthread_t t;
	struct mt_shared *sh;
	uint64_t pid;
	uint64_t seed;
	uint64_t produced;          /* values that went in */
	uint64_t batches, singles, partial, fulls;
	atomic_int done;
	char err[160];              /* first error, empty if none */
};

struct consumer {
	pthread_t t;
	struct mt_shared *sh;
	uint64_t seed;
	uint64_t *seen[NPROD];      /* bitmap per producer */
	int64_t last[NPROD];        /* last seq taken from each producer */
	uint64_t count[NPROD];
	uint64_t batches, multi;
	unsigned long dup, fifo, bad;
	atomic_int done;
	char err[160];              /* first bad value or status */
	char fifo_err[160];         /* first value out of order */
};

static int
abandoned(struct mt_shared *sh)
{
	return atomic_load_explicit(&sh->abandon, memory_order_relaxed);
}

static void *
producer_main(void *arg)
{
	struct producer *p = arg;
	struct achan_chan *ch = p->sh->ch;
	struct msg m[64];
	uint64_t seq = 0;

	while (seq < MAXSEQ && !atomic_load_explicit(&p->sh->stop, memory_order_relaxed)) {
		uint64_t r = tu_rand(&p->seed);
		size_t n = (size_t)(r % 40) + 1, off = 0;

		if (p->sh->wait)
			n = (size_t)(r % 64) + 1;
		else if (r % 5 == 0)
			n = 1;   /* a single try_send */
		if (n > MAXSEQ - seq)
			n = (size_t)(MAXSEQ - seq);
		for (size_t i = 0; i < n; i++) {
			m[i].pid = p->pid;
			m[i].seq = seq + i;
			m[i].chk = msg_chk(p->pid, seq + i);
		}
		if (p->sh->wait) {
			size_t sent = 99;
			int st = achan_chan_send_many(ch, m, n, &sent);

			if (st != ACHAN_OK || sent != n) {
				snprintf(p->err, sizeof(p->err),
					"send_many(n %zu): %s, *sent %zu",
					n, st_name(st), sent);
				break;
			}
			p->batches++;
		} else if (r % 5 == 0) {
			int st;
			while ((st = achan_chan_try_send(ch, &m[0])) == ACHAN_FULL &&
					!abandoned(p->sh)) {
				p->fulls++;
				sched_yield();
			}
			if (st != ACHAN_OK) {
				snprintf(p->err, sizeof(p->err), "try_send: %s", st_name(st));
				break;
			}
			p->singles++;
		} else {
			while (off < n) {
				size_t sent = 99;
				int st = achan_chan_try_send_many(ch, &m[off], n - off, &sent);

				if (st == ACHAN_OK && sent >= 1 && sent <= n - off) {
					p->batches++;
					if (sent < n - off)
						p->partial++;
					off += sent;
				} else if (st == ACHAN_FULL && sent == 0 &&
						!abandoned(p->sh)) {
					p->fulls++;
					sched_yield();   /* retry the rest */
				} else {
					snprintf(p->err, sizeof(p->err),
						"try_send_many(n %zu): %s, *sent %zu",
						n - off, st_name(st), sent);
					break;
				}
			}
			if (off < n)
				break;
		}
		seq += n;
	}
	p->produced = seq;
	atomic_store(&p->done, 1);
	return NULL;
}

static void
consume_one(struct consumer *c, const struct msg *m)
{
	uint64_t pid = m->pid, seq = m->seq;

	if (pid >= NPROD || seq >= MAXSEQ || m->chk != msg_chk(pid, seq)) {
		if (!c->bad++)
			snprintf(c->err, sizeof(c->err),
				"torn or foreign value: pid %llu seq %llu",
				(unsigned long long)pid, (unsigned long long)seq);
		return;
	}
	if ((int64_t)seq <= c->last[pid]) {
		if (!c->fifo++)
			snprintf(c->fifo_err, sizeof(c->fifo_err),
				"producer %llu: seq %llu after %lld",
				(unsigned long long)pid, (unsigned long long)seq,
				(long long)c->last[pid]);
	}
	c->last[pid] = (int64_t)seq;
	if (c->seen[pid][seq / 64] & ((uint64_t)1 << (seq % 64)))
		c->dup++;
	c->seen[pid][seq / 64] |= (uint64_t)1 << (seq % 64);
	c->count[pid]++;
}

static void *
consumer_main(void *arg)
{
	struct consumer *c = arg;
	struct achan_chan *ch = c->sh->ch;
	struct msg m[64];

	for (;;) {
		uint64_t r = tu_rand(&c->seed);
		int st;

		if (c->sh->wait) {
			size_t max = (size_t)(r % 64) + 1, got = 99;

			st = achan_chan_recv_many(ch, m, max, &got);
			if (st == ACHAN_OK && got >= 1 && got <= max) {
				c->batches++;
				c->multi += got > 1;
				for (size_t i = 0; i < got; i++)
					consume_one(c, &m[i]);
			} else if (st != ACHAN_CLOSED || got != 0) {
				snprintf(c->err, sizeof(c->err),
					"recv_many(max %zu): %s, *got %zu",
					max, st_name(st), got);
				c->bad++;
				break;
			}
		} else if (r % 4 == 0) {
			st = achan_chan_try_recv(ch, &m[0]);
			if (st == ACHAN_OK)
				consume_one(c, &m[0]);
		} else {
			size_t max = (size_t)(r % 40) + 1, got = 99;

			st = achan_chan_try_recv_many(ch, m, max, &got);
			if (st == ACHAN_OK && got >= 1 && got <= max) {
				c->batches++;
				c->multi += got > 1;
				for (size_t i = 0; i < got; i++)
					consume_one(c, &m[i]);
			} else if (st == ACHAN_OK || got != 0) {
				snprintf(c->err, sizeof(c->err),
					"try_recv_many(max %zu): %s, *got %zu",
					max, st_name(st), got);
				c->bad++;
				break;
			}
		}
		if (st == ACHAN_EMPTY) {
			if (abandoned(c->sh)) {
				snprintf(c->err, sizeof(c->err),
					"still EMPTY, never CLOSED, long after the close");
				c->bad++;
				break;
			}
			sched_yield();
		} else if (st == ACHAN_CLOSED) {
			break;
		} else if (st != ACHAN_OK) {
			snprintf(c->err, sizeof(c->err), "receive: %s", st_name(st));
			c->bad++;
			break;
		}
	}
	atomic_store(&c->done, 1);
	return NULL;
}

/* Wait up to ms for every done flag; 1 if all were set. */
static int
wait_done(atomic_int *flags, size_t stride, int n, long ms)
{
	struct timespec end = tu_add_ms(tu_now(), ms);

	for (;;) {
		int all = 1;
		for (int i = 0; i < n; i++)
			all &= atomic_load((atomic_int *)((char *)flags + stride * (size_t)i)) != 0;
		if (all)
			return 1;
		if (tu_ts_ge(tu_now(), end))
			return 0;
		tu_sleep_ms(2);
	}
}

static void
t_threads(size_t cap, long ms, int wait)
{
	static struct producer pr[NPROD];
	static struct consumer co[NCONS];
	struct mt_shared sh;
	uint64_t total = 0, batches = 0, partial = 0, multi = 0;
	char what[64];
	int perr = 0, cerr = 0, finished;
	unsigned long dup = 0, fifo = 0, lost = 0, extra = 0;

	snprintf(what, sizeof(what), "threads %s cap %zu",
			wait ? "send_many/recv_many" : "try", cap);
	sh.ch = mk(sizeof(struct msg), cap, 0);
	sh.wait = wait;
	atomic_init(&sh.stop, 0);
	atomic_init(&sh.abandon, 0);
	memset(pr, 0, sizeof(pr));
	memset(co, 0, sizeof(co));
	for (int i = 0; i < NCONS; i++) {
		co[i].sh = &sh;
		atomic_init(&co[i].done, 0);
		co[i].seed = 0xC0FFEEULL + (uint64_t)i * 7919 + cap;
		for (int p = 0; p < NPROD; p++) {
			co[i].seen[p] = calloc(BITWORDS, sizeof(uint64_t));
			if (!co[i].seen[p])
				bail_out("out of memory");
			co[i].last[p] = -1;
		}
		if (pthread_create(&co[i].t, NULL, consumer_main, &co[i]) != 0)
			bail_out("pthread_create failed");
	}
	for (int p = 0; p < NPROD; p++) {
		pr[p].sh = &sh;
		pr[p].pid = (uint64_t)p;
		atomic_init(&pr[p].done, 0);
		pr[p].seed = 0xBADC0DEULL * (uint64_t)(p + 1) + cap;
		if (pthread_create(&pr[p].t, NULL, producer_main, &pr[p]) != 0)
			bail_out("pthread_create failed");
	}
	{
		struct timespec end = tu_add_ms(tu_now(), ms);
		int all_done = 0;

		/* until the time is up, or every producer reached MAXSEQ */
		while (!tu_ts_ge(tu_now(), end) && !all_done) {
			tu_sleep_ms(5);
			all_done = 1;
			for (int p = 0; p < NPROD; p++)
				all_done &= atomic_load(&pr[p].done);
		}
	}
	/* stop; a producer still retrying the rest of a batch 5 s later, or
	 * a consumer that sees EMPTY instead of CLOSED 5 s after the close,
	 * is a hang: abandon (the checks below then fail) rather than let
	 * the watchdog kill the run */
	atomic_store(&sh.stop, 1);
	finished = wait_done(&pr[0].done, sizeof(pr[0]), NPROD, 5000);
	if (!finished) {
		atomic_store(&sh.abandon, 1);
		if (wait)   /* release a producer stuck in send_many */
			achan_chan_close(sh.ch);
	}
	for (int p = 0; p < NPROD; p++)
		pthread_join(pr[p].t, NULL);
	is_st(achan_chan_close(sh.ch), ACHAN_NEWLY_CLOSED, "%s: close", what);
	if (!wait_done(&co[0].done, sizeof(co[0]), NCONS, 5000)) {
		finished = 0;
		atomic_store(&sh.abandon, 1);
	}
	for (int i = 0; i < NCONS; i++)
		pthread_join(co[i].t, NULL);
	ok(finished, "%s: producers finished their batches, consumers saw CLOSED (no hang)",
			what);

	for (int p = 0; p < NPROD; p++) {
		if (pr[p].err[0] && !perr++)
			diag("    %s: producer %d: %s", what, p, pr[p].err);
		total += pr[p].produced;
		batches += pr[p].batches;
		partial += pr[p].partial;
	}
	for (int i = 0; i < NCONS; i++) {
		if ((co[i].err[0] || co[i].bad) && !cerr++)
			diag("    %s: consumer %d: %s", what, i, co[i].err);
		dup += co[i].dup;
		fifo += co[i].fifo;
		multi += co[i].multi;
		if (co[i].fifo)
			diag("    %s: consumer %d: %s", what, i, co[i].fifo_err);
	}
	if (wait) {
		ok(!perr, "%s: producers: send_many OK with *sent n", what);
		ok(!cerr, "%s: consumers: recv_many OK with 1..max, CLOSED with 0; no torn values",
				what);
	} else {
		ok(!perr, "%s: producers: try_send_many OK with 1..n or FULL with 0, try_send OK or FULL",
				what);
		ok(!cerr, "%s: consumers: try_recv_many OK with 1..max, EMPTY / CLOSED with 0; no torn values",
				what);
	}
	ok(fifo == 0, "%s: per-producer FIFO in every consumer (%lu out of order)", what, fifo);
	ok(dup == 0, "%s: no value received twice by one consumer (%lu)", what, dup);
	{
		/* exactly once over both consumers, and nothing beyond what
		 * each producer reported */
		int totals_ok = 1;
		for (int p = 0; p < NPROD; p++) {
			uint64_t got = 0, n = pr[p].produced;
			for (int i = 0; i < NCONS; i++)
				got += co[i].count[p];
			if (got != n) {
				totals_ok = 0;
				diag("    %s: producer %d sent %llu, consumers got %llu",
						what, p, (unsigned long long)n,
						(unsigned long long)got);
			}
			for (uint64_t wi = 0; wi < BITWORDS; wi++) {
				uint64_t a = co[0].seen[p][wi], b = co[1].seen[p][wi];
				uint64_t want;
				if (wi * 64 + 64 <= n)
					want = ~(uint64_t)0;
				else if (wi * 64 >= n)
					want = 0;
				else
					want = ((uint64_t)1 << (n - wi * 64)) - 1;
				dup += (unsigned long)__builtin_popcountll(a & b);
				lost += (unsigned long)__builtin_popcountll(want & ~(a | b));
				extra += (unsigned long)__builtin_popcountll((a | b) & ~want);
			}
		}
		ok(totals_ok, "%s: exact totals per producer", what);
		ok(dup == 0 && lost == 0 && extra == 0,
				"%s: every value exactly once (%lu twice, %lu lost, %lu never sent)",
				what, dup, lost, extra);
	}
	/* the run exercised what it claims: partial send batches (some of
	 * the batch fitted), and receive batches of more than one value
	 * (not required on capacity 1, where each claim takes one) */
	ok(total > 0 && batches > 0 && (wait || partial > 0) &&
			(cap <= 1 || multi > 0),
			"%s: %llu values, %llu send batches (%llu partial), %llu receive batches of > 1",
			what, (unsigned long long)total, (unsigned long long)batches,
			(unsigned long long)partial, (unsigned long long)multi);
	is_st(achan_chan_destroy(sh.ch), ACHAN_OK, "%s: destroy", what);
	for (int i = 0; i < NCONS; i++)
		for (int p = 0; p < NPROD; p++)
			free(co[i].seen[p]);
}

int
main(void)
{
	double secs = tap_test_seconds();
	long ms = (long)(secs * 400.0);

	if (ms < 20)
		ms = 20;
	tap_watchdog(30 + (unsigned)(secs * 4));
	run_flavour(0);
	run_flavour(ACHAN_LOCAL);
	t_threads(16, ms, 0);
	t_threads(1, ms, 0);
	t_threads(16, ms / 4, 1);
	t_threads(1, ms / 4, 1);
	t_threads(0, ms / 4, 1);
	return done_testing();
}
