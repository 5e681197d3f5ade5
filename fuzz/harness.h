/*
 * fuzz/harness.h - what every libFuzzer target of achan shares: the byte
 * reader that turns an input into operations, the recording waker and
 * element destructor, the operation counter, and the failure report.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A target applies each operation to the real library and to the reference
 * model (ref_*.h) on one thread, then compares: the status, the value, the
 * wake calls of every future (count and which waker), the destructor calls,
 * and the queries.  The first difference aborts with a trace of the
 * operations that led to it; libFuzzer saves the input as the reproducer.
 */
#ifndef ACHAN_FUZZ_HARNESS_H
#define ACHAN_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <achan.h>

/* --- input ------------------------------------------------------------------ */

struct fz_in {
	const uint8_t *p;
	size_t n;
};

/* The next byte, or 0 once the input is used up. */
static inline unsigned
fz_byte(struct fz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static inline int
fz_more(const struct fz_in *in)
{
	return in->n != 0;
}

/* --- failure ------------------------------------------------------------------ */

/*
 * Remember the operation about to run (for the trace printed on failure):
 * a name and two numbers (a slot, a value, an id).  Cheap: nothing is
 * formatted until something fails.
 */
void fz_op(const char *name, uint64_t a, uint64_t b);
/* Print the trace and the message, then abort(). */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Start a new input: clears the trace. */
void fz_begin(void);
/* The input is done.  With ACHAN_FUZZ_TRACE set in the environment, print
 * its operations (to replay a reproducer that leaks or hangs). */
void fz_end(void);

/* Compare a status with the model's; the message names the operation. */
#define FZ_EQ_ST(real, model, what) do { \
	int r_ = (real), m_ = (model); \
	if (r_ != m_) \
		fz_fail("%s: library %s, model %s", (what), \
		    fz_st(r_), fz_st(m_)); \
} while (0)

#define FZ_EQ_U(real, model, what) do { \
	unsigned long long r_ = (real), m_ = (model); \
	if (r_ != m_) \
		fz_fail("%s: library %llu, model %llu", (what), r_, m_); \
} while (0)

const char *fz_st(int status);

/* --- operation counter ---------------------------------------------------------- */

/* Operations applied, all inputs together; reported at exit as
 * "achan-fuzz: <name>: <ops> ops in <inputs> inputs". */
extern uint64_t fz_ops;
extern uint64_t fz_inputs;
void fz_setup(const char *name);

/* --- values ------------------------------------------------------------------------ */

/*
 * Every value sent is distinct (a counter), so the model can tell which one
 * arrived.  Element sizes 0 (signal-only: pointers may be NULL), 8 (the
 * pointer-sized fast path) and 24 (the general copy) are used; a value of
 * size 24 is the counter in three forms, all checked.
 */
#define FZ_MAX_ELEM 24
void fz_encode(void *buf, size_t esz, uint64_t v);
/* The value in buf, or fail if its three forms disagree. */
uint64_t fz_decode(const void *buf, size_t esz, const char *what);
/* Fail unless buf holds v (nothing to check when esz is 0). */
void fz_check_value(const void *buf, size_t esz, uint64_t v, const char *what);
size_t fz_elem_size(unsigned sel);

/* --- wakers ----------------------------------------------------------------------- */

/*
 * Future slots 0..FZ_SLOTS-1.  Each poll gives its future a new waker
 * (a new generation); a wake must come from the latest one ("only the
 * latest waker fires").  fz_wakes[slot] counts the wake calls.
 */
#define FZ_SLOTS 18
extern unsigned fz_wakes[FZ_SLOTS];

/*
 * Called from inside a wake with the slot woken: the target checks there
 * that polling or cancelling the future from its own wake answers
 * ACHAN_EINVAL.  May be NULL.
 */
extern void (*fz_in_wake)(unsigned slot);

/* --- one target ------------------------------------------------------------------ */

/*
 * What LLVMFuzzerTestOneInput runs for each input (fz_run): the first byte
 * to setup (the object's geometry), then run_op for every further byte (it
 * may consume more of the input), then teardown; in_wake becomes
 * fz_in_wake.  at_exit (may be NULL) is registered once, and runs before
 * the harness's report.
 */
struct fz_target {
	const char *name;
	void (*at_exit)(void);
	void (*setup)(unsigned hdr);
	void (*run_op)(unsigned b, struct fz_in *in);
	void (*teardown)(void);
	void (*in_wake)(unsigned slot);
};

int fz_run(const struct fz_target *t, const uint8_t *data, size_t size);

/*
 * The slots woken, in the order of their wake calls (an executor's ready
 * queue): the targets poll them from there.  A slot may be listed after
 * its future finished; the target skips it then.
 */
#define FZ_READY_MAX 256
extern unsigned fz_ready[FZ_READY_MAX];
extern unsigned fz_ready_n;

/* Every wake call, in order, since the target last compared them with the
 * model's (fz_check_wake_order); reset by that. */
extern unsigned fz_woken[FZ_READY_MAX];
extern unsigned fz_woken_n;

/*
 * Compare the order of the wake calls with the model's (ref_woken, whose
 * codes are side << 8 | future), side by side: within a side, waiters are
 * woken oldest first; between sides the contract fixes no order.
 * code_of maps a harness slot to its model code.  Resets both logs.
 */
void fz_check_wake_order(unsigned (*code_of)(unsigned slot));

/* A new waker for slot (a new generation). */
struct achan_waker fz_waker(unsigned slot);
void fz_wakers_reset(void);
/* A waker for calls that must not store it (they answer ACHAN_EINVAL):
 * calling it fails. */
struct achan_waker fz_dead_waker(void);

/* --- element destructor -------------------------------------------------------------- */

/* The destructor given to every object: logs the value it destroys. */
#define FZ_DTOR_MAX 64
extern uint64_t fz_dtor_log[FZ_DTOR_MAX];
extern unsigned fz_dtor_n;
extern size_t fz_dtor_esz;
void fz_dtor(void *elem, void *arg);

/* 1 if ACHAN_FUZZ_KNOWN_BUGS is set: also run the checks that trip over
 * library bugs found and not fixed yet (fuzz/crashes/README). */
int fz_known_bugs(void);

/* A deadline that has passed (for the _until calls). */
struct timespec fz_past(void);

#endif /* ACHAN_FUZZ_HARNESS_H */
