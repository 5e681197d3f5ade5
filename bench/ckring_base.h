/*
 * bench/ckring_base.h - the Concurrency Kit ck_ring baseline of achan-bench.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A ck_ring (libck 0.7.1) of pointer-sized slots carrying uint64_t values.
 * It is the non-blocking upper bound for a lock-free ring, not a channel:
 * on full/empty a thread spins with ck_backoff_eb and, once the backoff has
 * grown to CKRING_YIELD_AFTER, calls sched_yield(); it never parks.  There
 * is no close either: the end of a stream is one CKRING_SENTINEL per
 * consumer.
 *
 * The ring has ckring_size(cap) slots: the smallest power of two >=
 * max(cap, 2); a ck_ring of size S holds S - 1 entries, so cap 1024 gives
 * 1023 usable slots, cap 20 gives 31 and cap 0 (rendezvous, unsupported)
 * gives 1.  With spsc set the SPSC functions are used (one sending and one
 * receiving thread at a time), else ck_ring_*_mpmc.
 *
 * Caveat: ck_ring_enqueue_mpmc() commits in ticket order and waits for
 * earlier producers with a plain spin, so it is not lock-free.  With more
 * runnable threads than cores a producer preempted between reserving and
 * committing stalls every later producer; a multi-producer run can fall into
 * a convoy that makes almost no progress.  achan-bench's watchdog reports
 * such runs as TIMEOUT.
 */
#ifndef ACHAN_BENCH_CKRING_BASE_H
#define ACHAN_BENCH_CKRING_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ck_cc.h>
#include <ck_ring.h>

/* Never a stream value (those are < the message count). */
#define CKRING_SENTINEL UINT64_MAX

/* Backoff 512, 1024, ... spins, then sched_yield() once it reaches this. */
#define CKRING_YIELD_AFTER (1u << 14)

struct ckring {
	ck_ring_t ring CK_CC_CACHELINE;
	ck_ring_buffer_t *buf;
	unsigned int size;
	bool spsc;
};

/* Slots of the ring used for capacity cap (a power of two >= max(cap, 2)),
 * or 0 if that does not fit an unsigned int. */
unsigned int ckring_size(size_t cap);

/* Set up an empty ring for capacity cap.  0, or -1 (too big, no memory). */
int ckring_init(struct ckring *q, size_t cap, bool spsc);

/* Free the buffer; no thread may be using the ring. */
void ckring_destroy(struct ckring *q);

/* Spin (then yield) until v is enqueued.  v must not be CKRING_SENTINEL
 * unless it ends the stream for one consumer. */
void ckring_send(struct ckring *q, uint64_t v);

/* Spin (then yield) until a value arrives: 1 with *v set, or 0 if it was
 * the end-of-stream sentinel. */
int ckring_recv(struct ckring *q, uint64_t *v);

/* End the stream for n consumers: n sentinels. */
void ckring_end(struct ckring *q, long n);

#endif /* ACHAN_BENCH_CKRING_BASE_H */
