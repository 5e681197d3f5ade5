/*
 * oneshot_internal.h - internal only: the object behind both oneshot kinds
 * (achan/oneshot.h: one value, one taker; achan/bcast.h: one value, every
 * receiver gets a copy), shared by the thread-safe (oneshot.c) and the
 * single-thread (oneshot_local.c) translation units.  The algorithm is in
 * oneshot_impl.h.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_LIB_ONESHOT_INTERNAL_H
#define ACHAN_LIB_ONESHOT_INTERNAL_H

#include <time.h>

#include <achan/bcast.h>
#include <achan/oneshot.h>

#include "compiler.h"
#include "object.h"
#include "waitq.h"

#define ONESHOT_MAGIC 0x656e6f31u /* "1one" */
#define BCAST_MAGIC   0x6e6f6e31u /* "1non" */

/*
 * The state word.  The low two bits are the value state; the broadcast kind
 * never uses TAKEN (its value stays READY for every receiver).
 *
 *   EMPTY --send: claim--> WRITING --send: publish--> READY --take--> TAKEN
 *
 * CLOSED: close was called (a value already sent, or being written, stays
 * receivable).  WAITERS: receive futures may be queued, or the finaliser is
 * still waking them (oneshot_impl.h).
 */
enum {
	ONCE_EMPTY = 0u,
	ONCE_WRITING = 1u,
	ONCE_READY = 2u,
	ONCE_TAKEN = 3u,
	ONCE_VALUE = 3u,	/* mask of the value state */
	ONCE_CLOSED = 4u,
	ONCE_WAITERS = 8u
};

/* flags beside ACHAN_LOCAL (internal) */
#define ONCE_F_HEAP 0x100u	/* made by _create: destroy frees it */

/* A receive future's side tag (struct achan__waiter._side). */
#define ONCE_SIDE_RECV 1u

/*
 * Per request, so small: no cache-line padding (96 bytes on LP64, plus the
 * value).  The state word is the only word every operation writes; the
 * queue, the destructor and the object counts are touched only when
 * someone waits, at teardown, or through handles.
 */
struct achan__once {
	uint32_t state;		/* atomic: ONCE_* value state | CLOSED | WAITERS */
	uint32_t magic;		/* ONESHOT_MAGIC / BCAST_MAGIC; 0 once torn down */
	uint32_t flags;		/* ACHAN_LOCAL picks the policy; ONCE_F_HEAP */
	uint32_t elem_size;
	struct achan__waitq q;	/* receive futures, oldest first */
	void (*dtor)(void *elem, void *arg);
	void *dtor_arg;
	struct achan__object obj;	/* object.h: futures and handles */
	unsigned char value[];	/* elem_size bytes, 8-byte aligned */
};

/* The public objects are the one internal object under two names. */
struct achan_oneshot {
	struct achan__once o;
};

struct achan_bcast {
	struct achan__once o;
};

static inline int
achan__once_ok(const struct achan__once *o, uint32_t magic)
{
	return o != NULL && o->magic == magic;
}

static inline int
achan__once_is_local(const struct achan__once *o)
{
	return (o->flags & ACHAN_LOCAL) != 0;
}

/*
 * The single-thread flavour's entry points (oneshot_local.c); the public
 * functions in oneshot.c have validated the arguments.  `bcast` selects the
 * kind: 1 for achan_bcast, 0 for achan_oneshot.
 */
int achan__oneshot_local_send(struct achan__once *o, const void *value);
int achan__oneshot_local_try_recv(struct achan__once *o, void *out, int bcast);
int achan__oneshot_local_recv_wait(struct achan__once *o, void *out,
		const struct timespec *deadline, int bcast);
int achan__oneshot_local_recv_poll(struct achan__once *o,
		struct achan__waiter *w, void *out,
		const struct achan_waker *waker, int bcast);
int achan__oneshot_local_recv_cancel(struct achan__once *o,
		struct achan__waiter *w);
int achan__oneshot_local_close(struct achan__once *o);
int achan__oneshot_local_is_closed(const struct achan__once *o);
void achan__oneshot_local_close_discard(struct achan__once *o);

#endif /* ACHAN_LIB_ONESHOT_INTERNAL_H */
