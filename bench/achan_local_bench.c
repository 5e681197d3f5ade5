/*
 * bench/achan_local_bench.c - achan-local-bench: the single-thread flavour
 * (ACHAN_LOCAL) against the thread-safe channel, both driven from one
 * thread, measured in the same run.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Workloads (8-byte values):
 *   burst B   one thread alternates B try_send calls with B try_recv calls
 *             on one channel of capacity CAP (default 256); B = 1, 16, CAP.
 *             Every value is checked by sum.  Metric: ns per message (one
 *             send plus one receive).
 *   pingpong  two channels of capacity CAP (1, then 0); task A sends i on
 *             ch1 and awaits the echo on ch2, task B receives on ch1 and
 *             sends it back on ch2.  Both are futures-driven state machines
 *             run by a tiny run-queue executor whose wakers enqueue the task
 *             (the pattern of t/chan_local.c).  Every echo is checked.
 *             Metric: ns per round trip.
 *
 * Method: each cell runs --reps times (default 7), interleaved rep -> cell
 * -> flavour, the flavour order alternating from run to run so drift is
 * shared; one untimed warm-up run of every cell and flavour comes first.
 * The table shows medians, the spread (max - min over median) of each, and
 * thread-safe / local: > 1 means the local flavour is faster.
 *
 * Usage: achan-local-bench [--reps N] [--msgs N] [--rounds N] [--cap N]
 *   --msgs    messages per burst run (default 4000000)
 *   --rounds  round trips per ping-pong run (default 400000)
 * Exit status: 0, 1 if a value was wrong or a call failed, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <achan.h>

#include "bench_util.h"

#define MAX_REPS 101

static int failed;

static void
fail(const char *what, int status)
{
	if (!failed)
		fprintf(stderr, "FAIL: %s: %s\n", what, achan_strerror(status));
	failed = 1;
}

static struct achan_chan *
mk(size_t cap, unsigned flags)
{
	struct achan_chan *ch = NULL;
	int r = achan_chan_create(&ch, sizeof(uint64_t), cap, flags);

	if (r != ACHAN_OK) {
		fprintf(stderr, "achan_chan_create(cap %zu): %s\n", cap,
		    achan_strerror(r));
		exit(1);
	}
	return ch;
}

/* --- burst: try_send x B, try_recv x B ------------------------------------- */

static double
run_burst(unsigned flags, size_t cap, uint64_t burst, uint64_t msgs)
{
	struct achan_chan *ch = mk(cap, flags);
	uint64_t rounds = msgs / burst, seq = 0, sum = 0, v, n;
	double t0, t1;
	int r;

	t0 = bench_now();
	for (uint64_t i = 0; i < rounds; i++) {
		for (uint64_t k = 0; k < burst; k++) {
			v = seq++;
			r = achan_chan_try_send(ch, &v);
			if (r != ACHAN_OK)
				fail("burst try_send", r);
		}
		for (uint64_t k = 0; k < burst; k++) {
			r = achan_chan_try_recv(ch, &v);
			if (r != ACHAN_OK)
				fail("burst try_recv", r);
			sum += v;
		}
	}
	t1 = bench_now();
	n = rounds * burst;
	if (sum != bench_expected_sum(n))
		fail("burst sum", ACHAN_OK);
	r = achan_chan_destroy(ch);
	if (r != ACHAN_OK)
		fail("burst destroy", r);
	return (t1 - t0) * 1e9 / (double)n;
}

/* --- ping-pong of two futures on one thread ---------------------------------- */

struct pp;

struct pp_task {
	int (*step)(struct pp *pp, struct pp_task *t);
	struct pp_task *next;
	int queued;
	int state;
	int done;
	struct achan_waker waker;
	struct pp *pp;
	struct achan_chan_send_future sf;
	struct achan_chan_recv_future rf;
	uint64_t val, in;
};

struct pp {
	struct achan_chan *ch1, *ch2;
	uint64_t rounds, i;
	struct pp_task a, b;
	struct pp_task *head, *tail;
};

static void
pp_push(struct pp *pp, struct pp_task *t)
{
	if (t->queued)
		return;
	t->queued = 1;
	t->next = NULL;
	if (pp->tail != NULL)
		pp->tail->next = t;
	else
		pp->head = t;
	pp->tail = t;
}

static void
pp_wake(void *arg)
{
	struct pp_task *t = arg;

	pp_push(t->pp, t);
}

enum { A_SEND, A_SENDING, A_RECVING };
enum { B_RECV, B_RECVING, B_SENDING };

/* A: send i on ch1, await it back on ch2; close ch1 after the last round. */
static int
step_a(struct pp *pp, struct pp_task *t)
{
	int r;

	for (;;) {
		if (t->state == A_SEND) {
			if (pp->i == pp->rounds) {
				achan_chan_close(pp->ch1);
				return 1;
			}
			t->val = pp->i;
			achan_chan_send_future_init(&t->sf, pp->ch1, &t->val);
			t->state = A_SENDING;
		}
		if (t->state == A_SENDING) {
			r = achan_chan_send_poll(&t->sf, &t->waker);
			if (r == ACHAN_PENDING)
				return 0;
			if (r != ACHAN_OK) {
				fail("ping send", r);
				return 1;
			}
			achan_chan_recv_future_init(&t->rf, pp->ch2, &t->in);
			t->state = A_RECVING;
		}
		r = achan_chan_recv_poll(&t->rf, &t->waker);
		if (r == ACHAN_PENDING)
			return 0;
		if (r != ACHAN_OK || t->in != pp->i) {
			fail("ping echo", r);
			return 1;
		}
		pp->i++;
		t->state = A_SEND;
	}
}

/* B: echo whatever arrives on ch1 back on ch2, until ch1 is closed. */
static int
step_b(struct pp *pp, struct pp_task *t)
{
	int r;

	for (;;) {
		if (t->state == B_RECV) {
			achan_chan_recv_future_init(&t->rf, pp->ch1, &t->in);
			t->state = B_RECVING;
		}
		if (t->state == B_RECVING) {
			r = achan_chan_recv_poll(&t->rf, &t->waker);
			if (r == ACHAN_PENDING)
				return 0;
			if (r == ACHAN_CLOSED)
				return 1;
			if (r != ACHAN_OK) {
				fail("pong receive", r);
				return 1;
			}
			t->val = t->in;
			achan_chan_send_future_init(&t->sf, pp->ch2, &t->val);
			t->state = B_SENDING;
		}
		r = achan_chan_send_poll(&t->sf, &t->waker);
		if (r == ACHAN_PENDING)
			return 0;
		if (r != ACHAN_OK) {
			fail("pong send", r);
			return 1;
		}
		t->state = B_RECV;
	}
}

static void
task_init(struct pp *pp, struct pp_task *t,
		int (*step)(struct pp *, struct pp_task *))
{
	memset(t, 0, sizeof(*t));
	t->step = step;
	t->pp = pp;
	t->waker.wake = pp_wake;
	t->waker.arg = t;
}

static double
run_pingpong(unsigned flags, size_t cap, uint64_t rounds)
{
	struct pp pp;
	struct pp_task *t;
	double t0, t1;
	int r;

	memset(&pp, 0, sizeof(pp));
	pp.ch1 = mk(cap, flags);
	pp.ch2 = mk(cap, flags);
	pp.rounds = rounds;
	task_init(&pp, &pp.a, step_a);
	task_init(&pp, &pp.b, step_b);
	pp_push(&pp, &pp.b);	/* the echo task registers first */
	pp_push(&pp, &pp.a);
	t0 = bench_now();
	while ((t = pp.head) != NULL) {
		pp.head = t->next;
		if (pp.head == NULL)
			pp.tail = NULL;
		t->queued = 0;
		if (!t->done)
			t->done = t->step(&pp, t);
	}
	t1 = bench_now();
	if (pp.i != rounds || !pp.a.done || !pp.b.done)
		fail("ping-pong did not finish", ACHAN_OK);
	r = achan_chan_destroy(pp.ch1);
	if (r == ACHAN_OK)
		r = achan_chan_destroy(pp.ch2);
	if (r != ACHAN_OK)
		fail("ping-pong destroy", r);
	return (t1 - t0) * 1e9 / (double)rounds;
}

/* --- driver ------------------------------------------------------------------ */

enum { K_BURST, K_PINGPONG };

struct cell {
	int kind;
	size_t cap;
	uint64_t burst;
	double ns[2][MAX_REPS];	/* [0] local, [1] thread-safe */
};

static double
run_cell(const struct cell *c, int ts, uint64_t msgs, uint64_t rounds)
{
	unsigned flags = ts ? 0 : ACHAN_LOCAL;

	if (c->kind == K_BURST)
		return run_burst(flags, c->cap, c->burst, msgs);
	return run_pingpong(flags, c->cap, rounds);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of v[0..n-1] (sorted in place); *spread = (max - min) / median. */
static double
median(double *v, int n, double *spread)
{
	double m;

	qsort(v, (size_t)n, sizeof(double), cmp_double);
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*spread = m > 0 ? (v[n - 1] - v[0]) / m : 0;
	return m;
}

static void
usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--reps N (1..%d)] [--msgs N] [--rounds N] "
	    "[--cap N (>= 16)]\n", argv0, MAX_REPS);
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reps", required_argument, NULL, 'r' },
		{ "msgs", required_argument, NULL, 'm' },
		{ "rounds", required_argument, NULL, 'p' },
		{ "cap", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t reps = 7, msgs = 4000000, rounds = 400000, cap = 256;
	struct cell cells[5];
	int ncells = 0, o;
	double start = bench_now();

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		uint64_t *dst = o == 'r' ? &reps : o == 'm' ? &msgs :
		    o == 'p' ? &rounds : o == 'c' ? &cap : NULL;

		if (dst == NULL || bench_parse_u64(optarg, dst) != 0)
			usage(argv[0]);
	}
	if (optind != argc || reps < 1 || reps > MAX_REPS || msgs < 1 ||
	    rounds < 1 || cap < 16 || cap > ACHAN_CHAN_MAX_CAPACITY)
		usage(argv[0]);
	if (msgs < cap)
		msgs = cap;

	memset(cells, 0, sizeof(cells));
	cells[ncells++] = (struct cell){ .kind = K_BURST, .cap = cap, .burst = 1 };
	cells[ncells++] = (struct cell){ .kind = K_BURST, .cap = cap, .burst = 16 };
	cells[ncells++] = (struct cell){ .kind = K_BURST, .cap = cap, .burst = cap };
	cells[ncells++] = (struct cell){ .kind = K_PINGPONG, .cap = 1 };
	cells[ncells++] = (struct cell){ .kind = K_PINGPONG, .cap = 0 };

	/* warm-up: every cell and flavour once, short and untimed */
	for (int c = 0; c < ncells; c++)
		for (int ts = 0; ts < 2; ts++)
			(void)run_cell(&cells[c], ts, msgs / 8 + cap, rounds / 8 + 1);

	for (uint64_t rep = 0; rep < reps; rep++)
		for (int c = 0; c < ncells; c++)
			for (int k = 0; k < 2; k++) {
				int ts = (int)((rep + (uint64_t)c + (uint64_t)k) % 2);

				cells[c].ns[ts][rep] = run_cell(&cells[c], ts, msgs,
				    rounds);
			}

	printf("achan-local-bench: one thread, %llu reps (medians), %llu "
	    "messages per burst run, %llu round trips per ping-pong run\n",
	    (unsigned long long)reps, (unsigned long long)msgs,
	    (unsigned long long)rounds);
	printf("%-10s %5s %6s %-7s %10s %7s %12s %7s %10s\n", "workload", "cap",
	    "burst", "unit", "local", "spread", "thread-safe", "spread",
	    "ts/local");
	for (int c = 0; c < ncells; c++) {
		struct cell *ce = &cells[c];
		double sl, st, ml = median(ce->ns[0], (int)reps, &sl);
		double mt = median(ce->ns[1], (int)reps, &st);
		char burst[16];

		if (ce->kind == K_BURST)
			snprintf(burst, sizeof(burst), "%llu",
			    (unsigned long long)ce->burst);
		else
			snprintf(burst, sizeof(burst), "-");
		printf("%-10s %5zu %6s %-7s %10.2f %6.0f%% %12.2f %6.0f%% %9.2fx\n",
		    ce->kind == K_BURST ? "burst" : "pingpong", ce->cap, burst,
		    ce->kind == K_BURST ? "ns/msg" : "ns/rt", ml, sl * 100, mt,
		    st * 100, ml > 0 ? mt / ml : 0.0);
	}
	printf("(%.1f s in all%s)\n", bench_now() - start,
	    failed ? "; FAILED, see stderr" : "");
	return failed ? 1 : 0;
}
