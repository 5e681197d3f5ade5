/*
 * t/chan_unbuffered.c - capacity 0 (rendezvous): try_send only into a
 * waiting receiver, try_recv only from a waiting sender, completion of the
 * other side's future, FIFO on both sides, blocking rendezvous between
 * threads, len 0, close waking both sides, signal and big values.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_util.h"

static struct achan_chan *
mk(size_t elem)
{
	struct achan_chan *ch = NULL;
	if (achan_chan_create(&ch, elem, 0, 0) != ACHAN_OK || !ch)
		bail_out("achan_chan_create(%zu, 0) failed", elem);
	return ch;
}

static void
test_try_without_partner(void)
{
	struct achan_chan *ch = mk(8);
	uint64_t v = 1, out = 5;

	is_u(achan_chan_capacity(ch), 0, "capacity 0");
	is_st(achan_chan_try_send(ch, &v), ACHAN_FULL, "try_send with no receiver waiting: FULL");
	is_u(achan_chan_len(ch), 0, "len 0");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_EMPTY, "try_recv with no sender waiting: EMPTY");
	is_u(out, 5, "EMPTY writes nothing");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_EMPTY,
			"still EMPTY: the FULL try_send left nothing behind");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

/* try_send into a pending receive future. */
static void
test_try_send_to_future(void)
{
	struct achan_chan *ch = mk(8);
	struct rec_waker w;
	struct achan_chan_recv_future rf;
	uint64_t v = 77, out = 0;

	rec_init(&w, 1, NULL);
	achan_chan_recv_future_init(&rf, ch, &out);
	is_st(achan_chan_recv_poll(&rf, &w.w), ACHAN_PENDING, "receive future PENDING");
	is_st(achan_chan_try_send(ch, &v), ACHAN_OK, "try_send with a receiver waiting: OK");
	is_u(rec_calls(&w), 1, "the receiver's waker fired");
	is_u(out, 77, "the value is already in the future's buffer");
	is_u(achan_chan_len(ch), 0, "len stays 0");
	v = 78;
	is_st(achan_chan_try_send(ch, &v), ACHAN_FULL,
			"a second try_send: FULL (the completed future takes no more)");
	is_st(achan_chan_recv_poll(&rf, &w.w), ACHAN_OK, "poll: OK");
	is_u(out, 77, "value 77");
	is_st(achan_chan_recv_poll(&rf, &w.w), ACHAN_EINVAL, "poll after OK: EINVAL");

	/* completed by a sender, then cancelled instead of polled: OK */
	rec_init(&w, 1, NULL);
	out = 0;
	achan_chan_recv_future_init(&rf, ch, &out);
	achan_chan_recv_poll(&rf, &w.w);
	v = 79;
	is_st(achan_chan_try_send(ch, &v), ACHAN_OK, "try_send into a second future");
	is_st(achan_chan_recv_cancel(&rf), ACHAN_OK,
			"cancel afterwards reports the receive completed");
	is_u(out, 79, "and the value belongs to the caller");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_EMPTY, "nothing left in the channel");

	/* a cancelled receive future is no longer a partner */
	rec_init(&w, 1, NULL);
	achan_chan_recv_future_init(&rf, ch, &out);
	achan_chan_recv_poll(&rf, &w.w);
	is_st(achan_chan_recv_cancel(&rf), ACHAN_CANCELLED, "cancel a waiting receiver");
	is_st(achan_chan_try_send(ch, &v), ACHAN_FULL, "try_send after that cancel: FULL");
	is_u(rec_calls(&w), 0, "the cancelled waker never ran");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

/* try_recv takes the value of a pending send future. */
static void
test_try_recv_from_future(void)
{
	struct achan_chan *ch = mk(8);
	struct rec_waker w;
	struct achan_chan_send_future sf;
	uint64_t v = 55, out = 0;

	rec_init(&w, 1, NULL);
	achan_chan_send_future_init(&sf, ch, &v);
	is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_PENDING, "send future PENDING (nobody receiving)");
	is_u(achan_chan_len(ch), 0, "len 0 with a sender waiting");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "try_recv takes the waiting sender's value");
	is_u(out, 55, "value 55");
	is_u(rec_calls(&w), 1, "the sender's waker fired");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_EMPTY, "then EMPTY");
	is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_OK, "send future: OK");

	/* completed, then cancelled: OK */
	rec_init(&w, 1, NULL);
	v = 56;
	achan_chan_send_future_init(&sf, ch, &v);
	achan_chan_send_poll(&sf, &w.w);
	achan_chan_try_recv(ch, &out);
	is_st(achan_chan_send_cancel(&sf), ACHAN_OK, "cancel after the value was taken: OK");
	is_u(out, 56, "value 56 was received");

	/* cancelled before anyone came: CANCELLED, value not receivable */
	rec_init(&w, 1, NULL);
	v = 57;
	achan_chan_send_future_init(&sf, ch, &v);
	achan_chan_send_poll(&sf, &w.w);
	is_st(achan_chan_send_cancel(&sf), ACHAN_CANCELLED, "cancel a waiting sender: CANCELLED");
	out = 0;
	is_st(achan_chan_try_recv(ch, &out), ACHAN_EMPTY, "its value cannot be received");
	is_u(rec_calls(&w), 0, "its waker never ran");

	/* blocking recv from a waiting send future */
	rec_init(&w, 1, NULL);
	v = 58;
	achan_chan_send_future_init(&sf, ch, &v);
	achan_chan_send_poll(&sf, &w.w);
	is_st(achan_chan_recv(ch, &out), ACHAN_OK, "blocking recv takes a waiting sender's value");
	is_u(out, 58, "value 58");
	is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_OK, "send future OK");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

/* Both sides served oldest first. */
static void
test_fifo_both_sides(void)
{
	enum { N = 4 };
	struct achan_chan *ch = mk(8);
	struct wake_log log;
	struct rec_waker w[N];
	struct achan_chan_send_future sf[N];
	struct achan_chan_recv_future rf[N];
	uint64_t val[N], out[N], o;
	int good = 1;

	wake_log_reset(&log);
	for (int i = 0; i < N; i++) {
		val[i] = 300 + (uint64_t)i;
		rec_init(&w[i], i, &log);
		achan_chan_send_future_init(&sf[i], ch, &val[i]);
		good &= achan_chan_send_poll(&sf[i], &w[i].w) == ACHAN_PENDING;
	}
	ok(good, "%d send futures pending", N);
	for (int i = 0; i < N; i++) {
		o = 0;
		good &= achan_chan_try_recv(ch, &o) == ACHAN_OK && o == val[i];
		good &= wake_log_at(&log, i) == i;
	}
	ok(good, "try_recv takes senders' values oldest first, waking each");
	for (int i = 0; i < N; i++)
		good &= achan_chan_send_poll(&sf[i], &w[i].w) == ACHAN_OK;
	ok(good, "all send futures OK");

	wake_log_reset(&log);
	good = 1;
	for (int i = 0; i < N; i++) {
		out[i] = 0;
		rec_init(&w[i], i, &log);
		achan_chan_recv_future_init(&rf[i], ch, &out[i]);
		good &= achan_chan_recv_poll(&rf[i], &w[i].w) == ACHAN_PENDING;
	}
	for (int i = 0; i < N; i++) {
		o = 400 + (uint64_t)i;
		good &= achan_chan_try_send(ch, &o) == ACHAN_OK;
		good &= wake_log_at(&log, i) == i;
	}
	ok(good, "try_send fills receivers oldest first, waking each");
	o = 499;
	is_st(achan_chan_try_send(ch, &o), ACHAN_FULL, "no receiver left: FULL");
	for (int i = 0; i < N; i++)
		good &= achan_chan_recv_poll(&rf[i], &w[i].w) == ACHAN_OK &&
			out[i] == 400 + (uint64_t)i;
	ok(good, "each receiver got its value in order");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

/* close wakes blocked threads and futures on both sides. */
static void
test_close_wakes_both(void)
{
	struct achan_chan *ch = mk(8);
	struct op_thread ts, tr;
	uint64_t v = 5;

	op_start(&ts, ch, TU_SEND, &v, 8, 0);
	op_settle(&ts, 50);
	ok(!op_done(&ts), "blocking send without a receiver blocks");
	is_u(achan_chan_len(ch), 0, "len 0 while a sender blocks");
	achan_chan_close(ch);
	is_st(op_join(&ts), ACHAN_CLOSED, "blocked sender wakes with CLOSED");
	uint64_t out = 0;
	is_st(achan_chan_try_recv(ch, &out), ACHAN_CLOSED,
			"its value is not receivable after close");
	achan_chan_destroy(ch);

	ch = mk(8);
	op_start(&tr, ch, TU_RECV, NULL, 0, 0);
	op_settle(&tr, 50);
	ok(!op_done(&tr), "blocking recv without a sender blocks");
	achan_chan_close(ch);
	is_st(op_join(&tr), ACHAN_CLOSED, "blocked receiver wakes with CLOSED");
	achan_chan_destroy(ch);

	/* futures on both sides (not at once: they would rendezvous) */
	ch = mk(8);
	struct rec_waker w1, w2;
	struct achan_chan_send_future sf;
	struct achan_chan_recv_future rf;
	rec_init(&w1, 1, NULL);
	rec_init(&w2, 2, NULL);
	achan_chan_send_future_init(&sf, ch, &v);
	achan_chan_send_poll(&sf, &w1.w);
	achan_chan_close(ch);
	is_u(rec_calls(&w1), 1, "close woke the send future");
	is_st(achan_chan_send_poll(&sf, &w1.w), ACHAN_CLOSED, "send future CLOSED");
	is_st(achan_chan_try_send(ch, &v), ACHAN_CLOSED, "try_send after close: CLOSED");
	achan_chan_destroy(ch);

	ch = mk(8);
	achan_chan_recv_future_init(&rf, ch, &out);
	achan_chan_recv_poll(&rf, &w2.w);
	achan_chan_close(ch);
	is_u(rec_calls(&w2), 1, "close woke the recv future");
	is_st(achan_chan_recv_cancel(&rf), ACHAN_CANCELLED,
			"cancel of a close-woken receiver: CANCELLED");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

/* Blocking rendezvous between threads, both directions. */
struct pp_arg {
	struct achan_chan *ping, *pong;
	int n;
	int bad;
};

static void *
ponger(void *arg)
{
	struct pp_arg *a = arg;
	uint64_t v;
	for (int i = 0; i < a->n; i++) {
		if (achan_chan_recv(a->ping, &v) != ACHAN_OK || v != (uint64_t)i) {
			a->bad++;
			break;
		}
		v = ~v;
		if (achan_chan_send(a->pong, &v) != ACHAN_OK) {
			a->bad++;
			break;
		}
	}
	return NULL;
}

static void
test_rendezvous_threads(void)
{
	struct achan_chan *ch = mk(8);
	struct op_thread t;
	uint64_t v = 4242, out = 0;

	/* sender blocks until the receiver takes the value */
	op_start(&t, ch, TU_SEND, &v, 8, 0);
	op_settle(&t, 50);
	ok(!op_done(&t), "send waits for a receiver");
	is_st(achan_chan_recv(ch, &out), ACHAN_OK, "recv meets the blocked sender");
	is_u(out, 4242, "value 4242");
	is_st(op_join(&t), ACHAN_OK, "sender returns OK");

	/* receiver blocks until a sender comes */
	op_start(&t, ch, TU_RECV, NULL, 0, 0);
	op_settle(&t, 50);
	ok(!op_done(&t), "recv waits for a sender");
	v = 4343;
	is_st(achan_chan_send(ch, &v), ACHAN_OK, "send meets the blocked receiver");
	is_st(op_join(&t), ACHAN_OK, "receiver returns OK");
	is_u(u64v(t.val), 4343, "with value 4343");

	/* try_send into a blocked receiver thread */
	op_start(&t, ch, TU_RECV, NULL, 0, 0);
	op_settle(&t, 50);
	v = 4444;
	int rc;
	struct timespec end = tu_add_ms(tu_now(), 5000);
	while ((rc = achan_chan_try_send(ch, &v)) == ACHAN_FULL &&
			!tu_ts_ge(tu_now(), end))
		tu_sleep_ms(1);
	is_st(rc, ACHAN_OK, "try_send hands the value to a blocked receiver thread");
	is_st(op_join(&t), ACHAN_OK, "it returns OK");
	is_u(u64v(t.val), 4444, "with value 4444");

	/* ping-pong: every value passes hand to hand */
	struct achan_chan *pong = mk(8);
	struct pp_arg a = { ch, pong, 2000, 0 };
	pthread_t pt;
	int bad = 0;
	pthread_create(&pt, NULL, ponger, &a);
	for (int i = 0; i < a.n && !bad; i++) {
		v = (uint64_t)i;
		bad |= achan_chan_send(ch, &v) != ACHAN_OK;
		bad |= achan_chan_recv(pong, &out) != ACHAN_OK || out != ~(uint64_t)i;
		bad |= achan_chan_len(ch) != 0;
	}
	pthread_join(pt, NULL);
	ok(!bad && !a.bad, "%d blocking ping-pong rounds through two unbuffered channels", a.n);
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
	is_st(achan_chan_destroy(pong), ACHAN_OK, "destroy");
}

/* Signal and big-value rendezvous. */
static void
test_sizes(void)
{
	struct achan_chan *ch = NULL;
	struct rec_waker w;

	is_st(achan_chan_create(&ch, 0, 0, 0), ACHAN_OK, "create unbuffered signal channel");
	struct achan_chan_recv_future rf;
	rec_init(&w, 1, NULL);
	achan_chan_recv_future_init(&rf, ch, NULL);
	achan_chan_recv_poll(&rf, &w.w);
	is_st(achan_chan_try_send(ch, NULL), ACHAN_OK, "signal into a waiting receiver");
	is_st(achan_chan_recv_poll(&rf, &w.w), ACHAN_OK, "receiver got the signal");
	is_st(achan_chan_try_send(ch, NULL), ACHAN_FULL, "no receiver: FULL");
	achan_chan_destroy(ch);

	enum { BIG = 1000 };
	unsigned char in[BIG], out[BIG + 16];
	for (int i = 0; i < BIG; i++)
		in[i] = (unsigned char)(i * 13 + 1);
	memset(out, 0xee, sizeof(out));
	ch = mk(BIG);
	struct achan_chan_send_future sf;
	rec_init(&w, 1, NULL);
	achan_chan_send_future_init(&sf, ch, in);
	achan_chan_send_poll(&sf, &w.w);
	is_st(achan_chan_try_recv(ch, out), ACHAN_OK, "1000-byte value from a waiting sender");
	int guard = 1;
	for (int i = BIG; i < BIG + 16; i++)
		guard &= out[i] == 0xee;
	ok(memcmp(in, out, BIG) == 0 && guard, "intact, and exactly 1000 bytes written");
	is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_OK, "send future OK");

	memset(out, 0, sizeof(out));
	achan_chan_recv_future_init(&rf, ch, out);
	achan_chan_recv_poll(&rf, &w.w);
	is_st(achan_chan_try_send(ch, in), ACHAN_OK, "1000-byte value into a waiting receiver");
	is_st(achan_chan_recv_poll(&rf, &w.w), ACHAN_OK, "receiver OK");
	ok(memcmp(in, out, BIG) == 0, "intact");
	achan_chan_destroy(ch);
}

int
main(void)
{
	tap_watchdog(30);
	test_try_without_partner();
	test_try_send_to_future();
	test_try_recv_from_future();
	test_fifo_both_sides();
	test_close_wakes_both();
	test_rendezvous_threads();
	test_sizes();
	done_testing();
	return exit_status();
}
