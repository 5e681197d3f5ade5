/*
 * lock.h - internal only: the small lock that guards a waiter queue.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Taken only on slow paths (someone waits, registers or is woken), held for a
 * few dozen instructions, never across a waker call.  Three states, as in
 * Drepper's "Futexes are tricky": 0 free, 1 held, 2 held with sleepers.  The
 * holder can be preempted (more threads than cores), so after a short spin a
 * contender sleeps on the futex instead of burning the holder's CPU.
 */
#ifndef ACHAN_LIB_LOCK_H
#define ACHAN_LIB_LOCK_H

#include <stdint.h>

struct achan__lock {
	uint32_t word;
};

#define ACHAN__LOCK_INIT { 0 }

void achan__lock_acquire_slow(struct achan__lock *l);
void achan__futex_wake(uint32_t *addr, int nr);

static inline void
achan__lock_acquire(struct achan__lock *l)
{
	uint32_t expected = 0;

	/* L1 (acquire): pairs with L2 in achan__lock_release; the previous
	 * holder's writes to the queue happen-before ours. */
	if (__atomic_compare_exchange_n(&l->word, &expected, 1, 0,
			__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	achan__lock_acquire_slow(l);
}

static inline void
achan__lock_release(struct achan__lock *l)
{
	/* L2 (release): publishes our queue writes to the next holder (L1/L3). */
	if (__atomic_exchange_n(&l->word, 0, __ATOMIC_RELEASE) == 2)
		achan__futex_wake(&l->word, 1);
}

#endif /* ACHAN_LIB_LOCK_H */
