/*
 * bench/oneshot_bench.c - achan-oneshot-bench: what a oneshot per request
 * costs, against the same thing done with a pthread mutex + condition
 * variable pair.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Workloads (each a loop of N round trips; the figure is ns per round trip):
 *
 *   roundtrip  Thread B inits a oneshot in a stack buffer (no allocation),
 *              hands its address to thread A through a one-slot mailbox,
 *              waits in achan_oneshot_recv(); A sends the reply; B checks it
 *              and finis the oneshot at once (A's send may still be
 *              returning: the teardown promise of achan/oneshot.h).
 *              mutexcv: B builds {mutex, condvar, done, value} on its stack
 *              (pthread_*_init), A locks, stores, signals, unlocks; B waits
 *              on the condvar, then destroys both.  The mailbox is the same
 *              code for both (spin, yielding every 64 tries).
 *   reqresp    A worker thread answers requests.  The requester puts a
 *              request {reply slot, x} on its stack - the reply slot is a
 *              oneshot inited there - sends its address over a request
 *              queue, waits for the reply (x * 2 + 1), checks it, tears the
 *              slot down.  achan: achan_chan (capacity 16) + achan_oneshot.
 *              mutexcv: bench/mutexq.h (the mutex + condvars ring queue of
 *              achan-bench) + the mutex/condvar reply slot above.
 *   lifecycle  One thread, no waiting: init, send, receive, fini (mutexcv:
 *              init, lock, store, signal, unlock, lock, load, unlock,
 *              destroy) - the fixed cost a request pays for its reply slot.
 *
 * Method: --reps runs (default 5) of every workload and implementation,
 * interleaved rep -> workload -> impl, with the impl order alternating each
 * rep.  Each run starts its threads before the clock starts.  The table
 * shows the median ns per round trip (min and max beside it), the median
 * CPU time per round trip of the whole process (getrusage: both threads,
 * spinning included), and the ratio mutexcv / achan (> 1: achan faster).
 * A wrong reply is a FAIL (exit 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <achan.h>

#include "bench_util.h"
#include "mutexq.h"

#define MAX_REPS 101

enum { W_ROUNDTRIP, W_REQRESP, W_LIFECYCLE, NWORK };
enum { I_ACHAN, I_MUTEXCV, NIMPL };

static const char *const work_names[NWORK] = { "roundtrip", "reqresp", "lifecycle" };
static const char *const impl_names[NIMPL] = { "achan", "mutexcv" };

static atomic_int failed;

static void
spin_relax(unsigned *n)
{
	if (++*n % 64 == 0) {
		sched_yield();
	} else {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
}

/* --- the mailbox both roundtrip variants use --------------------------------- */

struct mailbox {
	_Atomic(void *) slot;
	char pad[BENCH_CACHELINE - sizeof(void *)];
};

static char stop_token;

static void
mb_put(struct mailbox *m, void *p)
{
	/* release: what B built in *p happens-before A's use */
	atomic_store_explicit(&m->slot, p, memory_order_release);
}

static void *
mb_take(struct mailbox *m)
{
	unsigned n = 0;
	void *p;

	while ((p = atomic_load_explicit(&m->slot, memory_order_acquire)) == NULL)
		spin_relax(&n);
	atomic_store_explicit(&m->slot, NULL, memory_order_relaxed);
	return p;
}

/* --- the mutex + condvar reply slot ------------------------------------------ */

struct mcv {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
	uint64_t v;
};

static void
mcv_init(struct mcv *r)
{
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->done = 0;
}

static void
mcv_reply(struct mcv *r, uint64_t v)
{
	pthread_mutex_lock(&r->mu);
	r->v = v;
	r->done = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static uint64_t
mcv_wait_fini(struct mcv *r)
{
	uint64_t v;

	pthread_mutex_lock(&r->mu);
	while (!r->done)
		pthread_cond_wait(&r->cv, &r->mu);
	v = r->v;
	pthread_mutex_unlock(&r->mu);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	return v;
}

/* --- roundtrip ------------------------------------------------------------------ */

struct rt {
	struct mailbox mb;
	int impl;
	pthread_barrier_t start;
};

static void *
rt_sender(void *arg)
{
	struct rt *t = arg;
	uint64_t i = 0;
	void *p;

	pthread_barrier_wait(&t->start);
	while ((p = mb_take(&t->mb)) != &stop_token) {
		if (t->impl == I_ACHAN) {
			if (achan_oneshot_send(p, &i) != ACHAN_OK)
				atomic_store(&failed, 1);
		} else {
			mcv_reply(p, i);
		}
		i++;
	}
	return NULL;
}

static double
run_roundtrip(int impl, uint64_t n, double *cpu)
{
	struct rt t;
	pthread_t a;
	double t0, c0, el;
	uint64_t i, v;

	memset(&t, 0, sizeof(t));
	t.impl = impl;
	pthread_barrier_init(&t.start, NULL, 2);
	if (pthread_create(&a, NULL, rt_sender, &t) != 0) {
		perror("pthread_create");
		exit(1);
	}
	pthread_barrier_wait(&t.start);
	c0 = bench_cpu_seconds();
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		if (impl == I_ACHAN) {
			unsigned char buf[ACHAN_ONESHOT_MEMSIZE(sizeof(uint64_t))];
			struct achan_oneshot *os;

			if (achan_oneshot_init(buf, sizeof(buf), sizeof(uint64_t), 0,
			    &os) != ACHAN_OK)
				exit(1);
			mb_put(&t.mb, os);
			if (achan_oneshot_recv(os, &v) != ACHAN_OK || v != i)
				atomic_store(&failed, 1);
			if (achan_oneshot_fini(os) != ACHAN_OK)
				atomic_store(&failed, 1);
		} else {
			struct mcv r;

			mcv_init(&r);
			mb_put(&t.mb, &r);
			if (mcv_wait_fini(&r) != i)
				atomic_store(&failed, 1);
		}
	}
	el = bench_now() - t0;
	*cpu = bench_cpu_seconds() - c0;
	mb_put(&t.mb, &stop_token);
	pthread_join(a, NULL);
	pthread_barrier_destroy(&t.start);
	return el;
}

/* --- request / response ----------------------------------------------------- */

struct req_achan {
	struct achan_oneshot *reply;
	uint64_t x;
};

struct req_mcv {
	struct mcv reply;
	uint64_t x;
};

struct rr {
	int impl;
	struct achan_chan *q;
	struct mutexq mq;
	pthread_barrier_t start;
};

static void *
rr_worker(void *arg)
{
	struct rr *t = arg;

	pthread_barrier_wait(&t->start);
	if (t->impl == I_ACHAN) {
		struct req_achan *r;

		while (achan_chan_recv(t->q, &r) == ACHAN_OK) {
			uint64_t v = r->x * 2 + 1;

			if (achan_oneshot_send(r->reply, &v) != ACHAN_OK)
				atomic_store(&failed, 1);
		}
	} else {
		uint64_t u;

		while (mutexq_recv(&t->mq, &u) == 1) {
			struct req_mcv *r = (void *)(uintptr_t)u;

			mcv_reply(&r->reply, r->x * 2 + 1);
		}
	}
	return NULL;
}

static double
run_reqresp(int impl, uint64_t n, double *cpu)
{
	struct rr t;
	pthread_t w;
	double t0, c0, el;
	uint64_t i, v;

	memset(&t, 0, sizeof(t));
	t.impl = impl;
	if (impl == I_ACHAN ? achan_chan_create(&t.q, sizeof(void *), 16, 0) != ACHAN_OK :
	    mutexq_init(&t.mq, 16) != 0) {
		fprintf(stderr, "queue init failed\n");
		exit(1);
	}
	pthread_barrier_init(&t.start, NULL, 2);
	if (pthread_create(&w, NULL, rr_worker, &t) != 0) {
		perror("pthread_create");
		exit(1);
	}
	pthread_barrier_wait(&t.start);
	c0 = bench_cpu_seconds();
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		if (impl == I_ACHAN) {
			unsigned char buf[ACHAN_ONESHOT_MEMSIZE(sizeof(uint64_t))];
			struct req_achan req, *rp = &req;

			if (achan_oneshot_init(buf, sizeof(buf), sizeof(uint64_t), 0,
			    &req.reply) != ACHAN_OK)
				exit(1);
			req.x = i;
			if (achan_chan_send(t.q, &rp) != ACHAN_OK)
				exit(1);
			if (achan_oneshot_recv(req.reply, &v) != ACHAN_OK ||
			    v != i * 2 + 1)
				atomic_store(&failed, 1);
			if (achan_oneshot_fini(req.reply) != ACHAN_OK)
				atomic_store(&failed, 1);
		} else {
			struct req_mcv req;

			mcv_init(&req.reply);
			req.x = i;
			if (mutexq_send(&t.mq, (uint64_t)(uintptr_t)&req) != 0)
				exit(1);
			if (mcv_wait_fini(&req.reply) != i * 2 + 1)
				atomic_store(&failed, 1);
		}
	}
	el = bench_now() - t0;
	*cpu = bench_cpu_seconds() - c0;
	if (impl == I_ACHAN) {
		achan_chan_close(t.q);
		pthread_join(w, NULL);
		achan_chan_destroy(t.q);
	} else {
		mutexq_close(&t.mq);
		pthread_join(w, NULL);
		mutexq_destroy(&t.mq);
	}
	pthread_barrier_destroy(&t.start);
	return el;
}

/* --- lifecycle (one thread) ------------------------------------------------------ */

static double
run_lifecycle(int impl, uint64_t n, double *cpu)
{
	double t0, c0, el;
	uint64_t i, v;

	c0 = bench_cpu_seconds();
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		if (impl == I_ACHAN) {
			unsigned char buf[ACHAN_ONESHOT_MEMSIZE(sizeof(uint64_t))];
			struct achan_oneshot *os;

			if (achan_oneshot_init(buf, sizeof(buf), sizeof(uint64_t), 0,
			    &os) != ACHAN_OK ||
			    achan_oneshot_send(os, &i) != ACHAN_OK ||
			    achan_oneshot_try_recv(os, &v) != ACHAN_OK || v != i ||
			    achan_oneshot_fini(os) != ACHAN_OK)
				atomic_store(&failed, 1);
		} else {
			struct mcv r;

			mcv_init(&r);
			mcv_reply(&r, i);
			if (mcv_wait_fini(&r) != i)
				atomic_store(&failed, 1);
		}
	}
	el = bench_now() - t0;
	*cpu = bench_cpu_seconds() - c0;
	return el;
}

/* --- driver ------------------------------------------------------------------ */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned n)
{
	double s[MAX_REPS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double
minimum(const double *v, unsigned n)
{
	double m = v[0];

	for (unsigned i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static double
maximum(const double *v, unsigned n)
{
	double m = v[0];

	for (unsigned i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: achan-oneshot-bench [--reps R] [--iters N] [--lifecycle-iters N]\n"
	    "  --reps R             runs per cell, interleaved (default 5, max %d)\n"
	    "  --iters N            round trips per threaded run (default 100000)\n"
	    "  --lifecycle-iters N  iterations of the one-thread run (default 2000000)\n",
	    MAX_REPS);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reps", required_argument, NULL, 'r' },
		{ "iters", required_argument, NULL, 'n' },
		{ "lifecycle-iters", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t reps = 5, iters = 100000, liters = 2000000;
	double ns[NWORK][NIMPL][MAX_REPS], cpu[NWORK][NIMPL][MAX_REPS];
	double loadavg[3] = { 0, 0, 0 };
	int c;

	while ((c = getopt_long(argc, argv, "r:n:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (bench_parse_u64(optarg, &reps) || reps < 1 || reps > MAX_REPS)
				goto bad;
			break;
		case 'n':
			if (bench_parse_u64(optarg, &iters) || iters < 1)
				goto bad;
			break;
		case 'l':
			if (bench_parse_u64(optarg, &liters) || liters < 1)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;

	if (getloadavg(loadavg, 3) < 0)
		loadavg[0] = loadavg[1] = loadavg[2] = -1;
	printf("achan-oneshot-bench: %llu reps, %llu round trips per run "
	    "(lifecycle %llu); %ld CPUs online; load average %.2f %.2f %.2f\n",
	    (unsigned long long)reps, (unsigned long long)iters,
	    (unsigned long long)liters, sysconf(_SC_NPROCESSORS_ONLN),
	    loadavg[0], loadavg[1], loadavg[2]);
	for (uint64_t r = 0; r < reps; r++) {
		for (int w = 0; w < NWORK; w++) {
			for (int k = 0; k < NIMPL; k++) {
				int impl = (int)((k + r) % NIMPL);
				uint64_t n = w == W_LIFECYCLE ? liters : iters;
				double el, cs;

				el = w == W_ROUNDTRIP ? run_roundtrip(impl, n, &cs) :
				    w == W_REQRESP ? run_reqresp(impl, n, &cs) :
				    run_lifecycle(impl, n, &cs);
				ns[w][impl][r] = el * 1e9 / (double)n;
				cpu[w][impl][r] = cs * 1e9 / (double)n;
			}
		}
		fprintf(stderr, "rep %llu/%llu done\n", (unsigned long long)r + 1,
		    (unsigned long long)reps);
	}
	if (getloadavg(loadavg, 3) < 0)
		loadavg[0] = loadavg[1] = loadavg[2] = -1;

	printf("\n| workload  | impl    | ns/round trip (median) | min     | max     | CPU ns/round trip | mutexcv/achan |\n");
	printf("|-----------|---------|-----------------------:|--------:|--------:|------------------:|--------------:|\n");
	for (int w = 0; w < NWORK; w++) {
		double med[NIMPL];

		for (int i = 0; i < NIMPL; i++)
			med[i] = median(ns[w][i], (unsigned)reps);
		for (int i = 0; i < NIMPL; i++) {
			char ratio[32] = "";

			if (i == I_ACHAN)
				snprintf(ratio, sizeof(ratio), "%.2f",
				    med[I_MUTEXCV] / med[I_ACHAN]);
			printf("| %-9s | %-7s | %22.0f | %7.0f | %7.0f | %17.0f | %13s |\n",
			    work_names[w], impl_names[i], med[i],
			    minimum(ns[w][i], (unsigned)reps),
			    maximum(ns[w][i], (unsigned)reps),
			    median(cpu[w][i], (unsigned)reps), ratio);
		}
	}
	printf("\nload average after: %.2f %.2f %.2f\n", loadavg[0], loadavg[1],
	    loadavg[2]);
	if (atomic_load(&failed)) {
		printf("FAIL: a wrong reply or an unexpected status\n");
		return 1;
	}
	return 0;
bad:
	usage(stderr);
	return 2;
}
