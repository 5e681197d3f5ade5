/*
 * fuzz/fuzz_state.c - libFuzzer target: the state broadcast channel against
 * the reference model (ref_state.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Input: one header byte, then operations: one byte each, plus one more
 * byte for those that take an `after` id.
 *
 *   header  bit  0    ACHAN_LOCAL
 *           bits 1-2  lifetime: 0 create/destroy, 1 init/fini in caller
 *                     memory, 2-3 a sender/receiver pair
 *           bits 3-4  element size (fz_elem_size: 8, 0, 24, 8)
 *           bit  5    start near the end of the id space (UINT64_MAX - 3),
 *                     through the library's test hook
 *
 *   op      low nibble: the operation, high nibble: its argument
 *            0 send                 8 clone a handle
 *            1 try_recv (after)     9 release a handle
 *            2 future poll (after) 10 destroy/fini while busy (EBUSY)
 *            3 future cancel       11 bad arguments (EINVAL)
 *            4 close               12 send
 *            5 borrow (after)      13 future poll (after)
 *            6 end a borrow        14 send, then try_recv (after)
 *            7 blocking recv       15 poll the woken futures, in wake
 *              (after)                  order
 *           Future slots are 0..7, borrow slots 0..3.
 *   after   (for receives and borrows) 0, the current id, one less, one
 *           more, or UINT64_MAX (pick_after).
 *
 * Borrows stay open across operations (they nest), and every comparison
 * checks that the bytes they lend have not changed, whatever was sent
 * meanwhile; AddressSanitizer catches a snapshot freed under a borrow.
 *
 * The thread-safe flavour frees superseded states through liburcu's
 * call_rcu, and fini waits for them (rcu_barrier: 10 ms or more, a round of
 * liburcu's call_rcu thread).  One such wait per input would cap the target
 * at a hundred inputs a second, so the calls that may free a thread-safe
 * channel run inside a read-side section: fini then skips the wait and the
 * superseded states are freed a little later on liburcu's thread (state.h,
 * achan_state_fini).  At exit one rcu_barrier() lets them all go before
 * LeakSanitizer looks; campaigns run with -detect_leaks=0, since libFuzzer's
 * per-input count of mallocs and frees cannot see frees on another thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-bp.h>

#include "harness.h"
#include "ref_state.h"
#include "state_internal.h"	/* achan__state_test_set_id (test hook) */

#define NF REF_STATE_FUTS
#define NH REF_STATE_HANDLES
#define NB 4		/* borrow slots */
#define MAX_TIMEOUTS 2	/* as in fuzz_chan.c */

struct sfut {
	struct achan_state_recv_future f;
	unsigned char out[FZ_MAX_ELEM];
	uint64_t id;
};

struct borrow {
	int open;
	struct achan_state_borrow b;
	const void *value;
	uint64_t v, id;
};

static struct {
	struct ref_state m;
	int local, paired, init;
	size_t esz;
	struct achan_state *st;		/* unpaired */
	void *mem;
	struct achan_state_sender tx[NH];
	struct achan_state_receiver rx[NH];
	struct sfut *f[NF];
	struct borrow bw[NB];
	unsigned nborrows;
	uint64_t next;
	unsigned timeouts;
} S;

static void *
vbuf(unsigned char *b)
{
	return S.esz != 0 ? b : NULL;
}

static struct achan_state *
state(void)
{
	unsigned i;

	if (!S.paired)
		return S.st;
	for (i = 0; i < NH; i++) {
		if (achan_state_sender_state(&S.tx[i]) != NULL)
			return achan_state_sender_state(&S.tx[i]);
		if (achan_state_receiver_state(&S.rx[i]) != NULL)
			return achan_state_receiver_state(&S.rx[i]);
	}
	return NULL;
}

/* Around a call that may free a thread-safe channel: see the top. */
static void
may_free_begin(void)
{
	if (!S.local)
		rcu_read_lock();
}

static void
may_free_end(void)
{
	if (!S.local)
		rcu_read_unlock();
}

static void
barrier_at_exit(void)
{
	rcu_barrier();
}

static uint64_t
pick_after(unsigned sel)
{
	switch (sel % 5) {
	case 0: return ACHAN_STATE_ID_INIT;
	case 1: return S.m.id;
	case 2: return S.m.id - 1;
	case 3: return S.m.id + 1;
	default: return UINT64_MAX;
	}
}

static unsigned
code_of(unsigned slot)
{
	return slot;
}

/* --- comparing --------------------------------------------------------------- */

static void
compare(void)
{
	struct achan_state *st;
	unsigned i;

	for (i = 0; i < NF; i++)
		if (fz_wakes[i] != S.m.fut[i].wakes)
			fz_fail("recv future %u: woken %u times, model %u", i,
			    fz_wakes[i], S.m.fut[i].wakes);
	fz_check_wake_order(code_of);
	/* "the same bytes, whatever is sent meanwhile" */
	for (i = 0; i < NB; i++)
		if (S.bw[i].open)
			fz_check_value(S.bw[i].value, S.esz, S.bw[i].v,
			    "borrowed bytes");
	if (S.m.freed || !ref_state_usable(&S.m))
		return;
	st = state();
	if (st == NULL)
		fz_fail("no channel behind the live handles");
	FZ_EQ_U(achan_state_id(st), S.m.id, "id");
	FZ_EQ_U(achan_state_is_closed(st), S.m.closed, "is_closed");
	FZ_EQ_U(achan_state_elem_size(st), S.esz, "elem_size");
}

/* --- futures ------------------------------------------------------------------- */

static void
finished(unsigned i)
{
	struct achan_waker w = fz_dead_waker();
	uint64_t v, id;

	FZ_EQ_ST(achan_state_recv_poll(&S.f[i]->f, &w),
	    ref_state_poll(&S.m, i, 0, &v, &id), "poll after finish");
	FZ_EQ_ST(achan_state_recv_cancel(&S.f[i]->f),
	    ref_state_cancel(&S.m, i), "cancel after finish");
	S.m.fut[i].st = RF_FREE;
	free(S.f[i]);
	S.f[i] = NULL;
}

static int
start(unsigned i, uint64_t after)
{
	struct achan_state *st = state();

	if (st == NULL)
		return 0;
	S.f[i] = calloc(1, sizeof(*S.f[i]));
	if (S.f[i] == NULL)
		abort();
	/* the id pointer may be NULL: use it for odd slots */
	FZ_EQ_ST(achan_state_recv_future_init(&S.f[i]->f, st, after,
	    vbuf(S.f[i]->out), (i & 1) ? NULL : &S.f[i]->id), ACHAN_OK,
	    "future init");
	fz_wakes[i] = 0;
	return 1;
}

static void
poll_fut(unsigned i, struct fz_in *in)
{
	struct achan_waker w;
	uint64_t after = 0, v = 0, id = 0;
	int r;

	if (S.m.fut[i].st == RF_FREE) {
		after = pick_after(fz_byte(in));
		if (!start(i, after))
			return;
	}
	fz_op("poll", i, after);
	w = fz_waker(i);
	may_free_begin();
	r = achan_state_recv_poll(&S.f[i]->f, &w);
	may_free_end();
	FZ_EQ_ST(r, ref_state_poll(&S.m, i, after, &v, &id), "poll");
	if (r == ACHAN_OK) {
		fz_check_value(S.f[i]->out, S.esz, v, "poll");
		if (!(i & 1))
			FZ_EQ_U(S.f[i]->id, id, "poll: id");
	}
	if (r != ACHAN_PENDING)
		finished(i);
}

static void
cancel_fut(unsigned i)
{
	if (S.m.fut[i].st == RF_FREE && !start(i, 0))
		return;
	fz_op("cancel", i, 0);
	may_free_begin();
	FZ_EQ_ST(achan_state_recv_cancel(&S.f[i]->f), ref_state_cancel(&S.m, i),
	    "cancel");
	may_free_end();
	if (S.m.fut[i].st == RF_FREE)
		S.m.fut[i] = (struct ref_fut){ .st = RF_FINISHED,
		    .result = ACHAN_CANCELLED };
	finished(i);
}

static void
run_ready(struct fz_in *in)
{
	unsigned ready[FZ_READY_MAX], n = fz_ready_n, k;

	memcpy(ready, fz_ready, n * sizeof(ready[0]));
	fz_ready_n = 0;
	for (k = 0; k < n; k++)
		if (ready[k] < NF && ref_registered(&S.m.fut[ready[k]]))
			poll_fut(ready[k], in);
}

static void
in_wake(unsigned slot)
{
	struct achan_waker w = fz_dead_waker();
	struct achan_state *st = state();
	unsigned char out[FZ_MAX_ELEM];
	uint64_t id = 0, v = 0, mid = 0;
	int r;

	if (slot >= NF || S.f[slot] == NULL)
		fz_fail("slot %u woken, but no future is registered there", slot);
	FZ_EQ_ST(achan_state_recv_poll(&S.f[slot]->f, &w), ACHAN_EINVAL,
	    "poll from its own wake");
	FZ_EQ_ST(achan_state_recv_cancel(&S.f[slot]->f), ACHAN_EINVAL,
	    "cancel from its own wake");
	/* A waker may call back into achan: a try_recv changes nothing, and
	 * the model is already past the send or close that wakes. */
	if (st != NULL) {
		r = achan_state_try_recv(st, ACHAN_STATE_ID_INIT, vbuf(out), &id);
		FZ_EQ_ST(r, ref_state_look(&S.m, ACHAN_STATE_ID_INIT, &v, &mid),
		    "try_recv from a wake");
		if (r == ACHAN_OK) {
			fz_check_value(out, S.esz, v, "try_recv from a wake");
			FZ_EQ_U(id, mid, "try_recv from a wake: id");
		}
	}
}

/* --- the other operations -------------------------------------------------------- */

static void
do_send(void)
{
	unsigned char val[FZ_MAX_ELEM];
	struct achan_state *st = state();
	int mr;

	if (st == NULL)
		return;
	fz_encode(val, S.esz, ++S.next);
	fz_op("send", S.next, 0);
	mr = ref_state_send(&S.m, S.next);	/* first: in_wake reads it */
	FZ_EQ_ST(achan_state_send(st, vbuf(val)), mr, "send");
}

static void
try_recv(unsigned arg, struct fz_in *in)
{
	unsigned char out[FZ_MAX_ELEM];
	struct achan_state *st = state();
	uint64_t after = pick_after(fz_byte(in)), v = 0, id = 0, mid = 0;
	int r;

	if (st == NULL)
		return;
	fz_op("try_recv", after, 0);
	r = achan_state_try_recv(st, after, vbuf(out), (arg & 1) ? NULL : &id);
	FZ_EQ_ST(r, ref_state_look(&S.m, after, &v, &mid), "try_recv");
	if (r == ACHAN_OK) {
		fz_check_value(out, S.esz, v, "try_recv");
		if (!(arg & 1))
			FZ_EQ_U(id, mid, "try_recv: id");
	}
}

static void
borrow(unsigned i, struct fz_in *in)
{
	struct achan_state *st = state();
	uint64_t after = pick_after(fz_byte(in)), v = 0, mid = 0;
	struct borrow *b = &S.bw[i];
	int r;

	if (st == NULL || b->open)
		return;
	fz_op("borrow", i, after);
	b->id = 0;
	r = achan_state_borrow(st, after, &b->b, &b->value, &b->id);
	FZ_EQ_ST(r, ref_state_look(&S.m, after, &v, &mid), "borrow");
	if (r != ACHAN_OK) {
		FZ_EQ_ST(achan_state_borrow_end(&b->b), ACHAN_EINVAL,
		    "end of a borrow that did not open");
		return;
	}
	FZ_EQ_U(b->id, mid, "borrow: id");
	fz_check_value(b->value, S.esz, v, "borrow");
	b->v = v;
	b->open = 1;
	S.nborrows++;
}

static void
borrow_end(unsigned i)
{
	struct borrow *b = &S.bw[i];

	if (!b->open)
		return;
	fz_op("borrow_end", i, 0);
	fz_check_value(b->value, S.esz, b->v, "borrowed bytes at the end");
	FZ_EQ_ST(achan_state_borrow_end(&b->b), ACHAN_OK, "borrow_end");
	FZ_EQ_ST(achan_state_borrow_end(&b->b), ACHAN_EINVAL,
	    "second borrow_end");
	b->open = 0;
	S.nborrows--;
}

/* Blocking receive: the plain call where it returns at once (or answers
 * EDEADLK on a local channel), else the deadline twin with a past deadline.
 * Never inside a borrow (state.h). */
static void
block_recv(int until, struct fz_in *in)
{
	unsigned char out[FZ_MAX_ELEM];
	struct timespec dl = fz_past();
	struct achan_state *st = state();
	uint64_t after = pick_after(fz_byte(in)), v = 0, id = 0, mid = 0;
	int ready, r, mr;

	if (st == NULL || S.nborrows > 0)
		return;
	ready = ref_state_look(&S.m, after, &v, &mid) != ACHAN_EMPTY;
	if (!ready && !S.local && S.timeouts++ >= MAX_TIMEOUTS)
		return;
	fz_op(until ? "recv_until(past)" : "recv", after, ready);
	if (!ready && !S.local)
		until = 1;
	r = until ? achan_state_recv_until(st, after, vbuf(out), &id, &dl) :
	    achan_state_recv(st, after, vbuf(out), &id);
	if (ready)
		mr = ref_state_look(&S.m, after, &v, &mid);
	else
		mr = S.local ? ACHAN_EDEADLK : ACHAN_TIMEDOUT;
	FZ_EQ_ST(r, mr, "blocking recv");
	if (r == ACHAN_OK) {
		fz_check_value(out, S.esz, v, "blocking recv");
		FZ_EQ_U(id, mid, "blocking recv: id");
	}
}

static void
do_close(void)
{
	struct achan_state *st = state();
	int mr;

	if (st == NULL)
		return;
	fz_op("close", 0, 0);
	mr = ref_state_close(&S.m);
	FZ_EQ_ST(achan_state_close(st), mr, "close");
}

static void
handle_clone(int rx, unsigned arg)
{
	unsigned from = arg & 3, to = (from + 1 + (arg >> 2)) & 3;
	int r;

	if (!S.paired || S.m.freed || (rx ? S.m.rx[to] : S.m.tx[to]))
		return;
	fz_op(rx ? "receiver_clone" : "sender_clone", from, to);
	r = rx ? achan_state_receiver_clone(&S.rx[from], &S.rx[to]) :
	    achan_state_sender_clone(&S.tx[from], &S.tx[to]);
	FZ_EQ_ST(r, ref_state_clone(&S.m, rx, from, to), "clone");
	if (r != ACHAN_OK && (rx ? (void *)achan_state_receiver_state(&S.rx[to]) :
	    (void *)achan_state_sender_state(&S.tx[to])) != NULL)
		fz_fail("a refused clone left its output set");
}

/* Never inside a borrow (state.h). */
static void
handle_release(int rx, unsigned h)
{
	int r, mr;

	if (!S.paired || S.m.freed || S.nborrows > 0)
		return;
	fz_op(rx ? "receiver_release" : "sender_release", h, 0);
	mr = ref_state_release(&S.m, rx, h);
	may_free_begin();
	r = rx ? achan_state_receiver_release(&S.rx[h]) :
	    achan_state_sender_release(&S.tx[h]);
	may_free_end();
	FZ_EQ_ST(r, mr, "release");
	if ((rx ? (void *)achan_state_receiver_state(&S.rx[h]) :
	    (void *)achan_state_sender_state(&S.tx[h])) != NULL)
		fz_fail("release left the handle set");
}

static int
teardown_call(struct achan_state *st, int init)
{
	return init ? achan_state_fini(st) : achan_state_destroy(st);
}

static void
destroy_busy(void)
{
	struct achan_state *st = state();

	if (st == NULL || S.nborrows > 0)
		return;
	if (S.paired) {
		fz_op("destroy(paired)", 0, 0);
		FZ_EQ_ST(teardown_call(st, S.init), ACHAN_EINVAL,
		    "destroy of a paired channel");
		return;
	}
	if (!ref_state_busy(&S.m))
		return;
	fz_op("destroy(busy)", 0, 0);
	FZ_EQ_ST(teardown_call(st, S.init), ref_state_destroy(&S.m),
	    "destroy with futures registered");
	FZ_EQ_ST(teardown_call(st, !S.init), ACHAN_EINVAL,
	    "teardown of the other kind");
}

static void
bad_args(unsigned arg)
{
	struct achan_state *st = state();
	struct timespec bad = { 0, -1 };
	unsigned char buf[FZ_MAX_ELEM] = { 0 };
	struct achan_state_borrow b;
	const void *p;
	unsigned i = arg & 7;

	if (st == NULL)
		return;
	fz_op("bad_args", arg, 0);
	FZ_EQ_ST(achan_state_recv_until(st, 0, buf, NULL, &bad), ACHAN_EINVAL,
	    "recv_until(bad timespec)");
	FZ_EQ_ST(achan_state_recv_until(st, 0, buf, NULL, NULL), ACHAN_EINVAL,
	    "recv_until(NULL)");
	if (S.esz != 0)
		FZ_EQ_ST(achan_state_send(st, NULL), ACHAN_EINVAL, "send(NULL)");
	{
		/* a NULL out only looks: the model's look, nothing copied */
		uint64_t v, id = 0, mid = 0;
		int want = ref_state_look(&S.m, 0, &v, &mid);

		FZ_EQ_ST(achan_state_try_recv(st, 0, NULL, &id), want,
		    "try_recv(NULL out): looks only");
		if (want == ACHAN_OK && id != mid)
			fz_fail("try_recv(NULL out): id %llu, model %llu",
			    (unsigned long long)id, (unsigned long long)mid);
	}
	FZ_EQ_ST(achan_state_borrow(NULL, 0, &b, &p, NULL), ACHAN_EINVAL,
	    "borrow(NULL)");
	FZ_EQ_ST(achan_state_borrow_end(NULL), ACHAN_EINVAL, "borrow_end(NULL)");
	if (ref_registered(&S.m.fut[i]))
		FZ_EQ_ST(achan_state_recv_poll(&S.f[i]->f, NULL), ACHAN_EINVAL,
		    "poll with a NULL waker");
}

static void
run_op(unsigned b, struct fz_in *in)
{
	unsigned arg = b >> 4;

	switch (b & 15) {
	case 0: case 12: do_send(); break;
	case 1: try_recv(arg, in); break;
	case 2: case 13: poll_fut(arg & 7, in); break;
	case 3: cancel_fut(arg & 7); break;
	case 4: do_close(); break;
	case 5: borrow(arg & 3, in); break;
	case 6: borrow_end(arg & 3); break;
	case 7: block_recv(arg & 1, in); break;
	case 8: handle_clone(arg & 1, arg >> 1); break;
	case 9: handle_release(arg & 1, (arg >> 1) & 3); break;
	case 10: destroy_busy(); break;
	case 11: bad_args(arg); break;
	case 14: do_send(); try_recv(arg, in); break;
	default: run_ready(in); break;
	}
	compare();
}

/* --- one input ------------------------------------------------------------------- */

static void
setup(unsigned hdr)
{
	unsigned life = (hdr >> 1) & 3, flags;
	uint64_t start_id = (hdr >> 5) & 1 ? UINT64_MAX - 3 : 0;
	size_t need;

	memset(&S, 0, sizeof(S));
	fz_wakers_reset();
	S.local = hdr & 1;
	S.paired = life >= 2;
	S.init = life == 1;
	S.esz = fz_elem_size(hdr >> 3);
	flags = S.local ? ACHAN_LOCAL : 0;
	ref_state_init(&S.m, start_id, S.paired);
	fz_op("setup", hdr, 0);
	if (S.paired) {
		FZ_EQ_ST(achan_state_pair(&S.tx[0], &S.rx[0], S.esz, flags),
		    ACHAN_OK, "pair");
	} else if (S.init) {
		need = achan_state_memsize(S.esz);
		S.mem = malloc(need);
		if (S.mem == NULL)
			abort();
		FZ_EQ_ST(achan_state_init(S.mem, need, S.esz, flags, &S.st),
		    ACHAN_OK, "init");
	} else {
		FZ_EQ_ST(achan_state_create(&S.st, S.esz, flags), ACHAN_OK,
		    "create");
	}
	if (start_id != 0)
		FZ_EQ_ST(achan__state_test_set_id(state(), start_id), ACHAN_OK,
		    "test hook: start id");
}

static void
teardown(void)
{
	unsigned i;

	for (i = 0; i < NB; i++)
		borrow_end(i);
	for (i = 0; i < NF; i++) {
		if (ref_registered(&S.m.fut[i]))
			cancel_fut(i);
		compare();
	}
	if (S.paired) {
		for (i = 0; i < NH; i++) {
			if (S.m.tx[i])
				handle_release(0, i);
			compare();
		}
		for (i = 0; i < NH; i++) {
			if (S.m.rx[i])
				handle_release(1, i);
			compare();
		}
		if (!S.m.freed)
			fz_fail("model: not freed after the last release");
		return;
	}
	fz_op("destroy", 0, 0);
	may_free_begin();
	FZ_EQ_ST(teardown_call(S.st, S.init), ref_state_destroy(&S.m),
	    "destroy");
	may_free_end();
	S.m.freed = 1;
	free(S.mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fz_target target = {
		"state", barrier_at_exit, setup, run_op, teardown, in_wake
	};

	return fz_run(&target, data, size);
}
