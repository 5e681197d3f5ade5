/*
 * t/waker_case.h - the harness of the waker re-entry tests
 * (t/waker_reentry.c, t/waker_reentry_more.c): each case runs in a forked
 * child with a watchdog (alarm), so a waker that spins forever shows up as
 * one `not ok` naming the step it hung at, and the program goes on.  The
 * child reports its checks through a pipe (check(), check_st(), check_u();
 * step() records where it is, note() a comment); the parent prints one TAP
 * line per case (run_case), with a diag() for each failed check.  A child
 * that ends with a sanitizer report exits non-zero, which fails its case.
 * Also: a counting waker that can run an action inside its wake.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Everything here is static (header-only), like test_util.h.
 */
#ifndef ACHAN_T_WAKER_CASE_H
#define ACHAN_T_WAKER_CASE_H

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "test_util.h"

/* Seconds a single-threaded case may run before its watchdog kills it: far
 * above what a case takes (milliseconds), so that a loaded CI machine or a
 * sanitizer build cannot trip it; a hang still shows up as one not ok. */
#define CASE_WATCHDOG_S 5u

/* ========================================================================= */
/* The child's side: checks reported through a pipe                          */
/* ========================================================================= */

static int rep_fd = -1;

static TU_UNUSED void rep_vline(char tag, const char *fmt, va_list ap)
	TAP_PRINTF(2, 0);

static TU_UNUSED void
rep_vline(char tag, const char *fmt, va_list ap)
{
	char buf[480];
	int n;

	buf[0] = tag;
	buf[1] = ' ';
	n = vsnprintf(buf + 2, sizeof(buf) - 3, fmt, ap);
	if (n < 0)
		n = 0;
	n += 2;
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	for (int i = 2; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	buf[n++] = '\n';
	/* one write of < PIPE_BUF bytes: whole lines, even from threads */
	if (write(rep_fd, buf, (size_t)n) != n)
		_exit(97);
}

/* Where the child is: the parent names the last step if the child hangs. */
static TU_UNUSED void step(const char *fmt, ...) TAP_PRINTF(1, 2);
static TU_UNUSED void
step(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rep_vline('S', fmt, ap);
	va_end(ap);
}

/* A comment the parent prints with the case's result. */
static TU_UNUSED void note(const char *fmt, ...) TAP_PRINTF(1, 2);
static TU_UNUSED void
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rep_vline('D', fmt, ap);
	va_end(ap);
}

static TU_UNUSED int check_(int cond, int line, const char *fmt, ...) TAP_PRINTF(3, 4);
static TU_UNUSED int
check_(int cond, int line, const char *fmt, ...)
{
	char msg[400], out[470];
	va_list ap;
	int n;

	if (cond)
		return 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = snprintf(out, sizeof(out), "F line %d: %s\n", line, msg);
	if (n < 0 || n > (int)sizeof(out) - 1) {
		n = (int)sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	if (write(rep_fd, out, (size_t)n) != n)
		_exit(97);
	return 0;
}

#define check(cond, ...) check_(!!(cond), __LINE__, __VA_ARGS__)

/* A status check that names both statuses on failure. */
#define check_st(got, want, what)                                              \
	do {                                                                   \
		int g_ = (got), w_ = (want);                                   \
		check_(g_ == w_, __LINE__, "%s: got %s, expected %s", (what), \
		    st_name(g_), st_name(w_));                                 \
	} while (0)

#define check_u(got, want, what)                                               \
	do {                                                                   \
		unsigned long long g_ = (unsigned long long)(got);             \
		unsigned long long w_ = (unsigned long long)(want);            \
		check_(g_ == w_, __LINE__, "%s: got %llu, expected %llu",      \
		    (what), g_, w_);                                           \
	} while (0)

/* Setup failed: nothing sensible can follow. */
static TU_UNUSED _Noreturn void die(const char *what);
static TU_UNUSED _Noreturn void
die(const char *what)
{
	check_(0, 0, "setup failed: %s", what);
	_exit(3);
}

/* ========================================================================= */
/* The parent's side: fork, watch, report                                     */
/* ========================================================================= */

struct child_report {
	int ended;          /* the child wrote "E" (the case ran to its end) */
	int fails;
	char last_step[240];
	char fail_text[8][240];
	char notes[4][240];
	int nnotes;
};

/* Copy src into dst[n], cut short if need be. */
static TU_UNUSED void
copy_text(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i] != '\0'; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

static TU_UNUSED void
report_line(struct child_report *r, const char *line)
{
	const char *text = line[0] != '\0' && line[1] == ' ' ? line + 2 : "";

	switch (line[0]) {
	case 'S':
		copy_text(r->last_step, sizeof(r->last_step), text);
		break;
	case 'F':
		if (r->fails < 8)
			copy_text(r->fail_text[r->fails],
			    sizeof(r->fail_text[0]), text);
		r->fails++;
		break;
	case 'D':
		if (r->nnotes < 4)
			copy_text(r->notes[r->nnotes++], sizeof(r->notes[0]),
			    text);
		break;
	case 'E':
		r->ended = 1;
		break;
	default:
		break;
	}
}

/*
 * Run fn(arg) in a forked child that dies by SIGALRM after wd_s seconds;
 * the parent also kills it (SIGKILL) a little later if it is still there.
 * One TAP line: ok if the child ran to its end, every check passed and it
 * exited 0 (a sanitizer report makes the exit status non-zero).
 */
static TU_UNUSED void
run_case(const char *name, void (*fn)(const void *), const void *arg,
		unsigned wd_s)
{
	struct child_report r;
	char buf[4096], line[512];
	size_t used = 0;
	int p[2], status = 0, killed = 0;
	pid_t pid;
	struct timespec deadline;

	memset(&r, 0, sizeof(r));
	snprintf(r.last_step, sizeof(r.last_step), "(start)");
	if (pipe(p) != 0)
		bail_out("pipe failed");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		bail_out("fork failed");
	if (pid == 0) {
		close(p[0]);
		rep_fd = p[1];
		signal(SIGALRM, SIG_DFL);
		alarm(wd_s);
		fn(arg);
		if (write(rep_fd, "E\n", 2) != 2)
			_exit(97);
		/* exit, not _exit: LeakSanitizer checks at exit */
		exit(0);
	}
	close(p[1]);
	deadline = tu_add_ms(tu_now(), (long)wd_s * 1000 + 3000);
	for (;;) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		double left = tu_ms_between(tu_now(), deadline);
		ssize_t n;

		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		if (poll(&pfd, 1, (int)left + 1) <= 0)
			continue;
		n = read(p[0], buf + used, sizeof(buf) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		for (;;) {
			char *nl = memchr(buf, '\n', used);
			size_t len;

			if (nl == NULL) {
				if (used == sizeof(buf) - 1)
					used = 0; /* an overlong line: drop it */
				break;
			}
			len = (size_t)(nl - buf);
			if (len >= sizeof(line))
				len = sizeof(line) - 1;
			memcpy(line, buf, len);
			line[len] = '\0';
			report_line(&r, line);
			used -= (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, used);
		}
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	int clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	int pass = r.ended && r.fails == 0 && clean_exit && !killed;

	ok(pass, "%s", name);
	for (int i = 0; i < r.fails && i < 8; i++)
		diag("  %s", r.fail_text[i]);
	if (r.fails > 8)
		diag("  (%d more failed checks)", r.fails - 8);
	if (!r.ended) {
		if (killed || (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM))
			diag("  HUNG: killed by the %u s watchdog; last step: %s",
			    wd_s, r.last_step);
		else if (WIFSIGNALED(status))
			diag("  child killed by signal %d; last step: %s",
			    WTERMSIG(status), r.last_step);
		else
			diag("  child exited %d before the end; last step: %s",
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			    r.last_step);
	} else if (!clean_exit) {
		diag("  child exited %d after the case (a sanitizer report?)",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	for (int i = 0; i < r.nnotes; i++)
		diag("  %s", r.notes[i]);
}

/* ========================================================================= */
/* Wakers                                                                     */
/* ========================================================================= */

struct wk {
	struct achan_waker w;
	atomic_int calls;
	void (*act)(struct wk *k);  /* run inside the wake, after counting */
	void *ctx;
	int id;
};

static TU_UNUSED void
wk_wake(void *arg)
{
	struct wk *k = arg;

	atomic_fetch_add(&k->calls, 1);
	if (k->act != NULL)
		k->act(k);
}

static TU_UNUSED void
wk_init(struct wk *k, int id, void (*act)(struct wk *), void *ctx)
{
	k->w.wake = wk_wake;
	k->w.arg = k;
	atomic_init(&k->calls, 0);
	k->act = act;
	k->ctx = ctx;
	k->id = id;
}

static TU_UNUSED int
wk_calls(struct wk *k)
{
	return atomic_load(&k->calls);
}

#define V0 100u          /* the value a full bounded channel holds */
#define VSENT 42u        /* the value a send trigger sends */

static TU_UNUSED struct achan_chan *
mkchan(size_t cap, unsigned flags)
{
	struct achan_chan *ch = NULL;

	if (achan_chan_create(&ch, 8, cap, flags) != ACHAN_OK)
		die("achan_chan_create");
	return ch;
}

static TU_UNUSED const char *
fl_name(unsigned flags)
{
	return flags & ACHAN_LOCAL ? "local" : "mt";
}

#endif /* ACHAN_T_WAKER_CASE_H */
