/*
 * fuzz/ref_state.h - reference model of the state broadcast channel
 * (latest state, monotonic ids), single-threaded, written from SEMANTICS.md
 * ("State broadcast", "Common").
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_FUZZ_REF_STATE_H
#define ACHAN_FUZZ_REF_STATE_H

#include "ref.h"

#define REF_STATE_FUTS 8
#define REF_STATE_HANDLES 4

struct ref_state {
	uint64_t id;		/* the current state's id (the start id before
				 * the first state) */
	int has;		/* a state exists */
	uint64_t value;
	int closed;
	struct ref_queue q;
	struct ref_fut fut[REF_STATE_FUTS + REF_SEL_CASES];	/* .after: what it waits past */
	int paired;
	int tx[REF_STATE_HANDLES], rx[REF_STATE_HANDLES];
	int freed;
};

/* start_id: the id before the first state (0; nearer UINT64_MAX to test
 * the end of the id space). */
void ref_state_init(struct ref_state *m, uint64_t start_id, int paired);

int ref_state_send(struct ref_state *m, uint64_t v);
int ref_state_close(struct ref_state *m);
/* try_recv and borrow: ACHAN_OK (value and id), ACHAN_EMPTY, ACHAN_CLOSED. */
int ref_state_look(const struct ref_state *m, uint64_t after, uint64_t *v,
		uint64_t *id);

/* A FREE slot starts a receive of a state newer than `after`. */
int ref_state_poll(struct ref_state *m, unsigned i, uint64_t after,
		uint64_t *v, uint64_t *id);
int ref_state_cancel(struct ref_state *m, unsigned i);

int ref_state_busy(const struct ref_state *m);
int ref_state_destroy(struct ref_state *m);

int ref_state_clone(struct ref_state *m, int rx, unsigned from, unsigned to);
int ref_state_release(struct ref_state *m, int rx, unsigned h);
int ref_state_usable(const struct ref_state *m);

#endif /* ACHAN_FUZZ_REF_STATE_H */
