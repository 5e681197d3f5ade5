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
 *
 * The collector also waits on `abort`, a broadcast oneshot nobody sends to:
 * a select over two futures sharing one waker.  When the results are in it
 * cancels its still-pending abort future - a registered future must be
 * cancelled before its memory is reused - and announces the total on
 * `done`, which every reporter receives a copy of.
 *
 * Checks: every job squared and summed exactly once, both reporters got the
 * total, the abort future was cancelled (not fired), and every object is
 * destroyed with nothing left registered.  Exit status 0 on success.
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

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* --- the executor ------------------------------------------------------------ */

struct task {
	void (*step)(struct task *t);	/* advance until a future pends */
	struct task *next;		/* run-queue link */
	int queued;
	int finished;
};

static struct task *run_head, *run_tail;

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

/* --- collector: select over `results` and `abort` ----------------------------- */

struct collector {
	struct task task;
	struct achan_chan *results;
	struct achan_bcast *abort, *done;
	uint64_t item, sum, count;
	int receiving;		/* the receive future is initialised */
	int aborted;
	int abort_cancel;	/* what cancelling the abort future answered */
	struct achan_chan_recv_future recv;
	struct achan_bcast_recv_future abort_f;	/* initialised at start */
};

static void collector_step(struct task *t)
{
	struct collector *c = container_of(t, struct collector, task);
	const struct achan_waker w = { wake_task, t };
	int r;

	/* Select, arm 1: the abort signal.  Polling the registered future
	 * again keeps its place and only refreshes the waker. */
	r = achan_bcast_recv_poll(&c->abort_f, &w);
	if (r != ACHAN_PENDING) {	/* sent (OK) or closed: stop early */
		if (c->receiving)
			achan_chan_recv_cancel(&c->recv);
		c->aborted = 1;
		t->finished = 1;
		return;
	}

	/* Select, arm 2: the results, until `results` is closed and drained. */
	for (;;) {
		if (!c->receiving) {
			achan_chan_recv_future_init(&c->recv, c->results,
			    &c->item);
			c->receiving = 1;
		}
		r = achan_chan_recv_poll(&c->recv, &w);
		if (r == ACHAN_PENDING)
			return;
		c->receiving = 0;
		if (r != ACHAN_OK)
			break;	/* ACHAN_CLOSED */
		c->sum += c->item;
		c->count++;
	}

	/* The abort future is still registered on `abort`: cancel it before
	 * this task's memory can be reused.  ACHAN_CANCELLED: it never fired;
	 * ACHAN_OK would mean an abort arrived first. */
	c->abort_cancel = achan_bcast_recv_cancel(&c->abort_f);
	/* Every reporter, waiting or not yet, gets a copy of the total. */
	achan_bcast_send(c->done, &c->sum);
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
	struct achan_chan *jobs, *results;
	struct achan_bcast *done, *abort_sig;
	struct producer prod = { .task.step = producer_step, .next = 1 };
	struct worker workers[WORKERS];
	struct collector coll = { .task.step = collector_step };
	struct reporter reps[REPORTERS];
	int live = WORKERS, ok = 1;

	if (achan_chan_create(&jobs, sizeof(uint64_t), 4, ACHAN_LOCAL) ||
	    achan_chan_create(&results, sizeof(uint64_t), 0, ACHAN_LOCAL) ||
	    achan_bcast_create(&done, sizeof(uint64_t), ACHAN_LOCAL) ||
	    achan_bcast_create(&abort_sig, 0, ACHAN_LOCAL))	/* a signal: no value */
		return 1;

	prod.jobs = jobs;
	schedule(&prod.task);
	for (int i = 0; i < WORKERS; i++) {
		workers[i] = (struct worker){ .task.step = worker_step,
		    .jobs = jobs, .results = results, .live = &live };
		schedule(&workers[i].task);
	}
	coll.results = results;
	coll.abort = abort_sig;
	coll.done = done;
	achan_bcast_recv_future_init(&coll.abort_f, abort_sig, NULL);
	schedule(&coll.task);
	for (int i = 0; i < REPORTERS; i++) {
		reps[i] = (struct reporter){ .task.step = reporter_step };
		achan_bcast_recv_future_init(&reps[i].f, done, &reps[i].total);
		schedule(&reps[i].task);
	}

	unsigned long steps = run();

	/*
	 * The run queue is empty.  Every task should have finished; one that
	 * has not is waiting for a wake nobody on this thread can give: a
	 * deadlock in the program, which a local executor sees directly.
	 */
	uint64_t want = (uint64_t)JOBS * (JOBS + 1) * (2 * JOBS + 1) / 6;
	ok &= prod.task.finished && coll.task.finished;
	for (int i = 0; i < WORKERS; i++)
		ok &= workers[i].task.finished;
	for (int i = 0; i < REPORTERS; i++)
		ok &= reps[i].task.finished && reps[i].status == ACHAN_OK &&
		    reps[i].total == want;
	ok &= coll.count == JOBS && coll.sum == want && !coll.aborted &&
	    coll.abort_cancel == ACHAN_CANCELLED;

	/* Nothing is registered any more, so every destroy answers OK. */
	ok &= achan_chan_destroy(jobs) == ACHAN_OK;
	ok &= achan_chan_destroy(results) == ACHAN_OK;
	ok &= achan_bcast_destroy(done) == ACHAN_OK;
	ok &= achan_bcast_destroy(abort_sig) == ACHAN_OK;

	printf("executor: %llu results, sum of squares %llu (expected %llu), "
	    "%lu task steps, abort future cancel: %s\n",
	    (unsigned long long)coll.count, (unsigned long long)coll.sum,
	    (unsigned long long)want, steps, achan_strerror(coll.abort_cancel));
	if (!ok) {
		fprintf(stderr, "executor: FAILED\n");
		return 1;
	}
	return 0;
}
