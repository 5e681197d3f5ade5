/*
 * t/chan_basic.c - single-thread basics of the bounded channel: lifetime
 * (create/destroy, init/fini in caller memory), queries, FIFO order across
 * ring wrap-around, FULL/EMPTY, signal channels (elem_size 0), odd and big
 * element sizes, the element destructor, and achan_strerror.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_util.h"

/* --- create / queries / FULL / EMPTY -------------------------------------- */

static void
test_create_queries(void)
{
	struct achan_chan *ch = NULL;
	uint64_t v, out;

	is_st(achan_chan_create(&ch, sizeof(uint64_t), 4, 0), ACHAN_OK,
			"create elem 8 cap 4");
	if (!ok(ch != NULL, "create set *out"))
		bail_out("no channel");
	is_u(achan_chan_capacity(ch), 4, "capacity is 4");
	is_u(achan_chan_elem_size(ch), 8, "elem_size is 8");
	is_u(achan_chan_len(ch), 0, "new channel is empty");
	ok(achan_chan_is_closed(ch) == 0, "new channel is open");

	out = 0xdead;
	is_st(achan_chan_try_recv(ch, &out), ACHAN_EMPTY, "try_recv on empty: EMPTY");
	is_u(out, 0xdead, "EMPTY try_recv leaves the out buffer alone");

	int all_ok = 1, len_ok = 1;
	for (v = 1; v <= 4; v++) {
		all_ok &= achan_chan_try_send(ch, &v) == ACHAN_OK;
		len_ok &= achan_chan_len(ch) == v;
	}
	ok(all_ok, "4 try_sends into capacity 4 succeed");
	ok(len_ok, "len counts 1..4 as values go in");
	v = 5;
	is_st(achan_chan_try_send(ch, &v), ACHAN_FULL, "5th try_send: FULL");
	is_u(achan_chan_len(ch), 4, "len stays 4 after FULL");

	int fifo = 1;
	for (v = 1; v <= 4; v++) {
		out = 0;
		fifo &= achan_chan_try_recv(ch, &out) == ACHAN_OK && out == v;
		fifo &= achan_chan_len(ch) == 4 - v;
	}
	ok(fifo, "values come out 1..4 in order, len counting down (the FULL value is not inside)");
	is_st(achan_chan_try_recv(ch, &out), ACHAN_EMPTY, "drained: EMPTY");

	/* blocking calls that need not wait do not wait */
	v = 77;
	is_st(achan_chan_send(ch, &v), ACHAN_OK, "blocking send with room returns OK");
	out = 0;
	is_st(achan_chan_recv(ch, &out), ACHAN_OK, "blocking recv with a value returns OK");
	is_u(out, 77, "and gets it");

	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy");

	/* capacity 0 and capacity 1 queries */
	is_st(achan_chan_create(&ch, 8, 0, 0), ACHAN_OK, "create unbuffered");
	is_u(achan_chan_capacity(ch), 0, "unbuffered capacity is 0");
	is_u(achan_chan_len(ch), 0, "unbuffered len is 0");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy unbuffered");
}

/*
 * FULL exactly at the capacity asked for, also for capacities that are not
 * powers of two (a ring rounded up internally must still refuse at N).
 */
static void
test_capacity_exact(void)
{
	static const size_t caps[] = { 1, 2, 3, 5, 7, 100, 1000, 1024, 1025 };

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct achan_chan *ch = NULL;
		size_t cap = caps[i], n = 0;
		uint64_t v;

		if (achan_chan_create(&ch, 8, cap, 0) != ACHAN_OK) {
			ok(0, "create cap %zu", cap);
			continue;
		}
		for (v = 0; v < cap + 10; v++) {
			if (achan_chan_try_send(ch, &v) != ACHAN_OK)
				break;
			n++;
		}
		int full = achan_chan_try_send(ch, &v) == ACHAN_FULL;
		ok(n == cap && full && achan_chan_len(ch) == cap &&
				achan_chan_capacity(ch) == cap,
				"capacity %zu: exactly %zu values fit (got %zu), then FULL",
				cap, cap, n);
		/* drain half, refill: FULL again exactly at cap */
		uint64_t out, expect = 0;
		int order = 1;
		for (size_t k = 0; k < (cap + 1) / 2; k++)
			order &= achan_chan_try_recv(ch, &out) == ACHAN_OK &&
				out == expect++;
		size_t refill = 0;
		for (;; v++) {
			if (achan_chan_try_send(ch, &v) != ACHAN_OK)
				break;
			refill++;
		}
		ok(order && refill == (cap + 1) / 2 && achan_chan_len(ch) == cap,
				"capacity %zu: after draining %zu, exactly %zu fit again",
				cap, (cap + 1) / 2, (cap + 1) / 2);
		achan_chan_destroy(ch);
	}
}

/*
 * FIFO across many wrap-arounds against a model queue, with a random mix of
 * sends and receives (also through the blocking calls where they cannot
 * wait).
 */
static void
test_fifo_model(void)
{
	static const size_t caps[] = { 1, 2, 3, 8, 33 };
	uint64_t seed = 0x1234567u;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct achan_chan *ch = NULL;
		size_t cap = caps[i];
		uint64_t next_send = 0, next_recv = 0;
		int good = 1;
		unsigned long steps = 20000;

		if (achan_chan_create(&ch, 8, cap, 0) != ACHAN_OK) {
			ok(0, "create cap %zu", cap);
			continue;
		}
		for (unsigned long s = 0; s < steps && good; s++) {
			size_t len = (size_t)(next_send - next_recv);
			uint64_t r = tu_rand(&seed);
			if (r & 1) {
				uint64_t v = next_send;
				int rc = (r & 2) && len < cap ?
					achan_chan_send(ch, &v) :
					achan_chan_try_send(ch, &v);
				if (len < cap) {
					good &= rc == ACHAN_OK;
					next_send++;
				} else {
					good &= rc == ACHAN_FULL;
				}
			} else {
				uint64_t out = ~0ull;
				int rc = (r & 2) && len > 0 ?
					achan_chan_recv(ch, &out) :
					achan_chan_try_recv(ch, &out);
				if (len > 0) {
					good &= rc == ACHAN_OK && out == next_recv;
					next_recv++;
				} else {
					good &= rc == ACHAN_EMPTY;
				}
			}
			good &= achan_chan_len(ch) == (size_t)(next_send - next_recv);
			if (!good)
				diag("cap %zu: mismatch at step %lu (sent %llu, received %llu)",
						cap, s, (unsigned long long)next_send,
						(unsigned long long)next_recv);
		}
		ok(good, "capacity %zu: %lu random ops match a FIFO model (%llu values)",
				cap, steps, (unsigned long long)next_send);
		achan_chan_destroy(ch);
	}
}

/* --- init / fini in caller memory ------------------------------------------- */

static void
test_init_fini(void)
{
	size_t ms = achan_chan_memsize(8, 16);
	struct achan_chan *ch = NULL;

	ok(ms > 0, "memsize(8, 16) = %zu > 0", ms);
	ok(achan_chan_memsize(8, 32) >= ms, "memsize grows with capacity");
	ok(achan_chan_memsize(64, 16) >= ms, "memsize grows with elem_size");
	ok(achan_chan_memsize(0, 0) > 0, "memsize(0, 0) > 0 (the header itself)");
	ok(achan_chan_memsize(1000, 4) >= 4000, "memsize(1000, 4) holds 4 values");

	/* aligned memory with a canary after memsize bytes */
	size_t total = ms + 256;
	total = (total + 63) & ~(size_t)63;
	unsigned char *mem = aligned_alloc(64, total);
	if (!mem)
		bail_out("aligned_alloc");
	memset(mem, 0xa5, total);
	is_st(achan_chan_init(mem, ms, 8, 16, 0, &ch), ACHAN_OK,
			"init into exactly memsize bytes, 64-aligned");
	ok((unsigned char *)ch >= mem && (unsigned char *)ch < mem + ms,
			"the channel lives inside the caller's memory");
	is_u(achan_chan_capacity(ch), 16, "init'd capacity");
	is_u(achan_chan_elem_size(ch), 8, "init'd elem_size");
	uint64_t v, out;
	int good = 1;
	for (int round = 0; round < 5; round++) {
		for (v = 0; v < 16; v++)
			good &= achan_chan_try_send(ch, &v) == ACHAN_OK;
		good &= achan_chan_try_send(ch, &v) == ACHAN_FULL;
		for (v = 0; v < 16; v++)
			good &= achan_chan_try_recv(ch, &out) == ACHAN_OK && out == v;
	}
	ok(good, "init'd channel fills and drains in order 5 times");
	is_st(achan_chan_fini(ch), ACHAN_OK, "fini");
	int canary = 1;
	for (size_t i = ms; i < total; i++)
		canary &= mem[i] == 0xa5;
	ok(canary, "nothing written past memsize bytes");

	free(mem);

	/*
	 * Any alignment (chan.h): the channel is placed at the first
	 * ACHAN_CHAN_ALIGN boundary inside mem and stays inside memsize bytes.
	 */
	static const size_t offs[] = { 1, 3, 4, 8, 9, 16, 31, 32, 63, 64 };
	total = ((ms + 128 + 256) + 63) & ~(size_t)63;
	mem = aligned_alloc(64, total);
	if (!mem)
		bail_out("aligned_alloc");
	for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
		unsigned char *m = mem + offs[k];
		memset(mem, 0xa5, total);
		ch = NULL;
		if (!is_st(achan_chan_init(m, ms, 8, 16, 0, &ch), ACHAN_OK,
				"init at offset %zu from a 64-byte boundary", offs[k]))
			continue;
		ok((unsigned char *)ch >= m && (unsigned char *)ch < m + ms &&
				(uintptr_t)ch % ACHAN_CHAN_ALIGN == 0 &&
				(unsigned char *)ch - m < ACHAN_CHAN_ALIGN,
				"offset %zu: channel at the first %d-byte boundary inside mem",
				offs[k], ACHAN_CHAN_ALIGN);
		good = 1;
		for (int round = 0; round < 3; round++) {
			for (v = 0; v < 16; v++)
				good &= achan_chan_try_send(ch, &v) == ACHAN_OK;
			good &= achan_chan_try_send(ch, &v) == ACHAN_FULL;
			for (v = 0; v < 16; v++)
				good &= achan_chan_try_recv(ch, &out) == ACHAN_OK && out == v;
		}
		ok(good, "offset %zu: channel fills and drains in order", offs[k]);
		is_st(achan_chan_fini(ch), ACHAN_OK, "offset %zu: fini", offs[k]);
		canary = 1;
		for (size_t i = 0; i < offs[k]; i++)
			canary &= mem[i] == 0xa5;
		for (size_t i = offs[k] + ms; i < total; i++)
			canary &= mem[i] == 0xa5;
		ok(canary, "offset %zu: nothing written outside [mem, mem + memsize)", offs[k]);
	}
	free(mem);

	/* exact-size heap block: ASan catches any access beyond memsize */
	size_t ms2 = achan_chan_memsize(24, 5);
	void *m2 = malloc(ms2);
	if (!m2)
		bail_out("malloc");
	is_st(achan_chan_init(m2, ms2, 24, 5, 0, &ch), ACHAN_OK,
			"init elem 24 cap 5 in a malloc'd block of memsize bytes");
	unsigned char in24[24], out24[24];
	good = 1;
	for (int k = 0; k < 23; k++) {
		memset(in24, k, sizeof(in24));
		good &= achan_chan_try_send(ch, in24) == ACHAN_OK;
		if (k % 3 == 2) {
			for (int j = 0; j < 3; j++)
				good &= achan_chan_try_recv(ch, out24) == ACHAN_OK &&
					out24[0] == (unsigned char)(k - 2 + j) &&
					out24[23] == (unsigned char)(k - 2 + j);
		}
	}
	ok(good, "elem 24 channel in exact memory round-trips with wrap-around");
	is_st(achan_chan_fini(ch), ACHAN_OK, "fini with 2 values left");
	free(m2);

	/* memsize for unbuffered */
	size_t ms0 = achan_chan_memsize(8, 0);
	void *m0 = malloc(ms0);
	is_st(achan_chan_init(m0, ms0, 8, 0, 0, &ch), ACHAN_OK,
			"init unbuffered in memsize(8, 0) = %zu bytes", ms0);
	is_st(achan_chan_fini(ch), ACHAN_OK, "fini unbuffered");
	free(m0);
}

/* --- signal channel (elem_size 0) ---------------------------------------------- */

static void
test_signal_channel(void)
{
	struct achan_chan *ch = NULL;

	is_st(achan_chan_create(&ch, 0, 3, 0), ACHAN_OK, "create elem_size 0 cap 3");
	is_u(achan_chan_elem_size(ch), 0, "elem_size 0");
	int good = 1;
	for (int i = 0; i < 3; i++)
		good &= achan_chan_try_send(ch, NULL) == ACHAN_OK;
	ok(good, "3 signals with NULL value pointers");
	is_st(achan_chan_try_send(ch, NULL), ACHAN_FULL, "4th signal: FULL");
	is_u(achan_chan_len(ch), 3, "len counts signals");
	is_st(achan_chan_recv(ch, NULL), ACHAN_OK, "blocking recv of a signal into NULL");
	is_st(achan_chan_send(ch, NULL), ACHAN_OK, "blocking send of a signal from NULL");
	good = 1;
	for (int i = 0; i < 3; i++)
		good &= achan_chan_try_recv(ch, NULL) == ACHAN_OK;
	ok(good, "3 signals received into NULL");
	is_st(achan_chan_try_recv(ch, NULL), ACHAN_EMPTY, "then EMPTY");

	/* non-NULL pointers are fine too and are not written */
	unsigned char b = 0x5a;
	is_st(achan_chan_try_send(ch, &b), ACHAN_OK, "signal from a real pointer");
	is_st(achan_chan_try_recv(ch, &b), ACHAN_OK, "signal into a real pointer");
	is_u(b, 0x5a, "nothing written for elem_size 0");

	/* futures on a signal channel */
	struct achan_chan_recv_future rf;
	struct rec_waker rw;
	rec_init(&rw, 1, NULL);
	is_st(achan_chan_recv_future_init(&rf, ch, NULL), ACHAN_OK,
			"recv future with NULL out on elem_size 0");
	is_st(achan_chan_recv_poll(&rf, &rw.w), ACHAN_PENDING, "pending signal receive");
	is_st(achan_chan_try_send(ch, NULL), ACHAN_OK, "signal");
	is_u(rec_calls(&rw), 1, "waker fired");
	is_st(achan_chan_recv_poll(&rf, &rw.w), ACHAN_OK, "signal received by the future");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy signal channel");
}

/* --- element sizes ------------------------------------------------------------ */

static void
fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 131u + i * 7u + (i >> 8));
}

static int
check_pattern(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed * 131u + i * 7u + (i >> 8)))
			return 0;
	return 1;
}

/*
 * Round trips for several element sizes: the value read is exactly
 * elem_size bytes (the send buffer is an exact-size heap block, so ASan sees
 * over-reads), and exactly elem_size bytes are written (guard bytes after the
 * receive buffer stay untouched).
 */
static void
test_elem_sizes(void)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65,
		1000, 4096, ACHAN_CHAN_MAX_ELEM_SIZE };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t es = sizes[i], cap = 3;
		struct achan_chan *ch = NULL;

		if (achan_chan_create(&ch, es, cap, 0) != ACHAN_OK) {
			ok(0, "create elem_size %zu", es);
			continue;
		}
		unsigned char *in = malloc(es);
		unsigned char *out = malloc(es + 32);
		int good = 1, guard = 1;
		unsigned sent = 0, got = 0;
		for (int round = 0; round < 7; round++) {
			/* 2 in, 1 out, then drain: exercises wrap-around */
			for (int k = 0; k < 2 && achan_chan_len(ch) < cap; k++) {
				fill_pattern(in, es, sent);
				good &= achan_chan_try_send(ch, in) == ACHAN_OK;
				memset(in, 0, es); /* the channel holds its own copy */
				sent++;
			}
			size_t n = round % 2 ? achan_chan_len(ch) : 1;
			for (size_t k = 0; k < n; k++) {
				memset(out, 0xcc, es + 32);
				good &= achan_chan_try_recv(ch, out) == ACHAN_OK;
				good &= check_pattern(out, es, got);
				for (size_t g = es; g < es + 32; g++)
					guard &= out[g] == 0xcc;
				got++;
			}
		}
		while (achan_chan_try_recv(ch, out) == ACHAN_OK) {
			good &= check_pattern(out, es, got);
			got++;
		}
		ok(good && got == sent, "elem_size %zu: %u values round-trip intact and in order",
				es, sent);
		ok(guard, "elem_size %zu: recv writes exactly elem_size bytes", es);
		free(in);
		free(out);
		achan_chan_destroy(ch);
	}
}

struct big {
	uint32_t seq;
	unsigned char body[992];
	uint32_t check;
};

/* 1000-byte structs, also through futures and a blocking thread. */
static void
test_big_struct(void)
{
	struct achan_chan *ch = NULL;
	struct big a, b;
	int good = 1;

	_Static_assert(sizeof(struct big) == 1000, "1000-byte struct");
	is_st(achan_chan_create(&ch, sizeof(struct big), 2, 0), ACHAN_OK,
			"create elem 1000 cap 2");
	for (uint32_t i = 0; i < 50; i++) {
		a.seq = i;
		fill_pattern(a.body, sizeof(a.body), i);
		a.check = ~i;
		good &= achan_chan_try_send(ch, &a) == ACHAN_OK;
		memset(&b, 0, sizeof(b));
		good &= achan_chan_try_recv(ch, &b) == ACHAN_OK;
		good &= memcmp(&a, &b, sizeof(a)) == 0;
	}
	ok(good, "50 x 1000-byte struct round trips");

	/* a send future parked on a full channel holds a 1000-byte value */
	struct achan_chan_send_future sf;
	struct rec_waker sw;
	struct big c;
	rec_init(&sw, 1, NULL);
	a.seq = 100;
	fill_pattern(a.body, sizeof(a.body), 100);
	b.seq = 101;
	fill_pattern(b.body, sizeof(b.body), 101);
	c.seq = 102;
	fill_pattern(c.body, sizeof(c.body), 102);
	good = achan_chan_try_send(ch, &a) == ACHAN_OK &&
		achan_chan_try_send(ch, &b) == ACHAN_OK;
	achan_chan_send_future_init(&sf, ch, &c);
	is_st(achan_chan_send_poll(&sf, &sw.w), ACHAN_PENDING, "big send future waits on full");
	struct big r[3];
	for (int k = 0; k < 3; k++)
		good &= achan_chan_try_recv(ch, &r[k]) == ACHAN_OK;
	good &= r[0].seq == 100 && check_pattern(r[0].body, sizeof(r[0].body), 100);
	good &= r[1].seq == 101 && check_pattern(r[1].body, sizeof(r[1].body), 101);
	good &= r[2].seq == 102 && check_pattern(r[2].body, sizeof(r[2].body), 102);
	ok(good, "buffered and parked 1000-byte values come out intact, in order");
	is_st(achan_chan_send_poll(&sf, &sw.w), ACHAN_OK, "parked big send completed");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy big channel");
}

/* The 8-byte fast path: integers at the edges and pointers. */
static void
test_word_values(void)
{
	struct achan_chan *ch = NULL;
	static const uint64_t vals[] = { 0, 1, UINT64_MAX, 0x8000000000000000ull,
		0x0123456789abcdefull, 0xfedcba9876543210ull };
	int good = 1;

	is_st(achan_chan_create(&ch, sizeof(uint64_t), 1, 0), ACHAN_OK, "create elem 8 cap 1");
	for (int round = 0; round < 1000; round++) {
		uint64_t v = vals[round % 6] ^ (uint64_t)(round / 6), out = ~v;
		good &= achan_chan_try_send(ch, &v) == ACHAN_OK;
		good &= achan_chan_try_send(ch, &v) == ACHAN_FULL;
		good &= achan_chan_try_recv(ch, &out) == ACHAN_OK && out == v;
	}
	ok(good, "1000 u64 round trips through capacity 1 (edge bit patterns)");
	achan_chan_destroy(ch);

	/* pointers */
	is_st(achan_chan_create(&ch, sizeof(void *), 4, 0), ACHAN_OK, "create elem sizeof(void *)");
	int objs[4];
	good = 1;
	for (int i = 0; i < 4; i++) {
		int *p = &objs[i];
		good &= achan_chan_try_send(ch, &p) == ACHAN_OK;
	}
	for (int i = 0; i < 4; i++) {
		int *p = NULL;
		good &= achan_chan_try_recv(ch, &p) == ACHAN_OK && p == &objs[i];
	}
	ok(good, "pointer values round-trip");
	achan_chan_destroy(ch);

	/* 4-byte and 2-byte values (smaller than the fast path) */
	is_st(achan_chan_create(&ch, sizeof(uint32_t), 2, 0), ACHAN_OK, "create elem 4");
	uint32_t w = 0xa1b2c3d4, w2 = 0;
	uint64_t big_out = 0xffffffffffffffffull;
	good = achan_chan_try_send(ch, &w) == ACHAN_OK &&
		achan_chan_try_send(ch, &w) == ACHAN_OK;
	good &= achan_chan_try_recv(ch, &w2) == ACHAN_OK && w2 == w;
	good &= achan_chan_try_recv(ch, &big_out) == ACHAN_OK;
	uint32_t lo, hi;
	memcpy(&lo, &big_out, 4);
	memcpy(&hi, (unsigned char *)&big_out + 4, 4);
	ok(good && lo == w && hi == 0xffffffffu,
			"elem 4: value intact and the 4 bytes after it untouched");
	achan_chan_destroy(ch);
}

/* --- element destructor -------------------------------------------------------- */

struct dtor_ctx {
	int calls;
	int bad_arg;
	uint64_t seen[64];
};

static void
count_dtor(void *elem, void *arg)
{
	struct dtor_ctx *c = arg;
	uint64_t v = u64v(elem);

	if (!c)
		return;
	if (c->calls < 64)
		c->seen[c->calls] = v;
	c->calls++;
}

static int
seen_exactly(struct dtor_ctx *c, uint64_t lo, uint64_t hi)
{
	/* every value in [lo, hi) exactly once, nothing else */
	if ((uint64_t)c->calls != hi - lo)
		return 0;
	for (uint64_t v = lo; v < hi; v++) {
		int n = 0;
		for (int i = 0; i < c->calls && i < 64; i++)
			n += c->seen[i] == v;
		if (n != 1)
			return 0;
	}
	return 1;
}

struct big_ctx {
	int calls, intact;
};

static void
big_dtor(void *elem, void *arg)
{
	struct big_ctx *c = arg;
	struct big b;

	memcpy(&b, elem, sizeof(b));
	c->intact &= (b.seq == 1 || b.seq == 2) && b.check == ~b.seq &&
		check_pattern(b.body, sizeof(b.body), b.seq);
	c->calls++;
}

static void
test_elem_dtor(void)
{
	struct achan_chan *ch = NULL;
	struct dtor_ctx ctx;
	uint64_t v, out;

	/* leftovers after wrap-around: 5 in, 2 out (cap 4 forces wrap) */
	memset(&ctx, 0, sizeof(ctx));
	is_st(achan_chan_create(&ch, 8, 4, 0), ACHAN_OK, "create for dtor");
	is_st(achan_chan_set_elem_dtor(ch, count_dtor, &ctx), ACHAN_OK, "set dtor");
	for (v = 100; v < 103; v++)
		achan_chan_try_send(ch, &v);
	achan_chan_try_recv(ch, &out);
	achan_chan_try_recv(ch, &out);
	for (v = 103; v < 106; v++)
		achan_chan_try_send(ch, &v);
	/* inside now: 102 103 104 105, wrapped */
	ok(ctx.calls == 0, "dtor not run by send/recv");
	is_st(achan_chan_destroy(ch), ACHAN_OK, "destroy with 4 leftovers");
	ok(seen_exactly(&ctx, 102, 106),
			"dtor ran exactly once per leftover (102..105): %d calls", ctx.calls);

	/* empty channel: no calls */
	memset(&ctx, 0, sizeof(ctx));
	achan_chan_create(&ch, 8, 4, 0);
	achan_chan_set_elem_dtor(ch, count_dtor, &ctx);
	v = 1;
	achan_chan_try_send(ch, &v);
	achan_chan_try_recv(ch, &out);
	achan_chan_destroy(ch);
	is_u(ctx.calls, 0, "dtor not run for an empty channel / received values");

	/* NULL removes the destructor */
	memset(&ctx, 0, sizeof(ctx));
	achan_chan_create(&ch, 8, 4, 0);
	achan_chan_set_elem_dtor(ch, count_dtor, &ctx);
	is_st(achan_chan_set_elem_dtor(ch, NULL, NULL), ACHAN_OK, "set NULL dtor");
	achan_chan_try_send(ch, &v);
	achan_chan_destroy(ch);
	is_u(ctx.calls, 0, "removed dtor is not run");

	/* fini in caller memory runs it too; closed channel leftovers too */
	memset(&ctx, 0, sizeof(ctx));
	size_t ms = achan_chan_memsize(8, 8);
	void *mem = aligned_alloc(64, (ms + 63) & ~(size_t)63);
	achan_chan_init(mem, ms, 8, 8, 0, &ch);
	achan_chan_set_elem_dtor(ch, count_dtor, &ctx);
	for (v = 0; v < 8; v++)
		achan_chan_try_send(ch, &v);
	achan_chan_close(ch);
	is_st(achan_chan_fini(ch), ACHAN_OK, "fini a closed full channel");
	ok(seen_exactly(&ctx, 0, 8), "fini ran dtor once per leftover (8): %d calls",
			ctx.calls);
	free(mem);

	/* big elements: dtor sees the whole value */
	struct big_ctx bc = { 0, 1 };
	struct achan_chan *bch = NULL;
	achan_chan_create(&bch, sizeof(struct big), 3, 0);
	struct big a;
	for (uint32_t i = 0; i < 3; i++) {
		a.seq = i;
		fill_pattern(a.body, sizeof(a.body), i);
		a.check = ~i;
		achan_chan_try_send(bch, &a);
	}
	achan_chan_try_recv(bch, &a);
	achan_chan_set_elem_dtor(bch, big_dtor, &bc);
	achan_chan_destroy(bch);
	ok(bc.calls == 2 && bc.intact, "dtor of 1000-byte leftovers: %d calls, intact %d",
			bc.calls, bc.intact);
}

/* --- strerror ------------------------------------------------------------------- */

static void
test_strerror(void)
{
	static const struct { int st; const char *name; } all[] = {
		{ ACHAN_OK, "ACHAN_OK" },
		{ ACHAN_PENDING, "ACHAN_PENDING" },
		{ ACHAN_CLOSED, "ACHAN_CLOSED" },
		{ ACHAN_FULL, "ACHAN_FULL" },
		{ ACHAN_EMPTY, "ACHAN_EMPTY" },
		{ ACHAN_TIMEDOUT, "ACHAN_TIMEDOUT" },
		{ ACHAN_EINVAL, "ACHAN_EINVAL" },
		{ ACHAN_EBUSY, "ACHAN_EBUSY" },
		{ ACHAN_EDEADLK, "ACHAN_EDEADLK" },
		{ ACHAN_ENOMEM, "ACHAN_ENOMEM" },
		{ ACHAN_NEWLY_CLOSED, "ACHAN_NEWLY_CLOSED" },
		{ ACHAN_ALREADY_CLOSED, "ACHAN_ALREADY_CLOSED" },
		{ ACHAN_CANCELLED, "ACHAN_CANCELLED" },
	};
	enum { N = sizeof(all) / sizeof(all[0]) };
	const char *s[N];
	int named = 1, distinct = 1;

	for (int i = 0; i < N; i++) {
		s[i] = achan_strerror(all[i].st);
		if (!s[i]) {
			named = 0;
			diag("achan_strerror(%d) is NULL", all[i].st);
			continue;
		}
		/* "ACHAN_CLOSED: ..." - the name, not a prefix of a longer name */
		size_t n = strlen(all[i].name);
		if (strncmp(s[i], all[i].name, n) != 0 ||
				(s[i][n] != '\0' && s[i][n] != ':' && s[i][n] != ' ')) {
			named = 0;
			diag("achan_strerror(%d) = \"%s\" does not start with %s",
					all[i].st, s[i], all[i].name);
		}
	}
	ok(named, "achan_strerror names every status (%d of them)", N);
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			if (s[i] && s[j] && strcmp(s[i], s[j]) == 0)
				distinct = 0;
	ok(distinct, "every status has its own string");

	static const int unknown[] = { -1, ACHAN_CANCELLED + 1, 100, 9999, INT_MAX,
		INT_MIN };
	int unk = 1;
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		const char *u = achan_strerror(unknown[i]);
		if (!u) {
			unk = 0;
			diag("achan_strerror(%d) is NULL", unknown[i]);
			continue;
		}
		for (int j = 0; j < N; j++)
			if (s[j] && strcmp(u, s[j]) == 0) {
				unk = 0;
				diag("achan_strerror(%d) claims to be a known status: %s",
						unknown[i], u);
			}
	}
	ok(unk, "unknown statuses get a non-NULL string that names no real status");
}

int
main(void)
{
	tap_watchdog(30);
	test_create_queries();
	test_capacity_exact();
	test_fifo_model();
	test_init_fini();
	test_signal_channel();
	test_elem_sizes();
	test_big_struct();
	test_word_values();
	test_elem_dtor();
	test_strerror();
	done_testing();
	return exit_status();
}
