/*
 * t/bcast_basic.c - the oneshot broadcast contract (SEMANTICS.md "Oneshot
 * broadcast"): one value delivered to N receivers and to the same receiver
 * again; closed without a value -> CLOSED; send once; close after send keeps
 * the value; futures, blocking receives, the local flavour; handles (one
 * sender, clonable receivers, only the last receiver's release closes) and
 * the element destructor.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_util.h"

#define NRECV 5

static struct achan_bcast *
mk(size_t elem, unsigned flags)
{
	struct achan_bcast *b = NULL;

	if (achan_bcast_create(&b, elem, flags) != ACHAN_OK || b == NULL)
		bail_out("achan_bcast_create(%zu) failed", elem);
	return b;
}

struct dtor_log {
	int calls;
	uint64_t last;
};

static void
count_dtor(void *elem, void *arg)
{
	struct dtor_log *d = arg;

	d->calls++;
	memcpy(&d->last, elem, sizeof(d->last));
}

static void
test_n_receivers(void)
{
	struct achan_bcast *b = mk(8, 0);
	struct achan_bcast_recv_future f[NRECV];
	struct rec_waker w[NRECV];
	uint64_t out[NRECV], v = 123, v2 = 456, again = 0;
	int pend = 1, woken = 1, got = 1;

	for (int i = 0; i < NRECV; i++) {
		out[i] = 0;
		rec_init(&w[i], i, NULL);
		achan_bcast_recv_future_init(&f[i], b, &out[i]);
		pend &= achan_bcast_recv_poll(&f[i], &w[i].w) == ACHAN_PENDING;
	}
	ok(pend, "%d receive futures PENDING", NRECV);
	is_st(achan_bcast_try_recv(b, &again), ACHAN_EMPTY, "try_recv before send: EMPTY");
	is_st(achan_bcast_send(b, &v), ACHAN_OK, "send");
	is_st(achan_bcast_send(b, &v2), ACHAN_CLOSED, "second send: CLOSED");
	is_u(v2, 456, "the second value stays with the caller");
	for (int i = 0; i < NRECV; i++)
		woken &= rec_calls(&w[i]) == 1;
	ok(woken, "every waiter woken once");
	for (int i = NRECV - 1; i >= 0; i--)
		got &= achan_bcast_recv_poll(&f[i], &w[i].w) == ACHAN_OK &&
		    out[i] == 123;
	ok(got, "every receiver gets the value (polled youngest first)");
	is_st(achan_bcast_try_recv(b, &again), ACHAN_OK, "the same receiver again: OK");
	is_u(again, 123, "value 123");
	again = 0;
	is_st(achan_bcast_try_recv(b, &again), ACHAN_OK, "and again");
	is_u(again, 123, "value 123");
	is_st(achan_bcast_close(b), ACHAN_ALREADY_CLOSED, "close after send: ALREADY_CLOSED");
	again = 0;
	is_st(achan_bcast_recv(b, &again), ACHAN_OK, "recv after close: the value stays");
	is_u(again, 123, "value 123");
	is_u(achan_bcast_is_closed(b), 1, "is_closed");
	is_st(achan_bcast_destroy(b), ACHAN_OK, "destroy");
}

static void
test_closed_without_value(void)
{
	struct achan_bcast *b = mk(8, 0);
	struct achan_bcast_recv_future f[2];
	struct rec_waker w[2];
	uint64_t out[2], v = 1;

	for (int i = 0; i < 2; i++) {
		rec_init(&w[i], i, NULL);
		achan_bcast_recv_future_init(&f[i], b, &out[i]);
		achan_bcast_recv_poll(&f[i], &w[i].w);
	}
	is_st(achan_bcast_close(b), ACHAN_NEWLY_CLOSED, "close: NEWLY_CLOSED");
	ok(rec_calls(&w[0]) == 1 && rec_calls(&w[1]) == 1, "both waiters woken");
	ok(achan_bcast_recv_poll(&f[0], &w[0].w) == ACHAN_CLOSED &&
			achan_bcast_recv_poll(&f[1], &w[1].w) == ACHAN_CLOSED,
			"both get CLOSED");
	is_st(achan_bcast_try_recv(b, &out[0]), ACHAN_CLOSED, "try_recv: CLOSED");
	is_st(achan_bcast_recv(b, &out[0]), ACHAN_CLOSED, "recv: CLOSED without waiting");
	is_st(achan_bcast_send(b, &v), ACHAN_CLOSED, "send after close: CLOSED");
	is_st(achan_bcast_close(b), ACHAN_ALREADY_CLOSED, "close again: ALREADY_CLOSED");
	is_st(achan_bcast_destroy(b), ACHAN_OK, "destroy");
}

static void
test_futures(void)
{
	struct achan_bcast *b = mk(8, 0);
	struct achan_bcast_recv_future f, g;
	struct rec_waker a, c;
	uint64_t out = 0, out2 = 0, v = 9;

	rec_init(&a, 1, NULL);
	rec_init(&c, 2, NULL);
	achan_bcast_recv_future_init(&f, b, &out);
	achan_bcast_recv_future_init(&g, b, &out2);
	achan_bcast_recv_poll(&f, &a.w);
	is_st(achan_bcast_recv_poll(&f, &c.w), ACHAN_PENDING, "re-poll with a new waker: PENDING");
	achan_bcast_recv_poll(&g, &a.w);
	is_st(achan_bcast_destroy(b), ACHAN_EBUSY, "destroy while registered: EBUSY");
	is_st(achan_bcast_recv_cancel(&g), ACHAN_CANCELLED, "cancel one: CANCELLED");
	achan_bcast_send(b, &v);
	ok(rec_calls(&a) == 0 && rec_calls(&c) == 1, "only the latest waker of the live future fired");
	is_st(achan_bcast_recv_poll(&f, &c.w), ACHAN_OK, "OK");
	is_u(out, 9, "value 9");
	is_st(achan_bcast_recv_poll(&f, &c.w), ACHAN_EINVAL, "poll after OK: EINVAL");
	is_st(achan_bcast_recv_cancel(&f), ACHAN_OK, "cancel after OK: OK");
	is_u(out2, 0, "the cancelled future's buffer untouched");
	is_st(achan_bcast_destroy(b), ACHAN_OK, "destroy");
}

struct rthread {
	pthread_t t;
	struct achan_bcast *b;
	uint64_t out;
	int rc;
	atomic_int started;
};

static void *
rthread_main(void *arg)
{
	struct rthread *r = arg;

	atomic_store(&r->started, 1);
	r->rc = achan_bcast_recv(r->b, &r->out);
	return NULL;
}

static void
test_blocking(void)
{
	struct achan_bcast *b = mk(8, 0);
	struct rthread r[3];
	struct timespec dl;
	uint64_t v = 777, out;
	int good = 1;

	for (int i = 0; i < 3; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].b = b;
		if (pthread_create(&r[i].t, NULL, rthread_main, &r[i]) != 0)
			bail_out("pthread_create");
	}
	for (int i = 0; i < 3; i++)
		while (!atomic_load(&r[i].started))
			sched_yield();
	tu_sleep_ms(30);
	achan_bcast_send(b, &v);
	for (int i = 0; i < 3; i++) {
		pthread_join(r[i].t, NULL);
		good &= r[i].rc == ACHAN_OK && r[i].out == 777;
	}
	ok(good, "three blocked receivers all get the value");
	achan_bcast_destroy(b);

	b = mk(8, 0);
	dl = tu_add_ms(tu_now(), 30);
	is_st(achan_bcast_recv_until(b, &out, &dl), ACHAN_TIMEDOUT, "recv_until with no value: TIMEDOUT");
	memset(&r[0], 0, sizeof(r[0]));
	r[0].b = b;
	pthread_create(&r[0].t, NULL, rthread_main, &r[0]);
	while (!atomic_load(&r[0].started))
		sched_yield();
	tu_sleep_ms(30);
	achan_bcast_close(b);
	pthread_join(r[0].t, NULL);
	is_st(r[0].rc, ACHAN_CLOSED, "close wakes a blocked receiver: CLOSED");
	achan_bcast_destroy(b);
}

static void
test_local_and_memory(void)
{
	unsigned char buf[ACHAN_BCAST_MEMSIZE(8) + 3];
	struct achan_bcast *b;
	struct achan_bcast_recv_future f;
	struct rec_waker a;
	uint64_t out = 0, v = 5;

	is_u(achan_bcast_memsize(8), ACHAN_BCAST_MEMSIZE(8), "memsize equals ACHAN_BCAST_MEMSIZE");
	is_st(achan_bcast_init(buf + 3, achan_bcast_memsize(8), 8, ACHAN_LOCAL, &b), ACHAN_OK,
			"local init into misaligned caller memory");
	is_st(achan_bcast_recv(b, &out), ACHAN_EDEADLK, "local recv that would wait: EDEADLK");
	rec_init(&a, 1, NULL);
	achan_bcast_recv_future_init(&f, b, &out);
	is_st(achan_bcast_recv_poll(&f, &a.w), ACHAN_PENDING, "local future PENDING");
	achan_bcast_send(b, &v);
	is_u(rec_calls(&a), 1, "woken inside the send");
	is_st(achan_bcast_recv_poll(&f, &a.w), ACHAN_OK, "OK");
	out = 0;
	is_st(achan_bcast_recv(b, &out), ACHAN_OK, "local recv: the value again");
	is_u(out, 5, "value 5");
	is_st(achan_bcast_destroy(b), ACHAN_EINVAL, "destroy of an init'd object: EINVAL");
	is_st(achan_bcast_fini(b), ACHAN_OK, "fini");
	is_st(achan_bcast_fini(b), ACHAN_EINVAL, "fini twice: EINVAL");

	is_st(achan_bcast_init(buf, sizeof(buf), 8, ACHAN_LOCAL, &b), ACHAN_OK, "local init again");
	is_st(achan_bcast_close(b), ACHAN_NEWLY_CLOSED, "local close");
	is_st(achan_bcast_recv(b, &out), ACHAN_CLOSED, "local recv after close: CLOSED");
	achan_bcast_fini(b);

	/* a oneshot is not a bcast */
	{
		struct achan_oneshot *os;

		achan_oneshot_create(&os, 8, 0);
		is_st(achan_bcast_send((struct achan_bcast *)(void *)os, &v), ACHAN_EINVAL,
				"a oneshot passed as a bcast: EINVAL");
		achan_oneshot_destroy(os);
	}
	is_st(achan_bcast_send(NULL, &v), ACHAN_EINVAL, "NULL: EINVAL");
	is_st(achan_bcast_recv_future_init(&f, NULL, &out), ACHAN_EINVAL, "future on NULL: EINVAL");
}

static void
test_handles(void)
{
	struct achan_bcast_sender tx, tx2;
	struct achan_bcast_receiver rx[3];
	struct achan_bcast_recv_future f;
	struct rec_waker a;
	struct dtor_log d;
	uint64_t v = 31, out = 0;
	int good = 1;

	is_st(achan_bcast_pair(&tx, &rx[0], 8, 0), ACHAN_OK, "pair");
	is_st(achan_bcast_sender_clone(&tx, &tx2), ACHAN_EINVAL, "sender clone: EINVAL (one sender)");
	ok(tx2._b == NULL, "clone target cleared");
	is_st(achan_bcast_receiver_clone(&rx[0], &rx[1]), ACHAN_OK, "receiver clone");
	is_st(achan_bcast_receiver_clone(&rx[1], &rx[2]), ACHAN_OK, "clone of the clone");
	is_st(achan_bcast_receiver_release(&rx[0]), ACHAN_OK, "release a receiver");
	is_st(achan_bcast_receiver_release(&rx[2]), ACHAN_OK, "release another");
	is_u(achan_bcast_is_closed(achan_bcast_sender_bcast(&tx)), 0, "one receiver left: still open");
	is_st(achan_bcast_receiver_release(&rx[0]), ACHAN_EINVAL, "release a released handle: EINVAL");
	is_st(achan_bcast_receiver_clone(&rx[0], &rx[2]), ACHAN_EINVAL, "clone a released handle: EINVAL");
	is_st(achan_bcast_send(achan_bcast_sender_bcast(&tx), &v), ACHAN_OK, "send");
	is_st(achan_bcast_sender_release(&tx), ACHAN_OK, "sender released after the send");
	is_st(achan_bcast_try_recv(achan_bcast_receiver_bcast(&rx[1]), &out), ACHAN_OK,
			"the remaining receiver still gets the value");
	is_u(out, 31, "value 31");
	is_st(achan_bcast_receiver_release(&rx[1]), ACHAN_OK, "last receiver released: freed");

	/* only the last receiver's release closes */
	memset(&d, 0, sizeof(d));
	achan_bcast_pair(&tx, &rx[0], 8, 0);
	achan_bcast_set_elem_dtor(achan_bcast_sender_bcast(&tx), count_dtor, &d);
	achan_bcast_receiver_clone(&rx[0], &rx[1]);
	achan_bcast_receiver_release(&rx[0]);
	is_u(achan_bcast_is_closed(achan_bcast_sender_bcast(&tx)), 0,
			"releasing one of two receivers does not close");
	rec_init(&a, 1, NULL);
	achan_bcast_recv_future_init(&f, achan_bcast_receiver_bcast(&rx[1]), &out);
	achan_bcast_recv_poll(&f, &a.w);
	achan_bcast_receiver_release(&rx[1]);
	is_u(achan_bcast_is_closed(achan_bcast_sender_bcast(&tx)), 1, "releasing the last one closes");
	is_u(rec_calls(&a), 1, "and wakes the future that outlived its handle");
	v = 32;
	is_st(achan_bcast_send(achan_bcast_sender_bcast(&tx), &v), ACHAN_CLOSED,
			"send after the last receiver's release: CLOSED");
	is_st(achan_bcast_recv_poll(&f, &a.w), ACHAN_CLOSED, "the future: CLOSED");
	achan_bcast_sender_release(&tx);
	is_u(d.calls, 0, "nothing was sent: no destructor call");

	/* the sender's release before a send: receivers see CLOSED */
	achan_bcast_pair(&tx, &rx[0], 8, 0);
	achan_bcast_receiver_clone(&rx[0], &rx[1]);
	achan_bcast_sender_release(&tx);
	good = achan_bcast_try_recv(achan_bcast_receiver_bcast(&rx[0]), &out) == ACHAN_CLOSED;
	good &= achan_bcast_recv(achan_bcast_receiver_bcast(&rx[1]), &out) == ACHAN_CLOSED;
	ok(good, "sender released without sending: every receiver gets CLOSED");
	achan_bcast_receiver_release(&rx[0]);
	achan_bcast_receiver_release(&rx[1]);

	/* the destructor runs once, when the object goes away */
	memset(&d, 0, sizeof(d));
	achan_bcast_pair(&tx, &rx[0], 8, 0);
	achan_bcast_set_elem_dtor(achan_bcast_sender_bcast(&tx), count_dtor, &d);
	achan_bcast_receiver_clone(&rx[0], &rx[1]);
	v = 33;
	achan_bcast_send(achan_bcast_sender_bcast(&tx), &v);
	achan_bcast_recv(achan_bcast_receiver_bcast(&rx[0]), &out);
	achan_bcast_receiver_release(&rx[0]);
	achan_bcast_receiver_release(&rx[1]);
	is_u(d.calls, 0, "not at the last receiver's release");
	achan_bcast_sender_release(&tx);
	ok(d.calls == 1 && d.last == 33, "once, when the last handle frees the object");

	memset(&d, 0, sizeof(d));
	{
		struct achan_bcast *b = mk(8, 0);

		achan_bcast_set_elem_dtor(b, count_dtor, &d);
		v = 34;
		achan_bcast_send(b, &v);
		achan_bcast_try_recv(b, &out);
		achan_bcast_destroy(b);
		ok(d.calls == 1 && d.last == 34, "destroy runs it once on the stored value");
	}
}

int
main(void)
{
	tap_watchdog(30);
	test_n_receivers();
	test_closed_without_value();
	test_futures();
	test_blocking();
	test_local_and_memory();
	test_handles();
	return done_testing();
}
