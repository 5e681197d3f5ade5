/*
 * t/fault_inject.c - fault injection at every hook point of lib/fault.h.
 *
 * This program is built from the library's own sources, compiled again with
 * -DACHAN_FAULT_INJECTION (stress/local.mk), so every ACHAN__FAULT line in
 * lib/ calls achan__fault() below.  For every hook point, every kind whose
 * operations reach it, and every action that applies there, one case runs a
 * small multi-threaded scenario of that kind with the point armed.  The
 * first time a thread reaches the armed point, the action is taken right
 * there:
 *
 *   noop       nothing but a 100 us pause of the hooking thread, which
 *              lets the other threads run through the window at the point
 *   cancel     every async owner of the scenario cancels its pending
 *              future at once (the owner that is polling right now cancels
 *              as soon as its poll returns; others are poked awake)
 *   close      the object is closed
 *   release    the last handle of the opposite role is released (the
 *              receiver's for a point on the sending side, and so on)
 *   fail-alloc the allocation at that point fails (alloc points only)
 *
 * Where the hooking thread holds a waiter-queue lock, or an operation other
 * threads wait out (ACHAN__FF_LOCKED / _INFLIGHT), close and release are
 * handed to an agent thread and the hooking thread waits for it a moment
 * (bounded): the action then races the rest of the operation as closely as
 * the lock allows, instead of deadlocking on it.
 *
 * Every scenario works on an object made as a pair of handles (so that
 * release applies), with a counting element destructor, producers and
 * consumers of three kinds each (blocking calls - plain and with short
 * deadlines -, futures driven by a flag waker that cancel at random, and
 * try_ loops), and checks at the end:
 *
 *   - conservation: every value whose send succeeded (or whose cancel said
 *     it was transferred) was received exactly once or destroyed exactly
 *     once, and no value whose send failed shows up anywhere (channels);
 *     the value was taken once or destroyed, or copied to every receiver
 *     (oneshot / broadcast); every reader saw strictly increasing ids with
 *     matching values and ended on the final state (state);
 *   - nobody stays blocked: every thread is joined within a bound (else the
 *     program bails out naming the case), and no future waits 10 s for a
 *     wake (a lost wakeup);
 *   - the waker contract: no wake after done/cancel, at most one per
 *     registration;
 *   - ENOMEM only where an allocation was made to fail, and then with no
 *     half-built object (the handles come back cleared);
 *   - ASan (the sanitizer CI build runs this program too): no leak, no use
 *     after free.  The objects are kept alive while the scenario's threads
 *     use them through plain pointers by one extra reference the test holds
 *     on the object (the role a registered future plays), so releasing the
 *     last handles mid-run is safe; the memory is freed when that reference
 *     is dropped, after every thread is joined.
 *
 * Coverage: the number of points, how many were reached, and per action at
 * how many points it fired, as TAP diagnostics; one test per point fails if
 * the point was never reached (a dead hook), one per action if it never
 * fired somewhere it applies.
 *
 * Cases whose failure is a known library bug are listed in known_bugs[]
 * and reported as TODO, so the suite stays green while the bug is open.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>

#include "test_util.h"

#include "sync_mt.h"
#include "chan_internal.h"
#include "fault.h"
#include "oneshot_internal.h"
#include "state_internal.h"

#ifndef ACHAN_FAULT_INJECTION
#error "t/fault_inject.c must be built with -DACHAN_FAULT_INJECTION"
#endif

/* --- the points, the kinds and the actions ------------------------------- */

struct point_info {
	const char *name;
	unsigned kinds, flags;
	const char *where;
};

static const struct point_info P[ACHAN__FP_COUNT] = {
#define X(name, kinds, flags, where) { #name, kinds, flags, where },
	ACHAN__FAULT_POINTS(X)
#undef X
};

enum kind { K_CHAN, K_UNBUF, K_ONCE, K_BCAST, K_STATE, K_COUNT };
static const char *const kind_name[K_COUNT] = {
	"chan", "unbuf", "oneshot", "bcast", "state"
};

enum action { A_NOOP, A_CANCEL, A_CLOSE, A_RELEASE, A_FAIL, A_COUNT };
static const char *const action_name[A_COUNT] = {
	"noop", "cancel", "close", "release", "fail-alloc"
};

enum { ROLE_SENDER = 0, ROLE_RECEIVER = 1 };

static int
applies(int p, int a)
{
	unsigned f = P[p].flags;

	switch (a) {
	case A_FAIL:
		return (f & ACHAN__FF_ALLOC) != 0;
	case A_NOOP:
		return 1;
	default:	/* cancel, close, release need an object */
		return (f & ACHAN__FF_NOOBJ) == 0;
	}
}

/* Known library bugs: cases reported as TODO while the bug is open. */
struct known_bug {
	int point, kind, action;	/* -1: any */
	const char *why;
};
static const struct known_bug known_bugs[] = {
	{ -2, -2, -2, NULL }	/* none known */
};

static const char *
known_bug(int p, int k, int a)
{
	for (size_t i = 0; i < sizeof(known_bugs) / sizeof(known_bugs[0]); i++) {
		const struct known_bug *b = &known_bugs[i];

		if (b->why != NULL && (b->point == -1 || b->point == p) &&
		    (b->kind == -1 || b->kind == k) &&
		    (b->action == -1 || b->action == a))
			return b->why;
	}
	return NULL;
}

/* --- timing -------------------------------------------------------------- */

#define WAKE_TIMEOUT_MS 10000	/* a future waiting this long lost its wake */
#define JOIN_TIMEOUT_S 30	/* a thread still running this long is stuck */

static void
sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static struct timespec
deadline_in_us(long us)
{
	struct timespec t = tu_now();
	long long ns = t.tv_nsec + (long long)us * 1000;

	t.tv_sec += (time_t)(ns / 1000000000LL);
	t.tv_nsec = (long)(ns % 1000000000LL);
	return t;
}

/* --- the scenario every kind shares -------------------------------------- */

struct owner;

struct scen {
	int kind, point, action;
	void *ctx;		/* the kind's scenario */
	/* the driver's handles: 1 while held; whoever swaps 1 -> 0 releases */
	atomic_int held[2];
	void (*release)(struct scen *s, int role);
	void (*close)(struct scen *s);
	/* drain phase: the work is done; users stop timing out and
	 * cancelling at random, so a lost wakeup shows as a stall */
	atomic_int drain;
	/* the cancel action: bumped, then every owner is poked */
	atomic_uint cancel_gen;
	struct owner *owners[4];
	int nowners;
	/* violations, by cause */
	atomic_ulong lost_wakes, late_wakes, double_wakes, weird_rc, bad_value,
	    bad_order, lost, dup, phantom, bad_enomem, not_final;
	atomic_ulong enomem_seen;
	/* what moved */
	atomic_ulong transferred, returned, received, destroyed;
	char first[200];
	atomic_int first_set;
};

static void
violation(struct scen *s, atomic_ulong *counter, const char *fmt, ...)
	TAP_PRINTF(3, 4);

static void
violation(struct scen *s, atomic_ulong *counter, const char *fmt, ...)
{
	va_list ap;
	int zero = 0;

	atomic_fetch_add(counter, 1);
	if (!atomic_compare_exchange_strong(&s->first_set, &zero, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(s->first, sizeof(s->first), fmt, ap);
	va_end(ap);
}

static unsigned long
violations(struct scen *s)
{
	return atomic_load(&s->lost_wakes) + atomic_load(&s->late_wakes) +
	    atomic_load(&s->double_wakes) + atomic_load(&s->weird_rc) +
	    atomic_load(&s->bad_value) + atomic_load(&s->bad_order) +
	    atomic_load(&s->lost) + atomic_load(&s->dup) +
	    atomic_load(&s->phantom) + atomic_load(&s->bad_enomem) +
	    atomic_load(&s->not_final);
}

static void
scen_init(struct scen *s, int kind, int point, int action)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->point = point;
	s->action = action;
}

/* The role being released by this thread right now (HANDLE_RELEASE). */
static __thread int tl_releasing = -1;

static void
release_role(struct scen *s, int role)
{
	int outer = tl_releasing;

	if (atomic_exchange(&s->held[role], 0) == 0)
		return;		/* released already */
	tl_releasing = role;
	s->release(s, role);
	tl_releasing = outer;
}

/* An extra reference on a paired object (see the top): keeps the memory
 * while the scenario's threads use it, like a registered future would. */
static void
keep(struct achan__object *o)
{
	__atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
}

static void
unkeep(struct achan__object *o)
{
	if (__atomic_fetch_sub(&o->refs, 1, __ATOMIC_ACQ_REL) == 1)
		o->kind->free(o);
}

/* --- async owners: a flag waker with contract checks, and cancel --------- */

struct owner {
	atomic_uint v;		/* futex word: 1 woken, 2 poked (cancel) */
	atomic_int armed;	/* a registration may legitimately wake */
	atomic_int calls;	/* wakes since the last poll */
	atomic_int *registered;	/* optional: set once a poll returned PENDING */
	struct scen *s;
	unsigned seen_gen;
	uint64_t rng;
	struct achan_waker w;
};

static void
owner_wake(void *arg)
{
	struct owner *o = arg;

	if (!atomic_load(&o->armed))
		violation(o->s, &o->s->late_wakes, "wake after done/cancel");
	if (atomic_fetch_add(&o->calls, 1) != 0)
		violation(o->s, &o->s->double_wakes, "two wakes, one registration");
	atomic_fetch_or_explicit(&o->v, 1, memory_order_release);
	tu_futex_wake(&o->v);
}

static void
owner_init(struct owner *o, struct scen *s, uint64_t seed)
{
	memset(o, 0, sizeof(*o));
	o->s = s;
	o->rng = seed * 0x9e3779b97f4a7c15ull + 1;
	o->w.wake = owner_wake;
	o->w.arg = o;
}

/* An owner that answers the cancel action (async users only). */
static void
owner_enlist(struct owner *o)
{
	struct scen *s = o->s;

	if (s->nowners < 4)
		s->owners[s->nowners++] = o;
}

static void
owner_poke(struct owner *o)
{
	atomic_fetch_or_explicit(&o->v, 2, memory_order_release);
	tu_futex_wake(&o->v);
}

/* Has a cancel been asked for since this owner last looked? */
static int
cancel_wanted(struct owner *o)
{
	unsigned g = atomic_load(&o->s->cancel_gen);

	if (g == o->seen_gen)
		return 0;
	o->seen_gen = g;
	return 1;
}

/* Wait for the wake (1) or a poke (also 1); 0 after WAKE_TIMEOUT_MS. */
static int
owner_wait(struct owner *o)
{
	struct timespec end = tu_add_ms(tu_now(), WAKE_TIMEOUT_MS);
	unsigned v;

	for (int i = 0; i < 64; i++) {
		if (atomic_load_explicit(&o->v, memory_order_acquire) != 0)
			return 1;
		achan__cpu_relax();
	}
	while ((v = atomic_load_explicit(&o->v, memory_order_acquire)) == 0) {
		struct timespec rel = { 0, 20 * 1000000L };

		if (tu_ts_ge(tu_now(), end))
			return 0;
		syscall(SYS_futex, (unsigned *)&o->v, FUTEX_WAIT_PRIVATE, 0u,
		    &rel, NULL, 0);
	}
	return 1;
}

typedef int (*poll_fn)(void *f, const struct achan_waker *w);
typedef int (*cancel_fn)(void *f);

/*
 * Drive one future to its end: ACHAN_OK, ACHAN_CLOSED, or ACHAN_CANCELLED
 * (cancelled before completing: the value stays with the caller).  Cancels
 * at random - registered and not woken, or woken and not polled again - and
 * whenever the cancel action asks.
 */
static int
drive(struct owner *o, void *f, poll_fn poll, cancel_fn cancel)
{
	int rc, c;

	atomic_store(&o->v, 0);
	atomic_store(&o->calls, 0);
	atomic_store(&o->armed, 1);
	rc = poll(f, &o->w);
	while (rc == ACHAN_PENDING) {
		uint64_t r = tu_rand(&o->rng);

		if (o->registered != NULL)
			atomic_store(o->registered, 1);
		if (cancel_wanted(o) ||
		    ((r & 15) == 0 && !atomic_load(&o->s->drain)))
			goto cancel;	/* registered, probably not woken */
		if (!owner_wait(o)) {
			violation(o->s, &o->s->lost_wakes,
			    "a future waited %d ms for its wake", WAKE_TIMEOUT_MS);
			goto cancel;
		}
		if (cancel_wanted(o) ||
		    ((r >> 8) % 3 == 0 && !atomic_load(&o->s->drain)))
			goto cancel;	/* woken (or poked), not polled */
		atomic_store(&o->v, 0);
		atomic_store(&o->calls, 0);
		rc = poll(f, &o->w);
	}
	atomic_store(&o->armed, 0);
	return rc;
cancel:
	c = cancel(f);
	atomic_store(&o->armed, 0);
	if (c != ACHAN_OK && c != ACHAN_CANCELLED)
		violation(o->s, &o->s->weird_rc, "cancel answered %s", st_name(c));
	return c == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED;
}

/* --- the agent: takes close / release for a thread that holds a lock ----- */

static struct {
	pthread_t t;
	atomic_uint req, done;
	struct scen *s;
	int action, role;
	atomic_int quit;
} agent;

static void
perform(struct scen *s, int action, int role)
{
	if (action == A_CLOSE)
		s->close(s);
	else if (action == A_RELEASE)
		release_role(s, role);
}

static void *
agent_main(void *arg)
{
	unsigned r;

	(void)arg;
	for (;;) {
		unsigned d = atomic_load(&agent.done);

		while ((r = atomic_load_explicit(&agent.req,
		    memory_order_acquire)) == d) {
			if (atomic_load(&agent.quit))
				return NULL;
			syscall(SYS_futex, (unsigned *)&agent.req,
			    FUTEX_WAIT_PRIVATE, d, NULL, NULL, 0);
		}
		perform(agent.s, agent.action, agent.role);
		atomic_store_explicit(&agent.done, r, memory_order_release);
		tu_futex_wake(&agent.done);
	}
}

/* Hand the action to the agent; wait for it at most ~2 ms: it may need the
 * very lock this thread holds. */
static void
agent_post(struct scen *s, int action, int role)
{
	struct timespec end = tu_add_ms(tu_now(), 2);
	unsigned r;

	agent.s = s;
	agent.action = action;
	agent.role = role;
	r = atomic_fetch_add_explicit(&agent.req, 1, memory_order_release) + 1;
	tu_futex_wake(&agent.req);
	while (atomic_load_explicit(&agent.done, memory_order_acquire) != r &&
	    !tu_ts_ge(tu_now(), end))
		sched_yield();
}

static void
agent_quiesce(void)
{
	while (atomic_load_explicit(&agent.done, memory_order_acquire) !=
	    atomic_load(&agent.req))
		sched_yield();
}

/* --- the hooks ----------------------------------------------------------- */

static atomic_ullong reach[ACHAN__FP_COUNT];
static atomic_int armed_point = -1;
static atomic_int fired;
static struct scen *armed_scen;	/* written before arming */

static void
arm(struct scen *s)
{
	armed_scen = s;
	atomic_store(&fired, 0);
	atomic_store(&armed_point, s->point);
}

static void
disarm(void)
{
	atomic_store(&armed_point, -1);
}

/* First hit of the armed point?  Then this thread takes the action. */
static int
claim(int p)
{
	int zero = 0;

	atomic_fetch_add_explicit(&reach[p], 1, memory_order_relaxed);
	if (atomic_load(&armed_point) != p)
		return 0;
	return atomic_compare_exchange_strong(&fired, &zero, 1);
}

/* The role opposite to the operation in flight at point p. */
static int
opposite(int p, const void *arg)
{
	unsigned f = P[p].flags;

	if (f & ACHAN__FF_SEND)
		return ROLE_RECEIVER;
	if (f & ACHAN__FF_RECV)
		return ROLE_SENDER;
	if (f & ACHAN__FF_WAITER)	/* chan: side 0 sends; others receive */
		return ((const struct achan__waiter *)arg)->_side == 0 ?
		    ROLE_RECEIVER : ROLE_SENDER;
	/* HANDLE_RELEASE: the other handle than the one being released */
	return tl_releasing == ROLE_RECEIVER ? ROLE_SENDER : ROLE_RECEIVER;
}

static void
take_action(int p, const void *arg)
{
	struct scen *s = armed_scen;
	int a = s->action, role;

	switch (a) {
	case A_NOOP:
		sleep_us(100);
		break;
	case A_CANCEL:
		atomic_fetch_add(&s->cancel_gen, 1);
		for (int i = 0; i < s->nowners; i++)
			owner_poke(s->owners[i]);
		break;
	case A_CLOSE:
	case A_RELEASE:
		role = opposite(p, arg);
		if (P[p].flags & (ACHAN__FF_LOCKED | ACHAN__FF_INFLIGHT))
			agent_post(s, a, role);
		else
			perform(s, a, role);
		break;
	default:
		break;
	}
}

void
achan__fault(int point, const void *arg)
{
	if (claim(point))
		take_action(point, arg);
}

int
achan__fault_alloc(int point)
{
	if (!claim(point))
		return 0;
	if (armed_scen->action == A_FAIL) {
		atomic_fetch_add(&armed_scen->enomem_seen, 1);
		return 1;
	}
	take_action(point, NULL);
	return 0;
}

/* An ENOMEM is allowed only where this case made an allocation fail. */
static void
check_enomem(struct scen *s, int point)
{
	if (s->point != point || s->action != A_FAIL)
		violation(s, &s->bad_enomem, "unexpected ACHAN_ENOMEM");
}

/* Wait up to ms for cond(arg); 1 if it came true. */
static int
wait_until(int (*cond)(void *), void *arg, long ms)
{
	struct timespec end = tu_add_ms(tu_now(), ms);

	while (!cond(arg)) {
		if (tu_ts_ge(tu_now(), end))
			return 0;
		sleep_us(100);
	}
	return 1;
}

#define DRAIN_MS 5000	/* values (or states) left asleep this long: a lost wake */

/* --- bounded joins ------------------------------------------------------- */

static const char *cur_case = "";

static void
join_bounded(pthread_t t, const char *who)
{
	struct timespec end;
	int rc;

	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += JOIN_TIMEOUT_S;
	rc = pthread_timedjoin_np(t, NULL, &end);
	if (rc == ETIMEDOUT)
		bail_out("%s: %s still blocked after %d s", cur_case, who,
		    JOIN_TIMEOUT_S);
	if (rc != 0)
		bail_out("%s: pthread_join: %s", cur_case, strerror(rc));
}

static void
spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	if (pthread_create(t, NULL, fn, arg) != 0)
		bail_out("pthread_create");
}

/* ===== channels: bounded (capacity 2) and unbuffered ===================== */

#define CH_NP 3
#define CH_NC 3
#define CH_MSGS 40		/* values each producer gets through */
#define CH_MAXSEQ 256		/* attempts per producer, at most */

enum { OUT_NONE = 0, OUT_SENT = 1, OUT_RETURNED = 2 };

struct chan_scen {
	struct scen *s;
	struct achan_chan *ch;
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	int early_rx;
	pthread_barrier_t bar;
	uint8_t outcome[CH_NP][CH_MAXSEQ];	/* written by its producer */
	atomic_uchar got[CH_NP][CH_MAXSEQ];
	atomic_uchar gone[CH_NP][CH_MAXSEQ];	/* element destructor */
};

struct chan_worker {
	pthread_t t;
	struct chan_scen *cs;
	int id, mode;	/* 0 blocking, 1 async, 2 try */
	uint64_t rng;
	struct owner own;
};

static void
chan_release(struct scen *s, int role)
{
	struct chan_scen *cs = s->ctx;
	int rc = role == ROLE_SENDER ? achan_chan_sender_release(&cs->tx) :
	    achan_chan_receiver_release(&cs->rx);

	if (rc != ACHAN_OK)
		violation(s, &s->weird_rc, "handle release: %s", st_name(rc));
}

static void
chan_close(struct scen *s)
{
	struct chan_scen *cs = s->ctx;
	int rc = achan_chan_close(cs->ch);

	if (rc != ACHAN_NEWLY_CLOSED && rc != ACHAN_ALREADY_CLOSED)
		violation(s, &s->weird_rc, "close: %s", st_name(rc));
}

static void
chan_dtor(void *elem, void *arg)
{
	struct chan_scen *cs = arg;
	uint64_t v = u64v(elem);
	uint32_t pid = (uint32_t)(v >> 32), seq = (uint32_t)v;

	atomic_fetch_add(&cs->s->destroyed, 1);
	if (pid >= CH_NP || seq >= CH_MAXSEQ) {
		violation(cs->s, &cs->s->bad_value, "destroyed a corrupt value");
		return;
	}
	atomic_fetch_add(&cs->gone[pid][seq], 1);
}

static int
send_poll_fn(void *f, const struct achan_waker *w)
{
	return achan_chan_send_poll(f, w);
}

static int
send_cancel_fn(void *f)
{
	return achan_chan_send_cancel(f);
}

static int
recv_poll_fn(void *f, const struct achan_waker *w)
{
	return achan_chan_recv_poll(f, w);
}

static int
recv_cancel_fn(void *f)
{
	return achan_chan_recv_cancel(f);
}

/* One send attempt: ACHAN_OK (transferred), or the failure (value kept). */
static int
chan_send_one(struct chan_worker *w, const uint64_t *v)
{
	struct achan_chan *ch = w->cs->ch;
	struct achan_chan_send_future f;
	struct timespec dl;
	unsigned full = 0;
	int rc;

	switch (w->mode) {
	case 0:
		if (tu_rand(&w->rng) & 1)
			return achan_chan_send(ch, v);
		dl = deadline_in_us((long)(tu_rand(&w->rng) % 2000));
		return achan_chan_send_until(ch, v, &dl);
	case 1:
		achan_chan_send_future_init(&f, ch, v);
		return drive(&w->own, &f, send_poll_fn, send_cancel_fn);
	default:
		while ((rc = achan_chan_try_send(ch, v)) == ACHAN_FULL)
			if (++full % 64 == 0)
				sleep_us(50);
			else
				sched_yield();
		return rc;
	}
}

static void *
chan_producer(void *arg)
{
	struct chan_worker *w = arg;
	struct chan_scen *cs = w->cs;
	uint32_t seq, ok = 0;

	pthread_barrier_wait(&cs->bar);
	for (seq = 0; seq < CH_MAXSEQ && ok < CH_MSGS; seq++) {
		uint64_t v = ((uint64_t)w->id << 32) | seq;
		int rc = chan_send_one(w, &v);

		if (rc == ACHAN_OK) {
			cs->outcome[w->id][seq] = OUT_SENT;
			atomic_fetch_add(&cs->s->transferred, 1);
			if (++ok == CH_MSGS / 2)
				sleep_us(1500);	/* let receivers find it empty */
			continue;
		}
		cs->outcome[w->id][seq] = OUT_RETURNED;
		atomic_fetch_add(&cs->s->returned, 1);
		if (rc == ACHAN_CLOSED)
			break;
		if (rc != ACHAN_TIMEDOUT && rc != ACHAN_CANCELLED)
			violation(cs->s, &cs->s->weird_rc, "send: %s", st_name(rc));
	}
	return NULL;
}

static int
chan_recv_one(struct chan_worker *w, uint64_t *v)
{
	struct achan_chan *ch = w->cs->ch;
	struct achan_chan_recv_future f;
	struct timespec dl;
	unsigned empty = 0;
	int rc;

	switch (w->mode) {
	case 0:
		if ((tu_rand(&w->rng) & 1) || atomic_load(&w->cs->s->drain))
			return achan_chan_recv(ch, v);
		dl = deadline_in_us((long)(tu_rand(&w->rng) % 2000));
		return achan_chan_recv_until(ch, v, &dl);
	case 1:
		achan_chan_recv_future_init(&f, ch, v);
		return drive(&w->own, &f, recv_poll_fn, recv_cancel_fn);
	default:
		/* in the drain phase the polling consumer bows out, so that
		 * the waiting ones must be woken for what is left */
		while ((rc = achan_chan_try_recv(ch, v)) == ACHAN_EMPTY)
			if (atomic_load(&w->cs->s->drain))
				return ACHAN_CLOSED;
			else if (++empty % 64 == 0)
				sleep_us(50);
			else
				sched_yield();
		return rc;
	}
}

static void *
chan_consumer(void *arg)
{
	struct chan_worker *w = arg;
	struct chan_scen *cs = w->cs;
	uint32_t last[CH_NP] = { 0 };
	int rc;

	pthread_barrier_wait(&cs->bar);
	sleep_us(1000);		/* let the buffer fill and senders wait */
	for (;;) {
		uint64_t v = ~0ull;
		uint32_t pid, seq;

		rc = chan_recv_one(w, &v);
		if (rc == ACHAN_CLOSED)
			break;
		if (rc == ACHAN_TIMEDOUT || rc == ACHAN_CANCELLED)
			continue;
		if (rc != ACHAN_OK) {
			violation(cs->s, &cs->s->weird_rc, "recv: %s", st_name(rc));
			break;
		}
		atomic_fetch_add(&cs->s->received, 1);
		pid = (uint32_t)(v >> 32);
		seq = (uint32_t)v;
		if (pid >= CH_NP || seq >= CH_MAXSEQ) {
			violation(cs->s, &cs->s->bad_value, "received a corrupt value");
			continue;
		}
		atomic_fetch_add(&cs->got[pid][seq], 1);
		if (seq + 1 <= last[pid])
			violation(cs->s, &cs->s->bad_order,
			    "producer %u: seq %u after %u", pid, seq, last[pid] - 1);
		last[pid] = seq + 1;
	}
	return NULL;
}

/* All sent values received or destroyed, or closed (an action ends it). */
static int
chan_drained(void *arg)
{
	struct chan_scen *cs = arg;

	return atomic_load(&cs->s->received) + atomic_load(&cs->s->destroyed) >=
	    atomic_load(&cs->s->transferred) || achan_chan_is_closed(cs->ch);
}

static void
chan_run(struct scen *s, int attempt)
{
	struct chan_scen *cs = calloc(1, sizeof(*cs));
	struct chan_worker pw[CH_NP], cw[CH_NC];
	size_t cap = s->kind == K_UNBUF ? 0 : 2;
	int rc;

	if (cs == NULL)
		bail_out("out of memory");
	cs->s = s;
	s->ctx = cs;
	cs->s->release = chan_release;
	cs->s->close = chan_close;
	cs->early_rx = s->point == ACHAN__FP_CHAN_DISCARD || attempt % 2 == 1;
	arm(cs->s);
	while ((rc = achan_chan_pair(&cs->tx, &cs->rx, 8, cap, 0)) ==
	    ACHAN_ENOMEM) {
		check_enomem(cs->s, ACHAN__FP_CHAN_CREATE);
		if (achan_chan_sender_chan(&cs->tx) != NULL ||
		    achan_chan_receiver_chan(&cs->rx) != NULL)
			violation(cs->s, &cs->s->bad_enomem,
			    "pair: ENOMEM left a handle set");
	}
	if (rc != ACHAN_OK)
		bail_out("achan_chan_pair: %s", st_name(rc));
	cs->ch = achan_chan_sender_chan(&cs->tx);
	achan_chan_set_elem_dtor(cs->ch, chan_dtor, cs);
	keep(&cs->ch->obj);
	atomic_store(&cs->s->held[0], 1);
	atomic_store(&cs->s->held[1], 1);
	pthread_barrier_init(&cs->bar, NULL, CH_NP + CH_NC + 1);
	for (int i = 0; i < CH_NP; i++) {
		memset(&pw[i], 0, sizeof(pw[i]));
		pw[i] = (struct chan_worker){ .cs = cs, .id = i, .mode = i,
			.rng = (uint64_t)(attempt * 64 + i + 1) * 0x2545f4914f6cdd1dull };
		owner_init(&pw[i].own, cs->s, pw[i].rng);
		if (pw[i].mode == 1)
			owner_enlist(&pw[i].own);
		spawn(&pw[i].t, chan_producer, &pw[i]);
	}
	for (int i = 0; i < CH_NC; i++) {
		memset(&cw[i], 0, sizeof(cw[i]));
		/* consumer modes: async, blocking, try */
		cw[i] = (struct chan_worker){ .cs = cs, .id = i, .mode = (i + 1) % 3,
			.rng = (uint64_t)(attempt * 64 + i + 33) * 0x9e3779b97f4a7c15ull };
		owner_init(&cw[i].own, cs->s, cw[i].rng);
		if (cw[i].mode == 1)
			owner_enlist(&cw[i].own);
		spawn(&cw[i].t, chan_consumer, &cw[i]);
	}
	pthread_barrier_wait(&cs->bar);
	if (cs->early_rx) {
		sleep_us(3000);
		release_role(cs->s, ROLE_RECEIVER);	/* discards */
	}
	for (int i = 0; i < CH_NP; i++)
		join_bounded(pw[i].t, "a channel producer");
	/* Everything sent must reach the receivers that wait, before any
	 * close wakes them all. */
	atomic_store(&cs->s->drain, 1);
	if (!wait_until(chan_drained, cs, DRAIN_MS))
		violation(cs->s, &cs->s->lost_wakes,
		    "stall: %lu of %lu values not received after %d ms, receivers "
		    "waiting (a lost wakeup)",
		    atomic_load(&cs->s->transferred) - atomic_load(&cs->s->received) -
		    atomic_load(&cs->s->destroyed), atomic_load(&cs->s->transferred),
		    DRAIN_MS);
	release_role(cs->s, ROLE_SENDER);		/* closes */
	for (int i = 0; i < CH_NC; i++)
		join_bounded(cw[i].t, "a channel consumer");
	release_role(cs->s, ROLE_RECEIVER);
	disarm();
	agent_quiesce();
	pthread_barrier_destroy(&cs->bar);
	unkeep(&cs->ch->obj);	/* frees: the destructor takes what is left */

	/* conservation, value by value */
	for (int p = 0; p < CH_NP; p++)
		for (int q = 0; q < CH_MAXSEQ; q++) {
			unsigned n = atomic_load(&cs->got[p][q]) +
			    atomic_load(&cs->gone[p][q]);

			if (cs->outcome[p][q] == OUT_SENT && n == 0)
				violation(cs->s, &cs->s->lost,
				    "value %d/%d sent, never received nor destroyed", p, q);
			else if (cs->outcome[p][q] == OUT_SENT && n > 1)
				violation(cs->s, &cs->s->dup,
				    "value %d/%d delivered %u times", p, q, n);
			else if (cs->outcome[p][q] != OUT_SENT && n != 0)
				violation(cs->s, &cs->s->phantom,
				    "value %d/%d not sent, yet delivered", p, q);
		}
	s->nowners = 0;
	s->ctx = NULL;
	free(cs);
}

/* ===== oneshot and broadcast ============================================= */

#define ONCE_NR 3		/* receivers: async, blocking, try */
#define ONCE_MIN_ROUNDS 12
#define ONCE_MAX_ROUNDS 24

struct once_scen {
	struct scen *s;
	int bcast;
	/* this round */
	struct achan__once *o;
	struct achan_oneshot_sender otx;
	struct achan_oneshot_receiver orx;
	struct achan_bcast_sender btx;
	struct achan_bcast_receiver brx;
	uint64_t stamp;
	int do_send, early_rx;
	int send_rc;
	int rc[ONCE_NR];
	uint64_t out[ONCE_NR];
	atomic_int ndestroyed;
	atomic_int bad_destroyed;
	atomic_int async_registered;
	atomic_int stop;
	atomic_uint ndone;	/* threads done with this round; a futex */
	pthread_barrier_t start;
};

struct once_worker {
	pthread_t t;
	struct once_scen *os;
	int id;		/* -1: the sender; 0..: receivers (mode = id) */
	uint64_t rng;
	struct owner own;
};

static struct achan_oneshot *
as_os(struct once_scen *os)
{
	return achan__container_of(os->o, struct achan_oneshot, o);
}

static struct achan_bcast *
as_bc(struct once_scen *os)
{
	return achan__container_of(os->o, struct achan_bcast, o);
}

static void
once_release(struct scen *s, int role)
{
	struct once_scen *os = s->ctx;
	int rc;

	if (os->bcast)
		rc = role == ROLE_SENDER ? achan_bcast_sender_release(&os->btx) :
		    achan_bcast_receiver_release(&os->brx);
	else
		rc = role == ROLE_SENDER ? achan_oneshot_sender_release(&os->otx) :
		    achan_oneshot_receiver_release(&os->orx);
	if (rc != ACHAN_OK)
		violation(s, &s->weird_rc, "handle release: %s", st_name(rc));
}

static void
once_close(struct scen *s)
{
	struct once_scen *os = s->ctx;
	int rc = os->bcast ? achan_bcast_close(as_bc(os)) :
	    achan_oneshot_close(as_os(os));

	if (rc != ACHAN_NEWLY_CLOSED && rc != ACHAN_ALREADY_CLOSED)
		violation(s, &s->weird_rc, "close: %s", st_name(rc));
}

static void
once_dtor(void *elem, void *arg)
{
	struct once_scen *os = arg;

	if (u64v(elem) != os->stamp)
		atomic_fetch_add(&os->bad_destroyed, 1);
	atomic_fetch_add(&os->ndestroyed, 1);
}

static int
once_poll_fn(void *f, const struct achan_waker *w)
{
	return achan_oneshot_recv_poll(f, w);
}

static int
once_cancel_fn(void *f)
{
	return achan_oneshot_recv_cancel(f);
}

static int
bc_poll_fn(void *f, const struct achan_waker *w)
{
	return achan_bcast_recv_poll(f, w);
}

static int
bc_cancel_fn(void *f)
{
	return achan_bcast_recv_cancel(f);
}

static int
once_recv_one(struct once_worker *w, uint64_t *out)
{
	struct once_scen *os = w->os;
	struct timespec dl;
	unsigned empty = 0;
	int rc;

	switch (w->id) {
	case 0:
		if (os->bcast) {
			struct achan_bcast_recv_future f;

			achan_bcast_recv_future_init(&f, as_bc(os), out);
			return drive(&w->own, &f, bc_poll_fn, bc_cancel_fn);
		} else {
			struct achan_oneshot_recv_future f;

			achan_oneshot_recv_future_init(&f, as_os(os), out);
			return drive(&w->own, &f, once_poll_fn, once_cancel_fn);
		}
	case 1:
		if (tu_rand(&w->rng) & 1)
			return os->bcast ? achan_bcast_recv(as_bc(os), out) :
			    achan_oneshot_recv(as_os(os), out);
		dl = deadline_in_us((long)(tu_rand(&w->rng) % 1000));
		return os->bcast ? achan_bcast_recv_until(as_bc(os), out, &dl) :
		    achan_oneshot_recv_until(as_os(os), out, &dl);
	default:
		while ((rc = os->bcast ? achan_bcast_try_recv(as_bc(os), out) :
		    achan_oneshot_try_recv(as_os(os), out)) == ACHAN_EMPTY)
			if (++empty % 64 == 0)
				sleep_us(20);
			else
				sched_yield();
		return rc;
	}
}

static void *
once_thread(void *arg)
{
	struct once_worker *w = arg;
	struct once_scen *os = w->os;

	for (;;) {
		pthread_barrier_wait(&os->start);
		if (atomic_load(&os->stop))
			return NULL;
		if (w->id < 0) {
			/* the sender: let the receivers register first */
			for (int i = 0; i < 400 && !atomic_load(&os->async_registered); i++)
				sched_yield();
			if (tu_rand(&w->rng) & 1)
				sleep_us(50);
			if (os->do_send) {
				os->send_rc = os->bcast ?
				    achan_bcast_send(as_bc(os), &os->stamp) :
				    achan_oneshot_send(as_os(os), &os->stamp);
				if (os->send_rc == ACHAN_OK)
					atomic_fetch_add(&os->s->transferred, 1);
				else
					atomic_fetch_add(&os->s->returned, 1);
			}
			release_role(os->s, ROLE_SENDER);	/* closes */
		} else {
			uint64_t out;
			int rc;

			do {
				out = ~0ull;
				rc = once_recv_one(w, &out);
			} while (rc == ACHAN_TIMEDOUT || rc == ACHAN_CANCELLED);
			os->rc[w->id] = rc;
			os->out[w->id] = out;
		}
		/* release: our results happen-before main's check */
		atomic_fetch_add_explicit(&os->ndone, 1, memory_order_release);
	}
}

static int
once_round_done(void *arg)
{
	struct once_scen *os = arg;

	/* acquire: pairs with each thread's release increment */
	return atomic_load_explicit(&os->ndone, memory_order_acquire) ==
	    ONCE_NR + 1;
}

static void
once_round(struct once_scen *os, unsigned long round)
{
	int rc;

	os->stamp = 0x5eed000000000000ull | round;
	os->do_send = round % 4 != 1;
	os->early_rx = round % 4 == 2;
	os->send_rc = -1;
	for (int i = 0; i < ONCE_NR; i++)
		os->rc[i] = -1;
	atomic_store(&os->ndestroyed, 0);
	atomic_store(&os->async_registered, 0);
	for (;;) {
		if (os->bcast)
			rc = achan_bcast_pair(&os->btx, &os->brx, 8, 0);
		else
			rc = achan_oneshot_pair(&os->otx, &os->orx, 8, 0);
		if (rc != ACHAN_ENOMEM)
			break;
		check_enomem(os->s, ACHAN__FP_ONCE_CREATE);
		if (achan_bcast_sender_bcast(&os->btx) != NULL ||
		    achan_bcast_receiver_bcast(&os->brx) != NULL ||
		    achan_oneshot_sender_oneshot(&os->otx) != NULL ||
		    achan_oneshot_receiver_oneshot(&os->orx) != NULL)
			violation(os->s, &os->s->bad_enomem,
			    "pair: ENOMEM left a handle set");
	}
	if (rc != ACHAN_OK)
		bail_out("oneshot pair: %s", st_name(rc));
	if (os->bcast) {
		struct achan_bcast *b = achan_bcast_sender_bcast(&os->btx);

		achan_bcast_set_elem_dtor(b, once_dtor, os);
		os->o = &b->o;
	} else {
		struct achan_oneshot *o1 = achan_oneshot_sender_oneshot(&os->otx);

		achan_oneshot_set_elem_dtor(o1, once_dtor, os);
		os->o = &o1->o;
	}
	keep(&os->o->obj);
	atomic_store(&os->s->held[0], 1);
	atomic_store(&os->s->held[1], 1);

	atomic_store(&os->ndone, 0);
	pthread_barrier_wait(&os->start);
	if (os->early_rx)
		release_role(os->s, ROLE_RECEIVER);
	if (!wait_until(once_round_done, os, JOIN_TIMEOUT_S * 1000L))
		bail_out("%s: round %lu: a oneshot receiver or the sender still "
		    "blocked after %d s", cur_case, round, JOIN_TIMEOUT_S);
	agent_quiesce();
	release_role(os->s, ROLE_RECEIVER);
	release_role(os->s, ROLE_SENDER);
	unkeep(&os->o->obj);	/* frees: the destructor takes a value left */

	/* conservation */
	int taken = 0, closed = 0;

	for (int i = 0; i < ONCE_NR; i++) {
		if (os->rc[i] == ACHAN_OK) {
			taken++;
			atomic_fetch_add(&os->s->received, 1);
			if (os->out[i] != os->stamp)
				violation(os->s, &os->s->bad_value,
				    "round %lu: receiver %d got a wrong value", round, i);
		} else if (os->rc[i] == ACHAN_CLOSED) {
			closed++;
		} else {
			violation(os->s, &os->s->weird_rc, "round %lu: receiver %d: %s",
			    round, i, st_name(os->rc[i]));
		}
	}
	int destroyed = atomic_load(&os->ndestroyed);
	int sent = os->send_rc == ACHAN_OK;

	atomic_fetch_add(&os->s->destroyed, (unsigned long)destroyed);
	if (atomic_load(&os->bad_destroyed))
		violation(os->s, &os->s->bad_value, "round %lu: destroyed a wrong value",
		    round);
	if (os->do_send && os->send_rc != ACHAN_OK && os->send_rc != ACHAN_CLOSED)
		violation(os->s, &os->s->weird_rc, "round %lu: send: %s", round,
		    st_name(os->send_rc));
	if (!os->bcast) {
		if (sent && taken + destroyed != 1)
			violation(os->s, taken + destroyed ? &os->s->dup : &os->s->lost,
			    "round %lu: oneshot sent, taken %d, destroyed %d",
			    round, taken, destroyed);
		if (!sent && taken + destroyed != 0)
			violation(os->s, &os->s->phantom,
			    "round %lu: not sent, taken %d, destroyed %d",
			    round, taken, destroyed);
	} else {
		if (sent && (taken != ONCE_NR || destroyed != 1))
			violation(os->s, &os->s->lost,
			    "round %lu: bcast sent, %d of %d receivers got it, destroyed %d",
			    round, taken, ONCE_NR, destroyed);
		if (!sent && (taken != 0 || destroyed != 0))
			violation(os->s, &os->s->phantom,
			    "round %lu: bcast not sent, %d got a value, destroyed %d",
			    round, taken, destroyed);
	}
}

static void
once_run(struct scen *s, int attempt)
{
	struct once_scen *os = calloc(1, sizeof(*os));
	struct once_worker wk[ONCE_NR + 1];
	unsigned long r;

	if (os == NULL)
		bail_out("out of memory");
	os->s = s;
	s->ctx = os;
	os->s->release = once_release;
	os->s->close = once_close;
	os->bcast = s->kind == K_BCAST;
	pthread_barrier_init(&os->start, NULL, ONCE_NR + 2);
	for (int i = 0; i <= ONCE_NR; i++) {
		memset(&wk[i], 0, sizeof(wk[i]));
		wk[i].os = os;
		wk[i].id = i - 1;
		wk[i].rng = (uint64_t)(attempt * 16 + i + 7) * 0xbf58476d1ce4e5b9ull;
		owner_init(&wk[i].own, os->s, wk[i].rng);
		spawn(&wk[i].t, once_thread, &wk[i]);
	}
	/* only the async receiver (id 0) answers pokes; the others ignore them */
	wk[1].own.registered = &os->async_registered;
	owner_enlist(&wk[1].own);
	arm(os->s);
	for (r = 0; r < ONCE_MAX_ROUNDS; r++) {
		if (r >= ONCE_MIN_ROUNDS && atomic_load(&fired))
			break;
		once_round(os, r + (unsigned long)attempt * 1000);
	}
	disarm();
	atomic_store(&os->stop, 1);
	pthread_barrier_wait(&os->start);
	for (int i = 0; i <= ONCE_NR; i++)
		join_bounded(wk[i].t, "a oneshot thread");
	agent_quiesce();
	pthread_barrier_destroy(&os->start);
	s->nowners = 0;
	s->ctx = NULL;
	free(os);
}

/* ===== state broadcast =================================================== */

#define ST_SENDS 32
#define ST_NR 3			/* readers: async, blocking, try */
#define ST_MAXSEQ 256

struct st_val {
	uint64_t seq, check;
};

#define ST_MIX 0x9e3779b97f4a7c15ull

struct state_scen {
	struct scen *s;
	struct achan_state *st;
	struct achan_state_sender tx;
	struct achan_state_receiver rx;
	pthread_barrier_t bar;
	uint64_t seq_of_id[ST_MAXSEQ + 2];	/* by the publisher */
	uint64_t final_id;
};

struct state_worker {
	pthread_t t;
	struct state_scen *ss;
	int id;		/* -1 publisher; 0.. readers (mode = id) */
	uint64_t rng;
	struct owner own;
	/* reader's log */
	uint64_t ids[ST_MAXSEQ + 2], seqs[ST_MAXSEQ + 2];
	int n;
	uint64_t last;
	atomic_ullong seen;	/* last, for the publisher's drain check */
};

static void
state_release(struct scen *s, int role)
{
	struct state_scen *ss = s->ctx;
	int rc = role == ROLE_SENDER ? achan_state_sender_release(&ss->tx) :
	    achan_state_receiver_release(&ss->rx);

	if (rc != ACHAN_OK)
		violation(s, &s->weird_rc, "handle release: %s", st_name(rc));
}

static void
state_close(struct scen *s)
{
	struct state_scen *ss = s->ctx;
	int rc = achan_state_close(ss->st);

	if (rc != ACHAN_NEWLY_CLOSED && rc != ACHAN_ALREADY_CLOSED)
		violation(s, &s->weird_rc, "close: %s", st_name(rc));
}

static int
state_poll_fn(void *f, const struct achan_waker *w)
{
	return achan_state_recv_poll(f, w);
}

static int
state_cancel_fn(void *f)
{
	return achan_state_recv_cancel(f);
}

static int
state_recv_one(struct state_worker *w, struct st_val *v, uint64_t *id)
{
	struct achan_state *st = w->ss->st;
	struct achan_state_recv_future f;
	struct timespec dl;
	unsigned empty = 0;
	int rc;

	switch (w->id) {
	case 0:
		achan_state_recv_future_init(&f, st, w->last, v, id);
		return drive(&w->own, &f, state_poll_fn, state_cancel_fn);
	case 1:
		if ((tu_rand(&w->rng) & 1) || atomic_load(&w->ss->s->drain))
			return achan_state_recv(st, w->last, v, id);
		dl = deadline_in_us((long)(tu_rand(&w->rng) % 1000));
		return achan_state_recv_until(st, w->last, v, id, &dl);
	default:
		while ((rc = achan_state_try_recv(st, w->last, v, id)) ==
		    ACHAN_EMPTY)
			if (++empty % 64 == 0)
				sleep_us(30);
			else
				sched_yield();
		return rc;
	}
}

/* arg: the publisher; its readers follow it in the array. */
static int
state_drained(void *arg)
{
	struct state_worker *pub = arg;
	struct state_scen *ss = pub->ss;

	if (achan_state_is_closed(ss->st))
		return 1;	/* an action closed it: the close wakes them */
	for (int i = 1; i <= ST_NR; i++)
		if (atomic_load(&pub[i].seen) != ss->final_id)
			return 0;
	return 1;
}

static void *
state_thread(void *arg)
{
	struct state_worker *w = arg;
	struct state_scen *ss = w->ss;

	pthread_barrier_wait(&ss->bar);
	if (w->id < 0) {
		uint64_t id = 0;

		for (uint64_t seq = 0; seq < ST_MAXSEQ && id < ST_SENDS; seq++) {
			struct st_val v = { seq, seq * ST_MIX };
			int rc = achan_state_send(ss->st, &v);

			if (rc == ACHAN_OK) {
				ss->seq_of_id[++id] = seq;
				atomic_fetch_add(&ss->s->transferred, 1);
			} else {
				atomic_fetch_add(&ss->s->returned, 1);
				if (rc == ACHAN_ENOMEM)
					check_enomem(ss->s, ACHAN__FP_STATE_SNAP_ALLOC);
				else if (rc == ACHAN_CLOSED)
					break;
				else
					violation(ss->s, &ss->s->weird_rc, "send: %s",
					    st_name(rc));
			}
			if (seq % 4 == 3)
				sleep_us(200);	/* readers catch up and wait */
		}
		ss->final_id = id;
		/* Every reader must be woken for the final state before the
		 * close wakes them all anyway. */
		atomic_store(&ss->s->drain, 1);
		if (!wait_until(state_drained, w, DRAIN_MS))
			violation(ss->s, &ss->s->lost_wakes,
			    "stall: a reader still short of the final id %llu after "
			    "%d ms (a lost wakeup)", (unsigned long long)id, DRAIN_MS);
		release_role(ss->s, ROLE_SENDER);	/* closes */
		return NULL;
	}
	for (;;) {
		struct st_val v = { ~0ull, 0 };
		uint64_t id = 0;
		int rc = state_recv_one(w, &v, &id);

		if (rc == ACHAN_CLOSED)
			break;
		if (rc == ACHAN_TIMEDOUT || rc == ACHAN_CANCELLED)
			continue;
		if (rc != ACHAN_OK) {
			violation(ss->s, &ss->s->weird_rc, "recv: %s", st_name(rc));
			break;
		}
		atomic_fetch_add(&ss->s->received, 1);
		if (id <= w->last)
			violation(ss->s, &ss->s->bad_order, "id %llu after %llu",
			    (unsigned long long)id, (unsigned long long)w->last);
		if (v.check != v.seq * ST_MIX || id > ST_MAXSEQ)
			violation(ss->s, &ss->s->bad_value, "a torn or corrupt state");
		else if (w->n < ST_MAXSEQ) {
			w->ids[w->n] = id;
			w->seqs[w->n++] = v.seq;
		}
		w->last = id;
		atomic_store(&w->seen, id);
	}
	return NULL;
}

static void
state_run(struct scen *s, int attempt)
{
	struct state_scen *ss = calloc(1, sizeof(*ss));
	struct state_worker *wk = calloc(ST_NR + 1, sizeof(*wk));
	int rc;

	if (ss == NULL || wk == NULL)
		bail_out("out of memory");
	ss->s = s;
	s->ctx = ss;
	ss->s->release = state_release;
	ss->s->close = state_close;
	arm(ss->s);
	while ((rc = achan_state_pair(&ss->tx, &ss->rx, sizeof(struct st_val),
	    0)) == ACHAN_ENOMEM) {
		check_enomem(ss->s, ACHAN__FP_STATE_CREATE);
		if (achan_state_sender_state(&ss->tx) != NULL ||
		    achan_state_receiver_state(&ss->rx) != NULL)
			violation(ss->s, &ss->s->bad_enomem,
			    "pair: ENOMEM left a handle set");
	}
	if (rc != ACHAN_OK)
		bail_out("achan_state_pair: %s", st_name(rc));
	ss->st = achan_state_sender_state(&ss->tx);
	keep(&ss->st->obj);
	atomic_store(&ss->s->held[0], 1);
	atomic_store(&ss->s->held[1], 1);
	pthread_barrier_init(&ss->bar, NULL, ST_NR + 2);
	for (int i = 0; i <= ST_NR; i++) {
		wk[i].ss = ss;
		wk[i].id = i - 1;
		wk[i].rng = (uint64_t)(attempt * 16 + i + 3) * 0x2545f4914f6cdd1dull;
		owner_init(&wk[i].own, ss->s, wk[i].rng);
		spawn(&wk[i].t, state_thread, &wk[i]);
	}
	owner_enlist(&wk[1].own);
	pthread_barrier_wait(&ss->bar);
	for (int i = 0; i <= ST_NR; i++)
		join_bounded(wk[i].t, i == 0 ? "the state publisher" :
		    "a state reader");
	release_role(ss->s, ROLE_RECEIVER);
	release_role(ss->s, ROLE_SENDER);
	disarm();
	agent_quiesce();
	pthread_barrier_destroy(&ss->bar);
	unkeep(&ss->st->obj);	/* frees every snapshot */

	for (int i = 1; i <= ST_NR; i++) {
		struct state_worker *w = &wk[i];

		if (w->last != ss->final_id)
			violation(ss->s, &ss->s->not_final,
			    "reader %d ended on id %llu, the final id is %llu", i - 1,
			    (unsigned long long)w->last,
			    (unsigned long long)ss->final_id);
		for (int j = 0; j < w->n; j++)
			if (w->ids[j] > ss->final_id ||
			    ss->seq_of_id[w->ids[j]] != w->seqs[j])
				violation(ss->s, &ss->s->bad_value,
				    "reader %d: id %llu carried the wrong state", i - 1,
				    (unsigned long long)w->ids[j]);
	}
	s->nowners = 0;
	s->ctx = NULL;
	free(wk);
	free(ss);
}

/* ===== the cases ========================================================= */

static unsigned long fired_at[ACHAN__FP_COUNT][A_COUNT];
static unsigned long cases_run, cases_fired;
/* failures other than known bugs (TODO): they alone decide the exit status,
 * since tap.c's exit_status() counts a TODO's "not ok" too */
static unsigned long real_failures;
static unsigned long long moved_total;

/* Attempts per case: at least min_attempts (2 * ACHAN_TEST_SECONDS, at
 * least 2), more (up to min_attempts + 3) until the point fired. */
static int min_attempts = 2;

static void
run_case(int p, int k, int a)
{
	char name[160];
	struct scen s;
	int attempt, did_fire = 0;
	unsigned long bad = 0;
	const char *todo = known_bug(p, k, a);
	char first[200] = "";

	snprintf(name, sizeof(name), "%s %s %s", P[p].name, kind_name[k],
	    action_name[a]);
	cur_case = name;
	unsigned long tr = 0, ret = 0, rcv = 0, des = 0;

	for (attempt = 0; attempt < min_attempts ||
	    (!did_fire && attempt < min_attempts + 3); attempt++) {
		scen_init(&s, k, p, a);
		switch (k) {
		case K_CHAN:
		case K_UNBUF:
			chan_run(&s, attempt);
			break;
		case K_ONCE:
		case K_BCAST:
			once_run(&s, attempt);
			break;
		default:
			state_run(&s, attempt);
			break;
		}
		did_fire |= atomic_load(&fired);
		bad += violations(&s);
		if (violations(&s) && first[0] == '\0')
			snprintf(first, sizeof(first), "%s", s.first);
		tr += atomic_load(&s.transferred);
		ret += atomic_load(&s.returned);
		rcv += atomic_load(&s.received);
		des += atomic_load(&s.destroyed);
		if (a == A_FAIL && atomic_load(&fired) &&
		    atomic_load(&s.enomem_seen) == 0)
			bad++;
	}
	cases_run++;
	moved_total += rcv;
	if (did_fire) {
		cases_fired++;
		fired_at[p][a]++;
	}
	if (todo != NULL && bad != 0) {
		/* "not ok ... # TODO": an expected failure (XFAIL) */
		ok(0, "%s: known bug # TODO %s", name, todo);
		diag("    %lu violation(s); first: %s", bad, first);
		return;
	}
	if (!ok(bad == 0, "%s: %s; %lu transferred, %lu returned, %lu received, "
	    "%lu destroyed", name, did_fire ? "fired" : "NOT FIRED",
	    tr, ret, rcv, des)) {
		diag("    %lu violation(s); first: %s", bad, first);
		real_failures++;
	}
}

int
main(void)
{
	unsigned long t_cases = 0;
	int p, k, a;
	struct timespec t0 = tu_now();

	double secs = tap_test_seconds();

	min_attempts = secs * 2 > 2 ? (int)(secs * 2) : 2;
	tap_watchdog(600 + (unsigned)(secs * 120));
	if (pthread_create(&agent.t, NULL, agent_main, NULL) != 0)
		bail_out("pthread_create");
	diag("%d fault points compiled in (lib/fault.h); %d attempts per case",
	    ACHAN__FP_COUNT, min_attempts);

	for (p = 0; p < ACHAN__FP_COUNT; p++)
		for (k = 0; k < K_COUNT; k++) {
			if (!(P[p].kinds & (1u << k)))
				continue;
			for (a = 0; a < A_COUNT; a++)
				if (applies(p, a)) {
					run_case(p, k, a);
					t_cases++;
				}
		}

	atomic_store(&agent.quit, 1);
	atomic_fetch_add(&agent.req, 0);
	tu_futex_wake(&agent.req);

	/* coverage */
	int reached = 0;

	for (p = 0; p < ACHAN__FP_COUNT; p++) {
		unsigned long long n = atomic_load(&reach[p]);

		reached += n != 0;
		if (!ok(n != 0, "point %s reached (%llu hits)", P[p].name, n)) {
			diag("    dead hook: %s (%s)", P[p].name, P[p].where);
			real_failures++;
		}
	}
	diag("coverage: %d points, %d reached at least once", ACHAN__FP_COUNT,
	    reached);
	for (a = 0; a < A_COUNT; a++) {
		int applicable = 0, got = 0;
		char missing[512] = "";

		for (p = 0; p < ACHAN__FP_COUNT; p++) {
			if (!applies(p, a))
				continue;
			applicable++;
			if (fired_at[p][a])
				got++;
			else if (strlen(missing) + strlen(P[p].name) + 2 <
			    sizeof(missing)) {
				strcat(missing, " ");
				strcat(missing, P[p].name);
			}
		}
		diag("action %-10s fired at %d of %d applicable points", action_name[a],
		    got, applicable);
		if (!ok(got == applicable, "action %s fired at every point it applies to",
		    action_name[a])) {
			diag("    never fired at:%s", missing);
			real_failures++;
		}
	}
	diag("%lu cases (%lu fired), %llu values received, %.1f s", cases_run,
	    cases_fired, moved_total, tu_ms_between(t0, tu_now()) / 1e3);
	pthread_join(agent.t, NULL);
	done_testing();
	return real_failures == 0 ? 0 : 1;
}
