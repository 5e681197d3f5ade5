/*
 * examples/executor.c - a tiny run-queue executor driving achan futures on
 * local (single-thread) objects.
 *
 * Tasks are state machines: each has a step function that advances as far
 * as it can and returns when a future answers ACHAN_PENDING.  Every future
 * is polled with a waker that puts its task back on the run queue; the
 * executor runs queued tasks until none is left.  Everything happens on one
 * thread, so every object is made with ACHAN_LOCAL: no atomics, no locks,
 * no futex, and wakers run synchronously inside the send / receive / close
 * that makes progress possible (they only enqueue, never poll).
 *
 *   producer --jobs (cap 4)--> 2 workers --results (cap 0: rendezvous)-->
 *   collector --done (broadcast oneshot)--> 2 reporters
 *             --progress (cap 4)--> monitor (a service)
 *
 * The collector waits on two things at once with the library's select
 * future (achan_select_init / achan_select_poll): a result, or `abort`, a
 * broadcast signal nobody sends.  The select is biased, abort before work.
 * Each time a case completes the select has finished and the other case
 * has left no trace on its object (nothing registered, nothing taken), so
 * the next round is a fresh achan_select_init over the same case array.
 * When `results` is closed and drained the collector announces the total
 * on `done`, which every reporter receives a copy of.  Every 1000 results
 * it also posts a milestone on `progress` (try_send: progress must never
 * hold up the work).
 *
 * The monitor is a service: it selects over `progress` and `abort` and
 * would run for as long as the program does - any task may post progress,
 * so no one task closes `progress`.  When the run queue is empty it is
 * still registered on both objects (their destroy answers ACHAN_EBUSY), so
 * shutting the executor down cancels it: achan_select_cancel() takes every
 * case out of its queue before the task's memory may be reused.  A cancel
 * that answers ACHAN_OK says a case had completed first - its value has
 * moved and is the task's to use.
 *
 * Checks: every job squared and summed exactly once, both reporters got the
 * total, abort never fired, the monitor saw every milestone and its cancel
 * answered ACHAN_CANCELLED, and every object is destroyed with nothing left
 * registered.  Exit status 0 on success.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <achan.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JOBS 10000
#define WORKERS 2
#define REPORTERS 2
#define MILESTONE 1000	/* results per progress message */

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* --- the executor ------------------------------------------------------------ */

struct task {
	void (*step)(struct task *t);	/* advance until a future pends */
	/* Shutdown of a task that may still be waiting when the executor
	 * goes idle (a service): cancel its futures, then finish.  NULL for a
	 * task that must finish by itself. */
	void (*cancel)(struct task *t);
	struct task *next;		/* run-queue link */
	int queued;
	int finished;
};

static struct task *run_head, *run_tail;
static struct task *all_tasks[16];	/* every task spawned */
static int n_tasks;

static void schedule(struct task *t)
{
	if (t->queued || t->finished)
		return;	/* already runnable: one entry is enough */
	t->queued = 1;
	t->next = NULL;
	if (run_tail)
		run_tail->next = t;
	else
		run_head = t;
	run_tail = t;
}

/* The waker of every future: put the task back on the run queue.  It runs
 * inside another task's achan call, so it must not poll anything itself. */
static void wake_task(void *arg)
{
	schedule(arg);
}

/* A new task: remember it for shutdown, and let it take its first step. */
static void spawn(struct task *t)
{
	all_tasks[n_tasks++] = t;
	schedule(t);
}

/* Run until no task is runnable; returns the number of steps taken. */
static unsigned long run(void)
{
	unsigned long steps = 0;
	struct task *t;

	while ((t = run_head) != NULL) {
		run_head = t->next;
		if (!run_head)
			run_tail = NULL;
		t->queued = 0;
		t->step(t);
		steps++;
	}
	return steps;
}

/*
 * Shut the executor down once it is idle: cancel every task that is still
 * waiting and can be cancelled.  Returns the number of tasks left that can
 * not: each is waiting for a wake nobody on this thread can give - a
 * deadlock in the program, which a local executor sees directly.
 */
static int shutdown_executor(void)
{
	int stuck = 0;

	for (int k = 0; k < n_tasks; k++) {
		struct task *t = all_tasks[k];
		if (t->finished)
			continue;
		if (t->cancel)
			t->cancel(t);
		if (!t->finished)
			stuck++;
	}
	return stuck;
}

/* --- producer: send 1..JOBS into `jobs`, then close it ----------------------- */

struct producer {
	struct task task;
	struct achan_chan *jobs;
	uint64_t next;
	uint64_t value;		/* the value in flight: stays put while pending */
	int sending;		/* the send future is initialised */
	struct achan_chan_send_future send;
};

static void producer_step(struct task *t)
{
	struct producer *p = container_of(t, struct producer, task);
	const struct achan_waker w = { wake_task, t };

	while (p->next <= JOBS) {
		if (!p->sending) {
			p->value = p->next;
			achan_chan_send_future_init(&p->send, p->jobs, &p->value);
			p->sending = 1;
		}
		int r = achan_chan_send_poll(&p->send, &w);
		if (r == ACHAN_PENDING)
			return;	/* `jobs` is full: a worker's receive wakes us */
		p->sending = 0;
		if (r != ACHAN_OK) {	/* ACHAN_CLOSED: nobody receives */
			t->finished = 1;
			return;
		}
		p->next++;
	}
	/* Workers drain what is buffered, then their receives answer CLOSED. */
	achan_chan_close(p->jobs);
	t->finished = 1;
}

/* --- workers: receive a job, send its square ---------------------------------- */

struct worker {
	struct task task;
	struct achan_chan *jobs, *results;
	int *live;		/* workers still running; the last closes `results` */
	enum { W_IDLE, W_RECEIVING, W_SENDING } state;
	uint64_t job, square;
	struct achan_chan_recv_future recv;
	struct achan_chan_send_future send;
};

static void worker_exit(struct worker *wk)
{
	if (--*wk->live == 0)
		achan_chan_close(wk->results);
	wk->task.finished = 1;
}

static void worker_step(struct task *t)
{
	struct worker *wk = container_of(t, struct worker, task);
	const struct achan_waker w = { wake_task, t };
	int r;

	for (;;) {
		if (wk->state == W_IDLE) {
			achan_chan_recv_future_init(&wk->recv, wk->jobs, &wk->job);
			wk->state = W_RECEIVING;
		}
		if (wk->state == W_RECEIVING) {
			r = achan_chan_recv_poll(&wk->recv, &w);
			if (r == ACHAN_PENDING)
				return;	/* re-polled when woken: same future */
			if (r != ACHAN_OK) {	/* CLOSED: closed and drained */
				worker_exit(wk);
				return;
			}
			wk->square = wk->job * wk->job;
			achan_chan_send_future_init(&wk->send, wk->results,
			    &wk->square);
			wk->state = W_SENDING;
		}
		/* W_SENDING: capacity 0, so this pends until the collector's
		 * receive copies the value straight out of our future. */
		r = achan_chan_send_poll(&wk->send, &w);
		if (r == ACHAN_PENDING)
			return;
		if (r != ACHAN_OK) {
			worker_exit(wk);
			return;
		}
		wk->state = W_IDLE;
	}
}

/* --- collector: a select over `abort` and `results` --------------------------- */

struct collector {
	struct task task;
	struct achan_chan *progress;
	struct achan_bcast *done;
	uint64_t item, sum, count, milestones;
	int selecting;		/* sel is initialised and not finished */
	int aborted, failed;
	/* The cases, set up once: [0] abort, [1] a receive from `results`
	 * into `item`.  Reused by every round's select once the previous
	 * one has finished. */
	struct achan_select_case cases[2];
	struct achan_select sel;
};

static void collector_step(struct task *t)
{
	struct collector *c = container_of(t, struct collector, task);
	const struct achan_waker w = { wake_task, t };
	size_t i;
	int r;

	for (;;) {
		if (!c->selecting) {
			/* Biased: the cases are looked at in array order, so
			 * a ready abort wins over a ready result. */
			if (achan_select_init(&c->sel, c->cases, 2,
			    ACHAN_SELECT_BIASED) != ACHAN_OK) {
				c->failed = 1;
				t->finished = 1;
				return;
			}
			c->selecting = 1;
		}
		/* Pending: every case is registered, and one waker stands for
		 * both.  Polling the same select again keeps the cases' queue
		 * places and only refreshes the waker. */
		r = achan_select_poll(&c->sel, &w, &i);
		if (r == ACHAN_PENDING)
			return;
		/* Finished: cases[i] completed, the other left no trace. */
		c->selecting = 0;
		if (r != ACHAN_OK && r != ACHAN_CLOSED) {	/* ACHAN_EINVAL */
			c->failed = 1;
			t->finished = 1;
			return;
		}
		if (i == 0) {	/* abort sent (OK) or closed: stop early */
			c->aborted = 1;
			t->finished = 1;
			return;
		}
		if (r == ACHAN_CLOSED)
			break;	/* `results` is closed and drained */
		c->sum += c->item;
		c->count++;
		/* Progress must never hold up the work: try_send, never wait.
		 * (`progress` has room; the monitor runs between milestones.) */
		if (c->count % MILESTONE == 0 &&
		    achan_chan_try_send(c->progress, &c->count) == ACHAN_OK)
			c->milestones++;
	}

	/* Nothing of this task is registered any more: the last select
	 * finished through `results`, so there is nothing to cancel.  Every
	 * reporter, waiting or not yet, gets a copy of the total. */
	achan_bcast_send(c->done, &c->sum);
	t->finished = 1;
}

/* --- monitor: a service selecting over `abort` and `progress` ---------------- */

struct monitor {
	struct task task;
	uint64_t milestone, seen, last;
	int selecting;
	int aborted, failed;
	int cancel_status;	/* what achan_select_cancel() answered */
	struct achan_select_case cases[2];	/* [0] abort, [1] progress */
	struct achan_select sel;
};

/* One milestone received, by a poll or by the cancel. */
static void monitor_take(struct monitor *m)
{
	if (m->milestone != m->last + MILESTONE)
		m->failed = 1;	/* lost, repeated or out of order */
	m->last = m->milestone;
	m->seen++;
}

static void monitor_step(struct task *t)
{
	struct monitor *m = container_of(t, struct monitor, task);
	const struct achan_waker w = { wake_task, t };
	size_t i;
	int r;

	for (;;) {
		if (!m->selecting) {
			if (achan_select_init(&m->sel, m->cases, 2,
			    ACHAN_SELECT_BIASED) != ACHAN_OK) {
				m->failed = 1;
				t->finished = 1;
				return;
			}
			m->selecting = 1;
		}
		r = achan_select_poll(&m->sel, &w, &i);
		if (r == ACHAN_PENDING)
			return;
		m->selecting = 0;
		if (r != ACHAN_OK && r != ACHAN_CLOSED) {	/* ACHAN_EINVAL */
			m->failed = 1;
			t->finished = 1;
			return;
		}
		if (i == 0)
			m->aborted = 1;
		if (i == 0 || r == ACHAN_CLOSED) {
			/* abort, or `progress` closed: the service stops */
			t->finished = 1;
			return;
		}
		monitor_take(m);
	}
}

/* The executor's shutdown: the monitor is registered on `abort` and
 * `progress` and must leave both queues before its memory is reused. */
static void monitor_cancel(struct task *t)
{
	struct monitor *m = container_of(t, struct monitor, task);
	size_t i;

	if (m->selecting) {
		m->cancel_status = achan_select_cancel(&m->sel, &i);
		/* ACHAN_CANCELLED: no case completed, and each is out of
		 * its queue.  ACHAN_OK: cases[i] had completed first and its
		 * value is ours.  Here that can not happen (a receive from a
		 * buffered channel completes only in a poll), but on an
		 * unbuffered channel a sender completes a waiting receive on
		 * the select's behalf, and code that cancels must use it. */
		if (m->cancel_status == ACHAN_OK && i == 1)
			monitor_take(m);
		else if (m->cancel_status == ACHAN_OK)
			m->aborted = 1;
		m->selecting = 0;
	}
	t->finished = 1;
}

/* --- reporters: wait for the total ------------------------------------------ */

struct reporter {
	struct task task;
	uint64_t total;
	int status;
	struct achan_bcast_recv_future f;	/* initialised at start */
};

static void reporter_step(struct task *t)
{
	struct reporter *rp = container_of(t, struct reporter, task);
	const struct achan_waker w = { wake_task, t };
	int r = achan_bcast_recv_poll(&rp->f, &w);

	if (r == ACHAN_PENDING)
		return;
	rp->status = r;	/* ACHAN_OK: rp->total holds the copy */
	t->finished = 1;
}

int main(void)
{
	struct achan_chan *jobs, *results, *progress;
	struct achan_bcast *done, *abort_sig;
	struct producer prod = { .task.step = producer_step, .next = 1 };
	struct worker workers[WORKERS];
	struct collector coll = { .task.step = collector_step };
	struct monitor mon = { .task.step = monitor_step,
	    .task.cancel = monitor_cancel, .cancel_status = -1 };
	struct reporter reps[REPORTERS];
	int live = WORKERS, ok = 1;

	if (achan_chan_create(&jobs, sizeof(uint64_t), 4, ACHAN_LOCAL) ||
	    achan_chan_create(&results, sizeof(uint64_t), 0, ACHAN_LOCAL) ||
	    achan_chan_create(&progress, sizeof(uint64_t), 4, ACHAN_LOCAL) ||
	    achan_bcast_create(&done, sizeof(uint64_t), ACHAN_LOCAL) ||
	    achan_bcast_create(&abort_sig, 0, ACHAN_LOCAL))	/* a signal: no value */
		return 1;

	prod.jobs = jobs;
	spawn(&prod.task);
	for (int i = 0; i < WORKERS; i++) {
		workers[i] = (struct worker){ .task.step = worker_step,
		    .jobs = jobs, .results = results, .live = &live };
		spawn(&workers[i].task);
	}
	coll.progress = progress;
	coll.done = done;
	achan_select_case_bcast_recv(&coll.cases[0], abort_sig, NULL);
	achan_select_case_chan_recv(&coll.cases[1], results, &coll.item);
	spawn(&coll.task);
	achan_select_case_bcast_recv(&mon.cases[0], abort_sig, NULL);
	achan_select_case_chan_recv(&mon.cases[1], progress, &mon.milestone);
	spawn(&mon.task);
	for (int i = 0; i < REPORTERS; i++) {
		reps[i] = (struct reporter){ .task.step = reporter_step };
		achan_bcast_recv_future_init(&reps[i].f, done, &reps[i].total);
		spawn(&reps[i].task);
	}

	unsigned long steps = run();

	/*
	 * The run queue is empty.  The work is done, but the monitor still
	 * waits: its select is registered on `progress` and `abort`, which
	 * therefore refuse to be destroyed (ACHAN_EBUSY, nothing touched).
	 * Shutting the executor down cancels it; any other task still
	 * waiting would be a deadlock.
	 */
	ok &= !mon.task.finished;
	int busy = achan_chan_destroy(progress);
	ok &= busy == ACHAN_EBUSY;
	ok &= shutdown_executor() == 0;

	uint64_t want = (uint64_t)JOBS * (JOBS + 1) * (2 * JOBS + 1) / 6;
	ok &= prod.task.finished && coll.task.finished && mon.task.finished;
	for (int i = 0; i < WORKERS; i++)
		ok &= workers[i].task.finished;
	for (int i = 0; i < REPORTERS; i++)
		ok &= reps[i].task.finished && reps[i].status == ACHAN_OK &&
		    reps[i].total == want;
	ok &= coll.count == JOBS && coll.sum == want && !coll.aborted &&
	    !coll.failed;
	ok &= coll.milestones == JOBS / MILESTONE &&
	    mon.seen == coll.milestones && !mon.aborted && !mon.failed &&
	    mon.cancel_status == ACHAN_CANCELLED;

	/* Nothing is registered any more, so every destroy answers OK. */
	ok &= achan_chan_destroy(jobs) == ACHAN_OK;
	ok &= achan_chan_destroy(results) == ACHAN_OK;
	if (busy != ACHAN_OK)	/* (an OK above would have freed it: a bug) */
		ok &= achan_chan_destroy(progress) == ACHAN_OK;
	ok &= achan_bcast_destroy(done) == ACHAN_OK;
	ok &= achan_bcast_destroy(abort_sig) == ACHAN_OK;

	printf("executor: %llu results, sum of squares %llu (expected %llu), "
	    "%lu task steps, %llu milestones seen, monitor cancel: %s\n",
	    (unsigned long long)coll.count, (unsigned long long)coll.sum,
	    (unsigned long long)want, steps, (unsigned long long)mon.seen,
	    mon.cancel_status < 0 ? "not called" :
	    achan_strerror(mon.cancel_status));
	if (!ok) {
		fprintf(stderr, "executor: FAILED\n");
		return 1;
	}
	return 0;
}
