/*
 * t/state_basic.c - the state broadcast contract (SEMANTICS.md, "State
 * broadcast"), one rule at a time: the first id is 1; only the latest
 * state is kept; the same id always yields the same value; close keeps the
 * value for older ids; try_recv tells EMPTY from CLOSED; a send that would
 * pass UINT64_MAX is refused and closes (started near the end through the
 * test-only hook in lib/state_internal.h); the borrow pair; receive futures
 * (PENDING, every waiter woken by a send or a close, a woken future gets
 * the state current when it polls, cancel, poll after completion, EBUSY);
 * blocking and deadline receives; the local flavour (EDEADLK); shared
 * handles; bad input.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdalign.h>

#include "test_util.h"

/* The test-only id hook (static inline, never exported by libachan). */
#include "state_internal.h"

struct val {
	uint64_t a, b;
};

static struct achan_state *
mk(size_t elem, unsigned flags)
{
	struct achan_state *st = NULL;

	if (achan_state_create(&st, elem, flags) != ACHAN_OK || st == NULL)
		bail_out("achan_state_create(%zu, %u) failed", elem, flags);
	return st;
}

static int
send_u64(struct achan_state *st, uint64_t v)
{
	return achan_state_send(st, &v);
}

/* --- ids and values --------------------------------------------------------- */

static void
test_first_id_and_latest(unsigned flags)
{
	const char *fl = flags ? "local" : "mt";
	struct achan_state *st = mk(sizeof(uint64_t), flags);
	uint64_t out = 0, id = 99, out2 = 0, id2 = 0;

	is_u(achan_state_id(st), 0, "%s: a new channel is at id 0", fl);
	is_st(achan_state_try_recv(st, ACHAN_STATE_ID_INIT, &out, &id),
	    ACHAN_EMPTY, "%s: try_recv before the first state: EMPTY", fl);
	is_u(id, 99, "%s: id untouched when nothing is returned", fl);
	is_st(send_u64(st, 10), ACHAN_OK, "%s: send", fl);
	is_u(achan_state_id(st), 1, "%s: the first state has id 1", fl);
	is_st(achan_state_try_recv(st, ACHAN_STATE_ID_INIT, &out, &id),
	    ACHAN_OK, "%s: try_recv(any) after the first send: OK", fl);
	is_u(id, 1, "%s: id 1", fl);
	is_u(out, 10, "%s: value 10", fl);
	is_st(achan_state_try_recv(st, 1, &out, &id), ACHAN_EMPTY,
	    "%s: try_recv(after 1): EMPTY, nothing newer", fl);

	/* only the latest state is kept: intermediate ones are skipped */
	send_u64(st, 11);
	send_u64(st, 12);
	send_u64(st, 13);
	is_st(achan_state_try_recv(st, 1, &out, &id), ACHAN_OK,
	    "%s: try_recv(after 1) after three sends", fl);
	is_u(id, 4, "%s: gets id 4, the latest", fl);
	is_u(out, 13, "%s: and the latest value", fl);
	is_st(achan_state_try_recv(st, 0, &out2, &id2), ACHAN_OK,
	    "%s: try_recv(any) again", fl);
	ok(id2 == id && out2 == out,
	    "%s: the same id yields the same value (%llu/%llu)", fl,
	    (unsigned long long)id2, (unsigned long long)out2);
	is_st(achan_state_try_recv(st, 3, &out2, NULL), ACHAN_OK,
	    "%s: try_recv with a NULL id pointer", fl);
	is_u(out2, 13, "%s: still value 13", fl);
	is_st(achan_state_try_recv(st, 4, &out, &id), ACHAN_EMPTY,
	    "%s: after the current id: EMPTY", fl);
	is_st(achan_state_try_recv(st, 1000, &out, &id), ACHAN_EMPTY,
	    "%s: after an id from the future: EMPTY", fl);
	is_st(achan_state_destroy(st), ACHAN_OK, "%s: destroy", fl);
}

static void
test_close_keeps_value(unsigned flags)
{
	const char *fl = flags ? "local" : "mt";
	struct achan_state *st = mk(sizeof(uint64_t), flags);
	struct achan_state_borrow b;
	const void *p;
	uint64_t out = 0, id = 0;

	/* closed before the first state */
	is_st(achan_state_close(st), ACHAN_NEWLY_CLOSED,
	    "%s: close: NEWLY_CLOSED", fl);
	is_st(achan_state_close(st), ACHAN_ALREADY_CLOSED,
	    "%s: close again: ALREADY_CLOSED", fl);
	ok(achan_state_is_closed(st), "%s: is_closed", fl);
	is_st(achan_state_try_recv(st, 0, &out, &id), ACHAN_CLOSED,
	    "%s: try_recv with no state, closed: CLOSED (not EMPTY)", fl);
	is_st(achan_state_borrow(st, 0, &b, &p, &id), ACHAN_CLOSED,
	    "%s: borrow with no state, closed: CLOSED", fl);
	is_st(send_u64(st, 1), ACHAN_CLOSED, "%s: send after close: CLOSED", fl);
	is_u(achan_state_id(st), 0, "%s: still id 0", fl);
	achan_state_destroy(st);

	/* closed with a state: older ids still get it */
	st = mk(sizeof(uint64_t), flags);
	send_u64(st, 7);
	send_u64(st, 8);
	ok(!achan_state_is_closed(st), "%s: open", fl);
	is_st(achan_state_close(st), ACHAN_NEWLY_CLOSED, "%s: close", fl);
	is_st(send_u64(st, 9), ACHAN_CLOSED, "%s: send after close: CLOSED", fl);
	is_st(achan_state_try_recv(st, 0, &out, &id), ACHAN_OK,
	    "%s: try_recv(any) after close: the kept state", fl);
	ok(id == 2 && out == 8, "%s: id 2, value 8", fl);
	is_st(achan_state_try_recv(st, 1, &out, &id), ACHAN_OK,
	    "%s: try_recv(after 1) after close: OK", fl);
	is_st(achan_state_try_recv(st, 2, &out, &id), ACHAN_CLOSED,
	    "%s: try_recv(after the last id) after close: CLOSED", fl);
	is_st(achan_state_recv(st, 1, &out, &id), ACHAN_OK,
	    "%s: recv(after 1) after close: OK at once", fl);
	is_st(achan_state_recv(st, 2, &out, &id), ACHAN_CLOSED,
	    "%s: recv(after the last id) after close: CLOSED, no wait", fl);
	is_st(achan_state_borrow(st, 0, &b, &p, &id), ACHAN_OK,
	    "%s: borrow after close still lends the last state", fl);
	ok(id == 2 && *(const uint64_t *)p == 8, "%s: lent id 2, value 8", fl);
	is_st(achan_state_borrow_end(&b), ACHAN_OK, "%s: borrow_end", fl);
	is_st(achan_state_borrow(st, 2, &b, &p, &id), ACHAN_CLOSED,
	    "%s: borrow(after the last id) after close: CLOSED", fl);
	is_st(achan_state_destroy(st), ACHAN_OK, "%s: destroy", fl);
}

static void
test_empty_vs_closed(void)
{
	struct achan_state *st = mk(sizeof(uint64_t), 0);
	uint64_t out, id;

	is_st(achan_state_try_recv(st, 0, &out, &id), ACHAN_EMPTY,
	    "try_recv: nothing, open: EMPTY");
	send_u64(st, 1);
	is_st(achan_state_try_recv(st, 1, &out, &id), ACHAN_EMPTY,
	    "try_recv: nothing newer, open: EMPTY");
	achan_state_close(st);
	is_st(achan_state_try_recv(st, 1, &out, &id), ACHAN_CLOSED,
	    "try_recv: nothing newer, closed: CLOSED");
	achan_state_destroy(st);
}

static void
test_id_limit(unsigned flags)
{
	const char *fl = flags ? "local" : "mt";
	struct achan_state *st = mk(sizeof(uint64_t), flags);
	uint64_t out = 0, id = 0;

	is_st(achan__state_test_set_id(st, UINT64_MAX - 2), ACHAN_OK,
	    "%s: hook: start at id UINT64_MAX - 2", fl);
	is_u(achan_state_id(st), UINT64_MAX - 2, "%s: id reads UINT64_MAX - 2", fl);
	is_st(achan_state_try_recv(st, 0, &out, &id), ACHAN_EMPTY,
	    "%s: still no value", fl);
	is_st(send_u64(st, 1), ACHAN_OK, "%s: send -> UINT64_MAX - 1", fl);
	is_st(achan_state_try_recv(st, 0, &out, &id), ACHAN_OK, "%s: recv", fl);
	is_u(id, UINT64_MAX - 1, "%s: id UINT64_MAX - 1", fl);
	is_st(achan__state_test_set_id(st, 5), ACHAN_EINVAL,
	    "%s: hook refused once a state exists", fl);
	is_st(send_u64(st, 2), ACHAN_OK, "%s: send -> UINT64_MAX", fl);
	is_st(achan_state_try_recv(st, UINT64_MAX - 1, &out, &id), ACHAN_OK,
	    "%s: recv the state with id UINT64_MAX", fl);
	ok(id == UINT64_MAX && out == 2, "%s: id UINT64_MAX, value 2", fl);
	ok(!achan_state_is_closed(st), "%s: still open", fl);
	is_st(send_u64(st, 3), ACHAN_CLOSED,
	    "%s: a send that would pass UINT64_MAX is refused: CLOSED", fl);
	ok(achan_state_is_closed(st), "%s: and it closed the channel", fl);
	is_st(achan_state_try_recv(st, UINT64_MAX - 1, &out, &id), ACHAN_OK,
	    "%s: the last state is kept", fl);
	ok(id == UINT64_MAX && out == 2, "%s: still id UINT64_MAX, value 2", fl);
	is_st(achan_state_try_recv(st, UINT64_MAX, &out, &id), ACHAN_CLOSED,
	    "%s: nothing newer than UINT64_MAX: CLOSED, nobody waits", fl);
	is_st(achan_state_recv(st, UINT64_MAX, &out, &id), ACHAN_CLOSED,
	    "%s: blocking recv(after UINT64_MAX): CLOSED at once", fl);
	is_st(achan_state_close(st), ACHAN_ALREADY_CLOSED,
	    "%s: close after the refusal: ALREADY_CLOSED", fl);
	achan_state_destroy(st);

	/* at UINT64_MAX with no value: the very first send is refused */
	st = mk(sizeof(uint64_t), flags);
	achan__state_test_set_id(st, UINT64_MAX);
	is_st(send_u64(st, 1), ACHAN_CLOSED,
	    "%s: at UINT64_MAX without a value: send refused", fl);
	is_st(achan_state_try_recv(st, 0, &out, &id), ACHAN_CLOSED,
	    "%s: closed with no value: CLOSED", fl);
	achan_state_destroy(st);
}

static void
test_waiter_at_max_woken_by_refusal(void)
{
	struct achan_state *st = mk(sizeof(uint64_t), 0);
	struct achan_state_recv_future f;
	struct rec_waker w;
	uint64_t out = 0, id = 0;

	achan__state_test_set_id(st, UINT64_MAX - 1);
	send_u64(st, 1);
	rec_init(&w, 1, NULL);
	achan_state_recv_future_init(&f, st, UINT64_MAX, &out, &id);
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_PENDING,
	    "waiter holding id UINT64_MAX: PENDING");
	is_st(send_u64(st, 2), ACHAN_CLOSED, "the refused send");
	is_u(rec_calls(&w), 1, "woke the waiter (the refusal closes)");
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_CLOSED, "which gets CLOSED");
	achan_state_destroy(st);
}

/* --- borrow ------------------------------------------------------------------- */

static void
test_borrow(unsigned flags)
{
	const char *fl = flags ? "local" : "mt";
	struct achan_state *st = mk(sizeof(struct val), flags);
	struct achan_state_borrow b, b2;
	struct val v = { 1, 2 }, out;
	const void *p = NULL, *p2 = NULL;
	uint64_t id = 0, id2 = 0;

	is_st(achan_state_borrow(st, 0, &b, &p, &id), ACHAN_EMPTY,
	    "%s: borrow before the first state: EMPTY", fl);
	is_st(achan_state_borrow_end(&b), ACHAN_EINVAL,
	    "%s: borrow_end without an open borrow: EINVAL", fl);
	achan_state_send(st, &v);
	is_st(achan_state_borrow(st, 0, &b, &p, &id), ACHAN_OK,
	    "%s: borrow: OK", fl);
	is_u(id, 1, "%s: lends id 1", fl);
	ok(((uintptr_t)p % alignof(max_align_t)) == 0,
	    "%s: the lent bytes are aligned for any type", fl);
	ok(((const struct val *)p)->a == 1 && ((const struct val *)p)->b == 2,
	    "%s: lends the value in place", fl);
	is_st(achan_state_borrow(st, 1, &b2, &p2, &id2), ACHAN_EMPTY,
	    "%s: a nested borrow(after 1): EMPTY", fl);
	/* sends while the borrow is open do not touch the lent bytes */
	v.a = 3;
	v.b = 4;
	is_st(achan_state_send(st, &v), ACHAN_OK, "%s: send during a borrow", fl);
	v.a = 5;
	v.b = 6;
	is_st(achan_state_send(st, &v), ACHAN_OK, "%s: and another", fl);
	ok(((const struct val *)p)->a == 1 && ((const struct val *)p)->b == 2,
	    "%s: the borrowed state is unchanged", fl);
	is_st(achan_state_borrow(st, 1, &b2, &p2, &id2), ACHAN_OK,
	    "%s: a nested borrow of the newer state", fl);
	ok(id2 == 3 && ((const struct val *)p2)->a == 5, "%s: id 3, value 5", fl);
	is_st(achan_state_try_recv(st, 0, &out, &id2), ACHAN_OK,
	    "%s: try_recv inside a borrow", fl);
	is_st(achan_state_borrow_end(&b2), ACHAN_OK, "%s: end the inner", fl);
	ok(((const struct val *)p)->a == 1, "%s: the outer is still intact", fl);
	is_st(achan_state_borrow_end(&b), ACHAN_OK, "%s: end the outer", fl);
	is_st(achan_state_borrow_end(&b), ACHAN_EINVAL,
	    "%s: ending it again: EINVAL", fl);
	is_st(achan_state_borrow(st, 3, &b, &p, &id), ACHAN_EMPTY,
	    "%s: borrow(after the current id): EMPTY", fl);
	is_st(achan_state_destroy(st), ACHAN_OK, "%s: destroy", fl);
}

/* NULL out: every receive only looks or waits, then the reader borrows. */
static void
test_wait_only(unsigned flags)
{
	const char *fl = flags ? "local" : "mt";
	struct achan_state *st = mk(sizeof(struct val), flags);
	struct achan_state_recv_future f;
	struct achan_state_borrow b;
	struct rec_waker w;
	struct val v = { 7, 8 };
	const void *p = NULL;
	uint64_t id = 0;

	is_st(achan_state_try_recv(st, 0, NULL, &id), ACHAN_EMPTY,
	    "%s: wait-only try_recv before the first state: EMPTY", fl);
	achan_state_send(st, &v);
	is_st(achan_state_try_recv(st, 0, NULL, &id), ACHAN_OK,
	    "%s: wait-only try_recv: OK", fl);
	is_u(id, 1, "%s: and the id of the newer state", fl);
	is_st(achan_state_recv(st, 0, NULL, NULL), ACHAN_OK,
	    "%s: wait-only recv with nothing to wait for: OK", fl);
	is_st(achan_state_recv_future_init(&f, st, 1, NULL, &id), ACHAN_OK,
	    "%s: wait-only future init", fl);
	rec_init(&w, 0, NULL);
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_PENDING,
	    "%s: wait-only future: PENDING", fl);
	v.a = 9;
	achan_state_send(st, &v);
	ok(w.calls == 1, "%s: a send wakes it", fl);
	id = 0;
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_OK, "%s: then OK", fl);
	is_u(id, 2, "%s: with id 2", fl);
	is_st(achan_state_borrow(st, 1, &b, &p, &id), ACHAN_OK,
	    "%s: and the reader borrows it", fl);
	ok(((const struct val *)p)->a == 9, "%s: in place", fl);
	achan_state_borrow_end(&b);
	achan_state_close(st);
	is_st(achan_state_recv(st, 2, NULL, &id), ACHAN_CLOSED,
	    "%s: wait-only recv after close: CLOSED", fl);
	is_st(achan_state_destroy(st), ACHAN_OK, "%s: destroy", fl);
}

/* --- futures ------------------------------------------------------------------------ */

static void
test_futures_wake_all(unsigned flags)
{
	const char *fl = flags ? "local" : "mt";
	struct achan_state *st = mk(sizeof(uint64_t), flags);
	struct achan_state_recv_future f[3];
	struct rec_waker w[3];
	struct wake_log log;
	uint64_t out[3] = { 0, 0, 0 }, id[3] = { 0, 0, 0 };
	int i;

	wake_log_reset(&log);
	send_u64(st, 100);	/* id 1 */
	for (i = 0; i < 3; i++) {
		rec_init(&w[i], i, &log);
		/* the third holds an id from the future */
		is_st(achan_state_recv_future_init(&f[i], st, i < 2 ? 1 : 5,
		    &out[i], &id[i]), ACHAN_OK, "%s: future %d init", fl, i);
		is_st(achan_state_recv_poll(&f[i], &w[i].w), ACHAN_PENDING,
		    "%s: future %d: nothing newer: PENDING", fl, i);
	}
	is_st(achan_state_recv_poll(&f[0], &w[0].w), ACHAN_PENDING,
	    "%s: polling a registered future again: PENDING", fl);
	is_st(achan_state_destroy(st), ACHAN_EBUSY,
	    "%s: destroy with registered futures: EBUSY", fl);
	send_u64(st, 101);	/* id 2 */
	for (i = 0; i < 3; i++)
		is_u(rec_calls(&w[i]), 1, "%s: the send woke future %d", fl, i);
	ok(wake_log_len(&log) == 3 && wake_log_at(&log, 0) == 0 &&
	    wake_log_at(&log, 1) == 1 && wake_log_at(&log, 2) == 2,
	    "%s: oldest first", fl);
	send_u64(st, 102);	/* id 3, before anyone polls */
	is_u(rec_calls(&w[0]), 1, "%s: a woken future is not woken again", fl);
	is_st(achan_state_recv_poll(&f[0], &w[0].w), ACHAN_OK,
	    "%s: future 0 polls: OK", fl);
	ok(id[0] == 3 && out[0] == 102,
	    "%s: and gets the state current when it looks (id 3), not the one "
	    "that woke it", fl);
	is_st(achan_state_recv_poll(&f[0], &w[0].w), ACHAN_EINVAL,
	    "%s: poll after OK: EINVAL", fl);
	is_st(achan_state_recv_cancel(&f[0]), ACHAN_OK,
	    "%s: cancel after OK: OK (had completed)", fl);
	is_st(achan_state_recv_poll(&f[2], &w[2].w), ACHAN_PENDING,
	    "%s: the future holding id 5 registers again: PENDING", fl);
	/* woken but never polled: cancel says CANCELLED, nothing to hand on */
	is_st(achan_state_recv_cancel(&f[1]), ACHAN_CANCELLED,
	    "%s: cancel of a woken, unpolled future: CANCELLED", fl);
	is_st(achan_state_recv_poll(&f[1], &w[1].w), ACHAN_EINVAL,
	    "%s: poll after cancel: EINVAL", fl);
	is_st(achan_state_recv_cancel(&f[2]), ACHAN_CANCELLED,
	    "%s: cancel of a registered future: CANCELLED", fl);
	send_u64(st, 103);
	is_u(rec_calls(&w[2]), 1, "%s: a cancelled future is never woken", fl);
	is_st(achan_state_destroy(st), ACHAN_OK,
	    "%s: destroy once every future is done", fl);
}

static void
test_futures_misc(unsigned flags)
{
	const char *fl = flags ? "local" : "mt";
	struct achan_state *st = mk(sizeof(uint64_t), flags);
	struct achan_state_recv_future f, g;
	struct rec_waker w, w2;
	uint64_t out = 0, id = 0, out2 = 0, id2 = 0;

	rec_init(&w, 1, NULL);
	rec_init(&w2, 2, NULL);
	/* completes at once */
	send_u64(st, 5);
	achan_state_recv_future_init(&f, st, 0, &out, &id);
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_OK,
	    "%s: a state newer than after exists: OK at once", fl);
	ok(id == 1 && out == 5 && rec_calls(&w) == 0,
	    "%s: id 1, value 5, no waker call", fl);
	/* fresh cancel */
	achan_state_recv_future_init(&f, st, 1, &out, &id);
	is_st(achan_state_recv_cancel(&f), ACHAN_CANCELLED,
	    "%s: cancel of a fresh future: CANCELLED", fl);
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_EINVAL,
	    "%s: poll after that cancel: EINVAL", fl);
	/* waker replacement */
	achan_state_recv_future_init(&f, st, 1, &out, &id);
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_PENDING, "%s: PENDING", fl);
	is_st(achan_state_recv_poll(&f, &w2.w), ACHAN_PENDING,
	    "%s: PENDING again, with another waker", fl);
	send_u64(st, 6);
	ok(rec_calls(&w) == 0 && rec_calls(&w2) == 1,
	    "%s: only the latest waker fires", fl);
	is_st(achan_state_recv_poll(&f, &w2.w), ACHAN_OK, "%s: OK", fl);
	ok(id == 2 && out == 6, "%s: id 2, value 6", fl);
	/* close wakes; a newer state beats CLOSED */
	rec_init(&w, 1, NULL);
	rec_init(&w2, 2, NULL);
	achan_state_recv_future_init(&f, st, 2, &out, &id);
	achan_state_recv_future_init(&g, st, 2, &out2, &id2);
	achan_state_recv_poll(&f, &w.w);
	is_st(achan_state_recv_poll(&g, &w2.w), ACHAN_PENDING,
	    "%s: two waiters at id 2", fl);
	send_u64(st, 7);
	is_st(achan_state_close(st), ACHAN_NEWLY_CLOSED,
	    "%s: a send, then close", fl);
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_OK,
	    "%s: the waiter gets the newer state, not CLOSED", fl);
	ok(id == 3 && out == 7, "%s: id 3, value 7", fl);
	is_st(achan_state_recv_poll(&g, &w2.w), ACHAN_OK,
	    "%s: so does the other", fl);
	rec_init(&w, 1, NULL);
	achan_state_recv_future_init(&f, st, 3, &out, &id);
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_CLOSED,
	    "%s: after close, nothing newer: CLOSED at once", fl);
	is_st(achan_state_recv_cancel(&f), ACHAN_CANCELLED,
	    "%s: cancel after CLOSED: CANCELLED", fl);
	achan_state_destroy(st);

	/* close wakes a waiter holding the latest id: CLOSED */
	st = mk(sizeof(uint64_t), flags);
	send_u64(st, 1);
	rec_init(&w, 1, NULL);
	achan_state_recv_future_init(&f, st, 1, &out, &id);
	achan_state_recv_poll(&f, &w.w);
	achan_state_close(st);
	is_u(rec_calls(&w), 1, "%s: close woke the waiter", fl);
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_CLOSED,
	    "%s: which gets CLOSED", fl);
	achan_state_destroy(st);
}

/* A waker that calls back into achan. */
static void
hook_try_recv(struct rec_waker *r)
{
	uint64_t id;

	r->hook_rc = achan_state_try_recv(r->hook_arg, 0, r->hook_buf, &id);
}

static struct achan_state_recv_future *self_f;

static void
hook_poll_self(struct rec_waker *r)
{
	r->hook_rc = achan_state_recv_poll(self_f, &r->w);
	if (r->hook_rc == ACHAN_EINVAL)
		r->hook_rc = achan_state_recv_cancel(self_f);
}

static void
test_waker_reentry(void)
{
	struct achan_state *st = mk(sizeof(uint64_t), 0);
	struct achan_state_recv_future f;
	struct rec_waker w;
	uint64_t out, id;

	rec_init(&w, 1, NULL);
	w.hook = hook_try_recv;
	w.hook_arg = st;
	achan_state_recv_future_init(&f, st, 0, &out, &id);
	achan_state_recv_poll(&f, &w.w);
	send_u64(st, 42);
	is_st(w.hook_rc, ACHAN_OK, "try_recv inside the wake: OK (no deadlock)");
	is_u(u64v(w.hook_buf), 42, "value 42");
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_OK, "then the poll");

	rec_init(&w, 1, NULL);
	w.hook = hook_poll_self;
	self_f = &f;
	achan_state_recv_future_init(&f, st, 1, &out, &id);
	achan_state_recv_poll(&f, &w.w);
	send_u64(st, 43);
	is_st(w.hook_rc, ACHAN_EINVAL,
	    "a waker polling or cancelling its own future: EINVAL");
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_OK, "polled after: OK");
	achan_state_destroy(st);
}

/* --- blocking calls ------------------------------------------------------------- */

struct recv_thread {
	pthread_t t;
	struct achan_state *st;
	uint64_t after;
	int until;
	struct timespec deadline;
	uint64_t out, id;
	int rc;
	atomic_int started, done;
};

static void *
recv_main(void *arg)
{
	struct recv_thread *r = arg;

	atomic_store(&r->started, 1);
	r->rc = r->until ?
	    achan_state_recv_until(r->st, r->after, &r->out, &r->id, &r->deadline) :
	    achan_state_recv(r->st, r->after, &r->out, &r->id);
	atomic_store(&r->done, 1);
	return NULL;
}

/* Start a thread in recv (deadline NULL) or recv_until(*deadline). */
static void
recv_start(struct recv_thread *r, struct achan_state *st, uint64_t after,
		const struct timespec *deadline)
{
	memset(r, 0, sizeof(*r));
	r->st = st;
	r->after = after;
	r->rc = -1;
	if (deadline != NULL) {
		r->until = 1;
		r->deadline = *deadline;
	}
	if (pthread_create(&r->t, NULL, recv_main, r) != 0)
		bail_out("pthread_create");
}

static void
recv_settle(struct recv_thread *r)
{
	while (!atomic_load(&r->started))
		sched_yield();
	tu_sleep_ms(30);
}

static void
test_blocking(void)
{
	struct achan_state *st = mk(sizeof(uint64_t), 0);
	struct recv_thread r[3];
	struct timespec t0, dl, past = { 0, 0 }, bad = { 0, 1000000000L };
	uint64_t out, id;
	int i;

	send_u64(st, 1);
	for (i = 0; i < 3; i++)
		recv_start(&r[i], st, 1, NULL);
	for (i = 0; i < 3; i++)
		recv_settle(&r[i]);
	ok(!atomic_load(&r[0].done) && !atomic_load(&r[1].done) &&
	    !atomic_load(&r[2].done), "three blocking receivers wait at id 1");
	send_u64(st, 2);
	for (i = 0; i < 3; i++) {
		pthread_join(r[i].t, NULL);
		ok(r[i].rc == ACHAN_OK && r[i].id == 2 && r[i].out == 2,
		    "receiver %d woken by one send: OK, id 2 (rc %s)", i,
		    st_name(r[i].rc));
	}

	/* deadline */
	t0 = tu_now();
	dl = tu_add_ms(t0, 50);
	is_st(achan_state_recv_until(st, 2, &out, &id, &dl), ACHAN_TIMEDOUT,
	    "recv_until with nothing newer: TIMEDOUT");
	ok(tu_ms_between(t0, tu_now()) >= 45, "after about 50 ms (%.1f)",
	    tu_ms_between(t0, tu_now()));
	is_st(achan_state_recv_until(st, 1, &out, &id, &past), ACHAN_OK,
	    "recv_until with a past deadline and a newer state: OK");
	is_st(achan_state_recv_until(st, 2, &out, &id, &past), ACHAN_TIMEDOUT,
	    "recv_until with a past deadline, nothing newer: TIMEDOUT");
	is_st(achan_state_recv_until(st, 1, &out, &id, NULL), ACHAN_EINVAL,
	    "recv_until(NULL deadline): EINVAL");
	is_st(achan_state_recv_until(st, 1, &out, &id, &bad), ACHAN_EINVAL,
	    "recv_until(tv_nsec = 1e9): EINVAL");

	/* a deadline receiver woken in time */
	dl = tu_add_ms(tu_now(), 10000);
	recv_start(&r[0], st, 2, &dl);
	recv_settle(&r[0]);
	send_u64(st, 3);
	pthread_join(r[0].t, NULL);
	ok(r[0].rc == ACHAN_OK && r[0].id == 3,
	    "recv_until woken by a send before its deadline: OK, id 3");

	/* close wakes blocked receivers: CLOSED */
	recv_start(&r[1], st, 3, NULL);
	recv_settle(&r[1]);
	achan_state_close(st);
	pthread_join(r[1].t, NULL);
	is_st(r[1].rc, ACHAN_CLOSED, "a blocked receiver woken by close: CLOSED");
	is_st(achan_state_destroy(st), ACHAN_OK, "destroy");
}

/* --- local flavour ----------------------------------------------------------------- */

static void
test_local(void)
{
	struct achan_state *st = mk(sizeof(uint64_t), ACHAN_LOCAL);
	struct timespec dl = tu_add_ms(tu_now(), 10);
	uint64_t out, id;

	is_st(achan_state_recv(st, 0, &out, &id), ACHAN_EDEADLK,
	    "local: recv that would wait: EDEADLK");
	is_st(achan_state_recv_until(st, 0, &out, &id, &dl), ACHAN_EDEADLK,
	    "local: recv_until that would wait: EDEADLK");
	send_u64(st, 9);
	is_st(achan_state_recv(st, 0, &out, &id), ACHAN_OK,
	    "local: recv with a newer state: OK");
	ok(id == 1 && out == 9, "local: id 1, value 9");
	is_st(achan_state_recv(st, 1, &out, &id), ACHAN_EDEADLK,
	    "local: recv(after the current id): EDEADLK");
	achan_state_close(st);
	is_st(achan_state_recv(st, 1, &out, &id), ACHAN_CLOSED,
	    "local: recv after close: CLOSED, not EDEADLK");
	achan_state_destroy(st);
}

/* --- caller memory, queries, bad input ---------------------------------------------------- */

static void
test_init_fini_and_badinput(void)
{
	size_t need = achan_state_memsize(16);
	unsigned char *mem = malloc(need + 8);
	struct achan_state *st = NULL, *heap;
	struct achan_state_recv_future f;
	struct achan_state_borrow b;
	struct rec_waker w;
	const void *p;
	uint64_t out, id;

	ok(need > 0, "memsize(16) > 0");
	is_u(achan_state_memsize(ACHAN_STATE_MAX_ELEM_SIZE + 1), 0,
	    "memsize beyond the maximum: 0");
	is_st(achan_state_init(mem + 3, need - 1, 16, 0, &st), ACHAN_EINVAL,
	    "init with too little memory: EINVAL");
	ok(st == NULL, "and *out cleared");
	is_st(achan_state_init(mem + 3, need, 16, 0x80, &st), ACHAN_EINVAL,
	    "init with unknown flags: EINVAL");
	is_st(achan_state_init(mem + 3, need, 16, 0, &st), ACHAN_OK,
	    "init into unaligned caller memory");
	ok(st != NULL && (uintptr_t)st % ACHAN_STATE_ALIGN == 0,
	    "placed on an ACHAN_STATE_ALIGN boundary");
	is_u(achan_state_elem_size(st), 16, "elem_size 16");
	is_st(achan_state_destroy(st), ACHAN_EINVAL,
	    "destroy on an init'd channel: EINVAL");
	for (int i = 0; i < 100; i++) {
		struct val v = { (uint64_t)i, (uint64_t)i * 2 };
		achan_state_send(st, &v);
	}
	is_u(achan_state_id(st), 100, "100 states sent");
	is_st(achan_state_fini(st), ACHAN_OK,
	    "fini frees every superseded state (ASan checks for leaks)");
	is_st(achan_state_fini(st), ACHAN_EINVAL, "fini again: EINVAL");
	free(mem);

	heap = mk(8, 0);
	is_st(achan_state_fini(heap), ACHAN_EINVAL,
	    "fini on a created channel: EINVAL");
	is_st(achan_state_create(NULL, 8, 0), ACHAN_EINVAL, "create(NULL): EINVAL");
	is_st(achan_state_create(&st, ACHAN_STATE_MAX_ELEM_SIZE + 1, 0),
	    ACHAN_EINVAL, "create beyond the maximum elem_size: EINVAL");
	is_st(achan_state_create(&st, 8, 0x10), ACHAN_EINVAL,
	    "create with unknown flags: EINVAL");
	is_st(achan_state_send(NULL, &out), ACHAN_EINVAL, "send(NULL): EINVAL");
	is_st(achan_state_send(heap, NULL), ACHAN_EINVAL,
	    "send(NULL value) with elem_size 8: EINVAL");
	is_st(achan_state_try_recv(NULL, 0, &out, &id), ACHAN_EINVAL,
	    "try_recv(NULL): EINVAL");
	is_st(achan_state_try_recv(heap, 0, NULL, &id), ACHAN_EMPTY,
	    "try_recv(NULL out) with elem_size 8: only looks (EMPTY)");
	is_st(achan_state_recv(NULL, 0, &out, &id), ACHAN_EINVAL,
	    "recv(NULL): EINVAL");
	is_st(achan_state_borrow(NULL, 0, &b, &p, &id), ACHAN_EINVAL,
	    "borrow(NULL): EINVAL");
	is_st(achan_state_borrow(heap, 0, NULL, &p, &id), ACHAN_EINVAL,
	    "borrow(NULL borrow): EINVAL");
	is_st(achan_state_borrow(heap, 0, &b, NULL, &id), ACHAN_EINVAL,
	    "borrow(NULL value pointer): EINVAL");
	is_st(achan_state_borrow_end(NULL), ACHAN_EINVAL, "borrow_end(NULL)");
	is_st(achan_state_close(NULL), ACHAN_EINVAL, "close(NULL): EINVAL");
	ok(achan_state_is_closed(NULL), "is_closed(NULL): 1");
	is_u(achan_state_id(NULL), 0, "id(NULL): 0");
	is_u(achan_state_elem_size(NULL), 0, "elem_size(NULL): 0");
	is_st(achan_state_destroy(NULL), ACHAN_EINVAL, "destroy(NULL): EINVAL");
	is_st(achan_state_recv_future_init(NULL, heap, 0, &out, &id),
	    ACHAN_EINVAL, "future_init(NULL): EINVAL");
	is_st(achan_state_recv_future_init(&f, NULL, 0, &out, &id),
	    ACHAN_EINVAL, "future_init(NULL state): EINVAL");
	achan_state_recv_future_init(&f, heap, 0, &out, &id);
	is_st(achan_state_recv_poll(&f, NULL), ACHAN_EINVAL,
	    "poll(NULL waker): EINVAL");
	rec_init(&w, 1, NULL);
	w.w.wake = NULL;
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_EINVAL,
	    "poll(waker without wake): EINVAL");
	is_st(achan_state_recv_poll(NULL, &w.w), ACHAN_EINVAL, "poll(NULL)");
	is_st(achan_state_recv_cancel(NULL), ACHAN_EINVAL, "cancel(NULL)");
	is_st(achan_state_destroy(heap), ACHAN_OK, "destroy");
}

static void
test_signal_only_and_big(void)
{
	struct achan_state *st = mk(0, 0);
	unsigned char *big, *got;
	uint64_t id = 0;
	size_t n = 4096, i;

	is_st(achan_state_send(st, NULL), ACHAN_OK,
	    "elem_size 0: send(NULL) is a signal");
	is_st(achan_state_try_recv(st, 0, NULL, &id), ACHAN_OK,
	    "elem_size 0: try_recv(NULL out): OK");
	is_u(id, 1, "with id 1");
	achan_state_destroy(st);

	st = mk(n, 0);
	big = malloc(n);
	got = malloc(n);
	for (i = 0; i < n; i++)
		big[i] = (unsigned char)(i * 7 + 1);
	achan_state_send(st, big);
	memset(big, 0, n);
	achan_state_send(st, big);
	for (i = 0; i < n; i++)
		big[i] = (unsigned char)(i * 13 + 5);
	achan_state_send(st, big);
	is_st(achan_state_try_recv(st, 1, got, &id), ACHAN_OK, "4 KiB states");
	ok(id == 3 && memcmp(big, got, n) == 0, "the latest 4 KiB state, whole");
	free(big);
	free(got);
	achan_state_destroy(st);
}

/* --- shared handles ----------------------------------------------------------------- */

static void
test_handles(void)
{
	struct achan_state_sender tx, tx2, bad;
	struct achan_state_receiver rx, rx2;
	struct achan_state_recv_future f;
	struct rec_waker w;
	struct achan_state *st;
	uint64_t out = 0, id = 0;

	is_st(achan_state_pair(&tx, &rx, sizeof(uint64_t), 0), ACHAN_OK, "pair");
	st = achan_state_sender_state(&tx);
	ok(st != NULL && st == achan_state_receiver_state(&rx),
	    "both handles reach the channel");
	is_st(achan_state_destroy(st), ACHAN_EINVAL,
	    "destroy on a paired channel: EINVAL");
	is_st(achan_state_sender_clone(&tx, &tx2), ACHAN_OK, "senders clone");
	is_st(achan_state_receiver_clone(&rx, &rx2), ACHAN_OK, "receivers clone");
	send_u64(achan_state_sender_state(&tx2), 1);
	is_st(achan_state_sender_release(&tx), ACHAN_OK, "release one sender");
	ok(!achan_state_is_closed(st), "another sender lives: still open");
	ok(achan_state_sender_state(&tx) == NULL, "the released handle is cleared");
	is_st(achan_state_sender_release(&tx), ACHAN_EINVAL,
	    "releasing it again: EINVAL");
	is_st(achan_state_sender_clone(&tx, &bad), ACHAN_EINVAL,
	    "cloning a released handle: EINVAL");

	/* a waiter at the latest id; a newer state, then the last sender */
	rec_init(&w, 1, NULL);
	achan_state_recv_future_init(&f, st, 1, &out, &id);
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_PENDING, "waiter at id 1");
	send_u64(st, 2);
	is_st(achan_state_sender_release(&tx2), ACHAN_OK,
	    "release the last sender");
	ok(achan_state_is_closed(st), "the last sender closed the channel");
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_OK,
	    "the waiter still gets the newer state");
	ok(id == 2 && out == 2, "id 2, value 2");
	rec_init(&w, 1, NULL);
	achan_state_recv_future_init(&f, st, 2, &out, &id);
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_CLOSED,
	    "then nothing newer: CLOSED");
	is_st(achan_state_try_recv(achan_state_receiver_state(&rx2), 0, &out,
	    &id), ACHAN_OK, "receivers keep the last state after close");
	is_st(achan_state_receiver_release(&rx), ACHAN_OK, "release a receiver");
	is_st(achan_state_receiver_release(&rx2), ACHAN_OK,
	    "release the last receiver: freed (ASan checks)");

	/* the last receiver closes: sends fail */
	achan_state_pair(&tx, &rx, sizeof(uint64_t), 0);
	st = achan_state_sender_state(&tx);
	send_u64(st, 1);
	is_st(achan_state_receiver_release(&rx), ACHAN_OK,
	    "release the only receiver");
	is_st(send_u64(st, 2), ACHAN_CLOSED,
	    "the last receiver closed the channel: send fails");
	is_st(achan_state_sender_release(&tx), ACHAN_OK, "release the sender");

	/* a registered future outlives the handles, sees the close */
	achan_state_pair(&tx, &rx, sizeof(uint64_t), 0);
	st = achan_state_receiver_state(&rx);
	rec_init(&w, 1, NULL);
	achan_state_recv_future_init(&f, st, 0, &out, &id);
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_PENDING, "future registered");
	achan_state_sender_release(&tx);
	is_u(rec_calls(&w), 1, "the last sender's close woke it");
	achan_state_receiver_release(&rx);
	is_st(achan_state_recv_poll(&f, &w.w), ACHAN_CLOSED,
	    "the future outlived both handles: CLOSED, then freed");

	/* same, cancelled instead */
	achan_state_pair(&tx, &rx, sizeof(uint64_t), 0);
	st = achan_state_receiver_state(&rx);
	achan_state_sender_clone(&tx, &tx2);
	send_u64(st, 5);
	rec_init(&w, 1, NULL);
	achan_state_recv_future_init(&f, st, 1, &out, &id);
	achan_state_recv_poll(&f, &w.w);
	achan_state_sender_release(&tx);
	achan_state_sender_release(&tx2);
	achan_state_receiver_release(&rx);
	is_st(achan_state_recv_cancel(&f), ACHAN_CANCELLED,
	    "cancelling the last future frees the channel");

	/* local pair */
	is_st(achan_state_pair(&tx, &rx, sizeof(uint64_t), ACHAN_LOCAL),
	    ACHAN_OK, "local pair");
	send_u64(achan_state_sender_state(&tx), 3);
	achan_state_sender_release(&tx);
	is_st(achan_state_try_recv(achan_state_receiver_state(&rx), 0, &out,
	    &id), ACHAN_OK, "local: the kept state after the last sender");
	is_st(achan_state_receiver_release(&rx), ACHAN_OK, "local: freed");
	is_st(achan_state_pair(NULL, &rx, 8, 0), ACHAN_EINVAL, "pair(NULL)");
	is_st(achan_state_pair(&tx, &rx, ACHAN_STATE_MAX_ELEM_SIZE + 1, 0),
	    ACHAN_EINVAL, "pair beyond the maximum elem_size");
	ok(achan_state_sender_state(&tx) == NULL &&
	    achan_state_receiver_state(&rx) == NULL,
	    "a failed pair leaves the handles cleared");
}

/* --- several senders ------------------------------------------------------------ */

#define MS_SENDERS 4
#define MS_PER 2000

static struct achan_state *ms_st;

static void *
ms_send(void *arg)
{
	uint64_t base = (uintptr_t)arg * 1000000u;

	for (uint64_t i = 0; i < MS_PER; i++)
		if (send_u64(ms_st, base + i) != ACHAN_OK)
			return (void *)1;
	return NULL;
}

static void
test_many_senders(void)
{
	pthread_t t[MS_SENDERS];
	uint64_t out = 0, id = 0;
	void *rv;
	int bad = 0;

	ms_st = mk(sizeof(uint64_t), 0);
	for (uintptr_t i = 0; i < MS_SENDERS; i++)
		pthread_create(&t[i], NULL, ms_send, (void *)i);
	for (int i = 0; i < MS_SENDERS; i++) {
		pthread_join(t[i], &rv);
		bad += rv != NULL;
	}
	is_u(bad, 0, "%d concurrent senders: every send OK", MS_SENDERS);
	is_u(achan_state_id(ms_st), MS_SENDERS * MS_PER,
	    "ids count every send exactly once");
	is_st(achan_state_try_recv(ms_st, 0, &out, &id), ACHAN_OK, "recv");
	ok(out % 1000000u == MS_PER - 1,
	    "the latest state is some sender's last value");
	achan_state_destroy(ms_st);
}

int
main(void)
{
	tap_watchdog(60);
	test_first_id_and_latest(0);
	test_first_id_and_latest(ACHAN_LOCAL);
	test_close_keeps_value(0);
	test_close_keeps_value(ACHAN_LOCAL);
	test_wait_only(0);
	test_wait_only(ACHAN_LOCAL);
	test_empty_vs_closed();
	test_id_limit(0);
	test_id_limit(ACHAN_LOCAL);
	test_waiter_at_max_woken_by_refusal();
	test_borrow(0);
	test_borrow(ACHAN_LOCAL);
	test_futures_wake_all(0);
	test_futures_wake_all(ACHAN_LOCAL);
	test_futures_misc(0);
	test_futures_misc(ACHAN_LOCAL);
	test_waker_reentry();
	test_blocking();
	test_local();
	test_init_fini_and_badinput();
	test_signal_only_and_big();
	test_handles();
	test_many_senders();
	return done_testing();
}
