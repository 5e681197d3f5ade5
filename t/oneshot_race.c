/*
 * t/oneshot_race.c - oneshot and broadcast oneshot under races: a sender, a
 * closer and two receivers (each in a random mode: try_recv loop, blocking
 * recv, recv_until, future woken by its waker, future re-polled without
 * waiting, future cancelled) start each round together, with random delays,
 * on a fresh object.  Every round's outcome is checked against the
 * contract:
 *
 *   oneshot: exactly one of "the send succeeded and the value is delivered
 *            exactly once (to one receiver, or to the final try_recv)" and
 *            "the close came first, the send failed and kept its value";
 *            a CLOSED receiver while the value was sent means another
 *            receiver took it; no future ever misses its wake;
 *   bcast:   send OK -> every receiver that finished got the value, none
 *            got CLOSED; send failed -> none got a value;
 *   handles: pair; the sender may send, then releases; the receiver
 *            receives (or cancels, or lets go at once) and releases:
 *            values sent == values received + values destroyed.
 *
 * Then a request/response loop checks the teardown promise: a requester
 * makes a oneshot per request, a worker sends (or closes) it, and the
 * requester destroys it the moment its receive returns - ASan and TSan see
 * any late access by the worker's send.
 *
 * 10^5 rounds per run scaled by ACHAN_TEST_SECONDS, within a time budget
 * (sanitizer builds run fewer rounds; the count is printed).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_util.h"

#define NRECV 2
#define NWORKERS (2 + NRECV)	/* sender, closer, receivers */

enum { K_ONESHOT, K_BCAST, K_HANDLES };
enum { M_TRY, M_BLOCK, M_UNTIL, M_FUTURE, M_BUSY, M_CANCEL, M_RELEASE, M_NMODES };
enum { LOST = 1000 };	/* a future's wake never came */

static const char *const mode_names[] = {
	"try", "block", "until", "future", "busy-poll", "cancel", "release"
};

struct round {
	int kind;
	struct achan_oneshot *os;
	struct achan_bcast *b;
	struct achan_oneshot_sender tx;
	struct achan_oneshot_receiver rx;
	uint64_t value;
	int do_send;
	unsigned delay[NWORKERS];
	int mode[NRECV];
	unsigned cancel_spin[NRECV];
	long until_ns[NRECV];
	/* results */
	int send_rc, close_rc;
	int rc[NRECV];
	uint64_t out[NRECV];
	atomic_int ndestroyed;	/* element destructor calls (handles) */
	atomic_ulong destroyed_value;
	unsigned char mem[ACHAN_ONESHOT_MEMSIZE(sizeof(uint64_t))];
};

/* Each synchronised start covers BATCH independent objects ("rounds"); the
 * workers go through them in the same order, so each object still sees the
 * four operations race. */
#define BATCH 8
static struct round RS[BATCH];
static atomic_uint round_no;	/* published by main (release); a futex */
static atomic_uint ndone;	/* workers done with the round; a futex */
static atomic_int stop;

static void
spin(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#else
		__asm__ __volatile__("" ::: "memory");
#endif
	}
}

/* A busy wait that lets the partner run: there are more threads than cores. */
static void
relax(unsigned *n)
{
	if (++*n % 64 == 0)
		sched_yield();
	else
		spin(8);
}

/* Wait while *a == old: spin a little, then sleep on the futex. */
static void
wait_change(atomic_uint *a, unsigned old)
{
	for (int i = 0; i < 100; i++) {
		if (atomic_load_explicit(a, memory_order_acquire) != old)
			return;
		spin(8);
	}
	while (atomic_load_explicit(a, memory_order_acquire) == old)
		syscall(SYS_futex, (unsigned *)a, FUTEX_WAIT_PRIVATE, old, NULL,
		    NULL, 0);
}

static void
count_dtor(void *elem, void *arg)
{
	struct round *R = arg;
	uint64_t v;

	memcpy(&v, elem, sizeof(v));
	atomic_store(&R->destroyed_value, v);
	atomic_fetch_add(&R->ndestroyed, 1);
}

/* --- receive in each mode (both kinds) ------------------------------------- */

static int
is_bcast(const struct round *R)
{
	return R->kind == K_BCAST;
}

static int
do_try(struct round *R, void *out)
{
	unsigned n = 0;
	int rc;

	for (;;) {
		rc = is_bcast(R) ? achan_bcast_try_recv(R->b, out) :
		    achan_oneshot_try_recv(R->os, out);
		if (rc != ACHAN_EMPTY)
			return rc;
		relax(&n);
	}
}

/* A future; waits for its wake (wait 1), or re-polls without waiting
 * (wait 0), or cancels after a spin (cancel 1). */
static int
do_future(struct round *R, void *out, int wait, int cancel,
		unsigned cancel_spin)
{
	struct achan_oneshot_recv_future of;
	struct achan_bcast_recv_future bf;
	struct tu_flag flag;
	unsigned n = 0;
	int rc;

	tu_flag_init(&flag);
	if (is_bcast(R))
		achan_bcast_recv_future_init(&bf, R->b, out);
	else
		achan_oneshot_recv_future_init(&of, R->os, out);
#define POLL() (is_bcast(R) ? achan_bcast_recv_poll(&bf, &flag.w) : \
	    achan_oneshot_recv_poll(&of, &flag.w))
#define CANCEL() (is_bcast(R) ? achan_bcast_recv_cancel(&bf) : \
	    achan_oneshot_recv_cancel(&of))
	rc = POLL();
	if (cancel) {
		if (rc != ACHAN_PENDING)
			return rc;
		spin(cancel_spin);
		if (cancel_spin & 1) {
			rc = POLL();	/* re-poll, maybe replacing the waker */
			if (rc != ACHAN_PENDING)
				return rc;
		}
		return CANCEL();
	}
	while (rc == ACHAN_PENDING) {
		if (wait) {
			if (!tu_flag_wait(&flag, 5000)) {
				(void)CANCEL();
				return LOST;
			}
			tu_flag_reset(&flag);
		} else {
			relax(&n);
		}
		rc = POLL();
	}
	return rc;
#undef POLL
#undef CANCEL
}

static int
do_recv(struct round *R, int i)
{
	void *out = &R->out[i];
	struct timespec dl;

	switch (R->mode[i]) {
	case M_TRY:
		return do_try(R, out);
	case M_BLOCK:
		return is_bcast(R) ? achan_bcast_recv(R->b, out) :
		    achan_oneshot_recv(R->os, out);
	case M_UNTIL:
		dl = tu_now();
		dl.tv_nsec += R->until_ns[i];
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_nsec -= 1000000000L;
			dl.tv_sec++;
		}
		return is_bcast(R) ? achan_bcast_recv_until(R->b, out, &dl) :
		    achan_oneshot_recv_until(R->os, out, &dl);
	case M_FUTURE:
		return do_future(R, out, 1, 0, 0);
	case M_BUSY:
		return do_future(R, out, 0, 0, 0);
	case M_CANCEL:
		return do_future(R, out, 0, 1, R->cancel_spin[i]);
	}
	return -1;
}

/* K_HANDLES: receiver 0 holds rx, uses it, then releases it. */
static int
do_handle_recv(struct round *R)
{
	int rc = ACHAN_CANCELLED;

	if (R->mode[0] != M_RELEASE)
		rc = do_recv(R, 0);
	if (achan_oneshot_receiver_release(&R->rx) != ACHAN_OK)
		rc = -2;
	return rc;
}

/* --- the workers ----------------------------------------------------------- */

static void
play(struct round *R, int id)
{
	spin(R->delay[id]);
	if (id == 0) {			/* sender */
		if (R->kind == K_HANDLES) {
			if (R->do_send)
				R->send_rc = achan_oneshot_send(
				    achan_oneshot_sender_oneshot(&R->tx), &R->value);
			if (achan_oneshot_sender_release(&R->tx) != ACHAN_OK)
				R->send_rc = -2;
		} else if (R->do_send) {
			R->send_rc = R->kind == K_BCAST ?
			    achan_bcast_send(R->b, &R->value) :
			    achan_oneshot_send(R->os, &R->value);
		}
	} else if (id == 1) {		/* closer */
		if (R->kind != K_HANDLES)
			R->close_rc = R->kind == K_BCAST ?
			    achan_bcast_close(R->b) :
			    achan_oneshot_close(R->os);
	} else {			/* receivers */
		int i = id - 2;

		if (R->kind == K_HANDLES)
			R->rc[i] = i == 0 ? do_handle_recv(R) : ACHAN_CANCELLED;
		else
			R->rc[i] = do_recv(R, i);
	}
}

static void *
worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	unsigned r = 0, cur;

	for (;;) {
		r++;
		/* acquire: pairs with main's release store of round_no; RS is
		 * set up before it */
		while ((cur = atomic_load_explicit(&round_no,
		    memory_order_acquire)) < r)
			wait_change(&round_no, cur);
		if (atomic_load(&stop))
			return NULL;
		for (int k = 0; k < BATCH; k++)
			play(&RS[k], id);
		/* release: our results happen-before main's checks */
		if (atomic_fetch_add_explicit(&ndone, 1, memory_order_release) +
		    1 == NWORKERS)
			tu_futex_wake(&ndone);
	}
}

/* --- main: set up, publish, check -------------------------------------------- */

static uint64_t seed = 0x9e3779b97f4a7c15ULL;

struct tally {
	unsigned long rounds[3];
	unsigned long sent, closed_first, delivered_recv, delivered_final;
	unsigned long modes[M_NMODES][4];	/* OK, CLOSED, other(TIMEDOUT/CANCELLED), -*/
	unsigned long failures;
};

static struct tally T;

static void
fail(const struct round *R, unsigned long r, const char *what)
{
	if (T.failures++ < 10)
		diag("round %lu (kind %d, send %d, modes %s/%s): %s: send %d close %d "
		    "rc %d/%d out %llu/%llu value %llu",
		    r, R->kind, R->do_send, mode_names[R->mode[0]],
		    mode_names[R->mode[1]], what, R->send_rc, R->close_rc,
		    R->rc[0], R->rc[1], (unsigned long long)R->out[0],
		    (unsigned long long)R->out[1], (unsigned long long)R->value);
}

static void
setup(struct round *R, unsigned long r)
{
	uint64_t x = tu_rand(&seed);

	memset(R, 0, offsetof(struct round, mem));
	R->kind = x % 8 < 4 ? K_ONESHOT : x % 8 < 6 ? K_BCAST : K_HANDLES;
	R->value = r * 2 + 1;
	R->do_send = (x >> 8) % 8 != 0;	/* mostly: the send races the close */
	R->send_rc = R->close_rc = -1;
	for (int i = 0; i < NWORKERS; i++)
		R->delay[i] = (unsigned)(tu_rand(&seed) % 128);
	for (int i = 0; i < NRECV; i++) {
		uint64_t y = tu_rand(&seed);

		R->mode[i] = (int)(y % (R->kind == K_HANDLES ? M_NMODES : M_RELEASE));
		R->cancel_spin[i] = (unsigned)((y >> 8) % 256);
		R->until_ns[i] = (long)((y >> 20) % 200000);
		R->rc[i] = -1;
	}
	switch (R->kind) {
	case K_ONESHOT:
		if (x & (1u << 20)) {
			if (achan_oneshot_init(R->mem, sizeof(R->mem),
			    sizeof(uint64_t), 0, &R->os) != ACHAN_OK)
				bail_out("init");
		} else if (achan_oneshot_create(&R->os, sizeof(uint64_t), 0) !=
		    ACHAN_OK) {
			bail_out("create");
		}
		break;
	case K_BCAST:
		if (achan_bcast_create(&R->b, sizeof(uint64_t), 0) != ACHAN_OK)
			bail_out("create");
		break;
	case K_HANDLES:
		if (achan_oneshot_pair(&R->tx, &R->rx, sizeof(uint64_t), 0) != ACHAN_OK)
			bail_out("pair");
		R->os = achan_oneshot_receiver_oneshot(&R->rx);
		achan_oneshot_set_elem_dtor(R->os, count_dtor, R);
		break;
	}
}

static int
allowed(int mode, int rc)
{
	switch (rc) {
	case ACHAN_OK:
	case ACHAN_CLOSED:
		return 1;
	case ACHAN_TIMEDOUT:
		return mode == M_UNTIL;
	case ACHAN_CANCELLED:
		return mode == M_CANCEL || mode == M_RELEASE;
	}
	return 0;
}

static void
check(struct round *R, unsigned long r)
{
	int sent = R->do_send && R->send_rc == ACHAN_OK;
	int nok = 0, nclosed = 0, final_rc;
	uint64_t final_out = 0;

	T.rounds[R->kind]++;
	if (R->do_send && R->send_rc != ACHAN_OK && R->send_rc != ACHAN_CLOSED)
		fail(R, r, "send status");
	for (int i = 0; i < (R->kind == K_HANDLES ? 1 : NRECV); i++) {
		if (R->rc[i] == LOST)
			fail(R, r, "a future's wake never came");
		else if (!allowed(R->mode[i], R->rc[i]))
			fail(R, r, "receive status not allowed for its mode");
		if (R->rc[i] == ACHAN_OK) {
			nok++;
			if (R->out[i] != R->value)
				fail(R, r, "received a value that was not sent");
		}
		nclosed += R->rc[i] == ACHAN_CLOSED;
		T.modes[R->mode[i]][R->rc[i] == ACHAN_OK ? 0 :
		    R->rc[i] == ACHAN_CLOSED ? 1 : 2]++;
	}
	if (nok && !sent)
		fail(R, r, "a value was received but no send succeeded");

	if (R->kind == K_HANDLES) {
		int destroyed = atomic_load(&R->ndestroyed);

		/* both handles are released: the oneshot is freed already */
		if (R->send_rc == -2 || R->rc[0] == -2)
			fail(R, r, "handle release failed");
		if ((unsigned)sent != (unsigned)nok + (unsigned)destroyed)
			fail(R, r, "sent != received + destroyed");
		if (destroyed && atomic_load(&R->destroyed_value) != R->value)
			fail(R, r, "destroyed a value that was not sent");
		T.sent += (unsigned long)sent;
		T.delivered_recv += (unsigned long)nok;
		return;
	}

	/* exactly one of: the send won (close ALREADY) / the close won */
	if (R->do_send && sent != (R->close_rc == ACHAN_ALREADY_CLOSED))
		fail(R, r, "send and close both won, or both lost");
	if (!R->do_send && R->close_rc != ACHAN_NEWLY_CLOSED)
		fail(R, r, "close without a send: not NEWLY_CLOSED");
	T.sent += (unsigned long)sent;
	T.closed_first += (unsigned long)!sent;

	if (R->kind == K_BCAST) {
		if (sent && nclosed)
			fail(R, r, "bcast: a receiver got CLOSED although the value was sent");
		final_rc = achan_bcast_try_recv(R->b, &final_out);
		if (final_rc != (sent ? ACHAN_OK : ACHAN_CLOSED) ||
		    (sent && final_out != R->value))
			fail(R, r, "bcast: the final try_recv disagrees");
		if (achan_bcast_destroy(R->b) != ACHAN_OK)
			fail(R, r, "destroy");
		T.delivered_recv += (unsigned long)nok;
		return;
	}

	if (nok > 1)
		fail(R, r, "oneshot: the value was delivered twice");
	if (sent && nclosed && nok == 0)
		fail(R, r, "oneshot: CLOSED although nobody took the sent value");
	final_rc = achan_oneshot_try_recv(R->os, &final_out);
	if (sent && nok == 0) {
		if (final_rc != ACHAN_OK || final_out != R->value)
			fail(R, r, "oneshot: the sent value was lost");
		T.delivered_final++;
	} else if (final_rc != ACHAN_CLOSED) {
		fail(R, r, "oneshot: the final try_recv found a second value");
	}
	T.delivered_recv += (unsigned long)nok;
	if ((unsigned char *)R->os >= R->mem &&
	    (unsigned char *)R->os < R->mem + sizeof(R->mem)) {
		if (achan_oneshot_fini(R->os) != ACHAN_OK)
			fail(R, r, "fini");
	} else if (achan_oneshot_destroy(R->os) != ACHAN_OK) {
		fail(R, r, "destroy");
	}
}

static void
run_rounds(unsigned long target, double budget_s)
{
	pthread_t t[NWORKERS];
	struct timespec t0 = tu_now();
	unsigned long r;
	unsigned gen = 0;

	for (int i = 0; i < NWORKERS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0)
			bail_out("pthread_create");
	for (r = 1; r <= target; r += BATCH) {
		unsigned cur;

		for (int k = 0; k < BATCH; k++)
			setup(&RS[k], r + (unsigned long)k);
		atomic_store_explicit(&ndone, 0, memory_order_relaxed);
		/* release: R's setup happens-before the workers' round */
		atomic_store_explicit(&round_no, ++gen, memory_order_release);
		tu_futex_wake(&round_no);
		/* acquire: pairs with each worker's release increment */
		while ((cur = atomic_load_explicit(&ndone, memory_order_acquire)) <
		    NWORKERS)
			wait_change(&ndone, cur);
		for (int k = 0; k < BATCH; k++)
			check(&RS[k], r + (unsigned long)k);
		if (r % 1024 == 1 && tu_ms_between(t0, tu_now()) > budget_s * 1e3) {
			r += BATCH;
			break;
		}
	}
	atomic_store(&stop, 1);
	atomic_fetch_add_explicit(&round_no, 1, memory_order_release);
	tu_futex_wake(&round_no);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(t[i], NULL);
	diag("%lu rounds in %.2f s (target %lu): oneshot %lu, bcast %lu, handles %lu",
	    r - 1, tu_ms_between(t0, tu_now()) / 1e3, target,
	    T.rounds[K_ONESHOT], T.rounds[K_BCAST], T.rounds[K_HANDLES]);
	diag("sends won %lu, closes won %lu; delivered to receivers %lu, to the final try_recv %lu",
	    T.sent, T.closed_first, T.delivered_recv, T.delivered_final);
	for (int m = 0; m < M_NMODES; m++)
		diag("  mode %-9s OK %lu CLOSED %lu TIMEDOUT/CANCELLED %lu",
		    mode_names[m], T.modes[m][0], T.modes[m][1], T.modes[m][2]);
}

/* --- request / response: destroy the moment the receive returns ---------- */

struct request {
	struct achan_oneshot *reply;
	uint64_t id;
	int close_instead;
};

static void *
replier(void *arg)
{
	struct achan_chan *q = arg;
	struct request *req;

	while (achan_chan_recv(q, &req) == ACHAN_OK) {
		if (req->close_instead)
			(void)achan_oneshot_close(req->reply);
		else
			(void)achan_oneshot_send(req->reply, &req->id);
		/* req may be gone now: the requester destroys it all on
		 * seeing the result */
	}
	return NULL;
}

static void
run_requests(unsigned long target, double budget_s)
{
	struct achan_chan *q;
	pthread_t t;
	struct timespec t0 = tu_now();
	unsigned long i, bad = 0, modes[4] = { 0, 0, 0, 0 };

	if (achan_chan_create(&q, sizeof(struct request *), 4, 0) != ACHAN_OK)
		bail_out("achan_chan_create");
	if (pthread_create(&t, NULL, replier, q) != 0)
		bail_out("pthread_create");
	for (i = 0; i < target; i++) {
		struct request *req = malloc(sizeof(*req));
		struct achan_oneshot_recv_future f;
		struct tu_flag flag;
		uint64_t out = 0;
		unsigned n = 0;
		int mode = (int)(tu_rand(&seed) % 4), rc;

		if (req == NULL || achan_oneshot_create(&req->reply,
		    sizeof(uint64_t), 0) != ACHAN_OK)
			bail_out("create");
		req->id = i;
		req->close_instead = i % 7 == 3;
		if (achan_chan_send(q, &req) != ACHAN_OK)
			bail_out("chan send");
		switch (mode) {
		case 0:		/* blocking */
			rc = achan_oneshot_recv(req->reply, &out);
			break;
		case 1:		/* registered future, re-polled without waiting */
			tu_flag_init(&flag);
			achan_oneshot_recv_future_init(&f, req->reply, &out);
			while ((rc = achan_oneshot_recv_poll(&f, &flag.w)) ==
			    ACHAN_PENDING)
				relax(&n);
			break;
		case 2:		/* registered, cancelled (stale WAITERS), then try */
			tu_flag_init(&flag);
			achan_oneshot_recv_future_init(&f, req->reply, &out);
			rc = achan_oneshot_recv_poll(&f, &flag.w);
			if (rc != ACHAN_PENDING)
				break;
			(void)achan_oneshot_recv_cancel(&f);
			while ((rc = achan_oneshot_try_recv(req->reply, &out)) ==
			    ACHAN_EMPTY)
				relax(&n);
			break;
		default:	/* future woken by its waker */
			tu_flag_init(&flag);
			achan_oneshot_recv_future_init(&f, req->reply, &out);
			while ((rc = achan_oneshot_recv_poll(&f, &flag.w)) ==
			    ACHAN_PENDING) {
				if (!tu_flag_wait(&flag, 5000))
					bail_out("request %lu: lost wakeup", i);
				tu_flag_reset(&flag);
			}
			break;
		}
		modes[mode]++;
		/* the teardown promise: no wait for the replier's send */
		if (achan_oneshot_destroy(req->reply) != ACHAN_OK)
			bad++;
		if (req->close_instead ? rc != ACHAN_CLOSED :
		    rc != ACHAN_OK || out != i) {
			if (bad++ < 10)
				diag("request %lu mode %d: rc %d out %llu", i, mode,
				    rc, (unsigned long long)out);
		}
		free(req);
		if (i % 1024 == 1023 && tu_ms_between(t0, tu_now()) > budget_s * 1e3) {
			i++;
			break;
		}
	}
	achan_chan_close(q);
	pthread_join(t, NULL);
	achan_chan_destroy(q);
	diag("%lu requests in %.2f s (blocking %lu, busy re-poll %lu, cancel+try %lu, woken %lu)",
	    i, tu_ms_between(t0, tu_now()) / 1e3, modes[0], modes[1], modes[2],
	    modes[3]);
	is_u(bad, 0, "request/response: every reply right, every oneshot destroyed at once");
}

int
main(void)
{
	double secs = tap_test_seconds();
	unsigned long target = (unsigned long)(1e5 * secs);

	if (target < 1000)
		target = 1000;
	tap_watchdog(60 + (unsigned)(10 * secs));
	run_rounds(target, 3.0 * secs);
	is_u(T.failures, 0, "every round's outcome meets the contract");
	ok(T.rounds[K_ONESHOT] > 0 && T.rounds[K_BCAST] > 0 && T.rounds[K_HANDLES] > 0,
	    "all three kinds of round ran");
	run_requests(target / 2, 1.0 * secs);
	return done_testing();
}
