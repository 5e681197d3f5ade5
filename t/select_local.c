/*
 * t/select_local.c - select (achan/select.h, SEMANTICS.md "Select") over
 * ACHAN_LOCAL objects: every check of t/select_cases.h (where a blocking
 * form would wait it answers ACHAN_EDEADLK; other parties act through
 * futures and try calls on the same thread), then the blocking forms'
 * EDEADLK once more on their own, and a tiny run-queue executor whose
 * consumer task waits with a select future over two channels fed by a
 * producer task, until both are closed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "select_cases.h"

/*
 * Blocking forms on local objects: EDEADLK at once where they would wait
 * (until too, however far its deadline), and nothing changes; a case that
 * becomes ready is then taken by the same blocking form.
 */
static void
t_local_edeadlk(void)
{
	struct achan_chan *f = sc_chan(8, 1, ACHAN_LOCAL);
	struct achan_chan *e = sc_chan(8, 1, ACHAN_LOCAL);
	struct achan_select_case c[2];
	struct timespec t0, dl;
	uint64_t v = 20, out = SENT;
	size_t idx = NOIDX;

	sc_put(f, 1);
	achan_select_case_chan_send(&c[0], f, &v);
	achan_select_case_chan_recv(&c[1], e, &out);
	is_st(achan_select(c, 2, 0, &idx), ACHAN_EDEADLK,
	    "local: select, send to full + recv from empty: EDEADLK");
	t0 = tu_now();
	dl = tu_add_ms(t0, 5000);
	is_st(achan_select_until(c, 2, ACHAN_SELECT_BIASED, &dl, &idx),
	    ACHAN_EDEADLK, "local: until, 5 s away: EDEADLK");
	ok(tu_ms_between(t0, tu_now()) < 1000.0,
	    "local: until answered at once, without sleeping (%.1f ms)",
	    tu_ms_between(t0, tu_now()));
	ok(idx == NOIDX && out == SENT && achan_chan_len(f) == 1 &&
	    achan_chan_len(e) == 0, "local: EDEADLK changed nothing");
	is_u(sc_take(f), 1, "local: f still holds 1 only");
	is_st(achan_select(c, 2, 0, &idx), ACHAN_OK,
	    "local: with room in f, the blocking select completes");
	ok(idx == 0 && sc_take(f) == 20, "local: through its send case");
	sc_put(e, 4);
	sc_put(f, 1);
	is_st(achan_select_until(c, 2, 0, &dl, &idx), ACHAN_OK,
	    "local: with a value in e, until completes");
	ok(idx == 1 && out == 4, "local: through its receive case");
	is_st(achan_chan_destroy(f), ACHAN_OK, "local: destroy f");
	is_st(achan_chan_destroy(e), ACHAN_OK, "local: destroy e");
}

/* --- a run-queue executor: a select-future consumer, a producer ----------- */

struct task;
typedef void (*step_fn)(struct task *t);

struct task {
	step_fn step;
	int queued;
	struct task *next;
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
	unsigned long steps = 0;
	struct task *t;

	while ((t = runq_head) != NULL) {
		runq_head = t->next;
		if (!runq_head)
			runq_tail = NULL;
		t->queued = 0;
		if (++steps > 10000000ul)
			bail_out("the executor does not settle");
		t->step(t);
	}
}

#define EX_N 3000u

static struct {
	struct achan_chan *ch[2];
	/* producer: sends 0..EX_N-1, i into ch[i % 2] (send futures), then
	 * closes both */
	struct task prod;
	uint64_t pi, pval;
	int have_sf;
	struct achan_chan_send_future sf;
	int prod_done;
	/* consumer: a select future over [recv ch0, recv ch1] */
	struct task cons;
	struct achan_select_case c[2];
	struct achan_select sel;
	int have_sel, live, bad;
	uint64_t out[2], next[2];
	unsigned seen[EX_N];
} ex;

static void
prod_step(struct task *t)
{
	struct achan_waker w = { task_wake, t };
	int r;

	while (ex.pi < EX_N) {
		if (!ex.have_sf) {
			ex.pval = ex.pi;
			achan_chan_send_future_init(&ex.sf, ex.ch[ex.pi & 1],
			    &ex.pval);
			ex.have_sf = 1;
		}
		r = achan_chan_send_poll(&ex.sf, &w);
		if (r == ACHAN_PENDING)
			return;
		ex.have_sf = 0;
		if (r != ACHAN_OK) {
			ex.bad = 1;
			return;
		}
		ex.pi++;
	}
	if (!ex.prod_done) {
		ex.prod_done = 1;
		achan_chan_close(ex.ch[0]);
		achan_chan_close(ex.ch[1]);
	}
}

static void
cons_step(struct task *t)
{
	struct achan_waker w = { task_wake, t };
	size_t idx;
	int r;

	while (ex.live > 0) {
		if (!ex.have_sel) {
			achan_select_init(&ex.sel, ex.c, 2, 0);
			ex.have_sel = 1;
		}
		idx = NOIDX;
		r = achan_select_poll(&ex.sel, &w, &idx);
		if (r == ACHAN_PENDING)
			return;
		ex.have_sel = 0;
		if (r == ACHAN_CLOSED && idx < 2) {
			achan_select_case_none(&ex.c[idx]);
			ex.live--;
			continue;
		}
		if (r != ACHAN_OK || idx > 1 || ex.out[idx] >= EX_N ||
		    (ex.out[idx] & 1) != idx || ex.out[idx] != ex.next[idx]) {
			ex.bad = 1;
			ex.live = 0;
			return;
		}
		ex.seen[ex.out[idx]]++;
		ex.next[idx] += 2;
	}
}

static void
t_local_executor(size_t cap)
{
	unsigned missing = 0;

	memset(&ex, 0, sizeof(ex));
	ex.ch[0] = sc_chan(8, cap, ACHAN_LOCAL);
	ex.ch[1] = sc_chan(8, cap, ACHAN_LOCAL);
	ex.prod.step = prod_step;
	ex.cons.step = cons_step;
	ex.live = 2;
	ex.next[0] = 0;
	ex.next[1] = 1;
	achan_select_case_chan_recv(&ex.c[0], ex.ch[0], &ex.out[0]);
	achan_select_case_chan_recv(&ex.c[1], ex.ch[1], &ex.out[1]);
	runq_push(&ex.cons);	/* the consumer first: it registers */
	runq_push(&ex.prod);
	run_all();
	for (unsigned i = 0; i < EX_N; i++)
		missing += ex.seen[i] != 1;
	ok(!ex.bad, "local executor, cap %zu: every poll answered as expected, "
	    "values in order per channel", cap);
	ok(ex.prod_done && ex.pi == EX_N, "local executor, cap %zu: the producer "
	    "sent all %u and closed", cap, EX_N);
	ok(ex.live == 0 && missing == 0, "local executor, cap %zu: the select "
	    "consumer got each value exactly once and saw both closes "
	    "(missing or duplicated %u)", cap, missing);
	ok(ex.cons.wakes > 0, "local executor, cap %zu: the consumer waited and "
	    "was woken (%u wakes)", cap, ex.cons.wakes);
	is_st(achan_chan_destroy(ex.ch[0]), ACHAN_OK, "local executor: destroy ch0");
	is_st(achan_chan_destroy(ex.ch[1]), ACHAN_OK, "local executor: destroy ch1");
}

int
main(void)
{
	tap_watchdog(30);
	select_cases_all(ACHAN_LOCAL);
	t_local_edeadlk();
	t_local_executor(1);
	t_local_executor(0);
	select_cases_end(ACHAN_LOCAL);
	return done_testing();
}
