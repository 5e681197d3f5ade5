#!/bin/sh
# bench/ab.sh - A/B of two achan-peer builds (before / after a change), the
# way a change's cost is stated: RUNS interleaved runs per cell (A then B on
# odd runs, B then A on even ones, so drift hits both alike), the ratio
# B/A of each pair, and per cell the median of those ratios with its range
# and the medians of A and B themselves.
#
#   bench/ab.sh A_PEER B_PEER [RUNS]          (RUNS default 11)
#   CELLS='stream 1 1 1024 2000000;pingpong 1 1 0 20000' bench/ab.sh ...
#
# A_PEER and B_PEER are achan-peer programs (bench/achan-peer of two build
# trees).  Stream cells compare Mmsg/s, ping-pong cells ns per round trip
# inverted (so a ratio above 1 means B is faster everywhere).  The default
# cells are the issue's: stream 1x1, 4x1 and 4x4, capacity 1024.
#
# SPDX-License-Identifier: BSD-2-Clause
set -eu

[ $# -ge 2 ] || { echo "usage: $0 A_PEER B_PEER [RUNS]" >&2; exit 2; }
a=$1
b=$2
runs=${3:-11}
cells=${CELLS:-'stream 1 1 1024 2000000;stream 4 1 1024 500000;stream 4 4 1024 1000000'}
out=$(mktemp "${TMPDIR:-/tmp}/achan-ab.XXXXXX")
trap 'rm -f "$out"' EXIT INT TERM

# one run: print the metric (field 8 of the peers' CSV line)
one() {
	"$@" 2>/dev/null | awk -F, 'NF >= 8 { print $8; exit }'
}

i=1
while [ "$i" -le "$runs" ]; do
	printf '%s\n' "$cells" | tr ';' '\n' | while read -r cell; do
		[ -n "$cell" ] || continue
		# shellcheck disable=SC2086 # the cell is the peer's argument list
		if [ $((i % 2)) -eq 1 ]; then
			ma=$(one "$a" $cell)
			mb=$(one "$b" $cell)
		else
			mb=$(one "$b" $cell)
			ma=$(one "$a" $cell)
		fi
		echo "$cell,$i,$ma,$mb" >>"$out"
	done
	i=$((i + 1))
done

echo "A: $a"
echo "B: $b"
echo "$runs interleaved runs per cell; ratio = B / A (ping-pong: A / B), median [min, max]"
printf '%-28s %10s %10s %8s %18s\n' cell "median A" "median B" ratio range
sort -t, -k1,1 -s "$out" | awk -F, '
function med(arr, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && arr[j - 1] > arr[j]; j--) {
			t = arr[j]; arr[j] = arr[j - 1]; arr[j - 1] = t
		}
	return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
function flush(   ma, mb, mr) {
	if (n == 0) return
	ma = med(A, n); mb = med(B, n); lo = R[1]; hi = R[1]
	for (k = 1; k <= n; k++) { if (R[k] < lo) lo = R[k]; if (R[k] > hi) hi = R[k] }
	mr = med(R, n)
	printf "%-28s %10.4g %10.4g %8.3f   [%.3f, %.3f]\n", cur, ma, mb, mr, lo, hi
	n = 0
}
{
	if ($1 != cur) { flush(); cur = $1 }
	if ($3 == "" || $4 == "" || $3 + 0 == 0 || $4 + 0 == 0) next
	n++; A[n] = $3 + 0; B[n] = $4 + 0
	R[n] = ($1 ~ /^pingpong/) ? A[n] / B[n] : B[n] / A[n]
}
END { flush() }'
