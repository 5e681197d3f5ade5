/*
 * t/chan_local.c - the single-thread flavour (ACHAN_LOCAL): the same
 * contract as the thread-safe channel, driven by a tiny run-queue executor
 * on one thread, plus EDEADLK for blocking calls that would have to wait.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <achan.h>

#include "tap.h"
#include "test_util.h"

/* --- a tiny executor: tasks are state machines, wakers enqueue them ------- */

struct task;
typedef int (*step_fn)(struct task *t);	/* 1: finished */

struct task {
	step_fn step;
	int queued;
	unsigned wakes;
	struct task *next;
	/* producer / consumer state */
	struct achan_chan *ch;
	uint64_t i, n;
	uint64_t value;
	int have_future;
	struct achan_chan_send_future sf;
	struct achan_chan_recv_future rf;
	uint64_t *log;
	size_t nlog;
	int final;
};

static struct task *runq_head, *runq_tail;

static void
runq_push(struct task *t)
{
	if (t->queued)
		return;
	t->queued = 1;
	t->next = NULL;
	if (runq_tail)
		runq_tail->next = t;
	else
		runq_head = t;
	runq_tail = t;
}

static void
task_wake(void *arg)
{
	struct task *t = arg;

	t->wakes++;
	runq_push(t);
}

/* Run until no task is runnable; returns the number of steps taken. */
static unsigned
run_all(void)
{
	unsigned steps = 0;
	struct task *t;

	while ((t = runq_head) != NULL) {
		runq_head = t->next;
		if (!runq_head)
			runq_tail = NULL;
		t->queued = 0;
		steps++;
		if (steps > 10000000u)
			bail_out("executor does not settle");
		(void)t->step(t);
	}
	return steps;
}

/* Producer: send i = 0..n-1 through send futures. */
static int
producer_step(struct task *t)
{
	struct achan_waker w = { task_wake, t };

	while (t->i < t->n) {
		if (!t->have_future) {
			t->value = t->i;
			achan_chan_send_future_init(&t->sf, t->ch, &t->value);
			t->have_future = 1;
		}
		int r = achan_chan_send_poll(&t->sf, &w);
		if (r == ACHAN_PENDING)
			return 0;
		t->have_future = 0;
		if (r != ACHAN_OK) {
			t->final = r;
			return 1;
		}
		t->i++;
	}
	t->final = achan_chan_close(t->ch);
	return 1;
}

/* Consumer: receive until CLOSED, logging every value. */
static int
consumer_step(struct task *t)
{
	struct achan_waker w = { task_wake, t };

	for (;;) {
		if (!t->have_future) {
			achan_chan_recv_future_init(&t->rf, t->ch, &t->value);
			t->have_future = 1;
		}
		int r = achan_chan_recv_poll(&t->rf, &w);
		if (r == ACHAN_PENDING)
			return 0;
		t->have_future = 0;
		if (r != ACHAN_OK) {
			t->final = r;
			return 1;
		}
		if (t->nlog < t->n)
			t->log[t->nlog] = t->value;
		t->nlog++;
	}
}

static void
test_executor(size_t cap, uint64_t n, unsigned consumers)
{
	struct achan_chan *ch;
	struct task prod, cons[4];
	uint64_t total = 0;
	int order_ok = 1, final_ok = 1;

	is_st(achan_chan_create(&ch, sizeof(uint64_t), cap, ACHAN_LOCAL), ACHAN_OK,
	    "local cap %zu: create", cap);
	memset(&prod, 0, sizeof(prod));
	prod.step = producer_step;
	prod.ch = ch;
	prod.n = n;
	for (unsigned c = 0; c < consumers; c++) {
		memset(&cons[c], 0, sizeof(cons[c]));
		cons[c].step = consumer_step;
		cons[c].ch = ch;
		cons[c].n = n;
		cons[c].log = calloc(n, sizeof(uint64_t));
		runq_push(&cons[c]);	/* consumers first: they register */
	}
	runq_push(&prod);
	run_all();
	ok(prod.i == n && prod.final == ACHAN_NEWLY_CLOSED,
	    "local cap %zu, %u consumer(s): producer sent all %llu and closed", cap,
	    consumers, (unsigned long long)n);
	for (unsigned c = 0; c < consumers; c++) {
		total += cons[c].nlog;
		final_ok &= cons[c].final == ACHAN_CLOSED;
		for (size_t k = 1; k < cons[c].nlog && k < n; k++)
			order_ok &= cons[c].log[k] > cons[c].log[k - 1];
		free(cons[c].log);
	}
	ok(total == n, "local cap %zu: every value received exactly once (%llu)",
	    cap, (unsigned long long)total);
	ok(order_ok, "local cap %zu: each consumer sees increasing values", cap);
	ok(final_ok, "local cap %zu: every consumer ends with CLOSED", cap);
	is_st(achan_chan_destroy(ch), ACHAN_OK, "local cap %zu: destroy", cap);
}

/* --- blocking calls on a local channel ------------------------------------- */

static void
test_edeadlk(void)
{
	struct achan_chan *ch, *ub;
	struct timespec past = { 0, 0 };
	uint64_t v = 7, out = 0;

	achan_chan_create(&ch, sizeof(uint64_t), 1, ACHAN_LOCAL);
	is_st(achan_chan_recv(ch, &out), ACHAN_EDEADLK, "recv on empty local: EDEADLK");
	is_st(achan_chan_recv_until(ch, &out, &past), ACHAN_EDEADLK,
	    "recv_until on empty local: EDEADLK");
	is_st(achan_chan_send(ch, &v), ACHAN_OK, "send with room: OK");
	is_st(achan_chan_send(ch, &v), ACHAN_EDEADLK, "send on full local: EDEADLK");
	is_st(achan_chan_send_until(ch, &v, &past), ACHAN_EDEADLK,
	    "send_until on full local: EDEADLK");
	is_u(achan_chan_len(ch), 1, "the refused sends added nothing");
	is_st(achan_chan_recv(ch, &out), ACHAN_OK, "recv with a value: OK");
	is_u(out, 7, "and gets it");
	is_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "close local");
	is_st(achan_chan_recv(ch, &out), ACHAN_CLOSED, "recv after close: CLOSED, not EDEADLK");
	is_st(achan_chan_send(ch, &v), ACHAN_CLOSED, "send after close: CLOSED");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");

	/* unbuffered: a blocking call meets a registered future, else EDEADLK */
	achan_chan_create(&ub, sizeof(uint64_t), 0, ACHAN_LOCAL);
	is_st(achan_chan_send(ub, &v), ACHAN_EDEADLK, "unbuffered send, no receiver: EDEADLK");
	struct rec_waker rec;
	struct achan_chan_recv_future rf;
	rec_init(&rec, 1, NULL);
	achan_chan_recv_future_init(&rf, ub, &out);
	out = 0;
	is_st(achan_chan_recv_poll(&rf, &rec.w), ACHAN_PENDING, "receive future pends");
	v = 99;
	is_st(achan_chan_send(ub, &v), ACHAN_OK, "blocking send meets the future: OK");
	is_u(rec_calls(&rec), 1, "the future's waker ran once");
	is_st(achan_chan_recv_poll(&rf, &rec.w), ACHAN_OK, "future completes");
	is_u(out, 99, "with the value");
	is_st(achan_chan_destroy(ub), ACHAN_OK, "destroy unbuffered");
}

/* --- cancel hand-on, FIFO, waker replacement, on one thread ----------------- */

static void
test_futures(void)
{
	struct achan_chan *ch;
	struct rec_waker r1, r2, r3;
	struct achan_chan_recv_future f1, f2;
	uint64_t o1 = 0, o2 = 0, v = 5;

	achan_chan_create(&ch, sizeof(uint64_t), 2, ACHAN_LOCAL);
	rec_init(&r1, 1, NULL);
	rec_init(&r2, 2, NULL);
	rec_init(&r3, 3, NULL);
	achan_chan_recv_future_init(&f1, ch, &o1);
	achan_chan_recv_future_init(&f2, ch, &o2);
	is_st(achan_chan_recv_poll(&f1, &r1.w), ACHAN_PENDING, "f1 pends");
	is_st(achan_chan_recv_poll(&f2, &r2.w), ACHAN_PENDING, "f2 pends");
	is_st(achan_chan_recv_poll(&f1, &r3.w), ACHAN_PENDING, "f1 re-polled with a new waker");
	is_st(achan_chan_destroy(ch), ACHAN_EBUSY, "destroy with registered futures: EBUSY");
	is_st(achan_chan_try_send(ch, &v), ACHAN_OK, "try_send");
	ok(rec_calls(&r1) == 0 && rec_calls(&r3) == 1 && rec_calls(&r2) == 0,
	    "the oldest receiver's latest waker fired, and only it");
	is_st(achan_chan_recv_cancel(&f1), ACHAN_CANCELLED,
	    "cancel the woken, unpolled f1: CANCELLED");
	is_u(rec_calls(&r2), 1, "its wakeup went on to f2");
	is_st(achan_chan_recv_poll(&f2, &r2.w), ACHAN_OK, "f2 takes the value");
	is_u(o2, 5, "the value");
	is_st(achan_chan_recv_poll(&f2, &r2.w), ACHAN_EINVAL, "poll after completion: EINVAL");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy once nothing is registered");
}

/* A waker that polls its own future from inside the wake is told EINVAL. */
static struct achan_chan_recv_future reent_f;
static int reent_result = -1;

static void
reentrant_wake(void *arg)
{
	reent_result = achan_chan_recv_poll(&reent_f, arg);
}

static void
test_reentrant_poll(unsigned flags, const char *what)
{
	struct achan_chan *ch;
	struct achan_waker w = { reentrant_wake, NULL };
	uint64_t out = 0, v = 3;

	w.arg = &w;
	achan_chan_create(&ch, sizeof(uint64_t), 1, flags);
	achan_chan_recv_future_init(&reent_f, ch, &out);
	is_st(achan_chan_recv_poll(&reent_f, &w), ACHAN_PENDING, "%s: future pends", what);
	reent_result = -1;
	is_st(achan_chan_try_send(ch, &v), ACHAN_OK, "%s: try_send wakes it", what);
	is_st(reent_result, ACHAN_EINVAL, "%s: poll from inside its own wake: EINVAL", what);
	is_st(achan_chan_recv_poll(&reent_f, &w), ACHAN_OK, "%s: polled after the wake: OK", what);
	is_u(out, 3, "%s: value", what);
	is_st(achan_chan_destroy(ch), ACHAN_OK, "%s: destroy", what);
}

int
main(void)
{
	tap_watchdog(60);
	test_edeadlk();
	test_futures();
	test_reentrant_poll(ACHAN_LOCAL, "local");
	test_reentrant_poll(0, "thread-safe");
	test_executor(1, 1000, 1);
	test_executor(2, 5000, 3);
	test_executor(0, 2000, 2);
	test_executor(1024, 100000, 4);
	return done_testing();
}
