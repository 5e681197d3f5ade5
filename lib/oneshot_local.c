/*
 * oneshot_local.c - the single-thread flavour of both oneshot kinds
 * (ACHAN_LOCAL): the same algorithm as the thread-safe one (oneshot_impl.h),
 * compiled under sync_local.h - plain loads and stores, no locks, no futex.
 * oneshot.c has checked the arguments before calling these.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "sync_local.h"
#include "oneshot_impl.h"

int
achan__oneshot_local_send(struct achan__once *o, const void *value)
{
	return once_send(o, value);
}

int
achan__oneshot_local_try_recv(struct achan__once *o, void *out, int bcast)
{
	return once_try_recv(o, out, bcast);
}

int
achan__oneshot_local_recv_wait(struct achan__once *o, void *out,
		const struct timespec *deadline, int bcast)
{
	return once_recv_wait(o, out, deadline, bcast);
}

int
achan__oneshot_local_recv_poll(struct achan__once *o, struct achan__waiter *w,
		void *out, const struct achan_waker *waker, int bcast)
{
	return once_recv_poll(o, w, out, waker, bcast);
}

int
achan__oneshot_local_recv_cancel(struct achan__once *o, struct achan__waiter *w)
{
	return once_recv_cancel(o, w);
}

int
achan__oneshot_local_close(struct achan__once *o)
{
	return once_close(o);
}

int
achan__oneshot_local_is_closed(const struct achan__once *o)
{
	return once_is_closed(o);
}

void
achan__oneshot_local_close_discard(struct achan__once *o)
{
	once_close_discard(o);
}
