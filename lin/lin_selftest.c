/*
 * lin/lin_selftest.c - the checker itself, on hand-written histories (each
 * known linearizable or not) and on random histories that are
 * linearizable by construction.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Hand-written: tickets are small integers; an operation [i, r] was
 * invoked at i and responded at r.  Random: each operation gets an
 * interval and a linearisation point inside it; the points, in order, are
 * run through the model to produce the results (the one result the model
 * accepts), so the history must be judged linearizable, and the witness
 * order the checker returns must replay through the model and respect
 * real time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <achan.h>

#include "lin.h"
#include "../t/tap.h"

#define O(t, c, a, i, r, s, v) \
	{ .thread = (t), .code = (c), .arg = (a), .inv = (i), .res = (r), \
	  .st = (s), .val = (v) }
#define OS(t, c, a, i, r, s, v, d) \
	{ .thread = (t), .code = (c), .arg = (a), .inv = (i), .res = (r), \
	  .st = (s), .val = (v), .id = (d) }

static int
judge(const struct lin_model *m, uint64_t init, const struct lin_op *ops,
    int n)
{
	static struct lin_history h;

	memset(&h, 0, sizeof(h));
	h.n = n;
	h.init = init;
	memcpy(h.ops, ops, sizeof(*ops) * (size_t)n);
	return lin_check(m, &h, NULL, NULL);
}

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define EXPECT(m_, init_, ops_, want_, desc_) do { \
	int got_ = judge((m_), (init_), (ops_), N(ops_)); \
	ok(got_ == (want_), "%s: %s", \
	    (want_) ? "linearizable" : "NOT linearizable", (desc_)); \
	if (got_ != (want_)) { \
		static struct lin_history hh_; \
		hh_.n = N(ops_); \
		hh_.init = (init_); \
		memcpy(hh_.ops, (ops_), sizeof(ops_)); \
		(void)lin_check((m_), &hh_, NULL, NULL); \
		lin_print((m_), &hh_); \
	} \
} while (0)

static int replays(const struct lin_model *m, const struct lin_history *h,
    const int *order);

/* Linearizable, with a witness order that replays through the model. */
static int
judge_witness(const struct lin_model *m, uint64_t init,
    const struct lin_op *ops, int n)
{
	static struct lin_history h;
	int order[LIN_MAX_OPS];

	memset(&h, 0, sizeof(h));
	h.n = n;
	h.init = init;
	memcpy(h.ops, ops, sizeof(*ops) * (size_t)n);
	return lin_check(m, &h, NULL, order) &&
	    replays(m, lin_checked(), order);
}

#define EXPECT_WITNESS(m_, init_, ops_, desc_) do { \
	int got_ = judge_witness((m_), (init_), (ops_), N(ops_)); \
	ok(got_, "linearizable, with a witness that replays: %s", (desc_)); \
	if (!got_) { \
		static struct lin_history hh_; \
		hh_.n = N(ops_); \
		hh_.init = (init_); \
		memcpy(hh_.ops, (ops_), sizeof(ops_)); \
		(void)lin_check((m_), &hh_, NULL, NULL); \
		lin_print((m_), &hh_); \
	} \
} while (0)

enum { OK_ = ACHAN_OK, FULL = ACHAN_FULL, EMPTY = ACHAN_EMPTY,
	CLOSED = ACHAN_CLOSED, TOUT = ACHAN_TIMEDOUT,
	NEWLY = ACHAN_NEWLY_CLOSED, ALREADY = ACHAN_ALREADY_CLOSED,
	PEND = ACHAN_PENDING, CANC = ACHAN_CANCELLED };

/* op codes, short */
enum { TS = LIN_TRY_SEND, TR = LIN_TRY_RECV, CL = LIN_CLOSE,
	SP = LIN_SEND_POLL, SR = LIN_SEND_REPOLL, SC = LIN_SEND_CANCEL,
	RP = LIN_RECV_POLL, RR = LIN_RECV_REPOLL, RC = LIN_RECV_CANCEL };

/*
 * Histories with futures.  A send future is named by its value; a
 * receive future by its thread.  Capacity 1 unless said otherwise; "[1]"
 * is the state the history starts from (value 1 buffered).
 */
static void
hand_written_futures(void)
{
	struct lin_model c1, c2, o1, o2, c1p;
	const uint64_t one[] = { 1 }, two[] = { 1, 2 };
	uint64_t s1 = lin_chan_state(0, 1, one), s12 = lin_chan_state(0, 2, two);
	const struct lin_model *uf = &lin_model_unbuffered_futures;

	lin_model_chan(&c1, 1);
	lin_model_chan(&c2, 2);
	lin_model_chan_overtake(&o1, 1);
	lin_model_chan_overtake(&o2, 2);
	/* the strict model with one point per send poll (before the rule
	 * that a poll answering OK may have waited inside its interval) */
	c1p = c1;
	c1p.split_poll = 0;

	/* bounded ------------------------------------------------------- */
	{
		/* Issue 14, C2: N's try_send reads "no sender waiting" and is
		 * delayed; S's send future registers; R's receive, begun
		 * after that, takes 1; N's push lands in the freed slot; the
		 * later receives see N's value before S's. */
		const struct lin_op h[] = {
			O(0, TS, 2, 1, 10, OK_, 0),	/* N */
			O(1, SP, 3, 2, 3, PEND, 0),	/* S */
			O(2, TR, 0, 4, 5, OK_, 1),	/* R */
			O(2, TR, 0, 11, 12, OK_, 2),
			O(2, TR, 0, 13, 14, OK_, 3),
			O(1, SR, 3, 15, 16, OK_, 0),
			O(2, TR, 0, 17, 18, EMPTY, 0),
		};
		EXPECT(&c1, s1, h, 0, "C2: a try_send overtakes a waiting "
		    "send future (issue 14)");
		EXPECT(&o1, s1, h, 1, "... which the overtake model explains");
	}
	{
		/* the same with what the contract says: R moved 3 in, so
		 * N's try_send answered FULL */
		const struct lin_op h[] = {
			O(0, TS, 2, 1, 10, FULL, 0),
			O(1, SP, 3, 2, 3, PEND, 0),
			O(2, TR, 0, 4, 5, OK_, 1),
			O(2, TR, 0, 11, 12, OK_, 3),
			O(1, SR, 3, 13, 14, OK_, 0),
			O(2, TR, 0, 15, 16, EMPTY, 0),
		};
		EXPECT(&c1, s1, h, 1, "C2 done right: the freed slot goes to "
		    "the waiting sender, try_send answers FULL");
	}
	/* A send poll answering OK may have waited inside its interval
	 * (lin_model.split_poll): registered where a poll answers PENDING,
	 * then served by a receive before it returned. */
	{
		/* The library's poll (issue 14's fix; lin_chan found this
		 * under TSan): S's poll finds the ring full, registers and
		 * serves the queue; R's receive is still vacating the slot,
		 * so S waits for it with the queue lock dropped, and Y
		 * registers behind S meanwhile; R's take serves S, the next
		 * one Y.  With one point per poll S could only send at once,
		 * which needs room and nobody waiting: there is no room
		 * before R's take, and Y waits from 4 on. */
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 12, OK_, 0),	/* S */
			O(2, SP, 4, 3, 4, PEND, 0),	/* Y */
			O(0, TR, 0, 5, 6, OK_, 1),	/* R */
			O(0, TR, 0, 7, 8, OK_, 3),
			O(2, SR, 4, 9, 10, OK_, 0),
			O(0, TR, 0, 13, 14, OK_, 4),
			O(0, TR, 0, 15, 16, EMPTY, 0),
		};
		EXPECT(&c1, s1, h, 1, "a send poll registers and is served "
		    "inside its interval while a younger sender registers "
		    "behind it: OK");
		EXPECT(&c1p, s1, h, 0, "... not with one point per poll");
		EXPECT(&o1, s1, h, 1, "... and the overtake model accepts it "
		    "too");
	}
	{
		/* no receive inside the poll's interval: it cannot have
		 * been served */
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 4, OK_, 0),
			O(0, TR, 0, 5, 6, OK_, 1),
			O(0, TR, 0, 7, 8, OK_, 3),
			O(0, TR, 0, 9, 10, EMPTY, 0),
		};
		EXPECT(&c1, s1, h, 0, "a send poll answers OK on a full "
		    "channel with no receive inside its interval");
		EXPECT(&o1, s1, h, 0, "... not even with overtaking");
	}
	{
		/* the one receive inside it served the older sender 5 */
		const struct lin_op h[] = {
			O(2, SP, 5, 1, 2, PEND, 0),
			O(1, SP, 3, 3, 10, OK_, 0),
			O(0, TR, 0, 4, 5, OK_, 1),
			O(0, TR, 0, 11, 12, OK_, 5),
			O(0, TR, 0, 13, 14, OK_, 3),
			O(2, SR, 5, 15, 16, OK_, 0),
			O(0, TR, 0, 17, 18, EMPTY, 0),
		};
		EXPECT(&c1, s1, h, 0, "a send poll answers OK although the "
		    "only receive inside its interval served an older "
		    "sender");
		EXPECT(&o1, s1, h, 0, "... not even with overtaking");
	}
	{
		/* the poll registers behind the waiting sender 3, yet its
		 * value is received first */
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(2, SP, 4, 3, 10, OK_, 0),
			O(0, TR, 0, 4, 5, OK_, 1),
			O(0, TR, 0, 6, 7, OK_, 4),
			O(1, SR, 3, 11, 12, OK_, 0),
			O(0, TR, 0, 13, 14, OK_, 3),
			O(0, TR, 0, 15, 16, EMPTY, 0),
		};
		EXPECT(&c1, s1, h, 0, "a send poll that waited is served "
		    "before the older waiting sender");
		EXPECT(&o1, s1, h, 1, "... which the overtake model explains");
	}
	{
		/* ... its twin in FIFO order */
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(2, SP, 4, 3, 10, OK_, 0),
			O(0, TR, 0, 4, 5, OK_, 1),
			O(0, TR, 0, 6, 7, OK_, 3),
			O(1, SR, 3, 11, 12, OK_, 0),
			O(0, TR, 0, 13, 14, OK_, 4),
			O(0, TR, 0, 15, 16, EMPTY, 0),
		};
		EXPECT(&c1, s1, h, 1, "a send poll that waited is served "
		    "after the older waiting sender");
	}
	{
		/* registered behind 5, failed by the close (the library's
		 * poll finishes CLOSED): the one point after the close
		 * explains it */
		const struct lin_op h[] = {
			O(2, SP, 5, 1, 2, PEND, 0),
			O(1, SP, 3, 3, 10, CLOSED, 0),
			O(3, SP, 4, 5, 6, PEND, 0),
			O(0, CL, 0, 7, 8, NEWLY, 0),
			O(3, SR, 4, 11, 12, CLOSED, 0),
			O(2, SC, 5, 13, 14, CANC, 0),
			O(0, TR, 0, 15, 16, OK_, 1),
			O(0, TR, 0, 17, 18, CLOSED, 0),
		};
		EXPECT(&c1, s1, h, 1, "a send poll that waited is failed by a "
		    "close inside its interval: CLOSED");
		EXPECT(&c1p, s1, h, 1, "... as with one point per poll");
	}
	{
		/* what lin_chan reported under TSan (capacity 1, from
		 * empty; tickets less 315500): send_poll(2) registers behind
		 * 8 and is served by the receive of 8, while 5 registers
		 * behind it and is cancelled */
		const struct lin_op h[] = {
			O(0, TS, 1, 19, 21, OK_, 0),
			O(0, SP, 2, 24, 48, OK_, 0),
			O(0, TS, 3, 50, 52, OK_, 0),
			O(1, TR, 0, 38, 39, OK_, 2),
			O(1, RP, 0, 40, 41, PEND, 0),
			O(1, SP, 4, 42, 43, OK_, 0),
			O(1, RR, 0, 44, 45, OK_, 4),
			O(1, RP, 0, 46, 47, PEND, 0),
			O(2, SP, 5, 30, 31, PEND, 0),
			O(2, TS, 6, 32, 33, FULL, 0),
			O(2, RP, 0, 34, 35, OK_, 8),
			O(3, TS, 7, 20, 22, FULL, 0),
			O(3, SP, 8, 23, 25, PEND, 0),
			O(3, TR, 0, 26, 27, OK_, 1),
			O(3, SR, 8, 28, 29, OK_, 0),
			O(1, RC, 0, 49, 51, CANC, 0),
			O(2, SC, 5, 36, 37, CANC, 0),
			O(0, TR, 0, 393, 394, OK_, 3),
			O(0, TR, 0, 395, 396, EMPTY, 0),
		};
		EXPECT(&c1, 0, h, 1, "lin_chan's history under TSan (1): a "
		    "send poll served inside its interval");
		EXPECT(&c1p, 0, h, 0, "... not with one point per poll");
	}
	{
		/* the other one (tickets less 333800): send_poll(9)
		 * registers with 10 in the ring, 5 registers behind it, the
		 * receive of 10 serves it (and that of 9 serves 5), while
		 * 12 registers behind 5 and is cancelled */
		const struct lin_op h[] = {
			O(0, SP, 1, 41, 48, OK_, 0),
			O(0, TS, 2, 49, 61, FULL, 0),
			O(0, TS, 3, 62, 63, FULL, 0),
			O(0, RP, 0, 64, 76, OK_, 7),
			O(0, SP, 4, 77, 78, OK_, 0),
			O(0, TR, 0, 79, 80, OK_, 4),
			O(1, SP, 5, 52, 54, PEND, 0),
			O(1, TR, 0, 56, 59, OK_, 10),
			O(1, TR, 0, 60, 71, OK_, 9),
			O(1, SR, 5, 72, 73, OK_, 0),
			O(1, TS, 7, 74, 75, OK_, 0),
			O(2, SP, 8, 42, 43, OK_, 0),
			O(2, TR, 0, 44, 50, OK_, 8),
			O(2, SP, 9, 51, 68, OK_, 0),
			O(2, TR, 0, 69, 70, OK_, 5),
			O(3, SP, 10, 45, 46, PEND, 0),
			O(3, RP, 0, 47, 53, OK_, 1),
			O(3, SR, 10, 55, 57, OK_, 0),
			O(3, SP, 12, 58, 65, PEND, 0),
			O(3, SC, 12, 66, 67, CANC, 0),
			O(0, TR, 0, 567, 568, EMPTY, 0),
		};
		EXPECT(&c1, 0, h, 1, "lin_chan's history under TSan (2): a "
		    "send poll served inside its interval");
		EXPECT(&c1p, 0, h, 0, "... not with one point per poll");
	}
	{
		/* A report of lin_chan under TSan (history 3195, capacity 1,
		 * tickets as printed) from a build without the rule above:
		 * rejected with one point per poll, there reported as "only
		 * if waiting senders may be overtaken".  send_poll(9) (11)
		 * registers behind 1 (1 waits from 356 on), 6 registers
		 * behind it (7), the receive of 5 (3) serves 1, that of 1
		 * (8) serves 9, and 6 is cancelled while still queued (17);
		 * 10 registers (12), the receive of 9 (14) serves it.  With
		 * one point per poll 9 can only send at once, which needs
		 * room and nobody waiting: 6 would then be ahead of it, and
		 * served. */
		const uint64_t t13[] = { 13 };
		const struct lin_op h[] = {
			O(0, TR, 0, 430349, 430351, OK_, 13),	/* 0 */
			O(0, SP, 1, 430353, 430356, PEND, 0),
			O(0, TS, 2, 430357, 430358, FULL, 0),
			O(0, TR, 0, 430359, 430375, OK_, 5),
			O(0, SR, 1, 430377, 430381, OK_, 0),
			O(0, SP, 4, 430383, 430384, PEND, 0),	/* 5 */
			O(1, TS, 5, 430350, 430352, OK_, 0),
			O(1, SP, 6, 430354, 430360, PEND, 0),
			O(1, RP, 0, 430361, 430362, OK_, 1),
			O(1, TS, 7, 430363, 430364, FULL, 0),
			O(1, TS, 8, 430365, 430366, FULL, 0),	/* 10 */
			O(2, SP, 9, 430355, 430369, OK_, 0),
			O(2, SP, 10, 430370, 430371, PEND, 0),
			O(2, TS, 11, 430372, 430373, FULL, 0),
			O(2, TR, 0, 430374, 430376, OK_, 9),
			O(2, TS, 12, 430378, 430379, FULL, 0),	/* 15 */
			O(0, SC, 4, 430385, 430386, CANC, 0),
			O(1, SC, 6, 430367, 430368, CANC, 0),
			O(2, SC, 10, 430380, 430382, OK_, 0),
			O(0, TR, 0, 430603, 430604, OK_, 10),
			O(0, TR, 0, 430605, 430606, EMPTY, 0),	/* 20 */
		};
		uint64_t init = lin_chan_state(0, 1, t13);

		EXPECT_WITNESS(&c1, init, h, "lin_chan's history 3195 under "
		    "TSan: a send poll registers behind a waiting sender, a "
		    "younger one registers behind it and is cancelled");
		EXPECT(&c1p, init, h, 0, "... not with one point per poll");
		EXPECT(&o1, init, h, 1, "... and the overtake model accepts "
		    "it too");
	}
	{
		/* ... its shape, small: S (3) registers behind W (2), Y (4)
		 * behind S; R serves W, R' serves S; Y's cancel finds it
		 * queued */
		const struct lin_op h[] = {
			O(0, SP, 2, 1, 2, PEND, 0),	/* W */
			O(2, SP, 3, 3, 20, OK_, 0),	/* S */
			O(1, SP, 4, 5, 6, PEND, 0),	/* Y */
			O(0, TR, 0, 7, 8, OK_, 1),	/* R */
			O(1, TR, 0, 9, 10, OK_, 2),	/* R' */
			O(1, SC, 4, 11, 12, CANC, 0),
			O(0, SR, 2, 13, 14, OK_, 0),
			O(0, TR, 0, 21, 22, OK_, 3),
			O(0, TR, 0, 23, 24, EMPTY, 0),
		};
		EXPECT_WITNESS(&c1, s1, h, "a send poll that waited behind "
		    "an older waiting sender is served by the second receive; "
		    "the younger one behind it is cancelled");
		EXPECT(&c1p, s1, h, 0, "... not with one point per poll");
	}
	{
		/* ... and its twin where Y registered before S's poll began:
		 * R' serves Y, not S, so Y's cancel must answer OK and the
		 * last value is 4; only overtaking (S takes the room R'
		 * freed before R' hands it to Y) explains it */
		const struct lin_op h[] = {
			O(0, SP, 2, 1, 2, PEND, 0),	/* W */
			O(1, SP, 4, 3, 4, PEND, 0),	/* Y */
			O(2, SP, 3, 5, 20, OK_, 0),	/* S */
			O(0, TR, 0, 7, 8, OK_, 1),	/* R */
			O(1, TR, 0, 9, 10, OK_, 2),	/* R' */
			O(1, SC, 4, 11, 12, CANC, 0),
			O(0, SR, 2, 13, 14, OK_, 0),
			O(0, TR, 0, 21, 22, OK_, 3),
			O(0, TR, 0, 23, 24, EMPTY, 0),
		};
		EXPECT(&c1, s1, h, 0, "a send poll that waited is served "
		    "before a younger sender that registered before it began");
		EXPECT(&o1, s1, h, 1, "... which the overtake model explains");
	}
	{
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, CLOSED, 0),
			O(0, CL, 0, 3, 4, NEWLY, 0),
		};
		EXPECT(&c1, s1, h, 0, "a send poll answers CLOSED before the "
		    "close");
	}
	{
		/* no concurrency needed: once S waits, the slot a receive
		 * frees is S's */
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(2, TR, 0, 3, 4, OK_, 1),
			O(0, TS, 2, 5, 6, OK_, 0),
		};
		EXPECT(&c1, s1, h, 0, "a try_send takes the slot freed for a "
		    "waiting sender");
	}
	{
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(1, SR, 3, 3, 4, PEND, 0),
			O(2, TR, 0, 5, 6, OK_, 1),
			O(1, SC, 3, 7, 8, OK_, 0),
			O(2, TR, 0, 9, 10, OK_, 3),
			O(2, TR, 0, 11, 12, EMPTY, 0),
		};
		EXPECT(&c1, s1, h, 1, "a waiting sender served by a receive: "
		    "its cancel answers OK (had completed)");
	}
	{
		/* What lin_chan still finds under TSan (capacity 2): R1's
		 * receive takes 1 and is still vacating its slot - the one
		 * at the tail - when R2 takes 2; R2's serve leaves that slot
		 * to R1 and returns; S's cancel, begun after that, finds S
		 * still queued and answers CANCELLED, though both receives
		 * freed room while S waited (FIFO puts R1's take before
		 * R2's).  The library's send cancel does not hand owed room
		 * over first, as try_send, re-polls and close do. */
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),	/* S */
			O(2, TR, 0, 3, 20, OK_, 1),	/* R1 */
			O(3, TR, 0, 4, 5, OK_, 2),	/* R2 */
			O(1, SC, 3, 6, 7, CANC, 0),
			O(0, TR, 0, 21, 22, EMPTY, 0),
		};
		EXPECT(&c2, s12, h, 0, "a send cancel answers CANCELLED after "
		    "receives that freed room for it returned");
		EXPECT(&o2, s12, h, 1, "... which the overtake model explains "
		    "(R1's hand-over after the cancel)");
	}
	{
		/* the broken wrapper's signature */
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(2, TR, 0, 3, 4, OK_, 1),
			O(1, SC, 3, 5, 6, CANC, 0),
			O(2, TR, 0, 7, 8, OK_, 3),
		};
		EXPECT(&c1, s1, h, 0, "a cancel answers CANCELLED although "
		    "the value went in");
		EXPECT(&o1, s1, h, 0, "... not even with overtaking");
	}
	{
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(1, SC, 3, 3, 6, CANC, 0),
			O(2, TR, 0, 4, 5, OK_, 1),
			O(2, TR, 0, 7, 8, EMPTY, 0),
		};
		EXPECT(&c1, s1, h, 1, "a cancel overlapping the receive that "
		    "would serve it: cancelled first");
	}
	{
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(1, SC, 3, 3, 4, CANC, 0),
			O(2, TR, 0, 5, 6, OK_, 1),
			O(2, TR, 0, 7, 8, OK_, 3),
		};
		EXPECT(&c1, s1, h, 0, "a cancelled sender's value arrives "
		    "anyway");
	}
	{
		/* FIFO among waiting senders */
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(3, SP, 4, 3, 4, PEND, 0),
			O(2, TR, 0, 5, 6, OK_, 1),
			O(2, TR, 0, 7, 8, OK_, 4),
		};
		EXPECT(&c1, s1, h, 0, "the younger waiting sender served "
		    "first");
	}
	{
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(3, SP, 4, 3, 4, PEND, 0),
			O(2, TR, 0, 5, 6, OK_, 1),
			O(3, SR, 4, 7, 8, PEND, 0),
			O(1, SR, 3, 9, 10, OK_, 0),
			O(2, RP, 0, 11, 12, OK_, 3),
			O(3, SR, 4, 13, 14, OK_, 0),
			O(2, TR, 0, 15, 16, OK_, 4),
			O(2, TR, 0, 17, 18, EMPTY, 0),
		};
		EXPECT(&c1, s1, h, 1, "two waiting senders served in order, "
		    "re-polls PENDING then OK");
	}
	{
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(0, CL, 0, 3, 4, NEWLY, 0),
			O(1, SR, 3, 5, 6, CLOSED, 0),
			O(2, TR, 0, 7, 8, OK_, 1),
			O(2, RP, 0, 9, 10, CLOSED, 0),
		};
		EXPECT(&c1, s1, h, 1, "close fails a waiting sender; receivers "
		    "drain, then CLOSED");
	}
	{
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(0, CL, 0, 3, 4, NEWLY, 0),
			O(2, TR, 0, 5, 6, OK_, 1),
			O(1, SC, 3, 7, 8, OK_, 0),
		};
		EXPECT(&c1, s1, h, 0, "a sender failed by close claims its "
		    "value went in");
	}
	{
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(2, TR, 0, 3, 4, OK_, 1),
			O(1, SR, 3, 5, 6, PEND, 0),
		};
		EXPECT(&c1, s1, h, 0, "a served sender's re-poll answers "
		    "PENDING");
	}
	{
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
		};
		EXPECT(&c2, s1, h, 0, "a send future waits with room");
	}
	{
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(0, TR, 0, 3, 4, OK_, 1),
			O(0, TR, 0, 5, 6, OK_, 2),
			O(0, TR, 0, 7, 8, OK_, 3),
			O(1, SC, 3, 9, 10, OK_, 0),
		};
		EXPECT(&c2, s12, h, 1, "capacity 2: the sender moves in behind "
		    "the values before it");
	}
	/* receive futures: PENDING only with nothing to take; a waiting
	 * receive future reserves nothing */
	{
		const struct lin_op h[] = {
			O(1, RP, 0, 1, 2, PEND, 0),
			O(0, TS, 1, 3, 4, OK_, 0),
			O(2, TR, 0, 5, 6, OK_, 1),
			O(1, RR, 0, 7, 8, PEND, 0),
			O(0, TS, 2, 9, 10, OK_, 0),
			O(1, RR, 0, 11, 12, OK_, 2),
		};
		EXPECT(&c1, 0, h, 1, "a waiting receive future is overtaken; "
		    "its re-poll takes the next value");
	}
	{
		const struct lin_op h[] = {
			O(1, RP, 0, 1, 2, PEND, 0),
			O(0, TS, 1, 3, 4, OK_, 0),
			O(1, RC, 0, 5, 6, CANC, 0),
			O(2, TR, 0, 7, 8, OK_, 1),
		};
		EXPECT(&c1, 0, h, 1, "a receive future cancelled with a value "
		    "buffered: CANCELLED, the value stays");
	}
	{
		const struct lin_op h[] = {
			O(1, RP, 0, 1, 2, PEND, 0),
			O(0, TS, 1, 3, 4, OK_, 0),
			O(1, RC, 0, 5, 6, OK_, 1),
		};
		EXPECT(&c1, 0, h, 0, "a bounded receive future is handed a "
		    "value it did not poll for");
	}
	{
		const struct lin_op h[] = {
			O(0, TS, 1, 1, 2, OK_, 0),
			O(1, RP, 0, 3, 4, PEND, 0),
		};
		EXPECT(&c1, 0, h, 0, "a receive future PENDING with a value "
		    "buffered");
	}
	{
		/* what lin_chan found in the library of issue 14: R's
		 * receive took 1, and before it moved S's 3 into the slot a
		 * receive future looked and found nothing */
		const struct lin_op h[] = {
			O(1, SP, 3, 1, 2, PEND, 0),
			O(2, TR, 0, 3, 10, OK_, 1),
			O(0, RP, 0, 4, 5, PEND, 0),
			O(1, SR, 3, 11, 12, OK_, 0),
			O(0, RR, 0, 13, 14, OK_, 3),
		};
		EXPECT(&c1, s1, h, 0, "a receive future PENDING while a "
		    "waiting sender is owed the freed slot");
		EXPECT(&o1, s1, h, 1, "... which the overtake model explains");
	}

	/* unbuffered ---------------------------------------------------- */
	{
		const struct lin_op h[] = {
			O(1, RP, 0, 1, 2, PEND, 0),
			O(0, TS, 1, 3, 4, OK_, 0),
			O(0, TS, 2, 5, 6, FULL, 0),
			O(1, RR, 0, 7, 8, OK_, 1),
		};
		EXPECT(uf, 0, h, 1, "unbuffered: try_send hands its value to "
		    "a waiting receive future");
	}
	{
		const struct lin_op h[] = {
			O(1, RP, 0, 1, 2, PEND, 0),
			O(0, TS, 1, 3, 4, FULL, 0),
		};
		EXPECT(uf, 0, h, 0, "unbuffered: try_send FULL while a receive "
		    "future waits");
	}
	{
		const struct lin_op h[] = {
			O(1, RP, 0, 1, 2, PEND, 0),
			O(0, TS, 1, 3, 4, OK_, 0),
			O(1, RC, 0, 5, 6, OK_, 1),
		};
		EXPECT(uf, 0, h, 1, "unbuffered: a receive future that got a "
		    "value: cancel answers OK with it");
	}
	{
		const struct lin_op h[] = {
			O(1, RP, 0, 1, 2, PEND, 0),
			O(0, TS, 1, 3, 4, OK_, 0),
			O(1, RC, 0, 5, 6, CANC, 0),
		};
		EXPECT(uf, 0, h, 0, "unbuffered: the value handed over is lost "
		    "by a cancel");
	}
	{
		const struct lin_op h[] = {
			O(1, RP, 0, 1, 2, PEND, 0),
			O(2, RP, 0, 3, 4, PEND, 0),
			O(0, TS, 1, 5, 6, OK_, 0),
			O(2, RR, 0, 7, 8, OK_, 1),
		};
		EXPECT(uf, 0, h, 0, "unbuffered: the younger receive future "
		    "served first");
	}
	{
		const struct lin_op h[] = {
			O(0, SP, 1, 1, 2, PEND, 0),
			O(2, TR, 0, 3, 4, OK_, 1),
			O(2, TR, 0, 5, 6, EMPTY, 0),
			O(0, SR, 1, 7, 8, OK_, 0),
		};
		EXPECT(uf, 0, h, 1, "unbuffered: try_recv takes a waiting send "
		    "future's value");
	}
	{
		const struct lin_op h[] = {
			O(0, SP, 1, 1, 2, PEND, 0),
			O(2, TR, 0, 3, 4, EMPTY, 0),
		};
		EXPECT(uf, 0, h, 0, "unbuffered: try_recv EMPTY while a send "
		    "future waits");
	}
	{
		const struct lin_op h[] = {
			O(0, SP, 1, 1, 2, PEND, 0),
			O(1, RP, 0, 3, 4, OK_, 1),
			O(2, SP, 2, 5, 6, PEND, 0),
			O(0, SC, 1, 7, 8, OK_, 0),
			O(1, CL, 0, 9, 10, NEWLY, 0),
			O(2, SR, 2, 11, 12, CLOSED, 0),
			O(1, RP, 0, 13, 14, CLOSED, 0),
		};
		EXPECT(uf, 0, h, 1, "unbuffered: futures meet; close fails the "
		    "one still waiting");
	}
}

/*
 * Select over two channels A and B (lin_model_select), capacity 1 each
 * unless said otherwise ("B unbuffered").  OB: an operation on channel A
 * (0) or B (1); SL: a select, arg the send case's value ({send A arg,
 * recv B}) or 0 ({recv A, recv B}), with the case it completed and the
 * value received.  A waiting sender's value v belongs to thread v & 3 (5:
 * T1, 6: T2).  w: the model the programs judge by (each case of an
 * answer EMPTY or PENDING looked at on its own); s: one point per such
 * answer; f: w where servers never pass over a select being polled.
 */
#define OB(t, c, ob, a, i, r, st_, v) \
	{ .thread = (t), .code = (c), .obj = (ob), .arg = (a), .inv = (i), \
	  .res = (r), .st = (st_), .val = (v) }
#define SL(t, c, a, i, r, st_, x, v) \
	{ .thread = (t), .code = (c), .arg = (a), .inv = (i), .res = (r), \
	  .st = (st_), .idx = (x), .val = (v) }

static void
hand_written_select(void)
{
	struct lin_model w, s, f, wu, su, fu;
	const uint64_t one[] = { 1 };
	uint64_t e, a1, b3, a1b3, ue, ua1;
	enum { A = 0, B = 1, STRY = LIN_SEL_TRY, SBLK = LIN_SEL,
		SPOLL = LIN_SEL_POLL, SREP = LIN_SEL_REPOLL,
		SCAN = LIN_SEL_CANCEL };

	lin_model_select(&w, 1, 1, LIN_SEL_LOOKS);
	lin_model_select(&s, 1, 1, 0);
	lin_model_select(&f, 1, 1, LIN_SEL_LOOKS | LIN_SEL_FIFO);
	lin_model_select(&wu, 1, 0, LIN_SEL_LOOKS);
	lin_model_select(&su, 1, 0, 0);
	lin_model_select(&fu, 1, 0, LIN_SEL_LOOKS | LIN_SEL_FIFO);
	e = lin_select_state(&w, 0, NULL, 0, 0);
	a1 = lin_select_state(&w, 1, one, 0, 0);
	b3 = lin_select_state(&w, 0, NULL, 1, 3);
	a1b3 = lin_select_state(&w, 1, one, 1, 3);
	ue = lin_select_state(&wu, 0, NULL, 0, 0);
	ua1 = lin_select_state(&wu, 1, one, 0, 0);

	/* exactly one case, as its plain call ------------------------- */
	{
		const struct lin_op h[] = {
			SL(1, STRY, 0, 1, 2, OK_, 1, 3),
			OB(0, TR, A, 0, 3, 4, EMPTY, 0),
			OB(0, TR, B, 0, 5, 6, EMPTY, 0),
		};
		EXPECT(&s, b3, h, 1, "select_try {recv A, recv B} takes B's "
		    "value, A empty");
	}
	{
		/* A's value vanished: the losing case took it */
		const struct lin_op h[] = {
			SL(1, STRY, 0, 1, 2, OK_, 1, 3),
			OB(0, TR, A, 0, 3, 4, EMPTY, 0),
			OB(0, TR, B, 0, 5, 6, EMPTY, 0),
		};
		EXPECT(&w, a1b3, h, 0, "a value taken by the losing case");
	}
	{
		/* its send case waits behind 1; the receive serves it */
		const struct lin_op h[] = {
			SL(1, SPOLL, 5, 1, 2, PEND, 0, 0),
			OB(0, TR, A, 0, 3, 4, OK_, 1),
			SL(1, SREP, 5, 5, 6, OK_, 0, 0),
			OB(0, TR, A, 0, 7, 8, OK_, 5),
			OB(0, TR, A, 0, 9, 10, EMPTY, 0),
		};
		EXPECT(&s, a1, h, 1, "a waiting send case served by a "
		    "receive: the re-poll answers case 0");
	}
	{
		const struct lin_op h[] = {
			SL(1, SPOLL, 5, 1, 2, PEND, 0, 0),
			OB(0, TR, A, 0, 3, 4, OK_, 1),
			SL(1, SCAN, 5, 5, 6, CANC, 0, 0),
			OB(0, TR, A, 0, 7, 8, OK_, 5),
		};
		EXPECT(&w, a1, h, 0, "a cancel answering CANCELLED after "
		    "its send case was served");
	}
	{
		const struct lin_op h[] = {
			SL(1, SPOLL, 5, 1, 2, PEND, 0, 0),
			OB(2, TS, B, 6, 3, 4, OK_, 0),
			SL(1, SREP, 5, 5, 6, OK_, 1, 6),
			OB(0, TR, A, 0, 7, 8, OK_, 1),
			OB(0, TR, A, 0, 9, 10, EMPTY, 0),
			OB(0, TR, B, 0, 11, 12, EMPTY, 0),
		};
		EXPECT(&s, a1, h, 1, "a waiting select takes B's value; its "
		    "send case leaves A's queue");
	}
	{
		/* the receive served its send case (5 went in), and the
		 * re-poll took B's value too */
		const struct lin_op h[] = {
			SL(1, SPOLL, 5, 1, 2, PEND, 0, 0),
			OB(0, TR, A, 0, 3, 4, OK_, 1),
			OB(2, TS, B, 6, 5, 6, OK_, 0),
			SL(1, SREP, 5, 7, 8, OK_, 1, 6),
			OB(0, TR, A, 0, 9, 10, OK_, 5),
			OB(0, TR, A, 0, 11, 12, EMPTY, 0),
			OB(0, TR, B, 0, 13, 14, EMPTY, 0),
		};
		EXPECT(&w, a1, h, 0, "two cases completing (send case served, "
		    "receive case took a value)");
	}
	{
		const struct lin_op h[] = {
			SL(1, SPOLL, 5, 1, 2, PEND, 0, 0),
			OB(0, CL, A, 0, 3, 4, NEWLY, 0),
			SL(1, SREP, 5, 5, 6, CLOSED, 0, 0),
			OB(0, TR, A, 0, 7, 8, OK_, 1),
			OB(0, TR, A, 0, 9, 10, CLOSED, 0),
		};
		EXPECT(&s, a1, h, 1, "a close fails the waiting send case: "
		    "CLOSED, case 0");
	}
	{
		/* blocking: registered behind 1, then served; T2's send
		 * future registered behind it */
		const struct lin_op h[] = {
			SL(1, SBLK, 5, 1, 10, OK_, 0, 0),
			O(2, SP, 6, 2, 3, PEND, 0),
			OB(0, TR, A, 0, 4, 5, OK_, 1),
			OB(0, TR, A, 0, 6, 7, OK_, 5),
			O(2, SR, 6, 8, 9, OK_, 0),
			OB(0, TR, A, 0, 11, 12, OK_, 6),
			OB(0, TR, A, 0, 13, 14, EMPTY, 0),
		};
		EXPECT(&s, a1, h, 1, "a blocking select that waited in A's "
		    "queue and was served inside its interval");
	}

	/* PENDING and EMPTY ----------------------------------------------- */
	{
		const struct lin_op h[] = {
			SL(1, SPOLL, 0, 1, 2, PEND, 0, 0),
			OB(0, TR, A, 0, 3, 4, OK_, 1),
			SL(1, SCAN, 0, 5, 6, CANC, 0, 0),
		};
		EXPECT(&w, a1, h, 0, "PENDING while a case was ready "
		    "throughout (A held 1)");
	}
	{
		const struct lin_op h[] = {
			SL(1, STRY, 0, 1, 2, EMPTY, 0, 0),
			OB(0, TR, A, 0, 3, 4, OK_, 1),
		};
		EXPECT(&w, a1, h, 0, "select_try EMPTY while a case was "
		    "ready throughout");
	}
	{
		/* room in A and nobody waiting: the send case goes in */
		const struct lin_op h[] = {
			SL(1, SPOLL, 5, 1, 2, PEND, 0, 0),
			SL(1, SCAN, 5, 3, 4, CANC, 0, 0),
		};
		EXPECT(&w, e, h, 0, "PENDING with room for the send case");
		EXPECT(&w, a1, h, 1, "... which is fine with A full");
	}
	{
		/*
		 * Each case looked at on its own.  The select tries A (empty),
		 * then B; between, T2 fills A and T3 empties B: at no one
		 * point were both empty.  The library tries the cases one
		 * after the other (select_impl.h: try each case's try
		 * operation; a poll polls each case's future), as crossbeam
		 * does; only a select that locks every object (Go) answers
		 * EMPTY at one point.
		 */
		const struct lin_op h[] = {
			SL(1, STRY, 0, 1, 10, EMPTY, 0, 0),
			OB(2, TS, A, 6, 2, 3, OK_, 0),
			OB(3, TR, B, 0, 4, 5, OK_, 3),
			OB(0, TR, A, 0, 11, 12, OK_, 6),
			OB(0, TR, A, 0, 13, 14, EMPTY, 0),
			OB(0, TR, B, 0, 15, 16, EMPTY, 0),
		};
		EXPECT(&w, b3, h, 1, "select_try EMPTY: A empty at one point, "
		    "B at another, never both at once");
		EXPECT(&s, b3, h, 0, "... not with one point per EMPTY");
	}
	{
		const struct lin_op h[] = {
			SL(1, SPOLL, 0, 1, 10, PEND, 0, 0),
			OB(2, TS, A, 6, 2, 3, OK_, 0),
			OB(3, TR, B, 0, 4, 5, OK_, 3),
			SL(1, SCAN, 0, 11, 12, CANC, 0, 0),
			OB(0, TR, A, 0, 13, 14, OK_, 6),
			OB(0, TR, B, 0, 15, 16, EMPTY, 0),
		};
		EXPECT(&w, b3, h, 1, "a select future PENDING the same way");
		EXPECT(&s, b3, h, 0, "... not with one point per PENDING");
	}
	{
		/* lin_select found this one in a plain build (A capacity 1, B
		 * capacity 1, from [1] and [3], tickets less 106160): T2's
		 * select_try [12, 18] answers EMPTY while T0 takes 1 from A,
		 * puts 4 in, then takes 3 from B - A was empty only while B
		 * held 3; T2 looked at A then, and at B after T0's receive */
		const struct lin_op h[] = {
			OB(2, TS, A, 6, 9, 10, FULL, 0),
			SL(0, STRY, 0, 11, 13, OK_, 0, 1),
			SL(2, STRY, 0, 12, 18, EMPTY, 0, 0),
			OB(0, TS, A, 4, 14, 15, OK_, 0),
			OB(0, TR, B, 0, 16, 17, OK_, 3),
			OB(2, TR, B, 0, 19, 20, EMPTY, 0),
			SL(2, SPOLL, 0, 21, 22, OK_, 0, 4),
			OB(2, TS, B, 10, 23, 24, OK_, 0),
			OB(1, TR, A, 0, 25, 26, EMPTY, 0),
			OB(1, TR, B, 0, 27, 28, OK_, 10),
			OB(1, TR, B, 0, 29, 30, EMPTY, 0),
			OB(1, TR, B, 0, 31, 32, EMPTY, 0),
			OB(3, TR, B, 0, 33, 34, EMPTY, 0),
			OB(3, TR, A, 0, 35, 36, EMPTY, 0),
			OB(3, TS, A, 7, 37, 38, OK_, 0),
			SL(3, STRY, 11, 39, 40, EMPTY, 0, 0),
			OB(3, TS, A, 15, 41, 42, FULL, 0),
			OB(0, TR, A, 0, 399, 400, OK_, 7),
			OB(0, TR, A, 0, 401, 402, EMPTY, 0),
			OB(0, TR, B, 0, 403, 404, EMPTY, 0),
		};

		EXPECT(&w, a1b3, h, 1, "lin_select (plain): select_try EMPTY "
		    "with A looked at while empty, B after T0 took 3");
		EXPECT(&s, a1b3, h, 0, "... not with one point per EMPTY");
	}
	{
		/* lin_select found this one under TSan (A capacity 1, B
		 * capacity 1, tickets less 903900): T0's select_try [37, 48]
		 * answers EMPTY, but A held 6, then 4 (T2's receive served
		 * T0's waiting select) until T3 took 4 at [46, 47], and B
		 * held 7 from T3's try_send at [42, 43] on: B was looked at
		 * before 43, A after 46 */
		const struct lin_op h[] = {
			OB(2, TR, B, 0, 25, 26, EMPTY, 0),
			SL(2, SPOLL, 0, 27, 28, OK_, 0, 1),
			OB(2, TS, A, 6, 29, 30, OK_, 0),
			OB(2, TR, B, 0, 31, 32, EMPTY, 0),
			SL(0, SPOLL, 4, 33, 36, PEND, 0, 0),
			SL(2, SPOLL, 10, 34, 35, PEND, 0, 0),
			SL(0, STRY, 0, 37, 48, EMPTY, 0, 0),
			OB(2, TR, A, 0, 38, 39, OK_, 6),
			SL(2, SCAN, 10, 40, 41, CANC, 0, 0),
			OB(3, TS, B, 7, 42, 43, OK_, 0),
			OB(3, TS, B, 11, 44, 45, FULL, 0),
			SL(3, SPOLL, 0, 46, 47, OK_, 0, 4),
			OB(1, TR, A, 0, 49, 50, EMPTY, 0),
			OB(1, TR, A, 0, 51, 53, EMPTY, 0),
			SL(0, SREP, 4, 52, 58, OK_, 0, 0),
			OB(1, TS, B, 5, 54, 55, FULL, 0),
			OB(1, TR, A, 0, 56, 57, EMPTY, 0),
			O(0, SP, 12, 59, 60, OK_, 0),
			OB(1, CL, A, 0, 61, 63, NEWLY, 0),
			OB(0, TR, A, 0, 62, 64, OK_, 12),
			SL(0, SPOLL, 16, 65, 66, OK_, 1, 7),
			OB(0, TR, A, 0, 183, 184, CLOSED, 0),
			OB(0, TR, B, 0, 185, 186, EMPTY, 0),
		};

		EXPECT(&w, a1, h, 1, "lin_select (TSan): select_try EMPTY "
		    "with B looked at before T3 filled it and A after T3 "
		    "emptied it");
		EXPECT(&s, a1, h, 0, "... not with one point per EMPTY");
	}
	{
		/* The send case was looked at (A full) before the close, B
		 * after T3 emptied it; the close sets no MISSED, so the poll
		 * answers PENDING and the re-poll CLOSED. */
		const struct lin_op h[] = {
			SL(1, SPOLL, 5, 1, 10, PEND, 0, 0),
			OB(0, CL, A, 0, 5, 6, NEWLY, 0),
			OB(3, TR, B, 0, 7, 8, OK_, 3),
			SL(1, SREP, 5, 11, 12, CLOSED, 0, 0),
			OB(0, TR, A, 0, 13, 14, OK_, 1),
			OB(0, TR, A, 0, 15, 16, CLOSED, 0),
		};
		EXPECT(&w, a1b3, h, 1, "PENDING: the send case looked at "
		    "before a close, B after");
		EXPECT(&s, a1b3, h, 0, "... not with one point per PENDING");
	}
	{
		/* The receive freed room while the owner polled: a server
		 * passed over the send case and set MISSED, so the owner
		 * looked again - and took the room, or found it closed.
		 * PENDING is wrong either way. */
		const struct lin_op h[] = {
			SL(1, SPOLL, 5, 1, 10, PEND, 0, 0),
			OB(0, TR, A, 0, 2, 3, OK_, 1),
			OB(0, CL, A, 0, 4, 5, NEWLY, 0),
			SL(1, SREP, 5, 11, 12, CLOSED, 0, 0),
			OB(0, TR, A, 0, 13, 14, CLOSED, 0),
		};
		EXPECT(&w, a1, h, 0, "PENDING after room passed the send case "
		    "by and A closed (MISSED makes the owner look again)");
	}

	/* passed over while its owner polls (select_claim.h, BUSY) --------- */
	{
		/* T2's send future waits behind T1's select; the receive
		 * comes while T1 re-polls, passes over its send case and
		 * serves T2 */
		const struct lin_op h[] = {
			SL(1, SPOLL, 5, 1, 2, PEND, 0, 0),
			O(2, SP, 6, 3, 4, PEND, 0),
			SL(1, SREP, 5, 5, 12, PEND, 0, 0),
			OB(0, TR, A, 0, 6, 7, OK_, 1),
			O(2, SR, 6, 8, 9, OK_, 0),
			/* this one serves the select, waiting again */
			OB(0, TR, A, 0, 13, 14, OK_, 6),
			SL(1, SCAN, 5, 15, 16, OK_, 0, 0),
			OB(0, TR, A, 0, 17, 18, OK_, 5),
			OB(0, TR, A, 0, 19, 20, EMPTY, 0),
		};
		EXPECT(&w, a1, h, 1, "a receive during the select's re-poll "
		    "serves the sender queued behind its send case");
		EXPECT(&f, a1, h, 0, "... not if servers never pass over a "
		    "select being polled");
	}
	{
		/* the same receive, with nobody polling the select */
		const struct lin_op h[] = {
			SL(1, SPOLL, 5, 1, 2, PEND, 0, 0),
			O(2, SP, 6, 3, 4, PEND, 0),
			OB(0, TR, A, 0, 5, 6, OK_, 1),
			O(2, SR, 6, 7, 8, OK_, 0),
			SL(1, SREP, 5, 9, 12, PEND, 0, 0),
			OB(0, TR, A, 0, 13, 14, OK_, 6),
			SL(1, SCAN, 5, 15, 16, CANC, 0, 0),
		};
		EXPECT(&w, a1, h, 0, "the sender behind a waiting select "
		    "served first, nobody polling the select");
	}

	{
		/* lin_select found this one under TSan (A capacity 1, B
		 * capacity 1, tickets less 620000): T1's select waits with
		 * 9 in A's queue; during its re-poll [85, 91] T2's select_try
		 * takes 8, and T2's send poll registers behind 9 and, as 9
		 * is being polled, serves itself (10 goes in); T1's receive
		 * then takes 10 and serves 9 (the cancel: case 0) */
		const struct lin_op h[] = {
			OB(0, TR, B, 0, 67, 70, EMPTY, 0),
			OB(1, TR, B, 0, 68, 69, EMPTY, 0),
			OB(1, TS, B, 5, 71, 74, OK_, 0),
			OB(0, TS, A, 4, 72, 73, FULL, 0),
			OB(1, TR, A, 0, 75, 77, OK_, 1),
			O(0, SP, 8, 76, 78, OK_, 0),
			SL(1, SPOLL, 9, 79, 84, PEND, 0, 0),
			SL(0, SPOLL, 0, 80, 81, OK_, 1, 5),
			OB(0, TR, B, 0, 82, 83, EMPTY, 0),
			SL(1, SREP, 9, 85, 91, PEND, 0, 0),
			OB(2, TS, A, 6, 86, 87, FULL, 0),
			SL(2, STRY, 0, 88, 89, OK_, 0, 8),
			O(2, SP, 10, 90, 96, OK_, 0),
			OB(1, TR, A, 0, 92, 93, OK_, 10),
			SL(1, SCAN, 9, 94, 95, OK_, 0, 0),
			OB(3, TR, B, 0, 97, 99, EMPTY, 0),
			SL(2, SPOLL, 14, 98, 104, PEND, 0, 0),
			OB(3, TR, B, 0, 100, 101, EMPTY, 0),
			OB(3, TS, A, 7, 102, 103, FULL, 0),
			OB(2, TS, A, 18, 105, 106, FULL, 0),
			SL(2, SREP, 14, 107, 108, PEND, 0, 0),
			SL(2, SCAN, 14, 109, 110, CANC, 0, 0),
			OB(0, TR, A, 0, 431, 432, OK_, 9),
			OB(0, TR, A, 0, 433, 434, EMPTY, 0),
			OB(0, TR, B, 0, 435, 436, EMPTY, 0),
		};

		EXPECT(&w, a1, h, 1, "lin_select (TSan): a send poll "
		    "registers behind a select being re-polled and serves "
		    "itself");
		EXPECT(&f, a1, h, 0, "... not if servers never pass over a "
		    "select being polled");
	}

	/* B unbuffered: a try_send on B meets a waiting receive case ------ */
	{
		const struct lin_op h[] = {
			SL(1, SPOLL, 5, 1, 2, PEND, 0, 0),
			OB(2, TS, B, 6, 3, 4, OK_, 0),
			OB(0, TR, A, 0, 5, 6, OK_, 1),
			SL(1, SREP, 5, 7, 8, OK_, 1, 6),
			OB(0, TR, A, 0, 9, 10, EMPTY, 0),
		};
		EXPECT(&su, ua1, h, 1, "B unbuffered: a try_send meets the "
		    "waiting select (case 1); its send case leaves A's queue");
	}
	{
		/* the broken select's shape: met on B and served on A */
		const struct lin_op h[] = {
			SL(1, SPOLL, 5, 1, 2, PEND, 0, 0),
			OB(2, TS, B, 6, 3, 4, OK_, 0),
			OB(0, TR, A, 0, 5, 6, OK_, 1),
			OB(0, TR, A, 0, 7, 8, OK_, 5),
			SL(1, SREP, 5, 9, 10, OK_, 1, 6),
		};
		const struct lin_op h0[] = {
			SL(1, SPOLL, 5, 1, 2, PEND, 0, 0),
			OB(2, TS, B, 6, 3, 4, OK_, 0),
			OB(0, TR, A, 0, 5, 6, OK_, 1),
			OB(0, TR, A, 0, 7, 8, OK_, 5),
			SL(1, SREP, 5, 9, 10, OK_, 0, 0),
		};
		EXPECT(&wu, ua1, h, 0, "B unbuffered: met on B and served on "
		    "A (answering case 1)");
		EXPECT(&wu, ua1, h0, 0, "... (answering case 0: 6 was sent to "
		    "nobody)");
	}
	{
		const struct lin_op h[] = {
			SL(1, SPOLL, 0, 1, 2, PEND, 0, 0),
			OB(2, TS, B, 6, 3, 4, FULL, 0),
			SL(1, SCAN, 0, 5, 6, CANC, 0, 0),
		};
		EXPECT(&wu, ue, h, 0, "B unbuffered: try_send FULL while a "
		    "select waits to receive, nobody polling it");
	}
	{
		const struct lin_op h[] = {
			SL(1, SPOLL, 0, 1, 2, PEND, 0, 0),
			SL(1, SREP, 0, 3, 6, PEND, 0, 0),
			OB(2, TS, B, 6, 4, 5, FULL, 0),
			SL(1, SCAN, 0, 7, 8, CANC, 0, 0),
		};
		EXPECT(&wu, ue, h, 1, "B unbuffered: try_send FULL while the "
		    "only waiting receiver is a select being polled");
		EXPECT(&fu, ue, h, 0, "... not if servers never pass over a "
		    "select being polled");
	}
	{
		/* lin_select found this one (a plain run, B unbuffered):
		 * T3's select {recv A, recv B} has waited on B since before
		 * T1's; T1's try_send on B comes while T3 re-polls, passes
		 * over it and meets T1's own select, whose send case then
		 * leaves A's queue; T3 takes 10 from A and the room stays
		 * free for 13 */
		const struct lin_op h[] = {
			SL(3, SPOLL, 0, 1, 2, PEND, 0, 0),
			OB(2, TS, A, 10, 3, 4, OK_, 0),
			SL(1, SPOLL, 5, 5, 7, PEND, 0, 0),
			SL(3, SREP, 0, 6, 10, OK_, 0, 10),
			OB(1, TS, B, 9, 8, 9, OK_, 0),
			OB(1, TS, A, 13, 11, 12, OK_, 0),
			SL(1, SCAN, 5, 13, 14, OK_, 1, 9),
			OB(0, TR, A, 0, 15, 16, OK_, 13),
			OB(0, TR, A, 0, 17, 18, EMPTY, 0),
		};

		EXPECT(&wu, ue, h, 1, "B unbuffered: a try_send passes over "
		    "the oldest waiting select (being polled) and meets the "
		    "next");
		EXPECT(&fu, ue, h, 0, "... not if servers never pass over a "
		    "select being polled");
	}
}

static void
hand_written(void)
{
	struct lin_model c1, c2;

	lin_model_chan(&c1, 1);
	lin_model_chan(&c2, 2);

	/* channel ------------------------------------------------------ */
	{
		/* the receive overlaps the send: the send goes first */
		const struct lin_op h[] = {
			O(0, LIN_TRY_SEND, 1, 1, 4, OK_, 0),
			O(1, LIN_TRY_RECV, 0, 2, 3, OK_, 1),
		};
		EXPECT(&c1, 0, h, 1, "a receive overlapping its send");
	}
	{
		/* the value was in before the receive began */
		const struct lin_op h[] = {
			O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
			O(1, LIN_TRY_RECV, 0, 3, 4, EMPTY, 0),
		};
		EXPECT(&c1, 0, h, 0, "EMPTY after a completed send");
	}
	{
		/* the broken channel's signature: two values in, the first
		 * receive takes one, the next says EMPTY */
		const struct lin_op h[] = {
			O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
			O(1, LIN_TRY_SEND, 2, 3, 4, OK_, 0),
			O(2, LIN_TRY_RECV, 0, 5, 6, OK_, 1),
			O(1, LIN_TRY_RECV, 0, 7, 8, EMPTY, 0),
			O(0, LIN_TRY_RECV, 0, 9, 10, OK_, 2),
		};
		EXPECT(&c2, 0, h, 0, "a stale EMPTY with a value buffered");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
			O(0, LIN_TRY_SEND, 2, 3, 4, OK_, 0),
			O(1, LIN_TRY_RECV, 0, 5, 6, OK_, 2),
		};
		EXPECT(&c2, 0, h, 0, "FIFO broken between ordered sends");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_TRY_SEND, 1, 1, 4, OK_, 0),
			O(1, LIN_TRY_SEND, 2, 2, 3, OK_, 0),
			O(2, LIN_TRY_RECV, 0, 5, 6, OK_, 2),
			O(2, LIN_TRY_RECV, 0, 7, 8, OK_, 1),
		};
		EXPECT(&c2, 0, h, 1, "overlapping sends in either order");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
			O(1, LIN_TRY_SEND, 2, 3, 4, OK_, 0),
		};
		EXPECT(&c1, 0, h, 0, "two values in a channel of capacity 1");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
			O(1, LIN_TRY_SEND, 2, 3, 4, FULL, 0),
			O(1, LIN_SEND, 3, 5, 12, OK_, 0),
			O(2, LIN_TRY_RECV, 0, 6, 7, OK_, 1),
			O(2, LIN_TRY_RECV, 0, 13, 14, OK_, 3),
		};
		EXPECT(&c1, 0, h, 1, "a blocking send completes after a receive");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
			O(1, LIN_SEND, 3, 3, 4, OK_, 0),
		};
		EXPECT(&c1, 0, h, 0, "a blocking send completes while full");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_SEND_UNTIL, 1, 1, 2, TOUT, 0),
		};
		EXPECT(&c1, 0, h, 0, "send_until times out on an empty channel");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
			O(1, LIN_CLOSE, 0, 3, 4, NEWLY, 0),
			O(2, LIN_TRY_SEND, 2, 5, 6, CLOSED, 0),
			O(2, LIN_RECV, 0, 7, 8, OK_, 1),
			O(0, LIN_RECV_UNTIL, 0, 9, 10, CLOSED, 0),
			O(1, LIN_CLOSE, 0, 11, 12, ALREADY, 0),
		};
		EXPECT(&c1, 0, h, 1, "close: receivers drain, then CLOSED");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
			O(1, LIN_CLOSE, 0, 3, 4, NEWLY, 0),
			O(2, LIN_TRY_RECV, 0, 5, 6, CLOSED, 0),
		};
		EXPECT(&c1, 0, h, 0, "CLOSED while a value is buffered");
	}
	{
		const struct lin_op h[] = {
			O(1, LIN_CLOSE, 0, 1, 2, NEWLY, 0),
			O(0, LIN_TRY_SEND, 1, 3, 4, OK_, 0),
		};
		EXPECT(&c1, 0, h, 0, "a send succeeds after close");
	}

	/* two-step models: what the ring and the oneshot word really do ---- */
	{
		struct lin_model w1, w2;

		lin_model_chan_2step(&w1, 1);
		lin_model_chan_2step(&w2, 2);
		{
			/* a send claimed the slot and is copying: a try_send
			 * sees no room, a try_recv no value */
			const struct lin_op h[] = {
				O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
				O(0, LIN_SEND_UNTIL, 2, 3, 10, OK_, 0),
				O(1, LIN_TRY_RECV, 0, 4, 5, OK_, 1),
				O(1, LIN_TRY_SEND, 4, 6, 7, FULL, 0),
				O(1, LIN_TRY_RECV, 0, 8, 9, EMPTY, 0),
				O(0, LIN_RECV_UNTIL, 0, 11, 12, OK_, 2),
			};
			EXPECT(&c1, 0, h, 0, "FULL, then EMPTY, with one send "
			    "in flight (one point per operation)");
			EXPECT(&w1, 0, h, 1,
			    "... the same as two-step operations");
		}
		{
			/* a receive took the oldest value and is copying it
			 * out: the slot is not free yet */
			const struct lin_op h[] = {
				O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
				O(0, LIN_TRY_SEND, 2, 3, 4, OK_, 0),
				O(1, LIN_TRY_RECV, 0, 5, 12, OK_, 1),
				O(2, LIN_TRY_RECV, 0, 6, 7, OK_, 2),
				O(2, LIN_TRY_SEND, 3, 8, 9, FULL, 0),
			};
			EXPECT(&c2, 0, h, 0, "FULL on an empty channel while a "
			    "receive frees its slot (one point per operation)");
			EXPECT(&w2, 0, h, 1,
			    "... the same as two-step operations");
		}
		{
			/* a sender waits on a full channel; two receives free
			 * both slots; before its value moves in, a try_send
			 * is told FULL (waiting senders are not overtaken) */
			const struct lin_op h[] = {
				O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
				O(0, LIN_TRY_SEND, 2, 3, 4, OK_, 0),
				O(1, LIN_SEND, 3, 5, 20, OK_, 0),
				O(2, LIN_TRY_RECV, 0, 6, 7, OK_, 1),
				O(2, LIN_TRY_RECV, 0, 8, 9, OK_, 2),
				O(3, LIN_TRY_SEND, 4, 10, 11, FULL, 0),
				O(2, LIN_TRY_RECV, 0, 21, 22, OK_, 3),
				O(2, LIN_TRY_RECV, 0, 23, 24, EMPTY, 0),
			};
			EXPECT(&c2, 0, h, 0, "FULL with room while a sender "
			    "waits (one point per operation)");
			EXPECT(&w2, 0, h, 1, "... the same as two-step operations");
		}
		{
			/* ... but not once no sender can be waiting */
			const struct lin_op h[] = {
				O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
				O(0, LIN_TRY_SEND, 2, 3, 4, OK_, 0),
				O(1, LIN_SEND, 3, 5, 9, OK_, 0),
				O(2, LIN_TRY_RECV, 0, 6, 7, OK_, 1),
				O(2, LIN_TRY_RECV, 0, 8, 10, OK_, 2),
				O(3, LIN_TRY_SEND, 4, 11, 12, FULL, 0),
				O(2, LIN_TRY_RECV, 0, 21, 22, OK_, 3),
			};
			EXPECT(&w2, 0, h, 0, "two-step: no FULL with room once "
			    "the waiting sender returned");
		}
		{
			const struct lin_op h[] = {
				O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
				O(0, LIN_TRY_SEND, 2, 3, 4, OK_, 0),
				O(2, LIN_TRY_RECV, 0, 5, 6, OK_, 1),
				O(1, LIN_TRY_RECV, 0, 7, 8, EMPTY, 0),
			};
			EXPECT(&w2, 0, h, 0, "two-step: still no EMPTY with a "
			    "published value buffered");
		}
		{
			const struct lin_op h[] = {
				O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
				O(0, LIN_TRY_SEND, 2, 3, 10, OK_, 0),
				O(1, LIN_TRY_RECV, 0, 4, 5, OK_, 2),
			};
			EXPECT(&w2, 0, h, 0, "two-step: still FIFO");
		}
		{
			const struct lin_op h[] = {
				O(0, LIN_TRY_SEND, 1, 1, 2, OK_, 0),
				O(1, LIN_TRY_RECV, 0, 3, 4, OK_, 1),
				O(2, LIN_TRY_RECV, 0, 3, 4, OK_, 1),
			};
			EXPECT(&w2, 0, h, 0, "two-step: still exactly once");
		}
		{
			const struct lin_op h[] = {
				O(0, LIN_SEND, 3, 1, 6, OK_, 0),
				O(1, LIN_SEND, 1, 2, 3, CLOSED, 0),
				O(1, LIN_TRY_RECV, 0, 4, 5, EMPTY, 0),
				O(2, LIN_CLOSE, 0, 2, 3, ALREADY, 0),
				O(2, LIN_RECV_UNTIL, 0, 4, 5, TOUT, 0),
				O(1, LIN_TRY_RECV, 0, 7, 8, OK_, 3),
			};
			EXPECT(&lin_model_oneshot, LIN_ONESHOT_EMPTY, h, 0,
			    "oneshot: a send fails and a close finds it closed, "
			    "then receives see nothing (one point per send)");
			EXPECT(&lin_model_oneshot_2step, LIN_ONESHOT_EMPTY, h, 1,
			    "... the same with a two-step send");
			EXPECT(&lin_model_bcast_2step, LIN_ONESHOT_EMPTY, h, 1,
			    "... and for the broadcast");
		}
		{
			const struct lin_op h[] = {
				O(0, LIN_SEND, 3, 1, 2, OK_, 0),
				O(1, LIN_TRY_RECV, 0, 3, 4, EMPTY, 0),
			};
			EXPECT(&lin_model_oneshot_2step, LIN_ONESHOT_EMPTY, h, 0,
			    "two-step oneshot: no EMPTY after the send returned");
		}
	}

	/* unbuffered -------------------------------------------------------- */
	{
		const struct lin_op h[] = {
			O(0, LIN_SEND, 1, 1, 10, OK_, 0),
			O(1, LIN_RECV, 0, 2, 9, OK_, 1),
			O(2, LIN_TRY_SEND, 2, 3, 4, FULL, 0),
		};
		EXPECT(&lin_model_unbuffered, 0, h, 1, "a rendezvous");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_SEND, 1, 1, 2, OK_, 0),
			O(1, LIN_RECV, 0, 3, 4, OK_, 1),
		};
		EXPECT(&lin_model_unbuffered, 0, h, 0,
		    "a rendezvous of operations that never overlapped");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_TRY_SEND, 1, 1, 4, OK_, 0),
			O(1, LIN_TRY_RECV, 0, 2, 3, OK_, 1),
		};
		EXPECT(&lin_model_unbuffered, 0, h, 0,
		    "try_send meets try_recv (neither waited)");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_SEND, 1, 1, 6, OK_, 0),
			O(1, LIN_RECV, 0, 2, 5, OK_, 1),
			O(2, LIN_RECV_UNTIL, 0, 3, 4, OK_, 1),
		};
		EXPECT(&lin_model_unbuffered, 0, h, 0,
		    "one value received twice");
	}

	/* oneshot and broadcast ------------------------------------------- */
	{
		const struct lin_op h[] = {
			O(0, LIN_SEND, 5, 1, 2, OK_, 0),
			O(1, LIN_TRY_RECV, 0, 3, 4, OK_, 5),
			O(2, LIN_TRY_RECV, 0, 5, 6, OK_, 5),
		};
		EXPECT(&lin_model_oneshot, LIN_ONESHOT_EMPTY, h, 0,
		    "oneshot: the value taken twice");
		EXPECT(&lin_model_bcast, LIN_ONESHOT_EMPTY, h, 1,
		    "broadcast: every receiver gets the value");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_SEND, 5, 1, 2, OK_, 0),
			O(1, LIN_CLOSE, 0, 3, 4, ALREADY, 0),
			O(2, LIN_RECV, 0, 5, 6, OK_, 5),
			O(2, LIN_TRY_RECV, 0, 7, 8, CLOSED, 0),
			O(0, LIN_SEND, 6, 9, 10, CLOSED, 0),
		};
		EXPECT(&lin_model_oneshot, LIN_ONESHOT_EMPTY, h, 1,
		    "oneshot: close after send keeps the value");
	}
	{
		const struct lin_op h[] = {
			O(1, LIN_CLOSE, 0, 1, 4, NEWLY, 0),
			O(0, LIN_SEND, 5, 2, 3, OK_, 0),
		};
		EXPECT(&lin_model_oneshot, LIN_ONESHOT_EMPTY, h, 0,
		    "oneshot: NEWLY_CLOSED after a send");
	}

	/* state broadcast ------------------------------------------------- */
	{
		const struct lin_op h[] = {
			O(0, LIN_SEND, 1, 1, 2, OK_, 0),
			O(0, LIN_SEND, 2, 3, 4, OK_, 0),
			OS(1, LIN_TRY_RECV, 0, 5, 6, OK_, 1, 1),
		};
		EXPECT(&lin_model_state, lin_state_state(0, 0, 0), h, 0,
		    "state: a superseded state after the newer send completed");
	}
	{
		const struct lin_op h[] = {
			O(0, LIN_SEND, 1, 1, 2, OK_, 0),
			O(0, LIN_SEND, 2, 3, 8, OK_, 0),
			OS(1, LIN_TRY_RECV, 0, 4, 5, OK_, 1, 1),
			OS(1, LIN_TRY_RECV, 1, 6, 7, EMPTY, 0, 0),
			OS(2, LIN_RECV, 1, 6, 10, OK_, 2, 2),
			O(2, LIN_CLOSE, 0, 11, 12, NEWLY, 0),
			OS(1, LIN_RECV_UNTIL, 1, 13, 14, OK_, 2, 2),
			OS(1, LIN_TRY_RECV, 2, 15, 16, CLOSED, 0, 0),
		};
		EXPECT(&lin_model_state, lin_state_state(0, 0, 0), h, 1,
		    "state: newer-than, skipping, close keeps the value");
	}
	{
		const struct lin_op h[] = {
			OS(1, LIN_TRY_RECV, 7, 1, 2, OK_, 0, 7),
		};
		EXPECT(&lin_model_state, lin_state_state(0, 7, 0), h, 0,
		    "state: a state no newer than `after`");
	}
}

/* --- random histories, linearizable by construction ----------------------- */

struct gen_op {
	struct lin_op op;
	uint64_t point;
	int pair;	/* unbuffered: nonzero id of a send + receive pair */
};

static int
by_point(const void *a, const void *b)
{
	const struct gen_op *x = a, *y = b;

	if (x->point != y->point)
		return x->point < y->point ? -1 : 1;
	return x->pair - y->pair;	/* a pair stays together */
}

/* Find the result the model accepts for op in state s; 0 if none. */
static int
fill_result(const struct lin_model *m, uint64_t s, struct lin_op *op,
    uint64_t *next)
{
	static const int sts[] = { ACHAN_OK, ACHAN_FULL, ACHAN_EMPTY,
		ACHAN_CLOSED, ACHAN_TIMEDOUT, ACHAN_NEWLY_CLOSED,
		ACHAN_ALREADY_CLOSED, ACHAN_PENDING, ACHAN_CANCELLED };

	for (unsigned i = 0; i < sizeof(sts) / sizeof(sts[0]); i++)
		for (uint64_t v = 0; v < 64; v++) {
			op->st = sts[i];
			op->val = v;
			/* only the state model returns ids: the current one */
			op->id = m == &lin_model_state && sts[i] == ACHAN_OK ?
			    s >> 9 : 0;
			if (m->step(m, s, op, next) == 1)
				return 1;
			if (sts[i] != ACHAN_OK)
				break;
		}
	return 0;
}

/* Does the witness order replay through the model?  h: the history the
 * search ran on (lin_checked(): with the model's second steps). */
/* The same for a model with several next states (succ): every state
 * the order may reach, as a set. */
static int
replays_succ(const struct lin_model *m, const struct lin_history *h,
    const int *order)
{
	static uint64_t cur[256], nxt[256];
	uint64_t succ[LIN_MAX_SUCC];
	int nc = 1, nn;

	cur[0] = h->init;
	for (int k = 0; k < h->n; k++) {
		const struct lin_op *op = &h->ops[order[k]];

		nn = 0;
		for (int a = 0; a < nc; a++) {
			int ns = m->succ(m, cur[a], op, succ);

			for (int b = 0; b < ns; b++) {
				int d;

				for (d = 0; d < nn && nxt[d] != succ[b]; d++)
					;
				if (d == nn && nn < 256)
					nxt[nn++] = succ[b];
			}
		}
		if (nn == 0)
			return 0;
		memcpy(cur, nxt, sizeof(cur[0]) * (size_t)nn);
		nc = nn;
	}
	return 1;
}

static int
replays(const struct lin_model *m, const struct lin_history *h,
    const int *order)
{
	uint64_t s = h->init, next, done = 0;
	int seen[LIN_MAX_OPS] = { 0 };

	/* each operation once, after what must come first (a second step
	 * after its operation, a select's steps before it), in real time */
	for (int k = 0; k < h->n; k++) {
		uint64_t need = lin_checked_need(order[k]);

		if (seen[order[k]]++ || (done & need) != need)
			return 0;
		done |= (uint64_t)1 << order[k];
		for (int j = k + 1; j < h->n; j++)
			if (h->ops[order[j]].res < h->ops[order[k]].inv)
				return 0;
	}
	if (m->succ != NULL)
		return replays_succ(m, h, order);
	memset(seen, 0, sizeof(seen));
	for (int k = 0; k < h->n; k++) {
		const struct lin_op *op = &h->ops[order[k]];

		if (seen[order[k]]++)
			return 0;
		/* a send poll's LIN_SENT step comes after the poll */
		if (op->code == LIN_SENT) {
			int j;

			for (j = 0; j < h->n; j++)
				if (h->ops[j].code == LIN_SEND_POLL &&
				    h->ops[j].arg == op->arg &&
				    h->ops[j].inv == op->inv && seen[j])
					break;
			if (j == h->n)
				return 0;
		}
		/* real time: nothing placed after it responded before it */
		for (int j = k + 1; j < h->n; j++)
			if (h->ops[order[j]].res < op->inv)
				return 0;
		switch (m->step(m, s, op, &next)) {
		case 1:
			break;
		case LIN_NEEDS_PAIR:	/* the partner comes next */
			if (k + 1 >= h->n || m->pair == NULL ||
			    seen[order[k + 1]]++ ||
			    !m->pair(m, s, op, &h->ops[order[k + 1]], &next))
				return 0;
			for (int j = k + 2; j < h->n; j++)
				if (h->ops[order[j]].res <
				    h->ops[order[k + 1]].inv)
					return 0;
			k++;
			break;
		default:
			return 0;
		}
		s = next;
	}
	return 1;
}

static void
random_histories(const char *name, const struct lin_model *m,
    const struct lin_model *weak, uint64_t init,
    const unsigned weights[LIN_NOPS], int nops, unsigned long count)
{
	unsigned long weak_ok = 0;
	static struct gen_op g[LIN_MAX_OPS];
	static struct lin_history h;
	int order[LIN_MAX_OPS];
	unsigned long good = 0, witnessed = 0, max_steps = 0, fails = 0;
	double t0 = lin_now(), worst = 0;
	unsigned total = 0;

	for (int c = 0; c < LIN_NOPS; c++)
		total += weights[c];
	for (unsigned long it = 0; it < count; it++) {
		uint64_t s = init, next;
		int n = 0, tag = 1;
		struct lin_stats st = { 0, 0, 0 };
		double t;

		int npairs = 0;

		for (int i = 0; i < nops; i++) {
			unsigned r = lin_randn(total);
			int c;

			for (c = 0; r >= weights[c]; c++)
				r -= weights[c];
			memset(&g[n], 0, sizeof(g[n]));
			g[n].op.code = (uint8_t)c;
			g[n].op.thread = (uint8_t)lin_randn(4);
			/* intervals on a clock of 4 * nops ticks, heavily
			 * overlapping; tickets made distinct below */
			g[n].op.inv = lin_randn(4 * (unsigned)nops);
			g[n].op.res = g[n].op.inv + 1 + lin_randn(12);
			g[n].point = g[n].op.inv +
			    lin_randn((unsigned)(g[n].op.res - g[n].op.inv));
			n++;
			if (m->pair != NULL && i + 1 < nops &&
			    lin_randn(3) == 0) {
				/* a rendezvous: a waiting send or receive and
				 * a partner whose interval holds its point */
				struct gen_op *a = &g[n - 1], *b = &g[n];

				a->op.code = lin_randn(2) ? LIN_SEND :
				    LIN_RECV_UNTIL;
				*b = *a;
				b->op.code = (uint8_t)(a->op.code == LIN_SEND ?
				    LIN_TRY_RECV + lin_randn(3) :
				    LIN_TRY_SEND + lin_randn(3));
				b->op.thread = (uint8_t)lin_randn(4);
				b->op.inv = a->point - lin_randn(
				    (unsigned)(a->point - a->op.inv) + 1);
				b->op.res = a->point + 1 + lin_randn(6);
				a->pair = b->pair = ++npairs;
				n++;
				i++;
			}
		}
		qsort(g, (size_t)n, sizeof(g[0]), by_point);
		h.n = 0;
		h.init = init;
		for (int i = 0; i < n; i++) {
			struct lin_op *op = &g[i].op;

			if (g[i].pair > 0) {
				/* both at the same point: sorted together */
				int j = i + 1;
				struct lin_op *snd, *rcv;

				while (j < n && g[j].pair != g[i].pair)
					j++;
				if (j != i + 1)
					bail_out("pair not adjacent");
				snd = &g[i].op;
				rcv = &g[j].op;
				if (snd->code >= LIN_TRY_RECV) {
					snd = &g[j].op;
					rcv = &g[i].op;
				}
				snd->arg = (uint64_t)tag++;
				snd->st = rcv->st = ACHAN_OK;
				rcv->val = snd->arg;
				i++;
				if (m->pair(m, s, snd, rcv, &next) != 1)
					continue;	/* closed: drop both */
				for (int k = i - 1; k <= i; k++) {
					op = &g[k].op;
					op->inv = op->inv * 128 +
					    (uint64_t)h.n;
					op->res = op->res * 128 + 64 +
					    (uint64_t)h.n;
					h.ops[h.n++] = *op;
				}
				continue;
			}

			if (op->code == LIN_TRY_SEND || op->code == LIN_SEND ||
			    op->code == LIN_SEND_UNTIL)
				op->arg = (uint64_t)tag++;
			else if (m == &lin_model_state &&
			    op->code != LIN_CLOSE)
				op->arg = lin_randn(4);
			if (!fill_result(m, s, op, &next))
				continue;	/* a blocking op would wait */
			s = next;
			/* distinct tickets, order kept: 128 * t + index */
			op->inv = op->inv * 128 + (uint64_t)h.n;
			op->res = op->res * 128 + 64 + (uint64_t)h.n;
			h.ops[h.n++] = *op;
		}
		/* shuffle: the array order must be no hint */
		for (int i = h.n - 1; i > 0; i--) {
			int j = (int)lin_randn((unsigned)i + 1);
			struct lin_op tmp = h.ops[i];

			h.ops[i] = h.ops[j];
			h.ops[j] = tmp;
		}
		t = lin_now();
		if (lin_check(m, &h, &st, order)) {
			good++;
			witnessed += (unsigned long)replays(m, lin_checked(),
			    order);
		} else if (fails++ == 0) {
			lin_print(m, &h);
		}
		/* both steps at the one point: the two-step model agrees */
		if (weak != NULL && lin_check(weak, &h, NULL, NULL))
			weak_ok++;
		t = lin_now() - t;
		if (t > worst)
			worst = t;
		if (st.steps > max_steps)
			max_steps = st.steps;
	}
	ok(good == count && witnessed == count,
	    "%s: %lu random linearizable histories of %d operations accepted, "
	    "each with a witness order that replays", name, good, nops);
	diag("  %.1f us per check on average, worst %.1f us, at most %lu steps",
	    (lin_now() - t0) * 1e6 / (double)count, worst * 1e6, max_steps);
	if (weak != NULL)
		ok(weak_ok == count, "%s: the %s accepts them all too", name,
		    weak->name);
}

/* Is the send future of tag still among the waiting senders in state s?
 * Asked through the model: its LIN_SENT check fails while it waits. */
static int
still_waiting(const struct lin_model *m, uint64_t s, uint64_t tag)
{
	struct lin_op q;
	uint64_t next;

	memset(&q, 0, sizeof(q));
	q.code = LIN_SENT;
	q.arg = tag;
	return m->step(m, s, &q, &next) != 1;
}

/*
 * Random histories with futures, linearizable by construction.  Each
 * operation gets a point on a clock that only moves forward and an
 * interval around it; a thread's operations follow each other in real
 * time (the owner polls and cancels its futures in program order), and
 * each thread has at most one send and one receive future registered, as
 * in lin_chan.  Operations: try_send, try_recv, at most one close, a step
 * of the thread's send future (a first poll, or a re-poll or cancel of the
 * registered one) and the same for its receive future; at the end each
 * thread cancels what is still registered.
 *
 * Bounded: a third of the first polls that would answer PENDING wait
 * instead, as the library's poll may (it registers, then serves the queue
 * with its lock dropped): registered at their point, they answer OK after
 * the receive that serves them, CLOSED after a close that fails them, or
 * PENDING (registered) if neither came before the cleanup.  Meanwhile
 * their thread runs nothing, and other senders may register behind them.
 */
static void
random_future_histories(const char *name, const struct lin_model *m,
    const struct lin_model *weak, unsigned cap, int nops, unsigned long count)
{
	static struct lin_history h;
	int order[LIN_MAX_OPS];
	unsigned long good = 0, witnessed = 0, weak_ok = 0, fails = 0;
	unsigned long pending = 0, served = 0, max_steps = 0;
	unsigned long waited[3] = { 0, 0, 0 };	/* OK, CLOSED, PENDING */
	double t0 = lin_now();

	for (unsigned long it = 0; it < count; it++) {
		uint64_t s, next, clock = 0, last_res[4] = { 0 };
		uint64_t stag[4] = { 0 }, tags[LIN_CHAN_MAX_CAP];
		int sreg[4] = { 0 }, rreg[4] = { 0 }, closes = 0, tag = 1;
		int waiting[4] = { -1, -1, -1, -1 };	/* a poll that waits */
		unsigned k = cap ? lin_randn(cap + 1) : 0;
		struct lin_stats st = { 0, 0, 0 };

		for (unsigned i = 0; i < k; i++)
			tags[i] = (uint64_t)tag++;
		s = cap ? lin_chan_state(0, k, tags) : 0;
		h.n = 0;
		h.init = s;
		for (int i = 0; i < nops + 8; i++) {
			struct lin_op op;
			unsigned t = (unsigned)lin_randn(4), r = lin_randn(20);
			uint64_t inv;

			if (i == nops) {
				/* a poll still waiting answers PENDING: it
				 * registered at its point */
				for (unsigned u = 0; u < 4; u++) {
					struct lin_op *w;

					if (waiting[u] < 0)
						continue;
					w = &h.ops[waiting[u]];
					w->st = ACHAN_PENDING;
					w->flags = 0;
					last_res[u] = ++clock;
					w->res = clock * 128 + 64 +
					    (uint64_t)waiting[u];
					sreg[u] = 1;
					pending++;
					waited[2]++;
					waiting[u] = -1;
				}
			}
			memset(&op, 0, sizeof(op));
			op.thread = (uint8_t)t;
			if (i >= nops) {
				/* the cleanup: thread i - nops, send then
				 * receive future */
				t = (unsigned)(i - nops) / 2;
				op.thread = (uint8_t)t;
				if ((i - nops) % 2 == 0 && sreg[t]) {
					op.code = SC;
					op.arg = stag[t];
				} else if ((i - nops) % 2 == 1 && rreg[t]) {
					op.code = RC;
				} else {
					continue;
				}
			} else if (waiting[t] >= 0) {
				continue;	/* inside its poll */
			} else if (r < 4) {
				op.code = TS;
				op.arg = (uint64_t)tag++;
			} else if (r < 8) {
				op.code = TR;
			} else if (r < 9 && closes == 0) {
				op.code = CL;
				closes++;
			} else if (r < 15) {
				if (!sreg[t]) {
					op.code = SP;
					op.arg = stag[t] = (uint64_t)tag++;
				} else {
					op.code = lin_randn(3) ? SR : SC;
					op.arg = stag[t];
				}
			} else {
				op.code = !rreg[t] ? RP : lin_randn(3) ? RR : RC;
			}
			/* the point: after everything so far and after the
			 * thread's previous response */
			clock += 1 + lin_randn(3);
			if (clock <= last_res[t])
				clock = last_res[t] + 1;
			inv = clock - lin_randn((unsigned)(clock < 8 ? clock :
			    8));
			op.inv = inv > last_res[t] ? inv : last_res[t] + 1;
			op.res = clock + 1 + lin_randn(10);
			last_res[t] = op.res;
			if (!fill_result(m, s, &op, &next))
				bail_out("%s: no result fits a %s", name,
				    lin_opname(op.code));
			if (cap && op.code == SP && op.st == ACHAN_PENDING &&
			    lin_randn(3) == 0) {
				/* it waits: registers here, answers later */
				op.st = ACHAN_OK;
				op.flags = LIN_F_MAY_WAIT;
				if (m->step(m, s, &op, &next) != 1)
					bail_out("%s: a poll cannot wait", name);
				waiting[t] = h.n;
				last_res[t] = UINT64_MAX / 256;
			}
			s = next;
			if (op.code == SP || op.code == SR)
				sreg[t] = op.st == ACHAN_PENDING;
			if (op.code == SC)
				sreg[t] = 0;
			if (op.code == RP || op.code == RR)
				rreg[t] = op.st == ACHAN_PENDING;
			if (op.code == RC)
				rreg[t] = 0;
			pending += op.st == ACHAN_PENDING;
			served += (op.code == SR || op.code == SC ||
			    op.code == RR || op.code == RC) && op.st == ACHAN_OK;
			/* distinct tickets, order kept: 128 * t + index */
			op.inv = op.inv * 128 + (uint64_t)h.n;
			op.res = op.res * 128 + 64 + (uint64_t)h.n;
			h.ops[h.n++] = op;
			/* waiting polls: served (OK) or failed by a close
			 * (CLOSED, out of the list as its owner takes it)
			 * at this point answer soon after it */
			for (unsigned u = 0; u < 4; u++) {
				struct lin_op *w, q;

				if (waiting[u] < 0)
					continue;
				w = &h.ops[waiting[u]];
				if (!still_waiting(m, s, w->arg)) {
					w->st = ACHAN_OK;
					waited[0]++;
				} else {
					q = *w;
					q.code = SR;
					q.st = ACHAN_CLOSED;
					q.flags = 0;
					if (m->step(m, s, &q, &next) != 1)
						continue;	/* waits on */
					s = next;
					w->st = ACHAN_CLOSED;
					waited[1]++;
				}
				w->flags = 0;
				last_res[u] = clock + 1 + lin_randn(10);
				w->res = last_res[u] * 128 + 64 +
				    (uint64_t)waiting[u];
				waiting[u] = -1;
			}
		}
		for (int i = h.n - 1; i > 0; i--) {
			int j = (int)lin_randn((unsigned)i + 1);
			struct lin_op tmp = h.ops[i];

			h.ops[i] = h.ops[j];
			h.ops[j] = tmp;
		}
		if (lin_check(m, &h, &st, order)) {
			good++;
			witnessed += (unsigned long)replays(m, lin_checked(),
			    order);
		} else if (fails++ == 0) {
			lin_print(m, &h);
		}
		if (weak != NULL && lin_check(weak, &h, NULL, NULL))
			weak_ok++;
		if (st.steps > max_steps)
			max_steps = st.steps;
	}
	ok(good == count && witnessed == count,
	    "%s: %lu random linearizable histories with futures accepted, "
	    "each with a witness order that replays", name, good);
	diag("  %lu PENDING answers, %lu futures completed by the other side; "
	    "%.1f us per history, at most %lu steps", pending, served,
	    (lin_now() - t0) * 1e6 / (double)count, max_steps);
	if (cap)
		diag("  first polls that waited inside their interval: %lu "
		    "served (OK), %lu failed by close (CLOSED), %lu still "
		    "registered (PENDING)", waited[0], waited[1], waited[2]);
	if (weak != NULL)
		ok(weak_ok == count, "%s: the %s accepts them all too", name,
		    weak->name);
}

/*
 * Random select histories (lin_model_select), linearizable by
 * construction: the model is run at points on a clock that only moves
 * forward, each result one it accepts there (and one of its next states,
 * at random).  A select future's poll or re-poll and a blocking select
 * take two points: its registration (or the start of its polling), and
 * later its own step - other threads' operations may come in between,
 * and pass over its cases; an answer EMPTY or PENDING looks at each case
 * just before its own step.  Blocking selects (threads 1-3) that are
 * still waiting at the end are freed by a close of A.  Each thread owns
 * at most one future at a time, and cancels it at the end.  The history
 * must be accepted with a witness order that replays.
 */
struct sgen {
	const struct lin_model *m;
	uint64_t s;
	int kind[4];		/* 0 none, 1 select, 2 send future */
	uint64_t tag[4];	/* the future's send value (0: {recv, recv}) */
	int open[4];		/* index of a two-point operation under way */
	unsigned next_k[4];
	uint64_t last_res[4], clock;
};

/* Apply op (its result filled in) at s: 1 and a random next state in
 * *next, or 0. */
static int
sgen_apply(const struct lin_model *m, uint64_t s, const struct lin_op *op,
    uint64_t *next)
{
	uint64_t succ[LIN_MAX_SUCC], t[LIN_MAX_SUCC];
	int n = m->succ(m, s, op, succ), k = 0;

	/* a send poll answering OK here has been served at this point (its
	 * LIN_SENT follows it at once) */
	for (int i = 0; i < n; i++) {
		struct lin_op q = *op;

		q.code = LIN_SENT;
		if (op->code != LIN_SEND_POLL || op->st != ACHAN_OK ||
		    m->succ(m, succ[i], &q, t) > 0)
			succ[k++] = succ[i];
	}
	if (k < 1)
		return 0;
	*next = succ[lin_randn((unsigned)k)];
	return 1;
}

/* The looks of an answer EMPTY or PENDING, at s (weak model). */
static int
sgen_looks(const struct lin_model *m, uint64_t *s, const struct lin_op *op)
{
	struct lin_op q = *op;

	if (!(op->code == LIN_SEL_TRY && op->st == ACHAN_EMPTY) &&
	    !((op->code == LIN_SEL_POLL || op->code == LIN_SEL_REPOLL) &&
	    op->st == ACHAN_PENDING))
		return 1;
	q.of = op->code;
	q.code = LIN_SEL_LOOK;
	for (unsigned c = 0; c < 2; c++) {
		q.idx = (uint8_t)c;
		if (!sgen_apply(m, *s, &q, s))
			return 0;
	}
	return 1;
}

/* Fill in a result the model accepts for op at g->s (one of them, at
 * random), and move to a next state.  0 if none (a blocking select that
 * must wait on). */
static int
sgen_result(struct sgen *g, struct lin_op *op)
{
	static const int sts[] = { ACHAN_OK, ACHAN_CLOSED, ACHAN_FULL,
		ACHAN_EMPTY, ACHAN_PENDING, ACHAN_CANCELLED,
		ACHAN_NEWLY_CLOSED, ACHAN_ALREADY_CLOSED };
	struct { int st, idx; uint64_t val; } cand[64];
	int nc = 0;
	uint64_t t;

	for (unsigned i = 0; i < sizeof(sts) / sizeof(sts[0]); i++)
		for (int x = 0; x < 2; x++)
			for (uint64_t v = 0; v < 64; v++) {
				uint64_t s = g->s;

				op->st = sts[i];
				op->idx = (uint8_t)x;
				op->val = v;
				if (op->code == LIN_SEL && sts[i] == ACHAN_PENDING)
					continue;
				if (sgen_looks(g->m, &s, op) &&
				    sgen_apply(g->m, s, op, &t) && nc < 64) {
					cand[nc].st = sts[i];
					cand[nc].idx = x;
					cand[nc++].val = v;
				}
				if (sts[i] != ACHAN_OK)
					break;	/* no value */
			}
	if (nc == 0)
		return 0;
	nc = (int)lin_randn((unsigned)nc);
	op->st = cand[nc].st;
	op->idx = (uint8_t)cand[nc].idx;
	op->val = cand[nc].val;
	if (!sgen_looks(g->m, &g->s, op) || !sgen_apply(g->m, g->s, op, &g->s))
		bail_out("select generator: a result stopped fitting");
	return 1;
}

static uint64_t
sgen_point(struct sgen *g, unsigned t)
{
	g->clock += 1 + lin_randn(3);
	if (g->clock <= g->last_res[t])
		g->clock = g->last_res[t] + 1;
	return g->clock;
}

/* the operation's tickets: inv before its first point, res after its
 * last; distinct, order kept (128 * t + index) */
static void
sgen_times(struct sgen *g, struct lin_op *op, unsigned t, uint64_t first,
    uint64_t last, int index)
{
	uint64_t inv = first - lin_randn((unsigned)(first < 8 ? first : 8));

	op->inv = (inv > g->last_res[t] ? inv : g->last_res[t] + 1) * 128 +
	    (uint64_t)index;
	g->last_res[t] = last + 1 + lin_randn(10);
	op->res = g->last_res[t] * 128 + 64 + (uint64_t)index;
}

/* finish thread t's two-point operation (its own step now) */
static int
sgen_finish(struct sgen *g, struct lin_history *h, unsigned t)
{
	struct lin_op *op = &h->ops[g->open[t]];
	uint64_t first = op->inv;

	if (!sgen_result(g, op))
		return 0;
	sgen_times(g, op, t, first, sgen_point(g, t), g->open[t]);
	if (op->code != LIN_SEL)
		g->kind[t] = op->st == ACHAN_PENDING ? 1 : 0;
	g->open[t] = -1;
	return 1;
}

static void
random_select_histories(const char *name, const struct lin_model *m,
    int nops, unsigned long count)
{
	static struct lin_history h;
	int order[LIN_MAX_OPS];
	unsigned long good = 0, witnessed = 0, fails = 0, pending = 0;
	unsigned long served = 0, passed = 0, max_steps = 0;
	struct lin_model fifo = *m;
	double t0 = lin_now();
	int unbuf = m->cap_b == 0;

	fifo.split_select |= LIN_SEL_FIFO;
	for (unsigned long it = 0; it < count; it++) {
		struct sgen g;
		struct lin_stats st = { 0, 0, 0 };
		const uint64_t atags[2] = { 1, 2 };
		unsigned alen = lin_randn(m->cap + 1), closes = 0;

		memset(&g, 0, sizeof(g));
		g.m = m;
		g.s = lin_select_state(m, alen, atags, lin_randn(2), 3);
		for (unsigned t = 0; t < 4; t++) {
			g.open[t] = -1;
			g.next_k[t] = 1;
		}
		h.n = 0;
		h.init = g.s;
		for (int i = 0, cost = 0; h.n < nops && cost < 52 &&
		    i < 4 * nops; i++) {
			unsigned t = lin_randn(4), r = lin_randn(24);
			struct lin_op op;
			uint64_t p;

			if (g.open[t] >= 0) {
				if (lin_randn(3) == 0)
					(void)sgen_finish(&g, &h, t);
				continue;
			}
			memset(&op, 0, sizeof(op));
			op.thread = (uint8_t)t;
			op.obj = (uint8_t)lin_randn(2);
			if (r < 4) {
				op.code = LIN_TRY_SEND;
				op.arg = 4u * g.next_k[t]++ + t;
			} else if (r < 8) {
				op.code = LIN_TRY_RECV;
			} else if (r < 9 && closes < 2) {
				op.code = LIN_CLOSE;
				closes++;
			} else if (r < 12) {
				op.code = LIN_SEL_TRY;
				op.arg = lin_randn(2) ? 4u * g.next_k[t]++ + t : 0;
			} else if (r < 14 && t != 0 && g.kind[t] == 0) {
				/* (a thread waits in a queue once at most) */
				op.code = LIN_SEL;
				op.arg = lin_randn(2) ? 4u * g.next_k[t]++ + t : 0;
			} else if (r >= 14 && !(unbuf && t == 0)) {
				/* the thread's future */
				if (g.kind[t] == 0) {
					op.code = !unbuf && lin_randn(3) == 0 ?
					    LIN_SEND_POLL : LIN_SEL_POLL;
					op.arg = op.code == LIN_SEND_POLL ||
					    lin_randn(2) ?
					    4u * g.next_k[t]++ + t : 0;
					g.tag[t] = op.arg;
				} else {
					int cancel = lin_randn(3) == 0;

					op.arg = g.tag[t];
					op.code = g.kind[t] == 2 ?
					    (cancel ? LIN_SEND_CANCEL :
					    LIN_SEND_REPOLL) : (cancel ?
					    LIN_SEL_CANCEL : LIN_SEL_REPOLL);
				}
			} else {
				continue;
			}
			if (op.code != LIN_TRY_SEND && op.code != LIN_TRY_RECV &&
			    op.code != LIN_CLOSE)
				op.obj = 0;
			/* the checker's steps: a registration and two looks
			 * at most per select, a LIN_SENT per send poll */
			cost += 1 + (op.code == LIN_SEL_TRY ? 2 :
			    op.code == LIN_SEL || op.code == LIN_SEL_POLL ||
			    op.code == LIN_SEL_REPOLL ? 3 :
			    op.code == LIN_SEND_POLL ? 1 : 0);
			p = sgen_point(&g, t);
			if (op.code == LIN_SEL || op.code == LIN_SEL_POLL ||
			    op.code == LIN_SEL_REPOLL) {
				/* its registration (or start of polling)
				 * now; its own step later */
				struct lin_op q = op;

				if (op.arg != 0 || unbuf) {
					q.of = op.code;
					q.code = op.code == LIN_SEL_REPOLL ?
					    LIN_SEL_BEGIN : LIN_SEL_REG;
					if (!sgen_apply(m, g.s, &q, &g.s))
						bail_out("%s: cannot register",
						    name);
				}
				op.inv = p;	/* for sgen_finish */
				g.open[t] = h.n;
				h.ops[h.n++] = op;
				continue;
			}
			/* a send poll answering OK may have registered and
			 * been served at once (the checker flags it so) */
			if (op.code == LIN_SEND_POLL)
				op.flags = LIN_F_MAY_WAIT;
			if (!sgen_result(&g, &op))
				bail_out("%s: no result fits a %s", name,
				    lin_opname(op.code));
			op.flags = 0;
			if (op.code == LIN_SEND_POLL)
				g.kind[t] = op.st == ACHAN_PENDING ? 2 : 0;
			if (op.code == LIN_SEND_REPOLL)
				g.kind[t] = op.st == ACHAN_PENDING ? 2 : 0;
			if (op.code == LIN_SEND_CANCEL || op.code == LIN_SEL_CANCEL)
				g.kind[t] = 0;
			served += (op.code == LIN_SEL_CANCEL && op.st == ACHAN_OK);
			sgen_times(&g, &op, t, p, p, h.n);
			h.ops[h.n++] = op;
		}
		/* the end: polls finish; blocking selects still waiting are
		 * freed by a close of A (a thread with nothing under way) */
		for (unsigned t = 0; t < 4; t++)
			if (g.open[t] >= 0 && h.ops[g.open[t]].code != LIN_SEL &&
			    !sgen_finish(&g, &h, t))
				bail_out("%s: a poll found no answer", name);
		for (unsigned t = 0; t < 4; t++) {
			struct lin_op op;
			uint64_t p;

			if (g.open[t] < 0 || sgen_finish(&g, &h, t))
				continue;
			memset(&op, 0, sizeof(op));
			op.code = LIN_CLOSE;
			p = sgen_point(&g, 0);
			if (!sgen_result(&g, &op))
				bail_out("%s: close", name);
			sgen_times(&g, &op, 0, p, p, h.n);
			h.ops[h.n++] = op;
			if (!sgen_finish(&g, &h, t))
				bail_out("%s: a blocking select still waits "
				    "after a close of A", name);
		}
		for (unsigned t = 0; t < 4; t++) {
			struct lin_op op;
			uint64_t p;

			if (g.kind[t] == 0)
				continue;
			memset(&op, 0, sizeof(op));
			op.thread = (uint8_t)t;
			op.arg = g.tag[t];
			op.code = g.kind[t] == 2 ? LIN_SEND_CANCEL :
			    LIN_SEL_CANCEL;
			p = sgen_point(&g, t);
			if (!sgen_result(&g, &op))
				bail_out("%s: cancel", name);
			sgen_times(&g, &op, t, p, p, h.n);
			h.ops[h.n++] = op;
		}
		for (int i = 0; i < h.n; i++)
			pending += h.ops[i].st == ACHAN_PENDING;
		for (int i = h.n - 1; i > 0; i--) {
			int j = (int)lin_randn((unsigned)i + 1);
			struct lin_op tmp = h.ops[i];

			h.ops[i] = h.ops[j];
			h.ops[j] = tmp;
		}
		if (lin_check(m, &h, &st, order)) {
			good++;
			witnessed += (unsigned long)replays(m, lin_checked(),
			    order);
		} else if (fails++ == 0) {
			lin_print(m, &h);
		}
		if (!lin_check(&fifo, &h, NULL, NULL))
			passed++;
		if (st.steps > max_steps)
			max_steps = st.steps;
	}
	ok(good == count && witnessed == count,
	    "%s: %lu random linearizable select histories accepted, each with "
	    "a witness order that replays", name, good);
	diag("  %lu PENDING answers, %lu selects cancelled after a server "
	    "completed them; %lu histories need a select passed over (the "
	    "strict FIFO model rejects them); %.1f us per history, at most "
	    "%lu steps", pending, served, passed,
	    (lin_now() - t0) * 1e6 / (double)count, max_steps);
}

int
main(void)
{
	static const unsigned w_chan[LIN_NOPS] = { 20, 10, 10, 20, 10, 10, 1 };
	static const unsigned w_os[LIN_NOPS] = { 0, 6, 0, 20, 5, 5, 2 };
	static const unsigned w_state[LIN_NOPS] = { 0, 10, 0, 20, 5, 5, 1 };
	struct lin_model c1, c2, w1, w2, o1, o2;
	unsigned long n = lin_histories(3000);

	tap_watchdog(300);
	lin_pool_start();	/* seeds the generator (prints the seed) */
	lin_model_chan(&c1, 1);
	lin_model_chan(&c2, 2);
	lin_model_chan_2step(&w1, 1);
	lin_model_chan_2step(&w2, 2);
	hand_written();
	hand_written_futures();
	hand_written_select();
	random_histories("channel, capacity 1", &c1, &w1, 0, w_chan, 24, n);
	random_histories("channel, capacity 2", &c2, &w2, 0, w_chan, 28, n);
	random_histories("unbuffered channel", &lin_model_unbuffered, NULL, 0,
	    w_chan, 24, n);
	random_histories("oneshot", &lin_model_oneshot, &lin_model_oneshot_2step,
	    LIN_ONESHOT_EMPTY, w_os, 24, n);
	random_histories("oneshot broadcast", &lin_model_bcast,
	    &lin_model_bcast_2step, LIN_ONESHOT_EMPTY, w_os, 24, n);
	random_histories("state broadcast", &lin_model_state, NULL,
	    lin_state_state(0, 0, 0), w_state, 36, n);
	lin_model_chan_overtake(&o1, 1);
	lin_model_chan_overtake(&o2, 2);
	random_future_histories("channel with futures, capacity 1", &c1, &o1,
	    1, 28, n);
	random_future_histories("channel with futures, capacity 2", &c2, &o2,
	    2, 28, n);
	random_future_histories("unbuffered channel with futures",
	    &lin_model_unbuffered_futures, NULL, 0, 28, n);
	{
		struct lin_model s11, s21, s10;

		lin_model_select(&s11, 1, 1, LIN_SEL_LOOKS);
		lin_model_select(&s21, 2, 1, LIN_SEL_LOOKS);
		lin_model_select(&s10, 1, 0, LIN_SEL_LOOKS);
		random_select_histories("select, A capacity 1, B capacity 1",
		    &s11, 24, n);
		random_select_histories("select, A capacity 2, B capacity 1",
		    &s21, 24, n);
		random_select_histories("select, A capacity 1, B unbuffered",
		    &s10, 24, n);
	}
	lin_pool_stop();
	return done_testing();
}
