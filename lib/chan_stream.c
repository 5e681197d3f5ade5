/*
 * chan_stream.c - the fused receive stream, built on the public future API
 * (no private access to the channel: it is what a user could write, kept
 * here so that every user gets the fused, cancel-safe version).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <achan/chan.h>

enum { STREAM_IDLE = 0, STREAM_WAITING = 1, STREAM_CLOSED = 2, STREAM_MAGIC = 0x57000000u };

static int
stream_ok(const struct achan_chan_stream *s)
{
	return s != NULL && (s->_state & 0xff000000u) == STREAM_MAGIC;
}

static uint32_t
stream_state(const struct achan_chan_stream *s)
{
	return s->_state & 0xffu;
}

static void
set_state(struct achan_chan_stream *s, uint32_t st)
{
	s->_state = STREAM_MAGIC | st;
}

int
achan_chan_stream_init(struct achan_chan_stream *s, struct achan_chan *ch,
		void *out)
{
	struct achan_chan_recv_future probe;

	if (s == NULL)
		return ACHAN_EINVAL;
	/* Let the future's own checks judge ch and out. */
	if (achan_chan_recv_future_init(&probe, ch, out) != ACHAN_OK)
		return ACHAN_EINVAL;
	s->_ch = ch;
	s->_out = out;
	set_state(s, STREAM_IDLE);
	return ACHAN_OK;
}

/* Fold a final result into the stream's state. */
static int
stream_result(struct achan_chan_stream *s, int r)
{
	if (r == ACHAN_CLOSED)
		set_state(s, STREAM_CLOSED);
	else if (r != ACHAN_PENDING)
		set_state(s, STREAM_IDLE);
	return r;
}

int
achan_chan_stream_poll(struct achan_chan_stream *s,
		const struct achan_waker *waker)
{
	int r;

	if (!stream_ok(s))
		return ACHAN_EINVAL;
	switch (stream_state(s)) {
	case STREAM_CLOSED:
		return ACHAN_CLOSED;
	case STREAM_IDLE:
		r = achan_chan_recv_future_init(&s->_f, s->_ch, s->_out);
		if (r != ACHAN_OK)
			return r;
		break;
	default:
		break;
	}
	r = achan_chan_recv_poll(&s->_f, waker);
	if (r == ACHAN_PENDING) {
		set_state(s, STREAM_WAITING);
		return r;
	}
	if (r == ACHAN_EINVAL)	/* e.g. a bad waker: the future is untouched */
		return r;
	return stream_result(s, r);
}

int
achan_chan_stream_cancel(struct achan_chan_stream *s)
{
	int r;

	if (!stream_ok(s))
		return ACHAN_EINVAL;
	if (stream_state(s) != STREAM_WAITING)
		return ACHAN_CANCELLED;
	r = achan_chan_recv_cancel(&s->_f);
	/* EINVAL: called from the future's own wake; nothing was cancelled,
	 * and the future is still registered - the stream keeps waiting
	 * (fuzz/crashes/chan-stream-cancel-in-wake) */
	if (r != ACHAN_EINVAL)
		set_state(s, STREAM_IDLE);
	return r;
}

static int
stream_wait(struct achan_chan_stream *s, const struct timespec *deadline)
{
	int r;

	if (!stream_ok(s))
		return ACHAN_EINVAL;
	if (stream_state(s) == STREAM_CLOSED)
		return ACHAN_CLOSED;
	if (stream_state(s) == STREAM_WAITING) {
		r = achan_chan_stream_cancel(s);
		if (r == ACHAN_OK)
			return ACHAN_OK;  /* the pending receive had its value */
		if (r == ACHAN_EINVAL)
			return r;	/* from its own wake: must not block */
	}
	r = deadline != NULL ? achan_chan_recv_until(s->_ch, s->_out, deadline) :
	    achan_chan_recv(s->_ch, s->_out);
	if (r == ACHAN_CLOSED)
		set_state(s, STREAM_CLOSED);
	return r;
}

int
achan_chan_stream_next(struct achan_chan_stream *s)
{
	return stream_wait(s, NULL);
}

int
achan_chan_stream_next_until(struct achan_chan_stream *s,
		const struct timespec *deadline)
{
	/* Judge the deadline before touching the stream: a bad one must not
	 * cancel a pending receive, nor be answered OK or CLOSED. */
	if (deadline == NULL || deadline->tv_sec < 0 || deadline->tv_nsec < 0 ||
	    deadline->tv_nsec >= 1000000000L)
		return ACHAN_EINVAL;
	return stream_wait(s, deadline);
}
