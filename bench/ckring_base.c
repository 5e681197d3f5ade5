/*
 * bench/ckring_base.c - the ck_ring baseline (see ckring_base.h): a thin
 * blocking-by-spinning wrapper over ck_ring_{enqueue,dequeue}_{spsc,mpmc},
 * backing off with ck_backoff_eb and then sched_yield() while full/empty.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "ckring_base.h"

#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <ck_backoff.h>

/* The values travel as pointers. */
_Static_assert(UINTPTR_MAX >= UINT64_MAX, "ckring needs 64-bit pointers");

unsigned int ckring_size(size_t cap)
{
	size_t size = 2;

	while (size < cap) {
		if (size > UINT_MAX / 2)
			return 0;
		size <<= 1;
	}
	return (unsigned int)size;
}

int ckring_init(struct ckring *q, size_t cap, bool spsc)
{
	unsigned int size = ckring_size(cap);
	void *mem;

	if (size == 0)
		return -1;
	if (posix_memalign(&mem, CK_MD_CACHELINE, size * sizeof(ck_ring_buffer_t)))
		return -1;
	memset(mem, 0, size * sizeof(ck_ring_buffer_t));
	ck_ring_init(&q->ring, size);
	q->buf = mem;
	q->size = size;
	q->spsc = spsc;
	return 0;
}

void ckring_destroy(struct ckring *q)
{
	free(q->buf);
	q->buf = NULL;
}

/* One step of waiting on a full or empty ring: never parks. */
static inline void wait_step(unsigned int *backoff)
{
	if (*backoff < CKRING_YIELD_AFTER)
		ck_backoff_eb(backoff);
	else
		sched_yield();
}

static inline bool try_send(struct ckring *q, uint64_t v)
{
	const void *p = (const void *)(uintptr_t)v;

	if (q->spsc)
		return ck_ring_enqueue_spsc(&q->ring, q->buf, p);
	return ck_ring_enqueue_mpmc(&q->ring, q->buf, p);
}

static inline bool try_recv(struct ckring *q, void **p)
{
	if (q->spsc)
		return ck_ring_dequeue_spsc(&q->ring, q->buf, p);
	return ck_ring_dequeue_mpmc(&q->ring, q->buf, p);
}

void ckring_send(struct ckring *q, uint64_t v)
{
	unsigned int backoff = CK_BACKOFF_INITIALIZER;

	while (!try_send(q, v))
		wait_step(&backoff);
}

int ckring_recv(struct ckring *q, uint64_t *v)
{
	unsigned int backoff = CK_BACKOFF_INITIALIZER;
	void *p;

	while (!try_recv(q, &p))
		wait_step(&backoff);
	*v = (uint64_t)(uintptr_t)p;
	return *v != CKRING_SENTINEL;
}

void ckring_end(struct ckring *q, long n)
{
	for (long i = 0; i < n; i++)
		ckring_send(q, CKRING_SENTINEL);
}
