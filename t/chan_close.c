/*
 * t/chan_close.c - close on bounded channels: NEWLY/ALREADY, draining,
 * sends after close, blocked threads and pending futures woken with CLOSED,
 * values moved in from waiting senders still drained, is_closed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_util.h"

static struct achan_chan *
mk(size_t elem, size_t cap)
{
	struct achan_chan *ch = NULL;
	if (achan_chan_create(&ch, elem, cap, 0) != ACHAN_OK || !ch)
		bail_out("achan_chan_create(%zu, %zu) failed", elem, cap);
	return ch;
}

static void
test_close_idempotent(void)
{
	struct achan_chan *ch = mk(8, 2);

	ok(achan_chan_is_closed(ch) == 0, "open before close");
	is_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "first close: NEWLY_CLOSED");
	ok(achan_chan_is_closed(ch) == 1, "is_closed after close");
	is_st(achan_chan_close(ch), ACHAN_ALREADY_CLOSED, "second close: ALREADY_CLOSED");
	is_st(achan_chan_close(ch), ACHAN_ALREADY_CLOSED, "third close: ALREADY_CLOSED");
	ok(achan_chan_is_closed(ch) == 1, "still closed");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy closed channel");

	/* unbuffered too */
	ch = mk(8, 0);
	is_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "unbuffered: NEWLY_CLOSED");
	is_st(achan_chan_close(ch), ACHAN_ALREADY_CLOSED, "unbuffered: ALREADY_CLOSED");
	achan_chan_destroy(ch);
}

/* Receivers drain what is buffered, then CLOSED (fused); sends fail. */
static void
test_drain_after_close(void)
{
	struct achan_chan *ch = mk(8, 4);
	uint64_t v, out;

	for (v = 1; v <= 3; v++)
		achan_chan_try_send(ch, &v);
	is_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "close with 3 buffered");
	is_u(achan_chan_len(ch), 3, "len still 3 after close");

	v = 99;
	is_st(achan_chan_try_send(ch, &v), ACHAN_CLOSED, "try_send after close: CLOSED");
	is_st(achan_chan_send(ch, &v), ACHAN_CLOSED, "send after close: CLOSED (does not block)");
	struct timespec dl = tu_add_ms(tu_now(), 5000);
	is_st(achan_chan_send_until(ch, &v, &dl), ACHAN_CLOSED, "send_until after close: CLOSED");
	struct achan_chan_send_future sf;
	struct rec_waker sw;
	rec_init(&sw, 1, NULL);
	achan_chan_send_future_init(&sf, ch, &v);
	is_st(achan_chan_send_poll(&sf, &sw.w), ACHAN_CLOSED, "send future after close: CLOSED");
	is_u(rec_calls(&sw), 0, "its waker did not run");
	is_u(v, 99, "value left with the caller");
	is_u(achan_chan_len(ch), 3, "nothing was added by the failed sends");

	out = 0;
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "drain 1 (try_recv)");
	is_u(out, 1, "first value 1");
	is_st(achan_chan_recv(ch, &out), ACHAN_OK, "drain 2 (recv)");
	is_u(out, 2, "second value 2");
	struct achan_chan_recv_future rf;
	struct rec_waker rw;
	rec_init(&rw, 2, NULL);
	achan_chan_recv_future_init(&rf, ch, &out);
	is_st(achan_chan_recv_poll(&rf, &rw.w), ACHAN_OK, "drain 3 (future)");
	is_u(out, 3, "third value 3");

	out = 0xbeef;
	is_st(achan_chan_try_recv(ch, &out), ACHAN_CLOSED, "drained: try_recv CLOSED");
	is_st(achan_chan_recv(ch, &out), ACHAN_CLOSED, "drained: recv CLOSED (does not block)");
	dl = tu_add_ms(tu_now(), 5000);
	is_st(achan_chan_recv_until(ch, &out, &dl), ACHAN_CLOSED, "drained: recv_until CLOSED");
	achan_chan_recv_future_init(&rf, ch, &out);
	is_st(achan_chan_recv_poll(&rf, &rw.w), ACHAN_CLOSED, "drained: recv future CLOSED");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_CLOSED, "CLOSED again (fused)");
	is_u(out, 0xbeef, "CLOSED results write nothing");
	is_u(achan_chan_len(ch), 0, "len 0");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

/* A thread blocked in send on a full channel gets CLOSED; its value is not inside. */
static void
test_blocked_sender(void)
{
	struct achan_chan *ch = mk(8, 1);
	struct op_thread t;
	uint64_t v = 1, out;

	achan_chan_try_send(ch, &v);
	v = 42;
	op_start(&t, ch, TU_SEND, &v, 8, 0);
	op_settle(&t, 50);
	ok(!op_done(&t), "send on a full channel blocks");
	is_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "close");
	is_st(op_join(&t), ACHAN_CLOSED, "blocked sender gets CLOSED");
	out = 0;
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "buffered value still there");
	is_u(out, 1, "it is the first value");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_CLOSED,
			"then CLOSED: the failed sender's value is not in the channel");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

/* Threads blocked in recv on an empty channel wake with CLOSED. */
static void
test_blocked_receivers(void)
{
	struct achan_chan *ch = mk(8, 2);
	struct op_thread t[3];

	for (int i = 0; i < 3; i++)
		op_start(&t[i], ch, TU_RECV, NULL, 0, 0);
	for (int i = 0; i < 3; i++)
		op_settle(&t[i], 20);
	tu_sleep_ms(30);
	int blocked = 1;
	for (int i = 0; i < 3; i++)
		blocked &= !op_done(&t[i]);
	ok(blocked, "3 receivers block on an empty channel");
	is_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "close");
	int closed = 1;
	for (int i = 0; i < 3; i++) {
		int rc = op_join(&t[i]);
		if (rc != ACHAN_CLOSED)
			diag("receiver %d: %s", i, st_name(rc));
		closed &= rc == ACHAN_CLOSED;
	}
	ok(closed, "every blocked receiver wakes with CLOSED");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy (no waiter left registered)");
}

/*
 * A receiver blocked on an empty channel, then a value and a close: it gets
 * the value (drain beats CLOSED), the next receive gets CLOSED.
 */
static void
test_blocked_receiver_value_then_close(void)
{
	struct achan_chan *ch = mk(8, 2);
	struct op_thread t;
	uint64_t v = 7;

	op_start(&t, ch, TU_RECV, NULL, 0, 0);
	op_settle(&t, 30);
	achan_chan_try_send(ch, &v);
	achan_chan_close(ch);
	is_st(op_join(&t), ACHAN_OK, "receiver woken by a send just before close gets OK");
	is_u(u64v(t.val), 7, "with the value");
	uint64_t out;
	is_st(achan_chan_try_recv(ch, &out), ACHAN_CLOSED, "then CLOSED");
	achan_chan_destroy(ch);
}

/* Pending send futures complete CLOSED on close, oldest woken first. */
static void
test_pending_send_futures(void)
{
	struct achan_chan *ch = mk(8, 1);
	struct wake_log log;
	struct rec_waker w1, w2;
	struct achan_chan_send_future s1, s2;
	uint64_t v0 = 10, v1 = 11, v2 = 12, out;

	wake_log_reset(&log);
	rec_init(&w1, 1, &log);
	rec_init(&w2, 2, &log);
	achan_chan_try_send(ch, &v0);
	achan_chan_send_future_init(&s1, ch, &v1);
	achan_chan_send_future_init(&s2, ch, &v2);
	is_st(achan_chan_send_poll(&s1, &w1.w), ACHAN_PENDING, "s1 pending on full");
	is_st(achan_chan_send_poll(&s2, &w2.w), ACHAN_PENDING, "s2 pending on full");
	is_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "close");
	ok(rec_calls(&w1) == 1 && rec_calls(&w2) == 1,
			"both send wakers fired once (%d, %d)", rec_calls(&w1), rec_calls(&w2));
	ok(wake_log_at(&log, 0) == 1 && wake_log_at(&log, 1) == 2,
			"oldest woken first (log: %d %d)", wake_log_at(&log, 0),
			wake_log_at(&log, 1));
	is_st(achan_chan_send_poll(&s1, &w1.w), ACHAN_CLOSED, "s1 completes CLOSED");
	is_st(achan_chan_send_poll(&s2, &w2.w), ACHAN_CLOSED, "s2 completes CLOSED");
	is_st(achan_chan_send_poll(&s1, &w1.w), ACHAN_EINVAL, "poll after CLOSED: EINVAL");
	ok(rec_calls(&w1) == 1 && rec_calls(&w2) == 1, "no more wakes");
	out = 0;
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "buffered value drains");
	is_u(out, 10, "it is v0");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_CLOSED,
			"then CLOSED: failed send futures' values are not inside");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy: the futures are finished");

	/* cancel after the close woke it (not polled): CANCELLED, value not sent */
	ch = mk(8, 1);
	achan_chan_try_send(ch, &v0);
	rec_init(&w1, 1, NULL);
	achan_chan_send_future_init(&s1, ch, &v1);
	is_st(achan_chan_send_poll(&s1, &w1.w), ACHAN_PENDING, "pending on full");
	achan_chan_close(ch);
	is_u(rec_calls(&w1), 1, "close woke it");
	is_st(achan_chan_send_cancel(&s1), ACHAN_CANCELLED,
			"cancel of a close-woken send: CANCELLED (value not transferred)");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "v0 drains");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_CLOSED, "then CLOSED");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy after cancel");
}

/* Pending receive futures complete CLOSED, oldest woken first. */
static void
test_pending_recv_futures(void)
{
	struct achan_chan *ch = mk(8, 2);
	struct wake_log log;
	struct rec_waker w[3];
	struct achan_chan_recv_future r[3];
	uint64_t out[3] = { 5, 5, 5 };

	wake_log_reset(&log);
	for (int i = 0; i < 3; i++) {
		rec_init(&w[i], i, &log);
		achan_chan_recv_future_init(&r[i], ch, &out[i]);
		is_st(achan_chan_recv_poll(&r[i], &w[i].w), ACHAN_PENDING,
				"recv future %d pending", i);
	}
	is_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "close");
	ok(rec_calls(&w[0]) == 1 && rec_calls(&w[1]) == 1 && rec_calls(&w[2]) == 1,
			"every recv waker fired once");
	ok(wake_log_at(&log, 0) == 0 && wake_log_at(&log, 1) == 1 &&
			wake_log_at(&log, 2) == 2, "in registration order");
	int closed = 1;
	for (int i = 0; i < 3; i++)
		closed &= achan_chan_recv_poll(&r[i], &w[i].w) == ACHAN_CLOSED &&
			out[i] == 5;
	ok(closed, "every recv future completes CLOSED and writes nothing");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

/*
 * Values moved into the buffer from waiting senders before the close are
 * still drained; senders still waiting at the close fail.
 */
static void
test_moved_values_drain(void)
{
	struct achan_chan *ch = mk(8, 1);
	struct rec_waker w1, w2;
	struct achan_chan_send_future s1, s2;
	uint64_t v0 = 100, v1 = 101, v2 = 102, out;

	rec_init(&w1, 1, NULL);
	rec_init(&w2, 2, NULL);
	achan_chan_try_send(ch, &v0);
	achan_chan_send_future_init(&s1, ch, &v1);
	achan_chan_send_future_init(&s2, ch, &v2);
	achan_chan_send_poll(&s1, &w1.w);
	achan_chan_send_poll(&s2, &w2.w);
	out = 0;
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "receive v0");
	is_u(out, 100, "v0");
	is_u(rec_calls(&w1), 1, "s1 woken: its value moved into the freed slot");
	is_u(rec_calls(&w2), 0, "s2 still waiting");
	is_u(achan_chan_len(ch), 1, "len 1 (v1 inside)");
	is_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "close");
	is_u(rec_calls(&w2), 1, "close woke s2");
	is_st(achan_chan_send_poll(&s1, &w1.w), ACHAN_OK, "s1 completes OK (moved before close)");
	is_st(achan_chan_send_poll(&s2, &w2.w), ACHAN_CLOSED, "s2 completes CLOSED");
	out = 0;
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "moved value drains after close");
	is_u(out, 101, "it is v1");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_CLOSED, "then CLOSED (v2 not inside)");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");

	/* same, with the first sender a blocked thread, s2 cancelled after close */
	ch = mk(8, 1);
	struct op_thread t;
	achan_chan_try_send(ch, &v0);
	op_start(&t, ch, TU_SEND, &v1, 8, 0);
	op_settle(&t, 100); /* the thread must queue before s2 */
	rec_init(&w2, 2, NULL);
	achan_chan_send_future_init(&s2, ch, &v2);
	is_st(achan_chan_send_poll(&s2, &w2.w), ACHAN_PENDING, "future queued behind the thread");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "receive v0");
	is_st(op_join(&t), ACHAN_OK, "blocked sender's value moved in: it returns OK");
	is_u(rec_calls(&w2), 0, "the younger future was not woken");
	achan_chan_close(ch);
	is_st(achan_chan_send_cancel(&s2), ACHAN_CANCELLED, "cancel s2 after close: CANCELLED");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "thread's value drains");
	is_u(out, 101, "it is v1");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_CLOSED, "then CLOSED");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

/* close from another thread while a receiver is blocked with a deadline. */
static void
test_close_beats_deadline(void)
{
	struct achan_chan *ch = mk(8, 2);
	struct op_thread t;

	op_start_until(&t, ch, TU_RECV_UNTIL, NULL, 0, tu_add_ms(tu_now(), 10000));
	op_settle(&t, 30);
	struct timespec t0 = tu_now();
	achan_chan_close(ch);
	is_st(op_join(&t), ACHAN_CLOSED, "recv_until woken by close: CLOSED, not TIMEDOUT");
	ok(tu_ms_between(t0, tu_now()) < 5000, "promptly");

	/* sender side with a deadline */
	struct achan_chan *c2 = mk(8, 1);
	uint64_t v = 1;
	achan_chan_try_send(c2, &v);
	op_start_until(&t, c2, TU_SEND_UNTIL, &v, 8, tu_add_ms(tu_now(), 10000));
	op_settle(&t, 30);
	achan_chan_close(c2);
	is_st(op_join(&t), ACHAN_CLOSED, "send_until woken by close: CLOSED");
	achan_chan_destroy(ch);
	achan_chan_destroy(c2);
}

/* A waker that closes the channel again (from inside close's wake) is fine. */
static void
reclose_hook(struct rec_waker *r)
{
	r->hook_rc = achan_chan_close(r->hook_arg);
}

static void
test_close_from_waker(void)
{
	struct achan_chan *ch = mk(8, 2);
	struct rec_waker w;
	struct achan_chan_recv_future rf;
	uint64_t out;

	rec_init(&w, 1, NULL);
	w.hook = reclose_hook;
	w.hook_arg = ch;
	achan_chan_recv_future_init(&rf, ch, &out);
	achan_chan_recv_poll(&rf, &w.w);
	is_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "close");
	is_u(rec_calls(&w), 1, "waker ran");
	is_st(w.hook_rc, ACHAN_ALREADY_CLOSED, "close called inside the wake: ALREADY_CLOSED");
	is_st(achan_chan_recv_poll(&rf, &w.w), ACHAN_CLOSED, "future CLOSED");
	achan_chan_destroy(ch);
}

/* Closing concurrently from several threads: exactly one NEWLY_CLOSED. */
struct closer {
	pthread_t t;
	struct achan_chan *ch;
	pthread_barrier_t *bar;
	int rc;
};

static void *
closer_main(void *arg)
{
	struct closer *c = arg;
	pthread_barrier_wait(c->bar);
	c->rc = achan_chan_close(c->ch);
	return NULL;
}

static void
test_concurrent_close(void)
{
	enum { N = 4, ROUNDS = 50 };
	int good = 1;

	for (int round = 0; round < ROUNDS; round++) {
		struct achan_chan *ch = mk(8, round % 2);
		pthread_barrier_t bar;
		struct closer c[N];
		pthread_barrier_init(&bar, NULL, N);
		for (int i = 0; i < N; i++) {
			c[i].ch = ch;
			c[i].bar = &bar;
			pthread_create(&c[i].t, NULL, closer_main, &c[i]);
		}
		int newly = 0, already = 0;
		for (int i = 0; i < N; i++) {
			pthread_join(c[i].t, NULL);
			newly += c[i].rc == ACHAN_NEWLY_CLOSED;
			already += c[i].rc == ACHAN_ALREADY_CLOSED;
		}
		good &= newly == 1 && already == N - 1;
		pthread_barrier_destroy(&bar);
		achan_chan_destroy(ch);
	}
	ok(good, "%d rounds of %d racing closes: exactly one NEWLY_CLOSED each", ROUNDS, N);
}

int
main(void)
{
	tap_watchdog(30);
	test_close_idempotent();
	test_drain_after_close();
	test_blocked_sender();
	test_blocked_receivers();
	test_blocked_receiver_value_then_close();
	test_pending_send_futures();
	test_pending_recv_futures();
	test_moved_values_drain();
	test_close_beats_deadline();
	test_close_from_waker();
	test_concurrent_close();
	done_testing();
	return exit_status();
}
