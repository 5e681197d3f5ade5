/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tap.c - the tiny TAP library behind t/tap.h.
 *
 * One mutex serialises the counters and the output, so tests may report
 * from several threads; every line is flushed at once, so a crash loses
 * nothing already reported.
 */
#define _POSIX_C_SOURCE 200809L /* sigaction, even under -std=c11 */

#include "tap.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t tap_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int tap_run;		/* tests reported so far */
static unsigned int tap_failed;		/* of which failed */
static unsigned int tap_planned;	/* valid when tap_have_plan */
static int tap_have_plan;

/* A formatted message: in buf when it fits, else on the heap. */
struct tap_msg {
	char buf[512];
	char *heap;
	const char *text;
};

static void tap_msg_vformat(struct tap_msg *m, const char *fmt, va_list ap)
	TAP_PRINTF(2, 0);

static void tap_msg_vformat(struct tap_msg *m, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	m->heap = NULL;
	m->text = m->buf;
	va_copy(again, ap);
	n = vsnprintf(m->buf, sizeof m->buf, fmt, ap);
	if (n < 0) {
		m->text = "(unprintable message)";
	} else if ((size_t)n >= sizeof m->buf) {
		m->heap = malloc((size_t)n + 1);
		if (m->heap != NULL) {	/* else keep the truncated text */
			vsnprintf(m->heap, (size_t)n + 1, fmt, again);
			m->text = m->heap;
		}
	}
	va_end(again);
}

static void tap_msg_free(struct tap_msg *m)
{
	free(m->heap);
}

/* Print prefix + line + "\n" for each line of text.  Lock held. */
static void tap_put_lines(const char *prefix, const char *text)
{
	do {
		size_t len = strcspn(text, "\n");

		fputs(prefix, stdout);
		fwrite(text, 1, len, stdout);
		fputc('\n', stdout);
		text += len;
	} while (*text != '\0' && *++text != '\0');
}

/* Print a description on the current line, newlines turned to spaces. */
static void tap_put_inline(const char *text)
{
	for (; *text != '\0'; text++)
		fputc(*text == '\n' ? ' ' : *text, stdout);
}

/* Report one test result, with optional "# "-prefixed detail lines that
 * stay next to it even when other threads report at the same time. */
static int tap_report(int cond, const char *desc, const char *detail)
{
	pthread_mutex_lock(&tap_lock);
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %u", cond ? "" : "not ", tap_run);
	if (desc[0] != '\0') {
		fputs(" - ", stdout);
		tap_put_inline(desc);
	}
	fputc('\n', stdout);
	if (!cond && detail != NULL)
		tap_put_lines("#   ", detail);
	fflush(stdout);
	pthread_mutex_unlock(&tap_lock);
	return cond;
}

void plan(unsigned int n)
{
	int twice;

	pthread_mutex_lock(&tap_lock);
	twice = tap_have_plan;
	if (!twice) {
		tap_have_plan = 1;
		tap_planned = n;
		printf("1..%u\n", n);
		fflush(stdout);
	}
	pthread_mutex_unlock(&tap_lock);
	if (twice)
		bail_out("plan() called twice");
}

void plan_skip_all(const char *fmt, ...)
{
	struct tap_msg m;
	va_list ap;

	va_start(ap, fmt);
	tap_msg_vformat(&m, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&tap_lock);
	fputs("1..0 # SKIP ", stdout);
	tap_put_inline(m.text);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&tap_lock);
	tap_msg_free(&m);
	exit(0);
}

int tap_ok_(int cond, const char *file, int line, const char *fmt, ...)
{
	char where[256];
	struct tap_msg m;
	va_list ap;

	va_start(ap, fmt);
	tap_msg_vformat(&m, fmt, ap);
	va_end(ap);
	snprintf(where, sizeof where, "Failed at %s:%d", file, line);
	tap_report(cond, m.text, where);
	tap_msg_free(&m);
	return cond;
}

void diag(const char *fmt, ...)
{
	struct tap_msg m;
	va_list ap;

	va_start(ap, fmt);
	tap_msg_vformat(&m, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&tap_lock);
	tap_put_lines("# ", m.text);
	fflush(stdout);
	pthread_mutex_unlock(&tap_lock);
	tap_msg_free(&m);
}

void skip(unsigned int n, const char *fmt, ...)
{
	struct tap_msg m;
	va_list ap;

	va_start(ap, fmt);
	tap_msg_vformat(&m, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&tap_lock);
	while (n-- > 0) {
		printf("ok %u # skip ", ++tap_run);
		tap_put_inline(m.text);
		fputc('\n', stdout);
	}
	fflush(stdout);
	pthread_mutex_unlock(&tap_lock);
	tap_msg_free(&m);
}

void bail_out(const char *fmt, ...)
{
	struct tap_msg m;
	va_list ap;

	va_start(ap, fmt);
	tap_msg_vformat(&m, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&tap_lock);
	fputs("Bail out! ", stdout);
	tap_put_inline(m.text);
	fputc('\n', stdout);
	fflush(stdout);
	fflush(stderr);
	_exit(255);
}

int done_testing(void)
{
	pthread_mutex_lock(&tap_lock);
	if (!tap_have_plan) {
		tap_have_plan = 1;
		tap_planned = tap_run;
		printf("1..%u\n", tap_run);
		fflush(stdout);
	}
	pthread_mutex_unlock(&tap_lock);
	return exit_status();
}

int exit_status(void)
{
	int status;

	pthread_mutex_lock(&tap_lock);
	if (!tap_have_plan) {
		printf("# No plan: call plan(n) first or done_testing() last.\n");
		status = 255;
	} else if (tap_run != tap_planned) {
		printf("# Planned %u tests but ran %u.\n", tap_planned, tap_run);
		status = 255;
	} else if (tap_failed > 0) {
		printf("# Failed %u of %u tests.\n", tap_failed, tap_run);
		status = tap_failed < 254 ? (int)tap_failed : 254;
	} else {
		status = 0;
	}
	fflush(stdout);
	pthread_mutex_unlock(&tap_lock);
	return status;
}

/* 1 if `lt`/`eq` (got < expected, got == expected) satisfy op; bails out
 * on an operator it does not know. */
static int tap_cmp(const char *op, int lt, int eq)
{
	if (strcmp(op, "==") == 0)
		return eq;
	if (strcmp(op, "!=") == 0)
		return !eq;
	if (strcmp(op, "<") == 0)
		return lt;
	if (strcmp(op, "<=") == 0)
		return lt || eq;
	if (strcmp(op, ">") == 0)
		return !lt && !eq;
	if (strcmp(op, ">=") == 0)
		return !lt;
	bail_out("cmp_int/cmp_uint: unknown operator '%s'", op);
}

int tap_cmp_int_(long long got, const char *op, long long expected,
		 const char *expr, const char *file, int line,
		 const char *fmt, ...)
{
	int cond = tap_cmp(op, got < expected, got == expected);
	char detail[512];
	struct tap_msg m;
	va_list ap;

	va_start(ap, fmt);
	tap_msg_vformat(&m, fmt, ap);
	va_end(ap);
	snprintf(detail, sizeof detail,
		 "Failed at %s:%d: %s\n       got: %lld\n  expected: %s %lld",
		 file, line, expr, got, op, expected);
	tap_report(cond, m.text, detail);
	tap_msg_free(&m);
	return cond;
}

int tap_cmp_uint_(unsigned long long got, const char *op,
		  unsigned long long expected, const char *expr,
		  const char *file, int line, const char *fmt, ...)
{
	int cond = tap_cmp(op, got < expected, got == expected);
	char detail[512];
	struct tap_msg m;
	va_list ap;

	va_start(ap, fmt);
	tap_msg_vformat(&m, fmt, ap);
	va_end(ap);
	snprintf(detail, sizeof detail,
		 "Failed at %s:%d: %s\n       got: %llu\n  expected: %s %llu",
		 file, line, expr, got, op, expected);
	tap_report(cond, m.text, detail);
	tap_msg_free(&m);
	return cond;
}

/* The watchdog's handler may run on any thread at any moment, so it only
 * reads an atomic and calls write() and _exit(). */
static atomic_uint tap_watchdog_seconds;

static void tap_watchdog_fire(int sig)
{
	static const char head[] = "\nBail out! watchdog: still running after ";
	unsigned int s = atomic_load_explicit(&tap_watchdog_seconds,
					      memory_order_relaxed);
	char digits[16];
	char *p = digits + sizeof digits;

	(void)sig;
	*--p = '\n';
	*--p = 's';
	*--p = ' ';
	do
		*--p = (char)('0' + s % 10);
	while ((s /= 10) != 0);
	if (write(STDOUT_FILENO, head, sizeof head - 1) < 0 ||
	    write(STDOUT_FILENO, p, (size_t)(digits + sizeof digits - p)) < 0) {
		/* nothing left to report to */
	}
	_exit(1);
}

void tap_watchdog(unsigned int seconds)
{
	struct sigaction sa;

	alarm(0);
	if (seconds == 0)
		return;
	atomic_store_explicit(&tap_watchdog_seconds, seconds,
			      memory_order_relaxed);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tap_watchdog_fire;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		bail_out("tap_watchdog: sigaction failed");
	alarm(seconds);
}

double tap_test_seconds(void)
{
	const char *s = getenv("ACHAN_TEST_SECONDS");
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return 1.0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || !(v > 0.0 && v <= 1e6)) {
		diag("ACHAN_TEST_SECONDS='%s' is not a number of seconds "
		     "in (0, 1e6]; using 1", s);
		return 1.0;
	}
	return v;
}
