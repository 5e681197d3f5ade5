/*
 * t/chan_stress.c - many producers and consumers on one channel, every
 * message stamped (producer id, sequence) and checked at the receivers:
 *
 *   - exactly once: a bitmap per producer; at the end every sequence a
 *     producer saw succeed is set exactly once and nothing else is;
 *   - per-producer FIFO at every consumer: the sequences one consumer sees
 *     from one producer strictly increase;
 *   - nothing lost at close: producers stop, the channel is closed, the
 *     consumers drain until CLOSED and receive everything that was sent;
 *   - close racing live traffic: a third thread closes mid-stream; every
 *     send that returned OK (or was cancelled too late) is received exactly
 *     once, and no send that returned CLOSED / CANCELLED shows up.
 *
 * Each channel mixes three kinds of users: blocking calls, try_* calls that
 * spin with sched_yield, and futures driven by a flag waker (futex sleep),
 * which cancel at random - both before and after being woken - and count
 * the value as transferred exactly when cancel says ACHAN_OK.  The flag
 * waker also checks the waker contract: at most one call per registration
 * and none after poll returned done or cancel returned.
 *
 * Runs are time-sliced: the whole program takes about ACHAN_TEST_SECONDS
 * (default 1) plus thread start-up, under sanitizers too.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_util.h"

enum mode { M_BLOCK, M_TRY, M_ASYNC };
static const char *const mode_name[] = { "B", "T", "A" };

#define MAX_THREADS 16
#define MIN_PER_PROD 16u                 /* each producer sends at least this */
#define MAX_PER_PROD ((uint64_t)1 << 22) /* and at most this (bitmap size) */
#define WAKE_TIMEOUT_MS 10000            /* a wait this long is a lost wakeup */

struct run_cfg {
	int np, nc;
	size_t cap;
	size_t esize;      /* 8 (one word) or 24 (struct with a check word) */
	int close_race;    /* close from a third thread mid-stream */
};

/* a 24-byte element: stamp plus redundancy */
struct wide {
	uint32_t pid;
	uint32_t seq;
	uint64_t stamp;
	uint64_t check;
};

#define CHECK_MUL 0x9e3779b97f4a7c15ull

struct shared {
	struct achan_chan *ch;
	const struct run_cfg *cfg;
	atomic_int stop;
	size_t words;                 /* bitmap words per producer */
	atomic_ullong *bitmap;        /* np * words */
	atomic_ullong dups, bad_value, bad_order, lost_wakes, weird_rc;
	atomic_ullong late_wakes, double_wakes;
	pthread_barrier_t bar;
	long slice_ms;
	int close_rc;
};

/* The flag waker of one async user, with contract checks. */
struct fwaker {
	atomic_uint v;      /* futex word: 1 once woken */
	atomic_int armed;   /* 1 while a registration may legitimately wake */
	atomic_int calls;   /* wakes since the owner last reset */
	struct shared *sh;
	struct achan_waker w;
};

static void
fw_wake(void *arg)
{
	struct fwaker *f = arg;

	if (!atomic_load(&f->armed))
		atomic_fetch_add(&f->sh->late_wakes, 1);
	if (atomic_fetch_add(&f->calls, 1) != 0)
		atomic_fetch_add(&f->sh->double_wakes, 1);
	atomic_store_explicit(&f->v, 1, memory_order_release);
	tu_futex_wake(&f->v);
}

static void
fw_init(struct fwaker *f, struct shared *sh)
{
	atomic_init(&f->v, 0);
	atomic_init(&f->armed, 0);
	atomic_init(&f->calls, 0);
	f->sh = sh;
	f->w.wake = fw_wake;
	f->w.arg = f;
}

/* Before a poll: a new registration may start. */
static void
fw_arm(struct fwaker *f)
{
	atomic_store(&f->v, 0);
	atomic_store(&f->calls, 0);
	atomic_store(&f->armed, 1);
}

/* After poll returned done or cancel returned: no wake may come any more. */
static void
fw_disarm(struct fwaker *f)
{
	atomic_store(&f->armed, 0);
}

static int
fw_wait(struct fwaker *f)
{
	return tu_wait_word(&f->v, WAKE_TIMEOUT_MS);
}

struct worker {
	pthread_t t;
	struct shared *sh;
	int id;
	int producer;
	enum mode mode;
	uint64_t rng;
	struct fwaker fw;
	/* producer */
	uint64_t sent;
	int got_closed;
	/* consumer */
	uint64_t received;
	uint64_t last[MAX_THREADS];   /* last seq + 1 seen per producer, 0: none */
	/* both */
	uint64_t pendings, cancel_ok, cancel_cancelled;
};

/* --- encoding ------------------------------------------------------------ */

static void
encode(const struct shared *sh, void *buf, uint32_t pid, uint32_t seq)
{
	uint64_t stamp = ((uint64_t)pid << 32) | seq;

	if (sh->cfg->esize == 8) {
		memcpy(buf, &stamp, 8);
	} else {
		struct wide w = { pid, seq, stamp, (stamp * CHECK_MUL) ^ 0xa5a5a5a5a5a5a5a5ull };
		memcpy(buf, &w, sizeof(w));
	}
}

static int
decode(const struct shared *sh, const void *buf, uint32_t *pid, uint32_t *seq)
{
	uint64_t stamp;

	if (sh->cfg->esize == 8) {
		memcpy(&stamp, buf, 8);
	} else {
		struct wide w;
		memcpy(&w, buf, sizeof(w));
		stamp = w.stamp;
		if (w.pid != (uint32_t)(stamp >> 32) || w.seq != (uint32_t)stamp ||
				w.check != ((stamp * CHECK_MUL) ^ 0xa5a5a5a5a5a5a5a5ull))
			return 0;
	}
	*pid = (uint32_t)(stamp >> 32);
	*seq = (uint32_t)stamp;
	return *pid < (uint32_t)sh->cfg->np && *seq < MAX_PER_PROD;
}

/* --- producers ------------------------------------------------------------ */

/* Send one value; 1 if it was transferred, 0 if the channel is closed. */
static int
produce_one(struct worker *w, const void *buf)
{
	struct shared *sh = w->sh;
	int rc;

	switch (w->mode) {
	case M_BLOCK:
		rc = achan_chan_send(sh->ch, buf);
		break;
	case M_TRY:
		while ((rc = achan_chan_try_send(sh->ch, buf)) == ACHAN_FULL)
			sched_yield();
		break;
	case M_ASYNC:
	default:
		for (;;) {
			struct achan_chan_send_future f;
			int c;

			achan_chan_send_future_init(&f, sh->ch, buf);
			fw_arm(&w->fw);
			rc = achan_chan_send_poll(&f, &w->fw.w);
			while (rc == ACHAN_PENDING) {
				uint64_t r = tu_rand(&w->rng);
				w->pendings++;
				if ((r & 15) == 0)
					goto cancel; /* registered, probably not woken */
				if (!fw_wait(&w->fw))
					atomic_fetch_add(&sh->lost_wakes, 1);
				if (((r >> 8) & 15) == 0)
					goto cancel; /* woken, not polled */
				fw_arm(&w->fw);
				rc = achan_chan_send_poll(&f, &w->fw.w);
			}
			fw_disarm(&w->fw);
			break;
cancel:
			c = achan_chan_send_cancel(&f);
			fw_disarm(&w->fw);
			if (c == ACHAN_OK) {
				w->cancel_ok++;
				return 1;
			}
			if (c != ACHAN_CANCELLED) {
				atomic_fetch_add(&sh->weird_rc, 1);
				return 0;
			}
			w->cancel_cancelled++; /* value still ours: send it again */
		}
		break;
	}
	if (rc == ACHAN_OK)
		return 1;
	if (rc != ACHAN_CLOSED)
		atomic_fetch_add(&sh->weird_rc, 1);
	return 0;
}

static void *
producer_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	unsigned char buf[sizeof(struct wide)];
	uint64_t seq;

	pthread_barrier_wait(&sh->bar);
	for (seq = 0; seq < MAX_PER_PROD; seq++) {
		if (!sh->cfg->close_race && seq >= MIN_PER_PROD &&
				atomic_load_explicit(&sh->stop, memory_order_relaxed))
			break;
		encode(sh, buf, (uint32_t)w->id, (uint32_t)seq);
		if (!produce_one(w, buf)) {
			w->got_closed = 1;
			break;
		}
	}
	w->sent = seq;
	return NULL;
}

/* --- consumers ------------------------------------------------------------- */

/* Receive one value into buf; 1 if received, 0 once closed and drained. */
static int
consume_one(struct worker *w, void *buf)
{
	struct shared *sh = w->sh;
	int rc;

	switch (w->mode) {
	case M_BLOCK:
		rc = achan_chan_recv(sh->ch, buf);
		break;
	case M_TRY:
		while ((rc = achan_chan_try_recv(sh->ch, buf)) == ACHAN_EMPTY)
			sched_yield();
		break;
	case M_ASYNC:
	default:
		for (;;) {
			struct achan_chan_recv_future f;
			int c;

			achan_chan_recv_future_init(&f, sh->ch, buf);
			fw_arm(&w->fw);
			rc = achan_chan_recv_poll(&f, &w->fw.w);
			while (rc == ACHAN_PENDING) {
				uint64_t r = tu_rand(&w->rng);
				w->pendings++;
				if ((r & 15) == 0)
					goto cancel;
				if (!fw_wait(&w->fw))
					atomic_fetch_add(&sh->lost_wakes, 1);
				if (((r >> 8) & 15) == 0)
					goto cancel;
				fw_arm(&w->fw);
				rc = achan_chan_recv_poll(&f, &w->fw.w);
			}
			fw_disarm(&w->fw);
			break;
cancel:
			c = achan_chan_recv_cancel(&f);
			fw_disarm(&w->fw);
			if (c == ACHAN_OK) {
				w->cancel_ok++; /* the value is in buf and ours */
				return 1;
			}
			if (c != ACHAN_CANCELLED) {
				atomic_fetch_add(&sh->weird_rc, 1);
				return 0;
			}
			w->cancel_cancelled++;
		}
		break;
	}
	if (rc == ACHAN_OK)
		return 1;
	if (rc != ACHAN_CLOSED)
		atomic_fetch_add(&sh->weird_rc, 1);
	return 0;
}

static void
check_value(struct worker *w, const void *buf)
{
	struct shared *sh = w->sh;
	uint32_t pid, seq;

	if (!decode(sh, buf, &pid, &seq)) {
		atomic_fetch_add(&sh->bad_value, 1);
		return;
	}
	uint64_t bit = 1ull << (seq & 63);
	uint64_t old = atomic_fetch_or_explicit(&sh->bitmap[pid * sh->words + seq / 64],
			bit, memory_order_relaxed);
	if (old & bit)
		atomic_fetch_add(&sh->dups, 1);
	if (seq < w->last[pid])  /* not strictly after the previous one */
		atomic_fetch_add(&sh->bad_order, 1);
	w->last[pid] = (uint64_t)seq + 1;
	w->received++;
}

static void *
consumer_main(void *arg)
{
	struct worker *w = arg;
	unsigned char buf[sizeof(struct wide)];

	pthread_barrier_wait(&w->sh->bar);
	while (consume_one(w, buf))
		check_value(w, buf);
	return NULL;
}

/* --- closer ---------------------------------------------------------------- */

static void *
closer_main(void *arg)
{
	struct shared *sh = arg;

	pthread_barrier_wait(&sh->bar);
	tu_sleep_ms(sh->slice_ms);
	sh->close_rc = achan_chan_close(sh->ch);
	return NULL;
}

/* --- one run ---------------------------------------------------------------- */

static enum mode
pick_mode(int idx, int k, int producer, size_t cap)
{
	enum mode m = (enum mode)((idx + k + (producer ? 0 : 1)) % 3);

	/*
	 * Unbuffered: try_send only succeeds into a waiting receiver and
	 * try_recv only from a waiting sender, so each side needs at least one
	 * user that waits, or the try users could spin forever.
	 */
	if (cap == 0 && idx == 0 && m == M_TRY)
		m = producer ? M_BLOCK : M_ASYNC;
	return m;
}

static void
run(const struct run_cfg *cfg, int k, long slice_ms)
{
	struct shared sh;
	struct worker *pw, *cw;
	char modes[2 * MAX_THREADS + 4];
	int np = cfg->np, nc = cfg->nc, n = 0;

	memset(&sh, 0, sizeof(sh));
	sh.cfg = cfg;
	sh.slice_ms = slice_ms;
	sh.close_rc = -1;
	sh.words = (size_t)(MAX_PER_PROD / 64);
	sh.bitmap = calloc((size_t)np * sh.words, sizeof(*sh.bitmap));
	pw = calloc((size_t)np, sizeof(*pw));
	cw = calloc((size_t)nc, sizeof(*cw));
	if (!sh.bitmap || !pw || !cw)
		bail_out("out of memory");
	if (achan_chan_create(&sh.ch, cfg->esize, cfg->cap, 0) != ACHAN_OK)
		bail_out("achan_chan_create(%zu, %zu)", cfg->esize, cfg->cap);
	pthread_barrier_init(&sh.bar, NULL, (unsigned)(np + nc + 1 + (cfg->close_race ? 1 : 0)));

	for (int i = 0; i < np; i++) {
		struct worker *w = &pw[i];
		w->sh = &sh;
		w->id = i;
		w->producer = 1;
		w->mode = pick_mode(i, k, 1, cfg->cap);
		w->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(k * 64 + i + 1);
		fw_init(&w->fw, &sh);
		modes[n++] = mode_name[w->mode][0];
		if (pthread_create(&w->t, NULL, producer_main, w) != 0)
			bail_out("pthread_create");
	}
	modes[n++] = '/';
	for (int j = 0; j < nc; j++) {
		struct worker *w = &cw[j];
		w->sh = &sh;
		w->id = j;
		w->mode = pick_mode(j, k, 0, cfg->cap);
		w->rng = 0x2545f4914f6cdd1dull * (uint64_t)(k * 64 + j + 33);
		fw_init(&w->fw, &sh);
		modes[n++] = mode_name[w->mode][0];
		if (pthread_create(&w->t, NULL, consumer_main, w) != 0)
			bail_out("pthread_create");
	}
	modes[n] = '\0';
	pthread_t closer;
	if (cfg->close_race && pthread_create(&closer, NULL, closer_main, &sh) != 0)
		bail_out("pthread_create");

	struct timespec t0 = tu_now();
	pthread_barrier_wait(&sh.bar);
	if (!cfg->close_race) {
		tu_sleep_ms(slice_ms);
		atomic_store(&sh.stop, 1);
	}
	for (int i = 0; i < np; i++)
		pthread_join(pw[i].t, NULL);
	if (cfg->close_race)
		pthread_join(closer, NULL);
	else
		sh.close_rc = achan_chan_close(sh.ch);
	for (int j = 0; j < nc; j++)
		pthread_join(cw[j].t, NULL);
	double ms = tu_ms_between(t0, tu_now());

	/* --- verify --- */
	uint64_t sent = 0, received = 0, missing = 0, extra = 0, closed_prod = 0;
	uint64_t pend = 0, cok = 0, ccan = 0;
	for (int i = 0; i < np; i++) {
		sent += pw[i].sent;
		closed_prod += (uint64_t)pw[i].got_closed;
		pend += pw[i].pendings;
		cok += pw[i].cancel_ok;
		ccan += pw[i].cancel_cancelled;
		/* bits [0, sent) must all be set, every other bit clear */
		const atomic_ullong *bm = &sh.bitmap[(size_t)i * sh.words];
		uint64_t full = pw[i].sent / 64, rem = pw[i].sent % 64;
		for (uint64_t wi = 0; wi < sh.words; wi++) {
			uint64_t word = atomic_load_explicit(&bm[wi], memory_order_relaxed);
			uint64_t want = wi < full ? ~0ull :
				wi == full && rem ? (1ull << rem) - 1 : 0;
			missing += (uint64_t)__builtin_popcountll(want & ~word);
			extra += (uint64_t)__builtin_popcountll(word & ~want);
		}
	}
	for (int j = 0; j < nc; j++) {
		received += cw[j].received;
		pend += cw[j].pendings;
		cok += cw[j].cancel_ok;
		ccan += cw[j].cancel_cancelled;
	}
	uint64_t dups = atomic_load(&sh.dups), bad_value = atomic_load(&sh.bad_value);
	uint64_t bad_order = atomic_load(&sh.bad_order), lost = atomic_load(&sh.lost_wakes);
	uint64_t weird = atomic_load(&sh.weird_rc), late = atomic_load(&sh.late_wakes);
	uint64_t dbl = atomic_load(&sh.double_wakes);

	char name[160];
	snprintf(name, sizeof(name), "%dx%d cap %zu elem %zu%s [%s]", np, nc, cfg->cap,
			cfg->esize, cfg->close_race ? " close-race" : "", modes);

	int once = ok(sent == received && missing == 0 && extra == 0 && dups == 0 &&
			bad_value == 0,
			"%s: %llu sent, each received exactly once", name,
			(unsigned long long)sent);
	if (!once)
		diag("    sent %llu received %llu missing %llu extra (failed sends seen) %llu "
				"duplicates %llu corrupt %llu", (unsigned long long)sent,
				(unsigned long long)received, (unsigned long long)missing,
				(unsigned long long)extra, (unsigned long long)dups,
				(unsigned long long)bad_value);
	int good = ok(bad_order == 0 && lost == 0 && weird == 0 && late == 0 && dbl == 0,
			"%s: per-producer FIFO at each consumer, wakers kept their contract",
			name);
	if (!good)
		diag("    out of order %llu, waits over %d ms %llu, unexpected statuses %llu, "
				"wakes after done/cancel %llu, double wakes %llu",
				(unsigned long long)bad_order, WAKE_TIMEOUT_MS,
				(unsigned long long)lost, (unsigned long long)weird,
				(unsigned long long)late, (unsigned long long)dbl);
	int end_ok = sh.close_rc == ACHAN_NEWLY_CLOSED && achan_chan_len(sh.ch) == 0 &&
		(cfg->close_race || closed_prod == 0);
	int drc = achan_chan_destroy(sh.ch);
	ok(end_ok && drc == ACHAN_OK,
			"%s: close NEWLY_CLOSED, drained, destroy OK (nothing left registered)",
			name);
	if (!end_ok || drc != ACHAN_OK)
		diag("    close %s, producers that saw CLOSED %llu, destroy %s",
				st_name(sh.close_rc), (unsigned long long)closed_prod,
				st_name(drc));
	diag("%s: %.0f ms, %llu msgs, %llu pendings, cancels %llu ok / %llu cancelled",
			name, ms, (unsigned long long)sent, (unsigned long long)pend,
			(unsigned long long)cok, (unsigned long long)ccan);

	pthread_barrier_destroy(&sh.bar);
	free(sh.bitmap);
	free(pw);
	free(cw);
}

int
main(void)
{
	double secs = tap_test_seconds();
	static const int pc[][2] = { { 1, 1 }, { 4, 1 }, { 1, 4 }, { 4, 4 }, { 16, 16 } };
	static const size_t caps[] = { 0, 1, 2, 1024 };
	static const struct run_cfg extra[] = {
		{ 4, 4, 0, sizeof(struct wide), 0 },
		{ 4, 4, 2, sizeof(struct wide), 0 },
		{ 4, 4, 0, 8, 1 },
		{ 4, 4, 2, 8, 1 },
		{ 16, 16, 1, 8, 1 },
		{ 2, 2, 1024, 8, 1 },
		{ 3, 3, 1, sizeof(struct wide), 1 },
	};
	int nruns = (int)(sizeof(pc) / sizeof(pc[0]) * sizeof(caps) / sizeof(caps[0]) +
			sizeof(extra) / sizeof(extra[0]));
	long slice = (long)(secs * 700.0 / nruns);
	int k = 0;

	if (slice < 5)
		slice = 5;
	tap_watchdog(120 + (unsigned)(secs * 3));
	diag("ACHAN_TEST_SECONDS=%g: %d runs of ~%ld ms", secs, nruns, slice);
	for (size_t i = 0; i < sizeof(pc) / sizeof(pc[0]); i++)
		for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
			struct run_cfg cfg = { pc[i][0], pc[i][1], caps[c], 8, 0 };
			run(&cfg, k++, slice);
		}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		run(&extra[i], k++, slice);
	done_testing();
	return exit_status();
}
