/*
 * state_local.c - the single-thread flavour of the state broadcast channel
 * (ACHAN_LOCAL): the same algorithm as the thread-safe one (state_impl.h),
 * compiled under sync_local.h - plain loads and stores, no RCU, no locks,
 * no futex.  A superseded snapshot is freed at once, or when the last
 * borrow open on its channel ends.  state.c has checked the arguments
 * before calling these.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "sync_local.h"
#include "state_impl.h"

int
achan__state_local_send(struct achan_state *st, const void *value)
{
	return state_send(st, value);
}

int
achan__state_local_close(struct achan_state *st)
{
	return state_close(st);
}

int
achan__state_local_look(struct achan_state *st, uint64_t after, void *out,
		uint64_t *id)
{
	return state_look(st, after, out, id, 1);
}

int
achan__state_local_recv_wait(struct achan_state *st, uint64_t after,
		void *out, uint64_t *id, const struct timespec *deadline)
{
	return state_recv_wait(st, after, out, id, deadline);
}

int
achan__state_local_borrow(struct achan_state *st, uint64_t after,
		struct achan_state_borrow *b, const void **value, uint64_t *id)
{
	return state_borrow(st, after, b, value, id);
}

void
achan__state_local_borrow_end(struct achan_state_borrow *b)
{
	state_borrow_end(b);
}

uint64_t
achan__state_local_id(struct achan_state *st)
{
	return state_id(st);
}

int
achan__state_local_recv_poll(struct achan_state_recv_future *f,
		const struct achan_waker *waker)
{
	return state_recv_poll(f, waker);
}

int
achan__state_local_recv_cancel(struct achan_state_recv_future *f)
{
	return state_recv_cancel(f);
}
