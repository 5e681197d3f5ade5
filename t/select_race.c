/*
 * t/select_race.c - achan_select under threaded races (issue 15): selects
 * over channels racing plain senders and receivers, other selects, closes
 * and cancels, with every value stamped and checked where it arrives.
 *
 * A channel value is {producer id << 48 | sequence, mix(stamp)} (the
 * payload of stress/stress.c).  Checked in every race:
 *
 *   - exactly once: per producer and channel, the count and a hash sum of
 *     the sequences received equal those sent - a send counts when its
 *     plain call or its select case answered ACHAN_OK (a select future's
 *     cancel answering ACHAN_OK with the case's index included), and a send
 *     select that did not complete retries the same value;
 *   - per-producer FIFO per channel: the sequences one receiver sees from one
 *     producer through one channel strictly increase (a duplicate shows up
 *     here too);
 *   - no trace of the other cases: before each select every receive case's
 *     buffer (and a state case's id) holds a sentinel; afterwards only the
 *     buffer of the case that completed with ACHAN_OK may differ - none after
 *     TIMEDOUT / EMPTY / CANCELLED, or for a case that answered CLOSED;
 *   - status and index: only what the form may answer (TIMEDOUT only with a
 *     deadline, EMPTY only from try, CANCELLED only from cancel), and
 *     *index names an enabled case;
 *   - the select future's waker contract: at most one call per PENDING, none
 *     once poll has finished or cancel has returned;
 *   - nobody left blocked: a pending select future not woken within 5 s
 *     while one of its cases is ready is a lost wakeup; every thread of a
 *     run must be joined within 30 s of the close that ends it; a watchdog
 *     ends the program if anything else hangs.
 *
 * The races:
 *   a. receive selects: producers p even -> A, odd -> B (capacity 1, 4, 64
 *      and unbuffered); consumers select over {recv A, recv B} until both
 *      are closed, turning a case into ACHAN_SELECT_NONE once its channel
 *      answered CLOSED; every value also arrives through its producer's
 *      channel;
 *   b. send selects: producers select over {send A, send B} (bounded and
 *      unbuffered), plain consumers on A and on B;
 *   c. mixed: {send A, recv B} racing plain senders on B and receivers on
 *      A; {send U, recv U} on one unbuffered channel, which never meets
 *      itself - alone it times out, in a race it never receives its own
 *      value;
 *   d. close and cancel: A and B closed at random moments while send and
 *      receive selects of every form (futures cancelled at random moments
 *      after their first PENDING) and plain users run;
 *   e. shutdown: workers select over {a shutdown broadcast, their own
 *      oneshot, a state, recv work}; the broadcast is sent once the jobs
 *      are in: every worker must leave through the broadcast case, and
 *      after draining the work channel with try_recv nothing is left.
 *
 * Select forms (a thread keeps one): B achan_select; D achan_select_until
 * with short deadlines that often expire (some already past); T an
 * achan_select_try loop; F the select future woken by a flag waker (now and
 * then re-polled without waiting, or cancelled and started again); C the
 * future cancelled at a random moment after its first PENDING.  Biased one
 * select in four; sometimes a channel appears in two cases, sometimes a
 * NONE case is added; the order of the cases is random.
 *
 * Runs are time-sliced: about 1.5 * ACHAN_TEST_SECONDS (default 1) in all,
 * plus thread start-up.  $SELECT_RACE_SEED changes the random choices
 * (each violation names its run and seed); thread interleavings are, of
 * course, not reproducible.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>

#include "test_util.h"

#define MAXP 8			/* producer ids per run */
#define MAXA 14			/* threads per run */
#define MAXC 6			/* cases per select */
#define WAKE_TIMEOUT_MS 5000	/* no wake this long, a case ready: lost */
#define HANG_MS 30000		/* no wake this long at all: a hang */
#define JOIN_TIMEOUT_S 30
#define STALL_MS 3000		/* nothing moved this long in a live run */
#define SEQ_MASK 0xffffffffffffull
#define SENTINEL UINT64_MAX

enum mode { M_BLOCK, M_UNTIL, M_TRY, M_FUTURE, M_CANCEL, M_NMODES };
static const char mode_ch[M_NMODES + 1] = "BDTFC";
enum pmode { PL_BLOCK, PL_UNTIL, PL_TRY };
static const char pmode_ch[4] = "bdt";
enum { AGAIN = 1000 };		/* nothing completed: select again */

struct msg {
	uint64_t stamp;		/* producer << 48 | sequence */
	uint64_t check;		/* mix(stamp) */
};

/* splitmix64's finaliser: the check word and the hash of a sequence */
static uint64_t
mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct msg
mkmsg(uint64_t pid, uint64_t seq)
{
	struct msg m;

	m.stamp = pid << 48 | seq;
	m.check = mix(m.stamp);
	return m;
}

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

static struct timespec
add_us(struct timespec t, long us)
{
	long long ns = (long long)t.tv_nsec + (long long)us * 1000;

	t.tv_sec += (time_t)(ns / 1000000000LL);
	t.tv_nsec = (long)(ns % 1000000000LL);
	return t;
}

/* --- violations: recorded by any thread, printed by main ------------------ */

static atomic_ulong nbad;
static pthread_mutex_t bad_lock = PTHREAD_MUTEX_INITIALIZER;
static char bad_buf[10][512];
static unsigned bad_n;
static char run_name[128];	/* set by main before a run's threads start */
static uint64_t run_seed;

static void bad(const char *fmt, ...) TAP_PRINTF(1, 2);

static void
bad(const char *fmt, ...)
{
	va_list ap;
	char m[280];

	if (atomic_fetch_add(&nbad, 1) >= 10)
		return;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&bad_lock);
	if (bad_n < 10)
		snprintf(bad_buf[bad_n++], sizeof(bad_buf[0]),
		    "[%s, seed %llu] %s", run_name,
		    (unsigned long long)run_seed, m);
	pthread_mutex_unlock(&bad_lock);
}

static void
bad_flush(void)
{
	pthread_mutex_lock(&bad_lock);
	for (unsigned i = 0; i < bad_n; i++)
		diag("VIOLATION %s", bad_buf[i]);
	bad_n = 0;
	pthread_mutex_unlock(&bad_lock);
}

/* --- the flag waker of a select future, with the contract's checks -------- */

struct fwaker {
	atomic_uint v;		/* futex word: 1 once woken */
	atomic_int armed;	/* 0: no call may come; 1: one registration;
				 * 2: an earlier one's call may still come */
	atomic_int calls;	/* since the last arm */
	struct achan_waker w;
};

static void
fw_wake(void *arg)
{
	struct fwaker *f = arg;
	int armed = atomic_load(&f->armed);

	if (armed == 0)
		bad("the select's waker ran after poll finished or cancel "
		    "returned");
	if (atomic_fetch_add(&f->calls, 1) != 0 && armed == 1)
		bad("the select's waker ran twice for one PENDING");
	atomic_store_explicit(&f->v, 1, memory_order_release);
	tu_futex_wake(&f->v);
}

static void
fw_init(struct fwaker *f)
{
	atomic_init(&f->v, 0);
	atomic_init(&f->armed, 0);
	atomic_init(&f->calls, 0);
	f->w.wake = fw_wake;
	f->w.arg = f;
}

static void
fw_arm(struct fwaker *f, int how)
{
	atomic_store(&f->v, 0);
	atomic_store(&f->calls, 0);
	atomic_store(&f->armed, how);
}

static void
fw_disarm(struct fwaker *f)
{
	atomic_store(&f->armed, 0);
}

/* --- runs and their threads --------------------------------------------- */

struct run;

struct agent {
	pthread_t t;
	struct run *r;
	void *(*fn)(void *);
	int id;			/* producer id, or -1 */
	int mode;		/* select threads: enum mode */
	int pmode;		/* plain threads: enum pmode */
	int chan;		/* plain threads: 0 (A) or 1 (B) */
	uint32_t kind[2];	/* select threads: what they do on A and B */
	uint64_t quota;		/* plain producers: this many, then stop */
	int slot;		/* part e: the worker's oneshot */
	uint64_t rng;
	struct fwaker fw;
	atomic_ulong progress;	/* values sent + received; read by main */
	/* as a producer */
	uint64_t seq;
	uint64_t sent_n[2], sent_h[2];
	/* as a receiver, per channel and producer */
	uint64_t got_n[2][MAXP], got_h[2][MAXP], next[2][MAXP];
	/* tallies */
	unsigned long selects, done, again, pendings, cancel_ok, cancel_no;
	/* part e */
	int e_exit;		/* 1: left through the shutdown case */
	int e_one_n, e_one_closed;
	struct msg e_one;
	unsigned long e_states, e_jobs_drained;
};

struct run {
	struct achan_chan *ch[2];	/* ch[1] may be ch[0] (one channel) */
	int np;				/* producer ids 0 .. np-1 */
	int fixed;			/* producer p sends only on channel p&1 */
	atomic_int stop;
	int na;
	struct agent ag[MAXA];
	/* part e */
	struct achan_bcast *shut;
	struct achan_state *st;
	struct achan_oneshot *os[MAXA];
	int os_sent[MAXA];		/* side: 1 sent, 0 closed */
	unsigned os_at[MAXA];		/* side: after this many states */
	unsigned nstates;
	uint64_t round;
	struct msg shut_val;
	double stall_ms;		/* the longest time nothing moved */
};

static uint64_t base_seed = 0x5e1ec7ull;
static unsigned run_no;

static struct run *
run_new(const char *fmt, ...) TAP_PRINTF(1, 2);

static struct run *
run_new(const char *fmt, ...)
{
	struct run *r = calloc(1, sizeof(*r));
	va_list ap;

	if (r == NULL)
		bail_out("out of memory");
	va_start(ap, fmt);
	vsnprintf(run_name, sizeof(run_name), fmt, ap);
	va_end(ap);
	run_seed = mix(base_seed + ++run_no);
	atomic_init(&r->stop, 0);
	return r;
}

static void
mkchans(struct run *r, size_t ca, size_t cb)
{
	if (achan_chan_create(&r->ch[0], sizeof(struct msg), ca, 0) != ACHAN_OK ||
	    achan_chan_create(&r->ch[1], sizeof(struct msg), cb, 0) != ACHAN_OK)
		bail_out("achan_chan_create");
}

static struct agent *
add(struct run *r, void *(*fn)(void *), int id)
{
	struct agent *a;

	if (r->na == MAXA)
		bail_out("too many threads in a run");
	a = &r->ag[r->na++];
	memset(a, 0, sizeof(*a));
	a->r = r;
	a->fn = fn;
	a->id = id;
	a->rng = mix(run_seed + (uint64_t)r->na * 0x9e3779b97f4a7c15ull);
	fw_init(&a->fw);
	return a;
}

/* Sleep ms while the run goes on, noting the longest time in which no
 * value moved. */
static void
watch(struct run *r, double ms)
{
	struct timespec t0 = tu_now(), last = t0, now;
	unsigned long seen = 0, sum;

	for (;;) {
		now = tu_now();
		sum = 0;
		for (int i = 0; i < r->na; i++)
			sum += atomic_load_explicit(&r->ag[i].progress,
			    memory_order_relaxed);
		if (sum != seen) {
			seen = sum;
			last = now;
		}
		if (tu_ms_between(last, now) > r->stall_ms)
			r->stall_ms = tu_ms_between(last, now);
		if (tu_ms_between(t0, now) >= ms)
			return;
		tu_sleep_ms(1);
	}
}

static void *plain_producer(void *arg);
static void *plain_consumer(void *arg);

static void
spawn(struct run *r)
{
	for (int i = 0; i < r->na; i++)
		if (pthread_create(&r->ag[i].t, NULL, r->ag[i].fn, &r->ag[i]) != 0)
			bail_out("pthread_create");
}

static void
join(struct agent *a)
{
	struct timespec ts;
	int sel = a->fn != plain_producer && a->fn != plain_consumer;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += JOIN_TIMEOUT_S;
	if (pthread_timedjoin_np(a->t, NULL, &ts) != 0) {
		bad_flush();
		bail_out("%s: a thread (id %d, %s %c) still blocked %d s after "
		    "the close that ends its run: lost wakeup or hang",
		    run_name, a->id, sel ? "select" : "plain",
		    sel ? mode_ch[a->mode] : pmode_ch[a->pmode], JOIN_TIMEOUT_S);
	}
}

/* The channel a value is accounted to: A and B, or both 0 for one channel. */
static int
acct_of(const struct run *r, int c)
{
	return r->ch[1] == r->ch[0] ? 0 : c;
}

/* A value received through channel c. */
static void
record(struct agent *a, int c, const struct msg *m)
{
	struct run *r = a->r;
	unsigned pid = (unsigned)(m->stamp >> 48);
	uint64_t seq = m->stamp & SEQ_MASK;

	if (m->check != mix(m->stamp) || pid >= (unsigned)r->np) {
		bad("channel %c: corrupt value %016llx/%016llx", "AB"[c],
		    (unsigned long long)m->stamp, (unsigned long long)m->check);
		return;
	}
	if (r->fixed && (int)(pid & 1) != c)
		bad("producer %u's value %llu came through channel %c", pid,
		    (unsigned long long)seq, "AB"[c]);
	if (a->id >= 0 && pid == (unsigned)a->id)
		bad("a select met itself: thread %d received its own value %llu",
		    a->id, (unsigned long long)seq);
	if (seq < a->next[c][pid])
		bad("channel %c, producer %u: sequence %llu after %llu "
		    "(duplicate or out of order)", "AB"[c], pid,
		    (unsigned long long)seq,
		    (unsigned long long)a->next[c][pid] - 1);
	a->next[c][pid] = seq + 1;
	a->got_n[c][pid]++;
	a->got_h[c][pid] += mix(seq);
	atomic_store_explicit(&a->progress, atomic_load_explicit(&a->progress,
	    memory_order_relaxed) + 1, memory_order_relaxed);
}

static void
count_sent(struct agent *a, int c)
{
	a->sent_n[c]++;
	a->sent_h[c] += mix(a->seq);
	a->seq++;
	atomic_store_explicit(&a->progress, atomic_load_explicit(&a->progress,
	    memory_order_relaxed) + 1, memory_order_relaxed);
}

/* Exactly once: per producer and channel, sent == received.  Returns the
 * number of values sent. */
static unsigned long long
run_check(struct run *r)
{
	unsigned long long total = 0;

	for (int p = 0; p < r->np; p++) {
		struct agent *prod = NULL;

		for (int i = 0; i < r->na; i++)
			if (r->ag[i].id == p)
				prod = &r->ag[i];
		for (int c = 0; c < 2; c++) {
			uint64_t n = 0, h = 0;
			uint64_t sn = prod ? prod->sent_n[c] : 0;
			uint64_t sh = prod ? prod->sent_h[c] : 0;

			for (int i = 0; i < r->na; i++) {
				n += r->ag[i].got_n[c][p];
				h += r->ag[i].got_h[c][p];
			}
			if (n != sn || h != sh)
				bad("producer %d, channel %c: sent %llu, received "
				    "%llu%s", p, "AB"[c], (unsigned long long)sn,
				    (unsigned long long)n, n == sn ?
				    " (same count, other values)" : "");
			total += sn;
		}
	}
	return total;
}

/* --- one select, in the thread's form ------------------------------------- */

static int
is_recv(uint32_t kind)
{
	return kind == ACHAN_SELECT_CHAN_RECV ||
	    kind == ACHAN_SELECT_ONESHOT_RECV ||
	    kind == ACHAN_SELECT_BCAST_RECV || kind == ACHAN_SELECT_STATE_RECV;
}

/* Every receive buffer of this program is a struct msg. */
static void
arm_outs(struct achan_select_case *cs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!is_recv(cs[i].kind))
			continue;
		((struct msg *)cs[i].out)->stamp = SENTINEL;
		((struct msg *)cs[i].out)->check = SENTINEL;
		if (cs[i].id != NULL)
			*cs[i].id = SENTINEL;
	}
}

static void
check_outs(struct agent *a, struct achan_select_case *cs, size_t n, size_t won,
		int rc)
{
	for (size_t i = 0; i < n; i++) {
		const struct msg *o = cs[i].out;

		if (!is_recv(cs[i].kind) || (i == won && rc == ACHAN_OK))
			continue;
		if (o->stamp != SENTINEL || o->check != SENTINEL ||
		    (cs[i].id != NULL && *cs[i].id != SENTINEL))
			bad("%c select of %zu cases: case %zu (kind %u) wrote its "
			    "buffer (%016llx) though %s", mode_ch[a->mode], n, i,
			    cs[i].kind, (unsigned long long)o->stamp,
			    i == won ? "it answered CLOSED" :
			    won >= n ? "no case completed" : "another case won");
	}
}

static int
case_ready(const struct achan_select_case *c)
{
	size_t cap;

	switch (c->kind) {
	case ACHAN_SELECT_CHAN_RECV:
		return achan_chan_len(c->obj) > 0 || achan_chan_is_closed(c->obj);
	case ACHAN_SELECT_CHAN_SEND:
		cap = achan_chan_capacity(c->obj);
		return achan_chan_is_closed(c->obj) ||
		    (cap > 0 && achan_chan_len(c->obj) < cap);
	case ACHAN_SELECT_ONESHOT_RECV:
		return achan_oneshot_is_closed(c->obj);
	case ACHAN_SELECT_BCAST_RECV:
		return achan_bcast_is_closed(c->obj);
	case ACHAN_SELECT_STATE_RECV:
		return achan_state_is_closed(c->obj) ||
		    achan_state_id(c->obj) > c->after;
	default:
		return 0;
	}
}

static int
any_ready(const struct achan_select_case *cs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (case_ready(&cs[i]))
			return 1;
	return 0;
}

/* Wait for the wake of a pending select: 1, or 0 (reported) when none came
 * in WAKE_TIMEOUT_MS while a case stayed ready, or in HANG_MS at all. */
static int
wait_wake(struct agent *a, const struct achan_select_case *cs, size_t n)
{
	long waited = 0;

	for (;;) {
		if (tu_wait_word(&a->fw.v, WAKE_TIMEOUT_MS))
			return 1;
		waited += WAKE_TIMEOUT_MS;
		if (any_ready(cs, n)) {
			tu_sleep_ms(20);
			if (any_ready(cs, n) && !atomic_load(&a->fw.v)) {
				bad("lost wakeup: a pending %c select future of %zu "
				    "cases was not woken in %ld ms while a case "
				    "was ready", mode_ch[a->mode], n, waited);
				return 0;
			}
		}
		if (waited >= HANG_MS) {
			bad("a pending %c select future waited %ld ms for its wake",
			    mode_ch[a->mode], waited);
			return 0;
		}
	}
}

/* The select future: F (wait for the wake; now and then re-poll at once,
 * or cancel before or after the wake) or C (cancel at a random moment). */
static int
drive(struct agent *a, struct achan_select_case *cs, size_t n, unsigned flags,
		size_t *idx)
{
	struct achan_select sel;
	size_t ci = SIZE_MAX;
	int rc, c, lenient = 0;
	uint64_t x;

	rc = achan_select_init(&sel, cs, n, flags);
	if (rc != ACHAN_OK)
		bail_out("achan_select_init: %s", st_name(rc));
	fw_arm(&a->fw, 1);
	rc = achan_select_poll(&sel, &a->fw.w, idx);
	while (rc == ACHAN_PENDING) {
		a->pendings++;
		x = tu_rand(&a->rng);
		if (a->mode == M_CANCEL) {
			spin((unsigned)(x % 2048));
			if ((x >> 11) & 1) {
				/* once more first: completes or keeps its places */
				lenient |= !atomic_load(&a->fw.v);
				fw_arm(&a->fw, lenient ? 2 : 1);
				rc = achan_select_poll(&sel, &a->fw.w, idx);
				if (rc != ACHAN_PENDING)
					break;
			}
			goto cancel;
		}
		if ((x & 63) == 0)
			goto cancel;		/* before the wake */
		if (((x >> 8) & 7) == 0) {
			/* re-poll without waiting; the wake may still come */
			sched_yield();
			lenient |= !atomic_load(&a->fw.v);
		} else if (!wait_wake(a, cs, n)) {
			goto cancel;
		}
		if (((x >> 16) & 31) == 0)
			goto cancel;		/* woken, not polled: hand on */
		fw_arm(&a->fw, lenient ? 2 : 1);
		rc = achan_select_poll(&sel, &a->fw.w, idx);
	}
	fw_disarm(&a->fw);
	return rc;
cancel:
	c = achan_select_cancel(&sel, &ci);
	fw_disarm(&a->fw);
	if (c == ACHAN_OK) {
		a->cancel_ok++;
		*idx = ci;
		return ACHAN_OK;
	}
	if (c != ACHAN_CANCELLED)
		bad("achan_select_cancel answered %s", st_name(c));
	a->cancel_no++;
	return ACHAN_CANCELLED;
}

/* One select in a's form: ACHAN_OK / ACHAN_CLOSED with *idx, or AGAIN. */
static int
do_select(struct agent *a, struct achan_select_case *cs, size_t n, size_t *idx)
{
	uint64_t x = tu_rand(&a->rng);
	unsigned flags = (x & 3) == 0 ? ACHAN_SELECT_BIASED : 0;
	struct timespec dl;
	int rc, again;

	arm_outs(cs, n);
	*idx = SIZE_MAX;
	a->selects++;
	switch (a->mode) {
	case M_BLOCK:
		rc = achan_select(cs, n, flags, idx);
		break;
	case M_UNTIL:
		switch ((x >> 2) & 7) {
		case 0:
			dl = tu_add_ms(tu_now(), -1);	/* already past */
			break;
		case 1:
			dl = tu_add_ms(tu_now(), 2);
			break;
		default:
			dl = add_us(tu_now(), (long)((x >> 8) % 100));
			break;
		}
		rc = achan_select_until(cs, n, flags, &dl, idx);
		break;
	case M_TRY:
		rc = achan_select_try(cs, n, flags, idx);
		break;
	default:
		rc = drive(a, cs, n, flags, idx);
		break;
	}
	again = (rc == ACHAN_TIMEDOUT && a->mode == M_UNTIL) ||
	    (rc == ACHAN_EMPTY && a->mode == M_TRY) ||
	    (rc == ACHAN_CANCELLED && a->mode >= M_FUTURE);
	if (again) {
		a->again++;
		check_outs(a, cs, n, SIZE_MAX, rc);
		return AGAIN;
	}
	if ((rc != ACHAN_OK && rc != ACHAN_CLOSED) || *idx >= n ||
	    cs[*idx].kind == ACHAN_SELECT_NONE) {
		bad_flush();
		bail_out("%s: %c select of %zu cases answered %s with index %zu",
		    run_name, mode_ch[a->mode], n, st_name(rc), *idx);
	}
	a->done++;
	check_outs(a, cs, n, *idx, rc);
	return rc;
}

/* --- select threads over A and B (parts a-d) ----------------------------- */

/*
 * The cases of one select: each channel a uses, in random order, once or
 * (1 in 8) twice - as NONE once it answered CLOSED - and (1 in 8 each) a
 * NONE case first or last.  cmap: the channel of each case, -1 for NONE.
 */
static size_t
build(struct agent *a, struct achan_select_case *cs, int *cmap,
		struct msg *outs, const int *open, const struct msg *cur)
{
	struct run *r = a->r;
	uint64_t x = tu_rand(&a->rng);
	int first = (int)(x & 1);
	size_t n = 0;

	if (((x >> 1) & 7) == 0) {
		achan_select_case_none(&cs[n]);
		cmap[n++] = -1;
	}
	for (int k = 0; k < 2; k++) {
		int c = first ^ k;
		int copies = ((x >> (4 + 3 * k)) & 7) == 0 ? 2 : 1;

		if (a->kind[c] == ACHAN_SELECT_NONE)
			continue;
		for (int j = 0; j < copies; j++, n++) {
			cmap[n] = c;
			if (!open[c])
				achan_select_case_none(&cs[n]);
			else if (a->kind[c] == ACHAN_SELECT_CHAN_SEND)
				achan_select_case_chan_send(&cs[n], r->ch[c], cur);
			else
				achan_select_case_chan_recv(&cs[n], r->ch[c],
				    &outs[n]);
		}
	}
	if (((x >> 12) & 7) == 0) {
		achan_select_case_none(&cs[n]);
		cmap[n++] = -1;
	}
	return n;
}

/*
 * A thread that selects: over its receive cases until each answered CLOSED,
 * or, with send cases only, until stop or every one answered CLOSED.  A
 * send select that did not complete retries the same value.
 */
static void *
sel_agent(void *arg)
{
	struct agent *a = arg;
	struct run *r = a->r;
	struct achan_select_case cs[MAXC];
	struct msg outs[MAXC], cur;
	int cmap[MAXC], open[2], has_recv = 0;
	size_t n, idx;
	int rc, c;

	for (c = 0; c < 2; c++) {
		open[c] = a->kind[c] != ACHAN_SELECT_NONE;
		has_recv |= a->kind[c] == ACHAN_SELECT_CHAN_RECV;
	}
	cur = mkmsg((uint64_t)a->id, a->seq);
	for (;;) {
		int recv_open = 0, send_open = 0;

		for (c = 0; c < 2; c++) {
			if (open[c] && a->kind[c] == ACHAN_SELECT_CHAN_RECV)
				recv_open = 1;
			if (open[c] && a->kind[c] == ACHAN_SELECT_CHAN_SEND)
				send_open = 1;
		}
		if (has_recv ? !recv_open : (!send_open ||
		    atomic_load_explicit(&r->stop, memory_order_relaxed)))
			break;
		n = build(a, cs, cmap, outs, open, &cur);
		rc = do_select(a, cs, n, &idx);
		if (rc == AGAIN) {
			if (a->mode == M_TRY)
				sched_yield();
			continue;
		}
		c = cmap[idx];
		if (rc == ACHAN_CLOSED) {
			open[c] = 0;
			if (r->ch[c ^ 1] == r->ch[c])
				open[c ^ 1] = 0;
		} else if (a->kind[c] == ACHAN_SELECT_CHAN_RECV) {
			record(a, acct_of(r, c), &outs[idx]);
		} else {
			count_sent(a, acct_of(r, c));
			cur = mkmsg((uint64_t)a->id, a->seq);
		}
	}
	return NULL;
}

/* --- plain senders and receivers ----------------------------------------- */

static int
stopped(struct run *r)
{
	return atomic_load_explicit(&r->stop, memory_order_relaxed);
}

/* OK, CLOSED, or AGAIN (stop: the value is given up, unsent). */
static int
plain_send(struct agent *a, struct achan_chan *ch, const struct msg *m)
{
	struct timespec dl;
	int rc;

	for (;;) {
		switch (a->pmode) {
		case PL_BLOCK:
			rc = achan_chan_send(ch, m);
			break;
		case PL_UNTIL:
			dl = add_us(tu_now(), 20 + (long)(tu_rand(&a->rng) % 200));
			rc = achan_chan_send_until(ch, m, &dl);
			break;
		default:
			rc = achan_chan_try_send(ch, m);
			if (rc == ACHAN_FULL)
				sched_yield();
			break;
		}
		if (rc == ACHAN_OK || rc == ACHAN_CLOSED)
			return rc;
		if (rc != ACHAN_TIMEDOUT && rc != ACHAN_FULL) {
			bad_flush();
			bail_out("%s: plain send answered %s", run_name,
			    st_name(rc));
		}
		if (a->quota == 0 && stopped(a->r))
			return AGAIN;
	}
}

static void *
plain_producer(void *arg)
{
	struct agent *a = arg;
	struct achan_chan *ch = a->r->ch[a->chan];

	for (;;) {
		struct msg m = mkmsg((uint64_t)a->id, a->seq);

		if (a->quota ? a->seq >= a->quota : stopped(a->r))
			break;
		if (plain_send(a, ch, &m) != ACHAN_OK)
			break;
		count_sent(a, acct_of(a->r, a->chan));
	}
	return NULL;
}

static void *
plain_consumer(void *arg)
{
	struct agent *a = arg;
	struct achan_chan *ch = a->r->ch[a->chan];
	struct timespec dl;
	struct msg m;
	int rc;

	for (;;) {
		switch (a->pmode) {
		case PL_BLOCK:
			rc = achan_chan_recv(ch, &m);
			break;
		case PL_UNTIL:
			dl = add_us(tu_now(), 20 + (long)(tu_rand(&a->rng) % 200));
			rc = achan_chan_recv_until(ch, &m, &dl);
			break;
		default:
			rc = achan_chan_try_recv(ch, &m);
			if (rc == ACHAN_EMPTY)
				sched_yield();
			break;
		}
		if (rc == ACHAN_OK)
			record(a, acct_of(a->r, a->chan), &m);
		else if (rc == ACHAN_CLOSED)
			break;
		else if (rc != ACHAN_TIMEDOUT && rc != ACHAN_EMPTY) {
			bad_flush();
			bail_out("%s: plain recv answered %s", run_name,
			    st_name(rc));
		}
	}
	return NULL;
}

static struct agent *
add_plain(struct run *r, void *(*fn)(void *), int id, int chan, int pmode)
{
	struct agent *a = add(r, fn, id);

	a->chan = chan;
	a->pmode = pmode;
	return a;
}

static struct agent *
add_sel(struct run *r, int id, uint32_t ka, uint32_t kb, int mode)
{
	struct agent *a = add(r, sel_agent, id);

	a->kind[0] = ka;
	a->kind[1] = kb;
	a->mode = mode;
	return a;
}

/* --- summary -------------------------------------------------------------- */

static void
modes_of(const struct run *r, char *buf, size_t len)
{
	size_t k = 0;

	for (int i = 0; i < r->na && k + 2 < len; i++) {
		const struct agent *a = &r->ag[i];

		if (a->fn == sel_agent)
			buf[k++] = mode_ch[a->mode];
		else if (a->fn == plain_producer || a->fn == plain_consumer)
			buf[k++] = pmode_ch[a->pmode];
	}
	buf[k] = '\0';
}

static void
run_report(struct run *r, unsigned long long msgs, double secs,
		unsigned long before)
{
	unsigned long sel = 0, done = 0, again = 0, pend = 0, cok = 0, cno = 0;
	char modes[MAXA + 1];

	for (int i = 0; i < r->na; i++) {
		sel += r->ag[i].selects;
		done += r->ag[i].done;
		again += r->ag[i].again;
		pend += r->ag[i].pendings;
		cok += r->ag[i].cancel_ok;
		cno += r->ag[i].cancel_no;
	}
	modes_of(r, modes, sizeof(modes));
	diag("%-34s %-13s %9llu msgs %5.2f s (longest stall %.0f ms); selects "
	    "%lu (done %lu, again %lu), PENDING %lu, cancel OK %lu / CANCELLED "
	    "%lu", run_name, modes, msgs, secs, r->stall_ms, sel, done, again,
	    pend, cok, cno);
	if (r->stall_ms > STALL_MS)
		bad("no value moved for %.0f ms while the run was live",
		    r->stall_ms);
	bad_flush();
	ok(atomic_load(&nbad) == before, "%s: every value exactly once, "
	    "FIFO per producer and channel, no trace of the other cases, no "
	    "lost wakeup, nobody left blocked", run_name);
	if (msgs == 0)
		diag("    (no message moved: the run was too short)");
}

static void
run_free(struct run *r)
{
	if (r->ch[1] != NULL && r->ch[1] != r->ch[0] &&
	    achan_chan_destroy(r->ch[1]) != ACHAN_OK)
		bad("destroy B: a select left registered?");
	if (r->ch[0] != NULL && achan_chan_destroy(r->ch[0]) != ACHAN_OK)
		bad("destroy A: a select left registered?");
	free(r);
}

static void
close_both(struct run *r, uint64_t x)
{
	int first = (int)(x & 1);

	achan_chan_close(r->ch[first]);
	if ((x >> 1) & 1)
		sched_yield();
	achan_chan_close(r->ch[first ^ 1]);
}

/* --- a. receive selects --------------------------------------------------- */

static void
part_a(size_t cap, double secs, int k)
{
	struct run *r = run_new("a: recv selects, cap %zu", cap);
	unsigned long before = atomic_load(&nbad);
	struct timespec t0 = tu_now();
	unsigned long long msgs;
	int p;

	r->np = 4;
	r->fixed = 1;
	mkchans(r, cap, cap);
	for (p = 0; p < 4; p++)		/* p even -> A, odd -> B */
		add_plain(r, plain_producer, p, p & 1,
		    p < 2 ? PL_BLOCK : (p + k) % 3);
	for (int m = 0; m < M_NMODES; m++)
		add_sel(r, -1, ACHAN_SELECT_CHAN_RECV, ACHAN_SELECT_CHAN_RECV, m);
	spawn(r);
	watch(r, secs * 1e3);
	atomic_store(&r->stop, 1);
	for (p = 0; p < 4; p++)
		join(&r->ag[p]);
	close_both(r, run_seed);
	for (int i = 4; i < r->na; i++)
		join(&r->ag[i]);
	msgs = run_check(r);
	run_report(r, msgs, tu_ms_between(t0, tu_now()) / 1e3, before);
	run_free(r);
}

/* --- b. send selects ------------------------------------------------------ */

static void
part_b(size_t ca, size_t cb, double secs, int k)
{
	struct run *r = run_new("b: send selects, caps %zu/%zu", ca, cb);
	unsigned long before = atomic_load(&nbad);
	struct timespec t0 = tu_now();
	unsigned long long msgs;
	int i;

	r->np = 4;
	mkchans(r, ca, cb);
	for (i = 0; i < 4; i++)
		add_sel(r, i, ACHAN_SELECT_CHAN_SEND, ACHAN_SELECT_CHAN_SEND,
		    (i + k) % M_NMODES);
	/* per channel one blocking receiver (an unbuffered channel needs a
	 * party that waits) and one deadline or try receiver */
	for (int c = 0; c < 2; c++) {
		add_plain(r, plain_consumer, -1, c, PL_BLOCK);
		add_plain(r, plain_consumer, -1, c, (c + k) % 2 ? PL_TRY : PL_UNTIL);
	}
	spawn(r);
	watch(r, secs * 1e3);
	atomic_store(&r->stop, 1);
	for (i = 0; i < 4; i++)
		join(&r->ag[i]);
	close_both(r, run_seed);
	for (i = 4; i < r->na; i++)
		join(&r->ag[i]);
	msgs = run_check(r);
	run_report(r, msgs, tu_ms_between(t0, tu_now()) / 1e3, before);
	run_free(r);
}

/* --- c. mixed: {send A, recv B}; {send U, recv U} ------------------------ */

static void
part_c_mixed(size_t ca, size_t cb, double secs, int k)
{
	struct run *r = run_new("c: {send A, recv B}, caps %zu/%zu", ca, cb);
	unsigned long before = atomic_load(&nbad);
	struct timespec t0 = tu_now();
	unsigned long long msgs;
	int i;

	r->np = 5;
	mkchans(r, ca, cb);
	/* 0-2: the mixers (producers on A, receivers on B) */
	for (i = 0; i < 3; i++)
		add_sel(r, i, ACHAN_SELECT_CHAN_SEND, ACHAN_SELECT_CHAN_RECV,
		    (i * 2 + k) % M_NMODES);
	/* 3, 4: plain producers on B; 5, 6: plain consumers on A */
	add_plain(r, plain_producer, 3, 1, PL_BLOCK);
	add_plain(r, plain_producer, 4, 1, k % 2 ? PL_TRY : PL_UNTIL);
	add_plain(r, plain_consumer, -1, 0, PL_BLOCK);
	add_plain(r, plain_consumer, -1, 0, k % 2 ? PL_UNTIL : PL_TRY);
	spawn(r);
	watch(r, secs * 1e3);
	atomic_store(&r->stop, 1);
	join(&r->ag[3]);
	join(&r->ag[4]);
	achan_chan_close(r->ch[1]);	/* the mixers leave on B's CLOSED */
	for (i = 0; i < 3; i++)
		join(&r->ag[i]);
	achan_chan_close(r->ch[0]);
	join(&r->ag[5]);
	join(&r->ag[6]);
	msgs = run_check(r);
	run_report(r, msgs, tu_ms_between(t0, tu_now()) / 1e3, before);
	run_free(r);
}

/* Alone, {send U, recv U} on one unbuffered channel has no partner. */
static void
part_c_alone(void)
{
	struct achan_select_case cs[4];
	struct achan_select sel;
	struct rec_waker rw;
	struct achan_chan *u;
	struct timespec dl;
	struct msg v = mkmsg(0, 1), o = { SENTINEL, SENTINEL };
	size_t idx = 99;

	if (achan_chan_create(&u, sizeof(struct msg), 0, 0) != ACHAN_OK)
		bail_out("achan_chan_create");
	achan_select_case_chan_send(&cs[0], u, &v);
	achan_select_case_chan_recv(&cs[1], u, &o);
	for (unsigned flags = 0; flags <= ACHAN_SELECT_BIASED; flags++) {
		dl = tu_add_ms(tu_now(), 20);
		is_st(achan_select_until(cs, 2, flags, &dl, &idx), ACHAN_TIMEDOUT,
		    "c: alone, {send U, recv U}%s does not meet itself: "
		    "TIMEDOUT", flags ? " (biased)" : "");
		ok(tu_ts_ge(tu_now(), dl) && idx == 99 && o.stamp == SENTINEL,
		    "c: ... at the deadline, index and buffer untouched");
	}
	/* the same channel twice on each side */
	achan_select_case_chan_recv(&cs[2], u, &o);
	achan_select_case_chan_send(&cs[3], u, &v);
	is_st(achan_select_try(cs, 4, 0, &idx), ACHAN_EMPTY,
	    "c: alone, try of {send U, recv U, recv U, send U}: EMPTY");
	rec_init(&rw, 1, NULL);
	is_st(achan_select_init(&sel, cs, 4, 0), ACHAN_OK, "c: select init");
	is_st(achan_select_poll(&sel, &rw.w, &idx), ACHAN_PENDING,
	    "c: alone, the future registers all four cases: PENDING");
	is_st(achan_select_poll(&sel, &rw.w, &idx), ACHAN_PENDING,
	    "c: ... a re-poll, its own cases queued on both sides: PENDING");
	tu_sleep_ms(5);
	is_st(achan_select_cancel(&sel, &idx), ACHAN_CANCELLED,
	    "c: ... cancel: CANCELLED");
	ok(rec_calls(&rw) == 0 && idx == 99 && o.stamp == SENTINEL,
	    "c: ... never woken, index and buffer untouched");
	is_st(achan_chan_try_send(u, &v), ACHAN_FULL,
	    "c: ... no receive case left queued (try_send FULL)");
	is_st(achan_chan_try_recv(u, &o), ACHAN_EMPTY,
	    "c: ... no send case left queued (try_recv EMPTY)");
	is_st(achan_chan_destroy(u), ACHAN_OK, "c: ... destroy OK");
}

/* {send U, recv U} selects racing each other (and plain users): none may
 * receive its own value. */
static void
part_c_self(int plain, double secs, int k)
{
	struct run *r = run_new("c: {send U, recv U}, %s",
	    plain ? "3 selects + plain" : "2 selects alone");
	unsigned long before = atomic_load(&nbad);
	struct timespec t0 = tu_now();
	unsigned long long msgs;
	int i, nsel = plain ? 3 : 2;

	if (achan_chan_create(&r->ch[0], sizeof(struct msg), 0, 0) != ACHAN_OK)
		bail_out("achan_chan_create");
	r->ch[1] = r->ch[0];
	r->np = nsel + plain;
	for (i = 0; i < nsel; i++)
		add_sel(r, i, ACHAN_SELECT_CHAN_SEND, ACHAN_SELECT_CHAN_RECV,
		    (i * 3 + k) % M_NMODES == M_TRY && !plain ? M_UNTIL :
		    (i * 3 + k) % M_NMODES);
	if (plain) {
		add_plain(r, plain_producer, nsel, 0, PL_BLOCK);
		add_plain(r, plain_consumer, -1, 0, k % 2 ? PL_BLOCK : PL_UNTIL);
	}
	spawn(r);
	watch(r, secs * 1e3);
	atomic_store(&r->stop, 1);
	if (plain)
		join(&r->ag[nsel]);
	achan_chan_close(r->ch[0]);
	for (i = 0; i < r->na; i++)
		if (!plain || i != nsel)
			join(&r->ag[i]);
	msgs = run_check(r);
	run_report(r, msgs, tu_ms_between(t0, tu_now()) / 1e3, before);
	run_free(r);
}

/* --- d. close and cancel races -------------------------------------------- */

static void
part_d(size_t ca, size_t cb, double secs, int k)
{
	struct run *r = run_new("d: closes and cancels, caps %zu/%zu", ca, cb);
	unsigned long before = atomic_load(&nbad);
	struct timespec t0 = tu_now();
	unsigned long long msgs;
	uint64_t x = run_seed;
	struct msg m;
	int i, rc;

	r->np = 5;
	mkchans(r, ca, cb);
	add_plain(r, plain_producer, 0, 0, PL_BLOCK);
	add_plain(r, plain_producer, 1, 1, k % 2 ? PL_UNTIL : PL_TRY);
	add_sel(r, 2, ACHAN_SELECT_CHAN_SEND, ACHAN_SELECT_CHAN_SEND, M_CANCEL);
	add_sel(r, 3, ACHAN_SELECT_CHAN_SEND, ACHAN_SELECT_CHAN_SEND, M_FUTURE);
	add_sel(r, 4, ACHAN_SELECT_CHAN_SEND, ACHAN_SELECT_CHAN_SEND,
	    k % 2 ? M_UNTIL : M_BLOCK);
	add_sel(r, -1, ACHAN_SELECT_CHAN_RECV, ACHAN_SELECT_CHAN_RECV, M_CANCEL);
	add_sel(r, -1, ACHAN_SELECT_CHAN_RECV, ACHAN_SELECT_CHAN_RECV, M_CANCEL);
	add_sel(r, -1, ACHAN_SELECT_CHAN_RECV, ACHAN_SELECT_CHAN_RECV, M_FUTURE);
	add_sel(r, -1, ACHAN_SELECT_CHAN_RECV, ACHAN_SELECT_CHAN_RECV, M_BLOCK);
	add_sel(r, -1, ACHAN_SELECT_CHAN_RECV, ACHAN_SELECT_CHAN_RECV,
	    k % 2 ? M_TRY : M_UNTIL);
	add_plain(r, plain_consumer, -1, (int)(x >> 7) & 1, PL_BLOCK);
	spawn(r);
	/* close one channel at 30-60 % of the slice, the other at 60-100 % */
	watch(r, secs * 1e3 * (0.3 + (double)(x % 31) / 100));
	achan_chan_close(r->ch[(x >> 8) & 1]);
	watch(r, secs * 1e3 * (0.3 + (double)((x >> 16) % 11) / 100));
	achan_chan_close(r->ch[((x >> 8) & 1) ^ 1]);
	atomic_store(&r->stop, 1);
	for (i = 0; i < r->na; i++)
		join(&r->ag[i]);
	/* drained: the receivers went on until CLOSED */
	for (int c = 0; c < 2; c++)
		if ((rc = achan_chan_try_recv(r->ch[c], &m)) != ACHAN_CLOSED)
			bad("channel %c after the run: %s, not CLOSED", "AB"[c],
			    st_name(rc));
	msgs = run_check(r);
	run_report(r, msgs, tu_ms_between(t0, tu_now()) / 1e3, before);
	run_free(r);
}

/* --- e. a shutdown broadcast ---------------------------------------------- */

enum { R_SHUT, R_ONE, R_STATE, R_WORK };
#define E_NW 3

static void *
e_worker(void *arg)
{
	struct agent *a = arg;
	struct run *r = a->r;
	struct achan_select_case cs[4];
	struct msg outs[4], m;
	uint64_t ids[4], last = 0;
	int role[4] = { R_SHUT, R_ONE, R_STATE, R_WORK };
	int one_open = 1, st_open = 1, w_open = 1, rc;
	size_t idx;

	for (;;) {
		for (int i = 3; i > 0; i--) {	/* a random order */
			int j = (int)(tu_rand(&a->rng) % (uint64_t)(i + 1));
			int t = role[i];

			role[i] = role[j];
			role[j] = t;
		}
		for (int i = 0; i < 4; i++) {
			switch (role[i]) {
			case R_SHUT:
				achan_select_case_bcast_recv(&cs[i], r->shut,
				    &outs[i]);
				break;
			case R_ONE:
				if (one_open)
					achan_select_case_oneshot_recv(&cs[i],
					    r->os[a->slot], &outs[i]);
				else
					achan_select_case_none(&cs[i]);
				break;
			case R_STATE:
				if (st_open)
					achan_select_case_state_recv(&cs[i], r->st,
					    last, &outs[i], &ids[i]);
				else
					achan_select_case_none(&cs[i]);
				break;
			default:
				if (w_open)
					achan_select_case_chan_recv(&cs[i],
					    r->ch[0], &outs[i]);
				else
					achan_select_case_none(&cs[i]);
				break;
			}
		}
		rc = do_select(a, cs, 4, &idx);
		if (rc == AGAIN) {
			if (a->mode == M_TRY)
				sched_yield();
			continue;
		}
		switch (role[idx]) {
		case R_SHUT:
			if (rc != ACHAN_OK || outs[idx].stamp != r->shut_val.stamp ||
			    outs[idx].check != r->shut_val.check)
				bad("worker %d: shutdown case %s, value %016llx",
				    a->slot, st_name(rc),
				    (unsigned long long)outs[idx].stamp);
			a->e_exit = rc == ACHAN_OK ? 1 : -1;
			goto drain;
		case R_ONE:
			one_open = 0;
			if (rc == ACHAN_CLOSED) {
				a->e_one_closed++;
				break;
			}
			a->e_one_n++;
			a->e_one = outs[idx];
			break;
		case R_STATE:
			if (rc == ACHAN_CLOSED) {
				st_open = 0;
				break;
			}
			if (ids[idx] <= last || outs[idx].stamp != ids[idx] ||
			    outs[idx].check != mix(ids[idx]))
				bad("worker %d: state id %llu after %llu carried "
				    "%016llx", a->slot,
				    (unsigned long long)ids[idx],
				    (unsigned long long)last,
				    (unsigned long long)outs[idx].stamp);
			last = ids[idx];
			a->e_states++;
			break;
		default:
			if (rc == ACHAN_CLOSED)
				w_open = 0;
			else
				record(a, 0, &outs[idx]);
			break;
		}
	}
drain:
	while ((rc = achan_chan_try_recv(r->ch[0], &m)) == ACHAN_OK) {
		record(a, 0, &m);
		a->e_jobs_drained++;
	}
	if (rc != ACHAN_EMPTY && rc != ACHAN_CLOSED)
		bad("worker %d: draining try_recv answered %s", a->slot,
		    st_name(rc));
	return NULL;
}

static void
e_oneshot(struct run *r, int w)
{
	struct msg m = mkmsg((uint64_t)w, r->round & SEQ_MASK);

	if (r->os_sent[w] ? achan_oneshot_send(r->os[w], &m) != ACHAN_OK :
	    achan_oneshot_close(r->os[w]) != ACHAN_NEWLY_CLOSED)
		bad("worker %d's oneshot: %s failed", w,
		    r->os_sent[w] ? "send" : "close");
}

/* States 1..nstates; each worker's oneshot sent (or closed) after os_at. */
static void *
e_side(void *arg)
{
	struct agent *a = arg;
	struct run *r = a->r;
	int handled[E_NW] = { 0 };

	for (unsigned s = 1; s <= r->nstates; s++) {
		struct msg v = { s, mix(s) };

		if (achan_state_send(r->st, &v) != ACHAN_OK)
			bad("state send %u", s);
		for (int w = 0; w < E_NW; w++) {
			if (handled[w] || r->os_at[w] > s)
				continue;
			handled[w] = 1;
			e_oneshot(r, w);
		}
		if ((tu_rand(&a->rng) & 3) == 0)
			sched_yield();
	}
	for (int w = 0; w < E_NW; w++)	/* the rest after the last state */
		if (!handled[w])
			e_oneshot(r, w);
	if (r->round & 1)
		achan_state_close(r->st);
	return NULL;
}

static void
part_e(double secs)
{
	struct run *r0 = run_new("e: shutdown bcast + oneshot + state + work");
	unsigned long before = atomic_load(&nbad);
	struct timespec t0 = tu_now();
	unsigned long long jobs = 0;
	unsigned long rounds = 0, states = 0, ones = 0, ones_left = 0,
	    drained = 0, wclosed = 0, sel = 0, pend = 0, cok = 0, cno = 0;
	uint64_t rng = run_seed;
	static const size_t caps[] = { 16, 1, 0, 4 };

	free(r0);
	while (rounds < 4 || tu_ms_between(t0, tu_now()) < secs * 1e3) {
		struct run *r = calloc(1, sizeof(*r));
		size_t cap = caps[rounds % 4];
		struct msg m;
		int rc, side_first;

		if (r == NULL)
			bail_out("out of memory");
		atomic_init(&r->stop, 0);
		r->round = rounds;
		r->np = 2;
		r->nstates = 1 + (unsigned)(tu_rand(&rng) % 64);
		r->shut_val = mkmsg(7, rounds);
		if (achan_chan_create(&r->ch[0], sizeof(struct msg), cap, 0) !=
		    ACHAN_OK ||
		    achan_bcast_create(&r->shut, sizeof(struct msg), 0) != ACHAN_OK ||
		    achan_state_create(&r->st, sizeof(struct msg), 0) != ACHAN_OK)
			bail_out("create");
		r->ch[1] = r->ch[0];
		for (int i = 0; i < 2; i++) {
			struct agent *a = add_plain(r, plain_producer, i, 0,
			    i == 0 ? PL_BLOCK : (int)(rounds % 3));

			a->quota = 16 + tu_rand(&rng) % 128;
			a->rng ^= mix(rounds + 1);
		}
		for (int w = 0; w < E_NW; w++) {
			struct agent *a = add(r, e_worker, -1);

			a->mode = (int)((rounds + (unsigned long)w) % M_NMODES);
			a->slot = w;
			a->rng ^= mix(rounds + 1);
			if (achan_oneshot_create(&r->os[w], sizeof(struct msg), 0) !=
			    ACHAN_OK)
				bail_out("create");
			r->os_sent[w] = (tu_rand(&rng) & 3) != 0;
			r->os_at[w] = 1 + (unsigned)(tu_rand(&rng) %
			    (r->nstates + 8));
		}
		add(r, e_side, -1);
		spawn(r);
		join(&r->ag[0]);
		join(&r->ag[1]);
		if (rounds % 3 == 1) {
			achan_chan_close(r->ch[0]);
			wclosed++;
		}
		side_first = (tu_rand(&rng) & 1) == 0;
		if (side_first)
			join(&r->ag[2 + E_NW]);	/* all states first, sometimes */
		if (achan_bcast_send(r->shut, &r->shut_val) != ACHAN_OK)
			bad("shutdown send");
		for (int i = 2; i < 2 + E_NW; i++)
			join(&r->ag[i]);
		if (!side_first)
			join(&r->ag[2 + E_NW]);
		/* every worker left through the shutdown case */
		for (int w = 0; w < E_NW; w++) {
			struct agent *a = &r->ag[2 + w];
			struct msg want = mkmsg((uint64_t)w, r->round & SEQ_MASK);

			if (a->e_exit != 1)
				bad("round %lu worker %d did not leave through the "
				    "shutdown case", rounds, w);
			if (a->e_one_n + a->e_one_closed > 1)
				bad("round %lu worker %d: its oneshot case fired "
				    "%d times", rounds, w,
				    a->e_one_n + a->e_one_closed);
			rc = achan_oneshot_try_recv(r->os[w], &m);
			if (r->os_sent[w] && a->e_one_n == 1) {
				if (a->e_one.stamp != want.stamp ||
				    a->e_one.check != want.check)
					bad("round %lu worker %d: oneshot value "
					    "%016llx", rounds, w,
					    (unsigned long long)a->e_one.stamp);
				if (rc != ACHAN_CLOSED)
					bad("round %lu worker %d: the oneshot's "
					    "value was taken, then try_recv "
					    "answered %s", rounds, w, st_name(rc));
				ones++;
			} else if (r->os_sent[w]) {
				if (a->e_one_closed || rc != ACHAN_OK ||
				    m.stamp != want.stamp)
					bad("round %lu worker %d: the sent oneshot "
					    "value is lost (%s)", rounds, w,
					    st_name(rc));
				ones_left++;
			} else if (a->e_one_n || rc != ACHAN_CLOSED) {
				bad("round %lu worker %d: a value from a closed "
				    "oneshot (%s)", rounds, w, st_name(rc));
			}
			states += a->e_states;
			drained += a->e_jobs_drained;
		}
		rc = achan_chan_try_recv(r->ch[0], &m);
		if (rc != (rounds % 3 == 1 ? ACHAN_CLOSED : ACHAN_EMPTY))
			bad("round %lu: after every worker drained, the work "
			    "channel answered %s", rounds, st_name(rc));
		jobs += run_check(r);
		for (int i = 0; i < r->na; i++) {
			sel += r->ag[i].selects;
			pend += r->ag[i].pendings;
			cok += r->ag[i].cancel_ok;
			cno += r->ag[i].cancel_no;
		}
		if (achan_bcast_destroy(r->shut) != ACHAN_OK ||
		    achan_state_destroy(r->st) != ACHAN_OK)
			bad("round %lu: destroy (a select left registered?)",
			    rounds);
		for (int w = 0; w < E_NW; w++)
			if (achan_oneshot_destroy(r->os[w]) != ACHAN_OK)
				bad("round %lu: oneshot destroy", rounds);
		r->ch[1] = NULL;
		run_free(r);
		rounds++;
	}
	diag("%-34s %lu rounds, %llu jobs (%lu drained after the shutdown), "
	    "%lu states seen, oneshots %lu taken / %lu left, work closed "
	    "first in %lu; selects %lu, PENDING %lu, cancel OK %lu / "
	    "CANCELLED %lu; %.2f s", run_name, rounds, jobs, drained, states,
	    ones, ones_left, wclosed, sel, pend, cok, cno,
	    tu_ms_between(t0, tu_now()) / 1e3);
	bad_flush();
	ok(atomic_load(&nbad) == before, "%s: every worker left through the "
	    "shutdown case after draining, every job exactly once, oneshot and "
	    "state cases right", run_name);
}

int
main(void)
{
	double secs = tap_test_seconds();
	const char *s = getenv("SELECT_RACE_SEED");
	static const size_t caps_a[] = { 1, 4, 64, 0 };
	static const size_t caps_b[][2] = { { 1, 1 }, { 4, 4 }, { 0, 0 }, { 0, 2 } };
	static const size_t caps_c[][2] = { { 0, 2 }, { 0, 0 }, { 2, 2 } };
	static const size_t caps_d[][2] = { { 1, 1 }, { 4, 0 }, { 0, 0 }, { 2, 8 } };
	struct timespec t0 = tu_now();
	int k = 0;

	if (s != NULL && *s != '\0')
		base_seed = strtoull(s, NULL, 0);
	tap_watchdog(90 + (unsigned)(20 * secs));
	diag("seed %llu (SELECT_RACE_SEED), %.2f s (ACHAN_TEST_SECONDS); forms: "
	    "B blocking, D deadline, T try, F future, C future cancelled; plain "
	    "users: b blocking, d deadline, t try",
	    (unsigned long long)base_seed, secs);

	for (int i = 0; i < 4; i++, k++)
		part_a(caps_a[i], 0.10 * secs, k);
	for (int i = 0; i < 4; i++, k++)
		part_b(caps_b[i][0], caps_b[i][1], 0.075 * secs, k);
	part_c_alone();
	for (int i = 0; i < 3; i++, k++)
		part_c_mixed(caps_c[i][0], caps_c[i][1], 0.06 * secs, k);
	part_c_self(1, 0.06 * secs, k++);
	part_c_self(0, 0.06 * secs, k++);
	for (int i = 0; i < 4; i++, k++)
		part_d(caps_d[i][0], caps_d[i][1], 0.08 * secs, k);
	part_e(0.2 * secs);

	diag("%.2f s in all", tu_ms_between(t0, tu_now()) / 1e3);
	return done_testing();
}
