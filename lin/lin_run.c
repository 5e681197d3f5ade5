/*
 * lin/lin_run.c - the harness: a pool of threads started once, batches of
 * histories run back to back behind per-history start lines, the ticket
 * clock, random plans, and the loop that plans, runs, completes and checks
 * the histories of one kind.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Thread 0 of every history is the main thread; threads 1..3 are workers
 * that sleep between batches.  Main publishes a batch by bumping `gen`
 * (release; futex wake).  For each history of the batch every thread
 * waits at its start line until all four got there, runs its own
 * operations in plan order, and publishes its progress (done_seq,
 * release); at the end main waits until the workers are done with the
 * batch (acquire) before it reads the outcomes.  Results are written only
 * by the thread that ran the operation and read by main only after that,
 * so the recording itself is race-free (TSan sees the edges: every one is
 * a C11 atomic).  Sleeping happens on futexes, so a loaded machine (more
 * threads than cores) runs the threads that have work.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/futex.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <achan.h>

#include "lin.h"
#include "../t/tap.h"

atomic_uint_fast64_t lin_clock = 1;
/* LIN_F_WAIT_OTHERS: the longest wait for the others (microseconds) */
static unsigned lin_wait_others_us =
#ifdef LIN_SANITIZED
	20000;
#else
	2000;
#endif
/* ... but stop waiting once no operation started or ended for this long:
 * the others are blocked, waiting for the operation that follows */
static unsigned quiet_us =
#ifdef LIN_SANITIZED
	500;
#else
	50;
#endif

/* --- time, randomness ----------------------------------------------------- */

double
lin_now(void)
{
	struct timespec ts;

	clock_gettime(ACHAN_CLOCK, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void
lin_deadline(const struct lin_op *op, struct timespec *ts)
{
	long long ns;

	clock_gettime(ACHAN_CLOCK, ts);
	if (op->flags & LIN_F_DEADLINE_PAST)
		ns = ts->tv_nsec - 1000000LL;
	else
		ns = ts->tv_nsec + (long long)op->deadline_us * 1000LL;
	while (ns >= 1000000000LL) {
		ns -= 1000000000LL;
		ts->tv_sec++;
	}
	while (ns < 0) {
		ns += 1000000000LL;
		ts->tv_sec--;
	}
	ts->tv_nsec = (long)ns;
}

static uint64_t rng_state;

uint64_t
lin_rand(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void
seed_rng(void)
{
	const char *e = getenv("ACHAN_LIN_SEED");
	uint64_t seed;

	if (e != NULL && *e != '\0')
		seed = strtoull(e, NULL, 0);
	else
		seed = (uint64_t)time(NULL) * 2654435761ULL ^ (uint64_t)getpid();
	if (seed == 0)
		seed = 1;
	rng_state = seed;
	diag("seed %llu (set ACHAN_LIN_SEED to repeat)",
	    (unsigned long long)seed);
}

static void
pause_n(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#else
		__asm__ __volatile__("" ::: "memory");
#endif
	}
}

void
lin_jitter(struct lin_history *h)
{
	static const uint32_t deadlines[] = { 5, 20, 50, 150 };

	for (int i = 0; i < h->n; i++) {
		struct lin_op *op = &h->ops[i];
		unsigned r = lin_randn(8);

		/* half start at once, the rest after a short busy wait */
		op->delay = (uint16_t)(r < 4 ? 0 : r < 7 ? lin_randn(64) :
		    lin_randn(2000));
		if (op->code == LIN_SEND_UNTIL || op->code == LIN_RECV_UNTIL) {
			if (lin_randn(4) == 0)
				op->flags |= LIN_F_DEADLINE_PAST;
			op->deadline_us = deadlines[lin_randn(4)];
		}
	}
}

void
lin_jitter_light(struct lin_history *h)
{
	for (int i = 0; i < h->n; i++) {
		struct lin_op *op = &h->ops[i];
		unsigned r = lin_randn(8);

		/* half start at once, the rest after a busy wait about as
		 * long as a few operations, rarely a little longer */
		op->delay = (uint16_t)(r < 4 ? 0 : r < 7 ? lin_randn(64) :
		    lin_randn(256));
	}
}

unsigned long
lin_histories(unsigned long dflt)
{
	const char *e = getenv("ACHAN_LIN_HISTORIES");

	if (e != NULL && *e != '\0') {
		char *end;
		unsigned long v = strtoul(e, &end, 0);

		if (*end == '\0' && v > 0)
			return v;
	}
#ifdef LIN_SANITIZED
	dflt /= 8;
#endif
	return dflt;
}

/* --- the pool ------------------------------------------------------------- */

static pthread_t workers[LIN_MAX_THREADS];
static atomic_uint gen;		/* batch number; a futex (workers) */
static atomic_uint ndone;	/* workers done with the batch; a futex (main) */
/* the number (since start) of the last history each thread finished */
static atomic_uint_fast64_t done_seq[LIN_MAX_THREADS];
/* threads that reached the start of history j of the batch */
static atomic_uint arrived[LIN_BATCH];
static atomic_int stopping;
/* the batch being run: written by main before the release of gen */
static struct lin_history *cur_hs;
static int cur_nb;
static uint64_t cur_seq;	/* number of the batch's history 0, minus 1 */
static lin_exec_fn cur_exec;
static void *cur_ctx;

static void
futex_wait(atomic_uint *a, unsigned old)
{
	syscall(SYS_futex, (unsigned *)a, FUTEX_WAIT_PRIVATE, old, NULL, NULL, 0);
}

static void
futex_wake(atomic_uint *a)
{
	syscall(SYS_futex, (unsigned *)a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
	    NULL, 0);
}

/* Wait while *a == old: a short spin, then sleep. */
static unsigned
wait_change(atomic_uint *a, unsigned old)
{
	unsigned v;

	for (int i = 0; i < 64; i++) {
		v = atomic_load_explicit(a, memory_order_acquire);
		if (v != old)
			return v;
		pause_n(16);
	}
	while ((v = atomic_load_explicit(a, memory_order_acquire)) == old)
		futex_wait(a, old);
	return v;
}

/*
 * The start of history j: wait until every thread got there, so that the
 * operations of the history overlap.  Threads get there by finishing their
 * part of history j - 1 (a blocked one is freed by thread 0's last
 * operation there), so this ends.  There are more threads than cores, and
 * the CPU is better spent on the threads that still have work: a few
 * sched_yield()s (a thread with work on this CPU runs at once; a busy
 * wait here held the CPU for a while - a pause is ~55 ns on the 2-core
 * VM), then sleep.  The last to arrive wakes the others.
 */
static void
start_line(int j)
{
	unsigned v = atomic_fetch_add_explicit(&arrived[j], 1,
	    memory_order_acq_rel) + 1;

	if (v == LIN_MAX_THREADS) {
		futex_wake(&arrived[j]);
		return;
	}
	for (int n = 0; n < 64 && v < LIN_MAX_THREADS; n++) {
		sched_yield();
		v = atomic_load_explicit(&arrived[j], memory_order_acquire);
	}
	while (v < LIN_MAX_THREADS) {
		futex_wait(&arrived[j], v);
		v = atomic_load_explicit(&arrived[j], memory_order_acquire);
	}
}

/*
 * LIN_F_WAIT_OTHERS: until every other thread is done with history seq, or
 * the ticket clock stood still for quiet_us (nobody started or finished an
 * operation: whoever is not done is blocked), or lin_wait_others_us passed.
 * The operation that follows frees the blocked ones.
 */
static void
wait_others(unsigned self, uint64_t seq)
{
	double t0 = lin_now(), now, quiet_since = t0;
	uint64_t seen = atomic_load(&lin_clock), c;

	for (unsigned n = 0;; n++) {
		unsigned t, all = 1;

		for (t = 0; t < LIN_MAX_THREADS; t++)
			if (t != self &&
			    atomic_load_explicit(&done_seq[t],
			    memory_order_acquire) < seq)
				all = 0;
		if (all)
			return;
		if (n % 4 == 3) {
			now = lin_now();
			c = atomic_load(&lin_clock);
			if (c != seen) {
				seen = c;
				quiet_since = now;
			}
			if (now - quiet_since > quiet_us * 1e-6 ||
			    now - t0 > lin_wait_others_us * 1e-6)
				return;
			sched_yield();
		} else {
			pause_n(32);
		}
	}
}

static void
run_thread_ops(unsigned self)
{
	for (int j = 0; j < cur_nb; j++) {
		struct lin_history *h = &cur_hs[j];
		uint64_t seq = cur_seq + (uint64_t)j + 1;

		start_line(j);
		for (int i = 0; i < h->n; i++) {
			struct lin_op *op = &h->ops[i];

			if (op->thread != self)
				continue;
			if (op->flags & LIN_F_WAIT_OTHERS)
				wait_others(self, seq);
			pause_n(op->delay);
			cur_exec(cur_ctx, j, op);
		}
		/* release: our results of history j */
		atomic_store_explicit(&done_seq[self], seq, memory_order_release);
	}
}

/* Timed waits end close to their deadline (the default slack is 50 us). */
static void
tight_timers(void)
{
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

static void *
worker_main(void *arg)
{
	unsigned self = (unsigned)(uintptr_t)arg;
	unsigned g = 0;

	tight_timers();
	for (;;) {
		g = wait_change(&gen, g);
		if (atomic_load_explicit(&stopping, memory_order_acquire))
			return NULL;
		run_thread_ops(self);
		/* release: our results; pairs with main's acquire */
		if (atomic_fetch_add_explicit(&ndone, 1,
		    memory_order_acq_rel) + 1 == LIN_MAX_THREADS - 1)
			futex_wake(&ndone);
	}
}

void
lin_pool_start(void)
{
	seed_rng();
	tight_timers();
	for (unsigned t = 1; t < LIN_MAX_THREADS; t++)
		if (pthread_create(&workers[t], NULL, worker_main,
		    (void *)(uintptr_t)t) != 0)
			bail_out("pthread_create failed");
}

void
lin_pool_stop(void)
{
	atomic_store_explicit(&stopping, 1, memory_order_release);
	atomic_fetch_add_explicit(&gen, 1, memory_order_release);
	futex_wake(&gen);
	for (unsigned t = 1; t < LIN_MAX_THREADS; t++)
		pthread_join(workers[t], NULL);
}

void
lin_pool_run(struct lin_history *hs, int nb, lin_exec_fn exec, void *ctx)
{
	static uint64_t seq;
	unsigned n;

	if (nb < 1 || nb > LIN_BATCH)
		bail_out("lin_pool_run: batch of %d", nb);
	cur_hs = hs;
	cur_nb = nb;
	cur_seq = seq;
	cur_exec = exec;
	cur_ctx = ctx;
	seq += (uint64_t)nb;
	for (int j = 0; j < nb; j++)
		atomic_store_explicit(&arrived[j], 0, memory_order_relaxed);
	atomic_store_explicit(&ndone, 0, memory_order_relaxed);
	/* release: the plans and cur_*; pairs with the workers' acquire */
	atomic_fetch_add_explicit(&gen, 1, memory_order_release);
	futex_wake(&gen);
	run_thread_ops(0);
	while ((n = atomic_load_explicit(&ndone, memory_order_acquire)) !=
	    LIN_MAX_THREADS - 1)
		wait_change(&ndone, n);
}

/* --- running a kind ------------------------------------------------------- */

void
lin_exec_main(struct lin_kind *k, int slot, struct lin_history *h,
    struct lin_op op)
{
	if (h->n >= LIN_MAX_OPS)
		bail_out("history too long");
	op.thread = 0;
	op.flags = 0;
	op.delay = 0;
	h->ops[h->n] = op;
	k->exec(k->ctx, slot, &h->ops[h->n]);
	h->n++;
}

/* A history the model rejected: does the weak model accept it?  Counts
 * and reports the first two that it does. */
static int
weak_only(struct lin_kind *k, const struct lin_history *h)
{
	if (!lin_check(k->weak, h, NULL, NULL))
		return 0;
	if (++k->weak_only <= 2) {
		diag("%s: history %lu is NOT LINEARIZABLE with one point per "
		    "operation, but is as a %s:", k->name, k->histories,
		    k->weak->name);
		(void)lin_check(k->model, h, NULL, NULL); /* for its report */
		lin_print(k->model, h);
	}
	return 1;
}

int
lin_strict(void)
{
	const char *e = getenv("ACHAN_LIN_STRICT");

	/* strict unless told otherwise: the library waits out the other
	 * side's step in flight, so one point per operation must hold */
	return e == NULL || strcmp(e, "0") != 0;
}


/* Drop the operations that did not run (LIN_F_SKIP). */
static void
drop_skipped(struct lin_history *h)
{
	int n = 0;

	for (int i = 0; i < h->n; i++)
		if (!(h->ops[i].flags & LIN_F_SKIP))
			h->ops[n++] = h->ops[i];
	h->n = n;
}

void
lin_kind_run(struct lin_kind *k, unsigned long count, double min_seconds,
    unsigned long stop_after_bad)
{
	static struct lin_history hs[LIN_BATCH];
	double t0 = lin_now(), tc;
	struct lin_stats stats;
	int ok, nb;

	for (;;) {
		if (k->histories >= count && lin_now() - t0 >= min_seconds)
			break;
		if (stop_after_bad && k->bad >= stop_after_bad)
			break;
		/* the last batch of a count stops at the count */
		nb = LIN_BATCH;
		if (k->histories < count && count - k->histories < LIN_BATCH)
			nb = (int)(count - k->histories);
		for (int j = 0; j < nb; j++) {
			memset(&hs[j], 0, sizeof(hs[j]));
			k->plan(k->ctx, j, &hs[j]);
		}
		lin_pool_run(hs, nb, k->exec, k->ctx);
		for (int j = 0; j < nb; j++) {
			struct lin_history *h = &hs[j];

			drop_skipped(h);
			k->finish(k, j, h);
			tc = lin_now();
			memset(&stats, 0, sizeof(stats));
			ok = lin_check(k->model, h, &stats, NULL);
			k->polls_waited += stats.polls_waited;
			if (ok && stats.polls_waited > 0) {
				/* did it need that? (rare: a check more) */
				struct lin_model one = *k->model;

				one.split_poll = 0;
				if (!lin_check(&one, h, NULL, NULL))
					k->polls_waited_only++;
			}
			k->check_seconds += lin_now() - tc;
			if (stats.steps > k->max_steps)
				k->max_steps = stats.steps;
			k->histories++;
			k->ops += (unsigned long)h->n;
			for (int i = 0; i < h->n; i++) {
				const struct lin_op *op = &h->ops[i];

				if (op->st >= 0 && op->st < 16)
					k->status_count[op->code][op->st]++;
			}
			if (ok)
				continue;
			if (k->weak != NULL && weak_only(k, h) &&
			    !lin_strict())
				continue;
			k->bad++;
			if (k->bad == 1)
				k->first_bad = k->histories;
			if (stop_after_bad ? k->bad == 1 : k->bad <= 3) {
				diag("%s: NOT LINEARIZABLE (history %lu):",
				    k->name, k->histories);
				/* the model's search again (weak_only ran
				 * the weak one's), for the report */
				(void)lin_check(k->model, h, NULL, NULL);
				lin_print(k->model, h);
			}
		}
	}
	k->seconds = lin_now() - t0;
	lin_kind_report(k);
}

int
lin_kind_saw_all(const struct lin_saw *want, size_t n)
{
	size_t i;
	int all = 1;

	for (i = 0; i < n; i++) {
		if (want[i].kind->status_count[want[i].code][want[i].st] > 0)
			continue;
		diag("%s: no %s answered %s", want[i].kind->name,
		    lin_opname(want[i].code), lin_stname(want[i].st));
		all = 0;
	}
	return all;
}

void
lin_kind_report(const struct lin_kind *k)
{
	char line[512];

	diag("%s: %lu histories (%lu operations) in %.2f s: %.1f us per history "
	    "(checking %.2f us, at most %lu search steps); %lu not linearizable",
	    k->name, k->histories, k->ops, k->seconds,
	    k->histories ? k->seconds * 1e6 / (double)k->histories : 0.0,
	    k->histories ? k->check_seconds * 1e6 / (double)k->histories : 0.0,
	    k->max_steps, k->bad);
	if (k->weak != NULL)
		diag("  ... and %lu linearizable only as a %s%s", k->weak_only,
		    k->weak->name, lin_strict() ? " (counted as not)" :
		    " (not failed: ACHAN_LIN_STRICT=0)");
	if (k->model->split_poll && k->status_count[LIN_SEND_POLL][ACHAN_OK])
		diag("  ... %lu linearizable only as a send poll answering OK "
		    "that waited inside its interval (registered, then served; "
		    "%lu of the %lu such polls waited in the witnesses found)",
		    k->polls_waited_only, k->polls_waited,
		    k->status_count[LIN_SEND_POLL][ACHAN_OK]);
	for (int c = 0; c < LIN_NOPS; c++) {
		size_t o = 0;
		unsigned long tot = 0;

		for (int s = 0; s < 16; s++)
			tot += k->status_count[c][s];
		if (tot == 0)
			continue;
		o += (size_t)snprintf(line, sizeof(line), "  %-10s",
		    lin_opname(c));
		for (int s = 0; s < 16 && o < sizeof(line); s++) {
			const char *name;

			if (k->status_count[c][s] == 0)
				continue;
			name = lin_stname(s);
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			    " %s %lu", name, k->status_count[c][s]);
		}
		diag("%s", line);
	}
}

/* --- random plans --------------------------------------------------------- */

int
lin_plan_random(struct lin_history *h, const unsigned weights[LIN_NOPS],
    unsigned blocking, int allow_blocking, unsigned max_closes)
{
	unsigned nthreads = 3 + lin_randn(2), total = 0, closes = 0;
	unsigned next_tag = 1;
	int has_blocking = 0;

	for (int c = 0; c < LIN_NOPS; c++)
		total += weights[c];
	h->n = 0;
	for (unsigned t = 0; t < nthreads; t++) {
		unsigned k = 3 + lin_randn(4);

		for (unsigned i = 0; i < k; i++) {
			struct lin_op *op = &h->ops[h->n];
			unsigned r;
			int c;

			do {
				r = lin_randn(total);
				for (c = 0; r >= weights[c]; c++)
					r -= weights[c];
			} while (c == LIN_CLOSE && closes >= max_closes);
			if (c == LIN_CLOSE)
				closes++;
			if (blocking >> c & 1u) {
				if (t == 0 || !allow_blocking)
					c = c == LIN_SEND ? LIN_SEND_UNTIL :
					    LIN_RECV_UNTIL;
				else
					has_blocking = 1;
			}
			memset(op, 0, sizeof(*op));
			op->thread = (uint8_t)t;
			op->code = (uint8_t)c;
			if (c == LIN_TRY_SEND || c == LIN_SEND ||
			    c == LIN_SEND_UNTIL || c == LIN_SEND_POLL ||
			    c == LIN_SEND_REPOLL || c == LIN_SEND_CANCEL)
				op->arg = next_tag++;
			h->n++;
		}
	}
	return has_blocking;
}

void
lin_plan_append(struct lin_history *h, unsigned thread, int code,
    uint64_t arg, unsigned flags)
{
	struct lin_op *op = &h->ops[h->n++];

	memset(op, 0, sizeof(*op));
	op->thread = (uint8_t)thread;
	op->code = (uint8_t)code;
	op->arg = arg;
	op->flags = (uint8_t)flags;
}
