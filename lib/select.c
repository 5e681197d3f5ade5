/*
 * select.c - select's public functions: the case helpers, the argument
 * checks, the blocking forms, and the thread-safe flavour of the algorithm
 * (select_impl.h under sync_mt.h).  Selects over ACHAN_LOCAL objects go to
 * the single-thread flavour in select_local.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "sync_mt.h"
#include "chan_internal.h"
#include "oneshot_internal.h"
#include "state_internal.h"
#include "select_impl.h"

/* initial-exec (select_claim.h): a few bytes of static TLS, no call to
 * __tls_get_addr on the random start of every select */
__thread struct achan_select *achan__tls_selecting;
__thread uint64_t achan__select_rng;

/* --- case helpers ------------------------------------------------------------ */

static int
case_set(struct achan_select_case *c, uint32_t kind, void *obj,
		const void *value, void *out, uint64_t after, uint64_t *id)
{
	if (c == NULL)
		return ACHAN_EINVAL;
	c->kind = kind;
	c->_reserved = 0;
	c->obj = obj;
	c->value = value;
	c->out = out;
	c->after = after;
	c->id = id;
	c->_sel = NULL;
	return ACHAN_OK;
}

int
achan_select_case_none(struct achan_select_case *c)
{
	return case_set(c, ACHAN_SELECT_NONE, NULL, NULL, NULL, 0, NULL);
}

int
achan_select_case_chan_send(struct achan_select_case *c, struct achan_chan *ch,
		const void *value)
{
	return case_set(c, ACHAN_SELECT_CHAN_SEND, ch, value, NULL, 0, NULL);
}

int
achan_select_case_chan_recv(struct achan_select_case *c, struct achan_chan *ch,
		void *out)
{
	return case_set(c, ACHAN_SELECT_CHAN_RECV, ch, NULL, out, 0, NULL);
}

int
achan_select_case_oneshot_recv(struct achan_select_case *c,
		struct achan_oneshot *os, void *out)
{
	return case_set(c, ACHAN_SELECT_ONESHOT_RECV, os, NULL, out, 0, NULL);
}

int
achan_select_case_bcast_recv(struct achan_select_case *c, struct achan_bcast *b,
		void *out)
{
	return case_set(c, ACHAN_SELECT_BCAST_RECV, b, NULL, out, 0, NULL);
}

int
achan_select_case_state_recv(struct achan_select_case *c, struct achan_state *st,
		uint64_t after, void *out, uint64_t *id)
{
	return case_set(c, ACHAN_SELECT_STATE_RECV, st, NULL, out, after, id);
}

/* --- argument checks ------------------------------------------------------- */

/*
 * Check case c: 1 for an enabled case on a local object, 0 on a
 * thread-safe one, 2 for NONE, -1 for bad input (the checks of the kind's
 * future init: a live object, a buffer where the plain call needs one).
 */
static int
case_check(const struct achan_select_case *c)
{
	const struct achan__once *o;

	switch (c->kind) {
	case ACHAN_SELECT_NONE:
		return 2;
	case ACHAN_SELECT_CHAN_SEND:
	case ACHAN_SELECT_CHAN_RECV:
		if (!achan__chan_ok(c->obj) ||
		    ((c->kind == ACHAN_SELECT_CHAN_SEND ? c->value : c->out) ==
		    NULL && ((struct achan_chan *)c->obj)->ring.elem_size != 0))
			return -1;
		return achan__chan_is_local(c->obj);
	case ACHAN_SELECT_ONESHOT_RECV:
	case ACHAN_SELECT_BCAST_RECV:
		if (c->obj == NULL)
			return -1;
		o = c->kind == ACHAN_SELECT_ONESHOT_RECV ?
		    &((struct achan_oneshot *)c->obj)->o :
		    &((struct achan_bcast *)c->obj)->o;
		if (!achan__once_ok(o, c->kind == ACHAN_SELECT_ONESHOT_RECV ?
		    ONESHOT_MAGIC : BCAST_MAGIC) ||
		    (c->out == NULL && o->elem_size != 0))
			return -1;
		return achan__once_is_local(o);
	case ACHAN_SELECT_STATE_RECV:
		if (!achan__state_ok(c->obj))
			return -1;
		return achan__state_is_local(c->obj);
	default:
		return -1;
	}
}

/* Make every enabled case's future ready to register: only once no case
 * was ready at the first look, so that a ready select pays for nothing
 * but the checks and the try.  The checks were made. */
void
achan__select_init_futures(struct achan_select *sel)
{
	struct achan_select_case *c;
	uint32_t i;

	for (i = 0; i < sel->_n; i++) {
		c = &sel->_cases[i];
		c->_sel = sel;
		switch (c->kind) {
		case ACHAN_SELECT_CHAN_SEND:
			(void)achan_chan_send_future_init(&c->_f.send, c->obj,
			    c->value);
			break;
		case ACHAN_SELECT_CHAN_RECV:
			(void)achan_chan_recv_future_init(&c->_f.recv, c->obj,
			    c->out);
			break;
		case ACHAN_SELECT_ONESHOT_RECV:
			(void)achan_oneshot_recv_future_init(&c->_f.oneshot,
			    c->obj, c->out);
			break;
		case ACHAN_SELECT_BCAST_RECV:
			(void)achan_bcast_recv_future_init(&c->_f.bcast, c->obj,
			    c->out);
			break;
		case ACHAN_SELECT_STATE_RECV:
			(void)achan_state_recv_future_init(&c->_f.state, c->obj,
			    c->after, c->out, c->id);
			break;
		default:
			break;
		}
	}
}

/*
 * Check everything, before any case is tried, and write nothing: a select
 * whose first look finds a case ready goes no further.  The flavour of the
 * objects (1: ACHAN_LOCAL; 0 with none), or -1 for bad input.  *enabled:
 * how many cases are not NONE.
 */
static achan__always_inline int
sel_check(const struct achan_select_case *cases, size_t n, unsigned flags,
		size_t *enabled)
{
	int flavour = -1, f;
	size_t i;

	*enabled = 0;
	if (achan__unlikely((cases == NULL && n > 0) ||
	    n > ACHAN_SELECT_MAX_CASES || (flags & ~ACHAN_SELECT_BIASED) != 0))
		return -1;
	for (i = 0; i < n; i++) {
		f = case_check(&cases[i]);
		if (f == 2)
			continue;
		if (achan__unlikely(f < 0 || (flavour >= 0 && f != flavour)))
			return -1;	/* bad, or local and thread-safe mixed */
		flavour = f;
		++*enabled;
	}
	return flavour == 1;
}

/* Make sel a fresh select over checked cases. */
static void
sel_fill(struct achan_select *sel, struct achan_select_case *cases, size_t n,
		unsigned flags, int local)
{
	sel->_cases = cases;
	sel->_n = (uint32_t)n;
	sel->_flags = flags;
	sel->_claim = ACHAN__SEL_OPEN;
	sel->_woken = 0;
	sel->_lock = 0;
	sel->_phase = ACHAN__PHASE_FRESH;
	sel->_local = (uint32_t)local;
	sel->_index = 0;
	sel->_result = ACHAN_PENDING;
	sel->_reserved = 0;
	sel->_waker.wake = NULL;
	sel->_waker.arg = NULL;
	sel->_outer = NULL;
}

/* The first look: each case's try operation, in this flavour. */
static achan__always_inline int
sel_first_look(struct achan_select_case *cases, size_t n, unsigned flags,
		int local, uint32_t *won)
{
	uint32_t start = sel_start_of(flags, (uint32_t)n);

	if (achan__unlikely(local))
		return achan__select_local_try(cases, (uint32_t)n, start, won);
	return sel_try_cases(cases, (uint32_t)n, start, won);
}

/* A poll or cancel from inside the select's own poll (a waker that poll
 * ran) or from inside one of its cases' wakes would wait for itself. */
static int
sel_reentered(struct achan_select *sel)
{
	uint32_t i;

	if (achan__select_polled_here(sel))
		return 1;
	if (sel->_phase != ACHAN__PHASE_REGISTERED)
		return 0;	/* no case has a future yet */
	for (i = 0; i < sel->_n; i++)
		if (case_registered(&sel->_cases[i]) &&
		    achan__waiter_waking_self(case_waiter(&sel->_cases[i])))
			return 1;
	return 0;
}

/* --- the blocking forms ---------------------------------------------------- */

static int
sleep_until(const struct timespec *deadline)
{
	struct achan__parker *p = achan__parker_self();

	while (achan__park(p, deadline) != ACHAN_TIMEDOUT)
		;	/* a stray wake of this thread's parker: sleep on */
	return ACHAN_TIMEDOUT;
}

/* Has a send case on an unbuffered channel (see sel_block). */
static int
sel_has_unbuffered_send(const struct achan_select *sel)
{
	const struct achan_select_case *c;
	uint32_t i;

	for (i = 0; i < sel->_n; i++) {
		c = &sel->_cases[i];
		if (c->kind == ACHAN_SELECT_CHAN_SEND &&
		    ((const struct achan_chan *)c->obj)->ring.cap == 0)
			return 1;
	}
	return 0;
}

static int
sel_block(struct achan_select_case *cases, size_t n, unsigned flags,
		const struct timespec *deadline, size_t *index)
{
	struct achan__snooze b = ACHAN__SNOOZE_INIT;
	struct achan__parker *p;
	struct achan_waker waker;
	struct achan_select sel;
	size_t enabled;
	uint32_t won;
	int local, r;

	if (achan__unlikely(index == NULL))
		return ACHAN_EINVAL;
	local = sel_check(cases, n, flags, &enabled);
	if (achan__unlikely(local < 0))
		return ACHAN_EINVAL;
	r = sel_first_look(cases, n, flags, local, &won);
	if (achan__likely(r != ACHAN_EMPTY)) {
		*index = won;
		return r;
	}
	if (local)
		return ACHAN_EDEADLK;	/* nobody else can make a case ready */
	if (enabled == 0)
		return deadline != NULL ? sleep_until(deadline) : ACHAN_EDEADLK;
	sel_fill(&sel, cases, n, flags, local);
	/* Retry a few times before registering, as the kinds' blocking
	 * calls do (achan__snooze) - unless a case sends on an unbuffered
	 * channel: its try can only meet a registered receiver, and two
	 * parties snoozing would wait for each other.  A receive case may
	 * snooze there: every sender but a select's registers at once
	 * (chan_send_wait), and a select with an unbuffered send case does
	 * too (two blocking selects pairing made ~8k msg/s when both
	 * snoozed). */
	if (!sel_has_unbuffered_send(&sel)) {
		while (achan__snooze(&b)) {
			r = sel_try_all(&sel, sel_start(&sel), &won);
			if (r != ACHAN_EMPTY) {
				*index = won;
				return r;
			}
		}
	}

	p = achan__parker_self();
	waker.wake = achan__parker_wake;
	waker.arg = p;
	sel_init_futures(&sel);
	sel._phase = ACHAN__PHASE_REGISTERED;	/* tried: register at once */
	for (;;) {
		r = sel_poll(&sel, &waker, index);
		if (r != ACHAN_PENDING)
			return r;
		if (achan__park(p, deadline) == ACHAN_TIMEDOUT)
			break;
	}
	/* The deadline passed: look once more (a case ready now completes,
	 * as achan__block_on does), then cancel; a case a server completed
	 * before the cancel still counts. */
	r = sel_poll(&sel, &waker, index);
	if (r != ACHAN_PENDING)
		return r;
	r = sel_cancel(&sel, index);
	return r == ACHAN_CANCELLED ? ACHAN_TIMEDOUT : r;
}

int
achan_select(struct achan_select_case *cases, size_t n, unsigned flags,
		size_t *index)
{
	return sel_block(cases, n, flags, NULL, index);
}

int
achan_select_until(struct achan_select_case *cases, size_t n, unsigned flags,
		const struct timespec *deadline, size_t *index)
{
	if (!achan__timespec_valid(deadline))
		return ACHAN_EINVAL;
	return sel_block(cases, n, flags, deadline, index);
}

int
achan_select_try(struct achan_select_case *cases, size_t n, unsigned flags,
		size_t *index)
{
	size_t enabled;
	uint32_t won;
	int local, r;

	if (achan__unlikely(index == NULL))
		return ACHAN_EINVAL;
	local = sel_check(cases, n, flags, &enabled);
	if (achan__unlikely(local < 0))
		return ACHAN_EINVAL;
	r = sel_first_look(cases, n, flags, local, &won);
	if (r != ACHAN_EMPTY)
		*index = won;
	return r;
}

/* --- the future ------------------------------------------------------------ */

int
achan_select_init(struct achan_select *sel, struct achan_select_case *cases,
		size_t n, unsigned flags)
{
	size_t enabled;
	int local;

	if (sel == NULL)
		return ACHAN_EINVAL;
	local = sel_check(cases, n, flags, &enabled);
	if (local < 0)
		return ACHAN_EINVAL;
	sel_fill(sel, cases, n, flags, local);
	return ACHAN_OK;
}

int
achan_select_poll(struct achan_select *sel, const struct achan_waker *waker,
		size_t *index)
{
	if (sel == NULL || waker == NULL || waker->wake == NULL ||
	    index == NULL || sel->_phase == ACHAN__PHASE_FINISHED ||
	    sel_reentered(sel))
		return ACHAN_EINVAL;
	if (sel->_local)
		return achan__select_local_poll(sel, waker, index);
	return sel_poll(sel, waker, index);
}

int
achan_select_cancel(struct achan_select *sel, size_t *index)
{
	if (sel == NULL || index == NULL || sel_reentered(sel))
		return ACHAN_EINVAL;
	if (sel->_phase == ACHAN__PHASE_FINISHED) {
		/* as every kind's cancel: OK if it had completed with OK */
		if (sel->_result != ACHAN_OK)
			return ACHAN_CANCELLED;
		*index = sel->_index;
		return ACHAN_OK;
	}
	if (sel->_phase == ACHAN__PHASE_FRESH) {
		sel->_phase = ACHAN__PHASE_FINISHED;
		sel->_result = ACHAN_CANCELLED;
		return ACHAN_CANCELLED;
	}
	if (sel->_local)
		return achan__select_local_cancel(sel, index);
	return sel_cancel(sel, index);
}
