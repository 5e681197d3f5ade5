/*
 * t/hook_regressions.c - defects found by lin/, made deterministic with
 * the library's fault hooks (compiled into this program, as
 * t/fault_inject does), so that each stays fixed.
 *
 * 1. A select's owner passing another select's waiting
 * send case while serving a ring's room must make that select look again,
 * whichever of the two lies at the lower address (lin/ found the room
 * stranded: a select marked itself instead, then completed elsewhere, and
 * the other answered PENDING over free room, never woken).
 *
 * S2 = select {send A 2, recv B}, S3 = select
 * {recv A, recv C}; A capacity 1, B and C unbuffered.  S3 waits (A empty);
 * main sends 1 into A (S3 is woken).  A second thread polls S2 for the
 * first time: A is full, its send case registers, and that thread is held
 * at CHAN_SEND_PENDING - inside S2's poll, claim BUSY.  Main re-polls S3:
 * its receive case takes 1 and serves A's waiting senders, passing S2's
 * send case.  Then S2's poll goes on: it must complete (or, if it answers
 * PENDING, its waker must come).
 *
 * 2. An unbuffered channel's close fails the send queue, unlocks, then
 * fails the receive queue (chan_close).  A receive future re-polled in
 * between must answer CLOSED, as a first poll would: lin_chan caught it
 * answering PENDING after a try_send had seen the channel closed.  The
 * closing thread is held at CHAN_CLOSE, between the two.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <achan.h>
#include <achan/select.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "tap.h"

static atomic_int armed, paused, resume;
static atomic_int close_armed, close_paused, close_resume;
static pthread_t prod;
static __thread int is_prod;	/* the producer thread, set by itself */

void
achan__fault(int point, const void *arg)
{
	(void)arg;
	if (point == ACHAN__FP_CHAN_SEND_PENDING && atomic_load(&armed) &&
	    is_prod) {
		atomic_store(&armed, 0);
		atomic_store(&paused, 1);
		while (!atomic_load(&resume))
			;
	}
	if (point == ACHAN__FP_CHAN_CLOSE && atomic_load(&close_armed)) {
		atomic_store(&close_armed, 0);
		atomic_store(&close_paused, 1);
		while (!atomic_load(&close_resume))
			;
	}
}

int
achan__fault_alloc(int point)
{
	(void)point;
	return 0;
}

static struct achan_chan *A, *B, *C;
static struct achan_select sels[2];
static struct achan_select *S2, *S3;
static struct achan_select_case c2[2], c3[2];
static uint64_t v2 = 2, out2, out3a, out3c;
static atomic_int w2, w3;
static int r2;
static size_t i2;

static void wake(void *arg) { atomic_fetch_add((atomic_int *)arg, 1); }

static void *
producer(void *arg)
{
	struct achan_waker wk = { wake, &w2 };

	(void)arg;
	is_prod = 1;
	achan_select_case_chan_send(&c2[0], A, &v2);
	achan_select_case_chan_recv(&c2[1], B, &out2);
	achan_select_init(S2, c2, 2, ACHAN_SELECT_BIASED);
	r2 = achan_select_poll(S2, &wk, &i2);
	return NULL;
}

static int
run(int s2_lower)
{
	struct achan_waker wk3 = { wake, &w3 };
	uint64_t one = 1;
	size_t i3 = 9;
	int r3;

	memset(sels, 0, sizeof(sels));
	atomic_store(&armed, 1);
	atomic_store(&paused, 0);
	atomic_store(&resume, 0);
	atomic_store(&w2, 0);
	atomic_store(&w3, 0);
	S2 = &sels[s2_lower ? 0 : 1];
	S3 = &sels[s2_lower ? 1 : 0];
	achan_chan_create(&A, 8, 1, 0);
	achan_chan_create(&B, 8, 0, 0);
	achan_chan_create(&C, 8, 0, 0);
	achan_select_case_chan_recv(&c3[0], A, &out3a);
	achan_select_case_chan_recv(&c3[1], C, &out3c);
	achan_select_init(S3, c3, 2, ACHAN_SELECT_BIASED);
	r3 = achan_select_poll(S3, &wk3, &i3);
	ok(r3 == ACHAN_PENDING, "S2 %s: S3's first poll waits",
	    s2_lower ? "lower" : "higher");
	ok(achan_chan_try_send(A, &one) == ACHAN_OK, "try_send(A, 1)");
	pthread_create(&prod, NULL, producer, NULL);
	while (!atomic_load(&paused))
		;
	r3 = achan_select_poll(S3, &wk3, &i3);
	ok(r3 == ACHAN_OK && i3 == 0 && out3a == 1,
	    "S3's re-poll takes 1 from A while S2's poll holds its claim");
	atomic_store(&resume, 1);
	pthread_join(prod, NULL);
	if (r2 == ACHAN_PENDING)
		usleep(200000);
	ok(r2 == ACHAN_OK ? i2 == 0 && achan_chan_len(A) == 1 :
	    atomic_load(&w2) == 1,
	    "S2 (%s address) sent into the room S3 freed, or was woken: "
	    "%s, waker called %d times, A holds %zu", s2_lower ? "lower" :
	    "higher", achan_strerror(r2), atomic_load(&w2), achan_chan_len(A));
	if (r2 == ACHAN_PENDING) {
		size_t i;

		(void)achan_select_cancel(S2, &i);
	}
	achan_chan_destroy(A);
	achan_chan_destroy(B);
	achan_chan_destroy(C);
	return 0;
}

static struct achan_chan *U;

static void *
closer(void *arg)
{
	(void)arg;
	(void)achan_chan_close(U);
	return NULL;
}

static void
close_window(void)
{
	struct achan_chan_recv_future f;
	struct achan_waker wk = { wake, &w3 };
	pthread_t t;
	uint64_t out = 0, v = 7;
	int r;

	achan_chan_create(&U, 8, 0, 0);
	achan_chan_recv_future_init(&f, U, &out);
	ok(achan_chan_recv_poll(&f, &wk) == ACHAN_PENDING,
	    "unbuffered: a receive future waits");
	atomic_store(&close_armed, 1);
	pthread_create(&t, NULL, closer, NULL);
	while (!atomic_load(&close_paused))
		;
	ok(achan_chan_try_send(U, &v) == ACHAN_CLOSED,
	    "close half done: try_send sees the channel closed");
	r = achan_chan_recv_poll(&f, &wk);
	ok(r == ACHAN_CLOSED, "the receive future re-polled then: %s (CLOSED)",
	    achan_strerror(r));
	if (r == ACHAN_PENDING)
		(void)achan_chan_recv_cancel(&f);
	atomic_store(&close_resume, 1);
	pthread_join(t, NULL);
	ok(achan_chan_destroy(U) == ACHAN_OK, "destroy: nothing registered");
}

int
main(void)
{
	tap_watchdog(20);
	(void)run(1);
	(void)run(0);
	close_window();
	return done_testing();
}
