/*
 * t/select_cases.h - the select checks both flavours share (SEMANTICS.md
 * "Select", achan/select.h), written once and parameterised by the
 * objects' creation flags: t/select_basic.c runs them on thread-safe
 * objects (fl 0), t/select_local.c on ACHAN_LOCAL ones.  Where the flavours
 * differ (a blocking form that would wait: it waits on thread-safe objects,
 * answers ACHAN_EDEADLK on local ones) the check says which it expects.
 * Everything here runs on the main thread; the checks that need a second
 * thread are in t/select_basic.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The backdrop of most checks is `struct bg`: one object of every kind, each
 * with a case that is NOT ready (an empty bounded channel to receive from,
 * a full one to send to, an unbuffered channel with a send and a receive
 * case and nobody else, an empty oneshot and broadcast, an empty state
 * channel asked for any state, a state channel at id 3 asked for a state
 * newer than 3) and a NONE case.  A check adds a
 * ready case at some position, or makes one backdrop case ready, and then
 * verifies that exactly that case completed, as its plain call would, and
 * that every other object is exactly as bg_make left it (bg_end).
 */
#ifndef ACHAN_T_SELECT_CASES_H
#define ACHAN_T_SELECT_CASES_H

#include "test_util.h"

#define SC static TU_UNUSED

/* What an untouched receive buffer holds, and an index nobody wrote. */
#define SENT  0x5e5e5e5e5e5e5e5eULL
#define NOIDX ((size_t)0xabcdefu)
/* sc_take's answer when there was nothing to take. */
#define NOTHING 0xfeedfacecafef00dULL

SC const char *
fname(unsigned fl)
{
	return (fl & ACHAN_LOCAL) ? "local" : "ts";
}

SC int
is_local_fl(unsigned fl)
{
	return (fl & ACHAN_LOCAL) != 0;
}

/* --- objects --------------------------------------------------------------- */

SC struct achan_chan *
sc_chan(size_t elem, size_t cap, unsigned fl)
{
	struct achan_chan *ch = NULL;

	if (achan_chan_create(&ch, elem, cap, fl) != ACHAN_OK || ch == NULL)
		bail_out("achan_chan_create(%zu, %zu, %u) failed", elem, cap, fl);
	return ch;
}

SC struct achan_oneshot *
sc_oneshot(unsigned fl)
{
	struct achan_oneshot *o = NULL;

	if (achan_oneshot_create(&o, 8, fl) != ACHAN_OK || o == NULL)
		bail_out("achan_oneshot_create failed");
	return o;
}

SC struct achan_bcast *
sc_bcast(unsigned fl)
{
	struct achan_bcast *b = NULL;

	if (achan_bcast_create(&b, 8, fl) != ACHAN_OK || b == NULL)
		bail_out("achan_bcast_create failed");
	return b;
}

SC struct achan_state *
sc_state(unsigned fl)
{
	struct achan_state *s = NULL;

	if (achan_state_create(&s, 8, fl) != ACHAN_OK || s == NULL)
		bail_out("achan_state_create failed");
	return s;
}

/* Setup steps that must work (a failure there is not what is tested). */
SC void
sc_put(struct achan_chan *ch, uint64_t v)
{
	if (achan_chan_try_send(ch, &v) != ACHAN_OK)
		bail_out("setup: try_send(%llu) failed", (unsigned long long)v);
}

SC void
sc_state_send(struct achan_state *s, uint64_t v)
{
	if (achan_state_send(s, &v) != ACHAN_OK)
		bail_out("setup: state_send failed");
}

/* try_recv: the value, or NOTHING if it did not answer OK. */
SC uint64_t
sc_take(struct achan_chan *ch)
{
	uint64_t v = SENT;

	return achan_chan_try_recv(ch, &v) == ACHAN_OK ? v : NOTHING;
}

/*
 * One long-lived state channel per flavour, at id 3 (61, 62, 63): the
 * checks that need a state newer than an id above 0 use it.  Destroying a
 * state channel that superseded a state runs liburcu's rcu_barrier, whose
 * internal handoff t/tsan.supp silences by naming urcu_bp_barrier - which
 * TSan can only match while it can still restore this thread's stack at
 * the barrier's calloc.  Frees that liburcu's thread makes late, after
 * many more calls here, then show up as "failed to restore the stack" and
 * an unsuppressed report.  So the backdrops never supersede a state, and
 * this one is destroyed once, at the end (select_cases_end).
 */
static struct achan_state *sc_latest_[2];

SC struct achan_state *
sc_latest(unsigned fl)
{
	struct achan_state **p = &sc_latest_[is_local_fl(fl)];

	if (*p == NULL) {
		*p = sc_state(fl);
		sc_state_send(*p, 61);
		sc_state_send(*p, 62);
		sc_state_send(*p, 63);
	}
	return *p;
}

SC struct timespec
sc_past(void)
{
	struct timespec ts = { 0, 0 };	/* long gone, and normalised */
	return ts;
}

/* --- the forms ------------------------------------------------------------- */

enum form { F_TRY, F_BLOCK, F_UNTIL, F_FUTURE, F_NFORMS };

SC const char *const form_name[F_NFORMS] = {
	"try", "select", "until(past deadline)", "future"
};

/* What the future form saw besides its first poll's answer. */
struct fut_info {
	int used;
	int wcalls;       /* waker calls (an immediate completion makes none) */
	int repoll_r;     /* a poll after it finished: EINVAL */
	int cancel_r;     /* a cancel after it finished: OK + index, or CANCELLED */
	size_t cancel_idx;
};

/*
 * One select in the given form over cases that are expected to have a
 * ready case (so no form waits).  The future form polls once; if that
 * answers PENDING, it cancels and returns PENDING.
 */
SC int
sc_run(enum form form, struct achan_select_case *c, size_t n, unsigned sflags,
		size_t *idx, struct fut_info *fi)
{
	struct timespec past = sc_past();
	struct achan_select sel;
	struct rec_waker w;
	size_t j = NOIDX;
	int r;

	memset(fi, 0, sizeof(*fi));
	switch (form) {
	case F_TRY:
		return achan_select_try(c, n, sflags, idx);
	case F_BLOCK:
		return achan_select(c, n, sflags, idx);
	case F_UNTIL:
		return achan_select_until(c, n, sflags, &past, idx);
	default:
		break;
	}
	rec_init(&w, 1, NULL);
	r = achan_select_init(&sel, c, n, sflags);
	if (r != ACHAN_OK)
		return r;
	r = achan_select_poll(&sel, &w.w, idx);
	if (r == ACHAN_PENDING) {
		(void)achan_select_cancel(&sel, &j);
		return r;
	}
	fi->used = 1;
	fi->repoll_r = achan_select_poll(&sel, &w.w, &j);
	j = NOIDX;
	fi->cancel_r = achan_select_cancel(&sel, &j);
	fi->cancel_idx = j;
	fi->wcalls = rec_calls(&w);
	return r;
}

/* The future form's extras, after a first poll that answered r with idx. */
SC void
check_fut(const struct fut_info *fi, int r, size_t idx, const char *what)
{
	int want_cancel = r == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED;
	int good;

	if (!fi->used)
		return;
	good = fi->wcalls == 0 && fi->repoll_r == ACHAN_EINVAL &&
	    fi->cancel_r == want_cancel &&
	    (r != ACHAN_OK || fi->cancel_idx == idx);
	if (!ok(good, "%s: no waker call, poll after finished EINVAL, cancel "
	    "after finished %s", what, st_name(want_cancel)))
		diag("    wcalls %d, repoll %s, cancel %s idx %zu", fi->wcalls,
		    st_name(fi->repoll_r), st_name(fi->cancel_r),
		    fi->cancel_idx);
}

/* --- the backdrop: a case of every kind, none of them ready --------------- */

enum { BG_E, BG_F, BG_UR, BG_US, BG_O, BG_B, BG_S, BG_S3, BG_NONE, BG_N };

/* The backdrop's objects, as bits (bg_changed's answer, skip masks). */
enum { OB_E = 1, OB_F = 2, OB_U = 4, OB_O = 8, OB_B = 16, OB_S = 32,
	OB_S3 = 64 };

struct bg {
	unsigned fl;
	struct achan_chan *e;     /* cap 2, empty: receive case waits */
	struct achan_chan *f;     /* cap 1, holds 900: send case (901) waits */
	struct achan_chan *u;     /* unbuffered: receive and send (902) cases */
	struct achan_oneshot *o;  /* empty */
	struct achan_bcast *b;    /* empty */
	struct achan_state *s;    /* no state yet; the case asks for any */
	struct achan_state *s3;   /* sc_latest: id 3; the case asks for newer
	                           * than 3 (not destroyed with the rest) */
	uint64_t out[BG_N];       /* receive buffers, SENT */
	uint64_t sid, sid3;       /* the state cases' ids out, SENT */
	uint64_t fv, uv;          /* the send cases' values */
};

SC void
bg_make(struct bg *g, unsigned fl)
{
	memset(g, 0, sizeof(*g));
	g->fl = fl;
	g->e = sc_chan(8, 2, fl);
	g->f = sc_chan(8, 1, fl);
	sc_put(g->f, 900);
	g->u = sc_chan(8, 0, fl);
	g->o = sc_oneshot(fl);
	g->b = sc_bcast(fl);
	g->s = sc_state(fl);
	g->s3 = sc_latest(fl);
	for (int i = 0; i < BG_N; i++)
		g->out[i] = SENT;
	g->sid = SENT;
	g->sid3 = SENT;
	g->fv = 901;
	g->uv = 902;
}

SC void
bg_case(struct bg *g, struct achan_select_case *c, int which)
{
	int r = ACHAN_EINVAL;

	switch (which) {
	case BG_E:
		r = achan_select_case_chan_recv(c, g->e, &g->out[BG_E]);
		break;
	case BG_F:
		r = achan_select_case_chan_send(c, g->f, &g->fv);
		break;
	case BG_UR:
		r = achan_select_case_chan_recv(c, g->u, &g->out[BG_UR]);
		break;
	case BG_US:
		r = achan_select_case_chan_send(c, g->u, &g->uv);
		break;
	case BG_O:
		r = achan_select_case_oneshot_recv(c, g->o, &g->out[BG_O]);
		break;
	case BG_B:
		r = achan_select_case_bcast_recv(c, g->b, &g->out[BG_B]);
		break;
	case BG_S:
		r = achan_select_case_state_recv(c, g->s, ACHAN_STATE_ID_INIT,
		    &g->out[BG_S], &g->sid);
		break;
	case BG_S3:
		r = achan_select_case_state_recv(c, g->s3, 3, &g->out[BG_S3],
		    &g->sid3);
		break;
	default:
		r = achan_select_case_none(c);
		break;
	}
	if (r != ACHAN_OK)
		bail_out("a case helper failed");
}

/* c[0..BG_N-1] = the backdrop's cases, in BG_ order. */
SC void
bg_cases(struct bg *g, struct achan_select_case *c)
{
	for (int i = 0; i < BG_N; i++)
		bg_case(g, &c[i], i);
}

/*
 * The objects not in `skip` that are not as bg_make left them (a mask of
 * OB_ bits; 0: untouched).  Looks only with calls that change nothing when
 * the object is as expected.
 */
SC unsigned
bg_changed(struct bg *g, unsigned skip)
{
	unsigned m = 0;
	uint64_t x, id;

	if (!(skip & OB_E) && (achan_chan_len(g->e) != 0 ||
	    g->out[BG_E] != SENT || achan_chan_is_closed(g->e)))
		m |= OB_E;
	if (!(skip & OB_F) && (achan_chan_len(g->f) != 1 ||
	    achan_chan_is_closed(g->f) || g->fv != 901))
		m |= OB_F;
	if (!(skip & OB_U)) {
		x = 1;
		if (achan_chan_try_send(g->u, &x) != ACHAN_FULL ||
		    achan_chan_try_recv(g->u, &x) != ACHAN_EMPTY ||
		    g->out[BG_UR] != SENT || g->uv != 902)
			m |= OB_U;
	}
	x = SENT;
	if (!(skip & OB_O) && (achan_oneshot_try_recv(g->o, &x) != ACHAN_EMPTY ||
	    g->out[BG_O] != SENT))
		m |= OB_O;
	if (!(skip & OB_B) && (achan_bcast_try_recv(g->b, &x) != ACHAN_EMPTY ||
	    g->out[BG_B] != SENT))
		m |= OB_B;
	id = 0;
	if (!(skip & OB_S) && (achan_state_try_recv(g->s, 0, &x, &id) !=
	    ACHAN_EMPTY || achan_state_id(g->s) != 0 ||
	    g->out[BG_S] != SENT || g->sid != SENT))
		m |= OB_S;
	if (achan_state_try_recv(g->s3, 3, &x, &id) != ACHAN_EMPTY ||
	    achan_state_id(g->s3) != 3 || g->out[BG_S3] != SENT ||
	    g->sid3 != SENT)
		m |= OB_S3;
	return m;
}

/*
 * Free the backdrop: f (unless skipped) must still hold exactly 900; every
 * destroy must answer OK (EBUSY would be a registration left behind).  The
 * mask of objects where that failed.
 */
SC unsigned
bg_free(struct bg *g, unsigned skip)
{
	unsigned m = 0;

	if (!(skip & OB_F) && (sc_take(g->f) != 900 || sc_take(g->f) != NOTHING))
		m |= OB_F;
	if (achan_chan_destroy(g->e) != ACHAN_OK)
		m |= OB_E;
	if (achan_chan_destroy(g->f) != ACHAN_OK)
		m |= OB_F;
	if (achan_chan_destroy(g->u) != ACHAN_OK)
		m |= OB_U;
	if (achan_oneshot_destroy(g->o) != ACHAN_OK)
		m |= OB_O;
	if (achan_bcast_destroy(g->b) != ACHAN_OK)
		m |= OB_B;
	if (achan_state_destroy(g->s) != ACHAN_OK)
		m |= OB_S;
	return m;
}

/* Check that the objects not in `skip` are untouched, then free them all. */
SC void
bg_end(struct bg *g, unsigned skip, const char *what)
{
	unsigned m = bg_changed(g, skip);

	if (!ok(m == 0, "%s: the other cases left no trace", what))
		diag("    objects changed: %#x (e 1, f 2, u 4, o 8, b 16, s 32, s3 64)", m);
	m = bg_free(g, skip);
	if (!ok(m == 0, "%s: nothing left registered, every object destroyed",
	    what))
		diag("    failed: %#x (e 1, f 2, u 4, o 8, b 16, s 32)", m);
}

/* --- a ready case of every kind, and of every kind closed ------------------ */

enum rk {
	RK_RECV_B,        /* bounded, two values buffered */
	RK_RECV_U,        /* unbuffered, a send future waiting */
	RK_RECV_SIG,      /* elem_size 0, one signal, NULL out */
	RK_SEND_B,        /* bounded, room */
	RK_SEND_U,        /* unbuffered, a receive future waiting */
	RK_ONESHOT,       /* a value sent */
	RK_BCAST,         /* a value sent */
	RK_STATE,         /* three states, after 1: the latest (id 3) */
	RK_STATE_NULL,    /* one state, after 0, NULL out: the id only */
	RK_CL_RECV_B,     /* closed and drained */
	RK_CL_DRAIN,      /* closed with a value left: the value first */
	RK_CL_SEND_B,     /* closed */
	RK_CL_RECV_U,     /* closed */
	RK_CL_SEND_U,     /* closed */
	RK_CL_ONESHOT,    /* closed without a value */
	RK_TAKEN_ONESHOT, /* its value taken by another receiver */
	RK_CL_BCAST,      /* closed without a value */
	RK_CL_STATE,      /* closed, nothing newer than after */
	RK_CL_STATE_NEW,  /* closed, a newer state kept */
	RK_N
};

SC const char *const rk_name[RK_N] = {
	"chan recv (bounded)", "chan recv (unbuffered)", "chan recv (signal)",
	"chan send (bounded)", "chan send (unbuffered)", "oneshot recv",
	"bcast recv", "state recv", "state recv (NULL out)",
	"closed chan recv (bounded)", "closed chan recv draining",
	"closed chan send (bounded)", "closed chan recv (unbuffered)",
	"closed chan send (unbuffered)", "closed oneshot", "taken oneshot",
	"closed bcast", "closed state", "closed state with a newer state"
};

struct rdy {
	enum rk k;
	unsigned fl;
	int want;                 /* the case's status: OK or CLOSED */
	struct achan_chan *ch;
	struct achan_oneshot *o;
	struct achan_bcast *b;
	struct achan_state *s;
	struct achan_chan_send_future sf;  /* the unbuffered partner */
	struct achan_chan_recv_future rf;
	struct rec_waker w;       /* the partner's waker */
	uint64_t out, val, id, pout;
};

/* Make r's object with its case ready; *c is that case. */
SC void
rdy_make(struct rdy *r, enum rk k, unsigned fl, struct achan_select_case *c)
{
	uint64_t x;

	memset(r, 0, sizeof(*r));
	r->k = k;
	r->fl = fl;
	r->want = k >= RK_CL_RECV_B && k != RK_CL_DRAIN &&
	    k != RK_CL_STATE_NEW ? ACHAN_CLOSED : ACHAN_OK;
	r->out = SENT;
	r->pout = SENT;
	r->id = SENT;
	rec_init(&r->w, 7, NULL);
	switch (k) {
	case RK_RECV_B:
	case RK_CL_RECV_B:
	case RK_CL_DRAIN:
		r->ch = sc_chan(8, 2, fl);
		if (k == RK_RECV_B) {
			sc_put(r->ch, 11);
			sc_put(r->ch, 12);
		} else if (k == RK_CL_DRAIN) {
			sc_put(r->ch, 8);
		}
		if (k != RK_RECV_B)
			achan_chan_close(r->ch);
		achan_select_case_chan_recv(c, r->ch, &r->out);
		break;
	case RK_RECV_U:
	case RK_CL_RECV_U:
		r->ch = sc_chan(8, 0, fl);
		if (k == RK_RECV_U) {
			r->val = 77;
			achan_chan_send_future_init(&r->sf, r->ch, &r->val);
			if (achan_chan_send_poll(&r->sf, &r->w.w) != ACHAN_PENDING)
				bail_out("setup: unbuffered send future");
		} else {
			achan_chan_close(r->ch);
		}
		achan_select_case_chan_recv(c, r->ch, &r->out);
		break;
	case RK_RECV_SIG:
		r->ch = sc_chan(0, 1, fl);
		if (achan_chan_try_send(r->ch, NULL) != ACHAN_OK)
			bail_out("setup: signal");
		achan_select_case_chan_recv(c, r->ch, NULL);
		break;
	case RK_SEND_B:
	case RK_CL_SEND_B:
		r->ch = sc_chan(8, 2, fl);
		if (k == RK_SEND_B)
			sc_put(r->ch, 5);
		else
			achan_chan_close(r->ch);
		r->val = 21;
		achan_select_case_chan_send(c, r->ch, &r->val);
		break;
	case RK_SEND_U:
	case RK_CL_SEND_U:
		r->ch = sc_chan(8, 0, fl);
		if (k == RK_SEND_U) {
			achan_chan_recv_future_init(&r->rf, r->ch, &r->pout);
			if (achan_chan_recv_poll(&r->rf, &r->w.w) != ACHAN_PENDING)
				bail_out("setup: unbuffered recv future");
		} else {
			achan_chan_close(r->ch);
		}
		r->val = 22;
		achan_select_case_chan_send(c, r->ch, &r->val);
		break;
	case RK_ONESHOT:
	case RK_CL_ONESHOT:
	case RK_TAKEN_ONESHOT:
		r->o = sc_oneshot(fl);
		x = 33;
		if (k == RK_CL_ONESHOT)
			achan_oneshot_close(r->o);
		else if (achan_oneshot_send(r->o, &x) != ACHAN_OK)
			bail_out("setup: oneshot send");
		if (k == RK_TAKEN_ONESHOT &&
		    achan_oneshot_try_recv(r->o, &x) != ACHAN_OK)
			bail_out("setup: oneshot take");
		achan_select_case_oneshot_recv(c, r->o, &r->out);
		break;
	case RK_BCAST:
	case RK_CL_BCAST:
		r->b = sc_bcast(fl);
		x = 44;
		if (k == RK_CL_BCAST)
			achan_bcast_close(r->b);
		else if (achan_bcast_send(r->b, &x) != ACHAN_OK)
			bail_out("setup: bcast send");
		achan_select_case_bcast_recv(c, r->b, &r->out);
		break;
	case RK_STATE:
		/* the long-lived one (id 3): a state newer than 1 */
		achan_select_case_state_recv(c, sc_latest(fl), 1, &r->out,
		    &r->id);
		break;
	case RK_STATE_NULL:
		r->s = sc_state(fl);
		sc_state_send(r->s, 61);
		achan_select_case_state_recv(c, r->s, ACHAN_STATE_ID_INIT, NULL,
		    &r->id);
		break;
	case RK_CL_STATE:
	case RK_CL_STATE_NEW:
		r->s = sc_state(fl);
		sc_state_send(r->s, 65);
		achan_state_close(r->s);
		achan_select_case_state_recv(c, r->s,
		    k == RK_CL_STATE ? 1 : ACHAN_STATE_ID_INIT, &r->out, &r->id);
		break;
	default:
		bail_out("rdy_make: kind %d", (int)k);
	}
}

/*
 * After r's case completed: did its operation happen exactly as the plain
 * call would have done it?  Frees r's object.  NULL if so, else what is
 * wrong.
 */
SC const char *
rdy_verify(struct rdy *r)
{
	const char *why = NULL;
	uint64_t x = SENT, id = 0;

#define RDY_NEED(cond, msg) do { if (why == NULL && !(cond)) why = (msg); } while (0)
	switch (r->k) {
	case RK_RECV_B:
		RDY_NEED(r->out == 11, "out is not the oldest value (11)");
		RDY_NEED(achan_chan_len(r->ch) == 1, "len is not 1");
		RDY_NEED(sc_take(r->ch) == 12, "the second value is not next");
		break;
	case RK_RECV_U:
		RDY_NEED(r->out == 77, "out is not the waiting sender's 77");
		RDY_NEED(rec_calls(&r->w) == 1, "the sender was not woken once");
		RDY_NEED(achan_chan_send_poll(&r->sf, &r->w.w) == ACHAN_OK,
		    "the send future does not answer OK");
		break;
	case RK_RECV_SIG:
		RDY_NEED(achan_chan_len(r->ch) == 0, "the signal is still there");
		RDY_NEED(achan_chan_try_recv(r->ch, NULL) == ACHAN_EMPTY,
		    "a second signal");
		break;
	case RK_SEND_B:
		RDY_NEED(achan_chan_len(r->ch) == 2, "len is not 2");
		RDY_NEED(sc_take(r->ch) == 5, "5 is not first");
		RDY_NEED(sc_take(r->ch) == 21, "21 was not sent after it");
		RDY_NEED(sc_take(r->ch) == NOTHING, "a third value");
		break;
	case RK_SEND_U:
		RDY_NEED(rec_calls(&r->w) == 1, "the receiver was not woken once");
		RDY_NEED(achan_chan_recv_poll(&r->rf, &r->w.w) == ACHAN_OK,
		    "the recv future does not answer OK");
		RDY_NEED(r->pout == 22, "the receiver did not get 22");
		break;
	case RK_ONESHOT:
		RDY_NEED(r->out == 33, "out is not 33");
		RDY_NEED(achan_oneshot_try_recv(r->o, &x) == ACHAN_CLOSED,
		    "the value was not taken");
		break;
	case RK_BCAST:
		RDY_NEED(r->out == 44, "out is not 44");
		RDY_NEED(achan_bcast_try_recv(r->b, &x) == ACHAN_OK && x == 44,
		    "the value is not still there for others");
		break;
	case RK_STATE:
		RDY_NEED(r->out == 63 && r->id == 3,
		    "not the latest state (63, id 3)");
		RDY_NEED(achan_state_id(sc_latest(r->fl)) == 3,
		    "the state id changed");
		break;
	case RK_STATE_NULL:
		RDY_NEED(r->id == 1, "id is not 1");
		break;
	case RK_CL_RECV_B:
	case RK_CL_RECV_U:
	case RK_CL_ONESHOT:
	case RK_TAKEN_ONESHOT:
	case RK_CL_BCAST:
		RDY_NEED(r->out == SENT, "out was written");
		break;
	case RK_CL_DRAIN:
		RDY_NEED(r->out == 8, "out is not the value left (8)");
		RDY_NEED(achan_chan_try_recv(r->ch, &x) == ACHAN_CLOSED,
		    "not drained");
		break;
	case RK_CL_SEND_B:
	case RK_CL_SEND_U:
		RDY_NEED(achan_chan_len(r->ch) == 0, "a value went in");
		RDY_NEED(achan_chan_try_recv(r->ch, &x) == ACHAN_CLOSED,
		    "a value can be received");
		break;
	case RK_CL_STATE:
		RDY_NEED(r->out == SENT && r->id == SENT, "out or id written");
		break;
	case RK_CL_STATE_NEW:
		RDY_NEED(r->out == 65 && r->id == 1, "not the kept state (65, 1)");
		RDY_NEED(achan_state_try_recv(r->s, 1, &x, &id) == ACHAN_CLOSED,
		    "nothing newer should be left");
		break;
	default:
		break;
	}
	if (r->ch)
		RDY_NEED(achan_chan_destroy(r->ch) == ACHAN_OK, "chan destroy");
	if (r->o)
		RDY_NEED(achan_oneshot_destroy(r->o) == ACHAN_OK, "oneshot destroy");
	if (r->b)
		RDY_NEED(achan_bcast_destroy(r->b) == ACHAN_OK, "bcast destroy");
	if (r->s)
		RDY_NEED(achan_state_destroy(r->s) == ACHAN_OK, "state destroy");
#undef RDY_NEED
	return why;
}

/*
 * Every kind, ready or closed, at a position among the backdrop's cases,
 * through every form, biased and not: exactly that case completes, with
 * its status and index, as its plain call would; the backdrop is
 * untouched.
 */
SC void
t_every_kind(unsigned fl)
{
	struct achan_select_case c[BG_N + 1], tmp[BG_N];
	struct fut_info fi;
	struct rdy r;
	struct bg g;
	char what[160];
	const char *why;
	size_t idx, pos;
	int st;

	for (int k = 0; k < RK_N; k++)
		for (int form = 0; form < F_NFORMS; form++)
			for (int biased = 0; biased < 2; biased++) {
				pos = (size_t)(k + 3 * form + 5 * biased) % (BG_N + 1);
				snprintf(what, sizeof(what), "%s, %s, %s%s, case %zu",
				    fname(fl), rk_name[k], form_name[form],
				    biased ? " biased" : "", pos);
				bg_make(&g, fl);
				bg_cases(&g, tmp);
				for (size_t i = 0, j = 0; i < BG_N + 1; i++)
					if (i != pos)
						c[i] = tmp[j++];
				rdy_make(&r, (enum rk)k, fl, &c[pos]);
				idx = NOIDX;
				st = sc_run((enum form)form, c, BG_N + 1,
				    biased ? ACHAN_SELECT_BIASED : 0, &idx, &fi);
				is_st(st, r.want, "%s: status", what);
				is_u(idx, pos, "%s: index", what);
				why = rdy_verify(&r);
				if (!ok(why == NULL, "%s: moved as the plain call "
				    "would", what))
					diag("    %s", why);
				check_fut(&fi, st, idx, what);
				bg_end(&g, 0, what);
			}
}

/* --- nothing ready ------------------------------------------------------- */

/*
 * Only the backdrop: try EMPTY; until TIMEDOUT at the deadline (local:
 * EDEADLK); blocking local EDEADLK; the future PENDING with no wake, and a
 * cancel CANCELLED.  Nothing moves, nothing stays registered.
 */
SC void
t_nothing_ready(unsigned fl)
{
	struct achan_select_case c[BG_N];
	struct achan_select sel;
	struct rec_waker w;
	struct timespec dl;
	struct bg g;
	char what[96];
	size_t idx;

	for (int biased = 0; biased < 2; biased++) {
		unsigned sf = biased ? ACHAN_SELECT_BIASED : 0;

		snprintf(what, sizeof(what), "%s, nothing ready%s", fname(fl),
		    biased ? ", biased" : "");
		bg_make(&g, fl);
		bg_cases(&g, c);
		idx = NOIDX;
		is_st(achan_select_try(c, BG_N, sf, &idx), ACHAN_EMPTY,
		    "%s: try EMPTY", what);
		is_u(idx, NOIDX, "%s: try leaves *index alone", what);
		dl = tu_add_ms(tu_now(), 20);
		if (is_local_fl(fl)) {
			is_st(achan_select_until(c, BG_N, sf, &dl, &idx),
			    ACHAN_EDEADLK, "%s: until EDEADLK", what);
			is_st(achan_select(c, BG_N, sf, &idx), ACHAN_EDEADLK,
			    "%s: select EDEADLK", what);
		} else {
			is_st(achan_select_until(c, BG_N, sf, &dl, &idx),
			    ACHAN_TIMEDOUT, "%s: until TIMEDOUT", what);
			ok(tu_ts_ge(tu_now(), dl), "%s: not before the deadline",
			    what);
		}
		is_u(idx, NOIDX, "%s: *index still untouched", what);
		rec_init(&w, 1, NULL);
		is_st(achan_select_init(&sel, c, BG_N, sf), ACHAN_OK,
		    "%s: future init", what);
		is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING,
		    "%s: poll PENDING", what);
		is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING,
		    "%s: re-poll PENDING", what);
		is_u(rec_calls(&w), 0, "%s: the waker was not called", what);
		is_st(achan_select_cancel(&sel, &idx), ACHAN_CANCELLED,
		    "%s: cancel CANCELLED", what);
		is_u(idx, NOIDX, "%s: cancel leaves *index alone", what);
		is_u(rec_calls(&w), 0, "%s: still no waker call", what);
		bg_end(&g, 0, what);
	}
}

/* No enabled case (n == 0, or all NONE): try EMPTY, select EDEADLK, until
 * sleeps to the deadline, the future pends and is never woken. */
SC void
t_no_enabled(unsigned fl)
{
	struct achan_select_case c[4];
	struct achan_select sel;
	struct rec_waker w;
	struct timespec dl, t0;
	uint64_t junk = 12345;
	size_t idx = NOIDX;
	const char *fn = fname(fl);

	is_st(achan_select_try(NULL, 0, 0, &idx), ACHAN_EMPTY, "%s: n 0: try EMPTY", fn);
	is_st(achan_select(NULL, 0, 0, &idx), ACHAN_EDEADLK, "%s: n 0: select EDEADLK", fn);
	t0 = tu_now();
	dl = tu_add_ms(t0, 30);
	is_st(achan_select_until(NULL, 0, ACHAN_SELECT_BIASED, &dl, &idx),
	    ACHAN_TIMEDOUT, "%s: n 0: until TIMEDOUT", fn);
	ok(tu_ts_ge(tu_now(), dl), "%s: n 0: until slept to the deadline "
	    "(%.1f ms of 30)", fn, tu_ms_between(t0, tu_now()));
	is_u(idx, NOIDX, "%s: n 0: *index untouched", fn);

	for (int i = 0; i < 3; i++)
		achan_select_case_none(&c[i]);
	/* by hand: obj and the rest are ignored for NONE */
	memset(&c[3], 0, sizeof(c[3]));
	c[3].kind = ACHAN_SELECT_NONE;
	c[3].obj = &junk;
	c[3].out = NULL;
	is_st(achan_select_try(c, 4, 0, &idx), ACHAN_EMPTY, "%s: all NONE: try EMPTY", fn);
	is_st(achan_select(c, 4, ACHAN_SELECT_BIASED, &idx), ACHAN_EDEADLK,
	    "%s: all NONE: select EDEADLK", fn);
	t0 = tu_now();
	dl = tu_add_ms(t0, 30);
	is_st(achan_select_until(c, 4, 0, &dl, &idx), ACHAN_TIMEDOUT,
	    "%s: all NONE: until TIMEDOUT", fn);
	ok(tu_ts_ge(tu_now(), dl), "%s: all NONE: until slept to the deadline "
	    "(%.1f ms of 30)", fn, tu_ms_between(t0, tu_now()));
	dl = sc_past();
	is_st(achan_select_until(c, 4, 0, &dl, &idx), ACHAN_TIMEDOUT,
	    "%s: all NONE: until with a past deadline TIMEDOUT", fn);
	is_u(idx, NOIDX, "%s: all NONE: *index untouched", fn);
	is_u(junk, 12345, "%s: the NONE case's obj was not touched", fn);

	rec_init(&w, 1, NULL);
	is_st(achan_select_init(&sel, c, 4, 0), ACHAN_OK, "%s: all NONE: future init", fn);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING,
	    "%s: all NONE: poll PENDING", fn);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING,
	    "%s: all NONE: re-poll PENDING", fn);
	is_st(achan_select_cancel(&sel, &idx), ACHAN_CANCELLED,
	    "%s: all NONE: cancel CANCELLED", fn);
	is_u(rec_calls(&w), 0, "%s: all NONE: never woken", fn);
	is_st(achan_select_init(&sel, NULL, 0, 0), ACHAN_OK, "%s: n 0: future init", fn);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING,
	    "%s: n 0: poll PENDING", fn);
	is_st(achan_select_cancel(&sel, &idx), ACHAN_CANCELLED,
	    "%s: n 0: cancel CANCELLED", fn);
	is_u(rec_calls(&w), 0, "%s: n 0: never woken", fn);
}

/* --- which ready case wins ---------------------------------------------- */

/* Biased: with readiness fixed before each call, the earliest ready case
 * wins, in every form. */
SC void
t_biased(unsigned fl)
{
	struct achan_chan *a = sc_chan(8, 4, fl), *e = sc_chan(8, 2, fl);
	struct achan_bcast *b = sc_bcast(fl);
	struct achan_state *s = sc_state(fl);
	struct achan_select_case c[5];
	struct fut_info fi;
	uint64_t oa, oe, ob, os, sid, v = 44;
	const char *fn = fname(fl);
	int seq_ok = 1, wins_ok = 1, r;
	size_t idx;

	sc_put(a, 1);
	sc_put(a, 2);
	sc_put(a, 3);
	achan_bcast_send(b, &v);
	sc_state_send(s, 55);
	achan_select_case_none(&c[0]);
	achan_select_case_chan_recv(&c[1], e, &oe);
	achan_select_case_chan_recv(&c[2], a, &oa);
	achan_select_case_bcast_recv(&c[3], b, &ob);
	achan_select_case_state_recv(&c[4], s, 0, &os, &sid);
	/* cases 2, 3, 4 ready: 2 wins while a has values */
	for (int i = 0; i < 3; i++) {
		oa = ob = os = oe = SENT;
		idx = NOIDX;
		r = sc_run((enum form)(i % F_NFORMS), c, 5, ACHAN_SELECT_BIASED,
		    &idx, &fi);
		seq_ok &= r == ACHAN_OK && idx == 2 && oa == (uint64_t)i + 1 &&
		    ob == SENT && os == SENT && oe == SENT;
	}
	ok(seq_ok, "%s: biased: the first ready case wins while ready (values 1, 2, 3)", fn);
	is_u(achan_chan_len(a), 0, "%s: biased: a drained", fn);
	/* then case 3 (bcast) over case 4 (state), every time, every form */
	for (int i = 0; i < 200; i++) {
		ob = os = SENT;
		idx = NOIDX;
		r = sc_run((enum form)(i % F_NFORMS), c, 5, ACHAN_SELECT_BIASED,
		    &idx, &fi);
		wins_ok &= r == ACHAN_OK && idx == 3 && ob == 44 && os == SENT;
	}
	ok(wins_ok, "%s: biased: with a drained, case 3 always wins over case 4 (200 selects)", fn);
	/* the other order: state first */
	achan_select_case_state_recv(&c[1], s, 0, &os, &sid);
	achan_select_case_bcast_recv(&c[2], b, &ob);
	wins_ok = 1;
	for (int i = 0; i < 200; i++) {
		ob = os = sid = SENT;
		idx = NOIDX;
		r = sc_run((enum form)(i % F_NFORMS), c, 3, ACHAN_SELECT_BIASED,
		    &idx, &fi);
		wins_ok &= r == ACHAN_OK && idx == 1 && os == 55 && sid == 1 &&
		    ob == SENT;
	}
	ok(wins_ok, "%s: biased: state before bcast: case 1 always wins (200 selects)", fn);
	/* a case closed counts as ready: a closed e before them wins */
	achan_chan_close(e);
	achan_select_case_chan_recv(&c[0], e, &oe);
	oe = SENT;
	idx = NOIDX;
	is_st(achan_select_try(c, 3, ACHAN_SELECT_BIASED, &idx), ACHAN_CLOSED,
	    "%s: biased: a closed channel first: CLOSED", fn);
	is_u(idx, 0, "%s: biased: with index 0", fn);
	is_st(achan_chan_destroy(a), ACHAN_OK, "%s: destroy a", fn);
	is_st(achan_chan_destroy(e), ACHAN_OK, "%s: destroy e", fn);
	is_st(achan_bcast_destroy(b), ACHAN_OK, "%s: destroy b", fn);
	is_st(achan_state_destroy(s), ACHAN_OK, "%s: destroy s", fn);
}

/*
 * Default (random start): with k cases always ready, each wins about 1/k.
 * The bound, |share - 1/k| <= 0.05 over 20000 selects, is more than 14
 * standard deviations for k = 2 and 16 for k = 4: it cannot flake, and
 * still catches a select that always starts at 0 or never reaches a case.
 */
#define FAIR_N 20000

SC void
fair_check(const unsigned *cnt, unsigned k, const char *what)
{
	double worst = 0, off;
	unsigned total = 0;
	int good = 1;

	for (unsigned i = 0; i < k; i++) {
		total += cnt[i];
		off = (double)cnt[i] / FAIR_N - 1.0 / k;
		off = off < 0 ? -off : off;
		worst = off > worst ? off : worst;
		good &= off <= 0.05;
	}
	good &= total == FAIR_N;
	if (!ok(good, "%s: each of %u cases wins 1/%u +- 0.05 (worst off by %.4f)",
	    what, k, k, worst))
		for (unsigned i = 0; i < k; i++)
			diag("    case %u: %u of %u", i, cnt[i], FAIR_N);
}

SC void
t_fair(unsigned fl)
{
	struct achan_bcast *b1 = sc_bcast(fl), *b2 = sc_bcast(fl);
	struct achan_chan *a = sc_chan(8, 1, fl), *d = sc_chan(8, 1, fl);
	struct achan_state *s = sc_state(fl);
	struct achan_select_case c[4];
	uint64_t o[4], v = 44, dv = 66, x;
	unsigned cnt[4];
	const char *fn = fname(fl);
	char what[96];
	size_t idx;
	int good;

	achan_bcast_send(b1, &v);
	achan_bcast_send(b2, &v);
	achan_select_case_bcast_recv(&c[0], b1, &o[0]);
	achan_select_case_bcast_recv(&c[1], b2, &o[1]);
	for (int form = F_TRY; form <= F_BLOCK; form++) {
		memset(cnt, 0, sizeof(cnt));
		good = 1;
		for (int i = 0; i < FAIR_N; i++) {
			idx = NOIDX;
			int r = form == F_TRY ? achan_select_try(c, 2, 0, &idx) :
			    achan_select(c, 2, 0, &idx);
			good &= r == ACHAN_OK && idx < 2;
			if (idx < 2)
				cnt[idx]++;
		}
		snprintf(what, sizeof(what), "%s: fair, 2 bcast cases, %s", fn,
		    form_name[form]);
		ok(good, "%s: every select OK", what);
		fair_check(cnt, 2, what);
	}

	/* four kinds, kept ready: a receive (refilled), a send (drained),
	 * a broadcast and a state receive */
	sc_put(a, 5);
	sc_state_send(s, 77);
	achan_select_case_chan_recv(&c[0], a, &o[0]);
	achan_select_case_chan_send(&c[1], d, &dv);
	achan_select_case_bcast_recv(&c[2], b1, &o[2]);
	achan_select_case_state_recv(&c[3], s, 0, &o[3], NULL);
	memset(cnt, 0, sizeof(cnt));
	good = 1;
	for (int i = 0; i < FAIR_N; i++) {
		idx = NOIDX;
		if (achan_select_try(c, 4, 0, &idx) != ACHAN_OK || idx >= 4) {
			good = 0;
			continue;
		}
		cnt[idx]++;
		if (idx == 0)
			good &= o[0] == 5 && achan_chan_try_send(a, &o[0]) == ACHAN_OK;
		else if (idx == 1)
			good &= achan_chan_try_recv(d, &x) == ACHAN_OK && x == 66;
		good &= achan_chan_len(a) == 1 && achan_chan_len(d) == 0;
	}
	snprintf(what, sizeof(what), "%s: fair, 4 kinds, try", fn);
	ok(good, "%s: every select OK, only its case moved", what);
	fair_check(cnt, 4, what);
	is_st(achan_chan_destroy(a), ACHAN_OK, "%s: destroy a", fn);
	is_st(achan_chan_destroy(d), ACHAN_OK, "%s: destroy d", fn);
	is_st(achan_bcast_destroy(b1), ACHAN_OK, "%s: destroy b1", fn);
	is_st(achan_bcast_destroy(b2), ACHAN_OK, "%s: destroy b2", fn);
	is_st(achan_state_destroy(s), ACHAN_OK, "%s: destroy s", fn);
}

/* --- unbuffered ---------------------------------------------------------- */

/*
 * A send and a receive case on one unbuffered channel never meet each
 * other; another party (here the same thread, through the plain try calls)
 * meets the waiting select's cases.
 */
SC void
t_unbuffered_self(unsigned fl)
{
	const char *fn = fname(fl);

	for (int which = 0; which < 2; which++) {
		struct achan_chan *u = sc_chan(8, 0, fl);
		struct achan_select_case c[2];
		struct achan_select sel;
		struct rec_waker w;
		struct timespec dl;
		uint64_t v = 5, out = SENT, x;
		size_t idx = NOIDX;
		const char *what = which ? "unbuffered self, then try_send" :
		    "unbuffered self, then try_recv";

		achan_select_case_chan_send(&c[0], u, &v);
		achan_select_case_chan_recv(&c[1], u, &out);
		is_st(achan_select_try(c, 2, 0, &idx), ACHAN_EMPTY,
		    "%s: %s: try EMPTY", fn, what);
		dl = tu_add_ms(tu_now(), 20);
		is_st(achan_select_until(c, 2, 0, &dl, &idx), is_local_fl(fl) ?
		    ACHAN_EDEADLK : ACHAN_TIMEDOUT, "%s: %s: until %s", fn,
		    what, is_local_fl(fl) ? "EDEADLK" : "TIMEDOUT");
		if (is_local_fl(fl))
			is_st(achan_select(c, 2, 0, &idx), ACHAN_EDEADLK,
			    "%s: %s: select EDEADLK", fn, what);
		ok(idx == NOIDX && out == SENT, "%s: %s: nothing met", fn, what);

		rec_init(&w, 1, NULL);
		achan_select_init(&sel, c, 2, 0);
		is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING,
		    "%s: %s: future PENDING", fn, what);
		is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING,
		    "%s: %s: re-poll still PENDING (its cases do not meet)", fn,
		    what);
		is_u(rec_calls(&w), 0, "%s: %s: not woken", fn, what);
		if (which == 0) {
			x = SENT;
			is_st(achan_chan_try_recv(u, &x), ACHAN_OK,
			    "%s: %s: try_recv takes the select's send case", fn, what);
			is_u(x, 5, "%s: %s: its value", fn, what);
		} else {
			x = 6;
			is_st(achan_chan_try_send(u, &x), ACHAN_OK,
			    "%s: %s: try_send fills the select's receive case", fn,
			    what);
		}
		is_u(rec_calls(&w), 1, "%s: %s: woken once", fn, what);
		is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_OK,
		    "%s: %s: poll OK", fn, what);
		is_u(idx, which ? 1 : 0, "%s: %s: the right case", fn, what);
		is_u(out, which ? 6 : SENT, "%s: %s: receive buffer", fn, what);
		x = 9;
		is_st(achan_chan_try_send(u, &x), ACHAN_FULL,
		    "%s: %s: no receive case left waiting", fn, what);
		is_st(achan_chan_try_recv(u, &x), ACHAN_EMPTY,
		    "%s: %s: no send case left waiting", fn, what);
		is_u(rec_calls(&w), 1, "%s: %s: still woken once", fn, what);
		is_st(achan_chan_destroy(u), ACHAN_OK, "%s: %s: destroy", fn, what);
	}
}

/* --- a waiting send case on a full bounded channel ----------------------- */

/*
 * The select's send case waits in the FIFO of senders: a plain sender
 * future that waited first gets the first freed slot, the select the next
 * one (and in the other order, the select first).
 */
SC void
t_send_fifo(unsigned fl)
{
	const char *fn = fname(fl);

	for (int select_first = 0; select_first < 2; select_first++) {
		struct achan_chan *f = sc_chan(8, 1, fl), *e = sc_chan(8, 2, fl);
		struct achan_chan_send_future psf;
		struct achan_select_case c[2];
		struct achan_select sel;
		struct rec_waker wp, ws, ws2;
		uint64_t pv = 10, sv = 20, out = SENT;
		size_t idx = NOIDX;
		const char *what = select_first ? "select waits first" :
		    "plain sender waits first";

		sc_put(f, 1);
		rec_init(&wp, 1, NULL);
		rec_init(&ws, 2, NULL);
		rec_init(&ws2, 3, NULL);
		achan_chan_send_future_init(&psf, f, &pv);
		achan_select_case_chan_recv(&c[0], e, &out);
		achan_select_case_chan_send(&c[1], f, &sv);
		achan_select_init(&sel, c, 2, 0);
		if (!select_first)
			is_st(achan_chan_send_poll(&psf, &wp.w), ACHAN_PENDING,
			    "%s: %s: plain sender PENDING", fn, what);
		is_st(achan_select_poll(&sel, &ws.w, &idx), ACHAN_PENDING,
		    "%s: %s: select PENDING on a full channel", fn, what);
		if (select_first)
			is_st(achan_chan_send_poll(&psf, &wp.w), ACHAN_PENDING,
			    "%s: %s: plain sender PENDING", fn, what);
		is_u(sc_take(f), 1, "%s: %s: a receive frees a slot", fn, what);
		is_u(achan_chan_len(f), 1, "%s: %s: refilled at once", fn, what);
		if (!select_first) {
			ok(rec_calls(&wp) == 1 && rec_calls(&ws) == 0,
			    "%s: %s: the plain sender was served and woken, "
			    "not the select", fn, what);
			is_st(achan_chan_send_poll(&psf, &wp.w), ACHAN_OK,
			    "%s: %s: plain sender OK", fn, what);
			is_st(achan_select_poll(&sel, &ws2.w, &idx),
			    ACHAN_PENDING, "%s: %s: select still PENDING", fn, what);
			is_u(sc_take(f), 10, "%s: %s: the plain sender's 10", fn, what);
			ok(rec_calls(&ws) == 0 && rec_calls(&ws2) == 1,
			    "%s: %s: then the select is served (its latest waker)",
			    fn, what);
			is_st(achan_select_poll(&sel, &ws2.w, &idx), ACHAN_OK,
			    "%s: %s: select OK", fn, what);
			is_u(idx, 1, "%s: %s: with its send case", fn, what);
			is_u(sc_take(f), 20, "%s: %s: the select's 20", fn, what);
		} else {
			ok(rec_calls(&ws) == 1 && rec_calls(&wp) == 0,
			    "%s: %s: the select was served and woken, not the "
			    "plain sender", fn, what);
			is_st(achan_select_poll(&sel, &ws.w, &idx), ACHAN_OK,
			    "%s: %s: select OK", fn, what);
			is_u(idx, 1, "%s: %s: with its send case", fn, what);
			is_u(sc_take(f), 20, "%s: %s: the select's 20", fn, what);
			is_u(rec_calls(&wp), 1, "%s: %s: then the plain sender "
			    "is served", fn, what);
			is_st(achan_chan_send_poll(&psf, &wp.w), ACHAN_OK,
			    "%s: %s: plain sender OK", fn, what);
			is_u(sc_take(f), 10, "%s: %s: the plain sender's 10", fn, what);
		}
		is_u(sc_take(f), NOTHING, "%s: %s: nothing else", fn, what);
		is_u(out, SENT, "%s: %s: the receive case got nothing", fn, what);
		is_st(achan_chan_destroy(f), ACHAN_OK, "%s: %s: destroy f", fn, what);
		is_st(achan_chan_destroy(e), ACHAN_OK, "%s: %s: destroy e", fn, what);
	}
}

/* --- the future over the backdrop: one case made ready ------------------- */

/* Ways to make exactly one backdrop case ready from outside. */
enum trig {
	TR_E_SEND, TR_F_RECV, TR_U_SEND, TR_U_RECV, TR_O_SEND, TR_B_SEND,
	TR_S_SEND, TR_E_CLOSE, TR_F_CLOSE, TR_U_CLOSE, TR_O_CLOSE, TR_B_CLOSE,
	TR_S_CLOSE, TR_N
};

SC const char *const trig_name[TR_N] = {
	"try_send to e", "try_recv from full f", "try_send to unbuffered u",
	"try_recv from unbuffered u", "oneshot send", "bcast send",
	"state send", "close e", "close f", "close u", "close oneshot",
	"close bcast", "close state"
};

/* The object each trigger acts on. */
SC const unsigned trig_obj[TR_N] = {
	OB_E, OB_F, OB_U, OB_U, OB_O, OB_B, OB_S, OB_E, OB_F, OB_U, OB_O,
	OB_B, OB_S
};

/*
 * Act on the backdrop.  `retry_ms`: the unbuffered triggers need the select
 * to be waiting; on another thread it may not be yet, so try again for up
 * to that long.  Returns the trigger's own status (OK / NEWLY_CLOSED), and
 * the value it received in *got.
 */
SC int
trig_fire(struct bg *g, enum trig t, long retry_ms, uint64_t *got)
{
	struct timespec end = tu_add_ms(tu_now(), retry_ms);
	uint64_t v;
	int r;

	*got = SENT;
	switch (t) {
	case TR_E_SEND:
		v = 5;
		return achan_chan_try_send(g->e, &v);
	case TR_F_RECV:
		return achan_chan_try_recv(g->f, got);
	case TR_U_SEND:
	case TR_U_RECV:
		for (;;) {
			v = 6;
			r = t == TR_U_SEND ? achan_chan_try_send(g->u, &v) :
			    achan_chan_try_recv(g->u, got);
			if (r == ACHAN_OK || tu_ts_ge(tu_now(), end))
				return r;
			tu_sleep_ms(1);
		}
	case TR_O_SEND:
		v = 33;
		return achan_oneshot_send(g->o, &v);
	case TR_B_SEND:
		v = 44;
		return achan_bcast_send(g->b, &v);
	case TR_S_SEND:
		v = 55;
		return achan_state_send(g->s, &v);
	case TR_E_CLOSE:
		return achan_chan_close(g->e);
	case TR_F_CLOSE:
		return achan_chan_close(g->f);
	case TR_U_CLOSE:
		return achan_chan_close(g->u);
	case TR_O_CLOSE:
		return achan_oneshot_close(g->o);
	case TR_B_CLOSE:
		return achan_bcast_close(g->b);
	case TR_S_CLOSE:
		return achan_state_close(g->s);
	default:
		return ACHAN_EINVAL;
	}
}

/*
 * After trigger t fired (its status tr, value got) and the select answered
 * st with idx: was it exactly the case t made ready, completed as its plain
 * call would, and nothing else?  Checks and frees the backdrop.
 */
SC void
trig_verify(struct bg *g, enum trig t, int tr, uint64_t got, int st,
		size_t idx, const char *what)
{
	int want_tr = t >= TR_E_CLOSE ? ACHAN_NEWLY_CLOSED : ACHAN_OK;
	uint64_t x = SENT, id = 0;
	int good = 1;

	is_st(tr, want_tr, "%s: the trigger's own call", what);
	switch (t) {
	case TR_E_SEND:
		good = st == ACHAN_OK && idx == BG_E && g->out[BG_E] == 5 &&
		    achan_chan_len(g->e) == 0;
		break;
	case TR_F_RECV:
		/* served: the select's 901 moved into the freed slot */
		good = st == ACHAN_OK && idx == BG_F && got == 900 &&
		    achan_chan_len(g->f) == 1 && sc_take(g->f) == 901 &&
		    sc_take(g->f) == NOTHING;
		break;
	case TR_U_SEND:
		good = st == ACHAN_OK && idx == BG_UR && g->out[BG_UR] == 6 &&
		    achan_chan_try_recv(g->u, &x) == ACHAN_EMPTY;
		break;
	case TR_U_RECV:
		good = st == ACHAN_OK && idx == BG_US && got == 902 &&
		    g->out[BG_UR] == SENT;
		x = 7;
		good &= achan_chan_try_send(g->u, &x) == ACHAN_FULL;
		break;
	case TR_O_SEND:
		good = st == ACHAN_OK && idx == BG_O && g->out[BG_O] == 33 &&
		    achan_oneshot_try_recv(g->o, &x) == ACHAN_CLOSED;
		break;
	case TR_B_SEND:
		good = st == ACHAN_OK && idx == BG_B && g->out[BG_B] == 44 &&
		    achan_bcast_try_recv(g->b, &x) == ACHAN_OK && x == 44;
		break;
	case TR_S_SEND:
		good = st == ACHAN_OK && idx == BG_S && g->out[BG_S] == 55 &&
		    g->sid == 1 && achan_state_id(g->s) == 1;
		break;
	case TR_E_CLOSE:
		good = st == ACHAN_CLOSED && idx == BG_E && g->out[BG_E] == SENT;
		break;
	case TR_F_CLOSE:
		/* the send case fails; the 900 stays receivable */
		good = st == ACHAN_CLOSED && idx == BG_F && sc_take(g->f) == 900 &&
		    achan_chan_try_recv(g->f, &x) == ACHAN_CLOSED;
		break;
	case TR_U_CLOSE:
		/* both its cases are ready now: either may win */
		good = st == ACHAN_CLOSED && (idx == BG_UR || idx == BG_US) &&
		    g->out[BG_UR] == SENT;
		break;
	case TR_O_CLOSE:
		good = st == ACHAN_CLOSED && idx == BG_O && g->out[BG_O] == SENT;
		break;
	case TR_B_CLOSE:
		good = st == ACHAN_CLOSED && idx == BG_B && g->out[BG_B] == SENT;
		break;
	case TR_S_CLOSE:
		good = st == ACHAN_CLOSED && idx == BG_S && g->out[BG_S] == SENT &&
		    g->sid == SENT &&
		    achan_state_try_recv(g->s, 0, &x, &id) == ACHAN_CLOSED;
		break;
	default:
		good = 0;
	}
	if (!ok(good, "%s: exactly its case completed, as the plain call would",
	    what))
		diag("    status %s, index %zu, got %llu", st_name(st), idx,
		    (unsigned long long)got);
	bg_end(g, trig_obj[t], what);
}

/*
 * The future: PENDING over the backdrop; a re-poll with a new waker keeps
 * PENDING and replaces the waker; one trigger calls the latest waker
 * exactly once (a second event before the poll does not call it again);
 * the poll then answers the triggered case.
 */
SC void
t_future_trigger(unsigned fl)
{
	struct achan_select_case c[BG_N];
	struct achan_select sel;
	struct rec_waker w1, w2;
	struct bg g;
	char what[128];
	uint64_t got, v;
	size_t idx;
	int tr, st;

	for (int t = 0; t < TR_N; t++) {
		snprintf(what, sizeof(what), "%s, future, %s", fname(fl),
		    trig_name[t]);
		bg_make(&g, fl);
		bg_cases(&g, c);
		rec_init(&w1, 1, NULL);
		rec_init(&w2, 2, NULL);
		idx = NOIDX;
		achan_select_init(&sel, c, BG_N, 0);
		st = achan_select_poll(&sel, &w1.w, &idx);
		st = st == ACHAN_PENDING ? achan_select_poll(&sel, &w2.w, &idx) : st;
		is_st(st, ACHAN_PENDING, "%s: PENDING, and again with a new waker",
		    what);
		tr = trig_fire(&g, (enum trig)t, 0, &got);
		ok(rec_calls(&w1) == 0 && rec_calls(&w2) == 1,
		    "%s: only the latest waker is called, once (old %d, new %d)",
		    what, rec_calls(&w1), rec_calls(&w2));
		st = achan_select_poll(&sel, &w2.w, &idx);
		if (st == ACHAN_PENDING)
			(void)achan_select_cancel(&sel, &idx);
		is_u(rec_calls(&w2), 1, "%s: no further waker call", what);
		trig_verify(&g, (enum trig)t, tr, got, st, idx, what);
	}

	/* at most once per PENDING: two events before the poll; biased, the
	 * earlier case (e, 0) wins over the bcast (5), which keeps its value */
	snprintf(what, sizeof(what), "%s, future, two events", fname(fl));
	bg_make(&g, fl);
	bg_cases(&g, c);
	rec_init(&w1, 1, NULL);
	achan_select_init(&sel, c, BG_N, ACHAN_SELECT_BIASED);
	is_st(achan_select_poll(&sel, &w1.w, &idx), ACHAN_PENDING, "%s: PENDING", what);
	v = 44;
	achan_bcast_send(g.b, &v);
	is_u(rec_calls(&w1), 1, "%s: the bcast send wakes it", what);
	v = 5;
	achan_chan_try_send(g.e, &v);
	is_u(rec_calls(&w1), 1, "%s: the second event does not call the waker again", what);
	idx = NOIDX;
	is_st(achan_select_poll(&sel, &w1.w, &idx), ACHAN_OK, "%s: poll OK", what);
	is_u(idx, BG_E, "%s: biased: case 0 wins", what);
	is_u(g.out[BG_E], 5, "%s: with e's value", what);
	is_u(g.out[BG_B], SENT, "%s: the bcast case wrote nothing", what);
	is_u(achan_chan_len(g.e), 0, "%s: e drained", what);
	v = SENT;
	ok(achan_bcast_try_recv(g.b, &v) == ACHAN_OK && v == 44,
	    "%s: the bcast value is still there", what);
	idx = NOIDX;
	is_st(achan_select_cancel(&sel, &idx), ACHAN_OK, "%s: cancel after OK: OK", what);
	is_u(idx, BG_E, "%s: with the index", what);
	is_st(achan_select_poll(&sel, &w1.w, &idx), ACHAN_EINVAL,
	    "%s: poll after finished: EINVAL", what);
	is_u(rec_calls(&w1), 1, "%s: woken once in all", what);
	bg_end(&g, OB_E | OB_B, what);

	/* finished with CLOSED: cancel answers CANCELLED */
	snprintf(what, sizeof(what), "%s, future, closed", fname(fl));
	bg_make(&g, fl);
	bg_cases(&g, c);
	rec_init(&w1, 1, NULL);
	achan_select_init(&sel, c, BG_N, 0);
	is_st(achan_select_poll(&sel, &w1.w, &idx), ACHAN_PENDING, "%s: PENDING", what);
	achan_oneshot_close(g.o);
	is_st(achan_select_poll(&sel, &w1.w, &idx), ACHAN_CLOSED, "%s: poll CLOSED", what);
	is_u(idx, BG_O, "%s: the oneshot's case", what);
	is_st(achan_select_cancel(&sel, &idx), ACHAN_CANCELLED,
	    "%s: cancel after CLOSED: CANCELLED", what);
	is_st(achan_select_poll(&sel, &w1.w, &idx), ACHAN_EINVAL,
	    "%s: poll after finished: EINVAL", what);
	bg_end(&g, OB_O, what);
}

/* Cancel of a pending select leaves no trace: later values go to others. */
SC void
t_future_cancel(unsigned fl)
{
	struct achan_select_case c[BG_N];
	struct achan_chan_recv_future rf;
	struct achan_select sel;
	struct rec_waker w, wr;
	struct bg g;
	uint64_t v, x = SENT;
	size_t idx = NOIDX;
	char what[96];

	snprintf(what, sizeof(what), "%s, cancel pending", fname(fl));
	bg_make(&g, fl);
	bg_cases(&g, c);
	rec_init(&w, 1, NULL);
	rec_init(&wr, 2, NULL);
	achan_select_init(&sel, c, BG_N, 0);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING, "%s: PENDING", what);
	achan_chan_recv_future_init(&rf, g.e, &x);
	is_st(achan_chan_recv_poll(&rf, &wr.w), ACHAN_PENDING,
	    "%s: a plain receiver waits behind it on e", what);
	is_st(achan_select_cancel(&sel, &idx), ACHAN_CANCELLED, "%s: cancel CANCELLED", what);
	is_u(idx, NOIDX, "%s: *index untouched", what);
	v = 5;
	is_st(achan_chan_try_send(g.e, &v), ACHAN_OK, "%s: a value to e", what);
	ok(rec_calls(&wr) == 1 && rec_calls(&w) == 0,
	    "%s: it wakes the plain receiver, not the cancelled select", what);
	is_st(achan_chan_recv_poll(&rf, &wr.w), ACHAN_OK, "%s: the receiver gets it", what);
	is_u(x, 5, "%s: value 5", what);
	/* the other objects' values after the cancel go to plain callers */
	v = 33;
	achan_oneshot_send(g.o, &v);
	x = SENT;
	ok(achan_oneshot_try_recv(g.o, &x) == ACHAN_OK && x == 33,
	    "%s: a later oneshot value goes to a plain receiver", what);
	x = SENT;
	ok(achan_chan_try_recv(g.f, &x) == ACHAN_OK && x == 900 &&
	    achan_chan_try_recv(g.f, &x) == ACHAN_EMPTY,
	    "%s: a receive from f frees room, the cancelled send case is not "
	    "served", what);
	sc_put(g.f, 900);
	v = 6;
	is_st(achan_chan_try_send(g.u, &v), ACHAN_FULL,
	    "%s: no receive case left on u", what);
	is_u(rec_calls(&w), 0, "%s: the cancelled select is never woken", what);
	is_st(achan_select_cancel(&sel, &idx), ACHAN_CANCELLED,
	    "%s: a second cancel: CANCELLED", what);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_EINVAL,
	    "%s: poll after cancel: EINVAL", what);
	ok(g.out[BG_E] == SENT && g.out[BG_O] == SENT,
	    "%s: nothing written to its buffers", what);
	bg_end(&g, OB_E | OB_O, what);

	/* a fresh (never polled) select: cancel CANCELLED, nothing moved */
	snprintf(what, sizeof(what), "%s, cancel fresh", fname(fl));
	bg_make(&g, fl);
	bg_cases(&g, c);
	sc_put(g.e, 5);
	achan_select_init(&sel, c, BG_N, 0);
	is_st(achan_select_cancel(&sel, &idx), ACHAN_CANCELLED, "%s: CANCELLED", what);
	is_u(achan_chan_len(g.e), 1, "%s: the ready value was not taken", what);
	is_u(sc_take(g.e), 5, "%s: still 5", what);
	bg_end(&g, 0, what);
}

/* A registered select counts as registered on every object: destroy EBUSY. */
SC void
t_future_ebusy(unsigned fl)
{
	struct achan_select_case c[BG_N];
	struct achan_select sel;
	struct rec_waker w;
	struct bg g;
	size_t idx = NOIDX;
	char what[96];

	snprintf(what, sizeof(what), "%s, EBUSY", fname(fl));
	bg_make(&g, fl);
	bg_cases(&g, c);
	rec_init(&w, 1, NULL);
	achan_select_init(&sel, c, BG_N, 0);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING, "%s: PENDING", what);
	is_st(achan_chan_destroy(g.e), ACHAN_EBUSY, "%s: destroy e (recv case)", what);
	is_st(achan_chan_destroy(g.f), ACHAN_EBUSY, "%s: destroy f (send case)", what);
	is_st(achan_chan_destroy(g.u), ACHAN_EBUSY, "%s: destroy u (both)", what);
	is_st(achan_oneshot_destroy(g.o), ACHAN_EBUSY, "%s: destroy oneshot", what);
	is_st(achan_bcast_destroy(g.b), ACHAN_EBUSY, "%s: destroy bcast", what);
	is_st(achan_state_destroy(g.s), ACHAN_EBUSY, "%s: destroy state", what);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING,
	    "%s: still PENDING after the refused destroys", what);
	is_st(achan_select_cancel(&sel, &idx), ACHAN_CANCELLED, "%s: cancel", what);
	bg_end(&g, 0, what);	/* every destroy OK now */
}

/*
 * Hand-on: a woken select cancelled without acting, or completing through
 * another case, hands its wakeup to the next waiter - a plain future or
 * another select.
 */
SC void
t_future_handon(unsigned fl)
{
	const char *fn = fname(fl);
	struct achan_chan *ch, *x, *y;
	struct achan_select_case c1[2], c2[2];
	struct achan_select s1, s2;
	struct achan_chan_recv_future rf;
	struct rec_waker w1, w2, wr;
	uint64_t o1[2], o2[2], orf, v;
	size_t idx;

	/* select, select */
	ch = sc_chan(8, 2, fl);
	x = sc_chan(8, 2, fl);
	y = sc_chan(8, 2, fl);
	o1[0] = o1[1] = o2[0] = o2[1] = SENT;
	rec_init(&w1, 1, NULL);
	rec_init(&w2, 2, NULL);
	achan_select_case_chan_recv(&c1[0], ch, &o1[0]);
	achan_select_case_chan_recv(&c1[1], x, &o1[1]);
	achan_select_case_chan_recv(&c2[0], y, &o2[0]);
	achan_select_case_chan_recv(&c2[1], ch, &o2[1]);
	achan_select_init(&s1, c1, 2, 0);
	achan_select_init(&s2, c2, 2, 0);
	idx = NOIDX;
	ok(achan_select_poll(&s1, &w1.w, &idx) == ACHAN_PENDING &&
	    achan_select_poll(&s2, &w2.w, &idx) == ACHAN_PENDING,
	    "%s: hand-on: two selects wait on ch", fn);
	v = 7;
	achan_chan_try_send(ch, &v);
	ok(rec_calls(&w1) == 1 && rec_calls(&w2) == 0,
	    "%s: hand-on: one value wakes the first select only", fn);
	is_st(achan_select_cancel(&s1, &idx), ACHAN_CANCELLED,
	    "%s: hand-on: cancel the woken select without polling", fn);
	is_u(rec_calls(&w2), 1, "%s: hand-on: the wakeup went to the second select", fn);
	is_st(achan_select_poll(&s2, &w2.w, &idx), ACHAN_OK,
	    "%s: hand-on: the second select completes", fn);
	ok(idx == 1 && o2[1] == 7 && o2[0] == SENT && o1[0] == SENT,
	    "%s: hand-on: with ch's value in its case 1", fn);

	/* select, plain future */
	rec_init(&w1, 1, NULL);
	rec_init(&wr, 3, NULL);
	orf = SENT;
	achan_select_init(&s1, c1, 2, 0);
	achan_chan_recv_future_init(&rf, ch, &orf);
	ok(achan_select_poll(&s1, &w1.w, &idx) == ACHAN_PENDING &&
	    achan_chan_recv_poll(&rf, &wr.w) == ACHAN_PENDING,
	    "%s: hand-on: a select, then a plain receiver wait on ch", fn);
	v = 8;
	achan_chan_try_send(ch, &v);
	ok(rec_calls(&w1) == 1 && rec_calls(&wr) == 0,
	    "%s: hand-on: the value wakes the select", fn);
	is_st(achan_select_cancel(&s1, &idx), ACHAN_CANCELLED,
	    "%s: hand-on: cancel it", fn);
	is_u(rec_calls(&wr), 1, "%s: hand-on: the plain receiver is woken", fn);
	is_st(achan_chan_recv_poll(&rf, &wr.w), ACHAN_OK, "%s: hand-on: and receives", fn);
	is_u(orf, 8, "%s: hand-on: value 8", fn);

	/* plain future, select */
	rec_init(&w1, 1, NULL);
	rec_init(&wr, 3, NULL);
	orf = SENT;
	o1[0] = SENT;
	achan_select_init(&s1, c1, 2, 0);
	achan_chan_recv_future_init(&rf, ch, &orf);
	ok(achan_chan_recv_poll(&rf, &wr.w) == ACHAN_PENDING &&
	    achan_select_poll(&s1, &w1.w, &idx) == ACHAN_PENDING,
	    "%s: hand-on: a plain receiver, then a select wait on ch", fn);
	v = 9;
	achan_chan_try_send(ch, &v);
	ok(rec_calls(&wr) == 1 && rec_calls(&w1) == 0,
	    "%s: hand-on: the value wakes the plain receiver", fn);
	is_st(achan_chan_recv_cancel(&rf), ACHAN_CANCELLED, "%s: hand-on: cancel it", fn);
	is_u(rec_calls(&w1), 1, "%s: hand-on: the select is woken", fn);
	idx = NOIDX;
	is_st(achan_select_poll(&s1, &w1.w, &idx), ACHAN_OK, "%s: hand-on: and completes", fn);
	ok(idx == 0 && o1[0] == 9 && orf == SENT, "%s: hand-on: with 9 in case 0", fn);

	/* a woken select that completes through another case hands the
	 * unused wakeup on: biased [recv y, recv ch], a plain receiver on ch */
	rec_init(&w1, 1, NULL);
	rec_init(&wr, 3, NULL);
	orf = SENT;
	o2[0] = o2[1] = SENT;
	achan_select_init(&s2, c2, 2, ACHAN_SELECT_BIASED);
	achan_chan_recv_future_init(&rf, ch, &orf);
	ok(achan_select_poll(&s2, &w1.w, &idx) == ACHAN_PENDING &&
	    achan_chan_recv_poll(&rf, &wr.w) == ACHAN_PENDING,
	    "%s: hand-on: select [y, ch], then a plain receiver on ch", fn);
	v = 10;
	achan_chan_try_send(ch, &v);
	v = 11;
	achan_chan_try_send(y, &v);
	ok(rec_calls(&w1) == 1 && rec_calls(&wr) == 0,
	    "%s: hand-on: ch's value woke the select (once)", fn);
	idx = NOIDX;
	is_st(achan_select_poll(&s2, &w1.w, &idx), ACHAN_OK, "%s: hand-on: select OK", fn);
	ok(idx == 0 && o2[0] == 11 && o2[1] == SENT,
	    "%s: hand-on: biased: through y (case 0)", fn);
	is_u(rec_calls(&wr), 1, "%s: hand-on: ch's wakeup went on to the plain receiver", fn);
	is_st(achan_chan_recv_poll(&rf, &wr.w), ACHAN_OK, "%s: hand-on: which receives", fn);
	is_u(orf, 10, "%s: hand-on: ch's 10", fn);

	is_st(achan_chan_destroy(ch), ACHAN_OK, "%s: hand-on: destroy ch", fn);
	is_st(achan_chan_destroy(x), ACHAN_OK, "%s: hand-on: destroy x", fn);
	is_st(achan_chan_destroy(y), ACHAN_OK, "%s: hand-on: destroy y", fn);
}

/*
 * A waiting send case completed on the select's behalf: the select was
 * woken by a value for its receive case, but before it polls, a receive on
 * the full channel serves its send case.  The poll answers the send case;
 * the receive case did not take the value.  The same with an unbuffered
 * send case taken by try_recv.
 */
SC void
t_future_served(unsigned fl)
{
	struct achan_select_case c[BG_N];
	struct achan_select sel;
	struct rec_waker w;
	struct bg g;
	uint64_t v, got;
	size_t idx;
	char what[96];

	for (int unbuf = 0; unbuf < 2; unbuf++) {
		snprintf(what, sizeof(what), "%s, served %s send case", fname(fl),
		    unbuf ? "unbuffered" : "bounded");
		bg_make(&g, fl);
		bg_cases(&g, c);
		rec_init(&w, 1, NULL);
		achan_select_init(&sel, c, BG_N, 0);
		idx = NOIDX;
		is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING, "%s: PENDING", what);
		v = 5;
		is_st(achan_chan_try_send(g.e, &v), ACHAN_OK,
		    "%s: a value for the receive case", what);
		is_u(rec_calls(&w), 1, "%s: woken", what);
		got = SENT;
		if (!unbuf) {
			is_st(achan_chan_try_recv(g.f, &got), ACHAN_OK,
			    "%s: then a receive from f", what);
			is_u(got, 900, "%s: gets f's 900", what);
			is_u(achan_chan_len(g.f), 1,
			    "%s: and the select's send case is served (len 1)", what);
		} else {
			is_st(achan_chan_try_recv(g.u, &got), ACHAN_OK,
			    "%s: then try_recv on u meets the send case", what);
			is_u(got, 902, "%s: gets the select's 902", what);
		}
		is_u(rec_calls(&w), 1, "%s: the waker is not called again", what);
		idx = NOIDX;
		is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_OK, "%s: poll OK", what);
		is_u(idx, unbuf ? BG_US : BG_F, "%s: the send case's index", what);
		is_u(g.out[BG_E], SENT, "%s: the receive case took nothing", what);
		is_u(achan_chan_len(g.e), 1, "%s: e keeps its value", what);
		is_u(sc_take(g.e), 5, "%s: 5", what);
		if (!unbuf) {
			is_u(sc_take(g.f), 901, "%s: f holds the select's 901", what);
			is_u(sc_take(g.f), NOTHING, "%s: and nothing else", what);
		}
		idx = NOIDX;
		is_st(achan_select_cancel(&sel, &idx), ACHAN_OK, "%s: cancel after: OK", what);
		is_u(idx, unbuf ? BG_US : BG_F, "%s: with the index", what);
		bg_end(&g, OB_E | OB_F, what);
	}

	/* served while pending, cancel before any poll: OK with the index */
	snprintf(what, sizeof(what), "%s, served, then cancel", fname(fl));
	bg_make(&g, fl);
	bg_cases(&g, c);
	rec_init(&w, 1, NULL);
	achan_select_init(&sel, c, BG_N, 0);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING, "%s: PENDING", what);
	is_u(sc_take(g.f), 900, "%s: a receive from f", what);
	is_u(rec_calls(&w), 1, "%s: the served select is woken", what);
	idx = NOIDX;
	is_st(achan_select_cancel(&sel, &idx), ACHAN_OK,
	    "%s: cancel: OK, the value had moved", what);
	is_u(idx, BG_F, "%s: with the send case's index", what);
	is_u(sc_take(g.f), 901, "%s: f holds 901", what);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_EINVAL, "%s: poll after: EINVAL", what);
	bg_end(&g, OB_F, what);

	/* the other way: the receive case polled first, the send case is then
	 * not served (no trace) */
	snprintf(what, sizeof(what), "%s, receive wins, send not served", fname(fl));
	bg_make(&g, fl);
	bg_cases(&g, c);
	rec_init(&w, 1, NULL);
	achan_select_init(&sel, c, BG_N, 0);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING, "%s: PENDING", what);
	sc_put(g.e, 5);
	idx = NOIDX;
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_OK, "%s: poll OK", what);
	ok(idx == BG_E && g.out[BG_E] == 5, "%s: the receive case, with 5", what);
	is_u(sc_take(g.f), 900, "%s: a receive from f gets 900", what);
	is_u(sc_take(g.f), NOTHING, "%s: the send case was not served", what);
	sc_put(g.f, 900);
	bg_end(&g, OB_E, what);
}

/* --- the same object in several cases ------------------------------------ */

SC void
t_same_object(unsigned fl)
{
	const char *fn = fname(fl);
	struct achan_chan *a = sc_chan(8, 2, fl), *f = sc_chan(8, 1, fl);
	struct achan_select_case c[3];
	struct achan_select sel;
	struct rec_waker w;
	uint64_t o[3], v0 = 20, v1 = 21;
	size_t idx;
	int good = 1;

	/* two receive cases on a, one value: exactly one completes (try) */
	achan_select_case_chan_recv(&c[0], a, &o[0]);
	achan_select_case_chan_recv(&c[1], a, &o[1]);
	for (int i = 0; i < 20; i++) {
		o[0] = o[1] = SENT;
		sc_put(a, 100 + (uint64_t)i);
		idx = NOIDX;
		good &= achan_select_try(c, 2, 0, &idx) == ACHAN_OK && idx < 2 &&
		    o[idx] == 100 + (uint64_t)i && o[1 - idx] == SENT &&
		    achan_chan_len(a) == 0;
		good &= achan_select_try(c, 2, 0, &idx) == ACHAN_EMPTY;
	}
	ok(good, "%s: same channel twice, one value: exactly one case gets it (20 tries)", fn);

	/* the future: both cases registered, one value */
	o[0] = o[1] = SENT;
	rec_init(&w, 1, NULL);
	achan_select_init(&sel, c, 2, 0);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING,
	    "%s: same channel twice: PENDING", fn);
	sc_put(a, 7);
	is_u(rec_calls(&w), 1, "%s: same channel twice: woken once", fn);
	idx = NOIDX;
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_OK, "%s: same channel twice: OK", fn);
	ok(idx < 2 && o[idx] == 7 && o[1 - idx] == SENT,
	    "%s: same channel twice: one case has 7, the other nothing", fn);
	is_u(achan_chan_len(a), 0, "%s: same channel twice: a empty", fn);
	sc_put(a, 8);
	is_u(achan_chan_len(a), 1, "%s: same channel twice: no case still registered "
	    "takes a later value", fn);
	is_u(sc_take(a), 8, "%s: same channel twice: it is there", fn);

	/* two send cases on a full channel: one receive frees one slot, one
	 * case completes, the other value never goes in */
	sc_put(f, 1);
	achan_select_case_chan_send(&c[0], f, &v0);
	achan_select_case_chan_send(&c[1], f, &v1);
	idx = NOIDX;
	is_st(achan_select_try(c, 2, 0, &idx), ACHAN_EMPTY, "%s: two send cases, full: try EMPTY", fn);
	rec_init(&w, 1, NULL);
	achan_select_init(&sel, c, 2, 0);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING,
	    "%s: two send cases, full: PENDING", fn);
	is_u(sc_take(f), 1, "%s: two send cases: a receive frees a slot", fn);
	is_u(rec_calls(&w), 1, "%s: two send cases: woken once", fn);
	idx = NOIDX;
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_OK, "%s: two send cases: OK", fn);
	ok(idx < 2, "%s: two send cases: an index (%zu)", fn, idx);
	is_u(achan_chan_len(f), 1, "%s: two send cases: one value went in", fn);
	is_u(sc_take(f), idx == 0 ? 20 : 21, "%s: two send cases: the winner's value", fn);
	is_u(sc_take(f), NOTHING, "%s: two send cases: the other never goes in", fn);

	/* a send and a receive case on one bounded channel may both be
	 * ready or not independently: room -> the send, a value -> the recv */
	o[0] = SENT;
	achan_select_case_chan_recv(&c[0], f, &o[0]);
	achan_select_case_chan_send(&c[1], f, &v0);
	idx = NOIDX;
	ok(achan_select_try(c, 2, 0, &idx) == ACHAN_OK && idx == 1 &&
	    achan_chan_len(f) == 1 && o[0] == SENT,
	    "%s: bounded recv+send, empty: the send case", fn);
	idx = NOIDX;
	ok(achan_select_try(c, 2, 0, &idx) == ACHAN_OK && idx == 0 &&
	    o[0] == 20 && achan_chan_len(f) == 0,
	    "%s: bounded recv+send, full: the receive case", fn);

	/* the same oneshot twice: one value, one taker */
	{
		struct achan_oneshot *os = sc_oneshot(fl);
		uint64_t v = 33;

		achan_select_case_oneshot_recv(&c[0], os, &o[0]);
		achan_select_case_oneshot_recv(&c[1], os, &o[1]);
		o[0] = o[1] = SENT;
		rec_init(&w, 1, NULL);
		achan_select_init(&sel, c, 2, 0);
		is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING,
		    "%s: same oneshot twice: PENDING", fn);
		achan_oneshot_send(os, &v);
		is_u(rec_calls(&w), 1, "%s: same oneshot twice: woken once", fn);
		idx = NOIDX;
		is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_OK,
		    "%s: same oneshot twice: OK", fn);
		ok(idx < 2 && o[idx] == 33 && o[1 - idx] == SENT,
		    "%s: same oneshot twice: one case has the value", fn);
		is_st(achan_oneshot_destroy(os), ACHAN_OK, "%s: destroy oneshot", fn);
	}
	is_st(achan_chan_destroy(a), ACHAN_OK, "%s: destroy a", fn);
	is_st(achan_chan_destroy(f), ACHAN_OK, "%s: destroy f", fn);
}

/* --- bad input ---------------------------------------------------------- */

/*
 * A bad select: every form answers EINVAL and nothing changed.  c[0] is a
 * ready receive from `a` (holding one value), so a select that tried a case
 * before refusing would take it.
 */
SC void
bad_all_forms(struct achan_select_case *c, size_t n, unsigned sflags,
		struct achan_chan *a, uint64_t *out0, const char *what)
{
	struct timespec dl = sc_past();
	struct achan_select sel;
	size_t idx = NOIDX;
	int r[4];

	*out0 = SENT;
	r[0] = achan_select_try(c, n, sflags, &idx);
	r[2] = achan_select_until(c, n, sflags, &dl, &idx);
	r[3] = achan_select_init(&sel, c, n, sflags);
	/* the blocking form only if the others refused: accepted, it could
	 * wait for ever (the ready value may be gone) */
	r[1] = r[0] == ACHAN_EINVAL && r[2] == ACHAN_EINVAL &&
	    r[3] == ACHAN_EINVAL ? achan_select(c, n, sflags, &idx) : -1;
	if (!ok(r[0] == ACHAN_EINVAL && r[1] == ACHAN_EINVAL &&
	    r[2] == ACHAN_EINVAL && r[3] == ACHAN_EINVAL,
	    "%s: EINVAL from try, select, until, init", what))
		diag("    try %s, select %s, until %s, init %s", st_name(r[0]),
		    r[1] < 0 ? "(not called)" : st_name(r[1]), st_name(r[2]),
		    st_name(r[3]));
	ok(idx == NOIDX && *out0 == SENT && achan_chan_len(a) == 1,
	    "%s: nothing changed (the ready value is still in its channel)", what);
}

SC void
t_badinput(unsigned fl)
{
	const char *fn = fname(fl);
	unsigned other = fl ^ ACHAN_LOCAL;
	struct achan_chan *a = sc_chan(8, 2, fl), *sig = sc_chan(0, 1, fl);
	struct achan_chan *oa = sc_chan(8, 2, other);
	struct achan_oneshot *os = sc_oneshot(fl);
	struct achan_bcast *bc = sc_bcast(fl);
	struct achan_state *st = sc_state(fl);
	struct achan_select_case c[2], *many;
	struct achan_select sel;
	struct rec_waker w;
	struct timespec dl;
	uint64_t out0, out1 = SENT, v = 3, id = SENT;
	char what[128];
	size_t idx;

	sc_put(a, 42);
	sc_put(oa, 43);
	achan_select_case_chan_recv(&c[0], a, &out0);

#define BAD(setup, sflags, ...) do {                                        \
		achan_select_case_chan_recv(&c[0], a, &out0);                \
		setup;                                                       \
		snprintf(what, sizeof(what), __VA_ARGS__);                   \
		bad_all_forms(c, 2, (sflags), a, &out0, what);               \
	} while (0)

	BAD((achan_select_case_chan_recv(&c[1], a, &out1), c[1].kind = 6),
	    ACHAN_SELECT_BIASED, "%s: unknown kind 6", fn);
	BAD((achan_select_case_chan_recv(&c[1], a, &out1), c[1].kind = 0x7fffffffu),
	    ACHAN_SELECT_BIASED, "%s: unknown kind 0x7fffffff", fn);
	BAD(achan_select_case_none(&c[1]), 0x2u, "%s: unknown flag 0x2", fn);
	BAD(achan_select_case_none(&c[1]), 0x80000000u | ACHAN_SELECT_BIASED,
	    "%s: unknown flag 0x80000000", fn);
	BAD(achan_select_case_chan_recv(&c[1], NULL, &out1), ACHAN_SELECT_BIASED,
	    "%s: NULL chan (recv)", fn);
	BAD(achan_select_case_chan_send(&c[1], NULL, &v), ACHAN_SELECT_BIASED,
	    "%s: NULL chan (send)", fn);
	BAD(achan_select_case_oneshot_recv(&c[1], NULL, &out1), ACHAN_SELECT_BIASED,
	    "%s: NULL oneshot", fn);
	BAD(achan_select_case_bcast_recv(&c[1], NULL, &out1), ACHAN_SELECT_BIASED,
	    "%s: NULL bcast", fn);
	BAD(achan_select_case_state_recv(&c[1], NULL, 0, &out1, &id),
	    ACHAN_SELECT_BIASED, "%s: NULL state", fn);
	BAD(achan_select_case_chan_send(&c[1], a, NULL), ACHAN_SELECT_BIASED,
	    "%s: NULL value, elem_size 8", fn);
	BAD(achan_select_case_chan_recv(&c[1], a, NULL), ACHAN_SELECT_BIASED,
	    "%s: NULL out (chan), elem_size 8", fn);
	BAD(achan_select_case_oneshot_recv(&c[1], os, NULL), ACHAN_SELECT_BIASED,
	    "%s: NULL out (oneshot)", fn);
	BAD(achan_select_case_bcast_recv(&c[1], bc, NULL), ACHAN_SELECT_BIASED,
	    "%s: NULL out (bcast)", fn);
	BAD(achan_select_case_chan_recv(&c[1], oa, &out1), ACHAN_SELECT_BIASED,
	    "%s: mixed with a %s channel", fn, fname(other));
	BAD(achan_select_case_chan_recv(&c[1], oa, &out1), 0,
	    "%s: mixed with a %s channel (default flags)", fn, fname(other));
	is_u(achan_chan_len(oa), 1, "%s: mixed: the other flavour's value stayed too", fn);
	is_u(out1, SENT, "%s: no bad case's buffer was written", fn);

	/* a destroyed (torn-down) object of every kind, and then the other
	 * order: the bad case first */
	{
		size_t ms = achan_chan_memsize(8, 2);
		unsigned char *mem = malloc(ms);
		unsigned char omem[ACHAN_ONESHOT_MEMSIZE(8)];
		unsigned char bmem[ACHAN_BCAST_MEMSIZE(8)];
		size_t sms = achan_state_memsize(8);
		unsigned char *smem = malloc(sms);
		struct achan_chan *dead;
		struct achan_oneshot *dos;
		struct achan_bcast *dbc;
		struct achan_state *dst;

		if (!mem || !smem ||
		    achan_chan_init(mem, ms, 8, 2, fl, &dead) != ACHAN_OK ||
		    achan_oneshot_init(omem, sizeof(omem), 8, fl, &dos) != ACHAN_OK ||
		    achan_bcast_init(bmem, sizeof(bmem), 8, fl, &dbc) != ACHAN_OK ||
		    achan_state_init(smem, sms, 8, fl, &dst) != ACHAN_OK)
			bail_out("init in caller memory failed");
		ok(achan_chan_fini(dead) == ACHAN_OK &&
		    achan_oneshot_fini(dos) == ACHAN_OK &&
		    achan_bcast_fini(dbc) == ACHAN_OK &&
		    achan_state_fini(dst) == ACHAN_OK,
		    "%s: four objects torn down", fn);
		BAD(achan_select_case_chan_recv(&c[1], dead, &out1),
		    ACHAN_SELECT_BIASED, "%s: torn-down chan (recv)", fn);
		BAD(achan_select_case_chan_send(&c[1], dead, &v),
		    ACHAN_SELECT_BIASED, "%s: torn-down chan (send)", fn);
		BAD(achan_select_case_oneshot_recv(&c[1], dos, &out1),
		    ACHAN_SELECT_BIASED, "%s: torn-down oneshot", fn);
		BAD(achan_select_case_bcast_recv(&c[1], dbc, &out1),
		    ACHAN_SELECT_BIASED, "%s: torn-down bcast", fn);
		BAD(achan_select_case_state_recv(&c[1], dst, 0, &out1, NULL),
		    ACHAN_SELECT_BIASED, "%s: torn-down state", fn);
		free(mem);
		free(smem);
	}

	/* NULL index: every form, the future's poll and cancel */
	out0 = SENT;
	achan_select_case_chan_recv(&c[0], a, &out0);
	achan_select_case_none(&c[1]);
	dl = sc_past();
	ok(achan_select_try(c, 2, 0, NULL) == ACHAN_EINVAL &&
	    achan_select(c, 2, 0, NULL) == ACHAN_EINVAL &&
	    achan_select_until(c, 2, 0, &dl, NULL) == ACHAN_EINVAL,
	    "%s: NULL index: EINVAL from try, select, until", fn);
	ok(out0 == SENT && achan_chan_len(a) == 1, "%s: NULL index: nothing moved", fn);
	/* bad deadlines */
	dl.tv_sec = 0;
	dl.tv_nsec = 1000000000L;
	idx = NOIDX;
	is_st(achan_select_until(c, 2, 0, &dl, &idx), ACHAN_EINVAL,
	    "%s: deadline tv_nsec 1e9: EINVAL", fn);
	dl.tv_nsec = -1;
	is_st(achan_select_until(c, 2, 0, &dl, &idx), ACHAN_EINVAL,
	    "%s: deadline tv_nsec -1: EINVAL", fn);
	is_st(achan_select_until(c, 2, 0, NULL, &idx), ACHAN_EINVAL,
	    "%s: NULL deadline: EINVAL", fn);
	ok(idx == NOIDX && out0 == SENT && achan_chan_len(a) == 1,
	    "%s: bad deadlines: nothing moved", fn);
	/* NULL cases with n > 0; n above the maximum */
	is_st(achan_select_try(NULL, 1, 0, &idx), ACHAN_EINVAL, "%s: NULL cases, n 1: try", fn);
	is_st(achan_select(NULL, 2, 0, &idx), ACHAN_EINVAL, "%s: NULL cases, n 2: select", fn);
	dl = sc_past();
	is_st(achan_select_until(NULL, 1, 0, &dl, &idx), ACHAN_EINVAL,
	    "%s: NULL cases, n 1: until", fn);
	is_st(achan_select_init(&sel, NULL, 1, 0), ACHAN_EINVAL, "%s: NULL cases, n 1: init", fn);
	many = calloc(ACHAN_SELECT_MAX_CASES + 1, sizeof(*many));
	if (!many)
		bail_out("calloc");
	for (size_t i = 0; i <= ACHAN_SELECT_MAX_CASES; i++)
		achan_select_case_chan_recv(&many[i], a, &out0);
	snprintf(what, sizeof(what), "%s: n = ACHAN_SELECT_MAX_CASES + 1", fn);
	bad_all_forms(many, ACHAN_SELECT_MAX_CASES + 1, ACHAN_SELECT_BIASED, a,
	    &out0, what);
	/* n = the maximum is fine: all NONE but the last */
	for (size_t i = 0; i < ACHAN_SELECT_MAX_CASES - 1; i++)
		achan_select_case_none(&many[i]);
	out0 = SENT;
	idx = NOIDX;
	is_st(achan_select_try(many, ACHAN_SELECT_MAX_CASES, 0, &idx), ACHAN_OK,
	    "%s: n = ACHAN_SELECT_MAX_CASES: OK", fn);
	ok(idx == ACHAN_SELECT_MAX_CASES - 1 && out0 == 42,
	    "%s: n = ACHAN_SELECT_MAX_CASES: the last case, with the value", fn);
	sc_put(a, 42);
	/* and its future: registered on the last, woken by a value */
	out0 = SENT;
	sc_take(a);
	rec_init(&w, 1, NULL);
	is_st(achan_select_init(&sel, many, ACHAN_SELECT_MAX_CASES, 0), ACHAN_OK,
	    "%s: n = max: future init", fn);
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_PENDING, "%s: n = max: PENDING", fn);
	sc_put(a, 42);
	idx = NOIDX;
	ok(rec_calls(&w) == 1 && achan_select_poll(&sel, &w.w, &idx) == ACHAN_OK &&
	    idx == ACHAN_SELECT_MAX_CASES - 1 && out0 == 42,
	    "%s: n = max: woken, OK with the last index", fn);
	sc_put(a, 42);
	free(many);

	/* the future: NULL sel, waker, wake function, index */
	out0 = SENT;
	achan_select_case_chan_recv(&c[0], a, &out0);
	achan_select_case_none(&c[1]);
	rec_init(&w, 1, NULL);
	is_st(achan_select_init(NULL, c, 2, 0), ACHAN_EINVAL, "%s: init(NULL sel)", fn);
	is_st(achan_select_init(&sel, c, 2, 0), ACHAN_OK, "%s: init", fn);
	is_st(achan_select_poll(NULL, &w.w, &idx), ACHAN_EINVAL, "%s: poll(NULL sel)", fn);
	is_st(achan_select_poll(&sel, NULL, &idx), ACHAN_EINVAL, "%s: poll(NULL waker)", fn);
	{
		struct achan_waker nw = { NULL, NULL };
		is_st(achan_select_poll(&sel, &nw, &idx), ACHAN_EINVAL,
		    "%s: poll(waker with NULL wake)", fn);
	}
	is_st(achan_select_poll(&sel, &w.w, NULL), ACHAN_EINVAL, "%s: poll(NULL index)", fn);
	is_st(achan_select_cancel(NULL, &idx), ACHAN_EINVAL, "%s: cancel(NULL sel)", fn);
	is_st(achan_select_cancel(&sel, NULL), ACHAN_EINVAL, "%s: cancel(NULL index)", fn);
	ok(out0 == SENT && achan_chan_len(a) == 1,
	    "%s: the refused polls moved nothing", fn);
	idx = NOIDX;
	is_st(achan_select_poll(&sel, &w.w, &idx), ACHAN_OK,
	    "%s: a good poll after them completes", fn);
	ok(idx == 0 && out0 == 42, "%s: with the value", fn);
	sc_put(a, 42);

	/* not bad: NULL buffers where the plain call allows them */
	achan_select_case_chan_recv(&c[0], sig, NULL);
	achan_select_case_chan_send(&c[1], sig, NULL);
	idx = NOIDX;
	ok(achan_select_try(c, 2, ACHAN_SELECT_BIASED, &idx) == ACHAN_OK &&
	    idx == 1 && achan_chan_len(sig) == 1,
	    "%s: elem_size 0: NULL value is fine (the send case)", fn);
	ok(achan_select_try(c, 2, ACHAN_SELECT_BIASED, &idx) == ACHAN_OK &&
	    idx == 0 && achan_chan_len(sig) == 0,
	    "%s: elem_size 0: NULL out is fine (the receive case)", fn);
	sc_state_send(st, 9);
	achan_select_case_state_recv(&c[0], st, 0, NULL, NULL);
	ok(achan_select_try(c, 1, 0, &idx) == ACHAN_OK && idx == 0,
	    "%s: state: NULL out and NULL id are fine", fn);
	/* a NONE case set by hand: obj ignored, even one of the other flavour */
	achan_select_case_chan_recv(&c[0], a, &out0);
	memset(&c[1], 0, sizeof(c[1]));
	c[1].kind = ACHAN_SELECT_NONE;
	c[1].obj = oa;
	out0 = SENT;
	ok(achan_select_try(c, 2, 0, &idx) == ACHAN_OK && idx == 0 && out0 == 42,
	    "%s: a NONE case's obj is ignored (another flavour's channel)", fn);
	sc_put(a, 42);

	/* case helpers: NULL c; and what they fill in */
	is_st(achan_select_case_none(NULL), ACHAN_EINVAL, "%s: case_none(NULL)", fn);
	is_st(achan_select_case_chan_send(NULL, a, &v), ACHAN_EINVAL, "%s: case_chan_send(NULL)", fn);
	is_st(achan_select_case_chan_recv(NULL, a, &out0), ACHAN_EINVAL, "%s: case_chan_recv(NULL)", fn);
	is_st(achan_select_case_oneshot_recv(NULL, os, &out0), ACHAN_EINVAL,
	    "%s: case_oneshot_recv(NULL)", fn);
	is_st(achan_select_case_bcast_recv(NULL, bc, &out0), ACHAN_EINVAL,
	    "%s: case_bcast_recv(NULL)", fn);
	is_st(achan_select_case_state_recv(NULL, st, 0, &out0, &id), ACHAN_EINVAL,
	    "%s: case_state_recv(NULL)", fn);
	memset(c, 0xa5, sizeof(c));
	ok(achan_select_case_state_recv(&c[0], st, 17, &out0, &id) == ACHAN_OK &&
	    c[0].kind == ACHAN_SELECT_STATE_RECV && c[0].obj == (void *)st &&
	    c[0].out == (void *)&out0 && c[0].after == 17 && c[0].id == &id,
	    "%s: case_state_recv fills kind, obj, out, after, id", fn);
	ok(achan_select_case_chan_send(&c[1], a, &v) == ACHAN_OK &&
	    c[1].kind == ACHAN_SELECT_CHAN_SEND && c[1].obj == (void *)a &&
	    c[1].value == (const void *)&v,
	    "%s: case_chan_send fills kind, obj, value", fn);
	ok(achan_select_case_none(&c[1]) == ACHAN_OK &&
	    c[1].kind == ACHAN_SELECT_NONE, "%s: case_none fills kind", fn);
#undef BAD

	is_u(sc_take(a), 42, "%s: a still holds its one value", fn);
	is_u(sc_take(a), NOTHING, "%s: and nothing else", fn);
	is_st(achan_chan_destroy(a), ACHAN_OK, "%s: destroy a", fn);
	is_st(achan_chan_destroy(sig), ACHAN_OK, "%s: destroy sig", fn);
	is_st(achan_chan_destroy(oa), ACHAN_OK, "%s: destroy oa", fn);
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "%s: destroy os", fn);
	is_st(achan_bcast_destroy(bc), ACHAN_OK, "%s: destroy bc", fn);
	is_st(achan_state_destroy(st), ACHAN_OK, "%s: destroy st", fn);
}

/* The end: destroy the long-lived state channel (sc_latest). */
SC void
select_cases_end(unsigned fl)
{
	is_st(achan_state_destroy(sc_latest(fl)), ACHAN_OK,
	    "%s: destroy the long-lived state channel", fname(fl));
	sc_latest_[is_local_fl(fl)] = NULL;
}

/* Every shared check, in order. */
SC void
select_cases_all(unsigned fl)
{
	t_every_kind(fl);
	t_nothing_ready(fl);
	t_no_enabled(fl);
	t_biased(fl);
	t_fair(fl);
	t_unbuffered_self(fl);
	t_send_fifo(fl);
	t_future_trigger(fl);
	t_future_cancel(fl);
	t_future_ebusy(fl);
	t_future_handon(fl);
	t_future_served(fl);
	t_same_object(fl);
	t_badinput(fl);
}

#endif /* ACHAN_T_SELECT_CASES_H */
