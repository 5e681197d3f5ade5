/*
 * parker.c - futex wrappers, the waiter-queue lock's slow path, the per-thread
 * parker and the one blocking loop every kind uses.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ck_backoff.h>

#include "compiler.h"
#include "fault.h"
#include "lock.h"
#include "parker.h"

#ifdef ACHAN__TSAN
uint64_t achan__tsan_fence_word;	/* see achan__fence_seq_cst */
#endif

__thread struct achan__wakelist *achan__tls_wakelists;

enum { PARKER_EMPTY = 0, PARKER_NOTIFIED = 1, PARKER_PARKED = 2 };

#define LOCK_SPIN_ROUNDS 6

int
achan__futex_wait(uint32_t *addr, uint32_t expected,
		const struct timespec *deadline)
{
	long rc;

	if (deadline == NULL)
		rc = syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected,
				NULL, NULL, 0);
	else	/* WAIT_BITSET takes an absolute CLOCK_MONOTONIC timeout. */
		rc = syscall(SYS_futex, addr, FUTEX_WAIT_BITSET_PRIVATE,
				expected, deadline, NULL, FUTEX_BITSET_MATCH_ANY);
	return rc == 0 ? 0 : errno;
}

void
achan__futex_wake(uint32_t *addr, int nr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, nr, NULL, NULL, 0);
}

void
achan__lock_acquire_slow(struct achan__lock *l)
{
	ck_backoff_t backoff = 16;
	uint32_t expected;
	int i;

	for (i = 0; i < LOCK_SPIN_ROUNDS; i++) {
		ck_backoff_eb(&backoff);
		achan__cpu_relax();
		expected = 0;
		/* L3 (acquire): as L1. */
		if (__atomic_load_n(&l->word, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(&l->word, &expected, 1, 0,
				__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
	}
	/* Mark "held with sleepers" and sleep; whoever finds 0 owns it (in
	 * state 2, so its release wakes the next sleeper: no lost handoff).
	 * L3 (acquire): as L1. */
	while (__atomic_exchange_n(&l->word, 2, __ATOMIC_ACQUIRE) != 0)
		(void)achan__futex_wait(&l->word, 2, NULL);
}

static __thread struct achan__parker tls_parker;

struct achan__parker *
achan__parker_self(void)
{
	/* Only this thread's futures use its parker, and none is registered
	 * between blocking calls, so a stale NOTIFIED can simply be dropped. */
	__atomic_store_n(&tls_parker.state, PARKER_EMPTY, __ATOMIC_RELAXED);
	return &tls_parker;
}

int
achan__parker_notify(struct achan__parker *p)
{
	/* P1 (release): whatever the waking thread did before (filling the
	 * future, its state) happens-before the parked thread's P2. */
	return __atomic_exchange_n(&p->state, PARKER_NOTIFIED,
	    __ATOMIC_RELEASE) == PARKER_PARKED;
}

void
achan__parker_kick(struct achan__parker *p)
{
	achan__futex_wake(&p->state, 1);
}

void
achan__parker_wake(void *arg)
{
	if (achan__parker_notify(arg))
		achan__parker_kick(arg);
}

/* P2 (acquire): pairs with P1.  Consumes a notification if there is one. */
static int
parker_consume(struct achan__parker *p)
{
	uint32_t expected = PARKER_NOTIFIED;

	if (__atomic_load_n(&p->state, __ATOMIC_RELAXED) != PARKER_NOTIFIED)
		return 0;
	return __atomic_compare_exchange_n(&p->state, &expected, PARKER_EMPTY,
			0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * Adaptive spin before sleeping, per thread.  A futex sleep and wakeup costs
 * microseconds on both sides, so when the partner runs on another core it
 * pays to spin for about one of its turns; when it does not (more runnable
 * threads than cores, or a partner that is slow to answer) spinning only
 * burns a CPU someone else may need.  Each thread measures how long its
 * waits really last: a wait that spinning could have covered (shorter than
 * SPIN_MAX_NS) sets the budget to twice that wait, a longer one halves it.
 * Measuring the wait, not just "did the spin succeed", matters: two threads
 * handing work back and forth that both sleep make each other's waits long
 * (each wake costs a syscall and a reschedule), and a success-only rule
 * never climbs out of that; the measured waits still fit the spin window,
 * so both sides start spinning again and the handoffs become fast.
 */
#define SPIN_MIN_NS 200
#define SPIN_MAX_NS 40000
static __thread uint32_t tls_spin_ns = 8000;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
learn_wait(uint64_t waited_ns)
{
	uint64_t b;

	if (waited_ns < SPIN_MAX_NS) {
		b = 2 * waited_ns;
		tls_spin_ns = (uint32_t)(b > SPIN_MAX_NS ? SPIN_MAX_NS :
		    b < SPIN_MIN_NS ? SPIN_MIN_NS : b);
	} else if (tls_spin_ns / 2 >= SPIN_MIN_NS) {
		tls_spin_ns /= 2;
	}
}

/*
 * At most one spinning thread per online CPU in achan__park at once (Go's
 * scheduler bounds its spinning threads for the same reason).  When waiting
 * threads outnumber the cores - 16 producers on a full channel and 2 cores -
 * more spinners would only take the CPU from the thread that can make
 * progress; beyond the limit a waiter goes straight to the futex.  (Half the
 * CPUs was tried: ping-pong then regularly found its partner still counted
 * as spinning and slept, 3.3 us per round trip instead of 0.3-0.6.)  The
 * count is one word per process, touched only on this slow path.
 */
static uint32_t spinners;
static uint32_t max_spinners;

static uint32_t
spinner_limit(void)
{
	/* relaxed: an idempotent cache of a constant */
	uint32_t m = __atomic_load_n(&max_spinners, __ATOMIC_RELAXED);
	long n;

	if (m == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		m = n > 1 ? (uint32_t)n : 1;
		__atomic_store_n(&max_spinners, m, __ATOMIC_RELAXED);
	}
	return m;
}

/*
 * The first SPIN_UNCOUNTED_NS of a spin do not register as a spinner: a
 * handoff between two running threads (ping-pong) usually lands within it,
 * and the head count is a shared line that would otherwise bounce between
 * the two cores on every wait.  Past it the count decides.
 */
#define SPIN_UNCOUNTED_NS 2000
#define SPIN_QUICK_CHECKS 32

/* Spin until `budget` ns after start; 1 if a wake arrived meanwhile. */
static int
park_spin(struct achan__parker *p, uint64_t start, uint64_t budget)
{
	uint64_t t = start;
	uint32_t i;

	while (t - start < budget) {
		for (i = 0; i < 32; i++) {
			if (parker_consume(p))
				return 1;
			achan__cpu_relax();
		}
		t = now_ns();
	}
	return 0;
}

/* Modelled in model/parker.pml (proctype waiter; the waker is
 * achan__parker_notify + achan__parker_kick). */
int
achan__park(struct achan__parker *p, const struct timespec *deadline)
{
	uint64_t start;
	uint32_t expected, i;
	int err, woken = 0;

	/* A handoff between two running threads lands within a few hundred
	 * ns: look a few times before paying for the clock.  Such a quick
	 * wake says nothing new about the budget, so it is not learned. */
	for (i = 0; i < SPIN_QUICK_CHECKS; i++) {
		if (parker_consume(p))
			return ACHAN_OK;
		achan__cpu_relax();
	}
	start = now_ns();
	woken = park_spin(p, start, tls_spin_ns < SPIN_UNCOUNTED_NS ?
	    tls_spin_ns : SPIN_UNCOUNTED_NS);
	if (!woken && tls_spin_ns > SPIN_UNCOUNTED_NS) {
		/* relaxed: a head count, not an ordering edge */
		if (__atomic_fetch_add(&spinners, 1, __ATOMIC_RELAXED) <
		    spinner_limit())
			woken = park_spin(p, start, tls_spin_ns);
		__atomic_fetch_sub(&spinners, 1, __ATOMIC_RELAXED);
	}
	if (woken) {
		learn_wait(now_ns() - start);
		return ACHAN_OK;
	}
	expected = PARKER_EMPTY;
	/* P3 (relaxed): announces the sleep; a waker that sees PARKED calls
	 * FUTEX_WAKE.  If a wake came first the CAS fails and we return. */
	if (!__atomic_compare_exchange_n(&p->state, &expected, PARKER_PARKED, 0,
			__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		(void)parker_consume(p);
		return ACHAN_OK;
	}
	for (;;) {
		err = achan__futex_wait(&p->state, PARKER_PARKED, deadline);
		if (parker_consume(p)) {
			learn_wait(now_ns() - start);
			return ACHAN_OK;
		}
		if (err == ETIMEDOUT) {
			expected = PARKER_PARKED;
			/* relaxed: PARKED -> EMPTY publishes nothing; if a
			 * wake came first the CAS fails and parker_consume's
			 * acquire (P2) takes it. */
			if (__atomic_compare_exchange_n(&p->state, &expected,
					PARKER_EMPTY, 0, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
				return ACHAN_TIMEDOUT;
			/* A wake raced the timeout: take it. */
			(void)parker_consume(p);
			return ACHAN_OK;
		}
		/* 0 (woken or spurious), EINTR, EAGAIN (word already changed):
		 * loop and re-check the word. */
	}
}

void
achan__inflight_sleep(unsigned k)
{
	struct timespec ts = { 0, 1000L << (k < 10 ? k : 10) };

	(void)nanosleep(&ts, NULL);
}

int
achan__snooze(struct achan__snooze *b)
{
	if (b->step <= 6) {
		achan__cpu_relax_n(1u << b->step);
	} else if (b->step <= 10) {
		sched_yield();
	} else {
		return 0;
	}
	b->step++;
	return 1;
}

int
achan__block_on(void *future, achan__poll_fn poll, achan__cancel_fn cancel,
		const struct timespec *deadline)
{
	struct achan__parker *p = achan__parker_self();
	struct achan_waker waker = { achan__parker_wake, p };
	int r;

	for (;;) {
		r = poll(future, &waker);
		if (r != ACHAN_PENDING)
			return r;
		if (achan__park(p, deadline) == ACHAN_TIMEDOUT)
			break;
	}
	/* The deadline passed.  A wake may have come since the park gave up
	 * (a value sent, a state published, a close): look once more, as an
	 * operation that can complete without waiting completes even past
	 * its deadline.  Then cancel; a cancel that finds the operation done
	 * (a send whose value was moved in) still answers OK. */
	ACHAN__STALL(ACHAN__SP_PARK_TIMEDOUT, future);
	r = poll(future, &waker);
	if (r != ACHAN_PENDING)
		return r;
	r = cancel(future);
	return r == ACHAN_OK ? ACHAN_OK : ACHAN_TIMEDOUT;
}

int
achan__timespec_valid(const struct timespec *ts)
{
	return ts != NULL && ts->tv_sec >= 0 && ts->tv_nsec >= 0 &&
	    ts->tv_nsec < 1000000000L;
}
