/*
 * t/chan_deadline.c - send_until / recv_until: TIMEDOUT not before the
 * deadline, immediate completion despite a past deadline, bad deadlines,
 * values arriving in time, and a timed-out operation leaving no trace
 * (value with the caller, nothing registered, nothing stolen).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_util.h"

/* Slack allowed after a deadline (sanitizers, loaded CI machines). */
#define LATE_MS 3000.0

static struct achan_chan *
mk(size_t elem, size_t cap)
{
	struct achan_chan *ch = NULL;
	if (achan_chan_create(&ch, elem, cap, 0) != ACHAN_OK || !ch)
		bail_out("achan_chan_create(%zu, %zu) failed", elem, cap);
	return ch;
}

static void
test_recv_timeout(void)
{
	struct achan_chan *ch = mk(8, 2);
	uint64_t out = 11;

	struct timespec t0 = tu_now();
	struct timespec dl = tu_add_ms(t0, 100);
	is_st(achan_chan_recv_until(ch, &out, &dl), ACHAN_TIMEDOUT, "recv_until on empty: TIMEDOUT");
	struct timespec t1 = tu_now();
	ok(tu_ts_ge(t1, dl), "not before the deadline (%.1f ms of 100)", tu_ms_between(t0, t1));
	ok(tu_ms_between(dl, t1) < LATE_MS, "not much after it (%.1f ms late)",
			tu_ms_between(dl, t1));
	is_u(out, 11, "TIMEDOUT writes nothing");

	/* the timed-out waiter left nothing registered behind */
	uint64_t v = 3;
	is_st(achan_chan_try_send(ch, &v), ACHAN_OK, "send after the timeout");
	is_u(achan_chan_len(ch), 1, "the value is buffered (no stale receiver took it)");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "and receivable");
	is_u(out, 3, "value 3");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy: nothing registered");

	/* unbuffered */
	ch = mk(8, 0);
	t0 = tu_now();
	dl = tu_add_ms(t0, 50);
	is_st(achan_chan_recv_until(ch, &out, &dl), ACHAN_TIMEDOUT, "unbuffered recv_until: TIMEDOUT");
	t1 = tu_now();
	ok(tu_ts_ge(t1, dl), "not early (%.1f ms of 50)", tu_ms_between(t0, t1));
	is_st(achan_chan_try_send(ch, &v), ACHAN_FULL,
			"try_send afterwards: FULL (the timed-out receiver is gone)");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

static void
test_send_timeout(void)
{
	struct achan_chan *ch = mk(8, 1);
	uint64_t v0 = 1, v1 = 2, out;

	achan_chan_try_send(ch, &v0);
	struct timespec t0 = tu_now();
	struct timespec dl = tu_add_ms(t0, 100);
	is_st(achan_chan_send_until(ch, &v1, &dl), ACHAN_TIMEDOUT, "send_until on full: TIMEDOUT");
	struct timespec t1 = tu_now();
	ok(tu_ts_ge(t1, dl), "not before the deadline (%.1f ms of 100)", tu_ms_between(t0, t1));
	ok(tu_ms_between(dl, t1) < LATE_MS, "not much after it");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "the buffered value");
	is_u(out, 1, "is v0");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_EMPTY,
			"the timed-out value is not in the channel");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");

	/* unbuffered: the value must not linger for a later receiver */
	ch = mk(8, 0);
	t0 = tu_now();
	dl = tu_add_ms(t0, 50);
	is_st(achan_chan_send_until(ch, &v1, &dl), ACHAN_TIMEDOUT, "unbuffered send_until: TIMEDOUT");
	t1 = tu_now();
	ok(tu_ts_ge(t1, dl), "not early (%.1f ms of 50)", tu_ms_between(t0, t1));
	is_st(achan_chan_try_recv(ch, &out), ACHAN_EMPTY, "nothing to receive afterwards");
	struct achan_chan_recv_future rf;
	struct rec_waker w;
	rec_init(&w, 1, NULL);
	achan_chan_recv_future_init(&rf, ch, &out);
	is_st(achan_chan_recv_poll(&rf, &w.w), ACHAN_PENDING,
			"a new receiver waits (no stale sender)");
	achan_chan_recv_cancel(&rf);
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

/* Deadlines already past: complete if possible, else TIMEDOUT at once. */
static void
test_past_deadline(void)
{
	struct achan_chan *ch = mk(8, 1);
	struct timespec past = tu_add_ms(tu_now(), -1000);
	struct timespec zero = { 0, 0 };
	uint64_t v = 9, out = 0;

	is_st(achan_chan_send_until(ch, &v, &past), ACHAN_OK,
			"send_until with a past deadline and room: OK");
	is_st(achan_chan_recv_until(ch, &out, &zero), ACHAN_OK,
			"recv_until with deadline {0,0} and a value: OK");
	is_u(out, 9, "value 9");

	struct timespec t0 = tu_now();
	is_st(achan_chan_recv_until(ch, &out, &past), ACHAN_TIMEDOUT,
			"recv_until past deadline, empty: TIMEDOUT");
	achan_chan_try_send(ch, &v);
	is_st(achan_chan_send_until(ch, &v, &zero), ACHAN_TIMEDOUT,
			"send_until past deadline, full: TIMEDOUT");
	ok(tu_ms_between(t0, tu_now()) < LATE_MS, "both at once");
	is_u(achan_chan_len(ch), 1, "the failed send added nothing");
	achan_chan_try_recv(ch, &out);
	achan_chan_destroy(ch);

	/* unbuffered with a partner already waiting: completes despite the past deadline */
	ch = mk(8, 0);
	struct rec_waker w;
	struct achan_chan_recv_future rf;
	struct achan_chan_send_future sf;
	rec_init(&w, 1, NULL);
	achan_chan_recv_future_init(&rf, ch, &out);
	achan_chan_recv_poll(&rf, &w.w);
	v = 10;
	is_st(achan_chan_send_until(ch, &v, &past), ACHAN_OK,
			"unbuffered send_until, past deadline, receiver waiting: OK");
	is_st(achan_chan_recv_poll(&rf, &w.w), ACHAN_OK, "receiver got it");
	is_u(out, 10, "value 10");
	v = 11;
	achan_chan_send_future_init(&sf, ch, &v);
	achan_chan_send_poll(&sf, &w.w);
	is_st(achan_chan_recv_until(ch, &out, &zero), ACHAN_OK,
			"unbuffered recv_until, past deadline, sender waiting: OK");
	is_u(out, 11, "value 11");
	is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_OK, "sender OK");

	/* closed beats a past deadline */
	achan_chan_close(ch);
	is_st(achan_chan_recv_until(ch, &out, &past), ACHAN_CLOSED,
			"recv_until on a closed channel, past deadline: CLOSED");
	is_st(achan_chan_send_until(ch, &v, &past), ACHAN_CLOSED,
			"send_until on a closed channel, past deadline: CLOSED");
	achan_chan_destroy(ch);
}

/* NULL or non-normalised deadlines: EINVAL, and nothing happens. */
static void
test_bad_deadline(void)
{
	struct achan_chan *ch = mk(8, 2);
	uint64_t v = 1, out = 0;
	struct timespec bad[3];
	struct timespec now = tu_now();

	bad[0] = now;
	bad[0].tv_nsec = 1000000000L;
	bad[1] = now;
	bad[1].tv_nsec = -1;
	bad[2] = now;
	bad[2].tv_nsec = LONG_MAX;

	/* empty channel: would have to wait */
	is_st(achan_chan_recv_until(ch, &out, NULL), ACHAN_EINVAL, "recv_until NULL deadline: EINVAL");
	for (int i = 0; i < 3; i++)
		is_st(achan_chan_recv_until(ch, &out, &bad[i]), ACHAN_EINVAL,
				"recv_until tv_nsec %ld: EINVAL", bad[i].tv_nsec);
	/* one value inside: could complete at once, but the argument is bad */
	achan_chan_try_send(ch, &v);
	is_st(achan_chan_recv_until(ch, &out, NULL), ACHAN_EINVAL,
			"recv_until NULL deadline with a value ready: EINVAL");
	is_st(achan_chan_recv_until(ch, &out, &bad[0]), ACHAN_EINVAL,
			"recv_until bad deadline with a value ready: EINVAL");
	is_u(achan_chan_len(ch), 1, "and nothing was taken");
	is_st(achan_chan_send_until(ch, &v, NULL), ACHAN_EINVAL,
			"send_until NULL deadline with room: EINVAL");
	is_st(achan_chan_send_until(ch, &v, &bad[1]), ACHAN_EINVAL,
			"send_until bad deadline with room: EINVAL");
	is_u(achan_chan_len(ch), 1, "and nothing was added");
	achan_chan_try_send(ch, &v);
	is_st(achan_chan_send_until(ch, &v, NULL), ACHAN_EINVAL, "send_until NULL deadline, full: EINVAL");
	for (int i = 0; i < 3; i++)
		is_st(achan_chan_send_until(ch, &v, &bad[i]), ACHAN_EINVAL,
				"send_until tv_nsec %ld, full: EINVAL", bad[i].tv_nsec);
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");
}

/* A value (or room) arriving before the deadline is taken. */
static void
test_arrives_in_time(void)
{
	struct achan_chan *ch = mk(8, 1);
	struct op_thread t;
	uint64_t v = 600, out = 0;

	op_start(&t, ch, TU_SEND, &v, 8, 50);
	struct timespec t0 = tu_now();
	struct timespec dl = tu_add_ms(t0, 10000);
	is_st(achan_chan_recv_until(ch, &out, &dl), ACHAN_OK, "value sent after 50 ms is received");
	is_u(out, 600, "value 600");
	ok(tu_ms_between(t0, tu_now()) < 9000, "well before the 10 s deadline");
	op_join(&t);

	/* room arriving */
	uint64_t v0 = 1;
	achan_chan_try_send(ch, &v0);
	op_start(&t, ch, TU_RECV, NULL, 0, 50);
	v = 601;
	t0 = tu_now();
	dl = tu_add_ms(t0, 10000);
	is_st(achan_chan_send_until(ch, &v, &dl), ACHAN_OK, "room made after 50 ms: send_until OK");
	ok(tu_ms_between(t0, tu_now()) < 9000, "well before the deadline");
	op_join(&t);
	is_u(u64v(t.val), 1, "the receiver got v0");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "and 601 is inside");
	is_u(out, 601, "value 601");
	achan_chan_destroy(ch);

	/* unbuffered: a thread receiving with a deadline meets a later sender */
	ch = mk(8, 0);
	op_start_until(&t, ch, TU_RECV_UNTIL, NULL, 0, tu_add_ms(tu_now(), 10000));
	op_settle(&t, 30);
	v = 602;
	is_st(achan_chan_send(ch, &v), ACHAN_OK, "blocking send meets a recv_until");
	is_st(op_join(&t), ACHAN_OK, "recv_until OK");
	is_u(u64v(t.val), 602, "value 602");

	/* a far deadline does not overflow anything */
	struct timespec far = tu_now();
	far.tv_sec += 1000000000L;
	op_start_until(&t, ch, TU_SEND_UNTIL, &v, 8, far);
	op_settle(&t, 30);
	out = 0;
	is_st(achan_chan_recv(ch, &out), ACHAN_OK, "recv meets a send_until with a far deadline");
	is_st(op_join(&t), ACHAN_OK, "send_until OK");
	achan_chan_destroy(ch);
}

/* Several waiters time out independently; the channel stays usable. */
static void
test_many_timeouts(void)
{
	enum { N = 4 };
	struct achan_chan *ch = mk(8, 1);
	struct op_thread t[N];
	struct timespec dl = tu_add_ms(tu_now(), 80);

	for (int i = 0; i < N; i++)
		op_start_until(&t[i], ch, TU_RECV_UNTIL, NULL, 0, dl);
	int good = 1;
	for (int i = 0; i < N; i++)
		good &= op_join(&t[i]) == ACHAN_TIMEDOUT;
	ok(good, "%d concurrent recv_until time out", N);
	ok(tu_ts_ge(tu_now(), dl), "after the deadline");
	uint64_t v = 1, out = 0;
	ok(achan_chan_try_send(ch, &v) == ACHAN_OK &&
			achan_chan_try_recv(ch, &out) == ACHAN_OK && out == 1,
			"channel works afterwards");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy: nothing left registered");
}

int
main(void)
{
	tap_watchdog(30);
	test_recv_timeout();
	test_send_timeout();
	test_past_deadline();
	test_bad_deadline();
	test_arrives_in_time();
	test_many_timeouts();
	done_testing();
	return exit_status();
}
