/*
 * t/test_util.h - helpers shared by the achan channel tests: status asserts
 * that print names, a recording waker, a flag waker a thread can sleep on,
 * timespec helpers, and a thread that runs one blocking call.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Everything here is static (header-only), so each test program is one .c
 * file plus tap.c.  Only the main thread of a test calls ok()/diag(); other
 * threads record what happened and the main thread reports it.
 */
#ifndef ACHAN_TEST_UTIL_H
#define ACHAN_TEST_UTIL_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <achan.h>

#include "tap.h"

#if defined(__GNUC__)
#define TU_UNUSED __attribute__((unused))
#else
#define TU_UNUSED
#endif

/* --- status asserts --------------------------------------------------------- */

static TU_UNUSED const char *
st_name(int st)
{
	const char *s = achan_strerror(st);
	return s ? s : "(null)";
}

static TU_UNUSED int
tu_report_status(int passed, int got, int want)
{
	if (!passed)
		diag("    got: %d %s\n    expected: %d %s", got, st_name(got),
				want, st_name(want));
	return passed;
}

static TU_UNUSED int tu_got_;

/*
 * is_st(got, want, fmt, ...): ok(got == want) and, on failure, both statuses
 * by name.  `got` is evaluated once.  Main thread only.
 */
#define is_st(got, want, ...) \
	(tu_got_ = (got), \
	 tu_report_status(ok(tu_got_ == (int)(want), __VA_ARGS__), tu_got_, \
			 (int)(want)))

static TU_UNUSED unsigned long long tu_ugot_, tu_uwant_;

static TU_UNUSED int
tu_report_u(int passed, unsigned long long got, unsigned long long want)
{
	if (!passed)
		diag("    got: %llu\n    expected: %llu", got, want);
	return passed;
}

/* is_u(got, want, fmt, ...): unsigned equality printing both values. */
#define is_u(got, want, ...) \
	(tu_ugot_ = (unsigned long long)(got), \
	 tu_uwant_ = (unsigned long long)(want), \
	 tu_report_u(ok(tu_ugot_ == tu_uwant_, __VA_ARGS__), tu_ugot_, tu_uwant_))

/* --- time -------------------------------------------------------------------- */

static TU_UNUSED struct timespec
tu_now(void)
{
	struct timespec ts;
	clock_gettime(ACHAN_CLOCK, &ts);
	return ts;
}

static TU_UNUSED struct timespec
tu_add_ms(struct timespec ts, long ms)
{
	long long ns = (long long)ts.tv_nsec + (long long)(ms % 1000) * 1000000LL;
	ts.tv_sec += ms / 1000;
	while (ns >= 1000000000LL) {
		ns -= 1000000000LL;
		ts.tv_sec++;
	}
	while (ns < 0) {
		ns += 1000000000LL;
		ts.tv_sec--;
	}
	ts.tv_nsec = (long)ns;
	return ts;
}

/* b - a in milliseconds. */
static TU_UNUSED double
tu_ms_between(struct timespec a, struct timespec b)
{
	return (double)(b.tv_sec - a.tv_sec) * 1e3 +
		(double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

/* 1 if a >= b. */
static TU_UNUSED int
tu_ts_ge(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec ||
		(a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec);
}

static TU_UNUSED void
tu_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* --- recording waker ------------------------------------------------------- */

/*
 * A log of which waker ids fired, in order (shared by several rec_wakers).
 */
#define TU_LOG_MAX 256
struct wake_log {
	atomic_int n;
	atomic_int ids[TU_LOG_MAX];
};

static TU_UNUSED void
wake_log_reset(struct wake_log *l)
{
	atomic_store(&l->n, 0);
	for (int i = 0; i < TU_LOG_MAX; i++)
		atomic_store(&l->ids[i], -1);
}

/* Number of entries and entry i (-1 beyond the end). */
static TU_UNUSED int
wake_log_len(struct wake_log *l)
{
	return atomic_load(&l->n);
}

static TU_UNUSED int
wake_log_at(struct wake_log *l, int i)
{
	if (i < 0 || i >= TU_LOG_MAX || i >= atomic_load(&l->n))
		return -1;
	return atomic_load(&l->ids[i]);
}

struct rec_waker {
	struct achan_waker w;     /* pass &r->w to poll */
	atomic_int calls;         /* how many times wake ran */
	int id;
	struct wake_log *log;     /* optional */
	/* optional hook run inside the wake (e.g. call back into achan) */
	void (*hook)(struct rec_waker *r);
	void *hook_arg;
	int hook_rc;
	unsigned char hook_buf[64];
};

static TU_UNUSED void
rec_wake(void *arg)
{
	struct rec_waker *r = arg;

	if (r->hook)
		r->hook(r);
	if (r->log) {
		int i = atomic_fetch_add(&r->log->n, 1);
		if (i < TU_LOG_MAX)
			atomic_store(&r->log->ids[i], r->id);
	}
	atomic_fetch_add(&r->calls, 1);
}

static TU_UNUSED void
rec_init(struct rec_waker *r, int id, struct wake_log *log)
{
	memset(r, 0, sizeof(*r));
	r->w.wake = rec_wake;
	r->w.arg = r;
	atomic_init(&r->calls, 0);
	r->id = id;
	r->log = log;
	r->hook_rc = -1;
}

static TU_UNUSED int
rec_calls(struct rec_waker *r)
{
	return atomic_load(&r->calls);
}

/* --- flag waker: a thread sleeps until its waker runs ---------------------- */

struct tu_flag {
	atomic_uint v;            /* 0: not woken, 1: woken */
	struct achan_waker w;
};

static TU_UNUSED void
tu_futex_wake(atomic_uint *a)
{
#ifdef __linux__
	syscall(SYS_futex, (unsigned *)a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
			NULL, 0);
#else
	(void)a;
#endif
}

static TU_UNUSED void
tu_flag_wake(void *arg)
{
	struct tu_flag *f = arg;
	atomic_store_explicit(&f->v, 1, memory_order_release);
	tu_futex_wake(&f->v);
}

static TU_UNUSED void
tu_flag_init(struct tu_flag *f)
{
	atomic_init(&f->v, 0);
	f->w.wake = tu_flag_wake;
	f->w.arg = f;
}

static TU_UNUSED void
tu_flag_reset(struct tu_flag *f)
{
	atomic_store_explicit(&f->v, 0, memory_order_relaxed);
}

/*
 * Wait until *word is non-zero (set by a waker that then futex-wakes it), at
 * most timeout_ms.  Returns 1 if it was set, 0 on timeout (which the caller
 * reports as a probable lost wakeup).
 */
static TU_UNUSED int
tu_wait_word(atomic_uint *word, long timeout_ms)
{
	for (int i = 0; i < 64; i++) {
		if (atomic_load_explicit(word, memory_order_acquire))
			return 1;
		if (i > 16)
			sched_yield();
	}
	struct timespec end = tu_add_ms(tu_now(), timeout_ms);
	while (!atomic_load_explicit(word, memory_order_acquire)) {
		struct timespec now = tu_now();
		if (tu_ts_ge(now, end))
			return 0;
#ifdef __linux__
		struct timespec rel = { 0, 50 * 1000000L }; /* recheck the clock */
		syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, 0u,
				&rel, NULL, 0);
#else
		sched_yield();
#endif
	}
	return 1;
}

static TU_UNUSED int
tu_flag_wait(struct tu_flag *f, long timeout_ms)
{
	return tu_wait_word(&f->v, timeout_ms);
}

/* --- a thread running one blocking call ------------------------------------ */

enum tu_op {
	TU_SEND,
	TU_RECV,
	TU_SEND_UNTIL,
	TU_RECV_UNTIL
};

struct op_thread {
	pthread_t t;
	struct achan_chan *ch;
	enum tu_op op;
	long delay_ms;            /* sleep before the call */
	struct timespec deadline; /* for the _until forms */
	unsigned char val[1024];  /* value sent / buffer received into */
	int rc;                   /* valid once done */
	atomic_int started;       /* set just before the call */
	atomic_int done;          /* set just after it returned */
};

static TU_UNUSED void *
tu_op_main(void *arg)
{
	struct op_thread *o = arg;
	int rc = -1;

	if (o->delay_ms)
		tu_sleep_ms(o->delay_ms);
	atomic_store(&o->started, 1);
	switch (o->op) {
	case TU_SEND:
		rc = achan_chan_send(o->ch, o->val);
		break;
	case TU_RECV:
		rc = achan_chan_recv(o->ch, o->val);
		break;
	case TU_SEND_UNTIL:
		rc = achan_chan_send_until(o->ch, o->val, &o->deadline);
		break;
	case TU_RECV_UNTIL:
		rc = achan_chan_recv_until(o->ch, o->val, &o->deadline);
		break;
	}
	o->rc = rc;
	atomic_store(&o->done, 1);
	return NULL;
}

/* Start a thread doing `op` on ch; for sends, *val (size bytes) is sent. */
static TU_UNUSED void
op_start(struct op_thread *o, struct achan_chan *ch, enum tu_op op,
		const void *val, size_t size, long delay_ms)
{
	memset(o, 0, sizeof(*o));
	o->ch = ch;
	o->op = op;
	o->delay_ms = delay_ms;
	o->rc = -1;
	atomic_init(&o->started, 0);
	atomic_init(&o->done, 0);
	if (val && size)
		memcpy(o->val, val, size < sizeof(o->val) ? size : sizeof(o->val));
	if (pthread_create(&o->t, NULL, tu_op_main, o) != 0)
		bail_out("pthread_create failed");
}

/* As op_start for the _until forms. */
static TU_UNUSED void
op_start_until(struct op_thread *o, struct achan_chan *ch, enum tu_op op,
		const void *val, size_t size, struct timespec deadline)
{
	memset(o, 0, sizeof(*o));
	o->ch = ch;
	o->op = op;
	o->deadline = deadline;
	o->rc = -1;
	atomic_init(&o->started, 0);
	atomic_init(&o->done, 0);
	if (val && size)
		memcpy(o->val, val, size < sizeof(o->val) ? size : sizeof(o->val));
	if (pthread_create(&o->t, NULL, tu_op_main, o) != 0)
		bail_out("pthread_create failed");
}

/*
 * Wait until the thread has started its call, then give it `ms` to get
 * parked.  The tests cannot observe "parked" directly; if the thread is slow
 * the call still sees the same state, so the result is the same - only the
 * test is weaker that time.
 */
static TU_UNUSED void
op_settle(struct op_thread *o, long ms)
{
	while (!atomic_load(&o->started))
		sched_yield();
	tu_sleep_ms(ms);
}

static TU_UNUSED int
op_done(struct op_thread *o)
{
	return atomic_load(&o->done);
}

/* Join; returns the call's status. */
static TU_UNUSED int
op_join(struct op_thread *o)
{
	pthread_join(o->t, NULL);
	return o->rc;
}

/* Wait up to ms for the thread to finish; 1 if it did. */
static TU_UNUSED int
op_wait_done(struct op_thread *o, long ms)
{
	struct timespec end = tu_add_ms(tu_now(), ms);
	while (!op_done(o)) {
		if (tu_ts_ge(tu_now(), end))
			return 0;
		tu_sleep_ms(1);
	}
	return 1;
}

/* --- misc ---------------------------------------------------------------- */

/* xorshift64* - a per-thread pseudo random generator. */
static TU_UNUSED uint64_t
tu_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static TU_UNUSED uint64_t
u64v(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

#endif /* ACHAN_TEST_UTIL_H */
