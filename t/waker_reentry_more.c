/*
 * t/waker_reentry_more.c - more of what a waker may do (issue 14, C1; the
 * sibling table is t/waker_reentry.c): cancel a receiver of a channel's
 * close whose list has not started yet (close runs the senders' list, then
 * the receivers'); start a second wake list on the same thread and, from
 * its waker, cancel a future pending in the outer list, or poll and cancel
 * the future whose wake runs further up (ACHAN_EINVAL); re-register a
 * sibling send future on the same channel and complete it; poll a served
 * sibling, and a sibling still queued; release the handles of a paired
 * object, the last ones included, while that object's wake list runs
 * (allowed and safe: the registered futures keep the memory, the last of
 * them frees it - run it under --enable-asan); and two threads closing
 * two channels at once whose first wakers cancel the other list's second
 * future.  Both flavours wherever the kind has them.
 *
 * Every case runs in a forked child with a watchdog (t/waker_case.h): a
 * waker that spins forever is one `not ok` naming the step it hung at.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "waker_case.h"

/* ========================================================================= */
/* Hand-written cases                                                         */
/* ========================================================================= */

struct hparam {
	char name[200];
	void (*fn)(unsigned flags, int variant);
	unsigned flags;
	int variant;
};

static void
hand_case(const void *arg)
{
	const struct hparam *p = arg;

	p->fn(p->flags, p->variant);
}

/* --- both queues of a channel waiting at close ---------------------------- */

static struct {
	struct achan_chan_recv_future r[3];
	struct achan_chan_send_future s;
	int victim;
	int rc;
	struct wk wr[3], ws;
} BQ;

static void
bq_act(struct wk *k)
{
	(void)k;
	step("S1's waker cancels R%d", BQ.victim + 1);
	BQ.rc = achan_chan_recv_cancel(&BQ.r[BQ.victim]);
	step("S1's waker returns");
}

/*
 * Capacity 1; R1, R2, R3 wait on the empty channel; a send wakes R1 and
 * fills the ring; S1 then waits to send.  So both queues are non-empty when
 * the channel is closed: close claims the waiting senders [S1] and the
 * waiting receivers [R2, R3] and runs the senders' list first.  S1's waker
 * cancels R2 (variant 1: the first node of the receivers' list, which has
 * not started yet) or R3 (variant 2: its second node).
 */
static void
h_both_queues(unsigned flags, int variant)
{
	struct achan_chan *ch = mkchan(1, flags);
	uint64_t out[3] = { 0, 0, 0 }, v = 11, sv = 21;
	int other;

	memset(&BQ, 0, sizeof(BQ));
	BQ.victim = variant;
	other = variant == 1 ? 2 : 1;
	for (int i = 0; i < 3; i++) {
		wk_init(&BQ.wr[i], i + 1, NULL, NULL);
		achan_chan_recv_future_init(&BQ.r[i], ch, &out[i]);
		if (achan_chan_recv_poll(&BQ.r[i], &BQ.wr[i].w) != ACHAN_PENDING)
			die("R did not register");
	}
	if (achan_chan_try_send(ch, &v) != ACHAN_OK)
		die("try_send");
	check_u(wk_calls(&BQ.wr[0]), 1, "the send woke R1");
	wk_init(&BQ.ws, 9, bq_act, NULL);
	achan_chan_send_future_init(&BQ.s, ch, &sv);
	if (achan_chan_send_poll(&BQ.s, &BQ.ws.w) != ACHAN_PENDING)
		die("S1 did not register");

	step("close with S1 and R2, R3 waiting");
	check_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "close");
	step("close returned");
	check_u(wk_calls(&BQ.ws), 1, "S1's waker ran once");
	check_st(BQ.rc, ACHAN_CANCELLED, "the cancel inside S1's waker");
	check_u(wk_calls(&BQ.wr[BQ.victim]), 0,
	    "the cancelled receiver's waker never runs");
	check_u(wk_calls(&BQ.wr[other]), 1, "the other receiver's waker ran once");
	check_u(wk_calls(&BQ.wr[0]), 1, "R1's waker still once");

	check_st(achan_chan_recv_poll(&BQ.r[0], &BQ.wr[0].w), ACHAN_OK,
	    "R1 gets the buffered value");
	check_u(out[0], 11, "value 11");
	check_st(achan_chan_recv_poll(&BQ.r[other], &BQ.wr[other].w),
	    ACHAN_CLOSED, "the other receiver: CLOSED (drained)");
	check_st(achan_chan_recv_poll(&BQ.r[BQ.victim], &BQ.wr[BQ.victim].w),
	    ACHAN_EINVAL, "poll of the cancelled receiver");
	check_st(achan_chan_recv_cancel(&BQ.r[BQ.victim]), ACHAN_CANCELLED,
	    "cancel of it again");
	check_u(out[BQ.victim], 0, "nothing was written to its buffer");
	check_st(achan_chan_send_poll(&BQ.s, &BQ.ws.w), ACHAN_CLOSED,
	    "S1 answers CLOSED");
	check_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
	check_u(wk_calls(&BQ.wr[BQ.victim]), 0, "still never ran");
}

/* --- a second wake list on the same thread, inside a waker ----------------- */

static struct {
	struct achan_chan *a, *b;
	struct achan_chan_recv_future f[2], g[2];
	uint64_t fo[2], go[2];
	struct wk wf[2], wg[2];
	int variant;
	int rc_send, rc[2];
} NS;

static void
ns_g1_act(struct wk *k)
{
	(void)k;
	if (NS.variant == 0) {
		step("G1's waker (nested) cancels F2, pending in the outer list");
		NS.rc[0] = achan_chan_recv_cancel(&NS.f[1]);
	} else {
		step("G1's waker (nested) polls F1, whose wake runs further up");
		NS.rc[0] = achan_chan_recv_poll(&NS.f[0], &NS.wf[0].w);
		step("G1's waker (nested) cancels F1, whose wake runs further up");
		NS.rc[1] = achan_chan_recv_cancel(&NS.f[0]);
	}
	step("G1's waker returns");
}

static void
ns_f1_act(struct wk *k)
{
	uint64_t v = 7;

	(void)k;
	step("F1's waker: try_send on channel B (wakes G1 on this thread)");
	NS.rc_send = achan_chan_try_send(NS.b, &v);
	step("F1's waker returns");
}

/*
 * Channel A has receive futures F1, F2; channel B has G1, G2.  Closing A
 * runs [F1, F2]; F1's waker sends on B, which runs [G1] inside it.
 * Variant 0: G1's waker cancels F2 (pending in the outer list: CANCELLED,
 * F2's waker never runs).  Variant 1: G1's waker polls and cancels F1,
 * whose wake is running further up this thread: ACHAN_EINVAL, as for a
 * waker's own future (waiting for it would wait for itself).
 */
static void
h_nested(unsigned flags, int variant)
{
	memset(&NS, 0, sizeof(NS));
	NS.variant = variant;
	NS.a = mkchan(2, flags);
	NS.b = mkchan(2, flags);
	for (int i = 0; i < 2; i++) {
		wk_init(&NS.wf[i], i + 1, i == 0 ? ns_f1_act : NULL, NULL);
		wk_init(&NS.wg[i], i + 11, i == 0 ? ns_g1_act : NULL, NULL);
		achan_chan_recv_future_init(&NS.f[i], NS.a, &NS.fo[i]);
		achan_chan_recv_future_init(&NS.g[i], NS.b, &NS.go[i]);
		if (achan_chan_recv_poll(&NS.f[i], &NS.wf[i].w) != ACHAN_PENDING ||
		    achan_chan_recv_poll(&NS.g[i], &NS.wg[i].w) != ACHAN_PENDING)
			die("futures did not register");
	}
	step("close A with F1, F2 registered");
	check_st(achan_chan_close(NS.a), ACHAN_NEWLY_CLOSED, "close A");
	step("close returned");
	check_st(NS.rc_send, ACHAN_OK, "try_send on B inside F1's waker");
	check_u(wk_calls(&NS.wf[0]), 1, "F1's waker ran once");
	check_u(wk_calls(&NS.wg[0]), 1, "G1's waker ran once (nested)");
	check_u(wk_calls(&NS.wg[1]), 0, "G2's waker did not run");
	if (variant == 0) {
		check_st(NS.rc[0], ACHAN_CANCELLED, "G1's cancel of F2");
		check_u(wk_calls(&NS.wf[1]), 0, "F2's waker never runs");
		check_st(achan_chan_recv_poll(&NS.f[1], &NS.wf[1].w),
		    ACHAN_EINVAL, "poll of the cancelled F2");
	} else {
		check_st(NS.rc[0], ACHAN_EINVAL, "G1's poll of F1");
		check_st(NS.rc[1], ACHAN_EINVAL, "G1's cancel of F1");
		check_u(wk_calls(&NS.wf[1]), 1, "F2's waker ran once");
		check_st(achan_chan_recv_poll(&NS.f[1], &NS.wf[1].w),
		    ACHAN_CLOSED, "F2 answers CLOSED");
	}
	check_st(achan_chan_recv_poll(&NS.f[0], &NS.wf[0].w), ACHAN_CLOSED,
	    "F1 answers CLOSED");
	check_st(achan_chan_recv_poll(&NS.g[0], &NS.wg[0].w), ACHAN_OK,
	    "G1 gets B's value");
	check_u(NS.go[0], 7, "value 7");
	check_st(achan_chan_recv_cancel(&NS.g[1]), ACHAN_CANCELLED,
	    "cancel G2");
	check_st(achan_chan_destroy(NS.a), ACHAN_OK, "destroy A");
	check_st(achan_chan_destroy(NS.b), ACHAN_OK, "destroy B");
	check_u(wk_calls(&NS.wf[1]), variant == 0 ? 0 : 1, "F2's waker, at the end");
}

/* --- senders: re-register a sibling, poll a served sibling ----------------- */

static struct {
	struct achan_chan *ch;
	struct achan_chan_send_future s[2];
	uint64_t sv[2], nv;
	struct wk ws[2], wnew;
	int rc[3];
	uint64_t got;
} SS;

static void
ss_requeue_act(struct wk *k)
{
	(void)k;
	step("S1's waker cancels S2");
	SS.rc[0] = achan_chan_send_cancel(&SS.s[1]);
	step("S1's waker re-inits S2 and polls it");
	achan_chan_send_future_init(&SS.s[1], SS.ch, &SS.nv);
	SS.rc[1] = achan_chan_send_poll(&SS.s[1], &SS.wnew.w);
	step("S1's waker returns");
}

static void
ss_served_act(struct wk *k)
{
	(void)k;
	step("S1's waker: try_recv (serves S2 on this thread)");
	SS.rc[0] = achan_chan_try_recv(SS.ch, &SS.got);
	step("S1's waker polls S2");
	SS.rc[1] = achan_chan_send_poll(&SS.s[1], &SS.wnew.w);
	step("S1's waker returns");
}

/*
 * Capacity 1 holding V0; S1 and S2 wait to send.  A receive takes V0 and
 * serves S1 (its value moves in, its waker runs).
 * Variant 0: S1's waker cancels S2 (CANCELLED: its value stays), re-inits
 * it with a new value and polls it: PENDING, registered again on the same
 * channel; the next receive serves it and its new waker runs once.
 * Variant 1: S1's waker receives S1's own value, which serves S2 on this
 * thread (S2's waker runs nested), then polls S2: OK, the value was moved.
 */
static void
h_senders(unsigned flags, int variant)
{
	uint64_t v0 = V0, out = 0;

	memset(&SS, 0, sizeof(SS));
	SS.ch = mkchan(1, flags);
	SS.sv[0] = 201;
	SS.sv[1] = 202;
	SS.nv = 300;
	if (achan_chan_try_send(SS.ch, &v0) != ACHAN_OK)
		die("try_send");
	wk_init(&SS.wnew, 3, NULL, NULL);
	for (int i = 0; i < 2; i++) {
		wk_init(&SS.ws[i], i + 1, i == 0 ? (variant == 0 ?
		    ss_requeue_act : ss_served_act) : NULL, NULL);
		achan_chan_send_future_init(&SS.s[i], SS.ch, &SS.sv[i]);
		if (achan_chan_send_poll(&SS.s[i], &SS.ws[i].w) != ACHAN_PENDING)
			die("a send future did not register");
	}
	step("try_recv: takes V0, serves S1");
	check_st(achan_chan_try_recv(SS.ch, &out), ACHAN_OK, "try_recv");
	check_u(out, V0, "V0 first");
	check_u(wk_calls(&SS.ws[0]), 1, "S1's waker ran once");
	check_st(achan_chan_send_poll(&SS.s[0], &SS.ws[0].w), ACHAN_OK,
	    "S1 answers OK (served)");
	if (variant == 0) {
		check_st(SS.rc[0], ACHAN_CANCELLED, "S1's waker's cancel of S2");
		check_st(SS.rc[1], ACHAN_PENDING,
		    "S2 re-initialised and polled: registered again");
		check_u(wk_calls(&SS.wnew), 0, "its new waker has not run");
		check_st(achan_chan_try_recv(SS.ch, &out), ACHAN_OK,
		    "receive S1's value (serves the new S2)");
		check_u(out, 201, "S1's value");
		check_u(wk_calls(&SS.wnew), 1, "the new S2 waker ran once");
		check_st(achan_chan_send_poll(&SS.s[1], &SS.wnew.w), ACHAN_OK,
		    "the new S2 answers OK");
		check_st(achan_chan_try_recv(SS.ch, &out), ACHAN_OK,
		    "receive the new S2's value");
		check_u(out, 300, "the re-initialised value, not the old one");
		check_u(wk_calls(&SS.ws[1]), 0,
		    "the old S2 registration's waker never ran");
	} else {
		check_st(SS.rc[0], ACHAN_OK, "try_recv inside S1's waker");
		check_u(SS.got, 201, "got S1's value");
		check_u(wk_calls(&SS.ws[1]), 1, "S2's waker ran (nested) once");
		check_st(SS.rc[1], ACHAN_OK, "S1's waker's poll of served S2");
		check_st(achan_chan_send_cancel(&SS.s[1]), ACHAN_OK,
		    "cancel of S2 afterwards: OK (it had completed)");
		check_st(achan_chan_try_recv(SS.ch, &out), ACHAN_OK,
		    "receive S2's value");
		check_u(out, 202, "S2's value");
		check_u(wk_calls(&SS.wnew), 0, "the poll's waker never ran");
	}
	check_st(achan_chan_try_recv(SS.ch, &out), ACHAN_EMPTY, "then empty");
	check_st(achan_chan_destroy(SS.ch), ACHAN_OK, "destroy");
}

/* --- a waker polls a sibling still queued (not in the list) ---------------- */

static struct {
	struct achan_chan_recv_future r[2];
	uint64_t out[2];
	struct wk w[2], wp;
	int rc;
} PQ;

static void
pq_act(struct wk *k)
{
	(void)k;
	step("R1's waker polls R2 (still queued)");
	PQ.rc = achan_chan_recv_poll(&PQ.r[1], &PQ.wp.w);
}

static void
h_poll_queued(unsigned flags, int variant)
{
	struct achan_chan *ch = mkchan(2, flags);
	uint64_t v = 5;

	(void)variant;
	memset(&PQ, 0, sizeof(PQ));
	wk_init(&PQ.wp, 9, NULL, NULL);
	for (int i = 0; i < 2; i++) {
		wk_init(&PQ.w[i], i + 1, i == 0 ? pq_act : NULL, NULL);
		achan_chan_recv_future_init(&PQ.r[i], ch, &PQ.out[i]);
		if (achan_chan_recv_poll(&PQ.r[i], &PQ.w[i].w) != ACHAN_PENDING)
			die("registration");
	}
	step("try_send wakes R1");
	check_st(achan_chan_try_send(ch, &v), ACHAN_OK, "try_send");
	check_u(wk_calls(&PQ.w[0]), 1, "R1's waker ran once");
	check_st(PQ.rc, ACHAN_OK, "R1's waker's poll of R2 takes the value");
	check_u(PQ.out[1], 5, "R2 got 5");
	check_u(wk_calls(&PQ.w[1]), 0, "R2's waker never ran");
	check_st(achan_chan_recv_poll(&PQ.r[1], &PQ.w[1].w), ACHAN_EINVAL,
	    "R2 finished: poll EINVAL");
	check_st(achan_chan_recv_cancel(&PQ.r[1]), ACHAN_OK,
	    "R2 finished with OK: cancel OK");
	check_st(achan_chan_recv_poll(&PQ.r[0], &PQ.w[0].w), ACHAN_PENDING,
	    "R1 re-polls: nothing left, PENDING");
	check_st(achan_chan_recv_cancel(&PQ.r[0]), ACHAN_CANCELLED, "cancel R1");
	check_u(wk_calls(&PQ.wp), 0, "the poll's waker never ran");
	check_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

/* --- releasing handles, the last ones included, inside a waker ------------- */

enum rel_kind {
	RK_CHAN_CLOSE,       /* achan_chan_close; recv futures */
	RK_CHAN_LAST_SENDER, /* the last sender's release closes; recv futures */
	RK_CHAN_LAST_RECV,   /* the last receiver's release; send futures */
	RK_ONESHOT,          /* oneshot pair, send */
	RK_BCAST,            /* bcast pair, send */
	RK_STATE,            /* state pair, send */
	RK__N
};

static const char *const rel_name[RK__N] = {
	"chan pair, close with recv futures F1, F2",
	"chan pair, the last sender's release closes (recv futures F1, F2)",
	"chan pair, the last receiver's release closes (send futures S1, S2 on a full ring)",
	"oneshot pair, send with recv futures F1, F2",
	"bcast pair, send with recv futures F1, F2",
	"state pair, send with recv futures F1, F2",
};

static struct {
	enum rel_kind rk;
	int sib;                /* 1: F1's waker also finishes F2 */
	struct achan_chan_receiver crx;
	struct achan_chan_sender ctx;
	struct achan_oneshot_sender otx;
	struct achan_oneshot_receiver orx;
	struct achan_bcast_sender btx;
	struct achan_bcast_receiver brx;
	struct achan_state_sender stx;
	struct achan_state_receiver srx;
	struct achan_chan_recv_future cr[2];
	struct achan_chan_send_future cs[2];
	struct achan_oneshot_recv_future orf[2];
	struct achan_bcast_recv_future br[2];
	struct achan_state_recv_future sr[2];
	uint64_t out[2], id[2], sv[2];
	struct wk w[2], wp;
	int rc_rel[2], rc_sib;
	int dtor_calls;
} RL;

static void
rl_dtor(void *elem, void *arg)
{
	(void)elem;
	(void)arg;
	RL.dtor_calls++;
}

static void
rl_act(struct wk *k)
{
	(void)k;
	step("F1's waker releases the handles (the last ones)");
	switch (RL.rk) {
	case RK_CHAN_CLOSE:
		RL.rc_rel[0] = achan_chan_sender_release(&RL.ctx);
		RL.rc_rel[1] = achan_chan_receiver_release(&RL.crx);
		break;
	case RK_CHAN_LAST_SENDER:
		RL.rc_rel[0] = ACHAN_OK; /* released by the caller */
		RL.rc_rel[1] = achan_chan_receiver_release(&RL.crx);
		break;
	case RK_CHAN_LAST_RECV:
		RL.rc_rel[0] = achan_chan_sender_release(&RL.ctx);
		RL.rc_rel[1] = ACHAN_OK; /* released by the caller */
		break;
	case RK_ONESHOT:
		RL.rc_rel[0] = achan_oneshot_sender_release(&RL.otx);
		RL.rc_rel[1] = achan_oneshot_receiver_release(&RL.orx);
		break;
	case RK_BCAST:
		RL.rc_rel[0] = achan_bcast_sender_release(&RL.btx);
		RL.rc_rel[1] = achan_bcast_receiver_release(&RL.brx);
		break;
	case RK_STATE:
		RL.rc_rel[0] = achan_state_sender_release(&RL.stx);
		RL.rc_rel[1] = achan_state_receiver_release(&RL.srx);
		break;
	case RK__N:
		break;
	}
	if (!RL.sib)
		return;
	step("F1's waker finishes F2 (poll or cancel)");
	switch (RL.rk) {
	case RK_CHAN_CLOSE:
	case RK_CHAN_LAST_SENDER:
		RL.rc_sib = achan_chan_recv_cancel(&RL.cr[1]);
		break;
	case RK_CHAN_LAST_RECV:
		RL.rc_sib = achan_chan_send_poll(&RL.cs[1], &RL.wp.w);
		break;
	case RK_ONESHOT:
		RL.rc_sib = achan_oneshot_recv_cancel(&RL.orf[1]);
		break;
	case RK_BCAST:
		RL.rc_sib = achan_bcast_recv_cancel(&RL.br[1]);
		break;
	case RK_STATE:
		RL.rc_sib = achan_state_recv_cancel(&RL.sr[1]);
		break;
	case RK__N:
		break;
	}
	step("F1's waker returns");
}

/*
 * A paired object with futures F1, F2 registered; its wake list runs, and
 * F1's waker releases the last handles (both roles).  The design's answer:
 * allowed and safe - the registered futures keep the memory alive, and the
 * object is freed by whoever drops the last reference: here the final poll
 * of F1 (or of F2) after the list has run.  ASan (--enable-asan) checks
 * that nothing touches freed memory and that nothing leaks.  Variant 1:
 * F1's waker also finishes F2 (cancel; poll for the send futures), so F1
 * is the last reference.
 */
static void
h_release(unsigned flags, int variant)
{
	enum rel_kind rk = (enum rel_kind)(variant / 2);
	int sib = variant % 2;
	int r = ACHAN_EINVAL, want_f1, want_f2;
	uint64_t v = V0;

	memset(&RL, 0, sizeof(RL));
	RL.rk = rk;
	RL.sib = sib;
	wk_init(&RL.wp, 9, NULL, NULL);
	wk_init(&RL.w[0], 1, rl_act, NULL);
	wk_init(&RL.w[1], 2, NULL, NULL);
	RL.sv[0] = 201;
	RL.sv[1] = 202;

	switch (rk) {
	case RK_CHAN_CLOSE:
	case RK_CHAN_LAST_SENDER:
	case RK_CHAN_LAST_RECV: {
		struct achan_chan *ch;

		if (achan_chan_pair(&RL.ctx, &RL.crx, 8,
		    rk == RK_CHAN_LAST_RECV ? 1 : 2, flags) != ACHAN_OK)
			die("achan_chan_pair");
		ch = achan_chan_sender_chan(&RL.ctx);
		achan_chan_set_elem_dtor(ch, rl_dtor, NULL);
		if (rk == RK_CHAN_LAST_RECV &&
		    achan_chan_try_send(ch, &v) != ACHAN_OK)
			die("fill");
		for (int i = 0; i < 2; i++) {
			if (rk == RK_CHAN_LAST_RECV) {
				achan_chan_send_future_init(&RL.cs[i], ch, &RL.sv[i]);
				r = achan_chan_send_poll(&RL.cs[i], &RL.w[i].w);
			} else {
				achan_chan_recv_future_init(&RL.cr[i], ch, &RL.out[i]);
				r = achan_chan_recv_poll(&RL.cr[i], &RL.w[i].w);
			}
			if (r != ACHAN_PENDING)
				die("registration");
		}
		if (rk == RK_CHAN_CLOSE) {
			step("close");
			r = achan_chan_close(ch);
			check_st(r, ACHAN_NEWLY_CLOSED, "close");
		} else if (rk == RK_CHAN_LAST_SENDER) {
			step("release the last sender");
			check_st(achan_chan_sender_release(&RL.ctx), ACHAN_OK,
			    "release of the last sender (closes)");
		} else {
			step("release the last receiver");
			check_st(achan_chan_receiver_release(&RL.crx), ACHAN_OK,
			    "release of the last receiver (closes, discards)");
			check_u(RL.dtor_calls, 1,
			    "the buffered value was discarded once");
		}
		break;
	}
	case RK_ONESHOT: {
		struct achan_oneshot *os;

		if (achan_oneshot_pair(&RL.otx, &RL.orx, 8, flags) != ACHAN_OK)
			die("achan_oneshot_pair");
		os = achan_oneshot_receiver_oneshot(&RL.orx);
		achan_oneshot_set_elem_dtor(os, rl_dtor, NULL);
		for (int i = 0; i < 2; i++) {
			achan_oneshot_recv_future_init(&RL.orf[i], os, &RL.out[i]);
			if (achan_oneshot_recv_poll(&RL.orf[i], &RL.w[i].w) !=
			    ACHAN_PENDING)
				die("registration");
		}
		step("send");
		v = VSENT;
		check_st(achan_oneshot_send(achan_oneshot_sender_oneshot(&RL.otx),
		    &v), ACHAN_OK, "send");
		/* the receiver's release inside F1's waker destroyed the value */
		check_u(RL.dtor_calls, 1,
		    "the value, unreceived, was destroyed by the receiver's release");
		break;
	}
	case RK_BCAST: {
		struct achan_bcast *b;

		if (achan_bcast_pair(&RL.btx, &RL.brx, 8, flags) != ACHAN_OK)
			die("achan_bcast_pair");
		b = achan_bcast_receiver_bcast(&RL.brx);
		achan_bcast_set_elem_dtor(b, rl_dtor, NULL);
		for (int i = 0; i < 2; i++) {
			achan_bcast_recv_future_init(&RL.br[i], b, &RL.out[i]);
			if (achan_bcast_recv_poll(&RL.br[i], &RL.w[i].w) !=
			    ACHAN_PENDING)
				die("registration");
		}
		step("send");
		v = VSENT;
		check_st(achan_bcast_send(achan_bcast_sender_bcast(&RL.btx), &v),
		    ACHAN_OK, "send");
		check_u(RL.dtor_calls, 0, "the value lives while futures do");
		break;
	}
	case RK_STATE: {
		struct achan_state *st;

		if (achan_state_pair(&RL.stx, &RL.srx, 8, flags) != ACHAN_OK)
			die("achan_state_pair");
		st = achan_state_receiver_state(&RL.srx);
		for (int i = 0; i < 2; i++) {
			achan_state_recv_future_init(&RL.sr[i], st, 0, &RL.out[i],
			    &RL.id[i]);
			if (achan_state_recv_poll(&RL.sr[i], &RL.w[i].w) !=
			    ACHAN_PENDING)
				die("registration");
		}
		step("send");
		v = VSENT;
		check_st(achan_state_send(achan_state_sender_state(&RL.stx), &v),
		    ACHAN_OK, "send");
		break;
	}
	case RK__N:
		break;
	}
	step("the wake list returned");
	check_u(wk_calls(&RL.w[0]), 1, "F1's waker ran once");
	check_st(RL.rc_rel[0], ACHAN_OK, "sender release inside the waker");
	check_st(RL.rc_rel[1], ACHAN_OK, "receiver release inside the waker");
	check_u(wk_calls(&RL.w[1]), sib ? 0 : 1,
	    sib ? "F2, finished inside F1's waker: its waker never runs" :
	    "F2's waker ran once");

	/* what F1 and F2 answer: receives on a closed chan CLOSED, sends
	 * CLOSED; the oneshot's value was destroyed by the last receiver's
	 * release (futures are not receivers): CLOSED; bcast and state keep
	 * the value: OK */
	want_f1 = (rk == RK_BCAST || rk == RK_STATE) ? ACHAN_OK : ACHAN_CLOSED;
	want_f2 = want_f1;
	if (sib) {
		int want_sib = rk == RK_CHAN_LAST_RECV ? ACHAN_CLOSED :
		    ACHAN_CANCELLED;

		check_st(RL.rc_sib, want_sib,
		    rk == RK_CHAN_LAST_RECV ? "F1's waker's poll of S2" :
		    "F1's waker's cancel of F2");
	}
	/* F2 first (unless finished), then F1: the last reference frees */
	step("finish the futures (the last one frees the object)");
	for (int j = sib ? 0 : 1; j >= 0; j--) {
		int want = j == 0 ? want_f1 : want_f2;

		switch (rk) {
		case RK_CHAN_CLOSE:
		case RK_CHAN_LAST_SENDER:
			r = achan_chan_recv_poll(&RL.cr[j], &RL.w[j].w);
			break;
		case RK_CHAN_LAST_RECV:
			r = achan_chan_send_poll(&RL.cs[j], &RL.w[j].w);
			break;
		case RK_ONESHOT:
			r = achan_oneshot_recv_poll(&RL.orf[j], &RL.w[j].w);
			break;
		case RK_BCAST:
			r = achan_bcast_recv_poll(&RL.br[j], &RL.w[j].w);
			break;
		case RK_STATE:
			r = achan_state_recv_poll(&RL.sr[j], &RL.w[j].w);
			break;
		case RK__N:
			break;
		}
		check_st(r, want, j == 0 ? "final poll of F1" : "final poll of F2");
		if (r == ACHAN_OK)
			check_u(RL.out[j], VSENT, "the value");
	}
	/* the object is gone: finished futures answer without it */
	if (sib) {
		switch (rk) {
		case RK_CHAN_CLOSE:
		case RK_CHAN_LAST_SENDER:
			r = achan_chan_recv_poll(&RL.cr[1], &RL.w[1].w);
			break;
		case RK_CHAN_LAST_RECV:
			r = achan_chan_send_poll(&RL.cs[1], &RL.w[1].w);
			break;
		case RK_ONESHOT:
			r = achan_oneshot_recv_poll(&RL.orf[1], &RL.w[1].w);
			break;
		case RK_BCAST:
			r = achan_bcast_recv_poll(&RL.br[1], &RL.w[1].w);
			break;
		case RK_STATE:
			r = achan_state_recv_poll(&RL.sr[1], &RL.w[1].w);
			break;
		case RK__N:
			break;
		}
		check_st(r, ACHAN_EINVAL, "poll of the finished F2 after the free");
	}
	if (rk == RK_BCAST)
		check_u(RL.dtor_calls, 1, "the value destroyed once, at the free");
	else if (rk != RK_STATE)
		check_u(RL.dtor_calls, rk == RK_CHAN_CLOSE ||
		    rk == RK_CHAN_LAST_SENDER ? 0 : 1,
		    "element destructor calls in all");
	check_u(wk_calls(&RL.w[1]), sib ? 0 : 1, "F2's waker, at the end");
	check_u(wk_calls(&RL.wp), 0, "the sibling poll's waker never ran");
}

/* ========================================================================= */
/* Part 3: two threads, two channels, each list's first waker cancels the     */
/* other list's second future                                                 */
/* ========================================================================= */

struct xwk {
	struct achan_waker w;
	atomic_int calls;
	atomic_int *mine, *theirs;     /* "my wake has started" flags */
	struct achan_chan_recv_future *victim;
	struct xwk *victim_wk;
	int rc;                        /* the cancel's answer */
	int victim_calls_at;           /* victim's waker calls when it returned */
	int overlapped;                /* saw the other waker running */
};

static void
x_wake(void *arg)
{
	struct xwk *k = arg;

	atomic_fetch_add(&k->calls, 1);
	if (k->victim == NULL)
		return;
	atomic_store(k->mine, 1);
	/* wait a little (bounded) for the other thread's first waker, so
	 * that the two wake lists really run at the same time */
	for (int i = 0; i < 20000 && !atomic_load(k->theirs); i++) {
		if (i % 64 == 63)
			sched_yield();
	}
	k->overlapped = atomic_load(k->theirs);
	k->rc = achan_chan_recv_cancel(k->victim);
	k->victim_calls_at = atomic_load(&k->victim_wk->calls);
}

static struct {
	struct achan_chan *ch[2];
	struct achan_chan_recv_future f[2][2];   /* [A/B][1st/2nd] */
	uint64_t out[2][2];
	struct xwk w[2][2];
	atomic_int started[2];
	atomic_uint gen;
	atomic_int done;
	atomic_int stop;
	int close_rc[2];
} X;

static void *
x_thread(void *arg)
{
	int me = (int)(intptr_t)arg;
	unsigned seen = 0;

	for (;;) {
		unsigned g;

		while ((g = atomic_load(&X.gen)) == seen) {
			if (atomic_load(&X.stop))
				return NULL;
			sched_yield();
		}
		seen = g;
		X.close_rc[me] = achan_chan_close(X.ch[me]);
		atomic_fetch_add(&X.done, 1);
	}
}

static void
x_case(const void *arg)
{
	double secs = tap_test_seconds();
	struct timespec t0 = tu_now();
	pthread_t th[2];
	int iters = 0, overlaps = 0, bad = 0;

	(void)arg;
	memset(&X, 0, sizeof(X));
	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, x_thread, (void *)(intptr_t)i) != 0)
			die("pthread_create");

	/* a few hundred rounds (more under check-stress), within the time */
	int max_iters = secs > 1.0 ? (int)(secs * 1000.0) : 1000;

	while (iters < max_iters && (iters < 1 ||
	    tu_ms_between(t0, tu_now()) < secs * 1000.0)) {
		for (int c = 0; c < 2; c++) {
			X.ch[c] = mkchan(2, 0);
			atomic_store(&X.started[c], 0);
			for (int i = 0; i < 2; i++) {
				struct xwk *k = &X.w[c][i];

				memset(k, 0, sizeof(*k));
				k->w.wake = x_wake;
				k->w.arg = k;
				atomic_init(&k->calls, 0);
				if (i == 0) {
					k->mine = &X.started[c];
					k->theirs = &X.started[1 - c];
					/* the first waker of A cancels B's second
					 * future, and the other way round */
					k->victim = &X.f[1 - c][1];
					k->victim_wk = &X.w[1 - c][1];
				}
				X.out[c][i] = 0;
				achan_chan_recv_future_init(&X.f[c][i], X.ch[c],
				    &X.out[c][i]);
				if (achan_chan_recv_poll(&X.f[c][i], &k->w) !=
				    ACHAN_PENDING)
					die("registration");
			}
		}
		atomic_store(&X.done, 0);
		step("iteration %d: both channels closed at once", iters);
		atomic_fetch_add(&X.gen, 1);
		while (atomic_load(&X.done) != 2)
			sched_yield();
		step("iteration %d: both closes returned", iters);

		for (int c = 0; c < 2; c++) {
			struct xwk *first = &X.w[c][0];
			struct xwk *victim = &X.w[1 - c][1];
			int vcalls = atomic_load(&victim->calls);

			bad += !check(X.close_rc[c] == ACHAN_NEWLY_CLOSED,
			    "iteration %d: close %c answered %s", iters, 'A' + c,
			    st_name(X.close_rc[c]));
			bad += !check(atomic_load(&first->calls) == 1,
			    "iteration %d: %c1's waker ran %d times", iters,
			    'A' + c, atomic_load(&first->calls));
			bad += !check(first->rc == ACHAN_CANCELLED,
			    "iteration %d: %c1's cancel of %c2 answered %s",
			    iters, 'A' + c, 'B' - c, st_name(first->rc));
			/* a cancelled future's waker never runs after the
			 * cancel returned, and at most once before it */
			bad += !check(vcalls == first->victim_calls_at &&
			    vcalls <= 1,
			    "iteration %d: %c2's waker ran %d times (%d when "
			    "the cancel returned)", iters, 'B' - c, vcalls,
			    first->victim_calls_at);
			overlaps += first->overlapped;
		}
		for (int c = 0; c < 2; c++) {
			for (int i = 0; i < 2; i++) {
				int r = achan_chan_recv_cancel(&X.f[c][i]);

				bad += !check(r == ACHAN_CANCELLED,
				    "iteration %d: final cancel of %c%d: %s",
				    iters, 'A' + c, i + 1, st_name(r));
			}
			bad += !check(achan_chan_destroy(X.ch[c]) == ACHAN_OK,
			    "iteration %d: destroy %c", iters, 'A' + c);
		}
		iters++;
		if (bad > 10)
			break;
	}
	atomic_store(&X.stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	note("%d iterations; %d first wakers found the other list's first "
	    "waker running", iters, overlaps);
}

/* ========================================================================= */
/* main                                                                       */
/* ========================================================================= */

int
main(void)
{
	static struct hparam hp[64];
	int nhp = 0;

	/* each case has its own watchdog; this one only bounds the whole */
	tap_watchdog(600);

	for (int fl = 0; fl < 2; fl++) {
		unsigned flags = fl ? ACHAN_LOCAL : 0;
		struct hparam *p;

#define ADD_H(fn_, var_, ...)                                                  \
	do {                                                                   \
		p = &hp[nhp++];                                                \
		p->fn = (fn_);                                                 \
		p->flags = flags;                                              \
		p->variant = (var_);                                           \
		snprintf(p->name, sizeof(p->name), __VA_ARGS__);               \
	} while (0)

		ADD_H(h_both_queues, 1, "[%s] chan close with senders and "
		    "receivers waiting: S1's waker cancels R2 (first of the "
		    "receivers' list, which runs after the senders' list)",
		    fl_name(flags));
		ADD_H(h_both_queues, 2, "[%s] chan close with senders and "
		    "receivers waiting: S1's waker cancels R3 (second of the "
		    "receivers' list)", fl_name(flags));
		ADD_H(h_nested, 0, "[%s] nested wake list: F1's waker (close "
		    "of A) sends on B; G1's waker cancels F2, pending in A's list",
		    fl_name(flags));
		ADD_H(h_nested, 1, "[%s] nested wake list: G1's waker polls and "
		    "cancels F1, whose wake runs further up the thread: EINVAL",
		    fl_name(flags));
		ADD_H(h_senders, 0, "[%s] chan send futures: S1's waker cancels "
		    "S2, re-inits it, registers it again on the same channel; "
		    "it completes later", fl_name(flags));
		ADD_H(h_senders, 1, "[%s] chan send futures: S1's waker receives "
		    "(serving S2 on this thread), then polls S2: OK",
		    fl_name(flags));
		ADD_H(h_poll_queued, 0, "[%s] chan: R1's waker polls R2, still "
		    "queued: R2 takes the value", fl_name(flags));
		for (int rk = 0; rk < RK__N; rk++) {
			ADD_H(h_release, rk * 2, "[%s] %s: F1's waker releases "
			    "the last handles", fl_name(flags), rel_name[rk]);
			ADD_H(h_release, rk * 2 + 1, "[%s] %s: F1's waker releases "
			    "the last handles and %s", fl_name(flags),
			    rel_name[rk], rk == RK_CHAN_LAST_RECV ?
			    "polls S2" : "cancels F2");
		}
#undef ADD_H
	}

	for (int i = 0; i < nhp; i++)
		run_case(hp[i].name, hand_case, &hp[i], CASE_WATCHDOG_S);
	run_case("[mt] two threads close channels A and B at once; A1's waker "
	    "cancels B2 and B1's waker cancels A2", x_case, NULL,
	    (unsigned)(tap_test_seconds() + 0.999) + 10u);
	return done_testing();
}
