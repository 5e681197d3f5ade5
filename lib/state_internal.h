/*
 * state_internal.h - internal only: the state broadcast object, shared by
 * the thread-safe (state.c) and single-thread (state_local.c) translation
 * units.  The algorithm is in state_impl.h.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_LIB_STATE_INTERNAL_H
#define ACHAN_LIB_STATE_INTERNAL_H

#include <time.h>

#include <achan/state.h>

#include "compiler.h"
#include "object.h"
#include "waitq.h"

#define STATE_MAGIC 0x74617473u /* "stat" */

/* The closed flag: the low bit of the published word (snapshots are
 * malloc'd, so their addresses are even). */
#define ACHAN__STATE_CLOSED ((uintptr_t)1)

struct achan_state {
	/*
	 * The published word: the current snapshot's address (0: no state
	 * yet) | ACHAN__STATE_CLOSED.  Written by every send (one CAS) and by
	 * close, read by every receive: a line of its own.
	 */
	uintptr_t word;
	struct achan__waitq waitq ACHAN__CACHE_ALIGNED;
	/* read-mostly: checked on entry, written at init/fini */
	uint32_t magic ACHAN__CACHE_ALIGNED;
	uint32_t flags;		/* ACHAN_LOCAL picks the policy */
	uint32_t heap;
	uint32_t retired;	/* thread-safe: 1 once a snapshot went to
				 * call_rcu (fini then waits: rcu_barrier) */
	size_t elem_size;
	uint64_t id_base;	/* the id before the first state (0) */
	/* local flavour only: open read sections (borrows), and the
	 * superseded snapshots whose free waits for them to end */
	uint32_t local_readers;
	struct achan__snap *local_retired;
	/* written on every registration and finish of a future */
	struct achan__object obj ACHAN__CACHE_ALIGNED;	/* object.h */
};

static inline int
achan__state_ok(const struct achan_state *st)
{
	return st != NULL && st->magic == STATE_MAGIC;
}

static inline int
achan__state_is_local(const struct achan_state *st)
{
	return (st->flags & ACHAN_LOCAL) != 0;
}

/*
 * Test-only hook, never exported (static inline; the tests include this
 * header): make the first state's id `id + 1`, so the UINT64_MAX rule can
 * be tested without 2^64 sends.  Only on a channel that never had a state
 * and is not shared yet.
 */
static inline int
achan__state_test_set_id(struct achan_state *st, uint64_t id)
{
	if (!achan__state_ok(st) || st->word != 0)
		return ACHAN_EINVAL;
	st->id_base = id;
	return ACHAN_OK;
}

/* The single-thread flavour's entry points (state_local.c); arguments are
 * already validated by the public functions in state.c. */
int achan__state_local_send(struct achan_state *st, const void *value);
int achan__state_local_close(struct achan_state *st);
int achan__state_local_look(struct achan_state *st, uint64_t after,
		void *out, uint64_t *id);
int achan__state_local_recv_wait(struct achan_state *st, uint64_t after,
		void *out, uint64_t *id, const struct timespec *deadline);
int achan__state_local_borrow(struct achan_state *st, uint64_t after,
		struct achan_state_borrow *b, const void **value, uint64_t *id);
void achan__state_local_borrow_end(struct achan_state_borrow *b);
uint64_t achan__state_local_id(struct achan_state *st);
int achan__state_local_recv_poll(struct achan_state_recv_future *f,
		const struct achan_waker *waker);
int achan__state_local_recv_cancel(struct achan_state_recv_future *f);

#endif /* ACHAN_LIB_STATE_INTERNAL_H */
