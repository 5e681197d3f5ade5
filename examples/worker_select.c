/*
 * examples/worker_select.c - a worker thread that waits on a job channel, a
 * shutdown signal and an idle deadline at once, with achan_select_until().
 *
 *   main --jobs (bounded, cap 8)--> worker thread
 *   main --shutdown (broadcast signal, no value)--> worker thread
 *
 * The worker loops on one select over two cases and a deadline:
 *   cases[0]  receive from `shutdown`: sent or closed, either means stop;
 *   cases[1]  receive a job from `jobs`;
 *   deadline  TICK_NS after the worker last had something to do: when it
 *             passes with nothing ready the worker counts an idle tick (the
 *             place for housekeeping: flush a log, send a heartbeat).
 *
 * The select is biased (ACHAN_SELECT_BIASED): the cases are looked at in
 * array order, so when a shutdown and jobs are both ready, shutdown wins
 * over work.  With the default (random first case) a worker that is told to
 * stop would go on taking queued jobs for a while, each round a coin toss.
 *
 * Shutdown does NOT drain: the worker stops at once and the jobs still
 * queued stay in the channel.  The one who fired the shutdown (main) takes
 * them back with try_recv and would requeue or report them; nothing is
 * lost and nothing is run twice.  (To drain instead, the worker would close
 * `jobs` on shutdown and receive until ACHAN_CLOSED: the close refuses new
 * submissions, and "closed and drained" ends the loop.)
 *
 * main, the submitter:
 *   1. sends BURSTS bursts of jobs, and after each waits until the worker
 *      has been idle for a tick;
 *   2. holds the worker inside a "gate" job (a oneshot the job waits on:
 *      test scaffolding, so the outcome does not depend on timing), fills
 *      the channel to capacity behind it, fires the shutdown, opens the
 *      gate.  The worker's next select finds both cases ready: biased, it
 *      takes the shutdown, so exactly CAP jobs are left over.
 *
 * Checks: every job is accounted for exactly once - run by the worker, or
 * taken back by main - with exactly CAP taken back; the worker stopped on
 * the shutdown case; it counted at least one idle tick per burst.  Runs in
 * a few tens of milliseconds.  Exit status 0 on success.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <achan.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CAP 8			/* capacity of `jobs` */
#define BURSTS 3
#define PER_BURST 100
#define JOBS (BURSTS * PER_BURST + 1 + CAP)	/* + the gate + the leftovers */
#define TICK_NS 5000000L	/* 5 ms without work is an idle tick */

enum job_kind { JOB_WORK, JOB_GATE };

struct job {
	uint32_t id;		/* 1 .. JOBS */
	uint32_t kind;		/* enum job_kind */
};

/* How the worker's loop ended. */
enum stop { STOP_NONE, STOP_SHUTDOWN, STOP_JOBS_CLOSED, STOP_ERROR };

struct worker {
	pthread_t thread;
	struct achan_chan *jobs;
	struct achan_bcast *shutdown;
	struct achan_oneshot *gate;
	unsigned char ran[JOBS + 1];	/* times each job ran (read after join) */
	uint64_t runs;
	atomic_uint idle_ticks;		/* main watches it */
	enum stop stop;
	int error;			/* the status behind STOP_ERROR */
};

/* now + ns, as an absolute ACHAN_CLOCK time (normalised). */
static struct timespec after_ns(long ns)
{
	struct timespec t;

	clock_gettime(ACHAN_CLOCK, &t);
	t.tv_nsec += ns;
	while (t.tv_nsec >= 1000000000L) {
		t.tv_nsec -= 1000000000L;
		t.tv_sec++;
	}
	return t;
}

static void run_job(struct worker *w, const struct job *job)
{
	/* The gate: wait until main opens it (a send; close would do too). */
	if (job->kind == JOB_GATE && achan_oneshot_recv(w->gate, NULL) !=
	    ACHAN_OK)
		w->error = ACHAN_CLOSED;
	if (job->id >= 1 && job->id <= JOBS)
		w->ran[job->id]++;
	w->runs++;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct achan_select_case cases[2];
	struct job job;
	size_t i;

	/* The cases are set up once and reused by every select: a case array
	 * may serve the next select as soon as the previous one returned.
	 * `shutdown` carries no value (elem_size 0), so its out is NULL. */
	achan_select_case_bcast_recv(&cases[0], w->shutdown, NULL);
	achan_select_case_chan_recv(&cases[1], w->jobs, &job);

	struct timespec deadline = after_ns(TICK_NS);
	while (w->stop == STOP_NONE) {
		int r = achan_select_until(cases, 2, ACHAN_SELECT_BIASED,
		    &deadline, &i);

		switch (r) {
		case ACHAN_TIMEDOUT:
			/* Nothing was ready by the deadline, and nothing was
			 * taken from either object.  (A case that is ready
			 * completes even after the deadline, so a busy worker
			 * never ticks.) */
			atomic_fetch_add(&w->idle_ticks, 1);
			deadline = after_ns(TICK_NS);
			break;
		case ACHAN_OK:
		case ACHAN_CLOSED:
			if (i == 0) {
				/* Shutdown: sent (OK) or closed.  Stop now,
				 * with whatever is queued left in `jobs`. */
				w->stop = STOP_SHUTDOWN;
			} else if (r == ACHAN_CLOSED) {
				/* `jobs` closed and drained: nothing more
				 * will come (not done in this program). */
				w->stop = STOP_JOBS_CLOSED;
			} else {
				run_job(w, &job);
				deadline = after_ns(TICK_NS);
			}
			break;
		default:	/* ACHAN_EINVAL: a bug in this program */
			w->error = r;
			w->stop = STOP_ERROR;
			break;
		}
	}
	/* Leaving for any other reason than the shutdown: refuse further
	 * submissions (ACHAN_CLOSED) rather than let main wait forever on a
	 * full channel nobody receives from. */
	if (w->stop != STOP_SHUTDOWN)
		achan_chan_close(w->jobs);
	return NULL;
}

static int submit(struct achan_chan *jobs, uint32_t id, enum job_kind kind)
{
	struct job job = { id, kind };

	/* Waits while `jobs` is full: the worker's pace is the backpressure. */
	return achan_chan_send(jobs, &job);
}

int main(void)
{
	static struct worker w;
	unsigned char back[JOBS + 1] = { 0 };	/* jobs main took back */
	uint32_t id = 0, n_back = 0, bad = 0;
	struct job job;
	int failed = 0;

	if (achan_chan_create(&w.jobs, sizeof(struct job), CAP, 0) ||
	    achan_bcast_create(&w.shutdown, 0, 0) ||	/* a signal: no value */
	    achan_oneshot_create(&w.gate, 0, 0)) {
		fprintf(stderr, "worker_select: cannot create the objects\n");
		return 1;
	}
	if (pthread_create(&w.thread, NULL, worker_main, &w) != 0) {
		fprintf(stderr, "worker_select: cannot start the worker\n");
		return 1;
	}

	/* 1. Bursts of work, each followed by an idle spell: main waits until
	 * the worker's tick count moves - it ran out of work and sat idle for
	 * TICK_NS. */
	for (int b = 0; b < BURSTS; b++) {
		for (int k = 0; k < PER_BURST; k++)
			failed |= submit(w.jobs, ++id, JOB_WORK) != ACHAN_OK;
		unsigned t0 = atomic_load(&w.idle_ticks);
		while (atomic_load(&w.idle_ticks) == t0)
			nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
	}

	/* 2. Shutdown with work queued.  The gate job is taken first (FIFO);
	 * the worker then waits inside it, so CAP more sends fill `jobs` to
	 * capacity - the last one returns only once the gate job is out. */
	failed |= submit(w.jobs, ++id, JOB_GATE) != ACHAN_OK;
	for (int k = 0; k < CAP; k++)
		failed |= submit(w.jobs, ++id, JOB_WORK) != ACHAN_OK;
	/* Every waiting select and every later one sees the signal. */
	failed |= achan_bcast_send(w.shutdown, NULL) != ACHAN_OK;
	failed |= achan_oneshot_send(w.gate, NULL) != ACHAN_OK;

	pthread_join(w.thread, NULL);

	/* The worker is gone: take back what it left in `jobs`. */
	while (achan_chan_try_recv(w.jobs, &job) == ACHAN_OK) {
		if (job.id >= 1 && job.id <= JOBS)
			back[job.id]++;
		n_back++;
	}

	/* Every job exactly once: run, or taken back - not both, not neither. */
	for (uint32_t j = 1; j <= JOBS; j++)
		bad += w.ran[j] + back[j] != 1;
	failed |= id != JOBS;

	failed |= achan_chan_destroy(w.jobs) != ACHAN_OK;
	failed |= achan_bcast_destroy(w.shutdown) != ACHAN_OK;
	failed |= achan_oneshot_destroy(w.gate) != ACHAN_OK;

	unsigned ticks = atomic_load(&w.idle_ticks);
	printf("worker_select: %u jobs submitted, %llu run, %u taken back "
	    "after the shutdown, %u idle ticks\n", id,
	    (unsigned long long)w.runs, n_back, ticks);
	if (failed || bad != 0 || w.stop != STOP_SHUTDOWN || w.error != 0 ||
	    n_back != CAP || w.runs != JOBS - CAP || ticks < BURSTS) {
		fprintf(stderr, "worker_select: FAILED: %u jobs not accounted "
		    "for exactly once, stop %d (want %d), error %s, %u taken "
		    "back (want %d), %u ticks (want >= %d)%s\n", bad,
		    (int)w.stop, (int)STOP_SHUTDOWN,
		    w.error ? achan_strerror(w.error) : "none", n_back, CAP,
		    ticks, BURSTS, failed ? ", a call failed" : "");
		return 1;
	}
	return 0;
}
