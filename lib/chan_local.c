/*
 * chan_local.c - the single-thread flavour of the channel (ACHAN_LOCAL):
 * the same algorithm as the thread-safe one (chan_impl.h), compiled under
 * sync_local.h - plain loads and stores, no locks, no futex.  chan.c has
 * checked the arguments before calling these.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "sync_local.h"
#include "chan_impl.h"

int
achan__chan_local_try_send(struct achan_chan *ch, const void *value)
{
	return chan_try_send(ch, value);
}

int
achan__chan_local_try_recv(struct achan_chan *ch, void *out)
{
	return chan_try_recv(ch, out);
}

int
achan__chan_local_send_wait(struct achan_chan *ch, const void *value,
		const struct timespec *deadline)
{
	return chan_send_wait(ch, value, deadline);
}

int
achan__chan_local_recv_wait(struct achan_chan *ch, void *out,
		const struct timespec *deadline)
{
	return chan_recv_wait(ch, out, deadline);
}

int
achan__chan_local_send_poll(struct achan_chan_send_future *f,
		const struct achan_waker *waker)
{
	return chan_send_poll(f, waker);
}

int
achan__chan_local_recv_poll(struct achan_chan_recv_future *f,
		const struct achan_waker *waker)
{
	return chan_recv_poll(f, waker);
}

int
achan__chan_local_send_cancel(struct achan_chan_send_future *f)
{
	return chan_send_cancel(f);
}

int
achan__chan_local_recv_cancel(struct achan_chan_recv_future *f)
{
	return chan_recv_cancel(f);
}

int
achan__chan_local_close(struct achan_chan *ch)
{
	return chan_close(ch);
}

size_t
achan__chan_local_len(const struct achan_chan *ch)
{
	return chan_len(ch);
}

int
achan__chan_local_is_closed(const struct achan_chan *ch)
{
	return chan_is_closed(ch);
}

void
achan__chan_local_close_discard(struct achan_chan *ch)
{
	chan_close_discard(ch);
}

int
achan__chan_local_try_send_many(struct achan_chan *ch, const void *values,
		uint64_t n, uint64_t *sent)
{
	return chan_try_send_many(ch, values, n, sent);
}

int
achan__chan_local_try_send_all(struct achan_chan *ch, const void *values,
		uint64_t n)
{
	return chan_try_send_all(ch, values, n);
}

int
achan__chan_local_try_recv_many(struct achan_chan *ch, void *out,
		uint64_t max, uint64_t *got)
{
	return chan_try_recv_many(ch, out, max, got);
}

int
achan__chan_local_send_many_wait(struct achan_chan *ch, const void *values,
		uint64_t n, const struct timespec *deadline, uint64_t *sent)
{
	return chan_send_many_wait(ch, values, n, deadline, sent);
}

int
achan__chan_local_recv_many_wait(struct achan_chan *ch, void *out,
		uint64_t max, const struct timespec *deadline, uint64_t *got)
{
	return chan_recv_many_wait(ch, out, max, deadline, got);
}

int
achan__chan_local_send_many_poll(struct achan_chan_send_many_future *f,
		const struct achan_waker *waker)
{
	return chan_send_many_poll(f, waker);
}

int
achan__chan_local_send_many_cancel(struct achan_chan_send_many_future *f)
{
	return chan_send_many_cancel(f);
}

int
achan__chan_local_recv_many_poll(struct achan_chan_recv_many_future *f,
		const struct achan_waker *waker)
{
	return chan_recv_many_poll(f, waker);
}

int
achan__chan_local_recv_many_cancel(struct achan_chan_recv_many_future *f)
{
	return chan_recv_many_cancel(f);
}
