/*
 * t/waker_reentry.c - what a waker may do to its siblings (issue 14, C1).
 * A waker is never called under an achan lock, so it may call back into
 * achan.  One wake-all (a channel's close, a state send or close, a
 * oneshot or broadcast send or close) claims several futures and runs
 * their wakers one after the other.  Here two futures F1, F2 wait on one
 * object and the wake-all runs [F1, F2]; F1's waker cancels, polls, or
 * cancels, re-inits and registers again F2, still waiting its turn in that
 * list; the control has F2's waker do it to F1, whose wake has run.  And
 * F1's waker polls and cancels its own future (ACHAN_EINVAL), or makes
 * non-blocking calls on the same object and on others.  Every kind, in
 * both flavours (thread-safe and ACHAN_LOCAL).  t/waker_reentry_more.c has
 * the rest: nested wake lists, handle releases, two threads.
 *
 * Every case runs in a forked child with a watchdog (t/waker_case.h): a
 * waker that spins forever is one `not ok` naming the step it hung at.
 *
 * What every case checks: the call that ran the wake list returns; the
 * acting waker ran exactly once; a future taken out by a poll or cancel
 * inside another waker never has its own waker called (not then, not
 * later); the poll or cancel answers as the outcome dictates (a cancelled
 * receive or a closed send: ACHAN_CANCELLED, the value staying with the
 * caller; a poll: the future's outcome - CLOSED, or OK with the value); a
 * finished future answers a later poll with ACHAN_EINVAL and a later cancel
 * as it finished; and the object can be destroyed at the end (no
 * registration left behind).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "waker_case.h"

/* ========================================================================= */
/* The kinds of wake-all, behind one interface                                */
/* ========================================================================= */

enum kind {
	K_CHAN_RECV,     /* bounded channel, receive futures, close */
	K_CHAN_SEND,     /* bounded channel (full), send futures, close */
	K_UNBUF_RECV,    /* unbuffered channel, receive futures, close */
	K_UNBUF_SEND,    /* unbuffered channel, send futures, close */
	K_STATE_SEND,    /* state channel, receive futures, send */
	K_STATE_CLOSE,   /* state channel, receive futures, close */
	K_ONESHOT_SEND,  /* oneshot (one taker), receive futures, send */
	K_ONESHOT_CLOSE, /* oneshot, receive futures, close */
	K_BCAST_SEND,    /* broadcast oneshot, receive futures, send */
	K_BCAST_CLOSE,   /* broadcast oneshot, receive futures, close */
	K__N
};

static const char *const kind_name[K__N] = {
	"chan close, recv futures",
	"chan close, send futures on a full ring",
	"unbuffered chan close, recv futures",
	"unbuffered chan close, send futures",
	"state send, recv futures",
	"state close, recv futures",
	"oneshot send, recv futures",
	"oneshot close, recv futures",
	"bcast send, recv futures",
	"bcast close, recv futures",
};

static int
kind_is_chan(enum kind k)
{
	return k <= K_UNBUF_SEND;
}

static int
kind_is_chan_send(enum kind k)
{
	return k == K_CHAN_SEND || k == K_UNBUF_SEND;
}

static int
kind_is_state(enum kind k)
{
	return k == K_STATE_SEND || k == K_STATE_CLOSE;
}

static int
kind_sends(enum kind k)
{
	return k == K_STATE_SEND || k == K_ONESHOT_SEND || k == K_BCAST_SEND;
}

struct obj {
	enum kind k;
	struct achan_chan *ch;
	struct achan_state *st;
	struct achan_oneshot *os;
	struct achan_bcast *bc;
};

static void
obj_make(struct obj *o, enum kind k, unsigned flags)
{
	uint64_t v0 = V0;
	int r = ACHAN_EINVAL;

	memset(o, 0, sizeof(*o));
	o->k = k;
	switch (k) {
	case K_CHAN_RECV:
		r = achan_chan_create(&o->ch, 8, 2, flags);
		break;
	case K_CHAN_SEND:
		r = achan_chan_create(&o->ch, 8, 1, flags);
		if (r == ACHAN_OK)
			r = achan_chan_try_send(o->ch, &v0);
		break;
	case K_UNBUF_RECV:
	case K_UNBUF_SEND:
		r = achan_chan_create(&o->ch, 8, 0, flags);
		break;
	case K_STATE_SEND:
	case K_STATE_CLOSE:
		r = achan_state_create(&o->st, 8, flags);
		break;
	case K_ONESHOT_SEND:
	case K_ONESHOT_CLOSE:
		r = achan_oneshot_create(&o->os, 8, flags);
		break;
	case K_BCAST_SEND:
	case K_BCAST_CLOSE:
		r = achan_bcast_create(&o->bc, 8, flags);
		break;
	case K__N:
		break;
	}
	if (r != ACHAN_OK)
		die("object creation");
}

static const char *
trigger_name(enum kind k)
{
	return kind_sends(k) ? "send" : "close";
}

/* Run the object's wake-all. */
static int
obj_trigger(struct obj *o, uint64_t v)
{
	switch (o->k) {
	case K_CHAN_RECV:
	case K_CHAN_SEND:
	case K_UNBUF_RECV:
	case K_UNBUF_SEND:
		return achan_chan_close(o->ch);
	case K_STATE_SEND:
		return achan_state_send(o->st, &v);
	case K_STATE_CLOSE:
		return achan_state_close(o->st);
	case K_ONESHOT_SEND:
		return achan_oneshot_send(o->os, &v);
	case K_ONESHOT_CLOSE:
		return achan_oneshot_close(o->os);
	case K_BCAST_SEND:
		return achan_bcast_send(o->bc, &v);
	case K_BCAST_CLOSE:
		return achan_bcast_close(o->bc);
	case K__N:
		break;
	}
	return -1;
}

static int
trigger_want(enum kind k)
{
	return kind_sends(k) ? ACHAN_OK : ACHAN_NEWLY_CLOSED;
}

static int
obj_destroy(struct obj *o)
{
	if (o->ch != NULL)
		return achan_chan_destroy(o->ch);
	if (o->st != NULL)
		return achan_state_destroy(o->st);
	if (o->os != NULL)
		return achan_oneshot_destroy(o->os);
	if (o->bc != NULL)
		return achan_bcast_destroy(o->bc);
	return -1;
}

struct fut {
	struct obj *o;
	union {
		struct achan_chan_recv_future cr;
		struct achan_chan_send_future cs;
		struct achan_state_recv_future sr;
		struct achan_oneshot_recv_future orf;
		struct achan_bcast_recv_future br;
	} u;
	uint64_t out, id, val;
};

static void
fut_init(struct fut *f, struct obj *o, uint64_t after, uint64_t val)
{
	int r = ACHAN_EINVAL;

	f->o = o;
	f->out = 0;
	f->id = 0;
	f->val = val;
	switch (o->k) {
	case K_CHAN_RECV:
	case K_UNBUF_RECV:
		r = achan_chan_recv_future_init(&f->u.cr, o->ch, &f->out);
		break;
	case K_CHAN_SEND:
	case K_UNBUF_SEND:
		r = achan_chan_send_future_init(&f->u.cs, o->ch, &f->val);
		break;
	case K_STATE_SEND:
	case K_STATE_CLOSE:
		r = achan_state_recv_future_init(&f->u.sr, o->st, after,
		    &f->out, &f->id);
		break;
	case K_ONESHOT_SEND:
	case K_ONESHOT_CLOSE:
		r = achan_oneshot_recv_future_init(&f->u.orf, o->os, &f->out);
		break;
	case K_BCAST_SEND:
	case K_BCAST_CLOSE:
		r = achan_bcast_recv_future_init(&f->u.br, o->bc, &f->out);
		break;
	case K__N:
		break;
	}
	if (r != ACHAN_OK)
		die("future init");
}

static int
fut_poll(struct fut *f, const struct achan_waker *w)
{
	switch (f->o->k) {
	case K_CHAN_RECV:
	case K_UNBUF_RECV:
		return achan_chan_recv_poll(&f->u.cr, w);
	case K_CHAN_SEND:
	case K_UNBUF_SEND:
		return achan_chan_send_poll(&f->u.cs, w);
	case K_STATE_SEND:
	case K_STATE_CLOSE:
		return achan_state_recv_poll(&f->u.sr, w);
	case K_ONESHOT_SEND:
	case K_ONESHOT_CLOSE:
		return achan_oneshot_recv_poll(&f->u.orf, w);
	case K_BCAST_SEND:
	case K_BCAST_CLOSE:
		return achan_bcast_recv_poll(&f->u.br, w);
	case K__N:
		break;
	}
	return -1;
}

static int
fut_cancel(struct fut *f)
{
	switch (f->o->k) {
	case K_CHAN_RECV:
	case K_UNBUF_RECV:
		return achan_chan_recv_cancel(&f->u.cr);
	case K_CHAN_SEND:
	case K_UNBUF_SEND:
		return achan_chan_send_cancel(&f->u.cs);
	case K_STATE_SEND:
	case K_STATE_CLOSE:
		return achan_state_recv_cancel(&f->u.sr);
	case K_ONESHOT_SEND:
	case K_ONESHOT_CLOSE:
		return achan_oneshot_recv_cancel(&f->u.orf);
	case K_BCAST_SEND:
	case K_BCAST_CLOSE:
		return achan_bcast_recv_cancel(&f->u.br);
	case K__N:
		break;
	}
	return -1;
}

/*
 * What a poll of a future answers once the wake-all has run (the object is
 * final, or holds the sent state): closed kinds CLOSED, state and broadcast
 * sends OK with the value, a oneshot send OK for the first future polled
 * (it takes the value) and CLOSED for every later one.
 */
static int
expect_poll(enum kind k, int *taken)
{
	switch (k) {
	case K_STATE_SEND:
	case K_BCAST_SEND:
		return ACHAN_OK;
	case K_ONESHOT_SEND:
		if (*taken)
			return ACHAN_CLOSED;
		*taken = 1;
		return ACHAN_OK;
	default:
		return ACHAN_CLOSED;
	}
}

/* Check a poll's answer and, for OK, the value (and a state's id). */
static void
check_poll(struct fut *f, int got, int want, uint64_t val, uint64_t id,
		const char *what)
{
	check_st(got, want, what);
	if (got == ACHAN_OK && want == ACHAN_OK) {
		check_u(f->out, val, "the value received");
		if (kind_is_state(f->o->k))
			check_u(f->id, id, "the state id received");
	}
}

/* ========================================================================= */
/* Part 1 and 2: one wake list, two futures; a waker acts on its sibling      */
/* ========================================================================= */

enum act {
	A_CANCEL,   /* cancel the sibling */
	A_POLL,     /* poll the sibling */
	A_REINIT,   /* cancel, re-init and poll the sibling again, same object */
	A_OWN,      /* poll and cancel its own future: ACHAN_EINVAL */
	A_NONBLOCK, /* non-blocking calls on the same and on other objects */
	A__N
};

enum dir {
	D_FIRST,    /* F1's waker acts on F2, still waiting its turn (C1) */
	D_CONTROL   /* F2's waker acts on F1, whose wake has run already */
};

struct gparam {
	char name[200];
	enum kind k;
	enum act a;
	enum dir d;
	unsigned flags;
};

struct gstate {
	const struct gparam *p;
	struct obj o;
	struct fut f[2];
	struct wk w[2];
	struct wk wnew;     /* waker of the target's new registration */
	struct wk wpoll;    /* waker passed to a poll of the target */
	int actor, target;
	int rc[2];
	int acted;
	/* A_NONBLOCK: other objects of the same flavour */
	struct achan_chan *ob_ch;
	struct achan_oneshot *ob_os;
	struct achan_bcast *ob_bc;
	struct achan_state *ob_st;
};

static struct gstate G;

static void
nonblock_calls(struct gstate *g)
{
	struct obj *o = &g->o;
	enum kind k = o->k;
	uint64_t v = 7, out = 0, id = 0;

	/* the object whose wake list is running */
	if (kind_is_chan(k)) {
		check_st(achan_chan_try_send(o->ch, &v), ACHAN_CLOSED,
		    "try_send on the same (closed) channel");
		check_u(achan_chan_len(o->ch), k == K_CHAN_SEND ? 1 : 0,
		    "len of the same channel");
		check_u(achan_chan_is_closed(o->ch), 1,
		    "is_closed of the same channel");
		check_st(achan_chan_close(o->ch), ACHAN_ALREADY_CLOSED,
		    "close of the same channel");
		if (!kind_is_chan_send(k))
			check_st(achan_chan_try_recv(o->ch, &out), ACHAN_CLOSED,
			    "try_recv on the same channel");
	} else if (k == K_STATE_SEND) {
		check_st(achan_state_try_recv(o->st, 0, &out, &id), ACHAN_OK,
		    "try_recv on the same state channel");
		check_u(out, VSENT, "its value");
		check_u(id, 1, "its id");
		check_u(achan_state_id(o->st), 1, "state id");
		check_u(achan_state_is_closed(o->st), 0, "is_closed");
	} else if (k == K_STATE_CLOSE) {
		check_st(achan_state_try_recv(o->st, 0, &out, &id), ACHAN_CLOSED,
		    "try_recv on the same (closed) state channel");
		check_u(achan_state_is_closed(o->st), 1, "is_closed");
		check_st(achan_state_close(o->st), ACHAN_ALREADY_CLOSED,
		    "close of the same state channel");
	} else if (k == K_ONESHOT_SEND || k == K_ONESHOT_CLOSE) {
		check_st(achan_oneshot_send(o->os, &v), ACHAN_CLOSED,
		    "send on the same oneshot");
		check_st(achan_oneshot_close(o->os), ACHAN_ALREADY_CLOSED,
		    "close of the same oneshot");
		check_u(achan_oneshot_is_closed(o->os), 1, "is_closed");
	} else {
		check_st(achan_bcast_try_recv(o->bc, &out),
		    k == K_BCAST_SEND ? ACHAN_OK : ACHAN_CLOSED,
		    "try_recv on the same bcast");
		if (k == K_BCAST_SEND)
			check_u(out, VSENT, "its value");
		check_st(achan_bcast_send(o->bc, &v), ACHAN_CLOSED,
		    "send on the same bcast");
		check_st(achan_bcast_close(o->bc), ACHAN_ALREADY_CLOSED,
		    "close of the same bcast");
		check_u(achan_bcast_is_closed(o->bc), 1, "is_closed");
	}

	/* other objects */
	v = 7;
	check_st(achan_chan_try_send(g->ob_ch, &v), ACHAN_OK,
	    "try_send on another channel");
	check_u(achan_chan_len(g->ob_ch), 1, "its len");
	out = 0;
	check_st(achan_chan_try_recv(g->ob_ch, &out), ACHAN_OK,
	    "try_recv on it");
	check_u(out, 7, "its value");
	check_st(achan_chan_try_recv(g->ob_ch, &out), ACHAN_EMPTY,
	    "try_recv on it again");
	check_u(achan_chan_is_closed(g->ob_ch), 0, "its is_closed");
	check_st(achan_chan_close(g->ob_ch), ACHAN_NEWLY_CLOSED, "close it");
	check_st(achan_chan_try_send(g->ob_ch, &v), ACHAN_CLOSED,
	    "try_send on it after the close");
	v = 5;
	check_st(achan_oneshot_send(g->ob_os, &v), ACHAN_OK,
	    "send on another oneshot");
	check_st(achan_oneshot_try_recv(g->ob_os, &out), ACHAN_OK,
	    "try_recv on it");
	check_u(out, 5, "its value");
	v = 6;
	check_st(achan_bcast_send(g->ob_bc, &v), ACHAN_OK,
	    "send on another bcast");
	check_st(achan_bcast_try_recv(g->ob_bc, &out), ACHAN_OK,
	    "try_recv on it");
	check_u(out, 6, "its value");
	v = 8;
	check_st(achan_state_send(g->ob_st, &v), ACHAN_OK,
	    "send on another state channel");
	check_st(achan_state_try_recv(g->ob_st, 0, &out, &id), ACHAN_OK,
	    "try_recv on it");
	check_u(out, 8, "its value");
	check_st(achan_state_close(g->ob_st), ACHAN_NEWLY_CLOSED, "close it");
}

static void
gen_act(struct wk *k)
{
	struct gstate *g = k->ctx;
	struct fut *t = &g->f[g->target];
	enum kind kd = g->p->k;

	g->acted++;
	switch (g->p->a) {
	case A_CANCEL:
		step("F%d's waker cancels F%d", g->actor + 1, g->target + 1);
		g->rc[0] = fut_cancel(t);
		break;
	case A_POLL:
		step("F%d's waker polls F%d", g->actor + 1, g->target + 1);
		g->rc[0] = fut_poll(t, &g->wpoll.w);
		break;
	case A_REINIT:
		step("F%d's waker cancels F%d", g->actor + 1, g->target + 1);
		g->rc[0] = fut_cancel(t);
		step("F%d's waker re-inits and polls F%d", g->actor + 1,
		    g->target + 1);
		fut_init(t, &g->o, kd == K_STATE_SEND ? 1 : 0, 300);
		g->rc[1] = fut_poll(t, &g->wnew.w);
		break;
	case A_OWN:
		step("F%d's waker polls its own future", g->actor + 1);
		g->rc[0] = fut_poll(&g->f[g->actor], &g->w[g->actor].w);
		step("F%d's waker cancels its own future", g->actor + 1);
		g->rc[1] = fut_cancel(&g->f[g->actor]);
		break;
	case A_NONBLOCK:
		step("F%d's waker makes non-blocking calls", g->actor + 1);
		nonblock_calls(g);
		break;
	case A__N:
		break;
	}
	step("F%d's waker returns", g->actor + 1);
}

static void
gen_case(const void *arg)
{
	const struct gparam *p = arg;
	struct gstate *g = &G;
	enum kind k = p->k;
	struct fut *fa, *ft;
	int taken = 0, want, r, target_done_in_waker;

	memset(g, 0, sizeof(*g));
	g->p = p;
	obj_make(&g->o, k, p->flags);
	g->actor = p->d == D_FIRST ? 0 : 1;
	g->target = 1 - g->actor;
	fa = &g->f[g->actor];
	ft = &g->f[g->target];
	wk_init(&g->w[0], 1, NULL, g);
	wk_init(&g->w[1], 2, NULL, g);
	wk_init(&g->wnew, 3, NULL, g);
	wk_init(&g->wpoll, 4, NULL, g);
	g->w[g->actor].act = gen_act;
	if (p->a == A_NONBLOCK) {
		if (achan_chan_create(&g->ob_ch, 8, 2, p->flags) != ACHAN_OK ||
		    achan_oneshot_create(&g->ob_os, 8, p->flags) != ACHAN_OK ||
		    achan_bcast_create(&g->ob_bc, 8, p->flags) != ACHAN_OK ||
		    achan_state_create(&g->ob_st, 8, p->flags) != ACHAN_OK)
			die("other objects");
	}

	for (int i = 0; i < 2; i++) {
		fut_init(&g->f[i], &g->o, 0, 200 + (uint64_t)i);
		if (fut_poll(&g->f[i], &g->w[i].w) != ACHAN_PENDING)
			die("a future did not register (PENDING)");
	}

	step("%s with F1, F2 registered", trigger_name(k));
	r = obj_trigger(&g->o, VSENT);
	step("%s returned", trigger_name(k));
	check_st(r, trigger_want(k), "the wake-all call");
	check_u(g->acted, 1, "the acting waker's action ran once");
	check_u(wk_calls(&g->w[g->actor]), 1, "the acting waker ran exactly once");
	target_done_in_waker = p->a == A_CANCEL || p->a == A_POLL ||
	    p->a == A_REINIT;
	check_u(wk_calls(&g->w[g->target]),
	    (p->d == D_FIRST && target_done_in_waker) ? 0 : 1,
	    p->d == D_FIRST && target_done_in_waker ?
	    "the waker of the future taken out inside the list never runs" :
	    "the other future's waker ran once");

	/* what the action answered */
	switch (p->a) {
	case A_CANCEL:
		check_st(g->rc[0], ACHAN_CANCELLED, "cancel inside the waker");
		break;
	case A_POLL:
		want = expect_poll(k, &taken);
		check_poll(ft, g->rc[0], want, VSENT, 1, "poll inside the waker");
		break;
	case A_REINIT:
		check_st(g->rc[0], ACHAN_CANCELLED, "cancel inside the waker");
		if (k == K_STATE_SEND)
			check_st(g->rc[1], ACHAN_PENDING,
			    "poll of the re-initialised future (after id 1)");
		else
			check_poll(ft, g->rc[1], expect_poll(k, &taken), VSENT,
			    1, "poll of the re-initialised future");
		break;
	case A_OWN:
		check_st(g->rc[0], ACHAN_EINVAL,
		    "poll of its own future inside its waker");
		check_st(g->rc[1], ACHAN_EINVAL,
		    "cancel of its own future inside its waker");
		break;
	default:
		break;
	}

	/* the acting future finishes as the outcome says */
	step("poll the acting future");
	want = expect_poll(k, &taken);
	r = fut_poll(fa, &g->w[g->actor].w);
	check_poll(fa, r, want, VSENT, 1, "final poll of the acting future");
	check_st(fut_poll(fa, &g->w[g->actor].w), ACHAN_EINVAL,
	    "poll of the acting future again");
	check_st(fut_cancel(fa), want == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED,
	    "cancel of the finished acting future");

	/* the target */
	step("finish the target");
	switch (p->a) {
	case A_CANCEL:
		check_st(fut_poll(ft, &g->wpoll.w), ACHAN_EINVAL,
		    "poll of the cancelled future");
		check_st(fut_cancel(ft), ACHAN_CANCELLED,
		    "cancel of the cancelled future again");
		break;
	case A_POLL:
		check_st(fut_poll(ft, &g->wpoll.w), ACHAN_EINVAL,
		    "poll of the future finished by the waker's poll");
		check_st(fut_cancel(ft),
		    g->rc[0] == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED,
		    "cancel of the future finished by the waker's poll");
		break;
	case A_REINIT:
		if (k == K_STATE_SEND) {
			check_u(wk_calls(&g->wnew), 0,
			    "the new registration is not woken by the old send");
			step("second send, for the re-registered future");
			check_st(obj_trigger(&g->o, 43), ACHAN_OK, "second send");
			check_u(wk_calls(&g->wnew), 1,
			    "the second send woke the new registration once");
			check_poll(ft, fut_poll(ft, &g->wnew.w), ACHAN_OK, 43, 2,
			    "poll of the re-registered future");
		} else {
			check_st(fut_poll(ft, &g->wnew.w), ACHAN_EINVAL,
			    "poll of the finished re-initialised future");
			check_u(wk_calls(&g->wnew), 0,
			    "the re-initialised future's waker never ran");
		}
		break;
	default:
		want = expect_poll(k, &taken);
		r = fut_poll(ft, &g->w[g->target].w);
		check_poll(ft, r, want, VSENT, 1, "final poll of the other future");
		break;
	}

	/* no waker ran late */
	check_u(wk_calls(&g->w[g->actor]), 1, "the acting waker, at the end");
	check_u(wk_calls(&g->w[g->target]),
	    (p->d == D_FIRST && target_done_in_waker) ? 0 : 1,
	    "the other future's original waker, at the end");
	check_u(wk_calls(&g->wpoll), 0, "the waker given to the sibling poll");

	/* the values of closed or cancelled sends stayed with the caller */
	if (k == K_CHAN_SEND) {
		uint64_t out = 0;

		check_st(achan_chan_try_recv(g->o.ch, &out), ACHAN_OK,
		    "the value buffered before the close");
		check_u(out, V0, "is the only one");
	}
	if (kind_is_chan_send(k)) {
		uint64_t out = 0;

		check_st(achan_chan_try_recv(g->o.ch, &out), ACHAN_CLOSED,
		    "then the channel is drained");
	}
	step("destroy");
	check_st(obj_destroy(&g->o), ACHAN_OK,
	    "destroy: no future left registered");
	if (p->a == A_NONBLOCK) {
		check_st(achan_chan_destroy(g->ob_ch), ACHAN_OK, "destroy other");
		check_st(achan_oneshot_destroy(g->ob_os), ACHAN_OK, "destroy other");
		check_st(achan_bcast_destroy(g->ob_bc), ACHAN_OK, "destroy other");
		check_st(achan_state_destroy(g->ob_st), ACHAN_OK, "destroy other");
	}
}

/* ========================================================================= */
/* main                                                                       */
/* ========================================================================= */

/* indexed by A_CANCEL, A_POLL, A_REINIT (the others name themselves) */
static const char *const act_name[] = {
	"cancels", "polls", "cancels, re-inits and re-polls",
};

int
main(void)
{
	static struct gparam gp[K__N * 2 * 8];
	int ngp = 0;

	/* each case has its own watchdog; this one only bounds the whole */
	tap_watchdog(600);

	for (int fl = 0; fl < 2; fl++) {
		unsigned flags = fl ? ACHAN_LOCAL : 0;

		for (int k = 0; k < K__N; k++) {
			static const struct { enum act a; enum dir d; } combos[] = {
				{ A_CANCEL, D_FIRST }, { A_CANCEL, D_CONTROL },
				{ A_POLL, D_FIRST }, { A_POLL, D_CONTROL },
				{ A_REINIT, D_FIRST }, { A_OWN, D_FIRST },
				{ A_NONBLOCK, D_FIRST },
			};

			for (size_t c = 0; c < sizeof(combos) / sizeof(combos[0]); c++) {
				struct gparam *p = &gp[ngp++];
				enum act a = combos[c].a;
				enum dir d = combos[c].d;

				p->k = (enum kind)k;
				p->a = a;
				p->d = d;
				p->flags = flags;
				if (a == A_OWN)
					snprintf(p->name, sizeof(p->name),
					    "[%s] %s: F1's waker polls and cancels "
					    "its own future: EINVAL, EINVAL",
					    fl_name(flags), kind_name[k]);
				else if (a == A_NONBLOCK)
					snprintf(p->name, sizeof(p->name),
					    "[%s] %s: F1's waker makes non-blocking "
					    "calls on the same and on other objects",
					    fl_name(flags), kind_name[k]);
				else
					snprintf(p->name, sizeof(p->name),
					    "[%s] %s: %s %s %s%s", fl_name(flags),
					    kind_name[k],
					    d == D_FIRST ? "F1's waker" :
					    "control: F2's waker",
					    act_name[a],
					    d == D_FIRST ? "F2" : "F1",
					    d == D_FIRST ?
					    " (pending in the same list)" :
					    " (its wake already ran)");
			}
		}
	}

	for (int i = 0; i < ngp; i++)
		run_case(gp[i].name, gen_case, &gp[i], CASE_WATCHDOG_S);
	return done_testing();
}
