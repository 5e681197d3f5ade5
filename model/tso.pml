/*
 * model/tso.pml - x86-TSO store buffers for the achan Spin models.
 *
 * Each process has a FIFO store buffer.  A plain or release store (st) goes
 * into it; a load (ld) sees the process's own newest buffered store to that
 * address, else memory; the flusher may commit any process's oldest
 * buffered store at any time; a locked instruction (an RMW, a seq_cst fence)
 * drains the buffer first (drain).  This is exactly the reordering x86 allows:
 * a load may pass the same thread's earlier store to another address, which
 * is what the store-buffering (Dekker) arguments in lib/chan_impl.h are
 * about.  Words that are only changed by RMWs (ring counters, locks, queue
 * links under a lock) are plain globals: RMWs are sequentially consistent.
 *
 * The including model defines NP (processes with buffers), BS (buffer
 * depth) and NADDR (buffered addresses), and runs flusher().
 */

byte mem[NADDR];
byte bA[NP * BS];
byte bV[NP * BS];
byte bN[NP];

inline st(p, a, v)
{
	atomic {
		assert(bN[p] < BS);
		bA[p * BS + bN[p]] = a;
		bV[p * BS + bN[p]] = v;
		bN[p]++
	}
}

inline ld(p, a, res)
{
	atomic {
		res = mem[a];
		i_ = 0;
		do
		:: i_ < bN[p] ->
			if
			:: bA[p * BS + i_] == a -> res = bV[p * BS + i_]
			:: else -> skip
			fi;
			i_++
		:: else -> break
		od
	}
}

inline commit_one(p)
{
	mem[bA[p * BS]] = bV[p * BS];
	j_ = 1;
	do
	:: j_ < bN[p] ->
		bA[p * BS + j_ - 1] = bA[p * BS + j_];
		bV[p * BS + j_ - 1] = bV[p * BS + j_];
		j_++
	:: else -> break
	od;
	bN[p]--
}

inline drain(p)
{
	do
	:: bN[p] > 0 -> commit_one(p)
	:: else -> break
	od
}
