/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tap.h - a tiny Test Anything Protocol library for achan's tests.
 *
 * Usage:
 *
 *	#include "tap.h"
 *
 *	int main(void)
 *	{
 *		plan(2);
 *		tap_watchdog(10 + 2 * (unsigned)tap_test_seconds());
 *		ok(1 + 1 == 2, "arithmetic");
 *		cmp_int(achan_chan_send(ch, &v), ==, ACHAN_OK, "send");
 *		return exit_status();
 *	}
 *
 * Everything is written to stdout and flushed line by line, so the output
 * survives a crash.  ok(), cmp_*(), diag() and skip() may be called from
 * any thread: each line is written whole and test numbers stay in order.
 * The output is read by automake's tap-driver.sh (`make check`), which
 * counts every ok/not ok and fails the program on a plan mismatch, a
 * "Bail out!" line or a non-zero exit.
 */
#ifndef ACHAN_T_TAP_H
#define ACHAN_T_TAP_H

#ifdef __GNUC__
#define TAP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TAP_PRINTF(fmt, args)
#endif

/* Announce that n tests follow ("1..n").  Call it once, or not at all and
 * finish with done_testing(). */
void plan(unsigned int n);

/* Skip the whole program: prints "1..0 # SKIP <reason>" and exits 0. */
_Noreturn void plan_skip_all(const char *fmt, ...) TAP_PRINTF(1, 2);

/* One test: "ok N - <description>" or "not ok N - <description>"; a
 * failure adds "#   Failed at FILE:LINE".  A description (printf format
 * and arguments) is required.  Returns cond (as 0 or 1), so failures can
 * be followed up:
 *	if (!ok(p != NULL, "allocated")) bail_out("cannot go on"); */
#define ok(cond, ...) tap_ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
int tap_ok_(int cond, const char *file, int line, const char *fmt, ...)
	TAP_PRINTF(4, 5);

/* ok() described by the condition's own text. */
#define ok1(cond) ok((cond), "%s", #cond)

/* A "# <message>" comment line (one per line of the message). */
void diag(const char *fmt, ...) TAP_PRINTF(1, 2);

/* Record n tests as skipped: "ok N # skip <reason>", n times. */
void skip(unsigned int n, const char *fmt, ...) TAP_PRINTF(2, 3);

/* Give up: prints "Bail out! <reason>" and _exit(255)s at once (no atexit
 * handlers, no leak check), from any thread. */
_Noreturn void bail_out(const char *fmt, ...) TAP_PRINTF(1, 2);

/* End the run: prints "1..N" if plan() was not called, then returns
 * exit_status(), so that main() can end with `return done_testing();`. */
int done_testing(void);

/* 0 if every test passed and the plan was met; otherwise the number of
 * failures (at most 254), or 255 for a missing plan or a plan mismatch. */
int exit_status(void);

/*
 * Typed comparisons, in the spirit of libuv's ASSERT_EQ & co.: each
 * operand is evaluated once, op is one of == != < <= > >=, and a failure
 * prints both values:
 *
 *	cmp_int(got, ==, 3, "three items");
 *	not ok 4 - three items
 *	#   Failed at t/chan_basic.c:42: got == 3
 *	#          got: 2
 *	#     expected: == 3
 *
 * A description (printf format and arguments) is required.  Both return
 * the result, like ok().  cmp_int compares as long long, cmp_uint as
 * unsigned long long.
 */
#define cmp_int(got, op, expected, ...)                                       \
	tap_cmp_int_((long long)(got), #op, (long long)(expected),            \
		     #got " " #op " " #expected, __FILE__, __LINE__,          \
		     __VA_ARGS__)
#define cmp_uint(got, op, expected, ...)                                      \
	tap_cmp_uint_((unsigned long long)(got), #op,                         \
		      (unsigned long long)(expected),                         \
		      #got " " #op " " #expected, __FILE__, __LINE__,         \
		      __VA_ARGS__)

int tap_cmp_int_(long long got, const char *op, long long expected,
		 const char *expr, const char *file, int line,
		 const char *fmt, ...) TAP_PRINTF(7, 8);
int tap_cmp_uint_(unsigned long long got, const char *op,
		  unsigned long long expected, const char *expr,
		  const char *file, int line,
		  const char *fmt, ...) TAP_PRINTF(7, 8);

/* Arm (or, with 0, disarm) a watchdog: if the program still runs after
 * `seconds`, a SIGALRM handler writes "Bail out! watchdog ..." and
 * _exit(1)s.  Re-arming replaces the previous deadline (alarm(2)). */
void tap_watchdog(unsigned int seconds);

/* How long a stress test should run, in seconds: $ACHAN_TEST_SECONDS
 * (fractions allowed, e.g. 0.25), or 1 when unset or invalid. */
double tap_test_seconds(void);

#endif /* ACHAN_T_TAP_H */
