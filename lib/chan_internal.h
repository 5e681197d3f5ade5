/*
 * chan_internal.h - internal only: the channel object, shared by the
 * thread-safe (chan.c) and single-thread (chan_local.c) translation units.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_LIB_CHAN_INTERNAL_H
#define ACHAN_LIB_CHAN_INTERNAL_H

#include <time.h>

#include <achan/chan.h>

#include "compiler.h"
#include "object.h"
#include "ring.h"
#include "waitq.h"

#define CHAN_MAGIC 0x6e616863u /* "chan" */

enum { SIDE_SEND = 0, SIDE_RECV = 1 };

struct achan_chan {
	/* hot, read-mostly geometry + the ring's counters on lines of their own */
	struct achan__ring ring;
	struct achan__waitq sendq ACHAN__CACHE_ALIGNED;
	struct achan__waitq recvq ACHAN__CACHE_ALIGNED;
	/* read-mostly: checked on entry, written at init/fini */
	uint32_t magic ACHAN__CACHE_ALIGNED;
	uint32_t flags;		/* ACHAN_LOCAL picks the policy */
	uint32_t heap;
	void (*dtor)(void *elem, void *arg);
	void *dtor_arg;
	/* written on every registration and finish of a future: a line of
	 * its own, so the read-mostly line above stays shared */
	struct achan__object obj ACHAN__CACHE_ALIGNED;	/* object.h */
	/* ring slots follow, cache-line aligned */
	unsigned char slots[] ACHAN__CACHE_ALIGNED;
};

static inline int
achan__chan_ok(const struct achan_chan *ch)
{
	return ch != NULL && ch->magic == CHAN_MAGIC;
}

static inline int
achan__chan_is_local(const struct achan_chan *ch)
{
	return (ch->flags & ACHAN_LOCAL) != 0;
}

/* The single-thread flavour's entry points (chan_local.c); arguments are
 * already validated by the public functions in chan.c. */
int achan__chan_local_try_send(struct achan_chan *ch, const void *value);
int achan__chan_local_try_recv(struct achan_chan *ch, void *out);
int achan__chan_local_send_wait(struct achan_chan *ch, const void *value,
		const struct timespec *deadline);
int achan__chan_local_recv_wait(struct achan_chan *ch, void *out,
		const struct timespec *deadline);
int achan__chan_local_send_poll(struct achan_chan_send_future *f,
		const struct achan_waker *waker);
int achan__chan_local_recv_poll(struct achan_chan_recv_future *f,
		const struct achan_waker *waker);
int achan__chan_local_send_cancel(struct achan_chan_send_future *f);
int achan__chan_local_recv_cancel(struct achan_chan_recv_future *f);
int achan__chan_local_close(struct achan_chan *ch);
size_t achan__chan_local_len(const struct achan_chan *ch);
int achan__chan_local_is_closed(const struct achan_chan *ch);
void achan__chan_local_close_discard(struct achan_chan *ch);

#endif /* ACHAN_LIB_CHAN_INTERNAL_H */
