/*
 * t/chan_badinput.c - every public chan function answers bad arguments and
 * misuse with a status, never a crash: NULL objects, buffers and futures,
 * sizes beyond the maxima, too small memory, unknown flags,
 * poll after completion, double close, destroy while registered.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_util.h"

#include "../lib/sync_mt.h"
#include "../lib/chan_internal.h"

static struct achan_chan *
mk(size_t elem, size_t cap)
{
	struct achan_chan *ch = NULL;
	if (achan_chan_create(&ch, elem, cap, 0) != ACHAN_OK || !ch)
		bail_out("achan_chan_create(%zu, %zu) failed", elem, cap);
	return ch;
}

static void
nop_dtor(void *elem, void *arg)
{
	(void)elem;
	(void)arg;
}

static void
test_null_channel(void)
{
	uint64_t v = 1;
	struct timespec dl = tu_add_ms(tu_now(), 1000);
	struct achan_chan_send_future sf;
	struct achan_chan_recv_future rf;

	is_st(achan_chan_send(NULL, &v), ACHAN_EINVAL, "send(NULL ch)");
	is_st(achan_chan_send_until(NULL, &v, &dl), ACHAN_EINVAL, "send_until(NULL ch)");
	is_st(achan_chan_try_send(NULL, &v), ACHAN_EINVAL, "try_send(NULL ch)");
	is_st(achan_chan_recv(NULL, &v), ACHAN_EINVAL, "recv(NULL ch)");
	is_st(achan_chan_recv_until(NULL, &v, &dl), ACHAN_EINVAL, "recv_until(NULL ch)");
	is_st(achan_chan_try_recv(NULL, &v), ACHAN_EINVAL, "try_recv(NULL ch)");
	is_st(achan_chan_close(NULL), ACHAN_EINVAL, "close(NULL)");
	is_st(achan_chan_destroy(NULL), ACHAN_EINVAL, "destroy(NULL)");
	is_st(achan_chan_fini(NULL), ACHAN_EINVAL, "fini(NULL)");
	is_st(achan_chan_set_elem_dtor(NULL, nop_dtor, NULL), ACHAN_EINVAL, "set_elem_dtor(NULL)");
	is_u(achan_chan_len(NULL), 0, "len(NULL) = 0");
	is_u(achan_chan_capacity(NULL), 0, "capacity(NULL) = 0");
	is_u(achan_chan_elem_size(NULL), 0, "elem_size(NULL) = 0");
	is_u(achan_chan_is_closed(NULL), 1, "is_closed(NULL) = 1");
	is_st(achan_chan_send_future_init(&sf, NULL, &v), ACHAN_EINVAL, "send_future_init(NULL ch)");
	is_st(achan_chan_recv_future_init(&rf, NULL, &v), ACHAN_EINVAL, "recv_future_init(NULL ch)");
}

static void
test_null_buffers(void)
{
	struct achan_chan *ch = mk(8, 2);
	struct timespec dl = tu_add_ms(tu_now(), 1000);
	struct achan_chan_send_future sf;
	struct achan_chan_recv_future rf;
	uint64_t v = 1;

	is_st(achan_chan_send(ch, NULL), ACHAN_EINVAL, "send(NULL value), elem 8");
	is_st(achan_chan_send_until(ch, NULL, &dl), ACHAN_EINVAL, "send_until(NULL value)");
	is_st(achan_chan_try_send(ch, NULL), ACHAN_EINVAL, "try_send(NULL value)");
	is_u(achan_chan_len(ch), 0, "nothing was sent");
	achan_chan_try_send(ch, &v);
	is_st(achan_chan_recv(ch, NULL), ACHAN_EINVAL, "recv(NULL out) with a value ready");
	is_st(achan_chan_recv_until(ch, NULL, &dl), ACHAN_EINVAL, "recv_until(NULL out)");
	is_st(achan_chan_try_recv(ch, NULL), ACHAN_EINVAL, "try_recv(NULL out)");
	is_u(achan_chan_len(ch), 1, "nothing was taken");

	is_st(achan_chan_send_future_init(NULL, ch, &v), ACHAN_EINVAL, "send_future_init(NULL f)");
	is_st(achan_chan_send_future_init(&sf, ch, NULL), ACHAN_EINVAL,
			"send_future_init(NULL value), elem 8");
	is_st(achan_chan_recv_future_init(NULL, ch, &v), ACHAN_EINVAL, "recv_future_init(NULL f)");
	is_st(achan_chan_recv_future_init(&rf, ch, NULL), ACHAN_EINVAL,
			"recv_future_init(NULL out), elem 8");

	struct rec_waker w;
	rec_init(&w, 1, NULL);
	is_st(achan_chan_send_poll(NULL, &w.w), ACHAN_EINVAL, "send_poll(NULL f)");
	is_st(achan_chan_recv_poll(NULL, &w.w), ACHAN_EINVAL, "recv_poll(NULL f)");
	is_st(achan_chan_send_cancel(NULL), ACHAN_EINVAL, "send_cancel(NULL)");
	is_st(achan_chan_recv_cancel(NULL), ACHAN_EINVAL, "recv_cancel(NULL)");

	/* a NULL waker: a future that would have to wait could never be woken */
	achan_chan_try_recv(ch, &v);
	achan_chan_recv_future_init(&rf, ch, &v);
	is_st(achan_chan_recv_poll(&rf, NULL), ACHAN_EINVAL, "recv_poll(NULL waker) on empty");
	v = 2;
	achan_chan_try_send(ch, &v);
	achan_chan_try_send(ch, &v);
	achan_chan_send_future_init(&sf, ch, &v);
	is_st(achan_chan_send_poll(&sf, NULL), ACHAN_EINVAL, "send_poll(NULL waker) on full");
	is_st(achan_chan_destroy(ch), ACHAN_OK,
			"destroy: the EINVAL polls registered nothing");

	/* elem_size 0: NULL value pointers are fine */
	ch = mk(0, 1);
	is_st(achan_chan_try_send(ch, NULL), ACHAN_OK, "elem 0: try_send(NULL) OK");
	is_st(achan_chan_try_recv(ch, NULL), ACHAN_OK, "elem 0: try_recv(NULL) OK");
	is_st(achan_chan_send_future_init(&sf, ch, NULL), ACHAN_OK, "elem 0: send future with NULL");
	is_st(achan_chan_recv_future_init(&rf, ch, NULL), ACHAN_OK, "elem 0: recv future with NULL");
	achan_chan_destroy(ch);
}

static void
test_geometry(void)
{
	struct achan_chan *ch;
	size_t me = ACHAN_CHAN_MAX_ELEM_SIZE, mc = ACHAN_CHAN_MAX_CAPACITY;

	is_u(achan_chan_memsize(me + 1, 1), 0, "memsize(elem > max) = 0");
	is_u(achan_chan_memsize(8, mc + 1), 0, "memsize(capacity > max) = 0");
	is_u(achan_chan_memsize(SIZE_MAX, 1), 0, "memsize(SIZE_MAX elem) = 0");
	is_u(achan_chan_memsize(8, SIZE_MAX), 0, "memsize(SIZE_MAX capacity) = 0");
	is_u(achan_chan_memsize(SIZE_MAX, SIZE_MAX), 0, "memsize(SIZE_MAX, SIZE_MAX) = 0");
	ok(achan_chan_memsize(me, 1) > me, "memsize(max elem, 1) is valid");
	if (sizeof(size_t) >= 8)
		ok(achan_chan_memsize(me, mc) >= (size_t)me * mc,
				"memsize(max, max) holds every slot (no overflow)");
	else
		skip(1, "32-bit size_t");
	/* the same computation with 32-bit widths (the check is the one
	 * achan_chan_memsize makes with SIZE_MAX) */
	is_u(achan__chan_memsize_max(me, mc, UINT32_MAX), 0,
	    "32-bit size_t: memsize(64 KiB, 2^28) overflows: 0, not a wrapped size");
	is_u(achan__chan_memsize_max(8, mc, UINT32_MAX), 0,
	    "32-bit size_t: memsize(8, 2^28) = 4 GiB + header: 0");
	is_u(achan__chan_memsize_max(8, 1000, UINT32_MAX), achan_chan_memsize(8, 1000),
	    "32-bit size_t: a geometry that fits gives the same size");
	ok(achan__chan_memsize_max(me, mc, UINT64_MAX) > (uint64_t)UINT32_MAX,
	    "64-bit: memsize(64 KiB, 2^28) fits");

	ch = (struct achan_chan *)0x1;
	is_st(achan_chan_create(&ch, me + 1, 1, 0), ACHAN_EINVAL, "create elem > max");
	is_st(achan_chan_create(&ch, 8, mc + 1, 0), ACHAN_EINVAL, "create capacity > max");
	is_st(achan_chan_create(&ch, SIZE_MAX, SIZE_MAX, 0), ACHAN_EINVAL, "create SIZE_MAX x SIZE_MAX");
	is_st(achan_chan_create(NULL, 8, 1, 0), ACHAN_EINVAL, "create(NULL out)");

	/* the maximum element size itself is accepted */
	ch = NULL;
	is_st(achan_chan_create(&ch, me, 1, 0), ACHAN_OK, "create elem = max, cap 1");
	if (ch) {
		unsigned char *big = calloc(1, me);
		big[0] = 1;
		big[me - 1] = 2;
		ok(achan_chan_try_send(ch, big) == ACHAN_OK &&
				(memset(big, 0, me), achan_chan_try_recv(ch, big) == ACHAN_OK) &&
				big[0] == 1 && big[me - 1] == 2, "max-size value round-trips");
		free(big);
		achan_chan_destroy(ch);
	}
}

static void
test_init_memory(void)
{
	struct achan_chan *ch = NULL;
	size_t ms = achan_chan_memsize(8, 4);
	size_t total = ((ms + 64) + 63) & ~(size_t)63;
	unsigned char *mem = aligned_alloc(64, total);

	if (!mem)
		bail_out("aligned_alloc");
	memset(mem, 0x5c, total);
	is_st(achan_chan_init(NULL, ms, 8, 4, 0, &ch), ACHAN_EINVAL, "init(NULL mem)");
	is_st(achan_chan_init(mem, ms, 8, 4, 0, NULL), ACHAN_EINVAL, "init(NULL out)");
	is_st(achan_chan_init(mem, ms - 1, 8, 4, 0, &ch), ACHAN_EINVAL, "init with memsize - 1 bytes");
	is_st(achan_chan_init(mem, 0, 8, 4, 0, &ch), ACHAN_EINVAL, "init with 0 bytes");
	/* any alignment is allowed (chan.h), but never fewer than memsize bytes */
	is_st(achan_chan_init(mem + 1, ms - 1, 8, 4, 0, &ch), ACHAN_EINVAL,
			"init 1-byte aligned with memsize - 1 bytes");
	is_st(achan_chan_init(mem + 63, ms - 1, 8, 4, 0, &ch), ACHAN_EINVAL,
			"init at a 64-byte boundary - 1 with memsize - 1 bytes");
	is_st(achan_chan_init(mem, ms, ACHAN_CHAN_MAX_ELEM_SIZE + 1, 4, 0, &ch), ACHAN_EINVAL,
			"init elem > max");
	is_st(achan_chan_init(mem, total, 8, ACHAN_CHAN_MAX_CAPACITY + 1, 0, &ch), ACHAN_EINVAL,
			"init capacity > max");
	is_st(achan_chan_init(mem, ms, 8, 1000, 0, &ch), ACHAN_EINVAL,
			"init with memsize(8, 4) bytes for capacity 1000");
	is_st(achan_chan_init(mem, ms, 1000, 4, 0, &ch), ACHAN_EINVAL,
			"init with memsize(8, 4) bytes for elem_size 1000");
	int untouched = 1;
	for (size_t i = 0; i < total; i++)
		untouched &= mem[i] == 0x5c;
	ok(untouched, "refused inits wrote nothing into the memory");
	free(mem);
}

static void
test_flags(void)
{
	struct achan_chan *ch = NULL;
	static const unsigned bad[] = { 0x2u, 0x4u, 0x80u, 0x80000000u, ~0u };
	size_t ms = achan_chan_memsize(8, 2);
	void *mem = aligned_alloc(64, (ms + 63) & ~(size_t)63);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_st(achan_chan_create(&ch, 8, 2, bad[i]), ACHAN_EINVAL, "create flags %#x", bad[i]);
		is_st(achan_chan_init(mem, ms, 8, 2, bad[i], &ch), ACHAN_EINVAL, "init flags %#x", bad[i]);
	}
	/* ACHAN_LOCAL is the one valid flag; mixed with a bad bit it is refused */
	is_st(achan_chan_create(&ch, 8, 2, ACHAN_LOCAL | 0x2u), ACHAN_EINVAL,
			"create ACHAN_LOCAL | 0x2: EINVAL");
	is_st(achan_chan_create(&ch, 8, 2, ACHAN_LOCAL), ACHAN_OK,
			"create ACHAN_LOCAL: OK");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy local channel");
	free(mem);
}

static void
test_misuse(void)
{
	struct achan_chan *ch = mk(8, 1);
	struct rec_waker w;
	struct achan_chan_recv_future rf;
	struct achan_chan_send_future sf;
	uint64_t v = 1, out = 0;

	rec_init(&w, 1, NULL);
	achan_chan_send_future_init(&sf, ch, &v);
	is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_OK, "send future OK");
	is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_EINVAL, "send poll after OK: EINVAL");
	is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_EINVAL, "and again EINVAL");
	is_u(achan_chan_len(ch), 1, "the extra polls sent nothing");
	achan_chan_recv_future_init(&rf, ch, &out);
	is_st(achan_chan_recv_poll(&rf, &w.w), ACHAN_OK, "recv future OK");
	is_st(achan_chan_recv_poll(&rf, &w.w), ACHAN_EINVAL, "recv poll after OK: EINVAL");

	achan_chan_recv_future_init(&rf, ch, &out);
	achan_chan_recv_poll(&rf, &w.w);
	is_st(achan_chan_destroy(ch), ACHAN_EBUSY, "destroy with a registered future: EBUSY");
	is_st(achan_chan_close(ch), ACHAN_NEWLY_CLOSED, "close");
	is_st(achan_chan_close(ch), ACHAN_ALREADY_CLOSED, "double close: ALREADY_CLOSED");
	is_st(achan_chan_destroy(ch), ACHAN_EBUSY, "closed but the future not polled: still EBUSY");
	is_st(achan_chan_recv_poll(&rf, &w.w), ACHAN_CLOSED, "future CLOSED");
	is_st(achan_chan_recv_poll(&rf, &w.w), ACHAN_EINVAL, "poll after CLOSED: EINVAL");
	achan_chan_send_future_init(&sf, ch, &v);
	is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_CLOSED, "send future on closed: CLOSED");
	is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_EINVAL, "send poll after CLOSED: EINVAL");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy once nothing is registered");
}

int
main(void)
{
	tap_watchdog(30);
	test_null_channel();
	test_null_buffers();
	test_geometry();
	test_init_memory();
	test_flags();
	test_misuse();
	done_testing();
	return exit_status();
}
