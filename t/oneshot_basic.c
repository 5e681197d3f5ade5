/*
 * t/oneshot_basic.c - the oneshot contract (SEMANTICS.md "Oneshot"), rule by
 * rule: send succeeds once and a second send keeps its value; close after
 * send keeps the value receivable; the first taker wins and every other
 * waiter, earlier-registered ones included, gets CLOSED; try_recv OK /
 * EMPTY / CLOSED; futures (PENDING, wake, waker replacement, cancel in
 * every state, poll after completion, EBUSY); blocking receives and
 * deadlines; init into caller memory with no allocation; the local flavour
 * and EDEADLK; handle release rules and the element destructor; bad input.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_util.h"

/* --- counting allocations ------------------------------------------------- */

/*
 * "No allocation" is checked by counting calls into the allocator: this
 * program replaces malloc & co. (forwarding to glibc's own allocator), which
 * libachan's calls resolve to as well.  The sanitizers bring allocators of
 * their own, so there the check is skipped.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COUNT_ALLOCS 0
#else
#define COUNT_ALLOCS 1
#endif

#if COUNT_ALLOCS
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void __libc_free(void *p);

static atomic_long n_allocs;

void *
malloc(size_t n)
{
	atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
	return __libc_realloc(p, n);
}

void *
aligned_alloc(size_t align, size_t n)
{
	atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
	return __libc_memalign(align, n);
}

int
posix_memalign(void **p, size_t align, size_t n)
{
	atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
	*p = __libc_memalign(align, n);
	return *p != NULL ? 0 : ENOMEM;
}

void
free(void *p)
{
	__libc_free(p);
}

static long
allocs(void)
{
	return atomic_load(&n_allocs);
}
#else
static long
allocs(void)
{
	return 0;
}
#endif

/* --- helpers ---------------------------------------------------------------- */

static struct achan_oneshot *
mk(size_t elem, unsigned flags)
{
	struct achan_oneshot *os = NULL;

	if (achan_oneshot_create(&os, elem, flags) != ACHAN_OK || os == NULL)
		bail_out("achan_oneshot_create(%zu) failed", elem);
	return os;
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

/* A thread running one blocking receive. */
struct rthread {
	pthread_t t;
	struct achan_oneshot *os;
	int until;
	struct timespec deadline;
	uint64_t out;
	int rc;
	atomic_int started, done;
};

static void *
rthread_main(void *arg)
{
	struct rthread *r = arg;

	atomic_store(&r->started, 1);
	r->rc = r->until ? achan_oneshot_recv_until(r->os, &r->out, &r->deadline) :
	    achan_oneshot_recv(r->os, &r->out);
	atomic_store(&r->done, 1);
	return NULL;
}

static void
rthread_start(struct rthread *r, struct achan_oneshot *os, int until,
		long timeout_ms)
{
	memset(r, 0, sizeof(*r));
	r->os = os;
	r->until = until;
	r->rc = -1;
	if (until)
		r->deadline = tu_add_ms(tu_now(), timeout_ms);
	if (pthread_create(&r->t, NULL, rthread_main, r) != 0)
		bail_out("pthread_create failed");
	while (!atomic_load(&r->started))
		sched_yield();
	tu_sleep_ms(30);	/* let it register and park */
}

static int
rthread_join(struct rthread *r)
{
	pthread_join(r->t, NULL);
	return r->rc;
}

/* --- the contract ------------------------------------------------------------ */

static void
test_send_once(void)
{
	struct achan_oneshot *os = mk(8, 0);
	uint64_t v = 42, v2 = 43, out = 0;

	is_u(achan_oneshot_elem_size(os), 8, "elem_size 8");
	is_u(achan_oneshot_is_closed(os), 0, "fresh oneshot: open");
	is_st(achan_oneshot_try_recv(os, &out), ACHAN_EMPTY, "try_recv before send: EMPTY");
	is_st(achan_oneshot_send(os, &v), ACHAN_OK, "send: OK");
	is_u(achan_oneshot_is_closed(os), 1, "after a send no send can succeed: is_closed 1");
	is_st(achan_oneshot_send(os, &v2), ACHAN_CLOSED, "second send: CLOSED");
	is_u(v2, 43, "the second value stays with the caller");
	is_st(achan_oneshot_try_recv(os, &out), ACHAN_OK, "try_recv: OK");
	is_u(out, 42, "the first value, not overwritten by the second send");
	out = 0;
	is_st(achan_oneshot_try_recv(os, &out), ACHAN_CLOSED, "try_recv after the take: CLOSED");
	is_u(out, 0, "out untouched");
	is_st(achan_oneshot_recv(os, &out), ACHAN_CLOSED, "blocking recv after the take: CLOSED, no wait");
	is_st(achan_oneshot_close(os), ACHAN_ALREADY_CLOSED, "close after send: ALREADY_CLOSED");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy");
}

static void
test_close_before_send(void)
{
	struct achan_oneshot *os = mk(8, 0);
	struct timespec past = { 0, 0 };
	uint64_t v = 5, out = 0;

	is_st(achan_oneshot_close(os), ACHAN_NEWLY_CLOSED, "close: NEWLY_CLOSED");
	is_st(achan_oneshot_close(os), ACHAN_ALREADY_CLOSED, "close again: ALREADY_CLOSED");
	is_u(achan_oneshot_is_closed(os), 1, "is_closed");
	is_st(achan_oneshot_send(os, &v), ACHAN_CLOSED, "send after close: CLOSED");
	is_u(v, 5, "value stays with the caller");
	is_st(achan_oneshot_try_recv(os, &out), ACHAN_CLOSED, "try_recv: CLOSED");
	is_st(achan_oneshot_recv(os, &out), ACHAN_CLOSED, "recv: CLOSED without waiting");
	is_st(achan_oneshot_recv_until(os, &out, &past), ACHAN_CLOSED,
			"recv_until with a past deadline: CLOSED (completes without waiting)");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy");
}

static void
test_close_after_send(void)
{
	struct achan_oneshot *os = mk(8, 0);
	struct timespec past = { 0, 0 };
	uint64_t v = 77, out = 0;

	is_st(achan_oneshot_send(os, &v), ACHAN_OK, "send");
	is_st(achan_oneshot_close(os), ACHAN_ALREADY_CLOSED, "close after send: ALREADY_CLOSED");
	is_st(achan_oneshot_recv_until(os, &out, &past), ACHAN_OK,
			"the value is still receivable after close (even past the deadline)");
	is_u(out, 77, "value 77");
	is_st(achan_oneshot_try_recv(os, &out), ACHAN_CLOSED, "then CLOSED");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy");
}

/* The first taker wins; every other waiter - earlier-registered ones
 * included - gets CLOSED. */
static void
test_first_taker_wins(void)
{
	struct achan_oneshot *os = mk(8, 0);
	struct achan_oneshot_recv_future f[3];
	struct rec_waker w[3];
	uint64_t out[3] = { 0, 0, 0 }, v = 7;
	int pend = 1, woken = 1;

	for (int i = 0; i < 3; i++) {
		rec_init(&w[i], i, NULL);
		achan_oneshot_recv_future_init(&f[i], os, &out[i]);
		pend &= achan_oneshot_recv_poll(&f[i], &w[i].w) == ACHAN_PENDING;
	}
	ok(pend, "three receive futures PENDING");
	is_st(achan_oneshot_send(os, &v), ACHAN_OK, "send");
	for (int i = 0; i < 3; i++)
		woken &= rec_calls(&w[i]) == 1;
	ok(woken, "send woke every waiter once");
	is_st(achan_oneshot_recv_poll(&f[2], &w[2].w), ACHAN_OK, "the youngest polls first and takes it");
	is_u(out[2], 7, "value 7");
	is_st(achan_oneshot_recv_poll(&f[0], &w[0].w), ACHAN_CLOSED,
			"the oldest (registered first) gets CLOSED");
	is_st(achan_oneshot_recv_poll(&f[1], &w[1].w), ACHAN_CLOSED, "the middle one gets CLOSED");
	ok(out[0] == 0 && out[1] == 0, "losers' buffers untouched");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy");

	/* an unregistered try_recv beats two registered futures */
	os = mk(8, 0);
	for (int i = 0; i < 2; i++) {
		rec_init(&w[i], i, NULL);
		out[i] = 0;
		achan_oneshot_recv_future_init(&f[i], os, &out[i]);
		achan_oneshot_recv_poll(&f[i], &w[i].w);
	}
	v = 8;
	achan_oneshot_send(os, &v);
	out[2] = 0;
	is_st(achan_oneshot_try_recv(os, &out[2]), ACHAN_OK, "a newcomer's try_recv takes it first");
	is_u(out[2], 8, "value 8");
	ok(achan_oneshot_recv_poll(&f[0], &w[0].w) == ACHAN_CLOSED &&
			achan_oneshot_recv_poll(&f[1], &w[1].w) == ACHAN_CLOSED,
			"both registered futures get CLOSED");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy");
}

static void
test_close_wakes_all(void)
{
	struct achan_oneshot *os = mk(8, 0);
	struct achan_oneshot_recv_future f[2];
	struct wake_log log;
	struct rec_waker w[2];
	uint64_t out[2];

	wake_log_reset(&log);
	for (int i = 0; i < 2; i++) {
		rec_init(&w[i], i, &log);
		achan_oneshot_recv_future_init(&f[i], os, &out[i]);
		achan_oneshot_recv_poll(&f[i], &w[i].w);
	}
	is_st(achan_oneshot_close(os), ACHAN_NEWLY_CLOSED, "close with two waiters");
	ok(wake_log_len(&log) == 2 && wake_log_at(&log, 0) == 0 &&
			wake_log_at(&log, 1) == 1,
			"both woken, oldest first (log len %d)", wake_log_len(&log));
	ok(achan_oneshot_recv_poll(&f[0], &w[0].w) == ACHAN_CLOSED &&
			achan_oneshot_recv_poll(&f[1], &w[1].w) == ACHAN_CLOSED,
			"both get CLOSED");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy");
}

/* --- futures ------------------------------------------------------------------ */

static void
test_future_basics(void)
{
	struct achan_oneshot *os = mk(8, 0);
	struct achan_oneshot_recv_future f;
	struct rec_waker a, b, c;
	uint64_t out = 0, v = 31;

	rec_init(&a, 1, NULL);
	rec_init(&b, 2, NULL);
	rec_init(&c, 3, NULL);
	is_st(achan_oneshot_recv_future_init(&f, os, &out), ACHAN_OK, "future init");
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_PENDING, "poll before send: PENDING");
	is_st(achan_oneshot_recv_poll(&f, &b.w), ACHAN_PENDING, "re-poll: PENDING");
	is_st(achan_oneshot_recv_poll(&f, &c.w), ACHAN_PENDING, "re-poll again: PENDING");
	is_st(achan_oneshot_destroy(os), ACHAN_EBUSY, "destroy while a future is registered: EBUSY");
	is_st(achan_oneshot_send(os, &v), ACHAN_OK, "send");
	ok(rec_calls(&a) == 0 && rec_calls(&b) == 0 && rec_calls(&c) == 1,
			"only the latest waker fired (a %d, b %d, c %d)",
			rec_calls(&a), rec_calls(&b), rec_calls(&c));
	is_st(achan_oneshot_recv_poll(&f, &c.w), ACHAN_OK, "poll after the wake: OK");
	is_u(out, 31, "value 31");
	is_st(achan_oneshot_recv_poll(&f, &c.w), ACHAN_EINVAL, "poll after OK: EINVAL");
	is_st(achan_oneshot_recv_cancel(&f), ACHAN_OK, "cancel after OK: OK (it had completed)");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy once the future finished");

	/* a value already there: immediate completion, no waker call */
	os = mk(8, 0);
	v = 32;
	achan_oneshot_send(os, &v);
	rec_init(&a, 1, NULL);
	achan_oneshot_recv_future_init(&f, os, &out);
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_OK, "poll with the value there: OK at once");
	is_u(out, 32, "value 32");
	is_u(rec_calls(&a), 0, "no waker call");
	/* a re-initialised future on a taken oneshot: CLOSED; poll again EINVAL */
	achan_oneshot_recv_future_init(&f, os, &out);
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_CLOSED, "new future after the take: CLOSED");
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_EINVAL, "poll after CLOSED: EINVAL");
	is_st(achan_oneshot_recv_cancel(&f), ACHAN_CANCELLED, "cancel after CLOSED: CANCELLED");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy");
}

static void
test_cancel(void)
{
	struct achan_oneshot *os = mk(8, 0);
	struct achan_oneshot_recv_future f, g;
	struct rec_waker a, b;
	uint64_t out = 0, out2 = 0, v = 9;

	/* never polled */
	achan_oneshot_recv_future_init(&f, os, &out);
	is_st(achan_oneshot_recv_cancel(&f), ACHAN_CANCELLED, "cancel a fresh future: CANCELLED");
	rec_init(&a, 1, NULL);
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_EINVAL, "poll after cancel: EINVAL");
	is_st(achan_oneshot_recv_cancel(&f), ACHAN_CANCELLED, "cancel again: CANCELLED");

	/* registered, never woken */
	achan_oneshot_recv_future_init(&f, os, &out);
	achan_oneshot_recv_poll(&f, &a.w);
	is_st(achan_oneshot_recv_cancel(&f), ACHAN_CANCELLED, "cancel a registered future: CANCELLED");
	is_st(achan_oneshot_send(os, &v), ACHAN_OK, "send after the cancel");
	is_u(rec_calls(&a), 0, "the cancelled future's waker never fires");
	is_st(achan_oneshot_try_recv(os, &out), ACHAN_OK, "the value is still there");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy (nothing registered)");

	/* woken but not polled: the other waiter was woken as well */
	os = mk(8, 0);
	out = 0;
	rec_init(&a, 1, NULL);
	rec_init(&b, 2, NULL);
	achan_oneshot_recv_future_init(&f, os, &out);
	achan_oneshot_recv_future_init(&g, os, &out2);
	achan_oneshot_recv_poll(&f, &a.w);
	achan_oneshot_recv_poll(&g, &b.w);
	v = 10;
	achan_oneshot_send(os, &v);
	is_st(achan_oneshot_recv_cancel(&f), ACHAN_CANCELLED,
			"cancel a woken, unpolled future: CANCELLED (it took nothing)");
	is_u(out, 0, "its buffer untouched");
	is_u(rec_calls(&b), 1,
			"the other waiter had its own wakeup (send wakes all): nothing to hand on");
	is_st(achan_oneshot_recv_poll(&g, &b.w), ACHAN_OK, "it takes the value");
	is_u(out2, 10, "value 10");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy");

	/* woken by close, then cancelled */
	os = mk(8, 0);
	rec_init(&a, 1, NULL);
	achan_oneshot_recv_future_init(&f, os, &out);
	achan_oneshot_recv_poll(&f, &a.w);
	achan_oneshot_close(os);
	is_u(rec_calls(&a), 1, "close woke it");
	is_st(achan_oneshot_recv_cancel(&f), ACHAN_CANCELLED, "cancel after the close wake: CANCELLED");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy");
}

/* A waker may call back into achan (it runs with no lock held); it may not
 * poll its own future from inside the wake. */
static struct achan_oneshot *hook_os;
static struct achan_oneshot_recv_future *hook_self;

static void
hook_try_recv(struct rec_waker *r)
{
	r->hook_rc = achan_oneshot_try_recv(hook_os, r->hook_buf);
}

static void
hook_poll_self(struct rec_waker *r)
{
	r->hook_rc = achan_oneshot_recv_poll(hook_self, &r->w);
}

static void
test_waker_reentry(void)
{
	struct achan_oneshot_recv_future f;
	struct rec_waker a;
	uint64_t out = 0, v = 55, got = 0;

	hook_os = mk(8, 0);
	rec_init(&a, 1, NULL);
	a.hook = hook_try_recv;
	achan_oneshot_recv_future_init(&f, hook_os, &out);
	achan_oneshot_recv_poll(&f, &a.w);
	achan_oneshot_send(hook_os, &v);
	is_st(a.hook_rc, ACHAN_OK, "a waker's try_recv on the same oneshot takes the value");
	memcpy(&got, a.hook_buf, sizeof(got));
	is_u(got, 55, "value 55");
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_CLOSED, "the woken future then gets CLOSED");
	achan_oneshot_destroy(hook_os);

	hook_os = mk(8, 0);
	rec_init(&a, 1, NULL);
	a.hook = hook_poll_self;
	hook_self = &f;
	achan_oneshot_recv_future_init(&f, hook_os, &out);
	achan_oneshot_recv_poll(&f, &a.w);
	achan_oneshot_close(hook_os);
	is_st(a.hook_rc, ACHAN_EINVAL, "a waker polling its own future: EINVAL");
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_CLOSED, "polled after the wake: CLOSED");
	achan_oneshot_destroy(hook_os);
}

/* --- blocking receives -------------------------------------------------------- */

static void
test_blocking(void)
{
	struct achan_oneshot *os = mk(8, 0);
	struct rthread r;
	struct timespec t0, past = { 0, 0 };
	uint64_t v = 99, out;

	rthread_start(&r, os, 0, 0);
	ok(!atomic_load(&r.done), "recv waits for the value");
	achan_oneshot_send(os, &v);
	is_st(rthread_join(&r), ACHAN_OK, "send wakes the blocked recv: OK");
	is_u(r.out, 99, "value 99");
	achan_oneshot_destroy(os);

	os = mk(8, 0);
	rthread_start(&r, os, 0, 0);
	achan_oneshot_close(os);
	is_st(rthread_join(&r), ACHAN_CLOSED, "close wakes the blocked recv: CLOSED");
	achan_oneshot_destroy(os);

	os = mk(8, 0);
	rthread_start(&r, os, 1, 5000);
	v = 100;
	achan_oneshot_send(os, &v);
	is_st(rthread_join(&r), ACHAN_OK, "recv_until woken before its deadline: OK");
	is_u(r.out, 100, "value 100");
	achan_oneshot_destroy(os);

	os = mk(8, 0);
	t0 = tu_now();
	struct timespec dl = tu_add_ms(t0, 50);
	is_st(achan_oneshot_recv_until(os, &out, &dl), ACHAN_TIMEDOUT, "recv_until with no value: TIMEDOUT");
	ok(tu_ms_between(t0, tu_now()) >= 45.0, "after about 50 ms (%.1f ms)",
			tu_ms_between(t0, tu_now()));
	is_st(achan_oneshot_recv_until(os, &out, &past), ACHAN_TIMEDOUT,
			"past deadline, nothing there: TIMEDOUT");
	v = 101;
	achan_oneshot_send(os, &v);
	is_st(achan_oneshot_recv_until(os, &out, &past), ACHAN_OK,
			"past deadline, value there: OK (completes without waiting)");
	is_u(out, 101, "value 101");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy: the timed-out wait left nothing registered");
}

/* A requester receives its reply and tears its stack oneshot down at once,
 * while the sender's send may still be returning. */
struct replier {
	pthread_t t;
	struct achan_oneshot *os;
	uint64_t v;
};

static void *
replier_main(void *arg)
{
	struct replier *p = arg;

	tu_sleep_ms(20);
	(void)achan_oneshot_send(p->os, &p->v);
	return NULL;
}

static void
test_stack_request(void)
{
	unsigned char buf[ACHAN_ONESHOT_MEMSIZE(sizeof(uint64_t))];
	struct achan_oneshot *os;
	struct replier p;
	uint64_t out = 0;
	int good = 1;

	for (int i = 0; i < 20; i++) {
		good &= achan_oneshot_init(buf, sizeof(buf), sizeof(uint64_t), 0, &os) == ACHAN_OK;
		p.os = os;
		p.v = 1000 + (uint64_t)i;
		if (pthread_create(&p.t, NULL, replier_main, &p) != 0)
			bail_out("pthread_create");
		good &= achan_oneshot_recv(os, &out) == ACHAN_OK && out == p.v;
		good &= achan_oneshot_fini(os) == ACHAN_OK;
		memset(buf, 0xa5, sizeof(buf));	/* the frame is reused */
		pthread_join(p.t, NULL);
	}
	ok(good, "20 requests: stack oneshot, blocking recv, fini at once");
}

/* --- caller memory, no allocation ------------------------------------------- */

static void
test_caller_memory(void)
{
	unsigned char buf[ACHAN_ONESHOT_MEMSIZE(sizeof(uint64_t)) + 1];
	unsigned char *mem = buf + 1;	/* deliberately misaligned */
	size_t need = achan_oneshot_memsize(sizeof(uint64_t));
	struct achan_oneshot *os = (void *)1;
	struct achan_oneshot_recv_future f;
	struct rec_waker a;
	uint64_t v = 4242, out = 0;
	long before;
	int good = 1;

	is_u(need, ACHAN_ONESHOT_MEMSIZE(sizeof(uint64_t)), "memsize equals ACHAN_ONESHOT_MEMSIZE");
	is_st(achan_oneshot_init(mem, need - 1, sizeof(uint64_t), 0, &os), ACHAN_EINVAL,
			"init into too little memory: EINVAL");
	ok(os == NULL, "*out cleared");

	rec_init(&a, 1, NULL);
	before = allocs();
	good &= achan_oneshot_init(mem, need, sizeof(uint64_t), 0, &os) == ACHAN_OK;
	good &= achan_oneshot_try_recv(os, &out) == ACHAN_EMPTY;
	good &= achan_oneshot_recv_future_init(&f, os, &out) == ACHAN_OK;
	good &= achan_oneshot_recv_poll(&f, &a.w) == ACHAN_PENDING;
	good &= achan_oneshot_send(os, &v) == ACHAN_OK;
	good &= rec_calls(&a) == 1;
	good &= achan_oneshot_recv_poll(&f, &a.w) == ACHAN_OK && out == 4242;
	good &= achan_oneshot_close(os) == ACHAN_ALREADY_CLOSED;
	good &= achan_oneshot_fini(os) == ACHAN_OK;
	ok(good, "init, future, send, wake, receive, close, fini in a stack buffer");
	if (COUNT_ALLOCS)
		is_u(allocs() - before, 0, "... with no allocation at all");
	else
		skip(1, "allocation count: the sanitizer owns malloc");
	ok((uintptr_t)os % ACHAN_ONESHOT_ALIGN == 0 &&
			(unsigned char *)os >= mem && (unsigned char *)os < mem + ACHAN_ONESHOT_ALIGN,
			"object placed at the first %d-byte boundary", ACHAN_ONESHOT_ALIGN);
	is_st(achan_oneshot_fini(os), ACHAN_EINVAL, "fini twice: EINVAL");

	/* the same memory again, and the wrong teardown for each origin */
	is_st(achan_oneshot_init(mem, need, sizeof(uint64_t), 0, &os), ACHAN_OK, "re-init the same memory");
	is_st(achan_oneshot_destroy(os), ACHAN_EINVAL, "destroy of an init'd oneshot: EINVAL");
	is_st(achan_oneshot_fini(os), ACHAN_OK, "fini");
	os = mk(8, 0);
	is_st(achan_oneshot_fini(os), ACHAN_EINVAL, "fini of a created oneshot: EINVAL");
	is_st(achan_oneshot_destroy(os), ACHAN_OK, "destroy it");

	/* larger values and signal-only oneshots */
	{
		struct big { uint64_t a[12]; } bv, bo;
		unsigned char bbuf[ACHAN_ONESHOT_MEMSIZE(sizeof(struct big))];

		for (int i = 0; i < 12; i++)
			bv.a[i] = (uint64_t)i * 3;
		memset(&bo, 0, sizeof(bo));
		good = achan_oneshot_init(bbuf, sizeof(bbuf), sizeof(bv), 0, &os) == ACHAN_OK;
		good &= achan_oneshot_send(os, &bv) == ACHAN_OK;
		good &= achan_oneshot_try_recv(os, &bo) == ACHAN_OK;
		good &= memcmp(&bv, &bo, sizeof(bv)) == 0;
		good &= achan_oneshot_fini(os) == ACHAN_OK;
		ok(good, "a 96-byte value round trip");
	}
	{
		unsigned char sbuf[ACHAN_ONESHOT_MEMSIZE(0)];

		good = achan_oneshot_init(sbuf, sizeof(sbuf), 0, 0, &os) == ACHAN_OK;
		good &= achan_oneshot_try_recv(os, NULL) == ACHAN_EMPTY;
		good &= achan_oneshot_send(os, NULL) == ACHAN_OK;
		good &= achan_oneshot_recv(os, NULL) == ACHAN_OK;
		good &= achan_oneshot_try_recv(os, NULL) == ACHAN_CLOSED;
		good &= achan_oneshot_fini(os) == ACHAN_OK;
		ok(good, "elem_size 0: a signal-only oneshot with NULL value pointers");
	}
}

/* --- local flavour ------------------------------------------------------------- */

static void
test_local(void)
{
	unsigned char buf[ACHAN_ONESHOT_MEMSIZE(8)];
	struct achan_oneshot *os;
	struct achan_oneshot_recv_future f, g;
	struct rec_waker a, b;
	struct timespec dl = tu_add_ms(tu_now(), 1000);
	uint64_t out = 0, out2 = 0, v = 3;

	is_st(achan_oneshot_init(buf, sizeof(buf), 8, ACHAN_LOCAL, &os), ACHAN_OK, "local init");
	is_st(achan_oneshot_recv(os, &out), ACHAN_EDEADLK, "local recv that would wait: EDEADLK");
	is_st(achan_oneshot_recv_until(os, &out, &dl), ACHAN_EDEADLK, "local recv_until: EDEADLK");
	is_st(achan_oneshot_try_recv(os, &out), ACHAN_EMPTY, "local try_recv: EMPTY");
	rec_init(&a, 1, NULL);
	rec_init(&b, 2, NULL);
	achan_oneshot_recv_future_init(&f, os, &out);
	achan_oneshot_recv_future_init(&g, os, &out2);
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_PENDING, "local future: PENDING");
	is_st(achan_oneshot_recv_poll(&g, &b.w), ACHAN_PENDING, "a second one: PENDING");
	is_st(achan_oneshot_fini(os), ACHAN_EBUSY, "local fini while registered: EBUSY");
	is_st(achan_oneshot_send(os, &v), ACHAN_OK, "local send");
	ok(rec_calls(&a) == 1 && rec_calls(&b) == 1, "both wakers ran inside the send");
	is_st(achan_oneshot_recv_poll(&g, &b.w), ACHAN_OK, "the second takes it");
	is_u(out2, 3, "value 3");
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_CLOSED, "the first gets CLOSED");
	is_st(achan_oneshot_recv(os, &out), ACHAN_CLOSED, "local recv after the take: CLOSED, not EDEADLK");
	is_st(achan_oneshot_send(os, &v), ACHAN_CLOSED, "second local send: CLOSED");
	is_st(achan_oneshot_close(os), ACHAN_ALREADY_CLOSED, "local close after send");
	is_st(achan_oneshot_fini(os), ACHAN_OK, "local fini");

	is_st(achan_oneshot_init(buf, sizeof(buf), 8, ACHAN_LOCAL, &os), ACHAN_OK, "local init again");
	rec_init(&a, 1, NULL);
	achan_oneshot_recv_future_init(&f, os, &out);
	achan_oneshot_recv_poll(&f, &a.w);
	is_st(achan_oneshot_close(os), ACHAN_NEWLY_CLOSED, "local close");
	is_u(rec_calls(&a), 1, "woke the waiter");
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_CLOSED, "CLOSED");
	is_st(achan_oneshot_recv(os, &out), ACHAN_CLOSED, "local recv on a closed oneshot: CLOSED");
	is_u(achan_oneshot_is_closed(os), 1, "is_closed");
	/* registered, then cancelled */
	is_st(achan_oneshot_fini(os), ACHAN_OK, "local fini");
	is_st(achan_oneshot_init(buf, sizeof(buf), 8, ACHAN_LOCAL, &os), ACHAN_OK, "local init again");
	achan_oneshot_recv_future_init(&f, os, &out);
	achan_oneshot_recv_poll(&f, &a.w);
	is_st(achan_oneshot_recv_cancel(&f), ACHAN_CANCELLED, "local cancel");
	v = 4;
	achan_oneshot_send(os, &v);
	is_st(achan_oneshot_recv(os, &out), ACHAN_OK, "local recv with the value there: OK");
	is_u(out, 4, "value 4");
	is_st(achan_oneshot_fini(os), ACHAN_OK, "local fini");
}

/* --- handles and the element destructor --------------------------------- */

static void
test_handles(void)
{
	struct achan_oneshot_sender tx, tx2;
	struct achan_oneshot_receiver rx, rx2;
	struct achan_oneshot_recv_future f;
	struct rec_waker a;
	struct dtor_log d;
	uint64_t v = 11, out = 0;

	is_st(achan_oneshot_pair(&tx, &rx, 8, 0), ACHAN_OK, "pair");
	tx2._os = (void *)1;
	is_st(achan_oneshot_sender_clone(&tx, &tx2), ACHAN_EINVAL, "sender clone: EINVAL");
	ok(tx2._os == NULL, "clone target cleared");
	is_st(achan_oneshot_receiver_clone(&rx, &rx2), ACHAN_EINVAL, "receiver clone: EINVAL");
	is_st(achan_oneshot_destroy(achan_oneshot_sender_oneshot(&tx)), ACHAN_EINVAL,
			"destroy of a paired oneshot: EINVAL");
	is_st(achan_oneshot_send(achan_oneshot_sender_oneshot(&tx), &v), ACHAN_OK, "send through tx");
	is_st(achan_oneshot_sender_release(&tx), ACHAN_OK, "release the sender");
	ok(achan_oneshot_sender_oneshot(&tx) == NULL, "handle cleared");
	is_st(achan_oneshot_sender_release(&tx), ACHAN_EINVAL, "release it again: EINVAL");
	is_st(achan_oneshot_try_recv(achan_oneshot_receiver_oneshot(&rx), &out), ACHAN_OK,
			"the receiver still gets the value sent before the release");
	is_u(out, 11, "value 11");
	is_st(achan_oneshot_receiver_release(&rx), ACHAN_OK, "release the receiver: freed");

	/* sender released before sending: the receiver sees CLOSED */
	achan_oneshot_pair(&tx, &rx, 8, 0);
	rec_init(&a, 1, NULL);
	achan_oneshot_recv_future_init(&f, achan_oneshot_receiver_oneshot(&rx), &out);
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_PENDING, "receiver's future PENDING");
	is_st(achan_oneshot_sender_release(&tx), ACHAN_OK, "sender released without sending");
	is_u(rec_calls(&a), 1, "the release closed and woke the future");
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_CLOSED, "future: CLOSED");
	is_st(achan_oneshot_try_recv(achan_oneshot_receiver_oneshot(&rx), &out), ACHAN_CLOSED,
			"try_recv: CLOSED");
	achan_oneshot_receiver_release(&rx);

	/* receiver released: sends fail; a value sent and not received is destroyed */
	memset(&d, 0, sizeof(d));
	achan_oneshot_pair(&tx, &rx, 8, 0);
	achan_oneshot_set_elem_dtor(achan_oneshot_sender_oneshot(&tx), count_dtor, &d);
	v = 12;
	achan_oneshot_send(achan_oneshot_sender_oneshot(&tx), &v);
	is_st(achan_oneshot_receiver_release(&rx), ACHAN_OK, "receiver released with a value inside");
	ok(d.calls == 1 && d.last == 12, "the unreceived value was destroyed at the release (%d calls)",
			d.calls);
	is_u(achan_oneshot_is_closed(achan_oneshot_sender_oneshot(&tx)), 1, "the sender sees it closed");
	is_st(achan_oneshot_close(achan_oneshot_sender_oneshot(&tx)), ACHAN_ALREADY_CLOSED,
			"close: ALREADY_CLOSED");
	achan_oneshot_sender_release(&tx);
	is_u(d.calls, 1, "not destroyed twice");

	memset(&d, 0, sizeof(d));
	achan_oneshot_pair(&tx, &rx, 8, 0);
	achan_oneshot_set_elem_dtor(achan_oneshot_sender_oneshot(&tx), count_dtor, &d);
	achan_oneshot_receiver_release(&rx);
	v = 13;
	is_st(achan_oneshot_send(achan_oneshot_sender_oneshot(&tx), &v), ACHAN_CLOSED,
			"send after the receiver's release: CLOSED, value kept");
	achan_oneshot_sender_release(&tx);
	is_u(d.calls, 0, "nothing to destroy");

	/* received values are not destroyed; sender then receiver release */
	memset(&d, 0, sizeof(d));
	achan_oneshot_pair(&tx, &rx, 8, 0);
	achan_oneshot_set_elem_dtor(achan_oneshot_sender_oneshot(&tx), count_dtor, &d);
	v = 14;
	achan_oneshot_send(achan_oneshot_sender_oneshot(&tx), &v);
	achan_oneshot_recv(achan_oneshot_receiver_oneshot(&rx), &out);
	achan_oneshot_sender_release(&tx);
	achan_oneshot_receiver_release(&rx);
	is_u(d.calls, 0, "a received value is the receiver's: no destructor call");

	/* a future outlives both handles; the last finish frees the memory */
	achan_oneshot_pair(&tx, &rx, 8, 0);
	rec_init(&a, 1, NULL);
	achan_oneshot_recv_future_init(&f, achan_oneshot_receiver_oneshot(&rx), &out);
	achan_oneshot_recv_poll(&f, &a.w);
	is_st(achan_oneshot_receiver_release(&rx), ACHAN_OK, "receiver released while its future waits");
	is_u(rec_calls(&a), 1, "the close woke the future");
	is_st(achan_oneshot_sender_release(&tx), ACHAN_OK, "sender released");
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_CLOSED,
			"the future observes the close (and frees the oneshot)");
	is_st(achan_oneshot_recv_cancel(&f), ACHAN_CANCELLED, "cancel after finishing: no object needed");

	/* the local flavour through handles */
	achan_oneshot_pair(&tx, &rx, 8, ACHAN_LOCAL);
	is_st(achan_oneshot_recv(achan_oneshot_receiver_oneshot(&rx), &out), ACHAN_EDEADLK,
			"local pair: recv would wait: EDEADLK");
	achan_oneshot_sender_release(&tx);
	is_st(achan_oneshot_recv(achan_oneshot_receiver_oneshot(&rx), &out), ACHAN_CLOSED,
			"local pair after the sender's release: CLOSED");
	achan_oneshot_receiver_release(&rx);
}

static void
test_dtor(void)
{
	struct achan_oneshot *os;
	struct dtor_log d;
	unsigned char buf[ACHAN_ONESHOT_MEMSIZE(8)];
	uint64_t v = 21, out;

	memset(&d, 0, sizeof(d));
	os = mk(8, 0);
	achan_oneshot_set_elem_dtor(os, count_dtor, &d);
	achan_oneshot_send(os, &v);
	achan_oneshot_destroy(os);
	ok(d.calls == 1 && d.last == 21, "destroy runs the destructor on an unreceived value");

	memset(&d, 0, sizeof(d));
	os = mk(8, 0);
	achan_oneshot_set_elem_dtor(os, count_dtor, &d);
	achan_oneshot_send(os, &v);
	achan_oneshot_try_recv(os, &out);
	achan_oneshot_destroy(os);
	is_u(d.calls, 0, "not on a received one");

	memset(&d, 0, sizeof(d));
	achan_oneshot_init(buf, sizeof(buf), 8, 0, &os);
	achan_oneshot_set_elem_dtor(os, count_dtor, &d);
	achan_oneshot_close(os);
	achan_oneshot_fini(os);
	is_u(d.calls, 0, "nor when nothing was sent");
	achan_oneshot_init(buf, sizeof(buf), 8, 0, &os);
	achan_oneshot_set_elem_dtor(os, count_dtor, &d);
	achan_oneshot_send(os, &v);
	achan_oneshot_fini(os);
	is_u(d.calls, 1, "fini runs it too");
}

/* --- bad input ------------------------------------------------------------------ */

static void
test_badinput(void)
{
	struct achan_oneshot *os = mk(8, 0), *bad = NULL;
	struct achan_oneshot_recv_future f;
	struct achan_oneshot_sender tx = { NULL };
	struct achan_oneshot_receiver rx = { NULL };
	struct rec_waker a;
	struct timespec dl = { 0, 1000000000L };
	struct achan_waker nowake = { NULL, NULL };
	unsigned char buf[ACHAN_ONESHOT_MEMSIZE(8)];
	uint64_t v = 1, out;
	int good = 1;

	good &= achan_oneshot_send(NULL, &v) == ACHAN_EINVAL;
	good &= achan_oneshot_try_recv(NULL, &out) == ACHAN_EINVAL;
	good &= achan_oneshot_recv(NULL, &out) == ACHAN_EINVAL;
	good &= achan_oneshot_close(NULL) == ACHAN_EINVAL;
	good &= achan_oneshot_is_closed(NULL) == 1;
	good &= achan_oneshot_elem_size(NULL) == 0;
	good &= achan_oneshot_destroy(NULL) == ACHAN_EINVAL;
	good &= achan_oneshot_fini(NULL) == ACHAN_EINVAL;
	good &= achan_oneshot_set_elem_dtor(NULL, NULL, NULL) == ACHAN_EINVAL;
	ok(good, "NULL oneshot: EINVAL everywhere (is_closed 1, elem_size 0)");
	good = achan_oneshot_send(os, NULL) == ACHAN_EINVAL;
	good &= achan_oneshot_try_recv(os, NULL) == ACHAN_EINVAL;
	good &= achan_oneshot_recv(os, NULL) == ACHAN_EINVAL;
	good &= achan_oneshot_recv_future_init(&f, os, NULL) == ACHAN_EINVAL;
	ok(good, "NULL value buffer with elem_size 8: EINVAL");
	good = achan_oneshot_recv_until(os, &out, NULL) == ACHAN_EINVAL;
	good &= achan_oneshot_recv_until(os, &out, &dl) == ACHAN_EINVAL;
	ok(good, "NULL or unnormalised deadline: EINVAL");
	is_u(achan_oneshot_memsize(ACHAN_ONESHOT_MAX_ELEM_SIZE + 1), 0, "memsize beyond the maximum: 0");
	is_st(achan_oneshot_create(&bad, ACHAN_ONESHOT_MAX_ELEM_SIZE + 1, 0), ACHAN_EINVAL,
			"create beyond the maximum: EINVAL");
	ok(bad == NULL, "*out NULL");
	is_st(achan_oneshot_create(&bad, 8, 0x80), ACHAN_EINVAL, "unknown flags: EINVAL");
	is_st(achan_oneshot_create(NULL, 8, 0), ACHAN_EINVAL, "NULL out: EINVAL");
	is_st(achan_oneshot_init(NULL, 1000, 8, 0, &bad), ACHAN_EINVAL, "init NULL memory: EINVAL");
	is_st(achan_oneshot_init(buf, sizeof(buf), 8, 0, NULL), ACHAN_EINVAL, "init NULL out: EINVAL");
	is_st(achan_oneshot_init(buf, sizeof(buf), 8, 0x80, &bad), ACHAN_EINVAL, "init unknown flags: EINVAL");
	/* a bcast is not a oneshot */
	{
		struct achan_bcast *b;

		achan_bcast_create(&b, 8, 0);
		is_st(achan_oneshot_send((struct achan_oneshot *)(void *)b, &v), ACHAN_EINVAL,
				"a bcast passed as a oneshot: EINVAL");
		achan_bcast_destroy(b);
	}
	/* futures */
	rec_init(&a, 1, NULL);
	is_st(achan_oneshot_recv_future_init(NULL, os, &out), ACHAN_EINVAL, "future init NULL: EINVAL");
	is_st(achan_oneshot_recv_future_init(&f, NULL, &out), ACHAN_EINVAL, "future init NULL oneshot: EINVAL");
	achan_oneshot_recv_future_init(&f, os, &out);
	is_st(achan_oneshot_recv_poll(&f, NULL), ACHAN_EINVAL, "poll with a NULL waker: EINVAL");
	is_st(achan_oneshot_recv_poll(&f, &nowake), ACHAN_EINVAL, "poll with a NULL wake function: EINVAL");
	is_st(achan_oneshot_recv_poll(NULL, &a.w), ACHAN_EINVAL, "poll NULL: EINVAL");
	is_st(achan_oneshot_recv_cancel(NULL), ACHAN_EINVAL, "cancel NULL: EINVAL");
	achan_oneshot_recv_cancel(&f);
	achan_oneshot_destroy(os);
	/* a torn-down oneshot in caller memory */
	achan_oneshot_init(buf, sizeof(buf), 8, 0, &os);
	achan_oneshot_recv_future_init(&f, os, &out);
	achan_oneshot_fini(os);
	is_st(achan_oneshot_recv_poll(&f, &a.w), ACHAN_EINVAL, "poll on a torn-down oneshot: EINVAL");
	is_st(achan_oneshot_send(os, &v), ACHAN_EINVAL, "send on a torn-down oneshot: EINVAL");
	/* handles */
	is_st(achan_oneshot_pair(NULL, &rx, 8, 0), ACHAN_EINVAL, "pair NULL: EINVAL");
	is_st(achan_oneshot_pair(&tx, &rx, ACHAN_ONESHOT_MAX_ELEM_SIZE + 1, 0), ACHAN_EINVAL,
			"pair too big: EINVAL");
	ok(tx._os == NULL && rx._os == NULL, "handles cleared");
	is_st(achan_oneshot_sender_release(&tx), ACHAN_EINVAL, "release a cleared handle: EINVAL");
	is_st(achan_oneshot_receiver_release(NULL), ACHAN_EINVAL, "release NULL: EINVAL");
	ok(achan_oneshot_sender_oneshot(NULL) == NULL, "sender_oneshot(NULL) NULL");
	os = mk(8, 0);
	tx._os = os;
	is_st(achan_oneshot_sender_release(&tx), ACHAN_EINVAL, "a handle forged on an unpaired oneshot: EINVAL");
	achan_oneshot_destroy(os);
}

int
main(void)
{
	tap_watchdog(30);
	test_send_once();
	test_close_before_send();
	test_close_after_send();
	test_first_taker_wins();
	test_close_wakes_all();
	test_future_basics();
	test_cancel();
	test_waker_reentry();
	test_blocking();
	test_stack_request();
	test_caller_memory();
	test_local();
	test_handles();
	test_dtor();
	test_badinput();
	return done_testing();
}
