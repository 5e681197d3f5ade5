/*
 * fuzz/ref_once.h - reference model of the oneshot (one value, one taker)
 * and the oneshot broadcast (one value, every receiver), single-threaded,
 * written from SEMANTICS.md ("Oneshot", "Oneshot broadcast", "Common").
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_FUZZ_REF_ONCE_H
#define ACHAN_FUZZ_REF_ONCE_H

#include "ref.h"

#define REF_ONCE_FUTS 8
#define REF_ONCE_HANDLES 4	/* receiver handle variables (broadcast) */

enum { RO_EMPTY, RO_READY, RO_TAKEN };

struct ref_once {
	int bcast;
	int value_state;	/* RO_* */
	int closed;		/* close was called */
	uint64_t value;
	struct ref_queue q;
	struct ref_fut fut[REF_ONCE_FUTS + REF_SEL_CASES];
	struct ref_dtor dtor;
	/* made as a pair: the sender handle, live receiver handle variables */
	int paired;
	int tx;
	int rx[REF_ONCE_HANDLES];
	int freed;
};

void ref_once_init(struct ref_once *m, int bcast, int paired);

int ref_once_send(struct ref_once *m, uint64_t v);
int ref_once_try_recv(struct ref_once *m, uint64_t *v);
/* Would a receive complete now? */
int ref_once_recv_ready(const struct ref_once *m);
int ref_once_close(struct ref_once *m);
int ref_once_is_closed(const struct ref_once *m);

int ref_once_poll(struct ref_once *m, unsigned i, uint64_t *v);
int ref_once_cancel(struct ref_once *m, unsigned i, uint64_t *v);

int ref_once_busy(const struct ref_once *m);
int ref_once_destroy(struct ref_once *m);

/* Handles (paired).  rx 0: the sender (one, never clonable). */
int ref_once_clone(struct ref_once *m, int rx, unsigned from, unsigned to);
int ref_once_release(struct ref_once *m, int rx, unsigned h);
int ref_once_usable(const struct ref_once *m);

#endif /* ACHAN_FUZZ_REF_ONCE_H */
