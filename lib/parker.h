/*
 * parker.h - internal only: how a thread sleeps until a waker runs.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Every blocking call of every kind is a future polled by the calling thread
 * with a waker that unparks it (DESIGN.md §2): one wait path to prove, not
 * two.  The parker is one futex word per thread:
 *
 *   EMPTY --park: CAS--> PARKED --wake: XCHG--> NOTIFIED --park returns--> EMPTY
 *   EMPTY --wake: XCHG--> NOTIFIED (park then returns without sleeping)
 *
 * A wake that lands before the park is remembered in the word, so it cannot
 * be lost; a futex wait that returns early (EINTR, spurious) re-checks.
 */
#ifndef ACHAN_LIB_PARKER_H
#define ACHAN_LIB_PARKER_H

#include <sched.h>
#include <stdint.h>
#include <time.h>

#include <achan/common.h>

#include "compiler.h"

struct achan__parker {
	uint32_t state;
};

/* The calling thread's parker, reset to EMPTY (nothing registered uses it). */
struct achan__parker *achan__parker_self(void);

/* The waker function: arg is a struct achan__parker *.  Never blocks. */
void achan__parker_wake(void *arg);

/*
 * achan__parker_wake in two steps, for the waiter queue's wake loop: notify
 * (returns 1 if the thread sleeps in the kernel), then kick (FUTEX_WAKE).
 * The queue ends its wake/teardown handshake between the two, so the woken
 * thread never waits for the waker's syscall to return.  The kick may then
 * reach a parker whose thread has moved on; a FUTEX_WAKE on such a word is
 * at worst a spurious wakeup, which every futex wait must tolerate anyway.
 */
int achan__parker_notify(struct achan__parker *p);
void achan__parker_kick(struct achan__parker *p);

/*
 * Spin briefly, then sleep until woken or until the absolute CLOCK_MONOTONIC
 * deadline (NULL: none).  ACHAN_OK when woken (possibly spuriously: callers
 * re-poll), ACHAN_TIMEDOUT when the deadline passed first.
 */
int achan__park(struct achan__parker *p, const struct timespec *deadline);

/*
 * Before a blocking call registers a future, it retries the operation a few
 * times: spinning 1, 2, 4 ... 64 pauses, then yielding the CPU a few times
 * (crossbeam's Backoff::snooze).  Registering and being woken costs both
 * sides a lock and a wake; a partner that is about to make progress usually
 * does so within this window.  achan__snooze returns 0 once the window is
 * over: then register and park.
 */
struct achan__snooze {
	uint32_t step;
};
#define ACHAN__SNOOZE_INIT { 0 }
int achan__snooze(struct achan__snooze *b);

/* Futex wrappers (private futexes); wait returns 0, or an errno value. */
int achan__futex_wait(uint32_t *addr, uint32_t expected,
		const struct timespec *deadline);
void achan__futex_wake(uint32_t *addr, int nr);

/*
 * Drive a future to completion on this thread: poll with the parker's waker,
 * park while PENDING.  At the deadline the future is cancelled; if it had
 * completed first the result is ACHAN_OK, else ACHAN_TIMEDOUT.
 */
typedef int (*achan__poll_fn)(void *future, const struct achan_waker *waker);
typedef int (*achan__cancel_fn)(void *future);
int achan__block_on(void *future, achan__poll_fn poll, achan__cancel_fn cancel,
		const struct timespec *deadline);

/* The wake lists this thread is running now, innermost first (a waker may
 * run another list: waitq_impl.h). */
struct achan__wakelist;
extern __thread struct achan__wakelist *achan__tls_wakelists;

/* 1 if ts is a valid absolute time (tv_sec >= 0, 0 <= tv_nsec < 1e9). */
int achan__timespec_valid(const struct timespec *ts);

/* Sleep about 1 us << min(k, 10) (at most about 1 ms); out of line. */
void achan__inflight_sleep(unsigned k);

/*
 * Wait out the other side's operation in flight (a few instructions, unless
 * its thread was preempted): a slot or a state word that another thread has
 * claimed and is about to publish.  Backing off exponentially matters: the retry
 * reads the slot and the counters the other side is writing, and a tight
 * loop of those reads slows that very write (a consumer that caught up
 * with its producer made 1x1 streams three times slower).  Past 8 spins the
 * other thread is likely not running: yield, and past 16 yields sleep,
 * 1 us doubling to 1 ms - a stalled or descheduled peer (a signal handler,
 * a lower SCHED_FIFO priority, a pinned CPU it shares with us) then gets
 * the CPU instead of a loop of sched_yield that may never give it away.
 */
static inline void
achan__inflight_pause(unsigned *spins)
{
	if (*spins < 8)
		achan__cpu_relax_n(1u << *spins);
	else if (*spins < 24)
		sched_yield();
	else
		achan__inflight_sleep(*spins - 24);
	if (*spins < 64)
		++*spins;
}

#endif /* ACHAN_LIB_PARKER_H */
