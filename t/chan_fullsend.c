/*
 * t/chan_fullsend.c - a blocking send that finds the ring full.
 *
 * Before it registers, such a sender waits for room for a burst (half the
 * ring, at most 32 slots) instead of retrying on every freed slot
 * (chan_impl.h, send_burst).  That wait is only a preference: a receive
 * that frees a single slot must still complete the sender, whether the
 * slot frees while the sender is still snoozing or after it has parked,
 * and the values must come out in order: the buffered ones first, then the
 * sender's.  A wait without its snooze bound would hang here (the watchdog
 * and the per-round deadline catch it).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_util.h"

#define DEADLINE_MS 5000	/* a blocked sender still blocked: a hang */

/*
 * Fill a channel of `cap`, block one more sender on it, free one slot after
 * `delay_ms` (0: at once, while the sender is still snoozing), and check
 * that the sender completes and that every value comes out once, in order.
 * Returns 1 if everything held (the checks are reported by the caller).
 */
static int
one_round(size_t cap, long delay_ms, int *hung)
{
	struct achan_chan *ch;
	struct op_thread s;
	uint64_t v, i;
	int good = 1;

	*hung = 0;
	if (achan_chan_create(&ch, sizeof(uint64_t), cap, 0) != ACHAN_OK)
		return 0;
	for (i = 0; i < cap; i++)
		good &= achan_chan_try_send(ch, &i) == ACHAN_OK;
	good &= achan_chan_try_send(ch, &i) == ACHAN_FULL;
	op_start(&s, ch, TU_SEND, &i, sizeof(i), 0);	/* sends cap */
	if (delay_ms > 0) {
		tu_sleep_ms(delay_ms);
		good &= !op_done(&s);	/* full: it must wait */
	}
	good &= achan_chan_try_recv(ch, &v) == ACHAN_OK && v == 0;
	if (!op_wait_done(&s, DEADLINE_MS)) {
		/* Unblock it so that the program can end, then report. */
		*hung = 1;
		(void)achan_chan_close(ch);
	}
	good &= op_join(&s) == ACHAN_OK;
	good &= achan_chan_len(ch) == cap;
	for (i = 1; i <= cap; i++)
		good &= achan_chan_try_recv(ch, &v) == ACHAN_OK && v == i;
	good &= achan_chan_try_recv(ch, &v) == ACHAN_EMPTY;
	good &= achan_chan_destroy(ch) == ACHAN_OK;
	return good && !*hung;
}

int
main(void)
{
	static const size_t caps[] = { 1, 2, 3, 8, 20, 63, 64, 65, 1024 };
	size_t k;
	int r, hung, good, hangs;

	plan(2 * (sizeof(caps) / sizeof(caps[0])) + 1);
	tap_watchdog(60);

	/* The sender has parked (20 ms is far past its snooze window). */
	for (k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		r = one_round(caps[k], 20, &hung);
		ok(r, "cap %zu: one freed slot completes a parked sender, in order%s",
		    caps[k], hung ? " (HUNG)" : "");
	}
	/* The slot frees at once: usually while the sender still snoozes,
	 * waiting for burst room that never comes. */
	for (k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		good = 1;
		hangs = 0;
		for (int round = 0; round < 50; round++) {
			good &= one_round(caps[k], 0, &hung);
			hangs += hung;
		}
		ok(good, "cap %zu: 50 rounds, a slot freed during the snooze completes the sender (%d hung)",
		    caps[k], hangs);
	}
	/* The burst is a preference of the blocking call only: try_send
	 * takes a single free slot at once. */
	{
		struct achan_chan *ch;
		uint64_t i, v;
		int ok_all = 1;

		ok_all &= achan_chan_create(&ch, sizeof(uint64_t), 64, 0) == ACHAN_OK;
		for (i = 0; i < 64; i++)
			ok_all &= achan_chan_try_send(ch, &i) == ACHAN_OK;
		ok_all &= achan_chan_try_recv(ch, &v) == ACHAN_OK;
		ok_all &= achan_chan_try_send(ch, &i) == ACHAN_OK;
		ok_all &= achan_chan_len(ch) == 64;
		ok_all &= achan_chan_try_send(ch, &i) == ACHAN_FULL;
		ok_all &= achan_chan_destroy(ch) == ACHAN_OK;
		ok(ok_all, "try_send fills a single freed slot of a full ring");
	}
	return done_testing();
}
