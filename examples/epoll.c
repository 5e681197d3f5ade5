/*
 * examples/epoll.c - waiting on a channel from a single-threaded epoll loop.
 *
 * The pattern for a server's hot path: one thread runs an epoll loop over
 * its file descriptors (here a timerfd that ticks every 2 ms) and, in the
 * same loop, receives from an achan channel that another thread feeds.  The
 * loop never blocks in achan: it polls a receive future whose waker writes
 * to an eventfd, so "a value may be ready" becomes one more readable fd.
 *
 *   feeder thread --achan_chan_send--> channel (cap 128)
 *                                       | receive future, PENDING
 *                                       v
 *   waker: write(eventfd) --> epoll_wait() wakes --> read(eventfd), re-poll
 *
 * Rules shown here:
 *   - a future that returned ACHAN_PENDING stays registered; after the wake
 *     the loop polls the *same* future again (it keeps its place in the
 *     queue).  A wakeup is a hint: the re-poll may answer ACHAN_PENDING
 *     again, and the waker will be called again;
 *   - a future that returned ACHAN_OK is finished: init it again before the
 *     next receive;
 *   - the waker runs on the feeder thread: it must not block and must not
 *     poll the future itself - it only writes to the eventfd;
 *   - at shutdown the loop cancels the future it still has registered
 *     before the future's memory goes away, and handles the value that may
 *     have arrived first (cancel answers ACHAN_OK then);
 *   - the loop drains at most BATCH values per turn, so a busy channel
 *     cannot starve the loop's other fds.
 *
 * Checks: every value 1..N arrives once, in order (one feeder), and the
 * timer ticked.  Exit status 0 on success.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <achan.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define N 20000		/* values the feeder sends */
#define BURST 500	/* it sends them in bursts ... */
#define PAUSE_NS 200000	/* ... 0.2 ms apart, so channel and timer interleave */
#define TICK_NS 2000000	/* timerfd period: 2 ms */
#define MIN_TICKS 3	/* the loop stops once it has N values and this many ticks */
#define BATCH 64	/* values taken per loop turn at most */
#define TAG_WAKE 1	/* epoll_event.data.u64 of the eventfd */
#define TAG_TICK 2	/* ... and of the timerfd */

static struct achan_chan *ch;

/* The waker: called at most once per registration, from the thread that
 * made progress possible.  An eventfd write never blocks here (the fd is
 * non-blocking, and a saturated counter is still readable). */
static void wake_eventfd(void *arg)
{
	const int *efd = arg;
	uint64_t one = 1;

	if (write(*efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, the fd is readable anyway */
	}
}

static void *feed(void *arg)
{
	struct timespec pause = { 0, PAUSE_NS };

	(void)arg;
	for (uint64_t v = 1; v <= N; v++) {
		if (achan_chan_send(ch, &v) != ACHAN_OK)
			return NULL;	/* closed: the loop has shut down */
		if (v % BURST == 0)
			nanosleep(&pause, NULL);
	}
	/* The feeder does not close: the loop decides when to stop, with its
	 * receive future still registered - the case that needs a cancel. */
	return NULL;
}

struct totals {
	uint64_t n, next, out_of_order, ticks, wakes, repolls_pending;
};

static void take(struct totals *t, uint64_t v)
{
	t->out_of_order += v != t->next;
	t->next = v + 1;
	t->n++;
}

int main(void)
{
	struct itimerspec its = { { 0, TICK_NS }, { 0, TICK_NS } };
	struct epoll_event ev;
	struct totals t = { .next = 1 };
	struct achan_chan_recv_future f;
	uint64_t v;
	int efd, tfd, epfd, registered = 0, ready = 1, failed = 0;
	pthread_t feeder;
	time_t give_up = time(NULL) + 10;	/* a watchdog, not a timing */

	if (achan_chan_create(&ch, sizeof(uint64_t), 128, 0) != ACHAN_OK)
		return 1;
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (efd < 0 || tfd < 0 || epfd < 0 ||
	    timerfd_settime(tfd, 0, &its, NULL) != 0) {
		perror("epoll: fd setup");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.u64 = TAG_WAKE;
	epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev);
	ev.data.u64 = TAG_TICK;
	epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev);

	/* The waker struct is copied by every poll; its arg must outlive the
	 * registration (efd lives until after the cancel below). */
	const struct achan_waker waker = { wake_eventfd, &efd };

	pthread_create(&feeder, NULL, feed, NULL);
	achan_chan_recv_future_init(&f, ch, &v);

	while (t.n < N || t.ticks < MIN_TICKS) {
		/* 1. The channel: poll (or re-poll) the future, at most BATCH
		 *    values per turn. */
		if (ready) {
			int taken = 0, r = ACHAN_OK;
			while (taken < BATCH &&
			    (r = achan_chan_recv_poll(&f, &waker)) == ACHAN_OK) {
				take(&t, v);
				taken++;
				/* finished: a fresh receive for the next value */
				achan_chan_recv_future_init(&f, ch, &v);
			}
			if (taken == BATCH) {
				ready = 1;	/* maybe more: come back at once */
				registered = 0;	/* f is fresh, not registered */
			} else if (r == ACHAN_PENDING) {
				ready = 0;	/* registered: the eventfd will tell */
				t.repolls_pending += registered && taken == 0;
				registered = 1;
			} else {
				/* ACHAN_CLOSED: closed and drained; the future
				 * is finished.  A server would stop watching
				 * this channel here; this feeder never closes,
				 * so it is an error in this program. */
				fprintf(stderr, "epoll: poll: %s\n", achan_strerror(r));
				failed = 1;
				break;
			}
		}

		/* 2. Wait for any fd; don't sleep if the channel may have more. */
		struct epoll_event evs[2];
		int nev = epoll_wait(epfd, evs, 2, ready ? 0 : 1000);
		if (nev < 0 && errno != EINTR) {
			perror("epoll_wait");
			return 1;
		}
		for (int i = 0; i < nev; i++) {
			uint64_t count;
			if (evs[i].data.u64 == TAG_WAKE) {
				/* Reset the eventfd *before* re-polling: a wake
				 * that comes after this read makes it readable
				 * again, so none is lost. */
				if (read(efd, &count, sizeof(count)) == sizeof(count))
					t.wakes++;
				ready = 1;
			} else if (read(tfd, &count, sizeof(count)) ==
			    sizeof(count)) {
				t.ticks += count;	/* timer expirations */
			}
		}
		if (time(NULL) > give_up) {
			fprintf(stderr, "epoll: stuck\n");
			failed = 1;
			break;
		}
	}

	/*
	 * Shutdown.  The loop's future is registered (or fresh): cancel it
	 * before it goes out of scope.  ACHAN_OK means a value had already
	 * arrived in it - it is ours, in v, and must not be dropped.  After
	 * cancel returns, wake_eventfd will not run for it any more, so efd
	 * may be closed.
	 */
	int c = achan_chan_recv_cancel(&f);
	if (c == ACHAN_OK)
		take(&t, v);
	achan_chan_close(ch);		/* the feeder, if still sending, stops */
	pthread_join(feeder, NULL);
	/* Nothing is registered any more, so destroy succeeds. */
	if (achan_chan_destroy(ch) != ACHAN_OK)
		failed = 1;
	close(epfd);
	close(tfd);
	close(efd);

	printf("epoll: %llu values, %llu eventfd wakes, %llu timer ticks, "
	    "%llu re-polls that pended again, cancel: %s\n",
	    (unsigned long long)t.n, (unsigned long long)t.wakes,
	    (unsigned long long)t.ticks, (unsigned long long)t.repolls_pending,
	    achan_strerror(c));
	if (failed || t.n != N || t.out_of_order != 0 || t.ticks < MIN_TICKS ||
	    c != ACHAN_CANCELLED) {
		fprintf(stderr, "epoll: FAILED: %llu of %d values, %llu out of "
		    "order, cancel %s\n", (unsigned long long)t.n, N,
		    (unsigned long long)t.out_of_order, achan_strerror(c));
		return 1;
	}
	return 0;
}
