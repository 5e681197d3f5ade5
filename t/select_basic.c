/*
 * t/select_basic.c - select (achan/select.h, SEMANTICS.md "Select") over
 * thread-safe objects: every check of t/select_cases.h, then the ones that
 * need another thread - a blocking or deadline select made ready later by
 * another thread (every kind, closes included, and the unbuffered meets),
 * the FIFO place of a waiting send case against a plain blocked sender, a
 * select future woken from another thread, and selects racing producers
 * and closes: every value exactly once.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "select_cases.h"

/* --- a thread running one blocking select ---------------------------------- */

struct sel_thread {
	pthread_t t;
	struct achan_select_case *c;
	size_t n;
	unsigned flags;
	int until;                /* achan_select_until with `deadline` */
	struct timespec deadline;
	size_t idx;
	int rc;
	atomic_int started, done;
};

static void *
sel_thread_main(void *arg)
{
	struct sel_thread *s = arg;
	int rc;

	atomic_store(&s->started, 1);
	rc = s->until ? achan_select_until(s->c, s->n, s->flags, &s->deadline,
	    &s->idx) : achan_select(s->c, s->n, s->flags, &s->idx);
	s->rc = rc;
	atomic_store(&s->done, 1);
	return NULL;
}

static void
sel_start(struct sel_thread *s, struct achan_select_case *c, size_t n,
		unsigned flags, int until, long until_ms)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->n = n;
	s->flags = flags;
	s->until = until;
	s->deadline = tu_add_ms(tu_now(), until_ms);
	s->idx = NOIDX;
	s->rc = -1;
	atomic_init(&s->started, 0);
	atomic_init(&s->done, 0);
	if (pthread_create(&s->t, NULL, sel_thread_main, s) != 0)
		bail_out("pthread_create failed");
}

/* Wait until it has started its call, then give it ms to park. */
static void
sel_settle(struct sel_thread *s, long ms)
{
	while (!atomic_load(&s->started))
		sched_yield();
	tu_sleep_ms(ms);
}

/* Wait up to ms for it to return; 1 if it did.  Bails out if it hangs. */
static int
sel_join(struct sel_thread *s, long ms, const char *what)
{
	struct timespec end = tu_add_ms(tu_now(), ms);

	while (!atomic_load(&s->done)) {
		if (tu_ts_ge(tu_now(), end))
			bail_out("%s: the select thread did not return", what);
		tu_sleep_ms(1);
	}
	pthread_join(s->t, NULL);
	return 1;
}

/*
 * Another thread waits in achan_select / achan_select_until over the
 * backdrop; this one makes one case ready (every trigger of
 * t/select_cases.h).  Exactly that case completes.
 */
static void
t_thread_trigger(void)
{
	struct achan_select_case c[BG_N];
	struct sel_thread s;
	struct bg g;
	char what[128];
	uint64_t got;
	int tr;

	for (int t = 0; t < TR_N; t++)
		for (int until = 0; until < 2; until++) {
			snprintf(what, sizeof(what), "ts, %s, %s", until ?
			    "until" : "select", trig_name[t]);
			bg_make(&g, 0);
			bg_cases(&g, c);
			sel_start(&s, c, BG_N, until ? ACHAN_SELECT_BIASED : 0,
			    until, 10000);
			sel_settle(&s, 10);
			ok(!atomic_load(&s.done), "%s: the select waits", what);
			tr = trig_fire(&g, (enum trig)t, 5000, &got);
			sel_join(&s, 5000, what);
			trig_verify(&g, (enum trig)t, tr, got, s.rc, s.idx, what);
		}
}

/*
 * A deadline select that times out while another thread is active on
 * unrelated objects: TIMEDOUT, no case completed; then the same select
 * completes when a case is made ready before its deadline.
 */
static void
t_thread_until(void)
{
	struct achan_select_case c[BG_N];
	struct achan_chan *other = sc_chan(8, 4, 0);
	struct sel_thread s;
	struct timespec t0;
	struct bg g;
	uint64_t v;

	bg_make(&g, 0);
	bg_cases(&g, c);
	t0 = tu_now();
	sel_start(&s, c, BG_N, 0, 1, 40);
	sel_settle(&s, 5);
	for (v = 0; v < 4; v++)
		sc_put(other, v);	/* activity elsewhere: no case */
	sel_join(&s, 5000, "until timeout");
	is_st(s.rc, ACHAN_TIMEDOUT, "ts, until: TIMEDOUT");
	is_u(s.idx, NOIDX, "ts, until: *index untouched");
	ok(tu_ts_ge(tu_now(), s.deadline), "ts, until: returned at or after "
	    "the deadline (%.1f ms of 40)", tu_ms_between(t0, tu_now()));
	bg_end(&g, 0, "ts, until timed out");
	is_st(achan_chan_destroy(other), ACHAN_OK, "ts, until: destroy other");
}

/*
 * A waiting send case keeps its place in the FIFO of senders: a plain
 * sender future that waited first gets the first freed slot, the blocked
 * select the next one.
 */
static void
t_thread_fifo(void)
{
	struct achan_chan *f = sc_chan(8, 1, 0), *e = sc_chan(8, 2, 0);
	struct achan_chan_send_future psf;
	struct achan_select_case c[2];
	struct sel_thread s;
	struct rec_waker wp;
	uint64_t pv = 10, sv = 20, out = SENT;

	sc_put(f, 1);
	rec_init(&wp, 1, NULL);
	achan_chan_send_future_init(&psf, f, &pv);
	is_st(achan_chan_send_poll(&psf, &wp.w), ACHAN_PENDING,
	    "ts, fifo: a plain sender waits on full f");
	achan_select_case_chan_recv(&c[0], e, &out);
	achan_select_case_chan_send(&c[1], f, &sv);
	sel_start(&s, c, 2, 0, 0, 0);
	sel_settle(&s, 20);
	is_u(sc_take(f), 1, "ts, fifo: a receive frees a slot");
	is_u(rec_calls(&wp), 1, "ts, fifo: the plain sender (first) was served");
	tu_sleep_ms(20);
	ok(!atomic_load(&s.done), "ts, fifo: the select still waits behind it");
	is_st(achan_chan_send_poll(&psf, &wp.w), ACHAN_OK, "ts, fifo: plain sender OK");
	is_u(sc_take(f), 10, "ts, fifo: its 10 first");
	sel_join(&s, 5000, "fifo");
	is_st(s.rc, ACHAN_OK, "ts, fifo: then the select's send completes");
	is_u(s.idx, 1, "ts, fifo: its send case");
	is_u(sc_take(f), 20, "ts, fifo: its 20 next");
	is_u(sc_take(f), NOTHING, "ts, fifo: nothing else");
	is_u(out, SENT, "ts, fifo: the receive case got nothing");
	is_st(achan_chan_destroy(f), ACHAN_OK, "ts, fifo: destroy f");
	is_st(achan_chan_destroy(e), ACHAN_OK, "ts, fifo: destroy e");
}

/* A select future woken from another thread (flag waker). */
struct sender_arg {
	struct achan_chan *ch;
	uint64_t v;
	long delay_ms;
};

static void *
delayed_send(void *arg)
{
	struct sender_arg *a = arg;

	tu_sleep_ms(a->delay_ms);
	(void)achan_chan_try_send(a->ch, &a->v);
	return NULL;
}

static void
t_thread_future_wake(void)
{
	struct achan_chan *e1 = sc_chan(8, 2, 0), *e2 = sc_chan(8, 2, 0);
	struct achan_select_case c[2];
	struct achan_select sel;
	struct sender_arg sa = { e2, 31, 10 };
	struct tu_flag fl;
	uint64_t o[2] = { SENT, SENT };
	pthread_t t;
	size_t idx = NOIDX;

	tu_flag_init(&fl);
	achan_select_case_chan_recv(&c[0], e1, &o[0]);
	achan_select_case_chan_recv(&c[1], e2, &o[1]);
	achan_select_init(&sel, c, 2, 0);
	is_st(achan_select_poll(&sel, &fl.w, &idx), ACHAN_PENDING,
	    "ts, future woken by a thread: PENDING");
	if (pthread_create(&t, NULL, delayed_send, &sa) != 0)
		bail_out("pthread_create");
	ok(tu_flag_wait(&fl, 5000), "ts, future woken by a thread: the waker ran");
	pthread_join(t, NULL);
	is_st(achan_select_poll(&sel, &fl.w, &idx), ACHAN_OK,
	    "ts, future woken by a thread: OK");
	ok(idx == 1 && o[1] == 31 && o[0] == SENT,
	    "ts, future woken by a thread: case 1 with 31");
	is_st(achan_chan_destroy(e1), ACHAN_OK, "ts, future woken: destroy e1");
	is_st(achan_chan_destroy(e2), ACHAN_OK, "ts, future woken: destroy e2");
}

/*
 * Selects racing producers and closes: consumers loop achan_select over
 * [recv A, recv B], switching a case to NONE when its channel answers
 * CLOSED, until both are off; producers send into A (cap 4) and B
 * (unbuffered), then close.  Every value arrives exactly once, in each
 * producer's order.
 */
#define EO_PROD 2
#define EO_CONS 3
#define EO_N 4000u

struct eo {
	struct achan_chan *ch[2];
	atomic_uint seen[EO_PROD][EO_N];
	atomic_int order_bad;
	atomic_int bad_rc;
};

struct eo_prod {
	struct eo *eo;
	unsigned id;
	pthread_t t;
};

static void *
eo_producer(void *arg)
{
	struct eo_prod *p = arg;

	for (uint64_t i = 0; i < EO_N; i++) {
		uint64_t v = ((uint64_t)p->id << 32) | i;
		if (achan_chan_send(p->eo->ch[i & 1], &v) != ACHAN_OK)
			atomic_store(&p->eo->bad_rc, 1);
	}
	return NULL;
}

static void *
eo_consumer(void *arg)
{
	struct eo *eo = arg;
	struct achan_select_case c[2];
	uint64_t out[2], last[EO_PROD][2];
	size_t idx;
	int live = 2, r;

	memset(last, 0xff, sizeof(last));
	achan_select_case_chan_recv(&c[0], eo->ch[0], &out[0]);
	achan_select_case_chan_recv(&c[1], eo->ch[1], &out[1]);
	while (live > 0) {
		r = achan_select(c, 2, 0, &idx);
		if (r == ACHAN_CLOSED) {
			achan_select_case_none(&c[idx]);
			live--;
			continue;
		}
		if (r != ACHAN_OK || idx > 1) {
			atomic_store(&eo->bad_rc, 1);
			break;
		}
		unsigned pid = (unsigned)(out[idx] >> 32);
		uint64_t i = out[idx] & 0xffffffffu;
		if (pid >= EO_PROD || i >= EO_N || (i & 1) != idx) {
			atomic_store(&eo->bad_rc, 1);
			continue;
		}
		atomic_fetch_add(&eo->seen[pid][i], 1);
		/* per producer and channel, a consumer sees increasing i */
		if (last[pid][idx] != UINT64_MAX && i <= last[pid][idx])
			atomic_store(&eo->order_bad, 1);
		last[pid][idx] = i;
	}
	return NULL;
}

static void
t_thread_exactly_once(void)
{
	static struct eo eo;
	struct eo_prod p[EO_PROD];
	pthread_t cons[EO_CONS];
	unsigned missing = 0, dup = 0;

	memset(&eo, 0, sizeof(eo));
	eo.ch[0] = sc_chan(8, 4, 0);
	eo.ch[1] = sc_chan(8, 0, 0);
	for (int i = 0; i < EO_CONS; i++)
		if (pthread_create(&cons[i], NULL, eo_consumer, &eo) != 0)
			bail_out("pthread_create");
	for (unsigned i = 0; i < EO_PROD; i++) {
		p[i].eo = &eo;
		p[i].id = i;
		if (pthread_create(&p[i].t, NULL, eo_producer, &p[i]) != 0)
			bail_out("pthread_create");
	}
	for (int i = 0; i < EO_PROD; i++)
		pthread_join(p[i].t, NULL);
	achan_chan_close(eo.ch[0]);
	achan_chan_close(eo.ch[1]);
	for (int i = 0; i < EO_CONS; i++)
		pthread_join(cons[i], NULL);
	for (unsigned i = 0; i < EO_PROD; i++)
		for (unsigned j = 0; j < EO_N; j++) {
			unsigned n = atomic_load(&eo.seen[i][j]);
			missing += n == 0;
			dup += n > 1;
		}
	ok(missing == 0 && dup == 0, "ts, %d consumers selecting over a bounded "
	    "and an unbuffered channel: all %u values exactly once (missing %u, "
	    "duplicated %u)", EO_CONS, EO_PROD * EO_N, missing, dup);
	ok(!atomic_load(&eo.order_bad), "ts, racing selects: each producer's "
	    "values in order per channel");
	ok(!atomic_load(&eo.bad_rc), "ts, racing selects: every send and "
	    "select answered as expected");
	is_st(achan_chan_destroy(eo.ch[0]), ACHAN_OK, "ts, racing selects: destroy A");
	is_st(achan_chan_destroy(eo.ch[1]), ACHAN_OK, "ts, racing selects: destroy B");
}

int
main(void)
{
	tap_watchdog(30);
	select_cases_all(0);
	t_thread_trigger();
	t_thread_until();
	t_thread_fifo();
	t_thread_future_wake();
	t_thread_exactly_once();
	select_cases_end(0);
	return done_testing();
}
