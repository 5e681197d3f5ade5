/*
 * t/chan_stream.c - the fused receive stream (achan_chan_stream_*): values in
 * order until the channel is closed and drained, then ACHAN_CLOSED on every
 * later poll / next / next_until (fused); the async side (poll + waker,
 * driven by a tiny single-thread executor, and from a thread woken by a
 * flag) and the blocking side (next from a thread); mixing the two (a
 * pending poll then next: the pending receive is cancelled and a value it
 * had already got is returned, never lost); stream_cancel (OK with the value
 * when one had arrived, else CANCELLED; the wakeup is handed on; the stream
 * stays usable); next_until timing out; next on a local channel that would
 * wait (EDEADLK); bad input (NULL, uninitialised stream memory, torn-down
 * channel).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_util.h"

static struct achan_chan *
mk(size_t cap, unsigned flags)
{
	struct achan_chan *ch = NULL;

	if (achan_chan_create(&ch, sizeof(uint64_t), cap, flags) != ACHAN_OK || !ch)
		bail_out("achan_chan_create(cap %zu, flags %u) failed", cap, flags);
	return ch;
}

static const char *
flavour(unsigned flags)
{
	return flags & ACHAN_LOCAL ? "local" : "thread-safe";
}

/* --- 1. in order, then fused CLOSED ----------------------------------------- */

static void
test_order_and_fused(unsigned flags, int use_next)
{
	const char *fl = flavour(flags);
	const char *how = use_next ? "next" : "poll";
	struct achan_chan *ch = mk(8, flags);
	struct achan_chan_stream s;
	struct rec_waker w;
	struct timespec past = { 0, 0 };
	uint64_t out = 0, v;
	int good = 1;

	rec_init(&w, 1, NULL);
	is_st(achan_chan_stream_init(&s, ch, &out), ACHAN_OK, "%s/%s: stream_init",
	    fl, how);
	for (v = 1; v <= 5; v++)
		achan_chan_try_send(ch, &v);
	/* two values now, then close with three still buffered */
	for (v = 1; v <= 2; v++) {
		int r = use_next ? achan_chan_stream_next(&s) :
		    achan_chan_stream_poll(&s, &w.w);
		good &= r == ACHAN_OK && out == v;
	}
	ok(good, "%s/%s: 1, 2 in order", fl, how);
	is_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "%s/%s: close with 3 left",
	    fl, how);
	good = 1;
	for (v = 3; v <= 5; v++) {
		int r = use_next ? achan_chan_stream_next(&s) :
		    achan_chan_stream_poll(&s, &w.w);
		good &= r == ACHAN_OK && out == v;
	}
	ok(good, "%s/%s: after close the stream drains 3, 4, 5 in order", fl, how);
	out = 77;
	is_st(use_next ? achan_chan_stream_next(&s) :
	    achan_chan_stream_poll(&s, &w.w), ACHAN_CLOSED,
	    "%s/%s: closed and drained: CLOSED", fl, how);
	good = 1;
	for (int i = 0; i < 4; i++) {
		good &= achan_chan_stream_poll(&s, &w.w) == ACHAN_CLOSED;
		good &= achan_chan_stream_next(&s) == ACHAN_CLOSED;
		good &= achan_chan_stream_next_until(&s, &past) == ACHAN_CLOSED;
	}
	ok(good, "%s/%s: fused: poll, next and next_until answer CLOSED again and "
	    "again", fl, how);
	is_st(achan_chan_stream_cancel(&s), ACHAN_CANCELLED,
	    "%s/%s: cancel on a finished stream: CANCELLED", fl, how);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_CLOSED,
	    "%s/%s: still CLOSED after the cancel", fl, how);
	is_u(out, 77, "%s/%s: nothing written after the end", fl, how);
	is_u(rec_calls(&w), 0, "%s/%s: the waker was never needed", fl, how);
	is_st(achan_chan_destroy(ch), ACHAN_OK,
	    "%s/%s: destroy: the fused stream left nothing registered", fl, how);
}

/* A stream over a paired channel: the fused state needs no channel, so it
 * still answers CLOSED after the last handle freed the channel. */
static void
test_fused_outlives_channel(unsigned flags)
{
	const char *fl = flavour(flags);
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	struct achan_chan_stream s;
	struct rec_waker w;
	uint64_t out = 0, v = 9;
	int good = 1;

	rec_init(&w, 1, NULL);
	if (achan_chan_pair(&tx, &rx, sizeof(uint64_t), 2, flags) != ACHAN_OK)
		bail_out("pair");
	achan_chan_stream_init(&s, achan_chan_receiver_chan(&rx), &out);
	achan_chan_try_send(achan_chan_sender_chan(&tx), &v);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_OK, "%s paired: value", fl);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_PENDING, "%s paired: pends", fl);
	is_st(achan_chan_sender_release(&tx), ACHAN_OK,
	    "%s paired: release the last sender", fl);
	is_u(rec_calls(&w), 1, "%s paired: the close woke the stream", fl);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_CLOSED, "%s paired: CLOSED",
	    fl);
	achan_chan_receiver_release(&rx);	/* frees the channel */
	for (int i = 0; i < 3; i++) {
		good &= achan_chan_stream_poll(&s, &w.w) == ACHAN_CLOSED;
		good &= achan_chan_stream_next(&s) == ACHAN_CLOSED;
	}
	ok(good, "%s paired: still CLOSED once the channel is gone (fused, "
	    "no access to it)", fl);
}

/* --- 2. async: a tiny executor on one thread -------------------------------- */

struct task;
typedef void (*step_fn)(struct task *t);

struct task {
	step_fn step;
	int queued;
	struct task *next;
	struct achan_chan *ch;
	uint64_t i, n, value;
	int have_future;
	struct achan_chan_send_future sf;
	struct achan_chan_stream st;
	uint64_t *log;
	uint64_t nlog;
	int final;
	int extra_closed;	/* CLOSED answers to polls after the end */
	unsigned wakes;
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

static void
run_all(void)
{
	struct task *t;
	unsigned long steps = 0;

	while ((t = runq_head) != NULL) {
		runq_head = t->next;
		if (!runq_head)
			runq_tail = NULL;
		t->queued = 0;
		if (++steps > 10000000ul)
			bail_out("executor does not settle");
		t->step(t);
	}
}

/* Producer: sends 0..n-1 through send futures, then closes. */
static void
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
			return;
		t->have_future = 0;
		if (r != ACHAN_OK) {
			t->final = r;
			return;
		}
		t->i++;
	}
	t->final = achan_chan_close(t->ch);
}

/* Consumer: one stream, polled until CLOSED. */
static void
stream_step(struct task *t)
{
	struct achan_waker w = { task_wake, t };
	int r;

	while ((r = achan_chan_stream_poll(&t->st, &w)) == ACHAN_OK) {
		if (t->nlog < t->n)
			t->log[t->nlog] = t->value;
		t->nlog++;
	}
	if (r == ACHAN_PENDING)
		return;
	t->final = r;
	/* fused: polls after the end answer CLOSED, register nothing */
	for (int k = 0; k < 3; k++)
		t->extra_closed += achan_chan_stream_poll(&t->st, &w) == ACHAN_CLOSED;
}

static void
test_executor(unsigned flags, size_t cap, uint64_t n)
{
	const char *fl = flavour(flags);
	struct achan_chan *ch = mk(cap, flags);
	struct task prod, cons;
	int order = 1;

	memset(&prod, 0, sizeof(prod));
	memset(&cons, 0, sizeof(cons));
	prod.step = producer_step;
	prod.ch = ch;
	prod.n = n;
	prod.final = -1;
	cons.step = stream_step;
	cons.ch = ch;
	cons.n = n;
	cons.final = -1;
	cons.log = calloc(n, sizeof(uint64_t));
	if (cons.log == NULL)
		bail_out("calloc");
	achan_chan_stream_init(&cons.st, ch, &cons.value);
	runq_push(&cons);	/* the stream registers first */
	runq_push(&prod);
	run_all();
	is_st(prod.final, ACHAN_NEWLY_CLOSED,
	    "executor %s cap %zu: producer sent %llu values and closed", fl, cap,
	    (unsigned long long)n);
	is_u(cons.nlog, n, "executor %s cap %zu: the stream yielded every value",
	    fl, cap);
	for (uint64_t k = 0; k < n && k < cons.nlog; k++)
		order &= cons.log[k] == k;
	ok(order, "executor %s cap %zu: in order", fl, cap);
	is_st(cons.final, ACHAN_CLOSED, "executor %s cap %zu: then CLOSED", fl, cap);
	is_u(cons.extra_closed, 3, "executor %s cap %zu: fused", fl, cap);
	ok(cons.wakes > 0, "executor %s cap %zu: the stream's waker drove it (%u "
	    "wakes)", fl, cap, cons.wakes);
	is_st(achan_chan_destroy(ch), ACHAN_OK,
	    "executor %s cap %zu: nothing left registered", fl, cap);
	free(cons.log);
}

/* --- 3. async from a thread woken by a flag; blocking next on a thread ------ */

struct prod_thread {
	pthread_t t;
	struct achan_chan *ch;
	uint64_t n;
	int final;
};

static void *
prod_main(void *arg)
{
	struct prod_thread *p = arg;

	p->final = ACHAN_OK;
	for (uint64_t i = 0; i < p->n; i++) {
		int r = achan_chan_send(p->ch, &i);

		if (r != ACHAN_OK) {
			p->final = r;
			break;
		}
	}
	achan_chan_close(p->ch);
	return NULL;
}

static void
test_poll_with_thread(size_t cap, uint64_t n)
{
	struct achan_chan *ch = mk(cap, 0);
	struct prod_thread p = { .ch = ch, .n = n, .final = -1 };
	struct achan_chan_stream s;
	struct tu_flag f;
	uint64_t out = 0, got = 0;
	int order = 1, r, lost = 0;
	unsigned long pends = 0;

	tu_flag_init(&f);
	achan_chan_stream_init(&s, ch, &out);
	if (pthread_create(&p.t, NULL, prod_main, &p) != 0)
		bail_out("pthread_create");
	for (;;) {
		tu_flag_reset(&f);
		r = achan_chan_stream_poll(&s, &f.w);
		if (r == ACHAN_PENDING) {
			pends++;
			if (!tu_flag_wait(&f, 5000)) {
				lost = 1;
				achan_chan_stream_cancel(&s);
				break;
			}
			continue;
		}
		if (r != ACHAN_OK)
			break;
		order &= out == got;
		got++;
	}
	pthread_join(p.t, NULL);
	ok(!lost, "poll+waker cap %zu: no lost wakeup (%lu pends)", cap, pends);
	is_st(r, ACHAN_CLOSED, "poll+waker cap %zu: ends CLOSED", cap);
	is_u(got, n, "poll+waker cap %zu: every value", cap);
	ok(order, "poll+waker cap %zu: in order", cap);
	is_st(p.final, ACHAN_OK, "poll+waker cap %zu: producer ok", cap);
	is_st(achan_chan_stream_poll(&s, &f.w), ACHAN_CLOSED,
	    "poll+waker cap %zu: fused", cap);
	is_st(achan_chan_destroy(ch), ACHAN_OK, "poll+waker cap %zu: destroy", cap);
}

struct next_thread {
	pthread_t t;
	struct achan_chan_stream s;
	uint64_t out, got, n;
	int order, final, again;
	atomic_int started;
};

static void *
next_main(void *arg)
{
	struct next_thread *c = arg;
	int r;

	c->order = 1;
	atomic_store(&c->started, 1);
	while ((r = achan_chan_stream_next(&c->s)) == ACHAN_OK) {
		c->order &= c->out == c->got;
		c->got++;
	}
	c->final = r;
	c->again = 0;
	for (int i = 0; i < 3; i++)
		c->again += achan_chan_stream_next(&c->s) == ACHAN_CLOSED;
	return NULL;
}

static void
test_next_from_thread(size_t cap, uint64_t n)
{
	struct achan_chan *ch = mk(cap, 0);
	struct next_thread c;
	int good = 1;

	memset(&c, 0, sizeof(c));
	c.n = n;
	achan_chan_stream_init(&c.s, ch, &c.out);
	if (pthread_create(&c.t, NULL, next_main, &c) != 0)
		bail_out("pthread_create");
	while (!atomic_load(&c.started))
		sched_yield();
	tu_sleep_ms(20);	/* let it block in next */
	for (uint64_t i = 0; i < n; i++)
		good &= achan_chan_send(ch, &i) == ACHAN_OK;
	ok(good, "next thread cap %zu: %llu values sent", cap, (unsigned long long)n);
	achan_chan_close(ch);
	pthread_join(c.t, NULL);
	is_u(c.got, n, "next thread cap %zu: the blocking stream got every value",
	    cap);
	ok(c.order, "next thread cap %zu: in order", cap);
	is_st(c.final, ACHAN_CLOSED, "next thread cap %zu: then CLOSED", cap);
	is_u(c.again, 3, "next thread cap %zu: fused", cap);
	is_st(achan_chan_destroy(ch), ACHAN_OK, "next thread cap %zu: destroy", cap);
}

/* --- 4. mixing poll and next ------------------------------------------------- */

static void
test_poll_then_next_bounded(unsigned flags)
{
	const char *fl = flavour(flags);
	struct achan_chan *ch = mk(4, flags);
	struct achan_chan_stream s;
	struct rec_waker w;
	uint64_t out = 0, v = 5;
	struct timespec soon;

	rec_init(&w, 1, NULL);
	achan_chan_stream_init(&s, ch, &out);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_PENDING,
	    "%s cap 4: poll pends", fl);
	is_st(achan_chan_try_send(ch, &v), ACHAN_OK, "%s cap 4: a value arrives", fl);
	is_u(rec_calls(&w), 1, "%s cap 4: the stream's waker fired", fl);
	is_st(achan_chan_stream_next(&s), ACHAN_OK,
	    "%s cap 4: next after a pending poll: OK", fl);
	is_u(out, 5, "%s cap 4: the value, not lost", fl);
	is_u(achan_chan_len(ch), 0, "%s cap 4: taken once", fl);

	/* pending again; next_until (nothing comes) cancels the poll's receive */
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_PENDING,
	    "%s cap 4: poll pends again", fl);
	soon = tu_add_ms(tu_now(), 20);
	is_st(achan_chan_stream_next_until(&s, &soon),
	    flags & ACHAN_LOCAL ? ACHAN_EDEADLK : ACHAN_TIMEDOUT,
	    "%s cap 4: next_until with nothing to take: %s", fl,
	    flags & ACHAN_LOCAL ? "EDEADLK" : "TIMEDOUT");
	v = 6;
	achan_chan_try_send(ch, &v);
	is_u(rec_calls(&w), 1,
	    "%s cap 4: the poll's receive was cancelled: its waker stays quiet", fl);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_OK,
	    "%s cap 4: the stream is still usable", fl);
	is_u(out, 6, "%s cap 4: next value", fl);
	is_st(achan_chan_destroy(ch), ACHAN_OK,
	    "%s cap 4: nothing left registered", fl);
}

static void
test_poll_then_next_unbuffered(unsigned flags)
{
	const char *fl = flavour(flags);
	int local = (flags & ACHAN_LOCAL) != 0;
	struct achan_chan *ch = mk(0, flags);
	struct achan_chan_stream s;
	struct rec_waker w;
	struct timespec dl;
	uint64_t out = 0, v = 7;

	rec_init(&w, 1, NULL);
	achan_chan_stream_init(&s, ch, &out);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_PENDING,
	    "%s cap 0: poll pends", fl);
	is_st(achan_chan_try_send(ch, &v), ACHAN_OK,
	    "%s cap 0: try_send hands the value to the pending receive", fl);
	is_u(out, 7, "%s cap 0: it is in the stream's buffer already", fl);
	/* next must return the value the pending receive had got: ignoring it
	 * would wait (thread-safe: time out here) or answer EDEADLK (local) */
	dl = tu_add_ms(tu_now(), 2000);
	is_st(local ? achan_chan_stream_next(&s) :
	    achan_chan_stream_next_until(&s, &dl), ACHAN_OK,
	    "%s cap 0: next after a pending poll that got a value: OK at once", fl);
	is_u(out, 7, "%s cap 0: that value, not lost", fl);
	is_st(achan_chan_try_send(ch, &v), ACHAN_FULL,
	    "%s cap 0: no receive is left registered (try_send: FULL)", fl);
	dl = tu_add_ms(tu_now(), 20);
	is_st(achan_chan_stream_next_until(&s, &dl),
	    local ? ACHAN_EDEADLK : ACHAN_TIMEDOUT,
	    "%s cap 0: nothing more: %s", fl, local ? "EDEADLK" : "TIMEDOUT");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "%s cap 0: nothing registered", fl);
}

/* A pending poll, then a blocking next that a sender on another thread
 * satisfies. */
static void
test_poll_then_blocking_next(size_t cap)
{
	struct achan_chan *ch = mk(cap, 0);
	struct achan_chan_stream s;
	struct rec_waker w;
	struct op_thread o;
	uint64_t out = 0, v = 9;

	rec_init(&w, 1, NULL);
	achan_chan_stream_init(&s, ch, &out);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_PENDING,
	    "blocking next cap %zu: poll pends", cap);
	op_start(&o, ch, TU_SEND, &v, sizeof(v), 50);
	is_st(achan_chan_stream_next(&s), ACHAN_OK,
	    "blocking next cap %zu: next waits for the sender: OK", cap);
	is_u(out, 9, "blocking next cap %zu: its value", cap);
	is_st(op_join(&o), ACHAN_OK, "blocking next cap %zu: the send completed",
	    cap);
	is_u(rec_calls(&w), 0,
	    "blocking next cap %zu: the cancelled poll's waker never fired", cap);
	is_st(achan_chan_destroy(ch), ACHAN_OK, "blocking next cap %zu: destroy",
	    cap);
}

/* --- 5. stream_cancel ---------------------------------------------------------- */

static struct achan_chan_stream *self_stream;

static void
hook_cancel_own_stream(struct rec_waker *r)
{
	r->hook_rc = achan_chan_stream_cancel(self_stream);
}

/* A waker that cancels its own stream gets EINVAL, and the stream keeps
 * waiting: its future stays registered, so the next poll finishes it and
 * the channel can be destroyed (fuzz/crashes/chan-stream-cancel-in-wake). */
static void
test_cancel_in_own_wake(unsigned flags)
{
	const char *fl = flavour(flags);
	struct achan_chan *ch = mk(1, flags);
	struct achan_chan_stream s;
	struct rec_waker w;
	uint64_t out = 0, v = 21;

	rec_init(&w, 1, NULL);
	w.hook = hook_cancel_own_stream;
	self_stream = &s;
	achan_chan_stream_init(&s, ch, &out);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_PENDING,
	    "%s: cancel in own wake: pends", fl);
	is_st(achan_chan_try_send(ch, &v), ACHAN_OK, "%s: a send wakes it", fl);
	is_st(w.hook_rc, ACHAN_EINVAL,
	    "%s: the cancel from inside its own wake: EINVAL", fl);
	w.hook = NULL;
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_OK,
	    "%s: the stream still waits: the next poll gets the value", fl);
	is_u(out, 21, "%s: 21", fl);
	is_st(achan_chan_destroy(ch), ACHAN_OK,
	    "%s: no registration left behind: destroy OK", fl);
}

static void
test_cancel_unbuffered(unsigned flags)
{
	const char *fl = flavour(flags);
	struct achan_chan *ch = mk(0, flags);
	struct achan_chan_stream s;
	struct rec_waker w;
	uint64_t out = 0, v = 11;

	rec_init(&w, 1, NULL);
	achan_chan_stream_init(&s, ch, &out);
	is_st(achan_chan_stream_cancel(&s), ACHAN_CANCELLED,
	    "%s cap 0: cancel with nothing pending: CANCELLED", fl);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_PENDING, "%s cap 0: pends", fl);
	is_st(achan_chan_try_send(ch, &v), ACHAN_OK,
	    "%s cap 0: a sender hands a value over", fl);
	is_st(achan_chan_stream_cancel(&s), ACHAN_OK,
	    "%s cap 0: cancel after the value arrived: OK", fl);
	is_u(out, 11, "%s cap 0: the value is in out", fl);
	is_st(achan_chan_stream_cancel(&s), ACHAN_CANCELLED,
	    "%s cap 0: a second cancel: CANCELLED (nothing pending)", fl);

	/* still usable: pend, cancel before anything arrives */
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_PENDING,
	    "%s cap 0: usable after cancel: pends again", fl);
	is_st(achan_chan_stream_cancel(&s), ACHAN_CANCELLED,
	    "%s cap 0: cancel with nothing arrived: CANCELLED", fl);
	v = 12;
	is_st(achan_chan_try_send(ch, &v), ACHAN_FULL,
	    "%s cap 0: the cancelled receive is unlinked (try_send: FULL)", fl);
	is_u(out, 11, "%s cap 0: out untouched", fl);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_PENDING, "%s cap 0: pends", fl);
	is_st(achan_chan_try_send(ch, &v), ACHAN_OK, "%s cap 0: hand over 12", fl);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_OK, "%s cap 0: poll: OK", fl);
	is_u(out, 12, "%s cap 0: 12", fl);
	achan_chan_close(ch);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_CLOSED, "%s cap 0: CLOSED", fl);
	is_st(achan_chan_destroy(ch), ACHAN_OK, "%s cap 0: destroy", fl);
}

static void
test_cancel_bounded(unsigned flags)
{
	const char *fl = flavour(flags);
	struct achan_chan *ch = mk(4, flags);
	struct achan_chan_stream s1, s2;
	struct rec_waker w1, w2;
	uint64_t o1 = 0, o2 = 0, v;

	rec_init(&w1, 1, NULL);
	rec_init(&w2, 2, NULL);
	achan_chan_stream_init(&s1, ch, &o1);
	achan_chan_stream_init(&s2, ch, &o2);
	is_st(achan_chan_stream_poll(&s1, &w1.w), ACHAN_PENDING, "%s cap 4: pends", fl);
	is_st(achan_chan_stream_cancel(&s1), ACHAN_CANCELLED,
	    "%s cap 4: cancel with nothing arrived: CANCELLED", fl);
	v = 13;
	achan_chan_try_send(ch, &v);
	is_u(rec_calls(&w1), 0, "%s cap 4: the cancelled receive is unlinked", fl);
	is_st(achan_chan_stream_poll(&s1, &w1.w), ACHAN_OK,
	    "%s cap 4: still usable: OK", fl);
	is_u(o1, 13, "%s cap 4: 13", fl);

	/* two streams wait; the first is woken, then cancelled: the wakeup
	 * goes on to the second, and the value stays in the channel */
	is_st(achan_chan_stream_poll(&s1, &w1.w), ACHAN_PENDING, "%s cap 4: s1 pends", fl);
	is_st(achan_chan_stream_poll(&s2, &w2.w), ACHAN_PENDING, "%s cap 4: s2 pends", fl);
	v = 14;
	achan_chan_try_send(ch, &v);
	ok(rec_calls(&w1) == 1 && rec_calls(&w2) == 0,
	    "%s cap 4: the value woke s1 only", fl);
	is_st(achan_chan_stream_cancel(&s1), ACHAN_CANCELLED,
	    "%s cap 4: cancel the woken s1: CANCELLED (a buffered value is not "
	    "taken by a wakeup)", fl);
	is_u(o1, 13, "%s cap 4: s1's out untouched", fl);
	is_u(rec_calls(&w2), 1, "%s cap 4: s1's wakeup was handed to s2", fl);
	is_st(achan_chan_stream_poll(&s2, &w2.w), ACHAN_OK, "%s cap 4: s2 takes it", fl);
	is_u(o2, 14, "%s cap 4: 14", fl);
	is_st(achan_chan_stream_cancel(NULL), ACHAN_EINVAL,
	    "%s: stream_cancel(NULL): EINVAL", fl);
	is_st(achan_chan_destroy(ch), ACHAN_OK, "%s cap 4: nothing registered", fl);
}

/* --- 6. next_until, EDEADLK ---------------------------------------------------- */

static void
test_next_until(size_t cap)
{
	struct achan_chan *ch = mk(cap, 0);
	struct achan_chan_stream s;
	struct timespec t0, t1, dl, past = { 0, 0 }, bad;
	uint64_t out = 0, v = 3;
	double ms;

	achan_chan_stream_init(&s, ch, &out);
	t0 = tu_now();
	dl = tu_add_ms(t0, 60);
	is_st(achan_chan_stream_next_until(&s, &dl), ACHAN_TIMEDOUT,
	    "next_until cap %zu: nothing comes: TIMEDOUT", cap);
	t1 = tu_now();
	ms = tu_ms_between(t0, t1);
	ok(tu_ts_ge(t1, dl) && ms < 5000, "next_until cap %zu: waited until the "
	    "deadline (%.1f ms)", cap, ms);
	is_st(achan_chan_stream_next_until(&s, NULL), ACHAN_EINVAL,
	    "next_until cap %zu: NULL deadline: EINVAL", cap);
	bad = tu_now();
	bad.tv_nsec = 1000000000L;
	is_st(achan_chan_stream_next_until(&s, &bad), ACHAN_EINVAL,
	    "next_until cap %zu: deadline not normalised: EINVAL", cap);
	if (cap > 0) {
		achan_chan_try_send(ch, &v);
		is_st(achan_chan_stream_next_until(&s, &past), ACHAN_OK,
		    "next_until cap %zu: a value ready completes even past the "
		    "deadline", cap);
		is_u(out, 3, "next_until cap %zu: the value", cap);
	} else {
		struct op_thread o;

		op_start(&o, ch, TU_SEND, &v, sizeof(v), 20);
		dl = tu_add_ms(tu_now(), 5000);
		is_st(achan_chan_stream_next_until(&s, &dl), ACHAN_OK,
		    "next_until cap 0: a sender comes in time: OK");
		is_u(out, 3, "next_until cap 0: the value");
		op_join(&o);
	}
	achan_chan_close(ch);
	dl = tu_add_ms(tu_now(), 5000);
	is_st(achan_chan_stream_next_until(&s, &dl), ACHAN_CLOSED,
	    "next_until cap %zu: closed: CLOSED at once", cap);
	is_st(achan_chan_destroy(ch), ACHAN_OK, "next_until cap %zu: destroy", cap);
}

static void
test_local_edeadlk(size_t cap)
{
	struct achan_chan *ch = mk(cap, ACHAN_LOCAL);
	struct achan_chan_stream s;
	struct achan_chan_send_future sf;
	struct rec_waker w;
	struct timespec t0, dl;
	uint64_t out = 0, v = 21;

	rec_init(&w, 1, NULL);
	achan_chan_stream_init(&s, ch, &out);
	is_st(achan_chan_stream_next(&s), ACHAN_EDEADLK,
	    "local cap %zu: next with nothing to take: EDEADLK", cap);
	t0 = tu_now();
	dl = tu_add_ms(t0, 2000);
	is_st(achan_chan_stream_next_until(&s, &dl), ACHAN_EDEADLK,
	    "local cap %zu: next_until: EDEADLK", cap);
	ok(tu_ms_between(t0, tu_now()) < 1000,
	    "local cap %zu: at once, without waiting for the deadline", cap);
	if (cap > 0) {
		achan_chan_try_send(ch, &v);
	} else {
		/* unbuffered: a waiting send future (same thread) is met */
		achan_chan_send_future_init(&sf, ch, &v);
		is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_PENDING,
		    "local cap 0: a send future waits");
	}
	is_st(achan_chan_stream_next(&s), ACHAN_OK,
	    "local cap %zu: next with a value to take: OK", cap);
	is_u(out, 21, "local cap %zu: the value", cap);
	if (cap == 0) {
		is_u(rec_calls(&w), 1, "local cap 0: the sender was woken");
		is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_OK,
		    "local cap 0: and its future completes");
	}
	is_st(achan_chan_stream_next(&s), ACHAN_EDEADLK,
	    "local cap %zu: empty again: EDEADLK (the stream is not finished)", cap);
	achan_chan_close(ch);
	is_st(achan_chan_stream_next(&s), ACHAN_CLOSED,
	    "local cap %zu: closed: CLOSED, not EDEADLK", cap);
	is_st(achan_chan_stream_next(&s), ACHAN_CLOSED, "local cap %zu: fused", cap);
	is_st(achan_chan_destroy(ch), ACHAN_OK, "local cap %zu: destroy", cap);
}

/* --- 7. bad input -------------------------------------------------------------- */

static void
test_bad_input(void)
{
	struct achan_chan *ch = mk(2, 0), *sig = NULL, *fin = NULL;
	struct achan_chan_stream s, u;
	struct achan_waker nowake = { NULL, NULL };
	struct rec_waker w;
	struct timespec dl = { 0, 0 };
	uint64_t out = 0, v = 4;
	static const unsigned char fills[] = { 0x00, 0xab, 0xff };
	void *mem;
	size_t memsz;

	rec_init(&w, 1, NULL);
	is_st(achan_chan_stream_init(NULL, ch, &out), ACHAN_EINVAL,
	    "stream_init(NULL stream): EINVAL");
	is_st(achan_chan_stream_init(&s, NULL, &out), ACHAN_EINVAL,
	    "stream_init(NULL channel): EINVAL");
	is_st(achan_chan_stream_init(&s, ch, NULL), ACHAN_EINVAL,
	    "stream_init(NULL out, elem_size 8): EINVAL");
	is_st(achan_chan_stream_poll(NULL, &w.w), ACHAN_EINVAL, "poll(NULL): EINVAL");
	is_st(achan_chan_stream_next(NULL), ACHAN_EINVAL, "next(NULL): EINVAL");
	is_st(achan_chan_stream_next_until(NULL, &dl), ACHAN_EINVAL,
	    "next_until(NULL): EINVAL");
	is_st(achan_chan_stream_cancel(NULL), ACHAN_EINVAL, "cancel(NULL): EINVAL");

	for (size_t i = 0; i < sizeof(fills); i++) {
		int good;

		memset(&u, fills[i], sizeof(u));
		good = achan_chan_stream_poll(&u, &w.w) == ACHAN_EINVAL &&
		    achan_chan_stream_next(&u) == ACHAN_EINVAL &&
		    achan_chan_stream_next_until(&u, &dl) == ACHAN_EINVAL &&
		    achan_chan_stream_cancel(&u) == ACHAN_EINVAL;
		ok(good, "uninitialised stream memory (0x%02x bytes): poll, next, "
		    "next_until, cancel: EINVAL", fills[i]);
	}

	/* bad wakers: EINVAL, and the stream is unharmed (idle or waiting) */
	achan_chan_stream_init(&s, ch, &out);
	is_st(achan_chan_stream_poll(&s, NULL), ACHAN_EINVAL, "poll(NULL waker): EINVAL");
	is_st(achan_chan_stream_poll(&s, &nowake), ACHAN_EINVAL,
	    "poll(waker without wake): EINVAL");
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_PENDING,
	    "the stream is still usable: pends");
	is_st(achan_chan_stream_poll(&s, NULL), ACHAN_EINVAL,
	    "poll(NULL waker) while pending: EINVAL");
	achan_chan_try_send(ch, &v);
	is_u(rec_calls(&w), 1, "the registered waker was kept and fired");
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_OK, "and the stream takes the value");
	is_u(out, 4, "value 4");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");

	/* signal-only channel: out may be NULL */
	sig = mk(0, 0);
	achan_chan_destroy(sig);
	if (achan_chan_create(&sig, 0, 2, 0) != ACHAN_OK)
		bail_out("create signal channel");
	is_st(achan_chan_stream_init(&s, sig, NULL), ACHAN_OK,
	    "signal-only channel: stream with NULL out: OK");
	achan_chan_try_send(sig, NULL);
	is_st(achan_chan_stream_next(&s), ACHAN_OK, "signal-only: next: OK");
	achan_chan_close(sig);
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_CLOSED, "signal-only: CLOSED");
	achan_chan_destroy(sig);

	/* a channel torn down under an idle stream */
	memsz = achan_chan_memsize(sizeof(uint64_t), 2);
	mem = malloc(memsz);
	if (mem == NULL || achan_chan_init(mem, memsz, sizeof(uint64_t), 2, 0,
	    &fin) != ACHAN_OK)
		bail_out("achan_chan_init");
	achan_chan_stream_init(&s, fin, &out);
	is_st(achan_chan_fini(fin), ACHAN_OK, "fini");
	is_st(achan_chan_stream_poll(&s, &w.w), ACHAN_EINVAL,
	    "poll on a torn-down channel: EINVAL");
	is_st(achan_chan_stream_next(&s), ACHAN_EINVAL,
	    "next on a torn-down channel: EINVAL");
	free(mem);
}

/* A bad deadline is refused before the stream is touched: a pending receive
 * stays registered, a handed-over value is not consumed, fused stays fused. */
static void
test_bad_deadline_keeps_stream(void)
{
	struct timespec bad = { 0, 1000000000L };
	struct achan_chan *ch;
	struct achan_chan_stream s;
	struct rec_waker rw;
	uint64_t out = 0, v = 41;

	rec_init(&rw, 1, NULL);
	achan_chan_create(&ch, sizeof(uint64_t), 2, 0);
	achan_chan_stream_init(&s, ch, &out);
	is_st(achan_chan_stream_poll(&s, &rw.w), ACHAN_PENDING, "bad deadline: stream pends");
	is_st(achan_chan_stream_next_until(&s, &bad), ACHAN_EINVAL,
	    "next_until with tv_nsec = 1e9: EINVAL");
	is_st(achan_chan_try_send(ch, &v), ACHAN_OK, "a send after the refused call");
	is_u(rec_calls(&rw), 1, "the pending receive was still registered: its waker fired");
	is_st(achan_chan_stream_poll(&s, &rw.w), ACHAN_OK, "and it completes");
	is_u(out, 41, "with the value");
	achan_chan_close(ch);
	is_st(achan_chan_stream_poll(&s, &rw.w), ACHAN_CLOSED, "closed and drained");
	is_st(achan_chan_stream_next_until(&s, &bad), ACHAN_EINVAL,
	    "bad deadline on a fused stream: EINVAL, not CLOSED");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

int
main(void)
{
	tap_watchdog(30);
	test_order_and_fused(0, 0);
	test_order_and_fused(0, 1);
	test_bad_deadline_keeps_stream();
	test_cancel_in_own_wake(0);
	test_cancel_in_own_wake(ACHAN_LOCAL);
	test_order_and_fused(ACHAN_LOCAL, 0);
	test_order_and_fused(ACHAN_LOCAL, 1);
	test_fused_outlives_channel(0);
	test_fused_outlives_channel(ACHAN_LOCAL);

	test_executor(ACHAN_LOCAL, 1, 2000);
	test_executor(ACHAN_LOCAL, 0, 2000);
	test_executor(ACHAN_LOCAL, 64, 20000);
	test_executor(0, 1, 2000);
	test_executor(0, 0, 2000);
	test_executor(0, 64, 20000);
	test_poll_with_thread(4, 20000);
	test_poll_with_thread(0, 5000);
	test_next_from_thread(4, 20000);
	test_next_from_thread(0, 5000);

	test_poll_then_next_bounded(0);
	test_poll_then_next_bounded(ACHAN_LOCAL);
	test_poll_then_next_unbuffered(0);
	test_poll_then_next_unbuffered(ACHAN_LOCAL);
	test_poll_then_blocking_next(4);
	test_poll_then_blocking_next(0);

	test_cancel_unbuffered(0);
	test_cancel_unbuffered(ACHAN_LOCAL);
	test_cancel_bounded(0);
	test_cancel_bounded(ACHAN_LOCAL);

	test_next_until(2);
	test_next_until(0);
	test_local_edeadlk(2);
	test_local_edeadlk(0);

	test_bad_input();
	return done_testing();
}
