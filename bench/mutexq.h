/*
 * bench/mutexq.h - the "mutex queue" baseline of achan-bench.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The textbook blocking bounded queue: a ring of uint64_t values guarded by
 * one pthread mutex, with two condition variables (not_full, not_empty) and
 * a closed flag.  It is what a C programmer writes without a channel
 * library, so achan is measured against it.  Every operation takes the
 * mutex; waiting parks the thread in pthread_cond_wait.
 *
 * Capacity 0 (rendezvous) does not exist here: mutexq_init() refuses it and
 * the benchmark runs capacity 1 instead (and says so).
 *
 * Any thread may call send/recv/close concurrently; init/destroy once.
 */
#ifndef ACHAN_BENCH_MUTEXQ_H
#define ACHAN_BENCH_MUTEXQ_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct mutexq {
	pthread_mutex_t mu;
	pthread_cond_t not_full;
	pthread_cond_t not_empty;
	uint64_t *buf;
	size_t cap;   /* slots in buf */
	size_t head;  /* index of the oldest value */
	size_t len;   /* values buffered */
	int closed;
};

/* Set up an empty queue of cap >= 1 slots.  0, or -1 (cap 0, no memory). */
int mutexq_init(struct mutexq *q, size_t cap);

/* Free the buffer; no thread may be using the queue. */
void mutexq_destroy(struct mutexq *q);

/* Wait for room, then append v.  0, or -1 if the queue is (or gets) closed
 * first; v is then not stored. */
int mutexq_send(struct mutexq *q, uint64_t v);

/* Wait for a value.  1 with *v set, or 0 once the queue is closed and
 * drained. */
int mutexq_recv(struct mutexq *q, uint64_t *v);

/* Refuse further sends and wake every waiter; buffered values can still be
 * received.  Idempotent. */
void mutexq_close(struct mutexq *q);

#endif /* ACHAN_BENCH_MUTEXQ_H */
