/*
 * fuzz/harness.c - the parts every fuzz target shares (harness.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ref.h"

/* --- trace and failure ------------------------------------------------------ */

#define TRACE_MAX 512

struct trace_ent {
	const char *name;
	uint64_t a, b;
};

static struct trace_ent trace[TRACE_MAX];
static uint64_t trace_n;	/* operations of this input so far */

uint64_t fz_ops;
uint64_t fz_inputs;
static const char *target_name = "?";

void
fz_op(const char *name, uint64_t a, uint64_t b)
{
	struct trace_ent *e = &trace[trace_n++ % TRACE_MAX];

	e->name = name;
	e->a = a;
	e->b = b;
	fz_ops++;
}

void
fz_begin(void)
{
	trace_n = 0;
	fz_inputs++;
}

static void report(void);

static void
print_trace(void)
{
	uint64_t i = trace_n > TRACE_MAX ? trace_n - TRACE_MAX : 0;

	for (; i < trace_n; i++) {
		const struct trace_ent *e = &trace[i % TRACE_MAX];

		fprintf(stderr, "  #%-4llu %-22s %llu %llu\n",
		    (unsigned long long)i, e->name, (unsigned long long)e->a,
		    (unsigned long long)e->b);
	}
}

void
fz_end(void)
{
	static int env = -1;

	if (env < 0)
		env = getenv("ACHAN_FUZZ_TRACE") != NULL;
	if (env) {
		fprintf(stderr, "achan-fuzz: %s: input done after %llu "
		    "operations:\n", target_name, (unsigned long long)trace_n);
		print_trace();
	}
}

void
fz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\nachan-fuzz: %s: DIVERGENCE after %llu operations "
	    "of this input:\n", target_name, (unsigned long long)trace_n);
	print_trace();
	fprintf(stderr, "achan-fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	report();	/* the operations it took to find */
	fflush(stderr);
	abort();
}

const char *
fz_st(int status)
{
	return achan_strerror(status);
}

static void
report(void)
{
	fprintf(stderr, "achan-fuzz: %s: %llu ops in %llu inputs\n",
	    target_name, (unsigned long long)fz_ops,
	    (unsigned long long)fz_inputs);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
void __asan_set_error_report_callback(void (*callback)(const char *));

/* An AddressSanitizer report ends the process without exit handlers: say
 * how many operations it took (libFuzzer keeps the death callback). */
static void
asan_report(const char *text)
{
	(void)text;
	report();
}
#endif
#endif

void
fz_setup(const char *name)
{
	static int done;

	if (done)
		return;
	done = 1;
	target_name = name;
	atexit(report);
#ifdef FZ_ASAN
	__asan_set_error_report_callback(asan_report);
#endif
}

/* --- values ------------------------------------------------------------------ */

size_t
fz_elem_size(unsigned sel)
{
	static const size_t sizes[4] = { 8, 0, 24, 8 };

	return sizes[sel & 3];
}

void
fz_encode(void *buf, size_t esz, uint64_t v)
{
	uint64_t w[3];

	if (esz == 0)
		return;
	w[0] = v;
	w[1] = ~v;
	w[2] = v * 0x9e3779b97f4a7c15ull;
	memcpy(buf, w, esz);
}

uint64_t
fz_decode(const void *buf, size_t esz, const char *what)
{
	uint64_t w[3];

	if (esz == 0)
		return 0;
	memcpy(w, buf, esz);
	if (esz > 8 && (w[1] != ~w[0] || w[2] != w[0] * 0x9e3779b97f4a7c15ull))
		fz_fail("%s: a torn value (%llx %llx %llx)", what,
		    (unsigned long long)w[0], (unsigned long long)w[1],
		    (unsigned long long)w[2]);
	return w[0];
}

void
fz_check_value(const void *buf, size_t esz, uint64_t v, const char *what)
{
	uint64_t got;

	if (esz == 0)
		return;
	got = fz_decode(buf, esz, what);
	if (got != v)
		fz_fail("%s: library value %llu, model value %llu", what,
		    (unsigned long long)got, (unsigned long long)v);
}

/* --- wakers ------------------------------------------------------------------ */

unsigned fz_wakes[FZ_SLOTS];
unsigned fz_ready[FZ_READY_MAX];
unsigned fz_ready_n;
unsigned fz_woken[FZ_READY_MAX];
unsigned fz_woken_n;
static unsigned wake_gen[FZ_SLOTS];
void (*fz_in_wake)(unsigned slot);

/* arg = slot | generation << 8: which future, and which of its wakers */
static void
wake(void *arg)
{
	uintptr_t a = (uintptr_t)arg;
	unsigned slot = (unsigned)(a & 0xff), gen = (unsigned)(a >> 8);

	if (slot >= FZ_SLOTS)
		fz_fail("wake with a bad argument %#lx", (unsigned long)a);
	if (gen != wake_gen[slot])
		fz_fail("slot %u woken through waker #%u, but the latest "
		    "poll gave waker #%u", slot, gen, wake_gen[slot]);
	fz_wakes[slot]++;
	if (fz_ready_n < FZ_READY_MAX)
		fz_ready[fz_ready_n++] = slot;
	if (fz_woken_n < FZ_READY_MAX)
		fz_woken[fz_woken_n++] = slot;
	if (fz_in_wake != NULL)
		fz_in_wake(slot);
}

void
fz_check_wake_order(unsigned (*code_of)(unsigned slot))
{
	unsigned side, i, j, c;

	for (side = 0; side < 2; side++) {
		for (i = j = 0;; i++, j++) {
			while (i < fz_woken_n && code_of(fz_woken[i]) >> 8 != side)
				i++;
			while (j < ref_woken.n && ref_woken.code[j] >> 8 != side)
				j++;
			if (i == fz_woken_n && j == ref_woken.n)
				break;
			if (i == fz_woken_n || j == ref_woken.n)
				break;	/* the counts differ: compare() says so */
			c = code_of(fz_woken[i]);
			if (c != ref_woken.code[j])
				fz_fail("wake order: side %u woke future %u where "
				    "the model wakes %u first", side, c & 0xff,
				    ref_woken.code[j] & 0xff);
		}
	}
	fz_woken_n = 0;
	ref_woken.n = 0;
}

struct achan_waker
fz_waker(unsigned slot)
{
	struct achan_waker w;

	wake_gen[slot] = (wake_gen[slot] + 1) & 0xffffff;
	w.wake = wake;
	w.arg = (void *)(uintptr_t)(slot | (uintptr_t)wake_gen[slot] << 8);
	return w;
}

static void
dead_wake(void *arg)
{
	(void)arg;
	fz_fail("a waker given to a call that answered EINVAL was called");
}

struct achan_waker
fz_dead_waker(void)
{
	struct achan_waker w = { dead_wake, NULL };

	return w;
}

void
fz_wakers_reset(void)
{
	memset(fz_wakes, 0, sizeof(fz_wakes));
	memset(wake_gen, 0, sizeof(wake_gen));
	fz_ready_n = 0;
	fz_woken_n = 0;
	ref_woken.n = 0;
	fz_in_wake = NULL;
}

/* --- element destructor -------------------------------------------------------- */

uint64_t fz_dtor_log[FZ_DTOR_MAX];
unsigned fz_dtor_n;
size_t fz_dtor_esz;

void
fz_dtor(void *elem, void *arg)
{
	if (arg != (void *)fz_dtor_log)
		fz_fail("destructor called with the wrong argument");
	if (fz_dtor_n >= FZ_DTOR_MAX)
		fz_fail("more than %d destructor calls", FZ_DTOR_MAX);
	fz_dtor_log[fz_dtor_n++] = fz_decode(elem, fz_dtor_esz, "destructor");
}

int
fz_known_bugs(void)
{
	static int known = -1;

	if (known < 0)
		known = getenv("ACHAN_FUZZ_KNOWN_BUGS") != NULL;
	return known;
}

struct timespec
fz_past(void)
{
	struct timespec ts;

	clock_gettime(ACHAN_CLOCK, &ts);
	if (ts.tv_sec > 0)
		ts.tv_sec--;
	return ts;
}

/* --- one target --------------------------------------------------------------------- */

int
fz_run(const struct fz_target *t, const uint8_t *data, size_t size)
{
	static int once;
	struct fz_in in = { data, size };

	if (size == 0)
		return 0;
	if (!once) {
		once = 1;
		fz_setup(t->name);
		if (t->at_exit != NULL)
			atexit(t->at_exit);	/* after fz_setup's: runs first */
	}
	fz_begin();
	t->setup(fz_byte(&in));
	fz_in_wake = t->in_wake;
	while (fz_more(&in))
		t->run_op(fz_byte(&in), &in);
	t->teardown();
	fz_end();
	return 0;
}
